//! Every request runs in a span with its request id (echoed as `X-Request-Id`), the client
//! service and the operation id, so the log line of a `0.0.1` answer names all three while the
//! answer itself carries no detail. The logs are the JSON ones `SIGNSTASH_LOG_JSON=1` gives.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use sqlx::PgPool;

mod common;
use common::TestApp;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_internal_error_is_logged_with_request_client_service_and_operation(pool: PgPool) {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .init();
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;

    // A request without an id gets a fresh one.
    let r = app
        .http
        .get(format!("{}/api/v0/operation/status/7", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let fresh = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{fresh}");

    // A broken database: the answer is bare, the log line has everything.
    sqlx::query("ALTER TABLE operations RENAME TO operations_moved")
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app
        .http
        .get(format!("{}/api/v0/operation/status/42", app.url))
        .bearer_auth(&token)
        .header("x-request-id", "erp-call-0001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["x-request-id"], "erp-call-0001");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errorCode"], "0.0.1");
    assert!(body["causeMessage"].is_null());

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let error = lines
        .iter()
        .find(|l| l["level"] == "ERROR" && l["span"]["request_id"] == "erp-call-0001")
        .unwrap_or_else(|| panic!("no error line for the request in:\n{text}"));
    assert_eq!(error["span"]["client_service"], "demo", "{error}");
    assert_eq!(error["span"]["operation_id"], 42, "{error}");
    assert_eq!(
        error["span"]["route"], "/api/v0/operation/status/{id}",
        "{error}"
    );
    assert!(
        error["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("operations"),
        "the cause is in the log: {error}"
    );
    // The token never reaches the logs.
    assert!(!text.contains(&token));
}
