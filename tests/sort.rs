//! SORT and SORT_RO over TCP, with exact reply bytes. Each test runs against ferrokv and
//! then, when it is installed, against a real redis-server ([`on_both`]), so every
//! expectation here is checked against the source of truth.
//!
//! Tests that need lists, sets or sorted sets skip their ferrokv run (with a notice) while
//! ferrokv lacks the command that builds them; they still check the expectations on Redis.

mod common;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SCORE_ERR: &str = "ERR One or more scores can't be converted into double";

fn bulks(items: &[&str]) -> Vec<u8> {
    array(&items.iter().map(bulk).collect::<Vec<_>>())
}

/// Whether the server knows `cmd`; prints a notice when it does not.
fn has(c: &mut RespClient, cmd: &str) -> bool {
    let r = c.cmd(&["COMMAND", "INFO", cmd]);
    // An unknown command's entry is a null (of whichever flavour).
    let known = ![&b"*1\r\n*-1"[..], b"*1\r\n$-1", b"*1\r\n_"]
        .iter()
        .any(|null| r.starts_with(null));
    if !known {
        eprintln!("NOTICE: {} lacks {cmd}; skipping this part on it", c.name);
    }
    known
}

/// The list, weights and hashes used by most tests.
fn fixture(c: &mut RespClient) {
    c.expect(&["RPUSH", "l", "3", "1", "2", "10", "1.5", "-4"], int(6));
    c.expect(
        &[
            "MSET", "w_3", "1", "w_1", "5", "w_2", "0", "w_10", "-1", "w_1.5", "9",
        ],
        OK,
    );
    c.expect(&["HSET", "h_3", "f", "c"], int(1));
    c.expect(&["HSET", "h_1", "f", "a"], int(1));
    c.expect(&["HSET", "h_2", "f", "b"], int(1));
    c.expect(&["HSET", "h_10", "f", "a"], int(1));
}

#[test]
fn errors_and_their_order() {
    on_both(|c| {
        c.expect(
            &["SORT"],
            err("ERR wrong number of arguments for 'sort' command"),
        );
        c.expect(
            &["SORT_RO"],
            err("ERR wrong number of arguments for 'sort_ro' command"),
        );
        c.expect(&["SET", "s", "v"], OK);
        c.expect(&["HSET", "h", "f", "1"], int(1));
        c.expect(&["SORT", "s"], err(WRONGTYPE));
        c.expect(&["SORT", "h"], err(WRONGTYPE));
        c.expect(&["SORT_RO", "h", "ALPHA"], err(WRONGTYPE));
        // Options are parsed before the key is looked at.
        c.expect(&["SORT", "s", "foo"], err("ERR syntax error"));
        c.expect(&["SORT", "s", "LIMIT", "x", "1"], err(NOT_INT));
        c.expect(&["SORT", "s", "LIMIT", "1", "x"], err(NOT_INT));
        c.expect(&["SORT", "nokey", "LIMIT", "1"], err("ERR syntax error"));
        c.expect(&["SORT", "nokey", "LIMIT", "1.5", "2"], err(NOT_INT));
        c.expect(&["SORT", "nokey", "GET"], err("ERR syntax error"));
        c.expect(&["SORT", "nokey", "BY"], err("ERR syntax error"));
        c.expect(&["SORT", "nokey", "STORE"], err("ERR syntax error"));
        c.expect(
            &["SORT_RO", "nokey", "STORE", "dst"],
            err("ERR syntax error"),
        );
        c.expect(
            &["SORT", "nokey", "ASC", "DESC", "ALPHA", "ALPHA"],
            EMPTY_ARRAY,
        );
    });
}

#[test]
fn missing_key_and_store() {
    on_both(|c| {
        c.expect(&["SORT", "nokey"], EMPTY_ARRAY);
        c.expect(&["SORT_RO", "nokey", "BY", "w_*", "GET", "#"], EMPTY_ARRAY);
        // Storing an empty result deletes the destination, whatever its type.
        c.expect(&["SET", "dst", "x"], OK);
        c.expect(&["SORT", "nokey", "STORE", "dst"], int(0));
        c.expect(&["EXISTS", "dst"], int(0));
        c.expect(&["HSET", "dst", "a", "1"], int(1));
        c.expect(
            &["SORT", "nokey", "LIMIT", "0", "10", "STORE", "dst"],
            int(0),
        );
        c.expect(&["EXISTS", "dst"], int(0));
    });
}

