//! Build script: compiles the C parts of ferrokv.
//! - `csrc/longdouble.c`, the small helper that gives ferrokv access to C `long double`
//!   arithmetic and glibc's `strtod`/`strtold`, which Redis's INCRBYFLOAT/HINCRBYFLOAT and
//!   float parsing depend on and which Rust cannot reproduce bit-for-bit on its own.
//! - `csrc/lua51/`, Lua 5.1.5 with Redis 7.0's read-only tables, the interpreter behind
//!   EVAL and FCALL (see `src/scripting/`).

const LUA_SOURCES: &[&str] = &[
    "lapi.c",
    "lauxlib.c",
    "lbaselib.c",
    "lcode.c",
    "ldblib.c",
    "ldebug.c",
    "ldo.c",
    "ldump.c",
    "lfunc.c",
    "lgc.c",
    "llex.c",
    "lmathlib.c",
    "lmem.c",
    "lobject.c",
    "lopcodes.c",
    "lparser.c",
    "lstate.c",
    "lstring.c",
    "lstrlib.c",
    "ltable.c",
    "ltablib.c",
    "ltm.c",
    "lundump.c",
    "lvm.c",
    "lzio.c",
];

fn main() {
    println!("cargo::rerun-if-changed=csrc/longdouble.c");
    println!("cargo::rerun-if-changed=csrc/lua51");
    println!("cargo::rerun-if-changed=build.rs");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("ferrokv_longdouble");
    let mut lua = cc::Build::new();
    for f in LUA_SOURCES {
        lua.file(format!("csrc/lua51/{f}"));
    }
    // Lua 5.1's own code has warnings under modern compilers; they are not ours to fix.
    lua.define("LUA_USE_POSIX", None)
        .opt_level(2)
        .warnings(false)
        .compile("ferrokv_lua51");
}
