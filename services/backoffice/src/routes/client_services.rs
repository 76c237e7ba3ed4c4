//! Client services (every role sees those of its scope; partner and admin create them and
//! switch them on and off; partner, admin and the issuer's own operators edit them, rotate the
//! secret and set the SMTP server; the admin edits the general configuration).
//!
//! The alias is generated in the product's shape, `<partner code>-<issuer code>-<6 hex>`; the
//! client secret (generated, or typed and checked for strength) is stored only as its argon2id
//! hash and shown once, on the page that answers the create or rotate POST. The visual
//! templates and the configuration test live under `/client-services/{id}/templates` and
//! `/client-services/{id}/test` (their own modules).

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderValue, Method};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use rand::RngCore as _;
use serde::Deserialize;
use signstash_domain::{
    CertificateId, ClientServiceId, ClientServiceStatus, IssuerCompanyId, Language, Role,
};
use signstash_store::client_service_admin::{
    self as store, CertificateChoice, ClientServiceDetail, ClientServiceFields,
    ClientServiceFilter, ClientServiceRow, IssuerChoice, NewClientService, OwnSmtp, Settings,
};
use signstash_store::{DuplicateKind, StoreError};

use crate::audit::{self, Changes, Target};
use crate::form::{self, Errors};
use crate::list::{self, Pager};
use crate::menu::Menu;
use crate::page::path_id;
use crate::page::Done;
use crate::page::{self, Chrome, PageError, Signed, SignedForm};
use crate::pick;
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const LIST: &str = "/client-services";
const NEW: &str = "/client-services/new";

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, LIST, get(list)),
        route(Method::POST, LIST, post(create)),
        route(Method::GET, NEW, get(new)),
        route(Method::GET, "/client-services/{id}", get(detail)),
        route(Method::POST, "/client-services/{id}", post(edit)),
        route(Method::GET, "/client-services/{id}/edit", get(edit_page)),
        route(
            Method::POST,
            "/client-services/{id}/status",
            post(set_status),
        ),
        route(Method::POST, "/client-services/{id}/secret", post(rotate)),
        route(
            Method::GET,
            "/client-services/{id}/settings",
            get(settings_page),
        ),
        route(
            Method::POST,
            "/client-services/{id}/settings",
            post(set_settings),
        ),
        route(Method::GET, "/client-services/{id}/smtp", get(smtp_page)),
        route(Method::POST, "/client-services/{id}/smtp", post(set_smtp)),
    ]
}

/// Longest bundle name.
const MAX_BUNDLE: usize = 200;
/// Longest extra information.
const MAX_EXTRA: usize = 2000;

// ---------------------------------------------------------------------------------------------
// List

/// The list's filters as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    alias: String,
    text: String,
    status: String,
    issuer: String,
    created_from: String,
    created_to: String,
    page: String,
}

#[derive(Template)]
#[template(path = "client_services/list.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    f: &'a Filters,
    errors: &'a Errors,
    rows: &'a [ClientServiceRow],
    pager: &'a Pager,
    list_path: &'static str,
    can_create: bool,
    /// Whether the issuer filter is offered (partner and admin: text on the issuer's name or
    /// VAT number, since a platform's issuers are too many to list).
    pick_issuer: bool,
    statuses: [ClientServiceStatus; 3],
}

const STATUSES: [ClientServiceStatus; 3] = [
    ClientServiceStatus::Active,
    ClientServiceStatus::Suspended,
    ClientServiceStatus::Inactive,
];

async fn list(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed.may(&app, Action::View(Menu::ClientServices)).await?;
    let f: Filters = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let t = signed.t();
    let mut errors = Errors::default();
    let pick_issuer = matches!(signed.role(), Role::SystemAdministrator | Role::Partner);
    let status = if f.status.trim().is_empty() {
        None
    } else {
        form::choice::<ClientServiceStatus>(&mut errors, t, "status", &f.status)
    };
    let filter = ClientServiceFilter {
        alias: list::text(&f.alias),
        text: list::text(&f.text),
        status,
        created_from: form::date(&mut errors, t, "created_from", &f.created_from),
        created_to: form::date(&mut errors, t, "created_to", &f.created_to),
        issuer: list::text(&f.issuer).filter(|_| pick_issuer),
    };
    let page = list::page(&f.page);
    let (rows, more) = list::split(
        store::list(
            &app.db,
            signed.scope(),
            &filter,
            list::offset(page),
            list::PER_PAGE + 1,
        )
        .await?,
    );
    let pager = Pager::new(LIST, query.as_deref(), page, more);
    Ok(signed.page(&ListPage {
        c: &signed.chrome,
        f: &f,
        errors: &errors,
        rows: &rows,
        pager: &pager,
        list_path: LIST,
        can_create: signed.can(Action::CreateClientService),
        pick_issuer,
        statuses: STATUSES,
    }))
}

