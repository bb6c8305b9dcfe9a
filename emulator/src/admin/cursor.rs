//! Opaque page cursors for the Admin API's `links.next` / `cursor`.
//!
//! A cursor carries the whole query (filters, page size, offset) base64url-encoded, so a client
//! may send the cursor alone (the spec says other parameters are then discarded) and the emulator
//! stays stateless between pages. Clients must treat it as opaque, as with Atlassian's.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[derive(Serialize, Deserialize)]
struct Envelope<Q> {
    /// Which search the cursor belongs to, so a users cursor is refused by groups search.
    kind: String,
    offset: usize,
    query: Q,
}

/// Encodes a position in a search.
pub(crate) fn encode<Q: Serialize>(kind: &str, offset: usize, query: &Q) -> String {
    let envelope = Envelope {
        kind: kind.to_string(),
        offset,
        query,
    };
    base64url(&serde_json::to_vec(&envelope).unwrap_or_default())
}

/// Decodes a cursor made by [`encode`] for the same `kind`.
pub(crate) fn decode<Q: DeserializeOwned>(kind: &str, cursor: &str) -> Option<(usize, Q)> {
    let bytes = unbase64url(cursor)?;
    let envelope: Envelope<Q> = serde_json::from_slice(&bytes).ok()?;
    (envelope.kind == kind).then_some((envelope.offset, envelope.query))
}

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let digits: Vec<u32> = text
        .trim_end_matches('=')
        .bytes()
        .map(|c| ALPHABET.iter().position(|a| *a == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    for chunk in digits.chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | (d << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_kind() {
        for len in 0..7 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 77 + 3) as u8).collect();
            assert_eq!(unbase64url(&base64url(&bytes)).unwrap(), bytes);
        }
        let cursor = encode("users", 50, &vec!["a@example.com".to_string()]);
        let (offset, query): (usize, Vec<String>) = decode("users", &cursor).unwrap();
        assert_eq!((offset, query[0].as_str()), (50, "a@example.com"));
        assert!(decode::<Vec<String>>("groups", &cursor).is_none());
        assert!(decode::<Vec<String>>("users", "not a cursor!").is_none());
    }
}
