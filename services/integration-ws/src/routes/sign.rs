//! `POST /api/v0/document/sign/base64/` and `/api/v0/document/sign/` (multipart).
//!
//! Checks in the order of the API page: token → client service active → issuer active →
//! certificate configured → request valid. Every document is prepared (parsed) before anything
//! is stored, so a document that is not what its type says fails the request with nothing
//! written; once the operation exists, a failure while signing one document marks that document
//! and not the others.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, State};
use axum::routing::post;
use axum::{Json, Router};
use bytes::Bytes;
use signstash_domain::{
    CipherStatus, ClientServiceStatus, DocumentId, ErrorCode, ExternalReference, FolderContent,
    IssuerStatus, OperationStatus, OperationType, SignError, StorageStatus,
};
use signstash_oauth::{BearerClient, TokenRejection};
use signstash_signing::{Prepared, Signer};
use signstash_store::client_services::ClientService;
use signstash_store::documents::Outcome;
use signstash_store::{client_services, deliveries, operations, StoreError};

use crate::dto::{SignRequest, ValidSignRequest};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::view::{self, SignOperation};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v0/document/sign/base64", post(sign_base64))
        .route("/api/v0/document/sign/base64/", post(sign_base64))
        .route("/api/v0/document/sign", post(sign_multipart))
        .route("/api/v0/document/sign/", post(sign_multipart))
}

/// The multipart body of `POST /api/v0/document/sign/`, for the OpenAPI description (the
/// handler reads the parts as they stream in).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SignMultipart {
    /// The `SignRequest` as JSON, its documents without `base64Content`.
    sign_request: SignRequest,
    /// One part per document, in the order of `documents`.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// A client service that passed the first four checks.
pub struct Authorized {
    pub client_service: ClientService,
}

/// Token → client service known and active → issuer active, for reads: a `SUSPENDED` client
/// service still reads what it has.
pub async fn authenticate(
    app: &AppState,
    bearer: Result<BearerClient, TokenRejection>,
) -> Result<Authorized, ApiError> {
    authenticate_for(app, bearer, false).await
}

/// [`authenticate`] for requests that create work (sign, hash sign, resend): a `SUSPENDED`
/// client service gets 409 `1.1.3`.
pub async fn authenticate_to_create(
    app: &AppState,
    bearer: Result<BearerClient, TokenRejection>,
) -> Result<Authorized, ApiError> {
    authenticate_for(app, bearer, true).await
}

async fn authenticate_for(
    app: &AppState,
    bearer: Result<BearerClient, TokenRejection>,
    creates_work: bool,
) -> Result<Authorized, ApiError> {
    let bearer = bearer.map_err(|r| ApiError::new(ErrorCode::InvalidToken, r.description()))?;
    let cs = match app.tenancy.client_service(bearer.client_service_id) {
        Some(cs) => cs,
        None => {
            let generation = app.tenancy.generation();
            let cs = client_services::find(
                &app.db,
                signstash_domain::ClientServiceId(bearer.client_service_id),
            )
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::bare(ErrorCode::InvalidClientService))?;
            app.tenancy.keep_client_service(generation, &cs);
            cs
        }
    };
    crate::telemetry::record_client_service(cs.alias.as_ref());
    match cs.status {
        ClientServiceStatus::Active => {}
        ClientServiceStatus::Suspended if !creates_work => {}
        ClientServiceStatus::Suspended => return Err(ApiError::new(
            ErrorCode::ClientServiceStatusForbids,
            "the client service is suspended: it can read its operations but not create new ones",
        )),
        ClientServiceStatus::Inactive => {
            return Err(ApiError::bare(ErrorCode::ClientServiceNotActive))
        }
    }
    if cs.issuer.status != IssuerStatus::Active {
        return Err(ApiError::bare(ErrorCode::IssuerNotActive));
    }
    Ok(Authorized { client_service: cs })
}

