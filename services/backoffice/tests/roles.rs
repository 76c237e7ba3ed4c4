//! The development operators over the demo tenants: each signs in with its printed password and
//! its `<nav>` holds exactly the menus its role may use; a menu it may not use is a 404; its
//! session's tenancy scope lists exactly the issuer companies it may see.
#![allow(clippy::unwrap_used)]

mod common;

use backoffice::config::Config;
use backoffice::demo::{seed_demo_operators, DEMO_OPERATORS};
use common::Service;
use signstash_domain::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_development_operator_signs_in_and_sees_its_roles_menus(pool: PgPool) {
    common::seed_demo(&pool, &Config::default()).await;
    seed_demo_operators(&pool).await.unwrap(); // again: nothing new
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM operators")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 4);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT ic.name FROM auditor_issuers a JOIN issuer_companies ic ON ic.id = a.issuer_company_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited, ["Demo Issuer"]);

    let app = Service::serve(pool.clone(), Config::default()).await;
    // Written by hand from the design's menu table (English names).
    let all = [
        "Dashboard",
        "Operations",
        "Consumptions",
        "Operators",
        "Certificates",
        "Client services",
        "Issuer companies",
        "Partner companies",
        "Reports",
        "System configurations",
        "Audit log",
    ];
    for (email, password, _, role) in DEMO_OPERATORS {
        let expected: &[&str] = match role {
            Role::SystemAdministrator => &[
                "Dashboard",
                "Operations",
                "Consumptions",
                "Operators",
                "Client services",
                "Issuer companies",
                "Partner companies",
                "Reports",
                "System configurations",
                "Audit log",
            ],
            Role::Partner => &[
                "Dashboard",
                "Operations",
                "Consumptions",
                "Operators",
                "Client services",
                "Issuer companies",
                "Partner companies",
                "Reports",
                "Audit log",
            ],
            Role::Issuer => &[
                "Dashboard",
                "Operations",
                "Consumptions",
                "Operators",
                "Certificates",
                "Client services",
                "Issuer companies",
                "Audit log",
            ],
            Role::Auditor => &[
                "Dashboard",
                "Operations",
                "Consumptions",
                "Client services",
                "Issuer companies",
                "Audit log",
            ],
        };
        let operator = app.sign_in(email, password).await.unwrap();
        let cookie = operator.cookie.clone().unwrap();
        // The session's tenancy scope: the issuers its operator may see.
        let token = cookie.split_once('=').unwrap().1;
        let session = signstash_store::operator_sessions::open(
            &pool,
            &backoffice::session::hash(token),
            1800,
            28800,
        )
        .await
        .unwrap()
        .unwrap();
        let issuers: Vec<String> =
            signstash_store::scope::search_issuer_companies(&pool, &session.scope, None, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, name)| name)
                .collect();
        let expected_issuers: &[&str] = match role {
            // `demo2`'s issuer is under another partner: only the platform sees both.
            Role::SystemAdministrator => &["Demo Issuer", "Demo Issuer Two"],
            Role::Partner | Role::Issuer | Role::Auditor => &["Demo Issuer"],
        };
        assert_eq!(issuers, expected_issuers, "{email}");
        let page = operator.get("/home?lang=en").await.body;
        let nav_start = page.find("<nav class=\"menu\"").unwrap();
        let nav = &page[nav_start..nav_start + page[nav_start..].find("</nav>").unwrap()];
        let shown: Vec<&str> = all
            .iter()
            .copied()
            .filter(|name| nav.contains(&format!(">{name}</a>")))
            .collect();
        assert_eq!(shown, expected, "{email}");
        for (i, name) in all.iter().enumerate() {
            let path = backoffice::menu::Menu::ALL[i].path();
            let status = operator.get(path).await.status;
            let allowed = expected.contains(name);
            assert_eq!(status, if allowed { 200 } else { 404 }, "{email} {path}");
        }
    }
}
