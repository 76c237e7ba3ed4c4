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
    EmlDirTransport, Mail, MailTransport, OwnServer, Sender, SmtpTimeouts, SmtpTransport,
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

/// Step (c): the test e-mail, through the client service's SMTP server when it has one (the
/// same choice of server and sender as integration-ws's outbox).
async fn mail(app: &AppState, t: &'static Texts, cs: &ClientService, receiver: &str) -> Step {
    let tt = t.templates;
    let name = tt.step_email;
    let system = &app.system_mail;
    let from = cs.smtp.sender().unwrap_or(&system.mail_from);
    let sender = match Sender::parse(from) {
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
        match cs.smtp.own_host() {
            Some(host) => {
                let Ok(password) = cs.smtp.password(cs.id, &app.master_key) else {
                    return failed(name, tt.smtp_password_unreadable, "");
                };
                let server = OwnServer {
                    host,
                    port: cs.smtp.port,
                    security: cs.smtp.security.as_deref(),
                    username: cs.smtp.username.as_deref(),
                    password: password.as_deref().map(String::as_str),
                };
                match SmtpTransport::own(&server, timeouts) {
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
