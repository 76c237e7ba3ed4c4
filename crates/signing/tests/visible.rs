//! Visible PAdES signatures at each placement, judged by programs we did not write: pyHanko
//! and pdfsig accept them (and refuse them after a one-byte tamper), qpdf reads the widget's
//! rectangle back where it was asked, and poppler's renderer shows the appearance drawing in
//! that rectangle. Every way a visible signature can fail gives `Error::VisibleSignature`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use bytes::Bytes;
use signstash_signing::visible::{Area, Font, Placement, Rgb, SignatureImage, Template};
use signstash_signing::{Error, Format, KeyFileSigner, SignatureParams, VisibleSignature};
use signstash_test_support::pki::TestPki;
use signstash_test_support::{corpus, pdf_inspect, tamper, validators};

struct Env {
    pki: TestPki,
    signer: KeyFileSigner,
    dir: tempfile::TempDir,
}

fn env() -> Env {
    let pki = TestPki::new();
    let s = pki.dev_signer();
    let signer = KeyFileSigner::from_pem(
        &std::fs::read(&s.key).unwrap(),
        &std::fs::read(&s.cert).unwrap(),
        Some(&std::fs::read(pki.ca()).unwrap()),
    )
    .unwrap();
    Env {
        pki,
        signer,
        dir: tempfile::tempdir().unwrap(),
    }
}

fn sign(e: &Env, pdf: &[u8], visible: VisibleSignature) -> Result<Vec<u8>, Error> {
    let mut params = SignatureParams::new(Format::Pades);
    params.reason = Some("Invoice approved".into());
    params.location = Some("Lisboa".into());
    params.visible = Some(visible);
    signstash_signing::sign(Bytes::from(pdf.to_vec()), &params, &e.signer, None).map(|d| d.to_vec())
}

fn check(v: Option<Result<String, String>>, what: &str, valid: bool) {
    match v {
        None => {}
        Some(Ok(report)) => assert!(valid, "{what}: accepted after tampering:\n{report}"),
        Some(Err(report)) => assert!(!valid, "{what}: refused:\n{report}"),
    }
}

/// pyHanko and pdfsig accept the file; both refuse it with one byte of the appearance changed.
fn validate(e: &Env, signed: &[u8], what: &str) {
    let path = e.dir.path().join(format!("{what}.pdf"));
    std::fs::write(&path, signed).unwrap();
    check(
        validators::pyhanko(&path, &e.pki.ca()),
        &format!("{what} pyHanko"),
        true,
    );
    check(
        validators::pdfsig(&path, &e.pki.ca()),
        &format!("{what} pdfsig"),
        true,
    );
    // The first byte of the appearance stream's content.
    let form = signed
        .windows(14)
        .rposition(|w| w == b"/Subtype /Form")
        .unwrap();
    let at = form
        + signed[form..]
            .windows(7)
            .position(|w| w == b"stream\n")
            .unwrap()
        + 7;
    let tampered = e.dir.path().join(format!("{what}-tampered.pdf"));
    std::fs::write(&tampered, tamper(signed, at)).unwrap();
    check(
        validators::pyhanko(&tampered, &e.pki.ca()),
        &format!("{what} pyHanko tampered"),
        false,
    );
    check(
        validators::pdfsig(&tampered, &e.pki.ca()),
        &format!("{what} pdfsig tampered"),
        false,
    );
}

/// What qpdf says about the signature fields.
fn signature_fields(e: &Env, pdf: &[u8]) -> Option<Vec<pdf_inspect::SigField>> {
    let path = e.dir.path().join("fields.pdf");
    std::fs::write(&path, pdf).unwrap();
    pdf_inspect::signature_fields(&path)
}

/// The rectangle of the one signed signature field, checked to be on `page`.
fn signed_rect(e: &Env, pdf: &[u8], page: u64) -> Option<Vec<f64>> {
    let fields = signature_fields(e, pdf)?;
    let signed: Vec<_> = fields.into_iter().filter(|f| f.signed).collect();
    assert_eq!(signed.len(), 1, "{signed:?}");
    assert_eq!(signed[0].page, page, "{signed:?}");
    Some(signed[0].rect.clone())
}

