//! Issuer companies as the backoffice lists, shows and changes them: every query takes the
//! operator's [`Scope`] ([`ISSUER_IN_SCOPE`]: the platform sees every issuer, a partner its
//! own issuers, an issuer operator its company, an auditor the issuers it audits), so an id
//! outside it reads exactly like a missing one.

use signstash_domain::{
    ClientServiceId, ClientServiceStatus, EmailAddress, IssuerCompanyId, IssuerStatus, Language,
    OperatorId, OperatorStatus, PartnerCompanyId, Role, VatNumber,
};
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;
use crate::scope::{Scope, ISSUER_IN_SCOPE};

/// A list's filters (all optional).
#[derive(Debug, Clone, Default)]
pub struct IssuerFilter {
    /// The partner company.
    pub partner: Option<PartnerCompanyId>,
    /// Part of the name, any case.
    pub name: Option<String>,
    /// Created on or after.
    pub created_from: Option<Date>,
    /// Created on or before.
    pub created_to: Option<Date>,
}

/// An issuer company, with its partner's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Issuer {
    pub id: IssuerCompanyId,
    pub partner_company_id: PartnerCompanyId,
    pub partner_name: String,
    pub name: String,
    pub vat_number: VatNumber,
    /// ISO 3166-1 alpha-3.
    pub country_code: String,
    pub email: Option<EmailAddress>,
    /// The invoice address.
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub language: Language,
    pub status: IssuerStatus,
    /// The usage limit: signatures, and until when (none: an alert, no block).
    pub limit_signatures: Option<i64>,
    pub limit_valid_until: Option<Date>,
    pub created_at: OffsetDateTime,
}

impl Issuer {
    /// The issuer's code, `<country>.<VAT>` (e.g. `PRT.500000018`).
    pub fn code(&self) -> String {
        format!("{}.{}", self.country_code, self.vat_number.as_str())
    }
}

/// What the create and edit forms set.
#[derive(Debug, Clone)]
pub struct IssuerFields {
    pub name: String,
    pub email: Option<EmailAddress>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub language: Language,
}

/// One of an issuer's operators, as its detail page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssuerOperator {
    pub id: OperatorId,
    pub name: String,
    pub email: EmailAddress,
    pub role: Role,
    pub status: OperatorStatus,
}

/// One of an issuer's client services, as its detail page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssuerClientService {
    pub id: ClientServiceId,
    pub alias: String,
    pub status: ClientServiceStatus,
}

const COLUMNS: &str = "ic.id, ic.partner_company_id, pc.name AS partner_name, ic.name,
    ic.vat_number, ic.country_code, ic.email, ic.address, ic.postal_code, ic.city, ic.language,
    ic.status, ic.limit_signatures, ic.limit_valid_until, ic.created_at";

/// A page of the issuers in `scope` matching `filter`, by name.
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &IssuerFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Issuer>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM issuer_companies ic
         JOIN partner_companies pc ON pc.id = ic.partner_company_id
         WHERE {ISSUER_IN_SCOPE}
           AND ($4::BIGINT IS NULL OR ic.partner_company_id = $4)
           AND ($5::TEXT IS NULL OR ic.name ILIKE '%' || $5 || '%')
           AND ($6::DATE IS NULL OR ic.created_at >= $6::DATE)
           AND ($7::DATE IS NULL OR ic.created_at < $7::DATE + 1)
         ORDER BY lower(ic.name), ic.id
         OFFSET $8 LIMIT $9"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(filter.partner)
    .bind(filter.name.as_deref().map(crate::like_escape))
    .bind(filter.created_from)
    .bind(filter.created_to)
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The issuer `id`, if it exists and is in `scope`.
pub async fn find(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
) -> Result<Option<Issuer>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM issuer_companies ic
         JOIN partner_companies pc ON pc.id = ic.partner_company_id
         WHERE {ISSUER_IN_SCOPE} AND ic.id = $4"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The partner companies an issuer may be created under, by name: `(id, name)` (the
