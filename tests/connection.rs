//! Connection commands (PING, ECHO, SELECT, AUTH, HELLO, QUIT, RESET, CLIENT ...) and
//! connection handling (back-pressure, maxclients, many connections, idle timeout,
//! half-close), over real TCP with exact reply bytes from redis-server 7.0.15.
//!
//! `FERROKV_TEST_AGAINST_REDIS=1` runs the same tests against a real redis-server.
//! `FERROKV_TEST_CONNS` sets the number of idle connections (default 2000).

mod support_net;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use support_net::*;

const WRONG_ARGS_PING: &[u8] = b"-ERR wrong number of arguments for 'ping' command\r\n";
const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";
const WRONGPASS: &[u8] = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const BAD_NAME: &[u8] =
    b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n";

fn hello_reply(proto: u8, id: i64) -> Vec<u8> {
    let head = if proto == 3 { "%7\r\n" } else { "*14\r\n" };
    format!(
        "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n\
         $5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n\
         $4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
    .into_bytes()
}

#[test]
fn ping_and_echo() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("PING", b"+PONG\r\n");
    c.check("ping hello", b"$5\r\nhello\r\n");
    c.check("PING a b", WRONG_ARGS_PING);
    assert_bytes(&c.cmd(&[b"PING", b""]), b"$0\r\n\r\n", "PING ''");
    c.check("ECHO hi", b"$2\r\nhi\r\n");
    assert_bytes(&c.cmd(&[b"ECHO", b""]), b"$0\r\n\r\n", "ECHO ''");
    c.check(
        "ECHO",
        b"-ERR wrong number of arguments for 'echo' command\r\n",
    );
    c.check(
        "ECHO x y",
        b"-ERR wrong number of arguments for 'echo' command\r\n",
    );
}

#[test]
fn select_switches_database_and_rejects_bad_indexes() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("SET k db0", b"+OK\r\n");
    c.check("SELECT 15", b"+OK\r\n");
    c.check("GET k", b"$-1\r\n");
    c.check("SET k db15", b"+OK\r\n");
    c.check("SELECT 0", b"+OK\r\n");
    c.check("GET k", b"$3\r\ndb0\r\n");
    c.check("SELECT 16", b"-ERR DB index is out of range\r\n");
    c.check("SELECT -1", b"-ERR DB index is out of range\r\n");
    let not_int: &[u8] = b"-ERR value is not an integer or out of range\r\n";
    c.check("SELECT abc", not_int);
    c.check("SELECT 0x1", not_int);
    c.check("SELECT 1.0", not_int);
    c.check("SELECT 99999999999999999999", not_int);
    c.check(
        "SELECT 1 2",
        b"-ERR wrong number of arguments for 'select' command\r\n",
    );
    // A failed SELECT leaves the database unchanged.
    c.check("GET k", b"$3\r\ndb0\r\n");
    // Each connection has its own database.
    let mut d = srv.conn();
    c.check("SELECT 15", b"+OK\r\n");
    d.check("GET k", b"$3\r\ndb0\r\n");
}

#[test]
fn auth_without_a_password_configured() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "AUTH x",
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
    );
    // The default user has nopass: any password works with the two-argument form.
    c.check("AUTH default whatever", b"+OK\r\n");
    c.check("AUTH nobody x", WRONGPASS);
    c.check("AUTH a b c", b"-ERR syntax error\r\n");
    c.check(
        "AUTH",
        b"-ERR wrong number of arguments for 'auth' command\r\n",
    );
    c.check("PING", b"+PONG\r\n");
}

