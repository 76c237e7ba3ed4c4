//! The client credentials grant (RFC 6749 §4.4): authenticate the client service, issue a token.

use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use signstash_domain::AddressScope;
use uuid::Uuid;

use crate::server::client_auth::{authenticate, credentials};
use crate::server::error::TokenError;
use crate::server::form::TokenRequest;
use crate::server::OAuthState;
use crate::token::{GRANTED_SCOPE, TOKEN_LIFETIME_SECONDS};

/// The 200 body of api-v0.md, member order included.
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: &'static str,
    jti: Uuid,
}

/// `scope` is optional; when given it may only name `read` and `write`. The token always gets
/// both (RFC 6749 §3.3 lets the server grant a different scope and say so in `scope`): no
/// endpoint is read-only, and the contract answers `"read write"`.
fn check_scope(scope: Option<&str>) -> Result<(), TokenError> {
    match scope {
        Some(scope) if !scope.split(' ').all(|s| s == "read" || s == "write") => {
            Err(TokenError::InvalidScope)
        }
        _ => Ok(()),
    }
}

pub(crate) async fn grant(
    state: &OAuthState,
    headers: &HeaderMap,
    request: &TokenRequest,
    address: &AddressScope,
) -> Result<Response, TokenError> {
    let credentials = credentials(headers, request)?;
    let client = authenticate(state, credentials, address).await?;
    check_scope(request.scope.as_deref())?;
    let issued = state.tokens.issue(client.id, &client.alias).map_err(|e| {
        tracing::error!(error = %e, "token signing failed");
        TokenError::ServerError
    })?;
    tracing::info!(client_service = %client.alias, jti = %issued.claims.jti, "token issued");
    let mut response = Json(TokenResponse {
        access_token: issued.access_token,
        token_type: "bearer",
        expires_in: TOKEN_LIFETIME_SECONDS,
        scope: GRANTED_SCOPE,
        jti: issued.claims.jti,
    })
    .into_response();
    // RFC 6749 §5.1.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_may_only_name_read_and_write() {
        for ok in [
            None,
            Some("read"),
            Some("write"),
            Some("read write"),
            Some("write read"),
        ] {
            assert!(check_scope(ok).is_ok(), "{ok:?}");
        }
        for bad in [Some("admin"), Some("read  write"), Some("read,write")] {
            assert!(check_scope(bad).is_err(), "{bad:?}");
        }
    }
}
