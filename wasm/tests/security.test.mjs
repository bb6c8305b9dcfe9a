// The safety rails through the wasm host, one table row per rail: a purge
// without allowDelete, the removal cap, protected groups, privileged groups,
// custom endpoints without their opt-in, and bad input. Each row checks the
// exact error code and what the emulator saw: no request at all, or no
// write. The CLI and Lambda hosts run the same table (cli/tests/security.rs,
// tests/lambda/test_security.py).
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { AtlassianLcm, rejection } from "./support/lcm.mjs";

const ADA = "ada.lovelace@example.com";
const GRACE = "grace.hopper@example.com";
const ADA_GROUPS = ["confluence-users", "engineering", "jira-software-users", "platform-team"];

const emu = emulatorPerFile();

const event = (lifecycle, worker, access) => ({
  schemaVersion: "1",
  eventId: `sec-${lifecycle}`,
  lifecycle,
  occurredAt: "2026-11-30T09:00:00Z",
  worker,
  ...(access ? { access } : {}),
});
const ada = { hrId: "E1001", workEmail: ADA };
const grace = { hrId: "E1002", workEmail: GRACE };
const newcomer = (extra = {}) => ({
  hrId: "E4242",
  workEmail: "hedy.lamarr@example.com",
  displayName: "Hedy Lamarr",
  ...extra,
});
const joiner = (worker) => event("joiner", worker, { groups: ["confluence-users"] });

const writes = (log) =>
  log.filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method) && !r.path.endsWith("/search"));

// settings: changes to the emulator's config (undefined removes a key).
// code: the exact code of the report's first error (null: none), or of the
// AtlassianLcmError a refusal throws (refused: "construct" or "run").
// calls: "none" (no request at all), "noWrites", or "onlyDeactivation" (a
// leaver's deactivation is the safe direction; no cap holds it back).
const rails = [
  {
    name: "purge without allowDelete",
    input: event("purge", grace),
    code: "action_disabled",
    mentions: "LCM_ALLOW_DELETE",
    calls: "none",
  },
  {
    name: "mover removing more than maxRemovals",
    settings: { maxRemovals: 2 },
    input: event("mover", ada, { groups: ["jira-software-users", "confluence-users", "engineering"], mode: "remove" }),
    code: "removal_cap_exceeded",
    calls: "noWrites",
    step: [`user ${ADA}`, "remove_memberships", "failed"],
    groups: [ADA, ADA_GROUPS],
  },
  {
    name: "leaver with more memberships than maxRemovals",
    settings: { maxRemovals: 2 },
    input: event("leaver", ada),
    code: "removal_cap_exceeded",
    calls: "onlyDeactivation",
    step: [`user ${ADA}`, "remove_memberships", "failed"],
    groups: [ADA, ADA_GROUPS],
  },
  {
    name: "replace that would drop a protected group",
    settings: { protectedGroups: ["platform-team"] },
    input: event("mover", ada, { groups: ["jira-software-users", "confluence-users", "engineering"], mode: "replace" }),
    code: null,
    calls: "noWrites",
    step: ["group platform-team", "remove_membership", "skipped"],
    groups: [ADA, ADA_GROUPS],
  },
  {
    name: "grant of a privileged group (default privilegedGroups)",
    input: event("mover", grace, { groups: ["payroll-admins"], mode: "add" }),
    code: "group_not_grantable",
    calls: "noWrites",
    step: ["group payroll-admins", "add_membership", "failed"],
    groups: [GRACE, ["engineering", "jira-software-users"]],
    neverNamed: "payroll-admins",
  },
  {
    name: "custom endpoints without allowCustomEndpoints",
    settings: { allowCustomEndpoints: undefined },
    input: joiner(newcomer()),
    refused: "construct",
    code: "invalid_config",
    mentions: "allowCustomEndpoints",
    calls: "none",
  },
  {
    name: "malformed e-mail",
    input: joiner(newcomer({ workEmail: "hedy.example.com" })),
    refused: "run",
    code: "invalid_input",
    field: "worker.workEmail",
    calls: "none",
  },
  {
    name: "unknown field",
    input: joiner(newcomer({ givenNam: "Hedy" })),
    refused: "run",
    code: "invalid_input",
    field: "worker.givenNam",
    calls: "none",
  },
  {
    name: "malformed event",
    input: { schemaVersion: "1", eventId: "sec-bad", lifecycle: "joiner", worker: "hedy" },
    refused: "run",
    code: "invalid_input",
    field: "worker",
    calls: "none",
  },
];

function configFor(settings = {}) {
  const config = emu.config();
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  return config;
}

const firstErrorCode = (report) =>
  (report.error ?? report.steps.find((s) => s.error)?.error)?.code ?? null;

/** Runs the rail; returns the report, or the error a refusal threw. */
async function runRail(rail, fetched) {
  const options = {
    fetch: (url, init) => {
      fetched.push(url);
      return fetch(url, init);
    },
  };
  let lcm;
  try {
    lcm = new AtlassianLcm(configFor(rail.settings), options);
  } catch (e) {
    assert.equal(rail.refused, "construct", `${rail.name}: the constructor threw ${e.code}: ${e.message}`);
    return { error: e };
  }
  assert.notEqual(rail.refused, "construct", `${rail.name}: the configuration was accepted`);
  if (rail.refused === "run") return { error: await rejection(lcm.handleEvent(rail.input)) };
  return { report: await lcm.handleEvent(rail.input) };
}

function checkAnswer(rail, { report, error }) {
  const where = `${rail.name}: ${JSON.stringify(report ?? { code: error?.code, message: error?.message })}`;
  if (rail.refused) {
    assert.equal(error.name, "AtlassianLcmError", where);
    assert.equal(error.code, rail.code, where);
    if (rail.field) assert.equal(error.field, rail.field, where);
    if (rail.mentions) assert.match(error.message, new RegExp(rail.mentions), where);
    return;
  }
  assert.equal(firstErrorCode(report), rail.code, where);
  if (rail.mentions) assert.match(report.error.message, new RegExp(rail.mentions), where);
  if (rail.step) {
    const [target, operation, status] = rail.step;
    const steps = report.steps.filter((s) => s.target === target && s.operation === operation);
    assert.deepEqual(steps.map((s) => s.status), [status], where);
  }
}

async function checkCalls(rail, fetched) {
  const log = await emu.requests();
  assert.equal(fetched.length, log.length, `${rail.name}: every request went through the injected fetch`);
  if (rail.calls === "none") {
    assert.deepEqual(log, [], `${rail.name} reached Atlassian`);
  } else if (rail.calls === "noWrites") {
    assert.deepEqual(writes(log), [], `${rail.name} wrote`);
  } else {
    const w = writes(log);
    assert.equal(w.length, 1, `${rail.name}: ${JSON.stringify(w)}`);
    assert.ok(w[0].method === "PATCH" && w[0].path.includes("/Users/"), JSON.stringify(w[0]));
  }
  if (rail.neverNamed) {
    const named = log.filter((r) => JSON.stringify(r).includes(rail.neverNamed));
    assert.deepEqual(named, [], `${rail.neverNamed} was looked up`);
  }
  if (rail.groups) {
    const [email, groups] = rail.groups;
    assert.deepEqual((await emu.user(email)).groups.sort(), groups, `${rail.name}: ${email}'s groups`);
  }
}

describe("safety rails", () => {
  for (const rail of rails) {
    test(rail.name, async () => {
      const fetched = [];
      const answer = await runRail(rail, fetched);
      checkAnswer(rail, answer);
      await checkCalls(rail, fetched);
    });
  }
});
