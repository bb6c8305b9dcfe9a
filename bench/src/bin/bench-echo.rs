//! A bare `lambda_runtime` function that answers every event with itself: the floor the Lambda
//! host's init time is compared with (same runtime crate, same versions, nothing else).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
