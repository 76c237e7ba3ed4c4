//! Signing in and out over HTTP against PostgreSQL: the session cookie's flags, the one answer
//! for every failure (lockout and the per-address limit included), CSRF refusals, and sessions
//! that end (sign-out, blocked operator, idle).
#![allow(clippy::unwrap_used)]

mod common;

use backoffice::config::Config;
use common::{answer, Client, Service};
use reqwest::Method;
use signstash_domain::{EmailAddress, Role};
use signstash_store::operators::{self, NewOperator};
use sqlx::PgPool;

const EMAIL: &str = "admin@signstash.test";
const PASSWORD: &str = "admin-test-password";

/// The service over one system administrator, `EMAIL` with `PASSWORD`.
async fn spawn(pool: PgPool) -> Service {
    operators::create(
        &pool,
        &NewOperator {
            partner_company_id: None,
            issuer_company_id: None,
            email: EmailAddress::try_from(EMAIL).unwrap(),
            name: "Ada <Admin>".into(),
            role: Role::SystemAdministrator,
            password_hash: signstash_oauth::hash_secret(PASSWORD).unwrap(),
        },
    )
    .await
    .unwrap();
    Service::serve(pool, Config::default()).await
}

/// The administrator, signed in.
async fn session(app: &Service) -> Client {
    app.sign_in(EMAIL, PASSWORD).await.unwrap()
}

