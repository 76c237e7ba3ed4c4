//! Signing throughput against this machine's physical ceilings, measured in the same run.
//!
//! `cargo bench -p signstash-signing --bench signing` (or `cargo xtask bench signing`, which also
//! sets `SIGNSTASH_VENV`) prints one markdown table:
//!
//! * the ceilings: `openssl speed -seconds 3 rsa2048` (RSA-2048 signatures per second, one core)
//!   and `openssl speed -seconds 3 -evp sha256` (bytes per second at the largest block size);
//! * our documents per second on one thread (RSA-2048 development key, level B-B, the best of
//!   three warm 1 s windows each): a 5 KB UBL invoice (XAdES), 200 KB and 10 MB PDFs (PAdES),
//!   1 MB of binary (detached CAdES);
//! * each goal as a row with the figure, the ceiling, the ratio and PASS/FAIL: small documents
//!   at ≥ 70 % of the RSA rate, the 10 MB PDF within 2 × (hash + one signature), the CLI's peak
//!   memory on a 100 MB PDF under 1.5 × its size, and ≥ 20 × pyHanko's in-process rate on the
//!   200 KB PDF.
//!
//! It is a report: the exit code is 0 whether or not the goals are met. Run without `--bench`
//! (as `cargo test --all-targets` does) it only signs each document once, as a smoke test.
//! `cargo bench -p signstash-signing --bench signing -- --only ubl|pdf200k|pdf10m|cades1m`
//! loops over one document (to run under a profiler) and prints the time of each phase.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use signstash_signing::devpki::DevPki;
use signstash_signing::{Format, KeyFileSigner, SignatureParams};
use signstash_test_support::corpus::{self, PdfKind};

/// How long each of our documents is signed in a loop: the best of `WINDOWS` windows of
/// `WINDOW` each, so a burst of load from the machine's other tenants does not count.
const WINDOW: Duration = Duration::from_secs(1);
const WINDOWS: u32 = 3;
/// How long pyHanko signs in its loop (it is slow, a few seconds give a stable rate).
const PYHANKO_LOOP_SECS: &str = "3";
const MIN_ITERATIONS: u64 = 5;
const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

