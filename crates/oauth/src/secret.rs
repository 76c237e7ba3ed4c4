//! Client service secrets: argon2id PHC strings.
//!
//! Verification of an alias that does not exist still runs argon2 once, against
//! [`DUMMY_HASH`], so the token endpoint takes as long for an unknown alias as for a wrong
//! secret and its timing does not tell which aliases exist.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;

use crate::Error;

/// An argon2id PHC string with [`hash_secret`]'s parameters (argon2 0.5 defaults: m=19456 KiB,
/// t=2, p=1) whose output is 32 random bytes, so no known secret matches it. A test checks its parameters stay equal to the
/// ones new hashes get, or unknown aliases would become faster (or slower) than known ones.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2lnbnN0YXNoLWR1bW15LXNhbHQ$Rv3hDD8/pu3ENf8nSJsjhZxHLuZQCeC5pf/JhwGKMZU";

/// Hashes a client service secret into an argon2id PHC string (`$argon2id$v=19$...`) with a
/// fresh random salt.
pub fn hash_secret(secret: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Hash(e.to_string()))
}

/// Whether `secret` matches the PHC string `phc`. A PHC string that does not parse never
/// matches (and returns at once: stored hashes are ours, so that is a data error, not a probe).
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies `secret` against the stored hash of a client service, or, when there is none
/// (unknown alias), spends the same argon2 time on [`DUMMY_HASH`] and answers `false`.
pub fn verify_client_secret(secret: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(phc) => verify_secret(secret, phc),
        None => {
            // The result is meaningless; only the time spent matters.
            let _ = verify_secret(secret, DUMMY_HASH);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash_secret("demo-secret").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify_secret("demo-secret", &phc));
        assert!(!verify_secret("demo-secret ", &phc));
        assert!(!verify_secret("", &phc));
        assert!(!verify_secret("demo-secret", "not a phc string"));
        // Two hashes of one secret differ (random salt) and both verify.
        let other = hash_secret("demo-secret").expect("hash");
        assert_ne!(phc, other);
        assert!(verify_secret("demo-secret", &other));
    }

    #[test]
    fn dummy_hash_has_the_parameters_of_new_hashes() {
        let fresh = hash_secret("x").expect("hash");
        let fresh = PasswordHash::new(&fresh).expect("parse");
        let dummy = PasswordHash::new(DUMMY_HASH).expect("the dummy hash parses");
        assert_eq!(dummy.algorithm, fresh.algorithm);
        assert_eq!(dummy.version, fresh.version);
        assert_eq!(dummy.params, fresh.params);
        assert_eq!(
            dummy.hash.map(|h| h.len()),
            fresh.hash.map(|h| h.len()),
            "output length"
        );
        assert!(!verify_client_secret("anything", None));
        assert!(!verify_secret("", DUMMY_HASH));
    }
}
