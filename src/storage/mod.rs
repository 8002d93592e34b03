//! Storage: the keyspace and its values. Nothing here knows about sockets or the protocol.
pub mod db;
pub mod dict;
pub mod encodings;
pub mod hash;
pub mod hll;
pub mod list;
pub mod set;
pub mod stream;
pub mod value;
pub mod zset;

pub use db::Db;
