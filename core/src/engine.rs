//! The entry point every host calls: [`Lcm`] holds the configuration and the
//! injected HTTP client, sleeper and clock; [`Lcm::run`] executes a validated
//! [`Request`] and always returns a [`Report`] — failures included — so hosts
//! only shape output.

use std::sync::Arc;

use crate::actions::{self, step, Ctx};
use crate::admin::users::AdminAnswer;
use crate::cache::Cache;
use crate::clock::{rfc3339, Clock, Sleep};
use crate::config::Config;
use crate::event::{
    parse_request, ActionCall, GroupMode, InputError, RelationshipsInput, Request, SyncInput,
};
use crate::http::HttpClient;
use crate::ledger::{Ledger, MemoryLedger};
use crate::ordering;
use crate::products;
use crate::report::{ActionKind, ErrorCode, Identity, Report, ReportError, StepStatus};
use crate::transport::{Host, RateLimiter, Transport};
use crate::worker_state;

/// Per-call options from the host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Epoch milliseconds by which the call must be finished (the Lambda's
    /// remaining time); bounds every retry and wait.
    pub deadline_ms: Option<u64>,
    /// Plan instead of execute, whatever the request says (`lcm plan`, `POST /v1/plan`).
    pub dry_run: bool,
}

/// The engine. Clones share one warm [`Cache`] (group resolutions, the
/// Admin directories), so a host that keeps its engine — a warm Lambda, a
/// wasm instance, a CLI batch — skips those reads for `LCM_CACHE_TTL_SECONDS`.
#[derive(Clone)]
pub struct Lcm {
    config: Arc<Config>,
    host: Host,
    ledger: Arc<dyn Ledger>,
    cache: Arc<Cache>,
    /// One per engine, shared by its clones and concurrent calls: the
    /// process's pacing, with no code in the hosts.
    limiter: Arc<RateLimiter>,
}

