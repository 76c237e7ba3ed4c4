//! The RFC 6749 §5.2 error responses of the token endpoint.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::header::{CACHE_CONTROL, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// `WWW-Authenticate` of every 401 of the token endpoint.
pub const BASIC_CHALLENGE: &str = r#"Basic realm="signstash""#;

/// The one description of a failed client authentication, whatever failed (unknown alias,
/// wrong secret, unreadable credentials), so the answer does not tell which aliases exist.
pub const BAD_CLIENT_CREDENTIALS: &str = "Bad client credentials";

/// Given only to a caller who proved the secret: the client service exists but is not active.
pub const CLIENT_NOT_ACTIVE: &str = "Client service not active";

/// A token endpoint failure, rendered as `{"error","error_description"}`.
#[derive(Debug)]
pub(crate) enum TokenError {
    /// 400: missing parameter, repeated parameter, wrong content type, unreadable body.
    InvalidRequest(Cow<'static, str>),
    /// 401 with `WWW-Authenticate: Basic`.
    InvalidClient(&'static str),
    /// 400: a scope other than `read`/`write`.
    InvalidScope,
    /// 400: any grant but `client_credentials`.
    UnsupportedGrantType,
    /// 429 `slow_down` with `Retry-After`: too many failed client authentications lately
    /// (see [`crate::throttle`]). RFC 6749 has no code for it; `slow_down` is the one OAuth
    /// registered for "too many requests, wait" (RFC 8628 §3.5).
    SlowDown(Duration),
    /// 500: the directory or the signer failed; the cause is logged where it happened.
    ServerError,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            TokenError::SlowDown(wait) => Some(wait.as_secs().max(1)),
            _ => None,
        };
        let (status, error, description): (_, _, Cow<'static, str>) = match self {
            TokenError::InvalidRequest(d) => (StatusCode::BAD_REQUEST, "invalid_request", d),
            TokenError::InvalidClient(d) => (StatusCode::UNAUTHORIZED, "invalid_client", d.into()),
            TokenError::InvalidScope => (
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The only scopes are 'read' and 'write'".into(),
            ),
            TokenError::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only the client_credentials grant is supported".into(),
            ),
            TokenError::SlowDown(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                format!(
                    "Too many failed client authentications; retry after {} seconds",
                    retry_after.unwrap_or(1)
                )
                .into(),
            ),
            TokenError::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "The token could not be issued; try again later".into(),
            ),
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error,
                error_description: &description,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(seconds) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(BASIC_CHALLENGE));
        }
        response
    }
}