pub async fn signer(app: &AppState, auth: &Authorized) -> Result<Arc<dyn Signer>, ApiError> {
    let cert = auth.client_service.certificate_id.ok_or_else(|| {
        ApiError::new(
            ErrorCode::MissingConfiguration,
            "the client service has no signing certificate",
        )
    })?;
    app.signer_for(cert.0, auth.client_service.id).await
}

/// Sign documents given as base64.
#[utoipa::path(
    post,
    path = "/api/v0/document/sign/base64/",
    tag = "signing",
    security(("bearer" = [])),
    request_body = SignRequest,
    responses(
        (status = 200, description = "The operation, each document with its own `signStatus`", body = SignOperation),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
        (status = 409, description = "External reference reused (`0.0.7`), client service suspended (`1.1.3`)", body = ErrorBody),
        (status = 413, description = "Attribute size exceeded (`0.0.4`)", body = ErrorBody),
        (status = 422, description = "Document content does not match its type (`2.4.1`)", body = ErrorBody),
        (status = 429, description = "Too many parallel requests (`0.0.11`), with `Retry-After`", body = ErrorBody),
        (status = 500, description = "Unhandled (`0.0.1`) or missing configuration (`0.0.3`)", body = ErrorBody),
    )
)]
async fn sign_base64(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    body: Result<Json<SignRequest>, JsonRejection>,
) -> Result<Json<SignOperation>, ApiError> {
    let auth = authenticate_to_create(&app, bearer).await?;
    let signer = signer(&app, &auth).await?;
    let Json(request) = body.map_err(ApiError::object_body)?;
    let valid = request.validate(app.limits, None)?;
    execute(&app, &auth, signer, valid).await.map(Json)
}

/// Sign documents given as multipart parts: `signRequest` (JSON, documents without
/// `base64Content`) and one `files` part per document, in order.
#[utoipa::path(
    post,
    path = "/api/v0/document/sign/",
    tag = "signing",
    security(("bearer" = [])),
    request_body(content = SignMultipart, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The operation, each document with its own `signStatus`", body = SignOperation),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
        (status = 409, description = "External reference reused (`0.0.7`), client service suspended (`1.1.3`)", body = ErrorBody),
        (status = 413, description = "Attribute size exceeded (`0.0.4`)", body = ErrorBody),
        (status = 422, description = "Document content does not match its type (`2.4.1`)", body = ErrorBody),
        (status = 429, description = "Too many parallel requests (`0.0.11`), with `Retry-After`", body = ErrorBody),
        (status = 500, description = "Unhandled (`0.0.1`) or missing configuration (`0.0.3`)", body = ErrorBody),
    )
)]
async fn sign_multipart(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<SignOperation>, ApiError> {
    let auth = authenticate_to_create(&app, bearer).await?;
    let signer = signer(&app, &auth).await?;
    let mut multipart = multipart
        .map_err(|e| ApiError::attribute(format!("multipart body expected: {}", e.body_text())))?;
    let mut request: Option<SignRequest> = None;
    let mut files: Vec<Bytes> = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::AttributeSizeExceeded,
                "request body over the limit",
            )
        } else {
            ApiError::attribute(format!("malformed multipart body: {}", e.body_text()))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("signRequest") => {
                let text = field.bytes().await.map_err(bad)?;
                request = Some(crate::error::from_json(&text, "the signRequest part")?);
            }
            Some("files") => files.push(field.bytes().await.map_err(bad)?),
            _ => {}
        }
    }
    let request = request.ok_or_else(|| ApiError::attribute("signRequest part is required"))?;
    let valid = request.validate(app.limits, Some(files))?;
    execute(&app, &auth, signer, valid).await.map(Json)
}

