//! The intset: Redis's compact sorted set of integers (`intset.c`), byte for
//! byte, so RDB persistence and DUMP/RESTORE can write and read it verbatim.
//! Small sets whose members are all integers live in one.
//!
//! # Layout
//! ```text
//! <encoding: u32 LE = 2, 4 or 8> <length: u32 LE> <length integers, each `encoding` bytes, LE>
//! ```
//!
//! # Invariants
//! - The integers are sorted ascending with no duplicates (membership is a
//!   binary search).
//! - Every integer fits the encoding; inserting one that does not first
//!   widens all of them ("upgrade"). The encoding never narrows again, as in
//!   Redis: removing the only wide value keeps the wide encoding, and the
//!   bytes stay identical to Redis's.
//! - `buf` always holds the complete intset, header in sync, so
//!   [`IntSet::as_bytes`] is what Redis would write.

use std::iter::FusedIterator;

const HDR_SIZE: usize = 8;

/// The narrowest encoding (2, 4 or 8 bytes) holding `v`, as `_intsetValueEncoding`.
#[inline]
fn value_encoding(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Reads the `i`-th integer of a body encoded with `enc` bytes each.
#[inline]
fn read(body: &[u8], enc: usize, i: usize) -> i64 {
    let o = i * enc;
    match enc {
        2 => i16::from_le_bytes([body[o], body[o + 1]]) as i64,
        4 => i32::from_le_bytes([body[o], body[o + 1], body[o + 2], body[o + 3]]) as i64,
        _ => {
            let mut x = [0u8; 8];
            x.copy_from_slice(&body[o..o + 8]);
            i64::from_le_bytes(x)
        }
    }
}

/// Writes `v` (which fits `enc`) as the `i`-th integer.
#[inline]
fn write(body: &mut [u8], enc: usize, i: usize, v: i64) {
    let o = i * enc;
    match enc {
        2 => body[o..o + 2].copy_from_slice(&(v as i16).to_le_bytes()),
        4 => body[o..o + 4].copy_from_slice(&(v as i32).to_le_bytes()),
        _ => body[o..o + 8].copy_from_slice(&v.to_le_bytes()),
    }
}

/// A set of integers in Redis's intset format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntSet {
    buf: Vec<u8>,
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

impl IntSet {
    /// An empty intset, 16-bit encoded, as `intsetNew`.
    pub fn new() -> Self {
        IntSet {
            buf: vec![2, 0, 0, 0, 0, 0, 0, 0],
        }
    }

    /// Takes an intset from untrusted bytes (RDB, RESTORE) with
    /// `intsetValidateIntegrity`'s deep checks: a valid encoding, a length
    /// matching the size, strictly ascending values. Like Redis, an empty
    /// intset is rejected (Redis never writes one). Never panics.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        if bytes.len() < HDR_SIZE {
            return None;
        }
        let enc = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if !matches!(enc, 2 | 4 | 8) {
            return None;
        }
        let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        if len == 0 || len.checked_mul(enc)?.checked_add(HDR_SIZE)? != bytes.len() {
            return None;
        }
        let body = &bytes[HDR_SIZE..];
        let mut prev = read(body, enc, 0);
        for i in 1..len {
            let v = read(body, enc, i);
            if v <= prev {
                return None;
            }
            prev = v;
        }
        Some(IntSet { buf: bytes })
    }

    /// The intset's bytes, exactly as Redis would hold them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Gives the bytes back.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes per integer: 2, 4 or 8.
    #[inline]
    pub fn encoding(&self) -> usize {
        self.buf[0] as usize
    }

    /// Number of integers.
    #[inline]
    pub fn len(&self) -> usize {
        (self.buf.len() - HDR_SIZE) / self.encoding()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() == HDR_SIZE
    }

    /// Size in bytes, header included.
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated, for memory accounting.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives back the spare capacity growth left (Redis reallocates an intset to its exact
    /// size on every change; callers do it once per command instead). A fresh exact-size
    /// buffer rather than `Vec::shrink_to_fit`: glibc cannot split a small chunk in place,
    /// so shrinking 32 bytes of capacity to 18 would keep the 48-byte chunk.
    pub fn shrink_to_fit(&mut self) {
        if self.buf.capacity() > self.buf.len() {
            self.buf = self.buf.as_slice().to_vec();
        }
    }

    #[inline]
    fn body(&self) -> &[u8] {
        &self.buf[HDR_SIZE..]
    }

    /// `intsetSearch`: `Ok(index)` if present, else `Err(insertion index)`.
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        if len == 0 {
            return Err(0);
        }
        let enc = self.encoding();
        let body = self.body();
        // Appending in order (the common bulk-load case) is found at once.
        if v > read(body, enc, len - 1) {
            return Err(len);
        }
        if v < read(body, enc, 0) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = read(body, enc, mid);
            if m < v {
                lo = mid + 1;
            } else if m > v {
                hi = mid;
            } else {
                return Ok(mid);
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    #[inline]
    fn set_len(&mut self, len: usize) {
        // An intset of 4 billion entries would be 8 GiB; sets convert to a
        // hash table after `set-max-intset-entries` (at most 2^30 in Redis).
        let l = u32::try_from(len).unwrap_or(u32::MAX);
        self.buf[4..8].copy_from_slice(&l.to_le_bytes());
    }

    /// Adds `v`; false if it was already there. One memmove, or one pass
    /// widening every entry when `v` needs a larger encoding.
    pub fn insert(&mut self, v: i64) -> bool {
        let enc = self.encoding();
        let venc = value_encoding(v);
        if venc > enc {
            self.upgrade_and_add(venc, v);
            return true;
        }
        let Err(i) = self.search(v) else { return false };
        let len = self.len();
        let old = self.buf.len();
        self.buf.resize(old + enc, 0);
        let at = HDR_SIZE + i * enc;
        self.buf.copy_within(at..old, at + enc);
        write(&mut self.buf[HDR_SIZE..], enc, i, v);
        self.set_len(len + 1);
        true
    }

    /// `intsetUpgradeAndAdd`: `v` is wider than every current value, so it
    /// goes first (negative) or last (positive). Values are moved back to
    /// front so that none is overwritten before it is read.
    fn upgrade_and_add(&mut self, venc: usize, v: i64) {
        let enc = self.encoding();
        let len = self.len();
        let prepend = usize::from(v < 0);
        self.buf.resize(HDR_SIZE + (len + 1) * venc, 0);
        let body = &mut self.buf[HDR_SIZE..];
        for i in (0..len).rev() {
            let x = read(body, enc, i);
            write(body, venc, i + prepend, x);
        }
        let at = if prepend == 1 { 0 } else { len };
        write(body, venc, at, v);
        self.buf[0..4].copy_from_slice(&(venc as u32).to_le_bytes());
        self.set_len(len + 1);
    }

    /// Removes `v`; false if it was not there. One memmove.
    pub fn remove(&mut self, v: i64) -> bool {
        let enc = self.encoding();
        if value_encoding(v) > enc {
            return false;
        }
        let Ok(i) = self.search(v) else { return false };
        let len = self.len();
        let at = HDR_SIZE + i * enc;
        let old = self.buf.len();
        self.buf.copy_within(at + enc..old, at);
        self.buf.truncate(old - enc);
        self.set_len(len - 1);
        true
    }

    /// The `i`-th smallest integer.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        (i < self.len()).then(|| read(self.body(), self.encoding(), i))
    }

    /// Smallest and largest values.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The integers in ascending order (either direction).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            body: self.body(),
            enc: self.encoding(),
            front: 0,
            back: self.len(),
        }
    }

    /// A uniformly chosen member (`intsetRandom`), drawing from `rng`.
    pub fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<i64> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        self.get((rng() % len as u64) as usize)
    }
}

