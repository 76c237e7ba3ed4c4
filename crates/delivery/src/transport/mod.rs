//! Where composed mails go: the [`MailTransport`] seam and its two implementations.

mod eml_dir;
mod smtp;

pub use eml_dir::EmlDirTransport;
pub use smtp::{OwnServer, SmtpTimeouts, SmtpTransport};

use crate::compose::Mail;
use crate::error::DeliveryError;

/// Sends one composed mail.
///
/// Object-safe (`Arc<dyn MailTransport>`), so the outbox picks SMTP or the `.eml` folder from
/// configuration and tests can count calls.
#[async_trait::async_trait]
pub trait MailTransport: Send + Sync {
    /// `Ok` means the next hop accepted the message (SMTP 250 after DATA, or the file is in
    /// place); the error says whether trying again later can help.
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError>;
}
