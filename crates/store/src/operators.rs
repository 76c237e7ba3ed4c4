//! Backoffice operators.

use secrecy::SecretString;
use signstash_domain::{
    EmailAddress, IssuerCompanyId, OperatorId, OperatorStatus, PartnerCompanyId, Role,
};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};

use crate::error::StoreError;

/// A new operator. No company = the system company.
#[derive(Debug, Clone)]
pub struct NewOperator {
    /// Partner company.
    pub partner_company_id: Option<PartnerCompanyId>,
    /// Issuer company.
    pub issuer_company_id: Option<IssuerCompanyId>,
    /// Sign-in e-mail, unique (case-insensitive).
    pub email: EmailAddress,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string.
    pub password_hash: String,
}

/// An operator as read back.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Id.
    pub id: OperatorId,
    /// Partner company.
    pub partner_company_id: Option<PartnerCompanyId>,
    /// Issuer company.
    pub issuer_company_id: Option<IssuerCompanyId>,
    /// E-mail.
    pub email: EmailAddress,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2 hash (`Debug` hides it).
    pub password_hash: SecretString,
    /// Status.
    pub status: OperatorStatus,
    /// Its company lets its operators sign in (an issuer neither BLOCKED nor DELETED, an
    /// ACTIVE partner).
    pub company_allows_sign_in: bool,
}

/// The condition on an `operators` row aliased `o`: its company lets it sign in. Checked at
/// sign-in and at every request of a session, so blocking a company ends its sessions.
pub const COMPANY_ALLOWS_SIGN_IN: &str = "NOT EXISTS (SELECT 1 FROM issuer_companies bic
        WHERE bic.id = o.issuer_company_id AND bic.status IN ('BLOCKED', 'DELETED'))
    AND NOT EXISTS (SELECT 1 FROM partner_companies bpc
        WHERE bpc.id = o.partner_company_id AND bpc.status <> 'ACTIVE')";

impl<'r> sqlx::FromRow<'r, PgRow> for Operator {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(Operator {
            id: row.try_get("id")?,
            partner_company_id: row.try_get("partner_company_id")?,
            issuer_company_id: row.try_get("issuer_company_id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            role: row.try_get("role")?,
            password_hash: SecretString::from(row.try_get::<String, _>("password_hash")?),
            status: row.try_get("status")?,
            company_allows_sign_in: row.try_get("company_allows_sign_in")?,
        })
    }
}

/// Creates an operator. A taken e-mail → `Duplicate(OperatorEmail)`.
pub async fn create(db: impl PgExecutor<'_>, new: &NewOperator) -> Result<OperatorId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO operators (partner_company_id, issuer_company_id, email, name, role, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.partner_company_id)
    .bind(new.issuer_company_id)
    .bind(&new.email)
    .bind(&new.name)
    .bind(new.role)
    .bind(&new.password_hash)
    .fetch_one(db)
    .await?)
}

/// The operator signing in with that e-mail (case-insensitive).
pub async fn find_by_email(
    db: impl PgExecutor<'_>,
    email: &EmailAddress,
) -> Result<Option<Operator>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT id, partner_company_id, issuer_company_id, email, name, role, password_hash, status,
                {COMPANY_ALLOWS_SIGN_IN} AS company_allows_sign_in
         FROM operators o WHERE lower(email) = lower($1)"
    ))
    .bind(email)
    .fetch_optional(db)
    .await?)
}

/// Counts a failed sign-in (a wrong password) of `id`; at `lock_after` failures in a row an
/// ACTIVE operator becomes LOCKED (a manager unlocks it).
pub async fn record_failed_sign_in(
    db: impl PgExecutor<'_>,
    id: OperatorId,
    lock_after: i32,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE operators SET failed_sign_ins = failed_sign_ins + 1,
             status = CASE WHEN status = 'ACTIVE' AND failed_sign_ins + 1 >= $2 THEN 'LOCKED'
                           ELSE status END,
             updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(lock_after)
    .execute(db)
    .await?;
    Ok(())
}

/// A successful sign-in of `id`: the failures in a row start again from zero.
pub async fn record_sign_in(db: impl PgExecutor<'_>, id: OperatorId) -> Result<(), StoreError> {
    sqlx::query("UPDATE operators SET failed_sign_ins = 0, last_sign_in_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
