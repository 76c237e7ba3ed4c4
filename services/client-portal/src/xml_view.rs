//! XML documents shown as text: indented, one element per line, in the original spelling of
//! names and attributes. The result is plain text that the page escapes: a document holding
//! `<script>` shows those characters and nothing runs.
//!
//! Parsing goes through `signstash-xml` (no DTD, no entities, UTF-8 only, bounded depth and
//! size): a document it refuses is shown unindented, as its raw text.

use signstash_xml::{roxmltree::NodeType, Node};

/// The indented text of `input`, or its raw text when it does not parse (or `None` when it is
/// not UTF-8 at all).
pub fn pretty(input: &[u8]) -> Option<String> {
    let Ok(doc) = signstash_xml::parse(input) else {
        return std::str::from_utf8(input).ok().map(str::to_owned);
    };
    let mut out = String::with_capacity(input.len() + input.len() / 4);
    let text = std::str::from_utf8(doc.input()).ok()?;
    let body = text.trim_start_matches('\u{feff}');
    if body.starts_with("<?xml") {
        if let Some(end) = body.find("?>") {
            out.push_str(&body[..end + 2]);
            out.push('\n');
        }
    }
    for child in doc.root().children() {
        node(&doc, text, child, 0, &mut out);
    }
    Some(out)
}

const INDENT: &str = "  ";

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
}

fn node(
    doc: &signstash_xml::Document<'_>,
    src: &str,
    n: Node<'_, '_>,
    depth: usize,
    out: &mut String,
) {
    match n.node_type() {
        NodeType::Element => element(doc, src, n, depth, out),
        NodeType::Text => {
            let text = n.text().unwrap_or_default().trim();
            if !text.is_empty() {
                indent(out, depth);
                escape_into(text, out);
                out.push('\n');
            }
        }
        NodeType::Comment => {
            indent(out, depth);
            out.push_str("<!--");
            out.push_str(n.text().unwrap_or_default());
            out.push_str("-->\n");
        }
        NodeType::PI => {
            if let Some(pi) = n.pi() {
                indent(out, depth);
                out.push_str("<?");
                out.push_str(pi.target);
                if let Some(value) = pi.value {
                    out.push(' ');
                    out.push_str(value);
                }
                out.push_str("?>\n");
            }
        }
        NodeType::Root => {}
    }
}

fn element(
    doc: &signstash_xml::Document<'_>,
    src: &str,
    n: Node<'_, '_>,
    depth: usize,
    out: &mut String,
) {
    let start = doc.input_range(n).start;
    let tag = start_tag(src.get(start..).unwrap_or_default());
    indent(out, depth);
    out.push_str(&tag);
    if tag.ends_with("/>") {
        out.push('\n');
        return;
    }
    let children: Vec<Node<'_, '_>> = n
        .children()
        .filter(|c| !(c.is_text() && c.text().unwrap_or_default().trim().is_empty()))
        .collect();
    let name = signstash_xml::qualified_name(n);
    match children.as_slice() {
        [] => {}
        [only] if only.is_text() => escape_into(only.text().unwrap_or_default().trim(), out),
        _ => {
            out.push('\n');
            for c in children {
                node(doc, src, c, depth + 1, out);
            }
            indent(out, depth);
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// The start tag at the beginning of `src` (which begins with `<`), with runs of white space
/// between attributes folded to one space. Quoted values are kept as they are, `>` included.
fn start_tag(src: &str) -> String {
    let mut tag = String::new();
    let mut quote: Option<char> = None;
    let mut space = false;
    for c in src.chars() {
        match quote {
            Some(q) => {
                tag.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_ascii_whitespace() => space = true,
            None => {
                if space && c != '>' {
                    tag.push(' ');
                }
                space = false;
                tag.push(c);
                match c {
                    '"' | '\'' => quote = Some(c),
                    '>' => break,
                    _ => {}
                }
            }
        }
    }
    tag
}

/// Character data as XML would spell it (the page escapes the result once more for HTML).
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn indents_one_element_per_line_keeping_names_and_attributes() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?><inv:Invoice xmlns:inv="urn:x"   id='a>b'><inv:ID>F 1/2026</inv:ID><inv:Lines><inv:Line n="1"/><!-- c --></inv:Lines><inv:Empty></inv:Empty></inv:Invoice>"#;
        assert_eq!(
            pretty(xml).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <inv:Invoice xmlns:inv=\"urn:x\" id='a>b'>\n\
             \x20 <inv:ID>F 1/2026</inv:ID>\n\
             \x20 <inv:Lines>\n\
             \x20   <inv:Line n=\"1\"/>\n\
             \x20   <!-- c -->\n\
             \x20 </inv:Lines>\n\
             \x20 <inv:Empty></inv:Empty>\n\
             </inv:Invoice>\n"
        );
    }

    #[test]
    fn character_data_keeps_its_escapes() {
        let xml = b"<a><b>x &lt;script&gt; &amp; y</b><script>alert(1)</script></a>";
        let shown = pretty(xml).unwrap();
        assert!(shown.contains("<b>x &lt;script&gt; &amp; y</b>"), "{shown}");
        assert!(shown.contains("  <script>alert(1)</script>"), "{shown}");
    }

    #[test]
    fn what_does_not_parse_is_shown_raw() {
        let xml = b"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>";
        assert_eq!(pretty(xml).unwrap(), String::from_utf8_lossy(xml));
        assert_eq!(pretty(b"\xff\xfe<a/>"), None);
    }
}
