//! Lazy access to a PDF: the cross-reference chain is read up front (it is small), objects only
//! when asked for.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use memchr::memmem;

use crate::object::{Dict, ObjRef, Object, Stream};
use crate::parse::{is_whitespace, parse_u64, Parser};
use crate::{corrupt, filter, Error, Result};

/// How far from the start the `%PDF-` header may be (junk before it is common in the wild).
const HEADER_WINDOW: usize = 1024;
/// How far from the end `startxref` is looked for: the only search over the file's bytes.
const STARTXREF_WINDOW: usize = 4096;
/// Cross-reference sections followed through `/Prev`; one per incremental update.
pub const MAX_XREF_SECTIONS: usize = 10_000;
/// Indirect hops while resolving one object (`/Length` refs, object streams, ref chains).
const MAX_RESOLVE_DEPTH: usize = 16;
/// Highest object number accepted (keeps every count and sum inside `u32`).
pub(crate) const MAX_OBJECT_NUMBER: u32 = i32::MAX as u32;

/// Where the newest revision says an object lives (§7.5.4, §7.5.8.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefEntry {
    Free,
    InUse { offset: u64, gen: u16 },
    Compressed { stream: u32, index: u32 },
}

enum Subsection {
    /// Conforming 20-byte entries, read on demand: a 1 M-object table costs nothing to open.
    Fixed {
        start: u32,
        count: u32,
        offset: usize,
    },
    /// Anything irregular (19- or 21-byte lines…) is parsed once into memory.
    Parsed { start: u32, entries: Vec<XrefEntry> },
}

enum Section {
    Table(Vec<Subsection>),
    Stream {
        widths: [usize; 3],
        /// (first object, count, first row)
        index: Vec<(u32, u32, usize)>,
        rows: Vec<u8>,
    },
}

struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    /// (object number, offset relative to `first`)
    offsets: Vec<(u32, usize)>,
}

/// Read-only, lazy view of a PDF file. Borrowing the bytes, never copying them.
pub struct Document<'a> {
    data: &'a [u8],
    /// Offset of `%PDF-`, when the file's offsets count from there rather than from byte 0.
    base: usize,
    startxref: u64,
    /// Newest first; a hybrid section's `/XRefStm` stream follows its table.
    sections: Vec<Section>,
    trailer: Dict,
    newest_is_stream: bool,
    /// One past the highest object number any section mentions.
    object_bound: u32,
    object_streams: RefCell<HashMap<u32, Rc<ObjectStream>>>,
}

impl std::fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("len", &self.data.len())
            .field("base", &self.base)
            .field("startxref", &self.startxref)
            .field("sections", &self.sections.len())
            .field("newest_is_stream", &self.newest_is_stream)
            .finish_non_exhaustive()
    }
}