// ---------------------------------------------------------------------------------------------
// Detail, status and secret rotation

async fn load(
    app: &AppState,
    signed: &Signed,
    raw: &str,
) -> Result<ClientServiceDetail, PageError> {
    let Some(id) = path_id(raw) else {
        return Err(signed.not_found());
    };
    store::find(&app.db, signed.scope(), ClientServiceId(id))
        .await?
        .ok_or_else(|| signed.not_found())
}

fn target(cs: &ClientServiceDetail) -> Target {
    Target {
        kind: "client_service",
        id: cs.id.0.to_string(),
        partner: Some(cs.partner_company_id),
        issuer: Some(cs.issuer_company_id),
    }
}

#[derive(Template)]
#[template(path = "client_services/detail.html")]
struct DetailPage<'a> {
    c: &'a Chrome,
    cs: &'a ClientServiceDetail,
    done: &'a str,
    errors: &'a Errors,
    statuses: [ClientServiceStatus; 3],
    can_edit: bool,
    can_status: bool,
    can_settings: bool,
}

fn detail_page(signed: &Signed, cs: &ClientServiceDetail, done: &str, errors: &Errors) -> Response {
    let page = DetailPage {
        c: &signed.chrome,
        cs,
        done,
        errors,
        statuses: STATUSES,
        can_edit: signed.can(Action::ManageClientServices),
        can_status: signed.can(Action::ChangeClientServiceStatus),
        can_settings: signed.can(Action::EditClientServiceConfiguration),
    };
    if errors.is_empty() {
        signed.page(&page)
    } else {
        signed.invalid(&page)
    }
}

async fn detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::View(Menu::ClientServices)).await?;
    let cs = load(&app, &signed, &raw).await?;
    Ok(detail_page(&signed, &cs, &done.done, &Errors::default()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

async fn set_status(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<StatusForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ChangeClientServiceStatus).await?;
    let cs = load(&app, &signed, &raw).await?;
    let mut errors = Errors::default();
    let Some(status) =
        form::choice::<ClientServiceStatus>(&mut errors, signed.t(), "status", &form.status)
    else {
        return Ok(detail_page(&signed, &cs, "", &errors));
    };
    let mut tx = app.db.begin().await?;
    if !store::set_status(&mut *tx, signed.scope(), cs.id, status).await? {
        return Err(signed.not_found());
    }
    let changes = Changes::default().field("status", cs.status, status);
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "client_service.status_changed",
            &target(&cs),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", cs.id.0), "status"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RotateForm {
    confirm: String,
    own_secret: String,
}

#[derive(Template)]
#[template(path = "client_services/secret.html")]
struct SecretPage<'a> {
    c: &'a Chrome,
    id: ClientServiceId,
    alias: &'a str,
    secret: &'a str,
    created: bool,
}

