//! Function libraries (FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS, FCALL).
//!
//! A library is Lua code that starts with `#!lua name=<lib>` and calls
//! `redis.register_function` while it loads; each registered callback is kept in the
//! functions interpreter's registry (a `luaL_ref`). Library names are case-sensitive,
//! function names are not (as Redis's dictionaries). Listing is sorted by library name
//! (Redis's order is its hash table's).
//!
//! DUMP/RESTORE use Redis's payload format: per library the `FUNCTION2` opcode (245) and the
//! code as an RDB string, then the RDB version (10, little-endian u16) and a CRC64 (Jones,
//! as Redis's `crc64`) of everything before it. RESTORE also reads LZF-compressed strings,
//! which Redis writes for longer libraries; DUMP writes them uncompressed.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_char, c_int};
use std::time::Instant;

use super::ffi::{self, lua_State};
use super::lua::{self, get_field};
use super::sandbox::{self, Kind};
use super::{Invocation, RunInfo, sflags};
use crate::commands::CmdError;
use crate::server::{Client, ServerState};

/// Redis's FUNCTION LOAD time limit.
const LOAD_TIMEOUT_MS: u128 = 500;
const RDB_OPCODE_FUNCTION2: u8 = 245;
const RDB_VERSION: u16 = 10;

pub struct Function {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    fref: c_int,
}

pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: Vec<Function>,
}

#[derive(Default)]
pub struct Functions {
    state: Option<lua::State>,
    pub libs: BTreeMap<String, Library>,
    /// Lower-cased function name → its library.
    by_fn: HashMap<String, String>,
}

thread_local! {
    /// Functions registered by the library being loaded.
    static LOADING: RefCell<Option<Vec<Function>>> = const { RefCell::new(None) };
}

