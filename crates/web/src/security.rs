//! Headers every response of a server-rendered service carries. Its pages need nothing from
//! elsewhere: no script, style, font or image from another origin, no framing by anyone, no
//! referrer (a path may hold a token), and nothing stored by a cache unless a route says so
//! (its own `Cache-Control` is kept: static assets set one; pages and documents never).

use axum::extract::Request;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     img-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(header::CACHE_CONTROL, "no-store");
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt as _;

    #[tokio::test]
    async fn every_response_gets_the_headers_and_a_route_keeps_its_own_cache_control() {
        let router = Router::new()
            .route("/page", get(|| async { "page" }))
            .route(
                "/asset",
                get(|| async { ([(header::CACHE_CONTROL, "max-age=3600")], "asset") }),
            )
            .layer(axum::middleware::from_fn(headers));
        let call = |path: &'static str| {
            router.clone().oneshot(
                axum::http::Request::builder()
                    .uri(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        };
        let page = call("/page").await.unwrap();
        let h = page.headers();
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        let asset = call("/asset").await.unwrap();
        assert_eq!(asset.headers()[header::CACHE_CONTROL], "max-age=3600");
        // An unknown path too.
        let missing = call("/nothing").await.unwrap();
        assert_eq!(missing.headers()[header::X_FRAME_OPTIONS], "DENY");
    }
}
