//! Operations (sign requests): created with their documents and deliveries in one statement,
//! finished with every document's outcome in another. `(client service, externalReference)` is unique for operations and for
//! documents; the database enforces it, so two racing instances give one operation and one
//! [`StoreError::Duplicate`].

use signstash_domain::{
    ClientServiceId, DeliveryId, DocumentId, EmailAddress, ExternalReference, FolderContent,
    OperationId, OperationStatus, OperationType, SignStatus, SignatureType,
};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::documents::{Document, Outcome};
use crate::error::StoreError;

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

/// Inserts an operation, its documents and its deliveries in one statement (one round trip,
/// atomic on its own), signing marked as started. A reused external reference (operation or
/// document, also against a concurrent transaction, which this one waits for) →
/// [`StoreError::Duplicate`] and nothing is written. Inside a caller's transaction a failure
/// aborts that transaction like any failed statement; open a savepoint (`tx.begin()`) to
/// survive it.
pub async fn create(
    db: impl PgExecutor<'_>,
    new: &NewOperation,
) -> Result<CreatedOperation, StoreError> {
    let n = new.documents.len();
    let (mut references, mut names, mut content_types, mut types) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut options, mut lengths, mut months, mut algorithms, mut digests) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for d in &new.documents {
        references.push(d.external_reference.as_str());
        names.push(d.name.as_str());
        content_types.push(d.content_type.as_str());
        types.push(d.signature_type.as_str());
        options.push(&d.sign_options);
        lengths.push(d.content_length);
        months.push(d.storage_period_months);
        algorithms.push(d.digest_algorithm.as_deref());
        digests.push(d.digest.as_deref());
    }
    let receivers: Vec<&str> = new.receivers.iter().map(EmailAddress::as_str).collect();
    let (id, created_at, document_ids, delivery_ids): (
        OperationId,
        OffsetDateTime,
        Vec<DocumentId>,
        Vec<DeliveryId>,
    ) = sqlx::query_as(
        "WITH op AS (
             INSERT INTO operations
                 (client_service_id, external_reference, description, folder_content,
                  return_signed_content, preserve_content, attach_documents, started_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, now())
             RETURNING id, created_at
         ), docs AS (
             INSERT INTO documents
                 (operation_id, client_service_id, position, external_reference, name,
                  content_type, signature_type, sign_options, content_length,
                  storage_period_months, storage_end_date, digest_algorithm, digest, received_at)
             SELECT op.id, $1, (d.n - 1)::int, d.reference, d.name, d.content_type, d.signature_type,
                    d.options, d.length, d.months,
                    CASE WHEN d.months IS NULL THEN NULL
                         ELSE op.created_at + make_interval(months => d.months) END,
                    d.algorithm, d.digest, op.created_at
             FROM op, UNNEST($8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[],
                             $13::bigint[], $14::int[], $15::text[], $16::bytea[])
                      WITH ORDINALITY AS d(reference, name, content_type, signature_type, options,
                                           length, months, algorithm, digest, n)
             ORDER BY d.n
             RETURNING id, position
         ), dels AS (
             INSERT INTO deliveries (operation_id, client_service_id, receiver_email, attach_documents)
             SELECT op.id, $1, r.email, $7
             FROM op, UNNEST($17::text[]) WITH ORDINALITY AS r(email, n)
             ORDER BY r.n
             RETURNING id
         )
         SELECT op.id, op.created_at,
                ARRAY(SELECT id FROM docs ORDER BY position),
                ARRAY(SELECT id FROM dels ORDER BY id)
         FROM op",
    )
    .bind(new.client_service_id)
    .bind(&new.external_reference)
    .bind(&new.description)
    .bind(new.folder_content)
    .bind(new.return_signed_content)
    .bind(new.preserve_content)
    .bind(new.attach_documents)
    .bind(&references)
    .bind(&names)
    .bind(&content_types)
    .bind(&types)
    .bind(&options)
    .bind(&lengths)
    .bind(&months)
    .bind(&algorithms)
    .bind(&digests)
    .bind(&receivers)
    .fetch_one(db)
    .await?;
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

