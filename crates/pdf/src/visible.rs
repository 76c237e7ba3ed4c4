//! Visible signatures: where the widget goes (a point on a page, an existing empty signature
//! field, or the first occurrence of a word in a page's text) and what it shows (a Form XObject
//! with a background, lines of Helvetica text and an optional JPEG or PNG image).

use std::fmt;
use std::io::Write as _;

use crate::object::{Dict, ObjRef, Object};
use crate::{Error, Result};

/// An RGB colour, one byte per component (`#RRGGBB`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const WHITE: Rgb = Rgb(255, 255, 255);
}

/// Where the visible signature goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    /// On page `page` (1-based), the area's lower-left corner `x`, `y` points right of and above
    /// the lower-left corner of the page's visible region (its CropBox, else its MediaBox), in
    /// unrotated user space.
    Coordinate { page: usize, x: f64, y: f64 },
    /// Into an existing, unsigned signature field with this name (fully qualified, e.g.
    /// `form.sig1`, or the field's own partial name). The field keeps its `/Rect`; the area's
    /// size is the rectangle's.
    SignField(String),
    /// At the first occurrence of this text in a string shown by `Tj`, `TJ`, `'` or `"` with a
    /// simple font, searching the pages in order: the area's upper-left corner goes at the
    /// word's upper-left, the origin of its first glyph raised by the font's ascent (the font
    /// descriptor's `/Ascent`; for a standard font without one, its ascender plus 0.05 em for
    /// the taller substitute a viewer may draw it with: 0.768 em for Helvetica), so the area
    /// covers the word and what lies right of and below it, never the lines above (and an
    /// opaque background hides the word). An area that would leave the page there is refused.
    Placeholder(String),
}

/// The image drawn in the area, one pixel per point.
#[derive(Clone, PartialEq, Eq)]
pub enum SignatureImage {
    /// Embedded as is (`/DCTDecode`); 8-bit greyscale, RGB or CMYK.
    Jpeg(Vec<u8>),
    /// Decoded and embedded as `/FlateDecode`, with its alpha channel as a soft mask.
    Png(Vec<u8>),
}

impl fmt::Debug for SignatureImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureImage::Jpeg(b) => write!(f, "Jpeg({} bytes)", b.len()),
            SignatureImage::Png(b) => write!(f, "Png({} bytes)", b.len()),
        }
    }
}

/// A visible signature: placement, area and appearance.
#[derive(Clone, Debug, PartialEq)]
pub struct VisibleSignature {
    pub placement: Placement,
    /// Size of the area in points; ignored for [`Placement::SignField`].
    pub width: f64,
    pub height: f64,
    /// `None`: transparent.
    pub background: Option<Rgb>,
    /// Lines separated by `\n`, each wrapped to the area. Characters outside WinAnsiEncoding
    /// (roughly Latin-1) are drawn as `?`.
    pub text: String,
    /// In points. Text that does not fit the area at this size is drawn smaller (down to
    /// [`MIN_FONT_SIZE`]), then clipped.
    pub font_size: f64,
    pub font_color: Rgb,
    pub image: Option<SignatureImage>,
}

impl VisibleSignature {
    /// An area of `width` × `height` points at `placement`: transparent, no text (10 pt black
    /// once some is set), no image.
    pub fn new(placement: Placement, width: f64, height: f64) -> Self {
        VisibleSignature {
            placement,
            width,
            height,
            background: None,
            text: String::new(),
            font_size: 10.0,
            font_color: Rgb::BLACK,
            image: None,
        }
    }

