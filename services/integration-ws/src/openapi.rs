//! The OpenAPI description of the integration API, generated from the handlers and wire types
//! (utoipa), served at `/openapi.json` with Swagger UI at `/swagger-ui/` (its assets are
//! vendored in the binary: nothing is fetched from a CDN). `openapi/integration-ws.json` in the
//! repository is this document; a test fails when they drift apart.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ErrorBody;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sign'Stash integration API",
        version = "0",
        description = "Sign PDF (PAdES), XML (XAdES) and any other document (CAdES) with the client service's qualified certificate; recover, read and download operations; resend their e-mails; hash signing for the on-premise proxy. Wire contract of the historic Sign'Stash API v0: existing integrations change only their base URL."
    ),
    paths(
        token,
        jwks,
        routes::sign::sign_base64,
        routes::sign::sign_multipart,
        routes::operations::id_by_document_reference,
        routes::operations::status,
        routes::operations::detail,
        routes::operations::zip,
        routes::delivery::resend,
        routes::hash::certificate,
        routes::hash::hash_sign,
        routes::timestamp::timestamp,
    ),
    components(schemas(ErrorBody, TokenResponse, OAuthError)),
    modifiers(&BearerAuth),
    tags(
        (name = "oauth", description = "OAuth2 client credentials (RFC 6749 §4.4)"),
        (name = "signing", description = "Sign documents"),
        (name = "operations", description = "Recovery and reads"),
        (name = "delivery", description = "E-mail to the receivers"),
        (name = "proxy", description = "For the on-premise proxy: certificate, hash signing, timestamps"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `POST /oauth/token`"))
                    .build(),
            ),
        );
    }
}

/// The document as served and committed (pretty JSON, trailing newline).
pub fn document() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

/// `/openapi.json` and `/swagger-ui/`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::from(SwaggerUi::new("/swagger-ui").url("/openapi.json", ApiDoc::openapi()))
        .with_state(())
}

// The routes below are served by `signstash_oauth::router`; these functions only carry their
// description.

/// The token response of RFC 6749 §5.1.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TokenResponse {
    /// A JWT (ES256, with `kid`), checkable against `/oauth/jwks.json`.
    access_token: String,
    #[schema(example = "bearer")]
    token_type: String,
    #[schema(example = 86399)]
    expires_in: i64,
    scope: String,
}

/// An error of RFC 6749 §5.2.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct OAuthError {
    #[schema(example = "invalid_client")]
    error: String,
    error_description: Option<String>,
}

/// Client credentials grant: `grant_type=client_credentials`, the client by HTTP Basic or by
/// `client_id`/`client_secret` form fields. Also served at
/// `/oauth2/authorization-server/oauth/token`.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "oauth",
    request_body(content_type = "application/x-www-form-urlencoded", content = String, description = "`grant_type=client_credentials` [`&client_id=…&client_secret=…`]"),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type`", body = OAuthError),
        (status = 401, description = "`invalid_client` (with `WWW-Authenticate`)", body = OAuthError),
        (status = 429, description = "`slow_down`: too many failed client authentications from this address, for this client id or in all (with `Retry-After`)", body = OAuthError),
    )
)]
#[allow(dead_code)]
fn token() {}

/// The public keys that sign access tokens (JWKS), for checking tokens offline.
#[utoipa::path(
    get,
    path = "/oauth/jwks.json",
    tag = "oauth",
    responses((status = 200, description = "A JSON Web Key Set", content_type = "application/json", body = Object))
)]
#[allow(dead_code)]
fn jwks() {}
