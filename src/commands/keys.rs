//! Generic key commands (Redis's db.c and expire.c): existence, deletion, renaming,
//! iteration (KEYS, SCAN, RANDOMKEY), TTLs, and OBJECT introspection.
//!
//! Keyspace events (class `g`) are Redis 7.0's: `del`, `rename_from` + `rename_to`,
//! `move_from` + `move_to` (each in its own database), `copy_to`, `expire` (or `del` for a
//! time already past), `persist`; only when a key changed. Read lookups that find nothing
//! publish `keymiss` (class `m`), except OBJECT's (Redis's `LOOKUP_NONOTIFY`). Events
//! precede the reply, except EXPIRE's `expire` (Redis replies first there).

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::rewrite;
use super::table::{Command, Group, cmd, container, flags::*};
use crate::config::notify;
use crate::storage::Db;
use crate::storage::db::{Entry, lru_clock};
use crate::storage::value::{Str, Value};
use crate::util::glob::glob_match;

const G: Group = Group::Generic;

pub static COMMANDS: &[Command] = &[
    cmd("del", -2, WRITE, (1, -1, 1), G, del),
    cmd("unlink", -2, WRITE | FAST, (1, -1, 1), G, del),
    cmd("exists", -2, READONLY | FAST, (1, -1, 1), G, exists),
    cmd("type", 2, READONLY | FAST, (1, 1, 1), G, type_),
    cmd("keys", 2, READONLY | DANGEROUS, (0, 0, 0), G, keys),
    cmd("scan", -2, READONLY, (0, 0, 0), G, scan),
    cmd("randomkey", 1, READONLY, (0, 0, 0), G, randomkey),
    cmd("rename", 3, WRITE, (1, 2, 1), G, rename),
    cmd("renamenx", 3, WRITE | FAST, (1, 2, 1), G, renamenx),
    cmd("move", 3, WRITE | FAST, (1, 1, 1), G, move_),
    cmd("copy", -3, WRITE | DENYOOM, (1, 2, 1), G, copy),
    cmd("expire", -3, WRITE | FAST, (1, 1, 1), G, expire),
    cmd("pexpire", -3, WRITE | FAST, (1, 1, 1), G, pexpire),
    cmd("expireat", -3, WRITE | FAST, (1, 1, 1), G, expireat),
    cmd("pexpireat", -3, WRITE | FAST, (1, 1, 1), G, pexpireat),
    cmd("ttl", 2, READONLY | FAST, (1, 1, 1), G, ttl),
    cmd("pttl", 2, READONLY | FAST, (1, 1, 1), G, pttl),
    cmd("expiretime", 2, READONLY | FAST, (1, 1, 1), G, expiretime),
    cmd("pexpiretime", 2, READONLY | FAST, (1, 1, 1), G, pexpiretime),
    cmd("persist", 2, WRITE | FAST, (1, 1, 1), G, persist),
    cmd("touch", -2, READONLY | FAST, (1, -1, 1), G, touch),
    container("object", -2, 0, G, OBJECT),
];

static OBJECT: &[Command] = &[
    cmd(
        "object|encoding",
        3,
        READONLY,
        (2, 2, 1),
        G,
        object_encoding,
    ),
    cmd("object|freq", 3, READONLY, (2, 2, 1), G, object_freq),
    cmd(
        "object|idletime",
        3,
        READONLY,
        (2, 2, 1),
        G,
        object_idletime,
    ),
    cmd(
        "object|refcount",
        3,
        READONLY,
        (2, 2, 1),
        G,
        object_refcount,
    ),
    cmd("object|help", 2, LOADING | STALE, (0, 0, 0), G, object_help),
];

fn del(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let now = ctx.now();
    let mut n = 0;
    for key in &a[1..] {
        let db = ctx.db();
        // An expired key counts as absent, as in Redis.
        if db.exists(key, now) && db.delete(key) {
            n += 1;
            ctx.notify(notify::GENERIC, "del", key);
        }
    }
    ctx.reply().int(n);
    Ok(())
}

