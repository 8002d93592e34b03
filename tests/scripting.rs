//! Scripting over TCP: EVAL/EVALSHA/EVAL_RO, SCRIPT, FUNCTION/FCALL, the Lua libraries and
//! the busy-script protocol (BUSY replies, SCRIPT KILL / FUNCTION KILL, SHUTDOWN NOSAVE).
//! Expected bytes are Redis 7.0.15's.

mod common;

use std::time::Duration;

use common::{RespClient, bulk, err, int, start_server, start_server_with, wait_until};

fn eval(c: &mut RespClient, script: &str) -> Vec<u8> {
    c.cmd(&["EVAL", script, "0"])
}

#[test]
fn returns_every_lua_type_resp2() {
    let s = start_server();
    let mut c = s.client();
    assert_eq!(eval(&mut c, "return 1"), b":1\r\n");
    assert_eq!(eval(&mut c, "return 3.99"), b":3\r\n");
    assert_eq!(eval(&mut c, "return -3.99"), b":-3\r\n");
    assert_eq!(eval(&mut c, "return 1e20"), b":-9223372036854775808\r\n");
    assert_eq!(eval(&mut c, "return 'ab'"), b"$2\r\nab\r\n");
    assert_eq!(eval(&mut c, "return true"), b":1\r\n");
    assert_eq!(eval(&mut c, "return false"), b"$-1\r\n");
    assert_eq!(eval(&mut c, "return nil"), b"$-1\r\n");
    assert_eq!(eval(&mut c, "return {1,nil,3}"), b"*1\r\n:1\r\n");
    assert_eq!(eval(&mut c, "return {foo='bar'}"), b"*0\r\n");
    assert_eq!(
        eval(&mut c, "return {1,2,{ok='x'},{err='y'},true,false}"),
        b"*6\r\n:1\r\n:2\r\n+x\r\n-y\r\n:1\r\n$-1\r\n"
    );
    assert_eq!(eval(&mut c, "return {ok='fine'}"), b"+fine\r\n");
    assert_eq!(eval(&mut c, "return {err='x y'}"), b"-x y\r\n");
    assert_eq!(eval(&mut c, "return {double=3.5}"), b"$3\r\n3.5\r\n");
    assert_eq!(
        eval(&mut c, "return {map={a=1}}"),
        b"*2\r\n$1\r\na\r\n:1\r\n"
    );
    assert_eq!(eval(&mut c, "return {set={a=true}}"), b"*1\r\n$1\r\na\r\n");
    assert_eq!(eval(&mut c, "return {big_number='123'}"), b"$3\r\n123\r\n");
    assert_eq!(
        eval(
            &mut c,
            "return {verbatim_string={format='txt', string='hi'}}"
        ),
        b"$2\r\nhi\r\n"
    );
    assert_eq!(eval(&mut c, "return function() end"), b"$-1\r\n");
}

#[test]
fn returns_every_lua_type_resp3() {
    let s = start_server();
    let mut c = s.client();
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        eval(&mut c, "return {map={a=1}}"),
        b"%1\r\n$1\r\na\r\n:1\r\n"
    );
    assert_eq!(eval(&mut c, "return {set={a=true}}"), b"~1\r\n$1\r\na\r\n");
    assert_eq!(eval(&mut c, "return {double=3.5}"), b",3.5\r\n");
    assert_eq!(eval(&mut c, "return {big_number='123'}"), b"(123\r\n");
    assert_eq!(
        eval(
            &mut c,
            "return {verbatim_string={format='txt', string='hi'}}"
        ),
        b"=6\r\ntxt:hi\r\n"
    );
    // Booleans follow the script's protocol (redis.setresp), not the caller's.
    assert_eq!(eval(&mut c, "return true"), b":1\r\n");
    assert_eq!(eval(&mut c, "return false"), b"_\r\n");
    assert_eq!(eval(&mut c, "redis.setresp(3); return true"), b"#t\r\n");
    assert_eq!(eval(&mut c, "redis.setresp(3); return false"), b"#f\r\n");
}

