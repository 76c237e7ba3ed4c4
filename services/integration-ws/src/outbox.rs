//! The e-mail outbox worker: sends the "documents available" e-mail of every queued delivery.
//!
//! The queue is the `deliveries` table (`signstash_store::deliveries`). A worker on any
//! instance claims a batch with a lease; for each delivery it makes a fresh portal token
//! (only its SHA-256 is stored, in `portal_links`), composes the mail in the client service's
//! language and brand (the colours and logo of its portal template), sends it, and records
//! `SENT`, `SENDING_ERROR` (retried after a backoff) or `SENDING_FAILED` (permanent failure, or
//! the retry threshold reached).
//!
//! A client service with its own SMTP server (`client_services.smtp_host`, set in the
//! backoffice) gets its mails sent there, from its `mail_from` when set; the others through the
//! system transport, from `SIGNSTASH_MAIL_FROM`. The settings are read at every attempt (a
//! change in the backoffice applies to the next one) and the transport is built for it (one
//! connection per message in any case). Its password, sealed with the master key for that
//! client service, is opened only to send: one that cannot be opened, or settings that make no
//! transport, fail that delivery for good with a message saying so (never the password); the
//! own server's answers are classified like the system's (4xx and network: retried).
//!
//! Nothing is lost when a worker dies mid-batch: its claimed rows become due again when the
//! lease ends and another worker (or the same one, restarted) takes them. The price is
//! at-least-once delivery: a worker that dies between the SMTP server's 250 and `mark_sent`
//! sends that mail once more. The lease therefore has to outlast one batch: the sends of a
//! batch run concurrently, each bounded by [`SMTP_TIMEOUTS`], well inside [`Mailer::lease`].
//!
//! Deliveries of an operation still being signed (`PENDING_EXECUTION`) are not claimed at all
//! (`claim_ready_batch`): waiting for the signature costs no attempt.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use signstash_delivery::{
    Attachment, Brand, CustomTemplate, DeliveryError, DocumentsAvailable, EmlDirTransport,
    Language, Mail, MailComposer, MailTransport, OwnServer, PortalToken, Sender, SmtpTimeouts,
    SmtpTransport,
};
use signstash_domain::{DeliveryStatus, SignStatus, SignatureType, TemplateKind};
use signstash_store::deliveries::{self, Claimed, RetryPolicy};
use signstash_store::{
    client_services, documents, operations, portal_links, templates, StoreError,
};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::MailConfig;
use crate::state::{App, AppState};

/// Bounds of one SMTP exchange (the system's server and the client services' own). `total`
/// must stay well below [`Mailer::lease`].
pub const SMTP_TIMEOUTS: SmtpTimeouts = SmtpTimeouts {
    connect: Duration::from_secs(10),
    total: Duration::from_secs(30),
};

/// How long a portal link stays valid when no document has a storage end date.
const DEFAULT_LINK_VALIDITY: time::Duration = time::Duration::days(90);

