//! PDF generators and an independent-as-possible check of signed output.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use signstash_pdf::{Document, ObjRef, Object, PreparedPdf, SignatureFieldOptions};

pub fn flate(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes PDFs object by object; each `xref_*` call closes a revision (incremental updates
/// follow naturally by adding more objects and another cross-reference section).
pub struct PdfBuilder {
    pub buf: Vec<u8>,
    /// Offsets count from here (the header), as in files with junk before `%PDF-`.
    base: usize,
    plain: BTreeMap<u32, usize>,
    compressed: BTreeMap<u32, (u32, u32)>,
    size: u32,
    pub last_xref: Option<usize>,
}

impl Default for PdfBuilder {
    fn default() -> Self {
        Self::with_junk(b"")
    }
}

impl PdfBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_junk(junk: &[u8]) -> Self {
        let mut buf = junk.to_vec();
        let base = buf.len();
        buf.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        PdfBuilder {
            buf,
            base,
            plain: BTreeMap::new(),
            compressed: BTreeMap::new(),
            size: 1,
            last_xref: None,
        }
    }

    fn here(&self) -> usize {
        self.buf.len() - self.base
    }

    fn note(&mut self, num: u32) {
        self.size = self.size.max(num + 1);
    }

    pub fn obj(&mut self, num: u32, body: &str) -> &mut Self {
        self.note(num);
        self.plain.insert(num, self.here());
        write!(self.buf, "{num} 0 obj\n{body}\nendobj\n").unwrap();
        self
    }

    pub fn stream(&mut self, num: u32, dict_extra: &str, data: &[u8]) -> &mut Self {
        self.note(num);
        self.plain.insert(num, self.here());
        write!(
            self.buf,
            "{num} 0 obj\n<< /Length {} {dict_extra} >>\nstream\n",
            data.len()
        )
        .unwrap();
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
        self
    }

    /// An object stream (§7.5.7) holding `objects`, Flate-compressed.
    pub fn object_stream(&mut self, num: u32, objects: &[(u32, &str)]) -> &mut Self {
        let mut header = String::new();
        let mut body = Vec::new();
        for (i, (n, text)) in objects.iter().enumerate() {
            header.push_str(&format!("{n} {} ", body.len()));
            body.extend_from_slice(text.as_bytes());
            body.push(b'\n');
            self.note(*n);
            self.compressed.insert(*n, (num, i as u32));
        }
        let first = header.len();
        let mut data = header.into_bytes();
        data.extend_from_slice(&body);
        let extra = format!(
            "/Type /ObjStm /N {} /First {first} /Filter /FlateDecode",
            objects.len()
        );
        self.stream(num, &extra, &flate(&data))
    }

    /// Points an object's entry somewhere else (for hostile files).
    pub fn set_offset(&mut self, num: u32, offset: usize) {
        self.note(num);
        self.plain.insert(num, offset - self.base);
    }

    /// Declares an object as living in an object stream written by hand.
    pub fn set_compressed(&mut self, num: u32, stream: u32, index: u32) {
        self.note(num);
        self.compressed.insert(num, (stream, index));
    }

    /// A classic table with the plain objects written since the last section.
    pub fn xref_table(&mut self, trailer_extra: &str) -> &mut Self {
        let offset = self.here();
        let mut entries: BTreeMap<u32, String> = std::mem::take(&mut self.plain)
            .into_iter()
            .map(|(n, off)| (n, format!("{off:010} 00000 n\r\n")))
            .collect();
        if self.last_xref.is_none() {
            entries.insert(0, "0000000000 65535 f\r\n".into());
        }
        self.buf.extend_from_slice(b"xref\n");
        for (start, lines) in runs(&entries) {
            writeln!(self.buf, "{start} {}", lines.len()).unwrap();
            for l in lines {
                self.buf.extend_from_slice(l.as_bytes());
            }
        }
        let prev = self
            .last_xref
            .map(|p| format!(" /Prev {p}"))
            .unwrap_or_default();
        write!(
            self.buf,
            "trailer\n<< /Size {}{prev} {trailer_extra} >>\nstartxref\n{offset}\n%%EOF\n",
            self.size
        )
        .unwrap();
        self.last_xref = Some(offset);
        self
    }

    /// A cross-reference stream (Flate, PNG Up predictor) listing everything written since the
    /// last section, itself included.
    pub fn xref_stream(&mut self, num: u32, trailer_extra: &str) -> &mut Self {
        self.note(num);
        let offset = self.here();
        let mut entries: BTreeMap<u32, [u8; 7]> = BTreeMap::new();
        let row = |t: u8, a: u32, b: u16| {
            let mut r = [t, 0, 0, 0, 0, 0, 0];
            r[1..5].copy_from_slice(&a.to_be_bytes());
            r[5..7].copy_from_slice(&b.to_be_bytes());
            r
        };
        for (n, off) in std::mem::take(&mut self.plain) {
            entries.insert(n, row(1, off as u32, 0));
        }
        for (n, (stm, idx)) in std::mem::take(&mut self.compressed) {
            entries.insert(n, row(2, stm, idx as u16));
        }
        entries.insert(num, row(1, offset as u32, 0));
        if self.last_xref.is_none() {
            entries.insert(0, row(0, 0, 65535));
        }
        let mut index = String::new();
        let mut raw = Vec::new();
        let mut prev_row = [0u8; 7];
        for (start, rows) in runs(&entries) {
            index.push_str(&format!("{start} {} ", rows.len()));
            for r in rows {
                raw.push(2); // PNG "Up"
                for i in 0..7 {
                    raw.push(r[i].wrapping_sub(prev_row[i]));
                }
                prev_row = *r;
            }
        }
        let data = flate(&raw);
        let prev = self
            .last_xref
            .map(|p| format!(" /Prev {p}"))
            .unwrap_or_default();
        let size = self.size;
        write!(
            self.buf,
            "{num} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Index [{index}] \
             /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> \
             /Length {}{prev} {trailer_extra} >>\nstream\n",
            data.len()
        )
        .unwrap();
        self.buf.extend_from_slice(&data);
        write!(
            self.buf,
            "\nendstream\nendobj\nstartxref\n{offset}\n%%EOF\n"
        )
        .unwrap();
        self.last_xref = Some(offset);
        self
    }

    /// A hybrid section: the compressed objects go into a hidden xref stream, the plain ones
    /// into a classic table whose trailer points at it with `/XRefStm`.
    pub fn hybrid(&mut self, stream_num: u32, trailer_extra: &str) -> &mut Self {
        self.note(stream_num);
        let stm_offset = self.here();
        let mut raw = Vec::new();
        let mut index = String::new();
        let compressed = std::mem::take(&mut self.compressed);
        let rows: BTreeMap<u32, (u32, u32)> = compressed;
        for (start, items) in runs(&rows) {
            index.push_str(&format!("{start} {} ", items.len()));
            for (stm, idx) in items {
                raw.push(2u8);
                raw.extend_from_slice(&(*stm as u16).to_be_bytes());
                raw.push(*idx as u8);
            }
        }
        write!(
            self.buf,
            "{stream_num} 0 obj\n<< /Type /XRef /Size {} /W [1 2 1] /Index [{index}] /Length {} >>\nstream\n",
            self.size,
            raw.len()
        )
        .unwrap();
        self.buf.extend_from_slice(&raw);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
        self.plain.insert(stream_num, stm_offset);
        self.xref_table(&format!("/XRefStm {stm_offset} {trailer_extra}"))
    }

    pub fn finish(&self) -> Vec<u8> {
        self.buf.clone()
    }
}

fn runs<T>(entries: &BTreeMap<u32, T>) -> Vec<(u32, Vec<&T>)> {
    let mut out: Vec<(u32, Vec<&T>)> = Vec::new();
    for (n, v) in entries {
        match out.last_mut() {
            Some((s, items)) if *s + items.len() as u32 == *n => items.push(v),
            _ => out.push((*n, vec![v])),
        }
    }
    out
}

pub const ID: &str = "/ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>]";
pub const CONTENT: &[u8] = b"BT /F1 24 Tf 72 700 Td (Hello, signer) Tj ET";
pub const FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
pub const PAGE: &str = "/Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
                        /Resources << /Font << /F1 5 0 R >> >>";

/// Catalog 1, pages 2, page 3, content 4, font 5, info 6; extras go into catalog and page.
pub fn base_objects(b: &mut PdfBuilder, catalog_extra: &str, page_extra: &str) {
    b.obj(
        1,
        &format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
    );
    b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    b.obj(3, &format!("<< {PAGE} {page_extra} >>"));
    b.stream(4, "", CONTENT);
    b.obj(5, FONT);
    b.obj(
        6,
        "<< /Producer (signstash test) /Title (Caf\\351 \\(draft\\)) >>",
    );
}

pub fn classic() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(&mut b, "", "");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// PDF 1.5 style: catalog, page tree (two levels) and page inside an object stream, an
/// indirect `/Length`, and a compressed cross-reference stream with a PNG predictor.
pub fn xref_stream_with_object_stream() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    b.object_stream(
        7,
        &[
            (1, "<< /Type /Catalog /Pages 2 0 R /Lang (en) >>"),
            (2, "<< /Type /Pages /Kids [9 0 R] /Count 1 >>"),
            (9, "<< /Type /Pages /Parent 2 0 R /Kids [3 0 R] /Count 1 >>"),
            (3, "<< /Type /Page /Parent 9 0 R /MediaBox [0 0 595.28 841.89] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Rotate 0 >>"),
        ],
    );
    b.obj(
        4,
        "<< /Length 10 0 R >>\nstream\nBT /F1 24 Tf 72 700 Td (Hello, signer) Tj ET\nendstream",
    );
    b.obj(10, &CONTENT.len().to_string());
    b.obj(5, FONT);
    b.obj(6, "<< /Producer (signstash test) >>");
    b.xref_stream(8, &format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// Classic table plus `/XRefStm` (PDF 1.5 hybrid): catalog and pages only in the stream.
pub fn hybrid() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    b.object_stream(
        7,
        &[
            (1, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, &format!("<< {PAGE} >>")),
        ],
    );
    b.stream(4, "", CONTENT);
    b.obj(5, FONT);
    b.obj(6, "<< /Producer (signstash test) >>");
    b.hybrid(8, &format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// A classic file followed by one incremental update that rewrites the page and the info.
pub fn incrementally_updated() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(&mut b, "", "");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.obj(3, &format!("<< {PAGE} /Rotate 90 >>"));
    b.obj(6, "<< /Producer (signstash test, updated) >>");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// An indirect `/AcroForm` with a text field (named like our default, with a kid named like
/// our second choice) and an unsigned signature field: the new field must be `Signature4`.
pub fn with_form_fields() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(&mut b, "/AcroForm 7 0 R", "/Annots [9 0 R]");
    b.obj(
        7,
        "<< /Fields [8 0 R 10 0 R] /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> /NeedAppearances false >>",
    );
    b.obj(8, "<< /FT /Tx /T (Signature1) /Kids [9 0 R] >>");
    b.obj(
        9,
        "<< /Type /Annot /Subtype /Widget /Parent 8 0 R /T (Signature2) /Rect [72 72 272 92] /P 3 0 R /F 4 >>",
    );
    b.obj(10, "<< /FT /Sig /T (Signature3) >>");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

pub fn with_inline_acroform() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(
        &mut b,
        "/AcroForm << /Fields [] /NeedAppearances true /DA (/Helv 0 Tf 0 g) >>",
        "",
    );
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// `/Annots` and `/Fields` are both indirect arrays: those arrays are what must be rewritten.
pub fn with_indirect_arrays() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(&mut b, "/AcroForm << /Fields 9 0 R >>", "/Annots 7 0 R");
    b.obj(7, "[8 0 R]");
    b.obj(
        8,
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /Border [0 0 0] /P 3 0 R >>",
    );
    b.obj(9, "[]");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// About 10 MB: an uncompressed image XObject on the page.
pub fn big(image_bytes: usize) -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(&mut b, "", "");
    let width = 1000;
    let height = image_bytes / (3 * width);
    let mut data = vec![0u8; width * height * 3];
    let mut x = 0x2545F4914F6CDD1Du64;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    b.stream(
        7,
        &format!("/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB /BitsPerComponent 8"),
        &data,
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 7 0 R >> >> >>",
    );
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

/// Junk before the header, offsets counted from the header.
pub fn with_junk_before_header() -> Vec<u8> {
    let mut b = PdfBuilder::with_junk(b"Content-Type: application/pdf\r\n\r\n");
    base_objects(&mut b, "", "");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

pub fn options(capacity: usize) -> SignatureFieldOptions {
    SignatureFieldOptions {
        contents_capacity: capacity,
        reason: Some("Approved (final) \\ ok".into()),
        location: Some("Zürich".into()),
        // 2024-05-06T07:08:09Z
        signing_time: UNIX_EPOCH + Duration::from_secs(1_714_979_289),
        sub_filter: "ETSI.CAdES.detached".into(),
        visible: None,
    }
}

/// Something shaped like a DER SEQUENCE, with no zero bytes at the end so truncation shows.
pub fn fake_cms(len: usize) -> Vec<u8> {
    let mut v = vec![0x30, 0x82, ((len - 4) >> 8) as u8, (len - 4) as u8];
    v.extend((4..len).map(|i| (i % 251) as u8 | 1));
    v
}

pub struct Signed {
    pub prepared: PreparedPdf,
    pub output: Vec<u8>,
    pub cms: Vec<u8>,
}

pub fn sign(original: &[u8]) -> Signed {
    let mut prepared = signstash_pdf::prepare_signature(original, &options(8192))
        .unwrap_or_else(|e| panic!("prepare failed: {e}"));
    let cms = fake_cms(3000);
    prepared.embed_signature(&cms).unwrap();
    let mut output = Vec::new();
    prepared.write_to(original, &mut output).unwrap();
    Signed {
        prepared,
        output,
        cms,
    }
}

fn resolve_dict(doc: &Document<'_>, obj: Option<&Object>, what: &str) -> signstash_pdf::Dict {
    match doc
        .resolve(obj.unwrap_or_else(|| panic!("{what} missing")))
        .unwrap()
    {
        Object::Dict(d) => d,
        other => panic!("{what} is not a dictionary: {other:?}"),
    }
}

fn resolve_array(doc: &Document<'_>, obj: Option<&Object>, what: &str) -> Vec<Object> {
    match doc
        .resolve(obj.unwrap_or_else(|| panic!("{what} missing")))
        .unwrap()
    {
        Object::Array(a) => a,
        other => panic!("{what} is not an array: {other:?}"),
    }
}

/// [`verify_structure`], then `qpdf --check`.
pub fn verify(name: &str, original: &[u8], s: &Signed) {
    verify_structure(name, original, s);
    qpdf_check(name, &s.output);
}

/// Reads the signed file back with our own reader and checks every promise of the update.
pub fn verify_structure(name: &str, original: &[u8], s: &Signed) {
    let out = &s.output;
    assert!(
        out.starts_with(original),
        "{name}: original is not a prefix"
    );
    assert_eq!(out.len() as u64, s.prepared.len());

    // ByteRange covers everything but the Contents hex string.
    let br = s.prepared.byte_range();
    assert_eq!(br[0], 0);
    assert_eq!(
        br[2] + br[3],
        out.len() as u64,
        "{name}: ByteRange must reach the end"
    );
    let (a, b) = (br[1] as usize, br[2] as usize);
    assert!(a >= original.len(), "{name}: the gap must be in the update");
    assert_eq!(out[a], b'<');
    assert_eq!(out[b - 1], b'>');
    let hex = &out[a + 1..b - 1];
    assert_eq!(hex.len(), 2 * s.prepared.contents_capacity());
    assert!(hex.iter().all(u8::is_ascii_hexdigit));
    let mut signed = Vec::new();
    for p in s.prepared.signed_parts(original) {
        signed.extend_from_slice(p);
    }
    let mut expected = out[..a].to_vec();
    expected.extend_from_slice(&out[b..]);
    assert_eq!(
        signed, expected,
        "{name}: signed_parts differ from ByteRange"
    );

    let before = Document::open(original).unwrap();
    let (old_root, old_catalog) = before.catalog().unwrap();
    let old_fields: Vec<Object> = old_catalog
        .get(b"AcroForm")
        .map(|f| resolve_dict(&before, Some(f), "old AcroForm"))
        .and_then(|f| f.get(b"Fields").cloned())
        .map(|f| resolve_array(&before, Some(&f), "old Fields"))
        .unwrap_or_default();

    let doc = Document::open(out).unwrap_or_else(|e| panic!("{name}: output does not open: {e}"));
    let (root, catalog) = doc.catalog().unwrap();
    assert_eq!(root, old_root);
    assert_eq!(doc.trailer().get(b"Info"), before.trailer().get(b"Info"));
    assert_eq!(doc.trailer().get(b"ID"), before.trailer().get(b"ID"));
    assert_eq!(doc.newest_is_xref_stream(), before.newest_is_xref_stream());
    for (k, v) in old_catalog.iter() {
        if k != b"AcroForm" {
            assert_eq!(catalog.get(k), Some(v), "{name}: catalog key lost");
        }
    }
    let form = resolve_dict(&doc, catalog.get(b"AcroForm"), "AcroForm");
    assert_eq!(form.get(b"SigFlags"), Some(&Object::Int(3)));
    let fields = resolve_array(&doc, form.get(b"Fields"), "Fields");
    assert_eq!(
        fields.len(),
        old_fields.len() + 1,
        "{name}: exactly one new field"
    );
    for f in &old_fields {
        assert!(fields.contains(f), "{name}: an old field was dropped");
    }
    let field_ref = fields
        .iter()
        .find_map(|f| {
            let r = f.as_reference()?;
            let d = doc.get(r).ok()?;
            let t = d.as_dict()?.get(b"T")?.as_string()?.to_vec();
            (t == s.prepared.field_name().as_bytes()).then_some(r)
        })
        .unwrap_or_else(|| panic!("{name}: the new field is not in /Fields"));
    let field = resolve_dict(&doc, Some(&Object::Ref(field_ref)), "field");
    assert_eq!(field.get(b"FT"), Some(&Object::name("Sig")));
    assert_eq!(field.get(b"Subtype"), Some(&Object::name("Widget")));
    let sig = resolve_dict(&doc, field.get(b"V"), "signature dictionary");
    assert!(sig.has_type(b"Sig"));
    assert_eq!(
        sig.get(b"SubFilter"),
        Some(&Object::name("ETSI.CAdES.detached"))
    );
    assert_eq!(
        sig.get(b"ByteRange"),
        Some(&Object::Array(
            br.iter().map(|&v| Object::Int(v as i64)).collect()
        ))
    );
    let contents = sig.get(b"Contents").and_then(Object::as_string).unwrap();
    assert_eq!(&contents[..s.cms.len()], &s.cms[..]);
    assert!(contents[s.cms.len()..].iter().all(|&b| b == 0));
    assert_eq!(
        sig.get(b"M").and_then(Object::as_string),
        Some(&b"D:20240506070809+00'00'"[..])
    );
    let mut zurich = vec![0xfe, 0xff];
    for u in "Zürich".encode_utf16() {
        zurich.extend_from_slice(&u.to_be_bytes());
    }
    assert_eq!(
        sig.get(b"Location").and_then(Object::as_string),
        Some(&zurich[..])
    );
    assert_eq!(
        sig.get(b"Reason").and_then(Object::as_string),
        Some(&b"Approved (final) \\ ok"[..])
    );

    let (page_ref, page) = doc.first_page(&catalog).unwrap();
    let (old_page_ref, old_page) = before.first_page(&old_catalog).unwrap();
    assert_eq!(page_ref, old_page_ref);
    assert_eq!(field.get(b"P"), Some(&Object::Ref(page_ref)));
    let annots = resolve_array(&doc, page.get(b"Annots"), "Annots");
    assert!(
        annots.contains(&Object::Ref(field_ref)),
        "{name}: widget not on the page"
    );
    for (k, v) in old_page.iter() {
        if k != b"Annots" {
            assert_eq!(page.get(k), Some(v), "{name}: page key lost");
        }
    }
}

/// `qpdf --check` must find nothing to complain about (exit 0, not even a warning).
pub fn qpdf_check(name: &str, bytes: &[u8]) {
    if Command::new("qpdf").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "qpdf is not installed (cargo xtask test installs it)"
        );
        eprintln!("note: qpdf is not installed; skipping its check of {name}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.pdf"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() != Some(0) {
        if let Ok(dir) = std::env::var("SIGNSTASH_PDF_KEEP") {
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{name}.pdf")),
                bytes,
            )
            .unwrap();
        }
        panic!(
            "{name}: qpdf --check failed ({:?}):\n{text}",
            out.status.code()
        );
    }
    assert!(
        text.contains("No syntax or stream encoding errors"),
        "{name}: {text}"
    );
}

pub fn obj_ref(num: u32) -> Object {
    Object::Ref(ObjRef::new(num, 0))
}
