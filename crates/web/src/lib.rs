//! The Sign'Stash services' shared HTTP plumbing: what integration-ws, client-portal (and the
//! services after them) would otherwise each write again.
//!
//! - [`server`]: a bound listener with its router ([`Server`]; `port()` known before serving,
//!   port 0 allowed), served until SIGINT/SIGTERM or a given future, finishing in-flight
//!   requests; [`server::connect_migrated`], the database pool with pending migrations applied;
//! - [`start`]: a service's `main` — tracing set-up (`RUST_LOG`, `SIGNSTASH_LOG_JSON`), then its
//!   body, and the exit code with the one-line error on stderr;
//! - [`span`]: one `tracing` span per request with a request id (echoed as `X-Request-Id`),
//!   the method and the matched route (never the path, which may hold tokens);
//! - [`metrics`]: HTTP requests counted by method, matched route and status, in Prometheus's
//!   text format;
//! - [`security`]: the headers every HTML response carries (CSP, `nosniff`, no framing, no
//!   referrer, `no-store` unless a route says otherwise);
//! - [`health`]: `/health/live` and the readiness answer;
//! - [`page`]: an askama page as a response, with a plain 500 if the template fails;
//! - [`language`]: a page's language from `?lang=`, the service's cookie or its default;
//! - [`assets`]: a compiled-in static file, cacheable.
//!
//! Environment parsing stays in `signstash_store::env`, where every crate already finds it.

pub mod assets;
pub mod health;
pub mod language;
pub mod metrics;
pub mod page;
pub mod security;
pub mod server;
pub mod span;
pub mod start;

pub use server::{shutdown_signal, Server};
