//! Writing RDB: a whole snapshot (`rdbSaveRio`) and single values (`rdbSaveObject`, also
//! DUMP's payload).
//!
//! A snapshot is, in order: `REDIS0010`, the AUX fields Redis 7.0 writes (`redis-ver`,
//! `redis-bits`, `ctime`, `used-mem`, `aof-base`), function libraries (kept verbatim from a
//! loaded file), then for each non-empty database `SELECTDB n`, `RESIZEDB keys expires` and
//! its keys (`EXPIRETIME_MS` and, under an LRU policy, `IDLE` before a key), then `EOF` and
//! the CRC-64 footer.
//!
//! Each type writes its compact encoding's bytes verbatim when it has one (intset,
//! listpack), exactly as Redis does, so a file we write is byte-compatible with one Redis
//! would write for the same data.

use std::io::{self, Write};

use super::format::*;
use crate::server::REDIS_VERSION;
use crate::storage::Db;
use crate::storage::db::lru_clock;
use crate::storage::hash::Hash;
use crate::storage::list::{List, RdbNode};
use crate::storage::set::Set;
use crate::storage::stream::{Stream, StreamId, encode_id};
use crate::storage::value::{Str, Value};
use crate::storage::zset::ZSet;

/// What the AUX fields say about the writer.
#[derive(Debug, Clone, Copy)]
pub struct Aux {
    /// Unix seconds.
    pub ctime: i64,
    pub used_mem: u64,
    /// The file is the base of a multi-part AOF.
    pub aof_base: bool,
}

/// Per-snapshot choices taken from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotOptions {
    /// Write `IDLE` (seconds since last access) before each key, as Redis under an LRU
    /// maxmemory policy.
    pub save_lru: bool,
    /// Write `FREQ` (the decayed LFU counter) before each key, as Redis under an LFU
    /// maxmemory policy.
    pub save_lfu: Option<crate::storage::evict::AccessPolicy>,
    pub now_ms: i64,
    /// `rdb-key-save-delay`: microseconds to sleep after each key (tests use it to keep a
    /// BGSAVE running).
    pub key_save_delay_us: i64,
}

/// Write every database to `w`. Returns the number of keys written.
pub fn write_snapshot<W: Write>(
    w: &mut Writer<W>,
    dbs: &[Db],
    functions: &[&[u8]],
    aux: &Aux,
    opts: &SnapshotOptions,
) -> io::Result<u64> {
    w.raw(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
    aux_str(w, "redis-ver", REDIS_VERSION.as_bytes())?;
    aux_int(w, "redis-bits", usize::BITS as i64)?;
    aux_int(w, "ctime", aux.ctime)?;
    aux_int(w, "used-mem", aux.used_mem as i64)?;
    aux_int(w, "aof-base", aux.aof_base as i64)?;
    for code in functions {
        w.u8(OPCODE_FUNCTION2)?;
        w.string(code)?;
    }
    let mut keys = 0u64;
    let lru_now = lru_clock(opts.now_ms);
    for (id, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.u8(OPCODE_SELECTDB)?;
        w.length(id as u64)?;
        w.u8(OPCODE_RESIZEDB)?;
        w.length(db.len() as u64)?;
        w.length(db.volatile_len() as u64)?;
        let has_expires = db.volatile_len() > 0;
        for (key, entry) in db.keys_iter() {
            if has_expires && let Some(when) = db.expire_of(key) {
                w.u8(OPCODE_EXPIRETIME_MS)?;
                w.ms_time(when)?;
            }
            if opts.save_lru {
                w.u8(OPCODE_IDLE)?;
                w.length(lru_now.wrapping_sub(entry.lru) as u64)?;
            }
            if let Some(lfu) = &opts.save_lfu {
                w.u8(OPCODE_FREQ)?;
                w.u8(lfu.lfu_counter(entry.lru, opts.now_ms) as u8)?;
            }
            w.u8(value_type(&entry.value))?;
            w.string(key)?;
            write_value_body(w, &entry.value)?;
            keys += 1;
            if opts.key_save_delay_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(
                    opts.key_save_delay_us as u64,
                ));
            }
        }
    }
    w.u8(OPCODE_EOF)?;
    w.footer()?;
    Ok(keys)
}

fn aux_str<W: Write>(w: &mut Writer<W>, key: &str, val: &[u8]) -> io::Result<()> {
    w.u8(OPCODE_AUX)?;
    w.string(key.as_bytes())?;
    w.string(val)
}

fn aux_int<W: Write>(w: &mut Writer<W>, key: &str, val: i64) -> io::Result<()> {
    aux_str(w, key, val.to_string().as_bytes())
}

/// The RDB type byte a value is written with (rdbSaveObjectType).
pub fn value_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => TYPE_STRING,
        Value::Set(s) => {
            if s.as_intset().is_some() {
                TYPE_SET_INTSET
            } else {
                TYPE_SET
            }
        }
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
        Value::Hash(h) => match **h {
            Hash::Listpack(_) => TYPE_HASH_LISTPACK,
            Hash::Table(_) => TYPE_HASH,
        },
        Value::ZSet(z) => {
            if z.listpack().is_some() {
                TYPE_ZSET_LISTPACK
            } else {
                TYPE_ZSET_2
            }
        }
    }
}

