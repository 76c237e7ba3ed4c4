//! The signature update (PDF 32000-1 §12.7, §12.8; ETSI EN 319 142-1): a signature dictionary
//! with a reserved `/Contents`, a signature field merged with its widget on the first page, the
//! updated page and form, and a cross-reference section of the same kind as the file's newest.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::time::SystemTime;

use crate::date::pdf_date;
use crate::document::Document;
use crate::object::{text_string, write_name, write_string, Dict, ObjRef, Object};
use crate::{Error, Result};

/// Room reserved for the DER CMS when the caller has no better estimate.
pub const DEFAULT_CONTENTS_CAPACITY: usize = 16 * 1024;
/// Upper bound on [`SignatureFieldOptions::contents_capacity`]; no real CMS comes near it.
pub const MAX_CONTENTS_CAPACITY: usize = 16 * 1024 * 1024;

/// `/ByteRange` is written before the file length is known, so it gets a fixed-width slot:
/// `0` and three u64 values (at most 20 digits each) with their separators.
const BYTE_RANGE_SLOT: usize = 1 + 3 * 21;

/// Widget flags: Print (3) and Locked (8), the usual pair for an invisible signature widget.
const WIDGET_FLAGS: i64 = 4 | 128;

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

/// Builds the incremental update that adds an (invisible) signature field to `original`.
///
/// Reads only the cross-reference chain, the catalog, the page tree down to the first page,
/// and the form's fields; the original is neither copied nor modified.
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

    let doc = Document::open(original)?;
    let (root, catalog) = doc.catalog()?;
    refuse_if_certified_unchangeable(&doc, &catalog)?;
    let (page, _) = doc.first_page(&catalog)?;

    // New objects take numbers from the first unused one up; at most four are needed, and
    // `next_object_number` leaves headroom below the limit.
    let mut next = doc.next_object_number()?;
    let signature = ObjRef::new(next, 0);
    let field = ObjRef::new(next + 1, 0);
    next += 2;

    let mut edits = Edits {
        doc: &doc,
        objects: BTreeMap::new(),
    };

    let mut page_dict = edits.load_dict(page, "first page")?;
    if edits.append_to_array(&mut page_dict, b"Annots", field)? {
        edits.store(page, Object::Dict(page_dict))?;
    }

    let mut catalog = edits.load_dict(root, "catalog")?;
    let form = match catalog.get(b"AcroForm") {
        Some(Object::Dict(d)) => Form::Inline(d.clone()),
        Some(Object::Ref(r)) => match edits.load(*r)? {
            Object::Dict(d) => Form::Indirect(*r, d),
            _ => Form::Absent,
        },
        _ => Form::Absent,
    };
    let field_name = unique_field_name(
        &doc,
        match &form {
            Form::Inline(d) | Form::Indirect(_, d) => Some(d),
            Form::Absent => None,
        },
    );

    let mut field_dict = Dict::new();
    field_dict.set(b"Type", Object::name("Annot"));
    field_dict.set(b"Subtype", Object::name("Widget"));
    field_dict.set(b"FT", Object::name("Sig"));
    field_dict.set(b"T", Object::String(field_name.clone().into_bytes()));
    field_dict.set(b"V", Object::Ref(signature));
    field_dict.set(b"F", Object::Int(WIDGET_FLAGS));
    field_dict.set(b"Rect", Object::Array(vec![Object::Int(0); 4]));
    field_dict.set(b"P", Object::Ref(page));
    edits.add(field.num, Object::Dict(field_dict));

    // SigFlags 3 = SignaturesExist | AppendOnly (§12.7.2), telling editors to save
    // incrementally so the signature survives.
    match form {
        Form::Inline(mut form) => {
            edits.append_to_array(&mut form, b"Fields", field)?;
            form.set(b"SigFlags", Object::Int(3));
            catalog.set(b"AcroForm", Object::Dict(form));
            edits.store(root, Object::Dict(catalog))?;
        }
        Form::Indirect(r, mut form) => {
            edits.append_to_array(&mut form, b"Fields", field)?;
            form.set(b"SigFlags", Object::Int(3));
            edits.store(r, Object::Dict(form))?;
        }
        Form::Absent => {
            let form_ref = ObjRef::new(next, 0);
            next += 1;
            let mut form = Dict::new();
            form.set(b"Fields", Object::Array(vec![Object::Ref(field)]));
            form.set(b"SigFlags", Object::Int(3));
            edits.add(form_ref.num, Object::Dict(form));
            catalog.set(b"AcroForm", Object::Ref(form_ref));
            edits.store(root, Object::Dict(catalog))?;
        }
    }

    let mut writer = TailWriter::new(original, doc.base(), capacity);
    let (contents, byte_range_slot) = writer.signature_dictionary(signature, opts, &date)?;
    for (num, (gen, obj)) in &edits.objects {
        writer.object(ObjRef::new(*num, *gen), obj)?;
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
