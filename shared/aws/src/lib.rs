//! AWS adapters and the Lambda bootstrap.
//!
//! Every context binary's `main` is `aws_adapters::run(functions)`: the
//! provided runtime passes the function's `Handler` as `_HANDLER`, which picks
//! the HTTP function, the queue function, or the relay of that context.

pub mod dynamo;
#[cfg(feature = "invoke")]
pub mod invoke;
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

/// The `main` of every context binary. A Lambda execution environment hands
/// the process one invocation at a time, so it runs on tokio's current-thread
/// scheduler: no worker threads to start before asking for the first event
/// (a measurably shorter cold start, see docs/benchmarks.md), and nothing to
/// hand work across.
pub fn main(functions: Functions) -> Result<(), Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(run(functions))
}

/// Serves the function named by `_HANDLER` until the runtime stops it.
pub async fn run(functions: Functions) -> Result<(), Error> {
    framework::telemetry::init();
    let handler = env("_HANDLER")?;
    if handler == framework::http::HEALTH_HANDLER {
        let run = framework::http::health();
        return lambda_http::run(service_fn(move |request| {
            let run = run.clone();
            async move { Ok::<_, Error>(run(request).await) }
        }))
        .await;
    }
    let config = sdk_config().await;
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), env("TABLE_NAME")?);
    if handler == "relay" {
        let publisher = SnsPublisher::new(aws_sdk_sns::Client::new(&config), env("TOPIC_ARN")?);
        let sweep_after = std::env::var("SWEEP_AFTER_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
        let relay = Arc::new((publisher, table, std::time::Duration::from_secs(sweep_after)));
        return lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
            let relay = relay.clone();
            async move { relay_or_sweep(event.payload, &relay.0, &relay.1, relay.2).await }
        }))
        .await;
    }
    let settings: std::collections::HashMap<String, String> = std::env::vars().collect();
    let deps =
        Deps { remotes: remotes(&config, &settings), settings: Arc::new(settings), ..Deps::new(Arc::new(table)) };
    match framework::function(functions, &handler, deps) {
        Some(Function::Http(run)) => {
            lambda_http::run(service_fn(move |request| {
                let run = run.clone();
                async move { Ok::<_, Error>(run(request).await) }
            }))
            .await
        }
        Some(Function::Queue { run, .. }) => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
                let run = run.clone();
                let deadline = framework::queue::Deadline::from_epoch_millis(event.context.deadline);
                async move { Ok::<_, Error>(run(event.payload, deadline).await) }
            }))
            .await
        }
        Some(Function::Internal(run)) => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
                let run = run.clone();
                async move { Ok::<_, Error>(run(event.payload).await) }
            }))
            .await
        }
        None => Err(format!("this binary has no handler named {handler}").into()),
    }
}

/// The internal functions this one may call: every `*_FUNCTION` setting
/// names one (the template sets them), reached by Lambda Invoke.
#[cfg(feature = "invoke")]
fn remotes(
    config: &aws_config::SdkConfig,
    settings: &std::collections::HashMap<String, String>,
) -> std::collections::HashMap<String, Arc<dyn framework::call::Remote>> {
    let named: Vec<_> = settings.iter().filter(|(k, v)| k.ends_with("_FUNCTION") && !v.is_empty()).collect();
    if named.is_empty() {
        return Default::default();
    }
    let client = invoke::LambdaRemote::client(config);
    named
        .into_iter()
        .map(|(k, v)| {
            (k.clone(), Arc::new(invoke::LambdaRemote::new(client.clone(), v)) as Arc<dyn framework::call::Remote>)
        })
        .collect()
}

#[cfg(not(feature = "invoke"))]
fn remotes(
    _config: &aws_config::SdkConfig,
    _settings: &std::collections::HashMap<String, String>,
) -> std::collections::HashMap<String, Arc<dyn framework::call::Remote>> {
    Default::default()
}

/// The relay function serves two triggers: its table's stream (relay) and a
/// schedule (sweep the outbox items the stream never handed over).
async fn relay_or_sweep(
    payload: serde_json::Value,
    publisher: &SnsPublisher,
    table: &DynamoTable,
    sweep_after: std::time::Duration,
) -> Result<serde_json::Value, Error> {
    if payload.get("Records").is_some() {
        let event: StreamEvent = serde_json::from_value(payload)?;
        return Ok(serde_json::to_value(relay::handle(event, publisher, table).await)?);
    }
    let swept = framework::relay::sweep(table, publisher, sweep_after).await?;
    if swept > 0 {
        tracing::warn!(swept, "outbox items published by the sweeper");
    }
    Ok(serde_json::json!({ "swept": swept }))
}

/// The CAs every AWS service endpoint chains to (Amazon Trust Services:
/// Amazon Root CA 1-4, and Starfield Services Root CA G2 that cross-signs them).
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("amazon-trust-services.pem");

/// SDK configuration for a function. Talking to AWS itself, the TLS client
/// trusts only Amazon's roots (scanning the system's certificate directory
/// was most of a cold start's cost beyond a bare runtime), and inside Lambda
/// the region and credentials are taken from the environment the service
/// sets, without running `aws-config`'s full provider chains. With a custom
/// endpoint (`AWS_ENDPOINT_URL*`: an emulator, a proxy) the default loading
/// and the system roots stay, since that endpoint's CA may be any.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let custom_endpoint = std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("AWS_ENDPOINT_URL"));
    if custom_endpoint {
        return loader.load().await;
    }
    let Some(client) = amazon_roots_client() else {
        return loader.load().await;
    };
    match lambda_environment_config(client.clone()) {
        Some(config) => config,
        None => loader.http_client(client).load().await,
    }
}

fn amazon_roots_client() -> Option<aws_sdk_dynamodb::config::SharedHttpClient> {
    use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(AMAZON_TRUST_SERVICES);
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(tls) => Some(
            aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
                .tls_context(tls)
                .build_https(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "Amazon roots unusable; falling back to the system's");
            None
        }
    }
}

/// Lambda sets `AWS_REGION` and the function role's credentials in
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
fn lambda_environment_config(client: aws_sdk_dynamodb::config::SharedHttpClient) -> Option<aws_config::SdkConfig> {
    use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
    let region = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty())?;
    std::env::var_os("AWS_ACCESS_KEY_ID")?;
    Some(direct_config(client, region, EnvironmentVariableCredentialsProvider::new()))
}

/// An SDK configuration assembled from its parts, without provider chains.
pub fn direct_config(
    client: aws_sdk_dynamodb::config::SharedHttpClient,
    region: String,
    credentials: impl aws_sdk_dynamodb::config::ProvideCredentials + 'static,
) -> aws_config::SdkConfig {
    use aws_sdk_dynamodb::config::{SharedAsyncSleep, SharedCredentialsProvider};
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(client)
        .sleep_impl(SharedAsyncSleep::new(aws_smithy_async::rt::sleep::TokioSleep::new()))
        .build()
}
