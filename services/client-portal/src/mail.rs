//! The second e-mail: the access code a client service may require before its documents
//! show. Sent by the portal when the receiver opens the link (so the code reaches the
//! mailbox the link was sent to, whoever holds the link), through the same SMTP server or
//! `.eml` folder as the "documents available" e-mail.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
};
use secrecy::ExposeSecret as _;

use crate::config::MailConfig;
use crate::i18n::Texts;

/// How long one message may take to hand over.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files (development); the folder is made on the first message.
    Files(std::path::PathBuf),
}

pub struct CodeMailer {
    from: Mailbox,
    transport: Transport,
}

impl std::fmt::Debug for CodeMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl CodeMailer {
    pub fn new(config: &MailConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| format!("SIGNSTASH_MAIL_FROM: {e}"))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| format!("SIGNSTASH_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            None => Transport::Files(config.mail_dir.clone()),
        };
        Ok(Self { from, transport })
    }

    /// Sends `code` to `to`, in the language of `t`, naming the issuer.
    pub async fn send(&self, to: &str, t: &Texts, issuer: &str, code: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("receiver address: {e}"))?;
        let issuer: String = issuer.chars().filter(|c| !c.is_control()).collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("{} {issuer}", t.code_mail_subject))
            .header(ContentType::TEXT_PLAIN)
            .body(format!(
                "{}\n\n    {code}\n\n{}\n\n{} {issuer}.\n",
                t.code_mail_intro, t.code_mail_note, t.footer
            ))
            .map_err(|e| format!("access-code e-mail: {e}"))?;
        let sent = match &self.transport {
            Transport::Smtp(smtp) => tokio::time::timeout(SEND_TIMEOUT, smtp.send(message))
                .await
                .map_err(|_| "SMTP timed out".to_string())?
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        sent.map_err(|e| format!("access-code e-mail not sent: {e}"))
    }
}