fn assert_rect(actual: &[f64], expected: [f64; 4]) {
    assert_eq!(actual.len(), 4);
    for (a, b) in actual.iter().zip(expected) {
        assert!(
            (a - b).abs() < 0.01,
            "rect {actual:?}, expected {expected:?}"
        );
    }
}

/// Page `page` rendered by poppler at 72 dpi (one pixel per point).
fn render(e: &Env, pdf: &[u8], page: u32) -> Option<pdf_inspect::Rendering> {
    let path = e.dir.path().join("render.pdf");
    std::fs::write(&path, pdf).unwrap();
    pdf_inspect::render(&path, page, 72)
}

/// Pixels of `rect` (user space, on a page whose visible region starts at `origin` and is
/// `page_height` high) that are not white in the signed rendering, and that differ from the
/// unsigned one. One pixel is kept clear of each edge (anti-aliasing).
fn drawn_pixels(
    e: &Env,
    original: &[u8],
    signed: &[u8],
    page: u32,
    rect: &[f64],
    origin: (f64, f64),
) -> Option<(usize, usize, usize)> {
    let after = render(e, signed, page)?;
    let before = render(e, original, page)?;
    assert_eq!((after.width, after.height), (before.width, before.height));
    // One pixel is kept clear of each edge (anti-aliasing).
    let inner = [rect[0] + 1.0, rect[1] + 1.0, rect[2] - 1.0, rect[3] - 1.0];
    let (mut not_white, mut changed, mut total) = (0, 0, 0);
    for (x, y) in after.pixels_in(&inner, origin) {
        total += 1;
        if after.pixel(x, y).iter().any(|&c| c < 240) {
            not_white += 1;
        }
        if after.pixel(x, y) != before.pixel(x, y) {
            changed += 1;
        }
    }
    Some((not_white, changed, total))
}

fn assert_draws(
    e: &Env,
    original: &[u8],
    signed: &[u8],
    page: u32,
    rect: &[f64],
    origin: (f64, f64),
) {
    if let Some((not_white, changed, total)) = drawn_pixels(e, original, signed, page, rect, origin)
    {
        assert!(total > 1000, "area of {total} pixels");
        // Text alone covers a few percent of an area; a background all of it.
        assert!(
            not_white * 50 > total && changed * 50 > total,
            "{not_white} pixels not white and {changed} changed of {total}"
        );
    }
}

/// A `width` × `height` RGBA PNG: a blue disc on a transparent background.
fn png_image(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        let (cx, cy, r) = (
            width as f64 / 2.0,
            height as f64 / 2.0,
            width.min(height) as f64 / 2.0,
        );
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                let inside = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt() < r;
                data.extend_from_slice(&[20, 40, 200, if inside { 255 } else { 0 }]);
            }
        }
        writer.write_image_data(&data).unwrap();
    }
    out
}

fn coordinate(page: usize, x: f64, y: f64, width: f64, height: f64) -> VisibleSignature {
    VisibleSignature::new(
        Placement::Coordinate { page, x, y },
        Some(Area { width, height }),
    )
}

#[test]
fn coordinate_placement_on_a_cropped_second_page_and_on_object_streams() {
    let e = env();
    let original = corpus::pdf_two_pages();
    let mut v = coordinate(2, 70.0, 100.0, 155.0, 50.0);
    v.background = Some(Rgb(255, 250, 205));
    v.font = Font {
        color: Rgb(0, 0, 160),
        size: 9.0,
    };
    let signed = sign(&e, &original, v.clone()).unwrap();
    assert!(signed.starts_with(&original), "an append-only update");
    validate(&e, &signed, "coordinate");
    let [cx, cy, ..] = corpus::SECOND_PAGE_CROP_BOX;
    let expected = [cx + 70.0, cy + 100.0, cx + 225.0, cy + 150.0];
    if let Some(rect) = signed_rect(&e, &signed, 2) {
        assert_rect(&rect, expected);
    }
    assert_draws(&e, &original, &signed, 2, &expected, (cx, cy));

    // A file with a cross-reference stream and object streams, page 1 (MediaBox only).
    if let Some(original) = corpus::pdf(corpus::PdfKind::ObjectStreams, 2048) {
        let mut v = coordinate(1, 300.0, 40.0, 200.0, 60.0);
        v.template = Some(Template::parse("Assinado por ${signer}\n${date}").unwrap());
        let signed = sign(&e, &original, v).unwrap();
        validate(&e, &signed, "coordinate-object-streams");
        let expected = [300.0, 40.0, 500.0, 100.0];
        if let Some(rect) = signed_rect(&e, &signed, 1) {
            assert_rect(&rect, expected);
        }
        assert_draws(&e, &original, &signed, 1, &expected, (0.0, 0.0));
    }
}

