//! The configuration test of a client service (partner, admin, its issuer): (a) its
//! certificate is configured and within its validity, (b) a sample text is signed with it
//! (detached CAdES, the signature checked against the certificate by the engine), (c) a test
//! e-mail goes out through the client service's own SMTP server, or the system's. Each step
//! shows its result; the run is written to the audit log.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use signstash_delivery::{
    EmlDirTransport, Mail, MailTransport, Sender, SmtpTimeouts, SmtpTransport,
};
use signstash_signing::{Certificate, Signer};
use signstash_store::certificates::{self, KeyFileError};
use signstash_store::client_services::{self, ClientService};
use signstash_store::template_admin::ServiceRef;

use crate::audit::{self, Changes, Target};
use crate::form::Errors;
use crate::i18n::Texts;
use crate::page::{Chrome, PageError, Signed, SignedForm};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

/// The context the certificate keys are sealed with (integration-ws's
/// `state::CERTIFICATE_KEY_CONTEXT`; a test checks they are the same).
pub const CERTIFICATE_KEY_CONTEXT: &[u8] = certificates::KEY_CONTEXT;

/// What is signed: a short text, so the signature can be checked by anyone with it.
pub const SAMPLE_TEXT: &str = "Sign'Stash configuration test: sample document.\n";

pub fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/client-services/{id}/test", get(form)),
        route(Method::POST, "/client-services/{id}/test", post(run)),
    ]
}

/// One step's outcome: a sentence and a detail (a date, a name, an error).
pub struct Step {
    pub name: &'static str,
    pub ok: bool,
    pub message: &'static str,
    pub detail: String,
}

#[derive(askama::Template)]
#[template(path = "templates/test.html")]
struct TestPage<'a> {
    c: &'a Chrome,
    s: &'a ServiceRef,
    receiver: &'a str,
    errors: &'a Errors,
    steps: &'a [Step],
    /// The detached CMS signature of [`SAMPLE_TEXT`], base64.
    signature: Option<String>,
    sample_text: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    receiver: String,
}

async fn form(
    State(app): State<AppState>,
    signed: Signed,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let s = super::service(&app, &signed, &raw).await?;
    Ok(signed.page(&TestPage {
        c: &signed.chrome,
        s: &s,
        receiver: "",
        errors: &Errors::default(),
        steps: &[],
        signature: None,
        sample_text: SAMPLE_TEXT,
    }))
}

async fn run(
    State(app): State<AppState>,
    Path(raw): Path<String>,
    SignedForm { signed, form }: SignedForm<TestForm>,
) -> Result<Response, PageError> {
    signed.may(&app, Action::ManageClientServices).await?;
    let s = super::service(&app, &signed, &raw).await?;
    let t = signed.t();
    let mut errors = Errors::default();
    let receiver = crate::form::email(&mut errors, t, "receiver", &form.receiver, true);
    let Some(receiver) = receiver else {
        return Ok(signed.invalid(&TestPage {
            c: &signed.chrome,
            s: &s,
            receiver: &form.receiver,
            errors: &errors,
            steps: &[],
            signature: None,
            sample_text: SAMPLE_TEXT,
        }));
    };
    let cs = client_services::find(&app.db, s.id)
        .await?
        .ok_or_else(|| signed.not_found())?;
    let mut steps = Vec::new();
    let (certificate_step, signer) = certificate(&app, t, &cs).await?;
    steps.push(certificate_step);
    let mut signature = None;
    steps.push(match signer {
        Ok(signer) => {
            let (step, value) = sign(t, signer).await;
            signature = value;
            step
        }
        Err(step) => step,
    });
    steps.push(mail(&app, t, &cs, receiver.as_ref()).await);
    let mut changes = Changes::default();
    for (key, step) in ["certificate", "signing", "email"].iter().zip(&steps) {
        changes = changes.field(key, "", if step.ok { "ok" } else { "failed" });
    }
    audit::record(
        &app.db,
        &signed,
        "client_service.configuration_tested",
        &Target {
            kind: "client_service",
            id: s.id.0.to_string(),
            partner: Some(s.partner_company_id),
            issuer: Some(s.issuer_company_id),
        },
        changes,
    )
    .await?;
    Ok(signed.page(&TestPage {
        c: &signed.chrome,
        s: &s,
        receiver: &form.receiver,
        errors: &errors,
        steps: &steps,
        signature,
        sample_text: SAMPLE_TEXT,
    }))
}

