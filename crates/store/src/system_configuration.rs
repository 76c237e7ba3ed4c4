//! The platform's general configuration: the one `system_configuration` row (default
//! language, storage period, portal link validity, e-mail retry threshold). Only the
//! platform's [`Scope`] reads or changes it.

use signstash_domain::Language;
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::scope::Scope;

/// The general configuration.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SystemConfiguration {
    pub default_language: Language,
    /// Months a signed document is kept.
    pub storage_period_months: i32,
    /// Days a portal link stays valid (a client service may set its own).
    pub link_validity_days: i32,
    /// Failed sends of an e-mail before it is given up and reported.
    pub email_retry_threshold: i32,
}

/// The configuration and when it last changed (`None` outside the platform's scope).
pub async fn get(
    db: impl PgExecutor<'_>,
    scope: &Scope,
) -> Result<Option<(SystemConfiguration, OffsetDateTime)>, StoreError> {
    let (all, _) = scope.partner_params();
    let row: Option<Row> = sqlx::query_as(
        "SELECT default_language, storage_period_months, link_validity_days,
                email_retry_threshold, updated_at
         FROM system_configuration WHERE $1 AND id",
    )
    .bind(all)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        (
            SystemConfiguration {
                default_language: r.default_language,
                storage_period_months: r.storage_period_months,
                link_validity_days: r.link_validity_days,
                email_retry_threshold: r.email_retry_threshold,
            },
            r.updated_at,
        )
    }))
}

#[derive(sqlx::FromRow)]
struct Row {
    default_language: Language,
    storage_period_months: i32,
    link_validity_days: i32,
    email_retry_threshold: i32,
    updated_at: OffsetDateTime,
}

/// The configuration, locked until the transaction ends (read before a change, for the
/// audit log's "before"); `None` outside the platform's scope.
pub async fn get_for_update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
) -> Result<Option<SystemConfiguration>, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query_as(
        "SELECT default_language, storage_period_months, link_validity_days,
                email_retry_threshold
         FROM system_configuration WHERE $1 AND id FOR UPDATE",
    )
    .bind(all)
    .fetch_optional(db)
    .await?)
}

/// Replaces the configuration; `false` outside the platform's scope.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    c: &SystemConfiguration,
) -> Result<bool, StoreError> {
    let (all, _) = scope.partner_params();
    Ok(sqlx::query(
        "UPDATE system_configuration SET default_language = $2, storage_period_months = $3,
             link_validity_days = $4, email_retry_threshold = $5, updated_at = now()
         WHERE $1 AND id",
    )
    .bind(all)
    .bind(c.default_language)
    .bind(c.storage_period_months)
    .bind(c.link_validity_days)
    .bind(c.email_retry_threshold)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}
