//! Our own verifier: whether a signed document is still what its signer signed, checked
//! against the certificates we hold for its issuer. It serves the client portal's
//! "intact / modified" column; the tests still judge our *signatures* with independent
//! validators (pyHanko, xmlsec1, openssl), never with this module.
//!
//! What is checked, per format (the signature examined is the last one in the document):
//!
//! - **PAdES**: the last `/ByteRange` starts at 0 and ends at the end of the file (nothing
//!   was appended after signing), the gap holds exactly the hex `/Contents`, and OpenSSL's
//!   `CMS_verify` accepts the CMS over the ranged bytes (message digest and signature value).
//! - **XAdES**: `ds:SignedInfo` (exclusive c14n, with or without comments) verifies with the
//!   certificate in `ds:KeyInfo` (RSA PKCS#1 v1.5 or ECDSA, SHA-256/384/512); every
//!   `ds:Reference` digest matches: `URI=""` with the enveloped, XPath
//!   `not(ancestor-or-self::ds:Signature)` or XPath Filter 2.0 subtract transforms, and
//!   same-document `#id` references (the XAdES `SignedProperties`). `SigningCertificateV2`
//!   must name that certificate.
//! - **CAdES**: with the content, `CMS_verify` as for PAdES; a detached `.p7s` without its
//!   content gets its signature value checked over the signed attributes only
//!   ([`Verification::content_checked`] is then `false`).
//! - **Timestamps** (B-T): the token's message imprint covers the signature value (the
//!   canonical `ds:SignatureValue` for XAdES) and the token's own CMS signature verifies with
//!   the authority's certificate it carries.
//! - **Signer**: the certificate that verified must chain, through the certificates the
//!   signature carries, to one of `trusted` (a stored certificate itself counts: partial
//!   chains are accepted). Validity periods are not checked: the question is "was this
//!   changed", not "would this certificate sign today".
//!
//! Anything this module does not understand (other transforms, an `InclusiveNamespaces`
//! prefix list, RSA-PSS in XML) is [`Integrity::Unverifiable`], never intact.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::sign::Verifier;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509StoreContext, X509};
use signstash_xml::{C14nOptions, Document, Node, DSIG_NS, XADES_NS};
use time::OffsetDateTime;

use crate::cms::ID_AA_SIGNATURE_TIME_STAMP_TOKEN;
use crate::{Certificate, DigestAlgorithm, Format};

/// id-aa-signingTime (RFC 5652 §11.3).
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const XPATH: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";
const XPATH2: &str = "http://www.w3.org/2002/06/xmldsig-filter2";

/// The verdict on a document's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity {
    /// Every check passed: the document is what the trusted signer signed.
    Intact,
    /// A check failed: bytes changed, a signature does not verify, or the signer is not one
    /// of the trusted certificates.
    Modified,
    /// The signature uses something this verifier does not check; it is not called intact.
    Unverifiable,
}

/// An RFC 3161 timestamp found on the signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// `genTime`.
    pub time: OffsetDateTime,
    /// The authority: the TSTInfo `tsa` name, else its certificate's subject.
    pub authority: Option<String>,
}

/// What [`verify`] found.
#[derive(Clone, Debug)]
pub struct Verification {
    pub integrity: Integrity,
    /// Why it is not intact (for logs and operators; not meant for end users as is).
    pub problem: Option<String>,
    /// The signer certificate's subject (RFC 4514), when one was found.
    pub signer: Option<String>,
    /// The claimed signing time (XAdES `SigningTime`, PAdES `/M`, CMS signing-time).
    pub signing_time: Option<OffsetDateTime>,
    /// The signature timestamp, when there is one (and it checked, when intact).
    pub timestamp: Option<Timestamp>,
    /// `false` only for a detached CAdES signature checked without its content.
    pub content_checked: bool,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.integrity == Integrity::Intact
    }
}

/// A failed check, and whether it means "changed" or "not understood".
enum Failure {
    Modified(String),
    Unverifiable(String),
}

type Check<T> = std::result::Result<T, Failure>;

