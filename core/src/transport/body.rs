//! The cap on a response body, applied the same way by every host's client
//! and once more by the transport: a declared `Content-Length` over the cap is
//! refused before reading, and a body read in chunks stops at the cap, so a
//! broken or hostile server cannot make us hold an unbounded answer.

use crate::http::TransportError;

/// The largest response body read: 16 MiB. Atlassian's pages are a few
/// hundred kilobytes at most; anything near this is not an answer we want.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Refuses a length over the cap: a declared `Content-Length`, or a body
/// already whole.
pub fn check_length(length: Option<u64>) -> Result<(), TransportError> {
    match length {
        Some(n) if n > MAX_BODY_BYTES as u64 => Err(TransportError::BodyTooLarge(MAX_BODY_BYTES)),
        _ => Ok(()),
    }
}

/// A body gathered chunk by chunk, refused as soon as it passes the cap.
#[derive(Debug, Default)]
pub struct CappedBody {
    bytes: Vec<u8>,
}

impl CappedBody {
    /// Appends a chunk, or fails (keeping nothing more) if the body would pass the cap.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TransportError> {
        if self.bytes.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(TransportError::BodyTooLarge(MAX_BODY_BYTES));
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_lengths() {
        assert!(check_length(None).is_ok());
        assert!(check_length(Some(MAX_BODY_BYTES as u64)).is_ok());
        assert_eq!(
            check_length(Some(MAX_BODY_BYTES as u64 + 1)),
            Err(TransportError::BodyTooLarge(MAX_BODY_BYTES))
        );
        assert!(check_length(Some(u64::MAX)).is_err());
    }

    #[test]
    fn chunks_stop_at_the_cap() {
        let mut body = CappedBody::default();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..16 {
            body.push(&chunk).unwrap();
        }
        let err = body.push(b"x").unwrap_err();
        assert!(err.to_string().contains("16 MiB cap"), "{err}");
        assert_eq!(body.into_bytes().len(), MAX_BODY_BYTES);
    }
}
