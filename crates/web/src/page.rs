//! An askama page as a response. A template that fails to render (a bug of ours) is logged and
//! answered with a plain 500, never a half page.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// `status` with the page `template` renders.
pub fn render(status: StatusCode, template: &impl askama::Template) -> Response {
    rendered(status, template.render())
}

/// `status` with an already rendered page, or the plain 500 if rendering failed.
pub fn rendered(status: StatusCode, body: Result<String, askama::Error>) -> Response {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_failed_template_is_a_plain_500() {
        let r = rendered(StatusCode::OK, Err(askama::Error::Fmt));
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        let r = rendered(StatusCode::NOT_FOUND, Ok("<p>x</p>".into()));
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
    }
}
