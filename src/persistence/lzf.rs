//! LZF compression in liblzf's stream format (the version bundled with Redis: `lzf_c.c`,
//! `lzf_d.c` with `HLOG 16`, `VERY_FAST`), for RDB strings and DUMP payloads.
//!
//! Format: a sequence of chunks. A control byte `c < 32` starts a literal run of `c + 1`
//! bytes that follow. Otherwise `len = c >> 5` (7 means "add the next byte") and the
//! back-reference copies `len + 2` bytes from `((c & 31) << 8 | next byte) + 1` bytes back
//! in the output (overlapping copies repeat, as in LZ77).
//!
//! The compressor keeps liblzf's hash table of recent 3-byte windows between calls: it is
//! 64 K slots, too large to clear for every small string. Each slot stores a position
//! offset by a per-call `base`, so slots written by earlier calls are recognised as stale
//! (below `base`) and ignored; output depends only on the input. Matches are always
//! verified against the input, so the table is only a hint.
//!
//! [`decompress`] bounds-checks every read and write: a corrupt stream is an error, never a
//! panic or an out-of-bounds access.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// A reusable compressor (its hash table survives between calls).
pub struct Compressor {
    htab: Vec<u32>,
    /// Slots holding a value `> base` were written by the current call.
    base: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Compressor {
    pub fn new() -> Self {
        Compressor {
            htab: Vec::new(),
            base: 0,
        }
    }

    /// Compress `input` into `out` (cleared first). Returns false, like `lzf_compress`
    /// returning 0, when the result would exceed `max_out` bytes or `input` is empty.
    pub fn compress(&mut self, input: &[u8], max_out: usize, out: &mut Vec<u8>) -> bool {
        out.clear();
        let in_len = input.len();
        if in_len == 0 || max_out == 0 || in_len >= (u32::MAX / 2) as usize {
            return false;
        }
        if self.htab.is_empty() {
            self.htab = vec![0; HSIZE];
        }
        // Start a new epoch: positions of this call are stored as base + pos (pos >= 1).
        if (u32::MAX - self.base) as usize <= in_len + 1 {
            self.htab.iter_mut().for_each(|s| *s = 0);
            self.base = 0;
        }
        let base = self.base;
        self.base += in_len as u32 + 1;
        let htab = &mut self.htab[..];

        out.reserve(max_out.min(in_len + in_len / 16 + 64));
        // `lit` bytes of a literal run follow the control byte at out[out.len() - lit - 1].
        let mut lit = 0usize;
        out.push(0);
        let mut ip = 0usize;
        let mut hval: u32 = if in_len >= 2 {
            (u32::from(input[0]) << 8) | u32::from(input[1])
        } else {
            0
        };
        while ip + 2 < in_len {
            hval = (hval << 8) | u32::from(input[ip + 2]);
            let slot = idx(hval);
            let stored = htab[slot];
            htab[slot] = base + ip as u32;
            // `ref > in_data` in liblzf: position 0 is never a candidate, which also makes
            // 0 (and every stale value) mean "empty".
            let matched = stored > base && {
                let r = (stored - base) as usize;
                r < ip
                    && ip - r - 1 < MAX_OFF
                    && input[r] == input[ip]
                    && input[r + 1] == input[ip + 1]
                    && input[r + 2] == input[ip + 2]
            };
            if matched {
                let r = (stored - base) as usize;
                let off = ip - r - 1;
                let maxlen = (in_len - ip - 2).min(MAX_REF);
                // A reference takes at most 3 bytes and the next run's control byte 1.
                let ctrl_kept = usize::from(lit > 0);
                if out.len() - (1 - ctrl_kept) + 3 + 1 >= max_out {
                    return false;
                }
                let ctrl_at = out.len() - lit - 1;
                if lit > 0 {
                    out[ctrl_at] = (lit - 1) as u8;
                } else {
                    out.pop();
                }
                let mut len = 2;
                loop {
                    len += 1;
                    if len >= maxlen || input[r + len] != input[ip + len] {
                        break;
                    }
                }
                // liblzf counts the match as `len` (>= 3) bytes; it encodes len - 2.
                let len = len - 2;
                ip += 1;
                if len < 7 {
                    out.push(((off >> 8) + (len << 5)) as u8);
                } else {
                    out.push(((off >> 8) + (7 << 5)) as u8);
                    out.push((len - 7) as u8);
                }
                out.push(off as u8);
                lit = 0;
                out.push(0);
                ip += len + 1;
                if ip + 2 >= in_len {
                    break;
                }
                // VERY_FAST: hash the two positions before the new `ip`.
                ip -= 2;
                let mut h = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
                h = (h << 8) | u32::from(input[ip + 2]);
                htab[idx(h)] = base + ip as u32;
                ip += 1;
                h = (h << 8) | u32::from(input[ip + 2]);
                htab[idx(h)] = base + ip as u32;
                ip += 1;
                hval = h;
            } else {
                if out.len() >= max_out {
                    return false;
                }
                lit += 1;
                out.push(input[ip]);
                ip += 1;
                if lit == MAX_LIT {
                    let ctrl_at = out.len() - lit - 1;
                    out[ctrl_at] = (lit - 1) as u8;
                    lit = 0;
                    out.push(0);
                }
            }
        }
        if out.len() + 3 > max_out {
            return false;
        }
        while ip < in_len {
            lit += 1;
            out.push(input[ip]);
            ip += 1;
            if lit == MAX_LIT {
                let ctrl_at = out.len() - lit - 1;
                out[ctrl_at] = (lit - 1) as u8;
                lit = 0;
                out.push(0);
            }
        }
        if lit > 0 {
            let ctrl_at = out.len() - lit - 1;
            out[ctrl_at] = (lit - 1) as u8;
        } else {
            out.pop();
        }
        out.len() <= max_out
    }
}

#[inline]
fn idx(h: u32) -> usize {
    // liblzf's VERY_FAST IDX().
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compress with a fresh table (tests, one-off use).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    Compressor::new()
        .compress(input, max_out, &mut out)
        .then_some(out)
}

/// Why a stream could not be decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The output would exceed the announced length.
    TooBig,
    /// A chunk runs past the input or refers before the start of the output.
    Invalid,
}

