//! E-mail delivery end to end: the outbox worker and the resend endpoint against a real SMTP
//! server (aiosmtpd, started from `mail_helper.py` of crates/test-support) and a real PostgreSQL (a fresh
//! database per test). Statuses are read back through the API, as an integrator sees them.
//!
//! Without the venv's aiosmtpd the SMTP tests fail under `CI` and are skipped (with a note)
//! elsewhere.
#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use integration_ws::config::Config;
use integration_ws::demo::{seed, DemoClient};
use integration_ws::outbox::{self, Mailer};
use integration_ws::state::AppState;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use signstash_delivery::{MailComposer, Sender, SmtpTransport};
use signstash_store::deliveries;
use signstash_test_support::corpus;
use signstash_test_support::pki::TestPki;
use sqlx::PgPool;

const MASTER_KEY: &str = "c2lnbnN0YXNoLXRlc3QtbWFzdGVyLWtleS0zMi1ieXQ=";
const PORTAL: &str = "https://portal.signstash.test";

// ---------------------------------------------------------------------------------------------
// SMTP servers

fn venv() -> PathBuf {
    std::env::var_os("SIGNSTASH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.data/venv"))
}

fn helper() -> PathBuf {
    signstash_test_support::mail_helper()
}

/// The venv's Python when it can import aiosmtpd; `None` (after a note) outside CI.
fn aiosmtpd_python() -> Option<PathBuf> {
    let python = venv().join("bin/python");
    let works = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if works {
        return Some(python);
    }
    let note = format!(
        "aiosmtpd is not available: create the venv with `cargo xtask test` or set \
         SIGNSTASH_VENV (currently {})",
        venv().display()
    );
    assert!(std::env::var_os("CI").is_none(), "{note}");
    eprintln!("SKIPPED (not under CI): {note}");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// A running aiosmtpd (Mailbox handler), killed and reaped on drop, even when a test panics.
struct SmtpServer {
    child: Child,
    port: u16,
    python: PathBuf,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Refuses the first `refusals` messages (-1: all) with `reply` at RCPT; stores the others.
    fn start(refusals: i32, reply: &str) -> Option<Self> {
        let python = aiosmtpd_python()?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(&python)
            .arg(helper())
            .args(["serve", "--port", &port.to_string(), "--maildir"])
            .arg(dir.path().join("Maildir"))
            .args(["--stage", "rcpt", "--reply", reply])
            .args(["--count", &refusals.to_string()])
            .stdin(Stdio::piped()) // closed on drop: the helper exits on EOF
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            port,
            python,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited ({status}):\n{}", server.log());
            }
            assert!(Instant::now() < deadline, "aiosmtpd not listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    fn accepting() -> Option<Self> {
        Self::start(0, "451 4.3.0 unused")
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The stored messages (Maildir `new/`).
    fn delivered(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("Maildir/new"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }

    /// Every stored message, parsed by Python's `email` package.
    fn messages(&self) -> Vec<Value> {
        let files = self.delivered();
        let output = Command::new(&self.python)
            .arg(helper())
            .arg("parse")
            .args(&files)
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(output.status.success(), "mail_helper.py parse failed");
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The service

fn mailer(smtp_url: &str) -> Mailer {
    let transport = SmtpTransport::from_url(smtp_url, outbox::SMTP_TIMEOUTS).unwrap();
    let sender = Sender::new(Some("Sign'Stash"), "no-reply@signstash.test").unwrap();
    let mut m = Mailer::new(
        Arc::new(transport),
        MailComposer::new(sender, PORTAL).unwrap(),
    );
    // Retries come quickly in tests; the threshold stays the default 3.
    m.retry.base_backoff = Duration::from_millis(300);
    m.idle_sleep = Duration::from_millis(50);
    m
}

struct TestApp {
    url: String,
    http: reqwest::Client,
    state: AppState,
    pool: PgPool,
    mailer: Mailer,
    _pki: TestPki,
    _dir: tempfile::TempDir,
}

/// The service on a port, its mails going to `smtp_url`, with the demo tenants.
async fn spawn_app(pool: PgPool, smtp_url: &str) -> TestApp {
    let pki = TestPki::new();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: secrecy::SecretString::from("unused: the test gives the pool".to_string()),
        db_max_connections: 10,
        document_dir: dir.path().join("documents"),
        master_key: secrecy::SecretString::from(MASTER_KEY.to_string()),
        jwt_issuer: "signstash-test".into(),
        tsa_url: None,
        tsa_cert: Some(pki.tsa_cert()),
        tsa_key: Some(pki.tsa_key()),
        max_body_bytes: 16 * 1024 * 1024,
        max_documents: 10,
        max_document_bytes: 4 * 1024 * 1024,
    };
    let mailer = mailer(smtp_url);
    let state = integration_ws::state_with_mailer(pool.clone(), &config, Arc::new(mailer.clone()))
        .await
        .unwrap();
    let key = std::fs::read(pki.path().join("signer.key")).unwrap();
    let chain = std::fs::read_to_string(pki.path().join("signer.pem")).unwrap()
        + &std::fs::read_to_string(pki.ca()).unwrap();
    let client = |alias, secret, issuer_name, issuer_vat| DemoClient {
        alias,
        secret,
        issuer_name,
        issuer_vat,
        key_pem: &key,
        chain_pem: &chain,
    };
    seed(
        &pool,
        &state.master_key,
        &[
            client("demo", "demo-secret", "Demo Issuer", "500000018"),
            client("demo2", "demo2-secret", "Other Issuer", "500000026"),
        ],
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = integration_ws::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    TestApp {
        url,
        http: reqwest::Client::new(),
        state,
        pool,
        mailer,
        _pki: pki,
        _dir: dir,
    }
}

impl TestApp {
    async fn token(&self, alias: &str) -> String {
        let r = self
            .http
            .post(format!("{}/oauth/token", self.url))
            .basic_auth(alias, Some(format!("{alias}-secret")))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    async fn call(&self, token: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let request = match body {
            Some(b) => self.http.post(url).json(b),
            None => self.http.get(url),
        };
        let r = request.bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Signs one PDF for `receivers`; returns the operation id.
    async fn sign(&self, token: &str, reference: &str, receivers: &[&str], attach: bool) -> i64 {
        let pdf = corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap();
        let request = json!({
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
        });
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
    assert_eq!(m["to"], "cliente@example.pt");
    // The client service's language (pt_PT by default), the issuer and the description.
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.contains("Demo Issuer"), "{subject}");
    let text = m["text"].as_str().unwrap();
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
    let attachments = m["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{m}");
    assert_eq!(attachments[0]["filename"], "fatura-1.pdf");
    assert_eq!(attachments[0]["content_type"], "application/pdf");
    let attached = B64
        .decode(attachments[0]["data_b64"].as_str().unwrap())
        .unwrap();
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
        assert!(m["attachments"].as_array().unwrap().is_empty(), "{m}");
        let t = token_in(m["text"].as_str().unwrap());
        assert!(link_is_stored(&app.pool, &t).await);
        tokens.push(t);
    }
    assert_ne!(tokens[0], tokens[1], "one link per receiver");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_server_that_refuses_then_accepts_gives_sending_error_then_sent(pool: PgPool) {
    let Some(smtp) = SmtpServer::start(1, "451 4.3.0 Try again later") else {
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
    let Some(smtp) = SmtpServer::start(-1, "451 4.3.0 Try again later") else {
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
    let Some(smtp) = SmtpServer::start(-1, "550 5.1.1 No such user") else {
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
    let mut to: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_string())
        .collect();
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
    assert_eq!(messages[0]["to"], "again@example.com");
    assert_eq!(messages[0]["attachments"].as_array().unwrap().len(), 1);
    assert!(link_is_stored(&app.pool, &token_in(messages[0]["text"].as_str().unwrap())).await);
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
