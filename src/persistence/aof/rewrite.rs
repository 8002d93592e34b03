//! A base file made of commands (`aof-use-rdb-preamble no`): the dataset written as the
//! commands that rebuild it, in the order and shape Redis 7.0's rewriteAppendOnlyFileRio
//! emits them, so that for the same data (iterated in the same order) the file is the
//! same bytes, and either server loads the other's file.
//!
//! The file is, in order: a `#TS:` annotation when `aof-timestamp-enabled`; one
//! `FUNCTION LOAD` per function library; then, for each non-empty database, `SELECT n`
//! and per key the commands that rebuild its value followed by `PEXPIREAT` when it has a
//! TTL. Collections are written with variadic commands of at most
//! [`ITEMS_PER_CMD`] items (RPUSH, SADD, ZADD, HMSET); a stream as one XADD per live
//! entry with its ID (or `XADD key MAXLEN 0 0-1 x y` when it has none), XSETID with the
//! last ID, entries-added counter and max deleted ID, then per consumer group
//! `XGROUP CREATE ... ENTRIESREAD`, and per consumer either `XGROUP CREATECONSUMER` or an
//! `XCLAIM ... TIME RETRYCOUNT JUSTID FORCE` per pending entry.
//!
//! What does not survive the round trip, as in Redis: a consumer's seen time (the
//! replay sets it to the load time), a pending entry whose stream entry was deleted
//! (XCLAIM drops it), a key's LRU/LFU data.
//!
//! It runs in the forked rewrite child: it only reads the databases, takes no lock,
//! starts no thread and does not log; errors go back to the caller.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;

use super::encode_command;
use crate::persistence::rdb::SyncingFile;
use crate::server::ServerState;
use crate::storage::Db;
use crate::storage::encodings::listpack::LpEntry;
use crate::storage::hash::Hash;
use crate::storage::list::List;
use crate::storage::set::{Elem as SetElem, Set};
use crate::storage::stream::{Stream, StreamId};
use crate::storage::value::{Str, Value};
use crate::storage::zset::{Elem as ZElem, ZSet};
use crate::util::numbers::{fmt_f64_17g, fmt_i64};

/// Most items (elements, members, field/value pairs) per variadic command (Redis's
/// AOF_REWRITE_ITEMS_PER_CMD): bounds the size of one command when it is replayed.
pub const ITEMS_PER_CMD: usize = 64;

