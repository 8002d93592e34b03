//! The large encoding of a sorted set (`skiplist` in OBJECT ENCODING): Redis's skiplist
//! with spans, plus a hash index from member to node, with nodes in an arena.
//!
//! Order: by score, then by member bytes (memcmp, shorter first on a tie), as Redis.
//!
//! Layout (index-based, no raw pointers):
//! - `nodes[id]`: member (inline up to 22 bytes, else boxed), score, backward link and the
//!   slot of its levels; `heights[id]` its number of levels. Ids are `u32`; `NIL` ends a
//!   chain and `HEAD` names the header, whose 32 levels live in `head`.
//! - levels (forward link + span) live in one pool per height, so a node of height `h`
//!   owns `h` consecutive `Level`s and no allocation of its own.
//! - freed nodes and level slots go on free lists (through `backward` and the first level's
//!   `forward`) and are reused; when fewer than a quarter of the nodes are live the arena is
//!   rebuilt compactly.
//!
//! Invariants (checked by `check` in tests):
//! - following level 0 from `HEAD` visits the `len` live nodes in order; `backward` links
//!   mirror it and `tail` is the last node;
//! - at level `i`, `span` is the number of level-0 steps to `forward`; for a `NIL` forward
//!   it is the number of nodes after this one (Redis keeps it so, and inserts rely on it);
//! - `index` holds exactly the live nodes, keyed by the hash of their member.
//!
//! Costs: insert, delete, score update, rank of a member, element at a rank, first/last
//! element of a score or lex range: O(log n) expected; a range of m elements from a rank:
//! O(log n + m); member → score: O(1) expected.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use super::index::MemberIndex;

/// Redis's ZSKIPLIST_MAXLEVEL.
const MAX_LEVEL: usize = 32;
/// End of a chain.
const NIL: u32 = u32::MAX;
/// The header.
const HEAD: u32 = u32::MAX - 1;
/// Largest number of nodes (ids must stay below `HEAD`, and `id + 1` must fit the index).
const MAX_NODES: usize = (u32::MAX - 3) as usize;

/// Hash of a member: one random seed per process, so a client cannot precompute
/// colliding members.
pub(super) fn hash_member(m: &[u8]) -> u32 {
    static STATE: OnceLock<foldhash::fast::RandomState> = OnceLock::new();
    let h = STATE.get_or_init(Default::default).hash_one(m);
    (h ^ (h >> 32)) as u32
}

/// Member bytes: inline when short (most members are), boxed otherwise. 24 bytes.
#[derive(Clone)]
enum Member {
    Inline { len: u8, buf: [u8; 22] },
    Heap(Box<[u8]>),
}

impl Member {
    fn new(b: &[u8]) -> Member {
        if b.len() <= 22 {
            let mut buf = [0u8; 22];
            buf[..b.len()].copy_from_slice(b);
            Member::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Member::Heap(b.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Member::Inline { len, buf } => &buf[..*len as usize],
            Member::Heap(b) => b,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Level {
    forward: u32,
    span: u32,
}

#[derive(Clone)]
struct Node {
    member: Member,
    score: f64,
    /// Previous node at level 0 (`NIL` for the first); next free node when free.
    backward: u32,
    /// Slot in the level pool of this node's height.
    slot: u32,
}

/// The levels of every node of one height `h`: slot `s` is `levels[s*h .. s*h + h]`.
#[derive(Clone, Default)]
struct Pool {
    levels: Vec<Level>,
    /// First free slot (`NIL` if none); a free slot's level 0 `forward` links the next.
    free: u32,
}

#[derive(Clone)]
pub struct SkipList {
    nodes: Vec<Node>,
    heights: Vec<u8>,
    /// First free node (`NIL` if none).
    free_node: u32,
    pools: Vec<Pool>,
    head: [Level; MAX_LEVEL],
    /// Levels in use (at least 1).
    level: usize,
    tail: u32,
    len: usize,
    rng: u64,
    index: MemberIndex,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for SkipList {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter_from(0, false)
                .zip(other.iter_from(0, false))
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
    }
}

impl std::fmt::Debug for SkipList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkipList").field("len", &self.len).finish()
    }
}

/// Iterator over (member, score) from some position towards the tail or the head.
pub struct Iter<'a> {
    sl: &'a SkipList,
    cur: u32,
    rev: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cur == NIL {
            return None;
        }
        let x = self.cur;
        let node = &self.sl.nodes[x as usize];
        self.cur = if self.rev {
            node.backward
        } else {
            self.sl.lv(x, 0).forward
        };
        Some((node.member.bytes(), node.score))
    }
}

