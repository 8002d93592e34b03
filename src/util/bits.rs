//! Bit-level operations on byte strings for the bitmap commands, following Redis's
//! bitops.c arithmetic exactly (range clamping, the BIT/BYTE units, BITPOS's implicit
//! zero padding, BITFIELD's overflow rules). Bit 0 is the most significant bit of byte 0.

pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    bytes
        .get(byte)
        .is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0)
}

/// Set or clear a bit; the caller has grown `bytes` to hold it.
pub fn set_bit(bytes: &mut [u8], offset: u64, on: bool) {
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    if let Some(b) = bytes.get_mut(byte) {
        if on {
            *b |= mask;
        } else {
            *b &= !mask;
        }
    }
}

/// Set bits in `bytes`, a word at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut n: u64 = chunks
        .by_ref()
        .map(|c| {
            u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]).count_ones() as u64
        })
        .sum();
    n += chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>();
    n
}

/// A start..=end range clamped as Redis does, in bytes, with masks for the bits of the first
/// and last byte that lie outside a BIT range. `None` means empty.
struct Span {
    start: usize,
    end: usize,
    /// Bits of the first byte before the range (set bits in the mask are outside).
    first_mask: u8,
    /// Bits of the last byte after the range.
    last_mask: u8,
}

fn clamp(len: usize, mut start: i64, mut end: i64, in_bits: bool) -> Option<Span> {
    let total = if in_bits {
        (len as i64) << 3
    } else {
        len as i64
    };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    if start > end {
        return None;
    }
    if in_bits {
        let first_mask = (!((1u16 << (8 - (start & 7))) - 1) & 0xFF) as u8;
        let last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
        Some(Span {
            start: (start >> 3) as usize,
            end: (end >> 3) as usize,
            first_mask,
            last_mask,
        })
    } else {
        Some(Span {
            start: start as usize,
            end: end as usize,
            first_mask: 0,
            last_mask: 0,
        })
    }
}

/// BITCOUNT: `range` is (start, end, in_bits).
pub fn count(bytes: &[u8], range: Option<(i64, i64, bool)>) -> u64 {
    let Some((start, end, in_bits)) = range else {
        return popcount(bytes);
    };
    // Both negative with start after end is empty before any clamping (Redis's early exit).
    if start < 0 && end < 0 && start > end {
        return 0;
    }
    let Some(s) = clamp(bytes.len(), start, end, in_bits) else {
        return 0;
    };
    let mut n = popcount(&bytes[s.start..=s.end]);
    n -= (bytes[s.start] & s.first_mask).count_ones() as u64;
    n -= (bytes[s.end] & s.last_mask).count_ones() as u64;
    n
}

/// First bit equal to `bit` in `bytes`, Redis's `redisBitpos`: when looking for a clear
/// bit and every bit is set, the answer is the bit just past the end.
fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0u8 } else { 0xFF };
    for (i, &b) in bytes.iter().enumerate() {
        if b != skip {
            let lead = if bit {
                b.leading_zeros()
            } else {
                (!b).leading_zeros()
            };
            return (i as i64) * 8 + lead as i64;
        }
    }
    if bit { -1 } else { bytes.len() as i64 * 8 }
}

/// BITPOS: `range` is (start, optional end, in_bits).
pub fn position(bytes: &[u8], bit: bool, range: Option<(i64, Option<i64>, bool)>) -> i64 {
    let (start, end, in_bits, end_given) = match range {
        None => (0, bytes.len() as i64 - 1, false, false),
        Some((start, Some(end), in_bits)) => (start, end, in_bits, true),
        Some((start, None, in_bits)) => {
            let end = if in_bits {
                ((bytes.len() as i64) << 3) + 7
            } else {
                bytes.len() as i64 - 1
            };
            (start, end, in_bits, false)
        }
    };
    let Some(s) = clamp(bytes.len(), start, end, in_bits) else {
        return -1;
    };
    // Work on a copy of the range with out-of-range bits forced to the value not sought.
    let mut window = bytes[s.start..=s.end].to_vec();
    let last = window.len() - 1;
    if bit {
        window[0] &= !s.first_mask;
        window[last] &= !s.last_mask;
    } else {
        window[0] |= s.first_mask;
        window[last] |= s.last_mask;
    }
    let pos = first_bit(&window, bit);
    // With an explicit end, bits past the range are not zero padding.
    if end_given && !bit && pos == window.len() as i64 * 8 {
        return -1;
    }
    if pos == -1 {
        return -1;
    }
    pos + (s.start as i64) * 8
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP over sources padded with zeros to the longest.
pub fn bitop(op: BitOp, sources: &[Vec<u8>]) -> Vec<u8> {
    let max = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![0u8; max];
    for (j, o) in out.iter_mut().enumerate() {
        let byte = |i: usize| sources[i].get(j).copied().unwrap_or(0);
        let mut v = byte(0);
        if op == BitOp::Not {
            v = !v;
        }
        for i in 1..sources.len() {
            match op {
                BitOp::And => v &= byte(i),
                BitOp::Or => v |= byte(i),
                BitOp::Xor => v ^= byte(i),
                BitOp::Not => {}
            }
        }
        *o = v;
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for j in 0..bits as u64 {
        v = (v << 1) | get_bit(bytes, offset + j) as u64;
    }
    v
}

fn set_unsigned(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let on = value & (1u64 << (bits as u64 - 1 - j)) != 0;
        set_bit(bytes, offset + j, on);
    }
}

/// BITFIELD GET (bits beyond the string read as zero).
pub fn field_get(bytes: &[u8], offset: u64, bits: u32, signed: bool) -> i64 {
    let u = get_unsigned(bytes, offset, bits);
    if signed && bits < 64 && u & (1u64 << (bits - 1)) != 0 {
        (u | (u64::MAX << bits)) as i64
    } else {
        u as i64
    }
}

/// Redis's `checkUnsignedBitfieldOverflow`: Some(limit) when `value + incr` overflows.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrap = || {
        let mask = if bits == 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    if value > max || (incr > 0 && incr > max_incr) {
        Some(match ow {
            Overflow::Wrap | Overflow::Fail => wrap(),
            Overflow::Sat => max,
        })
    } else if incr < 0 && incr < min_incr {
        Some(match ow {
            Overflow::Wrap | Overflow::Fail => wrap(),
            Overflow::Sat => 0,
        })
    } else {
        None
    }
}

