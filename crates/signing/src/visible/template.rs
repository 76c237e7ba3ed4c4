//! The signature text template: literal text and references, parsed once (so a reference the
//! language does not know is refused before anything is signed) and filled in when the signer
//! and the signing time are known.
//!
//! Two spellings of each reference are understood: today's `${…}` and the historic service's
//! Velocity references, which integrators' templates are written in: `$certificate.getCommonName()`
//! is a method call, `$certificate.commonName` the same value as a property, `${…}` the formal
//! form of either, and `$!…` Velocity's quiet form. A `$` that does not start a reference (`US$ 5`,
//! `$1`) is text, and `\$` writes a `$` whatever follows it. Velocity directives (`#if`, `#set`)
//! are not interpreted: they are text.

use std::fmt;

/// A value the template can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reference {
    /// The signing certificate's subject common name (its whole subject when it has none).
    CommonName,
    /// The signing certificate's subject organisation (O).
    Organization,
    /// The signing certificate's serial number in upper-case hexadecimal, as certificate
    /// viewers show it.
    SerialNumber,
    /// The common name of the signing certificate's issuer (its whole name when it has none).
    IssuerCommonName,
    /// The signing time, `YYYY-MM-DD HH:MM:SS UTC`.
    Date,
    /// The signature's reason.
    Reason,
    /// The signature's location.
    Location,
}

/// Every spelling of every reference, as a template writes it (the `getX()` method calls are
/// also accepted as their property, `$certificate.commonName`, and all of them inside `${…}`).
pub const REFERENCES: &[(&str, Reference)] = &[
    ("${signer}", Reference::CommonName),
    ("${date}", Reference::Date),
    ("${reason}", Reference::Reason),
    ("${location}", Reference::Location),
    ("$certificate.getCommonName()", Reference::CommonName),
    ("$certificate.getOrganization()", Reference::Organization),
    ("$certificate.getSerialNumber()", Reference::SerialNumber),
    (
        "$certificate.getIssuerCommonName()",
        Reference::IssuerCommonName,
    ),
    ("${certificate.commonName}", Reference::CommonName),
    ("$date", Reference::Date),
    ("$reason", Reference::Reason),
    ("$location", Reference::Location),
];

/// The dotted property path each reference is known by, once method calls are read as
/// properties (`getCommonName()` → `commonName`).
const PATHS: &[(&str, Reference)] = &[
    ("signer", Reference::CommonName),
    ("date", Reference::Date),
    ("reason", Reference::Reason),
    ("location", Reference::Location),
    ("certificate.commonName", Reference::CommonName),
    ("certificate.organization", Reference::Organization),
    ("certificate.serialNumber", Reference::SerialNumber),
    ("certificate.issuerCommonName", Reference::IssuerCommonName),
];

/// A template that cannot be used: nothing is signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "the template refers to `{0}`, which the template language does not know (known: \
         `${{signer}}`, `${{date}}`, `${{reason}}`, `${{location}}`, \
         `$certificate.getCommonName()`, `$certificate.getOrganization()`, \
         `$certificate.getSerialNumber()`, `$certificate.getIssuerCommonName()`, `$date`, \
         `$reason`, `$location`, `${{certificate.commonName}}`)"
    )]
    UnknownReference(String),
    #[error("the template's reference `{0}` has no closing `}}`")]
    Unterminated(String),
}

/// A piece of a template line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Reference(Reference),
}

/// A parsed signature text template: lines (split at `\n`) of text and references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    lines: Vec<Vec<Piece>>,
}

/// The values a template is filled with. `None`: the signature or certificate has no such
/// value, and a line that refers to it is left out (so "Reason: " never dangles).
#[derive(Clone, Copy, Debug)]
pub struct TemplateValues<'a> {
    pub common_name: &'a str,
    pub organization: Option<&'a str>,
    pub serial_number: &'a str,
    pub issuer_common_name: &'a str,
    pub date: &'a str,
    pub reason: Option<&'a str>,
    pub location: Option<&'a str>,
}

