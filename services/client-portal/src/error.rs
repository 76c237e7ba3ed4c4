//! `PageError`: what a handler returns when it cannot show what was asked. Every bad link
//! (malformed, unknown, expired, revoked, another operation's document) is the one
//! [`PageError::NotFound`] page, so answers never tell a guesser which case was hit.
//! Other failures are logged and shown as a generic "try again later" page.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use signstash_store::StoreError;

use crate::i18n::{Texts, EN, PT_PT};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The one answer to every link or document that cannot be opened.
    #[error("no such link or document")]
    NotFound,
    /// The address tried too many links (or codes) that open nothing; retry after the window.
    #[error("too many attempts")]
    TooManyAttempts(time::Duration),
    /// The link is good but its client service asks for an access code first: to the page
    /// that asks for it (`/d/{token}`).
    #[error("access code required")]
    CodeRequired(String),
    /// A failure of ours (database, document store); the cause is logged, never shown.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl PageError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage;

#[derive(Template)]
#[template(path = "too_many.html")]
struct TooManyPage;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    pt: &'static Texts,
    en: &'static Texts,
}

/// The "invalid or expired link" page (404).
pub fn not_found_page() -> Response {
    page(StatusCode::NOT_FOUND, NotFoundPage.render())
}

fn page(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    signstash_web::page::rendered(status, body)
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => not_found_page(),
            Self::TooManyAttempts(window) => {
                let mut response = page(StatusCode::TOO_MANY_REQUESTS, TooManyPage.render());
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(window.whole_seconds().max(1)),
                );
                response
            }
            Self::CodeRequired(location) => {
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
            }
            Self::Unavailable(cause) => {
                tracing::error!(cause, "portal page failed");
                page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorPage {
                        pt: &PT_PT,
                        en: &EN,
                    }
                    .render(),
                )
            }
        }
    }
}
