//! Helpers for the memory and eviction tests: they need the real binary, whose global
//! allocator counts every byte (`used_memory`), not the in-process server of
//! `tests/common`, whose test process uses the plain system allocator.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Resp, RespClient, parse};

/// A ferrokv-server child process, killed on drop.
pub struct Proc {
    pub port: u16,
    child: Child,
}

impl Proc {
    pub fn client(&self) -> RespClient {
        RespClient::connect(self.port)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().unwrap().port()
}

/// Start the ferrokv binary with `--name value` options, no persistence.
pub fn start_ferrokv(opts: &[(&str, &str)]) -> Proc {
    let bin = env!("CARGO_BIN_EXE_ferrokv-server");
    for _ in 0..5 {
        let port = free_port();
        let mut child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(
                opts.iter()
                    .flat_map(|(k, v)| [format!("--{k}"), v.to_string()]),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ferrokv-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break; // port taken meanwhile: try another
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Proc { port, child };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("ferrokv-server did not listen on port {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    panic!("could not start ferrokv-server on a free port");
}

/// One field of an INFO section, as an integer.
pub fn info_field(c: &mut RespClient, section: &str, name: &str) -> i64 {
    let text = info_text(c, section);
    let prefix = format!("{name}:");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{name} is not an integer: {e}"))
}

pub fn info_text(c: &mut RespClient, section: &str) -> String {
    String::from_utf8_lossy(c.val(&["INFO", section]).bytes()).into_owned()
}

pub fn used_memory(c: &mut RespClient) -> i64 {
    info_field(c, "memory", "used_memory")
}

/// Send `cmds` in one write and read every reply; returns the replies.
pub fn pipeline(c: &mut RespClient, cmds: &[Vec<Vec<u8>>]) -> Vec<Resp> {
    let mut out = Vec::new();
    for cmd in cmds {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        out.extend_from_slice(&crate::common::encode_request(&args));
    }
    c.send_raw(&out);
    cmds.iter().map(|_| parse(&c.read_reply())).collect()
}

/// `SET key value [EX ttl]` commands for keys `prefix:from..prefix:to`.
pub fn sets(
    prefix: &str,
    range: std::ops::Range<usize>,
    value: &[u8],
    ex: Option<u64>,
) -> Vec<Vec<Vec<u8>>> {
    range
        .map(|i| {
            let mut v = vec![
                b"SET".to_vec(),
                format!("{prefix}:{i}").into_bytes(),
                value.to_vec(),
            ];
            if let Some(t) = ex {
                v.push(b"EX".to_vec());
                v.push(t.to_string().into_bytes());
            }
            v
        })
        .collect()
}

/// Write `cmds` in pipelined batches of `batch`; returns how many replies were errors.
pub fn write_all(c: &mut RespClient, cmds: &[Vec<Vec<u8>>], batch: usize) -> usize {
    cmds.chunks(batch)
        .map(|chunk| pipeline(c, chunk).iter().filter(|r| r.is_error()).count())
        .sum()
}

/// Which of `keys` exist (EXISTS one by one, pipelined).
pub fn existing(c: &mut RespClient, keys: &[String]) -> Vec<bool> {
    let cmds: Vec<Vec<Vec<u8>>> = keys
        .iter()
        .map(|k| vec![b"EXISTS".to_vec(), k.as_bytes().to_vec()])
        .collect();
    cmds.chunks(500)
        .flat_map(|chunk| pipeline(c, chunk))
        .map(|r| matches!(r, Resp::Int(1)))
        .collect()
}
