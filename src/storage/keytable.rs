//! The keyspace's main table: key → [`Entry`], one allocation per key.
//!
//! The algorithm is [`super::dict::Dict`]'s (Redis's `dict.c`): separate chaining, growth
//! at load factor 1 with incremental rehashing (one bucket per operation plus the cron's
//! steps), the reverse-binary SCAN cursor, `dictGetSomeKeys`-style sampling. Read that
//! module for why; this one exists for memory.
//!
//! # Node layout
//!
//! A node is a single heap block:
//!
//! ```text
//! offset 0   link: u64    next node's address (low 48 bits, 0 = end of chain)
//!                         | this node's key length (high 16 bits)
//! offset 8   entry: Entry value (16 bytes) and lru (4), padded to 24
//! offset 32  key bytes    (keys of 65535 bytes or more: a u64 length, then the bytes)
//! ```
//!
//! so a 16-byte key with a small value (an integer, or a string of up to 14 bytes held
//! inline by the `Value`) costs one 48-byte block, which is one of jemalloc's size classes,
//! plus its bucket slot: about 56–64 bytes a key, where Redis spends a 24-byte `dictEntry`,
//! a key `sds` and a 16-byte `robj` (three blocks, ~100 bytes). Packing the key length
//! into the link word is what makes 16-byte keys fit 48 bytes: user-space addresses on
//! the 64-bit targets we run on (x86-64, AArch64 Linux) have 48 significant bits, which
//! [`Node::alloc`] checks.
//!
//! The hash is not stored: rehashing recomputes it from the key bytes, which sit in the
//! node being moved anyway.
//!
//! # Safety
//!
//! All raw-pointer work is in [`Node`]: a node is created by [`Node::alloc`], owned by
//! exactly one chain of exactly one table, and destroyed by [`Node::free`] after being
//! unlinked. References to a node's key or entry are handed out with the lifetime of the
//! borrow of the table, so they cannot outlive the node or alias a mutation of it.

use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::mem;
use std::ptr::{self, NonNull};

use super::db::Entry;

/// Bucket count of the first allocation (Redis's `DICT_HT_INITIAL_SIZE`).
const INITIAL_SIZE: usize = 4;
/// Empty buckets one rehash step may skip (Redis's `empty_visits = n * 10`).
const EMPTY_VISITS_PER_STEP: usize = 10;
/// Below this fill (percent) the cron shrinks the table (`HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;
/// Entries gathered by [`KeyTable::random_entry`] (Redis's `GETFAIR_NUM_ENTRIES`).
const FAIR_SAMPLE: usize = 15;
/// Random bucket probes before [`KeyTable::random_entry`] falls back to a linear probe.
const RANDOM_PROBES: usize = 128;

/// Bits of the link word that hold the next node's address.
const ADDR_BITS: u32 = 48;
const ADDR_MASK: u64 = (1 << ADDR_BITS) - 1;
/// Key-length tag meaning "the length is a u64 in front of the key bytes".
const LONG_KEY: u64 = 0xFFFF;

#[repr(C)]
struct Head {
    link: u64,
    entry: Entry,
}

/// Offset of the key bytes in a node.
const KEY_OFFSET: usize = mem::size_of::<Head>();

/// A node of the table (see the module documentation for the layout). `Copy` so chains can
/// be walked; ownership is by convention: the chain that links it.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq)]
struct Node(NonNull<Head>);

type Link = Option<Node>;

impl Node {
    fn layout(key_len: usize) -> Option<Layout> {
        let area = if (key_len as u64) < LONG_KEY {
            key_len
        } else {
            key_len.checked_add(8)?
        };
        Layout::from_size_align(KEY_OFFSET.checked_add(area)?, mem::align_of::<Head>()).ok()
    }

    /// Bytes the allocator reserves for a node with a key of `key_len` bytes.
    fn alloc_size(key_len: usize) -> usize {
        Self::layout(key_len).map_or(0, |l| crate::alloc::usable_size(l.size()))
    }