impl<'a> Document<'a> {
    /// Reads the header, `startxref`, and the whole cross-reference chain. Refuses encrypted
    /// files.
    pub fn open(data: &'a [u8]) -> Result<Self> {
        let head = data.get(..data.len().min(HEADER_WINDOW)).unwrap_or(data);
        let header = memmem::find(head, b"%PDF-").ok_or(Error::NotPdf)?;
        let window_start = data.len().saturating_sub(STARTXREF_WINDOW).max(header);
        let window = data.get(window_start..).unwrap_or_default();
        let found = memmem::rfind(window, b"startxref")
            .ok_or_else(|| corrupt("no startxref near the end of the file"))?;
        let mut p = Parser::new(data, window_start + found + b"startxref".len());
        let startxref = p
            .uint()
            .ok_or_else(|| corrupt("startxref is not followed by an offset"))?;
        // Junk after %%EOF is common and harmless, but objects there mean a later update was
        // cut off: signing the earlier revision would silently drop it.
        let after = data.get(p.pos..).unwrap_or_default();
        if [&b"obj"[..], b"xref", b"trailer"]
            .iter()
            .any(|kw| memmem::find(after, kw).is_some())
        {
            return Err(corrupt(
                "the file is truncated inside an incremental update",
            ));
        }

        // Files with junk before the header usually count offsets from the header. Decide once,
        // from where startxref lands, and apply to every offset.
        // Exact hits first: an offset one byte short of `xref` would still find it after
        // skipping whitespace, and then pick the wrong base.
        let shifted = startxref.saturating_add(header as u64);
        let base = if looks_like_xref(data, startxref, true) {
            0
        } else if header > 0 && looks_like_xref(data, shifted, true) {
            header
        } else if looks_like_xref(data, startxref, false) {
            0
        } else if header > 0 && looks_like_xref(data, shifted, false) {
            header
        } else {
            return Err(corrupt(format!(
                "startxref {startxref} does not point at a cross-reference section"
            )));
        };

        let mut doc = Document {
            data,
            base,
            startxref,
            sections: Vec::new(),
            trailer: Dict::new(),
            newest_is_stream: false,
            object_bound: 0,
            object_streams: RefCell::new(HashMap::new()),
        };
        doc.load_chain()?;
        if doc.trailer.get(b"Root").is_none() {
            return Err(corrupt("trailer has no /Root"));
        }
        Ok(doc)
    }

    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The newest trailer, with `/Root`, `/Info`, `/ID` filled from older ones if it lacks them.
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }

    /// The `startxref` value (relative to [`Document::base`]).
    pub fn startxref(&self) -> u64 {
        self.startxref
    }

    /// Offset that file offsets are relative to (0 unless there is junk before `%PDF-`).
    pub fn base(&self) -> usize {
        self.base
    }

    /// Whether the newest cross-reference section is a stream (so an update should use one too).
    pub fn newest_is_xref_stream(&self) -> bool {
        self.newest_is_stream
    }

    /// The first object number not used by the file: the larger of `/Size` and what the
    /// cross-reference sections mention, so a lying `/Size` cannot make us reuse a number.
    pub fn next_object_number(&self) -> Result<u32> {
        let size = match self.trailer.get(b"Size") {
            Some(Object::Int(s)) if *s >= 0 => u32::try_from(*s).unwrap_or(u32::MAX),
            _ => return Err(corrupt("trailer /Size is missing or invalid")),
        };
        let next = size.max(self.object_bound).max(1);
        if next > MAX_OBJECT_NUMBER - 16 {
            return Err(Error::Unsupported("object numbers exhausted".into()));
        }
        Ok(next)
    }

    fn load_chain(&mut self) -> Result<()> {
        let mut visited = HashSet::new();
        let mut next = Some(self.startxref);
        let mut newest = true;
        while let Some(offset) = next {
            if !visited.insert(offset) {
                return Err(corrupt("cross-reference /Prev chain loops"));
            }
            if visited.len() > MAX_XREF_SECTIONS {
                return Err(Error::Unsupported(format!(
                    "more than {MAX_XREF_SECTIONS} cross-reference sections"
                )));
            }
            let abs = self.absolute(offset)?;
            let mut p = Parser::new(self.data, abs);
            let trailer = if p.keyword() == b"xref" {
                let (table, trailer) = self.parse_table(p)?;
                self.sections.push(table);
                if let Some(stm) = trailer.get(b"XRefStm") {
                    // Hybrid file (§7.5.8.4): the stream holds what the table hides from
                    // pre-1.5 readers, and ranks right after the table.
                    let stm = stm
                        .as_int()
                        .and_then(|o| u64::try_from(o).ok())
                        .ok_or_else(|| corrupt("bad /XRefStm"))?;
                    if visited.insert(stm) {
                        let (section, _) = self.parse_xref_stream(stm)?;
                        self.sections.push(section);
                    }
                }
                if newest {
                    self.newest_is_stream = false;
                }
                trailer
            } else {
                let (section, dict) = self.parse_xref_stream(offset)?;
                self.sections.push(section);
                if newest {
                    self.newest_is_stream = true;
                }
                dict
            };
            if trailer.get(b"Encrypt").is_some_and(|e| *e != Object::Null) {
                return Err(Error::Encrypted);
            }
            for key in [&b"Root"[..], b"Info", b"ID", b"Size"] {
                if self.trailer.get(key).is_none() {
                    if let Some(v) = trailer.get(key) {
                        self.trailer.set(key, v.clone());
                    }
                }
            }
            next = match trailer.get(b"Prev") {
                None | Some(Object::Null) => None,
                Some(Object::Int(p)) if *p >= 0 => Some(*p as u64),
                Some(_) => return Err(corrupt("bad /Prev in trailer")),
            };
            newest = false;
        }
        Ok(())
    }

    fn absolute(&self, offset: u64) -> Result<usize> {
        usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(self.base))
            .filter(|&o| o < self.data.len())
            .ok_or_else(|| corrupt(format!("offset {offset} is outside the file")))
    }

    fn note_objects(&mut self, start: u32, count: u32) -> Result<()> {
        let end = start
            .checked_add(count)
            .filter(|&e| e <= MAX_OBJECT_NUMBER)
            .ok_or_else(|| corrupt("cross-reference subsection out of range"))?;
        self.object_bound = self.object_bound.max(end);
        Ok(())
    }

    /// A classic table (§7.5.4) after the `xref` keyword, and the trailer after it.
    fn parse_table(&mut self, mut p: Parser<'a>) -> Result<(Section, Dict)> {
        let mut subsections = Vec::new();
        loop {
            p.skip_whitespace();
            let save = p.pos;
            let tok = p.keyword();
            if tok == b"trailer" {
                break;
            }
            let start = parse_u64(tok).and_then(|s| u32::try_from(s).ok());
            let count = p.uint().and_then(|c| u32::try_from(c).ok());
            let (Some(start), Some(count)) = (start, count) else {
                return Err(corrupt(format!(
                    "bad cross-reference subsection header at offset {save}"
                )));
            };
            self.note_objects(start, count)?;
            p.skip_whitespace();
            let first = p.pos;
            let bytes = usize::try_from(count)
                .ok()
                .and_then(|c| c.checked_mul(20))
                .ok_or_else(|| corrupt("cross-reference subsection too large"))?;
            let end = first
                .checked_add(bytes)
                .ok_or_else(|| corrupt("cross-reference subsection too large"))?;
            let regular = count == 0
                || fixed_entry_at(self.data, end - 20).is_some()
                    && fixed_entry_at(self.data, first).is_some();
            if regular {
                subsections.push(Subsection::Fixed {
                    start,
                    count,
                    offset: first,
                });
                p.pos = end;
            } else {
                // Irregular layout: parse entry by entry. Each entry takes at least 18 bytes, so
                // a count the remaining data cannot hold is corrupt (and not allocated).
                let remaining = self.data.len().saturating_sub(first);
                if usize::try_from(count).unwrap_or(usize::MAX) > remaining / 18 {
                    return Err(corrupt("cross-reference subsection is truncated"));
                }
                let mut entries = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    let offset = p.uint();
                    let gen = p.uint().and_then(|g| u16::try_from(g).ok());
                    let kind = p.keyword();
                    let entry = match (offset, gen, kind) {
                        (Some(_), Some(_), b"f") => XrefEntry::Free,
                        (Some(0), Some(_), b"n") => XrefEntry::Free,
                        (Some(offset), Some(gen), b"n") => XrefEntry::InUse { offset, gen },
                        _ => return Err(corrupt("bad cross-reference entry")),
                    };
                    entries.push(entry);
                }
                subsections.push(Subsection::Parsed { start, entries });
            }
        }
        p.skip_whitespace();
        let trailer = p.dict(0)?;
        Ok((Section::Table(subsections), trailer))
    }

    /// A cross-reference stream (§7.5.8) at a file offset.
    fn parse_xref_stream(&mut self, offset: u64) -> Result<(Section, Dict)> {
        let abs = self.absolute(offset)?;
        let (_, obj) = Parser::new(self.data, abs).indirect_object()?;
        let Object::Stream(stream) = obj else {
            return Err(corrupt(format!(
                "no cross-reference table or stream at offset {offset}"
            )));
        };
        let dict = &stream.dict;
        let widths: Vec<usize> = dict
            .get(b"W")
            .and_then(Object::as_array)
            .map(|w| {
                w.iter()
                    .filter_map(|v| v.as_int().and_then(|i| usize::try_from(i).ok()))
                    .collect()
            })
            .unwrap_or_default();
        let widths: [usize; 3] = match widths.as_slice() {
            [a, b, c] if *a <= 8 && *b <= 8 && *c <= 8 && a + b + c > 0 => [*a, *b, *c],
            _ => return Err(corrupt("bad /W in cross-reference stream")),
        };
        let size = dict
            .get(b"Size")
            .and_then(Object::as_int)
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| corrupt("bad /Size in cross-reference stream"))?;
        let pairs: Vec<u32> = match dict.get(b"Index") {
            Some(Object::Array(a)) => a
                .iter()
                .map(|v| v.as_int().and_then(|i| u32::try_from(i).ok()))
                .collect::<Option<_>>()
                .ok_or_else(|| corrupt("bad /Index in cross-reference stream"))?,
            _ => vec![0, size],
        };
        if pairs.len() % 2 != 0 {
            return Err(corrupt("odd /Index in cross-reference stream"));
        }
        let raw = self.stream_data_depth(&stream, 0)?;
        let rows = filter::decode(dict, raw)?;
        let row_len = widths.iter().sum::<usize>();
        let mut index = Vec::with_capacity(pairs.len() / 2);
        let mut first_row = 0usize;
        for pair in pairs.chunks(2) {
            if let [start, count] = *pair {
                self.note_objects(start, count)?;
                index.push((start, count, first_row));
                first_row = first_row.saturating_add(count as usize);
            }
        }
        if first_row.saturating_mul(row_len) > rows.len() {
            return Err(corrupt("cross-reference stream is shorter than its /Index"));
        }
        let dict = stream.dict.clone();
        Ok((
            Section::Stream {
                widths,
                index,
                rows,
            },
            dict,
        ))
    }

    /// The newest cross-reference entry for an object, if any section has one.
    pub fn entry(&self, num: u32) -> Result<Option<XrefEntry>> {
        for section in &self.sections {
            if let Some(e) = self.section_entry(section, num)? {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    fn section_entry(&self, section: &Section, num: u32) -> Result<Option<XrefEntry>> {
        match section {
            Section::Table(subsections) => {
                for sub in subsections {
                    match sub {
                        Subsection::Fixed {
                            start,
                            count,
                            offset,
                        } => {
                            if num >= *start && num - start < *count {
                                let pos = offset + (num - start) as usize * 20;
                                return fixed_entry_at(self.data, pos)
                                    .map(Some)
                                    .ok_or_else(|| corrupt("bad cross-reference entry"));
                            }
                        }
                        Subsection::Parsed { start, entries } => {
                            if num >= *start {
                                if let Some(e) = entries.get((num - start) as usize) {
                                    return Ok(Some(*e));
                                }
                            }
                        }
                    }
                }
                Ok(None)
            }
            Section::Stream {
                widths,
                index,
                rows,
            } => {
                for &(start, count, first_row) in index {
                    if num < start || num - start >= count {
                        continue;
                    }
                    let row_len: usize = widths.iter().sum();
                    let at = first_row
                        .checked_add((num - start) as usize)
                        .and_then(|r| r.checked_mul(row_len))
                        .ok_or_else(|| corrupt("cross-reference stream row out of range"))?;
                    let row = rows
                        .get(at..at.saturating_add(row_len))
                        .ok_or_else(|| corrupt("cross-reference stream row out of range"))?;
                    let (f1, rest) = row.split_at(widths[0]);
                    let (f2, f3) = rest.split_at(widths[1]);
                    // A zero-width type field means type 1 (§7.5.8.3).
                    let kind = if widths[0] == 0 { 1 } else { be(f1) };
                    let (f2, f3) = (be(f2), be(f3));
                    return Ok(Some(match kind {
                        0 => XrefEntry::Free,
                        1 if f2 == 0 => XrefEntry::Free,
                        1 => XrefEntry::InUse {
                            offset: f2,
                            gen: u16::try_from(f3).unwrap_or(u16::MAX),
                        },
                        2 => XrefEntry::Compressed {
                            stream: u32::try_from(f2)
                                .map_err(|_| corrupt("bad object stream number"))?,
                            index: u32::try_from(f3)
                                .map_err(|_| corrupt("bad object stream index"))?,
                        },
                        // Unknown types are references to the null object (§7.5.8.3).
                        _ => XrefEntry::Free,
                    }));
                }
                Ok(None)
            }
        }
    }

    /// The generation an object has in the newest revision (0 inside object streams and for
    /// unknown objects).
    pub fn generation(&self, num: u32) -> Result<u16> {
        Ok(match self.entry(num)? {
            Some(XrefEntry::InUse { gen, .. }) => gen,
            _ => 0,
        })
    }

    /// Fetches an indirect object; missing and free objects are `null` (§7.3.10).
    pub fn get(&self, r: ObjRef) -> Result<Object> {
        self.get_depth(r.num, 0)
    }

    /// Follows a reference (and references to references); other objects come back as is.
    pub fn resolve(&self, obj: &Object) -> Result<Object> {
        let mut cur = obj.clone();
        for _ in 0..MAX_RESOLVE_DEPTH {
            match cur {
                Object::Ref(r) => cur = self.get(r)?,
                other => return Ok(other),
            }
        }
        Err(corrupt("reference chain too long"))
    }

    fn get_depth(&self, num: u32, depth: usize) -> Result<Object> {
        if depth > MAX_RESOLVE_DEPTH {
            return Err(corrupt("indirect objects nested too deeply"));
        }
        match self.entry(num)? {
            None | Some(XrefEntry::Free) => Ok(Object::Null),
            Some(XrefEntry::InUse { offset, .. }) => {
                let abs = self.absolute(offset).map_err(|_| {
                    corrupt(format!(
                        "cross-reference entry for object {num} points outside the file"
                    ))
                })?;
                let (r, obj) = Parser::new(self.data, abs).indirect_object()?;
                if r.num != num {
                    return Err(corrupt(format!(
                        "cross-reference entry for object {num} points at object {}",
                        r.num
                    )));
                }
                Ok(obj)
            }
            Some(XrefEntry::Compressed { stream, index }) => {
                let os = self.object_stream(stream, depth)?;
                let rel = match os.offsets.get(index as usize) {
                    Some(&(n, rel)) if n == num => Some(rel),
                    // Writers sometimes get the index wrong; the header is authoritative.
                    _ => os.offsets.iter().find(|(n, _)| *n == num).map(|&(_, r)| r),
                };
                let Some(rel) = rel else {
                    return Ok(Object::Null);
                };
                let pos = os
                    .first
                    .checked_add(rel)
                    .filter(|&p| p < os.data.len())
                    .ok_or_else(|| corrupt("object stream offset out of range"))?;
                match Parser::new(&os.data, pos).object(0)? {
                    Object::Stream(_) => Err(corrupt("stream inside an object stream")),
                    obj => Ok(obj),
                }
            }
        }
    }

    fn object_stream(&self, num: u32, depth: usize) -> Result<Rc<ObjectStream>> {
        if let Some(os) = self.object_streams.borrow().get(&num) {
            return Ok(Rc::clone(os));
        }
        if !matches!(self.entry(num)?, Some(XrefEntry::InUse { .. })) {
            return Err(corrupt(format!(
                "object stream {num} is not a plain object"
            )));
        }
        let Object::Stream(stream) = self.get_depth(num, depth + 1)? else {
            return Err(corrupt(format!("object stream {num} is not a stream")));
        };
        let int = |key: &[u8]| {
            stream
                .dict
                .get(key)
                .and_then(Object::as_int)
                .and_then(|v| usize::try_from(v).ok())
        };
        let (Some(n), Some(first)) = (int(b"N"), int(b"First")) else {
            return Err(corrupt(format!("object stream {num} lacks /N or /First")));
        };
        let raw = self.stream_data_depth(&stream, depth + 1)?;
        let data = filter::decode(&stream.dict, raw)?;
        let header = data
            .get(..first)
            .ok_or_else(|| corrupt(format!("object stream {num} /First is out of range")))?;
        let mut p = Parser::new(header, 0);
        let mut offsets = Vec::new();
        // The loop ends at the header's end whatever /N claims, so /N cannot force allocation.
        for _ in 0..n {
            match (p.uint(), p.uint()) {
                (Some(obj), Some(off)) => match (u32::try_from(obj), usize::try_from(off)) {
                    (Ok(obj), Ok(off)) => offsets.push((obj, off)),
                    _ => break,
                },
                _ => break,
            }
        }
        let os = Rc::new(ObjectStream {
            data,
            first,
            offsets,
        });
        self.object_streams.borrow_mut().insert(num, Rc::clone(&os));
        Ok(os)
    }

    /// The raw (still encoded) bytes of a stream, borrowed from the file.
    pub fn stream_data(&self, stream: &Stream) -> Result<&'a [u8]> {
        self.stream_data_depth(stream, 0)
    }

    fn stream_data_depth(&self, stream: &Stream, depth: usize) -> Result<&'a [u8]> {
        let start = stream.data_offset;
        let declared = match stream.dict.get(b"Length") {
            Some(Object::Int(n)) => Some(*n),
            // While the chain is still loading, the length object may not be reachable yet;
            // the `endstream` search below covers that case.
            Some(Object::Ref(r)) => match self.get_depth(r.num, depth + 1) {
                Ok(Object::Int(n)) => Some(n),
                _ => None,
            },
            _ => None,
        };
        if let Some(end) = declared
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| start.checked_add(n))
            .filter(|&end| end <= self.data.len())
        {
            let mut p = Parser::new(self.data, end);
            p.skip_whitespace();
            if self
                .data
                .get(p.pos..)
                .is_some_and(|rest| rest.starts_with(b"endstream"))
            {
                return self
                    .data
                    .get(start..end)
                    .ok_or_else(|| corrupt("stream out of range"));
            }
        }
        // A wrong or unresolvable /Length: trust the `endstream` keyword instead, like every
        // reader does. Only malformed files pay for this search.
        let rest = self
            .data
            .get(start..)
            .ok_or_else(|| corrupt("stream out of range"))?;
        let found =
            memmem::find(rest, b"endstream").ok_or_else(|| corrupt("stream without endstream"))?;
        let mut end = start + found;
        if end > start && self.data.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && self.data.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        self.data
            .get(start..end)
            .ok_or_else(|| corrupt("stream out of range"))
    }

    /// The catalog (`/Root`) and its reference.
    pub fn catalog(&self) -> Result<(ObjRef, Dict)> {
        let root = self
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .ok_or_else(|| corrupt("trailer /Root is not a reference"))?;
        match self.get(root)? {
            Object::Dict(d) => Ok((root, d)),
            _ => Err(corrupt("catalog is not a dictionary")),
        }
    }

    /// The first page in document order: a depth-first walk of the page tree that stops at the
    /// first leaf, so it touches only the nodes on the way there. Cycle-safe.
    pub fn first_page(&self, catalog: &Dict) -> Result<(ObjRef, Dict)> {
        const MAX_NODES: usize = 100_000;
        let pages = catalog
            .get(b"Pages")
            .and_then(Object::as_reference)
            .ok_or_else(|| corrupt("catalog /Pages is not a reference"))?;
        let mut stack = vec![pages];
        let mut visited = HashSet::new();
        while let Some(r) = stack.pop() {
            if !visited.insert(r.num) {
                return Err(corrupt("page tree has a cycle"));
            }
            if visited.len() > MAX_NODES {
                return Err(Error::Unsupported("page tree too large".into()));
            }
            let Object::Dict(node) = self.get(r)? else {
                continue;
            };
            let is_tree_node =
                node.has_type(b"Pages") || (!node.has_type(b"Page") && node.get(b"Kids").is_some());
            if !is_tree_node {
                return Ok((r, node));
            }
            let kids = self.resolve(node.get(b"Kids").unwrap_or(&Object::Null))?;
            if let Object::Array(kids) = kids {
                // Reversed so the first kid is popped first.
                stack.extend(kids.iter().rev().filter_map(Object::as_reference));
            }
        }
        Err(corrupt("the document has no page"))
    }
}

