//! One's own account: the anonymous single-use links (`/activate/{token}` from the activation
//! e-mail, `/reset/{token}` from "forgot password", `/forgot-password` to ask for one) and the
//! signed-in profile (details, language, set credentials).
//!
//! A link's token is 256 random bits (hex) of which only the SHA-256 is stored; an unknown,
//! used or expired one answers the same "link no longer valid" page (410). Setting the
//! password marks the token used, sets the hash and ends every session of the operator in
//! one transaction. "Forgot password" answers the same page whoever asks, e-mails only an
//! existing ACTIVE or LOCKED operator whose company lets it sign in, and is limited per
//! e-mail address and per caller address with the shared `rate_limits` counters.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use serde::Deserialize;
use serde_json::json;
use signstash_domain::{ActorKind, EmailAddress, Language, OperatorStatus};
use signstash_store::audit::NewAuditEntry;
use signstash_store::operator_admin::{self, ManagedOperator, Purpose};
use signstash_store::{operators, rate_limits};

use crate::audit::{self, Changes, Target};
use crate::form::{self, Errors};
use crate::i18n::Texts;
use crate::mail::Kind;
use crate::page::{Chrome, PageError, Signed, SignedForm};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

/// How long a reset link works.
pub const RESET_VALID: time::Duration = time::Duration::hours(1);
/// Reset e-mails per e-mail address and hour.
const RESETS_PER_ADDRESS: i32 = 3;
/// The shortest password.
pub const MIN_PASSWORD: usize = 12;

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/activate/{token}", get(activate_page)),
        route(Method::POST, "/activate/{token}", post(activate)),
        route(Method::GET, "/reset/{token}", get(reset_page)),
        route(Method::POST, "/reset/{token}", post(reset)),
        route(Method::GET, "/forgot-password", get(forgot_page)),
        route(Method::POST, "/forgot-password", post(forgot)),
        route(Method::GET, "/profile", get(profile)),
        route(Method::POST, "/profile/language", post(set_language)),
        route(Method::POST, "/profile/password", post(set_password)),
    ]
}

/// Sends an account e-mail; a failure is logged (the change it follows is already made).
pub async fn send(app: &AppState, kind: Kind, t: &Texts, to: &str, name: &str, link: &str) {
    let Some(mailer) = &app.mailer else {
        tracing::error!(?kind, "account e-mail not sent: no mailer configured");
        return;
    };
    match mailer.send(kind, t, to, name, link).await {
        Ok(()) => tracing::info!(?kind, "account e-mail sent"),
        Err(e) => tracing::error!(cause = e, "account e-mail not sent"),
    }
}

/// The new password and its confirmation, checked: at least [`MIN_PASSWORD`] characters, not
/// the e-mail address, the confirmation the same.
fn new_password(
    errors: &mut Errors,
    t: &Texts,
    email: &EmailAddress,
    password: &str,
    confirmation: &str,
) -> Option<String> {
    let w = t.operators;
    if password.chars().count() < MIN_PASSWORD {
        errors.add("password", w.error_password_short);
    } else if password.len() > 1024 {
        errors.add("password", t.error_too_long);
    } else if password.trim().eq_ignore_ascii_case(email.as_str()) {
        errors.add("password", w.error_password_email);
    } else if password != confirmation {
        errors.add("confirmation", w.error_password_mismatch);
    }
    errors.is_empty().then(|| password.to_owned())
}

async fn hash(password: String) -> Result<String, PageError> {
    tokio::task::spawn_blocking(move || signstash_oauth::hash_secret(&password))
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?
        .map_err(|e| PageError::Unavailable(e.to_string()))
}

#[derive(Template)]
#[template(path = "operators/password.html")]
struct PasswordPage<'a> {
    c: &'a Chrome,
    title: &'static str,
    action: &'a str,
    errors: &'a Errors,
}

