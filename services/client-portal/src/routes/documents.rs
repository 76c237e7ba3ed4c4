//! A document of an opened link: viewed (a PDF inline in the browser's own viewer, an XML
//! document as escaped text in a page), downloaded, or all of them in one zip.
//!
//! The type a file is served with follows from its signature format, not from the
//! `contentType` the integrator declared: a PAdES document is a PDF, a XAdES one XML, a
//! CAdES one the detached `.p7s`. A declared `text/html` can never make a browser render one.

use std::io::Write as _;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use signstash_domain::file_name::{safe_file_name, UniqueNames};
use signstash_domain::SignatureType;
use signstash_store::documents::Document;

use crate::access::{is_available, Access, Client};
use crate::error::PageError;
use crate::i18n::Texts;
use crate::page::Chrome;
use crate::state::{App, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{token}/documents/{id}", get(view))
        .route("/d/{token}/documents/{id}/download", get(download))
        .route("/d/{token}/documents.zip", get(zip))
}

#[derive(Template)]
#[template(path = "xml.html")]
struct XmlPage<'a> {
    c: Chrome,
    t: &'static Texts,
    issuer: &'a str,
    base: String,
    id: i64,
    name: &'a str,
    pretty: Option<String>,
}

/// The file name a document is downloaded under: its own, or `<name>.p7s` for the detached
/// CAdES signature.
pub fn download_name(d: &Document) -> String {
    match d.signature_type {
        SignatureType::CAdES => format!("{}.p7s", d.name),
        _ => d.name.clone(),
    }
}

/// The media type of the signed bytes.
pub fn media_type(d: &Document) -> &'static str {
    match d.signature_type {
        SignatureType::PAdES => "application/pdf",
        SignatureType::XAdES => "application/xml",
        SignatureType::CAdES => "application/pkcs7-signature",
    }
}

async fn signed_bytes(app: &App, d: &Document) -> Result<Bytes, PageError> {
    let stored = d.stored().ok_or(PageError::NotFound)?;
    Ok(app.documents.get(&stored).await?)
}

async fn view(
    State(app): State<AppState>,
    client: Client,
    Path((token, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    access.require_code(&token)?;
    let doc = access.document(&app, &id).await?;
    if doc.signature_type == SignatureType::CAdES {
        // A detached signature has nothing to look at.
        return Err(PageError::NotFound);
    }
    let bytes = signed_bytes(&app, &doc).await?;
    access
        .record(&app, &client, "portal.document_viewed", Some(&doc))
        .await?;
    app.metrics.access("document_viewed");
    let name = download_name(&doc);
    if doc.signature_type == SignatureType::PAdES {
        return Ok((
            [
                (header::CONTENT_TYPE, media_type(&doc).to_string()),
                (header::CONTENT_DISPOSITION, disposition("inline", &name)),
            ],
            bytes,
        )
            .into_response());
    }
    let max = app.max_xml_view_bytes;
    let pretty = if bytes.len() <= max {
        tokio::task::spawn_blocking(move || crate::xml_view::pretty(&bytes))
            .await
            .map_err(PageError::internal)?
    } else {
        None
    };
    let base = format!("/d/{token}");
    let chrome = Chrome::new(&app, &access, &base, query.as_deref(), &headers)
        .await?
        .at(format!("{base}/documents/{}", doc.id.0));
    let page = XmlPage {
        t: chrome.t,
        c: chrome,
        issuer: &access.client_service.issuer.name,
        base,
        id: doc.id.0,
        name: &name,
        pretty,
    };
    let html = page.render().map_err(PageError::internal)?;
    Ok(page.c.respond(html))
}

async fn download(
    State(app): State<AppState>,
    client: Client,
    Path((token, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    access.require_code(&token)?;
    let doc = access.document(&app, &id).await?;
    let bytes = signed_bytes(&app, &doc).await?;
    access
        .record(&app, &client, "portal.document_downloaded", Some(&doc))
        .await?;
    app.metrics.access("document_downloaded");
    Ok((
        [
            (header::CONTENT_TYPE, media_type(&doc).to_string()),
            (
                header::CONTENT_DISPOSITION,
                disposition("attachment", &download_name(&doc)),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn zip(
    State(app): State<AppState>,
    client: Client,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    access.require_code(&token)?;
    let docs: Vec<Document> = access
        .documents(&app)
        .await?
        .into_iter()
        .filter(is_available)
        .collect();
    if docs.is_empty() {
        return Err(PageError::NotFound);
    }
    let mut entries = Vec::with_capacity(docs.len());
    let mut names = UniqueNames::new();
    for d in &docs {
        let name = names.add(&download_name(d));
        entries.push((name, signed_bytes(&app, d).await?));
    }
    let body = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(name, opts)?;
            w.write_all(&bytes)?;
        }
        Ok(w.finish()?.into_inner())
    })
    .await
    .map_err(PageError::internal)?
    .map_err(PageError::internal)?;
    access
        .record(&app, &client, "portal.documents_downloaded", None)
        .await?;
    app.metrics.access("zip_downloaded");
    let name = format!(
        "{}.zip",
        safe_file_name(access.operation.external_reference.as_ref())
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                disposition("attachment", &name),
            ),
        ],
        body,
    )
        .into_response())
}

/// `Content-Disposition` (RFC 6266) with an ASCII fallback name and the exact UTF-8 name
/// (RFC 8187). Quotes, backslashes, control characters and path separators never get in.
pub fn disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' ' => ' ',
            '"' | '\\' | '/' | '%' => '_',
            c if c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.replace(['/', '\\'], "_").bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_keep_quotes_and_separators_out() {
        assert_eq!(
            disposition("attachment", "fatura-1.pdf"),
            "attachment; filename=\"fatura-1.pdf\"; filename*=UTF-8''fatura-1.pdf"
        );
        assert_eq!(
            disposition("attachment", "a\"b\r\n/ç.xml"),
            "attachment; filename=\"a_b___ç.xml\"; filename*=UTF-8''a%22b%0D%0A_%C3%A7.xml"
                .replace('ç', "_")
        );
    }
}
