//! Hash commands (Redis's t_hash.c command side): HSET and friends, counters, HRANDFIELD
//! and HSCAN. Storage and encodings are in [`crate::storage::hash`]; this file parses
//! arguments, looks the key up as Redis does (reads count keyspace hits and misses, writes
//! do not), runs the operation and writes the reply.
//!
//! Invariants kept here: a hash that becomes empty is deleted from the keyspace at once,
//! and a write never leaves an empty hash behind (keys are created only by a write that
//! adds a field).

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::keys::{parse_cursor, parse_scan_opts};
use super::rewrite;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify;
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::hash::{Hash, Limits, LpEntry};
use crate::storage::value::Value;
use crate::util::glob::glob_match;
use crate::util::numbers::{check_hincr_increment, hincr_by_float};

const H: Group = Group::Hash;

pub static COMMANDS: &[Command] = &[
    cmd("hset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), H, hset),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST, (1, 1, 1), H, hsetnx),
    cmd("hmset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), H, hmset),
    cmd("hget", 3, READONLY | FAST, (1, 1, 1), H, hget),
    cmd("hmget", -3, READONLY | FAST, (1, 1, 1), H, hmget),
    cmd("hdel", -3, WRITE | FAST, (1, 1, 1), H, hdel),
    cmd("hlen", 2, READONLY | FAST, (1, 1, 1), H, hlen),
    cmd("hstrlen", 3, READONLY | FAST, (1, 1, 1), H, hstrlen),
    cmd("hexists", 3, READONLY | FAST, (1, 1, 1), H, hexists),
    cmd("hkeys", 2, READONLY, (1, 1, 1), H, hkeys),
    cmd("hvals", 2, READONLY, (1, 1, 1), H, hvals),
    cmd("hgetall", 2, READONLY, (1, 1, 1), H, hgetall),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), H, hincrby),
    cmd(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        H,
        hincrbyfloat,
    ),
    cmd("hrandfield", -2, READONLY, (1, 1, 1), H, hrandfield),
    cmd("hscan", -3, READONLY, (1, 1, 1), H, hscan),
];

/// A reply larger than this from one HRANDFIELD (a huge negative count) is cut short and
/// the client is closed, where Redis would grow its output buffer until memory runs out.
const MAX_RANDOM_REPLY_BYTES: usize = 1 << 30;

fn limits(ctx: &Ctx) -> Limits {
    Limits {
        max_entries: ctx.srv.config.hash_max_listpack_entries,
        max_value: ctx.srv.config.hash_max_listpack_value,
    }
}

