//! integration-ws end to end on this machine, against its physical ceiling measured in the same
//! run.
//!
//! `cargo xtask bench api` (a private PostgreSQL under `.data/pg-bench` on port 55434 unless
//! `DATABASE_URL` is set, then `cargo bench -p integration-ws --bench api`) prints one markdown
//! table:
//!
//! * the ceiling: `openssl speed -multi 2 -seconds 3 rsa2048`, RSA-2048 signatures per second on
//!   both cores (the better of a run before and a run after ours);
//! * the most 5 KB UBL invoices signed and stored per second (XAdES B-B, one per request,
//!   `returnSignedContent` true), closed loop over a few connection counts, against ≥ 35 % of
//!   the ceiling;
//! * p50 / p99 latency at half that rate, open loop (requests leave at fixed times, latency is
//!   counted from the time a request was due, so a slow answer cannot hide the queue behind it:
//!   no coordinated omission), against p99 ≤ 50 ms;
//! * the peak RSS of a freshly started integration-ws during one 10 MB multipart request (50
//!   PDFs of 200 KB, PAdES B-B): `VmHWM` reset (`/proc/PID/clear_refs`) after the token request,
//!   whose argon2 check peaks on its own, and read after the answer; against ≤ 96 MiB (the goal's
//!   "96 MB" read as MiB, as memory limits are), with `returnSignedContent` true, and for
//!   information false.
//!
//! The stack is the real one: a fresh database in the cluster of `DATABASE_URL` (dropped at the
//! end), the development PKI and a master key in a temporary directory, `integration-ws
//! seed-demo`, then `integration-ws serve` — the release binary cargo builds for this bench — as
//! a child process on a free port, with the shipped defaults. Two changes: the demo client
//! service's `concurrency_limit` (8 from the seed; it answers 429 above it) is raised in the
//! benchmark's database, so that the open loop's bursts are measured instead of refused; and
//! the documents get the database's durability: flushed to the disk one by one
//! (`SIGNSTASH_DOCUMENT_SYNC`, the default) when PostgreSQL runs with `fsync` on, not when it
//! runs with `fsync` off, as `cargo xtask bench api`'s private cluster does
//! (`SIGNSTASH_DOCUMENT_SYNC` set for the bench, e.g. `filesystem`, is passed on instead).
//! Every answer must be 200 with the documents `SIGNED`; anything else is counted as an error and
//! printed.
//!
//! The load runs on the same two cores as the service and PostgreSQL, over HTTP/1.1 keep-alive:
//! the closed loop is `wrk` (Debian's package, which `cargo xtask bench api` installs) with
//! `benches/api-invoices.lua`; the open loop, which must send at fixed times whatever the
//! answers do, is this program (tokio + reqwest). The notes under the table give the CPU time
//! per document of each (integration-ws, PostgreSQL, the load generator, the rest of the
//! machine).
//!
//! It is a report: the exit code is 0 whether or not the goals are met. Run without `--bench`
//! it only signs one invoice and one 50-PDF request, as a smoke test (skipped without
//! `DATABASE_URL`).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};
use signstash_test_support::corpus::{self, PdfKind};

const SERVICE: &str = env!("CARGO_BIN_EXE_integration-ws");

const THROUGHPUT_GOAL: f64 = 0.35;
const P99_GOAL: Duration = Duration::from_millis(50);
const RSS_GOAL_MIB: f64 = 96.0;
/// What the service we replace asks for, at least.
const REPLACED_MIB: f64 = 512.0;

/// Closed-loop connection counts tried for the most documents per second, each for `WINDOW`.
const CONNECTIONS: &[usize] = &[4, 8, 16, 32, 64, 128, 256];
const WINDOW: Duration = Duration::from_secs(5);
const WARM_UP: Duration = Duration::from_secs(2);
/// The open loop at half the rate: the best of `OPEN_WINDOWS` windows of `OPEN_WINDOW` (the
/// one with the lowest p99), so that a burst from the machine's other tenants does not decide.
const OPEN_WINDOW: Duration = Duration::from_secs(10);
const OPEN_WINDOWS: usize = 3;
/// The benchmark database's client service may run this many requests at once.
const CONCURRENCY_LIMIT: i32 = 4096;
const PDFS: usize = 50;
const PDF_SIZE: usize = 200 * 1024;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let Ok(admin_url) = std::env::var("DATABASE_URL") else {
        if full {
            eprintln!("api bench: DATABASE_URL is not set (`cargo xtask bench api` sets one)");
            std::process::exit(1);
        }
        println!("api bench: skipped (no DATABASE_URL; `cargo xtask bench api` runs it)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run(&admin_url, full)) {
        eprintln!("api bench: {e}");
        std::process::exit(1);
    }
}

