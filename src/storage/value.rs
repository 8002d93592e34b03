//! A stored value and its encoding.
//!
//! Strings report Redis's three encodings because `OBJECT ENCODING` exposes them and clients
//! (and Redis's own test suite) check them: `int` for integers in canonical form, `embstr`
//! for short strings created whole, `raw` for strings that were modified in place (APPEND,
//! SETRANGE) or are long.
//!
//! A [`Value`] is 16 bytes, which is what lets a keyspace node with a 16-byte key fit a
//! 48-byte block (`keytable.rs`): integers are stored as `i64`, strings of up to 14 bytes
//! inside the value, longer strings set whole in one exact-size block (Redis uses a
//! 16-byte `robj` plus an `sds` block), and strings edited in place in a boxed `Vec`.
//! Collections are boxed. A test pins the size.

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;
use crate::alloc::usable_size;
use crate::util::numbers::{fmt_i64, parse_i64};

/// Longest string Redis stores as `embstr`.
pub const EMBSTR_MAX: usize = 44;

/// A value of any type. Collections are boxed so that every entry of the keyspace stays
/// small (a string is the common case).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Str),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// Redis's name of the type, as TYPE replies it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// Redis's name of the encoding, as OBJECT ENCODING replies it.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(l) => l.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
            Value::Stream(_) => "stream",
        }
    }

    pub fn string(bytes: &[u8]) -> Value {
        Value::Str(Str::from_bytes(bytes))
    }

    /// Heap bytes the value holds beyond its own 16 bytes (MEMORY USAGE): the boxed
    /// collection plus what each type reports (a stream counts its node listpacks only).
    pub fn heap_bytes(&self) -> usize {
        fn boxed<T>(_: &T) -> usize {
            usable_size(std::mem::size_of::<T>())
        }
        match self {
            Value::Str(s) => s.heap_bytes(),
            Value::Set(s) => boxed(&**s) + s.heap_bytes(),
            Value::List(l) => boxed(&**l) + l.heap_bytes(),
            Value::Hash(h) => boxed(&**h) + h.heap_bytes(),
            Value::ZSet(z) => boxed(&**z) + z.heap_bytes(),
            Value::Stream(x) => boxed(&**x) + x.nodes_bytes(),
        }
    }
}

/// A string value. Variants are internal representations; [`Str::encoding_name`] maps them
/// to the names Redis shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Str {
    /// An integer in canonical form (`int`).
    Int(i64),
    /// A string created whole (SET, MSET, most results): up to 14 bytes inside the value
    /// itself, longer ones in one exact-size block. Redis calls it `embstr` up to 44 bytes
    /// and `raw` above; the name follows the length, the representation does not.
    Emb(EmbStr),
    /// A string modified in place (APPEND, SETRANGE, SETBIT, HLL): a growable buffer,
    /// boxed so that every value stays 16 bytes (`raw`).
    Raw(Box<Vec<u8>>),
}

impl Str {
    /// The encoding Redis would pick for a string set whole (SET, MSET...).
    pub fn from_bytes(bytes: &[u8]) -> Str {
        if bytes.len() <= 20
            && let Some(n) = parse_i64(bytes)
        {
            return Str::Int(n);
        }
        Str::Emb(EmbStr::from_slice(bytes))
    }

    /// Like [`Str::from_bytes`], reusing the vector's buffer when it can.
    pub fn from_vec(bytes: Vec<u8>) -> Str {
        if bytes.len() <= 20 {
            return Str::from_bytes(&bytes);
        }
        Str::Emb(EmbStr::from_vec(bytes))
    }

    /// Redis's name of the encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Emb(e) if e.len() <= EMBSTR_MAX => "embstr",
            Str::Emb(_) | Str::Raw(_) => "raw",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => int_len(*n),
            Str::Emb(b) => b.len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes, formatting an integer into `scratch` when needed.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        match self {
            Str::Int(n) => {
                scratch.clear();
                fmt_i64(*n, scratch);
                scratch
            }
            Str::Emb(b) => b,
            Str::Raw(v) => v,
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut scratch = Vec::new();
        self.as_bytes(&mut scratch).to_vec()
    }

    /// The value as an integer, if it is one in Redis's strict sense.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Str::Int(n) => Some(*n),
            Str::Emb(b) if b.len() <= 20 => parse_i64(b),
            Str::Raw(v) if v.len() <= 20 => parse_i64(v),
            Str::Emb(_) | Str::Raw(_) => None,
        }
    }

    /// Mutable access to the bytes for in-place edits; the value becomes `raw` as in Redis.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            *self = Str::Raw(Box::new(self.to_vec()));
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("just converted to raw"),
        }
    }

    /// Heap bytes the string holds beyond the value itself (allocator size classes).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Str::Int(_) => 0,
            Str::Emb(e) => e.heap_bytes(),
            Str::Raw(v) => usable_size(std::mem::size_of::<Vec<u8>>()) + usable_size(v.capacity()),
        }
    }
}

/// Bytes of a string held inside an [`EmbStr`] itself.
pub const INLINE_MAX: usize = 14;
/// `EmbStr::tag` of a heap string: `buf[..8]` is the block's address, `buf[8..14]` its
/// length (48 bits).
const HEAP_TAG: u8 = u8::MAX;

