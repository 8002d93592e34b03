//! Memory accounting over TCP against the real binary (its allocator counts every byte):
//! INFO memory, MEMORY USAGE/STATS/DOCTOR/PURGE/MALLOC-STATS/HELP, OBJECT FREQ/IDLETIME
//! under the LRU and LFU policies, and the bytes a key costs. Field names, orders and reply
//! shapes are checked against a real redis-server when one is installed.

mod common;
mod support_mem;

use common::{Resp, RespClient, start_redis};
use support_mem::*;

fn field_names(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(':').next().map(str::to_string))
        .collect()
}

#[test]
fn info_memory_has_redis_fields_in_redis_order() {
    let s = start_ferrokv(&[]);
    let mut c = s.client();
    let ours = info_text(&mut c, "memory");
    let names = field_names(&ours);
    for f in [
        "used_memory",
        "used_memory_human",
        "used_memory_rss",
        "used_memory_peak",
        "used_memory_dataset",
        "mem_fragmentation_ratio",
        "maxmemory",
        "maxmemory_policy",
        "mem_allocator",
    ] {
        assert!(names.iter().any(|n| n == f), "INFO memory lacks {f}");
    }
    assert!(ours.contains("mem_allocator:jemalloc-5.3.0\r\n"), "{ours}");
    assert!(ours.contains("maxmemory_policy:noeviction\r\n"));
    if let Some(r) = start_redis() {
        let theirs = info_text(&mut r.client(), "memory");
        assert_eq!(
            names,
            field_names(&theirs),
            "INFO memory fields differ from Redis"
        );
        let stats = |t: &str| {
            field_names(t)
                .into_iter()
                .filter(|n| n.contains("evict"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            stats(&info_text(&mut c, "stats")),
            stats(&info_text(&mut r.client(), "stats"))
        );
    }
}

#[test]
fn used_memory_follows_the_data() {
    let s = start_ferrokv(&[]);
    let mut c = s.client();
    let before = used_memory(&mut c);
    let n = 50_000;
    assert_eq!(write_all(&mut c, &sets("key", 0..n, b"xyz", None), 1000), 0);
    let after = used_memory(&mut c);
    let per_key = (after - before) as f64 / n as f64;
    // A 48-byte node plus its share of the bucket array (1 to 2 slots of 8 bytes).
    assert!(
        (50.0..=80.0).contains(&per_key),
        "{per_key:.1} bytes per key with a 3-byte value"
    );
    let peak = info_field(&mut c, "memory", "used_memory_peak");
    assert!(peak >= after);
    c.expect(&["FLUSHALL"], "+OK\r\n");
    let flushed = used_memory(&mut c);
    assert!(
        flushed < before + 64 * 1024,
        "FLUSHALL left {flushed} bytes used (was {before} empty)"
    );
    assert!(info_field(&mut c, "memory", "used_memory_peak") >= peak);
    c.expect(&["MEMORY", "PURGE"], "+OK\r\n");
}

#[test]
fn memory_usage_counts_the_key_and_its_value() {
    let s = start_ferrokv(&[]);
    let mut c = s.client();
    c.expect(&["SET", "foo", "bar"], "+OK\r\n");
    c.expect(&["SET", "n", "12345"], "+OK\r\n");
    let big = vec![b'x'; 1000];
    c.expect_b(&[b"SET", b"big", &big], "+OK\r\n");
    // One 48-byte node holds the key and a small value.
    c.expect(&["MEMORY", "USAGE", "foo"], ":48\r\n");
    c.expect(&["MEMORY", "USAGE", "n"], ":48\r\n");
    let usage = c.int(&["MEMORY", "USAGE", "big"]);
    assert!((1048..=1100).contains(&usage), "1000-byte value: {usage}");
    c.expect(&["APPEND", "foo", "x"], ":4\r\n");
    let appended = c.int(&["MEMORY", "USAGE", "foo"]);
    assert!(appended > 48, "a raw string has its own buffer: {appended}");
    c.expect(
        &["MEMORY", "USAGE", "foo", "SAMPLES", "0"],
        format!(":{appended}\r\n"),
    );
    c.expect(&["MEMORY", "USAGE", "missing"], "$-1\r\n");
    c.expect(&["SADD", "s", "a", "b", "c"], ":3\r\n");
    assert!(c.int(&["MEMORY", "USAGE", "s"]) > 48);
}

fn usage_errors(c: &mut RespClient) {
    c.expect(&["SET", "foo", "bar"], "+OK\r\n");
    c.expect(&["MEMORY", "USAGE", "missing"], "$-1\r\n");
    c.expect(&["MEMORY", "USAGE", "missing", "SAMPLES", "3"], "$-1\r\n");
    c.expect_err(
        &["MEMORY", "USAGE", "foo", "SAMPLES", "-1"],
        "ERR syntax error",
    );
    c.expect_err(
        &["MEMORY", "USAGE", "foo", "SAMPLES", "x"],
        "ERR value is not an integer or out of range",
    );
    c.expect_err(&["MEMORY", "USAGE", "foo", "SAMPLES"], "ERR syntax error");
    c.expect_err(
        &["MEMORY", "USAGE", "foo", "SAMPLE", "1"],
        "ERR syntax error",
    );
    c.expect_err(
        &["MEMORY", "USAGE"],
        "ERR wrong number of arguments for 'memory|usage' command",
    );
    c.expect_err(
        &["MEMORY"],
        "ERR wrong number of arguments for 'memory' command",
    );
    c.expect_err(
        &["MEMORY", "FOO"],
        "ERR unknown subcommand 'FOO'. Try MEMORY HELP.",
    );
    c.expect_err(
        &["MEMORY", "STATS", "x"],
        "ERR wrong number of arguments for 'memory|stats' command",
    );
    c.expect(&["MEMORY", "PURGE"], "+OK\r\n");
}

#[test]
fn memory_argument_errors_as_redis() {
    let s = start_ferrokv(&[]);
    usage_errors(&mut s.client());
    if let Some(r) = start_redis() {
        usage_errors(&mut r.client());
    }
}

#[test]
fn memory_help_is_redis_help() {
    let s = start_ferrokv(&[]);
    let ours = s.client().cmd(&["MEMORY", "HELP"]);
    assert!(ours.starts_with(b"*14\r\n"));
    if let Some(r) = start_redis() {
        assert_eq!(
            common::show(&ours),
            common::show(&r.client().cmd(&["MEMORY", "HELP"]))
        );
    }
}

fn stats_keys(c: &mut RespClient) -> Vec<String> {
    let Resp::Map(pairs) = c.val(&["MEMORY", "STATS"]) else {
        panic!("MEMORY STATS is not a map in RESP3");
    };
    pairs
        .iter()
        .map(|(k, v)| {
            let kind = match v {
                Resp::Int(_) => "int",
                Resp::Double(_) => "double",
                Resp::Map(_) => "map",
                other => panic!("unexpected {other:?}"),
            };
            format!("{}={kind}", String::from_utf8_lossy(k.bytes()))
        })
        .collect()
}

#[test]
fn memory_stats_shape_matches_redis() {
    let s = start_ferrokv(&[]);
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    c.expect(&["SET", "a", "1"], "+OK\r\n");
    let ours = stats_keys(&mut c);
    assert!(ours.contains(&"db.0=map".to_string()));
    assert!(ours.contains(&"keys.count=int".to_string()));
    assert!(ours.contains(&"fragmentation=double".to_string()));
    if let Some(r) = start_redis() {
        let mut rc = r.client();
        rc.cmd(&["HELLO", "3"]);
        rc.expect(&["SET", "a", "1"], "+OK\r\n");
        assert_eq!(ours, stats_keys(&mut rc));
    }
    // RESP2: a flat array of names and values.
    let mut c2 = s.client();
    let Resp::Array(flat) = c2.val(&["MEMORY", "STATS"]) else {
        panic!("MEMORY STATS is not an array in RESP2");
    };
    assert_eq!(flat.len(), 2 * ours.len());
}

#[test]
fn memory_doctor_and_malloc_stats() {
    let s = start_ferrokv(&[]);
    let mut c = s.client();
    let doctor = c.val(&["MEMORY", "DOCTOR"]);
    assert!(
        String::from_utf8_lossy(doctor.bytes()).starts_with("Hi Sam, this instance is empty"),
        "{doctor:?}"
    );
    let stats = c.val(&["MEMORY", "MALLOC-STATS"]);
    assert!(
        String::from_utf8_lossy(stats.bytes()).starts_with("___ Begin jemalloc statistics ___")
    );
    // With data (over 5 MB) and nothing wrong: the all-clear.
    assert_eq!(
        write_all(&mut c, &sets("k", 0..60_000, &[b'v'; 100], None), 1000),
        0
    );
    let doctor = c.val(&["MEMORY", "DOCTOR"]);
    let text = String::from_utf8_lossy(doctor.bytes()).into_owned();
    assert!(
        text.starts_with("Hi Sam, I can't find any memory issue")
            || text.starts_with("Sam, I detected"),
        "{text}"
    );
    let mut c3 = s.client();
    c3.cmd(&["HELLO", "3"]);
    assert!(
        c3.cmd(&["MEMORY", "DOCTOR"]).starts_with(b"="),
        "RESP3 verbatim string"
    );
}

fn freq_and_idletime(c: &mut RespClient) {
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        "+OK\r\n",
    );
    c.expect(&["SET", "k", "v"], "+OK\r\n");
    // A new key starts at LFU_INIT_VAL.
    c.expect(&["OBJECT", "FREQ", "k"], ":5\r\n");
    c.expect_err(
        &["OBJECT", "IDLETIME", "k"],
        "ERR An LFU maxmemory policy is selected",
    );
    for _ in 0..100 {
        c.cmd(&["GET", "k"]);
    }
    let f = c.int(&["OBJECT", "FREQ", "k"]);
    assert!((6..=20).contains(&f), "freq after 100 reads: {f}");
    // OBJECT itself does not count as an access.
    c.expect(&["OBJECT", "FREQ", "k"], format!(":{f}\r\n"));
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        "+OK\r\n",
    );
    c.expect_err(
        &["OBJECT", "FREQ", "k"],
        "ERR An LFU maxmemory policy is not selected",
    );
    c.cmd(&["GET", "k"]);
    c.expect(&["OBJECT", "IDLETIME", "k"], ":0\r\n");
    c.expect(&["OBJECT", "FREQ", "nokey"], "$-1\r\n");
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        "+OK\r\n",
    );
}

