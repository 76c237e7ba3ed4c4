//! One module per grant type; [`super::token`] dispatches on `grant_type`.

pub(crate) mod client_credentials;
