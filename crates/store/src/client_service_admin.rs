//! Client services as the backoffice lists, shows and changes them: every query takes the
//! operator's [`Scope`] (a client service is in scope when its issuer company is), so an id
//! outside it reads exactly like a missing one. Changes fire the `client_services` NOTIFY
//! trigger: integration-ws forgets what it kept and the next request sees them.

use signstash_domain::{
    CertificateId, ClientServiceId, ClientServiceStatus, IssuerCompanyId, IssuerStatus, Language,
    PartnerCompanyId,
};
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;
use crate::scope::{Scope, ISSUER_IN_SCOPE};

/// A list's filters (all optional).
#[derive(Debug, Clone, Default)]
pub struct ClientServiceFilter {
    /// Part of the alias, any case.
    pub alias: Option<String>,
    /// Part of the name or the bundle, any case.
    pub text: Option<String>,
    pub status: Option<ClientServiceStatus>,
    /// Created on or after.
    pub created_from: Option<Date>,
    /// Created on or before.
    pub created_to: Option<Date>,
    /// Part of the issuer company's name or VAT number, any case (still within the scope).
    pub issuer: Option<String>,
}

/// A row of the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientServiceRow {
    pub id: ClientServiceId,
    pub alias: String,
    pub name: String,
    pub bundle: String,
    pub status: ClientServiceStatus,
    pub issuer_name: String,
    pub created_at: OffsetDateTime,
}

/// Everything the detail page shows (never the secret hash nor the SMTP password).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientServiceDetail {
    pub id: ClientServiceId,
    pub alias: String,
    pub name: String,
    pub bundle: String,
    pub extra_information: String,
    pub status: ClientServiceStatus,
    pub language: Language,
    pub created_at: OffsetDateTime,
    pub issuer_company_id: IssuerCompanyId,
    pub issuer_name: String,
    pub issuer_vat_number: String,
    pub issuer_country_code: String,
    pub issuer_status: IssuerStatus,
    pub partner_company_id: PartnerCompanyId,
    pub partner_name: String,
    pub partner_vat_number: String,
    pub partner_country_code: String,
    pub certificate_id: Option<CertificateId>,
    pub certificate_label: Option<String>,
    pub certificate_subject: Option<String>,
    pub certificate_not_after: Option<OffsetDateTime>,
    pub concurrency_limit: i32,
    pub storage_period_months: i32,
    /// Days a portal link stays valid (`None`: the system's).
    pub link_validity_days: Option<i32>,
    pub access_code_required: bool,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    /// Whether a password is stored (its value never leaves the store here).
    pub smtp_password_set: bool,
    pub mail_from: Option<String>,
}

impl ClientServiceDetail {
    /// `<country>.<VAT>` of the issuer.
    pub fn issuer_code(&self) -> String {
        format!("{}.{}", self.issuer_country_code, self.issuer_vat_number)
    }

    /// `<country>.<VAT>` of the partner.
    pub fn partner_code(&self) -> String {
        format!("{}.{}", self.partner_country_code, self.partner_vat_number)
    }

    /// Whether it sends through its own SMTP server (else the system's).
    pub fn own_smtp(&self) -> bool {
        self.smtp_host.is_some()
    }
}

/// An issuer a client service may be created for, with what its alias is made of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssuerChoice {
    pub id: IssuerCompanyId,
    pub name: String,
    pub vat_number: String,
    pub country_code: String,
    pub partner_company_id: PartnerCompanyId,
    pub partner_name: String,
    pub partner_vat_number: String,
    pub partner_country_code: String,
}

impl IssuerChoice {
    /// `<country>.<VAT>`: the issuer's code.
    pub fn code(&self) -> String {
        format!("{}.{}", self.country_code, self.vat_number)
    }

    /// The alias's first two parts: `<partner country>.<partner VAT>-<issuer country>.<issuer VAT>`.
    pub fn alias_prefix(&self) -> String {
        format!(
            "{}.{}-{}.{}",
            self.partner_country_code, self.partner_vat_number, self.country_code, self.vat_number
        )
    }
}

/// A certificate a client service may sign with.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CertificateChoice {
    pub id: CertificateId,
    pub issuer_company_id: IssuerCompanyId,
    pub label: String,
    pub subject: Option<String>,
    pub not_after: Option<OffsetDateTime>,
}

/// A new client service (the alias and the secret's hash made by the caller).
#[derive(Debug, Clone)]
pub struct NewClientService {
    pub issuer_company_id: IssuerCompanyId,
    pub alias: String,
    /// The argon2id PHC string of the secret (never the secret).
    pub secret_hash: String,
    pub fields: ClientServiceFields,
}

/// What the create and edit forms set.
#[derive(Debug, Clone)]
pub struct ClientServiceFields {
    pub bundle: String,
    pub extra_information: String,
    pub language: Language,
    pub certificate_id: Option<CertificateId>,
}

