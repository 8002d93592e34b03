//! The sorted-set type: members ordered by (score, member bytes), with Redis 7.0's two
//! encodings.
//!
//! - `listpack`: member and score entries alternating in one listpack, in order. Used
//!   while the set has at most `zset-max-listpack-entries` members and every member is at
//!   most `zset-max-listpack-value` bytes. Scores are stored as Redis writes them
//!   (`%.17g`, integers as listpack integers), so the bytes can go to an RDB verbatim.
//! - `skiplist`: [`skiplist::SkipList`], for anything larger. A set never goes back from
//!   `skiplist` to `listpack` (as Redis), except the new sets that ZRANGESTORE and
//!   ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE build, which pick the encoding by their size.
//!
//! The operations here know nothing of commands: ranks, range bounds and iteration in
//! both directions, with the same results whatever the encoding (lex ranges on members
//! with different scores follow Redis's walk for each encoding, which is unspecified).
//! Scores are never NaN.

mod index;
mod skiplist;

use std::cmp::Ordering;

use super::encodings::listpack::{Listpack, LpEntry};
use crate::util::numbers::{fmt_f64_17g, parse_f64_range_bound};
pub use skiplist::SkipList;

/// A member as stored: listpacks keep integer-looking members as integers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// Call `f` with the member's bytes (integers formatted on the stack).
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match *self {
            Elem::Str(b) => f(b),
            Elem::Int(n) => {
                let mut buf = itoa_buf(n);
                let (arr, len) = (&mut buf.0, buf.1);
                f(&arr[arr.len() - len..])
            }
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    pub fn len(&self) -> usize {
        self.with_bytes(|b| b.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Decimal digits of `n`, right-aligned in a 20-byte buffer, and their count.
fn itoa_buf(n: i64) -> ([u8; 20], usize) {
    let mut buf = [0u8; 20];
    let mut v = n.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    (buf, buf.len() - i)
}

/// The encoding limits (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: 128,
            value: 64,
        }
    }
}

/// A score interval (Redis's `zrangespec`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn gte_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    pub fn lte_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    /// A range that can hold nothing (zslIsInRange's first test).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range: `-`, `+`, or a string (Redis's shared min/max strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    Min,
    Max,
    Val(Vec<u8>),
}

/// A member interval (Redis's `zlexrangespec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
    pub minex: bool,
    pub maxex: bool,
}

/// sdscmplex of a member against a bound.
fn cmp_member(v: &[u8], b: &LexBound) -> Ordering {
    match b {
        LexBound::Min => Ordering::Greater,
        LexBound::Max => Ordering::Less,
        LexBound::Val(s) => v.cmp(s),
    }
}

impl LexRange {
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = cmp_member(v, &self.min);
        if self.minex {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }

    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = cmp_member(v, &self.max);
        if self.maxex {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }

    /// A range that can hold nothing (zslIsInLexRange's first test, with sdscmplex on the
    /// two bounds: `-` and `+` equal only themselves).
    pub fn is_empty(&self) -> bool {
        use LexBound::*;
        let c = match (&self.min, &self.max) {
            (Min, Min) | (Max, Max) => Ordering::Equal,
            (Min, _) | (_, Max) => Ordering::Less,
            (Max, _) | (_, Min) => Ordering::Greater,
            (Val(a), Val(b)) => a.cmp(b),
        };
        c == Ordering::Greater || (c == Ordering::Equal && (self.minex || self.maxex))
    }
}

/// ZADD's input flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What `zsetAdd` did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AddOutcome {
    /// The member was new; its score.
    Added(f64),
    /// The score changed; the new score.
    Updated(f64),
    /// Processed without a change (same score); the score.
    Unchanged(f64),
    /// Not processed (NX on an existing member, XX on a missing one, GT/LT refused).
    Skipped,
    /// INCR produced NaN; nothing changed.
    Nan,
}

/// Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GiB.
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

#[derive(Debug, Clone, PartialEq)]
enum Enc {
    /// member, score, member, score... in order.
    Listpack(Listpack),
    Skiplist(Box<SkipList>),
}

/// A sorted set value.
#[derive(Debug, Clone, PartialEq)]
pub struct ZSet {
    enc: Enc,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new_listpack()
    }
}

