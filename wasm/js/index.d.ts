/// <reference lib="esnext.disposable" />
// Types of the `atlassian-lcm` package: the Atlassian Cloud user-lifecycle
// connector as a JavaScript class over a WebAssembly build of its Rust engine.
//
// Hand-written and kept precise: `wasm/src/tests.rs` checks every string union
// and every field list below against the engine's own serializations, and
// `wasm/tests/*.test.mjs` checks live reports against them.

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/** The actions of the product (DESIGN §1). */
export type ActionKind =
  | "SYNC_IDENTITIES"
  | "MANAGE_RELATIONSHIPS"
  | "DEPROVISION_IDENTITY"
  | "DELETE_IDENTITY"
  | "CHECK";

/** HR lifecycles (DESIGN §3). */
export type Lifecycle = "joiner" | "mover" | "rehire" | "leaver" | "purge";

/** What the ordering ledger records a fact as: its lifecycle, or `state` for a worker-state event. */
export type FactLifecycle = "joiner" | "mover" | "rehire" | "leaver" | "purge" | "state";

/** The action a worker-state event came to (`report.derived`). */
export type DerivedAction = "create" | "update" | "reactivate" | "groups" | "deprovision" | "unchanged" | "skip";

/** How `access.groups` applies. */
export type GroupMode = "add" | "remove" | "replace";

/** The result of a whole call, derived from its steps. */
export type Outcome = "succeeded" | "no_change" | "partial" | "failed" | "planned";

/** The Atlassian API a step went through. */
export type System = "scim" | "admin" | "user_management" | "jira" | "confluence" | "bitbucket";

/** What one step did. */
export type StepStatus = "done" | "no_change" | "planned" | "passed" | "skipped" | "failed";

/** Stable error codes, shared by every host (reports and thrown errors). */
export type ErrorCode =
  | "invalid_input"
  | "invalid_config"
  | "action_disabled"
  | "ownership_conflict"
  | "removal_cap_exceeded"
  | "user_not_found"
  | "group_not_found"
  | "not_found"
  | "group_name_case"
  | "unauthorized"
  | "forbidden"
  | "conflict"
  | "rejected"
  | "atlassian_error"
  | "transport"
  | "deadline_exceeded"
  | "unexpected_response"
  | "outcome_unknown"
  | "stale_event"
  | "worker_busy"
  | "ledger_unavailable"
  | "inactive_user"
  | "group_not_grantable"
  | "untrusted_source"
  | "earlier_event_failed";

/** The codes an `AtlassianLcmError` can carry (`internal` is a bug in this package). */
export type ThrownErrorCode = "invalid_input" | "invalid_config" | "internal";

/** Every setting's JavaScript name. */
export type ConfigKey =
  | "scimUrl"
  | "scimToken"
  | "adminApiKey"
  | "scimOrganizationId"
  | "adminBaseUrl"
  | "apiBaseUrl"
  | "allowCustomEndpoints"
  | "allowDelete"
  | "deleteAccounts"
  | "maxRemovals"
  | "protectedGroups"
  | "privilegedGroups"
  | "grantableGroups"
  | "dryRunOnly"
  | "productToken"
  | "productUser"
  | "requestTimeoutMs"
  | "concurrency"
  | "cacheTtlSeconds"
  | "maxRps"
  | "managedGroups"
  | "maxDeprovisions"
  | "orphans"
  | "productSites"
  | "bitbucketWorkspace"
  | "bitbucketBaseUrl"
  | "verifyProducts";