    /// Checks what can be checked without the document.
    pub(crate) fn check(&self) -> Result<()> {
        let size_ok = |v: f64| v.is_finite() && v > 0.0 && v <= MAX_AREA;
        let sized = size_ok(self.width) && size_ok(self.height);
        if !sized && !matches!(self.placement, Placement::SignField(_)) {
            return Err(visible(format!(
                "the signature area must be between 0 and {MAX_AREA} points wide and high, not {} × {}",
                self.width, self.height
            )));
        }
        if !(self.font_size.is_finite() && self.font_size > 0.0 && self.font_size <= MAX_FONT_SIZE)
        {
            return Err(visible(format!(
                "the font size must be between 0 and {MAX_FONT_SIZE} points, not {}",
                self.font_size
            )));
        }
        match &self.placement {
            Placement::Coordinate { page, x, y } => {
                if *page == 0 {
                    return Err(visible("page numbers start at 1"));
                }
                if !x.is_finite() || !y.is_finite() {
                    return Err(visible("the coordinates must be numbers"));
                }
            }
            Placement::SignField(name) if name.is_empty() => {
                return Err(visible("the signature field name is empty"));
            }
            Placement::Placeholder(word) if word.trim().is_empty() => {
                return Err(visible("the placeholder text is empty"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Smallest size text is shrunk to when it does not fit.
pub const MIN_FONT_SIZE: f64 = 4.0;
const MAX_FONT_SIZE: f64 = 200.0;
/// Largest area side, the largest page side PDF allows (§C.2, 14 400 units).
const MAX_AREA: f64 = 14_400.0;
/// Largest decoded PNG accepted (against decompression bombs).
const MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;
/// Space between the area's border and its text or image.
const PADDING: f64 = 2.0;
const LEADING: f64 = 1.2;
/// Helvetica's ascender and descender, in ems.
const ASCENT: f64 = 0.718;
const DESCENT: f64 = 0.207;

pub(crate) fn visible(msg: impl Into<String>) -> Error {
    Error::VisibleSignature(msg.into())
}

/// Helvetica advance widths (1/1000 em) by WinAnsiEncoding code, from Adobe's AFM.
#[rustfmt::skip]
pub(crate) const HELVETICA_WIDTHS: [u16; 256] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// The WinAnsiEncoding (§D.2) code of a character, if it has one.
pub(crate) fn win_ansi(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..=0x7e).contains(&code) || (0xa0..=0xff).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// A line of text in WinAnsiEncoding: tabs become spaces, other control characters go, and
/// characters the encoding lacks become `?`.
fn encode_line(line: &str) -> Vec<u8> {
    line.chars()
        .filter_map(|c| match c {
            '\t' => Some(b' '),
            c if c.is_control() => None,
            c => Some(win_ansi(c).unwrap_or(b'?')),
        })
        .collect()
}

fn text_width(bytes: &[u8], size: f64) -> f64 {
    bytes
        .iter()
        .map(|&b| f64::from(HELVETICA_WIDTHS[usize::from(b)]))
        .sum::<f64>()
        * size
        / 1000.0
}

/// Greedy word wrap to `max` points; a word longer than a line is broken between characters.
fn wrap(line: &[u8], max: f64, size: f64) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for word in line.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let mut candidate = current.clone();
        if !candidate.is_empty() {
            candidate.push(b' ');
        }
        candidate.extend_from_slice(word);
        if text_width(&candidate, size) <= max {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        for &b in word {
            current.push(b);
            if current.len() > 1 && text_width(&current, size) > max {
                current.pop();
                lines.push(std::mem::replace(&mut current, vec![b]));
            }
        }
    }
    lines.push(current);
    lines
}

/// A number for a content stream: at most three decimals, no exponent.
fn num(v: f64) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r}")
}

fn colour(c: Rgb) -> String {
    let f = |v: u8| num(f64::from(v) / 255.0);
    format!("{} {} {}", f(c.0), f(c.1), f(c.2))
}

/// A literal string with `(`, `)` and `\` escaped and everything outside printable ASCII as an
/// octal escape, so the stream survives any end-of-line conversion.
fn literal(bytes: &[u8]) -> String {
    let mut s = String::from("(");
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                s.push('\\');
                s.push(char::from(b));
            }
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s.push(')');
    s
}

/// An image ready to embed: its dictionary (without `/Length`), its data and its soft mask.
pub(crate) struct EmbeddedImage {
    pub width: u32,
    pub height: u32,
    pub dict: Dict,
    pub data: Vec<u8>,
    pub smask: Option<(Dict, Vec<u8>)>,
}

fn image_dict(width: u32, height: u32, colour_space: &str, filter: &str) -> Dict {
    let mut d = Dict::new();
    d.set(b"Type", Object::name("XObject"));
    d.set(b"Subtype", Object::name("Image"));
    d.set(b"Width", Object::Int(i64::from(width)));
    d.set(b"Height", Object::Int(i64::from(height)));
    d.set(b"ColorSpace", Object::name(colour_space));
    d.set(b"BitsPerComponent", Object::Int(8));
    d.set(b"Filter", Object::name(filter));
    d
}

fn too_large(width: u32, height: u32, area_w: f64, area_h: f64) -> Result<()> {
    if f64::from(width) > area_w + 1e-6 || f64::from(height) > area_h + 1e-6 {
        return Err(visible(format!(
            "the image is {width} × {height} pixels, larger than the signature area of {} × {} points (one pixel is drawn as one point)",
            num(area_w),
            num(area_h)
        )));
    }
    Ok(())
}

/// The frame header of a JPEG: width, height, components, and whether an Adobe APP14 segment
/// came first (its CMYK is stored inverted).
pub(crate) fn jpeg_info(data: &[u8]) -> Result<(u32, u32, u8, bool)> {
    let bad = |m: &str| visible(format!("the JPEG image is unreadable: {m}"));
    if !data.starts_with(&[0xff, 0xd8]) {
        return Err(bad("it does not start with a JPEG marker"));
    }
    let mut i = 2usize;
    let mut adobe = false;
    loop {
        if data.get(i) != Some(&0xff) {
            return Err(bad("no frame header"));
        }
        while data.get(i + 1) == Some(&0xff) {
            i += 1;
        }
        let marker = *data.get(i + 1).ok_or_else(|| bad("no frame header"))?;
        i += 2;
        match marker {
            0x01 | 0xd0..=0xd8 => continue,
            0xd9 | 0xda => return Err(bad("no frame header before the image data")),
            _ => {}
        }
        let len = data
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(|| bad("truncated"))?;
        let segment = data
            .get(i + 2..(i + len).max(i + 2))
            .filter(|_| len >= 2)
            .ok_or_else(|| bad("truncated"))?;
        match marker {
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let [precision, h1, h0, w1, w0, components, ..] = *segment else {
                    return Err(bad("short frame header"));
                };
                if precision != 8 {
                    return Err(visible(format!(
                        "JPEG images with {precision}-bit samples are not supported (8-bit only)"
                    )));
                }
                let height = u32::from(u16::from_be_bytes([h1, h0]));
                let width = u32::from(u16::from_be_bytes([w1, w0]));
                if width == 0 || height == 0 {
                    return Err(bad("zero width or height"));
                }
                if !matches!(components, 1 | 3 | 4) {
                    return Err(bad("unsupported number of colour components"));
                }
                return Ok((width, height, components, adobe));
            }
            0xee if segment.starts_with(b"Adobe") => adobe = true,
            _ => {}
        }
        i += len;
    }
}

fn jpeg(data: &[u8], area_w: f64, area_h: f64) -> Result<EmbeddedImage> {
    let (width, height, components, adobe) = jpeg_info(data)?;
    too_large(width, height, area_w, area_h)?;
    let space = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        _ => "DeviceCMYK",
    };
    let mut dict = image_dict(width, height, space, "DCTDecode");
    if components == 4 && adobe {
        dict.set(
            b"Decode",
            Object::Array([1, 0, 1, 0, 1, 0, 1, 0].map(Object::Int).to_vec()),
        );
    }
    Ok(EmbeddedImage {
        width,
        height,
        dict,
        data: data.to_vec(),
        smask: None,
    })
}

