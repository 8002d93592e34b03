//! The append-only file, as Redis 7.0's multi-part AOF: in `appenddirname`, a manifest
//! ([`manifest`]) lists a base file (an RDB snapshot with `aof-use-rdb-preamble yes`, or
//! commands) and incremental files of commands in the RESP form clients send.
//!
//! # Writing
//! Every command that changes the dataset is fed here by [`crate::server::propagate`]
//! into `buf`. Before the event loop writes any reply ([`before_replies`]), the buffer is
//! written to the current incremental file.
//!
//! Under `appendfsync always` no client may see a reply (to a write, or to a read that
//! saw one) before the write is on disk. Group commit, pipelined: the fsync runs on the
//! fsync thread while the event loop goes on serving other clients. Every client that ran
//! a command is held ([`Client::aof_hold`](crate::server::Client)) until the log is synced
//! up to where it stood after that command (offsets in `written`/`synced` count every
//! byte ever appended); a held client is not written to and its socket is not read
//! (requests it had already sent still run, moving its hold forward). When an fsync
//! completes, the thread wakes the loop through a mio waker, the clients it covers are
//! released, and the next fsync starts at once for everything written meanwhile. One
//! fsync thus covers every write of one or more loop iterations, and the disk's latency
//! is not added to the server's time per command.
//!
//! Under `everysec` the same thread fsyncs about once a second, so the event loop never
//! waits for the disk; under `no` the kernel decides.
//!
//! # Rewriting
//! BGREWRITEAOF (or the automatic trigger, or turning `appendonly` on) first opens a new
//! incremental file, where writes go from then on, then forks: the child writes the
//! dataset as it was at that instant as a new base file. When the child succeeds the
//! manifest is replaced (atomically: temp file, fsync, rename) by one listing the new base
//! and the new incremental file; the previous base and incremental files become history
//! and are deleted. No write is ever lost: until the new manifest is on disk the old one
//! still lists the old base, the old incremental files and the new one.
//!
//! `appendonly yes` at run time has no log to extend: writes that follow the fork go to
//! `temp-<appendfilename>.incr`, renamed to the next incremental file when the first base
//! is installed (deleted and retried if the rewrite fails); behind a running BGSAVE the
//! rewrite waits and nothing is logged, since the later fork sees it all. File names,
//! sequence numbers, replies and log lines follow Redis 7.0, checked side by side in
//! `tests/aof.rs`; `tests/aof_crash.rs` SIGKILLs it under load.

pub mod load;
pub mod manifest;
pub mod rewrite;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

use crate::config::AppendFsync;
use crate::server::ServerState;
use crate::server::log::Level;
use manifest::{FileInfo, Manifest};

/// Redis's `aof_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Off,
    On,
    /// Turned on at run time: writes are logged to a new incremental file while the first
    /// base is written; the manifest lists them once it is done.
    WaitRewrite,
}

/// A forked rewrite child.
#[derive(Debug)]
pub struct RewriteChild {
    pub pid: i32,
    /// Unix seconds when it started.
    pub start: i64,
}

/// The fsync thread (`always` and `everysec`): it receives a duplicate of the file's
/// descriptor and the log offset written before the request, fsyncs, publishes the
/// offset as synced and wakes the event loop.
struct Fsyncer {
    tx: Sender<(File, u64)>,
    busy: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
}

impl Fsyncer {
    fn start(synced: Arc<AtomicU64>, waker: Option<Arc<mio::Waker>>) -> Option<Fsyncer> {
        let (tx, rx) = channel::<(File, u64)>();
        let busy = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(AtomicBool::new(false));
        let (b, f) = (busy.clone(), failed.clone());
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for (file, target) in rx {
                    if file.sync_data().is_err() {
                        f.store(true, Ordering::Release);
                    } else {
                        f.store(false, Ordering::Release);
                        synced.fetch_max(target, Ordering::AcqRel);
                    }
                    b.store(false, Ordering::Release);
                    if let Some(w) = &waker {
                        let _ = w.wake();
                    }
                }
            })
            .ok()?;
        Some(Fsyncer { tx, busy, failed })
    }
}

/// AOF state (Redis's `server.aof_*`).
pub struct Aof {
    pub status: Status,
    pub manifest: Manifest,
    /// The incremental file being appended to.
    file: Option<File>,
    /// Propagated commands not yet written (`aof_buf`).
    pub buf: Vec<u8>,
    /// Database the file's last SELECT chose (None: the next command must SELECT).
    selected_db: Option<usize>,
    /// Bytes of the base and incremental files (`aof_current_size`).
    pub current_size: u64,
    /// `current_size` after the last rewrite or load (`aof_rewrite_base_size`).
    pub base_size: u64,
    /// Bytes of the current incremental file that were written completely.
    incr_size: u64,
    /// Bytes written since the last fsync.
    unsynced: bool,
    /// Bytes ever appended to the log (across files): offsets for `always`'s holds.
    written: u64,
    /// How much of `written` is known to be on disk (advanced by the fsync thread).
    synced: Arc<AtomicU64>,
    /// Wakes the event loop when an fsync completes (set by the loop at start-up).
    pub waker: Option<Arc<mio::Waker>>,
    /// Clients whose replies wait for an fsync (client slots).
    pub held: Vec<usize>,
    last_fsync_ms: i64,
    fsyncer: Option<Fsyncer>,
    pub child: Option<RewriteChild>,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub last_rewrite_time_sec: i64,
    pub last_rewrite_ok: bool,
    pub consecutive_failures: u64,
    pub last_write_ok: bool,
    pub last_write_error: String,
    pub delayed_fsync: u64,
    /// Replaying the AOF at start-up.
    pub loading: bool,
    /// While replaying at start-up, answer clients now and then (`-LOADING`, INFO).
    pub serve_while_loading: bool,
    /// When a scheduled rewrite that failed was last retried (unix seconds).
    last_fail_retry: i64,
    /// Last second a `#TS:` annotation was written (`aof-timestamp-enabled`).
    last_ts: i64,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            status: Status::Off,
            manifest: Manifest::default(),
            file: None,
            buf: Vec::new(),
            selected_db: None,
            current_size: 0,
            base_size: 0,
            incr_size: 0,
            unsynced: false,
            written: 0,
            synced: Arc::new(AtomicU64::new(0)),
            waker: None,
            held: Vec::new(),
            last_fsync_ms: 0,
            fsyncer: None,
            child: None,
            rewrite_scheduled: false,
            rewrites: 0,
            last_rewrite_time_sec: -1,
            last_rewrite_ok: true,
            consecutive_failures: 0,
            last_write_ok: true,
            last_write_error: String::new(),
            delayed_fsync: 0,
            loading: false,
            serve_while_loading: false,
            last_fail_retry: 0,
            last_ts: 0,
        }
    }
}

