//! Lazy PDF structure access and PAdES signature fields by incremental update.
//!
//! The crate's one job: read a PDF's cross-reference structure and the few objects a signature
//! needs, and append an incremental update (PDF 32000-1 §7.5.6) holding a signature field whose
//! `/Contents` is a placeholder. Every original byte stays where it was, so earlier signatures
//! remain valid. The CMS itself is made elsewhere (`signstash-signing`): this crate gives out the
//! byte ranges to hash ([`PreparedPdf::signed_parts`]) and patches the CMS in
//! ([`PreparedPdf::embed_signature`]).
//!
//! ```no_run
//! # fn cms_over(_parts: [&[u8]; 3]) -> Vec<u8> { Vec::new() }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let original = std::fs::read("in.pdf")?;
//! let mut prepared = signstash_pdf::prepare_signature(
//!     &original,
//!     &signstash_pdf::SignatureFieldOptions::default(),
//! )?;
//! let cms = cms_over(prepared.signed_parts(&original));
//! prepared.embed_signature(&cms)?;
//! prepared.write_to(&original, std::fs::File::create("out.pdf")?)?;
//! # Ok(()) }
//! ```
//!
//! # What is supported
//!
//! * Reading: the `%PDF-` header (up to 1 KiB of junk before it; offsets may then count from the
//!   header), `startxref` within the last 4 KiB, classic cross-reference tables, cross-reference
//!   streams (FlateDecode, PNG predictors), hybrid files (`/XRefStm`), any number of incremental
//!   updates (`/Prev`, newest entry wins), object streams, indirect `/Length`.
//! * Writing: a signature dictionary (`/Type /Sig`, `/Filter /Adobe.PPKLite`, the requested
//!   `/SubFilter`, `/ByteRange`, `/Contents`, `/M`, optional `/Reason` and `/Location`), a
//!   signature field merged with its widget (named `SignatureN`, unique among existing fields),
//!   the rewritten page or `/Annots` array, the rewritten or new `/AcroForm` (other keys kept,
//!   `/SigFlags 3`), and a cross-reference section of the same kind as the file's newest one.
//! * The field is invisible (zero rectangle, first page) unless
//!   [`SignatureFieldOptions::visible`] asks for a [`VisibleSignature`]: an area at a point of a
//!   page, in an existing empty signature field (signed in place, its `/Rect` kept), or at the
//!   first occurrence of a word in the pages' text; its appearance (`/AP /N`) is a Form XObject
//!   with a background, Helvetica text (WinAnsiEncoding) and a JPEG (embedded as is) or PNG
//!   (decoded, alpha as a soft mask) image.
//!
//! # Cost
//!
//! Opening reads the trailer and cross-reference chain (classic tables are read entry by entry
//! on demand, so even a huge table costs nothing to open); signing then touches only the
//! catalog, the page-tree nodes down to the page the field goes on (for a placeholder, the
//! content of the pages up to the one holding it), and the form and its fields. The
//! original is borrowed, never copied: the only allocation that grows is the update itself,
//! about twice the reserved CMS size.
//!
//! # Security limits
//!
//! Input is untrusted. Parsing never panics and never indexes unchecked; every loop over the
//! file's structure is bounded: nesting depth ([`MAX_DEPTH`]), indirect-reference hops, `/Prev`
//! chains (cycle detection, at most [`MAX_XREF_SECTIONS`] sections), page-tree walks (cycle
//! detection, node cap) and decoded stream size ([`MAX_DECODED_LEN`], against decompression
//! bombs). The only searches over the file's bytes are the bounded ones for the header and
//! `startxref`, plus an `endstream` search when a stream's `/Length` is wrong.
//!
//! This crate does **not** validate a PDF: it reads what it needs and trusts the rest. It does
//! not check that the document is well formed beyond those objects, it does not detect content
//! that renders differently from what was signed (shadow attacks need a validator's view of
//! the whole document), and it does not check FieldMDP locks or DocMDP levels of earlier
//! signatures beyond refusing documents certified with no changes permitted
//! ([`Error::ChangesForbidden`]). Encrypted documents are refused ([`Error::Encrypted`]) since the
//! update's strings would need encrypting. The placeholder search reads the pages' content
//! streams (FlateDecode or unfiltered) within [`MAX_DECODED_LEN`] and the same depth limits; PNG
//! images are decoded within a 64 MiB budget.

mod content;
mod date;
mod document;
mod filter;
mod object;
mod parse;
mod sign;
mod visible;

pub use document::{Document, Page, XrefEntry, MAX_XREF_SECTIONS};
pub use filter::MAX_DECODED_LEN;
pub use object::{Dict, ObjRef, Object, Stream};
pub use parse::MAX_DEPTH;
pub use sign::{
    prepare_signature, PreparedPdf, SignatureFieldOptions, DEFAULT_CONTENTS_CAPACITY,
    MAX_CONTENTS_CAPACITY,
};
pub use visible::{Placement, Rgb, SignatureImage, VisibleSignature, MIN_FONT_SIZE};

/// Everything that can go wrong, by cause: the input is not what we sign, or it is damaged, or
/// it uses something outside this crate's scope, or the caller asked for the impossible.
#[derive(thiserror::Error, Debug)]
pub enum Error {
    #[error("not a PDF file (no %PDF- header)")]
    NotPdf,
    #[error("encrypted PDF documents are not supported")]
    Encrypted,
    /// Truncated file, bad cross-reference data, missing catalog or page…
    #[error("corrupt PDF: {0}")]
    Corrupt(String),
    #[error("unsupported PDF: {0}")]
    Unsupported(String),
    /// A certification signature forbids every change (DocMDP `/P 1`, §12.8.2.2), so any new
    /// signature would invalidate it.
    #[error("the document is certified with no changes permitted (DocMDP /P 1)")]
    ChangesForbidden,
    #[error("the signature needs {needed} bytes but only {capacity} were reserved")]
    SignatureTooLarge { needed: usize, capacity: usize },
    #[error("invalid signature options: {0}")]
    InvalidOptions(String),
    /// The visible signature cannot be placed or drawn: page out of range, area outside the
    /// page, field missing, not a signature field or already signed, placeholder not found,
    /// image larger than the area or unreadable.
    #[error("visible signature: {0}")]
    VisibleSignature(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn corrupt(msg: impl Into<String>) -> Error {
    Error::Corrupt(msg.into())
}