#[test]
fn auth_with_requirepass() {
    let srv = start(&["--requirepass", "secret"]);
    let mut c = srv.conn();
    c.check("PING", NOAUTH);
    c.check("GET x", NOAUTH);
    c.check("CLIENT ID", NOAUTH);
    c.check("SELECT 1", NOAUTH);
    // Unknown commands and arity errors are reported before authentication.
    c.check(
        "FOO",
        b"-ERR unknown command 'FOO', with args beginning with: \r\n",
    );
    c.check(
        "GET",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
    c.check("AUTH wrong", WRONGPASS);
    c.check("AUTH default wrong", WRONGPASS);
    c.check("AUTH nobody secret", WRONGPASS);
    c.check("PING", NOAUTH);
    c.check("AUTH secret", b"+OK\r\n");
    c.check("PING", b"+PONG\r\n");
    // RESET logs the client out again.
    c.check("RESET", b"+RESET\r\n");
    c.check("PING", NOAUTH);
    c.check("AUTH default secret", b"+OK\r\n");
    c.check("PING", b"+PONG\r\n");
    // A wrong password after a good one does not log out.
    c.check("AUTH wrong", WRONGPASS);
    c.check("PING", b"+PONG\r\n");
    // QUIT needs no authentication.
    let mut q = srv.conn();
    q.check("QUIT", b"+OK\r\n");
    q.expect_eof();
}

#[test]
fn hello_versions_and_errors() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let id = int(&c.call("CLIENT ID"));
    c.check("HELLO 1", b"-NOPROTO unsupported protocol version\r\n");
    c.check("HELLO 4", b"-NOPROTO unsupported protocol version\r\n");
    c.check(
        "HELLO abc",
        b"-ERR Protocol version is not an integer or out of range\r\n",
    );
    c.check(
        "HELLO 2 AUTH",
        b"-ERR Syntax error in HELLO option 'AUTH'\r\n",
    );
    c.check(
        "HELLO 2 AUTH default",
        b"-ERR Syntax error in HELLO option 'AUTH'\r\n",
    );
    c.check(
        "HELLO 2 FOO",
        b"-ERR Syntax error in HELLO option 'FOO'\r\n",
    );
    c.check(
        "HELLO 2 SETNAME",
        b"-ERR Syntax error in HELLO option 'SETNAME'\r\n",
    );
    assert_bytes(
        &c.cmd(&[b"HELLO", b"2", b"SETNAME", b"a b"]),
        BAD_NAME,
        "HELLO SETNAME 'a b'",
    );
    c.check("HELLO 2 AUTH a b", WRONGPASS);
    // Without arguments: the current protocol, unchanged.
    assert_bytes(&c.call("HELLO"), &hello_reply(2, id), "HELLO");
    assert_bytes(&c.call("HELLO 3"), &hello_reply(3, id), "HELLO 3");
    assert_bytes(&c.call("HELLO"), &hello_reply(3, id), "HELLO after 3");
    c.check("GET missing", b"_\r\n");
    assert_bytes(
        &c.call("HELLO 2 AUTH default anything SETNAME me"),
        &hello_reply(2, id),
        "HELLO 2 AUTH SETNAME",
    );
    c.check("CLIENT GETNAME", b"$2\r\nme\r\n");
    c.check("GET missing", b"$-1\r\n");
    // Errors leave the protocol as it was.
    c.check("HELLO 3", &hello_reply(3, id));
    c.check("HELLO 4", b"-NOPROTO unsupported protocol version\r\n");
    c.check("GET missing", b"_\r\n");
}

#[test]
fn hello_with_requirepass() {
    let srv = start(&["--requirepass", "secret"]);
    let mut c = srv.conn();
    let noauth_hello: &[u8] = b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n";
    c.check("HELLO 3", noauth_hello);
    c.check("HELLO 2 SETNAME x", noauth_hello);
    c.check("HELLO 3 AUTH default wrong", WRONGPASS);
    c.check("PING", NOAUTH);
    c.send(&enc_line("HELLO 3 AUTH default secret SETNAME me"));
    let r = c.reply();
    assert!(r.starts_with(b"%7\r\n"), "HELLO 3 AUTH: {}", show(&r));
    c.check("CLIENT GETNAME", b"$2\r\nme\r\n");
    c.check("GET missing", b"_\r\n");
}

#[test]
fn quit_replies_ok_then_closes() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("QUIT", b"+OK\r\n");
    c.expect_eof();
    // Extra arguments are accepted; commands pipelined after QUIT do not run.
    let mut c = srv.conn();
    c.send(b"QUIT extra\r\nSET after-quit 1\r\n");
    c.expect(b"+OK\r\n");
    c.expect_eof();
    let mut d = srv.conn();
    d.check("EXISTS after-quit", b":0\r\n");
}

