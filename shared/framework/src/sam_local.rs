//! The caller under `sam local start-api`, in binaries built for it only.
//!
//! SAM CLI does not run an HTTP API's JWT authorizer locally: the event it
//! hands a function has no `requestContext.authorizer`, so every route would
//! answer 401. A binary built with `--cfg sam_local` (what
//! `./scripts/sam-build --config-env local` does) reads the caller from the
//! bearer token itself, and only when SAM CLI runs it (`AWS_SAM_LOCAL=true`,
//! set by SAM in every local container). It checks what the authorizer
//! would, `iss`, `aud`, `exp` and `sub`, against the local runner's tokens
//! (`local token`), but not the signature: SAM passes a function only the
//! variables its template declares, so no key can reach it without one in
//! the deployed template. serverless-offline's `ignoreJWTSignature` makes
//! the same trade for the same reason.
//!
//! The deployed path keeps its single source of identity: a binary built
//! without the cfg (every `sam build` for a deployment) does not contain
//! this module, and behind API Gateway the authorizer's claims are always
//! present, so the fallback would never be reached anyway.

use lambda_http::Request;
use lambda_http::http::header::AUTHORIZATION;
use serde::Deserialize;

use crate::http::{Caller, LOCAL_AUDIENCE, LOCAL_ISSUER, bearer};

#[derive(Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    exp: u64,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
}

/// The caller of a request SAM CLI served, or `None` (the edge answers 401).
pub(crate) fn caller(request: &Request) -> Option<Caller> {
    if std::env::var("AWS_SAM_LOCAL").as_deref() != Ok("true") {
        return None;
    }
    let token = bearer(request.headers().get(AUTHORIZATION)?.to_str().ok()?)?;
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode(token).ok()?.claims;
    let current = claims.iss == LOCAL_ISSUER && claims.aud == LOCAL_AUDIENCE && claims.exp > crate::now_secs();
    (current && !claims.sub.is_empty()).then(|| Caller { sub: claims.sub, groups: claims.groups })
}
