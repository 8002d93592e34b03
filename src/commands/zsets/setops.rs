//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
//! (zunionInterDiffGenericCommand).
//!
//! Inputs may be sets, whose members count with score 1. Order of work follows Redis so
//! that floating-point results match: sources are sorted by cardinality (stable) for union
//! and intersection, each member's scores are combined in that order, a weighted score
//! that is NaN (0 × inf) counts as 0, and a SUM that gives NaN (inf + -inf) gives 0.
//!
//! Errors, in Redis's order: numkeys, then each key's type (before the options are read),
//! then the options.

use std::collections::HashMap;

use super::super::Ctx;
use super::super::args::{self, is};
use super::super::error::{CmdError, CmdResult};
use super::{limits, reply_item, reply_items_header};
use crate::config::notify::{GENERIC, ZSET};
use crate::storage::set::Set;
use crate::storage::value::Value;
use crate::storage::zset::{Elem, ZSet};
use crate::util::numbers::parse_f64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

pub(super) fn zunion(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, None, 1, Op::Union, false)
}

pub(super) fn zinter(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, None, 1, Op::Inter, false)
}

pub(super) fn zdiff(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, None, 1, Op::Diff, false)
}

pub(super) fn zunionstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, Some(a[1]), 2, Op::Union, false)
}

pub(super) fn zinterstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, Some(a[1]), 2, Op::Inter, false)
}

pub(super) fn zdiffstore(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, Some(a[1]), 2, Op::Diff, false)
}

pub(super) fn zintercard(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    generic(ctx, a, None, 1, Op::Inter, true)
}

/// One input: a sorted set, a set, or nothing (missing key).
#[derive(Clone, Copy)]
enum Src<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::S(s) => set_len(s),
        }
    }

    /// The member's score in this input, if present (a set member scores 1).
    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(m),
            Src::S(s) => set_contains(s, m).then_some(1.0),
        }
    }

    /// Every (member, score). Sorted sets are walked from the highest score down, as
    /// Redis's zuiNext does.
    fn for_each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Src::Missing => {}
            Src::Z(z) => {
                for (m, s) in z.iter_from(0, true) {
                    if !m.with_bytes(|m| f(m, s)) {
                        return;
                    }
                }
            }
            Src::S(s) => set_for_each(s, |m| f(m, 1.0)),
        }
    }
}

fn set_len(s: &Set) -> usize {
    s.len()
}

fn set_contains(s: &Set, m: &[u8]) -> bool {
    s.contains(m)
}

/// Every member of a set, until `f` returns false.
fn set_for_each(s: &Set, mut f: impl FnMut(&[u8]) -> bool) {
    let mut scratch = Vec::new();
    for e in s.iter() {
        if !f(e.bytes(&mut scratch)) {
            return;
        }
    }
}

fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            // inf + -inf: Redis settles on 0.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        // NaN never wins a comparison, so the target stays (Redis's ternaries).
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// A weighted score: 0 × ±inf is NaN, which Redis turns into 0.
fn weighted(weight: f64, score: f64) -> f64 {
    let s = weight * score;
    if s.is_nan() { 0.0 } else { s }
}

