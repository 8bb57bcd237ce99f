//! The HTTP edge of a context: who is calling, what they sent, and the
//! contract's JSON answers. Handlers return `Result<Response, ApiError>`;
//! [`endpoint`] turns that into the one response shape every route shares.

use std::future::Future;
use std::sync::Arc;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::Instrument;

use crate::store::{BoxFuture, Cursor, PageRequest, StoreError};

/// A refusal in the contract's shape:
/// `{"error":{"code":"snake_case_code","message":"human sentence"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, for `400`s.
    pub field: Option<String>,
    /// Seconds, for `503`s.
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// Logs an error answer where it is made: a server error at error level
    /// and counted as a fault (`fault_kind`) unless it is a 503, which is a
    /// transient condition and not the function's own failure; a refusal at
    /// info level.
    pub(crate) fn log(&self, what: &str, fault_kind: &'static str) {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), code = self.code, "{what} failed");
            if self.status != StatusCode::SERVICE_UNAVAILABLE {
                crate::telemetry::fault(fault_kind);
            }
        } else {
            tracing::info!(status = self.status.as_u16(), code = self.code, "{what} refused");
        }
    }

    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, retry_after: None }
    }

    pub fn malformed_json(detail: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_json", format!("The body is not valid JSON: {detail}."))
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_field", format!("{field}: {}", message.into()))
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid bearer token is required.")
    }

    pub fn staff_only() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Only staff may do this.")
    }

    pub fn not_owner(what: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", format!("This {what} belongs to someone else."))
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("No {what} with id '{id}'."))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unavailable(message: impl Into<String>, retry_after: u32) -> Self {
        Self { retry_after: Some(retry_after), ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message) }
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
        )
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong on our side.")
    }

    /// A command that did not go through: the context says what its
    /// aggregate's refusals mean; the rest is the same everywhere.
    pub fn from_execute<E: std::error::Error>(
        error: crate::commit::ExecuteError<E>,
        refused: impl FnOnce(E) -> ApiError,
    ) -> Self {
        use crate::commit::ExecuteError;
        match error {
            ExecuteError::Refused(e) => refused(e),
            ExecuteError::Store(e) => e.into(),
            ExecuteError::Contended => Self::unavailable("This is busy; try again.", 1),
            ExecuteError::Envelope(e) => {
                tracing::error!(error = %e, "event could not be wrapped");
                Self::internal()
            }
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        let mut response = json_response(self.status, &json!({ "error": error }));
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        match e {
            StoreError::Unavailable(_) | StoreError::Conflict => {
                Self::unavailable("The service is busy; try again shortly.", 1)
            }
            StoreError::ForeignCursor => {
                Self::invalid_field("cursor", "is not one this list gave (take it from the Link header)")
            }
            _ => Self::internal(),
        }
    }
}

pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let bytes = serde_json::to_vec(body).expect("response bodies always serialize");
    let mut response = Response::new(Body::Binary(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn ok<T: Serialize>(body: &T) -> Result<Response<Body>, ApiError> {
    Ok(json_response(StatusCode::OK, body))
}

pub fn accepted<T: Serialize>(body: &T) -> Result<Response<Body>, ApiError> {
    Ok(json_response(StatusCode::ACCEPTED, body))
}

pub fn created<T: Serialize>(location: &str, body: &T) -> Result<Response<Body>, ApiError> {
    let mut response = json_response(StatusCode::CREATED, body);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// The user behind a request, from the claims API Gateway's JWT authorizer
/// verified (`requestContext.authorizer.jwt.claims`).
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub sub: String,
    pub groups: Vec<String>,
}

pub const STAFF_GROUP: &str = "staff";

/// The issuer and audience of the local runner's tokens (`local token`),
/// which its gateway checks and `sam local` binaries read.
pub const LOCAL_ISSUER: &str = "local-runner";
pub const LOCAL_AUDIENCE: &str = "local";

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(authorization: &str) -> Option<&str> {
    let token = authorization.strip_prefix("Bearer ").or_else(|| authorization.strip_prefix("bearer "))?;
    Some(token.trim())
}

impl Caller {
    pub fn of(request: &Request) -> Result<Self, ApiError> {
        let claims = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => {
                context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|jwt| &jwt.claims)
            }
            _ => None,
        };
        #[cfg(sam_local)]
        if claims.is_none() {
            return crate::sam_local::caller(request).ok_or_else(ApiError::unauthorized);
        }
        let claims = claims.ok_or_else(ApiError::unauthorized)?;
        let sub = claims.get("sub").filter(|s| !s.is_empty()).ok_or_else(ApiError::unauthorized)?;
        let groups = claims.get("cognito:groups").map(|g| parse_groups(g)).unwrap_or_default();
        Ok(Self { sub: sub.clone(), groups })
    }

    pub fn is_staff(&self) -> bool {
        self.groups.iter().any(|g| g == STAFF_GROUP)
    }

    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.is_staff() { Ok(()) } else { Err(ApiError::staff_only()) }
    }

    /// `403` unless the caller is `owner`.
    pub fn require_owner(&self, owner: &str, what: &str) -> Result<(), ApiError> {
        if self.sub == owner { Ok(()) } else { Err(ApiError::not_owner(what)) }
    }
}

