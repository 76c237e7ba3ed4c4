//! The audit log: append-only record of who did what.

use signstash_domain::{
    ActorKind, AuditLogId, ClientServiceId, IssuerCompanyId, OperatorId, PartnerCompanyId,
};
use sqlx::PgExecutor;

use crate::error::StoreError;

/// One entry.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// Who.
    pub actor_kind: ActorKind,
    /// The operator, when one acted.
    pub operator_id: Option<OperatorId>,
    /// The client service, when one acted or was concerned.
    pub client_service_id: Option<ClientServiceId>,
    /// The partner concerned (scopes who may read the entry).
    pub partner_company_id: Option<PartnerCompanyId>,
    /// The issuer concerned (scopes who may read the entry).
    pub issuer_company_id: Option<IssuerCompanyId>,
    /// What, e.g. `client_service.secret_rotated`.
    pub action: String,
    /// The kind of thing acted upon.
    pub target_kind: Option<String>,
    /// Its id.
    pub target_id: Option<String>,
    /// Details (never secrets).
    pub details: serde_json::Value,
    /// The request id.
    pub request_id: Option<String>,
    /// The caller's address.
    pub remote_address: Option<String>,
}

/// Appends an entry.
pub async fn append(
    db: impl PgExecutor<'_>,
    entry: &NewAuditEntry,
) -> Result<AuditLogId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO audit_log
             (actor_kind, operator_id, client_service_id, partner_company_id, issuer_company_id,
              action, target_kind, target_id, details, request_id, remote_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(entry.actor_kind)
    .bind(entry.operator_id)
    .bind(entry.client_service_id)
    .bind(entry.partner_company_id)
    .bind(entry.issuer_company_id)
    .bind(&entry.action)
    .bind(&entry.target_kind)
    .bind(&entry.target_id)
    .bind(&entry.details)
    .bind(&entry.request_id)
    .bind(&entry.remote_address)
    .fetch_one(db)
    .await?)
}
