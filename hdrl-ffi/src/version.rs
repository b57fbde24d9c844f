//! The run-time version.

use std::ffi::c_char;

use crate::panic::ffi_boundary;

const fn parse_u32(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut n = 0u32;
    let mut i = 0;
    while i < b.len() {
        assert!(b[i].is_ascii_digit(), "version parts are decimal numbers");
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

/// `HDRL_VERSION_NUMBER` of the compiled library.
const VERSION_NUMBER: u32 = (parse_u32(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
    | (parse_u32(env!("CARGO_PKG_VERSION_MINOR")) << 8)
    | parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

const VERSION_STRING: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The version of the library linked at run time, encoded as `HDRL_VERSION_NUMBER` is:
/// `(major << 16) | (minor << 8) | patch`. Compare it with the header's
/// `HDRL_VERSION_NUMBER` to detect a header/library mismatch (see the compatibility promise
/// at the top of this header).
///
/// Thread safety: any thread, any time.
#[unsafe(no_mangle)]
pub extern "C" fn hdrl_version() -> u32 {
    ffi_boundary! { VERSION_NUMBER }
}

/// The version of the library linked at run time as a static NUL-terminated string, e.g.
/// "0.1.0" (never free it).
///
/// Thread safety: any thread, any time.
#[unsafe(no_mangle)]
pub extern "C" fn hdrl_version_string() -> *const c_char {
    ffi_boundary! { VERSION_STRING.as_ptr().cast::<c_char>() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header's version macros come from cbindgen.toml, typed by hand; keep them in sync
    /// with Cargo.toml's version (cbindgen cannot read it).
    #[test]
    fn header_macros_match_the_crate_version() {
        let header = include_str!("../../include/hdrl.h");
        for (name, value) in [
            ("HDRL_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR").to_string()),
            ("HDRL_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR").to_string()),
            ("HDRL_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH").to_string()),
            ("HDRL_VERSION_STRING", format!("\"{}\"", env!("CARGO_PKG_VERSION"))),
        ] {
            let line = format!("#define {name} {value}\n");
            assert!(header.contains(&line), "include/hdrl.h lacks `{}`", line.trim());
        }
        assert_eq!(hdrl_version(), VERSION_NUMBER);
        // SAFETY: a static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(hdrl_version_string()) };
        assert_eq!(s.to_str(), Ok(env!("CARGO_PKG_VERSION")));
    }
}
