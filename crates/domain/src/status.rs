//! Statuses and enumerations. The API ones carry the exact spellings of api-v0.md; the same
//! spelling is what the database stores (as `TEXT` with a `CHECK` constraint).

use crate::macros::wire_enum;

wire_enum! {
    /// `SignOperation.status`.
    pub enum OperationStatus {
        /// Received, not finished yet.
        PendingExecution = "PENDING_EXECUTION",
        /// Every document signed.
        Executed = "EXECUTED",
        /// Finished, some documents failed (each carries its own `signStatus`).
        ExecutionError = "EXECUTION_ERROR",
        /// Finished, nothing was signed.
        ExecutionFailed = "EXECUTION_FAILED",
    }
}

impl OperationStatus {
    /// The status of a finished operation from its documents' sign statuses.
    pub fn from_documents(statuses: impl IntoIterator<Item = SignStatus>) -> Self {
        let (mut signed, mut failed, mut pending) = (0usize, 0usize, 0usize);
        for status in statuses {
            match status {
                SignStatus::Signed => signed += 1,
                SignStatus::ErrorSigning => failed += 1,
                SignStatus::Received => pending += 1,
            }
        }
        match (signed, failed, pending) {
            (_, _, p) if p > 0 => OperationStatus::PendingExecution,
            (0, 0, _) => OperationStatus::PendingExecution,
            (_, 0, _) => OperationStatus::Executed,
            (0, _, _) => OperationStatus::ExecutionFailed,
            _ => OperationStatus::ExecutionError,
        }
    }
}

wire_enum! {
    /// `SignOperation.type`.
    pub enum OperationType {
        /// The only type of API v0.
        Sign = "SIGN",
    }
}

wire_enum! {
    /// `documentList[].signStatus`.
    pub enum SignStatus {
        /// Stored, not signed yet.
        Received = "RECEIVED",
        /// Signed.
        Signed = "SIGNED",
        /// Failed; `signError` says why.
        ErrorSigning = "ERROR_SIGNING",
    }
}

wire_enum! {
    /// `documentList[].signError`, set when `signStatus` is `ERROR_SIGNING`.
    pub enum SignError {
        /// The credentials of the certificate service (the CA) were refused.
        InvalidCertServiceCreds = "INVALID_CERT_SERVICE_CREDS",
        /// The access granted by the certificate owner expired: an operator must renew it.
        InvalidCertAccessAccount = "INVALID_CERT_ACCESS_ACCOUNT",
        /// The certificate service failed.
        CertServiceGlobalError = "CERT_SERVICE_GLOBAL_ERROR",
        /// The signature could not be configured (e.g. visible signature, XAdES location).
        ConfigurationSignError = "CONFIGURATION_SIGN_ERROR",
        /// The timestamp authority failed.
        TimestampSignError = "TIMESTAMP_SIGN_ERROR",
        /// The certificate is not usable (expired, revoked, wrong key usage).
        InvalidCertificateSignError = "INVALID_CERTIFICATE_SIGN_ERROR",
        /// The document store failed.
        StorageServiceGlobalError = "STORAGE_SERVICE_GLOBAL_ERROR",
        /// Anything else.
        SignOperationInternalError = "SIGN_OPERATION_INTERNAL_ERROR",
    }
}

wire_enum! {
    /// `documentList[].cipherStatus`: whether the stored bytes are encrypted at rest.
    pub enum CipherStatus {
        /// Not stored yet.
        Pending = "PENDING",
        /// Stored encrypted (AES-256-GCM, per-document key).
        Ciphered = "CIPHERED",
        /// Encryption failed: nothing stored.
        ErrorCiphering = "ERROR_CIPHERING",
        /// Nothing to encrypt (hash signing, content not stored).
        NoCipher = "NO_CIPHER",
    }
}

wire_enum! {
    /// `documentList[].storageStatus`.
    pub enum StorageStatus {
        /// Kept in custody for consultation.
        ContentStored = "CONTENT_STORED",
        /// Kept for long-term preservation.
        ContentPreserved = "CONTENT_PRESERVED",
        /// Not stored (hash signing, or storage failed).
        ContentNotStored = "CONTENT_NOT_STORED",
        /// Removed at the end of the storage period.
        Deleted = "DELETED",
    }
}

wire_enum! {
    /// `deliveryInfo.personReceiver[].deliveryStatus`.
    pub enum DeliveryStatus {
        /// Queued.
        Pending = "PENDING",
        /// Accepted by the SMTP server.
        Sent = "SENT",
        /// The receiver opened the portal link.
        Received = "RECEIVED",
        /// A try failed; it will be retried.
        SendingError = "SENDING_ERROR",
        /// Gave up after the retry threshold.
        SendingFailed = "SENDING_FAILED",
    }
}

