//! The Issuer companies menu over HTTP, with the demo tenants and the development operators:
//! each role's list, another tenant's id on every route, the lifecycle per role (and its audit
//! rows), the usage limit (platform or reseller), what BLOCKED does to sign-in and sessions,
//! and the "one platform" effect on integration-ws (started in-process) without a restart.
#![allow(clippy::unwrap_used)]

mod common;

use backoffice::config::Config;
use common::{arrived, link_in, mail_config, Answer, Client, IntegrationWs, Service};
use signstash_domain::Role;
use signstash_test_support::smtp::SmtpServer;
use sqlx::PgPool;

/// The service in English over the demo tenants and operators.
async fn with_demo(pool: PgPool) -> Service {
    Service::demo(pool, Config::default()).await.english()
}

async fn issuer_status(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM issuer_companies WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The audit rows of `action` on the issuer `id`: their details.
async fn audited(pool: &PgPool, action: &str, id: i64) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = $1 AND target_id = $2
           AND target_kind = 'issuer_company' AND issuer_company_id = $3 ORDER BY id",
    )
    .bind(action)
    .bind(id.to_string())
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn denials(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'access.denied'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The names in the list's table (the second cell of each row).
fn listed(page: &str) -> Vec<String> {
    let Some(start) = page.find("<tbody>") else {
        return Vec::new();
    };
    let body = &page[start..page.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split("<td>").collect();
            cells[2].split("</td>").next().unwrap().to_string()
        })
        .collect()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_role_lists_only_the_issuers_of_its_scope(pool: PgPool) {
    let app = with_demo(pool).await;
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let (status, page) = admin.page("/issuer-companies").await;
    assert_eq!(status, 200);
    assert_eq!(listed(&page), ["Demo Issuer", "Demo Issuer Two"]);
    // The platform filters by partner: a <select> of the partners, labelled.
    assert!(page.contains(r#"<label for="company">Partner company</label>"#));
    assert!(
        page.contains("Sign&#39;Stash Demo Partner Two</option>"),
        "{page}"
    );
    let two: i64 = sqlx::query_scalar(
        "SELECT id FROM partner_companies WHERE name = 'Sign''Stash Demo Partner Two'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (_, page) = admin
        .page(&format!("/issuer-companies?company={two}"))
        .await;
    assert_eq!(listed(&page), ["Demo Issuer Two"]);
    assert!(page.contains(&format!(r#"<option value="{two}" selected>"#)));
    let (_, page) = admin.page("/issuer-companies?name=two").await;
    assert_eq!(listed(&page), ["Demo Issuer Two"]);
    let (_, page) = admin
        .page("/issuer-companies?created_from=2999-01-01")
        .await;
    assert!(listed(&page).is_empty());
    assert!(page.contains("Clear filters"));
    let (status, page) = admin.page("/issuer-companies?created_from=yesterday").await;
    assert_eq!(status, 200);
    assert!(page.contains("This is not a valid date"));

    for (who, can_create) in [
        (Role::Partner, true),
        (Role::Issuer, false),
        (Role::Auditor, false),
    ] {
        let s = app.signed_in(who).await;
        let (status, page) = s.page("/issuer-companies").await;
        assert_eq!(status, 200, "{who:?}");
        assert_eq!(listed(&page), ["Demo Issuer"], "{who:?}");
        assert!(!page.contains("Demo Issuer Two"), "{who:?}");
        assert!(
            !page.contains(r#"name="company""#),
            "{who:?}: no partner filter"
        );
        assert_eq!(
            page.contains("/issuer-companies/new"),
            can_create,
            "{who:?}"
        );
        // Another partner's id in the filter finds nothing either.
        let (_, page) = s.page(&format!("/issuer-companies?company={two}")).await;
        assert!(listed(&page).is_empty(), "{who:?}");
    }
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn another_tenants_issuer_is_not_found_on_every_route(pool: PgPool) {
    let app = with_demo(pool).await;
    let other = app.issuer_id("Demo Issuer Two").await;
    let own = app.issuer_id("Demo Issuer").await;
    let gets = |id: &str| {
        [
            format!("/issuer-companies/{id}"),
            format!("/issuer-companies/{id}/edit"),
        ]
    };
    let posts = |id: &str| {
        [
            (format!("/issuer-companies/{id}"), vec![("name", "X")]),
            (
                format!("/issuer-companies/{id}/limit"),
                vec![("limit_signatures", "10")],
            ),
            (
                format!("/issuer-companies/{id}/status"),
                vec![("to", "SUSPENDED")],
            ),
        ]
    };
    let partner = app.signed_in(Role::Partner).await;
    for id in [other.to_string(), "abc".into(), "999999".into()] {
        for path in gets(&id) {
            assert_eq!(partner.get(&path).await.status, 404, "{path}");
        }
        for (path, form) in posts(&id) {
            assert_eq!(partner.post(&path, &form).await.status, 404, "{path}");
        }
    }
    // The issuer operator and the auditor: another issuer's page is a 404 like a missing one;
    // the issuer operator's lifecycle POST too.
    let issuer = app.signed_in(Role::Issuer).await;
    let auditor = app.signed_in(Role::Auditor).await;
    for s in [&issuer, &auditor] {
        let path = format!("/issuer-companies/{other}");
        assert_eq!(s.get(&path).await.status, 404);
        assert_eq!(s.get(&format!("/issuer-companies/{own}")).await.status, 200);
    }
    let r = issuer
        .post(
            &format!("/issuer-companies/{other}/status"),
            &[("to", "SUSPENDED")],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        issuer_status(&app.pool, other).await,
        "ACTIVE",
        "nothing changed"
    );
    let unchanged: String = sqlx::query_scalar("SELECT name FROM issuer_companies WHERE id = $1")
        .bind(other)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(unchanged, "Demo Issuer Two");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_lifecycle_move_is_allowed_only_to_its_roles_and_audited(pool: PgPool) {
    let app = with_demo(pool).await;
    let id = app.issuer_id("Demo Issuer").await;
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let partner = app.signed_in(Role::Partner).await;
    let auditor = app.signed_in(Role::Auditor).await;
    let path = format!("/issuer-companies/{id}/status");
    let detail = format!("/issuer-companies/{id}");

    // The buttons each role sees on an ACTIVE issuer.
    let issuer = app.signed_in(Role::Issuer).await;
    let buttons = |page: &str| -> Vec<String> {
        page.split(r#"<input type="hidden" name="to" value=""#)
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    };
    let (_, page) = issuer.page(&detail).await;
    assert_eq!(buttons(&page), ["SUSPENDED"]);
    assert!(page.contains(">Suspend</button>"));
    let (_, page) = partner.page(&detail).await;
    assert_eq!(buttons(&page), ["SUSPENDED", "BLOCKED"]);
    let (_, page) = auditor.page(&detail).await;
    assert!(buttons(&page).is_empty() && !page.contains("/status"));

    // (who, to, answer, status after), in order, written by hand from the issue.
    let steps: [(&Client, &str, u16, &str); 14] = [
        (&auditor, "SUSPENDED", 403, "ACTIVE"),
        (&issuer, "BLOCKED", 403, "ACTIVE"),
        (&issuer, "SUSPENDED", 303, "SUSPENDED"),
        (&auditor, "ACTIVE", 403, "SUSPENDED"),
        (&issuer, "ACTIVE", 303, "ACTIVE"),
        (&partner, "DELETED", 403, "ACTIVE"),
        (&partner, "REGISTERED", 403, "ACTIVE"),
        (&partner, "SUSPENDED", 303, "SUSPENDED"),
        (&partner, "BLOCKED", 303, "BLOCKED"),
        (&partner, "DELETED", 403, "BLOCKED"),
        (&partner, "ACTIVE", 303, "ACTIVE"),
        (&admin, "BLOCKED", 303, "BLOCKED"),
        (&admin, "DELETED", 303, "DELETED"),
        (&admin, "ACTIVE", 403, "DELETED"),
    ];
    let denied_before = denials(&app.pool).await;
    for (i, (who, to, answer, after)) in steps.iter().enumerate() {
        let r = who.post(&path, &[("to", to)]).await;
        assert_eq!(r.status, *answer, "step {i}: → {to}");
        if *answer == 303 {
            assert_eq!(r.headers["location"], format!("{detail}?done=status"));
        }
        assert_eq!(issuer_status(&app.pool, id).await, *after, "step {i}");
    }
    // Nonsense is refused like a move that does not exist.
    assert_eq!(admin.post(&path, &[("to", "GONE")]).await.status, 403);
    let refused = steps.iter().filter(|s| s.2 == 403).count() as i64 + 1;
    assert_eq!(denials(&app.pool).await - denied_before, refused);

    // One audit row per move, before and after, in the move's transaction.
    let rows = audited(&app.pool, "issuer.status_changed", id).await;
    let moves: Vec<(String, String)> = rows
        .iter()
        .map(|d| {
            (
                d["status"]["before"].as_str().unwrap().to_string(),
                d["status"]["after"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("ACTIVE", "SUSPENDED"),
        ("SUSPENDED", "ACTIVE"),
        ("ACTIVE", "SUSPENDED"),
        ("SUSPENDED", "BLOCKED"),
        ("BLOCKED", "ACTIVE"),
        ("ACTIVE", "BLOCKED"),
        ("BLOCKED", "DELETED"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(moves, expected);

    // DELETED is final: no button, no edit, no limit form, even for the platform.
    let (status, page) = admin.page(&detail).await;
    assert_eq!(status, 200);
    assert!(buttons(&page).is_empty() && !page.contains("/edit") && !page.contains("/limit"));
    assert!(page.contains("<dd>Deleted</dd>"));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_new_issuer_is_registered_until_activated_and_its_vat_is_unique_per_partner(
    pool: PgPool,
) {
    let app = with_demo(pool).await;
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let partner = app.signed_in(Role::Partner).await;
    let (one, two): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT id FROM partner_companies WHERE vat_number = '500000000'),
                (SELECT id FROM partner_companies WHERE vat_number = '500000034')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();

    // The platform chooses the partner.
    let (status, page) = admin.page("/issuer-companies/new").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<label for="partner">Partner company</label>"#));
    for label in [
        "name",
        "vat_number",
        "country_code",
        "email",
        "address",
        "postal_code",
        "city",
        "language",
    ] {
        assert!(
            page.contains(&format!(r#"<label for="{label}">"#)),
            "{label}"
        );
    }
    let markup = "<script>alert(1)</script> & Filhos";
    let two_s = two.to_string();
    let form = |vat: &'static str, partner: &str| {
        vec![
            ("partner", partner.to_string()),
            ("name", markup.to_string()),
            ("vat_number", vat.to_string()),
            ("country_code", "prt".to_string()),
            ("email", "faturas@example.pt".to_string()),
            ("city", "Porto".to_string()),
            ("language", "en".to_string()),
        ]
    };
    async fn post(s: &Client, fields: Vec<(&'static str, String)>) -> Answer {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.post("/issuer-companies", &borrowed).await
    }
    let r = post(&admin, form("505767457", &two_s)).await;
    assert_eq!(r.status, 303);
    let created: i64 = r.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/issuer-companies/")
        .trim_end_matches("?done=created")
        .parse()
        .unwrap();
    let (partner_of, status, code): (i64, String, String) = sqlx::query_as(
        "SELECT partner_company_id, status, country_code || '.' || vat_number
         FROM issuer_companies WHERE id = $1",
    )
    .bind(created)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (partner_of, status.as_str(), code.as_str()),
        (two, "REGISTERED", "PRT.505767457")
    );
    let audit = audited(&app.pool, "issuer.created", created).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["status"]["after"], "REGISTERED");
    assert_eq!(audit[0]["code"]["after"], "PRT.505767457");

    // Markup typed into the name is shown inert, in the list and on the detail.
    let (_, page) = admin.page(&format!("/issuer-companies/{created}")).await;
    assert!(!page.contains("<script>alert(1)"), "{page}");
    const INERT: &str = "&#60;script&#62;alert(1)&#60;/script&#62; &#38; Filhos";
    assert!(page.contains(&format!("<h1>{INERT}</h1>")), "{page}");
    assert!(page.contains("<dd>PRT.505767457</dd>"));
    assert!(page.contains("No usage limit set."));
    let (_, page) = admin.page("/issuer-companies?name=script").await;
    assert!(!page.contains("<script>alert(1)"));
    assert_eq!(listed(&page), [INERT]);

    // The same VAT under the same partner: the error beside the field, what was typed kept.
    let r = post(&admin, form("505767457", &two_s)).await;
    assert_eq!(r.status, 422);
    let page = r.body;
    assert!(page.contains(r#"<span class="field-error" id="vat_number-error">One already exists with this value.</span>"#), "{page}");
    assert!(page.contains(r#"value="505767457""#));
    assert!(page.contains(r#"value="Porto""#));
    // A wrong check digit, an empty name.
    let mut bad = form("505767458", &two_s);
    bad[1].1 = String::new();
    let r = post(&admin, bad).await;
    assert_eq!(r.status, 422);
    let page = r.body;
    assert!(page.contains(r#"id="vat_number-error">This is not a valid VAT number."#));
    assert!(page.contains(r#"id="name-error">This field is required."#));

    // A partner creates under its own company, whatever partner a tampered form names; the
    // same VAT under another partner is another issuer.
    let (status, page) = partner.page("/issuer-companies/new").await;
    assert_eq!(status, 200);
    assert!(!page.contains(r#"name="partner""#));
    let r = post(&partner, form("505767457", &two_s)).await;
    assert_eq!(r.status, 303);
    let by_partner: i64 = sqlx::query_scalar(
        "SELECT partner_company_id FROM issuer_companies WHERE vat_number = '505767457' AND id <> $1",
    )
    .bind(created)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(by_partner, one);
    // The issuer operator and the auditor create nothing.
    for who in [Role::Issuer, Role::Auditor] {
        let s = app.signed_in(who).await;
        assert_eq!(s.get("/issuer-companies/new").await.status, 404);
        assert_eq!(post(&s, form("503504564", &two_s)).await.status, 403);
    }

    // REGISTERED → ACTIVE: the platform (the partner for its own, tested above by the table).
    let r = admin
        .post(
            &format!("/issuer-companies/{created}/status"),
            &[("to", "ACTIVE")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(issuer_status(&app.pool, created).await, "ACTIVE");

    // Edit: the details change and are audited, the code does not.
    let r = admin
        .post(
            &format!("/issuer-companies/{created}"),
            &[
                ("name", "Filhos, Lda."),
                ("email", ""),
                ("address", "Rua A, 1"),
                ("postal_code", "4000-001"),
                ("city", "Porto"),
                ("language", "pt_PT"),
                ("vat_number", "999999990"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let (name, vat): (String, String) =
        sqlx::query_as("SELECT name, vat_number FROM issuer_companies WHERE id = $1")
            .bind(created)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), vat.as_str()), ("Filhos, Lda.", "505767457"));
    let audit = audited(&app.pool, "issuer.updated", created).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["name"]["after"], "Filhos, Lda.");
    assert_eq!(audit[0]["language"]["before"], "en");
    assert!(
        audit[0].get("city").is_none(),
        "unchanged fields are left out"
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_usage_limit_is_set_by_the_platform_or_a_reseller_partner(pool: PgPool) {
    let app = with_demo(pool).await;
    let id = app.issuer_id("Demo Issuer").await;
    let detail = format!("/issuer-companies/{id}");
    let limit = format!("/issuer-companies/{id}/limit");
    let partner = app.signed_in(Role::Partner).await;
    // The demo partner is an integrator: no form, and the POST is refused.
    let (_, page) = partner.page(&detail).await;
    assert!(page.contains("No usage limit set."));
    assert!(!page.contains(&limit));
    let r = partner
        .post(
            &limit,
            &[("limit_signatures", "100"), ("limit_valid_until", "")],
        )
        .await;
    assert_eq!(r.status, 403);
    for who in [Role::Issuer, Role::Auditor] {
        let s = app.signed_in(who).await;
        let (_, page) = s.page(&detail).await;
        assert!(!page.contains(&limit), "{who:?}");
        let r = s.post(&limit, &[("limit_signatures", "100")]).await;
        assert_eq!(r.status, 403, "{who:?}");
    }
    let unset: Option<i64> =
        sqlx::query_scalar("SELECT limit_signatures FROM issuer_companies WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unset, None);

    // A reseller sets it.
    sqlx::query("UPDATE partner_companies SET kind = 'RESELLER' WHERE vat_number = '500000000'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, page) = partner.page(&detail).await;
    assert!(page.contains(&format!(r#"action="{limit}""#)));
    let r = partner
        .post(
            &limit,
            &[("limit_signatures", "-1"), ("limit_valid_until", "soon")],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = r.body;
    assert!(page.contains(r#"id="limit_signatures-error""#));
    assert!(page.contains(r#"id="limit_valid_until-error""#));
    let r = partner
        .post(
            &limit,
            &[
                ("limit_signatures", "5000"),
                ("limit_valid_until", "2027-12-31"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let (_, page) = partner.page(&format!("{detail}?done=limit")).await;
    assert!(page.contains("Usage limit saved."));
    assert!(page.contains("<dd>5000</dd>") && page.contains("<dd>2027-12-31</dd>"));
    let audit = audited(&app.pool, "issuer.limit_set", id).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["limit_signatures"]["after"], "5000");
    assert_eq!(audit[0]["limit_signatures"]["before"], "");

    // And the platform, always.
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let r = admin
        .post(
            &limit,
            &[("limit_signatures", ""), ("limit_valid_until", "")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(audited(&app.pool, "issuer.limit_set", id).await.len(), 2);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_blocked_issuers_operators_lose_their_sessions_and_a_suspended_ones_keep_them(
    pool: PgPool,
) {
    let app = with_demo(pool).await;
    let id = app.issuer_id("Demo Issuer").await;
    let path = format!("/issuer-companies/{id}/status");
    let partner = app.signed_in(Role::Partner).await;
    let issuer = app.signed_in(Role::Issuer).await;

    // SUSPENDED: its services are refused, its operators still work here.
    let r = partner.post(&path, &[("to", "SUSPENDED")]).await;
    assert_eq!(r.status, 303);
    assert_eq!(issuer.get("/home").await.status, 200);
    let again = app.signed_in(Role::Issuer).await;

    // BLOCKED: both sessions end at their next request, and signing in is refused.
    let r = partner.post(&path, &[("to", "BLOCKED")]).await;
    assert_eq!(r.status, 303);
    for s in [&issuer, &again] {
        let r = s.get("/home").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.headers["location"], "/sign-in");
    }
    let sessions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
         WHERE o.issuer_company_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sessions, 0, "the sessions are gone");
    let (email, password) = common::credentials(Role::Issuer);
    let r = app.post_sign_in(email, password).await;
    assert_eq!(r.status, 200, "the sign-in page again");
    assert!(r.headers.get("set-cookie").is_none());
    // The partner's own session is not touched.
    assert_eq!(partner.get("/home").await.status, 200);

    // Reactivated: the operators sign in again (their old cookies stay dead).
    let r = partner.post(&path, &[("to", "ACTIVE")]).await;
    assert_eq!(r.status, 303);
    assert_eq!(issuer.get("/home").await.status, 303);
    app.signed_in(Role::Issuer).await;
}

/// The activation links of the messages delivered to each address so far: `(to, link)`.
fn activation_links(smtp: &SmtpServer) -> Vec<(String, String)> {
    smtp.messages()
        .iter()
        .map(|m| {
            (
                m.to.clone(),
                link_in(m.text.as_deref().unwrap(), "activate"),
            )
        })
        .collect()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn reactivating_an_issuer_sends_its_never_activated_operators_a_new_link(pool: PgPool) {
    let Some(smtp) = SmtpServer::accepting() else {
        return;
    };
    let app = Service::demo(pool, mail_config(Some(&smtp)))
        .await
        .english();
    let id = app.issuer_id("Demo Issuer").await;
    let path = format!("/issuer-companies/{id}/status");
    let admin = app.signed_in(Role::SystemAdministrator).await;
    let partner = app.signed_in(Role::Partner).await;

    // A new operator of the issuer gets its first link and does not use it.
    let company = format!("I{id}");
    let r = admin
        .post(
            "/operators",
            &[
                ("name", "Nuno Novo"),
                ("email", "nuno@example.com"),
                ("role", "ISSUER"),
                ("company", &company),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    arrived(&smtp, 1).await;
    let mut seen = activation_links(&smtp);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "nuno@example.com");

    // Suspended or blocked, then active again: reactivation. Only the operator who never
    // activated gets a new link (the demo's issuer operator has a password); the old link stops
    // working.
    for off in ["SUSPENDED", "BLOCKED"] {
        assert_eq!(partner.post(&path, &[("to", off)]).await.status, 303);
        assert_eq!(partner.post(&path, &[("to", "ACTIVE")]).await.status, 303);
        arrived(&smtp, seen.len() + 1).await;
        // Give a wrong second message the time to arrive.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let new: Vec<_> = activation_links(&smtp)
            .into_iter()
            .filter(|m| !seen.contains(m))
            .collect();
        assert_eq!(new.len(), 1, "{off}: {new:?}");
        let (to, link) = &new[0];
        assert_eq!(to, "nuno@example.com");
        for (_, old) in &seen {
            assert_eq!(app.anonymous().get(old).await.status, 410, "{off}");
        }
        assert_eq!(app.anonymous().get(link).await.status, 200, "{off}");
        seen.extend(new);
    }
    let sent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log a JOIN operators o ON a.target_id = o.id::text
         WHERE a.action = 'operator.activation_sent' AND a.target_kind = 'operator'
           AND o.email = 'nuno@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sent, 2);

    // Suspending sends nothing.
    let before = smtp.delivered().len();
    assert_eq!(
        partner.post(&path, &[("to", "SUSPENDED")]).await.status,
        303
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.delivered().len(), before, "suspending sends nothing");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn suspending_an_issuer_here_refuses_its_next_api_call_without_a_restart(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let app = Service::demo(pool, common::config()).await.english();
    let ws = IntegrationWs::start(&app.pool, dir.path()).await;
    let (status, token) = ws.token("demo", "demo-secret").await;
    assert_eq!(status, 200);
    let sign = |reference: &'static str| ws.sign(&token, reference);
    let (status, body) = sign("OP-BEFORE").await;
    assert_eq!(status, 200, "{body}");

    // The partner suspends `demo`'s issuer through the backoffice's form.
    let id = app.issuer_id("Demo Issuer").await;
    let partner = app.signed_in(Role::Partner).await;
    let heard = ws.state.tenancy.generation();
    let r = partner
        .post(
            &format!("/issuer-companies/{id}/status"),
            &[("to", "SUSPENDED")],
        )
        .await;
    assert_eq!(r.status, 303);
    // integration-ws hears the change (NOTIFY at commit) within moments; no restart.
    common::wait_until(|| ws.state.tenancy.generation() > heard).await;
    let (status, body) = sign("OP-SUSPENDED").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errorCode"], "1.2.0");
    // demo2, under another issuer, is not affected.
    assert_eq!(ws.token("demo2", "demo2-secret").await.0, 200);

    // Reactivated: it works again.
    let heard = ws.state.tenancy.generation();
    let r = partner
        .post(
            &format!("/issuer-companies/{id}/status"),
            &[("to", "ACTIVE")],
        )
        .await;
    assert_eq!(r.status, 303);
    common::wait_until(|| ws.state.tenancy.generation() > heard).await;
    let (status, body) = sign("OP-AFTER").await;
    assert_eq!(status, 200, "{body}");
}
