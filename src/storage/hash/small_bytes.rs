//! [`SmallBytes`]: an owned byte string in 16 bytes that keeps strings of up to 15 bytes
//! inline, with no allocation of their own.
//!
//! # Why
//! A hashtable-encoded hash holds one dict node per field: key, value and a `next` link.
//! With `Box<[u8]>` for both, an entry of a short field and value costs the node (40 bytes,
//! a 48-byte malloc chunk) plus two heap strings (a 32-byte chunk each, the smallest glibc
//! hands out): about 112 bytes plus the bucket. Most hash fields and many values are short
//! (`name`, `age`, `field:123456`, counters), so keeping up to 15 bytes inside the 16-byte
//! handle makes such an entry a single 48-byte chunk: less than Redis's dictEntry plus two
//! sds strings. Longer strings cost exactly what a `Box<[u8]>` costs (same 16-byte handle,
//! one exact-size allocation).
//!
//! # Representation
//! A `#[repr(C)]` union of 16 bytes whose last byte (offset 15) is the tag:
//! - `0..=15`: inline; the tag is the length and bytes `0..len` are the string (the rest
//!   zero, so that byte 15 is always initialised).
//! - [`HEAP_TAG`]: heap; the first field is the pointer of a leaked `Box<[u8]>`, the second
//!   its length with the tag in its most significant byte, stored little-endian so the tag
//!   lands at offset 15 on any target. Lengths are below 2^56 (a request's argument is at
//!   most 512 MB), so the tag never collides with a length bit.
//!
//! Hash and equality are those of the `[u8]` it holds, so a table keyed by `SmallBytes`
//! is looked up with a plain `&[u8]` (`Borrow<[u8]>`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::ptr;

/// Longest string kept inline.
pub const INLINE_CAP: usize = 15;
/// Tag byte of a heap string.
const HEAP_TAG: u8 = 0xFF;
const TAG_SHIFT: u32 = 56;

#[repr(C)]
#[derive(Clone, Copy)]
struct Heap {
    ptr: *mut u8,
    /// `(len | HEAP_TAG << 56).to_le()`.
    len_tag: u64,
}

#[repr(C)]
union Repr {
    inline: [u8; 16],
    heap: Heap,
}

/// An owned byte string; see the module documentation.
pub struct SmallBytes(Repr);

// SAFETY: a `SmallBytes` owns its heap buffer exclusively (like `Box<[u8]>`, which is Send
// and Sync); it is never shared or aliased, and `&SmallBytes` only gives out `&[u8]`.
unsafe impl Send for SmallBytes {}
// SAFETY: as above: shared references allow only reads of immutable bytes.
unsafe impl Sync for SmallBytes {}

impl SmallBytes {
    pub fn new(bytes: &[u8]) -> SmallBytes {
        if bytes.len() <= INLINE_CAP {
            let mut inline = [0u8; 16];
            inline[..bytes.len()].copy_from_slice(bytes);
            inline[15] = bytes.len() as u8;
            return SmallBytes(Repr { inline });
        }
        Self::from_box(bytes.into())
    }

    /// Takes a vector without copying when it must live on the heap anyway (after
    /// shrinking it to its length, as `Box<[u8]>` does).
    pub fn from_vec(v: Vec<u8>) -> SmallBytes {
        if v.len() <= INLINE_CAP {
            Self::new(&v)
        } else {
            Self::from_box(v.into_boxed_slice())
        }
    }

    fn from_box(b: Box<[u8]>) -> SmallBytes {
        let len = b.len() as u64;
        debug_assert!(len >> TAG_SHIFT == 0 && b.len() > INLINE_CAP);
        let ptr = Box::into_raw(b).cast::<u8>();
        let len_tag = (len | (HEAP_TAG as u64) << TAG_SHIFT).to_le();
        SmallBytes(Repr {
            heap: Heap { ptr, len_tag },
        })
    }

