//! The engine's configuration and credentials: the `LCM_*` environment
//! variables merged with the JSON secret named by `LCM_SECRET_ARN`, validated
//! by the core, and kept in an [`Lcm`] shared by warm invocations.
//!
//! The secret supplies credentials only (the settings of
//! [`Class::Credential`]: `scim_url`, `scim_token`, `admin_api_key`,
//! `scim_organization_id`, `product_token`, `product_user`); where it also
//! names one of those the environment has, the secret wins, because it is the
//! one that rotates. Endpoints and safety rails belong to the deployment: a
//! secret naming one is refused by name, so whoever can write the secret
//! cannot switch deletes on or send the keys elsewhere.
//!
//! The secret is read once per cold start (lazily, on the first invocation,
//! so a Secrets Manager outage fails that event — and Lambda retries it —
//! rather than the whole init), trusted for `LCM_SECRET_TTL_SECONDS`, and
//! read again at once when Atlassian answers 401: credentials were rotated.
//! When a TTL refresh fails but credentials are cached, the cached ones keep
//! serving (they are usually still valid during a rotation) and a warning is
//! logged; only a forced refresh after a 401 surfaces the outage.
//!
//! Nothing here logs or returns a credential: errors name settings, never values.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::config::{Class, FieldError, Key, Problem, Source};
use atlassian_lcm::http::HttpClient;
use atlassian_lcm::ledger::Ledger;
use atlassian_lcm::native::TokioSleep;
use atlassian_lcm::transport::RateLimiter;
use atlassian_lcm::{Config, Lcm, RawConfig};
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use tokio::sync::RwLock;

use crate::error::HostError;

/// Where the secret is.
#[derive(Debug, Clone)]
pub struct SecretSource {
    /// The Secrets Manager client, built once in `main`.
    pub client: aws_sdk_secretsmanager::Client,
    /// The secret's ARN or name.
    pub arn: String,
}

/// An engine ready to run, with the generation of the credentials it holds.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The engine.
    pub lcm: Lcm,
    /// Increases each time the secret is read; a refresh after a 401 uses it
    /// to tell whether another invocation already read a newer secret.
    pub generation: u64,
}

struct Loaded {
    engine: Engine,
    fetched_at: Instant,
}

/// The shared, cached configuration.
pub struct Credentials {
    env: RawConfig,
    source: Option<SecretSource>,
    ttl: Duration,
    http: Arc<dyn HttpClient>,
    ledger: Arc<dyn Ledger>,
    cache: RwLock<Option<Loaded>>,
    /// The sandbox's one rate limiter, made with the first engine and handed
    /// to every later one: a credential rotation must not forget the pace
    /// Atlassian's limit has taught. (`LCM_MAX_RPS` is a limit, never in the
    /// secret, so every engine would make the same one.) The group cache,
    /// unlike the pace, starts afresh: new credentials may be another org's.
    limiter: OnceLock<Arc<RateLimiter>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the configuration: it holds the credentials.
        f.debug_struct("Credentials")
            .field("secret", &self.source.as_ref().map(|s| s.arn.as_str()))
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials from `env` and, when given, the secret; `http` is the one
    /// HTTP client and `ledger` the one ordering ledger every engine built
    /// here shares (the connection pool and the ledger survive a rotation).
    pub fn new(
        env: RawConfig,
        source: Option<SecretSource>,
        ttl: Duration,
        http: Arc<dyn HttpClient>,
        ledger: Arc<dyn Ledger>,
    ) -> Self {
        Credentials {
            env,
            source,
            ttl,
            http,
            ledger,
            cache: RwLock::new(None),
            limiter: OnceLock::new(),
        }
    }

    /// True when a 401 can be answered by reading the secret again.
    pub fn can_rotate(&self) -> bool {
        self.source.is_some()
    }

