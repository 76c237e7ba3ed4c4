//! The Sign'Stash signing engine: PAdES (PDF), XAdES (XML, e.g. UBL invoices) and CAdES (any
//! content) at levels B-B and B-T.
//!
//! Every signature is made in two phases so the same code serves a service that holds the key
//! and a proxy that holds only the document:
//!
//! 1. [`prepare`] fixes everything but the signature value and returns the bytes to be signed
//!    and their digest ([`Prepared::data_to_sign`], [`Prepared::digest`]);
//! 2. the digest is signed wherever the key lives ([`Signer`]: a key file, PKCS#12, PKCS#11, a
//!    remote authority, or another process);
//! 3. [`Prepared::finish`] embeds the value (checked against the certificate) and, for B-T, a
//!    timestamp token over it.
//!
//! [`sign`] does the three in one call. Nothing re-serialises the original document: a PDF gets
//! an incremental update, an XML document keeps every byte outside the inserted signature.
//!
//! Security limits: XML with a DTD or entity declarations is refused (no entity expansion and no
//! network access ever); encrypted PDFs are refused; inputs over [`SignatureParams::max_document_size`]
//! are refused before parsing. Key material never appears in `Debug` output or in errors.
//! Timestamp replies are checked for status, message imprint and nonce; the authority's own
//! signature on a token is left to the validator that trusts (or not) that authority.

mod cades;
mod certs;
mod cms;
mod digest;
mod document;
mod error;
mod keys;
mod pades;
mod xades;

pub mod devpki;
pub mod tsp;
pub mod verify;
pub mod visible;

use bytes::Bytes;

pub use certs::{Certificate, CertificateChain};
pub use digest::DigestAlgorithm;
pub use document::SignedDocument;
pub use error::{Error, Result};
pub use keys::{KeyFileSigner, KeyKind, Pkcs11Config, Pkcs11Signer, Signer};
pub use tsp::{HttpTimeStamper, TimeStamper, TimestampAuthority};
pub use visible::VisibleSignature;
pub use xades::{CanonicalTransform, SignatureTransform};

/// The signature format, which follows from the document type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pades,
    Xades,
    Cades,
}

/// The baseline level (ETSI EN 319 102-1): B-B, or B-T with a timestamp over the signature value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    BB,
    BT,
}

/// What to sign and how. `Default` gives B-B with SHA-256 (SHA-384 for P-384 keys), enveloped
/// exclusive-c14n XAdES at the end of the root element, and detached CAdES.
#[derive(Clone, Debug)]
pub struct SignatureParams {
    pub format: Format,
    pub level: Level,
    /// `None`: the digest that fits the key (see [`KeyKind::default_digest`]).
    pub digest: Option<DigestAlgorithm>,
    /// PAdES `/Reason` and `/Location`.
    pub reason: Option<String>,
    pub location: Option<String>,
    /// XAdES: local name of the existing element that receives `ds:Signature` (first match);
    /// `None` appends it to the root element.
    pub signature_location: Option<String>,
    pub signature_transform: SignatureTransform,
    pub canonical_transform: CanonicalTransform,
    /// CAdES: encapsulate the content instead of a detached `.p7s`.
    pub attached: bool,
    /// `None`: now. Written as PAdES `/M` and XAdES `SigningTime`.
    pub signing_time: Option<time::OffsetDateTime>,
    pub max_document_size: usize,
    /// PAdES: a visible signature (see [`visible`]); `None` for an invisible one. Ignored by
    /// the other formats.
    pub visible: Option<VisibleSignature>,
}

impl SignatureParams {
    pub fn new(format: Format) -> Self {
        Self {
            format,
            level: Level::BB,
            digest: None,
            reason: None,
            location: None,
            signature_location: None,
            signature_transform: SignatureTransform::default(),
            canonical_transform: CanonicalTransform::default(),
            attached: false,
            signing_time: None,
            max_document_size: 256 * 1024 * 1024,
            visible: None,
        }
    }
}

enum State {
    Pades(pades::State),
    Xades(xades::State),
    Cades(cades::State),
}

/// The result of the first phase: the bytes to be signed, their digest, and what `finish` needs.
pub struct Prepared {
    document: Bytes,
    chain: CertificateChain,
    key_kind: KeyKind,
    digest_alg: DigestAlgorithm,
    level: Level,
    data_to_sign: Vec<u8>,
    digest: Vec<u8>,
    state: State,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("document_len", &self.document.len())
            .field("key_kind", &self.key_kind)
            .field("digest_alg", &self.digest_alg)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// Phase one: everything but the signature value.
pub fn prepare(
    document: Bytes,
    params: &SignatureParams,
    chain: &CertificateChain,
    key_kind: KeyKind,
) -> Result<Prepared> {
    if document.is_empty() {
        return Err(Error::EmptyDocument);
    }
    if document.len() > params.max_document_size {
        return Err(Error::DocumentTooLarge {
            size: document.len(),
            limit: params.max_document_size,
        });
    }
    let digest_alg = params.digest.unwrap_or(key_kind.default_digest());
    let signing_time = params
        .signing_time
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    let (state, data_to_sign) = match params.format {
        Format::Pades => {
            let (s, tbs) = pades::prepare(&document, params, chain, digest_alg, signing_time)?;
            (State::Pades(s), tbs)
        }
        Format::Xades => {
            let (s, tbs) =
                xades::prepare(&document, params, chain, key_kind, digest_alg, signing_time)?;
            (State::Xades(s), tbs)
        }
        Format::Cades => {
            let (s, tbs) = cades::prepare(&document, params, chain, digest_alg)?;
            (State::Cades(s), tbs)
        }
    };
    let digest = digest_alg.digest(&data_to_sign)?;
    Ok(Prepared {
        document,
        chain: chain.clone(),
        key_kind,
        digest_alg,
        level: params.level,
        data_to_sign,
        digest,
        state,
    })
}

impl Prepared {
    /// The bytes a signer signs: the DER signed attributes (PAdES, CAdES) or the canonical
    /// `ds:SignedInfo` (XAdES).
    pub fn data_to_sign(&self) -> &[u8] {
        &self.data_to_sign
    }

