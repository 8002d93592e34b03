//! Set commands (Redis 7.0's t_set.c): SADD, SREM, SMOVE, membership, SCARD, SPOP,
//! SRANDMEMBER, the algebra (SINTER/SUNION/SDIFF, their STORE forms, SINTERCARD), SMEMBERS
//! and SSCAN.
//!
//! Replies, errors and the order of checks are Redis 7.0's. Where Redis's choice of
//! algorithm is visible (SPOP's and SRANDMEMBER's strategies decide which set is rebuilt or
//! how a reply is ordered; SDIFF's algorithm decides the encoding of its result), the same
//! case analysis is kept. Computed sets start as an empty intset and take members one by
//! one, as Redis builds them, so their encoding and hence their order (an intset replies in
//! ascending order) match Redis's.
//!
//! Keyspace events as Redis 7.0, only when a key changed: `sadd`, `srem`, `spop`, SMOVE's
//! `srem` on the source then `sadd` on the destination, `sinterstore`/`sunionstore`/
//! `sdiffstore` on the destination, and `del` (class `g`) when a set is emptied or an empty
//! result removes the destination.

use std::collections::HashSet;

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::keys::{parse_cursor, parse_scan_opts};
use super::rewrite;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::{OBUF_NORMAL, notify};
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::set::{Elem, RANDOM_REHASH_STEPS, Set};
use crate::storage::value::Value;
use crate::util::glob::glob_match;

const G: Group = Group::Set;

pub static COMMANDS: &[Command] = &[
    cmd("sadd", -3, WRITE | DENYOOM | FAST, (1, 1, 1), G, sadd),
    cmd("srem", -3, WRITE | FAST, (1, 1, 1), G, srem),
    cmd("smove", 4, WRITE | FAST, (1, 2, 1), G, smove),
    cmd("sismember", 3, READONLY | FAST, (1, 1, 1), G, sismember),
    cmd("smismember", -3, READONLY | FAST, (1, 1, 1), G, smismember),
    cmd("scard", 2, READONLY | FAST, (1, 1, 1), G, scard),
    cmd("spop", -2, WRITE | FAST, (1, 1, 1), G, spop),
    cmd("srandmember", -2, READONLY, (1, 1, 1), G, srandmember),
    cmd("sinter", -2, READONLY, (1, -1, 1), G, sinter),
    cmd(
        "sintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        G,
        sintercard,
    ),
    cmd(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        G,
        sinterstore,
    ),
    cmd("sunion", -2, READONLY, (1, -1, 1), G, sunion),
    cmd(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        G,
        sunionstore,
    ),
    cmd("sdiff", -2, READONLY, (1, -1, 1), G, sdiff),
    cmd("sdiffstore", -3, WRITE | DENYOOM, (1, -1, 1), G, sdiffstore),
    cmd("smembers", 2, READONLY, (1, 1, 1), G, smembers),
    cmd("sscan", -3, READONLY, (1, 1, 1), G, sscan),
];

/// SPOP with a count rebuilds the set from the members that stay once it pops more than
/// 5/6 of them (`SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;
/// SRANDMEMBER with a positive count copies the set and removes members at random when it
/// asks for more than a third of it (`SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;
/// The reply SRANDMEMBER with a negative count may build when no output buffer hard limit
/// is configured. Redis (default `client-output-buffer-limit normal 0 0 0`) would grow until
/// the machine runs out of memory on `SRANDMEMBER k -9223372036854775807`; past this the
/// reply stops and the client is disconnected, as Redis does when a limit is set.
const RANDOM_REPLY_CAP: u64 = 1 << 30;

/// How a command reaches a key, which decides the keyspace statistics (Redis's
/// `lookupKeyRead` counts a hit or miss, `lookupKeyWrite` does not; both touch the LRU).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// The set under `key`: `None` when absent, WRONGTYPE for another type.
fn lookup_set<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
    access: Access,
) -> Result<Option<&'a mut Set>, CmdError> {
    let entry = match access {
        Access::Read => db.lookup(key, now),
        Access::Write => db.lookup_write(key, now),
    };
    match entry {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Set(s) => Ok(Some(s)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// Looks every key up in order (WRONGTYPE at the first key of another type), then returns
/// the sets side by side; a missing key is `None`.
fn lookup_sets<'a>(
    db: &'a mut Db,
    keys: &[&[u8]],
    now: i64,
    access: Access,
) -> Result<Vec<Option<&'a Set>>, CmdError> {
    for key in keys {
        lookup_set(db, key, now, access)?;
    }
    let db: &'a Db = db;
    Ok(keys
        .iter()
        .map(|k| match db.get(k).map(|e| &e.value) {
            Some(Value::Set(s)) => Some(&**s),
            _ => None,
        })
        .collect())
}

