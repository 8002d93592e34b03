//! Pub/Sub over TCP: exact replies checked on ferrokv and on a real Redis 7.0 (when
//! installed), RESP3 push frames, the RESP2 subscribed context, and a subscriber that never
//! reads being cut off by `client-output-buffer-limit pubsub`.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use common::{RespClient, on_both, start_server_with, wait_until};

/// Send one command and expect several frames in reply (subscribe confirmations, pushes).
fn expect_frames(c: &mut RespClient, args: &[&str], frames: &[String]) {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    c.send(&refs);
    for f in frames {
        assert_eq!(
            common::show(&c.read_reply()),
            common::show(f.as_bytes()),
            "{args:?}"
        );
    }
}

fn push(parts: &[&str]) -> String {
    let mut s = format!("*{}\r\n", parts.len());
    for p in parts {
        if let Some(n) = p.strip_prefix(':') {
            s.push_str(&format!(":{n}\r\n"));
        } else {
            s.push_str(&format!("${}\r\n{p}\r\n", p.len()));
        }
    }
    s
}

#[test]
fn subscribe_publish_and_patterns() {
    on_both(|c| {
        let mut sub = RespClient::connect(c.port);
        let mut psub = RespClient::connect(c.port);
        expect_frames(
            &mut sub,
            &["SUBSCRIBE", "news", "sport"],
            &[
                push(&["subscribe", "news", ":1"]),
                push(&["subscribe", "sport", ":2"]),
            ],
        );
        psub.expect(&["PSUBSCRIBE", "n*"], push(&["psubscribe", "n*", ":1"]));
        c.expect(&["PUBLISH", "news", "hello"], ":2\r\n");
        c.expect(&["PUBLISH", "sport", "goal"], ":1\r\n");
        c.expect(&["PUBLISH", "nobody", "x"], ":1\r\n");
        c.expect(&["PUBLISH", "zzz", "x"], ":0\r\n");
        assert_eq!(
            sub.read_reply(),
            push(&["message", "news", "hello"]).as_bytes()
        );
        assert_eq!(
            sub.read_reply(),
            push(&["message", "sport", "goal"]).as_bytes()
        );
        assert_eq!(
            psub.read_reply(),
            push(&["pmessage", "n*", "news", "hello"]).as_bytes()
        );
        assert_eq!(
            psub.read_reply(),
            push(&["pmessage", "n*", "nobody", "x"]).as_bytes()
        );
        c.expect(
            &["PUBSUB", "NUMSUB", "news", "none"],
            "*4\r\n$4\r\nnews\r\n:1\r\n$4\r\nnone\r\n:0\r\n",
        );
        c.expect(&["PUBSUB", "NUMPAT"], ":1\r\n");
        c.expect(&["PUBSUB", "CHANNELS", "new*"], "*1\r\n$4\r\nnews\r\n");
        // RESP2 subscribed context.
        sub.expect(
            &["GET", "x"],
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
        );
        sub.expect(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        sub.expect(&["PING", "hi"], "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
        sub.expect(
            &["UNSUBSCRIBE", "news"],
            push(&["unsubscribe", "news", ":1"]),
        );
        sub.expect(
            &["UNSUBSCRIBE", "sport"],
            push(&["unsubscribe", "sport", ":0"]),
        );
        sub.expect(
            &["UNSUBSCRIBE"],
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n",
        );
        sub.expect(&["GET", "x"], "$-1\r\n");
        c.expect(&["PUBSUB", "NUMSUB", "news"], "*2\r\n$4\r\nnews\r\n:0\r\n");
        // Shard channels are a namespace of their own.
        sub.expect(&["SSUBSCRIBE", "s1"], push(&["ssubscribe", "s1", ":1"]));
        c.expect(&["PUBLISH", "s1", "x"], ":0\r\n");
        c.expect(&["SPUBLISH", "s1", "y"], ":1\r\n");
        assert_eq!(sub.read_reply(), push(&["smessage", "s1", "y"]).as_bytes());
        c.expect(&["PUBSUB", "SHARDNUMSUB", "s1"], "*2\r\n$2\r\ns1\r\n:1\r\n");
        sub.expect(&["SUNSUBSCRIBE"], push(&["sunsubscribe", "s1", ":0"]));
    });
}

#[test]
fn resp3_pushes_interleave_with_replies() {
    on_both(|c| {
        let mut sub = RespClient::connect(c.port);
        sub.cmd(&["HELLO", "3"]);
        sub.expect(
            &["SUBSCRIBE", "ch"],
            ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
        );
        // RESP3 clients may run any command while subscribed.
        sub.expect(&["SET", "k", "v"], "+OK\r\n");
        c.expect(&["PUBLISH", "ch", "m"], ":1\r\n");
        assert_eq!(
            sub.read_reply(),
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n"
        );
        sub.expect(&["GET", "k"], "$1\r\nv\r\n");
        sub.expect(&["PING"], "+PONG\r\n");
        // Publishing to a channel one is subscribed to: the push comes before the reply.
        expect_frames(
            &mut sub,
            &["PUBLISH", "ch", "self"],
            &[
                ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n".into(),
                ":1\r\n".into(),
            ],
        );
        sub.expect(&["RESET"], "+RESET\r\n");
        c.expect(&["PUBLISH", "ch", "m"], ":0\r\n");
    });
}

/// A subscriber that never reads is disconnected by the pubsub output limit, and the
/// server's memory stays bounded; other clients keep being served.
#[test]
fn slow_subscriber_is_disconnected() {
    let srv = start_server_with(&[("client-output-buffer-limit", "pubsub 1mb 256kb 60")]);
    let mut sub = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    std::io::Write::write_all(&mut sub, b"SUBSCRIBE flood\r\n").unwrap();
    let mut c = srv.client();
    assert!(wait_until(Duration::from_secs(5), || {
        c.cmd(&["PUBSUB", "NUMSUB", "flood"]) == b"*2\r\n$5\r\nflood\r\n:1\r\n"
    }));
    let payload = "x".repeat(10_000);
    let mut delivered = 0;
    for _ in 0..2_000 {
        let r = c.cmd(&["PUBLISH", "flood", &payload]);
        if r == b":0\r\n" {
            break;
        }
        delivered += 1;
    }
    // 2,000 x 10 KB = 20 MB offered; a 1 MB hard limit cuts the reader off long before.
    assert!(delivered < 2_000, "subscriber never cut off");
    assert!(wait_until(Duration::from_secs(5), || {
        c.cmd(&["PUBSUB", "NUMSUB", "flood"]) == b"*2\r\n$5\r\nflood\r\n:0\r\n"
    }));
    c.expect(&["PING"], "+PONG\r\n");
    // The disconnected subscriber's socket reaches EOF after what was sent.
    sub.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0usize;
    loop {
        match sub.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => panic!("subscriber not closed: {e} after {total} bytes"),
        }
    }
}

#[test]
fn publish_to_many_subscribers() {
    let srv = start_server_with(&[]);
    let mut subs: Vec<RespClient> = (0..300).map(|_| srv.client()).collect();
    for s in &mut subs {
        s.cmd(&["SUBSCRIBE", "wide"]);
    }
    let mut c = srv.client();
    c.expect(&["PUBLISH", "wide", "hi"], ":300\r\n");
    for s in &mut subs {
        assert_eq!(s.read_reply(), push(&["message", "wide", "hi"]).as_bytes());
    }
    drop(subs);
    assert!(wait_until(Duration::from_secs(5), || {
        c.cmd(&["PUBLISH", "wide", "x"]) == b":0\r\n"
    }));
}
