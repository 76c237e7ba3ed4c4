//! `POST /api/v0/delivery/mail/resend/{operationId}/{attachDocuments}`: send the "documents
//! available" e-mail again, now, to the addresses in the body (a JSON array): each address
//! once (compared ignoring case), at most `SIGNSTASH_MAX_RECEIVERS` of them (413 `0.0.4`).
//!
//! Each receiver gets a new portal link and a delivery row of its own, inserted already claimed
//! (so the outbox worker does not send it too) and marked with the result. A failed send is
//! recorded `SENDING_FAILED` rather than left to the outbox's retries: the integrator is told
//! (502 `0.0.5`) and decides itself whether to resend, so one request never produces a
//! surprise e-mail minutes later.

use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use signstash_domain::{DeliveryStatus, ErrorCode};
use signstash_oauth::{BearerClient, TokenRejection};
use signstash_store::deliveries::{self, RetryPolicy};
use signstash_store::{operations, StoreError};

use crate::error::{ApiError, ErrorBody};
use crate::outbox;
use crate::routes::sign::authenticate_to_create;
use crate::state::AppState;
use crate::view::{self, SignOperation};

/// The claim on a resent delivery: longer than any SMTP exchange (`outbox::SMTP_TIMEOUTS`).
const RESEND_LEASE: Duration = Duration::from_secs(300);

pub fn router() -> Router<AppState> {
    const PATH: &str = "/api/v0/delivery/mail/resend/{id}/{attach}";
    Router::new()
        .route(PATH, post(resend))
        .route(&format!("{PATH}/"), post(resend))
}

fn not_found() -> ApiError {
    ApiError::not_found("operation not found")
}

/// Send the "documents available" e-mail again, now, to the given addresses.
#[utoipa::path(
    post,
    path = "/api/v0/delivery/mail/resend/{operationId}/{attachDocuments}",
    tag = "delivery",
    security(("bearer" = [])),
    params(("operationId" = i64, Path), ("attachDocuments" = bool, Path)),
    request_body(content = Vec<String>, description = "E-mail addresses"),
    responses(
        (status = 200, body = SignOperation),
        (status = 404, description = "No such operation for this client service", body = ErrorBody),
        (status = 409, description = "Client service suspended (`1.1.3`)", body = ErrorBody),
        (status = 413, description = "More distinct addresses than the limit (`0.0.4`, 50 by default)", body = ErrorBody),
        (status = 502, description = "The e-mail could not be sent (`0.0.5`)", body = ErrorBody),
        (status = 400, description = "Malformed request (`0.0.2`), parameter (`0.0.6`), visible signature (`2.2.1`), signature location (`2.3.1`)", body = ErrorBody),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
    )
)]
async fn resend(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<Vec<String>>, JsonRejection>,
) -> Result<Json<SignOperation>, ApiError> {
    let auth = authenticate_to_create(&app, bearer).await?;
    let Path((id, attach)) = path?;
    let cs = &auth.client_service;
    let id = crate::routes::operations::operation_id(&id)?;
    let attach = match attach.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(ApiError::new(
                ErrorCode::ParameterValidation,
                format!("attachDocuments must be true or false, not `{other}`"),
            ))
        }
    };
    let Json(addresses) = body?;
    if addresses.is_empty() {
        return Err(ApiError::attribute(
            "at least one e-mail address is required",
        ));
    }
    let receivers = crate::dto::distinct_receivers(
        addresses.into_iter().map(Some).collect(),
        |i| format!("[{i}]"),
        "the body",
        app.limits.max_receivers,
    )?;
    operations::find(&app.db, cs.id, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    let mailer = app.mailer.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::MissingConfiguration,
            "e-mail delivery is not configured",
        )
    })?;

    let mut claims = Vec::with_capacity(receivers.len());
    for receiver in &receivers {
        match deliveries::enqueue_claimed(&app.db, cs.id, id, receiver, attach, RESEND_LEASE).await
        {
            Ok(c) => claims.push(c),
            // Deleted between the read above and now.
            Err(StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    let once = RetryPolicy {
        max_attempts: 1,
        ..mailer.retry
    };
    let statuses = futures::future::join_all(claims.iter().map(|c| {
        let (app, mailer) = (&app, &mailer);
        async move {
            let outcome = outbox::attempt(app, mailer, c).await;
            outbox::record(app, c, outcome, &once).await
        }
    }))
    .await;
    let failed = statuses
        .iter()
        .filter(|s| **s != DeliveryStatus::Sent)
        .count();
    if failed > 0 {
        return Err(ApiError::new(
            ErrorCode::EmailNotSent,
            format!(
                "the e-mail could not be sent to {failed} of {} receivers",
                statuses.len()
            ),
        ));
    }
    view::load(&app, cs, id, false)
        .await?
        .map(Json)
        .ok_or_else(not_found)
}
