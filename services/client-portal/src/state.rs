//! The one state of the service, shared by every handler.

use std::sync::Arc;

use signstash_store::DocumentStore;
use sqlx::PgPool;

use crate::config::Limits;
use crate::mail::CodeMailer;
use crate::metrics::Metrics;

pub struct App {
    pub db: PgPool,
    pub documents: DocumentStore,
    /// Served at `/metrics`.
    pub metrics: Metrics,
    /// Whether `X-Forwarded-For` names the receiver (see [`crate::config::Config`]).
    pub trust_forwarded_for: bool,
    /// XML documents above this size are not shown in the page.
    pub max_xml_view_bytes: usize,
    /// Rate limits and lifetimes of codes and sessions.
    pub limits: Limits,
    /// Sends access codes.
    pub mailer: CodeMailer,
    /// Cookies get `Secure` (the portal is served over HTTPS).
    pub secure_cookies: bool,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
