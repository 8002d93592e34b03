//! Incremental request decoder: multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline
//! (`GET k\r\n`) requests, with Redis's limits and error texts.
//!
//! The decoder never copies bulk payloads: a multibulk request is returned as byte ranges
//! into the caller's buffer. It keeps its progress between calls, so a 512 MB argument that
//! arrives in 16 KB reads is scanned once, not once per read. It never allocates memory
//! sized by a length the client announced: ranges are only recorded for bytes that arrived.
//!
//! Offsets in the decoder's state are relative to the start of the request being decoded;
//! the caller must not drop bytes of a request that is still incomplete (it may drop the
//! bytes of completed requests, then pass the rest from the start).

use std::ops::Range;

use crate::util::numbers::parse_i64;
use crate::util::split_args::split_args;

/// Longest inline request, and longest count line, Redis accepts without a newline.
pub const INLINE_MAX: usize = 64 * 1024;
/// Arguments and bulk bytes allowed before a client authenticates.
const UNAUTH_MAX_ARGS: i64 = 10;
const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// Why a request was rejected. The connection is closed after the error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    UnauthenticatedMultibulkLength,
    UnauthenticatedBulkLength,
    TooBigMbulkCount,
    TooBigBulkCount,
    TooBigInline,
    UnbalancedQuotes,
    ExpectedDollar(u8),
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Protocol error: ")?;
        match self {
            Self::InvalidMultibulkLength => f.write_str("invalid multibulk length"),
            Self::InvalidBulkLength => f.write_str("invalid bulk length"),
            Self::UnauthenticatedMultibulkLength => f.write_str("unauthenticated multibulk length"),
            Self::UnauthenticatedBulkLength => f.write_str("unauthenticated bulk length"),
            Self::TooBigMbulkCount => f.write_str("too big mbulk count string"),
            Self::TooBigBulkCount => f.write_str("too big bulk count string"),
            Self::TooBigInline => f.write_str("too big inline request"),
            Self::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
            Self::ExpectedDollar(c) => write!(f, "expected '$', got '{}'", *c as char),
        }
    }
}

/// A decoded request. `consumed` bytes from the start of the buffer belong to it.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// Arguments are `buf[range]` for each range in [`Decoder::ranges`].
    Multibulk { consumed: usize },
    /// Inline arguments had quoting undone, so they are owned.
    Inline { consumed: usize, args: Vec<Vec<u8>> },
    /// Bytes that form no command (`*0`, `*-1`, an empty line): consume and go on.
    Empty { consumed: usize },
}

/// Limits that depend on the connection and the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bulk_len: i64,
    pub authenticated: bool,
}

#[derive(Debug, Default)]
pub struct Decoder {
    /// Arguments still expected in the current multibulk (0 = none in progress).
    remaining: i64,
    /// Length of the bulk whose header was read and whose payload has not fully arrived.
    bulk_len: Option<usize>,
    /// Resume point, relative to the start of the request.
    pos: usize,
    ranges: Vec<Range<usize>>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Argument ranges of the last [`Request::Multibulk`].
    pub fn ranges(&self) -> &[Range<usize>] {
        &self.ranges
    }

    /// True while part of a request has been read (used for idle/limit decisions).
    pub fn in_progress(&self) -> bool {
        self.remaining > 0
    }

    /// Decode the next request at the start of `buf`. `Ok(None)` = need more bytes.
    pub fn decode(&mut self, buf: &[u8], limits: Limits) -> Result<Option<Request>, ProtocolError> {
        if self.remaining == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return decode_inline(buf);
            }
            let Some(nl) = find_cr(buf, 0) else {
                if buf.len() > INLINE_MAX {
                    return Err(ProtocolError::TooBigMbulkCount);
                }
                return Ok(None);
            };
            let count = parse_i64(&buf[1..nl]).filter(|&n| n <= i32::MAX as i64);
            let Some(count) = count else {
                return Err(ProtocolError::InvalidMultibulkLength);
            };
            if !limits.authenticated && count > UNAUTH_MAX_ARGS {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            let header_end = nl + 2;
            if count <= 0 {
                // Redis skips these silently; the newline may not have arrived yet.
                if buf.len() < header_end {
                    return Ok(None);
                }
                return Ok(Some(Request::Empty {
                    consumed: header_end,
                }));
            }
            self.remaining = count;
            self.pos = header_end;
            self.bulk_len = None;
            self.ranges.clear();
            // Reserve for the arguments, but never more than a small bound a client could inflate.
            self.ranges.reserve((count as usize).min(1024));
        }
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    if self.pos >= buf.len() {
                        return Ok(None);
                    }
                    let Some(nl) = find_cr(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_MAX {
                            return Err(ProtocolError::TooBigBulkCount);
                        }
                        return Ok(None);
                    };
                    if buf[self.pos] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(buf[self.pos]));
                    }
                    let len = parse_i64(&buf[self.pos + 1..nl])
                        .filter(|&n| n >= 0 && n <= limits.max_bulk_len)
                        .ok_or(ProtocolError::InvalidBulkLength)?;
                    if !limits.authenticated && len > UNAUTH_MAX_BULK {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    self.pos = nl + 2;
                    self.bulk_len = Some(len as usize);
                    len as usize
                }
            };
            // Redis does not check the two bytes after the payload; neither do we.
            if buf.len() < self.pos + len + 2 {
                return Ok(None);
            }
            self.ranges.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        let consumed = self.pos;
        self.pos = 0;
        Ok(Some(Request::Multibulk { consumed }))
    }
}

/// Position of the first `\r` at or after `from`. Like Redis, a count line ends at `\r`
/// and the byte after it is assumed to be `\n`.
fn find_cr(buf: &[u8], from: usize) -> Option<usize> {
    buf[from..]
        .iter()
        .position(|&b| b == b'\r')
        .map(|i| i + from)
}

