//! Every request's work runs apart from its connection, within a memory budget.
//!
//! An integrator that times out does not know whether its documents were signed; the API's
//! recovery flow (by external reference) only helps if the work it started finishes. So each
//! request runs in a task of its own ([`detach`]): a client closing the connection cancels the
//! wait for the answer, never the signing, storing and recording. The tasks are tracked, and
//! a graceful shutdown waits for them.
//!
//! Request bodies are held in memory (base64 decoded, signed, answered), so the service bounds
//! the memory they take across every client service: each request reserves
//! [`BodyBudget::RESERVED_PER_BODY_BYTE`] times its body's size (`Content-Length`, or the body
//! limit when it is not announced) before its body is read, and keeps the reservation until its
//! work ends. When the budget is spent the request is refused at once with 429 `0.0.11` and
//! `Retry-After` (on `/oauth`, RFC 6749's `temporarily_unavailable` with 503).

use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use signstash_domain::ErrorCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::AppState;

/// The memory request bodies may take, across the service, counted in KiB.
#[derive(Debug)]
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
    /// Bytes reserved for a body whose size is not announced (the body limit's worth).
    unannounced: u64,
}

impl BodyBudget {
    /// A request holds its body, the decoded documents and the signed ones (and their base64
    /// in the answer when asked for): about twice the body at its peak, measured with
    /// `cargo xtask bench api` (the "memory budget" table).
    pub const RESERVED_PER_BODY_BYTE: u64 = 2;

    /// `total_bytes` for every request's bodies; `max_body_bytes` is the largest body one
    /// request may send, which must fit.
    pub fn new(total_bytes: u64, max_body_bytes: u64) -> Result<Self, String> {
        let budget = Self {
            kib: Arc::new(Semaphore::new(0)),
            total_kib: u32::try_from(total_bytes.div_ceil(1024)).unwrap_or(u32::MAX),
            unannounced: max_body_bytes,
        };
        let largest = budget.kib_for(max_body_bytes);
        if largest > budget.total_kib {
            return Err(format!(
                "SIGNSTASH_BODY_MEMORY_BYTES: {total_bytes} cannot hold one request of \
                 SIGNSTASH_MAX_BODY_BYTES ({max_body_bytes}), which reserves {} bytes",
                u64::from(largest) * 1024
            ));
        }
        budget.kib.add_permits(budget.total_kib as usize);
        Ok(budget)
    }

    fn kib_for(&self, body_bytes: u64) -> u32 {
        let reserved = body_bytes
            .min(self.unannounced)
            .saturating_mul(Self::RESERVED_PER_BODY_BYTE);
        u32::try_from(reserved.div_ceil(1024)).unwrap_or(u32::MAX)
    }

    /// A reservation for a body of `body_bytes` (`None`: not announced), or `None` when the
    /// budget does not have it now.
    pub fn reserve(&self, body_bytes: Option<u64>) -> Option<Reservation> {
        let kib = self.kib_for(body_bytes.unwrap_or(self.unannounced));
        if kib == 0 {
            return Some(Reservation(None));
        }
        self.kib
            .clone()
            .try_acquire_many_owned(kib)
            .ok()
            .map(|p| Reservation(Some(p)))
    }

    /// What is reserved now, in bytes (the metrics page).
    pub fn reserved_bytes(&self) -> u64 {
        u64::from(self.total_kib).saturating_sub(self.kib.available_permits() as u64) * 1024
    }

    pub fn total_bytes(&self) -> u64 {
        u64::from(self.total_kib) * 1024
    }
}

/// Memory held for one request until its work ends.
#[derive(Debug)]
pub struct Reservation(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// The middleware: reserve the body's memory, then run the rest of the request in a tracked
/// task of its own, in the request's span. Dropping this future (the client went away) leaves
/// the task running to its end.
pub async fn detach(State(app): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let announced = request.body().size_hint().exact();
    let Some(reservation) = app.body_budget.reserve(announced) else {
        let response = over_budget(request.uri().path());
        discard_body(request.into_body(), app.body_budget.unannounced).await;
        return response;
    };
    let span = tracing::Span::current();
    let work = app.work.spawn(
        async move {
            let response = next.run(request).await;
            drop(reservation);
            response
        }
        .instrument(span),
    );
    match work.await {
        Ok(response) => response,
        Err(e) => ApiError::internal(format!("request task failed: {e}")).into_response(),
    }
}

/// Reads and drops a refused request's body, a chunk at a time (no memory held), up to `limit`
/// bytes: a client that sends its whole body before reading the answer (most do, without
/// `Expect: 100-continue`) then reads the 429 instead of a connection reset.
async fn discard_body(body: Body, limit: u64) {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut seen = 0u64;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len() as u64;
        if seen > limit {
            break;
        }
    }
}

fn over_budget(path: &str) -> Response {
    tracing::warn!("request refused: the body memory budget is spent");
    if path.starts_with("/oauth") {
        let mut response = (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "error": "temporarily_unavailable",
                "error_description": "the service is busy; retry shortly",
            })),
        )
            .into_response();
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return response;
    }
    ApiError::new(
        ErrorCode::TooManyRequests,
        "the service holds as many request bodies as its memory budget allows; retry shortly",
    )
    .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn reservations_are_bounded_and_returned() {
        let budget = BodyBudget::new(256 * MIB, 64 * MIB).unwrap();
        let a = budget.reserve(Some(60 * MIB)).expect("first fits");
        let b = budget.reserve(Some(60 * MIB)).expect("second fits");
        assert_eq!(budget.reserved_bytes(), 240 * MIB);
        assert!(
            budget.reserve(Some(60 * MIB)).is_none(),
            "a third would pass 256 MiB"
        );
        assert!(
            budget.reserve(Some(MIB)).is_some(),
            "a small one still fits"
        );
        drop(a);
        assert!(budget.reserve(Some(60 * MIB)).is_some());
        drop(b);
        assert_eq!(budget.reserved_bytes(), 0);
    }

    #[test]
    fn an_unannounced_body_reserves_the_limit() {
        let budget = BodyBudget::new(200 * MIB, 64 * MIB).unwrap();
        let _r = budget.reserve(None).unwrap();
        assert_eq!(budget.reserved_bytes(), 128 * MIB);
        assert!(budget.reserve(None).is_none());
    }

    #[test]
    fn an_empty_body_reserves_nothing() {
        let budget = BodyBudget::new(128 * MIB, 64 * MIB).unwrap();
        let _full = budget.reserve(Some(64 * MIB)).unwrap();
        assert!(budget.reserve(Some(0)).is_some());
    }

    #[test]
    fn a_budget_smaller_than_one_request_is_refused() {
        let e = BodyBudget::new(100 * MIB, 64 * MIB).unwrap_err();
        assert!(e.contains("SIGNSTASH_BODY_MEMORY_BYTES"), "{e}");
    }
}
