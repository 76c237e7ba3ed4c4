//! The Sign'Stash integration API v0 (`../shared/design/api-v0.md`): the token server, the
//! signing endpoints and the operation reads, over PostgreSQL and the encrypted document store,
//! and the e-mail outbox worker ([`outbox`]) with the resend endpoint.
//! The OpenAPI description ([`openapi`]) is generated from the handlers and served with Swagger UI.

pub mod batch;
pub mod config;
pub mod demo;
pub mod dto;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod routes;
pub mod state;
pub mod sweeper;
pub mod telemetry;
pub mod tenancy;
pub mod view;
pub mod work;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret;
use signstash_oauth::TokenService;
use signstash_signing::{HttpTimeStamper, KeyFileSigner, TimeStamper, TimestampAuthority};
use signstash_store::{DocumentStore, MasterKey};
use sqlx::PgPool;

use crate::config::{Config, MailConfig};
use crate::dto::Limits;
use crate::outbox::Mailer;
use crate::state::{App, AppState};

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/health/live", get(signstash_web::health::live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::scrape))
        .merge(routes::sign::router())
        .merge(routes::operations::router())
        .merge(routes::delivery::router())
        .merge(routes::hash::router())
        .merge(routes::timestamp::router(state.public_tsa))
        .merge(signstash_oauth::router())
        .merge(openapi::router())
        // After every route: it reaches only the routes merged before it.
        .method_not_allowed_fallback(routes::unmatched::method_not_allowed)
        .fallback(routes::unmatched::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            work::detach,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.requests.clone(),
            signstash_web::metrics::track,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            telemetry::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            telemetry::request_span as signstash_web::span::MakeSpan,
            signstash_web::span::span,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn ready(State(app): State<AppState>) -> axum::http::StatusCode {
    signstash_web::health::ready(&app.db, Some(&app.documents)).await
}

/// A built, bound service: `port()` is known before `run` (port 0 allowed). The outbox worker
/// runs from `build` on; `run` stops it (between batches) after the server has drained.
pub struct Application {
    server: signstash_web::Server,
    outbox_shutdown: tokio::sync::watch::Sender<bool>,
    outbox: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
    work: tokio_util::task::TaskTracker,
}

impl Application {
    pub async fn build(config: &Config) -> Result<Self, String> {
        let db = signstash_web::server::connect_migrated(
            config.database_url.expose_secret(),
            config.db_max_connections,
        )
        .await?;
        let mailer = Arc::new(Mailer::from_config(&MailConfig::from_env()?)?);
        let state = state_with_mailer(db, config, mailer.clone()).await?;
        let work = state.work.clone();
        let server = signstash_web::Server::bind(config.bind, router(state.clone())).await?;
        let (outbox_shutdown, stop) = tokio::sync::watch::channel(false);
        let outbox = outbox::spawn(state.clone(), mailer, stop.clone());
        let sweeper = sweeper::Sweeper::default().spawn(state.clone(), stop);
        Ok(Self {
            server,
            work,
            outbox_shutdown,
            outbox,
            sweeper,
        })
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.local_addr()
    }

    /// Serves until SIGINT/SIGTERM, finishing in-flight requests, then lets the outbox worker
    /// finish and record its current batch.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.run().await;
        // Work whose client went away before the shutdown still finishes.
        self.work.close();
        self.work.wait().await;
        let _ = self.outbox_shutdown.send(true);
        let _ = self.sweeper.await;
        if let Err(e) = self.outbox.await {
            tracing::error!(error = %e, "outbox worker ended abnormally");
        }
        served
    }
}

/// The state for a database that is migrated already (tests build it on their own pool). Its
/// mailer follows the `SIGNSTASH_SMTP_URL` & co. variables ([`MailConfig::from_env`]); no
/// outbox worker is started (a test runs [`outbox::run_once`] or [`outbox::spawn`] itself).
pub async fn state_from(db: PgPool, config: &Config) -> Result<AppState, String> {
    let mailer = Mailer::from_config(&MailConfig::from_env()?)?;
    state_with_mailer(db, config, Arc::new(mailer)).await
}

/// [`state_from`] with a given mailer (a test's SMTP server).
pub async fn state_with_mailer(
    db: PgPool,
    config: &Config,
    mailer: Arc<Mailer>,
) -> Result<AppState, String> {
    let master_key = MasterKey::from_base64(&config.master_key)
        .map_err(|e| format!("SIGNSTASH_MASTER_KEY: {e}"))?;
    let documents = DocumentStore::new(
        &config.documents,
        MasterKey::from_base64(&config.master_key).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("document store: {e}"))?;
    let ring = state::load_key_ring(&db, &master_key).await?;
    let tokens = TokenService::new(ring, config.jwt_issuer.clone());
    let embedded_tsa = match (&config.tsa_cert, &config.tsa_key) {
        (Some(cert), Some(key)) => {
            let read =
                |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
            let signer = KeyFileSigner::from_pem(&read(key)?, &read(cert)?, None)
                .map_err(|e| format!("SIGNSTASH_TSA_CERT/KEY: {e}"))?;
            Some(Arc::new(TimestampAuthority::new(Arc::new(signer))))
        }
        _ => None,
    };
    let tsa: Option<Arc<dyn TimeStamper>> = match &config.tsa_url {
        Some(url) => Some(Arc::new(HttpTimeStamper::new(url.clone()))),
        None => embedded_tsa.clone().map(|t| t as Arc<dyn TimeStamper>),
    };
    let body_budget =
        work::BodyBudget::new(config.body_memory_bytes, config.max_body_bytes as u64)?;
    let limits = Limits {
        max_documents: config.max_documents,
        max_document_bytes: config.max_document_bytes,
        max_body_bytes: config.max_body_bytes,
        max_receivers: config.max_receivers,
    };
    Ok(AppState(Arc::new(
        App::new(
            db,
            documents,
            master_key,
            tokens,
            limits,
            tsa,
            embedded_tsa,
            body_budget,
        )
        .with_mailer(mailer)
        .with_public_tsa(config.public_tsa)
        .with_token_throttle(&config.token_throttle),
    )))
}
