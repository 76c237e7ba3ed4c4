//! XAdES baseline (ETSI EN 319 132-1), enveloped, for XML such as UBL 2.1 invoices.
//!
//! The `ds:Signature` text is generated here and inserted into the original bytes; its digests
//! are computed by canonicalising the generated fragments with the same exclusive c14n a
//! verifier applies, so what is hashed is exactly what a verifier reconstructs.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use der::Encode;
use signstash_xml::{C14nOptions, Document, DSIG_NS, XADES_NS};

use crate::cms::issuer_serial;
use crate::{
    CertificateChain, DigestAlgorithm, Error, KeyKind, Result, SignatureParams, SignedDocument,
};

/// How the document reference leaves the signature out of its own digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SignatureTransform {
    /// `enveloped-signature`: this signature is left out; earlier ones are covered.
    #[default]
    Enveloped,
    /// XPath `not(ancestor-or-self::ds:Signature)`: every signature is left out, so later
    /// signatures can be added without breaking this one.
    XPath,
    /// XPath Filter 2.0 subtracting `/descendant::ds:Signature`, with the same effect.
    XPath2Filter,
}

/// The canonicalisation of the signed document: exclusive c14n, with or without comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CanonicalTransform {
    #[default]
    Exclusive,
    ExclusiveWithComments,
}

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const XPATH: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";
const XPATH2: &str = "http://www.w3.org/2002/06/xmldsig-filter2";
const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";

pub(crate) struct State {
    id: String,
    signed_info: String,
    signature_value_id: String,
    key_info: String,
    signed_properties: String,
    /// Where the signature goes: replace `replaced` bytes at `offset`; for a self-closing
    /// element, `close` is the end tag that follows the signature.
    offset: usize,
    replaced: usize,
    close: String,
}

