//! Parse + exclusive c14n timings on the test UBL invoice.
//! `cargo run --release -p signstash-xml --example c14n_bench`

use std::hint::black_box;
use std::time::{Duration, Instant};

use signstash_xml::{canonicalize, is_dsig_signature, parse, C14nOptions};

const INVOICE: &str = include_str!("../tests/data/ubl-invoice.xml");

/// Median time per call over `rounds` batches.
fn measure(rounds: usize, per_round: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                f();
            }
            t.elapsed() / per_round as u32
        })
        .collect();
    times.sort();
    times[rounds / 2]
}

fn report(name: &str, bytes: usize, per_call: Duration) {
    let mbps = bytes as f64 / per_call.as_secs_f64() / 1e6;
    println!(
        "{name:<38} {:>9.1} µs  {mbps:>6.0} MB/s",
        per_call.as_secs_f64() * 1e6
    );
}

fn main() {
    // A large invoice: the same lines repeated.
    let start = INVOICE.find("<cac:InvoiceLine>").expect("line");
    let end = INVOICE.rfind("</Invoice>").expect("end");
    let big = format!(
        "{}{}{}",
        &INVOICE[..start],
        INVOICE[start..end].repeat(200),
        &INVOICE[end..]
    );

    for (label, doc) in [
        ("5.6 KB UBL invoice", INVOICE),
        ("large UBL invoice", big.as_str()),
    ] {
        let input = doc.as_bytes();
        let per_round = (2_000_000 / input.len()).max(1);
        println!("{label}: {} bytes", input.len());
        let mut out = Vec::with_capacity(input.len());
        let opts = C14nOptions::EXCLUSIVE;
        report(
            "  roxmltree alone (for comparison)",
            input.len(),
            measure(21, per_round, || {
                black_box(
                    signstash_xml::roxmltree::Document::parse(black_box(doc)).expect("parse"),
                );
            }),
        );
        report(
            "  parse",
            input.len(),
            measure(21, per_round, || {
                black_box(parse(black_box(input)).expect("parse"));
            }),
        );
        let parsed = parse(input).expect("parse");
        report(
            "  c14n (document minus signatures)",
            input.len(),
            measure(21, per_round, || {
                out.clear();
                canonicalize(&parsed, parsed.root(), &opts, &is_dsig_signature, &mut out);
                black_box(&out);
            }),
        );
        report(
            "  parse + c14n",
            input.len(),
            measure(21, per_round, || {
                let d = parse(black_box(input)).expect("parse");
                out.clear();
                canonicalize(&d, d.root(), &opts, &is_dsig_signature, &mut out);
                black_box(&out);
            }),
        );
    }
}
