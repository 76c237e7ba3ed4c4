//! The store's one error type. Constraint violations are turned into domain errors where the
//! query runs ([`on_constraint`]), so callers match on `Duplicate`/`NotFound`, never on SQL
//! state codes.

use signstash_domain::ErrorCode;

/// What already exists when [`StoreError::Duplicate`] is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateKind {
    /// An operation with that `(client service, externalReference)`.
    OperationReference,
    /// A document with that `(client service, externalReference)`.
    DocumentReference,
    /// A client service with that alias.
    Alias,
    /// An operator with that e-mail.
    OperatorEmail,
    /// Anything else that is unique (name, VAT number, kid, token hash).
    Other,
}

/// Errors of the store crate.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is already taken (for external references: 409 `0.0.7` upstream).
    #[error("already exists: {0:?}")]
    Duplicate(DuplicateKind),
    /// Nothing with that id in this tenant (also: a row of another tenant).
    #[error("not found")]
    NotFound,
    /// An outbox lease was lost: the delivery was claimed again by another worker after the
    /// lease ended, so this worker must not record its result.
    #[error("delivery lease lost")]
    LeaseLost,
    /// Any other database failure (connection, SQL, unexpected constraint).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The document store (local folder, S3) failed.
    #[error("document store error: {0}")]
    Storage(#[from] object_store::Error),
    /// Encryption or decryption failed: a tampered object, a wrong master key.
    #[error("document encryption error: {0}")]
    Crypto(#[from] CryptoError),
    /// Invalid configuration (master key, backend), naming what is wrong.
    #[error("store configuration error: {0}")]
    Config(String),
}

/// Why encryption at rest failed. Never carries key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The wrapped document key does not open with this master key (wrong master key, or the
    /// wrapped key or storage key was altered).
    #[error("the document key could not be unwrapped (wrong master key or altered metadata)")]
    KeyUnwrap,
    /// The stored bytes do not authenticate (tampered, truncated or swapped object).
    #[error("the stored document failed authentication (tampered or swapped)")]
    Tampered,
    /// An unknown format version or a blob too short to be ours.
    #[error("unknown or malformed encrypted format")]
    Format,
    /// The cipher refused to encrypt (input too large).
    #[error("encryption failed")]
    Encrypt,
}

impl StoreError {
    /// The API error code this error maps to when it reaches a client, if it is not a plain 500.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            StoreError::Duplicate(_) => ErrorCode::AlreadyExists,
            _ => ErrorCode::Internal,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        on_constraint(err)
    }
}

/// Maps the constraints the domain cares about to domain errors; everything else stays a
/// database error. Constraint names are those of `migrations/` (see its README).
pub(crate) fn on_constraint(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            let kind = match db.constraint() {
                Some("operations_client_service_external_reference_key") => {
                    DuplicateKind::OperationReference
                }
                Some("documents_client_service_external_reference_key") => {
                    DuplicateKind::DocumentReference
                }
                Some("client_services_alias_key") => DuplicateKind::Alias,
                Some("operators_email_key") => DuplicateKind::OperatorEmail,
                _ => DuplicateKind::Other,
            };
            return StoreError::Duplicate(kind);
        }
        // A composite tenant key that does not match (an operation of another client service,
        // a certificate of another issuer) is, for the caller, something that does not exist.
        if db.is_foreign_key_violation() {
            if let Some(
                "documents_operation_fkey"
                | "deliveries_operation_fkey"
                | "portal_links_operation_fkey"
                | "client_services_certificate_fkey",
            ) = db.constraint()
            {
                return StoreError::NotFound;
            }
        }
    }
    StoreError::Database(err)
}

/// `Ok(())` when an UPDATE touched a row, `NotFound` otherwise.
pub(crate) fn one_row(result: sqlx::postgres::PgQueryResult) -> Result<(), StoreError> {
    if result.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
