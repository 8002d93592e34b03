//! The RDB byte format (Redis 7.0, version 10): type and opcode constants, and the
//! primitive encodings every record is made of (`rdb.c`'s rdbSaveLen / rdbLoadLen,
//! rdbSaveRawString / rdbGenericLoadStringObject, binary doubles, millisecond times).
//!
//! # Primitives
//! - Length: the top two bits of the first byte choose the size: `00` 6 bits, `01` 14 bits
//!   (big-endian across two bytes), `10` with `0x80` a 32-bit and `0x81` a 64-bit
//!   big-endian length; `11` marks a specially encoded string (below).
//! - String: a length then the bytes, or a special encoding: `0xC0` int8, `0xC1` int16
//!   LE, `0xC2` int32 LE (a decimal integer string), `0xC3` LZF (compressed length,
//!   original length, compressed bytes).
//! - Millisecond time: i64 LE. Binary double: f64 LE. Old (RDB < 8) doubles: one length
//!   byte (253 NaN, 254 +inf, 255 -inf) then that many ASCII bytes.
//!
//! [`Writer`] keeps the running CRC-64 of everything written; [`Reader`] the CRC of
//! everything consumed and its offset, so errors can name where the file went wrong.
//! The reader never allocates by an announced length: a bogus 2^60-byte string fails at
//! the end of the input, not in the allocator.

use std::io::{self, Read, Write};

use super::super::crc64::crc64;
use super::super::lzf;
use crate::util::numbers::{fmt_i64, parse_i64};

/// The version Redis 7.0 writes; files up to it load.
pub const RDB_VERSION: u32 = 10;

// Value types (`RDB_TYPE_*`).
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;

// Opcodes (`RDB_OPCODE_*`), in the same byte position as a value type.
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

// Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2).
pub const QUICKLIST_NODE_PLAIN: u64 = 1;
pub const QUICKLIST_NODE_PACKED: u64 = 2;

// Length encodings.
const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;
const LEN_ENCVAL: u8 = 3;

// Special string encodings (after `11` in the top bits).
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Redis tries LZF only on strings longer than this (it cannot shrink shorter ones).
const LZF_MIN_LEN: usize = 20;

