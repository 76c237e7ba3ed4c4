//! Client services and signers kept in memory between requests.
//!
//! Every request needs its client service (with its issuer) for the checks of the API page, and
//! looking it up was one query per request: about a sixth of the CPU of a small signing request,
//! counting both sides. They are kept here instead and forgotten, all at once, whenever the
//! database says a client service, an issuer or a certificate changed
//! ([`signstash_store::tenancy`]): a suspended client service is refused from its next request,
//! on every instance. While the notifications are not being received (at start, or after a lost
//! connection, until listening again) no client service is kept, so nothing stale is trusted.
//! A kept client service is also looked up again after [`KEEP_AT_MOST`], as a guard.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use signstash_signing::Signer;
use signstash_store::client_services::ClientService;
use signstash_store::tenancy::TenancyWatcher;
use sqlx::PgPool;

/// The longest a client service is kept without being looked up again.
pub const KEEP_AT_MOST: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct Tenancy {
    kept: Mutex<Kept>,
    /// Bumped by every change: what was read before a change is not kept after it.
    generation: AtomicU64,
    listening: AtomicBool,
}

#[derive(Default)]
struct Kept {
    client_services: HashMap<i64, (ClientService, Instant)>,
    /// By certificate id. Kept also while not listening (unsealing a key per request would be
    /// slow), and forgotten with every change.
    signers: HashMap<i64, Arc<dyn Signer>>,
}

impl Tenancy {
    /// An empty memory, listening for changes on a connection of its own.
    pub fn spawn(db: &PgPool) -> Arc<Self> {
        let tenancy = Arc::new(Tenancy::default());
        let (db, watcher) = (db.clone(), tenancy.clone());
        tokio::spawn(async move { signstash_store::tenancy::listen(&db, watcher).await });
        tenancy
    }

    /// Read before a lookup and given back to `keep_*`: a change in between is not missed.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Whether changes are being heard (client services are kept only then).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        // The map holds no invariant a panic could break.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client service, if kept and fresh.
    pub fn client_service(&self, id: i64) -> Option<ClientService> {
        let kept = self.kept();
        let (cs, since) = kept.client_services.get(&id)?;
        (since.elapsed() < KEEP_AT_MOST).then(|| cs.clone())
    }

    /// Keeps a client service read at `generation`, unless something changed since or changes
    /// are not being heard.
    pub fn keep_client_service(&self, generation: u64, cs: &ClientService) {
        let mut kept = self.kept();
        if self.is_listening() && self.generation() == generation {
            kept.client_services
                .insert(cs.id.0, (cs.clone(), Instant::now()));
        }
    }

    /// The signer of a certificate, if kept.
    pub fn signer(&self, certificate_id: i64) -> Option<Arc<dyn Signer>> {
        self.kept().signers.get(&certificate_id).cloned()
    }

    /// Keeps a signer made from what was read at `generation`, unless something changed since.
    pub fn keep_signer(&self, generation: u64, certificate_id: i64, signer: &Arc<dyn Signer>) {
        let mut kept = self.kept();
        if self.generation() == generation {
            kept.signers.insert(certificate_id, signer.clone());
        }
    }

    /// Forgets everything; `listening` tells whether what is read next may be kept.
    fn forget(&self, listening: bool) {
        let mut kept = self.kept();
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.listening.store(listening, Ordering::SeqCst);
        kept.client_services.clear();
        kept.signers.clear();
    }
}

impl TenancyWatcher for Tenancy {
    fn listening(&self) {
        self.forget(true);
    }

    fn changed(&self, table: &str) {
        tracing::debug!(table, "tenancy changed: forgetting kept client services");
        self.forget(true);
    }

    fn deaf(&self) {
        self.forget(false);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use signstash_domain::{
        Alias, ClientServiceId, ClientServiceStatus, IssuerCompanyId, IssuerStatus, Language,
        VatNumber,
    };
    use signstash_store::client_services::{IssuerSummary, SmtpSettings};

    fn client_service(id: i64) -> ClientService {
        ClientService {
            id: ClientServiceId(id),
            alias: Alias::try_from("demo").unwrap(),
            name: "Demo".into(),
            secret_hash: secrecy::SecretString::from("$argon2id$".to_string()),
            status: ClientServiceStatus::Active,
            language: Language::PtPt,
            certificate_id: None,
            email_template_id: None,
            portal_template_id: None,
            signature_text_template_id: None,
            smtp: SmtpSettings::default(),
            concurrency_limit: 4,
            storage_period_months: 12,
            created_at: time::OffsetDateTime::now_utc(),
            issuer: IssuerSummary {
                id: IssuerCompanyId(1),
                name: "Issuer".into(),
                vat_number: VatNumber::try_from("PT500000000").unwrap(),
                country_code: "PRT".into(),
                status: IssuerStatus::Active,
            },
        }
    }

    #[test]
    fn kept_only_while_listening_and_forgotten_with_every_change() {
        let t = Tenancy::default();
        // Not listening yet: nothing is kept.
        t.keep_client_service(t.generation(), &client_service(1));
        assert!(t.client_service(1).is_none());

        t.listening();
        t.keep_client_service(t.generation(), &client_service(1));
        assert_eq!(t.client_service(1).unwrap().id.0, 1);

        t.changed("client_services");
        assert!(t.client_service(1).is_none());

        // Read before a change, offered after it: not kept.
        let read_at = t.generation();
        t.changed("issuer_companies");
        t.keep_client_service(read_at, &client_service(2));
        assert!(t.client_service(2).is_none());

        // A lost connection forgets, and nothing is kept until listening again.
        t.keep_client_service(t.generation(), &client_service(3));
        assert!(t.client_service(3).is_some());
        t.deaf();
        assert!(t.client_service(3).is_none());
        t.keep_client_service(t.generation(), &client_service(3));
        assert!(t.client_service(3).is_none());
    }
}
