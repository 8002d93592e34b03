//! ZRANGE and its older forms (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX),
//! ZRANGESTORE, and ZREMRANGEBYRANK/SCORE/LEX.
//!
//! Argument handling is zrangeGenericCommand's, error for error: options are read first
//! (an unknown one, or one the command form does not take, is a syntax error), then the
//! LIMIT/WITHSCORES conflicts, then the range itself, and only then the key.

use super::super::Ctx;
use super::super::args::{self, is};
use super::super::error::{CmdError, CmdResult};
use super::{
    limits, lookup_read, lookup_write, notify_removal, parse_lex_range, parse_score_range,
    reply_item, reply_items_header,
};
use crate::config::notify::{GENERIC, ZSET};
use crate::storage::value::Value;
use crate::storage::zset::{AddFlags, Elem, LexRange, ScoreRange, ZSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

pub(super) fn zrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 1, None, Kind::Auto, Dir::Auto)
}

pub(super) fn zrangestore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 2, Some(a[1]), Kind::Auto, Dir::Auto)
}

pub(super) fn zrevrange(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 1, None, Kind::Rank, Dir::Reverse)
}

pub(super) fn zrangebyscore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 1, None, Kind::Score, Dir::Forward)
}

pub(super) fn zrevrangebyscore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 1, None, Kind::Score, Dir::Reverse)
}

pub(super) fn zrangebylex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 1, None, Kind::Lex, Dir::Forward)
}

pub(super) fn zrevrangebylex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, 1, None, Kind::Lex, Dir::Reverse)
}