/// A read that is not an access (Redis's `LOOKUP_NOTOUCH`, used by EXISTS, TYPE, the TTL
/// family and OBJECT): it counts as a keyspace hit or miss but leaves the LRU clock alone.
/// A miss publishes `keymiss` unless `!notify_miss` (OBJECT's `LOOKUP_NONOTIFY`).
fn lookup_notouch<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
    notify_miss: bool,
) -> Option<&'a mut Entry> {
    let found = db.peek(key, now).is_some();
    if found {
        db.hits += 1;
    } else {
        db.miss(key, notify_miss);
    }
    db.peek(key, now)
}

fn exists(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = a[1..]
        .iter()
        .filter(|k| lookup_notouch(db, k, now, true).is_some())
        .count();
    reply.int(n as i64);
    Ok(())
}

/// Like EXISTS, but each found key counts as accessed (its idle time restarts).
fn touch(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = a[1..]
        .iter()
        .filter(|k| db.lookup(k, now).is_some())
        .count();
    reply.int(n as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let name = lookup_notouch(db, a[1], now, true).map_or("none", |e| e.value.type_name());
    reply.simple(name);
    Ok(())
}

fn keys(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let pattern = a[1];
    let all = pattern == b"*";
    let (db, reply, now) = ctx.db_and_reply();
    let found: Vec<&[u8]> = db
        .keys_iter()
        .filter(|(k, _)| all || glob_match(pattern, k, false))
        .map(|(k, _)| k)
        .filter(|k| !db.is_expired(k, now))
        .collect();
    reply.array(found.len());
    for k in found {
        reply.bulk(k);
    }
    Ok(())
}

/// SCAN's cursor as Redis parses it (`strtoul`): optional sign, decimal digits, wrapping
/// negation; an empty string is cursor 0.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::msg("ERR invalid cursor");
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return if arg.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Options shared by SCAN, and later HSCAN/SSCAN/ZSCAN.
pub struct ScanOpts<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
    pub type_name: Option<&'a [u8]>,
}

pub fn parse_scan_opts<'a>(
    a: &[&'a [u8]],
    from: usize,
    allow_type: bool,
) -> Result<ScanOpts<'a>, CmdError> {
    let mut o = ScanOpts {
        pattern: None,
        count: 10,
        type_name: None,
    };
    let mut i = from;
    while i < a.len() {
        let Some(&v) = a.get(i + 1) else {
            return Err(CmdError::Syntax);
        };
        if is(a[i], "count") {
            let n = args::int(v)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = n as usize;
        } else if is(a[i], "match") {
            // `*` matches everything: skip the matcher entirely.
            o.pattern = if v == b"*" { None } else { Some(v) };
        } else if is(a[i], "type") && allow_type {
            o.type_name = Some(v);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

fn scan(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut cursor = parse_cursor(a[1])?;
    let opts = parse_scan_opts(a, 2, true)?;
    let (db, reply, now) = ctx.db_and_reply();
    let mut found: Vec<Box<[u8]>> = Vec::new();
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = db.scan(cursor, |k, e| {
            let type_ok = opts
                .type_name
                .is_none_or(|t| t.eq_ignore_ascii_case(e.value.type_name().as_bytes()));
            if type_ok && opts.pattern.is_none_or(|p| glob_match(p, k, false)) {
                found.push(k.into());
            }
        });
        budget = budget.saturating_sub(1);
        if cursor == 0 || budget == 0 || found.len() >= opts.count {
            break;
        }
    }
    // As Redis, a returned key found expired is deleted (and counted in expired_keys).
    found.retain(|k| db.exists(k, now));
    reply.array(2);
    reply.bulk(cursor.to_string().as_bytes());
    reply.array(found.len());
    for k in &found {
        reply.bulk(k);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let now = ctx.now();
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let mut rand = || rng.next_u64();
    let key = dbs[ctx.client.db].random_key(now, &mut rand);
    match key {
        Some(k) => ctx.client.reply.bulk(&k),
        None => ctx.client.reply.null(),
    }
    Ok(())
}

fn rename_generic(ctx: &mut Ctx, a: &[&[u8]], nx: bool) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    if !db.exists(a[1], now) {
        return Err(CmdError::NoSuchKey);
    }
    if a[1] == a[2] {
        if nx {
            reply.int(0);
        } else {
            reply.ok();
        }
        return Ok(());
    }
    if nx && db.exists(a[2], now) {
        reply.int(0);
        return Ok(());
    }
    let Some((_, entry, when)) = db.take(a[1], now) else {
        return Err(CmdError::NoSuchKey);
    };
    db.delete(a[2]);
    db.insert(a[2].into(), entry.value, when, now);
    ctx.notify(notify::GENERIC, "rename_from", a[1]);
    ctx.notify(notify::GENERIC, "rename_to", a[2]);
    if nx {
        ctx.reply().int(1);
    } else {
        ctx.reply().ok();
    }
    Ok(())
}

fn rename(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, a, false)
}

