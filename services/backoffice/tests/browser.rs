//! The operators in a real browser: headless Chromium (Debian's `chromium` through
//! `chromedriver`) signs in as each development operator — first with a wrong password — opens
//! every menu its `<nav>` offers, switches language and signs out with the button. On every
//! page: no console error, an axe-core check with no serious or critical violation, and a
//! screenshot under `target/test-artifacts/backoffice/`. The browser sends its own `Origin` and
//! `Sec-Fetch-Site` with every form, so this also shows the CSRF check lets real forms through.
//!
//! Without Chromium, chromedriver or axe-core the test fails under CI and is skipped elsewhere,
//! as the portal's is (whose WebDriver client, `signstash_test_support::webdriver`, it shares).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use backoffice::demo::DEMO_OPERATORS;
use common::Backoffice;
use serde_json::json;
use signstash_test_support::webdriver::{self, axe_source, Browser};
use sqlx::PgPool;

fn artifacts() -> PathBuf {
    signstash_test_support::workspace_root().join("target/test-artifacts/backoffice")
}

async fn check_page(browser: &Browser, axe: &str, name: &str) {
    webdriver::check_page(browser, axe, &artifacts(), name, &[]).await;
}

/// A form sent with errors is answered 422, which Chromium logs as a failed load.
async fn check_form_with_errors(browser: &Browser, axe: &str, name: &str) {
    webdriver::check_page(browser, axe, &artifacts(), name, &["status of 422"]).await;
}

async fn sign_in(browser: &Browser, email: &str, password: &str) {
    let field = browser.wait_for("#email").await;
    browser.type_into(&field, email).await;
    let field = browser.wait_for("#password").await;
    browser.type_into(&field, password).await;
    let submit = browser.wait_for("form.sign-in button[type=submit]").await;
    browser.click(&submit).await;
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_operator_in_chromium_signs_in_opens_its_menus_and_signs_out(pool: PgPool) {
    let Some(axe) = axe_source() else {
        return;
    };
    let backoffice = Backoffice::start(pool).await;
    let url = backoffice.url.clone();
    let Some(browser) = Browser::start("pt-PT").await else {
        return;
    };

    browser.goto(&format!("{url}/home")).await;
    browser.wait_for("html[lang='pt-PT'] form.sign-in").await;
    check_page(&browser, &axe, "sign-in").await;
    // A wrong password: the same form again, with its message and the e-mail kept.
    sign_in(&browser, "admin@signstash.local", "wrong-password").await;
    browser.wait_for("p.message-error").await;
    check_page(&browser, &axe, "sign-in-failed").await;

    for (email, password, _, role) in DEMO_OPERATORS {
        let role = format!("{role:?}").to_lowercase();
        browser.goto(&format!("{url}/sign-in")).await;
        // The e-mail field may keep an earlier value: clear it through a fresh page.
        browser
            .execute("document.getElementById('email').value = '';", json!([]))
            .await;
        sign_in(&browser, email, password).await;
        browser.wait_for("nav.menu").await;
        check_page(&browser, &axe, &format!("{role}-home")).await;
        let links = browser.find_all("nav.menu a").await;
        let mut paths = Vec::new();
        for link in &links {
            paths.push(browser.attribute(link, "href").await.unwrap());
        }
        assert!(!paths.is_empty(), "{email}");
        for path in &paths {
            browser.goto(&format!("{url}{path}")).await;
            browser.wait_for("nav.menu a[aria-current='page']").await;
            let name = path.trim_start_matches('/');
            check_page(&browser, &axe, &format!("{role}-{name}")).await;
        }
        // English, then sign out with the button (a POST with the form token).
        let english = browser.wait_for("a[hreflang='en']").await;
        browser.click(&english).await;
        browser.wait_for("html[lang='en'] nav.menu").await;
        check_page(&browser, &axe, &format!("{role}-english")).await;
        let sign_out = browser.wait_for("form.sign-out button").await;
        browser.click(&sign_out).await;
        browser.wait_for("form.sign-in").await;
        assert!(browser.url().await.ends_with("/sign-in"));
        // The language stays; back to Portuguese for the next operator.
        browser.goto(&format!("{url}/sign-in?lang=pt_PT")).await;
    }
}

/// Signs in as the administrator in a fresh backoffice over the demo tenants.
async fn admin_in_chromium(pool: PgPool) -> Option<(Browser, Backoffice, String)> {
    let axe = axe_source()?;
    let backoffice = Backoffice::start(pool).await;
    let browser = Browser::start("pt-PT").await?;
    browser.goto(&format!("{}/sign-in", backoffice.url)).await;
    sign_in(&browser, "admin@signstash.local", "admin-demo-password").await;
    browser.wait_for("nav.menu").await;
    Some((browser, backoffice, axe))
}

/// Types `text` into the field `#id`, replacing what it held.
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

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_administrator_creates_and_edits_a_partner_in_chromium(pool: PgPool) {
    let Some((browser, backoffice, axe)) = admin_in_chromium(pool).await else {
        return;
    };
    let url = &backoffice.url;
    // The list, its filter bar, then the form: sent first with a wrong NIF, shown again with
    // the error beside the field and what was typed kept.
    browser.goto(&format!("{url}/partner-companies")).await;
    browser.wait_for("form.filters").await;
    check_page(&browser, &axe, "admin-partners-list").await;
    let new = browser.wait_for("a[href='/partner-companies/new']").await;
    browser.click(&new).await;
    browser.wait_for("input#vat_number").await;
    check_page(&browser, &axe, "admin-partner-new").await;
    fill(&browser, "name", "Parceiro <Browser>").await;
    fill(&browser, "vat_number", "500000019").await;
    fill(&browser, "email", "geral@parceiro.example").await;
    let submit = browser.wait_for("main form button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("#vat_number-error").await;
    let kept = browser.wait_for("#name").await;
    assert_eq!(
        browser.attribute(&kept, "value").await.as_deref(),
        Some("Parceiro <Browser>")
    );
    check_form_with_errors(&browser, &axe, "admin-partner-new-errors").await;
    fill(&browser, "vat_number", "500000018").await;
    let submit = browser.wait_for("main form button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("p.message-ok").await;
    let h1 = browser.wait_for("main h1").await;
    assert_eq!(browser.text(&h1).await, "Parceiro <Browser>");
    check_page(&browser, &axe, "admin-partner-detail").await;
    // Edit, then the usage limit.
    let edit = browser.wait_for("a.button[href$='/edit']").await;
    browser.click(&edit).await;
    browser.wait_for("select#kind").await;
    check_page(&browser, &axe, "admin-partner-edit").await;
    fill(&browser, "city", "Porto").await;
    let submit = browser.wait_for("main form button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for("p.message-ok").await;
    assert!(browser.source().await.contains("Porto"));
    fill(&browser, "limit_signatures", "5000").await;
    let save = browser
        .wait_for("form[action$='/limit'] button[type=submit]")
        .await;
    browser.click(&save).await;
    browser.wait_for("p.message-ok").await;
    assert!(browser.source().await.contains("5000"));
    // The eye of the list leads to the detail.
    browser
        .goto(&format!("{url}/partner-companies?name=browser"))
        .await;
    let eye = browser.wait_for("a.view").await;
    browser.click(&eye).await;
    browser.wait_for("dl.details").await;
}
