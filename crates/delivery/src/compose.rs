//! Composition of the "documents available" e-mail sent to a receiver.

use std::fmt;
use std::str::FromStr;

use askama::Template;
use bytes::Bytes;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::Address;

use crate::brand::{Brand, Colors, Logo};
use crate::custom::CustomTemplate;
use crate::error::MailError;
use crate::token::PortalToken;

/// The language of a client service's e-mails (API spelling `pt_PT` / `en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Language {
    #[serde(rename = "pt_PT")]
    PtPt,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PtPt => "pt_PT",
            Self::En => "en",
        }
    }

    /// BCP 47 tag, for `<html lang>`.
    fn bcp47(self) -> &'static str {
        match self {
            Self::PtPt => "pt-PT",
            Self::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = MailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pt_PT" | "pt-PT" => Ok(Self::PtPt),
            "en" => Ok(Self::En),
            _ => Err(MailError::Config {
                setting: "language",
                reason: "expected pt_PT or en".into(),
            }),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed file attached to the e-mail (only when the operation asked `attachDocuments`).
#[derive(Clone)]
pub struct Attachment {
    name: String,
    content_type: ContentType,
    content: Bytes,
}

impl Attachment {
    /// `name` is the document name shown to the receiver; `content_type` a MIME type such as
    /// `application/pdf`.
    pub fn new(
        name: impl Into<String>,
        content_type: &str,
        content: impl Into<Bytes>,
    ) -> Result<Self, MailError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(MailError::Attachment {
                reason: "empty file name".into(),
            });
        }
        reject_control_chars("attachment name", &name)?;
        reject_control_chars("attachment content type", content_type)?;
        let content_type = ContentType::parse(content_type).map_err(|_| MailError::Attachment {
            reason: "content type is not a MIME type".into(),
        })?;
        Ok(Self {
            name,
            content_type,
            content: content.into(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn content(&self) -> &Bytes {
        &self.content
    }
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("len", &self.content.len())
            .finish()
    }
}

/// What the receiver is told about: who sends, which operation, which documents.
#[derive(Debug, Clone)]
pub struct DocumentsAvailable {
    /// The client service's language.
    pub language: Language,
    /// The issuer company's name.
    pub issuer_name: String,
    /// The operation's description (`folder.description`), if any.
    pub operation_description: Option<String>,
    /// The names of the signed documents, in order.
    pub document_names: Vec<String>,
    /// The signed files; leave empty unless the operation asked `attachDocuments`.
    pub attachments: Vec<Attachment>,
    /// The client service's colours and logo (from its portal template), or the default look.
    pub brand: Brand,
}

/// The `From` of the e-mails: a validated mailbox with an optional display name.
#[derive(Debug, Clone)]
pub struct Sender(Mailbox);

impl Sender {
    pub fn new(display_name: Option<&str>, address: &str) -> Result<Self, MailError> {
        if let Some(name) = display_name {
            reject_control_chars("sender name", name)?;
        }
        let address = parse_address("sender address", address)?;
        Ok(Self(Mailbox::new(display_name.map(str::to_owned), address)))
    }

    /// From `Name <address>` or a bare address (a setting such as `SIGNSTASH_MAIL_FROM` or a
    /// client service's `mail_from`), see [`split_mailbox`].
    pub fn parse(mailbox: &str) -> Result<Self, MailError> {
        let (name, address) = split_mailbox(mailbox);
        Self::new(name, address)
    }
}

/// `Name <address>` → (`Some("Name")`, `address`); a bare address → (`None`, address).
pub fn split_mailbox(text: &str) -> (Option<&str>, &str) {
    let text = text.trim();
    match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(open), Some(_)) => {
            let name = text[..open].trim().trim_matches('"').trim();
            let address = &text[open + 1..text.len() - 1];
            ((!name.is_empty()).then_some(name), address.trim())
        }
        _ => (None, text),
    }
}

/// Composes e-mails for one sender and one client portal.
///
/// Cheap to build: the outbox may make one per client service (its own `From`).
#[derive(Debug, Clone)]
pub struct MailComposer {
    sender: Sender,
    portal_base_url: String,
}

impl MailComposer {
    /// `portal_base_url` is the client portal's public URL (`https://portal.example.com`); a
    /// trailing slash is ignored.
    pub fn new(sender: Sender, portal_base_url: &str) -> Result<Self, MailError> {
        let base = portal_base_url.trim_end_matches('/');
        let well_formed = (base.starts_with("https://") || base.starts_with("http://"))
            && base.len() > "https://".len()
            && !base
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
            && !base.contains(['"', '\'', '<', '>', '?', '#']);
        if !well_formed {
            return Err(MailError::Config {
                setting: "portal base URL",
                reason: "expected an http(s) URL without query or fragment".into(),
            });
        }
        Ok(Self {
            sender,
            portal_base_url: base.to_owned(),
        })
    }