fn failed(name: &'static str, message: &'static str, detail: impl ToString) -> Step {
    Step {
        name,
        ok: false,
        message,
        detail: detail.to_string(),
    }
}

/// Step (a), and the signer for step (b) — or why there is none, as step (b)'s result.
async fn certificate(
    app: &AppState,
    t: &'static Texts,
    cs: &ClientService,
) -> Result<(Step, Result<Arc<dyn Signer>, Step>), PageError> {
    let tt = t.templates;
    let name = tt.step_certificate;
    let not_signed =
        |message: &'static str, detail: String| Err(failed(tt.step_signing, message, detail));
    let Some(cert) = certificates::configured_for_client_service(&app.db, cs.id).await? else {
        return Ok((
            failed(name, tt.no_certificate, ""),
            not_signed(tt.no_certificate, String::new()),
        ));
    };
    let Some(signer_cert) = Certificate::all_from_pem(cert.chain_pem.as_bytes())
        .ok()
        .and_then(|all| all.into_iter().next())
    else {
        return Ok((
            failed(name, tt.certificate_unreadable, ""),
            not_signed(tt.certificate_unreadable, String::new()),
        ));
    };
    let Ok(x509) = openssl::x509::X509::from_der(signer_cert.der()) else {
        return Ok((
            failed(name, tt.certificate_unreadable, ""),
            not_signed(tt.certificate_unreadable, String::new()),
        ));
    };
    let subject = signer_cert.subject_string();
    let now = openssl::asn1::Asn1Time::days_from_now(0)
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let step = if x509.not_after() < now {
        failed(name, tt.certificate_expired, x509.not_after())
    } else if x509.not_before() > now {
        failed(name, tt.certificate_not_yet_valid, x509.not_before())
    } else {
        Step {
            name,
            ok: true,
            message: tt.valid_until,
            detail: format!("{} — {subject}", x509.not_after()),
        }
    };
    let signer: Result<Arc<dyn Signer>, Step> = match cert.key_file_signer(&app.master_key) {
        Ok(signer) => Ok(Arc::new(signer)),
        Err(KeyFileError::NotAKeyFile(other)) => {
            not_signed(tt.key_not_supported, other.to_string())
        }
        Err(e) => not_signed(tt.key_unusable, e.to_string()),
    };
    Ok((step, signer))
}

/// Step (b): a detached CAdES signature of [`SAMPLE_TEXT`] (the engine checks the value
/// against the certificate before it makes the signature).
async fn sign(t: &'static Texts, signer: Arc<dyn Signer>) -> (Step, Option<String>) {
    let tt = t.templates;
    let subject = signer.certificate_chain().signer().subject_string();
    let signed = tokio::task::spawn_blocking(move || {
        signstash_signing::sign(
            bytes::Bytes::from_static(SAMPLE_TEXT.as_bytes()),
            &signstash_signing::SignatureParams::new(signstash_signing::Format::Cades),
            signer.as_ref(),
            None,
        )
    })
    .await;
    match signed {
        Ok(Ok(document)) => (
            Step {
                name: tt.step_signing,
                ok: true,
                message: tt.signed_with,
                detail: subject,
            },
            Some(base64::engine::general_purpose::STANDARD.encode(document.to_vec())),
        ),
        Ok(Err(e)) => (failed(tt.step_signing, tt.signing_failed, e), None),
        Err(e) => (failed(tt.step_signing, tt.signing_failed, e), None),
    }
}

