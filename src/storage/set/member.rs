//! [`Member`]: the bytes of one member of a hash-table-encoded set, in 16 bytes.
//!
//! A member of up to [`INLINE_MAX`] bytes (most set members: ids, short names, numbers
//! too long for an intset) is stored inside the struct itself; a longer one owns a heap
//! buffer, like a `Box<[u8]>`. The table node holding a member is then a single 24-byte
//! allocation (member + chain link) instead of a node plus a separate buffer for the
//! bytes, which saves one allocation (32 bytes with glibc's malloc) per short member.
//!
//! # Layout
//! 16 bytes, 8-aligned, read as `[u8; 16]`:
//! - inline: bytes `0..len` are the member, byte 15 is `INLINE_TAG | len`;
//! - heap: bytes `0..8` are the buffer's address (native order, provenance exposed), bytes
//!   `8..16` the length as a little-endian u64. A length is below 2^56 (no allocation
//!   comes near it), so byte 15 is 0, which is how the two forms are told apart.
//!
//! Hashing and equality are those of the bytes, so a `Dict<Member, ()>` is searched with a
//! plain `&[u8]` (`Borrow<[u8]>`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ptr;

/// Longest member stored inline.
pub const INLINE_MAX: usize = 15;
const INLINE_TAG: u8 = 0x80;
const TAG_BYTE: usize = 15;

#[repr(C, align(8))]
pub struct Member {
    raw: [u8; 16],
}

// SAFETY: a `Member` owns its heap buffer exclusively (as a `Box<[u8]>` would) and has no
// interior mutability, so moving it to or sharing it with another thread is sound.
unsafe impl Send for Member {}
// SAFETY: as above; `&Member` only gives out `&[u8]`.
unsafe impl Sync for Member {}

impl Member {
    pub fn new(bytes: &[u8]) -> Member {
        let mut raw = [0u8; 16];
        if bytes.len() <= INLINE_MAX {
            raw[..bytes.len()].copy_from_slice(bytes);
            raw[TAG_BYTE] = INLINE_TAG | bytes.len() as u8;
            return Member { raw };
        }
        let boxed: Box<[u8]> = bytes.into();
        let len = boxed.len();
        let addr = Box::into_raw(boxed).cast::<u8>().expose_provenance();
        raw[..8].copy_from_slice(&(addr as u64).to_ne_bytes());
        raw[8..].copy_from_slice(&(len as u64).to_le_bytes());
        debug_assert_eq!(raw[TAG_BYTE], 0, "a buffer of 2^56 bytes cannot exist");
        Member { raw }
    }

    fn is_inline(&self) -> bool {
        self.raw[TAG_BYTE] & INLINE_TAG != 0
    }

    /// (address, length) of the heap buffer; only meaningful when not inline.
    fn heap_parts(&self) -> (*mut u8, usize) {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.raw[..8]);
        let mut l = [0u8; 8];
        l.copy_from_slice(&self.raw[8..]);
        let addr = u64::from_ne_bytes(a) as usize;
        (
            ptr::with_exposed_provenance_mut(addr),
            u64::from_le_bytes(l) as usize,
        )
    }

    pub fn as_bytes(&self) -> &[u8] {
        if self.is_inline() {
            let len = (self.raw[TAG_BYTE] & !INLINE_TAG) as usize;
            return &self.raw[..len];
        }
        let (p, len) = self.heap_parts();
        // SAFETY: a heap member holds the address and length of a live `Box<[u8]>` that
        // it owns (made in `new`, freed only in `drop`); its provenance was exposed there.
        unsafe { std::slice::from_raw_parts(p, len) }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if self.is_inline() {
            return;
        }
        let (p, len) = self.heap_parts();
        // SAFETY: the parts are those of the `Box<[u8]>` leaked in `new`, owned by this
        // member alone and not freed before; rebuilding the box frees it exactly once.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, len)) });
    }
}

impl Clone for Member {
    fn clone(&self) -> Self {
        Member::new(self.as_bytes())
    }
}

impl From<&[u8]> for Member {
    fn from(b: &[u8]) -> Self {
        Member::new(b)
    }
}

impl Borrow<[u8]> for Member {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Member {}

impl Hash for Member {
    /// Exactly as `[u8]` hashes, which `Borrow<[u8]>` requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

const _: () = assert!(std::mem::size_of::<Member>() == 16);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h(b: &[u8]) -> u64 {
        let mut s = DefaultHasher::new();
        b.hash(&mut s);
        s.finish()
    }

    #[test]
    fn round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in [0, 1, 7, 8, 14, 15, 16, 17, 31, 100, 256] {
            let m = Member::new(&data[..len]);
            assert_eq!(m.as_bytes(), &data[..len]);
            assert_eq!(m.len(), len);
            assert_eq!(m.is_inline(), len <= INLINE_MAX);
            let c = m.clone();
            assert_eq!(c, m);
            assert_eq!(h(c.as_bytes()), {
                let mut s = DefaultHasher::new();
                c.hash(&mut s);
                s.finish()
            });
            drop(m);
            assert_eq!(c.as_bytes(), &data[..len]);
        }
    }

    #[test]
    fn inline_bytes_with_high_bits_and_zeros() {
        let b = [0xffu8; 15];
        assert_eq!(Member::new(&b).as_bytes(), &b);
        let z = [0u8; 15];
        assert_eq!(Member::new(&z).as_bytes(), &z);
        assert_ne!(Member::new(b"a"), Member::new(b"a\0"));
    }
}
