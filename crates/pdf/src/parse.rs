//! Tokeniser and object parser (PDF 32000-1 §7.2, §7.3).
//!
//! Every read goes through `get`, so running off the end of attacker data is an error, never a
//! panic; nesting is bounded by [`MAX_DEPTH`] so hostile input cannot exhaust the stack.

use crate::object::{Dict, ObjRef, Object, Stream};
use crate::{corrupt, Result};

/// Deepest array/dictionary nesting accepted. Real files stay far below; the limit only exists so
/// that `[[[[…` cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_whitespace(b) && !is_delimiter(b)
}

/// Parses an unsigned decimal; `None` on anything else or on overflow.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        if d.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

pub(crate) struct Parser<'a> {
    data: &'a [u8],
    pub pos: usize,
}

impl<'a> Parser<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Parser { data, pos }
    }

    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.data.get(self.pos.checked_add(ahead)?).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    pub fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.bump();
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn regular_token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.bump();
        }
        self.data.get(start..self.pos).unwrap_or_default()
    }

    /// The next run of regular characters (a keyword or number), after whitespace.
    pub fn keyword(&mut self) -> &'a [u8] {
        self.skip_whitespace();
        self.regular_token()
    }

    pub fn uint(&mut self) -> Option<u64> {
        parse_u64(self.keyword())
    }

    /// `num gen obj` followed by the object; a dictionary followed by `stream` becomes a stream
    /// whose data is located later (its `/Length` may be an indirect object).
    pub fn indirect_object(&mut self) -> Result<(ObjRef, Object)> {
        let num = self.uint().and_then(|n| u32::try_from(n).ok());
        let gen = self.uint().and_then(|g| u16::try_from(g).ok());
        let (Some(num), Some(gen)) = (num, gen) else {
            return Err(corrupt(format!(
                "expected an object header at offset {}",
                self.pos
            )));
        };
        if self.keyword() != b"obj" {
            return Err(corrupt(format!("object {num} has no 'obj' keyword")));
        }
        let obj = self.object(0)?;
        let r = ObjRef::new(num, gen);
        if let Object::Dict(dict) = obj {
            let save = self.pos;
            if self.keyword() == b"stream" {
                // The keyword is followed by CRLF or LF (§7.3.8.1); a lone CR is tolerated.
                match self.peek() {
                    Some(b'\r') => {
                        self.bump();
                        if self.peek() == Some(b'\n') {
                            self.bump();
                        }
                    }
                    Some(b'\n') => self.bump(),
                    _ => {}
                }
                return Ok((
                    r,
                    Object::Stream(Stream {
                        dict,
                        data_offset: self.pos,
                    }),
                ));
            }
            self.pos = save;
            return Ok((r, Object::Dict(dict)));
        }
        Ok((r, obj))
    }

    pub fn object(&mut self, depth: usize) -> Result<Object> {
        if depth > MAX_DEPTH {
            return Err(corrupt("objects nested too deeply"));
        }
        self.skip_whitespace();
        let Some(b) = self.peek() else {
            return Err(corrupt("unexpected end of data"));
        };
        match b {
            b'/' => Ok(Object::Name(self.name()?)),
            b'(' => Ok(Object::String(self.literal_string()?)),
            b'<' if self.peek_at(1) == Some(b'<') => Ok(Object::Dict(self.dict(depth)?)),
            b'<' => Ok(Object::String(self.hex_string()?)),
            b'[' => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b']') => {
                            self.bump();
                            return Ok(Object::Array(items));
                        }
                        None => return Err(corrupt("unterminated array")),
                        _ => items.push(self.object(depth + 1)?),
                    }
                }
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number_or_ref(),
            _ if is_regular(b) => match self.regular_token() {
                b"true" => Ok(Object::Bool(true)),
                b"false" => Ok(Object::Bool(false)),
                b"null" => Ok(Object::Null),
                other => Err(corrupt(format!(
                    "unexpected token '{}'",
                    String::from_utf8_lossy(other.get(..32).unwrap_or(other))
                ))),
            },
            _ => Err(corrupt(format!(
                "unexpected '{}' at offset {}",
                char::from(b),
                self.pos
            ))),
        }
    }

    pub fn dict(&mut self, depth: usize) -> Result<Dict> {
        if self.peek() != Some(b'<') || self.peek_at(1) != Some(b'<') {
            return Err(corrupt(format!(
                "expected a dictionary at offset {}",
                self.pos
            )));
        }
        self.pos = self.pos.saturating_add(2);
        let mut dict = Dict::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'>') if self.peek_at(1) == Some(b'>') => {
                    self.pos = self.pos.saturating_add(2);
                    return Ok(dict);
                }
                Some(b'/') => {
                    let key = self.name()?;
                    let value = self.object(depth + 1)?;
                    dict.set(&key, value);
                }
                None => return Err(corrupt("unterminated dictionary")),
                Some(_) => {
                    return Err(corrupt(format!(
                        "dictionary key is not a name at offset {}",
                        self.pos
                    )))
                }
            }
        }
    }

    fn number_or_ref(&mut self) -> Result<Object> {
        let tok = self.regular_token();
        if let Some(n) = parse_u64(tok) {
            // `num gen R` looks like two integers until the R: look ahead, rewind if not.
            let save = self.pos;
            if let (Ok(num), Some(gen)) = (u32::try_from(n), self.uint()) {
                if let Ok(gen) = u16::try_from(gen) {
                    if self.keyword() == b"R" {
                        return Ok(Object::Ref(ObjRef::new(num, gen)));
                    }
                }
            }
            self.pos = save;
        }
        parse_number(tok).ok_or_else(|| {
            corrupt(format!(
                "bad number '{}'",
                String::from_utf8_lossy(tok.get(..32).unwrap_or(tok))
            ))
        })
    }

    fn name(&mut self) -> Result<Vec<u8>> {
        self.bump(); // '/'
        let raw = self.regular_token();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while let Some(&b) = raw.get(i) {
            if b == b'#' {
                let hi = raw.get(i + 1).and_then(|&h| hex_value(h));
                let lo = raw.get(i + 2).and_then(|&h| hex_value(h));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
            }
            out.push(b);
            i += 1;
        }
        Ok(out)
    }

    fn literal_string(&mut self) -> Result<Vec<u8>> {
        self.bump(); // '('
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let b = self.peek().ok_or_else(|| corrupt("unterminated string"))?;
            self.bump();
            match b {
                b'(' => {
                    depth = depth.saturating_add(1);
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                b'\\' => {
                    let e = self.peek().ok_or_else(|| corrupt("unterminated string"))?;
                    self.bump();
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.bump();
                                    }
                                    _ => break,
                                }
                            }
                            // High-order overflow is ignored (§7.3.4.2).
                            out.push((v & 0xff) as u8);
                        }
                        // A backslash before an end of line continues the string.
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.bump();
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                // Any end-of-line in a literal string reads as a single LF (§7.3.4.2).
                b'\r' => {
                    if self.peek() == Some(b'\n') {
                        self.bump();
                    }
                    out.push(b'\n');
                }
                _ => out.push(b),
            }
        }
    }

    fn hex_string(&mut self) -> Result<Vec<u8>> {
        self.bump(); // '<'
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let b = self
                .peek()
                .ok_or_else(|| corrupt("unterminated hex string"))?;
            self.bump();
            if b == b'>' {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Ok(out);
            }
            if is_whitespace(b) {
                continue;
            }
            let v = hex_value(b).ok_or_else(|| corrupt("bad character in hex string"))?;
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn parse_number(tok: &[u8]) -> Option<Object> {
    let (negative, body) = match tok.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, tok),
    };
    if body.is_empty() || !body.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let dots = body.iter().filter(|&&b| b == b'.').count();
    if dots == 0 {
        if let Some(v) = parse_u64(body).and_then(|v| i64::try_from(v).ok()) {
            return Some(Object::Int(if negative { -v } else { v }));
        }
    } else if dots > 1 || body == b"." {
        return None;
    }
    // Integers beyond i64 degrade to reals, as readers commonly do.
    let text = std::str::from_utf8(body).ok()?;
    let v: f64 = text.parse().ok()?;
    v.is_finite()
        .then_some(Object::Real(if negative { -v } else { v }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Object> {
        Parser::new(s.as_bytes(), 0).object(0)
    }

    #[test]
    fn scalars_and_refs() {
        assert_eq!(parse("12 0 R").ok(), Some(Object::Ref(ObjRef::new(12, 0))));
        assert_eq!(parse("12 0 obj").ok(), Some(Object::Int(12)));
        assert_eq!(parse("-.5").ok(), Some(Object::Real(-0.5)));
        assert_eq!(parse("+7").ok(), Some(Object::Int(7)));
        assert!(parse("--7").is_err());
        assert!(parse("1.2.3").is_err());
        assert_eq!(parse("null").ok(), Some(Object::Null));
        assert_eq!(parse("/A#20b").ok(), Some(Object::Name(b"A b".to_vec())));
    }

    #[test]
    fn strings() {
        assert_eq!(
            parse(
                r"(a\(b\)c (nested) \101\n\
x)"
            )
            .ok(),
            Some(Object::String(b"a(b)c (nested) A\nx".to_vec()))
        );
        assert_eq!(
            parse("<48 65 6C6C 6f7>").ok(),
            Some(Object::String(b"Hellop".to_vec()))
        );
        assert!(parse("(abc").is_err());
    }

    #[test]
    fn containers() {
        let o =
            parse("<< /Kids [1 0 R 2 0 R] /Count 2 /X << /Y [true false] >> >>").expect("parses");
        let d = o.as_dict().expect("dict");
        assert_eq!(d.get(b"Count"), Some(&Object::Int(2)));
        assert_eq!(
            d.get(b"Kids").and_then(Object::as_array).map(<[_]>::len),
            Some(2)
        );
        let mut out = Vec::new();
        o.write_to(&mut out).expect("writes");
        assert_eq!(
            out,
            b"<< /Kids [1 0 R 2 0 R] /Count 2 /X << /Y [true false] >> >>".to_vec()
        );
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = "[".repeat(100_000);
        assert!(parse(&s).is_err());
        let s = "<< /A ".repeat(100_000);
        assert!(parse(&s).is_err());
    }
}
