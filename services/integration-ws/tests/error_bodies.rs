//! Every answer under `/api/v0` and `/oauth` is the API's JSON error body or RFC 6749's
//! (issue 12, part 6): path parameters that cannot be read, paths that name no endpoint,
//! methods an endpoint does not take; and under `/api/v0` the token is checked first, whatever
//! is wrong with the path.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

mod common;
use common::TestApp;

/// What a snapshot keeps of an answer.
async fn answer(response: reqwest::Response) -> Value {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (content_type, allow) = (header("content-type"), header("allow"));
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    json!({"status": status, "contentType": content_type, "allow": allow, "body": body})
}

impl TestApp {
    /// `method path` with this bearer token (none when `None`); JSON `[]` as body for POST.
    async fn ask(&self, token: Option<&str>, method: Method, path: &str) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if method == Method::POST {
            request = request.json(&json!([]));
        }
        answer(request.send().await.unwrap()).await
    }
}

/// Asserts the token answer of the API: 401 `0.0.10` in the JSON body.
fn assert_token_refused(a: &Value, what: &str) {
    assert_eq!(a["status"], 401, "{what}: {a}");
    assert_eq!(a["contentType"], "application/json", "{what}: {a}");
    assert_eq!(a["body"]["errorCode"], "0.0.10", "{what}: {a}");
}

