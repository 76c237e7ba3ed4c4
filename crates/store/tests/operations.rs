//! Operations and documents: idempotency, tenant isolation, updates.
#![cfg(signstash_db_tests)]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{operation, reference, tenant};
use signstash_domain::{
    CipherStatus, DeliveryStatus, OperationStatus, SignError, SignStatus, StorageStatus,
};
use signstash_store::{
    deliveries, documents, operations, DuplicateKind, StoreError, StoredDocument,
};
use sqlx::{Acquire as _, PgPool};

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn migrations_apply_and_create_the_whole_model(pool: PgPool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for table in [
        "audit_log",
        "auditor_issuers",
        "certificate_authorities",
        "certificates",
        "client_services",
        "deliveries",
        "documents",
        "issuer_companies",
        "oauth_signing_keys",
        "operations",
        "operators",
        "partner_companies",
        "portal_links",
        "templates",
        "usage_counters",
        "usage_limits",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "missing table {table}: {tables:?}"
        );
    }
    let queue_index: Option<String> = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'deliveries_queue_idx'",
    )
    .fetch_optional(&pool)
    .await
    .unwrap();
    assert!(queue_index.unwrap().contains("(status, next_attempt_at)"));
    // Applying again is a no-op.
    signstash_store::MIGRATOR.run(&pool).await.unwrap();
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn create_then_read_back(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let mut conn = pool.acquire().await.unwrap();
    let created = operations::create(
        &mut *conn,
        &operation(
            a.client_service,
            "ERP-1",
            &["INV-1", "INV-2"],
            &["client@example.com"],
        ),
    )
    .await
    .unwrap();
    assert_eq!(created.document_ids.len(), 2);
    assert_eq!(created.delivery_ids.len(), 1);

    let op = operations::find(&pool, a.client_service, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(op.external_reference.as_str(), "ERP-1");
    assert_eq!(op.status, OperationStatus::PendingExecution);
    assert!(op.return_signed_content);

    let docs = documents::list_for_operation(&pool, a.client_service, created.id)
        .await
        .unwrap();
    assert_eq!(
        docs.iter().map(|d| d.id).collect::<Vec<_>>(),
        created.document_ids
    );
    assert_eq!(docs[0].external_reference.as_str(), "INV-1");
    assert_eq!(docs[0].sign_status, SignStatus::Received);
    assert_eq!(docs[0].cipher_status, CipherStatus::Pending);
    assert_eq!(docs[0].sign_options["signatureType"], "XAdES");
    let end = docs[0].storage_end_date.unwrap();
    let years = (end - docs[0].received_at).whole_days() / 365;
    assert_eq!(years, 10, "default custody of 120 months");

    let dels = deliveries::list_for_operation(&pool, a.client_service, created.id)
        .await
        .unwrap();
    assert_eq!(dels[0].status, DeliveryStatus::Pending);
    assert_eq!(dels[0].receiver_email.as_str(), "client@example.com");

    assert_eq!(
        operations::find_id_by_document_reference(&pool, a.client_service, &reference("INV-2"))
            .await
            .unwrap(),
        Some(created.id)
    );
    assert_eq!(
        operations::find_id_by_document_reference(&pool, a.client_service, &reference("INV-3"))
            .await
            .unwrap(),
        None
    );
    let by_ref =
        operations::find_by_external_reference(&pool, a.client_service, &reference("ERP-1"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(by_ref.id, created.id);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_reused_operation_reference_is_a_duplicate_and_writes_nothing(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let mut conn = pool.acquire().await.unwrap();
    operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-1", &["INV-1"], &[]),
    )
    .await
    .unwrap();
    let err = operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-1", &["INV-9"], &[]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Duplicate(DuplicateKind::OperationReference)
        ),
        "{err:?}"
    );
    assert_eq!(err.error_code().code(), "0.0.7");
    // INV-9 was not left behind.
    assert_eq!(
        operations::find_id_by_document_reference(&pool, a.client_service, &reference("INV-9"))
            .await
            .unwrap(),
        None
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_reused_document_reference_is_a_duplicate_and_rolls_back_the_operation(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let mut conn = pool.acquire().await.unwrap();
    operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-1", &["INV-1"], &[]),
    )
    .await
    .unwrap();
    let err = operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-2", &["INV-1"], &[]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, StoreError::Duplicate(DuplicateKind::DocumentReference)),
        "{err:?}"
    );
    assert!(
        operations::find_by_external_reference(&pool, a.client_service, &reference("ERP-2"))
            .await
            .unwrap()
            .is_none(),
        "the operation of the refused request must not exist"
    );
    // Twice the same reference inside one request is refused the same way.
    let err = operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-3", &["INV-7", "INV-7"], &[]),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Duplicate(DuplicateKind::DocumentReference)
    ));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_same_references_are_free_for_another_client_service(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let b = tenant(&pool, "demo2").await;
    let mut conn = pool.acquire().await.unwrap();
    operations::create(
        &mut *conn,
        &operation(a.client_service, "ERP-1", &["INV-1"], &[]),
    )
    .await
    .unwrap();
    operations::create(
        &mut *conn,
        &operation(b.client_service, "ERP-1", &["INV-1"], &[]),
    )
    .await
    .unwrap();
}

