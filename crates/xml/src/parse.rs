//! Secure parsing: input checks around `roxmltree`, which does the actual XML work.

use std::borrow::Cow;
use std::collections::HashSet;

use memchr::memmem;
use roxmltree::{Namespace, NodeType};

use crate::{Document, Error};

/// Resource limits enforced by [`parse_with`].
///
/// The defaults suit e-invoices with embedded attachments while bounding memory: roughly
/// 100 bytes of tree per node on top of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, BOM and XML declaration included.
    pub max_bytes: usize,
    /// Deepest accepted element nesting (the document element is at depth 1). libxml2 uses
    /// 256 unless told `XML_PARSE_HUGE`.
    pub max_depth: usize,
    /// Largest accepted number of nodes (elements, text runs, comments, PIs).
    pub max_nodes: u32,
    /// Largest accepted number of `xmlns` occurrences in the input (an upper bound on
    /// namespace declarations). roxmltree copies the bindings in scope onto every element
    /// that declares one, so memory grows with the square of this number.
    pub max_namespace_declarations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 32 * 1024 * 1024,
            max_depth: 256,
            max_nodes: 2_000_000,
            max_namespace_declarations: 1_000,
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses `input` with the default [`Limits`].
pub fn parse(input: &[u8]) -> Result<Document<'_>, Error> {
    parse_with(input, &Limits::default())
}

/// Parses `input` as namespace-aware XML 1.0 in UTF-8, refusing anything this crate does not
/// handle exactly (see the crate documentation).
pub fn parse_with<'input>(input: &'input [u8], limits: &Limits) -> Result<Document<'input>, Error> {
    if input.is_empty() {
        return Err(Error::Empty);
    }
    if input.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            size: input.len(),
            max: limits.max_bytes,
        });
    }
    if memmem::find_iter(input, b"xmlns")
        .nth(limits.max_namespace_declarations)
        .is_some()
    {
        return Err(Error::TooManyNamespaces {
            max: limits.max_namespace_declarations,
        });
    }
    if input.starts_with(b"\xFE\xFF") || input.starts_with(b"\xFF\xFE") {
        return Err(Error::UnsupportedEncoding("UTF-16".into()));
    }
    if let Some(offset) = lone_carriage_return(input) {
        return Err(Error::LoneCarriageReturn { offset });
    }
    let text = std::str::from_utf8(input).map_err(|e| Error::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    let mut body_start = if input.starts_with(BOM) { BOM.len() } else { 0 };
    if let Some(decl_len) = xml_declaration(&text[body_start..])? {
        // roxmltree only recognises `<?xml ` followed by a space; handling the declaration
        // here means `<?xml\tversion=...` is not mistaken for a processing instruction.
        body_start += decl_len;
    }
    let body = &text[body_start..];
    if body.starts_with('\u{FEFF}') || xml_declaration(body)?.is_some() {
        // roxmltree would silently skip a BOM or a declaration at the start of what we hand
        // it; either one here is a second one.
        return Err(Error::NotXml(
            "byte-order mark or XML declaration not at the start".into(),
        ));
    }

    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        entity_resolver: None,
    };
    let tree =
        roxmltree::Document::parse_with_options(body, options).map_err(|e| map_error(e, limits))?;

    check_tree(&tree, limits)?;
    Ok(Document {
        tree,
        input,
        body_start,
    })
}

fn map_error(e: roxmltree::Error, limits: &Limits) -> Error {
    use roxmltree::Error as R;
    match e {
        R::DtdDetected => Error::Dtd,
        R::UnknownEntityReference(name, _) => Error::Entity(Some(name)),
        R::MalformedEntityReference(_) | R::EntityReferenceLoop(_) => Error::Entity(None),
        R::NodesLimitReached => Error::TooManyNodes {
            max: limits.max_nodes,
        },
        R::UnexpectedDeclaration(pos) => Error::NotXml(format!(
            "an XML declaration is only allowed at the very start (at {pos})"
        )),
        other => Error::NotXml(other.to_string()),
    }
}

