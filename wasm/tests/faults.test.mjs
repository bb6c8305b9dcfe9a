// Rate limits: an injected 429 storm is ridden out with the server's waits
// (setTimeout), and a storm that never ends is reported, not thrown.
import { test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { joiner } from "./support/fixtures.mjs";
import { AtlassianLcm } from "./support/lcm.mjs";

const emu = emulatorPerFile();

test("a 429 storm is retried with Retry-After and X-RateLimit-Reset until the joiner succeeds", async () => {
  await emu.faults({
    seed: 7,
    rate429: 0.3,
    retryAfterSecs: 0,
    script: [
      { method: "POST", pathContains: "/Users", status: 429, times: 2, retryAfterSecs: 1 },
      { pathContains: "/groups/search", status: 429, times: 1, rateLimitResetSecs: 1 },
    ],
  });
  const lcm = new AtlassianLcm(emu.config());
  const started = Date.now();
  const report = await lcm.handleEvent(joiner());
  const elapsed = Date.now() - started;
  assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
  const log = await emu.requests();
  const refused = log.filter((r) => r.status === 429);
  assert.ok(refused.length >= 3, `${refused.length} injected 429s`);
  assert.equal(report.retries, refused.length, "every 429 was retried once");
  assert.equal(report.apiCalls, log.length);
  // Two waits of Retry-After: 1 s on the create: the sleeps really waited.
  assert.ok(elapsed >= 2_000, `${elapsed} ms`);
  const user = await emu.user("mary.somerville@example.com");
  assert.deepEqual(user.groups.sort(), ["engineering", "jira-software-users"]);
  const creates = log.filter((r) => r.method === "POST" && r.path.endsWith("/Users") && r.status === 201);
  assert.equal(creates.length, 1, "the user was created once");
});

test("a storm that outlasts the retries ends in a failed report", async () => {
  await emu.faults({ rate429: 1, retryAfterSecs: 0 });
  const lcm = new AtlassianLcm(emu.config());
  const report = await lcm.check();
  assert.equal(report.outcome, "failed");
  const failed = report.steps.filter((s) => s.status === "failed");
  assert.ok(failed.length >= 1);
  for (const step of failed) {
    assert.equal(step.httpStatus, 429);
    assert.equal(step.attempts, 6);
  }
});
