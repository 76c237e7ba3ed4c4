//! The Sign'Stash backoffice (`../shared/design/backoffice.md`): the operators' web application,
//! server-rendered (askama), working without JavaScript, every asset served here, in pt_PT and
//! en. Part 1 builds it in stages; what exists now:
//!
//! - the service's house on the shared plumbing ([`signstash_web`]): [`Application`] (port
//!   8081 by default, graceful shutdown), `/health/live`, `/health/ready`, `/metrics`, one span
//!   per request, the security headers of every response, a panic answered 500;
//! - [`i18n`]: the two languages, switchable, remembered in a cookie;
//! - [`routes`]: sign-in (e-mail and password, argon2id off the async workers, one answer
//!   for every failure), sign-out (a POST), the home page and one page per menu the role may
//!   use (each "not built yet"), the static assets;
//! - [`session`]: sessions in PostgreSQL (token stored as its SHA-256, HttpOnly +
//!   SameSite=Strict cookie, Secure over https, idle and absolute limits, rotated at sign-in,
//!   ended at the next request once the operator is not ACTIVE);
//! - [`csrf`]: a POST from another site (`Sec-Fetch-Site`, `Origin`) is refused; signed-in
//!   forms carry the session's token;
//! - [`menu`]: the menus and which roles may use each (an exhaustive match);
//! - [`policy`]: (role, action) → allowed, an exhaustive match with a hand-written matrix
//!   test (not yet wired to pages: the pages that change things do not exist yet);
//! - [`demo`]: the four development operators `cargo xtask up` prints.
//!
//! The menus' contents, the tenancy scope, lockout, activation and the audit log come next.

pub mod audit;
pub mod config;
pub mod csrf;
pub mod demo;
pub mod form;
pub mod i18n;
pub mod list;
pub mod mail;
pub mod menu;
pub mod page;
pub mod pick;
pub mod policy;
pub mod routes;
pub mod session;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret as _;
use signstash_web::metrics::RequestMetrics;
use signstash_web::span::MakeSpan;
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;

/// What every handler shares.
pub struct App {
    pub db: PgPool,
    /// Requests by route and status, served at `/metrics`.
    pub requests: Arc<RequestMetrics>,
    /// Session limits (see [`Config`]).
    pub session_idle_seconds: i64,
    pub session_absolute_seconds: i64,
    /// Cookies get `Secure` (the backoffice is served over https).
    pub secure_cookies: bool,
    /// The system's e-mail settings (see [`Config`]).
    pub system_mail: config::SystemMail,
    /// Sign-in limits (see [`Config`]).
    pub lock_after: i32,
    pub address_failures: i32,
    pub failure_window: time::Duration,
    /// The account e-mails (`None`: the mail settings are wrong, logged at start).
    pub mailer: Option<mail::Mailer>,
    /// The public address, for the links in e-mails.
    pub base_url: String,
    /// Seals the secrets the backoffice stores and opens the sealed signing keys and SMTP
    /// passwords (see [`Config::master_key`]).
    pub master_key: Arc<signstash_store::MasterKey>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// The state over a (migrated) pool.
pub fn state_from(db: PgPool, config: &Config) -> AppState {
    AppState(Arc::new(App {
        db,
        requests: Arc::new(RequestMetrics::new(
            "signstash_backoffice_http_requests_total",
        )),
        session_idle_seconds: config.session_idle_seconds,
        session_absolute_seconds: config.session_absolute_seconds,
        secure_cookies: config.base_url.starts_with("https://"),
        system_mail: config::SystemMail::of(config),
        lock_after: config.lock_after,
        address_failures: config.address_failures,
        failure_window: time::Duration::seconds(config.failure_window_seconds),
        mailer: mail::Mailer::new(config)
            .map_err(|e| tracing::error!(cause = e, "no account e-mails"))
            .ok(),
        base_url: config.base_url.trim_end_matches('/').to_owned(),
        // `Config::from_env` checked it; a hand-made `Config` with a bad key is a bug.
        master_key: Arc::new(
            signstash_store::MasterKey::from_base64(&config.master_key)
                .expect("SIGNSTASH_MASTER_KEY is base64 of 32 bytes"),
        ),
    }))
}

/// Every route of the service, with the middleware every response goes through.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health/live", get(signstash_web::health::live))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(routes::router())
        .merge(assets())
        .fallback(routes::auth::not_found)
        .layer(axum::middleware::from_fn(csrf::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            state.requests.clone(),
            signstash_web::metrics::track,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(signstash_web::security::headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        .layer(axum::middleware::from_fn_with_state(
            signstash_web::span::request_span as MakeSpan,
            signstash_web::span::span,
        ))
        .with_state(state)
}

/// The service's own assets (no CDN).
fn assets() -> Router<AppState> {
    const CSS: &[u8] = include_bytes!("../assets/backoffice.css");
    const LOGO: &[u8] = include_bytes!("../assets/logo.svg");
    const FAVICON: &[u8] = include_bytes!("../assets/favicon.svg");
    const EYE: &[u8] = include_bytes!("../assets/eye.svg");
    use signstash_web::assets::serve;
    Router::new()
        .route(
            "/assets/backoffice.css",
            get(|| async { serve("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/logo.svg",
            get(|| async { serve("image/svg+xml", LOGO) }),
        )
        .route(
            "/assets/favicon.svg",
            get(|| async { serve("image/svg+xml", FAVICON) }),
        )
        .route(
            "/assets/eye.svg",
            get(|| async { serve("image/svg+xml", EYE) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { serve("image/svg+xml", FAVICON) }),
        )
}

async fn ready(State(app): State<AppState>) -> StatusCode {
    signstash_web::health::ready(&app.db, None).await
}

async fn metrics(State(app): State<AppState>) -> impl axum::response::IntoResponse {
    let mut out = String::new();
    app.requests.render(&mut out);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            signstash_web::metrics::CONTENT_TYPE,
        )],
        out,
    )
}

/// A built, bound service: `port()` is known before `run` (port 0 allowed).
pub struct Application(signstash_web::Server);

impl Application {
    /// Connects to the database (applying any pending migration) and binds. Its statements
    /// are planned for their parameters each time
    /// ([`signstash_store::connect_planning_each_time`]).
    pub async fn build(config: &Config) -> Result<Self, String> {
        let db = signstash_store::connect_planning_each_time(
            config.database_url.expose_secret(),
            config.db_max_connections,
        )
        .await
        .map_err(|e| format!("database: {e}"))?;
        signstash_store::MIGRATOR
            .run(&db)
            .await
            .map_err(|e| format!("migrations: {e}"))?;
        Self::with_state(state_from(db, config), config.bind).await
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
