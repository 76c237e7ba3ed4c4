//! One module per feature; `crate::router` merges them.

pub mod operations;
pub mod sign;
