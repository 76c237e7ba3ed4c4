//! One `tracing` span per request, carrying a request id (the caller's `X-Request-Id` when it is
//! a short printable token, else a new UUID; echoed in the response), the route, and — once they
//! are known — the client service and the operation id, so every log line of a request (the
//! `0.0.1` errors above all) can be tied to the answer the integrator got. Panics in a handler
//! become a bare 500 `0.0.1`, logged in that span, never a dropped connection.

use std::any::Any;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The caller's id if it is 1–64 visible ASCII characters, else a fresh UUID.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The middleware: runs the rest of the request inside its span.
pub async fn span(request: Request, next: Next) -> Response {
    let id = request_id(&request);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = %route,
        client_service = tracing::field::Empty,
        operation_id = tracing::field::Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(status = response.status().as_u16(), "answered");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Records the authenticated client service on the request's span.
pub fn record_client_service(alias: &str) {
    tracing::Span::current().record("client_service", alias);
}

/// Records the operation id on the request's span.
pub fn record_operation(id: i64) {
    tracing::Span::current().record("operation_id", id);
}

/// For `tower_http::catch_panic`: the panic is logged (inside the request's span) and answered
/// as a bare 500 `0.0.1`.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}