/// Write the command form of the dataset to `tmp`, fsync it, rename it to `path` and
/// fsync the directory. On error `tmp` is removed and `path` untouched.
pub fn write_file(srv: &ServerState, path: &Path, tmp: &Path) -> io::Result<()> {
    let file = File::create(tmp)?;
    let written = (|| {
        let sink = SyncingFile::new(file, srv.config.aof_rewrite_incremental_fsync);
        let mut w = CmdWriter {
            out: BufWriter::with_capacity(1 << 16, sink),
            num: Vec::with_capacity(24),
            cmd: Vec::new(),
        };
        write_dataset(&mut w, srv)?;
        let sink = w.out.into_inner().map_err(|e| e.into_error())?;
        sink.file.sync_all()
    })();
    let result = written.and_then(|()| std::fs::rename(tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    // Make the rename itself durable.
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes commands in the RESP form. Commands of a fixed shape go through
/// [`encode_command`]; the variadic ones are written argument by argument straight to
/// the buffer, so a large value is never copied into a whole-command buffer (the child's
/// memory is the parent's, shared until written to).
struct CmdWriter<W: Write> {
    out: W,
    /// Scratch for formatting numbers.
    num: Vec<u8>,
    /// Scratch for one fixed-shape command.
    cmd: Vec<u8>,
}

impl<W: Write> CmdWriter<W> {
    /// A fixed-shape command, whole.
    fn command<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> io::Result<()> {
        self.cmd.clear();
        encode_command(&mut self.cmd, argv);
        self.out.write_all(&self.cmd)
    }

    /// `*n`: the start of a command of `n` arguments.
    fn header(&mut self, n: usize) -> io::Result<()> {
        self.num.clear();
        self.num.push(b'*');
        fmt_i64(n as i64, &mut self.num);
        self.num.extend_from_slice(b"\r\n");
        self.out.write_all(&self.num)
    }

    /// One argument: `$len`, the bytes.
    fn bulk(&mut self, b: &[u8]) -> io::Result<()> {
        self.num.clear();
        self.num.push(b'$');
        fmt_i64(b.len() as i64, &mut self.num);
        self.num.extend_from_slice(b"\r\n");
        self.out.write_all(&self.num)?;
        self.out.write_all(b)?;
        self.out.write_all(b"\r\n")
    }

    /// An integer argument, in decimal (rioWriteBulkLongLong).
    fn bulk_i64(&mut self, n: i64) -> io::Result<()> {
        let mut text = Vec::with_capacity(20);
        fmt_i64(n, &mut text);
        self.bulk(&text)
    }

    /// A score, as `%.17g` (rioWriteBulkDouble in 7.0): enough digits to read back the
    /// same double; infinities as `inf`/`-inf`, which ZADD accepts.
    fn bulk_f64(&mut self, d: f64) -> io::Result<()> {
        let mut text = Vec::with_capacity(24);
        fmt_f64_17g(d, &mut text);
        self.bulk(&text)
    }

    /// A listpack entry: its bytes, or an integer entry in decimal.
    fn bulk_entry(&mut self, e: LpEntry<'_>) -> io::Result<()> {
        match e {
            LpEntry::Int(n) => self.bulk_i64(n),
            LpEntry::Str(s) => self.bulk(s),
        }
    }
}

/// Counts items into variadic commands of at most [`ITEMS_PER_CMD`] items, starting a new
/// command (`*argc`, the name, the key) before the first item of each batch.
struct Batcher<'a> {
    name: &'static [u8],
    key: &'a [u8],
    /// Arguments per item (2 for ZADD and HMSET).
    width: usize,
    /// Items not written yet.
    left: usize,
    /// Items in the current command so far.
    in_cmd: usize,
}

impl<'a> Batcher<'a> {
    fn new(name: &'static [u8], key: &'a [u8], width: usize, items: usize) -> Self {
        Batcher {
            name,
            key,
            width,
            left: items,
            in_cmd: 0,
        }
    }

    /// Call before writing each item's arguments.
    fn item<W: Write>(&mut self, w: &mut CmdWriter<W>) -> io::Result<()> {
        if self.in_cmd == 0 {
            let n = self.left.min(ITEMS_PER_CMD);
            w.header(2 + n * self.width)?;
            w.bulk(self.name)?;
            w.bulk(self.key)?;
        }
        self.in_cmd += 1;
        if self.in_cmd == ITEMS_PER_CMD {
            self.in_cmd = 0;
        }
        self.left = self.left.saturating_sub(1);
        Ok(())
    }
}

fn write_dataset<W: Write>(w: &mut CmdWriter<W>, srv: &ServerState) -> io::Result<()> {
    if srv.config.aof_timestamp_enabled {
        let secs = crate::server::unix_ms() / 1000;
        w.out.write_all(format!("#TS:{secs}\r\n").as_bytes())?;
    }
    for lib in srv.scripting.functions.libs.values() {
        w.command(&[b"FUNCTION".as_slice(), b"LOAD", &lib.code])?;
    }
    let delay_us = srv.config.rdb_key_save_delay;
    for (id, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let n = id.to_string();
        w.command(&[b"SELECT".as_slice(), n.as_bytes()])?;
        write_db(w, db, delay_us)?;
    }
    w.out.flush()
}

fn write_db<W: Write>(w: &mut CmdWriter<W>, db: &Db, delay_us: i64) -> io::Result<()> {
    let has_expires = db.volatile_len() > 0;
    for (key, entry) in db.keys_iter() {
        write_value(w, key, &entry.value)?;
        if has_expires && let Some(when) = db.expire_of(key) {
            let mut ms = Vec::with_capacity(20);
            fmt_i64(when, &mut ms);
            w.command(&[b"PEXPIREAT".as_slice(), key, &ms])?;
        }
        // `rdb-key-save-delay` slows rewrites too, as in Redis (tests keep one running).
        if delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(delay_us as u64));
        }
    }
    Ok(())
}