#[derive(Template)]
#[template(path = "operators/message.html")]
struct MessagePage<'a> {
    c: &'a Chrome,
    title: &'static str,
    text: &'static str,
    sign_in: bool,
}

fn message(c: &Chrome, status: StatusCode, title: &'static str, text: &'static str) -> Response {
    c.respond(
        status,
        &MessagePage {
            c,
            title,
            text,
            sign_in: status == StatusCode::OK,
        },
    )
}

fn invalid_link(c: &Chrome) -> Response {
    let w = c.t.operators;
    message(
        c,
        StatusCode::GONE,
        w.link_invalid_title,
        w.link_invalid_text,
    )
}

/// A token as it can be: 64 hex digits (anything else is not one of ours).
fn token_hash(raw: &str) -> Option<[u8; 32]> {
    (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| crate::session::hash(raw))
}

fn title(purpose: Purpose, t: &Texts) -> &'static str {
    match purpose {
        Purpose::Activation => t.operators.activate_title,
        Purpose::Reset => t.operators.reset_title,
    }
}

fn path(purpose: Purpose, token: &str) -> String {
    match purpose {
        Purpose::Activation => format!("/activate/{token}"),
        Purpose::Reset => format!("/reset/{token}"),
    }
}

async fn link_page(
    app: AppState,
    purpose: Purpose,
    token: String,
    query: Option<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let here = path(purpose, &token);
    let c = Chrome::new(&here, query.as_deref(), &headers);
    let usable = match token_hash(&token) {
        Some(h) => operator_admin::token_operator(&app.db, &h, purpose)
            .await?
            .is_some(),
        None => false,
    };
    if !usable {
        return Ok(invalid_link(&c));
    }
    Ok(c.respond(
        StatusCode::OK,
        &PasswordPage {
            c: &c,
            title: title(purpose, c.t),
            action: &here,
            errors: &Errors::default(),
        },
    ))
}

async fn activate_page(
    State(app): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    link_page(app, Purpose::Activation, token, query, headers).await
}

async fn reset_page(
    State(app): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    link_page(app, Purpose::Reset, token, query, headers).await
}

/// The new password as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
    confirmation: String,
}

