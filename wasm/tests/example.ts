// A consumer of the package, compiled with `tsc --noEmit` (tests/tsconfig.json):
// everything a user writes type-checks, and the mistakes marked below as
// expected errors are refused — the types are precise, not `any`.
import {
  AtlassianLcm,
  type ActionCall,
  type AtlassianLcmError,
  type Capabilities,
  type Config,
  type ErrorCode,
  type LifecycleEvent,
  type Outcome,
  type ReconcileDocument,
  type RosterLine,
  type Report,
  type Step,
} from "atlassian-lcm";
import init, { initSync, AtlassianLcm as WebLcm } from "atlassian-lcm/web";

const config: Config = {
  scimUrl: "https://api.atlassian.com/scim/directory/abc",
  scimToken: "scim-token",
  adminApiKey: "admin-key",
  scimOrganizationId: "org-1",
  protectedGroups: ["org-admins"],
  maxRemovals: 5,
  allowDelete: false,
};

const joiner: LifecycleEvent = {
  schemaVersion: "1",
  eventId: "hr-2026-000123",
  lifecycle: "joiner",
  occurredAt: "2026-11-30T09:00:00Z",
  worker: { hrId: "E1042", workEmail: "ada@example.com", displayName: "Ada Lovelace" },
  access: { groups: ["jira-software-users"], mode: "add" },
  options: { dryRun: false },
};

const call: ActionCall = {
  action: "MANAGE_RELATIONSHIPS",
  worker: { workEmail: "ada@example.com" },
  access: { groups: ["engineering"], mode: "replace", scope: ["engineering", "platform-team"] },
};

// The real fetch is an injectable fetch; so is a wrapper.
const lcm = new AtlassianLcm(config, { fetch });
const logged = new AtlassianLcm(config, {
  fetch: async (url, init) => {
    console.log(init.method, url);
    return fetch(url, init);
  },
});

function summarize(report: Report): string {
  const outcome: Outcome = report.outcome;
  const failed: Step[] = report.steps.filter((s) => s.status === "failed");
  const codes: ErrorCode[] = failed.flatMap((s) => (s.error ? [s.error.code] : []));
  const planned = (report.plan ?? []).map((p) => `${p.method} ${p.url}`);
  switch (outcome) {
    case "succeeded":
    case "no_change":
    case "planned":
      return `${outcome} in ${report.durationMs} ms, ${report.apiCalls} calls; ${planned.join(", ")}`;
    case "partial":
    case "failed":
      return `${outcome}: ${report.error?.message ?? codes.join(", ")}`;
  }
}

export async function demo(): Promise<string[]> {
  const out: string[] = [];
  out.push(summarize(await lcm.handleEvent(joiner, { deadlineMs: Date.now() + 10_000 })));
  out.push(summarize(await lcm.plan(joiner)));
  out.push(summarize(await lcm.run(call)));
  out.push(summarize(await logged.syncIdentities({ worker: { hrId: "E1", workEmail: "a@example.com" }, options: { adopt: true } })));
  out.push(summarize(await lcm.manageRelationships({ worker: { hrId: "E1" }, access: { groups: ["g"] } })));
  out.push(summarize(await lcm.deprovisionIdentity({ worker: { hrId: "E1" } })));
  out.push(summarize(await lcm.deleteIdentity({ worker: { workEmail: "a@example.com" }, options: { force: true } })));
  out.push(summarize(await lcm.check(["engineering"])));
  const caps: Capabilities = lcm.capabilities();
  out.push(...caps.actions.filter((a) => a.enabled).map((a) => `${a.action} via ${a.method}()`));
  out.push(AtlassianLcm.version);
  try {
    await lcm.handleEvent(joiner);
  } catch (e) {
    const err = e as AtlassianLcmError;
    if (err.code === "invalid_input") out.push(`bad ${err.field ?? "input"}`);
    if (err.code === "invalid_config") out.push(...(err.fields ?? []).map((f) => f.field));
  }
  lcm.free();
  return out;
}

export async function disposed(): Promise<string> {
  const lcm = new AtlassianLcm(config);
  const version: string = AtlassianLcm.version;
  lcm[Symbol.dispose]();
  return version;
}

