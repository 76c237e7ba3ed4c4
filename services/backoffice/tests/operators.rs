//! The Operators menu, the activation and reset links and the profile, over HTTP against a
//! real SMTP server (aiosmtpd): the e-mails arrive, their links work once and expire; the scope
//! and the roles bound what a manager sees and changes.
#![allow(clippy::unwrap_used)]

use signstash_test_support::webdriver;

use backoffice::config::Config;
use backoffice::demo::seed_demo_operators;
use backoffice::{state_from, Application};
use secrecy::SecretString;
use signstash_test_support::pki::TestPki;
use signstash_test_support::smtp::SmtpServer;
use sqlx::PgPool;

async fn seed(pool: &PgPool) {
    let pki = TestPki::new();
    integration_ws::demo::seed_demo_tenants(
        pool,
        &signstash_store::MasterKey::generate(),
        pki.path(),
    )
    .await
    .unwrap();
    seed_demo_operators(pool).await.unwrap();
}

async fn spawn(pool: PgPool, smtp: Option<&SmtpServer>) -> String {
    let config = Config {
        smtp_url: smtp.map(|s| SecretString::from(s.url())),
        mail_dir: tempfile::tempdir().unwrap().keep(),
        ..Config::default()
    };
    let app = Application::with_state(state_from(pool, &config), "127.0.0.1:0".parse().unwrap())
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

/// Signs in; the session cookie (`name=value`), or `None` when refused.
async fn sign_in(http: &reqwest::Client, url: &str, email: &str, password: &str) -> Option<String> {
    let r = http
        .post(format!("{url}/sign-in"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    (r.status() == 303).then(|| {
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    })
}

async fn get(http: &reqwest::Client, url: &str, cookie: &str, path: &str) -> (u16, String) {
    let r = http
        .get(format!("{url}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf_token\" value=\"").unwrap() + 25;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// Posts a signed-in form (with the session's CSRF token): status, location, body.
async fn post(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, home) = get(http, url, cookie, "/home").await;
    let token = csrf(&home);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    form.extend_from_slice(fields);
    let r = http
        .post(format!("{url}{path}"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

async fn anonymous_post(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = http
        .post(format!("{url}{path}"))
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Waits (up to 10 s, without blocking the runtime: reset e-mails leave from a task of the
/// server) for `n` delivered messages.
async fn arrived(smtp: &SmtpServer, n: usize) -> Vec<std::path::PathBuf> {
    for _ in 0..200 {
        if smtp.delivered().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    smtp.delivered()
}

/// The path of the link (`/activate/…` or `/reset/…`) in a mail body.
fn link_in(body: &str, kind: &str) -> String {
    let at = body.find(&format!("/{kind}/")).unwrap();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect()
}

async fn id_of(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM operators WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn issuer_id(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM issuer_companies WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_new_operator_activates_with_its_single_use_link_and_forgot_password_resets(
    pool: PgPool,
) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    seed(&pool).await;
    let url = spawn(pool.clone(), Some(&smtp)).await;
    let http = client();
    let admin = sign_in(&http, &url, "admin@signstash.local", "admin-demo-password")
        .await
        .unwrap();
    let issuer = issuer_id(&pool, "Demo Issuer").await;
    let company = format!("I{issuer}");

    // Create: a form with errors keeps what was typed and says why beside the field.
    let (status, _, page) = post(
        &http,
        &url,
        &admin,
        "/operators?lang=en",
        &[
            ("name", "Ana <b>Bold</b>"),
            ("email", "not-an-email"),
            ("role", "ISSUER"),
            ("company", &company),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("value=\"Ana &#60;b&#62;Bold&#60;/b&#62;\"")
            || page.contains("value=\"Ana &lt;b&gt;Bold&lt;/b&gt;\""),
        "{page}"
    );
    // A role that does not fit the company.
    let (status, _, _) = post(
        &http,
        &url,
        &admin,
        "/operators",
        &[
            ("name", "Ana"),
            ("email", "ana@example.com"),
            ("role", "PARTNER"),
            ("company", &company),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let (status, location, _) = post(
        &http,
        &url,
        &admin,
        "/operators",
        &[
            ("name", "Ana <b>Bold</b>"),
            ("email", "ana@example.com"),
            ("role", "ISSUER"),
            ("company", &company),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.ends_with("?done=created"), "{location}");
    // Markup in the name is shown inert.
    let (status, page) = get(&http, &url, &admin, &location).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<b>Bold</b>"), "{page}");
    assert!(page.contains("Ana &#60;b&#62;Bold") || page.contains("Ana &lt;b&gt;Bold"));
    assert!(page.contains("Registered") || page.contains("Registado"));
    // The e-mail taken: beside the field.
    let (status, _, page) = post(
        &http,
        &url,
        &admin,
        "/operators?lang=en",
        &[
            ("name", "Other"),
            ("email", "ANA@example.com"),
            ("role", "ISSUER"),
            ("company", &company),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"email-error\""), "{page}");

    // The activation e-mail, in the operator's language, with its link.
    let files = arrived(&smtp, 1).await;
    assert_eq!(files.len(), 1, "{}", smtp.log());
    let mail = &smtp.messages()[0];
    assert_eq!(mail.to, "ana@example.com");
    assert!(mail.subject.contains("Activate"), "{}", mail.subject);
    let text = mail.text.clone().unwrap();
    assert!(text.starts_with("Hello Ana <b>Bold</b>"), "{text}");
    let link = link_in(&text, "activate");
    assert_eq!(link.len(), "/activate/".len() + 64, "{link}");
    let token = &link["/activate/".len()..];
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM operator_tokens WHERE token_hash = sha256($1::bytea)",
    )
    .bind(token.as_bytes())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "only the token's SHA-256 is stored");
    // Before activation no sign-in works.
    assert!(
        sign_in(&http, &url, "ana@example.com", "a-good-long-password")
            .await
            .is_none()
    );

    let page = http.get(format!("{url}{link}")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // Too short, the e-mail itself, a confirmation that differs: refused beside the field.
    for (password, confirmation) in [
        ("short", "short"),
        ("ana@example.com", "ana@example.com"),
        ("a-good-long-password", "another-long-password"),
    ] {
        let (status, _) = anonymous_post(
            &http,
            &url,
            &link,
            &[("password", password), ("confirmation", confirmation)],
        )
        .await;
        assert_eq!(status, 422, "{password}");
    }
    let (status, _) = anonymous_post(
        &http,
        &url,
        &link,
        &[
            ("password", "a-good-long-password"),
            ("confirmation", "a-good-long-password"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let ana = sign_in(&http, &url, "ana@example.com", "a-good-long-password").await;
    assert!(ana.is_some(), "the activated operator signs in");
    // The link works once.
    let (status, used) = anonymous_post(
        &http,
        &url,
        &link,
        &[
            ("password", "yet-another-password"),
            ("confirmation", "yet-another-password"),
        ],
    )
    .await;
    assert_eq!(status, 410);
    let again = http.get(format!("{url}{link}")).send().await.unwrap();
    assert_eq!(again.status(), 410);
    let unknown = http
        .get(format!("{url}/activate/{}", "ab".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 410);
    let main = |page: &str| page[page.find("<main").unwrap()..].to_string();
    assert_eq!(
        main(&unknown.text().await.unwrap()),
        main(&used),
        "one page for every bad link"
    );
    assert!(
        sign_in(&http, &url, "ana@example.com", "yet-another-password")
            .await
            .is_none()
    );
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action IN ('operator.created', 'operator.activated')
         ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited, ["operator.created", "operator.activated"]);
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || $1 || '%'",
    )
    .bind(token)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);

    // An expired link is refused like a used one.
    let (status, _, _) = post(
        &http,
        &url,
        &admin,
        "/operators",
        &[
            ("name", "Bruno"),
            ("email", "bruno@example.com"),
            ("role", "ISSUER"),
            ("company", &company),
            ("language", "pt_PT"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    arrived(&smtp, 2).await;
    let messages = smtp.messages();
    let mail = messages
        .iter()
        .find(|m| m.to == "bruno@example.com")
        .expect("Bruno's activation e-mail");
    assert!(mail.subject.contains("Ative"), "{}", mail.subject);
    let link = link_in(mail.text.as_deref().unwrap(), "activate");
    sqlx::query("UPDATE operator_tokens SET expires_at = now() - interval '1 minute' WHERE operator_id = $1")
        .bind(id_of(&pool, "bruno@example.com").await)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        http.get(format!("{url}{link}"))
            .send()
            .await
            .unwrap()
            .status(),
        410
    );
    let (status, _) = anonymous_post(
        &http,
        &url,
        &link,
        &[
            ("password", "a-good-long-password"),
            ("confirmation", "a-good-long-password"),
        ],
    )
    .await;
    assert_eq!(status, 410);

    // Forgot password: the same page for a known and an unknown address; one e-mail.
    let sign_in_page = http
        .get(format!("{url}/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sign_in_page.contains("href=\"/forgot-password\""));
    let (status, known) = anonymous_post(
        &http,
        &url,
        "/forgot-password",
        &[("email", "issuer@signstash.local")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, unknown) = anonymous_post(
        &http,
        &url,
        "/forgot-password",
        &[("email", "nobody@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(known, unknown);
    let resets: i64 =
        sqlx::query_scalar("SELECT count(*) FROM operator_tokens WHERE purpose = 'RESET'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(resets, 1, "one reset link, for the known address");
    let files = arrived(&smtp, 3).await;
    assert_eq!(files.len(), 3);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 3, "nothing to an unknown address");
    // The reset e-mail leaves from a task of its own: find it by its receiver, not its place.
    let messages = smtp.messages();
    let mail = messages
        .iter()
        .find(|m| m.to == "issuer@signstash.local")
        .expect("the reset e-mail");
    let link = link_in(mail.text.as_deref().unwrap(), "reset");
    let issuer_session = sign_in(
        &http,
        &url,
        "issuer@signstash.local",
        "issuer-demo-password",
    )
    .await
    .unwrap();
    let (status, _) = anonymous_post(
        &http,
        &url,
        &link,
        &[
            ("password", "a-brand-new-password"),
            ("confirmation", "a-brand-new-password"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // The reset ended the operator's sessions; the new password works, the old one not.
    let (status, _) = get(&http, &url, &issuer_session, "/home").await;
    assert_eq!(status, 303);
    assert!(sign_in(
        &http,
        &url,
        "issuer@signstash.local",
        "issuer-demo-password"
    )
    .await
    .is_none());
    assert!(sign_in(
        &http,
        &url,
        "issuer@signstash.local",
        "a-brand-new-password"
    )
    .await
    .is_some());
    let (status, _) = anonymous_post(
        &http,
        &url,
        &link,
        &[
            ("password", "a-third-long-password"),
            ("confirmation", "a-third-long-password"),
        ],
    )
    .await;
    assert_eq!(status, 410);

    // Limited per address: the fourth ask within the hour sends nothing.
    for _ in 0..3 {
        anonymous_post(
            &http,
            &url,
            "/forgot-password",
            &[("email", "partner@signstash.local")],
        )
        .await;
    }
    arrived(&smtp, 6).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 6);
    anonymous_post(
        &http,
        &url,
        "/forgot-password",
        &[("email", "partner@signstash.local")],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 6, "over the limit: no e-mail");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn set_credentials_asks_for_the_old_password_and_ends_the_other_sessions(pool: PgPool) {
    seed(&pool).await;
    let url = spawn(pool.clone(), None).await;
    let http = client();
    // The auditor may use its own profile too.
    let auditor = sign_in(
        &http,
        &url,
        "auditor@signstash.local",
        "auditor-demo-password",
    )
    .await
    .unwrap();
    let (status, page) = get(&http, &url, &auditor, "/profile?lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("Demo Auditor") && page.contains("Demo Issuer"));
    assert!(page.contains("href=\"/profile\""), "linked from the header");

    let a = sign_in(
        &http,
        &url,
        "partner@signstash.local",
        "partner-demo-password",
    )
    .await
    .unwrap();
    let b = sign_in(
        &http,
        &url,
        "partner@signstash.local",
        "partner-demo-password",
    )
    .await
    .unwrap();
    let (status, _, page) = post(
        &http,
        &url,
        &a,
        "/profile/password?lang=en",
        &[
            ("old_password", "not-the-password"),
            ("password", "partner-new-password"),
            ("confirmation", "partner-new-password"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"old_password-error\""), "{page}");
    assert!(sign_in(
        &http,
        &url,
        "partner@signstash.local",
        "partner-new-password"
    )
    .await
    .is_none());
    let (status, location, _) = post(
        &http,
        &url,
        &a,
        "/profile/password",
        &[
            ("old_password", "partner-demo-password"),
            ("password", "partner-new-password"),
            ("confirmation", "partner-new-password"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/profile?done=password");
    assert_eq!(
        get(&http, &url, &a, "/profile").await.0,
        200,
        "this session goes on"
    );
    assert_eq!(
        get(&http, &url, &b, "/profile").await.0,
        303,
        "the other one ended"
    );
    assert!(sign_in(
        &http,
        &url,
        "partner@signstash.local",
        "partner-new-password"
    )
    .await
    .is_some());
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'operator.password_changed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The language: saved on the operator, and the page switches to it.
    let (status, location, _) =
        post(&http, &url, &a, "/profile/language", &[("language", "en")]).await;
    assert_eq!(status, 303);
    let (_, page) = get(&http, &url, &a, &location).await;
    assert!(page.contains("<html lang=\"en\"") && page.contains("Language saved."));
    let language: String = sqlx::query_scalar(
        "SELECT language FROM operators WHERE email = 'partner@signstash.local'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(language, "en");
    // And the next sign-in brings the pages in it.
    let r = http
        .post(format!("{url}/sign-in"))
        .form(&[
            ("email", "partner@signstash.local"),
            ("password", "partner-new-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookies: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("signstash_backoffice_lang=en")),
        "{cookies:?}"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn managers_see_and_change_only_their_scope_and_roles(pool: PgPool) {
    seed(&pool).await;
    // Another partner with its own issuer and operator: outside the demo partner's scope.
    let other_partner: i64 = sqlx::query_scalar(
        "INSERT INTO partner_companies (name, vat_number, country_code)
         VALUES ('Other Partner', '999999990', 'PRT') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let other_issuer: i64 = sqlx::query_scalar(
        "INSERT INTO issuer_companies (partner_company_id, name, vat_number, country_code, status)
         VALUES ($1, 'Other Issuer', '999999991', 'PRT', 'ACTIVE') RETURNING id",
    )
    .bind(other_partner)
    .fetch_one(&pool)
    .await
    .unwrap();
    let outsider: i64 = sqlx::query_scalar(
        "INSERT INTO operators (issuer_company_id, email, name, role, password_hash)
         VALUES ($1, 'outsider@example.com', 'Outsider', 'ISSUER', 'x') RETURNING id",
    )
    .bind(other_issuer)
    .fetch_one(&pool)
    .await
    .unwrap();
    let url = spawn(pool.clone(), None).await;
    let http = client();
    let admin_id = id_of(&pool, "admin@signstash.local").await;
    let partner_id = id_of(&pool, "partner@signstash.local").await;
    let issuer_op = id_of(&pool, "issuer@signstash.local").await;

    let partner = sign_in(
        &http,
        &url,
        "partner@signstash.local",
        "partner-demo-password",
    )
    .await
    .unwrap();
    let (status, page) = get(&http, &url, &partner, "/operators?lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("partner@signstash.local"));
    assert!(page.contains("role=ISSUER") && !page.contains("role=AUDITOR"));
    let (_, page) = get(&http, &url, &partner, "/operators?role=ISSUER&lang=en").await;
    assert!(page.contains("issuer@signstash.local") && !page.contains("outsider@"));
    let (_, page) = get(
        &http,
        &url,
        &partner,
        "/operators?role=ISSUER&company=Other",
    )
    .await;
    assert!(!page.contains("issuer@signstash.local"));
    // Ids outside the scope, or of a higher role, are 404 like missing ones.
    for id in [admin_id, outsider, 999_999] {
        assert_eq!(
            get(&http, &url, &partner, &format!("/operators/{id}"))
                .await
                .0,
            404
        );
        let (status, _, _) = post(
            &http,
            &url,
            &partner,
            &format!("/operators/{id}"),
            &[("name", "Hacked"), ("status", "INACTIVE")],
        )
        .await;
        assert_eq!(status, 404, "{id}");
    }
    assert_eq!(get(&http, &url, &partner, "/operators/abc").await.0, 404);
    let name: String = sqlx::query_scalar("SELECT name FROM operators WHERE id = $1")
        .bind(outsider)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "Outsider");
    // A partner may not pick another partner's issuer for a new operator.
    let (status, _, _) = post(
        &http,
        &url,
        &partner,
        "/operators",
        &[
            ("name", "Sneaky"),
            ("email", "sneaky@example.com"),
            ("role", "ISSUER"),
            ("company", &format!("I{other_issuer}")),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(status, 422);

    // The issuer operator: no PARTNER may be created, the partner operator is not its.
    let issuer = sign_in(
        &http,
        &url,
        "issuer@signstash.local",
        "issuer-demo-password",
    )
    .await
    .unwrap();
    assert_eq!(
        get(&http, &url, &issuer, &format!("/operators/{partner_id}"))
            .await
            .0,
        404
    );
    let demo_issuer = issuer_id(&pool, "Demo Issuer").await;
    let (status, _, _) = post(
        &http,
        &url,
        &issuer,
        "/operators",
        &[
            ("name", "Would-be partner"),
            ("email", "wannabe@example.com"),
            ("role", "PARTNER"),
            ("company", &format!("I{demo_issuer}")),
            ("language", "en"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    let created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM operators WHERE email = 'wannabe@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(created, 0);

    // The auditor: no Operators menu; its POSTs are refused.
    let auditor = sign_in(
        &http,
        &url,
        "auditor@signstash.local",
        "auditor-demo-password",
    )
    .await
    .unwrap();
    assert_eq!(get(&http, &url, &auditor, "/operators").await.0, 404);
    let (status, _, _) = post(
        &http,
        &url,
        &auditor,
        &format!("/operators/{issuer_op}/unlock"),
        &[],
    )
    .await;
    assert_eq!(status, 403);

    // Unlock: LOCKED → ACTIVE with the failures reset; the operator signs in again.
    sqlx::query("UPDATE operators SET status = 'LOCKED', failed_sign_ins = 5 WHERE id = $1")
        .bind(issuer_op)
        .execute(&pool)
        .await
        .unwrap();
    assert!(sign_in(
        &http,
        &url,
        "issuer@signstash.local",
        "issuer-demo-password"
    )
    .await
    .is_none());
    let (_, page) = get(
        &http,
        &url,
        &partner,
        &format!("/operators/{issuer_op}?lang=en"),
    )
    .await;
    assert!(page.contains("Locked") && page.contains("/unlock"));
    let (status, location, _) = post(
        &http,
        &url,
        &partner,
        &format!("/operators/{issuer_op}/unlock"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.ends_with("?done=unlocked"));
    let (status, failures): (String, i32) =
        sqlx::query_as("SELECT status, failed_sign_ins FROM operators WHERE id = $1")
            .bind(issuer_op)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), failures), ("ACTIVE", 0));
    let issuer = sign_in(
        &http,
        &url,
        "issuer@signstash.local",
        "issuer-demo-password",
    )
    .await
    .unwrap();

    // Edit: INACTIVE ends the operator's session at its next request; audited.
    let (status, _, _) = post(
        &http,
        &url,
        &partner,
        &format!("/operators/{issuer_op}"),
        &[("name", "Renamed Issuer Operator"), ("status", "INACTIVE")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(get(&http, &url, &issuer, "/home").await.0, 303);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE target_kind = 'operator' AND target_id = $1 ORDER BY id",
    )
    .bind(issuer_op.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(actions, ["operator.unlocked", "operator.updated"]);
}

/// The new pages in Chromium, each checked by axe-core (no serious or critical violation) with
/// a screenshot: the operators list, the create form sent with errors and then right, the
/// detail, the edit form, the profile, "forgot password" and an activation link's form.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_operators_pages_work_in_chromium_and_pass_axe(pool: PgPool) {
    use serde_json::json;
    let Some(axe) = webdriver::axe_source() else {
        return;
    };
    seed(&pool).await;
    let url = spawn(pool.clone(), None).await;
    let Some(browser) = webdriver::Browser::start("en").await else {
        return;
    };
    let artifacts =
        signstash_test_support::workspace_root().join("target/test-artifacts/backoffice");
    let check = |name: &'static str| {
        let (browser, axe, artifacts) = (&browser, &axe, &artifacts);
        async move { webdriver::check_page(browser, axe, artifacts, name, &[]).await }
    };
    browser
        .goto(&format!("{url}/forgot-password?lang=en"))
        .await;
    browser.wait_for("form button").await;
    check("forgot-password").await;
    browser.goto(&format!("{url}/sign-in")).await;
    let field = browser.wait_for("#email").await;
    browser.type_into(&field, "admin@signstash.local").await;
    let field = browser.wait_for("#password").await;
    browser.type_into(&field, "admin-demo-password").await;
    let submit = browser.wait_for("form.sign-in button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("nav.menu").await;
    browser.goto(&format!("{url}/operators?role=ISSUER")).await;
    browser.wait_for("nav.tabs a[aria-current='page']").await;
    check("operators-list").await;
    // The first step: the company, searched.
    browser.goto(&format!("{url}/operators/new")).await;
    let field = browser.wait_for("#q").await;
    check("operators-new-company").await;
    browser.type_into(&field, "Demo Issuer").await;
    let search = browser.wait_for("form[role=search] button").await;
    browser.click(&search).await;
    let chosen = browser
        .wait_for("ul.choices a[href^='/operators/new?company=I']")
        .await;
    browser.click(&chosen).await;
    let submit = browser.wait_for("main form button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("p.message-error").await;
    // The form with errors answers 422, which the console notes.
    webdriver::check_page(
        &browser,
        &axe,
        &artifacts,
        "operators-new-errors",
        &["422 (Unprocessable"],
    )
    .await;
    let field = browser.wait_for("#name").await;
    browser.type_into(&field, "Carla <i>Chromium</i>").await;
    let field = browser.wait_for("#email").await;
    browser.type_into(&field, "carla@example.com").await;
    browser
        .execute(
            "document.getElementById('role').value = 'ISSUER';",
            json!([]),
        )
        .await;
    let submit = browser.wait_for("main form button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("p.message-ok").await;
    assert!(browser
        .source()
        .await
        .contains("Carla &lt;i&gt;Chromium&lt;/i&gt;"));
    check("operators-detail").await;
    let edit = browser.wait_for("a[href$='/edit']").await;
    browser.click(&edit).await;
    browser.wait_for("#status").await;
    check("operators-edit").await;
    browser.goto(&format!("{url}/profile")).await;
    browser.wait_for("#old_password").await;
    check("profile").await;
    // An activation link's page (a token made here; only its hash is stored).
    let token = "cd".repeat(32);
    sqlx::query(
        "INSERT INTO operator_tokens (token_hash, operator_id, purpose, expires_at)
         SELECT sha256($1::bytea), id, 'ACTIVATION', now() + interval '1 hour'
         FROM operators WHERE email = 'carla@example.com'",
    )
    .bind(token.as_bytes())
    .execute(&pool)
    .await
    .unwrap();
    browser.goto(&format!("{url}/activate/{token}")).await;
    browser.wait_for("#confirmation").await;
    check("activate").await;
}
