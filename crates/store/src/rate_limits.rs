//! Failure counters in fixed windows (`rate_limits`), kept in PostgreSQL so that every
//! instance of every service counts together. A scope names what is counted, prefixed by who
//! counts: `link:<address>` and `code-send:<link id>` (client portal), `token:<address>` and
//! `token:<address>:<client id>` (integration-ws's token endpoint). A counter's window starts
//! with its first failure and lasts the `window` its caller gives; once over, the next failure
//! starts a new one. Windows over for a day are swept now and then.
//!
//! Two ways to use them:
//! - **Count after the work**: [`count`] before, [`record`] after a failure. One statement
//!   each; concurrent tries that all pass the check before the first failure is recorded all
//!   run. Enough where the work is cheap (the portal's token lookups).
//! - **Admit before the work**: [`admit`] takes a place in every counter of a try at once, or
//!   none and says how long to wait; [`Admitted::finish`] gives the place back and counts the
//!   failure. Tries under way count against the limit, so no burst of concurrent tries gets
//!   more work done than the limit allows. For work an attacker must not get more of (argon2 at
//!   the token endpoint).

use std::time::Duration;

use sqlx::{PgExecutor, PgPool};

use crate::error::StoreError;

/// The failures counted for `scope` in its current window of `window` (0 when the window
/// is over).
pub async fn count(
    db: impl PgExecutor<'_>,
    scope: &str,
    window: time::Duration,
) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce((SELECT failures FROM rate_limits
                          WHERE scope = $1 AND window_start > now() - $2::interval), 0)",
    )
    .bind(scope)
    .bind(window)
    .fetch_one(db)
    .await?)
}

/// Counts one failure for `scope`, in a new window when the last one is over; returns the
/// failures of the current window.
pub async fn record(
    db: impl PgExecutor<'_>,
    scope: &str,
    window: time::Duration,
) -> Result<i32, StoreError> {
    Ok(sqlx::query_scalar(
        "WITH swept AS (
             DELETE FROM rate_limits
             WHERE random() < 0.01 AND window_start < now() - interval '1 day' AND scope <> $1
         )
         INSERT INTO rate_limits AS r (scope, window_start, failures)
         VALUES ($1, now(), 1)
         ON CONFLICT (scope) DO UPDATE SET
             failures = CASE WHEN r.window_start > now() - $2::interval THEN r.failures + 1 ELSE 1 END,
             window_start = CASE WHEN r.window_start > now() - $2::interval THEN r.window_start
                                 ELSE now() END
         RETURNING failures",
    )
    .bind(scope)
    .bind(window)
    .fetch_one(db)
    .await?)
}

/// One counter a try is admitted under: at most `max` failures of `scope` per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub scope: String,
    pub max: i32,
}

/// The answer of [`admit`].
#[derive(Debug)]
pub enum Admission {
    /// Go on; then [`Admitted::finish`].
    Admitted(Admitted),
    /// A counter is full: of failures (wait for its window to end) or of tries under way
    /// (wait a second). `retry_after` is whole seconds, at least one.
    Refused { retry_after: Duration },
}

/// A try holding a place in each of its counters.
#[derive(Debug)]
#[must_use = "a try that is never finished holds its places until the windows end"]
pub struct Admitted {
    scopes: Vec<String>,
}

/// Admits one try under every limit at once, or under none: refused when a counter's
/// failures, or its failures plus the tries under way, reach its `max`. Counters whose window
/// of `window` is over start a new one first.
pub async fn admit(
    db: &PgPool,
    limits: &[Limit],
    window: time::Duration,
) -> Result<Admission, StoreError> {
    let mut limits = limits.to_vec();
    // One order for every caller: two admissions never wait for each other's rows crosswise.
    limits.sort_by(|a, b| a.scope.cmp(&b.scope));
    limits.dedup_by(|a, b| a.scope == b.scope);
    let scopes: Vec<String> = limits.iter().map(|l| l.scope.clone()).collect();
    let mut tx = db.begin().await?;
    // Every counter exists, in a current window, and is locked by this transaction (ON
    // CONFLICT locks the row whether or not it updates it).
    sqlx::query(
        "WITH swept AS (
             DELETE FROM rate_limits
             WHERE random() < 0.01 AND window_start < now() - interval '1 day'
               AND scope <> ALL($1)
         )
         INSERT INTO rate_limits AS r (scope)
         SELECT scope FROM unnest($1::text[]) AS s (scope) ORDER BY scope
         ON CONFLICT (scope) DO UPDATE SET window_start = now(), failures = 0, in_flight = 0
         WHERE r.window_start <= now() - $2::interval",
    )
    .bind(&scopes)
    .bind(window)
    .execute(&mut *tx)
    .await?;
    let rows: Vec<(String, i32, i32, f64)> = sqlx::query_as(
        "SELECT scope, failures, in_flight,
                extract(epoch FROM window_start + $2::interval - now())::float8
         FROM rate_limits WHERE scope = ANY($1)",
    )
    .bind(&scopes)
    .bind(window)
    .fetch_all(&mut *tx)
    .await?;
    let mut retry_after: Option<u64> = None;
    for (scope, failures, in_flight, remaining) in rows {
        let Some(limit) = limits.iter().find(|l| l.scope == scope) else {
            continue;
        };
        let wait = if failures >= limit.max {
            // Seconds are whole and rounded up: a client that waits as told is let through.
            remaining.max(0.0).ceil() as u64
        } else if failures.saturating_add(in_flight) >= limit.max {
            1
        } else {
            continue;
        };
        retry_after = Some(retry_after.unwrap_or(0).max(wait.max(1)));
    }
    if let Some(seconds) = retry_after {
        tx.rollback().await?;
        return Ok(Admission::Refused {
            retry_after: Duration::from_secs(seconds),
        });
    }
    sqlx::query("UPDATE rate_limits SET in_flight = in_flight + 1 WHERE scope = ANY($1)")
        .bind(&scopes)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Admission::Admitted(Admitted { scopes }))
}

impl Admitted {
    /// The try is over: its places are given back and, when it `failed`, a failure is counted
    /// in each counter's current window.
    pub async fn finish(self, db: impl PgExecutor<'_>, failed: bool) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE rate_limits
             SET in_flight = greatest(in_flight - 1, 0), failures = failures + $2
             WHERE scope = ANY($1)",
        )
        .bind(&self.scopes)
        .bind(i32::from(failed))
        .execute(db)
        .await?;
        Ok(())
    }

    /// The scopes this try holds a place in.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
}
