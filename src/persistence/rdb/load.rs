//! Reading RDB: a whole snapshot (`rdbLoadRioWithLoadingCtx`) and single values
//! (`rdbLoadObject`, also RESTORE's payload).
//!
//! Each value type is one function that accepts every encoding Redis writes or wrote for
//! it, validates untrusted compact encodings completely before trusting them, and builds
//! the value in the encoding Redis would pick under the current configuration (a
//! listpack over the `*-max-listpack-*` limits becomes the large encoding, as in Redis).
//! An empty collection yields `None`: the caller skips the key with a log line, as Redis
//! 7.0 does. Nothing here panics on any input; a malformed file is a [`FormatError`]
//! carrying the offset where reading stopped.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use super::format::*;
use super::legacy;
use crate::config::Config;
use crate::server::log::{Level, Logger};
use crate::storage::Db;
use crate::storage::encodings::intset::IntSet;
use crate::storage::encodings::listpack::Listpack;
use crate::storage::hash::{self, Hash, SmallBytes};
use crate::storage::list::List;
use crate::storage::set::Set;
use crate::storage::stream::{self, Consumer, Group, Nack, Stream, StreamId};
use crate::storage::value::{Str, Value};
use crate::storage::zset::{self, ZSet};
use crate::util::numbers::parse_i64;

/// The encoding limits of the configuration, copied so a loader thread owns them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: u64,
    /// `sanitize-dump-payload yes`: deep checks even where Redis would skip them. We
    /// always validate compact encodings fully, so this only matters for statistics.
    pub deep_sanitize: bool,
}

impl Limits {
    pub fn from_config(c: &Config) -> Limits {
        Limits {
            hash_max_listpack_entries: c.hash_max_listpack_entries,
            hash_max_listpack_value: c.hash_max_listpack_value,
            set_max_intset_entries: c.set_max_intset_entries,
            zset_max_listpack_entries: c.zset_max_listpack_entries,
            zset_max_listpack_value: c.zset_max_listpack_value,
            list_max_listpack_size: c.list_max_listpack_size,
            list_compress_depth: c.list_compress_depth,
            deep_sanitize: false,
        }
    }
}

/// How to load a snapshot.
pub struct LoadOptions<'a> {
    pub limits: Limits,
    pub now_ms: i64,
    /// Drop keys whose TTL has passed (a master loading a plain RDB; not an AOF preamble).
    pub skip_expired: bool,
    /// Compare the CRC-64 footer (`rdbchecksum yes`).
    pub verify_checksum: bool,
    /// A key already present replaces the old one (DEBUG RELOAD MERGE) instead of failing.
    pub allow_dup: bool,
    pub log: Option<&'a Logger>,
    /// Bytes consumed so far, published for INFO `loading_loaded_bytes`.
    pub progress: Option<&'a AtomicU64>,
    /// Size of the input when known: caps how much RESIZEDB may pre-allocate.
    pub size_hint: Option<u64>,
    /// `key-load-delay`: microseconds to sleep after each key (tests watch `loading:1`).
    pub key_load_delay_us: i64,
}

/// What a load found.
#[derive(Debug, Default, Clone)]
pub struct LoadOutcome {
    pub version: u32,
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
    /// `used-mem` from the AUX fields.
    pub rdb_used_mem: u64,
    /// Function library sources (FUNCTION2), kept so the next save writes them back.
    pub functions: Vec<Vec<u8>>,
}

fn log(opts: &LoadOptions, level: Level, msg: &str) {
    if let Some(l) = opts.log {
        l.log(level, msg);
    }
}

/// The numeric prefix of `s`, like strtoll (AUX values are decimal text).
fn leading_int(s: &[u8]) -> i64 {
    let end = s
        .iter()
        .enumerate()
        .position(|(i, c)| !(c.is_ascii_digit() || (i == 0 && *c == b'-')))
        .unwrap_or(s.len());
    parse_i64(&s[..end]).unwrap_or(0)
}

