//! The receiver's world, for black-box tests: integration-ws (signing, the outbox worker) and
//! the client portal on local ports over one fresh PostgreSQL database (from `#[sqlx::test]`)
//! and one encrypted document store, e-mails going to a real SMTP server (aiosmtpd). A test
//! signs through the API as an integrator does, lets the outbox send the mail, reads the link
//! out of the received message and follows it over HTTP as a browser would.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use integration_ws::config::{Config, MailConfig};
use integration_ws::demo::seed_demo_tenants;
use integration_ws::outbox::{self, Mailer};
use serde_json::{json, Value};
use signstash_test_support::pki::TestPki;
use signstash_test_support::smtp::{self, portal_token_in, SmtpServer};
use sqlx::PgPool;

pub const MASTER_KEY: &str = "c2lnbnN0YXNoLXRlc3QtbWFzdGVyLWtleS0zMi1ieXQ=";

pub struct World {
    /// integration-ws.
    pub api: String,
    /// The client portal (what links point at).
    pub portal: String,
    pub http: reqwest::Client,
    pub api_state: integration_ws::state::AppState,
    pub mailer: Mailer,
    pub pool: PgPool,
    pub smtp: SmtpServer,
    /// Mail files already handed out by [`World::deliver`].
    seen: Mutex<HashSet<PathBuf>>,
    pub pki: TestPki,
    pub dir: tempfile::TempDir,
}

impl World {
    /// `None` when aiosmtpd is missing outside CI (the test is then skipped with a note).
    pub async fn start(pool: PgPool) -> Option<Self> {
        Self::start_with(pool, client_portal::config::Limits::default()).await
    }

