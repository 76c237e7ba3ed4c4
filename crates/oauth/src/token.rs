//! Issuing and verifying access tokens.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::keys::{Algorithm, KeyRing};
use crate::Error;

/// Seconds a token lives (`expires_in` of the contract: one day less one second).
pub const TOKEN_LIFETIME_SECONDS: i64 = 86_399;

/// The only scope there is: every token may read and write its own client service's data.
pub const GRANTED_SCOPE: &str = "read write";

/// Clock skew tolerated when checking `exp`, in seconds.
pub const LEEWAY_SECONDS: u64 = 5;

/// Tokens longer than this are refused before any parsing (ours are ~500 bytes for ES256).
const MAX_TOKEN_LENGTH: usize = 8 * 1024;

/// The claims of a Sign'Stash access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer (configured per deployment, the token server's base URL).
    pub iss: String,
    /// The client service alias.
    pub sub: String,
    /// The client service alias again, under the name OAuth clients look for.
    pub client_id: String,
    /// The numeric client service id: what every query filters on.
    pub csid: i64,
    /// Always [`GRANTED_SCOPE`].
    pub scope: String,
    /// Unique token id.
    pub jti: Uuid,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, `iat` + [`TOKEN_LIFETIME_SECONDS`].
    pub exp: i64,
}

/// A freshly signed token and what it says.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub access_token: String,
    /// Its claims.
    pub claims: Claims,
}

/// Why a bearer token was refused. The bearer extractor's rejection; services map it to their
/// own error body (integration API: 401 `0.0.10`). The default response is RFC 6750's 401
/// `invalid_token` (see [`crate::bearer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenRejection {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    MalformedHeader,
    /// Not a compact JWS, or a header or claims that do not parse.
    Malformed,
    /// `alg` is not ES256 or RS256 (`none`, HS256, ...).
    UnsupportedAlgorithm,
    /// `alg` is not the algorithm of the key named by `kid`.
    AlgorithmMismatch,
    /// No `kid`, or a `kid` that is not in the key ring.
    UnknownKey,
    /// The signature does not verify with the named key.
    BadSignature,
    /// `exp` has passed (beyond [`LEEWAY_SECONDS`]).
    Expired,
    /// `iss` is not this token server.
    WrongIssuer,
    /// A required claim is missing or wrong (`sub` ≠ `client_id`, no `csid`, ...).
    InvalidClaims,
}

impl TokenRejection {
    /// A short English description, safe to return to the caller.
    pub fn description(self) -> &'static str {
        match self {
            TokenRejection::Missing => "missing bearer token",
            TokenRejection::MalformedHeader => "the Authorization header is not 'Bearer <token>'",
            TokenRejection::Malformed => "malformed token",
            TokenRejection::UnsupportedAlgorithm => "unsupported token algorithm",
            TokenRejection::AlgorithmMismatch => "token algorithm does not match its key",
            TokenRejection::UnknownKey => "token signed by an unknown key",
            TokenRejection::BadSignature => "invalid token signature",
            TokenRejection::Expired => "token expired",
            TokenRejection::WrongIssuer => "token of another issuer",
            TokenRejection::InvalidClaims => "invalid token claims",
        }
    }
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for TokenRejection {}

/// Issues and verifies access tokens with a [`KeyRing`] under one issuer name. Cheap to clone;
/// services expose it to the bearer extractor through `FromRef`.
#[derive(Clone, Debug)]
pub struct TokenService(Arc<TokenServiceInner>);

#[derive(Debug)]
struct TokenServiceInner {
    keys: KeyRing,
    issuer: String,
    verified: VerifiedTokens,
}

/// Tokens already verified, by SHA-256 of the whole compact token, with their claims. An
/// integrator sends the same token with every request for a day; checking its signature again
/// each time (an ECDSA or RSA verification) is the largest cost of authentication. A hit is
/// only a byte-identical token (the digest is of all three parts) that has not expired; the
/// key ring never changes under a `TokenService`, so nothing verified can become invalid
/// other than by time.
#[derive(Debug, Default)]
struct VerifiedTokens(std::sync::Mutex<std::collections::HashMap<[u8; 32], Claims>>);

/// Most tokens remembered; past that, expired ones are dropped, then all.
const VERIFIED_TOKENS: usize = 4096;

impl VerifiedTokens {
    fn get(&self, digest: &[u8; 32], now: i64) -> Option<Claims> {
        let map = self.0.lock().ok()?;
        map.get(digest)
            .filter(|c| now <= c.exp.saturating_add(LEEWAY_SECONDS as i64))
            .cloned()
    }

