//! HyperLogLog in Redis's exact byte format, so the string value, the estimates and `GET` of
//! the key equal Redis's and HLLs move between ferrokv and Redis unchanged.
//!
//! Layout (Redis's hyperloglog.c): a 16-byte header (`HYLL`, encoding 0 = dense or
//! 1 = sparse, 3 unused bytes, 8-byte little-endian cached cardinality whose top bit set
//! means "stale"), then either 16384 six-bit registers packed LSB-first (dense, 12288
//! bytes) or run-length opcodes (sparse): ZERO `00xxxxxx` (1..64 zero registers), XZERO
//! `01xxxxxx yyyyyyyy` (1..16384), VAL `1vvvvvxx` (value 1..32 repeated 1..4 times).
//! Elements are hashed with MurmurHash64A (seed 0xadc83b19); the low 14 bits pick the
//! register and the run of zeros in the rest (+1) is its candidate value. The estimate is
//! Ertl's improved estimator, as Redis >= 5.
//!
//! Every function that reads a stored value checks bounds and returns `Err(Corrupt)` for a
//! malformed one (Redis's `INVALIDOBJ`), never panics.

pub const P: u32 = 14;
pub const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
pub const HDR: usize = 16;
pub const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The value is not a well-formed HLL (Redis's `INVALIDOBJ Corrupted HLL object detected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Redis's `isHLLObjectOrReply` checks: magic, known encoding, exact dense length.
pub fn is_hll(v: &[u8]) -> bool {
    v.len() >= HDR
        && &v[..4] == b"HYLL"
        && v[4] <= SPARSE
        && (v[4] != DENSE || v.len() == DENSE_SIZE)
}

/// A new empty HLL: sparse, one XZERO opcode covering every register.
pub fn new_sparse() -> Vec<u8> {
    let mut v = vec![0u8; HDR];
    v[..4].copy_from_slice(b"HYLL");
    v[4] = SPARSE;
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(XZERO_MAX_LEN);
        push_xzero(&mut v, n);
        left -= n;
    }
    v
}

pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for c in chunks.by_ref() {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// Register index and value for an element (Redis's `hllPatLen`).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = regs[byte] as u16;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) as u8) & REGISTER_MAX
}

fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = val as u16;
    regs[byte] &= !((REGISTER_MAX as u16) << fb) as u8;
    regs[byte] |= (v << fb) as u8;
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((REGISTER_MAX as u16) >> (8 - fb)) as u8;
        *b |= (v >> (8 - fb)) as u8;
    }
}

fn push_xzero(v: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    v.push((l >> 8) as u8 | 0x40);
    v.push((l & 0xff) as u8);
}

fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}

fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}

fn val_op(value: u8, len: usize) -> u8 {
    ((value - 1) << 2) | (len as u8 - 1) | 0x80
}

/// One sparse opcode at `p`: (registers covered, opcode bytes, value).
fn opcode(sp: &[u8], p: usize) -> Result<(usize, usize, u8), Corrupt> {
    let b = sp[p];
    if is_zero(b) {
        Ok(((b & 0x3f) as usize + 1, 1, 0))
    } else if is_xzero(b) {
        let lo = *sp.get(p + 1).ok_or(Corrupt)?;
        Ok(((((b & 0x3f) as usize) << 8 | lo as usize) + 1, 2, 0))
    } else {
        Ok((val_len(b), 1, val_value(b)))
    }
}

