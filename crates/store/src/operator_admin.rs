//! Operators as the backoffice's Operators menu, its account e-mails and the profile page
//! list, show and change them. Every read and change made for a manager takes its [`Scope`]:
//! the platform sees every operator; a partner operator those of its partner company and of
//! its issuers; an issuer operator those of its issuer; anyone else none. Operators without a
//! company (system administrators, auditors) are the platform's only. An id outside the scope
//! reads exactly like a missing one.
//!
//! Single-use links (`operator_tokens`): only a token's SHA-256 is stored; [`use_token`] marks
//! it used in the caller's transaction, so a link works once.

use signstash_domain::{
    EmailAddress, IssuerCompanyId, Language, OperatorId, OperatorStatus, PartnerCompanyId, Role,
};
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;
use crate::scope::Scope;

/// The condition on an `operators` row aliased `o`, over `$1`–`$3` ([`Scope::params`]): its
/// partner company is the scope's, or its issuer company is one of the scope's. The issuers are
/// spelt as `= ANY` of an array (the partner's read once, before the scan) so that both the
/// partner and the issuer columns' indexes serve it; an `EXISTS` per row walked every operator.
const IN_SCOPE: &str = "($1 OR o.partner_company_id = $2 OR o.issuer_company_id = ANY($3::BIGINT[])
      OR o.issuer_company_id = ANY(ARRAY(SELECT ic.id FROM issuer_companies ic
                                         WHERE ic.partner_company_id = $2)))";

/// A list's filters (all optional but the role: the list is one tab per role).
#[derive(Debug, Clone)]
pub struct OperatorFilter {
    pub role: Role,
    /// Part of the e-mail (the username), any case.
    pub email: Option<String>,
    /// Part of the name, any case.
    pub name: Option<String>,
    pub status: Option<OperatorStatus>,
    pub created_from: Option<Date>,
    pub created_to: Option<Date>,
    /// Part of the company's name (partner or issuer), any case.
    pub company: Option<String>,
}

/// An operator as the menu shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManagedOperator {
    pub id: OperatorId,
    pub name: String,
    pub email: EmailAddress,
    pub role: Role,
    pub status: OperatorStatus,
    pub language: Language,
    pub partner_company_id: Option<PartnerCompanyId>,
    pub issuer_company_id: Option<IssuerCompanyId>,
    /// The name of its company (partner or issuer), or for an auditor its audited issuers'.
    pub company: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_sign_in_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "o.id, o.name, o.email, o.role, o.status, o.language,
    o.partner_company_id, o.issuer_company_id,
    coalesce((SELECT pc.name FROM partner_companies pc WHERE pc.id = o.partner_company_id),
             (SELECT ic.name FROM issuer_companies ic WHERE ic.id = o.issuer_company_id),
             (SELECT string_agg(ic.name, ', ' ORDER BY ic.name) FROM auditor_issuers a
              JOIN issuer_companies ic ON ic.id = a.issuer_company_id
              WHERE a.operator_id = o.id)) AS company,
    o.created_at, o.last_sign_in_at";

