//! The hash type (Redis's t_hash.c storage side): a map from field to value, both byte
//! strings, in one of Redis 7.0's two encodings.
//!
//! - `listpack`: field, value, field, value... in one [`Listpack`], in insertion order
//!   (an updated field keeps its place). Used while the hash has at most
//!   `hash-max-listpack-entries` fields and every field and value is at most
//!   `hash-max-listpack-value` bytes. Lookups are linear, which at these sizes beats
//!   hashing, and the whole hash is one allocation.
//! - `hashtable`: a [`Dict`] of [`SmallBytes`] (strings of up to 15 bytes live inside the
//!   node: a short field/value pair costs one 48-byte allocation).
//!
//! Invariants: a listpack hash always satisfies both limits as they were when each entry
//! was written (the limits are configuration and may change later, as in Redis); a hash is
//! converted to a hashtable at the first write that would break a limit, and never back.
//! An empty hash is never stored in the keyspace: the commands delete it.

mod small_bytes;

pub use crate::storage::encodings::listpack::{Listpack, LpEntry};
pub use small_bytes::SmallBytes;

use crate::storage::encodings::listpack;

use super::dict::Dict;

/// The hashtable encoding.
pub type Table = Dict<SmallBytes, SmallBytes>;

/// Above this many bytes in total a listpack must not grow (Redis's `lpSafeToAdd`).
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// The conversion thresholds, from `hash-max-listpack-entries` / `-value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        Limits {
            max_entries: 512,
            max_value: 64,
        }
    }
}