fn modified(msg: impl Into<String>) -> Failure {
    Failure::Modified(msg.into())
}

fn unverifiable(msg: impl Into<String>) -> Failure {
    Failure::Unverifiable(msg.into())
}

impl From<openssl::error::ErrorStack> for Failure {
    fn from(e: openssl::error::ErrorStack) -> Self {
        modified(format!("cryptography: {e}"))
    }
}

impl From<der::Error> for Failure {
    fn from(e: der::Error) -> Self {
        modified(format!("ASN.1: {e}"))
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        modified(e.to_string())
    }
}

/// What the format-specific checks collect on the way.
#[derive(Default)]
struct Found {
    signer: Option<Certificate>,
    /// The other certificates the signature carries (chain building).
    carried: Vec<Certificate>,
    signing_time: Option<OffsetDateTime>,
    timestamp: Option<Timestamp>,
    content_checked: bool,
}

/// Verifies the last signature of `signed` (a document signed in `format`).
///
/// `detached_content` is the signed content of a detached CAdES signature, when known.
/// `trusted` are the certificates the signer must chain to (the issuer's stored chains).
pub fn verify(
    format: Format,
    signed: &[u8],
    detached_content: Option<&[u8]>,
    trusted: &[Certificate],
) -> Verification {
    let mut found = Found {
        content_checked: true,
        ..Found::default()
    };
    let checked = match format {
        Format::Pades => pades(signed, &mut found),
        Format::Xades => xades(signed, &mut found),
        Format::Cades => cades(signed, detached_content, &mut found),
    }
    .and_then(|()| {
        let signer = found
            .signer
            .as_ref()
            .ok_or_else(|| modified("no signer certificate"))?;
        chains_to(signer, &found.carried, trusted)
    });
    let (integrity, problem) = match checked {
        Ok(()) => (Integrity::Intact, None),
        Err(Failure::Modified(m)) => (Integrity::Modified, Some(m)),
        Err(Failure::Unverifiable(m)) => (Integrity::Unverifiable, Some(m)),
    };
    Verification {
        integrity,
        problem,
        signer: found.signer.as_ref().map(Certificate::subject_string),
        signing_time: found.signing_time,
        timestamp: found.timestamp,
        content_checked: found.content_checked,
    }
}

