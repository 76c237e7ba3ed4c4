//! What an uploaded template may hold. The portal serves a client service's CSS as its own
//! stylesheet and its logo as an image of its own origin, so both are checked before they are
//! stored: nothing that loads from elsewhere, nothing that runs.

/// Largest logo accepted (the e-mails carry at most this much too).
pub const MAX_LOGO_BYTES: usize = signstash_delivery::MAX_LOGO_BYTES;

/// Largest stylesheet accepted.
pub const MAX_CSS_BYTES: usize = 64 * 1024;

/// Why a stylesheet is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum CssProblem {
    TooLarge,
    /// Something that loads from elsewhere or runs: `url(`, `@import`, `expression(`,
    /// `javascript:`, markup, a CSS escape that could spell any of them.
    Forbidden(&'static str),
}

/// Functions and at-rules that fetch something (a stylesheet may hold no address at all,
/// not even one of our own sites: the simplest rule that cannot be got round), or run script
/// in old browsers; markup that would end a `<style>`; escapes (`\75 rl(` is `url(`).
const FORBIDDEN_CSS: [&str; 14] = [
    "url(",
    "@import",
    "expression(",
    "javascript:",
    "</style",
    "<",
    "\\",
    "image-set(",
    "image(",
    "src(",
    "cross-fade(",
    "element(",
    "behavior:",
    "-moz-binding",
];

pub fn css(text: &str) -> Result<(), CssProblem> {
    if text.len() > MAX_CSS_BYTES {
        return Err(CssProblem::TooLarge);
    }
    let lower = text.to_ascii_lowercase();
    if let Some(found) = FORBIDDEN_CSS.iter().find(|f| lower.contains(*f)) {
        return Err(CssProblem::Forbidden(found));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(CssProblem::Forbidden("control character"));
    }
    Ok(())
}

/// Why a logo is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum LogoProblem {
    TooLarge,
    /// Not a PNG, a JPEG or an SVG.
    NotAnImage,
    /// An SVG with something outside the allowed elements and attributes (script, event
    /// handlers, external references, a DTD, foreign content).
    UnsafeSvg(String),
}

/// The media type of an accepted logo, judged by its bytes (never by the name or the type the
/// browser sent).
pub fn logo(bytes: &[u8]) -> Result<&'static str, LogoProblem> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(LogoProblem::TooLarge);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok("image/png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok("image/jpeg");
    }
    let text = std::str::from_utf8(bytes).map_err(|_| LogoProblem::NotAnImage)?;
    let text = text.trim_start_matches('\u{feff}');
    if !text.contains("<svg") {
        return Err(LogoProblem::NotAnImage);
    }
    svg(text).map(|()| "image/svg+xml")
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";

/// The elements a logo may use: shapes, text, paint servers, groups. No `script`, `style`,
/// `foreignObject`, `image`, `a`, animation or `iframe`.
const SVG_ELEMENTS: [&str; 23] = [
    "svg",
    "g",
    "defs",
    "title",
    "desc",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "symbol",
    "use",
    "pattern",
    "metadata",
];

/// Geometry and presentation attributes; `href` only as a reference inside the document.
const SVG_ATTRIBUTES: [&str; 62] = [
    "id",
    "class",
    "version",
    "baseProfile",
    "width",
    "height",
    "viewBox",
    "preserveAspectRatio",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "pathLength",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "color",
    "display",
    "visibility",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "clip-path",
    "clip-rule",
    "clipPathUnits",
    "mask",
    "maskUnits",
    "maskContentUnits",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "href",
];

/// Accessibility attributes, allowed too.
const ARIA_ATTRIBUTES: [&str; 3] = ["role", "aria-label", "aria-hidden"];

