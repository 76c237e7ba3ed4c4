//! The request checks of api-v0.md, each answered with the code of the API page and a
//! `causeMessage` naming the field; bodies are snapshotted so the contract cannot drift. The
//! last tests drive the service over HTTP with what real integrators' libraries send.
#![allow(clippy::unwrap_used)]

use axum::extract::rejection::JsonRejection;
use axum::Json;
use base64::Engine as _;
use integration_ws::dto::{Limits, SignRequest};
use integration_ws::error::ApiError;
use serde_json::{json, Value};
use signstash_test_support::validators;
use sqlx::PgPool;

mod common;
use common::{document, TestApp};

const LIMITS: Limits = Limits {
    max_documents: 3,
    max_document_bytes: 1024,
    max_body_bytes: 1 << 20,
    max_receivers: 50,
};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn valid() -> Value {
    json!({
        "externalReference": "ERP-2026-000123",
        "description": "Invoices of November",
        "returnSignedContent": true,
        "documents": [{
            "documentRequest": {"externalReference": "INV-123", "name": "invoice-123.xml", "contentType": "text/xml", "base64Content": b64(b"<Invoice/>")},
            "signatureInfo": {"signatureType": "XAdES", "applyTimestamp": false,
                "advancedSignatureInfo": {"signatureLocation": "SignatureInformation", "signatureTransform": "XPATH2_FILTER", "canonicalTransform": "EXCLUSIVE"}}
        }],
        "preservationInfo": {"preserveContent": false, "deliveryInfo": {"attachDocuments": true, "personReceiver": [{"email": "client@example.com"}]}}
    })
}

/// Parses like the JSON extractor would, then validates.
async fn check(body: Value) -> Result<integration_ws::dto::ValidSignRequest, ApiError> {
    let req = axum::http::Request::builder()
        .method("POST")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let parsed: Result<Json<SignRequest>, JsonRejection> =
        <Json<SignRequest> as axum::extract::FromRequest<()>>::from_request(req, &()).await;
    let Json(request) = parsed.map_err(ApiError::object_body)?;
    request.validate(LIMITS, None)
}

async fn error_body(body: Value) -> Value {
    check(body).await.map(|_| ()).unwrap_err().body()
}

#[tokio::test]
async fn a_valid_request_becomes_signing_parameters() {
    let v = check(valid()).await.unwrap();
    assert_eq!(v.documents.len(), 1);
    assert_eq!(&v.documents[0].content[..], b"<Invoice/>");
    assert_eq!(
        v.documents[0].params.signature_location.as_deref(),
        Some("SignatureInformation")
    );
    assert_eq!(
        v.documents[0].params.signature_transform,
        signstash_signing::SignatureTransform::XPath2Filter
    );
    assert_eq!(v.receivers, vec!["client@example.com".to_string()]);
    assert!(v.attach_documents && v.return_signed_content);
}

#[tokio::test]
async fn every_bad_input_names_its_field() {
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut v = valid();
    v.as_object_mut().unwrap().remove("externalReference");
    cases.push(("missing_external_reference", v));
    let mut v = valid();
    v["documents"] = json!([]);
    cases.push(("no_documents", v));
    let mut v = valid();
    v["documents"][0]["documentRequest"]["base64Content"] = json!("not base64 ***");
    cases.push(("bad_base64", v));
    let mut v = valid();
    v["documents"][0]["documentRequest"]["base64Content"] = json!("");
    cases.push(("empty_document", v));
    let mut v = valid();
    v["documents"][0]["signatureInfo"]["signatureType"] = json!("PGP");
    cases.push(("unknown_signature_type", v));
    let mut v = valid();
    v["documents"][0]["signatureInfo"]["advancedSignatureInfo"]["signatureTransform"] =
        json!("XSLT");
    cases.push(("unknown_transform", v));
    let mut v = valid();
    v["documents"][0]["documentRequest"]["base64Content"] = json!(b64(&[b'a'; 2048]));
    cases.push(("document_too_large", v));
    let mut v = valid();
    let doc = v["documents"][0].clone();
    v["documents"] = json!([doc.clone(), doc.clone(), doc.clone(), doc]);
    cases.push(("too_many_documents", v));
    let mut v = valid();
    let mut second = v["documents"][0].clone();
    second["documentRequest"]["name"] = json!("other.xml");
    v["documents"].as_array_mut().unwrap().push(second);
    cases.push(("repeated_document_reference", v));
    let mut v = valid();
    v["preservationInfo"]["deliveryInfo"]["personReceiver"][0]["email"] = json!("not-an-address");
    cases.push(("invalid_email", v));
    let mut v = valid();
    v["externalReference"] = json!("ERP'; DROP TABLE operations;--\u{0007}");
    cases.push(("control_characters", v));
    let mut v = valid();
    v["documents"][0]["documentRequest"]["name"] = json!("../../etc/passwd");
    cases.push(("path_as_name", v));
    cases.push(("not_an_object", json!([1, 2, 3])));
    for (name, body) in cases {
        insta::assert_json_snapshot!(name, error_body(body).await);
    }
}

