//! The system timestamp authority (RFC 3161, the embedded one): `POST /api/v0/timestamp` for
//! client services, so the on-premise proxy reaches B-T, and, only when `SIGNSTASH_PUBLIC_TSA`
//! is on, `POST /tsa` for anyone (development: the command-line signer's `--tsa-url`).
//!
//! Through the API a timestamp is work done for a client service like a signature: the token
//! and the client service's state are checked as for hash signing, it takes a slot of the
//! client service's concurrency limit, and each granted token counts as consumption
//! (`usage_counters`, `TIMESTAMPS_GRANTED`). A request the authority refuses (not a
//! `TimeStampReq`, an unknown digest algorithm) gets the protocol's rejection reply, uncounted.

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use signstash_domain::{ErrorCode, UsageMetric};
use signstash_oauth::{BearerClient, TokenRejection};
use signstash_signing::tsp::Reply;
use signstash_signing::TimestampAuthority;

use crate::error::{ApiError, ErrorBody};
use crate::routes::sign::authenticate_to_create;
use crate::state::AppState;

/// A `TimeStampReq` is a digest and a few fields: a few hundred bytes.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// `/api/v0/timestamp`, and `/tsa` when `public` (`SIGNSTASH_PUBLIC_TSA`).
pub fn router(public: bool) -> Router<AppState> {
    let router = Router::new()
        .route("/api/v0/timestamp", post(timestamp))
        .route("/api/v0/timestamp/", post(timestamp));
    let router = if public {
        router.route("/tsa", post(public_timestamp))
    } else {
        router
    };
    router.layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
}

/// The system timestamp authority (RFC 3161 request in, reply out), so the proxy reaches B-T.
///
/// Each granted timestamp counts as consumption of the client service.
#[utoipa::path(
    post,
    path = "/api/v0/timestamp",
    tag = "proxy",
    security(("bearer" = [])),
    request_body(content = String, content_type = "application/timestamp-query", description = "A DER TimeStampReq"),
    responses(
        (status = 200, description = "A DER TimeStampResp: a token (counted), or a rejection when the request is not one the authority serves (not counted)", content_type = "application/timestamp-reply", body = String),
        (status = 401, description = "Token expired or invalid (`0.0.10`), invalid client service (`1.1.0`), client service not active (`1.1.1`)", body = ErrorBody),
        (status = 403, description = "Issuer company not active (`1.2.0`)", body = ErrorBody),
        (status = 409, description = "Client service suspended (`1.1.3`)", body = ErrorBody),
        (status = 413, description = "Request over 16 KiB (`0.0.4`)", body = ErrorBody),
        (status = 429, description = "Too many parallel requests (`0.0.11`), with `Retry-After`", body = ErrorBody),
        (status = 500, description = "Unhandled (`0.0.1`) or no timestamp authority in this deployment (`0.0.3`)", body = ErrorBody),
    )
)]
async fn timestamp(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let auth = authenticate_to_create(&app, bearer).await?;
    let cs = &auth.client_service;
    let tsa = app.embedded_tsa.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::MissingConfiguration,
            "this deployment serves no timestamp authority",
        )
    })?;
    let body = body.map_err(|_| {
        ApiError::new(
            ErrorCode::AttributeSizeExceeded,
            format!("a timestamp request holds at most {MAX_REQUEST_BYTES} bytes"),
        )
    })?;
    let _slot = app.admit(cs.id, cs.concurrency_limit)?;
    let reply = answer(tsa, body).await?;
    if let Reply::Granted(_) = &reply {
        // Counted before it is handed out: a token the count missed never leaves.
        signstash_store::usage::count(&app.db, cs.id, UsageMetric::TimestampsGranted, 1)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(timestamp_reply(reply))
}

/// `/tsa`: the same authority for anyone, uncounted (mounted only with `SIGNSTASH_PUBLIC_TSA`).
async fn public_timestamp(State(app): State<AppState>, body: Bytes) -> Response {
    let Some(tsa) = app.embedded_tsa.clone() else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    match answer(tsa, body).await {
        Ok(reply) => timestamp_reply(reply),
        Err(e) => e.into_response(),
    }
}

/// The token is signed on a blocking thread (an RSA or ECDSA signature, or a token's).
async fn answer(tsa: std::sync::Arc<TimestampAuthority>, body: Bytes) -> Result<Reply, ApiError> {
    tokio::task::spawn_blocking(move || tsa.reply(&body))
        .await
        .map_err(ApiError::internal)
}

fn timestamp_reply(reply: Reply) -> Response {
    (
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        reply.into_der(),
    )
        .into_response()
}
