//! Black-box: `signstash-sign` signs the generated corpus with every key source and level, and
//! the independent validators (openssl, xmlsec1, signxml, pyHanko, pdfsig) must accept every
//! result — and reject it after a one-byte tamper.
#![allow(clippy::unwrap_used)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use signstash_signing::devpki::KeyType;
use signstash_test_support::pki::{SignerFiles, SoftHsm, TestPki};
use signstash_test_support::{corpus, run, tamper, text, validators, Server};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_signstash-sign"))
}

/// Everything the tests share: one PKI, signers of each key type, a SoftHSM2 token, our
/// timestamp authority and the openssl reference one.
struct Env {
    pki: TestPki,
    keys: Vec<Key>,
    our_tsa: Server,
    reference_tsa: Option<Server>,
    _hsm: Option<SoftHsm>,
}

#[derive(Clone, Debug)]
struct Key {
    label: String,
    args: Vec<OsString>,
    /// Environment the CLI needs for this key (SoftHSM2's configuration).
    env: Vec<(OsString, OsString)>,
}

fn file_key(s: &SignerFiles, digest: Option<&str>) -> Key {
    let mut args: Vec<OsString> = vec![
        "--key".into(),
        s.key.clone().into(),
        "--cert".into(),
        s.cert.clone().into(),
    ];
    if let Some(d) = digest {
        args.extend(["--digest".into(), d.into()]);
    }
    Key {
        label: format!("file {:?} {}", s.key_type, digest.unwrap_or("default")),
        args,
        env: Vec::new(),
    }
}

fn p12_key(s: &SignerFiles, digest: Option<&str>) -> Key {
    let mut args: Vec<OsString> = vec![
        "--p12".into(),
        s.p12.clone().into(),
        "--password".into(),
        "changeit".into(),
    ];
    if let Some(d) = digest {
        args.extend(["--digest".into(), d.into()]);
    }
    Key {
        label: format!("PKCS#12 {:?} {}", s.key_type, digest.unwrap_or("default")),
        args,
        env: Vec::new(),
    }
}

/// A fresh environment per test: nextest runs each test in its own process, and dropping the
/// environment stops its servers.
fn env() -> Env {
    {
        let pki = TestPki::new();
        let rsa2048 = pki.dev_signer();
        let p256 = pki.signer("p256", KeyType::P256);
        let p384 = pki.signer("p384", KeyType::P384);
        let rsa3072 = pki.signer("rsa3072", KeyType::Rsa(3072));
        let rsa4096 = pki.signer("rsa4096", KeyType::Rsa(4096));
        let mut keys = vec![
            file_key(&rsa2048, None),
            file_key(&p256, None),
            file_key(&rsa4096, Some("sha512")),
            p12_key(&rsa3072, Some("sha384")),
            p12_key(&p384, None),
        ];
        let hsm = SoftHsm::with_signer(&rsa2048);
        if let Some(h) = &hsm {
            keys.push(Key {
                label: "SoftHSM2 RSA-2048".into(),
                args: vec![
                    "--pkcs11-module".into(),
                    h.module.clone().into(),
                    "--pkcs11-token".into(),
                    h.token.clone().into(),
                    "--pkcs11-pin".into(),
                    h.pin.clone().into(),
                    "--pkcs11-key".into(),
                    h.key_label.clone().into(),
                ],
                env: vec![("SOFTHSM2_CONF".into(), h.conf.clone().into())],
            });
        }
        let our_tsa = Server::start(
            cli()
                .args(["tsa", "--listen", "127.0.0.1:0", "--cert"])
                .arg(pki.tsa_cert())
                .arg("--key")
                .arg(pki.tsa_key()),
            true,
        );
        let reference_tsa = Server::reference_tsa(
            &pki.tsa_cert(),
            &pki.tsa_key(),
            &pki.ca(),
            &pki.path().join("reference-tsa"),
        );
        Env {
            pki,
            keys,
            our_tsa,
            reference_tsa,
            _hsm: hsm,
        }
    }
}

