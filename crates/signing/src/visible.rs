//! Visible PAdES signatures as the integration API describes them: its mini-formats
//! (`width=155,height=50`, `page=1,x=70,y=100`, `color=#000000,size=11`, `#RRGGBB` or
//! `transparent`) and the signature text [`Template`], filled in once the signer and the
//! signing time are known.

mod template;

use openssl::nid::Nid;
use openssl::x509::X509NameRef;

pub use signstash_pdf::{Placement, Rgb, SignatureImage};
pub use template::{Piece, Reference, Template, TemplateError, TemplateValues, REFERENCES};

use crate::{Certificate, Error, Result};

/// The system's signature text, used when the caller gives none.
pub const DEFAULT_TEMPLATE: &str =
    "Digitally signed by ${signer}\nDate: ${date}\nReason: ${reason}\nLocation: ${location}";

/// [`DEFAULT_TEMPLATE`], parsed.
pub fn default_template() -> Template {
    use Piece::{Reference as R, Text as T};
    let text = |s: &str| T(s.to_string());
    Template::from_lines(vec![
        vec![text("Digitally signed by "), R(Reference::CommonName)],
        vec![text("Date: "), R(Reference::Date)],
        vec![text("Reason: "), R(Reference::Reason)],
        vec![text("Location: "), R(Reference::Location)],
    ])
}

/// Font size when the caller gives none.
pub const DEFAULT_FONT_SIZE: f64 = 9.0;

/// Width and height of the signature area, in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub width: f64,
    pub height: f64,
}

/// Colour and size (points) of the signature text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Font {
    pub color: Rgb,
    pub size: f64,
}

impl Default for Font {
    fn default() -> Self {
        Font {
            color: Rgb::BLACK,
            size: DEFAULT_FONT_SIZE,
        }
    }
}

/// A visible signature before the signer and the time are known.
#[derive(Clone, Debug, PartialEq)]
pub struct VisibleSignature {
    pub placement: Placement,
    /// Required unless the signature goes into an existing field, whose rectangle it takes.
    pub area: Option<Area>,
    /// `None`: transparent.
    pub background: Option<Rgb>,
    pub font: Font,
    /// The text, with references to the signer's certificate and the signature (see
    /// [`Template`]). `None`: [`DEFAULT_TEMPLATE`].
    pub template: Option<Template>,
    pub image: Option<SignatureImage>,
}

impl VisibleSignature {
    pub fn new(placement: Placement, area: Option<Area>) -> Self {
        VisibleSignature {
            placement,
            area,
            background: None,
            font: Font::default(),
            template: None,
            image: None,
        }
    }

    /// What the PDF layer draws, with the template filled in.
    pub(crate) fn to_pdf(
        &self,
        signer: &Certificate,
        signing_time: time::OffsetDateTime,
        reason: Option<&str>,
        location: Option<&str>,
    ) -> Result<signstash_pdf::VisibleSignature> {
        let area = match (&self.placement, self.area) {
            (_, Some(a)) => a,
            (Placement::SignField(_), None) => Area {
                width: 0.0,
                height: 0.0,
            },
            (_, None) => {
                return Err(Error::VisibleSignature(
                    "the signature area (width and height) is required".into(),
                ))
            }
        };
        let x509 = openssl::x509::X509::from_der(signer.der())?;
        let subject = x509.subject_name();
        let organization = entry(subject, Nid::ORGANIZATIONNAME);
        let serial_number = x509
            .serial_number()
            .to_bn()
            .and_then(|n| n.to_hex_str().map(|h| h.to_string()))
            .map_err(|e| Error::Certificate(format!("its serial number: {e}")))?;
        let values = TemplateValues {
            common_name: &entry(subject, Nid::COMMONNAME)
                .unwrap_or_else(|| signer.subject_string()),
            organization: organization.as_deref(),
            serial_number: &serial_number,
            issuer_common_name: &entry(x509.issuer_name(), Nid::COMMONNAME)
                .unwrap_or_else(|| signer.issuer_string()),
            date: &format_date(signing_time),
            reason,
            location,
        };
        let text = match &self.template {
            Some(t) => t.render(&values),
            None => default_template().render(&values),
        };
        let mut pdf =
            signstash_pdf::VisibleSignature::new(self.placement.clone(), area.width, area.height);
        pdf.background = self.background;
        pdf.text = text;
        pdf.font_size = self.font.size;
        pdf.font_color = self.font.color;
        pdf.image = self.image.clone();
        Ok(pdf)
    }
}

/// The first `nid` entry of a name, as text.
fn entry(name: &X509NameRef, nid: Nid) -> Option<String> {
    name.entries_by_nid(nid)
        .next()
        .and_then(|e| e.data().to_string().ok())
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A visible-signature attribute that does not parse: the request is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

fn malformed(msg: impl Into<String>) -> FormatError {
    FormatError(msg.into())
}

/// `key=value` pairs separated by commas; keys are case-insensitive, each at most once, and
/// must be among `keys`.
fn pairs<'s>(s: &'s str, keys: &[&str]) -> Result<Vec<(String, &'s str)>, FormatError> {
    let expected = || keys.join(",").replace(',', "=…,") + "=…";
    let mut out: Vec<(String, &str)> = Vec::new();
    for part in s.split(',') {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| malformed(format!("`{s}` is not of the form {}", expected())))?;
        let k = k.trim().to_ascii_lowercase();
        if !keys.contains(&k.as_str()) {
            return Err(malformed(format!(
                "`{s}` has an unknown key `{k}`; expected {}",
                expected()
            )));
        }
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(malformed(format!("`{s}` gives `{k}` twice")));
        }
        out.push((k, v.trim()));
    }
    Ok(out)
}

