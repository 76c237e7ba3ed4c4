//! Byte-level insertion into the original document, so that everything outside the inserted
//! signature keeps its exact bytes (and therefore its digest).

use roxmltree::Node;

use crate::{qualified_name, Document, Error};

/// One edit of the original input: replace `replaced` bytes at `offset` with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// Offset in the original input bytes (BOM and XML declaration included).
    pub offset: usize,
    /// Number of original bytes replaced: 0 for `<a>…</a>`, 2 (the `/>`) for `<a/>`.
    pub replaced: usize,
    /// What goes there.
    pub text: String,
}

impl Insertion {
    /// Applies the edit to `input`, which must be the input the plan was made from; offsets
    /// out of range are clamped rather than panicking.
    pub fn apply(&self, input: &[u8]) -> Vec<u8> {
        let start = self.offset.min(input.len());
        let end = self.offset.saturating_add(self.replaced).min(input.len());
        let mut out = Vec::with_capacity(input.len() + self.text.len());
        out.extend_from_slice(&input[..start]);
        out.extend_from_slice(self.text.as_bytes());
        out.extend_from_slice(&input[end..]);
        out
    }
}

/// Plans putting `content` at the end of `element`'s content: just before `</a>` of
/// `<a>…</a>`, or turning `<a/>` into `<a>` + content + `</a>` (qualified name as written).
/// Attributes, whitespace inside tags and every other byte stay as they are.
pub fn plan_insertion_at_end_of_element(
    doc: &Document<'_>,
    element: Node<'_, '_>,
    content: &str,
) -> Result<Insertion, Error> {
    if !std::ptr::eq(element.document(), doc.tree()) {
        return Err(Error::InvalidTarget(
            "the element belongs to another document",
        ));
    }
    if !element.is_element() {
        return Err(Error::InvalidTarget("not an element"));
    }
    let body = doc.tree().input_text();
    let range = element.range();
    let source = body
        .get(range.clone())
        .ok_or(Error::InvalidTarget("element range outside the source"))?;
    let base = doc.body_start + range.start;
    if source.ends_with("/>") {
        // `/` cannot end a non-empty element (`</name S?>`), so this is `<a …/>`.
        let qname = qualified_name(element);
        let mut text = String::with_capacity(content.len() + qname.len() + 4);
        text.push('>');
        text.push_str(content);
        text.push_str("</");
        text.push_str(qname);
        text.push('>');
        Ok(Insertion {
            offset: base + source.len() - 2,
            replaced: 2,
            text,
        })
    } else {
        // Attribute values cannot hold `<`, and the end tag holds none after its own.
        let end_tag = source
            .rfind("</")
            .ok_or(Error::InvalidTarget("element without an end tag"))?;
        Ok(Insertion {
            offset: base + end_tag,
            replaced: 0,
            text: content.to_owned(),
        })
    }
}

/// The original input with `content` inserted at the end of `element`'s content (see
/// [`plan_insertion_at_end_of_element`]).
pub fn insert_at_end_of_element(
    doc: &Document<'_>,
    element: Node<'_, '_>,
    content: &str,
) -> Result<Vec<u8>, Error> {
    Ok(plan_insertion_at_end_of_element(doc, element, content)?.apply(doc.input()))
}
