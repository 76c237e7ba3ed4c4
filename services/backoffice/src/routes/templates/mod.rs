//! Visual templates: a client service's own (partner, admin, its issuer; auditors read) and the
//! system defaults (admin), three kinds — the portal's look (CSS + logo), the "documents
//! available" e-mail (subject + body per language), the visible signature's text — each with
//! what the client service uses now, a preview with sample values, a form and "back to the
//! default". What is stored is what the services read through `templates::effective`.
//! The client service's configuration test lives in [`test`].

pub mod check;
pub mod test;

use axum::extract::{FromRequest as _, Multipart, Path, Query, Request, State};
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sha2::Digest as _;
use signstash_delivery::{
    Brand, CustomTemplate, DocumentsAvailable, MailComposer, PortalToken, Sender,
};
use signstash_domain::{ClientServiceId, Language, TemplateKind};
use signstash_store::template_admin::{self, Fields, ServiceRef};
use signstash_store::templates::{self, Template};

use crate::audit::{self, Changes, Target};
use crate::form::Errors;
use crate::i18n::Texts;
use crate::menu::Menu;
use crate::page::Done;
use crate::page::{self, Chrome, PageError, Signed, SignedForm};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const SYSTEM: &str = "/system-configurations/templates";

pub fn routes() -> Vec<Route> {
    let mut routes = vec![
        route(
            Method::GET,
            "/client-services/{id}/templates",
            get(service_page),
        ),
        route(
            Method::GET,
            "/client-services/{id}/templates/logo",
            get(service_logo),
        ),
        route(
            Method::POST,
            "/client-services/{id}/templates/portal",
            post(service_portal),
        ),
        route(
            Method::POST,
            "/client-services/{id}/templates/email",
            post(service_email),
        ),
        route(
            Method::POST,
            "/client-services/{id}/templates/signature-text",
            post(service_signature_text),
        ),
        route(
            Method::POST,
            "/client-services/{id}/templates/default",
            post(service_default),
        ),
        route(Method::GET, SYSTEM, get(system_page)),
        route(
            Method::GET,
            "/system-configurations/templates/logo",
            get(system_logo),
        ),
        route(
            Method::POST,
            "/system-configurations/templates/portal",
            post(system_portal),
        ),
        route(
            Method::POST,
            "/system-configurations/templates/email",
            post(system_email),
        ),
        route(
            Method::POST,
            "/system-configurations/templates/signature-text",
            post(system_signature_text),
        ),
        route(
            Method::POST,
            "/system-configurations/templates/default",
            post(system_default),
        ),
    ];
    routes.extend(test::routes());
    routes
}

/// Whose templates: a client service's (in the operator's scope) or the system's.
enum Owner {
    Service(Box<ServiceRef>),
    System,
}

impl Owner {
    fn id(&self) -> Option<ClientServiceId> {
        match self {
            Owner::Service(s) => Some(s.id),
            Owner::System => None,
        }
    }

    fn base(&self) -> String {
        match self {
            Owner::Service(s) => format!("/client-services/{}/templates", s.id.0),
            Owner::System => SYSTEM.to_owned(),
        }
    }

    fn target(&self) -> Target {
        match self {
            Owner::Service(s) => Target {
                kind: "client_service",
                id: s.id.0.to_string(),
                partner: Some(s.partner_company_id),
                issuer: Some(s.issuer_company_id),
            },
            Owner::System => Target {
                kind: "system_templates",
                id: "templates".into(),
                partner: None,
                issuer: None,
            },
        }
    }

    fn action(&self, what: &str) -> String {
        match self {
            Owner::Service(_) => format!("client_service.template_{what}"),
            Owner::System => format!("system.template_{what}"),
        }
    }
}

/// The client service of the path, if the operator may see it (else the same 404 as a
/// missing one).
pub(crate) async fn service(
    app: &AppState,
    signed: &Signed,
    raw: &str,
) -> Result<ServiceRef, PageError> {
    let Some(id) = crate::page::path_id(raw) else {
        return Err(signed.not_found());
    };
    template_admin::client_service(&app.db, signed.scope(), ClientServiceId(id))
        .await?
        .ok_or_else(|| signed.not_found())
}