#[test]
fn numeric_and_alpha_sorting_of_a_list() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        fixture(c);
        c.expect(&["SORT", "l"], bulks(&["-4", "1", "1.5", "2", "3", "10"]));
        c.expect(
            &["SORT", "l", "DESC"],
            bulks(&["10", "3", "2", "1.5", "1", "-4"]),
        );
        c.expect(
            &["SORT_RO", "l", "desc", "asc"],
            bulks(&["-4", "1", "1.5", "2", "3", "10"]),
        );
        c.expect(
            &["SORT", "l", "ALPHA"],
            bulks(&["-4", "1", "1.5", "10", "2", "3"]),
        );
        c.expect(
            &["SORT", "l", "ALPHA", "DESC"],
            bulks(&["3", "2", "10", "1.5", "1", "-4"]),
        );
        c.expect(&["SORT", "l", "LIMIT", "1", "2"], bulks(&["1", "1.5"]));
        c.expect(&["SORT", "l", "LIMIT", "4", "100"], bulks(&["3", "10"]));
        c.expect(&["SORT", "l", "LIMIT", "-5", "2"], bulks(&["-4", "1"]));
        c.expect(
            &["SORT", "l", "LIMIT", "2", "-1"],
            bulks(&["1.5", "2", "3", "10"]),
        );
        c.expect(&["SORT", "l", "LIMIT", "2", "0"], EMPTY_ARRAY);
        c.expect(&["SORT", "l", "LIMIT", "6", "1"], EMPTY_ARRAY);
        c.expect(
            &[
                "SORT",
                "l",
                "LIMIT",
                "9223372036854775807",
                "9223372036854775807",
            ],
            EMPTY_ARRAY,
        );
        c.expect(
            &["SORT", "l", "LIMIT", "-9223372036854775808", "1"],
            bulks(&["-4"]),
        );
        // Later options win; LIMIT may repeat.
        c.expect(
            &["SORT", "l", "LIMIT", "0", "1", "LIMIT", "5", "1"],
            bulks(&["10"]),
        );
    });
}

#[test]
fn numeric_conversion_errors() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        c.expect(&["RPUSH", "bad", "1", "x"], int(2));
        c.expect(&["SORT", "bad"], err(SCORE_ERR));
        c.expect(&["SORT", "bad", "ALPHA"], bulks(&["1", "x"]));
        // An error stores nothing.
        c.expect(&["SET", "dst", "keep"], OK);
        c.expect(&["SORT", "bad", "STORE", "dst"], err(SCORE_ERR));
        c.expect(&["GET", "dst"], bulk("keep"));
        // strtod's leniencies: empty is 0, leading spaces, hex, infinities, a NUL ends it.
        // (Before any range error: Redis leaves a stale ERANGE in errno after one, and
        // then fails every later strtod-converted SORT until something resets errno.)
        c.expect_b(
            &[
                b"RPUSH",
                b"odd",
                b"",
                b"  2",
                b"0x10",
                b"-inf",
                b"Infinity",
                b"3\x00junk",
                b"1e-300",
            ],
            int(7),
        );
        c.expect_b(
            &[b"SORT", b"odd"],
            array(&[
                bulk("-inf"),
                bulk(""),
                bulk("1e-300"),
                bulk("  2"),
                bulk(b"3\x00junk"),
                bulk("0x10"),
                bulk("Infinity"),
            ]),
        );
        for v in ["1e400", "-1e400", "1e-310", "nan", "1 ", "0x", "1,5"] {
            c.expect(&["DEL", "one"], if v == "1e400" { int(0) } else { int(1) });
            c.expect(&["RPUSH", "one", v, "1"], int(2));
            c.expect(&["SORT", "one"], err(SCORE_ERR));
        }
        // Missing BY keys sort as 0; BY values that are not numbers fail.
        c.expect(&["SET", "w_x", "abc"], OK);
        c.expect(&["SORT", "bad", "BY", "w_*"], err(SCORE_ERR));
        c.expect(&["SORT", "bad", "BY", "nokey_*"], bulks(&["1", "x"]));
    });
}

