//! Sign'Stash persistence: the PostgreSQL schema (`migrations/` at the workspace root), one
//! repository module per aggregate, and the encrypted document store.
//!
//! # Repositories
//!
//! Each module owns the SQL of one aggregate ([`companies`], [`client_services`],
//! [`certificates`], [`operators`], [`operations`], [`documents`], [`deliveries`],
//! [`portal_links`], [`templates`], [`usage`], [`audit`], [`oauth_keys`]), and the failure
//! counters every service's rate limits share ([`rate_limits`]). Functions take
//! `impl sqlx::PgExecutor<'_>` (a `&PgPool`, a `&mut PgConnection` or `&mut *tx`) or
//! `&mut PgConnection` when they open their own transaction, so callers compose several in one
//! transaction.
//!
//! **Tenant isolation**: every function that reads or changes tenant data takes the
//! `ClientServiceId` and puts it in the `WHERE` clause; another tenant's row is "not found",
//! exactly like a missing one. Children of an operation carry the client service too, under a
//! composite foreign key, so the schema itself refuses cross-tenant rows.
//!
//! **Errors**: one [`StoreError`]. Constraint violations become domain errors at the query site:
//! a reused `(client service, externalReference)` is [`StoreError::Duplicate`] (409 `0.0.7`
//! upstream), for operations and documents alike, also when two instances race.
//!
//! # Queries are checked at run time
//!
//! The SQL uses the runtime-checked `sqlx::query`/`query_as`/`query_scalar` with `FromRow`, not
//! the `query!` macros: building the workspace must not need a running database nor a committed
//! `.sqlx/` offline cache. The price is that a typo in SQL shows up in tests, not at compile
//! time: every query here is exercised by `tests/` against a real PostgreSQL.
//!
//! # Document store
//!
//! [`DocumentStore`] keeps document bytes behind `object_store` (a local folder by default,
//! S3-compatible storage with the `s3` feature), each encrypted with AES-256-GCM under its own
//! key, that key wrapped by the [`MasterKey`] from configuration (see [`crypto`]).
//!
//! # Tests
//!
//! `tests/` use `#[sqlx::test(migrator = "signstash_store::MIGRATOR")]`: a fresh database per
//! test on the server of `DATABASE_URL` (`cargo xtask test` starts one and sets it). Without
//! `DATABASE_URL` they are skipped on a developer machine and **fail** under CI (`CI` set);
//! see `build.rs`.

#![forbid(unsafe_code)]

pub mod audit;
pub mod audit_view;
pub mod authority_admin;
pub mod certificates;
pub mod client_service_admin;
pub mod client_services;
pub mod companies;
pub mod crypto;
pub mod deliveries;
pub mod document_store;
pub mod documents;
pub mod env;
mod error;
pub mod issuer_companies;
pub mod oauth_keys;
pub mod operations;
pub mod operator_admin;
pub mod operator_sessions;
pub mod operators;
pub mod partner_companies;
pub mod portal_links;
pub mod rate_limits;
pub mod scope;
pub mod system_configuration;
pub mod template_admin;
pub mod templates;
pub mod tenancy;
pub mod usage;

pub use crypto::MasterKey;
#[cfg(feature = "s3")]
pub use document_store::S3Config;
pub use document_store::{DocumentStore, DocumentStoreBackend, DocumentSync, StoredDocument};
pub use error::{CryptoError, DuplicateKind, StoreError};

/// The migrations of `migrations/` at the workspace root, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Opens a connection pool with sensible defaults for the services.
///
/// Connections are not pinged before each use (sqlx's default): that ping is a round trip to
/// the server per statement, as dear as the statement itself on the signing path. A connection
/// that broke while idle (the server restarted) fails its next statement instead and is
/// dropped from the pool; the request answers `0.0.1`, which integrators retry, and the
/// readiness probe reports the outage meanwhile.
pub async fn connect(database_url: &str, max_connections: u32) -> Result<sqlx::PgPool, StoreError> {
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .test_before_acquire(false)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(database_url)
        .await?)
}

/// A pool like [`connect`]'s whose statements are planned for their parameters every time
/// (`plan_cache_mode = force_custom_plan`). For the backoffice: its scoped queries read
/// `($1 OR … = $2 OR … = ANY($3))`, and the generic plan PostgreSQL switches a prepared
/// statement to after five runs cannot use the index the operator's scope needs (the bench
/// measured 38 ms instead of 0.5 ms for one list).
pub async fn connect_planning_each_time(
    database_url: &str,
    max_connections: u32,
) -> Result<sqlx::PgPool, StoreError> {
    let options: sqlx::postgres::PgConnectOptions = database_url.parse()?;
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .test_before_acquire(false)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options.options([("plan_cache_mode", "force_custom_plan")]))
        .await?)
}

/// `text` as a literal inside an `ILIKE` pattern: `%`, `_` and `\` match themselves.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