/// Load a whole snapshot into `dbs`, which should be empty (unless `allow_dup`).
pub fn load_snapshot<R: Read>(
    r: &mut Reader<R>,
    dbs: &mut [Db],
    opts: &LoadOptions,
) -> ReadResult<LoadOutcome> {
    let mut magic = [0u8; 9];
    r.exact(&mut magic)
        .or_else(|_| r.error("Wrong signature trying to load DB from file"))?;
    if &magic[..5] != b"REDIS" {
        return r.error("Wrong signature trying to load DB from file");
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(0);
    if !(1..=RDB_VERSION).contains(&version) {
        return r.error(format!("Can't handle RDB format version {version}"));
    }
    let mut out = LoadOutcome {
        version,
        ..LoadOutcome::default()
    };
    let mut db_index = 0usize;
    let mut expire: Option<i64> = None;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    let mut scratch = Vec::new();
    loop {
        if let Some(p) = opts.progress {
            p.store(r.offset(), Ordering::Relaxed);
        }
        let t = r.u8()?;
        match t {
            OPCODE_EXPIRETIME => {
                expire = Some(r.u32_le()? as i32 as i64 * 1000);
                continue;
            }
            OPCODE_EXPIRETIME_MS => {
                expire = Some(r.i64_le()?);
                continue;
            }
            OPCODE_FREQ => {
                freq = Some(r.u8()?);
                continue;
            }
            OPCODE_IDLE => {
                idle = Some(r.length()?);
                continue;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let id = r.length()?;
                if id >= dbs.len() as u64 {
                    return r.error(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                        dbs.len()
                    ));
                }
                db_index = id as usize;
                continue;
            }
            OPCODE_RESIZEDB => {
                let keys = r.length()?;
                let expires = r.length()?;
                // Trust the sizes only as far as the input could hold that many keys.
                let cap = opts.size_hint.unwrap_or(0) / 4;
                dbs[db_index].reserve_empty(keys.min(cap) as usize, expires.min(cap) as usize);
                continue;
            }
            OPCODE_AUX => {
                let key = r.string()?;
                let val = r.string()?;
                aux_field(&key, &val, &mut out, opts);
                continue;
            }
            OPCODE_MODULE_AUX => {
                return r.error(
                    "The RDB file contains AUX module data I can't load: no matching module",
                );
            }
            OPCODE_FUNCTION => {
                return r.error("Pre-release function format not supported.");
            }
            OPCODE_FUNCTION2 => {
                out.functions.push(r.string()?);
                continue;
            }
            _ => {}
        }
        if !is_object_type(t) {
            return r.error(format!("Unknown RDB encoding type {t}"));
        }
        let key = r.string()?;
        let value = load_value(r, t, &opts.limits).map_err(|mut e| {
            e.msg = format!(
                "{} (reading key '{}', type {} ({}))",
                e.msg,
                String::from_utf8_lossy(&key),
                t,
                type_name(t)
            );
            e
        })?;
        let when = expire.take();
        let idle_secs = idle.take();
        let freq_count = freq.take();
        let Some(value) = value else {
            out.empty_keys_skipped += 1;
            log(
                opts,
                Level::Warning,
                &format!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                ),
            );
            continue;
        };
        if opts.skip_expired && when.is_some_and(|w| w < opts.now_ms) {
            out.keys_expired += 1;
            continue;
        }
        let db = &mut dbs[db_index];
        if opts.allow_dup {
            db.delete(&key);
        }
        // The key is moved into the table; keep its bytes for the messages below.
        scratch.clear();
        scratch.extend_from_slice(&key);
        let before = db.len();
        db.insert(key.into_boxed_slice(), value, when, opts.now_ms);
        if db.len() == before {
            return r.error(format!(
                "RDB has duplicated key '{}' in DB {db_index}",
                String::from_utf8_lossy(&scratch)
            ));
        }
        db.restore_access(&scratch, idle_secs, freq_count, opts.now_ms);
        out.keys_loaded += 1;
        if opts.key_load_delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(
                opts.key_load_delay_us as u64,
            ));
        }
    }
    if version >= 5 {
        let computed = r.crc();
        let stored = r.u64_le()?;
        if opts.verify_checksum {
            if stored == 0 {
                log(
                    opts,
                    Level::Notice,
                    "RDB file was saved with checksum disabled: no check performed.",
                );
            } else if stored != computed {
                log(
                    opts,
                    Level::Warning,
                    &format!(
                        "Wrong RDB checksum expected: ({computed:x}) but got ({stored:x}). Aborting now."
                    ),
                );
                return r.error("RDB CRC error");
            }
        }
    }
    Ok(out)
}

