//! Deliveries: the e-mail outbox. A row per receiver; workers on any instance claim due rows
//! with `FOR UPDATE SKIP LOCKED`, so two workers never take the same one.
//!
//! Claiming pushes `next_attempt_at` forward by a lease and stamps a lease token: a worker that
//! dies mid-batch leaves its rows due again when the lease ends, and a worker whose lease ran
//! out gets [`StoreError::LeaseLost`] instead of overwriting a newer attempt. `attempts` counts
//! claims (so a delivery that crashes its worker still reaches the threshold).

use std::time::Duration;

use signstash_domain::{ClientServiceId, DeliveryId, DeliveryStatus, EmailAddress, OperationId};
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::StoreError;

/// A delivery as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    /// Id.
    pub id: DeliveryId,
    /// Its operation.
    pub operation_id: OperationId,
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// The receiver.
    pub receiver_email: EmailAddress,
    /// Attach the signed files.
    pub attach_documents: bool,
    /// `deliveryStatus`.
    pub status: DeliveryStatus,
    /// Tries so far (claims).
    pub attempts: i32,
    /// When it is due (or when its lease ends, while claimed).
    pub next_attempt_at: OffsetDateTime,
    /// The last failure, for operators.
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: OffsetDateTime,
    /// Accepted by the SMTP server.
    pub sent_at: Option<OffsetDateTime>,
}

/// A claimed delivery: send it, then report with its token.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The delivery (attempts already counts this try).
    pub delivery: Delivery,
    /// Proves the claim to [`mark_sent`] / [`mark_failed`].
    pub lease_token: Uuid,
}

/// Retry policy of [`mark_failed`].
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in total before `SENDING_FAILED` (3 by default).
    pub max_attempts: i32,
    /// Wait after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(3600),
        }
    }
}

const COLUMNS: &str = "id, operation_id, client_service_id, receiver_email, attach_documents,
    status, attempts, next_attempt_at, last_error, created_at, sent_at";

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Queues one e-mail per receiver for an operation of that client service (also used by the
/// resend endpoint). An operation of another tenant → `NotFound`.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    operation_id: OperationId,
    receivers: &[EmailAddress],
    attach_documents: bool,
) -> Result<Vec<DeliveryId>, StoreError> {
    if receivers.is_empty() {
        return Ok(Vec::new());
    }
    let emails: Vec<&str> = receivers.iter().map(EmailAddress::as_str).collect();
    Ok(sqlx::query_scalar(
        "INSERT INTO deliveries (operation_id, client_service_id, receiver_email, attach_documents)
         SELECT $1, $2, email, $4 FROM UNNEST($3::text[]) WITH ORDINALITY AS r(email, n)
         ORDER BY n
         RETURNING id",
    )
    .bind(operation_id)
    .bind(client_service_id)
    .bind(&emails)
    .bind(attach_documents)
    .fetch_all(db)
    .await?)
}

/// Claims up to `limit` due deliveries (PENDING or SENDING_ERROR whose time has come, oldest
/// first) for `lease`. Rows locked by another claimer are skipped, never waited for.
pub async fn claim_batch(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    claim(db, limit, lease, "").await
}

/// [`claim_batch`] restricted to deliveries whose operation has finished signing (not
/// `PENDING_EXECUTION`): what the outbox worker uses. A delivery of an operation still being
/// signed is left alone instead of being claimed and given back, so waiting for the signature
/// neither counts as an attempt nor holds a lease.
pub async fn claim_ready_batch(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    claim(
        db,
        limit,
        lease,
        "AND NOT EXISTS (SELECT 1 FROM operations o
                         WHERE o.id = deliveries.operation_id
                           AND o.status = 'PENDING_EXECUTION')",
    )
    .await
}

async fn claim(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease: Duration,
    extra_condition: &str,
) -> Result<Vec<Claimed>, StoreError> {
    let token = Uuid::new_v4();
    let rows: Vec<Delivery> = sqlx::query_as(&format!(
        "WITH due AS (
             SELECT id FROM deliveries
             WHERE status IN ('PENDING', 'SENDING_ERROR') AND next_attempt_at <= now()
                   {extra_condition}
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED
         )
         UPDATE deliveries d
         SET attempts = d.attempts + 1,
             next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond',
             lease_token = $3
         FROM due WHERE d.id = due.id
         RETURNING {}",
        prefixed_columns()
    ))
    .bind(limit)
    .bind(millis(lease))
    .bind(token)
    .fetch_all(db)
    .await?;
    let mut claimed: Vec<Claimed> = rows
        .into_iter()
        .map(|delivery| Claimed {
            delivery,
            lease_token: token,
        })
        .collect();
    claimed.sort_by_key(|c| c.delivery.id);
    Ok(claimed)
}

