use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};

use super::MailTransport;
use crate::compose::Mail;
use crate::error::{DeliveryError, MailError};

/// How long an SMTP exchange may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpTimeouts {
    /// Opening the connection (TCP and TLS).
    pub connect: Duration,
    /// The whole exchange for one message, greeting to QUIT. lettre's async client bounds only
    /// the connection; this bounds a server that accepts and then stalls.
    pub total: Duration,
}

impl Default for SmtpTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(120),
        }
    }
}

/// Real SMTP through lettre, one connection per message.
#[derive(Clone)]
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    timeouts: SmtpTimeouts,
    /// The URL without credentials, for logs.
    endpoint: String,
}

impl SmtpTransport {
    /// From a URL such as `smtp://127.0.0.1:2525` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://host:465` (TLS from the start); `user:password@` before the host
    /// sets credentials (percent-encoded); a path sets the EHLO name.
    pub fn from_url(url: &str, timeouts: SmtpTimeouts) -> Result<Self, MailError> {
        let endpoint = redact_credentials(url);
        let inner = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config {
                setting: "SMTP URL",
                reason: format!("{endpoint}: {e}"),
            })?
            .timeout(Some(timeouts.connect))
            .build();
        Ok(Self {
            inner,
            timeouts,
            endpoint,
        })
    }
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("endpoint", &self.endpoint)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

#[async_trait::async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let raw = mail.formatted();
        let sent = tokio::time::timeout(
            self.timeouts.total,
            self.inner.send_raw(mail.envelope(), &raw),
        )
        .await;
        let result = match sent {
            Ok(Ok(_response)) => Ok(()),
            Ok(Err(err)) => Err(classify(&err)),
            Err(_elapsed) => Err(DeliveryError::Transient {
                smtp_code: None,
                message: format!("no answer within {:?}", self.timeouts.total),
            }),
        };
        match &result {
            Ok(()) => tracing::debug!(endpoint = %self.endpoint, "mail accepted by SMTP server"),
            Err(err) => {
                tracing::warn!(endpoint = %self.endpoint, error = %err, "SMTP delivery failed")
            }
        }
        result
    }
}

/// 5xx and client-side refusals are permanent; 4xx, network, TLS and timeouts are transient
/// (a TLS or network misconfiguration is fixed by an operator, and the retry threshold turns
/// it into SENDING_FAILED if nobody does).
fn classify(err: &SmtpError) -> DeliveryError {
    let smtp_code = err.status().and_then(|code| code.to_string().parse().ok());
    let message = err.to_string();
    if err.is_permanent() || err.is_client() {
        DeliveryError::Permanent { smtp_code, message }
    } else {
        DeliveryError::Transient { smtp_code, message }
    }
}

fn redact_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_logs() {
        let t = SmtpTransport::from_url("smtp://me:s3cret@127.0.0.1:2525", SmtpTimeouts::default())
            .expect("valid URL");
        let debug = format!("{t:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("127.0.0.1:2525"), "{debug}");
    }

    #[test]
    fn unknown_schemes_are_configuration_errors() {
        let err = SmtpTransport::from_url("http://127.0.0.1:2525", SmtpTimeouts::default())
            .expect_err("not SMTP");
        assert!(matches!(err, MailError::Config { .. }), "{err}");
    }

    #[test]
    fn tls_urls_are_understood() {
        for url in [
            "smtps://mail.example.com",
            "smtp://mail.example.com:587?tls=required",
        ] {
            SmtpTransport::from_url(url, SmtpTimeouts::default()).expect(url);
        }
    }
}
