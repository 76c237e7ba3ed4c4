//! Forms: the raw strings typed are parsed into the domain's types field by field; each
//! problem is kept beside its field ([`Errors`]) and the page is shown again with what was
//! typed.

use signstash_domain::{EmailAddress, Language, VatNumber};

use crate::i18n::Texts;

/// The problems of a sent form, by field name.
#[derive(Default)]
pub struct Errors(Vec<(&'static str, &'static str)>);

impl Errors {
    pub fn add(&mut self, field: &'static str, message: &'static str) {
        if self.get(field).is_none() {
            self.0.push((field, message));
        }
    }

    /// The problem of `field`, if any (for the template).
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Text fields are at most this long unless a field says otherwise.
pub const MAX_TEXT: usize = 200;

/// A field that must hold text: trimmed, without control characters, at most `max` characters.
pub fn required(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
    max: usize,
) -> Option<String> {
    let value = raw.trim();
    if value.is_empty() {
        errors.add(field, t.error_required);
        return None;
    }
    checked(errors, t, field, value, max)
}

/// A field that may be left empty (`None`).
pub fn optional(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
    max: usize,
) -> Option<String> {
    let value = raw.trim();
    if value.is_empty() {
        return None;
    }
    checked(errors, t, field, value, max)
}

fn checked(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    value: &str,
    max: usize,
) -> Option<String> {
    if value.chars().count() > max {
        errors.add(field, t.error_too_long);
        return None;
    }
    if value.chars().any(char::is_control) {
        errors.add(field, t.error_control);
        return None;
    }
    Some(value.to_owned())
}

/// An e-mail address, required or not.
pub fn email(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
    required: bool,
) -> Option<EmailAddress> {
    let value = raw.trim();
    if value.is_empty() {
        if required {
            errors.add(field, t.error_required);
        }
        return None;
    }
    EmailAddress::try_from(value)
        .map_err(|_| errors.add(field, t.error_email))
        .ok()
}

/// A VAT number.
pub fn vat(errors: &mut Errors, t: &Texts, field: &'static str, raw: &str) -> Option<VatNumber> {
    let value = raw.trim();
    if value.is_empty() {
        errors.add(field, t.error_required);
        return None;
    }
    VatNumber::try_from(value)
        .map_err(|_| errors.add(field, t.error_vat))
        .ok()
}

/// An ISO 3166-1 alpha-3 country code (`PRT`), upper-cased.
pub fn country(errors: &mut Errors, t: &Texts, field: &'static str, raw: &str) -> Option<String> {
    let value = raw.trim().to_ascii_uppercase();
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Some(value)
    } else {
        errors.add(field, t.error_country);
        None
    }
}

/// One of the platform's languages.
pub fn language(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
) -> Option<Language> {
    signstash_web::language::parse(raw.trim())
        .ok_or(())
        .map_err(|_| errors.add(field, t.error_choice))
        .ok()
}

/// One of an enumeration's wire spellings (a `<select>`).
pub fn choice<T: std::str::FromStr>(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
) -> Option<T> {
    raw.trim()
        .parse()
        .map_err(|_| errors.add(field, t.error_choice))
        .ok()
}

/// A whole number in `min..=max`, or `None` when empty and not required.
pub fn number(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
    range: std::ops::RangeInclusive<i64>,
    required: bool,
) -> Option<i64> {
    let value = raw.trim();
    if value.is_empty() {
        if required {
            errors.add(field, t.error_required);
        }
        return None;
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or(())
        .map_err(|_| errors.add(field, t.error_number))
        .ok()
}

/// A date (`YYYY-MM-DD`), or `None` when empty.
pub fn date(errors: &mut Errors, t: &Texts, field: &'static str, raw: &str) -> Option<time::Date> {
    crate::list::date(raw)
        .map_err(|_| errors.add(field, t.error_date))
        .ok()
        .flatten()
}

/// A VAT number of a company in `country` (alpha-3, when it was valid): a Portuguese one
/// (`PRT`) must be a NIF (nine digits, its check digit right).
pub fn vat_in(
    errors: &mut Errors,
    t: &Texts,
    field: &'static str,
    raw: &str,
    country: Option<&str>,
) -> Option<VatNumber> {
    let vat = vat(errors, t, field, raw)?;
    let nif = vat.as_str().strip_prefix("PT").unwrap_or(vat.as_str());
    let portuguese_ok = nif.len() == 9 && VatNumber::try_from(format!("PT{nif}")).is_ok();
    if country == Some("PRT") && !portuguese_ok {
        errors.add(field, t.error_vat);
        return None;
    }
    Some(vat)
}

/// A usage limit as typed (partners and issuers): a number of signatures and the last day it
/// holds, each optional (none: an alert, no block).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct UsageLimit {
    pub limit_signatures: String,
    pub limit_valid_until: String,
}

/// A usage limit as stored.
pub type Limit = (Option<i64>, Option<time::Date>);

impl UsageLimit {
    /// The form showing `limit`.
    pub fn of((signatures, until): Limit) -> Self {
        Self {
            limit_signatures: signatures.map(|n| n.to_string()).unwrap_or_default(),
            limit_valid_until: until.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    /// The limit typed, or `None` with the errors beside the fields.
    pub fn parse(&self, errors: &mut Errors, t: &Texts) -> Option<Limit> {
        let signatures = number(
            errors,
            t,
            "limit_signatures",
            &self.limit_signatures,
            0..=i64::MAX,
            false,
        );
        let until = date(errors, t, "limit_valid_until", &self.limit_valid_until);
        errors.is_empty().then_some((signatures, until))
    }
}

/// The audit log's before and after of a limit's change.
pub fn limit_changes(before: Limit, after: Limit) -> crate::audit::Changes {
    let show = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let day = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    crate::audit::Changes::default()
        .field("limit_signatures", show(before.0), show(after.0))
        .field("limit_valid_until", day(before.1), day(after.1))
}
