use std::path::PathBuf;
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;

use super::{key_kind_of, KeyKind, Signer};
use crate::{Certificate, CertificateChain, DigestAlgorithm, Error, Result};

/// How to reach a key on a PKCS#11 token (an HSM, a smart card, SoftHSM2 in tests).
#[derive(Clone)]
pub struct Pkcs11Config {
    pub module: PathBuf,
    pub token_label: String,
    pub pin: String,
    pub key_label: String,
    /// Certificates beyond the signer's, when the token holds only the signer's.
    pub extra_chain: Vec<Certificate>,
}

impl std::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

/// A private key that never leaves its PKCS#11 token: the token signs the digest.
pub struct Pkcs11Signer {
    // The context must outlive the session; both are kept together.
    _ctx: Pkcs11,
    session: Mutex<Session>,
    key: ObjectHandle,
    kind: KeyKind,
    chain: CertificateChain,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("kind", &self.kind)
            .field("subject", &self.chain.signer().subject_string())
            .finish_non_exhaustive()
    }
}

fn p11(e: impl std::fmt::Display) -> Error {
    Error::Pkcs11(e.to_string())
}

impl Pkcs11Signer {
    /// Opens the token, logs in with the user PIN, finds the private key by label and its
    /// certificate (an object with the same label, else the same `CKA_ID`).
    pub fn open(config: &Pkcs11Config) -> Result<Self> {
        let ctx = Pkcs11::new(&config.module).map_err(|e| {
            Error::Pkcs11(format!(
                "cannot load module {}: {e}",
                config.module.display()
            ))
        })?;
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(p11)?;
        let slot = ctx
            .get_slots_with_token()
            .map_err(p11)?
            .into_iter()
            .find(|s| {
                ctx.get_token_info(*s)
                    .map(|t| t.label().trim() == config.token_label)
                    .unwrap_or(false)
            })
            .ok_or_else(|| Error::Pkcs11(format!("no token labelled `{}`", config.token_label)))?;
        let session = ctx.open_ro_session(slot).map_err(p11)?;
        session
            .login(UserType::User, Some(&AuthPin::from(config.pin.clone())))
            .map_err(|e| Error::Pkcs11(format!("login failed: {e}")))?;
        let label = Attribute::Label(config.key_label.as_bytes().to_vec());
        let key = *session
            .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), label.clone()])
            .map_err(p11)?
            .first()
            .ok_or_else(|| {
                Error::Pkcs11(format!("no private key labelled `{}`", config.key_label))
            })?;
        let mut certs = session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE), label])
            .map_err(p11)?;
        if certs.is_empty() {
            if let Some(Attribute::Id(id)) = session
                .get_attributes(key, &[AttributeType::Id])
                .map_err(p11)?
                .into_iter()
                .next()
            {
                certs = session
                    .find_objects(&[
                        Attribute::Class(ObjectClass::CERTIFICATE),
                        Attribute::Id(id),
                    ])
                    .map_err(p11)?;
            }
        }
        let cert_handle = *certs.first().ok_or_else(|| {
            Error::Pkcs11(format!(
                "no certificate for key `{}` on the token",
                config.key_label
            ))
        })?;
        let cert_der = match session
            .get_attributes(cert_handle, &[AttributeType::Value])
            .map_err(p11)?
            .into_iter()
            .next()
        {
            Some(Attribute::Value(v)) => v,
            _ => return Err(Error::Pkcs11("certificate object has no value".into())),
        };
        let cert = Certificate::from_der(&cert_der)?;
        let public = openssl::x509::X509::from_der(&cert_der)?.public_key()?;
        let kind = key_kind_of(&public)?;
        Ok(Self {
            _ctx: ctx,
            session: Mutex::new(session),
            key,
            kind,
            chain: CertificateChain::new(cert, config.extra_chain.clone()),
        })
    }
}

/// DER `DigestInfo` prefixes (RFC 8017 §9.2 note 1): CKM_RSA_PKCS signs DigestInfo, not a bare digest.
fn digest_info_prefix(alg: DigestAlgorithm) -> &'static [u8] {
    match alg {
        DigestAlgorithm::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        DigestAlgorithm::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        DigestAlgorithm::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    }
}

impl Signer for Pkcs11Signer {
    fn certificate_chain(&self) -> &CertificateChain {
        &self.chain
    }

    fn key_kind(&self) -> KeyKind {
        self.kind
    }

    fn sign(&self, alg: DigestAlgorithm, _data: &[u8], digest: &[u8]) -> Result<Vec<u8>> {
        let session = self
            .session
            .lock()
            .map_err(|_| Error::Pkcs11("session lock poisoned".into()))?;
        match self.kind {
            KeyKind::Rsa { .. } => {
                let mut info = digest_info_prefix(alg).to_vec();
                info.extend_from_slice(digest);
                session
                    .sign(&Mechanism::RsaPkcs, self.key, &info)
                    .map_err(p11)
            }
            KeyKind::Ecdsa { .. } => {
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.key, digest)
                    .map_err(p11)?;
                self.kind.normalize_cms_signature(&raw)
            }
        }
    }
}