/// Depth limit and the checks roxmltree leaves out.
fn check_tree(tree: &roxmltree::Document<'_>, limits: &Limits) -> Result<(), Error> {
    let src = tree.input_text();
    // Depth of every node, indexed by node id (ids are dense and in document order, so a
    // parent's depth is always known before its children's).
    let mut depth: Vec<u32> = Vec::with_capacity(tree.descendants().len());
    // roxmltree deduplicates namespace bindings, so a binding's address identifies it and
    // each distinct binding is checked once.
    let mut checked: HashSet<*const Namespace<'_>> = HashSet::new();
    let mut ids: HashSet<&str> = HashSet::new();
    let xmlns = memmem::Finder::new(b"xmlns");
    for node in tree.descendants() {
        let d = match node.parent() {
            None => 0,
            Some(p) => depth.get(p.id().get_usize()).copied().unwrap_or(0) + 1,
        };
        if node.id().get_usize() != depth.len() {
            // Never happens with roxmltree's arena; refuse rather than mis-measure.
            return Err(Error::NotXml("unexpected node order".into()));
        }
        depth.push(d);
        match node.node_type() {
            NodeType::Element => {
                if d as usize > limits.max_depth {
                    return Err(Error::TooDeep {
                        max: limits.max_depth,
                    });
                }
                // Every element lists all the bindings in scope; only look at them where a
                // start tag declares some, so the cost stays linear in the input.
                let tag_end = node
                    .first_child()
                    .map_or(node.range().end, |c| c.range().start);
                let tag = src.get(node.range().start..tag_end).unwrap_or("");
                check_qname(crate::qualified_name(node))?;
                if xmlns.find(tag.as_bytes()).is_some() {
                    check_declarations(tag)?;
                    for ns in node.namespaces() {
                        if !checked.insert(ns as *const _) {
                            continue;
                        }
                        if ns.name().is_some() && ns.uri().is_empty() {
                            // Undeclaring a prefix is XML 1.1; roxmltree would put the
                            // element in no namespace.
                            return Err(Error::NotXml(format!(
                                "empty namespace URI for prefix {:?}",
                                ns.name().unwrap_or_default()
                            )));
                        }
                        if !is_absolute_uri(ns.uri()) {
                            return Err(Error::NamespaceUri(ns.uri().to_owned()));
                        }
                    }
                }
                check_end_tag(src, node)?;
                for a in node.attributes() {
                    check_qname(src.get(a.range_qname()).unwrap_or(""))?;
                    if a.namespace() == Some(XML_NS) && a.name() == "id" {
                        // libxml2 enforces xml:id's type even without validation.
                        if !is_ncname(a.value()) {
                            return Err(Error::NotXml("xml:id value is not an NCName".into()));
                        }
                        if !ids.insert(a.value()) {
                            return Err(Error::NotXml("duplicate xml:id value".into()));
                        }
                    }
                    if a.value().contains(char::REPLACEMENT_CHARACTER)
                        && has_invalid_char_ref(src.get(a.range_value()).unwrap_or(""))
                    {
                        return Err(invalid_char_ref());
                    }
                }
            }
            NodeType::Text => {
                if node
                    .text()
                    .unwrap_or("")
                    .contains(char::REPLACEMENT_CHARACTER)
                    && has_invalid_char_ref(src.get(node.range()).unwrap_or(""))
                {
                    return Err(invalid_char_ref());
                }
            }
            NodeType::PI => check_pi(src, node)?,
            NodeType::Root | NodeType::Comment => {}
        }
    }
    Ok(())
}

/// roxmltree takes `<:a>` and `:b="…"` (empty prefix); XML Namespaces does not.
fn check_qname(qname: &str) -> Result<(), Error> {
    let ok = match qname.split_once(':') {
        None => !qname.is_empty(),
        Some((prefix, local)) => !prefix.is_empty() && !local.is_empty() && !local.contains(':'),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::NotXml(format!("invalid qualified name {qname:?}")))
    }
}

