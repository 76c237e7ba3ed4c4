//! The Sign'Stash domain vocabulary, shared by every crate and service.
//!
//! - [`address`]: where a request comes from, and the [`AddressScope`] rate limits count by.
//! - [`ids`]: typed ids (`OperationId`, `DocumentId`, `ClientServiceId`, …). They are numbers on
//!   the wire (`"id": 4211`), so each wraps an `i64` (a PostgreSQL `BIGSERIAL`).
//! - [`status`]: the statuses and enums of the integration API v0 with their exact wire
//!   spellings, plus the internal ones (company, operator and certificate states, key sources,
//!   template kinds).
//! - [`role`]: operator roles and their order (system administrator > partner > issuer > auditor).
//! - [`error_code`]: the API error table (`0.0.1` … `2.4.1`) with HTTP status and description.
//! - [`newtypes`]: validated values built with `TryFrom` at the edge ("parse, don't validate"):
//!   [`Alias`], [`ExternalReference`], [`EmailAddress`], [`VatNumber`], [`Language`].
//! - [`file_name`]: safe, unique file names (zip entries, downloads) from what clients send.
//!
//! This crate does no I/O. With the `sqlx` feature (enabled by `signstash-store`), ids and enums
//! also implement `sqlx::Type`/`Encode`/`Decode` for PostgreSQL: ids as `BIGINT`, enums as `TEXT`
//! holding the wire spelling, so the database and the API use one set of words.

#![forbid(unsafe_code)]

pub mod address;
pub mod error_code;
pub mod file_name;
pub mod ids;
pub mod newtypes;
pub mod role;
pub mod status;

mod macros;

pub use address::{request_address, AddressScope};
pub use error_code::ErrorCode;
pub use ids::*;
pub use newtypes::{Alias, EmailAddress, ExternalReference, Language, VatNumber};
pub use role::Role;
pub use status::*;

/// Why a value from outside (a request, a form, a configuration) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The value is empty (or only white space where that means "missing").
    #[error("{field} must not be empty")]
    Empty {
        /// The kind of value, e.g. `externalReference`.
        field: &'static str,
    },
    /// Longer than allowed, in characters.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The kind of value.
        field: &'static str,
        /// The maximum length in characters.
        max: usize,
    },
    /// Holds a character that is not allowed there.
    #[error("{field} contains a forbidden character")]
    ForbiddenCharacter {
        /// The kind of value.
        field: &'static str,
    },
    /// Not of the expected form.
    #[error("{field} is not valid: {reason}")]
    Invalid {
        /// The kind of value.
        field: &'static str,
        /// What is wrong, safe to show to the caller.
        reason: &'static str,
    },
    /// Not one of the values of an enumeration.
    #[error("{value:?} is not a valid {kind}")]
    UnknownValue {
        /// The enumeration, e.g. `SignatureType`.
        kind: &'static str,
        /// The value received (truncated to 64 characters).
        value: String,
    },
}

impl ValidationError {
    pub(crate) fn unknown(kind: &'static str, value: &str) -> Self {
        ValidationError::UnknownValue {
            kind,
            value: value.chars().take(64).collect(),
        }
    }
}
