//! Hostile input gets a typed error, never a panic, and nothing is produced.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use bytes::Bytes;
use signstash_signing::devpki::DevPki;
use signstash_signing::{sign, Error, Format, KeyFileSigner, Level, SignatureParams};
use signstash_test_support::{corpus, tool};

fn signer() -> KeyFileSigner {
    let pki = DevPki::generate().unwrap();
    KeyFileSigner::from_pem(
        &pki.signer.key_pem().unwrap(),
        &pki.signer.cert_pem().unwrap(),
        None,
    )
    .unwrap()
}

fn try_sign(
    signer: &KeyFileSigner,
    format: Format,
    doc: &[u8],
    location: Option<&str>,
) -> Result<Vec<u8>, Error> {
    let mut params = SignatureParams::new(format);
    params.signature_location = location.map(str::to_string);
    sign(Bytes::copy_from_slice(doc), &params, signer, None).map(|d| d.to_vec())
}

#[test]
fn every_format_refuses_an_empty_document_and_one_over_the_limit() {
    let s = signer();
    for format in [Format::Pades, Format::Xades, Format::Cades] {
        assert!(
            matches!(try_sign(&s, format, b"", None), Err(Error::EmptyDocument)),
            "{format:?}"
        );
        let mut params = SignatureParams::new(format);
        params.max_document_size = 10;
        let r = sign(
            Bytes::from_static(b"more than ten bytes"),
            &params,
            &s,
            None,
        );
        assert!(
            matches!(
                r,
                Err(Error::DocumentTooLarge {
                    size: 19,
                    limit: 10
                })
            ),
            "{format:?}"
        );
    }
}

#[test]
fn b_t_without_an_authority_is_refused_before_signing() {
    let s = signer();
    let mut params = SignatureParams::new(Format::Cades);
    params.level = Level::BT;
    assert!(matches!(
        sign(Bytes::from_static(b"x"), &params, &s, None),
        Err(Error::TimestampAuthorityMissing)
    ));
}

#[test]
fn pdf_front_end_refuses_what_is_not_a_signable_pdf() {
    let s = signer();
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 1024).unwrap();
    assert!(matches!(
        try_sign(&s, Format::Pades, b"GIF89a", None),
        Err(Error::Pdf(signstash_pdf::Error::NotPdf))
    ));
    // Every truncation of a valid file before its final `%%EOF`: an error, never a panic.
    let eof = pdf.windows(5).rposition(|w| w == b"%%EOF").unwrap();
    for len in (1..eof + 4).step_by(7) {
        assert!(
            try_sign(&s, Format::Pades, &pdf[..len], None).is_err(),
            "prefix of {len} bytes signed"
        );
    }
    assert!(try_sign(&s, Format::Pades, &pdf, None).is_ok());
    // A real encrypted PDF, made by qpdf.
    if let Some(qpdf) = tool("qpdf") {
        let dir = tempfile::tempdir().unwrap();
        let (i, o) = (dir.path().join("in.pdf"), dir.path().join("enc.pdf"));
        std::fs::write(&i, &pdf).unwrap();
        let out = Command::new(qpdf)
            .args(["--encrypt", "user", "owner", "256", "--"])
            .arg(&i)
            .arg(&o)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let enc = std::fs::read(o).unwrap();
        assert!(matches!(
            try_sign(&s, Format::Pades, &enc, None),
            Err(Error::Pdf(signstash_pdf::Error::Encrypted))
        ));
    }
}

#[test]
fn xml_front_end_refuses_dtds_entities_and_missing_locations() {
    let s = signer();
    let cases: &[(&[u8], &str)] = &[
        (b"not xml at all", "not XML"),
        (b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>", "DTD"),
        (b"<!DOCTYPE r SYSTEM \"http://127.0.0.1:9/evil.dtd\"><r/>", "external DTD"),
        (
            b"<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>",
            "entity expansion",
        ),
        (b"<r>&undeclared;</r>", "undeclared entity"),
        (b"<r><unclosed></r>", "malformed"),
    ];
    for (doc, what) in cases {
        match try_sign(&s, Format::Xades, doc, None) {
            Err(Error::Xml(_)) => {}
            other => panic!("{what}: {:?}", other.map(|v| v.len())),
        }
    }
    let invoice = corpus::ubl_invoice(1);
    assert!(matches!(
        try_sign(&s, Format::Xades, invoice.as_bytes(), Some("NoSuchElement")),
        Err(Error::SignatureLocationNotFound(name)) if name == "NoSuchElement"
    ));
    // Every truncation before the end tag of the root (what follows it is only a newline).
    for len in (1..invoice.trim_end().len()).step_by(11) {
        assert!(
            try_sign(&s, Format::Xades, &invoice.as_bytes()[..len], None).is_err(),
            "prefix of {len} bytes signed"
        );
    }
}

#[test]
fn key_material_never_appears_in_debug_output() {
    let pki = DevPki::generate().unwrap();
    let key_pem = pki.signer.key_pem().unwrap();
    let s = KeyFileSigner::from_pem(&key_pem, &pki.signer.cert_pem().unwrap(), None).unwrap();
    let debug = format!("{s:?} {:?}", pki.signer);
    let key_text = String::from_utf8(key_pem).unwrap();
    let body: String = key_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!debug.contains("PRIVATE"), "{debug}");
    assert!(!debug.contains(&body[..40]), "{debug}");
    let der = pki.signer.key.private_key_to_der().unwrap();
    assert!(!debug.contains(&format!("{:?}", &der[..16])), "{debug}");
}

#[test]
fn key_file_errors_are_typed() {
    let pki = DevPki::generate().unwrap();
    let other = DevPki::generate().unwrap();
    let cert = pki.signer.cert_pem().unwrap();
    assert!(matches!(
        KeyFileSigner::from_pem(b"nonsense", &cert, None),
        Err(Error::Key(_))
    ));
    // A key that is not the certificate's.
    assert!(matches!(
        KeyFileSigner::from_pem(&other.signer.key_pem().unwrap(), &cert, None),
        Err(Error::Key(_))
    ));
    assert!(matches!(
        KeyFileSigner::from_pkcs12(b"nonsense", "changeit"),
        Err(Error::Key(_))
    ));
    let p12 = pki.signer.pkcs12("changeit", &pki.ca.cert).unwrap();
    assert!(matches!(
        KeyFileSigner::from_pkcs12(&p12, "wrong"),
        Err(Error::Key(_))
    ));
    assert!(KeyFileSigner::from_pkcs12(&p12, "changeit").is_ok());
}
