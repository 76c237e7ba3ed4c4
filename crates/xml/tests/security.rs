//! Hostile and malformed input: typed refusals, limits, and no panic on any input.

mod common;

use signstash_xml::{
    canonicalize_to_vec, exclude_nothing, insert_at_end_of_element, normalize_line_endings, parse,
    parse_with, C14nOptions, Error, Limits,
};

fn err(input: &[u8]) -> Error {
    parse(input).expect_err("must be refused")
}

#[test]
fn any_doctype_is_refused() {
    let cases: &[&str] = &[
        "<!DOCTYPE r><r/>",
        "<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r>&x;</r>",
        "<!DOCTYPE r PUBLIC \"-//X//Y\" \"http://attacker.example/x.dtd\"><r/>",
        "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
        "<?xml version=\"1.0\"?>\n<!-- c --><?pi?>\n<!DOCTYPE r [\n<!ENTITY a \"aaaaaaaaaa\">\n<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n]><r>&c;</r>",
        "\u{FEFF}<!DOCTYPE r []><r/>",
        "<!DOCTYPE r [<!ATTLIST r a CDATA \"default\">]><r/>",
    ];
    for c in cases {
        assert_eq!(err(c.as_bytes()), Error::Dtd, "{c}");
    }
    // Anywhere else a DOCTYPE is simply not XML; it must still be refused.
    for c in [
        "<r><!DOCTYPE r></r>",
        "<r/><!DOCTYPE r>",
        "<!doctype r><r/>",
    ] {
        assert!(parse(c.as_bytes()).is_err(), "{c}");
    }
}

#[test]
fn undeclared_entities_are_refused() {
    assert_eq!(err(b"<r>&nbsp;</r>"), Error::Entity(Some("nbsp".into())));
    assert_eq!(err(b"<r a='&x;'/>"), Error::Entity(Some("x".into())));
    assert!(matches!(
        err(b"<r>&amp</r>"),
        Error::Entity(_) | Error::NotXml(_)
    ));
    assert!(matches!(
        err(b"<r>&;</r>"),
        Error::Entity(_) | Error::NotXml(_)
    ));
    assert!(parse(b"<r>&#0;</r>").is_err());
    for bad in [
        "&#xFFFFFFFF;",
        "&#x110000;",
        "&#xFFFF;",
        "&#xFFFE;",
        "&#1114112;",
        "&#x1;",
        "&#99999999999999999999;",
    ] {
        assert!(parse(format!("<r>{bad}</r>").as_bytes()).is_err(), "{bad}");
        assert!(
            parse(format!("<r a='{bad}'/>").as_bytes()).is_err(),
            "{bad}"
        );
    }
    // A literal U+FFFD is a character like any other.
    assert!(parse("<r a='\u{FFFD}'>\u{FFFD}&#xFFFD;</r>".as_bytes()).is_ok());
    assert!(parse(b"<r>&#xD800;</r>").is_err());
    // The predefined ones and character references are fine.
    assert!(parse(b"<r a='&lt;&#65;'>&amp;&gt;&quot;&apos;&#x1F600;</r>").is_ok());
}

