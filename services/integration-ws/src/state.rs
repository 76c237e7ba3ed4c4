//! The one state of the service, shared by every handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::FromRef;
use signstash_domain::{AddressScope, ClientServiceId};
use signstash_oauth::{
    Admission, Attempt, ClientDirectory, ClientRecord, ClientThrottle, DirectoryError, KeyRing,
    OAuthState, SigningKey, TokenService,
};
use signstash_signing::{Signer, TimeStamper};
use signstash_store::certificates::{self, KeyFileError};
use signstash_store::{oauth_keys, rate_limits, DocumentStore, MasterKey};
use sqlx::PgPool;

use crate::config::TokenThrottle;
use crate::dto::Limits;
use crate::error::ApiError;

/// The context under which certificate keys are sealed with the master key.
pub const CERTIFICATE_KEY_CONTEXT: &[u8] = certificates::KEY_CONTEXT;
/// The context under which OAuth signing keys are sealed with the master key.
pub const OAUTH_KEY_CONTEXT: &[u8] = b"signstash:oauth-signing-key";

pub struct App {
    pub db: PgPool,
    pub documents: DocumentStore,
    pub master_key: MasterKey,
    pub tokens: TokenService,
    pub oauth: OAuthState,
    pub limits: Limits,
    /// The system timestamp authority for `applyTimestamp`.
    pub tsa: Option<Arc<dyn TimeStamper>>,
    /// The embedded authority, when this service runs one (`/api/v0/timestamp`, and `/tsa`
    /// when `public_tsa`).
    pub embedded_tsa: Option<Arc<signstash_signing::TimestampAuthority>>,
    /// Serve the embedded authority to anyone at `/tsa` (`SIGNSTASH_PUBLIC_TSA`).
    pub public_tsa: bool,
    /// Where e-mails go (resend endpoint; the outbox worker gets its own handle). Set by
    /// [`App::with_mailer`]; `crate::state_from` always sets it.
    pub mailer: Option<Arc<crate::outbox::Mailer>>,
    /// Served at `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// The signing path's writes, gathered across requests (see [`crate::batch`]).
    pub writes: crate::batch::Writes,
    /// Client services and signers kept between requests (see [`crate::tenancy`]).
    pub tenancy: Arc<crate::tenancy::Tenancy>,
    /// Every request's work, run apart from its connection (see [`crate::work`]).
    pub work: tokio_util::task::TaskTracker,
    /// The memory request bodies may hold across the service (see [`crate::work`]).
    pub body_budget: crate::work::BodyBudget,
    /// Requests in flight per client service, bounded by its `concurrency_limit`.
    in_flight: Mutex<HashMap<i64, (i32, Arc<tokio::sync::Semaphore>)>>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl FromRef<AppState> for TokenService {
    fn from_ref(s: &AppState) -> TokenService {
        s.tokens.clone()
    }
}

impl FromRef<AppState> for OAuthState {
    fn from_ref(s: &AppState) -> OAuthState {
        s.oauth.clone()
    }
}

/// The token server's view of client services, read from the database.
pub struct DbClientDirectory(pub PgPool);

#[async_trait::async_trait]
impl ClientDirectory for DbClientDirectory {
    async fn find_by_alias(&self, alias: &str) -> Result<Option<ClientRecord>, DirectoryError> {
        use secrecy::ExposeSecret;
        let Ok(alias) = signstash_domain::Alias::try_from(alias) else {
            return Ok(None);
        };
        let found = signstash_store::client_services::find_by_alias(&self.0, &alias).await?;
        Ok(found.map(|cs| ClientRecord {
            id: cs.id.0,
            alias: cs.alias.to_string(),
            secret_hash: cs.secret_hash.expose_secret().to_string(),
            // A suspended client service still gets tokens to read what it has.
            active: cs.status != signstash_domain::ClientServiceStatus::Inactive,
        }))
    }
}

/// Failed client authentications counted in `rate_limits` (see [`TokenThrottle`]): scopes
/// `token:<address>` and `token:<address>:<client id>`. Client ids that are no alias (which
/// name no client service) share the one client id `(not an alias)`.
pub struct DbClientThrottle {
    pub db: PgPool,
    pub limits: TokenThrottle,
}

#[async_trait::async_trait]
impl ClientThrottle for DbClientThrottle {
    async fn admit(
        &self,
        client_id: &str,
        address: &AddressScope,
    ) -> Result<Admission, DirectoryError> {
        // A client id may hold anything (PostgreSQL text holds no NUL, an index entry only
        // so much); an alias is short and plain.
        let client_id = signstash_domain::Alias::try_from(client_id)
            .map(|alias| alias.to_string())
            .unwrap_or_else(|_| "(not an alias)".to_owned());
        let limits = [
            rate_limits::Limit {
                scope: format!("token:{address}"),
                max: self.limits.per_address,
            },
            rate_limits::Limit {
                scope: format!("token:{address}:{client_id}"),
                max: self.limits.per_client_and_address,
            },
        ];
        Ok(
            match rate_limits::admit(&self.db, &limits, self.limits.window).await? {
                rate_limits::Admission::Admitted(admitted) => {
                    Admission::Admitted(Box::new(DbAttempt {
                        db: self.db.clone(),
                        admitted,
                    }))
                }
                rate_limits::Admission::Refused { retry_after } => {
                    Admission::Throttled { retry_after }
                }
            },
        )
    }
}

struct DbAttempt {
    db: PgPool,
    admitted: rate_limits::Admitted,
}

#[async_trait::async_trait]
impl Attempt for DbAttempt {
    async fn finish(self: Box<Self>, failed: bool) -> Result<(), DirectoryError> {
        Ok(self.admitted.finish(&self.db, failed).await?)
    }
}

/// The key ring from `oauth_signing_keys`; a first key is made and stored when there is none.
pub async fn load_key_ring(db: &PgPool, master_key: &MasterKey) -> Result<KeyRing, String> {
    use secrecy::ExposeSecret;
    let rows = oauth_keys::list_active(db)
        .await
        .map_err(|e| e.to_string())?;
    let mut keys = Vec::new();
    for row in rows {
        let pem = master_key
            .open(&row.private_key_encrypted, OAUTH_KEY_CONTEXT)
            .map_err(|e| format!("oauth key {}: {e}", row.kid))?;
        keys.push(SigningKey::from_pkcs8_pem(&row.kid, &pem).map_err(|e| e.to_string())?);
    }
    if keys.is_empty() {
        let key = SigningKey::generate_es256().map_err(|e| e.to_string())?;
        let sealed = master_key
            .seal(
                key.to_pkcs8_pem().expose_secret().as_bytes(),
                OAUTH_KEY_CONTEXT,
            )
            .map_err(|e| e.to_string())?;
        oauth_keys::insert(
            db,
            &oauth_keys::NewOAuthSigningKey {
                kid: key.kid().to_string(),
                algorithm: signstash_domain::JwtAlgorithm::Es256,
                private_key_encrypted: sealed,
                public_jwk: serde_json::to_value(key.public_jwk()).map_err(|e| e.to_string())?,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        keys.push(key);
    }
    let active = keys.remove(0);
    KeyRing::with_retired(active, keys).map_err(|e| e.to_string())
}

impl App {
    #[allow(clippy::too_many_arguments)] // each is one of the service's parts, built by the caller
    pub fn new(
        db: PgPool,
        documents: DocumentStore,
        master_key: MasterKey,
        tokens: TokenService,
        limits: Limits,
        tsa: Option<Arc<dyn TimeStamper>>,
        embedded_tsa: Option<Arc<signstash_signing::TimestampAuthority>>,
        body_budget: crate::work::BodyBudget,
    ) -> Self {
        let oauth = OAuthState::new(tokens.clone(), Arc::new(DbClientDirectory(db.clone())));
        let writes = crate::batch::Writes::spawn(&db);
        let tenancy = crate::tenancy::Tenancy::spawn(&db);
        Self {
            writes,
            db,
            documents,
            master_key,
            tokens,
            oauth,
            limits,
            tsa,
            embedded_tsa,
            public_tsa: false,
            mailer: None,
            metrics: crate::metrics::Metrics::default(),
            tenancy,
            work: tokio_util::task::TaskTracker::new(),
            body_budget,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The same state, sending e-mails with `mailer`.
    pub fn with_mailer(mut self, mailer: Arc<crate::outbox::Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// The same state, serving the embedded authority to anyone at `/tsa` when `public`.
    pub fn with_public_tsa(mut self, public: bool) -> Self {
        self.public_tsa = public;
        self
    }

    /// The same state, limiting failed client authentications at the token endpoint.
    pub fn with_token_throttle(mut self, limits: &TokenThrottle) -> Self {
        self.oauth = self.oauth.clone().with_throttle(Arc::new(DbClientThrottle {
            db: self.db.clone(),
            limits: limits.clone(),
        }));
        self.oauth.trust_forwarded_for = limits.trust_forwarded_for;
        self
    }

    /// A slot for one more signing request of this client service, or 429 `0.0.11` when its
    /// `concurrency_limit` requests are already running (on this instance).
    pub fn admit(
        &self,
        client_service: ClientServiceId,
        limit: i32,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let semaphore = {
            let mut map = self.in_flight.lock().map_err(ApiError::internal)?;
            let entry = map
                .entry(client_service.0)
                .or_insert_with(|| (limit, semaphore(limit)));
            // A changed limit takes effect now: requests holding slots of the old semaphore
            // finish undisturbed, new ones count against the new limit.
            if entry.0 != limit {
                *entry = (limit, semaphore(limit));
            }
            entry.1.clone()
        };
        semaphore.try_acquire_owned().map_err(|_| {
            ApiError::new(
                signstash_domain::ErrorCode::TooManyRequests,
                format!("more than {limit} requests of this client service at once; retry shortly"),
            )
        })
    }

    /// The signer of a client service's configured certificate: 500 `0.0.3` when none is
    /// configured or its key source is not usable here.
    pub async fn signer_for(
        &self,
        certificate_id: i64,
        client_service: ClientServiceId,
    ) -> Result<Arc<dyn Signer>, ApiError> {
        if let Some(s) = self.tenancy.signer(certificate_id) {
            return Ok(s);
        }
        let generation = self.tenancy.generation();
        let missing = |why: &str| {
            ApiError::new(
                signstash_domain::ErrorCode::MissingConfiguration,
                format!("the client service's certificate {why}"),
            )
        };
        let cert = certificates::configured_for_client_service(&self.db, client_service)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| missing("is not configured"))?;
        let signer: Arc<dyn Signer> = match cert.key_file_signer(&self.master_key) {
            Ok(signer) => Arc::new(signer),
            Err(KeyFileError::NotAKeyFile(_)) => {
                return Err(missing("uses a key source this service does not reach yet"))
            }
            Err(KeyFileError::NoKey) => return Err(missing("has no key")),
            Err(KeyFileError::Unsealed(e)) => return Err(ApiError::internal(e)),
            Err(KeyFileError::Unreadable(_)) => return Err(missing("key file cannot be read")),
            Err(KeyFileError::Unusable(e)) => return Err(missing(&format!("cannot be used: {e}"))),
        };
        self.tenancy
            .keep_signer(generation, certificate_id, &signer);
        Ok(signer)
    }
}

fn semaphore(limit: i32) -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(
        usize::try_from(limit.max(1)).unwrap_or(1),
    ))
}
