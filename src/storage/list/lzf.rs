//! LZF compression (Marc Lehmann's liblzf, as bundled with Redis), for the inner nodes of a
//! quicklist (`list-compress-depth`). The stream format is liblzf's, so the same code can
//! read and write Redis's LZF-compressed RDB strings and quicklist nodes.
//!
//! Format: a sequence of chunks. A control byte `c < 32` starts a literal run of `c + 1`
//! bytes that follow. Otherwise `len = c >> 5` (7 means "add the next byte") and the
//! back-reference copies `len + 2` bytes from `((c & 31) << 8 | next byte) + 1` bytes back
//! in the output. The compressor hashes each 3-byte window into a table of recent
//! positions; a match is always verified against the input, so the table is only a hint.

/// log2 of the hash table size. liblzf's default is 16; 14 is plenty for quicklist nodes
/// (at most 64 KB, and a reference reaches back at most 8 KB) and keeps the table (zeroed
/// on each call, for deterministic output) at 64 KB.
const HLOG: u32 = 14;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn hash_index(h: u32) -> usize {
    // liblzf's VERY_FAST variant of IDX().
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compress `input`; `None` when the output would need more than `max_out` bytes (or
/// `input` is empty), as `lzf_compress` returning 0.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || max_out == 0 {
        return None;
    }
    // Positions + 1 of recent 3-byte windows (0 = empty slot).
    let mut htab = vec![0u32; HSIZE];
    let mut out: Vec<u8> = Vec::with_capacity(max_out.min(in_len + in_len / 16 + 64));
    // Index in `out` of the control byte of the literal run being built.
    let mut lit_ctrl = 0usize;
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
        let slot = hash_index(hval);
        let candidate = htab[slot] as usize;
        htab[slot] = (ip + 1) as u32;
        let matched = candidate != 0 && {
            let r = candidate - 1;
            r < ip
                && ip - r - 1 < MAX_OFF
                && input[r] == input[ip]
                && input[r + 1] == input[ip + 1]
                && input[r + 2] == input[ip + 2]
        };
        if matched {
            let r = candidate - 1;
            let off = ip - r - 1;
            let maxlen = (in_len - ip - 2).min(MAX_REF);
            // Worst case: closing the literal run's byte is already counted; a reference
            // takes up to 3 bytes and the next run's control byte 1.
            if out.len() + 3 + 1 > max_out {
                return None;
            }
            // Close the current literal run (or drop its control byte if it is empty).
            if lit > 0 {
                out[lit_ctrl] = (lit - 1) as u8;
            } else {
                out.pop();
            }
            // Three bytes are known to match (liblzf starts counting at 3 too).
            let mut len = 3;
            while len < maxlen && input[r + len] == input[ip + len] {
                len += 1;
            }
            // len is the match length; encode len - 2.
            let l = len - 2;
            if l < 7 {
                out.push(((off >> 8) + (l << 5)) as u8);
            } else {
                out.push(((off >> 8) + (7 << 5)) as u8);
                out.push((l - 7) as u8);
            }
            out.push(off as u8);
            lit_ctrl = out.len();
            out.push(0);
            lit = 0;
            ip += len;
            if ip + 2 >= in_len {
                break;
            }
            // Hash the two positions just before `ip` (VERY_FAST), so that the bytes at
            // the end of the match can start a later match.
            let mut h = (u32::from(input[ip - 2]) << 8) | u32::from(input[ip - 1]);
            h = (h << 8) | u32::from(input[ip]);
            htab[hash_index(h)] = (ip - 1) as u32;
            h = (h << 8) | u32::from(input[ip + 1]);
            htab[hash_index(h)] = ip as u32;
            hval = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
        } else {
            if out.len() >= max_out {
                return None;
            }
            out.push(input[ip]);
            ip += 1;
            lit += 1;
            if lit == MAX_LIT {
                out[lit_ctrl] = (lit - 1) as u8;
                lit_ctrl = out.len();
                out.push(0);
                lit = 0;
            }
        }
    }
    while ip < in_len {
        if out.len() >= max_out {
            return None;
        }
        out.push(input[ip]);
        ip += 1;
        lit += 1;
        if lit == MAX_LIT {
            out[lit_ctrl] = (lit - 1) as u8;
            lit_ctrl = out.len();
            out.push(0);
            lit = 0;
        }
    }
    if lit > 0 {
        out[lit_ctrl] = (lit - 1) as u8;
    } else {
        out.pop();
    }
    if out.len() > max_out {
        return None;
    }
    Some(out)
}

