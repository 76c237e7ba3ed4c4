//! The Audit log over HTTP against PostgreSQL: each role sees exactly the entries of its
//! scope; the filters and the "Older" cursor work; markup in an entry's details is shown inert.
#![allow(clippy::unwrap_used)]

use backoffice::config::Config;
use backoffice::demo::seed_demo_operators;
use backoffice::{state_from, Application};
use signstash_domain::{ActorKind, IssuerCompanyId, PartnerCompanyId};
use signstash_store::audit::{append, NewAuditEntry};
use signstash_store::MasterKey;
use signstash_test_support::pki::TestPki;
use sqlx::PgPool;

struct Backoffice {
    url: String,
    http: reqwest::Client,
}

struct Operator {
    cookie: String,
    csrf: String,
}

impl Backoffice {
    async fn spawn(pool: PgPool) -> Self {
        let app = Application::with_state(
            state_from(pool, &Config::default()),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { url, http }
    }

    async fn sign_in(&self, email: &str, password: &str) -> Operator {
        let r = self
            .http
            .post(format!("{}/sign-in", self.url))
            .form(&[("email", email), ("password", password)])
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
        let page = self.page("/home", &cookie).await;
        let start = page.find(r#"name="csrf_token" value=""#).unwrap() + 25;
        let csrf = page[start..start + 64].to_string();
        Operator { cookie, csrf }
    }

    async fn page(&self, path: &str, cookie: &str) -> String {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    }
}

/// The rows of an audit log page: (action, company, the whole row's HTML).
fn rows(page: &str) -> Vec<(String, String, String)> {
    let Some(start) = page.find("<tbody>") else {
        return Vec::new();
    };
    let end = page.find("</tbody>").unwrap();
    page[start..end]
        .split("<tr>")
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row
                .split("<td>")
                .skip(1)
                .map(|c| c.split("</td>").next().unwrap())
                .collect();
            let action = cells[2]
                .trim_start_matches("<code>")
                .trim_end_matches("</code>")
                .to_string();
            let company = cells[4].replace("&#39;", "'").replace("&#x27;", "'");
            (action, company, row.to_string())
        })
        .collect()
}

fn actions(page: &str) -> Vec<String> {
    rows(page).into_iter().map(|(a, _, _)| a).collect()
}

