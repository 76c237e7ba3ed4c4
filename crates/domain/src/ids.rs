//! Typed ids. Each is the `BIGSERIAL` of its table; they are plain numbers on the wire.

macro_rules! id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

id!(
    /// A partner company (integrator or reseller), child of the system.
    PartnerCompanyId
);
id!(
    /// An issuer company (the one whose documents are signed), child of a partner.
    IssuerCompanyId
);
id!(
    /// A client service (an ERP, an invoicing program): the API tenant.
    ClientServiceId
);
id!(
    /// A backoffice operator.
    OperatorId
);
id!(
    /// A certificate authority configured by the system administrator.
    CertificateAuthorityId
);
id!(
    /// A signing certificate of an issuer company.
    CertificateId
);
id!(
    /// A sign operation (`SignOperation.id`, also `folder.folderId`).
    OperationId
);
id!(
    /// A document of an operation (`internalId` on the wire).
    DocumentId
);
id!(
    /// One e-mail to one receiver, an outbox entry.
    DeliveryId
);
id!(
    /// A link to the client portal sent to a receiver.
    PortalLinkId
);
id!(
    /// A template (e-mail, portal, signature text).
    TemplateId
);
id!(
    /// A usage limit.
    UsageLimitId
);
id!(
    /// An audit log entry.
    AuditLogId
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbers_on_the_wire() {
        assert_eq!(serde_json::to_string(&OperationId(4211)).unwrap(), "4211");
        let id: DocumentId = serde_json::from_str("9001").unwrap();
        assert_eq!(id, DocumentId(9001));
        assert!(serde_json::from_str::<DocumentId>("\"9001\"").is_err());
        assert_eq!("42".parse::<OperationId>().unwrap(), OperationId(42));
        assert!("4x".parse::<OperationId>().is_err());
        assert_eq!(OperationId(7).to_string(), "7");
    }
}