export async function web(bytes: ArrayBuffer): Promise<Report> {
  initSync({ module: bytes });
  await init();
  return new WebLcm(config).check();
}

// --- mistakes the types refuse -------------------------------------------

// @ts-expect-error: unknown setting
export const typo: Config = { ...config, scimTokn: "x" };
// @ts-expect-error: a required setting is missing
export const noKey: Config = { scimUrl: "u", scimToken: "t", scimOrganizationId: "o" };
export const badLeaver: LifecycleEvent = {
  schemaVersion: "1",
  eventId: "e",
  lifecycle: "leaver",
  worker: { hrId: "E1" },
  // @ts-expect-error: a leaver takes no access
  access: { groups: ["g"] },
};
// @ts-expect-error: a joiner needs hrId and workEmail
export const noEmail: LifecycleEvent = {
  schemaVersion: "1",
  eventId: "e",
  lifecycle: "joiner",
  worker: { hrId: "E1" },
};
export const joinerRemoves: LifecycleEvent = {
  schemaVersion: "1",
  eventId: "e",
  lifecycle: "joiner",
  worker: { hrId: "E1", workEmail: "a@example.com" },
  // @ts-expect-error: a joiner only adds
  access: { groups: ["g"], mode: "remove" },
};
export const rehire: LifecycleEvent = {
  schemaVersion: "1",
  eventId: "e",
  lifecycle: "rehire",
  worker: { hrId: "E0999", workEmail: "linus.former@example.com" },
  access: { groups: ["engineering"], mode: "replace", scope: ["engineering"] },
};
export const rehireNoMode: LifecycleEvent = {
  schemaVersion: "1",
  eventId: "e",
  lifecycle: "rehire",
  worker: { hrId: "E0999", workEmail: "linus.former@example.com" },
  // @ts-expect-error: the engine takes scope only with mode "replace" written out
  access: { groups: ["engineering"], scope: ["engineering"] },
};
// @ts-expect-error: scope needs mode "replace"
export const scoped: ActionCall = { action: "MANAGE_RELATIONSHIPS", worker: { hrId: "E1" }, access: { groups: ["g"], scope: ["g"] } };
// @ts-expect-error: not an outcome
export const notOutcome: Outcome = "success";
// @ts-expect-error: a worker needs hrId or workEmail
export const nobody: ActionCall = { action: "DEPROVISION_IDENTITY", worker: { displayName: "x" } };
export async function wrongMethod(): Promise<void> {
  // @ts-expect-error: syncIdentities sets the action itself and needs both ids
  await lcm.syncIdentities({ worker: { hrId: "E1" } });
  // @ts-expect-error: groups are strings
  await lcm.check([1, 2]);
}

export async function reconcileRoster(): Promise<number> {
  const lines: RosterLine[] = [{ hrId: "E1", workEmail: "a@example.com", status: "terminated" }];
  const planned: ReconcileDocument = await lcm.reconcile(lines);
  const applied = await lcm.reconcile('{"hrId":"E1","workEmail":"a@example.com"}\n', { apply: true });
  if (applied.refused) return -1;
  // @ts-expect-error: apply is a boolean
  await lcm.reconcile("", { apply: "yes" });
  // @ts-expect-error: a roster line needs both ids
  await lcm.reconcile([{ hrId: "E1" }]);
  return planned.summary.deprovision + applied.entries.length;
}

// No `any` leaks through the public surface.
type IsAny<T> = 0 extends 1 & T ? true : false;
type NoAny<T extends false> = T;
export type Checks = [
  NoAny<IsAny<Report>>,
  NoAny<IsAny<Report["audit"][number]["before"]>>,
  NoAny<IsAny<Awaited<ReturnType<AtlassianLcm["run"]>>>>,
  NoAny<IsAny<ReturnType<AtlassianLcm["capabilities"]>>>,
  NoAny<IsAny<Parameters<AtlassianLcm["handleEvent"]>[0]>>,
  NoAny<IsAny<AtlassianLcmError["fields"]>>,
  NoAny<IsAny<Awaited<ReturnType<AtlassianLcm["reconcile"]>>>>,
];