const SMALL_DOC_GOAL: f64 = 0.70;
const LARGE_PDF_GOAL: f64 = 2.0;
const MEMORY_GOAL: f64 = 1.5;
const PYHANKO_GOAL: f64 = 20.0;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let started = Instant::now();

    let pki = DevPki::generate().expect("development PKI");
    let signer = KeyFileSigner::from_pem(
        &pki.signer.key_pem().expect("key PEM"),
        &pki.signer.cert_pem().expect("certificate PEM"),
        None,
    )
    .expect("signer");

    let docs = documents();
    if let Some(only) = option_value("--only") {
        profile_one(&docs, &only, &signer);
        return;
    }
    if !full {
        for d in &docs {
            let signed = signstash_signing::sign(d.data.clone(), &d.params, &signer, None)
                .unwrap_or_else(|e| panic!("{}: {e}", d.name));
            assert!(!signed.is_empty(), "{}: empty output", d.name);
        }
        println!("signing bench: smoke test passed (run with `cargo bench` to measure)");
        return;
    }

    eprintln!("signing bench: openssl speed rsa2048 and -evp sha256 (about 25 s)…");
    let rsa_before = openssl_rsa2048_sign_rate();
    let sha = openssl_sha256_rate();

    let mut rates = Vec::new();
    for d in &docs {
        eprintln!(
            "signing bench: {} for ~{} s…",
            d.name,
            (WINDOW * WINDOWS).as_secs()
        );
        let params = &d.params;
        rates.push(best_rate(|| {
            let signed =
                signstash_signing::sign(d.data.clone(), params, &signer, None).expect("signing");
            signed.write_to(std::io::sink()).expect("writing");
            black_box(signed.len());
        }));
    }
    eprintln!("signing bench: openssl speed rsa2048 again (about 6 s)…");
    let rsa_after = openssl_rsa2048_sign_rate();
    // The less disturbed of the two runs (the higher rate), as for our own figures.
    let rsa = match (rsa_before, rsa_after) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };

    let dir = tempfile::tempdir().expect("temporary directory");
    pki.write(dir.path()).expect("writing the development PKI");
    let key = dir.path().join("signer.key");
    let cert = dir.path().join("signer.pem");

    let pdf200 = docs
        .iter()
        .position(|d| d.kind == Kind::Pdf200K)
        .expect("200 KB PDF");
    let pdf200_path = dir.path().join("200k.pdf");
    std::fs::write(&pdf200_path, &docs[pdf200].data).expect("writing the 200 KB PDF");
    eprintln!("signing bench: pyHanko in-process on the 200 KB PDF…");
    let pyhanko = pyhanko_rate(dir.path(), &key, &cert, &pdf200_path);

    eprintln!("signing bench: peak memory of the release CLI on a 100 MB PDF…");
    let memory = cli_peak_memory(dir.path(), &key, &cert);

    let ceilings = Ceilings {
        rsa,
        rsa_runs: [rsa_before, rsa_after],
        sha,
    };
    report(&docs, &rates, &ceilings, &pyhanko, &memory);
    eprintln!(
        "signing bench: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

fn option_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

/// `cargo bench -p signstash-signing --bench signing -- --only ubl|pdf200k|pdf10m|cades1m
/// [--seconds N]`: signs that one document in a loop (for a profiler) and prints the time of
/// each phase. `finish` here includes the check of the value against the certificate that
/// [`signstash_signing::sign`] skips for its own key sources.
fn profile_one(docs: &[Doc], only: &str, signer: &KeyFileSigner) {
    use signstash_signing::Signer as _;
    let kind = match only {
        "ubl" => Kind::Ubl5K,
        "pdf200k" => Kind::Pdf200K,
        "pdf10m" => Kind::Pdf10M,
        "cades1m" => Kind::Binary1M,
        other => panic!("--only {other}: expected ubl, pdf200k, pdf10m or cades1m"),
    };
    let seconds: u64 = option_value("--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let d = docs.iter().find(|d| d.kind == kind).expect("document");
    let budget = Duration::from_secs(seconds);
    let (n, t) = measure(budget, MIN_ITERATIONS, || {
        let signed =
            signstash_signing::sign(d.data.clone(), &d.params, signer, None).expect("signing");
        signed.write_to(std::io::sink()).expect("writing");
        black_box(signed.len());
    });
    println!(
        "{}: sign() {} per document",
        d.name,
        duration(t.as_secs_f64() / n as f64)
    );
    let (mut prepare, mut sign, mut finish, mut write) = [Duration::ZERO; 4].into();
    let (n, _) = measure(budget, MIN_ITERATIONS, || {
        let t0 = Instant::now();
        let prepared = signstash_signing::prepare(
            d.data.clone(),
            &d.params,
            signer.certificate_chain(),
            signer.key_kind(),
        )
        .expect("prepare");
        let t1 = Instant::now();
        let value = signer
            .sign(
                prepared.digest_algorithm(),
                prepared.data_to_sign(),
                prepared.digest(),
            )
            .expect("sign");
        let t2 = Instant::now();
        let signed = prepared.finish(&value, None).expect("finish");
        let t3 = Instant::now();
        signed.write_to(std::io::sink()).expect("writing");
        let t4 = Instant::now();
        prepare += t1 - t0;
        sign += t2 - t1;
        finish += t3 - t2;
        write += t4 - t3;
    });
    for (phase, total) in [
        ("prepare", prepare),
        ("sign (RSA)", sign),
        ("finish (with check)", finish),
        ("write_to(sink)", write),
    ] {
        println!("  {phase:<20} {}", duration(total.as_secs_f64() / n as f64));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ubl5K,
    Pdf200K,
    Pdf10M,
    Binary1M,
}

struct Doc {
    kind: Kind,
    name: String,
    data: Bytes,
    params: SignatureParams,
}

fn documents() -> Vec<Doc> {
    // The smallest invoice of at least 5 KB (the generator's line count sets the size).
    let ubl = (1..)
        .map(corpus::ubl_invoice)
        .find(|x| x.len() >= 5 * 1000)
        .expect("a UBL invoice of 5 KB");
    let mut xades = SignatureParams::new(Format::Xades);
    xades.signature_location = Some("ExtensionContent".into());
    let pdf = |min: usize| {
        Bytes::from(corpus::pdf(PdfKind::Classic, min).expect("classic PDFs need no tool"))
    };
    let size = |len: usize| {
        if len >= MIB {
            format!("{:.1} MiB", len as f64 / MIB as f64)
        } else {
            format!("{:.1} KiB", len as f64 / KIB as f64)
        }
    };
    let docs = [
        (
            Kind::Ubl5K,
            "UBL invoice, XAdES B-B",
            Bytes::from(ubl),
            xades,
        ),
        (
            Kind::Pdf200K,
            "PDF, PAdES B-B",
            pdf(200 * KIB),
            SignatureParams::new(Format::Pades),
        ),
        (
            Kind::Pdf10M,
            "PDF, PAdES B-B",
            pdf(10 * MIB),
            SignatureParams::new(Format::Pades),
        ),
        (
            Kind::Binary1M,
            "binary, CAdES B-B detached",
            Bytes::from(corpus::binary(MIB)),
            SignatureParams::new(Format::Cades),
        ),
    ];
    docs.into_iter()
        .map(|(kind, what, data, params)| Doc {
            kind,
            name: format!("{} {what}", size(data.len())),
            data,
            params,
        })
        .collect()
}

/// Documents per second: the best of [`WINDOWS`] windows of [`WINDOW`] (each after a warm-up).
fn best_rate(mut f: impl FnMut()) -> f64 {
    (0..WINDOWS)
        .map(|_| {
            let (n, t) = measure(WINDOW, MIN_ITERATIONS, &mut f);
            n as f64 / t.as_secs_f64()
        })
        .fold(0.0, f64::max)
}

/// Runs `f` a few times to warm up, then for at least `budget` and `min` iterations.
fn measure(budget: Duration, min: u64, mut f: impl FnMut()) -> (u64, Duration) {
    let warm = Instant::now();
    for _ in 0..3 {
        f();
        if warm.elapsed() > budget / 4 {
            break;
        }
    }
    let start = Instant::now();
    let mut n = 0u64;
    loop {
        f();
        n += 1;
        let elapsed = start.elapsed();
        if n >= min && elapsed >= budget {
            return (n, elapsed);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ceilings

fn openssl_speed(args: &[&str]) -> Option<(String, String)> {
    let out = Command::new("openssl")
        .arg("speed")
        .args(args)
        .output()
        .ok()?;
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// RSA-2048 signatures per second from `openssl speed -seconds 3 rsa2048`.
fn openssl_rsa2048_sign_rate() -> Option<f64> {
    let (stdout, stderr) = openssl_speed(&["-seconds", "3", "rsa2048"])?;
    parse_rsa_sign_rate(&stdout).or_else(|| parse_rsa_sign_rate(&stderr))
}

/// The summary table (`sign verify sign/s verify/s`, newer versions add encrypt/decrypt
/// columns): the `sign/s` column of the `rsa 2048 bits` row. Failing that, the progress line
/// `Doing 2048 bits private rsa's for 3s: N 2048 bits private RSA's in T s` (N / T); failing
/// that, 1 / the `sign` column (seconds per signature).
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
                values.get(i)?.parse::<f64>().ok()
            };
            if let Some(rate) = value("sign/s").filter(|r| *r > 0.0) {
                return Some(rate);
            }
            if let Some(secs) = value("sign").filter(|s| *s > 0.0) {
                return Some(1.0 / secs);
            }
        }
    }
    for line in text.lines() {
        // "Doing 2048 bits private rsa's for 3s: 13953 2048 bits private RSA's in 3.00s"
        if line.starts_with("Doing 2048 bits private rsa") {
            let (_, rest) = line.split_once(':')?;
            let tokens: Vec<&str> = rest.split_whitespace().collect();
            let n: f64 = tokens.first()?.parse().ok()?;
            let t: f64 = tokens.last()?.trim_end_matches('s').parse().ok()?;
            if n > 0.0 && t > 0.0 {
                return Some(n / t);
            }
        }
    }
    None
}

/// SHA-256 bytes per second at the largest block size of `openssl speed -seconds 3 -evp sha256`.
fn openssl_sha256_rate() -> Option<f64> {
    let (stdout, _) = openssl_speed(&["-seconds", "3", "-evp", "sha256"])?;
    parse_sha256_rate(&stdout)
}

/// The `sha256` row under the `type 16 bytes … 16384 bytes` header, whose figures are in
/// 1000s of bytes per second with a `k` suffix; the last column is the largest block.
fn parse_sha256_rate(text: &str) -> Option<f64> {
    let mut seen_header = false;
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        match tokens.first() {
            Some(&"type") if tokens.contains(&"bytes") => seen_header = true,
            Some(name) if seen_header && name.to_ascii_lowercase().contains("sha256") => {
                let last = tokens.last()?;
                let (digits, scale) = match last.strip_suffix('k') {
                    Some(d) => (d, 1000.0),
                    None => (*last, 1.0),
                };
                return digits
                    .parse::<f64>()
                    .ok()
                    .map(|v| v * scale)
                    .filter(|r| *r > 0.0);
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// pyHanko

/// pyHanko's signatures per second, or why it was not measured.
fn pyhanko_rate(dir: &Path, key: &Path, cert: &Path, pdf: &Path) -> Result<(f64, String), String> {
    let venv = signstash_test_support::venv();
    let python = venv.join("bin/python");
    if !python.is_file() {
        return Err(format!("no Python at {}", python.display()));
    }
    let script = dir.join("pyhanko_rate.py");
    std::fs::write(&script, include_str!("pyhanko_rate.py")).map_err(|e| e.to_string())?;
    let out = Command::new(&python)
        .arg(&script)
        .args([key, cert, pdf])
        .arg(PYHANKO_LOOP_SECS)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let last = stderr.lines().last().unwrap_or("no output").trim();
        return Err(format!("pyHanko failed: {last}"));
    }
    let line = stdout.lines().last().unwrap_or_default();
    let n = json_number(line, "iterations").ok_or("no iteration count from pyHanko")?;
    let t = json_number(line, "seconds").ok_or("no time from pyHanko")?;
    let version = json_string(line, "pyhanko").unwrap_or_else(|| "?".into());
    if n <= 0.0 || t <= 0.0 {
        return Err("pyHanko reported no signatures".into());
    }
    Ok((n / t, version))
}

fn json_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line.get(at..)?.trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

fn json_number(line: &str, key: &str) -> Option<f64> {
    json_value(line, key)?.parse().ok()
}

fn json_string(line: &str, key: &str) -> Option<String> {
    Some(json_value(line, key)?.trim_matches('"').to_string())
}

// ---------------------------------------------------------------------------------------------
// Peak memory of the CLI

struct Memory {
    file_len: usize,
    max_rss_kib: u64,
    wall: Duration,
}

/// Builds the release CLI, signs a ~100 MB PDF with it under `/usr/bin/time -f %M`.
fn cli_peak_memory(dir: &Path, key: &Path, cert: &Path) -> Result<Memory, String> {
    let time = Path::new("/usr/bin/time");
    if !time.is_file() {
        return Err("/usr/bin/time is not installed".into());
    }
    let cli = build_cli()?;
    let input = dir.join("100m.pdf");
    let file_len = {
        let pdf = corpus::pdf(PdfKind::Classic, 100 * MIB).ok_or("no 100 MB PDF")?;
        std::fs::write(&input, &pdf).map_err(|e| format!("writing the 100 MB PDF: {e}"))?;
        pdf.len()
    };
    let output = dir.join("100m-signed.pdf");
    let started = Instant::now();
    let out = Command::new(time)
        .args(["-f", "%M"])
        .arg(&cli)
        .args(["sign", "--format", "pades", "--key"])
        .arg(key)
        .arg("--cert")
        .arg(cert)
        .arg(&input)
        .arg(&output)
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "the CLI failed: {}",
            stderr.lines().last().unwrap_or("no output").trim()
        ));
    }
    let signed_len = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    if signed_len <= file_len as u64 {
        return Err("the CLI wrote no signed file".into());
    }
    let max_rss_kib = stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<u64>().ok())
        .ok_or("no %M figure from /usr/bin/time")?;
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    Ok(Memory {
        file_len,
        max_rss_kib,
        wall,
    })
}

/// `cargo build --release -p signstash-sign` in this workspace; the binary lands beside this
/// bench's own directory (`<target>/release/deps/signing-…` → `<target>/release/`).
fn build_cli() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(signstash_test_support::workspace_root())
        .args(["build", "--release", "--quiet", "-p", "signstash-sign"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "cargo build --release -p signstash-sign failed: {}",
            stderr.lines().last().unwrap_or("no output").trim()
        ));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let release = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?;
    let cli = release.join("signstash-sign");
    if cli.is_file() {
        Ok(cli)
    } else {
        Err(format!("{} was not built", cli.display()))
    }
}

