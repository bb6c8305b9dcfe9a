//! `lcm-bench`: the benchmarks of `scripts/bench`. Each subcommand prints its figures as JSON
//! lines ([`row::Row`]) on stdout and its progress on stderr; `render` turns collected rows into
//! the Markdown table of `docs/performance.md`. Figures are printed, never asserted on time.

mod bulk;
mod lambda;
mod lifecycles;
mod naive;
mod org;
mod reconcile;
mod row;
mod runtime_api;
mod versus;

use std::process::ExitCode;

const USAGE: &str = "\
usage: lcm-bench COMMAND [OPTIONS]
  lifecycles [--log]                        round trips and API calls per lifecycle (10 groups)
  versus [--rounds N] [--workers N]         lcm vs a naive sequential client, 20 ms latency, ABAB
  bulk [--joiners N] [--limit RPS]          N joiners under an emulator limit of RPS requests/s
  lambda --function PATH --echo PATH [--starts N] [--events N]
                                            Lambda init vs a bare echo; peak RSS over N events
  reconcile-plan [--people N]               plan N people (1 % drift) in a child; peak RSS, reads
  reconcile-apply [--people N] [--limit RPS]
                                            reconcile --apply vs one worker-state event per worker
  render FILE                               the Markdown table of the rows in FILE (JSON Lines)";

/// The value after `--name` in `args`, parsed, or `default`.
fn option<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a valid value")),
    }
}

async fn dispatch(args: &[String]) -> Result<(), String> {
    let rest = &args[1..];
    match args.first().map(String::as_str) {
        Some("lifecycles") => lifecycles::run(rest.iter().any(|a| a == "--log")).await,
        Some("versus") => {
            versus::run(option(rest, "--rounds", 5)?, option(rest, "--workers", 4)?).await
        }
        Some("bulk") => {
            bulk::run(
                option(rest, "--joiners", 1000)?,
                option(rest, "--limit", 100)?,
            )
            .await
        }
        Some("lambda") => {
            let path = |name| {
                option::<String>(rest, name, String::new()).and_then(|p| {
                    if p.is_empty() {
                        Err(format!("{name} PATH is required"))
                    } else {
                        Ok(p)
                    }
                })
            };
            lambda::run(lambda::Plan {
                function: path("--function")?.into(),
                echo: path("--echo")?.into(),
                starts: option(rest, "--starts", 9)?,
                events: option(rest, "--events", 100)?,
            })
            .await
        }
        Some("reconcile-plan") => reconcile::plan_rss(option(rest, "--people", 100_000)?).await,
        Some("reconcile-apply") => {
            reconcile::versus_naive(
                option(rest, "--people", 10_000)?,
                option(rest, "--limit", 100)?,
            )
            .await
        }
        // The planner of `reconcile-plan`, in a process of its own so its RSS is its own.
        Some("plan-child") => {
            let roster = rest
                .first()
                .ok_or("plan-child ROSTER: the roster is required")?;
            reconcile::plan_child(roster).await
        }
        Some("render") => {
            let file = rest
                .first()
                .ok_or("render FILE: the rows file is required")?;
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            print!("{}", row::table(&row::parse_rows(&text)?));
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lcm-bench: {e}");
            ExitCode::from(2)
        }
    }
}
