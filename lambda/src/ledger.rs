//! The Lambda's ordering ledger (DESIGN §6): a DynamoDB table named by
//! `LCM_LEDGER_TABLE`, each [`Ledger`] operation one conditional request, so
//! concurrent sandboxes handling the same worker cannot both win.
//!
//! A worker has two items, both under the string partition key `pk`:
//!
//! | `pk` | attributes | written by |
//! |---|---|---|
//! | `fact#<worker key>` | `occurredAtMs` (N), `eventId` (S), `lifecycle` (S) | [`Ledger::advance`] |
//! | `lease#<worker key>` | `owner` (S), `expiresAtMs` (N), `expiresAt` (N, epoch seconds) | [`Ledger::try_lease`] |
//!
//! They are separate because the table's TTL (on `expiresAt`) deletes whole
//! items: a lapsed lease may vanish, the applied fact must never. TTL only
//! tidies up; the conditions compare `expiresAtMs`, so a lapsed lease that
//! DynamoDB has not deleted yet is free all the same.
//!
//! Without a table (a local run) the host uses [`memory_ledger`], whose
//! warning every report carries.

use std::collections::HashMap;

use atlassian_lcm::ledger::{AppliedFact, Ledger, LedgerError, MemoryLedger, WorkerKey};
use atlassian_lcm::platform::BoxFuture;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

/// The environment variable that names the ledger table.
pub const TABLE_VAR: &str = "LCM_LEDGER_TABLE";

/// The warning of the in-memory ledger used when [`TABLE_VAR`] is not set.
pub const MEMORY_WARNING: &str = "LCM_LEDGER_TABLE is not set: events are ordered only within \
     this function instance (in-memory ledger), not across concurrent instances; deploy the \
     stack's ledger table and set LCM_LEDGER_TABLE to its name";

/// The ledger of a function with no table configured.
pub fn memory_ledger() -> MemoryLedger {
    MemoryLedger::with_warning(MEMORY_WARNING)
}

/// The attribute names, in one place because conditions and parsing share them.
const PK: &str = "pk";
const OCCURRED_AT_MS: &str = "occurredAtMs";
const EVENT_ID: &str = "eventId";
const LIFECYCLE: &str = "lifecycle";
const OWNER: &str = "owner";
const EXPIRES_AT_MS: &str = "expiresAtMs";
const EXPIRES_AT: &str = "expiresAt";

/// The ordering ledger in a DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLedger {
    /// A ledger in `table`, through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoLedger {
            client,
            table: table.into(),
        }
    }

    /// A ledger in `table` with a client built from the function's AWS
    /// configuration (region, credentials, `AWS_ENDPOINT_URL`, HTTP client),
    /// as `main` loads it from the environment.
    pub fn from_env(aws_config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoLedger::new(aws_sdk_dynamodb::Client::new(aws_config), table)
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// An error naming the table and the operation. The SDK's message carries
    /// the service's code and text and a request id, never credentials.
    fn error<E, R>(&self, operation: &str, key: &WorkerKey, e: &SdkError<E, R>) -> LedgerError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        LedgerError(format!(
            "DynamoDB table {}: {operation} for {key} failed: {}",
            self.table,
            DisplayErrorContext(e)
        ))
    }

    async fn get_fact(&self, key: &WorkerKey) -> Result<Option<AppliedFact>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(fact_pk(key)))
            // The decision "is this event stale" must see the latest advance,
            // which an eventually consistent read may miss.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.error("GetItem (read)", key, &e))?;
        out.item().map(parse_fact).transpose().map_err(|why| {
            LedgerError(format!(
                "DynamoDB table {}: the fact item for {key} {why}",
                self.table
            ))
        })
    }

    async fn put_lease(
        &self,
        key: &WorkerKey,
        owner: &str,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<bool, LedgerError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, AttributeValue::S(lease_pk(key)))
            .item(OWNER, AttributeValue::S(owner.to_string()))
            .item(EXPIRES_AT_MS, number(expires_at_ms))
            .item(EXPIRES_AT, number(ttl_seconds(expires_at_ms)))
            .condition_expression(format!(
                "attribute_not_exists({PK}) OR {EXPIRES_AT_MS} <= :now OR #owner = :me"
            ))
            // `owner` is a DynamoDB reserved word.
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":now", number(now_ms))
            .expression_attribute_values(":me", AttributeValue::S(owner.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if conditional_check_failed(&e) => Ok(false),
            Err(e) => Err(self.error("PutItem (try_lease)", key, &e)),
        }
    }

    async fn put_fact(&self, key: &WorkerKey, fact: &AppliedFact) -> Result<bool, LedgerError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, AttributeValue::S(fact_pk(key)))
            .item(
                OCCURRED_AT_MS,
                AttributeValue::N(fact.occurred_at_ms.to_string()),
            )
            .item(EVENT_ID, AttributeValue::S(fact.event_id.clone()))
            .item(LIFECYCLE, AttributeValue::S(fact.lifecycle.clone()))
            // `<=`: an equal time is not stale (see `judge`), it applies in
            // arrival order.
            .condition_expression(format!(
                "attribute_not_exists({PK}) OR {OCCURRED_AT_MS} <= :t"
            ))
            .expression_attribute_values(":t", AttributeValue::N(fact.occurred_at_ms.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if conditional_check_failed(&e) => Ok(false),
            Err(e) => Err(self.error("PutItem (advance)", key, &e)),
        }
    }

    async fn delete_lease(&self, key: &WorkerKey, owner: &str) -> Result<(), LedgerError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(lease_pk(key)))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_values(":me", AttributeValue::S(owner.to_string()))
            .send()
            .await;
        match result {
            // A failed condition means another run took the lapsed lease, or
            // nobody holds it: either way there is nothing of ours to give back.
            Ok(_) => Ok(()),
            Err(e) if conditional_check_failed(&e) => Ok(()),
            Err(e) => Err(self.error("DeleteItem (release)", key, &e)),
        }
    }
}

