//! The client service's brand in the e-mail: colours in the HTML, the logo as an inline part of
//! a `multipart/related`, read back by Python's `email` package.

mod support;

use signstash_delivery::{Brand, CustomTemplate, DocumentsAvailable, Mail, PortalToken};
use signstash_test_support::smtp::{any_python, parse_messages, Parsed};
use support::fixtures::{self, branded, composer, link, logo_png, token_in};

/// The mail as Python's `email` package reads it; `None` without a Python (outside CI).
fn parse(mail: &Mail) -> Option<Parsed> {
    let python = any_python()?;
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = dir.path().join("mail.eml");
    std::fs::write(&file, mail.formatted()).expect("write the message");
    let mut parsed = parse_messages(&python, &[file]);
    assert_eq!(parsed.len(), 1);
    let m = parsed.pop().expect("one message");
    assert!(m.defects.is_empty(), "{:?}\n{}", m.defects, m.raw);
    Some(m)
}

fn compose(content: &DocumentsAvailable, custom: Option<&CustomTemplate>) -> (Mail, PortalToken) {
    let token = PortalToken::generate();
    let mail = composer()
        .documents_available("r@example.com", &token, content, custom)
        .expect("mail");
    (mail, token)
}

fn en_branded() -> DocumentsAvailable {
    DocumentsAvailable {
        brand: branded(),
        ..fixtures::en_without_attachments()
    }
}

/// The `cid:` the HTML's `<img>` points at.
fn img_cid(html: &str) -> &str {
    let at = html
        .find("<img src=\"cid:")
        .expect("an <img> with a cid: source")
        + 14;
    let len = html[at..].find('"').expect("closing quote");
    &html[at..at + len]
}

#[test]
fn a_branded_mail_has_the_colours_and_the_logo_as_an_inline_part() {
    let (mail, token) = compose(&en_branded(), None);
    let html = mail.html_body();
    assert!(
        html.contains("background:#0b7a3e;color:#fefefe;"),
        "the button in the brand's colours:\n{html}"
    );
    assert!(html.contains("style=\"color:#0b7a3e;"), "the link:\n{html}");
    // What the template does not override stays portal.css's.
    assert!(html.contains("background:#f4f5f7;"), "{html}");
    assert!(!html.contains("#1d4ed8"), "{html}");
    let cid = img_cid(html).to_owned();
    assert!(cid.ends_with("@signstash.test"), "{cid}");
    assert!(
        html.contains("alt=\"Acme &#60;Trading&#62; Ltd\" height=\"48\""),
        "the issuer's name as the alternative text:\n{html}"
    );
    assert!(!mail.text_body().contains("cid:"));

    let Some(m) = parse(&mail) else {
        return;
    };
    assert_eq!(
        m.structure,
        "multipart/alternative(text/plain,multipart/related(text/html,image/png))"
    );
    assert!(m.attachments.is_empty(), "{:?}", m.attachments);
    let [logo] = m.inline.as_slice() else {
        panic!("one inline part: {:?}", m.inline);
    };
    assert_eq!(logo.content_type, "image/png");
    assert_eq!(logo.disposition.as_deref(), Some("inline"));
    assert_eq!(
        logo.content_id.as_deref(),
        Some(format!("<{cid}>").as_str())
    );
    assert!(logo.data() == logo_png(), "the logo's bytes");
    let html = m.html.as_deref().expect("the HTML part");
    assert_eq!(img_cid(html), cid);
    assert!(html.contains(&format!("href=\"{}\"", link(&token))));
    assert_eq!(
        token_in(m.text.as_deref().expect("text")),
        token.expose_secret()
    );
}

#[test]
fn each_mail_has_its_own_content_id() {
    let (a, _) = compose(&en_branded(), None);
    let (b, _) = compose(&en_branded(), None);
    assert_ne!(img_cid(a.html_body()), img_cid(b.html_body()));
}