/// The signer's certificate chains (through `carried`) to one of `trusted`.
fn chains_to(signer: &Certificate, carried: &[Certificate], trusted: &[Certificate]) -> Check<()> {
    if trusted.is_empty() {
        return Err(modified(
            "no stored certificate to check the signer against",
        ));
    }
    let mut store = X509StoreBuilder::new()?;
    for cert in trusted {
        store.add_cert(X509::from_der(cert.der())?)?;
    }
    // A stored signing certificate is trusted as such; dates are not the question here.
    store.set_flags(X509VerifyFlags::PARTIAL_CHAIN | X509VerifyFlags::NO_CHECK_TIME)?;
    let store = store.build();
    let mut chain = Stack::new()?;
    for cert in carried {
        chain.push(X509::from_der(cert.der())?)?;
    }
    let leaf = X509::from_der(signer.der())?;
    let mut context = X509StoreContext::new()?;
    let mut reason = String::new();
    let ok = context.init(&store, &leaf, &chain, |c| {
        let ok = c.verify_cert()?;
        if !ok {
            reason = c.error().to_string();
        }
        Ok(ok)
    })?;
    if ok {
        Ok(())
    } else {
        Err(modified(format!(
            "the signer ({}) does not chain to the stored certificates: {reason}",
            signer.subject_string()
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// CMS (PAdES, CAdES, timestamp tokens)

/// The DER `ContentInfo` at the start of `bytes` (trailing padding, as in a PDF `/Contents`,
/// is cut off by the DER length).
fn der_prefix(bytes: &[u8]) -> Check<&[u8]> {
    let mut reader = der::SliceReader::new(bytes)?;
    let header = der::Header::decode(&mut reader)?;
    let total = (header.encoded_len()? + header.length)?;
    let total = usize::try_from(total).map_err(|_| modified("DER length"))?;
    bytes
        .get(..total)
        .ok_or_else(|| modified("the CMS is truncated"))
}

fn signed_data(der: &[u8]) -> Check<SignedData> {
    let ci = ContentInfo::from_der(der).map_err(|e| modified(format!("not a CMS: {e}")))?;
    if ci.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Err(modified("the CMS is not SignedData"));
    }
    ci.content
        .decode_as::<SignedData>()
        .map_err(|e| modified(format!("SignedData: {e}")))
}

fn certificates_of(sd: &SignedData) -> Check<Vec<Certificate>> {
    let mut out = Vec::new();
    for choice in sd.certificates.iter().flat_map(|set| set.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(c) = choice {
            out.push(Certificate::from_der(&c.to_der()?)?);
        }
    }
    Ok(out)
}

/// The certificate a `SignerInfo` names (issuer and serial, or subject key identifier).
fn find_signer(si: &SignerInfo, certs: &[Certificate]) -> Option<Certificate> {
    certs
        .iter()
        .find(|c| {
            let tbs = &c.x509().tbs_certificate;
            match &si.sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    ias.issuer == tbs.issuer && ias.serial_number == tbs.serial_number
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
                    .extensions
                    .iter()
                    .flatten()
                    .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
                    .and_then(|e| der::asn1::OctetString::from_der(e.extn_value.as_bytes()).ok())
                    .is_some_and(|k| k.as_bytes() == ski.0.as_bytes()),
            }
        })
        .cloned()
}

/// The only `SignerInfo` of `sd`, its certificate (→ `found`), the signing time and the
/// timestamp.
fn examine_cms(sd: &SignedData, found: &mut Found) -> Check<SignerInfo> {
    let si = match sd.signer_infos.0.as_slice() {
        [si] => si.clone(),
        [] => return Err(modified("the CMS has no signer")),
        _ => return Err(unverifiable("the CMS has several signers")),
    };
    let certs = certificates_of(sd)?;
    let signer =
        find_signer(&si, &certs).ok_or_else(|| modified("the signer's certificate is missing"))?;
    found.carried = certs
        .into_iter()
        .filter(|c| c.der() != signer.der())
        .collect();
    found.signer = Some(signer);
    if let Some(attrs) = &si.signed_attrs {
        if let Some(attr) = attrs.iter().find(|a| a.oid == ID_SIGNING_TIME) {
            if let Some(value) = attr.values.iter().next() {
                found.signing_time = x509_cert::time::Time::from_der(&value.to_der()?)
                    .ok()
                    .and_then(|t| {
                        OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
                            .ok()
                    });
            }
        }
    }
    if let Some(attrs) = &si.unsigned_attrs {
        if let Some(attr) = attrs
            .iter()
            .find(|a| a.oid == ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
        {
            let token = attr
                .values
                .iter()
                .next()
                .ok_or_else(|| modified("empty timestamp attribute"))?
                .to_der()?;
            found.timestamp = Some(check_timestamp(&token, si.signature.as_bytes())?);
        }
    }
    Ok(si)
}

/// `CMS_verify` of `der` over `content` (or its encapsulated content): message digest and
/// signature value, not the certificate (that is [`chains_to`]'s job).
fn openssl_cms_verify(der: &[u8], content: Option<&[u8]>) -> Check<()> {
    let mut cms = CmsContentInfo::from_der(der)?;
    cms.verify(
        None,
        None,
        content,
        None,
        CMSOptions::BINARY | CMSOptions::NO_SIGNER_CERT_VERIFY,
    )
    .map_err(|e| modified(format!("the signature does not verify: {e}")))
}

/// Checks a timestamp token over `signed`, the bytes it must cover; returns its time and
/// authority.
fn check_timestamp(token: &[u8], covered: &[u8]) -> Check<Timestamp> {
    let ci = ContentInfo::from_der(token).map_err(|e| modified(format!("timestamp: {e}")))?;
    let tst = crate::tsp::tst_info(&ci)?;
    let alg = DigestAlgorithm::from_oid(&tst.message_imprint.hash_algorithm.oid)
        .ok_or_else(|| unverifiable("timestamp: unknown digest algorithm"))?;
    if alg.digest(covered)? != tst.message_imprint.hashed_message.as_bytes() {
        return Err(modified("the timestamp does not cover this signature"));
    }
    openssl_cms_verify(token, None)
        .map_err(|_| modified("the timestamp token's signature does not verify"))?;
    let time = OffsetDateTime::from_unix_timestamp(
        i64::try_from(tst.gen_time.to_unix_duration().as_secs())
            .map_err(|_| modified("timestamp time"))?,
    )
    .map_err(|_| modified("timestamp time"))?;
    let authority = match &tst.tsa {
        Some(x509_cert::ext::pkix::name::GeneralName::DirectoryName(name)) => {
            Some(name.to_string())
        }
        _ => signed_data(token)
            .ok()
            .and_then(|sd| {
                let certs = certificates_of(&sd).ok()?;
                let si = sd.signer_infos.0.as_slice().first()?.clone();
                find_signer(&si, &certs)
            })
            .map(|c| c.subject_string()),
    };
    Ok(Timestamp { time, authority })
}

// ---------------------------------------------------------------------------------------------
// PAdES

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn is_pdf_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// The four numbers of the `[a b c d]` at the start of `text`.
fn byte_range(text: &[u8]) -> Option<[usize; 4]> {
    let mut i = text.iter().position(|b| !is_pdf_space(*b))?;
    if text.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let mut numbers = [0usize; 4];
    for n in &mut numbers {
        while text.get(i).is_some_and(|b| is_pdf_space(*b)) {
            i += 1;
        }
        let start = i;
        while text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        *n = std::str::from_utf8(text.get(start..i)?)
            .ok()?
            .parse()
            .ok()?;
    }
    while text.get(i).is_some_and(|b| is_pdf_space(*b)) {
        i += 1;
    }
    (text.get(i) == Some(&b']')).then_some(numbers)
}

/// A PDF date `D:YYYYMMDDHHmmSS+HH'mm'` (or `Z`), as in `/M`.
fn pdf_date(text: &[u8]) -> Option<OffsetDateTime> {
    let s = std::str::from_utf8(text).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(num(4..6).unwrap_or(1)).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(year, month, u8::try_from(num(6..8).unwrap_or(1)).ok()?)
            .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(8..10).unwrap_or(0)).ok()?,
        u8::try_from(num(10..12).unwrap_or(0)).ok()?,
        u8::try_from(num(12..14).unwrap_or(0)).ok()?,
    )
    .ok()?;
    let offset = match s.as_bytes().get(14) {
        Some(sign @ (b'+' | b'-')) => {
            let h = i8::try_from(num(15..17)?).ok()?;
            let m = i8::try_from(num(18..20).unwrap_or(0)).ok()?;
            let (h, m) = if *sign == b'-' { (-h, -m) } else { (h, m) };
            time::UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => time::UtcOffset::UTC,
    };
    Some(time::PrimitiveDateTime::new(date, t).assume_offset(offset))
}

fn pades(pdf: &[u8], found: &mut Found) -> Check<()> {
    let at = rfind(pdf, b"/ByteRange").ok_or_else(|| modified("no PDF signature"))?;
    let [a, b, c, d] = byte_range(&pdf[at + b"/ByteRange".len()..])
        .ok_or_else(|| modified("unreadable /ByteRange"))?;
    if a != 0 || b >= c || c.checked_add(d) != Some(pdf.len()) {
        return Err(modified(
            "the signed byte range does not cover the whole document (changed after signing)",
        ));
    }
    let gap = &pdf[b..c];
    let hex_text = gap
        .strip_prefix(b"<")
        .and_then(|g| g.strip_suffix(b">"))
        .ok_or_else(|| modified("the byte range gap is not the /Contents string"))?;
    if hex_text.len() % 2 != 0 || !hex_text.iter().all(u8::is_ascii_hexdigit) {
        return Err(modified("/Contents is not hexadecimal"));
    }
    let bytes: Vec<u8> = hex_text
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16).unwrap_or(0);
            let lo = char::from(pair[1]).to_digit(16).unwrap_or(0);
            (hi * 16 + lo) as u8
        })
        .collect();
    let der = der_prefix(&bytes)?;
    // The claimed time: `/M` of the signature dictionary, around the byte range.
    let window = &pdf[at.saturating_sub(4096)..(c + 4096).min(pdf.len())];
    found.signing_time = find_pdf_m(window);
    let sd = signed_data(der)?;
    examine_cms(&sd, found)?;
    let mut content = Vec::with_capacity(b + d);
    content.extend_from_slice(&pdf[..b]);
    content.extend_from_slice(&pdf[c..]);
    openssl_cms_verify(der, Some(&content))
}

