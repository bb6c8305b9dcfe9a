//! One figure of the benchmark: what every subcommand prints (one JSON object per line on stdout)
//! and what `lcm-bench render` turns into the table of `docs/performance.md`.
//!
//! A row carries its own target and verdict, so adding a benchmark is adding rows: the table,
//! the script and the document need no change.

use serde::{Deserialize, Serialize};

/// A measured figure next to its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The benchmark the row belongs to (rows are grouped by it, in order of appearance).
    pub bench: String,
    /// What was measured.
    pub row: String,
    /// The measured figure, with its unit.
    pub figure: String,
    /// The goal, when there is one (`≤ 3`, `≥ 5×`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether the figure meets the target; `None` for rows without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

impl Row {
    /// A row without a target: context for the rows that have one.
    pub fn info(bench: &str, row: impl Into<String>, figure: impl Into<String>) -> Row {
        Row {
            bench: bench.into(),
            row: row.into(),
            figure: figure.into(),
            target: None,
            met: None,
        }
    }

    /// A row judged against `target`.
    pub fn judged(
        bench: &str,
        row: impl Into<String>,
        figure: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) -> Row {
        Row {
            target: Some(target.into()),
            met: Some(met),
            ..Row::info(bench, row, figure)
        }
    }

    /// Prints the row as one JSON line on stdout, where `scripts/bench` collects it.
    pub fn emit(&self) {
        println!(
            "{}",
            serde_json::to_string(self).expect("a row always serializes")
        );
    }
}

/// The rows of `input` (JSON Lines; other lines, such as build output, are ignored), or the first
/// line that looks like a row but is not one.
pub fn parse_rows(input: &str) -> Result<Vec<Row>, String> {
    input
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with('{'))
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| format!("line {}: not a row: {e}", i + 1))
        })
        .collect()
}

/// The Markdown table of `rows`: benchmark, figure, target and whether it is met, in input order.
pub fn table(rows: &[Row]) -> String {
    let mut out =
        String::from("| Benchmark | Measure | Figure | Target | Met |\n|---|---|---|---|---|\n");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None => "",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&r.bench),
            cell(&r.row),
            cell(&r.figure),
            cell(r.target.as_deref().unwrap_or("")),
            met
        ));
    }
    out
}

/// A table cell: a `|` would end it early.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_the_table_shows_every_verdict() {
        let rows = vec![
            Row::judged("round trips", "joiner", "5", "≤ 3", false),
            Row::judged("round trips", "leaver", "3", "≤ 3", true),
            Row::info("bulk", "elapsed", "12.0 s | wall"),
        ];
        let lines: String = rows
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        let parsed = parse_rows(&format!("Compiling x\n{lines}")).unwrap();
        assert_eq!(parsed, rows);
        let t = table(&parsed);
        assert!(
            t.contains("| round trips | joiner | 5 | ≤ 3 | **NO** |"),
            "{t}"
        );
        assert!(
            t.contains("| round trips | leaver | 3 | ≤ 3 | yes |"),
            "{t}"
        );
        assert!(
            t.contains("| bulk | elapsed | 12.0 s \\| wall |  |  |"),
            "{t}"
        );
        assert_eq!(t.lines().count(), 5);
    }

    #[test]
    fn a_broken_row_is_refused_with_its_line() {
        let err = parse_rows("ok\n{\"bench\": 1}\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }
}