/// Signs `input` (written to a temp file) and returns the output path; panics with the CLI's
/// message when it fails.
fn sign(dir: &Path, name: &str, input: &[u8], args: &[OsString], key: &Key) -> (PathBuf, PathBuf) {
    let input_path = dir.join(format!("{name}.in"));
    let output_path = dir.join(format!("{name}.out"));
    std::fs::write(&input_path, input).unwrap();
    let out = run(cli()
        .envs(key.env.iter().map(|(k, v)| (k, v)))
        .arg("sign")
        .args(args)
        .arg(&input_path)
        .arg(&output_path));
    assert!(out.status.success(), "sign {name} {args:?}: {}", text(&out));
    (input_path, output_path)
}

fn level_args(e: &Env, level: &str) -> Vec<Vec<OsString>> {
    match level {
        "b-b" => vec![vec!["--level".into(), "b-b".into()]],
        _ => {
            let mut v = vec![vec![
                "--level".into(),
                "b-t".into(),
                "--tsa-url".into(),
                e.our_tsa.url.clone().into(),
            ]];
            if let Some(r) = &e.reference_tsa {
                v.push(vec![
                    "--level".into(),
                    "b-t".into(),
                    "--tsa-url".into(),
                    r.url.clone().into(),
                ]);
            }
            v
        }
    }
}

fn check(v: Option<Result<String, String>>, what: &str, valid: bool) {
    match v {
        None => {}
        Some(Ok(r)) => assert!(valid, "{what}: accepted a tampered file:\n{r}"),
        Some(Err(r)) => assert!(!valid, "{what}: rejected:\n{r}"),
    }
}

#[test]
fn cades_detached_and_attached_every_key_and_level() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let content = corpus::binary(64 * 1024);
    let mut n = 0;
    for key in &e.keys {
        for level in ["b-b", "b-t"] {
            for level_args in level_args(&e, level) {
                for attached in [false, true] {
                    n += 1;
                    let mut args: Vec<OsString> = vec!["--format".into(), "cades".into()];
                    args.extend(key.args.iter().cloned());
                    args.extend(level_args.iter().cloned());
                    if attached {
                        args.push("--attached".into());
                    }
                    let what = format!("CAdES {} {level} attached={attached}", key.label);
                    let (input, output) =
                        sign(dir.path(), &format!("cades{n}"), &content, &args, key);
                    let content_arg = (!attached).then_some(input.as_path());
                    validators::openssl_cms(&output, content_arg, &e.pki.ca())
                        .unwrap_or_else(|r| panic!("{what}: openssl cms: {r}"));
                    if level == "b-t" {
                        check(
                            validators::embedded_timestamp(
                                "cades-token",
                                &output,
                                &e.pki.ca(),
                                &e.pki.tsa_cert(),
                            ),
                            &format!("{what} token"),
                            true,
                        );
                    }
                    // One byte of the content (detached) or of the encapsulated content (attached).
                    let tampered = dir.path().join(format!("cades{n}.tampered"));
                    if attached {
                        let signed = std::fs::read(&output).unwrap();
                        let at = signed
                            .windows(64)
                            .position(|w| w == &content[..64])
                            .unwrap()
                            + 10;
                        std::fs::write(&tampered, tamper(&signed, at)).unwrap();
                        assert!(
                            validators::openssl_cms(&tampered, None, &e.pki.ca()).is_err(),
                            "{what}: tampered accepted"
                        );
                    } else {
                        std::fs::write(&tampered, tamper(&content, 1000)).unwrap();
                        assert!(
                            validators::openssl_cms(&output, Some(&tampered), &e.pki.ca()).is_err(),
                            "{what}: tampered accepted"
                        );
                    }
                }
            }
        }
    }
}

/// XAdES documents: (name, content, signature location, a text in the body to tamper).
fn xml_corpus() -> Vec<(&'static str, String, Option<&'static str>, &'static str)> {
    vec![
        (
            "ubl-invoice",
            corpus::ubl_invoice(12),
            Some("ExtensionContent"),
            "FT 2026/123",
        ),
        (
            "ubl-credit-note",
            corpus::ubl_credit_note(),
            Some("ExtensionContent"),
            "FT 2026/123",
        ),
        (
            "default-namespace",
            corpus::xml_default_namespace(),
            Some("SignatureHere"),
            "no namespace",
        ),
        ("comments", corpus::xml_comments(), None, "<a>1</a>"),
        ("non-ascii", corpus::xml_non_ascii(), None, "Açúcar"),
    ]
}