fn renamenx(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, a, true)
}

/// A database index argument: integer, then in range.
fn db_index(ctx: &Ctx, arg: &[u8]) -> Result<usize, CmdError> {
    args::db_index(arg, ctx.srv.dbs.len())
}

fn move_(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let dst = db_index(ctx, a[2])?;
    let src = ctx.client.db;
    if src == dst {
        return Err(CmdError::msg(
            "ERR source and destination objects are the same",
        ));
    }
    let now = ctx.now();
    let dbs = &mut ctx.srv.dbs;
    if !dbs[src].exists(a[1], now) || dbs[dst].exists(a[1], now) {
        ctx.client.reply.int(0);
        return Ok(());
    }
    if let Some((key, entry, when)) = dbs[src].take(a[1], now) {
        dbs[dst].insert(key, entry.value, when, now);
    }
    ctx.notify_db(src, notify::GENERIC, "move_from", a[1]);
    ctx.notify_db(dst, notify::GENERIC, "move_to", a[1]);
    ctx.client.reply.int(1);
    Ok(())
}

fn copy(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let src = ctx.client.db;
    let mut dst = src;
    let mut replace = false;
    let mut i = 3;
    while i < a.len() {
        if is(a[i], "replace") {
            replace = true;
        } else if is(a[i], "db") && i + 1 < a.len() {
            dst = db_index(ctx, a[i + 1])?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if src == dst && a[1] == a[2] {
        return Err(CmdError::msg(
            "ERR source and destination objects are the same",
        ));
    }
    let now = ctx.now();
    let dbs = &mut ctx.srv.dbs;
    let Some(entry) = dbs[src].lookup(a[1], now) else {
        ctx.client.reply.int(0);
        return Ok(());
    };
    let value = entry.value.clone();
    let when = dbs[src].expire_of(a[1]);
    if dbs[dst].exists(a[2], now) {
        if !replace {
            ctx.client.reply.int(0);
            return Ok(());
        }
        dbs[dst].delete(a[2]);
    }
    dbs[dst].insert(a[2].into(), value, when, now);
    ctx.notify_db(dst, notify::GENERIC, "copy_to", a[2]);
    ctx.client.reply.int(1);
    Ok(())
}

#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(a: &[&[u8]]) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for o in &a[3..] {
        if is(o, "nx") {
            f.nx = true;
        } else if is(o, "xx") {
            f.xx = true;
        } else if is(o, "gt") {
            f.gt = true;
        } else if is(o, "lt") {
            f.lt = true;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unsupported option {}",
                super::trunc(o, usize::MAX)
            )));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::msg(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(CmdError::msg(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (Redis's `expireGenericCommand`).
fn expire_generic(ctx: &mut Ctx, a: &[&[u8]], seconds: bool, relative: bool) -> CmdResult {
    let flags = parse_expire_flags(a)?;
    let mut when = args::int(a[2])?;
    let name = ctx.cmd.name;
    let invalid = || CmdError::msg(format!("ERR invalid expire time in '{name}' command"));
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if relative {
        when = when.checked_add(ctx.now()).ok_or_else(invalid)?;
    }
    let loading = ctx.srv.aof.loading;
    let (db, reply, now) = ctx.db_and_reply();
    if !db.exists(a[1], now) {
        reply.int(0);
        return Ok(());
    }
    let current = db.expire_of(a[1]);
    let refused = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|c| when <= c))
        || (flags.lt && current.is_some_and(|c| when >= c));
    if refused {
        reply.int(0);
        return Ok(());
    }
    // A deadline already past deletes the key (recorded as DEL/UNLINK), except while
    // loading, where the key keeps the past deadline (Redis's `checkAlreadyExpired`).
    if when <= now && !loading {
        db.delete(a[1]);
        ctx.notify(notify::GENERIC, "del", a[1]);
        ctx.reply().int(1);
        if ctx.propagating() {
            let lazy = ctx.srv.config.lazyfree_lazy_expire;
            ctx.propagate_as(rewrite::del(lazy, a[1]));
        }
    } else {
        db.set_expire(a[1], when);
        reply.int(1);
        ctx.notify(notify::GENERIC, "expire", a[1]);
        // Recorded as `PEXPIREAT key ms [flags]`: the same deadline whenever replayed.
        if ctx.propagating() && (relative || seconds) {
            let mut argv = rewrite::pexpireat(a[1], when);
            argv.extend(a[3..].iter().map(|f| f.to_vec()));
            ctx.propagate_as(argv);
        }
    }
    Ok(())
}

fn expire(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, a, true, true)
}

fn pexpire(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, a, false, true)
}