wire_enum! {
    /// `signatureInfo.signatureType` (spelled exactly so on the wire).
    pub enum SignatureType {
        /// PDF signatures (ETSI EN 319 142).
        PAdES = "PAdES",
        /// XML signatures (ETSI EN 319 132).
        XAdES = "XAdES",
        /// CMS signatures of anything else (ETSI EN 319 122).
        CAdES = "CAdES",
    }
}

wire_enum! {
    /// `folder.folderContent`.
    pub enum FolderContent {
        /// The documents were sent and stored.
        Document = "DOCUMENT",
        /// Only digests were sent (on-premise proxy).
        Hash = "HASH",
    }
}

wire_enum! {
    /// The state of a client service.
    pub enum ClientServiceStatus {
        /// Can get tokens and sign.
        Active = "ACTIVE",
        /// Switched off: error `1.1.1`.
        Inactive = "INACTIVE",
        /// Kept but blocked from new work (e.g. unpaid, usage limit): error `1.1.3`.
        Suspended = "SUSPENDED",
    }
}

wire_enum! {
    /// The state of a partner company.
    pub enum CompanyStatus {
        /// Working.
        Active = "ACTIVE",
        /// Switched off: its operators cannot sign in.
        Inactive = "INACTIVE",
    }
}

wire_enum! {
    /// The lifecycle of an issuer company (`../shared/design/backoffice.md`): REGISTERED →
    /// ACTIVE → SUSPENDED or BLOCKED → DELETED. Only an ACTIVE issuer's client services work
    /// (any other answers `1.2.0`).
    pub enum IssuerStatus {
        /// Created, not yet activated.
        Registered = "REGISTERED",
        /// Working.
        Active = "ACTIVE",
        /// Its services are refused; its operators still sign in.
        Suspended = "SUSPENDED",
        /// Its services are refused and its operators cannot sign in.
        Blocked = "BLOCKED",
        /// Nothing works; its data is kept for custody.
        Deleted = "DELETED",
    }
}

impl IssuerStatus {
    /// Whether its operators may sign in.
    pub fn allows_sign_in(self) -> bool {
        matches!(self, Self::Registered | Self::Active | Self::Suspended)
    }
}

wire_enum! {
    /// What kind of partner a partner company is.
    pub enum PartnerKind {
        /// Integrates Sign'Stash into its own software.
        Integrator = "INTEGRATOR",
        /// Resells Sign'Stash; sets its issuers' usage limits.
        Reseller = "RESELLER",
    }
}

wire_enum! {
    /// The state of a backoffice operator.
    pub enum OperatorStatus {
        /// Created; sets a password from the activation e-mail, then ACTIVE.
        Registered = "REGISTERED",
        /// Can sign in.
        Active = "ACTIVE",
        /// Switched off by a manager.
        Inactive = "INACTIVE",
        /// Locked after too many failed sign-ins.
        Locked = "LOCKED",
    }
}

wire_enum! {
    /// The state of a signing certificate.
    pub enum CertificateStatus {
        /// Usable.
        Active = "ACTIVE",
        /// Switched off by an operator.
        Inactive = "INACTIVE",
        /// Revoked at the CA.
        Revoked = "REVOKED",
    }
}

wire_enum! {
    /// Where the private key of a signing certificate lives.
    pub enum KeySourceKind {
        /// A PEM key file on disk (reference = path) or an encrypted key in the database.
        KeyFile = "KEY_FILE",
        /// A PKCS#12 file (reference = path) or encrypted blob in the database.
        Pkcs12 = "PKCS12",
        /// A PKCS#11 token (reference = PKCS#11 URI).
        Pkcs11 = "PKCS11",
        /// A remote qualified certificate at a CA (reference = CSC credential id).
        RemoteCa = "REMOTE_CA",
    }
}

wire_enum! {
    /// What a template is for.
    pub enum TemplateKind {
        /// The "documents available" e-mail (subject and body).
        Email = "EMAIL",
        /// The client portal look (CSS and logo).
        Portal = "PORTAL",
        /// The text of a visible PDF signature.
        SignatureText = "SIGNATURE_TEXT",
    }
}

wire_enum! {
    /// A quantity limited by a usage limit.
    pub enum UsageMetric {
        /// Documents signed.
        DocumentsSigned = "DOCUMENTS_SIGNED",
        /// Digests signed through the proxy.
        HashesSigned = "HASHES_SIGNED",
        /// Bytes kept in the document store.
        StorageBytes = "STORAGE_BYTES",
        /// Timestamps granted by the system authority at `/api/v0/timestamp` (the proxy's B-T).
        TimestampsGranted = "TIMESTAMPS_GRANTED",
    }
}

