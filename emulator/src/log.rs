//! The request log: what clients sent and what they got back, for assertions in tests.
//!
//! The log exists so tests can check *how* a client talked to Atlassian (how many writes, how much
//! was done concurrently), not only the end state. It never stores the `Authorization` header or
//! any other header: bodies, paths and queries are all it keeps, so a token cannot leak through it.

use serde::{Deserialize, Serialize};

/// Which of Atlassian's APIs a request addressed (by path prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Api {
    /// `/scim/directory/...`: user provisioning.
    Scim,
    /// `/admin/...`: the Organizations API.
    Admin,
    /// `/users/{accountId}/manage...`: user management.
    UserManagement,
    /// `/site/{name}/rest/...`: Jira on a product site.
    Jira,
    /// `/site/{name}/wiki/...`: Confluence on a product site.
    Confluence,
    /// `/bitbucket/2.0/...`: Bitbucket Cloud.
    Bitbucket,
    /// Anything else (answered 404).
    Other,
}

impl Api {
    /// The API a request path belongs to.
    pub fn for_path(path: &str) -> Api {
        if path.starts_with("/scim/") {
            Api::Scim
        } else if path.starts_with("/admin/") {
            Api::Admin
        } else if path.starts_with("/users/") {
            Api::UserManagement
        } else if let Some(rest) = path.strip_prefix("/site/") {
            match rest.split_once('/') {
                Some((_, below)) if below.starts_with("wiki/") => Api::Confluence,
                _ => Api::Jira,
            }
        } else if path.starts_with("/bitbucket/") {
            Api::Bitbucket
        } else {
            Api::Other
        }
    }
}

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Arrival order, from 1; also the order faults were decided in.
    pub seq: u64,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The JSON body, if any (a non-JSON body is kept as a JSON string).
    pub body: Option<serde_json::Value>,
    /// The status sent back; 0 when the connection was dropped without a response.
    pub status: u16,
    /// When the request arrived, in microseconds since the emulator started.
    pub started_at_us: u64,
    /// When the response was sent (or the connection dropped), same clock.
    pub finished_at_us: u64,
    /// Whether the response was an injected fault rather than the API's own answer.
    pub injected_fault: bool,
    /// Which API the path addressed.
    pub api: Api,
}

impl LoggedRequest {
    /// Whether this request changes state: anything but `GET`/`HEAD`/`OPTIONS` and the Admin
    /// search POSTs (`.../search`), which only read.
    pub fn is_write(&self) -> bool {
        match self.method.as_str() {
            "GET" | "HEAD" | "OPTIONS" => false,
            "POST" => !self.path.ends_with("/search"),
            _ => true,
        }
    }
}

/// The length of the longest chain of requests in which each starts after the previous one
/// finished: the number of round trips on the critical path. Requests that overlap in time count
/// once, so a client that runs independent calls concurrently scores lower than one that doesn't.
pub fn sequential_round_trips(log: &[LoggedRequest]) -> usize {
    let mut by_finish: Vec<&LoggedRequest> = log.iter().collect();
    by_finish.sort_by_key(|r| r.finished_at_us);
    let mut by_start: Vec<&LoggedRequest> = log.iter().collect();
    by_start.sort_by_key(|r| r.started_at_us);

    // Sweep by start time; `best_done` is the longest chain among requests finished by then.
    let mut chain_of: std::collections::HashMap<u64, usize> = Default::default();
    let mut best_done = 0usize;
    let mut finished = 0usize;
    let mut longest = 0usize;
    for request in by_start {
        while finished < by_finish.len()
            && by_finish[finished].finished_at_us <= request.started_at_us
        {
            let done = by_finish[finished];
            // A request that finished before this one started was itself started earlier, so its
            // chain length is already known.
            best_done = best_done.max(chain_of.get(&done.seq).copied().unwrap_or(1));
            finished += 1;
        }
        let chain = best_done + 1;
        chain_of.insert(request.seq, chain);
        longest = longest.max(chain);
    }
    longest
}

/// The requests that change state (see [`LoggedRequest::is_write`]), in log order.
pub fn writes(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter().filter(|r| r.is_write()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(seq: u64, method: &str, path: &str, start: u64, end: u64) -> LoggedRequest {
        LoggedRequest {
            seq,
            method: method.into(),
            path: path.into(),
            query: None,
            body: None,
            status: 200,
            started_at_us: start,
            finished_at_us: end,
            injected_fault: false,
            api: Api::for_path(path),
        }
    }

    /// The round trips of a log given as `(seq, started, finished)` rows.
    fn round_trips(rows: &[(u64, u64, u64)]) -> usize {
        let log: Vec<LoggedRequest> = rows
            .iter()
            .map(|&(seq, start, end)| req(seq, "GET", "/scim/x", start, end))
            .collect();
        sequential_round_trips(&log)
    }

    #[test]
    fn round_trips_count_the_critical_path() {
        assert_eq!(round_trips(&[]), 0);
        // 1 then (2 ∥ 3) then 4: three round trips, not four.
        assert_eq!(
            round_trips(&[(1, 0, 10), (2, 10, 30), (3, 12, 20), (4, 31, 40)]),
            3
        );
        // A request that starts while another is in flight does not extend the chain.
        assert_eq!(round_trips(&[(1, 0, 10), (2, 5, 15), (3, 9, 20)]), 1);
        // Fully sequential, given out of order.
        assert_eq!(round_trips(&[(3, 20, 30), (1, 0, 10), (2, 10, 20)]), 3);
        // The chain follows the longest path, not the latest finisher: 1→2→4 beats 3→4.
        assert_eq!(
            round_trips(&[(1, 0, 5), (2, 6, 8), (3, 0, 9), (4, 10, 12)]),
            3
        );
    }

    #[test]
    fn searches_and_gets_are_reads() {
        let log = [
            req(1, "GET", "/scim/directory/d/Users", 0, 1),
            req(
                2,
                "POST",
                "/admin/v2/orgs/o/directories/-/users/search",
                0,
                1,
            ),
            req(3, "POST", "/scim/directory/d/Users", 0, 1),
            req(4, "PATCH", "/scim/directory/d/Groups/g", 0, 1),
            req(
                5,
                "DELETE",
                "/admin/v2/orgs/o/directories/d/groups/g/memberships/a",
                0,
                1,
            ),
        ];
        let seqs: Vec<u64> = writes(&log).iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(log[4].api, Api::Admin);
    }
}
