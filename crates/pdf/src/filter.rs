//! Stream decoding, only as far as cross-reference and object streams (and the placeholder
//! search in page content) need it: FlateDecode with optional PNG predictors (§7.4.4).

use std::io::Read;

use crate::object::{Dict, Object};
use crate::{corrupt, Error, Result};

/// Largest decoded stream accepted. Only xref and object streams (and, for a placeholder, page
/// content) are ever decoded, and those are small; the cap stops a decompression bomb from
/// breaking the memory budget.
pub const MAX_DECODED_LEN: usize = 64 * 1024 * 1024;

pub(crate) fn decode(dict: &Dict, raw: &[u8]) -> Result<Vec<u8>> {
    let filters: Vec<&Object> = match dict.get(b"Filter") {
        None | Some(Object::Null) => Vec::new(),
        Some(Object::Array(a)) => a.iter().collect(),
        Some(f) => vec![f],
    };
    let params: Vec<Option<&Dict>> = match dict.get(b"DecodeParms") {
        Some(Object::Array(a)) => a.iter().map(Object::as_dict).collect(),
        Some(p) => vec![p.as_dict()],
        None => Vec::new(),
    };
    match filters.as_slice() {
        [] => {
            if raw.len() > MAX_DECODED_LEN {
                return Err(too_large());
            }
            Ok(raw.to_vec())
        }
        [f] => match f.as_name() {
            Some(b"FlateDecode" | b"Fl") => {
                let data = inflate(raw)?;
                unpredict(data, params.first().copied().flatten())
            }
            Some(other) => Err(Error::Unsupported(format!(
                "stream filter /{}",
                String::from_utf8_lossy(other)
            ))),
            None => Err(corrupt("stream /Filter is not a name")),
        },
        _ => Err(Error::Unsupported(
            "filter chains in xref or object streams".into(),
        )),
    }
}

fn too_large() -> Error {
    Error::Unsupported(format!(
        "a decoded xref or object stream is larger than {MAX_DECODED_LEN} bytes"
    ))
}

fn inflate(raw: &[u8]) -> Result<Vec<u8>> {
    let mut decoder = flate2::read::ZlibDecoder::new(raw);
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if out.len().saturating_add(n) > MAX_DECODED_LEN {
                    return Err(too_large());
                }
                out.extend_from_slice(buf.get(..n).unwrap_or_default());
            }
            // Many writers emit streams with a bad or missing checksum; what was decoded is
            // usually complete and is validated by the xref/object parsing that follows.
            Err(e) if out.is_empty() => return Err(corrupt(format!("bad Flate data: {e}"))),
            Err(_) => break,
        }
    }
    Ok(out)
}

fn param(params: Option<&Dict>, key: &[u8], default: i64) -> i64 {
    params
        .and_then(|p| p.get(key))
        .and_then(Object::as_int)
        .unwrap_or(default)
}

fn unpredict(data: Vec<u8>, params: Option<&Dict>) -> Result<Vec<u8>> {
    let predictor = param(params, b"Predictor", 1);
    match predictor {
        1 => Ok(data),
        10..=15 => {
            let columns = param(params, b"Columns", 1);
            let colors = param(params, b"Colors", 1);
            let bpc = param(params, b"BitsPerComponent", 8);
            if !(1..=1 << 20).contains(&columns)
                || !(1..=32).contains(&colors)
                || ![1, 2, 4, 8, 16].contains(&bpc)
            {
                return Err(corrupt("bad predictor parameters"));
            }
            // Bounded by the checks above, so these fit comfortably.
            let bits_per_pixel = (colors * bpc) as usize;
            let bpp = bits_per_pixel.div_ceil(8).max(1);
            let row_len = (bits_per_pixel * columns as usize).div_ceil(8);
            png_unpredict(&data, row_len, bpp)
        }
        2 => Err(Error::Unsupported("TIFF predictor".into())),
        _ => Err(corrupt(format!("unknown predictor {predictor}"))),
    }
}

fn png_unpredict(data: &[u8], row_len: usize, bpp: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    let mut cur = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&filter, row)) = chunk.split_first() else {
            break;
        };
        for (i, &x) in row.iter().enumerate() {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match filter {
                0 => x,
                1 => x.wrapping_add(left),
                2 => x.wrapping_add(up),
                3 => x.wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => x.wrapping_add(paeth(left, up, up_left)),
                _ => return Err(corrupt(format!("bad PNG predictor tag {filter}"))),
            };
        }
        // A short last row keeps only the bytes it had.
        out.extend_from_slice(cur.get(..row.len()).unwrap_or_default());
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_up_predictor() {
        // Two rows of 3 columns, filter 2 (Up).
        let data = [2, 1, 2, 3, 2, 1, 1, 1];
        assert_eq!(
            png_unpredict(&data, 3, 1).ok(),
            Some(vec![1, 2, 3, 2, 3, 4])
        );
    }

    #[test]
    fn bad_tag_is_an_error() {
        assert!(png_unpredict(&[9, 0, 0], 2, 1).is_err());
    }
}
