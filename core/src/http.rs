//! The one seam between the engine and the network: an async function from an
//! `http::Request<Vec<u8>>` to an `http::Response<Vec<u8>>`. Hosts bring their
//! own implementation (reqwest on native targets behind the `reqwest` feature,
//! JavaScript `fetch` in the wasm host); tests can pass a closure.

use std::future::Future;

use crate::platform::{BoxFuture, MaybeSend, MaybeSendSync};

/// A request as the engine sends it.
pub type HttpRequest = http::Request<Vec<u8>>;
/// A response as the engine reads it.
pub type HttpResponse = http::Response<Vec<u8>>;

/// The request never produced a response. Messages carry no headers, so no
/// credential can leak through them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No response within the request timeout.
    #[error("no response within {0} ms")]
    Timeout(u64),
    /// The connection could not be made or was dropped before a response.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The response body is larger than the cap (bytes): it was not read
    /// further, and the request is not repeated, since the next answer
    /// would be as large.
    #[error("the response body is larger than the {} MiB cap and was not read further", .0 >> 20)]
    BodyTooLarge(usize),
    /// The client refused or failed the request for another reason.
    #[error("{0}")]
    Other(String),
}

/// Sends one HTTP request. Implementations must not follow redirects (the
/// engine treats a 3xx as an error so a token is never replayed to a host it
/// was not configured for) and should apply their own connection limits.
pub trait HttpClient: MaybeSendSync {
    /// Sends `request` and returns the response, whatever its status.
    fn execute(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// A closure is a client: handy for tests and for hosts wrapping another API.
impl<F, Fut> HttpClient for F
where
    F: Fn(HttpRequest) -> Fut + MaybeSendSync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + MaybeSend + 'static,
{
    fn execute(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self(request))
    }
}
