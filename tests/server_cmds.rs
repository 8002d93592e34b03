//! Server commands over real TCP: INFO, DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, TIME, COMMAND,
//! CONFIG, DEBUG, SHUTDOWN and the unknown-command error, with exact replies from
//! redis-server 7.0.15.
//!
//! `FERROKV_TEST_AGAINST_REDIS=1` runs the same tests against a real redis-server.

mod support_net;

use std::collections::BTreeSet;
use std::time::Duration;

use support_net::*;

fn sections(info: &str) -> Vec<String> {
    info.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

const DEFAULT_SECTIONS: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Errorstats",
    "Cluster",
    "Keyspace",
];

#[test]
fn info_default_sections_in_redis_order() {
    let srv = start(&[]);
    let mut c = srv.conn();
    for cmd in ["INFO", "INFO default"] {
        let info = bulk_text(&c.call(cmd));
        assert_eq!(sections(&info), DEFAULT_SECTIONS, "{cmd}");
        // Each section ends with an empty line; the text ends with CRLF.
        assert!(info.ends_with("\r\n"), "{cmd}");
        assert!(!info.contains("\r\n\r\n\r\n"), "{cmd}");
    }
}

/// `INFO all`/`everything` add Commandstats (after Modules) and Latencystats (after
/// Errorstats); Keyspace stays last. Latencystats is not required here, only the order of
/// the sections that are present.
#[test]
fn info_all_sections_in_redis_order() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let redis_order = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Commandstats",
        "Errorstats",
        "Latencystats",
        "Cluster",
        "Keyspace",
    ];
    for cmd in ["INFO all", "INFO everything"] {
        let got = sections(&bulk_text(&c.call(cmd)));
        let expected: Vec<String> = redis_order
            .iter()
            .filter(|s| **s != "Latencystats" || got.iter().any(|g| g == "Latencystats"))
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, expected, "{cmd}");
    }
}

#[test]
fn info_selected_sections() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let info = bulk_text(&c.call("INFO server clients"));
    assert_eq!(sections(&info), ["Server", "Clients"]);
    let info = bulk_text(&c.call("INFO SERVER"));
    assert_eq!(sections(&info), ["Server"]);
    assert_eq!(
        info_field(&info, "redis_version").as_deref(),
        Some("7.0.15")
    );
    assert_eq!(
        info_field(&info, "redis_mode").as_deref(),
        Some("standalone")
    );
    assert_eq!(
        info_field(&info, "tcp_port"),
        Some(srv.port.to_string()),
        "{info}"
    );
    let run_id = info_field(&info, "run_id").unwrap();
    assert!(
        run_id.len() == 40 && run_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{run_id}"
    );
    for f in ["process_id", "uptime_in_seconds", "hz", "server_time_usec"] {
        let v = info_field(&info, f).unwrap_or_else(|| panic!("no {f}: {info}"));
        assert!(v.parse::<u64>().is_ok(), "{f}={v}");
    }
    if !against_redis() {
        let own = info_field(&info, "ferrokv_version").expect("ferrokv's version field");
        assert_eq!(own, env!("CARGO_PKG_VERSION"));
    }
    c.check("INFO foo", b"$0\r\n\r\n");
    let info = bulk_text(&c.call("INFO cpu"));
    assert_eq!(sections(&info), ["CPU"]);
    let mut info = String::new();
    let alone = wait_until(10, || {
        info = bulk_text(&c.call("INFO clients"));
        info_field(&info, "connected_clients").as_deref() == Some("1")
    });
    assert!(alone, "{info}");
    assert_eq!(info_field(&info, "maxclients").as_deref(), Some("10000"));
}

#[test]
fn info_keyspace_lines() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("INFO keyspace", b"$12\r\n# Keyspace\r\n\r\n");
    c.check("SET k v", b"+OK\r\n");
    c.check(
        "INFO keyspace",
        b"$44\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n",
    );
    c.check("SELECT 3", b"+OK\r\n");
    c.check("SET a 1", b"+OK\r\n");
    c.check("SET b 1 EX 100", b"+OK\r\n");
    let info = bulk_text(&c.call("INFO keyspace"));
    let lines: Vec<&str> = info.lines().collect();
    assert_eq!(lines[1], "db0:keys=1,expires=0,avg_ttl=0", "{info}");
    assert!(
        lines[2].starts_with("db3:keys=2,expires=1,avg_ttl="),
        "{info}"
    );
    c.check("FLUSHALL", b"+OK\r\n");
    c.check("INFO keyspace", b"$12\r\n# Keyspace\r\n\r\n");
}

