//! `lcm`: the command-line host. It parses arguments, loads the configuration,
//! calls the core and prints the report — nothing more; every Atlassian rule
//! lives in the `atlassian-lcm` crate.

mod bulk;
mod demo;
mod input;
mod ledger;
mod reconcile;
mod render;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use atlassian_lcm::{parse_request, Lcm, Report, RunOptions};

const USAGE: &str = "\
lcm: keep Atlassian Cloud in step with HR (joiners, movers, leavers, rehires, purges)

USAGE:
  lcm demo [--json]                 run a whole lifecycle on the built-in emulator
  lcm plan FILE... [--json]         dry run: show the writes events or actions would make
  lcm run FILE... [--json]          execute events or actions (see FILES below)
  lcm check [GROUP...] [--json]     check credentials, directories and group routing
  lcm reconcile ROSTER.jsonl [--apply] [--as-of TIME] [--json]
                                    diff Atlassian against the HR roster and print the plan
                                    (writes nothing); --apply executes it (see RECONCILE)
  lcm emulator [OPTIONS]            serve the Atlassian emulator (see lcm emulator --help)

OPTIONS:
  --config FILE   JSON configuration (snake_case keys); LCM_* environment variables win
  --json          print the report as JSON (the same report every host returns)

FILES (lcm run, lcm plan):
  FILE.json       one event or action
  FILE.jsonl      JSON Lines: one event or action a line; blank lines are skipped
  -               JSON Lines on stdin (a single pretty-printed event is read as one event)
  Several FILEs, or any JSON Lines, make a bulk run: every FILE and line is validated first, and
  a bad one refuses the whole run (exit 2, each bad FILE:LINE named) before anything is sent.
  Events for one worker (hrId, else workEmail) run in input order; different workers run
  concurrently, LCM_CONCURRENCY of them at a time, all paced by one rate limiter and one ledger.
  --json prints one report a line (NDJSON) in input order, and the summary line on stderr;
  otherwise each event gets a line as it finishes (its full report if it did not succeed), a
  progress bar is shown while stderr is a terminal, and the run ends with the summary line:
    summary: 300 events: 298 succeeded, 2 no change; 2,411 API calls, 3 retries, 41.2 s, 58.5 req/s
  One .json FILE alone prints its full report as before (--json: pretty-printed).

RECONCILE (lcm reconcile):
  ROSTER.jsonl    one worker a line: the event's worker fields plus `status` (`active` or
                  `terminated`) and `groups`; - reads it from stdin. A bad line refuses the run
                  (exit 2, its line number and field named) before anything is sent.
  Groups in scope: LCM_MANAGED_GROUPS, else those the roster names. A plan deprovisioning more
  than LCM_MAX_DEPROVISIONS (default 5%) is refused whole with --apply. LCM_ORPHANS=report
  (default) lists SCIM users no line matches; deprovision deprovisions those that are ours.
  --as-of TIME (RFC 3339, default now) is when HR's roster was true: each applied event is
  that one fact for the ordering ledger, so a worker whose ledger holds a newer event is left
  alone (stale_event). --json prints one document: summary, entries, orphans. Exit 0: plan
  made or fully applied;
  1: some of it failed, or refused; 2: bad roster or configuration.

Configuration comes from LCM_SCIM_URL, LCM_SCIM_TOKEN, LCM_ADMIN_API_KEY,
LCM_SCIM_ORGANIZATION_ID and the optional LCM_* settings (see the README).
Events are applied in HR order (occurredAt) through a ledger file shared by every
lcm on this host: $XDG_STATE_HOME/atlassian-lcm/ledger.sqlite3 (else under
~/.local/state), or LCM_LEDGER=PATH. An event older than the latest one applied
for its worker is refused as stale_event, with nothing sent.
Exit status: 0 when the outcome of every event is succeeded, no_change or planned;
1 when any is partial or failed (a stale event included); 2 for bad input (any
bad FILE or line), bad configuration, a ledger that cannot be opened, or bad
usage, with nothing sent to Atlassian.";

/// The command line, parsed.
pub(crate) struct Args {
    command: String,
    positional: Vec<String>,
    pub(crate) json: bool,
    pub(crate) apply: bool,
    /// `lcm reconcile --as-of`, unparsed.
    pub(crate) as_of: Option<String>,
    pub(crate) config: Option<PathBuf>,
}