#[test]
fn redis_replies_become_lua_values() {
    let s = start_server();
    let mut c = s.client();
    c.cmd(&["SET", "s", "v"]);
    assert_eq!(
        eval(&mut c, "return type(redis.call('get','nokey'))"),
        bulk("boolean")
    );
    assert_eq!(
        eval(
            &mut c,
            "redis.setresp(3); return type(redis.call('get','nokey'))"
        ),
        bulk("nil")
    );
    assert_eq!(
        eval(&mut c, "return redis.call('set','x','1')['ok']"),
        bulk("OK")
    );
    assert_eq!(eval(&mut c, "return redis.call('incr','x') + 1"), int(3));
    assert_eq!(
        eval(&mut c, "return redis.pcall('incr','s')['err']"),
        bulk("ERR value is not an integer or out of range")
    );
    // Numbers are passed with 17 significant digits.
    assert_eq!(
        eval(
            &mut c,
            "redis.call('set','f',0.1) return redis.call('get','f')"
        ),
        bulk("0.10000000000000001")
    );
}

#[test]
fn script_errors_are_formatted_as_redis() {
    let s = start_server();
    let mut c = s.client();
    c.cmd(&["SET", "s", "v"]);
    let sha_suffix = |reply: &[u8]| String::from_utf8_lossy(reply).into_owned();
    let r = sha_suffix(&eval(&mut c, "error('boom')"));
    assert!(
        r.starts_with("-ERR user_script:1: boom script: ")
            && r.ends_with(", on @user_script:1.\r\n"),
        "{r}"
    );
    let r = sha_suffix(&eval(&mut c, "return redis.call('nosuch')"));
    assert!(
        r.starts_with("-ERR Unknown Redis command called from script script: "),
        "{r}"
    );
    let r = sha_suffix(&eval(&mut c, "\n\nreturn redis.call('incr','s')"));
    assert!(
        r.starts_with("-ERR value is not an integer or out of range script: ")
            && r.ends_with("on @user_script:3.\r\n"),
        "{r}"
    );
    let r = sha_suffix(&eval(&mut c, "return redis.call('get')"));
    assert!(
        r.starts_with("-ERR Wrong number of args calling Redis command from script"),
        "{r}"
    );
    let r = sha_suffix(&eval(&mut c, "return redis.call('multi')"));
    assert!(
        r.starts_with("-ERR This Redis command is not allowed from script"),
        "{r}"
    );
    let r = sha_suffix(&eval(&mut c, "x = 1"));
    assert!(
        r.starts_with("-ERR user_script:1: Attempt to modify a readonly table"),
        "{r}"
    );
    let r = sha_suffix(&eval(&mut c, "return y"));
    assert!(
        r.starts_with(
            "-ERR user_script:1: Script attempted to access nonexistent global variable 'y'"
        ),
        "{r}"
    );
    for g in [
        "os", "io", "loadfile", "dofile", "require", "print", "debug",
    ] {
        let r = sha_suffix(&eval(&mut c, &format!("return {g}")));
        assert!(r.contains("nonexistent global variable"), "{g}: {r}");
    }
    assert_eq!(
        eval(&mut c, "return 1 +"),
        err(
            "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
        )
    );
    assert_eq!(
        eval(&mut c, "return redis.error_reply('My Error')"),
        err("My Error")
    );
    assert_eq!(
        eval(&mut c, "return redis.status_reply('fine')"),
        b"+fine\r\n"
    );
    // pcall hands back Redis error tables as their message.
    assert_eq!(
        eval(&mut c, "return {pcall(redis.call, 'nosuch')}"),
        b"*2\r\n$-1\r\n$44\r\nERR Unknown Redis command called from script\r\n"
    );
    assert_eq!(
        eval(&mut c, "return redis.pcall('nosuch')"),
        err("ERR Unknown Redis command called from script")
    );
}

