//! Developer commands: `cargo xtask setup | up | test | fuzz | bench signing|api|backoffice`.
//!
//! xtask depends on nothing of ours (and no C libraries), so it builds on a fresh machine before
//! `test` has installed the system packages the workspace needs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Result};

mod setup;

use setup::{is_root, status};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Installs whatever of `items` this machine lacks (`cargo xtask setup`).
fn setup(items: &[setup::Item]) -> Result<()> {
    setup::run(items, &setup::Machine { root: root() })
}

/// The system's PostgreSQL server binaries (Debian puts them outside PATH).
fn pg_bin(name: &str) -> Result<PathBuf> {
    for version in ["17", "16", "15"] {
        let p = PathBuf::from(format!("/usr/lib/postgresql/{version}/bin/{name}"));
        if p.exists() {
            return Ok(p);
        }
    }
    bail!("PostgreSQL server binaries not found (apt-get install postgresql)")
}

/// Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root).
fn pg_command(name: &str) -> Result<Command> {
    let bin = pg_bin(name)?;
    Ok(if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    })
}

/// A private PostgreSQL cluster under `.data/NAME` on `port` (created on first use, started if
/// not running); returns its URL. Trust authentication on 127.0.0.1 only: development use.
fn private_postgres(name: &str, port: u16) -> Result<String> {
    let dir = root().join(".data").join(name);
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    if !dir.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&dir)?;
        if is_root() {
            status(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
            )?;
            // The postgres user must be able to reach the directory.
            status(
                Command::new("chmod")
                    .args(["o+x"])
                    .arg(root())
                    .arg(root().join(".data")),
            )?;
        }
        status(
            pg_command("initdb")?
                .arg("-D")
                .arg(&dir)
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
                .stdout(std::process::Stdio::null()),
        )?;
    }
    let ready = pg_command("pg_isready")?
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ready {
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", dir.display());
        status(
            pg_command("pg_ctl")?
                .arg("-D")
                .arg(&dir)
                .args(["-o", &opts, "-l"])
                .arg(dir.join("server.log"))
                .args(["-w", "-t", "60", "start"])
                .stdout(std::process::Stdio::null()),
        )?;
    }
    Ok(url)
}

fn test() -> Result<()> {
    setup(setup::EVERYTHING)?;
    let venv = root().join(".data/venv");
    // The client portal's browser tests: axe-core, pinned, from the npm registry.
    let axe = root().join(".data/node/node_modules/axe-core/axe.min.js");
    // Database tests get their own cluster (port 55433), apart from `up`'s (55432).
    let database_url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => private_postgres("pg-test", 55433)?,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let ws = root();
    report_free_space(&ws);
    // A whole-suite run gains nothing from incremental compilation (every crate is built once),
    // and its caches would double the build's size on the disk.
    let cargo = || {
        let mut command = Command::new(&cargo);
        command.current_dir(&ws).env("CARGO_INCREMENTAL", "0");
        command
    };
    status(cargo().args(["fmt", "--all", "--check"]))?;
    status(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;
    let has_nextest = cargo()
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let mut run = cargo();
    run.env("SIGNSTASH_VENV", &venv)
        .env("DATABASE_URL", &database_url)
        .env("SIGNSTASH_AXE", &axe)
        .env("CI", std::env::var("CI").unwrap_or_else(|_| "true".into()));
    if has_nextest {
        run.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        run.args(["test", "--workspace", "--no-fail-fast"]);
    }
    let tests = status(&mut run).and_then(|()| {
        if has_nextest {
            // nextest does not run doctests.
            status(cargo().args(["test", "--workspace", "--doc", "--quiet"]))?;
        }
        Ok(())
    });
    // Also (above all) when the tests failed: a full disk fails them.
    report_free_space(&ws);
    tests?;
    let seconds = fuzz_seconds();
    if seconds > 0 {
        fuzz(seconds)?;
    }
    Ok(())
}

/// Prints the free space of the file system that holds `path` (the build, the test clusters and
/// the tests' temporary files share it), so that a run that fails for want of space says so.
fn report_free_space(path: &Path) {
    let free = Command::new("df")
        .args(["-Pk"])
        .arg(path)
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| {
            // The line after the header: file system, size, used, available (KiB), …
            text.lines()
                .nth(1)?
                .split_whitespace()
                .nth(3)?
                .parse::<u64>()
                .ok()
        });
    match free {
        Some(kib) => eprintln!(
            "xtask: {:.1} GiB free on the disk of {} (a whole run writes about 3 GiB into the checkout)",
            kib as f64 / (1024.0 * 1024.0),
            path.display()
        ),
        None => eprintln!("xtask: could not read the free space of {}", path.display()),
    }
}

