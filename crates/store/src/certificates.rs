//! Certificate authorities and signing certificates.

use signstash_domain::{
    CertificateAuthorityId, CertificateId, CertificateStatus, ClientServiceId, IssuerCompanyId,
    KeySourceKind,
};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::crypto::MasterKey;
use crate::error::{one_row, CryptoError, StoreError};

/// A new certificate authority.
#[derive(Debug, Clone, Default)]
pub struct NewCertificateAuthority {
    /// Unique name.
    pub name: String,
    /// CSC API v2 base URL (remote signing).
    pub csc_base_url: Option<String>,
    /// OAuth2 authorize URL of the CA (access grants).
    pub oauth_authorize_url: Option<String>,
    /// OAuth2 token URL of the CA.
    pub oauth_token_url: Option<String>,
    /// Our OAuth2 client id at the CA.
    pub oauth_client_id: Option<String>,
    /// Our OAuth2 client secret, sealed by the master key.
    pub oauth_client_secret_encrypted: Option<Vec<u8>>,
    /// The CA's chain (PEM).
    pub ca_chain_pem: Option<String>,
}

/// Creates a certificate authority.
pub async fn create_authority(
    db: impl PgExecutor<'_>,
    new: &NewCertificateAuthority,
) -> Result<CertificateAuthorityId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO certificate_authorities
             (name, csc_base_url, oauth_authorize_url, oauth_token_url, oauth_client_id,
              oauth_client_secret_encrypted, ca_chain_pem)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.csc_base_url)
    .bind(&new.oauth_authorize_url)
    .bind(&new.oauth_token_url)
    .bind(&new.oauth_client_id)
    .bind(&new.oauth_client_secret_encrypted)
    .bind(&new.ca_chain_pem)
    .fetch_one(db)
    .await?)
}

/// A new signing certificate of an issuer.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// Owner.
    pub issuer_company_id: IssuerCompanyId,
    /// CA (required for `REMOTE_CA`).
    pub certificate_authority_id: Option<CertificateAuthorityId>,
    /// A name for operators.
    pub label: String,
    /// Signing certificate first, then its chain (PEM).
    pub chain_pem: String,
    /// Subject DN (display).
    pub subject: Option<String>,
    /// Serial number (hex, display).
    pub serial_number: Option<String>,
    /// e.g. `RSA-2048`, `EC-P256`.
    pub key_algorithm: Option<String>,
    /// Validity start.
    pub not_before: Option<OffsetDateTime>,
    /// Validity end.
    pub not_after: Option<OffsetDateTime>,
    /// Where the key lives.
    pub key_source: KeySourceKind,
    /// Key file / PKCS#12 path, PKCS#11 URI or CSC credential id.
    pub key_reference: Option<String>,
    /// The key (PEM or PKCS#12) sealed by the master key, when held in the database.
    pub key_encrypted: Option<Vec<u8>>,
    /// Its passphrase, sealed.
    pub key_passphrase_encrypted: Option<Vec<u8>>,
    /// End of the CA access grant (remote keys).
    pub access_expires_at: Option<OffsetDateTime>,
}

