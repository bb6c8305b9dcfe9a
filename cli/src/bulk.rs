//! A bulk `lcm run` (several FILEs, or JSON Lines): every event through one
//! engine and one ledger, so they share the rate limiter and caches; one
//! worker's events in input order, different workers concurrently (the core's
//! [`atlassian_lcm::bulk`] executor). Output: `--json` prints one report a
//! line (NDJSON) in input order; otherwise a line per event as it finishes,
//! the full report of each that did not succeed, a progress bar on a terminal,
//! and the summary line.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use atlassian_lcm::bulk::{self, BulkItem, BulkOptions, BulkSummary, Finished};
use atlassian_lcm::{Lcm, Report, RunOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::input::Event;
use crate::render;

/// Runs `events` and prints as it goes; the exit status: 0 when every event
/// succeeded, made no change or was planned, else 1.
pub async fn run(lcm: &Lcm, events: Vec<Event>, dry_run: bool, json: bool) -> Result<i32, String> {
    let (locations, items): (Vec<String>, Vec<BulkItem>) = events
        .into_iter()
        .map(|e| (e.location, BulkItem::new(e.request)))
        .unzip();
    let options = BulkOptions {
        run: RunOptions {
            dry_run,
            ..RunOptions::default()
        },
        ..BulkOptions::new(lcm.config().limits().concurrency())
    };
    let mut out = if json {
        Output::Lines(InOrder::default())
    } else {
        Output::People {
            bar: progress_bar(items.len() as u64),
            style: render::Style::detect(),
        }
    };
    let summary = bulk::run(lcm, items, options, |f| out.finished(&locations, f)).await;
    out.close(&summary)?;
    Ok(if summary.all_succeeded() { 0 } else { 1 })
}

/// A bar on stderr when it is a terminal; hidden otherwise (logs, pipes, CI).
pub fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40.cyan/blue} {pos}/{len} events  {elapsed_precise}  eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Where finished events go.
enum Output {
    /// NDJSON on stdout, in input order.
    Lines(InOrder),
    /// Text for people on stdout, the bar on stderr.
    People {
        bar: ProgressBar,
        style: render::Style,
    },
}

/// Reports held until every earlier one is printed, so that line N of the
/// output is the report of the N-th event.
#[derive(Default)]
struct InOrder {
    next: usize,
    waiting: BTreeMap<usize, Report>,
}

impl Output {
    fn finished(&mut self, locations: &[String], f: Finished) {
        match self {
            Output::Lines(order) => {
                order.waiting.insert(f.index, f.report);
                let mut stdout = std::io::stdout().lock();
                while let Some(report) = order.waiting.remove(&order.next) {
                    // A report always serializes; a closed stdout is not worth stopping the run for.
                    if let Ok(line) = serde_json::to_string(&report) {
                        let _ = writeln!(stdout, "{line}");
                    }
                    order.next += 1;
                }
            }
            Output::People { bar, style } => {
                let text = render::bulk_entry(&locations[f.index], &f.report, *style);
                bar.suspend(|| print!("{text}"));
                bar.inc(1);
            }
        }
    }

    /// The summary line: on stdout for people, on stderr beside NDJSON.
    fn close(self, summary: &BulkSummary) -> Result<(), String> {
        match self {
            Output::Lines(_) => eprintln!("{summary}"),
            Output::People { bar, style } => {
                bar.finish_and_clear();
                println!("{}", style.bold(&summary.to_string()));
            }
        }
        std::io::stdout()
            .flush()
            .map_err(|e| format!("cannot write the output: {e}"))
    }
}
