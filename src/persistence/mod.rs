//! Persistence: RDB snapshots ([`rdb`]) and the server-side machinery around them — SAVE
//! in the foreground, BGSAVE in a forked child, the `save` points checked by the cron,
//! loading at start-up on a thread while clients get `-LOADING`, saving at shutdown, and
//! INFO's persistence section. The append-only file is in [`aof`].
//!
//! # Snapshots by fork
//! BGSAVE forks, as Redis does: the child sees the dataset as it was at the fork
//! (copy-on-write pages), writes `temp-<pid>.rdb`, fsyncs, renames it over `dbfilename` and
//! exits; the parent keeps serving and reaps the child from the cron with
//! `waitpid(WNOHANG)`. The child touches nothing shared with other threads of the process:
//! it logs with plain `write(2)` calls, never through locks another thread may have held
//! at fork time, and leaves with `_exit`.
//!
//! # Loading
//! The file is read on a thread into fresh databases while the event loop keeps running,
//! so INFO answers `loading:1` and other commands `-LOADING`; the cron swaps the loaded
//! keyspaces in when the thread is done. A file that fails to load stops the server with
//! exit status 1 and is never modified, like Redis.
//!
//! # Counting changes
//! `rdb_changes_since_last_save` is [`ServerState::dirty`] (every key modification, from
//! `Db::touch`) minus its value at the last successful save.

pub mod aof;
pub mod child;
pub mod crc64;
pub mod lzf;
pub mod rdb;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::server::ServerState;
use crate::server::log::{Level, Logger};
use crate::storage::Db;
use rdb::{
    Aux, FileOptions, Limits, LoadError, LoadOptions, LoadOutcome, SaveError, SnapshotOptions,
};

/// A save that did not complete; the log says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFailed;

/// Seconds before a failed BGSAVE is retried by the save points (CONFIG_BGSAVE_RETRY_DELAY).
const BGSAVE_RETRY_DELAY: i64 = 5;

/// A forked BGSAVE child.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    /// Unix seconds when it started.
    pub start: i64,
    /// `dirty` at the fork: what the snapshot covers.
    pub dirty_at_fork: u64,
}

/// A start-up load running on its thread.
pub struct Loading {
    pub path: PathBuf,
    pub start: i64,
    pub started: Instant,
    pub total_bytes: u64,
    pub loaded_bytes: Arc<AtomicU64>,
    handle: JoinHandle<(Vec<Db>, Result<LoadOutcome, LoadError>)>,
}

/// Persistence state of the server (Redis's `server.lastsave`, `rdb_child_pid`...).
pub struct State {
    /// Unix seconds of the last successful save (start-up counts as one, as in Redis).
    pub lastsave: i64,
    /// `ServerState::dirty()` when the data last reached the disk.
    pub dirty_at_save: u64,
    pub lastbgsave_try: i64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_time_sec: i64,
    pub saves: u64,
    pub child: Option<Child>,
    pub bgsave_scheduled: bool,
    pub loading: Option<Loading>,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
}