    fn alloc(key: &[u8], entry: Entry) -> Node {
        let Some(layout) = Self::layout(key.len()) else {
            // A key longer than the address space cannot have arrived in a request.
            alloc::handle_alloc_error(Layout::new::<Head>());
        };
        // SAFETY: the layout has a non-zero size (at least the head).
        let raw = unsafe { alloc::alloc(layout) }.cast::<Head>();
        let Some(nn) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout);
        };
        let addr = raw.expose_provenance() as u64;
        assert!(
            addr & !ADDR_MASK == 0,
            "keyspace node at {addr:#x}: beyond the 48-bit addresses the table can link"
        );
        let long = key.len() as u64 >= LONG_KEY;
        let tag = if long { LONG_KEY } else { key.len() as u64 };
        // SAFETY: `raw` is a fresh block of `layout`, which holds a `Head` at offset 0
        // (aligned: the block has Head's alignment) and the key area right after it:
        // 8 more bytes for the length of a long key, then the key bytes.
        unsafe {
            ptr::write(
                raw,
                Head {
                    link: tag << ADDR_BITS,
                    entry,
                },
            );
            let mut dst = raw.cast::<u8>().add(KEY_OFFSET);
            if long {
                ptr::write_unaligned(dst.cast::<u64>(), key.len() as u64);
                dst = dst.add(8);
            }
            ptr::copy_nonoverlapping(key.as_ptr(), dst, key.len());
        }
        Node(nn)
    }

    fn link(self) -> u64 {
        // SAFETY: a `Node` always points at a live, initialised head (module invariant).
        unsafe { (*self.0.as_ptr()).link }
    }

    fn next(self) -> Link {
        let addr = (self.link() & ADDR_MASK) as usize;
        NonNull::new(ptr::with_exposed_provenance_mut::<Head>(addr)).map(Node)
    }

    fn set_next(self, next: Link) {
        let addr = next.map_or(0, |n| n.0.as_ptr().expose_provenance() as u64);
        let link = (self.link() & !ADDR_MASK) | addr;
        // SAFETY: live node (module invariant); only the link word is written.
        unsafe { (*self.0.as_ptr()).link = link };
    }

    /// The key; the caller bounds the lifetime by its borrow of the table.
    fn key<'a>(self) -> &'a [u8] {
        let tag = self.link() >> ADDR_BITS;
        // SAFETY: the key area was written by `alloc` as described there and is never
        // modified afterwards; the node lives as long as the table borrow the caller holds.
        unsafe {
            let p = self.0.as_ptr().cast::<u8>().add(KEY_OFFSET);
            if tag == LONG_KEY {
                let len = ptr::read_unaligned(p.cast::<u64>()) as usize;
                std::slice::from_raw_parts(p.add(8), len)
            } else {
                std::slice::from_raw_parts(p, tag as usize)
            }
        }
    }

    fn key_is(self, key: &[u8]) -> bool {
        let tag = self.link() >> ADDR_BITS;
        if tag != LONG_KEY && tag != key.len() as u64 {
            return false;
        }
        self.key() == key
    }

    fn entry<'a>(self) -> &'a Entry {
        // SAFETY: live node; the caller bounds the lifetime by its borrow of the table.
        unsafe { &(*self.0.as_ptr()).entry }
    }

    /// The caller must hold the table mutably for `'a` and hand out no other reference to
    /// this node meanwhile.
    fn entry_mut<'a>(self) -> &'a mut Entry {
        // SAFETY: as documented; the table's `&mut self` methods are the only callers.
        unsafe { &mut (*self.0.as_ptr()).entry }
    }

    /// Destroy an unlinked node, returning its entry.
    fn free(self) -> Entry {
        let layout = Self::layout(self.key().len());
        // SAFETY: the node is live and unlinked (the caller's contract), so nothing
        // refers to it; the entry is moved out before the block is released with the
        // layout it was allocated with (recomputed from the same key length).
        unsafe {
            let entry = ptr::read(&(*self.0.as_ptr()).entry);
            if let Some(layout) = layout {
                alloc::dealloc(self.0.as_ptr().cast(), layout);
            }
            entry
        }
    }
}