/// A page with the attributes it inherits from the page tree (§7.7.3.4), unresolved.
#[derive(Clone, Debug)]
pub struct Page {
    pub reference: ObjRef,
    pub dict: Dict,
    /// 1-based, in document order.
    pub number: usize,
    pub media_box: Option<Object>,
    pub crop_box: Option<Object>,
    pub resources: Option<Object>,
}

/// What a page-tree node passes down to its kids.
#[derive(Clone, Default)]
struct Inherited {
    media_box: Option<Object>,
    crop_box: Option<Object>,
    resources: Option<Object>,
}

impl Inherited {
    fn below(&self, node: &Dict) -> Inherited {
        let pick = |key: &[u8], old: &Option<Object>| node.get(key).cloned().or(old.clone());
        Inherited {
            media_box: pick(b"MediaBox", &self.media_box),
            crop_box: pick(b"CropBox", &self.crop_box),
            resources: pick(b"Resources", &self.resources),
        }
    }
}

impl Document<'_> {
    /// Visits the pages in document order until `visit` returns `true`; returns the number of
    /// pages visited. Cycle-safe and bounded like [`Document::first_page`].
    pub fn visit_pages(
        &self,
        catalog: &Dict,
        mut visit: impl FnMut(&Page) -> Result<bool>,
    ) -> Result<usize> {
        const MAX_NODES: usize = 100_000;
        let pages = catalog
            .get(b"Pages")
            .and_then(Object::as_reference)
            .ok_or_else(|| corrupt("catalog /Pages is not a reference"))?;
        let mut stack = vec![(pages, Inherited::default())];
        let mut visited = HashSet::new();
        let mut number = 0usize;
        while let Some((r, inherited)) = stack.pop() {
            if !visited.insert(r.num) {
                return Err(corrupt("page tree has a cycle"));
            }
            if visited.len() > MAX_NODES {
                return Err(Error::Unsupported("page tree too large".into()));
            }
            let Object::Dict(node) = self.get(r)? else {
                continue;
            };
            let is_tree_node =
                node.has_type(b"Pages") || (!node.has_type(b"Page") && node.get(b"Kids").is_some());
            let inherited = inherited.below(&node);
            if !is_tree_node {
                number += 1;
                let page = Page {
                    reference: r,
                    number,
                    media_box: inherited.media_box,
                    crop_box: inherited.crop_box,
                    resources: inherited.resources,
                    dict: node,
                };
                if visit(&page)? {
                    break;
                }
                continue;
            }
            let kids = self.resolve(node.get(b"Kids").unwrap_or(&Object::Null))?;
            if let Object::Array(kids) = kids {
                // Reversed so the first kid is popped first.
                stack.extend(
                    kids.iter()
                        .rev()
                        .filter_map(Object::as_reference)
                        .map(|k| (k, inherited.clone())),
                );
            }
        }
        Ok(number)
    }
}