fn random_id() -> Result<String> {
    let mut b = [0u8; 8];
    openssl::rand::rand_bytes(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Exclusive c14n of the first element named `local` in `fragment`, where `fragment` is a
/// generated `ds:Signature` piece. Exclusive c14n renders only namespaces an element uses, so
/// the result is the same as inside the signed document.
fn canonical_fragment(fragment: &str, local: &str) -> Result<Vec<u8>> {
    let doc = signstash_xml::parse(fragment.as_bytes())?;
    let node = signstash_xml::find_first_element_by_local_name(&doc, local)
        .ok_or_else(|| Error::SignatureLocationNotFound(local.to_string()))?;
    Ok(signstash_xml::canonicalize_to_vec(
        &doc,
        node,
        &C14nOptions::EXCLUSIVE,
        &signstash_xml::exclude_nothing,
    ))
}

fn wrap(inner: &str) -> String {
    format!(r#"<ds:Signature xmlns:ds="{DSIG_NS}" xmlns:xades="{XADES_NS}">{inner}</ds:Signature>"#)
}

fn document_digest(
    doc: &Document<'_>,
    transform: SignatureTransform,
    alg: DigestAlgorithm,
) -> Result<Vec<u8>> {
    // A same-document reference `URI=""` yields the node-set without comments (XML-DSig
    // §4.3.3.3), whichever c14n variant follows, and verifiers compute it that way.
    let opts = C14nOptions::EXCLUSIVE;
    let mut out = Vec::with_capacity(doc.input().len());
    match transform {
        // The new signature is not in the original yet, so nothing to leave out.
        SignatureTransform::Enveloped => signstash_xml::canonicalize(
            doc,
            doc.root(),
            &opts,
            &signstash_xml::exclude_nothing,
            &mut out,
        ),
        SignatureTransform::XPath | SignatureTransform::XPath2Filter => {
            signstash_xml::canonicalize(
                doc,
                doc.root(),
                &opts,
                &signstash_xml::is_dsig_signature,
                &mut out,
            )
        }
    }
    alg.digest(&out)
}

pub(crate) fn prepare(
    document: &[u8],
    params: &SignatureParams,
    chain: &CertificateChain,
    kind: KeyKind,
    alg: DigestAlgorithm,
    signing_time: time::OffsetDateTime,
) -> Result<(State, Vec<u8>)> {
    let limits = signstash_xml::Limits {
        max_bytes: params.max_document_size,
        ..Default::default()
    };
    // Lone carriage returns become line feeds (as any XML parser reads them) in a copy of the
    // same length, so offsets found in it are offsets in the original.
    let normalized = signstash_xml::normalize_line_endings(document);
    let doc = signstash_xml::parse_with(&normalized, &limits)?;
    let target = match &params.signature_location {
        Some(name) => signstash_xml::find_first_element_by_local_name(&doc, name)
            .ok_or_else(|| Error::SignatureLocationNotFound(name.clone()))?,
        None => doc.root_element(),
    };
    let plan = signstash_xml::plan_insertion_at_end_of_element(&doc, target, "")?;
    let close = if plan.replaced > 0 {
        plan.text.get(1..).unwrap_or_default().to_string()
    } else {
        String::new()
    };
    let doc_digest = B64.encode(document_digest(&doc, params.signature_transform, alg)?);

    let id = random_id()?;
    let signer = chain.signer();
    let cert_digest = B64.encode(signer.digest(alg)?);
    let issuer_serial = B64.encode(issuer_serial(signer).to_der()?);
    let time = signing_time
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .map_err(|e| Error::Key(format!("signing time: {e}")))?;
    let digest_method = format!(r#"<ds:DigestMethod Algorithm="{}"/>"#, alg.xmldsig_uri());
    let signed_properties = format!(
        r#"<xades:SignedProperties Id="xades-{id}"><xades:SignedSignatureProperties><xades:SigningTime>{time}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest>{digest_method}<ds:DigestValue>{cert_digest}</ds:DigestValue></xades:CertDigest><xades:IssuerSerialV2>{issuer_serial}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties>"#
    );
    let props_digest = B64.encode(alg.digest(&canonical_fragment(
        &wrap(&signed_properties),
        "SignedProperties",
    )?)?);

    let c14n_uri = match params.canonical_transform {
        CanonicalTransform::Exclusive => signstash_xml::EXC_C14N,
        CanonicalTransform::ExclusiveWithComments => signstash_xml::EXC_C14N_WITH_COMMENTS,
    };
    let exclude_transform = match params.signature_transform {
        SignatureTransform::Enveloped => format!(r#"<ds:Transform Algorithm="{ENVELOPED}"/>"#),
        SignatureTransform::XPath => {
            format!(
                r#"<ds:Transform Algorithm="{XPATH}"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#
            )
        }
        SignatureTransform::XPath2Filter => format!(
            r#"<ds:Transform Algorithm="{XPATH2}"><dsig-xpath:XPath xmlns:dsig-xpath="{XPATH2}" Filter="subtract">/descendant::ds:Signature</dsig-xpath:XPath></ds:Transform>"#
        ),
    };
    let signed_info = format!(
        r##"<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{exc}"/><ds:SignatureMethod Algorithm="{sig}"/><ds:Reference Id="ref-{id}" URI=""><ds:Transforms>{exclude_transform}<ds:Transform Algorithm="{c14n_uri}"/></ds:Transforms>{digest_method}<ds:DigestValue>{doc_digest}</ds:DigestValue></ds:Reference><ds:Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#xades-{id}"><ds:Transforms><ds:Transform Algorithm="{exc}"/></ds:Transforms>{digest_method}<ds:DigestValue>{props_digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"##,
        exc = signstash_xml::EXC_C14N,
        sig = kind.xmldsig_signature_uri(alg),
    );
    let to_be_signed = canonical_fragment(&wrap(&signed_info), "SignedInfo")?;

    let mut key_info = String::from("<ds:KeyInfo><ds:X509Data>");
    for cert in chain.all() {
        key_info.push_str("<ds:X509Certificate>");
        key_info.push_str(&B64.encode(cert.der()));
        key_info.push_str("</ds:X509Certificate>");
    }
    key_info.push_str("</ds:X509Data></ds:KeyInfo>");

    let state = State {
        signature_value_id: format!("value-{id}"),
        id,
        signed_info,
        key_info,
        signed_properties,
        offset: plan.offset,
        replaced: plan.replaced,
        close,
    };
    Ok((state, to_be_signed))
}

impl State {
    /// `value` is the XML-DSig form of the signature value (ECDSA as `r || s`).
    /// `timestamp_over` gets the canonical `ds:SignatureValue` element, which is what a XAdES
    /// `SignatureTimeStamp` covers.
    pub fn finish(
        self,
        document: Bytes,
        value: &[u8],
        timestamp_over: impl FnOnce(&[u8]) -> Result<Option<Vec<u8>>>,
    ) -> Result<SignedDocument> {
        let id = &self.id;
        let signature_value = format!(
            r#"<ds:SignatureValue Id="{}">{}</ds:SignatureValue>"#,
            self.signature_value_id,
            B64.encode(value)
        );
        let canonical_value = canonical_fragment(&wrap(&signature_value), "SignatureValue")?;
        let unsigned = match timestamp_over(&canonical_value)? {
            None => String::new(),
            Some(token) => format!(
                r#"<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="ts-{id}"><ds:CanonicalizationMethod Algorithm="{}"/><xades:EncapsulatedTimeStamp>{}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp></xades:UnsignedSignatureProperties></xades:UnsignedProperties>"#,
                signstash_xml::EXC_C14N,
                B64.encode(token)
            ),
        };
        let mut text = String::with_capacity(
            self.signed_info.len() + self.key_info.len() + self.signed_properties.len() + 1024,
        );
        if self.replaced > 0 {
            text.push('>');
        }
        text.push_str(&format!(
            r##"<ds:Signature xmlns:ds="{DSIG_NS}" Id="sig-{id}">{}{signature_value}{}<ds:Object><xades:QualifyingProperties xmlns:xades="{XADES_NS}" Target="#sig-{id}">{}{unsigned}</xades:QualifyingProperties></ds:Object></ds:Signature>"##,
            self.signed_info, self.key_info, self.signed_properties
        ));
        text.push_str(&self.close);
        let len = document.len();
        Ok(SignedDocument::new(document)
            .original(0..self.offset)
            .new_bytes(text.into_bytes())
            .original(self.offset + self.replaced..len))
    }
}
