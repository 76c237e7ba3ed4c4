//! Prometheus metrics at `/metrics`, in the text exposition format: requests by route and
//! status (the services' shared counter, [`signstash_web::metrics`]), signing latency by format, documents by sign status, and the outbox depth (read
//! from the database when scraped). Kept dependency-free: a few counters under one mutex.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use signstash_web::metrics::RequestMetrics;

use crate::state::AppState;

/// Upper bounds (seconds) of the signing-latency histogram buckets.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    signing: BTreeMap<String, Histogram>,
    documents: BTreeMap<String, u64>,
}

pub struct Metrics {
    /// Requests by method, matched route (never the raw path: ids would explode the labels)
    /// and status.
    pub requests: Arc<RequestMetrics>,
    inner: Mutex<Inner>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Arc::new(RequestMetrics::new("signstash_http_requests_total")),
            inner: Mutex::default(),
        }
    }
}

impl Metrics {
    /// One document signed (or not) in `elapsed`; `format` is PAdES, XAdES or CAdES.
    pub fn document(&self, format: &str, sign_status: &str, elapsed: Duration) {
        if let Ok(mut m) = self.inner.lock() {
            *m.documents.entry(sign_status.to_string()).or_default() += 1;
            let h = m.signing.entry(format.to_string()).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    pub fn render(&self, outbox_depth: Option<i64>) -> String {
        let mut out = String::new();
        self.requests.render(&mut out);
        let Ok(m) = self.inner.lock() else { return out };
        out.push_str("# HELP signstash_signing_seconds Time to sign one document, by format.\n# TYPE signstash_signing_seconds histogram\n");
        for (format, h) in &m.signing {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "signstash_signing_seconds_bucket{{format=\"{format}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "signstash_signing_seconds_bucket{{format=\"{format}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "signstash_signing_seconds_sum{{format=\"{format}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "signstash_signing_seconds_count{{format=\"{format}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP signstash_documents_total Documents by sign status.\n# TYPE signstash_documents_total counter\n");
        for (status, n) in &m.documents {
            let _ = writeln!(out, "signstash_documents_total{{status=\"{status}\"}} {n}");
        }
        if let Some(depth) = outbox_depth {
            out.push_str("# HELP signstash_outbox_depth E-mail deliveries waiting to be sent.\n# TYPE signstash_outbox_depth gauge\n");
            let _ = writeln!(out, "signstash_outbox_depth {depth}");
        }
        out
    }
}

pub async fn scrape(State(app): State<AppState>) -> Response {
    let depth = signstash_store::deliveries::queue_depth(&app.db).await.ok();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            signstash_web::metrics::CONTENT_TYPE,
        )],
        app.metrics.render(depth),
    )
        .into_response()
}
