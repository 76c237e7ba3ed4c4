use thiserror::Error;

/// Everything that can go wrong while preparing, signing or finishing a signature.
///
/// Variants name the problem in the caller's terms (the document, the key, the timestamp
/// authority), so a service can map them to its own error codes without parsing messages.
#[derive(Debug, Error)]
pub enum Error {
    #[error("the document is empty")]
    EmptyDocument,
    #[error("the document is {size} bytes, over the limit of {limit} bytes")]
    DocumentTooLarge { size: usize, limit: usize },
    #[error("invalid PDF: {0}")]
    Pdf(#[from] signstash_pdf::Error),
    #[error("invalid XML: {0}")]
    Xml(#[from] signstash_xml::Error),
    /// A visible PAdES signature whose elements are missing or do not fit: no area, page out of
    /// range, area outside the page, field not found / not a signature field / already signed,
    /// placeholder not found, image larger than the area or unreadable.
    #[error("visible signature: {0}")]
    VisibleSignature(String),
    #[error("signature location element `{0}` not found in the XML document")]
    SignatureLocationNotFound(String),
    #[error("key: {0}")]
    Key(String),
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    #[error("signature value does not match the prepared signature: {0}")]
    BadSignatureValue(String),
    #[error("timestamp authority: {0}")]
    Timestamp(String),
    #[error("level B-T needs a timestamp authority")]
    TimestampAuthorityMissing,
    #[error("ASN.1 encoding: {0}")]
    Asn1(#[from] der::Error),
    #[error("cryptography: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