impl std::fmt::Debug for Lcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lcm")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Lcm {
    /// An engine over a host's HTTP client, sleeper and clock.
    pub fn new(
        config: Config,
        http: Arc<dyn HttpClient>,
        sleep: Arc<dyn Sleep>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Lcm {
            cache: Arc::new(Cache::new(config.limits().cache_ttl())),
            limiter: Arc::new(RateLimiter::new(config.limits().max_rps())),
            config: Arc::new(config),
            host: Host { http, sleep, clock },
            ledger: Arc::new(MemoryLedger::default()),
        }
    }

    /// The same engine ordering events through `ledger` (SQLite for the CLI,
    /// DynamoDB for the Lambda, the caller's store in wasm). Without one,
    /// events are ordered in this engine's memory only.
    pub fn with_ledger(mut self, ledger: Arc<dyn Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    /// The ordering ledger.
    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    /// The same engine pacing through `limiter`: for hosts that build
    /// several engines and want them paced as one, and for comparisons
    /// ([`RateLimiter::unpaced`]).
    pub fn with_rate_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The rate limiter every call of this engine paces through.
    pub fn rate_limiter(&self) -> &Arc<RateLimiter> {
        &self.limiter
    }

    /// An engine with the native reqwest client, tokio sleeper and system clock.
    #[cfg(feature = "reqwest")]
    pub fn native(config: Config) -> Result<Self, crate::http::TransportError> {
        let http = crate::native::ReqwestClient::new()?;
        Ok(Lcm::new(
            config,
            Arc::new(http),
            Arc::new(crate::native::TokioSleep),
            Arc::new(crate::clock::SystemClock),
        ))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A transport for work beyond one request (a reconcile's directory read).
    pub(crate) fn transport(&self, options: RunOptions) -> Transport {
        Transport::new(self.host.clone(), self.config.clone(), options)
    }

    /// The host's clock (bulk runs time themselves by it).
    pub(crate) fn clock(&self) -> &dyn Clock {
        &*self.host.clock
    }

    /// Parses a JSON request (event or direct call) and runs it.
    pub async fn run_json(
        &self,
        input: &serde_json::Value,
        options: RunOptions,
    ) -> Result<Report, InputError> {
        let request = parse_request(input)?;
        Ok(self.run(&request, options).await)
    }

    /// Runs a validated request, ordered through the [`Ledger`]: a request for a worker first takes that worker's
    /// lease, and a lifecycle event older than the latest applied HR fact is
    /// refused as `stale_event` before any Atlassian call.
    pub async fn run(&self, request: &Request, options: RunOptions) -> Report {
        let started = self.host.clock.now_ms();
        let safety = self.config.safety();
        let dry_run = request.dry_run || options.dry_run || safety.dry_run_only();
        let gate = ordering::admit(
            &*self.ledger,
            (&*self.host.clock, &*self.host.sleep),
            ordering::Admit {
                request,
                dry_run,
                deadline_ms: options.deadline_ms,
            },
        )
        .await;
        let transport = Transport::new(
            self.host.clone(),
            self.config.clone(),
            RunOptions { dry_run, ..options },
        )
        .with_rate_limiter(self.limiter.clone());
        let ctx = Ctx::new(transport, self.cache.clone());
        let mut error = None;
        let mut stale_after = None;
        let mut derived = None;
        let mut verification = Vec::new();
        let wants_delete = request
            .calls
            .iter()
            .any(|c| matches!(c, ActionCall::Delete(_)));
        if let Some(refusal) = gate.refusal.clone() {
            error = Some(refusal.error);
            stale_after = refusal.stale_after;
        } else if wants_delete && !safety.allow_delete() {
            error = Some(ReportError {
                code: ErrorCode::ActionDisabled,
                message: "DELETE_IDENTITY is disabled: set LCM_ALLOW_DELETE=true to permit permanent deletion (nothing was sent to Atlassian)".into(),
            });
        } else {
            if safety.dry_run_only() && !(request.dry_run || options.dry_run) {
                ctx.warn(
                    "dry-run-only mode (LCM_DRY_RUN_ONLY): the changes were planned, not made",
                );
            }
            derived = match &request.state {
                Some(state) => Some(worker_state::run(self, &ctx, state).await),
                None => {
                    self.execute(&ctx, request).await;
                    None
                }
            };
            let removal = match &derived {
                Some(d) => d.actions.iter().any(|a| {
                    matches!(
                        a,
                        ActionKind::DeprovisionIdentity | ActionKind::DeleteIdentity
                    )
                }),
                None => request
                    .calls
                    .iter()
                    .any(|c| matches!(c, ActionCall::Deprovision(_) | ActionCall::Delete(_))),
            };
            verification = self.verify(&ctx, request, dry_run, removal).await;
        }
        if let Some(e) = derived.as_mut().and_then(|d| d.error.take()) {
            error = Some(e);
        }
        let (transport, collected) = ctx.into_collected();
        let (api_calls, retries) = transport.counts();
        let outcome = Report::derive_outcome(&collected.steps, error.as_ref());
        let mut warnings = collected.warnings;
        warnings.extend(gate.finish(outcome).await);
        Report {
            actions: match &derived {
                Some(d) => d.actions.clone(),
                None => request.calls.iter().map(ActionCall::kind).collect(),
            },
            derived: derived.and_then(|d| d.action),
            lifecycle: request.lifecycle.map(|l| l.as_str().to_string()),
            event_id: request.event_id.clone(),
            identity: identity_of(collected.identity, request),
            outcome,
            dry_run,
            error,
            stale_after,
            steps: collected.steps,
            audit: collected.audit,
            plan: transport.take_plan(),
            warnings,
            verification,
            api_calls,
            retries,
            started_at: rfc3339(started),
            duration_ms: self.host.clock.now_ms().saturating_sub(started),
        }
    }

    /// After the actions, what each product says of the account, when
    /// `options.verify` or else `LCM_VERIFY_PRODUCTS` asks (never in a dry
    /// run, where nothing changed, nor for a CHECK). After a removal, a
    /// product that does not say inactive or absent is a warning.
    async fn verify(
        &self,
        ctx: &Ctx,
        request: &Request,
        dry_run: bool,
        removal: bool,
    ) -> Vec<products::Verification> {
        let wanted = request
            .verify
            .unwrap_or(self.config.limits().verify_products());
        if !wanted || dry_run || request.worker().is_none() {
            return Vec::new();
        }
        if !self.config.endpoints().has_products() {
            ctx.warn("options.verify asked for product verification, but no product site or Bitbucket workspace is configured (LCM_PRODUCT_SITES, LCM_BITBUCKET_WORKSPACE)");
            return Vec::new();
        }
        let mut account_id = None;
        ctx.identity(|i| account_id = i.account_id.clone());
        let verification = products::verify::run(ctx, account_id.as_deref()).await;
        if removal {
            if let Some(warning) = products::leaver_warning(&verification) {
                ctx.warn(warning);
            }
        }
        verification
    }

    /// Runs a request's calls in order (a worker-state event runs the calls
    /// it derives through here too).
    pub(crate) async fn execute(&self, ctx: &Ctx, request: &Request) {
        let mut person = None;
        let mut ahead = None;
        let mut identity_failed = false;
        for call in &request.calls {
            match call {
                ActionCall::Sync(input) => {
                    let (p, admin) = self.sync(ctx, request, input).await;
                    identity_failed = p.is_none();
                    person = p;
                    ahead = admin;
                }
                ActionCall::Relationships(input) if identity_failed => {
                    ctx.record(step(
                        actions::identity::label(&input.worker),
                        "manage_relationships",
                        StepStatus::Skipped,
                        "not attempted: the identity could not be synced",
                    ));
                }
                ActionCall::Relationships(input) => {
                    actions::relationships::run(ctx, input, person.take(), ahead.take()).await
                }
                ActionCall::Deprovision(input) => actions::deprovision::run(ctx, input).await,
                ActionCall::Delete(input) => actions::delete::run(ctx, input).await,
                ActionCall::Check { groups } => actions::check::run(ctx, groups).await,
            }
        }
    }

    /// The sync, with the reads the membership change after it will need
    /// made beside its own: group resolution (only the names are needed)
    /// and the Admin user with their groups — read at once for a person who
    /// should exist already (mover, rehire), else as soon as the look-ups
    /// find them. For a `replace`, the groups that Admin user is in are
    /// resolved as soon as it is read. Returns the person and that Admin
    /// answer. The transport keeps them all within LCM_CONCURRENCY.
    async fn sync(
        &self,
        ctx: &Ctx,
        request: &Request,
        input: &SyncInput,
    ) -> (Option<actions::person::Person>, Option<AdminAnswer>) {
        let relationships: Vec<&RelationshipsInput> = request
            .calls
            .iter()
            .filter_map(|c| match c {
                ActionCall::Relationships(r) => Some(r),
                _ => None,
            })
            .collect();
        let names: Vec<String> = relationships
            .iter()
            .flat_map(|r| actions::rails::names_to_resolve(self.config.safety(), r))
            .collect();
        let replace = relationships.iter().any(|r| r.mode == GroupMode::Replace);
        let email = input
            .worker
            .email
            .as_ref()
            .filter(|_| !relationships.is_empty());
        let read_admin = || async {
            let e = email?;
            let answer = ctx.admin().find_user(e).await;
            if let (true, Ok(Some(user))) = (replace, &answer) {
                let current: Vec<String> = user
                    .groups
                    .iter()
                    .filter_map(|g| g.name.clone())
                    .filter(|n| !names.contains(n))
                    .collect();
                actions::groups::resolve(ctx, &current).await;
            }
            Some(answer)
        };
        // A joiner usually creates the user, whose Admin answer would be empty.
        let early = !input.allow_create || input.reactivate;
        let sync_and_admin = async {
            let ahead = async {
                match early {
                    true => read_admin().await,
                    false => None,
                }
            };
            let (person, ahead) = futures::join!(actions::sync::run(ctx, input), ahead);
            let ahead = match (&person, ahead) {
                (_, Some(a)) => Some(a),
                (Some(p), None) if !p.is_new() => read_admin().await,
                _ => None,
            };
            (person, ahead)
        };
        let ((person, ahead), ()) =
            futures::join!(sync_and_admin, actions::groups::resolve(ctx, &names));
        let Some(mut person) = person else {
            return (None, None);
        };
        actions::sync::finish(ctx, input, &mut person, ahead.as_ref()).await;
        (Some(person), ahead)
    }
}

/// What the run resolved of the person, completed from the request.
pub(crate) fn identity_of(mut identity: Identity, request: &Request) -> Identity {
    if let Some(w) = request.worker() {
        identity.hr_id = identity
            .hr_id
            .or_else(|| w.hr_id.as_ref().map(|h| h.to_string()));
        identity.email = identity
            .email
            .or_else(|| w.email.as_ref().map(|e| e.to_string()));
    }
    identity
}