    /// [`World::start`] with the portal's limits set. The portal believes `X-Forwarded-For`,
    /// so a test can play receivers at several addresses.
    pub async fn start_with(pool: PgPool, limits: client_portal::config::Limits) -> Option<Self> {
        let smtp = SmtpServer::accepting()?;
        let pki = TestPki::new();
        let dir = tempfile::tempdir().unwrap();
        let document_dir = dir.path().join("documents");

        // The portal first: its address goes into the links.
        let portal_config = client_portal::config::Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            database_url: secrecy::SecretString::from(
                "unused: the test gives the pool".to_string(),
            ),
            db_max_connections: 5,
            documents: signstash_store::DocumentStoreBackend::Local {
                root: document_dir.clone(),
                sync: signstash_store::DocumentSync::EachDocument,
            },
            master_key: secrecy::SecretString::from(MASTER_KEY.to_string()),
            trust_forwarded_for: true,
            max_xml_view_bytes: 4 * 1024 * 1024,
            base_url: "http://127.0.0.1".into(),
            mail: client_portal::config::MailConfig {
                smtp_url: Some(secrecy::SecretString::from(smtp.url())),
                mail_dir: dir.path().join("mail"),
                mail_from: "Sign'Stash <no-reply@signstash.test>".into(),
            },
            limits,
        };
        let portal_state = client_portal::state_from(pool.clone(), &portal_config).unwrap();
        let portal_app = client_portal::Application::with_state(portal_state, portal_config.bind)
            .await
            .unwrap();
        let portal = format!("http://127.0.0.1:{}", portal_app.port());
        tokio::spawn(portal_app.run_until(std::future::pending()));

        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            database_url: secrecy::SecretString::from(
                "unused: the test gives the pool".to_string(),
            ),
            db_max_connections: 10,
            // integration-ws takes a store backend (folder or S3) since 329addd.
            documents: signstash_store::DocumentStoreBackend::Local {
                root: document_dir,
                sync: signstash_store::DocumentSync::EachDocument,
            },
            master_key: secrecy::SecretString::from(MASTER_KEY.to_string()),
            jwt_issuer: "signstash-test".into(),
            tsa_url: None,
            tsa_cert: Some(pki.tsa_cert()),
            tsa_key: Some(pki.tsa_key()),
            public_tsa: false,
            max_body_bytes: 16 * 1024 * 1024,
            body_memory_bytes: 512 * 1024 * 1024,
            max_documents: 10,
            max_document_bytes: 4 * 1024 * 1024,
            max_receivers: 50,
            token_throttle: Default::default(),
        };
        let mut mailer = Mailer::from_config(&MailConfig {
            smtp_url: Some(secrecy::SecretString::from(smtp.url())),
            mail_from: "Sign'Stash <no-reply@signstash.test>".into(),
            portal_base_url: portal.clone(),
            ..MailConfig::default()
        })
        .unwrap();
        mailer.idle_sleep = Duration::from_millis(50);
        let api_state =
            integration_ws::state_with_mailer(pool.clone(), &config, Arc::new(mailer.clone()))
                .await
                .unwrap();
        seed_demo_tenants(&pool, &api_state.master_key, pki.path())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = format!("http://{}", listener.local_addr().unwrap());
        let router = integration_ws::router(api_state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Some(Self {
            api,
            portal,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            api_state,
            mailer,
            pool,
            smtp,
            seen: Mutex::default(),
            pki,
            dir,
        })
    }

    /// An access token of the demo client service `alias`.
    pub async fn token(&self, alias: &str) -> String {
        let r = self
            .http
            .post(format!("{}/oauth/token", self.api))
            .basic_auth(alias, Some(format!("{alias}-secret")))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// POSTs a sign request as client service `alias`; the operation as answered.
    pub async fn sign(&self, alias: &str, request: &Value) -> Value {
        let token = self.token(alias).await;
        let r = self
            .http
            .post(format!("{}/api/v0/document/sign/base64/", self.api))
            .bearer_auth(&token)
            .json(request)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let op: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{op}");
        assert_eq!(op["status"], "EXECUTED", "{op}");
        op
    }

    /// The operation's signed documents as the integration API returns them: name → bytes.
    pub async fn signed_documents(&self, alias: &str, id: i64) -> Vec<(String, Vec<u8>)> {
        let token = self.token(alias).await;
        let detail: Value = self
            .http
            .get(format!(
                "{}/api/v0/operation/sign/detail/{id}/contentInResponse/true",
                self.api
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        detail["documentList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap().to_string(),
                    B64.decode(d["signedContent"].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    }

    /// The `expected` mails received since the last call, parsed (in no particular order).
    pub fn mails(&self, expected: usize) -> Vec<smtp::Parsed> {
        let mut seen = self.seen.lock().unwrap();
        let files = self.smtp.wait_for(seen.len() + expected);
        let new: Vec<PathBuf> = files.into_iter().filter(|f| !seen.contains(f)).collect();
        assert_eq!(new.len(), expected, "{}", self.smtp.log());
        seen.extend(new.iter().cloned());
        let python = smtp::any_python().unwrap();
        smtp::parse_messages(&python, &new)
    }

    /// Runs the outbox until nothing is due and waits for the `expected` new mails; the link
    /// in each, with its receiver (in no particular order).
    pub async fn deliver(&self, expected: usize) -> Vec<(String, String)> {
        while outbox::run_once(&self.api_state, &self.mailer)
            .await
            .unwrap()
            > 0
        {}
        self.mails(expected)
            .into_iter()
            .map(|m| {
                let text = m.text.expect("a text part");
                let at = text
                    .find(&format!("{}/d/", self.portal))
                    .unwrap_or_else(|| panic!("no link to {} in the mail:\n{text}", self.portal));
                let token = portal_token_in(&text[at..]);
                (m.to, format!("{}/d/{token}", self.portal))
            })
            .collect()
    }

    /// The access code in the next mail, with the mail's receiver and subject.
    pub fn access_code_mail(&self) -> (String, String, String) {
        let m = self.mails(1).remove(0);
        let text = m.text.expect("a text part");
        let code = text
            .split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no code in:\n{text}"))
            .to_string();
        (m.to, m.subject, code)
    }

    /// GET `url` (absolute, or a path of the portal).
    pub async fn get(&self, url: &str) -> reqwest::Response {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.portal)
        };
        self.http.get(url).send().await.unwrap()
    }
}

/// One document of a sign request.
pub fn document(reference: &str, name: &str, content: &[u8], signature: Value) -> Value {
    json!({
        "documentRequest": {
            "externalReference": reference, "name": name,
            "contentType": "application/octet-stream", "base64Content": B64.encode(content)
        },
        "signatureInfo": signature
    })
}

/// A sign request for `receivers`.
pub fn sign_request(reference: &str, documents: Vec<Value>, receivers: &[&str]) -> Value {
    json!({
        "externalReference": reference,
        "description": "Faturas de novembro",
        "documents": documents,
        "preservationInfo": {"deliveryInfo": {
            "attachDocuments": false,
            "personReceiver": receivers.iter().map(|e| json!({"email": e})).collect::<Vec<_>>()
        }}
    })
}

/// Every `href="..."` of a page, in order (HTML-unescaped `&amp;`).
pub fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// The text an HTML fragment displays: character references decoded (the ones askama and
/// other escapers write), markup left as is.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|e| *e <= 8) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
