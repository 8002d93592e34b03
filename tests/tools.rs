//! Real Redis tools against the ferrokv release binary, started as a child process:
//! `redis-cli` (plain, `--no-raw`, `-3`, `--pipe`), `redis-benchmark`, and redis-py when
//! it is installed.
//!
//! Missing tools fail the tests when `CI` is set and are skipped with a notice otherwise.
//! `FERROKV_TEST_AGAINST_REDIS=1` runs them against a real redis-server instead.

mod support_net;

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support_net::*;

/// The server under test as a child process: ferrokv's binary, or redis-server.
fn server(args: &[&str]) -> Proc {
    if against_redis() {
        real_redis(args).expect("FERROKV_TEST_AGAINST_REDIS needs redis-server")
    } else {
        Proc::spawn(env!("CARGO_BIN_EXE_ferrokv-server"), args)
    }
}

/// Run a command to completion with `input` on stdin, killing it after `timeout`.
fn run(cmd: &mut Command, input: &[u8], timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    // Drain the pipes on threads so a chatty tool cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = feeder.join();
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

/// `redis-cli -p PORT args...` → stdout, asserting success and an empty stderr.
fn cli(bin: &str, port: u16, args: &[&str], input: &[u8]) -> String {
    let mut cmd = Command::new(bin);
    cmd.arg("-p").arg(port.to_string()).args(args);
    let out = run(&mut cmd, input, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "redis-cli {args:?}: {} stderr={stderr}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn redis_cli_commands_and_formatting() {
    let Some(bin) = tool("redis-cli") else {
        return;
    };
    let srv = server(&[]);
    let p = srv.port;
    assert_eq!(cli(&bin, p, &["PING"], b""), "PONG\n");
    assert_eq!(cli(&bin, p, &["SET", "k", "a b"], b""), "OK\n");
    assert_eq!(cli(&bin, p, &["GET", "k"], b""), "a b\n");
    assert_eq!(cli(&bin, p, &["--no-raw", "GET", "k"], b""), "\"a b\"\n");
    assert_eq!(
        cli(&bin, p, &["--no-raw", "GET", "missing"], b""),
        "(nil)\n"
    );
    assert_eq!(
        cli(&bin, p, &["--no-raw", "INCR", "n"], b""),
        "(integer) 1\n"
    );
    assert_eq!(
        cli(&bin, p, &["--no-raw", "MGET", "n", "missing"], b""),
        "1) \"1\"\n2) (nil)\n"
    );
    assert_eq!(
        cli(&bin, p, &["--no-raw", "FOO", "x"], b""),
        "(error) ERR unknown command 'FOO', with args beginning with: 'x' \n"
    );
    assert_eq!(
        cli(
            &bin,
            p,
            &["--no-raw", "COMMAND", "GETKEYS", "mset", "a", "1"],
            b""
        ),
        "1) \"a\"\n"
    );
    // -n selects the database before the command.
    let info = cli(&bin, p, &["-n", "3", "CLIENT", "INFO"], b"");
    assert!(info.contains(" db=3 "), "{info}");
    // Commands from stdin, one per line.
    assert_eq!(cli(&bin, p, &[], b"SET a 1\nINCR a\nGET a\n"), "OK\n2\n2\n");
    let info = cli(&bin, p, &["INFO", "server"], b"");
    assert!(info.contains("redis_version:7.0.15\r\n"), "{info}");
}

#[test]
fn redis_cli_resp3() {
    let Some(bin) = tool("redis-cli") else {
        return;
    };
    let srv = server(&[]);
    let p = srv.port;
    assert_eq!(
        cli(&bin, p, &["-3", "--no-raw", "GET", "missing"], b""),
        "(nil)\n"
    );
    assert_eq!(
        cli(
            &bin,
            p,
            &["-3", "--no-raw", "CONFIG", "GET", "maxmemory"],
            b""
        ),
        "1# \"maxmemory\" => \"0\"\n"
    );
    let hello = cli(&bin, p, &["-3", "--no-raw", "HELLO", "3"], b"");
    let head: Vec<&str> = hello.lines().take(3).collect();
    assert_eq!(
        head,
        [
            "1# \"server\" => \"redis\"",
            "2# \"version\" => \"7.0.15\"",
            "3# \"proto\" => (integer) 3"
        ],
        "{hello}"
    );
    assert_eq!(cli(&bin, p, &["-3", "SET", "k", "v"], b""), "OK\n");
    assert_eq!(
        cli(&bin, p, &["-3", "--no-raw", "GET", "k"], b""),
        "\"v\"\n"
    );
}

/// `redis-cli --pipe` sends raw RESP and checks the replies with an ECHO of random bytes.
#[test]
fn redis_cli_pipe_mode() {
    let Some(bin) = tool("redis-cli") else {
        return;
    };
    let srv = server(&[]);
    let n = 10_000;
    let mut input = Vec::new();
    for i in 0..n {
        input.extend(enc_line(&format!("SET key:{i} value:{i}")));
    }
    let out = cli(&bin, srv.port, &["--pipe"], &input);
    assert!(
        out.contains(&format!("errors: 0, replies: {n}")),
        "redis-cli --pipe: {out}"
    );
    assert_eq!(cli(&bin, srv.port, &["DBSIZE"], b""), format!("{n}\n"));
    assert_eq!(
        cli(&bin, srv.port, &["GET", "key:9999"], b""),
        "value:9999\n"
    );
}

#[test]
fn redis_benchmark_runs_clean() {
    let Some(bin) = tool("redis-benchmark") else {
        return;
    };
    let srv = server(&[]);
    let mut cmd = Command::new(&bin);
    cmd.args(["-p", &srv.port.to_string()]).args([
        "-q",
        "-n",
        "2000",
        "-t",
        "set,get,incr,mset",
        "-P",
        "16",
    ]);
    let out = run(&mut cmd, b"", Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stdout} {stderr}", out.status);
    // redis-benchmark reads the server's CONFIG first; a failure there is a warning.
    assert!(
        !stderr.contains("WARNING") && !stdout.contains("WARNING"),
        "stderr: {stderr}"
    );
    assert!(
        !stdout.contains("ERR") && !stderr.contains("ERR"),
        "{stdout} {stderr}"
    );
    for test in ["SET:", "GET:", "INCR:", "MSET (10 keys):"] {
        let line = stdout
            .split(['\n', '\r'])
            .find(|l| l.trim_start().starts_with(test) && l.contains("requests per second"));
        assert!(line.is_some(), "no result line for {test}: {stdout}");
    }
    // The data is there.
    let mut c = srv.conn();
    let n = int(&c.call("DBSIZE"));
    assert!(n >= 2, "DBSIZE after the benchmark: {n}");
}

/// redis-py, if installed (it is not installed by the tests; CI should `pip install redis`).
#[test]
fn redis_py_client() {
    let Some(python) = which("python3") else {
        eprintln!("NOTICE: python3 not found; skipping the redis-py check");
        return;
    };
    let probe = run(
        Command::new(&python).args(["-c", "import redis; print(redis.__version__)"]),
        b"",
        Duration::from_secs(30),
    );
    if !probe.status.success() {
        let msg = "python3 module `redis` not installed; skipping the redis-py check \
                   (CI should `pip install redis`)";
        if std::env::var_os("FERROKV_REQUIRE_REDIS_PY").is_some() {
            panic!("{msg}");
        }
        eprintln!("NOTICE: {msg}");
        return;
    }
    let srv = server(&[]);
    let script = r#"
import sys, redis
port = int(sys.argv[1])
for proto in (2, 3):
    r = redis.Redis(host="127.0.0.1", port=port, protocol=proto, decode_responses=True)
    assert r.ping() is True
    r.flushall()
    assert r.set("k", "v") is True
    assert r.get("k") == "v"
    assert r.get("missing") is None
    assert r.incr("n") == 1
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b", "missing") == ["1", "2", None]
    assert r.set("e", "x", ex=100) is True
    assert 0 < r.ttl("e") <= 100
    p = r.pipeline(transaction=False)
    for i in range(100):
        p.incr("counter")
    assert p.execute() == list(range(1, 101))
    info = r.info("server")
    assert info["redis_version"] == "7.0.15", info
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    r.client_setname("py")
    assert r.client_getname() == "py"
    try:
        r.execute_command("FOO")
        raise SystemExit("no error for FOO")
    except redis.ResponseError as e:
        assert "unknown command" in str(e), e
    r.close()
print("ok")
"#;
    let out = run(
        Command::new(&python).args(["-c", script, &srv.port.to_string()]),
        b"",
        Duration::from_secs(60),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "ok",
        "redis-py: {} {stdout} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
