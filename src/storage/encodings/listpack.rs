//! The listpack: Redis 7.0's compact sequence of strings and integers, byte
//! for byte (`listpack.c`), so RDB persistence and DUMP/RESTORE can write and
//! read it verbatim. Small lists, hashes (field, value, field, value...) and
//! sorted sets (member, score, ...) live in one.
//!
//! # Layout
//! ```text
//! <total bytes: u32 LE> <count: u16 LE> <entry> ... <entry> <0xFF>
//! entry = <encoding + data> <backlen>
//! ```
//! The count is 65535 ("unknown, walk to count") once there are that many
//! entries. Encodings (first byte):
//!
//! | first byte  | meaning                                        | size    |
//! |-------------|------------------------------------------------|---------|
//! | `0xxxxxxx`  | integer 0..=127                                 | 1       |
//! | `10llllll`  | string of up to 63 bytes follows                | 1 + len |
//! | `110xxxxx`  | 13-bit signed integer (with the next byte)      | 2       |
//! | `1110llll`  | string of up to 4095 bytes (length: 12 bits)    | 2 + len |
//! | `0xF0`      | string, u32 LE length follows                   | 5 + len |
//! | `0xF1..F4`  | 16, 24, 32, 64-bit signed LE integer            | 3,4,5,9 |
//! | `0xFF`      | end of listpack                                 | 1       |
//!
//! `backlen` is the size of `<encoding + data>` written so that it can be
//! read right to left (7 bits per byte, the high bit set on every byte but
//! the leftmost), which is what makes walking backwards possible.
//!
//! # Invariants
//! - `buf` is always a complete, valid listpack: the header's total is
//!   `buf.len()`, its count is `min(count, 65535)`, the last byte is 0xFF.
//!   [`Listpack::from_bytes`] checks all of it for untrusted input, so every
//!   other method may decode without bounds-checking the format again.
//! - `count` caches the number of entries (the header cannot hold it past
//!   65534). Redis leaves 65535 in the header after deletions bring the
//!   count back below it, until its next `lpLength` walk stores the real
//!   count; we store the real count at once. Both are valid listpacks, and
//!   the case needs a listpack of 65535+ entries, far beyond the
//!   `*-max-listpack-*` defaults.
//! - As `lpAppend` does, a string that parses as an `i64` under `string2ll`'s
//!   rules ([`parse_i64`]) is stored as an integer: reading it back gives
//!   [`LpEntry::Int`], whose decimal text is the original string.
//! - A position is the byte offset of an entry (at least 6); it stays valid
//!   until the next mutation. Passing anything else is a bug in the caller
//!   (it may panic by indexing, never corrupt memory).

use crate::util::numbers::{fmt_i64, parse_i64};
use std::iter::FusedIterator;

/// Size of the header: total bytes (u32) and entry count (u16).
pub const HDR_SIZE: usize = 6;
/// The terminator byte.
const EOF: u8 = 0xFF;
/// Header count meaning "too many to store here: walk the entries".
const NUMELE_UNKNOWN: usize = 65535;

/// One entry read from a listpack. Strings that look like integers were stored
/// as integers, so callers compare with [`LpEntry::eq_bytes`], not by variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpEntry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl LpEntry<'_> {
    /// The entry's bytes (an integer as its decimal text).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.append_to(&mut v);
        v
    }

    /// Whether the entry equals the string `b`. An integer entry equals only
    /// its canonical decimal text, which is exactly what `parse_i64` accepts.
    pub fn eq_bytes(&self, b: &[u8]) -> bool {
        match *self {
            LpEntry::Str(s) => s == b,
            LpEntry::Int(i) => parse_i64(b) == Some(i),
        }
    }

    /// Appends the entry's bytes to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        match *self {
            LpEntry::Str(s) => out.extend_from_slice(s),
            LpEntry::Int(i) => fmt_i64(i, out),
        }
    }

    /// Calls `f` with the entry's bytes, formatting an integer on the stack.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match *self {
            LpEntry::Str(s) => f(s),
            LpEntry::Int(i) => f(IntText::new(i).as_slice()),
        }
    }

    /// The entry as an integer: an integer entry, or a string entry that
    /// parses as one (only possible in listpacks loaded from outside).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            LpEntry::Int(i) => Some(i),
            LpEntry::Str(s) => parse_i64(s),
        }
    }
}

/// The decimal text of an i64 in a stack buffer.
struct IntText {
    buf: [u8; 20],
    start: usize,
}

impl IntText {
    fn new(v: i64) -> Self {
        let mut buf = [0u8; 20];
        let mut n = v.unsigned_abs();
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            i -= 1;
            buf[i] = b'-';
        }
        IntText { buf, start: i }
    }
    fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// An entry encoded for writing: encoding header, payload, backlen. Built on
/// the stack so inserting allocates nothing but the listpack's own growth.
struct Encoded<'a> {
    head: [u8; 9],
    head_len: usize,
    data: &'a [u8],
    back: [u8; 5],
    back_len: usize,
}

impl<'a> Encoded<'a> {
    /// `lpEncodeGetType` + `lpEncodeBacklen`: integers if `v` parses as one.
    #[inline]
    fn new(v: &'a [u8]) -> Self {
        // No integer text is longer than 20 bytes ("-9223372036854775808").
        match (v.len() <= 20).then(|| parse_i64(v)).flatten() {
            Some(i) => Encoded::int(i),
            None => Encoded::string(v),
        }
    }

