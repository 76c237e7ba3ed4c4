//! A development PKI: a CA, signing certificates of every supported key type, and a timestamp
//! authority certificate, with the extensions validators expect (nonRepudiation for pyHanko,
//! a critical timeStamping EKU for RFC 3161). For development and tests only.

use std::path::Path;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

use crate::Result;

/// The key types Sign'Stash signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Rsa(u32),
    P256,
    P384,
}

impl KeyType {
    pub fn generate(self) -> Result<PKey<Private>> {
        Ok(match self {
            KeyType::Rsa(bits) => PKey::from_rsa(Rsa::generate(bits)?)?,
            KeyType::P256 | KeyType::P384 => {
                let nid = if self == KeyType::P256 {
                    Nid::X9_62_PRIME256V1
                } else {
                    Nid::SECP384R1
                };
                let group = EcGroup::from_curve_name(nid)?;
                PKey::from_ec_key(EcKey::generate(&group)?)?
            }
        })
    }
}

/// What a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Ca,
    Signer,
    TimestampAuthority,
}

/// A certificate and its key.
pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("subject", &self.cert.subject_name())
            .finish_non_exhaustive()
    }
}

impl Issued {
    pub fn cert_pem(&self) -> Result<Vec<u8>> {
        Ok(self.cert.to_pem()?)
    }

    /// The private key as unencrypted PKCS#8 PEM.
    pub fn key_pem(&self) -> Result<Vec<u8>> {
        Ok(self.key.private_key_to_pem_pkcs8()?)
    }

    pub fn pkcs12(&self, password: &str, ca: &X509) -> Result<Vec<u8>> {
        let mut stack = openssl::stack::Stack::new()?;
        stack.push(ca.clone())?;
        let p12 = openssl::pkcs12::Pkcs12::builder()
            .name("signer")
            .pkey(&self.key)
            .cert(&self.cert)
            .ca(stack)
            .build2(password)?;
        Ok(p12.to_der()?)
    }
}

fn serial() -> Result<Asn1Integer> {
    let mut bn = BigNum::new()?;
    bn.rand(127, openssl::bn::MsbOption::MAYBE_ZERO, false)?;
    Ok(bn.to_asn1_integer()?)
}

/// Issues a certificate for `cn`; `issuer` `None` makes a self-signed one.
pub fn issue(
    cn: &str,
    key_type: KeyType,
    profile: Profile,
    issuer: Option<&Issued>,
) -> Result<Issued> {
    let key = key_type.generate()?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COUNTRYNAME, "PT")?;
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Sign'Stash Development")?;
    name.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    let name = name.build();
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial = serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(issuer.map(|i| i.cert.subject_name()).unwrap_or(&name))?;
    b.set_pubkey(&key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(if profile == Profile::Ca { 3650 } else { 825 })?;
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    match profile {
        Profile::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()?,
            )?;
        }
        Profile::Signer => {
            b.append_extension(BasicConstraints::new().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .non_repudiation()
                    .build()?,
            )?;
        }
        Profile::TimestampAuthority => {
            b.append_extension(BasicConstraints::new().build()?)?;
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .non_repudiation()
                    .build()?,
            )?;
            b.append_extension(ExtendedKeyUsage::new().critical().time_stamping().build()?)?;
        }
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None))?;
    b.append_extension(ski)?;
    if issuer.is_some() {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None))?;
        b.append_extension(aki)?;
    }
    let digest = match key_type {
        KeyType::P384 => MessageDigest::sha384(),
        _ => MessageDigest::sha256(),
    };
    b.sign(issuer.map(|i| &i.key).unwrap_or(&key), digest)?;
    Ok(Issued {
        cert: b.build(),
        key,
    })
}

/// A development CA with a signer and a timestamp authority.
pub struct DevPki {
    pub ca: Issued,
    pub signer: Issued,
    pub tsa: Issued,
}

/// The password of the development PKCS#12 file.
pub const DEV_P12_PASSWORD: &str = "changeit";

impl DevPki {
    pub fn generate() -> Result<Self> {
        let ca = issue(
            "Sign'Stash Development CA",
            KeyType::Rsa(3072),
            Profile::Ca,
            None,
        )?;
        let signer = issue(
            "Sign'Stash Development Signer",
            KeyType::Rsa(2048),
            Profile::Signer,
            Some(&ca),
        )?;
        let tsa = issue(
            "Sign'Stash Development TSA",
            KeyType::Rsa(2048),
            Profile::TimestampAuthority,
            Some(&ca),
        )?;
        Ok(Self { ca, signer, tsa })
    }

    /// Writes ca.pem, signer.pem, signer.key, signer.p12 (password "changeit"), tsa.pem, tsa.key.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        let write_secret = |name: &str, bytes: &[u8]| -> Result<()> {
            let path = dir.join(name);
            std::fs::write(&path, bytes)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(())
        };
        std::fs::write(dir.join("ca.pem"), self.ca.cert_pem()?)?;
        std::fs::write(dir.join("signer.pem"), self.signer.cert_pem()?)?;
        write_secret("signer.key", &self.signer.key_pem()?)?;
        write_secret(
            "signer.p12",
            &self.signer.pkcs12(DEV_P12_PASSWORD, &self.ca.cert)?,
        )?;
        std::fs::write(dir.join("tsa.pem"), self.tsa.cert_pem()?)?;
        write_secret("tsa.key", &self.tsa.key_pem()?)?;
        Ok(())
    }
}
