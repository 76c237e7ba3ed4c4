//! Certificate authorities as the backoffice lists, shows and changes them (System
//! configurations, the platform only): every function takes the operator's [`Scope`], and
//! only the platform's scope sees any authority, so for anyone else an id reads like a missing
//! one. The OAuth client secret is stored sealed by the master key (the caller seals it with
//! [`client_secret_context`]); nothing here ever returns it, only whether one is set.

use signstash_domain::CertificateAuthorityId;
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;
use crate::scope::Scope;

/// A list's filters (all optional).
#[derive(Debug, Clone, Default)]
pub struct AuthorityFilter {
    /// Part of the name, any case.
    pub name: Option<String>,
    /// `Some(true)`: remote (a CSC base URL is set); `Some(false)`: local.
    pub remote: Option<bool>,
    /// Created on or after.
    pub created_from: Option<Date>,
    /// Created on or before.
    pub created_to: Option<Date>,
}

/// A certificate authority, without its client secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Authority {
    pub id: CertificateAuthorityId,
    pub name: String,
    /// The CSC API v2 base URL: set for a remote CA, none for a local one.
    pub csc_base_url: Option<String>,
    pub oauth_authorize_url: Option<String>,
    pub oauth_token_url: Option<String>,
    pub oauth_client_id: Option<String>,
    /// Whether a client secret is stored (never the secret).
    pub has_client_secret: bool,
    pub ca_chain_pem: Option<String>,
    /// How long an access granted at the CA lasts, and how many signatures it allows.
    pub access_max_days: i32,
    pub access_max_signatures: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Authority {
    /// Remote (CSC) or local.
    pub fn is_remote(&self) -> bool {
        self.csc_base_url.is_some()
    }
}

/// What the create and edit forms set (the client secret apart).
#[derive(Debug, Clone)]
pub struct AuthorityFields {
    pub name: String,
    pub csc_base_url: Option<String>,
    pub oauth_authorize_url: Option<String>,
    pub oauth_token_url: Option<String>,
    pub oauth_client_id: Option<String>,
    pub ca_chain_pem: Option<String>,
    pub access_max_days: i32,
    pub access_max_signatures: i64,
}

/// The associated data the client secret of authority `id` is sealed with
/// ([`crate::MasterKey::seal`]): a sealed secret copied to another row fails to open.
pub fn client_secret_context(id: CertificateAuthorityId) -> Vec<u8> {
    format!("certificate_authorities.oauth_client_secret:{}", id.0).into_bytes()
}

const COLUMNS: &str = "ca.id, ca.name, ca.csc_base_url, ca.oauth_authorize_url,
    ca.oauth_token_url, ca.oauth_client_id,
    ca.oauth_client_secret_encrypted IS NOT NULL AS has_client_secret, ca.ca_chain_pem,
    ca.access_max_days, ca.access_max_signatures, ca.created_at, ca.updated_at";

/// A page of the authorities matching `filter`, by name (none outside the platform's scope).
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &AuthorityFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Authority>, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM certificate_authorities ca
         WHERE $1
           AND ($2::TEXT IS NULL OR ca.name ILIKE '%' || $2 || '%')
           AND ($3::BOOLEAN IS NULL OR (ca.csc_base_url IS NOT NULL) = $3)
           AND ($4::DATE IS NULL OR ca.created_at >= $4::DATE)
           AND ($5::DATE IS NULL OR ca.created_at < $5::DATE + 1)
         ORDER BY lower(ca.name), ca.id
         OFFSET $6 LIMIT $7"
    ))
    .bind(all)
    .bind(filter.name.as_deref().map(crate::like_escape))
    .bind(filter.remote)
    .bind(filter.created_from)
    .bind(filter.created_to)
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The authority `id`, if it exists and `scope` is the platform's.
pub async fn find(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: CertificateAuthorityId,
) -> Result<Option<Authority>, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM certificate_authorities ca WHERE $1 AND ca.id = $2"
    ))
    .bind(all)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Creates an authority (`None` outside the platform's scope). A name another has →
/// `Duplicate`.
pub async fn create(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    fields: &AuthorityFields,
) -> Result<Option<CertificateAuthorityId>, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query_scalar(
        "INSERT INTO certificate_authorities
             (name, csc_base_url, oauth_authorize_url, oauth_token_url, oauth_client_id,
              ca_chain_pem, access_max_days, access_max_signatures)
         SELECT $2, $3, $4, $5, $6, $7, $8, $9 WHERE $1
         RETURNING id",
    )
    .bind(all)
    .bind(&fields.name)
    .bind(&fields.csc_base_url)
    .bind(&fields.oauth_authorize_url)
    .bind(&fields.oauth_token_url)
    .bind(&fields.oauth_client_id)
    .bind(&fields.ca_chain_pem)
    .bind(fields.access_max_days)
    .bind(fields.access_max_signatures)
    .fetch_optional(db)
    .await?)
}

/// Changes the authority `id`; `false` when there is none in `scope`. A name another has →
/// `Duplicate`.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: CertificateAuthorityId,
    fields: &AuthorityFields,
) -> Result<bool, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query(
        "UPDATE certificate_authorities ca SET name = $3, csc_base_url = $4,
             oauth_authorize_url = $5, oauth_token_url = $6, oauth_client_id = $7,
             ca_chain_pem = $8, access_max_days = $9, access_max_signatures = $10,
             updated_at = now()
         WHERE $1 AND ca.id = $2",
    )
    .bind(all)
    .bind(id)
    .bind(&fields.name)
    .bind(&fields.csc_base_url)
    .bind(&fields.oauth_authorize_url)
    .bind(&fields.oauth_token_url)
    .bind(&fields.oauth_client_id)
    .bind(&fields.ca_chain_pem)
    .bind(fields.access_max_days)
    .bind(fields.access_max_signatures)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Replaces the sealed client secret of authority `id` (sealed with
/// [`client_secret_context`]); `false` when there is none in `scope`.
pub async fn set_client_secret(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: CertificateAuthorityId,
    sealed: &[u8],
) -> Result<bool, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query(
        "UPDATE certificate_authorities ca SET oauth_client_secret_encrypted = $3,
             updated_at = now()
         WHERE $1 AND ca.id = $2",
    )
    .bind(all)
    .bind(id)
    .bind(sealed)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