impl State {
    pub fn new(now_ms: i64) -> State {
        State {
            lastsave: now_ms / 1000,
            dirty_at_save: 0,
            lastbgsave_try: 0,
            last_bgsave_ok: true,
            last_bgsave_time_sec: -1,
            saves: 0,
            child: None,
            bgsave_scheduled: false,
            loading: None,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new(crate::server::unix_ms())
    }
}

fn rdb_path(srv: &ServerState) -> PathBuf {
    srv.config.dir.join(&srv.config.dbfilename)
}

fn temp_path(srv: &ServerState, pid: u32) -> PathBuf {
    srv.config.dir.join(format!("temp-{pid}.rdb"))
}

fn used_memory() -> u64 {
    crate::alloc::allocated().unwrap_or(0) as u64
}

fn options(srv: &ServerState) -> (Aux, SnapshotOptions, FileOptions) {
    let policy = srv.config.maxmemory_policy;
    let lru = !policy.is_lfu()
        && matches!(
            policy,
            crate::config::MaxmemoryPolicy::AllkeysLru
                | crate::config::MaxmemoryPolicy::VolatileLru
        );
    (
        Aux {
            ctime: crate::server::unix_ms() / 1000,
            used_mem: used_memory(),
            aof_base: false,
        },
        SnapshotOptions {
            save_lru: lru,
            save_lfu: policy
                .is_lfu()
                .then(|| crate::server::maxmemory::access_policy(srv)),
            now_ms: srv.now_ms,
            key_save_delay_us: srv.config.rdb_key_save_delay,
        },
        FileOptions {
            compress: srv.config.rdbcompression,
            checksum: srv.config.rdbchecksum,
            incremental_fsync: srv.config.rdb_save_incremental_fsync,
        },
    )
}

/// Write the snapshot file from this process (SAVE, SHUTDOWN, DEBUG RELOAD, and the
/// BGSAVE child). Logs as Redis's rdbSave does through `log`.
fn write_file(srv: &ServerState, log: &dyn Fn(Level, &str)) -> Result<(), SaveFailed> {
    let path = rdb_path(srv);
    let tmp = temp_path(srv, std::process::id());
    let (aux, snap, fo) = options(srv);
    // Function libraries are saved by their code, as Redis's rdbSaveFunctions.
    let functions: Vec<&[u8]> = srv
        .scripting
        .functions
        .libs
        .values()
        .map(|l| l.code.as_slice())
        .collect();
    match rdb::save_file(&path, &tmp, &srv.dbs, &functions, &aux, &snap, &fo) {
        Ok(_) => {
            log(Level::Notice, "DB saved on disk");
            Ok(())
        }
        Err(SaveError::Open(e)) => {
            log(
                Level::Warning,
                &format!(
                    "Failed opening the temp RDB file {} (in server root dir {}) for saving: {e}",
                    tmp.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    srv.config.dir.display()
                ),
            );
            Err(SaveFailed)
        }
        Err(SaveError::Write(e)) => {
            log(
                Level::Warning,
                &format!("Write error saving DB on disk: {e}"),
            );
            Err(SaveFailed)
        }
        Err(SaveError::Rename(e)) => {
            log(
                Level::Warning,
                &format!(
                    "Error moving temp DB file {} on the final destination {} (in server root dir {}): {e}",
                    tmp.display(),
                    path.display(),
                    srv.config.dir.display()
                ),
            );
            Err(SaveFailed)
        }
    }
}

/// SAVE: write the snapshot now, blocking the server. Err when it failed (logged).
pub fn save(srv: &mut ServerState) -> Result<(), SaveFailed> {
    let logger = srv.log.clone();
    let r = write_file(srv, &|l, m| logger.log(l, m));
    if r.is_ok() {
        srv.persist.dirty_at_save = srv.dirty();
        srv.persist.lastsave = crate::server::unix_ms() / 1000;
        srv.persist.last_bgsave_ok = true;
    }
    r
}

/// Why BGSAVE could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BgsaveError {
    InProgress,
    /// An AOF rewrite child runs.
    OtherChild,
    Fork(String),
}

/// BGSAVE: fork a child that writes the snapshot.
pub fn bgsave(srv: &mut ServerState) -> Result<i32, BgsaveError> {
    if srv.persist.child.is_some() {
        return Err(BgsaveError::InProgress);
    }
    if srv.aof.child.is_some() {
        return Err(BgsaveError::OtherChild);
    }
    srv.persist.saves += 1;
    let dirty = srv.dirty();
    let now = crate::server::unix_ms() / 1000;
    srv.persist.lastbgsave_try = now;
    // SAFETY: fork has no preconditions. In the child only this thread exists; it runs
    // `child_main`, which uses no lock another thread could have held (see the module
    // comment), and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = child_main(srv);
        // SAFETY: _exit ends the child without running the parent's atexit handlers or
        // destructors of state it shares with the parent.
        unsafe { libc::_exit(code) };
    }
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        srv.persist.last_bgsave_ok = false;
        srv.log
            .warning(&format!("Can't save in background: fork: {e}"));
        return Err(BgsaveError::Fork(e.to_string()));
    }
    srv.log
        .notice(&format!("Background saving started by pid {pid}"));
    set_fork_mode(srv, true);
    srv.persist.child = Some(Child {
        pid,
        start: now,
        dirty_at_fork: dirty,
    });
    Ok(pid)
}

