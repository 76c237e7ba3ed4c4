//! Partner and issuer companies (the tree system → partners → issuers).

use signstash_domain::{
    CompanyStatus, EmailAddress, IssuerCompanyId, IssuerStatus, PartnerCompanyId, VatNumber,
};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::error::{one_row, StoreError};

/// A new partner company.
#[derive(Debug, Clone)]
pub struct NewPartnerCompany {
    /// Legal name.
    pub name: String,
    /// VAT number (unique among partners).
    pub vat_number: VatNumber,
    /// ISO 3166-1 alpha-3, e.g. `PRT`.
    pub country_code: String,
    /// Contact e-mail.
    pub email: Option<EmailAddress>,
}

/// A new issuer company under a partner.
#[derive(Debug, Clone)]
pub struct NewIssuerCompany {
    /// The partner that manages it.
    pub partner_company_id: PartnerCompanyId,
    /// Legal name (`issuerCompany.name`).
    pub name: String,
    /// VAT number, unique per partner (`issuerCompany.vatNumber`).
    pub vat_number: VatNumber,
    /// ISO 3166-1 alpha-3 (`issuerCompany.countryCode`).
    pub country_code: String,
    /// Street address.
    pub address: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Contact e-mail (certificate expiry warnings).
    pub email: Option<EmailAddress>,
}

/// An issuer company as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssuerCompany {
    /// Id.
    pub id: IssuerCompanyId,
    /// Its partner.
    pub partner_company_id: PartnerCompanyId,
    /// Legal name.
    pub name: String,
    /// VAT number.
    pub vat_number: VatNumber,
    /// Country (alpha-3).
    pub country_code: String,
    /// Street address.
    pub address: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Contact e-mail.
    pub email: Option<EmailAddress>,
    /// Its lifecycle status (`1.2.0` unless ACTIVE).
    pub status: IssuerStatus,
    /// Created.
    pub created_at: OffsetDateTime,
}

/// Creates a partner company.
pub async fn create_partner(
    db: impl PgExecutor<'_>,
    new: &NewPartnerCompany,
) -> Result<PartnerCompanyId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO partner_companies (name, vat_number, country_code, email)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.vat_number)
    .bind(&new.country_code)
    .bind(&new.email)
    .fetch_one(db)
    .await?)
}

/// Creates an issuer company.
pub async fn create_issuer(
    db: impl PgExecutor<'_>,
    new: &NewIssuerCompany,
) -> Result<IssuerCompanyId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO issuer_companies
             (partner_company_id, name, vat_number, country_code, address, postal_code, city, email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.partner_company_id)
    .bind(&new.name)
    .bind(&new.vat_number)
    .bind(&new.country_code)
    .bind(&new.address)
    .bind(&new.postal_code)
    .bind(&new.city)
    .bind(&new.email)
    .fetch_one(db)
    .await?)
}

/// An issuer company by id.
pub async fn find_issuer(
    db: impl PgExecutor<'_>,
    id: IssuerCompanyId,
) -> Result<Option<IssuerCompany>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, partner_company_id, name, vat_number, country_code, address, postal_code,
                city, email, status, created_at
         FROM issuer_companies WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Sets an issuer company's lifecycle status.
pub async fn set_issuer_status(
    db: impl PgExecutor<'_>,
    id: IssuerCompanyId,
    status: IssuerStatus,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query("UPDATE issuer_companies SET status = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(status)
            .execute(db)
            .await?,
    )
}

/// Switches a partner company on or off.
pub async fn set_partner_status(
    db: impl PgExecutor<'_>,
    id: PartnerCompanyId,
    status: CompanyStatus,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query("UPDATE partner_companies SET status = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(status)
            .execute(db)
            .await?,
    )
}
