//! System configurations (the platform only): the index, certificate authorities (list with
//! its filters, detail, create, edit; their client secret sealed with the master key, never
//! shown back) and the general configuration. Connecting to a remote CA comes with the
//! certificates' issue. The system templates live in their own module.

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use signstash_domain::{CertificateAuthorityId, Language};
use signstash_store::authority_admin::{self, Authority, AuthorityFields, AuthorityFilter};
use signstash_store::system_configuration::{self, SystemConfiguration};
use signstash_store::StoreError;

use crate::audit::{self, Changes, Target};
use crate::form::{self, Errors};
use crate::i18n::Texts;
use crate::list::{self, Pager};
use crate::menu::Menu;
use crate::page::path_id as id;
use crate::page::Done;
use crate::page::{self, Chrome, PageError, Signed, SignedForm};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const INDEX: &str = "/system-configurations";
const AUTHORITIES: &str = "/system-configurations/certificate-authorities";
const GENERAL: &str = "/system-configurations/general";

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, INDEX, get(index)),
        route(Method::GET, AUTHORITIES, get(list)),
        route(Method::POST, AUTHORITIES, post(create)),
        route(
            Method::GET,
            "/system-configurations/certificate-authorities/new",
            get(new),
        ),
        route(
            Method::GET,
            "/system-configurations/certificate-authorities/{id}",
            get(detail),
        ),
        route(
            Method::POST,
            "/system-configurations/certificate-authorities/{id}",
            post(edit),
        ),
        route(
            Method::GET,
            "/system-configurations/certificate-authorities/{id}/edit",
            get(edit_page),
        ),
        route(Method::GET, GENERAL, get(general)),
        route(Method::POST, GENERAL, post(save_general)),
    ]
}

#[derive(Template)]
#[template(path = "system/index.html")]
struct IndexPage<'a> {
    c: &'a Chrome,
}

async fn index(State(app): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::SystemConfigurations))
        .await?;
    Ok(signed.page(&IndexPage { c: &signed.chrome }))
}

// ---- Certificate authorities ----

/// The list's filters as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    name: String,
    /// `REMOTE`, `LOCAL` or empty.
    #[serde(rename = "type")]
    kind: String,
    created_from: String,
    created_to: String,
    page: String,
}

#[derive(Template)]
#[template(path = "system/authorities.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    f: &'a Filters,
    errors: &'a Errors,
    rows: &'a [Authority],
    pager: &'a Pager,
    list_path: &'static str,
}

async fn list(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::SystemConfigurations))
        .await?;
    let f: Filters = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let t = signed.t();
    let mut errors = Errors::default();
    let filter = AuthorityFilter {
        name: list::text(&f.name),
        remote: match f.kind.as_str() {
            "REMOTE" => Some(true),
            "LOCAL" => Some(false),
            _ => None,
        },
        created_from: form::date(&mut errors, t, "created_from", &f.created_from),
        created_to: form::date(&mut errors, t, "created_to", &f.created_to),
    };
    let page = list::page(&f.page);
    let (rows, more) = list::split(
        authority_admin::list(
            &app.db,
            signed.scope(),
            &filter,
            list::offset(page),
            list::PER_PAGE + 1,
        )
        .await?,
    );
    let pager = Pager::new(AUTHORITIES, query.as_deref(), page, more);
    Ok(signed.page(&ListPage {
        c: &signed.chrome,
        f: &f,
        errors: &errors,
        rows: &rows,
        pager: &pager,
        list_path: AUTHORITIES,
    }))
}

async fn load(app: &AppState, signed: &Signed, raw: &str) -> Result<Authority, PageError> {
    let Some(id) = id(raw) else {
        return Err(signed.not_found());
    };
    authority_admin::find(&app.db, signed.scope(), CertificateAuthorityId(id))
        .await?
        .ok_or_else(|| signed.not_found())
}

