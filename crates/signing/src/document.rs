//! The signed output, described as pieces of the original plus new bytes, so a 100 MB PDF is
//! written out without a second copy in memory.

use std::io::Write;
use std::ops::Range;

use bytes::Bytes;

#[derive(Clone, Debug)]
enum Piece {
    Original(Range<usize>),
    New(Vec<u8>),
}

/// A signed document: write it with [`SignedDocument::write_to`] or take [`SignedDocument::to_vec`].
#[derive(Clone, Debug)]
pub struct SignedDocument {
    original: Bytes,
    pieces: Vec<Piece>,
}

impl SignedDocument {
    pub(crate) fn new(original: Bytes) -> Self {
        Self {
            original,
            pieces: Vec::new(),
        }
    }

    pub(crate) fn original(mut self, range: Range<usize>) -> Self {
        self.pieces.push(Piece::Original(range));
        self
    }

    pub(crate) fn new_bytes(mut self, bytes: Vec<u8>) -> Self {
        self.pieces.push(Piece::New(bytes));
        self
    }

    pub fn len(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Original(r) => r.len(),
                Piece::New(b) => b.len(),
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn write_to(&self, mut w: impl Write) -> std::io::Result<()> {
        for p in &self.pieces {
            match p {
                Piece::Original(r) => w.write_all(&self.original[r.clone()])?,
                Piece::New(b) => w.write_all(b)?,
            }
        }
        Ok(())
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut out);
        out
    }
}