async fn run(admin_url: &str, full: bool) -> Result<(), String> {
    let started = Instant::now();
    let load_before = loadavg();
    eprintln!("api bench: a fresh database, the development PKI, seed-demo…");
    let stack = Stack::create(admin_url).await?;
    let result = match stack.seed().await {
        Err(e) => Err(e),
        Ok(()) if full && std::env::args().any(|a| a == "budget") => {
            let budget = budget_memory(&stack).await;
            println!("| Measure | Figure | Ceiling / reference | Ratio | Goal | Result |");
            println!("|---|---|---|---|---|---|");
            println!("| {} |", budget_row(&budget).join(" | "));
            budget.map(drop)
        }
        Ok(()) if full => measure(&stack).await.map(|r| report(&r, &load_before)),
        Ok(()) => smoke(&stack).await,
    };
    stack.destroy().await;
    if full {
        eprintln!(
            "api bench: done in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    result
}

// ---------------------------------------------------------------------------------------------
// The stack: database, PKI, seed, service processes

struct Stack {
    dir: tempfile::TempDir,
    admin_url: String,
    database: String,
    database_url: String,
    master_key: String,
    /// `SHOW fsync` and `SHOW synchronous_commit` of the cluster, for the notes.
    durability: String,
    /// `SIGNSTASH_DOCUMENT_SYNC` for the service: the bench's own if set, else as
    /// PostgreSQL's `fsync` (`true` or `false`).
    document_sync: String,
    http: reqwest::Client,
    probe: std::sync::OnceLock<sqlx::PgPool>,
}

impl Stack {
    /// The PKI and master key in a temporary directory, and an empty database.
    async fn create(admin_url: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        signstash_signing::devpki::DevPki::generate()
            .and_then(|p| p.write(&dir.path().join("pki")))
            .map_err(|e| format!("development PKI: {e}"))?;
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .map_err(|e| format!("/dev/urandom: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?;
        let database = format!("signstash_bench_{}_{}", std::process::id(), unix_seconds());
        let admin = sqlx::PgPool::connect(admin_url)
            .await
            .map_err(|e| format!("DATABASE_URL: {e}"))?;
        sqlx::query(&format!("CREATE DATABASE \"{database}\""))
            .execute(&admin)
            .await
            .map_err(|e| format!("cannot create the benchmark database: {e}"))?;
        let mut durability = Vec::new();
        // The documents get the database's durability: flushed to the disk (the service's
        // default) when PostgreSQL flushes, not when it runs with fsync off.
        let mut document_sync = "true".to_string();
        for setting in ["fsync", "synchronous_commit"] {
            let value: String = sqlx::query_scalar(&format!("SHOW {setting}"))
                .fetch_one(&admin)
                .await
                .unwrap_or_else(|_| "?".into());
            if setting == "fsync" && value == "off" {
                document_sync = "false".into();
            }
            durability.push(format!("{setting}={value}"));
        }
        admin.close().await;
        if let Ok(chosen) = std::env::var("SIGNSTASH_DOCUMENT_SYNC") {
            document_sync = chosen;
        }
        durability.push(format!("documents SIGNSTASH_DOCUMENT_SYNC={document_sync}"));
        Ok(Self {
            database_url: with_database(admin_url, &database)?,
            admin_url: admin_url.into(),
            database,
            master_key: B64.encode(key),
            durability: durability.join(", "),
            document_sync,
            http,
            probe: std::sync::OnceLock::new(),
            dir,
        })
    }

    /// `integration-ws seed-demo` (which also migrates), then the raised concurrency limit.
    async fn seed(&self) -> Result<(), String> {
        let out = self
            .command()
            .arg("seed-demo")
            .arg(self.dir.path().join("pki"))
            .arg(self.dir.path().join("demo"))
            .output()
            .map_err(|e| format!("cannot run {SERVICE}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "integration-ws seed-demo failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let db = sqlx::PgPool::connect(&self.database_url)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query("UPDATE client_services SET concurrency_limit = $1 WHERE alias = 'demo'")
            .bind(CONCURRENCY_LIMIT)
            .execute(&db)
            .await
            .map_err(|e| format!("raising the concurrency limit: {e}"))?;
        db.close().await;
        Ok(())
    }

    /// integration-ws with this stack's variables (and the shipped defaults for the rest).
    fn command(&self) -> Command {
        let d = self.dir.path();
        let mut c = Command::new(SERVICE);
        c.env("DATABASE_URL", &self.database_url)
            .env("SIGNSTASH_MASTER_KEY", &self.master_key)
            .env("SIGNSTASH_DOCUMENT_DIR", d.join("documents"))
            .env("SIGNSTASH_DOCUMENT_SYNC", &self.document_sync)
            .env("SIGNSTASH_MAIL_DIR", d.join("mail"))
            .env("SIGNSTASH_TSA_CERT", d.join("pki/tsa.pem"))
            .env("SIGNSTASH_TSA_KEY", d.join("pki/tsa.key"))
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .env_remove("SIGNSTASH_SMTP_URL")
            .env_remove("SIGNSTASH_TSA_URL");
        c
    }

    /// `integration-ws serve` on a free port, once `/health/ready` answers 200.
    async fn start(&self) -> Result<Service, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log = self.dir.path().join(format!("integration-ws-{port}.log"));
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = self
            .command()
            .arg("serve")
            .env("SIGNSTASH_INTEGRATION_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().map_err(|e| e.to_string())?)
            .stderr(file)
            .spawn()
            .map_err(|e| format!("cannot start {SERVICE}: {e}"))?;
        let mut service = Service {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(exit)) = service.child.try_wait() {
                return Err(format!(
                    "integration-ws serve exited ({exit}): {}",
                    service.log_tail()
                ));
            }
            let ready = self
                .http
                .get(format!("{}/health/ready", service.url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return Ok(service);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "integration-ws not ready after 60 s: {}",
                    service.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn token(&self, service: &Service) -> Result<String, String> {
        self.token_of(service, "demo", "demo-secret").await
    }

    async fn token_of(
        &self,
        service: &Service,
        alias: &str,
        secret: &str,
    ) -> Result<String, String> {
        let r = self
            .http
            .post(format!("{}/oauth/token", service.url))
            .basic_auth(alias, Some(secret))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| format!("token: {e}"))?;
        let status = r.status();
        let body: Value = r.json().await.map_err(|e| format!("token: {e}"))?;
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("token: {status} {body}"))
    }

    /// The PostgreSQL processes working for the benchmark database: its backends and the
    /// cluster's background processes (WAL writer, checkpointer…).
    async fn postgres_pids(&self) -> Vec<u32> {
        let Ok(db) = self.probe().await else {
            return Vec::new();
        };
        sqlx::query_scalar::<_, i32>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL",
        )
        .fetch_all(&db)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| u32::try_from(p).ok())
        .collect()
    }

    /// One connection to the benchmark database, kept for the CPU readings.
    async fn probe(&self) -> Result<sqlx::PgPool, sqlx::Error> {
        if let Some(db) = self.probe.get() {
            return Ok(db.clone());
        }
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.database_url)
            .await?;
        Ok(self.probe.get_or_init(|| db).clone())
    }

    async fn destroy(self) {
        if let Some(db) = self.probe.get() {
            db.close().await;
        }
        if let Ok(admin) = sqlx::PgPool::connect(&self.admin_url).await {
            let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.database);
            if let Err(e) = sqlx::query(&drop).execute(&admin).await {
                eprintln!("api bench: could not drop {}: {e}", self.database);
            }
            admin.close().await;
        }
    }
}

/// The URL of another database on the same server.
fn with_database(url: &str, database: &str) -> Result<String, String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").ok_or("DATABASE_URL: not a URL")? + 3;
    let server = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    Ok(format!("{server}/{database}{query}"))
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A running `integration-ws serve`, killed when dropped.
struct Service {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Service {
    /// (`VmRSS`, `VmHWM`) in KiB.
    fn memory(&self) -> Result<(u64, u64), String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("/proc/{}/status: {e}", self.child.id()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("no {name} in /proc/{}/status", self.child.id()))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// Resets `VmHWM` to the current RSS (`clear_refs` 5, Linux ≥ 4.0), so that the next
    /// reading is the peak of what happens from now on.
    fn reset_peak(&self) -> Result<(), String> {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .map_err(|e| format!("/proc/{}/clear_refs: {e}", self.child.id()))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (where the two cores went during a window)

/// `getconf CLK_TCK`, the unit of `/proc` CPU times (asked once).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime from a `/proc/…/stat` file.
fn process_cpu(path: &str) -> Duration {
    stat_cpu(path, &[11, 12])
}

/// The CPU time of this program and of the children it has waited for (wrk): utime + stime +
/// cutime + cstime of `/proc/self/stat`.
fn generator_cpu() -> Duration {
    stat_cpu("/proc/self/stat", &[11, 12, 13, 14])
}

/// The sum of the given fields of a `/proc/…/stat` file, counted after the command name.
fn stat_cpu(path: &str, fields_after_name: &[usize]) -> Duration {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // The command name may hold spaces; the fields after it are space-separated.
    let after = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime, stime, cutime and cstime are fields 14 to 17 of the line: indices 11 to 14 of the
    // fields after the name (the state, field 3, is index 0).
    let ticks: f64 = fields_after_name
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    Duration::from_secs_f64(ticks / clock_ticks())
}

/// Busy CPU time of the whole machine (all cores) from `/proc/stat`.
fn machine_busy() -> Duration {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<f64> = text
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy: f64 = values
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    Duration::from_secs_f64(busy / clock_ticks())
}

/// CPU time so far of integration-ws, this load generator, the PostgreSQL processes of the
/// benchmark database (its backends and the cluster's background processes) and the whole
/// machine.
struct CpuSample {
    service: Duration,
    generator: Duration,
    postgres: HashMap<u32, Duration>,
    machine: Duration,
}

impl CpuSample {
    async fn now(service: &Service, stack: &Stack) -> Self {
        let postgres = stack
            .postgres_pids()
            .await
            .into_iter()
            .map(|pid| (pid, process_cpu(&format!("/proc/{pid}/stat"))))
            .collect();
        Self {
            service: process_cpu(&format!("/proc/{}/stat", service.pid())),
            generator: generator_cpu(),
            postgres,
            machine: machine_busy(),
        }
    }

    /// CPU per document since `before`: integration-ws, PostgreSQL, the load generator, and
    /// the rest of the machine (the other tenants of a shared machine).
    fn per_document(&self, before: &CpuSample, documents: u64) -> [Duration; 4] {
        let n = documents.max(1) as u32;
        let service = self.service.saturating_sub(before.service);
        let generator = self.generator.saturating_sub(before.generator);
        // A backend started during the window counts whole; one that ended is lost (rare: the
        // pool keeps its connections).
        let postgres = self
            .postgres
            .iter()
            .map(|(pid, t)| t.saturating_sub(*before.postgres.get(pid).unwrap_or(&Duration::ZERO)))
            .sum::<Duration>();
        let rest = self
            .machine
            .saturating_sub(before.machine)
            .saturating_sub(service + generator + postgres);
        [service / n, postgres / n, generator / n, rest / n]
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------------------------
// The load

/// Sends 5 KB UBL invoices, each in its own request with fresh external references.
struct InvoiceLoad {
    http: reqwest::Client,
    url: String,
    token: String,
    /// The request body with `@OP@` and `@DOC@` where the references go.
    template: String,
    invoice_len: usize,
    run: u64,
    next: AtomicU64,
    errors: Errors,
}

impl InvoiceLoad {
    fn new(service: &Service, token: String) -> Result<Self, String> {
        // The smallest generated invoice of at least 5 KB, as in the signing bench.
        let invoice = (1..)
            .map(corpus::ubl_invoice)
            .find(|x| x.len() >= 5 * 1000)
            .ok_or("no 5 KB invoice")?;
        let template = json!({
            "externalReference": "@OP@",
            "description": "Benchmark invoice",
            "returnSignedContent": true,
            "documents": [{
                "documentRequest": {
                    "externalReference": "@DOC@",
                    "name": "invoice.xml",
                    "contentType": "text/xml",
                    "base64Content": B64.encode(&invoice)
                },
                "signatureInfo": {
                    "signatureType": "XAdES",
                    "applyTimestamp": false,
                    "advancedSignatureInfo": {
                        "signatureLocation": "ExtensionContent",
                        "signatureTransform": "ENVELOPED",
                        "canonicalTransform": "EXCLUSIVE"
                    }
                }
            }]
        })
        .to_string();
        Ok(Self {
            // A pool per load, so connections opened by one phase's bursts do not linger.
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .pool_max_idle_per_host(usize::MAX)
                .build()
                .map_err(|e| e.to_string())?,
            url: format!("{}/api/v0/document/sign/base64/", service.url),
            token,
            template,
            invoice_len: invoice.len(),
            run: unix_seconds(),
            next: AtomicU64::new(0),
            errors: Errors::default(),
        })
    }

    /// One request; `Err` for anything but 200 with the invoice `SIGNED` and its content.
    async fn sign(&self) -> Result<(), String> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let reference = format!("BENCH-{}-{n}", self.run);
        let body = self.template.replacen("@OP@", &reference, 1).replacen(
            "@DOC@",
            &format!("{reference}-INV"),
            1,
        );
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("transport: {e}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("{status}, body not read: {e}"))?;
        let text = String::from_utf8_lossy(&bytes);
        if status != 200 {
            return Err(format!("{status}: {}", snippet(&text)));
        }
        if !text.contains(r#""signStatus":"SIGNED""#) || !text.contains(r#""signedContent":""#) {
            return Err(format!("200 without a signed document: {}", snippet(&text)));
        }
        Ok(())
    }
}

fn snippet(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Non-200 answers (and the like): how many, and the first few distinct ones.
#[derive(Default)]
struct Errors {
    count: AtomicU64,
    samples: Mutex<Vec<String>>,
}

impl Errors {
    fn record(&self, e: String) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut samples = self.samples.lock().unwrap();
        if samples.len() < 5 && !samples.contains(&e) {
            eprintln!("api bench: error: {e}");
            samples.push(e);
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

struct ClosedLoop {
    connections: usize,
    rate: f64,
    errors: u64,
    /// CPU per document: integration-ws, PostgreSQL, the load generator, the rest.
    cpu: [Duration; 4],
}

/// The wrk script of the closed loop: fresh references per request, every answer checked.
const WRK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/api-invoices.lua");

/// `wrk` (C, one thread, epoll) keeping `connections` connections busy for `window`, each
/// sending one invoice after the other: documents per second answered 200 with the invoice
/// signed. wrk rather than this program's own client, because the load generator shares the
/// two cores with the service and PostgreSQL: wrk needs a fraction of reqwest's CPU per request.
async fn closed_loop(
    load: &InvoiceLoad,
    stack: &Stack,
    service: &Service,
    connections: usize,
    window: Duration,
) -> Result<ClosedLoop, String> {
    // In the stack's temporary directory, which goes with it.
    let template = stack.dir.path().join("invoice-request.json");
    std::fs::write(&template, &load.template)
        .map_err(|e| format!("{}: {e}", template.display()))?;
    let cpu_before = CpuSample::now(service, stack).await;
    let output = tokio::process::Command::new("wrk")
        .args(["-t", "1", "-c", &connections.to_string()])
        .args(["-d", &format!("{}s", window.as_secs()), "--timeout", "60s"])
        .args(["-s", WRK_SCRIPT, &load.url, "--"])
        .arg(&template)
        // References unique to this wrk run: `BENCH-<run>-W<n>-<thread>-<request>`.
        .args([
            &load.token,
            &format!(
                "{}-W{}",
                load.run,
                load.next.fetch_add(1, Ordering::Relaxed)
            ),
        ])
        .output()
        .await
        .map_err(|e| format!("cannot run wrk (`cargo xtask bench api` installs it): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("signstash-wrk "))
        .ok_or_else(|| {
            format!(
                "wrk ({}) printed no result: {}{}",
                output.status,
                snippet(&stdout),
                snippet(&String::from_utf8_lossy(&output.stderr))
            )
        })?;
    let (counts, sample) = line.split_once(" sample=").unwrap_or((line, ""));
    let count = |name: &str| -> Result<u64, String> {
        counts
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("wrk result without {name}: {line}"))
    };
    let (responses, errors, socket_errors, duration_us) = (
        count("responses")?,
        count("errors")?,
        count("socket_errors")?,
        count("duration_us")?,
    );
    if errors > 0 {
        load.errors.record(sample.to_string());
    }
    let ok = responses.saturating_sub(errors);
    let cpu = CpuSample::now(service, stack)
        .await
        .per_document(&cpu_before, ok);
    Ok(ClosedLoop {
        connections,
        rate: ok as f64 / (duration_us.max(1) as f64 / 1e6),
        errors: errors + socket_errors,
        cpu,
    })
}

struct OpenLoop {
    rate: f64,
    sent: u64,
    errors: u64,
    /// Sorted, from each request's due time to its last response byte.
    latencies: Vec<Duration>,
    /// How far behind its schedule the sender ever was.
    max_send_lag: Duration,
    /// CPU per document: integration-ws, PostgreSQL, the load generator, the rest.
    cpu: [Duration; 4],
}

impl OpenLoop {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p * self.latencies.len() as f64).ceil() as usize).max(1);
        self.latencies[rank.min(self.latencies.len()) - 1]
    }
}

/// Requests due at fixed intervals of 1 / `rate` for `duration`, each sent at its time whatever
/// the earlier ones are doing.
async fn open_loop(
    load: &Arc<InvoiceLoad>,
    stack: &Stack,
    service: &Service,
    rate: f64,
    duration: Duration,
) -> OpenLoop {
    let errors_before = load.errors.count();
    let cpu_before = CpuSample::now(service, stack).await;
    let n = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
    let start = Instant::now() + Duration::from_millis(20);
    let mut tasks = Vec::with_capacity(n as usize);
    let mut max_send_lag = Duration::ZERO;
    for i in 0..n {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        max_send_lag = max_send_lag.max(due.elapsed());
        let load = load.clone();
        tasks.push(tokio::spawn(async move {
            let result = load.sign().await;
            (due.elapsed(), result)
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok((latency, result)) = t.await {
            latencies.push(latency);
            if let Err(e) = result {
                load.errors.record(e);
            }
        }
    }
    latencies.sort();
    let errors = load.errors.count() - errors_before;
    let cpu = CpuSample::now(service, stack)
        .await
        .per_document(&cpu_before, n.saturating_sub(errors));
    OpenLoop {
        rate,
        sent: n,
        errors,
        latencies,
        max_send_lag,
        cpu,
    }
}

// ---------------------------------------------------------------------------------------------
// Peak memory for one 10 MB request

struct Memory {
    return_signed_content: bool,
    request_bytes: usize,
    pdf_len: usize,
    baseline_kib: u64,
    peak_kib: u64,
    answered_in: Duration,
}

/// A fresh `integration-ws serve`, one token, then one multipart request with [`PDFS`] PDFs:
/// the RSS before it and the peak (`VmHWM`, reset just before) during it.
async fn peak_memory(
    stack: &Stack,
    pdf: &Bytes,
    return_signed_content: bool,
) -> Result<Memory, String> {
    let service = stack.start().await?;
    let token = stack.token(&service).await?;
    // The token request's argon2 check alone peaks at ~19 MiB: start counting after it.
    service.reset_peak()?;
    let (baseline_kib, _) = service.memory()?;
    let reference = format!("BENCH-MEM-{}-{return_signed_content}", unix_seconds());
    let documents: Vec<Value> = (0..PDFS)
        .map(|i| {
            json!({
                "documentRequest": {
                    "externalReference": format!("{reference}-{i}"),
                    "name": format!("invoice-{i}.pdf"),
                    "contentType": "application/pdf"
                },
                "signatureInfo": {"signatureType": "PAdES", "reason": "Fatura", "location": "Lisboa"}
            })
        })
        .collect();
    let request = json!({
        "externalReference": reference,
        "description": "Benchmark: 50 PDFs",
        "returnSignedContent": return_signed_content,
        "documents": documents
    })
    .to_string();
    let mut form = reqwest::multipart::Form::new().part(
        "signRequest",
        reqwest::multipart::Part::text(request.clone())
            .mime_str("application/json")
            .map_err(|e| e.to_string())?,
    );
    for i in 0..PDFS {
        form = form.part(
            "files",
            reqwest::multipart::Part::stream(pdf.clone())
                .file_name(format!("invoice-{i}.pdf"))
                .mime_str("application/pdf")
                .map_err(|e| e.to_string())?,
        );
    }
    let request_bytes = request.len() + PDFS * pdf.len();
    let sent = Instant::now();
    let response = stack
        .http
        .post(format!("{}/api/v0/document/sign/", service.url))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .map_err(|e| format!("50-PDF request: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("50-PDF request: {e}"))?;
    let answered_in = sent.elapsed();
    let (_, peak_kib) = service.memory()?;
    drop(service);
    if status != 200 {
        return Err(format!(
            "50-PDF request: {status}: {}",
            snippet(&String::from_utf8_lossy(&body))
        ));
    }
    let op: Value = serde_json::from_slice(&body).map_err(|e| format!("50-PDF answer: {e}"))?;
    let list = op["documentList"].as_array().cloned().unwrap_or_default();
    let signed = list
        .iter()
        .filter(|d| d["signStatus"] == "SIGNED")
        .filter(|d| !return_signed_content || d["signedContent"].as_str().is_some())
        .count();
    if list.len() != PDFS || signed != PDFS {
        return Err(format!(
            "50-PDF request: {signed} of {} documents SIGNED (status {})",
            list.len(),
            op["status"]
        ));
    }
    Ok(Memory {
        return_signed_content,
        request_bytes,
        pdf_len: pdf.len(),
        baseline_kib,
        peak_kib,
        answered_in,
    })
}

fn pdf_200k() -> Result<Bytes, String> {
    corpus::pdf(PdfKind::Classic, PDF_SIZE)
        .map(Bytes::from)
        .ok_or_else(|| "no 200 KB PDF".into())
}

// ---------------------------------------------------------------------------------------------
// The memory budget: large requests of two client services at once

/// Requests sent at once, half by `demo`, half by `demo2`.
const BUDGET_REQUESTS: usize = 8;
/// Documents per request and their size: two CAdES documents of 22.5 MB make a JSON body of
/// about 60 MB (base64), under the default body limit (64 MiB) and document limit (32 MiB).
const BUDGET_DOCUMENTS: usize = 2;
const BUDGET_DOCUMENT_BYTES: usize = 22_500_000;
/// The service's default `SIGNSTASH_BODY_MEMORY_BYTES`.
const BUDGET_DEFAULT_MIB: f64 = 512.0;

struct Budget {
    request_bytes: usize,
    baseline_kib: u64,
    peak_kib: u64,
    /// 429 answers (each retried after its `Retry-After`).
    refused: usize,
    answered_in: Duration,
}

/// A fresh `integration-ws serve` with the default budget; [`BUDGET_REQUESTS`] requests of about
/// 60 MB sent at once by two client services, each retried after a 429 until it is signed: the
/// peak RSS (`VmHWM`, reset after the token requests) against the budget.
async fn budget_memory(stack: &Stack) -> Result<Budget, String> {
    let service = stack.start().await?;
    let tokens = [
        stack.token_of(&service, "demo", "demo-secret").await?,
        stack.token_of(&service, "demo2", "demo2-secret").await?,
    ];
    let content = B64.encode(corpus::binary(BUDGET_DOCUMENT_BYTES));
    let stamp = unix_seconds();
    let bodies: Vec<Bytes> = (0..BUDGET_REQUESTS)
        .map(|i| {
            let reference = format!("BENCH-BUDGET-{stamp}-{i}");
            let documents: Vec<Value> = (0..BUDGET_DOCUMENTS)
                .map(|j| {
                    json!({
                        "documentRequest": {
                            "externalReference": format!("{reference}-{j}"),
                            "name": format!("archive-{j}.bin"),
                            "contentType": "application/octet-stream",
                            "base64Content": content
                        },
                        "signatureInfo": {"signatureType": "CAdES"}
                    })
                })
                .collect();
            Bytes::from(
                json!({
                    "externalReference": reference,
                    "description": "Benchmark: the memory budget",
                    "returnSignedContent": true,
                    "documents": documents
                })
                .to_string(),
            )
        })
        .collect();
    drop(content);
    let request_bytes = bodies[0].len();
    service.reset_peak()?;
    let (baseline_kib, _) = service.memory()?;
    let sent = Instant::now();
    let refused = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let (http, url) = (stack.http.clone(), service.url.clone());
            let token = tokens[i % 2].clone();
            let refused = refused.clone();
            tokio::spawn(async move {
                loop {
                    let r = http
                        .post(format!("{url}/api/v0/document/sign/base64/"))
                        .bearer_auth(&token)
                        .header("Content-Type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .map_err(|e| format!("budget request: {e}"))?;
                    let status = r.status();
                    let wait = r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok()?.parse().ok())
                        .unwrap_or(1);
                    let answer = r
                        .bytes()
                        .await
                        .map_err(|e| format!("budget request: {e}"))?;
                    if status == 429 {
                        refused.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                        continue;
                    }
                    let op: Value = serde_json::from_slice(&answer).map_err(|_| {
                        format!(
                            "budget request: {status}: {}",
                            snippet(&String::from_utf8_lossy(&answer))
                        )
                    })?;
                    let signed = op["documentList"]
                        .as_array()
                        .map(|l| l.iter().filter(|d| d["signStatus"] == "SIGNED").count())
                        .unwrap_or(0);
                    if status != 200 || signed != BUDGET_DOCUMENTS {
                        return Err(format!(
                            "budget request: {status}, {signed} of {BUDGET_DOCUMENTS} SIGNED: {}",
                            snippet(&op.to_string())
                        ));
                    }
                    return Ok::<(), String>(());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await
            .map_err(|e| format!("budget request task: {e}"))??;
    }
    let answered_in = sent.elapsed();
    let (_, peak_kib) = service.memory()?;
    Ok(Budget {
        request_bytes,
        baseline_kib,
        peak_kib,
        refused: refused.load(Ordering::Relaxed) as usize,
        answered_in,
    })
}

fn budget_row(b: &Result<Budget, String>) -> [String; 6] {
    let goal = format!("≤ {BUDGET_DEFAULT_MIB:.0} MiB above the RSS before");
    match b {
        Ok(b) => {
            let peak = b.peak_kib as f64 / 1024.0;
            let grown = peak - b.baseline_kib as f64 / 1024.0;
            [
                format!(
                    "Peak RSS (`VmHWM`) of a fresh integration-ws, {BUDGET_REQUESTS} requests of \
                     {:.1} MB ({BUDGET_DOCUMENTS} CAdES documents of {:.1} MB, \
                     `returnSignedContent` true) sent at once by two client services, each \
                     retried after a 429",
                    b.request_bytes as f64 / 1e6,
                    BUDGET_DOCUMENT_BYTES as f64 / 1e6
                ),
                format!(
                    "{peak:.1} MiB, {grown:.1} MiB above the RSS before ({:.1} MiB); {} answers \
                     429 on the way; all SIGNED in {:.1} s",
                    b.baseline_kib as f64 / 1024.0,
                    b.refused,
                    b.answered_in.as_secs_f64()
                ),
                format!("{BUDGET_DEFAULT_MIB:.0} MiB: `SIGNSTASH_BODY_MEMORY_BYTES` (default)"),
                format!("{:.2} ×", grown / BUDGET_DEFAULT_MIB),
                goal,
                verdict(grown <= BUDGET_DEFAULT_MIB).to_string(),
            ]
        }
        Err(why) => [
            "Peak RSS under the memory budget".into(),
            format!("not measured: {why}"),
            "—".into(),
            "—".into(),
            goal,
            "**FAIL**".into(),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// The run

struct Results {
    /// `openssl speed` before, between and after ours.
    rsa_runs: [Option<f64>; 3],
    invoice_len: usize,
    sweep: Vec<ClosedLoop>,
    best: usize,
    open: Vec<OpenLoop>,
    best_open: usize,
    memory: Vec<Result<Memory, String>>,
    budget: Result<Budget, String>,
    durability: String,
}

async fn smoke(stack: &Stack) -> Result<(), String> {
    let service = stack.start().await?;
    let load = InvoiceLoad::new(&service, stack.token(&service).await?)?;
    load.sign().await?;
    drop(service);
    peak_memory(stack, &pdf_200k()?, true).await?;
    println!("api bench: smoke test passed (run with `cargo bench` to measure)");
    Ok(())
}

async fn measure(stack: &Stack) -> Result<Results, String> {
    eprintln!("api bench: openssl speed -multi 2 -seconds 3 rsa2048 (about 6 s)…");
    let rsa_before = openssl_rsa2048_multi2();

    let service = stack.start().await?;
    let load = Arc::new(InvoiceLoad::new(&service, stack.token(&service).await?)?);
    eprintln!("api bench: warm-up ({} s)…", WARM_UP.as_secs());
    let warm = closed_loop(&load, stack, &service, 4, WARM_UP).await?;
    if warm.rate == 0.0 {
        return Err("not one invoice was signed during the warm-up".into());
    }
    let mut sweep = Vec::new();
    for &connections in CONNECTIONS {
        eprintln!(
            "api bench: closed loop, {connections} connections, {} s…",
            WINDOW.as_secs()
        );
        let r = closed_loop(&load, stack, &service, connections, WINDOW).await?;
        eprintln!("api bench:   {:.0} docs/s", r.rate);
        sweep.push(r);
    }
    let best = (0..sweep.len())
        .max_by(|&a, &b| sweep[a].rate.total_cmp(&sweep[b].rate))
        .unwrap_or(0);
    eprintln!("api bench: openssl speed -multi 2 -seconds 3 rsa2048 again (about 6 s)…");
    let rsa_between = openssl_rsa2048_multi2();
    let half = sweep[best].rate / 2.0;
    let mut open = Vec::new();
    for _ in 0..OPEN_WINDOWS {
        eprintln!(
            "api bench: open loop at {half:.0} requests/s for {} s…",
            OPEN_WINDOW.as_secs()
        );
        // A fresh pool, so each window opens the connections its own bursts need.
        let open_load = Arc::new(InvoiceLoad::new(&service, load.token.clone())?);
        let r = open_loop(&open_load, stack, &service, half, OPEN_WINDOW).await;
        eprintln!("api bench:   p99 {}", ms(r.percentile(0.99)));
        open.push(r);
    }
    let best_open = (0..open.len())
        .min_by_key(|&i| open[i].percentile(0.99))
        .unwrap_or(0);
    drop(service);

    eprintln!("api bench: peak memory for one 10 MB request, on fresh processes…");
    let pdf = pdf_200k()?;
    let mut memory = Vec::new();
    for return_signed_content in [true, false] {
        memory.push(peak_memory(stack, &pdf, return_signed_content).await);
    }

    eprintln!("api bench: the memory budget, {BUDGET_REQUESTS} requests of 60 MB at once…");
    let budget = budget_memory(stack).await;

    eprintln!("api bench: openssl speed -multi 2 -seconds 3 rsa2048 again (about 6 s)…");
    let rsa_after = openssl_rsa2048_multi2();
    Ok(Results {
        rsa_runs: [rsa_before, rsa_between, rsa_after],
        invoice_len: load.invoice_len,
        sweep,
        best,
        open,
        best_open,
        memory,
        budget,
        durability: stack.durability.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// The ceiling

/// RSA-2048 signatures per second on both cores: `openssl speed -multi 2 -seconds 3 rsa2048`.
fn openssl_rsa2048_multi2() -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-multi", "2", "-seconds", "3", "rsa2048"])
        .output()
        .ok()?;
    parse_rsa_sign_rate(&String::from_utf8_lossy(&out.stdout))
        .or_else(|| parse_rsa_sign_rate(&String::from_utf8_lossy(&out.stderr)))
}

/// The `sign/s` column of the `rsa 2048 bits` row of the summary table (with `-multi`, the sum
/// over the processes); failing that, 1 / its `sign` column (seconds per signature).
fn parse_rsa_sign_rate(text: &str) -> Option<f64> {
    let mut header: Option<Vec<&str>> = None;
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.contains(&"sign/s") {
            header = Some(tokens);
            continue;
        }
        if let (Some(h), ["rsa", "2048", "bits", values @ ..]) = (&header, tokens.as_slice()) {
            let value = |name: &str| {
                let i = h.iter().position(|t| *t == name)?;
                values.get(i)?.trim_end_matches('s').parse::<f64>().ok()
            };
            if let Some(rate) = value("sign/s").filter(|r| *r > 0.0) {
                return Some(rate);
            }
            if let Some(secs) = value("sign").filter(|s| *s > 0.0) {
                return Some(1.0 / secs);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// The report

fn thousands(x: f64) -> String {
    if x < 100.0 {
        return format!("{x:.1}");
    }
    let digits = format!("{x:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "**FAIL**"
    }
}

fn errors_text(n: u64) -> String {
    match n {
        0 => "0 errors".into(),
        1 => "**1 error**".into(),
        n => format!("**{n} errors**"),
    }
}

fn report(r: &Results, load_before: &str) {
    // The least disturbed run: the highest rate.
    let rsa = r.rsa_runs.iter().flatten().copied().reduce(f64::max);
    let na = "n/a (openssl speed not parsed)";
    let best = &r.sweep[r.best];
    let sweep_errors: u64 = r.sweep.iter().map(|s| s.errors).sum();
    let open_errors: u64 = r.open.iter().map(|o| o.errors).sum();
    let mut rows: Vec<[String; 6]> = Vec::new();
    rows.push([
        "Ceiling: `openssl speed -multi 2 -seconds 3 rsa2048`, sign, 2 cores (best of 3 runs)"
            .into(),
        rsa.map(|x| format!("{} /s", thousands(x)))
            .unwrap_or_else(|| na.into()),
        format!(
            "runs before / between / after ours: {}",
            r.rsa_runs
                .iter()
                .map(|x| x.map(thousands).unwrap_or_else(|| "n/a".into()))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    let (ceiling, ratio, result) = match rsa {
        Some(rsa) => (
            format!("{} /s RSA sign, 2 cores", thousands(rsa)),
            format!("{:.0} %", 100.0 * best.rate / rsa),
            verdict(best.rate / rsa >= THROUGHPUT_GOAL && sweep_errors == 0).to_string(),
        ),
        None => (na.into(), "—".into(), "not measured".into()),
    };
    rows.push([
        format!(
            "{:.1} KB UBL invoices signed and stored (XAdES B-B, 1 per request, \
             `returnSignedContent` true): most per second, closed loop, best of {} windows of \
             {} s",
            r.invoice_len as f64 / 1000.0,
            r.sweep.len(),
            WINDOW.as_secs()
        ),
        format!(
            "{} docs/s ({} connections; {} in all windows)",
            thousands(best.rate),
            best.connections,
            errors_text(sweep_errors)
        ),
        ceiling,
        ratio,
        format!("≥ {:.0} % of the ceiling", THROUGHPUT_GOAL * 100.0),
        result,
    ]);
    let o = &r.open[r.best_open];
    let p99 = o.percentile(0.99);
    rows.push([
        format!(
            "Latency at 50 % of that rate: open loop, {} requests/s, from each request's due \
             time; best of {} windows of {} s (p99 of each: {})",
            thousands(o.rate),
            r.open.len(),
            OPEN_WINDOW.as_secs(),
            r.open
                .iter()
                .map(|w| ms(w.percentile(0.99)))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        format!(
            "p50 {}, p99 {} (max {}; {} sent; {} in all windows)",
            ms(o.percentile(0.50)),
            ms(p99),
            ms(o.latencies.last().copied().unwrap_or_default()),
            o.sent,
            errors_text(open_errors)
        ),
        "—".into(),
        "—".into(),
        format!("p99 ≤ {}", ms(P99_GOAL)),
        verdict(p99 <= P99_GOAL && open_errors == 0 && !o.latencies.is_empty()).to_string(),
    ]);
    for m in &r.memory {
        rows.push(match m {
            Ok(m) => {
                let peak = m.peak_kib as f64 / 1024.0;
                let goal = m.return_signed_content;
                [
                    format!(
                        "Peak RSS (`VmHWM`) of a fresh integration-ws, one {:.1} MB multipart \
                         request: {PDFS} PDFs × {:.1} KiB, PAdES B-B, `returnSignedContent` {}",
                        m.request_bytes as f64 / 1e6,
                        m.pdf_len as f64 / 1024.0,
                        m.return_signed_content
                    ),
                    format!(
                        "{peak:.1} MiB (RSS {:.1} MiB before the request; all {PDFS} SIGNED in \
                         {:.2} s)",
                        m.baseline_kib as f64 / 1024.0,
                        m.answered_in.as_secs_f64()
                    ),
                    format!("{REPLACED_MIB:.0} MiB: the replaced service's minimum"),
                    format!("{:.2} ×", peak / REPLACED_MIB),
                    if goal {
                        format!("≤ {RSS_GOAL_MIB:.0} MiB")
                    } else {
                        "(information)".into()
                    },
                    if goal {
                        verdict(peak <= RSS_GOAL_MIB).to_string()
                    } else {
                        "—".into()
                    },
                ]
            }
            Err(why) => [
                "Peak RSS for the 10 MB multipart request".into(),
                format!("not measured: {why}"),
                "—".into(),
                "—".into(),
                format!("≤ {RSS_GOAL_MIB:.0} MiB"),
                "**FAIL**".into(),
            ],
        });
    }
    rows.push(budget_row(&r.budget));

    println!();
    println!(
        "| Measure (load on the same machine, HTTP/1.1 keep-alive: closed loop `wrk` with \
         `benches/api-invoices.lua`, open loop `benches/api.rs` with tokio + reqwest) | Figure \
         | Ceiling / reference | Ratio | Goal | Result |"
    );
    println!("|---|---|---|---|---|---|");
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
    println!();
    let cpu = |[service, postgres, generator, rest]: [Duration; 4]| {
        format!(
            "CPU per document: integration-ws {}, PostgreSQL {}, load generator {}, rest of the \
             machine {}",
            us(service),
            us(postgres),
            us(generator),
            us(rest)
        )
    };
    let mut sweep = String::new();
    for s in &r.sweep {
        let _ = write!(
            sweep,
            "{}{} → {} docs/s ({}; {})",
            if sweep.is_empty() { "" } else { "; " },
            s.connections,
            thousands(s.rate),
            cpu(s.cpu),
            errors_text(s.errors)
        );
    }
    println!(
        "Closed loop by connections ({} s each): {sweep}.",
        WINDOW.as_secs()
    );
    let mut open = String::new();
    for o in &r.open {
        let _ = write!(
            open,
            "{}p50 {}, p99 {}, max {}, sender at most {} late ({}; {})",
            if open.is_empty() { "" } else { "; " },
            ms(o.percentile(0.50)),
            ms(o.percentile(0.99)),
            ms(o.latencies.last().copied().unwrap_or_default()),
            ms(o.max_send_lag),
            cpu(o.cpu),
            errors_text(o.errors)
        );
    }
    println!(
        "Open loop windows ({} s each): {open}.",
        OPEN_WINDOW.as_secs()
    );
    let nproc = std::thread::available_parallelism()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    println!(
        "Machine: nproc = {nproc}; load average before / after: {load_before} / {}. PostgreSQL \
         (`DATABASE_URL`'s cluster, a fresh database) and documents: {}. integration-ws runs \
         with the shipped defaults (20 database connections, local document store) but for \
         the documents' flush (as PostgreSQL's `fsync` unless the bench was given one), and \
         the demo client service's concurrency limit raised to {CONCURRENCY_LIMIT}. Ratios, \
         not absolute figures, are what to compare between runs: the ceiling is measured in \
         the same run, on a shared machine.",
        loadavg(),
        r.durability
    );
}