/// avg_ttl is an estimate that the expiry cycle keeps up to date: with a key of 100 s TTL
/// it becomes a positive number of milliseconds up to 100000.
#[test]
fn info_keyspace_avg_ttl_is_estimated() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("SET t 1 EX 100", b"+OK\r\n");
    let mut last = String::new();
    let ok = wait_until(10, || {
        let info = bulk_text(&c.call("INFO keyspace"));
        last = info_field(&info, "db0").unwrap_or_default();
        let avg: i64 = last
            .rsplit("avg_ttl=")
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        avg > 0 && avg <= 100_000
    });
    assert!(ok, "avg_ttl never estimated: {last}");
}

#[test]
fn info_stats_commandstats_errorstats() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("CONFIG RESETSTAT", b"+OK\r\n");
    c.check("SET a b", b"+OK\r\n");
    c.check("GET a", b"$1\r\nb\r\n");
    c.check("GET missing", b"$-1\r\n");
    c.check(
        "GET",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
    c.check(
        "FOO",
        b"-ERR unknown command 'FOO', with args beginning with: \r\n",
    );
    c.check(
        "INCR a",
        b"-ERR value is not an integer or out of range\r\n",
    );
    let stats = bulk_text(&c.call("INFO stats"));
    assert_eq!(info_field(&stats, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_field(&stats, "keyspace_misses").as_deref(), Some("1"));
    assert_eq!(
        info_field(&stats, "total_error_replies").as_deref(),
        Some("3")
    );
    // CONFIG RESETSTAT, SET, GET, GET, INCR (the rejected ones do not count).
    assert_eq!(
        info_field(&stats, "total_commands_processed").as_deref(),
        Some("5")
    );

    let cs = bulk_text(&c.call("INFO commandstats"));
    let calls = |name: &str| -> String {
        let v = info_field(&cs, &format!("cmdstat_{name}"))
            .unwrap_or_else(|| panic!("no cmdstat_{name} in {cs}"));
        // Drop usec fields, which vary.
        v.split(',')
            .filter(|kv| !kv.starts_with("usec"))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(calls("set"), "calls=1,rejected_calls=0,failed_calls=0");
    assert_eq!(calls("get"), "calls=2,rejected_calls=1,failed_calls=0");
    assert_eq!(calls("incr"), "calls=1,rejected_calls=0,failed_calls=1");
    assert_eq!(
        calls("config|resetstat"),
        "calls=1,rejected_calls=0,failed_calls=0"
    );
    let es = bulk_text(&c.call("INFO errorstats"));
    assert_eq!(es, "# Errorstats\r\nerrorstat_ERR:count=3\r\n");
}

#[test]
fn dbsize_flushdb_flushall() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("DBSIZE", b":0\r\n");
    c.check("MSET a 1 b 2 c 3", b"+OK\r\n");
    c.check("DBSIZE", b":3\r\n");
    c.check(
        "DBSIZE x",
        b"-ERR wrong number of arguments for 'dbsize' command\r\n",
    );
    c.check("SELECT 1", b"+OK\r\n");
    c.check("SET x 1", b"+OK\r\n");
    c.check("FLUSHDB", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");
    c.check("SELECT 0", b"+OK\r\n");
    c.check("DBSIZE", b":3\r\n");
    c.check("FLUSHDB foo", b"-ERR syntax error\r\n");
    c.check("FLUSHDB ASYNC SYNC", b"-ERR syntax error\r\n");
    c.check("DBSIZE", b":3\r\n");
    c.check("FLUSHDB ASYNC", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");
    c.check("SET a 1", b"+OK\r\n");
    c.check("FLUSHDB sync", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");

    c.check("SET a 1", b"+OK\r\n");
    c.check("SELECT 5", b"+OK\r\n");
    c.check("SET b 1", b"+OK\r\n");
    c.check("FLUSHALL foo", b"-ERR syntax error\r\n");
    c.check("DBSIZE", b":1\r\n");
    c.check("FLUSHALL", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");
    c.check("SELECT 0", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");
    c.check("SET a 1", b"+OK\r\n");
    c.check("FLUSHALL ASYNC", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");
    c.check("SET a 1", b"+OK\r\n");
    c.check("FLUSHALL SYNC", b"+OK\r\n");
    c.check("DBSIZE", b":0\r\n");
}

#[test]
fn swapdb_swaps_and_rejects_bad_indexes() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let mut other = srv.conn();
    c.check("SET k zero", b"+OK\r\n");
    other.check("SELECT 1", b"+OK\r\n");
    c.check("SWAPDB 0 1", b"+OK\r\n");
    // A client on db 1 sees the swapped data at once.
    other.check("GET k", b"$4\r\nzero\r\n");
    c.check("GET k", b"$-1\r\n");
    c.check("SWAPDB 1 0", b"+OK\r\n");
    c.check("GET k", b"$4\r\nzero\r\n");
    c.check("SWAPDB 0 0", b"+OK\r\n");
    c.check("GET k", b"$4\r\nzero\r\n");
    c.check(
        "SWAPDB",
        b"-ERR wrong number of arguments for 'swapdb' command\r\n",
    );
    c.check(
        "SWAPDB 0",
        b"-ERR wrong number of arguments for 'swapdb' command\r\n",
    );
    c.check("SWAPDB 0 16", b"-ERR DB index is out of range\r\n");
    c.check("SWAPDB -1 0", b"-ERR DB index is out of range\r\n");
    c.check("SWAPDB a 1", b"-ERR invalid first DB index\r\n");
    c.check("SWAPDB 0 b", b"-ERR invalid second DB index\r\n");
    c.check("SWAPDB 1.5 0", b"-ERR invalid first DB index\r\n");
}

#[test]
fn time_reply() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = c.call("TIME");
    let parts = bulks(&r);
    assert_eq!(parts.len(), 2, "{}", show(&r));
    let secs: u64 = String::from_utf8_lossy(&parts[0]).parse().unwrap();
    let micros: u64 = String::from_utf8_lossy(&parts[1]).parse().unwrap();
    assert!(secs >= before && secs <= before + 60, "{secs} vs {before}");
    assert!(micros < 1_000_000, "{micros}");
    c.check(
        "TIME x",
        b"-ERR wrong number of arguments for 'time' command\r\n",
    );
}

// ---------------------------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------------------------

fn count_of(reply: &[u8]) -> usize {
    let nl = reply.windows(2).position(|w| w == b"\r\n").unwrap();
    std::str::from_utf8(&reply[1..nl]).unwrap().parse().unwrap()
}

#[test]
fn command_count_list_and_info_agree() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let n = int(&c.call("COMMAND COUNT")) as usize;
    assert!(n >= 50, "COMMAND COUNT {n}");
    let list = bulks(&c.call("COMMAND LIST"));
    let names: BTreeSet<Vec<u8>> = list.iter().cloned().collect();
    assert_eq!(names.len(), list.len(), "duplicates in COMMAND LIST");
    // COMMAND LIST also names subcommands (`config|get`); COUNT counts only commands.
    let top = names.iter().filter(|n| !n.contains(&b'|')).count();
    assert_eq!(top, n, "top-level names in COMMAND LIST vs COMMAND COUNT");
    for needed in [
        "get", "set", "ping", "command", "config", "client", "info", "hello",
    ] {
        assert!(
            names.contains(needed.as_bytes()),
            "COMMAND LIST lacks {needed}"
        );
    }
    assert_eq!(count_of(&c.call("COMMAND INFO")), n);
    assert_eq!(count_of(&c.call("COMMAND")), n);
    c.check(
        "COMMAND COUNT x",
        b"-ERR wrong number of arguments for 'command|count' command\r\n",
    );
    c.check(
        "COMMAND FOO",
        b"-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n",
    );
}

const INFO_GET: &str = "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
const INFO_SET: &str = "*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$48\r\nRW and ACCESS due to the optional `GET` argument\r\n$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

#[test]
#[ignore = "key-spec flags and notes per command are not modelled yet (COMMAND INFO has them empty)"]
fn command_info_get_and_set_exact() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("COMMAND INFO get", format!("*1\r\n{INFO_GET}").as_bytes());
    c.check(
        "COMMAND INFO GET set",
        format!("*2\r\n{INFO_GET}{INFO_SET}").as_bytes(),
    );
}

#[test]
fn command_info_of_unknown_command_is_null_bulk() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("COMMAND INFO nosuch", b"*1\r\n$-1\r\n");
}

#[test]
fn command_info_subcommand() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "COMMAND INFO config|get",
        b"*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n",
    );
}

