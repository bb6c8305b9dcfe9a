//! `Emulator`: the handle to a running server, for in-process tests and the binary alike.
//!
//! Starting binds a socket and spawns the server on the current tokio runtime; the handle then
//! reads and steers it (state, request log, faults, tokens). Dropping the handle stops the server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app_state::{lock, AppState};
use crate::faults::Faults;
use crate::log::LoggedRequest;
use crate::seed::{EmulatorOptions, Seed};
use crate::snapshot::StateDump;

/// Where the emulator listens and how to authenticate to it.
///
/// The tokens are included because they are the emulator's own fake credentials: they unlock
/// nothing but this process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmulatorInfo {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The SCIM base URL: `{baseUrl}/scim/directory/{scimDirectoryId}` (`LCM_SCIM_URL`).
    pub scim_url: String,
    /// The Organizations API base: `{baseUrl}/admin` (`LCM_ADMIN_BASE_URL`).
    pub admin_base_url: String,
    /// The user-management base: `{baseUrl}` (`LCM_API_BASE_URL`).
    pub api_base_url: String,
    /// The organization id (`LCM_SCIM_ORGANIZATION_ID`).
    pub org_id: String,
    /// The SCIM directory id (the last segment of `scimUrl`).
    pub scim_directory_id: String,
    /// The Admin API's directory id (different from the SCIM one).
    pub admin_directory_id: String,
    /// The SCIM bearer token (`LCM_SCIM_TOKEN`); fake.
    pub scim_token: String,
    /// The admin API key (`LCM_ADMIN_API_KEY`); fake.
    pub admin_api_key: String,
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    app: Arc<AppState>,
    addr: SocketAddr,
    seed: Seed,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator of `seed` on `127.0.0.1` at a free port.
    pub async fn start(seed: Seed) -> std::io::Result<Emulator> {
        Self::start_on(seed, SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await
    }

    /// Starts an emulator of `seed` on `addr` (port 0 picks a free one). Fails if the seed is
    /// inconsistent (`InvalidInput`) or the address cannot be bound.
    pub async fn start_on(seed: Seed, addr: SocketAddr) -> std::io::Result<Emulator> {
        seed.validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(addr).await?;
        let mut addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() {
            // Bound to every interface: the loopback address is the one that surely works.
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            addr.ip()
        };
        addr.set_ip(host);
        let base_url = match host {
            IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
            IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
        };
        let app = Arc::new(AppState::new(seed.clone(), base_url)?);
        let (shutdown, receiver) = watch::channel(false);
        let task = tokio::spawn(crate::http_server::run(listener, app.clone(), receiver));
        Ok(Emulator {
            app,
            addr,
            seed,
            shutdown,
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.app.base_url.clone()
    }

    /// `{base}/scim/directory/{scimDirectoryId}`: what `LCM_SCIM_URL` should be.
    pub fn scim_url(&self) -> String {
        self.info().scim_url
    }

    /// `{base}/admin`: what `LCM_ADMIN_BASE_URL` should be.
    pub fn admin_base_url(&self) -> String {
        format!("{}/admin", self.app.base_url)
    }

    /// `{base}`: what `LCM_API_BASE_URL` should be (user management lives at the root).
    pub fn api_base_url(&self) -> String {
        self.app.base_url.clone()
    }

    /// The `LCM_*` settings that point atlassian-lcm at this emulator, as
    /// environment variables: its URLs, current credentials and organization,
    /// with custom (non-Atlassian) endpoints allowed. Every host's tests and
    /// the benchmarks start from these, so the list is written once.
    pub fn lcm_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LCM_SCIM_URL", self.scim_url()),
            ("LCM_SCIM_TOKEN", self.scim_token()),
            ("LCM_ADMIN_API_KEY", self.admin_api_key()),
            ("LCM_SCIM_ORGANIZATION_ID", self.org_id()),
            ("LCM_ADMIN_BASE_URL", self.admin_base_url()),
            ("LCM_API_BASE_URL", self.api_base_url()),
            ("LCM_ALLOW_CUSTOM_ENDPOINTS", "true".into()),
        ]
    }

    /// URLs, ids and current credentials.
    pub fn info(&self) -> EmulatorInfo {
        self.app.info()
    }

    /// The seed the emulator started from.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The organization id.
    pub fn org_id(&self) -> String {
        self.app.state().org_id.clone()
    }

    /// The SCIM directory id.
    pub fn scim_directory_id(&self) -> String {
        self.app.state().scim_directory_id.clone()
    }

    /// The Admin API's directory id.
    pub fn admin_directory_id(&self) -> String {
        self.app.state().admin_directory_id.clone()
    }

    /// The SCIM token accepted now.
    pub fn scim_token(&self) -> String {
        self.app.state().scim_token.clone()
    }

    /// `{base}/site/{name}`: a product site, what `LCM_PRODUCT_SITES` lists.
    pub fn product_site_url(&self, name: &str) -> String {
        format!("{}/site/{name}", self.app.base_url)
    }

    /// `{base}/bitbucket`: what `LCM_BITBUCKET_BASE_URL` should be.
    pub fn bitbucket_base_url(&self) -> String {
        format!("{}/bitbucket", self.app.base_url)
    }

    /// The product user (`LCM_PRODUCT_USER`).
    pub fn product_user(&self) -> String {
        self.app.state().products.user.clone()
    }

    /// The product API token the sites and the workspace accept (`LCM_PRODUCT_TOKEN`).
    pub fn product_token(&self) -> String {
        self.app.state().products.token.clone()
    }

    /// The admin API key accepted now.
    pub fn admin_api_key(&self) -> String {
        self.app.state().admin_api_key.clone()
    }

    /// Replaces the fault plan (and restarts its PRNG from `faults.seed`).
    pub fn set_faults(&self, faults: Faults) {
        self.app.set_faults(faults);
    }

    /// Stops injecting faults.
    pub fn clear_faults(&self) {
        self.app.set_faults(Faults::default());
    }

    /// Replaces the behaviour switches (the visibility delay among them) without resetting the
    /// org; a delay applies to accounts minted from now on.
    pub fn set_options(&self, options: EmulatorOptions) {
        self.app.state().options = options;
    }

    /// Rotates credentials: `Some` replaces a token, `None` keeps it. The old token stops working.
    pub fn set_tokens(&self, scim_token: Option<String>, admin_api_key: Option<String>) {
        self.app.set_tokens(scim_token, admin_api_key);
    }

    /// Every finished request since the start (or the last clear), in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.app.requests()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        lock(&self.app.log).clear();
    }

    /// A snapshot of the org.
    pub fn state(&self) -> StateDump {
        self.app.snapshot()
    }

    /// Restores `seed`'s org (keeping the port), and clears the log and the faults.
    pub fn reset(&self, seed: Seed) -> std::io::Result<()> {
        self.app
            .reset(Some(seed))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    }

    /// Stops the server now, cutting requests in flight.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Stops accepting, then waits (a few seconds at most) for requests in flight to finish.
    pub async fn shutdown_gracefully(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
