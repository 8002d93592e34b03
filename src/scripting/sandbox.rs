//! Building a Lua state the way Redis 7.0 builds its two (one for EVAL scripts, one for
//! function libraries): the base, table, string and math libraries plus cjson, cmsgpack,
//! bit and struct; the `redis` table; `pcall` that turns Redis error tables into strings;
//! a deterministic `math.random`; Redis's error handler; and the protections (globals and
//! every library table read-only, reading an undefined global is an error).
//!
//! Eval state: the globals table `_G` itself is protected. Functions state: `_G` is an empty
//! read-only table whose metatable's `__index` points to either the real globals (FCALL)
//! or the library-loading API (FUNCTION LOAD), swapped by [`use_load_api`].

use std::ffi::c_int;

use super::api;
use super::ffi::{self, lua_State};
use super::libs;
use super::lua::{self, set_field, set_fn};

/// Registry key of the error handler.
pub const ERR_HANDLER: &str = "__redis__err__handler";
/// Registry keys of the functions engine's two `__index` targets.
const GLOBALS_API: &str = "__GLOBALS_API__";
const LIBRARY_API: &str = "__LIBRARY_API__";

/// Which of Redis's two interpreters to build.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Eval,
    Functions,
}

/// A new, fully set-up state.
pub fn new_state(kind: Kind) -> Option<lua::State> {
    let state = lua::State::new()?;
    // SAFETY: a fresh state; every call below is balanced on the stack and runs before any
    // script, so no Lua error can escape (the libraries only allocate).
    unsafe { setup(state.ptr(), kind) };
    Some(state)
}

unsafe fn open(l: *mut lua_State, f: ffi::lua_CFunction, name: &str) {
    // SAFETY: as linit.c does: call the opener with the library name.
    unsafe {
        ffi::lua_pushcclosure(l, f, 0);
        lua::push_bytes(l, name.as_bytes());
        ffi::lua_call(l, 1, 0);
    }
}

unsafe fn setup(l: *mut lua_State, kind: Kind) {
    // SAFETY: see new_state.
    unsafe {
        open(l, ffi::luaopen_base, "");
        open(l, ffi::luaopen_table, "table");
        open(l, ffi::luaopen_string, "string");
        open(l, ffi::luaopen_math, "math");
        libs::open_all(l);
        // What Redis 7.0.15 removes from the base library.
        for name in [
            "dofile", "loadfile", "print", "setfenv", "getfenv", "newproxy",
        ] {
            set_field(l, ffi::LUA_GLOBALSINDEX, name, || ffi::lua_pushnil(l));
        }
        set_fn(l, ffi::LUA_GLOBALSINDEX, "pcall", api::lua_pcall_wrapper);
        lua::get_field(l, ffi::LUA_GLOBALSINDEX, "math");
        set_fn(l, -1, "random", api::math_random);
        set_fn(l, -1, "randomseed", api::math_randomseed);
        ffi::lua_pop(l, 1);

        ffi::lua_pushcclosure(l, api::error_handler, 0);
        ffi::lua_pushvalue(l, -1);
        lua::set_field(l, ffi::LUA_REGISTRYINDEX, ERR_HANDLER, || {
            ffi::lua_pushvalue(l, -2);
        });
        ffi::lua_pop(l, 1);
        if kind == Kind::Eval {
            // Redis lists its handler among the eval globals.
            set_field(l, ffi::LUA_GLOBALSINDEX, ERR_HANDLER, || {
                lua::get_field(l, ffi::LUA_REGISTRYINDEX, ERR_HANDLER);
            });
        }
        ffi::lua_pop(l, 1);

        ffi::lua_createtable(l, 0, 32);
        api::register_redis_api(l, -1);
        ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"redis".as_ptr());

        match kind {
            Kind::Eval => {
                ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
                set_error_metatable(l, -1);
                protect_recursively(l, -1);
                ffi::lua_pop(l, 1);
                protect_string_metatable(l);
            }
            Kind::Functions => setup_functions_globals(l),
        }
    }
}

/// Give the table at `idx` a read-only metatable whose `__index` raises Redis's
/// "nonexistent global variable" error.
unsafe fn set_error_metatable(l: *mut lua_State, idx: c_int) {
    // SAFETY: idx is a table.
    unsafe {
        let t = lua::abs_index(l, idx);
        ffi::lua_createtable(l, 0, 1);
        set_fn(l, -1, "__index", api::protected_table_error);
        ffi::lua_setmetatable(l, t);
    }
}

