//! What `lcm run` and `lcm plan` read: FILE arguments to validated requests,
//! each with where it came from. A `.jsonl` file and `-` (stdin) are JSON
//! Lines, one event a line; any other file is one event. Every input is read
//! and judged before anything is sent, so one bad line refuses the whole run
//! (exit 2), with every bad line named by file and line number.

use std::io::{BufRead, Read};

use atlassian_lcm::bulk::parse_lines;
use atlassian_lcm::{parse_request_str, Request};

/// The largest single event, file or line: an event is a few kilobytes, so
/// anything near this is not one.
pub const MAX_EVENT_BYTES: u64 = 1024 * 1024;

/// The largest JSON Lines input (a file, or stdin): some 30,000 events.
pub const MAX_LINES_BYTES: u64 = 64 * 1024 * 1024;

/// Bad lines listed before the rest are only counted.
const LISTED_ERRORS: usize = 20;

/// One event and where it came from.
pub struct Event {
    /// `FILE` for a single-event file, `FILE:LINE` (or `stdin:LINE`) for a line.
    pub location: String,
    /// The validated request.
    pub request: Request,
}

/// Everything the FILE arguments hold.
pub struct Input {
    /// The events, in argument and line order.
    pub events: Vec<Event>,
    /// One single-event FILE (not `-`, not `.jsonl`): printed as before bulk
    /// runs existed (the full report; `--json` pretty-printed).
    pub single_file: bool,
}

fn is_json_lines(path: &str) -> bool {
    path == "-" || path.to_ascii_lowercase().ends_with(".jsonl")
}

/// Reads and validates every FILE; on any bad input, the error lists it.
pub fn read_all(paths: &[String]) -> Result<Input, String> {
    if paths.iter().filter(|p| *p == "-").count() > 1 {
        return Err("- (stdin) may be given only once".into());
    }
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for path in paths {
        if is_json_lines(path) {
            let (name, text) = read_json_lines(path)?;
            match parse_stream(&text) {
                Ok(found) => events.extend(found.into_iter().map(|(line, request)| Event {
                    location: format!("{name}:{line}"),
                    request,
                })),
                Err(errors) => bad.extend(
                    errors
                        .into_iter()
                        .map(|(line, e)| format!("{name}:{line}: {e}")),
                ),
            }
        } else {
            match parse_request_str(&read_event(path)?) {
                Ok(request) => events.push(Event {
                    location: path.clone(),
                    request,
                }),
                Err(e) => bad.push(format!("{path}: {}: {}", e.field, e.message)),
            }
        }
    }
    let single_file = paths.len() == 1 && !is_json_lines(&paths[0]);
    if single_file && bad.len() == 1 {
        // As it always read: `FILE: field: message`.
        return Err(bad.remove(0));
    }
    if !bad.is_empty() {
        return Err(refusal(&bad));
    }
    Ok(Input {
        events,
        single_file,
    })
}

/// Things with their line numbers.
type Numbered<T> = Vec<(usize, T)>;

/// JSON Lines, or one JSON document spread over several lines (a
/// pretty-printed event on stdin, as `lcm run -` always accepted).
fn parse_stream(text: &str) -> Result<Numbered<Request>, Numbered<String>> {
    let several_lines = text.lines().filter(|l| !l.trim().is_empty()).count() > 1;
    if several_lines && text.len() as u64 <= MAX_EVENT_BYTES {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            let first = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0) + 1;
            return atlassian_lcm::parse_request(&value)
                .map(|r| vec![(first, r)])
                .map_err(|e| vec![(first, format!("{}: {}", e.field, e.message))]);
        }
    }
    parse_lines(text).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| (e.line, format!("{}: {}", e.error.field, e.error.message)))
            .collect()
    })
}

/// The refusal: every bad event (the first few listed), and that nothing was sent.
fn refusal(bad: &[String]) -> String {
    let mut message = bad
        .iter()
        .take(LISTED_ERRORS)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n  ");
    if bad.len() > LISTED_ERRORS {
        message.push_str(&format!("\n  … and {} more", bad.len() - LISTED_ERRORS));
    }
    let noun = if bad.len() == 1 { "event" } else { "events" };
    format!(
        "{} bad {noun}; nothing was sent to Atlassian:\n  {message}",
        bad.len()
    )
}

/// One event's file, read to at most [`MAX_EVENT_BYTES`].
fn read_event(path: &str) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    // Bounded: one byte past the cap is enough to know it is too large.
    let mut bytes = Vec::new();
    file.take(MAX_EVENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err(format!(
            "{path} is larger than the 1 MiB ({MAX_EVENT_BYTES} bytes) an event or action may be; nothing was sent"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("cannot read {path}: it is not UTF-8 text"))
}

/// A JSON Lines input (`-` is stdin) and its name for messages, each line
/// read to at most [`MAX_EVENT_BYTES`] and the whole to [`MAX_LINES_BYTES`],
/// so an endless input is refused, not read to the end.
fn read_json_lines(path: &str) -> Result<(String, String), String> {
    let (name, source): (String, Box<dyn Read>) = if path == "-" {
        ("stdin".into(), Box::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        (path.to_string(), Box::new(file))
    };
    let mut reader = std::io::BufReader::new(source);
    let mut bytes = Vec::new();
    let mut line_number = 0;
    loop {
        line_number += 1;
        let start = bytes.len();
        let read = (&mut reader)
            .take(MAX_EVENT_BYTES + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| format!("cannot read {name}: {e}"))?;
        if read == 0 {
            break;
        }
        let line = &bytes[start..];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if content.len() as u64 > MAX_EVENT_BYTES {
            return Err(format!(
                "{name}:{line_number} is longer than the 1 MiB ({MAX_EVENT_BYTES} bytes) an event may be; nothing was sent"
            ));
        }
        if bytes.len() as u64 > MAX_LINES_BYTES {
            return Err(format!(
                "{name} is larger than the 64 MiB ({MAX_LINES_BYTES} bytes) a JSON Lines input may be; split it; nothing was sent"
            ));
        }
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("cannot read {name}: it is not UTF-8 text"))?;
    Ok((name, text))
}
