//! Decoders for the compact encodings of older RDB files, which Redis 7.0 still loads and
//! converts: the ziplist (lists, hashes and sorted sets up to Redis 6.2, and the nodes of
//! 3.2–6.2 quicklists) and the zipmap (hashes before 2.6).
//!
//! Both decoders validate everything (Redis runs `ziplistValidateIntegrity` with deep
//! checks on these, since it converts them anyway): the header's byte count, every entry's
//! bounds, `prevlen` chaining, the terminator and the entry count. A malformed blob is
//! `None`, never a panic.

use crate::util::numbers::fmt_i64;

/// One ziplist entry: strings and integers, as the listpack's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZlEntry {
    Str(Vec<u8>),
    Int(i64),
}

impl ZlEntry {
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            ZlEntry::Str(s) => s,
            ZlEntry::Int(n) => {
                let mut v = Vec::with_capacity(20);
                fmt_i64(n, &mut v);
                v
            }
        }
    }
}

const ZIP_END: u8 = 0xFF;
const ZIP_BIG_PREVLEN: u8 = 0xFE;
const ZL_HEADER: usize = 10;

/// Every entry of a ziplist, or `None` when it is malformed.
///
/// Layout: `<zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE> entry... 0xFF`, where an entry
/// is `<prevlen: 1 byte, or 0xFE + u32 LE> <encoding> <data>`.
pub fn ziplist_entries(zl: &[u8]) -> Option<Vec<ZlEntry>> {
    if zl.len() < ZL_HEADER + 1 {
        return None;
    }
    let zlbytes = u32::from_le_bytes(zl[0..4].try_into().ok()?) as usize;
    let zltail = u32::from_le_bytes(zl[4..8].try_into().ok()?) as usize;
    let zllen = u16::from_le_bytes(zl[8..10].try_into().ok()?) as usize;
    if zlbytes != zl.len() || zl[zl.len() - 1] != ZIP_END || zltail >= zl.len() {
        return None;
    }
    let mut out = Vec::new();
    let mut p = ZL_HEADER;
    let mut prev_size = 0usize;
    let mut last_start = ZL_HEADER;
    while zl[p] != ZIP_END {
        let start = p;
        // prevlen
        let prevlen = if zl[p] == ZIP_BIG_PREVLEN {
            let b = zl.get(p + 1..p + 5)?;
            p += 5;
            u32::from_le_bytes(b.try_into().ok()?) as usize
        } else {
            p += 1;
            zl[p - 1] as usize
        };
        if prevlen != prev_size {
            return None;
        }
        let enc = *zl.get(p)?;
        let entry = match enc >> 6 {
            0 => {
                let len = (enc & 0x3f) as usize;
                p += 1;
                ZlEntry::Str(take(zl, &mut p, len)?)
            }
            1 => {
                let len = (((enc & 0x3f) as usize) << 8) | *zl.get(p + 1)? as usize;
                p += 2;
                ZlEntry::Str(take(zl, &mut p, len)?)
            }
            2 => {
                if enc != 0x80 {
                    return None;
                }
                let b = zl.get(p + 1..p + 5)?;
                let len = u32::from_be_bytes(b.try_into().ok()?) as usize;
                p += 5;
                ZlEntry::Str(take(zl, &mut p, len)?)
            }
            _ => {
                p += 1;
                let n = match enc {
                    0xC0 => i16::from_le_bytes(take_arr::<2>(zl, &mut p)?) as i64,
                    0xD0 => i32::from_le_bytes(take_arr::<4>(zl, &mut p)?) as i64,
                    0xE0 => i64::from_le_bytes(take_arr::<8>(zl, &mut p)?),
                    0xF0 => {
                        let b = take_arr::<3>(zl, &mut p)?;
                        (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as i64
                    }
                    0xFE => take_arr::<1>(zl, &mut p)?[0] as i8 as i64,
                    0xF1..=0xFD => (enc & 0x0f) as i64 - 1,
                    _ => return None,
                };
                ZlEntry::Int(n)
            }
        };
        if p >= zl.len() {
            return None;
        }
        out.push(entry);
        prev_size = p - start;
        last_start = start;
    }
    if p != zl.len() - 1 {
        return None;
    }
    // zltail points at the last entry (at the header's end when empty).
    if zltail != last_start {
        return None;
    }
    // 65535 means "count unknown": any count is fine then.
    if zllen != u16::MAX as usize && zllen != out.len() {
        return None;
    }
    Some(out)
}

fn take(zl: &[u8], p: &mut usize, len: usize) -> Option<Vec<u8>> {
    let end = p.checked_add(len)?;
    let v = zl.get(*p..end)?.to_vec();
    *p = end;
    Some(v)
}

fn take_arr<const N: usize>(zl: &[u8], p: &mut usize) -> Option<[u8; N]> {
    let b: [u8; N] = zl.get(*p..*p + N)?.try_into().ok()?;
    *p += N;
    Some(b)
}

/// The field/value pairs of a zipmap, or `None` when it is malformed.
///
/// Layout: `<count: 1 byte, 254 = unknown> (<len> field <len> <free> value <free bytes>)*
/// 0xFF`, where `<len>` is one byte below 254 or 254 followed by a u32 LE.
pub fn zipmap_pairs(zm: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut p = 1usize;
    if zm.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    loop {
        let b = *zm.get(p)?;
        if b == 0xFF {
            p += 1;
            break;
        }
        let flen = zipmap_len(zm, &mut p)?;
        let field = take(zm, &mut p, flen)?;
        let vlen = zipmap_len(zm, &mut p)?;
        let free = *zm.get(p)? as usize;
        p += 1;
        let value = take(zm, &mut p, vlen)?;
        p = p.checked_add(free)?;
        out.push((field, value));
    }
    if p != zm.len() {
        return None;
    }
    let count = zm[0] as usize;
    if count < 254 && count != out.len() {
        return None;
    }
    Some(out)
}

fn zipmap_len(zm: &[u8], p: &mut usize) -> Option<usize> {
    let b = *zm.get(*p)?;
    match b {
        0..=253 => {
            *p += 1;
            Some(b as usize)
        }
        254 => {
            let v = u32::from_le_bytes(zm.get(*p + 1..*p + 5)?.try_into().ok()?);
            *p += 5;
            Some(v as usize)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist built the way ziplist.c lays it out, for the tests.
    fn build(entries: &[ZlEntry]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = ZL_HEADER;
        for e in entries {
            let start = body.len();
            tail = ZL_HEADER + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match e {
                ZlEntry::Str(s) if s.len() < 64 => {
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Str(s) => {
                    body.push(0x40 | (s.len() >> 8) as u8);
                    body.push(s.len() as u8);
                    body.extend_from_slice(s);
                }
                ZlEntry::Int(n) if (0..=12).contains(n) => body.push(0xF1 + *n as u8),
                ZlEntry::Int(n) => {
                    body.push(0xE0);
                    body.extend_from_slice(&n.to_le_bytes());
                }
            }
            prev = body.len() - start;
        }
        let total = ZL_HEADER + body.len() + 1;
        let mut zl = Vec::new();
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(ZIP_END);
        zl
    }

    #[test]
    fn decodes_what_it_builds() {
        let entries = vec![
            ZlEntry::Str(b"hello".to_vec()),
            ZlEntry::Int(7),
            ZlEntry::Int(-123456789012),
            ZlEntry::Str(vec![b'x'; 300]),
            ZlEntry::Str(vec![]),
        ];
        let zl = build(&entries);
        assert_eq!(ziplist_entries(&zl).unwrap(), entries);
        assert_eq!(ziplist_entries(&build(&[])).unwrap(), vec![]);
    }

    #[test]
    fn rejects_every_truncation_and_most_flips() {
        let zl = build(&[
            ZlEntry::Str(b"abc".to_vec()),
            ZlEntry::Int(1000),
            ZlEntry::Str(b"defgh".to_vec()),
        ]);
        for n in 0..zl.len() {
            assert!(ziplist_entries(&zl[..n]).is_none(), "truncated to {n}");
        }
        for i in 0..zl.len() {
            for bit in 0..8 {
                let mut z = zl.clone();
                z[i] ^= 1 << bit;
                let _ = ziplist_entries(&z); // must not panic
            }
        }
    }

    #[test]
    fn zipmap() {
        // count 2, "a" → "1" with 2 free bytes, "bb" → "" .
        let zm = [2, 1, b'a', 1, 2, b'1', 0, 0, 2, b'b', b'b', 0, 0, 0xFF];
        assert_eq!(
            zipmap_pairs(&zm).unwrap(),
            vec![(b"a".to_vec(), b"1".to_vec()), (b"bb".to_vec(), vec![])]
        );
        for n in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..n]).is_none());
        }
    }
}
