//! What the on-premise proxy uses: the client service's certificate chain, hash signing (the
//! proxy keeps the documents and sends only what must be signed); the timestamp authority it
//! also uses is in [`super::timestamp`].

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use signstash_domain::{
    CipherStatus, ErrorCode, ExternalReference, FolderContent, SignError, SignatureType,
    StorageStatus,
};
use signstash_oauth::{BearerClient, TokenRejection};
use signstash_signing::{DigestAlgorithm, KeyKind};
use signstash_store::documents::Outcome;
use signstash_store::operations;

use crate::error::{ApiError, ErrorBody};
use crate::routes::sign::{
    authenticate, authenticate_to_create, create_operation, failed, finish_operation, signer,
};
use crate::state::AppState;
use crate::view::SignOperation;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v0/certificate", get(certificate))
        .route("/api/v0/certificate/", get(certificate))
        .route("/api/v0/hash/sign", post(hash_sign))
        .route("/api/v0/hash/sign/", post(hash_sign))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// PEM certificates, the signer's first.
    certificate_chain: Vec<String>,
    /// `RSA-2048`, `EC-P256`, …
    key_algorithm: String,
}

fn key_algorithm(kind: KeyKind) -> String {
    match kind {
        KeyKind::Rsa { bits } => format!("RSA-{bits}"),
        KeyKind::Ecdsa { field_bytes: 48 } => "EC-P384".into(),
        KeyKind::Ecdsa { .. } => "EC-P256".into(),
    }
}

fn pem(der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The client service's signing certificate chain and key algorithm (for the proxy).
#[utoipa::path(
    get,
    path = "/api/v0/certificate",
    tag = "proxy",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CertificateInfo),
        (status = 500, description = "No signing certificate configured (`0.0.3`)", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn certificate(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
) -> Result<Json<CertificateInfo>, ApiError> {
    let auth = authenticate(&app, bearer).await?;
    let signer = signer(&app, &auth).await?;
    Ok(Json(CertificateInfo {
        certificate_chain: signer
            .certificate_chain()
            .all()
            .iter()
            .map(|c| pem(c.der()))
            .collect(),
        key_algorithm: key_algorithm(signer.key_kind()),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HashSignRequest {
    external_reference: Option<String>,
    description: Option<String>,
    hashes: Option<Vec<HashEntry>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HashEntry {
    external_reference: Option<String>,
    name: Option<String>,
    signature_type: Option<SignatureType>,
    /// `SHA256`, `SHA-256`, `SHA384`, `SHA512` (any case).
    digest_algorithm: Option<String>,
    /// base64 of the digest of the data to be signed.
    digest: Option<String>,
}

fn field<T>(v: Option<T>, name: &str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::attribute(format!("{name} is required")))
}

/// Sign digests computed by the on-premise proxy; the operation has `folderContent` `HASH`
/// and each document a `signatureValue`.
#[utoipa::path(
    post,
    path = "/api/v0/hash/sign",
    tag = "proxy",
    security(("bearer" = [])),
    request_body = HashSignRequest,
    responses(
        (status = 200, body = SignOperation),
        (status = 409, description = "External reference reused (`0.0.7`), client service suspended (`1.1.3`)", body = ErrorBody),
        (status = 429, description = "Too many parallel requests (`0.0.11`)", body = ErrorBody),
        (status = 500, description = "No signing certificate configured (`0.0.3`)", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn hash_sign(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    body: Result<Json<HashSignRequest>, JsonRejection>,
) -> Result<Json<SignOperation>, ApiError> {
    let auth = authenticate_to_create(&app, bearer).await?;
    let signer = signer(&app, &auth).await?;
    let Json(request) = body.map_err(ApiError::object_body)?;
    let cs = &auth.client_service;
    let reference = ExternalReference::try_from(
        field(request.external_reference, "externalReference")?.as_str(),
    )
    .map_err(|e| ApiError::attribute(format!("externalReference: {e}")))?;
    let description = crate::dto::description(request.description)?;
    let hashes = field(request.hashes, "hashes")?;
    if hashes.is_empty() {
        return Err(ApiError::attribute("hashes must hold at least one hash"));
    }
    if hashes.len() > app.limits.max_documents {
        return Err(ApiError::new(
            ErrorCode::AttributeSizeExceeded,
            format!("more than {} hashes", app.limits.max_documents),
        ));
    }
    let _slot = app.admit(cs.id, cs.concurrency_limit)?;
    let mut docs = Vec::with_capacity(hashes.len());
    let mut to_sign = Vec::with_capacity(hashes.len());
    for (i, h) in hashes.into_iter().enumerate() {
        let at = |f: &str| format!("hashes[{i}].{f}");
        let reference = ExternalReference::try_from(
            field(h.external_reference, &at("externalReference"))?.as_str(),
        )
        .map_err(|e| ApiError::attribute(format!("{}: {e}", at("externalReference"))))?;
        let name = field(h.name, &at("name"))?;
        let signature_type = field(h.signature_type, &at("signatureType"))?;
        let alg_text = field(h.digest_algorithm, &at("digestAlgorithm"))?;
        let alg: DigestAlgorithm = alg_text
            .parse()
            .map_err(|e: String| ApiError::attribute(format!("{}: {e}", at("digestAlgorithm"))))?;
        let digest = crate::dto::decode_base64(&field(h.digest, &at("digest"))?, &at("digest"))?;
        if digest.len() != alg.output_len() {
            return Err(ApiError::attribute(format!(
                "{} is {} bytes, a {alg_text} digest is {}",
                at("digest"),
                digest.len(),
                alg.output_len()
            )));
        }
        docs.push(operations::NewDocument {
            external_reference: reference,
            name,
            content_type: "application/octet-stream".into(),
            signature_type,
            sign_options: serde_json::json!({"digestAlgorithm": alg_text}),
            content_length: i64::try_from(digest.len()).unwrap_or(0),
            storage_period_months: None,
            digest_algorithm: Some(alg_text),
            digest: Some(digest.clone()),
        });
        to_sign.push((alg, digest));
    }
    let new = operations::NewOperation {
        client_service_id: cs.id,
        external_reference: reference,
        description,
        folder_content: FolderContent::Hash,
        return_signed_content: false,
        preserve_content: false,
        attach_documents: false,
        documents: docs,
        receivers: Vec::new(),
    };
    let created = create_operation(&app, &new).await?;
    let started = std::time::Instant::now();
    let mut outcomes = Vec::with_capacity(to_sign.len());
    for ((alg, digest), id) in to_sign
        .into_iter()
        .zip(created.document_ids.iter().copied())
    {
        let s = signer.clone();
        let value = tokio::task::spawn_blocking(move || s.sign(alg, &[], &digest))
            .await
            .map_err(ApiError::internal)?;
        let outcome = match value {
            Ok(v) => Outcome::Signed {
                attributes: serde_json::json!({}),
                signature_value: Some(v),
                stored: None,
                cipher_status: CipherStatus::NoCipher,
                storage_status: StorageStatus::ContentNotStored,
            },
            Err(e) => failed(SignError::CertServiceGlobalError, &e.to_string()),
        };
        outcomes.push((id, outcome));
    }
    finish_operation(&app, cs, &new, &created, outcomes, Vec::new(), started)
        .await
        .map(Json)
}