/** Any JSON value (audit `before`/`after`, plan bodies). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// ---------------------------------------------------------------------------
// Configuration (DESIGN §4; the same settings as LCM_* variables)
// ---------------------------------------------------------------------------

/** The connector's configuration. Unknown keys are refused. */
export interface Config {
  /** `https://api.atlassian.com/scim/directory/{scimDirectoryId}` (`LCM_SCIM_URL`). */
  scimUrl: string;
  /** The SCIM directory API key (`LCM_SCIM_TOKEN`). */
  scimToken: string;
  /** The organization admin API key (`LCM_ADMIN_API_KEY`). */
  adminApiKey: string;
  /** The organization id (`LCM_SCIM_ORGANIZATION_ID`). */
  scimOrganizationId: string;
  /** Default `https://api.atlassian.com/admin`. */
  adminBaseUrl?: string;
  /** Default `https://api.atlassian.com` (user management). */
  apiBaseUrl?: string;
  /** `true` to allow hosts other than Atlassian's (an emulator, a proxy). */
  allowCustomEndpoints?: boolean;
  /** `true` to permit `DELETE_IDENTITY`. */
  allowDelete?: boolean;
  /** With `allowDelete`, also delete the Atlassian account (14-day grace). */
  deleteAccounts?: boolean;
  /** Most memberships one call may remove (default 25). */
  maxRemovals?: number;
  /** Groups whose memberships are never removed. */
  protectedGroups?: readonly string[];
  /** Groups (names or `*` patterns, case ignored) nobody is ever added to; default Atlassian's admin groups. */
  privilegedGroups?: readonly string[];
  /** When set, the only groups (names or `*` patterns, exact) anyone may be added to. */
  grantableGroups?: readonly string[];
  /** Plan every action, never execute. */
  dryRunOnly?: boolean;
  /** An Atlassian API token for the product sites and Bitbucket (basic auth); goes with `productUser`. */
  productToken?: string;
  /** The product API user (e-mail) that goes with `productToken`. */
  productUser?: string;
  /** Per-request timeout, 100 to 300000 ms (default 30000). */
  requestTimeoutMs?: number;
  /** Requests in flight at once within one action, 1 to 32 (default 10). */
  concurrency?: number;
  /** Seconds this instance trusts a group it resolved, 0 to 86400 (default 300; 0 disables the cache). */
  cacheTtlSeconds?: number;
  /** Most requests per second this instance sends, 1 to 10000 (default: no cap of its own; the
   * rate limiter still paces to Atlassian's rate-limit headers and 429s). */
  maxRps?: number;
  /** Reconcile: the groups (names or `*` patterns, exact case) whose membership the roster
   * decides; unset: exactly the groups the roster names. */
  managedGroups?: readonly string[];
  /** Reconcile: most deprovisions one plan may hold, a count (`12`) or a percentage of the
   * roster (`"5%"`, the default); a plan over it is refused whole, nothing sent. */
  maxDeprovisions?: number | string;
  /** Reconcile: `"report"` orphans (the default), or `"deprovision"` those that are ours. */
  orphans?: "report" | "deprovision";
  /** Comma-separated product site URLs, `https://<name>.atlassian.net`; needs `productUser` and `productToken`. */
  productSites?: string;
  /** A Bitbucket Cloud workspace slug whose membership CHECK and verification ask. */
  bitbucketWorkspace?: string;
  /** Default `https://api.bitbucket.org`. */
  bitbucketBaseUrl?: string;
  /** Verify product access after every action (`options.verify` decides per event). */
  verifyProducts?: boolean;
}

// ---------------------------------------------------------------------------
// Input: lifecycle events and direct action calls (DESIGN §3)
// ---------------------------------------------------------------------------

/** What HR knows of a person; every attribute optional. */
export interface WorkerAttributes {
  /** HR worker id (SCIM `externalId`); looked up first. */
  hrId?: string;
  /** Work e-mail (SCIM `userName`); looked up second. */
  workEmail?: string;
  givenName?: string;
  familyName?: string;
  displayName?: string;
  title?: string;
  department?: string;
  organization?: string;
  /** IANA time zone, like `Europe/London`. */
  timezone?: string;
  /** Language tag, like `en-GB`. */
  preferredLanguage?: string;
}

/** A worker with both ids (sync: joiner, mover, rehire, `SYNC_IDENTITIES`). */
export interface IdentifiedWorker extends WorkerAttributes {
  hrId: string;
  workEmail: string;
}

/** A worker found by HR id. */
export interface WorkerByHrId extends WorkerAttributes {
  hrId: string;
}