    /// The same composer with another `From` (a client service's own `mail_from`).
    pub fn with_sender(&self, sender: Sender) -> Self {
        Self {
            sender,
            portal_base_url: self.portal_base_url.clone(),
        }
    }

    /// `{portal_base_url}/d/{token}`.
    pub fn portal_link(&self, token: &PortalToken) -> String {
        format!("{}/d/{}", self.portal_base_url, token.expose_secret())
    }

    /// The "documents available" e-mail to `receiver`, from the system template of
    /// `content.language`, or from the client service's `custom` template when it has one, in
    /// `content.brand`'s colours. A logo travels as an inline image of a `multipart/related`
    /// beside the HTML part (only when the HTML shows it); without one the message is
    /// `multipart/alternative` (inside `multipart/mixed` when files are attached).
    pub fn documents_available(
        &self,
        receiver: &str,
        token: &PortalToken,
        content: &DocumentsAvailable,
        custom: Option<&CustomTemplate>,
    ) -> Result<Mail, MailError> {
        let to = parse_address("receiver address", receiver)?;
        for name in &content.document_names {
            reject_control_chars("document name", name)?;
        }
        let portal_link = self.portal_link(token);
        // Unique per mail, so a client that caches images by Content-ID never shows another
        // client service's logo.
        let logo_cid = content.brand.logo.as_ref().map(|_| {
            format!(
                "logo.{}@{}",
                uuid::Uuid::new_v4().simple(),
                self.sender.0.email.domain()
            )
        });
        let values = Values {
            language: content.language,
            lang: content.language.bcp47(),
            issuer_name: &content.issuer_name,
            operation_description: content.operation_description.as_deref(),
            documents: &content.document_names,
            portal_link: &portal_link,
            receiver: receiver.trim(),
            attached: !content.attachments.is_empty(),
            colors: &content.brand.colors,
            logo_cid: logo_cid.as_deref(),
        };
        let (subject, text, html) = match custom {
            Some(template) => template.render(&values),
            None => system_template(&values)?,
        };
        // The subject is the one header built from data: refuse rather than fold.
        reject_control_chars("subject", &subject)?;
        // A custom template without `{{logo}}` does not show it: then it is not sent either (an
        // unreferenced inline part shows up as an attachment in some clients).
        let logo = match (&content.brand.logo, &logo_cid) {
            (Some(logo), Some(cid)) if html.contains(&format!("cid:{cid}")) => {
                Some((logo, cid.as_str()))
            }
            _ => None,
        };
        Mail::build(
            &self.sender,
            to,
            subject,
            text,
            html,
            logo,
            &content.attachments,
        )
    }
}

/// The fields a template can use, borrowed from the request.
pub(crate) struct Values<'a> {
    pub(crate) language: Language,
    pub(crate) lang: &'a str,
    pub(crate) issuer_name: &'a str,
    pub(crate) operation_description: Option<&'a str>,
    pub(crate) documents: &'a [String],
    pub(crate) portal_link: &'a str,
    pub(crate) receiver: &'a str,
    pub(crate) attached: bool,
    pub(crate) colors: &'a Colors,
    /// The Content-ID of the logo's inline part (`<img src="cid:…">`), when there is a logo.
    pub(crate) logo_cid: Option<&'a str>,
}

macro_rules! mail_templates {
    ($($name:ident => $path:literal),* $(,)?) => {$(
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            v: &'a Values<'a>,
        }
    )*};
}

mail_templates! {
    SubjectPtPt => "documents_available.pt_PT.subject.txt",
    TextPtPt => "documents_available.pt_PT.txt",
    HtmlPtPt => "documents_available.pt_PT.html",
    SubjectEn => "documents_available.en.subject.txt",
    TextEn => "documents_available.en.txt",
    HtmlEn => "documents_available.en.html",
}

fn system_template(v: &Values<'_>) -> Result<(String, String, String), MailError> {
    let rendered = match v.language {
        Language::PtPt => (
            SubjectPtPt { v }.render(),
            TextPtPt { v }.render(),
            HtmlPtPt { v }.render(),
        ),
        Language::En => (
            SubjectEn { v }.render(),
            TextEn { v }.render(),
            HtmlEn { v }.render(),
        ),
    };
    let build = |e: askama::Error| MailError::Build(e.to_string());
    Ok((
        rendered.0.map_err(build)?.trim().to_owned(),
        rendered.1.map_err(build)?,
        rendered.2.map_err(build)?,
    ))
}

