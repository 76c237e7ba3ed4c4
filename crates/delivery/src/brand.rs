//! A client service's brand in its e-mails: the colours and logo of its PORTAL template.
//!
//! The client portal lays the template's CSS over `portal.css`, whose colours are custom
//! properties on `:root` (`--brand`, `--brand-text`, `--text`, `--muted`, `--line`,
//! `--surface`, `--page`). Mail clients ignore stylesheets, so the e-mail cannot take the CSS
//! as it is: [`Brand::from_portal_template`] reads those properties from the top-level `:root`
//! and `html` rules and the HTML templates write them into inline `style` attributes.
//!
//! Because the values end up inside attributes, only `#rgb` and `#rrggbb` are accepted (a
//! [`HexColor`] cannot hold anything else); any other value (`rgb()`, `var()`, names, or an
//! attempt such as `#fff;background:url(x)`) leaves the default. Rules inside at-rules
//! (`@media`, `@supports`, …) are skipped: a mail has no media to query, and the portal's
//! unconditional look is the one to copy.
//!
//! The logo travels as an inline image part (`cid:`), only as PNG, JPEG or GIF and at most
//! [`MAX_LOGO_BYTES`]: SVG and WebP are badly supported by mail clients, and SVG can carry
//! script. A refused logo is simply left out (the issuer's name stands alone).

use std::fmt;

use bytes::Bytes;

/// Largest logo sent inline with an e-mail.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// A CSS colour in hex notation, `#rgb` or `#rrggbb`, lower-cased: safe in a `style` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexColor(String);