impl SkipList {
    pub fn new() -> Self {
        SkipList {
            nodes: Vec::new(),
            heights: Vec::new(),
            free_node: NIL,
            pools: Vec::new(),
            head: [Level {
                forward: NIL,
                span: 0,
            }; MAX_LEVEL],
            level: 1,
            tail: NIL,
            len: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            index: MemberIndex::default(),
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        let mut sl = Self::new();
        sl.nodes.reserve(n);
        sl.heights.reserve(n);
        sl
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ---- low-level access

    fn lv(&self, x: u32, i: usize) -> Level {
        if x == HEAD {
            self.head[i]
        } else {
            let h = self.heights[x as usize] as usize;
            self.pools[h - 1].levels[self.nodes[x as usize].slot as usize * h + i]
        }
    }

    fn lv_mut(&mut self, x: u32, i: usize) -> &mut Level {
        if x == HEAD {
            &mut self.head[i]
        } else {
            let h = self.heights[x as usize] as usize;
            let slot = self.nodes[x as usize].slot as usize;
            &mut self.pools[h - 1].levels[slot * h + i]
        }
    }

    fn score_of(&self, x: u32) -> f64 {
        self.nodes[x as usize].score
    }

    fn member_of(&self, x: u32) -> &[u8] {
        self.nodes[x as usize].member.bytes()
    }

    /// Whether node `a` sorts before node `b` (by score, then member).
    fn before(&self, a: u32, b: u32) -> bool {
        let (sa, sb) = (self.score_of(a), self.score_of(b));
        sa < sb || (sa == sb && self.member_of(a) < self.member_of(b))
    }

    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            // xorshift64; P = 1/4 per extra level, as Redis's ZSKIPLIST_P.
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if level >= MAX_LEVEL || (self.rng >> 40) & 0xFFFF >= 0x4000 {
                return level;
            }
            level += 1;
        }
    }

    fn alloc_node(&mut self, member: &[u8], score: f64) -> u32 {
        let node = Node {
            member: Member::new(member),
            score,
            backward: NIL,
            slot: NIL,
        };
        if self.free_node != NIL {
            let id = self.free_node;
            self.free_node = self.nodes[id as usize].backward;
            self.nodes[id as usize] = node;
            id
        } else {
            // An arena this large would need hundreds of GB; treat it like an allocation
            // failure rather than corrupting ids.
            assert!(self.nodes.len() < MAX_NODES, "sorted set too large");
            self.nodes.push(node);
            self.heights.push(0);
            (self.nodes.len() - 1) as u32
        }
    }

    fn free_node(&mut self, x: u32) {
        let n = &mut self.nodes[x as usize];
        n.member = Member::Inline {
            len: 0,
            buf: [0; 22],
        };
        n.backward = self.free_node;
        self.free_node = x;
    }

    fn alloc_levels(&mut self, x: u32, h: usize) {
        if self.pools.len() < h {
            self.pools.resize_with(h, || Pool {
                levels: Vec::new(),
                free: NIL,
            });
        }
        let pool = &mut self.pools[h - 1];
        let slot = if pool.free != NIL {
            let s = pool.free;
            pool.free = pool.levels[s as usize * h].forward;
            s
        } else {
            let s = (pool.levels.len() / h) as u32;
            pool.levels.resize(pool.levels.len() + h, Level::default());
            s
        };
        self.nodes[x as usize].slot = slot;
        self.heights[x as usize] = h as u8;
    }

    fn free_levels(&mut self, x: u32) {
        let h = self.heights[x as usize] as usize;
        let slot = self.nodes[x as usize].slot;
        let pool = &mut self.pools[h - 1];
        pool.levels[slot as usize * h].forward = pool.free;
        pool.free = slot;
    }

    // ---- Redis's skiplist algorithms

