//! TEMPORARY stand-in for `crate::storage::encodings::listpack` (same API subset, entries
//! in a Vec), until the real listpack is merged into main.
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
            LpEntry::Int(n) => parse_i64(b) == Some(*n),
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
}

impl Listpack {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn bytes_len(&self) -> usize {
        7 + self.items.iter().map(|i| i.len() + 2).sum::<usize>()
    }
    pub fn first(&self) -> Option<usize> {
        (!self.items.is_empty()).then_some(0)
    }
    pub fn next(&self, pos: usize) -> Option<usize> {
        (pos + 1 < self.items.len()).then_some(pos + 1)
    }
    pub fn get(&self, pos: usize) -> LpEntry<'_> {
        let s = &self.items[pos];
        match parse_i64(s) {
            Some(n) => LpEntry::Int(n),
            None => LpEntry::Str(s),
        }
    }
    pub fn seek(&self, index: i64) -> Option<usize> {
        let len = self.items.len() as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpEntry<'_>> {
        (0..self.items.len()).map(|i| self.get(i))
    }
    pub fn push_back(&mut self, v: &[u8]) {
        self.items.push(v.to_vec());
    }
    pub fn replace(&mut self, pos: usize, v: &[u8]) -> usize {
        self.items[pos] = v.to_vec();
        pos
    }
    pub fn delete_range(&mut self, index: usize, count: usize) {
        self.items.drain(index..index + count);
    }
    pub fn find(&self, pos: usize, v: &[u8], skip: usize) -> Option<usize> {
        let mut p = pos;
        while p < self.items.len() {
            if self.get(p).eq_bytes(v) {
                return Some(p);
            }
            p += skip + 1;
        }
        None
    }
}

impl Listpack {
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        self.items.remove(pos);
        (pos < self.items.len()).then_some(pos)
    }
}
