//! The stream type (Redis's `t_stream.c` data layer): entries ordered by ID, grouped in
//! listpack nodes, plus consumer groups with their pending entries lists (PEL).
//!
//! # Layout
//! As in Redis, entries live in listpacks of up to `stream-node-max-bytes` bytes and
//! `stream-node-max-entries` entries, indexed by their *master ID* (the ID of the first entry
//! added to the node). The index is a sorted `VecDeque` rather than a tree: nodes are only
//! appended at the end and mostly trimmed from the front, lookups are binary searches, and a
//! small stream pays 48 bytes for it instead of a tree node. Each node starts with a master entry, then holds its
//! entries, IDs delta-encoded against the master ID:
//! ```text
//! master: count deleted num-fields field_1 .. field_N 0
//! entry:  flags ms-diff seq-diff [num-fields] [field_1] value_1 .. [field_N] value_N lp-count
//! ```
//! An entry whose field names equal the master's carries the SAMEFIELDS flag and only its
//! values. `lp-count` (the number of listpack elements before it in the entry) lets the
//! node be walked backwards. The bytes are Redis's, so RDB persistence can write nodes as is.
//!
//! # Invariants
//! - Node keys are increasing and every ID in a node is >= its master ID and < the next
//!   node's master ID.
//! - Deleting an entry only flags it (DELETED) and moves one from `count` to `deleted` in
//!   the master entry; a node whose last live entry is deleted by XDEL is removed, as Redis
//!   does. Trimming inside a node may leave a node with no live entry (Redis does too).
//! - `length` is the number of live entries; `last_id` never decreases (XSETID aside).
//! - Every NACK in a group PEL is also in its consumer's PEL, and the other way round.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::encodings::listpack::{Listpack, LpEntry};
use crate::util::numbers::fmt_i64;

/// Entry flag: deleted (a tombstone).
pub const FLAG_DELETED: i64 = 1;
/// Entry flag: same field names as the master entry.
pub const FLAG_SAMEFIELDS: i64 = 2;
/// A group's `entries_read` when it is unknown (Redis's `SCG_INVALID_ENTRIES_READ`).
pub const INVALID_ENTRIES_READ: i64 = -1;
/// Redis never lets a node listpack grow past 1 GiB.
const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// Bytes preallocated for a new node (Redis's `STREAM_LISTPACK_MAX_PRE_ALLOCATE`).
const MAX_PREALLOC: usize = 4096;

/// A stream entry ID: milliseconds and sequence number, compared in that order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID, or `None` past the maximum (Redis's `streamIncrID` failing).
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID, or `None` below 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// Appends `<ms>-<seq>`.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_u64(self.ms, out);
        out.push(b'-');
        write_u64(self.seq, out);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(24);
        self.write(&mut v);
        v
    }
}

fn write_u64(v: u64, out: &mut Vec<u8>) {
    if v <= i64::MAX as u64 {
        fmt_i64(v as i64, out);
    } else {
        out.extend_from_slice(v.to_string().as_bytes());
    }
}

