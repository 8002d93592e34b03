//! ZPOPMIN/ZPOPMAX, ZMPOP and the blocking BZPOPMIN/BZPOPMAX/BZMPOP (genericZpopCommand,
//! blockingGenericZpopCommand, zmpopGenericCommand).
//!
//! Reply shapes, as Redis 7.0: ZPOPMIN without a count is a flat [member, score] in both
//! protocols; with a count it is flat in RESP2 and a list of pairs in RESP3. BZPOPMIN is
//! [key, member, score]. ZMPOP/BZMPOP are [key, [[member, score], ...]] in both.
//!
//! A blocking pop that finds nothing waits on its keys; when one is created the command
//! runs again (`ctx.is_retry()`). On a retry a key that now holds another type is passed
//! over instead of failing, since Redis only serves a waiter from a key of its type.

use super::super::Ctx;
use super::super::args::{self, is, timeout_deadline};
use super::super::error::{CmdError, CmdResult};
use super::super::rewrite;
use super::{lookup_write, notify_removal, positive, reply_elem};
use crate::storage::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    Min,
    Max,
}

/// How to shape the reply (genericZpopCommand's flags).
#[derive(Debug, Clone, Copy)]
struct Shape {
    emit_key: bool,
    nested: bool,
    nil_when_empty: bool,
}

pub(super) fn zpopmin(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    zpop_minmax(ctx, a, Where::Min)
}

pub(super) fn zpopmax(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    zpop_minmax(ctx, a, Where::Max)
}

fn zpop_minmax(ctx: &mut Ctx, a: &[&[u8]], w: Where) -> CmdResult {
    if a.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match a.get(2) {
        Some(c) => Some(positive(c)?),
        None => None,
    };
    let shape = Shape {
        emit_key: false,
        nested: ctx.client.reply.resp3 && count.is_some(),
        nil_when_empty: false,
    };
    pop_generic(ctx, &a[1..2], w, count, shape).map(|_| ())
}

/// genericZpopCommand: pop from the first of `keys` that exists. Returns whether it
/// replied with data (false: it replied empty/nil, or on a retry found nothing to serve).
fn pop_generic(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    w: Where,
    count: Option<i64>,
    shape: Shape,
) -> Result<bool, CmdError> {
    let (db, reply, now) = ctx.db_and_reply();
    let mut found = None;
    for &key in keys {
        if lookup_write(db, key, now)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        if shape.nil_when_empty {
            reply.null_array();
        } else {
            reply.array(0);
        }
        return Ok(false);
    };
    let Some(Value::ZSet(z)) = db.peek(key, now).map(|e| &mut e.value) else {
        return Ok(false);
    };
    if count == Some(0) {
        reply.array(0);
        return Ok(true);
    }
    let n = (count.unwrap_or(1) as u64).min(z.len() as u64) as usize;
    match (shape.emit_key, shape.nested) {
        (false, false) => reply.array(n * 2),
        (false, true) => reply.array(n),
        (true, false) => {
            reply.array(n * 2 + 1);
            reply.bulk(key);
        }
        (true, true) => {
            reply.array(2);
            reply.bulk(key);
            reply.array(n);
        }
    }
    let popped: Vec<(Vec<u8>, f64)> = z
        .iter_from(0, w == Where::Max)
        .take(n)
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    match w {
        Where::Min => z.delete_ranks(0, n - 1),
        Where::Max => z.delete_ranks(z.len() - n, z.len() - 1),
    };
    let emptied = z.is_empty();
    for (m, s) in &popped {
        if shape.nested {
            reply.array(2);
        }
        reply_elem(reply, crate::storage::zset::Elem::Str(m));
        reply.double(*s);
    }
    if emptied {
        db.delete(key);
    } else {
        db.touch(key);
    }
    let event = match w {
        Where::Min => "zpopmin",
        Where::Max => "zpopmax",
    };
    notify_removal(ctx, event, key, popped.len(), emptied);
    // The multi-key and blocking forms (those that reply with the key) are recorded as
    // ZPOPMIN/ZPOPMAX on the key served, as Redis: a replay neither waits nor picks.
    if shape.emit_key && ctx.propagating() {
        let name: &[u8] = match w {
            Where::Min => b"ZPOPMIN",
            Where::Max => b"ZPOPMAX",
        };
        let mut argv = rewrite::argv(&[name, key]);
        if count.is_some() {
            argv.push(rewrite::int(n as i64));
        }
        ctx.propagate_as(argv);
    }
    Ok(true)
}

pub(super) fn bzpopmin(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    bzpop(ctx, a, Where::Min)
}

pub(super) fn bzpopmax(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    bzpop(ctx, a, Where::Max)
}

fn bzpop(ctx: &mut Ctx, a: &[&[u8]], w: Where) -> CmdResult {
    let keys = &a[1..a.len() - 1];
    let shape = Shape {
        emit_key: true,
        nested: false,
        nil_when_empty: false,
    };
    blocking_pop(ctx, keys, a[a.len() - 1], w, None, shape)
}

/// blockingGenericZpopCommand: parse the timeout, pop from the first non-empty key, or
/// wait.
fn blocking_pop(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    timeout: &[u8],
    w: Where,
    count: Option<i64>,
    shape: Shape,
) -> CmdResult {
    let deadline = timeout_deadline(timeout, ctx.now())?;
    let retry = ctx.is_retry();
    let now = ctx.now();
    let db = ctx.db();
    let mut ready = None;
    for &key in keys {
        match lookup_write(db, key, now) {
            Ok(Some(z)) if !z.is_empty() => {
                ready = Some(key);
                break;
            }
            Ok(_) => {}
            Err(_) if retry => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(key) = ready {
        pop_generic(ctx, &[key], w, count, shape)?;
        return Ok(());
    }
    if !ctx.blocking_allowed() {
        ctx.reply().null_array();
        return Ok(());
    }
    ctx.block(keys, deadline);
    Ok(())
}

pub(super) fn zmpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    zmpop_generic(ctx, a, 1, false)
}

pub(super) fn bzmpop(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    zmpop_generic(ctx, a, 2, true)
}

/// zmpopGenericCommand: `numkeys key... MIN|MAX [COUNT n]`, with the timeout first for
/// BZMPOP.
fn zmpop_generic(ctx: &mut Ctx, a: &[&[u8]], numkeys_idx: usize, block: bool) -> CmdResult {
    let numkeys = match args::int(a[numkeys_idx]) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::msg("ERR numkeys should be greater than 0")),
    };
    let where_idx = (numkeys_idx as u64 + 1).saturating_add(numkeys);
    if where_idx >= a.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_idx = where_idx as usize;
    let w = if is(a[where_idx], "min") {
        Where::Min
    } else if is(a[where_idx], "max") {
        Where::Max
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if count.is_none() && is(a[j], "count") && more > 0 {
            j += 1;
            match args::int(a[j]) {
                Ok(n) if n >= 1 => count = Some(n),
                _ => return Err(CmdError::msg("ERR count should be greater than 0")),
            }
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let count = Some(count.unwrap_or(1));
    let keys = &a[numkeys_idx + 1..where_idx];
    let shape = Shape {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    if block {
        blocking_pop(ctx, keys, a[1], w, count, shape)
    } else {
        pop_generic(ctx, keys, w, count, shape).map(|_| ())
    }
}