    /// The engine with current credentials: cached while fresh, else read again.
    pub async fn current(&self) -> Result<Engine, HostError> {
        {
            let cache = self.cache.read().await;
            if let Some(loaded) = cache.as_ref() {
                if self.is_fresh(loaded.fetched_at, Instant::now()) {
                    return Ok(loaded.engine.clone());
                }
            }
        }
        let mut cache = self.cache.write().await;
        // Another task may have refreshed while this one waited for the lock.
        if let Some(loaded) = cache.as_ref() {
            if self.is_fresh(loaded.fetched_at, Instant::now()) {
                return Ok(loaded.engine.clone());
            }
        }
        let generation = cache.as_ref().map_or(1, |l| l.engine.generation + 1);
        match self.load(generation).await {
            Ok(engine) => {
                *cache = Some(Loaded {
                    engine: engine.clone(),
                    fetched_at: Instant::now(),
                });
                Ok(engine)
            }
            Err(HostError::SecretUnavailable(reason)) if cache.is_some() => {
                let loaded = cache.as_mut().expect("checked above");
                tracing::warn!(
                    reason = %reason,
                    "cannot read the credentials secret after its TTL; using the cached credentials and trying again next invocation"
                );
                Ok(loaded.engine.clone())
            }
            Err(e) => Err(e),
        }
    }

    /// Reads the secret again whatever the TTL, after Atlassian refused the
    /// credentials of `seen` (the generation the failed run used). If another
    /// invocation already refreshed past it, that newer engine is returned.
    pub async fn refresh(&self, seen: u64) -> Result<Engine, HostError> {
        let mut cache = self.cache.write().await;
        if let Some(loaded) = cache.as_ref() {
            if loaded.engine.generation > seen {
                return Ok(loaded.engine.clone());
            }
        }
        let engine = self.load(seen + 1).await?;
        *cache = Some(Loaded {
            engine: engine.clone(),
            fetched_at: Instant::now(),
        });
        Ok(engine)
    }

    fn is_fresh(&self, fetched_at: Instant, now: Instant) -> bool {
        // Without a secret the configuration is the environment's: it never changes.
        self.source.is_none() || now.duration_since(fetched_at) < self.ttl
    }

    async fn load(&self, generation: u64) -> Result<Engine, HostError> {
        let raw = match &self.source {
            None => self.env.clone(),
            Some(source) => {
                let secret = fetch_secret(source).await?;
                self.env.clone().merge(secret)
            }
        };
        let config = Config::from_raw(&raw)?;
        let limiter = self
            .limiter
            .get_or_init(|| Arc::new(RateLimiter::new(config.limits().max_rps())))
            .clone();
        let lcm = Lcm::new(
            config,
            self.http.clone(),
            Arc::new(TokioSleep),
            Arc::new(SystemClock),
        )
        .with_ledger(self.ledger.clone())
        .with_rate_limiter(limiter);
        tracing::info!(
            generation,
            from_secret = self.source.is_some(),
            "credentials loaded"
        );
        Ok(Engine { lcm, generation })
    }
}

/// Reads the secret and parses its JSON into raw settings.
async fn fetch_secret(source: &SecretSource) -> Result<RawConfig, HostError> {
    let output = source
        .client
        .get_secret_value()
        .secret_id(&source.arn)
        .send()
        .await
        .map_err(|e| HostError::SecretUnavailable(format!("{}", DisplayErrorContext(&e))))?;
    let text = output.secret_string().ok_or_else(|| {
        HostError::Config(
            FieldError::document(
                Source::Secret,
                "the secret has no SecretString; store the settings as a JSON object",
            )
            .into(),
        )
    })?;
    // serde_json's messages give a position, never the text, so no credential leaks.
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        HostError::Config(
            FieldError::document(Source::Secret, format!("the secret is not JSON ({e})")).into(),
        )
    })?;
    credentials_only(&json)?;
    Ok(RawConfig::from_json(&json, Source::Secret)?)
}