/// An immutable string in 15 bytes (so that [`Str`] and [`Value`] are 16): up to
/// [`INLINE_MAX`] bytes inline, else an owned `Box<[u8]>` split into its address and a
/// 48-bit length. Bytes, not a pointer field, hold the address so that the type has
/// alignment 1 and fits beside the enum tags.
pub struct EmbStr {
    /// The length when inline (0..=14), or [`HEAP_TAG`].
    tag: u8,
    buf: [u8; INLINE_MAX],
}

impl EmbStr {
    pub fn from_slice(b: &[u8]) -> EmbStr {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            return EmbStr {
                tag: b.len() as u8,
                buf,
            };
        }
        Self::from_box(b.into())
    }

    /// Takes over the vector's buffer (trimmed to its length) when the string is long.
    pub fn from_vec(v: Vec<u8>) -> EmbStr {
        if v.len() <= INLINE_MAX {
            return Self::from_slice(&v);
        }
        Self::from_box(v.into_boxed_slice())
    }

    fn from_box(b: Box<[u8]>) -> EmbStr {
        // A slice is at most isize::MAX bytes; on the 64-bit targets user space is 47 or
        // 48 bits, so 48 bits of length hold any slice that can exist.
        let len = (b.len() as u64).to_ne_bytes();
        let addr = Box::into_raw(b).cast::<u8>().expose_provenance() as u64;
        let mut buf = [0u8; INLINE_MAX];
        buf[..8].copy_from_slice(&addr.to_ne_bytes());
        if cfg!(target_endian = "little") {
            buf[8..14].copy_from_slice(&len[..6]);
        } else {
            buf[8..14].copy_from_slice(&len[2..]);
        }
        EmbStr { tag: HEAP_TAG, buf }
    }

    fn heap_parts(&self) -> (*mut u8, usize) {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.buf[..8]);
        let mut l = [0u8; 8];
        if cfg!(target_endian = "little") {
            l[..6].copy_from_slice(&self.buf[8..14]);
        } else {
            l[2..].copy_from_slice(&self.buf[8..14]);
        }
        let addr = u64::from_ne_bytes(a) as usize;
        (
            std::ptr::with_exposed_provenance_mut(addr),
            u64::from_ne_bytes(l) as usize,
        )
    }

    pub fn as_slice(&self) -> &[u8] {
        if self.tag == HEAP_TAG {
            let (p, len) = self.heap_parts();
            // SAFETY: a heap EmbStr owns the `Box<[u8]>` of `len` bytes at `p` (from_box),
            // released only by drop; the slice borrows self.
            unsafe { std::slice::from_raw_parts(p, len) }
        } else {
            &self.buf[..self.tag as usize]
        }
    }

    pub fn heap_bytes(&self) -> usize {
        if self.tag == HEAP_TAG {
            usable_size(self.heap_parts().1)
        } else {
            0
        }
    }
}

impl Drop for EmbStr {
    fn drop(&mut self) {
        if self.tag == HEAP_TAG {
            let (p, len) = self.heap_parts();
            // SAFETY: rebuilds the Box<[u8]> that from_box took apart, exactly once.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, len)) });
        }
    }
}

impl Clone for EmbStr {
    fn clone(&self) -> Self {
        if self.tag == HEAP_TAG {
            Self::from_box(self.as_slice().into())
        } else {
            EmbStr {
                tag: self.tag,
                buf: self.buf,
            }
        }
    }
}

impl std::ops::Deref for EmbStr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for EmbStr {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for EmbStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for EmbStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmbStr({:?})", String::from_utf8_lossy(self.as_slice()))
    }
}

impl From<&[u8]> for EmbStr {
    fn from(b: &[u8]) -> Self {
        Self::from_slice(b)
    }
}

fn int_len(n: i64) -> usize {
    let mut len = if n < 0 { 2 } else { 1 };
    let mut v = n.unsigned_abs();
    while v >= 10 {
        v /= 10;
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(Value::string(b"123").encoding_name(), "int");
        assert_eq!(Value::string(b"0123").encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 44]).encoding_name(), "embstr");
        assert_eq!(Value::string(&[b'a'; 45]).encoding_name(), "raw");
        assert_eq!(Str::Int(-120).len(), 4);
        assert_eq!(Str::Int(i64::MIN).len(), 20);
        assert_eq!(Str::Int(0).len(), 1);
        assert_eq!(Value::string(&[b'a'; 100]).encoding_name(), "raw");
        let mut s = Str::from_bytes(b"ab");
        s.make_raw().push(b'c');
        assert_eq!(s.encoding_name(), "raw");
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn a_value_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Str>(), 16);
    }

    #[test]
    fn emb_strings_inline_and_on_the_heap() {
        for len in [0, 1, 13, 14, 15, 44, 45, 100, 70_000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let a = EmbStr::from_slice(&bytes);
            let b = EmbStr::from_vec(bytes.clone());
            assert_eq!(a.as_slice(), &bytes[..]);
            assert_eq!(b.as_slice(), &bytes[..]);
            let c = a.clone();
            drop(a);
            assert_eq!(&*c, &bytes[..]);
            assert!(c == b);
            assert_eq!(c.heap_bytes() == 0, len <= INLINE_MAX);
            let s = Str::from_vec(bytes.clone());
            assert_eq!(s.to_vec(), bytes);
        }
    }
}
