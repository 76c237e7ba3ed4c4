//! Per-client-service e-mail templates, given as text at run time.
//!
//! askama templates are compiled into the binary, so a client service's own wording cannot be
//! one. Instead its template is plain text with named placeholders, parsed once (when it is
//! saved, so a mistake is reported to the operator then) and filled by substitution. There is
//! no logic, no loops, no includes: nothing a template author can do but place these fields.
//!
//! | Placeholder | Value |
//! |---|---|
//! | `{{issuer_name}}` | the issuer company's name |
//! | `{{operation_description}}` | the operation's description (empty when absent) |
//! | `{{document_list}}` | the document names: one `- name` line each in text, a `<ul>` in HTML, comma-separated in the subject |
//! | `{{portal_link}}` | `{portal_base_url}/d/{token}` |
//! | `{{receiver_email}}` | the receiver's address |
//! | `{{brand_color}}` | the brand colour (`--brand` of the portal template), as `#rrggbb` or `#rgb` |
//! | `{{brand_text_color}}` | the colour of text on the brand colour (`--brand-text`), likewise |
//! | `{{logo}}` | HTML: `<img src="cid:…" alt="{issuer name}" height="48">` when the portal template has a usable logo, else empty; text and subject: empty |
//!
//! Spaces inside the braces are allowed (`{{ issuer_name }}`); any other `{{…}}` is an error.
//!
//! Escaping: in the HTML part every value is HTML-escaped (`& < > " '`), so it is safe in text
//! and in quoted attributes (`<a href="{{portal_link}}">`); the template's own markup is trusted
//! (operators of the client service write it). In the subject and text part values are
//! inserted as they are, and the composed subject must hold no control character. When no HTML
//! template is given, the HTML part is the text part, escaped, with line breaks kept and the
//! portal link made clickable (and `{{logo}}` there is the image too).
//!
//! The colours are hex values checked by [`HexColor`](crate::HexColor), so
//! `style="background:{{brand_color}}"` is safe. The logo's inline part is only sent when the
//! HTML shows it.

use crate::compose::Values;
use crate::error::MailError;

/// Largest template accepted, per part.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// A client service's own "documents available" e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTemplate {
    subject: Vec<Segment>,
    text: Vec<Segment>,
    html: Option<Vec<Segment>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    IssuerName,
    OperationDescription,
    DocumentList,
    PortalLink,
    ReceiverEmail,
    BrandColor,
    BrandTextColor,
    Logo,
}

impl Field {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "issuer_name" => Self::IssuerName,
            "operation_description" => Self::OperationDescription,
            "document_list" => Self::DocumentList,
            "portal_link" => Self::PortalLink,
            "receiver_email" => Self::ReceiverEmail,
            "brand_color" => Self::BrandColor,
            "brand_text_color" => Self::BrandTextColor,
            "logo" => Self::Logo,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Field(Field),
}

#[derive(Clone, Copy)]
enum Mode {
    Subject,
    Text,
    Html,
    /// HTML made from the text template.
    HtmlFromText,
}

impl CustomTemplate {
    /// Parses the three parts; `html` may be absent (then derived from `text`).
    pub fn parse(subject: &str, text: &str, html: Option<&str>) -> Result<Self, MailError> {
        if subject.contains(['\r', '\n']) {
            return Err(MailError::Template {
                part: "subject",
                reason: "the subject must be one line".into(),
            });
        }
        Ok(Self {
            subject: parse_part("subject", subject)?,
            text: parse_part("text", text)?,
            html: html.map(|h| parse_part("HTML", h)).transpose()?,
        })
    }

    /// (subject, text, html).
    pub(crate) fn render(&self, v: &Values<'_>) -> (String, String, String) {
        let html = match &self.html {
            Some(html) => render(html, v, Mode::Html),
            None => {
                let body = render(&self.text, v, Mode::HtmlFromText);
                format!(
                    "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"></head>\n<body>\n<p>{}</p>\n</body></html>\n",
                    v.lang, body
                )
            }
        };
        (
            render(&self.subject, v, Mode::Subject).trim().to_owned(),
            render(&self.text, v, Mode::Text),
            html,
        )
    }
}

fn parse_part(part: &'static str, source: &str) -> Result<Vec<Segment>, MailError> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(MailError::Template {
            part,
            reason: format!("longer than {MAX_TEMPLATE_BYTES} bytes"),
        });
    }
    let mut segments = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            segments.push(Segment::Literal(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| MailError::Template {
            part,
            reason: "'{{' without a closing '}}'".into(),
        })?;
        let name = after[..end].trim();
        let field = Field::from_name(name).ok_or_else(|| MailError::Template {
            part,
            reason: format!(
                "unknown placeholder {{{{{}}}}}; known: issuer_name, operation_description, document_list, portal_link, receiver_email, brand_color, brand_text_color, logo",
                name.chars().take(40).collect::<String>()
            ),
        })?;
        segments.push(Segment::Field(field));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.to_owned()));
    }
    Ok(segments)
}

fn render(segments: &[Segment], v: &Values<'_>, mode: Mode) -> String {
    let mut out = String::new();
    for segment in segments {
        match (segment, mode) {
            (Segment::Literal(text), Mode::HtmlFromText) => push_text_as_html(&mut out, text),
            (Segment::Literal(text), _) => out.push_str(text),
            (Segment::Field(field), _) => push_field(&mut out, *field, v, mode),
        }
    }
    out
}

fn push_field(out: &mut String, field: Field, v: &Values<'_>, mode: Mode) {
    let value = match field {
        Field::DocumentList => return push_document_list(out, v.documents, mode),
        Field::Logo => return push_logo(out, v, mode),
        Field::BrandColor => v.colors.brand.as_str(),
        Field::BrandTextColor => v.colors.brand_text.as_str(),
        Field::IssuerName => v.issuer_name,
        Field::OperationDescription => v.operation_description.unwrap_or(""),
        Field::PortalLink => v.portal_link,
        Field::ReceiverEmail => v.receiver,
    };
    match mode {
        Mode::Subject | Mode::Text => out.push_str(value),
        Mode::Html => push_escaped(out, value),
        Mode::HtmlFromText if field == Field::PortalLink => {
            out.push_str("<a href=\"");
            push_escaped(out, value);
            out.push_str("\">");
            push_escaped(out, value);
            out.push_str("</a>");
        }
        Mode::HtmlFromText => push_text_as_html(out, value),
    }
}

fn push_document_list(out: &mut String, documents: &[String], mode: Mode) {
    match mode {
        Mode::Subject => out.push_str(&documents.join(", ")),
        Mode::Text => {
            for name in documents {
                out.push_str("- ");
                out.push_str(name);
                out.push('\n');
            }
        }
        Mode::Html | Mode::HtmlFromText => {
            out.push_str("<ul>");
            for name in documents {
                out.push_str("<li>");
                push_escaped(out, name);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
    }
}

fn push_logo(out: &mut String, v: &Values<'_>, mode: Mode) {
    let Some(cid) = v.logo_cid else {
        return;
    };
    if let Mode::Html | Mode::HtmlFromText = mode {
        out.push_str("<img src=\"cid:");
        push_escaped(out, cid);
        out.push_str("\" alt=\"");
        push_escaped(out, v.issuer_name);
        out.push_str("\" height=\"48\">");
    }
}

fn push_text_as_html(out: &mut String, text: &str) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>\n");
        }
        push_escaped(out, line.trim_end_matches('\r'));
    }
}

/// HTML-escapes `& < > " '`: safe in element content and in quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