async fn sessions(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM operator_sessions")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn signing_in_sets_a_strict_http_only_cookie_whose_token_is_stored_only_as_a_hash(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let r = app.post_sign_in("ADMIN@signstash.test", PASSWORD).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/home");
    let set = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(set.starts_with("signstash_backoffice_session="), "{set}");
    assert!(set.contains("; HttpOnly"), "{set}");
    assert!(set.contains("; SameSite=Strict"), "{set}");
    assert!(!set.contains("Secure"), "plain http: {set}");
    let cookie = set.split(';').next().unwrap().to_string();
    let token = cookie.split_once('=').unwrap().1.to_string();
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM operator_sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    use sha2::Digest as _;
    assert_eq!(stored, sha2::Sha256::digest(token.as_bytes()).to_vec());
    let raw: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM operator_sessions WHERE encode(token_hash, 'hex') = $1",
    )
    .bind(&token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(raw, 0, "the token itself is not stored");

    // Signed in: the menus of a system administrator in a <nav>, its name escaped.
    let signed = app.presenting(&cookie);
    let page = signed.get("/home").await.body;
    assert!(
        page.contains(r#"<nav class="menu" aria-label="Menu">"#),
        "{page}"
    );
    assert!(page.contains(r#"<a href="/system-configurations">Configurações de sistema</a>"#));
    assert!(
        !page.contains("/certificates"),
        "an administrator has no Certificates menu"
    );
    assert!(
        page.contains("Ada &#60;Admin&#62;") || page.contains("Ada &lt;Admin&gt;"),
        "{page}"
    );
    assert_eq!(signed.get("/sign-in").await.status, 303);
    // A menu the role may not use answers as a path that does not exist.
    assert_eq!(signed.get("/certificates").await.status, 404);
    assert_eq!(signed.get("/operators").await.status, 200);

    // Signing in again rotates the token: the old session ends.
    let r = signed
        .post_as_is("/sign-in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 303);
    let fresh = r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(fresh, cookie);
    assert_eq!(sessions(&app.pool).await, 1);
    assert_eq!(signed.get("/home").await.status, 303);
    assert_eq!(app.presenting(&fresh).get("/home").await.status, 200);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_wrong_password_an_unknown_email_and_a_blocked_operator_get_the_same_page(pool: PgPool) {
    let app = spawn(pool).await;
    let wrong = app.post_sign_in(EMAIL, "not-the-password").await;
    assert_eq!(wrong.status, 200);
    assert!(wrong.headers.get("set-cookie").is_none());
    let wrong = wrong.body;
    let unknown = app.post_sign_in("nobody@signstash.test", PASSWORD).await;
    assert_eq!(unknown.status, 200);
    let unknown = unknown.body;
    sqlx::query("UPDATE operators SET status = 'INACTIVE'")
        .execute(&app.pool)
        .await
        .unwrap();
    let blocked = app.post_sign_in(EMAIL, PASSWORD).await.body;
    assert!(wrong.contains("não estão certos"), "{wrong}");
    // The same page but for the e-mail typed, which is kept in the form.
    let unify = |page: &str, email: &str| page.replace(email, "E");
    assert_eq!(
        unify(&wrong, EMAIL),
        unify(&unknown, "nobody@signstash.test")
    );
    assert_eq!(unify(&wrong, EMAIL), unify(&blocked, EMAIL));
    assert_eq!(sessions(&app.pool).await, 0);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_post_from_another_site_or_without_the_form_token_is_refused(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = session(&app).await;
    let token = admin.csrf.clone();
    let post = |headers: Vec<(&'static str, &'static str)>, form: Vec<(&'static str, String)>| {
        let mut request = admin.request(Method::POST, "/sign-out").form(&form);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        answer(request)
    };
    let cross = post(
        vec![("origin", "https://evil.example")],
        vec![("csrf_token", token.clone())],
    )
    .await;
    assert_eq!(cross.status, 403);
    let cross = post(
        vec![("sec-fetch-site", "cross-site")],
        vec![("csrf_token", token.clone())],
    )
    .await;
    assert_eq!(cross.status, 403);
    let tokenless = post(vec![], vec![]).await;
    assert_eq!(tokenless.status, 403);
    let forged = post(vec![], vec![("csrf_token", "0".repeat(64))]).await;
    assert_eq!(forged.status, 403);
    // A cross-site sign-in is refused too.
    let r = answer(
        app.anonymous()
            .request(Method::POST, "/sign-in")
            .header("origin", "https://evil.example")
            .form(&[("email", EMAIL), ("password", PASSWORD)]),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(sessions(&app.pool).await, 1, "nothing changed");
    assert_eq!(admin.get("/home").await.status, 200);

    // The same-origin form with its token signs out.
    let host = app.url.trim_start_matches("http://").to_string();
    let out = answer(
        admin
            .request(Method::POST, "/sign-out")
            .header("origin", format!("http://{host}"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf_token", token)]),
    )
    .await;
    assert_eq!(out.status, 303);
    assert_eq!(out.headers["location"], "/sign-in");
    assert!(out.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(sessions(&app.pool).await, 0);
    assert_eq!(admin.get("/home").await.status, 303);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_blocked_operator_loses_its_session_at_the_next_request(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = session(&app).await;
    assert_eq!(admin.get("/home").await.status, 200);
    sqlx::query("UPDATE operators SET status = 'INACTIVE'")
        .execute(&app.pool)
        .await
        .unwrap();
    let r = admin.get("/home").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/sign-in");
    assert_eq!(
        sessions(&app.pool).await,
        0,
        "the session is gone, not just refused"
    );
    // Reactivated, the old cookie stays dead.
    sqlx::query("UPDATE operators SET status = 'ACTIVE'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(admin.get("/home").await.status, 303);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_idle_or_old_session_ends(pool: PgPool) {
    let app = spawn(pool).await;
    let idle = session(&app).await;
    sqlx::query("UPDATE operator_sessions SET last_seen_at = now() - interval '31 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(idle.get("/home").await.status, 303);
    let old = session(&app).await;
    // Busy all along, but signed in nine hours ago.
    sqlx::query("UPDATE operator_sessions SET created_at = now() - interval '9 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(old.get("/home").await.status, 303);
    assert_eq!(sessions(&app.pool).await, 0);
}

async fn status_and_failures(pool: &PgPool) -> (String, i32) {
    sqlx::query_as("SELECT status, failed_sign_ins FROM operators")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn wrong_passwords_in_a_row_lock_the_operator_with_the_same_page(pool: PgPool) {
    let app = spawn(pool).await;
    let refused = app.post_sign_in(EMAIL, "wrong").await.body;
    // A success starts the count again.
    session(&app).await;
    assert_eq!(status_and_failures(&app.pool).await, ("ACTIVE".into(), 0));
    for _ in 0..5 {
        assert_eq!(app.post_sign_in(EMAIL, "wrong").await.status, 200);
    }
    assert_eq!(status_and_failures(&app.pool).await.0, "LOCKED");
    let locked = app.post_sign_in(EMAIL, PASSWORD).await;
    assert_eq!(locked.status, 200);
    assert!(locked.headers.get("set-cookie").is_none());
    assert_eq!(locked.body, refused, "the same page");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_address_with_too_many_failures_gets_the_same_page_even_with_the_right_password(
    pool: PgPool,
) {
    let app = spawn(pool).await;
    let refused = app.post_sign_in(EMAIL, "wrong").await.body;
    // 20 failures per address and window by default; unknown e-mails count too.
    for i in 0..19 {
        app.post_sign_in(&format!("nobody{i}@signstash.test"), "x")
            .await;
    }
    let r = app.post_sign_in(EMAIL, PASSWORD).await;
    assert_eq!(r.status, 200);
    assert!(r.headers.get("set-cookie").is_none());
    assert_eq!(r.body, refused);
    assert_eq!(
        status_and_failures(&app.pool).await,
        ("ACTIVE".into(), 1),
        "the operator itself is not locked by others' failures"
    );
    assert_eq!(sessions(&app.pool).await, 0);
}