/// The subjects of the certificates of a PEM chain, in order (RFC 4514-like, `CN=…, O=…`);
/// `None` when it is not one or more PEM certificates and nothing else.
pub fn chain_subjects(pem: &str) -> Option<Vec<String>> {
    let blocks = pem.matches("-----BEGIN").count();
    let certificates = pem.matches("-----BEGIN CERTIFICATE-----").count();
    if certificates == 0 || blocks != certificates {
        return None;
    }
    let stack = openssl::x509::X509::stack_from_pem(pem.as_bytes()).ok()?;
    if stack.len() != certificates {
        return None;
    }
    Some(
        stack
            .iter()
            .map(|c| {
                c.subject_name()
                    .entries()
                    .map(|e| {
                        let key = e.object().nid().short_name().unwrap_or("?");
                        let value = e.data().to_string().unwrap_or_default();
                        format!("{key}={value}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "system/authority.html")]
struct DetailPage<'a> {
    c: &'a Chrome,
    a: &'a Authority,
    subjects: &'a [String],
    created: String,
    updated: String,
    done: &'a str,
}

async fn detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::SystemConfigurations))
        .await?;
    let a = load(&app, &signed, &raw).await?;
    let subjects = a
        .ca_chain_pem
        .as_deref()
        .and_then(chain_subjects)
        .unwrap_or_default();
    Ok(signed.page(&DetailPage {
        c: &signed.chrome,
        a: &a,
        subjects: &subjects,
        created: utc(a.created_at),
        updated: utc(a.updated_at),
        done: &done.done,
    }))
}

/// The create and edit form as typed. The client secret is never sent back to the browser.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuthorityForm {
    name: String,
    csc_base_url: String,
    oauth_authorize_url: String,
    oauth_token_url: String,
    oauth_client_id: String,
    client_secret: String,
    ca_chain_pem: String,
    access_max_days: String,
    access_max_signatures: String,
}

/// The longest PEM chain accepted.
const MAX_PEM: usize = 64 * 1024;

impl AuthorityForm {
    fn of(a: &Authority) -> Self {
        let show = |o: &Option<String>| o.clone().unwrap_or_default();
        Self {
            name: a.name.clone(),
            csc_base_url: show(&a.csc_base_url),
            oauth_authorize_url: show(&a.oauth_authorize_url),
            oauth_token_url: show(&a.oauth_token_url),
            oauth_client_id: show(&a.oauth_client_id),
            client_secret: String::new(),
            ca_chain_pem: show(&a.ca_chain_pem),
            access_max_days: a.access_max_days.to_string(),
            access_max_signatures: a.access_max_signatures.to_string(),
        }
    }

    /// The fields and the new client secret if one was typed, or the form's errors.
    fn parse(&self, t: &Texts, errors: &mut Errors) -> Option<(AuthorityFields, Option<String>)> {
        let name = form::required(errors, t, "name", &self.name, form::MAX_TEXT);
        let csc_base_url = https_url(errors, t, "csc_base_url", &self.csc_base_url);
        let authorize = https_url(errors, t, "oauth_authorize_url", &self.oauth_authorize_url);
        let token = https_url(errors, t, "oauth_token_url", &self.oauth_token_url);
        let client_id = form::optional(
            errors,
            t,
            "oauth_client_id",
            &self.oauth_client_id,
            form::MAX_TEXT,
        );
        // Not trimmed: a secret is what was typed, spaces included; empty keeps the stored one.
        let secret = if self.client_secret.is_empty() {
            None
        } else if self.client_secret.chars().count() > 1000 {
            errors.add("client_secret", t.error_too_long);
            None
        } else if self.client_secret.chars().any(char::is_control) {
            errors.add("client_secret", t.error_control);
            None
        } else {
            Some(self.client_secret.clone())
        };
        let pem = self.ca_chain_pem.trim();
        let chain = if pem.is_empty() {
            Some(None)
        } else if pem.len() > MAX_PEM {
            errors.add("ca_chain_pem", t.error_too_long);
            None
        } else if chain_subjects(pem).is_none() {
            errors.add("ca_chain_pem", t.system.error_pem);
            None
        } else {
            Some(Some(format!("{pem}\n")))
        };
        let days = form::number(
            errors,
            t,
            "access_max_days",
            &self.access_max_days,
            1..=365,
            true,
        );
        let signatures = form::number(
            errors,
            t,
            "access_max_signatures",
            &self.access_max_signatures,
            1..=i64::MAX,
            true,
        );
        let fields = AuthorityFields {
            name: name?,
            csc_base_url: csc_base_url?,
            oauth_authorize_url: authorize?,
            oauth_token_url: token?,
            oauth_client_id: client_id,
            ca_chain_pem: chain?,
            access_max_days: i32::try_from(days?).ok()?,
            access_max_signatures: signatures?,
        };
        errors.is_empty().then_some((fields, secret))
    }
}

/// An optional address: `Some(None)` when empty; an https URL, or http to this machine
/// (127.0.0.1, localhost: a CA under test), without credentials in it.
fn https_url(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
) -> Option<Option<String>> {
    let value = raw.trim();
    if value.is_empty() {
        return Some(None);
    }
    let ok = value.len() <= 2000
        && url::Url::parse(value).is_ok_and(|u| {
            let local = matches!(
                u.host(),
                Some(url::Host::Domain("localhost"))
                    | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            );
            (u.scheme() == "https" || (u.scheme() == "http" && local))
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
        });
    if ok {
        Some(Some(value.to_owned()))
    } else {
        errors.add(field, t.system.error_url);
        None
    }
}

#[derive(Template)]
#[template(path = "system/authority_form.html")]
struct FormPage<'a> {
    c: &'a Chrome,
    form: &'a AuthorityForm,
    errors: &'a Errors,
    action: String,
    creating: bool,
    has_secret: bool,
    cancel: String,
}

fn form_page(
    signed: &Signed,
    form: &AuthorityForm,
    errors: &Errors,
    editing: Option<&Authority>,
) -> Response {
    let here = editing.map_or(AUTHORITIES.to_owned(), |a| {
        format!("{AUTHORITIES}/{}", a.id.0)
    });
    // The secret typed is never sent back, not even to the one who typed it.
    let form = AuthorityForm {
        client_secret: String::new(),
        name: form.name.clone(),
        csc_base_url: form.csc_base_url.clone(),
        oauth_authorize_url: form.oauth_authorize_url.clone(),
        oauth_token_url: form.oauth_token_url.clone(),
        oauth_client_id: form.oauth_client_id.clone(),
        ca_chain_pem: form.ca_chain_pem.clone(),
        access_max_days: form.access_max_days.clone(),
        access_max_signatures: form.access_max_signatures.clone(),
    };
    let page = FormPage {
        c: &signed.chrome,
        form: &form,
        errors,
        action: here.clone(),
        creating: editing.is_none(),
        has_secret: editing.is_some_and(|a| a.has_client_secret),
        cancel: here,
    };
    if errors.is_empty() {
        signed.page(&page)
    } else {
        signed.invalid(&page)
    }
}

async fn new(State(app): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    signed.may(&app, Action::EditSystemConfiguration).await?;
    let form = AuthorityForm {
        access_max_days: "60".into(),
        access_max_signatures: "1000000000".into(),
        ..AuthorityForm::default()
    };
    Ok(form_page(&signed, &form, &Errors::default(), None))
}

fn target(id: CertificateAuthorityId) -> Target {
    Target {
        kind: "certificate_authority",
        id: id.0.to_string(),
        partner: None,
        issuer: None,
    }
}

/// What the audit log shows of a chain: its subjects (the PEM itself is long and says less).
fn chain_summary(pem: &Option<String>) -> String {
    pem.as_deref()
        .and_then(chain_subjects)
        .map(|s| s.join("; "))
        .unwrap_or_default()
}

async fn create(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<AuthorityForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::EditSystemConfiguration).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let Some((fields, secret)) = form.parse(t, &mut errors) else {
        return Ok(form_page(&signed, &form, &errors, None));
    };
    let mut tx = app.db.begin().await?;
    let id = match authority_admin::create(&mut *tx, signed.scope(), &fields).await {
        Err(StoreError::Duplicate(_)) => {
            errors.add("name", t.error_taken);
            return Ok(form_page(&signed, &form, &errors, None));
        }
        other => other?.ok_or_else(|| signed.not_found())?,
    };
    let show = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut changes = Changes::default()
        .created("name", &fields.name)
        .created("csc_base_url", show(&fields.csc_base_url))
        .created("oauth_authorize_url", show(&fields.oauth_authorize_url))
        .created("oauth_token_url", show(&fields.oauth_token_url))
        .created("oauth_client_id", show(&fields.oauth_client_id))
        .created("ca_chain", chain_summary(&fields.ca_chain_pem))
        .created("access_max_days", fields.access_max_days)
        .created("access_max_signatures", fields.access_max_signatures);
    if let Some(secret) = secret {
        seal_secret(&app, &mut tx, &signed, id, &secret).await?;
        changes = changes.created("client_secret_set", true);
    }
    audit::record(
        &mut *tx,
        &signed,
        "certificate_authority.created",
        &target(id),
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok(page::done(&format!("{AUTHORITIES}/{}", id.0), "created"))
}

/// Seals `secret` for authority `id` with the master key and stores it.
async fn seal_secret(
    app: &AppState,
    tx: &mut sqlx::PgConnection,
    signed: &Signed,
    id: CertificateAuthorityId,
    secret: &str,
) -> Result<(), PageError> {
    let sealed = app
        .master_key
        .seal(
            secret.as_bytes(),
            &authority_admin::client_secret_context(id),
        )
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    if !authority_admin::set_client_secret(&mut *tx, signed.scope(), id, &sealed).await? {
        return Err(signed.not_found());
    }
    Ok(())
}

async fn edit_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::EditSystemConfiguration).await?;
    let a = load(&app, &signed, &raw).await?;
    Ok(form_page(
        &signed,
        &AuthorityForm::of(&a),
        &Errors::default(),
        Some(&a),
    ))
}

