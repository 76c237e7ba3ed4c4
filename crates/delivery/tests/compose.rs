//! Composition, custom templates, header-injection refusals and the `.eml` folder transport.

mod support;

use signstash_delivery::{
    split_mailbox, Attachment, CustomTemplate, DeliveryError, DocumentsAvailable, EmlDirTransport,
    Language, MailComposer, MailError, MailTransport, PortalToken, Sender,
};
use signstash_test_support::smtp::{any_python, list_files, parse_messages};
use support::fixtures::{self, composer, link, token_in};

fn en() -> DocumentsAvailable {
    fixtures::en_without_attachments()
}

fn compose(
    receiver: &str,
    content: &DocumentsAvailable,
) -> Result<signstash_delivery::Mail, MailError> {
    composer().documents_available(receiver, &PortalToken::generate(), content, None)
}

#[test]
fn header_injection_attempts_are_refused() {
    let injection = |field| MailError::HeaderInjection { field };
    for receiver in [
        "receiver@example.com\r\nBcc: victim@example.com",
        "receiver@example.com\nBcc: victim@example.com",
        "receiver@example.com\r",
    ] {
        assert_eq!(
            compose(receiver, &en()).err(),
            Some(injection("receiver address"))
        );
    }

    let mut content = en();
    content.issuer_name = "Acme\r\nBcc: victim@example.com".into();
    assert_eq!(
        compose("r@example.com", &content).err(),
        Some(injection("subject"))
    );

    let mut content = en();
    content.document_names = vec!["a.pdf\r\nContent-Type: text/html".into()];
    assert_eq!(
        compose("r@example.com", &content).err(),
        Some(injection("document name"))
    );

    assert_eq!(
        Sender::new(
            Some("Sign'Stash\r\nBcc: victim@example.com"),
            "no-reply@signstash.test"
        )
        .err(),
        Some(injection("sender name"))
    );
    assert_eq!(
        Sender::new(None, "no-reply@signstash.test\nBcc: victim@example.com").err(),
        Some(injection("sender address"))
    );
    assert_eq!(
        Attachment::new("a.pdf\r\nX-Evil: 1", "application/pdf", vec![1u8]).err(),
        Some(injection("attachment name"))
    );
    assert_eq!(
        Attachment::new("a.pdf", "application/pdf\r\nX-Evil: 1", vec![1u8]).err(),
        Some(injection("attachment content type"))
    );

    // A client service's subject template is one line, and what it substitutes is checked too.
    assert!(matches!(
        CustomTemplate::parse("Hi\r\nBcc: victim@example.com", "body", None),
        Err(MailError::Template {
            part: "subject",
            ..
        })
    ));
    let custom = CustomTemplate::parse("{{operation_description}}", "body", None).expect("parses");
    let mut content = en();
    content.operation_description = Some("March\r\nBcc: victim@example.com".into());
    assert_eq!(
        composer()
            .documents_available(
                "r@example.com",
                &PortalToken::generate(),
                &content,
                Some(&custom)
            )
            .err(),
        Some(injection("subject"))
    );
    // …while a line break in the description is fine where it belongs: the body.
    content.operation_description = Some("March\ninvoices".into());
    compose("r@example.com", &content).expect("description with a line break");
}

#[test]
fn invalid_addresses_and_settings_are_refused() {
    for receiver in [
        "",
        "not an address",
        "a@",
        "@example.com",
        "a b@example.com",
    ] {
        assert_eq!(
            compose(receiver, &en()).err(),
            Some(MailError::InvalidAddress {
                field: "receiver address"
            }),
            "{receiver:?}"
        );
    }
    // The outbox records an unsendable mail as a permanent failure.
    let err: DeliveryError = MailError::InvalidAddress {
        field: "receiver address",
    }
    .into();
    assert!(!err.is_transient());

    let sender = Sender::new(None, "no-reply@signstash.test").expect("sender");
    for base in [
        "portal.example.com",
        "ftp://x",
        "https://",
        "https://x/a b",
        "https://x/?q=1",
    ] {
        assert!(
            matches!(
                MailComposer::new(sender.clone(), base),
                Err(MailError::Config { .. })
            ),
            "{base}"
        );
    }
    assert!(Attachment::new("a.pdf", "not a mime type", vec![1u8]).is_err());
    assert!(Attachment::new("  ", "application/pdf", vec![1u8]).is_err());
    assert_eq!("pt_PT".parse(), Ok(Language::PtPt));
    assert_eq!("en".parse(), Ok(Language::En));
    assert!("fr".parse::<Language>().is_err());
}