#[tokio::test]
async fn wrong_content_type_and_bad_json_are_400_not_500() {
    let req = axum::http::Request::builder()
        .method("POST")
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    let r: Result<Json<SignRequest>, JsonRejection> =
        <Json<SignRequest> as axum::extract::FromRequest<()>>::from_request(req, &()).await;
    let e = ApiError::from(r.unwrap_err());
    assert_eq!(e.code.http_status(), 400);
    insta::assert_json_snapshot!("wrong_content_type", e.body());
    let req = axum::http::Request::builder()
        .method("POST")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"documents\": ["))
        .unwrap();
    let r: Result<Json<SignRequest>, JsonRejection> =
        <Json<SignRequest> as axum::extract::FromRequest<()>>::from_request(req, &()).await;
    let e = ApiError::from(r.unwrap_err());
    assert_eq!(e.code.http_status(), 400);
    assert_eq!(e.body()["errorCode"], "0.0.2");
}

#[test]
fn internal_errors_carry_no_detail() {
    let e = ApiError::internal("connection to 10.0.0.3:5432 refused; SELECT * FROM secrets");
    insta::assert_json_snapshot!("internal", e.body());
}

#[test]
fn signing_refusals_map_to_the_codes_of_the_api_page() {
    let e: ApiError =
        signstash_signing::Error::SignatureLocationNotFound("SignatureInformation".into()).into();
    assert_eq!((e.code.http_status(), e.code.code()), (400, "2.3.1"));
    let e: ApiError = signstash_signing::Error::Pdf(signstash_pdf_error()).into();
    assert_eq!((e.code.http_status(), e.code.code()), (422, "2.4.1"));
}

fn signstash_pdf_error() -> signstash_pdf_reexport::Error {
    signstash_pdf_reexport::Error::Encrypted
}

use signstash_pdf as signstash_pdf_reexport;

// ---------------------------------------------------------------------------------------------
// Over HTTP: what ERPs send

const SIGN: &str = "/api/v0/document/sign/base64/";

