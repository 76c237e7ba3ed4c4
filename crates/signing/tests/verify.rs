//! Our own verifier (`verify`): every signature we make, in every format, level, transform and
//! key type, is intact against its chain; any changed byte, an appended update, another
//! signer or another trust chain is not. Signatures made by other software (openssl cms,
//! pyHanko) are read too, so the verifier is not merely the signer's mirror.
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use signstash_signing::devpki::{issue, DevPki, KeyType, Profile};
use signstash_signing::verify::{verify, Integrity, Verification};
use signstash_signing::{
    sign, CanonicalTransform, Certificate, Format, KeyFileSigner, Level, SignatureParams,
    SignatureTransform, TimestampAuthority,
};
use signstash_test_support::{corpus, tamper, tool};

struct Pki {
    pki: DevPki,
    tsa: TimestampAuthority,
}

impl Pki {
    fn new() -> Self {
        let pki = DevPki::generate().unwrap();
        let tsa_signer = KeyFileSigner::from_pem(
            &pki.tsa.key_pem().unwrap(),
            &pki.tsa.cert_pem().unwrap(),
            None,
        )
        .unwrap();
        Self {
            tsa: TimestampAuthority::new(Arc::new(tsa_signer)),
            pki,
        }
    }

    fn signer(&self, key_type: KeyType) -> KeyFileSigner {
        let issued = if key_type == KeyType::Rsa(2048) {
            None
        } else {
            Some(
                issue(
                    "Verify Signer",
                    key_type,
                    Profile::Signer,
                    Some(&self.pki.ca),
                )
                .unwrap(),
            )
        };
        let issued = issued.as_ref().unwrap_or(&self.pki.signer);
        KeyFileSigner::from_pem(
            &issued.key_pem().unwrap(),
            &issued.cert_pem().unwrap(),
            Some(&self.pki.ca.cert_pem().unwrap()),
        )
        .unwrap()
    }

    /// What the service stores for the issuer: the signer's chain (signer + CA).
    fn stored_chain(&self) -> Vec<Certificate> {
        let mut pem = self.pki.signer.cert_pem().unwrap();
        pem.extend(self.pki.ca.cert_pem().unwrap());
        Certificate::all_from_pem(&pem).unwrap()
    }
}

fn signed(pki: &Pki, signer: &KeyFileSigner, doc: &[u8], params: &SignatureParams) -> Vec<u8> {
    let tsa: Option<&dyn signstash_signing::TimeStamper> =
        (params.level == Level::BT).then_some(&pki.tsa as _);
    sign(Bytes::copy_from_slice(doc), params, signer, tsa)
        .unwrap()
        .to_vec()
}

fn intact(v: &Verification, what: &str) {
    assert_eq!(v.integrity, Integrity::Intact, "{what}: {:?}", v.problem);
    assert!(v.problem.is_none());
}

fn not_intact(v: &Verification, what: &str) {
    assert_eq!(v.integrity, Integrity::Modified, "{what}: {v:?}");
    assert!(v.problem.is_some(), "{what}");
}

fn document(format: Format) -> Vec<u8> {
    match format {
        Format::Pades => corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap(),
        Format::Xades => corpus::ubl_invoice(4).into_bytes(),
        Format::Cades => corpus::binary(5000),
    }
}

#[test]
fn what_we_sign_is_intact_with_its_signer_times_and_timestamp() {
    let pki = Pki::new();
    let trusted = pki.stored_chain();
    let signer = pki.signer(KeyType::Rsa(2048));
    for format in [Format::Pades, Format::Xades, Format::Cades] {
        for level in [Level::BB, Level::BT] {
            let doc = document(format);
            let mut params = SignatureParams::new(format);
            params.level = level;
            if format == Format::Xades {
                params.signature_location = Some("ExtensionContent".into());
            }
            let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(2);
            let out = signed(&pki, &signer, &doc, &params);
            let content = (format == Format::Cades).then_some(doc.as_slice());
            let v = verify(format, &out, content, &trusted);
            let what = format!("{format:?} {level:?}");
            intact(&v, &what);
            assert!(v.content_checked, "{what}");
            assert!(
                v.signer
                    .as_deref()
                    .unwrap()
                    .contains("Sign'Stash Development Signer")
                    || v.signer.as_deref().unwrap().contains("CN="),
                "{what}: {:?}",
                v.signer
            );
            if format != Format::Cades {
                let t = v
                    .signing_time
                    .unwrap_or_else(|| panic!("{what}: no signing time"));
                assert!(
                    t >= before && t <= time::OffsetDateTime::now_utc(),
                    "{what}: {t}"
                );
            }
            match level {
                Level::BB => assert!(v.timestamp.is_none(), "{what}"),
                Level::BT => {
                    let ts = v.timestamp.as_ref().unwrap();
                    assert!(ts.time >= before, "{what}");
                    let authority = ts.authority.as_deref().unwrap();
                    let tsa_subject = Certificate::all_from_pem(&pki.pki.tsa.cert_pem().unwrap())
                        .unwrap()[0]
                        .subject_string();
                    assert_eq!(authority, tsa_subject, "{what}");
                }
            }
            // A detached CAdES signature without its content: the signature alone.
            if format == Format::Cades {
                let v = verify(format, &out, None, &trusted);
                intact(&v, "CAdES without content");
                assert!(!v.content_checked);
            }
        }
    }
}

