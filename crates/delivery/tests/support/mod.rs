//! Test support: real SMTP servers (aiosmtpd) under a kill-on-drop guard, and an independent
//! message parser (Python's `email` package).

#![allow(dead_code)] // each test binary uses part of it

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// The venv with aiosmtpd: `$SIGNSTASH_VENV`, else `.data/venv` at the workspace root.
fn venv() -> PathBuf {
    std::env::var_os("SIGNSTASH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.data/venv"))
}

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
    let venv_python = venv().join("bin/python");
    let candidates = [venv_python, PathBuf::from("python3")];
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// How the server treats messages.
pub enum Behaviour {
    /// `python -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`.
    Accept,
    /// `mail_helper.py serve` (crates/test-support): `reply` at `stage` ("rcpt" or "data") for the first `count`
    /// messages (-1: always), then accept.
    Refuse {
        stage: &'static str,
        reply: &'static str,
        count: i32,
    },
}

/// A running aiosmtpd, killed (and reaped) on drop, even when the test panics.
pub struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start(behaviour: Behaviour) -> Option<Self> {
        let python = aiosmtpd_python()?;
        let dir = tempfile::tempdir().expect("temporary folder");
        let maildir = dir.path().join("Maildir");
        let port = free_port();
        let mut command = Command::new(python);
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
                    .arg(signstash_test_support::mail_helper())
                    .args(["serve", "--port", &port.to_string(), "--maildir"])
                    .arg(&maildir)
                    .args([
                        "--stage",
                        stage,
                        "--reply",
                        reply,
                        "--count",
                        &count.to_string(),
                    ]);
            }
        }
        let log = fs::File::create(dir.path().join("server.log")).expect("log file");
        let child = command
            .stdin(Stdio::piped()) // closed on drop: mail_helper.py exits on EOF
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start aiosmtpd");
        let mut server = Self { child, port, dir };
        server.wait_until_listening();
        Some(server)
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
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

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Files of the messages delivered so far (Maildir `new/`), oldest first.
    pub fn delivered(&self) -> Vec<PathBuf> {
        list_files(&self.dir.path().join("Maildir/new"))
    }

    /// Waits for `n` delivered messages (the server stores after answering 250).
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
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    pub attachments: Vec<ParsedAttachment>,
    pub defects: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
pub struct ParsedAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub data_b64: String,
}

impl ParsedAttachment {
    pub fn data(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.data_b64)
            .expect("base64 from the parser")
    }
}

pub fn parse_messages(python: &Path, files: &[PathBuf]) -> Vec<Parsed> {
    let output = Command::new(python)
        .arg(signstash_test_support::mail_helper())
        .arg("parse")
        .args(files)
        .stderr(Stdio::inherit())
        .output()
        .expect("run mail_helper.py parse");
    assert!(output.status.success(), "mail_helper.py parse failed");
    serde_json::from_slice(&output.stdout).expect("JSON from mail_helper.py parse")
}

pub mod fixtures {
    use signstash_delivery::{
        Attachment, DocumentsAvailable, Language, MailComposer, PortalToken, Sender,
    };

    pub const PORTAL: &str = "https://portal.signstash.test";

    pub fn composer() -> MailComposer {
        let sender = Sender::new(Some("Sign'Stash"), "no-reply@signstash.test").expect("sender");
        MailComposer::new(sender, &format!("{PORTAL}/")).expect("composer")
    }

    /// Every byte value, behind a PDF header: proves the attachment is binary-clean.
    pub fn pdf_bytes() -> Vec<u8> {
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend((0..=255u8).cycle().take(70_000));
        bytes
    }

    pub fn xml_bytes() -> Vec<u8> {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice>Março: 12,30 €</Invoice>\n"
            .as_bytes()
            .to_vec()
    }

    pub fn pt_with_attachments() -> DocumentsAvailable {
        DocumentsAvailable {
            language: Language::PtPt,
            issuer_name: "Ferragens Silva & Filhos, Lda.".into(),
            operation_description: Some("Faturas de março <urgente>".into()),
            document_names: vec!["fatura-ção 123.pdf".into(), "FT 2026-124.xml".into()],
            attachments: vec![
                Attachment::new("fatura-ção 123.pdf", "application/pdf", pdf_bytes())
                    .expect("attachment"),
                Attachment::new("FT 2026-124.xml", "text/xml", xml_bytes()).expect("attachment"),
            ],
        }
    }

    pub fn en_without_attachments() -> DocumentsAvailable {
        DocumentsAvailable {
            language: Language::En,
            issuer_name: "Acme <Trading> Ltd".into(),
            operation_description: None,
            document_names: vec!["invoice-123.xml".into()],
            attachments: vec![],
        }
    }

    /// The token that follows `/d/` in `body`, as written there.
    pub fn token_in(body: &str) -> String {
        let at = body.find("/d/").expect("a portal link") + 3;
        body[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    pub fn link(token: &PortalToken) -> String {
        format!("{PORTAL}/d/{}", token.expose_secret())
    }
}
