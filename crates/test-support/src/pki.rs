//! A test PKI (one CA, signers of every key type, a timestamp authority) written to a temporary
//! directory, plus SoftHSM2 tokens holding a signer's key.

use std::path::{Path, PathBuf};
use std::process::Command;

use signstash_signing::devpki::{issue, DevPki, Issued, KeyType, Profile, DEV_P12_PASSWORD};

use crate::{run, text, tool};

pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub pki: DevPki,
}

/// A signer's files: certificate, unencrypted PKCS#8 key, PKCS#12 (password "changeit").
#[derive(Clone, Debug)]
pub struct SignerFiles {
    pub name: String,
    pub key_type: KeyType,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub p12: PathBuf,
}

impl TestPki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::generate().unwrap();
        pki.write(dir.path()).unwrap();
        Self { dir, pki }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn ca(&self) -> PathBuf {
        self.path().join("ca.pem")
    }

    pub fn tsa_cert(&self) -> PathBuf {
        self.path().join("tsa.pem")
    }

    pub fn tsa_key(&self) -> PathBuf {
        self.path().join("tsa.key")
    }

    /// The development signer (RSA-2048) written by `dev-pki`.
    pub fn dev_signer(&self) -> SignerFiles {
        SignerFiles {
            name: "signer".into(),
            key_type: KeyType::Rsa(2048),
            cert: self.path().join("signer.pem"),
            key: self.path().join("signer.key"),
            p12: self.path().join("signer.p12"),
        }
    }

    /// A new signer of `key_type`, issued by the CA.
    pub fn signer(&self, name: &str, key_type: KeyType) -> SignerFiles {
        let issued: Issued = issue(
            &format!("Test Signer {name}"),
            key_type,
            Profile::Signer,
            Some(&self.pki.ca),
        )
        .unwrap();
        let files = SignerFiles {
            name: name.into(),
            key_type,
            cert: self.path().join(format!("{name}.pem")),
            key: self.path().join(format!("{name}.key")),
            p12: self.path().join(format!("{name}.p12")),
        };
        std::fs::write(&files.cert, issued.cert_pem().unwrap()).unwrap();
        std::fs::write(&files.key, issued.key_pem().unwrap()).unwrap();
        std::fs::write(
            &files.p12,
            issued.pkcs12(DEV_P12_PASSWORD, &self.pki.ca.cert).unwrap(),
        )
        .unwrap();
        files
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

/// A SoftHSM2 token in a temporary directory, with one signer's key and certificate imported.
pub struct SoftHsm {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    pub module: PathBuf,
    pub token: String,
    pub pin: String,
    pub key_label: String,
}

pub const SOFTHSM_MODULE_PATHS: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
];

impl SoftHsm {
    /// `None` when SoftHSM2 is not installed (outside CI).
    pub fn with_signer(signer: &SignerFiles) -> Option<Self> {
        let util = tool("softhsm2-util")?;
        let p11tool = tool("pkcs11-tool")?;
        let module = SOFTHSM_MODULE_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let Some(module) = module else {
            assert!(std::env::var_os("CI").is_none(), "libsofthsm2.so not found");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        let hsm = Self {
            dir,
            conf,
            module,
            token: "signstash".into(),
            pin: "1234".into(),
            key_label: "signer".into(),
        };
        let out = run(Command::new(util).env("SOFTHSM2_CONF", &hsm.conf).args([
            "--init-token",
            "--free",
            "--label",
            &hsm.token,
            "--so-pin",
            "5678",
            "--pin",
            &hsm.pin,
        ]));
        assert!(out.status.success(), "softhsm2-util: {}", text(&out));
        // pkcs11-tool imports DER objects: convert with openssl.
        let key_der = hsm.dir.path().join("key.der");
        let cert_der = hsm.dir.path().join("cert.der");
        let out = run(Command::new("openssl")
            .args(["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"])
            .arg(&signer.key)
            .arg("-out")
            .arg(&key_der));
        assert!(out.status.success(), "openssl pkcs8: {}", text(&out));
        let out = run(Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&signer.cert)
            .arg("-out")
            .arg(&cert_der));
        assert!(out.status.success(), "openssl x509: {}", text(&out));
        for (file, ty) in [(&key_der, "privkey"), (&cert_der, "cert")] {
            let out = run(Command::new(&p11tool)
                .env("SOFTHSM2_CONF", &hsm.conf)
                .arg("--module")
                .arg(&hsm.module)
                .args([
                    "--token-label",
                    &hsm.token,
                    "--login",
                    "--pin",
                    &hsm.pin,
                    "--write-object",
                ])
                .arg(file)
                .args(["--type", ty, "--label", &hsm.key_label, "--id", "01"]));
            assert!(
                out.status.success(),
                "pkcs11-tool --write-object {ty}: {}",
                text(&out)
            );
        }
        Some(hsm)
    }
}
