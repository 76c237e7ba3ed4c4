//! Issuer companies (every role, scoped: the platform all, a partner its issuers, an issuer
//! operator its own, an auditor the audited ones): the list with its filters, the detail with
//! its resources (operators, client services), create and edit (the platform under any
//! partner, a partner under its own), the lifecycle (one POST per move, each allowed only to
//! the roles [`policy::may_transition`] names), and the usage limit (the platform, or a
//! partner whose company is a reseller).

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use signstash_domain::{
    IssuerCompanyId, IssuerStatus, Language, PartnerCompanyId, PartnerKind, Role,
};
use signstash_store::issuer_companies::{
    self, Issuer, IssuerClientService, IssuerFields, IssuerFilter, IssuerOperator,
};
use signstash_store::partner_companies;
use signstash_store::scope::Covers;
use signstash_store::StoreError;

use crate::audit::{self, Changes, Company, Target};
use crate::form::{self, Errors, UsageLimit};
use crate::list::{self, Pager};
use crate::menu::Menu;
use crate::page::path_id as id;
use crate::page::Done;
use crate::page::{self, Chrome, PageError, Signed, SignedForm};
use crate::policy::{self, Action};
use crate::routes::{route, Route};
use crate::AppState;

const LIST: &str = "/issuer-companies";

/// How many operators and client services the detail page lists.
const RESOURCES: i64 = 50;

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, LIST, get(list)),
        route(Method::POST, LIST, post(create)),
        route(Method::GET, "/issuer-companies/new", get(new)),
        route(Method::GET, "/issuer-companies/{id}", get(detail)),
        route(Method::POST, "/issuer-companies/{id}", post(edit)),
        route(Method::GET, "/issuer-companies/{id}/edit", get(edit_page)),
        route(
            Method::POST,
            "/issuer-companies/{id}/limit",
            post(set_limit),
        ),
        route(
            Method::POST,
            "/issuer-companies/{id}/status",
            post(change_status),
        ),
    ]
}

/// One option of a `<select>`.
pub struct Choice {
    value: String,
    name: String,
    selected: bool,
}

fn partner_choices(partners: Vec<(PartnerCompanyId, String)>, chosen: &str) -> Vec<Choice> {
    partners
        .into_iter()
        .map(|(id, name)| {
            let value = id.0.to_string();
            Choice {
                selected: value == chosen.trim(),
                value,
                name,
            }
        })
        .collect()
}

/// The list's filters as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    company: String,
    name: String,
    created_from: String,
    created_to: String,
    page: String,
}

#[derive(Template)]
#[template(path = "issuers/list.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    f: &'a Filters,
    errors: &'a Errors,
    rows: &'a [Issuer],
    pager: &'a Pager,
    list_path: &'static str,
    can_create: bool,
    /// The partner filter (the platform only: a partner sees only its own issuers anyway).
    partners: Option<Vec<Choice>>,
}

async fn list(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::IssuerCompanies))
        .await?;
    let f: Filters = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let t = signed.t();
    let mut errors = Errors::default();
    let partner = match f.company.trim() {
        "" => None,
        raw => match id(raw) {
            Some(p) => Some(PartnerCompanyId(p)),
            None => {
                errors.add("company", t.error_choice);
                None
            }
        },
    };
    let filter = IssuerFilter {
        partner,
        name: list::text(&f.name),
        created_from: form::date(&mut errors, t, "created_from", &f.created_from),
        created_to: form::date(&mut errors, t, "created_to", &f.created_to),
    };
    let page = list::page(&f.page);
    let (rows, more) = list::split(
        issuer_companies::list(
            &app.db,
            signed.scope(),
            &filter,
            list::offset(page),
            list::PER_PAGE + 1,
        )
        .await?,
    );
    let partners = if signed.role() == Role::SystemAdministrator {
        Some(partner_choices(
            issuer_companies::partners(&app.db, signed.scope()).await?,
            &f.company,
        ))
    } else {
        None
    };
    let pager = Pager::new(LIST, query.as_deref(), page, more);
    Ok(signed.page(&ListPage {
        c: &signed.chrome,
        f: &f,
        errors: &errors,
        rows: &rows,
        pager: &pager,
        list_path: LIST,
        can_create: signed.can(Action::ManageIssuers),
        partners,
    }))
}

