//! Prepares a signature on a file and embeds a dummy CMS, reporting the time taken; used to
//! measure speed and peak memory (`/usr/bin/time -v`) on large inputs.
//!
//! `cargo run --release -p signstash-pdf --example sign_file -- IN.pdf OUT.pdf`; with `REPEAT`
//! set in the environment it also reports the mean of 1000 warm runs (the first run pays for
//! page-faulting the fresh update buffer).

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output)) = (args.next(), args.next()) else {
        return Err("usage: sign_file IN.pdf OUT.pdf".into());
    };
    let original = std::fs::read(&input)?;
    let opts = signstash_pdf::SignatureFieldOptions::default();
    let start = Instant::now();
    let mut prepared = signstash_pdf::prepare_signature(&original, &opts)?;
    let prepare_time = start.elapsed();
    if std::env::var_os("REPEAT").is_some() {
        let t = Instant::now();
        for _ in 0..1000 {
            std::hint::black_box(signstash_pdf::prepare_signature(&original, &opts)?);
        }
        println!("mean over 1000: {:?}", t.elapsed() / 1000);
    }
    prepared.embed_signature(&[0x30, 0x03, 0x02, 0x01, 0x00])?;
    let file = std::io::BufWriter::new(std::fs::File::create(&output)?);
    prepared.write_to(&original, file)?;
    println!(
        "{} bytes in, update of {} bytes, prepare_signature took {:?}",
        original.len(),
        prepared.tail().len(),
        prepare_time
    );
    Ok(())
}