/// Refuses, all at once and by name, every endpoint, safety or limit setting
/// in the secret (see the module documentation). Unknown names are left to
/// the core, which refuses them with the list of known settings.
pub fn credentials_only(secret: &serde_json::Value) -> Result<(), HostError> {
    let Some(obj) = secret.as_object() else {
        return Ok(());
    };
    let errors: Vec<FieldError> = obj
        .keys()
        .filter_map(|name| Key::lookup(name))
        .filter(|key| key.class() != Class::Credential)
        .map(|key| {
            let class = match key.class() {
                Class::Endpoint => "an endpoint setting",
                Class::Safety => "a safety setting",
                Class::Limit | Class::Credential => "a limit setting",
            };
            FieldError::new(
                key,
                Some(Source::Secret),
                Problem::new(format!(
                    "is {class}, which the deployment decides: the secret may hold only credentials; remove it from the secret and set it in the function's environment as {}",
                    key.env()
                )),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(HostError::Config(atlassian_lcm::ConfigError { errors }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlassian_lcm::native::ReqwestClient;

    fn env(pairs: &[(&str, &str)]) -> RawConfig {
        RawConfig::from_vars(pairs.iter().copied())
    }

    fn http() -> Arc<dyn HttpClient> {
        Arc::new(ReqwestClient::new().unwrap())
    }

    fn creds(env: RawConfig, source: Option<SecretSource>, ttl: Duration) -> Credentials {
        Credentials::new(
            env,
            source,
            ttl,
            http(),
            Arc::new(crate::ledger::memory_ledger()),
        )
    }

    const ENV: [(&str, &str); 4] = [
        (
            "LCM_SCIM_URL",
            "https://api.atlassian.com/scim/directory/d1",
        ),
        ("LCM_SCIM_TOKEN", "scim-token-value"),
        ("LCM_ADMIN_API_KEY", "admin-key-value"),
        ("LCM_SCIM_ORGANIZATION_ID", "org-1"),
    ];

    #[tokio::test]
    async fn a_reloaded_engine_keeps_the_sandboxs_rate_limiter() {
        let creds = creds(env(&ENV), None, Duration::ZERO);
        let first = creds.current().await.unwrap();
        let second = creds.refresh(first.generation).await.unwrap();
        assert_eq!(second.generation, first.generation + 1, "a new engine");
        assert!(Arc::ptr_eq(
            first.lcm.rate_limiter(),
            second.lcm.rate_limiter()
        ));
    }

    #[tokio::test]
    async fn environment_only_configuration_is_built_once() {
        let creds = creds(env(&ENV), None, Duration::ZERO);
        assert!(!creds.can_rotate());
        let first = creds.current().await.unwrap();
        let second = creds.current().await.unwrap();
        assert_eq!((first.generation, second.generation), (1, 1));
        assert_eq!(first.lcm.config().credentials().org_id().as_str(), "org-1");
        // The sandbox's ledger, whose warning every report of a table-less run carries.
        assert_eq!(
            first.lcm.ledger().scope_warning(),
            Some(crate::ledger::MEMORY_WARNING)
        );
    }

    #[test]
    fn the_secret_holds_credentials_only() {
        let secret = serde_json::json!({
            "scim_url": "https://api.atlassian.com/scim/directory/d1",
            "scim_token": "scim-token-value",
            "admin_api_key": "admin-key-value",
            "scim_organization_id": "org-1",
            "product_token": "product-token-value",
            "product_user": "bot@example.com",
        });
        assert!(credentials_only(&secret).is_ok());
        let mut bad = secret.clone();
        bad["allow_delete"] = serde_json::json!(true);
        bad["adminBaseUrl"] = serde_json::json!("https://evil.example.com");
        bad["concurrency"] = serde_json::json!(8);
        let e = credentials_only(&bad).unwrap_err();
        assert!(!e.is_transient());
        assert_eq!(e.code(), "invalid_config");
        let HostError::Config(config) = &e else {
            panic!("{e:?}")
        };
        let fields: Vec<_> = config
            .errors
            .iter()
            .map(|f| f.field(atlassian_lcm::config::Spelling::Env))
            .collect();
        assert_eq!(fields, ["admin_base_url", "allow_delete", "concurrency"]);
        let text = e.to_string();
        assert!(
            text.contains("`allow_delete` in the secret is a safety setting")
                && text.contains("set it in the function's environment as LCM_ALLOW_DELETE"),
            "{text}"
        );
        assert!(!text.contains("scim-token-value") && !text.contains("evil.example.com"));
    }

    #[tokio::test]
    async fn invalid_environment_is_a_config_error_naming_fields() {
        let creds = creds(env(&ENV[..2]), None, Duration::ZERO);
        let e = creds.current().await.unwrap_err();
        assert!(!e.is_transient());
        let text = e.to_string();
        assert!(
            text.contains("LCM_ADMIN_API_KEY") && !text.contains("scim-token-value"),
            "{text}"
        );
        assert!(!format!("{creds:?}").contains("scim-token-value"));
    }

    #[test]
    fn freshness_follows_the_ttl() {
        let client = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("eu-west-1"))
                .build(),
        );
        let creds = creds(
            env(&[]),
            Some(SecretSource {
                client,
                arn: "lcm".into(),
            }),
            Duration::from_secs(300),
        );
        let t0 = Instant::now();
        assert!(creds.is_fresh(t0, t0 + Duration::from_secs(299)));
        assert!(!creds.is_fresh(t0, t0 + Duration::from_secs(300)));
    }
}
