//! The Sign'Stash client portal: the receiver of a "documents available" e-mail follows its
//! link `/d/{token}` to a page with the operation's signed documents, and views or downloads
//! them. Server-rendered (askama), working without JavaScript; every asset is served here.
//!
//! - [`access`]: from a token to its operation (only hashes are stored; every bad link is
//!   the same "invalid or expired link" page), and the audit record of every access;
//! - [`page`]: the frame of every page: language (switchable), the client service's brand;
//! - [`routes`]: the operation page, document view / download / zip, the static assets;
//! - [`signatures`]: each document's signature as our own verifier sees it now;
//! - [`security`]: the headers of every response (CSP, `nosniff`, no framing, no referrer,
//!   `no-store`);
//! - `/health/live`, `/health/ready`, `/metrics` as in integration-ws.
//!
//! The portal reads what integration-ws wrote (same database, document store and master
//! key); it writes only the audit log and the links' first-opened time.

pub mod access;
pub mod config;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod metrics;
pub mod page;
pub mod routes;
pub mod signatures;
pub mod state;
pub mod xml_view;

/// The headers of every response: the services' shared ones.
pub use signstash_web::security;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret as _;
use signstash_store::{DocumentStore, MasterKey};
use signstash_web::span::MakeSpan;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::state::{App, AppState};

/// Every route of the service, with the middleware every response goes through.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health/live", get(signstash_web::health::live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::scrape))
        .merge(routes::router())
        .fallback(|| async { error::not_found_page() })
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.requests.clone(),
            signstash_web::metrics::track,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(security::headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        // The span names the matched route, never the path: the path holds the token.
        .layer(axum::middleware::from_fn_with_state(
            signstash_web::span::request_span as MakeSpan,
            signstash_web::span::span,
        ))
        .with_state(state)
}

async fn ready(State(app): State<AppState>) -> StatusCode {
    signstash_web::health::ready(&app.db, Some(&app.documents)).await
}

/// The state over a pool (tests build it on their own, migrated, database).
pub fn state_from(db: PgPool, config: &Config) -> Result<AppState, String> {
    let master_key = MasterKey::from_base64(&config.master_key)
        .map_err(|e| format!("SIGNSTASH_MASTER_KEY: {e}"))?;
    let documents = DocumentStore::new(&config.documents, master_key)
        .map_err(|e| format!("document store: {e}"))?;
    Ok(AppState(Arc::new(App {
        db,
        documents,
        metrics: metrics::Metrics::default(),
        trust_forwarded_for: config.trust_forwarded_for,
        max_xml_view_bytes: config.max_xml_view_bytes,
        limits: config.limits.clone(),
        mailer: mail::CodeMailer::new(&config.mail)?,
        secure_cookies: config.base_url.starts_with("https://"),
    })))
}

/// A built, bound service: `port()` is known before `run` (port 0 allowed).
pub struct Application(signstash_web::Server);

impl Application {
    /// Connects to the database (applying any pending migration, as integration-ws does:
    /// sqlx serialises concurrent runs with a lock), opens the document store and binds.
    pub async fn build(config: &Config) -> Result<Self, String> {
        let db = signstash_web::server::connect_migrated(
            config.database_url.expose_secret(),
            config.db_max_connections,
        )
        .await?;
        Self::with_state(state_from(db, config)?, config.bind).await
    }

    /// Binds `bind` for a given state (tests).
    pub async fn with_state(state: AppState, bind: SocketAddr) -> Result<Self, String> {
        signstash_web::Server::bind(bind, router(state))
            .await
            .map(Self)
    }

    pub fn port(&self) -> u16 {
        self.0.port()
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.0.local_addr()
    }

    /// Serves until SIGINT/SIGTERM, finishing in-flight requests.
    pub async fn run(self) -> std::io::Result<()> {
        self.0.run().await
    }

    /// Serves until `shutdown` completes, finishing in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.0.run_until(shutdown).await
    }
}