/// The directory of the log: `dir/appenddirname`.
pub fn dir_path(srv: &ServerState) -> PathBuf {
    srv.config.dir.join(&srv.config.appenddirname)
}

fn manifest_name(srv: &ServerState) -> String {
    format!("{}.manifest", srv.config.appendfilename)
}

fn base_name(srv: &ServerState, seq: u64) -> String {
    let ext = if srv.config.aof_use_rdb_preamble {
        "rdb"
    } else {
        "aof"
    };
    format!("{}.{seq}.base.{ext}", srv.config.appendfilename)
}

fn incr_name(srv: &ServerState, seq: u64) -> String {
    format!("{}.{seq}.incr.aof", srv.config.appendfilename)
}

/// Where writes go while the first base is written after `appendonly yes` at run time;
/// renamed to the next incremental file when that rewrite succeeds (as Redis).
fn temp_incr_name(srv: &ServerState) -> String {
    format!("temp-{}.incr", srv.config.appendfilename)
}

/// Make a directory entry change (create, rename) durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Write the manifest atomically: a temp file, fsync, rename, fsync of the directory.
fn persist_manifest(srv: &ServerState, m: &Manifest) -> std::io::Result<()> {
    let dir = dir_path(srv);
    let name = manifest_name(srv);
    let tmp = dir.join(format!("temp-{name}"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(m.to_text().as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(&name))?;
    sync_dir(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Feeding and flushing.

/// Append the RESP form of `argv` (`*N` then `$len` blocks) to `out`.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    use crate::util::numbers::fmt_i64;
    out.push(b'*');
    fmt_i64(argv.len() as i64, out);
    out.extend_from_slice(b"\r\n");
    for a in argv {
        let a = a.as_ref();
        out.push(b'$');
        fmt_i64(a.len() as i64, out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

impl Aof {
    fn select(&mut self, db: usize) {
        if self.selected_db != Some(db) {
            let n = db.to_string();
            encode_command(&mut self.buf, &[b"SELECT".as_slice(), n.as_bytes()]);
            self.selected_db = Some(db);
        }
    }

    fn timestamp(&mut self, enabled: bool, now_ms: i64) {
        if enabled && now_ms / 1000 > self.last_ts {
            self.last_ts = now_ms / 1000;
            self.buf
                .extend_from_slice(format!("#TS:{}\r\n", self.last_ts).as_bytes());
        }
    }
}

/// Record commands of one execution unit; several are wrapped in MULTI/EXEC when `wrap`.
pub fn feed(srv: &mut ServerState, items: &[(usize, Vec<Vec<u8>>)], wrap: bool) {
    let ts = srv.config.aof_timestamp_enabled;
    let now = srv.now_ms;
    let aof = &mut srv.aof;
    if aof.status == Status::Off || items.is_empty() {
        return;
    }
    aof.timestamp(ts, now);
    let wrap = wrap && items.len() > 1;
    if wrap {
        aof.select(items[0].0);
        encode_command(&mut aof.buf, &[b"MULTI"]);
    }
    for (db, argv) in items {
        aof.select(*db);
        encode_command(&mut aof.buf, argv);
    }
    if wrap {
        encode_command(&mut aof.buf, &[b"EXEC"]);
    }
}

/// Record one command as the client sent it (the common case, without copying it first).
pub fn feed_args(srv: &mut ServerState, db: usize, args: &[&[u8]]) {
    let ts = srv.config.aof_timestamp_enabled;
    let now = srv.now_ms;
    let aof = &mut srv.aof;
    if aof.status == Status::Off {
        return;
    }
    aof.timestamp(ts, now);
    aof.select(db);
    encode_command(&mut aof.buf, args);
}

/// Whether replies must wait for [`before_replies`]: writes are buffered, not yet
/// handed to the kernel (under `always`, replies also wait for the disk: see
/// [`must_hold`]).
#[inline]
pub fn pending(srv: &ServerState) -> bool {
    !srv.aof.buf.is_empty()
}

/// Under `always`, the log offset a client's replies depend on after it ran a command:
/// everything appended or buffered so far. 0 when nothing needs to wait.
#[inline]
pub fn hold_target(srv: &ServerState) -> u64 {
    if srv.aof.status == Status::Off || srv.config.appendfsync != AppendFsync::Always {
        return 0;
    }
    let end = srv.aof.written + srv.aof.buf.len() as u64;
    if end > srv.aof.synced.load(Ordering::Acquire) {
        end
    } else {
        0
    }
}

/// Whether a client's replies must still wait for the disk.
#[inline]
pub fn must_hold(srv: &ServerState, hold: u64) -> bool {
    hold != 0 && hold > srv.aof.synced.load(Ordering::Acquire)
}

/// Clients held for an fsync that has now completed: to write and to read again.
pub fn take_released(srv: &mut ServerState) -> Vec<usize> {
    if srv.aof.held.is_empty() {
        return Vec::new();
    }
    let synced = srv.aof.synced.load(Ordering::Acquire);
    let mut released = Vec::new();
    let held = std::mem::take(&mut srv.aof.held);
    for slot in held {
        match srv.clients.slots.get(slot).and_then(|c| c.as_deref()) {
            Some(c) if c.aof_hold > synced => srv.aof.held.push(slot),
            Some(_) => released.push(slot),
            // Gone, or taken out right now (it is running and will be written after).
            None => released.push(slot),
        }
    }
    released
}

/// The fsync thread finished one: start the next for what was written meanwhile.
pub fn on_sync_done(srv: &mut ServerState) {
    if srv
        .aof
        .fsyncer
        .as_ref()
        .is_some_and(|f| f.failed.load(Ordering::Acquire))
        && srv.config.appendfsync == AppendFsync::Always
    {
        srv.log.warning(
            "Can't persist AOF for fsync error when the AOF fsync policy is 'always'. Exiting...",
        );
        std::process::exit(1);
    }
    if srv.config.appendfsync == AppendFsync::Always
        && srv.aof.written > srv.aof.synced.load(Ordering::Acquire)
    {
        let now = crate::server::unix_ms();
        request_background_fsync(srv, now);
    }
}

/// Write the buffer to the file, and under `always` fsync it: called before the event
/// loop writes replies (Redis's flushAppendOnlyFile from beforeSleep).
pub fn before_replies(srv: &mut ServerState) {
    if pending(srv) {
        flush(srv, false);
    }
}

/// Write the buffer; fsync as the policy says (`force_sync`: now, whatever the policy).
pub fn flush(srv: &mut ServerState, force_sync: bool) {
    let policy = srv.config.appendfsync;
    let now = crate::server::unix_ms();
    if !srv.aof.buf.is_empty() {
        let Some(file) = srv.aof.file.as_mut() else {
            // Not logging (off, or the file could not be opened): nothing to keep.
            srv.aof.buf.clear();
            return;
        };
        let len = srv.aof.buf.len();
        match write_fully(file, &srv.aof.buf) {
            Ok(()) => {
                srv.aof.current_size += len as u64;
                srv.aof.incr_size += len as u64;
                srv.aof.written += len as u64;
                srv.aof.buf.clear();
                if srv.aof.buf.capacity() > 4 << 20 {
                    srv.aof.buf.shrink_to(64 << 10);
                }
                srv.aof.unsynced = true;
                if !srv.aof.last_write_ok {
                    srv.log
                        .warning("AOF write error looks solved, Redis can write again.");
                    srv.aof.last_write_ok = true;
                }
            }
            Err((written, e)) => {
                write_failed(srv, &e, written, len);
                return;
            }
        }
    }
    if !srv.aof.unsynced {
        return;
    }
    let rewriting = srv.aof.child.is_some() || srv.persist.child.is_some();
    if force_sync {
        if let Some(f) = srv.aof.file.as_ref()
            && let Err(e) = f.sync_data()
        {
            if policy == AppendFsync::Always {
                srv.log.warning(&format!(
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                ));
                std::process::exit(1);
            }
            srv.aof.last_write_ok = false;
            srv.aof.last_write_error = strerror(&e);
            return;
        }
        srv.aof.unsynced = false;
        srv.aof.last_fsync_ms = now;
        srv.aof.synced.fetch_max(srv.aof.written, Ordering::AcqRel);
    } else if policy == AppendFsync::Always {
        // On the fsync thread; if one is running, its completion starts the next.
        request_background_fsync(srv, now);
    } else if policy == AppendFsync::Everysec
        && now - srv.aof.last_fsync_ms >= 1000
        && !(srv.config.no_appendfsync_on_rewrite && rewriting)
    {
        request_background_fsync(srv, now);
    }
}

/// Hand an fsync of the current file to the fsync thread, unless one is running.
fn request_background_fsync(srv: &mut ServerState, now: i64) {
    if srv.aof.fsyncer.is_none() {
        srv.aof.fsyncer = Fsyncer::start(srv.aof.synced.clone(), srv.aof.waker.clone());
    }
    let Some(fs) = srv.aof.fsyncer.as_ref() else {
        // No thread (it could not be spawned): fsync here rather than never.
        flush(srv, true);
        return;
    };
    if fs.busy.load(Ordering::Acquire) {
        // Under `always` the running fsync's completion starts the next one. Under
        // `everysec` the disk is slow; the next tick tries again (Redis counts these).
        if srv.config.appendfsync != AppendFsync::Always {
            srv.aof.delayed_fsync += 1;
        }
        return;
    }
    let Some(dup) = srv.aof.file.as_ref().and_then(|f| f.try_clone().ok()) else {
        return;
    };
    fs.busy.store(true, Ordering::Release);
    if fs.tx.send((dup, srv.aof.written)).is_err() {
        fs.busy.store(false, Ordering::Release);
        srv.aof.fsyncer = None;
        return;
    }
    srv.aof.unsynced = false;
    srv.aof.last_fsync_ms = now;
}

/// Write all of `buf`, as Redis's aofWrite: on an error after part of it went out, the
/// error comes with how much did.
fn write_fully(file: &mut File, buf: &[u8]) -> Result<(), (usize, std::io::Error)> {
    let mut done = 0;
    while done < buf.len() {
        match file.write(&buf[done..]) {
            Ok(0) => return Err((done, std::io::ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err((done, e)),
        }
    }
    Ok(())
}

/// An error as C's strerror says it (what Redis shows), without Rust's "(os error N)".
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A write to the AOF failed after `written` of `len` bytes. Under `always` there is no
/// way to keep the promise: exit. Otherwise keep the buffer (retried by the cron) and
/// refuse writes until it works.
fn write_failed(srv: &mut ServerState, e: &std::io::Error, written: usize, len: usize) {
    // Redis reports a partial write as a full disk, whatever the second write said.
    let why = if written > 0 {
        "No space left on device".to_string()
    } else {
        strerror(e)
    };
    if srv.aof.last_write_ok {
        srv.log.warning(&if written > 0 {
            format!(
                "Short write while writing to the AOF file: (nwritten={written}, expected={len})"
            )
        } else {
            format!("Error writing to the AOF file: {why}")
        });
    }
    // A partial write leaves an incomplete command at the end of the file: cut it off so
    // the retry (or the next start, after an exit) finds whole commands, as Redis does.
    if written > 0
        && let Some(f) = srv.aof.file.as_ref()
    {
        let _ = f.set_len(srv.aof.incr_size);
    }
    if srv.config.appendfsync == AppendFsync::Always {
        srv.log.warning(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
        );
        std::process::exit(1);
    }
    srv.aof.last_write_ok = false;
    srv.aof.last_write_error = why;
}

/// Whether writes are refused because the AOF cannot be written (Redis's
/// writeCommandsDeniedByDiskError, AOF half): the error text.
pub fn write_error(srv: &ServerState) -> Option<String> {
    if srv.aof.status == Status::Off {
        return None;
    }
    let fsync_failed = srv
        .aof
        .fsyncer
        .as_ref()
        .is_some_and(|f| f.failed.load(Ordering::Acquire));
    if srv.aof.last_write_ok && !fsync_failed {
        return None;
    }
    let why = if srv.aof.last_write_error.is_empty() {
        "fsync failed".to_string()
    } else {
        srv.aof.last_write_error.clone()
    };
    Some(format!("MISCONF Errors writing to the AOF file: {why}"))
}

// ---------------------------------------------------------------------------------------
// Files.

/// Open (creating it if needed) incremental file `name` for appending.
fn open_append(srv: &ServerState, name: &str) -> std::io::Result<File> {
    let dir = dir_path(srv);
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))?;
    sync_dir(&dir);
    Ok(f)
}

/// Make `name` the file commands are appended to; the next command starts with SELECT.
fn set_current_file(srv: &mut ServerState, file: File) {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    srv.aof.file = Some(file);
    srv.aof.incr_size = len;
    srv.aof.selected_db = None;
    srv.aof.unsynced = false;
}

/// Sizes of every file the manifest lists (`aof_current_size`).
fn files_size(srv: &ServerState, m: &Manifest) -> u64 {
    let dir = dir_path(srv);
    m.files()
        .filter_map(|f| std::fs::metadata(dir.join(&f.name)).ok())
        .map(|md| md.len())
        .sum()
}

/// Delete history files (unless `aof-disable-auto-gc`), then drop them from the manifest.
fn delete_history(srv: &mut ServerState) {
    if srv.config.aof_disable_auto_gc || srv.aof.manifest.history.is_empty() {
        return;
    }
    let dir = dir_path(srv);
    let history = std::mem::take(&mut srv.aof.manifest.history);
    for h in &history {
        match std::fs::remove_file(dir.join(&h.name)) {
            Ok(()) => srv.log.notice(&format!(
                "Removing the history file {} in the background",
                h.name
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => srv.log.warning(&format!(
                "Failed to remove the history file {}: {e}",
                h.name
            )),
        }
    }
    if persist_manifest(srv, &srv.aof.manifest).is_err() {
        // The files are gone either way; the next manifest written will not list them.
    }
}

// ---------------------------------------------------------------------------------------
// Start-up.

/// Read the manifest of `dir/appenddirname`. Ok(None) when there is none.
fn read_manifest(srv: &ServerState) -> Result<Option<Manifest>, String> {
    let path = dir_path(srv).join(manifest_name(srv));
    match std::fs::read(&path) {
        Ok(text) => Manifest::parse(&text)
            .map(Some)
            .map_err(|e| format!("{e} (in {})", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "Fatal error: can't open the AOF manifest {} for reading: {e}",
            path.display()
        )),
    }
}

/// A single-file AOF of Redis before 7.0 (`dir/appendfilename`) becomes the base of a
/// multi-part log, as Redis 7.0's aofUpgradePrepare does: moved into the directory and
/// listed in a new manifest.
fn upgrade_old_aof(srv: &mut ServerState) -> Result<Option<Manifest>, String> {
    let old = srv.config.dir.join(&srv.config.appendfilename);
    if !old.is_file() {
        return Ok(None);
    }
    let dir = dir_path(srv);
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            dir.display()
        )
    })?;
    let name = srv.config.appendfilename.clone();
    std::fs::rename(&old, dir.join(&name))
        .map_err(|e| format!("Error moving {} into {}: {e}", old.display(), dir.display()))?;
    let m = Manifest {
        base: Some(FileInfo { name, seq: 1 }),
        base_seq: 1,
        ..Default::default()
    };
    persist_manifest(srv, &m).map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
    srv.log.notice(&format!(
        "Successfully migrated an old-style AOF into the AOF directory {}",
        dir.display()
    ));
    Ok(Some(m))
}

/// With `appendonly yes` at start-up: load the log (instead of the RDB file, as Redis),
/// then open it for appending, creating the base and incremental files when there were
/// none. Err is fatal: logged, and the server exits with every file untouched.
pub fn start(srv: &mut ServerState) -> Result<(), String> {
    let started = std::time::Instant::now();
    let manifest = match read_manifest(srv)? {
        Some(m) => Some(m),
        None => upgrade_old_aof(srv)?,
    };
    let loaded_any = manifest.as_ref().is_some_and(|m| !m.is_empty());
    if let Some(m) = &manifest
        && loaded_any
    {
        srv.aof.loading = true;
        srv.aof.serve_while_loading = true;
        let dir = dir_path(srv);
        let r = load::load_all(srv, &dir, m);
        srv.aof.loading = false;
        srv.aof.serve_while_loading = false;
        crate::server::busy::end(srv);
        let loaded = r?;
        srv.persist.last_load_keys_loaded = loaded.rdb_keys;
        srv.persist.last_load_keys_expired = loaded.rdb_expired;
        srv.log.notice(&format!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        ));
    }
    srv.persist.dirty_at_save = srv.dirty();
    let dir = dir_path(srv);
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            dir.display()
        )
    })?;
    let mut m = manifest.unwrap_or_default();
    if m.base.is_none() && m.incrs.is_empty() {
        // A fresh log: a base holding the current (empty, or loaded) data first.
        let seq = m.base_seq + 1;
        let name = base_name(srv, seq);
        write_base(srv, &dir.join(&name), &dir.join(format!("temp-{name}")))
            .map_err(|e| format!("Can't create the AOF base file {name}: {e}"))?;
        srv.log
            .notice(&format!("Creating AOF base file {name} on server start"));
        m.base = Some(FileInfo { name, seq });
        m.base_seq = seq;
    }
    let incr = match m.incrs.last() {
        Some(last) => {
            srv.log.notice(&format!(
                "Opening AOF incr file {} on server start",
                last.name
            ));
            last.name.clone()
        }
        None => {
            let seq = m.incr_seq + 1;
            let name = incr_name(srv, seq);
            m.incrs.push(FileInfo {
                name: name.clone(),
                seq,
            });
            m.incr_seq = seq;
            srv.log
                .notice(&format!("Creating AOF incr file {name} on server start"));
            name
        }
    };
    let file = open_append(srv, &incr)
        .map_err(|e| format!("Can't open the append-only file {incr}: {e}"))?;
    persist_manifest(srv, &m).map_err(|e| format!("Can't write the AOF manifest: {e}"))?;
    srv.aof.manifest = m;
    delete_history(srv);
    set_current_file(srv, file);
    // As Redis after loading: the size of every listed file, and of the base alone as the
    // size at the last rewrite (not persisted; the first automatic rewrite may come early).
    // A log created just now counts from zero.
    if loaded_any {
        srv.aof.current_size = files_size(srv, &srv.aof.manifest);
        srv.aof.base_size = srv
            .aof
            .manifest
            .base
            .as_ref()
            .and_then(|b| std::fs::metadata(dir.join(&b.name)).ok())
            .map_or(0, |md| md.len());
    } else {
        srv.aof.current_size = 0;
        srv.aof.base_size = 0;
    }
    srv.aof.status = Status::On;
    srv.aof.last_fsync_ms = crate::server::unix_ms();
    enable_propagation(srv, true);
    Ok(())
}

/// Whether commands are recorded (and Db logs expired keys for it).
fn enable_propagation(srv: &mut ServerState, on: bool) {
    srv.propagate.enabled = on;
    for db in srv.dbs.iter_mut() {
        db.log_expired = on;
        if !on {
            db.expired_log.clear();
        }
    }
}

/// Write a base file from this process's data: `tmp`, fsync, rename to `path`.
fn write_base(srv: &ServerState, path: &Path, tmp: &Path) -> std::io::Result<()> {
    if srv.config.aof_use_rdb_preamble {
        let (mut aux, snap, fo) = super::options(srv);
        aux.aof_base = true;
        let functions: Vec<&[u8]> = srv
            .scripting
            .functions
            .libs
            .values()
            .map(|l| l.code.as_slice())
            .collect();
        super::rdb::save_file(path, tmp, &srv.dbs, &functions, &aux, &snap, &fo)
            .map(|_| ())
            .map_err(|e| match e {
                super::rdb::SaveError::Open(e)
                | super::rdb::SaveError::Write(e)
                | super::rdb::SaveError::Rename(e) => e,
            })
    } else {
        rewrite::write_file(srv, path, tmp)
    }
}

// ---------------------------------------------------------------------------------------
// Rewriting.

/// Why BGREWRITEAOF did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteError {
    InProgress,
    /// Another child runs: the rewrite starts when it is done.
    Scheduled,
    Failed,
}

