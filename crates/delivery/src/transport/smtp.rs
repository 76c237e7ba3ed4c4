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

    /// A client service's own SMTP server (its settings in the backoffice). The error never
    /// carries the password: the URL it names is the one without credentials.
    pub fn own(server: &OwnServer<'_>, timeouts: SmtpTimeouts) -> Result<Self, MailError> {
        Self::from_url(&own_url(server), timeouts)
    }

    /// Where the messages go, without credentials (for logs and messages).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// A client service's own SMTP server, as the backoffice stores it (`client_services.smtp_*`).
#[derive(Clone, Copy)]
pub struct OwnServer<'a> {
    pub host: &'a str,
    /// `None`: the scheme's default (25, 587 with STARTTLS, 465 with TLS).
    pub port: Option<i32>,
    /// `NONE` | `STARTTLS` | `TLS`; anything else (or `None`) is plain SMTP.
    pub security: Option<&'a str>,
    /// Used only with a password (lettre authenticates with both or not at all).
    pub username: Option<&'a str>,
    /// The opened password (never logged).
    pub password: Option<&'a str>,
}

impl fmt::Debug for OwnServer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.map(|_| "***"))
            .finish()
    }
}

/// The URL [`SmtpTransport::from_url`] reads for a client service's own server: `smtps://`
/// for TLS, `?tls=required` for STARTTLS, plain otherwise; credentials percent-encoded.
fn own_url(server: &OwnServer<'_>) -> String {
    let scheme = match server.security {
        Some("TLS") => "smtps",
        _ => "smtp",
    };
    let credentials = match (server.username.filter(|u| !u.is_empty()), server.password) {
        (Some(u), Some(p)) => format!("{}:{}@", encode(u), encode(p)),
        (Some(u), None) => format!("{}@", encode(u)),
        _ => String::new(),
    };
    let port = server.port.map(|p| format!(":{p}")).unwrap_or_default();
    let tls = match server.security {
        Some("STARTTLS") => "?tls=required",
        _ => "",
    };
    format!("{scheme}://{credentials}{}{port}{tls}", server.host.trim())
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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

    fn own(
        host: &'static str,
        port: Option<i32>,
        security: Option<&'static str>,
        username: Option<&'static str>,
        password: Option<&'static str>,
    ) -> OwnServer<'static> {
        OwnServer {
            host,
            port,
            security,
            username,
            password,
        }
    }

    #[test]
    fn own_smtp_settings_become_the_transports_url() {
        assert_eq!(
            own_url(&own(
                "mail.example.com",
                Some(587),
                Some("STARTTLS"),
                Some("me@x"),
                Some("p:w/d")
            )),
            "smtp://me%40x:p%3Aw%2Fd@mail.example.com:587?tls=required"
        );
        assert_eq!(
            own_url(&own("mail.example.com", Some(465), Some("TLS"), None, None)),
            "smtps://mail.example.com:465"
        );
        assert_eq!(
            own_url(&own("127.0.0.1", Some(2525), Some("NONE"), None, None)),
            "smtp://127.0.0.1:2525"
        );
    }

    #[test]
    fn an_own_servers_password_never_reaches_the_logs_or_errors() {
        let server = own(
            "mail.example.com",
            Some(587),
            Some("STARTTLS"),
            Some("me@x"),
            Some("p@ss:w/rd"),
        );
        let t = SmtpTransport::own(&server, SmtpTimeouts::default()).expect("valid settings");
        for shown in [
            format!("{t:?}"),
            t.endpoint().to_owned(),
            format!("{server:?}"),
        ] {
            assert!(
                !shown.contains("p@ss") && !shown.contains("p%40ss"),
                "{shown}"
            );
        }
        assert_eq!(t.endpoint(), "smtp://***@mail.example.com:587?tls=required");
        // Settings that make no transport: the error names the server, not the password.
        let bad = own(
            "mail.example.com",
            Some(70000),
            None,
            Some("me"),
            Some("s3cret"),
        );
        let err = SmtpTransport::own(&bad, SmtpTimeouts::default()).expect_err("port too large");
        assert!(matches!(err, MailError::Config { .. }), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
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