#[test]
fn command_list_includes_subcommands() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let names: BTreeSet<Vec<u8>> = bulks(&c.call("COMMAND LIST")).into_iter().collect();
    for sub in [
        "config|get",
        "config|set",
        "client|list",
        "client|kill",
        "command|info",
    ] {
        assert!(names.contains(sub.as_bytes()), "COMMAND LIST lacks {sub}");
    }
    let config: BTreeSet<Vec<u8>> = bulks(&c.call("COMMAND LIST FILTERBY PATTERN config*"))
        .into_iter()
        .collect();
    let want: BTreeSet<Vec<u8>> = [
        "config",
        "config|get",
        "config|set",
        "config|help",
        "config|rewrite",
        "config|resetstat",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    assert_eq!(config, want);
}

#[test]
fn command_list_filterby() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let got: BTreeSet<Vec<u8>> = bulks(&c.call("COMMAND LIST FILTERBY PATTERN get*"))
        .into_iter()
        .collect();
    for name in ["get", "getset", "getdel", "getex", "getrange"] {
        assert!(
            got.contains(name.as_bytes()),
            "FILTERBY PATTERN get* lacks {name}"
        );
    }
    assert!(got.iter().all(|n| n.starts_with(b"get")), "{got:?}");
    c.check("COMMAND LIST FILTERBY PATTERN GET", b"*1\r\n$3\r\nget\r\n");
    c.check("COMMAND LIST FILTERBY PATTERN nosuch*", b"*0\r\n");
    let strings: BTreeSet<Vec<u8>> = bulks(&c.call("COMMAND LIST FILTERBY ACLCAT string"))
        .into_iter()
        .collect();
    for name in ["get", "set", "append", "incr", "mset", "lcs"] {
        assert!(
            strings.contains(name.as_bytes()),
            "ACLCAT string lacks {name}"
        );
    }
    assert!(!strings.contains(&b"del"[..]), "{strings:?}");
    c.check("COMMAND LIST FILTERBY ACLCAT nosuch", b"*0\r\n");
    c.check("COMMAND LIST FILTERBY MODULE x", b"*0\r\n");
    c.check("COMMAND LIST FILTERBY", b"-ERR syntax error\r\n");
    c.check("COMMAND LIST FILTERBY foo bar", b"-ERR syntax error\r\n");
    c.check("COMMAND LIST foo", b"-ERR syntax error\r\n");
}