/// The BGSAVE child: write the file, report, return the exit status.
fn child_main(srv: &ServerState) -> i32 {
    let logger = srv.log.clone();
    let log = |l: Level, m: &str| logger.log_child(l, m);
    match write_file(srv, &log) {
        Ok(()) => {
            if let Some(dirty) = private_dirty_bytes() {
                let mb = dirty / (1024 * 1024);
                log(
                    Level::Notice,
                    &format!("Fork CoW for RDB: current {mb} MB, peak {mb} MB, average {mb} MB"),
                );
            }
            0
        }
        Err(SaveFailed) => 1,
    }
}

/// Pages this process wrote since the fork (copy-on-write cost), from smaps_rollup.
fn private_dirty_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let line = s.lines().find(|l| l.starts_with("Private_Dirty:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// While a child shares our pages copy-on-write, avoid writes that are not needed: reads
/// do not update the LRU clock, and the cron does not rehash (see [`fork_active`]).
fn set_fork_mode(srv: &mut ServerState, on: bool) {
    for db in srv.dbs.iter_mut() {
        db.lru_frozen = on;
    }
}

/// Whether a snapshot child is running (the cron skips incremental rehashing then, as
/// Redis does, since moving entries copies their pages).
pub fn fork_active(srv: &ServerState) -> bool {
    srv.persist.child.is_some() || srv.aof.child.is_some()
}

/// Reap a finished BGSAVE child (backgroundSaveDoneHandler).
fn check_child(srv: &mut ServerState) {
    let Some(pid) = srv.persist.child.as_ref().map(|c| c.pid) else {
        return;
    };
    let Some(exit) = child::try_reap(pid) else {
        return;
    };
    let Some(c) = srv.persist.child.take() else {
        return;
    };
    set_fork_mode(srv, false);
    let now = crate::server::unix_ms() / 1000;
    srv.persist.last_bgsave_time_sec = now - c.start;
    match exit {
        child::Exit::Success => {
            srv.log.notice("Background saving terminated with success");
            srv.persist.dirty_at_save = c.dirty_at_fork;
            srv.persist.lastsave = now;
            srv.persist.last_bgsave_ok = true;
        }
        child::Exit::Failed => {
            srv.log.warning("Background saving error");
            srv.persist.last_bgsave_ok = false;
        }
        child::Exit::Signaled(sig) => {
            srv.log
                .warning(&format!("Background saving terminated by signal {sig}"));
            let _ = std::fs::remove_file(temp_path(srv, pid as u32));
            // SIGUSR1 is how the server itself cancels a child: not an error.
            if sig != libc::SIGUSR1 {
                srv.persist.last_bgsave_ok = false;
            }
        }
        child::Exit::WaitError(e) => {
            srv.log.warning(&format!(
                "waitpid() returned an error: {e}. child_type: RDB, child_pid = {pid}"
            ));
            srv.persist.last_bgsave_ok = false;
        }
    }
}

/// Stop a running BGSAVE child and remove its temporary file.
pub fn kill_child(srv: &mut ServerState) {
    if let Some(c) = srv.persist.child.take() {
        set_fork_mode(srv, false);
        child::kill_and_reap(c.pid);
        let _ = std::fs::remove_file(temp_path(srv, c.pid as u32));
    }
}

/// Periodic work from the server cron: reap the child, finish a load, save points.
pub fn cron(srv: &mut ServerState) {
    if srv.persist.loading.is_some() {
        finish_loading(srv, false);
        return;
    }
    check_child(srv);
    aof::cron(srv);
    if srv.persist.child.is_some() || srv.aof.child.is_some() {
        return;
    }
    let now = srv.now_ms / 1000;
    let retry_ok =
        now - srv.persist.lastbgsave_try > BGSAVE_RETRY_DELAY || srv.persist.last_bgsave_ok;
    if srv.persist.bgsave_scheduled && retry_ok {
        if bgsave(srv).is_ok() {
            srv.persist.bgsave_scheduled = false;
        }
        return;
    }
    let changes = srv.dirty() - srv.persist.dirty_at_save;
    let due = srv
        .config
        .save
        .iter()
        .find(|&&(secs, n)| changes >= n && now - srv.persist.lastsave > secs as i64)
        .copied();
    if let Some((secs, n)) = due
        && retry_ok
    {
        srv.log
            .notice(&format!("{n} changes in {secs} seconds. Saving..."));
        let _ = bgsave(srv);
    }
}

/// FLUSHALL's persistence side (flushAllDataAndResetRDB): the removed keys count as
/// changes, a running BGSAVE is killed (its snapshot is obsolete), and with save points the
/// empty dataset is saved at once (Redis 7.0.15 then reports 0 changes since the save).
pub fn after_flushall(srv: &mut ServerState, removed_keys: u64) {
    srv.dirty_base += removed_keys;
    if srv.persist.child.is_some() {
        kill_child(srv);
    }
    if !srv.config.save.is_empty() {
        let _ = save(srv);
    }
}

/// `rdb_changes_since_last_save`.
pub fn changes_since_save(srv: &ServerState) -> u64 {
    srv.dirty().saturating_sub(srv.persist.dirty_at_save)
}

/// Whether writes are refused with MISCONF (`stop-writes-on-bgsave-error`, or the AOF
/// cannot be written): the error to answer.
pub fn writes_denied(srv: &ServerState) -> Option<std::borrow::Cow<'static, str>> {
    if srv.config.stop_writes_on_bgsave_error
        && !srv.config.save.is_empty()
        && !srv.persist.last_bgsave_ok
    {
        return Some(MISCONF_ERROR.into());
    }
    aof::write_error(srv).map(Into::into)
}

pub const MISCONF_ERROR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

pub const LOADING_ERROR: &str = "LOADING Redis is loading the dataset in memory";

pub fn is_loading(srv: &ServerState) -> bool {
    srv.persist.loading.is_some()
}

/// Save before exiting when asked to (SHUTDOWN SAVE) or by default with save points
/// (prepareForShutdown). `save`: `Some(true)` SAVE, `Some(false)` NOSAVE, `None` default.
/// Err means "do not exit" (logged).
pub fn prepare_shutdown(
    srv: &mut ServerState,
    save: Option<bool>,
    force: bool,
) -> Result<(), SaveFailed> {
    srv.log.warning("User requested shutdown...");
    if srv.persist.child.is_some() {
        srv.log
            .warning("There is a child saving an .rdb. Killing it!");
        kill_child(srv);
    }
    aof::shutdown(srv, force)?;
    // Never overwrite the file being loaded with a partial dataset.
    let save = if is_loading(srv) {
        false
    } else {
        save.unwrap_or(!srv.config.save.is_empty())
    };
    if save {
        srv.log
            .notice("Saving the final RDB snapshot before exiting.");
        if self::save(srv).is_err() {
            if force {
                srv.log.warning("Error trying to save the DB. Exit anyway.");
            } else {
                srv.log.warning("Error trying to save the DB, can't exit.");
                return Err(SaveFailed);
            }
        }
    }
    Ok(())
}

/// Options derived from the configuration for loading the configured file.
fn load_options<'a>(
    srv: &ServerState,
    log: Option<&'a Logger>,
    progress: Option<&'a AtomicU64>,
) -> LoadOptions<'a> {
    LoadOptions {
        limits: Limits::from_config(&srv.config),
        now_ms: crate::server::unix_ms(),
        skip_expired: true,
        verify_checksum: srv.config.rdbchecksum,
        allow_dup: false,
        log,
        progress,
        size_hint: std::fs::metadata(rdb_path(srv)).ok().map(|m| m.len()),
        key_load_delay_us: srv.config.key_load_delay,
    }
}