/// Reading: anyone who may open the menu (auditors included); changing: who manages client
/// services, or the administrator for the system's.
async fn owner(
    app: &AppState,
    signed: &Signed,
    raw: Option<&str>,
    change: bool,
) -> Result<Owner, PageError> {
    match raw {
        Some(raw) => {
            let action = if change {
                Action::ManageClientServices
            } else {
                Action::View(Menu::ClientServices)
            };
            signed.may(app, action).await?;
            Ok(Owner::Service(Box::new(service(app, signed, raw).await?)))
        }
        None => {
            let action = if change {
                Action::EditSystemConfiguration
            } else {
                Action::View(Menu::SystemConfigurations)
            };
            signed.may(app, action).await?;
            Ok(Owner::System)
        }
    }
}

/// Where a template in use comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Own,
    System,
    BuiltIn,
}

impl Source {
    fn of(template: Option<&Template>) -> Self {
        match template {
            Some(t) if t.client_service_id.is_some() => Source::Own,
            Some(_) => Source::System,
            None => Source::BuiltIn,
        }
    }
}

/// A colour of the portal's palette, for the swatches.
pub struct Swatch {
    pub property: &'static str,
    pub hex: String,
}

pub struct PortalView {
    pub source: Source,
    pub css: String,
    pub has_logo: bool,
    pub swatches: Vec<Swatch>,
    pub brand: String,
    pub brand_text: String,
}

pub struct EmailView {
    pub code: &'static str,
    pub language: Language,
    pub source: Source,
    pub subject: String,
    pub body: String,
    pub preview: Option<(String, String)>,
}

pub struct SignatureView {
    pub source: Source,
    pub text: String,
    pub preview: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "templates/page.html")]
struct Page<'a> {
    c: &'a Chrome,
    service: Option<&'a ServiceRef>,
    base: String,
    done: &'a str,
    can_edit: bool,
    can_test: bool,
    portal: PortalView,
    emails: Vec<EmailView>,
    signature: SignatureView,
    errors: &'a Errors,
}

impl Page<'_> {
    fn system(&self) -> bool {
        self.service.is_none()
    }

    fn status(&self, source: &Source) -> &'static str {
        let t = self.c.t.templates;
        match (self.system(), source) {
            (false, Source::Own) => t.uses_own,
            (false, Source::System) => t.uses_system,
            (false, Source::BuiltIn) => t.uses_built_in,
            (true, Source::Own | Source::System) => t.system_stored,
            (true, Source::BuiltIn) => t.system_built_in,
        }
    }

    /// Whether there is something of the owner's to remove.
    fn removable(&self, source: &Source) -> bool {
        match self.system() {
            false => *source == Source::Own,
            true => *source != Source::BuiltIn,
        }
    }
}

/// What the forms hold when the page is shown again after an error: the text typed.
#[derive(Default)]
struct Typed {
    css: Option<String>,
    email: Option<EmailForm>,
    signature_text: Option<String>,
}

/// The template used for `kind` (and `language`): for a client service what the services
/// read; for the system its stored default.
async fn in_use(
    app: &AppState,
    owner: &Owner,
    stored: &[Template],
    kind: TemplateKind,
    language: Language,
) -> Result<Option<Template>, PageError> {
    Ok(match owner {
        Owner::Service(s) => templates::effective(&app.db, s.id, kind, Some(language)).await?,
        Owner::System => stored
            .iter()
            .find(|t| t.kind == kind && (t.language.is_none() || t.language == Some(language)))
            .cloned(),
    })
}

/// The example "documents available" e-mail of the built-in default, in placeholders (what
/// the form starts from when nothing is stored).
fn built_in_email(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::PtPt => (
            "Nova fatura eletrónica de {{issuer_name}} disponível para consulta",
            "Olá,\n\n{{issuer_name}} tem documentos assinados disponíveis para consulta:\n{{document_list}}\n{{operation_description}}\n\nConsulte-os em {{portal_link}}\n",
        ),
        Language::En => (
            "New electronic invoice from {{issuer_name}} available for consult",
            "Hello,\n\n{{issuer_name}} has signed documents available for you:\n{{document_list}}\n{{operation_description}}\n\nSee them at {{portal_link}}\n",
        ),
    }
}

fn delivery_language(language: Language) -> signstash_delivery::Language {
    match language {
        Language::PtPt => signstash_delivery::Language::PtPt,
        Language::En => signstash_delivery::Language::En,
    }
}

