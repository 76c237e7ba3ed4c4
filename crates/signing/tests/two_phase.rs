//! The two-phase model with a signature value made elsewhere: `openssl pkeyutl` signs the
//! digest from `prepare`, `finish` embeds it, and the independent validators accept the result.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use signstash_signing::devpki::{issue, DevPki, KeyType, Profile};
use signstash_signing::{
    prepare, Certificate, CertificateChain, Error, Format, KeyFileSigner, SignatureParams, Signer,
};
use signstash_test_support::{corpus, validators};

fn pkeyutl(key: &Path, digest: &[u8], alg: &str, dir: &Path) -> Vec<u8> {
    let (d, s) = (dir.join("digest.bin"), dir.join("sig.bin"));
    std::fs::write(&d, digest).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-sign", "-inkey"])
        .arg(key)
        .args(["-pkeyopt", &format!("digest:{alg}"), "-in"])
        .arg(&d)
        .arg("-out")
        .arg(&s)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pkeyutl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(s).unwrap()
}

fn chain_of(pem: &[u8]) -> CertificateChain {
    let mut certs = Certificate::all_from_pem(pem).unwrap();
    CertificateChain::new(certs.remove(0), certs)
}

#[test]
fn external_signature_values_finish_into_valid_documents() {
    let pki = DevPki::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path()).unwrap();
    let ca = dir.path().join("ca.pem");
    let ec = issue("EC signer", KeyType::P256, Profile::Signer, Some(&pki.ca)).unwrap();
    std::fs::write(dir.path().join("ec.key"), ec.key_pem().unwrap()).unwrap();
    std::fs::write(dir.path().join("ec.pem"), ec.cert_pem().unwrap()).unwrap();
    let signers = [("signer", KeyType::Rsa(2048)), ("ec", KeyType::P256)];
    for (name, key_type) in signers {
        let key_path = dir.path().join(format!("{name}.key"));
        let chain = chain_of(&std::fs::read(dir.path().join(format!("{name}.pem"))).unwrap());
        let kind = KeyFileSigner::from_pem(
            &std::fs::read(&key_path).unwrap(),
            &std::fs::read(dir.path().join(format!("{name}.pem"))).unwrap(),
            None,
        )
        .unwrap()
        .key_kind();
        let documents: Vec<(Format, Vec<u8>, &str)> = vec![
            (Format::Cades, corpus::binary(10_000), "p7s"),
            (Format::Xades, corpus::ubl_invoice(3).into_bytes(), "xml"),
            (
                Format::Pades,
                corpus::pdf(corpus::PdfKind::Classic, 2048).unwrap(),
                "pdf",
            ),
        ];
        for (format, doc, ext) in documents {
            let what = format!("{format:?} {key_type:?}");
            let mut params = SignatureParams::new(format);
            params.signature_location = Some("ExtensionContent".into());
            let prepared = prepare(Bytes::from(doc.clone()), &params, &chain, kind).unwrap();
            assert_eq!(
                prepared.digest(),
                prepared
                    .digest_algorithm()
                    .digest(prepared.data_to_sign())
                    .unwrap()
            );
            let value = pkeyutl(&key_path, prepared.digest(), "sha256", dir.path());
            let signed = prepared
                .finish(&value, None)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let out = dir.path().join(format!("two-phase-{name}.{ext}"));
            std::fs::write(&out, signed.to_vec()).unwrap();
            let verdict = match format {
                Format::Cades => {
                    let content = dir.path().join("content.bin");
                    std::fs::write(&content, &doc).unwrap();
                    Some(validators::openssl_cms(&out, Some(&content), &ca))
                }
                Format::Xades => validators::xmlsec1(&out, &ca),
                Format::Pades => validators::pyhanko(&out, &ca),
            };
            if let Some(v) = verdict {
                v.unwrap_or_else(|r| panic!("{what}: {r}"));
            }
        }
    }
}

#[test]
fn finish_refuses_a_value_that_does_not_verify() {
    let pki = DevPki::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path()).unwrap();
    let chain = chain_of(&std::fs::read(dir.path().join("signer.pem")).unwrap());
    let signer = KeyFileSigner::from_pem(
        &pki.signer.key_pem().unwrap(),
        &pki.signer.cert_pem().unwrap(),
        None,
    )
    .unwrap();
    let params = SignatureParams::new(Format::Cades);
    let doc = Bytes::from_static(b"invoice");
    // Signed by another key (the TSA's): refused.
    let prepared = prepare(doc.clone(), &params, &chain, signer.key_kind()).unwrap();
    let wrong = pkeyutl(
        &dir.path().join("tsa.key"),
        prepared.digest(),
        "sha256",
        dir.path(),
    );
    assert!(matches!(
        prepared.finish(&wrong, None),
        Err(Error::BadSignatureValue(_))
    ));
    // Over another digest: refused.
    let prepared = prepare(doc.clone(), &params, &chain, signer.key_kind()).unwrap();
    let other = pkeyutl(
        &dir.path().join("signer.key"),
        &[7u8; 32],
        "sha256",
        dir.path(),
    );
    assert!(matches!(
        prepared.finish(&other, None),
        Err(Error::BadSignatureValue(_))
    ));
    // Wrong length: refused without reaching the crypto.
    let prepared = prepare(doc, &params, &chain, signer.key_kind()).unwrap();
    assert!(matches!(
        prepared.finish(&[1, 2, 3], None),
        Err(Error::BadSignatureValue(_))
    ));
}

#[test]
fn sign_with_checks_a_key_that_is_not_the_prepared_certificates() {
    let pki = DevPki::generate().unwrap();
    let signer = KeyFileSigner::from_pem(
        &pki.signer.key_pem().unwrap(),
        &pki.signer.cert_pem().unwrap(),
        None,
    )
    .unwrap();
    let other = issue(
        "Other signer",
        KeyType::Rsa(2048),
        Profile::Signer,
        Some(&pki.ca),
    )
    .unwrap();
    let other =
        KeyFileSigner::from_pem(&other.key_pem().unwrap(), &other.cert_pem().unwrap(), None)
            .unwrap();
    let params = SignatureParams::new(Format::Cades);
    let doc = Bytes::from_static(b"invoice");
    // Prepared for `signer`'s certificate: its own in-memory key signs without a second check,
    // and the result verifies.
    let prepared = prepare(
        doc.clone(),
        &params,
        signer.certificate_chain(),
        signer.key_kind(),
    )
    .unwrap();
    let signed = prepared.sign_with(&signer, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path()).unwrap();
    let (p7s, content) = (dir.path().join("invoice.p7s"), dir.path().join("invoice"));
    std::fs::write(&p7s, signed.to_vec()).unwrap();
    std::fs::write(&content, &doc).unwrap();
    validators::openssl_cms(&p7s, Some(&content), &dir.path().join("ca.pem")).unwrap();
    // Another in-memory key for the same document is not trusted: its value is checked
    // against the prepared certificate, and refused.
    let prepared = prepare(doc, &params, signer.certificate_chain(), signer.key_kind()).unwrap();
    assert!(matches!(
        prepared.sign_with(&other, None),
        Err(Error::BadSignatureValue(_))
    ));
}