/// The parsed range.
enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// zrangeGenericCommand. `start` is the index of the source key; `dst` is ZRANGESTORE's
/// destination.
fn generic(
    ctx: &mut Ctx,
    a: &[&[u8]],
    start: usize,
    dst: Option<&[u8]>,
    mut kind: Kind,
    mut dir: Dir,
) -> CmdResult {
    let store = dst.is_some();
    let key = a[start];
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    let mut withscores = false;
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut j = start + 3;
    while j < a.len() {
        let left = a.len() - j - 1;
        let o = a[j];
        if !store && is(o, "withscores") {
            withscores = true;
        } else if is(o, "limit") && left >= 2 {
            offset = args::int(a[j + 1])?;
            limit = args::int(a[j + 2])?;
            j += 2;
        } else if dir == Dir::Auto && is(o, "rev") {
            dir = Dir::Reverse;
        } else if kind == Kind::Auto && is(o, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && is(o, "byscore") {
            kind = Kind::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if dir == Dir::Auto {
        dir = Dir::Forward;
    }
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    // Redis tests `limit != -1`, so `LIMIT 0 -1` passes with a rank range.
    if limit != -1 && kind == Kind::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == Kind::Lex {
        return Err(CmdError::msg(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let rev = dir == Dir::Reverse;
    if rev && kind != Kind::Rank {
        // Score and lex ranges are given as max, min when reversed.
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let spec = match kind {
        Kind::Score => Spec::Score(parse_score_range(a[minidx], a[maxidx])?),
        Kind::Lex => Spec::Lex(parse_lex_range(a[minidx], a[maxidx])?),
        _ => Spec::Rank(args::int(a[minidx])?, args::int(a[maxidx])?),
    };

    let limits = limits(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let Some(z) = lookup_read(db, key, now)? else {
        match dst {
            Some(dst) => {
                reply.int(0);
                if db.delete(dst) {
                    ctx.notify(GENERIC, "del", dst);
                }
            }
            None => reply.array(0),
        }
        return Ok(());
    };
    let items = collect(z, &spec, rev, offset, limit);
    match dst {
        None => {
            reply_items_header(reply, items.len(), withscores);
            for (m, s) in items {
                reply_item(reply, m, s, withscores);
            }
        }
        Some(dst) => {
            let owned: Vec<(Vec<u8>, f64)> = items.iter().map(|(m, s)| (m.to_vec(), *s)).collect();
            drop(items);
            let n = owned.len();
            if n == 0 {
                reply.int(0);
                if db.delete(dst) {
                    ctx.notify(GENERIC, "del", dst);
                }
            } else {
                // zrangeResultBeginStore/EmitForStore: a rank range of more than
                // zset-max-listpack-entries starts as a skiplist, anything else as a
                // listpack; members then go in one by one in reply order, converting as
                // they come. The order is visible: a -0 score that passes through the
                // listpack comes out as 0.
                let mut z = match spec {
                    Spec::Rank(..) if n > limits.entries => ZSet::new_skiplist(n),
                    _ => ZSet::new_listpack(),
                };
                for (m, s) in &owned {
                    z.add(m, *s, AddFlags::default(), limits);
                }
                z.shrink_to_fit();
                db.set(dst, Value::ZSet(Box::new(z)), false, now);
                reply.int(n as i64);
                ctx.notify(ZSET, "zrangestore", dst);
            }
        }
    }
    Ok(())
}

/// The elements a range selects, in reply order.
fn collect<'a>(
    z: &'a ZSet,
    spec: &Spec,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Vec<(Elem<'a>, f64)> {
    let len = z.len() as i64;
    match spec {
        Spec::Rank(start, end) => {
            // genericZrangebyrankCommand's normalisation.
            let mut start = if *start < 0 { len + start } else { *start };
            let mut end = if *end < 0 { len + end } else { *end };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= len {
                return Vec::new();
            }
            if end >= len {
                end = len - 1;
            }
            z.iter_from(start as usize, rev)
                .take((end - start + 1) as usize)
                .collect()
        }
        Spec::Score(r) => {
            // A negative offset walks off the end in Redis (`while (ln && offset--)`), and
            // a negative limit means no limit.
            if (offset > 0 && offset >= len) || offset < 0 {
                return Vec::new();
            }
            let Some((first, last)) = z.score_range(r) else {
                return Vec::new();
            };
            let avail = (last - first + 1) as i64 - offset;
            if avail <= 0 {
                return Vec::new();
            }
            let n = if limit < 0 { avail } else { avail.min(limit) } as usize;
            let from = if rev { z.len() - 1 - last } else { first } + offset as usize;
            z.iter_from(from, rev).take(n).collect()
        }
        Spec::Lex(r) => {
            if offset < 0 {
                return Vec::new();
            }
            let found = if rev { z.lex_last(r) } else { z.lex_first(r) };
            let Some(pos) = found else {
                return Vec::new();
            };
            let from = if rev { z.len() - 1 - pos } else { pos };
            let n = if limit < 0 {
                usize::MAX
            } else {
                limit as usize
            };
            let Some(from) = from.checked_add(offset as usize) else {
                return Vec::new();
            };
            z.iter_from(from, rev)
                .take_while(|(m, _)| {
                    m.with_bytes(|m| if rev { r.gte_min(m) } else { r.lte_max(m) })
                })
                .take(n)
                .collect()
        }
    }
}

// ---- ZREMRANGEBY*

pub(super) fn zremrangebyrank(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let start = args::int(a[2])?;
    let end = args::int(a[3])?;
    remrange(ctx, a[1], "zremrangebyrank", |z| {
        let len = z.len() as i64;
        let mut start = if start < 0 { len + start } else { start };
        let mut end = if end < 0 { len + end } else { end };
        if start < 0 {
            start = 0;
        }
        if start > end || start >= len {
            return 0;
        }
        if end >= len {
            end = len - 1;
        }
        z.delete_ranks(start as usize, end as usize)
    })
}

pub(super) fn zremrangebyscore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let range = parse_score_range(a[2], a[3])?;
    remrange(ctx, a[1], "zremrangebyscore", |z| {
        z.delete_score_range(&range)
    })
}

pub(super) fn zremrangebylex(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    let range = parse_lex_range(a[2], a[3])?;
    remrange(ctx, a[1], "zremrangebylex", |z| z.delete_lex_range(&range))
}

fn remrange(
    ctx: &mut Ctx,
    key: &[u8],
    event: &str,
    op: impl FnOnce(&mut ZSet) -> usize,
) -> CmdResult {
    let now = ctx.now();
    let db = ctx.db();
    let mut deleted = 0;
    let mut emptied = false;
    if let Some(z) = lookup_write(db, key, now)? {
        deleted = op(z);
        emptied = z.is_empty();
    }
    if emptied {
        db.delete(key);
    } else if deleted > 0 {
        db.touch(key);
    }
    notify_removal(ctx, event, key, deleted, emptied);
    ctx.reply().int(deleted as i64);
    Ok(())
}
