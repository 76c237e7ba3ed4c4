//! What every page shares: the frame ([`Chrome`]: language, menu, sign-out), the signed-in
//! operator as an extractor ([`Signed`], the guard in every handler's signature), a form that
//! must carry the session's CSRF token ([`SignedForm`]), and the answers a page gives when it
//! cannot show itself ([`PageError`]).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use signstash_domain::Role;
use signstash_store::operator_sessions::Session;
use signstash_store::scope::Scope;
use signstash_store::StoreError;

use crate::i18n::{choose, language_cookie, texts, Texts, LANGUAGES};
use crate::menu::Menu;
use crate::policy::{self, Action};
use crate::AppState;

/// A link of the language switch.
#[derive(Clone)]
pub struct LanguageLink {
    pub code: &'static str,
    pub lang: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// A link of the menu.
#[derive(Clone)]
pub struct MenuLink {
    pub name: &'static str,
    pub path: &'static str,
    pub current: bool,
}

/// What a signed-in page shows of its operator.
#[derive(Clone)]
pub struct SignedIn {
    pub name: String,
    pub menus: Vec<MenuLink>,
    pub csrf_token: String,
}

/// The frame of every page: its language, the switch to the other one and, signed in, the
/// operator's menu and the sign-out button.
#[derive(Clone)]
pub struct Chrome {
    pub t: &'static Texts,
    pub languages: Vec<LanguageLink>,
    /// The path the language switch links to (the page itself).
    pub here: String,
    pub signed_in: Option<SignedIn>,
    remember: Option<HeaderValue>,
}

impl Chrome {
    pub fn new(here: &str, query: Option<&str>, headers: &HeaderMap) -> Self {
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
            here: here.to_owned(),
            signed_in: None,
            remember: chosen
                .then(|| HeaderValue::from_str(&language_cookie(language)).ok())
                .flatten(),
        }
    }

    /// The frame for `session`'s operator: the menus its role may use; the current one is
    /// the menu whose path starts the page's.
    pub fn signed_in(mut self, session: &Session) -> Self {
        let t = self.t;
        let here = self.here.clone();
        self.signed_in = Some(SignedIn {
            name: session.name.clone(),
            menus: Menu::ALL
                .iter()
                .enumerate()
                .filter(|(_, m)| m.allowed(session.role))
                .map(|(i, m)| MenuLink {
                    name: t.menus[i],
                    path: m.path(),
                    current: here == m.path() || here.starts_with(&format!("{}/", m.path())),
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

/// The signed-in operator of a request: a handler that takes one cannot run for an anonymous
/// visitor (sent to `/sign-in`), and every store query it makes takes [`Signed::scope`].
pub struct Signed {
    pub session: Session,
    pub chrome: Chrome,
    /// The caller's address (for the audit log).
    pub address: Option<String>,
    method: Method,
}

impl Signed {
    pub fn t(&self) -> &'static Texts {
        self.chrome.t
    }

    pub fn role(&self) -> Role {
        self.session.role
    }

    /// The companies the operator may see; required by every store query that lists, shows or
    /// exports.
    pub fn scope(&self) -> &Scope {
        &self.session.scope
    }

    /// Whether the operator may do `action` (to show or hide a link or a button).
    pub fn can(&self, action: Action) -> bool {
        policy::allowed(self.session.role, action)
    }

    /// Goes on only if the operator may do `action`. Refused: written to the audit log, and
    /// answered like a page that does not exist (GET) or 403 (a change).
    pub async fn may(&self, app: &AppState, action: Action) -> Result<(), PageError> {
        if self.can(action) {
            return Ok(());
        }
        crate::audit::denied(&app.db, self, &format!("{action:?}")).await?;
        Err(if matches!(self.method, Method::GET | Method::HEAD) {
            self.not_found()
        } else {
            PageError::Forbidden
        })
    }

    /// The answer for an id that does not exist or lies outside the operator's scope: the
    /// same for both.
    pub fn not_found(&self) -> PageError {
        PageError::NotFound(Box::new(self.chrome.clone()))
    }

    /// 200 with the page.
    pub fn page(&self, page: &impl Template) -> Response {
        self.chrome.respond(StatusCode::OK, page)
    }

    /// The page again with what was typed and the errors beside the fields.
    pub fn invalid(&self, page: &impl Template) -> Response {
        self.chrome.respond(StatusCode::UNPROCESSABLE_ENTITY, page)
    }

    /// A form's page: 200 when `valid` (shown afresh), else 422 ([`Self::invalid`]).
    pub fn form(&self, page: &impl Template, valid: bool) -> Response {
        if valid {
            self.page(page)
        } else {
            self.invalid(page)
        }
    }

    /// Whether `token` is this session's CSRF token (forms other than [`SignedForm`], e.g.
    /// multipart uploads, check it themselves).
    pub fn csrf_matches(&self, token: &str) -> bool {
        let expected = self.session.csrf_token.as_bytes();
        expected.len() == token.len()
            && expected
                .iter()
                .zip(token.as_bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let session = crate::session::current(app, &parts.headers)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        let Some(session) = session else {
            return Err(Redirect::to("/sign-in").into_response());
        };
        let chrome =
            Chrome::new(parts.uri.path(), parts.uri.query(), &parts.headers).signed_in(&session);
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Self {
            session,
            chrome,
            address,
            method: parts.method.clone(),
        })
    }
}

/// The largest form body read (uploads use multipart and their own limit).
const FORM_LIMIT: usize = 256 * 1024;

/// A signed-in operator's url-encoded form whose `csrf_token` is the session's: a form posted
/// without it (or from another session) is refused 403 before the handler runs. `T`'s fields
/// are the raw strings typed (`#[serde(default)]`), parsed by the handler so that a form with
/// errors is shown again as typed.
pub struct SignedForm<T> {
    pub signed: Signed,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignedForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, app).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| PageError::TooLarge.into_response())?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::BadRequest.into_response())?;
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if !signed.csrf_matches(token) {
            tracing::warn!("form without this session's CSRF token refused");
            return Err(crate::csrf::forbidden());
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::BadRequest.into_response())?;
        Ok(Self { signed, form })
    }
}

/// Why a page is not shown.
pub enum PageError {
    /// No such page, or an id outside the operator's scope: the same answer for both.
    NotFound(Box<Chrome>),
    /// A change the operator may not make.
    Forbidden,
    /// A request no form of ours sends.
    BadRequest,
    /// A body over the limit.
    TooLarge,
    /// A failure of ours (the database): logged, answered 503 without detail.
    Unavailable(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundPage<'a> {
    pub c: &'a Chrome,
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound(c) => c.respond(StatusCode::NOT_FOUND, &NotFoundPage { c: &c }),
            PageError::Forbidden => crate::csrf::forbidden(),
            PageError::BadRequest => plain(StatusCode::BAD_REQUEST, "Bad request"),
            PageError::TooLarge => plain(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large"),
            PageError::Unavailable(cause) => {
                tracing::error!(cause, "backoffice page failed");
                plain(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable")
            }
        }
    }
}

/// After a change: back to `to` (post/redirect/get), with `?done=` naming what was done so the
/// page can say so.
pub fn done(to: &str, what: &str) -> Response {
    Redirect::to(&format!("{to}?done={what}")).into_response()
}

/// An id from the path: one that is not a positive number names nothing, like a missing one.
pub fn path_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// What a page was just sent back from (`?done=`), for it to say so.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub done: String,
}
