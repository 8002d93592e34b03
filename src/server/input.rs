//! A client's query buffer: bytes read from the socket and not yet consumed by the decoder.
//!
//! Reads go straight into spare room at the end; consumed requests only move a start index.
//! The unconsumed tail is moved to the front only when the room left is too small for a
//! read, and new room is zero-filled only when the buffer grows, so the steady state costs
//! neither a memset nor a memmove per read.

use std::io::{self, Read};

use super::client::READ_CHUNK;

#[derive(Debug, Default)]
pub struct InputBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl InputBuf {
    /// Unconsumed bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Bytes held, used or not (CLIENT LIST `qbuf` + `qbuf-free`).
    pub fn capacity(&self) -> usize {
        self.data.len()
    }

    /// Drop `n` bytes from the front (a decoded request).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// One `read` into the spare room, making room for at least [`READ_CHUNK`] bytes.
    pub fn read_from(&mut self, r: &mut impl Read) -> io::Result<usize> {
        if self.data.len() - self.end < READ_CHUNK {
            if self.start > 0 {
                self.data.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.data.len() - self.end < READ_CHUNK {
                let want = (self.data.len() * 2).max(self.end + READ_CHUNK);
                self.data.resize(want, 0);
            }
        }
        let n = r.read(&mut self.data[self.end..])?;
        self.end += n;
        Ok(n)
    }

    /// Give memory back when idle with a large buffer.
    pub fn shrink_if_idle(&mut self, threshold: usize) {
        if self.is_empty() && self.data.len() > threshold {
            self.data = Vec::new();
            self.start = 0;
            self.end = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_consumes_and_compacts() {
        let mut b = InputBuf::default();
        let src = vec![7u8; 40_000];
        let mut r: &[u8] = &src;
        let n = b.read_from(&mut r).unwrap();
        assert_eq!(b.len(), n);
        b.consume(n - 10);
        assert_eq!(b.as_slice(), &[7u8; 10]);
        while !r.is_empty() {
            b.read_from(&mut r).unwrap();
        }
        assert_eq!(b.len(), 40_000 - n + 10);
        b.consume(usize::MAX);
        assert!(b.is_empty());
        b.shrink_if_idle(0);
        assert_eq!(b.capacity(), 0);
    }
}
