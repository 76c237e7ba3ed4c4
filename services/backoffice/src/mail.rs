//! The backoffice's account e-mails (activation of a new operator, "forgot password"), sent
//! through crates/delivery's transports: SMTP when `SIGNSTASH_SMTP_URL` is set, else `.eml`
//! files under `SIGNSTASH_MAIL_DIR` (the folder made on the first mail), from
//! `SIGNSTASH_MAIL_FROM`, as integration-ws sends its e-mails. Each e-mail is in the
//! operator's language, plain text and HTML, with the link.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use signstash_delivery::{
    escape_html, EmlDirTransport, Mail, MailTransport, Sender, SmtpTimeouts, SmtpTransport,
};

use crate::config::Config;
use crate::i18n::Texts;

enum Transport {
    Smtp(Arc<dyn MailTransport>),
    Files(std::path::PathBuf),
}

pub struct Mailer {
    sender: Sender,
    transport: Transport,
}

/// What an account e-mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Activation,
    Reset,
}

impl Mailer {
    /// From the configuration; a bad SMTP URL or sender fails naming the variable.
    pub fn new(config: &Config) -> Result<Self, String> {
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(Arc::new(
                SmtpTransport::from_url(
                    url.expose_secret(),
                    SmtpTimeouts {
                        connect: Duration::from_secs(10),
                        total: Duration::from_secs(30),
                    },
                )
                .map_err(|e| format!("SIGNSTASH_SMTP_URL: {e}"))?,
            )),
            None => Transport::Files(config.mail_dir.clone()),
        };
        let (name, address) = match config.mail_from.rsplit_once('<') {
            Some((name, rest)) => (
                Some(name.trim().trim_matches('"')).filter(|n| !n.is_empty()),
                rest.trim_end_matches('>').trim(),
            ),
            None => (None, config.mail_from.trim()),
        };
        let sender = Sender::new(name, address).map_err(|e| format!("SIGNSTASH_MAIL_FROM: {e}"))?;
        Ok(Self { sender, transport })
    }

    /// Sends the `kind` e-mail with `link` to `to`, in `t`'s language, naming the operator.
    pub async fn send(
        &self,
        kind: Kind,
        t: &Texts,
        to: &str,
        name: &str,
        link: &str,
    ) -> Result<(), String> {
        let w = t.operators;
        let (subject, intro, validity) = match kind {
            Kind::Activation => (
                w.activation_subject,
                w.activation_intro,
                w.activation_validity,
            ),
            Kind::Reset => (w.reset_subject, w.reset_intro, w.reset_validity),
        };
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        let text = format!(
            "{} {name},\n\n{intro}\n\n{link}\n\n{validity}\n{}\n\n{}\n",
            w.mail_greeting, w.mail_ignore, t.product
        );
        let html = format!(
            "<!DOCTYPE html><html lang=\"{lang}\"><body><p>{greeting} {name},</p><p>{intro}</p>\
             <p><a href=\"{link}\">{link}</a></p><p>{validity}<br>{ignore}</p><p>{product}</p>\
             </body></html>",
            lang = t.lang,
            greeting = escape_html(w.mail_greeting),
            name = escape_html(&name),
            intro = escape_html(intro),
            link = escape_html(link),
            validity = escape_html(validity),
            ignore = escape_html(w.mail_ignore),
            product = escape_html(t.product),
        );
        let mail =
            Mail::simple(&self.sender, to, subject, text, html).map_err(|e| e.to_string())?;
        let sent = match &self.transport {
            Transport::Smtp(smtp) => smtp.send(&mail).await,
            Transport::Files(dir) => {
                let dir = dir.clone();
                let files = tokio::task::spawn_blocking(move || EmlDirTransport::new(dir))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                files.send(&mail).await
            }
        };
        sent.map_err(|e| format!("{kind:?} e-mail not sent: {e}"))
    }
}
