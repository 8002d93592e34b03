//! The list type: Redis 7.0's quicklist, a deque of listpack nodes.
//!
//! Elements live in listpacks (compact byte arrays, integers stored as integers) of bounded
//! size, held in a deque (inline while there is one node, the common case of a small list),
//! so pushing and popping at either end is O(1) amortised and
//! reaching index `i` walks nodes (O(nodes)) from the nearer end, then entries in one node.
//!
//! Node size follows `list-max-listpack-size` (`fill`), read when the list is created, as
//! in Redis: negative values -1..-5 cap a node at 4, 8, 16, 32 or 64 KB; positive values
//! cap its entry count (and its size at 8 KB). `list-compress-depth` (`depth`) keeps the
//! `depth` nodes at each end plain and LZF-compresses the inner ones, decompressing a node
//! while it is read or changed.
//!
//! Invariants: no node is empty; `len` is the sum of node counts; with `depth > 0`, the
//! first and last `depth` nodes are never compressed; a compressed node is an inner one.
//! Inner nodes are compressed when they become inner or are changed, unless they do not
//! shrink enough (as Redis, which then leaves them plain).
//!
//! Every list reports `quicklist` in OBJECT ENCODING: Redis 7.0 has no other list encoding.

pub mod lzf;
mod nodes;

use std::borrow::Cow;
use std::ops::ControlFlow;

pub use super::encodings::listpack::{Listpack, LpEntry};
use nodes::Nodes;

/// Largest `list-max-listpack-size` honoured (entries per node), as Redis's `FILL_MAX`.
const FILL_MAX: i64 = (1 << 15) - 1;
/// Largest `list-compress-depth` honoured, as Redis's `COMPRESS_MAX`.
const COMPRESS_MAX: u64 = (1 << 16) - 1;
/// A node with a positive fill never grows past this many bytes.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Node byte limits for fill -1..-5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Nodes smaller than this are not worth compressing.
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save at least this many bytes to be kept.
const MIN_COMPRESS_IMPROVE: usize = 8;
/// Redis's estimate of the bytes one entry adds to a listpack beyond its data.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// What Redis 7.0 subtracts from the sum of two node sizes to estimate their merged size
/// (its ziplist-era header and end size, kept for listpacks).
const MERGE_OVERHEAD: usize = 11;

/// An LZF-compressed node, with what must be known without decompressing it.
#[derive(Debug, Clone)]
struct Compressed {
    data: Box<[u8]>,
    raw_len: u32,
    count: u32,
}

#[derive(Debug, Clone)]
enum Node {
    Plain(Listpack),
    /// Boxed so that a node stays the size of a listpack.
    Lzf(Box<Compressed>),
}

impl Node {
    fn count(&self) -> usize {
        match self {
            Node::Plain(lp) => lp.len(),
            Node::Lzf(c) => c.count as usize,
        }
    }

    /// Size of the node's listpack, compressed or not.
    fn raw_size(&self) -> usize {
        match self {
            Node::Plain(lp) => lp.bytes_len(),
            Node::Lzf(c) => c.raw_len as usize,
        }
    }

    fn is_compressed(&self) -> bool {
        matches!(self, Node::Lzf(_))
    }

    /// The listpack, decompressed into a temporary if needed.
    fn lp(&self) -> Cow<'_, Listpack> {
        match self {
            Node::Plain(lp) => Cow::Borrowed(lp),
            Node::Lzf(c) => Cow::Owned(c.inflate()),
        }
    }

    /// The listpack for a change: a compressed node is decompressed in place (the list
    /// recompresses it afterwards if it is still an inner node).
    fn lp_mut(&mut self) -> &mut Listpack {
        if let Node::Lzf(c) = self {
            *self = Node::Plain(c.inflate());
        }
        match self {
            Node::Plain(lp) => lp,
            Node::Lzf(_) => unreachable!("decompressed just above"),
        }
    }

    fn decompress(&mut self) {
        self.lp_mut();
    }

    /// Compress a plain node if that saves enough; leaves it plain otherwise.
    fn compress(&mut self) {
        let Node::Plain(lp) = self else {
            return;
        };
        let raw = lp.as_bytes();
        let raw_len = raw.len();
        if raw_len < MIN_COMPRESS_BYTES || raw_len > u32::MAX as usize {
            return;
        }
        let Some(data) = lzf::compress(raw, raw_len) else {
            return;
        };
        if data.len() + MIN_COMPRESS_IMPROVE >= raw_len {
            return;
        }
        *self = Node::Lzf(Box::new(Compressed {
            data: data.into_boxed_slice(),
            raw_len: raw_len as u32,
            count: lp.len() as u32,
        }));
    }
}