impl Functions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn function_count(&self) -> usize {
        self.by_fn.len()
    }

    pub fn vm_memory(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.memory())
    }

    pub fn code_memory(&self) -> usize {
        self.libs.values().map(|l| l.code.len()).sum()
    }

    fn lua(&mut self) -> Result<*mut lua_State, CmdError> {
        if self.state.is_none() {
            self.state = sandbox::new_state(Kind::Functions);
        }
        self.state
            .as_ref()
            .map(|s| s.ptr())
            .ok_or_else(|| CmdError::msg("ERR Failed creating the Lua VM"))
    }

    /// FUNCTION FLUSH.
    pub fn flush(&mut self) {
        self.libs.clear();
        self.by_fn.clear();
        self.state = None;
    }

    fn unref_all(&mut self, funcs: &[Function]) {
        if let Some(s) = &self.state {
            for f in funcs {
                // SAFETY: the refs were made in this state.
                unsafe { ffi::luaL_unref(s.ptr(), ffi::LUA_REGISTRYINDEX, f.fref) };
            }
        }
    }

    /// FUNCTION DELETE.
    pub fn delete(&mut self, name: &[u8]) -> Result<(), CmdError> {
        let name = String::from_utf8_lossy(name).into_owned();
        let Some(lib) = self.libs.remove(&name) else {
            return Err(CmdError::msg("ERR Library not found"));
        };
        self.unlink_functions(&lib);
        self.unref_all(&lib.functions);
        Ok(())
    }

    fn unlink_functions(&mut self, lib: &Library) {
        for f in &lib.functions {
            self.by_fn.remove(&f.name.to_ascii_lowercase());
        }
    }

    fn link(&mut self, lib: Library) {
        for f in &lib.functions {
            self.by_fn
                .insert(f.name.to_ascii_lowercase(), lib.name.clone());
        }
        self.libs.insert(lib.name.clone(), lib);
    }

    pub fn find(&self, name: &[u8]) -> Option<&Function> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let lib = self.libs.get(self.by_fn.get(&lower)?)?;
        lib.functions
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(&lower))
    }

    /// Compile and run a library's code, returning it unlinked.
    fn create(
        &mut self,
        srv_ptr: *mut ServerState,
        client_ptr: *mut Client,
        code: &[u8],
    ) -> Result<Library, CmdError> {
        let name = parse_metadata(code)?;
        let l = self.lua()?;
        LOADING.with(|c| *c.borrow_mut() = Some(Vec::new()));
        // SAFETY: l is this engine's state; the load API is swapped back on every path.
        let result = unsafe { run_library_code(l, code, srv_ptr, client_ptr) };
        let funcs = LOADING.with(|c| c.borrow_mut().take()).unwrap_or_default();
        if let Err(e) = result {
            self.unref_all(&funcs);
            return Err(e);
        }
        if funcs.is_empty() {
            return Err(CmdError::msg("ERR No functions registered"));
        }
        Ok(Library {
            name,
            code: code.to_vec(),
            functions: funcs,
        })
    }

    /// FUNCTION LOAD [REPLACE]: returns the library name.
    pub fn load(
        srv: &mut ServerState,
        client: &mut Client,
        code: &[u8],
        replace: bool,
    ) -> Result<String, CmdError> {
        let name = parse_metadata(code)?;
        if srv.scripting.functions.libs.contains_key(&name) && !replace {
            return Err(CmdError::msg(format!(
                "ERR Library '{name}' already exists"
            )));
        }
        let (sp, cp) = (srv as *mut ServerState, client as *mut Client);
        let lib = srv.scripting.functions.create(sp, cp, code)?;
        let f = &mut srv.scripting.functions;
        let old = f.libs.remove(&name);
        if let Some(old) = &old {
            f.unlink_functions(old);
        }
        if let Some(dup) = lib
            .functions
            .iter()
            .find(|func| f.by_fn.contains_key(&func.name.to_ascii_lowercase()))
        {
            let msg = format!("ERR Function {} already exists", dup.name);
            f.unref_all(&lib.functions);
            if let Some(old) = old {
                f.link(old);
            }
            return Err(CmdError::msg(msg));
        }
        if let Some(old) = old {
            f.unref_all(&old.functions);
        }
        f.link(lib);
        Ok(name)
    }

    /// Libraries read from an RDB file (start-up, DEBUG RELOAD), in file order, as Redis's
    /// rdbFunctionLoad. No client is involved: library code runs with the load-time API
    /// only (register_function, log, version), none of which reaches a client, so the
    /// client pointer stays null. With `replace` a library of the same name is replaced
    /// (DEBUG RELOAD MERGE); otherwise it is an error, as is a function name taken twice.
    pub fn load_from_rdb(
        srv: &mut ServerState,
        codes: &[Vec<u8>],
        replace: bool,
    ) -> Result<(), CmdError> {
        let sp = srv as *mut ServerState;
        for code in codes {
            let f = &mut srv.scripting.functions;
            let lib = f.create(sp, std::ptr::null_mut(), code)?;
            if f.libs.contains_key(&lib.name) {
                if !replace {
                    let msg = format!("ERR Library '{}' already exists", lib.name);
                    f.unref_all(&lib.functions);
                    return Err(CmdError::msg(msg));
                }
                if let Some(old) = f.libs.remove(&lib.name) {
                    f.unlink_functions(&old);
                    f.unref_all(&old.functions);
                }
            }
            if let Some(dup) = lib
                .functions
                .iter()
                .find(|func| f.by_fn.contains_key(&func.name.to_ascii_lowercase()))
            {
                let msg = format!("ERR Function {} already exists", dup.name);
                f.unref_all(&lib.functions);
                return Err(CmdError::msg(msg));
            }
            f.link(lib);
        }
        Ok(())
    }

    /// FUNCTION DUMP.
    pub fn dump(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for lib in self.libs.values() {
            out.push(RDB_OPCODE_FUNCTION2);
            rdb_write_string(&mut out, &lib.code);
        }
        out.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
    pub fn restore(
        srv: &mut ServerState,
        client: &mut Client,
        payload: &[u8],
        policy: RestorePolicy,
    ) -> Result<(), CmdError> {
        let codes = parse_payload(payload)?;
        let (sp, cp) = (srv as *mut ServerState, client as *mut Client);
        let f = &mut srv.scripting.functions;
        if policy == RestorePolicy::Flush {
            f.flush();
        }
        // Load every library of the payload first; any failure leaves things as they were.
        let mut new_libs: Vec<Library> = Vec::new();
        let mut failure = None;
        for code in &codes {
            match f.create(sp, cp, code) {
                Ok(lib) => {
                    let dup_lib = new_libs.iter().any(|l| l.name == lib.name);
                    let dup_fn = lib.functions.iter().find(|func| {
                        new_libs.iter().any(|l| {
                            l.functions
                                .iter()
                                .any(|g| g.name.eq_ignore_ascii_case(&func.name))
                        })
                    });
                    let err = if dup_lib {
                        Some(format!("ERR Library '{}' already exists", lib.name))
                    } else {
                        dup_fn.map(|d| format!("ERR Function {} already exists", d.name))
                    };
                    if let Some(e) = err {
                        f.unref_all(&lib.functions);
                        failure = Some(CmdError::msg(e));
                        break;
                    }
                    new_libs.push(lib);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failure {
            for lib in &new_libs {
                f.unref_all(&lib.functions);
            }
            return Err(e);
        }
        // Join (libraryJoin): conflicting libraries fail APPEND and are replaced by REPLACE;
        // a function name taken by another library fails both.
        let mut removed: Vec<Library> = Vec::new();
        let mut failure = None;
        for lib in &new_libs {
            if f.libs.contains_key(&lib.name) {
                if policy == RestorePolicy::Replace {
                    if let Some(old) = f.libs.remove(&lib.name) {
                        f.unlink_functions(&old);
                        removed.push(old);
                    }
                } else {
                    failure = Some(format!("ERR Library {} already exists", lib.name));
                    break;
                }
            }
        }
        if failure.is_none() {
            failure = new_libs.iter().find_map(|lib| {
                lib.functions
                    .iter()
                    .find(|func| f.by_fn.contains_key(&func.name.to_ascii_lowercase()))
                    .map(|d| format!("ERR Function {} already exists", d.name))
            });
        }
        if let Some(e) = failure {
            for lib in &new_libs {
                f.unref_all(&lib.functions);
            }
            for old in removed {
                f.link(old);
            }
            return Err(CmdError::msg(e));
        }
        for old in &removed {
            f.unref_all(&old.functions);
        }
        for lib in new_libs {
            f.link(lib);
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    Append,
    Replace,
    Flush,
}

/// `#!<engine> name=<lib>`: the library name (functionExtractLibMetaData + the checks of
/// functionsCreateWithLibraryCtx).
pub fn parse_metadata(code: &[u8]) -> Result<String, CmdError> {
    if !code.starts_with(b"#!") {
        return Err(CmdError::msg("ERR Missing library metadata"));
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err(CmdError::msg("ERR Invalid library metadata"));
    };
    let Some(parts) = crate::util::split_args::split_args(&code[..end]) else {
        return Err(CmdError::msg("ERR Invalid library metadata"));
    };
    if parts.is_empty() {
        return Err(CmdError::msg("ERR Invalid library metadata"));
    }
    let engine = String::from_utf8_lossy(&parts[0][2.min(parts[0].len())..]).into_owned();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(CmdError::msg(
                    "ERR Invalid metadata value, name argument was given multiple times",
                ));
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(CmdError::msg(format!(
            "ERR Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        )));
    }
    let Some(name) = name else {
        return Err(CmdError::msg("ERR Library name was not given"));
    };
    if !valid_name(&name) {
        return Err(CmdError::msg(
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ));
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(CmdError::msg(format!("ERR Engine '{engine}' not found")));
    }
    Ok(String::from_utf8_lossy(&name).into_owned())
}

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Run the library code with the load API as globals and a 500 ms limit.
unsafe fn run_library_code(
    l: *mut lua_State,
    code: &[u8],
    srv: *mut ServerState,
    client: *mut Client,
) -> Result<(), CmdError> {
    // SAFETY: per the caller's contract.
    unsafe {
        let top = ffi::lua_gettop(l);
        // The shebang line is not Lua; its newline is kept so line numbers stay the user's.
        let code = &code[code.iter().position(|&b| b == b'\n').unwrap_or(0)..];
        sandbox::use_load_api(l, true);
        let status = ffi::luaL_loadbuffer(
            l,
            code.as_ptr() as *const c_char,
            code.len(),
            c"@user_function".as_ptr(),
        );
        let result = if status != 0 {
            let msg = lua::to_bytes(l, -1)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err(CmdError::msg(format!(
                "ERR Error compiling function: {msg}"
            )))
        } else {
            LOAD_START.with(|c| c.set(Some(Instant::now())));
            super::set_current(srv, client);
            ffi::lua_sethook(l, Some(load_hook), ffi::LUA_MASKCOUNT, super::HOOK_EVERY);
            let status = ffi::lua_pcall(l, 0, 0, 0);
            ffi::lua_sethook(l, None, 0, 0);
            super::clear_current();
            LOAD_START.with(|c| c.set(None));
            if status != 0 {
                let msg = error_info_msg(l);
                Err(CmdError::msg(format!(
                    "ERR Error registering functions: {msg}"
                )))
            } else {
                Ok(())
            }
        };
        ffi::lua_settop(l, top);
        sandbox::use_load_api(l, false);
        result
    }
}

/// luaExtractErrorInformation's message: a string error gets `ERR `, a table gives `err`.
unsafe fn error_info_msg(l: *mut lua_State) -> String {
    // SAFETY: the error value is at the top.
    unsafe {
        if ffi::lua_isstring(l, -1) != 0 {
            let s = lua::to_bytes(l, -1).unwrap_or(b"");
            return format!("ERR {}", String::from_utf8_lossy(s));
        }
        if ffi::lua_type(l, -1) == ffi::LUA_TTABLE && get_field(l, -1, "err") == ffi::LUA_TSTRING {
            let s = String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or(b"")).into_owned();
            ffi::lua_pop(l, 1);
            return s;
        }
        String::new()
    }
}

thread_local! {
    static LOAD_START: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

unsafe extern "C-unwind" fn load_hook(l: *mut lua_State, _ar: *mut ffi::lua_Debug) {
    let over = LOAD_START
        .with(|c| c.get())
        .is_some_and(|t| t.elapsed().as_millis() > LOAD_TIMEOUT_MS);
    if over {
        // SAFETY: no Rust value alive; see lua::raise.
        unsafe {
            ffi::lua_sethook(l, Some(load_hook), ffi::LUA_MASKLINE, 0);
            lua::raise(l, lua::LuaError::Table("FUNCTION LOAD timeout".into()));
        }
    }
}

/// `redis.register_function(name, callback)` or `redis.register_function{...}`.
///
/// # Safety
/// Called from the C function registered with Lua.
pub unsafe fn register_function_inner(l: *mut lua_State) -> Result<(), String> {
    // SAFETY: raw stack reads; refs are released on failure.
    unsafe {
        let loading = LOADING.with(|c| c.borrow().is_some());
        if !loading {
            return Err(
                "redis.register_function can only be called on FUNCTION LOAD command".into(),
            );
        }
        let argc = ffi::lua_gettop(l);
        if !(1..=2).contains(&argc) {
            return Err("wrong number of arguments to redis.register_function".into());
        }
        let (name, desc, flags, fref) = if argc == 1 {
            read_named_args(l)?
        } else {
            let Some(name) = string_arg(l, 1) else {
                return Err("first argument to redis.register_function must be a string".into());
            };
            if ffi::lua_type(l, 2) != ffi::LUA_TFUNCTION {
                return Err("second argument to redis.register_function must be a function".into());
            }
            ffi::lua_settop(l, 2);
            let fref = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
            (name, None, 0, fref)
        };
        let err = if !valid_name(&name) {
            Some(
                // Redis 7.0 says "Library" for a bad function name too.
                "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
            )
        } else {
            let dup = LOADING.with(|c| {
                c.borrow().as_ref().is_some_and(|v| {
                    v.iter()
                        .any(|f| f.name.as_bytes().eq_ignore_ascii_case(&name))
                })
            });
            dup.then_some("Function already exists in the library")
        };
        if let Some(e) = err {
            ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, fref);
            return Err(e.into());
        }
        let func = Function {
            name: String::from_utf8_lossy(&name).into_owned(),
            description: desc,
            flags,
            fref,
        };
        LOADING.with(|c| {
            if let Some(v) = c.borrow_mut().as_mut() {
                v.push(func);
            }
        });
        Ok(())
    }
}

/// A string (or number, as lua_isstring accepts) argument.
unsafe fn string_arg(l: *mut lua_State, idx: c_int) -> Option<Vec<u8>> {
    // SAFETY: raw read.
    unsafe {
        if ffi::lua_isstring(l, idx) == 0 {
            return None;
        }
        lua::to_bytes(l, idx).map(|b| b.to_vec())
    }
}

type NamedArgs = (Vec<u8>, Option<Vec<u8>>, u32, c_int);

unsafe fn read_named_args(l: *mut lua_State) -> Result<NamedArgs, String> {
    // SAFETY: the table is at 1; iteration keeps the stack balanced.
    unsafe {
        if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
            return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into());
        }
        let (mut name, mut desc, mut flags, mut fref) = (None, None, 0u32, None::<c_int>);
        let fail = |l: *mut lua_State, fref: Option<c_int>, msg: &str| {
            if let Some(r) = fref {
                ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, r);
            }
            Err(msg.to_string())
        };
        ffi::lua_settop(l, 1);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, 1) != 0 {
            // Key at -2 (a number key must not be converted in place: it drives lua_next).
            if ffi::lua_type(l, -2) != ffi::LUA_TSTRING {
                if ffi::lua_isstring(l, -2) == 0 {
                    return fail(
                        l,
                        fref,
                        "named argument key given to redis.register_function is not a string",
                    );
                }
                return fail(l, fref, "unknown argument given to redis.register_function");
            }
            let key = lua::to_bytes(l, -2).unwrap_or(b"").to_ascii_lowercase();
            match key.as_slice() {
                b"function_name" => match string_arg(l, -1) {
                    Some(n) => name = Some(n),
                    None => {
                        return fail(
                            l,
                            fref,
                            "function_name argument given to redis.register_function must be a string",
                        );
                    }
                },
                b"description" => match string_arg(l, -1) {
                    Some(d) => desc = Some(d),
                    None => {
                        return fail(
                            l,
                            fref,
                            "description argument given to redis.register_function must be a string",
                        );
                    }
                },
                b"callback" => {
                    if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
                        return fail(
                            l,
                            fref,
                            "callback argument given to redis.register_function must be a function",
                        );
                    }
                    if let Some(r) = fref {
                        ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, r);
                    }
                    fref = Some(ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX));
                    continue; // luaL_ref popped the value
                }
                b"flags" => {
                    if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
                        return fail(
                            l,
                            fref,
                            "flags argument to redis.register_function must be a table representing function flags",
                        );
                    }
                    match read_flags(l) {
                        Some(f) => flags = f,
                        None => return fail(l, fref, "unknown flag given"),
                    }
                }
                _ => return fail(l, fref, "unknown argument given to redis.register_function"),
            }
            ffi::lua_pop(l, 1);
        }
        let Some(name) = name else {
            return fail(
                l,
                fref,
                "redis.register_function must get a function name argument",
            );
        };
        let Some(fref) = fref else {
            return fail(
                l,
                None,
                "redis.register_function must get a callback argument",
            );
        };
        Ok((name, desc, flags, fref))
    }
}

