//! Visible signatures as integrators send them (issue 13): the request the product's own API
//! description gives as its example, sent unchanged, on a one-page invoice whose third line
//! reads `Assinatura: ASSINAR_AQUI`. Judged by programs we did not write: pdfsig and pyHanko
//! accept the signature, qpdf reads the widget's rectangle and appearance stream, poppler's
//! `pdftotext -bbox` places the page's words and its renderer draws the page (a screenshot is
//! kept under `target/test-artifacts/integration-ws/`). Then every template reference, an
//! unknown one, and a placeholder too near the bottom edge (400 `2.2.1`, nothing stored).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use signstash_test_support::pdf_inspect::{self, SigField, Word};
use signstash_test_support::{corpus, run, text, validators};
use sqlx::PgPool;

mod common;
use common::{document, TestApp};

const SIGN: &str = "/api/v0/document/sign/base64/";
const WORD: &str = "ASSINAR_AQUI";

/// The `visibleSignatureInfo` of the issue, exactly as integrators send it.
fn issue_request() -> Value {
    json!({"templateType": "ONE_OFF",
      "oneOffTemplate": "Digitally Signed by $certificate.getCommonName().",
      "locationType": "PLACEHOLDER", "locationValue": "ASSINAR_AQUI",
      "area": "width=200,height=60", "areaBackgroundColor": "#eeeeff", "font": "color=#000000,size=9"})
}

fn request(reference: &str, pdf: &[u8], signature_info: Value) -> Value {
    json!({
        "externalReference": reference,
        "description": "visible signatures as integrators send them",
        "returnSignedContent": true,
        "documents": [document(&format!("{reference}-1"), "invoice.pdf", "application/pdf", pdf, signature_info)]
    })
}

fn pades(visible: Value) -> Value {
    json!({"signatureType": "PAdES", "visibleSignatureInfo": visible})
}

fn artifacts() -> PathBuf {
    signstash_test_support::workspace_root().join("target/test-artifacts/integration-ws")
}

/// The signer certificate's fields as `openssl x509` prints them: subject CN, O, issuer CN,
/// serial number.
struct SignerNames {
    common_name: String,
    organization: String,
    issuer_common_name: String,
    serial: String,
}

fn signer_names(cert: &Path) -> SignerNames {
    let out = run(Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-issuer", "-serial"])
        .args(["-nameopt", "RFC2253", "-in"])
        .arg(cert));
    assert!(out.status.success(), "openssl x509: {}", text(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    let line = |key: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .to_string()
    };
    let rdn = |name: &str, attr: &str| {
        name.split(',')
            .find_map(|p| p.strip_prefix(attr))
            .unwrap()
            .to_string()
    };
    let (subject, issuer) = (line("subject="), line("issuer="));
    SignerNames {
        common_name: rdn(&subject, "CN="),
        organization: rdn(&subject, "O="),
        issuer_common_name: rdn(&issuer, "CN="),
        serial: line("serial="),
    }
}

/// The one signed signature field, as qpdf reads it.
fn signed_field(pdf: &Path) -> Option<SigField> {
    let fields = pdf_inspect::signature_fields(pdf)?;
    let signed: Vec<_> = fields.into_iter().filter(|f| f.signed).collect();
    assert_eq!(signed.len(), 1, "{signed:?}");
    assert_eq!(signed[0].page, 1);
    Some(signed[0].clone())
}

/// Signs `pdf` with `visible` and returns the signed file, written to `dir`, once both
/// validators accepted it.
async fn sign_and_validate(
    app: &TestApp,
    token: &str,
    dir: &Path,
    reference: &str,
    pdf: &[u8],
    signature_info: Value,
) -> PathBuf {
    let (status, op) = app
        .post(token, SIGN, &request(reference, pdf, signature_info))
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["status"], "EXECUTED", "{op}");
    let d = &op["documentList"][0];
    assert_eq!(d["signStatus"], "SIGNED", "{d}");
    let signed = B64.decode(d["signedContent"].as_str().unwrap()).unwrap();
    assert!(signed.starts_with(pdf), "an append-only update");
    let path = dir.join(format!("{reference}.pdf"));
    std::fs::write(&path, &signed).unwrap();
    let ca = app.pki.ca();
    for (verdict, judge) in [
        (validators::pdfsig(&path, &ca), "pdfsig"),
        (validators::pyhanko(&path, &ca), "pyHanko"),
    ] {
        if let Some(Err(report)) = verdict {
            panic!("{judge} refuses {reference}:\n{report}");
        }
    }
    path
}

