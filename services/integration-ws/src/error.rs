//! The one error type of the integration API: the stable JSON body of api-v0.md.
//!
//! `causeMessage` names the offending field and never carries internals: 5xx causes are logged
//! with the request's span and answered without detail.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use signstash_domain::ErrorCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub cause: Option<String>,
    /// Answer "not found" (404) instead of the code's own status. The API page has no code of
    /// its own for it; the body carries `0.0.6` (a path parameter that names nothing).
    pub not_found: bool,
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
            not_found: false,
        }
    }

    /// 404: the thing named does not exist or belongs to another client service.
    pub fn not_found(cause: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::ParameterValidation,
            cause: Some(cause.into()),
            not_found: true,
        }
    }

    pub fn bare(code: ErrorCode) -> Self {
        Self {
            code,
            cause: None,
            not_found: false,
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
        let status = if self.not_found {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::from_u16(self.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        };
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