fn reply_elem(reply: &mut Reply, e: Elem<'_>) {
    match e {
        Elem::Int(n) => reply.bulk_i64(n),
        Elem::Bytes(b) => reply.bulk(b),
    }
}

/// Every member of `set`, as a set reply.
fn reply_members(reply: &mut Reply, set: &Set) {
    reply.set(set.len());
    for e in set.iter() {
        reply_elem(reply, e);
    }
}

/// Store `result` under `dst` (overwriting it, as Redis's `setKey`: a new key only if it
/// was absent), or delete `dst` when the result is empty; reply its cardinality (the STORE
/// forms). The destination loses any TTL, as with SET. Returns the event to publish after
/// the reply, as Redis orders them: `event` for a stored set, `del` for a removed
/// destination, nothing otherwise.
fn store_result(
    db: &mut Db,
    reply: &mut Reply,
    dst: &[u8],
    mut result: Set,
    now: i64,
    event: &'static str,
) -> Option<(u32, &'static str)> {
    result.shrink_to_fit();
    let n = result.len();
    reply.int(n as i64);
    if n > 0 {
        db.set(dst, Value::Set(Box::new(result)), false, now);
        Some((notify::SET, event))
    } else {
        db.delete(dst).then_some((notify::GENERIC, "del"))
    }
}

