//! For tests: stores that fail on cue, to make a fault happen, and API
//! Gateway requests as a function receives them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::store::{BoxFuture, Item, Key, Query, StoreError, Table, WriteOp};

/// A table whose next transaction fails as if the store were out of reach:
/// a crash or timeout of a commit after its side effects elsewhere (a
/// synchronous call) already happened. Reads and later transactions go
/// through.
pub struct FailNextTransaction {
    inner: Arc<dyn Table>,
    /// Transactions to let through before the one that fails.
    before: AtomicUsize,
}

impl FailNextTransaction {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self::after(inner, 0)
    }

    /// Lets `passing` transactions through, then fails one.
    pub fn after(inner: Arc<dyn Table>, passing: usize) -> Self {
        Self { inner, before: AtomicUsize::new(passing + 1) }
    }
}

impl Table for FailNextTransaction {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        self.inner.get(key)
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        self.inner.query(query)
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        let left = self.before.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).unwrap_or(0);
        if left == 1 {
            return Box::pin(std::future::ready(Err(StoreError::Unavailable("the commit was lost".into()))));
        }
        self.inner.transact(ops)
    }
}

/// An API Gateway (HTTP API, payload 2.0) request as the JWT authorizer
/// hands it to a function, for tests of a context's routes:
/// `ApiRequest::new("POST", "/rentals/t1/return").routes(&["/rentals/{rentalId}/return"]).staff("bob").into()`.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: String,
    path: String,
    sub: String,
    staff: bool,
    body: Option<String>,
    routes: Vec<String>,
}

impl ApiRequest {
    /// A customer's (`alice`) request; `path` may carry a `?query`.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            sub: "alice".to_owned(),
            staff: false,
            body: None,
            routes: Vec::new(),
        }
    }

    /// The caller's `sub`.
    pub fn by(mut self, sub: &str) -> Self {
        sub.clone_into(&mut self.sub);
        self
    }

    /// Whether the caller is in the `staff` group.
    pub fn staff(mut self, staff: bool) -> Self {
        self.staff = staff;
        self
    }

    pub fn body(mut self, body: Option<&str>) -> Self {
        self.body = body.map(str::to_owned);
        self
    }

    /// The route templates (`/cars/{carNo}`) the path parameters are read
    /// with, as API Gateway reads them: the first template the path matches.
    pub fn routes(mut self, routes: &[&str]) -> Self {
        self.routes = routes.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    fn path_parameters(&self, raw_path: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
        let segments: Vec<&str> = raw_path.split('/').collect();
        self.routes.iter().find_map(|route| {
            let template: Vec<&str> = route.split('/').collect();
            if template.len() != segments.len() {
                return None;
            }
            let mut parameters = serde_json::Map::new();
            for (t, s) in template.iter().zip(&segments) {
                match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    Some(name) => {
                        parameters.insert(name.to_owned(), (*s).into());
                    }
                    None if t == s => {}
                    None => return None,
                }
            }
            Some(parameters)
        })
    }
}

impl From<ApiRequest> for lambda_http::Request {
    fn from(request: ApiRequest) -> Self {
        let mut claims = serde_json::json!({ "sub": request.sub });
        if request.staff {
            claims["cognito:groups"] = "[staff]".into();
        }
        let (raw_path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        let parameters = request.path_parameters(raw_path).filter(|p| !p.is_empty());
        let route_key = format!("{} {raw_path}", request.method);
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": raw_path,
            "rawQueryString": query,
            "queryStringParameters": query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .collect::<std::collections::HashMap<_, _>>(),
            "headers": { "content-type": "application/json" },
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "api",
                "authorizer": { "jwt": { "claims": claims, "scopes": null } },
                "domainName": "api.example.com",
                "domainPrefix": "api",
                "http": {
                    "method": request.method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.7",
                    "userAgent": "test"
                },
                "requestId": "req",
                "routeKey": route_key,
                "stage": "$default",
                "time": "22/Nov/2026:10:00:00 +0000",
                "timeEpoch": 1795341600000u64
            },
            "pathParameters": parameters,
            "body": request.body,
            "isBase64Encoded": false
        });
        let event: lambda_http::request::LambdaRequest =
            serde_json::from_value(event).expect("an HTTP API (payload 2.0) request");
        event.into()
    }
}

#[cfg(test)]
mod tests {
    use lambda_http::RequestExt;

    use super::*;

    #[test]
    fn path_parameters_are_read_with_the_first_route_the_path_matches() {
        let request: lambda_http::Request = ApiRequest::new("POST", "/products/ITEM-1/stock?x=1")
            .routes(&["/products/{itemCd}", "/products/{itemCd}/stock"])
            .into();
        assert_eq!(request.path_parameters().first("itemCd"), Some("ITEM-1"));
        assert_eq!(request.query_string_parameters().first("x"), Some("1"));
        let unmatched: lambda_http::Request =
            ApiRequest::new("GET", "/products").routes(&["/products/{itemCd}"]).into();
        assert!(unmatched.path_parameters().is_empty());
    }
}
