//! The error codes of the integration API (api-v0.md, "Errors"). The HTTP services turn an
//! [`ErrorCode`] and a cause message into the body
//! `{"errorCode", "errorCodeDescription", "causeMessage"}`.

/// One row of the API error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 500 `0.0.1`: unhandled error (logged with a request id, returned without detail).
    Internal,
    /// 400 `0.0.2`: mandatory attribute missing or malformed request.
    MandatoryAttributeMissing,
    /// 500 `0.0.3`: missing system default configuration / client service not set up.
    MissingConfiguration,
    /// 413 `0.0.4`: attribute size exceeded.
    AttributeSizeExceeded,
    /// 502 `0.0.5`: e-mail could not be sent.
    EmailNotSent,
    /// 400 `0.0.6`: request parameter validation error.
    ParameterValidation,
    /// 409 `0.0.7`: information already exists (external reference reused).
    AlreadyExists,
    /// 401 `0.0.10`: token expired or invalid.
    InvalidToken,
    /// 429 `0.0.11`: too many parallel requests for this client service.
    TooManyRequests,
    /// 401 `1.1.0`: invalid or missing client service.
    InvalidClientService,
    /// 401 `1.1.1`: client service not active.
    ClientServiceNotActive,
    /// 409 `1.1.3`: client service status does not allow the operation.
    ClientServiceStatusForbids,
    /// 403 `1.2.0`: issuer company not active.
    IssuerNotActive,
    /// 400 `2.2.1`: visible signature elements not present or not fitting.
    VisibleSignature,
    /// 400 `2.3.1`: XAdES `signatureLocation` element not found.
    XadesLocationNotFound,
    /// 422 `2.4.1`: document content does not match its type.
    ContentTypeMismatch,
}

impl ErrorCode {
    /// Every code, in the order of the table.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Internal,
        ErrorCode::MandatoryAttributeMissing,
        ErrorCode::MissingConfiguration,
        ErrorCode::AttributeSizeExceeded,
        ErrorCode::EmailNotSent,
        ErrorCode::ParameterValidation,
        ErrorCode::AlreadyExists,
        ErrorCode::InvalidToken,
        ErrorCode::TooManyRequests,
        ErrorCode::InvalidClientService,
        ErrorCode::ClientServiceNotActive,
        ErrorCode::ClientServiceStatusForbids,
        ErrorCode::IssuerNotActive,
        ErrorCode::VisibleSignature,
        ErrorCode::XadesLocationNotFound,
        ErrorCode::ContentTypeMismatch,
    ];

    /// `(http status, errorCode, errorCodeDescription)`.
    const fn row(self) -> (u16, &'static str, &'static str) {
        match self {
            ErrorCode::Internal => (500, "0.0.1", "Unhandled error"),
            ErrorCode::MandatoryAttributeMissing => (400, "0.0.2", "Mandatory attribute missing"),
            ErrorCode::MissingConfiguration => {
                (500, "0.0.3", "Missing system default configuration")
            }
            ErrorCode::AttributeSizeExceeded => (413, "0.0.4", "Attribute size exceeded"),
            ErrorCode::EmailNotSent => (502, "0.0.5", "E-mail could not be sent"),
            ErrorCode::ParameterValidation => (400, "0.0.6", "Request parameter validation error"),
            ErrorCode::AlreadyExists => (409, "0.0.7", "Information already exists"),
            ErrorCode::InvalidToken => (401, "0.0.10", "Token expired or invalid"),
            ErrorCode::TooManyRequests => (429, "0.0.11", "Too many parallel requests"),
            ErrorCode::InvalidClientService => (401, "1.1.0", "Invalid or missing client service"),
            ErrorCode::ClientServiceNotActive => (401, "1.1.1", "Client service not active"),
            ErrorCode::ClientServiceStatusForbids => (
                409,
                "1.1.3",
                "Client service status does not allow the operation",
            ),
            ErrorCode::IssuerNotActive => (403, "1.2.0", "Issuer company not active"),
            ErrorCode::VisibleSignature => (
                400,
                "2.2.1",
                "Visible signature elements not present or not fitting",
            ),
            ErrorCode::XadesLocationNotFound => {
                (400, "2.3.1", "Signature location element not found")
            }
            ErrorCode::ContentTypeMismatch => {
                (422, "2.4.1", "Document content does not match its type")
            }
        }
    }

    /// The HTTP status code.
    pub const fn http_status(self) -> u16 {
        self.row().0
    }

    /// The `errorCode` string, e.g. `"0.0.7"`.
    pub const fn code(self) -> &'static str {
        self.row().1
    }

    /// The `errorCodeDescription`.
    pub const fn description(self) -> &'static str {
        self.row().2
    }

    /// The code with that `errorCode` string.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode::*;
    use super::*;

    #[test]
    fn the_table_of_api_v0() {
        let table: Vec<(u16, &str)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.http_status(), c.code()))
            .collect();
        assert_eq!(
            table,
            [
                (500, "0.0.1"),
                (400, "0.0.2"),
                (500, "0.0.3"),
                (413, "0.0.4"),
                (502, "0.0.5"),
                (400, "0.0.6"),
                (409, "0.0.7"),
                (401, "0.0.10"),
                (429, "0.0.11"),
                (401, "1.1.0"),
                (401, "1.1.1"),
                (409, "1.1.3"),
                (403, "1.2.0"),
                (400, "2.2.1"),
                (400, "2.3.1"),
                (422, "2.4.1"),
            ]
        );
        assert_eq!(
            MandatoryAttributeMissing.description(),
            "Mandatory attribute missing"
        );
        assert_eq!(
            AlreadyExists.to_string(),
            "0.0.7 Information already exists"
        );
    }

    #[test]
    fn codes_are_unique_and_found_back() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
            assert!(!code.description().is_empty());
        }
        assert_eq!(ErrorCode::from_code("9.9.9"), None);
    }
}