#[test]
fn reset_restores_connection_defaults() {
    let srv = start(&[]);
    let mut c = srv.conn();
    let id = int(&c.call("CLIENT ID"));
    c.check("CLIENT SETNAME x", b"+OK\r\n");
    c.check("SELECT 2", b"+OK\r\n");
    c.call("HELLO 3");
    c.check("RESET", b"+RESET\r\n");
    c.check("CLIENT GETNAME", b"$-1\r\n");
    c.check("SET k v", b"+OK\r\n");
    let mut d = srv.conn();
    d.check("GET k", b"$1\r\nv\r\n");
    let info = bulk_text(&c.call("CLIENT INFO"));
    assert!(info.contains(" db=0 "), "{info}");
    assert!(info.contains(" name= "), "{info}");
    assert!(info.ends_with(" resp=2\n"), "{info}");
    // The connection and its id survive.
    c.check("CLIENT ID", format!(":{id}\r\n").as_bytes());
    c.check(
        "RESET x",
        b"-ERR wrong number of arguments for 'reset' command\r\n",
    );
}

#[test]
fn client_id_getname_setname() {
    let srv = start(&[]);
    let mut a = srv.conn();
    let mut b = srv.conn();
    let ida = int(&a.call("CLIENT ID"));
    let idb = int(&b.call("CLIENT ID"));
    assert!(ida > 0 && idb > ida, "ids {ida} then {idb}");
    a.check(
        "CLIENT ID extra",
        b"-ERR wrong number of arguments for 'client|id' command\r\n",
    );
    a.check("CLIENT GETNAME", b"$-1\r\n");
    a.check("CLIENT SETNAME conn-a", b"+OK\r\n");
    a.check("CLIENT GETNAME", b"$6\r\nconn-a\r\n");
    b.check("CLIENT GETNAME", b"$-1\r\n");
    a.check("CLIENT SETNAME a~b!", b"+OK\r\n");
    a.check("CLIENT GETNAME", b"$4\r\na~b!\r\n");
    for bad in [
        &b"a b"[..],
        b"a\nb",
        b"a\rb",
        b"\xc3\xa9",
        b"a\x00",
        b"\x7f",
        b"tab\t",
    ] {
        assert_bytes(
            &a.cmd(&[b"CLIENT", b"SETNAME", bad]),
            BAD_NAME,
            &format!("SETNAME {}", show(bad)),
        );
    }
    // Invalid names leave the old one.
    a.check("CLIENT GETNAME", b"$4\r\na~b!\r\n");
    // An empty name clears it.
    assert_bytes(
        &a.cmd(&[b"CLIENT", b"SETNAME", b""]),
        b"+OK\r\n",
        "SETNAME ''",
    );
    a.check("CLIENT GETNAME", b"$-1\r\n");
    a.check(
        "CLIENT SETNAME",
        b"-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    a.check(
        "CLIENT SETNAME a b",
        b"-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    a.check(
        "CLIENT GETNAME x",
        b"-ERR wrong number of arguments for 'client|getname' command\r\n",
    );
}

/// Field names of a CLIENT LIST/INFO line, in Redis 7.0's order.
const CLIENT_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end_matches('\n')
        .split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("field {kv}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn client_info_and_list_format() {
    let srv = start(&[]);
    let mut a = srv.conn();
    let ida = int(&a.call("CLIENT ID"));
    a.check("CLIENT SETNAME alpha", b"+OK\r\n");
    a.check("SELECT 3", b"+OK\r\n");
    let info = bulk_text(&a.call("CLIENT INFO"));
    assert!(
        info.ends_with('\n') && info.lines().count() == 1,
        "{info:?}"
    );
    let f = fields(&info);
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, CLIENT_FIELDS, "CLIENT INFO fields: {info}");
    let get = |k: &str| f.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let local = a.stream.local_addr().unwrap();
    assert_eq!(get("id"), ida.to_string());
    assert_eq!(get("addr"), local.to_string());
    assert_eq!(get("laddr"), format!("127.0.0.1:{}", srv.port));
    assert_eq!(get("name"), "alpha");
    assert_eq!(get("db"), "3");
    assert_eq!(get("flags"), "N");
    assert_eq!(get("multi"), "-1");
    assert_eq!(get("cmd"), "client|info");
    assert_eq!(get("user"), "default");
    assert_eq!(get("redir"), "-1");
    assert_eq!(get("resp"), "2");
    assert_eq!(get("events"), "r");
    for k in ["fd", "age", "idle", "qbuf", "omem", "tot-mem"] {
        assert!(get(k).parse::<u64>().is_ok(), "{k}={}", get(k));
    }

    let mut b = srv.conn();
    let idb = int(&b.call("CLIENT ID"));
    let list = bulk_text(&a.call("CLIENT LIST"));
    let ids: Vec<String> = list.lines().map(|l| fields(l)[0].1.clone()).collect();
    assert!(
        ids.contains(&ida.to_string()) && ids.contains(&idb.to_string()),
        "{list}"
    );
    for line in list.lines() {
        let n: Vec<String> = fields(line).into_iter().map(|(k, _)| k).collect();
        assert_eq!(n, CLIENT_FIELDS, "CLIENT LIST line {line}");
    }
    let mine = list
        .lines()
        .find(|l| l.starts_with(&format!("id={ida} ")))
        .unwrap();
    assert!(mine.contains(" cmd=client|list "), "{mine}");
    let by_type = bulk_text(&a.call("CLIENT LIST TYPE normal"));
    assert_eq!(by_type.lines().count(), list.lines().count(), "{by_type}");
    let by_id = bulk_text(&a.call(&format!("CLIENT LIST ID {idb} 999999")));
    assert_eq!(by_id.lines().count(), 1, "{by_id}");
    assert!(by_id.starts_with(&format!("id={idb} ")), "{by_id}");
    a.check("CLIENT LIST TYPE master", b"$0\r\n\r\n");
    a.check("CLIENT LIST TYPE replica", b"$0\r\n\r\n");
    a.check("CLIENT LIST TYPE pubsub", b"$0\r\n\r\n");
    a.check("CLIENT LIST ID 999999", b"$0\r\n\r\n");
}