/// platform: every partner; a partner operator: its own; anyone else: none).
pub async fn partners(
    db: impl PgExecutor<'_>,
    scope: &Scope,
) -> Result<Vec<(PartnerCompanyId, String)>, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query_as(
        "SELECT pc.id, pc.name FROM partner_companies pc
         WHERE ($1 OR pc.id = $2) ORDER BY lower(pc.name), pc.id",
    )
    .bind(all)
    .bind(partner)
    .fetch_all(db)
    .await?)
}

/// The first `limit` operators of the issuer `id` in `scope`, by name.
pub async fn operators(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
    limit: i64,
) -> Result<Vec<IssuerOperator>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT o.id, o.name, o.email, o.role, o.status FROM operators o
         JOIN issuer_companies ic ON ic.id = o.issuer_company_id
         WHERE {ISSUER_IN_SCOPE} AND ic.id = $4
         ORDER BY lower(o.name), o.id LIMIT $5"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The first `limit` client services of the issuer `id` in `scope`, by alias.
pub async fn client_services(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
    limit: i64,
) -> Result<Vec<IssuerClientService>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT cs.id, cs.alias, cs.status FROM client_services cs
         JOIN issuer_companies ic ON ic.id = cs.issuer_company_id
         WHERE {ISSUER_IN_SCOPE} AND ic.id = $4
         ORDER BY cs.alias, cs.id LIMIT $5"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Creates an issuer under `partner`, REGISTERED (it works once activated). `None` when the
/// partner is not one the scope may create under; a VAT number the partner's issuers already
/// have → `Duplicate`.
pub async fn create(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    partner: PartnerCompanyId,
    vat_number: &VatNumber,
    country_code: &str,
    fields: &IssuerFields,
) -> Result<Option<IssuerCompanyId>, StoreError> {
    let (all, in_scope) = scope.partner_params();
    Ok(sqlx::query_scalar(
        "INSERT INTO issuer_companies
             (partner_company_id, name, vat_number, country_code, email, address, postal_code,
              city, language, status)
         SELECT pc.id, $4, $5, $6, $7, $8, $9, $10, $11, 'REGISTERED'
         FROM partner_companies pc WHERE ($1 OR pc.id = $2) AND pc.id = $3
         RETURNING id",
    )
    .bind(all)
    .bind(in_scope)
    .bind(partner)
    .bind(&fields.name)
    .bind(vat_number)
    .bind(country_code)
    .bind(&fields.email)
    .bind(&fields.address)
    .bind(&fields.postal_code)
    .bind(&fields.city)
    .bind(fields.language)
    .fetch_optional(db)
    .await?)
}

/// Changes the details of the issuer `id` in `scope`; `false` when there is none.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
    fields: &IssuerFields,
) -> Result<bool, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query(&format!(
        "UPDATE issuer_companies ic SET name = $5, email = $6, address = $7, postal_code = $8,
             city = $9, language = $10, updated_at = now()
         WHERE {ISSUER_IN_SCOPE} AND ic.id = $4"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .bind(&fields.name)
    .bind(&fields.email)
    .bind(&fields.address)
    .bind(&fields.postal_code)
    .bind(&fields.city)
    .bind(fields.language)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Moves the issuer `id` in `scope` from `from` to `to`; `false` when there is none or its
/// status is no longer `from` (another operator changed it meanwhile), so the transition
/// applied is always the one that was checked.
pub async fn set_status(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
    from: IssuerStatus,
    to: IssuerStatus,
) -> Result<bool, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query(&format!(
        "UPDATE issuer_companies ic SET status = $6, updated_at = now()
         WHERE {ISSUER_IN_SCOPE} AND ic.id = $4 AND ic.status = $5"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .bind(from)
    .bind(to)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Sets the usage limit of the issuer `id` in `scope`; `false` when there is none.
pub async fn set_limit(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
    signatures: Option<i64>,
    valid_until: Option<Date>,
) -> Result<bool, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query(&format!(
        "UPDATE issuer_companies ic SET limit_signatures = $5, limit_valid_until = $6,
             updated_at = now()
         WHERE {ISSUER_IN_SCOPE} AND ic.id = $4"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .bind(signatures)
    .bind(valid_until)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
