//! AWS adapters and the Lambda bootstrap.
//!
//! Every context binary's `main` is `aws_adapters::run(functions)`: the
//! provided runtime passes the function's `Handler` as `_HANDLER`, which picks
//! the HTTP function, the queue function, or the relay of that context.

pub mod dynamo;
pub mod relay;
pub mod sns;
pub mod testing;

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use framework::{Deps, Function, Functions};
use lambda_runtime::{Error, LambdaEvent, service_fn};

pub use dynamo::DynamoTable;
pub use sns::SnsPublisher;

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("environment variable {name} is not set").into())
}

/// Serves the function named by `_HANDLER` until the runtime stops it.
pub async fn run(functions: Functions) -> Result<(), Error> {
    framework::telemetry::init();
    let handler = env("_HANDLER")?;
    let config = aws_config::load_from_env().await;
    if handler == "relay" {
        let publisher = Arc::new(SnsPublisher::new(aws_sdk_sns::Client::new(&config), env("TOPIC_ARN")?));
        return lambda_runtime::run(service_fn(move |event: LambdaEvent<StreamEvent>| {
            let publisher = publisher.clone();
            async move { Ok::<_, Error>(relay::handle(event.payload, &*publisher).await) }
        }))
        .await;
    }
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), env("TABLE_NAME")?);
    match functions(&handler, Deps { table: Arc::new(table) }) {
        Some(Function::Http(run)) => {
            lambda_http::run(service_fn(move |request| {
                let run = run.clone();
                async move { Ok::<_, Error>(run(request).await) }
            }))
            .await
        }
        Some(Function::Queue(run)) => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
                let run = run.clone();
                async move { Ok::<_, Error>(run(event.payload).await) }
            }))
            .await
        }
        None => Err(format!("this binary has no handler named {handler}").into()),
    }
}
