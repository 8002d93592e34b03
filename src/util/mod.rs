//! Small self-contained helpers shared by the protocol, config and command layers.
pub mod bits;
pub mod geohash;
pub mod glob;
pub mod lcs;
pub mod numbers;
pub mod split_args;
