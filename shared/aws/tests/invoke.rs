//! The synchronous call port's AWS adapter (Lambda Invoke) against moto's
//! server: the real Lambda wire protocol, with moto's Docker-free Lambda,
//! which answers an invoke with a result queued by the test (or echoes the
//! request).

use std::sync::Arc;
use std::time::Duration;

use aws_adapters::invoke::LambdaRemote;
use aws_adapters::testing::{moto_config, moto_endpoint};
use framework::call::{CallError, CallSettings, Circuits, Client, Remote, RemoteError};
use serde_json::{Value, json};

fn moto_post(path: &str, body: &Value) {
    let response = ureq::post(format!("{}{path}", moto_endpoint())).send_json(body).expect("moto answers");
    assert!(response.status().is_success(), "{path}: {}", response.status());
}

/// IAM's query API by hand (the SDK's IAM crate is not worth a test's build):
/// moto does not check signatures, only the service named in the scope.
fn create_role(name: &str) -> String {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let form =
        [("Action", "CreateRole"), ("Version", "2010-05-08"), ("RoleName", name), ("AssumeRolePolicyDocument", policy)];
    let response = ureq::post(moto_endpoint())
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20261122/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .send_form(form)
        .expect("moto's IAM answers");
    assert!(response.status().is_success(), "CreateRole: {}", response.status());
    format!("arn:aws:iam::123456789012:role/{name}")
}

/// A function in moto's Docker-free Lambda; returns its name.
async fn internal_function(client: &aws_sdk_lambda::Client) -> String {
    moto_post("/moto-api/config", &json!({"lambda": {"use_docker": false}}));
    let name = format!("issue-gift-{}", &framework::new_id()[24..]);
    let role = create_role(&format!("role-{name}"));
    client
        .create_function()
        .function_name(&name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("issue-gift")
        .role(role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(b"not run by moto".to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("function created on moto");
    name
}

#[tokio::test]
async fn a_call_reaches_the_function_by_lambda_invoke_and_reads_its_reply() {
    let config = moto_config().await;
    let lambda = LambdaRemote::client(&config);
    let function = internal_function(&lambda).await;
    let remote = LambdaRemote::new(lambda, &function);

    // Unqueued, moto's Lambda echoes the payload: it went out and came back intact.
    let request = json!({"walletId": "w1", "giftName": "Coffee Coupon", "customerId": "alice", "correlationId": "m1"});
    assert_eq!(remote.invoke(request.clone()).await.expect("an answer"), request);

    // Through the guarded client: a reply in the internal protocol is read.
    moto_post(
        "/moto-api/static/lambda-simple/response",
        &json!({"results": [json!({"status": 200, "body": {"giftId": "g1"}}).to_string()], "region": "us-east-1"}),
    );
    let settings = CallSettings { timeout: Duration::from_secs(5), ..CallSettings::default() };
    let client = Client::new("test→gift", Arc::new(remote), settings, &Circuits::default());
    let body: Value = client.call(&request).await.expect("the queued reply");
    assert_eq!(body, json!({"giftId": "g1"}));
}

#[tokio::test]
async fn no_lambda_service_listening_is_unreachable_and_opens_the_circuit() {
    // A port nothing listens on: the SDK cannot even connect.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let config = moto_config().await.into_builder().endpoint_url(format!("http://{closed}")).build();
    let remote = LambdaRemote::new(LambdaRemote::client(&config), "issue-gift");
    let error = remote.invoke(json!({})).await.expect_err("nothing answers");
    assert!(matches!(error, RemoteError::Unreachable(_)), "{error:?}");

    let settings = CallSettings { failure_threshold: 2, timeout: Duration::from_secs(5), ..CallSettings::default() };
    let client = Client::new("test→nothing", Arc::new(remote), settings, &Circuits::default());
    for _ in 0..2 {
        assert!(matches!(client.call::<_, Value>(&json!({})).await, Err(CallError::Unavailable(_))));
    }
    assert_eq!(client.status().state, framework::call::CircuitState::Open);
}