/// The flags array at -1, case-insensitively.
unsafe fn read_flags(l: *mut lua_State) -> Option<u32> {
    let mut flags = 0;
    // SAFETY: the table is at -1.
    unsafe {
        let mut j = 1;
        loop {
            ffi::lua_rawgeti(l, -1, j);
            j += 1;
            if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
                ffi::lua_pop(l, 1);
                return Some(flags);
            }
            let name = string_arg(l, -1).map(|s| s.to_ascii_lowercase());
            ffi::lua_pop(l, 1);
            flags |= sflags::parse(&name?)?;
        }
    }
}

/// FCALL / FCALL_RO.
pub fn fcall(
    srv: &mut ServerState,
    client: &mut Client,
    argv: &[&[u8]],
    ro: bool,
) -> Result<(), CmdError> {
    let (fref, flags, name) = match srv.scripting.functions.find(argv[1]) {
        Some(f) => (f.fref, f.flags, f.name.clone()),
        None => return Err(CmdError::msg("ERR Function not found")),
    };
    let numkeys = crate::util::numbers::parse_i64(argv[2])
        .ok_or_else(|| CmdError::msg("ERR Bad number of keys provided"))?;
    if numkeys > argv.len() as i64 - 3 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CmdError::msg("ERR Number of keys can't be negative"));
    }
    if ro && flags & sflags::NO_WRITES == 0 {
        return Err(CmdError::msg(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    let read_only = ro || flags & sflags::NO_WRITES != 0;
    let l = srv.scripting.functions.lua()?;
    let split = 3 + numkeys as usize;
    let (keys, args) = (&argv[3..split], &argv[split..]);
    let mut push = |l: *mut lua_State| -> c_int {
        // SAFETY: functions state; pushes the callback and its two tables.
        unsafe {
            ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, fref);
            sandbox::push_array(l, keys);
            sandbox::push_array(l, args);
        }
        2
    };
    super::run_script(
        srv,
        client,
        Invocation {
            l,
            info: RunInfo::new(name, false, argv, read_only),
            push: &mut push,
        },
    )
}

// ---------------------------------------------------------------------------------------
// Payload encoding
// ---------------------------------------------------------------------------------------

fn rdb_write_len(out: &mut Vec<u8>, len: usize) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as usize {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

fn rdb_write_string(out: &mut Vec<u8>, s: &[u8]) {
    rdb_write_len(out, s.len());
    out.extend_from_slice(s);
}

/// A length, or (true, encoding type) for a special encoding.
fn rdb_read_len(p: &[u8], pos: &mut usize) -> Option<(bool, u64)> {
    let b = *p.get(*pos)?;
    *pos += 1;
    match b >> 6 {
        0 => Some((false, (b & 0x3f) as u64)),
        1 => {
            let b2 = *p.get(*pos)?;
            *pos += 1;
            Some((false, (((b & 0x3f) as u64) << 8) | b2 as u64))
        }
        2 => match b {
            0x80 => {
                let v = u32::from_be_bytes(p.get(*pos..*pos + 4)?.try_into().ok()?);
                *pos += 4;
                Some((false, v as u64))
            }
            0x81 => {
                let v = u64::from_be_bytes(p.get(*pos..*pos + 8)?.try_into().ok()?);
                *pos += 8;
                Some((false, v))
            }
            _ => None,
        },
        _ => Some((true, (b & 0x3f) as u64)),
    }
}

fn rdb_read_string(p: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let (special, v) = rdb_read_len(p, pos)?;
    if !special {
        let n = usize::try_from(v).ok()?;
        let s = p.get(*pos..pos.checked_add(n)?)?.to_vec();
        *pos += n;
        return Some(s);
    }
    match v {
        // Integers stored as strings.
        0 => {
            let v = *p.get(*pos)? as i8;
            *pos += 1;
            Some(v.to_string().into_bytes())
        }
        1 => {
            let v = i16::from_le_bytes(p.get(*pos..*pos + 2)?.try_into().ok()?);
            *pos += 2;
            Some(v.to_string().into_bytes())
        }
        2 => {
            let v = i32::from_le_bytes(p.get(*pos..*pos + 4)?.try_into().ok()?);
            *pos += 4;
            Some(v.to_string().into_bytes())
        }
        3 => {
            let (s1, clen) = rdb_read_len(p, pos)?;
            let (s2, len) = rdb_read_len(p, pos)?;
            if s1 || s2 {
                return None;
            }
            let clen = usize::try_from(clen).ok()?;
            let comp = p.get(*pos..pos.checked_add(clen)?)?;
            *pos += clen;
            lzf_decompress(comp, usize::try_from(len).ok()?)
        }
        _ => None,
    }
}

/// The libraries' code in a FUNCTION DUMP payload.
fn parse_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, CmdError> {
    let bad = || CmdError::msg("ERR DUMP payload version or checksum are wrong");
    if payload.len() < 10 {
        return Err(bad());
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(bad());
    }
    let crc = u64::from_le_bytes(footer[2..10].try_into().map_err(|_| bad())?);
    if crc64(0, &payload[..payload.len() - 8]) != crc {
        return Err(bad());
    }
    let body = &payload[..payload.len() - 10];
    let mut pos = 0;
    let mut codes = Vec::new();
    while pos < body.len() {
        let t = body[pos];
        pos += 1;
        if t != RDB_OPCODE_FUNCTION2 {
            return Err(CmdError::msg("ERR given type is not a function"));
        }
        let code = rdb_read_string(body, &mut pos)
            .ok_or_else(|| CmdError::msg("ERR failed loading the given functions payload"))?;
        codes.push(code);
    }
    Ok(codes)
}

/// LZF decompression (liblzf's format, as Redis's RDB strings use).
pub fn lzf_decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(1 << 24));
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            out.extend_from_slice(input.get(i..i + n)?);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > out_len {
            return None;
        }
    }
    (out.len() == out_len).then_some(out)
}

