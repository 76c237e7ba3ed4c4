//! A service's own static files (compiled in): the same for everyone, so caches may keep them
//! for an hour (the security headers' `no-store` is only a default).

use axum::http::header;
use axum::response::IntoResponse;

/// `bytes` as `content_type`, cacheable.
pub fn serve(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
}
