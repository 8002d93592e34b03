//! List commands (Redis's t_list.c): pushes and pops at both ends, index access, ranges,
//! LINSERT/LREM/LTRIM/LPOS, moves between lists, and the blocking pops.
//!
//! Argument checks happen in Redis's order (some commands look the key up before parsing
//! a number, others after), because the first failing check decides which error a client
//! sees. A list left empty by a command is deleted at once. Blocking commands that find
//! no data call [`Ctx::block`]; when a waited key is created they run again (`is_retry`)
//! and either serve or block again, keeping their place.

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::rewrite;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify::{GENERIC, LIST};
use crate::protocol::Reply;
use crate::storage::Db;
use crate::storage::list::{List, LpEntry};
use crate::storage::value::Value;
use std::ops::ControlFlow;

const L: Group = Group::List;

pub static COMMANDS: &[Command] = &[
    cmd("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), L, lpush),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), L, rpush),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), L, lpushx),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), L, rpushx),
    cmd("lpop", -2, WRITE | FAST, (1, 1, 1), L, lpop),
    cmd("rpop", -2, WRITE | FAST, (1, 1, 1), L, rpop),
    cmd("lrange", 4, READONLY, (1, 1, 1), L, lrange),
    cmd("lindex", 3, READONLY, (1, 1, 1), L, lindex),
    cmd("lset", 4, WRITE | DENYOOM, (1, 1, 1), L, lset),
    cmd("linsert", 5, WRITE | DENYOOM, (1, 1, 1), L, linsert),
    cmd("llen", 2, READONLY | FAST, (1, 1, 1), L, llen),
    cmd("lrem", 4, WRITE, (1, 1, 1), L, lrem),
    cmd("ltrim", 4, WRITE, (1, 1, 1), L, ltrim),
    cmd("lpos", -3, READONLY, (1, 1, 1), L, lpos),
    cmd("lmove", 5, WRITE | DENYOOM, (1, 2, 1), L, lmove),
    cmd("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), L, rpoplpush),
    cmd("lmpop", -4, WRITE | MOVABLE_KEYS, (0, 0, 0), L, lmpop),
    cmd(
        "blpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        L,
        blpop,
    ),
    cmd(
        "brpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        L,
        brpop,
    ),
    cmd(
        "blmove",
        6,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        L,
        blmove,
    ),
    cmd(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        L,
        brpoplpush,
    ),
    cmd(
        "blmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        L,
        blmpop,
    ),
];

// -------------------------------------------------------------------------------------
// Lookups and small helpers
// -------------------------------------------------------------------------------------

/// The list under `key` for a read command (a keyspace hit or miss), WRONGTYPE for others.
fn read_list<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut List>, CmdError> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// The list under `key` for a write command (Redis's `lookupKeyWrite`: touches the key but
/// counts no hit or miss), WRONGTYPE for other types.
fn write_list<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Result<Option<&'a mut List>, CmdError> {
    match db.lookup_write(key, now) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(CmdError::WrongType),
        },
    }
}

/// A new empty list with the current `list-max-listpack-size` and `list-compress-depth`.
fn new_list(ctx: &Ctx) -> List {
    let c = &ctx.srv.config;
    List::new(c.list_max_listpack_size, c.list_compress_depth)
}

/// Record a change to the list under `key` (WATCH, the dirty counter), deleting it when
/// the command emptied it: Redis never keeps an empty list (and the deletion is a change).
fn changed(db: &mut Db, key: &[u8], emptied: bool) {
    if emptied {
        db.delete(key);
    } else {
        db.touch(key);
    }
}

fn push_event(left: bool) -> &'static str {
    if left { "lpush" } else { "rpush" }
}

/// The events of elements popped from `key` (Redis's `listElementsRemoved`): `lpop` or
/// `rpop`, then `del` if that emptied the list.
fn notify_pop(ctx: &mut Ctx, key: &[u8], left: bool, emptied: bool) {
    ctx.notify(LIST, if left { "lpop" } else { "rpop" }, key);
    if emptied {
        ctx.notify(GENERIC, "del", key);
    }
}

fn reply_entry(reply: &mut Reply, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(n) => reply.bulk_i64(n),
        LpEntry::Str(s) => reply.bulk(s),
    }
}

/// LEFT or RIGHT (Redis's `getListPositionFromObjectOrReply`); true for LEFT.
fn parse_side(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "left") {
        Ok(true)
    } else if is(arg, "right") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// An integer in `min..=max`; anything else (not an integer too) fails with `msg`, as
