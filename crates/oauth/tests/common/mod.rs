//! Shared fixtures: a token server over an in-memory directory with real argon2 hashes.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use signstash_oauth::{
    hash_secret, router, ClientRecord, InMemoryClientDirectory, KeyRing, OAuthState, SigningKey,
    TokenService,
};
use tower::ServiceExt as _;

pub const ISSUER: &str = "https://signstash.test";

pub struct TestServer {
    pub state: OAuthState,
    pub app: Router,
}

pub fn client(id: i64, alias: &str, secret: &str, active: bool) -> ClientRecord {
    ClientRecord {
        id,
        alias: alias.into(),
        secret_hash: hash_secret(secret).expect("hash"),
        active,
    }
}

pub fn server() -> TestServer {
    let directory = InMemoryClientDirectory::new();
    directory.insert(client(1, "demo", "demo-secret", true));
    directory.insert(client(2, "demo2", "demo2-secret", true));
    directory.insert(client(3, "sleeping", "sleeping-secret", false));
    // A secret with the characters RFC 6749 §2.3.1 encoding changes.
    directory.insert(client(4, "legacy", "p+q%2", true));
    let tokens = TokenService::new(
        KeyRing::new(SigningKey::generate_es256().expect("key")),
        ISSUER,
    );
    let state = OAuthState::new(tokens, Arc::new(directory));
    TestServer {
        app: router().with_state(state.clone()),
        state,
    }
}

pub fn basic(alias: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{alias}:{secret}")))
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// `POST path` with a form body and, optionally, an Authorization header.
pub fn form_post(path: &str, authorization: Option<&str>, body: &str) -> Request<Body> {
    let mut builder =
        Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

/// A token for `alias` from the endpoint, with Basic credentials.
pub async fn token(app: &Router, alias: &str, secret: &str) -> String {
    let reply = send(
        app,
        form_post(
            "/oauth/token",
            Some(&basic(alias, secret)),
            "grant_type=client_credentials",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}
