//! The request checks of api-v0.md, each answered with the code of the API page and a
//! `causeMessage` naming the field; bodies are snapshotted so the contract cannot drift.
#![allow(clippy::unwrap_used)]

use axum::extract::rejection::JsonRejection;
use axum::Json;
use base64::Engine as _;
use integration_ws::dto::{Limits, SignRequest};
use integration_ws::error::ApiError;
use serde_json::{json, Value};

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
    let Json(request) = parsed.map_err(ApiError::from)?;
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
