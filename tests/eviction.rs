//! maxmemory and the eight eviction policies, over TCP against the real binary (whose
//! allocator counts `used_memory`), with the LRU/LFU working-set workloads also run
//! against a real redis-server when one is installed.
//!
//! Sizes are chosen per server: a calibration step measures the bytes a key costs, so a
//! workload fills the same fraction of the limit on ferrokv and on Redis even though
//! ferrokv stores a key in fewer bytes.

mod common;
mod support_mem;

use std::time::{Duration, Instant};

use common::{RespClient, start_redis_with};
use support_mem::*;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";
const LIMIT: i64 = 3 << 20;
const VALUE: &[u8] = &[b'v'; 100];

fn server(policy: &str) -> Proc {
    start_ferrokv(&[("maxmemory", "3mb"), ("maxmemory-policy", policy)])
}

/// How many `SET prefix:i <100 bytes>` keys fit under the limit on this server: filled
/// until the first eviction and half as much again (so that hash-table growth is behind
/// us), then emptied again with the statistics reset.
fn capacity(c: &mut RespClient) -> usize {
    c.expect(&["FLUSHALL"], "+OK\r\n");
    let policy = c.val(&["CONFIG", "GET", "maxmemory-policy"]);
    let policy = String::from_utf8_lossy(policy.array()[1].bytes()).into_owned();
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
        "+OK\r\n",
    );
    let mut n = 0;
    while info_field(c, "stats", "evicted_keys") == 0 {
        assert_eq!(write_all(c, &sets("cal", n..n + 100, VALUE, None), 100), 0);
        n += 100;
    }
    assert_eq!(
        write_all(c, &sets("cal", n..n + n / 2, VALUE, None), 100),
        0
    );
    let cap = c.int(&["DBSIZE"]) as usize;
    c.expect(&["FLUSHALL"], "+OK\r\n");
    c.expect(&["CONFIG", "SET", "maxmemory-policy", &policy], "+OK\r\n");
    c.expect(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    cap
}

fn keys(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}:{i}")).collect()
}

fn fraction(flags: &[bool]) -> f64 {
    flags.iter().filter(|&&b| b).count() as f64 / flags.len().max(1) as f64
}

fn assert_near_limit(c: &mut RespClient) {
    let used = used_memory(c);
    assert!(
        used <= LIMIT + LIMIT / 20,
        "used_memory {used} is more than 5% over maxmemory {LIMIT}"
    );
}

#[test]
fn noeviction_refuses_denyoom_commands_but_serves_reads_and_deletes() {
    let s = server("noeviction");
    let mut c = s.client();
    let cap = capacity(&mut c);
    let errors = write_all(&mut c, &sets("k", 0..cap * 2, VALUE, None), 200);
    assert!(errors > 0, "writes past the limit must fail");
    c.expect_err(&["SET", "more", "x"], OOM);
    c.expect_err(&["INCR", "counter"], OOM);
    c.expect_err(&["APPEND", "k:0", "x"], OOM);
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), 0);
    // Reads, deletes and other commands without `denyoom` go on.
    c.expect_b(&[b"GET", b"k:0"], common::bulk(VALUE));
    c.expect(&["EXPIRE", "k:1", "1000"], ":1\r\n");
    c.expect(&["DEL", "k:0"], ":1\r\n");
    c.expect(&["PING"], "+PONG\r\n");
    // Inside MULTI nothing can be queued (it would grow memory), so EXEC aborts.
    c.expect(&["MULTI"], "+OK\r\n");
    c.expect_err(&["GET", "k:1"], OOM);
    c.expect_err(
        &["EXEC"],
        "EXECABORT Transaction discarded because of previous errors.",
    );
    c.expect(&["FLUSHALL"], "+OK\r\n");
    c.expect(&["SET", "more", "x"], "+OK\r\n");
}

#[test]
fn exec_of_denyoom_commands_is_refused_when_memory_ran_out_after_queueing() {
    let s = server("noeviction");
    let mut c = s.client();
    let mut other = s.client();
    c.expect(&["MULTI"], "+OK\r\n");
    c.expect(&["SET", "a", "1"], "+QUEUED\r\n");
    let cap = capacity(&mut other);
    write_all(&mut other, &sets("k", 0..cap * 2, VALUE, None), 200);
    c.expect_err(
        &["EXEC"],
        &format!("EXECABORT Transaction discarded because of: {OOM}"),
    );
    c.expect_err(&["EXEC"], "ERR EXEC without MULTI");
}

