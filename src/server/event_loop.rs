//! The event loop: accept, read, decode, execute, write, and the cron tick, on one thread.
//!
//! Sockets are edge-triggered (mio/epoll), so a client is read until `WouldBlock` or until
//! it has had its share of this iteration; a client cut short is remembered in
//! `pending_reads` and served again before the loop sleeps. Replies accumulate in each
//! client's buffer and are written once per iteration ("as few syscalls as possible"); a
//! client whose unread replies exceed [`OUTPUT_PAUSE_BYTES`](super::client::OUTPUT_PAUSE_BYTES)
//! is not read until it drains them.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::client::Client;
use super::{ServerState, Shutdown, blocking, cron, unix_ms};
use crate::commands;
use crate::config::{Config, OBUF_NORMAL};
use crate::protocol::{Limits, Request};

const SIGNAL_TOKEN: Token = Token(0);
/// The AOF fsync thread wakes the loop with this token when an fsync completes.
const AOF_TOKEN: Token = Token(CLIENT_BASE - 1);
/// Tokens below this are listeners and signals; client slot `i` is `Token(CLIENT_BASE + i)`.
const LISTENER_BASE: usize = 1;
pub(super) const CLIENT_BASE: usize = 64;
/// Reads per client per loop iteration before others get their turn.
pub(super) const READS_PER_TURN: usize = 4;
/// Requests with at most this many arguments are passed without allocating.
const SMALL_ARGV: usize = 16;

pub struct Server {
    poll: Poll,
    listeners: Vec<TcpListener>,
    signals: Option<signal_hook_mio::v1_0::Signals>,
    pub state: ServerState,
    /// Slots of clients that may have unread input or unprocessed requests.
    pending_reads: Vec<usize>,
    /// Slots of clients with replies to write this iteration.
    pending_writes: Vec<usize>,
}

