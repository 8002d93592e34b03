//! Serving other clients while a script runs past `busy-reply-threshold` (Redis's
//! processEventsWhileBlocked).
//!
//! The script runs inside one command execution, deep below the event loop, so the loop
//! cannot turn. Instead the script's hook calls [`process_events_while_busy`] every few
//! milliseconds: it accepts connections, reads and runs other clients' requests (which
//! `commands::execute` answers with `-BUSY` unless they are flagged `allow_busy`: SCRIPT
//! KILL, FUNCTION KILL/STATS, SHUTDOWN NOSAVE, MULTI, WATCH...), and writes their replies.
//!
//! It works from [`ServerState`] alone: the event loop lends it a clone of the mio registry
//! (to register new connections) and duplicates of the listening sockets. Readiness comes
//! from a private level-triggered epoll set built when the busy period starts and closed
//! when the script ends, so the loop's own edge-triggered poll is left alone; every client
//! served is remembered in [`BusyIo::touched`] and the loop reads and flushes it again
//! afterwards, since an edge it already consumed will not be reported twice.
//!
//! The client running the script is out of the client table while it runs, so it is
//! never served here (Redis "protects" it the same way).

use std::io::{self, ErrorKind};
use std::net::TcpListener as StdListener;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use mio::net::TcpStream;

use super::ServerState;
use super::event_loop::{
    READS_PER_TURN, add_client, drop_client, process_input, read_some, write_out,
};

/// epoll tag for listener `i` (client slots use their slot number).
const LISTENER_TAG: u64 = 1 << 62;

pub struct BusyIo {
    registry: mio::Registry,
    listeners: Vec<StdListener>,
    epoll: Option<OwnedFd>,
    /// Set by SIGTERM/SIGINT (the loop's own signal source is not polled while busy).
    pub signal: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Client slots served during the busy period, for the loop to revisit.
    pub touched: Vec<usize>,
}

impl BusyIo {
    pub fn new(poll: &mio::Poll, listeners: &[mio::net::TcpListener]) -> io::Result<BusyIo> {
        let registry = poll.registry().try_clone()?;
        let mut dups = Vec::new();
        for l in listeners {
            // SAFETY: dup of a valid listening socket; the new fd is owned by the StdListener.
            let fd = unsafe { libc::dup(l.as_raw_fd()) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: fd is a fresh descriptor we own.
            let std = unsafe { StdListener::from_raw_fd(fd) };
            std.set_nonblocking(true)?;
            dups.push(std);
        }
        Ok(BusyIo {
            registry,
            listeners: dups,
            epoll: None,
            signal: None,
            touched: Vec::new(),
        })
    }
}

fn epoll_add(ep: RawFd, fd: RawFd, tag: u64) {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: tag,
    };
    // SAFETY: valid epoll and socket fds; the event struct lives for the call.
    unsafe {
        libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev);
    }
}

/// Build the epoll set: every listener and every client in the table.
fn start(state: &mut ServerState) -> Option<RawFd> {
    let io = state.busy_io.as_mut()?;
    if io.epoll.is_none() {
        // SAFETY: plain syscall; the result is checked.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor we own.
        io.epoll = Some(unsafe { OwnedFd::from_raw_fd(ep) });
        for (i, l) in io.listeners.iter().enumerate() {
            epoll_add(ep, l.as_raw_fd(), LISTENER_TAG + i as u64);
        }
        for (slot, c) in state.clients.iter() {
            epoll_add(ep, c.stream.as_raw_fd(), slot as u64);
        }
        flush_all(state);
    }
    state
        .busy_io
        .as_ref()?
        .epoll
        .as_ref()
        .map(|e| e.as_raw_fd())
}

/// Write what clients already have pending: the loop flushes once per iteration, and the
/// replies of requests it ran before the script started would otherwise wait for it.
fn flush_all(state: &mut ServerState) {
    for slot in 0..state.clients.slots.len() {
        let Some(mut c) = state.clients.take(slot) else {
            continue;
        };
        if c.pending_output() > 0 && !c.write_blocked {
            // A failed write is noticed again by the loop, which owns dropping clients.
            let _ = write_out(state, &mut c);
        }
        state.clients.put_back(slot, c);
    }
}

/// The script ended: drop the epoll set.
pub fn end(state: &mut ServerState) {
    if let Some(io) = state.busy_io.as_mut() {
        io.epoll = None;
    }
}

/// One turn of the loop on behalf of a busy script.
pub fn process_events_while_busy(state: &mut ServerState) {
    let Some(ep) = start(state) else {
        return;
    };
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 256];
    // SAFETY: the buffer holds 256 events; timeout 0 never blocks.
    let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, 0) };
    state.refresh_clock();
    let signalled = state
        .busy_io
        .as_ref()
        .and_then(|io| io.signal.as_ref())
        .is_some_and(|f| f.swap(false, std::sync::atomic::Ordering::Relaxed));
    if signalled {
        // As Redis: a signal during a busy script shuts down without saving.
        state.log.warning("Received SIGTERM scheduling shutdown...");
        state.shutdown = Some(super::Shutdown::Requested);
    }
    for ev in events.iter().take(n.max(0) as usize) {
        let tag = ev.u64;
        if tag >= LISTENER_TAG {
            accept(state, ep, (tag - LISTENER_TAG) as usize);
        } else {
            serve(state, tag as usize);
        }
    }
}

fn accept(state: &mut ServerState, ep: RawFd, i: usize) {
    loop {
        let Some(io) = state.busy_io.as_ref() else {
            return;
        };
        let Some(l) = io.listeners.get(i) else {
            return;
        };
        let (stream, addr) = match l.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        state.stats.connections_received += 1;
        if state.clients.count >= state.config.maxclients {
            state.stats.rejected_connections += 1;
            use std::io::Write;
            let mut s = stream;
            let _ = s.write(b"-ERR max number of clients reached\r\n");
            continue;
        }
        if stream.set_nonblocking(true).is_err() {
            continue;
        }
        let fd = stream.as_raw_fd();
        let stream = TcpStream::from_std(stream);
        let Some(io) = state.busy_io.take() else {
            return;
        };
        add_client(state, &io.registry, stream, addr);
        state.busy_io = Some(io);
        if let Some((slot, _)) = state
            .clients
            .iter()
            .find(|(_, c)| c.stream.as_raw_fd() == fd)
        {
            epoll_add(ep, fd, slot as u64);
        }
    }
}

/// Read, run and answer one client (not the one running the script: it is out of the
/// table).
fn serve(state: &mut ServerState, slot: usize) {
    let Some(mut client) = state.clients.take(slot) else {
        return;
    };
    let mut closed = false;
    for _ in 0..READS_PER_TURN {
        process_input(state, &mut client);
        if client.close_after_reply || client.close_asap || client.output_paused() {
            break;
        }
        match read_some(&mut client) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => {
                state.stats.net_input_bytes += n as u64;
                client.last_interaction_ms = state.now_ms;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    process_input(state, &mut client);
    if crate::persistence::aof::must_hold(state, client.aof_hold) {
        // The loop is not turning, so no fsync completion would release this client
        // before the script ends: sync here (rare: `always` with writes pending).
        crate::persistence::aof::flush(state, true);
    }
    let ok = write_out(state, &mut client);
    if closed || !ok || client.close_asap {
        if let Some(io) = state.busy_io.take() {
            drop_client(state, &io.registry, slot, client);
            state.busy_io = Some(io);
        }
        return;
    }
    state.clients.put_back(slot, client);
    if let Some(io) = state.busy_io.as_mut() {
        io.touched.push(slot);
    }
}
