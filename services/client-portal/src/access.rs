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
use signstash_domain::{ActorKind, DocumentId, PartnerCompanyId, SignStatus, StorageStatus};
use signstash_store::client_services::{self, ClientService};
use signstash_store::documents::{self, Document};
use signstash_store::operations::{self, Operation};
use signstash_store::portal_links::{self, PortalLink};
use signstash_store::{audit, companies};

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
        let forwarded = app
            .trust_forwarded_for
            .then(|| header("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.rsplit(',').next().map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(Self {
            address: forwarded.or(peer),
            user_agent: header(header::USER_AGENT.as_str()),
            request_id: header("x-request-id"),
        })
    }
}

/// An opened link with everything the pages show.
#[derive(Debug)]
pub struct Access {
    pub link: PortalLink,
    pub client_service: ClientService,
    pub operation: Operation,
    partner_company_id: Option<PartnerCompanyId>,
}

impl Access {
    /// The operation `token` opens, or `NotFound` for any token that does not open one.
    pub async fn open(app: &App, token: &str) -> Result<Self, PageError> {
        let refused = || {
            app.metrics.access("link_refused");
            PageError::NotFound
        };
        let token = PortalToken::parse(token).map_err(|_| refused())?;
        let mut hash = [0u8; 32];
        hex::decode_to_slice(token.hash().as_str(), &mut hash).map_err(PageError::internal)?;
        let link = portal_links::open(&app.db, &hash)
            .await?
            .ok_or_else(refused)?;
        let client_service = client_services::find(&app.db, link.client_service_id)
            .await?
            .ok_or_else(refused)?;
        let operation = operations::find(&app.db, client_service.id, link.operation_id)
            .await?
            .ok_or_else(refused)?;
        let partner_company_id = companies::find_issuer(&app.db, client_service.issuer.id)
            .await?
            .map(|issuer| issuer.partner_company_id);
        Ok(Self {
            link,
            client_service,
            operation,
            partner_company_id,
        })
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

/// Signed, and its signed bytes still in custody.
pub fn is_available(doc: &Document) -> bool {
    doc.sign_status == SignStatus::Signed
        && matches!(
            doc.storage_status,
            StorageStatus::ContentStored | StorageStatus::ContentPreserved
        )
        && doc.stored().is_some()
}