/// The page that shows a secret, once: answered to the POST itself (no redirect), never
/// stored by a cache.
fn secret_page(
    signed: &Signed,
    id: ClientServiceId,
    alias: &str,
    secret: &str,
    created: bool,
) -> Response {
    let mut response = signed.page(&SecretPage {
        c: &signed.chrome,
        id,
        alias,
        secret,
        created,
    });
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn rotate(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<RotateForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let cs = load(&app, &signed, &raw).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    if form.confirm != "yes" {
        errors.add("confirm", t.client_services.error_confirm);
    }
    let secret = chosen_secret(&mut errors, t, &form.own_secret, &cs.alias);
    let Some(secret) = secret.filter(|_| errors.is_empty()) else {
        return Ok(detail_page(&signed, &cs, "", &errors));
    };
    let hash = hash(&secret).await?;
    let mut tx = app.db.begin().await?;
    if !store::set_secret_hash(&mut *tx, signed.scope(), cs.id, &hash).await? {
        return Err(signed.not_found());
    }
    let changes = Changes::default().created("secret", "changed");
    audit::record(
        &mut *tx,
        &signed,
        "client_service.secret_rotated",
        &target(&cs),
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok(secret_page(&signed, cs.id, &cs.alias, &secret, false))
}

// ---------------------------------------------------------------------------------------------
// Secrets and aliases

/// A new secret: 32 random bytes, base64url.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a typed secret is strong enough: at least 24 characters of at least 3 kinds (lower
/// case, upper case, digits, others), not containing the alias.
pub fn strong_secret(secret: &str, alias: &str) -> bool {
    let kinds = [
        secret.chars().any(|c| c.is_lowercase()),
        secret.chars().any(|c| c.is_uppercase()),
        secret.chars().any(|c| c.is_ascii_digit()),
        secret.chars().any(|c| !c.is_alphanumeric()),
    ];
    secret.chars().count() >= 24
        && kinds.iter().filter(|k| **k).count() >= 3
        && !contains_alias(secret, alias)
}

fn contains_alias(secret: &str, alias: &str) -> bool {
    secret.to_lowercase().contains(&alias.to_lowercase())
}

/// The secret to set: the typed one when strong (else an error beside `own_secret`), or a
/// generated one when none was typed.
fn chosen_secret(
    errors: &mut Errors,
    t: &crate::i18n::Texts,
    typed: &str,
    alias: &str,
) -> Option<String> {
    if typed.is_empty() {
        return Some(generate_secret());
    }
    if typed.chars().count() > 200 || typed.chars().any(char::is_control) {
        errors.add("own_secret", t.client_services.error_weak_secret);
        return None;
    }
    if !strong_secret(typed, alias) {
        errors.add("own_secret", t.client_services.error_weak_secret);
        return None;
    }
    Some(typed.to_owned())
}

/// The argon2id hash of a secret, computed off the async workers.
async fn hash(secret: &str) -> Result<String, PageError> {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || signstash_oauth::hash_secret(&secret))
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?
        .map_err(|e| PageError::Unavailable(e.to_string()))
}

/// `<partner country>.<partner VAT>-<issuer country>.<issuer VAT>-<6 lowercase hex>`.
pub fn new_alias(issuer: &IssuerChoice) -> String {
    let mut bytes = [0u8; 3];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{}-{}", issuer.alias_prefix(), hex::encode(bytes))
}

// ---------------------------------------------------------------------------------------------
// Create and edit

/// The create and edit form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClientServiceForm {
    issuer: String,
    bundle: String,
    extra_information: String,
    language: String,
    certificate: String,
    own_secret: String,
}

impl ClientServiceForm {
    fn of(cs: &ClientServiceDetail) -> Self {
        Self {
            issuer: cs.issuer_company_id.0.to_string(),
            bundle: cs.bundle.clone(),
            extra_information: cs.extra_information.clone(),
            language: cs.language.to_string(),
            certificate: cs
                .certificate_id
                .map(|c| c.0.to_string())
                .unwrap_or_default(),
            own_secret: String::new(),
        }
    }

    /// The fields, or the form's errors; the certificate must be one of `certificates` (the
    /// issuer's).
    fn parse(
        &self,
        t: &crate::i18n::Texts,
        errors: &mut Errors,
        certificates: &[CertificateChoice],
    ) -> Option<ClientServiceFields> {
        let bundle = form::optional(errors, t, "bundle", &self.bundle, MAX_BUNDLE);
        let extra = multiline(errors, t, "extra_information", &self.extra_information);
        let language: Option<Language> = form::language(errors, t, "language", &self.language);
        let certificate = match self.certificate.trim() {
            "" => Some(None),
            raw => path_id(raw)
                .map(CertificateId)
                .filter(|c| certificates.iter().any(|k| k.id == *c))
                .map(Some),
        };
        if certificate.is_none() {
            errors.add("certificate", t.error_choice);
        }
        let fields = ClientServiceFields {
            bundle: bundle.unwrap_or_default(),
            extra_information: extra.unwrap_or_default(),
            language: language?,
            certificate_id: certificate?,
        };
        errors.is_empty().then_some(fields)
    }
}

/// A text of several lines (a `<textarea>`): trimmed, lines kept, no other control character.
fn multiline(
    errors: &mut Errors,
    t: &crate::i18n::Texts,
    field: &'static str,
    raw: &str,
) -> Option<String> {
    let value = raw.replace("\r\n", "\n");
    let value = value.trim();
    if value.chars().count() > MAX_EXTRA {
        errors.add(field, t.error_too_long);
        return None;
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        errors.add(field, t.error_control);
        return None;
    }
    Some(value.to_owned())
}

