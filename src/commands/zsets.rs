//! Sorted-set commands (Redis's t_zset.c). This file holds the command table, the shared
//! helpers (key lookup, range parsing, replies) and the single-key commands; ranges live in
//! `zsets/range.rs`, set algebra in `zsets/setops.rs`, pops (and the blocking pops) in
//! `zsets/pop.rs`.
//!
//! Replies follow Redis 7.0 in both protocols: scores are doubles (bulk strings in RESP2),
//! and WITHSCORES pairs are flat in RESP2 but `[member, score]` arrays in RESP3.

mod pop;
mod range;
mod setops;

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::keys::{parse_cursor, parse_scan_opts};
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify::{GENERIC, ZSET};
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::value::Value;
use crate::storage::zset::{
    AddFlags, AddOutcome, Elem, LexBound, LexRange, Limits, ScoreRange, ZSet,
};
use crate::util::glob::glob_match;
use crate::util::numbers::{fmt_f64_17g, parse_f64_range_bound};

const Z: Group = Group::SortedSet;

pub static COMMANDS: &[Command] = &[
    cmd("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1), Z, zadd),
    cmd("zincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), Z, zincrby),
    cmd("zrem", -3, WRITE | FAST, (1, 1, 1), Z, zrem),
    cmd("zscore", 3, READONLY | FAST, (1, 1, 1), Z, zscore),
    cmd("zmscore", -3, READONLY | FAST, (1, 1, 1), Z, zmscore),
    cmd("zcard", 2, READONLY | FAST, (1, 1, 1), Z, zcard),
    cmd("zcount", 4, READONLY | FAST, (1, 1, 1), Z, zcount),
    cmd("zlexcount", 4, READONLY | FAST, (1, 1, 1), Z, zlexcount),
    cmd("zrange", -4, READONLY, (1, 1, 1), Z, range::zrange),
    cmd(
        "zrangestore",
        -5,
        WRITE | DENYOOM,
        (1, 2, 1),
        Z,
        range::zrangestore,
    ),
    cmd("zrevrange", -4, READONLY, (1, 1, 1), Z, range::zrevrange),
    cmd(
        "zrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        Z,
        range::zrangebyscore,
    ),
    cmd(
        "zrevrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        Z,
        range::zrevrangebyscore,
    ),
    cmd(
        "zrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        Z,
        range::zrangebylex,
    ),
    cmd(
        "zrevrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        Z,
        range::zrevrangebylex,
    ),
    cmd(
        "zremrangebyrank",
        4,
        WRITE,
        (1, 1, 1),
        Z,
        range::zremrangebyrank,
    ),
    cmd(
        "zremrangebyscore",
        4,
        WRITE,
        (1, 1, 1),
        Z,
        range::zremrangebyscore,
    ),
    cmd(
        "zremrangebylex",
        4,
        WRITE,
        (1, 1, 1),
        Z,
        range::zremrangebylex,
    ),
    cmd("zrank", 3, READONLY | FAST, (1, 1, 1), Z, zrank),
    cmd("zrevrank", 3, READONLY | FAST, (1, 1, 1), Z, zrevrank),
    cmd("zpopmin", -2, WRITE | FAST, (1, 1, 1), Z, pop::zpopmin),
    cmd("zpopmax", -2, WRITE | FAST, (1, 1, 1), Z, pop::zpopmax),
    cmd("zmpop", -4, WRITE | MOVABLE_KEYS, (0, 0, 0), Z, pop::zmpop),
    cmd(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        Z,
        pop::bzpopmin,
    ),
    cmd(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        Z,
        pop::bzpopmax,
    ),
    cmd(
        "bzmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        Z,
        pop::bzmpop,
    ),
    cmd("zrandmember", -2, READONLY, (1, 1, 1), Z, zrandmember),
    cmd(
        "zunion",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        Z,
        setops::zunion,
    ),
    cmd(
        "zinter",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        Z,
        setops::zinter,
    ),
    cmd(
        "zdiff",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        Z,
        setops::zdiff,
    ),
    cmd(
        "zunionstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        Z,
        setops::zunionstore,
    ),
    cmd(
        "zinterstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        Z,
        setops::zinterstore,
    ),
    cmd(
        "zdiffstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        Z,
        setops::zdiffstore,
    ),
    cmd(
        "zintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        Z,
        setops::zintercard,
    ),
    cmd("zscan", -3, READONLY, (1, 1, 1), Z, zscan),
];

// ---- shared helpers

/// The encoding limits from the configuration.
fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.srv.config.zset_max_listpack_entries,
        value: ctx.srv.config.zset_max_listpack_value,
    }
}