fn deflate(data: &[u8]) -> Result<Vec<u8>> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data)
        .and_then(|()| z.finish())
        .map_err(|e| Error::Unsupported(format!("compressing an image: {e}")))
}

fn png(data: &[u8], area_w: f64, area_h: f64) -> Result<EmbeddedImage> {
    let bad = |e: png::DecodingError| visible(format!("the PNG image is unreadable: {e}"));
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(data),
        png::Limits {
            bytes: MAX_IMAGE_BYTES,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(bad)?;
    let (width, height) = reader.info().size();
    too_large(width, height, area_w, area_h)?;
    let size = reader
        .output_buffer_size()
        .filter(|&s| s <= MAX_IMAGE_BYTES)
        .ok_or_else(|| visible("the PNG image is too large to decode"))?;
    let mut buf = vec![0u8; size];
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    let pixels = buf.get(..frame.buffer_size()).unwrap_or_default();
    let (colours, alpha) = match frame.color_type {
        png::ColorType::Grayscale => (1, false),
        png::ColorType::GrayscaleAlpha => (1, true),
        png::ColorType::Rgb => (3, false),
        png::ColorType::Rgba => (3, true),
        png::ColorType::Indexed => return Err(visible("the PNG palette could not be expanded")),
    };
    if frame.bit_depth != png::BitDepth::Eight {
        return Err(visible(
            "the PNG image could not be converted to 8-bit samples",
        ));
    }
    let stride = colours + usize::from(alpha);
    let row = frame.line_size;
    let (mut colour, mut mask) = (Vec::with_capacity(pixels.len()), Vec::new());
    for line in pixels.chunks(row) {
        for px in line
            .get(..width as usize * stride)
            .unwrap_or_default()
            .chunks_exact(stride)
        {
            colour.extend_from_slice(px.get(..colours).unwrap_or_default());
            if alpha {
                mask.push(px.get(colours).copied().unwrap_or(255));
            }
        }
    }
    let space = if colours == 1 {
        "DeviceGray"
    } else {
        "DeviceRGB"
    };
    // A fully opaque alpha channel needs no mask.
    let smask = if alpha && mask.iter().any(|&a| a != 255) {
        Some((
            image_dict(width, height, "DeviceGray", "FlateDecode"),
            deflate(&mask)?,
        ))
    } else {
        None
    };
    Ok(EmbeddedImage {
        width,
        height,
        dict: image_dict(width, height, space, "FlateDecode"),
        data: deflate(&colour)?,
        smask,
    })
}

pub(crate) fn embed_image(
    image: &SignatureImage,
    area_w: f64,
    area_h: f64,
) -> Result<EmbeddedImage> {
    match image {
        SignatureImage::Jpeg(data) => jpeg(data, area_w, area_h),
        SignatureImage::Png(data) => png(data, area_w, area_h),
    }
}

/// The new objects of an appearance: streams (the form first) and the font dictionary.
pub(crate) struct Appearance {
    pub form: ObjRef,
    pub streams: Vec<(ObjRef, Dict, Vec<u8>)>,
    pub objects: Vec<(ObjRef, Object)>,
}

/// Builds the appearance of an area of `width` × `height` points. `new_ref` hands out object
/// numbers.
pub(crate) fn appearance(
    v: &VisibleSignature,
    width: f64,
    height: f64,
    mut new_ref: impl FnMut() -> ObjRef,
) -> Result<Appearance> {
    let image = v
        .image
        .as_ref()
        .map(|i| embed_image(i, width, height))
        .transpose()?;
    let form = new_ref();
    let mut streams = Vec::new();
    let mut objects = Vec::new();
    let mut resources = Dict::new();
    let mut ops = String::from("q\n");
    if let Some(bg) = v.background {
        ops.push_str(&format!(
            "{} rg 0 0 {} {} re f\n",
            colour(bg),
            num(width),
            num(height)
        ));
    }

    // The text goes right of the image when that leaves it a third of the area or more;
    // otherwise the image is centred behind the text.
    let mut text_left = PADDING;
    if let Some(img) = image {
        let (iw, ih) = (f64::from(img.width), f64::from(img.height));
        let beside = width - iw - 3.0 * PADDING >= width / 3.0;
        let x = if beside { PADDING } else { (width - iw) / 2.0 };
        if beside {
            text_left = x + iw + PADDING;
        }
        let image_ref = new_ref();
        let mut dict = img.dict;
        if let Some((mask_dict, mask_data)) = img.smask {
            let mask_ref = new_ref();
            dict.set(b"SMask", Object::Ref(mask_ref));
            streams.push((mask_ref, mask_dict, mask_data));
        }
        streams.push((image_ref, dict, img.data));
        let mut xobjects = Dict::new();
        xobjects.set(b"Im1", Object::Ref(image_ref));
        resources.set(b"XObject", Object::Dict(xobjects));
        ops.push_str(&format!(
            "q {} 0 0 {} {} {} cm /Im1 Do Q\n",
            num(iw),
            num(ih),
            num(x),
            num((height - ih) / 2.0)
        ));
    }

    let source: Vec<Vec<u8>> = v.text.lines().map(encode_line).collect();
    if source.iter().any(|l| !l.is_empty()) {
        let max_w = (width - text_left - PADDING).max(1.0);
        let max_h = (height - 2.0 * PADDING).max(1.0);
        let mut size = v.font_size;
        let lines = loop {
            let lines: Vec<Vec<u8>> = source.iter().flat_map(|l| wrap(l, max_w, size)).collect();
            let block = size * (ASCENT + DESCENT) + (lines.len() as f64 - 1.0) * size * LEADING;
            if block <= max_h || size <= MIN_FONT_SIZE {
                break lines;
            }
            size = (size - 0.5).max(MIN_FONT_SIZE);
        };
        let block = size * (ASCENT + DESCENT) + (lines.len() as f64 - 1.0) * size * LEADING;
        let top = (height + block.min(max_h)) / 2.0;
        let font = new_ref();
        let mut font_dict = Dict::new();
        font_dict.set(b"Type", Object::name("Font"));
        font_dict.set(b"Subtype", Object::name("Type1"));
        font_dict.set(b"BaseFont", Object::name("Helvetica"));
        font_dict.set(b"Encoding", Object::name("WinAnsiEncoding"));
        objects.push((font, Object::Dict(font_dict)));
        let mut fonts = Dict::new();
        fonts.set(b"Helv", Object::Ref(font));
        resources.set(b"Font", Object::Dict(fonts));
        ops.push_str(&format!(
            "BT /Helv {} Tf {} rg {} TL {} {} Td\n",
            num(size),
            colour(v.font_color),
            num(size * LEADING),
            num(text_left),
            num(top - size * ASCENT)
        ));
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                ops.push_str("T* ");
            }
            ops.push_str(&literal(line));
            ops.push_str(" Tj\n");
        }
        ops.push_str("ET\n");
    }
    ops.push_str("Q\n");

    let mut dict = Dict::new();
    dict.set(b"Type", Object::name("XObject"));
    dict.set(b"Subtype", Object::name("Form"));
    dict.set(
        b"BBox",
        Object::Array(vec![
            Object::Int(0),
            Object::Int(0),
            real(width),
            real(height),
        ]),
    );
    dict.set(b"Resources", Object::Dict(resources));
    streams.insert(0, (form, dict, ops.into_bytes()));
    Ok(Appearance {
        form,
        streams,
        objects,
    })
}