fn aux_field(key: &[u8], val: &[u8], out: &mut LoadOutcome, opts: &LoadOptions) {
    let text = String::from_utf8_lossy(val);
    if key.first() == Some(&b'%') {
        log(
            opts,
            Level::Notice,
            &format!("RDB '{}': {text}", String::from_utf8_lossy(key)),
        );
        return;
    }
    match key.to_ascii_lowercase().as_slice() {
        b"redis-ver" => log(
            opts,
            Level::Notice,
            &format!("Loading RDB produced by version {text}"),
        ),
        b"ctime" => {
            let age = (opts.now_ms / 1000 - leading_int(val)).max(0);
            log(opts, Level::Notice, &format!("RDB age {age} seconds"));
        }
        b"used-mem" => {
            let used = leading_int(val).max(0) as u64;
            out.rdb_used_mem = used;
            log(
                opts,
                Level::Notice,
                &format!(
                    "RDB memory usage when created {:.2} Mb",
                    used as f64 / (1024.0 * 1024.0)
                ),
            );
        }
        b"aof-preamble" if leading_int(val) != 0 => {
            log(opts, Level::Notice, "RDB has an AOF tail");
        }
        b"aof-base" if leading_int(val) != 0 => {
            log(opts, Level::Notice, "RDB is base AOF");
        }
        b"repl-stream-db" | b"repl-id" | b"repl-offset" | b"lua" | b"redis-bits"
        | b"aof-preamble" | b"aof-base" => {}
        _ => log(
            opts,
            Level::Debug,
            &format!(
                "Unrecognized RDB AUX field: '{}'",
                String::from_utf8_lossy(key)
            ),
        ),
    }
}

/// rdbIsObjectType.
pub fn is_object_type(t: u8) -> bool {
    t <= TYPE_MODULE_2 || (TYPE_HASH_ZIPMAP..=TYPE_STREAM_LISTPACKS_2).contains(&t)
}

/// Read the body of a value of type `t`. `None` for an empty collection.
pub fn load_value<R: Read>(r: &mut Reader<R>, t: u8, limits: &Limits) -> ReadResult<Option<Value>> {
    match t {
        TYPE_STRING => Ok(Some(Value::Str(Str::from_vec(r.string()?)))),
        TYPE_SET | TYPE_SET_INTSET => load_set(r, t, limits),
        TYPE_HASH | TYPE_HASH_LISTPACK | TYPE_HASH_ZIPLIST | TYPE_HASH_ZIPMAP => {
            load_hash(r, t, limits)
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => load_stream(r, t).map(Some),
        TYPE_ZSET | TYPE_ZSET_2 | TYPE_ZSET_LISTPACK | TYPE_ZSET_ZIPLIST => load_zset(r, t, limits),
        TYPE_LIST | TYPE_LIST_ZIPLIST | TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            load_list(r, t, limits)
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            r.error("The RDB file contains module data I can't load: no matching module")
        }
        _ => r.error(format!("Unknown RDB encoding type {t}")),
    }
}

fn load_set<R: Read>(r: &mut Reader<R>, t: u8, limits: &Limits) -> ReadResult<Option<Value>> {
    let max = limits.set_max_intset_entries;
    if t == TYPE_SET_INTSET {
        let at = r.offset();
        let bytes = r.string()?;
        // An intset header with no members: Redis skips the key as empty.
        if bytes.len() == 8 && bytes[4..8] == [0, 0, 0, 0] {
            return Ok(None);
        }
        let Some(ints) = IntSet::from_bytes(bytes) else {
            return Err(FormatError {
                offset: at,
                msg: "Intset integrity check failed.".into(),
            });
        };
        if ints.len() <= max {
            return Ok(Some(Value::Set(Box::new(Set::from_intset(ints)))));
        }
        // Over the limit in this configuration: convert, as Redis's setTypeConvert.
        let mut s = Set::new();
        let mut scratch = Vec::new();
        for v in ints.iter() {
            scratch.clear();
            crate::util::numbers::fmt_i64(v, &mut scratch);
            s.insert(&scratch, max);
        }
        return Ok(Some(Value::Set(Box::new(s))));
    }
    let n = r.count()?;
    if n == 0 {
        return Ok(None);
    }
    let mut s = Set::new();
    for _ in 0..n {
        let m = r.string()?;
        if !s.insert(&m, max) {
            return r.error("Duplicate set members detected");
        }
    }
    Ok(Some(Value::Set(Box::new(s))))
}