#[test]
fn by_patterns() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        fixture(c);
        // Missing weights are 0; ties are broken by the element's bytes.
        c.expect(
            &["SORT", "l", "BY", "w_*"],
            bulks(&["10", "-4", "2", "3", "1", "1.5"]),
        );
        c.expect(
            &["SORT", "l", "BY", "w_*", "DESC", "LIMIT", "1", "2"],
            bulks(&["1", "3"]),
        );
        // Hash fields; ALPHA puts missing values first, in list order.
        c.expect(
            &["SORT", "l", "BY", "h_*->f", "ALPHA"],
            bulks(&["1.5", "-4", "1", "10", "2", "3"]),
        );
        c.expect(&["SORT", "l", "BY", "h_*->f"], err(SCORE_ERR));
        // `->` with nothing after it is part of the key name.
        c.expect(&["SET", "k_3->", "1"], OK);
        c.expect(
            &["SORT", "l", "BY", "k_*->", "LIMIT", "0", "1", "DESC"],
            bulks(&["3"]),
        );
        // A hash used where a string is expected (and the reverse) counts as missing.
        c.expect(
            &["SORT", "l", "BY", "h_*", "LIMIT", "0", "2"],
            bulks(&["-4", "1"]),
        );
        c.expect(
            &["SORT", "l", "BY", "w_*->f", "LIMIT", "0", "2"],
            bulks(&["-4", "1"]),
        );
        // Only the first `*` is replaced.
        c.expect(&["SET", "x_3_*", "-100"], OK);
        c.expect(
            &["SORT", "l", "BY", "x_*_*", "LIMIT", "0", "1"],
            bulks(&["3"]),
        );
    });
}

#[test]
fn by_without_star_keeps_the_native_order() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        fixture(c);
        c.expect(
            &["SORT", "l", "BY", "nosort"],
            bulks(&["3", "1", "2", "10", "1.5", "-4"]),
        );
        c.expect(
            &["SORT", "l", "BY", "nosort", "DESC"],
            bulks(&["-4", "1.5", "10", "2", "1", "3"]),
        );
        c.expect(
            &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
            bulks(&["1.5", "10", "2"]),
        );
        c.expect(
            &["SORT", "l", "BY", "nosort", "LIMIT", "4", "10"],
            bulks(&["1.5", "-4"]),
        );
        c.expect(
            &["SORT", "l", "BY", "nosort", "ALPHA"],
            bulks(&["3", "1", "2", "10", "1.5", "-4"]),
        );
        // Once a BY without `*` is seen, a later BY with one does not sort again.
        c.expect(
            &["SORT", "l", "BY", "nosort", "BY", "w_*"],
            bulks(&["3", "1", "2", "10", "1.5", "-4"]),
        );
        // A list that could not be sorted numerically is fine when not sorted.
        c.expect(&["RPUSH", "bad", "b", "a"], int(2));
        c.expect(&["SORT", "bad", "BY", "nosort"], bulks(&["b", "a"]));
    });
}

#[test]
fn get_patterns() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        fixture(c);
        c.expect(
            &[
                "SORT", "l", "GET", "#", "GET", "w_*", "GET", "h_*->f", "LIMIT", "0", "2",
            ],
            array(&[
                bulk("-4"),
                NIL.to_vec(),
                NIL.to_vec(),
                bulk("1"),
                bulk("5"),
                bulk("a"),
            ]),
        );
        c.expect(&["SORT", "l", "BY", "nosort", "GET", "h_*->f"], {
            let n = NIL.to_vec();
            array(&[bulk("c"), bulk("a"), bulk("b"), bulk("a"), n.clone(), n])
        });
        // A GET pattern without `*` never finds anything.
        c.expect(
            &["SORT", "l", "LIMIT", "0", "2", "GET", "w_3"],
            array(&[NIL.to_vec(), NIL.to_vec()]),
        );
        c.expect(&["SORT", "nokey", "GET", "#"], EMPTY_ARRAY);
    });
}

