//! Delivery through a real SMTP server (aiosmtpd), parsed back with Python's `email` package.

mod support;

use std::time::{Duration, Instant};

use signstash_delivery::{
    DeliveryError, Mail, MailTransport, OwnServer, PortalToken, SmtpTimeouts, SmtpTransport,
};
use signstash_test_support::smtp::{
    aiosmtpd_python, parse_messages, Behaviour, Parsed, SmtpServer,
};
use support::fixtures::{self, composer, link, token_in};

fn transport(url: &str) -> SmtpTransport {
    SmtpTransport::from_url(url, SmtpTimeouts::default()).expect("SMTP URL")
}

fn assert_links_to(message: &Parsed, token: &PortalToken) {
    let text = message.text.as_deref().expect("a text part");
    let html = message.html.as_deref().expect("an HTML part");
    assert!(
        text.contains(&link(token)),
        "text part without the link:\n{text}"
    );
    assert!(
        html.contains(&format!("href=\"{}\"", link(token))),
        "HTML part without the link:\n{html}"
    );
    assert_eq!(token_in(text), token.expose_secret());
    assert_eq!(token_in(html), token.expose_secret());
    // Only the token travels; its hash (what the database keeps) never does.
    let hash = token.hash();
    assert_eq!(hash.as_str().len(), 64);
    assert!(hash.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    for part in [message.raw.as_str(), text, html] {
        assert!(
            !part.contains(hash.as_str()),
            "the hash leaked into the mail"
        );
    }
}

/// askama writes `&#38;`, our substitution `&amp;`: compare one spelling.
fn normalise_entities(html: &str) -> String {
    html.replace("&#38;", "&amp;")
        .replace("&#60;", "&lt;")
        .replace("&#62;", "&gt;")
        .replace("&#34;", "&quot;")
}

#[tokio::test]
async fn documents_available_mails_reach_a_real_smtp_server_in_both_languages() {
    let Some(server) = SmtpServer::start(Behaviour::Accept) else {
        return;
    };
    let python = aiosmtpd_python().expect("checked by start");
    let smtp = transport(&server.url());
    let composer = composer();

    let pt_token = PortalToken::generate();
    let pt = composer
        .documents_available(
            "cliente@example.pt",
            &pt_token,
            &fixtures::pt_with_attachments(),
            None,
        )
        .expect("pt_PT mail");
    let en_token = PortalToken::generate();
    let en = composer
        .documents_available(
            "receiver@example.com",
            &en_token,
            &fixtures::en_without_attachments(),
            None,
        )
        .expect("en mail");
    smtp.send(&pt).await.expect("pt_PT accepted");
    smtp.send(&en).await.expect("en accepted");

    let files = server.wait_for(2);
    assert_eq!(files.len(), 2, "server log:\n{}", server.log());
    let parsed = parse_messages(&python, &files);
    let by_receiver = |to: &str| {
        parsed
            .iter()
            .find(|m| m.to == to)
            .unwrap_or_else(|| panic!("no message to {to}"))
    };

    let m = by_receiver("cliente@example.pt");
    assert!(m.defects.is_empty(), "{:?}", m.defects);
    assert_eq!(
        m.subject,
        "Documentos disponíveis de Ferragens Silva & Filhos, Lda."
    );
    assert_eq!(m.from, "Sign'Stash <no-reply@signstash.test>");
    assert_eq!(m.content_type, "multipart/mixed");
    assert_links_to(m, &pt_token);
    let text = m.text.as_deref().expect("text");
    assert!(text.starts_with("Olá,"), "{text}");
    assert!(text.contains("Faturas de março <urgente>"), "{text}");
    assert!(
        text.contains("  - fatura-ção 123.pdf\n  - FT 2026-124.xml\n"),
        "{text}"
    );
    assert!(text.contains("seguem também em anexo"), "{text}");
    let html = normalise_entities(m.html.as_deref().expect("html"));
    assert!(html.contains("<html lang=\"pt-PT\">"), "{html}");
    assert!(
        html.contains("Ferragens Silva &amp; Filhos, Lda."),
        "{html}"
    );
    assert!(html.contains("Faturas de março &lt;urgente&gt;"), "{html}");
    assert!(!html.contains("<urgente>"), "{html}");
    assert!(html.contains("<li>fatura-ção 123.pdf</li>"), "{html}");
    let attachments: Vec<_> = m
        .attachments
        .iter()
        .map(|a| (a.filename.as_deref(), a.content_type.as_str(), a.data()))
        .collect();
    assert_eq!(
        attachments,
        [
            (
                Some("fatura-ção 123.pdf"),
                "application/pdf",
                fixtures::pdf_bytes()
            ),
            (Some("FT 2026-124.xml"), "text/xml", fixtures::xml_bytes()),
        ]
    );

    let m = by_receiver("receiver@example.com");
    assert!(m.defects.is_empty(), "{:?}", m.defects);
    assert_eq!(m.subject, "Documents available from Acme <Trading> Ltd");
    assert_eq!(m.content_type, "multipart/alternative");
    assert!(m.attachments.is_empty());
    assert_links_to(m, &en_token);
    let text = m.text.as_deref().expect("text");
    assert!(
        text.starts_with("Hello,\n\nAcme <Trading> Ltd has sent you"),
        "{text}"
    );
    assert!(!text.contains("attached"), "{text}");
    let html = normalise_entities(m.html.as_deref().expect("html"));
    assert!(
        html.contains("<strong>Acme &lt;Trading&gt; Ltd</strong>"),
        "{html}"
    );
    assert!(!m.header_names.iter().any(|h| h == "bcc"));
}

/// Tries `mail` as the outbox does: again after a transient failure, at most 3 times in all
/// (the outbox's default threshold; its statuses are tested in integration-ws). Each attempt's
/// outcome: `None` when the server took the mail.
async fn attempts(smtp: &SmtpTransport, mail: &Mail) -> Vec<Option<DeliveryError>> {
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        match smtp.send(mail).await {
            Ok(()) => {
                outcomes.push(None);
                break;
            }
            Err(e) => {
                let transient = e.is_transient();
                outcomes.push(Some(e));
                if !transient {
                    break;
                }
            }
        }
    }
    outcomes
}

