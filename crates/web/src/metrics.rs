//! HTTP requests counted by method, matched route and status (never the raw path: ids and
//! tokens would explode the labels and leak), written in Prometheus's text exposition format.
//! Dependency-free: one map under a mutex. A service renders it first in its `/metrics`, then
//! its own counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The request counter `name` (e.g. `signstash_http_requests_total`).
pub struct RequestMetrics {
    name: &'static str,
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl RequestMetrics {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            counts: Mutex::default(),
        }
    }

    pub fn request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut m) = self.counts.lock() {
            *m.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
    }

    /// Appends the counter, with its HELP and TYPE lines, to `out`.
    pub fn render(&self, out: &mut String) {
        let Ok(m) = self.counts.lock() else { return };
        let name = self.name;
        let _ = writeln!(
            out,
            "# HELP {name} HTTP requests by route and status.\n# TYPE {name} counter"
        );
        for ((method, route, status), n) in m.iter() {
            let _ = writeln!(
                out,
                "{name}{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
    }
}

/// The middleware (`from_fn_with_state(metrics, track)`): counts every request by its matched
/// route and the status it was answered with.
pub async fn track(
    State(metrics): State<Arc<RequestMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let route = crate::span::route(&request);
    let response = next.run(request).await;
    metrics.request(&method, &route, response.status().as_u16());
    response
}

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt as _;

    #[tokio::test]
    async fn requests_are_counted_by_matched_route_never_by_path() {
        let metrics = Arc::new(RequestMetrics::new("test_requests_total"));
        let router = Router::new()
            .route("/d/{token}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(metrics.clone(), track));
        for path in ["/d/secret-one", "/d/secret-two", "/elsewhere"] {
            router
                .clone()
                .oneshot(
                    axum::http::Request::builder()
                        .uri(path)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
        }
        let mut out = String::new();
        metrics.render(&mut out);
        assert_eq!(
            out,
            "# HELP test_requests_total HTTP requests by route and status.\n\
             # TYPE test_requests_total counter\n\
             test_requests_total{method=\"GET\",route=\"/d/{token}\",status=\"200\"} 2\n\
             test_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"
        );
    }
}
