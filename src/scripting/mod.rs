//! Lua scripting: EVAL scripts and FUNCTION libraries on an embedded Lua 5.1 (Redis 7.0's).
//!
//! - [`ffi`]/[`lua`]: the C API and small helpers; [`sandbox`]: how a state is set up
//!   (libraries, protections); [`api`]: the `redis` table; [`convert`]: RESP ↔ Lua values;
//!   [`libs`]: cjson, cmsgpack, bit, struct; [`functions`]: libraries and their payloads.
//! - [`run_script`] runs one script or function atomically inside the calling command.
//!
//! ## How a script runs commands
//! `redis.call` executes through [`crate::commands::execute`], the same path as a client,
//! on the *calling* client with its reply buffer swapped for a scratch one (and its
//! database, protocol and reply mode saved and restored), then parses the RESP bytes back
//! into Lua values. [`Client::in_script`] makes `execute` skip the checks that do not apply
//! inside a script and makes blocking commands not block.
//!
//! ## Pointers
//! While a script runs, its C functions reach the server through the raw pointers in
//! [`CURRENT`], derived from the `&mut ServerState`/`&mut Client` the command handler holds;
//! the handler does not touch those references until `lua_pcall` returns. Nothing in Rust
//! keeps a borrow of [`Scripting`] across `lua_pcall`: the hook and `redis.call` reach it
//! through the same pointer.
//!
//! ## Busy scripts
//! A count hook runs every [`HOOK_EVERY`] instructions. Past `busy-reply-threshold` the
//! script is "timed out": the hook serves other clients between instructions
//! ([`crate::server::busy`]), who get `-BUSY` for everything but the commands flagged
//! `allow_busy` (SCRIPT KILL, FUNCTION KILL/STATS, SHUTDOWN NOSAVE...). A kill makes the
//! hook raise an error on every line so `pcall` cannot swallow it.

pub mod api;
pub mod convert;
pub mod ffi;
pub mod functions;
pub mod libs;
pub mod lua;
pub mod sandbox;

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::c_int;
use std::time::{Duration, Instant};

use crate::commands::CmdError;
use crate::protocol::Reply;
use crate::server::client::ReplyMode;
use crate::server::{Client, ServerState};
use ffi::lua_State;

/// Instructions between two runs of the time-limit hook (Redis uses the same).
pub const HOOK_EVERY: c_int = 100_000;
/// How often a timed-out script lets other clients in.
const BUSY_TICK: Duration = Duration::from_millis(5);

/// Script flags (shebang `flags=` / register_function `flags`).
pub mod sflags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// The script had a shebang (without one, EVAL scripts get Redis's legacy defaults).
    pub const EVAL_COMPAT_MODE: u32 = 1 << 5;

    /// Flag names as FUNCTION LIST shows them, in Redis's order.
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    pub fn parse(name: &[u8]) -> Option<u32> {
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|(f, _)| *f)
    }
}

/// The script currently running (FUNCTION STATS, SCRIPT KILL, the BUSY gate).
pub struct RunInfo {
    /// The SHA1 of an EVAL script, or the function's name.
    pub name: String,
    pub is_eval: bool,
    /// The command that started it (FUNCTION STATS `command`).
    pub argv: Vec<Vec<u8>>,
    pub start: Instant,
    /// EVAL_RO/FCALL_RO or the `no-writes` flag: write commands are refused.
    pub read_only: bool,
    /// A write command ran: SCRIPT KILL can no longer stop it.
    pub write_dirty: bool,
    pub killed: bool,
    /// Past busy-reply-threshold: others are being served with BUSY.
    pub timed_out: bool,
    /// `redis.setresp`: the protocol of replies the script receives.
    pub resp3: bool,
    last_tick: Instant,
}

/// A cached EVAL script.
pub struct EvalScript {
    pub body: Vec<u8>,
    pub flags: u32,
}

/// The EVAL interpreter and its cache (functions live in the registry as `f_<sha>`).
pub struct EvalEngine {
    state: lua::State,
    scripts: HashMap<[u8; 40], EvalScript>,
    calls: u64,
}

/// All scripting state, owned by the server.
pub struct Scripting {
    eval: Option<EvalEngine>,
    pub functions: functions::Functions,
    pub run: Option<RunInfo>,
    /// lrand48 state behind math.random, shared by both interpreters as in Redis.
    pub rand48: u64,
}

impl Default for Scripting {
    fn default() -> Self {
        Self::new()
    }
}

impl Scripting {
    pub fn new() -> Self {
        Scripting {
            eval: None,
            functions: functions::Functions::new(),
            run: None,
            rand48: api::RAND48_INIT,
        }
    }

