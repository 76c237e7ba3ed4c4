//! The signature update (PDF 32000-1 §12.7, §12.8; ETSI EN 319 142-1): a signature dictionary
//! with a reserved `/Contents`, a signature field merged with its widget on the first page, the
//! updated page and form, and a cross-reference section of the same kind as the file's newest.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::time::SystemTime;

use crate::content::{find_text, SEARCH_BUDGET};
use crate::date::pdf_date;
use crate::document::{Document, Page};
use crate::object::{text_string, write_name, write_string, Dict, ObjRef, Object};
use crate::visible::{
    appearance, real, visible, win_ansi, Appearance, Placement, VisibleSignature,
};
use crate::{Error, Result};

/// Room reserved for the DER CMS when the caller has no better estimate.
pub const DEFAULT_CONTENTS_CAPACITY: usize = 16 * 1024;
/// Upper bound on [`SignatureFieldOptions::contents_capacity`]; no real CMS comes near it.
pub const MAX_CONTENTS_CAPACITY: usize = 16 * 1024 * 1024;

/// `/ByteRange` is written before the file length is known, so it gets a fixed-width slot:
/// `0` and three u64 values (at most 20 digits each) with their separators.
const BYTE_RANGE_SLOT: usize = 1 + 3 * 21;

/// Widget flags: Print (3) and Locked (8), the usual pair for a signature widget.
const WIDGET_FLAGS: i64 = 4 | 128;
/// Annotation flags that would hide a widget: Invisible (1), Hidden (2), NoView (6).
const HIDING_FLAGS: i64 = 1 | 2 | 32;

/// What goes into the signature dictionary.
#[derive(Clone, Debug)]
pub struct SignatureFieldOptions {
    /// Bytes reserved for the DER CMS; the placeholder is twice as many hex digits.
    pub contents_capacity: usize,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// Written as `/M`, in UTC.
    pub signing_time: SystemTime,
    /// `/SubFilter`, e.g. `ETSI.CAdES.detached` for PAdES.
    pub sub_filter: String,
    /// `None`: an invisible field (zero rectangle) on the first page.
    pub visible: Option<VisibleSignature>,
}

impl Default for SignatureFieldOptions {
    /// PAdES (`ETSI.CAdES.detached`), [`DEFAULT_CONTENTS_CAPACITY`], signed now.
    fn default() -> Self {
        SignatureFieldOptions {
            contents_capacity: DEFAULT_CONTENTS_CAPACITY,
            reason: None,
            location: None,
            signing_time: SystemTime::now(),
            sub_filter: "ETSI.CAdES.detached".into(),
            visible: None,
        }
    }
}

/// An incremental update that is ready to be hashed and, once the CMS exists, completed.
///
/// It holds only the appended bytes: the original is passed back in by the caller wherever it is
/// needed, so a large document is never copied.
#[derive(Clone)]
pub struct PreparedPdf {
    original_len: usize,
    tail: Vec<u8>,
    byte_range: [u64; 4],
    /// The hex digits of `/Contents` within `tail` (the angle brackets are just outside).
    contents: Range<usize>,
    capacity: usize,
    field_name: String,
    signature: ObjRef,
}

impl fmt::Debug for PreparedPdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedPdf")
            .field("original_len", &self.original_len)
            .field("tail_len", &self.tail.len())
            .field("byte_range", &self.byte_range)
            .field("capacity", &self.capacity)
            .field("field_name", &self.field_name)
            .field("signature", &self.signature)
            .finish()
    }
}

impl PreparedPdf {
    /// `[0, a, b, c]`: bytes `0..a` and `b..b+c` of the signed file are signed; `a..b` is the
    /// `/Contents` hex string including its angle brackets.
    pub fn byte_range(&self) -> [u64; 4] {
        self.byte_range
    }