/// The key bytes inside a node, for a companion table of the same owner (the expires
/// table of `Db`) so that it needs no copy of the key: a `KeyRef` hashes, compares and
/// borrows as the key's bytes.
///
/// It is valid only while its node is in the table. The owner must remove every `KeyRef`
/// to a key from its companion table *before* removing the key from this table (nodes never
/// move while they are in the table, so until then the reference holds), and must not
/// hash, compare or borrow a `KeyRef` afterwards. `Db` keeps this for its private expires
/// table; nothing else holds one.
#[derive(Clone, Copy)]
pub struct KeyRef(Node);

// SAFETY: a KeyRef is a read-only view of bytes that are never modified while the node
// lives; moving it to another thread with its owner (the whole `Db`) is sound.
unsafe impl Send for KeyRef {}
// SAFETY: as above: shared access only reads immutable bytes.
unsafe impl Sync for KeyRef {}

impl KeyRef {
    pub fn as_bytes(&self) -> &[u8] {
        // The node is live by the type's contract; the borrow is tied to `self`.
        self.0.key()
    }
}

impl Borrow<[u8]> for KeyRef {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Hash for KeyRef {
    /// Exactly as `[u8]` hashes, as `Borrow` requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for KeyRef {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for KeyRef {}

impl fmt::Debug for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRef({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// One bucket array. `buckets.len()` is 0 or a power of two.
struct Table {
    buckets: Box<[Link]>,
    used: usize,
}

impl Table {
    fn empty() -> Self {
        Table {
            buckets: Box::default(),
            used: 0,
        }
    }

    fn try_with_buckets(n: usize) -> Option<Self> {
        Some(Table {
            buckets: alloc_buckets(n)?,
            used: 0,
        })
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn head(&self, hash: usize) -> Link {
        self.buckets.get(hash & self.mask()).copied().flatten()
    }

    fn find(&self, hash: usize, key: &[u8]) -> Link {
        let mut cur = self.head(hash);
        while let Some(n) = cur {
            if n.key_is(key) {
                return Some(n);
            }
            cur = n.next();
        }
        None
    }

    /// Unlink the node holding `key` from its chain.
    fn unlink(&mut self, hash: usize, key: &[u8]) -> Link {
        let mask = self.mask();
        let slot = self.buckets.get_mut(hash & mask)?;
        let head = (*slot)?;
        if head.key_is(key) {
            *slot = head.next();
            self.used -= 1;
            return Some(head);
        }
        let mut prev = head;
        while let Some(n) = prev.next() {
            if n.key_is(key) {
                prev.set_next(n.next());
                self.used -= 1;
                return Some(n);
            }
            prev = n;
        }
        None
    }

    /// Free every node; the buckets are left empty.
    fn free_all(&mut self) {
        let mut left = self.used;
        for slot in self.buckets.iter_mut() {
            if left == 0 {
                break;
            }
            let mut cur = slot.take();
            while let Some(n) = cur {
                cur = n.next();
                drop(n.free());
                left -= 1;
            }
        }
        self.used = 0;
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        self.free_all();
    }
}

/// `n` empty buckets from one zeroed allocation (fresh zero pages for large tables, as in
/// `dict.rs`). `None` when the allocation fails or the size is unrepresentable.
fn alloc_buckets(n: usize) -> Option<Box<[Link]>> {
    if n == 0 {
        return Some(Box::default());
    }
    let layout = Layout::array::<Link>(n).ok()?;
    // SAFETY: non-zero size (n > 0, a link is pointer-sized).
    let raw = unsafe { alloc::alloc_zeroed(layout) }.cast::<Link>();
    if raw.is_null() {
        return None;
    }
    // SAFETY: allocated with `Layout::array::<Link>(n)`, the layout a `Box<[Link]>` of
    // length n frees with; all-zero bytes are `None` for `Option<Node>` (a transparent
    // `NonNull`, whose null niche is guaranteed).
    Some(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(raw, n)) })
}

fn table_size_for(n: usize) -> usize {
    n.max(INITIAL_SIZE)
        .checked_next_power_of_two()
        .unwrap_or(1 << (usize::BITS - 1))
}

/// The keyspace table; see the module documentation.
pub struct KeyTable<S = foldhash::fast::RandomState> {
    /// `ht[1]` is non-empty only while rehashing from `ht[0]` into it.
    ht: [Table; 2],
    /// Next `ht[0]` bucket to move; `Some` exactly while rehashing.
    rehash_idx: Option<usize>,
    hasher: S,
    /// Bytes the allocator reserves for all nodes (MEMORY STATS overhead).
    node_bytes: usize,
}

// SAFETY: the table exclusively owns its nodes (nothing else holds their addresses), and
// what a node holds (an `Entry`) is `Send`; moving the table moves that ownership.
unsafe impl<S: Send> Send for KeyTable<S> {}
// SAFETY: `&KeyTable` only gives out shared references to keys and entries; `Entry` is
// `Sync`, and no interior mutability is reachable through `&self`.
unsafe impl<S: Sync> Sync for KeyTable<S> {}

impl<S: Default> Default for KeyTable<S> {
    fn default() -> Self {
        KeyTable {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: None,
            hasher: S::default(),
            node_bytes: 0,
        }
    }
}

impl<S> KeyTable<S> {
    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Bytes of the table's own structure, bucket arrays and node headers (the link
    /// word and the entry): Redis's `overhead.hashtable.main`.
    pub fn overhead_bytes(&self) -> usize {
        let buckets = self.ht[0].buckets.len() + self.ht[1].buckets.len();
        buckets * mem::size_of::<Link>() + self.len() * KEY_OFFSET
    }

    /// Bytes the allocator reserves for all nodes (keys and entries included, not what
    /// the values point to).
    pub fn node_bytes(&self) -> usize {
        self.node_bytes
    }

    /// Bytes a node for a key of `key_len` bytes takes (MEMORY USAGE).
    pub fn node_size(key_len: usize) -> usize {
        Node::alloc_size(key_len)
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            tables: [&self.ht[0].buckets, &self.ht[1].buckets],
            t: 0,
            i: 0,
            node: None,
            remaining: self.len(),
            _table: PhantomData,
        }
    }

    /// Drops every entry and releases both bucket arrays.
    pub fn clear(&mut self) {
        let old = mem::replace(&mut self.ht, [Table::empty(), Table::empty()]);
        self.rehash_idx = None;
        self.node_bytes = 0;
        drop(old);
    }
}

impl<S: BuildHasher + Default> KeyTable<S> {
    /// Pre-sized so that `n` keys fit without a resize (an RDB file's RESIZEDB); an
    /// impossible size is ignored and the table grows on demand.
    pub fn with_capacity(n: usize) -> Self {
        let mut t = Self::default();
        if n > 0
            && let Some(table) = Table::try_with_buckets(table_size_for(n))
        {
            t.ht[0] = table;
        }
        t
    }
}

impl<S: BuildHasher> KeyTable<S> {
    fn hash(&self, key: &[u8]) -> usize {
        self.hasher.hash_one(key) as usize
    }

