//! Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic or the
//! `client_id`/`client_secret` form fields, checked against the argon2 hash of the directory.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use signstash_domain::AddressScope;
use tracing::Instrument as _;

use super::error::{TokenError, BAD_CLIENT_CREDENTIALS, CLIENT_NOT_ACTIVE};
use super::form::{decode_component, TokenRequest};
use super::OAuthState;
use crate::directory::ClientRecord;
use crate::secret::verify_client_secret;
use crate::throttle::Admission;

/// Aliases longer than this are not looked up (none exists; the database needs no such probe).
const MAX_ALIAS_LENGTH: usize = 256;
/// Secrets longer than this are not hashed (argon2 over megabytes is a cheap denial of service).
const MAX_SECRET_LENGTH: usize = 1024;

/// Credentials as presented.
#[derive(Debug)]
pub(crate) struct Credentials {
    alias: String,
    /// What the secret may be, in order. RFC 6749 §2.3.1 wants Basic credentials
    /// form-encoded before base64, but the service we replace (Spring's Basic filter) took them
    /// verbatim and existing integrators send them so; when decoding changes the secret
    /// (it holds `+` or `%`) both readings are tried.
    secrets: Vec<String>,
}

/// Reads the credentials of a token request. Basic and form credentials together are refused
/// (RFC 6749 §2.3: one method per request), except a form `client_id` equal to the Basic one.
pub(crate) fn credentials(
    headers: &HeaderMap,
    request: &TokenRequest,
) -> Result<Credentials, TokenError> {
    let basic = match headers.get(AUTHORIZATION) {
        Some(value) => basic_credentials(value.as_bytes())?,
        None => None,
    };
    match basic {
        Some(basic) => {
            if request.client_secret.is_some()
                || request
                    .client_id
                    .as_deref()
                    .is_some_and(|id| id != basic.alias)
            {
                return Err(TokenError::InvalidRequest(
                    "Use one client authentication method: HTTP Basic or the client_id/client_secret fields".into(),
                ));
            }
            Ok(basic)
        }
        None => match (&request.client_id, &request.client_secret) {
            (Some(alias), Some(secret)) => Ok(Credentials {
                alias: alias.clone(),
                secrets: vec![secret.clone()],
            }),
            _ => Err(TokenError::InvalidClient(BAD_CLIENT_CREDENTIALS)),
        },
    }
}

/// `Some` for a readable `Basic` header, `None` for another scheme (then the form may carry the
/// credentials), an `invalid_client` error for a `Basic` header that does not decode.
fn basic_credentials(value: &[u8]) -> Result<Option<Credentials>, TokenError> {
    let bad = || TokenError::InvalidClient(BAD_CLIENT_CREDENTIALS);
    let value = std::str::from_utf8(value).map_err(|_| bad())?.trim();
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let encoded = encoded.trim();
    let decoded = STANDARD
        .decode(encoded)
        .or_else(|_| STANDARD_NO_PAD.decode(encoded))
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (raw_alias, raw_secret) = decoded.split_once(':').ok_or_else(bad)?;
    let alias = decode_component(raw_alias.as_bytes()).unwrap_or_else(|| raw_alias.to_owned());
    let mut secrets = Vec::with_capacity(2);
    if let Some(secret) = decode_component(raw_secret.as_bytes()) {
        secrets.push(secret);
    }
    if secrets.first().map(String::as_str) != Some(raw_secret) {
        secrets.push(raw_secret.to_owned());
    }
    Ok(Some(Credentials { alias, secrets }))
}