#[test]
fn encodings_other_than_utf8_are_refused() {
    assert_eq!(
        err(b"\xFF\xFE<\x00r\x00/\x00>\x00"),
        Error::UnsupportedEncoding("UTF-16".into())
    );
    assert_eq!(
        err(b"\xFE\xFF\x00<\x00r\x00/\x00>"),
        Error::UnsupportedEncoding("UTF-16".into())
    );
    assert_eq!(err(b"<r>caf\xE9</r>"), Error::InvalidUtf8 { offset: 6 });
    assert_eq!(
        err(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>"),
        Error::UnsupportedEncoding("ISO-8859-1".into())
    );
    assert!(matches!(
        err(b"<?xml version='1.0' encoding='UTF-16'?><r/>"),
        Error::UnsupportedEncoding(_)
    ));
    assert!(matches!(
        err("<?xml version='1.0' encoding='US-ASCII'?><r>é</r>".as_bytes()),
        Error::UnsupportedEncoding(_)
    ));
    for ok in [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r/>",
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?><r/>",
        "<?xml version=\"1.0\" encoding=\"US-ASCII\"?><r/>",
        "<?xml\tversion=\"1.0\"\nencoding = \"UTF-8\" ?>\n<r/>",
        "\u{FEFF}<?xml version=\"1.0\"?><r>é</r>",
        "\u{FEFF}<r/>",
    ] {
        assert!(parse(ok.as_bytes()).is_ok(), "{ok}");
    }
}

#[test]
fn a_bom_is_accepted_and_not_canonicalized() {
    let input = "\u{FEFF}<?xml version=\"1.0\"?>\n<r>é</r>".as_bytes();
    let doc = parse(input).expect("parse");
    let out = canonicalize_to_vec(&doc, doc.root(), &C14nOptions::default(), &exclude_nothing);
    assert_eq!(out, "<r>é</r>".as_bytes());
}

#[test]
fn malformed_declarations_and_misplaced_boms_are_refused() {
    for c in [
        "<?xml version=\"1.1\"?><r/>",
        "<?xml encoding=\"UTF-8\"?><r/>",
        "<?xml version=\"1.0\" standalone=\"maybe\"?><r/>",
        "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><r/>",
        "<?xml version=\"1.0\"?><?xml version=\"1.0\"?><r/>",
        "<?xml version=\"1.0\"?>\u{FEFF}<r/>",
        "\u{FEFF}\u{FEFF}<r/>",
        "<r/><?xml version=\"1.0\"?>",
        "<r><?xml\nversion=\"1.0\"?></r>",
        "<r><?XmL x?></r>",
        "<?xml version=\"1.0\"",
        " <?xml version=\"1.0\"?><r/>",
    ] {
        assert!(parse(c.as_bytes()).is_err(), "{c:?}");
    }
}

#[test]
fn empty_and_non_xml_inputs_are_refused() {
    assert_eq!(err(b""), Error::Empty);
    for c in [
        " ",
        "\n",
        "text",
        "<r>",
        "</r>",
        "<r></s>",
        "<a/><b/>",
        "<p:r/>",
        "<r xmlns:p=''/>",
        "\u{FEFF}",
    ] {
        assert!(parse(c.as_bytes()).is_err(), "{c:?}");
    }
}

#[test]
fn size_limit() {
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(parse_with(b"<r>12</r>", &limits).is_ok());
    assert_eq!(
        parse_with(b"<r>1234</r>", &limits).expect_err("too large"),
        Error::TooLarge { size: 11, max: 10 }
    );
}

#[test]
fn depth_limit() {
    let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let limits = Limits {
        max_depth: 50,
        ..Limits::default()
    };
    assert!(parse_with(nested(50).as_bytes(), &limits).is_ok());
    assert_eq!(
        parse_with(nested(51).as_bytes(), &limits).expect_err("too deep"),
        Error::TooDeep { max: 50 }
    );
    assert_eq!(err(nested(257).as_bytes()), Error::TooDeep { max: 256 });
}

#[test]
fn namespace_declaration_limit() {
    let limits = Limits {
        max_namespace_declarations: 3,
        ..Limits::default()
    };
    let decls = |n: usize| format!("<r>{}</r>", "<a xmlns:p='urn:p'/>".repeat(n));
    assert!(parse_with(decls(3).as_bytes(), &limits).is_ok());
    assert_eq!(
        parse_with(decls(4).as_bytes(), &limits).expect_err("too many"),
        Error::TooManyNamespaces { max: 3 }
    );
}

#[test]
fn node_limit() {
    let limits = Limits {
        max_nodes: 10,
        ..Limits::default()
    };
    let many = format!("<r>{}</r>", "<a/>".repeat(20));
    assert_eq!(
        parse_with(many.as_bytes(), &limits).expect_err("too many"),
        Error::TooManyNodes { max: 10 }
    );
}

/// Canonicalization walks the tree without recursion: even with the depth limit lifted, a
/// very deep document cannot overflow the stack.
#[test]
fn very_deep_documents_do_not_overflow_the_stack() {
    let depth = 100_000;
    let input = format!(
        "<p:a xmlns:p='urn:p'>{}x{}",
        "<p:a>".repeat(depth - 1),
        "</p:a>".repeat(depth)
    );
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let doc = parse_with(input.as_bytes(), &limits).expect("parse");
    let out = canonicalize_to_vec(&doc, doc.root(), &C14nOptions::default(), &exclude_nothing);
    assert!(out.starts_with(b"<p:a xmlns:p=\"urn:p\"><p:a>"));
    assert!(out.ends_with(b"</p:a></p:a>"));
    assert_eq!(
        out.len(),
        "<p:a xmlns:p=\"urn:p\">".len() + (depth - 1) * "<p:a>".len() + 1 + depth * "</p:a>".len()
    );
}

/// Everything the crate offers, on a parsed document: none of it may panic, the canonical form
/// must itself be well-formed and canonical (idempotence), and an insertion must keep the
/// document well-formed.
fn exercise(input: &[u8]) -> bool {
    let _ = parse(input); // as received, lone carriage returns included
    let input = normalize_line_endings(input);
    let Ok(doc) = parse(&input) else {
        return false;
    };
    for with_comments in [false, true] {
        let opts = C14nOptions { with_comments };
        let out = canonicalize_to_vec(&doc, doc.root(), &opts, &exclude_nothing);
        let again = parse(&out).unwrap_or_else(|e| {
            panic!(
                "canonical form does not parse ({e}): {:?}",
                String::from_utf8_lossy(&out)
            )
        });
        let twice = canonicalize_to_vec(&again, again.root(), &opts, &exclude_nothing);
        assert!(
            twice == out,
            "not idempotent: {}",
            common::diff(&twice, &out)
        );
        for node in doc.root().descendants() {
            let _ = canonicalize_to_vec(&doc, node, &opts, &signstash_xml::is_dsig_signature);
        }
    }
    for el in doc.root().descendants().filter(|n| n.is_element()).take(20) {
        let edited = insert_at_end_of_element(&doc, el, "<ins:x xmlns:ins='urn:ins'>t</ins:x>")
            .expect("insertion into an element");
        assert!(parse(&edited).is_ok(), "insertion broke the document");
    }
    for node in doc.root().descendants().filter(|n| !n.is_element()).take(5) {
        assert!(insert_at_end_of_element(&doc, node, "x").is_err());
    }
    true
}

#[test]
fn every_prefix_of_a_valid_document_is_handled() {
    let signed = common::signed_invoice();
    let mut accepted = 0;
    for end in 0..=signed.len() {
        accepted += usize::from(exercise(&signed.as_bytes()[..end]));
    }
    // Only the complete document (and with its trailing comment/newline cut) parses.
    assert!(accepted >= 1);
}

#[test]
fn mutated_documents_are_handled() {
    let seeds: Vec<Vec<u8>> = common::corpus().into_iter().map(|(_, d)| d).collect();
    let mut rng = common::XorShift(0x5eed_1234_abcd_ef01);
    let mut parsed = 0;
    let rounds = 10_000;
    for round in 0..rounds {
        let doc = common::mutate(&seeds[round % seeds.len()], &mut rng);
        parsed += usize::from(exercise(&doc));
    }
    eprintln!("{rounds} mutated documents, {parsed} still well-formed and fully exercised");
    assert!(
        parsed > rounds / 10,
        "mutations too destructive to exercise much"
    );
}
