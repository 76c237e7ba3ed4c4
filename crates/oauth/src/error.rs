//! The crate's one error enum.

/// What can go wrong in this crate outside of token verification (whose outcome is the
/// [`TokenRejection`](crate::TokenRejection) reason enum, not an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// OpenSSL failed to generate, parse or serialise a key.
    #[error("cryptographic library error: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
    /// The key is of a type or size this crate does not sign with.
    #[error("unsupported signing key: {0}")]
    UnsupportedKey(&'static str),
    /// Two keys of one key ring share a `kid`.
    #[error("duplicate key id {0:?} in the key ring")]
    DuplicateKid(String),
    /// The JWT library refused to sign.
    #[error("JWT signing failed: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
    /// argon2 could not hash a secret (parameters or salt generation).
    #[error("secret hashing failed: {0}")]
    Hash(String),
}
