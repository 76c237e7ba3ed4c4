//! Links to the client portal (`/d/{token}`). The token (256 random bits) is given to the
//! receiver only; the database keeps its SHA-256, computed by the caller.

use signstash_domain::{ClientServiceId, DeliveryId, EmailAddress, OperationId, PortalLinkId};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::error::StoreError;

/// A new portal link.
#[derive(Debug, Clone)]
pub struct NewPortalLink {
    /// SHA-256 of the token.
    pub token_hash: [u8; 32],
    /// The operation it opens.
    pub operation_id: OperationId,
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// The e-mail that carried it.
    pub delivery_id: Option<DeliveryId>,
    /// Its receiver.
    pub receiver_email: EmailAddress,
    /// End of validity.
    pub expires_at: OffsetDateTime,
}

/// A valid portal link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PortalLink {
    /// Id.
    pub id: PortalLinkId,
    /// The operation.
    pub operation_id: OperationId,
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// The e-mail that carried it.
    pub delivery_id: Option<DeliveryId>,
    /// Receiver.
    pub receiver_email: EmailAddress,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// First opened.
    pub first_opened_at: Option<OffsetDateTime>,
}

/// Stores a link. An operation of another tenant → `NotFound`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    link: &NewPortalLink,
) -> Result<PortalLinkId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO portal_links
             (token_hash, operation_id, client_service_id, delivery_id, receiver_email, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(link.token_hash.as_slice())
    .bind(link.operation_id)
    .bind(link.client_service_id)
    .bind(link.delivery_id)
    .bind(&link.receiver_email)
    .bind(link.expires_at)
    .fetch_one(db)
    .await?)
}

/// The link with that token hash if it is neither expired nor revoked; records the first
/// opening.
pub async fn open(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
) -> Result<Option<PortalLink>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE portal_links SET first_opened_at = coalesce(first_opened_at, now())
         WHERE token_hash = $1 AND expires_at > now() AND revoked_at IS NULL
         RETURNING id, operation_id, client_service_id, delivery_id, receiver_email, expires_at,
                   first_opened_at",
    )
    .bind(token_hash.as_slice())
    .fetch_optional(db)
    .await?)
}

/// A link as the client portal opens it: valid, with what its client service asks of
/// receivers and the state of its access code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PortalAccess {
    /// The link (its `expires_at` is the effective one: the earlier of its own and the client
    /// service's validity counted from its creation).
    #[sqlx(flatten)]
    pub link: PortalLink,
    /// The client service wants an access code before the documents show.
    pub access_code_required: bool,
    /// The current code (argon2 PHC string), if one was sent and not used up.
    pub access_code_hash: Option<String>,
    /// When the current code was sent.
    pub access_code_sent_at: Option<OffsetDateTime>,
    /// Wrong codes given since it was sent.
    pub access_code_failures: i32,
}

/// The link with that token hash if it is valid: not revoked, before its `expires_at` and
/// within its client service's `portal_link_validity_days`; records the first opening.
pub async fn open_for_portal(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
) -> Result<Option<PortalAccess>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE portal_links pl SET first_opened_at = coalesce(pl.first_opened_at, now())
         FROM client_services cs
         WHERE pl.token_hash = $1 AND cs.id = pl.client_service_id AND pl.revoked_at IS NULL
           AND pl.expires_at > now()
           AND pl.created_at + make_interval(days => cs.portal_link_validity_days) > now()
         RETURNING pl.id, pl.operation_id, pl.client_service_id, pl.delivery_id,
                   pl.receiver_email,
                   least(pl.expires_at,
                         pl.created_at + make_interval(days => cs.portal_link_validity_days))
                       AS expires_at,
                   pl.first_opened_at, cs.portal_access_code AS access_code_required,
                   pl.access_code_hash, pl.access_code_sent_at, pl.access_code_failures",
    )
    .bind(token_hash.as_slice())
    .fetch_optional(db)
    .await?)
}

/// Revokes a link of that client service (it then opens nothing). `NotFound` when there is
/// no such link in that tenant.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    id: PortalLinkId,
) -> Result<(), StoreError> {
    crate::error::one_row(
        sqlx::query(
            "UPDATE portal_links SET revoked_at = coalesce(revoked_at, now())
             WHERE id = $1 AND client_service_id = $2",
        )
        .bind(id)
        .bind(client_service_id)
        .execute(db)
        .await?,
    )
}

/// Replaces the link's access code (a new one was just sent); its failures start again.
pub async fn set_access_code(
    db: impl PgExecutor<'_>,
    id: PortalLinkId,
    code_hash: &str,
) -> Result<(), StoreError> {
    crate::error::one_row(
        sqlx::query(
            "UPDATE portal_links SET access_code_hash = $2, access_code_sent_at = now(),
                    access_code_failures = 0
             WHERE id = $1",
        )
        .bind(id)
        .bind(code_hash)
        .execute(db)
        .await?,
    )
}

/// Counts one wrong code; returns the failures so far.
pub async fn access_code_failed(
    db: impl PgExecutor<'_>,
    id: PortalLinkId,
) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE portal_links SET access_code_failures = access_code_failures + 1
         WHERE id = $1 RETURNING access_code_failures",
    )
    .bind(id)
    .fetch_one(db)
    .await?)
}

/// Uses up the link's access code (after it was given right).
pub async fn clear_access_code(
    db: impl PgExecutor<'_>,
    id: PortalLinkId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE portal_links SET access_code_hash = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a receiver session for a link (the cookie token's SHA-256).
pub async fn create_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    link: PortalLinkId,
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO portal_sessions (token_hash, portal_link_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash.as_slice())
    .bind(link)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Whether the session with that token hash is current and belongs to `link`.
pub async fn session_is_valid(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    link: PortalLinkId,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM portal_sessions
                        WHERE token_hash = $1 AND portal_link_id = $2 AND expires_at > now())",
    )
    .bind(token_hash.as_slice())
    .bind(link)
    .fetch_one(db)
    .await?)
}