/// Each path parameter of the API, holding `%ff` (not UTF-8 once decoded), and the name the
/// answer must give it.
const BAD_PATHS: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/api/v0/operation/id/withDocumentExternalReference/INV-%ff",
        "externalReference",
    ),
    ("GET", "/api/v0/operation/status/%ff", "operationId"),
    (
        "GET",
        "/api/v0/operation/sign/detail/%ff/contentInResponse/true",
        "operationId",
    ),
    (
        "GET",
        "/api/v0/operation/sign/detail/1/contentInResponse/%ff/",
        "includeContent",
    ),
    (
        "GET",
        "/api/v0/operation/sign/detail/%ff/documents",
        "operationId",
    ),
    (
        "POST",
        "/api/v0/delivery/mail/resend/%ff/true",
        "operationId",
    ),
    (
        "POST",
        "/api/v0/delivery/mail/resend/1/%ff",
        "attachDocuments",
    ),
];

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_path_parameter_that_is_not_utf8_is_0_0_6_after_the_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    for (method, path, name) in BAD_PATHS {
        let method: Method = method.parse().unwrap();
        let what = format!("{method} {path}");
        assert_token_refused(&app.ask(None, method.clone(), path).await, &what);
        assert_token_refused(&app.ask(Some("x.y.z"), method.clone(), path).await, &what);
        let a = app.ask(Some(&token), method, path).await;
        assert_eq!(a["status"], 400, "{what}: {a}");
        assert_eq!(a["contentType"], "application/json", "{what}: {a}");
        assert_eq!(a["body"]["errorCode"], "0.0.6", "{what}: {a}");
        assert_eq!(
            a["body"]["causeMessage"],
            format!("{name} is not valid UTF-8 once percent-decoded"),
            "{what}"
        );
    }
    let a = app
        .ask(Some(&token), Method::GET, "/api/v0/operation/status/%ff")
        .await;
    insta::assert_json_snapshot!("path_parameter_not_utf8", a);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_path_that_names_no_endpoint_is_404_in_the_api_body_after_the_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    for (method, path) in [
        (Method::GET, "/api/v0/nothing"),
        (Method::GET, "/api/v0"),
        (Method::GET, "/api/v0/"),
        (Method::GET, "/api/v0/operation/status"),
        (Method::GET, "/api/v0/operation/status/1/more"),
        (Method::POST, "/api/v0/document/sign/base64/extra"),
        (Method::DELETE, "/api/v0/%ff"),
    ] {
        let what = format!("{method} {path}");
        assert_token_refused(&app.ask(None, method.clone(), path).await, &what);
        let a = app.ask(Some(&token), method, path).await;
        assert_eq!(a["status"], 404, "{what}: {a}");
        assert_eq!(a["contentType"], "application/json", "{what}: {a}");
        assert_eq!(a["body"]["errorCode"], "0.0.6", "{what}: {a}");
    }
    let a = app.ask(Some(&token), Method::GET, "/api/v0/nothing").await;
    insta::assert_json_snapshot!("no_such_endpoint", a);

    // A path of ten thousand characters is named, cut short.
    let long = format!("/api/v0/{}", "a".repeat(10_000));
    let a = app.ask(Some(&token), Method::GET, &long).await;
    assert_eq!(a["status"], 404, "{a}");
    assert!(
        a["body"]["causeMessage"].as_str().unwrap().len() < 300,
        "{a}"
    );

    // Outside the API and the token server, bare statuses as before.
    let a = app.ask(None, Method::GET, "/nothing").await;
    assert_eq!(a["status"], 404);
    assert_eq!(a["body"], Value::Null);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_method_an_endpoint_does_not_take_is_405_in_the_api_body_after_the_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    for (method, path, allow) in [
        (Method::GET, "/api/v0/document/sign/base64/", "POST"),
        (Method::PUT, "/api/v0/document/sign/", "POST"),
        (Method::DELETE, "/api/v0/operation/status/1", "GET,HEAD"),
        (Method::POST, "/api/v0/certificate", "GET,HEAD"),
        (Method::GET, "/api/v0/delivery/mail/resend/1/true", "POST"),
        (Method::PATCH, "/api/v0/hash/sign/", "POST"),
    ] {
        let what = format!("{method} {path}");
        assert_token_refused(&app.ask(None, method.clone(), path).await, &what);
        let a = app.ask(Some(&token), method, path).await;
        assert_eq!(a["status"], 405, "{what}: {a}");
        assert_eq!(a["allow"], allow, "{what}: {a}");
        assert_eq!(a["contentType"], "application/json", "{what}: {a}");
        assert_eq!(a["body"]["errorCode"], "0.0.2", "{what}: {a}");
    }
    let a = app
        .ask(Some(&token), Method::DELETE, "/api/v0/operation/status/1")
        .await;
    insta::assert_json_snapshot!("method_not_allowed", a);

    // Outside the API, bare statuses as before.
    let a = app.ask(None, Method::POST, "/health/live").await;
    assert_eq!(a["status"], 405);
    assert_eq!(a["body"], Value::Null);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_token_server_answers_in_the_rfc_6749_body(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (method, path, status) in [
        (Method::GET, "/oauth/nothing", 404),
        (Method::POST, "/oauth", 404),
        (
            Method::GET,
            "/oauth2/authorization-server/oauth/nothing",
            404,
        ),
        (Method::GET, "/oauth/%ff", 404),
        (Method::GET, "/oauth/token", 405),
        (Method::PUT, "/oauth2/authorization-server/oauth/token", 405),
        (Method::POST, "/oauth/jwks.json", 405),
    ] {
        let what = format!("{method} {path}");
        let a = app.ask(None, method, path).await;
        assert_eq!(a["status"], status, "{what}: {a}");
        assert_eq!(a["contentType"], "application/json", "{what}: {a}");
        assert_eq!(a["body"]["error"], "invalid_request", "{what}: {a}");
        assert!(a["body"]["error_description"].is_string(), "{what}: {a}");
    }
    let a = app.ask(None, Method::GET, "/oauth/nothing").await;
    insta::assert_json_snapshot!("oauth_no_such_endpoint", a);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_malformed_query_string_changes_no_answer(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let path = "/api/v0/operation/id/withDocumentExternalReference/NOPE";
    let plain = app.ask(Some(&token), Method::GET, path).await;
    assert_eq!(plain["status"], 404, "{plain}");
    for query in ["?%ff", "?a=%zz&&=&b", "?includeContent=maybe"] {
        let a = app
            .ask(Some(&token), Method::GET, &format!("{path}{query}"))
            .await;
        assert_eq!(a, plain, "{query}");
        assert_token_refused(
            &app.ask(None, Method::GET, &format!("{path}{query}")).await,
            query,
        );
    }
}