fn words_text(words: &[&Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_issues_request_signs_below_the_placeholder_and_hides_no_line(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let dir = tempfile::tempdir().unwrap();
    let names = signer_names(&app.pki.dev_signer().cert);
    let invoice = corpus::invoice_with_signature_line(WORD, 720.0);
    let original = dir.path().join("invoice.pdf");
    std::fs::write(&original, &invoice).unwrap();
    let signed = sign_and_validate(
        &app,
        &token,
        dir.path(),
        "ISSUE-13",
        &invoice,
        pades(issue_request()),
    )
    .await;

    // The appearance stream holds the signer's common name (wrapped to the area, so word by
    // word) and no `$`.
    let Some(field) = signed_field(&signed) else {
        return;
    };
    let appearance = String::from_utf8_lossy(field.appearance.as_deref().unwrap()).into_owned();
    assert!(!appearance.contains('$'), "{appearance}");
    for part in names.common_name.split(' ') {
        assert!(appearance.contains(part), "`{part}` not in {appearance}");
    }
    let rect = field.rect.clone();

    // Where poppler finds the invoice's words: the placeholder, and the lines above it.
    let Some(page) = pdf_inspect::words(&original, 1) else {
        return;
    };
    let placeholder = page.iter().find(|w| w.text == WORD).unwrap().clone();
    let above: Vec<&Word> = page
        .iter()
        .filter(|w| (w.rect[1] + w.rect[3]) / 2.0 > placeholder.rect[3])
        .collect();
    assert_eq!(
        words_text(&above),
        "Fatura FT 2026/123 Total: 123,00 EUR",
        "{page:?}"
    );
    // The widget overlaps no word drawn above the placeholder, nor any other word of the
    // invoice but the placeholder, which it covers.
    for w in &page {
        if w.text == WORD {
            let [x0, y0, x1, y1] = w.rect;
            assert!(
                rect[0] <= x0 + 0.05 && rect[1] <= y0 && x1 <= rect[2] && y1 <= rect[3] + 0.05,
                "the widget {rect:?} does not cover the word {w:?}"
            );
        } else {
            assert!(!w.overlaps(&rect), "the widget {rect:?} covers {w:?}");
        }
    }
    // Its upper-left corner is the word's, raised by the allowance for a font the viewer
    // substitutes (0.05 em: half a point at 10 points; poppler's box uses Helvetica's metrics).
    assert!((rect[0] - placeholder.rect[0]).abs() < 0.01, "{rect:?}");
    assert!(
        (rect[3] - placeholder.rect[3] - 0.5).abs() < 0.01,
        "{rect:?}"
    );
    assert!((rect[2] - rect[0] - 200.0).abs() < 0.01 && (rect[3] - rect[1] - 60.0).abs() < 0.01);

    // What the signed page shows: the invoice's words unchanged, and the signature's text,
    // "Digitally Signed by <common name>.", below and right of where the word was.
    let Some(signed_page) = pdf_inspect::words(&signed, 1) else {
        return;
    };
    let signature: Vec<&Word> = signed_page
        .iter()
        .filter(|w| !page.iter().any(|o| o.text == w.text && o.rect == w.rect))
        .collect();
    assert_eq!(
        words_text(&signature),
        format!("Digitally Signed by {}.", names.common_name),
        "{signed_page:?}"
    );
    for w in &signature {
        assert!(
            w.rect[3] <= placeholder.rect[1] && w.rect[0] >= placeholder.rect[0],
            "{w:?} is not below and right of the placeholder {placeholder:?}"
        );
        assert!(
            pdf_inspect::overlap(&w.rect, &rect),
            "{w:?} outside the widget"
        );
    }
    for w in page.iter().filter(|w| w.text != WORD) {
        assert!(
            signed_page.contains(w),
            "{w:?} is gone from the signed page"
        );
    }

    // Rendered by poppler (4 pixels a point): every pixel of every other word as before, and
    // no ink left of the placeholder, even a point above its box (poppler draws Helvetica
    // with DejaVu Sans here, whose capitals stand taller).
    const DPI: u32 = 288;
    let (Some(before), Some(after)) = (
        pdf_inspect::render(&original, 1, DPI),
        pdf_inspect::render(&signed, 1, DPI),
    ) else {
        return;
    };
    for w in page.iter().filter(|w| w.text != WORD) {
        for (x, y) in after.pixels_in(&w.rect, (0.0, 0.0)) {
            assert_eq!(
                after.pixel(x, y),
                before.pixel(x, y),
                "{w:?} drawn differently at pixel {x}, {y}"
            );
        }
    }
    let [x0, y0, x1, y1] = placeholder.rect;
    let around = after.pixels_in(&[x0, y0, x1, y1 + 1.0], (0.0, 0.0));
    let ink = |r: &pdf_inspect::Rendering| {
        around
            .iter()
            .filter(|&&(x, y)| r.pixel(x, y).iter().any(|&c| c < 200))
            .count()
    };
    assert!(ink(&before) > 1000, "the word was drawn: {}", ink(&before));
    assert_eq!(ink(&after), 0, "the word still shows");

    // A screenshot to look at.
    let png = artifacts().join("issue-13-placeholder-invoice.png");
    pdf_inspect::screenshot(&signed, 1, 150, &png);
    std::fs::copy(&signed, png.with_extension("pdf")).unwrap();
}

/// Every reference of the list, in both forms, filled in with what openssl reads in the
/// certificate; the client service's stored template in the Velocity form too.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn every_template_reference_is_filled_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let dir = tempfile::tempdir().unwrap();
    let names = signer_names(&app.pki.dev_signer().cert);
    let invoice = corpus::invoice_with_signature_line(WORD, 720.0);
    let template = [
        "cn ${signer} | $certificate.getCommonName() | ${certificate.commonName}",
        "o $certificate.getOrganization()",
        "serial $certificate.getSerialNumber()",
        "issuer $certificate.getIssuerCommonName()",
        "date ${date} | $date",
        "reason ${reason} | $reason",
        "location ${location} | $location",
        "quiet $!reason ${certificate.getCommonName()} US$ 5 \\$date",
    ]
    .join("\n");
    // A wide area with small text: one line of the appearance per line of the template.
    let visible = json!({
        "templateType": "ONE_OFF", "oneOffTemplate": template,
        "locationType": "COORDINATE", "locationValue": "page=1,x=20,y=100",
        "area": "width=570,height=200", "font": "size=8"
    });
    let before = time::OffsetDateTime::now_utc();
    let signed = sign_and_validate(
        &app,
        &token,
        dir.path(),
        "REFS",
        &invoice,
        json!({"signatureType": "PAdES", "reason": "Fatura 2026/123", "location": "Lisboa",
               "visibleSignatureInfo": visible}),
    )
    .await;
    let Some(field) = signed_field(&signed) else {
        return;
    };
    let lines = shown_lines(field.appearance.as_deref().unwrap());
    let date = lines[4]
        .strip_prefix("date ")
        .and_then(|d| d.split(" | ").next())
        .unwrap()
        .to_string();
    let cn = &names.common_name;
    assert_eq!(
        lines,
        [
            format!("cn {cn} | {cn} | {cn}"),
            format!("o {}", names.organization),
            format!("serial {}", names.serial),
            format!("issuer {}", names.issuer_common_name),
            format!("date {date} | {date}"),
            "reason Fatura 2026/123 | Fatura 2026/123".into(),
            "location Lisboa | Lisboa".into(),
            format!("quiet Fatura 2026/123 {cn} US$ 5 $date"),
        ]
    );
    // The signing time, in UTC.
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let at = time::PrimitiveDateTime::parse(date.strip_suffix(" UTC").unwrap(), format)
        .unwrap()
        .assume_utc();
    assert!(
        at >= before.replace_nanosecond(0).unwrap() && at <= time::OffsetDateTime::now_utc(),
        "{date}"
    );

    // The client service's own template (SERVICE_CUSTOMIZATION) in the historic form; a line
    // whose value is absent (no reason in this request) is left out.
    store_signature_text(
        &app,
        "Assinado por $certificate.getCommonName()\nMotivo: $reason\nEmitido por $certificate.getIssuerCommonName()",
    )
    .await;
    let signed = sign_and_validate(
        &app,
        &token,
        dir.path(),
        "REFS-SERVICE",
        &invoice,
        pades(json!({"templateType": "SERVICE_CUSTOMIZATION",
                     "locationType": "COORDINATE", "locationValue": "page=1,x=20,y=100",
                     "area": "width=570,height=200", "font": "size=8"})),
    )
    .await;
    let Some(field) = signed_field(&signed) else {
        return;
    };
    assert_eq!(
        shown_lines(field.appearance.as_deref().unwrap()),
        [
            format!("Assinado por {cn}"),
            format!("Emitido por {}", names.issuer_common_name)
        ]
    );
}

/// The strings an appearance stream shows, one per `Tj` (our appearances draw a line per
/// `Tj`), with the literal-string escapes undone.
fn shown_lines(stream: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stream);
    text.lines()
        .map(|l| l.trim().strip_prefix("T* ").unwrap_or(l.trim()))
        .filter_map(|l| l.strip_suffix(" Tj"))
        .map(|l| {
            let inner = l.strip_prefix('(').unwrap().strip_suffix(')').unwrap();
            inner
                .replace("\\(", "(")
                .replace("\\)", ")")
                .replace("\\\\", "\\")
        })
        .collect()
}

