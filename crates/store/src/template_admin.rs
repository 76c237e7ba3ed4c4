//! Visual templates as the backoffice changes them: a client service's own templates (found
//! only through a client service in the operator's [`Scope`], so another tenant's reads like a
//! missing one) and the system defaults. What the services read is [`crate::templates::effective`].

use signstash_domain::{
    ClientServiceId, IssuerCompanyId, Language, PartnerCompanyId, TemplateId, TemplateKind,
};
use sqlx::{PgConnection, PgExecutor};

use crate::error::StoreError;
use crate::scope::{Scope, ISSUER_IN_SCOPE};
use crate::templates::Template;

/// The client service whose templates a page shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRef {
    pub id: ClientServiceId,
    pub alias: String,
    pub name: String,
    pub language: Language,
    pub issuer_company_id: IssuerCompanyId,
    pub issuer_name: String,
    pub partner_company_id: PartnerCompanyId,
}

/// The client service `id`, if it exists and its issuer is in `scope`.
pub async fn client_service(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: ClientServiceId,
) -> Result<Option<ServiceRef>, StoreError> {
    let (all, partner, issuers) = scope.params();
    Ok(sqlx::query_as(&format!(
        "SELECT cs.id, cs.alias, cs.name, cs.language, ic.id AS issuer_company_id,
                ic.name AS issuer_name, ic.partner_company_id
         FROM client_services cs JOIN issuer_companies ic ON ic.id = cs.issuer_company_id
         WHERE {ISSUER_IN_SCOPE} AND cs.id = $4"
    ))
    .bind(all)
    .bind(partner)
    .bind(issuers)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

const COLUMNS: &str = "t.id, t.client_service_id, t.kind, t.language, t.name, t.subject, t.body,
    t.logo, t.logo_content_type";

/// The templates of `owner` (a client service, or `None`: the system defaults).
pub async fn stored(
    db: impl PgExecutor<'_>,
    owner: Option<ClientServiceId>,
) -> Result<Vec<Template>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM templates t
         WHERE t.client_service_id IS NOT DISTINCT FROM $1
         ORDER BY t.kind, t.language, t.id"
    ))
    .bind(owner)
    .fetch_all(db)
    .await?)
}

/// What a save sets.
#[derive(Debug, Clone)]
pub struct Fields {
    pub kind: TemplateKind,
    /// E-mails only; the others are for every language.
    pub language: Option<Language>,
    pub name: String,
    pub subject: Option<String>,
    pub body: String,
    /// `Some`: replace the logo (PORTAL); `None`: keep the one stored.
    pub logo: Option<(Vec<u8>, String)>,
}

/// Creates or replaces `owner`'s template of `fields.kind` (and language): one per owner,
/// kind and language. Returns its id and whether it existed.
pub async fn save(
    db: &mut PgConnection,
    owner: Option<ClientServiceId>,
    fields: &Fields,
) -> Result<(TemplateId, bool), StoreError> {
    let existing: Option<TemplateId> = sqlx::query_scalar(
        "SELECT id FROM templates
         WHERE client_service_id IS NOT DISTINCT FROM $1 AND kind = $2
           AND language IS NOT DISTINCT FROM $3
         ORDER BY id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(owner)
    .bind(fields.kind)
    .bind(fields.language)
    .fetch_optional(&mut *db)
    .await?;
    let (logo, logo_type) = match &fields.logo {
        Some((bytes, content_type)) => (Some(bytes.as_slice()), Some(content_type.as_str())),
        None => (None, None),
    };
    if let Some(id) = existing {
        sqlx::query(
            "UPDATE templates SET name = $2, subject = $3, body = $4,
                 logo = CASE WHEN $5 THEN $6 ELSE logo END,
                 logo_content_type = CASE WHEN $5 THEN $7 ELSE logo_content_type END,
                 updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(&fields.name)
        .bind(&fields.subject)
        .bind(&fields.body)
        .bind(fields.logo.is_some())
        .bind(logo)
        .bind(logo_type)
        .execute(&mut *db)
        .await?;
        return Ok((id, true));
    }
    let id = sqlx::query_scalar(
        "INSERT INTO templates
             (client_service_id, kind, language, name, subject, body, logo, logo_content_type)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(owner)
    .bind(fields.kind)
    .bind(fields.language)
    .bind(&fields.name)
    .bind(&fields.subject)
    .bind(&fields.body)
    .bind(logo)
    .bind(logo_type)
    .fetch_one(&mut *db)
    .await?;
    Ok((id, false))
}

/// Removes `owner`'s templates of `kind` (in `language`, for e-mails; `None`: every language):
/// the client service goes back to the system default, the system to the built-in look and
/// words. A client service's choice of a removed template is cleared. Returns how many went.
pub async fn remove(
    db: &mut PgConnection,
    owner: Option<ClientServiceId>,
    kind: TemplateKind,
    language: Option<Language>,
) -> Result<u64, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM templates
         WHERE client_service_id IS NOT DISTINCT FROM $1 AND kind = $2
           AND ($3::TEXT IS NULL OR language = $3)
         FOR UPDATE",
    )
    .bind(owner)
    .bind(kind)
    .bind(language)
    .fetch_all(&mut *db)
    .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "UPDATE client_services SET
             email_template_id = CASE WHEN email_template_id = ANY($1) THEN NULL ELSE email_template_id END,
             portal_template_id = CASE WHEN portal_template_id = ANY($1) THEN NULL ELSE portal_template_id END,
             signature_text_template_id = CASE WHEN signature_text_template_id = ANY($1)
                 THEN NULL ELSE signature_text_template_id END
         WHERE email_template_id = ANY($1) OR portal_template_id = ANY($1)
            OR signature_text_template_id = ANY($1)",
    )
    .bind(&ids)
    .execute(&mut *db)
    .await?;
    Ok(sqlx::query("DELETE FROM templates WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *db)
        .await?
        .rows_affected())
}
