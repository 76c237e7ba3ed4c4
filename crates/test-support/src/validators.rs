//! The judges: each function runs a program we did not write and returns `Ok(report)` only when
//! that program says the signature is valid. `None` means the tool is missing (outside CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{run, text, tool, venv};

pub type Verdict = Option<Result<String, String>>;

fn verdict(out: std::process::Output) -> Result<String, String> {
    if out.status.success() {
        Ok(text(&out))
    } else {
        Err(text(&out))
    }
}

/// `openssl cms -verify -cades` of a `.p7s` (detached when `content` is given).
pub fn openssl_cms(p7s: &Path, content: Option<&Path>, ca: &Path) -> Result<String, String> {
    let mut cmd = Command::new("openssl");
    cmd.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(p7s);
    if let Some(c) = content {
        cmd.arg("-content").arg(c);
    }
    cmd.arg("-CAfile")
        .arg(ca)
        .args(["-purpose", "any", "-cades", "-out", "/dev/null"]);
    verdict(run(&mut cmd))
}

/// `pyhanko sign validate` against `ca` as the only trust anchor (exit code 0 only when valid).
pub fn pyhanko(pdf: &Path, ca: &Path) -> Verdict {
    let pyhanko = tool("pyhanko")?;
    let out = run(Command::new(pyhanko)
        .args(["sign", "validate", "--trust"])
        .arg(ca)
        .args(["--trust-replace", "--pretty-print"])
        .arg(pdf));
    Some(verdict(out))
}

/// poppler's `pdfsig` with an NSS database trusting `ca`. pdfsig exits 0 even for a bad
/// digest, so its text is read: every signature valid and trusted, the last covering the file.
pub fn pdfsig(pdf: &Path, ca: &Path) -> Verdict {
    let pdfsig = tool("pdfsig")?;
    let certutil = tool("certutil")?;
    let nss = tempfile::tempdir().unwrap();
    let db = format!("sql:{}", nss.path().display());
    let out = run(Command::new(&certutil).args(["-N", "-d", &db, "--empty-password"]));
    assert!(out.status.success(), "certutil -N: {}", text(&out));
    let out = run(Command::new(&certutil)
        .args(["-A", "-d", &db, "-n", "root", "-t", "CT,C,C", "-i"])
        .arg(ca));
    assert!(out.status.success(), "certutil -A: {}", text(&out));
    let out = run(Command::new(pdfsig).args(["-nssdir", &db]).arg(pdf));
    let report = text(&out);
    let blocks: Vec<&str> = report.split("Signature #").skip(1).collect();
    let ok = !blocks.is_empty()
        && blocks
            .iter()
            .all(|b| b.contains("Signature is Valid.") && b.contains("Certificate is Trusted."))
        && blocks
            .last()
            .is_some_and(|b| b.contains("Total document signed"));
    Some(if ok { Ok(report) } else { Err(report) })
}

/// `xmlsec1 --verify` trusting `ca`, with XAdES `SignedProperties` ids registered.
pub fn xmlsec1(xml: &Path, ca: &Path) -> Verdict {
    let xmlsec1 = tool("xmlsec1")?;
    let out = run(Command::new(xmlsec1)
        .args(["--verify", "--trusted-pem"])
        .arg(ca)
        .args([
            "--id-attr:Id",
            "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        ])
        .arg(xml));
    Some(verdict(out))
}

fn python() -> Option<PathBuf> {
    let p = venv().join("bin/python");
    if p.is_file() {
        return Some(p);
    }
    tool("python-with-validators")
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("validators.py")
}

/// signxml's `XAdESVerifier` (checks SigningCertificateV2 too).
pub fn signxml(xml: &Path, ca: &Path) -> Verdict {
    let py = python()?;
    Some(verdict(run(Command::new(py)
        .arg(script())
        .arg("signxml")
        .arg(xml)
        .arg(ca))))
}

/// `openssl ts -verify` of a bare token over a digest given in hex (the token's algorithm).
pub fn openssl_ts_token(
    token: &Path,
    digest_hex: &str,
    ca: &Path,
    tsa_cert: &Path,
) -> Result<String, String> {
    verdict(run(Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(token)
        .args(["-digest", digest_hex, "-CAfile"])
        .arg(ca)
        .arg("-untrusted")
        .arg(tsa_cert)))
}

/// Extracts the timestamp token of a XAdES (`xades-token`) or CAdES (`cades-token`) signature
/// and checks it with `openssl ts -verify` against the digest it must cover, computed by
/// lxml / asn1crypto rather than by us.
pub fn embedded_timestamp(kind: &str, signed: &Path, ca: &Path, tsa_cert: &Path) -> Verdict {
    let py = python()?;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token.der");
    let out = run(Command::new(py)
        .arg(script())
        .arg(kind)
        .arg(signed)
        .arg(&token));
    if !out.status.success() {
        return Some(Err(text(&out)));
    }
    let digest = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(openssl_ts_token(&token, &digest, ca, tsa_cert))
}
