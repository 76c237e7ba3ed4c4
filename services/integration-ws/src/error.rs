//! The one error type of the integration API: the stable JSON body of api-v0.md.
//!
//! `causeMessage` names the offending field and never carries internals: 5xx causes are logged
//! with the request's span and answered without detail.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use signstash_domain::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub cause: Option<String>,
    /// Answer this instead of the code's own status: 404 for a path that names nothing
    /// (body `0.0.6`), 405 for a method a path does not take (body `0.0.2`). The API page has
    /// no codes of their own for them.
    pub status: Option<StatusCode>,
}

/// The error body of every API route.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The code of the API page's table, e.g. `0.0.2`.
    #[schema(example = "0.0.2")]
    pub error_code: String,
    #[schema(example = "Mandatory attribute missing")]
    pub error_code_description: String,
    /// Names the offending field; absent detail for 5xx.
    #[schema(example = "documents[0].documentRequest.name is required")]
    pub cause_message: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, cause: impl Into<String>) -> Self {
        Self {
            code,
            cause: Some(cause.into()),
            status: None,
        }
    }

    /// 404 `0.0.6`: the thing named does not exist or belongs to another client service, or
    /// the path names no endpoint.
    pub fn not_found(cause: impl Into<String>) -> Self {
        Self {
            status: Some(StatusCode::NOT_FOUND),
            ..Self::new(ErrorCode::ParameterValidation, cause)
        }
    }

    /// 405 `0.0.2`: the path's endpoint does not take this method (a malformed request).
    pub fn method_not_allowed(cause: impl Into<String>) -> Self {
        Self {
            status: Some(StatusCode::METHOD_NOT_ALLOWED),
            ..Self::attribute(cause)
        }
    }

    pub fn bare(code: ErrorCode) -> Self {
        Self {
            code,
            cause: None,
            status: None,
        }
    }

    /// A mandatory or malformed attribute (400 `0.0.2`).
    pub fn attribute(cause: impl Into<String>) -> Self {
        Self::new(ErrorCode::MandatoryAttributeMissing, cause)
    }

    /// An unexpected failure: logged here, answered as a bare 500 `0.0.1`.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::bare(ErrorCode::Internal)
    }

    pub fn body(&self) -> serde_json::Value {
        let cause = if self.code == ErrorCode::Internal {
            None
        } else {
            self.cause.as_deref()
        };
        serde_json::to_value(ErrorBody {
            error_code: self.code.code().to_owned(),
            error_code_description: self.code.description().to_owned(),
            cause_message: cause.map(str::to_owned),
        })
        .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        let mut response = (status, axum::Json(self.body())).into_response();
        if self.code == ErrorCode::TooManyRequests {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

/// Bad JSON, wrong content type, a wrong field type or an unknown enum value: 400 `0.0.2`
/// (the historic service answered 500 here), naming what serde names.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Self::attribute("Content-Type must be application/json")
            }
            JsonRejection::BytesRejection(_) => Self::new(
                ErrorCode::AttributeSizeExceeded,
                "request body too large or unreadable",
            ),
            other => Self::attribute(other.body_text()),
        }
    }
}

/// A path parameter that cannot be read (`%ff`, not UTF-8 once decoded): 400 `0.0.6`, naming
/// the parameter as the API page does. Handlers take `Result<Path<_>, PathRejection>` and
/// convert it after authentication, so a request without a valid token hears about its token.
impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_server_error() {
            return Self::internal(rejection.body_text());
        }
        let cause = match &rejection {
            PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                ErrorKind::InvalidUtf8InPathParam { key } => {
                    format!("{} is not valid UTF-8 once percent-decoded", api_name(key))
                }
                _ => "a path parameter cannot be read".to_owned(),
            },
            _ => "a path parameter cannot be read".to_owned(),
        };
        Self::new(ErrorCode::ParameterValidation, cause)
    }
}

/// The API page's name of a route's path parameter.
fn api_name(key: &str) -> &str {
    match key {
        "reference" => "externalReference",
        "id" => "operationId",
        "include" => "includeContent",
        "attach" => "attachDocuments",
        other => other,
    }
}

/// What the signing engine refuses becomes the code of the API page; the rest is internal.
impl From<signstash_signing::Error> for ApiError {
    fn from(e: signstash_signing::Error) -> Self {
        use signstash_signing::Error as E;
        match &e {
            E::Pdf(_) | E::Xml(_) => Self::new(ErrorCode::ContentTypeMismatch, e.to_string()),
            E::SignatureLocationNotFound(_) => {
                Self::new(ErrorCode::XadesLocationNotFound, e.to_string())
            }
            E::VisibleSignature(_) => Self::new(ErrorCode::VisibleSignature, e.to_string()),
            E::EmptyDocument => Self::attribute(e.to_string()),
            E::DocumentTooLarge { .. } => {
                Self::new(ErrorCode::AttributeSizeExceeded, e.to_string())
            }
            E::TimestampAuthorityMissing => Self::bare(ErrorCode::MissingConfiguration),
            _ => Self::internal(e),
        }
    }
}
