//! The role matrix: every route of the route table × anonymous and the four roles → the answer,
//! written by hand (never computed from the policy). The test fails when a route exists
//! without its row or a row names no route. Each route with an id is asked with an id of the
//! operator's own tenant and with one of another tenant: outside the operator's scope the
//! answer is 404, exactly as for a missing id (an auditor's POST stays 403).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{Backoffice, Client};
use signstash_domain::Role;
use sqlx::PgPool;

/// Anonymous, system administrator, partner, issuer, auditor.
type Row = (&'static str, &'static str, [u16; 5]);

/// POSTs send an empty form (with the session's CSRF token): a form with errors is 422, a
/// change refused by the policy 403, a page the role may not use 404, no session 303 (to
/// `/sign-in`).
const MATRIX: &[Row] = &[
    ("GET", "/", [303, 303, 303, 303, 303]),
    ("GET", "/sign-in", [200, 303, 303, 303, 303]),
    ("POST", "/sign-in", [200, 200, 200, 200, 200]),
    ("GET", "/home", [303, 200, 200, 200, 200]),
    // Menus whose pages come later.
    ("GET", "/dashboard", [303, 200, 200, 200, 200]),
    ("GET", "/operations", [303, 200, 200, 200, 200]),
    ("GET", "/consumptions", [303, 200, 200, 200, 200]),
    ("GET", "/certificates", [303, 404, 404, 200, 404]),
    ("GET", "/client-services", [303, 200, 200, 200, 200]),
    ("GET", "/issuer-companies", [303, 200, 200, 200, 200]),
    ("GET", "/reports", [303, 200, 200, 404, 404]),
    ("GET", "/system-configurations", [303, 200, 404, 404, 404]),
    ("GET", "/audit-log", [303, 200, 200, 200, 200]),
    // Partner companies.
    ("GET", "/partner-companies", [303, 200, 200, 404, 404]),
    ("POST", "/partner-companies", [303, 422, 403, 403, 403]),
    ("GET", "/partner-companies/new", [303, 200, 404, 404, 404]),
    ("GET", "/partner-companies/{id}", [303, 200, 200, 404, 404]),
    ("POST", "/partner-companies/{id}", [303, 422, 422, 403, 403]),
    (
        "GET",
        "/partner-companies/{id}/edit",
        [303, 200, 200, 404, 404],
    ),
    (
        "POST",
        "/partner-companies/{id}/limit",
        [303, 303, 403, 403, 403],
    ),
    // Operators (the `{id}` is the demo issuer's operator).
    ("GET", "/operators", [303, 200, 200, 200, 404]),
    ("POST", "/operators", [303, 422, 422, 422, 403]),
    ("GET", "/operators/new", [303, 200, 200, 200, 404]),
    ("GET", "/operators/{id}", [303, 200, 200, 200, 404]),
    ("POST", "/operators/{id}", [303, 422, 422, 422, 403]),
    ("GET", "/operators/{id}/edit", [303, 200, 200, 200, 404]),
    ("POST", "/operators/{id}/unlock", [303, 303, 303, 303, 403]),
    // The links of the activation and reset e-mails (an unknown token here).
    ("GET", "/activate/{token}", [410, 410, 410, 410, 410]),
    ("POST", "/activate/{token}", [410, 410, 410, 410, 410]),
    ("GET", "/reset/{token}", [410, 410, 410, 410, 410]),
    ("POST", "/reset/{token}", [410, 410, 410, 410, 410]),
    ("GET", "/forgot-password", [200, 200, 200, 200, 200]),
    ("POST", "/forgot-password", [200, 200, 200, 200, 200]),
    // One's own profile: every role, the auditor too.
    ("GET", "/profile", [303, 200, 200, 200, 200]),
    ("POST", "/profile/language", [303, 422, 422, 422, 422]),
    ("POST", "/profile/password", [303, 422, 422, 422, 422]),
    // System configurations (the platform's only).
    (
        "GET",
        "/system-configurations/certificate-authorities",
        [303, 200, 404, 404, 404],
    ),
    (
        "POST",
        "/system-configurations/certificate-authorities",
        [303, 422, 403, 403, 403],
    ),
    (
        "GET",
        "/system-configurations/certificate-authorities/new",
        [303, 200, 404, 404, 404],
    ),
    (
        "GET",
        "/system-configurations/certificate-authorities/{id}",
        [303, 200, 404, 404, 404],
    ),
    (
        "POST",
        "/system-configurations/certificate-authorities/{id}",
        [303, 422, 403, 403, 403],
    ),
    (
        "GET",
        "/system-configurations/certificate-authorities/{id}/edit",
        [303, 200, 404, 404, 404],
    ),
    (
        "GET",
        "/system-configurations/general",
        [303, 200, 404, 404, 404],
    ),
    (
        "POST",
        "/system-configurations/general",
        [303, 422, 403, 403, 403],
    ),
    // Issuer companies (the `{id}` is `demo`'s issuer). An empty status form names no move
    // the policy allows: 403.
    ("POST", "/issuer-companies", [303, 422, 422, 403, 403]),
    ("GET", "/issuer-companies/new", [303, 200, 200, 404, 404]),
    ("GET", "/issuer-companies/{id}", [303, 200, 200, 200, 200]),
    ("POST", "/issuer-companies/{id}", [303, 422, 422, 403, 403]),
    (
        "GET",
        "/issuer-companies/{id}/edit",
        [303, 200, 200, 404, 404],
    ),
    (
        "POST",
        "/issuer-companies/{id}/limit",
        [303, 303, 403, 403, 403],
    ),
    (
        "POST",
        "/issuer-companies/{id}/status",
        [303, 403, 403, 403, 403],
    ),
    // Client services (the `{id}` is `demo`'s).
    ("POST", "/client-services", [303, 422, 422, 403, 403]),
    ("GET", "/client-services/new", [303, 200, 200, 404, 404]),
    ("GET", "/client-services/{id}", [303, 200, 200, 200, 200]),
    ("POST", "/client-services/{id}", [303, 422, 422, 422, 403]),
    (
        "GET",
        "/client-services/{id}/edit",
        [303, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/client-services/{id}/status",
        [303, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/client-services/{id}/secret",
        [303, 422, 422, 422, 403],
    ),
    (
        "GET",
        "/client-services/{id}/settings",
        [303, 200, 404, 404, 404],
    ),
    (
        "POST",
        "/client-services/{id}/settings",
        [303, 422, 403, 403, 403],
    ),
    (
        "GET",
        "/client-services/{id}/smtp",
        [303, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/client-services/{id}/smtp",
        [303, 422, 422, 422, 403],
    ),
    // Visual templates (a client service's and the system's) and the configuration test.
    (
        "GET",
        "/client-services/{id}/templates",
        [303, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/client-services/{id}/templates/logo",
        [303, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/client-services/{id}/templates/portal",
        [303, 400, 400, 400, 403],
    ),
    (
        "POST",
        "/client-services/{id}/templates/email",
        [303, 400, 400, 400, 403],
    ),
    (
        "POST",
        "/client-services/{id}/templates/signature-text",
        [303, 422, 422, 422, 403],
    ),
    (
        "POST",
        "/client-services/{id}/templates/default",
        [303, 400, 400, 400, 403],
    ),
    (
        "GET",
        "/client-services/{id}/test",
        [303, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/client-services/{id}/test",
        [303, 422, 422, 422, 403],
    ),
    (
        "GET",
        "/system-configurations/templates",
        [303, 200, 404, 404, 404],
    ),
    (
        "GET",
        "/system-configurations/templates/logo",
        [303, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/system-configurations/templates/portal",
        [303, 400, 403, 403, 403],
    ),
    (
        "POST",
        "/system-configurations/templates/email",
        [303, 400, 403, 403, 403],
    ),
    (
        "POST",
        "/system-configurations/templates/signature-text",
        [303, 422, 403, 403, 403],
    ),
    (
        "POST",
        "/system-configurations/templates/default",
        [303, 400, 403, 403, 403],
    ),
    // Last: it ends the session (the test signs in again after it).
    ("POST", "/sign-out", [303, 303, 303, 303, 303]),
];

/// Rows whose answer with another tenant's id is not the rule's (404 where the own id gets a
/// page or a form answer): the status move is judged after the issuer is found, so another
/// tenant's issuer is 404 where the own one's empty move is 403.
const OTHER_TENANT: &[Row] = &[
    (
        "POST",
        "/issuer-companies/{id}/status",
        [303, 403, 404, 404, 403],
    ),
    // A reseller's limit: the partner's issuer is looked up before its partner's kind.
    (
        "POST",
        "/issuer-companies/{id}/limit",
        [303, 303, 404, 403, 403],
    ),
];

const ROLES: [Option<Role>; 5] = [
    None,
    Some(Role::SystemAdministrator),
    Some(Role::Partner),
    Some(Role::Issuer),
    Some(Role::Auditor),
];

/// The id a path's `{id}` stands for: of the demo tenant (`own`) or of the other one.
fn id_for(bo: &Backoffice, path: &str, own: bool) -> String {
    let tenant = if own { bo.demo } else { bo.other };
    if path.starts_with("/partner-companies/") {
        tenant.partner.to_string()
    } else if path.starts_with("/issuer-companies/") {
        tenant.issuer.to_string()
    } else if path.starts_with("/system-configurations/certificate-authorities/") {
        bo.authority.to_string()
    } else if path.starts_with("/operators/") {
        tenant.operator.to_string()
    } else if path.starts_with("/client-services/") {
        tenant.client_service.to_string()
    } else {
        panic!("{path}: say which tenant's id its {{id}} names")
    }
}

async fn ask(client: &Client, method: &str, path: &str) -> u16 {
    match method {
        "GET" => client.get(path).await.status,
        "POST" => client.post(path, &[]).await.status,
        other => panic!("{other}"),
    }
}

#[test]
fn every_route_has_exactly_one_row() {
    let routes: BTreeSet<(String, String)> = backoffice::routes::table()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let rows: Vec<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let unique: BTreeSet<_> = rows.iter().cloned().collect();
    assert_eq!(rows.len(), unique.len(), "a route has two rows");
    let missing: Vec<_> = routes.difference(&unique).collect();
    let stale: Vec<_> = unique.difference(&routes).collect();
    assert!(missing.is_empty(), "routes without a row: {missing:?}");
    assert!(stale.is_empty(), "rows naming no route: {stale:?}");
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn each_role_gets_the_matrix_answer_on_every_route(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    let mut failures = Vec::new();
    for (i, role) in ROLES.iter().enumerate() {
        let mut client = match role {
            None => bo.anonymous(),
            Some(r) => bo.signed_in(*r).await,
        };
        for (method, path, expected) in MATRIX {
            let path = path.replace("{token}", &"0".repeat(64));
            let passes: Vec<(String, u16)> = if path.contains("{id}") {
                let own = path.replace("{id}", &id_for(&bo, &path, true));
                let other = path.replace("{id}", &id_for(&bo, &path, false));
                // Outside the operator's scope, what it could reach answers 404; the platform
                // has no outside.
                let exception = OTHER_TENANT
                    .iter()
                    .find(|(m, p, _)| m == method && p == &path)
                    .map(|(_, _, answers)| answers[i]);
                let foreign = exception.unwrap_or(match (role, expected[i]) {
                    (Some(Role::SystemAdministrator) | None, e) => e,
                    (Some(_), 200 | 303 | 400 | 422) => 404,
                    (Some(_), e) => e,
                });
                vec![(own, expected[i]), (other, foreign)]
            } else {
                vec![(path.clone(), expected[i])]
            };
            for (path, want) in passes {
                let got = ask(&client, method, &path).await;
                if got != want {
                    failures.push(format!("{role:?} {method} {path}: {got}, expected {want}"));
                }
            }
            if *method == "POST" && path == "/sign-out" {
                if let Some(r) = role {
                    client = bo.signed_in(*r).await;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_form_without_the_sessions_token_is_refused_and_changes_nothing(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    let admin = bo.signed_in(Role::SystemAdministrator).await;
    let fields = [
        ("name", "Forged Partner"),
        ("vat_number", "500000018"),
        ("country_code", "PRT"),
        ("language", "pt_PT"),
        ("kind", "INTEGRATOR"),
        ("status", "ACTIVE"),
    ];
    assert_eq!(
        admin.post_as_is("/partner-companies", &fields).await.status,
        403
    );
    let mut forged = fields.to_vec();
    forged.push(("csrf_token", "0000"));
    assert_eq!(
        admin.post_as_is("/partner-companies", &forged).await.status,
        403
    );
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM partner_companies WHERE name = 'Forged Partner'")
            .fetch_one(&bo.pool)
            .await
            .unwrap();
    assert_eq!(n, 0);
    // The same form with the token creates it.
    let done = admin.post("/partner-companies", &fields).await;
    assert_eq!(done.status, 303, "{}", done.body);
}