#[test]
fn command_getkeys() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "COMMAND GETKEYS mset a 1 b 2",
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    c.check("COMMAND GETKEYS GET a", b"*1\r\n$1\r\na\r\n");
    c.check("COMMAND GETKEYS set a b", b"*1\r\n$1\r\na\r\n");
    c.check(
        "COMMAND GETKEYS del a b c",
        b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    c.check(
        "COMMAND GETKEYS nosuch a",
        b"-ERR Invalid command specified\r\n",
    );
    c.check(
        "COMMAND GETKEYS mset a",
        b"-ERR Invalid number of arguments specified for command\r\n",
    );
    c.check(
        "COMMAND GETKEYS get a b",
        b"-ERR Invalid number of arguments specified for command\r\n",
    );
    c.check(
        "COMMAND GETKEYS config get x",
        b"-ERR The command has no key arguments\r\n",
    );
    c.check(
        "COMMAND GETKEYS",
        b"-ERR wrong number of arguments for 'command|getkeys' command\r\n",
    );
}

/// COMMAND GETKEYS needs at least the command and one argument (arity -4 in 7.0).
#[test]
fn command_getkeys_arity() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let wrong: &[u8] = b"-ERR wrong number of arguments for 'command|getkeys' command\r\n";
    c.check("COMMAND GETKEYS get", wrong);
    c.check("COMMAND GETKEYS ping", wrong);
}

