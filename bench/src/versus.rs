//! `lcm` against the naive sequential client ([`crate::naive`]): the same joiners (ten groups of
//! every kind) and then the same leavers, on the same emulator at 20 ms per request, in alternating
//! rounds (lcm, naive, lcm, naive, ...) so that drift in the machine's load hits both. Events run
//! one after another on both sides, as `lcm run` takes them; the ratio is of the medians.

use std::time::{Duration, Instant};

use atlassian_emulator::{Emulator, Faults};
use atlassian_lcm::{Outcome, RunOptions};
use serde_json::Value;

use crate::naive::Naive;
use crate::org;
use crate::row::Row;

const BENCH: &str = "lcm vs a naive sequential client (20 ms latency)";

/// Which client a round runs.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Lcm,
    Naive,
}

/// Runs `rounds` rounds of each side over `workers` people and prints the rows.
pub async fn run(rounds: usize, workers: usize) -> Result<(), String> {
    if rounds == 0 || workers == 0 {
        return Err("versus: --rounds and --workers must be at least 1".into());
    }
    let emu = Emulator::start(org::seed())
        .await
        .map_err(|e| e.to_string())?;
    let people: Vec<Value> = (1..=workers).map(org::worker).collect();
    let (mut lcm_times, mut naive_times) = (Vec::new(), Vec::new());
    let mut calls = (0, 0);
    for round in 0..rounds {
        for side in [Side::Lcm, Side::Naive] {
            emu.reset(org::seed()).map_err(|e| e.to_string())?;
            emu.set_faults(Faults {
                latency_ms: 20,
                ..Faults::default()
            });
            let elapsed = one_round(&emu, side, &people)
                .await
                .map_err(|e| format!("round {round}: {e}"))?;
            let n = emu.requests().len();
            match side {
                Side::Lcm => (lcm_times.push(elapsed), calls.0 = n),
                Side::Naive => (naive_times.push(elapsed), calls.1 = n),
            };
            eprintln!(
                "versus: round {round} {}: {:.2} s, {n} calls",
                if side == Side::Lcm { "lcm" } else { "naive" },
                elapsed.as_secs_f64()
            );
        }
    }
    let (a, b) = (median(&mut lcm_times), median(&mut naive_times));
    let ratio = b.as_secs_f64() / a.as_secs_f64();
    let work =
        format!("{workers} joiners (10 groups) then {workers} leavers, {rounds} rounds each, ABAB");
    Row::info(BENCH, "work", work).emit();
    Row::info(
        BENCH,
        "lcm: wall time (median)",
        format!("{:.2} s, {} API calls", a.as_secs_f64(), calls.0),
    )
    .emit();
    Row::info(
        BENCH,
        "naive: wall time (median)",
        format!("{:.2} s, {} API calls", b.as_secs_f64(), calls.1),
    )
    .emit();
    Row::judged(
        BENCH,
        "speed-up (naive ÷ lcm)",
        format!("{ratio:.2}×"),
        "≥ 5×",
        ratio >= 5.0,
    )
    .emit();
    Ok(())
}

/// The joiners then the leavers on one side, timed; the state is checked after each phase (not
/// timed) so both sides provably did the same work.
async fn one_round(emu: &Emulator, side: Side, people: &[Value]) -> Result<Duration, String> {
    let lcm = org::engine(emu);
    let naive = Naive::new(emu);
    let groups = org::ten_groups();
    let mut timed = Duration::ZERO;
    for phase in ["joiner", "leaver"] {
        let started = Instant::now();
        for (i, person) in people.iter().enumerate() {
            match (side, phase) {
                (Side::Naive, "joiner") => naive.joiner(person, &groups).await?,
                (Side::Naive, _) => naive.leaver(person, &emu.admin_directory_id()).await?,
                (Side::Lcm, _) => {
                    let id = format!("versus-{phase}-{i}");
                    let event = match phase {
                        "joiner" => org::event(&id, "joiner", 0, person.clone(), Some(&groups)),
                        _ => org::leaver(&id, 1, person),
                    };
                    let report = lcm
                        .run_json(&event, RunOptions::default())
                        .await
                        .map_err(|e| e.to_string())?;
                    if report.outcome != Outcome::Succeeded {
                        return Err(format!("lcm {phase} failed: {report:#?}"));
                    }
                }
            }
        }
        timed += started.elapsed();
        check(emu, people, phase)?;
    }
    Ok(timed)
}

/// After the joiners everyone is active in ten groups; after the leavers, inactive in none.
fn check(emu: &Emulator, people: &[Value], phase: &str) -> Result<(), String> {
    let state = emu.state();
    for person in people {
        let email = person["workEmail"].as_str().unwrap_or_default();
        let user = state
            .user(email)
            .ok_or_else(|| format!("{email} missing after the {phase}s"))?;
        let active = user.scim.as_ref().is_some_and(|s| s.active);
        let expected = if phase == "joiner" {
            (true, 10)
        } else {
            (false, 0)
        };
        if (active, user.groups.len()) != expected {
            return Err(format!(
                "{email} after the {phase}s: active {active}, {} groups",
                user.groups.len()
            ));
        }
    }
    Ok(())
}

/// The median of `times` (the upper one for an even count).
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both clients onboard and offboard the same people completely (the check after each phase
    /// passes), so the ratio compares equal work; without latency the test is quick.
    #[tokio::test]
    async fn both_sides_do_the_same_work() {
        let emu = Emulator::start(org::seed()).await.unwrap();
        let people: Vec<Value> = (1..=2).map(org::worker).collect();
        for side in [Side::Lcm, Side::Naive] {
            emu.reset(org::seed()).unwrap();
            one_round(&emu, side, &people).await.unwrap();
            let log = emu.requests();
            assert!(
                log.iter().all(|r| r.status < 400),
                "{:?}",
                log.iter().find(|r| r.status >= 400)
            );
        }
    }
}
