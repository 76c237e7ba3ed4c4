//! Operators (admin, partner, issuer): one tab per role the viewer may manage, the list with
//! its filters, the detail, create (a REGISTERED operator and its activation e-mail), edit
//! (name and status) and unlock. One manages the operators of one's own or a descendant
//! company (the scope) with the same or a lower role; any other id reads as a missing one.
//!
//! The anonymous password links (activation, reset, "forgot password") and the profile are in
//! [`account`].

pub mod account;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use signstash_domain::{
    IssuerCompanyId, Language, OperatorId, OperatorStatus, PartnerCompanyId, Role,
};
use signstash_store::operator_admin::{self, ManagedOperator, NewManagedOperator, OperatorFilter};
use signstash_store::StoreError;

use crate::audit::{self, Changes, Target};
use crate::form::{self, Errors};
use crate::list::{self, Pager};
use crate::menu::Menu;
use crate::page::path_id as id;
use crate::page::Done;
use crate::page::{self, Chrome, PageError, Signed, SignedForm};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const LIST: &str = "/operators";

/// How long an activation link works.
pub const ACTIVATION_VALID: time::Duration = time::Duration::hours(72);

pub fn routes() -> Vec<Route> {
    let mut routes = vec![
        route(Method::GET, LIST, get(list)),
        route(Method::POST, LIST, post(create)),
        route(Method::GET, "/operators/new", get(new)),
        route(Method::GET, "/operators/{id}", get(detail)),
        route(Method::POST, "/operators/{id}", post(edit)),
        route(Method::GET, "/operators/{id}/edit", get(edit_page)),
        route(Method::POST, "/operators/{id}/unlock", post(unlock)),
    ];
    routes.extend(account::routes());
    routes
}

/// The roles whose operators `viewer` manages, one tab each: its own and those below
/// ([`Role::can_manage`]) that can exist in its companies (operators without a company,
/// system administrators and auditors, are the platform's only).
pub fn tabs(viewer: Role) -> &'static [Role] {
    match viewer {
        Role::SystemAdministrator => &[
            Role::SystemAdministrator,
            Role::Partner,
            Role::Issuer,
            Role::Auditor,
        ],
        Role::Partner => &[Role::Partner, Role::Issuer],
        Role::Issuer => &[Role::Issuer],
        Role::Auditor => &[],
    }
}

/// A tab's link.
pub struct Tab {
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// The list's filters as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    role: String,
    email: String,
    name: String,
    status: String,
    company: String,
    created_from: String,
    created_to: String,
    page: String,
}

#[derive(Template)]
#[template(path = "operators/list.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    f: &'a Filters,
    errors: &'a Errors,
    rows: &'a [ManagedOperator],
    pager: &'a Pager,
    tabs: &'a [Tab],
    role: &'static str,
    list_path: String,
    with_company: bool,
    can_create: bool,
    statuses: &'a [OperatorStatus],
}

const STATUSES: [OperatorStatus; 4] = [
    OperatorStatus::Registered,
    OperatorStatus::Active,
    OperatorStatus::Inactive,
    OperatorStatus::Locked,
];

async fn list(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed.may(&app, Action::View(Menu::Operators)).await?;
    let f: Filters = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let t = signed.t();
    let roles = tabs(signed.role());
    let role = roles
        .iter()
        .copied()
        .find(|r| r.to_string() == f.role.trim())
        .or_else(|| roles.first().copied())
        .ok_or_else(|| signed.not_found())?;
    let mut errors = Errors::default();
    let with_company = signed.role() >= Role::Partner;
    let status = match f.status.trim() {
        "" => None,
        raw => form::choice::<OperatorStatus>(&mut errors, t, "status", raw),
    };
    let filter = OperatorFilter {
        role,
        email: list::text(&f.email),
        name: list::text(&f.name),
        status,
        created_from: form::date(&mut errors, t, "created_from", &f.created_from),
        created_to: form::date(&mut errors, t, "created_to", &f.created_to),
        company: list::text(&f.company).filter(|_| with_company),
    };
    let page = list::page(&f.page);
    let (rows, more) = list::split(
        operator_admin::list(
            &app.db,
            signed.scope(),
            &filter,
            list::offset(page),
            list::PER_PAGE + 1,
        )
        .await?,
    );
    let pager = Pager::new(LIST, query.as_deref(), page, more);
    let tab_links: Vec<Tab> = roles
        .iter()
        .map(|r| Tab {
            name: t.operators.role_name(r),
            href: format!("{LIST}?role={r}"),
            current: *r == role,
        })
        .collect();
    Ok(signed.page(&ListPage {
        c: &signed.chrome,
        f: &f,
        errors: &errors,
        rows: &rows,
        pager: &pager,
        tabs: &tab_links,
        role: role.as_str(),
        list_path: format!("{LIST}?role={role}"),
        with_company,
        can_create: signed.can(Action::ManageOperators),
        statuses: &STATUSES,
    }))
}