async fn load(app: &AppState, signed: &Signed, raw: &str) -> Result<Issuer, PageError> {
    let Some(id) = id(raw) else {
        return Err(signed.not_found());
    };
    issuer_companies::find(&app.db, signed.scope(), IssuerCompanyId(id))
        .await?
        .ok_or_else(|| signed.not_found())
}

/// Whether the operator may set issuers' usage limits: the platform, or a partner whose
/// company is a reseller (an integrator's partner may not).
async fn may_set_limit(app: &AppState, signed: &Signed) -> Result<bool, PageError> {
    if !signed.can(Action::SetIssuerLimit) {
        return Ok(false);
    }
    Ok(match signed.scope().covers() {
        Covers::All => true,
        Covers::Partner(p) => partner_companies::find(&app.db, signed.scope(), p)
            .await?
            .is_some_and(|p| p.kind == PartnerKind::Reseller),
        Covers::Issuer(_) | Covers::Issuers(_) => false,
    })
}

/// A lifecycle button of the detail page.
pub struct Move {
    to: IssuerStatus,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "issuers/detail.html")]
struct DetailPage<'a> {
    c: &'a Chrome,
    i: &'a Issuer,
    done: &'a str,
    can_edit: bool,
    can_set_limit: bool,
    limit: &'a UsageLimit,
    errors: &'a Errors,
    moves: &'a [Move],
    operators: &'a [IssuerOperator],
    client_services: &'a [IssuerClientService],
}

async fn detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, PageError> {
    signed
        .may(&app, Action::View(Menu::IssuerCompanies))
        .await?;
    let i = load(&app, &signed, &raw).await?;
    let limit = UsageLimit::of((i.limit_signatures, i.limit_valid_until));
    detail_page(&app, &signed, &i, &done.done, &limit, &Errors::default()).await
}

/// The detail page of `i`, with the limit form as given (its errors beside it: 422).
async fn detail_page(
    app: &AppState,
    signed: &Signed,
    i: &Issuer,
    done: &str,
    limit: &UsageLimit,
    errors: &Errors,
) -> Result<Response, PageError> {
    let operators = issuer_companies::operators(&app.db, signed.scope(), i.id, RESOURCES).await?;
    let client_services =
        issuer_companies::client_services(&app.db, signed.scope(), i.id, RESOURCES).await?;
    let t = signed.t();
    let moves: Vec<Move> = if signed.can(Action::ChangeIssuerStatus) {
        IssuerStatus::ALL
            .iter()
            .filter(|to| policy::may_transition(signed.role(), i.status, **to))
            .map(|to| Move {
                to: *to,
                label: t.issuers.transition(&i.status, to),
            })
            .collect()
    } else {
        Vec::new()
    };
    let live = i.status != IssuerStatus::Deleted;
    let page = DetailPage {
        c: &signed.chrome,
        i,
        done,
        can_edit: live && signed.can(Action::ManageIssuers),
        can_set_limit: live && may_set_limit(app, signed).await?,
        limit,
        errors,
        moves: &moves,
        operators: &operators,
        client_services: &client_services,
    };
    Ok(signed.form(&page, errors.is_empty()))
}

/// The create and edit form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IssuerForm {
    partner: String,
    name: String,
    vat_number: String,
    country_code: String,
    email: String,
    address: String,
    postal_code: String,
    city: String,
    language: String,
}

impl IssuerForm {
    fn of(i: &Issuer) -> Self {
        Self {
            partner: i.partner_company_id.0.to_string(),
            name: i.name.clone(),
            vat_number: i.vat_number.as_str().to_owned(),
            country_code: i.country_code.clone(),
            email: i.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            address: i.address.clone().unwrap_or_default(),
            postal_code: i.postal_code.clone().unwrap_or_default(),
            city: i.city.clone().unwrap_or_default(),
            language: i.language.to_string(),
        }
    }