/// Step (c): the test e-mail, through the client service's SMTP server when it has one.
async fn mail(app: &AppState, t: &'static Texts, cs: &ClientService, receiver: &str) -> Step {
    let tt = t.templates;
    let name = tt.step_email;
    let system = &app.system_mail;
    let from = cs
        .smtp
        .mail_from
        .clone()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| system.mail_from.clone());
    let (display, address) = split_mailbox(&from);
    let sender = match Sender::new(display, address) {
        Ok(s) => s,
        Err(e) => return failed(name, tt.mail_not_sent, e),
    };
    let text = format!(
        "{}\n\n{}: {}\n",
        tt.mail_body,
        tt.client_service,
        cs.alias.as_ref()
    );
    let html = format!(
        "<p>{}</p>\n<p>{}: {}</p>\n",
        signstash_delivery::escape_html(tt.mail_body),
        signstash_delivery::escape_html(tt.client_service),
        signstash_delivery::escape_html(cs.alias.as_ref())
    );
    let subject = format!("{} {}", tt.mail_subject, cs.alias.as_ref());
    let message = match Mail::simple(&sender, receiver, &subject, text, html) {
        Ok(m) => m,
        Err(e) => return failed(name, tt.mail_not_sent, e),
    };
    let timeouts = SmtpTimeouts {
        connect: std::time::Duration::from_secs(10),
        total: std::time::Duration::from_secs(30),
    };
    let (transport, ok_message, where_to): (Box<dyn MailTransport>, &'static str, String) =
        match cs.smtp.host.as_deref().filter(|h| !h.trim().is_empty()) {
            Some(host) => {
                let password = match &cs.smtp.password_encrypted {
                    None => None,
                    Some(sealed) => {
                        let context = format!("client_services:{}:smtp_password", cs.id.0);
                        match app.master_key.open(sealed, context.as_bytes()) {
                            Ok(p) => Some(String::from_utf8_lossy(&p).into_owned()),
                            Err(_) => return failed(name, tt.smtp_password_unreadable, ""),
                        }
                    }
                };
                let url = smtp_url(
                    host,
                    cs.smtp.port,
                    cs.smtp.security.as_deref(),
                    cs.smtp.username.as_deref(),
                    password.as_deref(),
                );
                match SmtpTransport::from_url(&url, timeouts) {
                    Ok(t) => (Box::new(t), tt.mail_own_smtp, host.to_owned()),
                    Err(e) => return failed(name, tt.mail_not_sent, e),
                }
            }
            None => match &system.smtp_url {
                Some(url) => match SmtpTransport::from_url(url.expose_secret(), timeouts) {
                    Ok(t) => (Box::new(t), tt.mail_system_smtp, String::new()),
                    Err(e) => return failed(name, tt.mail_not_sent, e),
                },
                None => match EmlDirTransport::new(&system.mail_dir) {
                    Ok(t) => (
                        Box::new(t),
                        tt.mail_system_files,
                        system.mail_dir.display().to_string(),
                    ),
                    Err(e) => return failed(name, tt.mail_not_sent, e),
                },
            },
        };
    match transport.send(&message).await {
        Ok(()) => Step {
            name,
            ok: true,
            message: ok_message,
            detail: if where_to.is_empty() {
                receiver.to_owned()
            } else {
                format!("{where_to} → {receiver}")
            },
        },
        Err(e) => failed(name, tt.mail_not_sent, e),
    }
}

/// `Name <address>` → (`Some("Name")`, `address`); a bare address → (`None`, address).
fn split_mailbox(text: &str) -> (Option<&str>, &str) {
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

/// The URL [`SmtpTransport::from_url`] reads for a client service's own server: `smtps://`
/// for TLS, `?tls=required` for STARTTLS, plain otherwise; credentials percent-encoded.
fn smtp_url(
    host: &str,
    port: Option<i32>,
    security: Option<&str>,
    username: Option<&str>,
    password: Option<&str>,
) -> String {
    let scheme = match security {
        Some("TLS") => "smtps",
        _ => "smtp",
    };
    let credentials = match (username.filter(|u| !u.is_empty()), password) {
        (Some(u), Some(p)) => format!("{}:{}@", encode(u), encode(p)),
        (Some(u), None) => format!("{}@", encode(u)),
        _ => String::new(),
    };
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let tls = match security {
        Some("STARTTLS") => "?tls=required",
        _ => "",
    };
    format!("{scheme}://{credentials}{}{port}{tls}", host.trim())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_smtp_settings_become_the_transports_url() {
        assert_eq!(
            smtp_url(
                "mail.example.com",
                Some(587),
                Some("STARTTLS"),
                Some("me@x"),
                Some("p:w/d")
            ),
            "smtp://me%40x:p%3Aw%2Fd@mail.example.com:587?tls=required"
        );
        assert_eq!(
            smtp_url("mail.example.com", Some(465), Some("TLS"), None, None),
            "smtps://mail.example.com:465"
        );
        assert_eq!(
            smtp_url("127.0.0.1", Some(2525), Some("NONE"), None, None),
            "smtp://127.0.0.1:2525"
        );
    }
}