#[test]
fn client_list_errors() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "CLIENT LIST TYPE foo",
        b"-ERR Unknown client type 'foo'\r\n",
    );
    c.check("CLIENT LIST TYPE", b"-ERR syntax error\r\n");
    c.check("CLIENT LIST ID", b"-ERR syntax error\r\n");
    c.check("CLIENT LIST ID abc", b"-ERR Invalid client ID\r\n");
    c.check("CLIENT LIST foo", b"-ERR syntax error\r\n");
    // ID 0 is a valid (never assigned) id: no clients.
    c.check("CLIENT LIST ID 0", b"$0\r\n\r\n");
}

#[test]
fn client_kill_old_and_new_forms() {
    let srv = start(&[]);
    let mut a = srv.conn();
    let ida = int(&a.call("CLIENT ID"));

    // Old form: CLIENT KILL ip:port replies +OK.
    let mut b = srv.conn();
    b.check("PING", b"+PONG\r\n");
    let baddr = b.stream.local_addr().unwrap().to_string();
    a.check(&format!("CLIENT KILL {baddr}"), b"+OK\r\n");
    b.expect_eof();
    a.check(&format!("CLIENT KILL {baddr}"), b"-ERR No such client\r\n");

    // New form: a count.
    let mut b = srv.conn();
    let idb = int(&b.call("CLIENT ID"));
    a.check(&format!("CLIENT KILL ID {idb}"), b":1\r\n");
    b.expect_eof();
    a.check(&format!("CLIENT KILL ID {idb}"), b":0\r\n");

    let mut b = srv.conn();
    b.check("PING", b"+PONG\r\n");
    let baddr = b.stream.local_addr().unwrap().to_string();
    a.check(&format!("CLIENT KILL ADDR {baddr}"), b":1\r\n");
    b.expect_eof();

    // SKIPME defaults to yes.
    let mut b = srv.conn();
    let mut c = srv.conn();
    b.check("PING", b"+PONG\r\n");
    c.check("PING", b"+PONG\r\n");
    a.check("CLIENT KILL TYPE normal", b":2\r\n");
    b.expect_eof();
    c.expect_eof();
    a.check("PING", b"+PONG\r\n");
    a.check(&format!("CLIENT KILL ID {ida}"), b":0\r\n");
    let aaddr = a.stream.local_addr().unwrap().to_string();
    a.check(&format!("CLIENT KILL ADDR {aaddr}"), b":0\r\n");
    a.check(
        &format!("CLIENT KILL LADDR 127.0.0.1:{}", srv.port),
        b":0\r\n",
    );
    a.check("CLIENT KILL USER default", b":0\r\n");
    a.check(&format!("CLIENT KILL ADDR {aaddr} SKIPME yes"), b":0\r\n");

    // Killing oneself: the reply arrives, then the connection closes.
    a.check(&format!("CLIENT KILL ID {ida} SKIPME no"), b":1\r\n");
    a.expect_eof();
    let mut a = srv.conn();
    let aaddr = a.stream.local_addr().unwrap().to_string();
    a.check(&format!("CLIENT KILL {aaddr}"), b"+OK\r\n");
    a.expect_eof();

    // LADDR matches the server side address.
    let mut a = srv.conn();
    let mut b = srv.conn();
    b.check("PING", b"+PONG\r\n");
    a.check(
        &format!("CLIENT KILL LADDR 127.0.0.1:{}", srv.port),
        b":1\r\n",
    );
    b.expect_eof();
    a.check(
        &format!("CLIENT KILL LADDR 127.0.0.1:{} SKIPME no", srv.port),
        b":1\r\n",
    );
    a.expect_eof();
}