/// Namespace declarations as written in a start tag (`tag` starts at `<`): roxmltree does
/// not report them as attributes and takes `xmlns` twice on one element.
fn check_declarations(tag: &str) -> Result<(), Error> {
    let bad = |what: &str| Err(Error::NotXml(format!("{what} in a start tag")));
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    let mut rest = tag.get(1..).unwrap_or("");
    rest = rest.trim_start_matches(|c: char| !is_space(c) && c != '/' && c != '>');
    let mut declared: Vec<&str> = Vec::new();
    loop {
        rest = rest.trim_start_matches(is_space);
        if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
            return Ok(());
        }
        let name_end = rest
            .find(|c: char| is_space(c) || c == '=')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_start_matches(is_space);
        let Some(after_eq) = rest.strip_prefix('=') else {
            return bad("attribute without a value");
        };
        rest = after_eq.trim_start_matches(is_space);
        let Some(quote) = rest.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            return bad("unquoted attribute value");
        };
        let Some(close) = rest[1..].find(quote) else {
            return bad("unterminated attribute value");
        };
        rest = &rest[close + 2..];
        if name.ends_with(":xmlns") {
            return bad("prefixed xmlns attribute");
        }
        if name == "xmlns" || name.starts_with("xmlns:") {
            if declared.contains(&name) {
                return bad("duplicate namespace declaration");
            }
            declared.push(name);
        }
        check_qname(name)?;
    }
}

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// roxmltree matches end tags by local name and resolved namespace only, so it takes
/// `<a></:a>`; libxml2 wants the same qualified name.
fn check_end_tag(src: &str, node: roxmltree::Node<'_, '_>) -> Result<(), Error> {
    let source = src.get(node.range()).unwrap_or("");
    if source.ends_with("/>") {
        return Ok(());
    }
    let start_name = source.get(1..).and_then(|s| {
        s.split(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .next()
    });
    let end_name = source
        .rfind("</")
        .and_then(|i| source.get(i + 2..source.len() - 1));
    match (start_name, end_name) {
        (Some(a), Some(b)) if a == b.trim_end_matches(|c: char| c.is_ascii_whitespace()) => Ok(()),
        _ => Err(Error::NotXml("end tag does not match the start tag".into())),
    }
}

/// roxmltree takes `<?pi&x?>` (target `pi`) and colons in targets; libxml2 does not.
fn check_pi(src: &str, node: roxmltree::Node<'_, '_>) -> Result<(), Error> {
    let Some(pi) = node.pi() else { return Ok(()) };
    if pi.target.eq_ignore_ascii_case("xml") {
        return Err(Error::NotXml(
            "processing instruction targets matching 'xml' are reserved".into(),
        ));
    }
    if pi.target.contains(':') {
        return Err(Error::NotXml(
            "colon in a processing instruction target".into(),
        ));
    }
    let after = src
        .get(node.range().start + 2 + pi.target.len()..)
        .unwrap_or("");
    if !(after.starts_with("?>") || after.starts_with([' ', '\t', '\r', '\n'])) {
        return Err(Error::NotXml(
            "processing instruction target not followed by whitespace".into(),
        ));
    }
    Ok(())
}

/// XML Namespaces `NCName`: an XML `Name` without colons. libxml2 checks `xml:id` with the
/// narrower XML 1.0 4th-edition classes, so outside ASCII this only takes alphanumerics of
/// the Basic Multilingual Plane (it may refuse a few ids libxml2 takes, never the reverse
/// for the cases tested).
fn is_ncname(s: &str) -> bool {
    let bmp_alnum = |c: char| c.is_ascii() || (c <= '\u{FFFD}' && c.is_alphanumeric());
    if !s.chars().all(bmp_alnum) {
        return false;
    }
    fn start(c: char) -> bool {
        matches!(c, 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
            | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
            | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
            | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
            | '\u{10000}'..='\u{EFFFF}')
    }
    let mut chars = s.chars();
    chars.next().is_some_and(start)
        && chars.all(|c| {
            start(c)
                || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
        })
}

fn invalid_char_ref() -> Error {
    Error::NotXml("character reference to a character not allowed in XML".into())
}

/// roxmltree turns references to non-characters (`&#x110000;`, `&#xFFFF;`…) into U+FFFD
/// instead of failing like libxml2; this finds them in the source of a node whose value has
/// a U+FFFD.
fn has_invalid_char_ref(source: &str) -> bool {
    let mut rest = source;
    while let Some(i) = rest.find("&#") {
        rest = &rest[i + 2..];
        let (digits, radix) = match rest.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (rest, 10),
        };
        let Some(end) = digits.find(';') else {
            return true;
        };
        let valid = u32::from_str_radix(&digits[..end], radix)
            .ok()
            .and_then(char::from_u32)
            .is_some_and(|c| {
                matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
            });
        if !valid {
            return true;
        }
        rest = &digits[end + 1..];
    }
    false
}

