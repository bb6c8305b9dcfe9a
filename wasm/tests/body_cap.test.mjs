// A response body over 16 MiB is refused, in a report naming the cap, and is
// not asked for again: a stream is cancelled at the cap, a larger declared
// Content-Length is refused before the body is read at all.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { startEmulator } from "./support/emulator.mjs";
import { AtlassianLcm } from "./support/lcm.mjs";

const MiB = 1024 * 1024;

let emu;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu?.stop();
});

/** Checks through `fetch`; returns the steps refused at the cap. */
async function refusedSteps(fetch) {
  const lcm = new AtlassianLcm(emu.config(), { fetch });
  const report = await lcm.check();
  assert.equal(report.outcome, "failed", JSON.stringify(report));
  const refused = report.steps.filter((s) => /16 MiB cap/.test(s.error?.message ?? ""));
  assert.ok(refused.length >= 1, JSON.stringify(report.steps));
  for (const step of refused) {
    assert.equal(step.error.code, "unexpected_response");
    assert.equal(step.attempts, 1, "not retried");
  }
  return refused;
}

test("an endless body stream is cancelled at the cap", async () => {
  let pulled = 0;
  let cancelled = 0;
  const refused = await refusedSteps(async () => {
    const body = new ReadableStream({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(MiB));
      },
      cancel() {
        cancelled += 1;
      },
    });
    return new Response(body, { status: 200 });
  });
  assert.ok(cancelled >= refused.length, `${cancelled} streams cancelled`);
  // 17 pulls reach the cap; the stream may read a few ahead, never on and on.
  assert.ok(pulled <= refused.length * 20, `${pulled} chunks pulled`);
});

test("a declared Content-Length over the cap is refused before the body is read", async () => {
  let read = 0;
  await refusedSteps(async () => ({
    status: 200,
    headers: new Headers({ "content-length": String(16 * MiB + 1) }),
    arrayBuffer: async () => {
      read += 1;
      return new ArrayBuffer(0);
    },
  }));
  assert.equal(read, 0, "the body was read");
});

test("a stand-in without a stream is held to the cap too", async () => {
  await refusedSteps(async () => ({
    status: 200,
    headers: new Headers(),
    arrayBuffer: async () => new ArrayBuffer(16 * MiB + 1),
  }));
});
