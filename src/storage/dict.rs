//! The keyspace hash table: separate chaining with incremental rehashing, in
//! the manner of Redis's `dict.c`.
//!
//! # Why chaining and incremental rehashing
//!
//! A keyspace grows from nothing to tens of millions of keys while the server
//! must keep answering in microseconds. An open-addressing table (or
//! `std::collections::HashMap`) doubles by moving every entry at once, so one
//! unlucky `SET` pays for rehashing the whole keyspace: hundreds of
//! milliseconds at 10M keys. Here a resize only allocates the new bucket array
//! (zeroed by the allocator, so large arrays come straight from fresh pages
//! and cost nothing up front) and then both arrays live side by side: every
//! mutating call moves one bucket's chain (skipping at most 10 empty buckets),
//! and the server's cron moves more with [`Dict::rehash_steps`]. Lookups search
//! both arrays; new entries always go to the new one, so the old one only
//! drains. The table grows at load factor 1 to twice the entry count, so a
//! rehash always finishes, one step per insert, before the next one is due.
//!
//! Chaining is what makes this cheap: moving a bucket is relinking its nodes,
//! a node never moves in memory, and the bucket an entry lives in is just the
//! low bits of its hash, which SCAN relies on (below).
//!
//! # The SCAN guarantee
//!
//! [`Dict::scan`] is Redis's `dictScan`: the cursor is a bucket index whose
//! bits are incremented from the most significant end ("reverse binary").
//! Because a bucket `i` of a table of size `2^n` splits into exactly the
//! buckets `i + k * 2^n` of any larger table (and they fold back into `i` when
//! it shrinks), counting with the high bits first means that all the buckets
//! already visited, reinterpreted at any other table size, are again a set of
//! already-visited buckets. So every element present for the whole scan is
//! returned at least once, however the table grows or shrinks between calls;
//! an element can be returned more than once after a shrink. While
//! rehashing, one call visits a bucket of the smaller array and every bucket
//! of the larger array it expands to, so an entry is seen wherever it is.
//!
//! # Memory
//!
//! A node is the key, the value and one `next` pointer: the hash is not
//! stored, since it is recomputed only when a rehash moves a node (foldhash
//! is a few nanoseconds) and equal keys are rare enough in a chain that
//! comparing keys directly costs nothing noticeable. A bucket is one nullable
//! pointer (`Option<Box<_>>`, 8 bytes). Between resizes there are 1 to 2
//! buckets per entry, so the structure costs `size_of::<Node>()` plus 8 to 16
//! bytes per entry (32 to 40 bytes for `u64 -> u64`), plus the old array's 8
//! while a grow is in progress; more only after mass deletion, until the cron
//! shrinks the table. Bucket arrays are boxed slices (no capacity word),
//! allocated zeroed and freed without a drop pass once drained, so neither
//! end of a rehash walks a large array in one go. What remains at the end of
//! a rehash is the allocator returning the old array's pages to the kernel
//! (about 1.5 ms for a 64 MiB array). Chains are dropped iteratively, never
//! recursively, so even a pathological chain (a hash flood with a weak
//! hasher) cannot overflow the stack.

use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::iter::{Chain, FusedIterator};
use std::mem;
use std::ptr;
use std::slice;

