//! What a function instance builds once, in `main`, and every invocation
//! borrows: the host settings, the cached credentials and engine, the HTTP
//! client, the ordering ledger and the AWS clients (the
//! `basic-shared-resource` pattern of `aws-lambda-rust-runtime`).

use std::sync::Arc;

use atlassian_lcm::ledger::Ledger;
use atlassian_lcm::native::ReqwestClient;
use atlassian_lcm::RawConfig;
use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::credentials::{Credentials, SecretSource};
use crate::error::HostError;
use crate::failure::FailureQueue;
use crate::ledger::{memory_ledger, DynamoLedger, TABLE_VAR};
use crate::reconcile_store::ReconcileStore;
use crate::settings::HostSettings;

/// The shared state of a function instance.
#[derive(Debug)]
pub struct App {
    /// Host settings.
    pub settings: HostSettings,
    /// Configuration, credentials and the engine built from them.
    pub credentials: Credentials,
    /// Where permanent failures of asynchronous events go, if configured.
    pub failure_queue: Option<FailureQueue>,
    /// What `ledger` is, for the `ready` log line: the table, or `memory`.
    pub ledger_name: String,
    /// The distributed reconcile's bucket, when `LCM_RECONCILE_BUCKET` is set.
    pub reconcile_store: Option<ReconcileStore>,
}

impl App {
    /// Builds the instance from the process environment. AWS clients are made
    /// only when a setting needs them; `aws-config` honours the usual
    /// variables, `AWS_ENDPOINT_URL` included (how the tests reach moto).
    pub async fn from_env() -> Result<App, HostError> {
        let settings = HostSettings::from_env(|k| std::env::var(k).ok())?;
        let env = RawConfig::from_env(|k| std::env::var(k).ok());
        let http = ReqwestClient::new().map_err(|e| HostError::Client(e.to_string()))?;
        let table = std::env::var(TABLE_VAR)
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let aws = if settings.secret_arn.is_some()
            || settings.failure_queue_url.is_some()
            || settings.reconcile_bucket.is_some()
            || table.is_some()
        {
            // rustls over ring, like the core's reqwest client: one crypto
            // provider in the binary (see Cargo.toml).
            let client = aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build_https();
            Some(
                aws_config::defaults(BehaviorVersion::latest())
                    .http_client(client)
                    .load()
                    .await,
            )
        } else {
            None
        };
        let source = match (&settings.secret_arn, &aws) {
            (Some(arn), Some(aws)) => Some(SecretSource {
                client: aws_sdk_secretsmanager::Client::new(aws),
                arn: arn.clone(),
            }),
            _ => None,
        };
        let failure_queue = match (&settings.failure_queue_url, &aws) {
            (Some(url), Some(aws)) => Some(FailureQueue {
                client: aws_sdk_sqs::Client::new(aws),
                url: url.clone(),
            }),
            _ => None,
        };
        let reconcile_store = match (&settings.reconcile_bucket, &aws) {
            (Some(bucket), Some(aws)) => Some(ReconcileStore::new(bucket.clone(), s3_client(aws))),
            _ => None,
        };
        // One ledger per sandbox, shared by every engine the credentials cache
        // builds: a rotation must not forget the in-memory ledger's records.
        let (ledger, ledger_name): (Arc<dyn Ledger>, String) = match (table, &aws) {
            (Some(table), Some(aws)) => {
                (Arc::new(DynamoLedger::from_env(aws, table.clone())), table)
            }
            _ => (Arc::new(memory_ledger()), "memory".into()),
        };
        let credentials =
            Credentials::new(env, source, settings.secret_ttl, Arc::new(http), ledger);
        Ok(App {
            settings,
            credentials,
            failure_queue,
            ledger_name,
            reconcile_store,
        })
    }
}

/// An S3 client; path-style addressing when the endpoint is overridden
/// (`AWS_ENDPOINT_URL`: a local S3 such as moto's has no bucket subdomains).
fn s3_client(aws: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(aws)
        .force_path_style(aws.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
