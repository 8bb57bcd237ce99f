//! The HTTP side, as API Gateway's HTTP API does it: a route per function
//! (under `/<system>`), the JWT check unless the route is `Auth: NONE`, the
//! request handed over as a payload 2.0 event, and the contract's JSON
//! errors for what never reaches a function.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequest,
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawPathParams, Request as AxumRequest};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{MethodFilter, MethodRouter};
use framework::HttpFn;

use crate::auth::Authorizer;
use crate::runner::StartError;
use crate::template::{self, FunctionSpec, System};

/// The routes of every system, each answering `405` for other methods.
pub(crate) fn router(routes: BTreeMap<String, MethodRouter<()>>) -> Router {
    let mut app = Router::new();
    for (path, methods) in routes {
        app = app.route(&path, methods.fallback(method_not_allowed));
    }
    app
}

pub(crate) struct HttpTarget {
    route_key: String,
    system: String,
    context: String,
    function: String,
    activity: Arc<crate::activity::Feed>,
    /// No authorizer on this route (`Auth: NONE`).
    public: bool,
    run: HttpFn,
    authorizer: Authorizer,
}

pub(crate) fn add_route(
    routes: &mut BTreeMap<String, MethodRouter<()>>,
    system: &System,
    route: &template::Route,
    function: &FunctionSpec,
    run: HttpFn,
    wiring: &crate::wiring::Wiring<'_>,
) -> Result<(), StartError> {
    let method: Method = route
        .method
        .parse()
        .map_err(|_| StartError::Wiring(format!("{}: bad method {}", function.logical_id, route.method)))?;
    let filter = MethodFilter::try_from(method).map_err(|e| StartError::Wiring(e.to_string()))?;
    let target = Arc::new(HttpTarget {
        route_key: format!("{} {}", route.method, route.path),
        system: system.name.clone(),
        context: function.context.clone(),
        function: function.handler.clone(),
        activity: wiring.activity.clone(),
        public: route.public,
        run,
        authorizer: wiring.authorizer.clone(),
    });
    let handler = move |params: RawPathParams, request: AxumRequest| {
        let target = target.clone();
        async move { invoke_http(target, params, request).await }
    };
    let path = format!("/{}{}", system.name, route.path);
    let methods = routes.remove(&path).unwrap_or_default();
    routes.insert(path, methods.on(filter, handler));
    Ok(())
}

impl HttpTarget {
    /// The live board's step for an answer of this function to a request it
    /// took at `taken`, with the saga its commits joined.
    fn answered(&self, taken: Option<String>, status: StatusCode, saga: Option<String>) {
        if self.activity.watched() {
            self.activity.record(crate::activity::Step {
                at: taken.unwrap_or_else(framework::now_rfc3339),
                system: self.system.clone(),
                context: self.context.clone(),
                kind: "http",
                name: self.function.clone(),
                outcome: status.as_u16().to_string(),
                correlation_id: saga,
                ..crate::activity::Step::default()
            });
        }
    }
}

/// One HTTP request through the authorizer and into the function, as an
/// API Gateway HTTP API (payload 2.0) event.
pub(crate) async fn invoke_http(target: Arc<HttpTarget>, params: RawPathParams, request: AxumRequest) -> AxumResponse {
    let (parts, body) = request.into_parts();
    // Read first (up to the limit), even for a request about to be refused:
    // a body left unread makes the server drop the connection after its
    // answer, and a client that pooled it fails its next request on it.
    let Some(body) = read_body(body).await else {
        // Refused before it is read whole, as the function would refuse it.
        return closing(refusal(framework::http::ApiError::payload_too_large()));
    };
    let authorization = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    let claims = match target.authorizer.authorize(authorization) {
        _ if target.public => HashMap::new(),
        Ok(claims) => claims,
        Err(e) => {
            tracing::info!(route = %target.route_key, reason = %e, "unauthorized");
            return error_response(StatusCode::UNAUTHORIZED, "unauthorized", "A valid bearer token is required.");
        }
    };
    let path_parameters = params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let event = api_gateway_event(&target.route_key, &parts, claims, path_parameters, &body);
    let request: lambda_http::Request = lambda_http::request::LambdaRequest::ApiGatewayV2(event).into();
    // A panicking handler costs its request, not the runner. Watched by the
    // live board, it also tells which saga its commits joined.
    let (taken, run) = target.activity.spawn((target.run)(request));
    match run.await {
        Ok((response, seen)) => {
            target.answered(taken, response.status(), seen.correlations.into_iter().next());
            from_lambda(response)
        }
        Err(e) => {
            tracing::error!(route = %target.route_key, error = %e, "handler panicked");
            target.answered(taken, StatusCode::INTERNAL_SERVER_ERROR, None);
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side.")
        }
    }
}