    fn find(&self, key: &[u8]) -> Link {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        self.ht[..tables].iter().find_map(|t| t.find(h, key))
    }

    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.find(key).map(|n| n.entry())
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &Entry)> {
        self.find(key).map(|n| (n.key(), n.entry()))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// A reference to the stored copy of `key`, under the contract of [`KeyRef`].
    pub fn key_ref(&self, key: &[u8]) -> Option<KeyRef> {
        self.find(key).map(KeyRef)
    }

    /// Does one rehash step first, as every mutating call does.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        self.find(key).map(|n| n.entry_mut())
    }

    /// Inserts, or replaces the entry of an existing key (returning the old one).
    pub fn insert(&mut self, key: &[u8], entry: Entry) -> Option<Entry> {
        self.rehash_step();
        self.expand_if_needed();
        let h = self.hash(key);
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        if let Some(n) = self.ht[..tables].iter().find_map(|t| t.find(h, key)) {
            return Some(mem::replace(n.entry_mut(), entry));
        }
        // New entries go to the array being filled: ht[1] while rehashing.
        let t = &mut self.ht[tables - 1];
        let mask = t.mask();
        let Some(slot) = t.buckets.get_mut(h & mask) else {
            // No bucket array: `expand_if_needed` could not allocate one.
            alloc::handle_alloc_error(Layout::new::<[Link; INITIAL_SIZE]>());
        };
        let node = Node::alloc(key, entry);
        // At the head of its chain, as Redis's dictAddRaw: recent keys are the likely ones.
        node.set_next(*slot);
        *slot = Some(node);
        t.used += 1;
        self.node_bytes += Node::alloc_size(key.len());
        None
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        for t in &mut self.ht[..tables] {
            if let Some(n) = t.unlink(h, key) {
                self.node_bytes -= Node::alloc_size(key.len());
                return Some(n.free());
            }
        }
        None
    }