/// A hash value; see the module documentation.
pub enum Hash {
    Listpack(Listpack),
    Table(Box<Table>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// An empty hash, listpack-encoded as Redis creates them.
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new())
    }

    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Position of `field` in a listpack hash.
    fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        lp.first().and_then(|first| lp.find(first, field, 1))
    }

    /// The value of `field`. Integer-looking values in a listpack come back as
    /// [`LpEntry::Int`]; their text is the same decimal form.
    pub fn get(&self, field: &[u8]) -> Option<LpEntry<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let f = Self::lp_find(lp, field)?;
                lp.next(f).map(|v| lp.get(v))
            }
            Hash::Table(t) => t.get(field).map(|v| LpEntry::Str(v)),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => Self::lp_find(lp, field).is_some(),
            Hash::Table(t) => t.contains_key(field),
        }
    }

    /// Redis's `hashTypeTryConversion`, run by HSET/HSETNX/HMSET before writing: converts
    /// when any of the arguments about to be written is longer than the value limit, or
    /// when they would push the listpack past its 1 GB safety size.
    pub fn prepare_write<'a>(&mut self, args: impl IntoIterator<Item = &'a [u8]>, limits: Limits) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut sum = 0usize;
        for a in args {
            if a.len() > limits.max_value {
                self.convert();
                return;
            }
            sum = sum.saturating_add(a.len());
        }
        if lp.bytes_len().saturating_add(sum) > LISTPACK_MAX_SAFETY_SIZE {
            self.convert();
        }
    }

    /// Sets `field` to `value`; true when the field is new. Converts first when the pair
    /// is longer than the value limit (the HINCRBY* path, whose value is computed), and
    /// after adding when the hash has more fields than the entries limit.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if matches!(self, Hash::Listpack(_))
            && (field.len() > limits.max_value || value.len() > limits.max_value)
        {
            self.convert();
        }
        match self {
            Hash::Listpack(lp) => {
                if let Some(v) = Self::lp_find(lp, field).and_then(|f| lp.next(f)) {
                    lp.replace(v, value);
                    return false;
                }
                lp.push_back(field);
                lp.push_back(value);
                if self.len() > limits.max_entries {
                    self.convert();
                }
                true
            }
            Hash::Table(t) => {
                if let Some(v) = t.get_mut(field) {
                    *v = SmallBytes::new(value);
                    return false;
                }
                t.insert(SmallBytes::new(field), SmallBytes::new(value));
                true
            }
        }
    }

    /// Removes `field`; true when it was there. A hashtable shrinks when it falls under
    /// 10% fill, as Redis's `hashTypeDelete` does.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => {
                let Some(f) = Self::lp_find(lp, field) else {
                    return false;
                };
                if let Some(v) = lp.delete(f) {
                    lp.delete(v);
                }
                true
            }
            Hash::Table(t) => {
                let found = t.remove(field).is_some();
                if found {
                    t.shrink_if_needed();
                }
                found
            }
        }
    }

    /// Gives a listpack's spare capacity back after a write, as Redis's listpack is
    /// reallocated to its exact size by every insert: a million small hashes must not keep
    /// the doubling slack of their last push.
    pub fn shrink_to_fit(&mut self) {
        if let Hash::Listpack(lp) = self
            && lp.capacity() > lp.bytes_len()
        {
            lp.shrink_to_fit();
        }
    }

    /// Listpack → hashtable (Redis's `hashTypeConvertListpack`: the table is sized for the
    /// current fields so the conversion itself does not rehash).
    fn convert(&mut self) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut t = Table::with_capacity(lp.len() / 2);
        {
            let mut it = lp.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                t.insert(
                    SmallBytes::from_vec(f.to_vec()),
                    SmallBytes::from_vec(v.to_vec()),
                );
            }
        }
        *self = Hash::Table(Box::new(t));
    }

    /// Every field and value, in the encoding's order (insertion order for a listpack).
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(t) => Iter::Table(t.iter()),
        }
    }

    /// One HSCAN step. A listpack hash is reported whole and the scan ends (cursor 0), as
    /// in Redis; a hashtable uses the dict's resize-proof cursor (see [`Dict::scan`]).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(LpEntry<'_>, LpEntry<'_>)) -> u64 {
        match self {
            Hash::Listpack(_) => {
                for (k, v) in self.iter() {
                    f(k, v);
                }
                0
            }
            Hash::Table(t) => t.scan(cursor, |k, v| f(LpEntry::Str(k), LpEntry::Str(v))),
        }
    }

    /// A uniformly random field and its value; `None` when empty.
    pub fn random_pair(
        &self,
        rand: &mut impl FnMut() -> u64,
    ) -> Option<(LpEntry<'_>, LpEntry<'_>)> {
        match self {
            Hash::Listpack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let i = (rand() % n as u64) as i64;
                let f = lp.seek(2 * i)?;
                let v = lp.next(f)?;
                Some((lp.get(f), lp.get(v)))
            }
            Hash::Table(t) => t
                .random_entry(rand)
                .map(|(k, v)| (LpEntry::Str(k), LpEntry::Str(v))),
        }
    }

    /// Calls `emit` with `count` random pairs, drawn with replacement (HRANDFIELD with a
    /// negative count), until `emit` returns false.
    pub fn random_pairs(
        &self,
        count: u64,
        rand: &mut impl FnMut() -> u64,
        mut emit: impl FnMut(LpEntry<'_>, LpEntry<'_>) -> bool,
    ) {
        match self {
            Hash::Listpack(lp) => {
                // Positions once, so each draw is O(1) rather than a walk.
                let pos = field_positions(lp);
                if pos.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let f = pos[(rand() % pos.len() as u64) as usize];
                    let Some(v) = lp.next(f) else { return };
                    if !emit(lp.get(f), lp.get(v)) {
                        return;
                    }
                }
            }
            Hash::Table(t) => {
                for _ in 0..count {
                    let Some((k, v)) = t.random_entry(rand) else {
                        return;
                    };
                    if !emit(LpEntry::Str(k), LpEntry::Str(v)) {
                        return;
                    }
                }
            }
        }
    }

    /// `count` distinct random pairs, `0 < count < len` (HRANDFIELD with a positive count
    /// smaller than the hash), chosen as Redis does: when `count` is more than a third of
    /// the hash, start from everything and drop random pairs; otherwise draw until enough
    /// distinct ones (a listpack is sampled in one ordered pass instead).
    pub fn random_distinct(
        &self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
    ) -> Vec<(LpEntry<'_>, LpEntry<'_>)> {
        let size = self.len();
        if count >= size {
            return self.iter().collect();
        }
        if count.saturating_mul(3) > size {
            let mut all: Vec<_> = self.iter().collect();
            while all.len() > count {
                let i = (rand() % all.len() as u64) as usize;
                all.swap_remove(i);
            }
            return all;
        }
        match self {
            Hash::Listpack(lp) => {
                // Selection sampling (Knuth's algorithm S, as lpRandomPairsUnique): each
                // field is taken with probability needed / remaining.
                let mut out = Vec::with_capacity(count);
                let mut remaining = size as u64;
                let mut it = lp.iter();
                while let (Some(f), Some(v)) = (it.next(), it.next()) {
                    let needed = (count - out.len()) as u64;
                    if needed == 0 {
                        break;
                    }
                    if rand() % remaining < needed {
                        out.push((f, v));
                    }
                    remaining -= 1;
                }
                out
            }
            Hash::Table(t) => {
                let mut seen: std::collections::HashSet<&[u8]> =
                    std::collections::HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let Some((k, v)) = t.random_entry(rand) else {
                        break;
                    };
                    if seen.insert(k.as_bytes()) {
                        out.push((LpEntry::Str(k.as_bytes()), LpEntry::Str(v.as_bytes())));
                    }
                }
                out
            }
        }
    }

    /// Approximate heap bytes held (MEMORY USAGE, tests).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.bytes_len(),
            Hash::Table(t) => {
                t.table_bytes() + t.iter().map(|(k, v)| spill(k) + spill(v)).sum::<usize>()
            }
        }
    }
}

