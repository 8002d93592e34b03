//! The libraries Redis bundles with its Lua: cjson, cmsgpack, bit (LuaBitOp) and struct,
//! implemented here in Rust over the C API with the same outputs and error texts.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod lstruct;

use super::ffi::lua_State;

/// Open every library as a global table.
///
/// # Safety
/// `l` must be a state under construction.
pub unsafe fn open_all(l: *mut lua_State) {
    // SAFETY: per the caller's contract.
    unsafe {
        cjson::open(l);
        lstruct::open(l);
        cmsgpack::open(l);
        bit::open(l);
    }
}