fn elem(e: LpEntry<'_>) -> Elem<'_> {
    match e {
        LpEntry::Int(n) => Elem::Int(n),
        LpEntry::Str(b) => Elem::Str(b),
    }
}

/// A score as a listpack holds it (zzlGetScore): an integer, or text read with strtod
/// (at most 127 bytes of it, as zzlStrtod copies into a 128-byte buffer).
fn lp_score(e: LpEntry<'_>) -> f64 {
    match e {
        LpEntry::Int(n) => n as f64,
        LpEntry::Str(b) => {
            let b = &b[..b.len().min(127)];
            std::str::from_utf8(b)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .or_else(|| parse_f64_range_bound(b))
                .unwrap_or(0.0)
        }
    }
}

/// Position of `member`'s entry (zzlFind).
fn lp_find(lp: &Listpack, member: &[u8]) -> Option<usize> {
    lp.find(lp.first()?, member, 1)
}

/// Redis's double2ll: the score as an integer when it is one and lies within ±2^62
/// (so -0 is the integer 0). zzlInsertAt stores such scores as listpack integers and the
/// others as `%.17g` text.
fn score_as_int(d: f64) -> Option<i64> {
    let lim = (i64::MAX / 2) as f64;
    if !(-lim..=lim).contains(&d) {
        return None;
    }
    let n = d as i64;
    (n as f64 == d).then_some(n)
}

/// Append a (member, score) pair.
fn lp_push_pair(lp: &mut Listpack, member: &[u8], score: f64) {
    lp.push_back(member);
    match score_as_int(score) {
        Some(n) => lp.push_back_int(n),
        None => {
            let mut text = Vec::with_capacity(24);
            fmt_f64_17g(score, &mut text);
            lp.push_back(&text);
        }
    }
}

/// Insert a member known to be absent at its place (zzlInsert: before the first element
/// with a greater score, or an equal score and a greater member).
fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let mut at = None;
    let mut p = lp.first();
    while let Some(ep) = p {
        let Some(sp) = lp.next(ep) else { break };
        let s = lp_score(lp.get(sp));
        if s > score || (s == score && lp.get(ep).with_bytes(|m| m > member)) {
            at = Some(ep);
            break;
        }
        p = lp.next(sp);
    }
    let Some(ep) = at else {
        lp_push_pair(lp, member, score);
        return;
    };
    let mp = lp.insert_before(ep, member);
    match score_as_int(score) {
        Some(n) => {
            // The old entry now follows the member: the score goes in between.
            let after = lp.next(mp).unwrap_or(lp.bytes_len() - 1);
            lp.insert_int_before(after, n);
        }
        None => {
            let mut text = Vec::with_capacity(24);
            fmt_f64_17g(score, &mut text);
            lp.insert_after(mp, &text);
        }
    }
}

/// Remove the (member, score) pair whose member entry is at `ep`.
fn lp_delete_pair(lp: &mut Listpack, ep: usize) {
    if lp.delete(ep).is_some() {
        lp.delete(ep);
    }
}

/// Iterator over (member, score) from a rank, towards the tail or the head.
pub struct Iter<'a> {
    inner: IterInner<'a>,
}

enum IterInner<'a> {
    Listpack {
        lp: &'a Listpack,
        pos: Option<usize>,
        rev: bool,
    },
    Skiplist(skiplist::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Elem<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            IterInner::Listpack { lp, pos, rev } => {
                let ep = (*pos)?;
                let sp = lp.next(ep)?;
                *pos = if *rev {
                    lp.prev(ep).and_then(|p| lp.prev(p))
                } else {
                    lp.next(sp)
                };
                Some((elem(lp.get(ep)), lp_score(lp.get(sp))))
            }
            IterInner::Skiplist(it) => it.next().map(|(m, s)| (Elem::Str(m), s)),
        }
    }
}

impl ZSet {
    /// An empty set in the small encoding.
    pub fn new_listpack() -> Self {
        ZSet {
            enc: Enc::Listpack(Listpack::new()),
        }
    }

    pub fn new_skiplist(capacity: usize) -> Self {
        ZSet {
            enc: Enc::Skiplist(Box::new(SkipList::with_capacity(capacity))),
        }
    }