/// A signing certificate. `Debug` shows no sealed material.
#[derive(Clone, sqlx::FromRow)]
pub struct Certificate {
    /// Id.
    pub id: CertificateId,
    /// Owner.
    pub issuer_company_id: IssuerCompanyId,
    /// CA.
    pub certificate_authority_id: Option<CertificateAuthorityId>,
    /// Name.
    pub label: String,
    /// Chain (PEM), signing certificate first.
    pub chain_pem: String,
    /// Subject DN.
    pub subject: Option<String>,
    /// Serial.
    pub serial_number: Option<String>,
    /// Key algorithm.
    pub key_algorithm: Option<String>,
    /// Validity start.
    pub not_before: Option<OffsetDateTime>,
    /// Validity end.
    pub not_after: Option<OffsetDateTime>,
    /// Key source.
    pub key_source: KeySourceKind,
    /// Path, URI or credential id.
    pub key_reference: Option<String>,
    /// Sealed key.
    pub key_encrypted: Option<Vec<u8>>,
    /// Sealed passphrase.
    pub key_passphrase_encrypted: Option<Vec<u8>>,
    /// Sealed CA access token.
    pub access_token_encrypted: Option<Vec<u8>>,
    /// End of the CA access grant.
    pub access_expires_at: Option<OffsetDateTime>,
    /// Signatures made.
    pub signature_count: i64,
    /// Signatures allowed by the access grant.
    pub signature_limit: i64,
    /// Status.
    pub status: CertificateStatus,
    /// Created.
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("id", &self.id)
            .field("issuer_company_id", &self.issuer_company_id)
            .field("label", &self.label)
            .field("subject", &self.subject)
            .field("key_source", &self.key_source)
            .field("key_reference", &self.key_reference)
            .field("access_expires_at", &self.access_expires_at)
            .field("signature_count", &self.signature_count)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The context a certificate's key is sealed under with the master key (`key_encrypted`).
pub const KEY_CONTEXT: &[u8] = b"signstash:certificate-key";

/// Why a certificate gives no key-file signer. The services map each case to their own message.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Its key is elsewhere (PKCS#11, a remote CA).
    #[error("the key source {0} is not a key file")]
    NotAKeyFile(KeySourceKind),
    /// Neither a sealed key nor a path.
    #[error("no key")]
    NoKey,
    /// The sealed key does not open with this master key.
    #[error(transparent)]
    Unsealed(CryptoError),
    /// The key file named by `key_reference` cannot be read.
    #[error(transparent)]
    Unreadable(std::io::Error),
    /// The key or the chain is not usable to sign (not a PEM key, not its certificate...).
    #[cfg(feature = "signing")]
    #[error(transparent)]
    Unusable(signstash_signing::Error),
}

impl Certificate {
    /// The PEM key of a `KEY_FILE` certificate: the sealed key (opened with `master_key` under
    /// [`KEY_CONTEXT`]) when the database holds one, else the file at `key_reference`.
    pub fn key_file_pem(
        &self,
        master_key: &MasterKey,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyFileError> {
        if self.key_source != KeySourceKind::KeyFile {
            return Err(KeyFileError::NotAKeyFile(self.key_source));
        }
        match (&self.key_encrypted, &self.key_reference) {
            (Some(sealed), _) => master_key
                .open(sealed, KEY_CONTEXT)
                .map_err(KeyFileError::Unsealed),
            (None, Some(path)) => std::fs::read(path)
                .map(zeroize::Zeroizing::new)
                .map_err(KeyFileError::Unreadable),
            (None, None) => Err(KeyFileError::NoKey),
        }
    }

    /// The signer of a `KEY_FILE` certificate: its key ([`Certificate::key_file_pem`]) with
    /// its chain.
    #[cfg(feature = "signing")]
    pub fn key_file_signer(
        &self,
        master_key: &MasterKey,
    ) -> Result<signstash_signing::KeyFileSigner, KeyFileError> {
        let key = self.key_file_pem(master_key)?;
        signstash_signing::KeyFileSigner::from_pem(&key, self.chain_pem.as_bytes(), None)
            .map_err(KeyFileError::Unusable)
    }
}

const COLUMNS: &str = "c.id, c.issuer_company_id, c.certificate_authority_id, c.label, c.chain_pem,
    c.subject, c.serial_number, c.key_algorithm, c.not_before, c.not_after, c.key_source,
    c.key_reference, c.key_encrypted, c.key_passphrase_encrypted, c.access_token_encrypted,
    c.access_expires_at, c.signature_count, c.signature_limit, c.status, c.created_at";

/// Registers a certificate.
pub async fn create(
    db: impl PgExecutor<'_>,
    new: &NewCertificate,
) -> Result<CertificateId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO certificates
             (issuer_company_id, certificate_authority_id, label, chain_pem, subject, serial_number,
              key_algorithm, not_before, not_after, key_source, key_reference, key_encrypted,
              key_passphrase_encrypted, access_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(new.issuer_company_id)
    .bind(new.certificate_authority_id)
    .bind(&new.label)
    .bind(&new.chain_pem)
    .bind(&new.subject)
    .bind(&new.serial_number)
    .bind(&new.key_algorithm)
    .bind(new.not_before)
    .bind(new.not_after)
    .bind(new.key_source)
    .bind(&new.key_reference)
    .bind(&new.key_encrypted)
    .bind(&new.key_passphrase_encrypted)
    .bind(new.access_expires_at)
    .fetch_one(db)
    .await?)
}

