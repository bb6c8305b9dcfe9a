// Worker-state events through run(): a roster line with no lifecycle, whose
// action the engine derives from the person's state in Atlassian, ordered by
// occurredAt like any event; a state without occurredAt is refused with no call.
import { test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { AtlassianLcm, rejection } from "./support/lcm.mjs";

const emu = emulatorPerFile();

const writes = (log) =>
  log.filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method) && !r.path.endsWith("/search"));

const state = (eventId, occurredAt, line) => ({ eventId, occurredAt, ...line });
const grace = { hrId: "E1002", workEmail: "grace.hopper@example.com" };

test("run() derives create, update and deprovision, and a replay writes nothing", async () => {
  const lcm = new AtlassianLcm(emu.config());
  const mary = {
    hrId: "E3001",
    workEmail: "mary.somerville@example.com",
    displayName: "Mary Somerville",
    groups: ["engineering"],
  };
  const created = await lcm.run(state("w-1", "2026-11-30T09:00:00Z", mary));
  assert.equal(created.derived, "create", JSON.stringify(created, null, 2));
  assert.equal(created.outcome, "succeeded");
  assert.deepEqual(created.actions, ["SYNC_IDENTITIES", "MANAGE_RELATIONSHIPS"]);
  assert.deepEqual((await emu.user("mary.somerville@example.com")).groups, ["engineering"]);

  const moved = await lcm.run(state("w-2", "2026-11-30T09:00:00Z", { ...grace, title: "Principal Engineer" }));
  assert.equal(moved.derived, "update");
  assert.equal((await emu.user("grace.hopper@example.com")).scim.title, "Principal Engineer");

  const gone = await lcm.run(
    state("w-3", "2026-11-30T09:00:00Z", { hrId: "E1003", workEmail: "joan.clarke@example.com", status: "terminated" }),
  );
  assert.equal(gone.derived, "deprovision");
  assert.equal((await emu.user("joan.clarke@example.com")).scim.active, false);

  await emu.clearRequests();
  const again = await lcm.run(state("w-4", "2026-11-30T10:00:00Z", mary));
  assert.equal(again.derived, "unchanged");
  assert.equal(again.outcome, "no_change");
  assert.deepEqual(writes(await emu.requests()), []);
  assert.equal(again.apiCalls, 3, "the person's look-ups only");
});

test("an older state after a newer one is stale, with nothing sent", async () => {
  const lcm = new AtlassianLcm(emu.config());
  const newer = await lcm.run(state("w-new", "2026-11-30T10:00:00Z", { ...grace, title: "Principal Engineer" }));
  assert.equal(newer.outcome, "succeeded", JSON.stringify(newer, null, 2));
  await emu.clearRequests();
  const older = await lcm.run(state("w-old", "2026-11-30T09:00:00Z", { ...grace, title: "Intern" }));
  assert.equal(older.error.code, "stale_event");
  assert.deepEqual(older.staleAfter, {
    eventId: "w-new",
    occurredAt: "2026-11-30T10:00:00.000Z",
    lifecycle: "state",
  });
  assert.equal(older.apiCalls, 0);
  assert.deepEqual(await emu.requests(), []);
});

test("a state without occurredAt is invalid_input naming it, with no call", async () => {
  const lcm = new AtlassianLcm(emu.config());
  await emu.clearRequests();
  const e = await rejection(lcm.run({ eventId: "w-x", ...grace }));
  assert.equal(e.code, "invalid_input");
  assert.equal(e.field, "occurredAt", e.message);
  assert.deepEqual(await emu.requests(), []);
});
