//! Certificates as the signer uses them: parsed once, DER kept for embedding and hashing.

use std::sync::{Arc, OnceLock};

use der::{Decode, Encode};
use openssl::pkey::{PKey, Public};
use x509_cert::Certificate as X509;

use crate::{DigestAlgorithm, Error, Result};

/// One X.509 certificate, parsed once; the DER is kept because signatures embed and hash it.
#[derive(Clone, Debug)]
pub struct Certificate {
    der: Vec<u8>,
    parsed: X509,
    /// The public key for checking signature values, decoded on first use and shared by clones
    /// (OpenSSL 3 spends ~85 µs decoding a certificate's key, a third of an RSA signature).
    public_key: Arc<OnceLock<PKey<Public>>>,
}

impl Certificate {
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let parsed = X509::from_der(der)
            .map_err(|e| Error::Certificate(format!("not a DER certificate: {e}")))?;
        Ok(Self {
            der: der.to_vec(),
            parsed,
            public_key: Arc::default(),
        })
    }

    /// Every certificate in a PEM file, in file order.
    pub fn all_from_pem(pem: &[u8]) -> Result<Vec<Self>> {
        let stack = openssl::x509::X509::stack_from_pem(pem)
            .map_err(|e| Error::Certificate(format!("not a PEM certificate file: {e}")))?;
        stack.iter().map(|c| Self::from_der(&c.to_der()?)).collect()
    }

    /// The subject public key, as OpenSSL uses it.
    pub fn public_key(&self) -> Result<&PKey<Public>> {
        if let Some(key) = self.public_key.get() {
            return Ok(key);
        }
        let key = openssl::x509::X509::from_der(&self.der)?.public_key()?;
        Ok(self.public_key.get_or_init(|| key))
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn x509(&self) -> &X509 {
        &self.parsed
    }

    pub fn digest(&self, alg: DigestAlgorithm) -> Result<Vec<u8>> {
        alg.digest(&self.der)
    }

    /// The subject as an RFC 4514 string (for XML `X509IssuerName` and messages).
    pub fn subject_string(&self) -> String {
        self.parsed.tbs_certificate.subject.to_string()
    }

    pub fn issuer_string(&self) -> String {
        self.parsed.tbs_certificate.issuer.to_string()
    }

    /// The DER of the `subjectPublicKeyInfo`, to match a key with its certificate.
    pub fn spki_der(&self) -> Result<Vec<u8>> {
        Ok(self
            .parsed
            .tbs_certificate
            .subject_public_key_info
            .to_der()?)
    }
}

/// The signer's certificate first, then the rest of its chain (intermediates, optionally the root).
/// Cheap to clone (every prepared document keeps one).
#[derive(Clone, Debug)]
pub struct CertificateChain {
    certs: Arc<[Certificate]>,
}

impl CertificateChain {
    pub fn new(signer: Certificate, rest: Vec<Certificate>) -> Self {
        let mut certs = vec![signer];
        for c in rest {
            if !certs.iter().any(|x| x.der == c.der) {
                certs.push(c);
            }
        }
        Self {
            certs: certs.into(),
        }
    }

    pub fn signer(&self) -> &Certificate {
        &self.certs[0]
    }

    /// Whether both chains start with the same signer certificate.
    pub fn same_signer(&self, other: &CertificateChain) -> bool {
        Arc::ptr_eq(&self.certs, &other.certs) || self.signer().der == other.signer().der
    }

    pub fn all(&self) -> &[Certificate] {
        &self.certs
    }
}
