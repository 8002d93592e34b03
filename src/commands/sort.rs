//! SORT and SORT_RO (Redis's sort.c): sort a list, set or sorted set, numerically or
//! alphabetically, by its elements or by external keys (`BY weight_*`, `BY h_*->field`),
//! with LIMIT, GET (`#` for the element itself) and STORE into a list.
//!
//! The steps are Redis's, in its order, because the order decides which error wins and
//! which keys count as keyspace hits: parse every option (syntax errors first), look the
//! key up (WRONGTYPE), load the elements, load each element's sort key (`BY` lookups,
//! then the numeric conversion), sort, then either reply (with `GET` lookups) or store.
//!
//! Redis quirks kept on purpose:
//! - `BY` with a pattern holding no `*` means "do not sort": lists and sorted sets keep
//!   their order (reversed by DESC), sets their iteration order. With STORE a set is
//!   sorted alphabetically anyway, so that what is stored does not depend on the set's
//!   internal order.
//! - A missing `BY` key sorts as 0 (numeric) or before everything (ALPHA); a missing `GET`
//!   key replies nil, or stores an empty string.
//! - Numeric conversion is C `strtod` with Redis's checks: the whole string up to a NUL
//!   byte must parse, NaN and out-of-range values (overflow, and underflow to subnormal or
//!   zero) are "One or more scores can't be converted into double"; `""` is 0.
//! - ALPHA without STORE compares with `strcoll` in Redis; under the C locale (what a
//!   server started without a locale uses) that is `strcmp`: bytes up to the first NUL.
//!   With STORE, Redis compares whole binary strings. Both are reproduced.
//! - Patterns are C strings in Redis: a `*` or `->` after a NUL byte is not seen.

use std::cmp::Ordering;

use super::Ctx;
use super::args::{self, is};
use super::error::{CmdError, CmdResult};
use super::rewrite;
use super::table::{Command, Group, cmd, flags::*};
use crate::config::notify;
use crate::storage::Db;
use crate::storage::value::Value;

const G: Group = Group::Generic;

pub static COMMANDS: &[Command] = &[
    cmd(
        "sort",
        -2,
        WRITE | DENYOOM | MOVABLE_KEYS | DANGEROUS,
        (1, 1, 1),
        G,
        sort,
    ),
    cmd(
        "sort_ro",
        -2,
        READONLY | MOVABLE_KEYS | DANGEROUS,
        (1, 1, 1),
        G,
        sort_ro,
    ),
];

const SCORE_ERR: &str = "ERR One or more scores can't be converted into double";

/// SORT's options, as parsed.
#[derive(Debug, Default)]
struct Opts<'a> {
    by: Option<&'a [u8]>,
    /// `BY` without `*`: keep the native order.
    dontsort: bool,
    limit_start: i64,
    limit_count: i64,
    gets: Vec<&'a [u8]>,
    desc: bool,
    alpha: bool,
    store: Option<&'a [u8]>,
}

