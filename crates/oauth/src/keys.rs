//! JWT signing keys, the key ring and the JWKS document.
//!
//! A key is generated here, handed to the store as a PKCS#8 PEM (the store encrypts it in
//! `oauth_signing_keys`) and read back with [`SigningKey::from_pkcs8_pem`]. The verifying half
//! of every key is built from its public JWK, the very document `/oauth/jwks.json` publishes,
//! so what we check is what offline verifiers (the on-premise proxy) check.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::Error;

/// The JWS algorithms a signing key may use. The algorithm belongs to the key: a token is only
/// ever verified with the algorithm of the key its `kid` names, never with the one its header
/// asks for (no `none`, no HS256-with-the-public-key confusion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256 (the default: short tokens, fast signing).
    #[default]
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, for verifiers that only know RSA.
    #[serde(rename = "RS256")]
    Rs256,
}

impl Algorithm {
    /// The JOSE name (`ES256`, `RS256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Rs256 => "RS256",
        }
    }

    /// Parses a JOSE name; anything but `ES256` and `RS256` is `None`.
    pub fn from_jose(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Algorithm::Es256),
            "RS256" => Some(Algorithm::Rs256),
            _ => None,
        }
    }

    pub(crate) fn to_jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Algorithm::Es256 => jsonwebtoken::Algorithm::ES256,
            Algorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A public key as a JWK (RFC 7517), with the members we publish in this order:
/// `kty`, `crv`, `x`, `y` (EC) or `n`, `e` (RSA), `kid`, `alg`, `use`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `EC` or `RSA`.
    pub kty: String,
    /// `P-256` for EC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, base64url, 32 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url, 32 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// The key id tokens name in their header.
    pub kid: String,
    /// `ES256` or `RS256`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// The JWKS document served at `/oauth/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// Active key first, then the keys that still verify.
    pub keys: Vec<Jwk>,
}

/// A private signing key with its `kid`, algorithm and public JWK.
///
/// `Debug` prints the kid and algorithm only; the private key is reachable only through
/// [`SigningKey::to_pkcs8_pem`], as a [`SecretString`].
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    private_pem: SecretString,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Jwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// RSA keys shorter than this are refused (NIST SP 800-131A).
const MIN_RSA_BITS: u32 = 2048;