fn number(s: &str, key: &str, whole: &str) -> Result<f64, FormatError> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| malformed(format!("`{whole}`: {key} `{s}` is not a number")))
}

fn get<'a>(pairs: &'a [(String, &str)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

fn require<'a>(
    pairs: &'a [(String, &str)],
    key: &str,
    whole: &str,
) -> Result<&'a str, FormatError> {
    get(pairs, key).ok_or_else(|| malformed(format!("`{whole}` lacks {key}")))
}

/// `width=155,height=50` (points, both positive).
pub fn parse_area(s: &str) -> Result<Area, FormatError> {
    let p = pairs(s, &["width", "height"])?;
    let width = number(require(&p, "width", s)?, "width", s)?;
    let height = number(require(&p, "height", s)?, "height", s)?;
    if width <= 0.0 || height <= 0.0 {
        return Err(malformed(format!(
            "`{s}`: width and height must be positive"
        )));
    }
    Ok(Area { width, height })
}

/// `page=1,x=70,y=100`: page from 1, the area's lower-left corner in points from the page's
/// lower-left corner.
pub fn parse_coordinate(s: &str) -> Result<Placement, FormatError> {
    let p = pairs(s, &["page", "x", "y"])?;
    let page_text = require(&p, "page", s)?;
    let page = page_text
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| {
            malformed(format!(
                "`{s}`: page `{page_text}` is not a page number (1, 2, …)"
            ))
        })?;
    let x = number(require(&p, "x", s)?, "x", s)?;
    let y = number(require(&p, "y", s)?, "y", s)?;
    Ok(Placement::Coordinate { page, x, y })
}

/// `#RRGGBB` (the `#` may be left out) or `transparent` (`None`).
pub fn parse_color(s: &str) -> Result<Option<Rgb>, FormatError> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("transparent") {
        return Ok(None);
    }
    let hex = t.strip_prefix('#').unwrap_or(t);
    let bad = || malformed(format!("`{s}` is not a colour (#RRGGBB or transparent)"));
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(bad)
    };
    Ok(Some(Rgb(byte(0)?, byte(2)?, byte(4)?)))
}

/// `color=#000000,size=11`; either may be left out ([`Font::default`]).
pub fn parse_font(s: &str) -> Result<Font, FormatError> {
    let p = pairs(s, &["color", "size"])?;
    let mut font = Font::default();
    if let Some(c) = get(&p, "color") {
        font.color = parse_color(c)?
            .ok_or_else(|| malformed(format!("`{s}`: the text colour cannot be transparent")))?;
    }
    if let Some(size) = get(&p, "size") {
        font.size = number(size, "size", s)?;
        if !(font.size > 0.0 && font.size <= 200.0) {
            return Err(malformed(format!(
                "`{s}`: size must be between 0 and 200 points"
            )));
        }
    }
    Ok(font)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mini_formats() {
        assert_eq!(
            parse_area("width=155,height=50"),
            Ok(Area {
                width: 155.0,
                height: 50.0
            })
        );
        assert_eq!(
            parse_area(" Height = 50.5 , width=10"),
            Ok(Area {
                width: 10.0,
                height: 50.5
            })
        );
        assert!(parse_area("width=155").is_err());
        assert!(parse_area("width=-1,height=5").is_err());
        assert!(parse_area("155x50").is_err());
        assert!(parse_area("width=1,height=2,depth=3").is_err());
        assert!(parse_area("width=1,width=2").is_err());
        assert_eq!(
            parse_coordinate("page=1,x=70,y=100"),
            Ok(Placement::Coordinate {
                page: 1,
                x: 70.0,
                y: 100.0
            })
        );
        assert!(parse_coordinate("page=0,x=70,y=100").is_err());
        assert!(parse_coordinate("page=one,x=70,y=100").is_err());
        assert!(parse_coordinate("x=70,y=100").is_err());
        assert!(parse_coordinate("page=1,x=inf,y=1").is_err());
        assert_eq!(parse_color("#FF8000"), Ok(Some(Rgb(255, 128, 0))));
        assert_eq!(parse_color("ff8000"), Ok(Some(Rgb(255, 128, 0))));
        assert_eq!(parse_color("Transparent"), Ok(None));
        assert!(parse_color("#FF80").is_err());
        assert!(parse_color("#GG0000").is_err());
        assert!(parse_color("#ÿÿ0000").is_err());
        assert_eq!(
            parse_font("color=#0000FF,size=11"),
            Ok(Font {
                color: Rgb(0, 0, 255),
                size: 11.0
            })
        );
        assert_eq!(parse_font("size=7").map(|f| f.color), Ok(Rgb::BLACK));
        assert!(parse_font("color=transparent").is_err());
        assert!(parse_font("size=0").is_err());
    }

    #[test]
    fn the_default_template_is_its_text_parsed() {
        assert_eq!(Template::parse(DEFAULT_TEMPLATE), Ok(default_template()));
        let v = TemplateValues {
            common_name: "Maria Silva",
            organization: None,
            serial_number: "01",
            issuer_common_name: "CA",
            date: "2026-11-24 10:15:30 UTC",
            reason: Some("Invoice"),
            location: None,
        };
        assert_eq!(
            default_template().render(&v),
            "Digitally signed by Maria Silva\nDate: 2026-11-24 10:15:30 UTC\nReason: Invoice"
        );
    }

    #[test]
    fn date_is_utc() {
        let t = time::macros::datetime!(2026-11-24 11:15:30 +01:00);
        assert_eq!(format_date(t), "2026-11-24 10:15:30 UTC");
    }
}
