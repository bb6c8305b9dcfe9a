//! Recognising what invoked the function, by the payload's shape, into the
//! typed `aws_lambda_events` structs — and answering each HTTP flavour with
//! its own typed response.
//!
//! One binary serves EventBridge, API Gateway (HTTP API v2, REST API v1),
//! function URLs and direct invocations, so the runtime hands us a
//! `serde_json::Value` and this module decides. The rules, most specific first:
//!
//! | shape | marker |
//! |---|---|
//! | SQS batch | `Records` whose first has `eventSource: aws:sqs` |
//! | EventBridge | `detail-type` and `source` |
//! | REST API (v1) | `httpMethod` and `requestContext` |
//! | function URL | `requestContext.domainName` under `.lambda-url.` |
//! | HTTP API (v2) | `requestContext.http` (and `version: "2.0"`) |
//! | reconcile step | `lcmStep` (Step Functions) |
//! | direct | `action`, `lifecycle`, `schemaVersion`, or a worker state's `hrId` or `workEmail` |

use std::collections::BTreeMap;

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyResponse, ApiGatewayV2httpRequest,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use aws_lambda_events::sqs::SqsEvent;
use base64::Engine as _;
use http::header::{HeaderMap, HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;

/// What invoked the function.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// An EventBridge event (asynchronous).
    EventBridge(Box<EventBridgeEvent<Value>>),
    /// A batch from an SQS event source mapping (answered with a partial
    /// batch response).
    Sqs(Box<SqsEvent>),
    /// An HTTP request through API Gateway or a function URL (synchronous).
    Http(HttpCall),
    /// A direct invocation whose payload is the request itself.
    Direct(Value),
    /// A step of the distributed reconcile (`lcmStep`), from Step Functions.
    ReconcileStep(Value),
}

impl Invocation {
    /// A short name for the log line (`source`): which front end called.
    pub fn source(&self) -> &'static str {
        match self {
            Invocation::EventBridge(_) => "eventbridge",
            Invocation::Sqs(_) => "sqs",
            Invocation::Http(call) => call.flavor.as_str(),
            Invocation::Direct(_) => "direct",
            Invocation::ReconcileStep(_) => "stepfunctions",
        }
    }
}

/// Which HTTP front end delivered the request; the response must match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFlavor {
    /// API Gateway HTTP API, payload format 2.0.
    ApiGatewayV2,
    /// API Gateway REST API (or HTTP API payload 1.0).
    ApiGatewayV1,
    /// A Lambda function URL.
    FunctionUrl,
}

impl HttpFlavor {
    /// A short name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpFlavor::ApiGatewayV2 => "apigw_v2",
            HttpFlavor::ApiGatewayV1 => "apigw_v1",
            HttpFlavor::FunctionUrl => "function_url",
        }
    }
}

/// The parts of an HTTP request the host uses, whatever the flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// Where it came from.
    pub flavor: HttpFlavor,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request path as the client sent it (the stage prefix may be in it).
    pub path: String,
    /// Query parameters (the first value of each).
    pub query: BTreeMap<String, String>,
    /// The body, base64-decoded when the front end encoded it.
    pub body: Option<String>,
    /// The front end's request id, for logs.
    pub request_id: Option<String>,
}

/// The payload is no shape this function serves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

/// Recognises the invocation (see the module table).
pub fn classify(payload: Value) -> Result<Invocation, ShapeError> {
    let Some(obj) = payload.as_object() else {
        return Err(ShapeError("the payload must be a JSON object".into()));
    };
    let context = obj.get("requestContext").and_then(Value::as_object);
    let first_record = obj
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first());
    if first_record.and_then(|r| r.get("eventSource")) == Some(&Value::from("aws:sqs")) {
        let event: SqsEvent = typed(payload, "SQS event")?;
        return Ok(Invocation::Sqs(Box::new(event)));
    }
    if obj.contains_key("detail-type") && obj.contains_key("source") {
        let event: EventBridgeEvent<Value> = typed(payload, "EventBridge event")?;
        return Ok(Invocation::EventBridge(Box::new(event)));
    }
    if let Some(context) = context {
        if obj.contains_key("httpMethod") {
            let req: ApiGatewayProxyRequest = typed(payload, "API Gateway REST (v1) request")?;
            return http_v1(req).map(Invocation::Http);
        }
        let domain = context
            .get("domainName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if domain.contains(".lambda-url.") {
            let req: LambdaFunctionUrlRequest = typed(payload, "function URL request")?;
            return http_function_url(req).map(Invocation::Http);
        }
        if context.contains_key("http") {
            let req: ApiGatewayV2httpRequest = typed(payload, "API Gateway HTTP (v2) request")?;
            return http_v2(req).map(Invocation::Http);
        }
    }
    if obj.contains_key(crate::reconcile_steps::STEP_KEY) {
        return Ok(Invocation::ReconcileStep(payload));
    }
    // A worker state (a roster line) is known by its worker fields at the top.
    if ["action", "lifecycle", "schemaVersion", "hrId", "workEmail"]
        .iter()
        .any(|k| obj.contains_key(*k))
    {
        return Ok(Invocation::Direct(payload));
    }
    Err(ShapeError(
        "expected an SQS batch, an EventBridge event, an API Gateway or function URL request, or a direct call with `action` or `lifecycle` (or a worker state with `hrId`)".into(),
    ))
}

