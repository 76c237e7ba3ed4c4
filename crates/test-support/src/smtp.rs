//! Real SMTP servers for the e-mail tests: aiosmtpd from the venv under a kill-on-drop guard,
//! accepting everything, refusing chosen messages or requiring AUTH (`mail_helper.py serve`), and an
//! independent message parser (Python's `email` package, `mail_helper.py parse`).
//!
//! Without aiosmtpd a test fails under `CI` and is skipped (with a note) elsewhere.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::{mail_helper, venv};

fn skip_or_fail(what: &str) {
    let note = format!(
        "{what}: create the venv with `cargo xtask test` or set SIGNSTASH_VENV (currently {})",
        venv().display()
    );
    assert!(std::env::var_os("CI").is_none(), "{note}");
    eprintln!("SKIPPED (not under CI): {note}");
}

/// The venv's Python when it can import aiosmtpd; `None` (after a note) outside CI.
pub fn aiosmtpd_python() -> Option<PathBuf> {
    let python = venv().join("bin/python");
    let works = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if works {
        Some(python)
    } else {
        skip_or_fail("aiosmtpd is not available");
        None
    }
}

/// A Python for the parser (standard library only): the venv's, else `python3`.
pub fn any_python() -> Option<PathBuf> {
    let candidates = [venv().join("bin/python"), PathBuf::from("python3")];
    let found = candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import email.policy"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        skip_or_fail("no Python 3 to parse the messages");
    }
    found
}

/// A free local TCP port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// How the server treats messages.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// `python -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`.
    Accept,
    /// `mail_helper.py serve`: `reply` at `stage` ("rcpt" or "data") for the first `count`
    /// messages (-1: always), then accept.
    Refuse {
        stage: &'static str,
        reply: &'static str,
        count: i32,
    },
    /// `mail_helper.py serve --auth-user U --auth-password P`: AUTH PLAIN/LOGIN offered without
    /// TLS and required before MAIL (530 without it); only this user and password are accepted
    /// (535 otherwise); then every message is accepted. The log notes each AUTH's outcome
    /// (`AUTH PLAIN accepted` / `refused`).
    RequireAuth {
        username: &'static str,
        password: &'static str,
    },
}

/// A running aiosmtpd, killed (and reaped) on drop, even when the test panics.
pub struct SmtpServer {
    child: Child,
    port: u16,
    python: PathBuf,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts a server and waits until it listens; `None` when aiosmtpd is missing (not CI).
    pub fn start(behaviour: Behaviour) -> Option<Self> {
        let python = aiosmtpd_python()?;
        let dir = tempfile::tempdir().expect("temporary folder");
        let maildir = dir.path().join("Maildir");
        let port = free_port();
        let mut command = Command::new(&python);
        match behaviour {
            Behaviour::Accept => {
                command
                    .args(["-m", "aiosmtpd", "-n", "-l"])
                    .arg(format!("127.0.0.1:{port}"))
                    .args(["-c", "aiosmtpd.handlers.Mailbox"])
                    .arg(&maildir);
            }
            Behaviour::Refuse {
                stage,
                reply,
                count,
            } => {
                command
                    .arg(mail_helper())
                    .args(["serve", "--port", &port.to_string(), "--maildir"])
                    .arg(&maildir)
                    .args(["--stage", stage, "--reply", reply])
                    .args(["--count", &count.to_string()]);
            }
            Behaviour::RequireAuth { username, password } => {
                command
                    .arg(mail_helper())
                    .args(["serve", "--port", &port.to_string(), "--maildir"])
                    .arg(&maildir)
                    .args(["--auth-user", username, "--auth-password", password]);
            }
        }
        let log = fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = command
            .stdin(Stdio::piped()) // closed on drop: mail_helper.py exits on EOF
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start aiosmtpd");
        let mut server = Self {
            child,
            port,
            python,
            dir,
        };
        server.wait_until_listening();
        Some(server)
    }

    /// A server that accepts every message.
    pub fn accepting() -> Option<Self> {
        Self::start(Behaviour::Accept)
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}) before listening:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd not listening on {} after 20 s:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What the server wrote to stderr (for failure messages).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Files of the messages delivered so far (Maildir `new/`), oldest first.
    pub fn delivered(&self) -> Vec<PathBuf> {
        list_files(&self.dir.path().join("Maildir/new"))
    }

    /// Waits (up to 10 s) for `n` delivered messages: the server stores after answering 250.
    pub fn wait_for(&self, n: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let files = self.delivered();
            if files.len() >= n || Instant::now() > deadline {
                return files;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every delivered message, parsed by Python's `email` package.
    pub fn messages(&self) -> Vec<Parsed> {
        parse_messages(&self.python, &self.delivered())
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The files of a folder, sorted; empty when it does not exist.
pub fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// A message as Python's `email` package reads it.
#[derive(Debug, serde::Deserialize)]
pub struct Parsed {
    pub raw: String,
    pub content_type: String,
    pub header_names: Vec<String>,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub text: Option<String>,
    pub html: Option<String>,
    /// The MIME tree, e.g. `multipart/mixed(multipart/alternative(text/plain,text/html),application/pdf)`.
    pub structure: String,
    /// The attachments (`iter_attachments`: the parts that are not the body).
    pub attachments: Vec<ParsedAttachment>,
    /// Every leaf part with a `Content-ID` (inline images of a `multipart/related`), in order.
    pub inline: Vec<ParsedAttachment>,
    pub defects: Vec<String>,
}

/// One attachment or inline part of a [`Parsed`] message.
#[derive(Debug, serde::Deserialize)]
pub struct ParsedAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    /// The `Content-ID` header as written, angle brackets included.
    pub content_id: Option<String>,
    /// `inline`, `attachment` or none.
    pub disposition: Option<String>,
    pub data_b64: String,
}

impl ParsedAttachment {
    /// The decoded bytes.
    pub fn data(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.data_b64)
            .expect("base64 from the parser")
    }
}

/// Parses message files (`.eml` or Maildir entries) with `mail_helper.py parse`.
pub fn parse_messages(python: &Path, files: &[PathBuf]) -> Vec<Parsed> {
    let output = Command::new(python)
        .arg(mail_helper())
        .arg("parse")
        .args(files)
        .stderr(Stdio::inherit())
        .output()
        .expect("run mail_helper.py parse");
    assert!(output.status.success(), "mail_helper.py parse failed");
    serde_json::from_slice(&output.stdout).expect("JSON from mail_helper.py parse")
}

/// The token that follows `/d/` in a mail body, as written there.
pub fn portal_token_in(body: &str) -> String {
    let at = body.find("/d/").expect("a portal link") + 3;
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
