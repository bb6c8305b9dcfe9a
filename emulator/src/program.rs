//! Running the emulator as a program: argument parsing and the serve-until-signalled loop.
//!
//! Lives in the library so the `atlassian-emulator` binary and the project CLI's `lcm emulator`
//! share one implementation: both parse the same flags and print the same ready line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde_json::json;

use crate::faults::Faults;
use crate::handle::Emulator;
use crate::seed::Seed;

/// The binary's flags.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeArgs {
    /// `--host` (default `127.0.0.1`).
    pub host: IpAddr,
    /// `--port` (default 0: pick a free port).
    pub port: u16,
    /// `--seed-file`: a JSON [`Seed`]; default [`Seed::demo`].
    pub seed_file: Option<PathBuf>,
    /// `--bulk-users N`: add N generated users to the seed.
    pub bulk_users: usize,
    /// `--faults-file`: a JSON [`Faults`] plan to start with.
    pub faults_file: Option<PathBuf>,
    /// `--fault-seed N`: the fault PRNG seed.
    pub fault_seed: Option<u64>,
    /// `--latency-ms N`: latency added to every request.
    pub latency_ms: Option<u64>,
    /// `--visibility-delay-ms N`: how long new accounts stay hidden from Admin.
    pub visibility_delay_ms: Option<u64>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            seed_file: None,
            bulk_users: 0,
            faults_file: None,
            fault_seed: None,
            latency_ms: None,
            visibility_delay_ms: None,
        }
    }
}

/// What the flags asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Serve with these settings.
    Serve(ServeArgs),
    /// `--help`: print [`USAGE`].
    Help,
}

/// The `--help` text.
pub const USAGE: &str = "\
atlassian-emulator: Atlassian Cloud's SCIM, Admin and user-management APIs in memory, over HTTP

USAGE: atlassian-emulator [OPTIONS]

OPTIONS:
  --host ADDR                 address to bind (default 127.0.0.1)
  --port N                    port to bind (default 0: pick a free one)
  --seed-file FILE            JSON seed (org, users, groups, options); default: the demo org
  --bulk-users N              add N generated users (pagination tests)
  --faults-file FILE          JSON fault plan to start with (also: PUT /__emulator/faults)
  --fault-seed N              seed of the fault PRNG
  --latency-ms N              latency added to every request
  --visibility-delay-ms N     how long a SCIM-created account stays hidden from Admin (its
                              searches, reads and membership writes answer as if it did not exist)
  -h, --help                  this text

