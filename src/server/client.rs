//! Per-connection state: socket, query buffer, decoder, reply buffer and session settings.

use std::net::SocketAddr;

use mio::net::TcpStream;

use crate::config::ClientBufferLimit;
use crate::protocol::{Decoder, Reply};

/// Bytes read from a socket per `read` call.
pub const READ_CHUNK: usize = 16 * 1024;
/// Pending reply bytes above which a client's further requests wait until it reads its
/// replies: a client that pipelines without reading cannot grow the server's memory.
pub const OUTPUT_PAUSE_BYTES: usize = 1024 * 1024;

/// What a blocked client waits for (BLPOP and friends).
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Box<[u8]>>,
    /// Unix ms; None waits forever.
    pub deadline: Option<i64>,
    /// The command to run again when a key is ready.
    pub argv: Vec<Vec<u8>>,
}

pub struct Client {
    pub id: u64,
    /// Index in the client table (the mio token minus the reserved tokens).
    pub slot: usize,
    pub stream: TcpStream,
    pub addr: SocketAddr,
    pub local_addr: SocketAddr,
    /// Unparsed request bytes.
    pub qbuf: super::input::InputBuf,
    /// Peak size of `qbuf` since the last cron check, to decide when to shrink it.
    pub qbuf_peak: usize,
    pub decoder: Decoder,
    pub reply: Reply,
    /// Bytes of `reply.buf` already written to the socket.
    pub sent: usize,
    pub db: usize,
    pub name: Option<Vec<u8>>,
    pub authenticated: bool,
    pub user: &'static str,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Name of the last command run (CLIENT LIST `cmd=`).
    pub last_cmd: &'static str,
    /// Close once the pending replies are written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close as soon as possible, replies or not (CLIENT KILL, output limits).
    pub close_asap: bool,
    /// The socket may hold unread bytes: edge-triggered readiness will not tell us again.
    pub read_pending: bool,
    /// The last write would block; wait for a writable event.
    pub write_blocked: bool,
    /// When the output buffer first exceeded the soft limit (ms), for client-output-buffer-limit.
    pub soft_limit_since: Option<i64>,
    /// CLIENT REPLY OFF/SKIP.
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub blocked: Option<Blocked>,
    /// Commands queued by MULTI (None outside a transaction).
    pub multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A command was rejected while queuing: EXEC must abort.
    pub multi_error: bool,
    /// Running the commands of EXEC (blocking commands must not block).
    pub in_exec: bool,
    /// Running commands for a script (`redis.call`): no blocking, no subscribe-mode or
    /// BUSY checks, replies go to the script.
    pub in_script: bool,
    /// The request being checked is an EXEC (a rejected EXEC aborts the transaction).
    pub pending_name_is_exec: bool,
    /// Subscribed channels, patterns and shard channels, in subscription order.
    pub subs: Vec<Vec<u8>>,
    pub psubs: Vec<Vec<u8>>,
    pub ssubs: Vec<Vec<u8>>,
    /// WATCHed keys: (db, key, version at WATCH, already expired at WATCH).
    pub watched: Vec<(usize, Box<[u8]>, u64, bool)>,
    /// Set while a blocked command is run again because a key became ready.
    pub retrying: bool,
    /// Not a connection: the client that replays the AOF (may not block).
    pub fake: bool,
    /// Under `appendfsync always`: the AOF offset that must be on disk before this
    /// client's replies are written (0: none). A held client is not read either.
    pub aof_hold: u64,
    /// Set when that rerun could not be served and the client keeps waiting.
    pub reblocked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    Skip,
}

