//! Documents of an operation: sign status, sign error, storage. Every function is scoped by
//! client service (a document of another tenant is not found).

use signstash_domain::{
    CipherStatus, ClientServiceId, DocumentId, ExternalReference, OperationId, SignError,
    SignStatus, SignatureType, StorageStatus,
};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::document_store::StoredDocument;
use crate::error::StoreError;

/// A document as read back (`documentList[]`).
#[derive(Clone, sqlx::FromRow)]
pub struct Document {
    /// `internalId`.
    pub id: DocumentId,
    /// Its operation.
    pub operation_id: OperationId,
    /// The tenant.
    pub client_service_id: ClientServiceId,
    /// Order within the request.
    pub position: i32,
    /// `externalReference`.
    pub external_reference: ExternalReference,
    /// `name`.
    pub name: String,
    /// `contentType`.
    pub content_type: String,
    /// `signatureInfo.signatureType`.
    pub signature_type: SignatureType,
    /// `signatureInfo` as received.
    pub sign_options: serde_json::Value,
    /// `signStatus`.
    pub sign_status: SignStatus,
    /// `signError`.
    pub sign_error: Option<SignError>,
    /// Detail for logs and operators (never sent to integrators as is).
    pub sign_error_message: Option<String>,
    /// `cipherStatus`.
    pub cipher_status: CipherStatus,
    /// `storageStatus`.
    pub storage_status: StorageStatus,
    /// Length of the received content.
    pub content_length: i64,
    /// Length of the signed content (`contentLength` once signed).
    pub signed_content_length: Option<i64>,
    /// Where the signed bytes are (with `wrapped_key`).
    pub storage_key: Option<String>,
    /// The sealed document key.
    pub wrapped_key: Option<Vec<u8>>,
    /// Hash signing: digest algorithm.
    pub digest_algorithm: Option<String>,
    /// Hash signing: digest.
    pub digest: Option<Vec<u8>>,
    /// Hash signing: the signature value returned.
    pub signature_value: Option<Vec<u8>>,
    /// `documentAttributes` (`[{key, value}]`).
    pub attributes: serde_json::Value,
    /// `storagePeriod` (months).
    pub storage_period_months: Option<i32>,
    /// `storageEndDate`.
    pub storage_end_date: Option<OffsetDateTime>,
    /// `receptionDate`.
    pub received_at: OffsetDateTime,
    /// When signed.
    pub signed_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("id", &self.id)
            .field("operation_id", &self.operation_id)
            .field("external_reference", &self.external_reference)
            .field("name", &self.name)
            .field("sign_status", &self.sign_status)
            .field("sign_error", &self.sign_error)
            .field("cipher_status", &self.cipher_status)
            .field("storage_status", &self.storage_status)
            .field("storage_key", &self.storage_key)
            .finish_non_exhaustive()
    }
}

impl Document {
    /// Where its signed bytes are, if stored.
    pub fn stored(&self) -> Option<StoredDocument> {
        Some(StoredDocument {
            storage_key: self.storage_key.clone()?,
            wrapped_key: self.wrapped_key.clone()?,
            content_length: u64::try_from(self.signed_content_length?).ok()?,
        })
    }
}

pub(crate) const COLUMNS: &str =
    "id, operation_id, client_service_id, position, external_reference, name,
    content_type, signature_type, sign_options, sign_status, sign_error, sign_error_message,
    cipher_status, storage_status, content_length, signed_content_length, storage_key,
    wrapped_key, digest_algorithm, digest, signature_value, attributes, storage_period_months,
    storage_end_date, received_at, signed_at";

/// The documents of an operation of that client service, in request order (empty when the
/// operation is another tenant's).
pub async fn list_for_operation(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    operation_id: OperationId,
) -> Result<Vec<Document>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents WHERE operation_id = $1 AND client_service_id = $2
         ORDER BY position"
    ))
    .bind(operation_id)
    .bind(client_service_id)
    .fetch_all(db)
    .await?)
}

/// One document of that client service.
pub async fn find(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
    id: DocumentId,
) -> Result<Option<Document>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents WHERE id = $1 AND client_service_id = $2"
    ))
    .bind(id)
    .bind(client_service_id)
    .fetch_optional(db)
    .await?)
}

/// What became of one document, recorded with its operation's end by
/// [`crate::operations::finish`].
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Signed: its `documentAttributes`, for hash signing the signature value, and where (and
    /// whether) the signed bytes were stored — `None` for hash signing, whose statuses say why.
    Signed {
        /// `documentAttributes`.
        attributes: serde_json::Value,
        /// Hash signing: the signature value returned.
        signature_value: Option<Vec<u8>>,
        /// Where the signed bytes are.
        stored: Option<StoredDocument>,
        /// `cipherStatus`.
        cipher_status: CipherStatus,
        /// `storageStatus`.
        storage_status: StorageStatus,
    },
    /// Not signed (or not stored). `message` is for operators and logs, not for the API.
    Failed {
        /// `signError`.
        error: SignError,
        /// Detail.
        message: Option<String>,
    },
}

impl Outcome {
    /// The `signStatus` this outcome gives its document.
    pub fn sign_status(&self) -> SignStatus {
        match self {
            Outcome::Signed { .. } => SignStatus::Signed,
            Outcome::Failed { .. } => SignStatus::ErrorSigning,
        }
    }
}

/// Documents whose storage period ended (custody sweeper), across tenants, oldest first.
pub async fn list_expired(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Document>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM documents
         WHERE storage_status IN ('CONTENT_STORED', 'CONTENT_PRESERVED') AND storage_end_date <= $1
         ORDER BY storage_end_date LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Those of `keys` that no document row names: objects of the document store that nothing
/// will ever read (a request whose outcome could not be recorded). Not per tenant: the
/// maintenance job that removes them works for every client service.
pub async fn unreferenced(
    db: impl PgExecutor<'_>,
    keys: &[String],
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT k FROM unnest($1::text[]) AS k
         WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.storage_key = k)",
    )
    .bind(keys)
    .fetch_all(db)
    .await?)
}