fn generic(
    ctx: &mut Ctx,
    a: &[&[u8]],
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: Op,
    card_only: bool,
) -> CmdResult {
    let setnum = args::int(a[numkeys_idx])?;
    if setnum < 1 {
        return Err(CmdError::msg(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        )));
    }
    let first_key = numkeys_idx + 1;
    if setnum as u64 > (a.len() - first_key) as u64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;
    let keys = &a[first_key..first_key + setnum];

    // Look every key up (expiry, stats, type) before the options, as Redis does.
    let now = ctx.now();
    {
        let db = ctx.db();
        for key in keys {
            if let Some(e) = db.lookup(key, now)
                && !matches!(e.value, Value::ZSet(_) | Value::Set(_))
            {
                return Err(CmdError::WrongType);
            }
        }
    }

    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: u64 = 0;
    let mut j = first_key + setnum;
    while j < a.len() {
        let remaining = a.len() - j;
        let o = a[j];
        if op != Op::Diff && !card_only && remaining > setnum && is(o, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = parse_f64(a[j])
                    .ok_or_else(|| CmdError::msg("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && is(o, "aggregate") {
            let v = a[j + 1];
            agg = if is(v, "sum") {
                Aggregate::Sum
            } else if is(v, "min") {
                Aggregate::Min
            } else if is(v, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(o, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(o, "limit") {
            limit = match args::int(a[j + 1]) {
                Ok(n) if n >= 0 => n as u64,
                _ => return Err(CmdError::msg("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }

    let limits = limits(ctx);
    let (db, reply, now) = ctx.db_and_reply();
    let mut srcs: Vec<(Src<'_>, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let src = match db.get(k).map(|e| &e.value) {
                Some(Value::ZSet(z)) => Src::Z(z),
                Some(Value::Set(s)) => Src::S(s),
                _ => Src::Missing,
            };
            (src, w)
        })
        .collect();
    if op != Op::Diff {
        srcs.sort_by_key(|(s, _)| s.len());
    }

    if card_only {
        let n = intercard(&srcs, limit);
        reply.int(n as i64);
        return Ok(());
    }
    let items = match op {
        Op::Union => union(&srcs, agg),
        Op::Inter => inter(&srcs, agg),
        Op::Diff => diff(&srcs),
    };
    match dst {
        None => {
            reply_items_header(reply, items.len(), withscores);
            for (m, s) in &items {
                reply_item(reply, Elem::Str(m), *s, withscores);
            }
        }
        Some(dst) => {
            let n = items.len();
            drop(srcs);
            if n == 0 {
                reply.int(0);
                if db.delete(dst) {
                    ctx.notify(GENERIC, "del", dst);
                }
            } else {
                let z = ZSet::from_sorted(items, limits);
                db.set(dst, Value::ZSet(Box::new(z)), false, now);
                reply.int(n as i64);
                let event = match op {
                    Op::Union => "zunionstore",
                    Op::Inter => "zinterstore",
                    Op::Diff => "zdiffstore",
                };
                ctx.notify(ZSET, event, dst);
            }
        }
    }
    Ok(())
}

/// Sort a result by (score, member), as the skiplist Redis builds it into orders it.
fn sorted(mut items: Vec<(Vec<u8>, f64)>) -> Vec<(Vec<u8>, f64)> {
    items.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    items
}

fn union(srcs: &[(Src<'_>, f64)], agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let cap = srcs.last().map_or(0, |(s, _)| s.len());
    let mut acc: HashMap<Vec<u8>, f64, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(cap, Default::default());
    for (src, w) in srcs {
        src.for_each(|m, s| {
            let score = weighted(*w, s);
            match acc.get_mut(m) {
                Some(t) => aggregate(t, score, agg),
                None => {
                    acc.insert(m.to_vec(), score);
                }
            }
            true
        });
    }
    sorted(acc.into_iter().collect())
}

fn inter(srcs: &[(Src<'_>, f64)], agg: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut out = Vec::new();
    let Some(((first, w0), rest)) = srcs.split_first() else {
        return out;
    };
    first.for_each(|m, s| {
        let mut score = weighted(*w0, s);
        for (src, w) in rest {
            match src.find(m) {
                Some(v) => aggregate(&mut score, v * w, agg),
                None => return true,
            }
        }
        out.push((m.to_vec(), score));
        true
    });
    sorted(out)
}

/// ZINTERCARD: the size of the intersection, stopping at `limit` (0 = no limit).
fn intercard(srcs: &[(Src<'_>, f64)], limit: u64) -> u64 {
    let Some(((first, _), rest)) = srcs.split_first() else {
        return 0;
    };
    let mut n = 0u64;
    first.for_each(|m, _| {
        if rest.iter().all(|(src, _)| src.find(m).is_some()) {
            n += 1;
            if limit != 0 && n >= limit {
                return false;
            }
        }
        true
    });
    n
}

/// ZDIFF: members of the first input found in no other, with their first-input scores.
fn diff(srcs: &[(Src<'_>, f64)]) -> Vec<(Vec<u8>, f64)> {
    let mut out = Vec::new();
    let Some(((first, _), rest)) = srcs.split_first() else {
        return out;
    };
    first.for_each(|m, s| {
        if rest.iter().all(|(src, _)| src.find(m).is_none()) {
            out.push((m.to_vec(), s));
        }
        true
    });
    sorted(out)
}
