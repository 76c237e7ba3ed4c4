//! The receiver's path, end to end: a sign request with receivers → the e-mail received by a
//! real SMTP server (aiosmtpd) → the link in it → the operation page → every download, whose
//! bytes must equal the signed documents and pass the independent validators (pyHanko and
//! pdfsig for PAdES, xmlsec1 and signxml for XAdES, `openssl cms` for CAdES). Then what a
//! guesser, a stale link or hostile XML get.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read as _;

use common::{document, hrefs, html_text, sign_request, World};
use serde_json::json;
use signstash_test_support::corpus::{self, PdfKind};
use signstash_test_support::validators;
use sqlx::PgPool;

fn ok(verdict: validators::Verdict, what: &str) {
    if let Some(Err(report)) = verdict {
        panic!("{what} refused the downloaded document:\n{report}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_receiver_follows_the_mailed_link_and_downloads_valid_signed_documents(pool: PgPool) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    let pdf = corpus::pdf(PdfKind::Classic, 4096).unwrap();
    let ubl = corpus::ubl_invoice(3);
    let binary = corpus::binary(3000);
    let request = sign_request(
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
                json!({"signatureType": "XAdES", "applyTimestamp": true,
                       "advancedSignatureInfo": {"signatureLocation": "ExtensionContent"}}),
            ),
            document(
                "OP-1-BIN",
                "anexo.bin",
                &binary,
                json!({"signatureType": "CAdES"}),
            ),
        ],
        &["cliente@example.pt"],
    );
    let op = world.sign("demo", &request).await;
    let id = op["id"].as_i64().unwrap();
    let signed = world.signed_documents("demo", id).await;

    let links = world.deliver(1).await;
    let (to, link) = &links[0];
    assert_eq!(to, "cliente@example.pt");

    // The page.
    let page = world.get(link).await;
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.contains_key("x-request-id"));
    let html = page.text().await.unwrap();
    for text in [
        "Demo Issuer",
        "Faturas de novembro",
        "fatura-1.pdf",
        "fatura-1.xml",
        "anexo.bin.p7s",
        "PAdES B-T",
        "XAdES B-T",
        "CAdES B-B",
        "lang=\"pt-PT\"",
    ] {
        assert!(
            html.contains(text),
            "`{text}` missing from the page:\n{html}"
        );
    }
    // Each signature as our verifier sees it: intact, with its signer and timestamp.
    assert_eq!(html.matches("class=\"status-intact\"").count(), 3, "{html}");
    let text = html_text(&html);
    assert_eq!(
        text.matches("CN=Sign'Stash Development Signer").count(),
        3,
        "{text}"
    );
    assert_eq!(
        text.matches("por CN=Sign'Stash Development TSA").count(),
        2,
        "PDF and XML are B-T: {text}"
    );
    // Nothing comes from elsewhere.
    for href in hrefs(&html) {
        assert!(
            href.starts_with('/') || href.starts_with('#') || href.starts_with('?'),
            "{href} is not the portal's"
        );
    }
    assert!(!html.to_lowercase().contains("<script"), "{html}");

    // Every download link of the page gives the signed bytes, with the right headers.
    let downloads: Vec<String> = hrefs(&html)
        .into_iter()
        .filter(|h| h.ends_with("/download"))
        .collect();
    assert_eq!(downloads.len(), 3, "{html}");
    let work = tempfile::tempdir().unwrap();
    let ca = world.pki.ca();
    for (href, (name, expected)) in downloads.iter().zip(&signed) {
        let r = world.get(href).await;
        assert_eq!(r.status(), 200, "{href}");
        let h = r.headers().clone();
        let body = r.bytes().await.unwrap();
        assert!(body.as_ref() == expected.as_slice(), "{name}: bytes differ");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let disposition = h["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        let path = work.path().join(format!("downloaded-{name}"));
        std::fs::write(&path, &body).unwrap();
        match name.rsplit('.').next().unwrap() {
            "pdf" => {
                assert_eq!(h["content-type"], "application/pdf");
                assert!(disposition.contains("filename=\"fatura-1.pdf\""));
                ok(validators::pyhanko(&path, &ca), "pyHanko");
                ok(validators::pdfsig(&path, &ca), "pdfsig");
            }
            "xml" => {
                assert_eq!(h["content-type"], "application/xml");
                ok(validators::xmlsec1(&path, &ca), "xmlsec1");
                ok(validators::signxml(&path, &ca), "signxml");
            }
            _ => {
                assert_eq!(h["content-type"], "application/pkcs7-signature");
                assert!(disposition.contains("filename=\"anexo.bin.p7s\""));
                let content = work.path().join("anexo.bin");
                std::fs::write(&content, &binary).unwrap();
                validators::openssl_cms(&path, Some(&content), &ca)
                    .unwrap_or_else(|e| panic!("openssl cms refused the .p7s:\n{e}"));
            }
        }
    }

    // The zip holds the same bytes.
    let zip_href = hrefs(&html)
        .into_iter()
        .find(|h| h.ends_with("/documents.zip"))
        .unwrap();
    let r = world.get(&zip_href).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"OP-1.zip\"; filename*=UTF-8''OP-1.zip"
    );
    let body = r.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec())).unwrap();
    assert_eq!(archive.len(), 3);
    for (i, (name, expected)) in signed.iter().enumerate() {
        let mut entry = archive.by_index(i).unwrap();
        let entry_name = if name.ends_with(".bin") {
            format!("{name}.p7s")
        } else {
            name.clone()
        };
        assert_eq!(entry.name(), entry_name);
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert!(bytes == *expected, "{name} in the zip differs");
    }

    // View: the PDF inline (the browser's own viewer), the XML as escaped text in a page.
    let views: Vec<String> = hrefs(&html)
        .into_iter()
        .filter(|h| h.contains("/documents/") && !h.ends_with("/download"))
        .collect();
    assert_eq!(
        views.len(),
        2,
        "PDF and XML have a view, the .p7s not: {views:?}"
    );
    let r = world.get(&views[0]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    assert!(r.bytes().await.unwrap().as_ref() == signed[0].1.as_slice());
    let r = world.get(&views[1]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let xml_page = r.text().await.unwrap();
    let shown = html_text(&xml_page);
    assert!(shown.contains("\n<Invoice"), "{shown}");
    assert!(shown.contains("<ds:SignatureValue"), "{shown}");

    // Every access is in the audit log: what, which document, from where, when.
    let rows: Vec<(String, String, String, Option<String>, serde_json::Value)> = sqlx::query_as(
        "SELECT action, target_kind, target_id, remote_address, details FROM audit_log
         WHERE action LIKE 'portal.%' ORDER BY id",
    )
    .fetch_all(&world.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "portal.operation_viewed",
            "portal.document_downloaded",
            "portal.document_downloaded",
            "portal.document_downloaded",
            "portal.documents_downloaded",
            "portal.document_viewed",
            "portal.document_viewed",
        ]
    );
    for (_, kind, target, address, details) in &rows {
        assert_eq!(address.as_deref(), Some("127.0.0.1"));
        assert_eq!(details["receiverEmail"], "cliente@example.pt");
        assert_eq!(details["actor"], "RECEIVER");
        if kind == "operation" {
            assert_eq!(target, &id.to_string());
        }
    }
    let opened: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT first_opened_at FROM portal_links")
            .fetch_one(&world.pool)
            .await
            .unwrap();
    assert!(opened.is_some());

    // Operations: health and metrics.
    assert_eq!(world.get("/health/live").await.status(), 200);
    assert_eq!(world.get("/health/ready").await.status(), 200);
    let metrics = world.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("signstash_portal_accesses_total{kind=\"document_downloaded\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("route=\"/d/{token}\""),
        "routes, never tokens: {metrics}"
    );
    assert!(!metrics.contains(link.rsplit('/').next().unwrap()));
}

