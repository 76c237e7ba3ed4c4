//! The seam to where failed client authentications are counted (the service's database, so
//! that every instance counts together).
//!
//! The token endpoint asks [`ClientThrottle::admit`] once it has read the credentials and
//! before it looks the client up or runs argon2: a refused try is answered 429 `slow_down`
//! with `Retry-After` and costs nothing more. An admitted try is always finished
//! ([`Attempt::finish`]), also when the caller hangs up meanwhile: the check runs in a task of
//! its own, so dropping connections does not keep failures from being counted.
//!
//! What a throttle counts per and how many failures it allows is the service's choice;
//! integration-ws counts per client id and address, tightly, and per address, loosely, so that
//! failures from one place never lock a client service out everywhere.

use std::time::Duration;

use async_trait::async_trait;
use signstash_domain::AddressScope;

use crate::directory::DirectoryError;

/// Decides whether a client authentication may be tried now.
#[async_trait]
pub trait ClientThrottle: Send + Sync + 'static {
    /// Before the secret presented for `client_id` (as given, unchecked; it may name no client
    /// service) from `address` is checked.
    async fn admit(
        &self,
        client_id: &str,
        address: &AddressScope,
    ) -> Result<Admission, DirectoryError>;
}

/// The answer of [`ClientThrottle::admit`].
pub enum Admission {
    /// Check the secret, then finish the attempt with the outcome.
    Admitted(Box<dyn Attempt>),
    /// Too many failures (or tries under way): answer 429 with this `Retry-After` (whole
    /// seconds, at least one).
    Throttled { retry_after: Duration },
}

/// An admitted client authentication.
#[async_trait]
pub trait Attempt: Send + 'static {
    /// The try is over: `failed` when the credentials were wrong. A right secret is no
    /// failure, whatever the client service's status, nor is a try the server could not
    /// complete.
    async fn finish(self: Box<Self>, failed: bool) -> Result<(), DirectoryError>;
}