wire_enum! {
    /// The period over which a usage limit counts.
    pub enum UsagePeriod {
        /// A calendar month.
        Month = "MONTH",
        /// A calendar year.
        Year = "YEAR",
        /// Since the start.
        Total = "TOTAL",
    }
}

wire_enum! {
    /// The algorithm of an OAuth token signing key (JWS `alg`).
    pub enum JwtAlgorithm {
        /// ECDSA P-256 with SHA-256.
        Es256 = "ES256",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        Rs256 = "RS256",
    }
}

wire_enum! {
    /// Who did something recorded in the audit log.
    pub enum ActorKind {
        /// A backoffice operator.
        Operator = "OPERATOR",
        /// A client service through the API.
        ClientService = "CLIENT_SERVICE",
        /// The platform itself (workers, schedules).
        System = "SYSTEM",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn wire<T: serde::Serialize>(value: T) -> String {
        serde_json::to_string(&value).unwrap()
    }

    #[test]
    fn api_spellings_are_exact() {
        assert_eq!(
            wire(OperationStatus::PendingExecution),
            "\"PENDING_EXECUTION\""
        );
        assert_eq!(
            wire(OperationStatus::ExecutionFailed),
            "\"EXECUTION_FAILED\""
        );
        assert_eq!(wire(SignStatus::ErrorSigning), "\"ERROR_SIGNING\"");
        assert_eq!(
            wire(SignError::InvalidCertAccessAccount),
            "\"INVALID_CERT_ACCESS_ACCOUNT\""
        );
        assert_eq!(
            wire(SignError::SignOperationInternalError),
            "\"SIGN_OPERATION_INTERNAL_ERROR\""
        );
        assert_eq!(wire(CipherStatus::NoCipher), "\"NO_CIPHER\"");
        assert_eq!(
            wire(StorageStatus::ContentNotStored),
            "\"CONTENT_NOT_STORED\""
        );
        assert_eq!(wire(DeliveryStatus::SendingFailed), "\"SENDING_FAILED\"");
        assert_eq!(wire(SignatureType::PAdES), "\"PAdES\"");
        assert_eq!(wire(SignatureType::XAdES), "\"XAdES\"");
        assert_eq!(wire(SignatureType::CAdES), "\"CAdES\"");
        assert_eq!(wire(FolderContent::Hash), "\"HASH\"");
        assert_eq!(wire(OperationType::Sign), "\"SIGN\"");
        assert_eq!(SignError::ALL.len(), 8);
        assert_eq!(DeliveryStatus::ALL.len(), 5);
    }

    #[test]
    fn every_value_round_trips_through_json_and_text() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr,
            T: serde::Serialize + serde::de::DeserializeOwned,
        {
            for &value in all {
                let json = serde_json::to_string(&value).unwrap();
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
                assert_eq!(json, format!("\"{value}\""));
                assert!(value.to_string().parse::<T>().ok() == Some(value));
            }
        }
        check(OperationStatus::ALL);
        check(SignStatus::ALL);
        check(SignError::ALL);
        check(CipherStatus::ALL);
        check(StorageStatus::ALL);
        check(DeliveryStatus::ALL);
        check(SignatureType::ALL);
        check(FolderContent::ALL);
        check(ClientServiceStatus::ALL);
        check(IssuerStatus::ALL);
        check(PartnerKind::ALL);
        check(OperatorStatus::ALL);
        check(KeySourceKind::ALL);
        check(TemplateKind::ALL);
        check(JwtAlgorithm::ALL);
    }

    #[test]
    fn unknown_and_differently_cased_values_are_refused() {
        assert!(serde_json::from_str::<SignatureType>("\"PADES\"").is_err());
        assert!(serde_json::from_str::<SignatureType>("\"pades\"").is_err());
        assert!(serde_json::from_str::<OperationStatus>("\"DONE\"").is_err());
        let err = "XADES".parse::<SignatureType>().unwrap_err();
        assert_eq!(err.to_string(), "\"XADES\" is not a valid SignatureType");
    }

    #[test]
    fn operation_status_follows_its_documents() {
        use SignStatus::*;
        assert_eq!(
            OperationStatus::from_documents([Signed, Signed]),
            OperationStatus::Executed
        );
        assert_eq!(
            OperationStatus::from_documents([Signed, ErrorSigning]),
            OperationStatus::ExecutionError
        );
        assert_eq!(
            OperationStatus::from_documents([ErrorSigning]),
            OperationStatus::ExecutionFailed
        );
        assert_eq!(
            OperationStatus::from_documents([Signed, Received]),
            OperationStatus::PendingExecution
        );
        assert_eq!(
            OperationStatus::from_documents([]),
            OperationStatus::PendingExecution
        );
    }
}