/// The client service whose credentials these are, if it is active.
///
/// The throttle (when the service has one) is asked first: a throttled try is answered
/// `slow_down` before any lookup or argon2 work. An admitted try runs in a task of its own, so
/// it is checked and counted to the end even when the caller hangs up.
pub(crate) async fn authenticate(
    state: &OAuthState,
    credentials: Credentials,
    address: &AddressScope,
) -> Result<ClientRecord, TokenError> {
    let attempt = match &state.throttle {
        None => None,
        Some(throttle) => match throttle.admit(&credentials.alias, address).await {
            Ok(Admission::Admitted(attempt)) => Some(attempt),
            Ok(Admission::Throttled { retry_after }) => {
                tracing::info!(
                    alias = %credentials.alias.escape_debug(),
                    address = %address,
                    retry_after = retry_after.as_secs(),
                    "token refused: too many failed client authentications"
                );
                return Err(TokenError::SlowDown(retry_after));
            }
            Err(e) => {
                tracing::error!(error = %e, "client authentication throttle failed");
                return Err(TokenError::ServerError);
            }
        },
    };
    let state = state.clone();
    let checked = tokio::spawn(
        async move {
            let outcome = check_secret(&state, credentials).await;
            if let Some(attempt) = attempt {
                let failed = matches!(
                    outcome,
                    Err(TokenError::InvalidClient(BAD_CLIENT_CREDENTIALS))
                );
                if let Err(e) = attempt.finish(failed).await {
                    // The answer stands; the try keeps its place until its windows end.
                    tracing::error!(error = %e, "client authentication throttle: finishing a try failed");
                }
            }
            outcome
        }
        .in_current_span(),
    );
    checked.await.map_err(|e| {
        tracing::error!(error = %e, "client authentication task failed");
        TokenError::ServerError
    })?
}

/// Every path runs argon2 as many times as there are readings of the secret: against the
/// stored hash, or against the dummy hash for an alias that does not exist, so that timing does
/// not tell aliases apart. Only a caller who proved the secret learns that the client service
/// is inactive; everyone else gets "Bad client credentials".
async fn check_secret(
    state: &OAuthState,
    credentials: Credentials,
) -> Result<ClientRecord, TokenError> {
    let Credentials { alias, mut secrets } = credentials;
    secrets.retain(|s| !s.is_empty() && s.len() <= MAX_SECRET_LENGTH);
    let record = if alias.is_empty() || alias.len() > MAX_ALIAS_LENGTH {
        None
    } else {
        state.directory.find_by_alias(&alias).await.map_err(|e| {
            tracing::error!(error = %e, "client directory lookup failed");
            TokenError::ServerError
        })?
    };
    let stored = record.as_ref().map(|r| r.secret_hash.clone());
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || {
        secrets
            .iter()
            .any(|secret| verify_client_secret(secret, stored.as_deref()))
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "secret verification task failed");
        TokenError::ServerError
    })?;
    match record {
        Some(record) if verified => {
            if record.active {
                Ok(record)
            } else {
                tracing::info!(client_service = %record.alias, "token refused: client service not active");
                Err(TokenError::InvalidClient(CLIENT_NOT_ACTIVE))
            }
        }
        _ => {
            tracing::info!(alias = %alias.escape_debug(), "token refused: bad client credentials");
            Err(TokenError::InvalidClient(BAD_CLIENT_CREDENTIALS))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> Result<Option<Credentials>, TokenError> {
        basic_credentials(format!("Basic {}", STANDARD.encode(raw)).as_bytes())
    }

    #[test]
    fn basic_credentials_are_form_decoded_with_a_verbatim_fallback() {
        let c = basic("demo:demo-secret").expect("ok").expect("basic");
        assert_eq!(c.alias, "demo");
        assert_eq!(c.secrets, ["demo-secret"]);
        let c = basic("d%C3%A9mo:a%2Bb").expect("ok").expect("basic");
        assert_eq!(c.alias, "démo");
        assert_eq!(c.secrets, ["a+b", "a%2Bb"]);
        let c = basic("demo:a+b").expect("ok").expect("basic");
        assert_eq!(c.secrets, ["a b", "a+b"]);
        let c = basic("demo:100%").expect("ok").expect("basic");
        assert_eq!(c.secrets, ["100%"]);
        let c = basic("demo:with:colon").expect("ok").expect("basic");
        assert_eq!(c.secrets, ["with:colon"]);
    }

    #[test]
    fn unreadable_basic_is_invalid_client_and_other_schemes_are_ignored() {
        assert!(matches!(
            basic("no-colon"),
            Err(TokenError::InvalidClient(_))
        ));
        assert!(matches!(
            basic_credentials(b"Basic !!!"),
            Err(TokenError::InvalidClient(_))
        ));
        assert!(matches!(basic_credentials(b"Bearer abc"), Ok(None)));
        assert!(matches!(basic_credentials(b"Basic"), Ok(None)));
        let c = basic_credentials(b"basic ZGVtbzpkZW1vLXNlY3JldA")
            .expect("ok")
            .expect("basic");
        assert_eq!(c.secrets, ["demo-secret"]);
    }
}
