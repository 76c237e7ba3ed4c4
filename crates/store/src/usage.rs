//! Usage limits and counters (documents signed, hashes signed, bytes stored, timestamps
//! granted).

use signstash_domain::{ClientServiceId, UsageMetric, UsagePeriod};
use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use crate::error::StoreError;

/// Adds `amount` to a client service's counter for the period starting at `period_start`
/// (first day of the month or year, or `2000-01-01` for totals). Returns the new value.
pub async fn add(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    metric: UsageMetric,
    period_start: Date,
    amount: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO usage_counters (client_service_id, metric, period_start, value)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (client_service_id, metric, period_start)
         DO UPDATE SET value = usage_counters.value + EXCLUDED.value
         RETURNING value",
    )
    .bind(client_service_id)
    .bind(metric)
    .bind(period_start)
    .bind(amount)
    .fetch_one(db)
    .await?)
}

/// Counts `amount` of `metric` for the client service now: consumption is kept per calendar
/// month (UTC), so a year or a total is the sum of its months. Returns the month's new value.
pub async fn count(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    metric: UsageMetric,
    amount: i64,
) -> Result<i64, StoreError> {
    add(
        db,
        client_service_id,
        metric,
        month_start(OffsetDateTime::now_utc()),
        amount,
    )
    .await
}

/// The first day of the calendar month (UTC) of `at`: the `period_start` of its counter.
pub fn month_start(at: OffsetDateTime) -> Date {
    let date = at.to_offset(time::UtcOffset::UTC).date();
    date.replace_day(1).unwrap_or(date)
}

/// The limits that apply to a client service for a metric (its own and its issuer's), as
/// `(period, max_value, applies to this client service only)`.
pub async fn limits(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    metric: UsageMetric,
) -> Result<Vec<(UsagePeriod, i64, bool)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT ul.period, ul.max_value, ul.client_service_id IS NOT NULL
         FROM usage_limits ul
         JOIN client_services cs ON cs.issuer_company_id = ul.issuer_company_id
         WHERE cs.id = $1 AND ul.metric = $2
           AND (ul.client_service_id IS NULL OR ul.client_service_id = cs.id)
         ORDER BY ul.id",
    )
    .bind(client_service_id)
    .bind(metric)
    .fetch_all(db)
    .await?)
}