/// The e-mail as a receiver would get it, with sample values: (subject, text body).
fn email_preview(
    t: &Texts,
    issuer: &str,
    language: Language,
    brand: &Brand,
    template: Option<&CustomTemplate>,
) -> Option<(String, String)> {
    let sender = Sender::new(None, "no-reply@signstash.local").ok()?;
    let composer = MailComposer::new(sender, "https://portal.example").ok()?;
    let mail = composer
        .documents_available(
            "receiver@example.com",
            &PortalToken::generate(),
            &DocumentsAvailable {
                language: delivery_language(language),
                issuer_name: issuer.to_owned(),
                operation_description: Some(t.templates.sample_description.to_owned()),
                document_names: vec![t.templates.sample_document.to_owned()],
                attachments: Vec::new(),
                brand: brand.clone(),
            },
            template,
        )
        .ok()?;
    Some((mail.subject().to_owned(), mail.text_body().to_owned()))
}

/// The signature text filled with a sample certificate and the time now.
fn signature_preview(t: &Texts, text: &str) -> Option<String> {
    let template = signstash_signing::visible::Template::parse(text).ok()?;
    let now = time::OffsetDateTime::now_utc();
    let date = now
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .ok()?;
    Some(
        template.render(&signstash_signing::visible::TemplateValues {
            common_name: t.templates.sample_signer,
            organization: Some(t.templates.sample_issuer),
            serial_number: "1A2B3C4D",
            issuer_common_name: "Sign'Stash Demo CA",
            date: &date,
            reason: Some(t.templates.sample_reason),
            location: Some(t.templates.sample_location),
        }),
    )
}

async fn show(
    app: &AppState,
    signed: &Signed,
    owner: &Owner,
    done: &str,
    typed: Typed,
    errors: &Errors,
) -> Result<Response, PageError> {
    let t = signed.t();
    let stored = template_admin::stored(&app.db, owner.id()).await?;
    let language = match owner {
        Owner::Service(s) => s.language,
        Owner::System => Language::PtPt,
    };
    let portal = in_use(app, owner, &stored, TemplateKind::Portal, language).await?;
    let css = portal.as_ref().map(|p| p.body.clone()).unwrap_or_default();
    let logo = portal.as_ref().and_then(|p| {
        p.logo
            .as_deref()
            .map(|l| (l, p.logo_content_type.as_deref()))
    });
    let brand =
        Brand::from_portal_template(&css, logo.and_then(|(bytes, ty)| ty.map(|ty| (bytes, ty))));
    let c = &brand.colors;
    let swatches = [
        ("--brand", &c.brand),
        ("--brand-text", &c.brand_text),
        ("--text", &c.text),
        ("--muted", &c.muted),
        ("--line", &c.line),
        ("--surface", &c.surface),
        ("--page", &c.page),
    ]
    .into_iter()
    .map(|(property, hex)| Swatch {
        property,
        hex: hex.to_string(),
    })
    .collect();
    let portal_view = PortalView {
        source: Source::of(portal.as_ref()),
        css: typed.css.unwrap_or(css),
        has_logo: logo.is_some_and(|(bytes, _)| !bytes.is_empty()),
        swatches,
        brand: c.brand.to_string(),
        brand_text: c.brand_text.to_string(),
    };
    let issuer = match owner {
        Owner::Service(s) => s.issuer_name.clone(),
        Owner::System => t.templates.sample_issuer.to_owned(),
    };
    let mut emails = Vec::new();
    for language in [Language::PtPt, Language::En] {
        let code = match language {
            Language::PtPt => "pt_PT",
            Language::En => "en",
        };
        let used = in_use(app, owner, &stored, TemplateKind::Email, language).await?;
        let (subject, body) = match &used {
            Some(u) => (u.subject.clone().unwrap_or_default(), u.body.clone()),
            None => {
                let (s, b) = built_in_email(language);
                (s.to_owned(), b.to_owned())
            }
        };
        let custom = used
            .as_ref()
            .and_then(|u| CustomTemplate::parse(u.subject.as_deref()?, &u.body, None).ok());
        let preview = email_preview(t, &issuer, language, &brand, custom.as_ref());
        let (subject, body) = match &typed.email {
            Some(f) if f.language == code => (f.subject.clone(), f.body.clone()),
            _ => (subject, body),
        };
        emails.push(EmailView {
            code,
            language,
            source: Source::of(used.as_ref()),
            subject,
            body,
            preview,
        });
    }
    let sig = in_use(app, owner, &stored, TemplateKind::SignatureText, language).await?;
    let sig_text = sig
        .as_ref()
        .map_or(signstash_signing::visible::DEFAULT_TEMPLATE, |s| {
            s.body.as_str()
        })
        .to_owned();
    let signature = SignatureView {
        source: Source::of(sig.as_ref()),
        preview: signature_preview(t, &sig_text),
        text: typed.signature_text.unwrap_or(sig_text),
    };
    let can_edit = match owner {
        Owner::Service(_) => signed.can(Action::ManageClientServices),
        Owner::System => signed.can(Action::EditSystemConfiguration),
    };
    let page = Page {
        c: &signed.chrome,
        service: match owner {
            Owner::Service(s) => Some(s),
            Owner::System => None,
        },
        base: owner.base(),
        done,
        can_edit,
        can_test: matches!(owner, Owner::Service(_)) && signed.can(Action::ManageClientServices),
        portal: portal_view,
        emails,
        signature,
        errors,
    };
    Ok(signed.form(&page, errors.is_empty()))
}