/** A worker found by work e-mail. */
export interface WorkerByEmail extends WorkerAttributes {
  workEmail: string;
}

/** A worker to find (removals, relationships): `hrId` or `workEmail` or both. */
export type WorkerRef = WorkerByHrId | WorkerByEmail;

/** Group changes that join or leave the named groups. */
export interface AddOrRemoveAccess {
  /** Group display names, exact and case-sensitive; at most 100. */
  groups: readonly string[];
  /** Default `add`. */
  mode?: "add" | "remove";
  /** Only with `mode: "replace"`. */
  scope?: never;
}

/** Group changes that make the memberships exactly `groups` within `scope`. */
export interface ReplaceAccess {
  groups: readonly string[];
  mode: "replace";
  /** The groups this call may remove memberships from (default: all but protected ones). */
  scope?: readonly string[];
}

/** `access` of a mover event or a `MANAGE_RELATIONSHIPS` call. */
export type Access = AddOrRemoveAccess | ReplaceAccess;

/** `access` of a joiner event: groups to join. */
export interface JoinerAccess {
  groups: readonly string[];
  mode?: "add";
}

/** `access` of a rehire event: the groups to be in (mode is `replace`). */
export interface RehireAccess {
  groups: readonly string[];
  mode?: "replace";
  /** Only with `mode: "replace"` written out (see {@link ReplaceAccess}). */
  scope?: never;
}

/** `options` of a joiner, mover or rehire event. */
export interface SyncEventOptions {
  /** Plan instead of execute. */
  dryRun?: boolean;
  /** Take over a user whose `externalId` belongs to another provisioner. */
  adopt?: boolean;
  /** Verify product access afterwards (or not), whatever `verifyProducts` says. */
  verify?: boolean;
}

/** `options` of a purge event. */
export interface PurgeEventOptions {
  /** Plan instead of execute. */
  dryRun?: boolean;
  /** Verify product access afterwards (or not), whatever `verifyProducts` says. */
  verify?: boolean;
  /** Delete even a user owned by another provisioner (or whose ownership no `hrId` proves). */
  force?: boolean;
}

/** `options` of any lifecycle event; each event type narrows it. */
export type EventOptions = SyncEventOptions | PurgeEventOptions;

/** Fields every lifecycle event has. */
export interface EventEnvelope {
  schemaVersion: "1";
  /** 1 to 256 printable characters. */
  eventId: string;
  /** RFC 3339, like `2026-11-30T09:00:00Z`. */
  occurredAt?: string;
}

/** Someone joined: sync (create allowed), then join `access.groups`. */
export interface JoinerEvent extends EventEnvelope {
  lifecycle: "joiner";
  /** Needs `displayName`, or `givenName` and `familyName`, for a new user. */
  worker: IdentifiedWorker;
  access?: JoinerAccess;
  options?: SyncEventOptions;
}

/** Someone moved: sync (update only), then change groups. */
export interface MoverEvent extends EventEnvelope {
  lifecycle: "mover";
  worker: IdentifiedWorker;
  access?: Access;
  options?: SyncEventOptions;
}

/** Someone came back: sync with reactivation, then replace groups. */
export interface RehireEvent extends EventEnvelope {
  lifecycle: "rehire";
  worker: IdentifiedWorker;
  access?: RehireAccess | ReplaceAccess;
  options?: SyncEventOptions;
}

/** Someone left: remove every membership, then deactivate. */
export interface LeaverEvent extends EventEnvelope {
  lifecycle: "leaver";
  worker: WorkerRef;
  options?: PlanOptions;
}

/** Someone must be erased: delete (needs `allowDelete`). */
export interface PurgeEvent extends EventEnvelope {
  lifecycle: "purge";
  worker: WorkerRef;
  options?: PurgeEventOptions;
}

/** An HR lifecycle event. */
export type LifecycleEvent = JoinerEvent | MoverEvent | RehireEvent | LeaverEvent | PurgeEvent;

