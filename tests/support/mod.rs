//! The platform as its users meet it: the real `integration-ws` and `backoffice` binaries
//! (built by cargo with the workspace, or here when missing), started on free ports over one
//! test database seeded as `cargo xtask up` seeds it, each stopped when the test ends.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use signstash_test_support::pki::TestPki;
use sqlx::PgPool;

/// A service binary started for a test, killed when dropped.
pub struct Service {
    child: Child,
    pub url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace's debug binary `name` of package `package`, built when missing.
pub fn binary(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/platform-… → target/debug
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "--quiet", "-p", package, "--bin", name])
            .status()
            .unwrap();
        assert!(built.success(), "cargo build -p {package} failed");
    }
    assert!(path.exists(), "{} was not built", path.display());
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The URL of the test's database (a `#[sqlx::test]` pool's).
pub fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let name = pool.connect_options().get_database().unwrap().to_owned();
    let root = base
        .rsplit_once('/')
        .map_or(base.as_str(), |(root, _)| root);
    format!("{root}/{name}")
}

/// One platform: a development PKI, the demo tenants and operators, integration-ws and the
/// backoffice.
pub struct Platform {
    pub pki: TestPki,
    pub data: tempfile::TempDir,
    pub database_url: String,
    pub master_key: String,
    pub api: Service,
    pub backoffice: Service,
}

impl Platform {
    pub async fn start(pool: &PgPool) -> Self {
        let pki = TestPki::new();
        let data = tempfile::tempdir().unwrap();
        let database_url = database_url(pool);
        let master_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned();
        let api_port = free_port();
        let integration = |args: &[&str]| {
            let mut c = Command::new(binary("integration-ws", "integration-ws"));
            c.args(args)
                .env("DATABASE_URL", &database_url)
                .env("SIGNSTASH_MASTER_KEY", &master_key)
                .env(
                    "SIGNSTASH_INTEGRATION_BIND",
                    format!("127.0.0.1:{api_port}"),
                )
                .env("SIGNSTASH_DOCUMENT_DIR", data.path().join("documents"))
                .env("SIGNSTASH_MAIL_DIR", data.path().join("mail"))
                .env("SIGNSTASH_TSA_CERT", pki.tsa_cert())
                .env("SIGNSTASH_TSA_KEY", pki.tsa_key())
                .env("SIGNSTASH_LOG_JSON", "false")
                .stdout(Stdio::null());
            c
        };
        let seeded = integration(&[
            "seed-demo",
            &pki.path().display().to_string(),
            &data.path().join("demo").display().to_string(),
        ])
        .status()
        .unwrap();
        assert!(seeded.success(), "integration-ws seed-demo failed");
        let backoffice_bin = binary("backoffice", "backoffice");
        let operators = Command::new(&backoffice_bin)
            .arg("seed-demo-operators")
            .env("DATABASE_URL", &database_url)
            .status()
            .unwrap();
        assert!(operators.success(), "backoffice seed-demo-operators failed");
        let api = Service {
            child: integration(&["serve"]).spawn().unwrap(),
            url: format!("http://127.0.0.1:{api_port}"),
        };
        let bo_port = free_port();
        let backoffice = Service {
            child: Command::new(&backoffice_bin)
                .env("DATABASE_URL", &database_url)
                .env("SIGNSTASH_MASTER_KEY", &master_key)
                .env("SIGNSTASH_BACKOFFICE_BIND", format!("127.0.0.1:{bo_port}"))
                .env(
                    "SIGNSTASH_BACKOFFICE_BASE_URL",
                    format!("http://127.0.0.1:{bo_port}"),
                )
                .env("SIGNSTASH_MAIL_DIR", data.path().join("mail"))
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
            url: format!("http://127.0.0.1:{bo_port}"),
        };
        for service in [&api, &backoffice] {
            wait_ready(&service.url).await;
        }
        Self {
            pki,
            data,
            database_url,
            master_key,
            api,
            backoffice,
        }
    }
}

async fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{url}/health/ready")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{url} did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A browser-less operator of the backoffice: its session cookie and CSRF token.
pub struct Operator {
    url: String,
    http: reqwest::Client,
    cookie: String,
    pub csrf: String,
}

/// An answer: status, `Location`, body.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Answer {
        status,
        location,
        body: r.text().await.unwrap(),
    }
}

/// The value of the hidden input `name` in a page.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &body[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Operator {
    pub async fn sign_in(backoffice: &Service, email: &str, password: &str) -> Self {
        let http = no_redirects();
        let r = http
            .post(format!("{}/sign-in", backoffice.url))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("signstash_backoffice_session="))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("signed in");
        let mut op = Self {
            url: backoffice.url.clone(),
            http,
            cookie,
            csrf: String::new(),
        };
        op.csrf = hidden(&op.get("/home").await.body, "csrf_token").unwrap();
        op
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(
            self.http
                .get(format!("{}{path}", self.url))
                .header("cookie", &self.cookie)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A form, with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &self.csrf)];
        form.extend_from_slice(fields);
        answer(
            self.http
                .post(format!("{}{path}", self.url))
                .header("cookie", &self.cookie)
                .form(&form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// A client service of the integration API.
pub struct ApiClient {
    url: String,
    http: reqwest::Client,
}

impl ApiClient {
    pub fn new(api: &Service) -> Self {
        Self {
            url: api.url.clone(),
            http: reqwest::Client::new(),
        }
    }

    /// A token for `alias`/`secret`: `Ok(token)` or `Err(status, body)`.
    pub async fn token(&self, alias: &str, secret: &str) -> Result<String, (u16, String)> {
        let r = self
            .http
            .post(format!("{}/oauth/token", self.url))
            .basic_auth(alias, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if status != 200 {
            return Err((status, body));
        }
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        Ok(json["access_token"].as_str().unwrap().to_owned())
    }

    /// Signs `content` named `name` (`content_type`, `signature_type`) under `reference`:
    /// the status and the JSON answer.
    pub async fn sign(
        &self,
        token: &str,
        reference: &str,
        document: (&str, &str, &[u8]),
        signature_type: &str,
    ) -> (u16, serde_json::Value) {
        use base64::Engine as _;
        let (name, content_type, content) = document;
        let request = serde_json::json!({
            "externalReference": reference,
            "description": "platform test",
            "returnSignedContent": true,
            "documents": [{
                "documentRequest": {
                    "externalReference": format!("{reference}-1"),
                    "name": name,
                    "contentType": content_type,
                    "base64Content": base64::engine::general_purpose::STANDARD.encode(content),
                },
                "signatureInfo": { "signatureType": signature_type }
            }]
        });
        let r = self
            .http
            .post(format!("{}/api/v0/document/sign/base64/", self.url))
            .bearer_auth(token)
            .json(&request)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }
}
