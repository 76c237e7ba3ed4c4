//! The PDF front end on arbitrary bytes: reading the structure and preparing a signature field
//! must return an error or a consistent update, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signstash_pdf::{prepare_signature, SignatureFieldOptions};

fuzz_target!(|data: &[u8]| {
    let opts = SignatureFieldOptions { contents_capacity: 256, ..SignatureFieldOptions::default() };
    if let Ok(mut prepared) = prepare_signature(data, &opts) {
        let covered: usize = prepared.signed_parts(data).iter().map(|p| p.len()).sum();
        assert!(covered < data.len() + prepared.tail().len());
        prepared.embed_signature(&[0x30, 0x03, 0x02, 0x01, 0x01]).expect("a 5-byte signature fits");
        let mut out = Vec::new();
        prepared.write_to(data, &mut out).expect("writing to a Vec");
        assert!(out.starts_with(data));
    }
});
