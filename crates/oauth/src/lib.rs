//! Sign'Stash OAuth2: the client-credentials token server of `api-v0.md` and the bearer
//! extractor of every business route.
//!
//! - [`secret`]: argon2id hashing and constant-work verification of client service secrets.
//! - [`keys`]: ES256/RS256 signing keys (PKCS#8 PEM in and out), the [`KeyRing`], the JWKS.
//! - [`token`]: issuing and verifying JWTs ([`TokenService`], [`Claims`], [`TokenRejection`]).
//! - [`server`]: the axum [`router`] (`POST /oauth/token`, its alias, `GET /oauth/jwks.json`)
//!   over an [`OAuthState`] with a [`ClientDirectory`] (the database seam).
//! - [`bearer`]: [`BearerClient`], the `Authorization: Bearer` extractor.
//! - [`throttle`]: [`ClientThrottle`], the seam to where failed client authentications are
//!   counted; a throttled try is answered 429 `slow_down` before any lookup or argon2 work.
//!
//! # Security limits
//! - A token is verified with the algorithm of the key its `kid` names; tokens without `kid`,
//!   with `alg: none`, HS* or an algorithm other than the key's are refused before any
//!   signature check. `exp` is checked with [`token::LEEWAY_SECONDS`] of leeway; `iss` must be
//!   ours; there is no audience.
//! - Tokens cannot be revoked before they expire (24 h): deactivating a client service stops
//!   new tokens, and the business routes check the client service's status on each request
//!   (api-v0.md: token → client service active → ...).
//! - Unknown aliases cost one argon2 verification like known ones; only a caller who proved
//!   the secret is told that a client service is inactive.
//! - Failed client authentications are limited by the [`ClientThrottle`] the service gives
//!   (none: unlimited). A try it admits is finished even when the caller hangs up, so dropped
//!   connections do not dodge the count. The address it counts per is the peer's
//!   (`ConnectInfo<SocketAddr>`, so serve with `into_make_service_with_connect_info`), or the
//!   last `X-Forwarded-For` entry when [`OAuthState::trust_forwarded_for`] is set.
//! - Private keys are only in memory and in [`SigningKey::to_pkcs8_pem`]'s [`secrecy::SecretString`];
//!   encrypting them at rest is the store's job.

pub mod bearer;
pub mod directory;
mod error;
pub mod keys;
pub mod secret;
pub mod server;
pub mod throttle;
pub mod token;

pub use bearer::BearerClient;
pub use directory::{ClientDirectory, ClientRecord, DirectoryError, InMemoryClientDirectory};
pub use error::Error;
pub use keys::{Algorithm, Jwk, Jwks, KeyRing, SigningKey};
pub use secret::{hash_secret, verify_client_secret, verify_secret};
pub use server::{router, unknown_endpoint, OAuthState, JWKS_PATH, TOKEN_ALIAS_PATH, TOKEN_PATH};
pub use throttle::{Admission, Attempt, ClientThrottle};
pub use token::{Claims, IssuedToken, TokenRejection, TokenService};