/// Where mails go and how the outbox retries: shared by the worker and the resend endpoint.
#[derive(Clone)]
pub struct Mailer {
    /// The system transport: for client services without their own SMTP server.
    pub transport: Arc<dyn MailTransport>,
    /// The system sender and the portal's URL (a client service's `mail_from` replaces the
    /// sender, [`MailComposer::with_sender`]).
    pub composer: MailComposer,
    /// Tries before `SENDING_FAILED` and the backoff between them.
    pub retry: RetryPolicy,
    /// How long a claimed batch is ours; must outlast one batch (sends run concurrently).
    pub lease: Duration,
    /// Deliveries claimed at once.
    pub batch_size: i64,
    /// Sleep of the worker when the queue is empty.
    pub idle_sleep: Duration,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("composer", &self.composer)
            .field("retry", &self.retry)
            .field("lease", &self.lease)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer with the default outbox settings (threshold 3, backoff from 60 s, lease 2 min,
    /// batches of 8, 500 ms idle sleep).
    pub fn new(transport: Arc<dyn MailTransport>, composer: MailComposer) -> Self {
        Self {
            transport,
            composer,
            retry: RetryPolicy::default(),
            lease: Duration::from_secs(120),
            batch_size: 8,
            idle_sleep: Duration::from_millis(500),
        }
    }

    /// From `SIGNSTASH_SMTP_URL` & co. Without an SMTP URL, mails become `.eml` files; the
    /// folder is created on the first mail, not here.
    pub fn from_config(config: &MailConfig) -> Result<Self, String> {
        let transport: Arc<dyn MailTransport> = match &config.smtp_url {
            Some(url) => Arc::new(
                SmtpTransport::from_url(url.expose_secret(), SMTP_TIMEOUTS)
                    .map_err(|e| format!("SIGNSTASH_SMTP_URL: {e}"))?,
            ),
            None => Arc::new(EmlFolder(config.mail_dir.clone())),
        };
        let sender =
            Sender::parse(&config.mail_from).map_err(|e| format!("SIGNSTASH_MAIL_FROM: {e}"))?;
        let composer = MailComposer::new(sender, &config.portal_base_url)
            .map_err(|e| format!("SIGNSTASH_PORTAL_BASE_URL: {e}"))?;
        let mut mailer = Self::new(transport, composer);
        mailer.retry.max_attempts = config.max_attempts;
        mailer.retry.base_backoff = config.backoff;
        Ok(mailer)
    }
}

/// The `.eml` folder, created when the first mail is written (so building a state for a test
/// never leaves a folder behind).
#[derive(Debug)]
struct EmlFolder(std::path::PathBuf);

#[async_trait::async_trait]
impl MailTransport for EmlFolder {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        EmlDirTransport::new(&self.0)
            .map_err(|e| DeliveryError::Transient {
                smtp_code: None,
                message: e.to_string(),
            })?
            .send(mail)
            .await
    }
}

/// The outbox could not even claim work (the database is unreachable).
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox: {0}")]
    Store(#[from] StoreError),
}

/// Why a delivery was not sent, decided before or by the transport.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Worth another try (SMTP 4xx, network, database or document store hiccup).
    Transient(String),
    /// Never going to work (SMTP 5xx, nothing signed to send, an unusable address).
    Permanent(String),
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Self::Transient(m) | Self::Permanent(m) => m,
        }
    }
}

impl From<DeliveryError> for Failure {
    fn from(e: DeliveryError) -> Self {
        if e.is_transient() {
            Self::Transient(e.to_string())
        } else {
            Self::Permanent(e.to_string())
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Transient(e.to_string())
    }
}

/// Claims one batch and processes it; returns how many deliveries were claimed (0: the queue
/// had nothing due).
pub async fn run_once(app: &App, mail: &Mailer) -> Result<usize, OutboxError> {
    let batch = deliveries::claim_ready_batch(&app.db, mail.batch_size, mail.lease).await?;
    let claimed = batch.len();
    futures::future::join_all(batch.into_iter().map(|c| async move {
        let outcome = attempt(app, mail, &c).await;
        record(app, &c, outcome, &mail.retry).await;
    }))
    .await;
    Ok(claimed)
}

/// Loops [`run_once`] until `shutdown` turns true (or its sender is gone), checked between
/// batches: a batch in progress is finished and recorded first.
pub fn spawn(
    app: AppState,
    mailer: Arc<Mailer>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        tracing::info!(?mailer, "outbox worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            let idle = match run_once(&app, &mailer).await {
                Ok(0) => mailer.idle_sleep,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = %e, "outbox batch failed");
                    mailer.idle_sleep.max(Duration::from_secs(1))
                }
            };
            if !idle.is_zero() {
                tokio::select! {
                    changed = shutdown.changed() => if changed.is_err() { break },
                    () = tokio::time::sleep(idle) => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    })
}

