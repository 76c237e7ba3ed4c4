//! The Client services menu over HTTP, as each development operator uses it: create through
//! the form (the alias in the product's shape, the secret shown once and only its hash kept),
//! rotate, a weak typed secret refused, scope (another partner's client service is a 404 on
//! every route), the auditor's read-only view, the SMTP password sealed at rest.
#![allow(clippy::unwrap_used)]

mod common;

use common::{IntegrationWs, Service};
use signstash_domain::Role;
use sqlx::PgPool;

/// The service in English over the demo tenants and operators, with the master key
/// integration-ws runs with.
async fn spawn(pool: PgPool) -> Service {
    Service::demo(pool, common::config()).await.english()
}

async fn id_of(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn hash_of(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT secret_hash FROM client_services WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
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
    let issuer = id_of(
        &bo.pool,
        "SELECT id FROM issuer_companies WHERE name = 'Demo Issuer'",
    )
    .await
    .to_string();
    let certificate = id_of(
        &bo.pool,
        "SELECT certificate_id FROM client_services WHERE alias = 'demo'",
    )
    .await
    .to_string();
    for (who, role) in [
        ("admin", Role::SystemAdministrator),
        ("partner", Role::Partner),
    ] {
        let op = bo.signed_in(role).await;
        let (status, form) = op
            .page(&format!("/client-services/new?issuer={issuer}"))
            .await;
        assert_eq!(status, 200, "{who}");
        assert!(form.contains(&format!(r#"name="issuer" value="{issuer}""#)));
        assert!(
            form.contains(&format!(r#"<option value="{certificate}">"#)),
            "{form}"
        );

        // A weak typed secret: refused beside its field, what was typed kept, nothing created.
        let before: i64 = id_of(&bo.pool, "SELECT count(*) FROM client_services").await;
        let weak = op
            .post(
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
        assert_eq!(weak.status, 422);
        let page = weak.body;
        assert!(
            page.contains(r#"id="own_secret-error">Weak secret"#),
            "{page}"
        );
        assert!(page.contains(r#"value="Weak""#));
        assert_eq!(
            id_of(&bo.pool, "SELECT count(*) FROM client_services").await,
            before
        );

        // Created: the answer to the POST itself shows the secret, once, never cached.
        let markup = "<script>alert(1)</script> ERP";
        let r = op
            .post(
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
        assert_eq!(r.status, 200, "{who}");
        assert_eq!(r.headers["cache-control"], "no-store");
        let page = r.body;
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
        let hash = hash_of(&bo.pool, id).await;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verifies(&secret, hash).await, "the shown secret works");

        // The detail page never shows it; markup is shown inert.
        let (status, detail) = op.page(&format!("/client-services/{id}")).await;
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
        let (_, list) = op
            .page(&format!("/client-services?alias={}", &alias[..20]))
            .await;
        assert!(list.contains(&alias), "{list}");
        let (_, list) = op.page("/client-services?text=alert&status=ACTIVE").await;
        assert!(list.contains(&alias));
        let (_, list) = op.page("/client-services?text=nothing-like-this").await;
        assert!(!list.contains(&alias));

        // Rotation needs the confirmation; then the old secret stops working at once.
        let r = op.post(&format!("/client-services/{id}/secret"), &[]).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains(r#"id="confirm-error""#));
        let r = op
            .post(
                &format!("/client-services/{id}/secret"),
                &[("confirm", "yes")],
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.headers["cache-control"], "no-store");
        let page = r.body;
        let rotated = between(&page, r#"<code id="secret">"#, "</code>").to_string();
        assert_ne!(rotated, secret);
        let hash = hash_of(&bo.pool, id).await;
        assert!(
            !verifies(&secret, hash.clone()).await,
            "the old secret stops"
        );
        assert!(verifies(&rotated, hash).await);
        // A typed strong secret is taken; one containing the alias is not.
        let own = "Tr0ub4dor-and-3-more-words!";
        let r = op
            .post(
                &format!("/client-services/{id}/secret"),
                &[("confirm", "yes"), ("own_secret", own)],
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(verifies(own, hash_of(&bo.pool, id).await).await);
        let with_alias = format!("X-{alias}-Y1");
        let r = op
            .post(
                &format!("/client-services/{id}/secret"),
                &[("confirm", "yes"), ("own_secret", &with_alias)],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(verifies(own, hash_of(&bo.pool, id).await).await);

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
    let op = bo.signed_in(Role::SystemAdministrator).await;
    let r = op
        .post(
            "/client-services",
            &[
                ("issuer", &issuer),
                ("language", "pt_PT"),
                ("certificate", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let page = r.body;
    let alias = between(&page, r#"<code id="alias">"#, "</code>").to_string();
    let id: i64 = sqlx::query_scalar("SELECT id FROM client_services WHERE alias = $1")
        .bind(&alias)
        .fetch_one(&bo.pool)
        .await
        .unwrap();
    let (_, detail) = op.page(&format!("/client-services/{id}")).await;
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
    let other = id_of(
        &bo.pool,
        "SELECT id FROM client_services WHERE alias = 'other-tenant'",
    )
    .await;
    let demo = id_of(
        &bo.pool,
        "SELECT id FROM client_services WHERE alias = 'demo'",
    )
    .await;

    // The partner: its own issuers' client services, not the other partner's.
    let partner = bo.signed_in(Role::Partner).await;
    let (_, list) = partner.page("/client-services").await;
    assert!(list.contains(">demo<"));
    // demo2 belongs to another partner's issuer.
    assert!(!list.contains(">demo2<"));
    assert!(!list.contains("other-tenant"));
    assert!(list.contains(r#"<input id="issuer" name="issuer" type="text""#));
    for path in ["", "/edit", "/smtp", "/settings"] {
        let (status, _) = partner
            .page(&format!("/client-services/{other}{path}"))
            .await;
        assert_eq!(status, 404, "GET {path}");
    }
    for path in ["", "/status", "/secret", "/smtp"] {
        let r = partner
            .post(
                &format!("/client-services/{other}{path}"),
                &[
                    ("status", "SUSPENDED"),
                    ("confirm", "yes"),
                    ("mode", "system"),
                ],
            )
            .await;
        assert_eq!(r.status, 404, "POST {path}");
    }
    // Not even by choosing its issuer in the create form.
    let other_issuer = id_of(
        &bo.pool,
        "SELECT id FROM issuer_companies WHERE name = 'Other Issuer'",
    )
    .await
    .to_string();
    let r = partner
        .post(
            "/client-services",
            &[("issuer", &other_issuer), ("language", "en")],
        )
        .await;
    // Back to the first step, with the error.
    assert_eq!(r.status, 422);
    assert!(r.body.contains(r#"<input id="q""#));
    // The partner switches a client service off; the status is audited.
    let r = partner
        .post(
            &format!("/client-services/{demo}/status"),
            &[("status", "SUSPENDED")],
        )
        .await;
    assert_eq!(r.status, 303);
    let status: String = sqlx::query_scalar("SELECT status FROM client_services WHERE id = $1")
        .bind(demo)
        .fetch_one(&bo.pool)
        .await
        .unwrap();
    assert_eq!(status, "SUSPENDED");

    // The issuer operator: its own only; it edits and sets the SMTP, not the status.
    let issuer = bo.signed_in(Role::Issuer).await;
    let (_, list) = issuer.page("/client-services").await;
    assert!(list.contains(">demo<") && !list.contains(">demo2<"));
    assert!(!list.contains(r#"id="issuer""#));
    let demo2 = id_of(
        &bo.pool,
        "SELECT id FROM client_services WHERE alias = 'demo2'",
    )
    .await;
    assert_eq!(
        issuer.page(&format!("/client-services/{demo2}")).await.0,
        404
    );
    assert_eq!(issuer.page("/client-services/new").await.0, 404);
    let r = issuer
        .post(
            &format!("/client-services/{demo}/status"),
            &[("status", "ACTIVE")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = issuer
        .post(
            &format!("/client-services/{demo}"),
            &[
                ("bundle", "Faturação"),
                ("language", "en"),
                ("certificate", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303);

    // The SMTP password: sealed at rest, never shown back, kept when left empty.
    let password = "smtp-Password-42";
    let r = issuer
        .post(
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
    assert_eq!(r.status, 303);
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
    let key = &bo.master_key;
    let context = signstash_store::client_service_admin::smtp_password_context(
        signstash_domain::ClientServiceId(demo),
    );
    assert_eq!(
        &key.open(&stored, &context).unwrap()[..],
        password.as_bytes()
    );
    let (_, smtp) = issuer.page(&format!("/client-services/{demo}/smtp")).await;
    assert!(smtp.contains(r#"value="smtp.example.com""#));
    assert!(!smtp.contains(password));
    let (_, detail) = issuer.page(&format!("/client-services/{demo}")).await;
    assert!(!detail.contains(password) && detail.contains("Password stored (encrypted)."));
    let r = issuer
        .post(
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
    assert_eq!(r.status, 303);
    assert_eq!(
        sealed().await,
        stored,
        "an empty password keeps the stored one"
    );
    let r = issuer
        .post(
            &format!("/client-services/{demo}/smtp"),
            &[
                ("mode", "own"),
                ("host", "bad host"),
                ("port", "0"),
                ("security", "TLS"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
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
        issuer
            .page(&format!("/client-services/{demo}/settings"))
            .await
            .0,
        404
    );
    let admin = bo.signed_in(Role::SystemAdministrator).await;
    let r = admin
        .post(
            &format!("/client-services/{demo}/settings"),
            &[
                ("concurrency_limit", "65"),
                ("storage_period_months", "120"),
                ("access_code_required", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains(r#"id="concurrency_limit-error""#));
    let r = admin
        .post(
            &format!("/client-services/{demo}/settings"),
            &[
                ("concurrency_limit", "16"),
                ("storage_period_months", "24"),
                ("link_validity_days", "30"),
                ("access_code_required", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
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
    let auditor = bo.signed_in(Role::Auditor).await;
    let (status, list) = auditor.page("/client-services").await;
    assert_eq!(status, 200);
    assert!(list.contains(">demo<") && !list.contains(">demo2<"));
    assert!(!list.contains("/client-services/new"));
    let (status, detail) = auditor.page(&format!("/client-services/{demo}")).await;
    assert_eq!(status, 200);
    assert!(!detail.contains("method=\"post\" action=\"/client-services"));
    assert!(
        !detail.contains("/edit\"")
            && !detail.contains("/smtp\"")
            && !detail.contains("/settings\"")
    );
    for path in ["", "/status", "/secret", "/smtp", "/settings"] {
        let r = auditor
            .post(
                &format!("/client-services/{demo}{path}"),
                &[("status", "ACTIVE"), ("confirm", "yes"), ("mode", "system")],
            )
            .await;
        assert_eq!(r.status, 403, "POST {path}");
    }
    assert_eq!(
        auditor
            .post("/client-services", &[("language", "en")])
            .await
            .status,
        403
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_secret_shown_once_gets_a_token_at_integration_ws_until_rotated(pool: PgPool) {
    let bo = spawn(pool.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let ws = IntegrationWs::start(&pool, dir.path()).await;
    let issuer = id_of(
        &bo.pool,
        "SELECT id FROM issuer_companies WHERE name = 'Demo Issuer'",
    )
    .await
    .to_string();
    let admin = bo.signed_in(Role::SystemAdministrator).await;
    // No certificate yet.
    let page = admin
        .post(
            "/client-services",
            &[("issuer", &issuer), ("language", "en"), ("certificate", "")],
        )
        .await
        .body;
    let alias = between(&page, r#"<code id="alias">"#, "</code>").to_string();
    let secret = between(&page, r#"<code id="secret">"#, "</code>").to_string();
    let id = id_of(
        &bo.pool,
        &format!("SELECT id FROM client_services WHERE alias = '{alias}'"),
    )
    .await;
    let (status, access) = ws.token(&alias, &secret).await;
    assert_eq!(status, 200, "the secret shown once works");
    // Without a certificate a sign request answers 500 0.0.3 ("certificate not provisioned").
    let (status, body) = ws.sign(&access, "BO-NO-CERT-1").await;
    assert_eq!(status, 500);
    assert_eq!(body["errorCode"], "0.0.3", "{body}");

    // Rotated: the old secret stops at once (integration-ws not restarted), the new one works.
    let page = admin
        .post(
            &format!("/client-services/{id}/secret"),
            &[("confirm", "yes")],
        )
        .await
        .body;
    let rotated = between(&page, r#"<code id="secret">"#, "</code>").to_string();
    assert_eq!(ws.token(&alias, &secret).await.0, 401);
    assert_eq!(ws.token(&alias, &rotated).await.0, 200);
    // Suspended in the backoffice: its next call is refused at once (1.1.3).
    let (_, access) = ws.token(&alias, &rotated).await;
    let r = admin
        .post(
            &format!("/client-services/{id}/status"),
            &[("status", "SUSPENDED")],
        )
        .await;
    assert_eq!(r.status, 303);
    let (_, body) = ws.sign(&access, "BO-SUSPENDED-1").await;
    assert_eq!(body["errorCode"], "1.1.3", "{body}");
}
