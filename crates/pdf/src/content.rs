//! Finding text in a page's content streams (§9.4), as far as a placeholder search needs: the
//! strings shown with simple fonts, where on the page each byte of them is drawn, and how high
//! their glyphs rise above the baseline.
//!
//! Tracked: `q`/`Q`, `cm`, `BT`, `Tf`, `Tc`, `Tw`, `Tz`, `TL`, `Ts`, `Td`, `TD`, `Tm`, `T*`,
//! `Tj`, `TJ`, `'`, `"`; inline images are skipped. Not followed: Form XObjects (`Do`), text
//! split over several show operators, composite (Type0/CID) fonts. Glyph advances come from the
//! font's `/Widths`, else from Helvetica's or Courier's metrics for standard fonts; the ascent
//! from the font descriptor's `/Ascent`, else from the standard font's metrics with an
//! allowance for the substitute a viewer draws it with (see [`standard_ascent`]).

use crate::document::{Document, Page};
use crate::filter;
use crate::object::{Dict, Object};
use crate::parse::{is_whitespace, Parser};
use crate::visible::HELVETICA_WIDTHS;

/// `[a b c d e f]` (§8.3.4).
type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
/// Operands kept before an operator; more is garbage.
const MAX_OPERANDS: usize = 64;
/// Graphics-state nesting kept.
const MAX_SAVES: usize = 256;