#[test]
fn mailboxes_are_split_into_name_and_address() {
    assert_eq!(
        split_mailbox("Sign'Stash <no-reply@signstash.test>"),
        (Some("Sign'Stash"), "no-reply@signstash.test")
    );
    assert_eq!(
        split_mailbox(" \"Acme, Lda\" < faturas@acme.example > "),
        (Some("Acme, Lda"), "faturas@acme.example")
    );
    assert_eq!(
        split_mailbox("<faturas@acme.example>"),
        (None, "faturas@acme.example")
    );
    assert_eq!(
        split_mailbox(" faturas@acme.example "),
        (None, "faturas@acme.example")
    );
    assert!(Sender::parse("Acme <not an address>").is_err());
    assert!(Sender::parse("Acme\r\nBcc: x@example.com <a@acme.example>").is_err());
}

#[test]
fn a_composer_with_another_sender_changes_only_the_from() {
    let acme = Sender::parse("Acme <faturas@acme.example>").expect("sender");
    let system = composer();
    let own = system.with_sender(acme);
    let token = PortalToken::generate();
    let mail = own
        .documents_available("r@example.com", &token, &en(), None)
        .expect("mail");
    let raw = String::from_utf8(mail.formatted()).expect("UTF-8");
    let from = raw
        .lines()
        .find(|l| l.starts_with("From: "))
        .expect("a From header");
    assert!(
        from.contains("Acme") && from.contains("<faturas@acme.example>"),
        "{from}"
    );
    assert!(!raw.contains("no-reply@signstash.test"), "{raw}");
    assert!(mail.text_body().contains(&link(&token)), "the same portal");
    // The original composer is unchanged.
    let mail = system
        .documents_available("r@example.com", &token, &en(), None)
        .expect("mail");
    assert!(String::from_utf8(mail.formatted())
        .expect("UTF-8")
        .contains("no-reply@signstash.test"));
}

#[test]
fn a_custom_template_fills_its_placeholders_and_escapes_values_in_html() {
    let custom = CustomTemplate::parse(
        "{{ issuer_name }}: {{document_list}}",
        "Dear {{receiver_email}},\n{{operation_description}}\n{{document_list}}Open {{portal_link}}\n",
        Some("<p class=\"x\">{{issuer_name}}</p>{{document_list}}<a href=\"{{portal_link}}\">{{operation_description}}</a>"),
    )
    .expect("parses");
    let mut content = en();
    content.operation_description = Some("\"quoted\" & <b>bold</b>".into());
    content.document_names = vec!["a<1>.pdf".into(), "b&2.xml".into()];
    let token = PortalToken::generate();
    let mail = composer()
        .documents_available("r@example.com", &token, &content, Some(&custom))
        .expect("mail");

    assert_eq!(mail.subject(), "Acme <Trading> Ltd: a<1>.pdf, b&2.xml");
    assert_eq!(
        mail.text_body(),
        format!(
            "Dear r@example.com,\n\"quoted\" & <b>bold</b>\n- a<1>.pdf\n- b&2.xml\nOpen {}\n",
            link(&token)
        )
    );
    assert_eq!(
        mail.html_body(),
        format!(
            "<p class=\"x\">Acme &lt;Trading&gt; Ltd</p><ul><li>a&lt;1&gt;.pdf</li><li>b&amp;2.xml</li></ul><a href=\"{}\">&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;</a>",
            link(&token)
        )
    );
}

#[test]
fn without_an_html_template_the_html_part_is_the_escaped_text_with_a_clickable_link() {
    let custom = CustomTemplate::parse("Docs", "<Hello> {{issuer_name}}\n{{portal_link}}", None)
        .expect("parses");
    let token = PortalToken::generate();
    let mail = composer()
        .documents_available("r@example.com", &token, &en(), Some(&custom))
        .expect("mail");
    let html = mail.html_body();
    assert!(
        html.contains("&lt;Hello&gt; Acme &lt;Trading&gt; Ltd<br>\n"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a href=\"{0}\">{0}</a>", link(&token))),
        "{html}"
    );
    assert_eq!(token_in(html), token.expose_secret());
}