#[test]
fn store_writes_a_list() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        fixture(c);
        c.expect(&["SET", "dst", "old"], OK);
        c.expect(&["EXPIRE", "dst", "100"], int(1));
        c.expect(&["SORT", "l", "STORE", "dst"], int(6));
        c.expect(&["TYPE", "dst"], b"+list\r\n");
        c.expect(&["TTL", "dst"], int(-1));
        c.expect(&["OBJECT", "ENCODING", "dst"], bulk("quicklist"));
        c.expect(
            &["LRANGE", "dst", "0", "-1"],
            bulks(&["-4", "1", "1.5", "2", "3", "10"]),
        );
        // GET results; a missing one is stored as an empty string.
        c.expect(
            &[
                "SORT", "l", "BY", "nosort", "GET", "w_*", "GET", "#", "STORE", "dst",
            ],
            int(12),
        );
        c.expect(
            &["LRANGE", "dst", "0", "-1"],
            bulks(&[
                "1", "3", "5", "1", "0", "2", "-1", "10", "9", "1.5", "", "-4",
            ]),
        );
        // Storing onto the source itself.
        c.expect(
            &["SORT", "l", "DESC", "LIMIT", "0", "3", "STORE", "l"],
            int(3),
        );
        c.expect(&["LRANGE", "l", "0", "-1"], bulks(&["10", "3", "2"]));
        c.expect(&["SORT", "l", "LIMIT", "0", "0", "STORE", "l"], int(0));
        c.expect(&["EXISTS", "l"], int(0));
    });
}

#[test]
fn alpha_with_and_without_store_on_nul_bytes() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        // Without STORE, Redis compares C strings (up to a NUL): "a\0z" and "a\0b" tie and
        // keep their order. With STORE, whole strings are compared.
        c.expect_b(&[b"RPUSH", b"n", b"a\x00z", b"a\x00b", b"a"], int(3));
        c.expect_b(
            &[b"SORT", b"n", b"ALPHA"],
            array(&[bulk(b"a\x00z"), bulk(b"a\x00b"), bulk("a")]),
        );
        c.expect_b(&[b"SORT", b"n", b"ALPHA", b"STORE", b"d"], int(3));
        c.expect_b(
            &[b"LRANGE", b"d", b"0", b"-1"],
            array(&[bulk("a"), bulk(b"a\x00b"), bulk(b"a\x00z")]),
        );
    });
}

