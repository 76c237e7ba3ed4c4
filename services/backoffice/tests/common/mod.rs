//! The backoffice as its tests drive it: started on a free port over a test database, seeded as
//! a test needs (nothing; the demo tenants and the four development operators; or those and a
//! second partner whose issuer none of the demo operators may see), operators signed in over
//! HTTP, each with its cookie and CSRF token; and integration-ws started in-process over the same
//! database, for the tests that show a change made here taking effect there.
#![allow(dead_code, clippy::unwrap_used)]

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backoffice::config::Config;
use backoffice::demo::DEMO_OPERATORS;
use backoffice::{state_from, Application};
use reqwest::{Method, RequestBuilder};
use secrecy::SecretString;
use signstash_domain::{ClientServiceId, EmailAddress, Role, VatNumber};
use signstash_store::companies::{self, NewIssuerCompany, NewPartnerCompany};
use signstash_store::operators::{self, NewOperator};
use signstash_store::MasterKey;
use signstash_test_support::pki::TestPki;
use signstash_test_support::smtp::SmtpServer;
use sqlx::PgPool;

/// The master key [`IntegrationWs`] runs with; [`config`] gives it to the backoffice too.
pub const MASTER_KEY: &str = "c2lnbnN0YXNoLXRlc3QtbWFzdGVyLWtleS0zMi1ieXQ=";

/// The default configuration with [`MASTER_KEY`], so that the backoffice, integration-ws and the
/// demo tenants' sealed keys agree.
pub fn config() -> Config {
    Config {
        master_key: SecretString::from(MASTER_KEY),
        ..Config::default()
    }
}

/// What [`seed_demo`] wrote: the PKI the demo certificates come from, and the demo client
/// services (`demo`, then `demo2`).
pub struct Demo {
    pub pki: TestPki,
    pub client_services: Vec<ClientServiceId>,
}

/// The demo tenants (their certificates' keys sealed with `config`'s master key, the one the
/// service started with `config` opens them with) and the four development operators.
pub async fn seed_demo(pool: &PgPool, config: &Config) -> Demo {
    let pki = TestPki::new();
    let client_services =
        integration_ws::demo::seed_demo_tenants(pool, &master_key(config), pki.path())
            .await
            .unwrap();
    backoffice::demo::seed_demo_operators(pool).await.unwrap();
    Demo {
        pki,
        client_services,
    }
}

fn master_key(config: &Config) -> MasterKey {
    MasterKey::from_base64(&config.master_key).unwrap()
}

/// The backoffice serving on a free port.
pub struct Service {
    pub url: String,
    pub pool: PgPool,
    /// The key it seals secrets with (its configuration's).
    pub master_key: MasterKey,
    /// The language cookie every client of it sends (see [`Service::english`]).
    lang: Option<&'static str>,
}

