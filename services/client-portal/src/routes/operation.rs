//! The operation page `/d/{token}`: who sent what, and each document with its signature.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use signstash_domain::SignatureType;
use signstash_signing::verify::{Integrity, Verification};
use signstash_store::documents::Document;

use crate::access::{is_available, Access, Client};
use crate::error::PageError;
use crate::i18n::{human_size, utc_time, Texts};
use crate::page::Chrome;
use crate::signatures;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/d/{token}", get(page))
}

/// One row of the documents table.
pub struct DocumentRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub size: String,
    pub signature: String,
    pub signer: String,
    pub signed_at: String,
    /// `(time, authority)` of the signature timestamp.
    pub timestamp: Option<(String, String)>,
    /// `(css class suffix, text)`; `None` when the document is not available.
    pub validity: Option<(&'static str, &'static str)>,
    pub available: bool,
    pub viewable: bool,
}

#[derive(Template)]
#[template(path = "operation.html")]
struct OperationPage<'a> {
    c: Chrome,
    t: &'static Texts,
    issuer: &'a str,
    description: Option<&'a str>,
    created: String,
    created_iso: String,
    base: String,
    documents: Vec<DocumentRow>,
    any_available: bool,
    has_p7s: bool,
}

async fn page(
    State(app): State<AppState>,
    client: Client,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    let base = format!("/d/{token}");
    let chrome = Chrome::new(&app, &access, &base, query.as_deref(), &headers).await?;
    if access.code_pending {
        return crate::routes::access_code::show(&app, &access, &client, chrome, base).await;
    }
    let documents = access.documents(&app).await?;
    access
        .record(&app, &client, "portal.operation_viewed", None)
        .await?;
    app.metrics.access("link_opened");

    let (language, t) = (chrome.language, chrome.t);
    let trusted = signatures::trusted(&app, &access).await?;
    let mut rows = Vec::with_capacity(documents.len());
    for d in &documents {
        let verification = if is_available(d) {
            Some(signatures::check(&app, d, &trusted).await?)
        } else {
            None
        };
        rows.push(row(d, verification.as_ref(), t, language));
    }
    let page = OperationPage {
        c: chrome,
        t,
        issuer: &access.client_service.issuer.name,
        description: Some(access.operation.description.trim()).filter(|s| !s.is_empty()),
        created: utc_time(access.operation.created_at),
        created_iso: access
            .operation
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        base,
        any_available: rows.iter().any(|r| r.available),
        has_p7s: documents
            .iter()
            .any(|d| d.signature_type == SignatureType::CAdES && is_available(d)),
        documents: rows,
    };
    let html = page.render().map_err(PageError::internal)?;
    Ok(page.c.respond(html))
}

/// An RFC 4514 subject with a space after each separating comma, so it wraps between its
/// parts (`CN=…, O=…, C=PT`) rather than inside them. Escaped commas stay as they are.
fn readable_subject(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len() + 8);
    let mut escaped = false;
    for c in subject.chars() {
        out.push(c);
        if c == ',' && !escaped {
            out.push(' ');
        }
        escaped = c == '\\' && !escaped;
    }
    out
}

fn row(
    d: &Document,
    v: Option<&Verification>,
    t: &'static Texts,
    language: signstash_domain::Language,
) -> DocumentRow {
    let level = d
        .attributes
        .get("SIGNATURE_ATTRIBUTE_LEVEL")
        .and_then(|v| v.as_str())
        .unwrap_or("B-B");
    let available = is_available(d);
    DocumentRow {
        id: d.id.0,
        name: crate::routes::documents::download_name(d),
        kind: match d.signature_type {
            SignatureType::PAdES => t.kind_pdf,
            SignatureType::XAdES => t.kind_xml,
            SignatureType::CAdES => t.kind_p7s,
        },
        size: human_size(
            d.signed_content_length.unwrap_or(d.content_length),
            language,
        ),
        signature: format!("{} {level}", d.signature_type.as_str()),
        signer: v
            .and_then(|v| v.signer.as_deref())
            .map(readable_subject)
            .unwrap_or_default(),
        // The time the signature claims; the service's own record when it claims none
        // (CAdES carries no signing-time attribute).
        signed_at: v
            .and_then(|v| v.signing_time)
            .or(d.signed_at)
            .map(utc_time)
            .unwrap_or_default(),
        timestamp: v
            .and_then(|v| v.timestamp.as_ref())
            .map(|ts| (utc_time(ts.time), ts.authority.clone().unwrap_or_default())),
        validity: v.map(|v| match v.integrity {
            Integrity::Intact => ("intact", t.intact),
            Integrity::Modified => ("modified", t.modified),
            Integrity::Unverifiable => ("unverifiable", t.unverifiable),
        }),
        available,
        viewable: available && d.signature_type != SignatureType::CAdES,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subjects_wrap_between_their_parts() {
        assert_eq!(
            super::readable_subject(r"CN=Ana\, Lda,O=Demo,C=PT"),
            r"CN=Ana\, Lda, O=Demo, C=PT"
        );
    }
}