#[test]
#[ignore = "COMMAND DOCS lacks per-command summary/since/complexity/arguments metadata yet"]
fn command_docs() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("COMMAND DOCS nosuch", b"*0\r\n");
    c.check(
        "COMMAND DOCS get",
        b"*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n",
    );
    // Without names: every command, as name/doc pairs.
    let all = c.call("COMMAND DOCS");
    let n = int(&c.call("COMMAND COUNT")) as usize;
    assert_eq!(count_of(&all), 2 * n);
}

#[test]
fn command_help() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let help = String::from_utf8(c.call("COMMAND HELP")).unwrap();
    let lines: Vec<&str> = help.split("\r\n").collect();
    assert_eq!(
        lines[1],
        "+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    for l in [
        "+COUNT",
        "+LIST",
        "+INFO [<command-name> ...]",
        "+DOCS [<command-name> ...]",
        "+GETKEYS <full-command>",
        "+HELP",
    ] {
        assert!(lines.contains(&l), "COMMAND HELP lacks {l}: {help}");
    }
    assert_eq!(lines[lines.len() - 2], "+    Prints this help.");
}

// ---------------------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------------------

fn pairs(reply: &[u8]) -> BTreeSet<(String, String)> {
    bulks(reply)
        .chunks(2)
        .map(|p| {
            (
                String::from_utf8_lossy(&p[0]).into_owned(),
                String::from_utf8_lossy(&p[1]).into_owned(),
            )
        })
        .collect()
}

fn set_of(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn config_get_patterns() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "CONFIG GET maxmemory",
        b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
    );
    // A name without glob characters is echoed as typed.
    c.check(
        "CONFIG GET MAXMEMORY",
        b"*2\r\n$9\r\nMAXMEMORY\r\n$1\r\n0\r\n",
    );
    c.check("CONFIG GET nonexistent", b"*0\r\n");
    c.check(
        "CONFIG GET tcp-backlog",
        b"*2\r\n$11\r\ntcp-backlog\r\n$3\r\n511\r\n",
    );
    c.check(
        "CONFIG GET databases",
        b"*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n",
    );
    // Several patterns; the order is unspecified (Redis's is its hash table's).
    assert_eq!(
        pairs(&c.call("CONFIG GET maxmemory hz")),
        set_of(&[("maxmemory", "0"), ("hz", "10")])
    );
    // A parameter matched twice is listed once.
    c.check("CONFIG GET hz hz", b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    c.check("CONFIG GET hz h?", b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    assert_eq!(
        pairs(&c.call("CONFIG GET maxmemory*")),
        set_of(&[
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("maxmemory-samples", "5"),
            ("maxmemory-clients", "0"),
            ("maxmemory-eviction-tenacity", "10"),
        ])
    );
    assert_eq!(
        pairs(&c.call("CONFIG GET *max-*-entries* maxmemory")),
        set_of(&[
            ("set-max-intset-entries", "512"),
            ("hash-max-listpack-entries", "512"),
            ("hash-max-ziplist-entries", "512"),
            ("zset-max-listpack-entries", "128"),
            ("zset-max-ziplist-entries", "128"),
            ("maxmemory", "0"),
        ])
    );
    c.check(
        "CONFIG GET",
        b"-ERR wrong number of arguments for 'config|get' command\r\n",
    );
}

#[test]
fn config_set_and_errors() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("CONFIG SET maxmemory 10mb", b"+OK\r\n");
    c.check(
        "CONFIG GET maxmemory",
        b"*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n",
    );
    c.check("CONFIG SET Maxmemory 7mb", b"+OK\r\n");
    c.check(
        "CONFIG GET maxmemory",
        b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n7340032\r\n",
    );
    // Several pairs at once.
    c.check("CONFIG SET maxmemory 0 hz 20", b"+OK\r\n");
    assert_eq!(
        pairs(&c.call("CONFIG GET maxmemory hz")),
        set_of(&[("maxmemory", "0"), ("hz", "20")])
    );
    let cases: &[(&str, &str)] = &[
        (
            "CONFIG SET maxmemory abc",
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n",
        ),
        (
            "CONFIG SET maxmemory -1",
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value\r\n",
        ),
        (
            "CONFIG SET foo bar",
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n",
        ),
        (
            "CONFIG SET hz 10 foo bar",
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n",
        ),
        (
            "CONFIG SET maxmemory 0 maxmemory 1",
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter\r\n",
        ),
        (
            "CONFIG SET maxmemory 5mb MAXMEMORY 6mb",
            "-ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter\r\n",
        ),
        (
            "CONFIG SET daemonize yes",
            "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n",
        ),
        (
            "CONFIG SET databases 5",
            "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n",
        ),
        (
            "CONFIG SET port abc",
            "-ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer\r\n",
        ),
        (
            "CONFIG SET maxmemory-policy foo",
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n",
        ),
        (
            "CONFIG SET loglevel foo",
            "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning\r\n",
        ),
        (
            "CONFIG SET timeout -1",
            "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive\r\n",
        ),
        (
            "CONFIG SET maxclients 0",
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive\r\n",
        ),
        (
            "CONFIG SET",
            "-ERR wrong number of arguments for 'config|set' command\r\n",
        ),
        (
            "CONFIG SET maxmemory",
            "-ERR wrong number of arguments for 'config|set' command\r\n",
        ),
    ];
    for (cmd, want) in cases {
        c.check(cmd, want.as_bytes());
    }
    // An empty value.
    assert_bytes(
        &c.cmd(&[b"CONFIG", b"SET", b"save", b""]),
        b"+OK\r\n",
        "CONFIG SET save ''",
    );
    c.check("CONFIG GET save", b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
}

/// An odd number of name/value arguments (past the arity check) is a syntax error.
#[test]
fn config_set_odd_arguments_is_syntax_error() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("CONFIG SET maxmemory 1 hz", b"-ERR syntax error\r\n");
}