/// Start a background rewrite (Redis's rewriteAppendOnlyFileBackground).
pub fn rewrite_start(srv: &mut ServerState) -> Result<(), RewriteError> {
    if srv.aof.child.is_some() {
        return Err(RewriteError::InProgress);
    }
    if srv.persist.child.is_some() {
        srv.aof.rewrite_scheduled = true;
        srv.aof.consecutive_failures = 0;
        return Err(RewriteError::Scheduled);
    }
    let dir = dir_path(srv);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        srv.log.warning(&format!(
            "Can't open or create append-only dir {}: {e}",
            dir.display()
        ));
        return Err(RewriteError::Failed);
    }
    // Everything so far goes to the current file; what follows the fork, to a new one.
    flush(srv, true);
    // The file writes go to from the fork on (openNewIncrAofForAppend).
    let open_incr = |srv: &mut ServerState, name: &str, fresh: bool| {
        let opened = if fresh {
            File::create(dir.join(name)).and_then(|_| open_append(srv, name))
        } else {
            open_append(srv, name)
        };
        match opened {
            Ok(f) => {
                srv.log.notice(&format!(
                    "Creating AOF incr file {name} on background rewrite"
                ));
                Ok(f)
            }
            Err(e) => {
                srv.log
                    .warning(&format!("Can't open the append-only file {name}: {e}"));
                srv.aof.last_rewrite_ok = false;
                Err(RewriteError::Failed)
            }
        }
    };
    if srv.aof.status == Status::WaitRewrite {
        // No log yet: the writes that follow the fork wait in a temporary file.
        let name = temp_incr_name(srv);
        let file = open_incr(srv, &name, true)?;
        set_current_file(srv, file);
    } else if srv.aof.status == Status::On {
        let seq = srv.aof.manifest.incr_seq + 1;
        let name = incr_name(srv, seq);
        let file = open_incr(srv, &name, false)?;
        srv.aof.manifest.incrs.push(FileInfo { name, seq });
        srv.aof.manifest.incr_seq = seq;
        if let Err(e) = persist_manifest(srv, &srv.aof.manifest) {
            srv.log
                .warning(&format!("Can't persist the AOF manifest: {e}"));
            srv.aof.manifest.incrs.pop();
            srv.aof.manifest.incr_seq = seq - 1;
            srv.aof.last_rewrite_ok = false;
            return Err(RewriteError::Failed);
        }
        set_current_file(srv, file);
    }
    // Counted when started, as Redis's stat_aof_rewrites.
    srv.aof.rewrites += 1;
    let now = crate::server::unix_ms() / 1000;
    // SAFETY: as BGSAVE (see persistence's module comment): the child only writes a file
    // with plain system calls and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = rewrite_child(srv);
        // SAFETY: see BGSAVE.
        unsafe { libc::_exit(code) };
    }
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        srv.aof.last_rewrite_ok = false;
        srv.log.warning(&format!(
            "Can't rewrite append only file in background: fork: {e}"
        ));
        return Err(RewriteError::Failed);
    }
    srv.log.notice(&format!(
        "Background append only file rewriting started by pid {pid}"
    ));
    srv.aof.rewrite_scheduled = false;
    srv.aof.child = Some(RewriteChild { pid, start: now });
    super::set_fork_mode(srv, true);
    Ok(())
}