    /// Whether a script is past the busy threshold (other clients get BUSY).
    pub fn busy(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.timed_out)
    }

    fn eval_engine(&mut self) -> Result<&mut EvalEngine, CmdError> {
        if self.eval.is_none() {
            let state = sandbox::new_state(sandbox::Kind::Eval)
                .ok_or_else(|| CmdError::msg("ERR Failed creating the Lua VM"))?;
            self.eval = Some(EvalEngine {
                state,
                scripts: HashMap::new(),
                calls: 0,
            });
        }
        // Just created above if it was missing.
        self.eval
            .as_mut()
            .ok_or_else(|| CmdError::msg("ERR Failed creating the Lua VM"))
    }

    /// SCRIPT FLUSH: forget every script and start a new interpreter.
    pub fn flush_eval(&mut self) {
        self.eval = None;
    }

    pub fn eval_script(&self, sha: &[u8; 40]) -> Option<&EvalScript> {
        self.eval.as_ref()?.scripts.get(sha)
    }

    pub fn eval_script_count(&self) -> usize {
        self.eval.as_ref().map_or(0, |e| e.scripts.len())
    }

    /// Bytes of script bodies cached (INFO used_memory_scripts_eval).
    pub fn eval_scripts_memory(&self) -> usize {
        self.eval
            .as_ref()
            .map_or(0, |e| e.scripts.values().map(|s| s.body.len() + 40).sum())
    }

    pub fn eval_vm_memory(&self) -> u64 {
        self.eval.as_ref().map_or(0, |e| e.state.memory())
    }

    /// Compile `body` into the cache if it is not there; returns its SHA1 (lowercase hex).
    pub fn load_eval(&mut self, body: &[u8]) -> Result<[u8; 40], CmdError> {
        let sha = sha1_hex(body);
        let engine = self.eval_engine()?;
        if engine.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = parse_eval_shebang(body)?;
        let l = engine.state.ptr();
        // SAFETY: the eval state is valid; the stack is balanced on every path.
        unsafe {
            let code = &body[shebang_len..];
            let status = ffi::luaL_loadbuffer(
                l,
                code.as_ptr() as *const std::ffi::c_char,
                code.len(),
                c"@user_script".as_ptr(),
            );
            if status != 0 {
                let msg = lua::to_bytes(l, -1)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                ffi::lua_pop(l, 1);
                return Err(CmdError::msg(format!(
                    "ERR Error compiling script (new function): {msg}"
                )));
            }
            let key = format!("f_{}", std::str::from_utf8(&sha).unwrap_or(""));
            let mut k = key.into_bytes();
            k.push(0);
            ffi::lua_setfield(
                l,
                ffi::LUA_REGISTRYINDEX,
                k.as_ptr() as *const std::ffi::c_char,
            );
        }
        engine.scripts.insert(
            sha,
            EvalScript {
                body: body.to_vec(),
                flags,
            },
        );
        Ok(sha)
    }
}

/// Lowercase hex SHA1.
pub fn sha1_hex(data: &[u8]) -> [u8; 40] {
    let digest = sha1_smol::Sha1::from(data).digest().bytes();
    let mut out = [0u8; 40];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// `#!lua flags=a,b` at the top of an EVAL script: its flags and the length of the line to
/// skip (its newline is kept so line numbers stay the user's). Without a shebang the script
/// runs in compatibility mode.
pub fn parse_eval_shebang(body: &[u8]) -> Result<(u32, usize), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((sflags::EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(CmdError::msg("ERR Invalid script shebang"));
    };
    let line = &body[..end];
    let mut parts = line.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or(b"");
    if engine != b"#!lua" {
        return Err(CmdError::msg(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        )));
    }
    let mut flags = 0;
    for part in parts {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(CmdError::msg(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            )));
        };
        for name in list.split(|&b| b == b',').filter(|n| !n.is_empty()) {
            match sflags::parse(name) {
                Some(f) => flags |= f,
                None => {
                    return Err(CmdError::msg(format!(
                        "ERR Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    )));
                }
            }
        }
    }
    Ok((flags, end))
}

// ---------------------------------------------------------------------------------------
// The running script's context, for the C functions and the hook
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Current {
    srv: *mut ServerState,
    client: *mut Client,
}

thread_local! {
    static CURRENT: Cell<Option<Current>> = const { Cell::new(None) };
}

/// The server and client of the running script, if one is running.
///
/// # Safety
/// Only for the C functions and hooks Lua calls while [`run_script`] is in `lua_pcall`
/// (see the module comment); the references must not outlive that C call.
pub(crate) unsafe fn current<'a>() -> Option<(&'a mut ServerState, &'a mut Client)> {
    let cur = CURRENT.with(|c| c.get())?;
    // SAFETY: per the contract, these point to the live state/client of the running script.
    unsafe { Some((&mut *cur.srv, &mut *cur.client)) }
}

