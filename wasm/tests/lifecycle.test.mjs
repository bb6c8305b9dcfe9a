// Joiner, mover, leaver, plan, check and the direct action methods, through the
// built Node package against the emulator binary.
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { emulatorPerFile } from "./support/emulator.mjs";
import { joiner, leaver, mover } from "./support/fixtures.mjs";
import { AtlassianLcm } from "./support/lcm.mjs";

const emu = emulatorPerFile();

const writes = (log) =>
  log.filter((r) => !["GET", "HEAD", "OPTIONS"].includes(r.method) && !r.path.endsWith("/search"));

describe("lifecycle events", () => {
  test("joiner creates the user and joins admin-managed and synced groups", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const report = await lcm.handleEvent(joiner());
    assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
    assert.deepEqual(report.actions, ["SYNC_IDENTITIES", "MANAGE_RELATIONSHIPS"]);
    assert.equal(report.lifecycle, "joiner");
    assert.equal(report.eventId, "hr-2026-000123");
    assert.equal(report.dryRun, false);
    assert.equal(report.identity.hrId, "E1042");
    assert.ok(report.identity.scimUserId && report.identity.accountId);
    assert.deepEqual(
      report.steps.map((s) => [s.operation, s.status, s.system]),
      [
        ["create_user", "done", "scim"],
        ["add_membership", "done", "admin"],
        ["add_membership", "done", "scim"],
      ],
    );
    assert.equal(report.apiCalls, (await emu.requests()).length);
    assert.equal(report.plan, undefined, "no plan outside a dry run");

    const user = await emu.user("mary.somerville@example.com");
    assert.equal(user.scim.externalId, "E1042");
    assert.equal(user.scim.title, "Engineer");
    assert.deepEqual(user.groups.sort(), ["engineering", "jira-software-users"]);

    // Replaying the event changes nothing and writes nothing.
    await emu.clearRequests();
    const replay = await lcm.handleEvent(joiner());
    assert.equal(replay.outcome, "no_change");
    assert.deepEqual(writes(await emu.requests()), []);
  });

  test("mover updates only the changed attributes and adds groups", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const report = await lcm.handleEvent(mover());
    assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
    const user = await emu.user("grace.hopper@example.com");
    assert.equal(user.scim.title, "Rear Admiral");
    assert.equal(user.scim.department, "Compilers");
    assert.ok(user.groups.includes("platform-team") && user.groups.includes("confluence-users"));
    assert.ok(user.groups.includes("jira-software-users"), "add mode keeps other groups");
  });

  test("leaver removes every membership and deactivates", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const report = await lcm.handleEvent(leaver());
    assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
    assert.deepEqual(report.actions, ["DEPROVISION_IDENTITY"]);
    const user = await emu.user("ada.lovelace@example.com");
    assert.equal(user.scim.active, false);
    assert.deepEqual(user.groups, []);
  });

  test("rehire reactivates and replaces groups within the scope", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const rehire = {
      schemaVersion: "1",
      eventId: "hr-2026-000126",
      lifecycle: "rehire",
      worker: { hrId: "E0999", workEmail: "linus.former@example.com", displayName: "Linus Former" },
      access: { groups: ["confluence-users"], mode: "replace", scope: ["confluence-users", "engineering"] },
    };
    const report = await lcm.handleEvent(rehire);
    assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
    const user = await emu.user("linus.former@example.com");
    assert.equal(user.scim.active, true);
    assert.deepEqual(user.groups, ["confluence-users"]);
  });

  test("plan reads but writes nothing, and returns the writes", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const report = await lcm.plan(joiner());
    assert.equal(report.outcome, "planned", JSON.stringify(report, null, 2));
    assert.equal(report.dryRun, true);
    assert.ok(report.plan.length >= 1);
    assert.deepEqual(report.plan[0].method, "POST");
    assert.match(report.plan[0].url, /\/Users$/);
    assert.equal(report.plan[0].body.userName, "mary.somerville@example.com");
    assert.ok(report.audit.every((a) => a.planned === true));
    assert.deepEqual(writes(await emu.requests()), []);
    assert.equal(await emu.user("mary.somerville@example.com"), undefined);
  });

  test("an event's own dryRun option plans too", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const report = await lcm.run(leaver({ options: { dryRun: true } }));
    assert.equal(report.outcome, "planned");
    assert.equal((await emu.user("ada.lovelace@example.com")).scim.active, true);
  });
});