/// A page of the operators in `scope` matching `filter`, by name.
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &OperatorFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<ManagedOperator>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operators o
         WHERE {scope} AND o.role = $4
           AND ($5::TEXT IS NULL OR o.email ILIKE '%' || $5 || '%')
           AND ($6::TEXT IS NULL OR o.name ILIKE '%' || $6 || '%')
           AND ($7::TEXT IS NULL OR o.status = $7)
           AND ($8::DATE IS NULL OR o.created_at >= $8::DATE)
           AND ($9::DATE IS NULL OR o.created_at < $9::DATE + 1)
           AND ($10::TEXT IS NULL
                OR EXISTS (SELECT 1 FROM partner_companies pc
                           WHERE pc.id = o.partner_company_id AND pc.name ILIKE '%' || $10 || '%')
                OR EXISTS (SELECT 1 FROM issuer_companies ic
                           WHERE ic.id = o.issuer_company_id AND ic.name ILIKE '%' || $10 || '%')
                OR EXISTS (SELECT 1 FROM auditor_issuers a
                           JOIN issuer_companies ic ON ic.id = a.issuer_company_id
                           WHERE a.operator_id = o.id AND ic.name ILIKE '%' || $10 || '%'))
         ORDER BY lower(o.name), o.id
         OFFSET $11 LIMIT $12",
        scope = IN_SCOPE
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(filter.role)
    .bind(filter.email.as_deref().map(crate::like_escape))
    .bind(filter.name.as_deref().map(crate::like_escape))
    .bind(filter.status)
    .bind(filter.created_from)
    .bind(filter.created_to)
    .bind(filter.company.as_deref().map(crate::like_escape))
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The operator `id`, if it exists and is in `scope`.
pub async fn find(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: OperatorId,
) -> Result<Option<ManagedOperator>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operators o WHERE {scope} AND o.id = $4",
        scope = IN_SCOPE
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The signed-in operator itself (its profile; no scope: one's own row).
pub async fn own(
    db: impl PgExecutor<'_>,
    id: OperatorId,
) -> Result<Option<ManagedOperator>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operators o WHERE o.id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The first `limit` partner companies in `scope` whose name or VAT number contains `text` (any
/// case; every one when `None`), by name: `(id, name)`.
pub async fn search_partners(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    text: Option<&str>,
    limit: i64,
) -> Result<Vec<(PartnerCompanyId, String)>, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query_as(
        "SELECT pc.id, pc.name FROM partner_companies pc WHERE ($1 OR pc.id = $2)
           AND ($3::TEXT IS NULL OR pc.name ILIKE '%' || $3 || '%' OR pc.vat_number LIKE '%' || $3 || '%')
         ORDER BY lower(pc.name), pc.id LIMIT $4",
    )
    .bind(all)
    .bind(partner)
    .bind(text.map(crate::like_escape))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The name of partner company `id`, if it is in `scope`.
pub async fn partner_name(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: PartnerCompanyId,
) -> Result<Option<String>, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query_scalar(
        "SELECT pc.name FROM partner_companies pc WHERE ($1 OR pc.id = $2) AND pc.id = $3",
    )
    .bind(all)
    .bind(partner)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// A new operator: REGISTERED, with an unusable password hash until its activation link.
#[derive(Debug, Clone)]
pub struct NewManagedOperator {
    pub name: String,
    pub email: EmailAddress,
    pub role: Role,
    pub language: Language,
    pub partner_company_id: Option<PartnerCompanyId>,
    pub issuer_company_id: Option<IssuerCompanyId>,
    /// An auditor's audited issuer.
    pub audited_issuer: Option<IssuerCompanyId>,
    pub password_hash: String,
}

/// Creates a REGISTERED operator. A taken e-mail → `Duplicate`.
pub async fn create(
    db: &mut sqlx::PgConnection,
    new: &NewManagedOperator,
) -> Result<OperatorId, StoreError> {
    let id: OperatorId = sqlx::query_scalar(
        "INSERT INTO operators (partner_company_id, issuer_company_id, email, name, role,
                                password_hash, status, language)
         VALUES ($1, $2, $3, $4, $5, $6, 'REGISTERED', $7) RETURNING id",
    )
    .bind(new.partner_company_id)
    .bind(new.issuer_company_id)
    .bind(&new.email)
    .bind(&new.name)
    .bind(new.role)
    .bind(&new.password_hash)
    .bind(new.language)
    .fetch_one(&mut *db)
    .await?;
    if let Some(issuer) = new.audited_issuer {
        sqlx::query("INSERT INTO auditor_issuers (operator_id, issuer_company_id) VALUES ($1, $2)")
            .bind(id)
            .bind(issuer)
            .execute(&mut *db)
            .await?;
    }
    Ok(id)
}

/// Sets the name and status of the operator `id` in `scope`; `false` when there is none.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: OperatorId,
    name: &str,
    status: OperatorStatus,
) -> Result<bool, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query(&format!(
        "UPDATE operators o SET name = $5, status = $6, updated_at = now()
         WHERE {scope} AND o.id = $4",
        scope = IN_SCOPE
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .bind(name)
    .bind(status)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// LOCKED → ACTIVE with the failures in a row back to zero, for the operator `id` in `scope`;
/// `false` when there is none or it is not LOCKED.
pub async fn unlock(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: OperatorId,
) -> Result<bool, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query(&format!(
        "UPDATE operators o SET status = 'ACTIVE', failed_sign_ins = 0, updated_at = now()
         WHERE {scope} AND o.id = $4 AND o.status = 'LOCKED'",
        scope = IN_SCOPE
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Sets one's own language.
pub async fn set_language(
    db: impl PgExecutor<'_>,
    id: OperatorId,
    language: Language,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE operators SET language = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(language)
        .execute(db)
        .await?;
    Ok(())
}

/// One's own password hash (to check the old password).
pub async fn password_hash(
    db: impl PgExecutor<'_>,
    id: OperatorId,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT password_hash FROM operators WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// What a single-use link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new operator sets its first password (REGISTERED → ACTIVE).
    Activation,
    /// "Forgot password".
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Activation => "ACTIVATION",
            Purpose::Reset => "RESET",
        }
    }
}

/// The operators in `scope` of issuer company `issuer` that were never activated (REGISTERED):
/// `(id, e-mail, name, language)`, by name.
pub async fn registered_of_issuer(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    issuer: IssuerCompanyId,
) -> Result<Vec<(OperatorId, EmailAddress, String, Language)>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT o.id, o.email, o.name, o.language FROM operators o
         WHERE {IN_SCOPE} AND o.issuer_company_id = $4 AND o.status = 'REGISTERED'
         ORDER BY lower(o.name), o.id"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(issuer)
    .fetch_all(db)
    .await?)
}