/// Decompress `input`, which must expand to exactly `out_len` bytes; `None` for a corrupt
/// stream (a reference before the start, a run past either end) or a different length.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            if out.len() + run > out_len {
                return None;
            }
            out.extend_from_slice(input.get(ip..ip + run)?);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            let len = len + 2;
            if out.len() + len > out_len || back > out.len() {
                return None;
            }
            // Byte by byte: the source may overlap the bytes being written (runs).
            let start = out.len() - back;
            for i in 0..len {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(state: &mut u64) -> u64 {
        let mut x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        x
    }

    fn round_trip(data: &[u8]) -> Option<usize> {
        let c = compress(data, data.len() + 64)?;
        assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
        Some(c.len())
    }

    #[test]
    fn round_trips_and_shrinks_repetitive_data() {
        assert_eq!(compress(b"", 10), None);
        round_trip(b"a");
        round_trip(b"ab");
        round_trip(b"abc");
        let rep: Vec<u8> = b"hello world ".iter().cycle().take(5000).copied().collect();
        let n = round_trip(&rep).unwrap();
        assert!(n < 200, "{n}");
        let zeros = vec![0u8; 70000];
        assert!(round_trip(&zeros).unwrap() < 1000);
        let mut s = 7u64;
        for len in [1usize, 2, 3, 31, 32, 33, 100, 1000, 9000, 40000] {
            let rnd: Vec<u8> = (0..len).map(|_| xorshift(&mut s) as u8).collect();
            round_trip(&rnd);
            // Low-entropy random data: many short matches.
            let low: Vec<u8> = (0..len)
                .map(|_| b'a' + (xorshift(&mut s) % 3) as u8)
                .collect();
            round_trip(&low);
        }
    }

    #[test]
    fn respects_the_output_limit() {
        let mut s = 3u64;
        let rnd: Vec<u8> = (0..1000).map(|_| xorshift(&mut s) as u8).collect();
        assert_eq!(compress(&rnd, 900), None);
        let rep = vec![b'x'; 1000];
        let c = compress(&rep, 1000).unwrap();
        assert_eq!(compress(&rep, c.len()), Some(c.clone()));
        assert_eq!(compress(&rep, c.len() - 1), None);
    }

    #[test]
    fn decodes_liblzf_output_and_rejects_corruption() {
        // "aaaaaaaaaa" as liblzf encodes it: literal "a", then a back-reference of 8 bytes
        // at distance 1 (ctrl 0xc0 = len 6 → 8 bytes, offset high bits 0; offset low 0).
        assert_eq!(
            decompress(&[0, b'a', 0xc0, 0, 0x00, b'a'], 10).as_deref(),
            Some(&b"aaaaaaaaaa"[..])
        );
        assert_eq!(decompress(&[0xc0, 0], 8), None); // reference before the start
        assert_eq!(decompress(&[5, b'a'], 6), None); // literal run past the input
        assert_eq!(decompress(&[0, b'a'], 2), None); // wrong length
        assert_eq!(decompress(&[0xe0], 9), None); // truncated
        let mut s = 11u64;
        let data: Vec<u8> = (0..3000)
            .map(|_| b'a' + (xorshift(&mut s) % 4) as u8)
            .collect();
        let c = compress(&data, data.len()).unwrap();
        for cut in 0..c.len() {
            assert!(decompress(&c[..cut], data.len()).is_none());
        }
        for i in 0..c.len() {
            let mut bad = c.clone();
            bad[i] ^= 0x55;
            let _ = decompress(&bad, data.len()); // never panics
        }
    }
}