/// A compact blob read as a string, with the offset where it started (for errors).
fn blob<R: Read>(r: &mut Reader<R>) -> ReadResult<(u64, Vec<u8>)> {
    let at = r.offset();
    Ok((at, r.string()?))
}

fn corrupt<T>(at: u64, msg: &str) -> ReadResult<T> {
    Err(FormatError {
        offset: at,
        msg: msg.to_string(),
    })
}

/// Whether any two of `items` are equal (the fields of a hash, the members of a zset).
fn has_dups<'a>(items: impl Iterator<Item = Vec<u8>> + 'a) -> bool {
    let mut seen = std::collections::HashSet::new();
    for i in items {
        if !seen.insert(i) {
            return true;
        }
    }
    false
}

/// A listpack of field/value pairs from untrusted bytes: fully valid, an even number of
/// entries, no field twice (lpPairsValidateIntegrityAndDups).
fn pairs_listpack(bytes: Vec<u8>) -> Option<Listpack> {
    let lp = Listpack::from_bytes(bytes)?;
    if lp.len() % 2 != 0 || has_dups(lp.iter().step_by(2).map(|e| e.to_vec())) {
        return None;
    }
    Some(lp)
}

/// A listpack built from decoded ziplist entries (Redis converts every ziplist it loads).
fn listpack_of(entries: Vec<legacy::ZlEntry>) -> Listpack {
    let mut lp = Listpack::new();
    for e in entries {
        match e {
            legacy::ZlEntry::Int(n) => lp.push_back_int(n),
            legacy::ZlEntry::Str(s) => lp.push_back(&s),
        }
    }
    lp
}

fn hash_limits(l: &Limits) -> hash::Limits {
    hash::Limits {
        max_entries: l.hash_max_listpack_entries,
        max_value: l.hash_max_listpack_value,
    }
}

/// The hashtable encoding of a listpack's pairs.
fn hash_table_of(lp: &Listpack) -> Hash {
    let mut t = hash::Table::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        t.insert(
            SmallBytes::from_vec(f.to_vec()),
            SmallBytes::from_vec(v.to_vec()),
        );
    }
    Hash::Table(Box::new(t))
}

/// A loaded listpack hash in the encoding the limits call for (Redis converts a listpack
/// over the entries limit; `check_values` also applies the value limit, as for zipmaps).
fn hash_from_listpack(lp: Listpack, limits: &Limits, check_values: bool) -> Hash {
    let too_long = check_values
        && lp
            .iter()
            .any(|e| e.to_vec().len() > limits.hash_max_listpack_value);
    if lp.len() / 2 > limits.hash_max_listpack_entries || too_long {
        hash_table_of(&lp)
    } else {
        Hash::Listpack(lp)
    }
}

fn load_hash<R: Read>(r: &mut Reader<R>, t: u8, limits: &Limits) -> ReadResult<Option<Value>> {
    let h = match t {
        TYPE_HASH_LISTPACK => {
            let (at, bytes) = blob(r)?;
            let Some(lp) = pairs_listpack(bytes) else {
                return corrupt(at, "Hash listpack integrity check failed.");
            };
            if lp.is_empty() {
                return Ok(None);
            }
            hash_from_listpack(lp, limits, false)
        }
        TYPE_HASH_ZIPLIST => {
            let (at, bytes) = blob(r)?;
            let Some(lp) = legacy::ziplist_entries(&bytes)
                .map(listpack_of)
                .and_then(|lp| pairs_listpack(lp.into_bytes()))
            else {
                return corrupt(at, "Hash ziplist integrity check failed.");
            };
            if lp.is_empty() {
                return Ok(None);
            }
            hash_from_listpack(lp, limits, false)
        }
        TYPE_HASH_ZIPMAP => {
            let (at, bytes) = blob(r)?;
            let Some(pairs) = legacy::zipmap_pairs(&bytes) else {
                return corrupt(at, "Zipmap integrity check failed.");
            };
            let mut lp = Listpack::new();
            for (f, v) in &pairs {
                lp.push_back(f);
                lp.push_back(v);
            }
            let Some(lp) = pairs_listpack(lp.into_bytes()) else {
                return corrupt(at, "Hash zipmap with dup elements");
            };
            if lp.is_empty() {
                return Ok(None);
            }
            hash_from_listpack(lp, limits, true)
        }
        _ => {
            let n = r.count()?;
            if n == 0 {
                return Ok(None);
            }
            let mut h = if n as usize > limits.hash_max_listpack_entries {
                Hash::Table(Box::new(
                    hash::Table::with_capacity(n.min(1 << 20) as usize),
                ))
            } else {
                Hash::new()
            };
            let hl = hash_limits(limits);
            for _ in 0..n {
                let f = r.string()?;
                let v = r.string()?;
                let added = match &mut h {
                    Hash::Table(t) => t
                        .insert(SmallBytes::from_vec(f), SmallBytes::from_vec(v))
                        .is_none(),
                    Hash::Listpack(_) => h.set(&f, &v, hl),
                };
                if !added {
                    return r.error("Duplicate hash fields detected");
                }
            }
            h
        }
    };
    Ok(Some(Value::Hash(Box::new(h))))
}

