//! [`Packed`]: a small set of short members in one allocation, the compact form of a
//! `hashtable`-encoded set (Redis 7.0 has no compact form for sets of strings; 7.2 added a
//! listpack for the same reason: a dict, its bucket array and one node per member cost ~500
//! bytes for a 5-member set, this costs the members' bytes plus one length byte each).
//!
//! # Layout and invariants
//! `buf` is empty for an empty set, else `[count] [len][bytes] [len][bytes] ...`: at most
//! [`MAX_ENTRIES`] distinct members of at most [`MAX_LEN`] bytes each, in insertion order
//! (removal keeps the order of the rest). The box is always exactly as long as its content.
//! Membership is a linear scan, which at this size costs about what hashing would.

/// Most members a packed set holds before it becomes a hash table.
pub const MAX_ENTRIES: usize = 32;
/// Longest member a packed set holds (Redis 7.2's `set-max-listpack-value`).
pub const MAX_LEN: usize = 64;

#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Packed {
    buf: Box<[u8]>,
}

impl Packed {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.buf.first().map_or(0, |&n| n as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Heap bytes held.
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Whether `m` could be added without outgrowing the packed form.
    pub fn can_add(&self, m: &[u8]) -> bool {
        m.len() <= MAX_LEN && self.len() < MAX_ENTRIES
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            rest: self.buf.get(1..).unwrap_or(&[]),
        }
    }

    /// Byte offset of `m`'s length byte in `buf`.
    fn find(&self, m: &[u8]) -> Option<usize> {
        if m.len() > MAX_LEN {
            return None;
        }
        let mut at = 1;
        while let Some(&l) = self.buf.get(at) {
            let end = at + 1 + l as usize;
            if l as usize == m.len() && self.buf.get(at + 1..end) == Some(m) {
                return Some(at);
            }
            at = end;
        }
        None
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        self.find(m).is_some()
    }

    /// Adds `m` if absent; true when added. The caller checked [`Packed::can_add`].
    pub fn insert(&mut self, m: &[u8]) -> bool {
        debug_assert!(self.can_add(m));
        if self.contains(m) || !self.can_add(m) {
            return false;
        }
        let mut v = std::mem::take(&mut self.buf).into_vec();
        let count = v.first().copied().unwrap_or(0);
        let extra = 1 + m.len() + usize::from(v.is_empty());
        v.reserve_exact(extra);
        if v.is_empty() {
            v.push(0);
        }
        v[0] = count + 1;
        v.push(m.len() as u8);
        v.extend_from_slice(m);
        self.buf = v.into_boxed_slice();
        true
    }

    /// Removes `m`; true when it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        let Some(at) = self.find(m) else {
            return false;
        };
        let count = self.len() - 1;
        if count == 0 {
            self.buf = Box::default();
            return true;
        }
        let end = at + 1 + m.len();
        let mut v = Vec::with_capacity(self.buf.len() - (end - at));
        v.push(count as u8);
        v.extend_from_slice(&self.buf[1..at]);
        v.extend_from_slice(&self.buf[end..]);
        self.buf = v.into_boxed_slice();
        true
    }

    /// The `i`-th member in insertion order.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.iter().nth(i)
    }
}

/// Members in insertion order.
#[derive(Clone)]
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&l, tail) = self.rest.split_first()?;
        let l = (l as usize).min(tail.len());
        let (m, rest) = tail.split_at(l);
        self.rest = rest;
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn basic() {
        let mut p = Packed::new();
        assert!(p.is_empty());
        assert!(p.insert(b"a"));
        assert!(p.insert(b""));
        assert!(!p.insert(b"a"));
        assert!(p.insert(b"ccc"));
        assert_eq!(p.len(), 3);
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"", b"ccc"]);
        assert_eq!(p.get(2), Some(&b"ccc"[..]));
        assert!(p.remove(b""));
        assert!(!p.remove(b""));
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"ccc"]);
        assert!(p.remove(b"a") && p.remove(b"ccc"));
        assert!(p.is_empty() && p.bytes_len() == 0);
        let long = [b'x'; MAX_LEN + 1];
        assert!(!p.can_add(&long));
        assert!(!p.contains(&long));
    }

    /// Model test against a BTreeSet with a small alphabet so that hits are common.
    #[test]
    fn model() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for _round in 0..200 {
            let mut p = Packed::new();
            let mut model = BTreeSet::new();
            for _ in 0..300 {
                let len = (rng.next() % 4) as usize;
                let m: Vec<u8> = (0..len).map(|_| b'a' + (rng.next() % 3) as u8).collect();
                if rng.next().is_multiple_of(3) {
                    assert_eq!(p.remove(&m), model.remove(&m));
                } else if p.can_add(&m) {
                    assert_eq!(p.insert(&m), model.insert(m.clone()));
                }
                assert_eq!(p.len(), model.len());
                assert_eq!(p.contains(&m), model.contains(&m));
                assert_eq!(
                    p.bytes_len(),
                    if model.is_empty() {
                        0
                    } else {
                        1 + model.iter().map(|m| m.len() + 1).sum::<usize>()
                    }
                );
                let got: BTreeSet<Vec<u8>> = p.iter().map(|m| m.to_vec()).collect();
                assert_eq!(got, model);
            }
        }
    }
}
