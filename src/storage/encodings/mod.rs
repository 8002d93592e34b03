//! Compact encodings of small collections, in Redis's exact byte formats so
//! that RDB persistence and DUMP/RESTORE can copy them verbatim:
//! - [`listpack`]: a sequence of strings and integers (small lists, hashes,
//!   sorted sets);
//! - [`intset`]: a sorted array of integers (small all-integer sets).
//!
//! Both are plain byte buffers with the header kept in sync on every
//! mutation; `from_bytes` fully validates untrusted input and never panics,
//! so every other method can trust the buffer.
pub mod intset;
pub mod listpack;

pub use intset::IntSet;
pub use listpack::{Listpack, LpEntry};
