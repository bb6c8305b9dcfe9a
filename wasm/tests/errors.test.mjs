// Bad input and bad configuration reject with AtlassianLcmError and send
// nothing; failures after that are reports. Also: the injectable fetch.
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { joiner, leaver } from "./support/fixtures.mjs";
import { AtlassianLcm, rejection } from "./support/lcm.mjs";

const emu = emulatorPerFile();

describe("bad input", () => {
  const cases = [
    ["missing work e-mail", { ...joiner(), worker: { hrId: "E1" } }, "worker.workEmail"],
    ["malformed e-mail", { ...joiner(), worker: { ...joiner().worker, workEmail: "ada.example.com" } }, "worker.workEmail"],
    ["unknown field", { ...joiner(), worker: { ...joiner().worker, givenNam: "x" } }, "worker.givenNam"],
    ["unknown lifecycle", { ...joiner(), lifecycle: "retiree" }, "lifecycle"],
    ["leaver with access", { ...leaver(), access: { groups: ["a"] } }, "access"],
    ["duplicate group", { ...joiner(), access: { groups: ["a", "a"] } }, "access.groups[1]"],
    ["a direct call", { action: "CHECK" }, "action"],
    ["not an object", "joiner", "(body)"],
  ];
  for (const [name, input, field] of cases) {
    test(`${name} rejects with invalid_input naming ${field}, nothing sent`, async () => {
      const lcm = new AtlassianLcm(emu.config());
      const e = await rejection(lcm.handleEvent(input));
      assert.ok(e instanceof Error);
      assert.equal(e.name, "AtlassianLcmError");
      assert.equal(e.code, "invalid_input");
      assert.equal(e.field, field, e.message);
      assert.deepEqual(await emu.requests(), []);
    });
  }

  test("action methods set the action themselves", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const e = await rejection(lcm.syncIdentities({ action: "CHECK", worker: joiner().worker }));
    assert.equal(e.field, "action");
    const f = await rejection(lcm.deprovisionIdentity({ worker: {} }));
    assert.equal(f.field, "worker");
    const g = await rejection(lcm.check("engineering"));
    assert.equal(g.field, "groups");
    const h = await rejection(lcm.run(joiner(), { deadlineMs: "soon" }));
    assert.equal(h.field, "(options).deadlineMs");
    const cyclic = {};
    cyclic.self = cyclic;
    const i = await rejection(lcm.run(cyclic));
    assert.equal(i.code, "invalid_input");
    assert.deepEqual(await emu.requests(), []);
  });
});

describe("bad configuration", () => {
  test("every problem is named, in JavaScript spelling", () => {
    let thrown;
    try {
      new AtlassianLcm({ scimUrl: "http://127.0.0.1:1/scim/directory/d", maxRemovals: "many", scimTokn: "x" });
    } catch (e) {
      thrown = e;
    }
    assert.equal(thrown?.code, "invalid_config");
    assert.equal(thrown.fields[0].field, "scimTokn", "unknown keys are refused first");
    try {
      new AtlassianLcm({ scimUrl: "http://127.0.0.1:1/scim/directory/d", maxRemovals: "many" });
    } catch (e) {
      thrown = e;
    }
    const fields = thrown.fields.map((f) => f.field).sort();
    assert.deepEqual(fields, ["adminApiKey", "maxRemovals", "scimOrganizationId", "scimToken", "scimUrl"]);
    assert.match(thrown.fields.find((f) => f.field === "scimUrl").message, /allowCustomEndpoints: true/);
    assert.doesNotMatch(thrown.message, /LCM_/, "JavaScript users are told JavaScript names");
  });

  test("secrets never appear in errors", () => {
    try {
      new AtlassianLcm({ ...emu.config(), scimToken: 42, adminApiKey: "super-secret-key", dryRunOnly: "perhaps" });
      assert.fail("expected a throw");
    } catch (e) {
      assert.equal(e.code, "invalid_config");
      assert.doesNotMatch(JSON.stringify({ m: e.message, f: e.fields }), /super-secret-key/);
    }
  });

  test("constructor options are checked", () => {
    assert.throws(() => new AtlassianLcm(emu.config(), { fetch: "no" }), { code: "invalid_config" });
    assert.throws(() => new AtlassianLcm(emu.config(), { fetcher: fetch }), { code: "invalid_config" });
  });
});

describe("injected fetch", () => {
  test("every request goes through it, with the credentials and no redirects", async () => {
    const seen = [];
    const lcm = new AtlassianLcm(emu.config(), {
      fetch: (url, init) => {
        seen.push({ url, init });
        return fetch(url, init);
      },
    });
    const report = await lcm.handleEvent(joiner());
    assert.equal(report.outcome, "succeeded");
    assert.equal(seen.length, report.apiCalls);
    for (const { url, init } of seen) {
      assert.ok(url.startsWith(emu.info.baseUrl), url);
      assert.equal(init.redirect, "manual");
      assert.match(init.headers.authorization, /^Bearer /);
    }
    const post = seen.find((s) => s.init.method === "POST" && s.url.endsWith("/Users"));
    assert.equal(post.init.headers["content-type"], "application/scim+json");
    assert.equal(JSON.parse(Buffer.from(post.init.body).toString()).userName, "mary.somerville@example.com");
  });

  test("a rejected fetch is a transport failure in the report, without secrets", async () => {
    const lcm = new AtlassianLcm(emu.config({ scimToken: "scim-secret-token" }), {
      fetch: async () => {
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
      },
    });
    const report = await lcm.run(leaver(), { deadlineMs: Date.now() + 2_000 });
    assert.equal(report.outcome, "failed");
    const error = report.error ?? report.steps.find((s) => s.error)?.error;
    assert.ok(["transport", "deadline_exceeded"].includes(error.code), JSON.stringify(report));
    assert.match(error.message, /ECONNREFUSED/);
    assert.doesNotMatch(JSON.stringify(report), /scim-secret-token/);
  });

  test("a redirect is refused, not followed", async () => {
    for (const response of [
      new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }),
      { type: "opaqueredirect", status: 0, headers: new Headers(), arrayBuffer: async () => new ArrayBuffer(0) },
    ]) {
      const lcm = new AtlassianLcm(emu.config(), { fetch: async () => response });
      const report = await lcm.check();
      assert.equal(report.outcome, "failed", JSON.stringify(report));
      assert.ok(report.steps.some((s) => s.httpStatus === 302), JSON.stringify(report.steps));
    }
  });

  test("the engine's request timeout aborts a hung fetch", async () => {
    let aborted = 0;
    const lcm = new AtlassianLcm(emu.config({ requestTimeoutMs: 100 }), {
      fetch: (url, init) =>
        new Promise((_, reject) => {
          init.signal.addEventListener("abort", () => {
            aborted += 1;
            reject(new DOMException("aborted", "AbortError"));
          });
        }),
    });
    const started = Date.now();
    const report = await lcm.check([], { deadlineMs: Date.now() + 1_500 });
    assert.equal(report.outcome, "failed");
    assert.ok(aborted >= 1, "the fetch was aborted");
    assert.ok(Date.now() - started < 5_000);
  });
});