/// The commands that rebuild `key` with value `v`.
fn write_value<W: Write>(w: &mut CmdWriter<W>, key: &[u8], v: &Value) -> io::Result<()> {
    match v {
        Value::Str(s) => write_string(w, key, s),
        Value::List(l) => write_list(w, key, l),
        Value::Set(s) => write_set(w, key, s),
        Value::ZSet(z) => write_zset(w, key, z),
        Value::Hash(h) => write_hash(w, key, h),
        Value::Stream(s) => write_stream(w, key, s),
    }
}

fn write_string<W: Write>(w: &mut CmdWriter<W>, key: &[u8], s: &Str) -> io::Result<()> {
    w.header(3)?;
    w.bulk(b"SET")?;
    w.bulk(key)?;
    match s {
        Str::Int(n) => w.bulk_i64(*n),
        Str::Emb(b) => w.bulk(b),
        Str::Raw(b) => w.bulk(b),
    }
}

/// RPUSH batches from the head (compressed nodes are inflated one at a time).
fn write_list<W: Write>(w: &mut CmdWriter<W>, key: &[u8], l: &List) -> io::Result<()> {
    let mut b = Batcher::new(b"RPUSH", key, 1, l.len());
    let mut failed = None;
    l.scan(false, |e| match b.item(w).and_then(|()| w.bulk_entry(e)) {
        Ok(()) => ControlFlow::Continue(()),
        Err(err) => {
            failed = Some(err);
            ControlFlow::Break(())
        }
    });
    failed.map_or(Ok(()), Err)
}

/// SADD batches: ascending for an intset, else the table's order.
fn write_set<W: Write>(w: &mut CmdWriter<W>, key: &[u8], s: &Set) -> io::Result<()> {
    let mut b = Batcher::new(b"SADD", key, 1, s.len());
    for e in s.iter() {
        b.item(w)?;
        match e {
            SetElem::Int(n) => w.bulk_i64(n)?,
            SetElem::Bytes(m) => w.bulk(m)?,
        }
    }
    Ok(())
}

/// ZADD batches of score, member. A listpack is written in its order, as Redis does; a
/// skiplist in rank order (Redis walks its dict, an order that differs per process
/// anyway), which also lets the replay append each member at the tail.
fn write_zset<W: Write>(w: &mut CmdWriter<W>, key: &[u8], z: &ZSet) -> io::Result<()> {
    let mut b = Batcher::new(b"ZADD", key, 2, z.len());
    for (m, score) in z.iter() {
        b.item(w)?;
        w.bulk_f64(score)?;
        match m {
            ZElem::Int(n) => w.bulk_i64(n)?,
            ZElem::Str(s) => w.bulk(s)?,
        }
    }
    Ok(())
}

/// HMSET batches of field, value.
fn write_hash<W: Write>(w: &mut CmdWriter<W>, key: &[u8], h: &Hash) -> io::Result<()> {
    let mut b = Batcher::new(b"HMSET", key, 2, h.len());
    for (f, v) in h.iter() {
        b.item(w)?;
        w.bulk_entry(f)?;
        w.bulk_entry(v)?;
    }
    Ok(())
}