/// A readable name of a value type, as redis-check-rdb prints it.
pub fn type_name(t: u8) -> &'static str {
    match t {
        TYPE_STRING => "string",
        TYPE_LIST => "list-linked",
        TYPE_SET => "set-hashtable",
        TYPE_ZSET => "zset-v1",
        TYPE_HASH => "hash-hashtable",
        TYPE_ZSET_2 => "zset-v2",
        TYPE_MODULE | TYPE_MODULE_2 => "module-value",
        TYPE_HASH_ZIPMAP => "hash-zipmap",
        TYPE_LIST_ZIPLIST => "list-ziplist",
        TYPE_SET_INTSET => "set-intset",
        TYPE_ZSET_ZIPLIST => "zset-ziplist",
        TYPE_HASH_ZIPLIST => "hash-ziplist",
        TYPE_LIST_QUICKLIST => "list-quicklist",
        TYPE_STREAM_LISTPACKS => "stream",
        TYPE_HASH_LISTPACK => "hash-listpack",
        TYPE_ZSET_LISTPACK => "zset-listpack",
        TYPE_LIST_QUICKLIST_2 => "list-quicklist-v2",
        TYPE_STREAM_LISTPACKS_2 => "stream-v2",
        _ => "unknown",
    }
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/// Writes RDB primitives to `W`, keeping the CRC-64 of every byte.
pub struct Writer<W: Write> {
    out: W,
    crc: u64,
    /// Whether to keep the checksum (`rdbchecksum`); off, the footer is zeros.
    checksum: bool,
    /// Whether strings over 20 bytes are LZF-compressed when that saves space.
    compress: bool,
    written: u64,
    lzf: lzf::Compressor,
    scratch: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, compress: bool, checksum: bool) -> Self {
        Writer {
            out,
            crc: 0,
            checksum,
            compress,
            written: 0,
            lzf: lzf::Compressor::new(),
            scratch: Vec::new(),
        }
    }

    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    pub fn crc(&self) -> u64 {
        self.crc
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn raw(&mut self, b: &[u8]) -> io::Result<()> {
        if self.checksum {
            self.crc = crc64(self.crc, b);
        }
        self.written += b.len() as u64;
        self.out.write_all(b)
    }

    pub fn u8(&mut self, b: u8) -> io::Result<()> {
        self.raw(&[b])
    }

    /// rdbSaveLen.
    pub fn length(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.u8((LEN_6BIT << 6) | n as u8)
        } else if n < 1 << 14 {
            self.raw(&[(LEN_14BIT << 6) | (n >> 8) as u8, n as u8])
        } else if n <= u32::MAX as u64 {
            let b = (n as u32).to_be_bytes();
            self.raw(&[LEN_32BIT, b[0], b[1], b[2], b[3]])
        } else {
            self.u8(LEN_64BIT)?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// rdbSaveMillisecondTime.
    pub fn ms_time(&mut self, ms: i64) -> io::Result<()> {
        self.raw(&ms.to_le_bytes())
    }

    /// rdbSaveBinaryDoubleValue.
    pub fn binary_double(&mut self, v: f64) -> io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    /// The integer as Redis saves an `int`-encoded string object
    /// (rdbSaveLongLongAsStringObject): a special encoding when it fits 32 bits, else
    /// its decimal text.
    pub fn int_string(&mut self, v: i64) -> io::Result<()> {
        let mut enc = [0u8; 5];
        if let Some(n) = encode_integer(v, &mut enc) {
            return self.raw(&enc[..n]);
        }
        let mut text = Vec::with_capacity(20);
        fmt_i64(v, &mut text);
        self.length(text.len() as u64)?;
        self.raw(&text)
    }

    /// rdbSaveRawString: integer encoding for short decimal strings, LZF for longer ones
    /// when enabled and it saves at least 4 bytes, else verbatim.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11 {
            let mut enc = [0u8; 5];
            if let Some(v) = parse_i64(s)
                && let Some(n) = encode_integer(v, &mut enc)
            {
                return self.raw(&enc[..n]);
            }
        }
        if self.compress && s.len() > LZF_MIN_LEN && self.lzf_string(s)? {
            return Ok(());
        }
        self.length(s.len() as u64)?;
        self.raw(s)
    }

    /// rdbSaveLzfStringObject; false when compression does not save space.
    fn lzf_string(&mut self, s: &[u8]) -> io::Result<bool> {
        let mut out = std::mem::take(&mut self.scratch);
        let ok = self.lzf.compress(s, s.len() - 4, &mut out);
        if ok {
            self.lzf_blob(&out, s.len())?;
        }
        self.scratch = out;
        Ok(ok)
    }

    /// rdbSaveLzfBlob: already compressed bytes and the original length.
    pub fn lzf_blob(&mut self, compressed: &[u8], original_len: usize) -> io::Result<()> {
        self.u8((LEN_ENCVAL << 6) | ENC_LZF)?;
        self.length(compressed.len() as u64)?;
        self.length(original_len as u64)?;
        self.raw(compressed)
    }

    /// The 8-byte footer: the checksum of everything written so far, or zeros.
    pub fn footer(&mut self) -> io::Result<()> {
        let crc = if self.checksum { self.crc } else { 0 };
        self.out.write_all(&crc.to_le_bytes())?;
        self.written += 8;
        Ok(())
    }
}

/// rdbEncodeInteger: the 2, 3 or 5-byte special encoding of `v` if it fits 32 bits.
fn encode_integer(v: i64, out: &mut [u8; 5]) -> Option<usize> {
    let enc = LEN_ENCVAL << 6;
    if let Ok(b) = i8::try_from(v) {
        out[0] = enc | ENC_INT8;
        out[1] = b as u8;
        Some(2)
    } else if let Ok(h) = i16::try_from(v) {
        out[0] = enc | ENC_INT16;
        out[1..3].copy_from_slice(&h.to_le_bytes());
        Some(3)
    } else if let Ok(w) = i32::try_from(v) {
        out[0] = enc | ENC_INT32;
        out[1..5].copy_from_slice(&w.to_le_bytes());
        Some(5)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// What went wrong reading an RDB stream, and where (byte offset in the stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub offset: u64,
    pub msg: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at offset {})", self.msg, self.offset)
    }
}

pub type ReadResult<T> = Result<T, FormatError>;

/// A length or a special string encoding, as read by rdbLoadLenByRef.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

/// Reads RDB primitives from a byte source, tracking offset and CRC-64.
pub struct Reader<R: Read> {
    src: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Offset in the stream of `buf[0]`.
    base: u64,
    /// CRC of every byte consumed before `buf[crc_from]`.
    crc: u64,
    crc_from: usize,
    eof: bool,
    io_error: Option<String>,
}

/// Chunk used to read strings of unknown trustworthiness: a lie about a length costs at
/// most this much memory before the input runs out.
const GROW_CHUNK: usize = 1 << 20;

