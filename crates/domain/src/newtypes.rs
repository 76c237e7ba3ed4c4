//! Validated values, built with `TryFrom` where outside input enters (request bodies, path
//! parameters, forms, configuration). Holding one means it was checked: code further in never
//! checks again. `serde` deserialisation goes through the same `TryFrom`.
//!
//! With the `sqlx` feature they are stored as `TEXT`. Values read back from the database are
//! trusted (they were checked on the way in) and not checked again, so a rule made stricter
//! later never makes old rows unreadable.

use crate::macros::wire_enum;
use crate::ValidationError;

macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, ValidationError> {
                $check(value).map($name)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValidationError;
            fn try_from(value: &str) -> Result<Self, ValidationError> {
                Self::try_from(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        #[cfg(feature = "sqlx")]
        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Postgres>>::encode(self.0.as_str(), buf)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok($name(<String as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?))
            }
        }
    };
}

text_newtype!(
    /// A client service alias: its OAuth `client_id` and `issuerClientServiceAlias`.
    /// 1 to 64 characters of `A-Z a-z 0-9 . _ -`, starting with a letter or digit (it travels
    /// in HTTP Basic credentials, where `:` is a separator, and in URLs).
    Alias,
    check_alias
);

text_newtype!(
    /// An external reference chosen by the integrator for an operation or a document, unique
    /// per client service. 1 to 255 characters (not bytes), no control characters, not only
    /// white space. Kept exactly as given (no trimming): it is the integrator's key.
    ExternalReference,
    check_external_reference
);

text_newtype!(
    /// An e-mail address, checked pragmatically (what SMTP servers accept, not all of RFC 5322):
    /// `local@domain`, at most 254 characters, local part 1 to 64 printable characters without
    /// white space, domain of dot-separated labels of letters, digits and `-`.
    EmailAddress,
    check_email
);

text_newtype!(
    /// A VAT number, normalised to upper case without spaces, with an optional two-letter
    /// country prefix (`PT507957547`, `507957547`, `ESB12345678`). Portuguese numbers (prefix
    /// `PT` or none and nine digits) must pass the NIF check digit.
    VatNumber,
    check_vat
);

const MAX_EXTERNAL_REFERENCE: usize = 255;

fn check_alias(value: String) -> Result<String, ValidationError> {
    const FIELD: &str = "alias";
    if value.is_empty() {
        return Err(ValidationError::Empty { field: FIELD });
    }
    if value.chars().count() > 64 {
        return Err(ValidationError::TooLong {
            field: FIELD,
            max: 64,
        });
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ValidationError::ForbiddenCharacter { field: FIELD });
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::Invalid {
            field: FIELD,
            reason: "must start with a letter or a digit",
        });
    }
    Ok(value)
}

fn check_external_reference(value: String) -> Result<String, ValidationError> {
    const FIELD: &str = "externalReference";
    if value.trim().is_empty() {
        return Err(ValidationError::Empty { field: FIELD });
    }
    if value.chars().count() > MAX_EXTERNAL_REFERENCE {
        return Err(ValidationError::TooLong {
            field: FIELD,
            max: MAX_EXTERNAL_REFERENCE,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::ForbiddenCharacter { field: FIELD });
    }
    Ok(value)
}

fn check_email(value: String) -> Result<String, ValidationError> {
    const FIELD: &str = "email";
    let invalid = |reason| ValidationError::Invalid {
        field: FIELD,
        reason,
    };
    if value.is_empty() {
        return Err(ValidationError::Empty { field: FIELD });
    }
    if value.len() > 254 {
        return Err(ValidationError::TooLong {
            field: FIELD,
            max: 254,
        });
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ValidationError::ForbiddenCharacter { field: FIELD });
    }
    let (local, domain) = value
        .rsplit_once('@')
        .ok_or_else(|| invalid("an e-mail address needs an @"))?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(invalid("the part before @ is not valid"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(invalid("the part before @ is not valid"));
    }
    if local.contains(['<', '>', '(', ')', '[', ']', ',', ';', ':', '\\', '"']) {
        return Err(ValidationError::ForbiddenCharacter { field: FIELD });
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(invalid("the domain is not valid"));
    }
    Ok(value)
}

fn check_vat(value: String) -> Result<String, ValidationError> {
    const FIELD: &str = "vatNumber";
    let invalid = |reason| ValidationError::Invalid {
        field: FIELD,
        reason,
    };
    let normalised: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if normalised.is_empty() {
        return Err(ValidationError::Empty { field: FIELD });
    }
    if !normalised.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::ForbiddenCharacter { field: FIELD });
    }
    let has_prefix =
        normalised.len() > 2 && normalised[..2].chars().all(|c| c.is_ascii_alphabetic());
    let (country, number) = if has_prefix {
        (Some(&normalised[..2]), &normalised[2..])
    } else {
        (None, normalised.as_str())
    };
    if !(2..=13).contains(&number.len()) {
        return Err(invalid(
            "must have 2 to 13 characters after the country prefix",
        ));
    }
    let portuguese = country == Some("PT")
        || (country.is_none() && number.len() == 9 && number.bytes().all(|b| b.is_ascii_digit()));
    if portuguese && !nif_is_valid(number) {
        return Err(invalid("not a valid Portuguese NIF (check digit)"));
    }
    Ok(normalised)
}