    /// Removes every entry for which `f` returns false (no rehash work).
    pub fn retain<F: FnMut(&[u8], &mut Entry) -> bool>(&mut self, mut f: F) {
        let mut freed = 0;
        for t in &mut self.ht {
            let Table { buckets, used } = t;
            for slot in buckets.iter_mut() {
                if *used == 0 {
                    break;
                }
                let mut prev: Link = None;
                let mut cur = *slot;
                while let Some(n) = cur {
                    let next = n.next();
                    if f(n.key(), n.entry_mut()) {
                        prev = Some(n);
                    } else {
                        match prev {
                            Some(p) => p.set_next(next),
                            None => *slot = next,
                        }
                        *used -= 1;
                        freed += Node::alloc_size(n.key().len());
                        drop(n.free());
                    }
                    cur = next;
                }
            }
        }
        self.node_bytes -= freed;
    }

    /// One SCAN step with Redis `dictScan` semantics (see `dict.rs`).
    pub fn scan<F: FnMut(&[u8], &Entry)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut emit = |head: Link| {
            let mut cur = head;
            while let Some(n) = cur {
                f(n.key(), n.entry());
                cur = n.next();
            }
        };
        let next = |v: u64, mask: u64| (v | !mask).reverse_bits().wrapping_add(1).reverse_bits();
        let mut v = cursor;
        if self.rehash_idx.is_none() {
            let t = &self.ht[0];
            let m = t.mask() as u64;
            emit(t.head(v as usize));
            return next(v, m);
        }
        let (small, large) = if self.ht[0].buckets.len() <= self.ht[1].buckets.len() {
            (&self.ht[0], &self.ht[1])
        } else {
            (&self.ht[1], &self.ht[0])
        };
        let (m0, m1) = (small.mask() as u64, large.mask() as u64);
        emit(small.head(v as usize));
        loop {
            emit(large.head(v as usize));
            v = next(v, m1);
            if v & (m0 ^ m1) == 0 {
                break;
            }
        }
        v
    }

    /// A random entry, close to uniform (Redis `dictGetFairRandomKey`).
    pub fn random_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<(&[u8], &Entry)> {
        if self.is_empty() {
            return None;
        }
        let mut buf: [Link; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let mut n = 0;
        self.sample_each(FAIR_SAMPLE, rand, |node| {
            if let Some(slot) = buf.get_mut(n) {
                *slot = Some(node);
                n += 1;
            }
        });
        let pick = if n > 0 {
            buf[(rand() % n as u64) as usize]
        } else {
            self.random_bucket_entry(rand)
        };
        pick.map(|n| (n.key(), n.entry()))
    }

    /// Appends up to `count` distinct entries from consecutive buckets starting at a
    /// random one (Redis `dictGetSomeKeys`, for eviction sampling).
    pub fn sample<'a>(
        &'a self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
        out: &mut Vec<(&'a [u8], &'a Entry)>,
    ) {
        self.sample_each(count, rand, |n| out.push((n.key(), n.entry())));
    }