    fn int(v: i64) -> Self {
        let mut head = [0u8; 9];
        let head_len = if (0..=127).contains(&v) {
            head[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            // 13-bit two's complement, high 5 bits in the first byte.
            let u = (v as u64) & 0x1FFF;
            head[0] = 0xC0 | (u >> 8) as u8;
            head[1] = u as u8;
            2
        } else if i16::try_from(v).is_ok() {
            head[0] = 0xF1;
            head[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-8_388_608..=8_388_607).contains(&v) {
            head[0] = 0xF2;
            head[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if i32::try_from(v).is_ok() {
            head[0] = 0xF3;
            head[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            head[0] = 0xF4;
            head[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        Self::finish(head, head_len, &[])
    }

    fn string(s: &'a [u8]) -> Self {
        let mut head = [0u8; 9];
        let len = s.len();
        let head_len = if len < 64 {
            head[0] = 0x80 | len as u8;
            1
        } else if len < 4096 {
            head[0] = 0xE0 | (len >> 8) as u8;
            head[1] = len as u8;
            2
        } else {
            head[0] = 0xF0;
            // Strings past 4 GiB cannot be represented; callers convert to
            // the large encoding far earlier (values are capped at 512 MiB).
            head[1..5].copy_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
            5
        };
        Self::finish(head, head_len, s)
    }

    fn finish(head: [u8; 9], head_len: usize, data: &'a [u8]) -> Self {
        let mut back = [0u8; 5];
        let back_len = encode_backlen(head_len + data.len(), &mut back);
        Encoded {
            head,
            head_len,
            data,
            back,
            back_len,
        }
    }

    #[inline]
    fn total(&self) -> usize {
        self.head_len + self.data.len() + self.back_len
    }

    /// Writes the entry into `dst`, which is exactly `total()` bytes.
    #[inline]
    fn write(&self, dst: &mut [u8]) {
        let (h, rest) = dst.split_at_mut(self.head_len);
        h.copy_from_slice(&self.head[..self.head_len]);
        let (d, b) = rest.split_at_mut(self.data.len());
        d.copy_from_slice(self.data);
        b.copy_from_slice(&self.back[..self.back_len]);
    }
}

/// Number of bytes `lpEncodeBacklen` uses for an entry of `l` bytes. The
/// bounds are Redis's, off-by-one included (16383 takes three bytes).
#[inline]
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// `lpEncodeBacklen`: big-endian groups of 7 bits, the high bit set on all
/// but the first byte, so a reader going leftwards knows when to stop.
fn encode_backlen(l: usize, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(l);
    for (i, b) in out[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        let bits = ((l >> shift) & 127) as u8;
        *b = if i == 0 { bits } else { bits | 128 };
    }
    n
}

/// `lpDecodeBacklen` on a valid listpack: `end` is the backlen's last byte.
/// Returns (entry length without backlen, backlen size).
#[inline]
fn decode_backlen(b: &[u8], end: usize) -> (usize, usize) {
    let mut val = 0usize;
    let mut i = 0;
    loop {
        let c = b[end - i];
        val |= ((c & 127) as usize) << (7 * i);
        i += 1;
        if c & 128 == 0 || i == 5 {
            return (val, i);
        }
    }
}

/// Length of an entry's encoding + data, read from its first bytes. Only for
/// validated listpacks (the encoding byte is known to be a valid one).
#[inline]
fn encoded_len(b: &[u8], p: usize) -> usize {
    let c = b[p];
    if c < 0x80 {
        1
    } else if c < 0xC0 {
        1 + (c & 0x3F) as usize
    } else if c < 0xE0 {
        2
    } else if c < 0xF0 {
        2 + ((((c & 0x0F) as usize) << 8) | b[p + 1] as usize)
    } else {
        match c {
            0xF0 => 5 + u32::from_le_bytes([b[p + 1], b[p + 2], b[p + 3], b[p + 4]]) as usize,
            0xF1 => 3,
            0xF2 => 4,
            0xF3 => 5,
            _ => 9,
        }
    }
}

/// Size of the whole entry at `p`, backlen included.
#[inline]
fn entry_size(b: &[u8], p: usize) -> usize {
    let l = encoded_len(b, p);
    l + backlen_size(l)
}

/// [`encoded_len`] for untrusted bytes: `None` for an invalid encoding byte
/// or an entry running into `limit` (the terminator's offset).
fn checked_encoded_len(b: &[u8], p: usize, limit: usize) -> Option<usize> {
    let c = *b.get(p)?;
    let header = match c {
        0x00..=0xBF => 1,
        0xC0..=0xEF => 2,
        0xF0 => 5,
        0xF1..=0xF4 => 1,
        _ => return None,
    };
    // The encoding's own bytes must be in bounds before we read the length.
    if p.checked_add(header)? > limit {
        return None;
    }
    let len = match c {
        0xF0 => usize::try_from(u32::from_le_bytes([b[p + 1], b[p + 2], b[p + 3], b[p + 4]]))
            .ok()?
            .checked_add(5)?,
        _ => encoded_len(b, p),
    };
    (p.checked_add(len)? <= limit).then_some(len)
}

/// Decodes the entry at `p` of a valid listpack.
#[inline]
fn decode(b: &[u8], p: usize) -> LpEntry<'_> {
    decode_sized(b, p).0
}

/// Decodes the entry at `p` of a valid listpack and returns the size of the
/// whole entry (backlen included) from the same read of its encoding.
#[inline]
fn decode_sized(b: &[u8], p: usize) -> (LpEntry<'_>, usize) {
    let c = b[p];
    let (e, l) = if c < 0x80 {
        (LpEntry::Int(c as i64), 1)
    } else if c < 0xC0 {
        let len = (c & 0x3F) as usize;
        (LpEntry::Str(&b[p + 1..p + 1 + len]), 1 + len)
    } else if c < 0xE0 {
        let u = (((c & 0x1F) as i64) << 8) | b[p + 1] as i64;
        // Sign-extend from 13 bits.
        (LpEntry::Int((u << 51) >> 51), 2)
    } else if c < 0xF0 {
        let len = (((c & 0x0F) as usize) << 8) | b[p + 1] as usize;
        (LpEntry::Str(&b[p + 2..p + 2 + len]), 2 + len)
    } else {
        match c {
            0xF0 => {
                let len = u32::from_le_bytes([b[p + 1], b[p + 2], b[p + 3], b[p + 4]]) as usize;
                (LpEntry::Str(&b[p + 5..p + 5 + len]), 5 + len)
            }
            0xF1 => (
                LpEntry::Int(i16::from_le_bytes([b[p + 1], b[p + 2]]) as i64),
                3,
            ),
            0xF2 => {
                // Sign-extend from 24 bits: put the bytes at the top of an i32.
                let v = i32::from_le_bytes([0, b[p + 1], b[p + 2], b[p + 3]]) >> 8;
                (LpEntry::Int(v as i64), 4)
            }
            0xF3 => {
                let v = i32::from_le_bytes([b[p + 1], b[p + 2], b[p + 3], b[p + 4]]);
                (LpEntry::Int(v as i64), 5)
            }
            _ => {
                let mut x = [0u8; 8];
                x.copy_from_slice(&b[p + 1..p + 9]);
                (LpEntry::Int(i64::from_le_bytes(x)), 9)
            }
        }
    };
    (e, l + backlen_size(l))
}

/// A listpack. See the module documentation for the format and invariants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl Listpack {
    /// An empty listpack: 7 bytes, as `lpNew`.
    pub fn new() -> Self {
        Listpack {
            buf: vec![7, 0, 0, 0, 0, 0, EOF],
            count: 0,
        }
    }

    /// An empty listpack with room for `bytes` bytes of entries.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(HDR_SIZE + 1 + bytes);
        buf.extend_from_slice(&[7, 0, 0, 0, 0, 0, EOF]);
        Listpack { buf, count: 0 }
    }

    /// Takes a listpack from untrusted bytes (RDB, RESTORE), checking all of
    /// `lpValidateIntegrity`'s deep checks: header total against the real
    /// size, every entry's encoding and bounds, every backlen (which must be
    /// the canonical encoding of the entry's length), the terminator, and the
    /// header count unless it is 65535. Never panics.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let len = bytes.len();
        if len < HDR_SIZE + 1 {
            return None;
        }
        let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if total as usize != len || bytes[len - 1] != EOF {
            return None;
        }
        let numele = u16::from_le_bytes([bytes[4], bytes[5]]) as usize;
        let limit = len - 1;
        let mut p = HDR_SIZE;
        let mut count = 0usize;
        let mut back = [0u8; 5];
        while p < limit {
            let l = checked_encoded_len(&bytes, p, limit)?;
            let bl = encode_backlen(l, &mut back);
            let end = p + l + bl;
            if end > limit || bytes[p + l..end] != back[..bl] {
                return None;
            }
            count += 1;
            p = end;
        }
        if numele != NUMELE_UNKNOWN && numele != count {
            return None;
        }
        Some(Listpack { buf: bytes, count })
    }

    /// The listpack's bytes, exactly as Redis would hold them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Gives the bytes back (e.g. to write them to a file).
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Size in bytes (header and terminator included), what
    /// `*-max-listpack-*` limits and memory accounting look at.
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated, for memory accounting.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops spare capacity (after a bulk load).
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// Position of the first entry.
    pub fn first(&self) -> Option<usize> {
        (self.count > 0).then_some(HDR_SIZE)
    }

    /// Position of the last entry.
    pub fn last(&self) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        let end = self.buf.len() - 2;
        let (l, bl) = decode_backlen(&self.buf, end);
        Some(end + 1 - bl - l)
    }

    /// Position of the entry after the one at `pos`.
    #[inline]
    pub fn next(&self, pos: usize) -> Option<usize> {
        let n = pos + entry_size(&self.buf, pos);
        (self.buf[n] != EOF).then_some(n)
    }

    /// Position of the entry before the one at `pos`.
    #[inline]
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos <= HDR_SIZE {
            return None;
        }
        let (l, bl) = decode_backlen(&self.buf, pos - 1);
        Some(pos - bl - l)
    }

    /// The entry at `pos`.
    #[inline]
    pub fn get(&self, pos: usize) -> LpEntry<'_> {
        decode(&self.buf, pos)
    }