/// The Portuguese NIF: nine digits, the last a mod-11 check digit of the first eight.
fn nif_is_valid(number: &str) -> bool {
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 9 || number.len() != 9 {
        return false;
    }
    let sum: u32 = digits[..8]
        .iter()
        .enumerate()
        .map(|(i, d)| d * (9 - i as u32))
        .sum();
    let check = match 11 - sum % 11 {
        10 | 11 => 0,
        c => c,
    };
    check == digits[8]
}

impl VatNumber {
    /// The two-letter country prefix, if any.
    pub fn country_prefix(&self) -> Option<&str> {
        let p = self.0.get(..2)?;
        (self.0.len() > 2 && p.chars().all(|c| c.is_ascii_alphabetic())).then_some(p)
    }
}

impl EmailAddress {
    /// The domain part (after the last `@`).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

wire_enum! {
    /// The language of a client service's e-mails and portal: `pt_PT` or `en`.
    #[derive(Default)]
    pub enum Language {
        /// European Portuguese (the default).
        #[default]
        PtPt = "pt_PT",
        /// English.
        En = "en",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn alias() {
        assert_eq!(Alias::try_from("demo").unwrap().as_str(), "demo");
        assert!(Alias::try_from("erp-2.prod_1").is_ok());
        assert!(Alias::try_from("").is_err());
        assert!(Alias::try_from("a:b").is_err());
        assert!(Alias::try_from("with space").is_err());
        assert!(Alias::try_from("-leading").is_err());
        assert!(Alias::try_from("é").is_err());
        assert!(Alias::try_from("a".repeat(64)).is_ok());
        assert!(matches!(
            Alias::try_from("a".repeat(65)),
            Err(ValidationError::TooLong { max: 64, .. })
        ));
    }

    #[test]
    fn external_reference() {
        assert!(ExternalReference::try_from("ERP-2026-000123").is_ok());
        // Kept exactly, including inner and outer spaces and non-ASCII.
        let r = ExternalReference::try_from(" Fatura nº 1 ").unwrap();
        assert_eq!(r.as_str(), " Fatura nº 1 ");
        assert!(ExternalReference::try_from("x'; DROP TABLE operations; --").is_ok());
        assert!(matches!(
            ExternalReference::try_from(""),
            Err(ValidationError::Empty { .. })
        ));
        assert!(ExternalReference::try_from("   ").is_err());
        assert!(matches!(
            ExternalReference::try_from("a\nb"),
            Err(ValidationError::ForbiddenCharacter { .. })
        ));
        assert!(ExternalReference::try_from("a\0b").is_err());
        assert!(ExternalReference::try_from("a\u{7f}").is_err());
        // 255 characters, not bytes.
        assert!(ExternalReference::try_from("ç".repeat(255)).is_ok());
        assert!(ExternalReference::try_from("ç".repeat(256)).is_err());
    }

    #[test]
    fn email() {
        for ok in [
            "client@example.com",
            "a.b+tag@mail.example.pt",
            "x@xn--bcher-kva.de",
        ] {
            assert!(EmailAddress::try_from(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "client",
            "client@",
            "@example.com",
            "client@localhost",
            "a b@example.com",
            "a@exa mple.com",
            "a@@example.com",
            "a@-example.com",
            "a@example..com",
            ".a@example.com",
            "a..b@example.com",
            "<a@example.com>",
            "a@example.com\r\nBcc: x@example.com",
        ] {
            assert!(EmailAddress::try_from(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            EmailAddress::try_from("a@Example.com").unwrap().domain(),
            "Example.com"
        );
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert!(EmailAddress::try_from(long).is_err());
    }

    #[test]
    fn vat_number() {
        // 507957547 is a valid NIF (check digit 7).
        let v = VatNumber::try_from("pt 507 957 547").unwrap();
        assert_eq!(v.as_str(), "PT507957547");
        assert_eq!(v.country_prefix(), Some("PT"));
        assert_eq!(
            VatNumber::try_from("507957547").unwrap().country_prefix(),
            None
        );
        assert!(VatNumber::try_from("507957548").is_err());
        assert!(VatNumber::try_from("PT507957548").is_err());
        assert!(VatNumber::try_from("PT12345").is_err());
        assert!(VatNumber::try_from("ESB12345678").is_ok());
        assert!(VatNumber::try_from("").is_err());
        assert!(VatNumber::try_from("PT-507957547").is_err());
        assert!(nif_is_valid("123456789"));
        assert!(!nif_is_valid("12345678"));
    }

    #[test]
    fn language() {
        assert_eq!(serde_json::to_string(&Language::PtPt).unwrap(), "\"pt_PT\"");
        assert_eq!(serde_json::to_string(&Language::En).unwrap(), "\"en\"");
        assert_eq!(Language::try_from("pt_PT").unwrap(), Language::PtPt);
        assert!(Language::try_from("pt").is_err());
        assert!(Language::try_from("EN").is_err());
        assert_eq!(Language::default(), Language::PtPt);
    }

    #[test]
    fn serde_goes_through_try_from() {
        let r: ExternalReference = serde_json::from_str("\"INV-123\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"INV-123\"");
        assert!(serde_json::from_str::<ExternalReference>("\"\"").is_err());
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
        assert!(serde_json::from_str::<Alias>("\"a b\"").is_err());
    }
}
