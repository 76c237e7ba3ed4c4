//! Requests no route takes: a path that names no endpoint, a method an endpoint does not take.
//! Under `/api/v0` they get the API's error body after the same authentication as every route
//! (a request without a valid token hears about its token, whatever its path); under `/oauth`
//! and `/oauth2` the token server's RFC 6749 body. Other paths (health, metrics, OpenAPI) keep
//! bare statuses.

use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use signstash_oauth::{BearerClient, TokenRejection};

use crate::error::ApiError;
use crate::routes::sign::authenticate;
use crate::state::AppState;

/// How much of a path an error names.
const MAX_PATH_IN_CAUSE: usize = 200;

enum Area {
    Api,
    OAuth,
    Other,
}

fn area(path: &str) -> Area {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api/v0") {
        Area::Api
    } else if under("/oauth") || under("/oauth2") {
        Area::OAuth
    } else {
        Area::Other
    }
}

/// The path as an error names it: as received (percent-encoded, so ASCII), cut short.
fn shown(uri: &Uri) -> String {
    let path = uri.path();
    match path.char_indices().nth(MAX_PATH_IN_CAUSE) {
        Some((at, _)) => format!("{}…", &path[..at]),
        None => path.to_owned(),
    }
}

/// The router's fallback: 404, under `/api/v0` with body `0.0.6`.
pub async fn not_found(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    method: Method,
    uri: Uri,
) -> Response {
    match area(uri.path()) {
        Area::Api => match authenticate(&app, bearer).await {
            Err(e) => e.into_response(),
            Ok(_) => {
                ApiError::not_found(format!("no endpoint {method} {}", shown(&uri))).into_response()
            }
        },
        Area::OAuth => signstash_oauth::unknown_endpoint(),
        Area::Other => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The fallback of every route for the methods it does not take: 405, under `/api/v0` with
/// body `0.0.2` (a malformed request). axum adds the route's `Allow` header.
pub async fn method_not_allowed(
    State(app): State<AppState>,
    bearer: Result<BearerClient, TokenRejection>,
    method: Method,
    uri: Uri,
) -> Response {
    match area(uri.path()) {
        Area::Api => match authenticate(&app, bearer).await {
            Err(e) => e.into_response(),
            Ok(_) => {
                ApiError::method_not_allowed(format!("{} does not take {method}", shown(&uri)))
                    .into_response()
            }
        },
        // The token server's routes answer their own wrong methods; none reaches here.
        Area::OAuth | Area::Other => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}
