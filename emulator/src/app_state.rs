//! What every handler shares: the org, the fault engine, the request log and the clock.
//!
//! One struct behind an `Arc`, each part behind its own `std::sync::Mutex` (no lock is held across
//! an `.await`), so faults and the log never wait on a slow state change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::clock::Clock;
use crate::faults::FaultEngine;
use crate::log::LoggedRequest;
use crate::seed::Seed;
use crate::snapshot::StateDump;
use crate::state::OrgState;

/// The state behind every handler, as axum's `State` extractor hands it out.
pub(crate) struct AppState {
    pub state: Mutex<OrgState>,
    pub faults: Mutex<FaultEngine>,
    pub log: Mutex<Vec<LoggedRequest>>,
    pub seq: AtomicU64,
    /// The time, read once per request and handed to the model.
    pub clock: Clock,
    /// Zero of the log's microsecond clock.
    pub epoch: Instant,
    /// `http://127.0.0.1:PORT`, for `meta.location` and the URL accessors.
    pub base_url: String,
    /// What `POST /__emulator/reset` restores when given no seed.
    pub startup_seed: Seed,
}

/// Locks a mutex, carrying on past poisoning: a panicking handler must not wedge the emulator
/// for every later test.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    pub fn new(seed: Seed, base_url: String) -> std::io::Result<AppState> {
        let clock = Clock;
        let state = OrgState::from_seed(&seed, &clock.now())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Ok(AppState {
            state: Mutex::new(state),
            faults: Mutex::new(FaultEngine::default()),
            log: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            clock,
            epoch: Instant::now(),
            base_url,
            startup_seed: seed,
        })
    }

    pub fn state(&self) -> MutexGuard<'_, OrgState> {
        lock(&self.state)
    }

    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }
}

impl AppState {
    /// Replaces the org with `seed`'s (default: the startup seed), clears the log and the faults.
    pub fn reset(&self, seed: Option<Seed>) -> Result<(), String> {
        let seed = seed.unwrap_or_else(|| self.startup_seed.clone());
        let fresh = OrgState::from_seed(&seed, &self.clock.now())?;
        *self.state() = fresh;
        *lock(&self.faults) = FaultEngine::default();
        lock(&self.log).clear();
        self.seq.store(0, Ordering::SeqCst);
        Ok(())
    }

    pub fn set_faults(&self, faults: crate::faults::Faults) {
        *lock(&self.faults) = FaultEngine::new(faults);
    }

    /// Replaces the tokens given; `None` keeps the current one.
    pub fn set_tokens(&self, scim_token: Option<String>, admin_api_key: Option<String>) {
        let mut state = self.state();
        if let Some(token) = scim_token {
            state.scim_token = token;
        }
        if let Some(key) = admin_api_key {
            state.admin_api_key = key;
        }
    }

    /// The org as it stands now.
    pub fn snapshot(&self) -> StateDump {
        let now = self.clock.now();
        StateDump::of(&self.state(), now.instant)
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        let mut log = lock(&self.log).clone();
        log.sort_by_key(|r| r.seq);
        log
    }

    pub fn info(&self) -> crate::handle::EmulatorInfo {
        let state = self.state();
        crate::handle::EmulatorInfo {
            base_url: self.base_url.clone(),
            scim_url: format!(
                "{}/scim/directory/{}",
                self.base_url, state.scim_directory_id
            ),
            admin_base_url: format!("{}/admin", self.base_url),
            api_base_url: self.base_url.clone(),
            org_id: state.org_id.clone(),
            scim_directory_id: state.scim_directory_id.clone(),
            admin_directory_id: state.admin_directory_id.clone(),
            scim_token: state.scim_token.clone(),
            admin_api_key: state.admin_api_key.clone(),
        }
    }
}