/// The request as an HTTP API (payload 2.0) event, built as the type
/// `lambda_http` reads it from Lambda's JSON (no JSON in between: building
/// and reading it again was a twentieth of the runner's CPU on rentcar).
pub(crate) fn api_gateway_event(
    route_key: &str,
    request: &axum::http::request::Parts,
    claims: HashMap<String, String>,
    path_parameters: HashMap<String, String>,
    body: &[u8],
) -> ApiGatewayV2httpRequest {
    // The system prefix is the stage of a custom domain on AWS: the function
    // sees the path without it.
    let full_path = request.uri.path();
    let raw_path =
        full_path.trim_start_matches('/').split_once('/').map_or("/".to_owned(), |(_, rest)| format!("/{rest}"));
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = request.method.clone();
    http.path = Some(raw_path.clone());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some("127.0.0.1".into());
    http.user_agent = Some(String::new());
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.to_owned());
    context.account_id = Some("000000000000".into());
    context.stage = Some("$default".into());
    context.request_id = Some(framework::new_id());
    context.authorizer = Some(authorizer);
    context.apiid = Some("local".into());
    context.domain_name = Some("127.0.0.1".into());
    context.domain_prefix = Some("local".into());
    context.time = Some(String::new());
    context.time_epoch = i64::try_from(now_ms).unwrap_or(i64::MAX);
    context.http = http;
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(route_key.to_owned());
    event.raw_path = Some(raw_path);
    event.raw_query_string = Some(request.uri.query().unwrap_or("").to_owned());
    event.headers = joined_headers(&request.headers);
    event.path_parameters = path_parameters;
    event.request_context = context;
    event.body = Some(String::from_utf8_lossy(body).into_owned());
    event.is_base64_encoded = false;
    event
}

/// The headers as the HTTP API hands them over: a header sent more than
/// once is one, its values joined with commas; a value that is not text is
/// left out.
fn joined_headers(headers: &axum::http::HeaderMap) -> axum::http::HeaderMap {
    let mut joined = axum::http::HeaderMap::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        if let Ok(value) = axum::http::HeaderValue::from_str(&values.join(",")) {
            joined.insert(name.clone(), value);
        }
    }
    joined
}

/// The contract's error, in the framework's one rendering of it.
pub(crate) fn error_response(status: StatusCode, code: &'static str, message: &str) -> AxumResponse {
    refusal(framework::http::ApiError::new(status, code, message))
}

/// A framework refusal as the runner answers it: the same body and headers
/// a function's refusal has (the field at fault of a `400`, `Retry-After`).
pub(crate) fn refusal(refused: framework::http::ApiError) -> AxumResponse {
    from_lambda(refused.into_response())
}

/// A function's answer as the runner's.
fn from_lambda(response: lambda_http::Response<lambda_http::Body>) -> AxumResponse {
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, Bytes::copy_from_slice(body.as_ref())).into_response()
}

pub(crate) async fn method_not_allowed(request: AxumRequest) -> AxumResponse {
    let what = format!("{} is not allowed on {}.", request.method(), request.uri().path());
    refused_after_reading(request, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", &what).await
}

pub(crate) async fn unknown_route(request: AxumRequest) -> AxumResponse {
    let what = format!("No route {} {}.", request.method(), request.uri().path());
    refused_after_reading(request, StatusCode::NOT_FOUND, "not_found", &what).await
}

/// The contract's error for a request refused before a function sees it,
/// once its body is read (up to the limit), so that the connection stays
/// usable for the client's next request (see `invoke_http`).
pub(crate) async fn refused_after_reading(
    request: AxumRequest,
    status: StatusCode,
    code: &'static str,
    message: &str,
) -> AxumResponse {
    let response = error_response(status, code, message);
    match read_body(request.into_body()).await {
        Some(_) => response,
        None => closing(response),
    }
}

/// The body, read up to the contract's limit; `None` past it (the rest is
/// left unread).
async fn read_body(body: axum::body::Body) -> Option<Bytes> {
    axum::body::to_bytes(body, framework::http::MAX_BODY_BYTES).await.ok()
}

/// `response`, closing its connection: a body left unread past the limit
/// must not be taken for the next request.
fn closing(mut response: AxumResponse) -> AxumResponse {
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_holds_the_path_without_the_system_the_query_and_a_repeated_header_joined() {
        let request = axum::http::Request::builder()
            .method("GET")
            .uri("/rentcar/rentals?reservationId=r1")
            .header("x-trace", "a")
            .header("x-trace", "b")
            .header("authorization", "Bearer t")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let claims = HashMap::from([("sub".to_owned(), "bob".to_owned())]);
        let event = api_gateway_event("GET /rentals", &parts, claims, HashMap::new(), b"");
        assert_eq!(event.raw_path.as_deref(), Some("/rentals"));
        assert_eq!(event.raw_query_string.as_deref(), Some("reservationId=r1"));
        assert_eq!(event.headers.get_all("x-trace").iter().collect::<Vec<_>>(), ["a,b"]);
        let request: lambda_http::Request = lambda_http::request::LambdaRequest::ApiGatewayV2(event).into();
        assert_eq!(request.uri().path(), "/rentals");
        assert_eq!(request.method(), Method::GET);
        use lambda_http::RequestExt;
        assert_eq!(request.query_string_parameters().first("reservationId"), Some("r1"));
        let lambda_http::request::RequestContext::ApiGatewayV2(context) = request.request_context() else {
            panic!("an HTTP API request");
        };
        assert_eq!(context.authorizer.and_then(|a| a.jwt).map(|j| j.claims["sub"].clone()).as_deref(), Some("bob"));
    }
}
