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
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            bind: parsed(
                "SIGNSTASH_BACKOFFICE_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8081)),
            )?,
            database_url: SecretString::from(var("DATABASE_URL").ok_or("DATABASE_URL is not set")?),
            db_max_connections: parsed("SIGNSTASH_BACKOFFICE_DB_MAX_CONNECTIONS", 5)?,
        })
    }
}
