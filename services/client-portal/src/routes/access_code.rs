//! The access code some client services ask for before their documents show: a short code
//! e-mailed (a second e-mail, sent from here when the link is opened) to the receiver the
//! link was sent to. A right code opens a session for that link in that browser (a cookie
//! scoped to the link's path); codes are single use, expire, and a code is void after a few
//! wrong tries. Codes sent per link are capped per day, and wrong codes count against the
//! address like wrong links do.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use rand::Rng as _;
use serde_json::json;
use signstash_delivery::PortalToken;
use signstash_store::{portal_links, rate_limits};
use time::OffsetDateTime;

use crate::access::{sha256, Access, Client, CodeState, SESSION_COOKIE};
use crate::error::PageError;
use crate::i18n::Texts;
use crate::page::Chrome;
use crate::state::{App, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{token}/code", post(submit))
        .route("/d/{token}/code/new", post(new_code))
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage<'a> {
    c: Chrome,
    t: &'static Texts,
    issuer: &'a str,
    base: String,
    masked: String,
    message: Option<&'static str>,
    error: bool,
    locked: bool,
}

#[derive(serde::Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `r•••@example.com`: enough for receivers to recognise their address, not to learn it.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

/// Whether the link's code can still be given.
fn current(app: &App, code: &CodeState) -> bool {
    let fresh = code
        .sent_at
        .is_some_and(|sent| OffsetDateTime::now_utc() - sent < app.limits.code_validity);
    code.hash.is_some() && fresh && code.failures < app.limits.code_attempts
}

fn render(
    access: &Access,
    chrome: Chrome,
    base: String,
    message: Option<&'static str>,
    error: bool,
    locked: bool,
) -> Result<Response, PageError> {
    let page = CodePage {
        t: chrome.t,
        c: chrome,
        issuer: &access.client_service.issuer.name,
        base,
        masked: masked(access.link.receiver_email.as_ref()),
        message,
        error,
        locked,
    };
    let html = page.render().map_err(PageError::internal)?;
    Ok(page.c.respond(html))
}

enum Sent {
    Yes,
    TooSoon,
    Failed,
}

/// Makes, stores (hashed) and e-mails a new code, unless one went out too recently or the
/// link's daily allowance is spent.
async fn send_code(
    app: &App,
    access: &Access,
    client: &Client,
    t: &Texts,
) -> Result<Sent, PageError> {
    let now = OffsetDateTime::now_utc();
    if access
        .code
        .sent_at
        .is_some_and(|sent| now - sent < app.limits.code_resend_after)
    {
        return Ok(Sent::TooSoon);
    }
    let scope = format!("code-send:{}", access.link.id.0);
    let day = time::Duration::days(1);
    if rate_limits::count(&app.db, &scope, day).await? >= app.limits.codes_per_day {
        return Ok(Sent::TooSoon);
    }
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    let to_hash = code.clone();
    let hash = tokio::task::spawn_blocking(move || signstash_oauth::secret::hash_secret(&to_hash))
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    // Stored before it leaves: a mail never carries a code that does not exist.
    portal_links::set_access_code(&app.db, access.link.id, &hash).await?;
    rate_limits::record(&app.db, &scope, day).await?;
    let issuer = &access.client_service.issuer.name;
    match app
        .mailer
        .send(access.link.receiver_email.as_ref(), t, issuer, &code)
        .await
    {
        Ok(()) => {
            access
                .record(app, client, "portal.access_code_sent", None)
                .await?;
            app.metrics.access("code_sent");
            Ok(Sent::Yes)
        }
        Err(e) => {
            tracing::error!(link = access.link.id.0, error = %e, "access code not sent");
            Ok(Sent::Failed)
        }
    }
}

