//! The engine's [`HttpClient`] over a JavaScript `fetch`: the one injected as
//! `new AtlassianLcm(config, { fetch })`, or the global one (Node 18+, Deno,
//! workers, browsers).
//!
//! - Redirects are never followed (`redirect: "manual"`): a 3xx, or a
//!   browser's opaque redirect (reported as a 302 without a body), goes back
//!   to the engine, which refuses it.
//! - A body is read chunk by chunk from its stream and refused past 16 MiB
//!   (`transport::body`), as is a larger declared `Content-Length`.
//! - A rejected `fetch` is a [`TransportError::Connection`] carrying the
//!   error's message (and its `cause`), never the request's headers.
//! - When the engine gives up on a request (its own per-request timeout), the
//!   dropped future aborts the `fetch` through an `AbortController`, where the
//!   runtime has one.

use atlassian_lcm::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use atlassian_lcm::platform::BoxFuture;
use atlassian_lcm::transport::body::{self, CappedBody};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::errors::{invalid_config, message_of, JsResult};

/// Sends requests through a JavaScript `fetch` function.
pub struct FetchClient {
    fetch: Function,
    /// `this` for the call: the global object, so that an unbound browser
    /// `fetch` does not throw "Illegal invocation".
    global: JsValue,
}

impl FetchClient {
    /// The `fetch` of `options` (`{ fetch?: Function }`), else the global one.
    pub fn from_options(options: &JsValue) -> JsResult<FetchClient> {
        let global: JsValue = js_sys::global().into();
        let problem = |message: &str| invalid_config(&[("fetch".into(), message.into())]);
        let injected = if options.is_undefined() || options.is_null() {
            JsValue::UNDEFINED
        } else if options.is_object() {
            for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
                let key = key.as_string().unwrap_or_default();
                if key != "fetch" {
                    return Err(invalid_config(&[(
                        key.clone(),
                        format!("unknown option `{key}`; the only constructor option is `fetch`"),
                    )]));
                }
            }
            get(options, "fetch")
        } else {
            return Err(problem("the options must be an object like { fetch }"));
        };
        let fetch = if injected.is_undefined() || injected.is_null() {
            get(&global, "fetch")
        } else {
            injected
        };
        let fetch = fetch.dyn_into::<Function>().map_err(|_| {
            problem("no fetch function: pass { fetch } (this runtime has no global fetch)")
        })?;
        Ok(FetchClient { fetch, global })
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (parts, body) = request.into_parts();
        let init = Object::new();
        put(&init, "method", &JsValue::from_str(parts.method.as_str()));
        put(&init, "redirect", &JsValue::from_str("manual"));
        let headers = Object::new();
        for name in parts.headers.keys() {
            let values: Vec<&str> = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            put(
                &headers,
                name.as_str(),
                &JsValue::from_str(&values.join(", ")),
            );
        }
        put(&init, "headers", &headers);
        if !body.is_empty() {
            put(&init, "body", &Uint8Array::from(body.as_slice()).buffer());
        }
        let abort = Abort::new();
        if let Some(signal) = abort.signal() {
            put(&init, "signal", &signal);
        }

        let url = JsValue::from_str(&parts.uri.to_string());
        let returned = self
            .fetch
            .call2(&self.global, &url, &init)
            .map_err(|e| connection(&e))?;
        let response = JsFuture::from(Promise::resolve(&returned))
            .await
            .map_err(|e| connection(&e))?;
        let result = read_response(&response).await;
        abort.disarm();
        result
    }
}

impl HttpClient for FetchClient {
    fn execute(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.send(request))
    }
}

