//! Partner companies (partner and admin): the list with its filters, the detail, create and
//! edit (the platform; a partner edits its own company's details), and the usage limit
//! (the platform only).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use signstash_domain::{CompanyStatus, Language, PartnerCompanyId, PartnerKind};
use signstash_store::partner_companies::{self, Partner, PartnerFields, PartnerFilter};
use signstash_store::StoreError;

use crate::audit::{self, Changes, Company, Target};
use crate::form::{self, Errors, UsageLimit};
use crate::list::{self, Pager};
use crate::menu::Menu;
use crate::page::Done;
use crate::page::{self, Chrome, PageError, Signed, SignedForm};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const LIST: &str = "/partner-companies";

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, LIST, get(list)),
        route(Method::POST, LIST, post(create)),
        route(Method::GET, "/partner-companies/new", get(new)),
        route(Method::GET, "/partner-companies/{id}", get(detail)),
        route(Method::POST, "/partner-companies/{id}", post(edit)),
        route(Method::GET, "/partner-companies/{id}/edit", get(edit_page)),
        route(
            Method::POST,
            "/partner-companies/{id}/limit",
            post(set_limit),
        ),
    ]
}

/// The list's filters as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    name: String,
    created_from: String,
    created_to: String,
    page: String,
}

#[derive(Template)]
#[template(path = "partners/list.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    f: &'a Filters,
    errors: &'a Errors,
    rows: &'a [Partner],
    pager: &'a Pager,
    list_path: &'static str,
    can_create: bool,
}

async fn list(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::PartnerCompanies))
        .await?;
    let f: Filters = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let t = signed.t();
    let mut errors = Errors::default();
    let filter = PartnerFilter {
        name: list::text(&f.name),
        created_from: form::date(&mut errors, t, "created_from", &f.created_from),
        created_to: form::date(&mut errors, t, "created_to", &f.created_to),
    };
    let page = list::page(&f.page);
    let (rows, more) = list::split(
        partner_companies::list(
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
        can_create: signed.can(Action::CreatePartner),
    }))
}

async fn load(app: &AppState, signed: &Signed, raw: &str) -> Result<Partner, PageError> {
    let Some(id) = page::path_id(raw) else {
        return Err(signed.not_found());
    };
    partner_companies::find(&app.db, signed.scope(), PartnerCompanyId(id))
        .await?
        .ok_or_else(|| signed.not_found())
}

#[derive(Template)]
#[template(path = "partners/detail.html")]
struct DetailPage<'a> {
    c: &'a Chrome,
    p: &'a Partner,
    done: &'a str,
    can_edit: bool,
    can_set_limit: bool,
    limit: &'a UsageLimit,
    errors: &'a Errors,
}

async fn detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::PartnerCompanies))
        .await?;
    let p = load(&app, &signed, &raw).await?;
    let limit = UsageLimit::of((p.limit_signatures, p.limit_valid_until));
    Ok(signed.page(&DetailPage {
        c: &signed.chrome,
        p: &p,
        done: &done.done,
        can_edit: signed.can(Action::EditPartner),
        can_set_limit: signed.can(Action::SetPartnerLimit),
        limit: &limit,
        errors: &Errors::default(),
    }))
}

/// The create and edit form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PartnerForm {
    name: String,
    vat_number: String,
    country_code: String,
    email: String,
    address: String,
    postal_code: String,
    city: String,
    language: String,
    kind: String,
    status: String,
}

impl PartnerForm {
    fn of(p: &Partner) -> Self {
        Self {
            name: p.name.clone(),
            vat_number: p.vat_number.as_str().to_owned(),
            country_code: p.country_code.clone(),
            email: p.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            address: p.address.clone().unwrap_or_default(),
            postal_code: p.postal_code.clone().unwrap_or_default(),
            city: p.city.clone().unwrap_or_default(),
            language: p.language.to_string(),
            kind: p.kind.to_string(),
            status: p.status.to_string(),
        }
    }

    /// The fields, or the form's errors. `platform`: the kind and status are the platform's to
    /// set (a partner editing its own company keeps `current`'s).
    fn parse(
        &self,
        t: &crate::i18n::Texts,
        errors: &mut Errors,
        platform: bool,
        current: Option<&Partner>,
    ) -> Option<PartnerFields> {
        let name = form::required(errors, t, "name", &self.name, form::MAX_TEXT);
        let email = form::email(errors, t, "email", &self.email, false);
        let address = form::optional(errors, t, "address", &self.address, form::MAX_TEXT);
        let postal_code = form::optional(errors, t, "postal_code", &self.postal_code, 20);
        let city = form::optional(errors, t, "city", &self.city, 100);
        let language: Option<Language> = form::language(errors, t, "language", &self.language);
        let (kind, status) = match (platform, current) {
            (false, Some(c)) => (Some(c.kind), Some(c.status)),
            _ => (
                form::choice::<PartnerKind>(errors, t, "kind", &self.kind),
                form::choice::<CompanyStatus>(errors, t, "status", &self.status),
            ),
        };
        Some(PartnerFields {
            name: name?,
            email,
            address,
            postal_code,
            city,
            language: language?,
            kind: kind?,
            status: status?,
        })
        .filter(|_| errors.is_empty())
    }
}

