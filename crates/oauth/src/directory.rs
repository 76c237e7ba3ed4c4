//! The seam to the database: where client services are looked up by alias.

use std::collections::HashMap;
use std::sync::RwLock;

use async_trait::async_trait;

/// Any error of the directory's backing store (the store crate's `sqlx::Error` converts with `?`).
pub type DirectoryError = Box<dyn std::error::Error + Send + Sync>;

/// What the token endpoint needs to know about a client service.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// The numeric client service id (`csid` in tokens).
    pub id: i64,
    /// The alias integrators use as `client_id`.
    pub alias: String,
    /// argon2id PHC string of the client service secret.
    pub secret_hash: String,
    /// Inactive client services get no token.
    pub active: bool,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("id", &self.id)
            .field("alias", &self.alias)
            .field("secret_hash", &"<redacted>")
            .field("active", &self.active)
            .finish()
    }
}

/// Finds client services by alias. Implemented by the store over `client_services`.
#[async_trait]
pub trait ClientDirectory: Send + Sync + 'static {
    /// The client service whose alias is exactly `alias`, if any.
    async fn find_by_alias(&self, alias: &str) -> Result<Option<ClientRecord>, DirectoryError>;
}

/// A directory held in memory: for tests and for running the token server without a database.
#[derive(Debug, Default)]
pub struct InMemoryClientDirectory {
    clients: RwLock<HashMap<String, ClientRecord>>,
}

impl InMemoryClientDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a client service.
    pub fn insert(&self, record: ClientRecord) {
        self.clients
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(record.alias.clone(), record);
    }
}

#[async_trait]
impl ClientDirectory for InMemoryClientDirectory {
    async fn find_by_alias(&self, alias: &str) -> Result<Option<ClientRecord>, DirectoryError> {
        Ok(self
            .clients
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(alias)
            .cloned())
    }
}