/// The server only (for `math.random`, which also runs while a library loads).
///
/// # Safety
/// As [`current`].
pub(crate) unsafe fn current_server<'a>() -> Option<&'a mut ServerState> {
    let cur = CURRENT.with(|c| c.get())?;
    // SAFETY: as current().
    unsafe { Some(&mut *cur.srv) }
}

/// Make the C functions see `srv`/`client` (FUNCTION LOAD runs library code this way).
pub(crate) fn set_current(srv: *mut ServerState, client: *mut Client) {
    CURRENT.with(|c| c.set(Some(Current { srv, client })));
}

pub(crate) fn clear_current() {
    CURRENT.with(|c| c.set(None));
}

/// What the caller wants run: the function and its arguments are pushed by `push`.
pub struct Invocation<'a> {
    pub l: *mut lua_State,
    pub info: RunInfo,
    /// Pushes the function and its arguments; returns the argument count.
    pub push: &'a mut dyn FnMut(*mut lua_State) -> c_int,
}

/// The client state a script borrows and gives back.
struct Saved {
    reply: Reply,
    db: usize,
    reply_mode: ReplyMode,
    last_cmd: &'static str,
}

/// Run a script or function to completion inside the current command and write its reply
/// (or error) to the caller. The error returned, if any, is the script's error reply.
pub fn run_script(
    srv: &mut ServerState,
    client: &mut Client,
    inv: Invocation<'_>,
) -> Result<(), CmdError> {
    let l = inv.l;
    let resp3_caller = client.reply.resp3;
    let name = inv.info.name.clone();
    let saved = Saved {
        reply: std::mem::take(&mut client.reply),
        db: client.db,
        reply_mode: client.reply_mode,
        last_cmd: client.last_cmd,
    };
    client.reply_mode = ReplyMode::On;
    client.in_script = true;
    srv.scripting.run = Some(inv.info);

    // SAFETY: `l` is a valid state owned by srv.scripting, which is not dropped while a
    // script runs (SCRIPT/FUNCTION FLUSH are refused while busy: not allow_busy).
    let (status, top) = unsafe {
        let top = ffi::lua_gettop(l);
        ffi::lua_checkstack(l, 8);
        lua::get_field(l, ffi::LUA_REGISTRYINDEX, sandbox::ERR_HANDLER);
        let errh = ffi::lua_gettop(l);
        let nargs = (inv.push)(l);
        set_current(srv as *mut ServerState, client as *mut Client);
        ffi::lua_sethook(l, Some(busy_hook), ffi::LUA_MASKCOUNT, HOOK_EVERY);
        let status = ffi::lua_pcall(l, nargs, 1, errh);
        ffi::lua_sethook(l, None, 0, 0);
        clear_current();
        (status, top)
    };

    let run = srv.scripting.run.take();
    if run.as_ref().is_some_and(|r| r.timed_out) {
        crate::server::busy::end(srv);
    }
    client.in_script = false;
    client.reply = saved.reply;
    client.db = saved.db;
    client.reply_mode = saved.reply_mode;
    client.last_cmd = saved.last_cmd;
    let script_resp3 = run.as_ref().is_some_and(|r| r.resp3);
    if run.as_ref().is_some_and(|r| r.killed) {
        srv.log
            .warning("Lua script killed by user with SCRIPT KILL.");
    }

    // SAFETY: the result or error value is at the top; the stack is reset to `top`.
    let result = unsafe {
        let r = if status == 0 {
            convert::lua_to_reply(l, &mut client.reply, script_resp3);
            Ok(())
        } else {
            match convert::error_reply_text(l, &name) {
                (text, false) => Err(CmdError::Msg(text)),
                (text, true) => {
                    // Already counted in the error stats by the command that failed.
                    client.reply.error(&text);
                    Ok(())
                }
            }
        };
        ffi::lua_settop(l, top);
        r
    };
    let _ = resp3_caller;
    gc_step(srv, l);
    result
}

/// Redis runs an incremental GC step every 50 calls so garbage does not pile up.
fn gc_step(srv: &mut ServerState, l: *mut lua_State) {
    if let Some(e) = srv.scripting.eval.as_mut()
        && e.state.ptr() == l
    {
        e.calls += 1;
        if e.calls % 50 == 0 {
            // SAFETY: valid state, no script running.
            unsafe {
                ffi::lua_gc(l, 5 /* LUA_GCSTEP */, 1)
            };
        }
    }
}

