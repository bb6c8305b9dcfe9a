//! Round trips and API calls per lifecycle for one person with ten groups of every kind (4
//! admin-managed, 3 IdP-synced, 3 SCIM-only), at a fixed 20 ms per request so that overlapping
//! requests show in the emulator's log. Counts are deterministic; the targets are issue 11's.

use atlassian_emulator::{sequential_round_trips, writes, Emulator, Faults};
use atlassian_lcm::{Outcome, RunOptions};
use serde_json::Value;

use crate::org;
use crate::row::Row;

const BENCH: &str = "Round trips (10 groups, 20 ms latency)";

/// One lifecycle of the sequence, with its round-trip target.
struct Step {
    name: &'static str,
    event: Value,
    max_round_trips: usize,
    reads_only: bool,
}

/// The person's life: joiner, a replay of it once converged, mover, leaver, rehire.
fn steps() -> Vec<Step> {
    let person = org::worker(1);
    let ten = org::ten_groups();
    let mut moved = person.clone();
    moved["title"] = "Staff Engineer".into();
    let joiner = org::event("bench-joiner", "joiner", 0, person.clone(), Some(&ten));
    vec![
        Step {
            name: "joiner",
            event: joiner.clone(),
            max_round_trips: 3,
            reads_only: false,
        },
        Step {
            name: "replay (converged joiner)",
            event: joiner,
            max_round_trips: 2,
            reads_only: true,
        },
        Step {
            name: "mover (title, 3 groups swapped)",
            event: org::event("bench-mover", "mover", 1, moved, Some(&org::moved_groups())),
            max_round_trips: 3,
            reads_only: false,
        },
        Step {
            name: "leaver",
            event: org::leaver("bench-leaver", 2, &person),
            max_round_trips: 3,
            reads_only: false,
        },
        Step {
            name: "rehire",
            event: org::event("bench-rehire", "rehire", 3, person, Some(&ten)),
            max_round_trips: 4,
            reads_only: false,
        },
    ]
}

/// Runs the sequence and prints its rows; with `show_log`, every request on stderr too.
pub async fn run(show_log: bool) -> Result<(), String> {
    let emu = Emulator::start(org::seed())
        .await
        .map_err(|e| e.to_string())?;
    let lcm = org::engine(&emu);
    emu.set_faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    });
    for step in steps() {
        emu.clear_requests();
        let report = lcm
            .run_json(&step.event, RunOptions::default())
            .await
            .map_err(|e| format!("{}: {e}", step.name))?;
        if !matches!(report.outcome, Outcome::Succeeded | Outcome::NoChange) {
            return Err(format!("{} did not succeed: {report:#?}", step.name));
        }
        let log = emu.requests();
        if show_log {
            for r in &log {
                let q = r
                    .query
                    .as_deref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                eprintln!(
                    "{} {:>7}..{:<7} {} {}{} -> {} {}",
                    step.name,
                    r.started_at_us / 1000,
                    r.finished_at_us / 1000,
                    r.method,
                    r.path,
                    q,
                    r.status,
                    r.body.as_ref().map(|b| b.to_string()).unwrap_or_default()
                );
            }
        }
        let trips = sequential_round_trips(&log);
        let written = writes(&log).len();
        Row::judged(
            BENCH,
            format!("{}: sequential round trips", step.name),
            trips.to_string(),
            format!("≤ {}", step.max_round_trips),
            trips <= step.max_round_trips,
        )
        .emit();
        let calls = format!("{} ({} writes)", log.len(), written);
        if step.reads_only {
            Row::judged(
                BENCH,
                format!("{}: API calls", step.name),
                calls,
                "0 writes",
                written == 0,
            )
            .emit();
        } else {
            Row::info(BENCH, format!("{}: API calls", step.name), calls).emit();
        }
    }
    Ok(())
}