#[test]
fn client_kill_errors() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "CLIENT KILL",
        b"-ERR wrong number of arguments for 'client|kill' command\r\n",
    );
    c.check("CLIENT KILL 1.2.3.4:5", b"-ERR No such client\r\n");
    // Three arguments is the old form, with "ID" as the address.
    c.check("CLIENT KILL ID", b"-ERR No such client\r\n");
    c.check("CLIENT KILL ADDR", b"-ERR No such client\r\n");
    let bad_id: &[u8] = b"-ERR client-id should be greater than 0\r\n";
    c.check("CLIENT KILL ID abc", bad_id);
    c.check("CLIENT KILL ID 0", bad_id);
    c.check("CLIENT KILL ID -1", bad_id);
    c.check("CLIENT KILL ID 999999", b":0\r\n");
    c.check("CLIENT KILL FOO bar", b"-ERR syntax error\r\n");
    c.check("CLIENT KILL SKIPME maybe", b"-ERR syntax error\r\n");
    c.check("CLIENT KILL ADDR x SKIPME", b"-ERR syntax error\r\n");
    c.check("CLIENT KILL MAXAGE 100", b"-ERR syntax error\r\n");
    c.check(
        "CLIENT KILL TYPE foo",
        b"-ERR Unknown client type 'foo'\r\n",
    );
    c.check("CLIENT KILL ADDR 1.2.3.4:5 SKIPME yes", b":0\r\n");
    c.check("CLIENT KILL TYPE normal SKIPME yes", b":0\r\n");
    c.check("CLIENT KILL LADDR 1.2.3.4:5", b":0\r\n");
    c.check("PING", b"+PONG\r\n");
}

#[test]
fn client_kill_unknown_user() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("CLIENT KILL USER nobody", b"-ERR No such user 'nobody'\r\n");
}

#[test]
fn client_reply_on_off_skip() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.send(&enc_line("CLIENT REPLY OFF"));
    c.send(&enc_line("SET k 1"));
    c.send(&enc_line("INCR k"));
    c.send(&enc_line("FOO"));
    c.send(&enc_line("CLIENT REPLY ON"));
    c.expect(b"+OK\r\n");
    c.check("GET k", b"$1\r\n2\r\n");
    c.send(&enc_line("CLIENT REPLY SKIP"));
    c.send(&enc_line("PING skipped"));
    c.send(&enc_line("PING shown"));
    c.expect(b"$5\r\nshown\r\n");
    c.expect_silence(100);
    c.check(
        "CLIENT REPLY",
        b"-ERR wrong number of arguments for 'client|reply' command\r\n",
    );
    c.check("CLIENT REPLY MAYBE", b"-ERR syntax error\r\n");
    c.check(
        "CLIENT REPLY ON extra",
        b"-ERR wrong number of arguments for 'client|reply' command\r\n",
    );
}

#[test]
fn client_no_evict() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("CLIENT NO-EVICT on", b"+OK\r\n");
    let info = bulk_text(&c.call("CLIENT INFO"));
    assert!(
        info.contains(" flags=e "),
        "no-evict shows as flag e: {info}"
    );
    c.check("CLIENT NO-EVICT OFF", b"+OK\r\n");
    let info = bulk_text(&c.call("CLIENT INFO"));
    assert!(info.contains(" flags=N "), "{info}");
    c.check("CLIENT NO-EVICT maybe", b"-ERR syntax error\r\n");
    c.check(
        "CLIENT NO-EVICT",
        b"-ERR wrong number of arguments for 'client|no-evict' command\r\n",
    );
}

