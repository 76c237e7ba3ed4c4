//! XML front end of the Sign'Stash XAdES signer: secure parsing, locating where an enveloped
//! signature goes, and Exclusive XML Canonicalization 1.0.
//!
//! # What is supported
//!
//! - **Parsing** ([`parse`], [`parse_with`]) of namespace-well-formed XML 1.0 in UTF-8, with
//!   `roxmltree` doing the XML work. The [`Document`] keeps the original bytes so that
//!   qualified names are read as written and edits ([`insert_at_end_of_element`]) leave every
//!   other byte untouched.
//! - **Exclusive canonicalization** ([`canonicalize`]) —
//!   `http://www.w3.org/2001/10/xml-exc-c14n#` and `…#WithComments`, with an empty
//!   `InclusiveNamespaces` prefix list — of a whole document or an element subtree, minus
//!   excluded subtrees (the enveloped-signature transform). Output is byte-identical to
//!   libxml2 (xmlsec1, lxml); the tests compare with lxml.
//! - Not supported: inclusive C14N 1.0/1.1, a non-empty `InclusiveNamespaces PrefixList`,
//!   arbitrary XPath node-sets, XML 1.1.
//!
//! # Security limits
//!
//! - Any document type declaration (`<!DOCTYPE`) is refused ([`Error::Dtd`]), so there is no
//!   entity expansion and nothing is ever fetched. References to entities other than the five
//!   predefined ones are refused ([`Error::Entity`]), and so are character references to
//!   characters XML does not allow (`&#x110000;`, `&#xFFFF;`).
//! - Only UTF-8 is accepted: a UTF-8 BOM is allowed, UTF-16 (BOM) and invalid UTF-8 are
//!   refused, and an `encoding` declaration must say UTF-8 or US-ASCII (the latter only when
//!   every byte is ASCII). Anything else is [`Error::UnsupportedEncoding`] or
//!   [`Error::InvalidUtf8`]: documents are refused rather than transcoded, so the signed bytes
//!   are the bytes received. Only XML version 1.0.
//! - [`Limits`] bounds input size (default 32 MiB), element depth (default 256, as libxml2),
//!   node count (default 2 million) and `xmlns` occurrences (default 1,000; roxmltree's
//!   memory grows with their square). Empty input is [`Error::Empty`].
//! - No function panics on any input; canonicalization is iterative, so depth cannot exhaust
//!   the stack. The tests feed every prefix and thousands of mutations of valid documents,
//!   and compare every mutation we accept with lxml.
//!
//! # Stricter than roxmltree, never laxer than libxml2
//!
//! Whatever is signed must verify with xmlsec1 and other verifiers, so [`parse`] refuses what
//! libxml2 refuses and roxmltree lets through: end tags with another qualified name
//! (`<a></:a>`), empty prefixes (`<:a>`), `xmlns` twice on one element, `xmlns:p=""`,
//! malformed PI targets (`<?pi&x?>`, `<?a:b?>`, `<?xml?>` after the start), `xml:id` values
//! that are not NCNames or repeat. It also refuses, with [`Error::NamespaceUri`], namespace
//! URIs that are relative (Canonical XML requires failing on them) or not valid URIs, and
//! URIs containing `&`, which libxml2 writes unescaped in canonical output, unlike the
//! specification. A carriage return not followed by a line feed is
//! [`Error::LoneCarriageReturn`] (roxmltree mishandles it next to references); run
//! [`normalize_line_endings`] first, which keeps every byte offset.

mod c14n;
mod error;
mod insert;
mod parse;

pub use c14n::{
    canonicalize, canonicalize_to_vec, exclude_nothing, C14nOptions, EXC_C14N,
    EXC_C14N_WITH_COMMENTS,
};
pub use error::Error;
pub use insert::{insert_at_end_of_element, plan_insertion_at_end_of_element, Insertion};
pub use parse::{normalize_line_endings, parse, parse_with, Limits};
pub use roxmltree::{self, Node};

/// The XML-DSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The XAdES 1.3.2 namespace.
pub const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";

/// A parsed document together with the bytes it was parsed from.
pub struct Document<'input> {
    tree: roxmltree::Document<'input>,
    input: &'input [u8],
    /// Offset in `input` of the text handed to roxmltree (after BOM and XML declaration);
    /// node ranges are relative to it.
    body_start: usize,
}

impl<'input> Document<'input> {
    /// The roxmltree document.
    pub fn tree(&self) -> &roxmltree::Document<'input> {
        &self.tree
    }

    /// The root node (parent of the document element).
    pub fn root<'a>(&'a self) -> Node<'a, 'input> {
        self.tree.root()
    }

    /// The document element.
    pub fn root_element<'a>(&'a self) -> Node<'a, 'input> {
        self.tree.root_element()
    }

    /// The bytes the document was parsed from.
    pub fn input(&self) -> &'input [u8] {
        self.input
    }

    /// Byte range of `node` in [`Self::input`] (roxmltree's own ranges exclude the BOM and
    /// XML declaration).
    pub fn input_range(&self, node: Node<'_, '_>) -> std::ops::Range<usize> {
        let r = node.range();
        r.start + self.body_start..r.end + self.body_start
    }
}

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("bytes", &self.input.len())
            .field("root_element", &self.tree.root_element().tag_name())
            .finish_non_exhaustive()
    }
}

/// The qualified name of an element as written in the source (`cbc:ID`, `Invoice`); the
/// local name for any other node kind.
pub fn qualified_name<'input>(node: Node<'_, 'input>) -> &'input str {
    let src: &'input str = node.document().input_text();
    let local = node.tag_name().name();
    if node.is_element() {
        let start = node.range().start + 1; // after '<'
        if let Some(rest) = src.get(start..) {
            let end = rest
                .bytes()
                .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
                .unwrap_or(rest.len());
            let qname = &rest[..end];
            // Defensive: only trust the source when it agrees with the parsed name.
            let agrees = qname.len() == local.len()
                || qname
                    .as_bytes()
                    .get(qname.len().wrapping_sub(local.len() + 1))
                    == Some(&b':');
            if agrees && qname.ends_with(local) {
                return qname;
            }
        }
    }
    local
}

/// The first element (document order) with this local name, in any namespace.
pub fn find_first_element_by_local_name<'a, 'input>(
    doc: &'a Document<'input>,
    local: &str,
) -> Option<Node<'a, 'input>> {
    doc.tree
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == local)
}

/// The first element (document order) with this namespace URI and local name.
pub fn find_first_element<'a, 'input>(
    doc: &'a Document<'input>,
    namespace: &str,
    local: &str,
) -> Option<Node<'a, 'input>> {
    doc.tree.descendants().find(|n| {
        n.is_element()
            && n.tag_name().name() == local
            && n.tag_name().namespace() == Some(namespace)
    })
}

/// Exclusion predicate for XML-DSig `Signature` elements (`ds:Signature` in any prefix), as
/// the enveloped-signature transform or `not(ancestor-or-self::ds:Signature)` needs.
pub fn is_dsig_signature(node: Node<'_, '_>) -> bool {
    node.is_element()
        && node.tag_name().name() == "Signature"
        && node.tag_name().namespace() == Some(DSIG_NS)
}
