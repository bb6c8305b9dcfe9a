//! The engine's configuration and credentials: the `LCM_*` environment
//! variables merged with the JSON secret named by `LCM_SECRET_ARN` (the
//! secret wins where both name a setting), validated by the core, and kept
//! in an [`Lcm`] shared by warm invocations.
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

use std::sync::Arc;
use std::time::{Duration, Instant};

use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::config::{FieldError, Source};
use atlassian_lcm::http::HttpClient;
use atlassian_lcm::native::TokioSleep;
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
    cache: RwLock<Option<Loaded>>,
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
    /// HTTP client every engine built here shares (its connection pool
    /// survives a rotation).
    pub fn new(
        env: RawConfig,
        source: Option<SecretSource>,
        ttl: Duration,
        http: Arc<dyn HttpClient>,
    ) -> Self {
        Credentials {
            env,
            source,
            ttl,
            http,
            cache: RwLock::new(None),
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
        let lcm = Lcm::new(
            config,
            self.http.clone(),
            Arc::new(TokioSleep),
            Arc::new(SystemClock),
        );
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
    Ok(RawConfig::from_json(&json, Source::Secret)?)
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
    async fn environment_only_configuration_is_built_once() {
        let creds = Credentials::new(env(&ENV), None, Duration::ZERO, http());
        assert!(!creds.can_rotate());
        let first = creds.current().await.unwrap();
        let second = creds.current().await.unwrap();
        assert_eq!((first.generation, second.generation), (1, 1));
        assert_eq!(first.lcm.config().credentials().org_id().as_str(), "org-1");
    }

    #[tokio::test]
    async fn invalid_environment_is_a_config_error_naming_fields() {
        let creds = Credentials::new(env(&ENV[..2]), None, Duration::ZERO, http());
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
        let creds = Credentials::new(
            env(&[]),
            Some(SecretSource {
                client,
                arn: "lcm".into(),
            }),
            Duration::from_secs(300),
            http(),
        );
        let t0 = Instant::now();
        assert!(creds.is_fresh(t0, t0 + Duration::from_secs(299)));
        assert!(!creds.is_fresh(t0, t0 + Duration::from_secs(300)));
    }
}
