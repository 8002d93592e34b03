//! The member → node map of a skiplist-encoded sorted set: an open-addressing hash table
//! of node ids, with linear probing and backward-shift deletion.
//!
//! Each slot is one `u64`: the low 32 bits of the member's hash (the *tag*) in the high
//! half, and `node id + 1` in the low half (0 = empty). The member bytes themselves live
//! in the skiplist's nodes only, so a member is stored once; the tag lets a probe skip
//! almost every non-matching slot without touching the node.
//!
//! Invariants:
//! - the capacity is 0 or a power of two, and at least one slot is always empty (load
//!   ≤ 3/4), so every probe ends;
//! - an entry whose *home* is `tag & mask` sits in the run of occupied slots that starts
//!   at its home (linear probing; deletions shift entries back to keep this true).
//!
//! SCAN walks home buckets in Redis's reverse-binary cursor order. Because an entry's home
//! depends only on its hash and the mask, the guarantee of Redis's `dictScan` holds: an
//! entry present for the whole scan is returned at least once, even if the table grows or
//! shrinks between calls.

/// An empty slot.
const EMPTY: u64 = 0;
/// Smallest non-zero capacity.
const MIN_CAP: usize = 8;

#[derive(Clone, Default)]
pub(super) struct MemberIndex {
    slots: Box<[u64]>,
    len: usize,
}

fn pack(tag: u32, id: u32) -> u64 {
    (u64::from(tag) << 32) | (u64::from(id) + 1)
}

fn tag_of(slot: u64) -> u32 {
    (slot >> 32) as u32
}

fn id_of(slot: u64) -> u32 {
    // Low half holds id + 1 (never 0 for an occupied slot).
    (slot as u32).wrapping_sub(1)
}

impl MemberIndex {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// The slot and node id of the entry with `tag` for which `eq(id)` holds.
    pub fn find(&self, tag: u32, mut eq: impl FnMut(u32) -> bool) -> Option<(usize, u32)> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = tag as usize & mask;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return None;
            }
            if tag_of(s) == tag && eq(id_of(s)) {
                return Some((i, id_of(s)));
            }
            i = (i + 1) & mask;
        }
    }

    /// Add an entry known to be absent.
    pub fn insert(&mut self, tag: u32, id: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.resize((self.slots.len() * 2).max(MIN_CAP));
        }
        self.place(pack(tag, id));
        self.len += 1;
    }

    fn place(&mut self, slot: u64) {
        let mask = self.mask();
        let mut i = tag_of(slot) as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    /// Remove the entry at `slot` (from [`MemberIndex::find`]).
    pub fn remove_slot(&mut self, slot: usize) {
        let mask = self.mask();
        let mut hole = slot;
        let mut j = (slot + 1) & mask;
        // Backward shift: move later entries of the run into the hole when the hole lies
        // between their home and their position (cyclically).
        loop {
            let s = self.slots[j];
            if s == EMPTY {
                break;
            }
            let home = tag_of(s) as usize & mask;
            let dist_home = j.wrapping_sub(home) & mask;
            let dist_hole = j.wrapping_sub(hole) & mask;
            if dist_hole <= dist_home {
                self.slots[hole] = s;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.slots[hole] = EMPTY;
        self.len -= 1;
        if self.len == 0 {
            self.slots = Box::default();
        } else if self.slots.len() > MIN_CAP && self.len * 8 < self.slots.len() {
            self.resize((self.len * 2).next_power_of_two().max(MIN_CAP));
        }
    }

    fn resize(&mut self, cap: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; cap].into_boxed_slice());
        for s in old.iter().copied().filter(|&s| s != EMPTY) {
            self.place(s);
        }
    }

    /// One SCAN step: call `f` with every node whose home is the bucket named by `cursor`,
    /// and return the next cursor (0 when the scan is complete).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(u32)) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let bucket = (cursor & mask) as usize;
        let mut i = bucket;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                break;
            }
            if tag_of(s) as usize & self.mask() == bucket {
                f(id_of(s));
            }
            i = (i + 1) & self.mask();
            if i == bucket {
                break;
            }
        }
        // Redis's reverse-binary increment: set the unmasked bits, reverse, add one,
        // reverse back.
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Bytes of heap used.
    pub fn heap_bytes(&self) -> usize {
        self.slots.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn model_against_hashmap() {
        // Keys are ids; tags are deliberately narrow so that collisions and long runs
        // happen all the time.
        for seed in [1u64, 2, 3, 99] {
            let mut r = rng(seed);
            let mut idx = MemberIndex::default();
            let mut model: HashMap<u32, u32> = HashMap::new(); // id -> tag
            for _ in 0..20_000 {
                let id = (r() % 500) as u32;
                let tag = (id.wrapping_mul(2654435761)) >> (r() % 2 * 28) as u32;
                let tag = if seed == 3 { tag & 7 } else { tag };
                match model.get(&id).copied() {
                    Some(t) => {
                        let (slot, got) = idx.find(t, |x| x == id).expect("present");
                        assert_eq!(got, id);
                        if r().is_multiple_of(2) {
                            idx.remove_slot(slot);
                            model.remove(&id);
                        }
                    }
                    None => {
                        assert!(idx.find(tag, |x| x == id).is_none());
                        idx.insert(tag, id);
                        model.insert(id, tag);
                    }
                }
                assert_eq!(idx.len(), model.len());
            }
            for (&id, &tag) in &model {
                assert!(idx.find(tag, |x| x == id).is_some());
            }
        }
    }

    #[test]
    fn scan_returns_everything_across_resizes() {
        let mut r = rng(7);
        let mut idx = MemberIndex::default();
        for id in 0..1000u32 {
            idx.insert(r() as u32, id);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            cursor = idx.scan(cursor, |id| {
                seen.insert(id);
            });
            steps += 1;
            // Grow in the middle of the scan: elements 0..1000 must all still be seen.
            if steps == 100 {
                for id in 1000..5000u32 {
                    idx.insert(r() as u32, id);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        assert!((0..1000).all(|id| seen.contains(&id)));
    }
}
