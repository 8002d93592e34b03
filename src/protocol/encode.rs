//! Reply encoder: writes RESP2 or RESP3 straight into a client's output buffer.
//!
//! Command handlers describe a reply in RESP3 terms (map, set, double, null, push); the
//! encoder lowers each to its RESP2 form when the client has not said `HELLO 3`, the way
//! Redis's `addReply*` functions do. It knows nothing of clients or sockets.

use crate::util::numbers::{fmt_f64_17g, fmt_i64};

/// An output buffer plus the protocol version its client speaks.
#[derive(Debug, Default)]
pub struct Reply {
    pub buf: Vec<u8>,
    pub resp3: bool,
}

impl Reply {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        fmt_i64(n, &mut self.buf);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`-style status reply. `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.simple_bytes(s.as_bytes());
    }

    pub fn simple_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// An error reply; `msg` carries its code (`ERR ...`, `WRONGTYPE ...`). Newlines in the
    /// message would break the protocol, so they become spaces as in Redis.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        self.buf.extend(
            msg.bytes()
                .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.header(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    /// A bulk string holding an integer's decimal form (e.g. GET of an int-encoded value).
    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = Vec::with_capacity(20);
        fmt_i64(n, &mut tmp);
        self.bulk(&tmp);
    }

    /// The null bulk string (RESP2 `$-1`, RESP3 `_`).
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array (RESP2 `*-1`, RESP3 `_`).
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs (RESP2: a flat array of 2n elements).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set (RESP2: an array).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// An out-of-band push (RESP2: an array).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double (RESP2: a bulk string), formatted like Redis 7.0 (`%.17g`).
    pub fn double(&mut self, d: f64) {
        let mut tmp = Vec::with_capacity(32);
        fmt_f64_17g(d, &mut tmp);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&tmp);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&tmp);
        }
    }

    /// A boolean (RESP2: integer 1 or 0).
    pub fn boolean(&mut self, b: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A verbatim string with a 3-letter format such as `txt` (RESP2: a bulk string).
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number given in decimal (RESP2: a bulk string).
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// Bytes already encoded (e.g. a shared constant reply).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_forms() {
        let mut r = Reply::new();
        r.map(2);
        r.null();
        r.null_array();
        r.double(1.5);
        r.boolean(true);
        assert_eq!(r.buf, b"*4\r\n$-1\r\n*-1\r\n$3\r\n1.5\r\n:1\r\n");
        let mut r = Reply {
            resp3: true,
            ..Reply::default()
        };
        r.map(2);
        r.null();
        r.double(f64::INFINITY);
        r.boolean(false);
        r.verbatim("txt", b"hi");
        assert_eq!(r.buf, b"%2\r\n_\r\n,inf\r\n#f\r\n=6\r\ntxt:hi\r\n");
    }

    #[test]
    fn errors_never_contain_newlines() {
        let mut r = Reply::new();
        r.error("ERR a\r\nb");
        assert_eq!(r.buf, b"-ERR a  b\r\n");
    }
}