/// A pending entry: delivered to `consumer` and not acknowledged yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Box<[u8]>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Consumer {
    /// Unix ms of the last time the consumer was seen (read, claimed).
    pub seen_time: i64,
    /// IDs of the group PEL entries this consumer owns.
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Group {
    pub last_id: StreamId,
    /// Logical read counter of `last_id`, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    /// By name, in byte order as Redis's rax lists them.
    pub consumers: BTreeMap<Box<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Self {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Drop the PEL entry `id` from the group and its owner; returns whether it existed.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(n) => {
                if let Some(c) = self.consumers.get_mut(&n.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Give the PEL entry `id` to `consumer` (which must exist).
    pub fn reassign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(n) = self.pel.get_mut(&id) else {
            return;
        };
        if *n.consumer != *consumer {
            if let Some(old) = self.consumers.get_mut(&n.consumer) {
                old.pel.remove(&id);
            }
            n.consumer = consumer.into();
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Delete a consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// The consumer `name`, created if missing, its `seen_time` refreshed either way.
    /// Returns whether it was created (Redis then notifies `xgroup-createconsumer`).
    pub fn consumer_seen(&mut self, name: &[u8], now: i64) -> bool {
        match self.consumers.get_mut(name) {
            Some(c) => {
                c.seen_time = now;
                false
            }
            None => {
                let c = Consumer {
                    seen_time: now,
                    pel: BTreeSet::new(),
                };
                self.consumers.insert(name.into(), c);
                true
            }
        }
    }
}

/// How to trim (XADD/XTRIM options).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: only remove whole nodes.
    pub approx: bool,
    /// Most entries to remove; 0 = no limit.
    pub limit: u64,
}

/// Why an entry could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the stream's last ID.
    IdTooSmall,
    /// The fields add up to more than a listpack can hold.
    TooLarge,
}

/// The node-size limits (`stream-node-max-bytes`, `stream-node-max-entries`).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Stream {
    /// (master ID, node), sorted by master ID.
    nodes: VecDeque<(StreamId, Listpack)>,
    pub length: u64,
    pub last_id: StreamId,
    /// First live entry's ID (0-0 when empty), as Redis records it.
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Box<[u8]>, Group>,
}

fn int_at(lp: &Listpack, pos: usize) -> i64 {
    lp.get(pos).as_i64().unwrap_or(0)
}

/// The master entry of a node.
#[derive(Clone, Copy, Debug)]
struct Master {
    count: i64,
    deleted: i64,
    nfields: usize,
    /// Position of the first master field.
    fields: usize,
    /// Position of the first entry's flags.
    first_entry: Option<usize>,
}

fn master(lp: &Listpack) -> Master {
    let Some(p) = lp.first() else {
        return Master {
            count: 0,
            deleted: 0,
            nfields: 0,
            fields: 0,
            first_entry: None,
        };
    };
    let count = int_at(lp, p);
    let p = lp.next(p).unwrap_or(p);
    let deleted = int_at(lp, p);
    let p = lp.next(p).unwrap_or(p);
    let nfields = int_at(lp, p).max(0) as usize;
    let mut q = lp.next(p).unwrap_or(p);
    let fields = q;
    for _ in 0..nfields {
        q = lp.next(q).unwrap_or(q);
    }
    // `q` is the master terminator.
    Master {
        count,
        deleted,
        nfields,
        fields,
        first_entry: lp.next(q),
    }
}

/// One entry of a node, as read from its listpack.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub id: StreamId,
    pub flags: i64,
    pub nfields: usize,
    lp: &'a Listpack,
    master_fields: usize,
    /// Position of the first field (or first value with SAMEFIELDS).
    data: usize,
    flags_pos: usize,
    lp_count_pos: usize,
    node: StreamId,
}

impl<'a> Entry<'a> {
    pub fn is_deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    /// The field/value pairs.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            lp: self.lp,
            same: self.flags & FLAG_SAMEFIELDS != 0,
            fpos: self.master_fields,
            vpos: self.data,
            remaining: self.nfields,
        }
    }
}