/// `m × n`: first `m`, then `n`.
fn concat(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn apply(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

fn translate(tx: f64, ty: f64) -> Matrix {
    [1.0, 0.0, 0.0, 1.0, tx, ty]
}

#[derive(Clone)]
enum Metrics {
    Helvetica,
    Fixed(f64),
    Widths { first: i64, widths: Vec<f64> },
}

#[derive(Clone)]
struct Font {
    composite: bool,
    metrics: Metrics,
    /// For codes outside `/Widths`.
    missing: f64,
    /// Height of the glyphs above the baseline, in 1/1000 em.
    ascent: f64,
}

/// Helvetica's ascender (1/1000 em), also taken for fonts whose ascent is unknown.
const HELVETICA_ASCENT: f64 = 718.0;

/// How far above its metrics' ascender the top of a font whose descriptor gives no ascent is
/// taken (1/1000 em). Such a font is nearly always one of the standard 14, not embedded:
/// viewers draw it with a substitute whose capitals and ascenders can stand taller than the
/// original's (poppler's DejaVu Sans for Helvetica: 729 and 760 against 718), so the ascender
/// alone would leave a hairline of the word showing above an area hung from it. With 50, the
/// area keeps clear of the line above as long as lines are at least 0.98 em apart.
const SUBSTITUTE_ALLOWANCE: f64 = 50.0;

/// The ascent of a font whose descriptor gives none: the standard font's ascender (Adobe's
/// AFM metrics, as poppler uses them; Helvetica's when the name is none of them) plus
/// [`SUBSTITUTE_ALLOWANCE`]. The name is matched by its start, subset prefix aside.
fn standard_ascent(base: &[u8]) -> f64 {
    let name = match base.iter().position(|&b| b == b'+') {
        Some(plus) => base.get(plus + 1..).unwrap_or_default(),
        None => base,
    };
    let ascender = if name.starts_with(b"Courier") {
        629.0
    } else if name.starts_with(b"Times") {
        683.0
    } else if name.starts_with(b"Symbol") {
        1010.0
    } else if name.starts_with(b"ZapfDingbats") {
        820.0
    } else {
        HELVETICA_ASCENT
    };
    ascender + SUBSTITUTE_ALLOWANCE
}

impl Font {
    fn width(&self, code: u8) -> f64 {
        match &self.metrics {
            Metrics::Helvetica => f64::from(HELVETICA_WIDTHS[usize::from(code)]),
            Metrics::Fixed(w) => *w,
            Metrics::Widths { first, widths } => usize::try_from(i64::from(code) - first)
                .ok()
                .and_then(|i| widths.get(i).copied())
                .unwrap_or(self.missing),
        }
    }
}

impl Default for Font {
    fn default() -> Self {
        Font {
            composite: false,
            metrics: Metrics::Helvetica,
            missing: 500.0,
            ascent: HELVETICA_ASCENT + SUBSTITUTE_ALLOWANCE,
        }
    }
}

fn number(doc: &Document<'_>, o: &Object) -> Option<f64> {
    match doc.resolve(o).ok()? {
        Object::Int(i) => Some(i as f64),
        Object::Real(r) => Some(r),
        _ => None,
    }
}

fn font_of(doc: &Document<'_>, dict: &Dict) -> Font {
    let name = |key: &[u8]| dict.get(key).and_then(Object::as_name).map(<[u8]>::to_vec);
    if name(b"Subtype").as_deref() == Some(b"Type0") {
        return Font {
            composite: true,
            ..Font::default()
        };
    }
    let base = name(b"BaseFont").unwrap_or_default();
    let descriptor = dict
        .get(b"FontDescriptor")
        .and_then(|d| doc.resolve(d).ok())
        .and_then(|d| d.as_dict().cloned());
    let descriptor_number = |key: &[u8]| {
        descriptor
            .as_ref()
            .and_then(|d| d.get(key).cloned())
            .and_then(|v| number(doc, &v))
    };
    let missing = descriptor_number(b"MissingWidth").unwrap_or(500.0);
    // Some fonts give no ascent, zero, or nonsense: then the standard metrics.
    let ascent = descriptor_number(b"Ascent")
        .filter(|a| *a > 0.0 && *a <= 2000.0)
        .unwrap_or_else(|| standard_ascent(&base));
    let widths = dict
        .get(b"Widths")
        .and_then(|w| doc.resolve(w).ok())
        .and_then(|w| {
            w.as_array().map(|a| {
                a.iter()
                    .map(|v| number(doc, v).unwrap_or(missing))
                    .collect()
            })
        });
    let first = dict.get(b"FirstChar").and_then(|f| number(doc, f));
    let metrics = match (widths, first) {
        (Some(widths), Some(first)) => Metrics::Widths {
            first: first as i64,
            widths,
        },
        _ if base.windows(7).any(|w| w == b"Courier") => Metrics::Fixed(600.0),
        _ => Metrics::Helvetica,
    };
    Font {
        composite: false,
        metrics,
        missing,
        ascent,
    }
}

/// Text-state parameters, saved with the graphics state.
#[derive(Clone)]
struct TextParams {
    font: Font,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    scale: f64,
    leading: f64,
    rise: f64,
}

struct State<'d, 'a> {
    doc: &'d Document<'a>,
    fonts: Option<Dict>,
    ctm: Matrix,
    params: TextParams,
    saved: Vec<(Matrix, TextParams)>,
    tm: Matrix,
    tlm: Matrix,
}

impl State<'_, '_> {
    fn next_line(&mut self, tx: f64, ty: f64) {
        self.tlm = concat(&translate(tx, ty), &self.tlm);
        self.tm = self.tlm;
    }

    /// Shows `parts` (strings and `TJ` adjustments); returns where `needle` starts, in user
    /// space, when it occurs in the shown bytes.
    fn show(&mut self, parts: &[Object], needle: &[u8]) -> Option<TextPosition> {
        let composite = self.params.font.composite;
        let mut bytes = Vec::new();
        let mut positions = Vec::new();
        for part in parts {
            match part {
                Object::String(s) => {
                    for &b in s {
                        let rm = concat(&self.tm, &self.ctm);
                        let p = &self.params;
                        let (x, _) = apply(&rm, 0.0, p.rise);
                        let (_, top) = apply(&rm, 0.0, p.rise + p.font.ascent / 1000.0 * p.size);
                        positions.push(TextPosition { x, top });
                        bytes.push(b);
                        let p = &self.params;
                        let w = if composite { 0.0 } else { p.font.width(b) };
                        let spacing = if b == b' ' { p.word_spacing } else { 0.0 };
                        let tx = (w / 1000.0 * p.size + p.char_spacing + spacing) * p.scale;
                        self.tm = concat(&translate(tx, 0.0), &self.tm);
                    }
                }
                Object::Int(_) | Object::Real(_) => {
                    let adjust = match part {
                        Object::Int(i) => *i as f64,
                        Object::Real(r) => *r,
                        _ => 0.0,
                    };
                    let tx = -adjust / 1000.0 * self.params.size * self.params.scale;
                    self.tm = concat(&translate(tx, 0.0), &self.tm);
                }
                _ => {}
            }
        }
        if composite || needle.is_empty() {
            return None;
        }
        let at = memchr::memmem::find(&bytes, needle)?;
        positions.get(at).copied()
    }

    fn set_font(&mut self, name: &[u8], size: f64) {
        self.params.size = size;
        self.params.font = self
            .fonts
            .as_ref()
            .and_then(|f| f.get(name))
            .and_then(|f| self.doc.resolve(f).ok())
            .and_then(|f| f.as_dict().map(|d| font_of(self.doc, d)))
            .unwrap_or_default();
    }
}

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Int(i) => Some(*i as f64),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

fn matrix(ops: &[Object]) -> Option<Matrix> {
    let v: Vec<f64> = ops.iter().map(num).collect::<Option<_>>()?;
    <[f64; 6]>::try_from(v.get(v.len().checked_sub(6)?..)?).ok()
}

/// Decoded content one placeholder search reads over all pages; past it the search gives up,
/// so a file of many small decompression bombs cannot keep it busy.
pub(crate) const SEARCH_BUDGET: usize = 256 * 1024 * 1024;

/// The decoded content of a page: its streams joined by newlines. `None` when a stream uses a
/// filter this crate does not decode or cannot be read, or when `budget` is spent.
fn page_content(doc: &Document<'_>, page: &Page, budget: &mut usize) -> Option<Vec<u8>> {
    let contents = doc.resolve(page.dict.get(b"Contents")?).ok()?;
    let refs: Vec<Object> = match contents {
        Object::Array(items) => items,
        other => vec![other],
    };
    let mut out = Vec::new();
    for r in refs {
        let Ok(Object::Stream(stream)) = doc.resolve(&r) else {
            continue;
        };
        if *budget == 0 {
            return None;
        }
        let raw = doc.stream_data(&stream).ok()?;
        let decoded = filter::decode(&stream.dict, raw).ok()?;
        *budget = budget.saturating_sub(decoded.len());
        out.extend_from_slice(&decoded);
        out.push(b'\n');
    }
    Some(out)
}

/// Skips an inline image's data after `ID`: up to `EI` standing alone.
fn skip_inline_image(data: &[u8], mut pos: usize) -> usize {
    pos += 1;
    while let Some(rest) = data.get(pos..) {
        let Some(i) = memchr::memmem::find(rest, b"EI") else {
            return data.len();
        };
        let at = pos + i;
        let before = at == 0 || data.get(at - 1).copied().is_some_and(is_whitespace);
        let after = data
            .get(at + 2)
            .is_none_or(|&b| is_whitespace(b) || crate::parse::is_delimiter(b));
        if before && after {
            return at + 2;
        }
        pos = at + 2;
    }
    data.len()
}

/// Where a glyph is drawn, in user space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TextPosition {
    /// Its origin's x (on the baseline).
    pub x: f64,
    /// The y of the top of its line's glyphs: the baseline plus the font's ascent (for upright
    /// text; where text is rotated, the y of that point; see [`standard_ascent`] for fonts
    /// without a descriptor).
    pub top: f64,
}

/// Where on `page` the first occurrence of `needle` is drawn: its first glyph. Decoding the
/// page's content spends `budget`.
pub(crate) fn find_text(
    doc: &Document<'_>,
    page: &Page,
    needle: &[u8],
    budget: &mut usize,
) -> Option<TextPosition> {
    let data = page_content(doc, page, budget)?;
    let fonts = page
        .resources
        .as_ref()
        .and_then(|r| doc.resolve(r).ok())
        .and_then(|r| r.as_dict().and_then(|d| d.get(b"Font").cloned()))
        .and_then(|f| doc.resolve(&f).ok())
        .and_then(|f| f.as_dict().cloned());
    let mut st = State {
        doc,
        fonts,
        ctm: IDENTITY,
        params: TextParams {
            font: Font::default(),
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        },
        saved: Vec::new(),
        tm: IDENTITY,
        tlm: IDENTITY,
    };
    let mut p = Parser::new(&data, 0);
    let mut operands: Vec<Object> = Vec::new();
    loop {
        p.skip_whitespace();
        let b = p.peek()?;
        let is_operand = matches!(
            b,
            b'/' | b'(' | b'<' | b'[' | b'0'..=b'9' | b'+' | b'-' | b'.'
        );
        if is_operand {
            // A content stream this parser cannot follow ends the search on this page.
            let operand = p.object(0).ok()?;
            if operands.len() < MAX_OPERANDS {
                operands.push(operand);
            }
            continue;
        }
        let op = p.keyword();
        if op.is_empty() {
            // A stray delimiter (`]`, `>`, `)`, `{`, `}`): skip it.
            p.pos += 1;
            continue;
        }
        let args = std::mem::take(&mut operands);
        let n = |i: usize| {
            args.len()
                .checked_sub(i)
                .and_then(|j| args.get(j))
                .and_then(num)
        };
        let found = match op {
            b"true" | b"false" | b"null" => {
                operands = args;
                operands.push(Object::Null);
                None
            }
            b"q" => {
                if st.saved.len() < MAX_SAVES {
                    st.saved.push((st.ctm, st.params.clone()));
                }
                None
            }
            b"Q" => {
                if let Some((ctm, params)) = st.saved.pop() {
                    st.ctm = ctm;
                    st.params = params;
                }
                None
            }
            b"cm" => {
                if let Some(m) = matrix(&args) {
                    st.ctm = concat(&m, &st.ctm);
                }
                None
            }
            b"BT" => {
                st.tm = IDENTITY;
                st.tlm = IDENTITY;
                None
            }
            b"Tf" => {
                let name = args.iter().rev().find_map(Object::as_name);
                if let (Some(name), Some(size)) = (name.map(<[u8]>::to_vec), n(1)) {
                    st.set_font(&name, size);
                }
                None
            }
            b"Tc" | b"Tw" | b"Tz" | b"TL" | b"Ts" => {
                if let Some(v) = n(1) {
                    match op {
                        b"Tc" => st.params.char_spacing = v,
                        b"Tw" => st.params.word_spacing = v,
                        b"Tz" => st.params.scale = v / 100.0,
                        b"TL" => st.params.leading = v,
                        _ => st.params.rise = v,
                    }
                }
                None
            }
            b"Td" | b"TD" => {
                if let (Some(tx), Some(ty)) = (n(2), n(1)) {
                    if op == b"TD" {
                        st.params.leading = -ty;
                    }
                    st.next_line(tx, ty);
                }
                None
            }
            b"Tm" => {
                if let Some(m) = matrix(&args) {
                    st.tm = m;
                    st.tlm = m;
                }
                None
            }
            b"T*" => {
                st.next_line(0.0, -st.params.leading);
                None
            }
            b"Tj" | b"'" | b"\"" => {
                if op == b"\"" {
                    if let (Some(aw), Some(ac)) = (n(3), n(2)) {
                        st.params.word_spacing = aw;
                        st.params.char_spacing = ac;
                    }
                }
                if op != b"Tj" {
                    st.next_line(0.0, -st.params.leading);
                }
                match args.last() {
                    Some(s @ Object::String(_)) => st.show(std::slice::from_ref(s), needle),
                    _ => None,
                }
            }
            b"TJ" => match args.last() {
                Some(Object::Array(parts)) => st.show(parts, needle),
                _ => None,
            },
            b"BI" => {
                // Inline image: its dictionary is read as operands up to `ID`, then raw data.
                loop {
                    p.skip_whitespace();
                    match p.peek() {
                        None => return None,
                        Some(b'/') | Some(b'(') | Some(b'<') | Some(b'[') => {
                            p.object(0).ok()?;
                        }
                        Some(_) => {
                            let kw = p.keyword();
                            if kw == b"ID" {
                                p.pos = skip_inline_image(&data, p.pos);
                                break;
                            }
                            if kw.is_empty() {
                                p.pos += 1;
                            }
                        }
                    }
                }
                None
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrices_compose_in_pdf_order() {
        // Scale by 2, then move by (10, 20): (1, 1) lands on (12, 22).
        let m = concat(&[2.0, 0.0, 0.0, 2.0, 0.0, 0.0], &translate(10.0, 20.0));
        assert_eq!(apply(&m, 1.0, 1.0), (12.0, 22.0));
    }

    #[test]
    fn standard_fonts_ascent_by_name_with_the_allowance() {
        assert_eq!(standard_ascent(b"Helvetica-Bold"), 768.0);
        assert_eq!(standard_ascent(b"ABCDEF+Times-Roman"), 733.0);
        assert_eq!(standard_ascent(b"Courier"), 679.0);
        assert_eq!(standard_ascent(b"Arial"), 768.0);
    }

    #[test]
    fn inline_image_data_is_skipped() {
        // The first `EI` is part of the data (not preceded by white space).
        let data = b"BI /W 1 ID \x01EI\xff\nEI Q";
        // From just after `ID`.
        assert_eq!(skip_inline_image(data, 10), 18);
    }
}