/// Redis's CRC-64 (Jones polynomial, reflected, no final xor).
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 reflected
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u64;
            for _ in 0..8 {
                c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    for &b in data {
        crc = table[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_value() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn redis_payload_parses() {
        // FUNCTION DUMP from Redis 7.0.15 of one small library.
        let mut p = vec![0xf5, 0x40, 0x47];
        p.extend_from_slice(
            b"#!lua name=mylib\nredis.register_function('f1', function() return 2 end)",
        );
        p.extend_from_slice(b"\n\x00\xcb\x9c\xb5_\xf3\x92\xf6\xfb");
        let codes = parse_payload(&p).unwrap();
        assert_eq!(codes.len(), 1);
        assert!(codes[0].starts_with(b"#!lua name=mylib"));
    }

    #[test]
    fn lzf_roundtrip_literal_and_backref() {
        // "abcabcabc": literal "abc" then a back-reference of 6 bytes at distance 3.
        let comp = [2, b'a', b'b', b'c', (4 << 5) as u8, 2];
        assert_eq!(lzf_decompress(&comp, 9).unwrap(), b"abcabcabc");
    }

    #[test]
    fn metadata_errors() {
        assert!(parse_metadata(b"return 1").is_err());
        assert_eq!(parse_metadata(b"#!lua name=abc\n").unwrap(), "abc");
        assert_eq!(
            parse_metadata(b"#!lua name=a b\n").unwrap_err().to_string(),
            "ERR Invalid metadata value given: b"
        );
    }
}
