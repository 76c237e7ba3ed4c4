//! The bearer extractor inside a business-like router whose state gives the TokenService
//! through FromRef, and a service mapping the rejection to its own body.

mod common;

use axum::body::Body;
use axum::extract::FromRef;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{send, server, token};
use signstash_oauth::{BearerClient, KeyRing, SigningKey, TokenRejection, TokenService};
use time::{Duration, OffsetDateTime};

#[derive(Clone)]
struct AppState {
    tokens: TokenService,
}

impl FromRef<AppState> for TokenService {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}

/// How integration-ws maps a rejection: its own body, 401 `0.0.10`, the reason kept for logs.
struct ApiError(TokenRejection);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({
                "errorCode": "0.0.10",
                "errorCodeDescription": "Token expired or invalid",
                "causeMessage": self.0.description(),
            })),
        )
            .into_response()
    }
}

async fn whoami(client: BearerClient) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "csid": client.client_service_id,
        "alias": client.alias,
        "jti": client.jti,
    }))
}

async fn mapped(client: Result<BearerClient, TokenRejection>) -> Result<String, ApiError> {
    client.map(|c| c.alias).map_err(ApiError)
}

fn app(tokens: TokenService) -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/mapped", get(mapped))
        .with_state(AppState { tokens })
}

fn get_with(path: &str, authorization: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(path);
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    builder.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn a_token_of_the_endpoint_opens_business_routes() {
    let s = server();
    let access_token = token(&s.app, "demo2", "demo2-secret").await;
    let app = app(s.state.tokens.clone());
    let reply = send(
        &app,
        get_with("/whoami", Some(&format!("Bearer {access_token}"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["csid"], 2);
    assert_eq!(reply.body["alias"], "demo2");
    let claims = s.state.tokens.verify(&access_token).expect("verify");
    assert_eq!(reply.body["jti"], claims.jti.to_string());
    let reply = send(
        &app,
        get_with("/mapped", Some(&format!("bearer {access_token}"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "demo2");
}

#[tokio::test]
async fn each_bad_token_is_refused_with_its_reason() {
    let s = server();
    let tokens = s.state.tokens.clone();
    let good = tokens.issue(1, "demo").expect("issue").access_token;
    let expired = tokens
        .issue_at(1, "demo", OffsetDateTime::now_utc() - Duration::days(2))
        .expect("issue")
        .access_token;
    let forged = {
        let (head, sig) = good.rsplit_once('.').expect("jws");
        let mut sig = URL_SAFE_NO_PAD.decode(sig).expect("b64");
        sig[0] ^= 0x80;
        format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let other_ring = TokenService::new(
        KeyRing::new(SigningKey::generate_es256().expect("key")),
        common::ISSUER,
    )
    .issue(1, "demo")
    .expect("issue")
    .access_token;
    let alg_none = {
        let kid = tokens.keys().active().kid();
        let head = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#));
        let body = good.split('.').nth(1).expect("claims");
        format!("{head}.{body}.")
    };
    let other_issuer = TokenService::new(tokens.keys().clone(), "https://elsewhere")
        .issue(1, "demo")
        .expect("issue")
        .access_token;

    let cases: Vec<(&str, Option<String>, TokenRejection)> = vec![
        ("missing", None, TokenRejection::Missing),
        (
            "basic scheme",
            Some("Basic ZGVtbzpkZW1vLXNlY3JldA==".into()),
            TokenRejection::MalformedHeader,
        ),
        (
            "empty bearer",
            Some("Bearer ".into()),
            TokenRejection::MalformedHeader,
        ),
        (
            "garbage",
            Some("Bearer not-a-jwt".into()),
            TokenRejection::Malformed,
        ),
        (
            "expired",
            Some(format!("Bearer {expired}")),
            TokenRejection::Expired,
        ),
        (
            "forged",
            Some(format!("Bearer {forged}")),
            TokenRejection::BadSignature,
        ),
        (
            "other key ring",
            Some(format!("Bearer {other_ring}")),
            TokenRejection::UnknownKey,
        ),
        (
            "alg none",
            Some(format!("Bearer {alg_none}")),
            TokenRejection::UnsupportedAlgorithm,
        ),
        (
            "other issuer",
            Some(format!("Bearer {other_issuer}")),
            TokenRejection::WrongIssuer,
        ),
    ];
    let app = app(tokens);
    for (case, authorization, reason) in cases {
        let reply = send(&app, get_with("/whoami", authorization.as_deref())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(reply.body["error"], "invalid_token", "{case}");
        assert_eq!(
            reply.body["error_description"],
            reason.description(),
            "{case}"
        );
        assert!(
            reply.headers["www-authenticate"]
                .to_str()
                .expect("ascii")
                .starts_with("Bearer realm=\"signstash\""),
            "{case}"
        );
        let mapped = send(&app, get_with("/mapped", authorization.as_deref())).await;
        assert_eq!(mapped.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(mapped.body["errorCode"], "0.0.10", "{case}");
        assert_eq!(mapped.body["causeMessage"], reason.description(), "{case}");
        if case == "expired" {
            insta::assert_json_snapshot!("bearer_expired_default_body", reply.body);
            insta::assert_json_snapshot!("bearer_expired_mapped_body", mapped.body);
        }
    }
}