fn temp_rewrite_path(srv: &ServerState, pid: i32) -> PathBuf {
    dir_path(srv).join(format!("temp-rewriteaof-bg-{pid}.aof"))
}

/// The rewrite child: write the base file of the data as of the fork.
fn rewrite_child(srv: &ServerState) -> i32 {
    let pid = std::process::id() as i32;
    let path = temp_rewrite_path(srv, pid);
    let tmp = dir_path(srv).join(format!("temp-rewriteaof-{pid}.aof"));
    let logger = srv.log.clone();
    match write_base(srv, &path, &tmp) {
        Ok(()) => {
            logger.log_child(
                Level::Notice,
                &format!(
                    "Successfully created the temporary AOF base file {}",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ),
            );
            0
        }
        Err(e) => {
            logger.log_child(
                Level::Warning,
                &format!("Error rewriting the append only file: {e}"),
            );
            1
        }
    }
}

/// Reap a finished rewrite child and install its base (backgroundRewriteDoneHandler).
fn check_child(srv: &mut ServerState) {
    use super::child::{self, Exit};
    let Some(pid) = srv.aof.child.as_ref().map(|c| c.pid) else {
        return;
    };
    let Some(exit) = child::try_reap(pid) else {
        return;
    };
    let Some(child) = srv.aof.child.take() else {
        return;
    };
    super::set_fork_mode(srv, false);
    let now = crate::server::unix_ms() / 1000;
    srv.aof.last_rewrite_time_sec = now - child.start;
    let tmp = temp_rewrite_path(srv, pid);
    if let Exit::Success = exit {
        srv.log
            .notice("Background AOF rewrite terminated with success");
        if install_rewrite(srv, &tmp).is_ok() {
            srv.aof.last_rewrite_ok = true;
            srv.aof.consecutive_failures = 0;
            srv.log
                .notice("Background AOF rewrite finished successfully");
            return;
        }
        srv.aof.last_rewrite_ok = false;
        srv.aof.consecutive_failures += 1;
    } else if let Exit::Signaled(sig) = exit {
        // SIGUSR1 is how we stop a child: not a failure.
        if sig != libc::SIGUSR1 {
            srv.aof.last_rewrite_ok = false;
            srv.aof.consecutive_failures += 1;
        }
        srv.log.warning(&format!(
            "Background AOF rewrite terminated by signal {sig}"
        ));
    } else {
        srv.aof.last_rewrite_ok = false;
        srv.aof.consecutive_failures += 1;
        srv.log
            .warning("Background AOF rewrite terminated with error");
    }
    remove_temp_files(srv, pid);
    if srv.aof.status == Status::WaitRewrite {
        // Turning the AOF on needs a base: what the temporary file holds will be in the
        // next attempt's snapshot.
        drop_temp_incr(srv);
        srv.aof.rewrite_scheduled = true;
    }
}

