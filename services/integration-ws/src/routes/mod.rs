//! One module per feature; `crate::router` merges them.

pub mod delivery;
pub mod hash;
pub mod operations;
pub mod sign;
pub mod timestamp;
pub mod unmatched;