async fn edit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<AuthorityForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::EditSystemConfiguration).await?;
    let current = load(&app, &signed, &raw).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let Some((fields, secret)) = form.parse(t, &mut errors) else {
        return Ok(form_page(&signed, &form, &errors, Some(&current)));
    };
    let mut tx = app.db.begin().await?;
    match authority_admin::update(&mut *tx, signed.scope(), current.id, &fields).await {
        Err(StoreError::Duplicate(_)) => {
            errors.add("name", t.error_taken);
            return Ok(form_page(&signed, &form, &errors, Some(&current)));
        }
        Ok(false) => return Err(signed.not_found()),
        other => {
            other?;
        }
    }
    let show = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut changes = Changes::default()
        .field("name", &current.name, &fields.name)
        .field(
            "csc_base_url",
            show(&current.csc_base_url),
            show(&fields.csc_base_url),
        )
        .field(
            "oauth_authorize_url",
            show(&current.oauth_authorize_url),
            show(&fields.oauth_authorize_url),
        )
        .field(
            "oauth_token_url",
            show(&current.oauth_token_url),
            show(&fields.oauth_token_url),
        )
        .field(
            "oauth_client_id",
            show(&current.oauth_client_id),
            show(&fields.oauth_client_id),
        )
        .field(
            "ca_chain",
            chain_summary(&current.ca_chain_pem),
            chain_summary(&fields.ca_chain_pem),
        )
        .field(
            "access_max_days",
            current.access_max_days,
            fields.access_max_days,
        )
        .field(
            "access_max_signatures",
            current.access_max_signatures,
            fields.access_max_signatures,
        );
    if let Some(secret) = secret {
        seal_secret(&app, &mut tx, &signed, current.id, &secret).await?;
        // That it changed, never what it is.
        changes = changes.field("client_secret_replaced", false, true);
    }
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "certificate_authority.updated",
            &target(current.id),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(
        &format!("{AUTHORITIES}/{}", current.id.0),
        "saved",
    ))
}

