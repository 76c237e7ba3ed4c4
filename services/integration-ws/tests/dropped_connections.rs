//! A client that closes its connection mid-request — the integrator timing out, the case the
//! API's recovery flow is for — never leaves work half done: every operation that was recorded
//! ends `EXECUTED` with every document stored, and the document store holds no object without
//! its row. Requests are cut at many points (during the body, just after it, while documents
//! are signed) for base64, multipart and hash signing, over raw TCP.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use common::{document, Options, TestApp};
use serde_json::json;
use signstash_test_support::corpus;
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;

/// Where a request is cut: after this share of its body, or after all of it and a pause.
#[derive(Clone, Copy, Debug)]
enum Cut {
    InBody(f64),
    After(Duration),
}

fn cuts() -> Vec<Cut> {
    let mut cuts = vec![Cut::InBody(0.0), Cut::InBody(0.5), Cut::InBody(0.99)];
    cuts.extend(
        [0, 1, 3, 8, 20, 50, 120, 250, 500]
            .into_iter()
            .map(|ms| Cut::After(Duration::from_millis(ms))),
    );
    cuts
}

/// Sends `body` to `path` and closes the connection at `cut`, reading nothing.
async fn send_and_drop(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
    cut: Cut,
) {
    let addr = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    match cut {
        Cut::InBody(share) => {
            let n = (body.len() as f64 * share) as usize;
            stream.write_all(&body[..n]).await.unwrap();
            stream.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Cut::After(pause) => {
            stream.write_all(body).await.unwrap();
            stream.flush().await.unwrap();
            tokio::time::sleep(pause).await;
        }
    }
    drop(stream);
}

fn options() -> Options {
    Options {
        max_documents: 100,
        max_body_bytes: 64 * 1024 * 1024,
        ..Options::default()
    }
}

/// Waits for every request's work to end, then checks what the database and the store hold.
/// Returns how many operations were recorded.
async fn settled(app: &TestApp) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM operations WHERE status = 'PENDING_EXECUTION'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if pending == 0 && app.state.work.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{pending} operations still PENDING_EXECUTION after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let operations: Vec<(String, String)> =
        sqlx::query_as("SELECT external_reference, status FROM operations")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    for (reference, status) in &operations {
        assert_eq!(status, "EXECUTED", "operation {reference}");
    }
    let documents: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT d.external_reference, d.sign_status, d.storage_key, o.folder_content
         FROM documents d JOIN operations o ON o.id = d.operation_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut named = HashSet::new();
    for (reference, sign_status, key, folder) in &documents {
        assert_eq!(sign_status, "SIGNED", "document {reference}");
        if folder == "DOCUMENT" {
            let key = key
                .as_ref()
                .unwrap_or_else(|| panic!("document {reference} not stored"));
            named.insert(key.clone());
        }
    }
    let root = app.dir.path().join("documents");
    for file in walk(&root) {
        let key = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(named.contains(&key), "stored object {key} has no row");
    }
    operations.len()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// 30 CAdES documents of 300 KB: long enough to sign that a cut lands while it runs.
fn sign_request(reference: &str) -> serde_json::Value {
    let content = corpus::binary(300 * 1024);
    let documents: Vec<_> = (0..30)
        .map(|i| {
            document(
                &format!("{reference}-{i}"),
                &format!("d{i}.bin"),
                "application/octet-stream",
                &content,
                json!({"signatureType": "CAdES"}),
            )
        })
        .collect();
    json!({"externalReference": reference, "description": "cut", "documents": documents})
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn base64_requests_cut_anywhere_finish(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let token = app.token("demo").await;
    let cuts = cuts();
    for (i, cut) in cuts.iter().enumerate() {
        let body = sign_request(&format!("CUT-B64-{i}")).to_string();
        send_and_drop(
            &app,
            &token,
            "/api/v0/document/sign/base64/",
            "application/json",
            body.as_bytes(),
            *cut,
        )
        .await;
    }
    let recorded = settled(&app).await;
    // The cuts inside the body record nothing; most of those after it record the operation
    // before the client is gone.
    assert!(
        recorded >= 3,
        "only {recorded} operations were recorded: no cut came late enough"
    );
    assert!(
        recorded <= cuts.len() - 3,
        "a request cut inside its body was recorded"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn multipart_requests_cut_anywhere_finish(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let token = app.token("demo").await;
    let boundary = "signstash-cut-boundary";
    for (i, cut) in cuts().iter().enumerate() {
        let mut request = sign_request(&format!("CUT-MP-{i}"));
        let files = common::without_contents(&mut request);
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n\
             Content-Type: application/json\r\n\r\n{request}\r\n"
        )
        .into_bytes();
        for f in &files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"f\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(f);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        send_and_drop(
            &app,
            &token,
            "/api/v0/document/sign/",
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
            *cut,
        )
        .await;
    }
    let recorded = settled(&app).await;
    assert!(recorded >= 3, "only {recorded} operations were recorded");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn hash_requests_cut_anywhere_finish(pool: PgPool) {
    let app = TestApp::spawn_with(pool, options()).await;
    let token = app.token("demo").await;
    for (i, cut) in cuts().iter().enumerate() {
        let hashes: Vec<_> = (0..100)
            .map(|j| {
                json!({"externalReference": format!("CUT-H-{i}-{j}"), "name": "a.bin",
                       "signatureType": "CAdES", "digestAlgorithm": "SHA256",
                       "digest": B64.encode([j as u8; 32])})
            })
            .collect();
        let body = json!({"externalReference": format!("CUT-H-{i}"), "description": "cut", "hashes": hashes});
        send_and_drop(
            &app,
            &token,
            "/api/v0/hash/sign/",
            "application/json",
            body.to_string().as_bytes(),
            *cut,
        )
        .await;
    }
    let recorded = settled(&app).await;
    assert!(recorded >= 3, "only {recorded} operations were recorded");
}

/// The sweeper's hourly pass removes objects no row names once they are old enough, and
/// leaves every object a row names.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn objects_no_row_names_are_removed_when_old(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let request = json!({"externalReference": "KEPT", "description": "kept", "documents": [
        document("KEPT-1", "a.bin", "application/octet-stream", b"kept", json!({"signatureType": "CAdES"}))]});
    let (status, op) = app
        .post(&token, "/api/v0/document/sign/base64/", &request)
        .await;
    assert_eq!(status, 200, "{op}");
    let orphan = app
        .state
        .documents
        .put(bytes::Bytes::from_static(b"nobody records me"))
        .await
        .unwrap();
    let files_before = walk(&app.dir.path().join("documents")).len();
    assert_eq!(files_before, 2);

    let mut sweeper = integration_ws::sweeper::Sweeper::default();
    // Younger than the age: kept.
    assert_eq!(sweeper.remove_orphans(&app.state).await.unwrap(), 0);
    sweeper.orphan_age = Duration::ZERO;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(sweeper.remove_orphans(&app.state).await.unwrap(), 1);
    let left = walk(&app.dir.path().join("documents"));
    assert_eq!(left.len(), 1);
    assert!(!left[0].ends_with(&orphan.storage_key));
    assert_eq!(
        app.state
            .documents
            .get(&orphan)
            .await
            .unwrap_err()
            .to_string(),
        signstash_store::StoreError::NotFound.to_string()
    );
    let id = op["id"].as_i64().unwrap();
    let (status, op) = app
        .get(
            &token,
            &format!("/api/v0/operation/sign/detail/{id}/contentInResponse/true"),
        )
        .await;
    assert_eq!(status, 200, "{op}");
}