/** `options` of `SYNC_IDENTITIES`. */
export interface SyncOptions {
  dryRun?: boolean;
  /** Take over a user whose `externalId` belongs to another provisioner. */
  adopt?: boolean;
  /** May create the user when missing (default `true`). */
  create?: boolean;
  /** Set the user active (default `false`). */
  reactivate?: boolean;
  verify?: boolean;
}

/** `options` of `MANAGE_RELATIONSHIPS`, `DEPROVISION_IDENTITY` and a leaver event. */
export interface PlanOptions {
  dryRun?: boolean;
  /** Verify product access afterwards (or not), whatever `verifyProducts` says. */
  verify?: boolean;
}

/** `options` of `DELETE_IDENTITY`. */
export interface RemovalOptions {
  dryRun?: boolean;
  verify?: boolean;
  /** Delete even a user owned by another provisioner. */
  force?: boolean;
}

/** Input of `syncIdentities()`. */
export interface SyncIdentitiesInput {
  worker: IdentifiedWorker;
  eventId?: string;
  options?: SyncOptions;
}

/** Input of `manageRelationships()`. */
export interface ManageRelationshipsInput {
  worker: WorkerRef;
  access: Access;
  eventId?: string;
  options?: PlanOptions;
}

/** Input of `deprovisionIdentity()`. */
export interface DeprovisionInput {
  worker: WorkerRef;
  eventId?: string;
  options?: PlanOptions;
}

/** Input of `deleteIdentity()`. */
export interface RemovalInput {
  worker: WorkerRef;
  eventId?: string;
  options?: RemovalOptions;
}

/** A direct `SYNC_IDENTITIES` call. */
export interface SyncIdentitiesCall extends SyncIdentitiesInput {
  action: "SYNC_IDENTITIES";
}

/** A direct `MANAGE_RELATIONSHIPS` call. */
export interface ManageRelationshipsCall extends ManageRelationshipsInput {
  action: "MANAGE_RELATIONSHIPS";
}

/** A direct `DEPROVISION_IDENTITY` call. */
export interface DeprovisionIdentityCall extends DeprovisionInput {
  action: "DEPROVISION_IDENTITY";
}

/** A direct `DELETE_IDENTITY` call. */
export interface DeleteIdentityCall extends RemovalInput {
  action: "DELETE_IDENTITY";
}

/** A direct `CHECK` call. */
export interface CheckCall {
  action: "CHECK";
  /** Groups to resolve; at most 100. */
  groups?: readonly string[];
  eventId?: string;
}

/** A direct action call. */
export type ActionCall =
  | SyncIdentitiesCall
  | ManageRelationshipsCall
  | DeprovisionIdentityCall
  | DeleteIdentityCall
  | CheckCall;

/**
 * A worker-state event: one roster line (the worker's fields at the top,
 * `status` and `groups`), with no lifecycle. The action is derived from the
 * person's state in Atlassian (`report.derived`); ordered by `occurredAt`
 * like any event. Only the groups it lists are in its scope: it adds them and
 * removes no other (a terminated state removes every membership, as a leaver).
 */
export interface WorkerStateEvent extends IdentifiedWorker {
  /** 1 to 256 printable characters. */
  eventId: string;
  /** RFC 3339, like `2026-11-30T09:00:00Z`; required. */
  occurredAt: string;
  /** Default `active`. */
  status?: "active" | "terminated";
  /** The groups HR wants the worker in. */
  groups?: string[];
}

/** What `run()` and `plan()` take. */
export type LcmInput = LifecycleEvent | WorkerStateEvent | ActionCall;

/** Per-call options (the second argument of every action method). */
export interface CallOptions {
  /** Epoch milliseconds by which the call must finish (bounds retries and waits). */
  deadlineMs?: number;
}

// ---------------------------------------------------------------------------
// Report (DESIGN §5: the same JSON in every host)
// ---------------------------------------------------------------------------

/** An error attached to a step or to the whole report. */
export interface ReportError {
  code: ErrorCode;
  /** Never contains a credential. */
  message: string;
}