/// The operator of the path if it is in the viewer's scope and of a role it manages; any
/// other reads as missing.
async fn load(app: &AppState, signed: &Signed, raw: &str) -> Result<ManagedOperator, PageError> {
    let Some(id) = id(raw) else {
        return Err(signed.not_found());
    };
    operator_admin::find(&app.db, signed.scope(), OperatorId(id))
        .await?
        .filter(|o| signed.role().can_manage(o.role) && tabs(signed.role()).contains(&o.role))
        .ok_or_else(|| signed.not_found())
}

#[derive(Template)]
#[template(path = "operators/detail.html")]
struct DetailPage<'a> {
    c: &'a Chrome,
    o: &'a ManagedOperator,
    done: &'a str,
    can_edit: bool,
}

async fn detail(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::View(Menu::Operators)).await?;
    let o = load(&app, &signed, &raw).await?;
    Ok(signed.page(&DetailPage {
        c: &signed.chrome,
        o: &o,
        done: &done.done,
        can_edit: signed.can(Action::ManageOperators),
    }))
}

/// The create form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    name: String,
    email: String,
    role: String,
    company: String,
    language: String,
}

/// A company a new operator may get: `P<id>` (partner), `I<id>` (issuer), `""` (none).
pub struct Choice {
    pub value: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "operators/form.html")]
struct FormPage<'a> {
    c: &'a Chrome,
    form: &'a CreateForm,
    errors: &'a Errors,
    roles: &'a [Role],
    partners: &'a [Choice],
    issuers: &'a [Choice],
    may_choose_none: bool,
}

async fn form_page(
    app: &AppState,
    signed: &Signed,
    form: &CreateForm,
    errors: &Errors,
) -> Result<Response, PageError> {
    let (partners, issuers) = choices(app, signed).await?;
    let page = FormPage {
        c: &signed.chrome,
        form,
        errors,
        roles: tabs(signed.role()),
        partners: &partners,
        issuers: &issuers,
        may_choose_none: signed.role() == Role::SystemAdministrator,
    };
    Ok(if errors.is_empty() {
        signed.page(&page)
    } else {
        signed.invalid(&page)
    })
}

/// The companies in the viewer's scope a new operator may belong to.
async fn choices(app: &AppState, signed: &Signed) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    let partners = operator_admin::partner_choices(&app.db, signed.scope())
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            value: format!("P{}", id.0),
            name,
        })
        .collect();
    let issuers = signstash_store::scope::issuer_companies(&app.db, signed.scope())
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            value: format!("I{}", id.0),
            name,
        })
        .collect();
    Ok((partners, issuers))
}

async fn new(State(app): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageOperators).await?;
    let form = CreateForm {
        // The role just below the viewer's (its own for an issuer operator).
        role: tabs(signed.role())
            .get(1)
            .or(tabs(signed.role()).first())
            .map(|r| r.to_string())
            .unwrap_or_default(),
        language: signed.t().code.to_owned(),
        ..CreateForm::default()
    };
    form_page(&app, &signed, &form, &Errors::default()).await
}

/// A fresh 256-bit token (hex) and its SHA-256.
pub fn new_link_token() -> (String, [u8; 32]) {
    let token = crate::session::new_token();
    let hash = crate::session::hash(&token);
    (token, hash)
}

async fn create(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<CreateForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageOperators).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let name = form::required(&mut errors, t, "name", &form.name, form::MAX_TEXT);
    let email = form::email(&mut errors, t, "email", &form.email, true);
    let language: Option<Language> = form::language(&mut errors, t, "language", &form.language);
    let role = form::choice::<Role>(&mut errors, t, "role", &form.role)
        .filter(|r| tabs(signed.role()).contains(r) && signed.role().can_manage(*r));
    if role.is_none() {
        errors.add("role", t.error_choice);
    }
    // The company must be one of the choices the viewer's scope offers.
    let (partners, issuers) = choices(&app, &signed).await?;
    let chosen = form.company.trim();
    let company = if chosen.is_empty() && signed.role() == Role::SystemAdministrator {
        Some((None, None))
    } else if partners.iter().any(|c| c.value == chosen) {
        id(&chosen[1..]).map(|p| (Some(PartnerCompanyId(p)), None))
    } else if issuers.iter().any(|c| c.value == chosen) {
        id(&chosen[1..]).map(|i| (None, Some(IssuerCompanyId(i))))
    } else {
        None
    };
    if company.is_none() {
        errors.add("company", t.error_choice);
    }
    // The role must fit the company (the operators table's checks, and an auditor audits an
    // issuer).
    let fitted = match (role, company) {
        (Some(Role::SystemAdministrator), Some((None, None))) => Some((None, None, None)),
        (Some(Role::Partner), Some((Some(p), None))) => Some((Some(p), None, None)),
        (Some(Role::Issuer), Some((None, Some(i)))) => Some((None, Some(i), None)),
        (Some(Role::Auditor), Some((None, Some(i)))) => Some((None, None, Some(i))),
        (Some(_), Some(_)) => {
            errors.add("company", t.operators.error_role_company);
            None
        }
        _ => None,
    };
    let (Some(name), Some(email), Some(language), Some(role), Some((partner, issuer, audited))) =
        (name, email, language, role, fitted)
    else {
        return form_page(&app, &signed, &form, &errors).await;
    };
    if !errors.is_empty() {
        return form_page(&app, &signed, &form, &errors).await;
    }
    // An unusable password until the activation link sets one: the hash of 256 random bits
    // nobody keeps.
    let unusable = crate::session::new_token();
    let password_hash =
        tokio::task::spawn_blocking(move || signstash_oauth::hash_secret(&unusable))
            .await
            .map_err(|e| PageError::Unavailable(e.to_string()))?
            .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let new = NewManagedOperator {
        name,
        email,
        role,
        language,
        partner_company_id: partner,
        issuer_company_id: issuer,
        audited_issuer: audited,
        password_hash,
    };
    let (token, token_hash) = new_link_token();
    let mut tx = app.db.begin().await?;
    let id = match operator_admin::create(&mut tx, &new).await {
        Err(StoreError::Duplicate(_)) => {
            errors.add("email", t.error_taken);
            return form_page(&app, &signed, &form, &errors).await;
        }
        other => other?,
    };
    operator_admin::create_token(
        &mut *tx,
        &token_hash,
        id,
        operator_admin::Purpose::Activation,
        ACTIVATION_VALID,
    )
    .await?;
    let mut changes = Changes::default()
        .created("name", &new.name)
        .created("email", &new.email)
        .created("role", new.role)
        .created("status", OperatorStatus::Registered)
        .created("language", new.language);
    if let Some(i) = audited {
        changes = changes.created("audited_issuer", i.0);
    }
    let target = Target {
        kind: "operator",
        id: id.0.to_string(),
        partner,
        issuer: issuer.or(audited),
    };
    audit::record(&mut *tx, &signed, "operator.created", &target, changes).await?;
    tx.commit().await?;
    let link = format!("{}/activate/{token}", app.base_url);
    account::send(
        &app,
        crate::mail::Kind::Activation,
        crate::i18n::texts(new.language),
        new.email.as_str(),
        &new.name,
        &link,
    )
    .await;
    Ok(page::done(&format!("{LIST}/{}", id.0), "created"))
}

