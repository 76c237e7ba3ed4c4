//! An S3-compatible server for the document-store tests: moto's standalone server (`moto_server`
//! from the venv, PyPI `moto[server]`), spoken to over HTTP by the real `object_store` S3 client
//! exactly as AWS S3 or MinIO would be. Killed on drop. Without it a test fails under `CI` and is
//! skipped (with a note) elsewhere.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::smtp::free_port;
use crate::venv;

pub const ACCESS_KEY_ID: &str = "signstash-test";
pub const SECRET_ACCESS_KEY: &str = "signstash-test-secret";
pub const REGION: &str = "us-east-1";

pub struct S3Server {
    child: Child,
    port: u16,
    python: PathBuf,
}

impl S3Server {
    /// Starts `moto_server` on a free port and creates `bucket` in it.
    pub fn start(bucket: &str) -> Option<Self> {
        let moto = venv().join("bin/moto_server");
        if !moto.is_file() {
            let note = format!(
                "moto_server is not available: create the venv with `cargo xtask test` or set \
                 SIGNSTASH_VENV (currently {})",
                venv().display()
            );
            assert!(std::env::var_os("CI").is_none(), "{note}");
            eprintln!("SKIPPED (not under CI): {note}");
            return None;
        }
        let port = free_port();
        let child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let mut server = Self {
            child,
            port,
            python: venv().join("bin/python"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("moto_server exited ({status})");
            }
            assert!(Instant::now() < deadline, "moto_server not listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        server.boto(&format!("s3.create_bucket(Bucket={bucket:?})"));
        Some(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `statement` with `s3`, a boto3 client of this server; returns what it prints.
    fn boto(&self, statement: &str) -> Vec<u8> {
        let script = format!(
            "import sys, boto3\n\
             s3 = boto3.client('s3', endpoint_url={endpoint:?}, region_name={REGION:?}, \
             aws_access_key_id={ACCESS_KEY_ID:?}, aws_secret_access_key={SECRET_ACCESS_KEY:?})\n\
             {statement}\n",
            endpoint = self.endpoint()
        );
        let out = Command::new(&self.python)
            .args(["-c", &script])
            .output()
            .expect("run boto3");
        assert!(
            out.status.success(),
            "boto3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// The keys of the bucket's objects, read by boto3 (not by our client).
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let out = self.boto(&format!(
            "for o in s3.list_objects_v2(Bucket={bucket:?}).get('Contents', []): print(o['Key'])"
        ));
        String::from_utf8(out)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// An object's raw bytes, read by boto3.
    pub fn object(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.boto(&format!(
            "sys.stdout.buffer.write(s3.get_object(Bucket={bucket:?}, Key={key:?})['Body'].read())"
        ))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