fn write_stream<W: Write>(w: &mut CmdWriter<W>, key: &[u8], s: &Stream) -> io::Result<()> {
    let mut id = Vec::with_capacity(42);
    if s.length > 0 {
        for e in s.iter_from(StreamId::MIN, false) {
            if e.is_deleted() {
                continue;
            }
            w.header(3 + 2 * e.nfields)?;
            w.bulk(b"XADD")?;
            w.bulk(key)?;
            id.clear();
            e.id.write(&mut id);
            w.bulk(&id)?;
            for (f, v) in e.fields() {
                w.bulk_entry(f)?;
                w.bulk_entry(v)?;
            }
        }
    } else {
        // An empty stream still exists as a key: create it with an entry trimmed away at
        // once. XSETID below puts the real counters back.
        w.command(&[b"XADD".as_slice(), key, b"MAXLEN", b"0", b"0-1", b"x", b"y"])?;
    }
    // XSETID restores what deletions hid: the last ID, how many entries were ever added
    // and the largest deleted ID (which XINFO and consumer-group lag depend on).
    let last = s.last_id.to_bytes();
    let mut added = Vec::with_capacity(20);
    fmt_i64(s.entries_added as i64, &mut added);
    let max_deleted = s.max_deleted_entry_id.to_bytes();
    w.command(&[
        b"XSETID".as_slice(),
        key,
        &last,
        b"ENTRIESADDED",
        &added,
        b"MAXDELETEDID",
        &max_deleted,
    ])?;
    for (name, g) in &s.groups {
        let last = g.last_id.to_bytes();
        let mut read = Vec::with_capacity(20);
        fmt_i64(g.entries_read, &mut read);
        w.command(&[
            b"XGROUP".as_slice(),
            b"CREATE",
            key,
            name,
            &last,
            b"ENTRIESREAD",
            &read,
        ])?;
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                w.command(&[b"XGROUP".as_slice(), b"CREATECONSUMER", key, name, cname])?;
                continue;
            }
            for pid in &c.pel {
                let Some(nack) = g.pel.get(pid) else {
                    continue; // not in the group's PEL: nothing is pending
                };
                let idb = pid.to_bytes();
                let mut time = Vec::with_capacity(20);
                fmt_i64(nack.delivery_time, &mut time);
                let mut count = Vec::with_capacity(20);
                fmt_i64(nack.delivery_count as i64, &mut count);
                w.command(&[
                    b"XCLAIM".as_slice(),
                    key,
                    name,
                    cname,
                    b"0",
                    &idb,
                    b"TIME",
                    &time,
                    b"RETRYCOUNT",
                    &count,
                    b"JUSTID",
                    b"FORCE",
                ])?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(n: usize, width: usize) -> Vec<u8> {
        let mut w = CmdWriter {
            out: Vec::new(),
            num: Vec::new(),
            cmd: Vec::new(),
        };
        let mut b = Batcher::new(b"SADD", b"k", width, n);
        for i in 0..n {
            b.item(&mut w).unwrap();
            for _ in 0..width {
                w.bulk_i64(i as i64).unwrap();
            }
        }
        w.out
    }

    /// Split a buffer of commands into argument vectors, checking the counts.
    fn parse(mut b: &[u8]) -> Vec<Vec<Vec<u8>>> {
        fn line<'a>(b: &mut &'a [u8]) -> &'a [u8] {
            let i = b.windows(2).position(|x| x == b"\r\n").unwrap();
            let l = &b[..i];
            *b = &b[i + 2..];
            l
        }
        let mut out = Vec::new();
        while !b.is_empty() {
            let h = line(&mut b);
            assert_eq!(h[0], b'*');
            let n: usize = std::str::from_utf8(&h[1..]).unwrap().parse().unwrap();
            let mut argv = Vec::new();
            for _ in 0..n {
                let l = line(&mut b);
                assert_eq!(l[0], b'$');
                let len: usize = std::str::from_utf8(&l[1..]).unwrap().parse().unwrap();
                argv.push(b[..len].to_vec());
                assert_eq!(&b[len..len + 2], b"\r\n");
                b = &b[len + 2..];
            }
            out.push(argv);
        }
        out
    }

    #[test]
    fn batches_hold_at_most_64_items_and_counts_match() {
        for (n, width) in [(1, 1), (63, 1), (64, 1), (65, 1), (200, 2), (128, 2)] {
            let cmds = parse(&batches(n, width));
            assert_eq!(cmds.len(), n.div_ceil(ITEMS_PER_CMD), "{n}");
            let items: usize = cmds.iter().map(|c| (c.len() - 2) / width).sum();
            assert_eq!(items, n);
            assert!(cmds.iter().all(|c| c.len() - 2 <= ITEMS_PER_CMD * width));
        }
        assert!(batches(0, 1).is_empty());
    }

    #[test]
    fn scores_are_written_as_redis_7_0_does() {
        let mut w = CmdWriter {
            out: Vec::new(),
            num: Vec::new(),
            cmd: Vec::new(),
        };
        for d in [0.1, f64::INFINITY, f64::NEG_INFINITY, 5e-324, 2.5, 3.0] {
            w.bulk_f64(d).unwrap();
        }
        assert_eq!(
            w.out,
            b"$19\r\n0.10000000000000001\r\n$3\r\ninf\r\n$4\r\n-inf\r\n$23\r\n4.9406564584124654e-324\r\n$3\r\n2.5\r\n$1\r\n3\r\n"
        );
    }
}
