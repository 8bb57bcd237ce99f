//! The synchronous call port on AWS: a Lambda `Invoke` (RequestResponse) of
//! the other context's internal function.
//!
//! Why Invoke rather than an HTTP route: the internal function has no route
//! on any API, so no user can reach it whatever their token; IAM allows
//! exactly the caller's role to invoke exactly that function
//! (`LambdaInvokePolicy`); there is no API Gateway hop, no service token to
//! mint or rotate, and the failures are typed (throttled, function error).

use aws_sdk_lambda::primitives::Blob;
use framework::call::{Remote, RemoteError};
use framework::store::BoxFuture;
use serde_json::Value;

pub struct LambdaRemote {
    client: aws_sdk_lambda::Client,
    function: String,
}

impl LambdaRemote {
    /// `function`: a name, an ARN, or an alias ARN (the template passes the
    /// alias, so a canary deployment covers internal calls too).
    pub fn new(client: aws_sdk_lambda::Client, function: impl Into<String>) -> Self {
        Self { client, function: function.into() }
    }

    /// A Lambda client that tries once: the caller's timeout and circuit
    /// breaker decide what a failure means, not a retry loop under them.
    pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_lambda::Client {
        let config = aws_sdk_lambda::config::Builder::from(config)
            .retry_config(aws_sdk_lambda::config::retry::RetryConfig::standard().with_max_attempts(1))
            .build();
        aws_sdk_lambda::Client::from_conf(config)
    }
}

impl Remote for LambdaRemote {
    fn invoke(&self, request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
        Box::pin(async move {
            let payload = serde_json::to_vec(&request).map_err(|e| RemoteError::Failed(e.to_string()))?;
            let output =
                self.client.invoke().function_name(&self.function).payload(Blob::new(payload)).send().await.map_err(
                    |e| {
                        RemoteError::Unreachable(format!(
                            "{}: {}",
                            self.function,
                            aws_sdk_lambda::error::DisplayErrorContext(e)
                        ))
                    },
                )?;
            let body = output.payload().map(|p| p.as_ref()).unwrap_or_default();
            if let Some(kind) = output.function_error() {
                return Err(RemoteError::Failed(format!("{kind}: {}", String::from_utf8_lossy(body))));
            }
            serde_json::from_slice(body).map_err(|e| RemoteError::Failed(format!("reply is not JSON: {e}")))
        })
    }
}
