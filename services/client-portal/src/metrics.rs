//! Prometheus metrics at `/metrics`, in the text exposition format: requests by route and
//! status (the services' shared counter, [`signstash_web::metrics`]), and what receivers did
//! (links opened or refused, documents viewed and downloaded). Kept dependency-free, like
//! integration-ws: a few counters under a mutex.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use signstash_web::metrics::RequestMetrics;

use crate::state::AppState;

pub struct Metrics {
    /// Requests by method, matched route (never the raw path, which holds the token) and status.
    pub requests: Arc<RequestMetrics>,
    accesses: Mutex<BTreeMap<&'static str, u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Arc::new(RequestMetrics::new("signstash_portal_http_requests_total")),
            accesses: Mutex::default(),
        }
    }
}

impl Metrics {
    /// One receiver access of `kind` (`link_opened`, `link_refused`, `document_viewed`,
    /// `document_downloaded`, `zip_downloaded`).
    pub fn access(&self, kind: &'static str) {
        if let Ok(mut m) = self.accesses.lock() {
            *m.entry(kind).or_default() += 1;
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.requests.render(&mut out);
        let Ok(m) = self.accesses.lock() else {
            return out;
        };
        out.push_str("# HELP signstash_portal_accesses_total Receiver accesses by kind.\n# TYPE signstash_portal_accesses_total counter\n");
        for (kind, n) in m.iter() {
            let _ = writeln!(
                out,
                "signstash_portal_accesses_total{{kind=\"{kind}\"}} {n}"
            );
        }
        out
    }
}

pub async fn scrape(State(app): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            signstash_web::metrics::CONTENT_TYPE,
        )],
        app.metrics.render(),
    )
        .into_response()
}