/// Start loading `dir/dbfilename` on a thread, if it exists. Returns Err (logged) when it
/// exists but cannot be opened.
pub fn start_loading(srv: &mut ServerState) -> Result<(), String> {
    let path = rdb_path(srv);
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            let msg = format!("Fatal error loading the DB: {e}. Exiting.");
            srv.log.warning(&msg);
            return Err(msg);
        }
    };
    let size = meta.len();
    let loaded = Arc::new(AtomicU64::new(0));
    let logger = srv.log.clone();
    let dbs_n = srv.dbs.len();
    let progress = loaded.clone();
    let thread_path = path.clone();
    // The thread owns copies of what it needs; the options borrow its own logger.
    let base = load_options(srv, None, None);
    // Keys are created with the live policy's LRU/LFU field.
    let access = crate::server::maxmemory::access_policy(srv);
    let (limits, now_ms, verify, delay) = (
        base.limits,
        base.now_ms,
        base.verify_checksum,
        base.key_load_delay_us,
    );
    let handle = std::thread::Builder::new()
        .name("rdb-load".into())
        .spawn(move || {
            let mut dbs: Vec<Db> = (0..dbs_n)
                .map(|_| {
                    let mut db = Db::new();
                    db.set_access_policy(access);
                    db
                })
                .collect();
            let opts = LoadOptions {
                limits,
                now_ms,
                skip_expired: true,
                verify_checksum: verify,
                allow_dup: false,
                log: Some(&logger),
                progress: Some(&progress),
                size_hint: Some(size),
                key_load_delay_us: delay,
            };
            let r = rdb::load_file(&thread_path, &mut dbs, &opts);
            (dbs, r)
        })
        .map_err(|e| e.to_string())?;
    srv.persist.loading = Some(Loading {
        path,
        start: crate::server::unix_ms() / 1000,
        started: Instant::now(),
        total_bytes: meta.len(),
        loaded_bytes: loaded,
        handle,
    });
    Ok(())
}