/// A multi-pair CONFIG SET that fails on one pair changes nothing.
#[test]
fn config_set_is_all_or_nothing() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "CONFIG SET maxmemory 5mb hz abc",
        b"-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n",
    );
    c.check(
        "CONFIG GET maxmemory",
        b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n",
    );
    c.check("CONFIG GET hz", b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
}

#[test]
fn config_resetstat_and_help() {
    let srv = start(&[]);
    let mut c = srv.conn();
    for _ in 0..5 {
        c.check("PING", b"+PONG\r\n");
    }
    c.check(
        "FOO",
        b"-ERR unknown command 'FOO', with args beginning with: \r\n",
    );
    c.check("CONFIG RESETSTAT", b"+OK\r\n");
    let stats = bulk_text(&c.call("INFO stats"));
    // Only CONFIG RESETSTAT itself since the reset (INFO counts after its reply).
    assert_eq!(
        info_field(&stats, "total_commands_processed").as_deref(),
        Some("1"),
        "{stats}"
    );
    assert_eq!(
        info_field(&stats, "total_error_replies").as_deref(),
        Some("0")
    );
    let cs = bulk_text(&c.call("INFO commandstats"));
    assert!(!cs.contains("cmdstat_ping"), "{cs}");
    c.check(
        "CONFIG RESETSTAT x",
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n",
    );
    c.check(
        "CONFIG HELP",
        b"*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n+    Return parameters matching the glob-like <pattern> and their values.\r\n+SET <directive> <value>\r\n+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n+    Reset statistics reported by the INFO command.\r\n+REWRITE\r\n+    Rewrite the configuration file.\r\n+HELP\r\n+    Prints this help.\r\n",
    );
    c.check(
        "CONFIG REWRITE",
        b"-ERR The server is running without a config file\r\n",
    );
    c.check(
        "CONFIG FOO",
        b"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n",
    );
    c.check(
        "CONFIG",
        b"-ERR wrong number of arguments for 'config' command\r\n",
    );
}

// ---------------------------------------------------------------------------------------
// DEBUG, SHUTDOWN, unknown commands
// ---------------------------------------------------------------------------------------

const DEBUG_DISABLED: &[u8] = b"-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";

