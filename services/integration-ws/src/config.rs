//! Typed configuration from `SIGNSTASH_*` variables (and `DATABASE_URL`), each listed with its
//! default in `.env.example`. A bad value fails start-up naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;

#[derive(Debug, Clone)]
pub struct Config {
    /// `SIGNSTASH_INTEGRATION_BIND` (default 127.0.0.1:8080; port 0 picks a free one).
    pub bind: SocketAddr,
    /// `DATABASE_URL`.
    pub database_url: SecretString,
    /// `SIGNSTASH_DB_MAX_CONNECTIONS` (default 20).
    pub db_max_connections: u32,
    /// `SIGNSTASH_DOCUMENT_DIR`: the local document store (default .data/documents).
    pub document_dir: PathBuf,
    /// `SIGNSTASH_MASTER_KEY`: base64 of 32 bytes; wraps every document key and certificate key.
    pub master_key: SecretString,
    /// `SIGNSTASH_JWT_ISSUER` (default "signstash").
    pub jwt_issuer: String,
    /// `SIGNSTASH_TSA_URL`: an external RFC 3161 authority for `applyTimestamp`; when unset,
    /// the embedded authority below is used.
    pub tsa_url: Option<String>,
    /// `SIGNSTASH_TSA_CERT` / `SIGNSTASH_TSA_KEY`: the embedded authority (served at `/tsa`).
    pub tsa_cert: Option<PathBuf>,
    pub tsa_key: Option<PathBuf>,
    /// `SIGNSTASH_MAX_BODY_BYTES` (default 64 MiB).
    pub max_body_bytes: usize,
    /// `SIGNSTASH_MAX_DOCUMENTS` per request (default 100).
    pub max_documents: usize,
    /// `SIGNSTASH_MAX_DOCUMENT_BYTES` (default 32 MiB).
    pub max_document_bytes: usize,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name}: cannot parse `{v}`")),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            bind: parsed(
                "SIGNSTASH_INTEGRATION_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            database_url: SecretString::from(var("DATABASE_URL").ok_or("DATABASE_URL is not set")?),
            db_max_connections: parsed("SIGNSTASH_DB_MAX_CONNECTIONS", 20)?,
            document_dir: var("SIGNSTASH_DOCUMENT_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".data/documents")),
            master_key: SecretString::from(
                var("SIGNSTASH_MASTER_KEY")
                    .ok_or("SIGNSTASH_MASTER_KEY is not set (base64 of 32 bytes)")?,
            ),
            jwt_issuer: var("SIGNSTASH_JWT_ISSUER").unwrap_or_else(|| "signstash".into()),
            tsa_url: var("SIGNSTASH_TSA_URL"),
            tsa_cert: var("SIGNSTASH_TSA_CERT").map(PathBuf::from),
            tsa_key: var("SIGNSTASH_TSA_KEY").map(PathBuf::from),
            max_body_bytes: parsed("SIGNSTASH_MAX_BODY_BYTES", 64 * 1024 * 1024)?,
            max_documents: parsed("SIGNSTASH_MAX_DOCUMENTS", 100)?,
            max_document_bytes: parsed("SIGNSTASH_MAX_DOCUMENT_BYTES", 32 * 1024 * 1024)?,
        })
    }
}