fn en_mail() -> Mail {
    composer()
        .documents_available(
            "receiver@example.com",
            &PortalToken::generate(),
            &fixtures::en_without_attachments(),
            None,
        )
        .expect("mail")
}

#[tokio::test]
async fn a_server_answering_451_twice_gets_the_mail_on_the_third_attempt() {
    let Some(server) = SmtpServer::start(Behaviour::Refuse {
        stage: "data",
        reply: "451 4.3.0 Try again later",
        count: 2,
    }) else {
        return;
    };
    let outcomes = attempts(&transport(&server.url()), &en_mail()).await;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(outcomes[..2].iter().all(|e| e
        .as_ref()
        .is_some_and(|e| e.is_transient() && e.smtp_code() == Some(451))));
    assert!(outcomes[2].is_none(), "{outcomes:?}");
    assert_eq!(server.wait_for(1).len(), 1, "server log:\n{}", server.log());
}

#[tokio::test]
async fn a_server_always_answering_451_is_a_transient_failure_every_time() {
    let Some(server) = SmtpServer::start(Behaviour::Refuse {
        stage: "rcpt",
        reply: "451 4.7.1 Greylisted",
        count: -1,
    }) else {
        return;
    };
    let outcomes = attempts(&transport(&server.url()), &en_mail()).await;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(outcomes.iter().all(|e| e
        .as_ref()
        .is_some_and(|e| e.is_transient() && e.smtp_code() == Some(451))));
    assert!(server.delivered().is_empty());
}

