//! Exclusive XML Canonicalization 1.0 (<http://www.w3.org/2001/10/xml-exc-c14n#>), with an
//! empty `InclusiveNamespaces` prefix list.
//!
//! The node-set is always "a subtree minus some subtrees", which is what enveloped XML-DSig
//! references and `SignedInfo`/`SignedProperties` canonicalization need; arbitrary XPath
//! node-sets are out of scope.

use roxmltree::{Node, NodeType};

use crate::{qualified_name, Document};

/// Options of [`canonicalize`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct C14nOptions {
    /// `true` for `http://www.w3.org/2001/10/xml-exc-c14n#WithComments`.
    pub with_comments: bool,
}

impl C14nOptions {
    /// `http://www.w3.org/2001/10/xml-exc-c14n#`
    pub const EXCLUSIVE: C14nOptions = C14nOptions {
        with_comments: false,
    };
    /// `http://www.w3.org/2001/10/xml-exc-c14n#WithComments`
    pub const EXCLUSIVE_WITH_COMMENTS: C14nOptions = C14nOptions {
        with_comments: true,
    };

    /// The algorithm URI to put in `ds:CanonicalizationMethod` or `ds:Transform`.
    pub fn algorithm_uri(&self) -> &'static str {
        if self.with_comments {
            EXC_C14N_WITH_COMMENTS
        } else {
            EXC_C14N
        }
    }
}

/// Algorithm URI of exclusive canonicalization without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Algorithm URI of exclusive canonicalization with comments.
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

/// An exclusion predicate that excludes nothing.
pub fn exclude_nothing(_: Node<'_, '_>) -> bool {
    false
}

/// Exclusive canonical form of the subtree rooted at `node`, appended to `out`.
///
/// `node` is an element, or the document root (`doc.root()`) for the whole document. Every
/// element for which `exclude` returns `true` is left out together with its descendants
/// (text around it stays), as the enveloped-signature transform does; `exclude` is only
/// called on elements. The apex starts with no rendered namespaces, whatever its ancestors
/// declare. A text, comment or processing-instruction node gives its own canonical form.
///
/// `node` must belong to `doc`; the source text used for qualified names is taken from the
/// node's own document in any case, so a foreign node cannot produce out-of-range reads.
pub fn canonicalize(
    doc: &Document<'_>,
    node: Node<'_, '_>,
    opts: &C14nOptions,
    exclude: &dyn Fn(Node<'_, '_>) -> bool,
    out: &mut Vec<u8>,
) {
    debug_assert!(
        std::ptr::eq(node.document(), doc.tree()),
        "node of another document"
    );
    let mut c = Canonicalizer {
        opts,
        exclude,
        out,
        rendered: Vec::new(),
        open: Vec::new(),
        ns_scratch: Vec::new(),
        attr_scratch: Vec::new(),
    };
    match node.node_type() {
        NodeType::Root => {
            // Top-level comments and PIs are separated from the document element by #xA.
            let mut after_document_element = false;
            for child in node.children() {
                match child.node_type() {
                    NodeType::Element => {
                        c.subtree(child);
                        after_document_element = true;
                    }
                    NodeType::Comment if !opts.with_comments => {}
                    NodeType::Comment | NodeType::PI => {
                        if after_document_element {
                            c.out.push(b'\n');
                        }
                        c.leaf(child);
                        if !after_document_element {
                            c.out.push(b'\n');
                        }
                    }
                    // roxmltree keeps no text outside the document element.
                    NodeType::Text | NodeType::Root => {}
                }
            }
        }
        _ => c.subtree(node),
    }
}

/// Convenience wrapper of [`canonicalize`] returning a new buffer.
pub fn canonicalize_to_vec(
    doc: &Document<'_>,
    node: Node<'_, '_>,
    opts: &C14nOptions,
    exclude: &dyn Fn(Node<'_, '_>) -> bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(doc.input().len());
    canonicalize(doc, node, opts, exclude, &mut out);
    out
}

struct Canonicalizer<'o, 'a, 'input> {
    opts: &'o C14nOptions,
    exclude: &'o dyn Fn(Node<'_, '_>) -> bool,
    out: &'o mut Vec<u8>,
    /// Namespace declarations rendered by the output ancestors of the current position,
    /// outermost first: `(prefix, uri)`, `""` for the default namespace.
    rendered: Vec<(&'a str, &'a str)>,
    /// Open output elements: the element, its qualified name and the length of `rendered`
    /// before it.
    open: Vec<(Node<'a, 'input>, &'input str, usize)>,
    ns_scratch: Vec<(&'a str, &'a str)>,
    attr_scratch: Vec<Attr<'a>>,
}

struct Attr<'a> {
    ns: &'a str,
    local: &'a str,
    qname: &'a str,
    value: &'a str,
}

