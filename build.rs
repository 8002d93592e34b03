//! Build script: compiles `csrc/longdouble.c`, the small C helper that gives
//! ferrokv access to C `long double` arithmetic and glibc's `strtod`/`strtold`,
//! which Redis's INCRBYFLOAT/HINCRBYFLOAT and float parsing depend on and
//! which Rust cannot reproduce bit-for-bit on its own.

fn main() {
    println!("cargo::rerun-if-changed=csrc/longdouble.c");
    println!("cargo::rerun-if-changed=build.rs");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("ferrokv_longdouble");
}