/// `SIGNSTASH_FUZZ_SECONDS`, 60 by default.
fn fuzz_seconds() -> u64 {
    std::env::var("SIGNSTASH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

/// Coverage-guided fuzzing of the PDF and XML front ends with libFuzzer, for `seconds` each.
/// The instrumentation flags are stable rustc options, so no nightly toolchain is needed
/// (there is no sanitizer: the crates forbid `unsafe`, so a crash is a panic or a hang).
fn fuzz(seconds: u64) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = root().join("fuzz");
    let flags = [
        "-Cpasses=sancov-module",
        "-Cllvm-args=-sanitizer-coverage-level=4",
        "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
        "-Cllvm-args=-sanitizer-coverage-pc-table",
        "-Cllvm-args=-sanitizer-coverage-trace-compares",
        "-Cdebug-assertions",
        "-Coverflow-checks",
        "--cfg=fuzzing",
    ]
    .join(" ");
    // An explicit --target keeps the instrumentation out of build scripts.
    let triple = "x86_64-unknown-linux-gnu";
    status(
        Command::new(&cargo)
            .current_dir(&dir)
            .env("RUSTFLAGS", flags)
            .args([
                "build",
                "--release",
                "--quiet",
                "--bins",
                "--target",
                triple,
            ]),
    )?;
    for (target, seeds) in [("pdf_prepare", "pdf"), ("xml_c14n", "xml")] {
        let corpus = root().join(".data/fuzz").join(target);
        std::fs::create_dir_all(&corpus)?;
        eprintln!("xtask: fuzzing {target} for {seconds} s");
        // libFuzzer reports every new input; keep that in a log and show its end.
        let log_path = root().join(".data/fuzz").join(format!("{target}.log"));
        let log = std::fs::File::create(&log_path)?;
        let run = Command::new(dir.join("target").join(triple).join("release").join(target))
            .arg(&corpus)
            .arg(dir.join("seeds").join(seeds))
            .arg(format!("-max_total_time={seconds}"))
            .args([
                "-timeout=10",
                "-rss_limit_mb=2048",
                "-max_len=65536",
                "-print_final_stats=1",
            ])
            .arg(format!("-artifact_prefix={}/", corpus.display()))
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()?;
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = if run.success() { 8 } else { 60 };
        eprintln!("{}", lines[lines.len().saturating_sub(tail)..].join("\n"));
        if !run.success() {
            bail!(
                "fuzzing {target} found a crash (input saved under {}, log {})",
                corpus.display(),
                log_path.display()
            );
        }
    }
    Ok(())
}

fn bench(what: &str) -> Result<()> {
    match what {
        "signing" => {
            setup(setup::EVERYTHING)?;
            let venv = root().join(".data/venv");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            status(
                Command::new(&cargo)
                    .current_dir(root())
                    .env("SIGNSTASH_VENV", venv)
                    .args([
                        "bench",
                        "--quiet",
                        "-p",
                        "signstash-signing",
                        "--bench",
                        "signing",
                    ]),
            )
        }
        "api" | "api-budget" => {
            // With the closed loop's load generator.
            let items: Vec<setup::Item> = setup::EVERYTHING
                .iter()
                .chain(setup::BENCH_API)
                .copied()
                .collect();
            setup(&items)?;
            // Benchmarks get their own cluster (port 55434), apart from `up`'s and `test`'s.
            let database_url = match std::env::var("DATABASE_URL") {
                Ok(url) => url,
                Err(_) => private_postgres("pg-bench", 55434)?,
            };
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            // Builds the release integration-ws the bench starts (and seeds) as a child process.
            status(
                Command::new(&cargo)
                    .current_dir(root())
                    .env("DATABASE_URL", database_url)
                    .args(["bench", "--quiet", "-p", "integration-ws", "--bench", "api"])
                    .args(if what == "api-budget" {
                        &["--", "budget"][..]
                    } else {
                        &[][..]
                    }),
            )
        }
        "backoffice" => {
            // The build and PostgreSQL only: no validators, browsers or load generator.
            setup(setup::BENCH_BACKOFFICE)?;
            // The same private cluster as `bench api` (port 55434) unless `DATABASE_URL` is set.
            let database_url = match std::env::var("DATABASE_URL") {
                Ok(url) => url,
                Err(_) => private_postgres("pg-bench", 55434)?,
            };
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            // Builds the release backoffice the bench starts (and seeds with) as a child process.
            status(
                Command::new(&cargo)
                    .current_dir(root())
                    .env("DATABASE_URL", database_url)
                    .args([
                        "bench",
                        "--quiet",
                        "-p",
                        "backoffice",
                        "--bench",
                        "backoffice",
                    ]),
            )
        }
        other => {
            bail!("unknown benchmark `{other}` (available: signing, api, api-budget, backoffice)")
        }
    }
}

/// The whole suite on this machine with development defaults: a private PostgreSQL under
/// `.data/pg` (port 55432) unless `DATABASE_URL` is set, the development PKI, a master key, the
/// demo tenants, then integration-ws (with its embedded timestamp authority) in the foreground.
fn up() -> Result<()> {
    setup(setup::EVERYTHING)?;
    let data = root().join(".data");
    std::fs::create_dir_all(&data)?;
    let database_url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => private_postgres("pg", 55432)?,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    status(Command::new(&cargo).current_dir(root()).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "signstash-sign",
        "-p",
        "integration-ws",
        "-p",
        "client-portal",
        "-p",
        "backoffice",
    ]))?;
    let bin = root().join("target/release");
    let pki = data.join("pki");
    if !pki.join("ca.pem").exists() {
        status(
            Command::new(bin.join("signstash-sign"))
                .arg("dev-pki")
                .arg(&pki),
        )?;
    }
    let master_key = match std::env::var("SIGNSTASH_MASTER_KEY") {
        Ok(k) => k,
        Err(_) => {
            let path = data.join("master.key");
            if !path.exists() {
                let out = Command::new("openssl")
                    .args(["rand", "-base64", "32"])
                    .output()?;
                std::fs::write(&path, &out.stdout)?;
            }
            std::fs::read_to_string(&path)?.trim().to_string()
        }
    };
    let bind =
        std::env::var("SIGNSTASH_INTEGRATION_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let portal_bind =
        std::env::var("SIGNSTASH_PORTAL_BIND").unwrap_or_else(|_| "127.0.0.1:8082".into());
    let portal_url = format!("http://{portal_bind}");
    let backoffice_bind =
        std::env::var("SIGNSTASH_BACKOFFICE_BIND").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let service = |args: &[&str]| {
        let mut c = Command::new(bin.join("integration-ws"));
        c.args(args)
            .env("DATABASE_URL", &database_url)
            .env("SIGNSTASH_MASTER_KEY", &master_key)
            .env("SIGNSTASH_INTEGRATION_BIND", &bind)
            .env("SIGNSTASH_DOCUMENT_DIR", data.join("documents"))
            .env("SIGNSTASH_MAIL_DIR", data.join("mail"))
            .env("SIGNSTASH_PORTAL_BASE_URL", &portal_url)
            .env("SIGNSTASH_TSA_CERT", pki.join("tsa.pem"))
            .env("SIGNSTASH_TSA_KEY", pki.join("tsa.key"))
            // The development authority for anyone at /tsa (`signstash-sign --tsa-url`); off
            // by default, where only client services' tokens reach it (/api/v0/timestamp).
            .env("SIGNSTASH_PUBLIC_TSA", "true");
        c
    };
    let demo = data.join("demo");
    status(&mut service(&[
        "seed-demo",
        &pki.display().to_string(),
        &demo.display().to_string(),
    ]))?;
    // The backoffice's development operators, one per role, over the demo tenants.
    status(
        Command::new(bin.join("backoffice"))
            .arg("seed-demo-operators")
            .env("DATABASE_URL", &database_url),
    )?;
    // The same UBL example for a receiver: its e-mail lands in .data/mail, its link opens the
    // client portal.
    let request = std::fs::read_to_string(demo.join("sign-request.json"))?;
    let with_receiver = request.replacen("\"DEMO-", "\"DEMO-R-", 2).replacen(
        '{',
        r#"{"preservationInfo": {"deliveryInfo": {"personReceiver": [{"email": "receiver@example.com"}]}},"#,
        1,
    );
    std::fs::write(demo.join("sign-request-receiver.json"), with_receiver)?;
    let mut portal = Command::new(bin.join("client-portal"))
        .env("DATABASE_URL", &database_url)
        .env("SIGNSTASH_MASTER_KEY", &master_key)
        .env("SIGNSTASH_PORTAL_BIND", &portal_bind)
        .env("SIGNSTASH_PORTAL_BASE_URL", &portal_url)
        .env("SIGNSTASH_DOCUMENT_DIR", data.join("documents"))
        .env("SIGNSTASH_MAIL_DIR", data.join("mail"))
        .spawn()?;
    let mut backoffice = Command::new(bin.join("backoffice"))
        .env("DATABASE_URL", &database_url)
        .env("SIGNSTASH_MASTER_KEY", &master_key)
        .env("SIGNSTASH_BACKOFFICE_BIND", &backoffice_bind)
        .env(
            "SIGNSTASH_BACKOFFICE_BASE_URL",
            format!("http://{backoffice_bind}"),
        )
        .env("SIGNSTASH_MAIL_DIR", data.join("mail"))
        .spawn()?;
    let url = format!("http://{bind}");
    println!("Sign'Stash (development)");
    println!("  integration-ws   {url}   (OAuth2 token: {url}/oauth/token, timestamp authority without a token: {url}/tsa)");
    println!("  client portal    {portal_url}   (the links in the e-mails: {portal_url}/d/...)");
    println!("  backoffice       http://{backoffice_bind}   (operators below; its e-mails, e.g. activation links, are written under .data/mail)");
    println!("  PostgreSQL       {database_url}");
    println!(
        "  development PKI  {}   (signer.p12 password: changeit)",
        pki.display()
    );
    println!(
        "Demo client services (DEVELOPMENT ONLY): demo / demo-secret and demo2 / demo2-secret."
    );
    println!("Backoffice operators (DEVELOPMENT ONLY):");
    println!("  admin@signstash.local / admin-demo-password       system administrator");
    println!("  partner@signstash.local / partner-demo-password   operator of the partner of client service demo");
    println!("  issuer@signstash.local / issuer-demo-password     operator of demo's issuer");
    println!("  auditor@signstash.local / auditor-demo-password   audits demo's issuer only");
    println!("Get a token and sign the UBL example (a second identical call answers 409 0.0.7):");
    println!("  TOKEN=$(curl -s -u demo:demo-secret -d grant_type=client_credentials {url}/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')");
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' --data @{}/sign-request.json {url}/api/v0/document/sign/base64/", demo.display());
    println!(
        "Sign it for a receiver: the e-mail is written under {}; open its link in a browser:",
        data.join("mail").display()
    );
    println!("  curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' --data @{}/sign-request-receiver.json {url}/api/v0/document/sign/base64/", demo.display());
    println!("Ctrl-C stops the services.");
    let served = status(&mut service(&["serve"]));
    let _ = portal.kill();
    let _ = portal.wait();
    let _ = backoffice.kill();
    let _ = backoffice.wait();
    served
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["setup"] => setup(setup::EVERYTHING),
        ["test"] => test(),
        ["up"] => up(),
        ["bench", what] => bench(what),
        ["fuzz"] => fuzz(fuzz_seconds()),
        ["db"] => private_postgres("pg-test", 55433).map(|url| println!("DATABASE_URL={url}")),
        _ => Err(anyhow::anyhow!(
            "usage: cargo xtask setup | up | test | fuzz | bench signing|api|api-budget|backoffice"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}