fn parse_opts<'a>(a: &[&'a [u8]], readonly: bool) -> Result<Opts<'a>, CmdError> {
    let mut o = Opts {
        limit_count: -1,
        ..Opts::default()
    };
    let mut j = 2;
    while j < a.len() {
        let left = a.len() - j - 1;
        let opt = a[j];
        if is(opt, "asc") {
            o.desc = false;
        } else if is(opt, "desc") {
            o.desc = true;
        } else if is(opt, "alpha") {
            o.alpha = true;
        } else if is(opt, "limit") && left >= 2 {
            o.limit_start = args::int(a[j + 1])?;
            o.limit_count = args::int(a[j + 2])?;
            j += 2;
        } else if !readonly && is(opt, "store") && left >= 1 {
            o.store = Some(a[j + 1]);
            j += 1;
        } else if is(opt, "by") && left >= 1 {
            o.by = Some(a[j + 1]);
            // Once set, "do not sort" stays set even if a later BY has a `*` (as in Redis).
            if !c_str(a[j + 1]).contains(&b'*') {
                o.dontsort = true;
            }
            j += 1;
        } else if is(opt, "get") && left >= 1 {
            o.gets.push(a[j + 1]);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The part of `b` a C string function sees: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// Which kind of value is sorted; it decides the "do not sort" order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// The value a pattern points at for one element (Redis's `lookupKeyByPattern`): `#` is
/// the element itself; otherwise the first `*` is replaced by the element, and a `->field`
/// suffix after it reads that field of a hash. Reads count as keyspace hits or misses.
fn lookup_by_pattern(db: &mut Db, pattern: &[u8], elem: &[u8], now: i64) -> Option<Vec<u8>> {
    let cp = c_str(pattern);
    if cp == b"#" {
        return Some(elem.to_vec());
    }
    let star = cp.iter().position(|&c| c == b'*')?;
    // `->` after the `*`, followed by at least one (C-visible) byte: a hash field.
    let field = cp[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < cp.len())
        .map(|f| &pattern[f + 2..]);
    let postfix_end = pattern.len() - field.map_or(0, |f| f.len() + 2);
    let mut key = Vec::with_capacity(pattern.len() + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    let entry = db.lookup(&key, now)?;
    match (&entry.value, field) {
        (Value::Str(s), None) => Some(s.to_vec()),
        (Value::Hash(h), Some(f)) => h.get(f).map(|v| v.to_vec()),
        _ => None,
    }
}

/// A BY value as a number, Redis's way: `strtod` must stop at the end (or at a NUL byte),
/// and NaN or a range error (overflow, underflow) fails.
fn sort_score(b: &[u8]) -> Option<f64> {
    let mut buf = Vec::with_capacity(b.len() + 1);
    buf.extend_from_slice(b);
    buf.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; strtod writes `end` to point
    // into it. errno is thread-local, reset first so a stale value cannot leak in.
    let (v, erange) = unsafe {
        *errno_location() = 0;
        let v = libc::strtod(buf.as_ptr().cast(), &mut end);
        (v, *errno_location() == libc::ERANGE)
    };
    // SAFETY: `end` points into `buf` (at worst at its start), which is still alive.
    let stopped_at_nul = !end.is_null() && unsafe { *end } == 0;
    (stopped_at_nul && !erange && !v.is_nan()).then_some(v)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn errno_location() -> *mut libc::c_int {
    // SAFETY: always valid for the calling thread.
    unsafe { libc::__errno_location() }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
unsafe fn errno_location() -> *mut libc::c_int {
    // SAFETY: always valid for the calling thread.
    unsafe { libc::__error() }
}

/// One element being sorted and its sort key.
struct Item {
    elem: Vec<u8>,
    score: f64,
    /// ALPHA with BY: the looked-up value (`None` when the key or field is missing).
    cmp: Option<Vec<u8>>,
}

/// Redis's `sortCompare` (before DESC is applied).
fn compare(a: &Item, b: &Item, alpha: bool, by: bool, store: bool) -> Ordering {
    if !alpha {
        return a
            .score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.elem.cmp(&b.elem));
    }
    let (x, y) = if by {
        match (&a.cmp, &b.cmp) {
            (Some(x), Some(y)) => (x, y),
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    } else {
        (&a.elem, &b.elem)
    };
    if store {
        x.cmp(y)
    } else {
        c_str(x).cmp(c_str(y))
    }
}

/// Redis's `pqsort` (pqsort.c: Bentley & McIlroy's quicksort that only recurses into
/// partitions overlapping the requested `[lrange, rrange]`), ported step for step so that
/// SORT ... BY ... LIMIT orders ties exactly as Redis does: the algorithm is not stable,
/// and which of two equal elements comes first is part of the reply.
fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, lrange: usize, rrange: i64) {
    pq_range(v, 0, v.len(), cmp, lrange as i64, rrange + 1);
}

/// `pqsort` on `v[lo..lo + n]`; `[l, r_end)` is the wanted range of absolute indices.
fn pq_range<T>(
    v: &mut [T],
    mut lo: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
    l: i64,
    r_end: i64,
) {
    let med3 = |v: &[T], a: usize, b: usize, c: usize| -> usize {
        if cmp(&v[a], &v[b]) == Ordering::Less {
            if cmp(&v[b], &v[c]) == Ordering::Less {
                b
            } else if cmp(&v[a], &v[c]) == Ordering::Less {
                c
            } else {
                a
            }
        } else if cmp(&v[b], &v[c]) == Ordering::Greater {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            a
        } else {
            c
        }
    };
    let vecswap = |v: &mut [T], a: usize, b: usize, k: usize| {
        for i in 0..k {
            v.swap(a + i, b + i);
        }
    };
    // Whether the partition `[s, s + m)` lies wholly before or after the wanted range.
    let outside = |s: usize, m: usize| {
        let (s, e) = (s as i64, (s + m) as i64);
        (l < s && r_end <= s) || (l >= e && r_end > e)
    };
    loop {
        if n < 7 {
            for pm in lo + 1..lo + n {
                let mut pl = pm;
                while pl > lo && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = lo + n / 2;
        if n > 7 {
            let mut pl = lo;
            let mut pn = lo + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d);
                pm = med3(v, pm - d, pm, pm + d);
                pn = med3(v, pn - 2 * d, pn - d, pn);
            }
            pm = med3(v, pl, pm, pn);
        }
        v.swap(lo, pm);
        let (mut pa, mut pb) = (lo + 1, lo + 1);
        let (mut pc, mut pd) = (lo + n - 1, lo + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[lo]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[lo]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = lo + n;
        let r = (pa - lo).min(pb - pa);
        vecswap(v, lo, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let left = pb - pa;
        if left > 1 && !outside(lo, left) {
            pq_range(v, lo, left, cmp, l, r_end);
        }
        let right = pd - pc;
        if right > 1 && !outside(pn - right, right) {
            lo = pn - right;
            n = right;
            continue;
        }
        return;
    }
}

/// `[start, end]` of the output within `len` elements, as Redis clamps LIMIT (`end` may
/// be `start - 1`: nothing).
fn limit_range(start: i64, count: i64, len: i64) -> (i64, i64) {
    let mut start = start.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 { len } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

fn sort(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, a, false)
}

fn sort_ro(ctx: &mut Ctx, a: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, a, true)
}

fn sort_generic(ctx: &mut Ctx, a: &[&[u8]], readonly: bool) -> CmdResult {
    let mut o = parse_opts(a, readonly)?;
    let list_cfg = (
        ctx.srv.config.list_max_listpack_size,
        ctx.srv.config.list_compress_depth,
    );
    let (db, reply, now) = ctx.db_and_reply();
    let (kind, mut elems) = match db.lookup(a[1], now) {
        None => (Kind::List, Vec::new()),
        Some(e) => load(&e.value)?,
    };
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let by_alpha = o.alpha && o.by.is_some() && !o.dontsort;
    let (start, end) = limit_range(o.limit_start, o.limit_count, elems.len() as i64);
    let range = |v: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        if end < start {
            return Vec::new();
        }
        v.into_iter()
            .skip(start as usize)
            .take((end - start + 1) as usize)
            .collect()
    };
    let selected = if o.dontsort {
        if o.desc && kind != Kind::Set {
            elems.reverse();
        }
        range(elems)
    } else {
        let mut bad_score = false;
        let mut items: Vec<Item> = Vec::with_capacity(elems.len());
        for elem in elems {
            let mut item = Item {
                elem,
                score: 0.0,
                cmp: None,
            };
            let byval = match o.by {
                Some(p) => lookup_by_pattern(db, p, &item.elem, now),
                None => None,
            };
            if o.alpha {
                item.cmp = byval;
            } else if o.by.is_none() || byval.is_some() {
                let text = byval.as_deref().unwrap_or(&item.elem);
                match sort_score(text) {
                    Some(s) => item.score = s,
                    None => bad_score = true,
                }
            }
            items.push(item);
        }
        if bad_score {
            return Err(CmdError::msg(SCORE_ERR));
        }
        let (alpha, by, store) = (o.alpha, o.by.is_some(), o.store.is_some());
        let desc = o.desc;
        let cmp = |x: &Item, y: &Item| {
            let c = compare(x, y, alpha, by, store);
            if desc { c.reverse() } else { c }
        };
        // Redis sorts BY a pattern with a LIMIT using its partial quicksort, everything
        // else with glibc's qsort, a merge sort (stable) at these sizes: ties (ALPHA BY
        // with equal or missing values) come out in the same order either way.
        if by && (start != 0 || end != items.len() as i64 - 1) {
            pqsort(&mut items, &cmp, start.max(0) as usize, end);
        } else {
            items.sort_by(cmp);
        }
        range(items.into_iter().map(|i| i.elem).collect())
    };

    match o.store {
        None => {
            let per = o.gets.len().max(1);
            reply.array(selected.len() * per);
            for elem in &selected {
                if o.gets.is_empty() {
                    reply.bulk(elem);
                }
                for g in &o.gets {
                    match lookup_by_pattern(db, g, elem, now) {
                        Some(v) => reply.bulk(&v),
                        None => reply.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(selected.len() * o.gets.len().max(1));
            for elem in selected {
                if o.gets.is_empty() {
                    out.push(elem);
                    continue;
                }
                for g in &o.gets {
                    out.push(lookup_by_pattern(db, g, &elem, now).unwrap_or_default());
                }
            }
            let n = out.len();
            // Recorded as its result when a replay could store something else: ALPHA BY
            // a pattern leaves ties (equal or missing values) in input order, which for a
            // set is its iteration order, and for a sorted set in Redis its hash order
            // (Redis also converts a sorted set it sorts to a skiplist, so a SORT of one
            // in the AOF would change its encoding on a Redis replay).
            if (by_alpha || kind == Kind::ZSet) && ctx.srv.propagate.enabled {
                propagate_result(ctx, dst, &out);
            }
            let (db, _, _) = ctx.db_and_reply();
            // Redis's `setKey`: an existing destination is overwritten (no `new` event).
            if n > 0 {
                let list = make_list(out, list_cfg);
                db.set(dst, Value::List(Box::new(list)), false, now);
                ctx.notify(notify::LIST, "sortstore", dst);
            } else if db.delete(dst) {
                ctx.notify(notify::GENERIC, "del", dst);
            }
            ctx.reply().int(n as i64);
        }
    }
    Ok(())
}

/// Record SORT ... STORE as `DEL dst` then `RPUSH dst` of what it stored (in batches),
/// instead of the SORT itself.
fn propagate_result(ctx: &mut Ctx, dst: &[u8], out: &[Vec<u8>]) {
    ctx.also_propagate(rewrite::argv(&[b"DEL", dst]));
    for batch in out.chunks(1024) {
        let mut argv = Vec::with_capacity(batch.len() + 2);
        argv.push(b"RPUSH".to_vec());
        argv.push(dst.to_vec());
        argv.extend(batch.iter().cloned());
        ctx.also_propagate(argv);
    }
    ctx.no_propagate();
}

/// The elements of a sortable value, in its native order (list order, set iteration
/// order, sorted-set rank order); WRONGTYPE for strings and hashes.
fn load(v: &Value) -> Result<(Kind, Vec<Vec<u8>>), CmdError> {
    match v {
        Value::List(l) => Ok((Kind::List, list_elements(l))),
        Value::Set(s) => Ok((Kind::Set, set_elements(s))),
        Value::ZSet(z) => Ok((Kind::ZSet, zset_elements(z))),
        Value::Str(_) | Value::Hash(_) | Value::Stream(_) => Err(CmdError::WrongType),
    }
}

// Adapters to the collection types. The sorted-set type is still a placeholder on main;
// its adapter becomes a real iteration when it lands.

fn list_elements(l: &crate::storage::list::List) -> Vec<Vec<u8>> {
    l.to_vecs()
}

fn set_elements(s: &crate::storage::set::Set) -> Vec<Vec<u8>> {
    s.iter().map(|e| e.to_vec()).collect()
}

fn zset_elements(z: &crate::storage::zset::ZSet) -> Vec<Vec<u8>> {
    z.iter().map(|(m, _)| m.to_vec()).collect()
}

/// A list holding `items` in order, for STORE (list-max-listpack-size and
/// list-compress-depth as configured).
fn make_list(items: Vec<Vec<u8>>, cfg: (i64, u64)) -> crate::storage::list::List {
    let mut list = crate::storage::list::List::new(cfg.0, cfg.1);
    for item in &items {
        list.push_back(item);
    }
    list.shrink_ends();
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of `(key, id)` pairs sorted by key only: the ids show how ties were ordered.
    fn pq_ids(keys: &[i64], lo: usize, hi: i64) -> Vec<usize> {
        let mut v: Vec<(i64, usize)> = keys.iter().copied().zip(0..).collect();
        pqsort(
            &mut v,
            &|a: &(i64, usize), b: &(i64, usize)| a.0.cmp(&b.0),
            lo,
            hi,
        );
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// Orders produced by Redis's pqsort.c compiled from C (with ties in the keys, so the
    /// exact permutation is checked, not just sortedness). The port also matched the C
    /// original on 3,000 random cases (n up to 200, random ranges) when it was written.
    #[test]
    fn pqsort_matches_the_c_original() {
        assert_eq!(
            pq_ids(&[3, 1, 2, 1, 1, 0, 0, 2, 3, 1], 2, 4),
            vec![6, 5, 3, 4, 9, 1, 2, 7, 8, 0]
        );
        assert_eq!(
            pq_ids(
                &[
                    1, 3, 3, 1, 0, 2, 3, 613, 563, 20, 315, 3, 674, 14, 183, 0, 476, 3, 856, 3,
                    109, 0, 13, 2, 516, 0, 0, 24, 0, 668, 0, 2, 0, 3, 30, 5, 0, 19, 5, 28, 28, 147,
                    16, 213, 19, 2, 1
                ],
                36,
                38
            ),
            vec![
                21, 15, 36, 3, 4, 46, 32, 30, 28, 26, 25, 0, 23, 5, 31, 45, 1, 17, 38, 19, 2, 35,
                22, 11, 33, 6, 13, 9, 44, 42, 37, 27, 40, 39, 34, 20, 41, 14, 43, 10, 18, 7, 29,
                12, 8, 24, 16
            ]
        );
        assert_eq!(
            pq_ids(
                &[
                    5, 21, 28, 172, 3, 2, 30, 568, 1, 755, 8, 377, 2, 24, 1, 1, 1, 9, 23, 2, 0, 2,
                    427, 28, 0, 232, 0, 0, 9, 2, 17, 3, 18, 1, 19, 162, 0, 5, 3, 0, 5, 12, 30, 0,
                    19, 616, 254, 0, 0, 1, 1
                ],
                11,
                35
            ),
            vec![
                20, 24, 48, 47, 43, 39, 36, 27, 26, 8, 49, 14, 50, 15, 16, 33, 21, 5, 12, 29, 19,
                38, 4, 31, 0, 40, 37, 10, 17, 28, 41, 30, 32, 34, 44, 1, 18, 13, 23, 2, 35, 11, 42,
                7, 25, 45, 46, 6, 3, 22, 9
            ]
        );
        assert_eq!(
            pq_ids(
                &[
                    2, 2, 15, 0, 2, 2, 10, 267, 1, 29, 1, 29, 24, 871, 19, 1, 1, 1, 721, 2, 5, 2,
                    5, 1, 2, 0, 15, 1, 3, 30, 18, 2, 5, 3, 0, 1, 2, 11, 1, 913, 1, 1, 2, 13, 3, 3,
                    4, 1, 16, 3, 5, 449, 18
                ],
                7,
                8
            ),
            vec![
                3, 34, 25, 15, 47, 8, 10, 41, 40, 16, 17, 38, 23, 27, 35, 31, 33, 36, 49, 19, 4, 5,
                0, 46, 21, 45, 1, 44, 42, 28, 24, 20, 22, 32, 50, 29, 26, 37, 18, 39, 14, 13, 12,
                43, 11, 9, 7, 6, 48, 2, 52, 51, 30
            ]
        );
    }

    #[test]
    fn pqsort_sorts_the_requested_range() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let n = (next() % 120) as usize + 1;
            let keys: Vec<i64> = (0..n).map(|_| (next() % 20) as i64).collect();
            let lo = (next() % n as u64) as usize;
            let hi = lo + (next() % (n - lo) as u64) as usize;
            let mut v = keys.clone();
            pqsort(&mut v, &|a: &i64, b: &i64| a.cmp(b), lo, hi as i64);
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(&v[lo..=hi], &sorted[lo..=hi]);
        }
    }

    #[test]
    fn limit_clamping_as_redis() {
        assert_eq!(limit_range(0, -1, 5), (0, 4));
        assert_eq!(limit_range(1, 2, 5), (1, 2));
        assert_eq!(limit_range(-3, 2, 5), (0, 1));
        assert_eq!(limit_range(3, 100, 5), (3, 4));
        assert_eq!(limit_range(5, 1, 5), (4, 3));
        assert_eq!(limit_range(i64::MAX, i64::MAX, 5), (4, 3));
        assert_eq!(limit_range(2, 0, 5), (2, 1));
        assert_eq!(limit_range(0, -5, 5), (0, 4));
        assert_eq!(limit_range(i64::MIN, i64::MIN, 5), (0, 4));
        assert_eq!(limit_range(0, -1, 0), (-1, -2));
        assert_eq!(limit_range(0, 3, 0), (-1, -2));
    }

    #[test]
    fn scores_as_strtod_with_redis_checks() {
        assert_eq!(sort_score(b"1.5"), Some(1.5));
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b"  7"), Some(7.0));
        assert_eq!(sort_score(b"0x10"), Some(16.0));
        assert_eq!(sort_score(b"inf"), Some(f64::INFINITY));
        assert_eq!(sort_score(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(sort_score(b"3\0junk"), Some(3.0));
        assert_eq!(sort_score(b"1e400"), None);
        assert_eq!(sort_score(b"1e-310"), None);
        assert_eq!(sort_score(b"nan"), None);
        assert_eq!(sort_score(b"1x"), None);
        assert_eq!(sort_score(b"7 "), None);
        assert_eq!(sort_score(b"abc"), None);
    }

    #[test]
    fn options_parse_like_redis() {
        let p = |s: &str| {
            let v: Vec<&[u8]> = s.split(' ').map(str::as_bytes).collect();
            parse_opts(&v, false).map(|o| {
                (
                    o.by.map(<[u8]>::to_vec),
                    o.dontsort,
                    o.gets.len(),
                    o.desc,
                    o.alpha,
                )
            })
        };
        assert_eq!(p("SORT k DESC ASC"), Ok((None, false, 0, false, false)));
        assert_eq!(
            p("SORT k by nosort alpha"),
            Ok((Some(b"nosort".to_vec()), true, 0, false, true))
        );
        assert_eq!(
            p("SORT k BY w_* GET # GET h_*->f"),
            Ok((Some(b"w_*".to_vec()), false, 2, false, false))
        );
        assert_eq!(p("SORT k LIMIT 1"), Err(CmdError::Syntax));
        assert_eq!(p("SORT k LIMIT x 1"), Err(CmdError::NotInteger));
        assert_eq!(p("SORT k GET"), Err(CmdError::Syntax));
        assert_eq!(p("SORT k foo"), Err(CmdError::Syntax));
        let ro: Vec<&[u8]> = vec![b"SORT_RO", b"k", b"STORE", b"d"];
        assert!(parse_opts(&ro, true).is_err());
        // A `*` after a NUL byte is invisible to Redis's strchr.
        let nul: Vec<&[u8]> = vec![b"SORT", b"k", b"BY", b"w\0*"];
        assert!(parse_opts(&nul, false).is_ok_and(|o| o.dontsort));
    }

    #[test]
    fn alpha_compares_c_strings_unless_storing() {
        let item = |e: &[u8]| Item {
            elem: e.to_vec(),
            score: 0.0,
            cmp: None,
        };
        let (a, b) = (item(b"a\0z"), item(b"a\0b"));
        assert_eq!(compare(&a, &b, true, false, false), Ordering::Equal);
        assert_eq!(compare(&a, &b, true, false, true), Ordering::Greater);
        // Numeric ties fall back to the element bytes.
        let (x, y) = (item(b"1.0"), item(b"1"));
        assert_eq!(compare(&x, &y, false, false, false), Ordering::Greater);
        // ALPHA BY: missing values first.
        let mut m = item(b"m");
        m.cmp = Some(b"x".to_vec());
        assert_eq!(compare(&a, &m, true, true, false), Ordering::Less);
        assert_eq!(compare(&a, &b, true, true, false), Ordering::Equal);
    }
}
