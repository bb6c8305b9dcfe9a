//! # atlassian-lcm-lambda
//!
//! The AWS Lambda host of [`atlassian_lcm`]: one function for every way AWS
//! delivers work to it —
//!
//! - **SQS** batches from an event source mapping (a FIFO queue fed by an
//!   EventBridge Pipe): each record's body is an EventBridge event; the
//!   records run through the core's bulk executor and the function answers
//!   a partial batch response ([`sqs_batch`]);
//! - **EventBridge** events whose `detail` is an HR lifecycle event
//!   (asynchronous: permanent failures go to the failure queue, transient ones
//!   are returned as errors so Lambda retries them);
//! - **API Gateway** HTTP API (payload 2.0), REST API (payload 1.0) and
//!   **Lambda function URL** requests on `POST /v1/events`,
//!   `POST /v1/actions/{action}`, `POST /v1/plan` and `GET /v1/health`
//!   (synchronous: a status code and the report), and `POST /v1/reconcile`
//!   (a roster in the body, the reconcile document out: [`reconcile`]);
//! - **direct invocations** with `{"action": ...}` or a lifecycle event;
//! - the **distributed reconcile**'s steps from the template's Step
//!   Functions state machine, known by `lcmStep` (plan, batch, summary:
//!   [`reconcile_steps`], over the bucket in [`reconcile_store`]).
//!
//! The host stays thin, as DESIGN §2 asks: it recognises the envelope
//! ([`invocation`]), routes HTTP calls ([`http_api`]), builds the
//! configuration from the environment and a Secrets Manager secret
//! ([`credentials`]), calls the core, and shapes the output: responses, the
//! failure queue ([`failure`]), logs ([`logging`]) and metrics ([`metrics`]).
//! The invocation flow itself is in [`handler`].

pub mod app;
pub mod credentials;
pub mod error;
pub mod failure;
pub mod handler;
pub mod http_api;
pub mod invocation;
pub mod ledger;
pub mod logging;
pub mod metrics;
pub mod reconcile;
pub mod reconcile_steps;
pub mod reconcile_store;
pub mod settings;
pub mod sqs_batch;
pub mod sqs_record;

pub use app::App;
pub use error::HandlerError;
pub use handler::handle;