/// base64 broken into lines of 76 characters, as Java's MIME encoder and .NET's
/// `Base64FormattingOptions.InsertLineBreaks` write it (`eol` between lines, none at the end).
fn base64_lines(bytes: &[u8], eol: &str) -> String {
    let b64 = b64(bytes);
    b64.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(eol)
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn multi_line_descriptions_and_base64_in_lines_are_accepted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let content = signstash_test_support::corpus::binary(3000);
    let description = "Faturas de novembro\r\nCliente:\tAna Silva\nLoja 12";
    let mut doc_crlf = document(
        "DOC-CRLF",
        "a.bin",
        "application/octet-stream",
        &content,
        json!({"signatureType": "CAdES"}),
    );
    doc_crlf["documentRequest"]["base64Content"] = json!(base64_lines(&content, "\r\n"));
    let mut doc_lf = document(
        "DOC-LF",
        "b.bin",
        "application/octet-stream",
        &content,
        json!({"signatureType": "CAdES"}),
    );
    doc_lf["documentRequest"]["base64Content"] =
        json!(format!("{}\n", base64_lines(&content, "\n")));
    let (status, op) = app
        .post(
            &token,
            SIGN,
            &json!({
                "externalReference": "ERP-LINES", "description": description,
                "returnSignedContent": true, "documents": [doc_crlf, doc_lf]
            }),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["status"], "EXECUTED", "{op}");
    assert_eq!(op["folder"]["description"], description);
    // Each signature is over the decoded bytes: openssl verifies it against the original.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.bin");
    std::fs::write(&data, &content).unwrap();
    for doc in op["documentList"].as_array().unwrap() {
        let p7s = dir.path().join("sig.p7s");
        let signed = base64::engine::general_purpose::STANDARD
            .decode(doc["signedContent"].as_str().unwrap())
            .unwrap();
        std::fs::write(&p7s, signed).unwrap();
        validators::openssl_cms(&p7s, Some(&data), &app.pki.ca()).unwrap();
    }

    // Hash signing takes the same description and a SHA-512 digest (88 characters of base64,
    // so Java breaks it into two lines).
    let digest = [9u8; 64];
    let (status, op) = app
        .post(
            &token,
            "/api/v0/hash/sign/",
            &json!({"externalReference": "PROXY-LINES", "description": description,
                "hashes": [{"externalReference": "PROXY-LINES-1", "name": "a", "signatureType": "CAdES",
                    "digestAlgorithm": "SHA512", "digest": base64_lines(&digest, "\r\n")}]}),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["documentList"][0]["signStatus"], "SIGNED", "{op}");

    // Other control characters are still refused, in the description and in base64.
    let mut doc = document(
        "DOC-BEL",
        "c.bin",
        "application/octet-stream",
        &content,
        json!({"signatureType": "CAdES"}),
    );
    let request = json!({"externalReference": "ERP-BEL", "description": "a\u{7}b", "documents": [doc.clone()]});
    let (status, body) = app.post(&token, SIGN, &request).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("0.0.2")),
        "{body}"
    );
    assert_eq!(
        body["causeMessage"],
        "description contains control characters"
    );
    doc["documentRequest"]["base64Content"] = json!(base64_lines(&content, "\u{0}"));
    let request = json!({"externalReference": "ERP-NUL", "description": "x", "documents": [doc]});
    let (status, body) = app.post(&token, SIGN, &request).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("0.0.2")),
        "{body}"
    );
    assert_eq!(
        body["causeMessage"],
        "documents[0].documentRequest.base64Content is not valid base64"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn content_type_is_checked_like_every_other_string(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let request = |content_type: &str| {
        let doc = document(
            "DOC-CT",
            "a.bin",
            content_type,
            b"data",
            json!({"signatureType": "CAdES"}),
        );
        json!({"externalReference": "ERP-CT", "description": "x", "documents": [doc]})
    };
    let (status, body) = app.post(&token, SIGN, &request(&"x".repeat(256))).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (413, Some("0.0.4")),
        "{body}"
    );
    assert_eq!(
        body["causeMessage"],
        "documents[0].documentRequest.contentType is longer than 255 characters"
    );
    let (status, body) = app
        .post(&token, SIGN, &request("text/xml\r\nX-Injected: 1"))
        .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("0.0.2")),
        "{body}"
    );
    assert_eq!(
        body["causeMessage"],
        "documents[0].documentRequest.contentType contains control characters"
    );
    // Nothing was recorded by the refused requests; a good one goes through.
    let (status, op) = app
        .post(&token, SIGN, &request("application/octet-stream; x=1"))
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(
        op["documentList"][0]["contentType"],
        "application/octet-stream; x=1"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_wrong_json_type_is_named_by_field_and_json_type(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let doc = document(
        "DOC-T",
        "a.bin",
        "application/octet-stream",
        b"data",
        json!({"signatureType": "CAdES"}),
    );
    let with = |pointer: &str, value: Value| {
        let mut v = json!({"externalReference": "ERP-T", "description": "x",
            "returnSignedContent": false, "documents": [doc.clone()]});
        *v.pointer_mut(pointer).unwrap() = value;
        v
    };
    let cases = [
        (json!([]), "the request body: expected an object, found an array"),
        (json!([1, 2, 3]), "the request body: expected an object, found an array"),
        (json!("a string"), "the request body: expected an object, found a string"),
        (
            with("/documents/0/documentRequest", json!("x")),
            "documents[0].documentRequest: expected an object, found a string",
        ),
        (
            with("/documents/0/documentRequest", json!(["x"])),
            "documents[0].documentRequest: expected an object, found an array",
        ),
        (
            with("/documents", json!({"a": 1})),
            "documents: expected an array, found an object",
        ),
        (
            with("/returnSignedContent", json!("yes")),
            "returnSignedContent: expected a boolean, found a string",
        ),
        (
            with("/description", json!(12)),
            "description: expected a string, found a number",
        ),
        (
            with("/documents/0/signatureInfo/signatureType", json!("PGP")),
            "documents[0].signatureInfo.signatureType: unknown value `PGP`, expected one of `PAdES`, `XAdES`, `CAdES`",
        ),
    ];
    for (body, cause) in cases {
        let (status, e) = app.post(&token, SIGN, &body).await;
        assert_eq!(
            (status, e["errorCode"].as_str()),
            (400, Some("0.0.2")),
            "{body}: {e}"
        );
        assert_eq!(e["causeMessage"], cause, "{body}");
    }
    // The resend body is an array of strings.
    let (status, e) = app
        .post(
            &token,
            "/api/v0/delivery/mail/resend/1/false",
            &json!({"email": "a@b.pt"}),
        )
        .await;
    assert_eq!(
        (status, e["causeMessage"].as_str()),
        (
            400,
            Some("the request body: expected an array, found an object")
        )
    );
    let (status, e) = app
        .post(
            &token,
            "/api/v0/delivery/mail/resend/1/false",
            &json!(["a@b.pt", 7]),
        )
        .await;
    assert_eq!(
        (status, e["causeMessage"].as_str()),
        (400, Some("[1]: expected a string, found a number"))
    );
    // The multipart variant names its JSON part.
    let form = reqwest::multipart::Form::new()
        .text("signRequest", "[]")
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"data".to_vec()).file_name("a.bin"),
        );
    let r = app
        .http
        .post(format!("{}/api/v0/document/sign/", app.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        e["causeMessage"],
        "the signRequest part: expected an object, found an array"
    );
}