/// The general configuration of a client service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub concurrency_limit: i32,
    pub storage_period_months: i32,
    pub link_validity_days: Option<i32>,
    pub access_code_required: bool,
}

/// A client service's own SMTP server.
#[derive(Debug, Clone)]
pub struct OwnSmtp {
    pub host: String,
    pub port: i32,
    /// `NONE` | `STARTTLS` | `TLS`.
    pub security: String,
    pub username: Option<String>,
    /// `None`: keep the stored one; else the password sealed by the master key.
    pub password_encrypted: Option<Vec<u8>>,
    pub mail_from: Option<String>,
}

/// The context an SMTP password is sealed under (`MasterKey::seal`), as integration-ws reads it
/// (`client_services::SmtpSettings::password`).
pub use crate::client_services::smtp_password_context;

const DETAIL: &str = "
    SELECT cs.id, cs.alias, cs.name, cs.bundle, cs.extra_information, cs.status, cs.language,
           cs.created_at, cs.issuer_company_id, ic.name AS issuer_name,
           ic.vat_number AS issuer_vat_number, ic.country_code AS issuer_country_code,
           ic.status AS issuer_status, pc.id AS partner_company_id, pc.name AS partner_name,
           pc.vat_number AS partner_vat_number, pc.country_code AS partner_country_code,
           cs.certificate_id, c.label AS certificate_label, c.subject AS certificate_subject,
           c.not_after AS certificate_not_after, cs.concurrency_limit, cs.storage_period_months,
           cs.link_validity_days, cs.access_code_required, cs.smtp_host, cs.smtp_port,
           cs.smtp_security, cs.smtp_username,
           cs.smtp_password_encrypted IS NOT NULL AS smtp_password_set, cs.mail_from
    FROM client_services cs
    JOIN issuer_companies ic ON ic.id = cs.issuer_company_id
    JOIN partner_companies pc ON pc.id = ic.partner_company_id
    LEFT JOIN certificates c ON c.id = cs.certificate_id";

/// A page of the client services in `scope` matching `filter`, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &ClientServiceFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<ClientServiceRow>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT cs.id, cs.alias, cs.name, cs.bundle, cs.status, ic.name AS issuer_name,
                cs.created_at
         FROM client_services cs JOIN issuer_companies ic ON ic.id = cs.issuer_company_id
         WHERE {ISSUER_IN_SCOPE}
           AND ($4::TEXT IS NULL OR cs.alias ILIKE '%' || $4 || '%')
           AND ($5::TEXT IS NULL OR cs.name ILIKE '%' || $5 || '%' OR cs.bundle ILIKE '%' || $5 || '%')
           AND ($6::TEXT IS NULL OR cs.status = $6)
           AND ($7::DATE IS NULL OR cs.created_at >= $7::DATE)
           AND ($8::DATE IS NULL OR cs.created_at < $8::DATE + 1)
           AND ($9::TEXT IS NULL OR ic.name ILIKE '%' || $9 || '%' OR ic.vat_number LIKE '%' || $9 || '%')
         ORDER BY cs.created_at DESC, cs.id DESC
         OFFSET $10 LIMIT $11"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(filter.alias.as_deref().map(crate::like_escape))
    .bind(filter.text.as_deref().map(crate::like_escape))
    .bind(filter.status)
    .bind(filter.created_from)
    .bind(filter.created_to)
    .bind(filter.issuer.as_deref().map(crate::like_escape))
    .bind(offset)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The client service `id`, if it exists and is in `scope`.
pub async fn find(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
) -> Result<Option<ClientServiceDetail>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(
        sqlx::query_as(&format!("{DETAIL} WHERE {ISSUER_IN_SCOPE} AND cs.id = $4"))
            .bind(all)
            .bind(partner)
            .bind(issuers)
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

const ISSUER_CHOICE: &str = "
    SELECT ic.id, ic.name, ic.vat_number, ic.country_code, pc.id AS partner_company_id,
           pc.name AS partner_name, pc.vat_number AS partner_vat_number,
           pc.country_code AS partner_country_code
    FROM issuer_companies ic JOIN partner_companies pc ON pc.id = ic.partner_company_id
    WHERE {ISSUER_IN_SCOPE} AND ic.status IN ('ACTIVE', 'REGISTERED')";

/// The first `limit` issuers in `scope` a client service may be created for (ACTIVE or
/// REGISTERED) whose name or VAT number contains `text` (any case; every one when `None`), by
/// name: the first step of creating a client service, which never lists a whole platform.
pub async fn search_issuers_for_new(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    text: Option<&str>,
    limit: i64,
) -> Result<Vec<IssuerChoice>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "{} AND ($4::TEXT IS NULL OR ic.name ILIKE '%' || $4 || '%' OR ic.vat_number LIKE '%' || $4 || '%')
         ORDER BY ic.name, ic.id LIMIT $5",
        ISSUER_CHOICE.replace("{ISSUER_IN_SCOPE}", ISSUER_IN_SCOPE)
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(text.map(crate::like_escape))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The issuer `id` if a client service may be created for it by an operator of `scope`.
pub async fn issuer_for_new(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: IssuerCompanyId,
) -> Result<Option<IssuerChoice>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "{} AND ic.id = $4",
        ISSUER_CHOICE.replace("{ISSUER_IN_SCOPE}", ISSUER_IN_SCOPE)
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The ACTIVE certificates of `issuer` if it is in `scope`, by label; `also` is listed whatever
/// its status (a client service's current one).
pub async fn certificates(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    issuer: IssuerCompanyId,
    also: Option<CertificateId>,
) -> Result<Vec<CertificateChoice>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT c.id, c.issuer_company_id, c.label, c.subject, c.not_after
         FROM certificates c JOIN issuer_companies ic ON ic.id = c.issuer_company_id
         WHERE {ISSUER_IN_SCOPE}
           AND (c.status = 'ACTIVE' OR c.id = $5)
           AND c.issuer_company_id = $4
         ORDER BY lower(c.label), c.id"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(issuer)
    .bind(also)
    .fetch_all(db)
    .await?)
}

