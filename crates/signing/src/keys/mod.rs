//! Key sources behind one small trait: a key file (PEM / PKCS#8), PKCS#12, PKCS#11.
//!
//! A [`Signer`] signs the bytes prepared by the first phase. It never exposes key material:
//! `Debug` shows the certificate subject and the key kind only.

mod file;
mod pkcs11;

pub use file::KeyFileSigner;
pub use pkcs11::{Pkcs11Config, Pkcs11Signer};

use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, RSA_ENCRYPTION,
};
use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Encode, Sequence};

use crate::{CertificateChain, DigestAlgorithm, Error, Result};

/// The kind of key that signs, which fixes the signature algorithm identifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa {
        bits: u32,
    },
    /// ECDSA on NIST P-256 or P-384; `field_bytes` is 32 or 48.
    Ecdsa {
        field_bytes: usize,
    },
}

impl KeyKind {
    /// The digest that fits the key's strength when the caller does not choose one.
    pub fn default_digest(self) -> DigestAlgorithm {
        match self {
            KeyKind::Ecdsa { field_bytes: 48 } => DigestAlgorithm::Sha384,
            _ => DigestAlgorithm::Sha256,
        }
    }

    /// CMS `signatureAlgorithm` OID and whether it carries NULL parameters.
    pub(crate) fn cms_signature_oid(self, digest: DigestAlgorithm) -> (ObjectIdentifier, bool) {
        match self {
            KeyKind::Rsa { .. } => (RSA_ENCRYPTION, true),
            KeyKind::Ecdsa { .. } => (
                match digest {
                    DigestAlgorithm::Sha256 => ECDSA_WITH_SHA_256,
                    DigestAlgorithm::Sha384 => ECDSA_WITH_SHA_384,
                    DigestAlgorithm::Sha512 => ECDSA_WITH_SHA_512,
                },
                false,
            ),
        }
    }

    /// XML-DSig `SignatureMethod` URI.
    pub(crate) fn xmldsig_signature_uri(self, digest: DigestAlgorithm) -> &'static str {
        match (self, digest) {
            (KeyKind::Rsa { .. }, DigestAlgorithm::Sha256) => {
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
            }
            (KeyKind::Rsa { .. }, DigestAlgorithm::Sha384) => {
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
            }
            (KeyKind::Rsa { .. }, DigestAlgorithm::Sha512) => {
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
            }
            (KeyKind::Ecdsa { .. }, DigestAlgorithm::Sha256) => {
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
            }
            (KeyKind::Ecdsa { .. }, DigestAlgorithm::Sha384) => {
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
            }
            (KeyKind::Ecdsa { .. }, DigestAlgorithm::Sha512) => {
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
            }
        }
    }

    /// Brings a signature value made elsewhere to the CMS form: RSA as is; ECDSA as the DER
    /// `ECDSA-Sig-Value`, accepting the raw `r || s` form that PKCS#11 tokens and XML-DSig use.
    pub fn normalize_cms_signature(self, value: &[u8]) -> Result<Vec<u8>> {
        match self {
            KeyKind::Rsa { bits } => {
                if value.len() != (bits as usize).div_ceil(8) {
                    return Err(Error::BadSignatureValue(format!(
                        "an RSA-{bits} signature is {} bytes, got {}",
                        (bits as usize).div_ceil(8),
                        value.len()
                    )));
                }
                Ok(value.to_vec())
            }
            KeyKind::Ecdsa { field_bytes } => {
                if EcdsaSig::from_der(value).is_ok() {
                    return Ok(value.to_vec());
                }
                if value.len() != 2 * field_bytes {
                    return Err(Error::BadSignatureValue(
                        "not an ECDSA signature (neither DER nor r||s)".into(),
                    ));
                }
                let (r, s) = value.split_at(field_bytes);
                let sig = EcdsaSig {
                    r: UintRef::new(r)?,
                    s: UintRef::new(s)?,
                };
                Ok(sig.to_der()?)
            }
        }
    }

    /// The XML-DSig form of a signature value: RSA as is, ECDSA as `r || s` of fixed width.
    pub(crate) fn xmldsig_signature(self, cms_value: &[u8]) -> Result<Vec<u8>> {
        match self {
            KeyKind::Rsa { .. } => Ok(cms_value.to_vec()),
            KeyKind::Ecdsa { field_bytes } => {
                let sig = EcdsaSig::from_der(cms_value).map_err(|e| {
                    Error::BadSignatureValue(format!("ECDSA value is not DER: {e}"))
                })?;
                let mut out = vec![0u8; 2 * field_bytes];
                for (i, int) in [sig.r, sig.s].iter().enumerate() {
                    let b = int.as_bytes();
                    if b.len() > field_bytes {
                        return Err(Error::BadSignatureValue(
                            "ECDSA integer longer than the field".into(),
                        ));
                    }
                    let end = (i + 1) * field_bytes;
                    out[end - b.len()..end].copy_from_slice(b);
                }
                Ok(out)
            }
        }
    }
}

#[derive(Sequence)]
struct EcdsaSig<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// Where the private key lives. Implementations sign the data prepared by the first phase.
pub trait Signer: Send + Sync + std::fmt::Debug {
    fn certificate_chain(&self) -> &CertificateChain;
    fn key_kind(&self) -> KeyKind;
    /// Signs `data` whose `digest` under `alg` has been computed already; an implementation uses
    /// whichever of the two its key source needs (a token signs the digest, a file key the data).
    /// Returns the CMS form of the value (for ECDSA the DER `ECDSA-Sig-Value`).
    fn sign(&self, alg: DigestAlgorithm, data: &[u8], digest: &[u8]) -> Result<Vec<u8>>;
    /// Whether [`Signer::sign`] is only computation on a key held in memory (no I/O, no waiting:
    /// about 0.2 ms for RSA-2048 on one core), so a caller may run it where blocking is not
    /// allowed for long. A token or a remote service answers `false`, the default.
    fn signs_in_memory(&self) -> bool {
        false
    }
}

/// The key kind of a public key, from an openssl key (used for files and to check tokens).
pub(crate) fn key_kind_of<T: openssl::pkey::HasPublic>(
    key: &openssl::pkey::PKeyRef<T>,
) -> Result<KeyKind> {
    use openssl::pkey::Id;
    match key.id() {
        Id::RSA => Ok(KeyKind::Rsa { bits: key.bits() }),
        Id::EC => {
            let ec = key.ec_key()?;
            match ec.group().curve_name() {
                Some(openssl::nid::Nid::X9_62_PRIME256V1) => Ok(KeyKind::Ecdsa { field_bytes: 32 }),
                Some(openssl::nid::Nid::SECP384R1) => Ok(KeyKind::Ecdsa { field_bytes: 48 }),
                other => Err(Error::Key(format!(
                    "unsupported EC curve {other:?} (P-256 and P-384 are)"
                ))),
            }
        }
        other => Err(Error::Key(format!(
            "unsupported key type {other:?} (RSA and ECDSA are)"
        ))),
    }
}
