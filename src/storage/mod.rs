//! Storage: the keyspace and its values. Nothing here knows about sockets or the protocol.
pub mod db;
pub mod dict;
pub mod value;

pub use db::Db;
