//! The bearer extractor of every business route.
//!
//! ```ignore
//! async fn status(client: BearerClient, Path(id): Path<i64>) -> ... {
//!     // client.client_service_id scopes every query.
//! }
//! ```
//! The state only has to give a [`TokenService`] through `FromRef`. The rejection is a
//! [`TokenRejection`]; a service that wants its own body maps it, e.g.
//! `Result<BearerClient, TokenRejection>` as the extractor, or `impl From<TokenRejection> for
//! ApiError` with `#[from_request(rejection(ApiError))]`. Used as is, it answers RFC 6750's
//! 401 `invalid_token`.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use crate::token::{TokenRejection, TokenService};

/// The authenticated client service of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerClient {
    /// The client service id; every query of the request is scoped to it.
    pub client_service_id: i64,
    /// The client service alias.
    pub alias: String,
    /// The token id (for logs and audit).
    pub jti: Uuid,
}

impl<S> FromRequestParts<S> for BearerClient
where
    TokenService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = TokenRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(TokenRejection::Missing)?;
        let token = bearer_token(header).ok_or(TokenRejection::MalformedHeader)?;
        let claims = TokenService::from_ref(state).verify(token)?;
        Ok(BearerClient {
            client_service_id: claims.csid,
            alias: claims.client_id,
            jti: claims.jti,
        })
    }
}

/// `Bearer <token>`, scheme case-insensitive (RFC 7235 §2.1).
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

impl IntoResponse for TokenRejection {
    /// RFC 6750 §3: 401 with `WWW-Authenticate: Bearer` (with `error="invalid_token"` unless
    /// the request carried no credentials) and `{"error","error_description"}`.
    fn into_response(self) -> Response {
        let challenge = match self {
            TokenRejection::Missing => r#"Bearer realm="signstash""#,
            _ => r#"Bearer realm="signstash", error="invalid_token""#,
        };
        let body = serde_json::json!({
            "error": "invalid_token",
            "error_description": self.description(),
        });
        (
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, HeaderValue::from_static(challenge))],
            Json(body),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_scheme() {
        let ok = |v: &'static str| bearer_token(&HeaderValue::from_static(v)).map(str::to_owned);
        assert_eq!(ok("Bearer abc.def.ghi").as_deref(), Some("abc.def.ghi"));
        assert_eq!(ok("bearer abc").as_deref(), Some("abc"));
        assert_eq!(ok("BEARER  abc ").as_deref(), Some("abc"));
        assert_eq!(ok("Bearer"), None);
        assert_eq!(ok("Bearer "), None);
        assert_eq!(ok("Basic ZGVtbzpk"), None);
        assert_eq!(ok("Bearer a b"), None);
        assert_eq!(ok("abc.def.ghi"), None);
    }
}
