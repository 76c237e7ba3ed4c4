//! Backoffice sessions: only the token's SHA-256 is stored. [`open`] answers a session only
//! while it is neither idle nor too old and its operator is ACTIVE, and forgets it otherwise,
//! so blocking an operator ends its sessions at their next request.

use signstash_domain::{IssuerCompanyId, OperatorId, PartnerCompanyId, Role};
use sqlx::{PgExecutor, PgPool};

use crate::error::StoreError;
use crate::scope::Scope;

/// A live session and who it belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    pub operator_id: OperatorId,
    pub name: String,
    pub role: Role,
    /// The token its forms carry.
    pub csrf_token: String,
    /// What its operator may see, read with the session.
    pub scope: Scope,
}

/// Starts a session for `operator`.
pub async fn create(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    operator: OperatorId,
    csrf_token: &str,
    address: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO operator_sessions (token_hash, operator_id, csrf_token, address)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&token_hash[..])
    .bind(operator)
    .bind(csrf_token)
    .bind(address)
    .execute(db)
    .await?;
    Ok(())
}

/// The session of `token_hash` if it was used within `idle_seconds`, began within
/// `absolute_seconds` and its operator is ACTIVE (then marked as seen now); otherwise it is
/// deleted, if it exists, and `None` is answered.
pub async fn open(
    db: &PgPool,
    token_hash: &[u8; 32],
    idle_seconds: i64,
    absolute_seconds: i64,
) -> Result<Option<Session>, StoreError> {
    type Row = (
        OperatorId,
        String,
        Role,
        String,
        Option<PartnerCompanyId>,
        Option<IssuerCompanyId>,
        Vec<i64>,
    );
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE operator_sessions s SET last_seen_at = now()
         FROM operators o
         WHERE s.token_hash = $1 AND o.id = s.operator_id AND o.status = 'ACTIVE'
           AND {COMPANY_ALLOWS_SIGN_IN}
           AND s.last_seen_at > now() - make_interval(secs => $2)
           AND s.created_at > now() - make_interval(secs => $3)
         RETURNING o.id, o.name, o.role, s.csrf_token, o.partner_company_id, o.issuer_company_id,
                   ARRAY(SELECT a.issuer_company_id FROM auditor_issuers a
                         WHERE a.operator_id = o.id ORDER BY 1)",
        COMPANY_ALLOWS_SIGN_IN = crate::operators::COMPANY_ALLOWS_SIGN_IN,
    ))
    .bind(&token_hash[..])
    .bind(idle_seconds as f64)
    .bind(absolute_seconds as f64)
    .fetch_optional(db)
    .await?;
    match row {
        Some((operator_id, name, role, csrf_token, partner, issuer, audited)) => {
            Ok(Some(Session {
                operator_id,
                name,
                role,
                csrf_token,
                scope: Scope::of(
                    role,
                    partner,
                    issuer,
                    audited.into_iter().map(IssuerCompanyId).collect(),
                ),
            }))
        }
        None => {
            delete(db, token_hash).await?;
            Ok(None)
        }
    }
}

/// Ends the session of `token_hash` (sign-out, rotation at sign-in); no error if there is none.
pub async fn delete(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1")
        .bind(&token_hash[..])
        .execute(db)
        .await?;
    Ok(())
}