fn check_xades(e: &Env, path: &Path, what: &str, valid: bool, signxml: bool) {
    check(
        validators::xmlsec1(path, &e.pki.ca()),
        &format!("{what}: xmlsec1"),
        valid,
    );
    if signxml {
        check(
            validators::signxml(path, &e.pki.ca()),
            &format!("{what}: signxml"),
            valid,
        );
    }
}

fn tamper_text(signed: &[u8], needle: &str) -> Vec<u8> {
    let at = signed
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("`{needle}` not in the document"));
    tamper(signed, at + needle.len() - 1)
}

#[test]
fn xades_every_key_and_level() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let invoice = corpus::ubl_invoice(12);
    let mut n = 0;
    for key in &e.keys {
        for level in ["b-b", "b-t"] {
            for level_args in level_args(&e, level) {
                n += 1;
                let mut args: Vec<OsString> = vec![
                    "--format".into(),
                    "xades".into(),
                    "--signature-location".into(),
                    "ExtensionContent".into(),
                ];
                args.extend(key.args.iter().cloned());
                args.extend(level_args.iter().cloned());
                let what = format!("XAdES {} {level}", key.label);
                let (_, output) = sign(
                    dir.path(),
                    &format!("xades{n}"),
                    invoice.as_bytes(),
                    &args,
                    key,
                );
                check_xades(&e, &output, &what, true, true);
                if level == "b-t" {
                    check(
                        validators::embedded_timestamp(
                            "xades-token",
                            &output,
                            &e.pki.ca(),
                            &e.pki.tsa_cert(),
                        ),
                        &format!("{what} token"),
                        true,
                    );
                }
                let signed = std::fs::read(&output).unwrap();
                let tampered = dir.path().join(format!("xades{n}.tampered.xml"));
                std::fs::write(&tampered, tamper_text(&signed, "FT 2026/123")).unwrap();
                check_xades(&e, &tampered, &what, false, true);
            }
        }
    }
}

#[test]
fn xades_corpus_transforms_and_canonicalizations() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let key = &e.keys[0];
    let mut n = 0;
    for (name, xml, location, needle) in xml_corpus() {
        for transform in ["enveloped", "xpath", "xpath2-filter"] {
            for c14n in ["exclusive", "exclusive-with-comments"] {
                n += 1;
                let mut args: Vec<OsString> = vec![
                    "--format".into(),
                    "xades".into(),
                    "--signature-transform".into(),
                    transform.into(),
                    "--canonical-transform".into(),
                    c14n.into(),
                ];
                if let Some(l) = location {
                    args.extend(["--signature-location".into(), l.into()]);
                }
                args.extend(key.args.iter().cloned());
                let what = format!("XAdES {name} {transform} {c14n}");
                let (input, output) = sign(
                    dir.path(),
                    &format!("corpus{n}"),
                    xml.as_bytes(),
                    &args,
                    key,
                );
                // signxml implements no XPath transforms; xmlsec1 judges those. signxml also keeps
                // comments in the `URI=""` node-set under WithComments, where XML-DSig §4.4.3.3
                // (and xmlsec1, Santuario) drop them; xmlsec1 judges that case.
                let signxml = transform == "enveloped"
                    && !(c14n == "exclusive-with-comments" && xml.contains("<!--"));
                check_xades(&e, &output, &what, true, signxml);
                let signed = std::fs::read(&output).unwrap();
                assert_original_kept(&std::fs::read(input).unwrap(), &signed, &what);
                let tampered = dir.path().join(format!("corpus{n}.tampered.xml"));
                std::fs::write(&tampered, tamper_text(&signed, needle)).unwrap();
                check_xades(&e, &tampered, &what, false, signxml);
            }
        }
    }
}

