//! Command propagation: the stream of writes that the append-only file records (and that
//! replication will send), as Redis's `alsoPropagate` / `propagatePendingCommands`.
//!
//! A command is propagated when it changed the dataset ([`ServerState::dirty`] moved while
//! it ran) or its handler asked for it ([`Prop::force`]). What is recorded is the command
//! as the client sent it unless the handler replaced it with a deterministic equivalent
//! ([`Prop::replace`]: EXPIRE → PEXPIREAT, SPOP → SREM, INCRBYFLOAT → SET KEEPTTL ...), so
//! replaying the stream later, at another time and with another random seed, rebuilds the
//! same data. Keys removed by expiry or eviction are recorded as `DEL`, before the command
//! during which they expired.
//!
//! Commands run by EXEC or by a script are nested calls of [`crate::commands::execute`];
//! their propagated forms collect in [`Propagation::pending`] and are emitted when the
//! outermost command finishes, wrapped in MULTI/EXEC when there is more than one, so a
//! transaction or a script is replayed atomically or not at all.

use super::ServerState;

/// What a handler asks of propagation for its command (kept in `Ctx`).
#[derive(Debug, Default)]
pub struct Prop {
    /// Record these arguments instead of the request's.
    pub replace: Option<Vec<Vec<u8>>>,
    /// Record nothing for this command itself (what it did was recorded another way).
    pub prevent: bool,
    /// Record the command even if no key changed (FUNCTION LOAD, FLUSHALL of nothing).
    pub force: bool,
}

/// Server-wide propagation state.
#[derive(Debug, Default)]
pub struct Propagation {
    /// Whether anything consumes the stream (the AOF is on or being started). When off,
    /// commands skip all of this.
    pub enabled: bool,
    /// How deep in nested `execute` calls we are (EXEC, scripts).
    pub depth: u32,
    /// Propagated commands of the current top-level command: (database, arguments).
    pub pending: Vec<(usize, Vec<Vec<u8>>)>,
}

impl Propagation {
    pub fn push(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        self.pending.push((db, argv));
    }
}

/// Move the keys the databases expired (lazily or actively) into the pending list as
/// `DEL key` (Redis's propagateDeletion).
pub fn collect_expired(srv: &mut ServerState) {
    let lazy = srv.config.lazyfree_lazy_expire;
    for (i, db) in srv.dbs.iter_mut().enumerate() {
        if db.expired_log.is_empty() {
            continue;
        }
        for key in db.expired_log.drain(..) {
            srv.propagate.pending.push((i, del_argv(&key, lazy)));
        }
    }
}

/// `DEL key`, or `UNLINK key` when the matching lazyfree option is on (as Redis records).
fn del_argv(key: &[u8], lazy: bool) -> Vec<Vec<u8>> {
    let name: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
    vec![name.to_vec(), key.to_vec()]
}

/// Record a key removed outside any command's own logic (eviction).
pub fn deletion(srv: &mut ServerState, db: usize, key: &[u8], lazy: bool) {
    if !srv.propagate.enabled {
        return;
    }
    srv.propagate.push(db, del_argv(key, lazy));
    if srv.propagate.depth == 0 {
        flush(srv);
    }
}

/// Emit what is pending (end of a top-level command, or work outside commands like the
/// active-expiry cycle): to the AOF buffer, wrapped in MULTI/EXEC when there are several
/// commands from one execution unit.
pub fn flush(srv: &mut ServerState) {
    collect_expired(srv);
    if srv.propagate.pending.is_empty() {
        return;
    }
    let mut pending = std::mem::take(&mut srv.propagate.pending);
    crate::persistence::aof::feed(srv, &pending, true);
    // Keep the allocation for the next command (feeding records nothing new).
    pending.clear();
    srv.propagate.pending = pending;
}

/// Emit expirations that happened outside commands (the active expiry cycle). They are
/// separate deletions, not a transaction.
pub fn flush_unwrapped(srv: &mut ServerState) {
    collect_expired(srv);
    if srv.propagate.pending.is_empty() {
        return;
    }
    let pending = std::mem::take(&mut srv.propagate.pending);
    crate::persistence::aof::feed(srv, &pending, false);
}
