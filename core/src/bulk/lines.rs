//! JSON Lines: one request a line, every line parsed as strictly as a single
//! request. The whole text is judged before anything runs, so a batch with a
//! bad line is refused whole, with every bad line named, and nothing is sent.

use crate::event::{parse_request_str, InputError, Request};

/// A bad line: its number (from 1) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct LineError {
    /// The line number, from 1.
    pub line: usize,
    /// The field and what is wrong.
    pub error: InputError,
}

/// Parses JSON Lines text: each non-blank line is one request (blank and
/// white-space-only lines are skipped, so a trailing newline is fine).
/// Returns each request with its line number, or every bad line.
pub fn parse_lines(text: &str) -> Result<Vec<(usize, Request)>, Vec<LineError>> {
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_request_str(line) {
            Ok(request) => requests.push((i + 1, request)),
            Err(error) => errors.push(LineError { line: i + 1, error }),
        }
    }
    if errors.is_empty() {
        Ok(requests)
    } else {
        Err(errors)
    }
}
