//! Operations (sign requests) and their creation with their documents and deliveries in one
//! transaction. `(client service, externalReference)` is unique for operations and for
//! documents; the database enforces it, so two racing instances give one operation and one
//! [`StoreError::Duplicate`].

use signstash_domain::{
    ClientServiceId, DeliveryId, DocumentId, EmailAddress, ExternalReference, FolderContent,
    OperationId, OperationStatus, OperationType, SignatureType,
};
use sqlx::{Acquire as _, PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::error::{one_row, StoreError};

/// A document of a new operation.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Unique per client service.
    pub external_reference: ExternalReference,
    /// File name.
    pub name: String,
    /// MIME type as given.
    pub content_type: String,
    /// PAdES | XAdES | CAdES.
    pub signature_type: SignatureType,
    /// `signatureInfo` as received (PAdES/XAdES options), kept for the record and re-signing.
    pub sign_options: serde_json::Value,
    /// Length of the received content (or of the digest for hash signing).
    pub content_length: i64,
    /// Custody period in months (`storagePeriod`); the end date is computed from it.
    pub storage_period_months: Option<i32>,
    /// Hash signing: the digest algorithm (e.g. `SHA256`).
    pub digest_algorithm: Option<String>,
    /// Hash signing: the digest.
    pub digest: Option<Vec<u8>>,
}

/// A new operation.
#[derive(Debug, Clone)]
pub struct NewOperation {
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// Unique per client service.
    pub external_reference: ExternalReference,
    /// Shown to receivers.
    pub description: String,
    /// DOCUMENT, or HASH through the proxy.
    pub folder_content: FolderContent,
    /// `returnSignedContent`.
    pub return_signed_content: bool,
    /// `preservationInfo.preserveContent`.
    pub preserve_content: bool,
    /// `deliveryInfo.attachDocuments`.
    pub attach_documents: bool,
    /// The documents, in request order.
    pub documents: Vec<NewDocument>,
    /// `deliveryInfo.personReceiver[].email`: one outbox entry each, enqueued in the same
    /// transaction (they become due at once; the worker sends them once the documents are
    /// signed — see the delivery crate).
    pub receivers: Vec<EmailAddress>,
}

/// What [`create`] made.
#[derive(Debug, Clone)]
pub struct CreatedOperation {
    /// The operation id.
    pub id: OperationId,
    /// Creation time (`creationDate`).
    pub created_at: OffsetDateTime,
    /// Document ids, in request order.
    pub document_ids: Vec<DocumentId>,
    /// Delivery ids, in receiver order.
    pub delivery_ids: Vec<DeliveryId>,
}

/// An operation as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Operation {
    /// Id (`id`, `folder.folderId`).
    pub id: OperationId,
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// Always SIGN in v0.
    pub operation_type: OperationType,
    /// `folder.externalReference`.
    pub external_reference: ExternalReference,
    /// `folder.description`.
    pub description: String,
    /// `status`.
    pub status: OperationStatus,
    /// `folder.folderContent`.
    pub folder_content: FolderContent,
    /// `returnSignedContent`.
    pub return_signed_content: bool,
    /// `preserveContent`.
    pub preserve_content: bool,
    /// `attachDocuments`.
    pub attach_documents: bool,
    /// `creationDate`.
    pub created_at: OffsetDateTime,
    /// Signing started.
    pub started_at: Option<OffsetDateTime>,
    /// Signing finished.
    pub finished_at: Option<OffsetDateTime>,
    /// `executionTime` (ms).
    pub execution_time_ms: Option<i64>,
}

const COLUMNS: &str = "id, client_service_id, operation_type, external_reference, description,
    status, folder_content, return_signed_content, preserve_content, attach_documents,
    created_at, started_at, finished_at, execution_time_ms";

