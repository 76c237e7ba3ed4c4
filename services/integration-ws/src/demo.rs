//! Demo tenants for development and tests: partners with issuers, each with a client service
//! and its signing certificate (key sealed with the master key). Development only.

use signstash_domain::{Alias, ClientServiceId, KeySourceKind, Language, VatNumber};
use signstash_store::{certificates, client_services, companies, MasterKey, StoreError};
use sqlx::PgPool;

use crate::state::CERTIFICATE_KEY_CONTEXT;

/// One client service to create.
pub struct DemoClient<'a> {
    /// The partner company of its issuer: name and VAT number (found by VAT number, or created).
    pub partner_name: &'a str,
    pub partner_vat: &'a str,
    pub alias: &'a str,
    pub secret: &'a str,
    pub issuer_name: &'a str,
    pub issuer_vat: &'a str,
    /// The signer's private key (PEM) and its chain (PEM, signer first).
    pub key_pem: &'a [u8],
    pub chain_pem: &'a str,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The two demo tenants of `cargo xtask up` and of the tests: `demo` / `demo-secret` under
/// "Demo Issuer" (partner "Sign'Stash Demo Partner") and `demo2` / `demo2-secret` under "Demo
/// Issuer Two" of another partner ("Sign'Stash Demo Partner Two"), so that every backoffice
/// scope has something it must not see; both sign with the development PKI's signer found in
/// `pki` (`signer.key`, `signer.pem`, `ca.pem`).
pub async fn seed_demo_tenants(
    db: &PgPool,
    master_key: &MasterKey,
    pki: &std::path::Path,
) -> Result<Vec<ClientServiceId>, String> {
    let read = |name: &str| {
        std::fs::read(pki.join(name)).map_err(|e| format!("{}: {e}", pki.join(name).display()))
    };
    let key = read("signer.key")?;
    let chain = String::from_utf8(read("signer.pem")?).map_err(err)?
        + &String::from_utf8(read("ca.pem")?).map_err(err)?;
    let client = |partner: (&'static str, &'static str), alias, secret, issuer_name, issuer_vat| {
        DemoClient {
            partner_name: partner.0,
            partner_vat: partner.1,
            alias,
            secret,
            issuer_name,
            issuer_vat,
            key_pem: &key,
            chain_pem: &chain,
        }
    };
    seed(
        db,
        master_key,
        &[
            client(
                ("Sign'Stash Demo Partner", "500000000"),
                "demo",
                "demo-secret",
                "Demo Issuer",
                "500000018",
            ),
            client(
                ("Sign'Stash Demo Partner Two", "500000034"),
                "demo2",
                "demo2-secret",
                "Demo Issuer Two",
                "500000026",
            ),
        ],
    )
    .await
}

/// Creates, for each entry, its partner (or reuses the one with that VAT number) and, under
/// it, an issuer, a client service and its certificate. Existing aliases are left as they are.
pub async fn seed(
    db: &PgPool,
    master_key: &MasterKey,
    clients: &[DemoClient<'_>],
) -> Result<Vec<ClientServiceId>, String> {
    let mut ids = Vec::new();
    for c in clients {
        let alias = Alias::try_from(c.alias).map_err(err)?;
        if let Some(existing) = client_services::find_by_alias(db, &alias)
            .await
            .map_err(err)?
        {
            ids.push(existing.id);
            continue;
        }
        let partner = demo_partner(db, c.partner_name, c.partner_vat).await?;
        let issuer = companies::create_issuer(
            db,
            &companies::NewIssuerCompany {
                partner_company_id: signstash_domain::PartnerCompanyId(partner),
                name: c.issuer_name.into(),
                vat_number: VatNumber::try_from(c.issuer_vat).map_err(err)?,
                country_code: "PRT".into(),
                address: None,
                postal_code: None,
                city: Some("Lisboa".into()),
                email: None,
            },
        )
        .await
        .map_err(err)?;
        let sealed = master_key
            .seal(c.key_pem, CERTIFICATE_KEY_CONTEXT)
            .map_err(err)?;
        let certificate = certificates::create(
            db,
            &certificates::NewCertificate {
                issuer_company_id: issuer,
                certificate_authority_id: None,
                label: format!("{} signing certificate", c.issuer_name),
                chain_pem: c.chain_pem.into(),
                subject: None,
                serial_number: None,
                key_algorithm: None,
                not_before: None,
                not_after: None,
                key_source: KeySourceKind::KeyFile,
                key_reference: None,
                key_encrypted: Some(sealed),
                key_passphrase_encrypted: None,
                access_expires_at: None,
            },
        )
        .await
        .map_err(err)?;
        let secret_hash = signstash_oauth::hash_secret(c.secret).map_err(err)?;
        let id = client_services::create(
            db,
            &client_services::NewClientService {
                issuer_company_id: issuer,
                alias,
                name: format!("{} ERP", c.issuer_name),
                secret_hash,
                language: Language::PtPt,
                certificate_id: Some(certificate),
                concurrency_limit: 8,
            },
        )
        .await
        .map_err(|e: StoreError| e.to_string())?;
        ids.push(id);
    }
    Ok(ids)
}

/// The partner with VAT number `vat`, created as `name` when there is none.
async fn demo_partner(db: &PgPool, name: &str, vat: &str) -> Result<i64, String> {
    let vat = VatNumber::try_from(vat).map_err(err)?;
    if let Some(id) = sqlx::query_scalar("SELECT id FROM partner_companies WHERE vat_number = $1")
        .bind(vat.as_str())
        .fetch_optional(db)
        .await
        .map_err(err)?
    {
        return Ok(id);
    }
    Ok(companies::create_partner(
        db,
        &companies::NewPartnerCompany {
            name: name.into(),
            vat_number: vat,
            country_code: "PRT".into(),
            email: None,
        },
    )
    .await
    .map_err(err)?
    .0)
}

/// A UBL 2.1 invoice with an empty `ext:ExtensionContent` for the signature (the seed's example).
pub const SAMPLE_UBL_INVOICE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2">
  <ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent/></ext:UBLExtension></ext:UBLExtensions>
  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>
  <cbc:ID>FT 2026/123</cbc:ID>
  <cbc:IssueDate>2026-11-24</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>Demo Issuer, Lda.</cbc:Name></cac:PartyName></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Cliente Exemplo</cbc:Name></cac:PartyName></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">123.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cac:Item><cbc:Name>Manutenção</cbc:Name></cac:Item></cac:InvoiceLine>
</Invoice>
"#;

/// The sign request of the API page's example for [`SAMPLE_UBL_INVOICE`], with a fresh
/// external reference so it can be sent more than once.
pub fn sample_sign_request(reference: &str) -> serde_json::Value {
    use base64::Engine as _;
    serde_json::json!({
        "externalReference": reference,
        "description": "Demo invoice",
        "returnSignedContent": true,
        "documents": [{
            "documentRequest": {
                "externalReference": format!("{reference}-INV-123"),
                "name": "invoice-123.xml",
                "contentType": "text/xml",
                "base64Content": base64::engine::general_purpose::STANDARD.encode(SAMPLE_UBL_INVOICE)
            },
            "signatureInfo": {
                "signatureType": "XAdES",
                "applyTimestamp": true,
                "advancedSignatureInfo": {"signatureLocation": "ExtensionContent", "signatureTransform": "ENVELOPED", "canonicalTransform": "EXCLUSIVE"}
            }
        }]
    })
}
