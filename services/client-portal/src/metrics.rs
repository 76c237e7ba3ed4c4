//! Prometheus metrics at `/metrics`, in the text exposition format: requests by route and
//! status, and what receivers did (links opened or refused, documents viewed and downloaded).
//! Kept dependency-free, like integration-ws: a few counters under one mutex.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    accesses: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub struct Metrics(Mutex<Inner>);

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut m) = self.0.lock() {
            *m.requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
    }

    /// One receiver access of `kind` (`link_opened`, `link_refused`, `document_viewed`,
    /// `document_downloaded`, `zip_downloaded`).
    pub fn access(&self, kind: &'static str) {
        if let Ok(mut m) = self.0.lock() {
            *m.accesses.entry(kind).or_default() += 1;
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(m) = self.0.lock() else { return out };
        out.push_str("# HELP signstash_portal_http_requests_total HTTP requests by route and status.\n# TYPE signstash_portal_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(out, "signstash_portal_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP signstash_portal_accesses_total Receiver accesses by kind.\n# TYPE signstash_portal_accesses_total counter\n");
        for (kind, n) in &m.accesses {
            let _ = writeln!(
                out,
                "signstash_portal_accesses_total{{kind=\"{kind}\"}} {n}"
            );
        }
        out
    }
}

/// Counts every request by its matched route: never the raw path, which holds the token.
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    app.metrics
        .request(&method, &route, response.status().as_u16());
    response
}

pub async fn scrape(State(app): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        app.metrics.render(),
    )
        .into_response()
}