/// The hook: checks the time limit, serves others once timed out, and raises the kill.
unsafe extern "C-unwind" fn busy_hook(l: *mut lua_State, _ar: *mut ffi::lua_Debug) {
    // SAFETY: called by Lua inside run_script's lua_pcall.
    let kill = unsafe { hook_check(l) };
    if kill {
        // SAFETY: no Rust value is alive here; see lua::raise.
        unsafe {
            // Fire on every line from now on, so a pcall cannot swallow the kill for long.
            ffi::lua_sethook(l, Some(busy_hook), ffi::LUA_MASKLINE, 0);
            lua::raise(
                l,
                lua::LuaError::Table("Script killed by user with SCRIPT KILL...".into()),
            )
        }
    }
}

unsafe fn hook_check(_l: *mut lua_State) -> bool {
    // SAFETY: per run_script's contract.
    let Some(srv) = (unsafe { current_server() }) else {
        return false;
    };
    let threshold = srv.config.busy_reply_threshold;
    let Some(run) = srv.scripting.run.as_mut() else {
        return false;
    };
    if run.killed {
        return true;
    }
    if !run.timed_out {
        let elapsed = run.start.elapsed().as_millis() as u64;
        if elapsed < threshold {
            return false;
        }
        run.timed_out = true;
        let msg = format!(
            "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
            if run.is_eval {
                "SCRIPT KILL"
            } else {
                "FUNCTION KILL"
            },
            run.name
        );
        srv.log.warning(&msg);
    } else if run.last_tick.elapsed() < BUSY_TICK {
        return false;
    }
    crate::server::busy::process_events_while_busy(srv);
    if srv.shutdown.is_some() {
        // SHUTDOWN NOSAVE arrived: stop the script so the server can exit.
        if let Some(run) = srv.scripting.run.as_mut() {
            run.killed = true;
        }
        return true;
    }
    match srv.scripting.run.as_mut() {
        Some(run) => {
            run.last_tick = Instant::now();
            run.killed
        }
        None => false,
    }
}

impl RunInfo {
    pub fn new(name: String, is_eval: bool, argv: &[&[u8]], read_only: bool) -> RunInfo {
        let now = Instant::now();
        RunInfo {
            name,
            is_eval,
            argv: argv.iter().map(|a| a.to_vec()).collect(),
            start: now,
            read_only,
            write_dirty: false,
            killed: false,
            timed_out: false,
            resp3: false,
            last_tick: now,
        }
    }
}

/// The text of BUSY replies while a script runs past the threshold.
pub fn busy_error(scripting: &Scripting) -> &'static str {
    match &scripting.run {
        Some(r) if !r.is_eval => {
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        }
        _ => {
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        }
    }
}

/// SCRIPT KILL (`is_eval`) / FUNCTION KILL.
pub fn kill(scripting: &mut Scripting, is_eval: bool) -> Result<(), CmdError> {
    let Some(run) = scripting.run.as_mut() else {
        return Err(CmdError::msg("NOTBUSY No scripts in execution right now."));
    };
    if run.write_dirty {
        return Err(CmdError::msg(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    if run.is_eval != is_eval {
        return Err(CmdError::msg(busy_error(scripting)));
    }
    run.killed = true;
    Ok(())
}

/// Run EVAL/EVALSHA's script `sha` (already cached).
pub fn run_eval(
    srv: &mut ServerState,
    client: &mut Client,
    sha: &[u8; 40],
    keys: &[&[u8]],
    args: &[&[u8]],
    argv: &[&[u8]],
    ro_command: bool,
) -> Result<(), CmdError> {
    let engine = srv.scripting.eval_engine()?;
    let l = engine.state.ptr();
    let flags = engine.scripts.get(sha).map_or(0, |s| s.flags);
    let compat = flags & sflags::EVAL_COMPAT_MODE != 0;
    if ro_command && !compat && flags & sflags::NO_WRITES == 0 {
        return Err(CmdError::msg(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    let read_only = ro_command || (!compat && flags & sflags::NO_WRITES != 0);
    let name = String::from_utf8_lossy(sha).into_owned();
    let mut key = format!("f_{name}").into_bytes();
    key.push(0);
    let mut push = |l: *mut lua_State| -> c_int {
        // SAFETY: eval state; KEYS/ARGV are set as globals, the function takes no arguments.
        unsafe {
            sandbox::set_global_array(l, "KEYS", keys);
            sandbox::set_global_array(l, "ARGV", args);
            ffi::lua_getfield(
                l,
                ffi::LUA_REGISTRYINDEX,
                key.as_ptr() as *const std::ffi::c_char,
            );
        }
        0
    };
    run_script(
        srv,
        client,
        Invocation {
            l,
            info: RunInfo::new(name.clone(), true, argv, read_only),
            push: &mut push,
        },
    )
}