/// A value that is there and not blank.
fn present(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

impl TemplateValues<'_> {
    fn get(&self, r: Reference) -> Option<&str> {
        match r {
            Reference::CommonName => Some(self.common_name),
            Reference::Organization => present(self.organization),
            Reference::SerialNumber => Some(self.serial_number),
            Reference::IssuerCommonName => Some(self.issuer_common_name),
            Reference::Date => Some(self.date),
            Reference::Reason => present(self.reason),
            Reference::Location => present(self.location),
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length of an identifier at the start of `s` (0 when none).
fn ident_len(s: &[u8]) -> usize {
    match s.first() {
        Some(&b) if is_ident_start(b) => s.iter().take_while(|&&b| is_ident(b)).count(),
        _ => 0,
    }
}

/// The length of a Velocity shorthand reference body at the start of `s`: an identifier, then
/// `.identifier` and `.identifier(…)` as long as they follow. A `.` not followed by a letter
/// ends the reference (so "…getCommonName()." keeps its full stop).
fn chain_len(s: &[u8]) -> usize {
    let mut at = ident_len(s);
    if at == 0 {
        return 0;
    }
    loop {
        if s.get(at) == Some(&b'(') {
            match s.get(at..).and_then(|r| r.iter().position(|&b| b == b')')) {
                Some(close) => at += close + 1,
                None => return at,
            }
        }
        if s.get(at) != Some(&b'.') {
            return at;
        }
        let next = s.get(at + 1..).map(ident_len).unwrap_or(0);
        if next == 0 {
            return at;
        }
        at += 1 + next;
    }
}

/// The reference a body (`certificate.getCommonName()`, `date`) names, if the language knows
/// it: each `getX()` segment reads as the property `x`; calls with arguments are unknown.
fn resolve(body: &str) -> Option<Reference> {
    let mut path = Vec::new();
    for segment in body.split('.') {
        let property = match segment.strip_suffix("()") {
            Some(call) => {
                let name = call.strip_prefix("get")?;
                let mut chars = name.chars();
                let first = chars.next()?;
                if !first.is_ascii_uppercase() {
                    return None;
                }
                format!("{}{}", first.to_ascii_lowercase(), chars.as_str())
            }
            None => segment.to_string(),
        };
        if property.is_empty() || !property.bytes().all(is_ident) {
            return None;
        }
        path.push(property);
    }
    let path = path.join(".");
    PATHS.iter().find(|(p, _)| *p == path).map(|(_, r)| *r)
}

impl Template {
    /// Parses `source`; lines break at `\n` (a `\r` before it is dropped).
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let bytes = source.as_bytes();
        let mut lines = vec![Vec::new()];
        let mut text = String::new();
        let mut i = 0;
        // Text runs are copied as string slices, so multi-byte characters stay whole: every
        // position where a run ends is an ASCII byte.
        let mut run_start = 0;
        let flush = |text: &mut String, line: &mut Vec<Piece>| {
            if !text.is_empty() {
                line.push(Piece::Text(std::mem::take(text)));
            }
        };
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'\n' => {
                    text.push_str(&source[run_start..i]);
                    if text.ends_with('\r') {
                        text.pop();
                    }
                    if let Some(line) = lines.last_mut() {
                        flush(&mut text, line);
                    }
                    lines.push(Vec::new());
                    i += 1;
                    run_start = i;
                }
                b'\\' if bytes.get(i + 1) == Some(&b'$') => {
                    text.push_str(&source[run_start..i]);
                    text.push('$');
                    i += 2;
                    run_start = i;
                }
                b'$' => {
                    let quiet = usize::from(bytes.get(i + 1) == Some(&b'!'));
                    let after = i + 1 + quiet;
                    let (body, end) = if bytes.get(after) == Some(&b'{') {
                        // A reference ends on its own line.
                        let close = bytes[after..].iter().position(|&c| c == b'}' || c == b'\n');
                        match close.filter(|&c| bytes.get(after + c) == Some(&b'}')) {
                            Some(close) => (&source[after + 1..after + close], after + close + 1),
                            None => {
                                let rest = source[i..].lines().next().unwrap_or_default();
                                return Err(TemplateError::Unterminated(rest.to_string()));
                            }
                        }
                    } else {
                        let len = chain_len(&bytes[after..]);
                        if len == 0 {
                            // Not a reference: `US$ 5`, `$1`, a `$` at the end.
                            i += 1;
                            continue;
                        }
                        (&source[after..after + len], after + len)
                    };
                    let reference = resolve(body.trim()).ok_or_else(|| {
                        TemplateError::UnknownReference(source[i..end].to_string())
                    })?;
                    text.push_str(&source[run_start..i]);
                    if let Some(line) = lines.last_mut() {
                        flush(&mut text, line);
                        line.push(Piece::Reference(reference));
                    }
                    i = end;
                    run_start = i;
                }
                _ => i += 1,
            }
        }
        text.push_str(&source[run_start..]);
        if let Some(line) = lines.last_mut() {
            flush(&mut text, line);
        }
        Ok(Template { lines })
    }

    /// A template of these lines (whose texts hold no line break).
    pub(super) fn from_lines(lines: Vec<Vec<Piece>>) -> Template {
        Template { lines }
    }

    /// The lines of the template, each a sequence of text and references.
    pub fn lines(&self) -> &[Vec<Piece>] {
        &self.lines
    }

    /// The text with every reference filled in; a line that refers to a value `values` lacks
    /// is left out.
    pub fn render(&self, values: &TemplateValues<'_>) -> String {
        self.lines
            .iter()
            .filter_map(|line| {
                line.iter()
                    .map(|piece| match piece {
                        Piece::Text(t) => Some(t.as_str()),
                        Piece::Reference(r) => values.get(*r),
                    })
                    .collect::<Option<String>>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl std::str::FromStr for Template {
    type Err = TemplateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Template::parse(s)
    }
}

impl fmt::Display for Reference {
    /// The `${…}` spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reference::CommonName => "${signer}",
            Reference::Organization => "${certificate.organization}",
            Reference::SerialNumber => "${certificate.serialNumber}",
            Reference::IssuerCommonName => "${certificate.issuerCommonName}",
            Reference::Date => "${date}",
            Reference::Reason => "${reason}",
            Reference::Location => "${location}",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const VALUES: TemplateValues<'static> = TemplateValues {
        common_name: "Maria Silva",
        organization: Some("Fornecedor Exemplo, Lda."),
        serial_number: "1A2B",
        issuer_common_name: "Exemplo CA",
        date: "2026-11-24 10:15:30 UTC",
        reason: Some("Fatura"),
        location: None,
    };

    fn render(source: &str) -> String {
        Template::parse(source).unwrap().render(&VALUES)
    }

    #[test]
    fn every_listed_spelling_is_its_reference() {
        for (spelling, reference) in REFERENCES {
            let t = Template::parse(&format!("<{spelling}>")).unwrap();
            assert_eq!(
                t.lines(),
                &[vec![
                    Piece::Text("<".into()),
                    Piece::Reference(*reference),
                    Piece::Text(">".into())
                ]],
                "{spelling}"
            );
        }
        // The listed spellings cover every reference, and the error message lists them all.
        let all = [
            Reference::CommonName,
            Reference::Organization,
            Reference::SerialNumber,
            Reference::IssuerCommonName,
            Reference::Date,
            Reference::Reason,
            Reference::Location,
        ];
        assert!(all.iter().all(|r| REFERENCES.iter().any(|(_, x)| x == r)));
        let message = TemplateError::UnknownReference("$x".into()).to_string();
        for (spelling, _) in REFERENCES {
            assert!(message.contains(&format!("`{spelling}`")), "{spelling}");
        }
        // Each reference's `${…}` spelling parses back to it.
        for r in all {
            assert_eq!(
                Template::parse(&r.to_string()).unwrap().lines(),
                &[vec![Piece::Reference(r)]]
            );
        }
    }

    #[test]
    fn velocity_and_formal_forms_fill_in() {
        assert_eq!(
            render("Digitally Signed by $certificate.getCommonName()."),
            "Digitally Signed by Maria Silva."
        );
        assert_eq!(
            render("$certificate.commonName, ${certificate.getOrganization()} ($certificate.serialNumber)"),
            "Maria Silva, Fornecedor Exemplo, Lda. (1A2B)"
        );
        assert_eq!(
            render(
                "by ${signer}/$signer/$!{signer}/$!signer, CA $certificate.getIssuerCommonName()"
            ),
            "by Maria Silva/Maria Silva/Maria Silva/Maria Silva, CA Exemplo CA"
        );
        assert_eq!(render("$date: $reason"), "2026-11-24 10:15:30 UTC: Fatura");
    }

    #[test]
    fn a_line_without_its_value_is_left_out() {
        assert_eq!(
            render("Assinado por ${signer}\r\nEm $location\nMotivo: $reason"),
            "Assinado por Maria Silva\nMotivo: Fatura"
        );
        let none = TemplateValues {
            organization: None,
            reason: Some("  "),
            ..VALUES
        };
        let t = Template::parse("$certificate.getOrganization()\n$reason\nok").unwrap();
        assert_eq!(t.render(&none), "ok");
    }

    #[test]
    fn dollars_that_are_not_references_are_text() {
        assert_eq!(render("US$ 5, $1, 5$, $"), "US$ 5, $1, 5$, $");
        assert_eq!(render("\\$reason is $reason"), "$reason is Fatura");
        assert_eq!(render("Zürich — ${signer} ✓"), "Zürich — Maria Silva ✓");
        assert_eq!(render("#if($reason)x#end"), "#if(Fatura)x#end");
    }

    #[test]
    fn unknown_references_are_named() {
        for (source, named) in [
            ("Signed by $certificate.getName()", "$certificate.getName()"),
            ("${unknown}", "${unknown}"),
            ("a\n$certificate and more", "$certificate"),
            ("$date.format('yyyy')", "$date.format('yyyy')"),
            ("$Date", "$Date"),
            ("$reason.Thanks", "$reason.Thanks"),
            ("${}", "${}"),
            ("${signer name}", "${signer name}"),
            (
                "$certificate.getcommonName()",
                "$certificate.getcommonName()",
            ),
        ] {
            assert_eq!(
                Template::parse(source),
                Err(TemplateError::UnknownReference(named.into())),
                "{source}"
            );
        }
        assert_eq!(
            Template::parse("ok\nby ${signer\nnext"),
            Err(TemplateError::Unterminated("${signer".into()))
        );
        assert!(TemplateError::UnknownReference("$x".into())
            .to_string()
            .starts_with("the template refers to `$x`, which the template language does not know"));
    }
}