/** One step of an action. */
export interface Step {
  /** What the step concerns: `user ada@example.com`, `group engineering`. */
  target: string;
  /** What was attempted: `create_user`, `add_membership`, ... */
  operation: string;
  status: StepStatus;
  /** A sentence for people. */
  detail: string;
  /** The API used, if any. */
  system?: System;
  /** The final HTTP status, if a request was made. */
  httpStatus?: number;
  /** Requests sent for this step (retries included). */
  attempts: number;
  /** Why it failed. */
  error?: ReportError;
}

/** An audit trail entry: a change made (or planned), with before and after. */
export interface AuditEvent {
  /** RFC 3339 time. */
  at: string;
  /** `user.created`, `user.updated`, `membership.added`, ... */
  action: string;
  target: string;
  before?: JsonValue;
  after?: JsonValue;
  /** Present (true) when planned in a dry run, not done. */
  planned?: true;
}

/** A write recorded instead of sent, in a dry run. */
export interface PlannedRequest {
  method: string;
  url: string;
  body?: JsonValue;
}

/** Who the call concerned, as far as it was resolved. */
export interface Identity {
  hrId?: string;
  email?: string;
  scimUserId?: string;
  accountId?: string;
}

/** The newer HR fact a stale event lost to (`report.staleAfter`). */
export interface NewerFact {
  eventId: string;
  /** RFC 3339, UTC. */
  occurredAt: string;
  lifecycle: FactLifecycle;
}

/** A product whose view of the account is verified. */
export type Product = "jira" | "confluence" | "bitbucket";

/** What a product says of the account. */
export type ProductAccess = "active" | "inactive" | "absent" | "unknown";

/** What one product says of the account (`report.verification[]`). */
export interface Verification {
  /** The product site, or the Bitbucket workspace's API URL. */
  site: string;
  product: Product;
  state: ProductAccess;
  /** What the answer was, or why there was none. */
  detail: string;
}

/** What every action method resolves to. A failed call is a report with `outcome: "failed"`. */
export interface Report {
  /** The actions run, in order (a lifecycle event may run two). */
  actions: ActionKind[];
  /** For a worker-state event: the action derived from Atlassian's state. */
  derived?: DerivedAction;
  lifecycle?: Lifecycle;
  eventId?: string;
  identity: Identity;
  outcome: Outcome;
  /** True when nothing was written on purpose. */
  dryRun: boolean;
  /** Why the whole call was refused or stopped. */
  error?: ReportError;
  /** With `error.code === "stale_event"`: the newer HR fact the event lost to. */
  staleAfter?: NewerFact;
  steps: Step[];
  audit: AuditEvent[];
  /** In a dry run, the writes that would have been sent (absent when none). */
  plan?: PlannedRequest[];
  /** Things worth a person's attention that are not failures (absent when none). */
  warnings?: string[];
  /** After an action, when verification was asked: what each product says (absent when not asked). */
  verification?: Verification[];
  /** HTTP requests sent to Atlassian (retries included). */
  apiCalls: number;
  /** Of which retries. */
  retries: number;
  /** RFC 3339. */
  startedAt: string;
  durationMs: number;
}

// ---------------------------------------------------------------------------
// capabilities()
// ---------------------------------------------------------------------------

/** One action, as `capabilities()` describes it. */
export interface ActionCapability {
  action: ActionKind;
  /** The `AtlassianLcm` method that runs it. */
  method: "syncIdentities" | "manageRelationships" | "deprovisionIdentity" | "deleteIdentity" | "check";
  description: string;
  /** The `options` keys its input accepts. */
  options: Array<"dryRun" | "adopt" | "create" | "reactivate" | "force" | "verify">;
  /** The settings holding the credentials it sends. */
  credentials: ConfigKey[];
  /** True when it can remove access. */
  destructive: boolean;
  /** False when this configuration refuses it. */
  enabled: boolean;
  /** The settings that enable it, when it is opt-in. */
  requires?: ConfigKey[];
}

/** One lifecycle, as `capabilities()` describes it. */
export interface LifecycleCapability {
  lifecycle: Lifecycle;
  /** The actions it runs, in order (the relationship change only with `access`). */
  actions: ActionKind[];
  /** The `access.mode`s it accepts (empty: it takes no `access`). */
  accessModes: GroupMode[];
}