    /// The fields both forms set, or the form's errors.
    fn parse(&self, t: &crate::i18n::Texts, errors: &mut Errors) -> Option<IssuerFields> {
        let name = form::required(errors, t, "name", &self.name, form::MAX_TEXT);
        let email = form::email(errors, t, "email", &self.email, false);
        let address = form::optional(errors, t, "address", &self.address, form::MAX_TEXT);
        let postal_code = form::optional(errors, t, "postal_code", &self.postal_code, 20);
        let city = form::optional(errors, t, "city", &self.city, 100);
        let language: Option<Language> = form::language(errors, t, "language", &self.language);
        Some(IssuerFields {
            name: name?,
            email,
            address,
            postal_code,
            city,
            language: language?,
        })
        .filter(|_| errors.is_empty())
    }
}

#[derive(Template)]
#[template(path = "issuers/form.html")]
struct FormPage<'a> {
    c: &'a Chrome,
    form: &'a IssuerForm,
    errors: &'a Errors,
    action: String,
    creating: bool,
    /// The partners to choose from (creating, as the platform).
    partners: Option<Vec<Choice>>,
    cancel: String,
}

async fn form_page(
    app: &AppState,
    signed: &Signed,
    form: &IssuerForm,
    errors: &Errors,
    editing: Option<IssuerCompanyId>,
) -> Result<Response, PageError> {
    let partners = if editing.is_none() && signed.role() == Role::SystemAdministrator {
        Some(partner_choices(
            issuer_companies::partners(&app.db, signed.scope()).await?,
            &form.partner,
        ))
    } else {
        None
    };
    let here = editing.map_or(LIST.to_owned(), |id| format!("{LIST}/{}", id.0));
    let page = FormPage {
        c: &signed.chrome,
        form,
        errors,
        action: here.clone(),
        creating: editing.is_none(),
        partners,
        cancel: here,
    };
    Ok(signed.form(&page, errors.is_empty()))
}

async fn new(State(app): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageIssuers).await?;
    let form = IssuerForm {
        country_code: "PRT".into(),
        language: Language::PtPt.to_string(),
        ..IssuerForm::default()
    };
    form_page(&app, &signed, &form, &Errors::default(), None).await
}

async fn create(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<IssuerForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageIssuers).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    // The platform chooses the partner; a partner creates under its own company.
    let partner = match signed.scope().covers() {
        Covers::All => id(form.partner.trim()).map(PartnerCompanyId),
        Covers::Partner(p) => Some(p),
        Covers::Issuer(_) | Covers::Issuers(_) => return Err(PageError::Forbidden),
    };
    if partner.is_none() {
        errors.add("partner", t.error_choice);
    }
    let vat = form::vat(&mut errors, t, "vat_number", &form.vat_number);
    let country = form::country(&mut errors, t, "country_code", &form.country_code);
    let fields = form.parse(t, &mut errors);
    let (Some(partner), Some(vat), Some(country), Some(fields)) = (partner, vat, country, fields)
    else {
        return form_page(&app, &signed, &form, &errors, None).await;
    };
    let mut tx = app.db.begin().await?;
    let created =
        issuer_companies::create(&mut *tx, signed.scope(), partner, &vat, &country, &fields).await;
    let id = match created {
        Err(StoreError::Duplicate(_)) => {
            errors.add("vat_number", t.error_taken);
            return form_page(&app, &signed, &form, &errors, None).await;
        }
        Ok(None) => {
            errors.add("partner", t.error_choice);
            return form_page(&app, &signed, &form, &errors, None).await;
        }
        Ok(Some(id)) => id,
        Err(e) => return Err(e.into()),
    };
    let changes = Changes::default()
        .created("name", &fields.name)
        .created("code", format!("{country}.{}", vat.as_str()))
        .created("partner_company_id", partner.0)
        .created("status", IssuerStatus::Registered);
    audit::record(
        &mut *tx,
        &signed,
        "issuer.created",
        &target(id, partner),
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", id.0), "created"))
}

fn target(id: IssuerCompanyId, partner: PartnerCompanyId) -> Target {
    Target {
        kind: "issuer_company",
        id: id.0.to_string(),
        partner: Some(partner),
        issuer: Some(id),
    }
}