/// Iterator over an entry's (field, value) pairs.
pub struct Fields<'a> {
    lp: &'a Listpack,
    same: bool,
    fpos: usize,
    vpos: usize,
    remaining: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (LpEntry<'a>, LpEntry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let lp = self.lp;
        let (f, v);
        if self.same {
            f = lp.get(self.fpos);
            v = lp.get(self.vpos);
            self.fpos = lp.next(self.fpos).unwrap_or(self.fpos);
            self.vpos = lp.next(self.vpos).unwrap_or(self.vpos);
        } else {
            f = lp.get(self.vpos);
            let vp = lp.next(self.vpos).unwrap_or(self.vpos);
            v = lp.get(vp);
            self.vpos = lp.next(vp).unwrap_or(vp);
        }
        Some((f, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Fields<'_> {}

/// Read the entry whose flags are at `pos`.
fn read_entry<'a>(lp: &'a Listpack, node: StreamId, m: &Master, pos: usize) -> Entry<'a> {
    let flags = int_at(lp, pos);
    let p = lp.next(pos).unwrap_or(pos);
    let ms_diff = int_at(lp, p);
    let p = lp.next(p).unwrap_or(p);
    let seq_diff = int_at(lp, p);
    let mut p = lp.next(p).unwrap_or(p);
    let same = flags & FLAG_SAMEFIELDS != 0;
    let nfields = if same {
        m.nfields
    } else {
        let n = int_at(lp, p).max(0) as usize;
        p = lp.next(p).unwrap_or(p);
        n
    };
    let data = p;
    let elements = if same { nfields } else { nfields * 2 };
    for _ in 0..elements {
        p = lp.next(p).unwrap_or(p);
    }
    Entry {
        id: StreamId::new(
            node.ms.wrapping_add(ms_diff as u64),
            node.seq.wrapping_add(seq_diff as u64),
        ),
        flags,
        nfields,
        lp,
        master_fields: m.fields,
        data,
        flags_pos: pos,
        lp_count_pos: p,
        node,
    }
}

/// Position of the flags of the entry before the one at `flags_pos` (or of the last entry
/// when `lp_count_pos` is the listpack's last element).
fn entry_start_from_count(lp: &Listpack, lp_count_pos: usize) -> Option<usize> {
    let n = int_at(lp, lp_count_pos);
    if n <= 0 {
        return None; // the master terminator
    }
    let mut p = lp_count_pos;
    for _ in 0..n {
        p = lp.prev(p)?;
    }
    Some(p)
}

/// Iterates the entries of a stream (tombstones included) in either direction.
pub struct Iter<'a> {
    nodes: &'a VecDeque<(StreamId, Listpack)>,
    /// Next node index to visit going forward / one past the next going backward.
    front: usize,
    back: usize,
    rev: bool,
    cur: Option<(StreamId, &'a Listpack, Master, Option<usize>)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            if let Some((key, lp, m, pos)) = &mut self.cur
                && let Some(p) = *pos
            {
                let lp: &'a Listpack = lp;
                let e = read_entry(lp, *key, m, p);
                *pos = if self.rev {
                    lp.prev(p).and_then(|c| entry_start_from_count(lp, c))
                } else {
                    lp.next(e.lp_count_pos)
                };
                return Some(e);
            }
            if self.front >= self.back {
                return None;
            }
            let (key, lp) = if self.rev {
                self.back -= 1;
                self.nodes.get(self.back)?
            } else {
                self.front += 1;
                self.nodes.get(self.front - 1)?
            };
            let m = master(lp);
            let start = if self.rev {
                lp.last().and_then(|p| entry_start_from_count(lp, p))
            } else {
                m.first_entry
            };
            self.cur = Some((*key, lp, m, start));
        }
    }
}