describe("direct action methods", () => {
  test("syncIdentities, manageRelationships and deprovisionIdentity", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const worker = { hrId: "E2001", workEmail: "hedy.lamarr@example.com", displayName: "Hedy Lamarr" };
    const sync = await lcm.syncIdentities({ worker });
    assert.equal(sync.outcome, "succeeded", JSON.stringify(sync, null, 2));
    assert.deepEqual(sync.actions, ["SYNC_IDENTITIES"]);

    const groups = await lcm.manageRelationships({
      worker: { hrId: "E2001" },
      access: { groups: ["confluence-users", "contractors"] },
    });
    assert.equal(groups.outcome, "succeeded", JSON.stringify(groups, null, 2));
    assert.deepEqual((await emu.user("hedy.lamarr@example.com")).groups.sort(), [
      "confluence-users",
      "contractors",
    ]);

    const gone = await lcm.deprovisionIdentity({ worker: { workEmail: "hedy.lamarr@example.com" } });
    assert.equal(gone.outcome, "succeeded", JSON.stringify(gone, null, 2));
    assert.equal((await emu.user("hedy.lamarr@example.com")).scim.active, false);
  });

  test("deleteIdentity is refused in the report unless allowDelete", async () => {
    const refused = await new AtlassianLcm(emu.config()).deleteIdentity({
      worker: { hrId: "E1003" },
    });
    assert.equal(refused.outcome, "failed");
    assert.equal(refused.error.code, "action_disabled");
    assert.equal(refused.apiCalls, 0);

    const lcm = new AtlassianLcm(emu.config({ allowDelete: true }));
    const deleted = await lcm.deleteIdentity({ worker: { hrId: "E1003" } });
    assert.equal(deleted.outcome, "succeeded", JSON.stringify(deleted, null, 2));
    assert.equal((await emu.user("joan.clarke@example.com")).scim, null);
  });

  test("check resolves the directories and named groups", async () => {
    const lcm = new AtlassianLcm(emu.config());
    const report = await lcm.check(["engineering", "jira-software-users"]);
    assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
    assert.deepEqual(report.actions, ["CHECK"]);
    assert.ok(report.steps.every((s) => s.status === "passed"));
    const bare = await lcm.check();
    assert.equal(bare.outcome, "succeeded");
    const missing = await lcm.check(["no-such-group"]);
    assert.equal(missing.outcome, "partial");
    assert.ok(missing.steps.some((s) => s.error?.code === "group_not_found"));
  });

  test("capabilities and version", () => {
    const lcm = new AtlassianLcm(emu.config({ allowDelete: true }));
    const caps = lcm.capabilities();
    assert.equal(caps.version, AtlassianLcm.version);
    assert.match(AtlassianLcm.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(
      caps.actions.map((a) => a.action),
      ["SYNC_IDENTITIES", "MANAGE_RELATIONSHIPS", "DEPROVISION_IDENTITY", "DELETE_IDENTITY", "CHECK"],
    );
    for (const a of caps.actions) {
      assert.equal(typeof lcm[a.method], "function", a.method);
      assert.deepEqual(a.credentials, ["scimToken", "adminApiKey"]);
    }
    assert.equal(caps.actions.find((a) => a.action === "DELETE_IDENTITY").enabled, true);
    assert.equal(
      new AtlassianLcm(emu.config()).capabilities().actions.find((a) => a.action === "DELETE_IDENTITY").enabled,
      false,
    );
    assert.equal(caps.settings.length, 27);
    for (const rail of ["privilegedGroups", "grantableGroups"]) {
      assert.ok(caps.settings.some((s) => s.name === rail), rail);
    }
    assert.deepEqual(
      caps.settings.filter((s) => s.secret).map((s) => s.name),
      ["scimToken", "adminApiKey", "productToken"],
    );
  });
});
