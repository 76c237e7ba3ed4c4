//! Client services: the API tenants, found by alias when a token is asked for.

use secrecy::SecretString;
use signstash_domain::{
    Alias, CertificateId, ClientServiceId, ClientServiceStatus, IssuerCompanyId, IssuerStatus,
    Language, TemplateId, VatNumber,
};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::crypto::MasterKey;
use crate::error::{one_row, CryptoError, StoreError};

/// A new client service.
#[derive(Debug, Clone)]
pub struct NewClientService {
    /// Its issuer company.
    pub issuer_company_id: IssuerCompanyId,
    /// The alias (OAuth `client_id`), unique.
    pub alias: Alias,
    /// A display name.
    pub name: String,
    /// The argon2 PHC string of the secret (never the secret).
    pub secret_hash: String,
    /// E-mail and portal language.
    pub language: Language,
    /// The signing certificate (must belong to the same issuer).
    pub certificate_id: Option<CertificateId>,
    /// Parallel requests allowed (429 `0.0.11` above).
    pub concurrency_limit: i32,
}

/// The issuer company as seen with its client service (`SignOperation.issuerCompany`).
#[derive(Debug, Clone)]
pub struct IssuerSummary {
    /// Id.
    pub id: IssuerCompanyId,
    /// Legal name.
    pub name: String,
    /// VAT number.
    pub vat_number: VatNumber,
    /// Country (alpha-3).
    pub country_code: String,
    /// Its lifecycle status (only ACTIVE works).
    pub status: IssuerStatus,
}

/// Per-client-service SMTP settings; `None` fields fall back to the system's.
#[derive(Debug, Clone, Default)]
pub struct SmtpSettings {
    /// Host.
    pub host: Option<String>,
    /// Port.
    pub port: Option<i32>,
    /// `NONE` | `STARTTLS` | `TLS`.
    pub security: Option<String>,
    /// User name.
    pub username: Option<String>,
    /// Password sealed by the master key (context `client_services:<id>:smtp_password`).
    pub password_encrypted: Option<Vec<u8>>,
    /// Sender address.
    pub mail_from: Option<String>,
}

/// The context an SMTP password is sealed under ([`MasterKey::seal`]): bound to the client
/// service, so a sealed password copied to another row does not open.
pub fn smtp_password_context(id: ClientServiceId) -> Vec<u8> {
    format!("client_services:{}:smtp_password", id.0).into_bytes()
}

impl SmtpSettings {
    /// The host of the client service's own SMTP server; `None` (also for a blank host): the
    /// system's SMTP.
    pub fn own_host(&self) -> Option<&str> {
        self.host.as_deref().filter(|h| !h.trim().is_empty())
    }

    /// The `From` the client service set (`Name <address>` or an address); `None` (also when
    /// blank): the system's.
    pub fn sender(&self) -> Option<&str> {
        self.mail_from.as_deref().filter(|f| !f.trim().is_empty())
    }

    /// The password of client service `id`'s own server, opened with the master key;
    /// `Ok(None)` when none is stored. An error means it cannot be read: another master key,
    /// or a value sealed for another client service or altered.
    pub fn password(
        &self,
        id: ClientServiceId,
        master_key: &MasterKey,
    ) -> Result<Option<Zeroizing<String>>, CryptoError> {
        let Some(sealed) = &self.password_encrypted else {
            return Ok(None);
        };
        let opened = master_key.open(sealed, &smtp_password_context(id))?;
        Ok(Some(Zeroizing::new(
            String::from_utf8_lossy(&opened).into_owned(),
        )))
    }
}

/// A client service with its issuer.
#[derive(Debug, Clone)]
pub struct ClientService {
    /// Id.
    pub id: ClientServiceId,
    /// Alias.
    pub alias: Alias,
    /// Display name.
    pub name: String,
    /// The argon2 hash of the secret (`Debug` hides it).
    pub secret_hash: SecretString,
    /// Status (`1.1.1`/`1.1.3` when not active).
    pub status: ClientServiceStatus,
    /// Language.
    pub language: Language,
    /// The configured signing certificate (`0.0.3` when none).
    pub certificate_id: Option<CertificateId>,
    /// Chosen e-mail template (else the system default).
    pub email_template_id: Option<TemplateId>,
    /// Chosen portal template.
    pub portal_template_id: Option<TemplateId>,
    /// Chosen visible-signature text template.
    pub signature_text_template_id: Option<TemplateId>,
    /// SMTP settings.
    pub smtp: SmtpSettings,
    /// Parallel requests allowed.
    pub concurrency_limit: i32,
    /// Custody period of its documents, in months.
    pub storage_period_months: i32,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Its issuer company.
    pub issuer: IssuerSummary,
}