fn find_pdf_m(window: &[u8]) -> Option<OffsetDateTime> {
    let mut i = 0;
    while let Some(p) = window[i..].windows(2).position(|w| w == b"/M") {
        let rest = &window[i + p + 2..];
        let skip = rest.iter().take_while(|b| is_pdf_space(**b)).count();
        if rest.get(skip) == Some(&b'(') {
            let body = &rest[skip + 1..];
            let end = body.iter().position(|b| *b == b')')?;
            return pdf_date(&body[..end]);
        }
        i += p + 2;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// CAdES

fn cades(p7s: &[u8], content: Option<&[u8]>, found: &mut Found) -> Check<()> {
    let der = der_prefix(p7s)?;
    if der.len() != p7s.len() {
        return Err(modified("bytes after the CMS"));
    }
    let sd = signed_data(der)?;
    let si = examine_cms(&sd, found)?;
    let attached = sd.encap_content_info.econtent.is_some();
    match (attached, content) {
        (true, _) => openssl_cms_verify(der, None),
        (false, Some(content)) => openssl_cms_verify(der, Some(content)),
        (false, None) => {
            found.content_checked = false;
            // Without the content only the signature over the signed attributes can be
            // checked (the message digest in them stays unconfirmed).
            let attrs = si
                .signed_attrs
                .as_ref()
                .ok_or_else(|| unverifiable("a detached signature without signed attributes"))?;
            let alg = DigestAlgorithm::from_oid(&si.digest_alg.oid)
                .ok_or_else(|| unverifiable("unknown digest algorithm"))?;
            let signer = found
                .signer
                .as_ref()
                .ok_or_else(|| modified("no signer certificate"))?;
            let mut verifier = Verifier::new(alg.message_digest(), signer.public_key()?)?;
            verifier.update(&attrs.to_der()?)?;
            if verifier.verify(si.signature.as_bytes())? {
                Ok(())
            } else {
                Err(modified("the signature value does not verify"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XAdES

fn dsig_child<'a, 'input>(parent: Node<'a, 'input>, local: &str) -> Option<Node<'a, 'input>> {
    parent.children().find(|n| {
        n.is_element() && n.tag_name().namespace() == Some(DSIG_NS) && n.tag_name().name() == local
    })
}

fn algorithm_of<'a>(parent: Node<'a, '_>, local: &str) -> Check<&'a str> {
    dsig_child(parent, local)
        .and_then(|n| n.attribute("Algorithm"))
        .ok_or_else(|| modified(format!("ds:{local} is missing")))
}

fn c14n_options(uri: &str) -> Check<C14nOptions> {
    match uri {
        signstash_xml::EXC_C14N => Ok(C14nOptions::EXCLUSIVE),
        signstash_xml::EXC_C14N_WITH_COMMENTS => Ok(C14nOptions::EXCLUSIVE_WITH_COMMENTS),
        other => Err(unverifiable(format!("canonicalization {other}"))),
    }
}

fn digest_of_uri(uri: &str) -> Check<DigestAlgorithm> {
    [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ]
    .into_iter()
    .find(|a| a.xmldsig_uri() == uri)
    .ok_or_else(|| unverifiable(format!("digest method {uri}")))
}

/// `(digest, is ECDSA)` of an XML-DSig signature method.
fn signature_method(uri: &str) -> Check<(DigestAlgorithm, bool)> {
    let (family, digest) = uri
        .strip_prefix("http://www.w3.org/2001/04/xmldsig-more#")
        .and_then(|rest| rest.split_once('-'))
        .ok_or_else(|| unverifiable(format!("signature method {uri}")))?;
    let digest = match digest {
        "sha256" => DigestAlgorithm::Sha256,
        "sha384" => DigestAlgorithm::Sha384,
        "sha512" => DigestAlgorithm::Sha512,
        _ => return Err(unverifiable(format!("signature method {uri}"))),
    };
    match family {
        "rsa" => Ok((digest, false)),
        "ecdsa" => Ok((digest, true)),
        _ => Err(unverifiable(format!("signature method {uri}"))),
    }
}

fn base64_text(node: Option<Node<'_, '_>>, what: &str) -> Check<Vec<u8>> {
    let text: String = node
        .ok_or_else(|| modified(format!("{what} is missing")))?
        .descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect::<String>()
        .split_ascii_whitespace()
        .collect();
    B64.decode(text)
        .map_err(|_| modified(format!("{what} is not base64")))
}

/// An XML-DSig ECDSA value (`r || s`) as the DER `ECDSA-Sig-Value` OpenSSL checks.
fn ecdsa_der(value: &[u8]) -> Check<Vec<u8>> {
    if value.is_empty() || value.len() % 2 != 0 {
        return Err(modified("malformed ECDSA signature value"));
    }
    let (r, s) = value.split_at(value.len() / 2);
    let sig = openssl::ecdsa::EcdsaSig::from_private_components(
        openssl::bn::BigNum::from_slice(r)?,
        openssl::bn::BigNum::from_slice(s)?,
    )?;
    Ok(sig.to_der()?)
}

fn element_with_id<'a, 'input>(doc: &'a Document<'input>, id: &str) -> Check<Node<'a, 'input>> {
    let mut matches = doc.tree().descendants().filter(|n| {
        n.is_element()
            && n.attributes()
                .any(|a| matches!(a.name(), "Id" | "ID" | "id") && a.value() == id)
    });
    let first = matches
        .next()
        .ok_or_else(|| modified(format!("no element with Id `{id}`")))?;
    if matches.next().is_some() {
        // Two elements with one Id is the classic signature-wrapping set-up.
        return Err(modified(format!("several elements with Id `{id}`")));
    }
    Ok(first)
}

/// The digest a `ds:Reference` claims matches what it points at.
fn check_reference(
    doc: &Document<'_>,
    signature: Node<'_, '_>,
    reference: Node<'_, '_>,
) -> Check<()> {
    let uri = reference
        .attribute("URI")
        .ok_or_else(|| unverifiable("a reference without URI"))?;
    let transforms: Vec<Node<'_, '_>> = dsig_child(reference, "Transforms")
        .map(|t| {
            t.children()
                .filter(|n| n.is_element() && n.tag_name().name() == "Transform")
                .collect()
        })
        .unwrap_or_default();
    // What the transforms leave out, and the final canonicalization.
    let mut exclude_this = false;
    let mut exclude_all = false;
    let mut opts = None;
    for t in &transforms {
        let alg = t
            .attribute("Algorithm")
            .ok_or_else(|| modified("a transform without Algorithm"))?;
        if t.descendants()
            .any(|n| n.is_element() && n.tag_name().name() == "InclusiveNamespaces")
        {
            return Err(unverifiable("InclusiveNamespaces prefix lists"));
        }
        match alg {
            ENVELOPED => exclude_this = true,
            XPATH => {
                let expr: String = t
                    .descendants()
                    .filter(|n| n.is_text())
                    .filter_map(|n| n.text())
                    .collect();
                if expr.split_whitespace().collect::<String>()
                    != "not(ancestor-or-self::ds:Signature)"
                {
                    return Err(unverifiable(format!("XPath `{}`", expr.trim())));
                }
                exclude_all = true;
            }
            XPATH2 => {
                let filter = t
                    .descendants()
                    .find(|n| n.is_element() && n.tag_name().name() == "XPath")
                    .ok_or_else(|| modified("an XPath Filter 2.0 transform without XPath"))?;
                let expr: String = filter
                    .descendants()
                    .filter(|n| n.is_text())
                    .filter_map(|n| n.text())
                    .collect();
                if filter.attribute("Filter") != Some("subtract")
                    || expr.trim() != "/descendant::ds:Signature"
                {
                    return Err(unverifiable(format!("XPath Filter 2.0 `{}`", expr.trim())));
                }
                exclude_all = true;
            }
            other => opts = Some(c14n_options(other)?),
        }
    }
    let digest_alg = digest_of_uri(algorithm_of(reference, "DigestMethod")?)?;
    let expected = base64_text(dsig_child(reference, "DigestValue"), "ds:DigestValue")?;
    let canonical = if uri.is_empty() {
        // A same-document reference is the node-set without comments (XML-DSig §4.3.3.3).
        let opts = C14nOptions::EXCLUSIVE;
        let exclude = |n: Node<'_, '_>| {
            (exclude_all && signstash_xml::is_dsig_signature(n)) || (exclude_this && n == signature)
        };
        signstash_xml::canonicalize_to_vec(doc, doc.root(), &opts, &exclude)
    } else if let Some(id) = uri.strip_prefix('#') {
        let target = element_with_id(doc, id)?;
        let opts = opts.unwrap_or(C14nOptions::EXCLUSIVE);
        let exclude = |n: Node<'_, '_>| {
            (exclude_all && signstash_xml::is_dsig_signature(n)) || (exclude_this && n == signature)
        };
        signstash_xml::canonicalize_to_vec(doc, target, &opts, &exclude)
    } else {
        return Err(unverifiable(format!("an external reference `{uri}`")));
    };
    if digest_alg.digest(&canonical)? == expected {
        Ok(())
    } else if uri.is_empty() {
        Err(modified(
            "the document's content changed after it was signed",
        ))
    } else {
        Err(modified(format!("the signed element `{uri}` changed")))
    }
}

fn xades_child<'a, 'input>(parent: Node<'a, 'input>, path: &[&str]) -> Option<Node<'a, 'input>> {
    let mut node = parent;
    for local in path {
        node = node.descendants().find(|n| {
            n.is_element()
                && n.tag_name().namespace() == Some(XADES_NS)
                && n.tag_name().name() == *local
        })?;
    }
    Some(node)
}

fn xades(xml: &[u8], found: &mut Found) -> Check<()> {
    let normalized = signstash_xml::normalize_line_endings(xml);
    let doc = signstash_xml::parse(&normalized).map_err(|e| modified(format!("XML: {e}")))?;
    let signature = doc
        .tree()
        .descendants()
        .rfind(|n| signstash_xml::is_dsig_signature(*n))
        .ok_or_else(|| modified("no ds:Signature"))?;
    let signed_info =
        dsig_child(signature, "SignedInfo").ok_or_else(|| modified("ds:SignedInfo is missing"))?;

    // The certificates in KeyInfo; the signer is the one whose key verifies SignedInfo.
    let mut certs = Vec::new();
    if let Some(key_info) = dsig_child(signature, "KeyInfo") {
        for node in key_info.descendants().filter(|n| {
            n.is_element()
                && n.tag_name().namespace() == Some(DSIG_NS)
                && n.tag_name().name() == "X509Certificate"
        }) {
            certs.push(Certificate::from_der(&base64_text(
                Some(node),
                "ds:X509Certificate",
            )?)?);
        }
    }
    // The claimed signing time, for display even when something fails below.
    found.signing_time = xades_child(signature, &["SigningTime"])
        .and_then(|n| n.text())
        .and_then(|t| {
            OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339).ok()
        });

    let c14n = c14n_options(algorithm_of(signed_info, "CanonicalizationMethod")?)?;
    let canonical_signed_info = signstash_xml::canonicalize_to_vec(
        &doc,
        signed_info,
        &c14n,
        &signstash_xml::exclude_nothing,
    );
    let (alg, ecdsa) = signature_method(algorithm_of(signed_info, "SignatureMethod")?)?;
    let signature_value_node = dsig_child(signature, "SignatureValue");
    let value = base64_text(signature_value_node, "ds:SignatureValue")?;
    let value = if ecdsa { ecdsa_der(&value)? } else { value };
    let md: MessageDigest = alg.message_digest();
    let mut signer = None;
    for cert in &certs {
        let mut verifier = Verifier::new(md, cert.public_key()?)?;
        verifier.update(&canonical_signed_info)?;
        if verifier.verify(&value).unwrap_or(false) {
            signer = Some(cert.clone());
            break;
        }
    }
    let signer = match signer {
        Some(s) => s,
        None => {
            found.signer = certs.first().cloned();
            return Err(modified("the signature value does not verify"));
        }
    };
    found.carried = certs
        .iter()
        .filter(|c| c.der() != signer.der())
        .cloned()
        .collect();
    found.signer = Some(signer.clone());

    let references: Vec<Node<'_, '_>> = signed_info
        .children()
        .filter(|n| {
            n.is_element()
                && n.tag_name().namespace() == Some(DSIG_NS)
                && n.tag_name().name() == "Reference"
        })
        .collect();
    if !references.iter().any(|r| r.attribute("URI") == Some("")) {
        return Err(unverifiable("no reference to the whole document"));
    }
    for reference in references {
        check_reference(&doc, signature, reference)?;
    }

    // SigningCertificateV2 (or V1) must name the certificate that verified.
    if let Some(cert_digest) = xades_child(signature, &["SigningCertificateV2", "CertDigest"])
        .or_else(|| xades_child(signature, &["SigningCertificate", "CertDigest"]))
    {
        let alg = digest_of_uri(algorithm_of(cert_digest, "DigestMethod")?)?;
        let expected = base64_text(dsig_child(cert_digest, "DigestValue"), "CertDigest")?;
        if signer.digest(alg)? != expected {
            return Err(modified("SigningCertificate names another certificate"));
        }
    }

    if let Some(stamp) = xades_child(signature, &["SignatureTimeStamp"]) {
        let token = base64_text(
            xades_child(stamp, &["EncapsulatedTimeStamp"]),
            "EncapsulatedTimeStamp",
        )?;
        let opts = match dsig_child(stamp, "CanonicalizationMethod")
            .and_then(|n| n.attribute("Algorithm"))
        {
            Some(uri) => c14n_options(uri)?,
            None => C14nOptions::EXCLUSIVE,
        };
        let value_node =
            signature_value_node.ok_or_else(|| modified("ds:SignatureValue is missing"))?;
        let covered = signstash_xml::canonicalize_to_vec(
            &doc,
            value_node,
            &opts,
            &signstash_xml::exclude_nothing,
        );
        found.timestamp = Some(check_timestamp(&token, &covered)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_and_pdf_dates_parse() {
        assert_eq!(
            byte_range(b" [0 10 20\n30 ] /Contents"),
            Some([0, 10, 20, 30])
        );
        assert_eq!(byte_range(b"[0 10 20]"), None);
        assert_eq!(byte_range(b"[0 -1 20 30]"), None);
        let t = pdf_date(b"D:20261124140359+01'00'").map(|t| t.unix_timestamp());
        assert_eq!(
            t,
            Some(time::macros::datetime!(2026-11-24 13:03:59 UTC).unix_timestamp())
        );
        let t = pdf_date(b"D:20261124140359Z").map(|t| t.unix_timestamp());
        assert_eq!(
            t,
            Some(time::macros::datetime!(2026-11-24 14:03:59 UTC).unix_timestamp())
        );
        assert_eq!(
            find_pdf_m(b"<</Type/Sig/M (D:20260101000000Z)/Reason(x)>>").map(|t| t.year()),
            Some(2026)
        );
    }

    #[test]
    fn garbage_is_never_intact() {
        for format in [Format::Pades, Format::Xades, Format::Cades] {
            let v = verify(format, b"not a signed document", None, &[]);
            assert_eq!(v.integrity, Integrity::Modified, "{format:?}");
            assert!(v.problem.is_some());
        }
    }
}
