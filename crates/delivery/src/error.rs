//! The two error types of the crate.
//!
//! They are apart on purpose: [`MailError`] is what is wrong with the *input* (an address, a
//! template, the configuration) and is known before anything is sent; [`DeliveryError`] is the
//! only thing [`MailTransport::send`](crate::MailTransport::send) can return, and its two
//! variants are exactly the decision the outbox has to make (retry or give up).

/// A mail could not be composed, or a transport could not be configured.
///
/// Messages name the field, never echo the offending value (it may be hostile or personal).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Not an e-mail address (maps to API error 0.0.6 when it comes from a request).
    #[error("invalid e-mail address in {field}")]
    InvalidAddress { field: &'static str },
    /// A line break or other control character where a header value is built.
    #[error("line break or control character not allowed in {field}")]
    HeaderInjection { field: &'static str },
    /// A per-client-service template does not parse.
    #[error("invalid {part} template: {reason}")]
    Template { part: &'static str, reason: String },
    /// An attachment has an unusable name or content type.
    #[error("invalid attachment: {reason}")]
    Attachment { reason: String },
    /// A transport or composer setting is unusable.
    #[error("invalid {setting}: {reason}")]
    Config {
        setting: &'static str,
        reason: String,
    },
    /// The message could not be rendered or assembled (a bug, not bad input).
    #[error("could not build the e-mail: {0}")]
    Build(String),
}

/// Sending failed. `Transient` is worth retrying later; `Permanent` is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Connection refused or lost, timeout, SMTP 4xx, local I/O error.
    #[error("transient delivery failure{}: {message}", code_suffix(*.smtp_code))]
    Transient {
        smtp_code: Option<u16>,
        message: String,
    },
    /// SMTP 5xx (e.g. unknown mailbox), or a message the server can never accept.
    #[error("permanent delivery failure{}: {message}", code_suffix(*.smtp_code))]
    Permanent {
        smtp_code: Option<u16>,
        message: String,
    },
}

fn code_suffix(code: Option<u16>) -> String {
    code.map(|c| format!(" (SMTP {c})")).unwrap_or_default()
}

impl DeliveryError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// The SMTP reply code, when the server gave one.
    pub fn smtp_code(&self) -> Option<u16> {
        match self {
            Self::Transient { smtp_code, .. } | Self::Permanent { smtp_code, .. } => *smtp_code,
        }
    }
}

/// A mail that cannot be composed can never be sent: permanent.
impl From<MailError> for DeliveryError {
    fn from(err: MailError) -> Self {
        Self::Permanent {
            smtp_code: None,
            message: err.to_string(),
        }
    }
}
