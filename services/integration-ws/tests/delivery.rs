//! E-mail delivery end to end: the outbox worker and the resend endpoint against a real SMTP
//! server (aiosmtpd, `signstash_test_support::smtp`) and a real PostgreSQL (a fresh
//! database per test). Statuses are read back through the API, as an integrator sees them.
//!
//! Without the venv's aiosmtpd the SMTP tests fail under `CI` and are skipped (with a note)
//! elsewhere.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use integration_ws::outbox;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use signstash_domain::ClientServiceId;
use signstash_store::client_services::smtp_password_context;
use signstash_store::deliveries;
use signstash_test_support::corpus;
use signstash_test_support::smtp::{free_port, Behaviour, SmtpServer};
use sqlx::PgPool;

mod common;
use common::{Options, TestApp, PORTAL};

/// The service with its mail going to `smtp_url`.
async fn spawn_app(pool: PgPool, smtp_url: &str) -> TestApp {
    let options = Options {
        smtp_url: Some(smtp_url.to_string()),
        ..Options::default()
    };
    TestApp::spawn_with(pool, options).await
}

/// What the delivery tests add to the harness.
impl TestApp {
    /// Signs one PDF for `receivers`; returns the operation id.
    async fn sign(&self, token: &str, reference: &str, receivers: &[&str], attach: bool) -> i64 {
        let request = sign_request(reference, receivers, attach);
        let (status, op) = self
            .call(token, "/api/v0/document/sign/base64/", Some(&request))
            .await;
        assert_eq!(status, 200, "{op}");
        assert_eq!(op["status"], "EXECUTED", "{op}");
        op["id"].as_i64().unwrap()
    }

