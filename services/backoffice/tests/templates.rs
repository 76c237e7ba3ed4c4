//! Visual templates and the configuration test, over HTTP as an operator uses them: uploads
//! checked and stored where the portal and the e-mails read them (`templates::effective`),
//! hostile ones refused beside their field with nothing stored, back to the default, the
//! tenancy scope and the roles; the configuration test signs (checked by `openssl cms`) and
//! mails through a real SMTP server (aiosmtpd), the system's or the client service's own.
#![allow(clippy::unwrap_used)]

mod common;

use std::ops::Deref;

use backoffice::config::Config;
use common::{answer, Answer, Client, Service};
use reqwest::Method;
use secrecy::SecretString;
use signstash_domain::{ClientServiceId, Language, Role, TemplateKind};
use signstash_store::templates;
use signstash_test_support::pki::TestPki;
use signstash_test_support::webdriver;
use sqlx::PgPool;

/// The service in English over the demo tenants (sealed with its master key, so that the
/// configuration test signs with `demo`'s certificate).
struct World {
    app: Service,
    pki: TestPki,
    demo: ClientServiceId,
    demo2: ClientServiceId,
}

impl Deref for World {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.app
    }
}

async fn world(pool: PgPool, config: Config) -> World {
    let demo = common::seed_demo(&pool, &config).await;
    World {
        app: Service::serve(pool, config).await.english(),
        pki: demo.pki,
        demo: demo.client_services[0],
        demo2: demo.client_services[1],
    }
}