/// Iterator over an intset in ascending order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    body: &'a [u8],
    enc: usize,
    front: usize,
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    #[inline]
    fn next(&mut self) -> Option<i64> {
        if self.front >= self.back {
            return None;
        }
        let v = read(self.body, self.enc, self.front);
        self.front += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<i64> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        Some(read(self.body, self.enc, self.back))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a IntSet {
    type Item = i64;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect()
    }

    fn build(v: &[i64]) -> IntSet {
        let mut s = IntSet::new();
        for &x in v {
            s.insert(x);
        }
        s
    }

    // Fixtures: the intsets of real Redis 7.0.15 DUMP payloads (RDB type 11).

    #[test]
    fn matches_redis_bytes() {
        // SADD s 1 2 3
        let a = unhex("0200000003000000010002000300");
        // SADD s2 1 -70000 5 (upgraded to 32 bits)
        let b = unhex("040000000300000090eefeff0100000005000000");
        // SADD s3 1 9000000000 -2 (upgraded to 64 bits)
        let c = unhex("0800000003000000feffffffffffffff0100000000000000001a711802000000");
        assert_eq!(build(&[1, 2, 3]).as_bytes(), a);
        assert_eq!(build(&[1, -70000, 5]).as_bytes(), b);
        assert_eq!(build(&[1, 9_000_000_000, -2]).as_bytes(), c);
        for (bytes, want) in [
            (a, vec![1, 2, 3]),
            (b, vec![-70000, 1, 5]),
            (c, vec![-2, 1, 9_000_000_000]),
        ] {
            let s = IntSet::from_bytes(bytes.clone()).expect("redis intset is valid");
            assert_eq!(s.iter().collect::<Vec<_>>(), want);
            assert_eq!(s.as_bytes(), bytes);
        }
    }

    #[test]
    fn basic_operations() {
        let mut s = IntSet::new();
        assert!(s.is_empty() && s.get(0).is_none() && s.min().is_none());
        assert_eq!(s.random(&mut || 7), None);
        assert!(s.insert(5));
        assert!(!s.insert(5));
        assert!(s.insert(-3));
        assert!(s.insert(40_000));
        assert_eq!(s.encoding(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.encoding(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, -3, 5, 40_000]);
        assert_eq!(
            s.iter().rev().collect::<Vec<_>>(),
            [40_000, 5, -3, i64::MIN]
        );
        assert!(s.contains(-3) && !s.contains(4) && s.contains(i64::MIN));
        assert!(s.remove(i64::MIN));
        assert!(!s.remove(i64::MAX));
        // Never downgrades.
        assert_eq!(s.encoding(), 8);
        assert_eq!((s.min(), s.max(), s.len()), (Some(-3), Some(40_000), 3));
        assert_eq!(s.random(&mut || 4), Some(5));
        let mut small = IntSet::new();
        assert!(!small.contains(1 << 40) && !small.remove(1 << 40));
    }

    #[test]
    fn from_bytes_rejects_invalid() {
        let ok = unhex("0200000003000000010002000300");
        assert!(IntSet::from_bytes(ok.clone()).is_some());
        let bad = [
            unhex(""),
            unhex("02000000"),
            unhex("0200000000000000"),           // empty: Redis rejects it
            unhex("0300000001000000010002"),     // bad encoding
            unhex("02000000030000000100020003"), // short
            unhex("020000000300000001000200030000"), // long
            unhex("0200000003000000010003000200"), // unsorted
            unhex("0200000003000000010002000200"), // duplicate
            unhex("02000000ffffffff0100"),       // huge length
            unhex("0200000100010000010002000300"), // encoding with high bytes
        ];
        for b in bad {
            assert!(IntSet::from_bytes(b.clone()).is_none(), "{b:02x?}");
        }
    }

    /// xorshift64*: deterministic and dependency-free.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn check(s: &IntSet, model: &std::collections::BTreeSet<i64>, widest: usize) {
        let want: Vec<i64> = model.iter().copied().collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), want);
        assert_eq!(
            s.iter().rev().collect::<Vec<_>>(),
            want.iter().rev().copied().collect::<Vec<_>>()
        );
        assert_eq!(s.len(), want.len());
        assert_eq!(s.encoding(), widest);
        let b = s.as_bytes();
        assert_eq!(
            u32::from_le_bytes(b[0..4].try_into().unwrap()) as usize,
            widest
        );
        assert_eq!(
            u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize,
            want.len()
        );
        assert_eq!(b.len(), 8 + widest * want.len());
        for (i, v) in want.iter().enumerate() {
            assert_eq!(s.get(i), Some(*v));
            assert_eq!(s.search(*v), Ok(i));
        }
        assert_eq!(s.get(want.len()), None);
        assert_eq!(
            (s.min(), s.max()),
            (want.first().copied(), want.last().copied())
        );
        if want.is_empty() {
            assert!(IntSet::from_bytes(b.to_vec()).is_none());
        } else {
            assert_eq!(IntSet::from_bytes(b.to_vec()).as_ref(), Some(s));
        }
    }

    #[test]
    fn model_based_random_operations() {
        for seed in 1..=16u64 {
            let mut r = Rng::new(seed);
            let mut s = IntSet::new();
            let mut model = std::collections::BTreeSet::new();
            let mut widest = 2;
            for step in 0..2000 {
                // Mostly a small range, so removes and duplicates hit; now and
                // then a wide value to force upgrades at different moments.
                let v = match r.below(40) {
                    0 => (r.next() as i64) >> 20,
                    1 => r.next() as i64,
                    2 => [
                        i64::MIN,
                        i64::MAX,
                        i16::MIN as i64,
                        i16::MAX as i64 + 1,
                        i32::MIN as i64 - 1,
                    ][r.below(5)],
                    _ => r.below(200) as i64 - 100,
                };
                match r.below(4) {
                    0 | 1 => {
                        assert_eq!(s.insert(v), model.insert(v), "seed {seed} step {step}");
                        widest = widest.max(value_encoding(v));
                    }
                    2 => assert_eq!(s.remove(v), model.remove(&v)),
                    _ => assert_eq!(s.contains(v), model.contains(&v)),
                }
                if let Some(x) = s.random(&mut || r.next()) {
                    assert!(model.contains(&x));
                }
                if step % 64 == 0 {
                    check(&s, &model, widest);
                }
            }
            check(&s, &model, widest);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut r = Rng::new(5);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let enc = [2usize, 4, 8, 3, 0][r.below(5)];
            let n = r.below(6);
            let mut b = vec![0u8; 8 + enc * n + usize::from(r.below(8) == 0)];
            for x in b.iter_mut() {
                *x = r.next() as u8;
            }
            if r.below(4) != 0 {
                b[0..4].copy_from_slice(&(enc as u32).to_le_bytes());
                b[4..8].copy_from_slice(&(n as u32).to_le_bytes());
            }
            if r.below(3) == 0 && enc == 2 {
                // Sorted small values, so that some are accepted.
                let mut v: Vec<i16> = (0..n).map(|_| r.next() as i16).collect();
                v.sort();
                for (i, x) in v.iter().enumerate() {
                    b[8 + 2 * i..10 + 2 * i].copy_from_slice(&x.to_le_bytes());
                }
            }
            if let Some(mut s) = IntSet::from_bytes(b) {
                accepted += 1;
                let v: Vec<i64> = s.iter().collect();
                assert!(v.windows(2).all(|w| w[0] < w[1]));
                s.insert(1 << 40);
                s.remove(v[0]);
                assert!(IntSet::from_bytes(s.into_bytes()).is_some());
            }
        }
        assert!(accepted > 100, "{accepted}");
    }
}