// ---- General configuration ----

/// The general configuration form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GeneralForm {
    default_language: String,
    storage_period_months: String,
    link_validity_days: String,
    email_retry_threshold: String,
}

impl GeneralForm {
    fn of(c: &SystemConfiguration) -> Self {
        Self {
            default_language: c.default_language.to_string(),
            storage_period_months: c.storage_period_months.to_string(),
            link_validity_days: c.link_validity_days.to_string(),
            email_retry_threshold: c.email_retry_threshold.to_string(),
        }
    }

    fn parse(&self, t: &Texts, errors: &mut Errors) -> Option<SystemConfiguration> {
        let language: Option<Language> =
            form::language(errors, t, "default_language", &self.default_language);
        let mut number = |field, raw: &str, range| {
            form::number(errors, t, field, raw, range, true).and_then(|n| i32::try_from(n).ok())
        };
        let storage = number(
            "storage_period_months",
            &self.storage_period_months,
            1..=600,
        );
        let validity = number("link_validity_days", &self.link_validity_days, 1..=3650);
        let retries = number("email_retry_threshold", &self.email_retry_threshold, 1..=20);
        Some(SystemConfiguration {
            default_language: language?,
            storage_period_months: storage?,
            link_validity_days: validity?,
            email_retry_threshold: retries?,
        })
    }
}