/// An SVG logo: well-formed XML without a DTD (roxmltree refuses one, so no entity can be
/// declared), every element and attribute from the allow-lists, every reference local.
pub fn svg(text: &str) -> Result<(), LogoProblem> {
    let unsafe_svg = |why: String| LogoProblem::UnsafeSvg(why);
    let doc = roxmltree::Document::parse(text).map_err(|e| unsafe_svg(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NS) {
        return Err(LogoProblem::NotAnImage);
    }
    for node in doc.descendants() {
        if node.is_pi() {
            return Err(unsafe_svg("processing instruction".into()));
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name();
        let known = name.namespace() == Some(SVG_NS) && SVG_ELEMENTS.contains(&name.name());
        if !known {
            return Err(unsafe_svg(format!("element <{}>", name.name())));
        }
        for a in node.attributes() {
            let allowed = match a.namespace() {
                None => SVG_ATTRIBUTES.contains(&a.name()) || ARIA_ATTRIBUTES.contains(&a.name()),
                Some(XLINK_NS) => a.name() == "href",
                Some("http://www.w3.org/XML/1998/namespace") => a.name() == "space",
                Some(_) => false,
            };
            if !allowed {
                return Err(unsafe_svg(format!("attribute {}", a.name())));
            }
            let value = a.value().to_ascii_lowercase();
            if a.name() == "href" && !value.trim_start().starts_with('#') {
                return Err(unsafe_svg("a reference outside the logo".into()));
            }
            if value.contains("javascript:") || !urls_are_local(&value) {
                return Err(unsafe_svg(format!("the value of {}", a.name())));
            }
        }
    }
    Ok(())
}

/// Every `url(` in `value` is `url(#…)` (a gradient or clip path of the logo itself).
fn urls_are_local(value: &str) -> bool {
    value.match_indices("url(").all(|(at, _)| {
        value[at + 4..]
            .trim_start_matches([' ', '\'', '"'])
            .starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheets_that_load_or_run_anything_are_refused() {
        assert_eq!(
            css(":root { --brand: #0b7a3e; }\nbody { margin: 0 }"),
            Ok(())
        );
        for bad in [
            "body { background: url(https://evil.example/x.png) }",
            "body { background: URL( 'x.png' ) }",
            "@import 'https://evil.example/x.css';",
            "@IMPORT url(x.css);",
            "body { width: expression(alert(1)) }",
            "a { background: javascript:alert(1) }",
            "</style><script>alert(1)</script>",
            "body { background: u\\72l(x) }",
            "body { background: image-set('x.png' 1x) }",
            "body { background: -webkit-image-set('x.png' 1x) }",
            "body { behavior: url(x.htc) }",
            "body { -moz-binding: x }",
            "body { color: red }\u{0}",
        ] {
            assert!(css(bad).is_err(), "{bad}");
        }
        assert_eq!(
            css(&"a".repeat(MAX_CSS_BYTES + 1)),
            Err(CssProblem::TooLarge)
        );
    }

    const GOOD_SVG: &str = r##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" width="10" height="10">
<title>Logo</title>
<defs><linearGradient id="g"><stop offset="0" stop-color="#000"/></linearGradient></defs>
<rect width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/><text x="1" y="5">A</text>
</svg>"##;

    #[test]
    fn images_are_judged_by_their_bytes() {
        assert_eq!(logo(b"\x89PNG\r\n\x1a\nrest"), Ok("image/png"));
        assert_eq!(logo(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Ok("image/jpeg"));
        assert_eq!(logo(GOOD_SVG.as_bytes()), Ok("image/svg+xml"));
        assert_eq!(logo(b"GIF89a"), Err(LogoProblem::NotAnImage));
        assert_eq!(logo(b"<html></html>"), Err(LogoProblem::NotAnImage));
        assert_eq!(
            logo(&vec![0x89; MAX_LOGO_BYTES + 1]),
            Err(LogoProblem::TooLarge)
        );
    }

    #[test]
    fn svgs_that_run_or_load_anything_are_refused() {
        let wrap = |inner: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{inner}</svg>"#
            )
        };
        for bad in [
            wrap("<script>alert(1)</script>"),
            wrap(r#"<rect onload="alert(1)"/>"#),
            wrap(r#"<rect onclick="alert(1)" width="1"/>"#),
            wrap(r#"<a href="javascript:alert(1)"><rect/></a>"#),
            wrap(r#"<use href="https://evil.example/x.svg#a"/>"#),
            wrap(r#"<use xlink:href="data:image/svg+xml,x"/>"#),
            wrap(r#"<image href="https://evil.example/x.png"/>"#),
            wrap("<foreignObject><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></foreignObject>"),
            wrap("<style>rect { fill: red }</style>"),
            wrap(r#"<rect style="fill: red"/>"#),
            wrap(r#"<rect fill="url(https://evil.example/x#g)"/>"#),
            wrap(r#"<animate attributeName="href" to="javascript:alert(1)"/>"#),
            wrap(r#"<set attributeName="onload" to="alert(1)"/>"#),
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>"#.into(),
            r#"<!DOCTYPE svg SYSTEM "http://evil.example/x.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>"#.into(),
            r#"<svg xmlns="http://www.w3.org/2000/svg"><?xml-stylesheet href="x.css"?></svg>"#.into(),
            "<svg><rect/></svg>".into(),
        ] {
            assert!(logo(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