async fn service_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, Some(&raw), false).await?;
    show(
        &app,
        &signed,
        &owner,
        &done.done,
        Typed::default(),
        &Errors::default(),
    )
    .await
}

async fn system_page(
    State(app): State<AppState>,
    signed: Signed,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, None, false).await?;
    show(
        &app,
        &signed,
        &owner,
        &done.done,
        Typed::default(),
        &Errors::default(),
    )
    .await
}

/// The logo in use, as an inert picture.
async fn logo(app: &AppState, owner: &Owner) -> Result<Option<Response>, PageError> {
    let stored = template_admin::stored(&app.db, owner.id()).await?;
    let language = match owner {
        Owner::Service(s) => s.language,
        Owner::System => Language::PtPt,
    };
    let Some(portal) = in_use(app, owner, &stored, TemplateKind::Portal, language).await? else {
        return Ok(None);
    };
    let content_type = match portal.logo_content_type.as_deref() {
        Some("image/png") => "image/png",
        Some("image/jpeg") => "image/jpeg",
        Some("image/gif") => "image/gif",
        Some("image/svg+xml") => "image/svg+xml",
        _ => return Ok(None),
    };
    let Some(bytes) = portal.logo.filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    Ok(Some(
        (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, no-store"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; sandbox",
                ),
            ],
            bytes,
        )
            .into_response(),
    ))
}

async fn service_logo(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, Some(&raw), false).await?;
    logo(&app, &owner).await?.ok_or_else(|| signed.not_found())
}

async fn system_logo(State(app): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, None, false).await?;
    logo(&app, &owner).await?.ok_or_else(|| signed.not_found())
}

/// A short fingerprint of a text for the audit log (templates are too long to copy there).
fn fingerprint(text: &str) -> String {
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8])
}

