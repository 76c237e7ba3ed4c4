//! The development operators of `cargo xtask up` (DEVELOPMENT ONLY: their passwords are in the
//! README), over the demo tenants integration-ws's `seed-demo` creates: one per role, each
//! with the company the role needs. Run again, it leaves existing operators as they are.

use signstash_domain::{EmailAddress, IssuerCompanyId, PartnerCompanyId, Role};
use signstash_store::operators::{self, NewOperator};
use sqlx::PgPool;

/// `(e-mail, password, name, role)` of each development operator.
pub const DEMO_OPERATORS: [(&str, &str, &str, Role); 4] = [
    (
        "admin@signstash.local",
        "admin-demo-password",
        "Demo Administrator",
        Role::SystemAdministrator,
    ),
    (
        "partner@signstash.local",
        "partner-demo-password",
        "Demo Partner Operator",
        Role::Partner,
    ),
    (
        "issuer@signstash.local",
        "issuer-demo-password",
        "Demo Issuer Operator",
        Role::Issuer,
    ),
    (
        "auditor@signstash.local",
        "auditor-demo-password",
        "Demo Auditor",
        Role::Auditor,
    ),
];

/// Creates the four operators: the partner operator in the partner of client service `demo`,
/// the issuer operator in its issuer, the auditor auditing that issuer only.
pub async fn seed_demo_operators(db: &PgPool) -> Result<(), String> {
    let (issuer, partner): (IssuerCompanyId, PartnerCompanyId) = sqlx::query_as(
        "SELECT ic.id, ic.partner_company_id FROM client_services cs
         JOIN issuer_companies ic ON ic.id = cs.issuer_company_id WHERE cs.alias = 'demo'",
    )
    .fetch_optional(db)
    .await
    .map_err(|e| e.to_string())?
    .ok_or("client service `demo` not found: run integration-ws seed-demo first")?;
    for (email, password, name, role) in DEMO_OPERATORS {
        let email = EmailAddress::try_from(email).map_err(|e| e.to_string())?;
        let id = match operators::find_by_email(db, &email)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(existing) => existing.id,
            None => {
                let password = password.to_owned();
                let password_hash =
                    tokio::task::spawn_blocking(move || signstash_oauth::hash_secret(&password))
                        .await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?;
                operators::create(
                    db,
                    &NewOperator {
                        partner_company_id: (role == Role::Partner).then_some(partner),
                        issuer_company_id: (role == Role::Issuer).then_some(issuer),
                        email,
                        name: name.into(),
                        role,
                        password_hash,
                    },
                )
                .await
                .map_err(|e| e.to_string())?
            }
        };
        if role == Role::Auditor {
            sqlx::query(
                "INSERT INTO auditor_issuers (operator_id, issuer_company_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(issuer)
            .execute(db)
            .await
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