fn parse_args(mut raw: Vec<String>) -> Result<Args, String> {
    if raw.is_empty() {
        return Err("no command given".into());
    }
    let command = raw.remove(0);
    let mut args = Args {
        command,
        positional: Vec::new(),
        json: false,
        apply: false,
        as_of: None,
        config: None,
    };
    let mut it = raw.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
            "--apply" if args.command == "reconcile" => args.apply = true,
            "--as-of" if args.command == "reconcile" => {
                args.as_of = Some(it.next().ok_or("--as-of needs a time (RFC 3339)")?)
            }
            s if s.starts_with("--as-of=") && args.command == "reconcile" => {
                args.as_of = Some(s["--as-of=".len()..].into())
            }
            "--config" => args.config = Some(it.next().ok_or("--config needs a file")?.into()),
            s if s.starts_with("--config=") => args.config = Some(s["--config=".len()..].into()),
            "-" => args.positional.push(a),
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            _ => args.positional.push(a),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if matches!(
        raw.first().map(String::as_str),
        Some("-h" | "--help" | "help")
    ) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if raw.first().map(String::as_str) == Some("emulator") {
        return emulator(raw[1..].to_vec()).await;
    }
    // `lcm run --help` and the like: the one usage text covers every command.
    if raw.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(raw) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let code = match args.command.as_str() {
        "demo" => demo::run(args.json).await,
        "plan" | "run" => execute(&args, args.command == "plan").await,
        "check" => check(&args).await,
        "reconcile" => match args.positional.as_slice() {
            [roster] => reconcile::run(roster, &args).await,
            _ => return usage_error("`lcm reconcile` takes one ROSTER.jsonl (or - for stdin)"),
        },
        other => return usage_error(&format!("unknown command `{other}`")),
    };
    match code {
        Ok(c) => ExitCode::from(c as u8),
        Err(e) => {
            eprintln!("lcm: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("lcm: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

async fn execute(args: &Args, dry_run: bool) -> Result<i32, String> {
    if args.positional.is_empty() {
        return Err(format!(
            "`lcm {}` takes one or more FILEs (an event as JSON, events as JSON Lines in a .jsonl file, or - for JSON Lines on stdin)",
            args.command
        ));
    }
    // Input first, all of it: bad input must not depend on (or touch) the
    // configuration, and one bad line refuses the whole run before any call.
    let mut input = input::read_all(&args.positional)?;
    let config = settings::load(args.config.as_deref())?;
    let lcm = Lcm::native(config).map_err(|e| e.to_string())?;
    let lcm = with_ledger(lcm, dry_run)?;
    let options = RunOptions {
        dry_run,
        ..Default::default()
    };
    let alone = input.events.len() == 1 && args.positional.len() == 1;
    if alone && (input.single_file || !args.json) {
        // One event: the full report, exactly as before bulk runs.
        let event = input.events.remove(0);
        let report = lcm.run(&event.request, options).await;
        return print_report(&report, args.json);
    }
    bulk::run(&lcm, input.events, dry_run, args.json).await
}

/// The engine over the host's ledger file: `lcm run` opens it for writing
/// (creating it), `lcm plan` only reads it, and never creates it.
fn with_ledger(lcm: Lcm, read_only: bool) -> Result<Lcm, String> {
    let path = ledger::default_path(|k| std::env::var(k).ok())?;
    if read_only {
        Ok(match ledger::SqliteLedger::open_read_only(&path)? {
            Some(l) => lcm.with_ledger(Arc::new(l)),
            // No file: nothing was ever recorded, so nothing is stale.
            None => lcm,
        })
    } else {
        Ok(lcm.with_ledger(Arc::new(ledger::SqliteLedger::open(&path)?)))
    }
}

async fn check(args: &Args) -> Result<i32, String> {
    // Through the parser, as every host does, so a bad group name is refused before anything
    // is loaded or sent.
    let call = serde_json::json!({ "action": "CHECK", "groups": args.positional });
    let request = parse_request(&call).map_err(|e| format!("check {}: {}", e.field, e.message))?;
    let config = settings::load(args.config.as_deref())?;
    let lcm = Lcm::native(config).map_err(|e| e.to_string())?;
    let report = lcm.run(&request, RunOptions::default()).await;
    print_report(&report, args.json)
}

fn print_report(report: &Report, json: bool) -> Result<i32, String> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", render::report(report, render::Style::detect()));
    }
    Ok(if report.outcome.is_success() { 0 } else { 1 })
}

async fn emulator(args: Vec<String>) -> ExitCode {
    use atlassian_emulator::program::{Command, ServeArgs, USAGE as EMULATOR_USAGE};
    match ServeArgs::parse(args) {
        Ok(Command::Help) => {
            println!(
                "{}",
                EMULATOR_USAGE.replace("atlassian-emulator", "lcm emulator")
            );
            ExitCode::SUCCESS
        }
        Ok(Command::Serve(a)) => match a.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lcm emulator: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("lcm emulator: {e}");
            ExitCode::from(2)
        }
    }
}