    /// About `max_steps` buckets of rehash work; returns whether rehashing goes on.
    pub fn rehash_steps(&mut self, max_steps: usize) -> bool {
        self.rehash(max_steps)
    }

    /// Starts an incremental shrink when under 10% of the buckets are used.
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

    fn expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let t0 = &self.ht[0];
        if t0.buckets.is_empty() {
            self.start_resize(INITIAL_SIZE);
        } else if t0.used >= t0.buckets.len() {
            self.start_resize(table_size_for(t0.used.saturating_mul(2)));
        }
    }

    fn start_resize(&mut self, size: usize) {
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
            let slot = &mut t0.buckets[idx];
            if slot.is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    break;
                }
                continue;
            }
            let mut cur = slot.take();
            while let Some(node) = cur {
                cur = node.next();
                t0.used -= 1;
                let dst = &mut t1.buckets[hasher.hash_one(node.key()) as usize & mask1];
                node.set_next(*dst);
                *dst = Some(node);
                t1.used += 1;
            }
            idx += 1;
            steps -= 1;
        }
        if t0.used == 0 || idx >= t0.buckets.len() {
            let new = mem::replace(t1, Table::empty());
            *t0 = new;
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Calls `emit` for up to `count` distinct nodes from consecutive bucket positions
    /// starting at a random one, looking at no more than `10 * count` positions.
    fn sample_each(
        &self,
        count: usize,
        rand: &mut impl FnMut() -> u64,
        mut emit: impl FnMut(Node),
    ) {
        let count = count.min(self.len());
        if count == 0 {
            return;
        }
        let tables = if self.rehash_idx.is_some() { 2 } else { 1 };
        let tables = &self.ht[..tables];
        let span = tables.iter().map(|t| t.buckets.len()).max().unwrap_or(0);
        if span == 0 {
            return;
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
                let mut cur = t.buckets.get(i).copied().flatten();
                while let Some(n) = cur {
                    emit(n);
                    stored += 1;
                    if stored == count {
                        return;
                    }
                    cur = n.next();
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Redis `dictGetRandomKey`: a random non-empty bucket, then a random node of it.
    fn random_bucket_entry(&self, rand: &mut impl FnMut() -> u64) -> Link {
        let start = self.rehash_idx.unwrap_or(0);
        let n0 = self.ht[0].buckets.len();
        let end = n0 + self.ht[1].buckets.len();
        let span = end.checked_sub(start).filter(|&s| s > 0)? as u64;
        let at = |p: usize| -> Link {
            match p.checked_sub(n0) {
                None => self.ht[0].buckets.get(p).copied().flatten(),
                Some(q) => self.ht[1].buckets.get(q).copied().flatten(),
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
            cur = n.next();
        }
        let mut n = head;
        for _ in 0..rand() % chain_len {
            n = n.next()?;
        }
        Some(n)
    }
}

impl<S> Drop for KeyTable<S> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Iterator returned by [`KeyTable::iter`].
pub struct Iter<'a> {
    tables: [&'a [Link]; 2],
    t: usize,
    i: usize,
    node: Link,
    remaining: usize,
    _table: PhantomData<&'a Entry>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a Entry);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next();
                self.remaining = self.remaining.saturating_sub(1);
                return Some((n.key(), n.entry()));
            }
            if self.remaining == 0 {
                return None;
            }
            let buckets = self.tables.get(self.t)?;
            match buckets.get(self.i) {
                Some(head) => {
                    self.node = *head;
                    self.i += 1;
                }
                None => {
                    self.t += 1;
                    self.i = 0;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::Value;
    use std::collections::{HashMap, HashSet};
    use std::hash::{BuildHasherDefault, Hasher};

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

    /// 13 distinct hash values: long chains and sparse tables.
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
    type Fixed = foldhash::fast::FixedState;

    fn entry(v: i64) -> Entry {
        Entry {
            value: Value::string(v.to_string().as_bytes()),
            lru: v as u32,
        }
    }

    fn val(e: &Entry) -> i64 {
        match &e.value {
            Value::Str(s) => s.as_i64().unwrap(),
            _ => panic!("not a string"),
        }
    }

    /// Keys of varied lengths, including empty and long (past the 16-bit length tag).
    fn key_of(i: u64) -> Vec<u8> {
        match i % 7 {
            0 => Vec::new(),
            1 => vec![b'x'; 70_000 + (i as usize % 3)],
            _ => format!("key:{i:0width$}", width = (i % 40) as usize).into_bytes(),
        }
    }

    fn check<S: BuildHasher>(t: &KeyTable<S>, m: &HashMap<Vec<u8>, i64>) {
        assert_eq!(t.len(), m.len());
        for (k, v) in m {
            assert_eq!(
                t.get(k).map(val),
                Some(*v),
                "key {:?}",
                &k[..k.len().min(20)]
            );
        }
        let mut seen = HashSet::new();
        for (k, e) in t.iter() {
            assert!(seen.insert(k.to_vec()));
            assert_eq!(m.get(k), Some(&val(e)));
        }
        assert_eq!(seen.len(), m.len());
        let expected: usize = m.keys().map(|k| Node::alloc_size(k.len())).sum();
        assert_eq!(t.node_bytes(), expected);
    }

    fn model_test<S: BuildHasher + Default>(seed: u64, ops: usize, space: u64) {
        let mut rng = Rng::new(seed);
        let mut t: KeyTable<S> = KeyTable::default();
        let mut m: HashMap<Vec<u8>, i64> = HashMap::new();
        for step in 0..ops {
            let k = key_of(rng.below(space));
            match rng.below(10) {
                0..=4 => {
                    let v = rng.below(1000) as i64;
                    assert_eq!(t.insert(&k, entry(v)).map(|e| val(&e)), m.insert(k, v));
                }
                5..=6 => assert_eq!(t.remove(&k).map(|e| val(&e)), m.remove(&k)),
                7 => {
                    if let Some(e) = t.get_mut(&k) {
                        e.value = Value::string(b"77");
                        m.insert(k, 77);
                    }
                }
                8 => {
                    t.rehash_steps(3);
                    t.shrink_if_needed();
                }
                _ => {
                    let cut = rng.below(1000) as i64;
                    t.retain(|_, e| val(e) < cut || val(e) % 3 != 0);
                    m.retain(|_, v| *v < cut || *v % 3 != 0);
                }
            }
            if step % 97 == 0 {
                check(&t, &m);
            }
        }
        check(&t, &m);
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.node_bytes(), 0);
    }

    #[test]
    fn model_matches_hashmap() {
        for seed in 1..5 {
            model_test::<Fixed>(seed, 4000, 300);
        }
    }

    #[test]
    fn model_matches_hashmap_with_colliding_hasher() {
        for seed in 1..4 {
            model_test::<Colliding>(seed, 3000, 200);
        }
    }

    #[test]
    fn a_16_byte_key_with_a_small_value_is_one_48_byte_block() {
        assert_eq!(mem::size_of::<Entry>(), 24);
        assert_eq!(KEY_OFFSET, 32);
        if cfg!(feature = "jemalloc") {
            assert_eq!(Node::alloc_size(16), 48);
        }
    }

    #[test]
    fn long_keys_keep_their_length() {
        let mut t: KeyTable<Fixed> = KeyTable::default();
        let long = vec![7u8; 65_535];
        let longer = vec![7u8; 65_536];
        t.insert(&long, entry(1));
        t.insert(&longer, entry(2));
        t.insert(&long[..65_534], entry(3));
        assert_eq!(t.get(&long).map(val), Some(1));
        assert_eq!(t.get(&longer).map(val), Some(2));
        assert_eq!(t.get(&long[..65_534]).map(val), Some(3));
        assert_eq!(t.get_key_value(&longer).map(|(k, _)| k.len()), Some(65_536));
    }

    fn full_scan<S: BuildHasher>(t: &KeyTable<S>) -> HashMap<Vec<u8>, usize> {
        let mut seen = HashMap::new();
        let mut c = 0;
        loop {
            c = t.scan(c, |k, _| *seen.entry(k.to_vec()).or_insert(0) += 1);
            if c == 0 {
                return seen;
            }
        }
    }

    #[test]
    fn scan_returns_every_key_while_the_table_grows_and_shrinks() {
        let mut rng = Rng::new(9);
        for round in 0..20 {
            let mut t: KeyTable<Fixed> = KeyTable::default();
            let stable: Vec<Vec<u8>> = (0..200u64)
                .map(|i| format!("s{round}:{i}").into_bytes())
                .collect();
            for k in &stable {
                t.insert(k, entry(1));
            }
            let mut seen = HashSet::new();
            let mut c = 0;
            let mut extra = 0u64;
            loop {
                c = t.scan(c, |k, _| {
                    seen.insert(k.to_vec());
                });
                // Grow, then shrink, between calls.
                for _ in 0..rng.below(40) {
                    extra += 1;
                    t.insert(format!("x{extra}").as_bytes(), entry(2));
                }
                if rng.below(4) == 0 {
                    let victims: Vec<Vec<u8>> = t
                        .iter()
                        .filter(|(k, _)| k.starts_with(b"x"))
                        .map(|(k, _)| k.to_vec())
                        .collect();
                    for k in victims {
                        t.remove(&k);
                    }
                    t.shrink_if_needed();
                }
                t.rehash_steps(1);
                if c == 0 {
                    break;
                }
            }
            for k in &stable {
                assert!(seen.contains(k), "round {round}: scan missed a stable key");
            }
        }
    }

    #[test]
    fn scan_without_mutation_visits_each_key_once() {
        let mut t: KeyTable<Fixed> = KeyTable::default();
        for i in 0..1000u64 {
            t.insert(format!("k{i}").as_bytes(), entry(i as i64));
        }
        let seen = full_scan(&t);
        assert_eq!(seen.len(), 1000);
        assert!(seen.values().all(|&n| n == 1));
    }

    #[test]
    fn random_entry_and_sample_return_present_entries() {
        let mut rng = Rng::new(3);
        let mut t: KeyTable<Fixed> = KeyTable::default();
        let mut rand = || rng.next();
        assert!(t.random_entry(&mut rand).is_none());
        for i in 0..500u64 {
            t.insert(format!("k{i}").as_bytes(), entry(i as i64));
        }
        // Mid-rehash too: drop most keys and start a shrink.
        for i in 0..450u64 {
            t.remove(format!("k{i}").as_bytes());
        }
        t.shrink_if_needed();
        let mut hits = HashSet::new();
        for _ in 0..2000 {
            let (k, e) = t.random_entry(&mut rand).unwrap();
            assert_eq!(t.get(k).map(val), Some(val(e)));
            hits.insert(k.to_vec());
        }
        assert_eq!(hits.len(), 50, "every key is drawn eventually");
        let mut out = Vec::new();
        t.sample(16, &mut rand, &mut out);
        assert!(!out.is_empty() && out.len() <= 16);
        let distinct: HashSet<&[u8]> = out.iter().map(|(k, _)| *k).collect();
        assert_eq!(distinct.len(), out.len());
    }

    #[test]
    fn drop_frees_values() {
        // Values with heap parts are dropped with the table (checked under Miri/ASan;
        // here it must at least not crash).
        let mut t: KeyTable<Fixed> = KeyTable::default();
        for i in 0..100u64 {
            t.insert(
                format!("k{i}").as_bytes(),
                Entry {
                    value: Value::string(&[b'v'; 100]),
                    lru: 0,
                },
            );
        }
        drop(t);
    }
}
