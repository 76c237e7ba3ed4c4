//! Encryption at rest: AES-256-GCM under a fresh key per document, that key wrapped (also
//! AES-256-GCM) by the master key from configuration.
//!
//! Sealed format (documents and wrapped keys alike): `version (1 byte) || nonce (12) ||
//! ciphertext || tag (16)`. Nonces are random (96 bits): each document key encrypts exactly one
//! message, and the master key wraps one 32-byte key per document, far below the 2^32 random
//! nonce limit per key for any realistic store (rotate the master key past ~10^9 documents).
//! The associated data binds both the document and its wrapped key to the storage key, so an
//! object swapped for another, or metadata moved between rows, fails to open.
//!
//! Limits: the master key lives in process memory (zeroised on drop, never printed); there is
//! no key rotation yet (a new master key needs a re-wrap job: the version byte leaves room).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretBox, SecretString};
use zeroize::Zeroizing;

use crate::error::{CryptoError, StoreError};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The master key (32 bytes) that wraps every document key. `Debug` prints nothing of it.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// From 32 secret bytes.
    pub fn new(key: SecretBox<[u8; 32]>) -> Self {
        MasterKey(key)
    }

    /// From the standard base64 of 32 bytes (e.g. `SIGNSTASH_MASTER_KEY`, made with
    /// `openssl rand -base64 32`). The error never repeats the value.
    pub fn from_base64(encoded: &SecretString) -> Result<Self, StoreError> {
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(encoded.expose_secret().trim())
                .map_err(|_| StoreError::Config("the master key is not valid base64".into()))?,
        );
        let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            StoreError::Config(format!(
                "the master key must be 32 bytes (AES-256), got {}",
                decoded.len()
            ))
        })?;
        Ok(MasterKey(SecretBox::new(Box::new(bytes))))
    }

    /// A random key (tests, first start of a development stack).
    pub fn generate() -> Self {
        let mut key = Box::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        MasterKey(SecretBox::new(key))
    }

    /// Encrypts a small secret for a database column (`*_encrypted`): SMTP passwords, OAuth
    /// signing keys, CA client secrets. `context` is bound as associated data (say which column
    /// and row, e.g. `b"oauth_signing_keys:kid-1"`), so a value copied elsewhere fails to open.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        seal(self.0.expose_secret(), plaintext, context)
    }

    /// Opens what [`MasterKey::seal`] made, with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open(self.0.expose_secret(), sealed, context)
            .map(Zeroizing::new)
            .map_err(|e| {
                if e == CryptoError::Tampered {
                    CryptoError::KeyUnwrap
                } else {
                    e
                }
            })
    }

    /// Encrypts a document under a fresh key. Returns `(sealed document, wrapped key)`.
    pub(crate) fn encrypt_document(
        &self,
        plaintext: &[u8],
        storage_key: &str,
    ) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
        let mut data_key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(data_key.as_mut());
        let sealed = seal(&data_key, plaintext, &aad(b"doc", storage_key))?;
        let wrapped = seal(
            self.0.expose_secret(),
            data_key.as_ref(),
            &aad(b"dek", storage_key),
        )?;
        Ok((sealed, wrapped))
    }

    /// Unwraps the document key, then opens the document.
    pub(crate) fn decrypt_document(
        &self,
        sealed: &[u8],
        wrapped_key: &[u8],
        storage_key: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        let key_bytes = Zeroizing::new(
            open(
                self.0.expose_secret(),
                wrapped_key,
                &aad(b"dek", storage_key),
            )
            .map_err(|_| CryptoError::KeyUnwrap)?,
        );
        let data_key: [u8; 32] = key_bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::KeyUnwrap)?;
        let data_key = Zeroizing::new(data_key);
        open(&data_key, sealed, &aad(b"doc", storage_key))
    }
}

fn aad(kind: &[u8], storage_key: &str) -> Vec<u8> {
    let mut aad = b"signstash:v1:".to_vec();
    aad.extend_from_slice(kind);
    aad.push(b':');
    aad.extend_from_slice(storage_key.as_bytes());
    aad
}

fn seal(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Encrypt)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
        return Err(CryptoError::Format);
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Tampered)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_with_context() {
        let key = MasterKey::generate();
        let sealed = key
            .seal(b"smtp-password", b"client_services:1:smtp")
            .unwrap();
        assert_eq!(
            &*key.open(&sealed, b"client_services:1:smtp").unwrap(),
            b"smtp-password"
        );
        assert_eq!(
            key.open(&sealed, b"client_services:2:smtp").unwrap_err(),
            CryptoError::KeyUnwrap
        );
        assert_eq!(
            MasterKey::generate()
                .open(&sealed, b"client_services:1:smtp")
                .unwrap_err(),
            CryptoError::KeyUnwrap
        );
        assert_eq!(
            key.open(&sealed[..10], b"x").unwrap_err(),
            CryptoError::Format
        );
    }

    #[test]
    fn documents_are_bound_to_their_storage_key() {
        let key = MasterKey::generate();
        let (sealed, wrapped) = key.encrypt_document(b"%PDF-1.7", "documents/a").unwrap();
        assert_eq!(
            key.decrypt_document(&sealed, &wrapped, "documents/a")
                .unwrap(),
            b"%PDF-1.7"
        );
        assert_eq!(
            key.decrypt_document(&sealed, &wrapped, "documents/b")
                .unwrap_err(),
            CryptoError::KeyUnwrap
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.decrypt_document(&flipped, &wrapped, "documents/a")
                .unwrap_err(),
            CryptoError::Tampered
        );
    }

    #[test]
    fn master_key_from_base64() {
        let ok = SecretString::from("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        assert!(MasterKey::from_base64(&ok).is_ok());
        let short = SecretString::from("AAECAwQ=");
        let err = MasterKey::from_base64(&short).unwrap_err().to_string();
        assert!(err.contains("32 bytes"), "{err}");
        let bad = SecretString::from("not base64 at all!");
        let err = MasterKey::from_base64(&bad).unwrap_err().to_string();
        assert!(!err.contains("not base64 at all"), "{err}");
        assert_eq!(format!("{:?}", MasterKey::generate()), "MasterKey(..)");
    }
}