/// If the loading thread is done (or `wait`), install its result. A failed load ends the
/// process with status 1, as Redis does; the file is left as it was.
pub fn finish_loading(srv: &mut ServerState, wait: bool) -> bool {
    let done = srv
        .persist
        .loading
        .as_ref()
        .is_some_and(|l| wait || l.handle.is_finished());
    if !done {
        return false;
    }
    let Some(l) = srv.persist.loading.take() else {
        return false;
    };
    let (dbs, result) = match l.handle.join() {
        Ok(r) => r,
        Err(_) => {
            srv.log.warning("The RDB loading thread panicked. Exiting.");
            std::process::exit(1);
        }
    };
    match result {
        Ok(outcome) => {
            // Libraries run Lua, which lives on this thread: they are created here.
            if let Err(e) = load_functions(srv, &outcome.functions, false) {
                srv.log.warning(&format!(
                    "{e} Terminating server after rdb file reading failure."
                ));
                std::process::exit(1);
            }
            for (live, loaded) in srv.dbs.iter_mut().zip(dbs) {
                live.adopt_keyspace(loaded);
            }
            finish_load_stats(srv, &outcome, l.started.elapsed().as_secs_f64());
            true
        }
        Err(e) => {
            srv.log.warning(&format!(
                "{e}. Terminating server after rdb file reading failure."
            ));
            std::process::exit(1);
        }
    }
}

/// Create the function libraries a file held (rdbFunctionLoad); a library that fails to
/// load fails the whole load, as in Redis.
fn load_functions(srv: &mut ServerState, codes: &[Vec<u8>], replace: bool) -> Result<(), String> {
    if codes.is_empty() {
        return Ok(());
    }
    crate::scripting::functions::Functions::load_from_rdb(srv, codes, replace)
        .map_err(|e| format!("Failed loading library, {e}."))
}