/// Visit every register run of a sparse body: (first register, count, value).
fn sparse_runs(sp: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut idx = 0;
    let mut p = 0;
    while p < sp.len() {
        let (span, oplen, val) = opcode(sp, p)?;
        if idx + span > REGISTERS {
            return Err(Corrupt);
        }
        f(idx, span, val);
        idx += span;
        p += oplen;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// Convert a sparse HLL to dense in place, keeping the header (Redis's `hllSparseToDense`).
pub fn to_dense(v: &mut Vec<u8>) -> Result<(), Corrupt> {
    if v[4] == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&v[..HDR]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR..];
    sparse_runs(&v[HDR..], |first, n, val| {
        if val > 0 {
            for i in first..first + n {
                dense_set(regs, i, val);
            }
        }
    })?;
    *v = dense;
    Ok(())
}

/// Set register `index` to `count` if larger (Redis's `hllSparseSet` / `hllDenseSet`),
/// reproducing Redis's opcode splitting and merging so the bytes come out identical.
/// Returns whether a register changed.
pub fn set(v: &mut Vec<u8>, index: usize, count: u8, sparse_max: usize) -> Result<bool, Corrupt> {
    if v[4] == DENSE {
        let regs = &mut v[HDR..];
        if count > dense_get(regs, index) {
            dense_set(regs, index, count);
            return Ok(true);
        }
        return Ok(false);
    }
    if count > VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = v.len();
    let mut p = HDR;
    let mut first = 0;
    let mut prev: Option<usize> = None;
    let mut span = 0;
    let mut oplen = 1;
    while p < end {
        let op = opcode(v, p)?;
        span = op.0;
        oplen = op.1;
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let b = v[p];
    let runlen = span;
    // Step 2: the trivial in-place cases.
    let mut updated_in_place = false;
    if is_val(b) {
        if val_value(b) >= count {
            return Ok(false);
        }
        if runlen == 1 {
            v[p] = val_op(count, 1);
            updated_in_place = true;
        }
    } else if is_zero(b) && runlen == 1 {
        v[p] = val_op(count, 1);
        updated_in_place = true;
    }
    if !updated_in_place {
        // Step 3: split the opcode into up to five bytes.
        let last = first + span - 1;
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        if is_val(b) {
            let cur = val_value(b);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        } else {
            let push_zero = |seq: &mut Vec<u8>, len: usize| {
                if len > ZERO_MAX_LEN {
                    push_xzero(seq, len);
                } else {
                    seq.push((len - 1) as u8);
                }
            };
            if index != first {
                push_zero(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zero(&mut seq, last - index);
            }
        }
        let delta = seq.len() as isize - oplen as isize;
        if delta > 0 && (v.len() as isize + delta) as usize > sparse_max {
            return promote(v, index, count);
        }
        v.splice(p..p + oplen, seq);
    }
    // Step 4: merge adjacent VAL opcodes of equal value, scanning up to five opcodes.
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < v.len() && scan > 0 {
        scan -= 1;
        let b = v[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < v.len() && is_val(v[p + 1]) {
            let (v1, v2) = (val_value(b), val_value(v[p + 1]));
            let len = val_len(b) + val_len(v[p + 1]);
            if v1 == v2 && len <= VAL_MAX_LEN {
                v[p + 1] = val_op(v1, len);
                v.remove(p);
                continue;
            }
        }
        p += 1;
    }
    invalidate(v);
    Ok(true)
}

fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(v)?;
    let regs = &mut v[HDR..];
    if count > dense_get(regs, index) {
        dense_set(regs, index, count);
    }
    Ok(true)
}

/// Add an element; true when a register changed.
pub fn add(v: &mut Vec<u8>, element: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    set(v, index, count, sparse_max)
}

/// Mark the cached cardinality stale.
pub fn invalidate(v: &mut [u8]) {
    v[HDR - 1] |= 0x80;
}

/// The cached cardinality, if valid.
pub fn cached(v: &[u8]) -> Option<u64> {
    if v[HDR - 1] & 0x80 != 0 {
        return None;
    }
    let mut b = [0u8; 8];
    b.copy_from_slice(&v[8..16]);
    Some(u64::from_le_bytes(b))
}

pub fn store_cache(v: &mut [u8], card: u64) {
    v[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Fold an HLL into `max` (one byte per register, the union so far).
pub fn merge_into(max: &mut [u8], v: &[u8]) -> Result<(), Corrupt> {
    if v[4] == DENSE {
        let regs = &v[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        Ok(())
    } else {
        sparse_runs(&v[HDR..], |first, n, val| {
            if val > 0 {
                for m in &mut max[first..first + n] {
                    *m = (*m).max(val);
                }
            }
        })
    }
}

/// Registers as one byte each (for PFDEBUG-style inspection and merging).
pub fn registers(v: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut regs = vec![0u8; REGISTERS];
    merge_into(&mut regs, v)?;
    Ok(regs)
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// The estimate from a histogram of register values (Ertl, arXiv:1702.01284).
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// Cardinality of a stored HLL.
pub fn count(v: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    if v[4] == DENSE {
        let regs = &v[HDR..];
        for i in 0..REGISTERS {
            histo[dense_get(regs, i) as usize] += 1;
        }
    } else {
        sparse_runs(&v[HDR..], |_, n, val| histo[val as usize] += n as u32)?;
    }
    Ok(estimate(&histo))
}

/// Cardinality of a union held as one byte per register.
pub fn count_raw(regs: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[(r & 63) as usize] += 1;
    }
    estimate(&histo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hll_matches_redis_bytes() {
        let v = new_sparse();
        assert_eq!(v.len(), 18);
        assert_eq!(&v[..5], b"HYLL\x01");
        assert_eq!(&v[16..], &[0x7f, 0xff]);
        assert_eq!(count(&v), Ok(0));
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for i in 0..2000u32 {
            let e = i.to_string();
            add(&mut sparse, e.as_bytes(), 1 << 30).unwrap();
            add(&mut dense, e.as_bytes(), 1 << 30).unwrap();
        }
        assert_eq!(registers(&sparse), registers(&dense));
        let c = count(&dense).unwrap();
        assert_eq!(count(&sparse).unwrap(), c);
        assert!((1900..2100).contains(&c), "{c}");
    }

    #[test]
    fn corrupt_values_are_errors_not_panics() {
        let mut v = new_sparse();
        v.truncate(17);
        assert_eq!(count(&v), Err(Corrupt));
        assert_eq!(add(&mut v, b"x", 3000), Err(Corrupt));
        let mut v = new_sparse();
        v.push(0x00);
        assert_eq!(count(&v), Err(Corrupt));
        let mut v = new_sparse();
        v[16] = 0xff;
        assert!(count(&v).is_err());
    }
}
