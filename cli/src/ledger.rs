//! The CLI's ordering ledger (README: Ordering): one SQLite file per host,
//! `$XDG_STATE_HOME/atlassian-lcm/ledger.sqlite3` (else
//! `~/.local/state/atlassian-lcm/ledger.sqlite3`), moved with `LCM_LEDGER=PATH`.
//!
//! Every [`Ledger`] operation is one SQL statement, and SQLite runs each
//! statement atomically under its file lock, so concurrent `lcm` processes
//! sharing the file cannot both take a lease or both move the record. Two
//! tables, because a lease comes and goes while the applied fact stays:
//!
//! | table | columns |
//! |---|---|
//! | `facts` | `worker` (key), `occurred_at_ms`, `event_id`, `lifecycle` |
//! | `leases` | `worker` (key), `owner`, `expires_at_ms` |
//!
//! The file uses SQLite's default rollback journal rather than WAL, so that
//! `lcm plan` can open it read-only (a WAL reader must be able to write the
//! shared-memory file).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use atlassian_lcm::ledger::{AppliedFact, Ledger, LedgerError, WorkerKey};
use atlassian_lcm::platform::BoxFuture;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

/// The variable that moves the ledger file.
pub const PATH_VAR: &str = "LCM_LEDGER";

/// How long a statement waits for another process's lock on the file. Every
/// statement is tiny, so a lock is held for milliseconds; this covers a slow
/// disk and many processes at once.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS facts (
    worker TEXT PRIMARY KEY NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    lifecycle TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    worker TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);";

/// Where the ledger lives: `LCM_LEDGER`, else under `XDG_STATE_HOME`, else
/// under `HOME` (`lookup` reads the environment).
pub fn default_path(lookup: impl Fn(&str) -> Option<String>) -> Result<PathBuf, String> {
    let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
    if let Some(path) = var(PATH_VAR) {
        return Ok(PathBuf::from(path));
    }
    // The XDG spec ignores a relative XDG_STATE_HOME; so do we.
    let state = var("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".local/state")))
        .ok_or_else(|| {
            format!(
                "cannot place the ordering ledger: neither XDG_STATE_HOME nor HOME is set; \
                 set {PATH_VAR}=PATH to the ledger file (see README: Ordering)"
            )
        })?;
    Ok(state.join("atlassian-lcm").join("ledger.sqlite3"))
}

/// The ordering ledger in one SQLite file.
pub struct SqliteLedger {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLedger")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteLedger {
    /// Opens (creating it and its directory when missing) the ledger at `path`.
    pub fn open(path: &Path) -> Result<SqliteLedger, String> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            format!(
                "cannot open the ordering ledger {}: {what}: {e} (set {PATH_VAR}=PATH to put it elsewhere)",
                path.display()
            )
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail("cannot create its directory", &e))?;
        }
        let connection = Connection::open(path).map_err(|e| fail("cannot open the file", &e))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| connection.execute_batch(SCHEMA))
            .map_err(|e| fail("cannot prepare its tables", &e))?;
        Ok(SqliteLedger::over(path, connection))
    }

    /// Opens the ledger at `path` for reading only (`lcm plan`); `None` when
    /// there is no file yet, which records nothing.
    pub fn open_read_only(path: &Path) -> Result<Option<SqliteLedger>, String> {
        if !path.exists() {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .and_then(|c| c.busy_timeout(BUSY_TIMEOUT).map(|()| c))
            .map_err(|e| {
                format!(
                    "cannot read the ordering ledger {}: {e} (set {PATH_VAR}=PATH to the right file)",
                    path.display()
                )
            })?;
        Ok(Some(SqliteLedger::over(path, connection)))
    }

    fn over(path: &Path, connection: Connection) -> SqliteLedger {
        SqliteLedger {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
        }
    }

    /// Runs `f` on the connection, naming the file and the operation on error.
    fn with<T>(
        &self,
        operation: &str,
        key: &WorkerKey,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        // A panic mid-statement leaves SQLite consistent (it rolls back), so
        // a poisoned lock is still a sound connection.
        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        f(&connection).map_err(|e| {
            LedgerError(format!(
                "{operation} for {key} in {} failed: {e}",
                self.path.display()
            ))
        })
    }
}

