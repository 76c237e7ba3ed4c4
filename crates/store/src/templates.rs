//! Templates: e-mail (subject + body per language), portal (CSS + logo), visible signature
//! text. A client service's own template wins over the system default.

use signstash_domain::{ClientServiceId, Language, TemplateId, TemplateKind};
use sqlx::PgExecutor;

use crate::error::StoreError;

/// A new template.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    /// `None`: the system default for its kind and language.
    pub client_service_id: Option<ClientServiceId>,
    /// Kind.
    pub kind: TemplateKind,
    /// Language (required for e-mails).
    pub language: Option<Language>,
    /// Name for operators.
    pub name: String,
    /// E-mail subject.
    pub subject: Option<String>,
    /// Body (askama source, CSS or signature text).
    pub body: String,
    /// Portal logo.
    pub logo: Option<Vec<u8>>,
    /// Logo MIME type.
    pub logo_content_type: Option<String>,
}

/// A template as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Template {
    /// Id.
    pub id: TemplateId,
    /// Owner (`None`: system default).
    pub client_service_id: Option<ClientServiceId>,
    /// Kind.
    pub kind: TemplateKind,
    /// Language.
    pub language: Option<Language>,
    /// Name.
    pub name: String,
    /// Subject.
    pub subject: Option<String>,
    /// Body.
    pub body: String,
    /// Logo.
    pub logo: Option<Vec<u8>>,
    /// Logo MIME type.
    pub logo_content_type: Option<String>,
}

/// Stores a template. A second system default of the same kind and language →
/// `Duplicate(Other)`.
pub async fn insert(db: impl PgExecutor<'_>, new: &NewTemplate) -> Result<TemplateId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO templates
             (client_service_id, kind, language, name, subject, body, logo, logo_content_type)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.client_service_id)
    .bind(new.kind)
    .bind(new.language)
    .bind(&new.name)
    .bind(&new.subject)
    .bind(&new.body)
    .bind(&new.logo)
    .bind(&new.logo_content_type)
    .fetch_one(db)
    .await?)
}

/// The template a client service uses for `kind` in `language`: the one it chose (its
/// `*_template_id`), else one of its own in that language, else the system default.
pub async fn effective(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    kind: TemplateKind,
    language: Option<Language>,
) -> Result<Option<Template>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.client_service_id, t.kind, t.language, t.name, t.subject, t.body, t.logo,
                t.logo_content_type
         FROM templates t
         LEFT JOIN client_services cs ON cs.id = $1
         WHERE t.kind = $2
           AND (t.language IS NOT DISTINCT FROM $3 OR t.language IS NULL)
           AND (t.client_service_id = $1 OR t.client_service_id IS NULL)
         ORDER BY (t.id = CASE $2 WHEN 'EMAIL' THEN cs.email_template_id
                                  WHEN 'PORTAL' THEN cs.portal_template_id
                                  ELSE cs.signature_text_template_id END) IS TRUE DESC,
                  (t.client_service_id IS NOT NULL) DESC,
                  (t.language IS NOT NULL) DESC,
                  t.id DESC
         LIMIT 1",
    )
    .bind(client_service_id)
    .bind(kind)
    .bind(language)
    .fetch_optional(db)
    .await?)
}
