//! Operations (sign requests): created with their documents and deliveries in one statement,
//! finished with every document's outcome in another. `(client service, externalReference)` is unique for operations and for
//! documents; the database enforces it, so two racing instances give one operation and one
//! [`StoreError::Duplicate`].

use signstash_domain::{
    ClientServiceId, DeliveryId, DocumentId, EmailAddress, ExternalReference, FolderContent,
    OperationId, OperationStatus, OperationType, SignatureType,
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
    create_many(db, std::slice::from_ref(new))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// One row of [`create_many`]: the operation's place in the batch, id, creation time, document
/// ids, delivery ids.
type CreatedRow = (
    i32,
    OperationId,
    OffsetDateTime,
    Vec<DocumentId>,
    Vec<DeliveryId>,
);

/// [`create`] for several operations (of any client services) in one statement: all are
/// written or none. Services batch concurrent requests through it; when it fails they retry
/// each operation alone, so a duplicate refuses only its own request.
pub async fn create_many(
    db: impl PgExecutor<'_>,
    news: &[NewOperation],
) -> Result<Vec<CreatedOperation>, StoreError> {
    let ops = news.len();
    let docs: usize = news.iter().map(|n| n.documents.len()).sum();
    let (mut cs, mut refs, mut descriptions, mut folders) = (
        Vec::with_capacity(ops),
        Vec::with_capacity(ops),
        Vec::with_capacity(ops),
        Vec::with_capacity(ops),
    );
    let (mut returns, mut preserves, mut attaches) = (
        Vec::with_capacity(ops),
        Vec::with_capacity(ops),
        Vec::with_capacity(ops),
    );
    let (mut d_op, mut d_position, mut d_refs, mut names, mut content_types, mut types) = (
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
    );
    let (mut options, mut lengths, mut months, mut algorithms, mut digests) = (
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
        Vec::with_capacity(docs),
    );
    let (mut r_op, mut receivers) = (Vec::new(), Vec::new());
    for (i, new) in news.iter().enumerate() {
        let op =
            i32::try_from(i + 1).map_err(|_| StoreError::Config("too many operations".into()))?;
        cs.push(new.client_service_id);
        refs.push(new.external_reference.as_str());
        descriptions.push(new.description.as_str());
        folders.push(new.folder_content.as_str());
        returns.push(new.return_signed_content);
        preserves.push(new.preserve_content);
        attaches.push(new.attach_documents);
        for (position, d) in new.documents.iter().enumerate() {
            d_op.push(op);
            d_position.push(
                i32::try_from(position)
                    .map_err(|_| StoreError::Config("too many documents".into()))?,
            );
            d_refs.push(d.external_reference.as_str());
            names.push(d.name.as_str());
            content_types.push(d.content_type.as_str());
            types.push(d.signature_type.as_str());
            options.push(&d.sign_options);
            lengths.push(d.content_length);
            months.push(d.storage_period_months);
            algorithms.push(d.digest_algorithm.as_deref());
            digests.push(d.digest.as_deref());
        }
        for r in &new.receivers {
            r_op.push(op);
            receivers.push(r.as_str());
        }
    }
    let rows: Vec<CreatedRow> = sqlx::query_as(
        "WITH o_in AS (
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[],
                                      $5::bool[], $6::bool[], $7::bool[])
                     WITH ORDINALITY AS o(cs, ref, description, folder, returns, preserves,
                                          attaches, n)
             ), op AS (
                 INSERT INTO operations
                     (client_service_id, external_reference, description, folder_content,
                      return_signed_content, preserve_content, attach_documents, started_at)
                 SELECT cs, ref, description, folder, returns, preserves, attaches, now()
                 FROM o_in ORDER BY n
                 RETURNING id, client_service_id, external_reference, created_at
             ), opn AS (
                 SELECT op.id, op.created_at, o_in.n::int AS n, o_in.cs
                 FROM op JOIN o_in ON o_in.cs = op.client_service_id
                                  AND o_in.ref = op.external_reference
             ), docs AS (
                 INSERT INTO documents
                     (operation_id, client_service_id, position, external_reference, name,
                      content_type, signature_type, sign_options, content_length,
                      storage_period_months, storage_end_date, digest_algorithm, digest,
                      received_at)
                 SELECT opn.id, opn.cs, d.position, d.ref, d.name, d.content_type,
                        d.signature_type, d.options, d.length, d.months,
                        CASE WHEN d.months IS NULL THEN NULL
                             ELSE opn.created_at + make_interval(months => d.months) END,
                        d.algorithm, d.digest, opn.created_at
                 FROM UNNEST($8::int[], $9::int[], $10::text[], $11::text[], $12::text[],
                             $13::text[], $14::jsonb[], $15::bigint[], $16::int[], $17::text[],
                             $18::bytea[])
                          AS d(op, position, ref, name, content_type, signature_type, options,
                               length, months, algorithm, digest)
                 JOIN opn ON opn.n = d.op
                 ORDER BY d.op, d.position
                 RETURNING id, operation_id, position
             ), dels AS (
                 INSERT INTO deliveries
                     (operation_id, client_service_id, receiver_email, attach_documents)
                 SELECT opn.id, opn.cs, r.email, o_in.attaches
                 FROM UNNEST($19::int[], $20::text[]) WITH ORDINALITY AS r(op, email, k)
                 JOIN opn ON opn.n = r.op
                 JOIN o_in ON o_in.n = r.op
                 ORDER BY r.k
                 RETURNING id, operation_id
             )
             SELECT opn.n, opn.id, opn.created_at,
                    ARRAY(SELECT id FROM docs WHERE docs.operation_id = opn.id ORDER BY position),
                    ARRAY(SELECT id FROM dels WHERE dels.operation_id = opn.id ORDER BY id)
             FROM opn ORDER BY opn.n",
    )
    .bind(&cs)
    .bind(&refs)
    .bind(&descriptions)
    .bind(&folders)
    .bind(&returns)
    .bind(&preserves)
    .bind(&attaches)
    .bind(&d_op)
    .bind(&d_position)
    .bind(&d_refs)
    .bind(&names)
    .bind(&content_types)
    .bind(&types)
    .bind(&options)
    .bind(&lengths)
    .bind(&months)
    .bind(&algorithms)
    .bind(&digests)
    .bind(&r_op)
    .bind(&receivers)
    .fetch_all(db)
    .await?;
    if rows.len() != ops {
        return Err(StoreError::NotFound);
    }
    Ok(rows
        .into_iter()
        .map(
            |(_, id, created_at, document_ids, delivery_ids)| CreatedOperation {
                id,
                created_at,
                document_ids,
                delivery_ids,
            },
        )
        .collect())
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