#[derive(Template)]
#[template(path = "client_services/form.html")]
struct FormPage<'a> {
    c: &'a Chrome,
    form: &'a ClientServiceForm,
    errors: &'a Errors,
    action: String,
    cancel: String,
    /// Creating: the issuer chosen at the first step; editing: the client service.
    chosen: Option<&'a IssuerChoice>,
    editing: Option<&'a ClientServiceDetail>,
    /// The issuer's certificates a client service may use.
    certificates: &'a [CertificateChoice],
}

impl FormPage<'_> {
    fn creating(&self) -> bool {
        self.chosen.is_some()
    }

    fn selected(&self, id: &CertificateId) -> bool {
        self.form.certificate.trim() == id.0.to_string()
    }
}

async fn create_form(
    app: &AppState,
    signed: &Signed,
    issuer: &IssuerChoice,
    form: &ClientServiceForm,
    errors: &Errors,
) -> Result<Response, PageError> {
    let certificates = store::certificates(&app.db, signed.scope(), issuer.id, None).await?;
    let page = FormPage {
        c: &signed.chrome,
        form,
        errors,
        action: LIST.to_owned(),
        cancel: LIST.to_owned(),
        chosen: Some(issuer),
        editing: None,
        certificates: &certificates,
    };
    Ok(signed.form(&page, errors.is_empty()))
}

/// `/client-services/new`'s query: the issuer chosen, or the search for one.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    issuer: String,
    #[serde(flatten)]
    search: pick::Search,
}

/// The first step: which issuer the client service is for (a platform has thousands).
async fn pick_issuer(
    app: &AppState,
    signed: &Signed,
    search: &pick::Search,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let t = signed.t();
    let text = search.text();
    let found =
        store::search_issuers_for_new(&app.db, signed.scope(), text.as_deref(), pick::ASK).await?;
    let page = pick::PickPage {
        c: &signed.chrome,
        title: t.client_services.create_title,
        back: (LIST, t.menus[5]),
        action: NEW,
        label: t.client_services.issuer,
        hint: t.client_services.issuer_hint,
        q: &search.q,
        groups: vec![pick::Group::of(t.menus[6], found, |i| pick::Found {
            detail: format!("{} — {}", i.code(), i.partner_name),
            href: format!("{NEW}?issuer={}", i.id.0),
            name: i.name,
        })],
        error,
    };
    Ok(signed.form(&page, error.is_none()))
}

async fn new(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed.may(&app, Action::CreateClientService).await?;
    let q: NewQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let issuer = match path_id(q.issuer.trim()) {
        Some(id) => store::issuer_for_new(&app.db, signed.scope(), IssuerCompanyId(id)).await?,
        None => None,
    };
    let Some(issuer) = issuer else {
        return pick_issuer(&app, &signed, &q.search, None).await;
    };
    let form = ClientServiceForm {
        issuer: issuer.id.0.to_string(),
        language: Language::PtPt.to_string(),
        ..ClientServiceForm::default()
    };
    create_form(&app, &signed, &issuer, &form, &Errors::default()).await
}

/// How many aliases are tried before giving up (a clash of 6 random hex digits under the same
/// partner and issuer is already unlikely).
const ALIAS_ATTEMPTS: usize = 8;