/// Stores `fields` for `owner` and writes it to the audit log, in one transaction.
async fn save(
    app: &AppState,
    signed: &Signed,
    owner: &Owner,
    fields: Fields,
) -> Result<Response, PageError> {
    let stored = template_admin::stored(&app.db, owner.id()).await?;
    let before = stored
        .iter()
        .find(|t| t.kind == fields.kind && t.language == fields.language);
    let mut tx = app.db.begin().await?;
    template_admin::save(&mut tx, owner.id(), &fields).await?;
    let mut changes = Changes::default()
        .field("kind", "", fields.kind)
        .field(
            "language",
            "",
            fields.language.map(|l| l.to_string()).unwrap_or_default(),
        )
        .field(
            "subject",
            before.and_then(|b| b.subject.clone()).unwrap_or_default(),
            fields.subject.clone().unwrap_or_default(),
        )
        .field(
            "body_sha256",
            before.map(|b| fingerprint(&b.body)).unwrap_or_default(),
            fingerprint(&fields.body),
        );
    if let Some((bytes, content_type)) = &fields.logo {
        changes = changes.field(
            "logo",
            before
                .and_then(|b| b.logo.as_deref())
                .map(|l| format!("{} bytes", l.len()))
                .unwrap_or_default(),
            format!("{content_type}, {} bytes", bytes.len()),
        );
    }
    audit::record(
        &mut *tx,
        signed,
        &owner.action("saved"),
        &owner.target(),
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok(page::done(&owner.base(), "saved"))
}

/// The portal form (multipart: the logo is a file). The session's CSRF token is checked here
/// (a multipart body is not read by [`SignedForm`]); the logo is read up to its limit and no
/// further.
async fn portal(
    app: &AppState,
    signed: &Signed,
    owner: &Owner,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let t = signed.t();
    let mut token = String::new();
    let mut css = String::new();
    let mut logo: Vec<u8> = Vec::new();
    // A body over the service's limit is a 413 like a logo over its own; anything else
    // malformed, a 400.
    let refused = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge
        } else {
            PageError::BadRequest
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or("").to_owned();
        let limit = match name.as_str() {
            "logo" => check::MAX_LOGO_BYTES,
            "css" => check::MAX_CSS_BYTES,
            _ => 1024,
        };
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(refused)? {
            if value.len() + chunk.len() > limit {
                return Err(PageError::TooLarge);
            }
            value.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf_token" => token = String::from_utf8_lossy(&value).into_owned(),
            "css" => css = String::from_utf8(value).map_err(|_| PageError::BadRequest)?,
            "logo" => logo = value,
            _ => {}
        }
    }
    if !signed.csrf_matches(&token) {
        tracing::warn!("template upload without this session's CSRF token refused");
        return Err(PageError::Forbidden);
    }
    let mut errors = Errors::default();
    match check::css(&css) {
        Ok(()) => {}
        Err(check::CssProblem::TooLarge) => errors.add("css", t.templates.error_css_large),
        Err(check::CssProblem::Forbidden(_)) => errors.add("css", t.templates.error_css),
    }
    let logo = if logo.is_empty() {
        None
    } else {
        match check::logo(&logo) {
            Ok(content_type) => Some((logo, content_type.to_owned())),
            Err(problem) => {
                errors.add(
                    "logo",
                    match problem {
                        check::LogoProblem::TooLarge => t.templates.error_logo_large,
                        check::LogoProblem::NotAnImage => t.templates.error_logo_type,
                        check::LogoProblem::UnsafeSvg(why) => {
                            tracing::info!(why, "SVG logo refused");
                            t.templates.error_logo_unsafe
                        }
                    },
                );
                None
            }
        }
    };
    if !errors.is_empty() {
        let typed = Typed {
            css: Some(css),
            ..Typed::default()
        };
        return show(app, signed, owner, "", typed, &errors).await;
    }
    let fields = Fields {
        kind: TemplateKind::Portal,
        language: None,
        name: "portal".into(),
        subject: None,
        body: css,
        logo,
    };
    save(app, signed, owner, fields).await
}

// The body is read as multipart only once the operator may change these templates (an
// auditor's upload is a 403, another tenant's a 404, whatever the body); a body that is not
// multipart is a request no form of ours sends (400).
async fn service_portal(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, Some(&raw), true).await?;
    let multipart = Multipart::from_request(request, &app)
        .await
        .map_err(|_| PageError::BadRequest)?;
    portal(&app, &signed, &owner, multipart).await
}

async fn system_portal(
    State(app): State<AppState>,
    signed: Signed,
    request: Request,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, None, true).await?;
    let multipart = Multipart::from_request(request, &app)
        .await
        .map_err(|_| PageError::BadRequest)?;
    portal(&app, &signed, &owner, multipart).await
}

/// The e-mail form of one language, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct EmailForm {
    language: String,
    subject: String,
    body: String,
}