impl Compressed {
    fn inflate(&self) -> Listpack {
        // Only this module compresses nodes, from valid listpacks: a failure here is a bug
        // in lzf.rs, not something a client can cause.
        lzf::decompress(&self.data, self.raw_len as usize)
            .and_then(Listpack::from_bytes)
            .expect("a quicklist node decompresses to the listpack it was made from")
    }
}

/// A node as RDB persistence sees it ([`List::rdb_nodes`]).
pub enum RdbNode<'a> {
    Listpack(&'a Listpack),
    /// An LZF-compressed node and the size of its listpack.
    Lzf {
        data: &'a [u8],
        raw_len: usize,
    },
}

/// A list value (Redis's quicklist).
#[derive(Debug, Clone)]
pub struct List {
    nodes: Nodes<Node>,
    len: usize,
    fill: i16,
    depth: u16,
}

impl Default for List {
    /// Redis's defaults: 8 KB nodes, no compression.
    fn default() -> Self {
        List::new(-2, 0)
    }
}

impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.to_vecs() == other.to_vecs()
    }
}

impl List {
    /// An empty list with `list-max-listpack-size` = `fill` and `list-compress-depth` =
    /// `depth`, clamped as Redis clamps them (fill to -5..=32767, depth to 65535).
    pub fn new(fill: i64, depth: u64) -> List {
        List {
            nodes: Nodes::Empty,
            len: 0,
            fill: fill.clamp(-5, FILL_MAX) as i16,
            depth: depth.min(COMPRESS_MAX) as u16,
        }
    }

    /// Redis's name of the current encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of listpack nodes (DEBUG, tests).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// (entries, listpack bytes, compressed) of each node, head to tail (DEBUG, tests).
    pub fn node_info(&self) -> Vec<(usize, usize, bool)> {
        self.nodes
            .iter()
            .map(|n| (n.count(), n.raw_size(), n.is_compressed()))
            .collect()
    }

    /// Approximate heap bytes held (MEMORY USAGE, tests): the nodes' buffers (compressed
    /// ones at their compressed size) and the node deque, when it is not inline.
    pub fn heap_bytes(&self) -> usize {
        let nodes: usize = self
            .nodes
            .iter()
            .map(|n| match n {
                Node::Plain(lp) => lp.capacity(),
                Node::Lzf(c) => std::mem::size_of::<Compressed>() + c.data.len(),
            })
            .sum();
        let deque = if self.nodes.len() > 1 {
            self.nodes.len() * std::mem::size_of::<Node>()
        } else {
            0
        };
        nodes + deque
    }

    /// Total size of the node listpacks, uncompressed (Redis's `ql_uncompressed_size`).
    pub fn listpack_bytes(&self) -> usize {
        self.nodes.iter().map(Node::raw_size).sum()
    }