fn typed<T: serde::de::DeserializeOwned>(payload: Value, what: &str) -> Result<T, ShapeError> {
    serde_json::from_value(payload).map_err(|e| ShapeError(format!("not a valid {what}: {e}")))
}

fn decode_body(body: Option<String>, base64: bool) -> Result<Option<String>, ShapeError> {
    match body {
        Some(b) if base64 => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b.as_bytes())
                .map_err(|e| ShapeError(format!("the body is marked base64 but is not: {e}")))?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| ShapeError("the body is not UTF-8 text".into()))
        }
        other => Ok(other),
    }
}

/// The first value of each query parameter (a repeated key keeps its first).
fn first_values<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        map.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    map
}

fn http_v2(req: ApiGatewayV2httpRequest) -> Result<HttpCall, ShapeError> {
    let query = first_values(req.query_string_parameters.iter());
    Ok(HttpCall {
        flavor: HttpFlavor::ApiGatewayV2,
        method: req.request_context.http.method.to_string(),
        path: req
            .raw_path
            .or(req.request_context.http.path)
            .unwrap_or_else(|| "/".into()),
        query,
        body: decode_body(req.body, req.is_base64_encoded)?,
        request_id: req.request_context.request_id,
    })
}

fn http_v1(req: ApiGatewayProxyRequest) -> Result<HttpCall, ShapeError> {
    let query = first_values(req.query_string_parameters.iter());
    Ok(HttpCall {
        flavor: HttpFlavor::ApiGatewayV1,
        method: req.http_method.to_string(),
        path: req.path.unwrap_or_else(|| "/".into()),
        query,
        body: decode_body(req.body, req.is_base64_encoded)?,
        request_id: req.request_context.request_id,
    })
}

fn http_function_url(req: LambdaFunctionUrlRequest) -> Result<HttpCall, ShapeError> {
    Ok(HttpCall {
        flavor: HttpFlavor::FunctionUrl,
        method: req
            .request_context
            .http
            .method
            .clone()
            .unwrap_or_else(|| "GET".into()),
        path: req
            .raw_path
            .or(req.request_context.http.path)
            .unwrap_or_else(|| "/".into()),
        query: req.query_string_parameters.into_iter().collect(),
        body: decode_body(req.body, req.is_base64_encoded)?,
        request_id: req.request_context.request_id,
    })
}

/// An HTTP answer before it is put in the flavour's envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
    /// For 405: the methods the path accepts.
    pub allow: Option<&'static str>,
    /// For 503: when to try again, in seconds (`Retry-After`).
    pub retry_after: Option<u32>,
}

impl HttpAnswer {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> HttpAnswer {
        HttpAnswer {
            status,
            body,
            allow: None,
            retry_after: None,
        }
    }
}

