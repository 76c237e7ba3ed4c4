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

/// Gets a timestamp token over the given bytes (B-T).
pub(crate) type Timestamp<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<u8>>;

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

// The two signed fragments are written twice: as they go into the document, and in their
// exclusive c14n as the apex of a subtree (namespaces declared where first used, empty elements
// as start and end tags), which is what is hashed and signed. Writing the canonical form
// directly spares parsing each fragment back; the values put in are base64, hex, a time and
// fixed URIs, none of which c14n escapes. Debug builds (every test) check both forms against
// `canonical_fragment`, and a unit test covers every combination of options.

/// `xades:SignedProperties`: its text and its canonical form.
fn signed_properties(
    id: &str,
    time: &str,
    alg: DigestAlgorithm,
    cert_digest: &str,
    issuer_serial: &str,
) -> (String, String) {
    let uri = alg.xmldsig_uri();
    let text = format!(
        r#"<xades:SignedProperties Id="xades-{id}"><xades:SignedSignatureProperties><xades:SigningTime>{time}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="{uri}"/><ds:DigestValue>{cert_digest}</ds:DigestValue></xades:CertDigest><xades:IssuerSerialV2>{issuer_serial}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties>"#
    );
    let canonical = format!(
        r#"<xades:SignedProperties xmlns:xades="{XADES_NS}" Id="xades-{id}"><xades:SignedSignatureProperties><xades:SigningTime>{time}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod xmlns:ds="{DSIG_NS}" Algorithm="{uri}"></ds:DigestMethod><ds:DigestValue xmlns:ds="{DSIG_NS}">{cert_digest}</ds:DigestValue></xades:CertDigest><xades:IssuerSerialV2>{issuer_serial}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties>"#
    );
    (text, canonical)
}