/** One setting, with its three spellings. */
export interface SettingCapability {
  /** The JavaScript name. */
  name: ConfigKey;
  /** The environment variable (`LCM_...`). */
  env: string;
  /** The snake_case name of config files and secrets. */
  snake: string;
  /** A credential. */
  secret: boolean;
  required: boolean;
}

/** What `capabilities()` returns. */
export interface Capabilities {
  version: string;
  /** True when this configuration plans every action instead of running it. */
  dryRunOnly: boolean;
  actions: ActionCapability[];
  lifecycles: LifecycleCapability[];
  settings: SettingCapability[];
}

// ---------------------------------------------------------------------------
// fetch, errors, the class
// ---------------------------------------------------------------------------

/**
 * The request options the connector passes to `fetch`. Where the runtime has
 * `AbortController`, they also carry a `signal` that aborts when the engine's
 * request timeout passes (left out of this type so that the global `fetch`,
 * typed by the DOM library or not, stays assignable to {@link FetchFunction}).
 */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  /** The JSON body of writes. */
  body?: ArrayBuffer;
  /** Redirects are never followed: a 3xx is refused by the connector. */
  redirect: "manual";
}

/** What the connector reads from a `fetch` response. */
export interface FetchResponse {
  status: number;
  /** `"opaqueredirect"` is read as a refused redirect. */
  type?: string;
  headers: { forEach(callback: (value: string, name: string) => void): void };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A `fetch`: the global one, or any function with its shape (a proxy, a mock). */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** The latest HR fact applied for a worker, as a ledger stores it. */
export interface LedgerFact {
  /** `occurredAt`, epoch milliseconds. */
  occurredAtMs: number;
  eventId: string;
  lifecycle: Lifecycle;
}

/** One worker's record in a {@link Ledger}: plain JSON, stored as given. */
export interface LedgerEntry {
  fact?: LedgerFact;
  /** Who holds the worker's lease (an opaque run id). */
  leaseOwner?: string;
  /** When the lease lapses, epoch milliseconds. */
  leaseExpiresAtMs?: number;
}

/**
 * The ordering ledger over your own store, one entry per worker key
 * (`hr:<hrId>` or `email:<lower-cased e-mail>`). Share one store between every
 * instance and process that handles the same people.
 */
export interface Ledger {
  /** The entry under `key`, or `null`/`undefined` when there is none. */
  get(key: string): Promise<LedgerEntry | null | undefined>;
  /**
   * Atomically: if the entry under `key` equals `expected` (`null`: nothing
   * stored), store `next` and resolve to `true`; else resolve to `false`.
   * Comparing with `JSON.stringify` is enough when entries are stored as given.
   */
  compareAndSet(key: string, expected: LedgerEntry | null, next: LedgerEntry): Promise<boolean>;
  /** Clears `leaseOwner` and `leaseExpiresAtMs` under `key` if `owner` holds the lease. */
  release(key: string, owner: string): Promise<void>;
}

/** Options of the constructor. */
export interface AtlassianLcmOptions {
  /** Default: the global `fetch`. */
  fetch?: FetchFunction;
  /**
   * Orders events per worker across instances (stale events are refused as
   * `stale_event`, runs for one worker are serialized). Default: an in-memory
   * ledger for this instance only, which every report warns of.
   */
  ledger?: Ledger;
}

/** One invalid setting. */
export interface FieldError {
  /** The setting in JavaScript spelling (`scimToken`), or an unknown key as given. */
  field: string;
  message: string;
}

/**
 * What the constructor and the action methods throw (or reject with): input
 * refused before anything was sent. A call that ran and failed is not thrown:
 * it resolves to a report with `outcome: "failed"` or `"partial"`.
 */
export interface AtlassianLcmError extends Error {
  name: "AtlassianLcmError";
  /**
   * A {@link ThrownErrorCode}; from `reconcile()` also the engine's code
   * (`unauthorized`, `transport`, ...) when the directory cannot be read.
   */
  code: ThrownErrorCode | ErrorCode;
  /** `invalid_input`: the JSON path of the refused field, like `worker.workEmail`, or `roster`. */
  field?: string;
  /** `invalid_input` from `reconcile()`: every bad roster line. */
  lines?: RosterLineError[];
  /** `invalid_config`: every problem in the configuration. */
  fields?: FieldError[];
}

/** One worker of a reconcile roster: the event's worker fields plus HR state. */
export interface RosterLine extends IdentifiedWorker {
  /** Default `"active"`; a terminated worker is deprovisioned. */
  status?: "active" | "terminated";
  /** The groups in scope HR wants the worker in. */
  groups?: string[];
  /** When HR stated this (RFC 3339); default: the reconcile's time. */
  occurredAt?: string;
}

/**
 * A roster for `reconcile()`: JSON Lines text (one {@link RosterLine} a line;
 * blank lines skipped), or an array whose element `i` is line `i + 1` (a
 * string as the line's JSON text, or an object).
 */
export type Roster = string | readonly (string | RosterLine)[];

/** Options of `reconcile()`. */
export interface ReconcileOptions {
  /** Execute the plan (`lcm reconcile --apply`); default `false`: plan only, write nothing. */
  apply?: boolean;
  /** Epoch milliseconds after which no new step starts. */
  deadlineMs?: number;
}

/** The counts: planned when planning (or refused), done after applying. */
export interface ReconcileSummary {
  create: number;
  /** People whose attributes change, adoptions and reactivations included. */
  update: number;
  deprovision: number;
  /** Memberships added for active workers (a create's included). */
  membershipsAdded: number;
  /** Memberships removed from active workers (a deprovision's are its own). */
  membershipsRemoved: number;
  /** SCIM users no roster worker matches. */
  orphans: number;
  unchanged: number;
  /** Workers matched to another provisioner's user, left alone. */
  skipped: number;
}

/** One attribute, Atlassian's value now → the roster's. */
export interface AttributeChange {
  /** SCIM attribute path (`title`, `externalId`, ...). */
  path: string;
  before: string | null;
  after: string;
}

/** A roster worker for whom something differs (or who is skipped). */
export interface ReconcileEntry {
  /** The roster line (1-based). */
  line: number;
  hrId: string;
  email: string;
  action: "create" | "update" | "deprovision" | "unchanged" | "skip";
  changes?: AttributeChange[];
  /** Deactivated in Atlassian, active in HR. */
  reactivate?: true;
  /** Groups to add (in scope). */
  add?: string[];
  /** Groups to remove (in scope; every group for a deprovision). */
  remove?: string[];
  scimUserId?: string;
  accountId?: string;
  /** Why the entry is skipped. */
  reason?: string;
  /** Groups HR wants the worker in that the grant rails forbid (`LCM_PRIVILEGED_GROUPS`,
   * `LCM_GRANTABLE_GROUPS`): taken out of `add`, never asked for. */
  refused?: { group: string; code: "group_not_grantable"; message: string }[];
  /** After `apply`: the outcome of the event that applied it. */
  outcome?: Outcome;
  /** After `apply`: why it failed. */
  error?: ReportError;
  /** After `apply`: the event's full report. */
  report?: Report;
}

/** A SCIM user no roster worker matches. */
export interface ReconcileOrphan {
  email: string;
  scimUserId: string;
  accountId?: string;
  externalId?: string;
  active: boolean;
  /** Every group it is in. */
  groups: string[];
  /** `"deprovision"` only under `orphans: "deprovision"` for an orphan that is ours. */
  action: "report" | "deprovision";
  /** Why it is only reported, under `orphans: "deprovision"`. */
  reason?: string;
  outcome?: Outcome;
  report?: Report;
}

/** The figures of the run that applied the plan. */
export interface ReconcileRun {
  events: number;
  /** Events per outcome. */
  outcomes: Partial<Record<Outcome, number>>;
  notAttempted: number;
  apiCalls: number;
  retries: number;
  elapsedMs: number;
  requestsPerSecond: number;
}

/** What `reconcile()` resolves to: the document `lcm reconcile --json` prints. */
export interface ReconcileDocument {
  /** True when the plan was executed (`apply`, not refused). */
  applied: boolean;
  summary: ReconcileSummary;
  /** Entries and orphans whose events did not succeed (0 when planning). */
  failed: number;
  /** The plan is refused whole (more deprovisions than `maxDeprovisions`): nothing was sent. */
  refused?: { code: "deprovision_cap_exceeded"; message: string };
  /** Requests that reached Atlassian: the directory read, then the writes. */
  apiCalls: number;
  /** Every worker for whom something differs, in roster order (the unchanged are only counted). */
  entries: ReconcileEntry[];
  orphans: ReconcileOrphan[];
  /** After `apply`. */
  run?: ReconcileRun;
}

/** A refused roster line, in `AtlassianLcmError.lines`. */
export interface RosterLineError {
  /** 1-based line (array element `i` is line `i + 1`). */
  line: number;
  /** The field as in the line (`workEmail`, `groups[2]`), or `(line)`. */
  field: string;
  message: string;
}

/**
 * The connector. Every action method resolves to a {@link Report}; a second
 * argument may set a deadline.
 *
 * ```ts
 * const lcm = new AtlassianLcm(config);            // global fetch
 * const report = await lcm.handleEvent(event);
 * if (report.outcome === "failed") console.error(report.error ?? report.steps);
 * ```
 */
export declare class AtlassianLcm {
  /** Throws an {@link AtlassianLcmError} with code `invalid_config`. */
  constructor(config: Config, options?: AtlassianLcmOptions);
  /** The package version. */
  static readonly version: string;
  /** Runs an HR lifecycle event (a direct action call is refused: use `run`). */
  handleEvent(event: LifecycleEvent, options?: CallOptions): Promise<Report>;
  /** Runs a lifecycle event or a direct action call. */
  run(input: LcmInput, options?: CallOptions): Promise<Report>;
  /** Plans a lifecycle event or a direct call: reads run, writes go to `report.plan`. */
  plan(input: LcmInput, options?: CallOptions): Promise<Report>;
  /** `SYNC_IDENTITIES`: create the user, or update the attributes that differ. */
  syncIdentities(input: SyncIdentitiesInput, options?: CallOptions): Promise<Report>;
  /** `MANAGE_RELATIONSHIPS`: add, remove or replace group memberships. */
  manageRelationships(input: ManageRelationshipsInput, options?: CallOptions): Promise<Report>;
  /** `DEPROVISION_IDENTITY`: remove every membership, then deactivate. */
  deprovisionIdentity(input: DeprovisionInput, options?: CallOptions): Promise<Report>;
  /** `DELETE_IDENTITY`: permanent removal; refused (in the report) unless `allowDelete`. */
  deleteIdentity(input: RemovalInput, options?: CallOptions): Promise<Report>;
  /** `CHECK`: credentials, both directories, and the named groups. */
  check(groups?: readonly string[], options?: CallOptions): Promise<Report>;
  /**
   * Reconciles Atlassian with `roster`: plans (reads only, writes nothing) or,
   * with `{ apply: true }`, executes the plan; resolves to the document
   * `lcm reconcile --json` prints. A bad roster rejects with `invalid_input`,
   * `field: "roster"` and every bad line in `lines`, before any call; a plan
   * over `maxDeprovisions` resolves with `refused` and nothing sent; a
   * directory that cannot be read rejects with the engine's code.
   */
  reconcile(roster: Roster, options?: ReconcileOptions): Promise<ReconcileDocument>;
  /** What this connector can do under its configuration. */
  capabilities(): Capabilities;
  /** Releases the WebAssembly memory now (otherwise done when collected). */
  free(): void;
  /**
   * The same as {@link free}, so `using lcm = new AtlassianLcm(config)` frees
   * the instance at the end of its scope. Defined where the runtime has
   * `Symbol.dispose` (Node 18.18+/20.4+, Deno, workerd, current browsers).
   */
  [Symbol.dispose](): void;
}
