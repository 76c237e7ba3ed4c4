//! One `tracing` span per request ([`signstash_web::span`]), carrying a request id (the caller's
//! `X-Request-Id` when it is a short printable token, else a new UUID; echoed in the response),
//! the route, and — once they are known — the client service and the operation id, so every log line of a request (the
//! `0.0.1` errors above all) can be tied to the answer the integrator got. Panics in a handler
//! become a bare 500 `0.0.1`, logged in that span, never a dropped connection.

use std::any::Any;

use axum::http::Method;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The request's span ([`signstash_web::span`]: request id, method, route) with the client
/// service and the operation id, recorded once known.
pub fn request_span(request_id: &str, method: &Method, route: &str) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = %route,
        client_service = tracing::field::Empty,
        operation_id = tracing::field::Empty,
    )
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