/// Records the outcome of one attempt with the claim's lease. A lost lease (another worker
/// took the delivery after our lease ran out) or a database failure is logged: the delivery
/// is then someone else's, or due again when the lease ends.
pub(crate) async fn record(
    app: &App,
    claimed: &Claimed,
    outcome: Result<(), Failure>,
    retry: &RetryPolicy,
) -> DeliveryStatus {
    let d = &claimed.delivery;
    let result = match &outcome {
        Ok(()) => deliveries::mark_sent(&app.db, d.id, claimed.lease_token)
            .await
            .map(|()| DeliveryStatus::Sent),
        Err(failure) => {
            let policy = match failure {
                Failure::Transient(_) => *retry,
                Failure::Permanent(_) => RetryPolicy {
                    max_attempts: 1,
                    ..*retry
                },
            };
            deliveries::mark_failed(
                &app.db,
                d.id,
                claimed.lease_token,
                failure.message(),
                &policy,
            )
            .await
        }
    };
    match result {
        Ok(status) => {
            match &outcome {
                Ok(()) => tracing::info!(
                    delivery = d.id.0,
                    operation = d.operation_id.0,
                    "delivery sent"
                ),
                Err(f) => tracing::warn!(
                    delivery = d.id.0,
                    operation = d.operation_id.0,
                    attempts = d.attempts,
                    status = status.as_str(),
                    error = f.message(),
                    "delivery attempt failed"
                ),
            }
            status
        }
        Err(e) => {
            tracing::warn!(delivery = d.id.0, error = %e, "delivery result not recorded");
            d.status
        }
    }
}

/// One attempt: the client service's SMTP server and sender, a fresh portal link, the mail,
/// the transport.
pub(crate) async fn attempt(app: &App, mail: &Mailer, claimed: &Claimed) -> Result<(), Failure> {
    let cs = client_services::find(&app.db, claimed.delivery.client_service_id)
        .await?
        .ok_or_else(|| Failure::Permanent("the client service is gone".into()))?;
    // Before the link is made: a delivery that cannot go out leaves no link behind.
    let route = route(app, mail, &cs)?;
    let composed = compose(app, &route.composer, claimed, &cs).await?;
    route.transport.send(&composed).await.map_err(Failure::from)
}

/// Where a client service's mails go, and from whom.
struct Route {
    transport: Arc<dyn MailTransport>,
    composer: MailComposer,
}

/// The client service's own SMTP server when it has one, else the system's; its `mail_from`
/// when set, else the system's sender (the rule of the backoffice's configuration test).
fn route(
    app: &App,
    mailer: &Mailer,
    cs: &client_services::ClientService,
) -> Result<Route, Failure> {
    let composer = match cs.smtp.sender() {
        None => mailer.composer.clone(),
        Some(from) => mailer
            .composer
            .with_sender(Sender::parse(from).map_err(|e| {
                Failure::Permanent(format!("the client service's sender (mail_from): {e}"))
            })?),
    };
    let Some(host) = cs.smtp.own_host() else {
        return Ok(Route {
            transport: mailer.transport.clone(),
            composer,
        });
    };
    let password = cs.smtp.password(cs.id, &app.master_key).map_err(|_| {
        Failure::Permanent(
            "the client service's SMTP password cannot be read (sealed for another client \
             service or with another master key): set it again in the backoffice"
                .into(),
        )
    })?;
    let server = OwnServer {
        host,
        port: cs.smtp.port,
        security: cs.smtp.security.as_deref(),
        username: cs.smtp.username.as_deref(),
        password: password.as_deref().map(String::as_str),
    };
    let transport = SmtpTransport::own(&server, SMTP_TIMEOUTS)
        .map_err(|e| Failure::Permanent(format!("the client service's own SMTP server: {e}")))?;
    Ok(Route {
        transport: Arc::new(transport),
        composer,
    })
}