    /// zslInsert for a node already allocated with its member and score.
    fn link(&mut self, x: u32) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut cur = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let l = self.lv(cur, i);
                if l.forward != NIL && self.before(l.forward, x) {
                    rank[i] += l.span;
                    cur = l.forward;
                } else {
                    break;
                }
            }
            update[i] = cur;
        }
        let h = self.random_level();
        if h > self.level {
            for i in self.level..h {
                rank[i] = 0;
                update[i] = HEAD;
                self.head[i].span = self.len as u32;
            }
            self.level = h;
        }
        self.alloc_levels(x, h);
        for i in 0..h {
            let up = self.lv(update[i], i);
            *self.lv_mut(x, i) = Level {
                forward: up.forward,
                span: up.span - (rank[0] - rank[i]),
            };
            *self.lv_mut(update[i], i) = Level {
                forward: x,
                span: rank[0] - rank[i] + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(h) {
            self.lv_mut(u, i).span += 1;
        }
        self.nodes[x as usize].backward = if update[0] == HEAD { NIL } else { update[0] };
        let next = self.lv(x, 0).forward;
        if next != NIL {
            self.nodes[next as usize].backward = x;
        } else {
            self.tail = x;
        }
        self.len += 1;
    }

    /// zslDeleteNode: unlink `x` given the last node before it at every level.
    fn unlink_with(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.lv(u, i);
            if ul.forward == x {
                let xl = self.lv(x, i);
                *self.lv_mut(u, i) = Level {
                    forward: xl.forward,
                    span: ul.span + xl.span - 1,
                };
            } else {
                self.lv_mut(u, i).span -= 1;
            }
        }
        let next = self.lv(x, 0).forward;
        let back = self.nodes[x as usize].backward;
        if next != NIL {
            self.nodes[next as usize].backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.head[self.level - 1].forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.free_levels(x);
    }

    /// Unlink node `x` (still allocated afterwards, with no levels).
    fn unlink(&mut self, x: u32) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut cur = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.lv(cur, i).forward;
                if f != NIL && self.before(f, x) {
                    cur = f;
                } else {
                    break;
                }
            }
            update[i] = cur;
        }
        self.unlink_with(x, &update);
    }

    fn find(&self, member: &[u8]) -> Option<(usize, u32)> {
        self.index
            .find(hash_member(member), |id| self.member_of(id) == member)
    }

    /// Walk down from the header, advancing while `go(node)` holds. Returns how many nodes
    /// were passed (the rank of the last one, 1-based) and the last node passed (`HEAD` if
    /// none). With a predicate that holds for a prefix of the order, the count is the
    /// length of that prefix.
    fn descend(&self, mut go: impl FnMut(u32) -> bool) -> (usize, u32) {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.forward != NIL && go(l.forward) {
                    rank += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
        }
        (rank, x)
    }

    /// zslGetElementByRank with a 0-based rank.
    fn node_at(&self, rank: usize) -> u32 {
        let target = rank + 1;
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.forward != NIL && traversed + l.span as usize <= target {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    fn maybe_compact(&mut self) {
        if self.nodes.len() >= 64 && self.len * 4 < self.nodes.len() {
            let mut fresh = SkipList::with_capacity(self.len);
            fresh.rng = self.rng;
            for (m, s) in self.iter_from(0, false) {
                let id = fresh.alloc_node(m, s);
                fresh.link(id);
                fresh.index.insert(hash_member(m), id);
            }
            *self = fresh;
        }
    }

    // ---- public operations

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, id)| self.score_of(id))
    }

    /// Add a member known to be absent.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let id = self.alloc_node(member, score);
        self.link(id);
        self.index.insert(hash_member(member), id);
    }

    /// Change the score of a present member (zslUpdateScore). Returns false if absent.
    pub fn update(&mut self, member: &[u8], score: f64) -> bool {
        let Some((_, x)) = self.find(member) else {
            return false;
        };
        let back = self.nodes[x as usize].backward;
        let next = self.lv(x, 0).forward;
        // The node stays in place when the new score keeps it between its neighbours.
        if (back == NIL || self.score_of(back) < score)
            && (next == NIL || self.score_of(next) > score)
        {
            self.nodes[x as usize].score = score;
            return true;
        }
        self.unlink(x);
        self.nodes[x as usize].score = score;
        self.link(x);
        true
    }

    /// Remove a member; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (slot, x) = self.find(member)?;
        let score = self.score_of(x);
        self.index.remove_slot(slot);
        self.unlink(x);
        self.free_node(x);
        self.maybe_compact();
        Some(score)
    }

    /// 0-based rank of a member from the lowest score.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let (_, x) = self.find(member)?;
        Some(self.descend(|f| self.before(f, x)).0)
    }

    /// Elements from 0-based `rank` (counted from the head, or from the tail when `rev`)
    /// towards the tail (or the head when `rev`). Empty when `rank` is past the end.
    pub fn iter_from(&self, rank: usize, rev: bool) -> Iter<'_> {
        let cur = if rank >= self.len {
            NIL
        } else if rev {
            if rank == 0 {
                self.tail
            } else {
                self.node_at(self.len - 1 - rank)
            }
        } else if rank == 0 {
            self.head[0].forward
        } else {
            self.node_at(rank)
        };
        Iter { sl: self, cur, rev }
    }

    /// The element at a 0-based rank from the head.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.iter_from(rank, false).next()
    }

    /// How many elements, from the head, satisfy `pred` before the first that does not,
    /// assuming it holds for a prefix of the order (as `score < x` or `member < x` on a
    /// set where all scores are equal). O(log n).
    pub fn count_prefix(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        self.descend(|f| pred(self.member_of(f), self.score_of(f)))
            .0
    }

    /// Delete `count` elements from 0-based `start` (zslDeleteRangeByRank). Returns the
    /// number removed.
    pub fn delete_range(&mut self, start: usize, count: usize) -> usize {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.forward != NIL && traversed + (l.span as usize) < start + 1 {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let mut x = self.lv(x, 0).forward;
        let mut removed = 0;
        while x != NIL && removed < count {
            let next = self.lv(x, 0).forward;
            self.unlink_with(x, &update);
            self.unindex(x);
            self.free_node(x);
            removed += 1;
            x = next;
        }
        self.maybe_compact();
        removed
    }

    /// Delete, from the first element for which `skip` is false, every element while
    /// `take` holds (zslDeleteRangeByScore / ByLex). Returns the number removed.
    pub fn delete_while(
        &mut self,
        mut skip: impl FnMut(&[u8], f64) -> bool,
        mut take: impl FnMut(&[u8], f64) -> bool,
    ) -> usize {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.lv(x, i).forward;
                if f != NIL && skip(self.member_of(f), self.score_of(f)) {
                    x = f;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let mut x = self.lv(x, 0).forward;
        let mut removed = 0;
        while x != NIL && take(self.member_of(x), self.score_of(x)) {
            let next = self.lv(x, 0).forward;
            self.unlink_with(x, &update);
            self.unindex(x);
            self.free_node(x);
            removed += 1;
            x = next;
        }
        self.maybe_compact();
        removed
    }

    fn unindex(&mut self, x: u32) {
        let member = self.member_of(x);
        if let Some((slot, _)) = self.index.find(hash_member(member), |id| id == x) {
            self.index.remove_slot(slot);
        }
    }

    /// One ZSCAN step over the hash index (see `index.rs` for the guarantee).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        self.index
            .scan(cursor, |id| f(self.member_of(id), self.score_of(id)))
    }

    /// Approximate heap bytes (MEMORY USAGE, tests).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.heights.capacity()
            + self
                .pools
                .iter()
                .map(|p| p.levels.capacity() * std::mem::size_of::<Level>())
                .sum::<usize>()
            + self.index.heap_bytes()
            + self
                .iter_from(0, false)
                .map(|(m, _)| if m.len() > 22 { m.len() } else { 0 })
                .sum::<usize>()
    }

    #[cfg(test)]
    fn check(&self) {
        // Level 0 order, backward links, tail.
        let mut prev = NIL;
        let mut x = self.head[0].forward;
        let mut n = 0;
        while x != NIL {
            assert_eq!(self.nodes[x as usize].backward, prev);
            if prev != NIL {
                assert!(self.before(prev, x), "order");
            }
            prev = x;
            x = self.lv(x, 0).forward;
            n += 1;
        }
        assert_eq!(n, self.len);
        assert_eq!(self.tail, prev);
        // Spans at every level.
        let rank_of = |id: u32| self.descend(|f| f != id && self.before(f, id)).0 + 1;
        for i in 0..self.level {
            let mut x = HEAD;
            let mut r = 0usize;
            loop {
                let l = self.lv(x, i);
                if l.forward == NIL {
                    assert_eq!(l.span as usize, self.len - r, "span to end at level {i}");
                    break;
                }
                let fr = rank_of(l.forward);
                assert_eq!(l.span as usize, fr - r, "span at level {i}");
                r = fr;
                x = l.forward;
            }
        }
        for i in self.level..MAX_LEVEL {
            assert_eq!(self.head[i].forward, NIL);
        }
        assert_eq!(self.index.len(), self.len);
        for (m, s) in self.iter_from(0, false) {
            assert_eq!(self.score(m).map(f64::to_bits), Some(s.to_bits()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;
    use std::collections::{BTreeSet, HashMap};

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

    struct Model {
        order: BTreeSet<(F, Vec<u8>)>,
        scores: HashMap<Vec<u8>, f64>,
    }

    impl Model {
        fn list(&self) -> Vec<(Vec<u8>, f64)> {
            self.order.iter().map(|(s, m)| (m.clone(), s.0)).collect()
        }
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

    fn member(r: u64) -> Vec<u8> {
        match r % 4 {
            0 => format!("m{}", r % 300).into_bytes(),
            1 => format!("{}", r % 300).into_bytes(),
            2 => format!("long-member-name-that-is-not-inline-{}", r % 300).into_bytes(),
            _ => vec![b'a' + (r % 5) as u8; (r % 3) as usize],
        }
    }

    #[test]
    fn node_is_forty_bytes() {
        assert_eq!(std::mem::size_of::<Member>(), 24);
        assert_eq!(std::mem::size_of::<Node>(), 40);
    }

    #[test]
    fn model_based() {
        for seed in [1u64, 5, 42, 1234] {
            let mut r = rng(seed);
            let mut sl = SkipList::new();
            let mut model = Model {
                order: BTreeSet::new(),
                scores: HashMap::new(),
            };
            for step in 0..6000 {
                let op = r() % 10;
                let m = member(r());
                let score = match r() % 5 {
                    0 => (r() % 7) as f64,
                    1 => f64::INFINITY,
                    2 => f64::NEG_INFINITY,
                    _ => (r() % 1000) as f64 / 7.0 - 50.0,
                };
                match op {
                    0..=3 => {
                        if let Some(old) = model.scores.get(&m).copied() {
                            assert!(sl.update(&m, score));
                            model.order.remove(&(F(old), m.clone()));
                        } else {
                            sl.insert(&m, score);
                        }
                        model.order.insert((F(score), m.clone()));
                        model.scores.insert(m, score);
                    }
                    4 | 5 => {
                        let got = sl.remove(&m);
                        let want = model.scores.remove(&m);
                        assert_eq!(got, want);
                        if let Some(s) = want {
                            model.order.remove(&(F(s), m));
                        }
                    }
                    6 => {
                        let list = model.list();
                        let want = list.iter().position(|(x, _)| *x == m);
                        assert_eq!(sl.rank(&m), want);
                        if !list.is_empty() {
                            let k = (r() as usize) % list.len();
                            let rev = r().is_multiple_of(2);
                            let got: Vec<_> = sl
                                .iter_from(k, rev)
                                .take(5)
                                .map(|(m, s)| (m.to_vec(), s))
                                .collect();
                            let want: Vec<_> = if rev {
                                list.iter().rev().skip(k).take(5).cloned().collect()
                            } else {
                                list.iter().skip(k).take(5).cloned().collect()
                            };
                            assert_eq!(got, want);
                        }
                    }
                    7 => {
                        let list = model.list();
                        let start = (r() % 40) as usize;
                        let count = (r() % 6) as usize;
                        let removed = sl.delete_range(start, count);
                        let gone: Vec<_> = list.iter().skip(start).take(count).cloned().collect();
                        assert_eq!(removed, gone.len());
                        for (m, s) in gone {
                            model.order.remove(&(F(s), m.clone()));
                            model.scores.remove(&m);
                        }
                    }
                    8 => {
                        let lo = (r() % 100) as f64 / 7.0 - 10.0;
                        let hi = lo + (r() % 30) as f64;
                        let below = sl.count_prefix(|_, s| s < lo);
                        let list = model.list();
                        assert_eq!(below, list.iter().filter(|(_, s)| *s < lo).count());
                        let removed = sl.delete_while(|_, s| s < lo, |_, s| s <= hi);
                        let gone: Vec<_> = list
                            .iter()
                            .filter(|(_, s)| *s >= lo && *s <= hi)
                            .cloned()
                            .collect();
                        assert_eq!(removed, gone.len());
                        for (m, s) in gone {
                            model.order.remove(&(F(s), m.clone()));
                            model.scores.remove(&m);
                        }
                    }
                    _ => {
                        let list = model.list();
                        if !list.is_empty() {
                            let k = (r() as usize) % list.len();
                            assert_eq!(
                                sl.get(k).map(|(m, s)| (m.to_vec(), s)),
                                Some(list[k].clone())
                            );
                        }
                    }
                }
                assert_eq!(sl.len(), model.order.len());
                if step % 500 == 0 {
                    sl.check();
                }
            }
            sl.check();
            let all: Vec<_> = sl
                .iter_from(0, false)
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            assert_eq!(all, model.list());
        }
    }

    #[test]
    fn compaction_keeps_contents_and_scan() {
        let mut sl = SkipList::new();
        for i in 0..1000 {
            sl.insert(format!("m{i}").as_bytes(), i as f64);
        }
        assert_eq!(sl.delete_range(0, 900), 900);
        sl.check();
        assert!(sl.nodes.len() < 1000);
        let mut seen = Vec::new();
        let mut c = 0;
        loop {
            c = sl.scan(c, |m, _| seen.push(m.to_vec()));
            if c == 0 {
                break;
            }
        }
        seen.sort();
        let mut want: Vec<_> = (900..1000).map(|i| format!("m{i}").into_bytes()).collect();
        want.sort();
        assert_eq!(seen, want);
    }
}