/// The edit form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditForm {
    name: String,
    status: String,
}

#[derive(Template)]
#[template(path = "operators/edit.html")]
struct EditPage<'a> {
    c: &'a Chrome,
    o: &'a ManagedOperator,
    form: &'a EditForm,
    errors: &'a Errors,
    statuses: &'a [OperatorStatus],
}

/// The statuses an operator in `current` may be given: ACTIVE or INACTIVE, or kept as it is
/// (a REGISTERED one becomes ACTIVE only through its activation link, a LOCKED one through
/// unlock).
fn statuses(current: OperatorStatus) -> Vec<OperatorStatus> {
    match current {
        OperatorStatus::Active | OperatorStatus::Inactive => {
            vec![OperatorStatus::Active, OperatorStatus::Inactive]
        }
        OperatorStatus::Registered | OperatorStatus::Locked => {
            vec![current, OperatorStatus::Inactive]
        }
    }
}

async fn edit_page(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageOperators).await?;
    let o = load(&app, &signed, &raw).await?;
    let form = EditForm {
        name: o.name.clone(),
        status: o.status.to_string(),
    };
    Ok(signed.page(&EditPage {
        c: &signed.chrome,
        o: &o,
        form: &form,
        errors: &Errors::default(),
        statuses: &statuses(o.status),
    }))
}

fn target(o: &ManagedOperator) -> Target {
    Target {
        kind: "operator",
        id: o.id.0.to_string(),
        partner: o.partner_company_id,
        issuer: o.issuer_company_id,
    }
}

async fn edit(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<EditForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageOperators).await?;
    let current = load(&app, &signed, &raw).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let name = form::required(&mut errors, t, "name", &form.name, form::MAX_TEXT);
    let allowed = statuses(current.status);
    let status = form::choice::<OperatorStatus>(&mut errors, t, "status", &form.status)
        .filter(|s| allowed.contains(s));
    if status.is_none() {
        errors.add("status", t.error_choice);
    }
    let (Some(name), Some(status)) = (name, status) else {
        return Ok(signed.invalid(&EditPage {
            c: &signed.chrome,
            o: &current,
            form: &form,
            errors: &errors,
            statuses: &allowed,
        }));
    };
    let mut tx = app.db.begin().await?;
    if !operator_admin::update(&mut *tx, signed.scope(), current.id, &name, status).await? {
        return Err(signed.not_found());
    }
    let changes = Changes::default()
        .field("name", &current.name, &name)
        .field("status", current.status, status);
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "operator.updated",
            &target(&current),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "saved"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Empty {}

async fn unlock(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, .. }: SignedForm<Empty>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageOperators).await?;
    let current = load(&app, &signed, &raw).await?;
    let mut tx = app.db.begin().await?;
    if operator_admin::unlock(&mut *tx, signed.scope(), current.id).await? {
        let changes = Changes::default().field("status", current.status, OperatorStatus::Active);
        audit::record(
            &mut *tx,
            &signed,
            "operator.unlocked",
            &target(&current),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(page::done(&format!("{LIST}/{}", current.id.0), "unlocked"))
}