/// Creates a client service. A taken alias → `Duplicate(Alias)`; a certificate of another
/// issuer → `NotFound`.
pub async fn create(
    db: impl PgExecutor<'_>,
    new: &NewClientService,
) -> Result<ClientServiceId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO client_services
             (issuer_company_id, alias, secret_hash, bundle, extra_information, language,
              certificate_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.issuer_company_id)
    .bind(&new.alias)
    .bind(&new.secret_hash)
    .bind(&new.fields.bundle)
    .bind(&new.fields.extra_information)
    .bind(new.fields.language)
    .bind(new.fields.certificate_id)
    .fetch_one(db)
    .await?)
}

/// Runs `UPDATE client_services cs SET {set} WHERE <in scope> AND cs.id = $4` with the extra
/// parameters bound by `bind`; whether a row changed.
macro_rules! scoped_update {
    ($db:expr, $scope:expr, $id:expr, $set:literal $(, $value:expr)*) => {{
        let (all, partner, issuers) = $scope.params();
        let sql = format!(
            "UPDATE client_services cs SET {}, updated_at = now()
             FROM issuer_companies ic
             WHERE ic.id = cs.issuer_company_id AND {ISSUER_IN_SCOPE} AND cs.id = $4",
            $set
        );
        let query = sqlx::query(&sql).bind(all).bind(partner).bind(issuers).bind($id);
        $(let query = query.bind($value);)*
        Ok(query.execute($db).await?.rows_affected() == 1)
    }};
}

/// Changes the client service `id` in `scope`; `false` when there is none. A certificate of
/// another issuer → `NotFound`.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
    fields: &ClientServiceFields,
) -> Result<bool, StoreError> {
    scoped_update!(
        db,
        scope,
        id,
        "bundle = $5, extra_information = $6, language = $7, certificate_id = $8",
        &fields.bundle,
        &fields.extra_information,
        fields.language,
        fields.certificate_id
    )
}

/// Sets the status of the client service `id` in `scope`; `false` when there is none.
pub async fn set_status(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
    status: ClientServiceStatus,
) -> Result<bool, StoreError> {
    scoped_update!(db, scope, id, "status = $5", status)
}

/// Replaces the secret's hash (rotation: the old secret stops working at once).
pub async fn set_secret_hash(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
    secret_hash: &str,
) -> Result<bool, StoreError> {
    scoped_update!(db, scope, id, "secret_hash = $5", secret_hash)
}

/// Sets the general configuration.
pub async fn set_settings(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
    settings: &Settings,
) -> Result<bool, StoreError> {
    scoped_update!(
        db,
        scope,
        id,
        "concurrency_limit = $5, storage_period_months = $6, link_validity_days = $7,
         access_code_required = $8",
        settings.concurrency_limit,
        settings.storage_period_months,
        settings.link_validity_days,
        settings.access_code_required
    )
}

/// Sets the SMTP server: its own (a `None` password keeps the stored one), or the system's
/// (`None`: every SMTP column cleared).
pub async fn set_smtp(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
    smtp: Option<&OwnSmtp>,
) -> Result<bool, StoreError> {
    match smtp {
        None => scoped_update!(
            db,
            scope,
            id,
            "smtp_host = NULL, smtp_port = NULL, smtp_security = NULL, smtp_username = NULL,
             smtp_password_encrypted = NULL, mail_from = NULL"
        ),
        Some(s) => scoped_update!(
            db,
            scope,
            id,
            "smtp_host = $5, smtp_port = $6, smtp_security = $7, smtp_username = $8,
             smtp_password_encrypted = coalesce($9, cs.smtp_password_encrypted), mail_from = $10",
            &s.host,
            s.port,
            &s.security,
            &s.username,
            &s.password_encrypted,
            &s.mail_from
        ),
    }
}