/// The "Older" link's target, if any.
fn older(page: &str) -> Option<String> {
    let end = page.find(r#"" rel="next">"#)?;
    let start = page[..end].rfind(r#"href=""#)? + 6;
    Some(page[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

async fn entry(
    pool: &PgPool,
    action: &str,
    partner: Option<PartnerCompanyId>,
    issuer: Option<IssuerCompanyId>,
    details: serde_json::Value,
) {
    append(
        pool,
        &NewAuditEntry {
            actor_kind: ActorKind::System,
            operator_id: None,
            client_service_id: None,
            partner_company_id: partner,
            issuer_company_id: issuer,
            action: action.into(),
            target_kind: Some("test".into()),
            target_id: Some("1".into()),
            details,
            request_id: None,
            remote_address: Some("192.0.2.7".into()),
        },
    )
    .await
    .unwrap();
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_role_sees_exactly_its_entries_filtered_and_paged_by_cursor(pool: PgPool) {
    let pki = TestPki::new();
    integration_ws::demo::seed_demo_tenants(&pool, &MasterKey::generate(), pki.path())
        .await
        .unwrap();
    seed_demo_operators(&pool).await.unwrap();
    // demo2's issuer under another partner, so the partner has something it must not see.
    let other: PartnerCompanyId = sqlx::query_scalar(
        "INSERT INTO partner_companies (name, vat_number) VALUES ('Other Partner', '509999990')
         RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE issuer_companies SET partner_company_id = $1 WHERE name = 'Demo Issuer Two'",
    )
    .bind(other)
    .execute(&pool)
    .await
    .unwrap();
    let (one, partner): (IssuerCompanyId, PartnerCompanyId) = sqlx::query_as(
        "SELECT id, partner_company_id FROM issuer_companies WHERE name = 'Demo Issuer'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let two: IssuerCompanyId =
        sqlx::query_scalar("SELECT id FROM issuer_companies WHERE name = 'Demo Issuer Two'")
            .fetch_one(&pool)
            .await
            .unwrap();

    let app = Backoffice::spawn(pool.clone()).await;
    // The administrator creates a partner through its form; the partner operator signs in.
    let admin = app
        .sign_in("admin@signstash.local", "admin-demo-password")
        .await;
    let r = app
        .http
        .post(format!("{}/partner-companies", app.url))
        .header("cookie", &admin.cookie)
        .form(&[
            ("csrf_token", admin.csrf.as_str()),
            ("name", "New Partner"),
            ("vat_number", "501964843"),
            ("country_code", "PRT"),
            ("language", "pt_PT"),
            ("kind", "RESELLER"),
            ("status", "ACTIVE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let partner_op = app
        .sign_in("partner@signstash.local", "partner-demo-password")
        .await;
    let issuer_op = app
        .sign_in("issuer@signstash.local", "issuer-demo-password")
        .await;
    let auditor = app
        .sign_in("auditor@signstash.local", "auditor-demo-password")
        .await;
    entry(
        &pool,
        "test.issuer_one",
        Some(partner),
        Some(one),
        serde_json::json!({"name": {"before": "<b>old</b>", "after": "<script>alert(1)</script>"}}),
    )
    .await;
    entry(
        &pool,
        "test.issuer_two",
        Some(other),
        Some(two),
        serde_json::json!({}),
    )
    .await;
    entry(
        &pool,
        "test.partner_only",
        Some(partner),
        None,
        serde_json::json!({}),
    )
    .await;
    entry(&pool, "test.platform", None, None, serde_json::json!({})).await;
    // One entry long ago, for the date filter.
    sqlx::query(
        "UPDATE audit_log SET occurred_at = '2026-01-15 12:00:00+00' WHERE action = 'test.issuer_two'",
    )
    .execute(&pool)
    .await
    .unwrap();

    // Which entry each role sees, written by hand.
    let markers = [
        "test.issuer_one",
        "test.issuer_two",
        "test.partner_only",
        "test.platform",
        "partner.created",
    ];
    let expected: [(&Operator, [bool; 5], &[&str]); 4] = [
        (&admin, [true, true, true, true, true], &[]),
        (
            &partner_op,
            [true, false, true, false, false],
            &["Demo Issuer", "Sign'Stash Demo Partner"],
        ),
        (
            &issuer_op,
            [true, false, false, false, false],
            &["Demo Issuer"],
        ),
        (
            &auditor,
            [true, false, false, false, false],
            &["Demo Issuer"],
        ),
    ];
    for (who, sees, companies) in expected {
        let page = app.page("/audit-log?lang=en", &who.cookie).await;
        let shown = actions(&page);
        for (marker, expected) in markers.iter().zip(sees) {
            assert_eq!(
                shown.iter().any(|a| a == marker),
                expected,
                "{marker} in {shown:?}"
            );
        }
        if !companies.is_empty() {
            // Every entry it sees is one of its companies' (none without a company).
            for (action, company, _) in rows(&page) {
                assert!(
                    companies
                        .iter()
                        .any(|c| company == *c
                            || company == format!("{c} (Sign'Stash Demo Partner)")),
                    "{action}: {company}"
                );
            }
        }
    }
    // The partner operator's sign-in is its partner's: the admin and the partner see it.
    let signed_in = |page: &str| {
        rows(page)
            .iter()
            .any(|(a, _, row)| a == "operator.signed_in" && row.contains("Demo Partner Operator"))
    };
    assert!(signed_in(&app.page("/audit-log", &admin.cookie).await));
    assert!(signed_in(&app.page("/audit-log", &partner_op.cookie).await));
    assert!(!signed_in(&app.page("/audit-log", &issuer_op.cookie).await));

    // Markup in the details is shown inert, as "field: before → after".
    let page = app
        .page("/audit-log?action=test.issuer_one", &auditor.cookie)
        .await;
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<b>old"));
    assert!(
        page.contains(
            "name: &#60;b&#62;old&#60;/b&#62; → &#60;script&#62;alert(1)&#60;/script&#62;"
        ) || page.contains("name: &lt;b&gt;old&lt;/b&gt; → &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );

    // Filters: action prefix, actor, company, dates.
    let admin_actions = |query: &'static str| {
        let app = &app;
        let cookie = admin.cookie.clone();
        async move { actions(&app.page(&format!("/audit-log{query}"), &cookie).await) }
    };
    assert_eq!(
        admin_actions("?action=test.").await,
        [
            "test.platform",
            "test.partner_only",
            "test.issuer_one",
            "test.issuer_two"
        ]
    );
    assert_eq!(admin_actions("?action=partner.").await, ["partner.created"]);
    let by_actor = admin_actions("?actor=demo+partner+operator").await;
    assert_eq!(by_actor, ["operator.signed_in"]);
    let by_actor = admin_actions("?actor=ADMIN%40signstash").await;
    assert!(
        by_actor.contains(&"partner.created".to_string()),
        "{by_actor:?}"
    );
    assert!(by_actor.iter().all(|a| a != "test.platform"));
    assert_eq!(
        admin_actions("?company=issuer+two").await,
        ["test.issuer_two"]
    );
    assert_eq!(
        admin_actions("?company=new+partner").await,
        ["partner.created"]
    );
    assert_eq!(
        admin_actions("?from=2026-01-15&to=2026-01-15").await,
        ["test.issuer_two"]
    );
    assert!(admin_actions("?to=2026-01-14").await.is_empty());
    assert!(!admin_actions("?from=2026-01-16")
        .await
        .contains(&"test.issuer_two".to_string()));
    // A date that is not one is said beside its field.
    let page = app.page("/audit-log?from=2026-13-01", &admin.cookie).await;
    assert!(page.contains(r#"id="from-error""#));

    // 45 entries of the issuer: 20, 20, 5, newest first, by the "Older" cursor, the filter
    // kept; the auditor pages through them the same way.
    for n in 0..45 {
        entry(
            &pool,
            "test.bulk",
            Some(partner),
            Some(one),
            serde_json::json!({"n": {"before": "", "after": n.to_string()}}),
        )
        .await;
    }
    let mut path = "/audit-log?action=test.bulk".to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = app.page(&path, &auditor.cookie).await;
        pages += 1;
        let rows = rows(&page);
        assert!(rows.iter().all(|(a, _, _)| a == "test.bulk"));
        for (_, _, row) in &rows {
            let at = row.find("n: — → ").unwrap() + "n: — → ".len();
            let n: i64 = row[at..].split('<').next().unwrap().parse().unwrap();
            seen.push(n);
        }
        assert_eq!(rows.len(), [20, 20, 5][pages - 1], "page {pages}: {path}");
        match older(&page) {
            Some(next) => {
                assert!(
                    next.contains("action=test.bulk") && next.contains("before="),
                    "{next}"
                );
                assert!(page.contains("Newest") || page.contains("Mais recentes") || pages == 1);
                path = next;
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        (0..45).rev().collect::<Vec<_>>(),
        "newest first, none twice"
    );
}