    /// The empty set ZADD creates for a new key, from its first member (Redis 7.0 looks
    /// at the first member only; later members convert it as they come).
    pub fn for_new_key(first_member_len: usize, limits: Limits) -> Self {
        if limits.entries == 0 || first_member_len > limits.value {
            ZSet::new_skiplist(0)
        } else {
            ZSet::new_listpack()
        }
    }

    /// A set holding `items` (sorted, distinct), in the encoding its size calls for
    /// (zsetConvertToListpackIfNeeded, used by ZRANGESTORE and ZUNIONSTORE & co).
    pub fn from_sorted(items: Vec<(Vec<u8>, f64)>, limits: Limits) -> Self {
        let total: usize = items.iter().map(|(m, _)| m.len()).sum();
        let longest = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if items.len() <= limits.entries
            && longest <= limits.value
            && total <= LISTPACK_MAX_SAFETY_SIZE
        {
            let mut lp = Listpack::with_capacity(total + items.len() * 12);
            for (m, s) in &items {
                lp_push_pair(&mut lp, m, *s);
            }
            let lp = lp.clone();
            return ZSet {
                enc: Enc::Listpack(lp),
            };
        }
        let mut sl = SkipList::with_capacity(items.len());
        for (m, s) in &items {
            sl.insert(m, *s);
        }
        ZSet {
            enc: Enc::Skiplist(Box::new(sl)),
        }
    }