/// The certificate a client service signs with (`None`: not set up, `0.0.3`).
pub async fn configured_for_client_service(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
) -> Result<Option<Certificate>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM certificates c
         JOIN client_services cs ON cs.certificate_id = c.id
         WHERE cs.id = $1"
    ))
    .bind(client_service_id)
    .fetch_optional(db)
    .await?)
}

/// Every certificate a client service may use: those of its issuer, the configured one first.
pub async fn list_for_client_service(
    db: impl PgExecutor<'_>,
    client_service_id: ClientServiceId,
) -> Result<Vec<Certificate>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM certificates c
         JOIN client_services cs ON cs.issuer_company_id = c.issuer_company_id
         WHERE cs.id = $1
         ORDER BY (c.id = cs.certificate_id) IS TRUE DESC, c.id"
    ))
    .bind(client_service_id)
    .fetch_all(db)
    .await?)
}

/// Counts signatures made with a certificate (the CA access is limited in count too).
pub async fn add_signatures(
    db: impl PgExecutor<'_>,
    id: CertificateId,
    count: i64,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE certificates SET signature_count = signature_count + $2, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(count)
        .execute(db)
        .await?,
    )
}

/// Records a renewed CA access grant.
pub async fn renew_access(
    db: impl PgExecutor<'_>,
    id: CertificateId,
    access_token_encrypted: &[u8],
    expires_at: OffsetDateTime,
) -> Result<(), StoreError> {
    one_row(
        sqlx::query(
            "UPDATE certificates SET access_token_encrypted = $2, access_expires_at = $3,
                    signature_count = 0, updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(access_token_encrypted)
        .bind(expires_at)
        .execute(db)
        .await?,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn key_file(key_encrypted: Option<Vec<u8>>, key_reference: Option<String>) -> Certificate {
        Certificate {
            id: CertificateId(1),
            issuer_company_id: IssuerCompanyId(1),
            certificate_authority_id: None,
            label: "test".into(),
            chain_pem: String::new(),
            subject: None,
            serial_number: None,
            key_algorithm: None,
            not_before: None,
            not_after: None,
            key_source: KeySourceKind::KeyFile,
            key_reference,
            key_encrypted,
            key_passphrase_encrypted: None,
            access_token_encrypted: None,
            access_expires_at: None,
            signature_count: 0,
            signature_limit: 0,
            status: CertificateStatus::Active,
            created_at: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn a_key_file_certificates_key_is_the_sealed_one_else_the_file() {
        let master = MasterKey::generate();
        let sealed = master.seal(b"sealed key", KEY_CONTEXT).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, b"file key").unwrap();
        let path = path.display().to_string();

        // The sealed key wins over the path.
        let both = key_file(Some(sealed.clone()), Some(path.clone()));
        assert_eq!(
            both.key_file_pem(&master).unwrap().as_slice(),
            b"sealed key"
        );
        let file = key_file(None, Some(path));
        assert_eq!(file.key_file_pem(&master).unwrap().as_slice(), b"file key");

        let err = |c: &Certificate, k: &MasterKey| c.key_file_pem(k).unwrap_err();
        assert!(matches!(
            err(&both, &MasterKey::generate()),
            KeyFileError::Unsealed(_)
        ));
        // Sealed under another context (an SMTP password copied over): does not open.
        let elsewhere = master
            .seal(b"x", b"client_services:1:smtp_password")
            .unwrap();
        assert!(matches!(
            err(&key_file(Some(elsewhere), None), &master),
            KeyFileError::Unsealed(_)
        ));
        assert!(matches!(
            err(
                &key_file(None, Some("/nonexistent/key.pem".into())),
                &master
            ),
            KeyFileError::Unreadable(_)
        ));
        assert!(matches!(
            err(&key_file(None, None), &master),
            KeyFileError::NoKey
        ));
        let mut pkcs11 = key_file(Some(sealed), None);
        pkcs11.key_source = KeySourceKind::Pkcs11;
        assert!(matches!(
            err(&pkcs11, &master),
            KeyFileError::NotAKeyFile(KeySourceKind::Pkcs11)
        ));
    }
}
