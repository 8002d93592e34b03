//! TEMPORARY stand-in (std HashMap) until the incremental-rehash dict lands.
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct Dict<K, V> {
    map: HashMap<K, V>,
}
impl<K: Hash + Eq, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}
impl<K: Hash + Eq, V> Dict<K, V> {
    pub fn new() -> Self {
        Self { map: HashMap::new() }
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn get<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(k)
    }
    pub fn get_mut<Q: ?Sized + Hash + Eq>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.map.get_mut(k)
    }
    pub fn get_key_value<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.map.get_key_value(k)
    }
    pub fn contains_key<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(k)
    }
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.map.insert(k, v)
    }
    pub fn remove<Q: ?Sized + Hash + Eq>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.map.remove_entry(k)
    }
    pub fn get_or_insert_with<F: FnOnce() -> V>(&mut self, k: K, f: F) -> (&mut V, bool) {
        let mut inserted = false;
        let v = self.map.entry(k).or_insert_with(|| {
            inserted = true;
            f()
        });
        (v, inserted)
    }
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> u64 {
        let mut n = 0u64;
        for (k, v) in self.map.iter().skip(cursor as usize).take(10) {
            f(k, v);
            n += 1;
        }
        if cursor + n >= self.map.len() as u64 { 0 } else { cursor + n }
    }
    pub fn random_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<(&K, &V)> {
        if self.map.is_empty() {
            return None;
        }
        let i = (rand() % self.map.len() as u64) as usize;
        self.map.iter().nth(i)
    }
    pub fn sample<'a>(&'a self, count: usize, rand: &mut impl FnMut() -> u64, out: &mut Vec<(&'a K, &'a V)>) {
        for _ in 0..count {
            if let Some(e) = self.random_entry(rand) {
                out.push(e);
            }
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }
    pub fn clear(&mut self) {
        self.map.clear()
    }
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, f: F) {
        self.map.retain(f)
    }
    pub fn rehash_steps(&mut self, _max_steps: usize) -> bool {
        false
    }
    pub fn is_rehashing(&self) -> bool {
        false
    }
    pub fn shrink_if_needed(&mut self) {}
}