fn prefixed_columns() -> String {
    COLUMNS
        .split(',')
        .map(|c| format!("d.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Queues one delivery that the caller sends at once (the resend endpoint): inserted already
/// claimed for `lease` (one attempt), so no worker takes it meanwhile; report the result with
/// [`mark_sent`] / [`mark_failed`]. An operation of another tenant → `NotFound`.
pub async fn enqueue_claimed(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    operation_id: OperationId,
    receiver: &EmailAddress,
    attach_documents: bool,
    lease: Duration,
) -> Result<Claimed, StoreError> {
    let token = Uuid::new_v4();
    let delivery: Delivery = sqlx::query_as(&format!(
        "INSERT INTO deliveries (operation_id, client_service_id, receiver_email, attach_documents,
                                 attempts, next_attempt_at, lease_token)
         VALUES ($1, $2, $3, $4, 1, clock_timestamp() + $5 * interval '1 millisecond', $6)
         RETURNING {COLUMNS}"
    ))
    .bind(operation_id)
    .bind(client_service_id)
    .bind(receiver)
    .bind(attach_documents)
    .bind(millis(lease))
    .bind(token)
    .fetch_one(db)
    .await?;
    Ok(Claimed {
        delivery,
        lease_token: token,
    })
}

/// Records a successful send. A lost lease → [`StoreError::LeaseLost`].
pub async fn mark_sent(
    db: impl PgExecutor<'_>,
    id: DeliveryId,
    lease_token: Uuid,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE deliveries SET status = 'SENT', sent_at = now(), last_error = NULL,
                lease_token = NULL
         WHERE id = $1 AND lease_token = $2",
    )
    .bind(id)
    .bind(lease_token)
    .execute(db)
    .await?;
    if result.rows_affected() == 0 {
        return Err(StoreError::LeaseLost);
    }
    Ok(())
}

/// Records a failed try: `SENDING_ERROR` due again after an exponential backoff, or
/// `SENDING_FAILED` once `attempts` reached the policy's threshold. Returns the new status.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: DeliveryId,
    lease_token: Uuid,
    error: &str,
    policy: &RetryPolicy,
) -> Result<DeliveryStatus, StoreError> {
    let error: String = error.chars().take(2000).collect();
    let status: Option<DeliveryStatus> = sqlx::query_scalar(
        "UPDATE deliveries SET
             status = CASE WHEN attempts >= $3 THEN 'SENDING_FAILED' ELSE 'SENDING_ERROR' END,
             next_attempt_at = now() + LEAST($4::float8 * power(2, GREATEST(attempts - 1, 0)), $5::float8)
                                       * interval '1 millisecond',
             last_error = $6,
             lease_token = NULL
         WHERE id = $1 AND lease_token = $2
         RETURNING status",
    )
    .bind(id)
    .bind(lease_token)
    .bind(policy.max_attempts)
    .bind(millis(policy.base_backoff) as f64)
    .bind(millis(policy.max_backoff) as f64)
    .bind(&error)
    .fetch_optional(db)
    .await?;
    status.ok_or(StoreError::LeaseLost)
}

/// Marks the deliveries of an operation to a receiver as `RECEIVED` (the portal link was
/// opened). Only sent ones change.
pub async fn mark_received(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    operation_id: OperationId,
    receiver: &EmailAddress,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE deliveries SET status = 'RECEIVED'
         WHERE client_service_id = $1 AND operation_id = $2 AND receiver_email = $3
           AND status = 'SENT'",
    )
    .bind(client_service_id)
    .bind(operation_id)
    .bind(receiver)
    .execute(db)
    .await?
    .rows_affected())
}

/// The deliveries of an operation of that client service, oldest first.
pub async fn list_for_operation(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    operation_id: OperationId,
) -> Result<Vec<Delivery>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM deliveries WHERE operation_id = $1 AND client_service_id = $2
         ORDER BY id"
    ))
    .bind(operation_id)
    .bind(client_service_id)
    .fetch_all(db)
    .await?)
}

/// Deliveries waiting to be sent (PENDING or SENDING_ERROR), for the outbox depth metric.
pub async fn queue_depth(db: impl PgExecutor<'_>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE status IN ('PENDING', 'SENDING_ERROR')",
    )
    .fetch_one(db)
    .await?)
}