    /// The bytes covered by `/ByteRange`, in order, borrowing the original and the tail, for
    /// hashing without copying.
    ///
    /// # Panics
    /// If `original` is not as long as the document that was prepared (a caller bug).
    pub fn signed_parts<'a>(&'a self, original: &'a [u8]) -> [&'a [u8]; 3] {
        assert_eq!(
            original.len(),
            self.original_len,
            "signed_parts needs the document that was prepared"
        );
        let before = self.tail.get(..self.contents.start - 1).unwrap_or_default();
        let after = self.tail.get(self.contents.end + 1..).unwrap_or_default();
        [original, before, after]
    }

    /// Writes the DER CMS into `/Contents` as hex, zero padded. May be called again (e.g. with a
    /// timestamped CMS); the previous value is overwritten completely.
    pub fn embed_signature(&mut self, cms_der: &[u8]) -> Result<()> {
        if cms_der.len() > self.capacity {
            return Err(Error::SignatureTooLarge {
                needed: cms_der.len(),
                capacity: self.capacity,
            });
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let hex = self
            .tail
            .get_mut(self.contents.clone())
            .ok_or_else(|| Error::Corrupt("contents placeholder out of range".into()))?;
        for (i, pair) in hex.chunks_mut(2).enumerate() {
            let b = cms_der.get(i).copied().unwrap_or(0);
            if let [hi, lo] = pair {
                *hi = HEX[usize::from(b >> 4)];
                *lo = HEX[usize::from(b & 0x0f)];
            }
        }
        Ok(())
    }

    /// The appended incremental update.
    pub fn tail(&self) -> &[u8] {
        &self.tail
    }

    /// Writes the signed file: the original followed by the update.
    pub fn write_to(&self, original: &[u8], mut w: impl Write) -> std::io::Result<()> {
        w.write_all(original)?;
        w.write_all(&self.tail)
    }

    /// Length of the signed file.
    pub fn len(&self) -> u64 {
        (self.original_len + self.tail.len()) as u64
    }

    /// Never true: a signed file has at least the original's header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Bytes reserved for the DER CMS.
    pub fn contents_capacity(&self) -> usize {
        self.capacity
    }

    /// Absolute range of the `/Contents` hex string, angle brackets included (the gap in
    /// `/ByteRange`).
    pub fn contents_range(&self) -> Range<u64> {
        self.byte_range[1]..self.byte_range[2]
    }

    /// The partial name (`/T`) given to the new signature field, e.g. `Signature2`.
    pub fn field_name(&self) -> &str {
        &self.field_name
    }

    /// The new signature dictionary's reference.
    pub fn signature_reference(&self) -> ObjRef {
        self.signature
    }
}

/// Objects rewritten or added by the update, keyed by object number so that two edits of one
/// object (a page that is also its own annotation array, in a hostile file) compose.
struct Edits<'d, 'a> {
    doc: &'d Document<'a>,
    objects: BTreeMap<u32, (u16, Object)>,
}

impl Edits<'_, '_> {
    fn load(&self, r: ObjRef) -> Result<Object> {
        match self.objects.get(&r.num) {
            Some((_, obj)) => Ok(obj.clone()),
            None => self.doc.get(r),
        }
    }

    /// Follows a reference through the edits, so an array rewritten earlier is seen as such.
    fn load_resolved(&self, obj: &Object) -> Result<Object> {
        match obj {
            Object::Ref(r) => match self.objects.get(&r.num) {
                Some((_, o)) => Ok(o.clone()),
                None => self.doc.resolve(obj),
            },
            other => Ok(other.clone()),
        }
    }

    fn load_dict(&self, r: ObjRef, what: &str) -> Result<Dict> {
        match self.load(r)? {
            Object::Dict(d) => Ok(d),
            _ => Err(Error::Corrupt(format!("{what} is not a dictionary"))),
        }
    }

    /// Rewrites an existing object under the generation its newest revision has.
    fn store(&mut self, r: ObjRef, obj: Object) -> Result<()> {
        let gen = match self.objects.get(&r.num) {
            Some((gen, _)) => *gen,
            None => self.doc.generation(r.num)?,
        };
        self.objects.insert(r.num, (gen, obj));
        Ok(())
    }

    fn add(&mut self, num: u32, obj: Object) {
        self.objects.insert(num, (0, obj));
    }

    /// Appends `item` to the array that `holder[key]` is or refers to. An indirect array is
    /// rewritten in place (the holder stays untouched); a missing or broken one becomes a direct
    /// array. Returns whether the holder itself changed.
    fn append_to_array(&mut self, holder: &mut Dict, key: &[u8], item: ObjRef) -> Result<bool> {
        let item_obj = Object::Ref(item);
        match holder.get(key) {
            Some(Object::Ref(r)) => {
                let r = *r;
                if let Object::Array(mut items) = self.load(r)? {
                    if !items.contains(&item_obj) {
                        items.push(item_obj);
                    }
                    self.store(r, Object::Array(items))?;
                    return Ok(false);
                }
                holder.set(key, Object::Array(vec![item_obj]));
            }
            Some(Object::Array(items)) => {
                let mut items = items.clone();
                if !items.contains(&item_obj) {
                    items.push(item_obj);
                }
                holder.set(key, Object::Array(items));
            }
            _ => holder.set(key, Object::Array(vec![item_obj])),
        }
        Ok(true)
    }
}

/// Where the interactive form dictionary lives.
enum Form {
    Inline(Dict),
    Indirect(ObjRef, Dict),
    Absent,
}

/// Hands out the numbers of new objects, from the first unused one up.
struct Numbers(u32);

impl Numbers {
    fn take(&mut self) -> ObjRef {
        let r = ObjRef::new(self.0, 0);
        self.0 += 1;
        r
    }
}