impl Server {
    /// Bind every configured address. Addresses prefixed with `-` are optional (as in Redis:
    /// `bind 127.0.0.1 -::1` works on hosts without IPv6).
    pub fn bind(config: Config) -> io::Result<Server> {
        let poll = Poll::new()?;
        let mut listeners = Vec::new();
        let mut port = config.port;
        for spec in &config.bind {
            let (optional, host) = match spec.strip_prefix('-') {
                Some(h) => (true, h),
                None => (false, spec.as_str()),
            };
            let host = if host == "*" { "0.0.0.0" } else { host };
            let addrs: Vec<SocketAddr> = match (host, port).to_socket_addrs() {
                Ok(a) => a.collect(),
                Err(e) if optional => {
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            for addr in addrs {
                match TcpListener::bind(addr) {
                    Ok(l) => {
                        set_backlog(&l, config.tcp_backlog);
                        // With port 0 the first listener picks the port; the rest follow it.
                        if port == 0 {
                            port = l.local_addr()?.port();
                        }
                        listeners.push(l);
                    }
                    Err(_) if optional => {}
                    Err(e) => {
                        return Err(io::Error::new(
                            e.kind(),
                            format!("Could not create server TCP listening socket {addr}: {e}"),
                        ));
                    }
                }
            }
        }
        if listeners.is_empty() {
            return Err(io::Error::new(
                ErrorKind::AddrNotAvailable,
                "Failed listening on any configured address",
            ));
        }
        for (i, l) in listeners.iter_mut().enumerate() {
            poll.registry()
                .register(l, Token(LISTENER_BASE + i), Interest::READABLE)?;
        }
        let mut state = ServerState::new(config);
        state.bound_port = port;
        state.aof.waker = Some(std::sync::Arc::new(mio::Waker::new(
            poll.registry(),
            AOF_TOKEN,
        )?));
        state.busy_io = Some(super::busy::BusyIo::new(&poll, &listeners)?);
        Ok(Server {
            poll,
            listeners,
            signals: None,
            state,
            pending_reads: Vec::new(),
            pending_writes: Vec::new(),
        })
    }

    /// Shut down cleanly on SIGTERM and SIGINT (the binary calls this; tests do not).
    pub fn handle_signals(&mut self) -> io::Result<()> {
        let mut signals = signal_hook_mio::v1_0::Signals::new([
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
        ])?;
        self.poll
            .registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        self.signals = Some(signals);
        // While a script is busy the loop does not poll: the busy hook reads this flag.
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(sig, flag.clone())?;
        }
        if let Some(io) = self.state.busy_io.as_mut() {
            io.signal = Some(flag);
        }
        Ok(())
    }

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    pub fn port(&self) -> u16 {
        self.state.bound_port
    }

    /// Run until SHUTDOWN or a signal.
    pub fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut next_cron = Instant::now();
        self.state.log.notice("Ready to accept connections tcp");
        loop {
            let now = Instant::now();
            let mut timeout = if self.pending_reads.is_empty() && !self.state.eviction.running {
                next_cron.saturating_duration_since(now)
            } else {
                Duration::ZERO
            };
            if let Some(d) = self.state.blocking.next_deadline() {
                let until = (d - unix_ms()).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(until));
            }
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.state.refresh_clock();
            for event in events.iter() {
                match event.token() {
                    SIGNAL_TOKEN => self.on_signal(),
                    AOF_TOKEN => crate::persistence::aof::on_sync_done(&mut self.state),
                    Token(t) if t < CLIENT_BASE => self.accept(t - LISTENER_BASE),
                    Token(t) => {
                        let slot = t - CLIENT_BASE;
                        if event.is_writable() {
                            self.on_writable(slot);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.serve(slot);
                        }
                    }
                }
            }
            if self.state.blocking.count > 0 {
                let now = self.state.now_ms;
                blocking::expire_timeouts(&mut self.state, now);
            }
            self.collect_unblocked();
            let again = std::mem::take(&mut self.pending_reads);
            for slot in again {
                self.serve(slot);
            }
            self.collect_unblocked();
            if self.state.eviction.running {
                // A pass that ran out of its time budget goes on between iterations.
                super::maxmemory::perform_evictions(&mut self.state, None);
            }
            if Instant::now() >= next_cron {
                cron::tick(&mut self.state);
                crate::server::propagate::flush_unwrapped(&mut self.state);
                super::notify::drain(&mut self.state, None);
                let hz = self.state.config.hz.clamp(1, 500) as u64;
                next_cron = Instant::now() + Duration::from_millis(1000 / hz);
                self.close_flagged();
            }
            self.flush_all();
            if self.state.shutdown.is_some() {
                return self.finish_shutdown();
            }
        }
    }

    /// Clients released from blocking have a reply to write and maybe requests to run.
    fn collect_unblocked(&mut self) {
        if let Some(io) = self.state.busy_io.as_mut()
            && !io.touched.is_empty()
        {
            // Clients served while a script was busy: their sockets may hold more.
            for slot in std::mem::take(&mut io.touched) {
                self.pending_writes.push(slot);
                self.pending_reads.push(slot);
            }
        }
        for slot in std::mem::take(&mut self.state.blocking.unblocked) {
            self.pending_writes.push(slot);
            self.pending_reads.push(slot);
        }
        // Clients whose replies waited for an AOF fsync that has completed.
        for slot in crate::persistence::aof::take_released(&mut self.state) {
            self.pending_writes.push(slot);
            self.pending_reads.push(slot);
        }
        // Subscribers that received messages.
        let mut flush = std::mem::take(&mut self.state.pubsub.flush);
        flush.sort_unstable();
        flush.dedup();
        // Under `appendfsync always` a message (a keyspace event about a write) waits
        // for the fsync like a reply would.
        let hold = crate::persistence::aof::hold_target(&self.state);
        if hold != 0 {
            for &slot in &flush {
                if let Some(c) = self
                    .state
                    .clients
                    .slots
                    .get_mut(slot)
                    .and_then(|c| c.as_mut())
                {
                    c.aof_hold = c.aof_hold.max(hold);
                }
            }
        }
        self.pending_writes.extend(flush);
    }

    fn on_signal(&mut self) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        for sig in signals.pending() {
            let name = if sig == signal_hook::consts::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            self.state
                .log
                .warning(&format!("Received {name} scheduling shutdown..."));
            use crate::config::shutdown as sd;
            let bits = if sig == signal_hook::consts::SIGINT {
                self.state.config.shutdown_on_sigint
            } else {
                self.state.config.shutdown_on_sigterm
            };
            let save = if bits & sd::NOSAVE != 0 {
                Some(false)
            } else if bits & sd::SAVE != 0 {
                Some(true)
            } else {
                None
            };
            let force = bits & sd::FORCE != 0;
            if crate::persistence::prepare_shutdown(&mut self.state, save, force).is_ok() {
                self.state.shutdown = Some(Shutdown::Requested);
            } else {
                self.state.log.warning(&format!(
                    "{name} received but errors trying to shut down the server, check the logs for more information"
                ));
            }
        }
    }

    fn finish_shutdown(&mut self) -> io::Result<()> {
        // "User requested shutdown..." was logged by persistence::prepare_shutdown, before
        // the final save, in Redis's order.
        self.flush_all();
        self.state
            .log
            .warning("ferrokv is now ready to exit, bye bye...");
        Ok(())
    }

    fn accept(&mut self, listener: usize) {
        loop {
            let Some(l) = self.listeners.get(listener) else {
                return;
            };
            let (stream, addr) = match l.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EMFILE and friends: log and try again on the next readiness event.
                    self.state
                        .log
                        .warning(&format!("Accepting client connection: {e}"));
                    return;
                }
            };
            self.state.stats.connections_received += 1;
            if self.state.clients.count >= self.state.config.maxclients {
                self.state.stats.rejected_connections += 1;
                let mut s = stream;
                let _ = s.write(b"-ERR max number of clients reached\r\n");
                continue;
            }
            self.add_client(stream, addr);
        }
    }

    fn add_client(&mut self, stream: TcpStream, addr: SocketAddr) {
        add_client(&mut self.state, self.poll.registry(), stream, addr);
    }

    /// Read what the client sent and run its complete requests.
    fn serve(&mut self, slot: usize) {
        let Some(mut client) = self.state.clients.take(slot) else {
            return;
        };
        let mut closed = false;
        let mut reads = 0;
        loop {
            // Requests already buffered run first; they may fill the output.
            self.process_input(&mut client);
            if client.close_after_reply || client.close_asap {
                break;
            }
            if client.output_paused() {
                // Resumed by on_writable once the client has read its replies.
                break;
            }
            if crate::persistence::aof::must_hold(&self.state, client.aof_hold) {
                // Replies wait for an AOF fsync. The requests already buffered ran (their
                // replies wait together, the hold moving to the last one); nothing more
                // is read until they are written.
                break;
            }
            if reads == READS_PER_TURN {
                client.read_pending = true;
                self.pending_reads.push(slot);
                break;
            }
            match read_some(&mut client) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    reads += 1;
                    self.state.stats.net_input_bytes += n as u64;
                    client.last_interaction_ms = self.state.now_ms;
                    client.read_pending = true;
                    if client.qbuf.len() > self.state.config.client_query_buffer_limit {
                        self.state.log.warning(&format!(
                            "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                            client.id,
                            client.addr,
                            client.qbuf.len()
                        ));
                        self.state.stats.client_query_limit_disconnections += 1;
                        closed = true;
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    client.read_pending = false;
                    break;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        if closed {
            // The peer may have only shut its write side (`printf 'PING\r\n' | nc`):
            // give it the replies already produced, as far as the socket takes them.
            self.write_out(&mut client);
            self.drop_client(slot, client);
            return;
        }
        if client.pending_output() > 0 {
            self.check_output_limit(&mut client);
            self.pending_writes.push(slot);
        }
        self.state.clients.put_back(slot, client);
    }

    fn check_output_limit(&mut self, client: &mut Client) {
        let limit = self.state.config.client_output_buffer_limit[OBUF_NORMAL];
        if client.over_output_limit(&limit, self.state.now_ms) {
            self.state.log.warning(&format!(
                "Client id={} addr={} scheduled to be closed ASAP for overcoming of output buffer limits.",
                client.id, client.addr
            ));
            self.state.stats.client_output_limit_disconnections += 1;
            client.close_asap = true;
        }
    }

    fn process_input(&mut self, client: &mut Client) {
        process_input(&mut self.state, client);
    }

    fn on_writable(&mut self, slot: usize) {
        if crate::persistence::aof::pending(&self.state) {
            // Writes of this iteration are not in the AOF yet: this client's buffer may
            // hold replies to them. Write at the end of the iteration, after the one
            // flush (and fsync) that covers them all, instead of syncing here.
            if let Some(c) = self
                .state
                .clients
                .slots
                .get_mut(slot)
                .and_then(|c| c.as_mut())
            {
                c.write_blocked = false;
                self.pending_writes.push(slot);
            }
            return;
        }
        let Some(mut client) = self.state.clients.take(slot) else {
            return;
        };
        client.write_blocked = false;
        let was_paused = client.output_paused();
        let ok = self.write_out(&mut client);
        let resume = ok && was_paused && !client.output_paused();
        self.state.clients.put_back(slot, client);
        if !ok {
            if let Some(c) = self.state.clients.take(slot) {
                self.drop_client(slot, c);
            }
        } else if resume {
            self.pending_reads.push(slot);
        }
    }

    fn write_out(&mut self, client: &mut Client) -> bool {
        write_out(&mut self.state, client)
    }

    fn flush_all(&mut self) {
        self.collect_unblocked();
        // Writes reach the AOF (and, under `always`, the disk) before any reply to them.
        crate::persistence::aof::before_replies(&mut self.state);
        let slots = std::mem::take(&mut self.pending_writes);
        for slot in slots {
            let Some(mut client) = self.state.clients.take(slot) else {
                continue;
            };
            if client.write_blocked {
                self.state.clients.put_back(slot, client);
                continue;
            }
            let was_paused = client.output_paused();
            if self.write_out(&mut client) {
                if was_paused && !client.output_paused() {
                    self.pending_reads.push(slot);
                }
                self.state.clients.put_back(slot, client);
            } else {
                self.drop_client(slot, client);
            }
        }
        self.close_flagged();
    }

    /// Close clients flagged by CLIENT KILL, output limits or the idle timeout.
    fn close_flagged(&mut self) {
        let flagged: Vec<usize> = self
            .state
            .clients
            .iter()
            .filter(|(_, c)| c.close_asap)
            .map(|(i, _)| i)
            .collect();
        for slot in flagged {
            if let Some(c) = self.state.clients.take(slot) {
                self.drop_client(slot, c);
            }
        }
    }

    fn drop_client(&mut self, slot: usize, client: Box<Client>) {
        drop_client(&mut self.state, self.poll.registry(), slot, client);
    }
}

pub(super) fn read_some(client: &mut Client) -> io::Result<usize> {
    client.qbuf.read_from(&mut client.stream)
}

/// Listen again with `tcp-backlog` (mio listens with its own default; Linux lets a
/// listening socket change its backlog this way).
fn set_backlog(listener: &TcpListener, backlog: u32) {
    use std::os::fd::AsRawFd;
    let backlog = backlog.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: the fd belongs to a listening socket owned by `listener`.
    unsafe {
        libc::listen(listener.as_raw_fd(), backlog);
    }
}

fn set_keepalive(stream: &TcpStream, interval: u64) {
    use std::os::fd::AsRawFd;
    if interval == 0 {
        return;
    }
    let fd = stream.as_raw_fd();
    let on: libc::c_int = 1;
    let idle = interval.min(i32::MAX as u64) as libc::c_int;
    let intvl = (idle / 3).max(1);
    let cnt: libc::c_int = 3;
    // SAFETY: fd is a valid open socket owned by `stream`; each option value is a c_int
    // that lives for the duration of the call, and its size is passed alongside.
    unsafe {
        let sz = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            &on as *const _ as *const libc::c_void,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPIDLE,
            &idle as *const _ as *const libc::c_void,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            &intvl as *const _ as *const libc::c_void,
            sz,
        );
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_KEEPCNT,
            &cnt as *const _ as *const libc::c_void,
            sz,
        );
    }
}

