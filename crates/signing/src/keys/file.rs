use openssl::pkey::{PKey, Private};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;

use super::{key_kind_of, KeyKind, Signer};
use crate::{Certificate, CertificateChain, DigestAlgorithm, Error, Result};

/// A private key held in memory, loaded from a PEM / PKCS#8 file or a PKCS#12 file.
pub struct KeyFileSigner {
    key: PKey<Private>,
    kind: KeyKind,
    chain: CertificateChain,
}

impl std::fmt::Debug for KeyFileSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFileSigner")
            .field("kind", &self.kind)
            .field("subject", &self.chain.signer().subject_string())
            .finish_non_exhaustive()
    }
}

impl KeyFileSigner {
    /// A PEM private key (PKCS#8, or the traditional RSA / EC forms), the signer's certificate
    /// (PEM; further certificates in the same file are taken as its chain) and an optional chain file.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8], chain_pem: Option<&[u8]>) -> Result<Self> {
        let key = PKey::private_key_from_pem(key_pem)
            .map_err(|_| Error::Key("not a PEM private key".into()))?;
        let mut certs = Certificate::all_from_pem(cert_pem)?;
        if certs.is_empty() {
            return Err(Error::Certificate(
                "no certificate in the certificate file".into(),
            ));
        }
        if let Some(chain) = chain_pem {
            certs.extend(Certificate::all_from_pem(chain)?);
        }
        let signer = certs.remove(0);
        Self::new(key, CertificateChain::new(signer, certs))
    }

    /// A PKCS#12 (`.p12` / `.pfx`) file and its password.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self> {
        let p12 = openssl::pkcs12::Pkcs12::from_der(der)
            .map_err(|_| Error::Key("not a PKCS#12 file".into()))?;
        let parsed = p12.parse2(password).map_err(|_| {
            Error::Key(
                "cannot open the PKCS#12 file: wrong password or unsupported encryption".into(),
            )
        })?;
        let key = parsed
            .pkey
            .ok_or_else(|| Error::Key("the PKCS#12 file holds no private key".into()))?;
        let cert = parsed
            .cert
            .ok_or_else(|| Error::Certificate("the PKCS#12 file holds no certificate".into()))?;
        let mut rest = Vec::new();
        if let Some(ca) = parsed.ca {
            for c in ca.iter() {
                rest.push(Certificate::from_der(&c.to_der()?)?);
            }
        }
        Self::new(
            key,
            CertificateChain::new(Certificate::from_der(&cert.to_der()?)?, rest),
        )
    }

    pub fn new(key: PKey<Private>, chain: CertificateChain) -> Result<Self> {
        let kind = key_kind_of(&key)?;
        if !key.public_eq(chain.signer().public_key()?) {
            return Err(Error::Key(
                "the private key does not belong to the signer certificate".into(),
            ));
        }
        Ok(Self { key, kind, chain })
    }
}

impl Signer for KeyFileSigner {
    fn certificate_chain(&self) -> &CertificateChain {
        &self.chain
    }

    fn key_kind(&self) -> KeyKind {
        self.kind
    }

    fn signs_in_memory(&self) -> bool {
        true
    }

    fn sign(&self, alg: DigestAlgorithm, _data: &[u8], digest: &[u8]) -> Result<Vec<u8>> {
        // Signing the digest (not the data) keeps one code path for every key source.
        let mut ctx = PkeyCtx::new(&self.key)?;
        ctx.sign_init()?;
        if let KeyKind::Rsa { .. } = self.kind {
            ctx.set_rsa_padding(Padding::PKCS1)?;
        }
        ctx.set_signature_md(alg.md())?;
        let mut out = Vec::new();
        ctx.sign_to_vec(digest, &mut out)?;
        Ok(out)
    }
}