#[test]
fn debug_disabled_replies_at_once() {
    let srv = start(&[]);
    let mut c = srv.conn();
    for cmd in [
        "DEBUG LOG hello",
        "DEBUG foo",
        "DEBUG HELP",
        "DEBUG SLEEP 0",
    ] {
        c.send(&enc_line(cmd));
        let r = c
            .try_reply(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{cmd}: no prompt reply ({e:?})"));
        assert_bytes(&r, DEBUG_DISABLED, cmd);
    }
    c.check(
        "DEBUG",
        b"-ERR wrong number of arguments for 'debug' command\r\n",
    );
}

#[test]
fn shutdown_stops_the_server() {
    let mut srv = start(&[]);
    let mut idle = srv.conn();
    idle.check("PING", b"+PONG\r\n");
    let mut c = srv.conn();
    c.send(&enc_line("SHUTDOWN NOSAVE"));
    // No reply: the connection just closes.
    c.expect_eof();
    assert!(
        idle.closed_within(Duration::from_secs(10)),
        "other clients stay connected after SHUTDOWN"
    );
    let stopped = wait_until(10, || srv.stopped());
    assert!(stopped, "server still running after SHUTDOWN");
    let refused = wait_until(10, || {
        std::net::TcpStream::connect(("127.0.0.1", srv.port)).is_err()
    });
    assert!(refused, "server still accepts connections after SHUTDOWN");
}

#[test]
fn shutdown_bad_options_do_not_stop_the_server() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("SHUTDOWN foo", b"-ERR syntax error\r\n");
    c.check("SHUTDOWN NOW foo", b"-ERR syntax error\r\n");
    c.check("SHUTDOWN ABORT", b"-ERR No shutdown in progress.\r\n");
    c.check("PING", b"+PONG\r\n");
}

/// NOSAVE with SAVE, and ABORT with any other flag, are syntax errors.
#[test]
fn shutdown_conflicting_flags_are_syntax_errors() {
    let srv = start(&[]);
    let mut c = srv.conn();
    for cmd in ["SHUTDOWN NOSAVE SAVE", "SHUTDOWN ABORT NOW"] {
        c.send(&enc_line(cmd));
        match c.try_reply(Duration::from_secs(10)) {
            Ok(r) => assert_bytes(&r, b"-ERR syntax error\r\n", cmd),
            Err(e) => panic!("{cmd}: the server shut down ({e:?}) instead of a syntax error"),
        }
    }
    c.check("PING", b"+PONG\r\n");
}

#[test]
fn unknown_command_error_text() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "FOO",
        b"-ERR unknown command 'FOO', with args beginning with: \r\n",
    );
    c.check(
        "foo a b",
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n",
    );
    // The argument list stops once it reaches 128 characters, cutting the last one.
    let args: Vec<String> = (0..40).map(|i| format!("arg{i}")).collect();
    c.check(
        &format!("FOO {}", args.join(" ")),
        b"-ERR unknown command 'FOO', with args beginning with: 'arg0' 'arg1' 'arg2' 'arg3' 'arg4' 'arg5' 'arg6' 'arg7' 'arg8' 'arg9' 'arg10' 'arg11' 'arg12' 'arg13' 'arg14' 'arg15' 'arg16' 'ar' \r\n",
    );
    let long = "a".repeat(200);
    c.check(
        &format!("FOO {long} b"),
        format!(
            "-ERR unknown command 'FOO', with args beginning with: '{}' \r\n",
            &long[..128]
        )
        .as_bytes(),
    );
    c.check(
        &format!("FOO {} yyyyyyyyyyyyyyy", "x".repeat(120)),
        format!(
            "-ERR unknown command 'FOO', with args beginning with: '{}' 'yyyyy' \r\n",
            "x".repeat(120)
        )
        .as_bytes(),
    );
    // The name is cut at 128 bytes too.
    let name = "F".repeat(200);
    c.check(
        &name,
        format!(
            "-ERR unknown command '{}', with args beginning with: \r\n",
            &name[..128]
        )
        .as_bytes(),
    );
    // Printed like C strings: a NUL ends them; CR and LF become spaces.
    assert_bytes(
        &c.cmd(&[b"FO\x00O", b"a\x00b"]),
        b"-ERR unknown command 'FO', with args beginning with: 'a' \r\n",
        "NUL in name",
    );
    assert_bytes(
        &c.cmd(&[b"FOO", b"a\r\nb"]),
        b"-ERR unknown command 'FOO', with args beginning with: 'a  b' \r\n",
        "CRLF in arg",
    );
    c.check("PING", b"+PONG\r\n");
}