/// Puts an answer in the typed response of the flavour that asked.
pub fn respond(flavor: HttpFlavor, answer: &HttpAnswer) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(allow) = answer.allow {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    if let Some(seconds) = answer.retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    let text = answer.body.to_string();
    let status = i64::from(answer.status);
    // The response structs are `#[non_exhaustive]`: start from Default.
    let response = match flavor {
        HttpFlavor::ApiGatewayV2 => {
            let mut r = ApiGatewayV2httpResponse::default();
            r.status_code = status;
            r.headers = headers;
            r.body = Some(Body::Text(text));
            serde_json::to_value(r)
        }
        HttpFlavor::ApiGatewayV1 => {
            let mut r = ApiGatewayProxyResponse::default();
            r.status_code = status;
            r.headers = headers;
            r.body = Some(Body::Text(text));
            serde_json::to_value(r)
        }
        HttpFlavor::FunctionUrl => {
            let mut r = LambdaFunctionUrlResponse::default();
            r.status_code = status;
            r.headers = headers;
            r.body = Some(text);
            serde_json::to_value(r)
        }
    };
    response.unwrap_or_else(|e| {
        // Serializing these structs cannot fail; answer plainly if it ever does.
        serde_json::json!({"statusCode": 500, "body": format!("{{\"error\":{{\"code\":\"internal\",\"message\":\"{e}\"}}}}")})
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/events/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn eventbridge_event_keeps_its_detail() {
        let Invocation::EventBridge(event) = classify(fixture("eventbridge-joiner.json")).unwrap()
        else {
            panic!("not EventBridge")
        };
        assert_eq!(event.detail_type, "Worker Lifecycle");
        assert!(event.source.starts_with("hr."));
        assert_eq!(event.detail["lifecycle"], "joiner");
    }

    #[test]
    fn each_invocation_names_its_source() {
        let source = |name: &str| classify(fixture(name)).unwrap().source();
        assert_eq!(source("eventbridge-joiner.json"), "eventbridge");
        assert_eq!(source("apigw-v2-events-mover.json"), "apigw_v2");
        assert_eq!(source("apigw-v1-plan-leaver.json"), "apigw_v1");
        assert_eq!(source("function-url-delete.json"), "function_url");
        assert_eq!(source("direct-check.json"), "direct");
    }

    #[test]
    fn api_gateway_v2_request() {
        let Invocation::Http(call) = classify(fixture("apigw-v2-events-mover.json")).unwrap()
        else {
            panic!("not HTTP")
        };
        assert_eq!(call.flavor, HttpFlavor::ApiGatewayV2);
        assert_eq!(
            (call.method.as_str(), call.path.as_str()),
            ("POST", "/v1/events")
        );
        let body: Value = serde_json::from_str(call.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["lifecycle"], "mover");
    }

    #[test]
    fn api_gateway_v1_request() {
        let Invocation::Http(call) = classify(fixture("apigw-v1-plan-leaver.json")).unwrap() else {
            panic!("not HTTP")
        };
        assert_eq!(call.flavor, HttpFlavor::ApiGatewayV1);
        assert_eq!(
            (call.method.as_str(), call.path.as_str()),
            ("POST", "/v1/plan")
        );
    }

    #[test]
    fn function_url_request_with_base64_body() {
        let Invocation::Http(call) = classify(fixture("function-url-delete.json")).unwrap() else {
            panic!("not HTTP")
        };
        assert_eq!(call.flavor, HttpFlavor::FunctionUrl);
        let body: Value = serde_json::from_str(call.body.as_deref().unwrap()).unwrap();
        assert!(body["worker"].is_object());
    }

    #[test]
    fn health_query_is_read() {
        let Invocation::Http(call) = classify(fixture("apigw-v2-health.json")).unwrap() else {
            panic!("not HTTP")
        };
        assert_eq!(call.method, "GET");
        assert!(call.query.contains_key("groups"));
    }

    #[test]
    fn direct_calls_and_bare_events() {
        assert!(matches!(
            classify(fixture("direct-check.json")).unwrap(),
            Invocation::Direct(_)
        ));
        assert!(matches!(
            classify(fixture("lifecycle-joiner.json")).unwrap(),
            Invocation::Direct(_)
        ));
    }

    #[test]
    fn a_worker_state_arrives_by_eventbridge_or_directly() {
        let Invocation::EventBridge(event) =
            classify(fixture("eventbridge-worker-state.json")).unwrap()
        else {
            panic!("not EventBridge")
        };
        // The handler parses the detail with the one request parser.
        let request = atlassian_lcm::parse_request(&event.detail).unwrap();
        let state = request.state.as_ref().expect("a worker state");
        assert_eq!(state.groups, ["engineering", "confluence-users"]);
        assert_eq!(request.event_id.as_deref(), Some("hr-2026-000200"));
        assert!(request.occurred_at.is_some() && request.lifecycle.is_none());

        let Invocation::Direct(payload) = classify(event.detail.clone()).unwrap() else {
            panic!("a bare worker state is a direct invocation")
        };
        assert!(atlassian_lcm::parse_request(&payload)
            .unwrap()
            .state
            .is_some());
    }

    #[test]
    fn unknown_shapes_are_refused_with_a_hint() {
        assert!(classify(json!([1, 2]))
            .unwrap_err()
            .0
            .contains("JSON object"));
        assert!(classify(json!({"Records": []}))
            .unwrap_err()
            .0
            .contains("EventBridge"));
        // An EventBridge-looking event with a broken envelope is named as such.
        let e = classify(json!({"detail-type": "Worker Lifecycle", "source": 3, "detail": {}}))
            .unwrap_err();
        assert!(e.0.contains("EventBridge"), "{e}");
    }

    #[test]
    fn responses_match_the_flavor() {
        let answer = HttpAnswer {
            status: 405,
            body: json!({"error": {"code": "method_not_allowed"}}),
            allow: Some("POST"),
            retry_after: Some(5),
        };
        let v2 = respond(HttpFlavor::ApiGatewayV2, &answer);
        assert_eq!(v2["statusCode"], 405);
        assert_eq!(v2["headers"]["content-type"], "application/json");
        assert_eq!(v2["headers"]["allow"], "POST");
        assert_eq!(v2["headers"]["retry-after"], "5");
        let body: Value = serde_json::from_str(v2["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
        for flavor in [HttpFlavor::ApiGatewayV1, HttpFlavor::FunctionUrl] {
            let r = respond(flavor, &answer);
            assert_eq!(r["statusCode"], 405);
            assert_eq!(r["isBase64Encoded"], false);
            assert!(r["body"].is_string());
        }
    }
}