impl Service {
    /// Over `pool` as it is: nothing is seeded.
    pub async fn serve(pool: PgPool, config: Config) -> Self {
        let app = Application::with_state(
            state_from(pool.clone(), &config),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        Self {
            url,
            pool,
            master_key: master_key(&config),
            lang: None,
        }
    }

    /// Over the demo tenants and the development operators ([`seed_demo`]).
    pub async fn demo(pool: PgPool, config: Config) -> Self {
        seed_demo(&pool, &config).await;
        Self::serve(pool, config).await
    }

    /// Its clients ask for English pages (the language cookie on every request).
    pub fn english(mut self) -> Self {
        self.lang = Some("en");
        self
    }

    /// A visitor without a session.
    pub fn anonymous(&self) -> Client {
        Client {
            url: self.url.clone(),
            http: client(),
            cookie: None,
            csrf: String::new(),
            lang: self.lang,
        }
    }

    /// A visitor presenting the session cookie `cookie` (`name=value`), without its CSRF token.
    pub fn presenting(&self, cookie: &str) -> Client {
        Client {
            cookie: Some(cookie.to_owned()),
            ..self.anonymous()
        }
    }

    /// The development operator with `role`, signed in.
    pub async fn signed_in(&self, role: Role) -> Client {
        let (email, password) = credentials(role);
        self.sign_in(email, password).await.unwrap()
    }

    /// Signs in (sent to `/home`, whose page gives the session's CSRF token); `None` when
    /// refused.
    pub async fn sign_in(&self, email: &str, password: &str) -> Option<Client> {
        let mut c = self.anonymous();
        let a = self.post_sign_in(email, password).await;
        c.cookie = Some(a.session_cookie()?);
        assert_eq!(a.status, 303, "{email}");
        assert_eq!(a.location.as_deref(), Some("/home"), "{email}");
        let home = c.get("/home").await;
        assert_eq!(home.status, 200, "{}", home.body);
        c.csrf = hidden(&home.body, "csrf_token").unwrap();
        Some(c)
    }

    /// The sign-in form posted by a visitor without a session, answered as it is.
    pub async fn post_sign_in(&self, email: &str, password: &str) -> Answer {
        self.anonymous()
            .post_as_is("/sign-in", &[("email", email), ("password", password)])
            .await
    }

    /// The id of the issuer company named `name`.
    pub async fn issuer_id(&self, name: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM issuer_companies WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The e-mail and password of the development operator with `role`.
pub fn credentials(role: Role) -> (&'static str, &'static str) {
    let (email, password, _, _) = DEMO_OPERATORS.into_iter().find(|o| o.3 == role).unwrap();
    (email, password)
}

/// The service over the demo tenants and operators, a second partner with an issuer (its
/// operator and client service), and a certificate authority.
pub struct Backoffice {
    service: Service,
    /// A certificate authority (the platform's: no tenant).
    pub authority: i64,
    /// The ids of the demo tenant (`demo`'s partner and issuer) and of another one.
    pub demo: Tenant,
    pub other: Tenant,
}

impl Deref for Backoffice {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Tenant {
    pub partner: i64,
    pub issuer: i64,
    /// An issuer operator of `issuer`.
    pub operator: i64,
    /// A client service of `issuer`.
    pub client_service: i64,
}

impl Backoffice {
    /// The demo tenants and operators, a second partner with an issuer, and the service.
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, Config::default()).await
    }

    pub async fn start_with(pool: PgPool, config: Config) -> Self {
        seed_demo(&pool, &config).await;
        let (issuer, partner, client_service): (i64, i64, i64) = sqlx::query_as(
            "SELECT ic.id, ic.partner_company_id, cs.id FROM client_services cs
             JOIN issuer_companies ic ON ic.id = cs.issuer_company_id WHERE cs.alias = 'demo'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let other_partner = companies::create_partner(
            &pool,
            &NewPartnerCompany {
                name: "Other Partner".into(),
                vat_number: VatNumber::try_from("509999999").unwrap(),
                country_code: "PRT".into(),
                email: None,
            },
        )
        .await
        .unwrap();
        let other_issuer = companies::create_issuer(
            &pool,
            &NewIssuerCompany {
                partner_company_id: other_partner,
                name: "Other Issuer".into(),
                vat_number: VatNumber::try_from("509999980").unwrap(),
                country_code: "PRT".into(),
                address: None,
                postal_code: None,
                city: None,
                email: None,
            },
        )
        .await
        .unwrap();
        let demo_operator: i64 =
            sqlx::query_scalar("SELECT id FROM operators WHERE email = 'issuer@signstash.local'")
                .fetch_one(&pool)
                .await
                .unwrap();
        let other_operator = operators::create(
            &pool,
            &NewOperator {
                partner_company_id: None,
                issuer_company_id: Some(other_issuer),
                email: EmailAddress::try_from("other-issuer@signstash.test").unwrap(),
                name: "Other Issuer Operator".into(),
                role: Role::Issuer,
                password_hash: signstash_oauth::hash_secret("other-issuer-password").unwrap(),
            },
        )
        .await
        .unwrap();
        let authority = signstash_store::certificates::create_authority(
            &pool,
            &signstash_store::certificates::NewCertificateAuthority {
                name: "Test Authority".into(),
                csc_base_url: None,
                oauth_authorize_url: None,
                oauth_token_url: None,
                oauth_client_id: None,
                oauth_client_secret_encrypted: None,
                ca_chain_pem: None,
            },
        )
        .await
        .unwrap();
        let other_client_service = signstash_store::client_services::create(
            &pool,
            &signstash_store::client_services::NewClientService {
                issuer_company_id: other_issuer,
                alias: signstash_domain::Alias::try_from("other").unwrap(),
                name: "Other ERP".into(),
                secret_hash: signstash_oauth::hash_secret("other-secret").unwrap(),
                language: signstash_domain::Language::PtPt,
                certificate_id: None,
                concurrency_limit: 1,
            },
        )
        .await
        .unwrap();
        Self {
            service: Service::serve(pool, config).await,
            authority: authority.0,
            demo: Tenant {
                partner,
                issuer,
                operator: demo_operator,
                client_service,
            },
            other: Tenant {
                partner: other_partner.0,
                issuer: other_issuer.0,
                operator: other_operator.0,
                client_service: other_client_service.0,
            },
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the hidden input `name` in a page.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &body[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// A visitor of the service: its session's cookie and CSRF token when signed in.
pub struct Client {
    pub url: String,
    http: reqwest::Client,
    pub cookie: Option<String>,
    pub csrf: String,
    lang: Option<&'static str>,
}

impl Client {
    /// A request to `path` with this visitor's cookies, to complete and [`answer`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.url));
        let lang = self.lang.map(|l| format!("signstash_backoffice_lang={l}"));
        let cookies: Vec<&str> = self
            .cookie
            .iter()
            .chain(&lang)
            .map(String::as_str)
            .collect();
        if cookies.is_empty() {
            r
        } else {
            r.header("cookie", cookies.join("; "))
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(self.request(Method::GET, path)).await
    }

    /// The status and the page at `path`.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let a = self.get(path).await;
        (a.status, a.body)
    }

    /// A form posted with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &self.csrf)];
        form.extend_from_slice(fields);
        self.post_as_is(path, &form).await
    }

    /// A form posted as given (no token added).
    pub async fn post_as_is(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        answer(self.request(Method::POST, path).form(fields)).await
    }
}

/// An answer: status, `Location`, headers, body.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The session cookie (`name=value`) it sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("signstash_backoffice_session=") && !v.contains("Max-Age=0"))
            .map(|v| v.split(';').next().unwrap().to_owned())
    }
}

/// Sends `request` and reads its answer.
pub async fn answer(request: RequestBuilder) -> Answer {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Answer {
        status,
        location,
        headers,
        body: r.text().await.unwrap(),
    }
}

/// Polls `done` every 5 ms; panics after 10 s.
pub async fn wait_until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// integration-ws in-process over the same database, with [`MASTER_KEY`] (as its own tests
/// start it), listening to the tenancy changes the backoffice makes.
pub struct IntegrationWs {
    pub url: String,
    pub state: integration_ws::state::AppState,
    http: reqwest::Client,
    /// The timestamp authority's files it reads.
    _pki: TestPki,
}

impl IntegrationWs {
    /// Its documents and mail under `dir`.
    pub async fn start(pool: &PgPool, dir: &Path) -> Self {
        use integration_ws::config::{Config, MailConfig, TokenThrottle};
        let pki = TestPki::new();
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            database_url: SecretString::from("unused: the test gives the pool".to_string()),
            db_max_connections: 5,
            documents: signstash_store::DocumentStoreBackend::Local {
                root: dir.join("documents"),
                sync: signstash_store::DocumentSync::EachDocument,
            },
            master_key: SecretString::from(MASTER_KEY),
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
            token_throttle: TokenThrottle::default(),
        };
        let mailer = integration_ws::outbox::Mailer::from_config(&MailConfig {
            mail_dir: dir.join("mail"),
            ..MailConfig::default()
        })
        .unwrap();
        let state = integration_ws::state_with_mailer(pool.clone(), &config, Arc::new(mailer))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = integration_ws::router(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        wait_until(|| state.tenancy.is_listening()).await;
        Self {
            url,
            state,
            http: reqwest::Client::new(),
            _pki: pki,
        }
    }

    /// The status of a token request for `alias`/`secret`, and the token when granted.
    pub async fn token(&self, alias: &str, secret: &str) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}/oauth/token", self.url))
            .basic_auth(alias, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        (
            status,
            body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    }

    /// The demo sign request (`reference`) with `token`: its status and JSON body.
    pub async fn sign(&self, token: &str, reference: &str) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/api/v0/document/sign/base64/", self.url))
            .bearer_auth(token)
            .json(&integration_ws::demo::sample_sign_request(reference))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or_default())
    }
}

/// Mail through `smtp`, or else to files in a directory of its own.
pub fn mail_config(smtp: Option<&SmtpServer>) -> Config {
    Config {
        smtp_url: smtp.map(|s| SecretString::from(s.url())),
        mail_dir: tempfile::tempdir().unwrap().keep(),
        ..Config::default()
    }
}

/// Waits (up to 10 s, without blocking the runtime: reset e-mails leave from a task of the
/// server) for `n` delivered messages.
pub async fn arrived(smtp: &SmtpServer, n: usize) -> Vec<std::path::PathBuf> {
    for _ in 0..200 {
        if smtp.delivered().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    smtp.delivered()
}

/// The path of the link (`/activate/…` or `/reset/…`) in a mail body.
pub fn link_in(body: &str, kind: &str) -> String {
    let at = body.find(&format!("/{kind}/")).unwrap();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect()
}
