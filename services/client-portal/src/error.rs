//! `PageError`: what a handler returns when it cannot show what was asked. Every bad link
//! (malformed, unknown, expired, revoked, another operation's document) is the one
//! [`PageError::NotFound`] page, so answers never tell a guesser which case was hit.
//! Other failures are logged and shown as a generic "try again later" page.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use signstash_store::StoreError;

use crate::i18n::{Texts, EN, PT_PT};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The one answer to every link or document that cannot be opened.
    #[error("no such link or document")]
    NotFound,
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
    match body {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "error",
            )
                .into_response()
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => not_found_page(),
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
