// Live reports (and capabilities) checked against wasm/js/index.d.ts: every
// object has exactly the interface's fields (required ones present), every
// enum string is in the union the .d.ts declares. wasm/src/tests.rs checks the
// same unions against the Rust serializations; together they tie the types to
// what the engine really returns.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { startEmulator } from "./support/emulator.mjs";
import { joiner, leaver, mover } from "./support/fixtures.mjs";
import { AtlassianLcm } from "./support/lcm.mjs";

const dts = readFileSync(new URL("../js/index.d.ts", import.meta.url), "utf8");

/** `export type X = ...;` → its text. */
function typeText(name) {
  const m = dts.match(new RegExp(`export type ${name} =([^;]*);`));
  return m?.[1].trim();
}

/** `export interface X [extends A] { ... }` → { key: { optional, type } }. */
function fields(name) {
  const m = dts.match(new RegExp(`export interface ${name} (?:extends ([\\w, ]+) )?\\{([\\s\\S]*?)\\n\\}`));
  assert.ok(m, `index.d.ts has no interface ${name}`);
  const out = {};
  for (const parent of m[1]?.split(",") ?? []) {
    if (parent.trim() !== "Error") Object.assign(out, fields(parent.trim()));
  }
  for (const line of m[2].split("\n")) {
    const f = line.match(/^  (\w+)(\??): (.*);$/);
    if (f) out[f[1]] = { optional: f[2] === "?", type: f[3] };
  }
  return out;
}

const literals = (text) => [...text.matchAll(/"([^"]*)"/g)].map((m) => m[1]);

/** Checks `value` against a type expression of the .d.ts; returns problems. */
function check(value, type, at) {
  type = type.trim().replace(/^\|\s*/, "");
  if (type.endsWith("[]")) {
    if (!Array.isArray(value)) return [`${at}: not an array`];
    return value.flatMap((v, i) => check(v, type.slice(0, -2), `${at}[${i}]`));
  }
  const array = type.match(/^Array<(.*)>$/);
  if (array) return check(value, `${array[1]}[]`, at);
  if (type === "string" || type === "number" || type === "boolean")
    return typeof value === type ? [] : [`${at}: ${JSON.stringify(value)} is not a ${type}`];
  if (type === "true") return value === true ? [] : [`${at}: not true`];
  if (type === "JsonValue") return [];
  if (type.startsWith('"')) {
    const allowed = literals(type);
    return allowed.includes(value) ? [] : [`${at}: ${JSON.stringify(value)} not in ${type}`];
  }
  const alias = typeText(type);
  if (alias !== undefined) return check(value, alias, at);
  const shape = fields(type);
  if (typeof value !== "object" || value === null) return [`${at}: not an object`];
  const problems = [];
  for (const [key, v] of Object.entries(value)) {
    if (!(key in shape)) problems.push(`${at}.${key}: not in interface ${type}`);
    else problems.push(...check(v, shape[key].type, `${at}.${key}`));
  }
  for (const [key, f] of Object.entries(shape))
    if (!f.optional && !(key in value)) problems.push(`${at}.${key}: required by ${type}, missing`);
  return problems;
}

let emu;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu?.stop();
});

test("no any in the public surface", () => {
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert.doesNotMatch(code, /\bany\b/);
});

test("the .d.ts parser sees the unions", () => {
  assert.ok(literals(typeText("ErrorCode")).length >= 16);
  assert.deepEqual(literals(typeText("Outcome")), ["succeeded", "no_change", "partial", "failed", "planned"]);
  assert.ok(fields("Report").outcome);
});

test("reports of every kind match the Report interface", async () => {
  const lcm = new AtlassianLcm(emu.config({ allowDelete: true, protectedGroups: ["payroll-admins"] }));
  const reports = [
    await lcm.plan(joiner()),
    await lcm.handleEvent(joiner()),
    await lcm.handleEvent(joiner()),
    await lcm.handleEvent(mover()),
    await lcm.handleEvent(leaver()),
    await lcm.check(["engineering", "Engineering", "nope"]),
    await lcm.deleteIdentity({ worker: { hrId: "E1003" } }),
    await lcm.syncIdentities({
      worker: { hrId: "E7777", workEmail: "katherine.johnson@example.com", displayName: "K J" },
      options: { create: false },
    }),
    await new AtlassianLcm(emu.config()).deleteIdentity({ worker: { hrId: "E1002" } }),
    await new AtlassianLcm(emu.config({ dryRunOnly: true })).handleEvent(mover()),
    await new AtlassianLcm(emu.config(), { fetch: async () => { throw new Error("down"); } }).check([], {
      deadlineMs: Date.now() + 1_000,
    }),
  ];
  const seen = new Set();
  for (const [i, report] of reports.entries()) {
    assert.deepEqual(check(report, "Report", `report${i}`), []);
    seen.add(report.outcome);
    for (const s of report.steps) seen.add(`step:${s.status}`);
  }
  // The fixtures reach every outcome but `partial`'s cousin and most step statuses.
  for (const o of ["succeeded", "no_change", "planned", "failed", "partial", "step:done", "step:planned", "step:passed", "step:failed"]) {
    assert.ok(seen.has(o), `no report showed ${o}: ${[...seen]}`);
  }
});

test("capabilities() matches the Capabilities interface", () => {
  const caps = new AtlassianLcm(emu.config()).capabilities();
  assert.deepEqual(check(caps, "Capabilities", "capabilities"), []);
});

test("thrown errors match AtlassianLcmError", async () => {
  const lcm = new AtlassianLcm(emu.config());
  const errors = [];
  await lcm.run({ action: "NOPE" }).catch((e) => errors.push(e));
  try {
    new AtlassianLcm({});
  } catch (e) {
    errors.push(e);
  }
  const shape = fields("AtlassianLcmError");
  for (const e of errors) {
    assert.equal(e.name, "AtlassianLcmError");
    assert.ok(literals(typeText(shape.code.type)).includes(e.code), e.code);
    const own = Object.fromEntries(Object.keys(e).map((k) => [k, e[k]]));
    assert.deepEqual(check(own, "AtlassianLcmError", "error"), []);
  }
});