    fn insert(&self, digest: [u8; 32], claims: &Claims, now: i64) {
        let Ok(mut map) = self.0.lock() else { return };
        if map.len() >= VERIFIED_TOKENS {
            map.retain(|_, c| now <= c.exp.saturating_add(LEEWAY_SECONDS as i64));
            if map.len() >= VERIFIED_TOKENS {
                map.clear();
            }
        }
        map.insert(digest, claims.clone());
    }
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

impl TokenService {
    /// `issuer` goes into `iss` and is required on verification.
    pub fn new(keys: KeyRing, issuer: impl Into<String>) -> Self {
        TokenService(Arc::new(TokenServiceInner {
            keys,
            issuer: issuer.into(),
            verified: VerifiedTokens::default(),
        }))
    }

    /// The key ring (for the JWKS).
    pub fn keys(&self) -> &KeyRing {
        &self.0.keys
    }

    /// The issuer name.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// A token for client service `csid` with alias `alias`, issued now.
    pub fn issue(&self, csid: i64, alias: &str) -> Result<IssuedToken, Error> {
        self.issue_at(csid, alias, OffsetDateTime::now_utc())
    }

    /// A token issued at `iat` (tests use a past instant to make expired tokens).
    pub fn issue_at(
        &self,
        csid: i64,
        alias: &str,
        iat: OffsetDateTime,
    ) -> Result<IssuedToken, Error> {
        let key = self.0.keys.active();
        let iat = iat.unix_timestamp();
        let claims = Claims {
            iss: self.0.issuer.clone(),
            sub: alias.to_owned(),
            client_id: alias.to_owned(),
            csid,
            scope: GRANTED_SCOPE.to_owned(),
            jti: Uuid::new_v4(),
            iat,
            exp: iat + TOKEN_LIFETIME_SECONDS,
        };
        let mut header = Header::new(key.algorithm().to_jwt());
        header.kid = Some(key.kid().to_owned());
        let access_token = jsonwebtoken::encode(&header, &claims, key.encoding_key())?;
        Ok(IssuedToken {
            access_token,
            claims,
        })
    }

    /// Verifies a compact JWS: the key is the one its `kid` names in the ring, the algorithm
    /// is that key's (whatever else the header says is refused), then signature, `exp` (with
    /// [`LEEWAY_SECONDS`]), `iss` and the claims' shape. A token verified before and not
    /// expired since is recognised by its digest without a second signature check.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenRejection> {
        if token.len() > MAX_TOKEN_LENGTH {
            return Err(TokenRejection::Malformed);
        }
        let digest = openssl::sha::sha256(token.as_bytes());
        let now = OffsetDateTime::now_utc().unix_timestamp();
        if let Some(claims) = self.0.verified.get(&digest, now) {
            return Ok(claims);
        }
        let claims = self.verify_signed(token)?;
        self.0.verified.insert(digest, &claims, now);
        Ok(claims)
    }

    fn verify_signed(&self, token: &str) -> Result<Claims, TokenRejection> {
        let header = parse_header(token)?;
        if header.crit.is_some() {
            // RFC 7515 §4.1.11: we understand no extension, so any `crit` is fatal.
            return Err(TokenRejection::Malformed);
        }
        let alg = Algorithm::from_jose(&header.alg).ok_or(TokenRejection::UnsupportedAlgorithm)?;
        let kid = header.kid.ok_or(TokenRejection::UnknownKey)?;
        let key = self.0.keys.get(&kid).ok_or(TokenRejection::UnknownKey)?;
        if key.algorithm() != alg {
            return Err(TokenRejection::AlgorithmMismatch);
        }

        let mut validation = Validation::new(key.algorithm().to_jwt());
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_aud = false;
        validation.set_issuer(&[&self.0.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, key.decoding_key(), &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::Crypto(_) => TokenRejection::BadSignature,
                ErrorKind::ExpiredSignature => TokenRejection::Expired,
                ErrorKind::InvalidIssuer => TokenRejection::WrongIssuer,
                ErrorKind::InvalidAlgorithm => TokenRejection::AlgorithmMismatch,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => {
                    TokenRejection::InvalidClaims
                }
                _ => TokenRejection::Malformed,
            })?
            .claims;
        if claims.sub != claims.client_id || claims.scope != GRANTED_SCOPE {
            return Err(TokenRejection::InvalidClaims);
        }
        Ok(claims)
    }
}