/// Redis's `getRangeLongFromObjectOrReply` with a message.
fn ranged(arg: &[u8], min: i64, max: i64, msg: &str) -> Result<i64, CmdError> {
    match args::int(arg) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(CmdError::msg(format!("ERR {msg}"))),
    }
}

fn arity_error(ctx: &Ctx) -> CmdError {
    CmdError::msg(format!(
        "ERR wrong number of arguments for '{}' command",
        ctx.cmd.name
    ))
}

/// A Redis range (`start`, `end`, negative from the tail) over `len` elements as
/// (offset, count), the way LRANGE and LTRIM clamp it; `None` when empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    let end = end.min(len - 1);
    Some((start as usize, (end - start + 1) as usize))
}

// -------------------------------------------------------------------------------------
// Pushes
// -------------------------------------------------------------------------------------

fn push_generic(ctx: &mut Ctx, a: &[&[u8]], left: bool, only_existing: bool) -> CmdResult {
    let fresh = new_list(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let key = a[1];
    let push = |l: &mut List| {
        for v in &a[2..] {
            if left {
                l.push_front(v);
            } else {
                l.push_back(v);
            }
        }
        l.shrink_ends();
    };
    match write_list(db, key, now)? {
        Some(l) => {
            push(l);
            reply.int(l.len() as i64);
            db.touch(key);
        }
        None if only_existing => {
            reply.int(0);
            return Ok(());
        }
        None => {
            let mut l = fresh;
            push(&mut l);
            reply.int(l.len() as i64);
            db.insert(key.into(), Value::List(Box::new(l)), None, now);
        }
    }
    ctx.notify(LIST, push_event(left), key);
    Ok(())
}

fn lpush(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    push_generic(ctx, a, true, false)
}

fn rpush(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    push_generic(ctx, a, false, false)
}

fn lpushx(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    push_generic(ctx, a, true, true)
}

fn rpushx(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    push_generic(ctx, a, false, true)
}

// -------------------------------------------------------------------------------------
// Pops
// -------------------------------------------------------------------------------------

/// Reply `count` elements popped from one end (in pop order) and remove them.
fn pop_range_reply(reply: &mut Reply, l: &mut List, left: bool, count: usize) {
    let n = count.min(l.len());
    reply.array(n);
    if left {
        l.for_range(0, n, false, |e| reply_entry(reply, e));
        l.delete_range(0, n);
    } else {
        let start = l.len() - n;
        l.for_range(start, n, true, |e| reply_entry(reply, e));
        l.delete_range(start, n);
    }
}

fn pop_one(l: &mut List, left: bool) -> Option<Vec<u8>> {
    if left { l.pop_front() } else { l.pop_back() }
}

fn pop_generic(ctx: &mut Ctx, a: &[&[u8]], left: bool) -> CmdResult {
    if a.len() > 3 {
        return Err(arity_error(ctx));
    }
    let count = match a.get(2) {
        Some(arg) => Some(ranged(
            arg,
            0,
            i64::MAX,
            "value is out of range, must be positive",
        )?),
        None => None,
    };
    let (db, reply, now) = ctx.db_and_reply();
    let key = a[1];
    let Some(l) = write_list(db, key, now)? else {
        if count.is_some() {
            reply.null_array();
        } else {
            reply.null();
        }
        return Ok(());
    };
    match count {
        Some(0) => {
            reply.array(0);
            return Ok(());
        }
        Some(n) => pop_range_reply(reply, l, left, n as usize),
        None => match pop_one(l, left) {
            Some(v) => reply.bulk(&v),
            None => {
                reply.null();
                return Ok(());
            }
        },
    }
    let emptied = l.is_empty();
    changed(db, key, emptied);
    notify_pop(ctx, key, left, emptied);
    Ok(())
}

fn lpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    pop_generic(ctx, a, true)
}

fn rpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    pop_generic(ctx, a, false)
}

// -------------------------------------------------------------------------------------
// Reads and in-place changes
// -------------------------------------------------------------------------------------

fn lrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let start = args::int(a[2])?;
    let end = args::int(a[3])?;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(l) = read_list(db, a[1], now)? else {
        reply.array(0);
        return Ok(());
    };
    match clamp_range(start, end, l.len()) {
        None => reply.array(0),
        Some((off, n)) => {
            reply.array(n);
            l.for_range(off, n, false, |e| reply_entry(reply, e));
        }
    }
    Ok(())
}