/// The sorted set under `key` for a read (keyspace hit/miss, LRU touch). WRONGTYPE for
/// other types.
fn lookup_read<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut ZSet>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// The sorted set under `key` for a write (Redis's lookupKeyWrite: LRU touch, no stats).
fn lookup_write<'a>(
    db: &'a mut Db,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut ZSet>, CmdError> {
    match db.lookup_write(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(CmdError::WrongType),
        },
    }
}

fn reply_elem(reply: &mut Reply, e: Elem<'_>) {
    match e {
        Elem::Str(b) => reply.bulk(b),
        Elem::Int(n) => reply.bulk_i64(n),
    }
}

/// Array header for `n` elements, WITHSCORES or not (RESP2 pairs are flat).
fn reply_items_header(reply: &mut Reply, n: usize, withscores: bool) {
    if withscores && !reply.resp3 {
        reply.array(n * 2);
    } else {
        reply.array(n);
    }
}

/// One element of a WITHSCORES-able reply.
fn reply_item(reply: &mut Reply, e: Elem<'_>, score: f64, withscores: bool) {
    if withscores && reply.resp3 {
        reply.array(2);
    }
    reply_elem(reply, e);
    if withscores {
        reply.double(score);
    }
}

const ERR_NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const ERR_NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// One bound of a score range (zslParseRange): `(` makes it exclusive; the rest is read
/// with strtod (so `""` is 0 and `1e400` is inf); NaN is refused.
fn parse_score_bound(b: &[u8]) -> Option<(f64, bool)> {
    match b.split_first() {
        Some((b'(', rest)) => Some((parse_f64_range_bound(rest)?, true)),
        _ => Some((parse_f64_range_bound(b)?, false)),
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let err = || CmdError::msg(ERR_NOT_FLOAT_RANGE);
    let (min, minex) = parse_score_bound(min).ok_or_else(err)?;
    let (max, maxex) = parse_score_bound(max).ok_or_else(err)?;
    Ok(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// One bound of a lex range (zslParseLexRangeItem). Like Redis, which reads a C string,
/// `+` and `-` may be followed by a NUL and anything after it.
fn parse_lex_bound(b: &[u8]) -> Option<(LexBound, bool)> {
    let alone = b.len() == 1 || b.get(1) == Some(&0);
    match b.first()? {
        b'+' if alone => Some((LexBound::Max, true)),
        b'-' if alone => Some((LexBound::Min, true)),
        b'(' => Some((LexBound::Val(b[1..].to_vec()), true)),
        b'[' => Some((LexBound::Val(b[1..].to_vec()), false)),
        _ => None,
    }
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
    let err = || CmdError::msg(ERR_NOT_LEX_RANGE);
    let (min, minex) = parse_lex_bound(min).ok_or_else(err)?;
    let (max, maxex) = parse_lex_bound(max).ok_or_else(err)?;
    Ok(LexRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// A count argument that must be >= 0 (getPositiveLongFromObjectOrReply): in Redis 7.0
/// a non-number gets the same text as a negative number.
fn positive(arg: &[u8]) -> Result<i64, CmdError> {
    match args::int(arg) {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(CmdError::msg("ERR value is out of range, must be positive")),
    }
}

// ---- ZADD / ZINCRBY

/// Also GEOADD's engine: it validates its points and runs the equivalent ZADD.
pub(crate) fn zadd(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    zadd_generic(ctx, a, false)
}

fn zincrby(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    zadd_generic(ctx, a, true)
}

/// zaddGenericCommand. ZINCRBY goes through the same option loop, so, as in Redis,
/// `ZINCRBY key nx member` reads `nx` as an option and fails with a syntax error.
fn zadd_generic(ctx: &mut Ctx, a: &[&[u8]], incr: bool) -> CmdResult {
    let mut f = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut i = 2;
    while i < a.len() {
        let o = a[i];
        if is(o, "nx") {
            f.nx = true;
        } else if is(o, "xx") {
            f.xx = true;
        } else if is(o, "ch") {
            ch = true;
        } else if is(o, "incr") {
            f.incr = true;
        } else if is(o, "gt") {
            f.gt = true;
        } else if is(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = a.len() - i;
    if !elements.is_multiple_of(2) || elements == 0 {
        return Err(CmdError::Syntax);
    }
    let pairs = elements / 2;
    if f.nx && f.xx {
        return Err(CmdError::msg(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::msg(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs > 1 {
        return Err(CmdError::msg(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = (0..pairs)
        .map(|j| args::float(a[i + 2 * j]))
        .collect::<Result<Vec<f64>, _>>()?;
    let limits = limits(ctx);
    let key = a[1];
    let (db, reply, now) = ctx.db_and_reply();

    let mut added = 0i64;
    let mut updated = 0i64;
    let mut processed = 0i64;
    let mut last_score = 0.0;
    let mut apply = |z: &mut ZSet| -> CmdResult {
        for (j, &score) in scores.iter().enumerate() {
            match z.add(a[i + 2 * j + 1], score, f, limits) {
                AddOutcome::Nan => {
                    return Err(CmdError::msg("ERR resulting score is not a number (NaN)"));
                }
                AddOutcome::Added(s) => {
                    added += 1;
                    processed += 1;
                    last_score = s;
                }
                AddOutcome::Updated(s) => {
                    updated += 1;
                    processed += 1;
                    last_score = s;
                }
                AddOutcome::Unchanged(s) => {
                    processed += 1;
                    last_score = s;
                }
                AddOutcome::Skipped => {}
            }
        }
        Ok(())
    };
    match lookup_write(db, key, now)? {
        Some(z) => {
            apply(z)?;
            if added + updated > 0 {
                z.shrink_to_fit();
                db.touch(key);
            }
        }
        None if f.xx => {}
        None => {
            let mut z = ZSet::for_new_key(a[i + 1].len(), limits);
            apply(&mut z)?;
            z.shrink_to_fit();
            if !z.is_empty() {
                db.insert(key.into(), Value::ZSet(Box::new(z)), None, now);
            }
        }
    }
    if f.incr {
        if processed > 0 {
            reply.double(last_score);
        } else {
            reply.null();
        }
    } else {
        reply.int(if ch { added + updated } else { added });
    }
    if added + updated > 0 {
        ctx.notify(ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    Ok(())
}

/// The events of a removal: `event` on the key, then `del` if it is gone (Redis's order).
fn notify_removal(ctx: &mut Ctx, event: &str, key: &[u8], removed: usize, emptied: bool) {
    if removed > 0 {
        ctx.notify(ZSET, event, key);
        if emptied {
            ctx.notify(GENERIC, "del", key);
        }
    }
}

// ---- single-member commands

fn zrem(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let key = a[1];
    let now = ctx.now();
    let db = ctx.db();
    let mut deleted = 0;
    let mut emptied = false;
    if let Some(z) = lookup_write(db, key, now)? {
        for m in &a[2..] {
            if z.remove(m) {
                deleted += 1;
            }
            if z.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        db.delete(key);
    } else if deleted > 0 {
        db.touch(key);
    }
    notify_removal(ctx, "zrem", key, deleted, emptied);
    ctx.reply().int(deleted as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_read(db, a[1], now)?.and_then(|z| z.score(a[2])) {
        Some(s) => reply.double(s),
        None => reply.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let z = lookup_read(db, a[1], now)?;
    reply.array(a.len() - 2);
    for m in &a[2..] {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => reply.double(s),
            None => reply.null(),
        }
    }
    Ok(())
}

fn zcard(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = lookup_read(db, a[1], now)?.map_or(0, |z| z.len());
    reply.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let range = parse_score_range(a[2], a[3])?;
    let (db, reply, now) = ctx.db_and_reply();
    let n = match lookup_read(db, a[1], now)? {
        Some(z) => z.score_range(&range).map_or(0, |(f, l)| l - f + 1),
        None => 0,
    };
    reply.int(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let range = parse_lex_range(a[2], a[3])?;
    let (db, reply, now) = ctx.db_and_reply();
    let n = match lookup_read(db, a[1], now)? {
        Some(z) => z.lex_count(&range),
        None => 0,
    };
    reply.int(n as i64);
    Ok(())
}

fn zrank(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    rank_generic(ctx, a, false)
}

fn zrevrank(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    rank_generic(ctx, a, true)
}

fn rank_generic(ctx: &mut Ctx, a: &[&[u8]], rev: bool) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    match lookup_read(db, a[1], now)?.and_then(|z| z.rank(a[2], rev)) {
        Some(r) => reply.int(r as i64),
        None => reply.null(),
    }
    Ok(())
}

// ---- ZSCAN

fn zscan(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut cursor = parse_cursor(a[2])?;
    let (db, reply, now) = ctx.db_and_reply();
    // A missing key answers an empty scan before the options are even parsed.
    let Some(z) = lookup_read(db, a[1], now)? else {
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    };
    let opts = parse_scan_opts(a, 3, false)?;
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    // Redis's loop: at most count*10 steps, until `count` reply entries (members and
    // scores both count) are collected.
    let mut budget = opts.count.saturating_mul(10);
    loop {
        cursor = z.scan(cursor, |m, s| found.push((m.to_vec(), s)));
        if cursor == 0 || budget == 0 || found.len() * 2 >= opts.count {
            break;
        }
        budget -= 1;
    }
    if let Some(p) = opts.pattern {
        found.retain(|(m, _)| glob_match(p, m, false));
    }
    reply.array(2);
    reply.bulk(cursor.to_string().as_bytes());
    reply.array(found.len() * 2);
    let mut buf = Vec::with_capacity(24);
    for (m, s) in &found {
        reply.bulk(m);
        buf.clear();
        fmt_f64_17g(*s, &mut buf);
        reply.bulk(&buf);
    }
    Ok(())
}

// ---- ZRANDMEMBER

fn zrandmember(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    if a.len() >= 3 {
        let l = args::int(a[2])?;
        if l == i64::MIN {
            return Err(CmdError::msg(
                "ERR value is out of range, value must between -9223372036854775807 and \
                 9223372036854775807",
            ));
        }
        let withscores = match a.len() {
            3 => false,
            4 if is(a[3], "withscores") => true,
            _ => return Err(CmdError::Syntax),
        };
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::msg("ERR value is out of range"));
        }
        return zrandmember_count(ctx, a[1], l, withscores);
    }
    let now = ctx.now();
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let reply = &mut ctx.client.reply;
    let Some(z) = lookup_read(&mut dbs[ctx.client.db], a[1], now)? else {
        reply.null();
        return Ok(());
    };
    let r = (rng.next_u64() % z.len() as u64) as usize;
    if let Some((m, _)) = z.get(r) {
        reply_elem(reply, m);
    }
    Ok(())
}

/// zrandmemberWithCountCommand: a negative count allows repeats; a positive one returns
/// distinct members (all of them, highest score first, when count >= size).
fn zrandmember_count(ctx: &mut Ctx, key: &[u8], l: i64, withscores: bool) -> CmdResult {
    let now = ctx.now();
    let limit = ctx.srv.config.client_output_buffer_limit[crate::config::OBUF_NORMAL];
    let crate::server::ServerState { dbs, rng, .. } = &mut *ctx.srv;
    let client = &mut *ctx.client;
    let Some(z) = lookup_read(&mut dbs[client.db], key, now)? else {
        client.reply.array(0);
        return Ok(());
    };
    let size = z.len();
    // Picks by rank: O(log n) on a skiplist; a listpack (at most a few hundred entries) is
    // read once into a table rather than walked for every pick.
    let table: Vec<(Elem<'_>, f64)> = if z.listpack().is_some() {
        z.iter().collect()
    } else {
        Vec::new()
    };
    let pick = |r: usize| {
        if table.is_empty() {
            z.get(r)
        } else {
            table.get(r).copied()
        }
    };
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        client.reply.array(0);
        return Ok(());
    }
    if l < 0 || count == 1 {
        reply_items_header(&mut client.reply, count, withscores);
        for i in 0..count {
            let r = (rng.next_u64() % size as u64) as usize;
            if let Some((m, s)) = pick(r) {
                reply_item(&mut client.reply, m, s, withscores);
            }
            // A huge count can outgrow the output limit: stop, as Redis does, and let the
            // client be closed.
            if i % 1024 == 1023 && client.over_output_limit(&limit, now) {
                client.close_asap = true;
                break;
            }
        }
        return Ok(());
    }
    let reply = &mut client.reply;
    if count >= size {
        reply_items_header(reply, size, withscores);
        for (m, s) in z.iter_from(0, true) {
            reply_item(reply, m, s, withscores);
        }
        return Ok(());
    }
    // Distinct random ranks: a partial shuffle when the sample is a large part of the
    // set, rejection otherwise.
    let ranks: Vec<usize> = if count * 3 > size {
        let mut all: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + (rng.next_u64() % (size - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        let mut seen = std::collections::HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let r = (rng.next_u64() % size as u64) as usize;
            if seen.insert(r) {
                out.push(r);
            }
        }
        out
    };
    reply_items_header(reply, count, withscores);
    for r in ranks {
        if let Some((m, s)) = pick(r) {
            reply_item(reply, m, s, withscores);
        }
    }
    Ok(())
}
