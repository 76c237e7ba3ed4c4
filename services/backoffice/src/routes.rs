//! The pages and the static assets.

use askama::Template;
use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::i18n::{choose, language_cookie, texts, Texts, LANGUAGES};
use crate::AppState;

const CSS: &[u8] = include_bytes!("../assets/backoffice.css");
const LOGO: &[u8] = include_bytes!("../assets/logo.svg");
const FAVICON: &[u8] = include_bytes!("../assets/favicon.svg");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/sign-in") }))
        .route("/sign-in", get(sign_in))
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
        )
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The same for everyone: caches may keep it.
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
}

/// A link of the language switch.
pub struct LanguageLink {
    pub code: &'static str,
    pub lang: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// The frame of every page: its language and the switch to the other one.
pub struct Chrome {
    pub t: &'static Texts,
    pub languages: Vec<LanguageLink>,
    /// The path the language switch links to (the page itself).
    pub here: &'static str,
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
            remember: chosen
                .then(|| HeaderValue::from_str(&language_cookie(language)).ok())
                .flatten(),
        }
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
}

async fn sign_in(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let c = Chrome::new("/sign-in", query.as_deref(), &headers);
    c.respond(StatusCode::OK, &SignInPage { c: &c })
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    c: &'a Chrome,
}

/// Any path that names no page.
pub async fn not_found(RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let c = Chrome::new("/sign-in", query.as_deref(), &headers);
    c.respond(StatusCode::NOT_FOUND, &NotFoundPage { c: &c })
}
