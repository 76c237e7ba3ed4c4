//! Opening a link: from the token in the path to the operation it was sent for, and the audit
//! record of every access.
//!
//! The token is parsed (43 URL-safe characters, exactly 256 bits), hashed, and looked up by
//! hash among the links that are neither expired nor revoked; nothing else about a link is
//! ever compared. Every way of failing is [`PageError::NotFound`].

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use serde_json::json;
use signstash_delivery::PortalToken;
use signstash_domain::{
    request_address, ActorKind, AddressScope, DocumentId, PartnerCompanyId, SignStatus,
    StorageStatus,
};
use signstash_store::client_services::{self, ClientService};
use signstash_store::documents::{self, Document};
use signstash_store::operations::{self, Operation};
use signstash_store::portal_links::{self, PortalLink};
use signstash_store::{audit, companies, rate_limits};

use crate::error::PageError;
use crate::state::{App, AppState};

/// Who is asking: written with every access to the audit log.
#[derive(Debug, Clone)]
pub struct Client {
    /// The peer address, or the last `X-Forwarded-For` entry when configured to trust it.
    pub address: Option<String>,
    pub user_agent: Option<String>,
    /// `X-Request-Id` (set by the service when the request had none).
    pub request_id: Option<String>,
    /// The receiver-session cookie (after an access code), if the browser sent one.
    pub session: Option<String>,
}

/// The cookie of a receiver session, scoped to one link's path.
pub const SESSION_COOKIE: &str = "signstash_portal_session";

impl Client {
    /// What rate limits count per: the address, or its /64 for IPv6 (one host has many).
    pub fn scope(&self) -> String {
        AddressScope::of(self.address.as_deref()).to_string()
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(512).collect::<String>())
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let address = request_address(
            peer,
            header("x-forwarded-for").as_deref(),
            app.trust_forwarded_for,
        );
        let session = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
            .map(str::to_string)
            .next();
        Ok(Self {
            address,
            user_agent: header(header::USER_AGENT.as_str()),
            request_id: header("x-request-id"),
            session,
        })
    }
}

/// An opened link with everything the pages show.
#[derive(Debug)]
pub struct Access {
    pub link: PortalLink,
    pub client_service: ClientService,
    pub operation: Operation,
    /// The client service asks for an access code and this browser has not given it yet:
    /// only the code page may show.
    pub code_pending: bool,
    /// The link's access-code state (when the client service asks for codes).
    pub code: CodeState,
    partner_company_id: Option<PartnerCompanyId>,
}

/// The current access code of a link.
#[derive(Debug, Clone)]
pub struct CodeState {
    pub hash: Option<String>,
    pub sent_at: Option<time::OffsetDateTime>,
    pub failures: i32,
}

impl Access {
    /// The operation `token` opens, or `NotFound` for any token that does not open one.
    /// An address that tried too many such tokens lately gets `TooManyAttempts` for every
    /// token, good or bad, until its window ends.
    pub async fn open(app: &App, token: &str, client: &Client) -> Result<Self, PageError> {
        let scope = format!("link:{}", client.scope());
        let window = app.limits.failure_window;
        if rate_limits::count(&app.db, &scope, window).await? >= app.limits.link_failures {
            app.metrics.access("link_rate_limited");
            return Err(PageError::TooManyAttempts(window));
        }
        match Self::find(app, token, client).await? {
            Some(access) => Ok(access),
            None => {
                app.metrics.access("link_refused");
                rate_limits::record(&app.db, &scope, window).await?;
                Err(PageError::NotFound)
            }
        }
    }

    async fn find(app: &App, token: &str, client: &Client) -> Result<Option<Self>, PageError> {
        let Ok(token) = PortalToken::parse(token) else {
            return Ok(None);
        };
        let Some(opened) = portal_links::open_for_portal(&app.db, &sha256(&token)?).await? else {
            return Ok(None);
        };
        let link = opened.link;
        let Some(client_service) = client_services::find(&app.db, link.client_service_id).await?
        else {
            return Ok(None);
        };
        let Some(operation) =
            operations::find(&app.db, client_service.id, link.operation_id).await?
        else {
            return Ok(None);
        };
        let partner_company_id = companies::find_issuer(&app.db, client_service.issuer.id)
            .await?
            .map(|issuer| issuer.partner_company_id);
        let code_pending = if opened.access_code_required {
            match client.session.as_deref().map(PortalToken::parse) {
                Some(Ok(session)) => {
                    !portal_links::session_is_valid(&app.db, &sha256(&session)?, link.id).await?
                }
                _ => true,
            }
        } else {
            false
        };
        Ok(Some(Self {
            link,
            client_service,
            operation,
            code_pending,
            code: CodeState {
                hash: opened.access_code_hash,
                sent_at: opened.access_code_sent_at,
                failures: opened.access_code_failures,
            },
            partner_company_id,
        }))
    }

