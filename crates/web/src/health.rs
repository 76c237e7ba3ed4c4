//! `/health/live` answers while the process serves; `/health/ready` while what it needs answers
//! too (the database, and the document store where the service has one).

use axum::http::StatusCode;
use sqlx::PgPool;

/// The liveness answer.
pub async fn live() -> &'static str {
    "ok"
}

/// 200 when the database answers and `documents` (if given) is reachable, else 503.
pub async fn ready(db: &PgPool, documents: Option<&signstash_store::DocumentStore>) -> StatusCode {
    let db = sqlx::query("SELECT 1").execute(db).await.is_ok();
    let store = match documents {
        Some(documents) => documents.check().await.is_ok(),
        None => true,
    };
    if db && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}