#[test]
fn client_help_and_unknown_subcommand() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "CLIENT FOO",
        b"-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n",
    );
    c.check(
        "CLIENT",
        b"-ERR wrong number of arguments for 'client' command\r\n",
    );
    let long = "x".repeat(200);
    c.check(
        &format!("CLIENT {long}"),
        format!(
            "-ERR unknown subcommand '{}'. Try CLIENT HELP.\r\n",
            &long[..128]
        )
        .as_bytes(),
    );
    // HELP: an array of status lines, first and last as Redis; every implemented
    // subcommand documented.
    let help = c.call("CLIENT HELP");
    let text = String::from_utf8_lossy(&help).into_owned();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(lines[0].starts_with('*'), "{text}");
    assert_eq!(
        lines[1],
        "+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(lines[lines.len() - 2], "+    Prints this help.");
    let count: usize = lines[0][1..].parse().unwrap();
    assert_eq!(count, lines.len() - 2, "{text}");
    for sub in [
        "+GETNAME",
        "+ID",
        "+INFO",
        "+KILL <ip:port>",
        "+LIST [options ...]",
        "+NO-EVICT (ON|OFF)",
        "+REPLY (ON|OFF|SKIP)",
        "+SETNAME <name>",
        "+HELP",
    ] {
        assert!(lines.contains(&sub), "CLIENT HELP lacks {sub}: {text}");
    }
}

/// A client that pipelines 200,000 `GET bigkey` (10 KB each, 2 GB of replies) without
/// reading must not make the server buffer its replies: memory stays flat, other clients
/// are served, and every reply still arrives, in order, once it reads.
#[test]
fn unread_replies_do_not_grow_memory() {
    if skip_on_redis("Redis buffers unread replies without limit by default") {
        return;
    }
    let srv = start(&[]);
    let mut other = srv.conn();
    let value = vec![b'v'; 10 * 1024];
    assert_bytes(&other.cmd(&[b"SET", b"bigkey", &value]), b"+OK\r\n", "SET");
    let before = srv.rss();

    let n = 200_000;
    let mut req = Vec::with_capacity(n * 27);
    for i in 0..n {
        if i % 1000 == 0 {
            req.extend(enc_line(&format!("ECHO m{i}")));
        } else {
            req.extend(enc_line("GET bigkey"));
        }
    }
    let mut hog = srv.conn();
    let mut writer = hog.stream.try_clone().unwrap();
    let t = std::thread::spawn(move || writer.write_all(&req).map(|_| ()));

    // For two seconds the hog reads nothing; meanwhile memory must stay flat.
    let mut peak = 0;
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        other.check("PING", b"+PONG\r\n");
        peak = peak.max(srv.rss());
        std::thread::sleep(Duration::from_millis(50));
    }
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 100 * 1024 * 1024,
        "server memory grew by {} MB for a client that does not read",
        grown >> 20
    );

    // Now read everything and check the order.
    let mut get_reply = format!("${}\r\n", value.len()).into_bytes();
    get_reply.extend_from_slice(&value);
    get_reply.extend_from_slice(b"\r\n");
    let mut buf = vec![0u8; get_reply.len()];
    hog.stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    for i in 0..n {
        if i % 1000 == 0 {
            let m = format!("m{i}");
            let want = format!("${}\r\n{m}\r\n", m.len());
            let mut got = vec![0u8; want.len()];
            hog.stream.read_exact(&mut got).unwrap();
            assert_bytes(&got, want.as_bytes(), &format!("reply {i}"));
        } else {
            hog.stream.read_exact(&mut buf).unwrap();
            assert!(buf == get_reply, "reply {i} is not the bigkey value");
        }
    }
    t.join().unwrap().unwrap();
    hog.check("PING", b"+PONG\r\n");
}

#[test]
fn maxclients_rejects_extra_connections() {
    let srv = start(&["--maxclients", "5"]);
    let mut conns: Vec<Conn> = (0..5).map(|_| srv.conn()).collect();
    for c in &mut conns {
        c.check("PING", b"+PONG\r\n");
    }
    let mut sixth = srv.conn();
    sixth.expect(b"-ERR max number of clients reached\r\n");
    sixth.expect_eof();
    let info = bulk_text(&conns[0].call("INFO stats"));
    assert_eq!(
        info_field(&info, "rejected_connections").as_deref(),
        Some("1")
    );
    // Once one leaves, a new client gets in.
    drop(conns.pop());
    let ok = wait_until(10, || {
        let mut c = srv.conn();
        c.send(b"PING\r\n");
        c.try_reply(Duration::from_secs(5)).as_deref() == Ok(b"+PONG\r\n")
    });
    assert!(ok, "no room for a new client after one disconnected");
}

