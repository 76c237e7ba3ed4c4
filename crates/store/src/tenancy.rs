//! Knowing when tenancy settings change, to keep them in memory safely.
//!
//! A statement-level trigger on `client_services`, `issuer_companies` and `certificates`
//! (migration `20261124130000_tenancy_changed`) sends `NOTIFY signstash_tenancy_changed` with
//! every change, at commit, whoever makes it. [`listen`] follows that channel on a connection of
//! its own and tells its [`TenancyWatcher`] when it starts listening, when something changed, and
//! when it stopped (a lost connection, after which it reconnects every second). A watcher that
//! caches must not trust its cache while not listening: notifications sent then are lost.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;

/// The channel the trigger notifies.
pub const CHANNEL: &str = "signstash_tenancy_changed";

/// What [`listen`] reports to.
pub trait TenancyWatcher: Send + Sync + 'static {
    /// Now listening: nothing changed since this call will be missed.
    fn listening(&self);
    /// Something changed (the payload is the table's name).
    fn changed(&self, table: &str);
    /// No longer listening (connection lost): changes may be missed until [`Self::listening`].
    fn deaf(&self);
}

/// Follows the channel until the runtime stops, on one connection of its own made with `pool`'s
/// settings (so the pool keeps all its connections for requests).
pub async fn listen(pool: &PgPool, watcher: std::sync::Arc<dyn TenancyWatcher>) {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with((*pool.connect_options()).clone());
    loop {
        let subscribed = async {
            let mut listener = PgListener::connect_with(&own).await?;
            // A lost connection ends the inner loop instead of being mended silently, so the
            // watcher hears about the gap.
            listener.eager_reconnect(false);
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        match subscribed {
            Ok(mut listener) => {
                watcher.listening();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => watcher.changed(notification.payload()),
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "tenancy notifications: connection lost");
                            break;
                        }
                    }
                }
                watcher.deaf();
            }
            Err(e) => tracing::warn!(error = %e, "tenancy notifications: cannot listen"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
