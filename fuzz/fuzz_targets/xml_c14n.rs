//! The XML front end on arbitrary bytes: parsing, exclusive c14n (with and without comments,
//! minus signatures) and insertion must return an error or a result, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use signstash_xml::{canonicalize_to_vec, exclude_nothing, is_dsig_signature, parse, plan_insertion_at_end_of_element, C14nOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = parse(data) else { return };
    let root = doc.root();
    let a = canonicalize_to_vec(&doc, root, &C14nOptions::EXCLUSIVE, &exclude_nothing);
    let _ = canonicalize_to_vec(&doc, root, &C14nOptions::EXCLUSIVE_WITH_COMMENTS, &is_dsig_signature);
    // Canonical output is itself XML whose canonical form is the same.
    if let Ok(again) = parse(&a) {
        assert_eq!(canonicalize_to_vec(&again, again.root(), &C14nOptions::EXCLUSIVE, &exclude_nothing), a);
    }
    if let Ok(plan) = plan_insertion_at_end_of_element(&doc, doc.root_element(), "<x/>") {
        let edited = plan.apply(data);
        let _ = parse(&edited);
    }
});
