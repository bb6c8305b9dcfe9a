//! The reconcile bucket as the function sees it: rosters read from one
//! prefix, plans, batch details and reports written under another. The key
//! checks come before any call, so a key outside its prefix is a clear
//! input error rather than an `AccessDenied` from the role's least
//! privilege (which still stands behind them).

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;

use crate::settings::BucketSettings;

/// The largest roster read (bytes): some 300,000 people at the roster's
/// usual 300 bytes a line, well inside the function's memory.
pub const MAX_ROSTER_BYTES: u64 = 100 * 1024 * 1024;

/// What can go wrong with the bucket.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A key this function may not use (outside its prefix, or malformed).
    #[error("{0}")]
    Key(String),
    /// The roster is not there, or is too large.
    #[error("{0}")]
    Roster(String),
    /// S3 failed (outage, throttling, permissions): worth retrying.
    #[error("S3 {operation} of s3://{bucket}/{key} failed: {message}")]
    S3 {
        /// `GetObject` or `PutObject`.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The SDK's error, without request details.
        message: String,
    },
}

impl StoreError {
    /// True when a later attempt may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::S3 { .. })
    }
}

/// The bucket, its prefixes and an S3 client.
#[derive(Debug, Clone)]
pub struct ReconcileStore {
    /// The bucket and prefixes.
    pub settings: BucketSettings,
    client: aws_sdk_s3::Client,
}

impl ReconcileStore {
    /// A store over `client`.
    pub fn new(settings: BucketSettings, client: aws_sdk_s3::Client) -> Self {
        ReconcileStore { settings, client }
    }

    /// The roster at `key` (under the roster prefix) as text.
    pub async fn read_roster(&self, key: &str) -> Result<String, StoreError> {
        check_key(key, &self.settings.roster_prefix, "rosterKey")?;
        let bucket = &self.settings.bucket;
        let failed = |message: String| StoreError::S3 {
            operation: "GetObject",
            bucket: bucket.clone(),
            key: key.to_string(),
            message,
        };
        let object = match self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let service = e.as_service_error();
                // The role has no ListBucket (least privilege), so S3 answers a
                // missing key with AccessDenied rather than NoSuchKey: both mean
                // no roster this function can read, and no retry brings one.
                let missing =
                    service.is_some_and(|s| s.is_no_such_key() || s.code() == Some("AccessDenied"));
                if missing {
                    return Err(StoreError::Roster(format!(
                        "no roster readable at s3://{bucket}/{key}: upload it there (under {}), or start the reconcile with the rosterKey it has",
                        self.settings.roster_prefix
                    )));
                }
                return Err(failed(
                    aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
                ));
            }
        };
        let size = object.content_length().unwrap_or(0).max(0) as u64;
        if size > MAX_ROSTER_BYTES {
            return Err(StoreError::Roster(format!(
                "the roster at s3://{bucket}/{key} is {size} bytes, more than the {MAX_ROSTER_BYTES} one plan step reads"
            )));
        }
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| failed(e.to_string()))?
            .into_bytes();
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            StoreError::Roster(format!(
                "the roster at s3://{bucket}/{key} is not UTF-8 text"
            ))
        })
    }

    /// Writes `body` at the report prefix + `name`; returns the key.
    pub async fn write_report(
        &self,
        name: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<String, StoreError> {
        let key = format!("{}{name}", self.settings.report_prefix);
        check_key(&key, &self.settings.report_prefix, "report key")?;
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(&key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| StoreError::S3 {
                operation: "PutObject",
                bucket: self.settings.bucket.clone(),
                key: key.clone(),
                message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
        Ok(key)
    }
}

/// `key` must lie under `prefix`, with no empty, `.` or `..` segment and no
/// control character: S3 keys are opaque, but a roster key that climbs out
/// of its prefix in a log or a console is one a person misreads.
pub fn check_key(key: &str, prefix: &str, what: &str) -> Result<(), StoreError> {
    let rest = key.strip_prefix(prefix).ok_or_else(|| {
        StoreError::Key(format!(
            "{what} `{key}` is not under `{prefix}`: this function reads rosters and writes reports only under its prefixes"
        ))
    })?;
    let bad_segment = rest
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..");
    if rest.is_empty() || bad_segment || key.chars().any(char::is_control) || key.len() > 1024 {
        return Err(StoreError::Key(format!(
            "{what} `{}` is not a plain key under `{prefix}`",
            key.escape_debug()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_under_their_prefix() {
        assert!(check_key("rosters/2026-12-01.jsonl", "rosters/", "rosterKey").is_ok());
        assert!(check_key("rosters/acme/all.jsonl", "rosters/", "rosterKey").is_ok());
        for bad in [
            "reports/x.jsonl",
            "rosters/",
            "rosters/../reports/x",
            "rosters//x",
            "rosters/./x",
            "rosters/a\nb",
            "Rosters/x",
        ] {
            let e = check_key(bad, "rosters/", "rosterKey").unwrap_err();
            assert!(
                matches!(e, StoreError::Key(_)) && e.to_string().contains("rosterKey"),
                "{bad}: {e}"
            );
        }
    }
}