#[test]
fn object_freq_and_idletime_follow_the_policy() {
    let s = start_ferrokv(&[]);
    freq_and_idletime(&mut s.client());
    if let Some(r) = start_redis() {
        freq_and_idletime(&mut r.client());
    }
}

#[test]
fn lfu_counts_writes_as_accesses_and_keeps_the_counter_on_overwrite() {
    let s = start_ferrokv(&[("maxmemory-policy", "allkeys-lfu")]);
    let mut c = s.client();
    c.expect(&["SET", "k", "0"], "+OK\r\n");
    for _ in 0..200 {
        c.cmd(&["INCR", "k"]);
    }
    let f = c.int(&["OBJECT", "FREQ", "k"]);
    assert!(f > 5, "INCR is an access: {f}");
    c.expect(&["SET", "k", "other"], "+OK\r\n");
    assert!(
        c.int(&["OBJECT", "FREQ", "k"]) >= f,
        "SET over a key keeps its counter"
    );
}

fn access_history_survives_dumps(c: &mut RespClient) {
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        "+OK\r\n",
    );
    c.expect(&["SET", "k", "v"], "+OK\r\n");
    let dump = c.val(&["DUMP", "k"]);
    let dump = dump.bytes().to_vec();
    c.expect_b(&[b"RESTORE", b"r", b"0", &dump, b"FREQ", b"77"], "+OK\r\n");
    c.expect(&["OBJECT", "FREQ", "r"], ":77\r\n");
    // IDLETIME is ignored under LFU, FREQ under LRU (Redis's objectSetLRUOrLFU).
    c.expect_b(
        &[b"RESTORE", b"i", b"0", &dump, b"IDLETIME", b"100"],
        "+OK\r\n",
    );
    c.expect(&["OBJECT", "FREQ", "i"], ":5\r\n");
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
        "+OK\r\n",
    );
    c.expect_b(
        &[b"RESTORE", b"j", b"0", &dump, b"IDLETIME", b"100"],
        "+OK\r\n",
    );
    let idle = c.int(&["OBJECT", "IDLETIME", "j"]);
    assert!((100..=102).contains(&idle), "IDLETIME {idle}");
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        "+OK\r\n",
    );
}

#[test]
fn restore_keeps_the_lru_or_lfu_history() {
    let s = start_ferrokv(&[]);
    access_history_survives_dumps(&mut s.client());
    if let Some(r) = start_redis() {
        access_history_survives_dumps(&mut r.client());
    }
}

#[test]
fn debug_reload_keeps_lfu_counters() {
    let dir = std::env::temp_dir().join(format!("ferrokv-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = start_ferrokv(&[
        ("maxmemory-policy", "allkeys-lfu"),
        ("enable-debug-command", "yes"),
        ("dir", dir.to_str().unwrap()),
    ]);
    let mut c = s.client();
    c.expect(&["SET", "hot", "v"], "+OK\r\n");
    for _ in 0..200 {
        c.cmd(&["GET", "hot"]);
    }
    let f = c.int(&["OBJECT", "FREQ", "hot"]);
    assert!(f > 5);
    c.expect(&["DEBUG", "RELOAD"], "+OK\r\n");
    c.expect(&["OBJECT", "FREQ", "hot"], format!(":{f}\r\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