#[derive(Template)]
#[template(path = "system/general.html")]
struct GeneralPage<'a> {
    c: &'a Chrome,
    form: &'a GeneralForm,
    errors: &'a Errors,
    updated_at: String,
    done: &'a str,
}

async fn general(
    State(app): State<AppState>,
    signed: Signed,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::SystemConfigurations))
        .await?;
    let (current, updated_at) = system_configuration::get(&app.db, signed.scope())
        .await?
        .ok_or_else(|| signed.not_found())?;
    Ok(signed.page(&GeneralPage {
        c: &signed.chrome,
        form: &GeneralForm::of(&current),
        errors: &Errors::default(),
        updated_at: utc(updated_at),
        done: &done.done,
    }))
}

/// A time as the pages show it: UTC, to the second.
pub fn utc(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {:02}:{:02}:{:02}",
        at.date(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

async fn save_general(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<GeneralForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::EditSystemConfiguration).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let Some(new) = form.parse(t, &mut errors).filter(|_| errors.is_empty()) else {
        let (_, updated_at) = system_configuration::get(&app.db, signed.scope())
            .await?
            .ok_or_else(|| signed.not_found())?;
        return Ok(signed.invalid(&GeneralPage {
            c: &signed.chrome,
            form: &form,
            errors: &errors,
            updated_at: utc(updated_at),
            done: "",
        }));
    };
    let mut tx = app.db.begin().await?;
    let Some(current) = system_configuration::get_for_update(&mut *tx, signed.scope()).await?
    else {
        return Err(signed.not_found());
    };
    if !system_configuration::update(&mut *tx, signed.scope(), &new).await? {
        return Err(signed.not_found());
    }
    let changes = Changes::default()
        .field(
            "default_language",
            current.default_language,
            new.default_language,
        )
        .field(
            "storage_period_months",
            current.storage_period_months,
            new.storage_period_months,
        )
        .field(
            "link_validity_days",
            current.link_validity_days,
            new.link_validity_days,
        )
        .field(
            "email_retry_threshold",
            current.email_retry_threshold,
            new.email_retry_threshold,
        );
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "system_configuration.updated",
            &Target {
                kind: "system_configuration",
                id: "general".into(),
                partner: None,
                issuer: None,
            },
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(GENERAL, "saved"))
}