#[test]
fn custom_templates_with_unknown_or_unclosed_placeholders_are_refused() {
    for (text, what) in [
        ("Hi {{name}}", "unknown placeholder"),
        ("Hi {{issuer_name}", "without a closing"),
        ("{{ {{portal_link}} }}", "unknown placeholder"),
    ] {
        match CustomTemplate::parse("Subject", text, None) {
            Err(MailError::Template {
                part: "text",
                reason,
            }) => {
                assert!(reason.contains(what), "{text}: {reason}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    let huge = "x".repeat(signstash_delivery::MAX_TEMPLATE_BYTES + 1);
    assert!(CustomTemplate::parse("S", &huge, None).is_err());
    // Single braces (CSS) are text.
    CustomTemplate::parse("S", "t", Some("<style>p { color: red }</style>")).expect("CSS is fine");
}

#[test]
fn a_mail_debug_never_shows_the_token() {
    let token = PortalToken::generate();
    let mail = composer()
        .documents_available("r@example.com", &token, &en(), None)
        .expect("mail");
    let debug = format!("{mail:?} {token:?}");
    assert!(!debug.contains(token.expose_secret()), "{debug}");
    assert!(String::from_utf8_lossy(&mail.formatted()).contains(token.expose_secret()));
}

#[tokio::test]
async fn the_eml_folder_gets_one_parseable_file_per_mail_and_no_temporary_files() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mail_dir = dir.path().join(".data/mail");
    let transport = EmlDirTransport::new(&mail_dir).expect("creates the folder");
    let pt_token = PortalToken::generate();
    let pt = composer()
        .documents_available(
            "cliente@example.pt",
            &pt_token,
            &fixtures::pt_with_attachments(),
            None,
        )
        .expect("pt mail");
    let en_token = PortalToken::generate();
    let en = composer()
        .documents_available("receiver@example.com", &en_token, &en(), None)
        .expect("en mail");
    transport.send(&pt).await.expect("written");
    transport.send(&en).await.expect("written");

    let files = list_files(&mail_dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "eml")),
        "temporary files left: {files:?}"
    );
    let Some(python) = any_python() else {
        return;
    };
    let parsed = parse_messages(&python, &files);
    let m = parsed
        .iter()
        .find(|m| m.to == "cliente@example.pt")
        .expect("pt mail");
    assert!(m.defects.is_empty(), "{:?}", m.defects);
    assert_eq!(
        m.subject,
        "Documentos disponíveis de Ferragens Silva & Filhos, Lda."
    );
    assert_eq!(
        token_in(m.text.as_deref().expect("text")),
        pt_token.expose_secret()
    );
    assert!(!m.raw.contains(pt_token.hash().as_str()));
    assert_eq!(m.attachments.len(), 2);
    assert_eq!(m.attachments[0].data(), fixtures::pdf_bytes());
    assert!(
        m.raw.contains(&format!("Message-ID: {}", pt.message_id())),
        "{}",
        m.raw
    );
    assert!(pt.message_id().ends_with("@signstash.test>"));
    assert!(m.header_names.iter().any(|h| h == "date"));
    let m = parsed
        .iter()
        .find(|m| m.to == "receiver@example.com")
        .expect("en mail");
    assert_eq!(m.subject, "Documents available from Acme <Trading> Ltd");
    assert_eq!(
        token_in(m.html.as_deref().expect("html")),
        en_token.expose_secret()
    );
}

#[tokio::test]
async fn an_unwritable_mail_folder_is_a_transient_failure() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let transport = EmlDirTransport::new(dir.path().join("mail")).expect("folder");
    std::fs::remove_dir(transport.dir()).expect("remove it behind the transport's back");
    let err = transport
        .send(&compose("r@example.com", &en()).expect("mail"))
        .await
        .expect_err("folder gone");
    assert!(err.is_transient(), "{err}");
}
