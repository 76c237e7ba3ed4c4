//! A platform has thousands of issuer companies, so no page lists them whole: the Client
//! services list filters on the issuer's name, and a new client service's issuer and a new
//! operator's company are chosen at a first step that searches (`?q=`) and shows at most a page
//! of companies, each a link to the form with that company chosen. The chosen id is checked
//! against the scope again when the form comes back.
#![allow(clippy::unwrap_used)]

mod common;

use common::{hidden, Backoffice};
use signstash_domain::{EmailAddress, Role, VatNumber};
use signstash_store::companies::{self, NewIssuerCompany};
use sqlx::PgPool;

/// `n` more issuers under `demo`'s partner, named `Bulk Issuer 01`…
async fn bulk_issuers(bo: &Backoffice, n: usize) {
    for k in 1..=n {
        // Portuguese VAT numbers of the `5xxxxxxx` form with a valid check digit.
        let base = 51_000_000 + k as u32;
        let digits: Vec<u32> = base
            .to_string()
            .chars()
            .map(|c| c.to_digit(10).unwrap())
            .collect();
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| d * (9 - i as u32))
            .sum();
        let check = match 11 - sum % 11 {
            10 | 11 => 0,
            c => c,
        };
        companies::create_issuer(
            &bo.pool,
            &NewIssuerCompany {
                partner_company_id: signstash_domain::PartnerCompanyId(bo.demo.partner),
                name: format!("Bulk Issuer {k:02}"),
                vat_number: VatNumber::try_from(format!("{base}{check}").as_str()).unwrap(),
                country_code: "PRT".into(),
                address: None,
                postal_code: None,
                city: None,
                email: None,
            },
        )
        .await
        .unwrap();
    }
}

/// The links of a first step's results (not the language switch's).
fn choices(page: &str, path: &str) -> Vec<String> {
    page.split(&format!("<a href=\"{path}?"))
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .filter(|query| !query.starts_with("lang="))
        .collect()
}