/// A value's type byte and body: DUMP's payload before the footer.
pub fn write_value<W: Write>(w: &mut Writer<W>, v: &Value) -> io::Result<()> {
    w.u8(value_type(v))?;
    write_value_body(w, v)
}

/// rdbSaveObject: the body that follows the type byte and the key.
pub fn write_value_body<W: Write>(w: &mut Writer<W>, v: &Value) -> io::Result<()> {
    match v {
        Value::Str(s) => write_string(w, s),
        Value::Set(s) => write_set(w, s),
        Value::Hash(h) => write_hash(w, h),
        Value::Stream(s) => write_stream(w, s),
        Value::ZSet(z) => write_zset(w, z),
        Value::List(l) => write_list(w, l),
    }
}

fn write_string<W: Write>(w: &mut Writer<W>, s: &Str) -> io::Result<()> {
    match s {
        Str::Int(n) => w.int_string(*n),
        Str::Emb(b) => w.string(b),
        Str::Raw(b) => w.string(b),
    }
}

/// SET_INTSET: the intset's bytes; SET: the count then each member.
fn write_set<W: Write>(w: &mut Writer<W>, s: &Set) -> io::Result<()> {
    if let Some(ints) = s.as_intset() {
        return w.string(ints.as_bytes());
    }
    w.length(s.len() as u64)?;
    let mut scratch = Vec::new();
    for e in s.iter() {
        w.string(e.bytes(&mut scratch))?;
    }
    Ok(())
}

/// HASH_LISTPACK: the listpack's bytes; HASH: the count then field, value, ...
fn write_hash<W: Write>(w: &mut Writer<W>, h: &Hash) -> io::Result<()> {
    match h {
        Hash::Listpack(lp) => w.string(lp.as_bytes()),
        Hash::Table(t) => {
            w.length(t.len() as u64)?;
            for (f, v) in t.iter() {
                w.string(f.as_bytes())?;
                w.string(v.as_bytes())?;
            }
            Ok(())
        }
    }
}

fn write_id<W: Write>(w: &mut Writer<W>, id: StreamId) -> io::Result<()> {
    w.length(id.ms)?;
    w.length(id.seq)
}

/// STREAM_LISTPACKS_2: the nodes verbatim (key: the master ID as 16 big-endian bytes),
/// the counters, then each consumer group (name order): last ID, entries read, the PEL
/// with delivery times and counts, and each consumer with its seen time and PEL IDs.
fn write_stream<W: Write>(w: &mut Writer<W>, s: &Stream) -> io::Result<()> {
    w.length(s.node_count() as u64)?;
    for (master, lp) in s.nodes() {
        w.string(&encode_id(&master))?;
        w.string(lp.as_bytes())?;
    }
    w.length(s.length)?;
    write_id(w, s.last_id)?;
    write_id(w, s.first_id)?;
    write_id(w, s.max_deleted_entry_id)?;
    w.length(s.entries_added)?;
    w.length(s.groups.len() as u64)?;
    for (name, g) in &s.groups {
        w.string(name)?;
        write_id(w, g.last_id)?;
        // -1 ("unknown") is written as Redis does: the 64-bit two's complement.
        w.length(g.entries_read as u64)?;
        w.length(g.pel.len() as u64)?;
        for (id, nack) in &g.pel {
            w.raw(&encode_id(id))?;
            w.ms_time(nack.delivery_time)?;
            w.length(nack.delivery_count)?;
        }
        w.length(g.consumers.len() as u64)?;
        for (cname, c) in &g.consumers {
            w.string(cname)?;
            w.ms_time(c.seen_time)?;
            w.length(c.pel.len() as u64)?;
            for id in &c.pel {
                w.raw(&encode_id(id))?;
            }
        }
    }
    Ok(())
}

/// ZSET_LISTPACK: the listpack's bytes; ZSET_2: the count then member and binary score
/// from the highest to the lowest, as Redis writes it (so a loader inserting in file order
/// always inserts at the head).
fn write_zset<W: Write>(w: &mut Writer<W>, z: &ZSet) -> io::Result<()> {
    if let Some(lp) = z.listpack() {
        return w.string(lp.as_bytes());
    }
    w.length(z.len() as u64)?;
    for (m, score) in z.iter_from(0, true) {
        m.with_bytes(|b| w.string(b))?;
        w.binary_double(score)?;
    }
    Ok(())
}

/// LIST_QUICKLIST_2: the node count, then each node as a packed container: its listpack
/// (compressed by rdbcompression like any string), or a compressed node's LZF bytes as is.
fn write_list<W: Write>(w: &mut Writer<W>, l: &List) -> io::Result<()> {
    w.length(l.node_count() as u64)?;
    for node in l.rdb_nodes() {
        w.length(QUICKLIST_NODE_PACKED)?;
        match node {
            RdbNode::Listpack(lp) => w.string(lp.as_bytes())?,
            RdbNode::Lzf { data, raw_len } => w.lzf_blob(data, raw_len)?,
        }
    }
    Ok(())
}