/// A composed e-mail, ready for any [`MailTransport`](crate::MailTransport).
///
/// `Debug` shows neither the bodies nor the link: they carry the portal token.
#[derive(Clone)]
pub struct Mail {
    message_id: String,
    receiver: String,
    subject: String,
    text: String,
    html: String,
    attachment_names: Vec<String>,
    message: lettre::Message,
}

impl Mail {
    fn build(
        sender: &Sender,
        to: Address,
        subject: String,
        text: String,
        html: String,
        logo: Option<(&Logo, &str)>,
        attachments: &[Attachment],
    ) -> Result<Self, MailError> {
        let alternative = match logo {
            None => MultiPart::alternative_plain_html(text.clone(), html.clone()),
            // alternative(plain, related(html, image)): clients that show the HTML find the
            // image beside it; the plain part stands alone.
            Some((logo, cid)) => {
                let content_type = ContentType::parse(logo.content_type())
                    .map_err(|e| MailError::Build(e.to_string()))?;
                let image = LettreAttachment::new_inline(cid.to_owned())
                    .body(logo.bytes().to_vec(), content_type);
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(text.clone()))
                    .multipart(
                        MultiPart::related()
                            .singlepart(SinglePart::html(html.clone()))
                            .singlepart(image),
                    )
            }
        };
        // Our own domain, not the host name of whichever instance composed it.
        let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), sender.0.email.domain());
        let builder = lettre::Message::builder()
            .message_id(Some(message_id.clone()))
            .from(sender.0.clone())
            .to(Mailbox::new(None, to.clone()))
            .subject(subject.clone());
        let message = if attachments.is_empty() {
            builder.multipart(alternative)
        } else {
            let mixed = attachments
                .iter()
                .fold(MultiPart::mixed().multipart(alternative), |mixed, a| {
                    mixed.singlepart(attachment_part(a))
                });
            builder.multipart(mixed)
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        Ok(Self {
            message_id,
            receiver: to.to_string(),
            subject,
            text,
            html,
            attachment_names: attachments.iter().map(|a| a.name.clone()).collect(),
            message,
        })
    }

    /// The `Message-ID` header, `<uuid@sender-domain>`: worth logging with the delivery.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    pub fn receiver(&self) -> &str {
        &self.receiver
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The plain-text body (contains the portal link).
    pub fn text_body(&self) -> &str {
        &self.text
    }

    /// The HTML body (contains the portal link).
    pub fn html_body(&self) -> &str {
        &self.html
    }

    pub fn attachment_names(&self) -> &[String] {
        &self.attachment_names
    }

    /// The whole message in RFC 5322 form (what an `.eml` file holds).
    pub fn formatted(&self) -> Vec<u8> {
        self.message.formatted()
    }

    pub(crate) fn envelope(&self) -> &lettre::address::Envelope {
        self.message.envelope()
    }
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("message_id", &self.message_id)
            .field("receiver", &self.receiver)
            .field("subject", &self.subject)
            .field("attachments", &self.attachment_names)
            .finish_non_exhaustive()
    }
}

fn attachment_part(a: &Attachment) -> SinglePart {
    LettreAttachment::new(a.name.clone()).body(a.content.to_vec(), a.content_type.clone())
}

/// Refuses CR, LF and every other control character (tab included) in a header value.
pub(crate) fn reject_control_chars(field: &'static str, value: &str) -> Result<(), MailError> {
    if value.chars().any(char::is_control) {
        Err(MailError::HeaderInjection { field })
    } else {
        Ok(())
    }
}

fn parse_address(field: &'static str, value: &str) -> Result<Address, MailError> {
    reject_control_chars(field, value)?;
    value
        .trim()
        .parse::<Address>()
        .map_err(|_| MailError::InvalidAddress { field })
}

impl Mail {
    /// A message of one text (plain, and HTML when given) from `sender` to `receiver`: for
    /// e-mails that are not the "documents available" one (the backoffice's account e-mails).
    /// The subject refuses control characters like every header built from data.
    pub fn simple(
        sender: &Sender,
        receiver: &str,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<Self, MailError> {
        let to = parse_address("receiver address", receiver)?;
        reject_control_chars("subject", subject)?;
        Self::build(sender, to, subject.to_owned(), text, html, None, &[])
    }
}