async fn create(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<ClientServiceForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::CreateClientService).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let issuer = match path_id(form.issuer.trim()) {
        Some(id) => store::issuer_for_new(&app.db, signed.scope(), IssuerCompanyId(id)).await?,
        None => None,
    };
    // Only a tampered form names an issuer outside the scope (or one no longer open): back to
    // the first step.
    let Some(issuer) = issuer else {
        return pick_issuer(
            &app,
            &signed,
            &pick::Search::default(),
            Some(t.error_choice),
        )
        .await;
    };
    let certificates = store::certificates(&app.db, signed.scope(), issuer.id, None).await?;
    let fields = form.parse(t, &mut errors, &certificates);
    // A typed secret must not contain the alias: its random part is not known yet, so the
    // check is against what every alias of this issuer starts with too.
    let prefix = issuer.alias_prefix();
    let secret = chosen_secret(&mut errors, t, &form.own_secret, &prefix);
    let (Some(fields), Some(secret)) = (fields, secret) else {
        return create_form(&app, &signed, &issuer, &form, &errors).await;
    };
    if !errors.is_empty() {
        return create_form(&app, &signed, &issuer, &form, &errors).await;
    }
    let secret_hash = hash(&secret).await?;
    for _ in 0..ALIAS_ATTEMPTS {
        let alias = new_alias(&issuer);
        if contains_alias(&secret, &alias) {
            // Only a typed secret can (a generated one has no dots).
            continue;
        }
        let mut tx = app.db.begin().await?;
        let new = NewClientService {
            issuer_company_id: issuer.id,
            alias: alias.clone(),
            secret_hash: secret_hash.clone(),
            fields: fields.clone(),
        };
        let id = match store::create(&mut *tx, &new).await {
            Err(StoreError::Duplicate(DuplicateKind::Alias)) => continue,
            other => other?,
        };
        let certificate = fields
            .certificate_id
            .map(|c| c.0.to_string())
            .unwrap_or_default();
        let changes = Changes::default()
            .created("alias", &alias)
            .created("issuer", issuer.id.0)
            .created("bundle", &fields.bundle)
            .created("extra_information", &fields.extra_information)
            .created("language", fields.language)
            .created("certificate", certificate)
            .created("secret", "set");
        let target = Target {
            kind: "client_service",
            id: id.0.to_string(),
            partner: Some(issuer.partner_company_id),
            issuer: Some(issuer.id),
        };
        audit::record(
            &mut *tx,
            &signed,
            "client_service.created",
            &target,
            changes,
        )
        .await?;
        tx.commit().await?;
        return Ok(secret_page(&signed, id, &alias, &secret, true));
    }
    Err(PageError::Unavailable(
        "no free client service alias after several attempts".into(),
    ))
}

async fn edit_form(
    app: &AppState,
    signed: &Signed,
    cs: &ClientServiceDetail,
    form: &ClientServiceForm,
    errors: &Errors,
) -> Result<Response, PageError> {
    let certificates = store::certificates(
        &app.db,
        signed.scope(),
        cs.issuer_company_id,
        cs.certificate_id,
    )
    .await?;
    let page = FormPage {
        c: &signed.chrome,
        form,
        errors,
        action: format!("{LIST}/{}", cs.id.0),
        cancel: format!("{LIST}/{}", cs.id.0),
        chosen: None,
        editing: Some(cs),
        certificates: &certificates,
    };
    Ok(signed.form(&page, errors.is_empty()))
}

async fn edit_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let cs = load(&app, &signed, &raw).await?;
    edit_form(
        &app,
        &signed,
        &cs,
        &ClientServiceForm::of(&cs),
        &Errors::default(),
    )
    .await
}

async fn edit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<ClientServiceForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let cs = load(&app, &signed, &raw).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let certificates = store::certificates(
        &app.db,
        signed.scope(),
        cs.issuer_company_id,
        cs.certificate_id,
    )
    .await?;
    let Some(fields) = form.parse(t, &mut errors, &certificates) else {
        return edit_form(&app, &signed, &cs, &form, &errors).await;
    };
    let mut tx = app.db.begin().await?;
    if !store::update(&mut *tx, signed.scope(), cs.id, &fields).await? {
        return Err(signed.not_found());
    }
    let certificate = |c: Option<CertificateId>| c.map(|c| c.0.to_string()).unwrap_or_default();
    let changes = Changes::default()
        .field("bundle", &cs.bundle, &fields.bundle)
        .field(
            "extra_information",
            &cs.extra_information,
            &fields.extra_information,
        )
        .field("language", cs.language, fields.language)
        .field(
            "certificate",
            certificate(cs.certificate_id),
            certificate(fields.certificate_id),
        );
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "client_service.updated",
            &target(&cs),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", cs.id.0), "saved"))
}

// ---------------------------------------------------------------------------------------------
// General configuration

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    concurrency_limit: String,
    storage_period_months: String,
    link_validity_days: String,
    access_code_required: String,
}

impl SettingsForm {
    fn of(cs: &ClientServiceDetail) -> Self {
        Self {
            concurrency_limit: cs.concurrency_limit.to_string(),
            storage_period_months: cs.storage_period_months.to_string(),
            link_validity_days: cs
                .link_validity_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            access_code_required: if cs.access_code_required { "yes" } else { "no" }.into(),
        }
    }