    fn tag(&self) -> u8 {
        // SAFETY: byte 15 is initialised in both forms: the inline array is written whole,
        // and in the heap form it is the top byte of `len_tag` (offset 8..16 in a
        // `#[repr(C)]` struct whose pointer field is at most 8 bytes).
        unsafe { *ptr::from_ref(self).cast::<u8>().add(15) }
    }

    fn is_heap(&self) -> bool {
        self.tag() == HEAP_TAG
    }

    pub fn len(&self) -> usize {
        if self.is_heap() {
            // SAFETY: the tag says the heap form was written.
            let lt = u64::from_le(unsafe { self.0.heap.len_tag });
            (lt & ((1u64 << TAG_SHIFT) - 1)) as usize
        } else {
            self.tag() as usize
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        if self.is_heap() {
            // SAFETY: the tag says the heap form was written; `ptr` and the length come
            // from a live `Box<[u8]>` that this value owns until it is dropped.
            unsafe { std::slice::from_raw_parts(self.0.heap.ptr, self.len()) }
        } else {
            // SAFETY: the inline form was written (the tag is a length <= 15).
            let inline = unsafe { &self.0.inline };
            &inline[..self.tag() as usize]
        }
    }

    /// Whether this string needs a heap allocation of its own.
    pub fn spilled(&self) -> bool {
        self.is_heap()
    }
}

impl Drop for SmallBytes {
    fn drop(&mut self) {
        if self.is_heap() {
            let len = self.len();
            // SAFETY: the heap form owns a `Box<[u8]>` of exactly `len` bytes at `ptr`,
            // created by `from_box`; it is freed once, here.
            unsafe {
                drop(Box::from_raw(ptr::slice_from_raw_parts_mut(
                    self.0.heap.ptr,
                    len,
                )));
            }
        }
    }
}

impl Clone for SmallBytes {
    fn clone(&self) -> Self {
        SmallBytes::new(self.as_bytes())
    }
}

impl Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SmallBytes {}

impl Hash for SmallBytes {
    /// Exactly `[u8]`'s hash, as `Borrow<[u8]>` requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> Self {
        SmallBytes::new(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn h<T: Hash + ?Sized>(t: &T) -> u64 {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    }

    #[test]
    fn sixteen_bytes() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 16);
    }

    #[test]
    fn round_trips_every_length_around_the_boundary() {
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 255) as u8).collect();
            let s = SmallBytes::new(&data);
            assert_eq!(s.as_bytes(), &data[..]);
            assert_eq!(s.len(), len);
            assert_eq!(s.spilled(), len > INLINE_CAP);
            let c = s.clone();
            assert_eq!(c, s);
            assert_eq!(h(&c), h(&data[..]));
            let v = SmallBytes::from_vec(data.clone());
            assert_eq!(&*v, &data[..]);
        }
    }

    #[test]
    fn bytes_that_look_like_tags_are_data() {
        // A 15-byte inline string whose bytes are all 0xFF must not read as heap.
        let s = SmallBytes::new(&[0xFF; 15]);
        assert!(!s.spilled());
        assert_eq!(&*s, &[0xFF; 15]);
        let e = SmallBytes::new(b"");
        assert!(e.is_empty());
        let big = SmallBytes::new(&[0u8; 100_000]);
        assert_eq!(big.len(), 100_000);
    }

    #[test]
    fn lookups_by_slice_in_a_dict() {
        let mut d: crate::storage::dict::Dict<SmallBytes, SmallBytes> = Default::default();
        for i in 0..1000u32 {
            let k = format!("field:{i}").repeat((i % 4) as usize + 1);
            d.insert(
                SmallBytes::new(k.as_bytes()),
                SmallBytes::new(&i.to_le_bytes()),
            );
        }
        for i in 0..1000u32 {
            let k = format!("field:{i}").repeat((i % 4) as usize + 1);
            assert_eq!(&**d.get(k.as_bytes()).unwrap(), &i.to_le_bytes());
        }
        assert!(d.get(&b"nope"[..]).is_none());
    }
}