/// A stream ID stored as a 16-byte big-endian rax key (node keys, PEL entries).
fn raw_id(b: &[u8]) -> Option<StreamId> {
    let b: &[u8; 16] = b.try_into().ok()?;
    let ms = u64::from_be_bytes(b[..8].try_into().ok()?);
    let seq = u64::from_be_bytes(b[8..].try_into().ok()?);
    Some(StreamId::new(ms, seq))
}

fn read_raw_id<R: Read>(r: &mut Reader<R>) -> ReadResult<StreamId> {
    let mut b = [0u8; 16];
    r.exact(&mut b)?;
    raw_id(&b).map_or_else(|| r.error("Bad stream ID"), Ok)
}

fn read_id<R: Read>(r: &mut Reader<R>) -> ReadResult<StreamId> {
    let ms = r.length()?;
    let seq = r.length()?;
    Ok(StreamId::new(ms, seq))
}

/// What a valid node holds.
struct NodeSummary {
    live: u64,
    last: Option<StreamId>,
}

/// Check a stream node's layout completely (streamValidateListpackIntegrity with its deep
/// checks), and more: the master's counts match the entries, and entry IDs increase from
/// the master ID. The stream code can then walk the node without further checks.
fn stream_node(master: StreamId, lp: &Listpack) -> Option<NodeSummary> {
    let mut it = lp.iter();
    let int = |e: Option<crate::storage::encodings::listpack::LpEntry<'_>>| e?.as_i64();
    let count = int(it.next())?;
    let deleted = int(it.next())?;
    let master_fields = int(it.next())?;
    if count < 0 || deleted < 0 || master_fields < 0 {
        return None;
    }
    for _ in 0..master_fields {
        it.next()?;
    }
    if int(it.next())? != 0 {
        return None;
    }
    let (mut live, mut dead) = (0i64, 0i64);
    let mut last: Option<StreamId> = None;
    for _ in 0..count.checked_add(deleted)? {
        let flags = int(it.next())?;
        let ms = int(it.next())?;
        let seq = int(it.next())?;
        let id = StreamId::new(
            master.ms.wrapping_add(ms as u64),
            master.seq.wrapping_add(seq as u64),
        );
        if id < master || last.is_some_and(|l| id <= l) {
            return None;
        }
        last = Some(id);
        let (fields, extra) = if flags & stream::FLAG_SAMEFIELDS != 0 {
            for _ in 0..master_fields {
                it.next()?;
            }
            (master_fields, 3)
        } else {
            let n = int(it.next())?;
            if n < 0 {
                return None;
            }
            for _ in 0..n.checked_mul(2)? {
                it.next()?;
            }
            (n, 3 + n + 1)
        };
        if int(it.next())? != fields + extra {
            return None;
        }
        if flags & stream::FLAG_DELETED != 0 {
            dead += 1;
        } else {
            live += 1;
        }
    }
    if it.next().is_some() || live != count || dead != deleted {
        return None;
    }
    Some(NodeSummary {
        live: live as u64,
        last,
    })
}

