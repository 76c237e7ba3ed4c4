//! Typed configuration from `SIGNSTASH_*` variables (and `DATABASE_URL`). A bad value fails
//! start-up naming the variable. The database, document folder and master key are the ones
//! integration-ws uses: the portal reads what it stored.

use std::net::SocketAddr;

use secrecy::SecretString;
use signstash_store::env::{parsed, var};
use signstash_store::DocumentStoreBackend;

#[derive(Debug, Clone)]
pub struct Config {
    /// `SIGNSTASH_PORTAL_BIND` (default 127.0.0.1:8082; port 0 picks a free one).
    pub bind: SocketAddr,
    /// `DATABASE_URL`.
    pub database_url: SecretString,
    /// `SIGNSTASH_PORTAL_DB_MAX_CONNECTIONS` (default 10).
    pub db_max_connections: u32,
    /// Where the documents are, encrypted: `SIGNSTASH_S3_*` (S3-compatible) or
    /// `SIGNSTASH_DOCUMENT_DIR` (a folder, default .data/documents), read as integration-ws
    /// reads them ([`DocumentStoreBackend::from_env`]).
    pub documents: DocumentStoreBackend,
    /// `SIGNSTASH_MASTER_KEY`: base64 of 32 bytes; unwraps the document keys.
    pub master_key: SecretString,
    /// `SIGNSTASH_PORTAL_TRUST_FORWARDED_FOR` (default false): take the receiver's address
    /// from the last `X-Forwarded-For` entry (set it only behind a reverse proxy that writes
    /// that header; otherwise anyone could choose the address written to the audit log).
    pub trust_forwarded_for: bool,
    /// `SIGNSTASH_PORTAL_MAX_XML_VIEW_BYTES` (default 4 MiB): larger XML documents are offered
    /// for download only, not shown in the page.
    pub max_xml_view_bytes: usize,
    /// `SIGNSTASH_PORTAL_BASE_URL` (default http://127.0.0.1:8082), the public address the
    /// e-mailed links use; an `https` one makes the portal's cookies `Secure`.
    pub base_url: String,
    /// Where access-code e-mails go.
    pub mail: MailConfig,
    /// Rate limits and lifetimes of codes and sessions.
    pub limits: Limits,
}

/// The access-code e-mails: the same variables as integration-ws's outbox.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `SIGNSTASH_SMTP_URL`; unset: `.eml` files under `mail_dir`.
    pub smtp_url: Option<SecretString>,
    /// `SIGNSTASH_MAIL_DIR` (default .data/mail).
    pub mail_dir: std::path::PathBuf,
    /// `SIGNSTASH_MAIL_FROM` (default `Sign'Stash <no-reply@signstash.local>`).
    pub mail_from: String,
}

/// How many wrong guesses are allowed, and for how long codes and sessions last.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `SIGNSTASH_PORTAL_LINK_FAILURES` (default 20): links that open nothing, per address
    /// (an IPv6 /64) and window, before every link answers 429 to that address.
    pub link_failures: i32,
    /// `SIGNSTASH_PORTAL_FAILURE_WINDOW_SECONDS` (default 600).
    pub failure_window: time::Duration,
    /// `SIGNSTASH_PORTAL_CODE_ATTEMPTS` (default 5): wrong codes before a code is void.
    pub code_attempts: i32,
    /// `SIGNSTASH_PORTAL_CODE_VALIDITY_SECONDS` (default 900).
    pub code_validity: time::Duration,
    /// `SIGNSTASH_PORTAL_CODE_RESEND_SECONDS` (default 60): the least time between two codes.
    pub code_resend_after: time::Duration,
    /// `SIGNSTASH_PORTAL_CODES_PER_DAY` (default 10): codes one link may send in 24 hours.
    pub codes_per_day: i32,
    /// `SIGNSTASH_PORTAL_SESSION_SECONDS` (default 28800): how long a good code opens the
    /// documents in that browser.
    pub session: time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            link_failures: 20,
            failure_window: time::Duration::minutes(10),
            code_attempts: 5,
            code_validity: time::Duration::minutes(15),
            code_resend_after: time::Duration::minutes(1),
            codes_per_day: 10,
            session: time::Duration::hours(8),
        }
    }
}

impl Limits {
    pub fn from_env() -> Result<Self, String> {
        let d = Self::default();
        let seconds = |name: &str, default: time::Duration| -> Result<time::Duration, String> {
            let s: i64 = parsed(name, default.whole_seconds())?;
            if s < 1 {
                return Err(format!("{name}: at least 1"));
            }
            Ok(time::Duration::seconds(s))
        };
        Ok(Self {
            link_failures: parsed("SIGNSTASH_PORTAL_LINK_FAILURES", d.link_failures)?,
            failure_window: seconds("SIGNSTASH_PORTAL_FAILURE_WINDOW_SECONDS", d.failure_window)?,
            code_attempts: parsed("SIGNSTASH_PORTAL_CODE_ATTEMPTS", d.code_attempts)?,
            code_validity: seconds("SIGNSTASH_PORTAL_CODE_VALIDITY_SECONDS", d.code_validity)?,
            code_resend_after: seconds(
                "SIGNSTASH_PORTAL_CODE_RESEND_SECONDS",
                d.code_resend_after,
            )?,
            codes_per_day: parsed("SIGNSTASH_PORTAL_CODES_PER_DAY", d.codes_per_day)?,
            session: seconds("SIGNSTASH_PORTAL_SESSION_SECONDS", d.session)?,
        })
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            bind: parsed(
                "SIGNSTASH_PORTAL_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8082)),
            )?,
            database_url: SecretString::from(var("DATABASE_URL").ok_or("DATABASE_URL is not set")?),
            db_max_connections: parsed("SIGNSTASH_PORTAL_DB_MAX_CONNECTIONS", 10)?,
            documents: DocumentStoreBackend::from_env()?,
            master_key: SecretString::from(
                var("SIGNSTASH_MASTER_KEY")
                    .ok_or("SIGNSTASH_MASTER_KEY is not set (base64 of 32 bytes)")?,
            ),
            trust_forwarded_for: parsed("SIGNSTASH_PORTAL_TRUST_FORWARDED_FOR", false)?,
            max_xml_view_bytes: parsed("SIGNSTASH_PORTAL_MAX_XML_VIEW_BYTES", 4 * 1024 * 1024)?,
            base_url: var("SIGNSTASH_PORTAL_BASE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8082".into()),
            mail: MailConfig {
                smtp_url: var("SIGNSTASH_SMTP_URL").map(SecretString::from),
                mail_dir: var("SIGNSTASH_MAIL_DIR")
                    .map(std::path::PathBuf::from)
                    .unwrap_or_else(|| ".data/mail".into()),
                mail_from: var("SIGNSTASH_MAIL_FROM")
                    .unwrap_or_else(|| "Sign'Stash <no-reply@signstash.local>".into()),
            },
            limits: Limits::from_env()?,
        })
    }
}
