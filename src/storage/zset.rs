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
        if self.minex { s > self.min } else { s >= self.min }
    }

    pub fn lte_max(&self, s: f64) -> bool {
        if self.maxex { s < self.max } else { s <= self.max }
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
        if self.minex { c == Ordering::Greater } else { c != Ordering::Less }
    }

    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = cmp_member(v, &self.max);
        if self.maxex { c == Ordering::Less } else { c != Ordering::Greater }
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

#[derive(Debug, Clone, PartialEq)]
enum Enc {
    Skiplist(Box<SkipList>),
}

/// A sorted set value.
#[derive(Debug, Clone, PartialEq)]
pub struct ZSet {
    enc: Enc,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new_skiplist(0)
    }
}

/// Iterator over (member, score) from a rank, towards the tail or the head.
pub struct Iter<'a> {
    inner: IterInner<'a>,
}

enum IterInner<'a> {
    Skiplist(skiplist::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Elem<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            IterInner::Skiplist(it) => it.next().map(|(m, s)| (Elem::Str(m), s)),
        }
    }
}

impl ZSet {
    /// An empty set in the small encoding.
    pub fn new_listpack() -> Self {
        // The listpack encoding is not wired in yet.
        ZSet::new_skiplist(0)
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
    /// (ZUNIONSTORE and friends: zsetConvertToListpackIfNeeded).
    pub fn from_sorted(items: Vec<(Vec<u8>, f64)>, limits: Limits) -> Self {
        let mut z = ZSet::new_skiplist(items.len());
        for (m, s) in &items {
            z.insert_new(m, *s, limits);
        }
        z
    }

    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        match &self.enc {
            Enc::Skiplist(_) => "skiplist",
        }
    }

    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Skiplist(sl) => sl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.enc {
            Enc::Skiplist(sl) => sl.score(member),
        }
    }

    /// Add a member known to be absent (converting the encoding if needed).
    fn insert_new(&mut self, member: &[u8], score: f64, _limits: Limits) {
        match &mut self.enc {
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
            Enc::Skiplist(sl) => {
                sl.update(member, score);
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Skiplist(sl) => sl.remove(member).is_some(),
        }
    }

    /// 0-based rank from the lowest score, or from the highest when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let r = match &self.enc {
            Enc::Skiplist(sl) => sl.rank(member)?,
        };
        Some(if rev { self.len() - 1 - r } else { r })
    }

    /// Elements from 0-based `rank` (from the head, or from the tail when `rev`) onwards.
    pub fn iter_from(&self, rank: usize, rev: bool) -> Iter<'_> {
        let inner = match &self.enc {
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

    /// Number of leading elements (in order) for which `pred` holds, assuming it holds
    /// for a prefix. O(log n) on a skiplist, O(n) on a listpack.
    fn count_prefix(&self, pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match &self.enc {
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

    /// Forward rank of the first element of a lex range (zslFirstInLexRange and the
    /// listpack's zzlFirstInLexRange).
    pub fn lex_first(&self, r: &LexRange) -> Option<usize> {
        if r.is_empty() || self.is_empty() {
            return None;
        }
        let first = self.count_prefix(|m, _| !r.gte_min(m));
        let (m, _) = self.get(first)?;
        m.with_bytes(|m| r.lte_max(m)).then_some(first)
    }

    /// Forward rank of the last element of a lex range (zslLastInLexRange).
    pub fn lex_last(&self, r: &LexRange) -> Option<usize> {
        if r.is_empty() || self.is_empty() {
            return None;
        }
        let end = self.count_prefix(|m, _| r.lte_max(m));
        let last = end.checked_sub(1)?;
        let (m, _) = self.get(last)?;
        m.with_bytes(|m| r.gte_min(m)).then_some(last)
    }

    /// ZLEXCOUNT.
    pub fn lex_count(&self, r: &LexRange) -> usize {
        let Some(first) = self.lex_first(r) else {
            return 0;
        };
        let len = self.len();
        let mut count = len - first;
        if let Some(last) = self.lex_last(r) {
            count -= len - (last + 1);
        }
        count
    }

    /// Delete the elements of forward ranks `start..=end` (clamped by the caller).
    pub fn delete_ranks(&mut self, start: usize, end: usize) -> usize {
        match &mut self.enc {
            Enc::Skiplist(sl) => sl.delete_range(start, end + 1 - start),
        }
    }

    /// ZREMRANGEBYSCORE.
    pub fn delete_score_range(&mut self, r: &ScoreRange) -> usize {
        match &mut self.enc {
            Enc::Skiplist(sl) => sl.delete_while(|_, s| !r.gte_min(s), |_, s| r.lte_max(s)),
        }
    }

    /// ZREMRANGEBYLEX.
    pub fn delete_lex_range(&mut self, r: &LexRange) -> usize {
        match &mut self.enc {
            Enc::Skiplist(sl) => sl.delete_while(|m, _| !r.gte_min(m), |m, _| r.lte_max(m)),
        }
    }

    /// One ZSCAN step: every (member, score) of one cursor step, and the next cursor. A
    /// listpack is returned whole with cursor 0, as Redis does.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Elem<'_>, f64)) -> u64 {
        match &self.enc {
            Enc::Skiplist(sl) => sl.scan(cursor, |m, s| f(Elem::Str(m), s)),
        }
    }

    /// Approximate bytes used (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        match &self.enc {
            Enc::Skiplist(sl) => sl.heap_bytes(),
        }
    }
}