/// Raise this process's open-files limit to its hard limit (both ends of every
/// connection live here when the server is in process).
fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur
    }
}

#[test]
fn many_idle_connections_all_served() {
    let n = env_knob("FERROKV_TEST_CONNS", 2000);
    let limit = raise_fd_limit();
    assert!(
        limit as usize > 2 * n + 100,
        "open-files limit {limit} too low for {n} connections; lower FERROKV_TEST_CONNS"
    );
    let srv = start(&[]);
    let mut conns = Vec::with_capacity(n);
    // Connect in batches, each checked, so the listen backlog never overflows.
    while conns.len() < n {
        let batch = (n - conns.len()).min(100);
        let mut fresh: Vec<Conn> = (0..batch).map(|_| srv.conn()).collect();
        for c in &mut fresh {
            c.send(b"PING\r\n");
        }
        for c in &mut fresh {
            c.expect(b"+PONG\r\n");
        }
        conns.extend(fresh);
    }
    let mut admin = srv.conn();
    let info = bulk_text(&admin.call("INFO clients"));
    let connected: usize = info_field(&info, "connected_clients")
        .unwrap()
        .parse()
        .unwrap();
    assert!(connected > n, "connected_clients={connected}, opened {n}");
    // Everyone at once: write to all, then read all.
    for (i, c) in conns.iter_mut().enumerate() {
        c.send(&enc_line(&format!("ECHO c{i}")));
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let m = format!("c{i}");
        c.expect(format!("${}\r\n{m}\r\n", m.len()).as_bytes());
    }
}

#[test]
fn idle_clients_time_out() {
    let srv = start(&["--timeout", "2"]);
    let mut idle = srv.conn();
    idle.check("PING", b"+PONG\r\n");
    let mut busy = srv.conn();
    let started = Instant::now();
    // The busy client talks every 200 ms for 4 s: it must stay connected.
    while started.elapsed() < Duration::from_secs(4) {
        busy.check("PING", b"+PONG\r\n");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        idle.closed_within(Duration::from_secs(15)),
        "idle client not disconnected by --timeout 2"
    );
    busy.check("PING", b"+PONG\r\n");
}

#[test]
fn no_timeout_by_default() {
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check("PING", b"+PONG\r\n");
    c.expect_silence(2500);
    c.check("PING", b"+PONG\r\n");
}

/// A client that sends its requests and then shuts down its write side still gets every
/// reply before the server closes.
#[test]
fn half_closed_client_gets_its_replies() {
    let srv = start(&[]);
    for n in [1usize, 50, 5000] {
        let mut c = srv.conn();
        let mut req = Vec::new();
        let mut want = Vec::new();
        for i in 0..n {
            req.extend(enc_line(&format!("ECHO h{i}")));
            let m = format!("h{i}");
            want.extend(format!("${}\r\n{m}\r\n", m.len()).into_bytes());
        }
        c.send(&req);
        c.shutdown_write();
        c.expect(&want);
        c.expect_eof();
    }
}

/// The listening sockets use Redis's `tcp-backlog` (511). With the 128 of Rust's and mio's
/// default, a burst of connections beyond what one loop iteration accepts overflows the
/// queue and those clients wait a full second for the SYN retransmit.
#[test]
fn listen_backlog_is_tcp_backlog() {
    let Some(ss) = which("ss") else {
        eprintln!("NOTICE: `ss` (iproute2) not found; cannot read the listen backlog");
        return;
    };
    let srv = start(&[]);
    let mut c = srv.conn();
    c.check(
        "CONFIG GET tcp-backlog",
        b"*2\r\n$11\r\ntcp-backlog\r\n$3\r\n511\r\n",
    );
    let out = std::process::Command::new(ss)
        .args(["-Hltn", &format!("sport = :{}", srv.port)])
        .output()
        .expect("run ss");
    let text = String::from_utf8_lossy(&out.stdout);
    let backlogs: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert!(
        !backlogs.is_empty(),
        "no listening socket in `ss` output: {text}"
    );
    for b in backlogs {
        assert_eq!(
            b, "511",
            "listen backlog (Send-Q of a LISTEN socket): {text}"
        );
    }
}