/// Records the end of signing in one statement: every document's outcome (in any order) and
/// the operation's final status and execution time. Returns the documents as now stored, in
/// request order. A document not of this operation and client service → `NotFound` and
/// nothing is written.
pub async fn finish(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    id: OperationId,
    status: OperationStatus,
    execution_time_ms: i64,
    outcomes: &[(DocumentId, Outcome)],
) -> Result<Vec<Document>, StoreError> {
    let n = outcomes.len();
    let mut ids = Vec::with_capacity(n);
    let mut sign_statuses = Vec::with_capacity(n);
    let mut errors = Vec::with_capacity(n);
    let mut messages = Vec::with_capacity(n);
    let mut attributes = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut wrapped = Vec::with_capacity(n);
    let mut lengths = Vec::with_capacity(n);
    let mut ciphers = Vec::with_capacity(n);
    let mut storages = Vec::with_capacity(n);
    for (document, outcome) in outcomes {
        ids.push(*document);
        match outcome {
            Outcome::Signed {
                attributes: a,
                signature_value,
                stored,
                cipher_status,
                storage_status,
            } => {
                sign_statuses.push(SignStatus::Signed.as_str());
                errors.push(None);
                messages.push(None);
                attributes.push(Some(a));
                values.push(signature_value.as_deref());
                keys.push(stored.as_ref().map(|s| s.storage_key.as_str()));
                wrapped.push(stored.as_ref().map(|s| s.wrapped_key.as_slice()));
                lengths.push(
                    stored
                        .as_ref()
                        .and_then(|s| i64::try_from(s.content_length).ok()),
                );
                ciphers.push(Some(cipher_status.as_str()));
                storages.push(Some(storage_status.as_str()));
            }
            Outcome::Failed { error, message } => {
                sign_statuses.push(SignStatus::ErrorSigning.as_str());
                errors.push(Some(error.as_str()));
                messages.push(message.as_deref());
                attributes.push(None);
                values.push(None);
                keys.push(None);
                wrapped.push(None);
                lengths.push(None);
                ciphers.push(None);
                storages.push(None);
            }
        }
    }
    let mut docs: Vec<Document> = sqlx::query_as(&format!(
        "WITH op AS (
             UPDATE operations SET status = $3, execution_time_ms = $4, finished_at = now()
             WHERE id = $2 AND client_service_id = $1
             RETURNING id
         )
         UPDATE documents SET
             sign_status = r.new_sign_status,
             sign_error = r.new_sign_error,
             sign_error_message = r.new_message,
             attributes = COALESCE(r.new_attributes, attributes),
             signature_value = r.new_signature_value,
             signed_at = CASE WHEN r.new_sign_status = 'SIGNED' THEN now() ELSE signed_at END,
             storage_key = r.new_storage_key,
             wrapped_key = r.new_wrapped_key,
             signed_content_length = r.new_length,
             cipher_status = COALESCE(r.new_cipher_status, cipher_status),
             storage_status = COALESCE(r.new_storage_status, storage_status)
         FROM UNNEST($5::bigint[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::bytea[],
                     $11::text[], $12::bytea[], $13::bigint[], $14::text[], $15::text[])
                  AS r(new_id, new_sign_status, new_sign_error, new_message, new_attributes,
                       new_signature_value, new_storage_key, new_wrapped_key, new_length,
                       new_cipher_status, new_storage_status)
         WHERE id = r.new_id AND client_service_id = $1 AND operation_id = (SELECT id FROM op)
         RETURNING {}",
        crate::documents::COLUMNS
    ))
    .bind(client_service_id)
    .bind(id)
    .bind(status)
    .bind(execution_time_ms)
    .bind(&ids)
    .bind(&sign_statuses)
    .bind(&errors)
    .bind(&messages)
    .bind(&attributes)
    .bind(&values)
    .bind(&keys)
    .bind(&wrapped)
    .bind(&lengths)
    .bind(&ciphers)
    .bind(&storages)
    .fetch_all(db)
    .await?;
    if docs.len() != n {
        // The statement is one transaction only when the caller's is: refuse loudly, the
        // caller's transaction (if any) must not commit a partial record.
        return Err(StoreError::NotFound);
    }
    docs.sort_by_key(|d| d.position);
    Ok(docs)
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
