//! The Audit log (every role, within its scope): newest first, paged by keyset (`?before=<id>`,
//! the "Older" link; no offset, the log only grows), filtered by actor, action (its
//! beginning), company and date range (UTC days). Each entry's changes are shown as
//! "field: before → after" lines, escaped like every value.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;
use signstash_domain::{ActorKind, AuditLogId};
use signstash_store::audit_view::{self, AuditEntry, AuditFilter};

use crate::form::{self, Errors};
use crate::i18n::Texts;
use crate::list;
use crate::menu::Menu;
use crate::page::{Chrome, PageError, Signed};
use crate::policy::Action;
use crate::routes::{route, Route};
use crate::AppState;

const LIST: &str = "/audit-log";

pub fn routes() -> Vec<Route> {
    vec![route(Method::GET, LIST, get(list))]
}

/// The filters and the cursor as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filters {
    actor: String,
    action: String,
    company: String,
    from: String,
    to: String,
    before: String,
}

/// An entry as the page shows it.
pub struct Row {
    pub time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub company: String,
    pub changes: Vec<String>,
    pub address: String,
}

impl Row {
    fn of(e: &AuditEntry, t: &Texts) -> Self {
        let none = t.none;
        let actor = match (&e.operator_name, &e.operator_email, &e.client_service_alias) {
            (Some(name), Some(email), _) => format!("{name} <{email}>"),
            (_, _, Some(alias)) if e.actor_kind == ActorKind::ClientService => alias.clone(),
            _ if e.actor_kind == ActorKind::System => t.audit_log.system.to_owned(),
            _ => t.audit_log.unknown.to_owned(),
        };
        let target = match (&e.target_kind, &e.target_id) {
            (Some(kind), Some(id)) => format!("{kind} {id}"),
            (Some(kind), None) => kind.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => none.to_owned(),
        };
        let company = match (&e.issuer_name, &e.partner_name) {
            (Some(issuer), Some(partner)) => format!("{issuer} ({partner})"),
            (Some(name), None) | (None, Some(name)) => name.clone(),
            (None, None) => none.to_owned(),
        };
        Self {
            time: crate::routes::system::utc(e.occurred_at),
            actor,
            action: e.action.clone(),
            target,
            company,
            changes: change_lines(&e.details, none),
            address: e.remote_address.clone().unwrap_or_else(|| none.to_owned()),
        }
    }
}

/// The `details` of an entry as lines: `{"f": {"before": b, "after": a}}` → `f: b → a`
/// (`f: a` for a created thing); anything else `key: value`. Empty values read `empty`.
pub fn change_lines(details: &Value, empty: &str) -> Vec<String> {
    let plain = |v: &Value| match v {
        Value::String(s) if s.is_empty() => empty.to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => empty.to_owned(),
        other => other.to_string(),
    };
    match details {
        Value::Object(map) => map
            .iter()
            .map(|(field, v)| match v {
                Value::Object(o) if o.contains_key("before") || o.contains_key("after") => {
                    match (o.get("before"), o.get("after")) {
                        (Some(b), Some(a)) => format!("{field}: {} → {}", plain(b), plain(a)),
                        (None, Some(a)) => format!("{field}: {}", plain(a)),
                        (Some(b), None) => format!("{field}: {} → {empty}", plain(b)),
                        (None, None) => field.clone(),
                    }
                }
                other => format!("{field}: {}", plain(other)),
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![plain(other)],
    }
}

#[derive(Template)]
#[template(path = "audit_log/list.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    f: &'a Filters,
    errors: &'a Errors,
    rows: &'a [Row],
    older: Option<String>,
    newest: Option<String>,
    list_path: &'static str,
}

/// `LIST` with the query's filters (not the cursor, the language or `done`), and `before`.
fn link(query: Option<&str>, before: Option<AuditLogId>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "before" | "lang" | "done"))
        .collect();
    if let Some(before) = before {
        pairs.push(("before".into(), before.0.to_string()));
    }
    if pairs.is_empty() {
        return LIST.to_owned();
    }
    format!(
        "{LIST}?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

async fn list(
    State(app): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    signed.may(&app, Action::View(Menu::AuditLog)).await?;
    let f: Filters = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let t = signed.t();
    let mut errors = Errors::default();
    let day = |d: time::Date| d.midnight().assume_utc();
    let filter = AuditFilter {
        actor: list::text(&f.actor),
        action: list::text(&f.action),
        company: list::text(&f.company),
        from: form::date(&mut errors, t, "from", &f.from).map(day),
        until: form::date(&mut errors, t, "to", &f.to)
            .and_then(|d| d.next_day())
            .map(day),
    };
    let before = crate::page::path_id(f.before.trim()).map(AuditLogId);
    let entries = audit_view::list(
        &mut *app.db.acquire().await?,
        signed.scope(),
        &filter,
        before,
        list::PER_PAGE + 1,
    )
    .await?;
    let (entries, more) = list::split(entries);
    let older = more
        .then(|| entries.last().map(|e| link(query.as_deref(), Some(e.id))))
        .flatten();
    let newest = before.map(|_| link(query.as_deref(), None));
    let rows: Vec<Row> = entries.iter().map(|e| Row::of(e, t)).collect();
    Ok(signed.page(&ListPage {
        c: &signed.chrome,
        f: &f,
        errors: &errors,
        rows: &rows,
        older,
        newest,
        list_path: LIST,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_read_as_before_and_after_lines() {
        let details = json!({
            "name": {"before": "A", "after": "B"},
            "kind": {"after": "RESELLER"},
            "email": {"before": "", "after": "x@y.pt"},
            "path": "/x",
        });
        assert_eq!(
            change_lines(&details, "—"),
            [
                "email: — → x@y.pt",
                "kind: RESELLER",
                "name: A → B",
                "path: /x"
            ]
        );
        assert!(change_lines(&json!({}), "—").is_empty());
    }

    #[test]
    fn the_links_keep_the_filters_and_replace_the_cursor() {
        assert_eq!(
            link(
                Some("action=partner.&before=9&lang=en"),
                Some(AuditLogId(5))
            ),
            "/audit-log?action=partner.&before=5"
        );
        assert_eq!(link(Some("before=9"), None), "/audit-log");
    }
}
