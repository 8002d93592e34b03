//! RDB persistence over real processes: the ferrokv binary and, when installed, Debian's
//! redis-server 7.0 and redis-check-rdb.
//!
//! - Round trips: data written, saved (SAVE, BGSAVE, SHUTDOWN, SIGTERM, save points),
//!   the server restarted on the same directory, every key compared (type, encoding,
//!   absolute expiry, contents).
//! - Interop both ways: a file ferrokv writes passes redis-check-rdb and loads into
//!   redis-server with identical data; a file redis-server writes loads into ferrokv with
//!   identical data. DUMP payloads cross between the two as well.
//! - Files from Redis's own test suite (tests/fixtures/rdb), including the corrupt ones,
//!   and truncated and bit-flipped files: a clean error naming file and offset, exit
//!   status 1, the file untouched; in process, every truncation and every bit flip of a
//!   small file is refused without a panic.
//!
//! Every wait has a generous deadline; nothing asserts how fast anything is.

mod common;
mod rdb_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{Resp, RespClient, parse};
use rdb_support::*;

// ---------------------------------------------------------------------------------------
// Round trips through ferrokv alone
// ---------------------------------------------------------------------------------------

fn restart_and_compare(dir: &TempDir, before: &BTreeMap<String, String>, what: &str) {
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let after = describe(&mut p.client(), ALL_DBS);
    diff(&loose(before), &loose(&after), what);
    let log = p.log_text();
    assert!(
        log.contains("Loading RDB produced by version 7.0.15")
            && log.contains("Done loading RDB, keys loaded:"),
        "{log}"
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn save_and_restart_keeps_every_key() {
    let dir = TempDir::new("save");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    run(&mut c, &random_workload(7, 1500));
    let before = describe(&mut c, ALL_DBS);
    assert!(before.len() > 30);
    let t0 = c.val(&["LASTSAVE"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    assert!(matches!((t0, c.val(&["LASTSAVE"])), (Resp::Int(a), Resp::Int(b)) if b >= a));
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    assert_eq!(info_field(&mut c, "persistence", "rdb_saves"), "1");
    assert!(p.log_text().contains("DB saved on disk"));
    p.shutdown(&["NOSAVE"]);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("temp-")), "{names:?}");
    restart_and_compare(&dir, &before, "SAVE then restart");
}

#[test]
fn bgsave_and_restart_keeps_every_key() {
    let dir = TempDir::new("bgsave");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    run(&mut c, &random_workload(11, 1000));
    let before = describe(&mut c, ALL_DBS);
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    let log = p.log_text();
    assert!(log.contains("Background saving started by pid"), "{log}");
    assert!(
        log.contains("Background saving terminated with success"),
        "{log}"
    );
    assert!(
        log.contains(":C ") && log.contains("DB saved on disk"),
        "{log}"
    );
    // Writes after the fork are counted as changes since the save.
    c.cmd(&["SET", "after", "fork"]);
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    c.cmd(&["DEL", "after"]);
    p.shutdown(&["NOSAVE"]);
    restart_and_compare(&dir, &before, "BGSAVE then restart");
}

#[test]
fn bgsave_errors_and_schedule() {
    let dir = TempDir::new("bgsave-errors");
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("rdb-key-save-delay", "200000")],
    );
    p.ready();
    let mut c = p.client();
    c.expect_err(&["BGSAVE", "foo"], "ERR syntax error");
    c.expect_err(&["BGSAVE", "SCHEDULE", "x"], "ERR syntax error");
    for i in 0..10 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_bgsave_in_progress"),
        "1"
    );
    c.expect_err(&["BGSAVE"], "ERR Background save already in progress");
    c.expect_err(
        &["BGSAVE", "SCHEDULE"],
        "ERR Background save already in progress",
    );
    c.expect_err(&["SAVE"], "ERR Background save already in progress");
    // SHUTDOWN kills the child and removes its temporary file.
    p.shutdown(&["NOSAVE"]);
    let log = p.log_text();
    assert!(
        log.contains("There is a child saving an .rdb. Killing it!"),
        "{log}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!dir.file("dump.rdb").exists());

    // Inside MULTI, BGSAVE is scheduled for the cron.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["BGSAVE"]);
    let r = c.val(&["EXEC"]);
    assert_eq!(
        r.array()[0],
        Resp::Simple("Background saving scheduled".into())
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.file("dump.rdb").exists() {
        assert!(Instant::now() < deadline, "scheduled BGSAVE never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(wait_bgsave(&mut c), "ok");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn shutdown_and_sigterm_save_when_save_points_are_set() {
    let dir = TempDir::new("shutdown");
    // SHUTDOWN with save points: saves.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    let before = describe(&mut c, ALL_DBS);
    p.shutdown(&[]);
    assert!(
        p.log_text()
            .contains("Saving the final RDB snapshot before exiting.")
    );
    restart_and_compare(&dir, &before, "SHUTDOWN then restart");

    // SIGTERM with save points: saves.
    std::fs::remove_file(dir.file("dump.rdb")).unwrap();
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "by", "sigterm"]);
    p.signal(libc::SIGTERM);
    let st = p.wait_exit(Duration::from_secs(30));
    assert!(st.success(), "{st}");
    assert!(
        p.log_text()
            .contains("Received SIGTERM scheduling shutdown...")
    );
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(p.client().cmd(&["GET", "by"]), b"$7\r\nsigterm\r\n");
    // SHUTDOWN NOSAVE: the file stays as it was.
    let old = file_bytes(&dir.file("dump.rdb"));
    p.client().cmd(&["SET", "by", "changed"]);
    p.shutdown(&["NOSAVE"]);
    assert_eq!(file_bytes(&dir.file("dump.rdb")), old);
    // Without save points nothing is saved; SHUTDOWN SAVE forces it.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    p.client().cmd(&["SET", "by", "changed"]);
    p.shutdown(&[]);
    assert_eq!(file_bytes(&dir.file("dump.rdb")), old);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    p.client().cmd(&["SET", "by", "forced"]);
    p.shutdown(&["SAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(p.client().cmd(&["GET", "by"]), b"$6\r\nforced\r\n");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn save_points_trigger_a_background_save() {
    let dir = TempDir::new("savepoints");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "1 2")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "a", "1"]);
    // One change is below the threshold of two.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!dir.file("dump.rdb").exists());
    c.cmd(&["SET", "b", "2"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p
        .log_text()
        .contains("Background saving terminated with success")
    {
        assert!(
            Instant::now() < deadline,
            "no automatic save: {}",
            p.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(p.log_text().contains("2 changes in 1 seconds. Saving..."));
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    p.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(
        p.client().cmd(&["MGET", "a", "b"]),
        b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn failed_bgsave_stops_writes_with_misconf() {
    let dir = TempDir::new("misconf");
    let gone = dir.file("gone");
    std::fs::create_dir(&gone).unwrap();
    let mut p = spawn(
        Kind::Ferrokv,
        &gone,
        &[
            ("save", "3600 1"),
            ("logfile", &dir.file("ferrokv.log").display().to_string()),
        ],
    );
    p.log = dir.file("ferrokv.log");
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "k", "v"]);
    std::fs::remove_dir(&gone).unwrap();
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(wait_bgsave(&mut c), "err");
    let misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
    c.expect_err(&["SET", "k", "w"], misconf);
    c.expect_err(&["PING"], misconf);
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    assert!(p.log_text().contains("Background saving error"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["SET", "k", "w"]), b"+OK\r\n");
    // A successful save clears the error.
    std::fs::create_dir(&gone).unwrap();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert_eq!(c.cmd(&["SET", "k", "x"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn flushall_saves_the_empty_dataset_with_save_points() {
    let dir = TempDir::new("flushall");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    c.cmd(&["SET", "c", "3"]);
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "0"
    );
    p.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    assert_eq!(c.cmd(&["DBSIZE"]), b":0\r\n");
    // Without save points the removed keys count as changes.
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "4"
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn debug_reload_keeps_data() {
    let dir = TempDir::new("reload");
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("enable-debug-command", "yes")],
    );
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    let before = describe(&mut c, ALL_DBS);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    let before = loose(&before);
    diff(&before, &loose(&describe(&mut c, ALL_DBS)), "DEBUG RELOAD");
    c.cmd(&["SET", "extra", "1"]);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "extra"]), b":0\r\n");
    c.expect_err(
        &["DEBUG", "RELOAD", "BOGUS"],
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
    );
    // NOFLUSH without MERGE fails on the duplicate keys.
    c.expect_err(
        &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH"],
        "ERR Error trying to load the RDB dump, check server logs.",
    );
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]),
        b"+OK\r\n"
    );
    diff(
        &before,
        &loose(&describe(&mut c, ALL_DBS)),
        "DEBUG RELOAD MERGE",
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn expired_keys_are_not_loaded() {
    let dir = TempDir::new("expired");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("hz", "1")]);
    p.ready();
    let mut c = p.client();
    c.cmd(&["SET", "short", "x", "PX", "300"]);
    c.cmd(&["SET", "long", "y", "EX", "1000"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
    std::thread::sleep(Duration::from_millis(400));
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    assert_eq!(c.cmd(&["KEYS", "*"]), b"*1\r\n$4\r\nlong\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_load_keys_loaded"),
        "1"
    );
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_load_keys_expired"),
        "1"
    );
    assert!(
        p.log_text()
            .contains("Done loading RDB, keys loaded: 1, keys expired: 1.")
    );
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn loading_is_visible_and_refuses_commands() {
    let dir = TempDir::new("loading");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    for i in 0..200 {
        c.cmd(&["SET", &format!("key:{i}"), "value"]);
    }
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
    // 200 keys × 10 ms: about two seconds of loading.
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("key-load-delay", "10000")]);
    let mut c = p.client();
    assert_eq!(info_field(&mut c, "persistence", "loading"), "1");
    assert!(
        info_field(&mut c, "persistence", "loading_total_bytes")
            .parse::<u64>()
            .unwrap()
            > 0
    );
    c.expect_err(
        &["GET", "key:1"],
        "LOADING Redis is loading the dataset in memory",
    );
    c.expect_err(&["PING"], "LOADING Redis is loading the dataset in memory");
    p.ready();
    assert_eq!(info_field(&mut c, "persistence", "loading"), "0");
    assert_eq!(c.cmd(&["DBSIZE"]), b":200\r\n");
    p.shutdown(&["NOSAVE"]);
}

