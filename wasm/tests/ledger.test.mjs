// The ordering ledger in JavaScript: a stale event refused through an injected
// ledger is a report (not a throw) with nothing sent; two instances sharing a
// ledger share the order; without one, every report warns that ordering holds
// only within the instance; a bad ledger object is refused as invalid_config.
import { test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { leaver, mover } from "./support/fixtures.mjs";
import { AtlassianLcm, rejection } from "./support/lcm.mjs";

const emu = emulatorPerFile();

/** A ledger over a Map, as a host would write one over its own store. */
function mapLedger() {
  const store = new Map();
  const calls = [];
  return {
    store,
    calls,
    async get(key) {
      calls.push(["get", key]);
      const text = store.get(key);
      return text === undefined ? null : JSON.parse(text);
    },
    async compareAndSet(key, expected, next) {
      calls.push(["compareAndSet", key]);
      const current = store.get(key) ?? null;
      if (current !== (expected === null ? null : JSON.stringify(expected))) return false;
      store.set(key, JSON.stringify(next));
      return true;
    },
    async release(key, owner) {
      calls.push(["release", key]);
      const text = store.get(key);
      if (text === undefined) return;
      const entry = JSON.parse(text);
      if (entry.leaseOwner === owner) {
        delete entry.leaseOwner;
        delete entry.leaseExpiresAtMs;
        store.set(key, JSON.stringify(entry));
      }
    },
  };
}

const grace = { hrId: "E1002", workEmail: "grace.hopper@example.com" };

test("a stale mover after a leaver is a report naming the leaver, with nothing sent", async () => {
  const ledger = mapLedger();
  const first = new AtlassianLcm(emu.config(), { ledger });
  const gone = await first.handleEvent(
    leaver({ eventId: "L-1", occurredAt: "2026-11-30T10:00:00Z", worker: grace }),
  );
  assert.equal(gone.outcome, "succeeded", JSON.stringify(gone, null, 2));
  assert.ok(!(gone.warnings ?? []).some((w) => w.includes("no ledger")), "an injected ledger has no warning");
  const entry = JSON.parse(ledger.store.get("hr:E1002"));
  assert.equal(entry.fact.eventId, "L-1");
  assert.equal(entry.fact.lifecycle, "leaver");
  assert.equal(entry.leaseOwner, undefined, "the lease was given back");

  // Another instance over the same ledger: the order holds across instances.
  const second = new AtlassianLcm(emu.config(), { ledger });
  const before = (await emu.requests()).length;
  const stale = await second.handleEvent(mover({ eventId: "M-0", occurredAt: "2026-11-30T09:00:00Z" }));
  assert.equal(stale.outcome, "failed");
  assert.equal(stale.error.code, "stale_event");
  assert.match(stale.error.message, /L-1/);
  assert.deepEqual(stale.staleAfter, {
    eventId: "L-1",
    occurredAt: "2026-11-30T10:00:00.000Z",
    lifecycle: "leaver",
  });
  assert.equal(stale.apiCalls, 0);
  assert.equal((await emu.requests()).length, before, "nothing was sent");
  const user = await emu.user("grace.hopper@example.com");
  assert.deepEqual(user.groups, []);
});

test("without a ledger every report warns that ordering holds only in this instance", async () => {
  const lcm = new AtlassianLcm(emu.config());
  const report = await lcm.check();
  assert.ok(
    (report.warnings ?? []).some((w) => w.includes("ordered only within this instance")),
    JSON.stringify(report.warnings),
  );
  // And the instance orders its own events.
  await lcm.handleEvent(leaver({ eventId: "L-2", occurredAt: "2026-11-30T10:00:00Z", worker: grace }));
  const stale = await lcm.handleEvent(mover({ eventId: "M-1", occurredAt: "2026-11-30T09:00:00Z" }));
  assert.equal(stale.error?.code, "stale_event");
  // Each instance has its own memory: a new one knows nothing of L-2.
  const fresh = new AtlassianLcm(emu.config());
  const plan = await fresh.plan(mover({ eventId: "M-1", occurredAt: "2026-11-30T09:00:00Z" }));
  assert.notEqual(plan.error?.code, "stale_event");
});

test("a ledger that throws fails the run as ledger_unavailable, nothing sent", async () => {
  const ledger = {
    ...mapLedger(),
    async compareAndSet() {
      throw new Error("the store is down");
    },
  };
  const lcm = new AtlassianLcm(emu.config(), { ledger });
  const report = await lcm.handleEvent(leaver({ occurredAt: "2026-11-30T10:00:00Z" }));
  assert.equal(report.outcome, "failed");
  assert.equal(report.error.code, "ledger_unavailable");
  assert.match(report.error.message, /the store is down/);
  assert.deepEqual(await emu.requests(), []);
});

test("a bad ledger object is refused with invalid_config naming it", async () => {
  const cases = [
    ["ledger", "not a ledger"],
    ["ledger.compareAndSet", { get: async () => null, release: async () => {} }],
    ["ledger.get", { get: 1, compareAndSet: async () => true, release: async () => {} }],
  ];
  for (const [field, ledger] of cases) {
    let thrown;
    try {
      new AtlassianLcm(emu.config(), { ledger });
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown, `${field}: expected a throw`);
    assert.equal(thrown.code, "invalid_config", thrown.message);
    assert.equal(thrown.fields[0].field, field, thrown.message);
  }
  const e = await rejection(Promise.resolve().then(() => new AtlassianLcm(emu.config(), { ledgr: {} })));
  assert.equal(e.code, "invalid_config");
  assert.match(e.message, /ledgr/);
  assert.deepEqual(await emu.requests(), []);
});
