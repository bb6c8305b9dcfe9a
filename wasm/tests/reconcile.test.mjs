// reconcile(rosterLines, { apply }) through the built Node package against the
// emulator (the demo seed): the plan reads only, apply converges, a second
// apply writes nothing, the deprovision cap refuses with nothing sent, and a
// bad roster line rejects before any call. The document is the CLI's --json.
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { AtlassianLcm, rejection } from "./support/lcm.mjs";

const emu = emulatorPerFile();

const writes = (log) =>
  log.filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method) && !r.path.endsWith("/search"));

// Ada drops a product group; Grace is retitled and moves team; Alan is
// unclaimed (adopted); Katherine is Okta's (skipped); Mary is a new hire;
// Joan left (her leaver was lost). Linus, in the seed only, is an orphan.
const WORKERS = [
  { hrId: "E1001", workEmail: "ada.lovelace@example.com", title: "Engineer", groups: ["jira-software-users", "engineering", "platform-team"] },
  { hrId: "E1002", workEmail: "grace.hopper@example.com", title: "Principal Engineer", groups: ["jira-software-users", "platform-team"] },
  { hrId: "E1004", workEmail: "alan.turing@example.com", groups: ["confluence-users"] },
  { hrId: "E1005", workEmail: "katherine.johnson@example.com", groups: ["engineering"] },
  { hrId: "E2001", workEmail: "mary.somerville@example.com", givenName: "Mary", familyName: "Somerville", displayName: "Mary Somerville", groups: ["engineering"] },
  { hrId: "E1003", workEmail: "joan.clarke@example.com", status: "terminated" },
];
const ROSTER = WORKERS.map((w) => JSON.stringify(w)).join("\n") + "\n";

const KEYS = ["create", "update", "deprovision", "membershipsAdded", "membershipsRemoved", "orphans", "unchanged"];
const counts = (d) => Object.fromEntries(KEYS.map((k) => [k, d.summary[k]]));
const DRIFT = { create: 1, update: 2, deprovision: 1, membershipsAdded: 2, membershipsRemoved: 2, orphans: 1, unchanged: 0 };

// One deprovision is the drift; the default 5 % of six allows none.
const oneLeaver = () => new AtlassianLcm(emu.config({ maxDeprovisions: 1 }));

