//! File names made from what clients send (a document's `externalReference` and `name`), for
//! the entries of a zip and the files a receiver saves: each is one name that stays inside the
//! folder it is unpacked into, on Linux, macOS and Windows alike.

use std::collections::HashSet;

/// The longest file name, in bytes, that common file systems take (ext4, APFS; NTFS counts 255
/// UTF-16 units, which 255 UTF-8 bytes never exceed).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// What stands in for a name that holds nothing usable.
const FALLBACK: &str = "document";

/// `name` as a single file name: path separators (`/`, `\`), `:` (a drive on Windows, a stream
/// on NTFS) and control characters become `_`; leading dots and spaces go (no `.`, `..` or
/// hidden file), as do trailing ones (Windows drops them, which would make two names one);
/// at most [`MAX_FILE_NAME_BYTES`] bytes, shortened before the extension. Nothing usable left:
/// `document`.
pub fn safe_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = replaced.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return FALLBACK.into();
    }
    let (stem, extension) = split_extension(trimmed);
    fit(stem, "", extension)
}

/// The names of one archive or folder: each made safe by [`safe_file_name`] and unique, ignoring
/// case as Windows and macOS do, by ` (2)`, ` (3)`… before the extension of a later clash.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
}

impl UniqueNames {
    pub fn new() -> Self {
        Self::default()
    }

    /// The name `name` gets: safe, and not one given before.
    pub fn add(&mut self, name: &str) -> String {
        let safe = safe_file_name(name);
        if self.taken.insert(safe.to_lowercase()) {
            return safe;
        }
        let (stem, extension) = split_extension(&safe);
        let mut n: u64 = 2;
        loop {
            let candidate = fit(stem, &format!(" ({n})"), extension);
            if self.taken.insert(candidate.to_lowercase()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// `("report.ok", ".xml")` for `report.ok.xml`; no extension when the only dot leads the name or
/// the extension is longer than a name could keep.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(at) if at > 0 && name.len() - at <= 32 => name.split_at(at),
        _ => (name, ""),
    }
}

/// `stem` + `suffix` + `extension`, the stem shortened (on a character boundary) to keep the
/// whole within [`MAX_FILE_NAME_BYTES`].
fn fit(stem: &str, suffix: &str, extension: &str) -> String {
    let room = MAX_FILE_NAME_BYTES.saturating_sub(suffix.len() + extension.len());
    let mut end = stem.len().min(room);
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}{extension}", &stem[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_never_leaves_its_folder() {
        assert_eq!(safe_file_name("../../x/R.ok.xml"), "_.._x_R.ok.xml");
        assert_eq!(safe_file_name("..\\..\\x\\R.pdf"), "_.._x_R.pdf");
        assert_eq!(safe_file_name("/etc/passwd"), "_etc_passwd");
        assert_eq!(safe_file_name(".."), "document");
        assert_eq!(safe_file_name("..."), "document");
        assert_eq!(safe_file_name("."), "document");
        assert_eq!(safe_file_name(" .hidden"), "hidden");
        assert_eq!(safe_file_name("C:\\x.pdf"), "C__x.pdf");
        assert_eq!(safe_file_name("a\u{0}b\r\n\u{1b}.xml"), "a_b___.xml");
        assert_eq!(safe_file_name("trailing. . "), "trailing");
        assert_eq!(safe_file_name("fatura 1.pdf"), "fatura 1.pdf");
        assert_eq!(
            safe_file_name("INV-1.fatura-ção.xml"),
            "INV-1.fatura-ção.xml"
        );
        assert_eq!(safe_file_name(""), "document");
    }

    #[test]
    fn a_long_name_keeps_its_extension_and_a_character_boundary() {
        let long = format!("{}.xml", "ç".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_FILE_NAME_BYTES, "{}", safe.len());
        assert!(safe.ends_with("ç.xml"), "{safe}");
        let mut names = UniqueNames::new();
        assert_eq!(names.add(&long), safe);
        let second = names.add(&long);
        assert!(second.len() <= MAX_FILE_NAME_BYTES);
        assert!(second.ends_with("ç (2).xml"), "{second}");
    }

    #[test]
    fn clashes_get_a_number_before_the_extension() {
        let mut names = UniqueNames::new();
        assert_eq!(names.add("R.ok.xml"), "R.ok.xml");
        assert_eq!(names.add("R.ok.xml"), "R.ok (2).xml");
        // Ignoring case, and after cleaning: these are the same file on Windows and macOS.
        assert_eq!(names.add("r.OK.xml"), "r.OK (3).xml");
        assert_eq!(names.add("/R.ok.xml"), "_R.ok.xml");
        assert_eq!(names.add(":R.ok.xml"), "_R.ok (2).xml");
        // A given name that looks like a numbered one is numbered further in turn.
        assert_eq!(names.add("R.ok (2).xml"), "R.ok (2) (2).xml");
        assert_eq!(names.add("noextension"), "noextension");
        assert_eq!(names.add("noextension"), "noextension (2)");
        assert_eq!(names.add(".."), "document");
        assert_eq!(names.add("."), "document (2)");
    }
}
