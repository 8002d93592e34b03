//! Building the deterministic equivalents that handlers record in the AOF instead of the
//! command they ran (see [`crate::server::propagate`]): `EXPIRE` → `PEXPIREAT`, `SPOP` →
//! `SREM`, `BLPOP` → `LPOP`, `XREADGROUP` → `XCLAIM`... Each form is one Redis 7.0 itself
//! records, so a Redis started on our AOF loads it too.
//!
//! Handlers build these only when [`Ctx::propagating`](super::Ctx::propagating): with the
//! AOF off, a command allocates nothing for propagation.

/// An argument vector from borrowed parts.
pub fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// An integer argument.
pub fn int(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// The deletion command Redis records for a key removed by a command: `UNLINK` when the
/// matching `lazyfree-lazy-*` option is on, else `DEL`.
pub fn del_name(lazy: bool) -> &'static [u8] {
    if lazy { b"UNLINK" } else { b"DEL" }
}

/// `DEL key` or `UNLINK key`.
pub fn del(lazy: bool, key: &[u8]) -> Vec<Vec<u8>> {
    vec![del_name(lazy).to_vec(), key.to_vec()]
}

/// `PEXPIREAT key when`.
pub fn pexpireat(key: &[u8], when: i64) -> Vec<Vec<u8>> {
    vec![b"PEXPIREAT".to_vec(), key.to_vec(), int(when)]
}
