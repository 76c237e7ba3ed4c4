//! Every error code of the API page's table, provoked over HTTP as an integrator (or a broken
//! deployment) would provoke it, with the HTTP status, `Retry-After` and the JSON body
//! snapshotted (insta) so the contract cannot drift. Hostile input never gets a 500.
#![allow(clippy::unwrap_used)]

use integration_ws::demo::sample_sign_request;
use serde_json::{json, Value};
use signstash_domain::ClientServiceId;
use signstash_oauth::{KeyRing, SigningKey, TokenService};
use signstash_test_support::corpus;
use signstash_test_support::smtp::free_port;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

mod common;
use common::{document, Options, TestApp};

const SIGN: &str = "/api/v0/document/sign/base64/";

/// What the snapshot keeps of an answer.
async fn answer(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    json!({"status": status, "retryAfter": retry_after, "contentType": content_type, "body": body})
}

impl TestApp {
    async fn send(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn sign(&self, token: &str, body: &Value) -> Value {
        self.send(token, reqwest::Method::POST, SIGN, Some(body))
            .await
    }

    async fn client_service_id(&self, alias: &str) -> ClientServiceId {
        ClientServiceId(
            sqlx::query_scalar("SELECT id FROM client_services WHERE alias = $1")
                .bind(alias)
                .fetch_one(&self.pool)
                .await
                .unwrap(),
        )
    }
}

fn pdf_request(reference: &str, content: &[u8]) -> Value {
    json!({
        "externalReference": reference,
        "description": "refused requests",
        "documents": [document(&format!("{reference}-1"), "a.pdf", "application/pdf", content, json!({"signatureType": "PAdES"}))]
    })
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn request_errors(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        Options {
            max_body_bytes: 256 * 1024,
            max_documents: 3,
            max_document_bytes: 64 * 1024,
            ..Options::default()
        },
    )
    .await;
    let token = app.token("demo").await;

    // 0.0.2: not JSON at all.
    let r = app
        .http
        .post(format!("{}{SIGN}", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"externalReference\": ")
        .send()
        .await
        .unwrap();
    insta::assert_json_snapshot!("0_0_2_bad_json", answer(r).await);
    // 0.0.2: an unknown enum value.
    let mut bad_enum = sample_sign_request("OP-ENUM");
    bad_enum["documents"][0]["signatureInfo"]["signatureType"] = json!("PGP");
    insta::assert_json_snapshot!("0_0_2_unknown_enum", app.sign(&token, &bad_enum).await);

    // 0.0.4: a body over the limit (256 KiB here; 64 MiB by default)…
    let big = vec![b'%'; 300 * 1024];
    insta::assert_json_snapshot!(
        "0_0_4_body_over_the_limit",
        app.sign(&token, &pdf_request("OP-BIG", &big)).await
    );
    // …and a multipart body over it.
    let form = reqwest::multipart::Form::new()
        .text("signRequest", pdf_request("OP-BIG-M", b"").to_string())
        .part(
            "files",
            reqwest::multipart::Part::bytes(big.clone()).file_name("a.pdf"),
        );
    let r = app
        .http
        .post(format!("{}/api/v0/document/sign/", app.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    insta::assert_json_snapshot!("0_0_4_multipart_over_the_limit", answer(r).await);
    // 0.0.4: one document over the per-document limit (64 KiB here).
    insta::assert_json_snapshot!(
        "0_0_4_document_too_large",
        app.sign(&token, &pdf_request("OP-DOC", &vec![b'%'; 100 * 1024]))
            .await
    );

    // 0.0.6: a path id that is not a number; 404 (body 0.0.6) for one that names nothing.
    let get = reqwest::Method::GET;
    insta::assert_json_snapshot!(
        "0_0_6_path_id_not_a_number",
        app.send(&token, get.clone(), "/api/v0/operation/status/12abc", None)
            .await
    );
    insta::assert_json_snapshot!(
        "0_0_6_not_found",
        app.send(&token, get.clone(), "/api/v0/operation/status/999999", None)
            .await
    );

    // 0.0.7: the same external reference again.
    let first = app.sign(&token, &sample_sign_request("OP-1")).await;
    assert_eq!(first["status"], 200, "{first}");
    insta::assert_json_snapshot!(
        "0_0_7_external_reference_reused",
        app.sign(&token, &sample_sign_request("OP-1")).await
    );

    // 2.3.1: the XAdES signatureLocation names no element of the document.
    let mut nowhere = sample_sign_request("OP-LOC");
    nowhere["documents"][0]["signatureInfo"]["advancedSignatureInfo"]["signatureLocation"] =
        json!("NoSuchElement");
    insta::assert_json_snapshot!(
        "2_3_1_signature_location_not_found",
        app.sign(&token, &nowhere).await
    );

    // 2.4.1: a PAdES document that is not a PDF; an XML document with an entity declaration;
    // an encrypted PDF is covered by the engine's tests.
    insta::assert_json_snapshot!(
        "2_4_1_not_a_pdf",
        app.sign(&token, &pdf_request("OP-NOTPDF", b"plain text, not a PDF"))
            .await
    );
    let mut entity = sample_sign_request("OP-ENT");
    entity["documents"][0]["documentRequest"]["base64Content"] =
        json!(base64_of(b"<!DOCTYPE r [<!ENTITY x \"boom\">]><r>&x;</r>"));
    insta::assert_json_snapshot!("2_4_1_xml_with_entities", app.sign(&token, &entity).await);

    // SQL-ish strings in references are only data.
    let sqlish = sample_sign_request("x'); DROP TABLE operations;--");
    let r = app.sign(&token, &sqlish).await;
    assert_eq!(r["status"], 200, "{r}");
    let (status, found) = app
        .get(
            &token,
            "/api/v0/operation/id/withDocumentExternalReference/x'); DROP TABLE operations;--1",
        )
        .await;
    assert!(status == 200 || status == 404, "{status} {found}");

    // Nothing of the refused requests was stored: only OP-1 and the SQL-ish one exist.
    let operations: i64 = sqlx::query_scalar("SELECT count(*) FROM operations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(operations, 2);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn token_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let request = sample_sign_request("OP-T");

    // 0.0.10: no token, a forged one, an expired one, one signed by another key (unknown kid
    // and the known kid with another key).
    let r = app
        .http
        .post(format!("{}{SIGN}", app.url))
        .json(&request)
        .send()
        .await
        .unwrap();
    insta::assert_json_snapshot!("0_0_10_no_token", answer(r).await);
    insta::assert_json_snapshot!(
        "0_0_10_forged_token",
        app.sign("eyJhbGciOiJub25lIn0.eyJzdWIiOiJkZW1vIn0.", &request)
            .await
    );
    let id = app.client_service_id("demo").await;
    let expired = app
        .state
        .tokens
        .issue_at(id.0, "demo", OffsetDateTime::now_utc() - Duration::days(2))
        .unwrap()
        .access_token;
    insta::assert_json_snapshot!("0_0_10_expired_token", app.sign(&expired, &request).await);
    let stranger = TokenService::new(
        KeyRing::new(SigningKey::generate_es256().unwrap()),
        "signstash-test",
    );
    let other_key = stranger.issue(id.0, "demo").unwrap().access_token;
    insta::assert_json_snapshot!("0_0_10_unknown_key", app.sign(&other_key, &request).await);
    let kid = app.state.tokens.keys().active().kid().to_string();
    let other = SigningKey::generate_es256().unwrap();
    let impostor = SigningKey::from_pkcs8_pem(
        kid,
        secrecy::ExposeSecret::expose_secret(&other.to_pkcs8_pem()).as_bytes(),
    )
    .unwrap();
    let same_kid = TokenService::new(KeyRing::new(impostor), "signstash-test")
        .issue(id.0, "demo")
        .unwrap()
        .access_token;
    insta::assert_json_snapshot!(
        "0_0_10_known_kid_other_key",
        app.sign(&same_kid, &request).await
    );

    // 1.1.0: a valid token of a client service that does not exist (any more).
    let ghost = app
        .state
        .tokens
        .issue(987_654, "ghost")
        .unwrap()
        .access_token;
    insta::assert_json_snapshot!(
        "1_1_0_unknown_client_service",
        app.sign(&ghost, &request).await
    );

    // Nothing was signed.
    let operations: i64 = sqlx::query_scalar("SELECT count(*) FROM operations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(operations, 0);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn configuration_and_status_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let signed = app.sign(&token, &sample_sign_request("OP-0")).await;
    assert_eq!(signed["status"], 200, "{signed}");
    let op = signed["body"]["id"].as_i64().unwrap();

    // 0.0.11: every slot of the client service is taken (here by the test itself).
    app.change_tenancy("UPDATE client_services SET concurrency_limit = 1 WHERE alias = 'demo'")
        .await;
    let id = app.client_service_id("demo").await;
    let held = app.state.admit(id, 1).unwrap();
    insta::assert_json_snapshot!(
        "0_0_11_too_many_parallel_requests",
        app.sign(&token, &sample_sign_request("OP-429")).await
    );
    drop(held);
    let again = app.sign(&token, &sample_sign_request("OP-429")).await;
    assert_eq!(
        again["status"], 200,
        "a freed slot admits the retry: {again}"
    );

    // 0.0.3: no signing certificate configured.
    app.change_tenancy("UPDATE client_services SET certificate_id = NULL WHERE alias = 'demo'")
        .await;
    insta::assert_json_snapshot!(
        "0_0_3_no_signing_certificate",
        app.sign(&token, &sample_sign_request("OP-3")).await
    );

    // 1.1.3: a suspended client service reads what it has but creates nothing.
    app.change_tenancy("UPDATE client_services SET status = 'SUSPENDED' WHERE alias = 'demo2'")
        .await;
    let token2 = app.token("demo2").await;
    insta::assert_json_snapshot!(
        "1_1_3_suspended_client_service",
        app.sign(&token2, &sample_sign_request("OP-S")).await
    );
    let (status, _) = app
        .get(
            &token2,
            "/api/v0/operation/id/withDocumentExternalReference/none",
        )
        .await;
    assert_eq!(status, 404, "reads still work (and find nothing of demo's)");

    // 1.1.1: an inactive client service (its token was issued before).
    app.change_tenancy("UPDATE client_services SET status = 'INACTIVE' WHERE alias = 'demo2'")
        .await;
    insta::assert_json_snapshot!(
        "1_1_1_client_service_not_active",
        app.send(
            &token2,
            reqwest::Method::GET,
            &format!("/api/v0/operation/status/{op}"),
            None
        )
        .await
    );

    // 1.2.0: the issuer company of the client service is not active.
    app.change_tenancy(
        "UPDATE issuer_companies SET status = 'SUSPENDED'
         WHERE id = (SELECT issuer_company_id FROM client_services WHERE alias = 'demo')",
    )
    .await;
    insta::assert_json_snapshot!(
        "1_2_0_issuer_not_active",
        app.sign(&token, &sample_sign_request("OP-I")).await
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn infrastructure_errors(pool: PgPool) {
    // 0.0.5: the SMTP server is down when a resend is asked for.
    let app = TestApp::spawn_with(
        pool,
        Options {
            smtp_url: Some(format!("smtp://127.0.0.1:{}", free_port())),
            ..Options::default()
        },
    )
    .await;
    let token = app.token("demo").await;
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 2048).unwrap();
    let signed = app.sign(&token, &pdf_request("OP-M", &pdf)).await;
    assert_eq!(signed["status"], 200, "{signed}");
    let op = signed["body"]["id"].as_i64().unwrap();
    insta::assert_json_snapshot!(
        "0_0_5_e-mail_could_not_be_sent",
        app.send(
            &token,
            reqwest::Method::POST,
            &format!("/api/v0/delivery/mail/resend/{op}/false"),
            Some(&json!(["receiver@example.com"]))
        )
        .await
    );

    // 0.0.1: the database lost a table under the service: a bare 500, no SQL, no detail.
    sqlx::query("ALTER TABLE operations RENAME TO operations_moved")
        .execute(&app.pool)
        .await
        .unwrap();
    insta::assert_json_snapshot!(
        "0_0_1_unhandled_error",
        app.send(
            &token,
            reqwest::Method::GET,
            &format!("/api/v0/operation/status/{op}"),
            None
        )
        .await
    );
}

/// One PAdES document with a visible signature.
fn visible_request(reference: &str, content: &[u8], visible: Value) -> Value {
    json!({
        "externalReference": reference,
        "description": "visible signatures",
        "documents": [document(&format!("{reference}-1"), "a.pdf", "application/pdf", content, json!({
            "signatureType": "PAdES", "reason": "Fatura", "visibleSignatureInfo": visible
        }))]
    })
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn visible_signature_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 2048).unwrap();
    let at = |location_type: &str, location_value: &str| {
        json!({"templateType": "SERVICE_CUSTOMIZATION", "locationType": location_type,
               "locationValue": location_value, "area": "width=155,height=50"})
    };

    // 2.2.1: the placeholder is not in the document's text.
    insta::assert_json_snapshot!(
        "2_2_1_placeholder_not_found",
        app.sign(
            &token,
            &visible_request("OP-V1", &pdf, at("PLACEHOLDER", "[[ASSINATURA]]"))
        )
        .await
    );
    // 2.2.1: the API page's example, an image larger than the area (200 × 100 in 155 × 50).
    if let Some(jpeg) = corpus::jpeg(200, 100) {
        let mut big = at("COORDINATE", "page=1,x=70,y=100");
        big["imageType"] = json!("IMAGE_JPG");
        big["imageValue"] = json!(base64_of(&jpeg));
        insta::assert_json_snapshot!(
            "2_2_1_image_larger_than_the_area",
            app.sign(&token, &visible_request("OP-V2", &pdf, big)).await
        );
    }
    // 2.2.1: an element the signature needs is not there (no area for COORDINATE).
    let mut no_area = at("COORDINATE", "page=1,x=70,y=100");
    no_area.as_object_mut().unwrap().remove("area");
    insta::assert_json_snapshot!(
        "2_2_1_area_missing",
        app.sign(&token, &visible_request("OP-V3", &pdf, no_area))
            .await
    );
    // 2.2.1 also for a page that does not exist, an area off the page, a field that is not
    // there, an image that is not what its type says.
    let mut not_a_png = at("COORDINATE", "page=1,x=70,y=100");
    not_a_png["imageType"] = json!("IMAGE_PNG");
    not_a_png["imageValue"] = json!(base64_of(b"GIF89a, not a PNG"));
    for (n, visible, words) in [
        (
            4,
            at("COORDINATE", "page=2,x=70,y=100"),
            "page 2 does not exist",
        ),
        (
            5,
            at("COORDINATE", "page=1,x=500,y=100"),
            "is not inside page 1",
        ),
        (
            6,
            at("SIGN_FIELD", "ClientSignature"),
            "no signature field named `ClientSignature`",
        ),
        (7, not_a_png, "the PNG image is unreadable"),
    ] {
        let r = app
            .sign(&token, &visible_request(&format!("OP-V{n}"), &pdf, visible))
            .await;
        assert_eq!(r["status"], 400, "{r}");
        assert_eq!(r["body"]["errorCode"], "2.2.1", "{r}");
        let cause = r["body"]["causeMessage"].as_str().unwrap();
        assert!(
            cause.starts_with("documents[0]: visible signature: "),
            "{r}"
        );
        assert!(cause.contains(words), "{r}");
    }

    // Malformed values are 0.0.2, before any missing element: a bad area string (with the
    // locationValue also missing), an unknown locationType, bad base64.
    let mut malformed = at("COORDINATE", "page=1,x=70,y=100");
    malformed["area"] = json!("155x50");
    malformed.as_object_mut().unwrap().remove("locationValue");
    let mut unknown = at("COORDINATE", "page=1,x=70,y=100");
    unknown["locationType"] = json!("TOP_RIGHT");
    let mut bad_base64 = at("COORDINATE", "page=1,x=70,y=100");
    bad_base64["imageType"] = json!("IMAGE_PNG");
    bad_base64["imageValue"] = json!("not base64!");
    for (n, visible, words) in [
        (
            8,
            malformed,
            "visibleSignatureInfo.area: `155x50` is not of the form width=…,height=…",
        ),
        (9, unknown, "locationType"),
        (
            10,
            bad_base64,
            "visibleSignatureInfo.imageValue is not valid base64",
        ),
    ] {
        let r = app
            .sign(&token, &visible_request(&format!("OP-V{n}"), &pdf, visible))
            .await;
        assert_eq!(r["status"], 400, "{r}");
        assert_eq!(r["body"]["errorCode"], "0.0.2", "{r}");
        assert!(
            r["body"]["causeMessage"].as_str().unwrap().contains(words),
            "{r}"
        );
    }
    // A missing element in one document and a malformed one later in the request: 0.0.2.
    let mut missing = at("PLACEHOLDER", "SIGN_HERE");
    missing.as_object_mut().unwrap().remove("area");
    let mut two = visible_request("OP-V11", &pdf, missing);
    let mut second = document(
        "OP-V11-2",
        "b.pdf",
        "application/pdf",
        &pdf,
        json!({"signatureType": "PAdES"}),
    );
    second["documentRequest"]["base64Content"] = json!("%%%");
    two["documents"].as_array_mut().unwrap().push(second);
    let r = app.sign(&token, &two).await;
    assert_eq!(r["body"]["errorCode"], "0.0.2", "{r}");

    // Nothing of these requests was stored.
    let operations: i64 = sqlx::query_scalar("SELECT count(*) FROM operations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(operations, 0);
}

/// Every code of the table has a snapshot of a provoked answer (this file's or the validation
/// tests'), so a code cannot be added to the table without a test that provokes it.
#[test]
fn every_code_of_the_table_is_provoked_and_snapshotted() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let snapshots: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let missing: Vec<&str> = signstash_domain::ErrorCode::ALL
        .iter()
        .map(|c| c.code())
        .filter(|code| !snapshots.contains(&format!("\"errorCode\": \"{code}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes never provoked by a test: {missing:?}"
    );
}
