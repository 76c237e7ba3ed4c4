//! The backoffice over HTTP, on a local port, against its own PostgreSQL database.
#![allow(clippy::unwrap_used)]

mod common;

use backoffice::config::Config;
use common::{answer, Service};
use reqwest::Method;
use sqlx::PgPool;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn health_metrics_and_request_ids(pool: PgPool) {
    let app = Service::serve(pool, Config::default()).await;
    let visitor = app.anonymous();
    let live = visitor.get("/health/live").await;
    assert_eq!(live.status, 200);
    let ready = visitor.get("/health/ready").await;
    assert_eq!(ready.status, 200);
    let r = answer(
        visitor
            .request(Method::GET, "/sign-in")
            .header("x-request-id", "bo-test-1"),
    )
    .await;
    assert_eq!(r.headers["x-request-id"], "bo-test-1");
    let metrics = visitor.get("/metrics").await.body;
    assert!(
        metrics.contains(
            "signstash_backoffice_http_requests_total{method=\"GET\",route=\"/sign-in\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_sign_in_page_is_portuguese_first_switchable_and_labelled(pool: PgPool) {
    let app = Service::serve(pool, Config::default()).await;
    let visitor = app.anonymous();
    for path in ["/", "/home", "/operators"] {
        let r = visitor.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        let to = if path == "/" { "/home" } else { "/sign-in" };
        assert_eq!(r.headers["location"], to, "{path}");
    }

    let r = visitor.get("/sign-in").await;
    assert_eq!(r.status, 200);
    let h = &r.headers;
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    let page = &r.body;
    assert!(page.contains(r#"<html lang="pt-PT">"#), "{page}");
    assert!(page.contains(r#"<label for="email">Endereço de e-mail</label>"#));
    assert!(page.contains(r#"<label for="password">Palavra-passe</label>"#));
    assert!(page.contains(r#"<form class="sign-in" method="post" action="/sign-in">"#));
    assert!(page.contains(r#"<a href="/sign-in?lang=en" lang="en" hreflang="en">English</a>"#));
    // Nothing from another origin.
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );

    let en = visitor.get("/sign-in?lang=en").await;
    let cookie = en.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("signstash_backoffice_lang=en;"),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = en.body;
    assert!(page.contains(r#"<html lang="en">"#));
    assert!(page.contains(r#"<label for="email">E-mail address</label>"#));

    // The cookie keeps the choice.
    let again = app.english().anonymous().get("/sign-in").await;
    assert!(again.headers.get("set-cookie").is_none());
    assert!(again.body.contains(r#"<html lang="en">"#));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn assets_are_served_here_and_unknown_paths_are_a_page(pool: PgPool) {
    let app = Service::serve(pool, Config::default()).await;
    let visitor = app.anonymous();
    for (path, content_type) in [
        ("/assets/backoffice.css", "text/css; charset=utf-8"),
        ("/assets/logo.svg", "image/svg+xml"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let r = visitor.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.headers["content-type"], content_type, "{path}");
        assert_eq!(r.headers["cache-control"], "public, max-age=3600");
    }
    let r = visitor.get("/nothing").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Página não encontrada"));
}