#[test]
fn volatile_policies_never_evict_keys_without_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let s = server(policy);
        let mut c = s.client();
        let cap = capacity(&mut c);
        let persistent = cap / 4;
        assert_eq!(
            write_all(&mut c, &sets("p", 0..persistent, VALUE, None), 500),
            0
        );
        let volatile = sets("v", 0..cap * 2, VALUE, Some(10_000));
        assert_eq!(write_all(&mut c, &volatile, 500), 0, "{policy}");
        assert!(info_field(&mut c, "stats", "evicted_keys") > 0, "{policy}");
        assert_near_limit(&mut c);
        let kept = existing(&mut c, &keys("p", 0..persistent));
        assert!(
            kept.iter().all(|&k| k),
            "{policy} evicted a key without a TTL"
        );
        // Once no key with a TTL is left, writes fail as under noeviction.
        let errors = write_all(&mut c, &sets("q", 0..cap * 2, VALUE, None), 200);
        assert!(errors > 0, "{policy}");
        // The refusal is Redis's OOM error. (A single small SET may still fit when the
        // batch above freed buffers; keep writing until one is refused.)
        let refused = (0..cap * 2).find_map(|i| {
            let r = c.cmd(&["SET", &format!("more:{i}"), &"x".repeat(VALUE.len())]);
            r.starts_with(b"-").then_some(r)
        });
        let refused = refused.unwrap_or_default();
        assert!(
            refused.starts_with(format!("-{OOM}").as_bytes()),
            "{policy}: {}",
            String::from_utf8_lossy(&refused)
        );
        let info = info_text(&mut c, "keyspace");
        assert!(
            !info.contains("expires=") || info.contains("expires=0,"),
            "{policy}: {info}"
        );
        let kept = existing(&mut c, &keys("p", 0..persistent));
        assert!(
            kept.iter().all(|&k| k),
            "{policy} evicted a key without a TTL"
        );
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines_first() {
    let s = server("volatile-ttl");
    let mut c = s.client();
    let cap = capacity(&mut c);
    let n = cap * 3 / 2;
    // Key i expires in 10000 + i seconds: the first keys are the nearest deadlines.
    let cmds: Vec<Vec<Vec<u8>>> = (0..n)
        .map(|i| {
            vec![
                b"SET".to_vec(),
                format!("t:{i}").into_bytes(),
                VALUE.to_vec(),
                b"EX".to_vec(),
                (10_000 + i).to_string().into_bytes(),
            ]
        })
        .collect();
    assert_eq!(write_all(&mut c, &cmds, 500), 0);
    let alive = existing(&mut c, &keys("t", 0..n));
    let first_half = fraction(&alive[..n / 2]);
    let last_quarter = fraction(&alive[n * 3 / 4..]);
    assert!(
        last_quarter > 0.95 && first_half < 0.6,
        "volatile-ttl kept {first_half:.2} of the nearest and {last_quarter:.2} of the farthest deadlines"
    );
}

#[test]
fn allkeys_random_holds_the_limit_and_evicts_from_everywhere() {
    let s = server("allkeys-random");
    let mut c = s.client();
    let cap = capacity(&mut c);
    let n = cap * 2;
    assert_eq!(write_all(&mut c, &sets("r", 0..n, VALUE, None), 500), 0);
    assert_near_limit(&mut c);
    let evicted = info_field(&mut c, "stats", "evicted_keys");
    let dbsize = c.int(&["DBSIZE"]);
    assert_eq!(evicted + dbsize, n as i64);
    let alive = existing(&mut c, &keys("r", 0..n));
    // Old keys had more chances to be drawn, but random eviction reaches everywhere.
    let old = fraction(&alive[..n / 4]);
    let new = fraction(&alive[n * 3 / 4..]);
    assert!(
        old > 0.02 && old < 0.9 && new > 0.3,
        "old {old:.2} new {new:.2}"
    );
}