fn spill(s: &SmallBytes) -> usize {
    if s.spilled() { s.len() } else { 0 }
}

/// Positions of the fields of a field/value listpack.
fn field_positions(lp: &Listpack) -> Vec<usize> {
    let mut out = Vec::with_capacity(lp.len() / 2);
    let mut p = lp.first();
    while let Some(f) = p {
        out.push(f);
        p = lp.next(f).and_then(|v| lp.next(v));
    }
    out
}

/// Iterator over a hash's (field, value) pairs.
pub enum Iter<'a> {
    Listpack(listpack::Iter<'a>),
    Table(super::dict::Iter<'a, SmallBytes, SmallBytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (LpEntry<'a>, LpEntry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it.next().map(|(k, v)| (LpEntry::Str(k), LpEntry::Str(v))),
        }
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
            Hash::Table(t) => {
                let mut c = Table::with_capacity(t.len());
                for (k, v) in t.iter() {
                    c.insert(k.clone(), v.clone());
                }
                Hash::Table(Box::new(c))
            }
        }
    }
}

impl PartialEq for Hash {
    /// Same encoding and the same field → value map (order aside).
    fn eq(&self, other: &Self) -> bool {
        self.encoding_name() == other.encoding_name()
            && self.len() == other.len()
            && self.iter().all(|(f, v)| {
                let f = f.to_vec();
                other.get(&f).is_some_and(|o| o.to_vec() == v.to_vec())
            })
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.iter() {
            m.entry(
                &String::from_utf8_lossy(&k.to_vec()),
                &String::from_utf8_lossy(&v.to_vec()),
            );
        }
        m.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lim(entries: usize, value: usize) -> Limits {
        Limits {
            max_entries: entries,
            max_value: value,
        }
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    fn contents(h: &Hash) -> BTreeMap<Vec<u8>, Vec<u8>> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn small_hash_is_a_listpack_in_insertion_order() {
        let mut h = Hash::new();
        assert!(h.set(b"b", b"1", Limits::default()));
        assert!(h.set(b"a", b"x", Limits::default()));
        assert!(!h.set(b"b", b"2", Limits::default()));
        assert_eq!(h.encoding_name(), "listpack");
        let order: Vec<Vec<u8>> = h.iter().map(|(f, _)| f.to_vec()).collect();
        assert_eq!(order, vec![b"b".to_vec(), b"a".to_vec()]);
        assert_eq!(h.get(b"b"), Some(LpEntry::Int(2)));
        assert_eq!(h.get(b"a"), Some(LpEntry::Str(b"x")));
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn integer_lookalikes_do_not_match_integers() {
        let mut h = Hash::new();
        h.set(b"1", b"one", Limits::default());
        assert!(h.get(b"01").is_none());
        assert!(h.get(b"1").is_some());
        h.set(b"01", b"zero-one", Limits::default());
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn converts_past_the_entry_limit_and_never_back() {
        let mut h = Hash::new();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", lim(4, 64));
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"f4", b"v", lim(4, 64));
        assert_eq!(h.encoding_name(), "hashtable");
        for i in 0..5 {
            h.remove(format!("f{i}").as_bytes());
        }
        assert!(h.is_empty());
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn converts_on_a_long_field_or_value() {
        let mut h = Hash::new();
        h.set(b"f", &[b'x'; 64], lim(512, 64));
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"g", &[b'x'; 65], lim(512, 64));
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.get(b"f").map(|v| v.to_vec()), Some(vec![b'x'; 64]));

        let mut h = Hash::new();
        h.set(b"f", b"v", lim(512, 64));
        h.prepare_write([&b"f"[..], &[b'y'; 65][..]], lim(512, 64));
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.get(b"f").map(|v| v.to_vec()), Some(b"v".to_vec()));
    }

    #[test]
    fn zero_entry_limit_converts_at_the_first_field() {
        let mut h = Hash::new();
        h.set(b"f", b"v", lim(0, 64));
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn scan_of_a_listpack_is_one_step() {
        let mut h = Hash::new();
        for i in 0..10 {
            h.set(format!("f{i}").as_bytes(), b"v", Limits::default());
        }
        let mut n = 0;
        assert_eq!(h.scan(0, |_, _| n += 1), 0);
        assert_eq!(n, 10);
    }

    #[test]
    fn scan_of_a_table_visits_everything() {
        let mut h = Hash::new();
        for i in 0..1000 {
            h.set(format!("f{i}").as_bytes(), b"v", Limits::default());
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = h.scan(cursor, |f, _| {
                seen.insert(f.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
    }

    #[test]
    fn random_selection_rules() {
        let mut rng = XorShift(42);
        let mut rand = || rng.next();
        for limits in [lim(512, 64), lim(0, 64)] {
            let mut h = Hash::new();
            for i in 0..100 {
                h.set(
                    format!("f{i}").as_bytes(),
                    format!("v{i}").as_bytes(),
                    limits,
                );
            }
            for count in [1, 2, 10, 33, 34, 50, 99, 100, 150] {
                let got = h.random_distinct(count, &mut rand);
                assert_eq!(got.len(), count.min(100));
                let set: std::collections::HashSet<Vec<u8>> =
                    got.iter().map(|(f, _)| f.to_vec()).collect();
                assert_eq!(set.len(), got.len(), "distinct");
                for (f, v) in &got {
                    assert_eq!(h.get(&f.to_vec()).map(|x| x.to_vec()), Some(v.to_vec()));
                }
            }
            let mut n = 0;
            h.random_pairs(1000, &mut rand, |f, v| {
                assert_eq!(f.to_vec()[1..], v.to_vec()[1..]);
                n += 1;
                true
            });
            assert_eq!(n, 1000);
            let (f, v) = h.random_pair(&mut rand).unwrap();
            assert_eq!(f.to_vec()[1..], v.to_vec()[1..]);
        }
    }

    #[test]
    fn random_draws_reach_every_field() {
        let mut rng = XorShift(7);
        let mut rand = || rng.next();
        let mut h = Hash::new();
        for i in 0..20 {
            h.set(format!("f{i}").as_bytes(), b"v", Limits::default());
        }
        let mut seen = std::collections::HashSet::new();
        h.random_pairs(2000, &mut rand, |f, _| {
            seen.insert(f.to_vec());
            true
        });
        assert_eq!(seen.len(), 20);
    }

    /// Model-based: random operations against a BTreeMap, across both encodings and small
    /// limits so conversions happen mid-sequence.
    #[test]
    fn model_based() {
        for seed in 1..=20u64 {
            let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let limits = lim((seed % 5) as usize * 8, 4 + (seed % 3) as usize * 10);
            let mut h = Hash::new();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut was_table = false;
            for _ in 0..2000 {
                let r = rng.next();
                let field = match r % 4 {
                    0 => ((r >> 8) % 50).to_string().into_bytes(),
                    1 => format!("f{}", (r >> 8) % 60).into_bytes(),
                    2 => vec![b'x'; ((r >> 8) % 30) as usize],
                    _ => format!("-{}", (r >> 8) % 20).into_bytes(),
                };
                let value = match (r >> 20) % 3 {
                    0 => ((r >> 24) as i64 - (1 << 38)).to_string().into_bytes(),
                    1 => vec![b'v'; ((r >> 24) % 40) as usize],
                    _ => Vec::new(),
                };
                match (r >> 40) % 3 {
                    0 | 1 => {
                        let new = h.set(&field, &value, limits);
                        assert_eq!(new, model.insert(field.clone(), value.clone()).is_none());
                    }
                    _ => assert_eq!(h.remove(&field), model.remove(&field).is_some()),
                }
                assert_eq!(h.len(), model.len());
                assert_eq!(
                    h.get(&field).map(|v| v.to_vec()),
                    model.get(&field).cloned()
                );
                assert_eq!(h.contains(&field), model.contains_key(&field));
                if h.encoding_name() == "hashtable" {
                    was_table = true;
                } else {
                    assert!(!was_table, "converted back");
                    assert!(h.len() <= limits.max_entries);
                }
            }
            assert_eq!(contents(&h), model);
            let c = h.clone();
            assert_eq!(c, h);
            assert_eq!(contents(&c), model);
        }
    }
}