/// After any successful load: INFO figures, log lines, the change counter baseline.
fn finish_load_stats(srv: &mut ServerState, outcome: &LoadOutcome, secs: f64) {
    srv.persist.last_load_keys_loaded = outcome.keys_loaded;
    srv.persist.last_load_keys_expired = outcome.keys_expired;
    if outcome.empty_keys_skipped > 0 {
        srv.log.warning(&format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            outcome.keys_loaded, outcome.keys_expired, outcome.empty_keys_skipped
        ));
    } else {
        srv.log.notice(&format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            outcome.keys_loaded, outcome.keys_expired
        ));
    }
    srv.log
        .notice(&format!("DB loaded from disk: {secs:.3} seconds"));
    srv.persist.dirty_at_save = srv.dirty();
}

/// Load the configured file now, into the live databases (DEBUG RELOAD). With `flush`
/// the databases are emptied first; `merge` lets loaded keys replace existing ones.
pub fn load_now(srv: &mut ServerState, flush: bool, merge: bool) -> Result<(), LoadError> {
    if flush {
        for db in srv.dbs.iter_mut() {
            db.clear();
        }
        // DEBUG RELOAD empties the functions too (emptyData without NOFUNCTIONS).
        srv.scripting.functions.flush();
    }
    let path = rdb_path(srv);
    let logger = srv.log.clone();
    let mut opts = load_options(srv, Some(&logger), None);
    opts.allow_dup = merge;
    let started = Instant::now();
    let r = rdb::load_file(&path, &mut srv.dbs, &opts);
    match r {
        Ok(outcome) => {
            if let Err(msg) = load_functions(srv, &outcome.functions, merge) {
                srv.log.warning(&msg);
                return Err(LoadError {
                    path: path.display().to_string(),
                    offset: 0,
                    msg,
                });
            }
            finish_load_stats(srv, &outcome, started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(e) => {
            srv.log.warning(&e.to_string());
            srv.persist.dirty_at_save = srv.dirty();
            Err(e)
        }
    }
}

/// Load `path` at start-up, waiting at most `wait_ms` for it before the event loop starts:
/// a small file is loaded before the first client is served; a large one continues on its
/// thread while clients get `-LOADING`.
pub fn load_at_startup(srv: &mut ServerState, wait_ms: u64) -> Result<(), String> {
    start_loading(srv)?;
    let deadline = Instant::now() + std::time::Duration::from_millis(wait_ms);
    while srv
        .persist
        .loading
        .as_ref()
        .is_some_and(|l| !l.handle.is_finished())
        && Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    finish_loading(srv, false);
    Ok(())
}

/// The body of INFO's `# Persistence` section.
pub fn info(srv: &ServerState) -> String {
    let p = &srv.persist;
    let now = crate::server::unix_ms() / 1000;
    let current_bgsave = p.child.as_ref().map_or(-1, |c| now - c.start);
    let loading = p.loading.is_some() || srv.aof.loading;
    let mut s = format!(
        "loading:{}\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n{}module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n{}",
        loading as u8,
        changes_since_save(srv),
        p.child.is_some() as u8,
        p.lastsave,
        if p.last_bgsave_ok { "ok" } else { "err" },
        p.last_bgsave_time_sec,
        current_bgsave,
        p.saves,
        p.last_load_keys_expired,
        p.last_load_keys_loaded,
        aof::info_fields(srv),
        aof::info_on_fields(srv),
    );
    if let Some(l) = &p.loading {
        let loaded = l.loaded_bytes.load(Ordering::Relaxed);
        let perc = if l.total_bytes > 0 {
            loaded as f64 * 100.0 / l.total_bytes as f64
        } else {
            0.0
        };
        let elapsed = now - l.start;
        let remaining = l.total_bytes.saturating_sub(loaded) as i64;
        let eta = if elapsed == 0 {
            1
        } else {
            elapsed * remaining / (loaded as i64 + 1)
        };
        s.push_str(&format!(
            "loading_start_time:{}\r\nloading_total_bytes:{}\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:{}\r\nloading_loaded_perc:{:.2}\r\nloading_eta_seconds:{}\r\n",
            l.start, l.total_bytes, loaded, perc, eta
        ));
    }
    s
}