impl SigningKey {
    /// A new P-256 key; its `kid` is its RFC 7638 JWK thumbprint.
    pub fn generate_es256() -> Result<Self, Error> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let key = PKey::from_ec_key(EcKey::generate(&group)?)?;
        Self::from_pkey(None, &key)
    }

    /// A new 2048-bit RSA key (e = 65537); its `kid` is its RFC 7638 JWK thumbprint.
    pub fn generate_rs256() -> Result<Self, Error> {
        let key = PKey::from_rsa(Rsa::generate(MIN_RSA_BITS)?)?;
        Self::from_pkey(None, &key)
    }

    /// Reads a private key stored with [`SigningKey::to_pkcs8_pem`] (any PEM private key OpenSSL
    /// reads is accepted: PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`). The
    /// algorithm follows from the key: P-256 → ES256, RSA ≥ 2048 bits → RS256.
    pub fn from_pkcs8_pem(kid: impl Into<String>, pem: &[u8]) -> Result<Self, Error> {
        let key = PKey::private_key_from_pem(pem)?;
        Self::from_pkey(Some(kid.into()), &key)
    }

    fn from_pkey(kid: Option<String>, key: &PKey<Private>) -> Result<Self, Error> {
        let (algorithm, mut jwk, encoding) = match key.id() {
            Id::EC => {
                let ec = key.ec_key()?;
                if ec.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
                    return Err(Error::UnsupportedKey("EC keys must be on P-256"));
                }
                let mut ctx = BigNumContext::new()?;
                let mut x = openssl::bn::BigNum::new()?;
                let mut y = openssl::bn::BigNum::new()?;
                ec.public_key()
                    .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)?;
                let jwk = Jwk {
                    kty: "EC".into(),
                    crv: Some("P-256".into()),
                    x: Some(URL_SAFE_NO_PAD.encode(x.to_vec_padded(32)?)),
                    y: Some(URL_SAFE_NO_PAD.encode(y.to_vec_padded(32)?)),
                    n: None,
                    e: None,
                    kid: String::new(),
                    alg: Algorithm::Es256.as_str().into(),
                    use_: "sig".into(),
                };
                // ring (under jsonwebtoken) wants PKCS#8 DER for ECDSA.
                let encoding = EncodingKey::from_ec_der(&key.private_key_to_pkcs8()?);
                (Algorithm::Es256, jwk, encoding)
            }
            Id::RSA => {
                let rsa = key.rsa()?;
                if rsa.n().num_bits() < MIN_RSA_BITS as i32 {
                    return Err(Error::UnsupportedKey(
                        "RSA keys must have at least 2048 bits",
                    ));
                }
                let jwk = Jwk {
                    kty: "RSA".into(),
                    crv: None,
                    x: None,
                    y: None,
                    n: Some(URL_SAFE_NO_PAD.encode(rsa.n().to_vec())),
                    e: Some(URL_SAFE_NO_PAD.encode(rsa.e().to_vec())),
                    kid: String::new(),
                    alg: Algorithm::Rs256.as_str().into(),
                    use_: "sig".into(),
                };
                // ring wants PKCS#1 DER for RSA.
                let encoding = EncodingKey::from_rsa_der(&rsa.private_key_to_der()?);
                (Algorithm::Rs256, jwk, encoding)
            }
            _ => {
                return Err(Error::UnsupportedKey(
                    "only P-256 EC and RSA keys sign tokens",
                ))
            }
        };
        jwk.kid = match kid {
            Some(kid) => kid,
            None => thumbprint(&jwk),
        };
        let decoding = decoding_key(&jwk)?;
        let pem = String::from_utf8(key.private_key_to_pem_pkcs8()?)
            .map_err(|_| Error::UnsupportedKey("OpenSSL wrote a PEM that is not UTF-8"))?;
        Ok(SigningKey {
            kid: jwk.kid.clone(),
            algorithm,
            private_pem: SecretString::from(pem),
            encoding,
            decoding,
            jwk,
        })
    }

    /// The key id written in the header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key signs and verifies with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public key as published in the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key (the default `kid`).
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.jwk)
    }

    /// The private key as an unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), for the
    /// store to encrypt. Its bytes are `to_pkcs8_pem().expose_secret().as_bytes()`.
    pub fn to_pkcs8_pem(&self) -> SecretString {
        SecretString::from(self.private_pem.expose_secret())
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

fn decoding_key(jwk: &Jwk) -> Result<DecodingKey, Error> {
    let missing = || Error::UnsupportedKey("incomplete public JWK");
    Ok(match jwk.kty.as_str() {
        "EC" => DecodingKey::from_ec_components(
            jwk.x.as_deref().ok_or_else(missing)?,
            jwk.y.as_deref().ok_or_else(missing)?,
        )?,
        _ => DecodingKey::from_rsa_components(
            jwk.n.as_deref().ok_or_else(missing)?,
            jwk.e.as_deref().ok_or_else(missing)?,
        )?,
    })
}

/// RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
fn thumbprint(jwk: &Jwk) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let canonical = match jwk.kty.as_str() {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            opt(&jwk.crv),
            opt(&jwk.x),
            opt(&jwk.y)
        ),
        _ => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            opt(&jwk.e),
            opt(&jwk.n)
        ),
    };
    URL_SAFE_NO_PAD.encode(openssl::sha::sha256(canonical.as_bytes()))
}

/// The keys of the token server: one active key that signs new tokens, and every key that
/// still verifies (the active one included), looked up by `kid`. Rotation = build a new ring
/// with the new key active and the old one among the verifying keys until its last token
/// expired (24 h). Cheap to clone.
#[derive(Clone, Debug)]
pub struct KeyRing(Arc<KeyRingInner>);

#[derive(Debug)]
struct KeyRingInner {
    active: String,
    keys: HashMap<String, SigningKey>,
    /// JWKS order: active first, then the others as given.
    order: Vec<String>,
}

impl KeyRing {
    /// A ring whose only key is `active`.
    pub fn new(active: SigningKey) -> Self {
        let kid = active.kid.clone();
        KeyRing(Arc::new(KeyRingInner {
            active: kid.clone(),
            order: vec![kid.clone()],
            keys: HashMap::from([(kid, active)]),
        }))
    }

    /// A ring that signs with `active` and also verifies tokens signed by `retired`
    /// (keys being rotated out). Two keys with one `kid` are an error.
    pub fn with_retired(
        active: SigningKey,
        retired: impl IntoIterator<Item = SigningKey>,
    ) -> Result<Self, Error> {
        let mut inner = KeyRingInner {
            active: active.kid.clone(),
            order: vec![active.kid.clone()],
            keys: HashMap::from([(active.kid.clone(), active)]),
        };
        for key in retired {
            if inner.keys.contains_key(&key.kid) {
                return Err(Error::DuplicateKid(key.kid));
            }
            inner.order.push(key.kid.clone());
            inner.keys.insert(key.kid.clone(), key);
        }
        Ok(KeyRing(Arc::new(inner)))
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        // The constructors always insert the active key.
        &self.0.keys[&self.0.active]
    }

