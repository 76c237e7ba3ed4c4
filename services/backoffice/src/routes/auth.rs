//! Signing in and out, the home page, and the menus not built yet.
//!
//! Anonymous: `/sign-in` (GET the form, POST the credentials). Signed in: `/home`,
//! `POST /sign-out`, and a page for each menu of a later issue the role may use.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Form;
use secrecy::ExposeSecret as _;
use signstash_domain::{EmailAddress, OperatorStatus};
use signstash_store::operator_sessions;
use signstash_store::{operators, rate_limits};

use crate::menu::Menu;
use crate::page::{Chrome, NotFoundPage, PageError, Signed};
use crate::policy::Action;
use crate::routes::Route;
use crate::session;
use crate::AppState;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    c: &'a Chrome,
    failed: bool,
    email: &'a str,
}

pub async fn sign_in_page(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if session::current(&app, &headers).await?.is_some() {
        return Ok(Redirect::to("/home").into_response());
    }
    let c = Chrome::new("/sign-in", query.as_deref(), &headers);
    Ok(c.respond(
        StatusCode::OK,
        &SignInPage {
            c: &c,
            failed: false,
            email: "",
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Checks the credentials with argon2id on a blocking thread, against the operator's hash or,
/// for an e-mail nobody has, a dummy one, so both cost the same time; a wrong e-mail, a wrong
/// password, an operator who is not ACTIVE (LOCKED after too many wrong passwords in a row)
/// and an address with too many failures in the window get the same page. On success the session
/// presented before, if any, ends and a new token is set.
pub async fn sign_in(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Result<Response, PageError> {
    // Too many failures from this address: the same page, whoever signs in.
    // An IPv4 address, or an IPv6 /64, as every rate limit counts.
    let address = peer.ip().to_string();
    let limit_scope = format!(
        "backoffice-sign-in:{}",
        signstash_domain::AddressScope::of(Some(&address))
    );
    let failures = rate_limits::count(&app.db, &limit_scope, app.failure_window).await?;
    let operator = match EmailAddress::try_from(form.email.trim()) {
        Ok(email) => operators::find_by_email(&app.db, &email).await?,
        Err(_) => None,
    };
    let stored = operator
        .as_ref()
        .map(|o| o.password_hash.expose_secret().to_owned());
    let password = form.password;
    let matches = tokio::task::spawn_blocking(move || {
        signstash_oauth::secret::verify_client_secret(&password, stored.as_deref())
    })
    .await
    .unwrap_or(false);
    let address_blocked = failures >= app.address_failures;
    let signed_in = operator.as_ref().filter(|o| {
        matches
            && !address_blocked
            && o.status == OperatorStatus::Active
            && o.company_allows_sign_in
    });
    let Some(operator) = signed_in else {
        tracing::info!(address_blocked, "sign-in refused");
        rate_limits::record(&app.db, &limit_scope, app.failure_window).await?;
        if let Some(o) = operator.as_ref().filter(|_| !matches) {
            operators::record_failed_sign_in(&app.db, o.id, app.lock_after).await?;
        }
        let who = operator
            .as_ref()
            .map(|o| (o.id, o.partner_company_id, o.issuer_company_id));
        crate::audit::sign_in(&app.db, who, false, &address).await?;
        let c = Chrome::new("/sign-in", None, &headers);
        return Ok(c.respond(
            StatusCode::OK,
            &SignInPage {
                c: &c,
                failed: true,
                email: &form.email,
            },
        ));
    };
    operators::record_sign_in(&app.db, operator.id).await?;
    let who = (
        operator.id,
        operator.partner_company_id,
        operator.issuer_company_id,
    );
    crate::audit::sign_in(&app.db, Some(who), true, &address).await?;
    if let Some(old) = session::presented(&headers) {
        operator_sessions::delete(&app.db, &session::hash(&old)).await?;
    }
    let token = session::new_token();
    operator_sessions::create(
        &app.db,
        &session::hash(&token),
        operator.id,
        &session::new_token(),
        Some(&address),
    )
    .await?;
    tracing::info!(operator = operator.id.0, "signed in");
    let mut response = Redirect::to("/home").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::cookie(&token, app.secure_cookies)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    // The pages in the operator's own language (its profile sets it).
    if let Some(o) = signstash_store::operator_admin::own(&app.db, operator.id).await? {
        if let Ok(cookie) = HeaderValue::from_str(&crate::i18n::language_cookie(o.language)) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf_token: String,
}

/// Ends the session; the form must carry the session's token.
pub async fn sign_out(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Result<Response, PageError> {
    let Some(token) = session::presented(&headers) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    match session::current(&app, &headers).await? {
        None => {}
        Some(s) if s.csrf_token == form.csrf_token => {}
        Some(_) => return Ok(crate::csrf::forbidden()),
    }
    operator_sessions::delete(&app.db, &session::hash(&token)).await?;
    let mut response = Redirect::to("/sign-in").into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::removal(app.secure_cookies)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    c: &'a Chrome,
    title: &'a str,
    text: &'a str,
}

pub async fn root() -> Redirect {
    Redirect::to("/home")
}

pub async fn home(signed: Signed) -> Response {
    let t = signed.t();
    signed.page(&HomePage {
        c: &signed.chrome,
        title: t.home_title,
        text: t.home_text,
    })
}

/// The menus whose pages are not built yet: each says so, to the roles that may use it.
const UNBUILT: [Menu; 5] = [
    Menu::Dashboard,
    Menu::Operations,
    Menu::Consumptions,
    Menu::Certificates,
    Menu::Reports,
];

pub fn unbuilt_menus() -> Vec<Route> {
    UNBUILT
        .into_iter()
        .map(|menu| Route {
            method: Method::GET,
            path: menu.path(),
            handler: get(move |state: State<AppState>, signed: Signed| {
                unbuilt(menu, state, signed)
            }),
        })
        .collect()
}

async fn unbuilt(
    menu: Menu,
    State(app): State<AppState>,
    signed: Signed,
) -> Result<Response, PageError> {
    signed.may(&app, Action::View(menu)).await?;
    let t = signed.t();
    let index = Menu::ALL.iter().position(|m| *m == menu).unwrap_or(0);
    Ok(signed.page(&HomePage {
        c: &signed.chrome,
        title: t.menus[index],
        text: t.not_built,
    }))
}

/// Any path that names no page.
pub async fn not_found(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let c = Chrome::new("/sign-in", query.as_deref(), &headers);
    c.respond(StatusCode::NOT_FOUND, &NotFoundPage { c: &c })
}
