//! Cross-site request forgery: every POST whose `Sec-Fetch-Site` says another site, or (from
//! a browser that sends no `Sec-Fetch-Site`) whose `Origin` is not this service's host, is
//! refused with 403 before any handler runs (a browser
//! sends at least one of them with every POST); a signed-in form also carries its session's
//! token ([`crate::routes`] checks it), for browsers that send neither. The cookie's
//! `SameSite=Strict` is a third wall.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether the request comes from another site, by its `Sec-Fetch-Site` and `Origin` headers.
pub fn cross_site(headers: &HeaderMap) -> bool {
    // The browser's own word comes first. With `Referrer-Policy: no-referrer` (every page
    // here) Chromium sends `Origin: null` even for a same-origin form, so `Origin` decides
    // only for browsers that send no fetch metadata.
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest);
        return match (origin_host, host) {
            (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
            _ => true,
        };
    }
    false
}

/// The middleware: a cross-site request other than GET/HEAD is refused.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if !safe && cross_site(request.headers()) {
        tracing::warn!("cross-site request refused");
        return forbidden();
    }
    next.run(request).await
}

pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Forbidden",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, axum::http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn another_site_is_recognised_by_fetch_metadata_or_origin() {
        assert!(!cross_site(&headers(&[])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        let same = [
            ("host", "127.0.0.1:8081"),
            ("origin", "http://127.0.0.1:8081"),
        ];
        assert!(!cross_site(&headers(&same)));
        let other = [
            ("host", "127.0.0.1:8081"),
            ("origin", "https://evil.example"),
        ];
        assert!(cross_site(&headers(&other)));
        assert!(cross_site(&headers(&[("host", "a"), ("origin", "null")])));
        // What Chromium sends for a same-origin form from a no-referrer page.
        let chromium = [
            ("host", "a"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert!(!cross_site(&headers(&chromium)));
    }
}