    /// Position of the entry at `index` (negative counts from the end, -1
    /// being the last), walking from whichever end is nearer, as `lpSeek`.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let n = self.count as i64;
        let idx = if index < 0 { n + index } else { index };
        if idx < 0 || idx >= n {
            return None;
        }
        if idx <= n / 2 {
            let mut p = HDR_SIZE;
            for _ in 0..idx {
                p += entry_size(&self.buf, p);
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(n - 1 - idx) {
                let (l, bl) = decode_backlen(&self.buf, p - 1);
                p -= bl + l;
            }
            Some(p)
        }
    }

    /// Iterates over the entries, from either end.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            front: HDR_SIZE,
            back: self.last().unwrap_or(HDR_SIZE),
            remaining: self.count,
        }
    }

    /// Iterates from the entry at `pos` (included) to the end.
    pub fn iter_from(&self, pos: usize) -> Iter<'_> {
        let mut remaining = 0;
        let mut p = pos;
        while self.buf[p] != EOF {
            p += entry_size(&self.buf, p);
            remaining += 1;
        }
        Iter {
            buf: &self.buf,
            front: pos,
            back: self.last().unwrap_or(HDR_SIZE),
            remaining,
        }
    }

    /// Rewrites the header after a mutation.
    #[inline]
    fn set_header(&mut self) {
        // Past 4 GiB the total cannot be stored; it never gets there since
        // the encodings convert at a few KiB (Redis caps listpacks at 1 GiB).
        let total = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        let num = self.count.min(NUMELE_UNKNOWN) as u16;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        self.buf[4..6].copy_from_slice(&num.to_le_bytes());
    }

    #[inline]
    fn append_encoded(&mut self, e: &Encoded<'_>) {
        self.buf.reserve(e.total());
        self.buf.pop();
        self.buf.extend_from_slice(&e.head[..e.head_len]);
        self.buf.extend_from_slice(e.data);
        self.buf.extend_from_slice(&e.back[..e.back_len]);
        self.buf.push(EOF);
        self.count += 1;
        self.set_header();
    }

    /// Inserts at byte offset `pos` (an entry or the terminator): one memmove.
    #[inline]
    fn insert_encoded(&mut self, pos: usize, e: &Encoded<'_>) -> usize {
        let total = e.total();
        let old = self.buf.len();
        self.buf.resize(old + total, 0);
        self.buf.copy_within(pos..old, pos + total);
        e.write(&mut self.buf[pos..pos + total]);
        self.count += 1;
        self.set_header();
        pos
    }

    /// Appends `v` (stored as an integer if it parses as one).
    pub fn push_back(&mut self, v: &[u8]) {
        self.append_encoded(&Encoded::new(v));
    }

    /// Appends an integer.
    pub fn push_back_int(&mut self, v: i64) {
        self.append_encoded(&Encoded::int(v));
    }

    /// Appends an entry read from another listpack, without reparsing it.
    pub fn push_back_entry(&mut self, v: LpEntry<'_>) {
        match v {
            LpEntry::Int(i) => self.append_encoded(&Encoded::int(i)),
            LpEntry::Str(s) => self.append_encoded(&Encoded::new(s)),
        }
    }

    /// Prepends `v`.
    pub fn push_front(&mut self, v: &[u8]) {
        self.insert_encoded(HDR_SIZE, &Encoded::new(v));
    }

    /// Inserts `v` before the entry at `pos` (or at the end if `pos` is the
    /// terminator's offset); returns the new entry's position.
    pub fn insert_before(&mut self, pos: usize, v: &[u8]) -> usize {
        self.insert_encoded(pos, &Encoded::new(v))
    }

    /// Inserts `v` after the entry at `pos`; returns the new entry's position.
    pub fn insert_after(&mut self, pos: usize, v: &[u8]) -> usize {
        let at = pos + entry_size(&self.buf, pos);
        self.insert_encoded(at, &Encoded::new(v))
    }

    /// Inserts an integer before the entry at `pos` (or the terminator).
    pub fn insert_int_before(&mut self, pos: usize, v: i64) -> usize {
        self.insert_encoded(pos, &Encoded::int(v))
    }

    /// Replaces the entry at `pos` with `v`; returns its position (the same).
    pub fn replace(&mut self, pos: usize, v: &[u8]) -> usize {
        self.replace_encoded(pos, &Encoded::new(v))
    }

    /// Replaces the entry at `pos` with an integer.
    pub fn replace_int(&mut self, pos: usize, v: i64) -> usize {
        self.replace_encoded(pos, &Encoded::int(v))
    }

    fn replace_encoded(&mut self, pos: usize, e: &Encoded<'_>) -> usize {
        let old_size = entry_size(&self.buf, pos);
        let new_size = e.total();
        let old_len = self.buf.len();
        if new_size > old_size {
            self.buf.resize(old_len + new_size - old_size, 0);
            self.buf
                .copy_within(pos + old_size..old_len, pos + new_size);
        } else if new_size < old_size {
            self.buf
                .copy_within(pos + old_size..old_len, pos + new_size);
            self.buf.truncate(old_len - (old_size - new_size));
        }
        e.write(&mut self.buf[pos..pos + new_size]);
        self.set_header();
        pos
    }

    /// Deletes the entry at `pos`; returns the position of the entry that
    /// followed it (now at `pos`), if any.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let size = entry_size(&self.buf, pos);
        let old_len = self.buf.len();
        self.buf.copy_within(pos + size..old_len, pos);
        self.buf.truncate(old_len - size);
        self.count -= 1;
        self.set_header();
        (self.buf[pos] != EOF).then_some(pos)
    }

    /// Deletes `count` entries starting at `index` (fewer if the listpack
    /// ends first): one memmove.
    pub fn delete_range(&mut self, index: usize, count: usize) {
        if index >= self.count || count == 0 {
            return;
        }
        let n = count.min(self.count - index);
        let Some(start) = self.seek(index as i64) else {
            return;
        };
        let end = if index + n == self.count {
            self.buf.len() - 1
        } else {
            let mut p = start;
            for _ in 0..n {
                p += entry_size(&self.buf, p);
            }
            p
        };
        let old_len = self.buf.len();
        self.buf.copy_within(end..old_len, start);
        self.buf.truncate(old_len - (end - start));
        self.count -= n;
        self.set_header();
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.buf.truncate(HDR_SIZE);
        self.buf.push(EOF);
        self.count = 0;
        self.set_header();
    }

    /// Like Redis `lpFind`: compares entries starting at `pos`, skipping
    /// `skip` entries after each compared one (skip = 1 walks the fields of a
    /// field/value listpack). Returns the first match's position.
    pub fn find(&self, pos: usize, v: &[u8], skip: usize) -> Option<usize> {
        let b = &self.buf[..];
        let vint = if v.len() <= 20 { parse_i64(v) } else { None };
        let mut p = pos;
        let mut to_skip = 0;
        while b[p] != EOF {
            if to_skip == 0 {
                let (e, size) = decode_sized(b, p);
                let hit = match e {
                    LpEntry::Str(s) => s == v,
                    LpEntry::Int(i) => vint == Some(i),
                };
                if hit {
                    return Some(p);
                }
                to_skip = skip;
                p += size;
            } else {
                to_skip -= 1;
                p += entry_size(b, p);
            }
        }
        None
    }
}

