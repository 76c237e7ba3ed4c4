//! Typed configuration from `SIGNSTASH_*` variables (and `DATABASE_URL`), each listed with its
//! default in `.env.example`. A bad value fails start-up naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use signstash_store::env::{flag, parsed, var};
use signstash_store::DocumentStoreBackend;

#[derive(Debug, Clone)]
pub struct Config {
    /// `SIGNSTASH_INTEGRATION_BIND` (default 127.0.0.1:8080; port 0 picks a free one).
    pub bind: SocketAddr,
    /// `DATABASE_URL`.
    pub database_url: SecretString,
    /// `SIGNSTASH_DB_MAX_CONNECTIONS` (default 20; the batched writes open 4 more of their own).
    pub db_max_connections: u32,
    /// Where documents are kept, encrypted: `SIGNSTASH_S3_*` (S3-compatible) or
    /// `SIGNSTASH_DOCUMENT_DIR` (a folder, default .data/documents; each new document flushed
    /// to the disk as `SIGNSTASH_DOCUMENT_SYNC` says); see [`DocumentStoreBackend::from_env`].
    pub documents: DocumentStoreBackend,
    /// `SIGNSTASH_MASTER_KEY`: base64 of 32 bytes; wraps every document key and certificate key.
    pub master_key: SecretString,
    /// `SIGNSTASH_JWT_ISSUER` (default "signstash").
    pub jwt_issuer: String,
    /// `SIGNSTASH_TSA_URL`: an external RFC 3161 authority for `applyTimestamp`; when unset,
    /// the embedded authority below is used.
    pub tsa_url: Option<String>,
    /// `SIGNSTASH_TSA_CERT` / `SIGNSTASH_TSA_KEY`: the embedded authority, served to client
    /// services (bearer token, counted as consumption) at `/api/v0/timestamp`.
    pub tsa_cert: Option<PathBuf>,
    pub tsa_key: Option<PathBuf>,
    /// `SIGNSTASH_PUBLIC_TSA` (default false): also serve the embedded authority to anyone,
    /// without a token and uncounted, at `/tsa` (development: `cargo xtask up` turns it on for
    /// the command-line signer's `--tsa-url`). Needs `SIGNSTASH_TSA_CERT` and `SIGNSTASH_TSA_KEY`.
    pub public_tsa: bool,
    /// `SIGNSTASH_MAX_BODY_BYTES` (default 64 MiB).
    pub max_body_bytes: usize,
    /// `SIGNSTASH_BODY_MEMORY_BYTES`: the memory every request in flight may hold for its body,
    /// across all client services (default 512 MiB); see [`crate::work::BodyBudget`].
    pub body_memory_bytes: u64,
    /// `SIGNSTASH_MAX_DOCUMENTS` per request (default 100).
    pub max_documents: usize,
    /// `SIGNSTASH_MAX_DOCUMENT_BYTES` (default 32 MiB).
    pub max_document_bytes: usize,
    /// `SIGNSTASH_MAX_RECEIVERS`: e-mail addresses per sign request and per resend, each
    /// counted once (default 50; above it 413 `0.0.4`).
    pub max_receivers: usize,
    /// Failed client authentications at the token endpoint.
    pub token_throttle: TokenThrottle,
}

/// How many failed client authentications the token endpoint allows before it answers 429
/// `slow_down` (with `Retry-After`) without checking the secret, counted in the database so
/// every instance counts together. Counted per client id and address (tightly: someone
/// guessing one client service's secret) and per address (loosely: someone trying many client
/// ids), never per client id alone, so failures from one place do not lock a client service
/// out elsewhere. An address is an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenThrottle {
    /// `SIGNSTASH_TOKEN_FAILURES_PER_CLIENT_AND_ADDRESS` (default 10).
    pub per_client_and_address: i32,
    /// `SIGNSTASH_TOKEN_FAILURES_PER_ADDRESS` (default 100).
    pub per_address: i32,
    /// `SIGNSTASH_TOKEN_FAILURE_WINDOW_SECONDS` (default 900): a count starts with its first
    /// failure and ends this long after it.
    pub window: time::Duration,
    /// `SIGNSTASH_INTEGRATION_TRUST_FORWARDED_FOR` (default false): count a client by the last
    /// `X-Forwarded-For` entry instead of the peer address. Only behind a reverse proxy that
    /// writes that header: otherwise a client could pick the address it is counted by, and
    /// without it, behind a proxy, every client shares the proxy's address.
    pub trust_forwarded_for: bool,
}

impl Default for TokenThrottle {
    fn default() -> Self {
        Self {
            per_client_and_address: 10,
            per_address: 100,
            window: time::Duration::minutes(15),
            trust_forwarded_for: false,
        }
    }
}