/// Every original byte is still there, in order, with only the signature inserted.
fn assert_original_kept(original: &[u8], signed: &[u8], what: &str) {
    let start = signed
        .windows(13)
        .position(|w| w == b"<ds:Signature")
        .unwrap_or_else(|| panic!("{what}: no signature"));
    let end = signed
        .windows(15)
        .rposition(|w| w == b"</ds:Signature>")
        .unwrap()
        + 15;
    let mut rebuilt = signed[..start].to_vec();
    rebuilt.extend_from_slice(&signed[end..]);
    if rebuilt != original {
        // A self-closing element became `<a>…</a>`: the one permitted change.
        let s = String::from_utf8_lossy(&rebuilt);
        assert!(
            s.contains("></SignatureHere>"),
            "{what}: original bytes changed"
        );
    }
}

#[test]
fn xades_second_signature_keeps_the_first_valid_with_xpath() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let base: Vec<OsString> = vec![
        "--format".into(),
        "xades".into(),
        "--signature-transform".into(),
        "xpath2-filter".into(),
    ];
    let mut first = base.clone();
    first.extend(e.keys[0].args.iter().cloned());
    let (_, once) = sign(
        dir.path(),
        "first",
        corpus::ubl_invoice(3).as_bytes(),
        &first,
        &e.keys[0],
    );
    let mut second = base;
    second.extend(e.keys[1].args.iter().cloned());
    let (_, twice) = sign(
        dir.path(),
        "second",
        &std::fs::read(once).unwrap(),
        &second,
        &e.keys[1],
    );
    // xmlsec1 checks the first signature in document order: the earlier one, still valid.
    check_xades(&e, &twice, "XAdES first of two", true, false);
    let xml = std::fs::read_to_string(&twice).unwrap();
    assert_eq!(xml.matches("<ds:Signature ").count(), 2);
}

#[test]
fn cli_reports_bad_input_in_one_line_with_nonzero_exit() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let key = &e.keys[0].args;
    let cases: Vec<(&str, &[u8], Vec<&str>, &str)> = vec![
        (
            "not-xml",
            b"this is not xml",
            vec!["--format", "xades"],
            "invalid XML",
        ),
        (
            "dtd",
            b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>",
            vec!["--format", "xades"],
            "invalid XML",
        ),
        (
            "location",
            b"<x><y/></x>",
            vec!["--format", "xades", "--signature-location", "Nowhere"],
            "Nowhere",
        ),
        ("empty", b"", vec!["--format", "cades"], "empty"),
        (
            "not-pdf",
            b"GIF89a not a pdf",
            vec!["--format", "pades"],
            "PDF",
        ),
        (
            "bt-without-tsa",
            b"data",
            vec!["--format", "cades", "--level", "b-t"],
            "tsa",
        ),
    ];
    for (name, input, args, expect) in cases {
        let input_path = dir.path().join(name);
        let output = dir.path().join(format!("{name}.out"));
        std::fs::write(&input_path, input).unwrap();
        let out = run(cli()
            .arg("sign")
            .args(&args)
            .args(key)
            .arg(&input_path)
            .arg(&output));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: succeeded");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{name}: not one line: {stderr}"
        );
        assert!(
            stderr.to_lowercase().contains(&expect.to_lowercase()),
            "{name}: `{stderr}` does not name `{expect}`"
        );
        assert!(!output.exists(), "{name}: an output was left behind");
    }
    // Wrong PKCS#12 password.
    let out = run(cli()
        .args(["sign", "--format", "cades", "--p12"])
        .arg(e.pki.path().join("signer.p12"))
        .args(["--password", "wrong"])
        .arg(dir.path().join("empty"))
        .arg(dir.path().join("x.out")));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password"),
        "{}",
        text(&out)
    );
}

