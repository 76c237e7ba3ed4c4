//! The system timestamp authority over HTTP: `/api/v0/timestamp` wants a client service's token
//! and counts every granted timestamp as its consumption; the anonymous `/tsa` exists only when
//! `SIGNSTASH_PUBLIC_TSA` is on. Replies are checked as the signing engine's client checks them.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use signstash_signing::{tsp, DigestAlgorithm};
use sqlx::PgPool;

mod common;
use common::{Options, TestApp};

const API: &str = "/api/v0/timestamp";

/// POSTs `body` to `path`, with `token` as bearer when given: the status and the answer.
async fn ask(app: &TestApp, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, bytes::Bytes) {
    let mut request = app
        .http
        .post(format!("{}{path}", app.url))
        .header("content-type", "application/timestamp-query")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap())
}

/// Asks for a timestamp over `digest` and checks the reply grants it (imprint and nonce).
async fn granted(app: &TestApp, path: &str, token: Option<&str>, digest: [u8; 32]) {
    let (req, nonce) = tsp::build_request(DigestAlgorithm::Sha256, &digest).unwrap();
    let (status, reply) = ask(app, path, token, req).await;
    assert_eq!(status, 200);
    tsp::check_response(&reply, DigestAlgorithm::Sha256, &digest, &nonce).unwrap();
}

/// The client service's count of granted timestamps this month (`None`: never counted).
async fn counted(app: &TestApp, alias: &str) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT value FROM usage_counters u JOIN client_services cs ON cs.id = u.client_service_id
         WHERE cs.alias = $1 AND u.metric = 'TIMESTAMPS_GRANTED'
           AND u.period_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date",
    )
    .bind(alias)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

fn error_code(body: &[u8]) -> String {
    let body: Value = serde_json::from_slice(body).unwrap();
    body["errorCode"].as_str().unwrap().to_string()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_api_authority_takes_a_token_and_counts_each_granted_timestamp(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (req, _) = tsp::build_request(DigestAlgorithm::Sha256, &[7u8; 32]).unwrap();

    // No token, or a forged one: the API's 401, and nothing is signed.
    let (status, body) = ask(&app, API, None, req.clone()).await;
    assert_eq!((status, error_code(&body)), (401, "0.0.10".into()));
    let (status, body) = ask(&app, API, Some("not.a.token"), req.clone()).await;
    assert_eq!((status, error_code(&body)), (401, "0.0.10".into()));

    // With a token: granted tokens, each counted for the token's client service only (the path
    // also with a trailing slash).
    let demo = app.token("demo").await;
    granted(&app, API, Some(&demo), [1u8; 32]).await;
    granted(&app, &format!("{API}/"), Some(&demo), [2u8; 32]).await;
    assert_eq!(counted(&app, "demo").await, Some(2));
    let demo2 = app.token("demo2").await;
    granted(&app, API, Some(&demo2), [3u8; 32]).await;
    assert_eq!(counted(&app, "demo2").await, Some(1));
    assert_eq!(counted(&app, "demo").await, Some(2));

    // What the authority refuses is the protocol's rejection reply, and is not counted.
    let (status, reply) = ask(&app, API, Some(&demo), b"not a request".to_vec()).await;
    assert_eq!(status, 200);
    let (_, nonce) = tsp::build_request(DigestAlgorithm::Sha256, &[7u8; 32]).unwrap();
    let refused = tsp::check_response(&reply, DigestAlgorithm::Sha256, &[7u8; 32], &nonce)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("refused"), "{refused}");
    assert_eq!(counted(&app, "demo").await, Some(2));

    // A request far larger than any TimeStampReq: 413 `0.0.4`, uncounted.
    let (status, body) = ask(&app, API, Some(&demo), vec![0x30; 64 * 1024]).await;
    assert_eq!((status, error_code(&body)), (413, "0.0.4".into()));

    // A suspended client service creates no new work: no timestamps either.
    app.change_tenancy("UPDATE client_services SET status = 'SUSPENDED' WHERE alias = 'demo'")
        .await;
    let (status, body) = ask(&app, API, Some(&demo), req.clone()).await;
    assert_eq!((status, error_code(&body)), (409, "1.1.3".into()));
    assert_eq!(counted(&app, "demo").await, Some(2));

    // Without SIGNSTASH_PUBLIC_TSA there is no anonymous authority at all.
    let (status, _) = ask(&app, "/tsa", None, req).await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_public_authority_at_tsa_exists_only_when_configured(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        Options {
            public_tsa: true,
            ..Options::default()
        },
    )
    .await;
    // Anyone gets a timestamp at /tsa, as `signstash-sign --tsa-url …/tsa` asks for it…
    granted(&app, "/tsa", None, [4u8; 32]).await;
    granted(&app, "/tsa", None, [5u8; 32]).await;
    // …counted for no one.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM usage_counters")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    // The API's authority still wants a token.
    let (req, _) = tsp::build_request(DigestAlgorithm::Sha256, &[6u8; 32]).unwrap();
    let (status, body) = ask(&app, API, None, req).await;
    assert_eq!((status, error_code(&body)), (401, "0.0.10".into()));
}