#[test]
fn sets_and_sorted_sets() {
    on_both(|c| {
        if !has(c, "sadd") {
            return;
        }
        c.expect(&["SADD", "s", "5", "-1", "30", "2"], int(4));
        c.expect(&["SORT", "s"], bulks(&["-1", "2", "5", "30"]));
        c.expect(
            &["SORT", "s", "DESC", "LIMIT", "0", "2"],
            bulks(&["30", "5"]),
        );
        c.expect(&["SORT", "s", "ALPHA"], bulks(&["-1", "2", "30", "5"]));
        // An intset iterates in order, so BY nosort is ordered too; DESC does not reverse a
        // set.
        c.expect(
            &["SORT", "s", "BY", "nosort"],
            bulks(&["-1", "2", "5", "30"]),
        );
        c.expect(
            &["SORT", "s", "BY", "nosort", "DESC"],
            bulks(&["-1", "2", "5", "30"]),
        );
        // With STORE, a set is sorted alphabetically even BY nosort.
        c.expect(&["SORT", "s", "BY", "nosort", "STORE", "d"], int(4));
        c.expect(&["TYPE", "d"], b"+list\r\n");
        if has(c, "lrange") {
            c.expect(&["LRANGE", "d", "0", "-1"], bulks(&["-1", "2", "30", "5"]));
        }
        c.expect(&["SADD", "t", "b", "c", "a"], int(3));
        c.expect(&["SORT", "t", "ALPHA"], bulks(&["a", "b", "c"]));
        c.expect(&["SORT", "t"], err(SCORE_ERR));
        c.expect(&["MSET", "w_a", "3", "w_b", "1", "w_c", "2"], OK);
        c.expect(&["SORT", "t", "BY", "w_*"], bulks(&["b", "c", "a"]));
        c.expect(
            &[
                "SORT", "t", "BY", "w_*", "GET", "#", "GET", "w_*", "LIMIT", "1", "5",
            ],
            bulks(&["c", "2", "a", "3"]),
        );
        c.expect(&["HSET", "h_a", "f", "z"], int(1));
        c.expect(&["HSET", "h_b", "f", "y"], int(1));
        c.expect(
            &["SORT", "t", "BY", "h_*->f", "ALPHA", "GET", "h_*->f"],
            array(&[NIL.to_vec(), bulk("y"), bulk("z")]),
        );
        c.expect(
            &["SORT_RO", "t", "BY", "h_*->f", "ALPHA", "DESC"],
            bulks(&["a", "b", "c"]),
        );
        // A large (hashtable) set sorts the same whatever its internal order.
        let mut add = vec!["SADD".to_string(), "big".to_string()];
        add.extend((0..300).map(|i| format!("m{i}")));
        let refs: Vec<&str> = add.iter().map(String::as_str).collect();
        c.expect(&refs, int(300));
        let mut want: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
        want.sort();
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        c.expect(&["SORT", "big", "ALPHA"], bulks(&want));
        c.expect(
            &["SORT", "big", "ALPHA", "LIMIT", "10", "3"],
            bulks(&want[10..13]),
        );
        c.expect(&["SORT", "big", "BY", "nosort", "STORE", "bd"], int(300));
        if !has(c, "zadd") {
            return;
        }
        c.expect(&["ZADD", "z", "1", "c", "2", "a", "3", "b"], int(3));
        c.expect(&["SORT", "z", "ALPHA"], bulks(&["a", "b", "c"]));
        c.expect(&["SORT", "z", "BY", "nosort"], bulks(&["c", "a", "b"]));
        c.expect(
            &["SORT", "z", "BY", "nosort", "DESC"],
            bulks(&["b", "a", "c"]),
        );
        c.expect(
            &["SORT", "z", "BY", "nosort", "LIMIT", "1", "1"],
            bulks(&["a"]),
        );
        c.expect(
            &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"],
            bulks(&["a", "c"]),
        );
        c.expect(&["SORT", "z", "BY", "nosort", "STORE", "d"], int(3));
        if has(c, "lrange") {
            c.expect(&["LRANGE", "d", "0", "-1"], bulks(&["c", "a", "b"]));
        }
        c.expect(&["SORT", "z"], err(SCORE_ERR));
    });
}

#[test]
fn resp3_nulls() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        let _ = c.cmd(&["HELLO", "3"]);
        c.expect(&["RPUSH", "l", "2", "1"], int(2));
        c.expect(&["SET", "v_1", "one"], OK);
        c.expect(&["SORT", "l", "GET", "v_*"], b"*2\r\n$3\r\none\r\n_\r\n");
    });
}

#[test]
fn lookups_count_as_keyspace_hits_and_misses() {
    on_both(|c| {
        if !has(c, "rpush") {
            return;
        }
        c.expect(&["RPUSH", "l", "2", "1"], int(2));
        c.expect(&["SET", "w_1", "5"], OK);
        c.expect(&["CONFIG", "RESETSTAT"], OK);
        // The key (hit), two BY lookups (hit, miss), two GET lookups (hit, miss).
        c.cmd(&["SORT", "l", "BY", "w_*", "GET", "w_*"]);
        let info = String::from_utf8_lossy(c.val(&["INFO", "stats"]).bytes()).into_owned();
        assert!(info.contains("keyspace_hits:3\r\n"), "[{}] {info}", c.name);
        assert!(
            info.contains("keyspace_misses:2\r\n"),
            "[{}] {info}",
            c.name
        );
    });
}

