//! Inserting an enveloped signature: only the insertion point changes, and the digest input
//! (the document minus signatures) is the same before and after.

mod common;

use signstash_xml::{
    canonicalize_to_vec, find_first_element, find_first_element_by_local_name,
    insert_at_end_of_element, is_dsig_signature, parse, plan_insertion_at_end_of_element,
    C14nOptions, Error, Insertion,
};

const EXT_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2";

#[test]
fn signing_flow_on_a_ubl_invoice() {
    let original = common::UBL_INVOICE.as_bytes();
    let doc = parse(original).expect("parse");
    let opts = C14nOptions::EXCLUSIVE;
    let digest_input = canonicalize_to_vec(&doc, doc.root(), &opts, &is_dsig_signature);

    // The signing crate canonicalizes SignedInfo from the fragment alone…
    let fragment = parse(common::SIGNATURE.as_bytes()).expect("fragment parses");
    let signed_info =
        find_first_element_by_local_name(&fragment, "SignedInfo").expect("SignedInfo");
    let si_alone = canonicalize_to_vec(&fragment, signed_info, &opts, &is_dsig_signature);
    let props = find_first_element_by_local_name(&fragment, "SignedProperties").expect("props");
    let props_alone = canonicalize_to_vec(&fragment, props, &opts, &is_dsig_signature);

    // …and inserts it into the placeholder, `<ext:ExtensionContent/>`.
    let placeholder = find_first_element(&doc, EXT_NS, "ExtensionContent").expect("placeholder");
    let plan = plan_insertion_at_end_of_element(&doc, placeholder, common::SIGNATURE.trim_end())
        .expect("plan");
    let at = common::UBL_INVOICE
        .find("<ext:ExtensionContent/>")
        .expect("in source");
    assert_eq!(plan.offset, at + "<ext:ExtensionContent".len());
    assert_eq!(plan.replaced, 2);
    assert!(
        plan.text.starts_with('>')
            && plan
                .text
                .ends_with("</ds:Signature></ext:ExtensionContent>")
    );
    let signed = plan.apply(original);
    assert_eq!(&signed[..plan.offset], &original[..plan.offset]);
    assert_eq!(
        &signed[signed.len() - (original.len() - plan.offset - 2)..],
        &original[plan.offset + 2..]
    );

    // What a verifier computes on the signed document matches what was signed.
    let signed_doc = parse(&signed).expect("signed document parses");
    assert_eq!(
        canonicalize_to_vec(&signed_doc, signed_doc.root(), &opts, &is_dsig_signature),
        digest_input
    );
    let si = find_first_element_by_local_name(&signed_doc, "SignedInfo").expect("SignedInfo");
    assert_eq!(
        canonicalize_to_vec(&signed_doc, si, &opts, &is_dsig_signature),
        si_alone
    );
    let props = find_first_element_by_local_name(&signed_doc, "SignedProperties").expect("props");
    assert_eq!(
        canonicalize_to_vec(&signed_doc, props, &opts, &is_dsig_signature),
        props_alone
    );

    // And lxml agrees on the signed document, when available.
    if let Some(mut oracle) = common::Oracle::get() {
        let lxml = oracle
            .c14n(
                &signed,
                false,
                None,
                Some((signstash_xml::DSIG_NS, "Signature")),
            )
            .expect("lxml parses the signed document");
        assert_eq!(lxml, digest_input);
    }
}

#[test]
fn insertion_before_the_end_tag_keeps_everything_else() {
    let cases: &[(&str, &str, &str)] = &[
        ("<r><a>x</a></r>", "a", "<r><a>xNEW</a></r>"),
        ("<r><a>x</a ></r>", "a", "<r><a>xNEW</a ></r>"),
        (
            "<r><p:a xmlns:p='urn:p'>x<b/></p:a\n></r>",
            "a",
            "<r><p:a xmlns:p='urn:p'>x<b/>NEW</p:a\n></r>",
        ),
        ("<r><a></a></r>", "a", "<r><a>NEW</a></r>"),
        ("<r><a/></r>", "a", "<r><a>NEW</a></r>"),
        ("<r><a x='1' /></r>", "a", "<r><a x='1' >NEW</a></r>"),
        (
            "<r><p:a xmlns:p='urn:p' y=\"/>\"/></r>",
            "a",
            "<r><p:a xmlns:p='urn:p' y=\"/>\">NEW</p:a></r>",
        ),
        ("<r/>", "r", "<r>NEW</r>"),
        (
            "<r>text<!--c--></r>\n<!--after-->",
            "r",
            "<r>text<!--c-->NEW</r>\n<!--after-->",
        ),
        (
            "\u{FEFF}<?xml version='1.0'?>\n<é:r xmlns:é='urn:e'/>",
            "r",
            "\u{FEFF}<?xml version='1.0'?>\n<é:r xmlns:é='urn:e'>NEW</é:r>",
        ),
        (
            "\u{FEFF}<?xml version='1.0'?>\n<r>é</r>",
            "r",
            "\u{FEFF}<?xml version='1.0'?>\n<r>éNEW</r>",
        ),
    ];
    for (input, local, expected) in cases {
        let doc = parse(input.as_bytes()).expect("parse");
        let el = find_first_element_by_local_name(&doc, local).expect("element");
        let out = insert_at_end_of_element(&doc, el, "NEW").expect("insert");
        assert_eq!(String::from_utf8(out).expect("utf-8"), *expected, "{input}");
    }
}

#[test]
fn insertion_targets_must_be_elements_of_the_document() {
    let doc = parse(b"<r>t<!--c--></r>").expect("parse");
    let other = parse(b"<r/>").expect("parse");
    let text = doc.root_element().first_child().expect("text");
    assert_eq!(
        insert_at_end_of_element(&doc, text, "x"),
        Err(Error::InvalidTarget("not an element"))
    );
    assert!(insert_at_end_of_element(&doc, doc.root(), "x").is_err());
    assert!(insert_at_end_of_element(&doc, other.root_element(), "x").is_err());
}

#[test]
fn apply_never_panics_on_foreign_input() {
    let plan = Insertion {
        offset: 100,
        replaced: 5,
        text: "x".into(),
    };
    assert_eq!(plan.apply(b"abc"), b"abcx");
}

#[test]
fn input_ranges_account_for_bom_and_declaration() {
    let input = "\u{FEFF}<?xml version='1.0'?><r><a/></r>";
    let doc = parse(input.as_bytes()).expect("parse");
    let a = find_first_element_by_local_name(&doc, "a").expect("a");
    assert_eq!(&input.as_bytes()[doc.input_range(a)], b"<a/>");
}