#[test]
fn dump_and_restore() {
    let dir = TempDir::new("dump");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated());
    // DUMP then RESTORE under another name gives the same value.
    let keys = c.val(&["KEYS", "*"]);
    for k in keys.array() {
        let k = k.bytes().to_vec();
        let payload = c.val_b(&[b"DUMP", &k]);
        let payload = payload.bytes().to_vec();
        let mut copy = b"copy:".to_vec();
        copy.extend_from_slice(&k);
        assert_eq!(c.cmd_b(&[b"RESTORE", &copy, b"0", &payload]), b"+OK\r\n");
        // A restored key has no TTL here, and a string's encoding may change (as in Redis).
        let a = without_ttl(&loose_one(&describe_key(&mut c, &k)));
        let b = without_ttl(&loose_one(&describe_key(&mut c, &copy)));
        assert_eq!(a, b, "{}", esc(&k));
        c.cmd_b(&[b"DEL", &copy]);
    }
    assert_eq!(c.cmd(&["DUMP", "nosuchkey"]), b"$-1\r\n");
    let payload = c.val(&["DUMP", "str:emb"]).bytes().to_vec();
    let pl = |c: &mut RespClient, args: &[&str]| {
        let mut a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        a.insert(3, &payload);
        parse(&c.cmd_b(&a))
    };
    assert_eq!(
        pl(&mut c, &["RESTORE", "str:emb", "0"]),
        Resp::Error("BUSYKEY Target key name already exists.".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "str:emb", "0", "REPLACE"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "-1"]),
        Resp::Error("ERR Invalid TTL value, must be >= 0".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "x"]),
        Resp::Error("ERR value is not an integer or out of range".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "IDLETIME", "-1"]),
        Resp::Error("ERR Invalid IDLETIME value, must be >= 0".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "FREQ", "256"]),
        Resp::Error("ERR Invalid FREQ value, must be >= 0 and <= 255".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "IDLETIME", "1", "FREQ", "1"]),
        Resp::Error("ERR syntax error".into())
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "n", "0", "BOGUS"]),
        Resp::Error("ERR syntax error".into())
    );
    // IDLETIME sets the idle time.
    assert_eq!(
        pl(&mut c, &["RESTORE", "idle", "0", "IDLETIME", "1000"]),
        Resp::Simple("OK".into())
    );
    let idle = c.val(&["OBJECT", "IDLETIME", "idle"]);
    assert!(
        matches!(idle, Resp::Int(n) if (1000..1100).contains(&n)),
        "{idle:?}"
    );
    // TTL relative and ABSTTL.
    assert_eq!(
        pl(&mut c, &["RESTORE", "ttl", "100000"]),
        Resp::Simple("OK".into())
    );
    let pttl = c.val(&["PTTL", "ttl"]);
    assert!(
        matches!(pttl, Resp::Int(n) if n > 90000 && n <= 100000),
        "{pttl:?}"
    );
    assert_eq!(
        pl(&mut c, &["RESTORE", "abs", "4102444800000", "ABSTTL"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["PEXPIRETIME", "abs"]), b":4102444800000\r\n");
    // An absolute TTL in the past: OK, and the key is not created (or is removed).
    assert_eq!(
        pl(&mut c, &["RESTORE", "past", "1", "ABSTTL"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["EXISTS", "past"]), b":0\r\n");
    assert_eq!(
        pl(&mut c, &["RESTORE", "abs", "1", "ABSTTL", "REPLACE"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(c.cmd(&["EXISTS", "abs"]), b":0\r\n");
    // Corrupt payloads.
    let mut bad = payload.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    c.expect_err_b(
        &[b"RESTORE", b"n", b"0", &bad],
        "ERR DUMP payload version or checksum are wrong",
    );
    let mut newer = payload.clone();
    newer[n - 10] = 11;
    c.expect_err_b(
        &[b"RESTORE", b"n", b"0", &newer],
        "ERR DUMP payload version or checksum are wrong",
    );
    c.expect_err_b(
        &[b"RESTORE", b"n", b"0", b"short"],
        "ERR DUMP payload version or checksum are wrong",
    );
    // A valid footer around a bad body.
    let body = [200u8, 1, 2];
    let forged = forge_payload(&body);
    c.expect_err_b(&[b"RESTORE", b"n", b"0", &forged], "ERR Bad data format");
    c.expect_err(
        &["RESTORE", "n", "0"],
        "ERR wrong number of arguments for 'restore' command",
    );
    p.shutdown(&["NOSAVE"]);
}

// ---------------------------------------------------------------------------------------
// Interop with redis-server
// ---------------------------------------------------------------------------------------

#[test]
fn ferrokv_file_loads_into_redis() {
    if !redis_available() {
        return;
    }
    for &opts in CONFIGS {
        let dir = TempDir::new("to-redis");
        let mut p = spawn(Kind::Ferrokv, dir.path(), opts);
        p.ready();
        let mut c = p.client();
        run(&mut c, &curated());
        run(&mut c, &random_workload(23, 2000));
        let ours = describe(&mut c, ALL_DBS);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        p.shutdown(&["NOSAVE"]);
        check_rdb(&dir.file("dump.rdb"));
        let mut r = spawn(Kind::Redis, dir.path(), opts);
        r.ready();
        let theirs = describe(&mut r.client(), ALL_DBS);
        r.shutdown(&["NOSAVE"]);
        let what = format!("ferrokv → redis ({opts:?})");
        diff(&loose(&ours), &loose(&theirs), &what);
        // Both servers loading the same file agree on every encoding too.
        let mut p = spawn(Kind::Ferrokv, dir.path(), opts);
        p.ready();
        let reloaded = describe(&mut p.client(), ALL_DBS);
        p.shutdown(&["NOSAVE"]);
        diff(&reloaded, &theirs, &format!("{what}, both loaded"));
    }
}

#[test]
fn redis_file_loads_into_ferrokv() {
    if !redis_available() {
        return;
    }
    for &opts in CONFIGS {
        let dir = TempDir::new("from-redis");
        let mut r = spawn(Kind::Redis, dir.path(), opts);
        r.ready();
        let mut c = r.client();
        run(&mut c, &curated());
        run(&mut c, &random_workload(29, 2000));
        let theirs = describe(&mut c, ALL_DBS);
        assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
        r.shutdown(&["NOSAVE"]);
        let mut p = spawn(Kind::Ferrokv, dir.path(), opts);
        p.ready();
        let ours = describe(&mut p.client(), ALL_DBS);
        let what = format!("redis → ferrokv ({opts:?})");
        diff(&loose(&theirs), &loose(&ours), &what);
        let mut r = spawn(Kind::Redis, dir.path(), opts);
        r.ready();
        let reloaded = describe(&mut r.client(), ALL_DBS);
        r.shutdown(&["NOSAVE"]);
        diff(&reloaded, &ours, &format!("{what}, both loaded"));
        // And back: what ferrokv saves from it, Redis reads the same.
        assert_eq!(p.client().cmd(&["SAVE"]), b"+OK\r\n");
        p.shutdown(&["NOSAVE"]);
        check_rdb(&dir.file("dump.rdb"));
    }
}

#[test]
fn dump_payloads_cross_between_servers() {
    if !redis_available() {
        return;
    }
    let dir = TempDir::new("dump-x");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut r = spawn(Kind::Redis, dir.path(), &[]);
    r.ready();
    let (mut fc, mut rc) = (p.client(), r.client());
    run(&mut fc, &curated());
    run(&mut rc, &curated());
    let keys = fc.val(&["KEYS", "*"]);
    for k in keys.array() {
        let k = k.bytes().to_vec();
        cross(&mut fc, &mut rc, &k);
        cross(&mut rc, &mut fc, &k);
        // Compact encodings are Redis's bytes: the payloads are identical. (Hashtable
        // encodings list their members in each server's table order; streams hold the
        // delivery and seen times of each server's own reads.)
        let enc = render(&fc.val_b(&[b"OBJECT", b"ENCODING", &k]));
        if !enc.contains("hashtable") && !enc.contains("skiplist") && !enc.contains("stream") {
            let a = fc.val_b(&[b"DUMP", &k]);
            let b = rc.val_b(&[b"DUMP", &k]);
            assert_eq!(render(&a), render(&b), "DUMP {} ({enc})", esc(&k));
        }
    }
    // Each server's `x:k` came from the other's `k`.
    for k in keys.array() {
        let k = k.bytes().to_vec();
        let mut xk = b"x:".to_vec();
        xk.extend_from_slice(&k);
        let same = |a: &mut RespClient, b: &mut RespClient| {
            let orig = without_ttl(&loose_one(&describe_key(a, &k)));
            let copy = without_ttl(&loose_one(&describe_key(b, &xk)));
            assert_eq!(orig, copy, "{} from {} to {}", esc(&k), a.name, b.name);
        };
        same(&mut fc, &mut rc);
        same(&mut rc, &mut fc);
    }
    p.shutdown(&["NOSAVE"]);
    r.shutdown(&["NOSAVE"]);
}

// ---------------------------------------------------------------------------------------
// Fixture files from Redis's test suite
// ---------------------------------------------------------------------------------------

/// Load `fixture` into ferrokv and, when available, redis-server: same keyspace.
fn fixture_matches_redis(fixture: &str, dbs: &[usize]) -> BTreeMap<String, String> {
    let dir = TempDir::new("fixture");
    copy_fixture(fixture, &dir, "dump.rdb");
    let original = file_bytes(&dir.file("dump.rdb"));
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let ours = describe(&mut p.client(), dbs);
    p.shutdown(&["NOSAVE"]);
    assert_eq!(
        file_bytes(&dir.file("dump.rdb")),
        original,
        "loading changed the file"
    );
    if redis_available() {
        let mut r = spawn(Kind::Redis, dir.path(), &[]);
        r.ready();
        let theirs = describe(&mut r.client(), dbs);
        r.shutdown(&["NOSAVE"]);
        diff(&theirs, &ours, fixture);
    }
    ours
}

#[test]
fn fixture_encodings() {
    let ks = fixture_matches_redis("encodings.rdb", &[0]);
    assert_eq!(ks.len(), 13, "{ks:#?}");
}

#[test]
fn fixture_hash_zipmap() {
    let ks = fixture_matches_redis("hash-zipmap.rdb", &[0]);
    assert_eq!(ks.len(), 1);
}

#[test]
fn fixture_hash_ziplist() {
    fixture_matches_redis("hash-ziplist.rdb", &[0]);
}

#[test]
fn fixture_zset_ziplist() {
    fixture_matches_redis("zset-ziplist.rdb", &[0]);
}

#[test]
fn fixture_list_quicklist() {
    fixture_matches_redis("list-quicklist.rdb", &[0]);
}

#[test]
fn fixture_script_aux_field() {
    let ks = fixture_matches_redis("scriptbackup.rdb", &[0]);
    assert!(ks.is_empty());
}

#[test]
fn fixture_all_types_written_by_redis_7() {
    let ks = fixture_matches_redis("all-types-7.0.rdb", &[0, 2, 15]);
    assert_eq!(ks.len(), 26);
}

#[test]
fn fixture_empty_keys_are_skipped() {
    let dir = TempDir::new("empty-keys");
    copy_fixture("corrupt_empty_keys.rdb", &dir, "dump.rdb");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    assert_eq!(p.client().cmd(&["DBSIZE"]), b":0\r\n");
    p.shutdown(&["NOSAVE"]);
    let log = p.log_text();
    for key in [
        "set",
        "hash",
        "list_ziplist",
        "zset",
        "zset_listpack",
        "hash_ziplist",
        "list_quicklist",
        "zset_ziplist",
        "list_quicklist_empty_ziplist",
    ] {
        assert!(
            log.contains(&format!("rdbLoadObject skipping empty key: {key}\n")),
            "{key} not skipped:\n{log}"
        );
    }
    assert!(
        log.contains("Done loading RDB, keys loaded: 0, keys expired: 0, empty keys skipped: 9.")
    );
}

/// Start ferrokv on a file that must not load: exit status 1, an error naming the file and
/// an offset, the file untouched.
fn refuses(bytes: &[u8], expect: &str) -> String {
    let dir = TempDir::new("refuse");
    std::fs::write(dir.file("dump.rdb"), bytes).unwrap();
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[("save", "3600 1")]);
    let st = p.wait_exit(Duration::from_secs(30));
    let log = p.log_text();
    assert_eq!(st.code(), Some(1), "{log}");
    assert!(
        log.contains("Error loading RDB file '") && log.contains("dump.rdb' at offset "),
        "{log}"
    );
    assert!(log.contains(expect), "expected {expect:?} in:\n{log}");
    assert_eq!(
        file_bytes(&dir.file("dump.rdb")),
        bytes,
        "the file was modified"
    );
    log
}

#[test]
fn fixture_corrupt_ziplist_is_refused() {
    let bytes = std::fs::read(Path::new(FIXTURES).join("corrupt_ziplist.rdb")).unwrap();
    refuses(&bytes, "Hash ziplist integrity check failed");
}

fn small_file() -> Vec<u8> {
    let dir = TempDir::new("small");
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    let mut c = p.client();
    run(&mut c, &curated()[..20]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    p.shutdown(&["NOSAVE"]);
    file_bytes(&dir.file("dump.rdb"))
}

#[test]
fn truncated_and_flipped_files_are_refused() {
    let good = small_file();
    refuses(&good[..good.len() / 2], "Unexpected EOF reading RDB file");
    refuses(&good[..good.len() - 3], "Unexpected EOF reading RDB file");
    refuses(&good[..5], "Wrong signature trying to load DB from file");
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x10;
    refuses(&flipped, "");
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let log = refuses(&bad_crc, "RDB CRC error");
    assert!(log.contains("Wrong RDB checksum expected: ("), "{log}");
}

/// In process: every truncation and every single-bit flip of a real file is refused, and
/// nothing panics.
#[test]
fn every_truncation_and_bit_flip_fails_cleanly() {
    use ferrokv::persistence::rdb::{self, Limits, LoadOptions};
    let good = small_file();
    let cfg = ferrokv::config::Config::from_args(&[]).unwrap();
    let opts = LoadOptions {
        limits: Limits::from_config(&cfg),
        now_ms: 0,
        skip_expired: false,
        verify_checksum: true,
        allow_dup: false,
        log: None,
        progress: None,
        size_hint: Some(good.len() as u64),
        key_load_delay_us: 0,
    };
    let load = |bytes: &[u8]| {
        let mut dbs: Vec<ferrokv::storage::Db> = (0..16).map(|_| Default::default()).collect();
        let mut r = rdb::format::Reader::new(bytes);
        rdb::load::load_snapshot(&mut r, &mut dbs, &opts).map(|o| o.keys_loaded)
    };
    assert!(load(&good).is_ok());
    for n in 0..good.len() {
        assert!(load(&good[..n]).is_err(), "truncated to {n} bytes loaded");
    }
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut b = good.clone();
            b[i] ^= 1 << bit;
            assert!(load(&b).is_err(), "flip of bit {bit} at {i} loaded");
        }
    }
    // Fixtures: random corruption of Redis's own files never panics either.
    for name in [
        "encodings.rdb",
        "hash-zipmap.rdb",
        "hash-ziplist.rdb",
        "zset-ziplist.rdb",
        "list-quicklist.rdb",
        "all-types-7.0.rdb",
    ] {
        let orig = std::fs::read(Path::new(FIXTURES).join(name)).unwrap();
        let mut s = 0x9e3779b97f4a7c15u64;
        for _ in 0..400 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let mut b = orig.clone();
            let i = (s % b.len() as u64) as usize;
            b[i] ^= (s >> 32) as u8 | 1;
            let _ = load(&b);
            let _ = load(&orig[..i]);
        }
    }
}

/// In process: DUMP payloads of every type and encoding (from Redis's all-types file),
/// mutated at random and given a correct footer again, are refused or restored, never a
/// panic; and every restored value can be dumped again.
#[test]
fn corrupt_restore_payloads_never_panic() {
    use ferrokv::persistence::rdb::{self, Limits, LoadOptions};
    let cfg = ferrokv::config::Config::from_args(&[]).unwrap();
    let limits = Limits::from_config(&cfg);
    let opts = LoadOptions {
        limits,
        now_ms: 0,
        skip_expired: false,
        verify_checksum: true,
        allow_dup: false,
        log: None,
        progress: None,
        size_hint: None,
        key_load_delay_us: 0,
    };
    let bytes = std::fs::read(Path::new(FIXTURES).join("all-types-7.0.rdb")).unwrap();
    let mut dbs: Vec<ferrokv::storage::Db> = (0..16).map(|_| Default::default()).collect();
    let mut r = rdb::format::Reader::new(&bytes[..]);
    rdb::load::load_snapshot(&mut r, &mut dbs, &opts).expect("fixture loads");
    let mut s = 0x2545f4914f6cdd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut restored = 0;
    for db in &dbs {
        for (_, e) in db.keys_iter() {
            for compress in [true, false] {
                let payload = rdb::dump(&e.value, compress).unwrap();
                assert!(rdb::verify_payload(&payload, false));
                let v = rdb::restore(&payload, &limits).unwrap().unwrap();
                assert_eq!(v.type_name(), e.value.type_name());
                for _ in 0..150 {
                    let mut body = payload[..payload.len() - 10].to_vec();
                    for _ in 0..1 + next() % 3 {
                        let i = (next() % body.len() as u64) as usize;
                        body[i] ^= (next() >> 8) as u8 | 1;
                    }
                    if next() % 4 == 0 {
                        body.truncate((next() % body.len() as u64) as usize);
                    }
                    let forged = forge_payload(&body);
                    if let Ok(Some(v)) = rdb::restore(&forged, &limits) {
                        restored += 1;
                        rdb::dump(&v, compress).unwrap();
                    }
                }
            }
        }
    }
    assert!(restored > 0);
}

/// Function libraries are saved by their code (FUNCTION2 records) and created again on
/// load, in both directions with redis-server.
#[test]
fn functions_survive_restart_and_cross_with_redis() {
    let lib = "#!lua name=mylib\nredis.register_function('twice', function(keys, args) return args[1] * 2 end)";
    let lib2 = "#!lua name=other\nredis.register_function{function_name='hello', callback=function() return 'hi' end, flags={'no-writes'}}";
    let dir = TempDir::new("functions");
    let mut p = spawn(
        Kind::Ferrokv,
        dir.path(),
        &[("enable-debug-command", "yes")],
    );
    p.ready();
    let mut c = p.client();
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib]), b"$5\r\nmylib\r\n");
    assert_eq!(c.cmd(&["FUNCTION", "LOAD", lib2]), b"$5\r\nother\r\n");
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["SAVE"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "twice", "0", "21"]), b":42\r\n");
    p.shutdown(&["NOSAVE"]);
    let check = |c: &mut RespClient| {
        assert_eq!(
            c.cmd(&["FCALL", "twice", "0", "21"]),
            b":42\r\n",
            "{}",
            c.name
        );
        assert_eq!(
            c.cmd(&["FCALL_RO", "hello", "0"]),
            b"$2\r\nhi\r\n",
            "{}",
            c.name
        );
        assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    };
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    check(&mut p.client());
    p.shutdown(&["NOSAVE"]);
    check_rdb(&dir.file("dump.rdb"));
    if !redis_available() {
        return;
    }
    // ferrokv's file into Redis, Redis's save back into ferrokv.
    let mut r = spawn(Kind::Redis, dir.path(), &[]);
    r.ready();
    check(&mut r.client());
    assert_eq!(r.client().cmd(&["SAVE"]), b"+OK\r\n");
    r.shutdown(&["NOSAVE"]);
    let mut p = spawn(Kind::Ferrokv, dir.path(), &[]);
    p.ready();
    check(&mut p.client());
    p.shutdown(&["NOSAVE"]);
}
