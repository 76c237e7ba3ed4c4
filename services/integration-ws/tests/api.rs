//! Black-box: the integration API over HTTP, as an integrator uses it, against a real
//! PostgreSQL (a fresh database per test), the encrypted document store, the embedded timestamp
//! authority, and the independent validators for what comes back.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use signstash_test_support::{corpus, validators};
use sqlx::PgPool;

mod common;
use common::{document, TestApp};

fn three_formats(reference: &str) -> Value {
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap();
    let ubl = corpus::ubl_invoice(3);
    json!({
        "externalReference": reference,
        "description": "Invoices of November",
        "returnSignedContent": true,
        "documents": [
            document(&format!("{reference}-pdf"), "invoice.pdf", "application/pdf", &pdf, json!({"signatureType": "PAdES", "reason": "Fatura", "location": "Lisboa"})),
            document(&format!("{reference}-xml"), "invoice.xml", "text/xml", ubl.as_bytes(), json!({
                "signatureType": "XAdES", "applyTimestamp": true,
                "advancedSignatureInfo": {"signatureLocation": "ExtensionContent", "signatureTransform": "XPATH2_FILTER", "canonicalTransform": "EXCLUSIVE"}
            })),
            document(&format!("{reference}-bin"), "data.bin", "application/octet-stream", &corpus::binary(5000), json!({"signatureType": "CAdES"})),
        ]
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn sign_three_formats_in_one_request_and_the_validators_accept_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let (status, op) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &three_formats("ERP-1"),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["status"], "EXECUTED", "{op}");
    assert_eq!(op["issuerClientServiceAlias"], "demo");
    assert_eq!(op["folder"]["externalReference"], "ERP-1");
    assert_eq!(op["folder"]["folderContent"], "DOCUMENT");
    assert!(op["id"].is_i64());
    let docs = op["documentList"].as_array().unwrap();
    assert_eq!(docs.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    let ca = app.pki.ca();
    for d in docs {
        assert_eq!(d["signStatus"], "SIGNED", "{d}");
        assert_eq!(d["cipherStatus"], "CIPHERED");
        assert_eq!(d["storageStatus"], "CONTENT_STORED");
        let signed = B64.decode(d["signedContent"].as_str().unwrap()).unwrap();
        let name = d["name"].as_str().unwrap();
        let path = write(dir.path(), name, &signed);
        match name {
            "invoice.pdf" => {
                for v in [
                    validators::pyhanko(&path, &ca),
                    validators::pdfsig(&path, &ca),
                ]
                .into_iter()
                .flatten()
                {
                    v.unwrap();
                }
            }
            "invoice.xml" => {
                if let Some(v) = validators::xmlsec1(&path, &ca) {
                    v.unwrap();
                }
                if let Some(v) =
                    validators::embedded_timestamp("xades-token", &path, &ca, &app.pki.tsa_cert())
                {
                    v.unwrap();
                }
            }
            _ => {
                let content = write(dir.path(), "content.bin", &corpus::binary(5000));
                validators::openssl_cms(&path, Some(&content), &ca).unwrap();
            }
        }
    }
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn recovery_idempotency_and_reads(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let mut request = three_formats("ERP-2");
    request["returnSignedContent"] = json!(false);
    let (status, op) = app
        .post(&token, "/api/v0/document/sign/base64", &request)
        .await;
    assert_eq!(status, 200, "{op}");
    assert!(op["documentList"][0].get("signedContent").is_none());
    let id = op["id"].as_i64().unwrap();
    // The same request again: 409 0.0.7, never signed twice.
    let (status, body) = app
        .post(&token, "/api/v0/document/sign/base64/", &request)
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (409, Some("0.0.7")),
        "{body}"
    );
    // A new operation reusing a document reference: 409 too.
    let mut reuse = three_formats("ERP-3");
    reuse["documents"][0]["documentRequest"]["externalReference"] = json!("ERP-2-pdf");
    let (status, body) = app
        .post(&token, "/api/v0/document/sign/base64/", &reuse)
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (409, Some("0.0.7")),
        "{body}"
    );
    // Recovery by document reference.
    let (status, found) = app
        .get(
            &token,
            "/api/v0/operation/id/withDocumentExternalReference/ERP-2-xml",
        )
        .await;
    assert_eq!((status, found.as_i64()), (200, Some(id)));
    let (status, _) = app
        .get(
            &token,
            "/api/v0/operation/id/withDocumentExternalReference/never-sent",
        )
        .await;
    assert_eq!(status, 404);
    // Status, detail with and without content.
    let (status, s) = app
        .get(&token, &format!("/api/v0/operation/status/{id}"))
        .await;
    assert_eq!((status, s["status"].as_str()), (200, Some("EXECUTED")));
    let (_, d) = app
        .get(
            &token,
            &format!("/api/v0/operation/sign/detail/{id}/contentInResponse/true"),
        )
        .await;
    assert!(d["documentList"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["signedContent"].is_string()));
    let (_, d) = app
        .get(
            &token,
            &format!("/api/v0/operation/sign/detail/{id}/contentInResponse/false/"),
        )
        .await;
    assert!(d["documentList"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d.get("signedContent").is_none()));
    let (status, e) = app.get(&token, "/api/v0/operation/status/abc").await;
    assert_eq!((status, e["errorCode"].as_str()), (400, Some("0.0.6")));
    // The zip: one entry per document, named <externalReference>.<name>.
    let r = app
        .http
        .get(format!(
            "{}/api/v0/operation/sign/detail/{id}/documents",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut names: Vec<&str> = zip.file_names().collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "ERP-2-bin.data.bin",
            "ERP-2-pdf.invoice.pdf",
            "ERP-2-xml.invoice.xml"
        ]
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_token_never_reaches_another_client_services_data(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let a = app.token("demo").await;
    let b = app.token("demo2").await;
    let (status, op) = app
        .post(&a, "/api/v0/document/sign/base64/", &three_formats("ERP-A"))
        .await;
    assert_eq!(status, 200, "{op}");
    let id = op["id"].as_i64().unwrap();
    for path in [
        format!("/api/v0/operation/status/{id}"),
        format!("/api/v0/operation/sign/detail/{id}/contentInResponse/true"),
        format!("/api/v0/operation/sign/detail/{id}/documents"),
        "/api/v0/operation/id/withDocumentExternalReference/ERP-A-pdf".to_string(),
    ] {
        let r = app
            .http
            .get(format!("{}{path}", app.url))
            .bearer_auth(&b)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let r = app
            .http
            .get(format!("{}{path}", app.url))
            .bearer_auth(&a)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    // Nor resend its mails: 404, and nothing queued.
    let resend = format!("/api/v0/delivery/mail/resend/{id}/true");
    let (status, body) = app.post(&b, &resend, &json!(["b@example.com"])).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (404, &json!("0.0.6")),
        "{body}"
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // B may use the same external references: they are unique per client service only.
    let (status, body) = app
        .post(&b, "/api/v0/document/sign/base64/", &three_formats("ERP-A"))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn errors_of_the_api_page(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    // No token, a forged token.
    let r = app
        .http
        .post(format!("{}/api/v0/document/sign/base64/", app.url))
        .json(&three_formats("X"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["errorCode"], "0.0.10");
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (status, body) = app
        .post(
            &forged,
            "/api/v0/document/sign/base64/",
            &three_formats("X"),
        )
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (401, Some("0.0.10")),
        "{body}"
    );
    // Wrong secret at the token endpoint.
    let r = app
        .http
        .post(format!("{}/oauth/token", app.url))
        .basic_auth("demo", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Not a PDF for PAdES: 422 2.4.1, and nothing was stored.
    let mut bad = three_formats("ERP-BAD");
    bad["documents"][0]["documentRequest"]["base64Content"] =
        json!(B64.encode(b"GIF89a not a pdf"));
    let (status, body) = app
        .post(&token, "/api/v0/document/sign/base64/", &bad)
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (422, Some("2.4.1")),
        "{body}"
    );
    let (status, _) = app
        .get(
            &token,
            "/api/v0/operation/id/withDocumentExternalReference/ERP-BAD-xml",
        )
        .await;
    assert_eq!(status, 404, "a refused request left an operation behind");
    // An XML document with an entity declaration: 422 2.4.1.
    let mut dtd = three_formats("ERP-DTD");
    dtd["documents"][1]["documentRequest"]["base64Content"] =
        json!(B64.encode(b"<!DOCTYPE x [<!ENTITY e \"e\">]><x>&e;</x>"));
    let (status, body) = app
        .post(&token, "/api/v0/document/sign/base64/", &dtd)
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (422, Some("2.4.1")),
        "{body}"
    );
    // signatureLocation not found: 400 2.3.1.
    let mut missing = three_formats("ERP-LOC");
    missing["documents"][1]["signatureInfo"]["advancedSignatureInfo"]["signatureLocation"] =
        json!("NoSuchElement");
    let (status, body) = app
        .post(&token, "/api/v0/document/sign/base64/", &missing)
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("2.3.1")),
        "{body}"
    );
    // Bad JSON: 400 0.0.2, never 500.
    let r = app
        .http
        .post(format!("{}/api/v0/document/sign/base64/", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"documents\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["errorCode"], "0.0.2");
    // SQL-ish references are just text.
    let (status, body) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &three_formats("ERP'; DROP TABLE operations;--"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn multipart_variant_signs_the_files_in_order(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let mut request = three_formats("ERP-MP");
    let mut form = reqwest::multipart::Form::new();
    let contents = common::without_contents(&mut request);
    form = form.part(
        "signRequest",
        reqwest::multipart::Part::text(request.to_string())
            .mime_str("application/json")
            .unwrap(),
    );
    for c in contents {
        form = form.part("files", reqwest::multipart::Part::bytes(c).file_name("f"));
    }
    let r = app
        .http
        .post(format!("{}/api/v0/document/sign/", app.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let op: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["status"], "EXECUTED", "{op}");
}

fn small_request(reference: &str) -> Value {
    json!({
        "externalReference": reference,
        "description": "concurrency",
        "documents": [document(&format!("{reference}-doc"), "invoice.xml", "text/xml", corpus::ubl_invoice(1).as_bytes(),
            json!({"signatureType": "XAdES", "advancedSignatureInfo": {"signatureLocation": "ExtensionContent"}}))]
    })
}

/// Sends like an integrator: on 429 waits `Retry-After` and tries again (bounded).
async fn send_retrying(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    for _ in 0..200 {
        let r = http
            .post(format!("{url}/api/v0/document/sign/base64/"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if status == 429 {
            assert!(
                r.headers().get("retry-after").is_some(),
                "429 without Retry-After"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        }
        return (status, r.json().await.unwrap_or(Value::Null));
    }
    panic!("still 429 after 200 tries");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn twenty_identical_requests_sign_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = app.token("demo").await;
    let body = small_request("SAME-1");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (url, http, token, body) = (
                app.url.clone(),
                app.http.clone(),
                token.clone(),
                body.clone(),
            );
            tokio::spawn(async move { send_retrying(&http, &url, &token, &body).await })
        })
        .collect();
    let mut ok = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => ok += 1,
            (409, b) => {
                assert_eq!(b["errorCode"], "0.0.7");
                conflicts += 1
            }
            (s, b) => panic!("unexpected {s}: {b}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 19));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM operations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_hundred_distinct_requests_make_a_hundred_operations(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = app.token("demo").await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (url, http, token) = (app.url.clone(), app.http.clone(), token.clone());
            tokio::spawn(async move {
                send_retrying(
                    &http,
                    &url,
                    &token,
                    &small_request(&format!("DISTINCT-{i}")),
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["documentList"][0]["signStatus"], "SIGNED");
    }
    let signed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM documents WHERE sign_status = 'SIGNED'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(signed, 100);
}

/// The proxy's flow: fetch the certificate chain, prepare locally, send only the digest, finish
/// locally with the returned signature value — and openssl accepts the result.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn hash_signing_for_the_proxy(pool: PgPool) {
    use signstash_signing::{
        prepare, Certificate, CertificateChain, Format, KeyKind, SignatureParams,
    };
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let (status, info) = app.get(&token, "/api/v0/certificate").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["keyAlgorithm"], "RSA-2048");
    let pem: String = info["certificateChain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let mut certs = Certificate::all_from_pem(pem.as_bytes()).unwrap();
    let chain = CertificateChain::new(certs.remove(0), certs);
    let content = corpus::binary(3000);
    let prepared = prepare(
        bytes::Bytes::from(content.clone()),
        &SignatureParams::new(Format::Cades),
        &chain,
        KeyKind::Rsa { bits: 2048 },
    )
    .unwrap();
    let body = json!({
        "externalReference": "PROXY-1", "description": "on premises",
        "hashes": [{"externalReference": "PROXY-1-a", "name": "a.bin", "signatureType": "CAdES", "digestAlgorithm": "SHA256", "digest": B64.encode(prepared.digest())}]
    });
    let (status, op) = app.post(&token, "/api/v0/hash/sign/", &body).await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["folder"]["folderContent"], "HASH");
    let doc = &op["documentList"][0];
    assert_eq!(
        (doc["signStatus"].as_str(), doc["storageStatus"].as_str()),
        (Some("SIGNED"), Some("CONTENT_NOT_STORED"))
    );
    let value = B64.decode(doc["signatureValue"].as_str().unwrap()).unwrap();
    let signed = prepared.finish(&value, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p7s = write(dir.path(), "a.p7s", &signed.to_vec());
    let data = write(dir.path(), "a.bin", &content);
    validators::openssl_cms(&p7s, Some(&data), &app.pki.ca()).unwrap();
    // A digest of the wrong length is refused.
    let bad = json!({"externalReference": "PROXY-2", "description": "x",
        "hashes": [{"externalReference": "PROXY-2-a", "name": "a", "signatureType": "CAdES", "digestAlgorithm": "SHA256", "digest": B64.encode([1u8; 20])}]});
    let (status, e) = app.post(&token, "/api/v0/hash/sign/", &bad).await;
    assert_eq!(
        (status, e["errorCode"].as_str()),
        (400, Some("0.0.2")),
        "{e}"
    );
    // The embedded timestamp authority answers RFC 3161 requests at /api/v0/timestamp, for a
    // client service's token (tests/timestamp.rs: the token and the count).
    let (req, nonce) = signstash_signing::tsp::build_request(
        signstash_signing::DigestAlgorithm::Sha256,
        &[7u8; 32],
    )
    .unwrap();
    let r = app
        .http
        .post(format!("{}/api/v0/timestamp", app.url))
        .bearer_auth(&token)
        .body(req)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reply = r.bytes().await.unwrap();
    signstash_signing::tsp::check_response(
        &reply,
        signstash_signing::DigestAlgorithm::Sha256,
        &[7u8; 32],
        &nonce,
    )
    .unwrap();
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn metrics_count_requests_documents_and_the_outbox(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let (status, _) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &three_formats("ERP-M"),
        )
        .await;
    assert_eq!(status, 200);
    let text = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("signstash_documents_total{status=\"SIGNED\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("signstash_signing_seconds_count{format=\"XAdES\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("route=\"/api/v0/document/sign/base64/\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("signstash_outbox_depth 0"), "{text}");
}

/// A process that dies mid-request leaves its operation `PENDING_EXECUTION` with unsigned
/// documents; the sweeper closes it after the grace period so recovery reads a final status.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_operation_abandoned_mid_signing_is_closed_by_the_sweeper(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let token = app.token("demo").await;
    let (status, op) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &three_formats("OP-DIED"),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    let (status, fresh) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &three_formats("OP-NOW"),
        )
        .await;
    assert_eq!(status, 200, "{fresh}");
    // The state a crash after the first document leaves behind: an hour old for OP-DIED, just
    // now for OP-NOW (which may still be running somewhere).
    for (id, age) in [(&op["id"], "1 hour"), (&fresh["id"], "1 second")] {
        let id = id.as_i64().unwrap();
        sqlx::query(
            "UPDATE operations SET status = 'PENDING_EXECUTION', finished_at = NULL,
                    created_at = now() - $2::interval WHERE id = $1",
        )
        .bind(id)
        .bind(age)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE documents SET sign_status = 'RECEIVED' WHERE operation_id = $1 AND position > 0",
        )
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    }
    let sweeper = integration_ws::sweeper::Sweeper {
        abandoned_after: std::time::Duration::from_secs(600),
        every: std::time::Duration::from_secs(60),
        ..Default::default()
    };
    assert_eq!(sweeper.run_once(&app.state).await.unwrap(), 1);
    assert_eq!(sweeper.run_once(&app.state).await.unwrap(), 0, "idempotent");

    let (_, closed) = app
        .get(&token, &format!("/api/v0/operation/status/{}", op["id"]))
        .await;
    assert_eq!(closed["status"], "EXECUTION_ERROR", "{closed}");
    let docs = closed["documentList"].as_array().unwrap();
    assert_eq!(docs[0]["signStatus"], "SIGNED");
    for d in &docs[1..] {
        assert_eq!(d["signStatus"], "ERROR_SIGNING", "{d}");
        assert_eq!(d["signError"], "SIGN_OPERATION_INTERNAL_ERROR", "{d}");
    }
    let (_, untouched) = app
        .get(&token, &format!("/api/v0/operation/status/{}", fresh["id"]))
        .await;
    assert_eq!(untouched["status"], "PENDING_EXECUTION", "{untouched}");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn visible_signatures_at_each_placement_validate(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let classic = corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap();
    let form = corpus::pdf_with_signature_field();
    let Some(placeholder) = corpus::pdf_with_placeholder("[[ASSINATURA]]") else {
        return;
    };
    let pades = |visible: Value| {
        json!({"signatureType": "PAdES", "reason": "Fatura", "location": "Lisboa",
               "visibleSignatureInfo": visible})
    };
    let mut coordinate = json!({
        "templateType": "ONE_OFF", "oneOffTemplate": "Assinado por ${signer}\n${date}\n${reason}",
        "locationType": "COORDINATE", "locationValue": "page=1,x=70,y=100",
        "area": "width=155,height=50", "areaBackgroundColor": "#FFFFE0",
        "font": "color=#000080,size=9"
    });
    if let Some(jpeg) = corpus::jpeg(40, 30) {
        coordinate["imageType"] = json!("IMAGE_JPG");
        coordinate["imageValue"] = json!(B64.encode(jpeg));
    }
    // The client service's own signature text, for SERVICE_CUSTOMIZATION (and for requests
    // that name no template type).
    sqlx::query(
        "WITH t AS (INSERT INTO templates (client_service_id, kind, name, body)
                    SELECT id, 'SIGNATURE_TEXT', 'house style', 'House style of ${signer}'
                    FROM client_services WHERE alias = 'demo' RETURNING id, client_service_id)
         UPDATE client_services cs SET signature_text_template_id = t.id FROM t
         WHERE cs.id = t.client_service_id",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let request = json!({
        "externalReference": "ERP-VIS",
        "description": "Visible signatures",
        "returnSignedContent": true,
        "documents": [
            document("ERP-VIS-1", "coordinate.pdf", "application/pdf", &classic, pades(coordinate)),
            document("ERP-VIS-2", "field.pdf", "application/pdf", &form, pades(json!({
                "templateType": "SERVICE_CUSTOMIZATION",
                "locationType": "SIGN_FIELD", "locationValue": corpus::SIGNATURE_FIELD
            }))),
            document("ERP-VIS-3", "placeholder.pdf", "application/pdf", &placeholder, pades(json!({
                "locationType": "PLACEHOLDER", "locationValue": "[[ASSINATURA]]",
                "area": "width=155,height=50", "areaBackgroundColor": "transparent"
            }))),
        ]
    });
    let (status, op) = app
        .post(&token, "/api/v0/document/sign/base64/", &request)
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["status"], "EXECUTED", "{op}");
    let dir = tempfile::tempdir().unwrap();
    let ca = app.pki.ca();
    let originals = [&classic, &form, &placeholder];
    for (d, original) in op["documentList"].as_array().unwrap().iter().zip(originals) {
        assert_eq!(d["signStatus"], "SIGNED", "{d}");
        let signed = B64.decode(d["signedContent"].as_str().unwrap()).unwrap();
        assert!(signed.starts_with(original), "an append-only update");
        let update = String::from_utf8_lossy(&signed[original.len()..]).into_owned();
        assert!(
            update.contains("/AP << /N "),
            "{}: no appearance",
            d["name"]
        );
        // The template's ${signer}, the certificate's common name (wrapped to the area).
        assert!(update.contains("Sign'Stash"), "{}", d["name"]);
        // ONE_OFF uses its own text; the others the client service's template.
        let house_style = d["name"] != "coordinate.pdf";
        assert_eq!(
            update.contains("House style of"),
            house_style,
            "{}",
            d["name"]
        );
        let path = write(dir.path(), d["name"].as_str().unwrap(), &signed);
        for v in [
            validators::pyhanko(&path, &ca),
            validators::pdfsig(&path, &ca),
        ]
        .into_iter()
        .flatten()
        {
            v.unwrap();
        }
    }
}

/// `SIGNSTASH_S3_*` puts the documents in S3-compatible storage (here moto's server, spoken to
/// by the real S3 client over HTTP): signed, read back, and only ciphertext in the bucket.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn documents_can_live_in_s3_compatible_storage(pool: PgPool) {
    use signstash_test_support::s3;
    let Some(server) = s3::S3Server::start("signstash-documents") else {
        return;
    };
    let options = common::Options {
        s3: Some(signstash_store::S3Config {
            bucket: "signstash-documents".into(),
            region: Some(s3::REGION.into()),
            endpoint: Some(server.endpoint()),
            access_key_id: Some(s3::ACCESS_KEY_ID.into()),
            secret_access_key: Some(s3::SECRET_ACCESS_KEY.to_string().into()),
            allow_http: true,
        }),
        ..common::Options::default()
    };
    let app = TestApp::spawn_with(pool, options).await;
    let ready = app
        .http
        .get(format!("{}/health/ready", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let token = app.token("demo").await;
    let (status, op) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &three_formats("OP-S3"),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["status"], "EXECUTED", "{op}");
    let (_, detail) = app
        .get(
            &token,
            &format!(
                "/api/v0/operation/sign/detail/{}/contentInResponse/true",
                op["id"]
            ),
        )
        .await;
    let keys = server.keys("signstash-documents");
    assert_eq!(keys.len(), 3, "{keys:?}");
    for (doc, key) in detail["documentList"].as_array().unwrap().iter().zip(&keys) {
        assert_eq!(doc["storageStatus"], "CONTENT_STORED");
        assert_eq!(doc["cipherStatus"], "CIPHERED");
        let signed = B64.decode(doc["signedContent"].as_str().unwrap()).unwrap();
        assert_eq!(
            signed,
            op["documentList"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["externalReference"] == doc["externalReference"])
                .map(|d| B64.decode(d["signedContent"].as_str().unwrap()).unwrap())
                .unwrap()
        );
        let raw = server.object("signstash-documents", key);
        assert!(
            !raw.windows(5).any(|w| w == b"%PDF-" || w == b"<?xml"),
            "plaintext in {key}"
        );
    }
}

/// Entries are `<document externalReference>.<name>`, and references may hold anything but
/// control characters: each entry is still one file inside the folder it is unzipped into, and
/// no two entries are the same file (also where letter case is ignored).
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn zip_entries_stay_in_their_folder_and_are_unique(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let cades = json!({"signatureType": "CAdES"});
    let content = corpus::binary(300);
    let docs: Vec<Value> = [
        ("../../x/R", "ok.xml"),
        ("..\\..\\x\\R", "ok.xml"),
        ("/etc/R", "ok.xml"),
        ("C:R", "ok.xml"),
        (".hidden", "a.xml"),
        ("..", ".."),
        ("R", "OK.xml"),
        ("r", "ok.xml"),
    ]
    .iter()
    .map(|(reference, name)| document(reference, name, "application/xml", &content, cades.clone()))
    .collect();
    let (status, op) = app
        .post(
            &token,
            "/api/v0/document/sign/base64/",
            &json!({"externalReference": "ERP-ZIP", "description": "x", "documents": docs}),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    let r = app
        .http
        .get(format!(
            "{}/api/v0/operation/sign/detail/{}/documents",
            app.url, op["id"]
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    assert_eq!(
        names,
        [
            "_.._x_R.ok.xml",
            "_.._x_R.ok (2).xml",
            "_etc_R.ok.xml",
            "C_R.ok.xml",
            "hidden.a.xml",
            "document",
            "R.OK.xml",
            "r.ok (2).xml",
        ]
    );
    for i in 0..zip.len() {
        let entry = zip.by_index(i).unwrap();
        // The zip crate's own judge of a name that stays inside the folder: one plain component.
        let enclosed = entry.enclosed_name().unwrap();
        assert_eq!(enclosed.components().count(), 1, "{}", entry.name());
        assert!(
            matches!(
                enclosed.components().next(),
                Some(std::path::Component::Normal(_))
            ),
            "{}",
            entry.name()
        );
        assert!(!entry.name().starts_with('.'), "{}", entry.name());
    }
}