fn decode_inline(buf: &[u8]) -> Result<Option<Request>, ProtocolError> {
    // Redis finds the newline with strchr, which stops at a NUL byte: a line with a NUL
    // before its newline is never complete (until it grows past the inline limit).
    let searchable = &buf[..buf.iter().position(|&b| b == 0).unwrap_or(buf.len())];
    let Some(nl) = searchable.iter().position(|&b| b == b'\n') else {
        if buf.len() > INLINE_MAX {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(None);
    };
    let mut line = &buf[..nl];
    if let Some(stripped) = line.strip_suffix(b"\r") {
        line = stripped;
    }
    let args = split_args(line).ok_or(ProtocolError::UnbalancedQuotes)?;
    if args.is_empty() {
        return Ok(Some(Request::Empty { consumed: nl + 1 }));
    }
    Ok(Some(Request::Inline {
        consumed: nl + 1,
        args,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    fn args_of(d: &Decoder, buf: &[u8]) -> Vec<Vec<u8>> {
        d.ranges().iter().map(|r| buf[r.clone()].to_vec()).collect()
    }

    #[test]
    fn multibulk_whole_and_byte_by_byte() {
        let req = b"*2\r\n$3\r\nGET\r\n$3\r\nk\x00y\r\n";
        let mut d = Decoder::new();
        assert_eq!(
            d.decode(req, L),
            Ok(Some(Request::Multibulk {
                consumed: req.len()
            }))
        );
        assert_eq!(args_of(&d, req), vec![b"GET".to_vec(), b"k\x00y".to_vec()]);
        let mut d = Decoder::new();
        for n in 0..req.len() {
            assert_eq!(d.decode(&req[..n], L), Ok(None), "prefix {n}");
        }
        assert!(matches!(
            d.decode(req, L),
            Ok(Some(Request::Multibulk { .. }))
        ));
        assert_eq!(args_of(&d, req), vec![b"GET".to_vec(), b"k\x00y".to_vec()]);
    }

    #[test]
    fn pipelined_requests_consume_one_at_a_time() {
        let buf = b"*1\r\n$4\r\nPING\r\nPING\r\n*0\r\n";
        let mut d = Decoder::new();
        let Ok(Some(Request::Multibulk { consumed })) = d.decode(buf, L) else {
            panic!()
        };
        assert_eq!(consumed, 14);
        let r = d.decode(&buf[14..], L);
        assert_eq!(
            r,
            Ok(Some(Request::Inline {
                consumed: 6,
                args: vec![b"PING".to_vec()]
            }))
        );
        assert_eq!(
            d.decode(&buf[20..], L),
            Ok(Some(Request::Empty { consumed: 4 }))
        );
    }

    #[test]
    fn errors_match_redis() {
        let cases: &[(&[u8], ProtocolError)] = &[
            (b"*999999999999\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*2147483648\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*abc\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1\r\n$600000000\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$-5\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$-1\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$+4\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$04\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n*1\r\n", ProtocolError::ExpectedDollar(b'*')),
            (b"\"abc\r\n", ProtocolError::UnbalancedQuotes),
        ];
        let limits = Limits {
            max_bulk_len: 512 * 1024 * 1024,
            authenticated: true,
        };
        for (input, want) in cases {
            let mut d = Decoder::new();
            assert_eq!(d.decode(input, limits), Err(want.clone()), "{input:?}");
        }
    }

    #[test]
    fn unauthenticated_limits() {
        let l = Limits {
            max_bulk_len: 512 * 1024 * 1024,
            authenticated: false,
        };
        assert_eq!(
            Decoder::new().decode(b"*11\r\n", l),
            Err(ProtocolError::UnauthenticatedMultibulkLength)
        );
        assert_eq!(
            Decoder::new().decode(b"*1\r\n$16385\r\n", l),
            Err(ProtocolError::UnauthenticatedBulkLength)
        );
    }

    #[test]
    fn silent_cases() {
        let mut d = Decoder::new();
        assert_eq!(
            d.decode(b"*-5\r\n", L),
            Ok(Some(Request::Empty { consumed: 5 }))
        );
        // A NUL hides the newline from Redis: the request never completes.
        assert_eq!(d.decode(b"\x00PING\r\n", L), Ok(None));
        assert_eq!(d.decode(b"SET k a\x00b\r\nPING\r\n", L), Ok(None));
        // The CRLF after a payload is not checked.
        assert!(matches!(d.decode(b"*1\r\n$4\r\nPINGxx", L), Ok(Some(_))));
    }

    #[test]
    fn huge_announced_lengths_wait_without_allocating() {
        let mut d = Decoder::new();
        assert_eq!(d.decode(b"*2000000\r\n", L), Ok(None));
        assert!(d.ranges.capacity() <= 1024);
        let mut d = Decoder::new();
        assert_eq!(d.decode(b"*1\r\n$536870912\r\nabc", L), Ok(None));
    }

    #[test]
    fn long_lines() {
        let mut d = Decoder::new();
        let big = vec![b'a'; INLINE_MAX + 1];
        assert_eq!(d.decode(&big, L), Err(ProtocolError::TooBigInline));
        let mut line = vec![b'a'; 70 * 1024];
        line.extend_from_slice(b"\r\n");
        assert!(matches!(
            d.decode(&line, L),
            Ok(Some(Request::Inline { .. }))
        ));
        let mut count = b"*".to_vec();
        count.extend(vec![b'1'; INLINE_MAX + 1]);
        assert_eq!(d.decode(&count, L), Err(ProtocolError::TooBigMbulkCount));
    }
}
