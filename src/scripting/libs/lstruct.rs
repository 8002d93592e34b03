//! `struct`: Roberto Ierusalimschy's struct library as bundled with Redis (pack, unpack,
//! size). Formats: `>` `<` endianness, `!n` alignment, `b/B h/H l/L T i/In I/In` integers,
//! `f d` floats, `x` padding, `cn` fixed strings, `s` zero-terminated strings, spaces
//! ignored. Native sizes are those of x86-64 Linux (long = size_t = 8, int = 4).

use std::ffi::c_int;

use super::{arg_error, check_bytes, check_number, new_lib, opt_integer, run};
use crate::scripting::ffi::{self, lua_State};
use crate::scripting::lua;

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// The format string up to its first NUL (the C library reads a C string).
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

fn getnum(fmt: &[u8], i: &mut usize, df: usize) -> Result<usize, String> {
    if *i >= fmt.len() || !fmt[*i].is_ascii_digit() {
        return Ok(df);
    }
    let mut a: i64 = 0;
    while *i < fmt.len() && fmt[*i].is_ascii_digit() {
        let d = (fmt[*i] - b'0') as i64;
        if a > (i32::MAX as i64 / 10) || a * 10 > (i32::MAX as i64 - d) {
            return Err("integral size overflow".into());
        }
        a = a * 10 + d;
        *i += 1;
    }
    Ok(a as usize)
}

fn optsize(opt: u8, fmt: &[u8], i: &mut usize) -> Result<usize, String> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' => 8,
        b'f' => 4,
        b'd' => 8,
        b'x' => 1,
        b'c' => getnum(fmt, i, 1)?,
        b'i' | b'I' => {
            let sz = getnum(fmt, i, 4)?;
            if sz > MAXINTSIZE {
                return Err(format!(
                    "integral size {sz} is larger than limit of {MAXINTSIZE}"
                ));
            }
            sz
        }
        _ => 0,
    })
}

fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

unsafe fn controloptions(
    l: *mut lua_State,
    opt: u8,
    fmt: &[u8],
    i: &mut usize,
    h: &mut Header,
) -> Result<(), String> {
    match opt {
        b' ' => Ok(()),
        b'>' => {
            h.endian = Endian::Big;
            Ok(())
        }
        b'<' => {
            h.endian = Endian::Little;
            Ok(())
        }
        b'!' => {
            let a = getnum(fmt, i, MAXALIGN)?;
            if !a.is_power_of_two() {
                return Err(format!("alignment {a} is not a power of 2"));
            }
            h.align = a;
            Ok(())
        }
        // SAFETY: called from a struct function.
        _ => Err(unsafe { arg_error(l, 1, &format!("invalid format option '{}'", opt as char)) }),
    }
}

fn put_integer(out: &mut Vec<u8>, n: f64, endian: Endian, size: usize) {
    let mut value: u64 = if n < 0.0 {
        lua::c_double_to_i64(n) as u64
    } else if n >= 18_446_744_073_709_551_616.0 || n.is_nan() {
        0x8000_0000_0000_0000
    } else {
        n as u64
    };
    let mut buff = [0u8; MAXINTSIZE];
    if endian == Endian::Little {
        for b in buff.iter_mut().take(size) {
            *b = value as u8;
            value >>= 8;
        }
    } else {
        for b in buff[..size].iter_mut().rev() {
            *b = value as u8;
            value >>= 8;
        }
    }
    out.extend_from_slice(&buff[..size]);
}

unsafe extern "C-unwind" fn pack(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { run(l, || pack_inner(l)) }
}

unsafe fn pack_inner(l: *mut lua_State) -> Result<c_int, String> {
    // SAFETY: stack reads of the arguments.
    unsafe {
        let fmt = c_str(check_bytes(l, 1)?).to_vec();
        let mut h = Header::new();
        let mut arg = 2;
        let mut total = 0usize;
        let mut out = Vec::new();
        let mut i = 0;
        while i < fmt.len() {
            let opt = fmt[i];
            i += 1;
            let mut size = optsize(opt, &fmt, &mut i)?;
            let toalign = gettoalign(total, &h, opt, size);
            total += toalign;
            out.extend(std::iter::repeat_n(0u8, toalign));
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let n = check_number(l, arg)?;
                    arg += 1;
                    put_integer(&mut out, n, h.endian, size);
                }
                b'x' => out.push(0),
                b'f' => {
                    let f = check_number(l, arg)? as f32;
                    arg += 1;
                    out.extend_from_slice(&match h.endian {
                        Endian::Little => f.to_le_bytes(),
                        Endian::Big => f.to_be_bytes(),
                    });
                }
                b'd' => {
                    let d = check_number(l, arg)?;
                    arg += 1;
                    out.extend_from_slice(&match h.endian {
                        Endian::Little => d.to_le_bytes(),
                        Endian::Big => d.to_be_bytes(),
                    });
                }
                b'c' | b's' => {
                    let s = check_bytes(l, arg)?;
                    arg += 1;
                    if size == 0 {
                        size = s.len();
                    }
                    if s.len() < size {
                        return Err(arg_error(l, arg, "string too short"));
                    }
                    out.extend_from_slice(&s[..size]);
                    if opt == b's' {
                        out.push(0);
                        size += 1;
                    }
                }
                _ => controloptions(l, opt, &fmt, &mut i, &mut h)?,
            }
            total += size;
        }
        lua::push_bytes(l, &out);
        Ok(1)
    }
}