/// Redis's `checkSignedBitfieldOverflow`.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = max.wrapping_sub(value);
    let min_incr = min.wrapping_sub(value);
    let wrap = || {
        let c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                (c | mask) as i64
            } else {
                (c & !mask) as i64
            }
        } else {
            c as i64
        }
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        Some(match ow {
            Overflow::Wrap | Overflow::Fail => wrap(),
            Overflow::Sat => max,
        })
    } else if value < min
        || (bits != 64 && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        Some(match ow {
            Overflow::Wrap | Overflow::Fail => wrap(),
            Overflow::Sat => min,
        })
    } else {
        None
    }
}

/// SET (returns the old value) or INCRBY (returns the new value); `None` when FAIL refused.
fn field_write(
    bytes: &mut [u8],
    offset: u64,
    bits: u32,
    signed: bool,
    n: i64,
    ow: Overflow,
    incr: bool,
) -> Option<i64> {
    if signed {
        let old = field_get(bytes, offset, bits, true);
        let (value, delta) = if incr { (old, n) } else { (n, 0) };
        let limit = signed_overflow(value, delta, bits, ow);
        if limit.is_some() && ow == Overflow::Fail {
            return None;
        }
        let new = limit.unwrap_or(value.wrapping_add(delta));
        set_unsigned(bytes, offset, bits, new as u64);
        Some(if incr { new } else { old })
    } else {
        let old = get_unsigned(bytes, offset, bits);
        let (value, delta) = if incr { (old, n) } else { (n as u64, 0) };
        let limit = unsigned_overflow(value, delta, bits, ow);
        if limit.is_some() && ow == Overflow::Fail {
            return None;
        }
        let new = limit.unwrap_or(value.wrapping_add(delta as u64));
        set_unsigned(bytes, offset, bits, new);
        Some(if incr { new as i64 } else { old as i64 })
    }
}

pub fn field_set(
    bytes: &mut [u8],
    offset: u64,
    bits: u32,
    signed: bool,
    n: i64,
    ow: Overflow,
) -> Option<i64> {
    field_write(bytes, offset, bits, signed, n, ow, false)
}

pub fn field_incr(
    bytes: &mut [u8],
    offset: u64,
    bits: u32,
    signed: bool,
    n: i64,
    ow: Overflow,
) -> Option<i64> {
    field_write(bytes, offset, bits, signed, n, ow, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitpos_examples_from_redis_docs() {
        assert_eq!(position(&[0xff, 0xf0, 0x00], false, None), 12);
        assert_eq!(
            position(&[0x00, 0xff, 0xf0], true, Some((0, None, false))),
            8
        );
        assert_eq!(
            position(&[0x00, 0xff, 0xf0], true, Some((2, None, false))),
            16
        );
        assert_eq!(
            position(&[0x00, 0xff, 0xf0], true, Some((2, Some(-1), false))),
            16
        );
        assert_eq!(
            position(&[0x00, 0xff, 0xf0], true, Some((7, Some(15), true))),
            8
        );
        assert_eq!(position(&[0x00; 3], true, None), -1);
        assert_eq!(position(&[0xff], false, None), 8);
        assert_eq!(position(&[0xff], false, Some((0, Some(-1), false))), -1);
    }

    #[test]
    fn bitcount_ranges() {
        let s = b"foobar";
        assert_eq!(count(s, None), 26);
        assert_eq!(count(s, Some((0, 0, false))), 4);
        assert_eq!(count(s, Some((1, 1, false))), 6);
        assert_eq!(count(s, Some((1, 1, true))), 1);
        assert_eq!(count(s, Some((5, 30, true))), 17);
        assert_eq!(count(s, Some((-1, -2, false))), 0);
    }

    #[test]
    fn bitfield_overflow_rules() {
        let mut v = vec![0u8; 8];
        assert_eq!(
            field_incr(&mut v, 0, 8, false, 300, Overflow::Wrap),
            Some(44)
        );
        assert_eq!(
            field_incr(&mut v, 0, 8, false, 300, Overflow::Sat),
            Some(255)
        );
        assert_eq!(field_incr(&mut v, 0, 8, false, 1, Overflow::Fail), None);
        assert_eq!(field_set(&mut v, 8, 8, true, 200, Overflow::Wrap), Some(0));
        assert_eq!(field_get(&v, 8, 8, true), -56);
        assert_eq!(
            field_incr(&mut v, 8, 8, true, -100, Overflow::Sat),
            Some(-128)
        );
        assert_eq!(
            field_set(&mut v, 0, 64, true, i64::MIN, Overflow::Wrap),
            Some(-36_028_797_018_963_968)
        );
        assert_eq!(field_get(&v, 0, 64, true), i64::MIN);
    }
}