async fn client_services_named(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM client_services")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_new_client_services_issuer_is_searched_then_fixed_and_checked_again(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    bulk_issuers(&bo, 25).await;
    let admin = bo.signed_in(Role::SystemAdministrator).await;

    // The first step: a search, and at most a page of issuers with a hint that there are more.
    let first = admin.get("/client-services/new").await;
    assert_eq!(first.status, 200);
    assert!(first.body.contains(r#"<label for="q">"#));
    let shown = choices(&first.body, "/client-services/new");
    assert_eq!(shown.len(), 20, "{shown:?}");
    assert!(first.body.contains(r#"<p class="hint">"#), "no 'more' hint");
    assert!(
        !first.body.contains(r#"name="bundle""#),
        "the form before an issuer is chosen"
    );

    // A search narrows it, by name or by VAT number.
    let found = admin.get("/client-services/new?q=bulk+issuer+07").await;
    assert_eq!(choices(&found.body, "/client-services/new").len(), 1);
    assert!(found.body.contains("Bulk Issuer 07"));
    let by_vat = admin.get("/client-services/new?q=509999980").await;
    assert_eq!(
        choices(&by_vat.body, "/client-services/new"),
        [format!("issuer={}", bo.other.issuer)]
    );
    let none = admin.get("/client-services/new?q=%25").await;
    assert!(
        choices(&none.body, "/client-services/new").is_empty(),
        "% is not a wildcard"
    );

    // The chosen issuer's form: the issuer fixed in a hidden field, its certificates only.
    let form = admin
        .get(&format!("/client-services/new?issuer={}", bo.demo.issuer))
        .await;
    assert_eq!(form.status, 200);
    assert_eq!(
        hidden(&form.body, "issuer"),
        Some(bo.demo.issuer.to_string())
    );
    let demo_certificates: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM certificates WHERE issuer_company_id = $1 AND status = 'ACTIVE'",
    )
    .bind(bo.demo.issuer)
    .fetch_all(&bo.pool)
    .await
    .unwrap();
    assert!(!demo_certificates.is_empty());
    let options = form.body.matches("<option value=\"").count();
    // The language's two options, "none yet", and the issuer's certificates.
    assert_eq!(options, 2 + 1 + demo_certificates.len(), "{}", form.body);

    // A partner searches only its own subtree, and another partner's issuer named in the query
    // string reads as not chosen: the first step again.
    let partner = bo.signed_in(Role::Partner).await;
    let theirs = partner.get("/client-services/new?q=other").await;
    assert!(choices(&theirs.body, "/client-services/new").is_empty());
    let smuggled = partner
        .get(&format!("/client-services/new?issuer={}", bo.other.issuer))
        .await;
    assert_eq!(smuggled.status, 200);
    assert!(!smuggled.body.contains(r#"name="bundle""#));

    // A tampered hidden field: 422, the first step with the error, nothing created.
    let before = client_services_named(&bo.pool).await;
    let other = bo.other.issuer.to_string();
    let refused = partner
        .post(
            "/client-services",
            &[("issuer", &other), ("language", "en"), ("certificate", "")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(r#"role="alert""#));
    assert!(refused.body.contains(r#"id="q""#));
    assert_eq!(client_services_named(&bo.pool).await, before);
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_client_services_list_filters_on_the_issuers_name_or_vat(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    let admin = bo.signed_in(Role::SystemAdministrator).await;
    let all = admin.get("/client-services").await;
    assert!(
        all.body
            .contains(r#"<input id="issuer" name="issuer" type="text""#),
        "{}",
        all.body
    );
    assert!(!all.body.contains(r#"<select id="issuer""#));
    let other = admin.get("/client-services?issuer=other+iss").await;
    assert!(other.body.contains("Other ERP"));
    assert!(!other.body.contains("demo2"));
    assert!(
        other.body.contains(r#"value="other iss""#),
        "the filter keeps what was typed"
    );
    let by_vat = admin.get("/client-services?issuer=509999980").await;
    assert!(by_vat.body.contains("Other ERP"));
    let nothing = admin.get("/client-services?issuer=no+such+issuer").await;
    assert!(!nothing.body.contains("Other ERP"));
    // A partner's filter stays within its scope.
    let partner = bo.signed_in(Role::Partner).await;
    let theirs = partner.get("/client-services?issuer=other").await;
    assert!(!theirs.body.contains("Other ERP"));
    // An issuer operator has no issuer filter, and one typed is ignored.
    let issuer = bo.signed_in(Role::Issuer).await;
    let own = issuer.get("/client-services?issuer=nothing+matches").await;
    assert!(!own.body.contains(r#"id="issuer""#));
    assert_eq!(own.status, 200);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_new_operators_company_is_searched_and_offers_only_the_roles_that_fit(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    bulk_issuers(&bo, 25).await;
    let admin = bo.signed_in(Role::SystemAdministrator).await;

    // The administrator's first step: the platform, partners, and a page of issuers.
    let first = admin.get("/operators/new").await;
    assert_eq!(first.status, 200);
    let shown = choices(&first.body, "/operators/new");
    assert!(shown.contains(&"company=none".to_owned()), "{shown:?}");
    assert!(shown.contains(&format!("company=P{}", bo.other.partner)));
    assert_eq!(
        shown.iter().filter(|c| c.starts_with("company=I")).count(),
        20
    );
    let found = admin.get("/operators/new?q=Other").await;
    assert_eq!(
        choices(&found.body, "/operators/new"),
        [
            "company=none".to_owned(),
            format!("company=P{}", bo.other.partner),
            format!("company=I{}", bo.other.issuer)
        ]
    );

    // The roles that fit each company.
    let roles = |body: &str| -> Vec<String> {
        let select = &body[body.find(r#"<select id="role""#).unwrap()..];
        let select = &select[..select.find("</select>").unwrap()];
        select
            .split("<option value=\"")
            .skip(1)
            .map(|o| o[..o.find('"').unwrap()].to_owned())
            .collect()
    };
    let platform = admin.get("/operators/new?company=none").await;
    assert_eq!(roles(&platform.body), ["SYSTEM_ADMINISTRATOR"]);
    assert_eq!(hidden(&platform.body, "company").as_deref(), Some("none"));
    let partner_company = admin
        .get(&format!("/operators/new?company=P{}", bo.demo.partner))
        .await;
    assert_eq!(roles(&partner_company.body), ["PARTNER"]);
    let issuer_company = admin
        .get(&format!("/operators/new?company=I{}", bo.demo.issuer))
        .await;
    assert_eq!(roles(&issuer_company.body), ["ISSUER", "AUDITOR"]);

    // A role that does not fit the company is refused beside the role, nothing created.
    let company = format!("I{}", bo.demo.issuer);
    let misfit = admin
        .post(
            "/operators",
            &[
                ("name", "Misfit"),
                ("email", "misfit@example.com"),
                ("role", "PARTNER"),
                ("company", &company),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(misfit.status, 422);
    assert!(
        misfit.body.contains(r#"id="role-error""#),
        "{}",
        misfit.body
    );
    let email = EmailAddress::try_from("misfit@example.com").unwrap();
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM operators WHERE email = $1")
        .bind(email.as_str())
        .fetch_one(&bo.pool)
        .await
        .unwrap();
    assert_eq!(created, 0);

    // A partner: no platform, its own partner and issuers only; another's id reads as not chosen.
    let partner = bo.signed_in(Role::Partner).await;
    let first = partner.get("/operators/new").await;
    let shown = choices(&first.body, "/operators/new");
    assert!(!shown.contains(&"company=none".to_owned()));
    assert!(shown.contains(&format!("company=P{}", bo.demo.partner)));
    assert!(!shown
        .iter()
        .any(|c| *c == format!("company=P{}", bo.other.partner)));
    for smuggled in [
        "none".to_owned(),
        format!("P{}", bo.other.partner),
        format!("I{}", bo.other.issuer),
    ] {
        let page = partner
            .get(&format!("/operators/new?company={smuggled}"))
            .await;
        assert!(!page.body.contains(r#"<select id="role""#), "{smuggled}");
        let posted = partner
            .post(
                "/operators",
                &[
                    ("name", "Smuggled"),
                    ("email", "smuggled@example.com"),
                    ("role", "ISSUER"),
                    ("company", &smuggled),
                    ("language", "en"),
                ],
            )
            .await;
        assert_eq!(posted.status, 422, "{smuggled}");
        assert!(posted.body.contains(r#"id="q""#), "{smuggled}");
    }

    // An issuer operator skips the first step: its own company is the only one.
    let issuer = bo.signed_in(Role::Issuer).await;
    let form = issuer
        .get(&format!("/operators/new?company=I{}", bo.other.issuer))
        .await;
    assert_eq!(form.status, 200);
    assert_eq!(
        hidden(&form.body, "company"),
        Some(format!("I{}", bo.demo.issuer))
    );
    assert_eq!(roles(&form.body), ["ISSUER"]);
}