/// Decode and execute every complete request in the query buffer, stopping early when
/// the client's output is paused or the connection is to be closed.
pub(super) fn process_input(state: &mut ServerState, client: &mut Client) {
    let mut input = std::mem::take(&mut client.qbuf);
    let qbuf = input.as_slice();
    let mut start = 0;
    let max_bulk = state.config.proto_max_bulk_len as i64;
    while start < qbuf.len()
        && !client.close_after_reply
        && !client.output_paused()
        && client.blocked.is_none()
    {
        let limits = Limits {
            max_bulk_len: max_bulk,
            authenticated: client.authenticated,
        };
        match client.decoder.decode(&qbuf[start..], limits) {
            Ok(None) => break,
            Ok(Some(Request::Empty { consumed })) => start += consumed,
            Ok(Some(Request::Multibulk { consumed })) => {
                let base = start;
                let ranges = client.decoder.ranges();
                let arg = |r: &std::ops::Range<usize>| &qbuf[base + r.start..base + r.end];
                // Most commands have few arguments: no allocation for them.
                if ranges.len() <= SMALL_ARGV {
                    let mut argv: [&[u8]; SMALL_ARGV] = [&[]; SMALL_ARGV];
                    for (slot, r) in argv.iter_mut().zip(ranges) {
                        *slot = arg(r);
                    }
                    let n = ranges.len();
                    commands::execute(state, client, &argv[..n]);
                } else {
                    let argv: Vec<&[u8]> = ranges.iter().map(arg).collect();
                    commands::execute(state, client, &argv);
                }
                start += consumed;
                after_command(state, client);
            }
            Ok(Some(Request::Inline { consumed, args })) => {
                let args: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
                commands::execute(state, client, &args);
                start += consumed;
                after_command(state, client);
            }
            Err(e) => {
                let msg = format!("ERR {e}");
                state.log.verbose(&format!(
                    "Protocol error ({e}) from client: id={} addr={}",
                    client.id, client.addr
                ));
                client.reply.error(&msg);
                client.close_after_reply = true;
                start = qbuf.len();
            }
        }
    }
    input.consume(start);
    client.qbuf_peak = client.qbuf_peak.max(input.capacity());
    client.qbuf = input;
}

