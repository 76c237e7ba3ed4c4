//! Test support for Sign'Stash: the independent validators our signatures are judged by, a test
//! PKI for every key type, SoftHSM2 tokens, an openssl-based reference timestamp authority, and
//! the generated document corpus, and what qpdf and poppler see in a PDF (fields, words and
//! their boxes, renderings). None of the judging is done by our own code.
//!
//! Tools come from the system (`openssl`, `xmlsec1`, `pdfsig`, `certutil`, `softhsm2-util`,
//! `pkcs11-tool`, `qpdf`) and from the Python environment `cargo xtask test` makes under
//! `.data/venv` (`pyhanko`, `signxml`); `SIGNSTASH_VENV` points elsewhere. When a tool is missing
//! a test fails under CI (`CI` set) and is skipped with a note otherwise.
#![allow(clippy::unwrap_used)]

pub mod corpus;
pub mod pdf_inspect;
pub mod pki;
pub mod s3;
pub mod smtp;
pub mod validators;
pub mod webdriver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where `.data/` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The Python virtual environment with the validators.
pub fn venv() -> PathBuf {
    std::env::var_os("SIGNSTASH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".data/venv"))
}

/// Finds a program on PATH or in the venv. `None` (with a note) when it is missing outside CI;
/// a panic under CI, where every tool must be installed.
pub fn tool(name: &str) -> Option<PathBuf> {
    let in_venv = venv().join("bin").join(name);
    if in_venv.is_file() {
        return Some(in_venv);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("`{name}` is not installed; `cargo xtask test` installs it");
    }
    eprintln!(
        "note: `{name}` not installed; skipping the checks that need it (run `cargo xtask test`)"
    );
    None
}

/// `mail_helper.py`: a real aiosmtpd server that refuses chosen messages (`serve`), and a
/// message parser built on Python's `email` package (`parse`), for every e-mail test.
pub fn mail_helper() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("mail_helper.py")
}

/// Runs a command, returning its output; panics only if it cannot be started.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// stdout + stderr as text, for assertions and messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A copy of `bytes` with the byte at `offset` changed.
pub fn tamper(bytes: &[u8], offset: usize) -> Vec<u8> {
    let mut t = bytes.to_vec();
    t[offset] ^= 0x01;
    t
}

/// A server process started for a test, killed when dropped.
pub struct Server {
    child: std::process::Child,
    pub url: String,
}

impl Server {
    /// Starts `cmd` and waits for a line containing `http://HOST:PORT` on `stream` (stdout or stderr).
    pub fn start(cmd: &mut Command, on_stderr: bool) -> Self {
        use std::io::BufRead;
        use std::process::Stdio;
        // Servers that watch their stdin end with the test even if it is killed.
        cmd.stdin(Stdio::piped());
        if on_stderr {
            cmd.stderr(Stdio::piped()).stdout(Stdio::null());
        } else {
            cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let reader: Box<dyn std::io::Read + Send> = if on_stderr {
            Box::new(child.stderr.take().unwrap())
        } else {
            Box::new(child.stdout.take().unwrap())
        };
        let mut lines = std::io::BufReader::new(reader).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(i) = line.find("http://") {
                        break line[i..].trim().to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("{cmd:?} exited before it listened");
                }
            }
        };
        // Keep draining so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, url }
    }

    /// The openssl-based reference timestamp authority (`reference_tsa.py`), or `None` when
    /// the Python environment is missing outside CI.
    pub fn reference_tsa(tsa_cert: &Path, tsa_key: &Path, ca: &Path, work: &Path) -> Option<Self> {
        let py = venv().join("bin/python");
        let py = if py.is_file() { py } else { tool("python3")? };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference_tsa.py");
        Some(Self::start(
            Command::new(py)
                .arg(script)
                .arg(tsa_cert)
                .arg(tsa_key)
                .arg(ca)
                .arg(work),
            false,
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