/// Where the signature goes.
enum Target {
    /// A new field merged with its widget, on `page`.
    New { page: ObjRef, rect: [f64; 4] },
    /// An existing empty signature field; `widget` is `field` when the two are merged.
    Existing {
        field: ObjRef,
        widget: ObjRef,
        page: ObjRef,
        rect: [f64; 4],
        name: String,
    },
}

/// Builds the incremental update that adds a signature field to `original` (or fills an
/// existing one, see [`Placement::SignField`]).
///
/// Reads only the cross-reference chain, the catalog, the page tree down to the page the
/// signature goes on (and, for a placeholder, the content of the pages before it), and the
/// form's fields; the original is neither copied nor modified. Visible-signature problems (page
/// out of range, area outside the page, field or placeholder not found, image too large or
/// unreadable) are [`Error::VisibleSignature`], found before anything is written.
pub fn prepare_signature(original: &[u8], opts: &SignatureFieldOptions) -> Result<PreparedPdf> {
    let capacity = opts.contents_capacity;
    if capacity == 0 || capacity > MAX_CONTENTS_CAPACITY {
        return Err(Error::InvalidOptions(format!(
            "contents_capacity must be between 1 and {MAX_CONTENTS_CAPACITY}"
        )));
    }
    if opts.sub_filter.is_empty() {
        return Err(Error::InvalidOptions("sub_filter is empty".into()));
    }
    let date = pdf_date(opts.signing_time)?;
    if let Some(v) = &opts.visible {
        v.check()?;
    }

    let doc = Document::open(original)?;
    let (root, catalog) = doc.catalog()?;
    refuse_if_certified_unchangeable(&doc, &catalog)?;

    // At most eight new objects are needed (signature, field, form, appearance, font, image,
    // soft mask, cross-reference stream); `next_object_number` leaves headroom below the limit.
    let mut numbers = Numbers(doc.next_object_number()?);
    let signature = numbers.take();

    let mut edits = Edits {
        doc: &doc,
        objects: BTreeMap::new(),
    };

    let mut catalog = edits.load_dict(root, "catalog")?;
    let form = match catalog.get(b"AcroForm") {
        Some(Object::Dict(d)) => Form::Inline(d.clone()),
        Some(Object::Ref(r)) => match edits.load(*r)? {
            Object::Dict(d) => Form::Indirect(*r, d),
            _ => Form::Absent,
        },
        _ => Form::Absent,
    };
    let form_dict = match &form {
        Form::Inline(d) | Form::Indirect(_, d) => Some(d),
        Form::Absent => None,
    };

    let target = match &opts.visible {
        None => Target::New {
            page: doc.first_page(&catalog)?.0,
            rect: [0.0; 4],
        },
        Some(v) => locate(&doc, &catalog, form_dict, v)?,
    };
    let (rect, page) = match &target {
        Target::New { rect, page } | Target::Existing { rect, page, .. } => (*rect, *page),
    };
    let field = match &target {
        Target::New { .. } => numbers.take(),
        Target::Existing { field, .. } => *field,
    };
    let appearance: Option<Appearance> = opts
        .visible
        .as_ref()
        .map(|v| appearance(v, rect[2] - rect[0], rect[3] - rect[1], || numbers.take()))
        .transpose()?;
    let mut ap = Dict::new();
    if let Some(a) = &appearance {
        ap.set(b"N", Object::Ref(a.form));
        for (r, obj) in &a.objects {
            edits.add(r.num, obj.clone());
        }
    }

    let field_name = match &target {
        Target::New { .. } => {
            let mut page_dict = edits.load_dict(page, "page")?;
            if edits.append_to_array(&mut page_dict, b"Annots", field)? {
                edits.store(page, Object::Dict(page_dict))?;
            }
            let field_name = unique_field_name(&doc, form_dict);
            let mut field_dict = Dict::new();
            field_dict.set(b"Type", Object::name("Annot"));
            field_dict.set(b"Subtype", Object::name("Widget"));
            field_dict.set(b"FT", Object::name("Sig"));
            field_dict.set(b"T", Object::String(field_name.clone().into_bytes()));
            field_dict.set(b"V", Object::Ref(signature));
            field_dict.set(b"F", Object::Int(WIDGET_FLAGS));
            field_dict.set(
                b"Rect",
                Object::Array(rect.iter().map(|&v| real(v)).collect()),
            );
            field_dict.set(b"P", Object::Ref(page));
            if appearance.is_some() {
                field_dict.set(b"AP", Object::Dict(ap));
            }
            edits.add(field.num, Object::Dict(field_dict));
            field_name
        }
        Target::Existing {
            field,
            widget,
            page,
            name,
            ..
        } => {
            let mut widget_dict = edits.load_dict(*widget, "signature widget")?;
            widget_dict.set(b"AP", Object::Dict(ap));
            let flags = widget_dict.get(b"F").and_then(Object::as_int).unwrap_or(0);
            widget_dict.set(b"F", Object::Int(flags & !HIDING_FLAGS | 4));
            widget_dict.set(b"P", Object::Ref(*page));
            if widget == field {
                widget_dict.set(b"V", Object::Ref(signature));
                edits.store(*field, Object::Dict(widget_dict))?;
            } else {
                edits.store(*widget, Object::Dict(widget_dict))?;
                let mut field_dict = edits.load_dict(*field, "signature field")?;
                field_dict.set(b"V", Object::Ref(signature));
                edits.store(*field, Object::Dict(field_dict))?;
            }
            // A widget must be in its page's /Annots to be shown; most already are.
            let mut page_dict = edits.load_dict(*page, "page")?;
            let listed = page_dict
                .get(b"Annots")
                .and_then(|a| edits.load_resolved(a).ok())
                .and_then(|a| a.as_array().map(|a| a.contains(&Object::Ref(*widget))))
                .unwrap_or(false);
            if !listed && edits.append_to_array(&mut page_dict, b"Annots", *widget)? {
                edits.store(*page, Object::Dict(page_dict))?;
            }
            name.clone()
        }
    };
    let new_field = matches!(target, Target::New { .. });

    // SigFlags 3 = SignaturesExist | AppendOnly (§12.7.2), telling editors to save
    // incrementally so the signature survives.
    match form {
        Form::Inline(mut form) => {
            if new_field {
                edits.append_to_array(&mut form, b"Fields", field)?;
            }
            form.set(b"SigFlags", Object::Int(3));
            catalog.set(b"AcroForm", Object::Dict(form));
            edits.store(root, Object::Dict(catalog))?;
        }
        Form::Indirect(r, mut form) => {
            if new_field {
                edits.append_to_array(&mut form, b"Fields", field)?;
            }
            form.set(b"SigFlags", Object::Int(3));
            edits.store(r, Object::Dict(form))?;
        }
        Form::Absent => {
            let form_ref = numbers.take();
            let mut form = Dict::new();
            form.set(b"Fields", Object::Array(vec![Object::Ref(field)]));
            form.set(b"SigFlags", Object::Int(3));
            edits.add(form_ref.num, Object::Dict(form));
            catalog.set(b"AcroForm", Object::Ref(form_ref));
            edits.store(root, Object::Dict(catalog))?;
        }
    }

    let next = numbers.0;
    let mut writer = TailWriter::new(original, doc.base(), capacity);
    let (contents, byte_range_slot) = writer.signature_dictionary(signature, opts, &date)?;
    for (num, (gen, obj)) in &edits.objects {
        writer.object(ObjRef::new(*num, *gen), obj)?;
    }
    for (r, dict, data) in appearance.iter().flat_map(|a| &a.streams) {
        writer.stream(*r, dict, data)?;
    }
    let size = writer.max_object().max(next - 1) + 1;
    let mut trailer = Dict::new();
    trailer.set(b"Size", Object::Int(i64::from(size)));
    trailer.set(b"Root", Object::Ref(root));
    for key in [&b"Info"[..], b"ID"] {
        if let Some(v) = doc.trailer().get(key) {
            trailer.set(key, v.clone());
        }
    }
    trailer.set(
        b"Prev",
        Object::Int(i64::try_from(doc.startxref()).unwrap_or(i64::MAX)),
    );
    if doc.newest_is_xref_stream() {
        writer.xref_stream(next, trailer)?;
    } else {
        writer.xref_table(trailer)?;
    }
    let mut tail = writer.tail;

    let original_len = original.len();
    let total = (original_len + tail.len()) as u64;
    let gap_start = (original_len + contents.start - 1) as u64;
    let gap_end = (original_len + contents.end + 1) as u64;
    let byte_range = [0, gap_start, gap_end, total - gap_end];
    let text = format!("0 {gap_start} {gap_end} {}", total - gap_end);
    let slot = tail
        .get_mut(byte_range_slot..byte_range_slot + BYTE_RANGE_SLOT)
        .ok_or_else(|| Error::Corrupt("byte range slot out of range".into()))?;
    slot.get_mut(..text.len())
        .ok_or_else(|| Error::Unsupported("byte range does not fit".into()))?
        .copy_from_slice(text.as_bytes());

    Ok(PreparedPdf {
        original_len,
        tail,
        byte_range,
        contents,
        capacity,
        field_name,
        signature,
    })
}

