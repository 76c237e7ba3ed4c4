//! Sessions: the cookie carries 256 random bits (hex); the database keeps only their SHA-256
//! (`operator_sessions`). A new token at every sign-in (the one presented before, if any, is
//! ended), `HttpOnly`, `SameSite=Strict`, `Secure` when served over https; idle and absolute
//! limits and the operator's status are checked at every request by
//! [`signstash_store::operator_sessions::open`].

use axum::http::{header, HeaderMap};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use signstash_store::operator_sessions::{self, Session};
use signstash_store::StoreError;

use crate::App;

pub const SESSION_COOKIE: &str = "signstash_backoffice_session";

/// A fresh random token, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The session token the request presents, if any.
pub fn presented(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .filter_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .find(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned)
}

/// The live session the request presents.
pub async fn current(app: &App, headers: &HeaderMap) -> Result<Option<Session>, StoreError> {
    let Some(token) = presented(headers) else {
        return Ok(None);
    };
    operator_sessions::open(
        &app.db,
        &hash(&token),
        app.session_idle_seconds,
        app.session_absolute_seconds,
    )
    .await
}

/// The `Set-Cookie` value for `token`.
pub fn cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn removal(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_tls() {
        assert_eq!(
            cookie("ab", true),
            "signstash_backoffice_session=ab; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!cookie("ab", false).contains("Secure"));
        assert!(removal(true).contains("Max-Age=0"));
    }

    #[test]
    fn only_a_well_formed_token_is_read() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("a=b; {SESSION_COOKIE}={token}")
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(presented(&h), Some(token));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("{SESSION_COOKIE}=short")
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(presented(&h), None);
    }
}