#[test]
fn every_xades_transform_and_canonicalization_and_key_type_is_intact() {
    let pki = Pki::new();
    let trusted = pki.stored_chain();
    for key_type in [KeyType::Rsa(2048), KeyType::P256, KeyType::P384] {
        let signer = pki.signer(key_type);
        for transform in [
            SignatureTransform::Enveloped,
            SignatureTransform::XPath,
            SignatureTransform::XPath2Filter,
        ] {
            for c14n in [
                CanonicalTransform::Exclusive,
                CanonicalTransform::ExclusiveWithComments,
            ] {
                let mut params = SignatureParams::new(Format::Xades);
                params.signature_transform = transform;
                params.canonical_transform = c14n;
                params.level = Level::BT;
                let doc = corpus::xml_comments().into_bytes();
                let out = signed(&pki, &signer, &doc, &params);
                let v = verify(Format::Xades, &out, None, &trusted);
                intact(&v, &format!("{key_type:?} {transform:?} {c14n:?}"));
            }
        }
        for format in [Format::Pades, Format::Cades] {
            let doc = document(format);
            let out = signed(&pki, &signer, &doc, &SignatureParams::new(format));
            let content = (format == Format::Cades).then_some(doc.as_slice());
            intact(
                &verify(format, &out, content, &trusted),
                &format!("{key_type:?} {format:?}"),
            );
        }
    }
}

#[test]
fn a_second_signature_is_the_one_judged_and_both_survive() {
    let pki = Pki::new();
    let trusted = pki.stored_chain();
    let signer = pki.signer(KeyType::Rsa(2048));
    let mut params = SignatureParams::new(Format::Xades);
    params.signature_transform = SignatureTransform::XPath;
    let once = signed(&pki, &signer, corpus::ubl_invoice(2).as_bytes(), &params);
    let twice = signed(&pki, &signer, &once, &params);
    intact(
        &verify(Format::Xades, &twice, None, &trusted),
        "XAdES twice",
    );
    let pdf_once = signed(
        &pki,
        &signer,
        &document(Format::Pades),
        &SignatureParams::new(Format::Pades),
    );
    let pdf_twice = signed(
        &pki,
        &signer,
        &pdf_once,
        &SignatureParams::new(Format::Pades),
    );
    intact(
        &verify(Format::Pades, &pdf_twice, None, &trusted),
        "PAdES twice",
    );
}

#[test]
fn any_changed_byte_is_modified() {
    let pki = Pki::new();
    let trusted = pki.stored_chain();
    let signer = pki.signer(KeyType::Rsa(2048));
    for format in [Format::Pades, Format::Xades, Format::Cades] {
        for level in [Level::BB, Level::BT] {
            let doc = document(format);
            let mut params = SignatureParams::new(format);
            params.level = level;
            let out = signed(&pki, &signer, &doc, &params);
            let what = format!("{format:?} {level:?}");
            match format {
                Format::Pades => {
                    // A byte of the original content, a byte of the CMS (inside /Contents'
                    // hex: the signature value sits near its end), a byte appended.
                    let at = doc.len() / 2;
                    not_intact(&verify(format, &tamper(&out, at), None, &trusted), &what);
                    let contents = out
                        .windows(10)
                        .rposition(|w| w == b"/Contents<")
                        .map_or_else(
                            || out.windows(11).rposition(|w| w == b"/Contents <").unwrap() + 11,
                            |p| p + 10,
                        );
                    let hex_end =
                        contents + out[contents..].iter().position(|b| *b == b'>').unwrap();
                    let value_byte = out[contents..hex_end]
                        .iter()
                        .rposition(|b| *b != b'0')
                        .unwrap()
                        + contents
                        - 40;
                    let mut changed = out.clone();
                    // Another hex digit (the case of a letter would not change the value).
                    changed[value_byte] = if changed[value_byte] == b'0' {
                        b'1'
                    } else {
                        b'0'
                    };
                    not_intact(&verify(format, &changed, None, &trusted), &what);
                    let mut appended = out.clone();
                    appended.extend_from_slice(b"\n% appended\n");
                    not_intact(&verify(format, &appended, None, &trusted), &what);
                }
                Format::Xades => {
                    let text = String::from_utf8(out.clone()).unwrap();
                    for (from, to) in [
                        // The invoice's content.
                        ("<cbc:ID>", "<cbc:ID>X"),
                        // The claimed signing time (SignedProperties).
                        ("<xades:SigningTime>2", "<xades:SigningTime>1"),
                    ] {
                        assert!(text.contains(from), "{from}");
                        let changed = text.replacen(from, to, 1);
                        not_intact(&verify(format, changed.as_bytes(), None, &trusted), &what);
                    }
                    let value_at = text.find("<ds:SignatureValue").unwrap();
                    let b64_at = value_at + text[value_at..].find('>').unwrap() + 5;
                    let mut changed = out.clone();
                    changed[b64_at] = if changed[b64_at] == b'A' { b'B' } else { b'A' };
                    not_intact(&verify(format, &changed, None, &trusted), &what);
                }
                Format::Cades => {
                    not_intact(
                        &verify(format, &out, Some(&tamper(&doc, 100)), &trusted),
                        &what,
                    );
                    let last = out.len() - 1;
                    not_intact(
                        &verify(format, &tamper(&out, last), Some(&doc), &trusted),
                        &what,
                    );
                    // The signature value (the last octets before the unsigned attributes or
                    // the end) changed, checked without the content.
                    if level == Level::BB {
                        not_intact(&verify(format, &tamper(&out, last), None, &trusted), &what);
                    }
                }
            }
        }
    }
}