fn lindex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let Some(l) = read_list(db, a[1], now)? else {
        reply.null();
        return Ok(());
    };
    let index = args::int(a[2])?;
    if l.with_index(index, |e| reply_entry(reply, e)).is_none() {
        reply.null();
    }
    Ok(())
}

fn llen(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let n = read_list(db, a[1], now)?.map_or(0, |l| l.len());
    reply.int(n as i64);
    Ok(())
}

fn lset(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (db, reply, now) = ctx.db_and_reply();
    let l = write_list(db, a[1], now)?.ok_or(CmdError::NoSuchKey)?;
    let index = args::int(a[2])?;
    if !l.set(index, a[3]) {
        return Err(CmdError::msg("ERR index out of range"));
    }
    reply.ok();
    db.touch(a[1]);
    ctx.notify(LIST, "lset", a[1]);
    Ok(())
}

fn linsert(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let after = if is(a[2], "after") {
        true
    } else if is(a[2], "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let (db, reply, now) = ctx.db_and_reply();
    let Some(l) = write_list(db, a[1], now)? else {
        reply.int(0);
        return Ok(());
    };
    let Some(i) = l.position(a[3]) else {
        reply.int(-1);
        return Ok(());
    };
    l.insert(i, a[4], after);
    reply.int(l.len() as i64);
    db.touch(a[1]);
    ctx.notify(LIST, "linsert", a[1]);
    Ok(())
}

fn lrem(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let count = args::int(a[2])?;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(l) = write_list(db, a[1], now)? else {
        reply.int(0);
        return Ok(());
    };
    let removed = l.remove(a[3], count);
    reply.int(removed as i64);
    if removed > 0 {
        let emptied = l.is_empty();
        changed(db, a[1], emptied);
        ctx.notify(LIST, "lrem", a[1]);
        if emptied {
            ctx.notify(GENERIC, "del", a[1]);
        }
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let start = args::int(a[2])?;
    let end = args::int(a[3])?;
    let (db, reply, now) = ctx.db_and_reply();
    let Some(l) = write_list(db, a[1], now)? else {
        reply.ok();
        return Ok(());
    };
    let len = l.len();
    match clamp_range(start, end, len) {
        None => l.delete_range(0, len),
        Some((off, n)) => {
            // The tail first, so the head offsets stay valid.
            l.delete_range(off + n, len - off - n);
            l.delete_range(0, off);
        }
    }
    reply.ok();
    // Redis signals the key and publishes `ltrim` even when nothing was trimmed.
    let emptied = l.is_empty();
    changed(db, a[1], emptied);
    ctx.notify(LIST, "ltrim", a[1]);
    if emptied {
        ctx.notify(GENERIC, "del", a[1]);
    }
    Ok(())
}

fn lpos(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < a.len() {
        let more = j + 1 < a.len();
        if is(a[j], "rank") && more {
            j += 1;
            rank = args::int(a[j])?;
            if rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(a[j], "count") && more {
            j += 1;
            count = Some(ranged(a[j], 0, i64::MAX, "COUNT can't be negative")?);
        } else if is(a[j], "maxlen") && more {
            j += 1;
            maxlen = ranged(a[j], 0, i64::MAX, "MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // A negative rank searches from the tail. Redis negates it in C, where LLONG_MIN stays
    // negative: then every match satisfies `matches >= rank` (the first match from the
    // tail is returned), which wrapping_neg reproduces.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let (db, reply, now) = ctx.db_and_reply();
    let Some(l) = read_list(db, a[1], now)? else {
        if count.is_some() {
            reply.array(0);
        } else {
            reply.null();
        }
        return Ok(());
    };
    let len = l.len() as i64;
    let mut found: Vec<i64> = Vec::new();
    let mut index: i64 = 0;
    let mut matches: i64 = 0;
    l.scan(from_tail, |e| {
        if maxlen != 0 && index >= maxlen {
            return ControlFlow::Break(());
        }
        if e.eq_bytes(a[2]) {
            matches += 1;
            if matches >= rank {
                found.push(if from_tail { len - index - 1 } else { index });
                match count {
                    None => return ControlFlow::Break(()),
                    Some(c) if c != 0 && matches - rank + 1 >= c => {
                        return ControlFlow::Break(());
                    }
                    Some(_) => {}
                }
            }
        }
        index += 1;
        ControlFlow::Continue(())
    });
    match count {
        Some(_) => {
            reply.array(found.len());
            for i in found {
                reply.int(i);
            }
        }
        None => match found.first() {
            Some(&i) => reply.int(i),
            None => reply.null(),
        },
    }
    Ok(())
}

// -------------------------------------------------------------------------------------
// Moves between lists
// -------------------------------------------------------------------------------------

/// LMOVE's body (Redis's `lmoveGenericCommand`): null when the source is missing;
/// WRONGTYPE for a source or destination of another type, checked before anything moves.
fn lmove_generic(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_left: bool,
    to_left: bool,
) -> CmdResult {
    let fresh = new_list(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    if write_list(db, src, now)?.is_none() {
        reply.null();
        return Ok(());
    }
    if src == dst {
        // Rotation: pop and push on the same list, which never becomes empty.
        if let Some(l) = write_list(db, src, now)?
            && let Some(v) = pop_one(l, from_left)
        {
            push_one(l, &v, to_left);
            reply.bulk(&v);
            db.touch(src);
            ctx.notify(LIST, push_event(to_left), dst);
            notify_pop(ctx, src, from_left, false);
        }
        return Ok(());
    }
    let dst_exists = write_list(db, dst, now)?.is_some();
    let Some((v, emptied)) =
        write_list(db, src, now)?.and_then(|l| pop_one(l, from_left).map(|v| (v, l.is_empty())))
    else {
        reply.null();
        return Ok(());
    };
    changed(db, src, emptied);
    if dst_exists {
        if let Some(l) = write_list(db, dst, now)? {
            push_one(l, &v, to_left);
        }
        db.touch(dst);
    } else {
        let mut l = fresh;
        push_one(&mut l, &v, to_left);
        db.insert(dst.into(), Value::List(Box::new(l)), None, now);
    }
    reply.bulk(&v);
    // Redis's order: the push into the destination, then the pop from the source.
    ctx.notify(LIST, push_event(to_left), dst);
    notify_pop(ctx, src, from_left, emptied);
    Ok(())
}

fn push_one(l: &mut List, v: &[u8], left: bool) {
    if left {
        l.push_front(v);
    } else {
        l.push_back(v);
    }
}

fn lmove(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let from_left = parse_side(a[3])?;
    let to_left = parse_side(a[4])?;
    lmove_generic(ctx, a[1], a[2], from_left, to_left)
}

fn rpoplpush(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    lmove_generic(ctx, a[1], a[2], false, true)
}

// -------------------------------------------------------------------------------------
// Multi-key pops and the blocking commands
// -------------------------------------------------------------------------------------

/// Pop from the first non-empty list among `keys`. Returns false when none has data; a
/// key of another type before the first list found is WRONGTYPE, except when a blocked
/// command runs again: then, as in Redis 7.0, a waited key that was created with another
/// type does not serve the client, which keeps waiting. `count` None is the BLPOP shape
/// `[key, value]`; Some(n) is the LMPOP shape `[key, [values...]]`.
fn pop_first_of(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    left: bool,
    count: Option<usize>,
) -> Result<bool, CmdError> {
    let retry = ctx.is_retry();
    let (db, reply, now) = ctx.db_and_reply();
    for key in keys {
        let l = match write_list(db, key, now) {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(_) if retry => continue,
            Err(e) => return Err(e),
        };
        if l.is_empty() {
            continue;
        }
        let len = l.len();
        reply.array(2);
        reply.bulk(key);
        match count {
            Some(n) => pop_range_reply(reply, l, left, n),
            None => {
                let v = pop_one(l, left).unwrap_or_default();
                reply.bulk(&v);
            }
        }
        let emptied = l.is_empty();
        changed(db, key, emptied);
        notify_pop(ctx, key, left, emptied);
        // Recorded as the plain pop on the key served (as Redis): a replay pops the same
        // key without waiting, whichever keys were listed.
        if ctx.propagating() {
            let name: &[u8] = if left { b"LPOP" } else { b"RPOP" };
            let mut argv = rewrite::argv(&[name, key]);
            if let Some(n) = count {
                argv.push(rewrite::int(n.min(len) as i64));
            }
            ctx.propagate_as(argv);
        }
        return Ok(true);
    }
    Ok(false)
}

/// LMPOP/BLMPOP arguments from `numkeys` at `a[at]`: (keys, left, count).
fn parse_mpop<'a, 'b>(
    a: &'b [&'a [u8]],
    at: usize,
) -> Result<(&'b [&'a [u8]], bool, usize), CmdError> {
    let numkeys = ranged(a[at], 1, i64::MAX, "numkeys should be greater than 0")?;
    let where_idx = match usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
    {
        Some(i) if i < a.len() => i,
        _ => return Err(CmdError::Syntax),
    };
    let left = parse_side(a[where_idx])?;
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < a.len() {
        if count.is_none() && is(a[j], "count") && j + 1 < a.len() {
            j += 1;
            count = Some(ranged(a[j], 1, i64::MAX, "count should be greater than 0")?);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    Ok((&a[at + 1..where_idx], left, count))
}

fn lmpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let (keys, left, count) = parse_mpop(a, 1)?;
    if !pop_first_of(ctx, keys, left, Some(count))? {
        ctx.reply().null_array();
    }
    Ok(())
}

/// Wait on `keys` (or, where waiting is not allowed, reply as a timeout would: with
/// `null_bulk` for BLMOVE/BRPOPLPUSH, a null array for the others, as Redis 7.0).
fn block_or_null(ctx: &mut Ctx, keys: &[&[u8]], deadline: Option<i64>, null_bulk: bool) {
    if !ctx.blocking_allowed() {
        if null_bulk {
            ctx.reply().null();
        } else {
            ctx.reply().null_array();
        }
        return;
    }
    ctx.block(keys, deadline);
}

fn bpop_generic(ctx: &mut Ctx, a: &[&[u8]], left: bool) -> CmdResult {
    let last = a.len() - 1;
    let deadline = args::timeout_deadline(a[last], ctx.now())?;
    let keys = &a[1..last];
    if !pop_first_of(ctx, keys, left, None)? {
        block_or_null(ctx, keys, deadline, false);
    }
    Ok(())
}

fn blpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    bpop_generic(ctx, a, true)
}

fn brpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    bpop_generic(ctx, a, false)
}

fn blmpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    // numkeys, side and COUNT are checked before the timeout, as in Redis.
    let (keys, left, count) = parse_mpop(a, 2)?;
    let deadline = args::timeout_deadline(a[1], ctx.now())?;
    if !pop_first_of(ctx, keys, left, Some(count))? {
        block_or_null(ctx, keys, deadline, false);
    }
    Ok(())
}

/// BLMOVE/BRPOPLPUSH once the arguments are parsed (Redis's `blmoveGenericCommand`).
fn blmove_generic(
    ctx: &mut Ctx,
    a: &[&[u8]],
    from_left: bool,
    to_left: bool,
    deadline: Option<i64>,
) -> CmdResult {
    let retry = ctx.is_retry();
    let (db, _, now) = ctx.db_and_reply();
    match write_list(db, a[1], now) {
        Ok(Some(_)) => {
            // Recorded as the non-blocking move (as Redis).
            if ctx.propagating() {
                let argv = if ctx.cmd.name == "brpoplpush" {
                    rewrite::argv(&[b"RPOPLPUSH", a[1], a[2]])
                } else {
                    let side =
                        |left: bool| -> &'static [u8] { if left { b"left" } else { b"right" } };
                    rewrite::argv(&[b"LMOVE", a[1], a[2], side(from_left), side(to_left)])
                };
                ctx.propagate_as(argv);
            }
            return lmove_generic(ctx, a[1], a[2], from_left, to_left);
        }
        Ok(None) => {}
        // The waited source was created with another type: keep waiting (Redis 7.0).
        Err(_) if retry => {}
        Err(e) => return Err(e),
    }
    block_or_null(ctx, &a[1..2], deadline, true);
    Ok(())
}

fn blmove(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let from_left = parse_side(a[3])?;
    let to_left = parse_side(a[4])?;
    let deadline = args::timeout_deadline(a[5], ctx.now())?;
    blmove_generic(ctx, a, from_left, to_left, deadline)
}

fn brpoplpush(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let deadline = args::timeout_deadline(a[3], ctx.now())?;
    blmove_generic(ctx, a, false, true, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 3)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 3)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(-1, -1, 3), Some((2, 1)));
        assert_eq!(clamp_range(0, -4, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 3)));
        assert_eq!(clamp_range(0, 0, 0), None);
    }

    #[test]
    fn mpop_arguments() {
        let a: Vec<&[u8]> = vec![b"lmpop", b"2", b"a", b"b", b"LEFT", b"COUNT", b"3"];
        let (keys, left, count) = parse_mpop(&a, 1).unwrap();
        assert_eq!(keys, &[&b"a"[..], b"b"]);
        assert!(left);
        assert_eq!(count, 3);
        let a: Vec<&[u8]> = vec![b"lmpop", b"9223372036854775807", b"a", b"left"];
        assert_eq!(parse_mpop(&a, 1).unwrap_err(), CmdError::Syntax);
    }
}
