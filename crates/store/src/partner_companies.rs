//! Partner companies as the backoffice lists, shows and changes them: every read takes the
//! operator's [`Scope`] (the platform sees every partner, a partner operator its own company,
//! anyone else none), so an id outside it reads exactly like a missing one.

use signstash_domain::{
    CompanyStatus, EmailAddress, Language, PartnerCompanyId, PartnerKind, VatNumber,
};
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;
use crate::scope::Scope;

/// A list's filters (all optional).
#[derive(Debug, Clone, Default)]
pub struct PartnerFilter {
    /// Part of the name, any case.
    pub name: Option<String>,
    /// Created on or after.
    pub created_from: Option<Date>,
    /// Created on or before.
    pub created_to: Option<Date>,
}

/// A partner company.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Partner {
    pub id: PartnerCompanyId,
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
    pub kind: PartnerKind,
    pub status: CompanyStatus,
    /// The usage limit: signatures, and until when (none: an alert, no block).
    pub limit_signatures: Option<i64>,
    pub limit_valid_until: Option<Date>,
    pub created_at: OffsetDateTime,
}

impl Partner {
    /// The partner's code, `<country>.<VAT>` (e.g. `PRT.123456789`).
    pub fn code(&self) -> String {
        format!("{}.{}", self.country_code, self.vat_number.as_str())
    }
}

/// What the create and edit forms set.
#[derive(Debug, Clone)]
pub struct PartnerFields {
    pub name: String,
    pub email: Option<EmailAddress>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub language: Language,
    pub kind: PartnerKind,
    pub status: CompanyStatus,
}

const COLUMNS: &str = "pc.id, pc.name, pc.vat_number, pc.country_code, pc.email, pc.address,
    pc.postal_code, pc.city, pc.language, pc.kind, pc.status, pc.limit_signatures,
    pc.limit_valid_until, pc.created_at";

/// The condition on a `partner_companies` row aliased `pc`, over `$1` (everything?) and `$2`
/// (the operator's partner).
const IN_SCOPE: &str = "($1 OR pc.id = $2)";

/// A page of the partners in `scope` matching `filter`, by name.
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &PartnerFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Partner>, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM partner_companies pc
         WHERE {IN_SCOPE}
           AND ($3::TEXT IS NULL OR pc.name ILIKE '%' || $3 || '%')
           AND ($4::DATE IS NULL OR pc.created_at >= $4::DATE)
           AND ($5::DATE IS NULL OR pc.created_at < $5::DATE + 1)
         ORDER BY lower(pc.name), pc.id
         OFFSET $6 LIMIT $7"
    ))
    .bind(all)
    .bind(partner)
    .bind(filter.name.as_deref().map(crate::like_escape))
    .bind(filter.created_from)
    .bind(filter.created_to)
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The partner `id`, if it exists and is in `scope`.
pub async fn find(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: PartnerCompanyId,
) -> Result<Option<Partner>, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM partner_companies pc WHERE {IN_SCOPE} AND pc.id = $3"
    ))
    .bind(all)
    .bind(partner)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Creates a partner. A VAT number another partner has → `Duplicate`.
pub async fn create(
    db: impl PgExecutor<'_>,
    vat_number: &VatNumber,
    country_code: &str,
    fields: &PartnerFields,
) -> Result<PartnerCompanyId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO partner_companies
             (name, vat_number, country_code, email, address, postal_code, city, language, kind, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&fields.name)
    .bind(vat_number)
    .bind(country_code)
    .bind(&fields.email)
    .bind(&fields.address)
    .bind(&fields.postal_code)
    .bind(&fields.city)
    .bind(fields.language)
    .bind(fields.kind)
    .bind(fields.status)
    .fetch_one(db)
    .await?)
}

/// Changes the partner `id` in `scope`; `false` when there is none.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: PartnerCompanyId,
    fields: &PartnerFields,
) -> Result<bool, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query(&format!(
        "UPDATE partner_companies pc SET name = $4, email = $5, address = $6, postal_code = $7,
             city = $8, language = $9, kind = $10, status = $11, updated_at = now()
         WHERE {IN_SCOPE} AND pc.id = $3"
    ))
    .bind(all)
    .bind(partner)
    .bind(id)
    .bind(&fields.name)
    .bind(&fields.email)
    .bind(&fields.address)
    .bind(&fields.postal_code)
    .bind(&fields.city)
    .bind(fields.language)
    .bind(fields.kind)
    .bind(fields.status)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// Sets the usage limit of the partner `id` in `scope`; `false` when there is none.
pub async fn set_limit(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: PartnerCompanyId,
    signatures: Option<i64>,
    valid_until: Option<Date>,
) -> Result<bool, StoreError> {
    let (all, partner) = scope.partner_params();
    Ok(sqlx::query(&format!(
        "UPDATE partner_companies pc SET limit_signatures = $4, limit_valid_until = $5,
             updated_at = now()
         WHERE {IN_SCOPE} AND pc.id = $3"
    ))
    .bind(all)
    .bind(partner)
    .bind(id)
    .bind(signatures)
    .bind(valid_until)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