#[test]
fn dev_pki_writes_the_documented_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(cli().arg("dev-pki").arg(dir.path()));
    assert!(out.status.success(), "{}", text(&out));
    for f in [
        "ca.pem",
        "signer.pem",
        "signer.key",
        "signer.p12",
        "tsa.pem",
        "tsa.key",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    // openssl agrees the signer chains to the CA and the p12 opens with "changeit".
    let out = run(Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(dir.path().join("ca.pem"))
        .arg(dir.path().join("signer.pem")));
    assert!(out.status.success(), "{}", text(&out));
    let out = run(Command::new("openssl")
        .args(["pkcs12", "-in"])
        .arg(dir.path().join("signer.p12"))
        .args(["-passin", "pass:changeit", "-noout"]));
    assert!(out.status.success(), "{}", text(&out));
}

fn check_pades(e: &Env, path: &Path, what: &str, valid: bool) {
    check(
        validators::pyhanko(path, &e.pki.ca()),
        &format!("{what}: pyHanko"),
        valid,
    );
    check(
        validators::pdfsig(path, &e.pki.ca()),
        &format!("{what}: pdfsig"),
        valid,
    );
}

fn pades_args(key: &Key, level_args: &[OsString]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "--format".into(),
        "pades".into(),
        "--reason".into(),
        "Fatura emitida".into(),
        "--location".into(),
        "Lisboa".into(),
    ];
    args.extend(key.args.iter().cloned());
    args.extend(level_args.iter().cloned());
    args
}

#[test]
fn pades_every_key_and_level() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap();
    let mut n = 0;
    for key in &e.keys {
        for level in ["b-b", "b-t"] {
            for level_args in level_args(&e, level) {
                n += 1;
                let what = format!("PAdES {} {level}", key.label);
                let (_, output) = sign(
                    dir.path(),
                    &format!("pades{n}"),
                    &pdf,
                    &pades_args(key, &level_args),
                    key,
                );
                let signed = std::fs::read(&output).unwrap();
                assert!(signed.starts_with(&pdf), "{what}: original bytes not kept");
                check_pades(&e, &output, &what, true);
                let tampered = dir.path().join(format!("pades{n}.tampered.pdf"));
                std::fs::write(&tampered, tamper_text(&signed, "Fatura FT")).unwrap();
                check_pades(&e, &tampered, &what, false);
            }
        }
    }
}

#[test]
fn pades_corpus_structures_and_a_second_signature() {
    let e = env();
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        corpus::PdfKind::Classic,
        corpus::PdfKind::ObjectStreams,
        corpus::PdfKind::Incremental,
        corpus::PdfKind::FormField,
    ];
    let bt = &level_args(&e, "b-t")[0];
    for kind in kinds {
        let Some(pdf) = corpus::pdf(kind, 200 * 1024) else {
            continue;
        };
        let what = format!("PAdES {kind:?}");
        let (_, once) = sign(
            dir.path(),
            &format!("{kind:?}-1"),
            &pdf,
            &pades_args(&e.keys[0], bt),
            &e.keys[0],
        );
        check_pades(&e, &once, &what, true);
        // Already signed: one more signature, and the first stays valid (pdfsig checks both).
        let first = std::fs::read(&once).unwrap();
        let (_, twice) = sign(
            dir.path(),
            &format!("{kind:?}-2"),
            &first,
            &pades_args(&e.keys[1], &[]),
            &e.keys[1],
        );
        let second = std::fs::read(&twice).unwrap();
        assert!(
            second.starts_with(&first),
            "{what}: the first signature's bytes changed"
        );
        check_pades(&e, &twice, &format!("{what} signed twice"), true);
        let report = validators::pdfsig(&twice, &e.pki.ca()).map(|r| r.unwrap_or_else(|r| r));
        if let Some(r) = report {
            assert_eq!(r.matches("Signature is Valid.").count(), 2, "{what}: {r}");
        }
        let tampered = dir.path().join(format!("{kind:?}.tampered.pdf"));
        // qpdf compresses the page text of the object-stream file: flip a byte mid-file there.
        let bytes = if kind == corpus::PdfKind::ObjectStreams {
            tamper(&second, pdf.len() / 2)
        } else {
            tamper_text(&second, "Fatura FT")
        };
        std::fs::write(&tampered, bytes).unwrap();
        check_pades(&e, &tampered, &what, false);
    }
}