    /// The verifying key named `kid`, if the ring holds it.
    pub fn get(&self, kid: &str) -> Option<&SigningKey> {
        self.0.keys.get(kid)
    }

    /// The public keys, active first.
    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self
                .0
                .order
                .iter()
                .map(|kid| self.0.keys[kid].jwk.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn es256_pem_round_trip_keeps_the_public_key() {
        let key = SigningKey::generate_es256().expect("generate");
        assert_eq!(key.algorithm(), Algorithm::Es256);
        assert_eq!(key.kid(), key.thumbprint());
        let pem = key.to_pkcs8_pem();
        assert!(pem
            .expose_secret()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = SigningKey::from_pkcs8_pem("k1", pem.expose_secret().as_bytes()).expect("read");
        assert_eq!(back.kid(), "k1");
        assert_eq!(back.algorithm(), Algorithm::Es256);
        assert_eq!(back.public_jwk().x, key.public_jwk().x);
        assert_eq!(back.public_jwk().y, key.public_jwk().y);
        assert_eq!(back.thumbprint(), key.thumbprint());
    }

    #[test]
    fn rs256_pem_round_trip() {
        let key = SigningKey::generate_rs256().expect("generate");
        assert_eq!(key.algorithm(), Algorithm::Rs256);
        let jwk = key.public_jwk();
        assert_eq!(jwk.kty, "RSA");
        assert_eq!(jwk.e.as_deref(), Some("AQAB"));
        let back =
            SigningKey::from_pkcs8_pem(key.kid(), key.to_pkcs8_pem().expose_secret().as_bytes())
                .expect("read");
        assert_eq!(back.public_jwk(), jwk);
    }

    #[test]
    fn debug_never_prints_the_private_key() {
        let key = SigningKey::generate_es256().expect("generate");
        let debug = format!("{key:?} {:?}", KeyRing::new(key.clone()));
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
        let pem = key.to_pkcs8_pem();
        let body: String = pem
            .expose_secret()
            .lines()
            .nth(1)
            .unwrap_or_default()
            .into();
        assert!(!debug.contains(&body), "{debug}");
        assert!(!format!("{pem:?}").contains("PRIVATE"));
    }

    #[test]
    fn refuses_other_curves_and_small_rsa() {
        let group = EcGroup::from_curve_name(Nid::SECP384R1).expect("group");
        let p384 = PKey::from_ec_key(EcKey::generate(&group).expect("gen")).expect("pkey");
        let pem = p384.private_key_to_pem_pkcs8().expect("pem");
        assert!(matches!(
            SigningKey::from_pkcs8_pem("x", &pem),
            Err(Error::UnsupportedKey(_))
        ));
        let small = PKey::from_rsa(Rsa::generate(1024).expect("gen")).expect("pkey");
        let pem = small.private_key_to_pem_pkcs8().expect("pem");
        assert!(matches!(
            SigningKey::from_pkcs8_pem("x", &pem),
            Err(Error::UnsupportedKey(_))
        ));
        assert!(matches!(
            SigningKey::from_pkcs8_pem("x", b"not a pem"),
            Err(Error::Crypto(_))
        ));
    }

    #[test]
    fn jwks_lists_the_active_key_first_and_finds_by_kid() {
        let active = SigningKey::generate_es256().expect("generate");
        let old = SigningKey::generate_rs256().expect("generate");
        let ring = KeyRing::with_retired(active.clone(), [old.clone()]).expect("ring");
        assert_eq!(ring.active().kid(), active.kid());
        assert!(ring.get(old.kid()).is_some());
        assert!(ring.get("nope").is_none());
        let jwks = serde_json::to_value(ring.jwks()).expect("json");
        assert_eq!(jwks["keys"][0]["kid"], active.kid());
        assert_eq!(jwks["keys"][0]["kty"], "EC");
        assert_eq!(jwks["keys"][0]["crv"], "P-256");
        assert_eq!(jwks["keys"][0]["alg"], "ES256");
        assert_eq!(jwks["keys"][0]["use"], "sig");
        assert!(jwks["keys"][0].get("n").is_none());
        assert_eq!(jwks["keys"][1]["kty"], "RSA");
        let keys: Vec<String> = jwks["keys"][0]
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys.len(), 7);
        assert!(matches!(
            KeyRing::with_retired(active.clone(), [active]),
            Err(Error::DuplicateKid(_))
        ));
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1 example key and its thumbprint.
        let jwk = Jwk {
            kty: "RSA".into(),
            crv: None,
            x: None,
            y: None,
            n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into()),
            e: Some("AQAB".into()),
            kid: String::new(),
            alg: "RS256".into(),
            use_: "sig".into(),
        };
        assert_eq!(
            thumbprint(&jwk),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
