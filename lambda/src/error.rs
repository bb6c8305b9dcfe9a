//! Typed errors. [`HostError`] is what can go wrong around the engine
//! (credentials, configuration); [`HandlerError`] is what the function returns
//! to Lambda when it wants the invocation counted as failed — so that Lambda
//! retries it and, once retries are exhausted, the platform's failure
//! destination receives it. Neither ever carries a credential.

use atlassian_lcm::config::Spelling;
use atlassian_lcm::{ConfigError, ErrorCode};
use lambda_runtime::Diagnostic;

/// A failure before the engine could run.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// Secrets Manager could not be read (outage, throttling, permissions):
    /// worth retrying.
    #[error("cannot read the credentials secret: {0}")]
    SecretUnavailable(String),
    /// The environment or the secret holds an invalid configuration: every
    /// event fails the same way until someone fixes it.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl HostError {
    /// Stable code for responses, logs and the failure queue.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::SecretUnavailable(_) => "secret_unavailable",
            HostError::Config(_) => ErrorCode::InvalidConfig.as_str(),
            HostError::Client(_) => "internal",
        }
    }

    /// The setting at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            HostError::Config(e) => e.errors.first().map(|f| f.field(Spelling::Env)),
            _ => None,
        }
    }

    /// True when a later attempt may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, HostError::SecretUnavailable(_) | HostError::Client(_))
    }
}

/// An invocation the function reports to Lambda as failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A failure a retry may fix (Atlassian 5xx, time-outs, Secrets Manager):
    /// Lambda retries the asynchronous event.
    #[error("transient failure ({code}): {message}")]
    Transient {
        /// Error code (`transport`, `secret_unavailable`, ...).
        code: String,
        /// What happened.
        message: String,
    },
    /// A failure no retry fixes, returned as an error only because it could
    /// not be put on the failure queue (none configured, or SQS refused it):
    /// after Lambda's retries it still reaches the platform's dead-letter queue.
    #[error("permanent failure ({code}): {message}")]
    Permanent {
        /// Error code (`invalid_input`, `action_disabled`, ...).
        code: String,
        /// What happened.
        message: String,
    },
    /// A reconcile batch whose items failed in part transiently: Step
    /// Functions retries the batch (`Lcm.ReconcileBatchIncomplete`), and the
    /// items already applied are no-ops the second time.
    #[error("reconcile batch incomplete: {message}")]
    BatchIncomplete {
        /// How many failed, and where the details are.
        message: String,
    },
    /// The payload is no invocation shape this function knows.
    #[error("unrecognised invocation: {0}")]
    UnknownShape(String),
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        // The error type is what Lambda shows as `errorType` and what
        // failure destinations record: keep it stable and greppable.
        let error_type = match &e {
            HandlerError::Transient { .. } => "Lcm.TransientFailure",
            HandlerError::Permanent { .. } => "Lcm.PermanentFailure",
            HandlerError::BatchIncomplete { .. } => "Lcm.ReconcileBatchIncomplete",
            HandlerError::UnknownShape(_) => "Lcm.UnknownInvocation",
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlassian_lcm::config::{FieldError, Key};

    #[test]
    fn host_errors_know_whether_to_retry() {
        assert!(HostError::SecretUnavailable("throttled".into()).is_transient());
        let config = HostError::Config(FieldError::new(Key::ScimUrl, None, "is required").into());
        assert!(!config.is_transient());
        assert_eq!(
            (config.code(), config.field()),
            ("invalid_config", Some("LCM_SCIM_URL"))
        );
    }

    #[test]
    fn diagnostics_have_stable_types() {
        let d: Diagnostic = HandlerError::Transient {
            code: "transport".into(),
            message: "timed out".into(),
        }
        .into();
        assert_eq!(d.error_type, "Lcm.TransientFailure");
        assert!(d.error_message.contains("timed out"));
    }
}
