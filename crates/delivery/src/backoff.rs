//! Retry policy of the outbox: what status a delivery takes after an attempt, and when the
//! next attempt is due.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::DeliveryError;

/// Status of one receiver's delivery, with the API v0 spellings (`deliveryStatus`).
///
/// Defined here until `signstash-domain` exports its own; the spellings are the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Not attempted yet.
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Opened in the client portal (set by the portal, never by [`Backoff::next_status`]).
    Received,
    /// Last attempt failed; another is scheduled.
    SendingError,
    /// Given up: permanent failure, or the retry threshold reached.
    SendingFailed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Received => "RECEIVED",
            Self::SendingError => "SENDING_ERROR",
            Self::SendingFailed => "SENDING_FAILED",
        }
    }

    /// Whether the outbox still has work to do for this delivery.
    pub fn awaits_attempt(self) -> bool {
        matches!(self, Self::Pending | Self::SendingError)
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the API's `deliveryStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown delivery status")]
pub struct UnknownDeliveryStatus;

impl FromStr for DeliveryStatus {
    type Err = UnknownDeliveryStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "PENDING" => Self::Pending,
            "SENT" => Self::Sent,
            "RECEIVED" => Self::Received,
            "SENDING_ERROR" => Self::SendingError,
            "SENDING_FAILED" => Self::SendingFailed,
            _ => return Err(UnknownDeliveryStatus),
        })
    }
}

/// Exponential backoff with jitter and a retry threshold.
///
/// Retry `n` (1-based) waits `base_delay × 2^(n-1)`, scaled by a factor in
/// `[1 - jitter, 1 + jitter]`, never more than `max_delay`. After the first attempt, at most
/// `retry_threshold` retries are made: with the default 3, the fourth failed attempt gives
/// SENDING_FAILED ("gave up after the retry threshold, 3 by default").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Fraction in `[0, 1]`.
    pub jitter: f64,
    pub retry_threshold: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60 * 60),
            jitter: 0.2,
            retry_threshold: 3,
        }
    }
}

/// What to record after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextStep {
    pub status: DeliveryStatus,
    /// Set exactly when `status` is SENDING_ERROR.
    pub next_attempt_at: Option<OffsetDateTime>,
}

impl Backoff {
    /// The wait before retry `retry` (1-based). `jitter_seed` makes the jitter a pure function:
    /// pass something stable per delivery (its id), so deliveries that failed together spread
    /// out, and a test can predict the schedule.
    pub fn delay(&self, retry: u32, jitter_seed: u64) -> Duration {
        let exponent = retry.saturating_sub(1).min(32);
        let nominal = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_delay);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let unit = unit_interval(splitmix64(jitter_seed ^ u64::from(retry).rotate_left(32)));
        let factor = 1.0 + jitter * (2.0 * unit - 1.0);
        nominal.mul_f64(factor).min(self.max_delay)
    }

    /// The status after attempt number `attempts` (1 for the first) ended with `outcome`.
    ///
    /// Pure: `now` and `jitter_seed` come from the caller.
    pub fn next_status(
        &self,
        attempts: u32,
        outcome: &Result<(), DeliveryError>,
        now: OffsetDateTime,
        jitter_seed: u64,
    ) -> NextStep {
        match outcome {
            Ok(()) => NextStep {
                status: DeliveryStatus::Sent,
                next_attempt_at: None,
            },
            Err(err) if err.is_transient() && attempts <= self.retry_threshold => NextStep {
                status: DeliveryStatus::SendingError,
                next_attempt_at: Some(now + self.delay(attempts.max(1), jitter_seed)),
            },
            Err(_) => NextStep {
                status: DeliveryStatus::SendingFailed,
                next_attempt_at: None,
            },
        }
    }
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `[0, 1)` from the top 53 bits.
fn unit_interval(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient() -> Result<(), DeliveryError> {
        Err(DeliveryError::Transient {
            smtp_code: Some(451),
            message: "later".into(),
        })
    }

    fn permanent() -> Result<(), DeliveryError> {
        Err(DeliveryError::Permanent {
            smtp_code: Some(550),
            message: "no such user".into(),
        })
    }

    #[test]
    fn delays_double_from_30_seconds_within_the_jitter_and_are_capped() {
        let b = Backoff::default();
        for seed in 0..200u64 {
            for retry in 1..=20u32 {
                let nominal = (30.0 * 2f64.powi(retry as i32 - 1)).min(3600.0);
                let d = b.delay(retry, seed).as_secs_f64();
                assert!(d >= nominal * 0.8 - 1e-6, "retry {retry}: {d} < {nominal}");
                assert!(
                    d <= (nominal * 1.2).min(3600.0) + 1e-6,
                    "retry {retry}: {d}"
                );
            }
        }
        assert_eq!(b.delay(1, 7), b.delay(1, 7), "pure");
        let spread: std::collections::HashSet<_> = (0..50).map(|s| b.delay(1, s)).collect();
        assert!(spread.len() > 40, "jitter spreads deliveries");
        let exact = Backoff { jitter: 0.0, ..b };
        assert_eq!(exact.delay(1, 1), Duration::from_secs(30));
        assert_eq!(exact.delay(3, 1), Duration::from_secs(120));
        assert_eq!(exact.delay(u32::MAX, 1), Duration::from_secs(3600));
    }

    #[test]
    fn success_is_sent_permanent_is_failed_transient_retries_three_times() {
        let b = Backoff::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        let sent = b.next_status(1, &Ok(()), now, 0);
        assert_eq!(
            (sent.status, sent.next_attempt_at),
            (DeliveryStatus::Sent, None)
        );
        let failed = b.next_status(1, &permanent(), now, 0);
        assert_eq!(failed.status, DeliveryStatus::SendingFailed);
        assert_eq!(failed.next_attempt_at, None);

        let mut schedule = Vec::new();
        for attempt in 1..=4 {
            let step = b.next_status(attempt, &transient(), now, 42);
            schedule.push(step.status);
            if step.status == DeliveryStatus::SendingError {
                let at = step.next_attempt_at.expect("scheduled");
                assert_eq!(at - now, b.delay(attempt, 42));
            } else {
                assert_eq!(step.next_attempt_at, None);
            }
        }
        assert_eq!(
            schedule,
            [
                DeliveryStatus::SendingError,
                DeliveryStatus::SendingError,
                DeliveryStatus::SendingError,
                DeliveryStatus::SendingFailed
            ]
        );
        let configured = Backoff {
            retry_threshold: 0,
            ..b
        };
        assert_eq!(
            configured.next_status(1, &transient(), now, 0).status,
            DeliveryStatus::SendingFailed
        );
    }

    #[test]
    fn statuses_use_the_api_spellings() {
        for status in [
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Received,
            DeliveryStatus::SendingError,
            DeliveryStatus::SendingFailed,
        ] {
            let json = serde_json::to_string(&status).expect("serialises");
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("sent".parse::<DeliveryStatus>().is_err());
    }
}