#[tokio::test]
async fn a_server_answering_550_is_a_permanent_failure_at_once() {
    let Some(server) = SmtpServer::start(Behaviour::Refuse {
        stage: "rcpt",
        reply: "550 5.1.1 No such user",
        count: -1,
    }) else {
        return;
    };
    let outcomes = attempts(&transport(&server.url()), &en_mail()).await;
    assert!(
        matches!(
            &outcomes[..],
            [Some(DeliveryError::Permanent {
                smtp_code: Some(550),
                ..
            })]
        ),
        "{outcomes:?}"
    );
    assert!(server.delivered().is_empty());
}

/// A client service's own server that requires AUTH: the right user and password (with
/// characters a URL would misread) get the mail through; a wrong password is refused with 535,
/// a permanent failure, and nothing arrives.
#[tokio::test]
async fn an_own_server_requiring_auth_takes_the_mail_only_with_the_right_password() {
    let Some(server) = SmtpServer::start(Behaviour::RequireAuth {
        username: "faturas@acme.example",
        password: "p@ss:w/rd?#%",
    }) else {
        return;
    };
    let own = |password| OwnServer {
        host: "127.0.0.1",
        port: Some(i32::from(server.port())),
        security: Some("NONE"),
        username: Some("faturas@acme.example"),
        password: Some(password),
    };
    let wrong = SmtpTransport::own(&own("p@ss:w/rd?#"), SmtpTimeouts::default()).expect("settings");
    let err = wrong.send(&en_mail()).await.expect_err("wrong password");
    assert!(!err.is_transient(), "{err}");
    assert_eq!(err.smtp_code(), Some(535), "{err}");
    assert!(server.delivered().is_empty());

    // Without credentials the server refuses MAIL (530): also permanent.
    let anonymous = SmtpTransport::own(
        &OwnServer {
            username: None,
            password: None,
            ..own("")
        },
        SmtpTimeouts::default(),
    )
    .expect("settings");
    let err = anonymous.send(&en_mail()).await.expect_err("no AUTH");
    assert_eq!(err.smtp_code(), Some(530), "{err}");
    assert!(server.delivered().is_empty());

    let right =
        SmtpTransport::own(&own("p@ss:w/rd?#%"), SmtpTimeouts::default()).expect("settings");
    right.send(&en_mail()).await.expect("accepted");
    assert_eq!(server.wait_for(1).len(), 1, "{}", server.log());
    let log = server.log();
    assert!(
        log.lines()
            .any(|l| l.starts_with("AUTH ") && l.ends_with(" accepted")),
        "{log}"
    );
}

#[tokio::test]
async fn a_554_after_data_is_permanent_too() {
    let Some(server) = SmtpServer::start(Behaviour::Refuse {
        stage: "data",
        reply: "554 5.6.0 Message rejected",
        count: -1,
    }) else {
        return;
    };
    let err = transport(&server.url())
        .send(&en_mail())
        .await
        .expect_err("refused");
    assert!(!err.is_transient(), "{err}");
    assert_eq!(err.smtp_code(), Some(554));
}

#[tokio::test]
async fn connection_refused_is_transient() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let err = transport(&format!("smtp://127.0.0.1:{port}"))
        .send(&en_mail())
        .await
        .expect_err("nothing listens");
    assert!(err.is_transient(), "{err}");
    assert_eq!(err.smtp_code(), None);
}

#[tokio::test]
async fn a_server_that_never_greets_times_out_as_transient() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let port = listener.local_addr().expect("address").port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // accept, then say nothing
        }
    });
    let smtp = SmtpTransport::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        SmtpTimeouts {
            connect: Duration::from_secs(1),
            total: Duration::from_secs(1),
        },
    )
    .expect("URL");
    let started = Instant::now();
    let err = smtp.send(&en_mail()).await.expect_err("stalled");
    assert!(err.is_transient(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    holder.abort();
}