/// Make the table at `idx`, every table reachable from it through values, and their
/// metatables read-only (Redis's luaSetTableProtectionRecursively).
unsafe fn protect_recursively(l: *mut lua_State, idx: c_int) {
    // SAFETY: idx is a table; the walk uses raw access only.
    unsafe {
        let t = lua::abs_index(l, idx);
        if ffi::lua_isreadonlytable(l, t) != 0 {
            return;
        }
        ffi::lua_checkstack(l, 4);
        ffi::lua_enablereadonlytable(l, t, 1);
        if ffi::lua_getmetatable(l, t) != 0 {
            protect_recursively(l, -1);
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, t) != 0 {
            if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
                protect_recursively(l, -1);
            }
            ffi::lua_pop(l, 1);
        }
    }
}

unsafe fn protect_string_metatable(l: *mut lua_State) {
    // SAFETY: strings have a metatable once the string library is open.
    unsafe {
        lua::push_bytes(l, b"");
        if ffi::lua_getmetatable(l, -1) != 0 {
            protect_recursively(l, -1);
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
    }
}

/// The functions engine: the library API table (`redis` with register_function, log and
/// the version only), the real globals saved in the registry, and an empty protected `_G`
/// whose metatable switches between them.
unsafe fn setup_functions_globals(l: *mut lua_State) {
    // SAFETY: balanced stack operations on a state under construction.
    unsafe {
        ffi::lua_createtable(l, 0, 1); // load-time globals
        ffi::lua_createtable(l, 0, 8); // load-time `redis`
        set_fn(l, -1, "register_function", api::register_function);
        api::register_log_and_version(l, -1);
        set_error_metatable(l, -1);
        ffi::lua_setfield(l, -2, c"redis".as_ptr());
        set_error_metatable(l, -1);
        protect_recursively(l, -1);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, c"__LIBRARY_API__".as_ptr());

        ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
        set_error_metatable(l, -1);
        protect_recursively(l, -1);
        ffi::lua_pop(l, 1);
        protect_string_metatable(l);
        ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, c"__GLOBALS_API__".as_ptr());

        ffi::lua_createtable(l, 0, 0); // the new, empty globals
        ffi::lua_createtable(l, 0, 1); // its metatable
        ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
        ffi::lua_setfield(l, -2, c"__index".as_ptr());
        ffi::lua_enablereadonlytable(l, -1, 1);
        ffi::lua_setmetatable(l, -2);
        ffi::lua_enablereadonlytable(l, -1, 1);
        ffi::lua_replace(l, ffi::LUA_GLOBALSINDEX);
    }
}

/// Point the functions engine's globals at the library API (`true`, during FUNCTION LOAD)
/// or back at the real globals.
///
/// # Safety
/// `l` must be a functions-engine state.
pub unsafe fn use_load_api(l: *mut lua_State, load: bool) {
    // SAFETY: the metatable was created by setup_functions_globals.
    unsafe {
        if ffi::lua_getmetatable(l, ffi::LUA_GLOBALSINDEX) == 0 {
            return;
        }
        ffi::lua_enablereadonlytable(l, -1, 0);
        let key = if load { LIBRARY_API } else { GLOBALS_API };
        lua::get_field(l, ffi::LUA_REGISTRYINDEX, key);
        ffi::lua_setfield(l, -2, c"__index".as_ptr());
        ffi::lua_enablereadonlytable(l, -1, 1);
        ffi::lua_pop(l, 1);
    }
}

/// Set global `name` to a fresh array of `items` (KEYS/ARGV), bypassing the protection.
///
/// # Safety
/// `l` must be an eval state.
pub unsafe fn set_global_array(l: *mut lua_State, name: &str, items: &[&[u8]]) {
    // SAFETY: _G is a table; protection is restored before returning.
    unsafe {
        push_array(l, items);
        ffi::lua_enablereadonlytable(l, ffi::LUA_GLOBALSINDEX, 0);
        lua::push_bytes(l, name.as_bytes());
        ffi::lua_insert(l, -2);
        ffi::lua_rawset(l, ffi::LUA_GLOBALSINDEX);
        ffi::lua_enablereadonlytable(l, ffi::LUA_GLOBALSINDEX, 1);
    }
}

/// Push a Lua array of byte strings.
///
/// # Safety
/// `l` must be a valid state.
pub unsafe fn push_array(l: *mut lua_State, items: &[&[u8]]) {
    // SAFETY: balanced pushes onto a new table.
    unsafe {
        ffi::lua_createtable(l, items.len().min(c_int::MAX as usize) as c_int, 0);
        for (i, it) in items.iter().enumerate() {
            lua::push_bytes(l, it);
            ffi::lua_rawseti(l, -2, (i + 1) as c_int);
        }
    }
}