#[derive(Template)]
#[template(path = "partners/form.html")]
struct FormPage<'a> {
    c: &'a Chrome,
    form: &'a PartnerForm,
    errors: &'a Errors,
    /// Where the form posts; `None` id: creating.
    action: String,
    creating: bool,
    platform: bool,
    cancel: String,
}

fn form_page(
    signed: &Signed,
    form: &PartnerForm,
    errors: &Errors,
    editing: Option<PartnerCompanyId>,
) -> Response {
    let page = FormPage {
        c: &signed.chrome,
        form,
        errors,
        action: editing.map_or(LIST.to_owned(), |id| format!("{LIST}/{}", id.0)),
        creating: editing.is_none(),
        platform: signed.can(Action::CreatePartner),
        cancel: editing.map_or(LIST.to_owned(), |id| format!("{LIST}/{}", id.0)),
    };
    if errors.is_empty() {
        signed.page(&page)
    } else {
        signed.invalid(&page)
    }
}

async fn new(State(app): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    signed.may(&app, Action::CreatePartner).await?;
    let form = PartnerForm {
        country_code: "PRT".into(),
        language: Language::PtPt.to_string(),
        kind: PartnerKind::Integrator.to_string(),
        status: CompanyStatus::Active.to_string(),
        ..PartnerForm::default()
    };
    Ok(form_page(&signed, &form, &Errors::default(), None))
}

async fn create(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<PartnerForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::CreatePartner).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let country = form::country(&mut errors, t, "country_code", &form.country_code);
    let vat = form::vat_in(
        &mut errors,
        t,
        "vat_number",
        &form.vat_number,
        country.as_deref(),
    );
    let fields = form.parse(t, &mut errors, true, None);
    let (Some(vat), Some(country), Some(fields)) = (vat, country, fields) else {
        return Ok(form_page(&signed, &form, &errors, None));
    };
    let mut tx = app.db.begin().await?;
    let id = match partner_companies::create(&mut *tx, &vat, &country, &fields).await {
        Err(StoreError::Duplicate(_)) => {
            errors.add("vat_number", t.error_taken);
            return Ok(form_page(&signed, &form, &errors, None));
        }
        other => other?,
    };
    let changes = Changes::default()
        .created("name", &fields.name)
        .created("code", format!("{country}.{}", vat.as_str()))
        .created("kind", fields.kind)
        .created("status", fields.status);
    audit::record(&mut *tx, &signed, "partner.created", &target(id), changes).await?;
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", id.0), "created"))
}

fn target(id: PartnerCompanyId) -> Target {
    Target {
        kind: "partner_company",
        id: id.0.to_string(),
        partner: Some(id),
        issuer: None,
    }
}

async fn edit_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::EditPartner).await?;
    let p = load(&app, &signed, &raw).await?;
    Ok(form_page(
        &signed,
        &PartnerForm::of(&p),
        &Errors::default(),
        Some(p.id),
    ))
}

async fn edit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<PartnerForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::EditPartner).await?;
    let current = load(&app, &signed, &raw).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let platform = signed.can(Action::CreatePartner);
    let Some(fields) = form.parse(t, &mut errors, platform, Some(&current)) else {
        // The fields the form does not send are shown as they are.
        let form = PartnerForm {
            vat_number: current.vat_number.as_str().to_owned(),
            country_code: current.country_code.clone(),
            ..form
        };
        return Ok(form_page(&signed, &form, &errors, Some(current.id)));
    };
    let mut tx = app.db.begin().await?;
    if !partner_companies::update(&mut *tx, signed.scope(), current.id, &fields).await? {
        return Err(signed.not_found());
    }
    let changes = Changes::default()
        .company(
            Company {
                name: &current.name,
                email: current.email.as_ref(),
                address: current.address.as_deref(),
                postal_code: current.postal_code.as_deref(),
                city: current.city.as_deref(),
                language: current.language,
            },
            Company {
                name: &fields.name,
                email: fields.email.as_ref(),
                address: fields.address.as_deref(),
                postal_code: fields.postal_code.as_deref(),
                city: fields.city.as_deref(),
                language: fields.language,
            },
        )
        .field("kind", current.kind, fields.kind)
        .field("status", current.status, fields.status);
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "partner.updated",
            &target(current.id),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "saved"))
}

async fn set_limit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<UsageLimit>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::SetPartnerLimit).await?;
    let current = load(&app, &signed, &raw).await?;
    let mut errors = Errors::default();
    let Some((signatures, until)) = form.parse(&mut errors, signed.t()) else {
        return Ok(signed.invalid(&DetailPage {
            c: &signed.chrome,
            p: &current,
            done: "",
            can_edit: signed.can(Action::EditPartner),
            can_set_limit: true,
            limit: &form,
            errors: &errors,
        }));
    };
    let mut tx = app.db.begin().await?;
    if !partner_companies::set_limit(&mut *tx, signed.scope(), current.id, signatures, until)
        .await?
    {
        return Err(signed.not_found());
    }
    let changes = form::limit_changes(
        (current.limit_signatures, current.limit_valid_until),
        (signatures, until),
    );
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "partner.limit_set",
            &target(current.id),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "limit"))
}