/// The files a rewrite child `pid` writes (aofRemoveTempFile).
fn remove_temp_files(srv: &ServerState, pid: i32) {
    let _ = std::fs::remove_file(temp_rewrite_path(srv, pid));
    let _ = std::fs::remove_file(dir_path(srv).join(format!("temp-rewriteaof-{pid}.aof")));
}

/// Close and delete the temporary incremental file of `WaitRewrite`.
fn drop_temp_incr(srv: &mut ServerState) {
    srv.aof.file = None;
    srv.aof.buf.clear();
    let name = temp_incr_name(srv);
    if std::fs::remove_file(dir_path(srv).join(&name)).is_ok() {
        srv.log.notice(&format!(
            "Removing the temp incr aof file {name} in the background"
        ));
    }
}

/// Rename the child's file into the new base and write the manifest that lists it.
fn install_rewrite(srv: &mut ServerState, tmp: &Path) -> Result<(), ()> {
    let dir = dir_path(srv);
    let mut m = srv.aof.manifest.clone();
    let seq = m.base_seq + 1;
    let name = base_name(srv, seq);
    if let Err(e) = std::fs::rename(tmp, dir.join(&name)) {
        srv.log.warning(&format!(
            "Error trying to rename the temporary AOF base file {} into {name}: {e}",
            tmp.display()
        ));
        return Err(());
    }
    srv.log.notice(&format!(
        "Successfully renamed the temporary AOF base file {} into {name}",
        tmp.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    if let Some(old) = m.base.take() {
        m.history.push(old);
    }
    m.base = Some(FileInfo {
        name: name.clone(),
        seq,
    });
    m.base_seq = seq;
    let mut renamed_incr = None;
    if srv.aof.status == Status::WaitRewrite {
        // The writes since the fork become the first incremental file of the new log.
        let temp = temp_incr_name(srv);
        let seq = m.incr_seq + 1;
        let incr = incr_name(srv, seq);
        if let Err(e) = std::fs::rename(dir.join(&temp), dir.join(&incr)) {
            srv.log.warning(&format!(
                "Error trying to rename the temporary AOF incr file {temp} into {incr}: {e}"
            ));
            let _ = std::fs::remove_file(dir.join(&name));
            return Err(());
        }
        srv.log.notice(&format!(
            "Successfully renamed the temporary AOF incr file {temp} into {incr}"
        ));
        m.incrs.push(FileInfo {
            name: incr.clone(),
            seq,
        });
        m.incr_seq = seq;
        renamed_incr = Some(incr);
    }
    // Every incremental file but the one opened when the rewrite started is covered.
    let keep = if srv.aof.status == Status::Off { 0 } else { 1 };
    let n = m.incrs.len().saturating_sub(keep);
    let done: Vec<FileInfo> = m.incrs.drain(..n).collect();
    m.history.extend(done);
    if let Err(e) = persist_manifest(srv, &m) {
        srv.log
            .warning(&format!("Can't persist the AOF manifest: {e}"));
        // The old manifest stays: nothing it lists was touched.
        let _ = std::fs::remove_file(dir.join(&name));
        if let Some(incr) = renamed_incr {
            let _ = std::fs::remove_file(dir.join(incr));
        }
        return Err(());
    }
    srv.aof.manifest = m;
    if srv.aof.status == Status::WaitRewrite {
        srv.aof.status = Status::On;
        srv.log.notice("AOF rewrite done, the AOF is now enabled");
    }
    srv.aof.current_size = files_size(srv, &srv.aof.manifest) + srv.aof.buf.len() as u64;
    srv.aof.base_size = srv.aof.current_size;
    delete_history(srv);
    Ok(())
}

/// Stop a running rewrite child and remove its file.
pub fn kill_child(srv: &mut ServerState) {
    if let Some(child) = srv.aof.child.take() {
        super::set_fork_mode(srv, false);
        super::child::kill_and_reap(child.pid);
        remove_temp_files(srv, child.pid);
    }
}

/// Periodic work: reap the child, scheduled and automatic rewrites, the everysec fsync,
/// retrying a failed write.
pub fn cron(srv: &mut ServerState) {
    check_child(srv);
    if srv.aof.status == Status::Off && srv.aof.child.is_none() && !srv.aof.rewrite_scheduled {
        return;
    }
    if srv.aof.child.is_none() && srv.persist.child.is_none() {
        if srv.aof.rewrite_scheduled
            && (srv.aof.consecutive_failures == 0
                || crate::server::unix_ms() / 1000 - srv.aof.last_fail_retry >= 5)
        {
            srv.aof.last_fail_retry = crate::server::unix_ms() / 1000;
            let _ = rewrite_start(srv);
        } else if srv.aof.status == Status::On && auto_rewrite_due(srv) {
            let base = srv.aof.base_size.max(1);
            let growth = (srv.aof.current_size * 100 / base).saturating_sub(100);
            srv.log.notice(&format!(
                "Starting automatic rewriting of AOF on {growth}% growth"
            ));
            let _ = rewrite_start(srv);
        }
    }
    if srv.aof.status != Status::Off {
        // Retry a failed write, and fsync an idle file that has unsynced data.
        flush(srv, false);
    }
}

fn auto_rewrite_due(srv: &ServerState) -> bool {
    let perc = srv.config.auto_aof_rewrite_percentage;
    if perc == 0 || srv.aof.current_size <= srv.config.auto_aof_rewrite_min_size {
        return false;
    }
    let base = srv.aof.base_size.max(1);
    let growth = (srv.aof.current_size * 100 / base).saturating_sub(100);
    growth >= perc
}

// ---------------------------------------------------------------------------------------
// Turning it on and off at run time (CONFIG SET appendonly).

/// `appendonly yes` at run time: log writes from now on, and rewrite to create the base
/// (Redis's startAppendOnly).
pub fn turn_on(srv: &mut ServerState) -> Result<(), String> {
    if srv.aof.status != Status::Off {
        return Ok(());
    }
    let dir = dir_path(srv);
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            dir.display()
        )
    })?;
    if srv.aof.manifest.is_empty()
        && let Some(m) = read_manifest(srv)?
    {
        srv.aof.manifest = m;
    }
    srv.aof.status = Status::WaitRewrite;
    enable_propagation(srv, true);
    if !srv.aof.last_write_ok {
        srv.log.warning("AOF reopen, just ignore the last error.");
        srv.aof.last_write_ok = true;
    }
    if srv.persist.child.is_some() {
        // Nothing is logged until the rewrite forks: its snapshot will hold it all.
        srv.aof.rewrite_scheduled = true;
        srv.log.warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        return Ok(());
    }
    if srv.aof.child.is_some() {
        // A rewrite started while off does not collect what follows its fork.
        srv.log.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
        kill_child(srv);
    }
    match rewrite_start(srv) {
        Ok(()) => Ok(()),
        Err(_) => {
            srv.aof.status = Status::Off;
            enable_propagation(srv, false);
            srv.aof.file = None;
            srv.aof.buf.clear();
            let msg = "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.";
            srv.log.warning(msg);
            Err(msg.into())
        }
    }
}