/// Iterator over a listpack's entries, from either end.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    buf: &'a [u8],
    /// Next entry from the front, valid while `remaining > 0`.
    front: usize,
    /// Next entry from the back, valid while `remaining > 0`.
    back: usize,
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;

    #[inline]
    fn next(&mut self) -> Option<LpEntry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        let (e, size) = decode_sized(self.buf, self.front);
        self.remaining -= 1;
        self.front += size;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let e = decode(self.buf, self.back);
        self.remaining -= 1;
        if self.remaining > 0 {
            let (l, bl) = decode_backlen(self.buf, self.back - 1);
            self.back -= bl + l;
        }
        Some(e)
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Listpack {
    type Item = LpEntry<'a>;
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

    fn build(items: &[&[u8]]) -> Listpack {
        let mut lp = Listpack::new();
        for i in items {
            lp.push_back(i);
        }
        lp
    }

    fn texts(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|e| e.to_vec()).collect()
    }

    // Fixtures: listpacks taken from real Redis 7.0.15 DUMP payloads.

    /// `HSET h a 1 b hello` (RDB type 16).
    const REDIS_HASH: &str = "16000000040081610201018162028568656c6c6f06ff";
    /// `ZADD z 1 a 2.5 b -3 c` (RDB type 17): member, score, ordered by score.
    const REDIS_ZSET: &str = "1a0000000600816302dffd02816102010181620283322e3504ff";
    /// The listpack inside the quicklist node (RDB type 18) of `RPUSH l` with
    /// the boundaries of every integer encoding, then "9223372036854775808",
    /// "", "abc", "007", "-0" (the last two are not integers for string2ll).
    const REDIS_LIST_INTS: &str = "8700000017000101dfff027f01c08002d00002cfff02f1001003\
        f1008003f1ff7f03f200800004f200008004f2ffff7f04f30000800005f30000008005f3ffffff7f05\
        f4000000800000000009f4000000000000008009f4ffffffffffffff7f09933932323333373230333638\
        353437373538303814800183616263048330303704822d3003ff";
    const LIST_INTS_ITEMS: [&str; 23] = [
        "1",
        "-1",
        "127",
        "128",
        "-4096",
        "4095",
        "4096",
        "-32768",
        "32767",
        "32768",
        "-8388608",
        "8388607",
        "8388608",
        "-2147483648",
        "2147483647",
        "2147483648",
        "-9223372036854775808",
        "9223372036854775807",
        "9223372036854775808",
        "",
        "abc",
        "007",
        "-0",
    ];

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn matches_redis_hash_zset_list_bytes() {
        let h = build(&[b"a", b"1", b"b", b"hello"]);
        assert_eq!(h.as_bytes(), unhex(REDIS_HASH));
        let z = build(&[b"c", b"-3", b"a", b"1", b"b", b"2.5"]);
        assert_eq!(z.as_bytes(), unhex(REDIS_ZSET));
        let items: Vec<&[u8]> = LIST_INTS_ITEMS.iter().map(|s| s.as_bytes()).collect();
        let l = build(&items);
        assert_eq!(l.as_bytes(), unhex(REDIS_LIST_INTS));
        // And back: Redis's bytes load and read as the same items.
        for (hex, n) in [(REDIS_HASH, 4), (REDIS_ZSET, 6), (REDIS_LIST_INTS, 23)] {
            let lp = Listpack::from_bytes(unhex(hex)).expect("redis listpack is valid");
            assert_eq!(lp.len(), n);
            assert_eq!(lp.as_bytes(), unhex(hex));
        }
        let l = Listpack::from_bytes(unhex(REDIS_LIST_INTS)).unwrap();
        let got = texts(&l);
        let want: Vec<Vec<u8>> = items.iter().map(|s| s.to_vec()).collect();
        assert_eq!(got, want);
        let mut back: Vec<Vec<u8>> = l.iter().rev().map(|e| e.to_vec()).collect();
        back.reverse();
        assert_eq!(back, want);
        assert_eq!(l.get(l.seek(16).unwrap()), LpEntry::Int(i64::MIN));
        assert_eq!(
            l.get(l.seek(18).unwrap()),
            LpEntry::Str(b"9223372036854775808")
        );
    }

    #[test]
    fn matches_redis_long_strings() {
        // `RPUSH l2 x*63 y*64 z*4095`: 6-bit and 12-bit strings, a 2-byte backlen.
        let (x, y, z) = (vec![b'x'; 63], vec![b'y'; 64], vec![b'z'; 4095]);
        let want = cat(&[
            &unhex("8e10000003 00 bf"),
            &x,
            &[0x40, 0xe0, 0x40],
            &y,
            &[0x42, 0xef, 0xff],
            &z,
            &[0x20, 0x81, 0xff],
        ]);
        assert_eq!(build(&[&x, &y, &z]).as_bytes(), want);
        assert_eq!(texts(&Listpack::from_bytes(want).unwrap()), vec![x, y, z]);
        // `RPUSH l3 w*4096`: a 32-bit string.
        let w = vec![b'w'; 4096];
        let want = cat(&[&unhex("0e10000001 00 f000100000"), &w, &[0x20, 0x85, 0xff]]);
        assert_eq!(build(&[&w]).as_bytes(), want);
        assert!(Listpack::from_bytes(want).is_some());
        // `HSET hb f a*100 g b*5000 n 123456789012` (hash-max-listpack-value 100000).
        let (a, b) = (vec![b'a'; 100], vec![b'b'; 5000]);
        let want = cat(&[
            &unhex("1014000006 00 816602 e064"),
            &a,
            &unhex("6681 6702 f088130000"),
            &b,
            &unhex("278d 816e02 f4141a99be1c000000 09 ff"),
        ]);
        assert_eq!(
            build(&[b"f", &a, b"g", &b, b"n", b"123456789012"]).as_bytes(),
            want
        );
        assert!(Listpack::from_bytes(want).is_some());
    }

    #[test]
    fn backlen_boundaries() {
        for l in [
            1usize,
            127,
            128,
            16382,
            16383,
            2_097_150,
            2_097_151,
            268_435_454,
            268_435_455,
        ] {
            let mut b = [0u8; 5];
            let n = encode_backlen(l, &mut b);
            assert_eq!(n, backlen_size(l));
            assert_eq!(decode_backlen(&b, n - 1), (l, n), "l={l}");
        }
        assert_eq!(backlen_size(16383), 3);
    }

    #[test]
    fn basic_operations() {
        let mut lp = Listpack::new();
        assert_eq!(lp.as_bytes(), [7, 0, 0, 0, 0, 0, 0xff]);
        assert!(lp.is_empty() && lp.first().is_none() && lp.last().is_none());
        assert_eq!(lp.iter().next(), None);
        lp.push_back(b"b");
        lp.push_front(b"a");
        lp.push_back_int(-70000);
        assert_eq!(texts(&lp), [&b"a"[..], b"b", b"-70000"]);
        let p = lp.seek(1).unwrap();
        let q = lp.insert_before(p, b"ab");
        assert_eq!(lp.get(q), LpEntry::Str(b"ab"));
        let r = lp.insert_after(q, b"12");
        assert_eq!(lp.get(r), LpEntry::Int(12));
        assert_eq!(texts(&lp), [&b"a"[..], b"ab", b"12", b"b", b"-70000"]);
        let p = lp.seek(-1).unwrap();
        assert_eq!(lp.last(), Some(p));
        lp.replace(p, b"a much longer string than before");
        assert_eq!(
            lp.get(lp.last().unwrap()).to_vec(),
            b"a much longer string than before"
        );
        let p = lp.seek(2).unwrap();
        let n = lp.delete(p).unwrap();
        assert_eq!(lp.get(n), LpEntry::Str(b"b"));
        assert_eq!(lp.find(lp.first().unwrap(), b"b", 0), Some(n));
        assert_eq!(lp.find(lp.first().unwrap(), b"ab", 1), None);
        lp.delete_range(1, 10);
        assert_eq!(texts(&lp), [b"a"]);
        assert_eq!(lp.delete(lp.first().unwrap()), None);
        assert_eq!(lp, Listpack::new());
    }

    #[test]
    fn find_compares_ints_by_value_and_strings_by_bytes() {
        // A listpack from outside may hold "5" as a string: lpFind still finds it.
        let raw = unhex("0c000000010081350200ff");
        let mut raw = raw;
        raw.truncate(raw.len() - 2);
        raw.push(0xff);
        raw[0] = raw.len() as u8;
        let lp = Listpack::from_bytes(raw).unwrap();
        assert_eq!(lp.get(6), LpEntry::Str(b"5"));
        assert_eq!(lp.find(6, b"5", 0), Some(6));
        let lp = build(&[b"k", b"5", b"5", b"x"]);
        assert_eq!(lp.find(6, b"5", 1), Some(lp.seek(2).unwrap()));
        assert_eq!(lp.find(6, b"05", 0), None);
        assert_eq!(lp.find(6, b"x", 1), None);
        assert_eq!(lp.find(lp.seek(1).unwrap(), b"x", 1), lp.seek(3));
    }

    #[test]
    fn entry_helpers() {
        assert!(LpEntry::Int(-12).eq_bytes(b"-12"));
        assert!(!LpEntry::Int(12).eq_bytes(b"012"));
        assert!(LpEntry::Str(b"x").eq_bytes(b"x"));
        assert_eq!(
            LpEntry::Int(i64::MIN).with_bytes(|b| b.to_vec()),
            b"-9223372036854775808"
        );
        assert_eq!(LpEntry::Int(0).with_bytes(|b| b.to_vec()), b"0");
        assert_eq!(LpEntry::Str(b"7").as_i64(), Some(7));
        let mut out = b"x".to_vec();
        LpEntry::Int(42).append_to(&mut out);
        assert_eq!(out, b"x42");
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

    /// A value exercising every encoding and the string2ll edge cases.
    fn random_value(r: &mut Rng) -> Vec<u8> {
        const EDGES: [i64; 16] = [
            0,
            127,
            128,
            -1,
            -4096,
            -4097,
            4095,
            4096,
            -32769,
            32768,
            -8_388_609,
            8_388_608,
            -2_147_483_649,
            2_147_483_648,
            i64::MIN,
            i64::MAX,
        ];
        match r.below(12) {
            0 => EDGES[r.below(EDGES.len())].to_string().into_bytes(),
            1 => ((r.next() as i64) >> r.below(64)).to_string().into_bytes(),
            2 => (r.below(300) as i64 - 150).to_string().into_bytes(),
            3 => {
                let odd: [&[u8]; 8] = [
                    b"",
                    b"-0",
                    b"007",
                    b"+1",
                    b" 1",
                    b"1 ",
                    b"9223372036854775808",
                    b"-9223372036854775809",
                ];
                odd[r.below(odd.len())].to_vec()
            }
            4 => {
                let n = match r.below(20) {
                    0 => 4090 + r.below(20),
                    1..=3 => 60 + r.below(10),
                    _ => r.below(200),
                };
                (0..n).map(|_| b'a' + r.below(26) as u8).collect()
            }
            5 if r.below(50) == 0 => vec![b'q'; 16380 + r.below(10)],
            _ => {
                let n = r.below(4);
                (0..n).map(|_| b'a' + r.below(3) as u8).collect()
            }
        }
    }

    /// Checks every way of reading `lp` against the model.
    fn check(lp: &Listpack, model: &[Vec<u8>]) {
        assert_eq!(lp.len(), model.len());
        assert_eq!(lp.is_empty(), model.is_empty());
        let b = lp.as_bytes();
        assert_eq!(
            u32::from_le_bytes(b[0..4].try_into().unwrap()) as usize,
            b.len()
        );
        assert_eq!(
            u16::from_le_bytes(b[4..6].try_into().unwrap()) as usize,
            model.len().min(65535)
        );
        let fwd: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        assert_eq!(fwd, model);
        let mut bwd: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
        bwd.reverse();
        assert_eq!(bwd, model);
        // Stored as an integer exactly when string2ll accepts it.
        for (e, m) in lp.iter().zip(model) {
            assert_eq!(
                matches!(e, LpEntry::Int(_)),
                parse_i64(m).is_some(),
                "{m:?}"
            );
            assert!(e.eq_bytes(m));
        }
        // next/prev walks agree with seek.
        let mut p = lp.first();
        for i in 0..model.len() {
            assert_eq!(p, lp.seek(i as i64));
            assert_eq!(p, lp.seek(i as i64 - model.len() as i64));
            p = lp.next(p.unwrap());
        }
        assert_eq!(p, None);
        let mut p = lp.last();
        for i in (0..model.len()).rev() {
            assert_eq!(p, lp.seek(i as i64));
            p = lp.prev(p.unwrap());
        }
        assert_eq!(p, None);
        assert_eq!(lp.seek(model.len() as i64), None);
        assert_eq!(lp.seek(-(model.len() as i64) - 1), None);
        let again = Listpack::from_bytes(b.to_vec()).expect("own bytes validate");
        assert_eq!(&again, lp);
    }

    #[test]
    fn model_based_random_operations() {
        for seed in 1..=12u64 {
            let mut r = Rng::new(seed);
            let mut lp = Listpack::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for step in 0..1500 {
                let v = random_value(&mut r);
                let idx = r.below(model.len() + 1);
                match r.below(11) {
                    0 => {
                        lp.push_back(&v);
                        model.push(v);
                    }
                    1 => {
                        lp.push_front(&v);
                        model.insert(0, v);
                    }
                    2 => {
                        let i = (r.next() as i64) >> r.below(64);
                        lp.push_back_int(i);
                        model.push(i.to_string().into_bytes());
                    }
                    3 => {
                        // Before an entry, or before the terminator (= append).
                        let pos = lp.seek(idx as i64).unwrap_or(lp.bytes_len() - 1);
                        let q = lp.insert_before(pos, &v);
                        assert!(lp.get(q).eq_bytes(&v));
                        model.insert(idx, v);
                    }
                    4 if !model.is_empty() => {
                        let i = idx.min(model.len() - 1);
                        let q = lp.insert_after(lp.seek(i as i64).unwrap(), &v);
                        assert_eq!(Some(q), lp.seek(i as i64 + 1));
                        model.insert(i + 1, v);
                    }
                    5 if !model.is_empty() => {
                        let i = idx.min(model.len() - 1);
                        let q = lp.replace(lp.seek(i as i64).unwrap(), &v);
                        assert!(lp.get(q).eq_bytes(&v));
                        model[i] = v;
                    }
                    6 | 7 if !model.is_empty() => {
                        let i = idx.min(model.len() - 1);
                        let next = lp.delete(lp.seek(i as i64).unwrap());
                        model.remove(i);
                        assert_eq!(next, lp.seek(i as i64).filter(|_| i < model.len()));
                    }
                    8 => {
                        let n = r.below(6);
                        lp.delete_range(idx, n);
                        if idx < model.len() {
                            let end = (idx + n).min(model.len());
                            model.drain(idx..end);
                        }
                    }
                    9 => {
                        // find with a skip, from a random start, against the model.
                        let skip = r.below(3);
                        let needle = if !model.is_empty() && r.below(2) == 0 {
                            model[r.below(model.len())].clone()
                        } else {
                            v
                        };
                        let start = idx.min(model.len());
                        let want = (start..model.len())
                            .step_by(skip + 1)
                            .find(|&i| model[i] == needle)
                            .map(|i| lp.seek(i as i64).unwrap());
                        let from = lp.seek(start as i64).unwrap_or(lp.bytes_len() - 1);
                        assert_eq!(
                            lp.find(from, &needle, skip),
                            want,
                            "seed {seed} step {step}"
                        );
                    }
                    _ => {
                        let lp2 = Listpack::from_bytes(lp.as_bytes().to_vec()).unwrap();
                        assert_eq!(lp2, lp);
                    }
                }
                if step % 16 == 0 || model.len() < 4 {
                    check(&lp, &model);
                }
            }
            check(&lp, &model);
            lp.clear();
            check(&lp, &[]);
        }
    }

    #[test]
    fn count_past_65535_is_unknown_in_header() {
        let mut lp = Listpack::new();
        let mut model = Vec::new();
        for i in 0..65540 {
            lp.push_back_int(i % 200);
            model.push((i % 200).to_string().into_bytes());
        }
        assert_eq!(&lp.as_bytes()[4..6], [0xff, 0xff]);
        assert_eq!(lp.len(), 65540);
        let again = Listpack::from_bytes(lp.as_bytes().to_vec()).unwrap();
        assert_eq!(again.len(), 65540);
        // Deleting below 65535 writes the real count again (what lpLength
        // would store on its next walk).
        lp.delete_range(3, 10);
        model.drain(3..13);
        assert_eq!(lp.iter().map(|e| e.to_vec()).collect::<Vec<_>>(), model);
        assert_eq!(lp.iter().rev().count(), model.len());
        assert_eq!(&lp.as_bytes()[4..6], 65530u16.to_le_bytes());
        assert_eq!(
            Listpack::from_bytes(lp.as_bytes().to_vec()).as_ref(),
            Some(&lp)
        );
        // A header claiming 65535 with fewer entries is valid (lpValidateIntegrity).
        let mut small = build(&[b"a", b"b"]).into_bytes();
        small[4] = 0xff;
        small[5] = 0xff;
        assert_eq!(Listpack::from_bytes(small).map(|l| l.len()), Some(2));
    }

    #[test]
    fn from_bytes_rejects_invalid() {
        let ok = unhex(REDIS_HASH);
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7, 0, 0, 0, 0, 0],
            vec![7, 0, 0, 0, 1, 0, 0xff], // count says 1, none there
            vec![8, 0, 0, 0, 0, 0, 0xff, 0xff], // terminator in the middle
            vec![7, 0, 0, 0, 0, 0, 0xfe], // no terminator
            vec![9, 0, 0, 0, 1, 0, 0xf5, 1, 0xff], // unknown encoding
            vec![9, 0, 0, 0, 1, 0, 0x05, 2, 0xff], // wrong backlen
            vec![10, 0, 0, 0, 1, 0, 0x85, b'a', 2, 0xff], // string runs past the end
            vec![12, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff], // huge 32-bit length
            vec![9, 0, 0, 0, 1, 0, 0xe0, 0x00, 0xff], // 12-bit header missing its backlen
        ];
        let mut c = ok.clone();
        c[0] += 1; // total too large
        cases.push(c);
        let mut c = ok.clone();
        c.insert(6, 0); // total too small for the bytes
        cases.push(c);
        let mut c = ok.clone();
        c[4] = 3; // wrong count
        cases.push(c);
        for c in cases {
            assert!(Listpack::from_bytes(c.clone()).is_none(), "{c:02x?}");
        }
        assert!(Listpack::from_bytes(ok).is_some());
        // Non-minimal but valid encodings are accepted, as Redis does.
        let lp = Listpack::from_bytes(
            vec![15, 0, 0, 0, 1, 0, 0xf4, 5, 0, 0, 0, 0, 0, 0, 0, 9, 0xff][..].to_vec(),
        );
        assert!(lp.is_none()); // total is 17, not 15
        let mut b = vec![17, 0, 0, 0, 1, 0, 0xf4, 5, 0, 0, 0, 0, 0, 0, 0, 9, 0xff];
        assert_eq!(
            Listpack::from_bytes(b.clone()).map(|l| l.get(6).to_vec()),
            Some(b"5".to_vec())
        );
        b[15] = 0x89; // non-canonical backlen
        assert!(Listpack::from_bytes(b).is_none());
    }

    /// Reads everything an accepted listpack offers and mutates it: nothing may panic.
    fn exercise(lp: &mut Listpack) {
        let n = lp.len();
        assert_eq!(lp.iter().count(), n);
        assert_eq!(lp.iter().rev().count(), n);
        for i in 0..n as i64 {
            let p = lp.seek(i).unwrap();
            let _ = lp.get(p).to_vec();
            let _ = lp.prev(p);
            let _ = lp.next(p);
        }
        if let Some(p) = lp.first() {
            let _ = lp.find(p, b"1", 1);
            let _ = lp.find(p, b"abc", 0);
        }
        lp.push_back(b"tail");
        lp.push_front(b"12");
        if let Some(p) = lp.seek(1) {
            lp.replace(p, b"a longer replacement string");
            lp.delete(p);
        }
        lp.delete_range(0, 1);
        assert_eq!(lp.len(), n);
        assert!(Listpack::from_bytes(lp.as_bytes().to_vec()).is_some());
    }

    #[test]
    fn garbage_never_panics() {
        let mut r = Rng::new(99);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let len = r.below(40);
            let mut b: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
            // Often make the header and terminator right, to get past the
            // first checks and into the entry walk.
            if len >= 7 && r.below(4) != 0 {
                b[0..4].copy_from_slice(&(len as u32).to_le_bytes());
                b[len - 1] = 0xff;
                if r.below(2) == 0 {
                    b[4] = 0xff;
                    b[5] = 0xff;
                }
            }
            if let Some(mut lp) = Listpack::from_bytes(b) {
                accepted += 1;
                exercise(&mut lp);
            }
        }
        assert!(accepted > 0);
    }

    #[test]
    fn mutated_listpacks_never_panic() {
        let mut r = Rng::new(7);
        let mut seeds: Vec<Vec<u8>> =
            vec![unhex(REDIS_HASH), unhex(REDIS_ZSET), unhex(REDIS_LIST_INTS)];
        let mut lp = Listpack::new();
        for _ in 0..30 {
            lp.push_back(&random_value(&mut r));
        }
        seeds.push(lp.into_bytes());
        let mut accepted = 0;
        for i in 0..20_000 {
            let mut b = seeds[i % seeds.len()].clone();
            for _ in 0..1 + r.below(3) {
                let at = r.below(b.len());
                match r.below(4) {
                    0 => b[at] = r.next() as u8,
                    1 => b[at] ^= 1 << r.below(8),
                    2 => b.insert(at, r.next() as u8),
                    _ => {
                        b.remove(at);
                    }
                }
            }
            if b.len() >= 4 && r.below(2) == 0 {
                let l = b.len() as u32;
                b[0..4].copy_from_slice(&l.to_le_bytes());
            }
            if let Some(mut lp) = Listpack::from_bytes(b) {
                accepted += 1;
                exercise(&mut lp);
            }
        }
        assert!(accepted > 0);
    }
}