On ready, prints one JSON line to stdout: {\"ready\":true,\"baseUrl\":...,\"scimUrl\":...,
\"adminBaseUrl\":...,\"apiBaseUrl\":...,\"orgId\":...,\"scimToken\":...,\"adminApiKey\":...}.
The tokens are fake: they unlock only this emulator. Stops on SIGINT or SIGTERM.
Control API (no auth): GET /__emulator/state|requests|info, DELETE /__emulator/requests,
PUT|DELETE /__emulator/faults, PUT /__emulator/tokens, PUT /__emulator/options
({\"accountVisibilityDelayMs\":N,...}: new accounts stay hidden from Admin, membership writes
included, for N ms), POST /__emulator/reset [seed], POST /__emulator/large-org ({\"people\":N,\"driftPercent\":P,
\"seed\":S}: reset to a generated organisation; answers its HR roster and drift).";

impl ServeArgs {
    /// Parses flags (without the program name). Accepts `--flag value` and `--flag=value`.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
        let mut parsed = ServeArgs::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_string(), Some(value.to_string()))
                }
                _ => (arg.clone(), None),
            };
            if flag == "-h" || flag == "--help" {
                return Ok(Command::Help);
            }
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            fn number<T: std::str::FromStr>(flag: &str, text: String) -> Result<T, String> {
                text.parse()
                    .map_err(|_| format!("{flag} expects a number, got {text:?}"))
            }
            match flag.as_str() {
                "--host" => {
                    let text = value()?;
                    parsed.host = text
                        .parse()
                        .map_err(|_| format!("--host expects an IP address, got {text:?}"))?;
                }
                "--port" => parsed.port = number(&flag, value()?)?,
                "--seed-file" => parsed.seed_file = Some(PathBuf::from(value()?)),
                "--bulk-users" => parsed.bulk_users = number(&flag, value()?)?,
                "--faults-file" => parsed.faults_file = Some(PathBuf::from(value()?)),
                "--fault-seed" => parsed.fault_seed = Some(number(&flag, value()?)?),
                "--latency-ms" => parsed.latency_ms = Some(number(&flag, value()?)?),
                "--visibility-delay-ms" => {
                    parsed.visibility_delay_ms = Some(number(&flag, value()?)?)
                }
                other => return Err(format!("unknown option {other} (try --help)")),
            }
        }
        Ok(Command::Serve(parsed))
    }

    /// The seed these flags describe (reads `--seed-file`).
    pub fn seed(&self) -> std::io::Result<Seed> {
        let mut seed = match &self.seed_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot read seed file {}: {e}", path.display()),
                    )
                })?;
                serde_json::from_str(&text).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("seed file {} is not a valid seed: {e}", path.display()),
                    )
                })?
            }
            None => Seed::demo(),
        };
        if self.bulk_users > 0 {
            seed = seed.with_bulk_users(self.bulk_users);
        }
        if let Some(delay) = self.visibility_delay_ms {
            seed.options.account_visibility_delay_ms = delay;
        }
        Ok(seed)
    }

    /// The fault plan these flags describe, if any.
    pub fn faults(&self) -> std::io::Result<Option<Faults>> {
        let mut faults = match &self.faults_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)?;
                Some(serde_json::from_str::<Faults>(&text).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("faults file {} is not valid: {e}", path.display()),
                    )
                })?)
            }
            None => None,
        };
        if self.fault_seed.is_some() || self.latency_ms.is_some() {
            let plan = faults.get_or_insert_with(Faults::default);
            if let Some(seed) = self.fault_seed {
                plan.seed = seed;
            }
            if let Some(latency) = self.latency_ms {
                plan.latency_ms = latency;
            }
        }
        Ok(faults)
    }

    /// Serves until SIGINT/SIGTERM (see [`serve_forever_with`]).
    pub async fn run(self) -> std::io::Result<()> {
        let seed = self.seed()?;
        let faults = self.faults()?;
        serve_forever_with(seed, SocketAddr::new(self.host, self.port), faults).await
    }
}

/// Serves `seed` on `addr` until SIGINT or SIGTERM, printing the ready line.
pub async fn serve_forever(seed: Seed, addr: SocketAddr) -> std::io::Result<()> {
    serve_forever_with(seed, addr, None).await
}

/// [`serve_forever`] with a fault plan from the start.
///
/// Prints one JSON line to stdout once listening — `{"ready":true, ...EmulatorInfo}` — so a parent
/// process can wait for it and read the URLs and (fake) tokens, then a line for people on stderr.
pub async fn serve_forever_with(
    seed: Seed,
    addr: SocketAddr,
    faults: Option<Faults>,
) -> std::io::Result<()> {
    let emulator = Emulator::start_on(seed, addr).await?;
    if let Some(faults) = faults {
        emulator.set_faults(faults);
    }
    let info = emulator.info();
    let mut ready = serde_json::to_value(&info)?;
    ready["ready"] = json!(true);
    println!("{ready}");
    eprintln!(
        "atlassian-emulator listening on {} (SCIM {}, Admin {}; control API {}/__emulator/info); Ctrl-C stops it",
        info.base_url, info.scim_url, info.admin_base_url, info.base_url
    );
    wait_for_signal().await?;
    eprintln!("atlassian-emulator shutting down");
    emulator.shutdown_gracefully().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, String> {
        ServeArgs::parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_flags_both_ways() {
        let Command::Serve(parsed) =
            args(&["--port", "8080", "--bulk-users=150", "--latency-ms", "5"]).unwrap()
        else {
            panic!("expected serve")
        };
        assert_eq!(
            (parsed.port, parsed.bulk_users, parsed.latency_ms),
            (8080, 150, Some(5))
        );
        assert_eq!(
            parsed.seed().unwrap().users.len(),
            Seed::demo().users.len() + 150
        );
        assert_eq!(parsed.faults().unwrap().unwrap().latency_ms, 5);
        assert_eq!(args(&["--help"]).unwrap(), Command::Help);
        assert!(args(&["--port"]).unwrap_err().contains("needs a value"));
        assert!(args(&["--port", "x"]).unwrap_err().contains("number"));
        assert!(args(&["--nope"]).unwrap_err().contains("unknown option"));
    }
}
