//! Digest algorithms and their identifiers in each signature syntax.

use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::asn1::ObjectIdentifier;
use std::sync::OnceLock;

use openssl::hash::MessageDigest;
use openssl::md::{Md, MdRef};
use openssl::md_ctx::MdCtx;

use crate::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DigestAlgorithm {
    #[default]
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => ID_SHA_256,
            Self::Sha384 => ID_SHA_384,
            Self::Sha512 => ID_SHA_512,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        [Self::Sha256, Self::Sha384, Self::Sha512]
            .into_iter()
            .find(|a| a.oid() == *oid)
    }

    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The XML-DSig `DigestMethod` URI.
    pub fn xmldsig_uri(self) -> &'static str {
        match self {
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    pub(crate) fn message_digest(self) -> MessageDigest {
        match self {
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    pub fn digest(self, data: &[u8]) -> Result<Vec<u8>> {
        self.digest_parts([data])
    }

    /// The algorithm as fetched once from OpenSSL's providers (the legacy handles make OpenSSL 3
    /// fetch it again, by name, on every use).
    pub(crate) fn md(self) -> &'static MdRef {
        static FETCHED: OnceLock<[Option<Md>; 3]> = OnceLock::new();
        let fetched = FETCHED.get_or_init(|| {
            ["SHA2-256", "SHA2-384", "SHA2-512"].map(|name| Md::fetch(None, name, None).ok())
        });
        let (i, legacy) = match self {
            Self::Sha256 => (0, Md::sha256()),
            Self::Sha384 => (1, Md::sha384()),
            Self::Sha512 => (2, Md::sha512()),
        };
        fetched[i].as_deref().unwrap_or(legacy)
    }

    /// Digest of the concatenation of `parts`, without concatenating them.
    pub fn digest_parts<'a>(self, parts: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>> {
        let mut ctx = MdCtx::new()?;
        ctx.digest_init(self.md())?;
        for p in parts {
            ctx.digest_update(p)?;
        }
        let mut out = vec![0; self.output_len()];
        ctx.digest_final(&mut out)?;
        Ok(out)
    }
}

impl std::str::FromStr for DigestAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Ok(Self::Sha256),
            "sha384" => Ok(Self::Sha384),
            "sha512" => Ok(Self::Sha512),
            _ => Err(format!(
                "unknown digest algorithm `{s}` (sha256, sha384, sha512)"
            )),
        }
    }
}
