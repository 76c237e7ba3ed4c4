//! The platform across its services: the real binaries over one database. What an operator
//! changes in the backoffice, integration-ws obeys at its next request, without a restart.
#![allow(clippy::unwrap_used)]

use signstash_platform_tests::{ApiClient, Operator, Platform};
use sqlx::PgPool;

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_demo_operators_sign_in_and_the_demo_client_service_signs(pool: PgPool) {
    let platform = Platform::start(&pool).await;
    let admin = Operator::sign_in(
        &platform.backoffice,
        "admin@signstash.local",
        "admin-demo-password",
    )
    .await;
    assert_eq!(admin.get("/partner-companies").await.status, 200);
    let api = ApiClient::new(&platform.api);
    let token = api.token("demo", "demo-secret").await.unwrap();
    let (status, body) = api
        .sign(
            &token,
            "PLATFORM-1",
            ("note.txt", "text/plain", b"hello"),
            "CAdES",
        )
        .await;
    assert_eq!(status, 200, "{body}");
}
