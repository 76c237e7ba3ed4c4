//! What every page of an opened link shares: its language (chosen by the receiver or the
//! client service's), the language switch, and the client service's brand (its portal
//! template's CSS and logo over the default look).

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use signstash_domain::{Language, TemplateKind};
use signstash_store::templates::{self, Template};

use crate::access::Access;
use crate::error::PageError;
use crate::i18n::{choose, language_cookie, texts, Texts, LANGUAGES};
use crate::state::App;

/// A link of the language switch.
pub struct LanguageLink {
    pub code: &'static str,
    pub lang: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// The frame of a page: language, brand, switch.
pub struct Chrome {
    pub t: &'static Texts,
    pub language: Language,
    /// The client service's stylesheet, after the default one.
    pub brand_css: Option<String>,
    /// The logo shown in the header (the client service's, else Sign'Stash's).
    pub logo_src: String,
    pub logo_alt: String,
    pub languages: Vec<LanguageLink>,
    /// The path the language switch links to (the page itself; the link's page by default).
    pub here: String,
    /// Set when the receiver just chose a language.
    remember: bool,
}

impl Chrome {
    /// The frame for `access`, under `base` (`/d/{token}`), in the language the request asks
    /// for (`?lang=`, the cookie) or the client service's.
    pub async fn new(
        app: &App,
        access: &Access,
        base: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<Self, PageError> {
        let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
        let (language, remember) = choose(query, cookies, access.client_service.language);
        let brand = brand(app, access).await?;
        let issuer = &access.client_service.issuer.name;
        let (logo_src, logo_alt) = match &brand {
            Some(b) if logo_type(b).is_some() => (format!("{base}/brand-logo"), issuer.clone()),
            _ => ("/assets/logo.svg".to_string(), "Sign'Stash".to_string()),
        };
        Ok(Self {
            t: texts(language),
            language,
            brand_css: brand
                .as_ref()
                .filter(|b| !b.body.trim().is_empty())
                .map(|_| format!("{base}/brand.css")),
            logo_src,
            logo_alt,
            languages: LANGUAGES
                .iter()
                .map(|l| {
                    let t = texts(*l);
                    LanguageLink {
                        code: t.code,
                        lang: t.lang,
                        name: t.language_name,
                        current: *l == language,
                    }
                })
                .collect(),
            here: base.to_string(),
            remember,
        })
    }

    /// The switch links to `path` instead of the link's page.
    pub fn at(mut self, path: String) -> Self {
        self.here = path;
        self
    }

    /// `html` as the response, remembering a language the receiver just chose.
    pub fn respond(&self, html: String) -> Response {
        let mut response = axum::response::Html(html).into_response();
        if self.remember {
            if let Ok(cookie) = HeaderValue::from_str(&language_cookie(self.language)) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
        }
        response
    }
}

/// The portal template the client service uses (its own, else the system default), if any.
pub async fn brand(app: &App, access: &Access) -> Result<Option<Template>, PageError> {
    Ok(templates::effective(
        &app.db,
        access.client_service.id,
        TemplateKind::Portal,
        Some(access.client_service.language),
    )
    .await?)
}

/// The logo's media type when it is an image a page may show; `None` otherwise (then the
/// default logo is shown).
pub fn logo_type(template: &Template) -> Option<&'static str> {
    template.logo.as_ref().filter(|l| !l.is_empty())?;
    match template.logo_content_type.as_deref()? {
        "image/png" => Some("image/png"),
        "image/jpeg" => Some("image/jpeg"),
        "image/gif" => Some("image/gif"),
        "image/webp" => Some("image/webp"),
        "image/svg+xml" => Some("image/svg+xml"),
        _ => None,
    }
}