// ---------------------------------------------------------------------------------------------
// The report

/// "200.8 KiB input" and the like, from a document's name.
fn size_of(d: &Doc) -> String {
    let mut words = d.name.split_whitespace();
    match (words.next(), words.next()) {
        (Some(n), Some(unit)) => format!("{n} {unit} input"),
        _ => "input".into(),
    }
}

fn rate(r: f64) -> String {
    format!("{} /s ({})", thousands(r), duration(1.0 / r))
}

fn thousands(x: f64) -> String {
    if x < 100.0 {
        return format!("{x:.1}");
    }
    let digits = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.0} µs", secs * 1e6)
    }
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "**FAIL**"
    }
}

struct Ceilings {
    /// RSA-2048 signatures per second: the better of `rsa_runs`.
    rsa: Option<f64>,
    rsa_runs: [Option<f64>; 2],
    /// SHA-256 bytes per second.
    sha: Option<f64>,
}

fn report(
    docs: &[Doc],
    rates: &[f64],
    ceilings: &Ceilings,
    pyhanko: &Result<(f64, String), String>,
    memory: &Result<Memory, String>,
) {
    let (rsa, sha) = (ceilings.rsa, ceilings.sha);
    let na = "n/a (openssl speed not parsed)";
    let rate_of = |k: Kind| {
        docs.iter()
            .zip(rates)
            .find(|(d, _)| d.kind == k)
            .map(|(d, r)| (d, *r))
            .expect("every kind is measured")
    };
    let mut rows: Vec<[String; 6]> = Vec::new();
    rows.push([
        "Ceiling: `openssl speed -seconds 3 rsa2048`, sign, 1 core (better of 2 runs)".into(),
        rsa.map(rate).unwrap_or_else(|| na.into()),
        format!(
            "runs before / after ours: {}",
            ceilings
                .rsa_runs
                .iter()
                .map(|r| r.map(thousands).unwrap_or_else(|| "n/a".into()))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    rows.push([
        "Ceiling: `openssl speed -seconds 3 -evp sha256`, largest block".into(),
        sha.map(|s| format!("{:.2} GB/s", s / 1e9))
            .unwrap_or_else(|| na.into()),
        "—".into(),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    for k in [Kind::Ubl5K, Kind::Pdf200K, Kind::Binary1M] {
        let (d, r) = rate_of(k);
        // The best ratio physically possible once the input must be hashed too.
        let best_possible = match (rsa, sha) {
            (Some(rsa), Some(sha)) => {
                let t_rsa = 1.0 / rsa;
                Some(t_rsa / (t_rsa + d.data.len() as f64 / sha))
            }
            _ => None,
        };
        let (ceiling, ratio, result) = match rsa {
            Some(rsa) => {
                let pass = r / rsa >= SMALL_DOC_GOAL;
                let mut result = verdict(pass).to_string();
                if let Some(best) = best_possible.filter(|b| !pass && *b < SMALL_DOC_GOAL) {
                    result.push_str(&format!(
                        " (hashing the input alone caps it at {:.0} %)",
                        100.0 * best
                    ));
                }
                (
                    format!("{} /s RSA sign", thousands(rsa)),
                    format!("{:.0} %", 100.0 * r / rsa),
                    result,
                )
            }
            None => (na.into(), "—".into(), "not measured".into()),
        };
        rows.push([
            format!("Ours: {}, 1 thread", d.name),
            rate(r),
            ceiling,
            ratio,
            format!("≥ {:.0} % of RSA sign rate", SMALL_DOC_GOAL * 100.0),
            result,
        ]);
        // Against what is physically possible once the input must be hashed too.
        if let (Some(rsa), Some(sha), true) = (rsa, sha, k != Kind::Ubl5K) {
            let limit = 1.0 / (1.0 / rsa + d.data.len() as f64 / sha);
            rows.push([
                format!("  same, against 1 RSA sign + SHA-256 of the {}", size_of(d)),
                rate(r),
                format!("{} /s", thousands(limit)),
                format!("{:.0} %", 100.0 * r / limit),
                "(information)".into(),
                "—".into(),
            ]);
        }
    }
    {
        let (d, r) = rate_of(Kind::Pdf10M);
        let t = 1.0 / r;
        let (ceiling, ratio, result) = match (rsa, sha) {
            (Some(rsa), Some(sha)) => {
                let limit = d.data.len() as f64 / sha + 1.0 / rsa;
                (
                    format!("{} (hash + 1 sign)", duration(limit)),
                    format!("{:.2} ×", t / limit),
                    verdict(t <= LARGE_PDF_GOAL * limit).to_string(),
                )
            }
            _ => (na.into(), "—".into(), "not measured".into()),
        };
        rows.push([
            format!("Ours: {}, 1 thread, time per document", d.name),
            duration(t),
            ceiling,
            ratio,
            format!("≤ {LARGE_PDF_GOAL:.0} × ceiling"),
            result,
        ]);
    }
    rows.push(match memory {
        Ok(m) => {
            let rss = m.max_rss_kib as f64 * 1024.0;
            let ratio = rss / m.file_len as f64;
            [
                format!(
                    "Peak RSS of `signstash-sign sign --format pades` (release) on a {:.1} MiB PDF",
                    m.file_len as f64 / MIB as f64
                ),
                format!(
                    "{:.1} MiB (run {})",
                    rss / MIB as f64,
                    duration(m.wall.as_secs_f64())
                ),
                format!("{:.1} MiB file", m.file_len as f64 / MIB as f64),
                format!("{ratio:.2} ×"),
                format!("< {MEMORY_GOAL} × file size"),
                verdict(ratio < MEMORY_GOAL).to_string(),
            ]
        }
        Err(why) => [
            "Peak RSS of the CLI on a 100 MB PDF".into(),
            format!("not measured: {why}"),
            "—".into(),
            "—".into(),
            format!("< {MEMORY_GOAL} × file size"),
            "not measured".into(),
        ],
    });
    let (d, ours) = rate_of(Kind::Pdf200K);
    rows.push(match pyhanko {
        Ok((theirs, version)) => [
            format!(
                "Ours vs pyHanko {version} (in-process loop) on the {}",
                d.name
            ),
            rate(ours),
            format!("pyHanko {}", rate(*theirs)),
            format!("{:.0} ×", ours / theirs),
            format!("≥ {PYHANKO_GOAL:.0} ×"),
            verdict(ours / theirs >= PYHANKO_GOAL).to_string(),
        ],
        Err(why) => [
            format!("Ours vs pyHanko on the {}", d.name),
            rate(ours),
            format!("pyHanko not measured: {why}"),
            "—".into(),
            format!("≥ {PYHANKO_GOAL:.0} ×"),
            "not measured".into(),
        ],
    });

    println!();
    println!("| Measure | Figure | Ceiling / reference | Ratio | Goal | Result |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("| {} |", r.join(" | "));
    }
    println!();
    let nproc = Command::new("nproc")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|n| !n.is_empty())
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(|n| n.to_string())
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "Machine: nproc = {nproc}. Ratios, not absolute times, are what to compare between runs \
         and machines: the ceilings are measured in the same run, on a shared and noisy machine."
    );
    println!(
        "Notes: ours is `signstash_signing::sign` with an RSA-2048 `KeyFileSigner` from `DevPki` \
         (level B-B, SHA-256), then `SignedDocument::write_to(std::io::sink())`: the full output \
         is produced, without an extra copy. One thread; each figure is the best of {WINDOWS} \
         warm {} s windows (≥ {MIN_ITERATIONS} documents each), and the RSA ceiling the better \
         of two `openssl speed` runs, one before and one after ours. pyHanko signs the same PDF with the same key in a Python \
         loop ({PYHANKO_LOOP_SECS} s, start-up and imports not counted), output in a BytesIO. \
         Peak RSS is `/usr/bin/time -f %M` of the release CLI (reading, signing, writing the file).",
        WINDOW.as_secs()
    );
}