    fn parse(&self, t: &crate::i18n::Texts, errors: &mut Errors) -> Option<Settings> {
        let number = |errors: &mut Errors, field, raw: &str, max, required| {
            form::number(errors, t, field, raw, 1..=max, required)
                .and_then(|n| i32::try_from(n).ok())
        };
        let concurrency = number(
            errors,
            "concurrency_limit",
            &self.concurrency_limit,
            64,
            true,
        );
        let storage = number(
            errors,
            "storage_period_months",
            &self.storage_period_months,
            600,
            true,
        );
        let link = number(
            errors,
            "link_validity_days",
            &self.link_validity_days,
            3650,
            false,
        );
        let access = match self.access_code_required.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.add("access_code_required", t.error_choice);
                None
            }
        };
        let settings = Settings {
            concurrency_limit: concurrency?,
            storage_period_months: storage?,
            link_validity_days: link,
            access_code_required: access?,
        };
        errors.is_empty().then_some(settings)
    }
}

#[derive(Template)]
#[template(path = "client_services/settings.html")]
struct SettingsPage<'a> {
    c: &'a Chrome,
    cs: &'a ClientServiceDetail,
    form: &'a SettingsForm,
    errors: &'a Errors,
}

async fn settings_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::EditClientServiceConfiguration)
        .await?;
    let cs = load(&app, &signed, &raw).await?;
    Ok(signed.page(&SettingsPage {
        c: &signed.chrome,
        cs: &cs,
        form: &SettingsForm::of(&cs),
        errors: &Errors::default(),
    }))
}

async fn set_settings(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<SettingsForm>,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::EditClientServiceConfiguration)
        .await?;
    let cs = load(&app, &signed, &raw).await?;
    let mut errors = Errors::default();
    let Some(settings) = form.parse(signed.t(), &mut errors) else {
        return Ok(signed.invalid(&SettingsPage {
            c: &signed.chrome,
            cs: &cs,
            form: &form,
            errors: &errors,
        }));
    };
    let mut tx = app.db.begin().await?;
    if !store::set_settings(&mut *tx, signed.scope(), cs.id, &settings).await? {
        return Err(signed.not_found());
    }
    let days = |d: Option<i32>| d.map(|d| d.to_string()).unwrap_or_default();
    let changes = Changes::default()
        .field(
            "concurrency_limit",
            cs.concurrency_limit,
            settings.concurrency_limit,
        )
        .field(
            "storage_period_months",
            cs.storage_period_months,
            settings.storage_period_months,
        )
        .field(
            "link_validity_days",
            days(cs.link_validity_days),
            days(settings.link_validity_days),
        )
        .field(
            "access_code_required",
            cs.access_code_required,
            settings.access_code_required,
        );
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "client_service.settings_changed",
            &target(&cs),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", cs.id.0), "settings"))
}

// ---------------------------------------------------------------------------------------------
// SMTP

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SmtpForm {
    /// `system` or `own`.
    mode: String,
    host: String,
    port: String,
    security: String,
    username: String,
    /// Never shown back; empty keeps the stored one.
    password: String,
    mail_from: String,
}

impl SmtpForm {
    fn of(cs: &ClientServiceDetail) -> Self {
        Self {
            mode: if cs.own_smtp() { "own" } else { "system" }.into(),
            host: cs.smtp_host.clone().unwrap_or_default(),
            port: cs.smtp_port.map(|p| p.to_string()).unwrap_or_default(),
            security: cs
                .smtp_security
                .clone()
                .unwrap_or_else(|| "STARTTLS".into()),
            username: cs.smtp_username.clone().unwrap_or_default(),
            password: String::new(),
            mail_from: cs.mail_from.clone().unwrap_or_default(),
        }
    }
}

