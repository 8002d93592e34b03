//! TEMPORARY stand-in for `storage::encodings::listpack` (branch `encodings`), with the
//! same API, so the quicklist can be written before the real listpack lands. Positions are
//! entry indexes instead of byte offsets. Deleted when the real listpack is merged.
#![allow(dead_code)]

use crate::util::numbers::{fmt_i64, parse_i64};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpEntry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl LpEntry<'_> {
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.append_to(&mut v);
        v
    }
    pub fn eq_bytes(&self, b: &[u8]) -> bool {
        match self {
            LpEntry::Str(s) => *s == b,
            LpEntry::Int(n) => parse_i64(b) == Some(*n) && b.len() <= 20,
        }
    }
    pub fn append_to(&self, out: &mut Vec<u8>) {
        match self {
            LpEntry::Str(s) => out.extend_from_slice(s),
            LpEntry::Int(n) => fmt_i64(*n, out),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listpack {
    items: Vec<Vec<u8>>,
    bytes: usize,
}

fn entry_size(v: &[u8]) -> usize {
    v.len() + if v.len() < 64 { 2 } else { 4 }
}

impl Listpack {
    pub fn new() -> Self {
        Listpack {
            items: Vec::new(),
            bytes: 7,
        }
    }
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let mut lp = Listpack::new();
        let mut i = 0;
        while i < bytes.len() {
            let n = u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?) as usize;
            lp.push_back(bytes.get(i + 4..i + 4 + n)?);
            i += 4 + n;
        }
        Some(lp)
    }
    pub fn as_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for it in &self.items {
            out.extend_from_slice(&(it.len() as u32).to_le_bytes());
            out.extend_from_slice(it);
        }
        out
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn bytes_len(&self) -> usize {
        self.bytes
    }
    pub fn first(&self) -> Option<usize> {
        (!self.items.is_empty()).then_some(0)
    }
    pub fn last(&self) -> Option<usize> {
        self.items.len().checked_sub(1)
    }
    pub fn next(&self, pos: usize) -> Option<usize> {
        (pos + 1 < self.items.len()).then_some(pos + 1)
    }
    pub fn prev(&self, pos: usize) -> Option<usize> {
        pos.checked_sub(1)
    }
    pub fn get(&self, pos: usize) -> LpEntry<'_> {
        let v = &self.items[pos];
        match parse_i64(v) {
            Some(n) if v.len() <= 20 => LpEntry::Int(n),
            _ => LpEntry::Str(v),
        }
    }
    pub fn seek(&self, index: i64) -> Option<usize> {
        let n = self.items.len() as i64;
        let i = if index < 0 { n + index } else { index };
        (0..n).contains(&i).then_some(i as usize)
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpEntry<'_>> + '_ {
        (0..self.items.len()).map(|i| self.get(i))
    }
    pub fn push_back(&mut self, v: &[u8]) {
        self.bytes += entry_size(v);
        self.items.push(v.to_vec());
    }
    pub fn push_front(&mut self, v: &[u8]) {
        self.bytes += entry_size(v);
        self.items.insert(0, v.to_vec());
    }
    pub fn push_back_int(&mut self, v: i64) {
        let mut b = Vec::new();
        fmt_i64(v, &mut b);
        self.push_back(&b);
    }
    pub fn insert_before(&mut self, pos: usize, v: &[u8]) -> usize {
        self.bytes += entry_size(v);
        self.items.insert(pos, v.to_vec());
        pos
    }
    pub fn insert_after(&mut self, pos: usize, v: &[u8]) -> usize {
        self.bytes += entry_size(v);
        self.items.insert(pos + 1, v.to_vec());
        pos + 1
    }
    pub fn replace(&mut self, pos: usize, v: &[u8]) -> usize {
        self.bytes -= entry_size(&self.items[pos]);
        self.bytes += entry_size(v);
        self.items[pos] = v.to_vec();
        pos
    }
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let old = self.items.remove(pos);
        self.bytes -= entry_size(&old);
        (pos < self.items.len()).then_some(pos)
    }
    pub fn delete_range(&mut self, index: usize, count: usize) {
        let end = (index + count).min(self.items.len());
        for it in self.items.drain(index.min(end)..end) {
            self.bytes -= entry_size(&it);
        }
    }
    pub fn find(&self, pos: usize, v: &[u8], skip: usize) -> Option<usize> {
        let mut i = pos;
        while i < self.items.len() {
            if self.get(i).eq_bytes(v) {
                return Some(i);
            }
            i += 1 + skip;
        }
        None
    }
}