/// Forgets the unused links of `operator` for `purpose` (a new one replaces them).
pub async fn forget_tokens(
    db: impl PgExecutor<'_>,
    operator: OperatorId,
    purpose: Purpose,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM operator_tokens WHERE operator_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(operator)
    .bind(purpose.as_str())
    .execute(db)
    .await?
    .rows_affected())
}

/// Stores a link's token hash for `operator`, valid for `valid`.
pub async fn create_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    operator: OperatorId,
    purpose: Purpose,
    valid: time::Duration,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO operator_tokens (token_hash, operator_id, purpose, expires_at)
         VALUES ($1, $2, $3, now() + $4::interval)",
    )
    .bind(&token_hash[..])
    .bind(operator)
    .bind(purpose.as_str())
    .bind(valid)
    .execute(db)
    .await?;
    Ok(())
}

/// The operator a link may still be used by: `(id, e-mail, language)` when the token exists
/// for `purpose`, is unused and not expired.
pub async fn token_operator(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    purpose: Purpose,
) -> Result<Option<(OperatorId, EmailAddress, Language)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.email, o.language FROM operator_tokens t
         JOIN operators o ON o.id = t.operator_id
         WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL
           AND t.expires_at > now()",
    )
    .bind(&token_hash[..])
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?)
}

/// Uses a link: marks the token used if it is still usable and sets its operator's password
/// (activation: REGISTERED → ACTIVE; reset: LOCKED → ACTIVE, since the link proves the
/// mailbox); the operator's other unused links are used up too. `None` when the link is not
/// (or no longer) usable. Call in the transaction that also ends the operator's sessions.
pub async fn use_token(
    db: &mut sqlx::PgConnection,
    token_hash: &[u8; 32],
    purpose: Purpose,
    password_hash: &str,
) -> Result<Option<(OperatorId, OperatorStatus, OperatorStatus)>, StoreError> {
    let used: Option<OperatorId> = sqlx::query_scalar(
        "UPDATE operator_tokens SET used_at = now()
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
         RETURNING operator_id",
    )
    .bind(&token_hash[..])
    .bind(purpose.as_str())
    .fetch_optional(&mut *db)
    .await?;
    let Some(id) = used else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE operator_tokens SET used_at = now() WHERE operator_id = $1 AND used_at IS NULL",
    )
    .bind(id)
    .execute(&mut *db)
    .await?;
    let from = match purpose {
        Purpose::Activation => "REGISTERED",
        Purpose::Reset => "LOCKED",
    };
    let statuses: (OperatorStatus, OperatorStatus) = sqlx::query_as(
        "UPDATE operators o SET password_hash = $2, failed_sign_ins = 0, updated_at = now(),
             status = CASE WHEN o.status = $3 THEN 'ACTIVE' ELSE o.status END
         FROM operators before WHERE o.id = $1 AND before.id = o.id
         RETURNING before.status, o.status",
    )
    .bind(id)
    .bind(password_hash)
    .bind(from)
    .fetch_one(&mut *db)
    .await?;
    Ok(Some((id, statuses.0, statuses.1)))
}

/// Sets one's own password (the old one checked by the caller, which proves who is there: the
/// failed sign-ins in a row start again from zero).
pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: OperatorId,
    password_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE operators SET password_hash = $2, failed_sign_ins = 0, updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(password_hash)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends the sessions of `operator`, but the one of `keep` (the current one) when given.
pub async fn end_sessions(
    db: impl PgExecutor<'_>,
    operator: OperatorId,
    keep: Option<&[u8; 32]>,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM operator_sessions WHERE operator_id = $1
           AND ($2::BYTEA IS NULL OR token_hash <> $2)",
    )
    .bind(operator)
    .bind(keep.map(|k| &k[..]))
    .execute(db)
    .await?
    .rows_affected())
}
