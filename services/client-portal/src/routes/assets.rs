//! The portal's own static files, compiled in: nothing is loaded from anywhere else.

use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const CSS: &[u8] = include_bytes!("../../assets/portal.css");
const LOGO: &[u8] = include_bytes!("../../assets/logo.svg");
const FAVICON: &[u8] = include_bytes!("../../assets/favicon.svg");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/portal.css",
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
        // Asked for by pages that name no icon (the browser's own PDF viewer).
        .route(
            "/favicon.ico",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
}

fn asset(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    signstash_web::assets::serve(content_type, bytes)
}
