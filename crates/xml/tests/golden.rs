//! Committed canonical forms (generated once by lxml), so the core rules are checked even
//! where Python is not available. Regenerate with
//! `cargo test -p signstash-xml --test golden -- --ignored regenerate_golden_files`.

mod common;

use std::path::PathBuf;

use common::{corpus, diff, ours, Oracle};
use signstash_xml::{normalize_line_endings, parse, DSIG_NS};

struct Case {
    doc: &'static str,
    with_comments: bool,
    /// Local name of the subtree apex (first in document order); `None` for the document.
    apex: Option<&'static str>,
    exclude_signatures: bool,
}

const CASES: &[Case] = &[
    Case {
        doc: "ubl-invoice",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "ubl-invoice",
        with_comments: true,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "ubl-signed",
        with_comments: false,
        apex: None,
        exclude_signatures: true,
    },
    Case {
        doc: "ubl-signed",
        with_comments: false,
        apex: Some("SignedInfo"),
        exclude_signatures: false,
    },
    Case {
        doc: "ubl-signed",
        with_comments: false,
        apex: Some("ExtensionContent"),
        exclude_signatures: true,
    },
    Case {
        doc: "signature",
        with_comments: false,
        apex: Some("SignedInfo"),
        exclude_signatures: false,
    },
    Case {
        doc: "signature",
        with_comments: false,
        apex: Some("SignedProperties"),
        exclude_signatures: false,
    },
    Case {
        doc: "default-ns",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "default-ns",
        with_comments: false,
        apex: Some("nested"),
        exclude_signatures: false,
    },
    Case {
        doc: "prefixed-parent-default-child",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "attributes",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "xml-namespace",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "comments-pis",
        with_comments: true,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "comments-pis",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "crlf-cdata",
        with_comments: true,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "non-ascii",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "redeclarations",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "redeclarations",
        with_comments: false,
        apex: Some("y"),
        exclude_signatures: false,
    },
    Case {
        doc: "whitespace-in-tags",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "references",
        with_comments: false,
        apex: None,
        exclude_signatures: false,
    },
    Case {
        doc: "excluded-inside",
        with_comments: true,
        apex: None,
        exclude_signatures: true,
    },
];

impl Case {
    fn file(&self) -> PathBuf {
        let mut name = self.doc.to_owned();
        if let Some(apex) = self.apex {
            name += &format!(".{apex}");
        }
        if self.exclude_signatures {
            name += ".minus-signatures";
        }
        name += if self.with_comments {
            ".exc-c14n-wc"
        } else {
            ".exc-c14n"
        };
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/golden")
            .join(name)
    }

    fn input(&self) -> Vec<u8> {
        corpus()
            .into_iter()
            .find(|(n, _)| *n == self.doc)
            .map(|(_, d)| d)
            .expect("corpus document")
    }

    fn target(&self, input: &[u8]) -> Option<usize> {
        let apex = self.apex?;
        let input = normalize_line_endings(input);
        let doc = parse(&input).expect("parse");
        let i = doc
            .root()
            .descendants()
            .filter(|n| n.is_element())
            .position(|n| n.tag_name().name() == apex)
            .expect("apex element");
        Some(i)
    }

    fn exclude(&self) -> Option<(&'static str, &'static str)> {
        self.exclude_signatures.then_some((DSIG_NS, "Signature"))
    }
}

#[test]
fn canonical_forms_match_committed_lxml_output() {
    for case in CASES {
        let input = case.input();
        let expected =
            std::fs::read(case.file()).unwrap_or_else(|e| panic!("{}: {e}", case.file().display()));
        let got = ours(
            &input,
            case.with_comments,
            case.target(&input),
            case.exclude(),
        )
        .expect("parse");
        assert!(
            got == expected,
            "{}: {}",
            case.file().display(),
            diff(&got, &expected)
        );
    }
}

#[test]
#[ignore = "writes tests/data/golden from lxml"]
fn regenerate_golden_files() {
    let mut oracle = Oracle::get().expect("the lxml oracle is needed to regenerate");
    std::fs::create_dir_all(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden"))
        .expect("mkdir");
    for case in CASES {
        let input = case.input();
        let out = oracle
            .c14n(
                &input,
                case.with_comments,
                case.target(&input),
                case.exclude(),
            )
            .expect("lxml");
        std::fs::write(case.file(), out).expect("write");
    }
}
