//! MULTI/EXEC/DISCARD/WATCH/UNWATCH over TCP, each test run against ferrokv and then
//! against a real Redis 7.0 (when installed) with the same expected bytes.

mod common;

use common::{RespClient, on_both};

fn second(c: &RespClient) -> RespClient {
    RespClient::connect(c.port)
}

#[test]
fn queue_exec_and_runtime_errors_do_not_roll_back() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["SET", "a", "1"], "+QUEUED\r\n");
        c.expect(&["INCR", "a"], "+QUEUED\r\n");
        c.expect(&["APPEND", "a", "x"], "+QUEUED\r\n");
        c.expect(&["INCR", "a"], "+QUEUED\r\n");
        c.expect(&["SET", "b", "2"], "+QUEUED\r\n");
        c.expect(
            &["EXEC"],
            "*5\r\n+OK\r\n:2\r\n:2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n",
        );
        c.expect(&["GET", "a"], "$2\r\n2x\r\n");
        c.expect(&["GET", "b"], "$1\r\n2\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "*0\r\n");
    });
}

#[test]
fn queue_time_errors_abort_exec() {
    on_both(|c| {
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["MULTI"], "-ERR MULTI calls can not be nested\r\n");
        c.expect(
            &["WATCH", "x"],
            "-ERR WATCH inside MULTI is not allowed\r\n",
        );
        c.expect(&["SET", "a", "1"], "+QUEUED\r\n");
        c.expect(
            &["GET"],
            "-ERR wrong number of arguments for 'get' command\r\n",
        );
        c.expect(
            &["NOSUCHCMD"],
            "-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n",
        );
        c.expect(
            &["EXEC"],
            "-EXECABORT Transaction discarded because of previous errors.\r\n",
        );
        c.expect(&["EXISTS", "a"], ":0\r\n");
        c.expect(&["EXEC"], "-ERR EXEC without MULTI\r\n");
        c.expect(&["DISCARD"], "-ERR DISCARD without MULTI\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["SET", "a", "1"], "+QUEUED\r\n");
        c.expect(&["DISCARD"], "+OK\r\n");
        c.expect(&["EXISTS", "a"], ":0\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(
            &["EXEC", "extra"],
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n",
        );
        c.expect(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    });
}

#[test]
fn watch_detects_writes_from_another_connection() {
    on_both(|c| {
        let mut other = second(c);
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["SET", "k", "1"], "+OK\r\n");
        c.expect(&["WATCH", "k"], "+OK\r\n");
        other.expect(&["SET", "k", "2"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["GET", "k"], "+QUEUED\r\n");
        c.expect(&["EXEC"], "*-1\r\n");
        // The watch is gone after EXEC: the same sequence now succeeds.
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["GET", "k"], "+QUEUED\r\n");
        c.expect(&["EXEC"], "*1\r\n$1\r\n2\r\n");
        // In-place modifications count: APPEND, INCR, SETRANGE, EXPIRE, DEL.
        for cmd in [
            vec!["APPEND", "k", "x"],
            vec!["INCRBY", "n", "1"],
            vec!["SETRANGE", "k", "0", "z"],
            vec!["EXPIRE", "k", "100"],
            vec!["PERSIST", "k"],
            vec!["DEL", "k"],
        ] {
            c.expect(&["SET", "k", "1"], "+OK\r\n");
            c.expect(&["EXPIRE", "k", "1000"], ":1\r\n");
            c.expect(&["WATCH", "k", "n"], "+OK\r\n");
            other.cmd(&cmd);
            c.expect(&["MULTI"], "+OK\r\n");
            c.expect(&["PING"], "+QUEUED\r\n");
            c.expect(&["EXEC"], "*-1\r\n");
        }
    });
}

#[test]
fn watch_ignores_writes_that_change_nothing() {
    on_both(|c| {
        let mut other = second(c);
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["SET", "k", "1"], "+OK\r\n");
        c.expect(&["WATCH", "k", "missing"], "+OK\r\n");
        other.expect(&["SETNX", "k", "3"], ":0\r\n");
        other.expect(&["DEL", "missing"], ":0\r\n");
        other.expect(&["PERSIST", "k"], ":0\r\n");
        other.expect(&["SET", "unrelated", "1"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["PING"], "+QUEUED\r\n");
        c.expect(&["EXEC"], "*1\r\n+PONG\r\n");
        // UNWATCH forgets everything.
        c.expect(&["WATCH", "k"], "+OK\r\n");
        c.expect(&["UNWATCH"], "+OK\r\n");
        other.expect(&["SET", "k", "2"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "*0\r\n");
    });
}

#[test]
fn watch_sees_flushes_swapdb_and_expiry() {
    on_both(|c| {
        let mut other = second(c);
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["SET", "k", "1"], "+OK\r\n");
        c.expect(&["WATCH", "k"], "+OK\r\n");
        other.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "*-1\r\n");
        // FLUSHDB of a database where the watched key does not exist changes nothing.
        c.expect(&["WATCH", "k"], "+OK\r\n");
        other.expect(&["FLUSHDB"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "*0\r\n");
        // SWAPDB with a database holding the key.
        other.expect(&["SELECT", "1"], "+OK\r\n");
        other.expect(&["SET", "k", "x"], "+OK\r\n");
        c.expect(&["WATCH", "k"], "+OK\r\n");
        other.expect(&["SWAPDB", "0", "1"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "*-1\r\n");
        c.expect(&["GET", "k"], "$1\r\nx\r\n");
        // A watched key that expires makes EXEC fail.
        c.expect(&["SET", "t", "1", "PX", "30"], "+OK\r\n");
        c.expect(&["WATCH", "t"], "+OK\r\n");
        std::thread::sleep(std::time::Duration::from_millis(80));
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "*-1\r\n");
        c.expect(&["SWAPDB", "0", "1"], "+OK\r\n");
    });
}

#[test]
fn resp3_and_discard_via_reset() {
    on_both(|c| {
        c.cmd(&["HELLO", "3"]);
        c.expect(&["FLUSHALL"], "+OK\r\n");
        c.expect(&["SET", "k", "1"], "+OK\r\n");
        let mut other = second(c);
        c.expect(&["WATCH", "k"], "+OK\r\n");
        other.expect(&["SET", "k", "2"], "+OK\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["EXEC"], "_\r\n");
        c.expect(&["MULTI"], "+OK\r\n");
        c.expect(&["SET", "z", "1"], "+QUEUED\r\n");
        c.expect(&["RESET"], "+RESET\r\n");
        c.expect(&["EXISTS", "z"], ":0\r\n");
        c.expect(&["EXEC"], "-ERR EXEC without MULTI\r\n");
    });
}
