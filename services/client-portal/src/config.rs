//! Typed configuration from `SIGNSTASH_*` variables (and `DATABASE_URL`). A bad value fails
//! start-up naming the variable. The database, document folder and master key are the ones
//! integration-ws uses: the portal reads what it stored.

use std::net::SocketAddr;

use secrecy::SecretString;
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
        })
    }
}