/// The token of a portal link.
fn token_of(link: &str) -> &str {
    link.rsplit('/').next().unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn every_link_that_opens_nothing_gets_the_same_page(pool: PgPool) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    let pdf_doc = |r: &str| document(r, "fatura.pdf", &pdf, json!({"signatureType": "PAdES"}));
    world
        .sign(
            "demo",
            &sign_request(
                "OP-A",
                vec![pdf_doc("OP-A-1")],
                &[
                    "valid@example.com",
                    "expired@example.com",
                    "revoked@example.com",
                    "old@example.com",
                ],
            ),
        )
        .await;
    world
        .sign(
            "demo",
            &sign_request("OP-B", vec![pdf_doc("OP-B-1")], &["b@example.com"]),
        )
        .await;
    world
        .sign(
            "demo2",
            &sign_request("OP-C", vec![pdf_doc("OP-C-1")], &["c@example.com"]),
        )
        .await;
    let links: std::collections::HashMap<String, String> =
        world.deliver(6).await.into_iter().collect();
    let link = |to: &str| links[to].clone();
    let set = |sql: &'static str, token: String| {
        let pool = world.pool.clone();
        async move {
            use sha2::Digest as _;
            let hash = sha2::Sha256::digest(token.as_bytes());
            let n = sqlx::query(sql)
                .bind(hash.as_slice())
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            assert_eq!(n, 1);
        }
    };
    set(
        "UPDATE portal_links SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        token_of(&link("expired@example.com")).to_string(),
    )
    .await;
    // Revoked through the store, as the backoffice will.
    let (revoked_id, revoked_cs): (i64, i64) = {
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(token_of(&link("revoked@example.com")).as_bytes());
        sqlx::query_as("SELECT id, client_service_id FROM portal_links WHERE token_hash = $1")
            .bind(hash.as_slice())
            .fetch_one(&world.pool)
            .await
            .unwrap()
    };
    signstash_store::portal_links::revoke(
        &world.pool,
        signstash_domain::ClientServiceId(revoked_cs),
        signstash_domain::PortalLinkId(revoked_id),
    )
    .await
    .unwrap();
    // Older than its client service's validity (set to 30 days), though its own expiry is
    // far ahead.
    sqlx::query("UPDATE client_services SET portal_link_validity_days = 30 WHERE alias = 'demo'")
        .execute(&world.pool)
        .await
        .unwrap();
    set(
        "UPDATE portal_links SET created_at = now() - interval '31 days',
                expires_at = now() + interval '1 year'
         WHERE token_hash = $1",
        token_of(&link("old@example.com")).to_string(),
    )
    .await;

    // The valid link works, and its documents are reachable.
    let valid = link("valid@example.com");
    let html = world.get(&valid).await.text().await.unwrap();
    let own_download = hrefs(&html)
        .into_iter()
        .find(|h| h.ends_with("/download"))
        .unwrap();
    assert_eq!(world.get(&own_download).await.status(), 200);

    // Documents of the other operations, through their own links.
    let doc_path = |html: &str| {
        hrefs(html)
            .into_iter()
            .find(|h| h.ends_with("/download"))
            .unwrap()
    };
    let html_b = world
        .get(&link("b@example.com"))
        .await
        .text()
        .await
        .unwrap();
    let html_c = world
        .get(&link("c@example.com"))
        .await
        .text()
        .await
        .unwrap();
    let doc_b = doc_path(&html_b);
    let doc_c = doc_path(&html_c);
    let doc_id = |path: &str| path.split('/').nth(4).unwrap().to_string();

    let reference = world
        .get("/d/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE")
        .await;
    assert_eq!(reference.status(), 404);
    assert_eq!(reference.headers()["cache-control"], "no-store");
    let reference = reference.text().await.unwrap();
    assert!(reference.contains("Ligação inválida ou expirada"));
    assert!(reference.contains("Invalid or expired link"));

    let valid_token = token_of(&valid).to_string();
    let mut flipped = valid_token.clone().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let attempts = [
        // Guessed: well formed, never issued (one character off a real one).
        format!("/d/{flipped}"),
        // Malformed.
        "/d/not-a-token".to_string(),
        format!("/d/{valid_token}x"),
        format!("/d/{}", &valid_token[..42]),
        "/d/".to_string(),
        // Expired, revoked, older than the client service allows.
        link("expired@example.com"),
        link("revoked@example.com"),
        link("old@example.com"),
        format!("{}/download", link("expired@example.com")),
        // A real link with a document of another operation of the same tenant, of another
        // tenant, a missing one and a non-number.
        format!("/d/{valid_token}/documents/{}/download", doc_id(&doc_b)),
        format!("/d/{valid_token}/documents/{}/download", doc_id(&doc_c)),
        format!("/d/{valid_token}/documents/{}", doc_id(&doc_c)),
        format!("/d/{valid_token}/documents/999999/download"),
        format!("/d/{valid_token}/documents/x/download"),
        // Another link's document path under an expired token.
        format!(
            "/d/{}/documents/{}/download",
            token_of(&link("expired@example.com")),
            doc_id(&own_download)
        ),
        format!(
            "/d/{}/documents.zip",
            token_of(&link("revoked@example.com"))
        ),
        "/nothing-here".to_string(),
    ];
    for path in &attempts {
        let r = world.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(r.text().await.unwrap(), reference, "{path}");
    }

    // None of that left a trace in the audit log beyond the real accesses.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'portal.%'")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    assert_eq!(n, 4, "valid page + download, B's page, C's page");
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_resend_gives_a_fresh_link_to_the_same_documents(pool: PgPool) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    let op = world
        .sign(
            "demo",
            &sign_request(
                "OP-R",
                vec![document(
                    "OP-R-1",
                    "f.pdf",
                    &pdf,
                    json!({"signatureType": "PAdES"}),
                )],
                &["r@example.com"],
            ),
        )
        .await;
    let first = world.deliver(1).await;
    let token = world.token("demo").await;
    let r = world
        .http
        .post(format!(
            "{}/api/v0/delivery/mail/resend/{}/false",
            world.api,
            op["id"].as_i64().unwrap()
        ))
        .bearer_auth(&token)
        .json(&json!(["r@example.com"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let second = world.deliver(1).await;
    assert_ne!(first[0].1, second[0].1, "a fresh token");
    for (_, link) in first.iter().chain(&second) {
        let html = world.get(link).await.text().await.unwrap();
        assert!(html.contains("f.pdf"), "{html}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn xml_with_script_is_shown_as_inert_text(pool: PgPool) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    let hostile = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:example:invoice" xmlns:h="http://www.w3.org/1999/xhtml">
  <Note>&lt;script&gt;alert("text")&lt;/script&gt;</Note>
  <h:script>alert("element")</h:script>
  <script src="https://evil.example/x.js"/>
  <img src="x" onerror="alert('attribute')"/>
  <Data><![CDATA[<script>alert("cdata")</script>]]></Data>
</Invoice>
"#;
    world
        .sign(
            "demo",
            &sign_request(
                "OP-X",
                vec![document(
                    "OP-X-1",
                    "hostile.xml",
                    hostile.as_bytes(),
                    json!({"signatureType": "XAdES"}),
                )],
                &["x@example.com"],
            ),
        )
        .await;
    let link = world.deliver(1).await.remove(0).1;
    let html = world.get(&link).await.text().await.unwrap();
    let view = hrefs(&html)
        .into_iter()
        .find(|h| h.contains("/documents/") && !h.ends_with("/download"))
        .unwrap();
    let r = world.get(&view).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    // Outside the document text, the page has no script at all; inside, no markup at all.
    assert!(!page.to_lowercase().contains("<script"), "{page}");
    let start = page.find("<pre").unwrap();
    let start = start + page[start..].find("<code>").unwrap() + "<code>".len();
    let end = page.find("</code></pre>").unwrap();
    let shown = &page[start..end];
    assert!(
        !shown.contains('<') && !shown.contains('>'),
        "markup got through:\n{shown}"
    );
    // What the receiver reads is the document's own text, indented.
    let text = html_text(shown);
    for line in [
        "  <Note>&lt;script&gt;alert(\"text\")&lt;/script&gt;</Note>",
        "  <h:script>alert(\"element\")</h:script>",
        "  <script src=\"https://evil.example/x.js\"/>",
        "  <img src=\"x\" onerror=\"alert('attribute')\"/>",
        "  <Data>&lt;script&gt;alert(\"cdata\")&lt;/script&gt;</Data>",
    ] {
        assert!(text.contains(line), "`{line}` not shown:\n{text}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_document_changed_in_storage_shows_as_modified(pool: PgPool) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    let ubl = corpus::ubl_invoice(2);
    world
        .sign(
            "demo",
            &sign_request(
                "OP-M",
                vec![
                    document("OP-M-1", "a.pdf", &pdf, json!({"signatureType": "PAdES"})),
                    document(
                        "OP-M-2",
                        "b.xml",
                        ubl.as_bytes(),
                        json!({"signatureType": "XAdES"}),
                    ),
                ],
                &["m@example.com"],
            ),
        )
        .await;
    let link = world.deliver(1).await.remove(0).1;
    let html = world.get(&link).await.text().await.unwrap();
    assert_eq!(html.matches("class=\"status-intact\"").count(), 2, "{html}");

    // Someone with access to the store swaps the XML for an edited copy, properly encrypted.
    let store = signstash_store::DocumentStore::new(
        &signstash_store::DocumentStoreBackend::Local {
            root: world.dir.path().join("documents"),
            sync: signstash_store::DocumentSync::EachDocument,
        },
        signstash_store::MasterKey::from_base64(&secrecy::SecretString::from(
            common::MASTER_KEY.to_string(),
        ))
        .unwrap(),
    )
    .unwrap();
    let (id, key, wrapped): (i64, String, Vec<u8>) =
        sqlx::query_as("SELECT id, storage_key, wrapped_key FROM documents WHERE name = 'b.xml'")
            .fetch_one(&world.pool)
            .await
            .unwrap();
    let original = store
        .get(&signstash_store::StoredDocument {
            storage_key: key,
            wrapped_key: wrapped,
            content_length: 0,
        })
        .await
        .unwrap();
    let edited = String::from_utf8(original.to_vec())
        .unwrap()
        .replacen("<cbc:ID>", "<cbc:ID>9", 1);
    let stored = store.put(bytes::Bytes::from(edited)).await.unwrap();
    sqlx::query(
        "UPDATE documents SET storage_key = $2, wrapped_key = $3, signed_content_length = $4
         WHERE id = $1",
    )
    .bind(id)
    .bind(&stored.storage_key)
    .bind(&stored.wrapped_key)
    .bind(i64::try_from(stored.content_length).unwrap())
    .execute(&world.pool)
    .await
    .unwrap();

    let html = world.get(&link).await.text().await.unwrap();
    assert_eq!(html.matches("class=\"status-intact\"").count(), 1, "{html}");
    assert_eq!(
        html.matches("class=\"status-modified\"").count(),
        1,
        "{html}"
    );
    let row = &html[html.find("b.xml").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("Modificado"), "{row}");
}

/// A 1×1 PNG.
const LOGO: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xa8, 0x92, 0x8f, 0x01,
    0x00, 0x02, 0x0c, 0x00, 0xf6, 0xf1, 0x31, 0x71, 0xe5, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

#[sqlx::test(migrations = "../../migrations")]
async fn the_client_services_brand_and_language_frame_the_page_and_the_receiver_switches(
    pool: PgPool,
) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    // `demo` has its own portal template; `demo2` keeps the default look, in English.
    let demo: i64 = sqlx::query_scalar("SELECT id FROM client_services WHERE alias = 'demo'")
        .fetch_one(&world.pool)
        .await
        .unwrap();
    let css = ":root { --brand: #7a1f5c; } /* Demo Issuer */";
    signstash_store::templates::insert(
        &world.pool,
        &signstash_store::templates::NewTemplate {
            client_service_id: Some(signstash_domain::ClientServiceId(demo)),
            kind: signstash_domain::TemplateKind::Portal,
            language: None,
            name: "Demo brand".into(),
            subject: None,
            body: css.into(),
            logo: Some(LOGO.to_vec()),
            logo_content_type: Some("image/png".into()),
        },
    )
    .await
    .unwrap();
    sqlx::query("UPDATE client_services SET language = 'en' WHERE alias = 'demo2'")
        .execute(&world.pool)
        .await
        .unwrap();
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    let doc = |r: &str| document(r, "f.pdf", &pdf, json!({"signatureType": "PAdES"}));
    world
        .sign(
            "demo",
            &sign_request("OP-1", vec![doc("OP-1-1")], &["a@example.com"]),
        )
        .await;
    world
        .sign(
            "demo2",
            &sign_request("OP-2", vec![doc("OP-2-1")], &["b@example.com"]),
        )
        .await;
    let links: std::collections::HashMap<String, String> =
        world.deliver(2).await.into_iter().collect();
    let (branded, plain) = (&links["a@example.com"], &links["b@example.com"]);
    let path = |link: &str| link[world.portal.len()..].to_string();

    // The branded page: the client service's stylesheet after the default, its logo.
    let html = world.get(branded).await.text().await.unwrap();
    assert!(html.contains("<html lang=\"pt-PT\">"), "{html}");
    let default_css = html.find("href=\"/assets/portal.css\"").unwrap();
    let brand_css = html
        .find(&format!("href=\"{}/brand.css\"", path(branded)))
        .unwrap();
    assert!(default_css < brand_css, "the brand goes over the default");
    assert!(
        html.contains(&format!(
            "src=\"{}/brand-logo\" alt=\"Demo Issuer\"",
            path(branded)
        )),
        "{html}"
    );
    let r = world.get(&format!("{branded}/brand.css")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "private, max-age=300");
    assert_eq!(r.text().await.unwrap(), css);
    let r = world.get(&format!("{branded}/brand-logo")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.bytes().await.unwrap().as_ref() == LOGO);

    // The plain page: the default look, in the client service's English.
    let html = world.get(plain).await.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains("Documents from Demo Issuer Two"), "{html}");
    assert!(html.contains("src=\"/assets/logo.svg\""), "{html}");
    assert!(!html.contains("brand.css"), "{html}");
    assert_eq!(world.get(&format!("{plain}/brand.css")).await.status(), 404);
    assert_eq!(
        world.get(&format!("{plain}/brand-logo")).await.status(),
        404
    );
    // No brand without a link that opens something.
    let guessed = "/d/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE";
    assert_eq!(
        world.get(&format!("{guessed}/brand.css")).await.status(),
        404
    );

    // The switch: a link per language; choosing one answers in it and remembers it.
    let switch = hrefs(&html)
        .into_iter()
        .find(|h| h.ends_with("?lang=pt_PT"))
        .expect("a link to Portuguese");
    assert_eq!(switch, format!("{}?lang=pt_PT", path(plain)));
    let r = world.get(&switch).await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("signstash_portal_lang=pt_PT;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"pt-PT\">"), "{html}");
    assert!(html.contains("Documentos de Demo Issuer Two"), "{html}");
    assert!(
        html.contains(&format!("href=\"{}?lang=en\"", path(plain))),
        "{html}"
    );
    let pair = cookie.split(';').next().unwrap();
    let again = world
        .http
        .get(plain)
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert!(again.headers().get("set-cookie").is_none());
    let html = again.text().await.unwrap();
    assert!(
        html.contains("Documentos de Demo Issuer Two"),
        "remembered: {html}"
    );
    // The XML and other pages follow the same choice; an unknown language changes nothing.
    let html = world
        .get(&format!("{plain}?lang=xx"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Documents from Demo Issuer Two"), "{html}");
}

/// The client service `alias` asks its receivers for an access code.
async fn require_access_code(world: &World, alias: &str) {
    sqlx::query("UPDATE client_services SET portal_access_code = true WHERE alias = $1")
        .bind(alias)
        .execute(&world.pool)
        .await
        .unwrap();
}

/// POSTs a code for `link`; the response.
async fn give_code(world: &World, link: &str, code: &str) -> reqwest::Response {
    world
        .http
        .post(format!("{link}/code"))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_access_code_from_a_second_mail_opens_the_documents_in_that_browser(pool: PgPool) {
    let Some(world) = World::start(pool).await else {
        return;
    };
    require_access_code(&world, "demo").await;
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    let doc = |r: &str| document(r, "fatura.pdf", &pdf, json!({"signatureType": "PAdES"}));
    world
        .sign(
            "demo",
            &sign_request("OP-1", vec![doc("OP-1-1")], &["cliente@example.pt"]),
        )
        .await;
    world
        .sign(
            "demo",
            &sign_request("OP-2", vec![doc("OP-2-1")], &["outro@example.pt"]),
        )
        .await;
    let links: std::collections::HashMap<String, String> =
        world.deliver(2).await.into_iter().collect();
    let link = &links["cliente@example.pt"];

    // Opening the link asks for the code, shows no document, and sends the code.
    let r = world.get(link).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let text = html_text(&html);
    assert!(text.contains("c•••@example.pt"), "{text}");
    assert!(text.contains("Código de acesso"), "{text}");
    assert!(!text.contains("fatura.pdf"), "{text}");
    let (to, subject, code) = world.access_code_mail();
    assert_eq!(to, "cliente@example.pt");
    assert_eq!(subject, "Código de acesso aos documentos de Demo Issuer");
    // Reloading does not send another one.
    world.get(link).await;
    assert!(world.smtp.wait_for(4).len() == 3, "no second code mail");

    // Without the code, document paths lead back to the code page.
    let doc_id: i64 =
        sqlx::query_scalar("SELECT id FROM documents WHERE external_reference = 'OP-1-1'")
            .fetch_one(&world.pool)
            .await
            .unwrap();
    for path in [
        format!("{link}/documents/{doc_id}/download"),
        format!("{link}/documents/{doc_id}"),
        format!("{link}/documents.zip"),
    ] {
        let r = world.get(&path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(
            r.headers()["location"],
            &link[world.portal.len()..],
            "{path}"
        );
    }

    // A wrong code: the same page, with a message; the right one: a session cookie.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let r = give_code(&world, link, wrong).await;
    assert_eq!(r.status(), 200);
    let text = html_text(&r.text().await.unwrap());
    assert!(
        text.contains("O código não está correto ou já expirou."),
        "{text}"
    );
    let r = give_code(&world, link, &code).await;
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let path = &link[world.portal.len()..];
    assert!(cookie.starts_with("signstash_portal_session="), "{cookie}");
    assert!(cookie.contains(&format!("; Path={path};")), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();

    // With the cookie: the documents; the download is the signed file.
    let with = |url: String| world.http.get(url).header("cookie", session.clone()).send();
    let html = with(link.clone()).await.unwrap().text().await.unwrap();
    assert!(html.contains("fatura.pdf"), "{html}");
    let r = with(format!("{link}/documents/{doc_id}/download"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    // The session opens only its own link.
    let other = &links["outro@example.pt"];
    let r = world
        .http
        .get(other)
        .header("cookie", session.replace(path, "x"))
        .send()
        .await
        .unwrap();
    let text = html_text(&r.text().await.unwrap());
    assert!(text.contains("o•••@example.pt"), "{text}");
    let _ = world.access_code_mail(); // the other link's code

    // The code was used up: another browser cannot reuse it.
    let r = give_code(&world, link, &code).await;
    assert_eq!(r.status(), 200);
    let html = world.get(link).await.text().await.unwrap();
    assert!(!html.contains("fatura.pdf"));

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'portal.access_code%' ORDER BY id",
    )
    .fetch_all(&world.pool)
    .await
    .unwrap();
    for expected in [
        "portal.access_code_sent",
        "portal.access_code_refused",
        "portal.access_code_accepted",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected}: {actions:?}"
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn wrong_codes_void_the_code_and_new_codes_are_rationed(pool: PgPool) {
    let limits = client_portal::config::Limits {
        code_attempts: 3,
        code_resend_after: time::Duration::seconds(1),
        codes_per_day: 3,
        ..Default::default()
    };
    let Some(world) = World::start_with(pool, limits).await else {
        return;
    };
    require_access_code(&world, "demo").await;
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    world
        .sign(
            "demo",
            &sign_request(
                "OP-1",
                vec![document(
                    "OP-1-1",
                    "f.pdf",
                    &pdf,
                    json!({"signatureType": "PAdES"}),
                )],
                &["r@example.com"],
            ),
        )
        .await;
    let link = world.deliver(1).await.remove(0).1;
    world.get(&link).await;
    let (_, _, code) = world.access_code_mail();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..3 {
        give_code(&world, &link, wrong).await;
    }
    // Void now, even for the right code.
    let r = give_code(&world, &link, &code).await;
    let text = html_text(&r.text().await.unwrap());
    assert!(
        text.contains("Demasiadas tentativas com este código. Peça um novo código."),
        "{text}"
    );
    // A new code: not twice in a row, at most `codes_per_day` a day.
    let new_code = || async {
        let r = world
            .http
            .post(format!("{link}/code/new"))
            .send()
            .await
            .unwrap();
        html_text(&r.text().await.unwrap())
    };
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(new_code().await.contains("Enviámos um novo código"));
    let (_, _, second) = world.access_code_mail();
    assert!(
        new_code().await.contains("Aguarde alguns minutos"),
        "too soon"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(new_code().await.contains("Enviámos um novo código"));
    let (_, _, third) = world.access_code_mail();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(
        new_code().await.contains("Aguarde alguns minutos"),
        "3 a day"
    );
    // Only the latest code works.
    if second != third {
        assert_eq!(give_code(&world, &link, &second).await.status(), 200);
    }
    assert_eq!(give_code(&world, &link, &third).await.status(), 303);
}

#[sqlx::test(migrations = "../../migrations")]
async fn guessing_links_from_one_address_is_rate_limited(pool: PgPool) {
    let limits = client_portal::config::Limits {
        link_failures: 5,
        ..Default::default()
    };
    let Some(world) = World::start_with(pool, limits).await else {
        return;
    };
    let pdf = corpus::pdf(PdfKind::Classic, 2048).unwrap();
    world
        .sign(
            "demo",
            &sign_request(
                "OP-1",
                vec![document(
                    "OP-1-1",
                    "f.pdf",
                    &pdf,
                    json!({"signatureType": "PAdES"}),
                )],
                &["r@example.com"],
            ),
        )
        .await;
    let link = world.deliver(1).await.remove(0).1;
    let from = |address: &'static str, url: String| {
        world
            .http
            .get(url)
            .header("x-forwarded-for", address)
            .send()
    };
    // The guesser: five wrong links answer the usual page, then everything is refused, the
    // real link too, and IPv6 neighbours in the same /64 with it.
    let guesser = "2001:db8:7:7::1";
    for i in 0..5 {
        let guess = format!("{}/d/{}{:03}", world.portal, "A".repeat(39), i * 4);
        assert_eq!(from(guesser, guess).await.unwrap().status(), 404);
    }
    for (address, url) in [
        (guesser, format!("{}/d/{}", world.portal, "A".repeat(43))),
        (guesser, link.clone()),
        ("2001:db8:7:7::99", link.clone()),
    ] {
        let r = from(address, url).await.unwrap();
        assert_eq!(r.status(), 429, "{address}");
        assert_eq!(r.headers()["retry-after"], "600");
        let text = html_text(&r.text().await.unwrap());
        assert!(text.contains("Too many attempts"), "{text}");
    }
    // Everyone else is unaffected.
    assert_eq!(
        from("198.51.100.2", link.clone()).await.unwrap().status(),
        200
    );
    assert_eq!(from("2001:db8:7:8::1", link).await.unwrap().status(), 200);
}