/// STREAM_LISTPACKS_2 (Redis 7.0) and STREAM_LISTPACKS (5.0–6.2): the nodes verbatim,
/// the stream's counters, then the consumer groups with their PELs and consumers.
fn load_stream<R: Read>(r: &mut Reader<R>, t: u8) -> ReadResult<Value> {
    let mut s = Stream::new();
    let nodes = r.count()?;
    let mut live = 0u64;
    let mut prev_last: Option<StreamId> = None;
    for _ in 0..nodes {
        let (at, key) = blob(r)?;
        let Some(master) = raw_id(&key) else {
            return corrupt(at, "Stream node key entry is not the size of a stream ID");
        };
        let (at, bytes) = blob(r)?;
        let Some(lp) = Listpack::from_bytes(bytes) else {
            return corrupt(at, "Stream listpack integrity check failed.");
        };
        if lp.is_empty() {
            return corrupt(at, "Empty listpack inside stream");
        }
        let Some(node) = stream_node(master, &lp) else {
            return corrupt(at, "Stream listpack integrity check failed.");
        };
        if prev_last.is_some_and(|p| master <= p) || !s.push_raw_node(master, lp) {
            return corrupt(at, "Listpack re-added with existing key");
        }
        prev_last = node.last.or(Some(master));
        live += node.live;
    }
    s.length = r.length()?;
    s.last_id = read_id(r)?;
    if t == TYPE_STREAM_LISTPACKS_2 {
        s.first_id = read_id(r)?;
        s.max_deleted_entry_id = read_id(r)?;
        s.entries_added = r.length()?;
    } else {
        // Files before 7.0: derive what they lack, as Redis does.
        s.max_deleted_entry_id = StreamId::MIN;
        s.entries_added = s.length;
        s.first_id = s.edge_id(true, true).unwrap_or(StreamId::MAX);
    }
    if s.length != live {
        return r.error("Stream length inconsistent with rax entries");
    }
    if prev_last.is_some_and(|l| l > s.last_id) {
        return r.error("Stream last ID below its entries");
    }
    let groups = r.count()?;
    for _ in 0..groups {
        let name = r.string()?;
        let last_id = read_id(r)?;
        let entries_read = if t == TYPE_STREAM_LISTPACKS_2 {
            r.length()? as i64
        } else {
            s.estimate_distance(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let pel = r.count()?;
        for _ in 0..pel {
            let id = read_raw_id(r)?;
            let delivery_time = r.i64_le()?;
            let delivery_count = r.length()?;
            let nack = Nack {
                delivery_time,
                delivery_count,
                consumer: Box::default(),
            };
            if g.pel.insert(id, nack).is_some() {
                return r.error("Duplicated global PEL entry loading stream consumer group");
            }
        }
        // PEL entries given an owner so far (the group PEL is written without owners).
        let mut owned = std::collections::HashSet::new();
        let consumers = r.count()?;
        for _ in 0..consumers {
            let cname = r.string()?;
            let seen_time = r.i64_le()?;
            let mut c = Consumer {
                seen_time,
                pel: Default::default(),
            };
            let n = r.count()?;
            for _ in 0..n {
                let id = read_raw_id(r)?;
                let Some(nack) = g.pel.get_mut(&id) else {
                    return r.error("Consumer entry not found in group global PEL");
                };
                if !owned.insert(id) || !c.pel.insert(id) {
                    return r
                        .error("Duplicated consumer PEL entry loading a stream consumer group");
                }
                nack.consumer = cname.clone().into_boxed_slice();
            }
            if g.consumers.insert(cname.into_boxed_slice(), c).is_some() {
                return r.error("Duplicate stream consumer detected.");
            }
        }
        if owned.len() != g.pel.len() {
            return r.error("Stream CG PEL entry without consumer");
        }
        if s.groups
            .insert(name.clone().into_boxed_slice(), g)
            .is_some()
        {
            return r.error(format!(
                "Duplicated consumer group name {}",
                String::from_utf8_lossy(&name)
            ));
        }
    }
    Ok(Value::Stream(Box::new(s)))
}

fn zset_limits(l: &Limits) -> zset::Limits {
    zset::Limits {
        entries: l.zset_max_listpack_entries,
        value: l.zset_max_listpack_value,
    }
}

/// A loaded listpack zset in the encoding the limits call for: Redis converts one over
/// the entries limit (the value limit is not checked for a stored listpack).
fn zset_from_listpack(z: ZSet, limits: &Limits) -> ZSet {
    if z.len() <= limits.zset_max_listpack_entries {
        return z;
    }
    let items: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
    ZSet::from_sorted(items, zset_limits(limits))
}

fn load_zset<R: Read>(r: &mut Reader<R>, t: u8, limits: &Limits) -> ReadResult<Option<Value>> {
    let z = match t {
        TYPE_ZSET_LISTPACK | TYPE_ZSET_ZIPLIST => {
            let (at, bytes) = blob(r)?;
            let lp = if t == TYPE_ZSET_LISTPACK {
                Listpack::from_bytes(bytes)
            } else {
                legacy::ziplist_entries(&bytes).map(listpack_of)
            };
            let Some(z) = lp.and_then(ZSet::from_listpack) else {
                let what = if t == TYPE_ZSET_LISTPACK {
                    "Zset listpack integrity check failed."
                } else {
                    "Zset ziplist integrity check failed."
                };
                return corrupt(at, what);
            };
            if z.is_empty() {
                return Ok(None);
            }
            zset_from_listpack(z, limits)
        }
        _ => {
            let n = r.count()?;
            if n == 0 {
                return Ok(None);
            }
            let mut items: Vec<(Vec<u8>, f64)> = Vec::with_capacity(n.min(1 << 16) as usize);
            for _ in 0..n {
                let m = r.string()?;
                let s = if t == TYPE_ZSET_2 {
                    r.binary_double()?
                } else {
                    r.old_double()?
                };
                if s.is_nan() {
                    return r.error("Zset with NAN score detected");
                }
                items.push((m, s));
            }
            // Files list members from the highest; the set wants them ordered by
            // (score, member), which also puts repeated members side by side.
            items.sort_by(|a, b| {
                a.1.partial_cmp(&b.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.0.cmp(&b.0))
            });
            let mut seen = std::collections::HashSet::with_capacity(items.len());
            if !items.iter().all(|(m, _)| seen.insert(m.as_slice())) {
                return r.error("Duplicate zset fields detected");
            }
            ZSet::from_sorted(items, zset_limits(limits))
        }
    };
    Ok(Some(Value::ZSet(Box::new(z))))
}

/// Lists: QUICKLIST_2 nodes (listpacks kept as nodes, plain nodes as single elements),
/// QUICKLIST nodes of ziplists (3.2–6.2), one ZIPLIST, or a plain LIST of strings. Each
/// builds a quicklist under this configuration's `list-max-listpack-size` and
/// `list-compress-depth`; empty nodes are skipped and an empty list is `None`.
fn load_list<R: Read>(r: &mut Reader<R>, t: u8, limits: &Limits) -> ReadResult<Option<Value>> {
    let mut l = List::new(limits.list_max_listpack_size, limits.list_compress_depth);
    match t {
        TYPE_LIST_QUICKLIST_2 | TYPE_LIST_QUICKLIST => {
            let nodes = r.count()?;
            for _ in 0..nodes {
                let container = if t == TYPE_LIST_QUICKLIST_2 {
                    r.length()?
                } else {
                    QUICKLIST_NODE_PACKED
                };
                let (at, bytes) = blob(r)?;
                if container == QUICKLIST_NODE_PLAIN {
                    l.push_back(&bytes);
                    continue;
                }
                if container != QUICKLIST_NODE_PACKED {
                    return corrupt(at, "Quicklist integrity check failed.");
                }
                let lp = if t == TYPE_LIST_QUICKLIST_2 {
                    Listpack::from_bytes(bytes).ok_or("Listpack integrity check failed.")
                } else {
                    legacy::ziplist_entries(&bytes)
                        .map(listpack_of)
                        .ok_or("Ziplist integrity check failed.")
                };
                match lp {
                    Ok(lp) => l.push_node(lp),
                    Err(msg) => return corrupt(at, msg),
                }
            }
        }
        TYPE_LIST_ZIPLIST => {
            let (at, bytes) = blob(r)?;
            let Some(entries) = legacy::ziplist_entries(&bytes) else {
                return corrupt(at, "List ziplist integrity check failed.");
            };
            for e in entries {
                l.push_back(&e.into_bytes());
            }
        }
        _ => {
            let n = r.count()?;
            for _ in 0..n {
                l.push_back(&r.string()?);
            }
        }
    }
    if l.is_empty() {
        return Ok(None);
    }
    Ok(Some(Value::List(Box::new(l))))
}
