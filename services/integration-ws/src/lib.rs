//! The Sign'Stash integration API v0 (`../shared/design/api-v0.md`).
//!
//! Built so far: the wire contract of `SignRequest` and its validation into signing parameters,
//! and the error body with the codes of the API page. The store, token server, endpoints and
//! delivery are wired by the rest of the integration-service issue.

pub mod dto;
pub mod error;

use axum::routing::get;
use axum::Router;

/// The service's routes (so far the liveness probe).
pub fn router() -> Router {
    Router::new().route("/health/live", get(|| async { "ok" }))
}