#[test]
fn evalsha_script_cache_and_flags() {
    let s = start_server();
    let mut c = s.client();
    let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
    c.expect(&["SCRIPT", "LOAD", "return 1"], bulk(sha));
    c.expect(&["SCRIPT", "EXISTS", sha, "abc"], b"*2\r\n:1\r\n:0\r\n");
    c.expect(&["EVALSHA", sha, "0"], b":1\r\n");
    c.expect(&["EVALSHA", &sha.to_uppercase(), "0"], b":1\r\n");
    c.expect(
        &["EVALSHA", "abc", "0"],
        err("NOSCRIPT No matching script. Please use EVAL."),
    );
    c.expect(
        &["EVAL", "return 1", "-1"],
        err("ERR Number of keys can't be negative"),
    );
    c.expect(
        &["EVAL", "return 1", "2", "a"],
        err("ERR Number of keys can't be greater than number of args"),
    );
    c.expect(
        &["EVAL", "return KEYS", "2", "a", "b", "c"],
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    );
    c.expect(
        &["EVAL", "return ARGV", "2", "a", "b", "c"],
        b"*1\r\n$1\r\nc\r\n",
    );
    c.expect(&["SCRIPT", "FLUSH"], b"+OK\r\n");
    c.expect(
        &["EVALSHA", sha, "0"],
        err("NOSCRIPT No matching script. Please use EVAL."),
    );
    c.expect(
        &["SCRIPT", "FLUSH", "foo"],
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
    );
    c.expect(
        &["SCRIPT", "KILL"],
        err("NOTBUSY No scripts in execution right now."),
    );
    // Read-only scripts.
    let r = c.cmd(&["EVAL_RO", "return redis.call('set','a','b')", "0"]);
    assert!(
        r.starts_with(b"-ERR Write commands are not allowed from read-only scripts. script: "),
        "{}",
        String::from_utf8_lossy(&r)
    );
    let r = c.cmd(&[
        "EVAL",
        "#!lua flags=no-writes\nreturn redis.call('set','a','b')",
        "0",
    ]);
    assert!(
        r.ends_with(b"on @user_script:2.\r\n"),
        "{}",
        String::from_utf8_lossy(&r)
    );
    c.expect(
        &["EVAL", "#!lua flags=foo\nreturn 1", "0"],
        err("ERR Unexpected flag in script shebang: foo"),
    );
    c.expect(
        &["EVAL", "#!luax\nreturn 1", "0"],
        err("ERR Unexpected engine in script shebang: #!luax"),
    );
    c.expect(
        &["EVAL", "#!lua flags=no-writes", "0"],
        err("ERR Invalid script shebang"),
    );
    c.expect(&["EVAL", "#!lua\nreturn 2", "0"], b":2\r\n");
    c.expect(
        &["EVAL_RO", "#!lua\nreturn 2", "0"],
        err("ERR Can not execute a script with write flag using *_ro command."),
    );
    c.expect(
        &["EVAL_RO", "#!lua flags=no-writes\nreturn 2", "0"],
        b":2\r\n",
    );
}

#[test]
fn scripts_use_their_own_database_and_run_in_transactions() {
    let s = start_server();
    let mut c = s.client();
    c.expect(
        &[
            "EVAL",
            "redis.call('select',1) redis.call('set','dbtest','1') return 1",
            "0",
        ],
        b":1\r\n",
    );
    c.expect(&["GET", "dbtest"], b"$-1\r\n");
    c.expect(&["SELECT", "1"], b"+OK\r\n");
    c.expect(&["GET", "dbtest"], bulk("1"));
    c.expect(&["MULTI"], b"+OK\r\n");
    c.expect(
        &["EVAL", "return redis.call('incr', KEYS[1])", "1", "n"],
        b"+QUEUED\r\n",
    );
    c.expect(&["EXEC"], b"*1\r\n:1\r\n");
    // CLIENT REPLY OFF does not hide replies from the script itself.
    c.expect(&["EVAL", "return redis.call('ping')", "0"], b"+PONG\r\n");
}

#[test]
fn math_random_is_redis_sequence() {
    let s = start_server();
    let mut c = s.client();
    // The first draws on a fresh Redis 7.0.15.
    c.expect(&["EVAL", "return math.random(1000)", "0"], b":397\r\n");
    c.expect(
        &[
            "EVAL",
            "math.randomseed(1); return {math.random(1000), math.random(1000)}",
            "0",
        ],
        b"*2\r\n:42\r\n:455\r\n",
    );
}

#[test]
fn cjson_and_cmsgpack_round_trips() {
    let s = start_server();
    let mut c = s.client();
    c.expect(
        &["EVAL", "return cjson.encode({1,2,3,'a',{x=1}})", "0"],
        bulk("[1,2,3,\"a\",{\"x\":1}]"),
    );
    c.expect(
        &[
            "EVAL",
            "return cjson.encode({a=1.5,b='x/y',c=true,d=false})",
            "0",
        ],
        bulk("{\"a\":1.5,\"d\":false,\"c\":true,\"b\":\"x\\/y\"}"),
    );
    c.expect(
        &[
            "EVAL",
            "local t = cjson.decode(ARGV[1]) return cjson.encode(t)",
            "0",
            "{\"a\":[1,2.5,\"x\"],\"b\":null}",
        ],
        bulk("{\"a\":[1,2.5,\"x\"],\"b\":null}"),
    );
    let r = c.cmd(&["EVAL", "return cjson.decode('[1,2')", "0"]);
    assert!(r.starts_with(
        b"-ERR user_script:1: Expected comma or array end but found T_END at character 5"
    ));
    c.expect(
        &[
            "EVAL",
            "return cmsgpack.pack(1, -1, 200, 'ab', {1,2}, {a=1}, true, 1.5)",
            "0",
        ],
        bulk(b"\x01\xff\xcc\xc8\xa2ab\x92\x01\x02\x81\xa1a\x01\xc3\xca\x3f\xc0\x00\x00"),
    );
    c.expect(
        &[
            "EVAL",
            "return cjson.encode({cmsgpack.unpack(cmsgpack.pack({a=1,b={1,2,3}}, -5, 'x'))})",
            "0",
        ],
        bulk("[{\"a\":1,\"b\":[1,2,3]},-5,\"x\"]"),
    );
    c.expect(
        &[
            "EVAL",
            "return {bit.band(0xff, 0x0f), bit.tohex(-1, -4), bit.tobit(2^32+1)}",
            "0",
        ],
        b"*3\r\n:15\r\n$4\r\nFFFF\r\n:1\r\n",
    );
    c.expect(
        &[
            "EVAL",
            "return {struct.unpack('>i2 <I4', struct.pack('>i2 <I4', -5, 7))}",
            "0",
        ],
        b"*3\r\n:-5\r\n:7\r\n:7\r\n",
    );
}

