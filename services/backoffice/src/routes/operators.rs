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
    EmailAddress, IssuerCompanyId, Language, OperatorId, OperatorStatus, PartnerCompanyId, Role,
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
use crate::pick;
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const LIST: &str = "/operators";
const NEW: &str = "/operators/new";

/// How long an activation link works.
pub const ACTIVATION_VALID: time::Duration = time::Duration::hours(72);

pub fn routes() -> Vec<Route> {
    let mut routes = vec![
        route(Method::GET, LIST, get(list)),
        route(Method::POST, LIST, post(create)),
        route(Method::GET, NEW, get(new)),
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

/// The company a new operator gets, chosen at the form's first step.
pub enum Company {
    /// None: a system administrator.
    Platform,
    Partner(PartnerCompanyId, String),
    Issuer(IssuerCompanyId, String),
}

/// The value naming the platform (no company) in `?company=` and the form.
const PLATFORM: &str = "none";

impl Company {
    /// `none`, `P<id>` or `I<id>`.
    pub fn value(&self) -> String {
        match self {
            Self::Platform => PLATFORM.to_owned(),
            Self::Partner(id, _) => format!("P{}", id.0),
            Self::Issuer(id, _) => format!("I{}", id.0),
        }
    }

    pub fn name<'a>(&'a self, t: &'a crate::i18n::Texts) -> &'a str {
        match self {
            Self::Platform => t.operators.company_none,
            Self::Partner(_, name) | Self::Issuer(_, name) => name,
        }
    }

    /// The roles an operator of this company may have (the operators table's checks; an
    /// auditor audits the issuer chosen).
    fn roles(&self) -> &'static [Role] {
        match self {
            Self::Platform => &[Role::SystemAdministrator],
            Self::Partner(..) => &[Role::Partner],
            Self::Issuer(..) => &[Role::Issuer, Role::Auditor],
        }
    }

    /// `(partner, issuer, audited issuer)` of a new operator with `role`.
    fn of(
        &self,
        role: Role,
    ) -> Option<(
        Option<PartnerCompanyId>,
        Option<IssuerCompanyId>,
        Option<IssuerCompanyId>,
    )> {
        match (role, self) {
            (Role::SystemAdministrator, Self::Platform) => Some((None, None, None)),
            (Role::Partner, Self::Partner(p, _)) => Some((Some(*p), None, None)),
            (Role::Issuer, Self::Issuer(i, _)) => Some((None, Some(*i), None)),
            (Role::Auditor, Self::Issuer(i, _)) => Some((None, None, Some(*i))),
            _ => None,
        }
    }
}

/// The company `raw` names, if the viewer may give it to a new operator: the platform for
/// administrators, a partner or an issuer company of the viewer's scope. An issuer operator's
/// only choice is its own company, whatever `raw` says.
async fn company(app: &AppState, signed: &Signed, raw: &str) -> Result<Option<Company>, PageError> {
    if let signstash_store::scope::Covers::Issuer(own) = signed.scope().covers() {
        return Ok(
            signstash_store::scope::issuer_company_name(&app.db, signed.scope(), own)
                .await?
                .map(|name| Company::Issuer(own, name)),
        );
    }
    let raw = raw.trim();
    if raw == PLATFORM {
        return Ok((signed.role() == Role::SystemAdministrator).then_some(Company::Platform));
    }
    let Some(number) = raw.get(1..).and_then(id) else {
        return Ok(None);
    };
    Ok(match &raw[..1] {
        "P" => operator_admin::partner_name(&app.db, signed.scope(), PartnerCompanyId(number))
            .await?
            .map(|name| Company::Partner(PartnerCompanyId(number), name)),
        "I" => signstash_store::scope::issuer_company_name(
            &app.db,
            signed.scope(),
            IssuerCompanyId(number),
        )
        .await?
        .map(|name| Company::Issuer(IssuerCompanyId(number), name)),
        _ => None,
    })
}

#[derive(Template)]
#[template(path = "operators/form.html")]
struct FormPage<'a> {
    c: &'a Chrome,
    form: &'a CreateForm,
    errors: &'a Errors,
    company: &'a Company,
    /// The roles the viewer may give that fit the company.
    roles: Vec<Role>,
}

async fn form_page(
    signed: &Signed,
    company: &Company,
    form: &CreateForm,
    errors: &Errors,
) -> Result<Response, PageError> {
    let page = FormPage {
        c: &signed.chrome,
        form,
        errors,
        company,
        roles: roles_for(signed.role(), company),
    };
    Ok(signed.form(&page, errors.is_empty()))
}

/// The roles `viewer` may give an operator of `company`.
fn roles_for(viewer: Role, company: &Company) -> Vec<Role> {
    tabs(viewer)
        .iter()
        .copied()
        .filter(|r| company.roles().contains(r) && viewer.can_manage(*r))
        .collect()
}

/// `/operators/new`'s query: the company chosen, or the search for one.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    company: String,
    #[serde(flatten)]
    search: pick::Search,
}