async fn edit_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageIssuers).await?;
    let i = load(&app, &signed, &raw).await?;
    if i.status == IssuerStatus::Deleted {
        // Kept for custody, no longer changed.
        return Err(signed.not_found());
    }
    form_page(
        &app,
        &signed,
        &IssuerForm::of(&i),
        &Errors::default(),
        Some(i.id),
    )
    .await
}

async fn edit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<IssuerForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageIssuers).await?;
    let current = load(&app, &signed, &raw).await?;
    if current.status == IssuerStatus::Deleted {
        return Err(PageError::Forbidden);
    }
    let t = signed.t();
    let mut errors = Errors::default();
    let Some(fields) = form.parse(t, &mut errors) else {
        // The fields the form does not send are shown as they are.
        let form = IssuerForm {
            vat_number: current.vat_number.as_str().to_owned(),
            country_code: current.country_code.clone(),
            ..form
        };
        return form_page(&app, &signed, &form, &errors, Some(current.id)).await;
    };
    let mut tx = app.db.begin().await?;
    if !issuer_companies::update(&mut *tx, signed.scope(), current.id, &fields).await? {
        return Err(signed.not_found());
    }
    let changes = Changes::default().company(
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
    );
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "issuer.updated",
            &target(current.id, current.partner_company_id),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "saved"))
}

/// A lifecycle button's form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    to: String,
}

/// One move of the lifecycle. The issuer is read first (another tenant's id: 404), then the
/// move is checked against its current status: one the role may not make, or that does not
/// exist, is refused 403 and written to the audit log.
async fn change_status(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<StatusForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ChangeIssuerStatus).await?;
    let current = load(&app, &signed, &raw).await?;
    let from = current.status;
    let to = form
        .to
        .trim()
        .parse::<IssuerStatus>()
        .ok()
        .filter(|to| policy::may_transition(signed.role(), from, *to));
    let Some(to) = to else {
        let asked = form.to.chars().take(20).collect::<String>();
        audit::denied(
            &app.db,
            &signed,
            &format!("IssuerTransition({from} → {asked})"),
        )
        .await?;
        return Err(PageError::Forbidden);
    };
    let mut tx = app.db.begin().await?;
    if !issuer_companies::set_status(&mut *tx, signed.scope(), current.id, from, to).await? {
        // Changed by someone else since it was read: this move was not the one checked.
        return Err(PageError::Forbidden);
    }
    audit::record(
        &mut *tx,
        &signed,
        "issuer.status_changed",
        &target(current.id, current.partner_company_id),
        Changes::default().field("status", from, to),
    )
    .await?;
    // Reactivated: the operators who never activated get a new link (the first has likely
    // expired while the company was off).
    let activations = if to == IssuerStatus::Active
        && matches!(from, IssuerStatus::Suspended | IssuerStatus::Blocked)
    {
        crate::routes::operators::renew_activations(
            &app,
            &mut tx,
            &signed,
            current.id,
            current.partner_company_id,
        )
        .await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    for activation in activations {
        activation.send(&app).await;
    }
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "status"))
}

/// The usage limit form as typed.
async fn set_limit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<UsageLimit>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::SetIssuerLimit).await?;
    let current = load(&app, &signed, &raw).await?;
    if !may_set_limit(&app, &signed).await? {
        audit::denied(&app.db, &signed, "SetIssuerLimit(integrator)").await?;
        return Err(PageError::Forbidden);
    }
    if current.status == IssuerStatus::Deleted {
        return Err(PageError::Forbidden);
    }
    let mut errors = Errors::default();
    let Some((signatures, until)) = form.parse(&mut errors, signed.t()) else {
        return detail_page(&app, &signed, &current, "", &form, &errors).await;
    };
    let mut tx = app.db.begin().await?;
    if !issuer_companies::set_limit(&mut *tx, signed.scope(), current.id, signatures, until).await?
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
            "issuer.limit_set",
            &target(current.id, current.partner_company_id),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "limit"))
}