/// SQLite integers are signed: a time past `i64::MAX` ms is as good as never.
fn ms(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

impl Ledger for SqliteLedger {
    fn read<'a>(
        &'a self,
        key: &'a WorkerKey,
    ) -> BoxFuture<'a, Result<Option<AppliedFact>, LedgerError>> {
        let result = self.with("reading the record", key, |c| {
            c.query_row(
                "SELECT occurred_at_ms, event_id, lifecycle FROM facts WHERE worker = ?1",
                params![key.as_str()],
                |row| {
                    Ok(AppliedFact {
                        occurred_at_ms: row.get(0)?,
                        event_id: row.get(1)?,
                        lifecycle: row.get(2)?,
                    })
                },
            )
            .optional()
        });
        Box::pin(async move { result })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        let result = self.with("taking the lease", key, |c| {
            c.execute(
                "INSERT INTO leases (worker, owner, expires_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (worker) DO UPDATE SET owner = excluded.owner,
                     expires_at_ms = excluded.expires_at_ms
                 WHERE leases.owner = excluded.owner OR leases.expires_at_ms <= ?4",
                params![key.as_str(), owner, ms(expires_at_ms), ms(now_ms)],
            )
            .map(|changed| changed == 1)
        });
        Box::pin(async move { result })
    }

    fn advance<'a>(
        &'a self,
        key: &'a WorkerKey,
        fact: &'a AppliedFact,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        let result = self.with("advancing the record", key, |c| {
            c.execute(
                "INSERT INTO facts (worker, occurred_at_ms, event_id, lifecycle) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (worker) DO UPDATE SET occurred_at_ms = excluded.occurred_at_ms,
                     event_id = excluded.event_id, lifecycle = excluded.lifecycle
                 WHERE facts.occurred_at_ms <= excluded.occurred_at_ms",
                params![key.as_str(), fact.occurred_at_ms, fact.event_id, fact.lifecycle],
            )
            .map(|changed| changed == 1)
        });
        Box::pin(async move { result })
    }

    fn release<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>> {
        let result = self.with("releasing the lease", key, |c| {
            c.execute(
                "DELETE FROM leases WHERE worker = ?1 AND owner = ?2",
                params![key.as_str(), owner],
            )
            .map(drop)
        });
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lcm-ledger-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("nested").join("ledger.sqlite3")
    }

    #[test]
    fn the_path_is_lcm_ledger_else_xdg_state_else_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            default_path(env(&[("LCM_LEDGER", "/x/l.db"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/x/l.db")
        );
        assert_eq!(
            default_path(env(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/s/atlassian-lcm/ledger.sqlite3")
        );
        assert_eq!(
            default_path(env(&[("XDG_STATE_HOME", "rel"), ("HOME", "/h")])).unwrap(),
            PathBuf::from("/h/.local/state/atlassian-lcm/ledger.sqlite3")
        );
        let e = default_path(env(&[("LCM_LEDGER", "")])).unwrap_err();
        assert!(e.contains("LCM_LEDGER=PATH"), "{e}");
    }

    #[tokio::test]
    async fn two_connections_to_one_file_keep_the_ledger_rules() {
        let path = temp("rules");
        let a = SqliteLedger::open(&path).unwrap();
        let b = SqliteLedger::open(&path).unwrap();
        atlassian_lcm::ledger::conformance::check_rules(&a, &b).await;
        let k = WorkerKey::from_stored("hr:E1");
        let ro = SqliteLedger::open_read_only(&path).unwrap().unwrap();
        let recorded = ro.read(&k).await.unwrap().expect("a record");
        assert_eq!(recorded.event_id, "e3");
        assert!(ro.advance(&k, &recorded).await.is_err(), "read-only");
    }

    #[test]
    fn a_missing_file_reads_as_empty_and_an_unopenable_one_is_named() {
        let path = temp("missing");
        assert!(SqliteLedger::open_read_only(&path).unwrap().is_none());
        assert!(!path.exists(), "reading created nothing");
        let e = SqliteLedger::open(Path::new("/dev/null/ledger.sqlite3")).unwrap_err();
        assert!(
            e.contains("/dev/null/ledger.sqlite3") && e.contains("LCM_LEDGER"),
            "{e}"
        );
    }
}
