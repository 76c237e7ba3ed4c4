//! E-mail delivery for Sign'Stash: tell a receiver that signed documents are waiting in the
//! client portal.
//!
//! - [`PortalToken`]: the 256-bit secret of a portal link `/d/{token}`; only
//!   [`PortalToken::hash`] is ever stored.
//! - [`MailComposer::documents_available`]: the e-mail (plain text + HTML, pt_PT or en, the
//!   signed files attached on request), from the askama system templates or a client service's
//!   [`CustomTemplate`], in the client service's [`Brand`] (the colours and logo of its portal
//!   template).
//! - [`MailTransport`]: [`SmtpTransport`] (lettre; [`SmtpTransport::own`] for a client
//!   service's own server, [`OwnServer`]) or [`EmlDirTransport`] (`.eml` files, the
//!   development default). Failures are [`DeliveryError::Transient`] or
//!   [`DeliveryError::Permanent`].
//!
//! This crate holds no database code and no retry policy: the outbox worker (integration-ws)
//! stores deliveries, decides on retries with `signstash_store::deliveries::RetryPolicy` and
//! calls these pieces. Because only the hash of a token is stored, a retry cannot rebuild the
//! same link from the database: either compose each attempt with a fresh token (replacing the
//! stored hash), or keep the composed message ([`Mail::formatted`]) with the delivery.
//!
//! Security limits: header values built from data (subject, addresses, display names,
//! attachment names) refuse every control character, so no header can be injected; every value
//! placed in HTML is escaped, and brand colours are hex values checked by [`HexColor`]. A
//! mail's `Debug` hides its bodies, which carry the token.

mod brand;
mod compose;
mod custom;
mod error;
mod token;
mod transport;

pub use brand::{Brand, Colors, HexColor, Logo, MAX_LOGO_BYTES};
pub use compose::{
    split_mailbox, Attachment, DocumentsAvailable, Language, Mail, MailComposer, Sender,
};
pub use custom::{escape_html, CustomTemplate, MAX_TEMPLATE_BYTES};
pub use error::{DeliveryError, MailError};
pub use token::{
    constant_time_eq, InvalidPortalToken, InvalidTokenHash, PortalToken, TokenHash, TOKEN_BYTES,
    TOKEN_CHARS,
};
pub use transport::{EmlDirTransport, MailTransport, OwnServer, SmtpTimeouts, SmtpTransport};
