//! `DynamoLedger` against a real local DynamoDB: `moto_server` on a free
//! loopback port (the binary of `$LCM_MOTO_SERVER`, else
//! `.tools/venv/bin/moto_server`, which `scripts/test-lambda` installs).
//!
//! Without moto_server the test says it skipped, and fails under `CI=true`:
//! CI must never pass a ledger it did not exercise.
//!
//! moto is started with its requests serialized (see [`SERIALIZE_MOTO`]):
//! DynamoDB applies each conditional write atomically, moto does not, and the
//! race test needs the store's semantics, not moto's.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use atlassian_lcm::ledger::{conformance, AppliedFact, Ledger, WorkerKey};
use atlassian_lcm_lambda::ledger::{fact_pk, lease_pk, DynamoLedger};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// Distinctive fake credentials, so a test can show errors never carry them.
const ACCESS_KEY: &str = "AKIALEDGERTESTKEY";
const SECRET_KEY: &str = "ledger-test-secret-value";

/// A `sitecustomize` module for moto_server's Python, which imports it at
/// start-up from `PYTHONPATH`: it serializes moto's requests, because moto
/// (unlike DynamoDB) does not apply a conditional write atomically. The file
/// says why; the Lambda e2e suite starts its moto with it too.
const SERIALIZE_MOTO: &str = include_str!("../../tests/lambda/moto_site/sitecustomize.py");

/// The moto_server process; stopped when dropped, failures included.
struct Moto {
    child: Child,
    url: String,
    site_dir: PathBuf,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.site_dir);
    }
}

fn moto_binary() -> Option<PathBuf> {
    let path = std::env::var_os("LCM_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/moto_server")
        });
    path.is_file().then_some(path)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().unwrap().port()
}

/// Starts moto_server, or returns `None` (after saying so) when it is absent.
fn start_moto() -> Option<Moto> {
    let Some(binary) = moto_binary() else {
        eprintln!(
            "SKIPPED dynamodb_ledger: moto_server not found (run scripts/test-lambda once to install it)"
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "moto_server is required under CI=true: set LCM_MOTO_SERVER or install .tools/venv"
        );
        return None;
    };
    let port = free_port();
    let site_dir = std::env::temp_dir().join(format!("lcm-dynamodb-ledger-{}", std::process::id()));
    std::fs::create_dir_all(&site_dir).unwrap();
    std::fs::write(site_dir.join("sitecustomize.py"), SERIALIZE_MOTO).unwrap();
    let child = Command::new(&binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("PYTHONPATH", &site_dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let mut moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
        site_dir,
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = moto.child.try_wait() {
            panic!("moto_server exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        moto.site_dir.join("serialized").is_file(),
        "{} did not load the sitecustomize that serializes its requests (is it moto's Python moto_server?)",
        binary.display()
    );
    Some(moto)
}

/// The AWS configuration the function would load, pointed at moto, with the
/// same rustls-over-ring HTTP client as `App::from_env`.
async fn aws_config(moto: &Moto) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .endpoint_url(&moto.url)
        .http_client(http)
        .load()
        .await
}

/// Creates a table shaped as `infra/template.yaml` creates it.
async fn create_table(aws: &SdkConfig, name: &str) -> DynamoLedger {
    let client = aws_sdk_dynamodb::Client::new(aws);
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("create table {name}: {e:?}"));
    DynamoLedger::from_env(aws, name)
}

fn fact(at: i64, id: &str) -> AppliedFact {
    AppliedFact {
        occurred_at_ms: at,
        event_id: id.into(),
        lifecycle: "mover".into(),
    }
}

/// The rules every ledger keeps (the same check the memory and SQLite
/// ledgers pass), through two clients on one table, as two warm functions
/// would share it.
async fn keeps_the_ledger_rules(aws: &SdkConfig) {
    let a = create_table(aws, "ledger-rules").await;
    let b = DynamoLedger::from_env(aws, "ledger-rules");
    conformance::check_rules(&a, &b).await;
}

/// What only DynamoDB has: the lease's TTL attribute in whole seconds
/// (rounded up) beside the exact milliseconds, and facts that TTL never
/// deletes.
async fn items_carry_ttl_only_on_leases(aws: &SdkConfig) {
    let l = create_table(aws, "ledger-items").await;
    let k = WorkerKey::from_stored("email:ada@example.com");
    assert!(l.try_lease(&k, "b", 250, 2_500_001).await.unwrap());
    let item = raw_item(aws, l.table(), &lease_pk(&k)).await;
    assert_eq!(item["owner"], AttributeValue::S("b".into()));
    assert_eq!(item["expiresAtMs"], AttributeValue::N("2500001".into()));
    assert_eq!(item["expiresAt"], AttributeValue::N("2501".into()));
    assert_eq!(l.read(&k).await.unwrap(), None, "a lease records no fact");
    assert!(l.advance(&k, &fact(11, "e3")).await.unwrap());
    assert_eq!(l.read(&k).await.unwrap(), Some(fact(11, "e3")));
    let item = raw_item(aws, l.table(), &fact_pk(&k)).await;
    assert!(
        !item.contains_key("expiresAt"),
        "TTL must never delete a fact"
    );
}

async fn one_of_many_concurrent_leases_wins(aws: &SdkConfig) {
    let l = Arc::new(create_table(aws, "ledger-race").await);
    let k = WorkerKey::from_stored("hr:E3");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (l, k) = (l.clone(), k.clone());
            tokio::spawn(async move { l.try_lease(&k, &format!("run-{i}"), 1_000, 60_000).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(
        winners, 1,
        "exactly one of 20 concurrent runs holds the lease"
    );
}

async fn errors_name_table_and_operation_not_credentials(aws: &SdkConfig) {
    let l = DynamoLedger::from_env(aws, "ledger-missing");
    let k = WorkerKey::from_stored("hr:E4");
    let e = l.read(&k).await.unwrap_err().to_string();
    assert!(e.contains("ledger-missing") && e.contains("GetItem"), "{e}");
    let e = l.try_lease(&k, "a", 0, 1).await.unwrap_err().to_string();
    assert!(
        e.contains("ledger-missing") && e.contains("try_lease"),
        "{e}"
    );
    assert!(!e.contains(ACCESS_KEY) && !e.contains(SECRET_KEY), "{e}");
}

async fn raw_item(
    aws: &SdkConfig,
    table: &str,
    pk: &str,
) -> std::collections::HashMap<String, AttributeValue> {
    aws_sdk_dynamodb::Client::new(aws)
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_else(|| panic!("no item {pk} in {table}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_ledger_against_moto() {
    let Some(moto) = start_moto() else {
        return;
    };
    let aws = aws_config(&moto).await;
    // One server for every scenario (it takes seconds to start); each
    // scenario has its own table.
    keeps_the_ledger_rules(&aws).await;
    items_carry_ttl_only_on_leases(&aws).await;
    one_of_many_concurrent_leases_wins(&aws).await;
    errors_name_table_and_operation_not_credentials(&aws).await;
}