impl<'r> sqlx::FromRow<'r, PgRow> for ClientService {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(ClientService {
            id: row.try_get("id")?,
            alias: row.try_get("alias")?,
            name: row.try_get("name")?,
            secret_hash: SecretString::from(row.try_get::<String, _>("secret_hash")?),
            status: row.try_get("status")?,
            language: row.try_get("language")?,
            certificate_id: row.try_get("certificate_id")?,
            email_template_id: row.try_get("email_template_id")?,
            portal_template_id: row.try_get("portal_template_id")?,
            signature_text_template_id: row.try_get("signature_text_template_id")?,
            smtp: SmtpSettings {
                host: row.try_get("smtp_host")?,
                port: row.try_get("smtp_port")?,
                security: row.try_get("smtp_security")?,
                username: row.try_get("smtp_username")?,
                password_encrypted: row.try_get("smtp_password_encrypted")?,
                mail_from: row.try_get("mail_from")?,
            },
            concurrency_limit: row.try_get("concurrency_limit")?,
            storage_period_months: row.try_get("storage_period_months")?,
            created_at: row.try_get("created_at")?,
            issuer: IssuerSummary {
                id: row.try_get("issuer_company_id")?,
                name: row.try_get("issuer_name")?,
                vat_number: row.try_get("issuer_vat_number")?,
                country_code: row.try_get("issuer_country_code")?,
                status: row.try_get("issuer_status")?,
            },
        })
    }
}

const SELECT: &str = "
    SELECT cs.id, cs.alias, cs.name, cs.secret_hash, cs.status, cs.language, cs.certificate_id,
           cs.email_template_id, cs.portal_template_id, cs.signature_text_template_id,
           cs.smtp_host, cs.smtp_port, cs.smtp_security, cs.smtp_username,
           cs.smtp_password_encrypted, cs.mail_from, cs.concurrency_limit,
           cs.storage_period_months, cs.created_at, cs.issuer_company_id,
           ic.name AS issuer_name, ic.vat_number AS issuer_vat_number,
           ic.country_code AS issuer_country_code, ic.status AS issuer_status
    FROM client_services cs JOIN issuer_companies ic ON ic.id = cs.issuer_company_id";

/// Creates a client service. A taken alias → `Duplicate(Alias)`; a certificate of another
/// issuer → `NotFound`.
pub async fn create(
    db: impl PgExecutor<'_>,
    new: &NewClientService,
) -> Result<ClientServiceId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO client_services
             (issuer_company_id, alias, name, secret_hash, language, certificate_id, concurrency_limit)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.issuer_company_id)
    .bind(&new.alias)
    .bind(&new.name)
    .bind(&new.secret_hash)
    .bind(new.language)
    .bind(new.certificate_id)
    .bind(new.concurrency_limit)
    .fetch_one(db)
    .await?)
}

/// The client service with that alias, with its issuer (token endpoint, request checks).
pub async fn find_by_alias(
    db: impl PgExecutor<'_>,
    alias: &Alias,
) -> Result<Option<ClientService>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE cs.alias = $1"))
        .bind(alias)
        .fetch_optional(db)
        .await?)
}

/// The client service with that id, with its issuer.
pub async fn find(
    db: impl PgExecutor<'_>,
    id: ClientServiceId,
) -> Result<Option<ClientService>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE cs.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// Changes the status.
pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: ClientServiceId,
    status: ClientServiceStatus,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query("UPDATE client_services SET status = $2, updated_at = now() WHERE id = $1")
            .bind(id)
            .bind(status)
            .execute(db)
            .await?,
    )
}

/// Chooses the signing certificate (`None` unsets it). A certificate of another issuer →
/// `NotFound`.
pub async fn set_certificate(
    db: impl PgExecutor<'_>,
    id: ClientServiceId,
    certificate_id: Option<CertificateId>,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE client_services SET certificate_id = $2, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(certificate_id)
        .execute(db)
        .await?,
    )
}

/// Replaces the secret hash (secret rotation).
pub async fn set_secret_hash(
    db: impl PgExecutor<'_>,
    id: ClientServiceId,
    secret_hash: &str,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE client_services SET secret_hash = $2, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(secret_hash)
        .execute(db)
        .await?,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_smtp_password_opens_only_for_its_own_client_service() {
        let key = MasterKey::generate();
        let sealed = key
            .seal(b"p@ss:w/rd", &smtp_password_context(ClientServiceId(7)))
            .unwrap();
        let settings = SmtpSettings {
            host: Some("mail.example.com".into()),
            password_encrypted: Some(sealed),
            ..SmtpSettings::default()
        };
        let opened = settings
            .password(ClientServiceId(7), &key)
            .unwrap()
            .unwrap();
        assert_eq!(opened.as_str(), "p@ss:w/rd");
        // Copied to another client service, or read with another master key: unreadable.
        assert!(settings.password(ClientServiceId(8), &key).is_err());
        assert!(settings
            .password(ClientServiceId(7), &MasterKey::generate())
            .is_err());
        // None stored: nothing to open.
        assert!(SmtpSettings::default()
            .password(ClientServiceId(7), &key)
            .unwrap()
            .is_none());
    }

    #[test]
    fn blank_settings_mean_the_systems() {
        let blank = SmtpSettings {
            host: Some("  ".into()),
            mail_from: Some(String::new()),
            ..SmtpSettings::default()
        };
        assert_eq!(blank.own_host(), None);
        assert_eq!(blank.sender(), None);
        let own = SmtpSettings {
            host: Some("mail.example.com".into()),
            mail_from: Some("Acme <a@acme.example>".into()),
            ..SmtpSettings::default()
        };
        assert_eq!(own.own_host(), Some("mail.example.com"));
        assert_eq!(own.sender(), Some("Acme <a@acme.example>"));
    }
}
