//! `hdrl_status_message` and `hdrl_last_error_message`: a status's message and the calling
//! thread's last failure detail, copied into a caller's buffer.

use std::ffi::c_char;

use crate::error::Error;
use crate::handle::out;
use crate::panic::ffi_boundary;
use crate::status::{hdrl_status, with_detail};

/// Copy `text` and a NUL into `buf`, or fail without writing when it does not fit.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `written` is NULL or valid for a write.
unsafe fn copy_c_string(text: &[u8], buf: *mut c_char, len: usize, written: *mut usize) -> Result<(), Error> {
    let written = out!(written);
    if buf.is_null() {
        return Err(Error::Null("buf"));
    }
    if len < text.len() + 1 {
        return Err(Error::TooSmall { need: text.len() + 1, got: len });
    }
    // SAFETY: the caller guarantees `buf` is valid for `len` bytes, and `len` was checked to
    // hold the text plus its NUL; `text` is a Rust slice, so the two cannot overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    written.write(text.len());
    Ok(())
}

/// Copy the message of `status` into `buf` as a NUL-terminated string.
///
/// `status` is a `uint32_t` rather than an `hdrl_status` so that any number is safe to pass:
/// a number this library does not define gives `HDRL_STATUS_INVALID_PARAMETER` and writes
/// nothing.
///
/// Outputs: on success, `buf` holds the message and its NUL and `*written` the message's
/// length without the NUL (as `strlen`). On failure nothing is written.
///
/// Errors: `HDRL_STATUS_NULL_POINTER` if `buf` or `written` is NULL;
/// `HDRL_STATUS_BUFFER_TOO_SMALL` if `len` is less than the message length plus one (a
/// buffer of `HDRL_MESSAGE_MAX` bytes always suffices); `HDRL_STATUS_INVALID_PARAMETER` for
/// an unknown `status`.
///
/// Thread safety: any thread, any time. Messages are static English sentences.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes; `written` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_status_message(
    status: u32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> hdrl_status {
    ffi_boundary! {
        let status = hdrl_status::from_u32(status)
            .ok_or(Error::Invalid("unknown hdrl_status number"))?;
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_c_string(status.message().to_bytes(), buf, len, written) }
    }
}

/// Copy the detail of the last failed call made by the calling thread into `buf` as a
/// NUL-terminated string: which observation field was NaN, which OS error a file read
/// met, which argument was NULL. An empty string if no call on this thread has failed.
///
/// The detail is kept per thread (like `errno`), replaced by every failing call, never
/// cleared by a successful one; a failure of this function itself does not replace it.
/// Details are for logs: their wording may change between releases, the status numbers
/// do not.
///
/// Outputs, errors and thread safety as `hdrl_status_message` (a buffer of
/// `HDRL_MESSAGE_MAX` bytes always suffices).
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes; `written` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_last_error_message(buf: *mut c_char, len: usize, written: *mut usize) -> hdrl_status {
    ffi_boundary! {
        // SAFETY: forwarded from this function's contract.
        let copied = with_detail(|text| unsafe { copy_c_string(text, buf, len, written) })
            .unwrap_or(Err(Error::Invalid("detail is busy")));
        // Unlike other calls, a failure here leaves the previous detail in place.
        copied.map_err(|e| Error::Unrecorded(e.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::detail_string;

    #[test]
    #[cfg_attr(miri, ignore)]
    fn message_is_copied_only_when_it_fits() {
        let mut buf = [b'x' as c_char; 8];
        let mut written = 99usize;
        // SAFETY: buf and written are live locals of the stated sizes.
        let st = unsafe { hdrl_status_message(hdrl_status::Ok as u32, buf.as_mut_ptr(), 8, &mut written) };
        assert_eq!(st, hdrl_status::Ok);
        assert_eq!(written, 7);
        assert_eq!(buf[7], 0);
        // SAFETY: as above.
        let st = unsafe { hdrl_status_message(hdrl_status::Io as u32, buf.as_mut_ptr(), 8, &mut written) };
        assert_eq!(st, hdrl_status::BufferTooSmall);
        assert_eq!(written, 7, "nothing written on failure");
        assert_eq!(detail_string(), "buffer of 8 bytes is too small, 24 needed");
        // SAFETY: as above.
        let st = unsafe { hdrl_status_message(1234, buf.as_mut_ptr(), 8, &mut written) };
        assert_eq!(st, hdrl_status::InvalidParameter);
    }
}
