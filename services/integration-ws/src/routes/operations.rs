//! Reading operations back: recovery by document reference, status, detail, zip.
//! Another client service's operation is answered exactly as one that does not exist.

use std::io::Write as _;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use signstash_domain::{ErrorCode, ExternalReference, OperationId};
use signstash_oauth::{BearerClient, TokenRejection};
use signstash_store::{documents, operations};

use crate::error::{ApiError, ErrorBody};
use crate::routes::sign::authenticate;
use crate::state::AppState;
use crate::view::{self, SignOperation};

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (path, handler) in [
        (
            "/api/v0/operation/id/withDocumentExternalReference/{reference}",
            get(id_by_document_reference),
        ),
        ("/api/v0/operation/status/{id}", get(status)),
        (
            "/api/v0/operation/sign/detail/{id}/contentInResponse/{include}",
            get(detail),
        ),
        ("/api/v0/operation/sign/detail/{id}/documents", get(zip)),
    ] {
        r = r
            .route(path, handler.clone())
            .route(&format!("{path}/"), handler);
    }
    r
}

fn not_found() -> ApiError {
    ApiError::not_found("operation not found")
}

/// A path's operation id: a positive number, else 400 `0.0.6`; recorded on the request's span.
pub(crate) fn operation_id(raw: &str) -> Result<OperationId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .inspect(|v| crate::telemetry::record_operation(*v))
        .map(OperationId)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ParameterValidation,
                format!("operation id `{raw}` is not a number"),
            )
        })
}

/// The id of the operation holding the document with this external reference (recovery after
/// a timeout: 404 means it never happened).
#[utoipa::path(
    get,
    path = "/api/v0/operation/id/withDocumentExternalReference/{externalReference}",
    tag = "operations",
    security(("bearer" = [])),
    params(("externalReference" = String, Path, description = "A document's external reference")),
    responses(
        (status = 200, description = "The operation id", content_type = "application/json", body = i64),
        (status = 404, description = "No such document for this client service", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn id_by_document_reference(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<i64>, ApiError> {
    let auth = authenticate(&app, bearer).await?;
    let Path(reference) = path?;
    let reference = ExternalReference::try_from(reference.as_str()).map_err(|e| {
        ApiError::new(
            ErrorCode::ParameterValidation,
            format!("externalReference: {e}"),
        )
    })?;
    operations::find_id_by_document_reference(&app.db, auth.client_service.id, &reference)
        .await
        .map_err(ApiError::internal)?
        .map(|id| Json(id.0))
        .ok_or_else(not_found)
}

/// The operation without document content.
#[utoipa::path(
    get,
    path = "/api/v0/operation/status/{operationId}",
    tag = "operations",
    security(("bearer" = [])),
    params(("operationId" = i64, Path)),
    responses(
        (status = 200, body = SignOperation),
        (status = 404, description = "No such operation for this client service", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn status(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<SignOperation>, ApiError> {
    let auth = authenticate(&app, bearer).await?;
    let Path(id) = path?;
    let id = operation_id(&id)?;
    view::load(&app, &auth.client_service, id, false)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

/// The full operation; `signedContent` only when `includeContent` is `true`.
#[utoipa::path(
    get,
    path = "/api/v0/operation/sign/detail/{operationId}/contentInResponse/{includeContent}",
    tag = "operations",
    security(("bearer" = [])),
    params(("operationId" = i64, Path), ("includeContent" = bool, Path)),
    responses(
        (status = 200, body = SignOperation),
        (status = 404, description = "No such operation for this client service", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn detail(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<SignOperation>, ApiError> {
    let auth = authenticate(&app, bearer).await?;
    let Path((id, include)) = path?;
    let id = operation_id(&id)?;
    let include = match include.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(ApiError::new(
                ErrorCode::ParameterValidation,
                format!("contentInResponse must be true or false, not `{other}`"),
            ))
        }
    };
    view::load(&app, &auth.client_service, id, include)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}

/// A zip of the signed documents, each entry `<externalReference>.<name>`.
///
/// Each name is made a safe file name (separators, `:` and control characters become `_`,
/// leading dots go: nothing unpacks outside the folder) and unique ignoring case (` (2)`,
/// ` (3)`… before the extension of a later clash).
#[utoipa::path(
    get,
    path = "/api/v0/operation/sign/detail/{operationId}/documents",
    tag = "operations",
    security(("bearer" = [])),
    params(("operationId" = i64, Path)),
    responses(
        (status = 200, description = "The zip", content_type = "application/zip", body = String),
        (status = 404, description = "No such operation for this client service", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn zip(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let auth = authenticate(&app, bearer).await?;
    let Path(id) = path?;
    let id = operation_id(&id)?;
    let cs = auth.client_service.id;
    operations::find(&app.db, cs, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    let docs = documents::list_for_operation(&app.db, cs, id)
        .await
        .map_err(ApiError::internal)?;
    let mut entries = Vec::new();
    let mut names = signstash_domain::file_name::UniqueNames::new();
    for d in docs {
        if let Some(stored) = d.stored() {
            let bytes = app
                .documents
                .get(&stored)
                .await
                .map_err(ApiError::internal)?;
            let name = names.add(&format!("{}.{}", d.external_reference, d.name));
            entries.push((name, bytes));
        }
    }
    let body = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(name, opts)?;
            w.write_all(&bytes)?;
        }
        Ok(w.finish()?.into_inner())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"operation-{}.zip\"", id.0),
            ),
        ],
        body,
    )
        .into_response())
}