    /// Number of nodes currently compressed (tests, memory reports).
    pub fn compressed_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_compressed()).count()
    }

    /// Whether a node of `size` bytes is within the byte limit of a negative fill.
    fn size_within_level(&self, size: usize) -> bool {
        if self.fill >= 0 {
            return false;
        }
        SIZE_LEVELS
            .get((-(self.fill as i32) - 1) as usize)
            .is_some_and(|&limit| size <= limit)
    }

    /// Redis's `_quicklistNodeAllowInsert`: may `node` take one more element of `sz` bytes?
    /// The entry's overhead is estimated as 8 bytes, as Redis 7.0 does, so that nodes
    /// split exactly where Redis's do (and an RDB of the list has the same nodes).
    fn allows_insert(&self, node: &Node, sz: usize) -> bool {
        let new_sz = node.raw_size() + sz + SIZE_ESTIMATE_OVERHEAD;
        if self.size_within_level(new_sz) {
            true
        } else if new_sz > SIZE_SAFETY_LIMIT {
            false
        } else {
            (node.count() as i64) < self.fill as i64
        }
    }

    /// Redis's `_quicklistNodeAllowMerge`.
    fn allows_merge(&self, a: &Node, b: &Node) -> bool {
        let merged = (a.raw_size() + b.raw_size()).saturating_sub(MERGE_OVERHEAD);
        if self.size_within_level(merged) {
            true
        } else if merged > SIZE_SAFETY_LIMIT {
            false
        } else {
            (a.count() + b.count()) as i64 <= self.fill as i64
        }
    }

    // ---------------------------------------------------------------------------------
    // Compression bookkeeping
    // ---------------------------------------------------------------------------------

    /// Restore the compression invariant after an operation that added, removed or changed
    /// nodes. `touched` are indexes of nodes changed in place (now plain). Costs O(depth)
    /// cheap checks plus compressing at most two boundary nodes and the touched ones.
    fn fix_compression(&mut self, touched: &[usize]) {
        let d = self.depth as usize;
        if d == 0 {
            return;
        }
        let n = self.nodes.len();
        for i in 0..d.min(n) {
            self.nodes[i].decompress();
            self.nodes[n - 1 - i].decompress();
        }
        if n <= 2 * d {
            return;
        }
        // Nodes move at most one place inward per operation, so only the first inner node
        // from each end can have just stopped being an end node.
        self.nodes[d].compress();
        self.nodes[n - 1 - d].compress();
        for &t in touched {
            if t >= d && t < n - d {
                self.nodes[t].compress();
            }
        }
    }

    /// Compress every inner node that is plain (after operations that touch many nodes).
    fn compress_all_inner(&mut self) {
        let d = self.depth as usize;
        if d == 0 {
            return;
        }
        let n = self.nodes.len();
        for i in 0..n {
            if i < d || i >= n.saturating_sub(d) {
                self.nodes[i].decompress();
            } else {
                self.nodes[i].compress();
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Persistence
    // ---------------------------------------------------------------------------------

    /// Every node head to tail, as stored: RDB persistence writes a plain node's listpack
    /// and a compressed node's LZF bytes verbatim, as Redis does.
    pub fn rdb_nodes(&self) -> impl Iterator<Item = RdbNode<'_>> {
        self.nodes.iter().map(|n| match n {
            Node::Plain(lp) => RdbNode::Listpack(lp),
            Node::Lzf(c) => RdbNode::Lzf {
                data: &c.data,
                raw_len: c.raw_len as usize,
            },
        })
    }

    /// Append a whole node read from outside (RDB, RESTORE: an already validated
    /// listpack), kept as one node as Redis's `quicklistAppendListpack` keeps it. An empty
    /// listpack is skipped, as Redis skips it.
    pub fn push_node(&mut self, lp: Listpack) {
        if lp.is_empty() {
            return;
        }
        self.len += lp.len();
        self.nodes.push_back(Node::Plain(lp));
        self.fix_compression(&[]);
    }

    // ---------------------------------------------------------------------------------
    // Ends
    // ---------------------------------------------------------------------------------

    pub fn push_back(&mut self, v: &[u8]) {
        let new_node = match self.nodes.back() {
            Some(n) => !self.allows_insert(n, v.len()),
            None => true,
        };
        if new_node {
            // The old tail takes no more pushes: give its spare capacity back.
            if let Some(Node::Plain(lp)) = self.nodes.back_mut() {
                lp.shrink_to_fit();
            }
            self.nodes.push_back(Node::Plain(Listpack::new()));
        }
        if let Some(n) = self.nodes.back_mut() {
            n.lp_mut().push_back(v);
        }
        self.len += 1;
        if new_node {
            self.fix_compression(&[]);
        }
    }

    pub fn push_front(&mut self, v: &[u8]) {
        let new_node = match self.nodes.front() {
            Some(n) => !self.allows_insert(n, v.len()),
            None => true,
        };
        if new_node {
            if let Some(Node::Plain(lp)) = self.nodes.front_mut() {
                lp.shrink_to_fit();
            }
            self.nodes.push_front(Node::Plain(Listpack::new()));
        }
        if let Some(n) = self.nodes.front_mut() {
            n.lp_mut().push_front(v);
        }
        self.len += 1;
        if new_node {
            self.fix_compression(&[]);
        }
    }

    /// Give back the spare capacity of small end nodes (those still taking pushes), after a
    /// command's pushes: a listpack grows by doubling, and most lists are small, so the
    /// slack would otherwise be a large share of their memory. Nodes over 1 KB keep theirs
    /// until they stop being an end, so big lists do not reallocate on every push.
    pub fn shrink_ends(&mut self) {
        const SMALL: usize = 1024;
        let n = self.nodes.len();
        for i in [0, n.saturating_sub(1)] {
            if let Some(Node::Plain(lp)) = self.nodes.get_mut(i)
                && lp.bytes_len() <= SMALL
                && lp.capacity() > lp.bytes_len()
            {
                lp.shrink_to_fit();
            }
        }
    }

    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let node = self.nodes.front_mut()?;
        let lp = node.lp_mut();
        let pos = lp.first()?;
        let v = lp.get(pos).to_vec();
        lp.delete(pos);
        let emptied = lp.is_empty();
        self.len -= 1;
        if emptied {
            self.nodes.pop_front();
            self.fix_compression(&[]);
        }
        Some(v)
    }

    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let node = self.nodes.back_mut()?;
        let lp = node.lp_mut();
        let pos = lp.last()?;
        let v = lp.get(pos).to_vec();
        lp.delete(pos);
        let emptied = lp.is_empty();
        self.len -= 1;
        if emptied {
            self.nodes.pop_back();
            self.fix_compression(&[]);
        }
        Some(v)
    }

    // ---------------------------------------------------------------------------------
    // Indexes
    // ---------------------------------------------------------------------------------

    /// A Redis index (negative counts from the tail) as an offset from the head.
    pub fn resolve(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 {
            index.checked_add(len)?
        } else {
            index
        };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// (node, offset in node) of element `index` (< len), walking from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut rem = index;
            for (i, n) in self.nodes.iter().enumerate() {
                let c = n.count();
                if rem < c {
                    return Some((i, rem));
                }
                rem -= c;
            }
        } else {
            let mut rem = self.len - 1 - index;
            for i in (0..self.nodes.len()).rev() {
                let c = self.nodes[i].count();
                if rem < c {
                    return Some((i, c - 1 - rem));
                }
                rem -= c;
            }
        }
        None
    }

    /// Call `f` with the element at `index` (Redis index, negative from the tail).
    pub fn with_index<R>(&self, index: i64, f: impl FnOnce(LpEntry<'_>) -> R) -> Option<R> {
        let (ni, off) = self.locate(self.resolve(index)?)?;
        let lp = self.nodes[ni].lp();
        let pos = lp.seek(off as i64)?;
        Some(f(lp.get(pos)))
    }

    /// The element at `index` (Redis index), as bytes.
    pub fn get(&self, index: i64) -> Option<Vec<u8>> {
        self.with_index(index, |e| e.to_vec())
    }

    /// Replace the element at `index` (Redis index); false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        let Some((ni, off)) = self.resolve(index).and_then(|i| self.locate(i)) else {
            return false;
        };
        let lp = self.nodes[ni].lp_mut();
        let Some(pos) = lp.seek(off as i64) else {
            return false;
        };
        lp.replace(pos, v);
        self.fix_compression(&[ni]);
        true
    }

    /// Call `f` on `count` elements starting at offset `start` from the head, in order, or
    /// in reverse order (from `start + count - 1` down to `start`) when `reverse`.
    pub fn for_range(
        &self,
        start: usize,
        count: usize,
        reverse: bool,
        mut f: impl FnMut(LpEntry<'_>),
    ) {
        let count = count.min(self.len.saturating_sub(start));
        if count == 0 {
            return;
        }
        let first = if reverse { start + count - 1 } else { start };
        let Some((mut ni, off)) = self.locate(first) else {
            return;
        };
        let mut left = count;
        let mut first_off = Some(off);
        if !reverse {
            // Forward: the listpack iterator decodes each entry once (get + next twice).
            while left > 0 {
                let Some(node) = self.nodes.get(ni) else {
                    return;
                };
                let lp = node.lp();
                let iter = match first_off.take() {
                    Some(o) if o > 0 => match lp.seek(o as i64) {
                        Some(pos) => lp.iter_from(pos),
                        None => return,
                    },
                    _ => lp.iter(),
                };
                for e in iter.take(left) {
                    f(e);
                    left -= 1;
                }
                ni += 1;
            }
            return;
        }
        // Backward, from the last element of the range.
        loop {
            let lp = self.nodes[ni].lp();
            let mut pos = match first_off.take() {
                Some(o) => lp.seek(o as i64),
                None => lp.last(),
            };
            while let Some(p) = pos {
                f(lp.get(p));
                left -= 1;
                if left == 0 {
                    return;
                }
                pos = lp.prev(p);
            }
            let Some(prev) = ni.checked_sub(1) else {
                return;
            };
            ni = prev;
        }
    }

    /// Visit elements from the head (or the tail when `from_tail`) until `f` breaks.
    pub fn scan(&self, from_tail: bool, mut f: impl FnMut(LpEntry<'_>) -> ControlFlow<()>) {
        let order: Box<dyn Iterator<Item = &Node>> = if from_tail {
            Box::new(self.nodes.iter().rev())
        } else {
            Box::new(self.nodes.iter())
        };
        for node in order {
            let lp = node.lp();
            let flow = if from_tail {
                lp.iter().rev().try_for_each(&mut f)
            } else {
                lp.iter().try_for_each(&mut f)
            };
            if flow.is_break() {
                return;
            }
        }
    }

    /// Offset from the head of the first element equal to `v`.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        let mut i = 0;
        let mut found = None;
        self.scan(false, |e| {
            if e.eq_bytes(v) {
                found = Some(i);
                return ControlFlow::Break(());
            }
            i += 1;
            ControlFlow::Continue(())
        });
        found
    }

    // ---------------------------------------------------------------------------------
    // Insertion in the middle (LINSERT)
    // ---------------------------------------------------------------------------------

    /// Insert `v` just before (or after, when `after`) the element at offset `index`.
    /// Returns false when `index` is out of range. Follows Redis's `_quicklistInsert`: use
    /// the node if it has room, else the neighbour at that edge, else a new node at the
    /// edge, else split the node there (then merge small neighbours back).
    pub fn insert(&mut self, index: usize, v: &[u8], after: bool) -> bool {
        let Some((ni, off)) = self.locate(index) else {
            return false;
        };
        let count = self.nodes[ni].count();
        let full = !self.allows_insert(&self.nodes[ni], v.len());
        let at_tail = after && off + 1 == count;
        let at_head = !after && off == 0;
        let avail_next = at_tail
            && self
                .nodes
                .get(ni + 1)
                .is_some_and(|n| self.allows_insert(n, v.len()));
        let avail_prev = at_head
            && ni > 0
            && self
                .nodes
                .get(ni - 1)
                .is_some_and(|n| self.allows_insert(n, v.len()));
        self.len += 1;
        if !full {
            let lp = self.nodes[ni].lp_mut();
            if let Some(pos) = lp.seek(off as i64) {
                if after {
                    lp.insert_after(pos, v);
                } else {
                    lp.insert_before(pos, v);
                }
            }
            self.fix_compression(&[ni]);
        } else if avail_next {
            self.nodes[ni + 1].lp_mut().push_front(v);
            self.fix_compression(&[ni + 1]);
        } else if avail_prev {
            self.nodes[ni - 1].lp_mut().push_back(v);
            self.fix_compression(&[ni - 1]);
        } else if at_tail || at_head {
            let mut lp = Listpack::new();
            lp.push_back(v);
            let at = if after { ni + 1 } else { ni };
            self.nodes.insert(at, Node::Plain(lp));
            self.fix_compression(&[at]);
        } else {
            // Split: with `after`, the node keeps [..=off] and a new node after it takes
            // the rest, starting with `v`; otherwise the node keeps [off..] and a new node
            // before it takes [..off] followed by `v`.
            let node = self.nodes[ni].lp_mut();
            let mut part = Listpack::new();
            let center = if after {
                for e in node.iter().skip(off + 1) {
                    part.push_back_entry(e);
                }
                node.delete_range(off + 1, count - off - 1);
                node.shrink_to_fit();
                part.push_front(v);
                self.nodes.insert(ni + 1, Node::Plain(part));
                ni
            } else {
                for e in node.iter().take(off) {
                    part.push_back_entry(e);
                }
                node.delete_range(0, off);
                node.shrink_to_fit();
                part.push_back(v);
                self.nodes.insert(ni, Node::Plain(part));
                ni + 1
            };
            let touched = self.merge_around(center);
            self.fix_compression(&touched);
        }
        true
    }

    /// Merge nodes[a + 1] into nodes[a] when their sizes allow; true if merged.
    fn try_merge(&mut self, a: usize) -> bool {
        if a + 1 >= self.nodes.len() || !self.allows_merge(&self.nodes[a], &self.nodes[a + 1]) {
            return false;
        }
        let Some(b) = self.nodes.remove(a + 1) else {
            return false;
        };
        let lp = self.nodes[a].lp_mut();
        for e in b.lp().iter() {
            lp.push_back_entry(e);
        }
        true
    }

    /// Redis's `_quicklistMergeNodes` around `center`: merge (prev-prev, prev),
    /// (next, next-next), (prev, center), (center, next). Returns the indexes of the nodes
    /// that may have changed.
    fn merge_around(&mut self, center: usize) -> Vec<usize> {
        let mut c = center;
        if c >= 2 && self.try_merge(c - 2) {
            c -= 1;
        }
        self.try_merge(c + 1);
        if c >= 1 && self.try_merge(c - 1) {
            c -= 1;
        }
        self.try_merge(c);
        (c.saturating_sub(2)..=c + 2)
            .filter(|&i| i < self.nodes.len())
            .collect()
    }

    // ---------------------------------------------------------------------------------
    // Removal
    // ---------------------------------------------------------------------------------

    /// Remove `count` elements starting at offset `start` (fewer if the list ends first).
    pub fn delete_range(&mut self, start: usize, count: usize) {
        let count = count.min(self.len.saturating_sub(start));
        if count == 0 {
            return;
        }
        let Some((ni, off)) = self.locate(start) else {
            return;
        };
        let mut left = count;
        let mut i = ni;
        let mut touched = Vec::with_capacity(2);
        if off > 0 {
            let c = self.nodes[i].count();
            let take = (c - off).min(left);
            self.nodes[i].lp_mut().delete_range(off, take);
            touched.push(i);
            left -= take;
            i += 1;
        }
        let mut j = i;
        while j < self.nodes.len() && left >= self.nodes[j].count() {
            left -= self.nodes[j].count();
            j += 1;
        }
        self.nodes.remove_range(i..j);
        if left > 0
            && let Some(node) = self.nodes.get_mut(i)
        {
            node.lp_mut().delete_range(0, left);
            touched.push(i);
        }
        self.len -= count;
        self.fix_compression(&touched);
    }

    /// LREM: remove elements equal to `v`, at most `count` from the head (`count > 0`) or
    /// from the tail (`count < 0`), or all (`count == 0`). Returns how many were removed.
    pub fn remove(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let from_tail = count < 0;
        let mut removed = 0;
        let n = self.nodes.len();
        let mut changed = false;
        for k in 0..n {
            if removed == limit {
                break;
            }
            let ni = if from_tail { n - 1 - k } else { k };
            if !self.nodes[ni].lp().iter().any(|e| e.eq_bytes(v)) {
                continue;
            }
            changed = true;
            let lp = self.nodes[ni].lp_mut();
            if from_tail {
                let mut pos = lp.last();
                while let Some(p) = pos {
                    let prev = lp.prev(p);
                    if lp.get(p).eq_bytes(v) {
                        lp.delete(p);
                        removed += 1;
                        if removed == limit {
                            break;
                        }
                    }
                    pos = prev;
                }
            } else {
                let mut pos = lp.first();
                while let Some(p) = pos {
                    if lp.get(p).eq_bytes(v) {
                        pos = lp.delete(p);
                        removed += 1;
                        if removed == limit {
                            break;
                        }
                    } else {
                        pos = lp.next(p);
                    }
                }
            }
        }
        if changed {
            self.nodes.retain(|n| n.count() > 0);
            self.len -= removed;
            self.compress_all_inner();
        }
        removed
    }

    // ---------------------------------------------------------------------------------
    // Whole-list helpers
    // ---------------------------------------------------------------------------------

    /// Every element as bytes, head to tail (tests, small lists).
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.len);
        self.for_range(0, self.len, false, |e| out.push(e.to_vec()));
        out
    }

    /// Check the structural invariants (tests).
    #[cfg(test)]
    fn check(&self) {
        let total: usize = self.nodes.iter().map(Node::count).sum();
        assert_eq!(total, self.len);
        assert!(self.nodes.iter().all(|n| n.count() > 0), "empty node");
        let d = self.depth as usize;
        let n = self.nodes.len();
        for (i, node) in self.nodes.iter().enumerate() {
            let inner = d > 0 && i >= d && i + d < n;
            if !inner {
                assert!(
                    !node.is_compressed(),
                    "end node {i} of {n} compressed (depth {d})"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
