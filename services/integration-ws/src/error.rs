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
/// (the historic service answered 500 here); the cause names the field and the JSON type it
/// needs ([`json_cause`]). For a body that must be an object, [`ApiError::object_body`].
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::json_rejection(rejection, Shape::Any)
    }
}

impl ApiError {
    /// [`From<JsonRejection>`] for a body that must be a JSON object: an array there is named
    /// as such rather than by its first element (serde reads an array into a struct field by
    /// field, so its complaint would be about `[0]`).
    pub fn object_body(rejection: JsonRejection) -> Self {
        Self::json_rejection(rejection, Shape::Object)
    }

    fn json_rejection(rejection: JsonRejection, shape: Shape) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Self::attribute("Content-Type must be application/json")
            }
            JsonRejection::BytesRejection(_) => Self::new(
                ErrorCode::AttributeSizeExceeded,
                "request body too large or unreadable",
            ),
            JsonRejection::JsonDataError(e) => Self::attribute(cause_of(&e, shape)),
            JsonRejection::JsonSyntaxError(e) => Self::attribute(cause_of(&e, shape)),
            _ => Self::attribute(format!("{BODY} is not valid JSON")),
        }
    }
}

/// What a JSON document must be at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Object,
    Any,
}

/// How causes name the JSON body itself.
const BODY: &str = "the request body";

/// The cause of axum's rejection, from the serde error inside it.
fn cause_of(rejection: &(dyn std::error::Error + 'static), shape: Shape) -> String {
    let mut source = rejection.source();
    while let Some(e) = source {
        if let Some(e) = e.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            return json_cause(BODY, shape, Some(e.path()), e.inner());
        }
        if let Some(e) = e.downcast_ref::<serde_json::Error>() {
            return json_cause(BODY, shape, None, e);
        }
        source = e.source();
    }
    format!("{BODY} is not valid JSON")
}

/// `bytes` as a JSON object of type `T`, for JSON that is not the whole body (the multipart
/// variant's `signRequest` part, called `part`); errors as the JSON body's are.
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8], part: &str) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        ApiError::attribute(json_cause(part, Shape::Object, Some(e.path()), e.inner()))
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::attribute(json_cause(part, Shape::Object, None, &e)))?;
    Ok(value)
}

/// A serde error as an integrator reads it: the field (`documents[0].documentRequest`, or
/// `root` for the whole JSON) and what JSON it needs, e.g. `documents[0].documentRequest:
/// expected an object, found a string`. serde's own words name Rust types (`struct
/// SignRequest`, `a sequence`, `u32`) and are never passed on.
pub fn json_cause(
    root: &str,
    shape: Shape,
    path: Option<&serde_path_to_error::Path>,
    e: &serde_json::Error,
) -> String {
    // An object read from an array fails at its first element that does not fit, so the path
    // starts with an index: the array itself is what is wrong.
    let array_at_root = path
        .and_then(|p| p.iter().next())
        .is_some_and(|s| matches!(s, serde_path_to_error::Segment::Seq { .. }));
    if shape == Shape::Object && array_at_root {
        return format!("{root}: expected an object, found an array");
    }
    // A path may hold keys the client made up (fields we ignore): keep it short.
    let path = path
        .map(|p| shortened(&p.to_string(), 255))
        .filter(|p| p != ".");
    let position = format!(" at line {} column {}", e.line(), e.column());
    let text = e.to_string();
    let message = text.strip_suffix(&position).unwrap_or(&text);
    if e.classify() != serde_json::error::Category::Data {
        return match path {
            Some(field) => format!("{field}: {message}{position}"),
            None => format!("{root} is not valid JSON: {message}{position}"),
        };
    }
    let field = path.as_deref().unwrap_or(root);
    let within = |name: &str| match path.as_deref() {
        Some(p) => format!("{p}.{name}"),
        None => name.to_owned(),
    };
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return format!(
                "{field}: expected {}, found {}",
                json_expected(expected),
                json_found(found)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((_, expected)) = rest.rsplit_once(", expected ") {
            return format!(
                "{field}: expected {}, found an array",
                json_expected(expected)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if let Some((value, expected)) = rest.rsplit_once("`, expected ") {
            let value = shortened(value, 64);
            return format!("{field}: unknown value `{value}`, expected {expected}");
        }
    }
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("{} is required", within(name));
    }
    if let Some(name) = message
        .strip_prefix("duplicate field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("{} is given twice", within(name));
    }
    format!("{field}: not a valid value")
}

/// At most `max` characters of `text`, `…` marking a cut.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The JSON type a serde `expected …` text stands for.
fn json_expected(expected: &str) -> &'static str {
    const INTEGERS: [&str; 12] = [
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
    ];
    if expected.starts_with("struct ") || expected.starts_with("a map") {
        "an object"
    } else if expected.starts_with("a sequence") || expected.starts_with("tuple") {
        "an array"
    } else if expected == "a boolean" {
        "a boolean"
    } else if expected.contains("string")
        || expected.contains("char")
        || expected.starts_with("enum ")
        || expected.starts_with("one of ")
        || expected.ends_with("identifier")
    {
        "a string"
    } else if INTEGERS.contains(&expected) || expected.contains("integer") {
        "a whole number"
    } else if expected == "f32" || expected == "f64" || expected.contains("number") {
        "a number"
    } else if expected == "unit" {
        "null"
    } else {
        "another kind of value"
    }
}

/// The JSON type of what serde found, from its `invalid type: …` text.
fn json_found(found: &str) -> &'static str {
    if found.starts_with("string ") || found.starts_with("character ") {
        "a string"
    } else if found.starts_with("integer ") || found.starts_with("floating point ") {
        "a number"
    } else if found.starts_with("boolean ") {
        "a boolean"
    } else if found == "sequence" {
        "an array"
    } else if found == "map" {
        "an object"
    } else if found == "unit value" || found == "null" {
        "null"
    } else {
        "another kind of value"
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
