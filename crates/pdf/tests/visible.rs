//! Visible signatures over the file shapes the reader handles, checked with our reader (the
//! widget, its page, its appearance) and `qpdf --check`; the placeholder search over the text
//! operators and matrices generators use; existing fields in their usual shapes. The
//! validators' verdict and the rendering are in `signstash-signing`'s tests.
#![allow(clippy::unwrap_used)]

mod support;

use signstash_pdf::{
    prepare_signature, Dict, Document, Error, Object, Placement, Rgb, SignatureImage,
    VisibleSignature,
};
use support::*;

fn visible_options(v: VisibleSignature) -> signstash_pdf::SignatureFieldOptions {
    let mut opts = options(8192);
    opts.visible = Some(v);
    opts
}

fn sign_visible(name: &str, original: &[u8], v: VisibleSignature) -> Vec<u8> {
    let mut prepared =
        prepare_signature(original, &visible_options(v)).unwrap_or_else(|e| panic!("{name}: {e}"));
    prepared.embed_signature(&fake_cms(3000)).unwrap();
    let mut out = Vec::new();
    prepared.write_to(original, &mut out).unwrap();
    assert!(out.starts_with(original), "{name}: original not kept");
    qpdf_check(name, &out);
    out
}

fn dict(doc: &Document<'_>, o: &Object) -> Dict {
    doc.resolve(o).unwrap().as_dict().unwrap().clone()
}

