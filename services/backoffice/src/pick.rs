//! The first step of a form whose subject is one company among possibly thousands (a new client
//! service's issuer, a new operator's company). A `<select>` of every company in scope would
//! render the whole platform on each visit; instead this page searches by name or VAT number
//! (`?q=`, a GET, so it works without JavaScript and can be bookmarked), shows at most
//! [`list::PER_PAGE`] companies a group, and links each to the form with the company chosen.
//! The form carries the chosen id; its handler checks it against the operator's scope again.

use askama::Template;
use serde::Deserialize;

use crate::list;
use crate::page::Chrome;

/// The search as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Search {
    pub q: String,
}

impl Search {
    /// The text to look for (`None`: the first companies by name).
    pub fn text(&self) -> Option<String> {
        list::text(&self.q)
    }
}

/// One company found: its name, what tells it apart, and the form's link with it chosen.
pub struct Found {
    pub name: String,
    pub detail: String,
    pub href: String,
}

/// Companies of one kind, at most a page of them.
pub struct Group<'a> {
    pub label: &'a str,
    pub found: Vec<Found>,
    /// More matched than are shown.
    pub more: bool,
}

impl<'a> Group<'a> {
    /// A group from up to one more row than a page (the extra one only says there are more).
    pub fn of<T>(label: &'a str, rows: Vec<T>, found: impl Fn(T) -> Found) -> Self {
        let (rows, more) = list::split(rows);
        Self {
            label,
            found: rows.into_iter().map(found).collect(),
            more,
        }
    }
}

/// How many rows a search asks for: a page and one to know whether there are more.
pub const ASK: i64 = list::PER_PAGE + 1;

#[derive(Template)]
#[template(path = "pick.html")]
pub struct PickPage<'a> {
    pub c: &'a Chrome,
    pub title: &'a str,
    /// The breadcrumb: the menu's list and its name.
    pub back: (&'a str, &'a str),
    /// The path this page is at (the form's own `new` path).
    pub action: &'a str,
    /// The search field's label and hint.
    pub label: &'a str,
    pub hint: &'a str,
    pub q: &'a str,
    pub groups: Vec<Group<'a>>,
    /// Shown above the search: why the form came back here.
    pub error: Option<&'a str>,
}