fn sign_error_of(e: &signstash_signing::Error) -> SignError {
    use signstash_signing::Error as E;
    match e {
        E::Timestamp(_) | E::TimestampAuthorityMissing => SignError::TimestampSignError,
        E::Key(_) | E::Pkcs11(_) | E::BadSignatureValue(_) => SignError::CertServiceGlobalError,
        E::Certificate(_) => SignError::InvalidCertificateSignError,
        _ => SignError::SignOperationInternalError,
    }
}

/// Visible signatures with `templateType` `SERVICE_CUSTOMIZATION` get the client service's
/// signature text template (its chosen one, else one of its own in its language, else the
/// system default); with none stored, the engine's default text. A stored template with a
/// reference the template language does not know fails the request (400 `2.2.1`, naming it)
/// before anything is signed.
async fn service_signature_text(
    app: &AppState,
    cs: &ClientService,
    request: &mut ValidSignRequest,
) -> Result<(), ApiError> {
    let wanted = |d: &crate::dto::ValidDocument| {
        d.params
            .visible
            .as_ref()
            .is_some_and(|v| v.template.is_none())
    };
    if !request.documents.iter().any(wanted) {
        return Ok(());
    }
    let template = signstash_store::templates::effective(
        &app.db,
        cs.id,
        signstash_domain::TemplateKind::SignatureText,
        Some(cs.language),
    )
    .await
    .map_err(ApiError::internal)?;
    if let Some(stored) = template {
        let template = signstash_signing::visible::Template::parse(&stored.body).map_err(|e| {
            ApiError::new(
                ErrorCode::VisibleSignature,
                format!(
                    "the client service's signature text template `{}`: {e}",
                    stored.name
                ),
            )
        })?;
        for d in request.documents.iter_mut() {
            if let Some(v) = d.params.visible.as_mut().filter(|v| v.template.is_none()) {
                v.template = Some(template.clone());
            }
        }
    }
    Ok(())
}

/// Requests whose documents hold at most this many bytes in all are prepared on the async
/// worker rather than on a blocking thread.
const PREPARE_INLINE_BYTES: usize = 32 * 1024;

/// Small requests with at most this many documents are also signed on the async worker (when
/// the key allows, see [`signs_quickly`]): about 1 ms of work at most, so other requests on the
/// same worker never wait long behind one.
const SIGN_INLINE_DOCUMENTS: usize = 4;