/// If `text` starts with an XML declaration, validates it and returns its length.
fn xml_declaration(text: &str) -> Result<Option<usize>, Error> {
    let b = text.as_bytes();
    if !(b.starts_with(b"<?xml") && b.get(5).is_some_and(|c| is_space(*c))) {
        return Ok(None);
    }
    let bad = |what: &str| Error::NotXml(format!("malformed XML declaration: {what}"));
    let end = text.find("?>").ok_or_else(|| bad("missing '?>'"))?;
    let mut rest = &text[5..end];
    let mut seen: Vec<&str> = Vec::new();
    let mut encoding: Option<&str> = None;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        if trimmed.is_empty() {
            break;
        }
        if trimmed.len() == rest.len() {
            return Err(bad("missing whitespace"));
        }
        let eq = trimmed.find('=').ok_or_else(|| bad("missing '='"))?;
        let name = trimmed[..eq].trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8));
        let after =
            trimmed[eq + 1..].trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        let quote = after.chars().next().ok_or_else(|| bad("missing value"))?;
        if quote != '"' && quote != '\'' {
            return Err(bad("unquoted value"));
        }
        let close = after[1..]
            .find(quote)
            .ok_or_else(|| bad("unterminated value"))?;
        let value = &after[1..1 + close];
        rest = &after[1 + close + 1..];
        let expected = match seen.len() {
            0 => &["version"][..],
            _ if seen.contains(&"standalone") => &[][..],
            _ if seen.contains(&"encoding") => &["standalone"][..],
            _ => &["encoding", "standalone"][..],
        };
        if !expected.contains(&name) {
            return Err(bad("unexpected or misplaced pseudo-attribute"));
        }
        match name {
            "version" if value != "1.0" => {
                return Err(Error::NotXml(format!(
                    "unsupported XML version {value:?}: only 1.0 is accepted"
                )))
            }
            "encoding" => encoding = Some(value),
            "standalone" if value != "yes" && value != "no" => return Err(bad("standalone")),
            _ => {}
        }
        seen.push(name);
    }
    if seen.is_empty() {
        return Err(bad("missing version"));
    }
    if let Some(enc) = encoding {
        if enc.eq_ignore_ascii_case("UTF-8") {
            // The bytes were already checked.
        } else if enc.eq_ignore_ascii_case("US-ASCII") || enc.eq_ignore_ascii_case("ASCII") {
            if !text.is_ascii() {
                return Err(Error::UnsupportedEncoding(format!(
                    "{enc} (declared, but the document has non-ASCII bytes)"
                )));
            }
        } else {
            return Err(Error::UnsupportedEncoding(enc.to_owned()));
        }
    }
    Ok(Some(end + 2))
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Whether a namespace URI is one canonicalization accepts: empty (`xmlns=""`) or an absolute
/// URI. Canonical XML requires failing on relative namespace URIs, and libxml2 (hence
/// xmlsec1) refuses those as well as syntactically invalid ones (spaces, non-ASCII, bad
/// `%` escapes); refusing them at parse time means we never sign what nobody can verify.
/// `&` is refused too although valid: libxml2 writes namespace values unescaped (`a:&`)
/// where the specification and other implementations escape them (`a:&amp;`), so no
/// canonical form would verify everywhere.
pub(crate) fn is_absolute_uri(uri: &str) -> bool {
    if uri.is_empty() {
        return true;
    }
    // RFC 3986 `absolute-URI [ "#" fragment ]`, minus IP-literal hosts.
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let path_and_query = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            let authority = &after[..end];
            let host_port = match authority.rsplit_once('@') {
                Some((userinfo, hp)) => {
                    if !all_uri_chars(userinfo, b":") {
                        return false;
                    }
                    hp
                }
                None => authority,
            };
            let host = match host_port.rsplit_once(':') {
                Some((host, port)) => {
                    if port.is_empty() || !port.bytes().all(|c| c.is_ascii_digit()) {
                        return false;
                    }
                    host
                }
                None => host_port,
            };
            if !all_uri_chars(host, b"") {
                return false;
            }
            &after[end..]
        }
        None => rest,
    };
    all_uri_chars(path_and_query, b":@/?") && fragment.is_none_or(|f| all_uri_chars(f, b":@/?"))
}

/// `unreserved / pct-encoded / sub-delims` plus `extra`, without `&` (see above).
fn all_uri_chars(s: &str, extra: &[u8]) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'.' | b'_' | b'~')
            || matches!(
                c,
                b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            )
            || extra.contains(&c);
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

fn lone_carriage_return(input: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\r', input).find(|&i| input.get(i + 1) != Some(&b'\n'))
}

/// Replaces every carriage return not followed by a line feed with a line feed, as XML
/// end-of-line handling does (CR LF pairs are left for the parser). [`parse`] refuses lone
/// carriage returns because roxmltree mishandles them next to references; parse the result
/// of this function instead. The length does not change, so byte offsets (and
/// [`Insertion`](crate::Insertion)s) stay valid for the original input, and the canonical
/// form is the one the original has.
pub fn normalize_line_endings(input: &[u8]) -> Cow<'_, [u8]> {
    if lone_carriage_return(input).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = input.to_vec();
    for i in 0..out.len() {
        if out[i] == b'\r' && out.get(i + 1) != Some(&b'\n') {
            out[i] = b'\n';
        }
    }
    Cow::Owned(out)
}
