//! Typed configuration from `SIGNSTASH_BACKOFFICE_*` variables (and `DATABASE_URL`), listed with
//! their defaults in `.env.example`. A bad value fails start-up naming the variable.

use std::net::SocketAddr;

use secrecy::SecretString;
use signstash_store::env::{parsed, var};

#[derive(Debug, Clone)]
pub struct Config {
    /// `SIGNSTASH_BACKOFFICE_BIND` (default 127.0.0.1:8081; port 0 picks a free one).
    pub bind: SocketAddr,
    /// `DATABASE_URL`: the platform's database, the one integration-ws uses.
    pub database_url: SecretString,
    /// `SIGNSTASH_BACKOFFICE_DB_MAX_CONNECTIONS` (default 5).
    pub db_max_connections: u32,
    /// `SIGNSTASH_BACKOFFICE_BASE_URL` (default http://127.0.0.1:8081): the public address; an
    /// `https` one makes the session cookie `Secure`.
    pub base_url: String,
    /// `SIGNSTASH_BACKOFFICE_SESSION_IDLE_SECONDS` (default 1800): a session unused this long ends.
    pub session_idle_seconds: i64,
    /// `SIGNSTASH_BACKOFFICE_SESSION_ABSOLUTE_SECONDS` (default 28800): a session ends this long
    /// after sign-in, however busy.
    pub session_absolute_seconds: i64,
    /// `SIGNSTASH_BACKOFFICE_LOCK_AFTER` (default 5): wrong passwords in a row before an
    /// operator is LOCKED.
    pub lock_after: i32,
    /// `SIGNSTASH_BACKOFFICE_ADDRESS_FAILURES` (default 20): failed sign-ins per address and
    /// window before every sign-in from that address fails (kept in the database, as the
    /// portal's limits are, so across instances).
    pub address_failures: i32,
    /// `SIGNSTASH_BACKOFFICE_FAILURE_WINDOW_SECONDS` (default 600).
    pub failure_window_seconds: i64,
    /// `SIGNSTASH_SMTP_URL` (as integration-ws reads it); unset: `.eml` files under `mail_dir`.
    pub smtp_url: Option<SecretString>,
    /// `SIGNSTASH_MAIL_DIR` (default .data/mail).
    pub mail_dir: std::path::PathBuf,
    /// `SIGNSTASH_MAIL_FROM` (default `Sign'Stash <no-reply@signstash.local>`).
    pub mail_from: String,
    /// `SIGNSTASH_MASTER_KEY`: base64 of 32 bytes, the key integration-ws uses; seals the
    /// secrets the backoffice stores (a certificate authority's client secret). Required;
    /// the default (tests) is a fresh random key.
    pub master_key: SecretString,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8081)),
            database_url: SecretString::from(String::new()),
            db_max_connections: 5,
            base_url: "http://127.0.0.1:8081".into(),
            session_idle_seconds: 30 * 60,
            session_absolute_seconds: 8 * 60 * 60,
            lock_after: 5,
            address_failures: 20,
            failure_window_seconds: 600,
            smtp_url: None,
            mail_dir: ".data/mail".into(),
            mail_from: "Sign'Stash <no-reply@signstash.local>".into(),
            master_key: random_master_key(),
        }
    }
}

/// `SIGNSTASH_MASTER_KEY`, checked at start-up.
fn master_key() -> Result<SecretString, String> {
    let key = SecretString::from(
        var("SIGNSTASH_MASTER_KEY")
            .ok_or("SIGNSTASH_MASTER_KEY is not set (base64 of 32 bytes)")?,
    );
    signstash_store::MasterKey::from_base64(&key)
        .map_err(|e| format!("SIGNSTASH_MASTER_KEY: {e}"))?;
    Ok(key)
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let d = Self::default();
        let seconds = |name: &str, default: i64| -> Result<i64, String> {
            let s: i64 = parsed(name, default)?;
            if s < 1 {
                return Err(format!("{name}: at least 1"));
            }
            Ok(s)
        };
        Ok(Self {
            bind: parsed("SIGNSTASH_BACKOFFICE_BIND", d.bind)?,
            database_url: SecretString::from(var("DATABASE_URL").ok_or("DATABASE_URL is not set")?),
            db_max_connections: parsed(
                "SIGNSTASH_BACKOFFICE_DB_MAX_CONNECTIONS",
                d.db_max_connections,
            )?,
            base_url: var("SIGNSTASH_BACKOFFICE_BASE_URL").unwrap_or(d.base_url),
            session_idle_seconds: seconds(
                "SIGNSTASH_BACKOFFICE_SESSION_IDLE_SECONDS",
                d.session_idle_seconds,
            )?,
            session_absolute_seconds: seconds(
                "SIGNSTASH_BACKOFFICE_SESSION_ABSOLUTE_SECONDS",
                d.session_absolute_seconds,
            )?,
            lock_after: parsed("SIGNSTASH_BACKOFFICE_LOCK_AFTER", d.lock_after)?.max(1),
            address_failures: parsed("SIGNSTASH_BACKOFFICE_ADDRESS_FAILURES", d.address_failures)?
                .max(1),
            failure_window_seconds: seconds(
                "SIGNSTASH_BACKOFFICE_FAILURE_WINDOW_SECONDS",
                d.failure_window_seconds,
            )?,
            smtp_url: var("SIGNSTASH_SMTP_URL").map(SecretString::from),
            mail_dir: var("SIGNSTASH_MAIL_DIR").map_or(d.mail_dir, Into::into),
            mail_from: var("SIGNSTASH_MAIL_FROM").unwrap_or(d.mail_from),
            master_key: master_key()?,
        })
        .and_then(|c: Self| crate::mail::Mailer::new(&c).map(|_| c))
    }
}

/// A fresh random master key, base64 (the default: tests and nothing else).
fn random_master_key() -> SecretString {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SecretString::from(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The system's e-mail settings, as the state keeps them (the configuration test).
#[derive(Debug, Clone)]
pub struct SystemMail {
    pub smtp_url: Option<SecretString>,
    pub mail_dir: std::path::PathBuf,
    pub mail_from: String,
}

impl SystemMail {
    pub fn of(config: &Config) -> Self {
        Self {
            smtp_url: config.smtp_url.clone(),
            mail_dir: config.mail_dir.clone(),
            mail_from: config.mail_from.clone(),
        }
    }
}