impl Client {
    pub fn new(
        id: u64,
        stream: TcpStream,
        addr: SocketAddr,
        now_ms: i64,
        needs_auth: bool,
    ) -> Self {
        let local_addr = stream.local_addr().unwrap_or(addr);
        Client {
            id,
            stream,
            addr,
            local_addr,
            qbuf: Default::default(),
            qbuf_peak: 0,
            decoder: Decoder::new(),
            reply: Reply::new(),
            sent: 0,
            db: 0,
            name: None,
            authenticated: !needs_auth,
            user: "default",
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            close_after_reply: false,
            close_asap: false,
            read_pending: false,
            write_blocked: false,
            soft_limit_since: None,
            reply_mode: ReplyMode::On,
            no_evict: false,
            lib_name: None,
            lib_ver: None,
            blocked: None,
            multi: None,
            multi_error: false,
            in_exec: false,
            in_script: false,
            pending_name_is_exec: false,
            watched: Vec::new(),
            subs: Vec::new(),
            psubs: Vec::new(),
            ssubs: Vec::new(),
            retrying: false,
            fake: false,
            aof_hold: 0,
            reblocked: false,
            slot: 0,
        }
    }

    /// A client with no connection, for replaying the AOF (Redis's fake client): its
    /// socket is one end of a socket pair that is never registered with the event loop.
    pub fn fake() -> std::io::Result<Self> {
        use std::os::fd::{FromRawFd, IntoRawFd};
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let (a, _b) = std::os::unix::net::UnixStream::pair()?;
        // SAFETY: the fd is a valid socket we own; TcpStream only reads, writes and closes
        // it (address queries fail on it, which Client::new tolerates).
        let stream = unsafe { TcpStream::from_raw_fd(a.into_raw_fd()) };
        let mut c = Client::new(0, stream, addr, crate::server::unix_ms(), false);
        c.fake = true;
        Ok(c)
    }

    pub fn subscribed(&self) -> bool {
        !(self.subs.is_empty() && self.psubs.is_empty() && self.ssubs.is_empty())
    }

    /// Reply bytes not yet written to the socket.
    pub fn pending_output(&self) -> usize {
        self.reply.buf.len() - self.sent
    }

    /// Whether further requests must wait for the client to read its replies.
    pub fn output_paused(&self) -> bool {
        self.pending_output() > OUTPUT_PAUSE_BYTES
    }

    /// `client-output-buffer-limit`: past the hard limit, or past the soft limit for longer
    /// than its seconds, the client must be closed (Redis's `checkClientOutputBufferLimits`).
    pub fn over_output_limit(&mut self, limit: &ClientBufferLimit, now_ms: i64) -> bool {
        let pending = self.pending_output() as u64;
        let hard = limit.hard_limit_bytes > 0 && pending >= limit.hard_limit_bytes;
        let mut soft = false;
        if limit.soft_limit_bytes > 0 && pending >= limit.soft_limit_bytes {
            let since = *self.soft_limit_since.get_or_insert(now_ms);
            soft = now_ms - since >= limit.soft_limit_seconds as i64 * 1000;
        } else {
            self.soft_limit_since = None;
        }
        hard || soft
    }

    /// `CLIENT LIST`/`CLIENT INFO` line for this client, as Redis 7.0 formats it.
    pub fn info_line(&self, now_ms: i64) -> String {
        let name = self
            .name
            .as_deref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let mut flags = String::new();
        if self.close_after_reply || self.close_asap {
            flags.push('A');
        }
        if self.blocked.is_some() {
            flags.push('b');
        }
        if self.no_evict {
            flags.push('e');
        }
        if self.multi.is_some() {
            flags.push('x');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
            self.id,
            self.addr,
            self.local_addr,
            fd_of(&self.stream),
            name,
            (now_ms - self.created_ms).max(0) / 1000,
            (now_ms - self.last_interaction_ms).max(0) / 1000,
            flags,
            self.db,
            self.subs.len(),
            self.psubs.len(),
            self.ssubs.len(),
            self.multi.as_ref().map_or(-1, |m| m.len() as i64),
            self.qbuf.len(),
            self.qbuf.capacity().saturating_sub(self.qbuf.len()),
            self.qbuf.capacity(),
            self.qbuf_peak,
            self.pending_output(),
            self.qbuf.capacity() + self.reply.buf.capacity(),
            self.last_cmd,
            self.user,
            if self.reply.resp3 { 3 } else { 2 },
        )
    }
}

fn fd_of(stream: &TcpStream) -> i32 {
    use std::os::fd::AsRawFd;
    stream.as_raw_fd()
}