    /// Give back a listpack's spare capacity (Redis keeps listpacks at their exact size;
    /// a growing `Vec` doubles). Called once per write command, so a command adding many
    /// members reallocates once.
    pub fn shrink_to_fit(&mut self) {
        if let Enc::Listpack(lp) = &mut self.enc
            && lp.capacity() > lp.bytes_len()
        {
            // A fresh exact-size copy rather than an in-place shrink: glibc keeps a shrunk
            // chunk at its old size class when the remainder is small.
            *lp = lp.clone();
        }
    }

    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Enc::Listpack(_) => "listpack",
            Enc::Skiplist(_) => "skiplist",
        }
    }

    /// A set from a listpack read from outside (RDB, RESTORE), already checked as a
    /// listpack by `Listpack::from_bytes`. Refused unless it holds (member, score) pairs
    /// with valid scores, in order, without repeated members (Redis's deep integrity
    /// check of a zset listpack).
    pub fn from_listpack(lp: Listpack) -> Option<ZSet> {
        if !lp.len().is_multiple_of(2) {
            return None;
        }
        let z = ZSet {
            enc: Enc::Listpack(lp),
        };
        let mut seen = std::collections::HashSet::new();
        let mut prev: Option<(f64, Vec<u8>)> = None;
        let lp = z.listpack()?;
        let mut p = lp.first();
        while let Some(ep) = p {
            let sp = lp.next(ep)?;
            let score = match lp.get(sp) {
                LpEntry::Int(n) => n as f64,
                LpEntry::Str(b) => {
                    let t = std::str::from_utf8(b).ok()?.parse::<f64>().ok()?;
                    if t.is_nan() {
                        return None;
                    }
                    t
                }
            };
            let m = lp.get(ep).to_vec();
            if let Some((ps, pm)) = &prev
                && (score < *ps || (score == *ps && m <= *pm))
            {
                return None;
            }
            if !seen.insert(m.clone()) {
                return None;
            }
            prev = Some((score, m));
            p = lp.next(sp);
        }
        Some(z)
    }

    /// The listpack bytes, when in the small encoding (RDB, DUMP).
    pub fn listpack(&self) -> Option<&Listpack> {
        match &self.enc {
            Enc::Listpack(lp) => Some(lp),
            Enc::Skiplist(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Listpack(lp) => lp.len() / 2,
            Enc::Skiplist(sl) => sl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.enc {
            Enc::Listpack(lp) => {
                let ep = lp_find(lp, member)?;
                Some(lp_score(lp.get(lp.next(ep)?)))
            }
            Enc::Skiplist(sl) => sl.score(member),
        }
    }

    /// Move to the skiplist encoding (zsetConvert).
    fn convert_to_skiplist(&mut self) {
        if let Enc::Listpack(lp) = &self.enc {
            let mut sl = SkipList::with_capacity(lp.len() / 2 + 1);
            for (m, s) in self.iter() {
                m.with_bytes(|m| sl.insert(m, s));
            }
            self.enc = Enc::Skiplist(Box::new(sl));
        }
    }

    /// Add a member known to be absent, converting to a skiplist when the listpack
    /// would outgrow the limits.
    fn insert_new(&mut self, member: &[u8], score: f64, limits: Limits) {
        if let Enc::Listpack(lp) = &self.enc
            && (lp.len() / 2 + 1 > limits.entries
                || member.len() > limits.value
                || lp.bytes_len() + member.len() > LISTPACK_MAX_SAFETY_SIZE)
        {
            self.convert_to_skiplist();
        }
        match &mut self.enc {
            Enc::Listpack(lp) => lp_insert(lp, member, score),
            Enc::Skiplist(sl) => sl.insert(member, score),
        }
    }

    /// Redis's `zsetAdd`: add or update one member under ZADD's flags.
    pub fn add(&mut self, member: &[u8], score: f64, f: AddFlags, limits: Limits) -> AddOutcome {
        if score.is_nan() {
            return AddOutcome::Nan;
        }
        match self.score(member) {
            Some(cur) => {
                if f.nx {
                    return AddOutcome::Skipped;
                }
                let mut score = score;
                if f.incr {
                    score += cur;
                    if score.is_nan() {
                        return AddOutcome::Nan;
                    }
                }
                if (f.lt && score >= cur) || (f.gt && score <= cur) {
                    return AddOutcome::Skipped;
                }
                if score == cur {
                    return AddOutcome::Unchanged(score);
                }
                self.set_score(member, score);
                AddOutcome::Updated(score)
            }
            None if f.xx => AddOutcome::Skipped,
            None => {
                self.insert_new(member, score, limits);
                AddOutcome::Added(score)
            }
        }
    }

    /// Change the score of a present member.
    fn set_score(&mut self, member: &[u8], score: f64) {
        match &mut self.enc {
            Enc::Listpack(lp) => {
                if let Some(ep) = lp_find(lp, member) {
                    lp_delete_pair(lp, ep);
                    lp_insert(lp, member, score);
                }
            }
            Enc::Skiplist(sl) => {
                sl.update(member, score);
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Listpack(lp) => match lp_find(lp, member) {
                Some(ep) => {
                    lp_delete_pair(lp, ep);
                    true
                }
                None => false,
            },
            Enc::Skiplist(sl) => sl.remove(member).is_some(),
        }
    }

    /// 0-based rank from the lowest score, or from the highest when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let r = match &self.enc {
            Enc::Listpack(lp) => {
                let ep = lp_find(lp, member)?;
                // Entries before the member's, halved.
                let mut n = 0;
                let mut p = lp.first();
                while let Some(x) = p {
                    if x == ep {
                        break;
                    }
                    n += 1;
                    p = lp.next(x);
                }
                n / 2
            }
            Enc::Skiplist(sl) => sl.rank(member)?,
        };
        Some(if rev { self.len() - 1 - r } else { r })
    }

    /// Elements from 0-based `rank` (from the head, or from the tail when `rev`) onwards.
    pub fn iter_from(&self, rank: usize, rev: bool) -> Iter<'_> {
        let inner = match &self.enc {
            Enc::Listpack(lp) => {
                let pos = i64::try_from(rank).ok().and_then(|r| {
                    if rev {
                        lp.seek(-2 - 2 * r)
                    } else {
                        lp.seek(2 * r)
                    }
                });
                IterInner::Listpack { lp, pos, rev }
            }
            Enc::Skiplist(sl) => IterInner::Skiplist(sl.iter_from(rank, rev)),
        };
        Iter { inner }
    }

    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// The element at a 0-based rank from the head.
    pub fn get(&self, rank: usize) -> Option<(Elem<'_>, f64)> {
        self.iter_from(rank, false).next()
    }

    /// Number of leading elements (in order) for which `pred` holds. On a skiplist this
    /// descends in O(log n), which assumes `pred` holds for a prefix of the order; a
    /// listpack is walked from the head, as Redis walks it.
    fn count_prefix(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match &self.enc {
            Enc::Listpack(_) => self
                .iter()
                .take_while(|(m, s)| m.with_bytes(|m| pred(m, *s)))
                .count(),
            Enc::Skiplist(sl) => sl.count_prefix(pred),
        }
    }

    /// Forward ranks `(first, last)` of the elements inside a score range, if any.
    pub fn score_range(&self, r: &ScoreRange) -> Option<(usize, usize)> {
        if r.is_empty() || self.is_empty() {
            return None;
        }
        let first = self.count_prefix(|_, s| !r.gte_min(s));
        let end = self.count_prefix(|_, s| r.lte_max(s));
        (first < end).then(|| (first, end - 1))
    }

    /// zslIsInLexRange / zzlIsInLexRange: the range is not empty, the last element is
    /// above its min and the first below its max.
    fn lex_may_overlap(&self, r: &LexRange) -> bool {
        if r.is_empty() {
            return false;
        }
        let (Some((first, _)), Some((last, _))) =
            (self.iter().next(), self.iter_from(0, true).next())
        else {
            return false;
        };
        last.with_bytes(|m| r.gte_min(m)) && first.with_bytes(|m| r.lte_max(m))
    }

    /// Forward rank of the first element of a lex range (zslFirstInLexRange and the
    /// listpack's zzlFirstInLexRange).
    pub fn lex_first(&self, r: &LexRange) -> Option<usize> {
        if !self.lex_may_overlap(r) {
            return None;
        }
        let first = self.count_prefix(|m, _| !r.gte_min(m));
        let (m, _) = self.get(first)?;
        m.with_bytes(|m| r.lte_max(m)).then_some(first)
    }

    /// Forward rank of the last element of a lex range (zslLastInLexRange, or the
    /// listpack's zzlLastInLexRange, which walks from the tail).
    pub fn lex_last(&self, r: &LexRange) -> Option<usize> {
        if !self.lex_may_overlap(r) {
            return None;
        }
        let last = match &self.enc {
            Enc::Listpack(_) => {
                let above = self
                    .iter_from(0, true)
                    .take_while(|(m, _)| m.with_bytes(|m| !r.lte_max(m)))
                    .count();
                (self.len() - above).checked_sub(1)?
            }
            Enc::Skiplist(_) => self.count_prefix(|m, _| r.lte_max(m)).checked_sub(1)?,
        };
        let (m, _) = self.get(last)?;
        m.with_bytes(|m| r.gte_min(m)).then_some(last)
    }

    /// How many elements from forward rank `first` on are below the lex range's max.
    fn lex_run(&self, first: usize, r: &LexRange) -> usize {
        self.iter_from(first, false)
            .take_while(|(m, _)| m.with_bytes(|m| r.lte_max(m)))
            .count()
    }

    /// ZLEXCOUNT: a walk on a listpack, rank arithmetic on a skiplist, as Redis.
    pub fn lex_count(&self, r: &LexRange) -> usize {
        let Some(first) = self.lex_first(r) else {
            return 0;
        };
        match &self.enc {
            Enc::Listpack(_) => self.lex_run(first, r),
            Enc::Skiplist(_) => {
                let len = self.len();
                let mut count = len - first;
                if let Some(last) = self.lex_last(r) {
                    count -= len - (last + 1);
                }
                count
            }
        }
    }

    /// Delete the elements of forward ranks `start..=end` (clamped by the caller).
    pub fn delete_ranks(&mut self, start: usize, end: usize) -> usize {
        let n = end + 1 - start;
        match &mut self.enc {
            Enc::Listpack(lp) => {
                lp.delete_range(2 * start, 2 * n);
                n
            }
            Enc::Skiplist(sl) => sl.delete_range(start, n),
        }
    }

    /// ZREMRANGEBYSCORE.
    pub fn delete_score_range(&mut self, r: &ScoreRange) -> usize {
        match &mut self.enc {
            Enc::Listpack(_) => match self.score_range(r) {
                Some((first, last)) => self.delete_ranks(first, last),
                None => 0,
            },
            Enc::Skiplist(sl) => sl.delete_while(|_, s| !r.gte_min(s), |_, s| r.lte_max(s)),
        }
    }

    /// ZREMRANGEBYLEX.
    pub fn delete_lex_range(&mut self, r: &LexRange) -> usize {
        match &mut self.enc {
            Enc::Listpack(_) => {
                let Some(first) = self.lex_first(r) else {
                    return 0;
                };
                match self.lex_run(first, r) {
                    0 => 0,
                    n => self.delete_ranks(first, first + n - 1),
                }
            }
            Enc::Skiplist(sl) => sl.delete_while(|m, _| !r.gte_min(m), |m, _| r.lte_max(m)),
        }
    }

    /// One ZSCAN step: every (member, score) of one cursor step, and the next cursor. A
    /// listpack is returned whole with cursor 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Elem<'_>, f64)) -> u64 {
        match &self.enc {
            Enc::Listpack(_) => {
                for (m, s) in self.iter() {
                    f(m, s);
                }
                0
            }
            Enc::Skiplist(sl) => sl.scan(cursor, |m, s| f(Elem::Str(m), s)),
        }
    }

    /// Approximate bytes used (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        match &self.enc {
            Enc::Listpack(lp) => lp.capacity(),
            Enc::Skiplist(sl) => sl.heap_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect()
    }

    fn add(z: &mut ZSet, m: &str, s: f64) -> AddOutcome {
        z.add(m.as_bytes(), s, AddFlags::default(), Limits::default())
    }

    #[test]
    fn listpack_bytes_match_redis() {
        // `ZADD d 1 a 2.5 b -0 c 1e20 e inf f -inf g 3.25e-7 h 12345678901 i 0.1 j 1e18 k
        // 4611686018427387904 l 5e18 m` then `ZADD d 0 b`, DUMPed by Redis 7.0.15 with
        // rdbcompression off.
        let want = hex(
            "950000001800816702842d696e66058162020001816302000181680296332e3235303030303030\
             3030303030303031652d303717816a0293302e3130303030303030303030303030303031148161\
             020101816902f4351cdcdf0200000009816b02f4000064a7b3b6e00d09816c02f4000000000000\
             004009816d028535652b3138068165028531652b32300681660283696e6604ff",
        );
        let mut z = ZSet::new_listpack();
        for (m, s) in [
            ("a", 1.0),
            ("b", 2.5),
            ("c", -0.0),
            ("e", 1e20),
            ("f", f64::INFINITY),
            ("g", f64::NEG_INFINITY),
            ("h", 3.25e-7),
            ("i", 12345678901.0),
            ("j", 0.1),
            ("k", 1e18),
            ("l", 4611686018427387904.0),
            ("m", 5e18),
        ] {
            assert_eq!(add(&mut z, m, s), AddOutcome::Added(s));
        }
        assert_eq!(add(&mut z, "b", 0.0), AddOutcome::Updated(0.0));
        assert_eq!(z.listpack().map(|lp| lp.as_bytes().to_vec()), Some(want));
        // -0 went in as the integer 0, as in Redis.
        assert_eq!(z.score(b"c").map(f64::to_bits), Some(0.0f64.to_bits()));
    }

    #[test]
    fn from_listpack_checks_pairs_order_and_scores() {
        let mut z = ZSet::new_listpack();
        for (m, s) in [("a", 1.0), ("b", 2.5), ("c", f64::INFINITY)] {
            add(&mut z, m, s);
        }
        let bytes = z
            .listpack()
            .map(|lp| lp.as_bytes().to_vec())
            .unwrap_or_default();
        let lp = Listpack::from_bytes(bytes).expect("valid listpack");
        assert_eq!(ZSet::from_listpack(lp.clone()).map(|z| z.len()), Some(3));
        let mut odd = lp.clone();
        odd.push_back(b"x");
        assert!(ZSet::from_listpack(odd).is_none());
        let mut bad_score = lp.clone();
        bad_score.push_back(b"x");
        bad_score.push_back(b"nan");
        assert!(ZSet::from_listpack(bad_score).is_none());
        let mut unordered = lp.clone();
        unordered.push_back(b"d");
        unordered.push_back(b"0");
        assert!(ZSet::from_listpack(unordered).is_none());
        let mut dup = lp;
        dup.push_back(b"a");
        dup.push_back(b"inf");
        assert!(ZSet::from_listpack(dup).is_none());
    }

    #[test]
    fn conversion_thresholds() {
        let limits = Limits {
            entries: 3,
            value: 4,
        };
        let mut z = ZSet::for_new_key(1, limits);
        for (i, m) in ["a", "b", "c"].iter().enumerate() {
            z.add(m.as_bytes(), i as f64, AddFlags::default(), limits);
        }
        assert_eq!(z.encoding_name(), "listpack");
        z.add(b"d", 9.0, AddFlags::default(), limits);
        assert_eq!(z.encoding_name(), "skiplist");
        // Never back, even when small again.
        z.delete_ranks(0, 3);
        assert_eq!(z.encoding_name(), "skiplist");
        let mut z = ZSet::for_new_key(1, limits);
        z.add(b"12345", 1.0, AddFlags::default(), limits);
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(ZSet::for_new_key(5, limits).encoding_name(), "skiplist");
        let items = vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.0)];
        assert_eq!(ZSet::from_sorted(items, limits).encoding_name(), "listpack");
        let items = vec![(b"a".to_vec(), 1.0), (b"bbbbb".to_vec(), 2.0)];
        assert_eq!(ZSet::from_sorted(items, limits).encoding_name(), "skiplist");
    }

    #[test]
    fn range_parsing_semantics() {
        let r = LexRange {
            min: LexBound::Max,
            max: LexBound::Max,
            minex: true,
            maxex: true,
        };
        assert!(r.is_empty());
        let r = LexRange {
            min: LexBound::Min,
            max: LexBound::Max,
            minex: true,
            maxex: true,
        };
        assert!(!r.is_empty() && r.gte_min(b"") && r.lte_max(b"\xff\xff"));
        let r = ScoreRange {
            min: 1.0,
            max: 1.0,
            minex: false,
            maxex: true,
        };
        assert!(r.is_empty());
    }

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[derive(PartialEq, Clone, Copy, Debug)]
    struct F(f64);
    impl Eq for F {}
    impl Ord for F {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.partial_cmp(&o.0).unwrap_or(Ordering::Equal)
        }
    }
    impl PartialOrd for F {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }

    /// The model: a sorted list, walked linearly (which is also how Redis walks a
    /// listpack, so lex queries on mixed scores can be checked on that encoding).
    #[derive(Default)]
    struct Model {
        order: BTreeSet<(F, Vec<u8>)>,
        scores: HashMap<Vec<u8>, f64>,
    }

    impl Model {
        fn list(&self) -> Vec<(Vec<u8>, f64)> {
            self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect()
        }
        fn set(&mut self, m: &[u8], s: f64) {
            if let Some(old) = self.scores.insert(m.to_vec(), s) {
                self.order.remove(&(F(old), m.to_vec()));
            }
            self.order.insert((F(s), m.to_vec()));
        }
        fn del(&mut self, m: &[u8]) -> bool {
            match self.scores.remove(m) {
                Some(s) => self.order.remove(&(F(s), m.to_vec())),
                None => false,
            }
        }
    }

    fn contents(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    #[test]
    fn model_based_across_encodings() {
        for seed in [3u64, 17, 99, 2024] {
            let mut r = rng(seed);
            // Same-score seeds make lex ranges meaningful on both encodings.
            let same_score = seed % 2 == 1;
            let limits = Limits {
                entries: 16,
                value: 8,
            };
            let mut z = ZSet::new_listpack();
            let mut model = Model::default();
            for step in 0..4000 {
                let m = match r() % 3 {
                    0 => format!("{}", r() % 40).into_bytes(),
                    1 => format!("m{}", r() % 40).into_bytes(),
                    _ => format!("long-member-{}", r() % 10).into_bytes(),
                };
                let score = if same_score {
                    0.0
                } else {
                    match r() % 4 {
                        0 => (r() % 5) as f64,
                        1 => (r() % 100) as f64 / 8.0 - 4.0,
                        2 => [f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e300][(r() % 4) as usize],
                        _ => (r() % 1000) as f64 * 0.1,
                    }
                };
                match r() % 8 {
                    0..=2 => {
                        let f = AddFlags {
                            incr: r().is_multiple_of(4),
                            nx: r().is_multiple_of(6),
                            ..AddFlags::default()
                        };
                        let cur = model.scores.get(&m).copied();
                        let got = z.add(&m, score, f, limits);
                        let want = match cur {
                            Some(_) if f.nx => AddOutcome::Skipped,
                            Some(c) => {
                                let s = if f.incr { c + score } else { score };
                                if s.is_nan() {
                                    AddOutcome::Nan
                                } else if s == c {
                                    AddOutcome::Unchanged(s)
                                } else {
                                    model.set(&m, s);
                                    AddOutcome::Updated(s)
                                }
                            }
                            None => {
                                model.set(&m, score);
                                AddOutcome::Added(score)
                            }
                        };
                        assert_eq!(format!("{got:?}"), format!("{want:?}"));
                    }
                    3 => assert_eq!(z.remove(&m), model.del(&m)),
                    4 => {
                        let list = model.list();
                        assert_eq!(z.rank(&m, false), list.iter().position(|(x, _)| *x == m));
                        assert_eq!(
                            z.score(&m).map(f64::to_bits),
                            model.scores.get(&m).map(|s| s.to_bits())
                        );
                    }
                    5 => {
                        let a = (r() % 40) as f64 / 4.0 - 2.0;
                        let range = ScoreRange {
                            min: a,
                            max: a + (r() % 20) as f64 / 2.0,
                            minex: r().is_multiple_of(2),
                            maxex: r().is_multiple_of(2),
                        };
                        let list = model.list();
                        let idx: Vec<usize> = (0..list.len())
                            .filter(|&i| range.gte_min(list[i].1) && range.lte_max(list[i].1))
                            .collect();
                        let want = idx.first().map(|&f| (f, *idx.last().unwrap_or(&f)));
                        assert_eq!(z.score_range(&range), want);
                        if r().is_multiple_of(3) {
                            assert_eq!(z.delete_score_range(&range), idx.len());
                            for &i in &idx {
                                model.del(&list[i].0);
                            }
                        }
                    }
                    6 => {
                        let bound = |r: &mut dyn FnMut() -> u64| match r() % 6 {
                            0 => LexBound::Min,
                            1 => LexBound::Max,
                            _ => LexBound::Val(format!("m{}", r() % 40).into_bytes()),
                        };
                        let range = LexRange {
                            min: bound(&mut r),
                            max: bound(&mut r),
                            minex: r().is_multiple_of(2),
                            maxex: r().is_multiple_of(2),
                        };
                        let list = model.list();
                        // Redis's listpack walk: the first element at or above min (if the
                        // last one is and the first is below max), then while below max.
                        let first = (!range.is_empty()
                            && list.last().is_some_and(|l| range.gte_min(&l.0))
                            && list.first().is_some_and(|f| range.lte_max(&f.0)))
                        .then(|| list.iter().position(|(m, _)| range.gte_min(m)))
                        .flatten()
                        .filter(|&i| range.lte_max(&list[i].0));
                        let run = first.map_or(0, |f| {
                            list[f..]
                                .iter()
                                .take_while(|(m, _)| range.lte_max(m))
                                .count()
                        });
                        if same_score || z.encoding_name() == "listpack" {
                            assert_eq!(z.lex_first(&range), first, "{range:?}");
                            assert_eq!(z.lex_count(&range), run, "{range:?}");
                        }
                        if same_score && r().is_multiple_of(3) {
                            assert_eq!(z.delete_lex_range(&range), run);
                            if let Some(f) = first {
                                for (m, _) in &list[f..f + run] {
                                    model.del(m);
                                }
                            }
                        }
                    }
                    _ => {
                        let list = model.list();
                        if !list.is_empty() {
                            let a = (r() as usize) % list.len();
                            let b = a + (r() as usize) % 4;
                            let b = b.min(list.len() - 1);
                            if r().is_multiple_of(2) {
                                let rev: Vec<_> = z
                                    .iter_from(a, true)
                                    .take(3)
                                    .map(|(m, s)| (m.to_vec(), s))
                                    .collect();
                                let want: Vec<_> =
                                    list.iter().rev().skip(a).take(3).cloned().collect();
                                assert_eq!(rev, want);
                            } else {
                                assert_eq!(z.delete_ranks(a, b), b - a + 1);
                                for (m, _) in &list[a..=b] {
                                    model.del(m);
                                }
                            }
                        }
                    }
                }
                assert_eq!(z.len(), model.order.len(), "step {step}");
                if step % 50 == 0 {
                    let got = contents(&z);
                    let want = model.list();
                    assert_eq!(got.len(), want.len());
                    for (g, w) in got.iter().zip(&want) {
                        assert_eq!(g.0, w.0);
                        assert_eq!(g.1, w.1);
                    }
                }
                if z.is_empty() && r().is_multiple_of(4) {
                    // Start over in the small encoding now and then.
                    z = ZSet::new_listpack();
                }
            }
        }
    }
}