impl HexColor {
    /// `None` unless `value` is exactly `#` and 3 or 6 hex digits (surrounding spaces allowed).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let digits = value.strip_prefix('#')?;
        let well_formed =
            matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit());
        well_formed.then(|| Self(value.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Only for the compiled-in defaults, which the tests check against `portal.css`.
    fn known(value: &'static str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Display for HexColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The colours of `portal.css`, by custom property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colors {
    /// `--brand`: buttons and links.
    pub brand: HexColor,
    /// `--brand-text`: text on a `--brand` background.
    pub brand_text: HexColor,
    /// `--text`: body text.
    pub text: HexColor,
    /// `--muted`: secondary text.
    pub muted: HexColor,
    /// `--line`: borders.
    pub line: HexColor,
    /// `--surface`: the card the content sits on.
    pub surface: HexColor,
    /// `--page`: the background around the card.
    pub page: HexColor,
}

impl Default for Colors {
    /// `portal.css`'s `:root` (a test keeps them equal).
    fn default() -> Self {
        Self {
            brand: HexColor::known("#1d4ed8"),
            brand_text: HexColor::known("#ffffff"),
            text: HexColor::known("#1f2933"),
            muted: HexColor::known("#52606d"),
            line: HexColor::known("#d9dee4"),
            surface: HexColor::known("#ffffff"),
            page: HexColor::known("#f4f5f7"),
        }
    }
}

impl Colors {
    fn slot(&mut self, property: &str) -> Option<&mut HexColor> {
        Some(match property {
            "--brand" => &mut self.brand,
            "--brand-text" => &mut self.brand_text,
            "--text" => &mut self.text,
            "--muted" => &mut self.muted,
            "--line" => &mut self.line,
            "--surface" => &mut self.surface,
            "--page" => &mut self.page,
            _ => return None,
        })
    }

    /// The defaults with the custom properties of `css`'s top-level `:root` / `html` rules laid
    /// over them. The last declaration of a property wins; when its value is not a hex colour
    /// the default stays.
    pub fn from_css(css: &str) -> Self {
        let mut defaults = Self::default();
        let mut colors = Self::default();
        for (property, value) in root_declarations(css) {
            let Some(default) = defaults.slot(&property).map(|d| d.clone()) else {
                continue;
            };
            if let Some(slot) = colors.slot(&property) {
                *slot = HexColor::parse(strip_important(&value)).unwrap_or(default);
            }
        }
        colors
    }
}

/// An image the mail can show: PNG, JPEG or GIF, at most [`MAX_LOGO_BYTES`].
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    content_type: &'static str,
    bytes: Bytes,
}

impl Logo {
    /// `None` for an empty, too large or unsupported image (SVG, WebP, anything else).
    pub fn new(bytes: impl Into<Bytes>, content_type: &str) -> Option<Self> {
        let bytes = bytes.into();
        let content_type = match content_type.trim().to_ascii_lowercase().as_str() {
            "image/png" => "image/png",
            "image/jpeg" => "image/jpeg",
            "image/gif" => "image/gif",
            _ => return None,
        };
        (!bytes.is_empty() && bytes.len() <= MAX_LOGO_BYTES).then_some(Self {
            content_type,
            bytes,
        })
    }

    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logo")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The look of a client service's e-mails: `portal.css`'s colours and no logo by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Brand {
    pub colors: Colors,
    pub logo: Option<Logo>,
}

impl Brand {
    /// From a PORTAL template: its CSS (`body`) and its logo with the logo's content type.
    /// Never fails: what cannot be used in a mail is left at the default (see the module docs).
    pub fn from_portal_template(css: &str, logo: Option<(&[u8], &str)>) -> Self {
        Self {
            colors: Colors::from_css(css),
            logo: logo.and_then(|(bytes, content_type)| {
                Logo::new(Bytes::copy_from_slice(bytes), content_type)
            }),
        }
    }
}

fn strip_important(value: &str) -> &str {
    let value = value.trim_end();
    let lower = value.to_ascii_lowercase();
    match lower.strip_suffix("important") {
        Some(rest) if rest.trim_end().ends_with('!') => {
            value[..rest.trim_end().len() - 1].trim_end()
        }
        _ => value,
    }
}

/// `(property, value)` of every declaration in the top-level rules whose selector list names
/// `:root` or `html`, in source order. Comments are removed first; at-rules are skipped whole.
fn root_declarations(css: &str) -> Vec<(String, String)> {
    let css = strip_comments(css);
    let mut found = Vec::new();
    let mut rest = css.as_str();
    while !rest.trim().is_empty() {
        // A prelude runs to the first `{` or `;` outside strings.
        let Some(at) = find_outside_strings(rest, 0, |c| c == '{' || c == ';') else {
            break;
        };
        if rest[at..].starts_with(';') {
            // `@import …;`, `@charset …;` or stray text: nothing to read.
            rest = &rest[at + 1..];
            continue;
        }
        let prelude = rest[..at].trim();
        let body_end = block_end(rest, at + 1);
        if !prelude.starts_with('@') && names_root(prelude) {
            found.extend(declarations(&rest[at + 1..body_end]));
        }
        rest = rest.get(body_end + 1..).unwrap_or("");
    }
    found
}

/// A selector list that applies to the root element: `:root`, `html`, or a list holding one.
fn names_root(selectors: &str) -> bool {
    selectors
        .split(',')
        .map(str::trim)
        .any(|s| s.eq_ignore_ascii_case(":root") || s.eq_ignore_ascii_case("html"))
}

/// The `name: value` declarations of a rule's body; nested blocks (CSS nesting) are skipped.
fn declarations(body: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = body;
    while !rest.trim().is_empty() {
        let Some(at) = find_outside_strings(rest, 0, |c| c == ';' || c == '{') else {
            push_declaration(&mut found, rest);
            break;
        };
        if rest[at..].starts_with('{') {
            rest = rest.get(block_end(rest, at + 1) + 1..).unwrap_or("");
            continue;
        }
        push_declaration(&mut found, &rest[..at]);
        rest = &rest[at + 1..];
    }
    found
}

fn push_declaration(found: &mut Vec<(String, String)>, declaration: &str) {
    if let Some((name, value)) = declaration.split_once(':') {
        found.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

/// The index of the `}` closing the block whose content starts at `start` (nested blocks and
/// strings counted), or the end of the text when it is never closed.
fn block_end(text: &str, start: usize) -> usize {
    let mut depth = 0usize;
    let mut from = start;
    while let Some(at) = find_outside_strings(text, from, |c| c == '{' || c == '}') {
        if text[at..].starts_with('{') {
            depth += 1;
        } else if depth == 0 {
            return at;
        } else {
            depth -= 1;
        }
        from = at + 1;
    }
    text.len()
}

/// The first character from `from` on that satisfies `wanted`, outside quoted strings.
fn find_outside_strings(text: &str, from: usize, wanted: impl Fn(char) -> bool) -> Option<usize> {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if wanted(c) => return Some(from + i),
            None => {}
        }
    }
    None
}

/// The text with every `/* … */` removed (an unclosed comment runs to the end).
fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        out.push(' ');
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn brand_of(css: &str) -> String {
        Colors::from_css(css).brand.to_string()
    }

    const DEFAULT_BRAND: &str = "#1d4ed8";

    #[test]
    fn the_defaults_are_those_of_portal_css() {
        let css = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../services/client-portal/assets/portal.css"
        ));
        // Every property is declared there with a value the parser accepts (otherwise the
        // comparison below would hold by falling back to the defaults it is meant to check).
        let declared = root_declarations(css);
        let mut defaults = Colors::default();
        for property in [
            "--brand",
            "--brand-text",
            "--text",
            "--muted",
            "--line",
            "--surface",
            "--page",
        ] {
            let values: Vec<_> = declared.iter().filter(|(p, _)| p == property).collect();
            let [(_, value)] = values.as_slice() else {
                panic!("{property} declared {} times in portal.css", values.len());
            };
            assert_eq!(
                HexColor::parse(value).as_ref(),
                defaults.slot(property).map(|d| &*d),
                "{property}"
            );
        }
        assert_eq!(Colors::from_css(css), Colors::default());
        assert_eq!(Brand::default().colors, Colors::default());
        assert_eq!(Brand::default().logo, None);
    }

    #[test]
    fn root_and_html_rules_set_the_colours() {
        let colors = Colors::from_css(
            ":root { --brand: #0B7A3E; --brand-text:#000 }\n\
             html { --page: #eeeeee; color: var(--text); }\n\
             :root, body { --muted: #123 !important; }\n\
             body { --text: #ff0000; }\n\
             .x :root { --line: #ff0000; }",
        );
        assert_eq!(colors.brand.as_str(), "#0b7a3e");
        assert_eq!(colors.brand_text.as_str(), "#000");
        assert_eq!(colors.page.as_str(), "#eeeeee");
        assert_eq!(colors.muted.as_str(), "#123");
        assert_eq!(colors.text, Colors::default().text, "body is not the root");
        assert_eq!(colors.line, Colors::default().line, "nor is a descendant");
        assert_eq!(colors.surface, Colors::default().surface);
    }

    #[test]
    fn comments_are_ignored() {
        assert_eq!(brand_of("/* :root { --brand: #ff0000; } */"), DEFAULT_BRAND);
        assert_eq!(
            brand_of(":root { /* --brand: #ff0000; */ --brand: /* green */ #00ff00; }"),
            "#00ff00"
        );
        assert_eq!(
            brand_of(":root { --brand: #00ff00; } /* unclosed"),
            "#00ff00"
        );
        assert_eq!(
            brand_of("/* unclosed :root { --brand: #00ff00; }"),
            DEFAULT_BRAND
        );
    }

    #[test]
    fn at_rules_are_skipped_whole() {
        let css = ":root { --brand: #00ff00; }\n\
                   @media (prefers-color-scheme: dark) { :root { --brand: #ff0000; } html { --page: #000; } }\n\
                   @supports (display: grid) { :root { --brand: #ff0000; } }\n\
                   @import url(\"x.css\");\n\
                   @font-face { font-family: X; src: url(x.woff) }";
        let colors = Colors::from_css(css);
        assert_eq!(colors.brand.as_str(), "#00ff00");
        assert_eq!(colors.page, Colors::default().page);
        // A rule after the at-rules is still read.
        assert_eq!(
            brand_of(&format!("{css}\n:root {{ --brand: #0000ff }}")),
            "#0000ff"
        );
    }

    #[test]
    fn the_last_declaration_wins() {
        assert_eq!(
            brand_of(":root { --brand: #ff0000; --brand: #00ff00; }"),
            "#00ff00"
        );
        assert_eq!(
            brand_of(":root { --brand: #ff0000; } html { --brand: #00ff00; }"),
            "#00ff00"
        );
        // The last one is what the portal shows; when the mail cannot show it, the default.
        assert_eq!(
            brand_of(":root { --brand: #00ff00; } :root { --brand: rgb(1, 2, 3); }"),
            DEFAULT_BRAND
        );
    }

    #[test]
    fn only_hex_colours_pass() {
        for value in [
            "#fff;background:url(x)",
            "#fff\" onload=\"alert(1)",
            "red\" onload=",
            "#fff\" onload=",
            "#fff' onload='",
            "#fff><script>",
            "red",
            "rgb(0, 0, 0)",
            "var(--x)",
            "#ff",
            "#ffff",
            "#fffffff",
            "#ggg",
            "#12345g",
            "# fff",
            "expression(alert(1))",
            "#fff url(x)",
            "#fff background:url(x)",
            "#fff\\;x",
            "",
        ] {
            assert_eq!(HexColor::parse(value), None, "{value}");
            if !value.contains(';') {
                assert_eq!(
                    brand_of(&format!(":root {{ --brand: {value} }}")),
                    DEFAULT_BRAND,
                    "{value}"
                );
            }
        }
        // In CSS the `;` ends the declaration: `background` is a property of its own (ignored),
        // and only the checked `#fff` reaches the mail, as it reaches the portal.
        assert_eq!(
            brand_of(":root { --brand: #fff;background:url(x) }"),
            "#fff"
        );
        // A string holding braces or semicolons does not end the rule or the declaration.
        assert_eq!(
            brand_of(":root { --x: \"}; --brand: #ff0000\"; --brand: #00ff00 }"),
            "#00ff00"
        );
        assert_eq!(
            brand_of(":root { --brand: \"#fff;\" }"),
            DEFAULT_BRAND,
            "a string is not a colour"
        );
        assert_eq!(HexColor::parse(" #ABCDEF ").unwrap().as_str(), "#abcdef");
    }

    #[test]
    fn broken_css_leaves_the_defaults() {
        for css in [
            "",
            "}}}",
            ":root {",
            ":root { --brand",
            "{{{ --brand: #000",
            ";;;",
        ] {
            let _ = Colors::from_css(css);
        }
        assert_eq!(
            brand_of(":root { --brand: #00ff00"),
            "#00ff00",
            "unclosed block"
        );
        assert_eq!(brand_of("} :root { --brand: #00ff00 }"), DEFAULT_BRAND);
    }

    #[test]
    fn only_small_png_jpeg_and_gif_logos_are_kept() {
        let logo = |bytes: &[u8], ty: &str| Brand::from_portal_template("", Some((bytes, ty))).logo;
        assert_eq!(
            logo(b"png", "image/png").unwrap().content_type(),
            "image/png"
        );
        assert_eq!(
            logo(b"jpg", "IMAGE/JPEG").unwrap().content_type(),
            "image/jpeg"
        );
        assert_eq!(logo(b"gif", "image/gif").unwrap().bytes().as_ref(), b"gif");
        for ty in [
            "image/svg+xml",
            "image/webp",
            "text/html",
            "image/png; x=1",
            "",
        ] {
            assert_eq!(logo(b"x", ty), None, "{ty}");
        }
        assert_eq!(logo(b"", "image/png"), None);
        assert!(logo(&vec![0; MAX_LOGO_BYTES], "image/png").is_some());
        assert_eq!(logo(&vec![0; MAX_LOGO_BYTES + 1], "image/png"), None);
        assert_eq!(Brand::from_portal_template("", None).logo, None);
    }
}
