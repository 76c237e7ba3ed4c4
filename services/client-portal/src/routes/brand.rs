//! The client service's brand for the pages of a link: its portal template's stylesheet and
//! logo. Served under the link (only someone holding it sees which brand a tenant uses), kept
//! by the browser a while, never by shared caches.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::access::{Access, Client};
use crate::error::PageError;
use crate::page::{brand, logo_type};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{token}/brand.css", get(css))
        .route("/d/{token}/brand-logo", get(logo))
}

const CACHE: &str = "private, max-age=300";

async fn css(
    State(app): State<AppState>,
    client: Client,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    let template = brand(&app, &access)
        .await?
        .filter(|t| !t.body.trim().is_empty())
        .ok_or(PageError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        template.body,
    )
        .into_response())
}

async fn logo(
    State(app): State<AppState>,
    client: Client,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    let template = brand(&app, &access).await?.ok_or(PageError::NotFound)?;
    let content_type = logo_type(&template).ok_or(PageError::NotFound)?;
    let bytes = template.logo.unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, CACHE),
            // An SVG logo opened on its own stays an inert picture.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ),
        ],
        bytes,
    )
        .into_response())
}