/// A host name or address: letters, digits, `.`, `-`, `:` (IPv6), `[`/`]`, at most 253.
fn host(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= 253
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// What the SMTP form sets: `None` for the system's server; the password still in clear.
type SmtpChoice = Option<(OwnSmtp, Option<String>)>;

fn parse_smtp(t: &crate::i18n::Texts, errors: &mut Errors, f: &SmtpForm) -> Option<SmtpChoice> {
    match f.mode.as_str() {
        "system" => return Some(None),
        "own" => {}
        _ => {
            errors.add("mode", t.error_choice);
            return None;
        }
    }
    let host_value = f.host.trim();
    if host_value.is_empty() {
        errors.add("host", t.error_required);
    } else if !host(host_value) {
        errors.add("host", t.client_services.error_host);
    }
    let port = form::number(errors, t, "port", &f.port, 1..=65535, true);
    let security = match f.security.as_str() {
        s @ ("NONE" | "STARTTLS" | "TLS") => Some(s.to_owned()),
        _ => {
            errors.add("security", t.error_choice);
            None
        }
    };
    let username = form::optional(errors, t, "username", &f.username, form::MAX_TEXT);
    if f.password.chars().count() > 500 || f.password.chars().any(char::is_control) {
        errors.add("password", t.error_control);
    }
    let mail_from = form::email(errors, t, "mail_from", &f.mail_from, false);
    if !errors.is_empty() {
        return None;
    }
    Some(Some((
        OwnSmtp {
            host: host_value.to_owned(),
            port: i32::try_from(port?).ok()?,
            security: security?,
            username,
            password_encrypted: None,
            mail_from: mail_from.map(|m| m.to_string()),
        },
        (!f.password.is_empty()).then(|| f.password.clone()),
    )))
}

#[derive(Template)]
#[template(path = "client_services/smtp.html")]
struct SmtpPage<'a> {
    c: &'a Chrome,
    cs: &'a ClientServiceDetail,
    form: &'a SmtpForm,
    errors: &'a Errors,
}

async fn smtp_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let cs = load(&app, &signed, &raw).await?;
    Ok(signed.page(&SmtpPage {
        c: &signed.chrome,
        cs: &cs,
        form: &SmtpForm::of(&cs),
        errors: &Errors::default(),
    }))
}

async fn set_smtp(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<SmtpForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let cs = load(&app, &signed, &raw).await?;
    let mut errors = Errors::default();
    let Some(choice) = parse_smtp(signed.t(), &mut errors, &form) else {
        let form = SmtpForm {
            password: String::new(),
            ..form
        };
        return Ok(signed.invalid(&SmtpPage {
            c: &signed.chrome,
            cs: &cs,
            form: &form,
            errors: &errors,
        }));
    };
    let own = match choice {
        None => None,
        Some((mut own, password)) => {
            if let Some(password) = password {
                let key = &app.master_key;
                own.password_encrypted = Some(
                    key.seal(password.as_bytes(), &store::smtp_password_context(cs.id))
                        .map_err(|e| PageError::Unavailable(e.to_string()))?,
                );
            }
            Some(own)
        }
    };
    let mut tx = app.db.begin().await?;
    if !store::set_smtp(&mut *tx, signed.scope(), cs.id, own.as_ref()).await? {
        return Err(signed.not_found());
    }
    let show = |o: &Option<String>| o.clone().unwrap_or_default();
    let port = |p: Option<i32>| p.map(|p| p.to_string()).unwrap_or_default();
    let mode = |own: bool| if own { "own" } else { "system" };
    let mut changes = Changes::default().field("smtp", mode(cs.own_smtp()), mode(own.is_some()));
    changes = match &own {
        Some(s) => changes
            .field("smtp_host", show(&cs.smtp_host), &s.host)
            .field("smtp_port", port(cs.smtp_port), s.port)
            .field("smtp_security", show(&cs.smtp_security), &s.security)
            .field("smtp_username", show(&cs.smtp_username), show(&s.username))
            .field("mail_from", show(&cs.mail_from), show(&s.mail_from)),
        None => changes,
    };
    // Never the password: only that it changed.
    let password_changed = match &own {
        Some(s) => s.password_encrypted.is_some(),
        None => cs.smtp_password_set,
    };
    if password_changed {
        changes = changes.created("smtp_password", "changed");
    }
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "client_service.smtp_changed",
            &target(&cs),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", cs.id.0), "smtp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_secret_needs_length_kinds_and_no_alias() {
        let alias = "PRT.500000000-PRT.500000018-84dd8c";
        assert!(strong_secret("Correct-Horse-Battery-Staple-9", alias));
        assert!(!strong_secret("Short-1a", alias));
        assert!(!strong_secret("onlylowercaseandlongenoughtobeokay", alias));
        assert!(!strong_secret("lowercase-and-symbols-only-here", alias));
        assert!(strong_secret("lowercase-and-digits-2026-here", alias));
        assert!(!strong_secret(&format!("X{alias}y1"), alias));
        assert!(!strong_secret(
            &format!("X{}y1", alias.to_lowercase()),
            &alias.to_uppercase()
        ));
    }

    #[test]
    fn generated_secrets_are_32_random_bytes_in_base64url() {
        let a = generate_secret();
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a, generate_secret());
    }
}
