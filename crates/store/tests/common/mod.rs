//! Seeds shared by the database tests.
#![allow(dead_code, clippy::unwrap_used)]

use signstash_domain::{
    Alias, CertificateId, ClientServiceId, EmailAddress, ExternalReference, FolderContent,
    IssuerCompanyId, KeySourceKind, Language, SignatureType, VatNumber,
};
use signstash_store::operations::{NewDocument, NewOperation};
use signstash_store::{certificates, client_services, companies};
use sqlx::PgPool;

pub const CHAIN: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
pub const ARGON2: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

pub struct Tenant {
    pub issuer: IssuerCompanyId,
    pub client_service: ClientServiceId,
    pub certificate: CertificateId,
}

pub fn reference(s: &str) -> ExternalReference {
    ExternalReference::try_from(s).unwrap()
}

pub fn email(s: &str) -> EmailAddress {
    EmailAddress::try_from(s).unwrap()
}

/// A partner with one issuer, its certificate and a client service `alias` using it.
pub async fn tenant(pool: &PgPool, alias: &str) -> Tenant {
    let partner = companies::create_partner(
        pool,
        &companies::NewPartnerCompany {
            name: format!("Partner of {alias}"),
            vat_number: VatNumber::try_from(format!("ES{alias}P1").as_str()).unwrap(),
            country_code: "ESP".into(),
            email: None,
        },
    )
    .await
    .unwrap();
    let issuer = companies::create_issuer(
        pool,
        &companies::NewIssuerCompany {
            partner_company_id: partner,
            name: format!("Issuer of {alias}"),
            vat_number: VatNumber::try_from("PT507957547").unwrap(),
            country_code: "PRT".into(),
            address: Some("Rua 1".into()),
            postal_code: None,
            city: Some("Lisboa".into()),
            email: Some(email("issuer@example.com")),
        },
    )
    .await
    .unwrap();
    let certificate = certificates::create(
        pool,
        &certificates::NewCertificate {
            issuer_company_id: issuer,
            certificate_authority_id: None,
            label: "signing".into(),
            chain_pem: CHAIN.into(),
            subject: Some("CN=Issuer".into()),
            serial_number: None,
            key_algorithm: Some("RSA-2048".into()),
            not_before: None,
            not_after: None,
            key_source: KeySourceKind::KeyFile,
            key_reference: Some("/keys/issuer.pem".into()),
            key_encrypted: None,
            key_passphrase_encrypted: None,
            access_expires_at: None,
        },
    )
    .await
    .unwrap();
    let client_service = client_services::create(
        pool,
        &client_services::NewClientService {
            issuer_company_id: issuer,
            alias: Alias::try_from(alias).unwrap(),
            name: alias.into(),
            secret_hash: ARGON2.into(),
            language: Language::En,
            certificate_id: Some(certificate),
            concurrency_limit: 4,
        },
    )
    .await
    .unwrap();
    Tenant {
        issuer,
        client_service,
        certificate,
    }
}

pub fn document(reference_: &str) -> NewDocument {
    NewDocument {
        external_reference: reference(reference_),
        name: format!("{reference_}.xml"),
        content_type: "text/xml".into(),
        signature_type: SignatureType::XAdES,
        sign_options: serde_json::json!({"signatureType": "XAdES", "applyTimestamp": false}),
        content_length: 5120,
        storage_period_months: Some(120),
        digest_algorithm: None,
        digest: None,
    }
}

pub fn operation(
    client_service: ClientServiceId,
    reference_: &str,
    documents: &[&str],
    receivers: &[&str],
) -> NewOperation {
    NewOperation {
        client_service_id: client_service,
        external_reference: reference(reference_),
        description: "Invoices of November".into(),
        folder_content: FolderContent::Document,
        return_signed_content: true,
        preserve_content: false,
        attach_documents: false,
        documents: documents.iter().map(|d| document(d)).collect(),
        receivers: receivers.iter().map(|e| email(e)).collect(),
    }
}