/// Fill 90% of the limit, make 20% of those keys hot (read once the LRU clock has moved
/// on, or read often for LFU), then write three quarters of a limit's worth of new keys,
/// so that nearly every cold key must go. Returns the fraction of hot keys that survived.
fn working_set_survival(c: &mut RespClient, policy: &str) -> f64 {
    c.expect(&["CONFIG", "SET", "maxmemory-policy", policy], "+OK\r\n");
    // A first round measures how many keys this workload really leaves room for (client
    // buffers and hash-table growth differ between servers); the second is scored.
    let cap = capacity(c);
    let (_, dbsize) = working_set_round(c, policy, cap);
    c.expect(&["FLUSHALL"], "+OK\r\n");
    c.expect(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    working_set_round(c, policy, dbsize).0
}

/// One round of [`working_set_survival`] for `cap` keys: (hot keys kept, keys at the end).
fn working_set_round(c: &mut RespClient, policy: &str, cap: usize) -> (f64, usize) {
    let first = cap * 9 / 10;
    let hot = first / 5;
    assert_eq!(write_all(c, &sets("w", 0..first, VALUE, None), 100), 0);
    let hot_keys = keys("w", 0..hot);
    let gets: Vec<Vec<Vec<u8>>> = hot_keys
        .iter()
        .map(|k| vec![b"GET".to_vec(), k.as_bytes().to_vec()])
        .collect();
    if policy.ends_with("lru") {
        // The LRU clock has a resolution of one second, in Redis too.
        std::thread::sleep(Duration::from_millis(1100));
        write_all(c, &gets, 100);
    } else {
        for _ in 0..10 {
            write_all(c, &gets, 100);
        }
    }
    assert_eq!(
        write_all(c, &sets("n", 0..cap * 3 / 4, VALUE, None), 100),
        0
    );
    assert!(
        info_field(c, "stats", "evicted_keys") > 0,
        "{policy}: nothing was evicted"
    );
    (
        fraction(&existing(c, &hot_keys)),
        c.int(&["DBSIZE"]) as usize,
    )
}

#[test]
fn allkeys_lru_keeps_a_recently_read_working_set_at_least_as_well_as_redis() {
    let s = server("allkeys-lru");
    let ours = working_set_survival(&mut s.client(), "allkeys-lru");
    if let Some(r) = start_redis_with(&[("maxmemory", "3mb")]) {
        let theirs = working_set_survival(&mut r.client(), "allkeys-lru");
        eprintln!("allkeys-lru hot set kept: ferrokv {ours:.3}, redis {theirs:.3}");
        assert!(
            ours >= theirs - 0.03,
            "ferrokv {ours:.3} < redis {theirs:.3}"
        );
    }
    assert!(ours > 0.9, "ferrokv kept {ours:.3} of the hot set");
}

#[test]
fn allkeys_lfu_keeps_the_frequently_read_keys() {
    let s = server("allkeys-lfu");
    let ours = working_set_survival(&mut s.client(), "allkeys-lfu");
    if let Some(r) = start_redis_with(&[("maxmemory", "3mb")]) {
        let theirs = working_set_survival(&mut r.client(), "allkeys-lfu");
        eprintln!("allkeys-lfu hot set kept: ferrokv {ours:.3}, redis {theirs:.3}");
        assert!(
            ours >= theirs - 0.03,
            "ferrokv {ours:.3} < redis {theirs:.3}"
        );
    }
    assert!(ours > 0.9, "ferrokv kept {ours:.3} of the hot set");
}

#[test]
fn lowering_maxmemory_at_runtime_evicts_down_to_it() {
    let s = start_ferrokv(&[("maxmemory-policy", "allkeys-lru")]);
    let mut c = s.client();
    assert_eq!(
        write_all(&mut c, &sets("k", 0..30_000, VALUE, None), 500),
        0
    );
    assert!(used_memory(&mut c) > 4 << 20);
    c.expect(&["CONFIG", "SET", "maxmemory", "2mb"], "+OK\r\n");
    // CONFIG SET itself starts evicting; no other command is needed. (The INFO that
    // reads the figure allocates its own reply: allow for that.)
    let mut watcher = s.client();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let used = used_memory(&mut watcher);
        if used <= (2 << 20) + (2 << 20) / 100 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {used} bytes used 5 s later"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(c.int(&["DBSIZE"]) < 30_000);
    assert!(info_field(&mut c, "stats", "evicted_keys") > 0);
    c.expect(&["SET", "after", "1"], "+OK\r\n");
}

#[test]
fn used_memory_stays_at_the_limit_under_sustained_writes() {
    let s = server("allkeys-lru");
    let mut c = s.client();
    let mut peak = 0;
    for round in 0..30 {
        let cmds = sets(&format!("s{round}"), 0..2000, VALUE, None);
        assert_eq!(write_all(&mut c, &cmds, 250), 0);
        peak = peak.max(used_memory(&mut c));
    }
    assert!(
        peak <= LIMIT + LIMIT / 50,
        "used_memory reached {peak}, over 2% above maxmemory {LIMIT}"
    );
    assert!(
        peak >= LIMIT - LIMIT / 10,
        "the limit is not used: peak {peak}"
    );
}

#[test]
fn eviction_touches_watched_keys() {
    let s = server("allkeys-lru");
    let mut c = s.client();
    c.expect(&["SET", "watched", "1"], "+OK\r\n");
    c.expect(&["WATCH", "watched"], "+OK\r\n");
    let mut other = s.client();
    let cap = capacity(&mut other);
    other.expect(&["SET", "watched", "1"], "+OK\r\n");
    // `watched` is the oldest key: LRU evicts it early.
    std::thread::sleep(Duration::from_millis(1100));
    write_all(&mut other, &sets("k", 0..cap * 2, VALUE, None), 500);
    assert_eq!(other.int(&["EXISTS", "watched"]), 0);
    c.expect(&["MULTI"], "+OK\r\n");
    c.expect(&["SET", "x", "1"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*-1\r\n");
}

#[test]
fn oom_error_and_eviction_stats_in_info() {
    let s = server("allkeys-lru");
    let mut c = s.client();
    let info = info_text(&mut c, "stats");
    for field in [
        "evicted_keys:0",
        "evicted_clients:0",
        "total_eviction_exceeded_time:",
        "current_eviction_exceeded_time:0",
    ] {
        assert!(info.contains(field), "INFO stats lacks {field}");
    }
    let mem = info_text(&mut c, "memory");
    assert!(mem.contains(&format!("maxmemory:{LIMIT}\r\n")));
    assert!(mem.contains("maxmemory_human:3.00M\r\n"));
    assert!(mem.contains("maxmemory_policy:allkeys-lru\r\n"));
    c.expect(
        &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        "+OK\r\n",
    );
    c.expect(&["CONFIG", "SET", "maxmemory", "1"], "+OK\r\n");
    c.expect_err(&["SET", "k", "v"], OOM);
    assert!(info_text(&mut c, "errorstats").contains("errorstat_OOM:count=1"));
}

fn scripts_out_of_memory(c: &mut RespClient) {
    c.expect(&["SET", "k", "v"], "+OK\r\n");
    c.expect(&["CONFIG", "SET", "maxmemory", "1"], "+OK\r\n");
    // The script runs (EVAL is not `denyoom`), but may not start writing.
    c.expect_err(&["EVAL", "return redis.call('set','a','b')", "0"], OOM);
    c.expect_err(&["EVAL", "return redis.pcall('set','a','b')", "0"], OOM);
    c.expect(
        &["EVAL", "return redis.call('get','k')", "0"],
        "$1\r\nv\r\n",
    );
    c.expect(&["EVAL", "return redis.call('del','k')", "0"], ":1\r\n");
    c.expect(&["CONFIG", "SET", "maxmemory", "0"], "+OK\r\n");
    c.expect(
        &["EVAL", "return redis.call('set','a','b')", "0"],
        "+OK\r\n",
    );
}

#[test]
fn scripts_may_not_start_writing_when_out_of_memory() {
    let s = start_ferrokv(&[]);
    scripts_out_of_memory(&mut s.client());
    if let Some(r) = start_redis_with(&[]) {
        scripts_out_of_memory(&mut r.client());
    }
}
