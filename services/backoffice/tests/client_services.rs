//! The Client services menu over HTTP, as each development operator uses it: create through
//! the form (the alias in the product's shape, the secret shown once and only its hash kept),
//! rotate, a weak typed secret refused, scope (another partner's client service is a 404 on
//! every route), the auditor's read-only view, the SMTP password sealed at rest.
#![allow(clippy::unwrap_used)]

use backoffice::config::Config;
use backoffice::{state_from, Application};
use signstash_test_support::pki::TestPki;
use sqlx::PgPool;

const MASTER_KEY: &str = "c2lnbnN0YXNoLXRlc3QtbWFzdGVyLWtleS0zMi1ieXQ=";

struct Bo {
    url: String,
    http: reqwest::Client,
    pool: PgPool,
}

async fn spawn(pool: PgPool) -> Bo {
    let pki = TestPki::new();
    integration_ws::demo::seed_demo_tenants(
        &pool,
        &signstash_store::MasterKey::generate(),
        pki.path(),
    )
    .await
    .unwrap();
    backoffice::demo::seed_demo_operators(&pool).await.unwrap();
    let config = Config {
        master_key: secrecy::SecretString::from(MASTER_KEY.to_string()),
        ..Config::default()
    };
    let app = Application::with_state(
        state_from(pool.clone(), &config),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    Bo {
        url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        pool,
    }
}

/// A signed-in operator: its cookie and its session's CSRF token.
struct Op {
    cookie: String,
    csrf: String,
}

impl Bo {
    async fn sign_in(&self, who: &str) -> Op {
        let (email, password, _, _) = backoffice::demo::DEMO_OPERATORS
            .iter()
            .find(|o| o.0.starts_with(who))
            .unwrap();
        let r = self
            .http
            .post(format!("{}/sign-in", self.url))
            .form(&[("email", *email), ("password", *password)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{email}");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let home = self
            .http
            .get(format!("{}/home?lang=en", self.url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = between(&home, r#"name="csrf_token" value=""#, "\"").to_string();
        Op { cookie, csrf }
    }

    async fn get(&self, op: &Op, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .header(
                "cookie",
                format!("{}; signstash_backoffice_lang=en", op.cookie),
            )
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn post(&self, op: &Op, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = vec![("csrf_token", op.csrf.as_str())];
        fields.extend_from_slice(form);
        self.http
            .post(format!("{}{path}", self.url))
            .header(
                "cookie",
                format!("{}; signstash_backoffice_lang=en", op.cookie),
            )
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    async fn id_of(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    async fn hash_of(&self, id: i64) -> String {
        sqlx::query_scalar("SELECT secret_hash FROM client_services WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    &text[from..from + text[from..].find(end).unwrap()]
}

/// `<partner country>.<partner VAT>-<issuer country>.<issuer VAT>-<6 lowercase hex>`.
fn alias_has_the_shape(alias: &str, partner: &str, issuer: &str) -> bool {
    let Some(hex) = alias.strip_prefix(&format!("{partner}-{issuer}-")) else {
        return false;
    };
    hex.len() == 6
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn verifies(secret: &str, hash: String) -> bool {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || {
        signstash_oauth::secret::verify_client_secret(&secret, Some(&hash))
    })
    .await
    .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn admin_and_partner_create_a_client_service_and_read_its_secret_once(pool: PgPool) {
    let bo = spawn(pool).await;
    let issuer = bo
        .id_of("SELECT id FROM issuer_companies WHERE name = 'Demo Issuer'")
        .await
        .to_string();
    let certificate = bo
        .id_of("SELECT certificate_id FROM client_services WHERE alias = 'demo'")
        .await
        .to_string();
    for who in ["admin", "partner"] {
        let op = bo.sign_in(who).await;
        let (status, form) = bo
            .get(&op, &format!("/client-services/new?issuer={issuer}"))
            .await;
        assert_eq!(status, 200, "{who}");
        assert!(form.contains(&format!(r#"name="issuer" value="{issuer}""#)));
        assert!(
            form.contains(&format!(r#"<option value="{certificate}">"#)),
            "{form}"
        );

        // A weak typed secret: refused beside its field, what was typed kept, nothing created.
        let before: i64 = bo.id_of("SELECT count(*) FROM client_services").await;
        let weak = bo
            .post(
                &op,
                "/client-services",
                &[
                    ("issuer", &issuer),
                    ("bundle", "Weak"),
                    ("language", "en"),
                    ("certificate", ""),
                    ("own_secret", "short-Secret-1"),
                ],
            )
            .await;
        assert_eq!(weak.status(), 422);
        let page = weak.text().await.unwrap();
        assert!(
            page.contains(r#"id="own_secret-error">Weak secret"#),
            "{page}"
        );
        assert!(page.contains(r#"value="Weak""#));
        assert_eq!(
            bo.id_of("SELECT count(*) FROM client_services").await,
            before
        );

        // Created: the answer to the POST itself shows the secret, once, never cached.
        let markup = "<script>alert(1)</script> ERP";
        let r = bo
            .post(
                &op,
                "/client-services",
                &[
                    ("issuer", &issuer),
                    ("bundle", markup),
                    ("extra_information", "line one\r\n<b>line two</b>"),
                    ("language", "en"),
                    ("certificate", &certificate),
                ],
            )
            .await;
        assert_eq!(r.status(), 200, "{who}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let page = r.text().await.unwrap();
        let alias = between(&page, r#"<code id="alias">"#, "</code>").to_string();
        let secret = between(&page, r#"<code id="secret">"#, "</code>").to_string();
        assert!(
            alias_has_the_shape(&alias, "PRT.500000000", "PRT.500000018"),
            "{alias}"
        );
        assert_eq!(secret.len(), 43, "32 bytes in base64url");
        let id: i64 = sqlx::query_scalar("SELECT id FROM client_services WHERE alias = $1")
            .bind(&alias)
            .fetch_one(&bo.pool)
            .await
            .unwrap();
        let hash = bo.hash_of(id).await;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verifies(&secret, hash).await, "the shown secret works");

        // The detail page never shows it; markup is shown inert.
        let (status, detail) = bo.get(&op, &format!("/client-services/{id}")).await;
        assert_eq!(status, 200);
        assert!(!detail.contains(&secret));
        assert!(
            detail.contains("&#60;script&#62;alert(1)&#60;/script&#62; ERP"),
            "{detail}"
        );
        assert!(!detail.contains("<script>") && !detail.contains("<b>line two"));
        assert!(detail.contains("Demo Issuer (PRT.500000018)"));
        assert!(
            detail.contains("Sign&#39;Stash Demo Partner (PRT.500000000)"),
            "{detail}"
        );
        assert!(detail.contains("Demo Issuer signing certificate"));
        // The list finds it by alias and by bundle.
        let (_, list) = bo
            .get(&op, &format!("/client-services?alias={}", &alias[..20]))
            .await;
        assert!(list.contains(&alias), "{list}");
        let (_, list) = bo
            .get(&op, "/client-services?text=alert&status=ACTIVE")
            .await;
        assert!(list.contains(&alias));
        let (_, list) = bo.get(&op, "/client-services?text=nothing-like-this").await;
        assert!(!list.contains(&alias));

        // Rotation needs the confirmation; then the old secret stops working at once.
        let r = bo
            .post(&op, &format!("/client-services/{id}/secret"), &[])
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(r#"id="confirm-error""#));
        let r = bo
            .post(
                &op,
                &format!("/client-services/{id}/secret"),
                &[("confirm", "yes")],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let page = r.text().await.unwrap();
        let rotated = between(&page, r#"<code id="secret">"#, "</code>").to_string();
        assert_ne!(rotated, secret);
        let hash = bo.hash_of(id).await;
        assert!(
            !verifies(&secret, hash.clone()).await,
            "the old secret stops"
        );
        assert!(verifies(&rotated, hash).await);
        // A typed strong secret is taken; one containing the alias is not.
        let own = "Tr0ub4dor-and-3-more-words!";
        let r = bo
            .post(
                &op,
                &format!("/client-services/{id}/secret"),
                &[("confirm", "yes"), ("own_secret", own)],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(verifies(own, bo.hash_of(id).await).await);
        let with_alias = format!("X-{alias}-Y1");
        let r = bo
            .post(
                &op,
                &format!("/client-services/{id}/secret"),
                &[("confirm", "yes"), ("own_secret", &with_alias)],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(verifies(own, bo.hash_of(id).await).await);

        // Audited, without the secret.
        let details: Vec<String> = sqlx::query_scalar(
            "SELECT details::TEXT FROM audit_log WHERE target_kind = 'client_service'
               AND target_id = $1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(&bo.pool)
        .await
        .unwrap();
        assert_eq!(details.len(), 3, "{details:?}");
        assert!(details[0].contains(&alias));
        for d in &details {
            assert!(!d.contains(&secret) && !d.contains(&rotated) && !d.contains(own));
        }
    }
    // Without a certificate: created, shown "not configured".
    let op = bo.sign_in("admin").await;
    let r = bo
        .post(
            &op,
            "/client-services",
            &[
                ("issuer", &issuer),
                ("language", "pt_PT"),
                ("certificate", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let alias = between(&page, r#"<code id="alias">"#, "</code>").to_string();
    let id: i64 = sqlx::query_scalar("SELECT id FROM client_services WHERE alias = $1")
        .bind(&alias)
        .fetch_one(&bo.pool)
        .await
        .unwrap();
    let (_, detail) = bo.get(&op, &format!("/client-services/{id}")).await;
    assert!(detail.contains("Not configured"));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_role_sees_its_scope_and_may_do_only_what_it_may(pool: PgPool) {
    let bo = spawn(pool).await;
    // Another partner with its own issuer and client service.
    sqlx::query(
        "WITH p AS (INSERT INTO partner_companies (name, vat_number) VALUES ('Other Partner', '500000085') RETURNING id),
              i AS (INSERT INTO issuer_companies (partner_company_id, name, vat_number)
                    SELECT id, 'Other Issuer', '500000042' FROM p RETURNING id)
         INSERT INTO client_services (issuer_company_id, alias, secret_hash)
         SELECT id, 'other-tenant', '$argon2id$x' FROM i",
    )
    .execute(&bo.pool)
    .await
    .unwrap();
    let other = bo
        .id_of("SELECT id FROM client_services WHERE alias = 'other-tenant'")
        .await;
    let demo = bo
        .id_of("SELECT id FROM client_services WHERE alias = 'demo'")
        .await;

    // The partner: its own issuers' client services, not the other partner's.
    let partner = bo.sign_in("partner").await;
    let (_, list) = bo.get(&partner, "/client-services").await;
    assert!(list.contains(">demo<"));
    // demo2 belongs to another partner's issuer.
    assert!(!list.contains(">demo2<"));
    assert!(!list.contains("other-tenant"));
    assert!(list.contains(r#"<input id="issuer" name="issuer" type="text""#));
    for path in ["", "/edit", "/smtp", "/settings"] {
        let (status, _) = bo
            .get(&partner, &format!("/client-services/{other}{path}"))
            .await;
        assert_eq!(status, 404, "GET {path}");
    }
    for path in ["", "/status", "/secret", "/smtp"] {
        let r = bo
            .post(
                &partner,
                &format!("/client-services/{other}{path}"),
                &[
                    ("status", "SUSPENDED"),
                    ("confirm", "yes"),
                    ("mode", "system"),
                ],
            )
            .await;
        assert_eq!(r.status(), 404, "POST {path}");
    }
    // Not even by choosing its issuer in the create form.
    let other_issuer = bo
        .id_of("SELECT id FROM issuer_companies WHERE name = 'Other Issuer'")
        .await
        .to_string();
    let r = bo
        .post(
            &partner,
            "/client-services",
            &[("issuer", &other_issuer), ("language", "en")],
        )
        .await;
    // Back to the first step, with the error.
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(r#"<input id="q""#));
    // The partner switches a client service off; the status is audited.
    let r = bo
        .post(
            &partner,
            &format!("/client-services/{demo}/status"),
            &[("status", "SUSPENDED")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let status: String = sqlx::query_scalar("SELECT status FROM client_services WHERE id = $1")
        .bind(demo)
        .fetch_one(&bo.pool)
        .await
        .unwrap();
    assert_eq!(status, "SUSPENDED");

    // The issuer operator: its own only; it edits and sets the SMTP, not the status.
    let issuer = bo.sign_in("issuer").await;
    let (_, list) = bo.get(&issuer, "/client-services").await;
    assert!(list.contains(">demo<") && !list.contains(">demo2<"));
    assert!(!list.contains(r#"id="issuer""#));
    let demo2 = bo
        .id_of("SELECT id FROM client_services WHERE alias = 'demo2'")
        .await;
    assert_eq!(
        bo.get(&issuer, &format!("/client-services/{demo2}"))
            .await
            .0,
        404
    );
    assert_eq!(bo.get(&issuer, "/client-services/new").await.0, 404);
    let r = bo
        .post(
            &issuer,
            &format!("/client-services/{demo}/status"),
            &[("status", "ACTIVE")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = bo
        .post(
            &issuer,
            &format!("/client-services/{demo}"),
            &[
                ("bundle", "Faturação"),
                ("language", "en"),
                ("certificate", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // The SMTP password: sealed at rest, never shown back, kept when left empty.
    let password = "smtp-Password-42";
    let r = bo
        .post(
            &issuer,
            &format!("/client-services/{demo}/smtp"),
            &[
                ("mode", "own"),
                ("host", "smtp.example.com"),
                ("port", "587"),
                ("security", "STARTTLS"),
                ("username", "mailer"),
                ("password", password),
                ("mail_from", "faturas@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let sealed = || async {
        let row: Vec<u8> =
            sqlx::query_scalar("SELECT smtp_password_encrypted FROM client_services WHERE id = $1")
                .bind(demo)
                .fetch_one(&bo.pool)
                .await
                .unwrap();
        row
    };
    let stored = sealed().await;
    assert!(!stored
        .windows(password.len())
        .any(|w| w == password.as_bytes()));
    let key = signstash_store::MasterKey::from_base64(&secrecy::SecretString::from(
        MASTER_KEY.to_string(),
    ))
    .unwrap();
    let context = signstash_store::client_service_admin::smtp_password_context(
        signstash_domain::ClientServiceId(demo),
    );
    assert_eq!(
        &key.open(&stored, &context).unwrap()[..],
        password.as_bytes()
    );
    let (_, smtp) = bo
        .get(&issuer, &format!("/client-services/{demo}/smtp"))
        .await;
    assert!(smtp.contains(r#"value="smtp.example.com""#));
    assert!(!smtp.contains(password));
    let (_, detail) = bo.get(&issuer, &format!("/client-services/{demo}")).await;
    assert!(!detail.contains(password) && detail.contains("Password stored (encrypted)."));
    let r = bo
        .post(
            &issuer,
            &format!("/client-services/{demo}/smtp"),
            &[
                ("mode", "own"),
                ("host", "smtp2.example.com"),
                ("port", "465"),
                ("security", "TLS"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        sealed().await,
        stored,
        "an empty password keeps the stored one"
    );
    let r = bo
        .post(
            &issuer,
            &format!("/client-services/{demo}/smtp"),
            &[
                ("mode", "own"),
                ("host", "bad host"),
                ("port", "0"),
                ("security", "TLS"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT details::TEXT FROM audit_log WHERE action = 'client_service.smtp_changed' ORDER BY id",
    )
    .fetch_all(&bo.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|d| !d.contains(password)));
    assert!(audit[0].contains("smtp_password"), "{audit:?}");
    // The general configuration is the admin's.
    assert_eq!(
        bo.get(&issuer, &format!("/client-services/{demo}/settings"))
            .await
            .0,
        404
    );
    let admin = bo.sign_in("admin").await;
    let r = bo
        .post(
            &admin,
            &format!("/client-services/{demo}/settings"),
            &[
                ("concurrency_limit", "65"),
                ("storage_period_months", "120"),
                ("access_code_required", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(r#"id="concurrency_limit-error""#));
    let r = bo
        .post(
            &admin,
            &format!("/client-services/{demo}/settings"),
            &[
                ("concurrency_limit", "16"),
                ("storage_period_months", "24"),
                ("link_validity_days", "30"),
                ("access_code_required", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (c, s, l, a): (i32, i32, Option<i32>, bool) = sqlx::query_as(
        "SELECT concurrency_limit, storage_period_months, link_validity_days, access_code_required
         FROM client_services WHERE id = $1",
    )
    .bind(demo)
    .fetch_one(&bo.pool)
    .await
    .unwrap();
    assert_eq!((c, s, l, a), (16, 24, Some(30), true));

    // The auditor: the list and the detail of its issuer, no button, every change 403.
    let auditor = bo.sign_in("auditor").await;
    let (status, list) = bo.get(&auditor, "/client-services").await;
    assert_eq!(status, 200);
    assert!(list.contains(">demo<") && !list.contains(">demo2<"));
    assert!(!list.contains("/client-services/new"));
    let (status, detail) = bo.get(&auditor, &format!("/client-services/{demo}")).await;
    assert_eq!(status, 200);
    assert!(!detail.contains("method=\"post\" action=\"/client-services"));
    assert!(
        !detail.contains("/edit\"")
            && !detail.contains("/smtp\"")
            && !detail.contains("/settings\"")
    );
    for path in ["", "/status", "/secret", "/smtp", "/settings"] {
        let r = bo
            .post(
                &auditor,
                &format!("/client-services/{demo}{path}"),
                &[("status", "ACTIVE"), ("confirm", "yes"), ("mode", "system")],
            )
            .await;
        assert_eq!(r.status(), 403, "POST {path}");
    }
    assert_eq!(
        bo.post(&auditor, "/client-services", &[("language", "en")])
            .await
            .status(),
        403
    );
}

/// integration-ws in-process over the same database and master key (as its own tests start
/// it): its base URL, and the PKI whose files it reads (keep it while the service runs).
async fn integration_ws(pool: &PgPool, dir: &std::path::Path) -> (String, TestPki) {
    use integration_ws::config::{Config as WsConfig, MailConfig, TokenThrottle};
    let pki = TestPki::new();
    let config = WsConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: secrecy::SecretString::from("unused: the test gives the pool".to_string()),
        db_max_connections: 5,
        documents: signstash_store::DocumentStoreBackend::Local {
            root: dir.join("documents"),
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
        token_throttle: TokenThrottle::default(),
    };
    let mailer = integration_ws::outbox::Mailer::from_config(&MailConfig {
        mail_dir: dir.join("mail"),
        ..MailConfig::default()
    })
    .unwrap();
    let state =
        integration_ws::state_with_mailer(pool.clone(), &config, std::sync::Arc::new(mailer))
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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !state.tenancy.is_listening() {
        assert!(
            std::time::Instant::now() < deadline,
            "integration-ws listens"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    (url, pki)
}

/// The status of a token request for `alias`/`secret`, and the token when granted.
async fn token(http: &reqwest::Client, ws: &str, alias: &str, secret: &str) -> (u16, String) {
    let r = http
        .post(format!("{ws}/oauth/token"))
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

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_secret_shown_once_gets_a_token_at_integration_ws_until_rotated(pool: PgPool) {
    let bo = spawn(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (ws, _pki) = integration_ws(&pool, dir.path()).await;
    let issuer = bo
        .id_of("SELECT id FROM issuer_companies WHERE name = 'Demo Issuer'")
        .await
        .to_string();
    let admin = bo.sign_in("admin").await;
    // No certificate yet.
    let page = bo
        .post(
            &admin,
            "/client-services",
            &[("issuer", &issuer), ("language", "en"), ("certificate", "")],
        )
        .await
        .text()
        .await
        .unwrap();
    let alias = between(&page, r#"<code id="alias">"#, "</code>").to_string();
    let secret = between(&page, r#"<code id="secret">"#, "</code>").to_string();
    let id = bo
        .id_of(&format!(
            "SELECT id FROM client_services WHERE alias = '{alias}'"
        ))
        .await;
    let (status, access) = token(&bo.http, &ws, &alias, &secret).await;
    assert_eq!(status, 200, "the secret shown once works");
    // Without a certificate a sign request answers 500 0.0.3 ("certificate not provisioned").
    let r = bo
        .http
        .post(format!("{ws}/api/v0/document/sign/base64/"))
        .bearer_auth(&access)
        .json(&integration_ws::demo::sample_sign_request("BO-NO-CERT-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errorCode"], "0.0.3", "{body}");

    // Rotated: the old secret stops at once (integration-ws not restarted), the new one works.
    let page = bo
        .post(
            &admin,
            &format!("/client-services/{id}/secret"),
            &[("confirm", "yes")],
        )
        .await
        .text()
        .await
        .unwrap();
    let rotated = between(&page, r#"<code id="secret">"#, "</code>").to_string();
    assert_eq!(token(&bo.http, &ws, &alias, &secret).await.0, 401);
    assert_eq!(token(&bo.http, &ws, &alias, &rotated).await.0, 200);
    // Suspended in the backoffice: its next call is refused at once (1.1.3).
    let (_, access) = token(&bo.http, &ws, &alias, &rotated).await;
    let r = bo
        .post(
            &admin,
            &format!("/client-services/{id}/status"),
            &[("status", "SUSPENDED")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = bo
        .http
        .post(format!("{ws}/api/v0/document/sign/base64/"))
        .bearer_auth(&access)
        .json(&integration_ws::demo::sample_sign_request("BO-SUSPENDED-1"))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["errorCode"], "1.1.3", "{body}");
}
