//! Closes operations abandoned in `PENDING_EXECUTION` (the process signing them died): after
//! [`Sweeper::abandoned_after`], their unsigned documents become `ERROR_SIGNING` /
//! `SIGN_OPERATION_INTERNAL_ERROR` and the operation `EXECUTION_ERROR` or `EXECUTION_FAILED`,
//! so an integrator recovering by external reference reads a final status instead of waiting
//! forever, and retries under a new reference. Any instance may sweep; rows are claimed with
//! `SKIP LOCKED`.
//!
//! Every [`Sweeper::orphans_every`] it also removes the document store's objects that no row
//! names and that are older than [`Sweeper::orphan_age`]: what a process wrote before it died,
//! or what a request wrote and could not record (a request removes those itself when it can).

use std::time::Duration;

use signstash_store::operations;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub struct Sweeper {
    /// Far longer than any request may take (bodies up to 64 MiB sign in seconds).
    pub abandoned_after: Duration,
    pub every: Duration,
    /// How old an object no row names must be before it is removed: far longer than any
    /// request takes between storing a document and recording it.
    pub orphan_age: Duration,
    pub orphans_every: Duration,
}

impl Default for Sweeper {
    fn default() -> Self {
        Self {
            abandoned_after: Duration::from_secs(15 * 60),
            every: Duration::from_secs(60),
            orphan_age: Duration::from_secs(60 * 60),
            orphans_every: Duration::from_secs(60 * 60),
        }
    }
}

impl Sweeper {
    /// One pass; the number of operations closed.
    pub async fn run_once(&self, app: &AppState) -> Result<usize, signstash_store::StoreError> {
        let seconds = i64::try_from(self.abandoned_after.as_secs()).unwrap_or(i64::MAX);
        let closed = operations::close_abandoned(&app.db, seconds).await?;
        for id in &closed {
            tracing::warn!(
                operation_id = id.0,
                "closed an operation abandoned mid-signing"
            );
        }
        Ok(closed.len())
    }

    /// One pass over the document store: removes the objects of this month and the one before
    /// that no row names and that are older than [`Sweeper::orphan_age`]; how many.
    pub async fn remove_orphans(
        &self,
        app: &AppState,
    ) -> Result<usize, signstash_store::StoreError> {
        let before = time::OffsetDateTime::now_utc() - self.orphan_age;
        let candidates = app.documents.recent_keys_before(before).await?;
        let mut removed = 0;
        for keys in candidates.chunks(1000) {
            for key in signstash_store::documents::unreferenced(&app.db, keys).await? {
                app.documents.delete_key(&key).await?;
                tracing::warn!(storage_key = %key, "removed a stored object no document names");
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub fn spawn(self, app: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut orphans_checked: Option<tokio::time::Instant> = None;
            loop {
                if let Err(e) = self.run_once(&app).await {
                    tracing::error!(error = %e, "sweeping abandoned operations failed");
                }
                if orphans_checked.is_none_or(|t| t.elapsed() >= self.orphans_every) {
                    orphans_checked = Some(tokio::time::Instant::now());
                    if let Err(e) = self.remove_orphans(&app).await {
                        tracing::error!(error = %e, "removing unreferenced stored objects failed");
                    }
                }
                tokio::select! {
                    changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { break },
                    () = tokio::time::sleep(self.every) => {}
                }
            }
        })
    }
}