fn numbers(doc: &Document<'_>, o: &Object) -> Vec<f64> {
    doc.resolve(o)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| match v {
            Object::Int(i) => *i as f64,
            Object::Real(r) => *r,
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

/// The signed widget: (page number from 1, its dictionary), found through the pages' /Annots.
fn signed_widget(out: &[u8]) -> (usize, Dict) {
    let doc = Document::open(out).unwrap();
    let (_, catalog) = doc.catalog().unwrap();
    let mut found = None;
    doc.visit_pages(&catalog, |p| {
        let annots = p
            .dict
            .get(b"Annots")
            .map(|a| doc.resolve(a).unwrap())
            .unwrap_or(Object::Null);
        for a in annots.as_array().unwrap_or_default() {
            let w = dict(&doc, a);
            let has_value = w.get(b"V").is_some()
                || w.get(b"Parent")
                    .is_some_and(|p| dict(&doc, p).get(b"V").is_some());
            if w.get(b"AP").is_some() && has_value {
                found = Some((p.number, w));
            }
        }
        Ok(found.is_some())
    })
    .unwrap();
    found.expect("a widget with an appearance")
}

fn assert_widget(out: &[u8], page: usize, rect: [f64; 4]) -> Dict {
    let (p, w) = signed_widget(out);
    assert_eq!(p, page);
    let doc = Document::open(out).unwrap();
    let got = numbers(&doc, w.get(b"Rect").unwrap());
    for (a, b) in got.iter().zip(rect) {
        assert!((a - b).abs() < 0.001, "rect {got:?}, expected {rect:?}");
    }
    // The appearance is a form XObject as large as the rectangle.
    let ap = dict(&doc, w.get(b"AP").unwrap());
    let n = doc.resolve(ap.get(b"N").unwrap()).unwrap();
    let Object::Stream(form) = n else {
        panic!("/AP /N is not a stream")
    };
    assert!(form.dict.get(b"Subtype").and_then(Object::as_name) == Some(b"Form"));
    let bbox = numbers(&doc, form.dict.get(b"BBox").unwrap());
    assert!((bbox[2] - (rect[2] - rect[0])).abs() < 0.001, "{bbox:?}");
    assert!((bbox[3] - (rect[3] - rect[1])).abs() < 0.001, "{bbox:?}");
    w
}

fn at(page: usize, x: f64, y: f64) -> VisibleSignature {
    let mut v = VisibleSignature::new(Placement::Coordinate { page, x, y }, 155.0, 50.0);
    v.text = "Signed by (someone) \\ Zürich €\nsecond line".into();
    v.background = Some(Rgb(255, 255, 200));
    v
}

#[test]
fn coordinates_over_every_file_shape() {
    let shapes: Vec<(&str, Vec<u8>)> = vec![
        ("classic", classic()),
        ("xref-stream", xref_stream_with_object_stream()),
        ("hybrid", hybrid()),
        ("incremental", incrementally_updated()),
        ("form-fields", with_form_fields()),
        ("inline-acroform", with_inline_acroform()),
        ("indirect-arrays", with_indirect_arrays()),
    ];
    for (name, original) in shapes {
        let out = sign_visible(name, &original, at(1, 70.0, 100.0));
        assert_widget(&out, 1, [70.0, 100.0, 225.0, 150.0]);
        // The text is WinAnsi with its parentheses and backslash escaped.
        let update = String::from_utf8_lossy(&out[original.len()..]).into_owned();
        assert!(
            update.contains("(Signed by \\(someone\\) \\\\ Z\\374rich \\200)"),
            "{name}: {update}"
        );
        assert!(update.contains("/BaseFont /Helvetica /Encoding /WinAnsiEncoding"));
    }
}

#[test]
fn pages_inherit_their_boxes_and_count_from_one() {
    // Two pages under an intermediate node that gives page 2 its MediaBox and CropBox.
    let mut b = PdfBuilder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R 7 0 R] /Count 2 >>");
    b.obj(3, &format!("<< {PAGE} >>"));
    b.stream(4, "", CONTENT);
    b.obj(5, FONT);
    b.obj(6, "<< /Producer (signstash test) >>");
    b.obj(
        7,
        "<< /Type /Pages /Parent 2 0 R /Kids [8 0 R] /Count 1 /MediaBox [0 0 400 400] /CropBox [100 50 300 350] >>",
    );
    b.obj(8, "<< /Type /Page /Parent 7 0 R /Contents 4 0 R >>");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    let original = b.finish();
    let out = sign_visible("inherited-boxes", &original, at(2, 10.0, 20.0));
    let w = assert_widget(&out, 2, [110.0, 70.0, 265.0, 120.0]);
    assert_eq!(w.get(b"P"), Some(&obj_ref(8)));
    // The crop box is 200 points wide: x=50 + 155 does not fit.
    match prepare_signature(&original, &visible_options(at(2, 50.0, 20.0))) {
        Err(Error::VisibleSignature(m)) => assert!(
            m.contains("not inside page 2, which is 200 × 300 points"),
            "{m}"
        ),
        other => panic!("{:?}", other.map(|_| ())),
    }
    match prepare_signature(&original, &visible_options(at(3, 0.0, 0.0))) {
        Err(Error::VisibleSignature(m)) => assert!(m.contains("has 2 pages"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

fn placeholder_pdf(content: &[u8], font_extra: &str) -> Vec<u8> {
    placeholder_pdf_with(content, "Type1", font_extra)
}

fn placeholder_pdf_with(content: &[u8], subtype: &str, font_extra: &str) -> Vec<u8> {
    let mut b = PdfBuilder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R 7 0 R] /Resources << /Font << /F1 5 0 R /F2 8 0 R >> >> >>",
    );
    b.stream(4, "/Filter /FlateDecode", &flate(b"q 1 0 0 1 10 20 cm"));
    b.obj(5, FONT);
    b.obj(6, "<< /Producer (signstash test) >>");
    b.stream(7, "/Filter /FlateDecode", &flate(content));
    b.obj(
        8,
        &format!("<< /Type /Font /Subtype /{subtype} /BaseFont /Custom {font_extra} >>"),
    );
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

fn placeholder_rect(name: &str, content: &[u8], font_extra: &str) -> [f64; 4] {
    let original = placeholder_pdf(content, font_extra);
    let v = VisibleSignature::new(Placement::Placeholder("SIGN_HERE".into()), 100.0, 40.0);
    let out = sign_visible(name, &original, v);
    let (_, w) = signed_widget(&out);
    let doc = Document::open(&out).unwrap();
    let r = numbers(&doc, w.get(b"Rect").unwrap());
    [r[0], r[1], r[2], r[3]]
}

/// The top of a 10-point word in a font without a descriptor, above its baseline: Helvetica's
/// ascender (0.718 em) and the allowance for a substitute font (0.05 em).
const ASCENT_10: f64 = 7.68;

/// The 100 × 40 area hangs from (`x`, `top`): its upper-left corner is there.
fn close(a: [f64; 4], x: f64, top: f64) {
    let expected = [x, top - 40.0, x + 100.0, top];
    assert!(
        a.iter().zip(expected).all(|(a, b)| (a - b).abs() < 0.01),
        "{a:?}, expected {expected:?}"
    );
}

#[test]
fn placeholder_text_position_through_the_text_operators() {
    // The content streams are joined: the cm of the first stream (10, 20) applies to all.
    // Td after Tm, in the middle of a Tj string (Helvetica metrics: "ab " = 556+556+278).
    close(
        placeholder_rect(
            "tj",
            b"BT /F1 10 Tf 1 0 0 1 100 200 Tm 5 5 Td (ab SIGN_HERE) Tj ET Q",
            "",
        ),
        10.0 + 105.0 + 13.9,
        20.0 + 205.0 + ASCENT_10,
    );
    // TL and T*, then ' (next line) — with a 2× scaling cm inside q/Q, which scales the
    // ascent too.
    close(
        placeholder_rect(
            "quote",
            b"q 2 0 0 2 0 0 cm BT /F1 10 Tf 12 TL 50 300 Td (first) Tj T* (second) Tj (SIGN_HERE) ' ET Q Q",
            "",
        ),
        10.0 + 100.0,
        20.0 + 2.0 * (300.0 - 24.0 + ASCENT_10),
    );
    // TD sets the leading; " sets word and character spacing; the font has /Widths (and no
    // descriptor: Helvetica's ascent).
    close(
        placeholder_rect(
            "doublequote",
            b"BT /F2 10 Tf 0 0 Td 100 100 TD 0 -10 TD 2 1 (A SIGN_HERE) \" ET Q",
            "/FirstChar 32 /LastChar 65 /Widths [250 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 700]",
        ),
        // A: 7 + 1 (Tc); space: 2.5 + 1 (Tc) + 2 (Tw).
        10.0 + 100.0 + 8.0 + 5.5,
        20.0 + 100.0 - 10.0 - 10.0 + ASCENT_10,
    );
    // A TJ array with kerning, a hex string, and the word split over two elements.
    close(
        placeholder_rect(
            "tj-array",
            b"BT /F1 10 Tf 72 72 Td [(Assinatura:) -250 <5349474E> (_HERE)] TJ ET Q",
            "",
        ),
        10.0 + 72.0 + 50.02 + 2.5,
        20.0 + 72.0 + ASCENT_10,
    );
    // An inline image before the text does not derail the parser.
    close(
        placeholder_rect(
            "inline-image",
            b"BI /W 2 /H 1 /BPC 8 /CS /G ID \x00\xff\nEI BT /F1 10 Tf 30 40 Td (SIGN_HERE) Tj ET Q",
            "",
        ),
        10.0 + 30.0,
        20.0 + 40.0 + ASCENT_10,
    );
}

#[test]
fn placeholder_top_is_the_fonts_ascent_above_the_baseline() {
    // The font descriptor's /Ascent (900/1000 em at 20 points, raised 3 points by Ts).
    close(
        placeholder_rect(
            "descriptor-ascent",
            b"BT /F2 20 Tf 3 Ts 50 100 Td (SIGN_HERE) Tj ET Q",
            "/FontDescriptor << /Type /FontDescriptor /Ascent 900 /Descent -200 >>",
        ),
        10.0 + 50.0,
        20.0 + 100.0 + 3.0 + 18.0,
    );
    // An ascent of 0 is no ascent: the standard metrics (a font named Custom: Helvetica's, with
    // the allowance).
    close(
        placeholder_rect(
            "zero-ascent",
            b"BT /F2 10 Tf 50 100 Td (SIGN_HERE) Tj ET Q",
            "/FontDescriptor << /Type /FontDescriptor /Ascent 0 >>",
        ),
        10.0 + 50.0,
        20.0 + 100.0 + ASCENT_10,
    );
}

#[test]
fn placeholder_too_near_the_edge_signs_nothing() {
    // Baseline at 20 + 30 = 50, top at 57.68: a 40-point area reaches 17.68, inside; 60 points
    // would reach below the page. The same near the right edge (612 points wide).
    let original = placeholder_pdf(b"BT /F1 10 Tf 30 30 Td (SIGN_HERE) Tj ET Q", "");
    let fits = VisibleSignature::new(Placement::Placeholder("SIGN_HERE".into()), 100.0, 40.0);
    assert!(prepare_signature(&original, &visible_options(fits)).is_ok());
    for (width, height) in [(100.0, 60.0), (600.0, 40.0)] {
        let v = VisibleSignature::new(Placement::Placeholder("SIGN_HERE".into()), width, height);
        match prepare_signature(&original, &visible_options(v)) {
            Err(Error::VisibleSignature(m)) => assert!(
                m.contains(&format!(
                    "the signature area of {width} × {height} points, its upper-left corner at the placeholder `SIGN_HERE` (x=40, y=57.68), would leave page 1, which is 612 × 792 points"
                )),
                "{m}"
            ),
            other => panic!("{width} × {height}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn placeholder_not_found_signs_nothing() {
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "absent",
            b"BT /F1 10 Tf 72 72 Td (nothing here) Tj ET Q",
            "Type1",
        ),
        // Split over two show operators: not followed.
        (
            "split",
            b"BT /F1 10 Tf 72 72 Td (SIGN_) Tj (HERE) Tj ET Q",
            "Type1",
        ),
        // A composite font's strings are not read as text.
        (
            "type0",
            b"BT /F2 10 Tf 72 72 Td (SIGN_HERE) Tj ET Q",
            "Type0",
        ),
    ];
    for (name, content, subtype) in cases {
        let original = placeholder_pdf_with(content, subtype, "");
        let v = VisibleSignature::new(Placement::Placeholder("SIGN_HERE".into()), 100.0, 40.0);
        match prepare_signature(&original, &visible_options(v)) {
            Err(Error::VisibleSignature(m)) => {
                assert!(m.contains("`SIGN_HERE` was not found"), "{name}: {m}")
            }
            other => panic!("{name}: {:?}", other.map(|_| ())),
        }
    }
}

/// A form with a hierarchical signature field `form.approval` whose widget is a separate kid
/// without /P, a hidden-flagged widget, and a signed field.
fn form_with_fields() -> Vec<u8> {
    let mut b = PdfBuilder::new();
    base_objects(&mut b, "/AcroForm 7 0 R", "/Annots [10 0 R 12 0 R]");
    b.obj(7, "<< /Fields [8 0 R 11 0 R 12 0 R] >>");
    b.obj(8, "<< /T (form) /Kids [9 0 R] >>");
    b.obj(
        9,
        "<< /T (approval) /FT /Sig /Parent 8 0 R /Kids [10 0 R] >>",
    );
    b.obj(
        10,
        "<< /Type /Annot /Subtype /Widget /Parent 9 0 R /Rect [400 50 300 100] /F 2 >>",
    );
    b.obj(
        11,
        "<< /Type /Annot /Subtype /Widget /FT /Sig /T (done) /V 13 0 R /Rect [10 10 110 60] /P 3 0 R >>",
    );
    b.obj(
        12,
        "<< /Type /Annot /Subtype /Widget /FT /Sig /T (flat) /Rect [10 10 10 60] /P 3 0 R >>",
    );
    b.obj(13, "<< /Type /Sig >>");
    b.xref_table(&format!("/Root 1 0 R /Info 6 0 R {ID}"));
    b.finish()
}

#[test]
fn sign_into_an_existing_field() {
    let original = form_with_fields();
    let field = |n: &str| VisibleSignature::new(Placement::SignField(n.into()), 0.0, 0.0);
    let mut v = field("form.approval");
    v.text = "Approved".into();
    let mut prepared = prepare_signature(&original, &visible_options(v)).unwrap();
    assert_eq!(prepared.field_name(), "form.approval");
    prepared.embed_signature(&fake_cms(3000)).unwrap();
    let mut out = Vec::new();
    prepared.write_to(&original, &mut out).unwrap();
    qpdf_check("existing-field", &out);
    let doc = Document::open(&out).unwrap();
    // The field has its value, the widget its appearance, is no longer hidden and points at
    // its page; the form gained no field.
    let field9 = dict(&doc, &obj_ref(9));
    assert_eq!(
        field9.get(b"V"),
        Some(&Object::Ref(prepared.signature_reference()))
    );
    let widget = dict(&doc, &obj_ref(10));
    assert!(widget.get(b"AP").is_some());
    assert_eq!(widget.get(b"F"), Some(&Object::Int(4)));
    assert_eq!(widget.get(b"P"), Some(&obj_ref(3)));
    assert_eq!(
        numbers(&doc, widget.get(b"Rect").unwrap()),
        vec![400.0, 50.0, 300.0, 100.0]
    );
    let form = dict(&doc, &obj_ref(7));
    assert_eq!(
        form.get(b"Fields"),
        Some(&Object::Array(vec![obj_ref(8), obj_ref(11), obj_ref(12)]))
    );
    assert_eq!(form.get(b"SigFlags"), Some(&Object::Int(3)));
    // The partial name works too.
    assert!(prepare_signature(&original, &visible_options(field("approval"))).is_ok());

    for (name, words) in [
        ("done", "`done` is already signed"),
        ("flat", "`flat` has no area on the page"),
        ("form", "`form` is not a signature field"),
        ("nothing", "no signature field named `nothing`"),
    ] {
        match prepare_signature(&original, &visible_options(field(name))) {
            Err(Error::VisibleSignature(m)) => assert!(m.contains(words), "{name}: {m}"),
            other => panic!("{name}: {:?}", other.map(|_| ())),
        }
    }
    // The field is 100 × 50 points: a 120 × 10 image does not fit.
    let mut v = field("form.approval");
    v.image = Some(SignatureImage::Jpeg(tiny_jpeg(120, 10)));
    match prepare_signature(&original, &visible_options(v)) {
        Err(Error::VisibleSignature(m)) => assert!(
            m.contains("120 × 10 pixels, larger than the signature area of 100 × 50 points"),
            "{m}"
        ),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

/// The frame header of a JPEG is all this crate reads; the data goes in as it is.
fn tiny_jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut j = vec![0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 8];
    j.extend_from_slice(&height.to_be_bytes());
    j.extend_from_slice(&width.to_be_bytes());
    j.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
    j
}

#[test]
fn nothing_is_written_for_a_bad_request() {
    let original = classic();
    let mut v = at(1, 0.0, 0.0);
    v.width = f64::NAN;
    assert!(matches!(
        prepare_signature(&original, &visible_options(v)),
        Err(Error::VisibleSignature(_))
    ));
    let mut v = at(1, 0.0, 0.0);
    v.font_size = 0.0;
    assert!(matches!(
        prepare_signature(&original, &visible_options(v)),
        Err(Error::VisibleSignature(_))
    ));
    let v = VisibleSignature::new(
        Placement::Coordinate {
            page: 0,
            x: 0.0,
            y: 0.0,
        },
        10.0,
        10.0,
    );
    assert!(matches!(
        prepare_signature(&original, &visible_options(v)),
        Err(Error::VisibleSignature(_))
    ));
}

#[test]
fn hostile_page_content_is_not_found_never_a_panic() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    const ALPHABET: &[u8] = b"()<>[]{}/%\\ \n0123456789.-+BTETTjTJTdTmcmqQBIIDEI'\"SIGN_HERE";
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ALPHABET[(x % ALPHABET.len() as u64) as usize]
            })
            .collect()
    };
    let mut cases: Vec<Vec<u8>> = (0..200).map(|i| noise(50 + i * 7)).collect();
    cases.push(b"[".repeat(10_000));
    cases.push(b"BT /F1 1e999 Tf 1e999 0 0 1 0 0 Tm (SIGN_HERE) Tj ET".to_vec());
    cases.push(b"BI /W 1 ID (SIGN_HERE) Tj".to_vec());
    cases.push(b"q ".repeat(100_000));
    for content in cases {
        let original = placeholder_pdf(&content, "");
        let v = VisibleSignature::new(Placement::Placeholder("SIGN_HERE".into()), 100.0, 40.0);
        // Found somewhere sensible, or refused with the visible-signature error.
        match prepare_signature(&original, &visible_options(v)) {
            Ok(_) | Err(Error::VisibleSignature(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
}