/// A rectangle (§7.9.5), normalised so the first corner is the lower-left one.
fn rectangle(doc: &Document<'_>, obj: Option<&Object>) -> Option<[f64; 4]> {
    let array = doc.resolve(obj?).ok()?;
    let values: Vec<f64> = array
        .as_array()?
        .iter()
        .map(|v| match doc.resolve(v).ok()? {
            Object::Int(i) => Some(i as f64),
            Object::Real(r) => Some(r),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let [a, b, c, d] = <[f64; 4]>::try_from(values).ok()?;
    Some([a.min(c), b.min(d), a.max(c), b.max(d)])
}

/// What a page shows: its CropBox clipped to its MediaBox (§14.11.2); US Letter when a broken
/// file gives neither.
fn visible_region(doc: &Document<'_>, page: &Page) -> [f64; 4] {
    let media = rectangle(doc, page.media_box.as_ref()).unwrap_or([0.0, 0.0, 612.0, 792.0]);
    match rectangle(doc, page.crop_box.as_ref()) {
        Some(c) => {
            let r = [
                c[0].max(media[0]),
                c[1].max(media[1]),
                c[2].min(media[2]),
                c[3].min(media[3]),
            ];
            if r[0] < r[2] && r[1] < r[3] {
                r
            } else {
                media
            }
        }
        None => media,
    }
}

fn fmt_pt(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    format!("{}", if r == 0.0 { 0.0 } else { r })
}

/// Whether `rect` lies inside `region` (both `[x0, y0, x1, y1]`).
fn inside(region: [f64; 4], rect: [f64; 4]) -> bool {
    const SLACK: f64 = 1e-6;
    rect[0] >= region[0] - SLACK
        && rect[1] >= region[1] - SLACK
        && rect[2] <= region[2] + SLACK
        && rect[3] <= region[3] + SLACK
}

/// The area `[x, y, x + w, y + h]` (absolute user space), refused unless inside `region`.
fn fit(region: [f64; 4], x: f64, y: f64, v: &VisibleSignature, page: usize) -> Result<[f64; 4]> {
    let rect = [x, y, x + v.width, y + v.height];
    if inside(region, rect) {
        return Ok(rect);
    }
    Err(visible(format!(
        "the signature area of {} × {} points at x={}, y={} is not inside page {page}, which is {} × {} points",
        fmt_pt(v.width),
        fmt_pt(v.height),
        fmt_pt(x - region[0]),
        fmt_pt(y - region[1]),
        fmt_pt(region[2] - region[0]),
        fmt_pt(region[3] - region[1]),
    )))
}

/// Finds the page and rectangle of a visible signature, or the existing field it goes into.
fn locate(
    doc: &Document<'_>,
    catalog: &Dict,
    form: Option<&Dict>,
    v: &VisibleSignature,
) -> Result<Target> {
    match &v.placement {
        Placement::Coordinate { page, x, y } => {
            let mut found = None;
            let count = doc.visit_pages(catalog, |p| {
                if p.number == *page {
                    found = Some(p.clone());
                }
                Ok(found.is_some())
            })?;
            let p = found.ok_or_else(|| {
                visible(format!(
                    "page {page} does not exist: the document has {count} page{}",
                    if count == 1 { "" } else { "s" }
                ))
            })?;
            let region = visible_region(doc, &p);
            let rect = fit(region, region[0] + x, region[1] + y, v, *page)?;
            Ok(Target::New {
                page: p.reference,
                rect,
            })
        }
        Placement::Placeholder(word) => {
            let needle: Option<Vec<u8>> = word.chars().map(win_ansi).collect();
            let not_found = || {
                visible(format!(
                    "the placeholder `{word}` was not found in the document's text"
                ))
            };
            let needle = needle.ok_or_else(not_found)?;
            let mut found = None;
            let mut budget = SEARCH_BUDGET;
            doc.visit_pages(catalog, |p| {
                if let Some(at) = find_text(doc, p, &needle, &mut budget) {
                    found = Some((p.clone(), at));
                }
                Ok(found.is_some())
            })?;
            let (p, at) = found.ok_or_else(not_found)?;
            // The area hangs from the word's upper-left corner: it covers the word and what
            // follows it and lies below, never the lines above.
            let rect = [at.x, at.top - v.height, at.x + v.width, at.top];
            let region = visible_region(doc, &p);
            if !inside(region, rect) {
                return Err(visible(format!(
                    "the signature area of {} × {} points, its upper-left corner at the placeholder `{word}` (x={}, y={}), would leave page {}, which is {} × {} points",
                    fmt_pt(v.width),
                    fmt_pt(v.height),
                    fmt_pt(at.x - region[0]),
                    fmt_pt(at.top - region[1]),
                    p.number,
                    fmt_pt(region[2] - region[0]),
                    fmt_pt(region[3] - region[1]),
                )));
            }
            Ok(Target::New {
                page: p.reference,
                rect,
            })
        }
        Placement::SignField(name) => existing_field(doc, catalog, form, name),
    }
}

/// A text string (§7.9.2.2) as Rust text: UTF-16BE with a byte order mark, else
/// PDFDocEncoding, read as Latin-1 (the two differ only in rarely used characters).
fn text_of(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xfe, 0xff]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The existing, empty signature field `name` (fully qualified, or else the first field with
/// that partial name), its widget and where it is.
fn existing_field(
    doc: &Document<'_>,
    catalog: &Dict,
    form: Option<&Dict>,
    name: &str,
) -> Result<Target> {
    const MAX_FIELDS: usize = 10_000;
    const MAX_DEPTH: usize = 32;
    let fields = form
        .and_then(|f| f.get(b"Fields"))
        .and_then(|f| doc.resolve(f).ok())
        .unwrap_or(Object::Null);
    // (field, its dictionary, fully qualified name, inherited /FT, depth)
    let mut stack: Vec<(ObjRef, String, Option<Vec<u8>>, usize)> = fields
        .as_array()
        .unwrap_or_default()
        .iter()
        .rev()
        .filter_map(Object::as_reference)
        .map(|r| (r, String::new(), None, 0))
        .collect();
    let mut seen = HashSet::new();
    let mut by_partial_name = None;
    let mut exact = None;
    while let Some((r, parent, inherited_ft, depth)) = stack.pop() {
        if !seen.insert(r.num) || seen.len() > MAX_FIELDS {
            continue;
        }
        let Ok(Object::Dict(dict)) = doc.get(r) else {
            continue;
        };
        let partial = dict.get(b"T").and_then(Object::as_string).map(text_of);
        let qualified = match (&partial, parent.is_empty()) {
            (Some(t), true) => t.clone(),
            (Some(t), false) => format!("{parent}.{t}"),
            (None, _) => parent.clone(),
        };
        let ft = dict
            .get(b"FT")
            .and_then(Object::as_name)
            .map(<[u8]>::to_vec)
            .or(inherited_ft);
        if partial.is_some() && qualified == name {
            exact = Some((r, dict, qualified, ft));
            break;
        }
        if partial.as_deref() == Some(name) && by_partial_name.is_none() {
            by_partial_name = Some((r, dict.clone(), qualified.clone(), ft.clone()));
        }
        if depth < MAX_DEPTH {
            let kids = dict
                .get(b"Kids")
                .and_then(|k| doc.resolve(k).ok())
                .unwrap_or(Object::Null);
            for kid in kids.as_array().unwrap_or_default().iter().rev() {
                if let Some(k) = kid.as_reference() {
                    stack.push((k, qualified.clone(), ft.clone(), depth + 1));
                }
            }
        }
    }
    let Some((field, dict, qualified, ft)) = exact.or(by_partial_name) else {
        return Err(visible(format!(
            "the document has no signature field named `{name}`"
        )));
    };
    if ft.as_deref() != Some(b"Sig") {
        return Err(visible(format!(
            "the field `{qualified}` is not a signature field"
        )));
    }
    if dict.get(b"V").is_some_and(|v| *v != Object::Null) {
        return Err(visible(format!(
            "the signature field `{qualified}` is already signed"
        )));
    }
    // A field with kids that have no /T of their own has separate widgets; take the first.
    let widget = match dict.get(b"Kids").and_then(|k| doc.resolve(k).ok()) {
        Some(Object::Array(kids)) if !kids.is_empty() => kids
            .iter()
            .filter_map(Object::as_reference)
            .find(|k| matches!(doc.get(*k), Ok(Object::Dict(d)) if d.get(b"T").is_none()))
            .ok_or_else(|| {
                visible(format!(
                    "the signature field `{qualified}` has no widget to show it"
                ))
            })?,
        _ => field,
    };
    let widget_dict = match doc.get(widget)? {
        Object::Dict(d) => d,
        _ => {
            return Err(Error::Corrupt(
                "signature widget is not a dictionary".into(),
            ))
        }
    };
    let rect = rectangle(doc, widget_dict.get(b"Rect"))
        .filter(|r| r[2] - r[0] >= 1.0 && r[3] - r[1] >= 1.0)
        .ok_or_else(|| {
            visible(format!(
                "the signature field `{qualified}` has no area on the page (its /Rect is empty), so it cannot show a signature"
            ))
        })?;
    let page = match widget_dict.get(b"P").and_then(Object::as_reference) {
        Some(p) => p,
        None => {
            // No /P: the page whose /Annots lists the widget, else the first page.
            let mut found = None;
            doc.visit_pages(catalog, |p| {
                let listed = p
                    .dict
                    .get(b"Annots")
                    .and_then(|a| doc.resolve(a).ok())
                    .and_then(|a| a.as_array().map(|a| a.contains(&Object::Ref(widget))))
                    .unwrap_or(false);
                if listed {
                    found = Some(p.reference);
                }
                Ok(listed)
            })?;
            match found {
                Some(p) => p,
                None => doc.first_page(catalog)?.0,
            }
        }
    };
    Ok(Target::Existing {
        field,
        widget,
        page,
        rect,
        name: qualified,
    })
}

/// Checking here rather than letting validators find out later: a new signature on a document
/// certified with `/P 1` would break the certification (§12.8.2.2).
fn refuse_if_certified_unchangeable(doc: &Document<'_>, catalog: &Dict) -> Result<()> {
    let dict_at = |obj: Option<&Object>| -> Result<Option<Dict>> {
        Ok(match obj {
            Some(o) => match doc.resolve(o)? {
                Object::Dict(d) => Some(d),
                _ => None,
            },
            None => None,
        })
    };
    let Some(perms) = dict_at(catalog.get(b"Perms"))? else {
        return Ok(());
    };
    let Some(certification) = dict_at(perms.get(b"DocMDP"))? else {
        return Ok(());
    };
    let references = match certification.get(b"Reference") {
        Some(r) => doc.resolve(r)?,
        None => return Ok(()),
    };
    for reference in references.as_array().unwrap_or_default() {
        let Some(reference) = dict_at(Some(reference))? else {
            continue;
        };
        if reference.get(b"TransformMethod").and_then(Object::as_name) != Some(b"DocMDP") {
            continue;
        }
        let params = dict_at(reference.get(b"TransformParams"))?;
        // /P defaults to 2 (form filling and signing allowed).
        let level = params
            .as_ref()
            .and_then(|p| p.get(b"P"))
            .and_then(Object::as_int)
            .unwrap_or(2);
        if level == 1 {
            return Err(Error::ChangesForbidden);
        }
    }
    Ok(())
}

/// `SignatureN` with the smallest N not already used as a field's partial name (top-level
/// fields and their kids). Unreadable fields are skipped: at worst the name repeats one a broken
/// field had.
fn unique_field_name(doc: &Document<'_>, form: Option<&Dict>) -> String {
    const MAX_FIELDS: usize = 10_000;
    let mut names: HashSet<Vec<u8>> = HashSet::new();
    let fields = form
        .and_then(|f| f.get(b"Fields"))
        .and_then(|f| doc.resolve(f).ok())
        .unwrap_or(Object::Null);
    let mut seen = 0usize;
    for f in fields.as_array().unwrap_or_default() {
        let Ok(Object::Dict(f)) = doc.resolve(f) else {
            continue;
        };
        if let Some(t) = f.get(b"T").and_then(Object::as_string) {
            names.insert(t.to_vec());
        }
        let kids = f
            .get(b"Kids")
            .and_then(|k| doc.resolve(k).ok())
            .unwrap_or(Object::Null);
        for kid in kids.as_array().unwrap_or_default() {
            seen += 1;
            if seen > MAX_FIELDS {
                break;
            }
            if let Ok(Object::Dict(kid)) = doc.resolve(kid) {
                if let Some(t) = kid.get(b"T").and_then(Object::as_string) {
                    names.insert(t.to_vec());
                }
            }
        }
        seen += 1;
        if seen > MAX_FIELDS {
            break;
        }
    }
    (1..)
        .map(|n| format!("Signature{n}"))
        .find(|n| !names.contains(n.as_bytes()))
        .unwrap_or_else(|| "Signature".into())
}

struct TailWriter<'o> {
    original: &'o [u8],
    base: usize,
    tail: Vec<u8>,
    /// (object, offset relative to the base) of every object written.
    entries: Vec<(ObjRef, u64)>,
}

impl<'o> TailWriter<'o> {
    fn new(original: &'o [u8], base: usize, capacity: usize) -> Self {
        let mut tail = Vec::with_capacity(2 * capacity + 4096);
        // An update must start on a new line or its first object header could merge with
        // `%%EOF`.
        if !matches!(original.last(), Some(b'\n' | b'\r')) {
            tail.push(b'\n');
        }
        TailWriter {
            original,
            base,
            tail,
            entries: Vec::new(),
        }
    }

    fn offset(&self) -> u64 {
        (self.original.len() - self.base + self.tail.len()) as u64
    }

    fn begin(&mut self, r: ObjRef) {
        self.entries.push((r, self.offset()));
        self.tail
            .extend_from_slice(format!("{} {} obj\n", r.num, r.gen).as_bytes());
    }

    fn max_object(&self) -> u32 {
        self.entries.iter().map(|(r, _)| r.num).max().unwrap_or(0)
    }

    /// Returns the range of the `/Contents` hex digits and the start of the `/ByteRange` slot.
    fn signature_dictionary(
        &mut self,
        r: ObjRef,
        opts: &SignatureFieldOptions,
        date: &str,
    ) -> Result<(Range<usize>, usize)> {
        self.begin(r);
        let t = &mut self.tail;
        t.extend_from_slice(b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter ");
        write_name(t, opts.sub_filter.as_bytes());
        t.extend_from_slice(b" /ByteRange [");
        let slot = t.len();
        t.resize(slot + BYTE_RANGE_SLOT, b' ');
        t.extend_from_slice(b"] /Contents <");
        let start = t.len();
        t.resize(start + 2 * opts.contents_capacity, b'0');
        let end = t.len();
        t.extend_from_slice(b"> /M ");
        write_string(t, date.as_bytes());
        if let Some(reason) = &opts.reason {
            t.extend_from_slice(b" /Reason ");
            write_string(t, &text_string(reason));
        }
        if let Some(location) = &opts.location {
            t.extend_from_slice(b" /Location ");
            write_string(t, &text_string(location));
        }
        t.extend_from_slice(b" >>\nendobj\n");
        Ok((start..end, slot))
    }

    fn stream(&mut self, r: ObjRef, dict: &Dict, data: &[u8]) -> Result<()> {
        self.begin(r);
        let mut dict = dict.clone();
        dict.set(b"Length", Object::Int(data.len() as i64));
        dict.write_to(&mut self.tail)?;
        self.tail.extend_from_slice(b"\nstream\n");
        self.tail.extend_from_slice(data);
        self.tail.extend_from_slice(b"\nendstream\nendobj\n");
        Ok(())
    }

    fn object(&mut self, r: ObjRef, obj: &Object) -> Result<()> {
        self.begin(r);
        obj.write_to(&mut self.tail)?;
        self.tail.extend_from_slice(b"\nendobj\n");
        Ok(())
    }

    /// Consecutive runs of object numbers: `(first, entries)`.
    fn runs(&mut self) -> Vec<(u32, Vec<(u16, u64)>)> {
        self.entries.sort_by_key(|(r, _)| r.num);
        let mut runs: Vec<(u32, Vec<(u16, u64)>)> = Vec::new();
        for (r, off) in &self.entries {
            match runs.last_mut() {
                Some((start, items)) if *start as usize + items.len() == r.num as usize => {
                    items.push((r.gen, *off));
                }
                _ => runs.push((r.num, vec![(r.gen, *off)])),
            }
        }
        runs
    }

    fn finish(&mut self, xref_offset: u64) {
        self.tail
            .extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
    }

    fn xref_table(&mut self, trailer: Dict) -> Result<()> {
        let xref_offset = self.offset();
        let mut out = b"xref\n".to_vec();
        for (start, items) in self.runs() {
            out.extend_from_slice(format!("{start} {}\n", items.len()).as_bytes());
            for (gen, off) in items {
                if off > 9_999_999_999 {
                    return Err(Error::Unsupported(
                        "offsets beyond 10 GB need a cross-reference stream".into(),
                    ));
                }
                out.extend_from_slice(format!("{off:010} {gen:05} n\r\n").as_bytes());
            }
        }
        out.extend_from_slice(b"trailer\n");
        trailer.write_to(&mut out)?;
        out.push(b'\n');
        self.tail.extend_from_slice(&out);
        self.finish(xref_offset);
        Ok(())
    }

    fn xref_stream(&mut self, num: u32, mut dict: Dict) -> Result<()> {
        let xref_offset = self.offset();
        // The stream lists itself (§7.5.8.1 does not require it, but readers expect it).
        self.entries.push((ObjRef::new(num, 0), xref_offset));
        let width = (8 - xref_offset.leading_zeros() as usize / 8).max(1);
        let mut rows = Vec::new();
        let mut index = Vec::new();
        for (start, items) in self.runs() {
            index.push(Object::Int(i64::from(start)));
            index.push(Object::Int(items.len() as i64));
            for (gen, off) in items {
                rows.push(1);
                rows.extend_from_slice(off.to_be_bytes().get(8 - width..).unwrap_or_default());
                rows.extend_from_slice(&gen.to_be_bytes());
            }
        }
        let size = dict.get(b"Size").and_then(Object::as_int).unwrap_or(0);
        dict.set(b"Size", Object::Int(size.max(i64::from(num) + 1)));
        let mut full = Dict::new();
        full.set(b"Type", Object::name("XRef"));
        for (k, v) in dict.iter() {
            full.set(k, v.clone());
        }
        full.set(
            b"W",
            Object::Array(vec![
                Object::Int(1),
                Object::Int(width as i64),
                Object::Int(2),
            ]),
        );
        full.set(b"Index", Object::Array(index));
        full.set(b"Length", Object::Int(rows.len() as i64));
        self.tail
            .extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        full.write_to(&mut self.tail)?;
        self.tail.extend_from_slice(b"\nstream\n");
        self.tail.extend_from_slice(&rows);
        self.tail.extend_from_slice(b"\nendstream\nendobj\n");
        self.finish(xref_offset);
        Ok(())
    }
}