impl TokenThrottle {
    pub fn from_env() -> Result<Self, String> {
        let d = Self::default();
        let at_least_one = |name: &str, default: i64| -> Result<i64, String> {
            let v: i64 = parsed(name, default)?;
            if v < 1 {
                return Err(format!("{name}: at least 1"));
            }
            Ok(v)
        };
        let count = |name: &str, default: i32| -> Result<i32, String> {
            i32::try_from(at_least_one(name, default.into())?)
                .map_err(|_| format!("{name}: too large"))
        };
        Ok(Self {
            per_client_and_address: count(
                "SIGNSTASH_TOKEN_FAILURES_PER_CLIENT_AND_ADDRESS",
                d.per_client_and_address,
            )?,
            per_address: count("SIGNSTASH_TOKEN_FAILURES_PER_ADDRESS", d.per_address)?,
            window: time::Duration::seconds(at_least_one(
                "SIGNSTASH_TOKEN_FAILURE_WINDOW_SECONDS",
                d.window.whole_seconds(),
            )?),
            trust_forwarded_for: flag("SIGNSTASH_INTEGRATION_TRUST_FORWARDED_FOR", false)?,
        })
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let tsa_cert = var("SIGNSTASH_TSA_CERT").map(PathBuf::from);
        let tsa_key = var("SIGNSTASH_TSA_KEY").map(PathBuf::from);
        let public_tsa = flag("SIGNSTASH_PUBLIC_TSA", false)?;
        if public_tsa && (tsa_cert.is_none() || tsa_key.is_none()) {
            return Err(
                "SIGNSTASH_PUBLIC_TSA: the embedded authority is not configured \
                        (set SIGNSTASH_TSA_CERT and SIGNSTASH_TSA_KEY)"
                    .into(),
            );
        }
        Ok(Self {
            bind: parsed(
                "SIGNSTASH_INTEGRATION_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            database_url: SecretString::from(var("DATABASE_URL").ok_or("DATABASE_URL is not set")?),
            db_max_connections: parsed("SIGNSTASH_DB_MAX_CONNECTIONS", 20)?,
            documents: DocumentStoreBackend::from_env()?,
            master_key: SecretString::from(
                var("SIGNSTASH_MASTER_KEY")
                    .ok_or("SIGNSTASH_MASTER_KEY is not set (base64 of 32 bytes)")?,
            ),
            jwt_issuer: var("SIGNSTASH_JWT_ISSUER").unwrap_or_else(|| "signstash".into()),
            tsa_url: var("SIGNSTASH_TSA_URL"),
            tsa_cert,
            tsa_key,
            public_tsa,
            max_body_bytes: parsed("SIGNSTASH_MAX_BODY_BYTES", 64 * 1024 * 1024)?,
            body_memory_bytes: parsed("SIGNSTASH_BODY_MEMORY_BYTES", 512 * 1024 * 1024)?,
            max_documents: parsed("SIGNSTASH_MAX_DOCUMENTS", 100)?,
            max_document_bytes: parsed("SIGNSTASH_MAX_DOCUMENT_BYTES", 32 * 1024 * 1024)?,
            max_receivers: parsed("SIGNSTASH_MAX_RECEIVERS", 50)?,
            token_throttle: TokenThrottle::from_env()?,
        })
    }
}

/// The e-mail delivery settings (outbox worker and resend endpoint).
///
/// Apart from [`Config`] so that a test can build a `Config` without caring about e-mail;
/// [`crate::Application::build`] and [`crate::state_from`] read it with [`MailConfig::from_env`].
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `SIGNSTASH_SMTP_URL` (e.g. `smtp://127.0.0.1:2525`, `smtps://user:pass@host:465`);
    /// unset: every mail is written as an `.eml` file under `mail_dir`.
    pub smtp_url: Option<SecretString>,
    /// `SIGNSTASH_MAIL_DIR` (default .data/mail), used when `smtp_url` is unset.
    pub mail_dir: PathBuf,
    /// `SIGNSTASH_MAIL_FROM` (default `Sign'Stash <no-reply@signstash.local>`).
    pub mail_from: String,
    /// `SIGNSTASH_PORTAL_BASE_URL`: the client portal's public URL (default http://127.0.0.1:8082).
    pub portal_base_url: String,
    /// `SIGNSTASH_DELIVERY_MAX_ATTEMPTS`: tries before `SENDING_FAILED` (default 3).
    pub max_attempts: i32,
    /// `SIGNSTASH_DELIVERY_BACKOFF_SECONDS`: wait after the first failure, doubled after each
    /// further one (default 60; fractions allowed).
    pub backoff: std::time::Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_dir: PathBuf::from(".data/mail"),
            mail_from: "Sign'Stash <no-reply@signstash.local>".into(),
            portal_base_url: "http://127.0.0.1:8082".into(),
            max_attempts: 3,
            backoff: std::time::Duration::from_secs(60),
        }
    }
}

impl MailConfig {
    pub fn from_env() -> Result<Self, String> {
        let defaults = Self::default();
        let max_attempts = parsed("SIGNSTASH_DELIVERY_MAX_ATTEMPTS", defaults.max_attempts)?;
        if max_attempts < 1 {
            return Err("SIGNSTASH_DELIVERY_MAX_ATTEMPTS: at least 1".into());
        }
        let backoff_seconds: f64 = parsed(
            "SIGNSTASH_DELIVERY_BACKOFF_SECONDS",
            defaults.backoff.as_secs_f64(),
        )?;
        let backoff = std::time::Duration::try_from_secs_f64(backoff_seconds).map_err(|_| {
            format!("SIGNSTASH_DELIVERY_BACKOFF_SECONDS: `{backoff_seconds}` is not a duration")
        })?;
        Ok(Self {
            smtp_url: var("SIGNSTASH_SMTP_URL").map(SecretString::from),
            mail_dir: var("SIGNSTASH_MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or(defaults.mail_dir),
            mail_from: var("SIGNSTASH_MAIL_FROM").unwrap_or(defaults.mail_from),
            portal_base_url: var("SIGNSTASH_PORTAL_BASE_URL").unwrap_or(defaults.portal_base_url),
            max_attempts,
            backoff,
        })
    }
}
