//! # ferrokv
//!
//! A Redis-compatible in-memory data server. A request travels:
//! socket → [`server::event_loop`] reads into the client's query buffer →
//! [`protocol::decode`] splits it into arguments (no copy of payloads) →
//! [`commands::execute`] looks the command up in [`commands::table`] (arity, auth) →
//! the family handler (`commands/strings.rs`, `commands/keys.rs`...) runs against
//! [`storage::Db`] → the reply is encoded by [`protocol::encode`] into the client's output
//! buffer → written back once per loop iteration.
//!
//! ## Layout
//! - [`alloc`]: the global allocator (jemalloc) with the byte count behind `used_memory`.
//! - [`config`]: redis.conf syntax, `--name value` overrides, CONFIG GET/SET, one option table.
//! - [`protocol`]: RESP2/RESP3 decoder and encoder; knows nothing of the server.
//! - [`server`]: the mio event loop, clients, cron, logging.
//! - [`commands`]: the command table and one file per command family.
//! - [`storage`]: databases, the incremental hash table, value encodings.
//! - [`persistence`]: RDB snapshots (SAVE, BGSAVE by fork, loading at start-up), DUMP/RESTORE,
//!   and the append-only file ([`persistence::aof`]; writes reach it through [`server::propagate`]).
//! - [`scripting`]: EVAL and FUNCTION on an embedded Lua 5.1 (`csrc/lua51`).
//! - [`util`]: glob matching, Redis number parsing/formatting, argument splitting.
//!
//! See `docs/design.md` for the architecture in one page.

pub mod alloc;
pub mod commands;
pub mod config;
pub mod persistence;
pub mod protocol;
pub mod scripting;
pub mod server;
pub mod storage;
pub mod util;