impl<'a, 'input: 'a> Canonicalizer<'_, 'a, 'input> {
    /// Document-order walk without recursion, so nesting depth cannot exhaust the stack.
    fn subtree(&mut self, apex: Node<'a, 'input>) {
        let mut current = apex;
        'walk: loop {
            let first_child = match current.node_type() {
                NodeType::Element => {
                    if (self.exclude)(current) {
                        None
                    } else {
                        self.start_tag(current);
                        current.first_child()
                    }
                }
                _ => {
                    self.leaf(current);
                    None
                }
            };
            if let Some(child) = first_child {
                current = child;
                continue;
            }
            // No (more) children: close elements until one has a next sibling.
            loop {
                if self.open.last().is_some_and(|(n, _, _)| *n == current) {
                    self.end_tag();
                }
                if current == apex {
                    break 'walk;
                }
                if let Some(next) = current.next_sibling() {
                    current = next;
                    continue 'walk;
                }
                match current.parent() {
                    Some(parent) => current = parent,
                    None => break 'walk,
                }
            }
        }
    }

    fn leaf(&mut self, node: Node<'a, 'input>) {
        match node.node_type() {
            NodeType::Text => escape_text(node.text().unwrap_or(""), self.out),
            NodeType::Comment => {
                if self.opts.with_comments {
                    self.out.extend_from_slice(b"<!--");
                    // roxmltree hands comments over as written, line endings included.
                    push_normalized_newlines(node.text().unwrap_or(""), self.out);
                    self.out.extend_from_slice(b"-->");
                }
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    self.out.extend_from_slice(b"<?");
                    self.out.extend_from_slice(pi.target.as_bytes());
                    if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                        self.out.push(b' ');
                        push_normalized_newlines(value, self.out);
                    }
                    self.out.extend_from_slice(b"?>");
                }
            }
            NodeType::Element | NodeType::Root => {}
        }
    }

    fn rendered_uri(&self, prefix: &str) -> Option<&'a str> {
        self.rendered
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, uri)| *uri)
    }

    /// Queues `prefix -> uri` for rendering on the current element unless the nearest output
    /// ancestor already rendered the same binding (or it is the implicit `xml` prefix).
    fn utilize(&mut self, prefix: &'a str, uri: &'a str) {
        if prefix == "xml" || self.ns_scratch.iter().any(|(p, _)| *p == prefix) {
            return;
        }
        let already = match self.rendered_uri(prefix) {
            // roxmltree shares one string per binding, so the pointer test usually decides.
            Some(r) => std::ptr::eq(r, uri) || r == uri,
            // Nothing rendered for the default namespace is the same as `xmlns=""`.
            None => prefix.is_empty() && uri.is_empty(),
        };
        if !already {
            self.ns_scratch.push((prefix, uri));
        }
    }

    fn start_tag(&mut self, node: Node<'a, 'input>) {
        let src: &'a str = node.document().input_text();
        let qname = qualified_name(node);
        let (prefix, _) = split_qname(qname);
        self.ns_scratch.clear();
        self.attr_scratch.clear();

        self.utilize(prefix, node.tag_name().namespace().unwrap_or(""));
        for a in node.attributes() {
            let qname = src.get(a.range_qname()).unwrap_or(a.name());
            let (prefix, _) = split_qname(qname);
            let ns = a.namespace().unwrap_or("");
            if !prefix.is_empty() {
                self.utilize(prefix, ns);
            }
            self.attr_scratch.push(Attr {
                ns,
                local: a.name(),
                qname,
                value: a.value(),
            });
        }

        self.out.push(b'<');
        self.out.extend_from_slice(qname.as_bytes());

        self.ns_scratch.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.open.push((node, qname, self.rendered.len()));
        for &(prefix, uri) in &self.ns_scratch {
            if prefix.is_empty() {
                self.out.extend_from_slice(b" xmlns=\"");
            } else {
                self.out.extend_from_slice(b" xmlns:");
                self.out.extend_from_slice(prefix.as_bytes());
                self.out.extend_from_slice(b"=\"");
            }
            escape_attr(uri, self.out);
            self.out.push(b'"');
            self.rendered.push((prefix, uri));
        }

        // Unqualified attributes have the empty namespace URI and so sort first.
        self.attr_scratch
            .sort_unstable_by(|a, b| (a.ns, a.local).cmp(&(b.ns, b.local)));
        for a in &self.attr_scratch {
            self.out.push(b' ');
            self.out.extend_from_slice(a.qname.as_bytes());
            self.out.extend_from_slice(b"=\"");
            escape_attr(a.value, self.out);
            self.out.push(b'"');
        }
        self.out.push(b'>');
    }

    fn end_tag(&mut self) {
        if let Some((_, qname, mark)) = self.open.pop() {
            self.out.extend_from_slice(b"</");
            self.out.extend_from_slice(qname.as_bytes());
            self.out.push(b'>');
            self.rendered.truncate(mark);
        }
    }
}

fn split_qname(qname: &str) -> (&str, &str) {
    match qname.split_once(':') {
        Some((prefix, local)) => (prefix, local),
        None => ("", qname),
    }
}

fn escape_text(s: &str, out: &mut Vec<u8>) {
    escape(s, out, text_escape);
}

fn text_escape(b: u8) -> Option<&'static [u8]> {
    match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    }
}

fn escape_attr(s: &str, out: &mut Vec<u8>) {
    escape(s, out, attr_escape);
}

fn attr_escape(b: u8) -> Option<&'static [u8]> {
    match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    }
}

#[inline]
fn escape(s: &str, out: &mut Vec<u8>, table: fn(u8) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Only ASCII bytes are escaped, so slicing at them keeps UTF-8 sequences whole.
        if let Some(rep) = table(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(rep);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// XML end-of-line handling (§2.11) for the node kinds roxmltree does not normalise.
fn push_normalized_newlines(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\r' {
            out.push(b'\n');
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
}