impl World {
    /// The portal form at `base`: `css` and a logo (its bytes and file name), with the CSRF
    /// token, as multipart.
    async fn upload(
        &self,
        op: &Client,
        base: &str,
        css: &str,
        logo: Option<(Vec<u8>, &str)>,
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new()
            .text("csrf_token", op.csrf.clone())
            .text("css", css.to_owned());
        if let Some((bytes, name)) = logo {
            form = form.part(
                "logo",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        answer(
            op.request(Method::POST, &format!("{base}/portal"))
                .multipart(form),
        )
        .await
    }

    async fn effective(
        &self,
        kind: TemplateKind,
        language: Language,
    ) -> Option<templates::Template> {
        templates::effective(&self.pool, self.demo, kind, Some(language))
            .await
            .unwrap()
    }

    async fn stored_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM templates")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn audited(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_issuer_uploads_css_and_a_logo_which_the_portal_reads(pool: PgPool) {
    let w = world(pool, Config::default()).await;
    let issuer = w.signed_in(Role::Issuer).await;
    let base = format!("/client-services/{}/templates", w.demo.0);
    let (status, page) = issuer.page(&base).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("uses the platform&#39;s built-in default")
            || page.contains("built-in default"),
        "{page}"
    );
    assert!(page.contains("<label for=\"css\">CSS</label>"));

    let css = ":root { --brand: #0B7A3E; --brand-text: #fff }\nbody { margin: 0 }";
    let Answer {
        status, location, ..
    } = w
        .upload(&issuer, &base, css, Some((PNG.to_vec(), "logo.png")))
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some(format!("{base}?done=saved").as_str()))
    );

    // What the portal (and the e-mails' brand) read.
    let portal = w
        .effective(TemplateKind::Portal, Language::PtPt)
        .await
        .unwrap();
    assert_eq!(portal.client_service_id, Some(w.demo));
    assert_eq!(portal.body, css);
    assert_eq!(portal.logo.as_deref(), Some(PNG));
    assert_eq!(portal.logo_content_type.as_deref(), Some("image/png"));
    // demo2 is untouched.
    assert!(
        templates::effective(&w.pool, w.demo2, TemplateKind::Portal, Some(Language::PtPt))
            .await
            .unwrap()
            .is_none()
    );

    let (_, page) = issuer.page(&format!("{base}?done=saved")).await;
    assert!(
        page.contains("This client service uses its own template."),
        "{page}"
    );
    assert!(page.contains("fill=\"#0b7a3e\""), "the brand swatch");
    assert!(page.contains(&format!("src=\"{base}/logo\"")));
    let logo = issuer
        .request(Method::GET, &format!("{base}/logo"))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert!(logo.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert_eq!(logo.bytes().await.unwrap().as_ref(), PNG);

    // Saving CSS alone keeps the logo.
    let Answer { status, .. } = w
        .upload(&issuer, &base, ":root { --brand: #123456 }", None)
        .await;
    assert_eq!(status, 303);
    let portal = w
        .effective(TemplateKind::Portal, Language::PtPt)
        .await
        .unwrap();
    assert_eq!(portal.body, ":root { --brand: #123456 }");
    assert_eq!(portal.logo.as_deref(), Some(PNG));
    assert_eq!(w.audited("client_service.template_saved").await, 2);

    // Back to the default: nothing of the client service's is left, even once chosen.
    sqlx::query("UPDATE client_services SET portal_template_id = $2 WHERE id = $1")
        .bind(w.demo)
        .bind(portal.id)
        .execute(&w.pool)
        .await
        .unwrap();
    let Answer { status, .. } = issuer
        .post(&format!("{base}/default"), &[("kind", "PORTAL")])
        .await;
    assert_eq!(status, 303);
    assert!(w
        .effective(TemplateKind::Portal, Language::PtPt)
        .await
        .is_none());
    assert_eq!(w.stored_count().await, 0);
    assert_eq!(w.audited("client_service.template_reset").await, 1);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn hostile_templates_are_refused_beside_their_field_and_nothing_is_stored(pool: PgPool) {
    let w = world(pool, Config::default()).await;
    let partner = w.signed_in(Role::Partner).await;
    let base = format!("/client-services/{}/templates", w.demo.0);

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="1" height="1"/></svg>"#;
    let Answer {
        status, body: page, ..
    } = w
        .upload(
            &partner,
            &base,
            ":root { --brand: #000 }",
            Some((svg.to_vec(), "logo.svg")),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<span class=\"field-error\" id=\"logo-error\">The SVG holds"),
        "{page}"
    );
    let onload = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    let Answer {
        status, body: page, ..
    } = w
        .upload(&partner, &base, "", Some((onload.to_vec(), "logo.svg")))
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"logo-error\""));

    let css = "body { background: url(https://evil.example/x.png) } </style><b>";
    let Answer {
        status, body: page, ..
    } = w.upload(&partner, &base, css, None).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<span class=\"field-error\" id=\"css-error\">The CSS holds"),
        "{page}"
    );
    // What was typed is kept, escaped.
    assert!(
        page.contains("url(https://evil.example/x.png) } &#60;/style&#62;&#60;b&#62;</textarea>"),
        "{page}"
    );

    let Answer {
        status, body: page, ..
    } = partner
        .post(
            &format!("{base}/signature-text"),
            &[("text", "Signed by ${signer} for ${customer}")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("<span class=\"field-error\" id=\"text-error\">This holds a reference"),
        "{page}"
    );
    assert!(page.contains("Signed by ${signer} for ${customer}</textarea>"));

    let Answer {
        status, body: page, ..
    } = partner
        .post(
            &format!("{base}/email"),
            &[
                ("language", "en"),
                ("subject", "Hi {{nope}}"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"subject_en-error\""), "{page}");

    // Too large: 413, nothing read past the limit.
    let big = [PNG, &vec![0u8; 600 * 1024]].concat();
    let Answer { status, .. } = w.upload(&partner, &base, "", Some((big, "big.png"))).await;
    assert_eq!(status, 413);
    // Over the service's body limit too.
    let huge = [PNG, &vec![0u8; 3 * 1024 * 1024]].concat();
    let Answer { status, .. } = w
        .upload(&partner, &base, "", Some((huge, "huge.png")))
        .await;
    assert_eq!(status, 413);

    assert_eq!(w.stored_count().await, 0);
    assert_eq!(w.audited("client_service.template_saved").await, 0);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn email_and_signature_text_are_previewed_with_sample_values(pool: PgPool) {
    let w = world(pool, Config::default()).await;
    let issuer = w.signed_in(Role::Issuer).await;
    let base = format!("/client-services/{}/templates", w.demo.0);
    let Answer { status, .. } = issuer
        .post(
            &format!("{base}/email"),
            &[
                ("language", "pt_PT"),
                ("subject", "Fatura de {{issuer_name}}"),
                (
                    "body",
                    "Olá {{receiver_email}} <b>veja</b>\r\n{{portal_link}}",
                ),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let email = w
        .effective(TemplateKind::Email, Language::PtPt)
        .await
        .unwrap();
    assert_eq!(email.client_service_id, Some(w.demo));
    assert_eq!(email.subject.as_deref(), Some("Fatura de {{issuer_name}}"));
    assert_eq!(
        email.body,
        "Olá {{receiver_email}} <b>veja</b>\n{{portal_link}}"
    );
    assert!(w
        .effective(TemplateKind::Email, Language::En)
        .await
        .is_none());

    let Answer { status, .. } = issuer
        .post(
            &format!("{base}/signature-text"),
            &[("text", "Assinado por ${signer}\nEm $date")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = issuer.page(&base).await;
    assert!(
        page.contains("<strong>Subject:</strong> Fatura de Demo Issuer</p>"),
        "{page}"
    );
    assert!(
        page.contains(
            "Olá receiver@example.com &#60;b&#62;veja&#60;/b&#62;\nhttps://portal.example/d/"
        ),
        "{page}"
    );
    assert!(page.contains("Assinado por Maria Example\nEm 20"), "{page}");

    // The administrator's system default applies once the client service goes back to it.
    let admin = w.signed_in(Role::SystemAdministrator).await;
    let Answer { status, .. } = admin
        .post(
            "/system-configurations/templates/signature-text",
            &[("text", "Sistema: ${signer}")],
        )
        .await;
    assert_eq!(status, 303);
    let Answer { status, .. } = issuer
        .post(&format!("{base}/default"), &[("kind", "SIGNATURE_TEXT")])
        .await;
    assert_eq!(status, 303);
    let text = w
        .effective(TemplateKind::SignatureText, Language::PtPt)
        .await
        .unwrap();
    assert_eq!(
        (text.client_service_id, text.body.as_str()),
        (None, "Sistema: ${signer}")
    );
    let (_, page) = issuer.page(&base).await;
    assert!(page.contains("This client service uses the system default."));
    assert_eq!(w.audited("system.template_saved").await, 1);
    assert_eq!(w.audited("client_service.template_reset").await, 1);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn other_tenants_are_missing_auditors_only_read_and_system_templates_are_the_admins(
    pool: PgPool,
) {
    let w = world(pool, Config::default()).await;
    let issuer = w.signed_in(Role::Issuer).await;
    let demo2 = format!("/client-services/{}", w.demo2.0);
    for path in [
        format!("{demo2}/templates"),
        format!("{demo2}/templates/logo"),
        format!("{demo2}/test"),
        "/client-services/x/templates".into(),
        "/client-services/999999/test".into(),
    ] {
        assert_eq!(issuer.get(&path).await.status, 404, "{path}");
    }
    let own = format!("/client-services/{}/templates", w.demo.0);
    let Answer { status, .. } = issuer
        .post(
            &format!("{demo2}/templates/signature-text"),
            &[("text", "x ${signer}")],
        )
        .await;
    assert_eq!(status, 404);

    let auditor = w.signed_in(Role::Auditor).await;
    let (status, page) = auditor.page(&own).await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("<form method=\"post\" action=\"/client-services"),
        "no forms for an auditor"
    );
    assert!(!page.contains("/test\""), "no configuration test link");
    for (to, fields) in [
        (format!("{own}/signature-text"), vec![("text", "x")]),
        (
            format!("{own}/email"),
            vec![("language", "en"), ("subject", "s"), ("body", "b")],
        ),
        (format!("{own}/default"), vec![("kind", "PORTAL")]),
        (
            format!("/client-services/{}/test", w.demo.0),
            vec![("receiver", "a@example.com")],
        ),
    ] {
        assert_eq!(auditor.post(&to, &fields).await.status, 403, "{to}");
    }
    assert_eq!(w.upload(&auditor, &own, ":root{}", None).await.status, 403);
    assert_eq!(
        auditor
            .get(&format!("/client-services/{}/test", w.demo.0))
            .await
            .status,
        404
    );

    // A multipart form without the session's token.
    let r = answer(
        issuer
            .request(Method::POST, &format!("{own}/portal"))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf_token", "nope")
                    .text("css", ":root{}"),
            ),
    )
    .await;
    assert_eq!(r.status, 403);

    for who in [Role::Partner, Role::Issuer, Role::Auditor] {
        let op = w.signed_in(who).await;
        assert_eq!(
            op.get("/system-configurations/templates").await.status,
            404,
            "{who:?}"
        );
    }
    let admin = w.signed_in(Role::SystemAdministrator).await;
    assert_eq!(
        admin.get("/system-configurations/templates").await.status,
        200
    );
    assert_eq!(w.stored_count().await, 0);
}

#[test]
fn the_certificate_key_context_is_integration_ws_one() {
    assert_eq!(
        backoffice::routes::templates::test::CERTIFICATE_KEY_CONTEXT,
        integration_ws::state::CERTIFICATE_KEY_CONTEXT
    );
}

/// The steps' results of a configuration test page: (ok, message) per row.
fn results(page: &str) -> Vec<bool> {
    page.match_indices("<tr class=\"step-")
        .map(|(at, _)| page[at..].starts_with("<tr class=\"step-ok\""))
        .collect()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_configuration_test_signs_and_mails_through_a_real_smtp_server(pool: PgPool) {
    let Some(smtp) = signstash_test_support::smtp::SmtpServer::accepting() else {
        return;
    };
    let config = Config {
        smtp_url: Some(SecretString::from(smtp.url())),
        ..Config::default()
    };
    let w = world(pool, config).await;
    let issuer = w.signed_in(Role::Issuer).await;
    let test = format!("/client-services/{}/test", w.demo.0);
    let (status, page) = issuer.page(&test).await;
    assert_eq!(status, 200);
    assert!(page.contains("<label for=\"receiver\">"));
    let Answer {
        status, body: page, ..
    } = issuer.post(&test, &[("receiver", "not an address")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"receiver-error\""));

    let Answer {
        status, body: page, ..
    } = issuer.post(&test, &[("receiver", "ops@example.com")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(results(&page), [true, true, true], "{page}");
    assert!(
        page.contains("Accepted by the system&#39;s SMTP server"),
        "{page}"
    );

    // The signature, checked by a validator we did not write.
    let start = page.find("signature-value\">").unwrap() + 17;
    let b64 = &page[start..start + page[start..].find("</pre>").unwrap()];
    use base64::Engine as _;
    let p7s = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sample.p7s"), &p7s).unwrap();
    std::fs::write(
        dir.path().join("sample.txt"),
        backoffice::routes::templates::test::SAMPLE_TEXT,
    )
    .unwrap();
    signstash_test_support::validators::openssl_cms(
        &dir.path().join("sample.p7s"),
        Some(&dir.path().join("sample.txt")),
        &w.pki.ca(),
    )
    .unwrap();

    let files = smtp.wait_for(1);
    assert_eq!(files.len(), 1, "{}", smtp.log());
    let mails = smtp.messages();
    assert!(mails[0].to.contains("ops@example.com"));
    assert!(mails[0].subject.contains("demo"), "{}", mails[0].subject);
    assert_eq!(w.audited("client_service.configuration_tested").await, 1);

    // The client service's own SMTP server (here the same aiosmtpd) wins over the system's,
    // which is made unusable to prove it.
    let port: i32 = smtp.url().rsplit(':').next().unwrap().parse().unwrap();
    sqlx::query("UPDATE client_services SET smtp_host = '127.0.0.1', smtp_port = $2, smtp_security = 'NONE', mail_from = 'Demo <demo@example.com>' WHERE id = $1")
        .bind(w.demo)
        .bind(port)
        .execute(&w.pool)
        .await
        .unwrap();
    let Answer {
        status, body: page, ..
    } = issuer
        .post(&test, &[("receiver", "ops2@example.com")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(results(&page), [true, true, true], "{page}");
    assert!(
        page.contains("Accepted by the client service&#39;s SMTP server"),
        "{page}"
    );
    assert_eq!(smtp.wait_for(2).len(), 2);
    let mails = smtp.messages();
    assert!(mails
        .iter()
        .any(|m| m.to.contains("ops2@example.com") && m.from.contains("demo@example.com")));

    // Without a certificate: both certificate and signing fail, the mail still goes.
    sqlx::query("UPDATE client_services SET certificate_id = NULL WHERE id = $1")
        .bind(w.demo)
        .execute(&w.pool)
        .await
        .unwrap();
    let Answer { body: page, .. } = issuer
        .post(&test, &[("receiver", "ops3@example.com")])
        .await;
    assert_eq!(results(&page), [false, false, true], "{page}");
    assert!(page.contains("The client service has no certificate configured."));
}

/// The pages in Chromium: the templates page (with a form sent with an error), the system
/// templates and the configuration test with its results, each checked by axe-core (no
/// serious or critical violation), without console errors, a screenshot kept.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_pages_pass_axe_in_chromium(pool: PgPool) {
    let Some(axe) = webdriver::axe_source() else {
        return;
    };
    let mail = tempfile::tempdir().unwrap();
    let config = Config {
        mail_dir: mail.path().to_path_buf(),
        ..Config::default()
    };
    let w = world(pool, config).await;
    let Some(browser) = webdriver::Browser::start("en").await else {
        return;
    };
    let artifacts =
        signstash_test_support::workspace_root().join("target/test-artifacts/backoffice/templates");
    // A form sent with errors answers 422, which the console reports: expected there.
    let check = |name: &'static str, allowed: &'static [&'static str]| {
        let (browser, axe, artifacts) = (&browser, &axe, &artifacts);
        async move { webdriver::check_page(browser, axe, artifacts, name, allowed).await }
    };
    browser.goto(&format!("{}/sign-in?lang=en", w.url)).await;
    let field = browser.wait_for("#email").await;
    browser.type_into(&field, "admin@signstash.local").await;
    let field = browser.wait_for("#password").await;
    browser.type_into(&field, "admin-demo-password").await;
    let submit = browser.wait_for("form.sign-in button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("nav.menu").await;

    let base = format!("{}/client-services/{}/templates", w.url, w.demo.0);
    browser.goto(&base).await;
    browser.wait_for("#css").await;
    check("client-service-templates", &[]).await;
    let text = browser.wait_for("#text").await;
    browser
        .execute(
            "document.getElementById('text').value = '';",
            serde_json::json!([]),
        )
        .await;
    browser.type_into(&text, "Signed by ${nobody}").await;
    let save = browser
        .wait_for("form[action$='/signature-text'] button[type=submit]")
        .await;
    browser.click(&save).await;
    browser.wait_for("#text-error").await;
    check("client-service-templates-error", &["status of 422"]).await;

    browser
        .goto(&format!("{}/system-configurations/templates", w.url))
        .await;
    browser.wait_for("#css").await;
    check("system-templates", &[]).await;

    browser
        .goto(&format!("{}/client-services/{}/test", w.url, w.demo.0))
        .await;
    let receiver = browser.wait_for("#receiver").await;
    browser.type_into(&receiver, "ops@example.com").await;
    let run = browser
        .wait_for("form button[type=submit]:not(.sign-out button)")
        .await;
    browser.click(&run).await;
    browser.wait_for("table.test-results").await;
    check("configuration-test", &[]).await;
    assert_eq!(
        browser.find_all("tr.step-ok").await.len(),
        3,
        "{}",
        browser.source().await
    );
}
