//! What every list shares: filters are GET query parameters (a filtered list can be
//! bookmarked), the page number is `page`, and the pager's links keep the filters.

use time::Date;

/// Rows per page.
pub const PER_PAGE: i64 = 20;

/// The deepest page a link may ask for (offset paging; the lists that grow without bound use
/// keyset paging instead).
const MAX_PAGE: i64 = 10_000;

/// The page asked for (1 when absent or not a number).
pub fn page(raw: &str) -> i64 {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .map_or(1, |p| p.min(MAX_PAGE))
}

/// The rows to skip for `page`.
pub fn offset(page: i64) -> i64 {
    (page - 1) * PER_PAGE
}

/// The previous and next pages' links of a list; `has_next` when one more row than a page
/// was found.
pub struct Pager {
    pub page: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `path` and its query (`query`, filters included) with the page replaced.
    pub fn new(path: &str, query: Option<&str>, page: i64, has_next: bool) -> Self {
        let kept: Vec<(String, String)> = query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "page" && k != "lang" && k != "done")
            .collect();
        let link = |p: i64| {
            let mut pairs = kept.clone();
            pairs.push(("page".into(), p.to_string()));
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            )
        };
        Self {
            page,
            previous: (page > 1).then(|| link(page - 1)),
            next: has_next.then(|| link(page + 1)),
        }
    }
}

/// Cuts `rows` to a page, telling whether there was more (the query asked for one extra).
pub fn split<T>(mut rows: Vec<T>) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    (rows, more)
}

/// A date that is not one.
#[derive(Debug, PartialEq, Eq)]
pub struct NotADate;

/// A filter's date (`YYYY-MM-DD`, as `<input type=date>` sends it): `Ok(None)` when empty,
/// `Err` when not a date.
pub fn date(raw: &str) -> Result<Option<Date>, NotADate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map(Some)
    .map_err(|_| NotADate)
}

/// A text filter: trimmed, `None` when empty, at most 200 characters.
pub fn text(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pager_keeps_the_filters_and_replaces_the_page() {
        let p = Pager::new("/x", Some("name=a%20b&page=2&lang=en"), 2, true);
        assert_eq!(p.previous.as_deref(), Some("/x?name=a+b&page=1"));
        assert_eq!(p.next.as_deref(), Some("/x?name=a+b&page=3"));
        let p = Pager::new("/x", None, 1, false);
        assert!(p.previous.is_none() && p.next.is_none());
    }

    #[test]
    fn pages_and_dates_are_read_leniently() {
        assert_eq!(page(""), 1);
        assert_eq!(page("-3"), 1);
        assert_eq!(page("7"), 7);
        assert_eq!(page("99999999999"), MAX_PAGE);
        assert_eq!(date(""), Ok(None));
        assert!(date("2026-13-01").is_err());
        assert_eq!(
            date("2026-12-07").ok().flatten().map(|d| d.to_string()),
            Some("2026-12-07".into())
        );
    }
}