async fn use_link(
    app: AppState,
    purpose: Purpose,
    token: String,
    peer: SocketAddr,
    headers: HeaderMap,
    form: PasswordForm,
) -> Result<Response, PageError> {
    let here = path(purpose, &token);
    let c = Chrome::new(&here, None, &headers);
    let Some(token_hash) = token_hash(&token) else {
        return Ok(invalid_link(&c));
    };
    let Some((_, email, _)) = operator_admin::token_operator(&app.db, &token_hash, purpose).await?
    else {
        return Ok(invalid_link(&c));
    };
    let mut errors = Errors::default();
    let Some(password) = new_password(&mut errors, c.t, &email, &form.password, &form.confirmation)
    else {
        return Ok(c.respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                c: &c,
                title: title(purpose, c.t),
                action: &here,
                errors: &errors,
            },
        ));
    };
    let password_hash = hash(password).await?;
    let mut tx = app.db.begin().await?;
    // Used once: a second request (or one racing this) finds the token used.
    let Some((id, before, after)) =
        operator_admin::use_token(&mut tx, &token_hash, purpose, &password_hash).await?
    else {
        return Ok(invalid_link(&c));
    };
    let ended = operator_admin::end_sessions(&mut *tx, id, None).await?;
    let o = operator_admin::own(&mut *tx, id).await?;
    let mut details = serde_json::Map::new();
    if before != after {
        details.insert(
            "status".into(),
            json!({ "before": before.to_string(), "after": after.to_string() }),
        );
    }
    details.insert("sessions_ended".into(), json!(ended));
    signstash_store::audit::append(
        &mut *tx,
        &NewAuditEntry {
            actor_kind: ActorKind::Operator,
            operator_id: Some(id),
            client_service_id: None,
            partner_company_id: o.as_ref().and_then(|o| o.partner_company_id),
            issuer_company_id: o.as_ref().and_then(|o| o.issuer_company_id),
            action: match purpose {
                Purpose::Activation => "operator.activated",
                Purpose::Reset => "operator.password_reset",
            }
            .into(),
            target_kind: Some("operator".into()),
            target_id: Some(id.0.to_string()),
            details: serde_json::Value::Object(details),
            request_id: None,
            remote_address: Some(peer.ip().to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    let w = c.t.operators;
    Ok(message(
        &c,
        StatusCode::OK,
        title(purpose, c.t),
        w.password_set,
    ))
}

async fn activate(
    State(app): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    use_link(app, Purpose::Activation, token, peer, headers, form).await
}

async fn reset(
    State(app): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    use_link(app, Purpose::Reset, token, peer, headers, form).await
}

#[derive(Template)]
#[template(path = "operators/forgot.html")]
struct ForgotPage<'a> {
    c: &'a Chrome,
    sent: bool,
}

async fn forgot_page(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let c = Chrome::new("/forgot-password", query.as_deref(), &headers);
    c.respond(StatusCode::OK, &ForgotPage { c: &c, sent: false })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// The same page whatever the address; a reset e-mail (sent after the answer, so its time
/// tells nothing) only to an operator who may use it, within the limits.
async fn forgot(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, PageError> {
    let c = Chrome::new("/forgot-password", None, &headers);
    let answer = c.respond(StatusCode::OK, &ForgotPage { c: &c, sent: true });
    let Ok(email) = EmailAddress::try_from(form.email.trim()) else {
        return Ok(answer);
    };
    let by_email = format!(
        "backoffice-reset:{}",
        email
            .as_str()
            .to_lowercase()
            .chars()
            .take(254)
            .collect::<String>()
    );
    let by_address = format!(
        "backoffice-reset-from:{}",
        signstash_domain::AddressScope::of(Some(&peer.ip().to_string()))
    );
    let hour = time::Duration::hours(1);
    let sent_to_email = rate_limits::count(&app.db, &by_email, hour).await?;
    let sent_from_address = rate_limits::count(&app.db, &by_address, app.failure_window).await?;
    if sent_to_email >= RESETS_PER_ADDRESS || sent_from_address >= app.address_failures {
        tracing::info!("reset e-mail refused: rate limit");
        return Ok(answer);
    }
    rate_limits::record(&app.db, &by_email, hour).await?;
    rate_limits::record(&app.db, &by_address, app.failure_window).await?;
    let operator = operators::find_by_email(&app.db, &email)
        .await?
        .filter(|o| {
            matches!(o.status, OperatorStatus::Active | OperatorStatus::Locked)
                && o.company_allows_sign_in
        });
    let Some(operator) = operator else {
        return Ok(answer);
    };
    let language = operator_admin::own(&app.db, operator.id)
        .await?
        .map_or(Language::PtPt, |o| o.language);
    let (token, token_hash) = super::new_link_token();
    operator_admin::create_token(
        &app.db,
        &token_hash,
        operator.id,
        Purpose::Reset,
        RESET_VALID,
    )
    .await?;
    let link = format!("{}/reset/{token}", app.base_url);
    let app = app.clone();
    tokio::spawn(async move {
        send(
            &app,
            Kind::Reset,
            crate::i18n::texts(language),
            operator.email.as_str(),
            &operator.name,
            &link,
        )
        .await;
    });
    Ok(answer)
}

#[derive(Template)]
#[template(path = "operators/profile.html")]
struct ProfilePage<'a> {
    c: &'a Chrome,
    o: &'a ManagedOperator,
    done: &'a str,
    language: &'a str,
    errors: &'a Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileQuery {
    done: String,
}

async fn own(app: &AppState, signed: &Signed) -> Result<ManagedOperator, PageError> {
    operator_admin::own(&app.db, signed.session.operator_id)
        .await?
        .ok_or_else(|| signed.not_found())
}

async fn profile(
    State(app): State<AppState>,
    signed: Signed,
    axum::extract::Query(q): axum::extract::Query<ProfileQuery>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::UseOwnProfile).await?;
    let o = own(&app, &signed).await?;
    Ok(signed.page(&ProfilePage {
        c: &signed.chrome,
        o: &o,
        done: &q.done,
        language: o.language.as_str(),
        errors: &Errors::default(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LanguageForm {
    language: String,
}

/// Saves the language and shows the profile in it (`?lang=` also remembers it in the
/// browser).
async fn set_language(
    State(app): State<AppState>,
    SignedForm { signed, form }: SignedForm<LanguageForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::UseOwnProfile).await?;
    let o = own(&app, &signed).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let Some(language) = form::language(&mut errors, t, "language", &form.language) else {
        return Ok(signed.invalid(&ProfilePage {
            c: &signed.chrome,
            o: &o,
            done: "",
            language: &form.language,
            errors: &errors,
        }));
    };
    let mut tx = app.db.begin().await?;
    operator_admin::set_language(&mut *tx, o.id, language).await?;
    let changes = Changes::default().field("language", o.language, language);
    if !changes.is_empty() {
        audit::record(
            &mut *tx,
            &signed,
            "operator.language_set",
            &self_target(&o),
            changes,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/profile?lang={language}&done=language")).into_response())
}

fn self_target(o: &ManagedOperator) -> Target {
    Target {
        kind: "operator",
        id: o.id.0.to_string(),
        partner: o.partner_company_id,
        issuer: o.issuer_company_id,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CredentialsForm {
    old_password: String,
    password: String,
    confirmation: String,
}

/// "Set credentials": the old password first; then the new hash, and every other session of
/// the operator ends (the current one goes on).
async fn set_password(
    State(app): State<AppState>,
    headers: HeaderMap,
    SignedForm { signed, form }: SignedForm<CredentialsForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::UseOwnProfile).await?;
    let o = own(&app, &signed).await?;
    let t = signed.t();
    let stored = operator_admin::password_hash(&app.db, o.id).await?;
    let old = form.old_password.clone();
    let matches = tokio::task::spawn_blocking(move || {
        signstash_oauth::secret::verify_client_secret(&old, stored.as_deref())
    })
    .await
    .unwrap_or(false);
    let mut errors = Errors::default();
    if !matches {
        // A wrong old password counts as a failed sign-in: a stolen session cannot guess it
        // without locking the operator (whose sessions then end), as guesses at the sign-in do.
        signstash_store::operators::record_failed_sign_in(&app.db, o.id, app.lock_after).await?;
        audit::record(
            &app.db,
            &signed,
            "operator.old_password_wrong",
            &self_target(&o),
            Changes::default(),
        )
        .await?;
        errors.add("old_password", t.operators.error_password_wrong);
    }
    let password = new_password(&mut errors, t, &o.email, &form.password, &form.confirmation);
    let (true, Some(password)) = (matches, password) else {
        return Ok(signed.invalid(&ProfilePage {
            c: &signed.chrome,
            o: &o,
            done: "",
            language: o.language.as_str(),
            errors: &errors,
        }));
    };
    let password_hash = hash(password).await?;
    let current = crate::session::presented(&headers).map(|t| crate::session::hash(&t));
    let mut tx = app.db.begin().await?;
    operator_admin::set_password(&mut *tx, o.id, &password_hash).await?;
    let ended = operator_admin::end_sessions(&mut *tx, o.id, current.as_ref()).await?;
    let changes = Changes::default().field("other_sessions_ended", 0, ended);
    audit::record(
        &mut *tx,
        &signed,
        "operator.password_changed",
        &self_target(&o),
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok(crate::page::done("/profile", "password"))
}
