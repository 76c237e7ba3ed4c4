//! The Audit log over HTTP against PostgreSQL: each role sees exactly the entries of its
//! scope; the filters and the "Older" cursor work; markup in an entry's details is shown inert.
#![allow(clippy::unwrap_used)]

mod common;

use backoffice::config::Config;
use common::{Client, Service};
use signstash_domain::{ActorKind, IssuerCompanyId, PartnerCompanyId, Role};
use signstash_store::audit::{append, NewAuditEntry};
use sqlx::PgPool;

/// The page at `path`, which must answer 200.
async fn read(who: &Client, path: &str) -> String {
    let a = who.get(path).await;
    assert_eq!(a.status, 200, "{path}");
    a.body
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
    common::seed_demo(&pool, &Config::default()).await;
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

    let app = Service::serve(pool.clone(), Config::default()).await;
    // The administrator creates a partner through its form; the partner operator signs in.
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let r = admin
        .post(
            "/partner-companies",
            &[
                ("name", "New Partner"),
                ("vat_number", "501964843"),
                ("country_code", "PRT"),
                ("language", "pt_PT"),
                ("kind", "RESELLER"),
                ("status", "ACTIVE"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let partner_op = app.signed_in(Role::Partner).await;
    let issuer_op = app.signed_in(Role::Issuer).await;
    let auditor = app.signed_in(Role::Auditor).await;
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
    let expected: [(&Client, [bool; 5], &[&str]); 4] = [
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
        let page = read(who, "/audit-log?lang=en").await;
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
    assert!(signed_in(&read(&admin, "/audit-log").await));
    assert!(signed_in(&read(&partner_op, "/audit-log").await));
    assert!(!signed_in(&read(&issuer_op, "/audit-log").await));

    // Markup in the details is shown inert, as "field: before → after".
    let page = read(&auditor, "/audit-log?action=test.issuer_one").await;
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
        let admin = &admin;
        async move { actions(&read(admin, &format!("/audit-log{query}")).await) }
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
    let page = read(&admin, "/audit-log?from=2026-13-01").await;
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
        let page = read(&auditor, &path).await;
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
