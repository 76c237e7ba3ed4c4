//! The receiver in a real browser: headless Chromium (Debian's `chromium`, driven through
//! `chromedriver`) opens the mailed link, sees the documents, switches language, views the
//! XML, downloads a signed file (checked with pyHanko), gives an access code. On every page:
//! no console error, an axe-core accessibility check with no serious or critical violation,
//! and a screenshot kept under `target/test-artifacts/client-portal/`.
//!
//! axe-core comes from the npm registry (`cargo xtask test` installs it under `.data/node`;
//! `SIGNSTASH_AXE` points at another `axe.min.js`). Without Chromium, chromedriver or axe-core
//! the test fails under CI and is skipped elsewhere.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{document, sign_request, World};
use serde_json::json;
use signstash_test_support::corpus::{self, PdfKind};
use signstash_test_support::validators;
use signstash_test_support::webdriver::{self, axe_source, Browser};
use sqlx::PgPool;

fn artifacts() -> PathBuf {
    signstash_test_support::workspace_root().join("target/test-artifacts/client-portal")
}

async fn check_page(browser: &Browser, axe: &str, name: &str, allowed: &[&str]) {
    webdriver::check_page(browser, axe, &artifacts(), name, allowed).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_receiver_in_chromium_opens_switches_views_and_downloads(pool: PgPool) {
    let Some(axe) = axe_source() else {
        return;
    };
    let Some(world) = World::start(pool).await else {
        return;
    };
    let Some(browser) = Browser::start("pt-PT").await else {
        return;
    };
    let pdf = corpus::pdf(PdfKind::Classic, 4096).unwrap();
    let ubl = corpus::ubl_invoice(3);
    let op = world
        .sign(
            "demo",
            &sign_request(
                "OP-1",
                vec![
                    document(
                        "OP-1-PDF",
                        "fatura-1.pdf",
                        &pdf,
                        json!({"signatureType": "PAdES", "applyTimestamp": true}),
                    ),
                    document(
                        "OP-1-XML",
                        "fatura-1.xml",
                        ubl.as_bytes(),
                        json!({"signatureType": "XAdES"}),
                    ),
                ],
                &["cliente@example.pt"],
            ),
        )
        .await;
    let signed = world
        .signed_documents("demo", op["id"].as_i64().unwrap())
        .await;
    let link = world.deliver(1).await.remove(0).1;

    // The page, as the e-mail's link opens it.
    browser.goto(&link).await;
    let Some(h1) = browser.find("h1").await else {
        panic!("{}: {}", browser.url().await, browser.source().await);
    };
    assert_eq!(browser.text(&h1).await, "Documentos de Demo Issuer");
    let rows = browser.find_all("table.documents tbody tr").await;
    assert_eq!(rows.len(), 2);
    let statuses = browser.find_all(".status-intact").await;
    assert_eq!(statuses.len(), 2, "both signatures intact");
    check_page(&browser, &axe, "operation-pt_PT", &[]).await;

    // Switch to English.
    let english = browser.find("a[hreflang='en']").await.unwrap();
    browser.click(&english).await;
    browser.wait_for("html[lang='en']").await;
    let h1 = browser.find("h1").await.unwrap();
    assert_eq!(browser.text(&h1).await, "Documents from Demo Issuer");
    let html = browser.find("html").await.unwrap();
    assert_eq!(
        browser.attribute(&html, "lang").await.as_deref(),
        Some("en")
    );
    check_page(&browser, &axe, "operation-en", &[]).await;

    // Download the PDF by clicking its link: the signed bytes, valid for pyHanko.
    let download = browser
        .find("a[href$='/download'][download]")
        .await
        .unwrap();
    browser.click(&download).await;
    let file = browser.downloaded("fatura-1.pdf").await;
    assert!(
        std::fs::read(&file).unwrap() == signed[0].1,
        "downloaded bytes"
    );
    if let Some(Err(report)) = validators::pyhanko(&file, &world.pki.ca()) {
        panic!("pyHanko refused the downloaded PDF:\n{report}");
    }

    // The XML, shown as text (still in English: the choice is remembered).
    let view = browser
        .find_all("td.actions a:not([download])")
        .await
        .pop()
        .unwrap();
    browser.click(&view).await;
    let code = browser.wait_for("pre.xml code").await;
    assert!(browser.text(&code).await.contains("<cbc:ID>"));
    let back = browser.find("main a").await.unwrap();
    assert_eq!(browser.text(&back).await, "Back to the documents");
    check_page(&browser, &axe, "xml-view-en", &[]).await;

    // The PDF, inline in Chromium's own viewer (the portal's CSP lets it work).
    browser.goto(&link).await;
    let pdf_view = browser.wait_for("td.actions a:not([download])").await;
    let href = browser.attribute(&pdf_view, "href").await.unwrap();
    browser.click(&pdf_view).await;
    let mut shown = false;
    for _ in 0..50 {
        // The viewer's document: Chromium's, holding the PDF.
        let content_type = browser
            .execute("return document.contentType", json!([]))
            .await;
        if browser.url().await.ends_with(&href) && content_type == "application/pdf" {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown, "no PDF viewer: {}", browser.source().await);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    browser.screenshot(&artifacts().join("pdf-view.png")).await;
    let errors: Vec<_> = browser
        .console()
        .await
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect();
    assert!(errors.is_empty(), "pdf-view: console errors {errors:?}");

    // A link that opens nothing.
    browser
        .goto(&format!("{}/d/{}", world.portal, "A".repeat(43)))
        .await;
    // The page's own 404 status is reported by Chromium as a failed load.
    check_page(&browser, &axe, "not-found", &["404"]).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_receiver_in_chromium_gives_the_access_code(pool: PgPool) {
    let Some(axe) = axe_source() else {
        return;
    };
    let Some(world) = World::start(pool).await else {
        return;
    };
    let Some(browser) = Browser::start("en").await else {
        return;
    };
    sqlx::query("UPDATE client_services SET portal_access_code = true WHERE alias = 'demo'")
        .execute(&world.pool)
        .await
        .unwrap();
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    world
        .sign(
            "demo",
            &sign_request(
                "OP-1",
                vec![document(
                    "OP-1-1",
                    "fatura.pdf",
                    &pdf,
                    json!({"signatureType": "PAdES"}),
                )],
                &["cliente@example.pt"],
            ),
        )
        .await;
    let link = world.deliver(1).await.remove(0).1;
    browser.goto(&link).await;
    let (_, _, code) = world.access_code_mail();
    assert!(browser.find("table.documents").await.is_none());
    check_page(&browser, &axe, "access-code", &[]).await;
    let input = browser.find("input#code").await.unwrap();
    browser.type_into(&input, "000000").await;
    let submit = browser.find("form.code-form button").await.unwrap();
    browser.click(&submit).await;
    let alert = browser.wait_for("[role='alert']").await;
    assert!(!browser.text(&alert).await.is_empty());
    check_page(&browser, &axe, "access-code-wrong", &[]).await;
    let input = browser.find("input#code").await.unwrap();
    browser.type_into(&input, &code).await;
    let submit = browser.find("form.code-form button").await.unwrap();
    browser.click(&submit).await;
    browser.wait_for("table.documents").await;
    assert_eq!(browser.url().await, link);
    assert_eq!(browser.find_all("table.documents tbody tr").await.len(), 1);
    check_page(&browser, &axe, "operation-after-code", &[]).await;
}