describe("reconcile", () => {
  test("the plan names every drift and makes zero writes", async () => {
    await emu.clearRequests();
    const d = await oneLeaver().reconcile(ROSTER);
    assert.equal(d.applied, false);
    assert.deepEqual(counts(d), DRIFT, JSON.stringify(d, null, 2));
    assert.equal(d.refused, undefined);
    const log = await emu.requests();
    assert.deepEqual(writes(log), [], "a plan writes nothing");
    assert.equal(d.apiCalls, log.length, "every read counted");
    const entry = (email) => d.entries.find((e) => e.email === email);
    assert.deepEqual(entry("grace.hopper@example.com").changes, [
      { path: "title", before: "Staff Engineer", after: "Principal Engineer" },
    ]);
    assert.equal(entry("katherine.johnson@example.com").action, "skip");
    assert.equal(entry("joan.clarke@example.com").action, "deprovision");
    assert.deepEqual(
      d.orphans.map((o) => [o.email, o.externalId, o.action]),
      [["linus.former@example.com", "E0999", "report"]],
    );
  });

  test("apply converges and a second apply writes nothing", async () => {
    const lcm = oneLeaver();
    const d = await lcm.reconcile(ROSTER, { apply: true });
    assert.equal(d.applied, true);
    assert.equal(d.failed, 0, JSON.stringify(d, null, 2));
    assert.deepEqual(counts(d), DRIFT, "done counts");
    assert.equal(d.run.events, 5);
    assert.equal(d.run.outcomes.succeeded, 5);
    assert.ok(d.entries.every((e) => e.action === "skip" || e.outcome === "succeeded"));

    const mary = await emu.user("mary.somerville@example.com");
    assert.equal(mary.scim.externalId, "E2001");
    assert.deepEqual(mary.groups, ["engineering"]);
    const joan = await emu.user("joan.clarke@example.com");
    assert.equal(joan.scim.active, false);
    assert.deepEqual(joan.groups, [], "the lost leaver is done");
    const grace = await emu.user("grace.hopper@example.com");
    assert.equal(grace.scim.title, "Principal Engineer");
    assert.deepEqual(grace.groups.sort(), ["jira-software-users", "platform-team"]);

    await emu.clearRequests();
    const again = await lcm.reconcile(ROSTER, { apply: true });
    assert.deepEqual(writes(await emu.requests()), [], "converged: nothing left to write");
    assert.deepEqual(
      counts(again),
      { create: 0, update: 0, deprovision: 0, membershipsAdded: 0, membershipsRemoved: 0, orphans: 1, unchanged: 5 },
      JSON.stringify(again, null, 2),
    );
  });

  test("the deprovision cap refuses a mass deprovision with zero writes", async () => {
    await emu.clearRequests();
    // The default cap, 5 % of a six-person roster, allows none.
    const d = await new AtlassianLcm(emu.config()).reconcile(ROSTER, { apply: true });
    assert.equal(d.applied, false);
    assert.equal(d.refused.code, "deprovision_cap_exceeded");
    assert.match(d.refused.message, /deprovisions 1 people, more than LCM_MAX_DEPROVISIONS allows \(0 for a roster of 6\)/);
    assert.deepEqual(writes(await emu.requests()), [], "nothing sent");
    assert.equal((await emu.user("joan.clarke@example.com")).scim.active, true);
  });

  test("a bad roster line rejects naming each line, with zero calls", async () => {
    await emu.clearRequests();
    const bad = [
      JSON.stringify(WORKERS[0]),
      JSON.stringify({ hrId: "E9", workEmail: "not-an-email" }),
      "{nope",
      JSON.stringify(WORKERS[0]),
    ].join("\n");
    const e = await rejection(oneLeaver().reconcile(bad, { apply: true }));
    assert.equal(e.name, "AtlassianLcmError");
    assert.equal(e.code, "invalid_input");
    assert.equal(e.field, "roster");
    assert.match(e.message, /the roster has 3 bad lines; nothing was sent/);
    assert.match(e.message, /\n {2}line 2: workEmail: /);
    assert.match(e.message, /\n {2}line 3: \(line\): not valid JSON/);
    assert.deepEqual(
      e.lines.map((l) => [l.line, l.field]),
      [[2, "workEmail"], [3, "(line)"], [4, "hrId"]],
      JSON.stringify(e.lines),
    );
    assert.deepEqual(await emu.requests(), [], "zero calls");
  });

  test("an array of lines (objects or strings) is the same roster, numbered by element", async () => {
    await emu.clearRequests();
    const lines = [WORKERS[0], JSON.stringify(WORKERS[1]), ...WORKERS.slice(2)];
    const d = await oneLeaver().reconcile(lines);
    assert.deepEqual(counts(d), DRIFT);
    assert.deepEqual(writes(await emu.requests()), []);

    await emu.clearRequests();
    const e = await rejection(oneLeaver().reconcile([WORKERS[0], { hrId: "E9", workEmail: "not-an-email" }]));
    assert.equal(e.code, "invalid_input");
    assert.equal(e.lines[0].line, 2, JSON.stringify(e.lines));
    const nl = await rejection(oneLeaver().reconcile([`${JSON.stringify(WORKERS[0])}\n{}`]));
    assert.equal(nl.field, "roster[0]");
    const opt = await rejection(oneLeaver().reconcile(ROSTER, { apply: "yes" }));
    assert.equal(opt.field, "(options).apply");
    const other = await rejection(oneLeaver().reconcile(42));
    assert.equal(other.field, "roster");
    assert.deepEqual(await emu.requests(), [], "zero calls");
  });
});