async fn compose(
    app: &App,
    composer: &MailComposer,
    claimed: &Claimed,
    cs: &client_services::ClientService,
) -> Result<Mail, Failure> {
    let d = &claimed.delivery;
    let op = operations::find(&app.db, cs.id, d.operation_id)
        .await?
        .ok_or_else(|| Failure::Permanent("the operation is gone".into()))?;
    let signed: Vec<_> = documents::list_for_operation(&app.db, cs.id, op.id)
        .await?
        .into_iter()
        .filter(|doc| doc.sign_status == SignStatus::Signed)
        .filter_map(|doc| doc.stored().map(|stored| (doc, stored)))
        .collect();
    if signed.is_empty() {
        return Err(Failure::Permanent(
            "the operation has no signed document to deliver".into(),
        ));
    }
    let mut attachments = Vec::new();
    if d.attach_documents {
        for (doc, stored) in &signed {
            let bytes = app.documents.get(stored).await?;
            let (name, content_type) = attachment_name(doc);
            let attachment = Attachment::new(name.clone(), &content_type, bytes.clone())
                // A content type the integrator made up is no reason not to deliver.
                .or_else(|_| Attachment::new(name, "application/octet-stream", bytes))
                .map_err(|e| Failure::Permanent(format!("document {}: {e}", doc.id.0)))?;
            attachments.push(attachment);
        }
    }
    let language = Language::from_str(cs.language.as_str()).unwrap_or(Language::PtPt);
    let content = DocumentsAvailable {
        language,
        issuer_name: cs.issuer.name.clone(),
        operation_description: Some(op.description.clone()).filter(|s| !s.trim().is_empty()),
        document_names: signed.iter().map(|(doc, _)| doc.name.clone()).collect(),
        attachments,
        brand: brand(app, cs).await,
    };
    let custom = custom_template(app, cs).await;
    let token = PortalToken::generate();
    let expires_at = signed
        .iter()
        .filter_map(|(doc, _)| doc.storage_end_date)
        .max()
        .unwrap_or_else(|| OffsetDateTime::now_utc() + DEFAULT_LINK_VALIDITY);
    let composed = composer
        .documents_available(d.receiver_email.as_str(), &token, &content, custom.as_ref())
        .map_err(|e| Failure::Permanent(e.to_string()))?;
    let mut token_hash = [0u8; 32];
    hex::decode_to_slice(token.hash().as_str(), &mut token_hash)
        .map_err(|e| Failure::Permanent(format!("token hash: {e}")))?;
    // The link is stored before the mail leaves: a mail never carries a link that does not
    // exist. A link of a failed attempt is simply never known to anyone.
    portal_links::insert(
        &app.db,
        &portal_links::NewPortalLink {
            token_hash,
            operation_id: op.id,
            client_service_id: cs.id,
            delivery_id: Some(d.id),
            receiver_email: d.receiver_email.clone(),
            expires_at,
        },
    )
    .await?;
    Ok(composed)
}

/// The attachment's file name and type: the signed file itself for PAdES and XAdES; the
/// detached CMS signature (`.p7s`) for CAdES.
fn attachment_name(doc: &documents::Document) -> (String, String) {
    match doc.signature_type {
        SignatureType::CAdES => (
            format!("{}.p7s", doc.name),
            "application/pkcs7-signature".into(),
        ),
        _ => (doc.name.clone(), doc.content_type.clone()),
    }
}

/// The look of the client portal, for the mail: the colours and logo of the PORTAL template the
/// portal uses (the same lookup as `client-portal`'s `page::brand`), else the default look. A
/// template that cannot be read or used never stops a mail.
async fn brand(app: &App, cs: &client_services::ClientService) -> Brand {
    let template = match templates::effective(
        &app.db,
        cs.id,
        TemplateKind::Portal,
        Some(cs.language),
    )
    .await
    {
        Ok(Some(template)) => template,
        Ok(None) => return Brand::default(),
        Err(e) => {
            tracing::warn!(error = %e, "portal template unreadable; the e-mail has the default look");
            return Brand::default();
        }
    };
    let logo = template
        .logo
        .as_deref()
        .filter(|bytes| !bytes.is_empty())
        .map(|bytes| (bytes, template.logo_content_type.as_deref().unwrap_or("")));
    let brand = Brand::from_portal_template(&template.body, logo);
    if logo.is_some() && brand.logo.is_none() {
        tracing::info!(
            template = template.id.0,
            content_type = template.logo_content_type.as_deref().unwrap_or(""),
            "the portal logo is not sent by e-mail (only PNG, JPEG or GIF up to 512 KiB)"
        );
    }
    brand
}

/// The client service's own e-mail template, else the system default the backoffice stores,
/// if it parses; the built-in template otherwise (a broken stored template must not stop the
/// e-mails).
async fn custom_template(app: &App, cs: &client_services::ClientService) -> Option<CustomTemplate> {
    let template = templates::effective(&app.db, cs.id, TemplateKind::Email, Some(cs.language))
        .await
        .ok()
        .flatten()?;
    let subject = template.subject.as_deref()?;
    match CustomTemplate::parse(subject, &template.body, None) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(template = template.id.0, error = %e, "unusable e-mail template; using the system one");
            None
        }
    }
}