/// HTTP APIs flatten array claims into one string: `[staff admin]`. A JSON
/// array or a single bare name are read too.
fn parse_groups(raw: &str) -> Vec<String> {
    raw.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|g| g.trim_matches('"'))
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The JSON body as `T`, or the contract's `400` naming the field at fault.
pub fn body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    json_object(request.body().as_ref())
}

/// Bytes that must hold one JSON object, as `T`: `malformed_json` for what
/// is not JSON or not an object, `invalid_field` naming the field at fault
/// for an object that is not a `T`. Routes read their bodies with it
/// through [`body`]; the local runner's own endpoints with it directly.
pub fn json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(ApiError::malformed_json)?;
    if !value.is_object() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", "The body must be a JSON object."));
    }
    serde_path_to_error::deserialize(value).map_err(field_error)
}

/// A whole number as JSON may write it: `5`, and `5.0`, which JSON Schema
/// (and so the published contract) counts as the same integer. For body
/// fields: `#[serde(deserialize_with = "http::whole")]`, and the route's
/// range checked after.
pub fn whole<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_i64() {
        return Ok(n);
    }
    if number.as_u64().is_some() {
        // Above i64::MAX: out of every route's range all the same.
        return Ok(i64::MAX);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => Ok(f as i64),
        _ => Err(D::Error::custom(format!("expected a whole number, found {number}"))),
    }
}

/// The contract's `400` for a body that parsed as JSON but not as `T`.
pub(crate) fn field_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    let field = if path == "." { missing_field_name(&inner).unwrap_or_else(|| "body".to_owned()) } else { path };
    ApiError::invalid_field(&field, inner)
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// The largest request body any route takes: a longer one is refused
/// (`413`) before it is parsed, so no request can make a function parse
/// megabytes (API Gateway itself would pass up to 10 MB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Longest id the server makes or accepts; longer ones cannot exist, and
/// must not reach the store (DynamoDB refuses keys over 1 KB with an error
/// that would read as an outage).
pub const MAX_ID_LEN: usize = 128;

pub fn path_param(request: &Request, name: &str) -> Result<String, ApiError> {
    let value = request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_field(name, "is required in the path"))?;
    if value.len() > MAX_ID_LEN {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No such {name}.")));
    }
    Ok(value.to_owned())
}

/// The published schema's `pattern` for a text field: some character that
/// [`text_field`] does not trim away. Spelled out, because a regex's `\s`
/// is not Rust's `char::is_whitespace` (U+0085 is whitespace to Rust only,
/// U+FEFF to the regex only).
pub const NOT_BLANK: &str = r"[^\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A text field of at most `max` characters with something besides
/// whitespace (the published schema's `maxLength` and [`NOT_BLANK`]),
/// trimmed; or the contract's `400`.
pub fn text_field(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let long = value.chars().count() > max;
    let value = value.trim();
    if value.is_empty() || long {
        return Err(ApiError::invalid_field(field, format!("must be 1 to {max} characters")));
    }
    Ok(value.to_owned())
}

pub fn query_param(request: &Request, name: &str) -> Option<String> {
    request.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_owned)
}

/// The longest page a list answers, and the page it answers by default.
pub const MAX_PAGE: usize = 1000;
pub const DEFAULT_PAGE: usize = 100;

