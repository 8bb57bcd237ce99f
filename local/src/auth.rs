//! The local stand-in for API Gateway's JWT authorizer.
//!
//! On AWS the HTTP API checks the token's signature (the issuer's JWKS),
//! `iss`, `aud`, `exp` and `nbf`, then hands the function the claims as
//! strings, arrays flattened to `[a b]`. Locally the same checks run against
//! an HMAC key of the runner's own (`<data-dir>/jwt-secret`, or
//! `LOCAL_JWT_SECRET`), and the handlers get the claims in the same shape.

use std::collections::HashMap;
use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::Value;

pub use framework::http::{LOCAL_AUDIENCE as AUDIENCE, LOCAL_ISSUER as ISSUER};

#[derive(Clone)]
pub struct Authorizer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("token rejected: {0}")]
    Invalid(String),
}

impl Authorizer {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation }
    }

    /// The key from `LOCAL_JWT_SECRET`, else from `<data_dir>/jwt-secret`,
    /// made on first use so `token` and the server agree across restarts.
    pub fn from_data_dir(data_dir: &Path) -> std::io::Result<Self> {
        if let Ok(secret) = std::env::var("LOCAL_JWT_SECRET")
            && !secret.is_empty()
        {
            return Ok(Self::new(secret.as_bytes()));
        }
        let path = data_dir.join("jwt-secret");
        let secret = match std::fs::read_to_string(&path) {
            Ok(secret) if !secret.trim().is_empty() => secret.trim().to_owned(),
            _ => {
                std::fs::create_dir_all(data_dir)?;
                let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
                write_owner_only(&path, &secret)?;
                secret
            }
        };
        Ok(Self::new(secret.as_bytes()))
    }

    /// A token the runner accepts, valid for `ttl_secs`.
    pub fn mint(&self, sub: &str, groups: &[String], ttl_secs: u64) -> String {
        self.mint_at(sub, groups, framework::now_secs(), ttl_secs)
    }

    /// A token issued at `now` (epoch seconds), for tests of expiry.
    pub fn mint_at(&self, sub: &str, groups: &[String], now: u64, ttl_secs: u64) -> String {
        let mut claims = serde_json::json!({
            "sub": sub,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + ttl_secs,
        });
        if !groups.is_empty() {
            claims["cognito:groups"] = serde_json::json!(groups);
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// Checks `Authorization: Bearer <jwt>` and returns the claims as the
    /// HTTP API passes them to a function.
    pub fn authorize(&self, authorization: Option<&str>) -> Result<HashMap<String, String>, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let token = framework::http::bearer(header).ok_or(AuthError::Missing)?;
        let data = jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &self.decoding, &self.validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        Ok(data.claims.into_iter().map(|(k, v)| (k, flatten(&v))).collect())
    }
}

/// HTTP API's rendering of a claim value as a string.
fn flatten(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(flatten).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

/// The key signs every token the runner accepts: readable by its owner
/// only (other users of the machine could mint staff tokens with it).
fn write_owner_only(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_made_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // With LOCAL_JWT_SECRET set no file is made: nothing to check.
        if std::env::var_os("LOCAL_JWT_SECRET").is_some() {
            return;
        }
        Authorizer::from_data_dir(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("jwt-secret")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_minted_token_passes_with_groups_flattened_as_the_http_api_does() {
        let auth = Authorizer::new(b"k");
        let token = auth.mint("bob", &["staff".into(), "ops".into()], 60);
        let claims = auth.authorize(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(claims["sub"], "bob");
        assert_eq!(claims["cognito:groups"], "[staff ops]");
    }

    #[test]
    fn missing_forged_and_expired_tokens_are_refused() {
        let auth = Authorizer::new(b"k");
        assert_eq!(auth.authorize(None), Err(AuthError::Missing));
        assert_eq!(auth.authorize(Some("Basic abc")), Err(AuthError::Missing));
        let forged = Authorizer::new(b"other").mint("eve", &[], 60);
        assert!(matches!(auth.authorize(Some(&format!("Bearer {forged}"))), Err(AuthError::Invalid(_))));
        let now = framework::now_secs();
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "a", "iss": ISSUER, "aud": AUDIENCE, "exp": now - 10}),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert!(matches!(auth.authorize(Some(&format!("Bearer {expired}"))), Err(AuthError::Invalid(_))));
    }
}