impl<R: Read> Reader<R> {
    pub fn new(src: R) -> Self {
        Reader {
            src,
            buf: vec![0u8; 1 << 16].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            crc: 0,
            crc_from: 0,
            eof: false,
            io_error: None,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// CRC-64 of every byte consumed so far.
    pub fn crc(&mut self) -> u64 {
        self.crc = crc64(self.crc, &self.buf[self.crc_from..self.pos]);
        self.crc_from = self.pos;
        self.crc
    }

    pub fn error<T>(&self, msg: impl Into<String>) -> ReadResult<T> {
        Err(FormatError {
            offset: self.offset(),
            msg: msg.into(),
        })
    }

    fn eof_error<T>(&self) -> ReadResult<T> {
        match &self.io_error {
            Some(e) => self.error(format!("Read error: {e}")),
            None => self.error("Unexpected EOF reading RDB file"),
        }
    }

    /// Refill the buffer, keeping unconsumed bytes. False at end of input.
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        self.crc = crc64(self.crc, &self.buf[self.crc_from..self.pos]);
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        self.crc_from = 0;
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.end += n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.io_error = Some(e.to_string());
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    pub fn u8(&mut self) -> ReadResult<u8> {
        if self.pos == self.end && !self.fill() {
            return self.eof_error();
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// Exactly `out.len()` bytes.
    pub fn exact(&mut self, out: &mut [u8]) -> ReadResult<()> {
        let mut done = 0;
        while done < out.len() {
            if self.pos == self.end && !self.fill() {
                return self.eof_error();
            }
            let n = (self.end - self.pos).min(out.len() - done);
            out[done..done + n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    /// `n` bytes into a new vector, grown as bytes arrive.
    pub fn bytes(&mut self, n: u64) -> ReadResult<Vec<u8>> {
        let n = usize::try_from(n).or_else(|_| self.error("Length out of range"))?;
        let mut v = Vec::with_capacity(n.min(GROW_CHUNK));
        while v.len() < n {
            if self.pos == self.end && !self.fill() {
                return self.eof_error();
            }
            let k = (self.end - self.pos).min(n - v.len());
            v.extend_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
        }
        Ok(v)
    }

    pub fn u32_le(&mut self) -> ReadResult<u32> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn i64_le(&mut self) -> ReadResult<i64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(i64::from_le_bytes(b))
    }

    pub fn u64_le(&mut self) -> ReadResult<u64> {
        Ok(self.i64_le()? as u64)
    }

    /// rdbLoadLenByRef.
    pub fn len_or_enc(&mut self) -> ReadResult<Len> {
        let first = self.u8()?;
        match first >> 6 {
            0 => Ok(Len::Plain((first & 0x3f) as u64)),
            1 => {
                let second = self.u8()?;
                Ok(Len::Plain((((first & 0x3f) as u64) << 8) | second as u64))
            }
            3 => Ok(Len::Encoded(first & 0x3f)),
            _ => match first {
                LEN_32BIT => {
                    let mut b = [0u8; 4];
                    self.exact(&mut b)?;
                    Ok(Len::Plain(u32::from_be_bytes(b) as u64))
                }
                LEN_64BIT => {
                    let mut b = [0u8; 8];
                    self.exact(&mut b)?;
                    Ok(Len::Plain(u64::from_be_bytes(b)))
                }
                _ => self.error(format!("Unknown length encoding {first} in rdbLoadLen()")),
            },
        }
    }

    /// A plain length (an encoded-string marker here is corruption).
    pub fn length(&mut self) -> ReadResult<u64> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => self.error("Unexpected string encoding where a length belongs"),
        }
    }

    /// A length that counts items to be read next: bounded so that it fits memory math.
    pub fn count(&mut self) -> ReadResult<u64> {
        let n = self.length()?;
        if n > (1u64 << 48) {
            return self.error(format!("Length {n} out of range"));
        }
        Ok(n)
    }

    /// rdbGenericLoadStringObject: any string encoding, returned as plain bytes.
    pub fn string(&mut self) -> ReadResult<Vec<u8>> {
        match self.len_or_enc()? {
            Len::Plain(n) => self.bytes(n),
            Len::Encoded(ENC_INT8) => {
                let mut out = Vec::with_capacity(4);
                fmt_i64(self.u8()? as i8 as i64, &mut out);
                Ok(out)
            }
            Len::Encoded(ENC_INT16) => {
                let mut b = [0u8; 2];
                self.exact(&mut b)?;
                let mut out = Vec::with_capacity(6);
                fmt_i64(i16::from_le_bytes(b) as i64, &mut out);
                Ok(out)
            }
            Len::Encoded(ENC_INT32) => {
                let mut b = [0u8; 4];
                self.exact(&mut b)?;
                let mut out = Vec::with_capacity(11);
                fmt_i64(i32::from_le_bytes(b) as i64, &mut out);
                Ok(out)
            }
            Len::Encoded(ENC_LZF) => {
                let clen = self.length()?;
                let len = self.length()?;
                let at = self.offset();
                let compressed = self.bytes(clen)?;
                let len = usize::try_from(len).or_else(|_| self.error("Length out of range"))?;
                // A claimed length far beyond what LZF can expand to is corruption; checking
                // it first keeps a lie from reserving gigabytes.
                if len > compressed.len().saturating_mul(264) + 264 {
                    return Err(FormatError {
                        offset: at,
                        msg: "Invalid LZF compressed string".into(),
                    });
                }
                lzf::decompress(&compressed, len).map_err(|_| FormatError {
                    offset: at,
                    msg: "Invalid LZF compressed string".into(),
                })
            }
            Len::Encoded(e) => self.error(format!("Unknown RDB string encoding type {e}")),
        }
    }

    /// rdbLoadBinaryDoubleValue.
    pub fn binary_double(&mut self) -> ReadResult<f64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(f64::from_le_bytes(b))
    }

    /// rdbLoadDoubleValue (ZSET v1, RDB < 8): a length byte then ASCII.
    pub fn old_double(&mut self) -> ReadResult<f64> {
        let n = self.u8()?;
        match n {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            _ => {
                let mut b = vec![0u8; n as usize];
                self.exact(&mut b)?;
                std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .map_or_else(|| self.error("Invalid double value"), Ok)
            }
        }
    }

    /// True when every byte of the input was consumed.
    pub fn at_end(&mut self) -> bool {
        self.pos == self.end && !self.fill()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), true, true);
        f(&mut w).unwrap();
        w.into_inner()
    }

    #[test]
    fn lengths_roundtrip_with_redis_sizes() {
        for (n, size) in [
            (0u64, 1usize),
            (63, 1),
            (64, 2),
            (16383, 2),
            (16384, 5),
            (u32::MAX as u64, 5),
            (u32::MAX as u64 + 1, 9),
            (u64::MAX, 9),
        ] {
            let b = written(|w| w.length(n));
            assert_eq!(b.len(), size, "{n}");
            assert_eq!(Reader::new(&b[..]).length().unwrap(), n);
        }
    }

    #[test]
    fn strings_as_redis_writes_them() {
        // From Redis 7.0 dumps: "12345" → c1 39 30; "foo" → 03 66 6f 6f; 52 × 'a' → LZF.
        assert_eq!(written(|w| w.string(b"12345")), [0xc1, 0x39, 0x30]);
        assert_eq!(written(|w| w.string(b"foo")), [0x03, b'f', b'o', b'o']);
        assert_eq!(written(|w| w.int_string(12345)), [0xc1, 0x39, 0x30]);
        assert_eq!(written(|w| w.string(b"-1")), [0xc0, 0xff]);
        // Non-canonical integers stay strings.
        assert_eq!(written(|w| w.string(b"012")), [0x03, b'0', b'1', b'2']);
        assert_eq!(
            written(|w| w.string(&[b'a'; 52])),
            [
                0xc3, 0x09, 0x34, 0x01, 0x61, 0x61, 0xe0, 0x27, 0x00, 0x01, 0x61, 0x61
            ]
        );
        let big = written(|w| w.int_string(123456789012));
        assert_eq!(big[0], 12);
        for s in [
            &b"12345"[..],
            b"foo",
            b"-1",
            b"012",
            b"123456789012",
            b"2147483647",
            b"-2147483648",
            b"2147483648",
            &[b'a'; 52],
            &[b'x'; 100000],
            b"",
        ] {
            let b = written(|w| w.string(s));
            let mut r = Reader::new(&b[..]);
            assert_eq!(r.string().unwrap(), s);
            assert!(r.at_end());
        }
    }

    #[test]
    fn crc_of_writer_and_reader_agree() {
        let b = written(|w| {
            w.string(b"hello")?;
            w.length(1000)?;
            w.ms_time(-5)
        });
        let mut w = Writer::new(Vec::new(), true, true);
        w.raw(&b).unwrap();
        let mut r = Reader::new(&b[..]);
        r.string().unwrap();
        r.length().unwrap();
        r.i64_le().unwrap();
        assert_eq!(r.crc(), w.crc());
        assert_eq!(r.crc(), crc64(0, &b));
    }

    #[test]
    fn lies_about_lengths_fail_cleanly() {
        // A 2^40-byte string with 3 bytes of data.
        let mut r = Reader::new(&[0x81, 0, 0, 1, 0, 0, 0, 0, 0, b'a', b'b', b'c'][..]);
        let e = r.string().unwrap_err();
        assert!(e.msg.contains("Unexpected EOF"), "{e}");
        // LZF claiming a huge original length.
        let mut r = Reader::new(&[0xc3, 0x02, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0x00, b'a'][..]);
        assert!(r.string().is_err());
        // Unknown encodings.
        assert!(Reader::new(&[0xc7][..]).string().is_err());
        assert!(Reader::new(&[0x82][..]).length().is_err());
    }
}
