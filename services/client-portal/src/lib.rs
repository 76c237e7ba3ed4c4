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
pub mod security;
pub mod signatures;
pub mod state;
pub mod xml_view;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret as _;
use signstash_store::{DocumentStore, MasterKey};
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::config::Config;
use crate::state::{App, AppState};

/// Every route of the service, with the middleware every response goes through.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::scrape))
        .merge(routes::router())
        .fallback(|| async { error::not_found_page() })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(security::headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        // The span names the matched route, never the path: the path holds the token.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    let request_id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %request.method(), route, request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn ready(State(app): State<AppState>) -> StatusCode {
    let db = sqlx::query("SELECT 1").execute(&app.db).await.is_ok();
    let store = app.documents.check().await.is_ok();
    if db && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
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
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    /// Connects to the database (applying any pending migration, as integration-ws does:
    /// sqlx serialises concurrent runs with a lock), opens the document store and binds.
    pub async fn build(config: &Config) -> Result<Self, String> {
        let db = signstash_store::connect(
            config.database_url.expose_secret(),
            config.db_max_connections,
        )
        .await
        .map_err(|e| format!("database: {e}"))?;
        signstash_store::MIGRATOR
            .run(&db)
            .await
            .map_err(|e| format!("migrations: {e}"))?;
        Self::with_state(state_from(db, config)?, config.bind).await
    }

    /// Binds `bind` for a given state (tests).
    pub async fn with_state(state: AppState, bind: SocketAddr) -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until SIGINT/SIGTERM, finishing in-flight requests.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, finishing in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
