//! What one engine call sent: the tally of requests and retries, and — in a
//! dry run — the writes recorded instead of sent.

use std::sync::Mutex;

use crate::report::PlannedRequest;

#[derive(Debug, Default)]
struct Tally {
    calls: u32,
    retries: u32,
    plan: Vec<PlannedRequest>,
}

/// Counts requests and keeps the plan. Its lock is never held across an `.await`.
#[derive(Debug, Default)]
pub(crate) struct Recorder(Mutex<Tally>);

impl Recorder {
    /// Counts attempt number `attempt` (1-based) of one request as sent.
    pub fn sent(&self, attempt: u32) {
        let mut t = self.0.lock().expect("tally lock");
        t.calls += 1;
        if attempt > 1 {
            t.retries += 1;
        }
    }

    /// Records a write that a dry run does not send.
    pub fn plan(&self, request: PlannedRequest) {
        self.0.lock().expect("tally lock").plan.push(request);
    }

    /// Requests sent and retries so far.
    pub fn counts(&self) -> (u32, u32) {
        let t = self.0.lock().expect("tally lock");
        (t.calls, t.retries)
    }

    /// The writes recorded so far, leaving none.
    pub fn take_plan(&self) -> Vec<PlannedRequest> {
        std::mem::take(&mut self.0.lock().expect("tally lock").plan)
    }
}