    /// `NotFound`-free guard for the routes that show documents: while an access code is
    /// pending they send the browser to the link's page, which asks for it.
    pub fn require_code(&self, token: &str) -> Result<(), PageError> {
        if self.code_pending {
            Err(PageError::CodeRequired(format!("/d/{token}")))
        } else {
            Ok(())
        }
    }

    /// The operation's documents, in request order.
    pub async fn documents(&self, app: &App) -> Result<Vec<Document>, PageError> {
        Ok(
            documents::list_for_operation(&app.db, self.client_service.id, self.operation.id)
                .await?,
        )
    }

    /// One available document of this operation (`id` as written in the path); a document of
    /// any other operation, or one with no signed bytes, is `NotFound`.
    pub async fn document(&self, app: &App, id: &str) -> Result<Document, PageError> {
        let id = id
            .parse::<i64>()
            .map(DocumentId)
            .map_err(|_| PageError::NotFound)?;
        let doc = documents::find(&app.db, self.client_service.id, id)
            .await?
            .filter(|d| d.operation_id == self.operation.id)
            .filter(is_available)
            .ok_or(PageError::NotFound)?;
        Ok(doc)
    }

    /// Appends one access to the audit log: what (`action`, the target), through which link
    /// and receiver, from where, when (the row's time). A failure to record refuses the access.
    pub async fn record(
        &self,
        app: &App,
        client: &Client,
        action: &str,
        target: Option<&Document>,
    ) -> Result<(), PageError> {
        self.record_details(app, client, action, target, json!({}))
            .await
    }

    /// [`Access::record`] with more details.
    pub async fn record_details(
        &self,
        app: &App,
        client: &Client,
        action: &str,
        target: Option<&Document>,
        extra: serde_json::Value,
    ) -> Result<(), PageError> {
        let (target_kind, target_id) = match target {
            Some(doc) => ("document", doc.id.0.to_string()),
            None => ("operation", self.operation.id.0.to_string()),
        };
        let mut details = json!({
            "actor": "RECEIVER",
            "portalLinkId": self.link.id.0,
            "deliveryId": self.link.delivery_id.map(|d| d.0),
            "receiverEmail": self.link.receiver_email.to_string(),
            "operationId": self.operation.id.0,
            "userAgent": client.user_agent,
        });
        if let Some(doc) = target {
            details["documentName"] = json!(doc.name);
        }
        if let (Some(d), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra) {
            d.extend(extra);
        }
        audit::append(
            &app.db,
            &audit::NewAuditEntry {
                // The receiver is neither an operator nor a client service; the audit schema
                // has no kind for end users yet, so the platform records it on their behalf
                // (`details.actor`).
                actor_kind: ActorKind::System,
                operator_id: None,
                client_service_id: Some(self.client_service.id),
                partner_company_id: self.partner_company_id,
                issuer_company_id: Some(self.client_service.issuer.id),
                action: action.to_string(),
                target_kind: Some(target_kind.to_string()),
                target_id: Some(target_id),
                details,
                request_id: client.request_id.clone(),
                remote_address: client.address.clone(),
            },
        )
        .await?;
        Ok(())
    }
}

/// The stored form of a link or session token: its SHA-256.
pub fn sha256(token: &PortalToken) -> Result<[u8; 32], PageError> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(token.hash().as_str(), &mut hash).map_err(PageError::internal)?;
    Ok(hash)
}

/// Signed, and its signed bytes still in custody.
pub fn is_available(doc: &Document) -> bool {
    doc.sign_status == SignStatus::Signed
        && matches!(
            doc.storage_status,
            StorageStatus::ContentStored | StorageStatus::ContentPreserved
        )
        && doc.stored().is_some()
}