/// A holds its insert uncommitted while B inserts a clashing reference: B waits on A's row and
/// gets Duplicate once A commits (the database decides, not a read-then-write check).
async fn race(
    pool: &PgPool,
    cs: signstash_domain::ClientServiceId,
    (op_a, doc_a): (&'static str, &'static str),
    (op_b, doc_b): (&'static str, &'static str),
) -> (signstash_domain::OperationId, StoreError) {
    let (inserted_tx, inserted_rx) = tokio::sync::oneshot::channel();
    let pool_a = pool.clone();
    let task_a = tokio::spawn(async move {
        let mut tx = pool_a.begin().await.unwrap();
        let created = operations::create(&mut *tx, &operation(cs, op_a, &[doc_a], &[]))
            .await
            .unwrap();
        inserted_tx.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
        created.id
    });
    let pool_b = pool.clone();
    let task_b = tokio::spawn(async move {
        inserted_rx.await.unwrap();
        let mut conn = pool_b.acquire().await.unwrap();
        operations::create(&mut *conn, &operation(cs, op_b, &[doc_b], &[])).await
    });
    let id_a = task_a.await.unwrap();
    let err = task_b.await.unwrap().unwrap_err();
    (id_a, err)
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn racing_transactions_give_one_operation_and_one_duplicate(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let cs = a.client_service;

    let (first, err) = race(&pool, cs, ("ERP-1", "INV-1"), ("ERP-1", "INV-2")).await;
    assert!(
        matches!(
            err,
            StoreError::Duplicate(DuplicateKind::OperationReference)
        ),
        "{err:?}"
    );
    assert!(operations::find(&pool, cs, first).await.unwrap().is_some());

    let (second, err) = race(&pool, cs, ("ERP-2", "INV-3"), ("ERP-3", "INV-3")).await;
    assert!(
        matches!(err, StoreError::Duplicate(DuplicateKind::DocumentReference)),
        "{err:?}"
    );
    assert!(operations::find(&pool, cs, second).await.unwrap().is_some());

    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM operations WHERE client_service_id = $1")
            .bind(cs)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(count, 2, "only the winners' operations exist");
}

/// Twenty tasks send the same request at once: exactly one operation.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn twenty_identical_requests_give_exactly_one_operation(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    // One connection per request, as twenty instances would have (the test pool has fewer).
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(20)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (pool, barrier) = (pool.clone(), barrier.clone());
        let cs = a.client_service;
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            barrier.wait().await;
            operations::create(
                &mut *conn,
                &operation(cs, "ERP-1", &["INV-1", "INV-2"], &[]),
            )
            .await
        }));
    }
    let (mut ok, mut duplicate) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Duplicate(_)) => duplicate += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((ok, duplicate), (1, 19));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn another_client_service_finds_nothing_of_a(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let b = tenant(&pool, "demo2").await;
    let mut conn = pool.acquire().await.unwrap();
    let created = operations::create(
        &mut *conn,
        &operation(
            a.client_service,
            "ERP-1",
            &["INV-1"],
            &["client@example.com"],
        ),
    )
    .await
    .unwrap();
    let doc = created.document_ids[0];

    assert!(operations::find(&pool, b.client_service, created.id)
        .await
        .unwrap()
        .is_none());
    assert!(
        operations::find_by_external_reference(&pool, b.client_service, &reference("ERP-1"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        operations::find_id_by_document_reference(&pool, b.client_service, &reference("INV-1"))
            .await
            .unwrap(),
        None
    );
    assert!(
        documents::list_for_operation(&pool, b.client_service, created.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(documents::find(&pool, b.client_service, doc)
        .await
        .unwrap()
        .is_none());
    assert!(
        deliveries::list_for_operation(&pool, b.client_service, created.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Writes are scoped too: B cannot finish A's operation nor record A's document.
    let failed = documents::Outcome::Failed {
        error: SignError::SignOperationInternalError,
        message: None,
    };
    assert!(matches!(
        operations::finish(
            &pool,
            &operations::Finished {
                client_service_id: b.client_service,
                id: created.id,
                status: OperationStatus::Executed,
                execution_time_ms: 1,
                outcomes: Vec::from([(doc, failed.clone())]),
            },
        )
        .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        operations::finish(
            &pool,
            &operations::Finished {
                client_service_id: b.client_service,
                id: created.id,
                status: OperationStatus::Executed,
                execution_time_ms: 1,
                outcomes: Vec::new(),
            },
        )
        .await,
        Ok(docs) if docs.is_empty()
    ));
    assert_eq!(
        operations::find(&pool, a.client_service, created.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OperationStatus::PendingExecution
    );
    // B cannot queue an e-mail on A's operation (resend).
    assert!(matches!(
        deliveries::enqueue(
            &pool,
            b.client_service,
            created.id,
            &[common::email("x@example.com")],
            false
        )
        .await,
        Err(StoreError::NotFound)
    ));
    // Nor hang a document under A's operation, even bypassing the repository.
    let err = sqlx::query(
        "INSERT INTO documents (operation_id, client_service_id, position, external_reference,
                                name, content_type, signature_type, content_length)
         VALUES ($1, $2, 9, 'X', 'x', 'text/xml', 'XAdES', 1)",
    )
    .bind(created.id)
    .bind(b.client_service)
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(err.as_database_error().unwrap().is_foreign_key_violation());
    // A still sees everything.
    assert_eq!(
        documents::find(&pool, a.client_service, doc)
            .await
            .unwrap()
            .unwrap()
            .id,
        doc
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn sign_results_and_storage_are_recorded(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let cs = a.client_service;
    let mut conn = pool.acquire().await.unwrap();
    let created = operations::create(
        &mut *conn,
        &operation(cs, "ERP-1", &["INV-1", "INV-2"], &[]),
    )
    .await
    .unwrap();
    let (d1, d2) = (created.document_ids[0], created.document_ids[1]);

    let attributes =
        serde_json::json!([{"key": "SIGNATURE_ATTRIBUTE_CANONICAL", "value": "EXCLUSIVE"}]);
    let stored = StoredDocument {
        storage_key: "documents/2026/11/abc".into(),
        wrapped_key: vec![1; 61],
        content_length: 6000,
    };
    // Outcomes in any order; the answer comes back in request order.
    let docs = operations::finish(
        &pool,
        &operations::Finished {
            client_service_id: cs,
            id: created.id,
            status: OperationStatus::ExecutionError,
            execution_time_ms: 37,
            outcomes: Vec::from([
                (
                    d2,
                    documents::Outcome::Failed {
                        error: SignError::TimestampSignError,
                        message: Some("tsa timed out".into()),
                    },
                ),
                (
                    d1,
                    documents::Outcome::Signed {
                        attributes: attributes.clone(),
                        signature_value: None,
                        stored: Some(stored.clone()),
                        cipher_status: CipherStatus::Ciphered,
                        storage_status: StorageStatus::ContentStored,
                    },
                ),
            ])
            .to_vec(),
        },
    )
    .await
    .unwrap();
    let listed = documents::list_for_operation(&pool, cs, created.id)
        .await
        .unwrap();
    let summary = |d: &documents::Document| (d.id, d.sign_status, d.sign_error, d.stored());
    assert_eq!(
        docs.iter().map(summary).collect::<Vec<_>>(),
        listed.iter().map(summary).collect::<Vec<_>>()
    );
    assert_eq!(docs[0].id, d1);
    assert_eq!(docs[0].sign_status, SignStatus::Signed);
    assert_eq!(docs[0].attributes, attributes);
    assert_eq!(docs[0].stored(), Some(stored));
    assert_eq!(docs[0].cipher_status, CipherStatus::Ciphered);
    assert_eq!(docs[0].storage_status, StorageStatus::ContentStored);
    assert!(docs[0].signed_at.is_some());
    assert_eq!(docs[1].sign_status, SignStatus::ErrorSigning);
    assert_eq!(docs[1].sign_error, Some(SignError::TimestampSignError));
    assert_eq!(docs[1].sign_error_message.as_deref(), Some("tsa timed out"));
    assert_eq!(docs[1].stored(), None);
    assert_eq!(docs[1].signed_at, None);

    let op = operations::find(&pool, cs, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(op.status, OperationStatus::ExecutionError);
    assert_eq!(op.execution_time_ms, Some(37));
    assert!(op.finished_at.is_some() && op.started_at.is_some());
}

/// Repositories compose in the caller's transaction: rolled back, nothing remains.
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn repositories_compose_in_one_transaction(pool: PgPool) {
    let a = tenant(&pool, "demo").await;
    let cs = a.client_service;
    let mut tx = pool.begin().await.unwrap();
    let created = operations::create(&mut *tx, &operation(cs, "ERP-1", &["INV-1"], &[]))
        .await
        .unwrap();
    operations::finish(
        &mut *tx,
        &operations::Finished {
            client_service_id: cs,
            id: created.id,
            status: OperationStatus::ExecutionFailed,
            execution_time_ms: 1,
            outcomes: Vec::from([(
                created.document_ids[0],
                documents::Outcome::Failed {
                    error: SignError::ConfigurationSignError,
                    message: None,
                },
            )])
            .to_vec(),
        },
    )
    .await
    .unwrap();
    // A duplicate inside the caller's transaction, in a savepoint, rolls back only that.
    let mut savepoint = tx.begin().await.unwrap();
    let err = operations::create(&mut *savepoint, &operation(cs, "ERP-1", &["INV-2"], &[]))
        .await
        .unwrap_err();
    savepoint.rollback().await.unwrap();
    assert!(matches!(err, StoreError::Duplicate(_)));
    assert!(operations::find(&mut *tx, cs, created.id)
        .await
        .unwrap()
        .is_some());
    tx.rollback().await.unwrap();
    assert!(operations::find(&pool, cs, created.id)
        .await
        .unwrap()
        .is_none());
}

/// Services batch concurrent requests: several operations of several tenants in one statement,
/// each with its own documents and receivers, finished in one statement too; a batch holding a
/// duplicate writes nothing (the service then retries each alone).
#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn batches_create_and_finish_many_operations_at_once(pool: PgPool) {
    let a = tenant(&pool, "demo").await.client_service;
    let b = tenant(&pool, "demo2").await.client_service;
    let batch = [
        operation(a, "ERP-1", &["INV-1", "INV-2"], &["x@example.com"]),
        operation(b, "ERP-1", &["INV-1"], &[]),
        operation(a, "ERP-2", &["INV-3"], &["y@example.com", "z@example.com"]),
    ];
    let created = operations::create_many(&pool, &batch).await.unwrap();
    assert_eq!(created.len(), 3);
    for (new, c) in batch.iter().zip(&created) {
        let op = operations::find(&pool, new.client_service_id, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(op.external_reference, new.external_reference);
        assert!(op.started_at.is_some());
        let docs = documents::list_for_operation(&pool, new.client_service_id, c.id)
            .await
            .unwrap();
        assert_eq!(
            docs.iter().map(|d| d.id).collect::<Vec<_>>(),
            c.document_ids
        );
        let names: Vec<_> = docs
            .iter()
            .map(|d| d.external_reference.to_string())
            .collect();
        let wanted: Vec<_> = new
            .documents
            .iter()
            .map(|d| d.external_reference.to_string())
            .collect();
        assert_eq!(names, wanted);
        let receivers = deliveries::list_for_operation(&pool, new.client_service_id, c.id)
            .await
            .unwrap();
        assert_eq!(
            receivers.iter().map(|r| r.id).collect::<Vec<_>>(),
            c.delivery_ids
        );
        assert_eq!(receivers.len(), new.receivers.len());
    }

    // A duplicate anywhere in the batch: nothing of it is written.
    let err = operations::create_many(
        &pool,
        &[
            operation(b, "ERP-9", &["INV-9"], &[]),
            operation(a, "ERP-1", &["INV-8"], &[]),
        ],
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
    assert!(
        operations::find_by_external_reference(&pool, b, &reference("ERP-9"))
            .await
            .unwrap()
            .is_none()
    );

    let signed = |id| {
        (
            id,
            documents::Outcome::Signed {
                attributes: serde_json::json!({}),
                signature_value: None,
                stored: None,
                cipher_status: CipherStatus::NoCipher,
                storage_status: StorageStatus::ContentNotStored,
            },
        )
    };
    let finished: Vec<_> = batch
        .iter()
        .zip(&created)
        .map(|(new, c)| operations::Finished {
            client_service_id: new.client_service_id,
            id: c.id,
            status: OperationStatus::Executed,
            execution_time_ms: 5,
            outcomes: c.document_ids.iter().rev().map(|&d| signed(d)).collect(),
        })
        .collect();
    let docs = operations::finish_many(&pool, &finished).await.unwrap();
    for (c, docs) in created.iter().zip(&docs) {
        assert_eq!(
            docs.iter().map(|d| d.id).collect::<Vec<_>>(),
            c.document_ids
        );
        assert!(docs.iter().all(|d| d.sign_status == SignStatus::Signed));
    }
    for (new, c) in batch.iter().zip(&created) {
        let op = operations::find(&pool, new.client_service_id, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(op.status, OperationStatus::Executed);
    }
}