/// A coordinate as a PDF number, rounded to a thousandth of a point.
pub(crate) fn real(v: f64) -> Object {
    let r = (v * 1000.0).round() / 1000.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        Object::Int(r as i64)
    } else {
        Object::Real(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_and_escapes() {
        assert_eq!(
            encode_line("Zürich (€) \\ 日"),
            b"Z\xfcrich (\x80) \\ ?".to_vec()
        );
        assert_eq!(literal(b"a(b)\\\xfc"), "(a\\(b\\)\\\\\\374)");
        assert_eq!(encode_line("a\tb\u{7}c"), b"a bc".to_vec());
    }

    #[test]
    fn wrapping_keeps_words_and_breaks_long_ones() {
        // "Digitally signed" is 67.2 points wide at 10 pt, "Digitally signed by" 80.
        let lines = wrap(b"Digitally signed by someone", 70.0, 10.0);
        assert_eq!(lines[0], b"Digitally signed".to_vec());
        assert!(lines.iter().all(|l| text_width(l, 10.0) <= 70.0));
        let lines = wrap(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 30.0, 10.0);
        assert!(lines.len() > 5);
        assert_eq!(lines.concat(), b"ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_vec());
    }

    #[test]
    fn numbers_have_no_exponent() {
        assert_eq!(num(1e-9), "0");
        assert_eq!(num(12.34567), "12.346");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(real(70.0), Object::Int(70));
        assert_eq!(real(70.25), Object::Real(70.25));
    }

    #[test]
    fn jpeg_frame_header() {
        // SOI, APP0 (4 bytes), SOF0 8-bit 20×10 RGB.
        let mut j = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46];
        j.extend_from_slice(&[0xff, 0xc0, 0x00, 0x11, 8, 0, 10, 0, 20, 3]);
        j.extend_from_slice(&[0; 9]);
        assert_eq!(jpeg_info(&j).ok(), Some((20, 10, 3, false)));
        assert!(jpeg_info(b"\x89PNG").is_err());
        assert!(jpeg_info(&j[..12]).is_err());
    }
}
