//! The e-mail outbox as a queue: SKIP LOCKED claims, leases, retries and the threshold.
#![cfg(signstash_db_tests)]
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{email, operation, tenant};
use signstash_domain::{ClientServiceId, DeliveryId, DeliveryStatus, EmailAddress, OperationId};
use signstash_store::deliveries::{self, RetryPolicy};
use signstash_store::{operations, StoreError};
use sqlx::PgPool;

const LEASE: Duration = Duration::from_secs(60);

struct Queued {
    client_service: ClientServiceId,
    operation: OperationId,
    ids: Vec<DeliveryId>,
}

/// One operation with `receivers` deliveries.
async fn queue(pool: &PgPool, receivers: usize) -> Queued {
    let a = tenant(pool, "demo").await;
    let mut conn = pool.acquire().await.unwrap();
    let created = operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-1", &["INV-1"], &[]),
    )
    .await
    .unwrap();
    let receivers: Vec<EmailAddress> = (0..receivers)
        .map(|i| email(&format!("receiver{i}@example.com")))
        .collect();
    let ids = deliveries::enqueue(pool, a.client_service, created.id, &receivers, true)
        .await
        .unwrap();
    Queued {
        client_service: a.client_service,
        operation: created.id,
        ids,
    }
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn two_concurrent_claimers_never_get_the_same_delivery(pool: PgPool) {
    let ids = queue(&pool, 60).await.ids;
    let mut workers = Vec::new();
    for _ in 0..2 {
        let pool = pool.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = deliveries::claim_batch(&pool, 7, LEASE).await.unwrap();
                if batch.is_empty() {
                    break mine;
                }
                mine.extend(batch.into_iter().map(|c| c.delivery.id));
                tokio::task::yield_now().await;
            }
        }));
    }
    let a = workers.remove(0).await.unwrap();
    let b = workers.remove(0).await.unwrap();
    let all: HashSet<DeliveryId> = a.iter().chain(&b).copied().collect();
    assert_eq!(all.len(), a.len() + b.len(), "a delivery was claimed twice");
    assert_eq!(
        all,
        ids.into_iter().collect::<HashSet<_>>(),
        "every delivery claimed once"
    );
}

/// While one claimer's transaction holds rows, another claimer skips them instead of waiting.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_claimer_skips_rows_locked_by_another(pool: PgPool) {
    queue(&pool, 10).await;
    let mut tx = pool.begin().await.unwrap();
    let first = deliveries::claim_batch(&mut *tx, 4, LEASE).await.unwrap();
    assert_eq!(first.len(), 4);
    let second = tokio::time::timeout(
        Duration::from_secs(5),
        deliveries::claim_batch(&pool, 100, LEASE),
    )
    .await
    .expect("the second claimer waited on locked rows")
    .unwrap();
    assert_eq!(second.len(), 6);
    let first_ids: HashSet<_> = first.iter().map(|c| c.delivery.id).collect();
    assert!(second.iter().all(|c| !first_ids.contains(&c.delivery.id)));
    tx.commit().await.unwrap();
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn an_abandoned_claim_is_claimed_again_after_the_lease(pool: PgPool) {
    let Queued {
        client_service: cs,
        ids,
        ..
    } = queue(&pool, 1).await;
    let lease = Duration::from_millis(1000);
    let first = deliveries::claim_batch(&pool, 10, lease).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].delivery.attempts, 1);
    // The worker "dies": nothing is reported. While the lease runs nobody else gets it.
    assert!(deliveries::claim_batch(&pool, 10, lease)
        .await
        .unwrap()
        .is_empty());
    // The API still shows it as pending.
    let listed = deliveries::list_for_operation(&pool, cs, first[0].delivery.operation_id)
        .await
        .unwrap();
    assert_eq!(listed[0].status, DeliveryStatus::Pending);

    tokio::time::sleep(Duration::from_millis(1300)).await;
    let again = deliveries::claim_batch(&pool, 10, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.id, ids[0]);
    assert_eq!(again[0].delivery.attempts, 2);
    assert_ne!(again[0].lease_token, first[0].lease_token);

    // The first worker, if it was only slow, cannot overwrite the new attempt.
    assert!(matches!(
        deliveries::mark_sent(&pool, ids[0], first[0].lease_token).await,
        Err(StoreError::LeaseLost)
    ));
    deliveries::mark_sent(&pool, ids[0], again[0].lease_token)
        .await
        .unwrap();
    let listed = deliveries::list_for_operation(&pool, cs, again[0].delivery.operation_id)
        .await
        .unwrap();
    assert_eq!(listed[0].status, DeliveryStatus::Sent);
    assert!(listed[0].sent_at.is_some());
    assert!(deliveries::claim_batch(&pool, 10, LEASE)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(deliveries::queue_depth(&pool).await.unwrap(), 0);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn failures_retry_with_backoff_then_fail_at_the_threshold(pool: PgPool) {
    let Queued {
        client_service: cs,
        operation,
        ids,
    } = queue(&pool, 1).await;
    let immediate = RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };
    for attempt in 1..=3 {
        let claimed = deliveries::claim_batch(&pool, 10, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        assert_eq!(claimed[0].delivery.attempts, attempt);
        let status = deliveries::mark_failed(
            &pool,
            ids[0],
            claimed[0].lease_token,
            "554 refused",
            &immediate,
        )
        .await
        .unwrap();
        let expected = if attempt < 3 {
            DeliveryStatus::SendingError
        } else {
            DeliveryStatus::SendingFailed
        };
        assert_eq!(status, expected, "attempt {attempt}");
    }
    assert!(deliveries::claim_batch(&pool, 10, LEASE)
        .await
        .unwrap()
        .is_empty());
    let listed = deliveries::list_for_operation(&pool, cs, operation)
        .await
        .unwrap();
    assert_eq!(listed[0].status, DeliveryStatus::SendingFailed);
    assert_eq!(listed[0].last_error.as_deref(), Some("554 refused"));
    assert_eq!(listed[0].attempts, 3);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_failed_delivery_waits_for_its_backoff(pool: PgPool) {
    let ids = queue(&pool, 1).await.ids;
    let policy = RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1000),
        max_backoff: Duration::from_secs(60),
    };
    let claimed = deliveries::claim_batch(&pool, 10, LEASE).await.unwrap();
    let status = deliveries::mark_failed(&pool, ids[0], claimed[0].lease_token, "timeout", &policy)
        .await
        .unwrap();
    assert_eq!(status, DeliveryStatus::SendingError);
    assert!(deliveries::claim_batch(&pool, 10, LEASE)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(deliveries::queue_depth(&pool).await.unwrap(), 1);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let again = deliveries::claim_batch(&pool, 10, LEASE).await.unwrap();
    assert_eq!(again.len(), 1);
    // A lost lease cannot record a failure either.
    assert!(matches!(
        deliveries::mark_failed(&pool, ids[0], claimed[0].lease_token, "late", &policy).await,
        Err(StoreError::LeaseLost)
    ));
}