/// Work that follows every command: events the keyspace logged (expired, new keys),
/// then clients blocked on keys it created.
fn after_command(state: &mut ServerState, client: &mut Client) {
    if state.config.notify_keyspace_events != 0 {
        super::notify::drain(state, Some(client));
    }
    if state.blocking.count > 0 {
        blocking::serve_ready(state);
    }
}

/// Write what the socket takes. Returns false when the connection must be dropped.
pub(super) fn write_out(state: &mut ServerState, client: &mut Client) -> bool {
    if crate::persistence::aof::pending(state) {
        crate::persistence::aof::before_replies(state);
    }
    if client.aof_hold != 0 {
        // Written when the fsync covering its commands completes. Either way the client
        // goes through the held list once, so that it is read again: a hold may have
        // stopped it in the middle of a pipeline, with requests left in its buffer that
        // no readable event will announce.
        state.aof.held.push(client.slot);
        if crate::persistence::aof::must_hold(state, client.aof_hold) {
            return true;
        }
        client.aof_hold = 0;
    }
    while client.sent < client.reply.buf.len() {
        match client.stream.write(&client.reply.buf[client.sent..]) {
            Ok(0) => return false,
            Ok(n) => {
                client.sent += n;
                state.stats.net_output_bytes += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                client.write_blocked = true;
                break;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    if client.sent == client.reply.buf.len() {
        client.sent = 0;
        client.reply.buf.clear();
        // Give back memory after a large reply, keep a small buffer for the next ones.
        if client.reply.buf.capacity() > 64 * 1024 {
            client.reply.buf.shrink_to(16 * 1024);
        }
        if client.close_after_reply {
            return false;
        }
    } else if client.sent > 1024 * 1024 {
        // Drop what was written so the buffer does not keep growing at the front.
        client.reply.buf.drain(..client.sent);
        client.sent = 0;
    }
    true
}

/// Unregister and free a client (its slot must be empty: the client is taken).
pub(super) fn drop_client(
    state: &mut ServerState,
    registry: &mio::Registry,
    slot: usize,
    mut client: Box<Client>,
) {
    let _ = registry.deregister(&mut client.stream);
    blocking::unregister(state, &mut client);
    crate::commands::transactions::unwatch_all(state, &mut client);
    crate::commands::pubsub::unsubscribe_all(state, &mut client);
    // The slot is empty while the client is taken; put it back so remove() frees it.
    state.clients.put_back(slot, client);
    state.clients.remove(slot);
}

/// Register a newly accepted connection as a client.
pub(super) fn add_client(
    state: &mut ServerState,
    registry: &mio::Registry,
    stream: TcpStream,
    addr: SocketAddr,
) {
    let _ = stream.set_nodelay(true);
    set_keepalive(&stream, state.config.tcp_keepalive);
    let id = state.next_client_id;
    state.next_client_id += 1;
    let needs_auth = state.requires_auth();
    let client = Box::new(Client::new(id, stream, addr, state.now_ms, needs_auth));
    let slot = state.clients.insert(client);
    let Some(c) = state.clients.slots[slot].as_mut() else {
        return;
    };
    if registry
        .register(
            &mut c.stream,
            Token(CLIENT_BASE + slot),
            Interest::READABLE | Interest::WRITABLE,
        )
        .is_err()
    {
        state.clients.remove(slot);
    }
}
