//! Partner companies through the forms: errors beside the fields with what was typed kept, a
//! VAT number taken, markup shown inert, filters and paging in the query string, the partner
//! operator's scope, and the audit log written with each change.
#![allow(clippy::unwrap_used)]

mod common;

use common::Backoffice;
use signstash_domain::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_administrator_creates_and_edits_a_partner_through_the_forms(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    let admin = bo.signed_in(Role::SystemAdministrator).await;

    // Sent with errors: 422, each error beside its field, what was typed kept.
    let bad = admin
        .post(
            "/partner-companies",
            &[
                ("name", "<script>alert(1)</script> Lda"),
                ("vat_number", "123"),
                ("country_code", "PRT"),
                ("email", "not-an-address"),
                ("language", "pt_PT"),
                ("kind", "INTEGRATOR"),
                ("status", "ACTIVE"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"vat_number-error\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"email-error\""));
    assert!(!bad.body.contains("id=\"name-error\""));
    assert!(bad.body.contains("value=\"not-an-address\""));
    assert!(bad
        .body
        .contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62; Lda\""));
    assert!(!bad.body.contains("<script>alert(1)"));

    let no_country = admin
        .post(
            "/partner-companies",
            &[("name", "X"), ("vat_number", "123"), ("country_code", "PT")],
        )
        .await;
    assert_eq!(no_country.status, 422);
    assert!(no_country.body.contains("id=\"country_code-error\""));
    assert!(no_country.body.contains("id=\"language-error\""));

    let fields = [
        ("name", "<b>Parceiro</b> & Filhos"),
        ("vat_number", "500000018"),
        ("country_code", "prt"),
        ("email", "geral@parceiro.example"),
        ("address", "Rua Augusta 1"),
        ("postal_code", "1100-048"),
        ("city", "Lisboa"),
        ("language", "en"),
        ("kind", "RESELLER"),
        ("status", "ACTIVE"),
    ];
    let created = admin.post("/partner-companies", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let detail_path = created.location.unwrap();
    assert!(detail_path.ends_with("?done=created"), "{detail_path}");
    let detail = admin.get(&detail_path).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("PRT.500000018"));
    assert!(detail
        .body
        .contains("&#60;b&#62;Parceiro&#60;/b&#62; &#38; Filhos"));
    assert!(!detail.body.contains("<b>Parceiro"));
    assert!(detail.body.contains("Rua Augusta 1"));
    // No limit yet: the alert.
    assert!(detail.body.contains("class=\"message message-warning\""));

    // The same VAT number again: the error beside the field.
    let again = admin.post("/partner-companies", &fields).await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("id=\"vat_number-error\""));

    // Edit the name; the audit log has the creation and the change, with before and after.
    let id = detail_path
        .trim_start_matches("/partner-companies/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let edited = admin
        .post(
            &format!("/partner-companies/{id}"),
            &[
                ("name", "Parceiro Novo"),
                ("email", "geral@parceiro.example"),
                ("language", "en"),
                ("kind", "RESELLER"),
                ("status", "ACTIVE"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let limit = admin
        .post(
            &format!("/partner-companies/{id}/limit"),
            &[
                ("limit_signatures", "1000"),
                ("limit_valid_until", "2027-12-31"),
            ],
        )
        .await;
    assert_eq!(limit.status, 303);
    let entries: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT action, details FROM audit_log WHERE target_kind = 'partner_company' AND target_id = $1
         ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&bo.pool)
    .await
    .unwrap();
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["partner.created", "partner.updated", "partner.limit_set"]
    );
    assert_eq!(
        entries[1].1["name"],
        serde_json::json!({ "before": "<b>Parceiro</b> & Filhos", "after": "Parceiro Novo" })
    );
    // Address fields left out of the edit form were cleared: recorded too.
    assert_eq!(entries[1].1["city"]["before"], "Lisboa");
    assert_eq!(entries[2].1["limit_signatures"]["after"], "1000");

    // Filters are GET parameters; an invalid date is an error beside the filter, not a failure.
    let found = admin.get("/partner-companies?name=novo").await;
    assert!(found.body.contains("Parceiro Novo"));
    assert!(!found.body.contains("Other Partner"));
    let bad_date = admin
        .get("/partner-companies?created_from=2026-02-31")
        .await;
    assert_eq!(bad_date.status, 200);
    assert!(bad_date.body.contains("id=\"created_from-error\""));
    // `%` is a character, not a wildcard.
    let literal = admin.get("/partner-companies?name=%25").await;
    assert!(literal.body.contains("Nada encontrado") || literal.body.contains("Nothing found"));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_partner_operator_sees_and_edits_only_its_own_company(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    let partner = bo.signed_in(Role::Partner).await;
    let list = partner.get("/partner-companies").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Demo Partner"), "{}", list.body);
    assert!(!list.body.contains("Other Partner"));
    // Not the platform: no "new" button, no kind/status fields, no limit form.
    assert!(!list.body.contains("/partner-companies/new"));
    let own = bo.demo.partner;
    let edit = partner.get(&format!("/partner-companies/{own}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(!edit.body.contains("name=\"status\""));
    assert!(!edit.body.contains("name=\"kind\""));
    let detail = partner.get(&format!("/partner-companies/{own}")).await;
    assert!(!detail.body.contains("/limit\""));
    // Its edit cannot change the status or the kind, whatever the form says.
    let sent = partner
        .post(
            &format!("/partner-companies/{own}"),
            &[
                ("name", "Demo Partner Renamed"),
                ("language", "pt_PT"),
                ("kind", "RESELLER"),
                ("status", "INACTIVE"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let (status, kind): (String, String) =
        sqlx::query_as("SELECT status, kind FROM partner_companies WHERE id = $1")
            .bind(own)
            .fetch_one(&bo.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), kind.as_str()), ("ACTIVE", "INTEGRATOR"));
    // Tampered ids: another partner's, a missing one and a non-number all read the same.
    let other = bo.other.partner;
    let a = partner.get(&format!("/partner-companies/{other}")).await;
    let b = partner.get("/partner-companies/999999999").await;
    let c = partner.get("/partner-companies/1%20OR%201=1").await;
    assert_eq!((a.status, b.status, c.status), (404, 404, 404));
    let main = |body: &str| body[body.find("<main").unwrap()..].to_owned();
    assert_eq!(main(&a.body), main(&b.body));
    assert_eq!(main(&b.body), main(&c.body));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_list_pages_by_twenty_and_keeps_the_filters(pool: PgPool) {
    let bo = Backoffice::start(pool).await;
    sqlx::query(
        "INSERT INTO partner_companies (name, vat_number)
         SELECT 'Paged ' || lpad(n::text, 2, '0'), 'X' || n FROM generate_series(1, 45) n",
    )
    .execute(&bo.pool)
    .await
    .unwrap();
    let admin = bo.signed_in(Role::SystemAdministrator).await;
    let first = admin.get("/partner-companies?name=paged").await;
    assert!(first.body.contains("Paged 20") && !first.body.contains("Paged 21"));
    assert!(first
        .body
        .contains("href=\"/partner-companies?name=paged&#38;page=2\""));
    let third = admin.get("/partner-companies?name=paged&page=3").await;
    assert!(third.body.contains("Paged 45") && !third.body.contains("Paged 40"));
    assert!(third.body.contains("rel=\"prev\"") && !third.body.contains("rel=\"next\""));
}