#[test]
fn sign_field_placement_keeps_the_field_and_its_rectangle() {
    let e = env();
    let original = corpus::pdf_with_signature_field();
    let Some(jpeg) = corpus::jpeg(40, 30) else {
        return;
    };
    let mut v = VisibleSignature::new(Placement::SignField(corpus::SIGNATURE_FIELD.into()), None);
    v.image = Some(SignatureImage::Jpeg(jpeg));
    v.template = Some(Template::parse("${signer}\n${reason}, ${location}").unwrap());
    let signed = sign(&e, &original, v.clone()).unwrap();
    assert!(signed.starts_with(&original));
    validate(&e, &signed, "sign-field");
    if let Some(fields) = signature_fields(&e, &signed) {
        // The same field, now signed; no new one.
        assert_eq!(fields.len(), 1, "{fields:?}");
        assert_eq!(fields[0].name, corpus::SIGNATURE_FIELD);
        assert!(fields[0].signed);
        assert_rect(&fields[0].rect, corpus::SIGNATURE_FIELD_RECT);
    }
    assert_draws(
        &e,
        &original,
        &signed,
        1,
        &corpus::SIGNATURE_FIELD_RECT,
        (0.0, 0.0),
    );

    // The field is taken now.
    match sign(&e, &signed, v) {
        Err(Error::VisibleSignature(m)) => assert!(m.contains("already signed"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn placeholder_placement_in_compressed_content() {
    let e = env();
    let Some(original) = corpus::pdf_with_placeholder("SIGN_HERE") else {
        return;
    };
    let mut v = VisibleSignature::new(
        Placement::Placeholder("SIGN_HERE".into()),
        Some(Area {
            width: 155.0,
            height: 50.0,
        }),
    );
    v.background = Some(Rgb::WHITE);
    v.image = Some(SignatureImage::Png(png_image(40, 40)));
    let signed = sign(&e, &original, v).unwrap();
    validate(&e, &signed, "placeholder");
    // Hung from the word's upper-left corner.
    let (x, _) = corpus::PLACEHOLDER_AT;
    let top = corpus::PLACEHOLDER_TOP;
    let expected = [x, top - 50.0, x + 155.0, top];
    if let Some(rect) = signed_rect(&e, &signed, 1) {
        assert_rect(&rect, expected);
    }
    assert_draws(&e, &original, &signed, 1, &expected, (0.0, 0.0));
    // The PNG's alpha became a soft mask.
    assert!(signed.windows(6).any(|w| w == b"/SMask"));
}

fn refused(e: &Env, pdf: &[u8], v: VisibleSignature, words: &str) {
    match sign(e, pdf, v) {
        Err(Error::VisibleSignature(m)) => {
            assert!(m.contains(words), "`{m}` does not say `{words}`")
        }
        Err(other) => panic!("{words}: another error: {other:?}"),
        Ok(_) => panic!("{words}: signed"),
    }
}

#[test]
fn each_visible_signature_error_names_its_problem() {
    let e = env();
    let two = corpus::pdf_two_pages();
    refused(
        &e,
        &two,
        coordinate(3, 10.0, 10.0, 155.0, 50.0),
        "page 3 does not exist: the document has 2 pages",
    );
    // Page 2's crop box is 500 points wide.
    refused(
        &e,
        &two,
        coordinate(2, 400.0, 10.0, 155.0, 50.0),
        "is not inside page 2, which is 500 × 700 points",
    );
    refused(
        &e,
        &two,
        coordinate(1, -1.0, 10.0, 155.0, 50.0),
        "is not inside page 1",
    );
    let mut no_area = coordinate(1, 10.0, 10.0, 1.0, 1.0);
    no_area.area = None;
    refused(&e, &two, no_area, "area (width and height) is required");

    let form = corpus::pdf_with_signature_field();
    let field = |name: &str| VisibleSignature::new(Placement::SignField(name.into()), None);
    refused(
        &e,
        &form,
        field("NoSuchField"),
        "no signature field named `NoSuchField`",
    );
    refused(
        &e,
        &form,
        field("customer"),
        "`customer` is not a signature field",
    );
    refused(&e, &two, field("Signature1"), "no signature field named");

    if let Some(pdf) = corpus::pdf_with_placeholder("SIGN_HERE") {
        let placeholder = |word: &str| {
            VisibleSignature::new(
                Placement::Placeholder(word.into()),
                Some(Area {
                    width: 155.0,
                    height: 50.0,
                }),
            )
        };
        refused(
            &e,
            &pdf,
            placeholder("NOWHERE"),
            "placeholder `NOWHERE` was not found",
        );
        refused(&e, &pdf, placeholder("日本"), "was not found");
    }

    // The API page's example: an image larger than the area.
    let mut big = coordinate(1, 10.0, 10.0, 155.0, 50.0);
    big.image = Some(SignatureImage::Png(png_image(200, 40)));
    refused(
        &e,
        &two,
        big,
        "the image is 200 × 40 pixels, larger than the signature area of 155 × 50 points",
    );
    if let Some(jpeg) = corpus::jpeg(100, 60) {
        let mut big = coordinate(1, 10.0, 10.0, 155.0, 50.0);
        big.image = Some(SignatureImage::Jpeg(jpeg));
        refused(&e, &two, big, "100 × 60 pixels");
    }
    let mut bad = coordinate(1, 10.0, 10.0, 155.0, 50.0);
    bad.image = Some(SignatureImage::Jpeg(b"GIF89a not a jpeg".to_vec()));
    refused(&e, &two, bad, "the JPEG image is unreadable");
    let mut bad = coordinate(1, 10.0, 10.0, 155.0, 50.0);
    bad.image = Some(SignatureImage::Png(b"\x89PNG\r\n\x1a\ntruncated".to_vec()));
    refused(&e, &two, bad, "the PNG image is unreadable");
}

/// The signed files of these tests, kept for a look when `SIGNSTASH_KEEP_VISIBLE` names a
/// folder (not needed by any assertion).
#[test]
fn keep_samples_when_asked() {
    let Some(dir) = std::env::var_os("SIGNSTASH_KEEP_VISIBLE") else {
        return;
    };
    let e = env();
    let mut v = coordinate(1, 70.0, 100.0, 155.0, 50.0);
    v.background = Some(Rgb(230, 240, 255));
    let signed = sign(&e, &corpus::pdf_two_pages(), v).unwrap();
    std::fs::write(Path::new(&dir).join("coordinate.pdf"), signed).unwrap();
    let mut v = VisibleSignature::new(Placement::SignField(corpus::SIGNATURE_FIELD.into()), None);
    v.image = corpus::jpeg(40, 30).map(SignatureImage::Jpeg);
    let signed = sign(&e, &corpus::pdf_with_signature_field(), v).unwrap();
    std::fs::write(Path::new(&dir).join("sign-field.pdf"), signed).unwrap();
    if let Some(pdf) = corpus::pdf_with_placeholder("SIGN_HERE") {
        let mut v = VisibleSignature::new(
            Placement::Placeholder("SIGN_HERE".into()),
            Some(Area {
                width: 155.0,
                height: 50.0,
            }),
        );
        v.background = Some(Rgb(240, 240, 240));
        v.image = Some(SignatureImage::Png(png_image(40, 40)));
        let signed = sign(&e, &pdf, v).unwrap();
        std::fs::write(Path::new(&dir).join("placeholder.pdf"), signed).unwrap();
    }
}