/// The first step: which company the operator belongs to (a platform has thousands).
async fn pick_company(
    app: &AppState,
    signed: &Signed,
    search: &pick::Search,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let t = signed.t();
    let text = search.text();
    let mut groups = Vec::new();
    if signed.role() == Role::SystemAdministrator {
        groups.push(pick::Group::of(t.operators.platform, vec![()], |()| {
            pick::Found {
                name: t.operators.company_none.to_owned(),
                detail: t.operators.role_name(&Role::SystemAdministrator).to_owned(),
                href: format!("{NEW}?company={PLATFORM}"),
            }
        }));
    }
    let partners =
        operator_admin::search_partners(&app.db, signed.scope(), text.as_deref(), pick::ASK)
            .await?;
    if !partners.is_empty() || text.is_some() {
        groups.push(pick::Group::of(
            t.operators.partner_companies,
            partners,
            |(id, name)| pick::Found {
                name,
                detail: t.operators.role_name(&Role::Partner).to_owned(),
                href: format!("{NEW}?company=P{}", id.0),
            },
        ));
    }
    let issuers = signstash_store::scope::search_issuer_companies(
        &app.db,
        signed.scope(),
        text.as_deref(),
        pick::ASK,
    )
    .await?;
    let issuer_roles = format!(
        "{}, {}",
        t.operators.role_name(&Role::Issuer),
        t.operators.role_name(&Role::Auditor)
    );
    groups.push(pick::Group::of(
        t.operators.issuer_companies,
        issuers,
        |(id, name)| pick::Found {
            name,
            detail: if signed.role() == Role::SystemAdministrator {
                issuer_roles.clone()
            } else {
                t.operators.role_name(&Role::Issuer).to_owned()
            },
            href: format!("{NEW}?company=I{}", id.0),
        },
    ));
    let page = pick::PickPage {
        c: &signed.chrome,
        title: t.operators.create_title,
        back: (LIST, t.menus[3]),
        action: NEW,
        label: t.operators.company,
        hint: t.operators.company_search_hint,
        q: &search.q,
        groups,
        error,
    };
    Ok(signed.form(&page, error.is_none()))
}

async fn new(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageOperators).await?;
    let q: NewQuery =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let Some(company) = company(&app, &signed, &q.company).await? else {
        return pick_company(&app, &signed, &q.search, None).await;
    };
    let form = CreateForm {
        role: roles_for(signed.role(), &company)
            .first()
            .map(|r| r.to_string())
            .unwrap_or_default(),
        company: company.value(),
        language: signed.t().code.to_owned(),
        ..CreateForm::default()
    };
    form_page(&signed, &company, &form, &Errors::default()).await
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
    // The company must be one the viewer's scope offers; only a tampered form names another:
    // back to the first step.
    let Some(company) = company(&app, &signed, &form.company).await? else {
        return pick_company(
            &app,
            &signed,
            &pick::Search::default(),
            Some(t.error_choice),
        )
        .await;
    };
    // The role must fit the company.
    let fitted = match role {
        Some(r) => {
            let fitted = company.of(r);
            if fitted.is_none() {
                errors.add("role", t.operators.error_role_company);
            }
            fitted
        }
        None => None,
    };
    let (Some(name), Some(email), Some(language), Some(role), Some((partner, issuer, audited))) =
        (name, email, language, role, fitted)
    else {
        return form_page(&signed, &company, &form, &errors).await;
    };
    if !errors.is_empty() {
        return form_page(&signed, &company, &form, &errors).await;
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
    let mut tx = app.db.begin().await?;
    let id = match operator_admin::create(&mut tx, &new).await {
        Err(StoreError::Duplicate(_)) => {
            errors.add("email", t.error_taken);
            return form_page(&signed, &company, &form, &errors).await;
        }
        other => other?,
    };
    let activation =
        Activation::new(&app, &mut tx, id, &new.email, &new.name, new.language).await?;
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
    activation.send(&app).await;
    Ok(page::done(&format!("{LIST}/{}", id.0), "created"))
}

/// An activation e-mail whose link is stored in a transaction, to send once it commits.
pub struct Activation {
    email: EmailAddress,
    name: String,
    language: Language,
    link: String,
}

impl Activation {
    /// A new single-use link for `operator` (valid [`ACTIVATION_VALID`]), stored in `tx` in place
    /// of its unused ones.
    pub async fn new(
        app: &AppState,
        tx: &mut sqlx::PgConnection,
        operator: OperatorId,
        email: &EmailAddress,
        name: &str,
        language: Language,
    ) -> Result<Self, PageError> {
        let (token, token_hash) = new_link_token();
        let purpose = operator_admin::Purpose::Activation;
        operator_admin::forget_tokens(&mut *tx, operator, purpose).await?;
        operator_admin::create_token(&mut *tx, &token_hash, operator, purpose, ACTIVATION_VALID)
            .await?;
        Ok(Self {
            email: email.clone(),
            name: name.to_owned(),
            language,
            link: format!("{}/activate/{token}", app.base_url),
        })
    }

    pub async fn send(self, app: &AppState) {
        account::send(
            app,
            crate::mail::Kind::Activation,
            crate::i18n::texts(self.language),
            self.email.as_str(),
            &self.name,
            &self.link,
        )
        .await;
    }
}

/// New activation links, in `tx`, for the operators of `issuer` that never activated (an
/// issuer company reactivated: their first links have likely expired), each audited.
pub async fn renew_activations(
    app: &AppState,
    tx: &mut sqlx::PgConnection,
    signed: &Signed,
    issuer: IssuerCompanyId,
    partner: PartnerCompanyId,
) -> Result<Vec<Activation>, PageError> {
    let mut renewed = Vec::new();
    for (id, email, name, language) in
        operator_admin::registered_of_issuer(&mut *tx, signed.scope(), issuer).await?
    {
        renewed.push(Activation::new(app, tx, id, &email, &name, language).await?);
        let target = Target {
            kind: "operator",
            id: id.0.to_string(),
            partner: Some(partner),
            issuer: Some(issuer),
        };
        audit::record(
            &mut *tx,
            signed,
            "operator.activation_sent",
            &target,
            Changes::default(),
        )
        .await?;
    }
    Ok(renewed)
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