/// Prepare every document, create the operation, sign and store each document, finish.
pub async fn execute(
    app: &AppState,
    auth: &Authorized,
    signer: Arc<dyn Signer>,
    mut request: ValidSignRequest,
) -> Result<SignOperation, ApiError> {
    let cs = &auth.client_service;
    let _slot = app.admit(cs.id, cs.concurrency_limit)?;
    service_signature_text(app, cs, &mut request).await?;
    if request.documents.iter().any(|d| d.apply_timestamp) && app.tsa.is_none() {
        return Err(ApiError::new(
            ErrorCode::MissingConfiguration,
            "no timestamp authority is configured",
        ));
    }
    // Phase one for every document (on a blocking thread unless small): a bad document fails
    // the request before anything is written.
    let to_prepare: Vec<_> = request
        .documents
        .iter()
        .map(|d| (d.content.clone(), d.params.clone()))
        .collect();
    let total_content: usize = request.documents.iter().map(|d| d.content.len()).sum();
    let for_prepare = signer.clone();
    let prepare_all = move || {
        let (chain, kind) = (for_prepare.certificate_chain(), for_prepare.key_kind());
        to_prepare
            .into_iter()
            .enumerate()
            .map(|(i, (content, params))| {
                signstash_signing::prepare(content, &params, chain, kind).map_err(|e| {
                    let mut err = ApiError::from(e);
                    err.cause = err.cause.map(|c| format!("documents[{i}]: {c}"));
                    err
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
    };
    // Small requests (an invoice: tens of microseconds of parsing) are prepared here; handing
    // them to a blocking thread and back would cost more than the work.
    let small = total_content <= PREPARE_INLINE_BYTES;
    let prepared: Vec<Prepared> = if small {
        prepare_all()?
    } else {
        tokio::task::spawn_blocking(prepare_all)
            .await
            .map_err(ApiError::internal)??
    };

    let new = operations::NewOperation {
        client_service_id: cs.id,
        external_reference: ExternalReference::try_from(request.external_reference.as_str())
            .map_err(|e| ApiError::attribute(format!("externalReference: {e}")))?,
        description: request.description.clone(),
        folder_content: FolderContent::Document,
        return_signed_content: request.return_signed_content,
        preserve_content: request.preserve_content,
        attach_documents: request.attach_documents,
        documents: request
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| {
                Ok(operations::NewDocument {
                    external_reference: ExternalReference::try_from(d.external_reference.as_str())
                        .map_err(|e| {
                            ApiError::attribute(format!(
                                "documents[{i}].documentRequest.externalReference: {e}"
                            ))
                        })?,
                    name: d.name.clone(),
                    content_type: d.content_type.clone(),
                    signature_type: d.signature_type,
                    sign_options: d.options.clone(),
                    content_length: i64::try_from(d.content.len()).unwrap_or(i64::MAX),
                    storage_period_months: Some(cs.storage_period_months),
                    digest_algorithm: None,
                    digest: None,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        receivers: request
            .receivers
            .iter()
            .map(|r| {
                signstash_domain::EmailAddress::try_from(r.as_str())
                    .map_err(|_| ApiError::bare(ErrorCode::ParameterValidation))
            })
            .collect::<Result<_, _>>()?,
    };
    let created = create_operation(app, &new).await?;
    let started = Instant::now();
    let inline_signing =
        small && prepared.len() <= SIGN_INLINE_DOCUMENTS && signs_quickly(signer.as_ref());

    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut contents = Vec::with_capacity(prepared.len());
    for ((p, doc_id), doc) in prepared
        .into_iter()
        .zip(&created.document_ids)
        .zip(&request.documents)
    {
        let t0 = Instant::now();
        let signed = if inline_signing && !doc.apply_timestamp {
            sign_one(signer.as_ref(), p, None)
        } else {
            let signer = signer.clone();
            let tsa = app.tsa.clone();
            // A signing thread that panicked fails its document, not the request: the
            // documents stored before it must still be recorded.
            tokio::task::spawn_blocking(move || sign_one(signer.as_ref(), p, tsa.as_deref()))
                .await
                .unwrap_or_else(|e| {
                    Err(signstash_signing::Error::Io(std::io::Error::other(
                        format!("signing task failed: {e}"),
                    )))
                })
        };
        let (outcome, content) = match signed {
            Ok(bytes) => match app.documents.put(bytes.clone()).await {
                Ok(stored) => (
                    Outcome::Signed {
                        attributes: doc.attributes(),
                        signature_value: None,
                        stored: Some(stored),
                        cipher_status: CipherStatus::Ciphered,
                        storage_status: StorageStatus::ContentStored,
                    },
                    request.return_signed_content.then_some(bytes),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "document store");
                    (
                        failed(SignError::StorageServiceGlobalError, &e.to_string()),
                        None,
                    )
                }
            },
            Err(e) => (failed(sign_error_of(&e), &e.to_string()), None),
        };
        app.metrics.document(
            doc.signature_type.as_str(),
            outcome.sign_status().as_str(),
            t0.elapsed(),
        );
        outcomes.push((*doc_id, outcome));
        contents.push(content);
    }
    finish_operation(app, cs, &new, &created, outcomes, contents, started).await
}

/// Phase two of one document: the signature value, then the signed document.
fn sign_one(
    signer: &dyn Signer,
    p: Prepared,
    tsa: Option<&dyn signstash_signing::TimeStamper>,
) -> Result<Bytes, signstash_signing::Error> {
    Ok(Bytes::from(p.sign_with(signer, tsa)?.to_vec()))
}

/// Whether one signature takes well under a millisecond of computation and no waiting, so a
/// small document is signed on the async worker: handing it to a blocking thread and back
/// costs about as much as an RSA-2048 signature. Keys over 3072 bits go to a blocking thread.
fn signs_quickly(signer: &dyn Signer) -> bool {
    use signstash_signing::KeyKind;
    signer.signs_in_memory()
        && match signer.key_kind() {
            KeyKind::Rsa { bits } => bits <= 3072,
            KeyKind::Ecdsa { .. } => true,
        }
}

/// Inserts the operation with its documents and deliveries; a reused reference → 409 `0.0.7`.
pub async fn create_operation(
    app: &AppState,
    new: &operations::NewOperation,
) -> Result<operations::CreatedOperation, ApiError> {
    match app.writes.create.write(new.clone()).await {
        Ok(c) => {
            crate::telemetry::record_operation(c.id.0);
            Ok(c)
        }
        Err(StoreError::Duplicate(kind)) => {
            let what = match kind {
                signstash_store::DuplicateKind::DocumentReference => "a document externalReference",
                _ => "externalReference",
            };
            Err(ApiError::new(
                ErrorCode::AlreadyExists,
                format!("{what} already used by this client service"),
            ))
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// A document that could not be signed (or stored), with its `signError`; the detail goes to
/// the log and to operators, never to the integrator.
pub fn failed(error: SignError, message: &str) -> Outcome {
    tracing::warn!(error = %message, sign_error = error.as_str(), "a document was not signed");
    Outcome::Failed {
        error,
        message: Some(message.to_owned()),
    }
}

/// Records every document's outcome and the operation's status in one statement and answers
/// from what is known: the operation as created, the documents as the statement returns them,
/// the signed contents from memory (never read back from the document store).
pub async fn finish_operation(
    app: &AppState,
    cs: &ClientService,
    new: &operations::NewOperation,
    created: &operations::CreatedOperation,
    outcomes: Vec<(DocumentId, Outcome)>,
    contents: Vec<Option<Bytes>>,
    started: Instant,
) -> Result<SignOperation, ApiError> {
    let status = OperationStatus::from_documents(outcomes.iter().map(|(_, o)| o.sign_status()));
    let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let stored: Vec<String> = outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            Outcome::Signed {
                stored: Some(s), ..
            } => Some(s.storage_key.clone()),
            _ => None,
        })
        .collect();
    let written = app
        .writes
        .finish
        .write(operations::Finished {
            client_service_id: cs.id,
            id: created.id,
            status,
            execution_time_ms: elapsed,
            outcomes,
        })
        .await;
    let docs = match written {
        Ok(docs) => docs,
        Err(e) => {
            // Nothing names these objects: remove them now rather than leave them to the
            // sweeper's hourly pass.
            for key in &stored {
                if let Err(e) = app.documents.delete_key(key).await {
                    tracing::error!(error = %e, storage_key = %key, "cannot remove an unrecorded document");
                }
            }
            return Err(ApiError::internal(e));
        }
    };
    let receivers = if created.delivery_ids.is_empty() {
        Vec::new()
    } else {
        deliveries::list_for_operation(&app.db, cs.id, created.id)
            .await
            .map_err(ApiError::internal)?
    };
    let op = operations::Operation {
        id: created.id,
        client_service_id: cs.id,
        operation_type: OperationType::Sign,
        external_reference: new.external_reference.clone(),
        description: new.description.clone(),
        status,
        folder_content: new.folder_content,
        return_signed_content: new.return_signed_content,
        preserve_content: new.preserve_content,
        attach_documents: new.attach_documents,
        created_at: created.created_at,
        started_at: Some(created.created_at),
        finished_at: Some(time::OffsetDateTime::now_utc()),
        execution_time_ms: Some(elapsed),
    };
    Ok(view::assemble(cs, &op, docs, contents, &receivers))
}
