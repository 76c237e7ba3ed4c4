//! Closes operations abandoned in `PENDING_EXECUTION` (the process signing them died): after
//! [`Sweeper::abandoned_after`], their unsigned documents become `ERROR_SIGNING` /
//! `SIGN_OPERATION_INTERNAL_ERROR` and the operation `EXECUTION_ERROR` or `EXECUTION_FAILED`,
//! so an integrator recovering by external reference reads a final status instead of waiting
//! forever, and retries under a new reference. Any instance may sweep; rows are claimed with
//! `SKIP LOCKED`.

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
}

impl Default for Sweeper {
    fn default() -> Self {
        Self {
            abandoned_after: Duration::from_secs(15 * 60),
            every: Duration::from_secs(60),
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

    pub fn spawn(self, app: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.run_once(&app).await {
                    tracing::error!(error = %e, "sweeping abandoned operations failed");
                }
                tokio::select! {
                    changed = shutdown.changed() => if changed.is_err() || *shutdown.borrow() { break },
                    () = tokio::time::sleep(self.every) => {}
                }
            }
        })
    }
}