/// The end of one operation's signing, for [`finish`] / [`finish_many`].
#[derive(Debug, Clone)]
pub struct Finished {
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// The operation.
    pub id: OperationId,
    /// Its final status.
    pub status: OperationStatus,
    /// `executionTime` (ms).
    pub execution_time_ms: i64,
    /// Every document's outcome, in any order.
    pub outcomes: Vec<(DocumentId, Outcome)>,
}

/// Records the end of signing in one statement: every document's outcome and the operation's
/// final status and execution time. Returns the documents as now stored, in request order.
/// Every row is scoped by client service; an outcome naming a document not of its operation
/// and client service is not written and the call answers `NotFound` (the rows that did match
/// are written: run it in a transaction to make that all-or-nothing).
pub async fn finish(
    db: impl PgExecutor<'_>,
    finished: &Finished,
) -> Result<Vec<Document>, StoreError> {
    finish_many(db, std::slice::from_ref(finished))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// [`finish`] for several operations in one statement: all are recorded or none. Returns
/// each operation's documents, in the order of `all`.
pub async fn finish_many(
    db: impl PgExecutor<'_>,
    all: &[Finished],
) -> Result<Vec<Vec<Document>>, StoreError> {
    let n: usize = all.iter().map(|f| f.outcomes.len()).sum();
    let (mut o_cs, mut o_ids, mut o_statuses, mut o_ms) = (
        Vec::with_capacity(all.len()),
        Vec::with_capacity(all.len()),
        Vec::with_capacity(all.len()),
        Vec::with_capacity(all.len()),
    );
    let mut ops = Vec::with_capacity(n);
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
    for f in all {
        o_cs.push(f.client_service_id);
        o_ids.push(f.id);
        o_statuses.push(f.status.as_str());
        o_ms.push(f.execution_time_ms);
        for (document, outcome) in &f.outcomes {
            ops.push(f.id);
            ids.push(*document);
            sign_statuses.push(outcome.sign_status().as_str());
            match outcome {
                Outcome::Signed {
                    attributes: a,
                    signature_value,
                    stored,
                    cipher_status,
                    storage_status,
                } => {
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
    }
    let docs: Vec<Document> = sqlx::query_as(&format!(
        "WITH op AS (
             UPDATE operations o SET status = f.status, execution_time_ms = f.ms,
                                     finished_at = now()
             FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])
                      AS f(cs, id, status, ms)
             WHERE o.id = f.id AND o.client_service_id = f.cs
             RETURNING o.id AS op_id, o.client_service_id AS op_cs
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
         FROM UNNEST($5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[],
                     $10::jsonb[], $11::bytea[], $12::text[], $13::bytea[], $14::bigint[],
                     $15::text[], $16::text[])
                  AS r(new_op, new_id, new_sign_status, new_sign_error, new_message,
                       new_attributes, new_signature_value, new_storage_key, new_wrapped_key,
                       new_length, new_cipher_status, new_storage_status)
         JOIN op ON op.op_id = r.new_op
         WHERE id = r.new_id AND operation_id = op.op_id AND client_service_id = op.op_cs
         RETURNING {}",
        crate::documents::COLUMNS
    ))
    .bind(&o_cs)
    .bind(&o_ids)
    .bind(&o_statuses)
    .bind(&o_ms)
    .bind(&ops)
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
        return Err(StoreError::NotFound);
    }
    let mut by_operation: Vec<Vec<Document>> = all
        .iter()
        .map(|f| Vec::with_capacity(f.outcomes.len()))
        .collect();
    for d in docs {
        if let Some(i) = all.iter().position(|f| f.id == d.operation_id) {
            by_operation[i].push(d);
        }
    }
    for docs in &mut by_operation {
        docs.sort_by_key(|d| d.position);
    }
    Ok(by_operation)
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