impl Ledger for DynamoLedger {
    fn read<'a>(
        &'a self,
        key: &'a WorkerKey,
    ) -> BoxFuture<'a, Result<Option<AppliedFact>, LedgerError>> {
        Box::pin(self.get_fact(key))
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(self.put_lease(key, owner, now_ms, expires_at_ms))
    }

    fn advance<'a>(
        &'a self,
        key: &'a WorkerKey,
        fact: &'a AppliedFact,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(self.put_fact(key, fact))
    }

    fn release<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(self.delete_lease(key, owner))
    }
}

/// The partition key of a worker's applied fact.
pub fn fact_pk(key: &WorkerKey) -> String {
    format!("fact#{key}")
}

/// The partition key of a worker's lease.
pub fn lease_pk(key: &WorkerKey) -> String {
    format!("lease#{key}")
}

/// The TTL attribute for a lease lapsing at `expires_at_ms`: epoch seconds,
/// rounded up so DynamoDB never deletes a lease before it lapses.
fn ttl_seconds(expires_at_ms: u64) -> u64 {
    expires_at_ms.div_ceil(1000)
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn conditional_check_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    // Every operation's error type names the exception by its code; matching
    // the code keeps one function for PutItem and DeleteItem.
    e.as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// The fact an item holds; the error says what is wrong with it.
fn parse_fact(item: &HashMap<String, AttributeValue>) -> Result<AppliedFact, String> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        Some(_) => Err(format!("has a {name} that is not a string")),
        None => Err(format!("has no {name}")),
    };
    let occurred_at_ms = match item.get(OCCURRED_AT_MS) {
        Some(AttributeValue::N(n)) => n
            .parse::<i64>()
            .map_err(|_| format!("has an {OCCURRED_AT_MS} that is not an integer ({n})"))?,
        Some(_) => return Err(format!("has an {OCCURRED_AT_MS} that is not a number")),
        None => return Err(format!("has no {OCCURRED_AT_MS}")),
    };
    Ok(AppliedFact {
        occurred_at_ms,
        event_id: text(EVENT_ID)?,
        lifecycle: text(LIFECYCLE)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_fact_and_lease() {
        let k = WorkerKey::from_stored("hr:E1");
        assert_eq!(fact_pk(&k), "fact#hr:E1");
        assert_eq!(lease_pk(&k), "lease#hr:E1");
    }

    #[test]
    fn ttl_never_precedes_the_lapse() {
        assert_eq!(ttl_seconds(1_000), 1);
        assert_eq!(ttl_seconds(1_001), 2);
        assert_eq!(ttl_seconds(0), 0);
    }

    #[test]
    fn fact_items_parse_or_say_what_is_wrong() {
        let mut item = HashMap::from([
            (PK.to_string(), AttributeValue::S("fact#hr:E1".into())),
            (OCCURRED_AT_MS.to_string(), AttributeValue::N("42".into())),
            (EVENT_ID.to_string(), AttributeValue::S("e1".into())),
            (LIFECYCLE.to_string(), AttributeValue::S("mover".into())),
        ]);
        assert_eq!(
            parse_fact(&item),
            Ok(AppliedFact {
                occurred_at_ms: 42,
                event_id: "e1".into(),
                lifecycle: "mover".into()
            })
        );
        item.insert(OCCURRED_AT_MS.into(), AttributeValue::N("4.2".into()));
        assert!(parse_fact(&item).unwrap_err().contains("not an integer"));
        item.remove(OCCURRED_AT_MS);
        assert_eq!(parse_fact(&item).unwrap_err(), "has no occurredAtMs");
    }

    #[test]
    fn without_a_table_reports_carry_the_warning() {
        let warning = memory_ledger().scope_warning().map(str::to_string);
        assert!(warning.as_deref().is_some_and(|w| w.contains(TABLE_VAR)));
    }
}