/// A PDF signed first by pyHanko gets our signature as well, and both validators accept both.
#[test]
fn pades_after_a_pyhanko_signature() {
    let e = env();
    let Some(pyhanko) = signstash_test_support::tool("pyhanko") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 8192).unwrap();
    let (input, theirs) = (dir.path().join("in.pdf"), dir.path().join("pyhanko.pdf"));
    std::fs::write(&input, &pdf).unwrap();
    let signer = e.pki.dev_signer();
    let out = run(Command::new(pyhanko)
        .args([
            "sign",
            "addsig",
            "--field",
            "PyHankoSig",
            "pemder",
            "--no-pass",
            "--key",
        ])
        .arg(&signer.key)
        .arg("--cert")
        .arg(&signer.cert)
        .arg(&input)
        .arg(&theirs));
    assert!(out.status.success(), "pyhanko addsig: {}", text(&out));
    let first = std::fs::read(&theirs).unwrap();
    let (_, ours) = sign(
        dir.path(),
        "ours",
        &first,
        &pades_args(&e.keys[1], &[]),
        &e.keys[1],
    );
    assert!(std::fs::read(&ours).unwrap().starts_with(&first));
    check_pades(&e, &ours, "pyHanko then Sign'Stash", true);
}

#[test]
fn pades_visible_signature_from_the_flags() {
    let pki = TestPki::new();
    let signer = pki.dev_signer();
    let key = p12_key(&signer, None);
    let dir = tempfile::tempdir().unwrap();
    let mut args = pades_args(&key, &[]);
    args.extend(
        [
            "--visible",
            "page=1,x=300,y=40",
            "--area",
            "width=200,height=60",
            "--visible-text",
            // The historic service's Velocity references, as integrators write them.
            "Assinado por $certificate.getCommonName()\\n$date\\n${reason}",
            "--font",
            "color=#000080,size=10",
            "--background",
            "#FFFFE0",
        ]
        .map(OsString::from),
    );
    let pdf = corpus::pdf(corpus::PdfKind::Classic, 4096).unwrap();
    let (_, output) = sign(dir.path(), "visible", &pdf, &args, &key);
    let signed = std::fs::read(&output).unwrap();
    assert!(signed.starts_with(&pdf));
    let update = String::from_utf8_lossy(&signed[pdf.len()..]).into_owned();
    assert!(update.contains("/Rect [300 40 500 100]"));
    // The text template filled in and wrapped to the area.
    assert!(update.contains("(Assinado por Sign'Stash Development) Tj\nT* (Signer) Tj"));
    assert!(update.contains("T* (Fatura emitida) Tj"));
    for (v, what) in [
        (validators::pyhanko(&output, &pki.ca()), "visible: pyHanko"),
        (validators::pdfsig(&output, &pki.ca()), "visible: pdfsig"),
    ] {
        check(v, what, true);
    }
    let tampered = dir.path().join("visible.tampered.pdf");
    std::fs::write(&tampered, tamper_text(&signed, "Assinado por")).unwrap();
    check(
        validators::pyhanko(&tampered, &pki.ca()),
        "tampered: pyHanko",
        false,
    );
    check(
        validators::pdfsig(&tampered, &pki.ca()),
        "tampered: pdfsig",
        false,
    );

    // A placeholder that is not there: one line, exit code 1, no output file.
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, &pdf).unwrap();
    let missing = dir.path().join("missing.pdf");
    let out = run(cli()
        .arg("sign")
        .args(pades_args(&key, &[]))
        .args(["--visible-placeholder", "NOWHERE"])
        .arg(&input)
        .arg(&missing));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("placeholder `NOWHERE` was not found"),
        "{stderr}"
    );
    assert!(!missing.exists());

    // A reference the template language does not know: named, exit code 1, nothing written.
    let out = run(cli()
        .arg("sign")
        .args(pades_args(&key, &[]))
        .args(["--visible", "page=1,x=300,y=40"])
        .args(["--visible-text", "Signed by $certificate.getName()"])
        .arg(&input)
        .arg(&missing));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--visible-text: the template refers to `$certificate.getName()`"),
        "{stderr}"
    );
    assert!(!missing.exists());
}
