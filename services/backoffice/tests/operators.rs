//! The Operators menu, the activation and reset links and the profile, over HTTP against a
//! real SMTP server (aiosmtpd): the e-mails arrive, their links work once and expire; the scope
//! and the roles bound what a manager sees and changes.
#![allow(clippy::unwrap_used)]

mod common;

use common::{arrived, link_in, mail_config, Answer, Service};
use signstash_test_support::smtp::SmtpServer;
use signstash_test_support::webdriver;
use sqlx::PgPool;

async fn id_of(pool: &PgPool, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM operators WHERE email = $1")
        .bind(email)
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
    let app = Service::demo(pool.clone(), mail_config(Some(&smtp))).await;
    let visitor = app.anonymous();
    let admin = app
        .sign_in("admin@signstash.local", "admin-demo-password")
        .await
        .unwrap();
    let issuer = app.issuer_id("Demo Issuer").await;
    let company = format!("I{issuer}");

    // Create: a form with errors keeps what was typed and says why beside the field.
    let Answer {
        status, body: page, ..
    } = admin
        .post(
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
    let Answer { status, .. } = admin
        .post(
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
    let Answer {
        status, location, ..
    } = admin
        .post(
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
    let location = location.unwrap_or_default();
    assert_eq!(status, 303, "{location}");
    assert!(location.ends_with("?done=created"), "{location}");
    // Markup in the name is shown inert.
    let (status, page) = admin.page(&location).await;
    assert_eq!(status, 200);
    assert!(!page.contains("<b>Bold</b>"), "{page}");
    assert!(page.contains("Ana &#60;b&#62;Bold") || page.contains("Ana &lt;b&gt;Bold"));
    assert!(page.contains("Registered") || page.contains("Registado"));
    // The e-mail taken: beside the field.
    let Answer {
        status, body: page, ..
    } = admin
        .post(
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
    assert!(app
        .sign_in("ana@example.com", "a-good-long-password")
        .await
        .is_none());

    let page = visitor.get(&link).await;
    assert_eq!(page.status, 200);
    // Too short, the e-mail itself, a confirmation that differs: refused beside the field.
    for (password, confirmation) in [
        ("short", "short"),
        ("ana@example.com", "ana@example.com"),
        ("a-good-long-password", "another-long-password"),
    ] {
        let Answer { status, .. } = visitor
            .post_as_is(
                &link,
                &[("password", password), ("confirmation", confirmation)],
            )
            .await;
        assert_eq!(status, 422, "{password}");
    }
    let Answer { status, .. } = visitor
        .post_as_is(
            &link,
            &[
                ("password", "a-good-long-password"),
                ("confirmation", "a-good-long-password"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let ana = app.sign_in("ana@example.com", "a-good-long-password").await;
    assert!(ana.is_some(), "the activated operator signs in");
    // The link works once.
    let Answer {
        status, body: used, ..
    } = visitor
        .post_as_is(
            &link,
            &[
                ("password", "yet-another-password"),
                ("confirmation", "yet-another-password"),
            ],
        )
        .await;
    assert_eq!(status, 410);
    let again = visitor.get(&link).await;
    assert_eq!(again.status, 410);
    let unknown = visitor.get(&format!("/activate/{}", "ab".repeat(32))).await;
    assert_eq!(unknown.status, 410);
    let main = |page: &str| page[page.find("<main").unwrap()..].to_string();
    assert_eq!(
        main(&unknown.body),
        main(&used),
        "one page for every bad link"
    );
    assert!(app
        .sign_in("ana@example.com", "yet-another-password")
        .await
        .is_none());
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
    let Answer { status, .. } = admin
        .post(
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
    assert_eq!(visitor.get(&link).await.status, 410);
    let Answer { status, .. } = visitor
        .post_as_is(
            &link,
            &[
                ("password", "a-good-long-password"),
                ("confirmation", "a-good-long-password"),
            ],
        )
        .await;
    assert_eq!(status, 410);

    // Forgot password: the same page for a known and an unknown address; one e-mail.
    let sign_in_page = visitor.get("/sign-in").await.body;
    assert!(sign_in_page.contains("href=\"/forgot-password\""));
    let Answer {
        status,
        body: known,
        ..
    } = visitor
        .post_as_is("/forgot-password", &[("email", "issuer@signstash.local")])
        .await;
    assert_eq!(status, 200);
    let Answer {
        status,
        body: unknown,
        ..
    } = visitor
        .post_as_is("/forgot-password", &[("email", "nobody@example.com")])
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
    let issuer_session = app
        .sign_in("issuer@signstash.local", "issuer-demo-password")
        .await
        .unwrap();
    let Answer { status, .. } = visitor
        .post_as_is(
            &link,
            &[
                ("password", "a-brand-new-password"),
                ("confirmation", "a-brand-new-password"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    // The reset ended the operator's sessions; the new password works, the old one not.
    let (status, _) = issuer_session.page("/home").await;
    assert_eq!(status, 303);
    assert!(app
        .sign_in("issuer@signstash.local", "issuer-demo-password")
        .await
        .is_none());
    assert!(app
        .sign_in("issuer@signstash.local", "a-brand-new-password")
        .await
        .is_some());
    let Answer { status, .. } = visitor
        .post_as_is(
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
        visitor
            .post_as_is("/forgot-password", &[("email", "partner@signstash.local")])
            .await;
    }
    arrived(&smtp, 6).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 6);
    visitor
        .post_as_is("/forgot-password", &[("email", "partner@signstash.local")])
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.delivered().len(), 6, "over the limit: no e-mail");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn set_credentials_asks_for_the_old_password_and_ends_the_other_sessions(pool: PgPool) {
    let app = Service::demo(pool.clone(), mail_config(None)).await;
    // The auditor may use its own profile too.
    let auditor = app
        .sign_in("auditor@signstash.local", "auditor-demo-password")
        .await
        .unwrap();
    let (status, page) = auditor.page("/profile?lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("Demo Auditor") && page.contains("Demo Issuer"));
    assert!(page.contains("href=\"/profile\""), "linked from the header");

    let a = app
        .sign_in("partner@signstash.local", "partner-demo-password")
        .await
        .unwrap();
    let b = app
        .sign_in("partner@signstash.local", "partner-demo-password")
        .await
        .unwrap();
    let Answer {
        status, body: page, ..
    } = a
        .post(
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
    assert!(app
        .sign_in("partner@signstash.local", "partner-new-password")
        .await
        .is_none());
    let Answer {
        status, location, ..
    } = a
        .post(
            "/profile/password",
            &[
                ("old_password", "partner-demo-password"),
                ("password", "partner-new-password"),
                ("confirmation", "partner-new-password"),
            ],
        )
        .await;
    let location = location.unwrap_or_default();
    assert_eq!(status, 303);
    assert_eq!(location, "/profile?done=password");
    assert_eq!(a.get("/profile").await.status, 200, "this session goes on");
    assert_eq!(b.get("/profile").await.status, 303, "the other one ended");
    assert!(app
        .sign_in("partner@signstash.local", "partner-new-password")
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
    let Answer {
        status, location, ..
    } = a.post("/profile/language", &[("language", "en")]).await;
    let location = location.unwrap_or_default();
    assert_eq!(status, 303);
    let (_, page) = a.page(&location).await;
    assert!(page.contains("<html lang=\"en\"") && page.contains("Language saved."));
    let language: String = sqlx::query_scalar(
        "SELECT language FROM operators WHERE email = 'partner@signstash.local'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(language, "en");
    // And the next sign-in brings the pages in it.
    let r = app
        .post_sign_in("partner@signstash.local", "partner-new-password")
        .await;
    assert_eq!(r.status, 303);
    let cookies: Vec<&str> = r
        .headers
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
async fn wrong_old_passwords_in_the_profile_lock_the_operator_as_wrong_sign_ins_do(pool: PgPool) {
    let app = Service::demo(pool.clone(), mail_config(None)).await;
    let (email, password) = ("partner@signstash.local", "partner-demo-password");
    let status = || async {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT status, failed_sign_ins FROM operators WHERE email = $1",
        )
        .bind(email)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    async fn guess(s: &common::Client, old: &str) -> u16 {
        s.post(
            "/profile/password?lang=en",
            &[
                ("old_password", old),
                ("password", "partner-new-password"),
                ("confirmation", "partner-new-password"),
            ],
        )
        .await
        .status
    }
    let s = app.sign_in(email, password).await.unwrap();
    // Wrong guesses count; the right old password starts the count again.
    for _ in 0..3 {
        assert_eq!(guess(&s, "guess").await, 422);
    }
    assert_eq!(status().await, ("ACTIVE".to_owned(), 3));
    assert_eq!(guess(&s, password).await, 303);
    assert_eq!(status().await, ("ACTIVE".to_owned(), 0));
    // Five wrong ones in a row (the default `SIGNSTASH_BACKOFFICE_LOCK_AFTER`) lock it: the
    // session ends at its next request and signing in is refused.
    for _ in 0..5 {
        assert_eq!(guess(&s, "guess").await, 422);
    }
    assert_eq!(status().await.0, "LOCKED");
    let home = s.get("/home").await;
    assert_eq!(home.status, 303);
    assert!(app.sign_in(email, "partner-new-password").await.is_none());
    let guesses: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'operator.old_password_wrong'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(guesses, 8);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn managers_see_and_change_only_their_scope_and_roles(pool: PgPool) {
    let config = mail_config(None);
    common::seed_demo(&pool, &config).await;
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
    let app = Service::serve(pool.clone(), config).await;
    let admin_id = id_of(&pool, "admin@signstash.local").await;
    let partner_id = id_of(&pool, "partner@signstash.local").await;
    let issuer_op = id_of(&pool, "issuer@signstash.local").await;

    let partner = app
        .sign_in("partner@signstash.local", "partner-demo-password")
        .await
        .unwrap();
    let (status, page) = partner.page("/operators?lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("partner@signstash.local"));
    assert!(page.contains("role=ISSUER") && !page.contains("role=AUDITOR"));
    let (_, page) = partner.page("/operators?role=ISSUER&lang=en").await;
    assert!(page.contains("issuer@signstash.local") && !page.contains("outsider@"));
    let (_, page) = partner.page("/operators?role=ISSUER&company=Other").await;
    assert!(!page.contains("issuer@signstash.local"));
    // Ids outside the scope, or of a higher role, are 404 like missing ones.
    for id in [admin_id, outsider, 999_999] {
        assert_eq!(partner.get(&format!("/operators/{id}")).await.status, 404);
        let Answer { status, .. } = partner
            .post(
                &format!("/operators/{id}"),
                &[("name", "Hacked"), ("status", "INACTIVE")],
            )
            .await;
        assert_eq!(status, 404, "{id}");
    }
    assert_eq!(partner.get("/operators/abc").await.status, 404);
    let name: String = sqlx::query_scalar("SELECT name FROM operators WHERE id = $1")
        .bind(outsider)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "Outsider");
    // A partner may not pick another partner's issuer for a new operator.
    let Answer { status, .. } = partner
        .post(
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
    let issuer = app
        .sign_in("issuer@signstash.local", "issuer-demo-password")
        .await
        .unwrap();
    assert_eq!(
        issuer.get(&format!("/operators/{partner_id}")).await.status,
        404
    );
    let demo_issuer = app.issuer_id("Demo Issuer").await;
    let Answer { status, .. } = issuer
        .post(
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
    let auditor = app
        .sign_in("auditor@signstash.local", "auditor-demo-password")
        .await
        .unwrap();
    assert_eq!(auditor.get("/operators").await.status, 404);
    let Answer { status, .. } = auditor
        .post(&format!("/operators/{issuer_op}/unlock"), &[])
        .await;
    assert_eq!(status, 403);

    // Unlock: LOCKED → ACTIVE with the failures reset; the operator signs in again.
    sqlx::query("UPDATE operators SET status = 'LOCKED', failed_sign_ins = 5 WHERE id = $1")
        .bind(issuer_op)
        .execute(&pool)
        .await
        .unwrap();
    assert!(app
        .sign_in("issuer@signstash.local", "issuer-demo-password")
        .await
        .is_none());
    let (_, page) = partner
        .page(&format!("/operators/{issuer_op}?lang=en"))
        .await;
    assert!(page.contains("Locked") && page.contains("/unlock"));
    let Answer {
        status, location, ..
    } = partner
        .post(&format!("/operators/{issuer_op}/unlock"), &[])
        .await;
    let location = location.unwrap_or_default();
    assert_eq!(status, 303);
    assert!(location.ends_with("?done=unlocked"));
    let (status, failures): (String, i32) =
        sqlx::query_as("SELECT status, failed_sign_ins FROM operators WHERE id = $1")
            .bind(issuer_op)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), failures), ("ACTIVE", 0));
    let issuer = app
        .sign_in("issuer@signstash.local", "issuer-demo-password")
        .await
        .unwrap();

    // Edit: INACTIVE ends the operator's session at its next request; audited.
    let Answer { status, .. } = partner
        .post(
            &format!("/operators/{issuer_op}"),
            &[("name", "Renamed Issuer Operator"), ("status", "INACTIVE")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(issuer.get("/home").await.status, 303);
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
    let app = Service::demo(pool.clone(), mail_config(None)).await;
    let url = &app.url;
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