/// Whether `offset` holds `xref` or an `N G obj` header (`exact`: right at the offset, not
/// after whitespace).
fn looks_like_xref(data: &[u8], offset: u64, exact: bool) -> bool {
    let Ok(offset) = usize::try_from(offset) else {
        return false;
    };
    match data.get(offset) {
        None => return false,
        Some(&b) if exact && is_whitespace(b) => return false,
        Some(_) => {}
    }
    let mut p = Parser::new(data, offset);
    let first = p.keyword();
    if first == b"xref" {
        return true;
    }
    parse_u64(first).is_some() && p.uint().is_some() && p.keyword() == b"obj"
}

/// A conforming 20-byte classic entry: `oooooooooo ggggg n` plus a two-byte end of line.
fn fixed_entry_at(data: &[u8], pos: usize) -> Option<XrefEntry> {
    let e = data.get(pos..pos.checked_add(20)?)?;
    let offset = parse_u64(e.get(0..10)?)?;
    let gen = u16::try_from(parse_u64(e.get(11..16)?)?).ok()?;
    if e.get(10) != Some(&b' ') || e.get(16) != Some(&b' ') {
        return None;
    }
    let eol_ok = matches!(e.get(18..20)?, b" \r" | b" \n" | b"\r\n");
    if !eol_ok && !e.get(18..20)?.iter().all(|&b| is_whitespace(b)) {
        return None;
    }
    match e.get(17)? {
        b'n' if offset == 0 => Some(XrefEntry::Free),
        b'n' => Some(XrefEntry::InUse { offset, gen }),
        b'f' => Some(XrefEntry::Free),
        _ => None,
    }
}

/// Big-endian unsigned field of a cross-reference stream row (at most 8 bytes wide).
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b))
}