    /// The digest of [`Self::data_to_sign`], for signers that sign digests (tokens, remote CAs).
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest_alg
    }

    pub fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// Phase two with a signature value made elsewhere. The value is checked against the signer
    /// certificate before it is used, so a wrong key or a corrupted value never yields a document.
    /// ECDSA values may be DER or raw `r || s`.
    pub fn finish(
        self,
        signature_value: &[u8],
        tsa: Option<&dyn TimeStamper>,
    ) -> Result<SignedDocument> {
        let value = self.key_kind.normalize_cms_signature(signature_value)?;
        self.verify(&value)?;
        self.finish_checked(value, tsa)
    }

    /// Phase two with the signer at hand: its value, then the signed document.
    ///
    /// An RSA value from a key held in memory ([`Signer::signs_in_memory`]: a key file or
    /// PKCS#12), for a document prepared with that signer's own certificate, is used without a
    /// second check: the key was matched to the certificate when it was loaded, and OpenSSL
    /// checks every RSA-CRT result with the public exponent before returning it. ECDSA values,
    /// values from tokens and remote services, and values for a document prepared with another
    /// certificate are checked against the certificate as [`Prepared::finish`] does.
    pub fn sign_with(
        self,
        signer: &dyn Signer,
        tsa: Option<&dyn TimeStamper>,
    ) -> Result<SignedDocument> {
        if self.level == Level::BT && tsa.is_none() {
            return Err(Error::TimestampAuthorityMissing);
        }
        let value = signer.sign(self.digest_alg, &self.data_to_sign, &self.digest)?;
        if signer.signs_in_memory()
            && matches!(self.key_kind, KeyKind::Rsa { .. })
            && signer.key_kind() == self.key_kind
            && signer.certificate_chain().same_signer(&self.chain)
        {
            let value = self.key_kind.normalize_cms_signature(&value)?;
            self.finish_checked(value, tsa)
        } else {
            self.finish(&value, tsa)
        }
    }

    fn verify(&self, value: &[u8]) -> Result<()> {
        let mut ctx = openssl::pkey_ctx::PkeyCtx::new(self.chain.signer().public_key()?)?;
        ctx.verify_init()?;
        if let KeyKind::Rsa { .. } = self.key_kind {
            ctx.set_rsa_padding(openssl::rsa::Padding::PKCS1)?;
        }
        ctx.set_signature_md(self.digest_alg.md())?;
        match ctx.verify(&self.digest, value) {
            Ok(true) => Ok(()),
            _ => Err(Error::BadSignatureValue(
                "it does not verify with the signer certificate over the prepared digest".into(),
            )),
        }
    }

    fn finish_checked(
        self,
        value: Vec<u8>,
        tsa: Option<&dyn TimeStamper>,
    ) -> Result<SignedDocument> {
        let alg = self.digest_alg;
        let timestamp = |covered: &[u8]| -> Result<Vec<u8>> {
            let tsa = tsa.ok_or(Error::TimestampAuthorityMissing)?;
            tsa.timestamp(alg, &alg.digest(covered)?)
        };
        let timestamp_over = |sig: &[u8]| -> Result<Option<Vec<u8>>> {
            match self.level {
                Level::BB => Ok(None),
                Level::BT => timestamp(sig).map(Some),
            }
        };
        match self.state {
            State::Pades(s) => s.finish(
                self.document,
                &self.chain,
                self.key_kind,
                &value,
                timestamp_over,
            ),
            State::Cades(s) => s.finish(
                self.document,
                &self.chain,
                self.key_kind,
                &value,
                timestamp_over,
            ),
            State::Xades(s) => {
                let xml_value = self.key_kind.xmldsig_signature(&value)?;
                let timestamp =
                    (self.level == Level::BT).then_some(&timestamp as xades::Timestamp<'_>);
                s.finish(self.document, &xml_value, timestamp)
            }
        }
    }
}

/// One shot: [`prepare`] with the signer's certificate, then [`Prepared::sign_with`].
pub fn sign(
    document: Bytes,
    params: &SignatureParams,
    signer: &dyn Signer,
    tsa: Option<&dyn TimeStamper>,
) -> Result<SignedDocument> {
    if params.level == Level::BT && tsa.is_none() {
        return Err(Error::TimestampAuthorityMissing);
    }
    prepare(
        document,
        params,
        signer.certificate_chain(),
        signer.key_kind(),
    )?
    .sign_with(signer, tsa)
}
