//! Signing generated PDFs of every supported shape, checked with our reader and `qpdf --check`.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Instant;

use signstash_pdf::{prepare_signature, Document, Error, Object};
use support::*;

fn round_trip(name: &str, original: &[u8]) -> Signed {
    qpdf_check(&format!("{name}-original"), original);
    let signed = sign(original);
    verify(name, original, &signed);
    signed
}

#[test]
fn classic_xref_table() {
    let original = classic();
    let s = round_trip("classic", &original);
    assert_eq!(s.prepared.field_name(), "Signature1");
    // Classic in, classic out.
    assert!(s.output[original.len()..]
        .windows(7)
        .any(|w| w == b"trailer"));
}

#[test]
fn xref_stream_and_object_stream() {
    let original = xref_stream_with_object_stream();
    let s = round_trip("xref-stream", &original);
    let update = &s.output[original.len()..];
    assert!(update.windows(11).any(|w| w == b"/Type /XRef"));
    assert!(!update.windows(7).any(|w| w == b"trailer"));
}

#[test]
fn hybrid_file() {
    round_trip("hybrid", &hybrid());
}

#[test]
fn earlier_incremental_update() {
    let original = incrementally_updated();
    let s = round_trip("incremental", &original);
    // The newest page (with /Rotate 90) is the one rewritten.
    let doc = Document::open(&s.output).unwrap();
    let (_, catalog) = doc.catalog().unwrap();
    let (_, page) = doc.first_page(&catalog).unwrap();
    assert_eq!(page.get(b"Rotate"), Some(&Object::Int(90)));
}

#[test]
fn existing_form_fields() {
    let original = with_form_fields();
    let s = round_trip("form-fields", &original);
    assert_eq!(s.prepared.field_name(), "Signature4");
    let doc = Document::open(&s.output).unwrap();
    let form = doc.get(signstash_pdf::ObjRef::new(7, 0)).unwrap();
    let form = form.as_dict().unwrap();
    // Keys other than /Fields and /SigFlags survive.
    assert_eq!(
        form.get(b"DA"),
        Some(&Object::String(b"/Helv 0 Tf 0 g".to_vec()))
    );
    assert!(form.get(b"DR").is_some());
    assert_eq!(form.get(b"NeedAppearances"), Some(&Object::Bool(false)));
}

#[test]
fn inline_acroform() {
    let original = with_inline_acroform();
    let s = round_trip("inline-acroform", &original);
    let doc = Document::open(&s.output).unwrap();
    let (_, catalog) = doc.catalog().unwrap();
    let form = catalog.get(b"AcroForm").unwrap().as_dict().unwrap();
    assert_eq!(form.get(b"NeedAppearances"), Some(&Object::Bool(true)));
    assert_eq!(
        form.get(b"DA"),
        Some(&Object::String(b"/Helv 0 Tf 0 g".to_vec()))
    );
}

#[test]
fn indirect_annots_and_fields_arrays() {
    let original = with_indirect_arrays();
    let s = round_trip("indirect-arrays", &original);
    let update = String::from_utf8_lossy(&s.output[original.len()..]).into_owned();
    // The arrays are rewritten; the page is not.
    assert!(update.contains("7 0 obj\n[8 0 R "), "{update}");
    assert!(update.contains("9 0 obj\n["), "{update}");
    assert!(!update.contains("\n3 0 obj"), "{update}");
    let doc = Document::open(&s.output).unwrap();
    let (_, catalog) = doc.catalog().unwrap();
    let (_, page) = doc.first_page(&catalog).unwrap();
    assert_eq!(page.get(b"Annots"), Some(&obj_ref(7)));
}

#[test]
fn junk_before_header() {
    let original = with_junk_before_header();
    round_trip("junk-before-header", &original);
    let doc = Document::open(&original).unwrap();
    // Offsets count from the header, and so must the update's.
    assert_eq!(doc.base(), 33);
    // One byte of junk: an offset then lands one byte before its target, on whitespace, which
    // a lenient look would accept with the wrong base (found by the corruption test).
    for junk in [&b"\xD5"[..], b"\n", b"ab"] {
        let mut b = PdfBuilder::with_junk(junk);
        base_objects(&mut b, "", "");
        b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
        let original = b.finish();
        let s = sign(&original);
        verify("short-junk", &original, &s);
        let doc = Document::open(&original).unwrap();
        assert_eq!(doc.base(), junk.len());
    }
}

