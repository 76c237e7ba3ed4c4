//! Keys that sign OAuth access tokens. The private key is sealed by the master key
//! (context `oauth_signing_keys:<kid>`); the public JWK is served as JWKS.

use signstash_domain::JwtAlgorithm;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::error::{one_row, StoreError};

/// A new signing key.
#[derive(Clone)]
pub struct NewOAuthSigningKey {
    /// JWS `kid`, unique.
    pub kid: String,
    /// ES256 or RS256.
    pub algorithm: JwtAlgorithm,
    /// The private key (PKCS#8 DER or PEM) sealed by the master key.
    pub private_key_encrypted: Vec<u8>,
    /// The public key as a JWK.
    pub public_jwk: serde_json::Value,
}

/// A signing key as read back. `Debug` omits the sealed private key.
#[derive(Clone, sqlx::FromRow)]
pub struct OAuthSigningKey {
    /// `kid`.
    pub kid: String,
    /// Algorithm.
    pub algorithm: JwtAlgorithm,
    /// The sealed private key.
    pub private_key_encrypted: Vec<u8>,
    /// The public JWK.
    pub public_jwk: serde_json::Value,
    /// Used to sign new tokens (and served in JWKS).
    pub active: bool,
    /// Created.
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for OAuthSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("active", &self.active)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewOAuthSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOAuthSigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Stores a new active key. A taken `kid` → `Duplicate(Other)`.
pub async fn insert(db: impl PgExecutor<'_>, key: &NewOAuthSigningKey) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO oauth_signing_keys (kid, algorithm, private_key_encrypted, public_jwk)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(key.algorithm)
    .bind(&key.private_key_encrypted)
    .bind(&key.public_jwk)
    .execute(db)
    .await?;
    Ok(())
}

/// Active keys, newest first: the first signs new tokens, all are served in JWKS.
pub async fn list_active(db: impl PgExecutor<'_>) -> Result<Vec<OAuthSigningKey>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kid, algorithm, private_key_encrypted, public_jwk, active, created_at
         FROM oauth_signing_keys WHERE active ORDER BY created_at DESC, kid",
    )
    .fetch_all(db)
    .await?)
}

/// Retires a key: no longer served, so tokens it signed stop being accepted.
pub async fn retire(db: impl PgExecutor<'_>, kid: &str) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE oauth_signing_keys SET active = false, retired_at = now()
             WHERE kid = $1 AND active",
        )
        .bind(kid)
        .execute(db)
        .await?,
    )
}
