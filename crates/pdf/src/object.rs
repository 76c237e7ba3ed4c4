//! The object model (PDF 32000-1 §7.3) and its serialisation.

use std::fmt::Write as _;

use crate::{Error, Result};

/// A reference to an indirect object: `num gen R`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub num: u32,
    pub gen: u16,
}

impl ObjRef {
    pub fn new(num: u32, gen: u16) -> Self {
        ObjRef { num, gen }
    }
}

/// A stream as found in the file: its dictionary and where its data starts. The data itself is
/// located (and its `/Length` resolved) only when asked for, see
/// [`Document::stream_data`](crate::Document::stream_data).
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub dict: Dict,
    /// Absolute offset in the file of the first data byte.
    pub data_offset: usize,
}

/// A PDF object. Strings are raw bytes (their encoding is up to the key that holds them).
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    String(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    Stream(Stream),
    Ref(ObjRef),
}

impl Object {
    pub fn name(n: &str) -> Object {
        Object::Name(n.as_bytes().to_vec())
    }

    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Object::Dict(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Object]> {
        match self {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_reference(&self) -> Option<ObjRef> {
        match self {
            Object::Ref(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_string(&self) -> Option<&[u8]> {
        match self {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    /// Serialises the object. Streams cannot be serialised here: their data lives in the
    /// original file and this crate never rewrites them.
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Object::Null => out.extend_from_slice(b"null"),
            Object::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Object::Int(i) => push_fmt(out, format_args!("{i}")),
            Object::Real(r) => {
                if !r.is_finite() {
                    return Err(Error::Unsupported("non-finite real number".into()));
                }
                // `Display` for f64 prints the shortest exact form and never uses an exponent,
                // which PDF syntax does not allow.
                push_fmt(out, format_args!("{r}"));
            }
            Object::String(s) => write_string(out, s),
            Object::Name(n) => write_name(out, n),
            Object::Array(a) => {
                out.push(b'[');
                for (i, item) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    item.write_to(out)?;
                }
                out.push(b']');
            }
            Object::Dict(d) => d.write_to(out)?,
            Object::Stream(_) => {
                return Err(Error::Unsupported(
                    "a stream object would have to be rewritten".into(),
                ))
            }
            Object::Ref(r) => push_fmt(out, format_args!("{} {} R", r.num, r.gen)),
        }
        Ok(())
    }
}

/// A dictionary that keeps its keys in file order, so a rewritten object reads like the original.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dict(Vec<(Vec<u8>, Object)>);

impl Dict {
    pub fn new() -> Self {
        Dict(Vec::new())
    }

    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Replaces the value in place (keeping the key's position) or appends the key.
    pub fn set(&mut self, key: &[u8], value: Object) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_vec(), value)),
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Object> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Object)> {
        self.0.iter().map(|(k, v)| (k.as_slice(), v))
    }

    /// True when `/Type` is the given name.
    pub fn has_type(&self, ty: &[u8]) -> bool {
        self.get(b"Type").and_then(Object::as_name) == Some(ty)
    }

    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(b"<<");
        for (k, v) in &self.0 {
            out.push(b' ');
            write_name(out, k);
            out.push(b' ');
            v.write_to(out)?;
        }
        out.extend_from_slice(b" >>");
        Ok(())
    }
}

impl FromIterator<(Vec<u8>, Object)> for Dict {
    fn from_iter<I: IntoIterator<Item = (Vec<u8>, Object)>>(iter: I) -> Self {
        let mut d = Dict::new();
        for (k, v) in iter {
            d.set(&k, v);
        }
        d
    }
}

fn push_fmt(out: &mut Vec<u8>, args: std::fmt::Arguments<'_>) {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = s.write_fmt(args);
    out.extend_from_slice(s.as_bytes());
}

/// Printable ASCII goes out as a literal string (readable in the file); anything else as hex,
/// which is shorter than octal escapes and immune to EOL normalisation.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.iter().all(|b| (0x20..=0x7e).contains(b)) {
        out.push(b'(');
        for &b in s {
            if matches!(b, b'(' | b')' | b'\\') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b')');
    } else {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        out.push(b'<');
        for &b in s {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        }
        out.push(b'>');
    }
}

pub(crate) fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'/');
    for &b in n {
        if (0x21..=0x7e).contains(&b) && b != b'#' && !crate::parse::is_delimiter(b) {
            out.push(b);
        } else {
            out.push(b'#');
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        }
    }
}

/// Encodes a text string (§7.9.2.2): PDFDocEncoding when the text is printable ASCII (identical
/// there), otherwise UTF-16BE with a byte order mark.
pub(crate) fn text_string(s: &str) -> Vec<u8> {
    if s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        s.as_bytes().to_vec()
    } else {
        let mut v = vec![0xfe, 0xff];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        v
    }
}
