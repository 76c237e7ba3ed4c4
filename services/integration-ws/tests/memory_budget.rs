//! The memory request bodies may hold across the service (`SIGNSTASH_BODY_MEMORY_BYTES`): a
//! request whose body does not fit while others hold theirs is refused at once with 429 `0.0.11`
//! and `Retry-After`, before its body is read; it fits again when they are done.

#![allow(clippy::unwrap_used)]

mod common;

use common::{document, Options, TestApp};
use serde_json::json;
use signstash_test_support::corpus;
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_body_over_the_budget_waits_for_its_turn(pool: PgPool) {
    // Each body of just over 3 MiB reserves twice that; the budget holds 16 MiB with one 8 MiB body at most.
    let app = TestApp::spawn_with(
        pool,
        Options {
            max_body_bytes: 8 * MIB,
            body_memory_bytes: 16 * MIB as u64,
            ..Options::default()
        },
    )
    .await;
    let token = app.token("demo").await;
    let request = |reference: &str| {
        json!({"externalReference": reference, "description": "budget", "documents": [
            document(&format!("{reference}-1"), "a.bin", "application/octet-stream",
                     &corpus::binary(2 * MIB + MIB / 4), json!({"signatureType": "CAdES"}))]})
        .to_string()
    };
    // Two clients announce their bodies and send them slowly: they hold 12 MiB.
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for reference in ["SLOW-1", "SLOW-2"] {
        let body = request(reference);
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /api/v0/document/sign/base64/ HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body.as_bytes()[..1000]).await.unwrap();
        stream.flush().await.unwrap();
        slow.push((stream, body));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let held = app.state.body_budget.reserved_bytes();
    assert!((12 * MIB as u64..13 * MIB as u64).contains(&held), "{held}");

    let send = |reference: &'static str| {
        let (http, url, token, body) = (
            app.http.clone(),
            app.url.clone(),
            token.clone(),
            request(reference),
        );
        async move {
            http.post(format!("{url}/api/v0/document/sign/base64/"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let refused = send("FAST-1").await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["errorCode"], "0.0.11", "{body}");
    // A small request still fits in what is left.
    let (status, _) = app
        .post(&token, "/api/v0/document/sign/base64/", &json!({"externalReference": "SMALL", "description": "small", "documents": [
            document("SMALL-1", "a.bin", "application/octet-stream", b"small", json!({"signatureType": "CAdES"}))]}))
        .await;
    assert_eq!(status, 200);

    // The slow clients finish: their work ends and their reservations are returned.
    for (mut stream, body) in slow {
        stream.write_all(&body.as_bytes()[1000..]).await.unwrap();
        stream.flush().await.unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        use tokio::io::AsyncReadExt;
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed without an answer");
            answer.extend_from_slice(&buf[..n]);
        }
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    common::wait_until("reservations returned", || {
        app.state.body_budget.reserved_bytes() == 0
    })
    .await;
    assert_eq!(send("FAST-2").await.status(), 200);
}