/// Decompress `input`, which must expand to exactly `out_len` bytes (RDB and quicklist
/// nodes record the original length).
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            if out.len() + n > out_len {
                return Err(LzfError::TooBig);
            }
            let lits = input.get(ip..ip + n).ok_or(LzfError::Invalid)?;
            out.extend_from_slice(lits);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError::Invalid)? as usize;
                ip += 1;
            }
            let low = *input.get(ip).ok_or(LzfError::Invalid)? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if out.len() + len > out_len {
                return Err(LzfError::TooBig);
            }
            if back > out.len() {
                return Err(LzfError::Invalid);
            }
            let start = out.len() - back;
            if back >= len {
                out.extend_from_within(start..start + len);
            } else {
                for i in 0..len {
                    let b = out[start + i];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::Invalid);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        let mut c = Compressor::new();
        let mut out = Vec::new();
        if c.compress(data, data.len() + data.len() / 16 + 64, &mut out) {
            assert_eq!(decompress(&out, data.len()).unwrap(), data);
        } else {
            assert!(data.is_empty());
        }
    }

    #[test]
    fn roundtrips() {
        roundtrip(b"");
        roundtrip(b"a");
        roundtrip(b"ab");
        roundtrip(b"abc");
        roundtrip(&[b'a'; 1000]);
        roundtrip(b"hello hello hello hello hello world");
        let mut s = 12345u64;
        for n in [10usize, 100, 1000, 10000, 100000] {
            // Low-entropy pseudo-random data, so both literals and references appear.
            let data: Vec<u8> = (0..n)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    b"abcd"[(s % 4) as usize]
                })
                .collect();
            roundtrip(&data);
        }
    }

    #[test]
    fn stale_table_entries_do_not_change_output() {
        let a = b"the quick brown fox jumps over the lazy dog the quick brown fox";
        let mut c = Compressor::new();
        let mut first = Vec::new();
        assert!(c.compress(a, a.len(), &mut first));
        let mut other = Vec::new();
        c.compress(&[b'x'; 5000], 5000, &mut other);
        let mut again = Vec::new();
        assert!(c.compress(a, a.len(), &mut again));
        assert_eq!(first, again);
        assert_eq!(compress(a, a.len()).unwrap(), first);
    }

    #[test]
    fn respects_max_out() {
        let data = [b'z'; 100];
        let small = compress(&data, 100).unwrap();
        assert!(compress(&data, small.len() - 1).is_none());
        // liblzf's bound checks are conservative (a reference needs room for 4 more bytes).
        assert!(compress(&data, small.len() + 4).is_some());
        // Incompressible input does not fit in less than its size.
        let noise: Vec<u8> = (0..64u32).map(|i| (i * 97 % 251) as u8).collect();
        assert!(compress(&noise, noise.len() - 4).is_none());
    }

    #[test]
    fn redis_aaa_string() {
        // From a Redis 7.0 RDB: 52 'a' bytes stored as LZF "01 61 61 e0 27 00 01 61 61".
        let blob = [0x01, 0x61, 0x61, 0xe0, 0x27, 0x00, 0x01, 0x61, 0x61];
        assert_eq!(decompress(&blob, 52).unwrap(), vec![b'a'; 52]);
        assert_eq!(compress(&[b'a'; 52], 48).unwrap(), blob);
    }

    #[test]
    fn corrupt_streams_are_errors() {
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Invalid));
        assert_eq!(decompress(&[0x20, 0x00], 3), Err(LzfError::Invalid));
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 20), Err(LzfError::Invalid));
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), Err(LzfError::TooBig));
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError::Invalid));
        // Every byte string either decompresses or errors; never panics.
        let mut s = 99u64;
        for _ in 0..20000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let len = (s % 12) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (s >> (i * 5)) as u8).collect();
            let _ = decompress(&bytes, (s >> 40) as usize % 64);
        }
    }
}
