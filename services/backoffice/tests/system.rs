//! System configurations over HTTP against PostgreSQL: the administrator edits the general
//! configuration and certificate authorities (the client secret sealed with the master key,
//! never shown back; addresses and PEM checked, the typed values kept); every other role gets
//! 404 for each page and 403 for each change.
#![allow(clippy::unwrap_used)]

mod common;

use backoffice::config::Config;
use common::{Answer, Service};
use signstash_domain::{CertificateAuthorityId, Role};
use signstash_store::authority_admin::client_secret_context;
use sqlx::PgPool;

async fn sealed_secret(pool: &PgPool, id: i64) -> Option<Vec<u8>> {
    sqlx::query_scalar(
        "SELECT oauth_client_secret_encrypted FROM certificate_authorities WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The id at the end of a `Location` such as `/…/certificate-authorities/7?done=created`.
fn created_id(r: &Answer) -> i64 {
    let location = r.headers["location"].to_str().unwrap();
    let path = location.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().parse().unwrap()
}

fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_administrator_edits_the_general_configuration_with_before_and_after(pool: PgPool) {
    let app = Service::demo(pool, Config::default()).await;
    let admin = app.signed_in(Role::SystemAdministrator).await;

    let index = admin.get("/system-configurations?lang=en").await;
    assert_eq!(index.status, 200);
    let index = index.body;
    for link in [
        r#"<a href="/system-configurations/certificate-authorities">Certificate authorities</a>"#,
        r#"<a href="/system-configurations/templates">System templates</a>"#,
        r#"<a href="/system-configurations/general">General configuration</a>"#,
    ] {
        assert!(index.contains(link), "{link}\n{index}");
    }

    let page = admin.get("/system-configurations/general").await.body;
    assert!(page.contains(r#"value="120""#), "{page}");
    assert!(page.contains(r#"<label for="storage_period_months">"#));

    // Out of range: 422, each error beside its field, what was typed kept.
    let r = admin
        .post(
            "/system-configurations/general",
            &[
                ("default_language", "en"),
                ("storage_period_months", "601"),
                ("link_validity_days", "0"),
                ("email_retry_threshold", "21"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = r.body;
    for field in [
        "storage_period_months",
        "link_validity_days",
        "email_retry_threshold",
    ] {
        assert!(
            page.contains(&format!(r#"id="{field}-error""#)),
            "{field}\n{page}"
        );
    }
    assert!(page.contains(r#"value="601""#) && page.contains(r#"value="21""#));
    assert!(page.contains(r#"<option value="en" selected>"#));
    let unchanged: i32 =
        sqlx::query_scalar("SELECT storage_period_months FROM system_configuration")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unchanged, 120);

    let r = admin
        .post(
            "/system-configurations/general",
            &[
                ("default_language", "en"),
                ("storage_period_months", "600"),
                ("link_validity_days", "30"),
                ("email_retry_threshold", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.headers["location"],
        "/system-configurations/general?done=saved"
    );
    let row: (String, i32, i32, i32) = sqlx::query_as(
        "SELECT default_language, storage_period_months, link_validity_days, email_retry_threshold
         FROM system_configuration",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row, ("en".into(), 600, 30, 3));
    let details: serde_json::Value = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'system_configuration.updated'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        details,
        serde_json::json!({
            "default_language": {"before": "pt_PT", "after": "en"},
            "storage_period_months": {"before": "120", "after": "600"},
            "link_validity_days": {"before": "90", "after": "30"},
        })
    );
    let page = admin
        .get("/system-configurations/general?done=saved")
        .await
        .body;
    assert!(page.contains(r#"value="600""#), "{page}");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_administrator_creates_and_edits_a_certificate_authority_whose_secret_is_sealed_and_never_shown(
    pool: PgPool,
) {
    let config = Config::default();
    let demo = common::seed_demo(&pool, &config).await;
    let app = Service::serve(pool, config).await;
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let chain = std::fs::read_to_string(demo.pki.ca()).unwrap();
    let secret = "first-Secret-of-the-CA";
    let authorities = "/system-configurations/certificate-authorities";

    let new = admin.get(&format!("{authorities}/new?lang=en")).await;
    assert_eq!(new.status, 200);
    let page = new.body;
    for field in [
        "name",
        "csc_base_url",
        "oauth_authorize_url",
        "oauth_token_url",
        "oauth_client_id",
        "client_secret",
        "ca_chain_pem",
        "access_max_days",
        "access_max_signatures",
    ] {
        assert!(
            page.contains(&format!(r#"<label for="{field}">"#)),
            "{field}"
        );
    }

    // Bad addresses, a bad PEM, out-of-range numbers: each refused beside its field, the typed
    // values kept, the secret not sent back.
    let not_pem =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----";
    let r = admin
        .post(
            authorities,
            &[
                ("name", "Remote <CA>"),
                ("csc_base_url", "http://ca.example.com/csc/v2"),
                ("oauth_authorize_url", "javascript:alert(1)"),
                ("oauth_token_url", "https://user:pw@ca.example.com/token"),
                ("oauth_client_id", "signstash"),
                ("client_secret", secret),
                ("ca_chain_pem", not_pem),
                ("access_max_days", "366"),
                ("access_max_signatures", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = r.body;
    for field in [
        "csc_base_url",
        "oauth_authorize_url",
        "oauth_token_url",
        "ca_chain_pem",
        "access_max_days",
        "access_max_signatures",
    ] {
        assert!(
            page.contains(&format!(r#"id="{field}-error""#)),
            "{field}\n{page}"
        );
    }
    assert!(!page.contains(r#"id="name-error""#));
    assert!(
        page.contains("bm90IGEgY2VydGlmaWNhdGU="),
        "the PEM typed is kept"
    );
    assert!(page.contains(&format!(r#"value="{}""#, escaped("Remote <CA>"))));
    assert!(page.contains("http://ca.example.com/csc/v2"));
    assert!(!page.contains(secret), "the secret is never sent back");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM certificate_authorities")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    // A valid one: https, or http to this machine.
    let r = admin
        .post(
            authorities,
            &[
                ("name", "Remote <CA>"),
                ("csc_base_url", "https://ca.example.com/csc/v2"),
                (
                    "oauth_authorize_url",
                    "https://ca.example.com/oauth2/authorize",
                ),
                ("oauth_token_url", "http://127.0.0.1:9443/oauth2/token"),
                ("oauth_client_id", "signstash"),
                ("client_secret", secret),
                ("ca_chain_pem", &chain),
                ("access_max_days", "90"),
                ("access_max_signatures", "500"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let id = created_id(&r);
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("{authorities}/{id}?done=created")
    );
    let sealed = sealed_secret(&app.pool, id).await.unwrap();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
    let context = client_secret_context(CertificateAuthorityId(id));
    assert_eq!(
        &app.master_key.open(&sealed, &context).unwrap()[..],
        secret.as_bytes()
    );
    assert!(
        app.master_key.open(&sealed, b"another row").is_err(),
        "bound to its row"
    );

    let page = admin.get(&format!("{authorities}/{id}?lang=en")).await.body;
    assert!(page.contains("REMOTE (CSC)"), "{page}");
    assert!(page.contains("https://ca.example.com/csc/v2"));
    assert!(page.contains("http://127.0.0.1:9443/oauth2/token"));
    assert!(page.contains("<dd>Set</dd>"), "{page}");
    assert!(page.contains("CN="), "the chain's subject: {page}");
    assert!(page.contains("<dd>90</dd>") && page.contains("<dd>500</dd>"));
    assert!(!page.contains(secret));
    let edit = admin.get(&format!("{authorities}/{id}/edit")).await.body;
    assert!(edit.contains(r#"name="client_secret" type="password" value="""#));
    assert!(!edit.contains(secret));

    // Listed and filtered by name, type and date.
    for (query, shown) in [
        ("", true),
        ("?name=remote", true),
        ("?name=nothing", false),
        ("?type=REMOTE", true),
        ("?type=LOCAL", false),
        ("?created_from=2000-01-01", true),
        ("?created_to=2000-01-01", false),
    ] {
        let list = admin.get(&format!("{authorities}{query}")).await.body;
        assert_eq!(
            list.contains(&format!(r#"href="{authorities}/{id}""#)),
            shown,
            "{query}"
        );
    }

    // Edited with the secret left empty: the stored one stays.
    let form = |name: &'static str, secret: &'static str| {
        vec![
            ("name", name),
            ("csc_base_url", ""),
            ("oauth_authorize_url", ""),
            ("oauth_token_url", "https://localhost/token"),
            ("oauth_client_id", "signstash"),
            ("client_secret", secret),
            ("ca_chain_pem", ""),
            ("access_max_days", "365"),
            ("access_max_signatures", "1"),
        ]
    };
    let r = admin
        .post(&format!("{authorities}/{id}"), &form("Local CA", ""))
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(sealed_secret(&app.pool, id).await.unwrap(), sealed);
    let list = admin.get(&format!("{authorities}?type=LOCAL")).await.body;
    assert!(list.contains("Local CA"), "now local: {list}");

    // A new secret replaces it, sealed again.
    let r = admin
        .post(
            &format!("{authorities}/{id}"),
            &form("Local CA", "second-Secret"),
        )
        .await;
    assert_eq!(r.status, 303);
    let resealed = sealed_secret(&app.pool, id).await.unwrap();
    assert_ne!(resealed, sealed);
    assert_eq!(
        &app.master_key.open(&resealed, &context).unwrap()[..],
        b"second-Secret"
    );

    // Audited, without the secrets.
    let log: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT action, details FROM audit_log WHERE target_kind = 'certificate_authority'
         ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "certificate_authority.created",
            "certificate_authority.updated",
            "certificate_authority.updated"
        ]
    );
    assert_eq!(
        log[1].1["name"],
        serde_json::json!({"before": "Remote <CA>", "after": "Local CA"})
    );
    assert_eq!(
        log[2].1,
        serde_json::json!({"client_secret_replaced": {"before": "false", "after": "true"}})
    );
    let all = serde_json::to_string(&log).unwrap();
    assert!(!all.contains("Secret"), "{all}");

    // The same name twice is refused beside the field.
    let r = admin.post(authorities, &form("Local CA", "")).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains(r#"id="name-error""#));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn every_other_role_gets_404_for_each_page_and_403_for_each_change(pool: PgPool) {
    let app = Service::demo(pool, Config::default()).await;
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let r = admin
        .post(
            "/system-configurations/certificate-authorities",
            &[
                ("name", "Some CA"),
                ("access_max_days", "60"),
                ("access_max_signatures", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let id = created_id(&r);
    let ca = format!("/system-configurations/certificate-authorities/{id}");
    let pages = [
        "/system-configurations".to_string(),
        "/system-configurations/certificate-authorities".into(),
        "/system-configurations/certificate-authorities/new".into(),
        ca.clone(),
        format!("{ca}/edit"),
        "/system-configurations/general".into(),
    ];
    let changes = [
        "/system-configurations/certificate-authorities".to_string(),
        ca.clone(),
        "/system-configurations/general".into(),
    ];
    for (email, password) in [
        ("partner@signstash.local", "partner-demo-password"),
        ("issuer@signstash.local", "issuer-demo-password"),
        ("auditor@signstash.local", "auditor-demo-password"),
    ] {
        let who = app.sign_in(email, password).await.unwrap();
        for path in &pages {
            assert_eq!(who.get(path).await.status, 404, "{email} {path}");
        }
        for path in &changes {
            // With the session's own CSRF token: refused by the policy, not by CSRF.
            let r = who
                .post(
                    path,
                    &[
                        ("name", "Taken over"),
                        ("access_max_days", "60"),
                        ("access_max_signatures", "10"),
                        ("default_language", "en"),
                        ("storage_period_months", "1"),
                        ("link_validity_days", "1"),
                        ("email_retry_threshold", "1"),
                    ],
                )
                .await;
            assert_eq!(r.status, 403, "{email} POST {path}");
        }
    }
    for path in &pages {
        assert_eq!(admin.get(path).await.status, 200, "{path}");
    }
    let (cas, taken, months): (i64, i64, i32) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM certificate_authorities),
                (SELECT count(*) FROM certificate_authorities WHERE name = 'Taken over'),
                (SELECT storage_period_months FROM system_configuration)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((cas, taken, months), (1, 0, 120));
    let denied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'access.denied'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(denied, 3 * (6 + 3), "every refusal is audited");
}