/// Reads the JOSE header ourselves so that `alg` values jsonwebtoken has no name for (`none`)
/// give [`TokenRejection::UnsupportedAlgorithm`] rather than a parse error.
fn parse_header(token: &str) -> Result<JoseHeader, TokenRejection> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenRejection::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| TokenRejection::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenRejection::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;
    use jsonwebtoken::EncodingKey;
    use secrecy::ExposeSecret;
    use time::Duration;

    fn service() -> TokenService {
        let key = SigningKey::generate_es256().expect("key");
        TokenService::new(KeyRing::new(key), "https://signstash.test")
    }

    fn b64(json: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).expect("json"))
    }

    fn claims_json(svc: &TokenService) -> serde_json::Value {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        serde_json::json!({
            "iss": svc.issuer(), "sub": "demo", "client_id": "demo", "csid": 7,
            "scope": "read write", "jti": Uuid::new_v4(), "iat": now, "exp": now + 3600
        })
    }

    #[test]
    fn issue_then_verify_yields_the_claims() {
        let svc = service();
        let issued = svc.issue(7, "demo").expect("issue");
        let header = jsonwebtoken::decode_header(&issued.access_token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(svc.keys().active().kid()));
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        let claims = svc.verify(&issued.access_token).expect("verify");
        assert_eq!(claims, issued.claims);
        assert_eq!(claims.sub, "demo");
        assert_eq!(claims.client_id, "demo");
        assert_eq!(claims.csid, 7);
        assert_eq!(claims.scope, "read write");
        assert_eq!(claims.exp - claims.iat, 86_399);
        assert_eq!(claims.iss, "https://signstash.test");
    }

    #[test]
    fn rs256_ring_issues_and_verifies() {
        let key = SigningKey::generate_rs256().expect("key");
        let svc = TokenService::new(KeyRing::new(key), "iss");
        let issued = svc.issue(1, "demo").expect("issue");
        assert_eq!(svc.verify(&issued.access_token).expect("verify").csid, 1);
    }

    #[test]
    fn expired_token_is_rejected_but_leeway_holds() {
        let svc = service();
        let past = OffsetDateTime::now_utc() - Duration::seconds(TOKEN_LIFETIME_SECONDS + 60);
        let expired = svc.issue_at(7, "demo", past).expect("issue");
        assert_eq!(
            svc.verify(&expired.access_token),
            Err(TokenRejection::Expired)
        );
        // Expired two seconds ago: inside the leeway.
        let just = OffsetDateTime::now_utc() - Duration::seconds(TOKEN_LIFETIME_SECONDS + 2);
        let just = svc.issue_at(7, "demo", just).expect("issue");
        assert!(svc.verify(&just.access_token).is_ok());
    }

    #[test]
    fn flipped_signature_byte_is_rejected() {
        let svc = service();
        let token = svc.issue(7, "demo").expect("issue").access_token;
        // Verified (and remembered) first: a forgery must not pass as the remembered token.
        assert_eq!(svc.verify(&token).expect("verify").csid, 7);
        let (head, sig) = token.rsplit_once('.').expect("three parts");
        let mut sig = URL_SAFE_NO_PAD.decode(sig).expect("b64");
        sig[10] ^= 0x01;
        let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig));
        assert_eq!(svc.verify(&forged), Err(TokenRejection::BadSignature));
        // A changed claim under the original signature.
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut claims = claims_json(&svc);
        claims["csid"] = 8.into();
        let body = b64(&claims);
        parts[1] = &body;
        assert_eq!(
            svc.verify(&parts.join(".")),
            Err(TokenRejection::BadSignature)
        );
        // The original still verifies, from memory as before.
        assert_eq!(svc.verify(&token).expect("verify").csid, 7);
    }

    #[test]
    fn remembered_tokens_are_bounded_and_expire() {
        let svc = service();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = svc.issue(7, "demo").expect("issue").claims;
        let cache = &svc.0.verified;
        cache.insert([1; 32], &claims, now);
        assert_eq!(cache.get(&[1; 32], now).map(|c| c.csid), Some(7));
        assert!(cache.get(&[2; 32], now).is_none());
        // Past exp + leeway a remembered token is not taken from memory.
        let after = claims.exp + LEEWAY_SECONDS as i64 + 1;
        assert!(cache.get(&[1; 32], after).is_none());
        // Full: expired ones go first.
        claims.exp = now - 60;
        for i in 0..VERIFIED_TOKENS {
            let mut digest = [0; 32];
            digest[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cache.insert(digest, &claims, now);
        }
        // Reaching the bound dropped the 4,095 expired ones and kept the valid one.
        assert_eq!(cache.0.lock().expect("lock").len(), 2);
        assert_eq!(cache.get(&[1; 32], now).map(|c| c.csid), Some(7));
    }

    #[test]
    fn token_of_another_key_ring_is_rejected() {
        let ours = service();
        let theirs = service();
        let token = theirs.issue(7, "demo").expect("issue").access_token;
        assert_eq!(ours.verify(&token), Err(TokenRejection::UnknownKey));
        // Same kid as ours but signed by their key: the signature check catches it.
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(ours.keys().active().kid().to_owned());
        let token = jsonwebtoken::encode(
            &header,
            &claims_json(&ours),
            theirs.keys().active().encoding_key(),
        )
        .expect("encode");
        assert_eq!(ours.verify(&token), Err(TokenRejection::BadSignature));
    }

    #[test]
    fn alg_none_is_rejected() {
        let svc = service();
        let kid = svc.keys().active().kid().to_owned();
        for alg in ["none", "None", "NONE"] {
            let header = b64(&serde_json::json!({"alg": alg, "typ": "JWT", "kid": kid}));
            let body = b64(&claims_json(&svc));
            for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
                let got = svc.verify(&token);
                assert!(
                    matches!(
                        got,
                        Err(TokenRejection::UnsupportedAlgorithm | TokenRejection::Malformed)
                    ),
                    "{alg}: {got:?}"
                );
            }
        }
        let header = b64(&serde_json::json!({"alg": "none", "kid": kid}));
        let body = b64(&claims_json(&svc));
        assert_eq!(
            svc.verify(&format!("{header}.{body}.")),
            Err(TokenRejection::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn hs256_with_the_public_key_as_secret_is_rejected() {
        for key in [
            SigningKey::generate_es256().expect("key"),
            SigningKey::generate_rs256().expect("key"),
        ] {
            let svc = TokenService::new(KeyRing::new(key.clone()), "https://signstash.test");
            // Every form of the public key an attacker could use as the HMAC secret.
            let pkey = openssl::pkey::PKey::private_key_from_pem(
                key.to_pkcs8_pem().expose_secret().as_bytes(),
            )
            .expect("pem");
            let public_pem = pkey.public_key_to_pem().expect("public pem");
            let jwk_json = serde_json::to_vec(key.public_jwk()).expect("jwk");
            for secret in [public_pem, jwk_json] {
                let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
                header.kid = Some(key.kid().to_owned());
                let token = jsonwebtoken::encode(
                    &header,
                    &claims_json(&svc),
                    &EncodingKey::from_secret(&secret),
                )
                .expect("encode");
                assert_eq!(
                    svc.verify(&token),
                    Err(TokenRejection::UnsupportedAlgorithm)
                );
            }
        }
    }

    #[test]
    fn algorithm_must_be_the_keys() {
        // An RS256 token whose kid names our ES256 key.
        let es = service();
        let rsa = SigningKey::generate_rs256().expect("key");
        let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(es.keys().active().kid().to_owned());
        let token =
            jsonwebtoken::encode(&header, &claims_json(&es), rsa.encoding_key()).expect("encode");
        assert_eq!(es.verify(&token), Err(TokenRejection::AlgorithmMismatch));
    }

    #[test]
    fn unknown_or_missing_kid_is_rejected() {
        let svc = service();
        let key = svc.keys().active();
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("some-other-kid".into());
        let token =
            jsonwebtoken::encode(&header, &claims_json(&svc), key.encoding_key()).expect("encode");
        assert_eq!(svc.verify(&token), Err(TokenRejection::UnknownKey));
        header.kid = None;
        let token =
            jsonwebtoken::encode(&header, &claims_json(&svc), key.encoding_key()).expect("encode");
        assert_eq!(svc.verify(&token), Err(TokenRejection::UnknownKey));
    }

    #[test]
    fn wrong_issuer_and_bad_claims_are_rejected() {
        let svc = service();
        let key = svc.keys().active();
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(key.kid().to_owned());
        let sign = |claims: &serde_json::Value| {
            jsonwebtoken::encode(&header, claims, key.encoding_key()).expect("encode")
        };
        let mut claims = claims_json(&svc);
        claims["iss"] = "https://elsewhere".into();
        assert_eq!(svc.verify(&sign(&claims)), Err(TokenRejection::WrongIssuer));
        let mut claims = claims_json(&svc);
        claims["client_id"] = "demo2".into();
        assert_eq!(
            svc.verify(&sign(&claims)),
            Err(TokenRejection::InvalidClaims)
        );
        let mut claims = claims_json(&svc);
        claims.as_object_mut().expect("object").remove("csid");
        assert_eq!(
            svc.verify(&sign(&claims)),
            Err(TokenRejection::InvalidClaims)
        );
        let mut claims = claims_json(&svc);
        claims.as_object_mut().expect("object").remove("exp");
        assert_eq!(
            svc.verify(&sign(&claims)),
            Err(TokenRejection::InvalidClaims)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let svc = service();
        for token in [
            "",
            "a",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            "....",
            &"x".repeat(10_000),
        ] {
            assert_eq!(
                svc.verify(token),
                Err(TokenRejection::Malformed),
                "{token:?}"
            );
        }
        let crit = b64(&serde_json::json!({"alg": "ES256", "kid": "k", "crit": ["exp"]}));
        assert_eq!(
            svc.verify(&format!("{crit}.e30.AAAA")),
            Err(TokenRejection::Malformed)
        );
    }
}