/// The page of a link whose code is pending: a code is sent first when none can be given.
pub async fn show(
    app: &App,
    access: &Access,
    client: &Client,
    chrome: Chrome,
    base: String,
) -> Result<Response, PageError> {
    let mut message = None;
    let locked_out = access.code.hash.is_some() && access.code.failures >= app.limits.code_attempts;
    if !current(app, &access.code) && !locked_out {
        message = match send_code(app, access, client, chrome.t).await? {
            Sent::Yes | Sent::TooSoon => None,
            Sent::Failed => Some(chrome.t.code_unsent),
        };
    }
    let (message, error) = if locked_out {
        (Some(chrome.t.code_locked), true)
    } else {
        (message, message.is_some())
    };
    access
        .record(app, client, "portal.access_code_asked", None)
        .await?;
    render(access, chrome, base, message, error, locked_out)
}

async fn submit(
    State(app): State<AppState>,
    client: Client,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    let base = format!("/d/{token}");
    if !access.code_pending {
        return Err(PageError::CodeRequired(base));
    }
    let entered: String = form.code.chars().filter(char::is_ascii_digit).collect();
    let right = match (&access.code.hash, current(&app, &access.code)) {
        (Some(hash), true) if entered.len() == 6 => {
            let hash = hash.clone();
            tokio::task::spawn_blocking(move || {
                signstash_oauth::secret::verify_secret(&entered, &hash)
            })
            .await
            .map_err(PageError::internal)?
        }
        _ => false,
    };
    if right {
        portal_links::clear_access_code(&app.db, access.link.id).await?;
        let session = PortalToken::generate();
        let lifetime = app.limits.session;
        portal_links::create_session(
            &app.db,
            &sha256(&session)?,
            access.link.id,
            OffsetDateTime::now_utc() + lifetime,
        )
        .await?;
        access
            .record(&app, &client, "portal.access_code_accepted", None)
            .await?;
        app.metrics.access("code_accepted");
        let cookie = format!(
            "{SESSION_COOKIE}={}; Path={base}; Max-Age={}; HttpOnly; SameSite=Lax{}",
            session.expose_secret(),
            lifetime.whole_seconds(),
            if app.secure_cookies { "; Secure" } else { "" }
        );
        let cookie = HeaderValue::from_str(&cookie).map_err(PageError::internal)?;
        return Ok((
            StatusCode::SEE_OTHER,
            [
                (
                    header::LOCATION,
                    HeaderValue::from_str(&base).map_err(PageError::internal)?,
                ),
                (header::SET_COOKIE, cookie),
            ],
        )
            .into_response());
    }
    let failures = if access.code.hash.is_some() {
        portal_links::access_code_failed(&app.db, access.link.id).await?
    } else {
        0
    };
    // Wrong codes count against the address as wrong links do.
    rate_limits::record(
        &app.db,
        &format!("link:{}", client.scope()),
        app.limits.failure_window,
    )
    .await?;
    access
        .record_details(
            &app,
            &client,
            "portal.access_code_refused",
            None,
            json!({"failures": failures}),
        )
        .await?;
    app.metrics.access("code_refused");
    let chrome = Chrome::new(&app, &access, &base, None, &headers).await?;
    let locked = failures >= app.limits.code_attempts;
    let message = if locked {
        chrome.t.code_locked
    } else {
        chrome.t.code_wrong
    };
    render(&access, chrome, base, Some(message), true, locked)
}

async fn new_code(
    State(app): State<AppState>,
    client: Client,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let access = Access::open(&app, &token, &client).await?;
    let base = format!("/d/{token}");
    if !access.code_pending {
        return Err(PageError::CodeRequired(base));
    }
    let chrome = Chrome::new(&app, &access, &base, query.as_deref(), &headers).await?;
    let (message, error) = match send_code(&app, &access, &client, chrome.t).await? {
        Sent::Yes => (chrome.t.code_sent, false),
        Sent::TooSoon => (chrome.t.code_wait, true),
        Sent::Failed => (chrome.t.code_unsent, true),
    };
    render(&access, chrome, base, Some(message), error, false)
}
