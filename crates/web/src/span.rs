//! One `tracing` span per request, carrying a request id (the caller's `X-Request-Id` when it is
//! 1–64 visible ASCII characters, else a new UUID; echoed in the response), the method and the
//! matched route — never the raw path, which may hold a token or an id. Every log line of the
//! request is inside it, and it ends with one `answered` line (status, milliseconds).
//!
//! A service that records more on the span (integration-ws: the client service and the
//! operation) gives its own [`MakeSpan`], which declares those fields empty.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Makes the span of a request from its id, method and matched route.
pub type MakeSpan = fn(request_id: &str, method: &Method, route: &str) -> tracing::Span;

/// The span with the request id, method and route only.
pub fn request_span(request_id: &str, method: &Method, route: &str) -> tracing::Span {
    tracing::info_span!("request", request_id = %request_id, method = %method, route = %route)
}

/// The matched route of a request, `unmatched` for the fallback.
pub fn route(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into())
}

/// The caller's id if it is 1–64 visible ASCII characters, else a fresh UUID.
pub fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The middleware (`from_fn_with_state(make as MakeSpan, span)`): runs the rest of the request inside
/// its span and echoes the request id.
pub async fn span(State(make): State<MakeSpan>, request: Request, next: Next) -> Response {
    let id = request_id(&request);
    let span = make(&id, request.method(), &route(&request));
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt as _;

    async fn call(id: Option<&str>) -> Response {
        let router = Router::new()
            .route("/x/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                request_span as MakeSpan,
                span,
            ));
        let mut request = axum::http::Request::builder().uri("/x/7");
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        router
            .oneshot(request.body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_good_caller_id_is_echoed_and_any_other_replaced_by_a_uuid() {
        let r = call(Some("erp-call-0001")).await;
        assert_eq!(r.headers()["x-request-id"], "erp-call-0001");
        for bad in [
            None,
            Some(""),
            Some("with space"),
            Some(&"x".repeat(65)[..]),
        ] {
            let r = call(bad).await;
            let id = r.headers()["x-request-id"].to_str().unwrap();
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{bad:?} gave {id}");
        }
    }
}