/// `ds:SignedInfo`: its text and its canonical form (the bytes that are signed).
fn signed_info(
    id: &str,
    params: &SignatureParams,
    signature_uri: &str,
    alg: DigestAlgorithm,
    doc_digest: &str,
    props_digest: &str,
) -> (String, String) {
    let c14n_uri = match params.canonical_transform {
        CanonicalTransform::Exclusive => signstash_xml::EXC_C14N,
        CanonicalTransform::ExclusiveWithComments => signstash_xml::EXC_C14N_WITH_COMMENTS,
    };
    let exc = signstash_xml::EXC_C14N;
    let uri = alg.xmldsig_uri();
    // (text, canonical) of the transform that leaves signatures out of the document digest.
    let (exclude, exclude_c) = match params.signature_transform {
        SignatureTransform::Enveloped => (
            format!(r#"<ds:Transform Algorithm="{ENVELOPED}"/>"#),
            format!(r#"<ds:Transform Algorithm="{ENVELOPED}"></ds:Transform>"#),
        ),
        SignatureTransform::XPath => {
            let t = format!(
                r#"<ds:Transform Algorithm="{XPATH}"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#
            );
            (t.clone(), t)
        }
        SignatureTransform::XPath2Filter => {
            let t = format!(
                r#"<ds:Transform Algorithm="{XPATH2}"><dsig-xpath:XPath xmlns:dsig-xpath="{XPATH2}" Filter="subtract">/descendant::ds:Signature</dsig-xpath:XPath></ds:Transform>"#
            );
            (t.clone(), t)
        }
    };
    let text = format!(
        r##"<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{exc}"/><ds:SignatureMethod Algorithm="{signature_uri}"/><ds:Reference Id="ref-{id}" URI=""><ds:Transforms>{exclude}<ds:Transform Algorithm="{c14n_uri}"/></ds:Transforms><ds:DigestMethod Algorithm="{uri}"/><ds:DigestValue>{doc_digest}</ds:DigestValue></ds:Reference><ds:Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#xades-{id}"><ds:Transforms><ds:Transform Algorithm="{exc}"/></ds:Transforms><ds:DigestMethod Algorithm="{uri}"/><ds:DigestValue>{props_digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"##
    );
    let canonical = format!(
        r##"<ds:SignedInfo xmlns:ds="{DSIG_NS}"><ds:CanonicalizationMethod Algorithm="{exc}"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="{signature_uri}"></ds:SignatureMethod><ds:Reference Id="ref-{id}" URI=""><ds:Transforms>{exclude_c}<ds:Transform Algorithm="{c14n_uri}"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="{uri}"></ds:DigestMethod><ds:DigestValue>{doc_digest}</ds:DigestValue></ds:Reference><ds:Reference Type="{SIGNED_PROPERTIES_TYPE}" URI="#xades-{id}"><ds:Transforms><ds:Transform Algorithm="{exc}"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="{uri}"></ds:DigestMethod><ds:DigestValue>{props_digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"##
    );
    (text, canonical)
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
    let (signed_properties, canonical_properties) =
        signed_properties(&id, &time, alg, &cert_digest, &issuer_serial);
    debug_assert_eq!(
        canonical_properties.as_bytes(),
        canonical_fragment(&wrap(&signed_properties), "SignedProperties")?,
        "the directly written canonical SignedProperties differs from its c14n"
    );
    let props_digest = B64.encode(alg.digest(canonical_properties.as_bytes())?);
    let (signed_info, canonical_info) = signed_info(
        &id,
        params,
        kind.xmldsig_signature_uri(alg),
        alg,
        &doc_digest,
        &props_digest,
    );
    debug_assert_eq!(
        canonical_info.as_bytes(),
        canonical_fragment(&wrap(&signed_info), "SignedInfo")?,
        "the directly written canonical SignedInfo differs from its c14n"
    );
    let to_be_signed = canonical_info.into_bytes();

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
    /// `timestamp`, for B-T, gets the canonical `ds:SignatureValue` element, which is what a
    /// XAdES `SignatureTimeStamp` covers (computed only then).
    pub fn finish(
        self,
        document: Bytes,
        value: &[u8],
        timestamp: Option<Timestamp<'_>>,
    ) -> Result<SignedDocument> {
        let id = &self.id;
        let signature_value = format!(
            r#"<ds:SignatureValue Id="{}">{}</ds:SignatureValue>"#,
            self.signature_value_id,
            B64.encode(value)
        );
        let token = match timestamp {
            None => None,
            Some(timestamp) => Some(timestamp(&canonical_fragment(
                &wrap(&signature_value),
                "SignatureValue",
            )?)?),
        };
        let unsigned = match token {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::Format;

    /// The canonical forms written directly equal the c14n of the written text, for every
    /// combination of options and both key kinds.
    #[test]
    fn directly_written_canonical_forms_equal_their_c14n() {
        let kinds = [
            KeyKind::Rsa { bits: 2048 },
            KeyKind::Ecdsa { field_bytes: 32 },
        ];
        let transforms = [
            SignatureTransform::Enveloped,
            SignatureTransform::XPath,
            SignatureTransform::XPath2Filter,
        ];
        let canonicals = [
            CanonicalTransform::Exclusive,
            CanonicalTransform::ExclusiveWithComments,
        ];
        let algs = [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ];
        let mut checked = 0;
        for alg in algs {
            let (text, canonical) = signed_properties(
                "0123456789abcdef",
                "2026-11-24T12:00:00Z",
                alg,
                "q83vEjRWeJA=",
                "MIIBCjCB+g==",
            );
            assert_eq!(
                canonical.as_bytes(),
                canonical_fragment(&wrap(&text), "SignedProperties").unwrap()
            );
            for kind in kinds {
                for transform in transforms {
                    for c14n in canonicals {
                        let mut params = SignatureParams::new(Format::Xades);
                        params.signature_transform = transform;
                        params.canonical_transform = c14n;
                        let (text, canonical) = signed_info(
                            "0123456789abcdef",
                            &params,
                            kind.xmldsig_signature_uri(alg),
                            alg,
                            "3q2+7w==",
                            "yv66vg==",
                        );
                        assert_eq!(
                            canonical.as_bytes(),
                            canonical_fragment(&wrap(&text), "SignedInfo").unwrap(),
                            "{kind:?} {transform:?} {c14n:?} {alg:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 3 * 2 * 3 * 2);
    }
}