impl Stream {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes (XINFO `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes in order, as (master ID, listpack): what RDB persistence writes verbatim.
    pub fn nodes(&self) -> impl DoubleEndedIterator<Item = (StreamId, &Listpack)> {
        self.nodes.iter().map(|(k, lp)| (*k, lp))
    }

    /// Append a node read from outside (RDB, RESTORE) after the existing ones. The caller
    /// validates the listpack's stream layout and sets `length`, `last_id`, `first_id`,
    /// `max_deleted_entry_id` and `entries_added` from the same source. Returns false (and
    /// keeps nothing) when `master` does not sort after the last node.
    pub fn push_raw_node(&mut self, master: StreamId, lp: Listpack) -> bool {
        if self.nodes.back().is_some_and(|(k, _)| *k >= master) {
            return false;
        }
        self.nodes.push_back((master, lp));
        true
    }

    /// Bytes held by the node listpacks (memory accounting).
    pub fn nodes_bytes(&self) -> usize {
        self.nodes.iter().map(|(_, lp)| lp.capacity()).sum()
    }

    /// Entries (tombstones included) from the node holding `from` onwards, or backwards
    /// from the node holding `from` when `rev`.
    pub fn iter_from(&self, from: StreamId, rev: bool) -> Iter<'_> {
        // Nodes with a master ID <= `from`: the last of them may hold `from`.
        let upto = self.nodes.partition_point(|(k, _)| *k <= from);
        let (front, back) = if rev {
            (0, upto)
        } else {
            (upto.saturating_sub(1), self.nodes.len())
        };
        Iter {
            nodes: &self.nodes,
            front,
            back,
            rev,
            cur: None,
        }
    }

    /// Call `f` for each live entry in `[start, end]` (reversed when `rev`), at most `count`
    /// entries (0 = no limit); `f` returns false to stop. Returns the number visited.
    pub fn range<'a>(
        &'a self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
        mut f: impl FnMut(&Entry<'a>) -> bool,
    ) -> usize {
        let mut n = 0;
        if start > end {
            return 0;
        }
        for e in self.iter_from(if rev { end } else { start }, rev) {
            if rev {
                if e.id > end {
                    continue;
                }
                if e.id < start {
                    break;
                }
            } else {
                if e.id < start {
                    continue;
                }
                if e.id > end {
                    break;
                }
            }
            if e.is_deleted() {
                continue;
            }
            n += 1;
            if !f(&e) || (count != 0 && n == count) {
                break;
            }
        }
        n
    }

    /// The live entry `id`, if any.
    pub fn get(&self, id: StreamId) -> Option<Entry<'_>> {
        let mut found = None;
        self.range(id, id, false, 1, |e| {
            found = Some(*e);
            false
        });
        found
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The first or last entry, tombstones included or not (Redis's `streamGetEdgeID`);
    /// `None` when there is none.
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> Option<StreamId> {
        let from = if first { StreamId::MIN } else { StreamId::MAX };
        self.iter_from(from, !first)
            .find(|e| !skip_tombstones || !e.is_deleted())
            .map(|e| e.id)
    }

    /// The last live entry's ID (Redis's `streamLastValidID`), 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.edge_id(false, true).unwrap_or_default()
    }

    /// The ID XADD would use. `given` is an explicit ID and whether its sequence was given
    /// (`<ms>-*` leaves it to be generated).
    pub fn next_id(
        &self,
        now_ms: u64,
        given: Option<(StreamId, bool)>,
    ) -> Result<StreamId, AddError> {
        let id = match given {
            Some((id, true)) => id,
            Some((id, false)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AddError::IdTooSmall);
                    }
                    StreamId::new(id.ms, self.last_id.seq + 1)
                } else {
                    id
                }
            }
            None => {
                if now_ms > self.last_id.ms {
                    StreamId::new(now_ms, 0)
                } else {
                    self.last_id.incr().unwrap_or(StreamId::MIN)
                }
            }
        };
        if id <= self.last_id {
            return Err(AddError::IdTooSmall);
        }
        Ok(id)
    }

    /// Append an entry with the flat `fields` list (field, value, ...) under `id`, which must
    /// be greater than `last_id` (see [`Stream::next_id`]).
    pub fn append(
        &mut self,
        id: StreamId,
        fields: &[&[u8]],
        limits: NodeLimits,
    ) -> Result<(), AddError> {
        if id <= self.last_id {
            return Err(AddError::IdTooSmall);
        }
        let total: usize = fields.iter().map(|f| f.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        let numfields = fields.len() / 2;
        let node_max = if limits.max_bytes == 0 || limits.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            limits.max_bytes
        };
        let mut tail = self.nodes.back_mut();
        if let Some((_, lp)) = &mut tail {
            let m = master(lp);
            let full = lp.bytes_len() + total >= node_max
                || (limits.max_entries != 0 && (m.count + m.deleted) as u64 >= limits.max_entries);
            if full {
                lp.shrink_to_fit();
                tail = None;
            }
        }
        let mut flags = 0;
        let (master_id, lp) = match tail {
            None => {
                let prealloc = if limits.max_bytes > 0 && limits.max_bytes < MAX_PREALLOC {
                    limits.max_bytes
                } else {
                    MAX_PREALLOC
                };
                let mut lp = Listpack::with_capacity(prealloc.saturating_sub(7));
                lp.push_back_int(1);
                lp.push_back_int(0);
                lp.push_back_int(numfields as i64);
                for f in fields.iter().step_by(2) {
                    lp.push_back(f);
                }
                lp.push_back_int(0);
                flags |= FLAG_SAMEFIELDS;
                // `id` is above every master ID: the node goes at the end. A one-node stream
                // (the common small case) holds exactly one slot.
                if self.nodes.is_empty() {
                    self.nodes.reserve_exact(1);
                }
                self.nodes.push_back((id, lp));
                let Some((_, lp)) = self.nodes.back_mut() else {
                    return Err(AddError::TooLarge);
                };
                (id, lp)
            }
            Some((key, lp)) => {
                let key = *key;
                let m = master(lp);
                if let Some(p) = lp.first() {
                    lp.replace_int(p, m.count + 1);
                }
                if numfields == m.nfields {
                    let mut p = m.fields;
                    let mut same = true;
                    for f in fields.iter().step_by(2) {
                        if !lp.get(p).eq_bytes(f) {
                            same = false;
                            break;
                        }
                        p = lp.next(p).unwrap_or(p);
                    }
                    if same {
                        flags |= FLAG_SAMEFIELDS;
                    }
                }
                (key, lp)
            }
        };
        let same = flags & FLAG_SAMEFIELDS != 0;
        lp.push_back_int(flags);
        lp.push_back_int(id.ms.wrapping_sub(master_id.ms) as i64);
        lp.push_back_int(id.seq.wrapping_sub(master_id.seq) as i64);
        if !same {
            lp.push_back_int(numfields as i64);
        }
        for pair in fields.chunks_exact(2) {
            if !same {
                lp.push_back(pair[0]);
            }
            lp.push_back(pair[1]);
        }
        let mut lp_count = numfields as i64 + 3;
        if !same {
            lp_count += numfields as i64 + 1;
        }
        lp.push_back_int(lp_count);
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(())
    }

    /// Flag the live entry `id` deleted (removing its node if it was the node's last live
    /// entry). Updates `length` only.
    fn delete_entry(&mut self, id: StreamId) -> bool {
        let Some(e) = self.get(id) else {
            return false;
        };
        let (node, flags_pos, flags) = (e.node, e.flags_pos, e.flags);
        let Ok(i) = self.nodes.binary_search_by(|(k, _)| k.cmp(&node)) else {
            return false;
        };
        let lp = &mut self.nodes[i].1;
        let m = master(lp);
        if m.count == 1 {
            self.nodes.remove(i);
        } else {
            lp.replace_int(flags_pos, flags | FLAG_DELETED);
            set_counts(lp, m.count - 1, m.deleted + 1);
        }
        self.length -= 1;
        true
    }

    /// XDEL: delete each ID; returns how many existed. Keeps `first_id` and
    /// `max_deleted_entry_id` as Redis does.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_entry = false;
        for &id in ids {
            if self.delete_entry(id) {
                if id == self.first_id {
                    first_entry = true;
                }
                if id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_entry {
                self.first_id = self.edge_id(true, true).unwrap_or(StreamId::MAX);
            }
        }
        deleted
    }

    /// Trim as XADD/XTRIM do (Redis's `streamTrim`); returns the number of entries removed.
    pub fn trim(&mut self, t: &Trim) -> u64 {
        let mut deleted: u64 = 0;
        // Trimming works from the first node on: it removes it and goes on, or stops there.
        loop {
            if let TrimStrategy::MaxLen(max) = t.strategy
                && self.length <= max
            {
                break;
            }
            let Some((key, lp)) = self.nodes.front() else {
                break;
            };
            let key = *key;
            let m = master(lp);
            let entries = m.count.max(0) as u64;
            if t.limit != 0 && deleted + entries > t.limit {
                break;
            }
            let remove_node = match t.strategy {
                TrimStrategy::MaxLen(max) => self.length - entries >= max,
                TrimStrategy::MinId(min) => {
                    let last = lp
                        .last()
                        .and_then(|p| entry_start_from_count(lp, p))
                        .map(|p| read_entry(lp, key, &m, p).id)
                        .unwrap_or_default();
                    last < min
                }
            };
            if remove_node {
                self.nodes.pop_front();
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if t.approx {
                break;
            }
            // Flag entries inside this node, then stop: it had enough.
            let mut marks = Vec::new();
            let mut length = self.length;
            let mut pos = m.first_entry;
            while let Some(p) = pos {
                let e = read_entry(lp, key, &m, p);
                let stop = match t.strategy {
                    TrimStrategy::MaxLen(max) => length <= max,
                    TrimStrategy::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if !e.is_deleted() {
                    marks.push((p, e.flags));
                    length -= 1;
                }
                pos = lp.next(e.lp_count_pos);
            }
            let n = marks.len() as i64;
            if let Some((_, lp)) = self.nodes.front_mut() {
                // Flags 0/2 become 1/3: same one-byte encoding, positions stay valid.
                for (p, flags) in marks {
                    lp.replace_int(p, flags | FLAG_DELETED);
                }
                set_counts(lp, m.count - n, m.deleted + n);
            }
            self.length = length;
            deleted += n as u64;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true).unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// Number of nodes Redis's radix tree would have for these keys (XINFO
    /// `radix-tree-nodes`). Rax keeps chains of single-child nodes compressed, also after
    /// deletions, so the count depends only on the set of 16-byte big-endian keys: the root,
    /// every branching point, every leaf, and each compressed chain hanging from a
    /// branching point (or from a root with a single child).
    pub fn rax_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.iter().map(|(k, _)| encode_id(k)).collect();
        rax_node_count(&keys)
    }

    /// Whether `[start, +inf)` may hold a tombstone (Redis's `streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            // The latest tombstone is before the first entry.
            return false;
        }
        start <= self.max_deleted_entry_id
    }

    /// The logical read counter of `id` if it can be known
    /// (Redis 7.0's `streamEstimateDistanceFromFirstEverEntry`).
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return self.entries_added as i64,
            std::cmp::Ordering::Greater => return INVALID_ENTRIES_READ,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag, `None` when it cannot be known (Redis 7.0's `streamReplyWithCGLag`).
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(g.last_id) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| self.entries_added as i64 - read)
    }

    /// Advance a group past `id`, delivered by XREADGROUP, keeping `entries_read` as Redis.
    pub fn advance_group(&self, g: &mut Group, id: StreamId) {
        if id <= g.last_id {
            return;
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(id) {
            g.entries_read += 1;
        } else if self.entries_added != 0 {
            g.entries_read = self.estimate_distance(id);
        }
        g.last_id = id;
    }
}