fn sadd(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let max = ctx.srv.config.set_max_intset_entries;
    let (db, _, now) = ctx.db_and_reply();
    let add_all = |s: &mut Set| {
        let n = a[2..].iter().filter(|m| s.insert(m, max)).count();
        s.shrink_to_fit();
        n
    };
    let added = match lookup_set(db, a[1], now, Access::Write)? {
        Some(s) => {
            let n = add_all(s);
            if n > 0 {
                db.touch(a[1]);
            }
            n
        }
        None => {
            let mut s = Set::for_member(a[2]);
            let n = add_all(&mut s);
            db.insert(a[1].into(), Value::Set(Box::new(s)), None, now);
            n
        }
    };
    if added > 0 {
        ctx.notify(notify::SET, "sadd", a[1]);
    }
    ctx.reply().int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_set(db, a[1], now, Access::Write)? else {
        reply.int(0);
        return Ok(());
    };
    let mut removed = 0;
    let mut emptied = false;
    for m in &a[2..] {
        if s.remove(m) {
            removed += 1;
            if s.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        db.delete(a[1]);
    } else if removed > 0 {
        s.shrink_to_fit();
        db.touch(a[1]);
    }
    if removed > 0 {
        ctx.notify(notify::SET, "srem", a[1]);
    }
    if emptied {
        ctx.notify(notify::GENERIC, "del", a[1]);
    }
    ctx.reply().int(removed);
    Ok(())
}

fn smove(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let max = ctx.srv.config.set_max_intset_entries;
    let (src, dst, m) = (a[1], a[2], a[3]);
    let (db, reply, now) = ctx.db_and_reply();
    // Both keys are looked up first (lazy expiry), then checked: a missing source wins
    // over a destination of the wrong type.
    let src_kind = lookup_set(db, src, now, Access::Write).map(|s| s.is_some());
    let dst_kind = lookup_set(db, dst, now, Access::Write).map(|s| s.is_some());
    match src_kind {
        Ok(false) => {
            reply.int(0);
            return Ok(());
        }
        Err(e) => return Err(e),
        Ok(true) => {}
    }
    let dst_exists = dst_kind?;
    let Some(s) = lookup_set(db, src, now, Access::Write)? else {
        reply.int(0);
        return Ok(());
    };
    if src == dst {
        reply.int(i64::from(s.contains(m)));
        return Ok(());
    }
    if !s.remove(m) {
        reply.int(0);
        return Ok(());
    }
    s.shrink_to_fit();
    let emptied = s.is_empty();
    if emptied {
        db.delete(src);
    }
    // For WATCH the source counts as modified; the destination only if the member was new
    // to it (Redis 7.0's signalModifiedKey calls).
    db.touch(src);
    // The source's events come before the destination is created (its `new`).
    ctx.notify(notify::SET, "srem", src);
    if emptied {
        ctx.notify(notify::GENERIC, "del", src);
    }
    let (db, _, now) = ctx.db_and_reply();
    let mut added = true;
    if dst_exists {
        added = false;
        if let Some(d) = lookup_set(db, dst, now, Access::Write)? {
            added = d.insert(m, max);
            d.shrink_to_fit();
        }
        if added {
            db.touch(dst);
        }
    } else {
        let mut d = Set::for_member(m);
        d.insert(m, max);
        db.insert(dst.into(), Value::Set(Box::new(d)), None, now);
    }
    if added {
        ctx.notify(notify::SET, "sadd", dst);
    }
    ctx.reply().int(1);
    Ok(())
}

fn sismember(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let found = lookup_set(db, a[1], now, Access::Read)?.is_some_and(|s| s.contains(a[2]));
    reply.int(i64::from(found));
    Ok(())
}

fn smismember(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let s = lookup_set(db, a[1], now, Access::Read)?;
    reply.array(a.len() - 2);
    for m in &a[2..] {
        reply.int(i64::from(s.as_ref().is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

fn scard(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = lookup_set(db, a[1], now, Access::Read)?.map_or(0, |s| s.len());
    reply.int(n as i64);
    Ok(())
}

fn smembers(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // Redis 7.0 serves SMEMBERS with SINTER's code.
    sinter_generic(ctx, &a[1..], Inter::Reply)
}

// ---------------------------------------------------------------------------------------
// SPOP, SRANDMEMBER
// ---------------------------------------------------------------------------------------

fn spop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() == 3 {
        return spop_count(ctx, a);
    }
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let now = ctx.srv.now_ms;
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let db = &mut dbs[ctx.client.db];
    let reply = &mut ctx.client.reply;
    let Some(s) = lookup_set(db, a[1], now, Access::Write)? else {
        reply.null();
        return Ok(());
    };
    let mut rand = || rng.next_u64();
    let popped = s.pop_random(&mut rand);
    s.shrink_to_fit();
    let emptied = s.is_empty();
    if emptied {
        db.delete(a[1]);
    }
    db.touch(a[1]);
    // Recorded as the SREM of the member drawn (which also removes an emptied set).
    if let Some(m) = &popped
        && ctx.propagating()
    {
        ctx.propagate_as(rewrite::argv(&[b"SREM", a[1], m]));
    }
    // Redis's order: `spop`, the reply, then `del` for an emptied set.
    ctx.notify(notify::SET, "spop", a[1]);
    match popped {
        Some(m) => ctx.reply().bulk(&m),
        None => ctx.reply().null(),
    }
    if emptied {
        ctx.notify(notify::GENERIC, "del", a[1]);
    }
    Ok(())
}

fn spop_count(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let count = match args::int(a[2]) {
        Ok(n) if n >= 0 => n as u64,
        _ => return Err(CmdError::msg("ERR value is out of range, must be positive")),
    };
    let max = ctx.srv.config.set_max_intset_entries;
    let (db, reply, now) = ctx.db_and_reply();
    if lookup_set(db, a[1], now, Access::Write)?.is_none() || count == 0 {
        reply.set(0);
        return Ok(());
    }
    // Redis publishes `spop` before it pops and replies.
    ctx.notify(notify::SET, "spop", a[1]);
    // The members drawn, kept only to be recorded as SREMs.
    let propagating = ctx.propagating();
    let mut drawn: Vec<Vec<u8>> = Vec::new();
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let db = &mut dbs[ctx.client.db];
    let reply = &mut ctx.client.reply;
    let mut rand = || rng.next_u64();
    let Some(s) = lookup_set(db, a[1], now, Access::Write)? else {
        reply.set(0);
        return Ok(());
    };
    let size = s.len() as u64;
    if count >= size {
        // The whole set, replied as SUNION of the one key would (a new set built from it).
        let all = union_of(&[Some(&*s)], max);
        reply_members(reply, &all);
        db.delete(a[1]);
        ctx.notify(notify::GENERIC, "del", a[1]);
        // Recorded as DEL (Redis 7.0 records DEL here whatever lazyfree says).
        if propagating {
            ctx.propagate_as(rewrite::del(false, a[1]));
        }
        return Ok(());
    }
    let remaining = size - count;
    reply.set(count as usize);
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        for _ in 0..count {
            if let Some(m) = s.pop_random(&mut rand) {
                reply.bulk(&m);
                if propagating {
                    drawn.push(m);
                }
            }
        }
        s.shrink_to_fit();
    } else {
        // Move the members that stay into a new set, reply what is left of the old one.
        let mut kept: Option<Set> = None;
        for _ in 0..remaining {
            let Some(m) = s.pop_random(&mut rand) else {
                break;
            };
            kept.get_or_insert_with(|| Set::for_member(&m))
                .insert(&m, max);
        }
        let mut scratch = Vec::new();
        for e in s.iter() {
            if propagating {
                drawn.push(e.bytes(&mut scratch).to_vec());
            }
            reply_elem(reply, e);
        }
        let mut kept = kept.unwrap_or_default();
        kept.shrink_to_fit();
        *s = kept;
    }
    // A partial pop changes the set in place (for WATCH).
    db.touch(a[1]);
    if propagating {
        propagate_srem_batches(ctx, a[1], &drawn);
    }
    Ok(())
}

/// Record the members SPOP drew as `SREM key m...`, at most 1024 members per command, and
/// not SPOP itself: replayed, the same members go.
fn propagate_srem_batches(ctx: &mut Ctx, key: &[u8], drawn: &[Vec<u8>]) {
    for batch in drawn.chunks(1024) {
        let mut argv = Vec::with_capacity(batch.len() + 2);
        argv.push(b"SREM".to_vec());
        argv.push(key.to_vec());
        argv.extend(batch.iter().cloned());
        ctx.also_propagate(argv);
    }
    ctx.no_propagate();
}

fn srandmember(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() == 3 {
        return srandmember_count(ctx, a);
    }
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let now = ctx.srv.now_ms;
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let db = &mut dbs[ctx.client.db];
    let reply = &mut ctx.client.reply;
    let mut rand = || rng.next_u64();
    let Some(s) = lookup_set(db, a[1], now, Access::Read)? else {
        reply.null();
        return Ok(());
    };
    s.advance_rehash(RANDOM_REHASH_STEPS);
    match s.random(&mut rand) {
        Some(e) => reply_elem(reply, e),
        None => reply.null(),
    }
    Ok(())
}

fn srandmember_count(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let l = args::int(a[2])?;
    if l == i64::MIN {
        return Err(CmdError::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let (count, distinct) = (l.unsigned_abs(), l >= 0);
    let now = ctx.srv.now_ms;
    let hard = ctx.srv.config.client_output_buffer_limit[OBUF_NORMAL].hard_limit_bytes;
    let cap = if hard > 0 { hard } else { RANDOM_REPLY_CAP };
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let db = &mut dbs[ctx.client.db];
    let reply = &mut ctx.client.reply;
    let mut rand = || rng.next_u64();
    let Some(s) = lookup_set(db, a[1], now, Access::Read)? else {
        reply.array(0);
        return Ok(());
    };
    if count == 0 {
        reply.array(0);
        return Ok(());
    }
    let size = s.len() as u64;
    let draws = if distinct { count.min(size) } else { count };
    s.advance_rehash(
        usize::try_from(draws)
            .unwrap_or(usize::MAX)
            .saturating_mul(RANDOM_REHASH_STEPS),
    );
    let s = &*s;
    // CASE 1: repetitions allowed, each pick independent.
    if !distinct || count == 1 {
        let start = reply.buf.len();
        reply.array(count as usize);
        for i in 0..count {
            if let Some(e) = s.random(&mut rand) {
                reply_elem(reply, e);
            }
            if i % 1024 == 1023 && (reply.buf.len() - start) as u64 > cap {
                // The reply is cut short and cannot be completed: drop the client.
                ctx.client.close_asap = true;
                break;
            }
        }
        return Ok(());
    }
    // CASE 2: the whole set.
    if count >= size {
        reply.array(size as usize);
        for e in s.iter() {
            reply_elem(reply, e);
        }
        return Ok(());
    }
    let count = count as usize;
    let mut picked: Vec<Elem<'_>>;
    if count as u64 * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // CASE 3: copy the set, then remove random members until `count` are left.
        picked = s.iter().collect();
        while picked.len() > count {
            let i = (rand() % picked.len() as u64) as usize;
            picked.swap_remove(i);
        }
    } else {
        // CASE 4: draw until `count` distinct members came up.
        let mut seen: HashSet<Elem<'_>> = HashSet::with_capacity(count);
        picked = Vec::with_capacity(count);
        while picked.len() < count {
            let Some(e) = s.random(&mut rand) else { break };
            if seen.insert(e) {
                picked.push(e);
            }
        }
    }
    reply.array(picked.len());
    for e in picked {
        reply_elem(reply, e);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE, SMEMBERS
// ---------------------------------------------------------------------------------------

/// What an intersection is for.
#[derive(Clone, Copy)]
enum Inter<'k> {
    /// SINTER, SMEMBERS: reply the members.
    Reply,
    /// SINTERCARD: reply the count, stopping at `limit` (0 = no limit).
    Card(u64),
    /// SINTERSTORE: store into this key.
    Store(&'k [u8]),
}

fn sinter(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sinter_generic(ctx, &a[1..], Inter::Reply)
}

fn sinterstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sinter_generic(ctx, &a[2..], Inter::Store(a[1]))
}

fn sintercard(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let numkeys = match args::int(a[1]) {
        Ok(n) if n > 0 => n as u64,
        _ => return Err(CmdError::msg("ERR numkeys should be greater than 0")),
    };
    let given = (a.len() - 2) as u64;
    if numkeys > given {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0u64;
    let mut i = keys_end;
    while i < a.len() {
        if is(a[i], "limit") && i + 1 < a.len() {
            limit = match args::int(a[i + 1]) {
                Ok(n) if n >= 0 => n as u64,
                _ => return Err(CmdError::msg("ERR LIMIT can't be negative")),
            };
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    sinter_generic(ctx, &a[2..keys_end], Inter::Card(limit))
}

fn sinter_generic(ctx: &mut Ctx, keys: &[&[u8]], mode: Inter<'_>) -> CmdResult {
    let max = ctx.srv.config.set_max_intset_entries;
    let (db, reply, now) = ctx.db_and_reply();
    // The STORE form reads its sources as reads too (hits and misses), as Redis 7.0 does.
    let found = lookup_sets(db, keys, now, Access::Read)?;
    // A missing key is an empty set: the intersection is empty.
    let Some(mut sets) = found.into_iter().collect::<Option<Vec<&Set>>>() else {
        match mode {
            Inter::Reply => reply.set(0),
            Inter::Card(_) => reply.int(0),
            Inter::Store(dst) => {
                // Here (a source is missing) Redis publishes before replying.
                if db.delete(dst) {
                    ctx.notify(notify::GENERIC, "del", dst);
                }
                ctx.reply().int(0);
            }
        }
        return Ok(());
    };
    // Smallest first, keeping the order of equal sizes (glibc's qsort is a merge sort):
    // the reply follows the first set's order, ascending when it is an intset.
    sets.sort_by_key(|s| s.len());
    let (first, rest) = sets.split_first().expect("at least one key (arity)");
    let mut scratch = Vec::new();
    let mut members = first.iter().filter(|&e| {
        rest.iter()
            .all(|s| std::ptr::eq(*s, *first) || s.contains_elem(e, &mut scratch))
    });
    match mode {
        Inter::Reply => {
            let out: Vec<Elem<'_>> = members.collect();
            reply.set(out.len());
            for e in out {
                reply_elem(reply, e);
            }
        }
        Inter::Card(limit) => {
            let mut n = 0u64;
            while members.next().is_some() {
                n += 1;
                if limit > 0 && n >= limit {
                    break;
                }
            }
            reply.int(n as i64);
        }
        Inter::Store(dst) => {
            let mut result = Set::new();
            let mut buf = Vec::new();
            for e in members {
                result.insert(e.bytes(&mut buf), max);
            }
            if let Some((class, event)) = store_result(db, reply, dst, result, now, "sinterstore") {
                ctx.notify(class, event, dst);
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SUNION, SDIFF and their STORE forms
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

fn sunion(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sunion_diff_generic(ctx, &a[1..], None, SetOp::Union)
}

fn sunionstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sunion_diff_generic(ctx, &a[2..], Some(a[1]), SetOp::Union)
}

fn sdiff(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sunion_diff_generic(ctx, &a[1..], None, SetOp::Diff)
}

fn sdiffstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sunion_diff_generic(ctx, &a[2..], Some(a[1]), SetOp::Diff)
}

/// A new set (starting as an intset) with every member of `sets`.
fn union_of(sets: &[Option<&Set>], max: usize) -> Set {
    let mut result = Set::new();
    let mut buf = Vec::new();
    for s in sets.iter().flatten() {
        for e in s.iter() {
            result.insert(e.bytes(&mut buf), max);
        }
    }
    result
}

/// The members of the first set that are in none of the others, computed as Redis 7.0
/// does. Which of its two algorithms runs is visible: the second adds the whole first set
/// before removing, so a removed non-integer member leaves a `hashtable` result where the
/// first would give an `intset`.
fn diff_of(sets: &[Option<&Set>], max: usize) -> Set {
    let mut result = Set::new();
    let Some(Some(first)) = sets.first() else {
        return result;
    };
    let (mut algo_one, mut algo_two) = (0u64, 0u64);
    for s in sets.iter().flatten() {
        algo_one += first.len() as u64;
        algo_two += s.len() as u64;
    }
    // Algorithm 1 has better constant times and stops early on common members.
    algo_one /= 2;
    let mut buf = Vec::new();
    if algo_one <= algo_two {
        // Larger sets first: a member is more likely found early.
        let mut others: Vec<Option<&Set>> = sets[1..].to_vec();
        others.sort_by_key(|s| std::cmp::Reverse(s.map_or(0, |s| s.len())));
        let mut scratch = Vec::new();
        for e in first.iter() {
            let elsewhere = others
                .iter()
                .flatten()
                .any(|s| std::ptr::eq(*s, *first) || s.contains_elem(e, &mut scratch));
            if !elsewhere {
                result.insert(e.bytes(&mut buf), max);
            }
        }
    } else {
        for e in first.iter() {
            result.insert(e.bytes(&mut buf), max);
        }
        for s in sets[1..].iter().flatten() {
            if result.is_empty() {
                break;
            }
            for e in s.iter() {
                result.remove(e.bytes(&mut buf));
            }
        }
    }
    result
}

fn sunion_diff_generic(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, op: SetOp) -> CmdResult {
    let max = ctx.srv.config.set_max_intset_entries;
    let (db, reply, now) = ctx.db_and_reply();
    let sets = lookup_sets(db, keys, now, Access::Read)?;
    let result = match op {
        SetOp::Union => union_of(&sets, max),
        SetOp::Diff => diff_of(&sets, max),
    };
    let Some(dst) = dst else {
        reply_members(reply, &result);
        return Ok(());
    };
    let event = match op {
        SetOp::Union => "sunionstore",
        SetOp::Diff => "sdiffstore",
    };
    if let Some((class, event)) = store_result(db, reply, dst, result, now, event) {
        ctx.notify(class, event, dst);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------

fn sscan(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut cursor = parse_cursor(a[2])?;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(s) = lookup_set(db, a[1], now, Access::Read)? else {
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    };
    // Options are parsed after the key is found, as in Redis.
    let opts = parse_scan_opts(a, 3, false)?;
    // Owned copies: the dict's scan lends each member only for the callback.
    let mut found: Vec<Vec<u8>> = Vec::new();
    // Redis's loop: at most 10 * COUNT steps, until COUNT members were gathered (before
    // MATCH filters them) or the scan is complete.
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = s.scan(cursor, |e| found.push(e.to_vec()));
        if cursor == 0 || budget == 0 || found.len() >= opts.count {
            break;
        }
        budget -= 1;
    }
    if let Some(p) = opts.pattern {
        found.retain(|m| glob_match(p, m, false));
    }
    reply.array(2);
    reply.bulk(cursor.to_string().as_bytes());
    reply.array(found.len());
    for m in &found {
        reply.bulk(m);
    }
    Ok(())
}