async fn email(
    app: &AppState,
    signed: &Signed,
    owner: &Owner,
    form: EmailForm,
) -> Result<Response, PageError> {
    let t = signed.t();
    let mut errors = Errors::default();
    let language = match form.language.as_str() {
        "pt_PT" => Language::PtPt,
        "en" => Language::En,
        _ => return Err(PageError::BadRequest),
    };
    let field = |name: &str| -> &'static str {
        match (name, language) {
            ("subject", Language::PtPt) => "subject_pt_PT",
            ("subject", Language::En) => "subject_en",
            (_, Language::PtPt) => "body_pt_PT",
            (_, Language::En) => "body_en",
        }
    };
    let subject = crate::form::required(
        &mut errors,
        t,
        field("subject"),
        &form.subject,
        crate::form::MAX_TEXT,
    );
    let body = form.body.replace("\r\n", "\n");
    if body.trim().is_empty() {
        errors.add(field("body"), t.error_required);
    } else if body.len() > signstash_delivery::MAX_TEMPLATE_BYTES {
        errors.add(field("body"), t.error_too_long);
    } else if body
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        errors.add(field("body"), t.error_control);
    }
    if let Some(subject) = &subject {
        if CustomTemplate::parse(subject, "", None).is_err() {
            errors.add(field("subject"), t.templates.error_placeholder);
        }
    }
    if errors.get(field("body")).is_none() && CustomTemplate::parse("", &body, None).is_err() {
        errors.add(field("body"), t.templates.error_placeholder);
    }
    let Some(subject) = subject.filter(|_| errors.is_empty()) else {
        let typed = Typed {
            email: Some(form),
            ..Typed::default()
        };
        return show(app, signed, owner, "", typed, &errors).await;
    };
    let fields = Fields {
        kind: TemplateKind::Email,
        language: Some(language),
        name: format!("email {language}"),
        subject: Some(subject),
        body,
        logo: None,
    };
    save(app, signed, owner, fields).await
}

async fn service_email(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<EmailForm>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, Some(&raw), true).await?;
    email(&app, &signed, &owner, form).await
}

async fn system_email(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<EmailForm>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, None, true).await?;
    email(&app, &signed, &owner, form).await
}

/// The signature text form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TextForm {
    text: String,
}

async fn signature_text(
    app: &AppState,
    signed: &Signed,
    owner: &Owner,
    form: TextForm,
) -> Result<Response, PageError> {
    let t = signed.t();
    let mut errors = Errors::default();
    let text = form.text.replace("\r\n", "\n");
    if text.trim().is_empty() {
        errors.add("text", t.error_required);
    } else if text.chars().count() > 2000 {
        errors.add("text", t.error_too_long);
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        errors.add("text", t.error_control);
    } else if signstash_signing::visible::Template::parse(&text).is_err() {
        errors.add("text", t.templates.error_reference);
    }
    if !errors.is_empty() {
        let typed = Typed {
            signature_text: Some(form.text),
            ..Typed::default()
        };
        return show(app, signed, owner, "", typed, &errors).await;
    }
    let fields = Fields {
        kind: TemplateKind::SignatureText,
        language: None,
        name: "signature text".into(),
        subject: None,
        body: text,
        logo: None,
    };
    save(app, signed, owner, fields).await
}

async fn service_signature_text(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<TextForm>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, Some(&raw), true).await?;
    signature_text(&app, &signed, &owner, form).await
}

async fn system_signature_text(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<TextForm>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, None, true).await?;
    signature_text(&app, &signed, &owner, form).await
}

/// "Back to the default": which kind (and, for e-mails, which language).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DefaultForm {
    kind: String,
    language: String,
}

async fn back_to_default(
    app: &AppState,
    signed: &Signed,
    owner: &Owner,
    form: DefaultForm,
) -> Result<Response, PageError> {
    let kind: TemplateKind = form.kind.parse().map_err(|_| PageError::BadRequest)?;
    let language = match (kind, form.language.as_str()) {
        (TemplateKind::Email, "pt_PT") => Some(Language::PtPt),
        (TemplateKind::Email, "en") => Some(Language::En),
        (TemplateKind::Email, _) => return Err(PageError::BadRequest),
        _ => None,
    };
    let mut tx = app.db.begin().await?;
    let removed = template_admin::remove(&mut tx, owner.id(), kind, language).await?;
    if removed > 0 {
        let changes = Changes::default()
            .field("kind", "", kind)
            .field(
                "language",
                "",
                language.map(|l| l.to_string()).unwrap_or_default(),
            )
            .field("removed", "", removed);
        audit::record(
            &mut *tx,
            signed,
            &owner.action("reset"),
            &owner.target(),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&owner.base(), "default"))
}

async fn service_default(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<DefaultForm>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, Some(&raw), true).await?;
    back_to_default(&app, &signed, &owner, form).await
}

async fn system_default(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<DefaultForm>,
) -> Result<Response, PageError> {
    let owner = owner(&app, &signed, None, true).await?;
    back_to_default(&app, &signed, &owner, form).await
}