    /// `deliveryStatus` per receiver, through the status endpoint.
    async fn statuses(&self, token: &str, id: i64) -> Vec<(String, String)> {
        let (status, op) = self
            .call(token, &format!("/api/v0/operation/status/{id}"), None)
            .await;
        assert_eq!(status, 200, "{op}");
        op["deliveryInfo"]["personReceiver"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["email"].as_str().unwrap().to_string(),
                    r["deliveryStatus"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    async fn run_once(&self) -> usize {
        outbox::run_once(&self.state, &self.mailer).await.unwrap()
    }

    async fn attempts(&self) -> Vec<i32> {
        sqlx::query_scalar("SELECT attempts FROM deliveries ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}

/// A sign request of one PDF for `receivers`.
fn sign_request(reference: &str, receivers: &[&str], attach: bool) -> Value {
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap();
    json!({
        "externalReference": reference,
        "description": "Faturas de novembro",
        "documents": [{
            "documentRequest": {
                "externalReference": format!("{reference}-1"), "name": "fatura-1.pdf",
                "contentType": "application/pdf", "base64Content": B64.encode(&pdf)
            },
            "signatureInfo": {"signatureType": "PAdES"}
        }],
        "preservationInfo": {"deliveryInfo": {
            "attachDocuments": attach,
            "personReceiver": receivers.iter().map(|e| json!({"email": e})).collect::<Vec<_>>()
        }}
    })
}

fn one(receiver: &str, status: &str) -> Vec<(String, String)> {
    vec![(receiver.to_string(), status.to_string())]
}

/// The token that follows `/d/` in `body`.
fn token_in(body: &str) -> String {
    let at = body.find(&format!("{PORTAL}/d/")).expect("a portal link") + PORTAL.len() + 3;
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn link_is_stored(pool: &PgPool, token: &str) -> bool {
    let hash = Sha256::digest(token.as_bytes());
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM portal_links WHERE token_hash = $1")
        .bind(hash.as_slice())
        .fetch_one(pool)
        .await
        .unwrap();
    n == 1
}

// ---------------------------------------------------------------------------------------------
// The outbox worker

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_worker_sends_the_link_and_the_signed_file(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app
        .sign(&token, "OP-1", &["cliente@example.pt"], true)
        .await;
    assert_eq!(
        app.statuses(&token, id).await,
        one("cliente@example.pt", "PENDING")
    );

    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("cliente@example.pt", "SENT")
    );
    assert_eq!(app.run_once().await, 0, "nothing left to send");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{}", smtp.log());
    let m = &messages[0];
    assert_eq!(m.to, "cliente@example.pt");
    // The client service's language (pt_PT by default), the issuer and the description.
    let subject = m.subject.as_str();
    assert!(subject.contains("Demo Issuer"), "{subject}");
    let text = m.text.as_deref().unwrap();
    assert!(text.contains("Faturas de novembro"), "{text}");
    assert!(text.contains("fatura-1.pdf"), "{text}");
    let link_token = token_in(text);
    assert_eq!(link_token.len(), 43);
    assert!(
        link_is_stored(&app.pool, &link_token).await,
        "the SHA-256 of the link's token is in portal_links"
    );

    let (status, detail) = app
        .call(
            &token,
            &format!("/api/v0/operation/sign/detail/{id}/contentInResponse/true"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let signed = B64
        .decode(detail["documentList"][0]["signedContent"].as_str().unwrap())
        .unwrap();
    let attachments = &m.attachments;
    assert_eq!(attachments.len(), 1, "{m:?}");
    assert_eq!(attachments[0].filename.as_deref().unwrap(), "fatura-1.pdf");
    assert_eq!(attachments[0].content_type, "application/pdf");
    let attached = B64.decode(&attachments[0].data_b64).unwrap();
    assert!(attached == signed, "the attachment is the signed file");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn without_attach_documents_the_mail_has_only_the_link(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    app.sign(&token, "OP-1", &["a@example.com", "b@example.com"], false)
        .await;
    assert_eq!(app.run_once().await, 2);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    let mut tokens = Vec::new();
    for m in &messages {
        assert!(m.attachments.is_empty(), "{m:?}");
        let t = token_in(m.text.as_deref().unwrap());
        assert!(link_is_stored(&app.pool, &t).await);
        tokens.push(t);
    }
    assert_ne!(tokens[0], tokens[1], "one link per receiver");
}

/// A system default e-mail template (what the backoffice's system templates page stores) is
/// what a client service without its own sends; its own wins over it.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_stored_system_email_template_is_used_unless_the_client_service_has_its_own(
    pool: PgPool,
) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    sqlx::query(
        "INSERT INTO templates (kind, language, name, subject, body)
         VALUES ('EMAIL', 'pt_PT', 'system', 'Sistema: {{issuer_name}}', 'Veja {{portal_link}}')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let token = app.token("demo").await;
    app.sign(&token, "OP-1", &["a@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    let messages = smtp.messages();
    assert_eq!(messages[0].subject, "Sistema: Demo Issuer");
    let t = token_in(messages[0].text.as_deref().unwrap());
    assert!(link_is_stored(&app.pool, &t).await);

    sqlx::query(
        "INSERT INTO templates (client_service_id, kind, language, name, subject, body)
         SELECT id, 'EMAIL', 'pt_PT', 'own', 'Próprio: {{issuer_name}}', 'Veja {{portal_link}}'
         FROM client_services WHERE alias = 'demo'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    app.sign(&token, "OP-2", &["b@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().any(|m| m.subject == "Próprio: Demo Issuer"));
}

/// Gives client service `alias` a PORTAL template (what the backoffice will write); returns
/// the template's id.
async fn give_portal_template(pool: &PgPool, alias: &str, css: &str, logo: &[u8], ty: &str) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO templates (client_service_id, kind, name, body, logo, logo_content_type)
         SELECT id, 'PORTAL', 'Brand', $2, $3, $4 FROM client_services WHERE alias = $1
         RETURNING id",
    )
    .bind(alias)
    .bind(css)
    .bind(logo)
    .bind(ty)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("UPDATE client_services SET portal_template_id = $2 WHERE alias = $1")
        .bind(alias)
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    id
}

/// The `cid:` the HTML's `<img>` points at.
fn img_cid(html: &str) -> &str {
    let at = html
        .find("<img src=\"cid:")
        .expect("an <img> with a cid: source")
        + 14;
    let len = html[at..].find('"').unwrap();
    &html[at..at + len]
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_mail_wears_the_brand_of_the_client_services_portal_template(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    // The demo client services are seeded when the service starts.
    let app = spawn_app(pool, &smtp.url()).await;
    let logo = corpus::png(120, 48, [0x0b, 0x7a, 0x3e]);
    give_portal_template(
        &app.pool,
        "demo",
        "/* Demo Issuer */ :root{--brand:#0b7a3e} @media print { :root { --brand: #000 } }",
        &logo,
        "image/png",
    )
    .await;
    // `demo2` has an SVG logo, which mails do not carry: its colours still apply.
    give_portal_template(
        &app.pool,
        "demo2",
        "html { --brand: #7a1f5c; --brand-text: #fff; }",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        "image/svg+xml",
    )
    .await;
    let token = app.token("demo").await;
    app.sign(&token, "OP-1", &["branded@example.com"], true)
        .await;
    let token2 = app.token("demo2").await;
    app.sign(&token2, "OP-2", &["svg@example.com"], false).await;
    assert_eq!(app.run_once().await, 2);

    let messages = smtp.messages();
    assert_eq!(messages.len(), 2, "{}", smtp.log());
    let m = messages
        .iter()
        .find(|m| m.to == "branded@example.com")
        .unwrap();
    assert!(m.defects.is_empty(), "{:?}", m.defects);
    assert_eq!(
        m.structure,
        "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,image/png)),application/pdf)"
    );
    let html = m.html.as_deref().unwrap();
    let text = m.text.as_deref().unwrap();
    // The button and the link in the brand's colour; the rest of portal.css's defaults.
    let link = format!("{PORTAL}/d/{}", token_in(text));
    assert!(
        html.contains(&format!(
            "<a href=\"{link}\" style=\"display:inline-block;padding:10px 18px;background:#0b7a3e;color:#ffffff;"
        )),
        "{html}"
    );
    assert!(!html.contains("#1d4ed8"), "{html}");
    assert!(!html.contains("#000;"), "@media is not the mail's: {html}");
    // The logo: an inline part whose Content-ID the <img> names, the template's bytes.
    let [image] = m.inline.as_slice() else {
        panic!("one inline part: {:?}", m.inline);
    };
    assert_eq!(image.content_type, "image/png");
    assert_eq!(image.disposition.as_deref(), Some("inline"));
    assert_eq!(
        image.content_id.as_deref().unwrap(),
        format!("<{}>", img_cid(html))
    );
    assert!(
        B64.decode(&image.data_b64).unwrap() == logo,
        "the logo's bytes"
    );
    assert!(html.contains("alt=\"Demo Issuer\" height=\"48\""), "{html}");
    // Only the signed file is an attachment; the portal link works as before.
    assert_eq!(m.attachments.len(), 1, "{:?}", m.attachments);
    assert_eq!(m.attachments[0].filename.as_deref(), Some("fatura-1.pdf"));
    assert_eq!(token_in(html), token_in(text));
    assert!(link_is_stored(&app.pool, &token_in(text)).await);

    let m = messages.iter().find(|m| m.to == "svg@example.com").unwrap();
    assert!(m.defects.is_empty(), "{:?}", m.defects);
    assert_eq!(m.structure, "multipart/alternative(text/plain,text/html)");
    assert!(m.inline.is_empty());
    let html = m.html.as_deref().unwrap();
    assert!(html.contains("background:#7a1f5c;color:#fff;"), "{html}");
    assert!(!html.contains("<img") && !html.contains("svg"), "{html}");
    assert!(link_is_stored(&app.pool, &token_in(m.text.as_deref().unwrap())).await);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn without_a_portal_template_the_mail_has_the_default_look(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    app.sign(&token, "OP-1", &["r@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    let m = &smtp.messages()[0];
    assert_eq!(m.structure, "multipart/alternative(text/plain,text/html)");
    let html = m.html.as_deref().unwrap();
    assert!(html.contains("background:#1d4ed8;color:#ffffff;"), "{html}");
    assert!(!html.contains("<img"), "{html}");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_server_that_refuses_then_accepts_gives_sending_error_then_sent(pool: PgPool) {
    let Some(smtp) = SmtpServer::start(Behaviour::Refuse {
        stage: "rcpt",
        reply: "451 4.3.0 Try again later",
        count: 1,
    }) else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &["r@example.com"], false).await;
    assert_eq!(
        app.statuses(&token, id).await,
        one("r@example.com", "PENDING")
    );

    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("r@example.com", "SENDING_ERROR")
    );
    assert!(smtp.delivered().is_empty());
    // The backoff holds the retry back...
    assert_eq!(app.run_once().await, 0, "not due before the backoff");
    tokio::time::sleep(Duration::from_millis(400)).await;
    // ... then the retry goes through.
    assert_eq!(app.run_once().await, 1);
    assert_eq!(app.statuses(&token, id).await, one("r@example.com", "SENT"));
    assert_eq!(smtp.delivered().len(), 1);
    assert_eq!(app.attempts().await, [2]);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_server_that_always_refuses_gives_sending_failed_after_three_attempts(pool: PgPool) {
    let Some(smtp) = SmtpServer::start(Behaviour::Refuse {
        stage: "rcpt",
        reply: "451 4.3.0 Try again later",
        count: -1,
    }) else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &["r@example.com"], false).await;
    let mut seen = vec![app.statuses(&token, id).await[0].1.clone()];
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.last().unwrap() != "SENDING_FAILED" {
        assert!(Instant::now() < deadline, "{seen:?}");
        if app.run_once().await > 0 {
            seen.push(app.statuses(&token, id).await[0].1.clone());
        } else {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(
        seen,
        [
            "PENDING",
            "SENDING_ERROR",
            "SENDING_ERROR",
            "SENDING_FAILED"
        ]
    );
    assert_eq!(app.attempts().await, [3]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.run_once().await, 0, "given up: never tried again");
    assert!(smtp.delivered().is_empty());
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_permanent_refusal_gives_sending_failed_at_once(pool: PgPool) {
    let Some(smtp) = SmtpServer::start(Behaviour::Refuse {
        stage: "rcpt",
        reply: "550 5.1.1 No such user",
        count: -1,
    }) else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app
        .sign(&token, "OP-1", &["nobody@example.com"], false)
        .await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("nobody@example.com", "SENDING_FAILED")
    );
    assert_eq!(app.attempts().await, [1]);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn deliveries_wait_for_the_signature_without_spending_attempts(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &["r@example.com"], false).await;
    // As if the operation were still being signed.
    sqlx::query("UPDATE operations SET status = 'PENDING_EXECUTION' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(app.run_once().await, 0);
    }
    assert_eq!(app.attempts().await, [0]);
    sqlx::query("UPDATE operations SET status = 'EXECUTED' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.run_once().await, 1);
    assert_eq!(app.statuses(&token, id).await, one("r@example.com", "SENT"));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_worker_dying_mid_batch_loses_nothing_and_sends_each_mail_once(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let receivers = ["a@example.com", "b@example.com", "c@example.com"];
    let first = app.sign(&token, "OP-1", &receivers, false).await;
    let second = app.sign(&token, "OP-2", &receivers[..2], true).await;

    // A worker claims everything, then dies before sending or recording anything.
    let lease = Duration::from_millis(700);
    let dead = deliveries::claim_ready_batch(&app.pool, 100, lease)
        .await
        .unwrap();
    assert_eq!(dead.len(), 5);
    drop(dead);
    assert_eq!(app.run_once().await, 0, "still leased by the dead worker");

    // After the lease, a new worker (the real loop, stopped gracefully) takes them all.
    tokio::time::sleep(lease).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = outbox::spawn(app.state.clone(), Arc::new(app.mailer.clone()), stopped);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all: Vec<_> = [
            app.statuses(&token, first).await,
            app.statuses(&token, second).await,
        ]
        .concat();
        if all.iter().all(|(_, s)| s == "SENT") {
            assert_eq!(all.len(), 5);
            break;
        }
        assert!(Instant::now() < deadline, "{all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker stops on shutdown")
        .unwrap();

    // Exactly one message per delivery.
    let mut to: Vec<String> = smtp.messages().iter().map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "a@example.com",
            "a@example.com",
            "b@example.com",
            "b@example.com",
            "c@example.com"
        ]
    );
    assert_eq!(app.attempts().await, [2; 5], "one dead try, one real one");
}

// ---------------------------------------------------------------------------------------------
// A client service's own SMTP server (set in the backoffice)

const SYSTEM_FROM: &str = "Sign'Stash <no-reply@signstash.test>";
const OWN_FROM: &str = "Acme Faturas <faturas@acme.example>";

async fn client_service_id(pool: &PgPool, alias: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM client_services WHERE alias = $1")
        .bind(alias)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// What the backoffice's SMTP page stores for "its own server" (`set_smtp`): plain SMTP on
/// 127.0.0.1:`port`, the sender, and the password already sealed.
async fn use_own_smtp(
    pool: &PgPool,
    alias: &str,
    host: &str,
    port: u16,
    username: Option<&str>,
    sealed_password: Option<Vec<u8>>,
) {
    sqlx::query(
        "UPDATE client_services SET smtp_host = $2, smtp_port = $3, smtp_security = 'NONE',
             smtp_username = $4, smtp_password_encrypted = $5, mail_from = $6
         WHERE alias = $1",
    )
    .bind(alias)
    .bind(host)
    .bind(i32::from(port))
    .bind(username)
    .bind(sealed_password)
    .bind(OWN_FROM)
    .execute(pool)
    .await
    .unwrap();
}

/// What the backoffice stores for "the system's": every SMTP column cleared.
async fn use_system_smtp(pool: &PgPool, alias: &str) {
    sqlx::query(
        "UPDATE client_services SET smtp_host = NULL, smtp_port = NULL, smtp_security = NULL,
             smtp_username = NULL, smtp_password_encrypted = NULL, mail_from = NULL
         WHERE alias = $1",
    )
    .bind(alias)
    .execute(pool)
    .await
    .unwrap();
}

/// A password sealed as the backoffice seals it, for client service `id`.
fn seal_password(app: &TestApp, password: &str, id: i64) -> Vec<u8> {
    app.state
        .master_key
        .seal(
            password.as_bytes(),
            &smtp_password_context(ClientServiceId(id)),
        )
        .unwrap()
}

async fn last_errors(pool: &PgPool) -> Vec<Option<String>> {
    sqlx::query_scalar("SELECT last_error FROM deliveries ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn portal_links_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM portal_links")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_client_service_with_its_own_smtp_server_sends_there_from_its_sender(pool: PgPool) {
    let (Some(system), Some(own)) = (SmtpServer::accepting(), SmtpServer::accepting()) else {
        return;
    };
    let app = spawn_app(pool, &system.url()).await;
    use_own_smtp(&app.pool, "demo", "127.0.0.1", own.port(), None, None).await;
    let token = app.token("demo").await;
    let token2 = app.token("demo2").await;
    let id = app.sign(&token, "OP-1", &["own@example.com"], true).await;
    // In the same batch, a client service without its own server: the system's.
    app.sign(&token2, "OP-2", &["system@example.com"], false)
        .await;
    assert_eq!(app.run_once().await, 2);
    assert_eq!(
        app.statuses(&token, id).await,
        one("own@example.com", "SENT")
    );

    let at_own = own.messages();
    assert_eq!(at_own.len(), 1, "{}", own.log());
    let m = &at_own[0];
    assert_eq!(m.to, "own@example.com");
    assert_eq!(m.from, OWN_FROM);
    // The same mail as through the system: the signed file and a stored portal link.
    assert_eq!(m.attachments.len(), 1, "{m:?}");
    assert!(link_is_stored(&app.pool, &token_in(m.text.as_deref().unwrap())).await);
    let at_system = system.messages();
    assert_eq!(at_system.len(), 1, "{}", system.log());
    assert_eq!(at_system[0].to, "system@example.com");
    assert_eq!(at_system[0].from, SYSTEM_FROM);

    // The resend endpoint follows the same settings.
    let (status, op) = app
        .call(
            &token,
            &format!("/api/v0/delivery/mail/resend/{id}/false"),
            Some(&json!(["again@example.com"])),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(own.wait_for(2).len(), 2);
    assert_eq!(system.delivered().len(), 1);

    // Back to the system's server (and sender): the next mail goes there.
    use_system_smtp(&app.pool, "demo").await;
    let id = app.sign(&token, "OP-3", &["back@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("back@example.com", "SENT")
    );
    assert_eq!(own.delivered().len(), 2, "nothing more at the own server");
    let at_system = system.messages();
    assert_eq!(at_system.len(), 2);
    let m = at_system
        .iter()
        .find(|m| m.to == "back@example.com")
        .unwrap();
    assert_eq!(m.from, SYSTEM_FROM);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_own_server_requiring_auth_gets_the_mail_with_the_sealed_password_only(pool: PgPool) {
    const USER: &str = "faturas@acme.example";
    const PASSWORD: &str = "s3gr3d0:/@?#% ç";
    let (Some(system), Some(own)) = (
        SmtpServer::accepting(),
        SmtpServer::start(Behaviour::RequireAuth {
            username: USER,
            password: PASSWORD,
        }),
    ) else {
        return;
    };
    let app = spawn_app(pool, &system.url()).await;
    let demo = client_service_id(&app.pool, "demo").await;
    let sealed = seal_password(&app, PASSWORD, demo);
    use_own_smtp(
        &app.pool,
        "demo",
        "127.0.0.1",
        own.port(),
        Some(USER),
        Some(sealed),
    )
    .await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &["r@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(app.statuses(&token, id).await, one("r@example.com", "SENT"));
    let at_own = own.messages();
    assert_eq!(at_own.len(), 1, "{}", own.log());
    assert_eq!(at_own[0].from, OWN_FROM);
    assert!(
        own.log()
            .lines()
            .any(|l| l.starts_with("AUTH ") && l.ends_with(" accepted")),
        "{}",
        own.log()
    );

    // A wrong password: the server answers 535, which lettre reports as permanent, so the
    // delivery fails at once, and nothing reaches either mailbox.
    let wrong = seal_password(&app, "not the password", demo);
    use_own_smtp(
        &app.pool,
        "demo",
        "127.0.0.1",
        own.port(),
        Some(USER),
        Some(wrong),
    )
    .await;
    let id = app.sign(&token, "OP-2", &["r2@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("r2@example.com", "SENDING_FAILED")
    );
    assert_eq!(app.attempts().await, [1, 1]);
    let error = last_errors(&app.pool).await[1].clone().unwrap();
    assert!(error.contains("535"), "{error}");
    assert!(!error.contains("not the password"), "{error}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.run_once().await, 0, "not retried");
    assert_eq!(own.delivered().len(), 1);
    assert!(system.delivered().is_empty());
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_unreadable_smtp_password_or_unusable_settings_fail_the_delivery_for_good(pool: PgPool) {
    let (Some(system), Some(own)) = (SmtpServer::accepting(), SmtpServer::accepting()) else {
        return;
    };
    let app = spawn_app(pool, &system.url()).await;
    // A password sealed for another client service, copied into demo's row.
    let demo2 = client_service_id(&app.pool, "demo2").await;
    let foreign = seal_password(&app, "s3cret-of-demo2", demo2);
    use_own_smtp(
        &app.pool,
        "demo",
        "127.0.0.1",
        own.port(),
        Some("u"),
        Some(foreign),
    )
    .await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &["r@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("r@example.com", "SENDING_FAILED")
    );
    assert_eq!(app.attempts().await, [1]);
    let error = last_errors(&app.pool).await[0].clone().unwrap();
    assert!(error.contains("password cannot be read"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
    // Decided before the mail is made: no portal link was made for it.
    assert_eq!(portal_links_count(&app.pool).await, 0);

    // Settings that make no transport (a host no URL can hold).
    use_own_smtp(&app.pool, "demo", "not a host", 2525, Some("u"), None).await;
    let id = app.sign(&token, "OP-2", &["r2@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("r2@example.com", "SENDING_FAILED")
    );
    let error = last_errors(&app.pool).await[1].clone().unwrap();
    assert!(error.contains("own SMTP server"), "{error}");
    assert_eq!(app.attempts().await, [1, 1]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.run_once().await, 0, "never tried again");
    assert!(own.delivered().is_empty());
    assert!(
        system.delivered().is_empty(),
        "never through the system's instead"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_transient_refusal_of_the_own_server_is_retried(pool: PgPool) {
    let (Some(system), Some(own)) = (
        SmtpServer::accepting(),
        SmtpServer::start(Behaviour::Refuse {
            stage: "rcpt",
            reply: "451 4.3.0 Try again later",
            count: 1,
        }),
    ) else {
        return;
    };
    let app = spawn_app(pool, &system.url()).await;
    use_own_smtp(&app.pool, "demo", "127.0.0.1", own.port(), None, None).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &["r@example.com"], false).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(
        app.statuses(&token, id).await,
        one("r@example.com", "SENDING_ERROR")
    );
    let error = last_errors(&app.pool).await[0].clone().unwrap();
    assert!(error.contains("451"), "{error}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.run_once().await, 1);
    assert_eq!(app.statuses(&token, id).await, one("r@example.com", "SENT"));
    assert_eq!(app.attempts().await, [2]);
    assert_eq!(own.wait_for(1).len(), 1);
    assert!(system.delivered().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Resend

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn resend_sends_a_new_mail_now_and_checks_its_input(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &[], false).await;

    let path = format!("/api/v0/delivery/mail/resend/{id}/true");
    let (status, op) = app
        .call(&token, &path, Some(&json!(["again@example.com"])))
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(op["id"], id);
    assert_eq!(op["status"], "EXECUTED");
    assert_eq!(
        op["deliveryInfo"]["personReceiver"],
        json!([{"email": "again@example.com", "deliveryStatus": "SENT"}])
    );
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, "again@example.com");
    assert_eq!(messages[0].attachments.len(), 1);
    assert!(link_is_stored(&app.pool, &token_in(messages[0].text.as_deref().unwrap())).await);
    assert_eq!(app.run_once().await, 0, "the worker does not send it again");

    // Trailing slash, two receivers, no attachment: a new message (and link) each.
    let (status, op) = app
        .call(
            &token,
            &format!("/api/v0/delivery/mail/resend/{id}/false/"),
            Some(&json!(["again@example.com", "other@example.com"])),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(
        op["deliveryInfo"]["personReceiver"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(smtp.delivered().len(), 3);

    let error = |status: u16, code: &str, body: &Value| {
        assert_eq!(body["errorCode"], code, "{body}");
        status
    };
    let (s, b) = app
        .call(&token, &path, Some(&json!(["not-an-address"])))
        .await;
    assert_eq!(error(s, "0.0.6", &b), 400);
    let (s, b) = app.call(&token, &path, Some(&json!([]))).await;
    assert_eq!(error(s, "0.0.2", &b), 400);
    let (s, b) = app
        .call(&token, &path, Some(&json!({"email": "x@example.com"})))
        .await;
    assert_eq!(error(s, "0.0.2", &b), 400);
    let (s, b) = app
        .call(
            &token,
            "/api/v0/delivery/mail/resend/abc/true",
            Some(&json!(["x@example.com"])),
        )
        .await;
    assert_eq!(error(s, "0.0.6", &b), 400);
    let (s, b) = app
        .call(
            &token,
            &format!("/api/v0/delivery/mail/resend/{id}/maybe"),
            Some(&json!(["x@example.com"])),
        )
        .await;
    assert_eq!(error(s, "0.0.6", &b), 400);
    let r = app
        .http
        .post(format!("{}{path}", app.url))
        .json(&json!(["x@example.com"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Another tenant's operation is answered exactly as a missing one, and nothing is sent.
    let other = app.token("demo2").await;
    let (s_other, b_other) = app
        .call(&other, &path, Some(&json!(["x@example.com"])))
        .await;
    let (s_missing, b_missing) = app
        .call(
            &token,
            &format!("/api/v0/delivery/mail/resend/{}/true", id + 1000),
            Some(&json!(["x@example.com"])),
        )
        .await;
    assert_eq!(s_other, 404);
    assert_eq!((s_other, &b_other), (s_missing, &b_missing));
    assert_eq!(smtp.delivered().len(), 3);
    assert_eq!(app.statuses(&token, id).await.len(), 3);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn resend_with_the_transport_down_is_502_and_recorded_as_failed(pool: PgPool) {
    // Nothing listens there: connection refused (no aiosmtpd needed).
    let app = spawn_app(pool, &format!("smtp://127.0.0.1:{}", free_port())).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &[], false).await;
    let (status, body) = app
        .call(
            &token,
            &format!("/api/v0/delivery/mail/resend/{id}/false"),
            Some(&json!(["r@example.com"])),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["errorCode"], "0.0.5");
    assert_eq!(
        app.statuses(&token, id).await,
        one("r@example.com", "SENDING_FAILED")
    );
    assert_eq!(
        app.run_once().await,
        0,
        "the outbox does not retry a resend"
    );
}

// ---------------------------------------------------------------------------------------------
// Receivers: each address once, at most SIGNSTASH_MAX_RECEIVERS (50 by default) per request

/// `n` distinct addresses.
fn addresses(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("r{i}@example.com")).collect()
}

fn refs(addresses: &[String]) -> Vec<&str> {
    addresses.iter().map(String::as_str).collect()
}

async fn deliveries_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_sign_request_mails_each_address_once_and_at_most_fifty(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;

    // The same address twice, also in other letter case, is one receiver: the first spelling.
    let id = app
        .sign(
            &token,
            "OP-1",
            &[
                "Ana.Silva@Example.pt",
                "rui@example.pt",
                "ana.silva@example.pt",
                " ANA.SILVA@EXAMPLE.PT ",
            ],
            false,
        )
        .await;
    assert_eq!(
        app.statuses(&token, id).await,
        vec![
            ("Ana.Silva@Example.pt".to_string(), "PENDING".to_string()),
            ("rui@example.pt".to_string(), "PENDING".to_string()),
        ]
    );
    assert_eq!(app.run_once().await, 2);
    assert_eq!(smtp.wait_for(2).len(), 2);
    let mut to: Vec<String> = smtp.messages().into_iter().map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, ["Ana.Silva@Example.pt", "rui@example.pt"]);

    // 51 distinct addresses: 413 `0.0.4` naming the list, and nothing is signed or queued.
    let over = addresses(51);
    let (status, body) = app
        .call(
            &token,
            "/api/v0/document/sign/base64/",
            Some(&sign_request("OP-2", &refs(&over), false)),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errorCode"], "0.0.4");
    assert_eq!(
        body["causeMessage"],
        "preservationInfo.deliveryInfo.personReceiver holds 51 distinct addresses, over the limit of 50"
    );
    let (status, _) = app
        .call(
            &token,
            "/api/v0/operation/id/withDocumentExternalReference/OP-2-1",
            None,
        )
        .await;
    assert_eq!(status, 404, "no operation was recorded");
    assert_eq!(deliveries_count(&app).await, 2);

    // Fifty distinct ones, repeated in upper case: sixty entries, fifty receivers.
    let mut fifty = addresses(50);
    fifty.extend(addresses(10).iter().map(|a| a.to_uppercase()));
    let id = app.sign(&token, "OP-3", &refs(&fifty), false).await;
    assert_eq!(app.statuses(&token, id).await.len(), 50);
    assert_eq!(deliveries_count(&app).await, 52);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_resend_mails_each_address_once_and_at_most_fifty(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = spawn_app(pool, &smtp.url()).await;
    let token = app.token("demo").await;
    let id = app.sign(&token, "OP-1", &[], false).await;
    let path = format!("/api/v0/delivery/mail/resend/{id}/false");

    let (status, op) = app
        .call(
            &token,
            &path,
            Some(&json!([
                "ana@example.pt",
                "ANA@example.pt",
                "ana@example.pt"
            ])),
        )
        .await;
    assert_eq!(status, 200, "{op}");
    assert_eq!(
        op["deliveryInfo"]["personReceiver"],
        json!([{"email": "ana@example.pt", "deliveryStatus": "SENT"}])
    );
    assert_eq!(smtp.wait_for(1).len(), 1);

    let (status, body) = app.call(&token, &path, Some(&json!(addresses(51)))).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errorCode"], "0.0.4");
    assert_eq!(
        body["causeMessage"],
        "the body holds 51 distinct addresses, over the limit of 50"
    );
    assert_eq!(deliveries_count(&app).await, 1, "nothing queued");
    assert_eq!(smtp.delivered().len(), 1, "nothing sent");
}
