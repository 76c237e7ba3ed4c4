//! The platform across its services: the real binaries over one database. What an operator
//! changes in the backoffice, integration-ws obeys at its next request, without a restart.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use serde_json::{json, Value};
use signstash_platform_tests::{ApiClient, Operator, Platform};
use signstash_test_support::corpus::PdfKind;
use signstash_test_support::validators;
use signstash_test_support::webdriver::{self, Browser};
use sqlx::PgPool;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_demo_operators_sign_in_and_the_demo_client_service_signs(pool: PgPool) {
    let platform = Platform::start(&pool).await;
    let admin = Operator::sign_in(
        &platform.backoffice,
        "admin@signstash.local",
        "admin-demo-password",
    )
    .await;
    assert_eq!(admin.get("/partner-companies").await.status, 200);
    let api = ApiClient::new(&platform.api);
    let token = api.token("demo", "demo-secret").await.unwrap();
    let (status, body) = api
        .sign(
            &token,
            "PLATFORM-1",
            ("note.txt", "text/plain", b"hello"),
            "CAdES",
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Selects `value` in the `<select id=…>`.
async fn choose(browser: &Browser, id: &str, value: &str) {
    browser
        .execute(
            "const s = document.getElementById(arguments[0]); s.value = arguments[1];
             if (s.value !== arguments[1]) { throw new Error('no option ' + arguments[1]); }",
            json!([id, value]),
        )
        .await;
}

/// A new client service's first step: the issuer found by `search` (part of its name or VAT
/// number) and chosen; the form is then open.
async fn new_client_service_for(browser: &Browser, bo: &str, search: &str, issuer: i64) {
    browser.goto(&format!("{bo}/client-services/new")).await;
    fill(browser, "q", search).await;
    submit(browser, "form[role=search]").await;
    let chosen = browser
        .wait_for(&format!(
            "ul.choices a[href='/client-services/new?issuer={issuer}']"
        ))
        .await;
    browser.click(&chosen).await;
    browser.wait_for("#bundle").await;
}

/// Types `text` into `#id`, replacing what it held.
async fn fill(browser: &Browser, id: &str, text: &str) {
    browser
        .execute(
            "document.getElementById(arguments[0]).value = '';",
            json!([id]),
        )
        .await;
    let field = browser.wait_for(&format!("#{id}")).await;
    browser.type_into(&field, text).await;
}

async fn submit(browser: &Browser, form: &str) {
    let button = browser
        .wait_for(&format!("{form} button[type=submit]"))
        .await;
    browser.click(&button).await;
}

/// The id at the end of the page's path (`/issuer-companies/7?done=created` → 7).
async fn id_in_url(browser: &Browser, prefix: &str) -> i64 {
    let url = browser.url().await;
    let at = url.find(prefix).unwrap() + prefix.len();
    url[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Signs until the answer is not 200 (integration-ws hears of a change by NOTIFY, a moment
/// after the backoffice commits it): the first other answer.
async fn sign_until_refused(api: &ApiClient, token: &str, reference: &str) -> (u16, Value) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for n in 0.. {
        let answer = api
            .sign(
                token,
                &format!("{reference}-{n}"),
                ("note.txt", "text/plain", b"hello"),
                "CAdES",
            )
            .await;
        if answer.0 != 200 || std::time::Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    unreachable!()
}

/// The walk through, in Chromium against the real binaries: the administrator creates
/// a partner, an issuer, activates it, creates a client service and reads its secret once;
/// with it the API answers `0.0.3` until a certificate is chosen, then signs; suspending the
/// issuer in the backoffice makes the next API calls `1.2.0` (integration-ws is not
/// restarted). A client service created for `demo`'s issuer with its certificate chosen in the
/// form signs a PDF pdfsig and pyHanko accept, and refuse once a byte is changed.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_administrator_onboards_a_client_service_in_the_browser_and_it_signs(pool: PgPool) {
    let Some(axe) = webdriver::axe_source() else {
        return;
    };
    let platform = Platform::start(&pool).await;
    let Some(browser) = Browser::start("pt-PT").await else {
        return;
    };
    let artifacts = signstash_test_support::workspace_root().join("target/test-artifacts/platform");
    let check = |name: &'static str| {
        let (browser, axe, artifacts) = (&browser, &axe, &artifacts);
        async move { webdriver::check_page(browser, axe, artifacts, name, &[]).await }
    };
    let bo = &platform.backoffice.url;
    browser.goto(&format!("{bo}/sign-in")).await;
    fill(&browser, "email", "admin@signstash.local").await;
    fill(&browser, "password", "admin-demo-password").await;
    submit(&browser, "form.sign-in").await;
    browser.wait_for("nav.menu").await;

    // A partner, then an issuer under it (REGISTERED), activated.
    browser.goto(&format!("{bo}/partner-companies/new")).await;
    fill(&browser, "name", "Parceiro E2E").await;
    fill(&browser, "vat_number", "500000069").await;
    submit(&browser, "main form").await;
    browser.wait_for("p.message-ok").await;
    let partner = id_in_url(&browser, "/partner-companies/").await;
    browser.goto(&format!("{bo}/issuer-companies/new")).await;
    choose(&browser, "partner", &partner.to_string()).await;
    fill(&browser, "name", "Emissor E2E").await;
    fill(&browser, "vat_number", "500000077").await;
    submit(&browser, "main form").await;
    browser.wait_for("p.message-ok").await;
    check("e2e-issuer-registered").await;
    let issuer = id_in_url(&browser, "/issuer-companies/").await;
    let status = |to: &'static str| {
        format!("form[action='/issuer-companies/{issuer}/status']:has(input[value='{to}'])")
    };
    submit(&browser, &status("ACTIVE")).await;
    browser.wait_for(&status("SUSPENDED")).await;

    // The client service: its secret shown once.
    new_client_service_for(&browser, bo, "Emissor E2E", issuer).await;
    fill(&browser, "bundle", "ERP E2E").await;
    submit(&browser, "main form").await;
    let secret = browser.wait_for("code#secret").await;
    let secret = browser.text(&secret).await;
    let alias = browser.wait_for("code#alias").await;
    let alias = browser.text(&alias).await;
    check("e2e-client-service-secret").await;
    assert!(alias.starts_with("PRT.500000069-PRT.500000077-"), "{alias}");
    let detail = browser.wait_for("main a.button").await;
    browser.click(&detail).await;
    browser.wait_for("dl.details").await;
    assert!(!browser.source().await.contains(&secret));
    let client_service: i64 = id_in_url(&browser, "/client-services/").await;

    // No certificate yet: 500 0.0.3.
    let api = ApiClient::new(&platform.api);
    let token = api.token(&alias, &secret).await.unwrap();
    let (status_code, body) = api
        .sign(
            &token,
            "E2E-1",
            ("note.txt", "text/plain", b"hello"),
            "CAdES",
        )
        .await;
    assert_eq!(
        (status_code, body["errorCode"].as_str()),
        (500, Some("0.0.3")),
        "{body}"
    );

    // The issuer's certificate (its Certificates menu comes with a later issue: here it is
    // registered as demo's is), then chosen in the client service's form.
    let certificate: i64 = sqlx::query_scalar(
        "INSERT INTO certificates (issuer_company_id, label, chain_pem, subject, serial_number,
             key_algorithm, not_before, not_after, key_source, key_reference, key_encrypted)
         SELECT $1, 'E2E signer', chain_pem, subject, serial_number, key_algorithm, not_before,
                not_after, key_source, key_reference, key_encrypted
         FROM certificates c JOIN client_services cs ON cs.certificate_id = c.id
         WHERE cs.alias = 'demo' RETURNING id",
    )
    .bind(issuer)
    .fetch_one(&pool)
    .await
    .unwrap();
    browser
        .goto(&format!("{bo}/client-services/{client_service}/edit"))
        .await;
    choose(&browser, "certificate", &certificate.to_string()).await;
    submit(&browser, "main form").await;
    browser.wait_for("p.message-ok").await;
    let refused = sign_until_refused(&api, &token, "E2E-2").await;
    assert_eq!(
        refused.0, 200,
        "signs once its certificate is chosen: {}",
        refused.1
    );

    // Suspended in the backoffice: integration-ws refuses its next calls, not restarted.
    browser
        .goto(&format!("{bo}/issuer-companies/{issuer}"))
        .await;
    submit(&browser, &status("SUSPENDED")).await;
    browser.wait_for(&status("ACTIVE")).await;
    let (code, body) = sign_until_refused(&api, &token, "E2E-3").await;
    assert_eq!(
        (code, body["errorCode"].as_str()),
        (403, Some("1.2.0")),
        "{body}"
    );

    // A client service of demo's issuer with demo's certificate, chosen in the form.
    let (demo_issuer, demo_issuer_vat, demo_certificate): (i64, String, i64) = sqlx::query_as(
        "SELECT ic.id, ic.vat_number, cs.certificate_id FROM client_services cs
         JOIN issuer_companies ic ON ic.id = cs.issuer_company_id WHERE cs.alias = 'demo'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    new_client_service_for(&browser, bo, &demo_issuer_vat, demo_issuer).await;
    choose(&browser, "certificate", &demo_certificate.to_string()).await;
    fill(&browser, "bundle", "Faturação").await;
    submit(&browser, "main form").await;
    let secret = browser.wait_for("code#secret").await;
    let secret = browser.text(&secret).await;
    let alias = browser.wait_for("code#alias").await;
    let alias = browser.text(&alias).await;
    let token = api.token(&alias, &secret).await.unwrap();
    let pdf = signstash_test_support::corpus::pdf(PdfKind::Classic, 2_000).unwrap();
    let (code, body) = api
        .sign(
            &token,
            "E2E-PDF",
            ("invoice.pdf", "application/pdf", &pdf),
            "PAdES",
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let document = &body["documentList"][0];
    assert_eq!(document["signStatus"], "SIGNED", "{document}");
    let signed = base64::engine::general_purpose::STANDARD
        .decode(document["signedContent"].as_str().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, &signed).unwrap();
    let ca = platform.pki.ca();
    for (name, verdict) in [
        ("pdfsig", validators::pdfsig(&path, &ca)),
        ("pyHanko", validators::pyhanko(&path, &ca)),
    ] {
        if let Some(v) = verdict {
            assert!(v.is_ok(), "{name}: {v:?}");
        }
    }
    // One byte changed inside the signed range: both say no.
    let mut tampered = signed.clone();
    let at = tampered.len() / 4;
    tampered[at] ^= 0x01;
    let bad = dir.path().join("tampered.pdf");
    std::fs::write(&bad, &tampered).unwrap();
    for (name, verdict) in [
        ("pdfsig", validators::pdfsig(&bad, &ca)),
        ("pyHanko", validators::pyhanko(&bad, &ca)),
    ] {
        if let Some(v) = verdict {
            assert!(v.is_err(), "{name} accepted a changed byte");
        }
    }
}
