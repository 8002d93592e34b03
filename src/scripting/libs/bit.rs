//! stub
use crate::scripting::ffi::lua_State;
/// # Safety
/// valid state
pub unsafe fn open(_l: *mut lua_State) {}