#[test]
fn functions_load_call_list_delete_dump_restore() {
    let s = start_server();
    let mut c = s.client();
    let lib = "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {keys, args} end)\nredis.register_function{function_name='f2', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc'}";
    c.expect(&["FUNCTION", "LOAD", lib], bulk("mylib"));
    c.expect(
        &["FCALL", "f1", "1", "a", "b"],
        b"*2\r\n*1\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n",
    );
    c.expect(&["FCALL", "F2", "1", "a"], b"$-1\r\n");
    c.expect(
        &["FCALL_RO", "f1", "0"],
        err("ERR Can not execute a script with write flag using *_ro command."),
    );
    c.expect(&["FCALL", "nosuch", "0"], err("ERR Function not found"));
    c.expect(
        &["FCALL", "f1", "x"],
        err("ERR Bad number of keys provided"),
    );
    c.expect(
        &["FUNCTION", "LOAD", lib],
        err("ERR Library 'mylib' already exists"),
    );
    c.expect(
        &["FUNCTION", "LIST"],
        b"*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*2\r\n*6\r\n$4\r\nname\r\n$2\r\nf1\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n*6\r\n$4\r\nname\r\n$2\r\nf2\r\n$11\r\ndescription\r\n$4\r\ndesc\r\n$5\r\nflags\r\n*1\r\n+no-writes\r\n",
    );
    c.expect(&["FUNCTION", "LIST", "LIBRARYNAME", "zz"], b"*0\r\n");
    c.expect(
        &["FUNCTION", "STATS"],
        b"*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n",
    );
    // DUMP → FLUSH → RESTORE gives the library back.
    let dump = c.cmd(&["FUNCTION", "DUMP"]);
    let payload = common::parse(&dump).bytes().to_vec();
    c.expect(&["FUNCTION", "FLUSH"], b"+OK\r\n");
    c.expect(&["FCALL", "f1", "0"], err("ERR Function not found"));
    c.expect_b(&[b"FUNCTION", b"RESTORE", &payload], b"+OK\r\n");
    c.expect(&["FCALL", "f1", "0"], b"*2\r\n*0\r\n*0\r\n");
    c.expect_b(
        &[b"FUNCTION", b"RESTORE", &payload],
        err("ERR Library mylib already exists"),
    );
    c.expect_b(&[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"], b"+OK\r\n");
    c.expect(
        &["FUNCTION", "RESTORE", "abc"],
        err("ERR DUMP payload version or checksum are wrong"),
    );
    c.expect(&["FUNCTION", "DELETE", "mylib"], b"+OK\r\n");
    c.expect(
        &["FUNCTION", "DELETE", "mylib"],
        err("ERR Library not found"),
    );
    // A payload written by Redis 7.0.15.
    let redis_dump: &[u8] = b"\xf5@G#!lua name=mylib\nredis.register_function('f1', function() return 2 end)\n\x00\xcb\x9c\xb5_\xf3\x92\xf6\xfb";
    c.expect_b(&[b"FUNCTION", b"RESTORE", redis_dump], b"+OK\r\n");
    c.expect(&["FCALL", "f1", "0"], b":2\r\n");
    c.expect_b(&[b"FUNCTION", b"DUMP"], bulk(redis_dump));
    // Load-time errors.
    c.expect(
        &["FUNCTION", "LOAD", "return 1"],
        err("ERR Missing library metadata"),
    );
    c.expect(
        &["FUNCTION", "LOAD", "#!lua name=x"],
        err("ERR Invalid library metadata"),
    );
    c.expect(
        &["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"],
        err("ERR No functions registered"),
    );
    c.expect(
        &["FUNCTION", "LOAD", "#!lua name=y\nredis.call('ping')"],
        err("ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"),
    );
    c.expect(
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=y\nredis.register_function('F1', function() return 2 end)",
        ],
        err("ERR Function F1 already exists"),
    );
    c.expect(
        &["FUNCTION", "LOAD", "#!lua name=y-y\nredis.register_function('ab', function() end)"],
        err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
    );
}

/// A script that never ends: others get BUSY, SCRIPT KILL stops it, a new connection opened
/// meanwhile is served, and a script that wrote cannot be killed.
#[test]
fn busy_script_and_script_kill() {
    let s = start_server_with(&[("busy-reply-threshold", "100")]);
    let mut runner = s.client();
    runner.send(&[b"EVAL", b"local i = 0 while true do i = i + 1 end", b"0"]);
    let mut other = s.client();
    assert!(
        wait_until(Duration::from_secs(10), || {
            other.cmd(&["PING"]).starts_with(b"-BUSY")
        }),
        "never busy"
    );
    other.expect(
        &["GET", "x"],
        err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
    );
    other.expect(
        &["FUNCTION", "KILL"],
        err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
    );
    // A connection made during the busy script is accepted and can kill it.
    let mut late = s.client();
    late.expect(&["SCRIPT", "KILL"], b"+OK\r\n");
    let r = runner.read_reply();
    assert!(
        r.starts_with(b"-ERR Script killed by user with SCRIPT KILL... script: "),
        "{}",
        String::from_utf8_lossy(&r)
    );
    other.expect(&["PING"], b"+PONG\r\n");
    late.expect(
        &["SCRIPT", "KILL"],
        err("NOTBUSY No scripts in execution right now."),
    );

    // pcall cannot swallow the kill.
    runner.send(&[
        b"EVAL",
        b"while true do pcall(function() while true do end end) end",
        b"0",
    ]);
    assert!(wait_until(Duration::from_secs(10), || other
        .cmd(&["PING"])
        .starts_with(b"-BUSY")));
    other.expect(&["SCRIPT", "KILL"], b"+OK\r\n");
    assert!(runner.read_reply().starts_with(b"-ERR Script killed"));

    // A function loop is killed with FUNCTION KILL, and shows in FUNCTION STATS.
    runner.expect(
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=lp\nredis.register_function('loop', function() while true do end end)",
        ],
        bulk("lp"),
    );
    runner.send(&[b"FCALL", b"loop", b"0"]);
    assert!(wait_until(Duration::from_secs(10), || other
        .cmd(&["PING"])
        .starts_with(b"-BUSY")));
    other.expect(
        &["SCRIPT", "KILL"],
        err("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."),
    );
    let stats = other.cmd(&["FUNCTION", "STATS"]);
    assert!(
        stats.starts_with(b"*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nloop\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n"),
        "{}",
        String::from_utf8_lossy(&stats)
    );
    other.expect(&["FUNCTION", "KILL"], b"+OK\r\n");
    let r = runner.read_reply();
    assert!(
        r.ends_with(b"script: loop, on @user_function:2.\r\n"),
        "{}",
        String::from_utf8_lossy(&r)
    );

    // After a write, the script can only be stopped by SHUTDOWN NOSAVE.
    runner.send(&[
        b"EVAL",
        b"redis.call('set','k','v') while true do end",
        b"0",
    ]);
    assert!(wait_until(Duration::from_secs(10), || other
        .cmd(&["PING"])
        .starts_with(b"-BUSY")));
    other.expect(
        &["SCRIPT", "KILL"],
        err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."),
    );
    other.expect(
        &["SHUTDOWN"],
        err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
    );
    other.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(other.is_closed(Duration::from_secs(10)));
}

#[test]
fn command_table_entries() {
    let s = start_server();
    let mut c = s.client();
    let r = c.cmd(&["COMMAND", "INFO", "eval"]);
    let text = String::from_utf8_lossy(&r);
    for flag in [
        "noscript",
        "stale",
        "skip_monitor",
        "no_mandatory_keys",
        "movablekeys",
    ] {
        assert!(text.contains(flag), "{flag}: {text}");
    }
    let help = c.cmd(&["SCRIPT", "HELP"]);
    assert!(help.starts_with(b"*17\r\n+SCRIPT <subcommand>"));
}
