//! The pages and the static assets.
//!
//! Anonymous: `/sign-in` (GET the form, POST the credentials). Signed in: `/home` and one page
//! per menu the operator's role may use (each says it is not built yet), `POST /sign-out`.
//! Every page that needs a session sends an anonymous visitor to `/sign-in`.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use secrecy::ExposeSecret as _;
use signstash_domain::{EmailAddress, OperatorStatus};
use signstash_store::operator_sessions::{self, Session};
use signstash_store::{operators, rate_limits, StoreError};

use crate::i18n::{choose, language_cookie, texts, Texts, LANGUAGES};
use crate::menu::Menu;
use crate::session;
use crate::AppState;

const CSS: &[u8] = include_bytes!("../assets/backoffice.css");
const LOGO: &[u8] = include_bytes!("../assets/logo.svg");
const FAVICON: &[u8] = include_bytes!("../assets/favicon.svg");

pub fn router() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(|| async { Redirect::to("/home") }))
        .route("/sign-in", get(sign_in_page).post(sign_in))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/home", get(home))
        .route(
            "/assets/backoffice.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/assets/logo.svg",
            get(|| async { asset("image/svg+xml", LOGO) }),
        )
        .route(
            "/assets/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        );
    for menu in Menu::ALL {
        router = router.route(
            menu.path(),
            get(
                move |state: State<AppState>, query: RawQuery, headers: HeaderMap| {
                    menu_page(menu, state, query, headers)
                },
            ),
        );
    }
    router
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    signstash_web::assets::serve(content_type, bytes)
}

/// A failure of ours (the database): logged, answered 503 without detail.
pub struct Unavailable(String);

impl From<StoreError> for Unavailable {
    fn from(e: StoreError) -> Self {
        Self(e.to_string())
    }
}

impl IntoResponse for Unavailable {
    fn into_response(self) -> Response {
        tracing::error!(cause = self.0, "backoffice page failed");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Service unavailable",
        )
            .into_response()
    }
}

/// A link of the language switch.
pub struct LanguageLink {
    pub code: &'static str,
    pub lang: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// A link of the menu.
pub struct MenuLink {
    pub name: &'static str,
    pub path: &'static str,
    pub current: bool,
}

/// What a signed-in page shows of its operator.
pub struct SignedIn {
    pub name: String,
    pub menus: Vec<MenuLink>,
    pub csrf_token: String,
}

/// The frame of every page: its language, the switch to the other one and, signed in, the
/// operator's menu and the sign-out button.
pub struct Chrome {
    pub t: &'static Texts,
    pub languages: Vec<LanguageLink>,
    /// The path the language switch links to (the page itself).
    pub here: &'static str,
    pub signed_in: Option<SignedIn>,
    remember: Option<HeaderValue>,
}

impl Chrome {
    pub fn new(here: &'static str, query: Option<&str>, headers: &HeaderMap) -> Self {
        let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
        let (language, chosen) = choose(query, cookies);
        let t = texts(language);
        Self {
            t,
            languages: LANGUAGES
                .iter()
                .map(|l| LanguageLink {
                    code: l.code,
                    lang: l.lang,
                    name: l.language_name,
                    current: l.code == t.code,
                })
                .collect(),
            here,
            signed_in: None,
            remember: chosen
                .then(|| HeaderValue::from_str(&language_cookie(language)).ok())
                .flatten(),
        }
    }

    /// The frame for `session`'s operator: the menus its role may use.
    fn signed_in(mut self, session: &Session) -> Self {
        let t = self.t;
        let here = self.here;
        self.signed_in = Some(SignedIn {
            name: session.name.clone(),
            menus: Menu::ALL
                .iter()
                .enumerate()
                .filter(|(_, m)| m.allowed(session.role))
                .map(|(i, m)| MenuLink {
                    name: t.menus[i],
                    path: m.path(),
                    current: m.path() == here,
                })
                .collect(),
            csrf_token: session.csrf_token.clone(),
        });
        self
    }

    /// `status` with the page, remembering a language just chosen.
    pub fn respond(&self, status: StatusCode, page: &impl Template) -> Response {
        let mut response = signstash_web::page::render(status, page);
        if let Some(cookie) = &self.remember {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    c: &'a Chrome,
    failed: bool,
    email: &'a str,
}

async fn sign_in_page(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Unavailable> {
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
async fn sign_in(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Result<Response, Unavailable> {
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
    let signed_in = operator
        .as_ref()
        .filter(|o| matches && !address_blocked && o.status == OperatorStatus::Active);
    let Some(operator) = signed_in else {
        tracing::info!(address_blocked, "sign-in refused");
        rate_limits::record(&app.db, &limit_scope, app.failure_window).await?;
        if let Some(o) = operator.as_ref().filter(|_| !matches) {
            operators::record_failed_sign_in(&app.db, o.id, app.lock_after).await?;
        }
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
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf_token: String,
}

/// Ends the session; the form must carry the session's token.
async fn sign_out(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Result<Response, Unavailable> {
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

async fn home(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Unavailable> {
    let Some(s) = session::current(&app, &headers).await? else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let c = Chrome::new("/home", query.as_deref(), &headers).signed_in(&s);
    let t = c.t;
    Ok(c.respond(
        StatusCode::OK,
        &HomePage {
            c: &c,
            title: t.home_title,
            text: t.home_text,
        },
    ))
}

/// A menu's page: 404 to a role that may not use it, as for a path that does not exist.
async fn menu_page(
    menu: Menu,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Unavailable> {
    let Some(s) = session::current(&app, &headers).await? else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    if !menu.allowed(s.role) {
        return Ok(not_found_page(query.as_deref(), &headers));
    }
    let c = Chrome::new(menu.path(), query.as_deref(), &headers).signed_in(&s);
    let t = c.t;
    let index = Menu::ALL.iter().position(|m| *m == menu).unwrap_or(0);
    Ok(c.respond(
        StatusCode::OK,
        &HomePage {
            c: &c,
            title: t.menus[index],
            text: t.not_built,
        },
    ))
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    c: &'a Chrome,
}

fn not_found_page(query: Option<&str>, headers: &HeaderMap) -> Response {
    let c = Chrome::new("/sign-in", query, headers);
    c.respond(StatusCode::NOT_FOUND, &NotFoundPage { c: &c })
}

/// Any path that names no page.
pub async fn not_found(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    not_found_page(query.as_deref(), &headers)
}