/// `appendonly no`: flush, fsync and close the file, stop a rewrite (stopAppendOnly).
pub fn turn_off(srv: &mut ServerState) {
    if srv.aof.status == Status::Off {
        return;
    }
    flush(srv, true);
    srv.aof.file = None;
    srv.aof.buf.clear();
    kill_child(srv);
    if srv.aof.status == Status::WaitRewrite {
        drop_temp_incr(srv);
    }
    srv.aof.status = Status::Off;
    srv.aof.rewrite_scheduled = false;
    enable_propagation(srv, false);
}

/// Before exiting: everything written and on disk, the rewrite child stopped. Err (do not
/// exit) while the first base after `appendonly yes` is still being written, unless
/// `force`: the log would not hold the dataset yet (as Redis's prepareForShutdown).
pub fn shutdown(srv: &mut ServerState, force: bool) -> Result<(), super::SaveFailed> {
    if srv.aof.child.is_some() {
        if srv.aof.status == Status::WaitRewrite {
            if !force {
                srv.log.warning("Writing initial AOF, can't exit.");
                return Err(super::SaveFailed);
            }
            srv.log.warning("Writing initial AOF. Exit anyway.");
        }
        srv.log
            .warning("There is a child rewriting the AOF. Killing it!");
        kill_child(srv);
    }
    if srv.aof.status != Status::Off {
        srv.log.notice("Calling fsync() on the AOF file.");
        flush(srv, true);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// INFO.

/// The AOF lines of INFO persistence, in Redis's order, starting at `aof_enabled`.
pub fn info_fields(srv: &ServerState) -> String {
    let a = &srv.aof;
    let now = crate::server::unix_ms() / 1000;
    format!(
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\naof_last_cow_size:0\r\n",
        (a.status != Status::Off) as u8,
        a.child.is_some() as u8,
        a.rewrite_scheduled as u8,
        a.last_rewrite_time_sec,
        a.child.as_ref().map_or(-1, |c| now - c.start),
        if a.last_rewrite_ok { "ok" } else { "err" },
        a.rewrites,
        a.consecutive_failures,
        if write_error(srv).is_none() {
            "ok"
        } else {
            "err"
        },
    )
}

/// The lines INFO adds when the AOF is on.
pub fn info_on_fields(srv: &ServerState) -> String {
    let a = &srv.aof;
    if a.status == Status::Off {
        return String::new();
    }
    let pending_fsync = a
        .fsyncer
        .as_ref()
        .is_some_and(|f| f.busy.load(Ordering::Acquire)) as u8;
    format!(
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\naof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
        a.current_size,
        a.base_size,
        a.rewrite_scheduled as u8,
        a.buf.len(),
        pending_fsync,
        a.delayed_fsync,
    )
}

/// DEBUG LOADAOF: write out what is buffered, empty the dataset, replay the log.
pub fn debug_loadaof(srv: &mut ServerState) -> Result<(), String> {
    if srv.aof.status == Status::On {
        flush(srv, true);
    }
    for db in srv.dbs.iter_mut() {
        db.clear();
    }
    srv.scripting.functions.flush();
    let m = match read_manifest(srv)? {
        Some(m) => m,
        None => return Ok(()),
    };
    // Replayed commands are already in the log: nothing is recorded while loading.
    let was = srv.propagate.enabled;
    srv.propagate.enabled = false;
    srv.aof.loading = true;
    let dir = dir_path(srv);
    let r = load::load_all(srv, &dir, &m);
    srv.aof.loading = false;
    srv.propagate.enabled = was;
    r.map(|_| {
        srv.log.warning("Append Only File loaded by DEBUG LOADAOF");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_encoded_as_clients_send_them() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"SET".as_slice(), b"", b"a\r\nb"]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$4\r\na\r\nb\r\n");
        let big = vec![b'x'; 1234567];
        out.clear();
        encode_command(&mut out, &[big.as_slice()]);
        assert!(out.starts_with(b"*1\r\n$1234567\r\n"));
        assert_eq!(out.len(), 4 + 10 + 1234567 + 2);
    }

    #[test]
    fn errors_read_as_strerror() {
        let e = std::io::Error::from_raw_os_error(libc::EFBIG);
        assert_eq!(strerror(&e), "File too large");
        assert_eq!(strerror(&std::io::Error::other("plain text")), "plain text");
    }

    #[test]
    fn partial_writes_report_what_went_out() {
        // A pipe whose reader is gone: the first write fails at once, nothing written.
        let mut fds = [0i32; 2];
        // SAFETY: pipe fills our array; both ends are owned by the Files below.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: fds[0] and fds[1] are fresh descriptors nobody else owns.
        let (r, mut w) = unsafe {
            use std::os::fd::FromRawFd;
            (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1]))
        };
        // (Rust's runtime ignores SIGPIPE: the write fails with EPIPE.)
        drop(r);
        match write_fully(&mut w, b"data") {
            Err((0, e)) => assert_eq!(e.raw_os_error(), Some(libc::EPIPE)),
            other => panic!("{other:?}"),
        }
    }
}