fn get_integer(buf: &[u8], endian: Endian, signed: bool, size: usize) -> f64 {
    let mut v: u64 = 0;
    let bytes: Box<dyn Iterator<Item = &u8>> = if endian == Endian::Big {
        Box::new(buf[..size].iter())
    } else {
        Box::new(buf[..size].iter().rev())
    };
    for &b in bytes {
        v = (v << 8) | b as u64;
    }
    if !signed {
        return v as f64;
    }
    let shift = (size * 8).saturating_sub(1);
    let mask: u64 = if shift >= 64 { 0 } else { u64::MAX << shift };
    if v & mask != 0 {
        v |= mask;
    }
    v as i64 as f64
}

unsafe extern "C-unwind" fn unpack(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { run(l, || unpack_inner(l)) }
}

unsafe fn unpack_inner(l: *mut lua_State) -> Result<c_int, String> {
    // SAFETY: stack reads; each push is preceded by a stack check.
    unsafe {
        let fmt = c_str(check_bytes(l, 1)?).to_vec();
        let data = check_bytes(l, 2)?.to_vec();
        let ld = data.len();
        let pos = opt_integer(l, 3, 1)?;
        if pos <= 0 {
            return Err(arg_error(l, 3, "offset must be 1 or greater"));
        }
        let mut pos = (pos - 1) as usize;
        let mut n = 0;
        let mut h = Header::new();
        let mut i = 0;
        while i < fmt.len() {
            let opt = fmt[i];
            i += 1;
            let mut size = optsize(opt, &fmt, &mut i)?;
            pos += gettoalign(pos, &h, opt, size);
            if !(size <= ld && pos <= ld - size) {
                return Err(arg_error(l, 2, "data string too short"));
            }
            if ffi::lua_checkstack(l, 2) == 0 {
                return Err("stack overflow (too many results)".into());
            }
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let v = get_integer(&data[pos..], h.endian, opt.is_ascii_lowercase(), size);
                    ffi::lua_pushnumber(l, v);
                    n += 1;
                }
                b'x' => {}
                b'f' => {
                    let b: [u8; 4] = data[pos..pos + 4].try_into().unwrap_or([0; 4]);
                    let f = match h.endian {
                        Endian::Little => f32::from_le_bytes(b),
                        Endian::Big => f32::from_be_bytes(b),
                    };
                    ffi::lua_pushnumber(l, f as f64);
                    n += 1;
                }
                b'd' => {
                    let b: [u8; 8] = data[pos..pos + 8].try_into().unwrap_or([0; 8]);
                    let d = match h.endian {
                        Endian::Little => f64::from_le_bytes(b),
                        Endian::Big => f64::from_be_bytes(b),
                    };
                    ffi::lua_pushnumber(l, d);
                    n += 1;
                }
                b'c' => {
                    if size == 0 {
                        if n == 0 || ffi::lua_isnumber(l, -1) == 0 {
                            return Err("format 'c0' needs a previous size".into());
                        }
                        let s = ffi::lua_tonumber(l, -1);
                        size = if s > 0.0 { s as usize } else { 0 };
                        ffi::lua_pop(l, 1);
                        n -= 1;
                        if !(size <= ld && pos <= ld - size) {
                            return Err(arg_error(l, 2, "data string too short"));
                        }
                    }
                    lua::push_bytes(l, &data[pos..pos + size]);
                    n += 1;
                }
                b's' => {
                    let Some(e) = data[pos..].iter().position(|&c| c == 0) else {
                        return Err("unfinished string in data".into());
                    };
                    size = e + 1;
                    lua::push_bytes(l, &data[pos..pos + e]);
                    n += 1;
                }
                _ => controloptions(l, opt, &fmt, &mut i, &mut h)?,
            }
            pos += size;
        }
        ffi::lua_pushinteger(l, (pos + 1) as isize);
        Ok(n + 1)
    }
}

unsafe extern "C-unwind" fn size(l: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe {
        run(l, || {
            let fmt = c_str(check_bytes(l, 1)?).to_vec();
            let mut h = Header::new();
            let mut pos = 0usize;
            let mut i = 0;
            while i < fmt.len() {
                let opt = fmt[i];
                i += 1;
                let size = optsize(opt, &fmt, &mut i)?;
                pos += gettoalign(pos, &h, opt, size);
                if opt == b's' {
                    return Err(arg_error(l, 1, "option 's' has no fixed size"));
                } else if opt == b'c' && size == 0 {
                    return Err(arg_error(l, 1, "option 'c0' has no fixed size"));
                }
                if !opt.is_ascii_alphanumeric() {
                    controloptions(l, opt, &fmt, &mut i, &mut h)?;
                }
                pos += size;
            }
            ffi::lua_pushinteger(l, pos as isize);
            Ok(1)
        })
    }
}

/// # Safety
/// `l` must be a state under construction.
pub unsafe fn open(l: *mut lua_State) {
    // SAFETY: per the caller's contract.
    unsafe {
        new_lib(
            l,
            "struct",
            &[("pack", pack), ("unpack", unpack), ("size", size)],
        );
        ffi::lua_pop(l, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_roundtrip() {
        let mut out = Vec::new();
        put_integer(&mut out, -2.0, Endian::Big, 2);
        assert_eq!(out, [0xff, 0xfe]);
        assert_eq!(get_integer(&out, Endian::Big, true, 2), -2.0);
        assert_eq!(get_integer(&out, Endian::Big, false, 2), 65534.0);
    }
}