fn set_counts(lp: &mut Listpack, count: i64, deleted: i64) {
    if let Some(p) = lp.first() {
        let p = lp.replace_int(p, count);
        if let Some(q) = lp.next(p) {
            lp.replace_int(q, deleted);
        }
    }
}

/// An ID as Redis's rax key: 128-bit big endian.
pub fn encode_id(id: &StreamId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.ms.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}

fn lcp(a: &[u8; 16], b: &[u8; 16]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Node count of a compressed radix tree (as Redis's rax builds it) holding the sorted,
/// distinct, equal-length `keys`.
fn rax_node_count(keys: &[[u8; 16]]) -> u64 {
    let n = keys.len() as u64;
    if n == 0 {
        return 1;
    }
    let lcps: Vec<usize> = keys.windows(2).map(|w| lcp(&w[0], &w[1])).collect();
    // Branching nodes are the distinct lcp-intervals; walk them with a stack to learn each
    // one's depth and its parent's depth.
    let mut branching = 0u64;
    let mut child_of_branch = 0u64; // branching nodes right below another branching node
    let mut root_branches = false;
    let mut stack: Vec<usize> = Vec::new();
    let mut close = |depth: usize, parent: Option<usize>, branching: &mut u64| {
        *branching += 1;
        if depth == 0 {
            root_branches = true;
        }
        if parent.is_some_and(|p| p + 1 == depth) {
            child_of_branch += 1;
        }
    };
    for &l in &lcps {
        while let Some(&top) = stack.last() {
            if top <= l {
                break;
            }
            stack.pop();
            let parent = match stack.last() {
                Some(&s) if s >= l => Some(s),
                _ => Some(l),
            };
            close(top, parent, &mut branching);
        }
        if stack.last() != Some(&l) {
            stack.push(l);
        }
    }
    while let Some(top) = stack.pop() {
        close(top, stack.last().copied(), &mut branching);
    }
    // Leaves whose parent char node branches: the deepest interval around them is 15 deep.
    let last = 15;
    let mut leaf_below_branch = 0u64;
    for i in 0..keys.len() {
        let left = if i > 0 { Some(lcps[i - 1]) } else { None };
        let right = lcps.get(i).copied();
        let deepest = left.into_iter().chain(right).max();
        if deepest == Some(last) {
            leaf_below_branch += 1;
        }
    }
    let children = n - 1 + branching;
    let chains = children - child_of_branch - leaf_below_branch;
    let root_chain = if root_branches { 0 } else { 1 };
    branching + n + chains + root_chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

    fn fields_of(e: &Entry<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
        e.fields().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    fn all(s: &Stream, rev: bool) -> Vec<(StreamId, Pairs)> {
        let mut out = Vec::new();
        s.range(StreamId::MIN, StreamId::MAX, rev, 0, |e| {
            out.push((e.id, fields_of(e)));
            true
        });
        out
    }

    #[test]
    fn append_and_read_back_both_ways() {
        let mut s = Stream::new();
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 3,
        };
        s.append(id(1, 0), &[b"a", b"1", b"b", b"2"], lim).unwrap();
        s.append(id(1, 5), &[b"a", b"x", b"b", b"y"], lim).unwrap();
        s.append(id(2, 0), &[b"c", b"3"], lim).unwrap();
        s.append(id(3, 0), &[b"a", b"-7"], lim).unwrap();
        assert_eq!(s.node_count(), 2);
        assert_eq!(s.len(), 4);
        let fwd = all(&s, false);
        assert_eq!(fwd.len(), 4);
        assert_eq!(fwd[1].0, id(1, 5));
        assert_eq!(fwd[1].1[1], (b"b".to_vec(), b"y".to_vec()));
        assert_eq!(fwd[2].1, vec![(b"c".to_vec(), b"3".to_vec())]);
        assert_eq!(fwd[3].1, vec![(b"a".to_vec(), b"-7".to_vec())]);
        let mut rev = all(&s, true);
        rev.reverse();
        assert_eq!(rev, fwd);
        assert_eq!(
            s.append(id(3, 0), &[b"a", b"1"], lim),
            Err(AddError::IdTooSmall)
        );
    }

    #[test]
    fn redis_node_bytes() {
        // XADD s 1-1 a 1: bytes as Redis 7.0 lays out the node.
        let mut s = Stream::new();
        s.append(id(1, 1), &[b"a", b"1"], NodeLimits::default())
            .unwrap();
        let lp = &s.nodes[0].1;
        let items: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        let want: Vec<&[u8]> = vec![b"1", b"0", b"1", b"a", b"0", b"2", b"0", b"0", b"1", b"4"];
        assert_eq!(items, want.iter().map(|w| w.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn delete_flags_and_drops_empty_nodes() {
        let mut s = Stream::new();
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 2,
        };
        for i in 1..=5 {
            s.append(id(i, 0), &[b"f", b"v"], lim).unwrap();
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.delete_ids(&[id(1, 0), id(9, 9), id(1, 0)]), 1);
        assert_eq!(s.first_id, id(2, 0));
        assert_eq!(s.max_deleted_entry_id, id(1, 0));
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.delete_ids(&[id(2, 0)]), 1);
        assert_eq!(s.node_count(), 2);
        assert_eq!(s.delete_ids(&[id(3, 0), id(4, 0), id(5, 0)]), 3);
        assert_eq!(s.node_count(), 0);
        assert_eq!(s.first_id, StreamId::MIN);
        assert_eq!(s.last_id, id(5, 0));
        assert_eq!(s.rax_nodes(), 1);
    }

    #[test]
    fn trim_exact_and_approx() {
        let mut s = Stream::new();
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 10,
        };
        for i in 1..=35 {
            s.append(id(i, 0), &[b"f", b"v"], lim).unwrap();
        }
        let approx = Trim {
            strategy: TrimStrategy::MaxLen(22),
            approx: true,
            limit: 0,
        };
        assert_eq!(s.trim(&approx), 10);
        assert_eq!(s.len(), 25);
        let exact = Trim {
            approx: false,
            ..approx
        };
        assert_eq!(s.trim(&exact), 3);
        assert_eq!(s.first_id, id(14, 0));
        let minid = Trim {
            strategy: TrimStrategy::MinId(id(30, 0)),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(&minid), 16);
        assert_eq!(all(&s, false).first().unwrap().0, id(30, 0));
    }

    #[test]
    fn rax_node_counts_match_redis() {
        // Values observed on Redis 7.0 (XINFO STREAM radix-tree-nodes).
        let keys = |ids: &[(u64, u64)]| -> Vec<[u8; 16]> {
            ids.iter().map(|&(a, b)| encode_id(&id(a, b))).collect()
        };
        assert_eq!(rax_node_count(&keys(&[])), 1);
        assert_eq!(rax_node_count(&keys(&[(1, 1)])), 2);
        // Two keys differing in the last byte: root chain, branch, two leaves.
        assert_eq!(rax_node_count(&keys(&[(1, 1), (1, 2)])), 4);
        // Differing earlier: two chains below the branch.
        assert_eq!(rax_node_count(&keys(&[(1, 1), (2, 1)])), 6);
    }

    /// Model-based check against a BTreeMap of live entries.
    #[test]
    fn model_based_random_ops() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..20 {
            let lim = NodeLimits {
                max_bytes: 64 + (round * 37) % 500,
                max_entries: (round % 7) as u64,
            };
            let mut s = Stream::new();
            let mut model: BTreeMap<StreamId, Vec<Vec<u8>>> = BTreeMap::new();
            let mut ms = 1u64;
            for _ in 0..400 {
                match rnd() % 10 {
                    0..=5 => {
                        ms += rnd() % 3;
                        let nid = s.next_id(ms, None).unwrap();
                        let nf = 1 + (rnd() % 3) as usize;
                        let mut flat: Vec<Vec<u8>> = Vec::new();
                        for i in 0..nf {
                            flat.push(format!("f{}", (i as u64 + rnd() % 2)).into_bytes());
                            flat.push(format!("{}", rnd() % 1000).into_bytes());
                        }
                        let refs: Vec<&[u8]> = flat.iter().map(|v| v.as_slice()).collect();
                        s.append(nid, &refs, lim).unwrap();
                        model.insert(nid, flat);
                    }
                    6 | 7 => {
                        let keys: Vec<StreamId> = model.keys().copied().collect();
                        if let Some(&k) = keys.get((rnd() as usize) % keys.len().max(1)) {
                            assert_eq!(s.delete_ids(&[k]), 1);
                            model.remove(&k);
                        }
                    }
                    8 => {
                        let max = rnd() % 30;
                        let t = Trim {
                            strategy: TrimStrategy::MaxLen(max),
                            approx: rnd().is_multiple_of(2),
                            limit: 0,
                        };
                        let n = s.trim(&t);
                        for _ in 0..n {
                            model.pop_first();
                        }
                        if !t.approx {
                            assert!(s.len() <= max);
                        }
                    }
                    _ => {
                        let keys: Vec<StreamId> = model.keys().copied().collect();
                        if let Some(&k) = keys.get((rnd() as usize) % keys.len().max(1)) {
                            let t = Trim {
                                strategy: TrimStrategy::MinId(k),
                                approx: false,
                                limit: 0,
                            };
                            s.trim(&t);
                            model.retain(|id, _| *id >= k);
                        }
                    }
                }
                assert_eq!(s.len() as usize, model.len());
                let got = all(&s, false);
                let want: Vec<_> = model
                    .iter()
                    .map(|(k, v)| {
                        (
                            *k,
                            v.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect(),
                        )
                    })
                    .collect::<Vec<(StreamId, Pairs)>>();
                assert_eq!(got, want);
                let mut rev = all(&s, true);
                rev.reverse();
                assert_eq!(rev, want);
                if let Some((k, _)) = model.first_key_value() {
                    assert_eq!(s.first_id, *k);
                }
            }
        }
    }

    #[test]
    fn id_arithmetic() {
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::MIN.decr(), None);
        assert_eq!(id(1, u64::MAX).incr(), Some(id(2, 0)));
        assert_eq!(id(2, 0).decr(), Some(id(1, u64::MAX)));
        assert_eq!(
            StreamId::MAX.to_bytes(),
            b"18446744073709551615-18446744073709551615"
        );
    }
}
