//! The backoffice as its tests drive it: started on a free port over a test database (with the
//! demo tenants, the four development operators and a second partner whose issuer none of the
//! demo operators may see), and operators signed in over HTTP, each with its cookie and CSRF
//! token.
#![allow(dead_code, clippy::unwrap_used)]

use backoffice::config::Config;
use backoffice::demo::DEMO_OPERATORS;
use backoffice::{state_from, Application};
use signstash_domain::{EmailAddress, Role, VatNumber};
use signstash_store::companies::{self, NewIssuerCompany, NewPartnerCompany};
use signstash_store::operators::{self, NewOperator};
use signstash_test_support::pki::TestPki;
use sqlx::PgPool;

pub struct Backoffice {
    pub url: String,
    pub pool: PgPool,
    /// A certificate authority (the platform's: no tenant).
    pub authority: i64,
    /// The ids of the demo tenant (`demo`'s partner and issuer) and of another one.
    pub demo: Tenant,
    pub other: Tenant,
    _pki: TestPki,
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

/// An answer: status, `Location`, body.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Backoffice {
    /// The demo tenants and operators, a second partner with an issuer, and the service.
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, Config::default()).await
    }

    pub async fn start_with(pool: PgPool, config: Config) -> Self {
        let pki = TestPki::new();
        integration_ws::demo::seed_demo_tenants(
            &pool,
            &signstash_store::MasterKey::generate(),
            pki.path(),
        )
        .await
        .unwrap();
        backoffice::demo::seed_demo_operators(&pool).await.unwrap();
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
            _pki: pki,
        }
    }

    /// A visitor without a session.
    pub fn anonymous(&self) -> Client {
        Client {
            url: self.url.clone(),
            http: client(),
            cookie: None,
            csrf: String::new(),
        }
    }

    /// The development operator with `role`, signed in.
    pub async fn signed_in(&self, role: Role) -> Client {
        let (email, password, _, _) = DEMO_OPERATORS.into_iter().find(|o| o.3 == role).unwrap();
        self.sign_in(email, password).await.unwrap()
    }

    /// Signs in; `None` when refused.
    pub async fn sign_in(&self, email: &str, password: &str) -> Option<Client> {
        let mut c = self.anonymous();
        let a = c
            .post_raw("/sign-in", &[("email", email), ("password", password)])
            .await;
        a.cookie.as_ref()?;
        c.cookie = a.cookie;
        let home = c.get("/home").await;
        assert_eq!(home.status, 200, "{}", home.body);
        c.csrf = hidden(&home.body, "csrf_token").unwrap();
        Some(c)
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

pub struct Client {
    pub url: String,
    http: reqwest::Client,
    pub cookie: Option<String>,
    pub csrf: String,
}

struct RawAnswer {
    cookie: Option<String>,
}

impl Client {
    pub async fn get(&self, path: &str) -> Answer {
        let mut r = self.http.get(format!("{}{path}", self.url));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        answer(r.send().await.unwrap()).await
    }

    /// A form posted with this session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &self.csrf)];
        form.extend_from_slice(fields);
        self.send_post(path, &form).await
    }

    /// A form posted as given (no token added).
    pub async fn post_as_is(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.send_post(path, fields).await
    }

    async fn send_post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut r = self.http.post(format!("{}{path}", self.url)).form(fields);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        answer(r.send().await.unwrap()).await
    }

    async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> RawAnswer {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .form(fields)
            .send()
            .await
            .unwrap();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("signstash_backoffice_session=") && !v.contains("Max-Age=0"))
            .map(|v| v.split(';').next().unwrap().to_owned());
        RawAnswer { cookie }
    }
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
