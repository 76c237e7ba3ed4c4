//! The token server's HTTP face: `POST /oauth/token` (and its historic alias), `GET
//! /oauth/jwks.json`.

mod client_auth;
pub(crate) mod error;
mod form;
mod grant_types;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use signstash_domain::{request_address, AddressScope};

use crate::directory::ClientDirectory;
use crate::throttle::ClientThrottle;
use crate::token::TokenService;
use error::TokenError;
use form::{parse_token_request, FormError};

/// The token endpoint.
pub const TOKEN_PATH: &str = "/oauth/token";
/// The token endpoint under the path of the service we replace.
pub const TOKEN_ALIAS_PATH: &str = "/oauth2/authorization-server/oauth/token";
/// The public keys.
pub const JWKS_PATH: &str = "/oauth/jwks.json";

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// What the token server needs: the tokens (key ring and issuer), the client directory and,
/// optionally, a throttle of failed client authentications. A service's own state gives it
/// through `FromRef`.
#[derive(Clone)]
pub struct OAuthState {
    /// Signs and verifies tokens.
    pub tokens: TokenService,
    /// Finds client services by alias.
    pub directory: Arc<dyn ClientDirectory>,
    /// Limits failed client authentications; `None` (the default): no limit.
    pub throttle: Option<Arc<dyn ClientThrottle>>,
    /// Count a client by the last `X-Forwarded-For` entry instead of the peer address (only
    /// behind a reverse proxy that writes that header; otherwise a client could pick any
    /// address to be counted by). Default false.
    pub trust_forwarded_for: bool,
}

impl OAuthState {
    /// A state over `tokens` and `directory`, without a throttle.
    pub fn new(tokens: TokenService, directory: Arc<dyn ClientDirectory>) -> Self {
        OAuthState {
            tokens,
            directory,
            throttle: None,
            trust_forwarded_for: false,
        }
    }

    /// The same state, limiting failed client authentications with `throttle`.
    pub fn with_throttle(mut self, throttle: Arc<dyn ClientThrottle>) -> Self {
        self.throttle = Some(throttle);
        self
    }
}

impl FromRef<OAuthState> for TokenService {
    fn from_ref(state: &OAuthState) -> Self {
        state.tokens.clone()
    }
}

/// The peer address of the connection, when the server was started with
/// `into_make_service_with_connect_info::<SocketAddr>()`.
struct Peer(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
                .await
                .ok()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// The token server's routes, for any state that gives an [`OAuthState`].
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    OAuthState: FromRef<S>,
{
    Router::new()
        .route(TOKEN_PATH, post(token).fallback(method_not_allowed))
        .route(TOKEN_ALIAS_PATH, post(token).fallback(method_not_allowed))
        .route(JWKS_PATH, get(jwks).fallback(method_not_allowed))
}

/// The answer to a path under `/oauth` (or `/oauth2`) that names no endpoint: 404 in the
/// RFC 6749 error body. The service routes its unknown paths there (this router has no
/// fallback of its own, so that it merges into the service's).
pub fn unknown_endpoint() -> Response {
    let mut response =
        TokenError::InvalidRequest("No such endpoint of the token server".into()).into_response();
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// Parses the form and dispatches on `grant_type`. Everything that can go wrong before a grant
/// runs is a 400 `invalid_request` in the RFC 6749 body, never axum's text rejections.
async fn token(
    State(state): State<OAuthState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let forwarded_for = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok());
    let address = AddressScope::of(
        request_address(peer, forwarded_for, state.trust_forwarded_for).as_deref(),
    );
    match token_response(&state, &headers, body, &address).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn token_response(
    state: &OAuthState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    address: &AddressScope,
) -> Result<Response, TokenError> {
    if !is_form(headers) {
        return Err(TokenError::InvalidRequest(
            "The body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let body = body.map_err(|e| {
        TokenError::InvalidRequest(
            format!("The request body could not be read: {}", e.body_text()).into(),
        )
    })?;
    let request = parse_token_request(&body).map_err(|e| {
        TokenError::InvalidRequest(match e {
            FormError::Encoding => "The form body is not valid percent-encoded UTF-8".into(),
            FormError::Repeated(name) => format!("Parameter {name} is repeated").into(),
        })
    })?;
    match request.grant_type.as_deref() {
        None => Err(TokenError::InvalidRequest(
            "Missing grant_type parameter".into(),
        )),
        Some("client_credentials") => {
            grant_types::client_credentials::grant(state, headers, &request, address).await
        }
        Some(_) => Err(TokenError::UnsupportedGrantType),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// A method an endpoint of the token server does not take: 405 in the RFC 6749 error body
/// (`invalid_request`). axum adds the `Allow` header of the route.
async fn method_not_allowed(method: Method) -> Response {
    let mut response =
        TokenError::InvalidRequest(format!("This endpoint does not take {method}").into())
            .into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

async fn jwks(State(state): State<OAuthState>) -> Response {
    let mut response = Json(state.tokens.keys().jwks()).into_response();
    // Verifiers may cache a little; a rotation publishes the new key before it signs.
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
