//! The service as the black-box tests meet it: on a local port, over a fresh PostgreSQL database
//! (one per test, from `#[sqlx::test]`), with the encrypted document store in a temporary folder,
//! the embedded timestamp authority, the demo tenants `demo` and `demo2` (secrets
//! `demo-secret` and `demo2-secret`) and mail going to a given SMTP server or to `.eml` files.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use integration_ws::config::{Config, MailConfig, TokenThrottle};
use integration_ws::demo::seed_demo_tenants;
use integration_ws::outbox::Mailer;
use integration_ws::state::AppState;
use serde_json::{json, Value};
use signstash_test_support::pki::TestPki;
use sqlx::PgPool;

pub const MASTER_KEY: &str = "c2lnbnN0YXNoLXRlc3QtbWFzdGVyLWtleS0zMi1ieXQ=";
pub const PORTAL: &str = "https://portal.signstash.test";

/// What a test may change.
pub struct Options {
    /// `None`: mails become `.eml` files in the test's folder.
    pub smtp_url: Option<String>,
    pub max_body_bytes: usize,
    /// `SIGNSTASH_BODY_MEMORY_BYTES`.
    pub body_memory_bytes: u64,
    pub max_documents: usize,
    pub max_document_bytes: usize,
    /// Receivers per sign request and per resend (the service's default, 50, unless changed).
    pub max_receivers: usize,
    /// Serve the embedded authority to anyone at `/tsa` (`SIGNSTASH_PUBLIC_TSA`; off by default).
    pub public_tsa: bool,
    /// `None`: the local folder backend in the test's folder.
    pub s3: Option<signstash_store::S3Config>,
    pub token_throttle: TokenThrottle,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            smtp_url: None,
            max_body_bytes: 16 * 1024 * 1024,
            body_memory_bytes: 512 * 1024 * 1024,
            max_documents: 10,
            max_document_bytes: 4 * 1024 * 1024,
            max_receivers: 50,
            public_tsa: false,
            s3: None,
            token_throttle: TokenThrottle::default(),
        }
    }
}

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub pool: PgPool,
    pub mailer: Mailer,
    pub pki: TestPki,
    pub dir: tempfile::TempDir,
    pub config: Config,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, Options::default()).await
    }

    pub async fn spawn_with(pool: PgPool, options: Options) -> Self {
        let pki = TestPki::new();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            database_url: secrecy::SecretString::from(
                "unused: the test gives the pool".to_string(),
            ),
            db_max_connections: 10,
            documents: match options.s3 {
                Some(s3) => signstash_store::DocumentStoreBackend::S3(s3),
                None => signstash_store::DocumentStoreBackend::Local {
                    root: dir.path().join("documents"),
                    sync: signstash_store::DocumentSync::EachDocument,
                },
            },
            master_key: secrecy::SecretString::from(MASTER_KEY.to_string()),
            jwt_issuer: "signstash-test".into(),
            tsa_url: None,
            tsa_cert: Some(pki.tsa_cert()),
            tsa_key: Some(pki.tsa_key()),
            public_tsa: options.public_tsa,
            max_body_bytes: options.max_body_bytes,
            body_memory_bytes: options.body_memory_bytes,
            max_documents: options.max_documents,
            max_document_bytes: options.max_document_bytes,
            max_receivers: options.max_receivers,
            token_throttle: options.token_throttle,
        };
        let mut mailer = Mailer::from_config(&MailConfig {
            smtp_url: options.smtp_url.map(secrecy::SecretString::from),
            mail_dir: dir.path().join("mail"),
            mail_from: "Sign'Stash <no-reply@signstash.test>".into(),
            portal_base_url: PORTAL.into(),
            ..MailConfig::default()
        })
        .unwrap();
        // Retries come quickly in tests; the threshold stays the default 3.
        mailer.retry.base_backoff = Duration::from_millis(300);
        mailer.idle_sleep = Duration::from_millis(50);
        let state =
            integration_ws::state_with_mailer(pool.clone(), &config, Arc::new(mailer.clone()))
                .await
                .unwrap();
        seed_demo_tenants(&pool, &state.master_key, pki.path())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = integration_ws::router(state.clone());
        // With the peer address, as `Application::run` serves (the token endpoint counts by it).
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        // Client services are kept in memory only once changes are heard: wait for that, so
        // tests run the path production runs.
        wait_until("the service listens for tenancy changes", || {
            state.tenancy.is_listening()
        })
        .await;
        Self {
            url,
            http: reqwest::Client::new(),
            state,
            pool,
            mailer,
            pki,
            dir,
            config,
        }
    }

    /// Another instance of the service over the same database (as a second replica behind a
    /// load balancer would be); its URL.
    pub async fn another_instance(&self) -> String {
        let state = integration_ws::state_with_mailer(
            self.pool.clone(),
            &self.config,
            Arc::new(self.mailer.clone()),
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = integration_ws::router(state);
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        url
    }

    /// Runs a statement that changes client services, issuers or certificates, and returns once
    /// the service has heard of it (as every instance does within moments in production).
    pub async fn change_tenancy(&self, statement: &str) {
        let before = self.state.tenancy.generation();
        sqlx::query(statement).execute(&self.pool).await.unwrap();
        wait_until("the service hears of the tenancy change", || {
            self.state.tenancy.generation() > before
        })
        .await;
    }

    /// A token of the demo client service `alias` (secret `{alias}-secret`), by Basic auth.
    pub async fn token(&self, alias: &str) -> String {
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
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 86399);
        body["access_token"].as_str().unwrap().to_string()
    }

    /// POST with a JSON body when `body` is given, else GET; the status and the JSON answer
    /// (`null` when the answer is not JSON).
    pub async fn call(&self, token: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let request = match body {
            Some(b) => self.http.post(url).json(b),
            None => self.http.get(url),
        };
        let r = request.bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.call(token, path, Some(body)).await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.call(token, path, None).await
    }
}

/// One document of a sign request.
pub fn document(
    reference: &str,
    name: &str,
    content_type: &str,
    content: &[u8],
    signature: Value,
) -> Value {
    json!({
        "documentRequest": {"externalReference": reference, "name": name, "contentType": content_type, "base64Content": B64.encode(content)},
        "signatureInfo": signature
    })
}

/// Takes each document's `base64Content` out of a sign request, decoded: the request and the
/// files of the multipart variant, in order.
pub fn without_contents(request: &mut Value) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for d in request["documents"].as_array_mut().unwrap() {
        let b64 = d["documentRequest"]
            .as_object_mut()
            .unwrap()
            .remove("base64Content")
            .unwrap();
        files.push(B64.decode(b64.as_str().unwrap()).unwrap());
    }
    files
}

/// Polls `done` every 5 ms; panics after 10 s.
pub async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