#[test]
fn another_signer_or_another_chain_is_not_intact() {
    let pki = Pki::new();
    let other = Pki::new();
    let signer = pki.signer(KeyType::Rsa(2048));
    for format in [Format::Pades, Format::Xades, Format::Cades] {
        let doc = document(format);
        let out = signed(&pki, &signer, &doc, &SignatureParams::new(format));
        let content = (format == Format::Cades).then_some(doc.as_slice());
        let v = verify(format, &out, content, &other.stored_chain());
        not_intact(&v, &format!("{format:?} against another chain"));
        assert!(v.problem.as_deref().unwrap().contains("chain"), "{v:?}");
        // The signer is still named, so an operator can see who it was.
        assert!(v.signer.is_some());
        not_intact(&verify(format, &out, content, &[]), "no stored chain");
        // A stored signing certificate alone (without its CA) is enough.
        intact(
            &verify(format, &out, content, &pki.stored_chain()[..1]),
            &format!("{format:?} against the signer alone"),
        );
    }
}

#[test]
fn signatures_made_by_openssl_and_pyhanko_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    pki.pki.write(dir.path()).unwrap();
    let trusted = pki.stored_chain();
    let (cert, key) = (dir.path().join("signer.pem"), dir.path().join("signer.key"));

    // openssl cms: detached, and attached.
    let content = dir.path().join("content.bin");
    std::fs::write(&content, corpus::binary(3000)).unwrap();
    for (detach, name) in [(true, "detached.p7s"), (false, "attached.p7s")] {
        let p7s = dir.path().join(name);
        let mut cmd = Command::new("openssl");
        cmd.args([
            "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in",
        ])
        .arg(&content)
        .arg("-signer")
        .arg(&cert)
        .arg("-inkey")
        .arg(&key)
        .arg("-out")
        .arg(&p7s);
        if !detach {
            cmd.arg("-nodetach");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let p7s = std::fs::read(&p7s).unwrap();
        let bytes = std::fs::read(&content).unwrap();
        let v = verify(
            Format::Cades,
            &p7s,
            detach.then_some(bytes.as_slice()),
            &trusted,
        );
        intact(&v, name);
        if detach {
            not_intact(
                &verify(Format::Cades, &p7s, Some(&tamper(&bytes, 7)), &trusted),
                name,
            );
        }
    }

    // pyHanko's PAdES.
    let Some(pyhanko) = tool("pyhanko") else {
        return;
    };
    let (input, output) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    std::fs::write(&input, document(Format::Pades)).unwrap();
    let out = Command::new(pyhanko)
        .args(["sign", "addsig", "--field", "Sig1", "pemder", "--key"])
        .arg(&key)
        .arg("--cert")
        .arg(&cert)
        .arg("--no-pass")
        .arg(&input)
        .arg(&output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = std::fs::read(&output).unwrap();
    intact(
        &verify(Format::Pades, &pdf, None, &trusted),
        "pyHanko's PAdES",
    );
    not_intact(
        &verify(Format::Pades, &tamper(&pdf, 200), None, &trusted),
        "pyHanko's PAdES, tampered",
    );
}
