//! `lcm`: the command-line host. It parses arguments, loads the configuration,
//! calls the core and prints the report — nothing more; every Atlassian rule
//! lives in the `atlassian-lcm` crate.

mod demo;
mod ledger;
mod render;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use atlassian_lcm::{parse_request, parse_request_str, Lcm, Report, RunOptions};

const USAGE: &str = "\
lcm: keep Atlassian Cloud in step with HR (joiners, movers, leavers, rehires, purges)

USAGE:
  lcm demo [--json]                 run a whole lifecycle on the built-in emulator
  lcm plan FILE [--json]            dry run: show the writes an event or action would make
  lcm run FILE [--json]             execute an event or action (FILE may be - for stdin)
  lcm check [GROUP...] [--json]     check credentials, directories and group routing
  lcm emulator [OPTIONS]            serve the Atlassian emulator (see lcm emulator --help)

OPTIONS:
  --config FILE   JSON configuration (snake_case keys); LCM_* environment variables win
  --json          print the report as JSON (the same report every host returns)

Configuration comes from LCM_SCIM_URL, LCM_SCIM_TOKEN, LCM_ADMIN_API_KEY,
LCM_SCIM_ORGANIZATION_ID and the optional LCM_* settings (see the README).
Events are applied in HR order (occurredAt) through a ledger file shared by every
lcm on this host: $XDG_STATE_HOME/atlassian-lcm/ledger.sqlite3 (else under
~/.local/state), or LCM_LEDGER=PATH. An event older than the latest one applied
for its worker is refused as stale_event, with nothing sent.
Exit status: 0 when the outcome is succeeded, no_change or planned; 1 when it is
partial or failed (a stale event included); 2 for bad input, bad configuration,
a ledger that cannot be opened, or bad usage.";

struct Args {
    command: String,
    positional: Vec<String>,
    json: bool,
    config: Option<PathBuf>,
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
        config: None,
    };
    let mut it = raw.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = true,
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
    let args = match parse_args(raw) {
        Ok(a) => a,
        Err(e) => return usage_error(&e),
    };
    let code = match args.command.as_str() {
        "demo" => demo::run(args.json).await,
        "plan" | "run" => execute(&args, args.command == "plan").await,
        "check" => check(&args).await,
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

/// The largest event or action file `lcm run`/`plan` reads: an event is a few
/// kilobytes, so anything near this is not one.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

fn read_input(path: &str) -> Result<String, String> {
    use std::io::Read;
    let (name, source): (&str, Box<dyn Read>) = if path == "-" {
        ("stdin", Box::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        (path, Box::new(file))
    };
    // Bounded: one byte past the cap is enough to know it is too large.
    let mut bytes = Vec::new();
    source
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!(
            "{name} is larger than the 1 MiB ({MAX_INPUT_BYTES} bytes) an event or action may be; nothing was sent"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("cannot read {name}: it is not UTF-8 text"))
}

async fn execute(args: &Args, dry_run: bool) -> Result<i32, String> {
    let [file] = args.positional.as_slice() else {
        return Err(format!(
            "`lcm {}` takes one FILE (an event or action as JSON, or - for stdin)",
            args.command
        ));
    };
    // Input first: bad input must not depend on (or touch) the configuration.
    let request = parse_request_str(&read_input(file)?)
        .map_err(|e| format!("{file}: {}: {}", e.field, e.message))?;
    let config = settings::load(args.config.as_deref())?;
    let lcm = Lcm::native(config).map_err(|e| e.to_string())?;
    let lcm = with_ledger(lcm, dry_run)?;
    let report = lcm
        .run(
            &request,
            RunOptions {
                dry_run,
                ..Default::default()
            },
        )
        .await;
    print_report(&report, args.json)
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