#[test]
fn already_signed_file_gets_a_second_signature() {
    let original = xref_stream_with_object_stream();
    let first = sign(&original);
    verify("first-signature", &original, &first);
    let second = sign(&first.output);
    verify("second-signature", &first.output, &second);
    assert_eq!(second.prepared.field_name(), "Signature2");
    // The first signature's bytes (and so its ByteRange) are untouched.
    assert!(second.output.starts_with(&first.output));
    let doc = Document::open(&second.output).unwrap();
    let (_, catalog) = doc.catalog().unwrap();
    let form = doc.resolve(catalog.get(b"AcroForm").unwrap()).unwrap();
    let fields = doc
        .resolve(form.as_dict().unwrap().get(b"Fields").unwrap())
        .unwrap();
    let mut ranges = Vec::new();
    for f in fields.as_array().unwrap() {
        let f = doc.resolve(f).unwrap();
        let sig = doc
            .resolve(f.as_dict().unwrap().get(b"V").unwrap())
            .unwrap();
        let br = sig.as_dict().unwrap().get(b"ByteRange").unwrap().clone();
        ranges.push(br);
    }
    let first_br = Object::Array(
        first
            .prepared
            .byte_range()
            .iter()
            .map(|&v| Object::Int(v as i64))
            .collect(),
    );
    assert!(ranges.contains(&first_br));
    // And a third, on the classic-table flavour, for good measure.
    let third = sign(&second.output);
    verify("third-signature", &second.output, &third);
    assert_eq!(third.prepared.field_name(), "Signature3");
}

#[test]
fn signature_too_large_and_bad_options() {
    let original = classic();
    let mut p = prepare_signature(&original, &options(100)).unwrap();
    match p.embed_signature(&fake_cms(101)) {
        Err(Error::SignatureTooLarge {
            needed: 101,
            capacity: 100,
        }) => {}
        other => panic!("expected SignatureTooLarge, got {other:?}"),
    }
    // Re-embedding a shorter CMS clears the old one completely.
    p.embed_signature(&fake_cms(100)).unwrap();
    p.embed_signature(&[0x30, 0x00]).unwrap();
    let hole = p.contents_range();
    let tail = p.tail();
    let start = (hole.start as usize) - original.len() + 1;
    assert_eq!(&tail[start..start + 4], b"3000");
    assert!(tail[start + 4..(hole.end as usize) - original.len() - 1]
        .iter()
        .all(|&b| b == b'0'));
    assert!(matches!(
        prepare_signature(&original, &options(0)),
        Err(Error::InvalidOptions(_))
    ));
}

#[test]
fn ten_megabyte_file_is_prepared_fast() {
    let original = big(10 * 1024 * 1024);
    assert!(original.len() > 10_000_000);
    // Warm up, then take the best of a few runs: the machine is shared.
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let p = prepare_signature(&original, &options(8192)).unwrap();
        best = best.min(t.elapsed());
        std::hint::black_box(p);
    }
    eprintln!(
        "prepare_signature on {} bytes: best of 5 = {:?}",
        original.len(),
        best
    );
    // Generous bound (debug build, shared machine); a full scan would take milliseconds.
    assert!(best.as_millis() < 5, "prepare took {best:?}");
    let s = sign(&original);
    verify("big", &original, &s);
}

