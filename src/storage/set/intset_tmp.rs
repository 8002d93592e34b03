//! TEMPORARY stand-in for `storage::encodings::intset` until it lands on main.
#![allow(dead_code)]

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct IntSet {
    v: Vec<i64>,
}

impl IntSet {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.v.len()
    }
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
    pub fn capacity(&self) -> usize {
        8 + self.v.capacity() * 8
    }
    pub fn contains(&self, x: i64) -> bool {
        self.v.binary_search(&x).is_ok()
    }
    pub fn insert(&mut self, x: i64) -> bool {
        match self.v.binary_search(&x) {
            Ok(_) => false,
            Err(i) => {
                self.v.insert(i, x);
                true
            }
        }
    }
    pub fn remove(&mut self, x: i64) -> bool {
        match self.v.binary_search(&x) {
            Ok(i) => {
                self.v.remove(i);
                true
            }
            Err(_) => false,
        }
    }
    pub fn iter(&self) -> Iter<'_> {
        self.v.iter().copied()
    }
    pub fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<i64> {
        if self.v.is_empty() {
            return None;
        }
        Some(self.v[(rng() % self.v.len() as u64) as usize])
    }
}

pub type Iter<'a> = std::iter::Copied<std::slice::Iter<'a, i64>>;