/// Inserts an operation, its documents and its deliveries atomically. Runs in its own
/// transaction, or in a savepoint when `conn` is already inside one. A reused external
/// reference (operation or document, also against a concurrent transaction, which this one
/// waits for) → [`StoreError::Duplicate`] and nothing is written.
pub async fn create(
    conn: &mut PgConnection,
    new: &NewOperation,
) -> Result<CreatedOperation, StoreError> {
    let mut tx = conn.begin().await?;
    let (id, created_at): (OperationId, OffsetDateTime) = sqlx::query_as(
        "INSERT INTO operations
             (client_service_id, external_reference, description, folder_content,
              return_signed_content, preserve_content, attach_documents)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, created_at",
    )
    .bind(new.client_service_id)
    .bind(&new.external_reference)
    .bind(&new.description)
    .bind(new.folder_content)
    .bind(new.return_signed_content)
    .bind(new.preserve_content)
    .bind(new.attach_documents)
    .fetch_one(&mut *tx)
    .await?;

    let mut document_ids = Vec::with_capacity(new.documents.len());
    for (position, document) in new.documents.iter().enumerate() {
        let position =
            i32::try_from(position).map_err(|_| StoreError::Config("too many documents".into()))?;
        let document_id: DocumentId = sqlx::query_scalar(
            "INSERT INTO documents
                 (operation_id, client_service_id, position, external_reference, name,
                  content_type, signature_type, sign_options, content_length,
                  storage_period_months, storage_end_date, digest_algorithm, digest, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                     CASE WHEN $10::int IS NULL THEN NULL ELSE $11 + make_interval(months => $10) END,
                     $12, $13, $11)
             RETURNING id",
        )
        .bind(id)
        .bind(new.client_service_id)
        .bind(position)
        .bind(&document.external_reference)
        .bind(&document.name)
        .bind(&document.content_type)
        .bind(document.signature_type)
        .bind(&document.sign_options)
        .bind(document.content_length)
        .bind(document.storage_period_months)
        .bind(created_at)
        .bind(&document.digest_algorithm)
        .bind(&document.digest)
        .fetch_one(&mut *tx)
        .await?;
        document_ids.push(document_id);
    }

    let delivery_ids = crate::deliveries::enqueue(
        &mut *tx,
        new.client_service_id,
        id,
        &new.receivers,
        new.attach_documents,
    )
    .await?;

    tx.commit().await?;
    Ok(CreatedOperation {
        id,
        created_at,
        document_ids,
        delivery_ids,
    })
}

/// The operation with that id **of that client service** (another tenant's → `None`).
pub async fn find(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    id: OperationId,
) -> Result<Option<Operation>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operations WHERE id = $1 AND client_service_id = $2"
    ))
    .bind(id)
    .bind(client_service_id)
    .fetch_optional(db)
    .await?)
}

/// The operation with that external reference of that client service (after a 409).
pub async fn find_by_external_reference(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    external_reference: &ExternalReference,
) -> Result<Option<Operation>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operations WHERE client_service_id = $1 AND external_reference = $2"
    ))
    .bind(client_service_id)
    .bind(external_reference)
    .fetch_optional(db)
    .await?)
}

/// The id of the operation holding the document with that external reference, within that
/// client service (recovery after a timeout).
pub async fn find_id_by_document_reference(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    document_reference: &ExternalReference,
) -> Result<Option<OperationId>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT operation_id FROM documents WHERE client_service_id = $1 AND external_reference = $2",
    )
    .bind(client_service_id)
    .bind(document_reference)
    .fetch_optional(db)
    .await?)
}

/// Marks signing as started.
pub async fn mark_started(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    id: OperationId,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE operations SET started_at = now() WHERE id = $1 AND client_service_id = $2",
        )
        .bind(id)
        .bind(client_service_id)
        .execute(db)
        .await?,
    )
}

/// Records the final status and the execution time.
pub async fn finish(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    id: OperationId,
    status: OperationStatus,
    execution_time_ms: i64,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE operations SET status = $3, execution_time_ms = $4, finished_at = now()
             WHERE id = $1 AND client_service_id = $2",
        )
        .bind(id)
        .bind(client_service_id)
        .bind(status)
        .bind(execution_time_ms)
        .execute(db)
        .await?,
    )
}

/// Operations left `PENDING_EXECUTION` for longer than `older_than_seconds` (their process
/// died mid-request): documents never signed become `ERROR_SIGNING` /
/// `SIGN_OPERATION_INTERNAL_ERROR`, the operation `EXECUTION_ERROR` when some document was
/// signed, else `EXECUTION_FAILED`. One statement; rows another sweeper holds are skipped.
/// Returns the ids closed.
pub async fn close_abandoned(
    db: impl PgExecutor<'_>,
    older_than_seconds: i64,
) -> Result<Vec<OperationId>, StoreError> {
    Ok(sqlx::query_scalar(
        "WITH stale AS (
             SELECT id FROM operations
             WHERE status = 'PENDING_EXECUTION'
               AND created_at < now() - $1::bigint * interval '1 second'
             ORDER BY id
             LIMIT 500
             FOR UPDATE SKIP LOCKED
         ), failed AS (
             UPDATE documents d
             SET sign_status = 'ERROR_SIGNING', sign_error = 'SIGN_OPERATION_INTERNAL_ERROR',
                 sign_error_message = 'the signing request was interrupted'
             FROM stale
             WHERE d.operation_id = stale.id AND d.sign_status = 'RECEIVED'
             RETURNING d.operation_id
         )
         UPDATE operations o
         SET status = CASE WHEN EXISTS (SELECT 1 FROM documents s
                                        WHERE s.operation_id = o.id AND s.sign_status = 'SIGNED')
                           THEN 'EXECUTION_ERROR' ELSE 'EXECUTION_FAILED' END,
             finished_at = now()
         FROM stale
         WHERE o.id = stale.id
         RETURNING o.id",
    )
    .bind(older_than_seconds)
    .fetch_all(db)
    .await?)
}

/// The most recent operations of a client service (backoffice lists), newest first.
pub async fn list_recent(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    limit: i64,
) -> Result<Vec<Operation>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operations WHERE client_service_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(client_service_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