fn expireat(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, a, true, false)
}

fn pexpireat(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, a, false, false)
}

/// TTL family: -2 when absent, -1 without TTL, else remaining or absolute time.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], millis: bool, absolute: bool) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    if lookup_notouch(db, key, now, true).is_none() {
        reply.int(-2);
        return Ok(());
    }
    let Some(when) = db.expire_of(key) else {
        reply.int(-1);
        return Ok(());
    };
    let t = if absolute { when } else { (when - now).max(0) };
    // Rounded to the nearest second without overflowing near i64::MAX (PXAT i64::MAX).
    let rounded = ((t as i128 + 500) / 1000) as i64;
    reply.int(if millis { t } else { rounded });
    Ok(())
}

fn ttl(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, a[1], false, false)
}

fn pttl(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, a[1], true, false)
}

fn expiretime(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, a[1], false, true)
}

fn pexpiretime(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, a[1], true, true)
}

fn persist(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let now = ctx.now();
    let db = ctx.db();
    let n = db.exists(a[1], now) && db.persist(a[1]);
    if n {
        ctx.notify(notify::GENERIC, "persist", a[1]);
    }
    ctx.reply().int(n as i64);
    Ok(())
}

fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.srv.config.maxmemory_policy.is_lfu()
}

fn object_encoding(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_notouch(db, a[2], now, false) {
        Some(e) => reply.bulk_str(e.value.encoding_name()),
        None => reply.null(),
    }
    Ok(())
}

fn object_freq(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let lfu = lfu_policy(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let access = db.access_policy();
    let Some(e) = lookup_notouch(db, a[2], now, false) else {
        reply.null();
        return Ok(());
    };
    if !lfu {
        return Err(CmdError::msg(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    reply.int(i64::from(access.lfu_counter(e.lru, now)));
    Ok(())
}

fn object_idletime(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let lfu = lfu_policy(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let Some(e) = lookup_notouch(db, a[2], now, false) else {
        reply.null();
        return Ok(());
    };
    if lfu {
        return Err(CmdError::msg(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let idle = lru_clock(now).wrapping_sub(e.lru);
    reply.int(idle as i64);
    Ok(())
}

fn object_refcount(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_notouch(db, a[2], now, false).map(|e| &e.value) {
        // Redis shares the objects for 0..9999: their refcount reads as INT_MAX.
        Some(Value::Str(Str::Int(n))) if (0..10000).contains(n) => reply.int(i32::MAX as i64),
        Some(_) => reply.int(1),
        None => reply.null(),
    }
    Ok(())
}

fn object_help(ctx: &mut Ctx, _a: &[&[u8]]) -> CmdResult {
    let lines = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    super::server::reply_help(ctx.reply(), &lines);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursor_parsing_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+7"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert!(parse_cursor(b"18446744073709551616").is_err());
        assert!(parse_cursor(b"1a").is_err());
        assert!(parse_cursor(b" 1").is_err());
        assert!(parse_cursor(b"+").is_err());
    }
}
