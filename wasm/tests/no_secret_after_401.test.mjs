// After Atlassian (the emulator) answers 401 to both credentials, nothing the
// package hands back or prints holds either of them: not the reports, not the
// errors it throws (message, stack, every property), not what it writes to
// the console or to stdout/stderr, and not what `util.inspect`, `String` or
// JSON make of the instance, its capabilities or its errors.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";

import { startEmulator } from "./support/emulator.mjs";
import { joiner, leaver, mover } from "./support/fixtures.mjs";
import { AtlassianLcm, rejection } from "./support/lcm.mjs";

// Credentials the emulator does not know, so every call is answered 401.
const SCIM_TOKEN = "wasm-scim-token-3f9c1e77d0a4";
const ADMIN_API_KEY = "wasm-admin-api-key-b52d08aa91c6";
// Distinctive parts, so a token cut or masked around its middle is caught too.
const NEEDLES = [SCIM_TOKEN, ADMIN_API_KEY, "3f9c1e77d0a4", "b52d08aa91c6"];

let emu;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu?.stop();
});

/** Everything written to the console or the process's stdout/stderr until `stop()`. */
function captureOutput() {
  const written = [];
  const saved = {};
  for (const name of ["log", "info", "warn", "error", "debug", "trace"]) {
    saved[name] = console[name];
    console[name] = (...args) => written.push(args.map((a) => inspect(a, { depth: null })).join(" "));
  }
  const streams = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = (chunk, ...rest) => {
      written.push(String(chunk));
      return typeof rest.at(-1) === "function" ? (rest.at(-1)(), true) : true;
    };
    return [stream, write];
  });
  return {
    text: () => written.join("\n"),
    stop() {
      Object.assign(console, saved);
      for (const [stream, write] of streams) stream.write = write;
    },
  };
}

/** Every way a value could be shown: JSON, `String`, and `inspect` with hidden properties. */
function renderings(value) {
  const out = [String(value), inspect(value, { depth: null, showHidden: true, getters: true })];
  try {
    out.push(JSON.stringify(value, value instanceof Error ? Object.getOwnPropertyNames(value) : undefined));
  } catch (e) {
    out.push(String(e));
  }
  if (value instanceof Error) out.push(value.stack ?? "", JSON.stringify(value.fields ?? null));
  return out.join("\n");
}

function assertNoSecret(what, text) {
  for (const needle of NEEDLES) {
    assert.ok(!text.includes(needle), `${what} holds a credential (${needle}):\n${text}`);
  }
}

test("a 401 from both APIs leaves no credential in reports, errors, output or inspection", async () => {
  const config = emu.config({ scimToken: SCIM_TOKEN, adminApiKey: ADMIN_API_KEY });
  const sent = [];
  const lcm = new AtlassianLcm(config, {
    fetch: (url, init) => {
      sent.push(init.headers.authorization);
      return fetch(url, init);
    },
  });
  const output = captureOutput();
  const reports = [];
  const thrown = [];
  try {
    console.log("capture canary");
    reports.push(await lcm.check(["jira-software-users", "engineering"]));
    reports.push(await lcm.handleEvent(joiner()));
    reports.push(await lcm.run(mover()));
    reports.push(await lcm.plan(leaver()));
    reports.push(await lcm.run(leaver()));
    // Errors thrown after the 401s: bad input, and a bad config carrying the same credentials.
    thrown.push(await rejection(lcm.run({ ...joiner(), worker: { hrId: "E1" } })));
    try {
      new AtlassianLcm({ ...config, maxRemovals: "many", scimTokn: SCIM_TOKEN });
    } catch (e) {
      thrown.push(e);
    }
    try {
      new AtlassianLcm({ ...config, scimUrl: `https://user:${SCIM_TOKEN}@example.com/scim` });
    } catch (e) {
      thrown.push(e);
    }
  } finally {
    output.stop();
  }

  // The secrets were in play: sent as bearer tokens, and refused with 401 by both APIs.
  assert.ok(sent.includes(`Bearer ${SCIM_TOKEN}`), "the SCIM token was never sent");
  assert.ok(sent.includes(`Bearer ${ADMIN_API_KEY}`), "the Admin API key was never sent");
  const requests = await emu.requests();
  for (const api of ["scim", "admin"]) {
    assert.ok(
      requests.some((r) => r.status === 401 && JSON.stringify(r.api).toLowerCase().includes(api)),
      `no 401 from the ${api} API: ${JSON.stringify(requests.map((r) => [r.api, r.status]))}`,
    );
  }
  assert.ok(output.text().includes("capture canary"), "the console capture saw nothing");
  assert.equal(thrown.length, 3, "every bad call threw");
  for (const report of reports) {
    assert.ok(!["succeeded", "no_change"].includes(report.outcome), JSON.stringify(report));
  }
  assert.match(JSON.stringify(reports), /unauthorized/, "the reports do not say what failed");

  reports.forEach((r, i) => assertNoSecret(`report ${i}`, renderings(r)));
  thrown.forEach((e, i) => assertNoSecret(`thrown error ${i}`, renderings(e)));
  assertNoSecret("the console and process output", output.text());
  assertNoSecret("the instance", renderings(lcm));
  assertNoSecret("capabilities()", renderings(lcm.capabilities()));
});
