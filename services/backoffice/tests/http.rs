//! The backoffice over HTTP, on a local port, against its own PostgreSQL database.
#![allow(clippy::unwrap_used)]

use backoffice::config::Config;
use backoffice::{state_from, Application};
use sqlx::PgPool;

async fn spawn(pool: PgPool) -> String {
    let app = Application::with_state(
        state_from(pool, &Config::default()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    url
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn health_metrics_and_request_ids(pool: PgPool) {
    let url = spawn(pool).await;
    let http = client();
    let live = http.get(format!("{url}/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = http
        .get(format!("{url}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let r = http
        .get(format!("{url}/sign-in"))
        .header("x-request-id", "bo-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "bo-test-1");
    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "signstash_backoffice_http_requests_total{method=\"GET\",route=\"/sign-in\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_sign_in_page_is_portuguese_first_switchable_and_labelled(pool: PgPool) {
    let url = spawn(pool).await;
    let http = client();
    for path in ["/", "/home", "/operators"] {
        let r = http.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        let to = if path == "/" { "/home" } else { "/sign-in" };
        assert_eq!(r.headers()["location"], to, "{path}");
    }

    let r = http.get(format!("{url}/sign-in")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    let page = r.text().await.unwrap();
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

    let en = http
        .get(format!("{url}/sign-in?lang=en"))
        .send()
        .await
        .unwrap();
    let cookie = en.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("signstash_backoffice_lang=en;"),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = en.text().await.unwrap();
    assert!(page.contains(r#"<html lang="en">"#));
    assert!(page.contains(r#"<label for="email">E-mail address</label>"#));

    // The cookie keeps the choice.
    let again = http
        .get(format!("{url}/sign-in"))
        .header("cookie", "signstash_backoffice_lang=en")
        .send()
        .await
        .unwrap();
    assert!(again.headers().get("set-cookie").is_none());
    assert!(again.text().await.unwrap().contains(r#"<html lang="en">"#));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn assets_are_served_here_and_unknown_paths_are_a_page(pool: PgPool) {
    let url = spawn(pool).await;
    let http = client();
    for (path, content_type) in [
        ("/assets/backoffice.css", "text/css; charset=utf-8"),
        ("/assets/logo.svg", "image/svg+xml"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let r = http.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    }
    let r = http.get(format!("{url}/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Página não encontrada"));
}
