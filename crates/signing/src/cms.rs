//! CMS (RFC 5652) SignedData as PAdES, CAdES and RFC 3161 tokens need it.
//!
//! Signed attributes: content-type, message-digest and signing-certificate-v2 (RFC 5035), never
//! signing-time (PAdES takes the time from `/M` or a timestamp). The bytes that get signed are the
//! DER of the attribute SET (tag 0x31), as RFC 5652 §5.4 requires.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos, UnsignedAttributes,
};
use const_oid::db::rfc5911::{
    ID_AA_SIGNING_CERTIFICATE_V_2, ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

/// id-aa-signatureTimeStampToken (RFC 3161 appendix A).
pub(crate) const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub(crate) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

use crate::{Certificate, CertificateChain, DigestAlgorithm, KeyKind, Result};

/// ESSCertIDv2 (RFC 5035). `hash_algorithm` is left out for SHA-256, its DER default.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct EssCertIdV2 {
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// IssuerSerial (RFC 5035): also what XAdES `IssuerSerialV2` carries, base64-encoded.
#[derive(Clone, Debug, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

pub(crate) fn issuer_serial(cert: &Certificate) -> IssuerSerial {
    let tbs = &cert.x509().tbs_certificate;
    IssuerSerial {
        issuer: vec![GeneralName::DirectoryName(tbs.issuer.clone())],
        serial_number: tbs.serial_number.clone(),
    }
}

pub(crate) fn algorithm(oid: ObjectIdentifier, null_params: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: null_params.then_some(Any::null()),
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

/// The signing-certificate-v2 attribute for `cert`, hashed with SHA-256.
fn signing_certificate_v2(cert: &Certificate) -> Result<Attribute> {
    let id = EssCertIdV2 {
        hash_algorithm: None,
        cert_hash: OctetString::new(cert.digest(DigestAlgorithm::Sha256)?)?,
        issuer_serial: Some(issuer_serial(cert)),
    };
    let value = SigningCertificateV2 { certs: vec![id] };
    attribute(
        ID_AA_SIGNING_CERTIFICATE_V_2,
        Any::from_der(&value.to_der()?)?,
    )
}

/// Signed attributes over content of type `content_type` whose digest is `message_digest`.
pub(crate) fn signed_attributes(
    content_type: ObjectIdentifier,
    message_digest: &[u8],
    signer: &Certificate,
) -> Result<SignedAttributes> {
    let mut attrs = SetOfVec::new();
    attrs.insert(attribute(
        ID_CONTENT_TYPE,
        Any::from_der(&content_type.to_der()?)?,
    )?)?;
    attrs.insert(attribute(
        ID_MESSAGE_DIGEST,
        Any::from_der(&OctetString::new(message_digest)?.to_der()?)?,
    )?)?;
    attrs.insert(signing_certificate_v2(signer)?)?;
    Ok(attrs)
}

/// What the first phase fixed for a CMS signature; the second phase adds the signature value.
#[derive(Clone, Debug)]
pub(crate) struct CmsPrepared {
    pub signed_attrs: SignedAttributes,
    /// DER of `signed_attrs` as a SET: the bytes that get signed.
    pub to_be_signed: Vec<u8>,
    pub content_type: ObjectIdentifier,
    pub digest_alg: DigestAlgorithm,
}

impl CmsPrepared {
    pub fn new(
        content_type: ObjectIdentifier,
        digest_alg: DigestAlgorithm,
        content_digest: &[u8],
        signer: &Certificate,
    ) -> Result<Self> {
        let signed_attrs = signed_attributes(content_type, content_digest, signer)?;
        let to_be_signed = signed_attrs.to_der()?;
        Ok(Self {
            signed_attrs,
            to_be_signed,
            content_type,
            digest_alg,
        })
    }

    /// The `ContentInfo` (SignedData) DER. `econtent` is the encapsulated content for an
    /// attached signature; `timestamp_token` becomes the signature-time-stamp unsigned attribute.
    pub fn assemble(
        &self,
        chain: &CertificateChain,
        key_kind: KeyKind,
        signature: &[u8],
        econtent: Option<&[u8]>,
        timestamp_token: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        let signer = chain.signer().x509();
        let (sig_oid, sig_null) = key_kind.cms_signature_oid(self.digest_alg);
        let unsigned_attrs: Option<UnsignedAttributes> = match timestamp_token {
            Some(token) => {
                let mut set = SetOfVec::new();
                set.insert(attribute(
                    ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
                    Any::from_der(token)?,
                )?)?;
                Some(set)
            }
            None => None,
        };
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: signer.tbs_certificate.issuer.clone(),
                serial_number: signer.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: algorithm(self.digest_alg.oid(), false),
            signed_attrs: Some(self.signed_attrs.clone()),
            signature_algorithm: algorithm(sig_oid, sig_null),
            signature: OctetString::new(signature)?,
            unsigned_attrs,
        };
        let certs: Vec<CertificateChoices> = chain
            .all()
            .iter()
            .map(|c| CertificateChoices::Certificate(c.x509().clone()))
            .collect();
        let mut digest_algorithms = SetOfVec::new();
        digest_algorithms.insert(algorithm(self.digest_alg.oid(), false))?;
        let econtent = match econtent {
            Some(bytes) => Some(Any::from_der(&OctetString::new(bytes)?.to_der()?)?),
            None => None,
        };
        let signed_data = SignedData {
            version: if self.content_type == ID_DATA {
                CmsVersion::V1
            } else {
                CmsVersion::V3
            },
            digest_algorithms,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: self.content_type,
                econtent,
            },
            certificates: Some(CertificateSet::try_from(certs)?),
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info])?,
        };
        let ci = ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::from_der(&signed_data.to_der()?)?,
        };
        Ok(ci.to_der()?)
    }
}