#[test]
fn the_default_brand_is_portal_css_and_sends_no_image() {
    let (mail, _) = compose(&fixtures::en_without_attachments(), None);
    let html = mail.html_body();
    assert!(html.contains("background:#1d4ed8;color:#ffffff;"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    let Some(m) = parse(&mail) else {
        return;
    };
    assert_eq!(m.structure, "multipart/alternative(text/plain,text/html)");
    assert!(m.inline.is_empty());
}

#[test]
fn a_refused_logo_leaves_the_colours_and_the_issuer_name_alone() {
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
    let content = DocumentsAvailable {
        brand: Brand::from_portal_template(
            fixtures::BRAND_CSS,
            Some((svg.as_slice(), "image/svg+xml")),
        ),
        ..fixtures::en_without_attachments()
    };
    let (mail, _) = compose(&content, None);
    let html = mail.html_body();
    assert!(html.contains("background:#0b7a3e;"), "{html}");
    assert!(!html.contains("<img") && !html.contains("svg"), "{html}");
    let Some(m) = parse(&mail) else {
        return;
    };
    assert_eq!(m.structure, "multipart/alternative(text/plain,text/html)");
}

#[test]
fn with_attachments_the_logo_sits_in_the_body_not_among_the_attachments() {
    let content = DocumentsAvailable {
        brand: branded(),
        ..fixtures::pt_with_attachments()
    };
    let (mail, _) = compose(&content, None);
    let Some(m) = parse(&mail) else {
        return;
    };
    assert_eq!(
        m.structure,
        "multipart/mixed(multipart/alternative(text/plain,multipart/related(text/html,image/png)),application/pdf,text/xml)"
    );
    let names: Vec<_> = m
        .attachments
        .iter()
        .map(|a| a.filename.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["fatura-ção 123.pdf", "FT 2026-124.xml"]);
    assert!(m.attachments[0].data() == fixtures::pdf_bytes());
    assert!(m.attachments[1].data() == fixtures::xml_bytes());
    assert_eq!(m.inline.len(), 1);
    assert!(m.inline[0].data() == logo_png());
    let html = m.html.as_deref().expect("the HTML part");
    assert_eq!(
        m.inline[0].content_id.as_deref(),
        Some(format!("<{}>", img_cid(html)).as_str())
    );
    assert!(html.contains("Ver os documentos"), "{html}");
}

#[test]
fn custom_templates_get_the_brand_colours_and_the_logo() {
    let custom = CustomTemplate::parse(
        "{{ brand_color }}{{logo}} from {{issuer_name}}",
        "{{logo}}Colours {{brand_color}} on {{brand_text_color}}\n{{portal_link}}",
        Some(
            "{{logo}}<a href=\"{{portal_link}}\" style=\"background:{{brand_color}};color:{{brand_text_color}}\">Open</a>",
        ),
    )
    .expect("parses");
    let (mail, token) = compose(&en_branded(), Some(&custom));
    assert_eq!(mail.subject(), "#0b7a3e from Acme <Trading> Ltd");
    assert_eq!(
        mail.text_body(),
        format!("Colours #0b7a3e on #fefefe\n{}", link(&token))
    );
    let html = mail.html_body();
    let cid = img_cid(html).to_owned();
    assert_eq!(
        html,
        format!(
            "<img src=\"cid:{cid}\" alt=\"Acme &lt;Trading&gt; Ltd\" height=\"48\"><a href=\"{}\" style=\"background:#0b7a3e;color:#fefefe\">Open</a>",
            link(&token)
        )
    );
    if let Some(m) = parse(&mail) {
        assert_eq!(m.inline.len(), 1);
        assert_eq!(
            m.inline[0].content_id.as_deref(),
            Some(format!("<{cid}>").as_str())
        );
    }

    // Without a logo, `{{logo}}` is empty and the colours are the defaults.
    let (mail, _) = compose(&fixtures::en_without_attachments(), Some(&custom));
    assert_eq!(mail.subject(), "#1d4ed8 from Acme <Trading> Ltd");
    assert!(
        mail.html_body().starts_with("<a href="),
        "{}",
        mail.html_body()
    );

    // The HTML made from a text template shows the logo too.
    let text_only =
        CustomTemplate::parse("Docs", "{{logo}}Hello\n{{portal_link}}", None).expect("parses");
    let (mail, _) = compose(&en_branded(), Some(&text_only));
    assert!(!mail.text_body().contains("cid:"));
    img_cid(mail.html_body());
    if let Some(m) = parse(&mail) {
        assert_eq!(m.inline.len(), 1);
    }
}

#[test]
fn a_custom_template_without_the_logo_does_not_carry_it() {
    let custom = CustomTemplate::parse(
        "Docs",
        "{{portal_link}}",
        Some("<a href=\"{{portal_link}}\">Open</a>"),
    )
    .expect("parses");
    let (mail, _) = compose(&en_branded(), Some(&custom));
    let Some(m) = parse(&mail) else {
        return;
    };
    assert_eq!(m.structure, "multipart/alternative(text/plain,text/html)");
    assert!(m.inline.is_empty());
}
