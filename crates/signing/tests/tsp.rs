//! The RFC 3161 responder and client, judged by `openssl ts -verify`.
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::sync::Arc;

use signstash_signing::devpki::DevPki;
use signstash_signing::tsp::{build_request, check_response, TimestampAuthority};
use signstash_signing::{DigestAlgorithm, KeyFileSigner, TimeStamper};

fn authority(pki: &DevPki) -> TimestampAuthority {
    let signer = KeyFileSigner::from_pem(
        &pki.tsa.key_pem().unwrap(),
        &pki.tsa.cert_pem().unwrap(),
        None,
    )
    .unwrap();
    TimestampAuthority::new(Arc::new(signer))
}

#[test]
fn responder_tokens_verify_with_openssl_ts() {
    let pki = DevPki::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path()).unwrap();
    let tsa = authority(&pki);
    for (i, alg) in [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ]
    .into_iter()
    .cycle()
    .take(30)
    .enumerate()
    {
        let data = format!("document {i}");
        let digest = alg.digest(data.as_bytes()).unwrap();
        let (req, nonce) = build_request(alg, &digest).unwrap();
        let reply = tsa.respond(&req);
        check_response(&reply, alg, &digest, &nonce).unwrap_or_else(|e| panic!("round {i}: {e}"));
        let (d, r) = (dir.path().join("data"), dir.path().join("reply.tsr"));
        std::fs::write(&d, &data).unwrap();
        std::fs::write(&r, &reply).unwrap();
        let out = Command::new("openssl")
            .args(["ts", "-verify", "-data"])
            .arg(&d)
            .arg("-in")
            .arg(&r)
            .arg("-CAfile")
            .arg(dir.path().join("ca.pem"))
            .arg("-untrusted")
            .arg(dir.path().join("tsa.pem"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "round {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A one-byte change of the data must fail.
        std::fs::write(&d, format!("document {i}!")).unwrap();
        let out = Command::new("openssl")
            .args(["ts", "-verify", "-data"])
            .arg(&d)
            .arg("-in")
            .arg(&r)
            .arg("-CAfile")
            .arg(dir.path().join("ca.pem"))
            .arg("-untrusted")
            .arg(dir.path().join("tsa.pem"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "round {i}: tampered data verified");
    }
}

#[test]
fn client_refuses_wrong_imprint_nonce_and_bad_replies() {
    let pki = DevPki::generate().unwrap();
    let tsa = authority(&pki);
    let alg = DigestAlgorithm::Sha256;
    let digest = alg.digest(b"x").unwrap();
    let (req, nonce) = build_request(alg, &digest).unwrap();
    let reply = tsa.respond(&req);
    let other = alg.digest(b"y").unwrap();
    assert!(
        check_response(&reply, alg, &other, &nonce).is_err(),
        "wrong imprint accepted"
    );
    let (_, other_nonce) = build_request(alg, &digest).unwrap();
    assert!(
        check_response(&reply, alg, &digest, &other_nonce).is_err(),
        "wrong nonce accepted"
    );
    assert!(check_response(b"garbage", alg, &digest, &nonce).is_err());
    // A request that is not DER gets a rejection reply, which the client reports.
    let rejection = tsa.respond(b"not a request");
    let err = check_response(&rejection, alg, &digest, &nonce)
        .unwrap_err()
        .to_string();
    assert!(err.contains("refused"), "{err}");
    // The in-process path used by B-T works too.
    assert!(!tsa.timestamp(alg, &digest).unwrap().is_empty());
}