/// Turns a `Response` (or anything shaped like one) into an `http::Response`.
async fn read_response(response: &JsValue) -> Result<HttpResponse, TransportError> {
    if !response.is_object() {
        return Err(TransportError::Other(
            "fetch resolved to something that is not a Response".into(),
        ));
    }
    if get(response, "type").as_string().as_deref() == Some("opaqueredirect") {
        // The browser hides a manual redirect's status and headers.
        return http::Response::builder()
            .status(302)
            .body(Vec::new())
            .map_err(|e| TransportError::Other(e.to_string()));
    }
    let status = get(response, "status")
        .as_f64()
        .filter(|s| (100.0..1000.0).contains(s))
        .ok_or_else(|| TransportError::Other("the Response has no valid status".into()))?;
    let mut builder = http::Response::builder().status(status as u16);
    for (name, value) in header_pairs(&get(response, "headers")) {
        if name.eq_ignore_ascii_case("content-length") {
            body::check_length(value.trim().parse().ok())?;
        }
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(name.as_bytes()),
            http::header::HeaderValue::from_str(&value),
        ) {
            builder = builder.header(name, value);
        }
    }
    builder
        .body(read_body(response).await?)
        .map_err(|e| TransportError::Other(e.to_string()))
}

/// The body, up to the cap: chunk by chunk from its stream (cancelled once
/// past the cap), else through `arrayBuffer()` for a stand-in without one.
async fn read_body(response: &JsValue) -> Result<Vec<u8>, TransportError> {
    let stream = get(response, "body");
    if let Ok(get_reader) = get(&stream, "getReader").dyn_into::<Function>() {
        let reader = get_reader.call0(&stream).map_err(|e| connection(&e))?;
        let mut body = CappedBody::default();
        loop {
            let chunk = call_async(&reader, "read").await?;
            if get(&chunk, "done").as_bool() == Some(true) {
                return Ok(body.into_bytes());
            }
            if let Err(too_large) = body.push(&Uint8Array::new(&get(&chunk, "value")).to_vec()) {
                // Best effort: stop the download; the refusal stands either way.
                let _ = call_async(&reader, "cancel").await;
                return Err(too_large);
            }
        }
    }
    if get(response, "arrayBuffer").is_function() {
        let buffer = call_async(response, "arrayBuffer").await?;
        let bytes = Uint8Array::new(&buffer);
        body::check_length(Some(u64::from(bytes.length())))?;
        return Ok(bytes.to_vec());
    }
    Ok(Vec::new())
}

/// Calls `target.method()` and awaits the promise it returns.
async fn call_async(target: &JsValue, method: &str) -> Result<JsValue, TransportError> {
    let function = get(target, method)
        .dyn_into::<Function>()
        .map_err(|_| TransportError::Other(format!("the response has no {method}()")))?;
    let promise = function.call0(target).map_err(|e| connection(&e))?;
    JsFuture::from(Promise::resolve(&promise))
        .await
        .map_err(|e| connection(&e))
}

/// `[name, value]` pairs of a `Headers` (through `forEach`), or of a plain
/// object standing in for one.
fn header_pairs(headers: &JsValue) -> Vec<(String, String)> {
    let pairs = Array::new();
    if let Ok(for_each) = get(headers, "forEach").dyn_into::<Function>() {
        let sink = pairs.clone();
        let collect =
            Closure::<dyn FnMut(JsValue, JsValue)>::new(move |value: JsValue, name: JsValue| {
                sink.push(&Array::of2(&name, &value));
            });
        let _ = for_each.call1(headers, collect.as_ref());
    } else if headers.is_object() {
        for entry in Object::entries(headers.unchecked_ref::<Object>()).iter() {
            pairs.push(&entry);
        }
    }
    pairs
        .iter()
        .filter_map(|pair| {
            let pair: Array = pair.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// Aborts the `fetch` when the request's future is dropped before it finished.
struct Abort {
    controller: Option<JsValue>,
}

impl Abort {
    fn new() -> Abort {
        let class = get(&js_sys::global(), "AbortController").dyn_into::<Function>();
        let controller = class
            .ok()
            .and_then(|c| Reflect::construct(&c, &Array::new()).ok());
        Abort { controller }
    }

    fn signal(&self) -> Option<JsValue> {
        self.controller.as_ref().map(|c| get(c, "signal"))
    }

    fn disarm(mut self) {
        self.controller = None;
    }
}

impl Drop for Abort {
    fn drop(&mut self) {
        if let Some(controller) = self.controller.take() {
            if let Ok(abort) = get(&controller, "abort").dyn_into::<Function>() {
                let _ = abort.call0(&controller);
            }
        }
    }
}

fn connection(error: &JsValue) -> TransportError {
    TransportError::Connection(message_of(error))
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn put(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}