/// Seeded random SORTs over lists (whose order is the same on both servers, so even ties
/// must come out identical), with weights in strings and hash fields, compared byte for
/// byte with Redis in RESP2 and RESP3; STORE results are compared with LRANGE.
#[test]
fn random_sorts_match_redis() {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    let Some(redis) = start_redis() else { return };
    let ferro = start_server();
    let mut f = ferro.client();
    let mut r = redis.client();
    if !has(&mut f, "rpush") {
        return;
    }
    let mut rng = StdRng::seed_from_u64(42);
    let mut mismatches = Vec::new();
    let mut n = 0;
    for round in 0..60 {
        let resp3 = round % 2 == 1;
        let mut setup: Vec<Vec<String>> = vec![
            vec!["HELLO".into(), if resp3 { "3" } else { "2" }.into()],
            vec!["FLUSHALL".into()],
        ];
        let numeric = rng.random_range(0..3) > 0;
        let len = rng.random_range(0..60);
        let mut push = vec!["RPUSH".to_string(), "l".to_string()];
        for _ in 0..len {
            push.push(if numeric {
                rng.random_range(-20i64..20).to_string()
            } else {
                ["a", "b", "c", "aa", "B", "10", "9", ""][rng.random_range(0..8)].to_string()
            });
        }
        if len > 0 {
            setup.push(push);
        }
        for v in -20..20 {
            match rng.random_range(0..4) {
                0 => setup.push(vec![
                    "SET".into(),
                    format!("w_{v}"),
                    rng.random_range(0..5).to_string(),
                ]),
                1 => setup.push(vec![
                    "HSET".into(),
                    format!("h_{v}"),
                    "f".into(),
                    ["x", "y", "z"][rng.random_range(0..3)].into(),
                ]),
                _ => {}
            }
        }
        for cmd in &setup {
            let a: Vec<&str> = cmd.iter().map(String::as_str).collect();
            f.cmd(&a);
            r.cmd(&a);
        }
        for _ in 0..40 {
            let mut a: Vec<String> = vec!["SORT".into(), "l".into()];
            match rng.random_range(0..5) {
                0 => a.extend(["BY".into(), "w_*".into()]),
                1 => a.extend(["BY".into(), "h_*->f".into()]),
                2 => a.extend(["BY".into(), "nosort".into()]),
                _ => {}
            }
            if rng.random_range(0..2) == 0 {
                a.extend([
                    "LIMIT".into(),
                    rng.random_range(-2..10).to_string(),
                    rng.random_range(-2..10).to_string(),
                ]);
            }
            for _ in 0..rng.random_range(0..3) {
                a.extend([
                    "GET".into(),
                    ["#", "w_*", "h_*->f", "nokey"][rng.random_range(0..4)].into(),
                ]);
            }
            if rng.random_range(0..2) == 0 {
                a.push("DESC".into());
            }
            if rng.random_range(0..3) == 0 || !numeric {
                a.push("ALPHA".into());
            }
            let store = rng.random_range(0..4) == 0;
            if store {
                a.extend(["STORE".into(), "dst".into()]);
            }
            let args: Vec<&str> = a.iter().map(String::as_str).collect();
            let mut check = |args: &[&str]| {
                n += 1;
                let (x, y) = (f.cmd(args), r.cmd(args));
                if x != y {
                    mismatches.push(format!(
                        "{args:?}\n    redis:   {}\n    ferrokv: {}",
                        show(&y),
                        show(&x)
                    ));
                }
            };
            check(&args);
            if store {
                check(&["LRANGE", "dst", "0", "-1"]);
            }
        }
    }
    eprintln!("random SORT: compared {n} replies");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn store_notifications() {
    on_both(|c| {
        if !has(c, "sadd") {
            return;
        }
        c.expect(&["CONFIG", "SET", "notify-keyspace-events", "KEA"], OK);
        c.expect(&["SADD", "t", "b", "a"], int(2));
        let mut sub = RespClient::connect(c.port);
        sub.cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
        c.expect(&["SORT", "t", "ALPHA", "STORE", "d"], int(2));
        c.expect(&["SORT", "nokey", "STORE", "d"], int(0));
        c.expect(&["SORT", "nokey", "STORE", "d"], int(0));
        c.expect(&["HSET", "marker", "x", "1"], int(1));
        let mut events = Vec::new();
        loop {
            let v = sub.read_value();
            let items = v.array();
            let event = String::from_utf8_lossy(items[2].bytes()).into_owned();
            let key = String::from_utf8_lossy(items[3].bytes()).into_owned();
            if key == "marker" {
                break;
            }
            events.push(format!(
                "{}:{key}",
                event.trim_start_matches("__keyevent@0__:")
            ));
        }
        assert_eq!(events, ["sortstore:d", "del:d"], "[{}]", c.name);
    });
}