/// A real detached CMS over `signed_parts`, made by `openssl cms`, must validate in `pdfsig`
/// (poppler): the byte ranges and the embedding are right, not just self-consistent.
#[test]
fn real_cms_validates_in_pdfsig_and_pyhanko() {
    use std::process::Command;
    let have = |tool: &str, arg: &str| Command::new(tool).arg(arg).output().is_ok();
    if !have("openssl", "version") || !have("pdfsig", "-v") {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl or pdfsig is not installed"
        );
        eprintln!("note: openssl or pdfsig is not installed; skipping the pdfsig check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Sign'Stash test signer",
        ])
        .args([
            "-addext",
            "keyUsage=critical,digitalSignature,nonRepudiation",
        ])
        .arg("-keyout")
        .arg(path("key.pem"))
        .arg("-out")
        .arg(path("cert.pem"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let pyhanko = pyhanko();
    if pyhanko.is_none() {
        assert!(std::env::var_os("CI").is_none(), "pyhanko is not installed");
        eprintln!("note: pyhanko is not installed; only pdfsig checks the signatures");
    }
    // Hybrid files and junk before the header are left out: pyHanko refuses both by design.
    for (name, original) in [
        ("classic", classic()),
        ("xref-stream", xref_stream_with_object_stream()),
        ("form-fields", with_form_fields()),
        ("inline-acroform", with_inline_acroform()),
        ("indirect-arrays", with_indirect_arrays()),
        ("incremental", incrementally_updated()),
    ] {
        // Sign twice: both signatures must stay valid.
        let once = sign_with_openssl(&original, dir.path());
        let twice = sign_with_openssl(&once, dir.path());
        std::fs::write(path("signed.pdf"), &twice).unwrap();
        let out = Command::new("pdfsig")
            .arg(path("signed.pdf"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.matches("Signature Validation: Signature is Valid.")
                .count(),
            2,
            "{name}: {text}"
        );
        assert!(text.contains("Total document signed"), "{name}: {text}");
        // pyHanko also runs a difference analysis on each later revision: our update must
        // count as "signing and form filling", which keeps the first signature valid.
        if let Some(pyhanko) = &pyhanko {
            let out = Command::new(pyhanko)
                .args([
                    "sign",
                    "validate",
                    "--pretty-print",
                    "--trust-replace",
                    "--trust",
                ])
                .arg(path("cert.pem"))
                .arg(path("signed.pdf"))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{name}: {text}");
            assert_eq!(
                text.matches("The signature is judged VALID.").count(),
                2,
                "{name}: {text}"
            );
            assert!(
                text.contains("All modifications relate to signing and form filling"),
                "{name}: {text}"
            );
        }
    }
}

/// pyHanko from PATH or from the workspace's `.data/venv` (see design/oracles.md).
fn pyhanko() -> Option<std::path::PathBuf> {
    // The Python environment `SIGNSTASH_VENV` names (as the test-support crate reads it), else
    // the workspace's.
    let venv = std::env::var_os("SIGNSTASH_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.data/venv")
        })
        .join("bin/pyhanko");
    let candidates = [std::path::PathBuf::from("pyhanko"), venv];
    candidates.into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn sign_with_openssl(original: &[u8], dir: &std::path::Path) -> Vec<u8> {
    use std::process::Command;
    let mut prepared = prepare_signature(original, &options(8192)).unwrap();
    std::fs::write(
        dir.join("parts.bin"),
        prepared.signed_parts(original).concat(),
    )
    .unwrap();
    let out = Command::new("openssl")
        .args([
            "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
        ])
        .args(["-nosmimecap", "-cades"])
        .arg("-in")
        .arg(dir.join("parts.bin"))
        .arg("-signer")
        .arg(dir.join("cert.pem"))
        .arg("-inkey")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("sig.der"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    prepared
        .embed_signature(&std::fs::read(dir.join("sig.der")).unwrap())
        .unwrap();
    let mut signed = Vec::new();
    prepared.write_to(original, &mut signed).unwrap();
    signed
}

#[test]
fn certified_documents() {
    let certified = |p: u8| {
        let mut b = PdfBuilder::new();
        base_objects(&mut b, "/Perms << /DocMDP 7 0 R >>", "");
        b.obj(
            7,
            &format!(
                "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached \
                 /Reference [<< /Type /SigRef /TransformMethod /DocMDP \
                 /TransformParams << /Type /TransformParams /P {p} /V /1.2 >> >>] >>"
            ),
        );
        b.xref_table(&format!("/Root 1 0 R {ID}"));
        b.finish()
    };
    assert!(matches!(
        prepare_signature(&certified(1), &options(64)),
        Err(Error::ChangesForbidden)
    ));
    // Level 2 allows signing; /Perms survives in the rewritten catalog.
    let original = certified(2);
    let s = sign(&original);
    verify_structure("certified-p2", &original, &s);
}