/// Bucket count of the first allocation (Redis's `DICT_HT_INITIAL_SIZE`).
const INITIAL_SIZE: usize = 4;
/// Empty buckets one rehash step may skip before giving up, so a step over a
/// sparse region stays bounded (Redis's `empty_visits = n * 10`).
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Below this fill (percent) the cron shrinks the table (`HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;
/// Entries sampled by [`Dict::random_entry`] (Redis's `GETFAIR_NUM_ENTRIES`).
const FAIR_SAMPLE: usize = 15;
/// Random bucket probes before [`Dict::random_entry`] falls back to a linear
/// probe, so a hostile or broken `rand` cannot make it loop forever.
const RANDOM_PROBES: usize = 128;

struct Node<K, V> {
    key: K,
    value: V,
    next: Link<K, V>,
}

type Link<K, V> = Option<Box<Node<K, V>>>;

/// One bucket array. `buckets.len()` is 0 or a power of two; `used` counts the
/// nodes reachable from it.
struct Table<K, V> {
    buckets: Box<[Link<K, V>]>,
    used: usize,
}

impl<K, V> Table<K, V> {
    fn empty() -> Self {
        Table {
            buckets: Box::default(),
            used: 0,
        }
    }

    /// `None` when the allocation fails or the size is unrepresentable, so a
    /// failed grow can be skipped rather than abort the server.
    fn try_with_buckets(n: usize) -> Option<Self> {
        Some(Table {
            buckets: alloc_buckets(n)?,
            used: 0,
        })
    }

    /// Index mask; meaningless (all ones) for an empty table, which callers
    /// handle by using `get` or by checking emptiness first.
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn bucket(&self, hash: usize) -> Option<&Link<K, V>> {
        self.buckets.get(hash & self.mask())
    }

    fn bucket_mut(&mut self, hash: usize) -> Option<&mut Link<K, V>> {
        let mask = self.mask();
        self.buckets.get_mut(hash & mask)
    }
}

impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        let mut left = self.used;
        for bucket in self.buckets.iter_mut() {
            if left == 0 {
                break;
            }
            left = left.saturating_sub(drop_chain(bucket.take()));
        }
        free_empty_buckets(mem::take(&mut self.buckets));
    }
}

/// Drops a chain front to back; the derived drop of `Box<Node>` would recurse
/// once per node. Returns the number of nodes dropped.
fn drop_chain<K, V>(mut cur: Link<K, V>) -> usize {
    let mut n = 0;
    while let Some(mut node) = cur {
        cur = node.next.take();
        n += 1;
    }
    n
}

/// Allocates `n` buckets, all `None`, with one zeroed allocation: for large
/// tables the allocator hands out fresh zero pages, so growing a 10M-entry
/// table does not write 128 MiB before the first rehash step.
fn alloc_buckets<K, V>(n: usize) -> Option<Box<[Link<K, V>]>> {
    if n == 0 {
        return Some(Box::default());
    }
    let layout = Layout::array::<Link<K, V>>(n).ok()?;
    // SAFETY: `layout` has a non-zero size: `n > 0` and a link is
    // pointer-sized.
    let raw = unsafe { alloc::alloc_zeroed(layout) }.cast::<Link<K, V>>();
    if raw.is_null() {
        return None;
    }
    // SAFETY: `raw` was just allocated by the global allocator with
    // `Layout::array::<Link>(n)`, which is exactly the layout a `Box<[Link]>`
    // of length `n` deallocates with. Every element is initialised: the bytes
    // are all zero, and Rust guarantees that the all-zero `Option<Box<T>>`
    // (`T: Sized`) is `None` (documented null-pointer optimisation).
    Some(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(raw, n)) })
}

/// Frees a bucket array whose buckets are all `None` without the element-wise
/// drop pass, which for a drained 16M-bucket array would be a 128 MiB read
/// at the end of a rehash. Should a bucket still hold a chain, it is leaked,
/// never freed twice.
fn free_empty_buckets<K, V>(buckets: Box<[Link<K, V>]>) {
    let mut v = buckets.into_vec();
    // SAFETY: 0 <= capacity, and there is no element in `0..0` that would
    // need to be initialised. Elements past the new length are forgotten
    // without being dropped; the caller guarantees they are `None`.
    unsafe { v.set_len(0) };
}

fn hash_of<S: BuildHasher, Q: ?Sized + Hash>(hasher: &S, k: &Q) -> usize {
    // Truncation on 32-bit targets is fine: only the low bits index buckets.
    hasher.hash_one(k) as usize
}

/// Smallest power of two >= `n`, at least [`INITIAL_SIZE`]. Overflow yields a
/// size whose allocation is refused, which callers treat as "do not resize".
fn table_size_for(n: usize) -> usize {
    n.max(INITIAL_SIZE)
        .checked_next_power_of_two()
        .unwrap_or(1 << (usize::BITS - 1))
}

fn find_in<'a, K: Borrow<Q>, V, Q: ?Sized + Eq>(
    t: &'a Table<K, V>,
    hash: usize,
    k: &Q,
) -> Option<&'a Node<K, V>> {
    let mut cur = t.bucket(hash)?.as_deref();
    while let Some(n) = cur {
        if n.key.borrow() == k {
            return Some(n);
        }
        cur = n.next.as_deref();
    }
    None
}

fn find_in_mut<'a, K: Borrow<Q>, V, Q: ?Sized + Eq>(
    t: &'a mut Table<K, V>,
    hash: usize,
    k: &Q,
) -> Option<&'a mut Node<K, V>> {
    let mut cur = t.bucket_mut(hash)?.as_deref_mut();
    while let Some(n) = cur {
        if n.key.borrow() == k {
            return Some(n);
        }
        cur = n.next.as_deref_mut();
    }
    None
}

/// Walks a chain to the node holding `k` (`Ok`) or to the empty link at its
/// tail (`Err`), where a new node can be attached without a second walk.
fn find_slot<'a, K: Borrow<Q>, V, Q: ?Sized + Eq>(
    mut cur: &'a mut Link<K, V>,
    k: &Q,
) -> Result<&'a mut Node<K, V>, &'a mut Link<K, V>> {
    // The key test and the step forward are separate borrows: a match guard
    // would hold the node borrowed across both arms, which NLL rejects.
    while cur.as_deref().is_some_and(|n| n.key.borrow() != k) {
        match cur {
            Some(n) => cur = &mut n.next,
            None => break,
        }
    }
    match cur {
        Some(n) => Ok(n),
        None => Err(cur),
    }
}

/// Detaches the node holding `k` from the chain starting at `cur`.
fn unlink<K: Borrow<Q>, V, Q: ?Sized + Eq>(
    mut cur: &mut Link<K, V>,
    k: &Q,
) -> Option<Box<Node<K, V>>> {
    loop {
        let found = match cur.as_deref() {
            Some(n) => n.key.borrow() == k,
            None => return None,
        };
        if found {
            let mut node = cur.take()?;
            *cur = node.next.take();
            return Some(node);
        }
        match cur {
            Some(n) => cur = &mut n.next,
            None => return None,
        }
    }
}

enum Slot<'a, K, V> {
    Occupied(&'a mut Node<K, V>),
    /// The empty tail link of the key's chain, and the `used` counter of the
    /// table it belongs to.
    Vacant(&'a mut Link<K, V>, &'a mut usize),
}

/// A hash table with incremental rehashing and a resize-proof SCAN; see the
/// module documentation.
pub struct Dict<K, V, S = foldhash::fast::RandomState> {
    /// `ht[1]` is non-empty only while rehashing from `ht[0]` into it.
    ht: [Table<K, V>; 2],
    /// Next `ht[0]` bucket to move; `Some` exactly while rehashing. Buckets
    /// of `ht[0]` below it are empty.
    rehash_idx: Option<usize>,
    hasher: S,
    /// Buckets visited plus nodes moved by rehashing, so tests can bound the
    /// work any single call does.
    #[cfg(test)]
    rehash_work: u64,
}

impl<K, V, S: Default> Default for Dict<K, V, S> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Dict<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V, S> Dict<K, V, S> {
    /// An empty table using `hasher`; allocates nothing until the first insert.
    pub fn with_hasher(hasher: S) -> Self {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: None,
            hasher,
            #[cfg(test)]
            rehash_work: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Approximate heap bytes of the structure itself: both bucket arrays
    /// plus one node allocation per entry (not memory owned by keys/values,
    /// nor allocator rounding).
    pub fn table_bytes(&self) -> usize {
        let buckets = self.ht[0].buckets.len() + self.ht[1].buckets.len();
        buckets * mem::size_of::<Link<K, V>>() + self.len() * mem::size_of::<Node<K, V>>()
    }

    /// Iterates over all entries in bucket order (arbitrary but stable while
    /// the table is not mutated).
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            buckets: self.ht[0].buckets.iter().chain(self.ht[1].buckets.iter()),
            node: None,
            remaining: self.len(),
        }
    }

    /// Like [`Dict::iter`] with mutable values.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let [t0, t1] = &mut self.ht;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            node: None,
            remaining,
        }
    }

    /// Drops every entry and releases both bucket arrays. O(n), like Redis's
    /// synchronous FLUSHALL.
    pub fn clear(&mut self) {
        // Replace first, drop after: the dict is consistent even if a key's
        // or value's destructor panics.
        let old = mem::replace(&mut self.ht, [Table::empty(), Table::empty()]);
        self.rehash_idx = None;
        drop(old);
    }

    /// Removes every entry for which `f` returns false. Visits each entry
    /// once, in both arrays when rehashing; does no rehash work.
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, mut f: F) {
        for t in &mut self.ht {
            let Table { buckets, used } = t;
            for bucket in buckets.iter_mut() {
                if *used == 0 {
                    break;
                }
                let mut cur = bucket;
                // Decide while the node is still linked, so a panicking `f`
                // leaves the chain and the counts intact.
                while let Some(keep) = cur.as_deref_mut().map(|n| f(&n.key, &mut n.value)) {
                    if keep {
                        match cur {
                            Some(n) => cur = &mut n.next,
                            None => break,
                        }
                    } else if let Some(mut node) = cur.take() {
                        *cur = node.next.take();
                        *used -= 1;
                        drop(node);
                    }
                }
            }
        }
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> Dict<K, V, S> {
    pub fn new() -> Self {
        Self::with_hasher(S::default())
    }

    /// Pre-sizes the table so `n` entries fit without a resize. An impossible
    /// size is ignored (the table then grows on demand) rather than aborting.
    pub fn with_capacity(n: usize) -> Self {
        let mut d = Self::new();
        if n > 0
            && let Some(t) = Table::try_with_buckets(table_size_for(n))
        {
            d.ht[0] = t;
        }
        d
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Dict<K, V, S> {
    pub fn get<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(k).map(|n| &n.value)
    }

    /// Does one rehash step first, as every mutating call does.
    pub fn get_mut<Q: ?Sized + Hash + Eq>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_of(&self.hasher, k);
        let rehashing = self.rehash_idx.is_some();
        let [t0, t1] = &mut self.ht;
        if let Some(n) = find_in_mut(t0, h, k) {
            return Some(&mut n.value);
        }
        if rehashing {
            find_in_mut(t1, h, k).map(|n| &mut n.value)
        } else {
            None
        }
    }

    pub fn get_key_value<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.find(k).map(|n| (&n.key, &n.value))
    }

    pub fn contains_key<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(k).is_some()
    }

    /// Inserts or replaces the value (keeping the existing key object);
    /// returns the old value.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.slot(&k) {
            Slot::Occupied(n) => Some(mem::replace(&mut n.value, v)),
            Slot::Vacant(link, used) => {
                *link = Some(Box::new(Node {
                    key: k,
                    value: v,
                    next: None,
                }));
                *used += 1;
                None
            }
        }
    }

    /// Returns the existing value or inserts the one made by `f`; the bool is
    /// true when inserted.
    pub fn get_or_insert_with<F: FnOnce() -> V>(&mut self, k: K, f: F) -> (&mut V, bool) {
        match self.slot(&k) {
            Slot::Occupied(n) => (&mut n.value, false),
            Slot::Vacant(link, used) => {
                let value = f();
                *used += 1;
                let node = link.insert(Box::new(Node {
                    key: k,
                    value,
                    next: None,
                }));
                (&mut node.value, true)
            }
        }
    }

    pub fn remove<Q: ?Sized + Hash + Eq>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_of(&self.hasher, k);
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        for t in &mut self.ht[..tables] {
            if let Some(node) = t.bucket_mut(h).and_then(|b| unlink(b, k)) {
                t.used -= 1;
                let Node { key, value, .. } = *node;
                return Some((key, value));
            }
        }
        None
    }

    /// One SCAN step with Redis `dictScan` semantics: cursor 0 starts a scan,
    /// the returned cursor continues it, 0 means done. Calls `f` for every
    /// entry of the visited bucket(s), at least one bucket per call. Every
    /// entry present from the first call to the last is reported at least
    /// once, whatever resizes happen in between; some may be reported twice.
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut emit = |link: Option<&Link<K, V>>| {
            let mut cur = link.and_then(|l| l.as_deref());
            while let Some(n) = cur {
                f(&n.key, &n.value);
                cur = n.next.as_deref();
            }
        };
        // Increment the cursor from its most significant bucket bit down:
        // set the bits above the mask so the carry runs off the top.
        let next = |v: u64, mask: u64| (v | !mask).reverse_bits().wrapping_add(1).reverse_bits();
        let mut v = cursor;
        if self.rehash_idx.is_none() {
            let t = &self.ht[0];
            let m = t.mask() as u64;
            emit(t.buckets.get((v & m) as usize));
            return next(v, m);
        }
        let (small, large) = if self.ht[0].buckets.len() <= self.ht[1].buckets.len() {
            (&self.ht[0], &self.ht[1])
        } else {
            (&self.ht[1], &self.ht[0])
        };
        let (m0, m1) = (small.mask() as u64, large.mask() as u64);
        emit(small.buckets.get((v & m0) as usize));
        // Then every bucket of the larger array that `v & m0` expands to:
        // they differ only in the bits of `m1` above `m0`.
        loop {
            emit(large.buckets.get((v & m1) as usize));
            v = next(v, m1);
            if v & (m0 ^ m1) == 0 {
                break;
            }
        }
        v
    }

    /// A random entry, close to uniform (Redis `dictGetFairRandomKey`: pick
    /// one of a few entries gathered from consecutive random buckets, so an
    /// entry in a long chain is not favoured over one alone in its bucket).
    /// `None` when empty. Terminates whatever `rand` returns.
    pub fn random_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let mut buf: [Option<(&K, &V)>; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let mut n = 0;
        self.sample_each(FAIR_SAMPLE, rand, |k, v| {
            if let Some(slot) = buf.get_mut(n) {
                *slot = Some((k, v));
                n += 1;
            }
        });
        if n > 0 {
            return buf[(rand() % n as u64) as usize];
        }
        self.random_bucket_entry(rand)
    }

    /// Appends up to `count` distinct entries taken from consecutive buckets
    /// starting at a random one (Redis `dictGetSomeKeys`, for eviction and
    /// expiry sampling). May append fewer: it looks at no more than
    /// `10 * count` bucket positions. Does not clear `out`.
    pub fn sample<'a>(
        &'a self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
        out: &mut Vec<(&'a K, &'a V)>,
    ) {
        self.sample_each(count, rand, |k, v| out.push((k, v)));
    }

    /// Does about `max_steps` buckets of rehash work (each step moves one
    /// non-empty bucket, skipping at most 10 empty ones). Returns whether
    /// rehashing is still in progress.
    pub fn rehash_steps(&mut self, max_steps: usize) -> bool {
        self.rehash(max_steps)
    }

    /// Starts an incremental shrink when under 10% of the buckets would be
    /// used (Redis `htNeedsResize`); meant to be called from cron. An empty
    /// table releases its buckets at once.
    pub fn shrink_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let (size, used) = (self.ht[0].buckets.len(), self.ht[0].used);
        if size <= INITIAL_SIZE || used.saturating_mul(100 / MIN_FILL_PERCENT) >= size {
            return;
        }
        if used == 0 {
            self.ht[0] = Table::empty();
        } else {
            self.start_resize(table_size_for(used));
        }
    }

    fn find<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<&Node<K, V>>
    where
        K: Borrow<Q>,
    {
        if self.is_empty() {
            return None;
        }
        let h = hash_of(&self.hasher, k);
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        self.ht[..tables].iter().find_map(|t| find_in(t, h, k))
    }

    /// Finds where `k` lives or where it would be attached, doing the
    /// insert-path housekeeping first (Redis `dictAddRaw` order: a rehash
    /// step, then the growth check), so the slot is in the array new entries
    /// belong to.
    fn slot(&mut self, k: &K) -> Slot<'_, K, V> {
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_of(&self.hasher, k);
        let rehashing = self.rehash_idx.is_some();
        let [t0, t1] = &mut self.ht;
        let target = if rehashing {
            if let Some(n) = find_in_mut(t0, h, k) {
                return Slot::Occupied(n);
            }
            t1
        } else {
            t0
        };
        let Table { buckets, used } = target;
        let mask = buckets.len().wrapping_sub(1);
        // `expand_if_needed` left the target array non-empty (or aborted on
        // allocation failure), so the masked index is in bounds.
        match find_slot(&mut buckets[h & mask], k) {
            Ok(n) => Slot::Occupied(n),
            Err(tail) => Slot::Vacant(tail, used),
        }
    }

    /// Grows at load factor 1 to the next power of two >= 2 * len. Never
    /// while rehashing: the current rehash finishes first (it always does,
    /// one step per insert, before the new array fills up).
    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let t0 = &self.ht[0];
        if t0.buckets.is_empty() {
            self.start_resize(INITIAL_SIZE);
            if self.ht[0].buckets.is_empty() {
                // No bucket to put the entry in: out of memory, as Box::new
                // would report it.
                alloc::handle_alloc_error(Layout::new::<[Link<K, V>; INITIAL_SIZE]>());
            }
        } else if t0.used >= t0.buckets.len() {
            self.start_resize(table_size_for(t0.used.saturating_mul(2)));
        }
    }

    /// Allocates a `size`-bucket array and starts rehashing into it (or just
    /// installs it if there is nothing to move). Allocation failure leaves
    /// the table as it is: a fuller table beats an aborted server.
    fn start_resize(&mut self, size: usize) {
        debug_assert!(self.rehash_idx.is_none());
        if size == self.ht[0].buckets.len() {
            return;
        }
        let Some(t) = Table::try_with_buckets(size) else {
            return;
        };
        if self.ht[0].used == 0 {
            self.ht[0] = t;
        } else {
            self.ht[1] = t;
            self.rehash_idx = Some(0);
        }
    }

    fn rehash_step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(1);
        }
    }

    /// Moves up to `n` non-empty buckets from `ht[0]` to `ht[1]`, visiting at
    /// most `10 * n` empty ones. Returns whether rehashing is still ongoing.
    fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n.saturating_mul(EMPTY_VISITS_PER_STEP);
        let mut steps = n;
        let hasher = &self.hasher;
        let [t0, t1] = &mut self.ht;
        let mask1 = t1.mask();
        while steps > 0 && t0.used > 0 && idx < t0.buckets.len() {
            #[cfg(test)]
            {
                self.rehash_work += 1;
            }
            let bucket = &mut t0.buckets[idx];
            if bucket.is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    break;
                }
                continue;
            }
            // Unlink one node at a time with the counts updated before the
            // user's `Hash` runs: a panic there loses only that node.
            while let Some(mut node) = bucket.take() {
                *bucket = node.next.take();
                t0.used -= 1;
                #[cfg(test)]
                {
                    self.rehash_work += 1;
                }
                let dst = &mut t1.buckets[hash_of(hasher, &node.key) & mask1];
                node.next = dst.take();
                *dst = Some(node);
                t1.used += 1;
            }
            idx += 1;
            steps -= 1;
        }
        if t0.used == 0 || idx >= t0.buckets.len() {
            let new = mem::replace(t1, Table::empty());
            // The old array is drained, so its drop frees it without a pass.
            drop(mem::replace(t0, new));
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Calls `emit` for up to `count` distinct entries from consecutive bucket
    /// positions starting at a random one; returns how many. Positions index
    /// both arrays at once while rehashing, and an entry lives in exactly one
    /// bucket, so visiting each position at most once rules out repeats.
    fn sample_each<'a>(
        &'a self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
        mut emit: impl FnMut(&'a K, &'a V),
    ) -> usize {
        let count = count.min(self.len());
        if count == 0 {
            return 0;
        }
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        let tables = &self.ht[..tables];
        let span = tables.iter().map(|t| t.buckets.len()).max().unwrap_or(0);
        if span == 0 {
            return 0;
        }
        let mask = span - 1;
        let drained_below = self.rehash_idx.unwrap_or(0);
        let mut i = rand() as usize & mask;
        let mut stored = 0;
        for _ in 0..count.saturating_mul(10).min(span) {
            for (j, t) in tables.iter().enumerate() {
                if j == 0 && i < drained_below {
                    continue;
                }
                let mut cur = t.buckets.get(i).and_then(|b| b.as_deref());
                while let Some(n) = cur {
                    emit(&n.key, &n.value);
                    stored += 1;
                    if stored == count {
                        return stored;
                    }
                    cur = n.next.as_deref();
                }
            }
            i = (i + 1) & mask;
        }
        stored
    }

    /// Redis `dictGetRandomKey`: a random non-empty bucket, then a random
    /// entry of its chain. Only used when sampling found nothing, i.e. in a
    /// very sparse table.
    fn random_bucket_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<(&K, &V)> {
        // Positions index ht[0] then ht[1]; ht[0] below the rehash index is
        // known empty.
        let start = self.rehash_idx.unwrap_or(0);
        let n0 = self.ht[0].buckets.len();
        let end = n0 + self.ht[1].buckets.len();
        let span = end.checked_sub(start).filter(|&s| s > 0)? as u64;
        let at = |p: usize| -> Option<&Node<K, V>> {
            match p.checked_sub(n0) {
                None => self.ht[0].buckets.get(p)?.as_deref(),
                Some(q) => self.ht[1].buckets.get(q)?.as_deref(),
            }
        };
        let mut head = None;
        for _ in 0..RANDOM_PROBES {
            head = at(start + (rand() % span) as usize);
            if head.is_some() {
                break;
            }
        }
        if head.is_none() {
            let first = rand() % span;
            head = (0..span).find_map(|off| at(start + ((first + off) % span) as usize));
        }
        let head = head?;
        let mut chain_len = 0u64;
        let mut cur = Some(head);
        while let Some(n) = cur {
            chain_len += 1;
            cur = n.next.as_deref();
        }
        let mut n = head;
        for _ in 0..rand() % chain_len {
            n = n.next.as_deref()?;
        }
        Some((&n.key, &n.value))
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Extend<(K, V)> for Dict<K, V, S> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> FromIterator<(K, V)> for Dict<K, V, S> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut d = Self::new();
        d.extend(iter);
        d
    }
}

impl<'a, K, V, S> IntoIterator for &'a Dict<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, S> IntoIterator for &'a mut Dict<K, V, S> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

type Buckets<'a, K, V> = Chain<slice::Iter<'a, Link<K, V>>, slice::Iter<'a, Link<K, V>>>;
type BucketsMut<'a, K, V> = Chain<slice::IterMut<'a, Link<K, V>>, slice::IterMut<'a, Link<K, V>>>;

/// Iterator returned by [`Dict::iter`].
pub struct Iter<'a, K, V> {
    buckets: Buckets<'a, K, V>,
    node: Option<&'a Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((&n.key, &n.value));
            }
            if self.remaining == 0 {
                // Skip the trailing empty buckets of a sparse table.
                return None;
            }
            self.node = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            buckets: self.buckets.clone(),
            node: self.node,
            remaining: self.remaining,
        }
    }
}

/// Iterator returned by [`Dict::iter_mut`].
pub struct IterMut<'a, K, V> {
    buckets: BucketsMut<'a, K, V>,
    node: Option<&'a mut Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node.take() {
                let Node { key, value, next } = n;
                self.node = next.as_deref_mut();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((key, value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.node = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}
impl<K, V> FusedIterator for IterMut<'_, K, V> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::hash::{BuildHasherDefault, Hasher};

    /// xorshift64*: deterministic and dependency-free.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    type Fixed = foldhash::fast::FixedState;

    /// Only 13 distinct hash values: long chains, and a table that is mostly
    /// empty buckets, which exercises the empty-visit limit of rehash steps.
    #[derive(Default)]
    struct CollideHasher(u64);

    impl Hasher for CollideHasher {
        fn finish(&self) -> u64 {
            self.0 % 13
        }
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 = self.0.wrapping_mul(31).wrapping_add(u64::from(*b));
            }
        }
    }

    type Colliding = BuildHasherDefault<CollideHasher>;

    /// Every key hashes to 0: one chain holds everything.
    #[derive(Default)]
    struct ZeroHasher;

    impl Hasher for ZeroHasher {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, _: &[u8]) {}
    }

    fn check_invariants<K: Hash + Eq, V, S: BuildHasher>(d: &Dict<K, V, S>) {
        for (ti, t) in d.ht.iter().enumerate() {
            assert!(t.buckets.is_empty() || t.buckets.len().is_power_of_two());
            let mut count = 0;
            for (i, b) in t.buckets.iter().enumerate() {
                let mut cur = b.as_deref();
                while let Some(n) = cur {
                    assert_eq!(
                        hash_of(&d.hasher, &n.key) & t.mask(),
                        i,
                        "node in wrong bucket"
                    );
                    count += 1;
                    cur = n.next.as_deref();
                }
            }
            assert_eq!(count, t.used, "used count of ht[{ti}]");
        }
        match d.rehash_idx {
            None => assert!(d.ht[1].buckets.is_empty()),
            Some(i) => {
                assert!(!d.ht[1].buckets.is_empty());
                assert!(d.ht[0].buckets[..i].iter().all(Option::is_none));
            }
        }
        assert_eq!(d.iter().count(), d.len());
        assert_eq!(d.iter().len(), d.len());
    }

    fn assert_same(d: &Dict<u64, u64, impl BuildHasher>, m: &HashMap<u64, u64>) {
        assert_eq!(d.len(), m.len());
        for (k, v) in m {
            assert_eq!(d.get(k), Some(v));
        }
        for (k, v) in d.iter() {
            assert_eq!(m.get(k), Some(v));
        }
    }

    fn model_test<S: BuildHasher + Default>(seed: u64, ops: usize, key_space: u64) {
        let mut rng = Rng::new(seed);
        let mut d: Dict<u64, u64, S> = Dict::new();
        let mut m: HashMap<u64, u64> = HashMap::new();
        let (mut grow_rehash, mut shrink_rehash) = (0, 0);
        for round in 0..ops {
            let k = rng.below(key_space);
            let v = rng.next();
            match rng.below(100) {
                0..35 => assert_eq!(d.insert(k, v), m.insert(k, v)),
                35..55 => assert_eq!(d.remove(&k), m.remove(&k).map(|old| (k, old))),
                55..62 => {
                    assert_eq!(d.get(&k), m.get(&k));
                    assert_eq!(d.contains_key(&k), m.contains_key(&k));
                    assert_eq!(d.get_key_value(&k), m.get_key_value(&k));
                }
                62..70 => {
                    let a = d.get_mut(&k).map(|x| {
                        *x = x.wrapping_add(1);
                        *x
                    });
                    let b = m.get_mut(&k).map(|x| {
                        *x = x.wrapping_add(1);
                        *x
                    });
                    assert_eq!(a, b);
                }
                70..80 => {
                    let expected_new = !m.contains_key(&k);
                    let (x, inserted) = d.get_or_insert_with(k, || v);
                    assert_eq!(inserted, expected_new);
                    *x ^= 1;
                    let y = m.entry(k).or_insert(v);
                    *y ^= 1;
                    assert_eq!(*x, *y);
                }
                80 => {
                    let r = rng.below(5) + 2;
                    let keep = |k: &u64, v: &mut u64| {
                        *v = v.wrapping_add(3);
                        !(k ^ *v).is_multiple_of(r)
                    };
                    d.retain(keep);
                    m.retain(keep);
                }
                81..85 => {
                    d.rehash_steps(rng.below(8) as usize);
                }
                85..88 => d.shrink_if_needed(),
                88 => {
                    // Mass deletion, so that shrinks happen.
                    let victims: Vec<u64> =
                        m.keys().copied().filter(|_| rng.below(10) != 0).collect();
                    for k in victims {
                        assert_eq!(d.remove(&k), m.remove(&k).map(|old| (k, old)));
                    }
                }
                89..92 => {
                    // Bursts, so that growth happens with rehashing underway.
                    for _ in 0..rng.below(key_space / 4 + 1) {
                        let (k, v) = (rng.below(key_space), rng.next());
                        assert_eq!(d.insert(k, v), m.insert(k, v));
                    }
                }
                92 if rng.below(10) == 0 => {
                    d.clear();
                    m.clear();
                }
                _ => {}
            }
            if d.rehash_idx.is_some() {
                if d.ht[0].buckets.len() < d.ht[1].buckets.len() {
                    grow_rehash += 1;
                } else {
                    shrink_rehash += 1;
                }
            }
            if round % 97 == 0 {
                assert_same(&d, &m);
                check_invariants(&d);
            }
        }
        assert_same(&d, &m);
        check_invariants(&d);
        assert!(grow_rehash > 0, "never operated during a grow");
        assert!(shrink_rehash > 0, "never operated during a shrink");
    }

    #[test]
    fn model_matches_hashmap() {
        for seed in 0..6 {
            model_test::<Fixed>(seed, 20_000, 3_000);
        }
        model_test::<foldhash::fast::RandomState>(99, 20_000, 20_000);
    }

    #[test]
    fn model_matches_hashmap_with_colliding_hasher() {
        for seed in 0..3 {
            model_test::<Colliding>(seed, 10_000, 400);
        }
    }

    #[test]
    fn growth_follows_load_factor_one() {
        let mut d: Dict<u64, u64, Fixed> = Dict::new();
        assert_eq!(d.table_bytes(), 0);
        for k in 0..4 {
            d.insert(k, k);
        }
        assert_eq!(d.ht[0].buckets.len(), 4);
        assert!(!d.is_rehashing());
        d.insert(4, 4);
        assert!(d.is_rehashing());
        assert_eq!(d.ht[1].buckets.len(), 8);
        while d.rehash_steps(1) {}
        assert_eq!(d.ht[0].buckets.len(), 8);
        check_invariants(&d);

        let mut d: Dict<u64, u64, Fixed> = Dict::with_capacity(1000);
        assert_eq!(d.ht[0].buckets.len(), 1024);
        for k in 0..1000 {
            d.insert(k, k);
            assert!(!d.is_rehashing());
        }
        assert_eq!(
            d.table_bytes(),
            1024 * mem::size_of::<Link<u64, u64>>() + 1000 * mem::size_of::<Node<u64, u64>>()
        );
        // An impossible capacity is a hint, not a crash.
        let d: Dict<u64, u64, Fixed> = Dict::with_capacity(usize::MAX);
        assert!(d.is_empty());
    }

    #[test]
    fn shrink_is_incremental_and_releases_empty_tables() {
        let mut d: Dict<u64, u64, Fixed> = Dict::new();
        for k in 0..10_000 {
            d.insert(k, k);
        }
        while d.rehash_steps(100) {}
        let before = d.table_bytes();
        d.shrink_if_needed();
        assert!(!d.is_rehashing(), "full table must not shrink");
        for k in 50..10_000 {
            d.remove(&k);
        }
        while d.rehash_steps(100) {}
        d.shrink_if_needed();
        assert!(d.is_rehashing());
        // Still readable mid-shrink, from both arrays.
        for k in 0..50 {
            assert_eq!(d.get(&k), Some(&k));
        }
        while d.rehash_steps(1) {}
        assert_eq!(d.ht[0].buckets.len(), 64);
        assert!(d.table_bytes() < before / 100);
        check_invariants(&d);
        for k in 0..50 {
            d.remove(&k);
        }
        d.shrink_if_needed();
        assert_eq!(d.table_bytes(), 0);
        d.insert(7, 7);
        assert_eq!(d.get(&7), Some(&7));
    }

    #[test]
    fn borrowed_lookups_and_key_identity() {
        let mut d: Dict<String, Vec<u8>> = Dict::new();
        d.insert("alpha".to_string(), b"1".to_vec());
        assert_eq!(d.get("alpha").map(Vec::as_slice), Some(&b"1"[..]));
        assert!(d.contains_key("alpha"));
        d.get_mut("alpha").unwrap().push(b'2');
        let (v, inserted) = d.get_or_insert_with("alpha".to_string(), || unreachable!());
        assert!(!inserted);
        assert_eq!(v, b"12");
        let (v, inserted) = d.get_or_insert_with("beta".to_string(), Vec::new);
        assert!(inserted);
        v.push(9);
        assert_eq!(d.remove("beta"), Some(("beta".to_string(), vec![9])));
        assert_eq!(d.remove("beta"), None);

        // insert keeps the existing key object and returns the old value.
        #[derive(Debug)]
        struct Tagged(u64, u32);
        impl PartialEq for Tagged {
            fn eq(&self, o: &Self) -> bool {
                self.0 == o.0
            }
        }
        impl Eq for Tagged {}
        impl Hash for Tagged {
            fn hash<H: Hasher>(&self, h: &mut H) {
                self.0.hash(h)
            }
        }
        let mut d: Dict<Tagged, &str> = Dict::new();
        assert_eq!(d.insert(Tagged(1, 1), "a"), None);
        assert_eq!(d.insert(Tagged(1, 2), "b"), Some("a"));
        let (k, v) = d.get_key_value(&Tagged(1, 0)).unwrap();
        assert_eq!((k.1, *v), (1, "b"));
    }

    #[test]
    fn iterators_cover_both_tables() {
        let mut d: Dict<u64, u64, Fixed> = (0..100).map(|k| (k, k)).collect();
        while !d.is_rehashing() {
            let k = d.len() as u64;
            d.insert(k, k);
        }
        let n = d.len() as u64;
        for (_, v) in d.iter_mut() {
            *v += 1;
        }
        for (k, v) in &mut d {
            *v += *k;
        }
        let mut all: Vec<(u64, u64)> = d.iter().map(|(k, v)| (*k, *v)).collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).map(|k| (k, 2 * k + 1)).collect::<Vec<_>>());
        assert_eq!(format!("{:?}", Dict::<u8, u8, Fixed>::new()), "{}");
    }

    /// Scans to completion with no mutation; returns how often each key was
    /// reported.
    fn full_scan<S: BuildHasher>(d: &Dict<u64, u64, S>) -> HashMap<u64, usize> {
        let mut seen = HashMap::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |k, _| *seen.entry(*k).or_insert(0) += 1);
            calls += 1;
            assert!(calls <= d.ht[0].buckets.len().max(d.ht[1].buckets.len()).max(1));
            if cursor == 0 {
                return seen;
            }
        }
    }

    #[test]
    fn scan_without_mutation_returns_every_key_once() {
        for n in [0u64, 1, 3, 4, 5, 17, 100, 1000, 10_000] {
            let mut d: Dict<u64, u64, Fixed> = Dict::new();
            for k in 0..n {
                d.insert(k, k);
            }
            while d.rehash_steps(100) {}
            let seen = full_scan(&d);
            assert_eq!(seen.len() as u64, n);
            assert!(seen.values().all(|&c| c == 1));
        }
        // Frozen mid-grow and mid-shrink: buckets of both arrays are covered.
        let mut d: Dict<u64, u64, Fixed> = Dict::new();
        let mut k = 0;
        while !(d.is_rehashing() && d.len() > 1000) {
            d.insert(k, k);
            k += 1;
        }
        let seen = full_scan(&d);
        assert_eq!(seen.len(), d.len());
        assert!(seen.values().all(|&c| c == 1));
        while d.rehash_steps(100) {}
        for j in 20..k {
            d.remove(&j);
        }
        while d.rehash_steps(100) {}
        d.shrink_if_needed();
        d.rehash_steps(3);
        assert!(d.is_rehashing() && d.ht[0].buckets.len() > d.ht[1].buckets.len());
        let seen = full_scan(&d);
        assert_eq!(seen.len(), 20);
        assert!(seen.values().all(|&c| c == 1));
        // Any cursor, even one never returned, is safe and terminates.
        let mut c = u64::MAX;
        for _ in 0..100_000 {
            c = d.scan(c, |_, _| {});
            if c == 0 {
                break;
            }
        }
        assert_eq!(c, 0);
    }

    #[derive(Default)]
    struct ScanStats {
        during_grow: usize,
        during_shrink: usize,
    }

    /// One scan interleaved with random growth, mass deletion, shrinking and
    /// partial rehashing. Keys present for the whole scan must be reported.
    fn scan_under_mutation<S: BuildHasher + Default>(seed: u64, stats: &mut ScanStats) {
        let mut rng = Rng::new(seed);
        let mut d: Dict<u64, u64, S> = Dict::new();
        let mut next_key = 0u64;
        let initial = rng.below(3000) + 1;
        for _ in 0..initial {
            d.insert(next_key, 0);
            next_key += 1;
        }
        if rng.below(2) == 0 {
            while d.rehash_steps(100) {}
        }
        // A quarter of the initial keys are never touched; the rest churn.
        let protected: Vec<u64> = (0..initial).filter(|k| k % 4 == 0).collect();
        let mut churn: Vec<u64> = (0..initial).filter(|k| k % 4 != 0).collect();
        let mut ever_deleted = HashSet::new();
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            if d.rehash_idx.is_some() {
                if d.ht[0].buckets.len() < d.ht[1].buckets.len() {
                    stats.during_grow += 1;
                } else {
                    stats.during_shrink += 1;
                }
            }
            cursor = d.scan(cursor, |k, _| {
                seen.insert(*k);
            });
            calls += 1;
            assert!(calls < 1_000_000, "scan does not terminate");
            if cursor == 0 {
                break;
            }
            match rng.below(8) {
                0 if d.len() < 2_000 => {
                    // Growth, possibly several doublings in one go.
                    for _ in 0..rng.below(2 * d.len() as u64 + 10) {
                        d.insert(next_key, 0);
                        churn.push(next_key);
                        next_key += 1;
                    }
                }
                1 => {
                    // Delete nearly every churn key, then shrink.
                    let keep = rng.below(churn.len() as u64 / 20 + 1) as usize;
                    while churn.len() > keep {
                        let i = rng.below(churn.len() as u64) as usize;
                        let k = churn.swap_remove(i);
                        assert!(d.remove(&k).is_some());
                        ever_deleted.insert(k);
                    }
                    if rng.below(2) == 0 {
                        d.rehash_steps(rng.below(1000) as usize);
                    }
                    d.shrink_if_needed();
                }
                2 | 3 => {
                    d.rehash_steps(rng.below(20) as usize);
                }
                4 => {
                    d.shrink_if_needed();
                    d.rehash_steps(rng.below(4) as usize);
                }
                5 => {
                    for _ in 0..rng.below(50) {
                        if rng.below(2) == 0 && !churn.is_empty() {
                            let i = rng.below(churn.len() as u64) as usize;
                            let k = churn.swap_remove(i);
                            d.remove(&k);
                            ever_deleted.insert(k);
                        } else {
                            d.insert(next_key, 0);
                            churn.push(next_key);
                            next_key += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        for k in &protected {
            assert!(seen.contains(k), "seed {seed}: protected key {k} missed");
        }
        for k in 0..initial {
            assert!(
                ever_deleted.contains(&k) || seen.contains(&k),
                "seed {seed}: key {k} missed"
            );
        }
        check_invariants(&d);
    }

    #[test]
    fn scan_guarantee_under_growth_and_shrink() {
        let mut stats = ScanStats::default();
        for seed in 0..60 {
            scan_under_mutation::<Fixed>(seed, &mut stats);
        }
        for seed in 0..10 {
            scan_under_mutation::<Colliding>(seed, &mut stats);
        }
        assert!(stats.during_grow > 100, "{}", stats.during_grow);
        assert!(stats.during_shrink > 100, "{}", stats.during_shrink);
    }

    #[test]
    fn random_entry_and_sample_return_present_entries() {
        let mut rng = Rng::new(7);
        let mut rand = || rng.next();
        let mut d: Dict<u64, u64, Fixed> = Dict::new();
        let mut out = Vec::new();
        assert!(d.random_entry(&mut rand).is_none());
        d.sample(10, &mut rand, &mut out);
        assert!(out.is_empty());
        d.insert(1, 1);
        d.remove(&1);
        assert!(d.random_entry(&mut rand).is_none());

        let check = |d: &Dict<u64, u64, Fixed>, rand: &mut dyn FnMut() -> u64| {
            let mut rand = || rand();
            for _ in 0..200 {
                let (k, v) = d.random_entry(&mut rand).unwrap();
                assert_eq!(d.get(k), Some(v));
            }
            for count in [0, 1, 5, 20, 100] {
                let mut out = vec![(&u64::MAX, &u64::MAX)];
                d.sample(count, &mut rand, &mut out);
                assert_eq!(out[0].0, &u64::MAX, "sample must append");
                let got = &out[1..];
                assert!(got.len() <= count.min(d.len()));
                let distinct: HashSet<u64> = got.iter().map(|(k, _)| **k).collect();
                assert_eq!(distinct.len(), got.len(), "sample repeated an entry");
                for (k, v) in got {
                    assert_eq!(d.get(*k), Some(*v));
                }
            }
        };

        for k in 0..1000 {
            d.insert(k, k * 10);
        }
        while d.rehash_steps(100) {}
        check(&d, &mut rand);
        // A dense table yields full samples.
        let mut out = Vec::new();
        d.sample(20, &mut rand, &mut out);
        assert_eq!(out.len(), 20);

        // Mid-grow.
        let mut k = 1000;
        while !d.is_rehashing() {
            d.insert(k, k * 10);
            k += 1;
        }
        d.rehash_steps(100);
        assert!(d.is_rehashing());
        check(&d, &mut rand);

        // Mid-shrink, and very sparse: sampling may come back empty, then the
        // random-bucket fallback still finds the few entries.
        while d.rehash_steps(100) {}
        for j in 3..k {
            d.remove(&j);
        }
        while d.rehash_steps(100) {}
        check(&d, &mut rand);
        d.shrink_if_needed();
        d.rehash_steps(1);
        assert!(d.is_rehashing());
        check(&d, &mut rand);

        // A degenerate source of randomness still terminates.
        let mut zero = || 0u64;
        assert!(d.random_entry(&mut zero).is_some());
        let mut max = || u64::MAX;
        assert!(d.random_entry(&mut max).is_some());

        // Close to uniform with a good hash, at high and at low fill.
        for (n, extra) in [(1000u64, 0u64), (1000, 20_000)] {
            let mut c: Dict<u64, u64, Fixed> = Dict::new();
            for k in 0..n + extra {
                c.insert(k, k);
            }
            for k in n..n + extra {
                c.remove(&k);
            }
            while c.rehash_steps(100) {}
            let mut hits = vec![0u32; n as usize];
            for _ in 0..100 * n {
                hits[*c.random_entry(&mut rand).unwrap().0 as usize] += 1;
            }
            let (lo, hi) = (hits.iter().min().unwrap(), hits.iter().max().unwrap());
            assert!(*lo >= 30 && *hi <= 300, "{lo}..{hi}");
        }
        // Every entry reachable even when all sit in a few long chains.
        let mut c: Dict<u64, u64, Colliding> = Dict::new();
        for k in 0..40 {
            c.insert(k, k);
        }
        let mut hits = [0u32; 40];
        for _ in 0..40_000 {
            hits[*c.random_entry(&mut rand).unwrap().0 as usize] += 1;
        }
        assert!(hits.iter().all(|&h| h > 0), "{hits:?}");
    }

    #[test]
    fn no_single_insert_does_linear_work() {
        let mut d: Dict<u64, u64> = Dict::new();
        let mut max_work = 0;
        let mut rehashing_inserts = 0;
        for k in 0..1_000_000u64 {
            let before = d.rehash_work;
            d.insert(k, k);
            max_work = max_work.max(d.rehash_work - before);
            rehashing_inserts += usize::from(d.is_rehashing());
        }
        assert_eq!(d.len(), 1_000_000);
        // A step visits at most 10 empty buckets plus one chain; with a good
        // hash, chains stay short.
        assert!(max_work <= 40, "max rehash work in one insert: {max_work}");
        assert!(d.rehash_work >= 1_000_000);
        assert!(rehashing_inserts > 500_000);
        for k in (0..1_000_000u64).step_by(997) {
            assert_eq!(d.get(&k), Some(&k));
        }
    }

    #[test]
    fn long_chains_do_not_recurse() {
        const N: u64 = 1_000_000;
        let mut d: Dict<u64, u64, BuildHasherDefault<ZeroHasher>> = Dict::with_capacity(4);
        // Inserting through the API would be quadratic; build the chain
        // directly, as a hash flood would.
        let mut head = None;
        for k in (0..N).rev() {
            head = Some(Box::new(Node {
                key: k,
                value: k,
                next: head,
            }));
        }
        d.ht[0].buckets[0] = head;
        d.ht[0].used = N as usize;
        assert_eq!(d.get(&(N - 1)), Some(&(N - 1)));
        assert_eq!(d.remove(&(N / 2)), Some((N / 2, N / 2)));
        d.retain(|k, _| k % 2 == 0);
        assert_eq!(d.len(), (N / 2 - 1) as usize);
        assert_eq!(d.iter().count(), d.len());
        let mut e = Dict::<u64, u64, BuildHasherDefault<ZeroHasher>>::with_capacity(4);
        mem::swap(&mut d.ht[0].buckets[0], &mut e.ht[0].buckets[0]);
        mem::swap(&mut d.ht[0].used, &mut e.ht[0].used);
        d.clear();
        drop(e);
    }

    #[test]
    fn panicking_callbacks_leave_a_consistent_table() {
        let mut d: Dict<u64, u64, Fixed> = (0..1000).map(|k| (k, k)).collect();
        let mut calls = 0;
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            d.retain(|k, _| {
                calls += 1;
                assert!(calls < 500, "boom");
                k % 3 != 0
            })
        }));
        assert!(r.is_err());
        check_invariants(&d);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            d.get_or_insert_with(5000, || panic!("boom"));
        }));
        assert!(r.is_err());
        assert!(!d.contains_key(&5000));
        check_invariants(&d);
    }
}
