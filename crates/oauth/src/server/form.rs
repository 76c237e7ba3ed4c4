//! `application/x-www-form-urlencoded` decoding: the token request body (RFC 6749 §4.4.2)
//! and the Basic credentials (RFC 6749 §2.3.1).

/// Decodes one form component: `+` is a space, `%XX` a byte, the result must be UTF-8.
/// `None` for a bad escape or bytes that are not UTF-8.
pub(crate) fn decode_component(input: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex(*input.get(i + 1)?)?;
                let lo = hex(*input.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The parameters of a token request. Unknown parameters are ignored (RFC 6749 §3.2).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TokenRequest {
    pub grant_type: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Why a body is not a token request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FormError {
    /// A component with a bad `%` escape or not UTF-8.
    Encoding,
    /// A parameter sent twice (RFC 6749 §3.2 forbids it).
    Repeated(&'static str),
}

pub(crate) fn parse_token_request(body: &[u8]) -> Result<TokenRequest, FormError> {
    let mut request = TokenRequest::default();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode_component(name).ok_or(FormError::Encoding)?;
        let value = decode_component(value).ok_or(FormError::Encoding)?;
        let (slot, name) = match name.as_str() {
            "grant_type" => (&mut request.grant_type, "grant_type"),
            "scope" => (&mut request.scope, "scope"),
            "client_id" => (&mut request.client_id, "client_id"),
            "client_secret" => (&mut request.client_secret, "client_secret"),
            _ => continue,
        };
        if slot.is_some() {
            return Err(FormError::Repeated(name));
        }
        // RFC 6749 §3.2: a parameter sent without a value is as if omitted.
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_components() {
        assert_eq!(decode_component(b"a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(decode_component(b"%C3%A7%3a%25").as_deref(), Some("ç:%"));
        assert_eq!(decode_component(b"plain").as_deref(), Some("plain"));
        assert_eq!(decode_component(b"bad%2"), None);
        assert_eq!(decode_component(b"bad%zz"), None);
        assert_eq!(decode_component(b"%ff"), None);
    }

    #[test]
    fn parses_token_requests() {
        let r = parse_token_request(
            b"grant_type=client_credentials&scope=read+write&client_id=demo&client_secret=s%26x&other=1",
        )
        .expect("parse");
        assert_eq!(r.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(r.scope.as_deref(), Some("read write"));
        assert_eq!(r.client_id.as_deref(), Some("demo"));
        assert_eq!(r.client_secret.as_deref(), Some("s&x"));
        assert_eq!(
            parse_token_request(b"").expect("empty"),
            TokenRequest::default()
        );
        assert_eq!(
            parse_token_request(b"grant_type=&scope").expect("empty values"),
            TokenRequest::default()
        );
        assert_eq!(
            parse_token_request(b"grant_type=a&grant_type=b"),
            Err(FormError::Repeated("grant_type"))
        );
        assert_eq!(
            parse_token_request(b"grant_type=%"),
            Err(FormError::Encoding)
        );
    }
}
