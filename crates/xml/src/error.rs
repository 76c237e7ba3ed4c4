use thiserror::Error;

/// Everything that can go wrong in this crate.
///
/// Parsing errors carry enough to explain the refusal to a client (a position or the
/// offending name) but never echo document content beyond a name.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input is empty.
    #[error("the document is empty")]
    Empty,

    /// The input is larger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    #[error("the document is {size} bytes, more than the limit of {max}")]
    TooLarge { size: usize, max: usize },

    /// Elements are nested deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    #[error("elements are nested deeper than the limit of {max}")]
    TooDeep { max: usize },

    /// The document has more nodes than [`Limits::max_nodes`](crate::Limits::max_nodes).
    #[error("the document has more nodes than the limit of {max}")]
    TooManyNodes { max: u32 },

    /// The input has more `xmlns` occurrences than
    /// [`Limits::max_namespace_declarations`](crate::Limits::max_namespace_declarations).
    #[error("the document has more than {max} namespace declarations")]
    TooManyNamespaces { max: usize },

    /// The bytes are not valid UTF-8 (and no other encoding is supported).
    #[error("the document is not valid UTF-8 (first invalid byte at offset {offset})")]
    InvalidUtf8 { offset: usize },

    /// A carriage return not followed by a line feed (old Mac line ending). roxmltree
    /// mishandles these next to references, so they are refused rather than canonicalized
    /// wrongly; [`normalize_line_endings`](crate::normalize_line_endings) fixes the input
    /// without moving any byte.
    #[error(
        "carriage return without a line feed at offset {offset}; normalize line endings first"
    )]
    LoneCarriageReturn { offset: usize },

    /// A byte-order mark or an encoding declaration names an encoding other than UTF-8 or
    /// US-ASCII.
    #[error("unsupported encoding {0:?}: only UTF-8 and US-ASCII are accepted")]
    UnsupportedEncoding(String),

    /// The document has a document type declaration (`<!DOCTYPE`). Refused whatever its
    /// content: DTDs are how entity-expansion and external-entity attacks get in.
    #[error("document type declarations (<!DOCTYPE) are not allowed")]
    Dtd,

    /// An entity reference other than the five predefined ones and character references.
    #[error("undeclared or malformed entity reference{}", fmt_name(.0))]
    Entity(Option<String>),

    /// A namespace URI that is relative or not a valid URI. Canonical XML must fail on
    /// relative namespace URIs (libxml2 does, and refuses invalid ones when parsing).
    #[error("namespace URI {0:?} is relative or invalid; canonicalization requires absolute URIs")]
    NamespaceUri(String),

    /// The input is not well-formed namespace-aware XML 1.0.
    #[error("not well-formed XML: {0}")]
    NotXml(String),

    /// An argument does not designate a node this operation can work on (for example a text
    /// node where an element is needed, or a node of another document).
    #[error("invalid target node: {0}")]
    InvalidTarget(&'static str),
}

fn fmt_name(name: &Option<String>) -> String {
    match name {
        Some(n) => format!(" '&{n};'"),
        None => String::new(),
    }
}
