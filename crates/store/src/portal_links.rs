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