/// The hash under `key` for a read (a keyspace hit or miss, as `lookupKeyRead`); WRONGTYPE
/// for another type.
pub fn lookup_hash<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Hash>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Hash(h) => Ok(Some(h)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// The hash under `key` for a write (`lookupKeyWrite`: touches the key, no hit/miss).
fn lookup_hash_write<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Hash>, CmdError> {
    match db.lookup_write(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Hash(h) => Ok(Some(h)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Runs `f` on the hash under `key`, creating an empty one when the key is absent (Redis's
/// `hashTypeLookupWriteOrCreate`). A new hash is stored only if `f` succeeded and left it
/// non-empty; an existing one that `f` emptied is deleted. Success counts as a
/// modification of the key (WATCH), so `f` must only be called to write.
fn write_or_create<T>(
    db: &mut Db,
    key: &[u8],
    now: i64,
    f: impl FnOnce(&mut Hash) -> Result<T, CmdError>,
) -> Result<T, CmdError> {
    if let Some(h) = lookup_hash_write(db, key, now)? {
        let out = f(h);
        h.shrink_to_fit();
        if h.is_empty() {
            db.delete(key);
        } else if out.is_ok() {
            db.touch(key);
        }
        return out;
    }
    let mut h = Hash::new();
    let out = f(&mut h)?;
    h.shrink_to_fit();
    if !h.is_empty() {
        db.insert(key.into(), Value::Hash(Box::new(h)), None, now);
    }
    Ok(out)
}

/// A field or value as a bulk string (listpack integers in their decimal form).
pub fn reply_entry(reply: &mut Reply, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(n) => reply.bulk_i64(n),
        LpEntry::Str(s) => reply.bulk(s),
    }
}

/// HSET/HMSET: the field/value arguments must come in pairs.
fn set_pairs(ctx: &mut Ctx, a: &[&[u8]]) -> Result<usize, CmdError> {
    if a.len() % 2 == 1 {
        return Err(CmdError::msg(format!(
            "ERR wrong number of arguments for '{}' command",
            ctx.cmd.name
        )));
    }
    let limits = limits(ctx);
    let (db, _, now) = ctx.db_and_reply();
    write_or_create(db, a[1], now, |h| {
        h.prepare_write(a[2..].iter().copied(), limits);
        Ok(a[2..]
            .chunks_exact(2)
            .filter(|p| h.set(p[0], p[1], limits))
            .count())
    })
}

fn hset(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let created = set_pairs(ctx, a)?;
    ctx.reply().int(created as i64);
    ctx.notify(notify::HASH, "hset", a[1]);
    Ok(())
}

fn hmset(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    set_pairs(ctx, a)?;
    ctx.reply().ok();
    ctx.notify(notify::HASH, "hset", a[1]);
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let limits = limits(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    if lookup_hash_write(db, a[1], now)?.is_some_and(|h| h.contains(a[2])) {
        reply.int(0);
        return Ok(());
    }
    write_or_create(db, a[1], now, |h| {
        h.prepare_write([a[2], a[3]], limits);
        h.set(a[2], a[3], limits);
        Ok(())
    })?;
    reply.int(1);
    ctx.notify(notify::HASH, "hset", a[1]);
    Ok(())
}

fn hget(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_hash(db, a[1], now)?.and_then(|h| h.get(a[2])) {
        Some(v) => reply_entry(reply, v),
        None => reply.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let h = lookup_hash(db, a[1], now)?;
    reply.array(a.len() - 2);
    for f in &a[2..] {
        match h.as_ref().and_then(|h| h.get(f)) {
            Some(v) => reply_entry(reply, v),
            None => reply.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, _, now) = ctx.db_and_reply();
    let mut deleted = 0;
    let mut removed = false;
    if let Some(h) = lookup_hash_write(db, a[1], now)? {
        for f in &a[2..] {
            if h.remove(f) {
                deleted += 1;
                if h.is_empty() {
                    break;
                }
            }
        }
        h.shrink_to_fit();
        if h.is_empty() {
            removed = db.delete(a[1]);
        } else if deleted > 0 {
            db.touch(a[1]);
        }
    }
    // Redis notifies before replying here (and after, for the other hash writes).
    if deleted > 0 {
        ctx.notify(notify::HASH, "hdel", a[1]);
        if removed {
            ctx.notify(notify::GENERIC, "del", a[1]);
        }
    }
    ctx.reply().int(deleted);
    Ok(())
}

fn hlen(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = lookup_hash(db, a[1], now)?.map_or(0, |h| h.len());
    reply.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = match lookup_hash(db, a[1], now)?.and_then(|h| h.get(a[2])) {
        Some(LpEntry::Str(s)) => s.len(),
        Some(LpEntry::Int(n)) => crate::storage::value::Str::Int(n).len(),
        None => 0,
    };
    reply.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let found = lookup_hash(db, a[1], now)?.is_some_and(|h| h.contains(a[2]));
    reply.int(found as i64);
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Keys,
    Values,
    Both,
}

/// HKEYS, HVALS, HGETALL (a map in RESP3).
fn getall(ctx: &mut Ctx, a: &[&[u8]], part: Part) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let Some(h) = lookup_hash(db, a[1], now)? else {
        if part == Part::Both {
            reply.map(0);
        } else {
            reply.array(0);
        }
        return Ok(());
    };
    match part {
        Part::Both => reply.map(h.len()),
        _ => reply.array(h.len()),
    }
    for (f, v) in h.iter() {
        if part != Part::Values {
            reply_entry(reply, f);
        }
        if part != Part::Keys {
            reply_entry(reply, v);
        }
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    getall(ctx, a, Part::Keys)
}

fn hvals(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    getall(ctx, a, Part::Values)
}

fn hgetall(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    getall(ctx, a, Part::Both)
}

fn hincrby(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // The increment is checked before the key's type, as in Redis.
    let incr = args::int(a[3])?;
    let limits = limits(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let value = write_or_create(db, a[1], now, |h| {
        let old = match h.get(a[2]) {
            None => 0,
            Some(LpEntry::Int(n)) => n,
            Some(LpEntry::Str(s)) => crate::util::numbers::parse_i64(s)
                .ok_or_else(|| CmdError::msg("ERR hash value is not an integer"))?,
        };
        let new = old.checked_add(incr).ok_or(CmdError::Overflow)?;
        let mut text = Vec::with_capacity(20);
        crate::util::numbers::fmt_i64(new, &mut text);
        h.set(a[2], &text, limits);
        Ok(new)
    })?;
    reply.int(value);
    ctx.notify(notify::HASH, "hincrby", a[1]);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // The increment is checked before the key's type, as in Redis.
    check_hincr_increment(a[3]).map_err(|e| CmdError::msg(e.message()))?;
    let limits = limits(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let text = write_or_create(db, a[1], now, |h| {
        let old = h.get(a[2]).map(|v| v.to_vec());
        let new = hincr_by_float(old.as_deref(), a[3]).map_err(|e| CmdError::msg(e.message()))?;
        h.set(a[2], &new, limits);
        Ok(new)
    })?;
    reply.bulk(&text);
    ctx.notify(notify::HASH, "hincrbyfloat", a[1]);
    // Recorded as the value it produced (as Redis): float formatting never matters on replay.
    if ctx.propagating() {
        ctx.propagate_as(rewrite::argv(&[b"HSET", a[1], a[2], &text]));
    }
    Ok(())
}

fn hrandfield(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() == 2 {
        let crate::server::ServerState {
            dbs, rng, now_ms, ..
        } = &mut *ctx.srv;
        let reply = &mut ctx.client.reply;
        let h = lookup_hash(&mut dbs[ctx.client.db], a[1], *now_ms)?;
        match h.and_then(|h| h.random_pair(&mut || rng.next_u64())) {
            Some((f, _)) => reply_entry(reply, f),
            None => reply.null(),
        }
        return Ok(());
    }
    let l = args::int(a[2])?;
    if l == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withvalues = match a.len() {
        3 => false,
        4 if is(a[3], "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let crate::server::ServerState {
        dbs, rng, now_ms, ..
    } = &mut *ctx.srv;
    let client = &mut *ctx.client;
    let reply = &mut client.reply;
    let Some(h) = lookup_hash(&mut dbs[client.db], a[1], *now_ms)? else {
        reply.array(0);
        return Ok(());
    };
    let count = l.unsigned_abs();
    if count == 0 {
        reply.array(0);
        return Ok(());
    }
    let resp3_pairs = withvalues && reply.resp3;
    let emit = |reply: &mut Reply, f: LpEntry<'_>, v: LpEntry<'_>| {
        if resp3_pairs {
            reply.array(2);
        }
        reply_entry(reply, f);
        if withvalues {
            reply_entry(reply, v);
        }
    };
    let header = |reply: &mut Reply, n: u64| {
        if withvalues && !reply.resp3 {
            reply.array(2 * n as usize);
        } else {
            reply.array(n as usize);
        }
    };
    let mut rand = || rng.next_u64();
    // Negative count (or 1): independent draws, repeats allowed.
    if l < 0 || count == 1 {
        header(reply, count);
        let start = reply.buf.len();
        let mut cut = false;
        h.random_pairs(count, &mut rand, |f, v| {
            emit(reply, f, v);
            cut = reply.buf.len() - start > MAX_RANDOM_REPLY_BYTES;
            !cut
        });
        if cut {
            client.close_asap = true;
        }
        return Ok(());
    }
    let n = (count as usize).min(h.len());
    header(reply, n as u64);
    for (f, v) in h.random_distinct(n, &mut rand) {
        emit(reply, f, v);
    }
    Ok(())
}

/// `*2 $1 0 *0`: the reply to a scan of a missing key.
const EMPTY_SCAN: &[u8] = b"*2\r\n$1\r\n0\r\n*0\r\n";

fn hscan(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let cursor = parse_cursor(a[2])?;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(h) = lookup_hash(db, a[1], now)? else {
        reply.raw(EMPTY_SCAN);
        return Ok(());
    };
    // Options are parsed after the key is found, so a scan of a missing key ignores them.
    let opts = parse_scan_opts(a, 3, false)?;
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut cursor = cursor;
    // Redis's loop: up to COUNT * 10 dict buckets, until COUNT strings (fields and values
    // both count) are gathered; the pattern is applied afterwards.
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = h.scan(cursor, |f, v| found.push((f.to_vec(), v.to_vec())));
        if cursor == 0 || budget == 0 || found.len() * 2 >= opts.count {
            break;
        }
        budget -= 1;
    }
    if let Some(p) = opts.pattern {
        found.retain(|(f, _)| glob_match(p, f, false));
    }
    reply.array(2);
    reply.bulk(cursor.to_string().as_bytes());
    reply.array(found.len() * 2);
    for (f, v) in &found {
        reply.bulk(f);
        reply.bulk(v);
    }
    Ok(())
}
