//! The cold-start baseline: a hello-world `lambda_runtime` function, built
//! with the same profile as the context binaries (see docs/benchmarks.md).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move { Ok::<_, Error>(event.payload) })).await
}