/// Makes `body` the demo client service's signature text template.
async fn store_signature_text(app: &TestApp, body: &str) {
    sqlx::query(
        "WITH t AS (INSERT INTO templates (client_service_id, kind, name, body)
                    SELECT id, 'SIGNATURE_TEXT', 'house style', $1
                    FROM client_services WHERE alias = 'demo' RETURNING id, client_service_id)
         UPDATE client_services cs SET signature_text_template_id = t.id FROM t
         WHERE cs.id = t.client_service_id",
    )
    .bind(body)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn refused(app: &TestApp, token: &str, reference: &str, pdf: &[u8], info: Value) -> String {
    let (status, body) = app.post(token, SIGN, &request(reference, pdf, info)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], "2.2.1", "{body}");
    body["causeMessage"].as_str().unwrap().to_string()
}

/// An unknown reference (in a one-off template or the client service's), and a placeholder
/// whose area would leave the page: 400 `2.2.1` naming the problem, and nothing stored.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn unknown_references_and_a_placeholder_at_the_bottom_edge_sign_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token("demo").await;
    let invoice = corpus::invoice_with_signature_line(WORD, 720.0);

    let mut unknown = issue_request();
    unknown["oneOffTemplate"] = json!("Digitally Signed by $certificate.getName().\n${date}");
    let cause = refused(&app, &token, "UNKNOWN-1", &invoice, pades(unknown)).await;
    assert!(
        cause.starts_with(
            "documents[0].signatureInfo.visibleSignatureInfo.oneOffTemplate: the template refers \
             to `$certificate.getName()`, which the template language does not know"
        ),
        "{cause}"
    );
    let mut unknown = issue_request();
    unknown["oneOffTemplate"] = json!("Signed by ${signer} for ${customer}");
    let cause = refused(&app, &token, "UNKNOWN-2", &invoice, pades(unknown)).await;
    assert!(cause.contains("refers to `${customer}`"), "{cause}");

    store_signature_text(&app, "Assinado por $signer em $certificate.getCountry()").await;
    let mut service = issue_request();
    service["templateType"] = json!("SERVICE_CUSTOMIZATION");
    let cause = refused(&app, &token, "UNKNOWN-3", &invoice, pades(service)).await;
    assert!(
        cause.starts_with(
            "the client service's signature text template `house style`: the template refers to \
             `$certificate.getCountry()`"
        ),
        "{cause}"
    );

    // The signature line's baseline 42 points above the bottom edge: the word's top is 49.68,
    // and a 60-point area hung from it would reach below the page.
    let low = corpus::invoice_with_signature_line(WORD, 70.0);
    let cause = refused(&app, &token, "BOTTOM", &low, pades(issue_request())).await;
    assert_eq!(
        cause,
        "documents[0]: visible signature: the signature area of 200 × 60 points, its upper-left \
         corner at the placeholder `ASSINAR_AQUI` (x=124.8, y=49.68), would leave page 1, which \
         is 612 × 792 points"
    );
    // 49 points high, it fits.
    let mut fits = issue_request();
    fits["area"] = json!("width=200,height=49");
    let (status, op) = app
        .post(&token, SIGN, &request("BOTTOM-FITS", &low, pades(fits)))
        .await;
    assert_eq!(status, 200, "{op}");

    // Only the request that fitted was stored.
    let operations: Vec<String> = sqlx::query_scalar("SELECT external_reference FROM operations")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(operations, ["BOTTOM-FITS"]);
}
