//! Portal link tokens: 256 random bits, sent once in the e-mail, stored only as a hash.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// Random bytes in a token (256 bits).
pub const TOKEN_BYTES: usize = 32;
/// Length of a token in the link: URL-safe base64 of 32 bytes, without padding.
pub const TOKEN_CHARS: usize = 43;

/// The secret of a client-portal link `/d/{token}`.
///
/// It exists in clear only in the e-mail sent to the receiver and in the request the receiver
/// makes with it; the database keeps [`PortalToken::hash`]. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct PortalToken {
    encoded: String,
}

impl PortalToken {
    /// A fresh token from the operating system's random generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self {
            encoded: URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// Parses the path segment of a portal link. Only the canonical encoding of exactly
    /// 32 bytes is accepted, so one token has one spelling (and one hash).
    pub fn parse(text: &str) -> Result<Self, InvalidPortalToken> {
        if text.len() != TOKEN_CHARS {
            return Err(InvalidPortalToken);
        }
        // The default engine rejects non-zero trailing bits, i.e. non-canonical spellings.
        match URL_SAFE_NO_PAD.decode(text) {
            Ok(bytes) if bytes.len() == TOKEN_BYTES => Ok(Self {
                encoded: text.to_owned(),
            }),
            _ => Err(InvalidPortalToken),
        }
    }

    /// The token as it appears in the link. Handle with care: this is the secret.
    pub fn expose_secret(&self) -> &str {
        &self.encoded
    }

    /// SHA-256 of the token's link text, lower-case hex: the only form that is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.encoded.as_bytes())))
    }
}

impl fmt::Debug for PortalToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PortalToken(<redacted>)")
    }
}

/// The link text is not a valid portal token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid portal token")]
pub struct InvalidPortalToken;

/// The stored form of a [`PortalToken`]: 64 lower-case hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Rebuilds a hash read back from storage.
    pub fn from_hex(hex_text: &str) -> Result<Self, InvalidTokenHash> {
        let well_formed = hex_text.len() == 64
            && hex_text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if well_formed {
            Ok(Self(hex_text.to_owned()))
        } else {
            Err(InvalidTokenHash)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `token` hashes to this value, compared in constant time.
    pub fn verify(&self, token: &PortalToken) -> bool {
        constant_time_eq(self.0.as_bytes(), token.hash().0.as_bytes())
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored token hash is not 64 lower-case hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a portal token hash (64 lower-case hex characters)")]
pub struct InvalidTokenHash;

/// Compares two byte strings in time that depends only on their lengths.
///
/// Lengths are not secret here (hashes are always 64 characters). `black_box` keeps the
/// optimiser from turning the fold into an early exit.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_chars_and_distinct() {
        let a = PortalToken::generate();
        let b = PortalToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose_secret().len(), TOKEN_CHARS);
        assert!(a
            .expose_secret()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(PortalToken::parse(a.expose_secret()), Ok(a));
    }

    #[test]
    fn hash_is_sha256_hex_of_the_link_text() {
        let token =
            PortalToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("valid");
        // printf 'AAA…A' (43 × A) | sha256sum
        assert_eq!(
            token.hash().as_str(),
            "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a"
        );
        let hash = token.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert!(hash.verify(&token));
        assert!(!hash.verify(&PortalToken::generate()));
        assert_eq!(TokenHash::from_hex(hash.as_str()), Ok(hash.clone()));
        assert!(TokenHash::from_hex(&hash.as_str().to_uppercase()).is_err());
        assert!(!format!("{token:?}").contains("AAAAA"));
    }

    #[test]
    fn parse_rejects_wrong_lengths_alphabets_and_non_canonical_spellings() {
        assert!(PortalToken::parse("").is_err());
        assert!(PortalToken::parse(&"A".repeat(42)).is_err());
        assert!(PortalToken::parse(&"A".repeat(44)).is_err());
        assert!(PortalToken::parse(&format!("{}+", "A".repeat(42))).is_err());
        // 43 chars carry 258 bits: the last char's 2 spare bits must be zero ("B" sets one).
        assert!(PortalToken::parse(&format!("{}B", "A".repeat(42))).is_err());
        assert!(PortalToken::parse(&format!("{}E", "A".repeat(42))).is_ok());
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