/// The page of a list the request asks for: `?limit=1..1000` (default 100)
/// and the `?cursor=` of a previous page's `Link`; `400` naming the
/// parameter otherwise.
pub fn page_request(request: &Request) -> Result<PageRequest, ApiError> {
    let limit =
        match query_param(request, "limit") {
            None => DEFAULT_PAGE,
            Some(raw) => raw.parse::<usize>().ok().filter(|l| (1..=MAX_PAGE).contains(l)).ok_or_else(|| {
                ApiError::invalid_field("limit", format!("must be a whole number from 1 to {MAX_PAGE}"))
            })?,
        };
    let after = match query_param(request, "cursor") {
        None => None,
        Some(raw) => Some(decode_cursor(&raw).ok_or_else(|| {
            ApiError::invalid_field("cursor", "is not one this list gave (take it from the Link header)")
        })?),
    };
    Ok(PageRequest { limit, after })
}

fn encode_cursor(cursor: &Cursor) -> String {
    use base64::Engine;
    let json = serde_json::to_vec(cursor).expect("a cursor always serializes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(raw: &str) -> Option<Cursor> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    let cursor: Cursor = serde_json::from_slice(&json).ok()?;
    // Keys DynamoDB would refuse (over 1 KB) read as an outage there: never sent.
    let fits = [Some(&cursor.key), cursor.index.as_ref()]
        .into_iter()
        .flatten()
        .all(|k| k.pk.len() <= 1024 && k.sk.len() <= 1024);
    fits.then_some(cursor)
}

/// A page of a list as the contract answers it: the JSON array, and when
/// there is more, `Link: <same list?limit=…&cursor=…>; rel="next"`. The
/// reference is relative to the list's own URL (its last path segment), so
/// it holds behind any prefix (`/<system>` locally, a base path mapping on
/// AWS).
pub fn page<T: Serialize>(request: &Request, items: &[T], next: Option<&Cursor>) -> Result<Response<Body>, ApiError> {
    let mut response = json_response(StatusCode::OK, &items);
    if let Some(cursor) = next {
        let list = request.uri().path().rsplit('/').next().unwrap_or_default();
        let limit = query_param(request, "limit").unwrap_or_else(|| DEFAULT_PAGE.to_string());
        let link = format!("<{list}?limit={limit}&cursor={}>; rel=\"next\"", encode_cursor(cursor));
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The `Handler` of the framework's own health function, which any context
/// binary serves and which touches no table.
pub const HEALTH_HANDLER: &str = "health";

/// `GET /health`: the one route without a token (`Auth: NONE` in the template).
pub fn health() -> HttpFn {
    endpoint("health", |_request| async { ok(&json!({ "status": "ok" })) })
}

/// An HTTP function as both the Lambda runtime and the local runner call it.
pub type HttpFn = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;

/// Wraps a handler: a span carrying the request and correlation ids, and
/// every refusal rendered as the contract's JSON error.
pub fn endpoint<F, Fut>(name: &'static str, handler: F) -> HttpFn
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    let handler = Arc::new(handler);
    Arc::new(move |request: Request| {
        let handler = handler.clone();
        let request_id = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let correlation_id = request
            .headers()
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        let span =
            tracing::info_span!("http", function = name, request_id = %request_id, correlation_id = %correlation_id);
        Box::pin(
            async move {
                if request.body().len() > MAX_BODY_BYTES {
                    let refused = ApiError::payload_too_large();
                    refused.log("request", "http_5xx");
                    return refused.into_response();
                }
                match handler(request).await {
                    Ok(response) => response,
                    Err(error) => {
                        error.log("request", "http_5xx");
                        error.into_response()
                    }
                }
            }
            .instrument(span),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_number_field_takes_5_and_5_0_and_refuses_5_5() {
        #[derive(Debug, Deserialize)]
        struct Body {
            #[serde(deserialize_with = "whole")]
            n: i64,
        }
        let read = |json: &str| serde_json::from_str::<Body>(json).map(|b| b.n);
        assert_eq!(read(r#"{"n": 5}"#).unwrap(), 5);
        assert_eq!(read(r#"{"n": 5.0}"#).unwrap(), 5, "JSON Schema's integer 5");
        assert_eq!(read(r#"{"n": -3}"#).unwrap(), -3);
        assert_eq!(read(r#"{"n": 18446744073709551615}"#).unwrap(), i64::MAX, "out of every range all the same");
        assert!(read(r#"{"n": 5.5}"#).is_err());
        assert!(read(r#"{"n": "5"}"#).is_err());
        assert!(read(r#"{"n": 1e300}"#).is_err());
    }

    #[test]
    fn a_text_field_is_held_to_its_limit_before_it_is_trimmed() {
        assert_eq!(text_field("title", "  Dune  ", 8).unwrap(), "Dune");
        let padded = format!("  {}  ", "x".repeat(62)); // 66 characters, 62 once trimmed
        assert_eq!(text_field("title", &padded, 64).unwrap_err().field.as_deref(), Some("title"));
        for blank in ["", "   ", "\u{85}\u{a0}\u{3000}"] {
            assert!(text_field("title", blank, 64).is_err(), "{blank:?} is blank");
        }
        // What the published pattern calls blank is what the field trims away.
        assert!(text_field("title", "\u{feff}", 64).is_ok(), "U+FEFF is not whitespace to either");
        assert!(NOT_BLANK.contains(r"\u0085") && !NOT_BLANK.contains(r"\uFEFF"));
    }

    #[test]
    fn groups_are_read_in_every_shape_an_authorizer_passes_them() {
        assert_eq!(parse_groups("[staff admin]"), vec!["staff", "admin"]);
        assert_eq!(parse_groups(r#"["staff","admin"]"#), vec!["staff", "admin"]);
        assert_eq!(parse_groups("staff"), vec!["staff"]);
        assert!(parse_groups("[]").is_empty());
    }

    #[test]
    fn a_page_is_asked_by_limit_and_cursor_and_the_next_one_linked() {
        use crate::store::Key;
        let ask = |query: &str| {
            let request: Request = lambda_http::http::Request::builder()
                .uri(format!("https://api.example/bookreservation/books?{query}"))
                .body(Body::Empty)
                .unwrap();
            let params: std::collections::HashMap<String, String> = url_params(query);
            request.with_query_string_parameters(params)
        };
        assert_eq!(page_request(&ask("")).unwrap().limit, DEFAULT_PAGE);
        for bad in ["limit=0", "limit=1001", "limit=two"] {
            assert_eq!(page_request(&ask(bad)).unwrap_err().field.as_deref(), Some("limit"), "{bad}");
        }
        assert_eq!(page_request(&ask("cursor=nonsense")).unwrap_err().field.as_deref(), Some("cursor"));
        let cursor = Cursor { key: Key::new("BookList", "isbn-2"), index: None };
        let request = ask("limit=2");
        let response = page(&request, &[1, 2], Some(&cursor)).unwrap();
        let link = response.headers()[header::LINK].to_str().unwrap().to_owned();
        assert!(link.starts_with("<books?limit=2&cursor=") && link.ends_with(">; rel=\"next\""), "{link}");
        let token = link.split("cursor=").nth(1).unwrap().split('>').next().unwrap();
        let next = page_request(&ask(&format!("limit=2&cursor={token}"))).unwrap();
        assert_eq!((next.limit, next.after), (2, Some(cursor)));
        assert!(
            page(&request, &[1], None).unwrap().headers().get(header::LINK).is_none(),
            "the last page links nothing"
        );
    }

    fn url_params(query: &str) -> std::collections::HashMap<String, String> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_before_the_handler_sees_it() {
        let reached = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = reached.clone();
        let run = endpoint("test", move |_request| {
            seen.store(true, std::sync::atomic::Ordering::SeqCst);
            async { ok(&json!({})) }
        });
        let response = run(Request::new(Body::from(vec![b' '; MAX_BODY_BYTES + 1]))).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(String::from_utf8_lossy(response.body().as_ref()).contains("payload_too_large"));
        assert!(!reached.load(std::sync::atomic::Ordering::SeqCst), "the handler never ran");
        let fits = run(Request::new(Body::from(vec![b' '; MAX_BODY_BYTES]))).await;
        assert_eq!(fits.status(), StatusCode::OK);
    }

    #[test]
    fn a_missing_field_is_named_in_the_error() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)]
        struct In {
            book_id: String,
        }
        let request = Request::new(Body::from("{}"));
        let error = body::<In>(&request).unwrap_err();
        assert_eq!((error.status, error.field.as_deref()), (StatusCode::BAD_REQUEST, Some("bookId")));
        let request = Request::new(Body::from(r#"{"bookId": 5}"#));
        assert_eq!(body::<In>(&request).unwrap_err().field.as_deref(), Some("bookId"));
        let request = Request::new(Body::from("{"));
        assert_eq!(body::<In>(&request).unwrap_err().code, "malformed_json");
    }
}
