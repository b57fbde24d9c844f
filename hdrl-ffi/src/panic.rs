//! The panic boundary: nothing unwinds into C.
//!
//! Every `extern "C"` body sits inside [`ffi_boundary!`]. A panic (there should be none:
//! hdrl-infer does not panic on any input) is caught, its message is kept as the calling
//! thread's last error detail, and the function returns the fallback of its return type
//! ([`OnPanic`]): `HDRL_STATUS_PANIC` for a status, NULL for a pointer, 0 for a number.
//!
//! A body evaluates to a [`Finish`] value: status functions end in `Result<(), Error>` (so
//! `?` works inside them) and the boundary turns it into an `hdrl_status`, recording the
//! error's detail; other functions end in their plain return value.

use std::any::Any;
use std::ffi::c_char;

use crate::error::Error;
use crate::status::{self, hdrl_status};

/// Runs an `extern "C"` body, turning its value into the C return value with
/// [`Finish::finish`] and a panic into [`OnPanic::fallback`].
///
/// The body runs in a closure, so `return` and `?` inside it leave the body, not the
/// enclosing function. `AssertUnwindSafe` holds because nothing the body touches is observed
/// after a panic except through the returned status: outputs are written last, on success.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(v) => $crate::panic::Finish::finish(v),
            Err(payload) => $crate::panic::caught(payload),
        }
    };
}
pub(crate) use ffi_boundary;

/// The value of an `extern "C"` body, and what it becomes at the boundary.
pub(crate) trait Finish {
    /// The C return type.
    type Ret: OnPanic;
    /// Convert; for a status, record the error's detail on this thread.
    fn finish(self) -> Self::Ret;
}

impl Finish for Result<(), Error> {
    type Ret = hdrl_status;
    fn finish(self) -> hdrl_status {
        match self {
            Ok(()) => hdrl_status::Ok,
            Err(e) => e.record(),
        }
    }
}

impl Finish for u32 {
    type Ret = u32;
    fn finish(self) -> u32 {
        self
    }
}

impl Finish for *const c_char {
    type Ret = *const c_char;
    fn finish(self) -> *const c_char {
        self
    }
}

impl Finish for () {
    type Ret = ();
    fn finish(self) {}
}

/// What an `extern "C"` function returns when its body panicked.
pub(crate) trait OnPanic {
    /// The value handed to C instead of unwinding.
    fn fallback() -> Self;
}

impl OnPanic for hdrl_status {
    fn fallback() -> Self {
        hdrl_status::Panic
    }
}

impl OnPanic for () {
    fn fallback() -> Self {}
}

impl OnPanic for u32 {
    fn fallback() -> Self {
        0
    }
}

impl OnPanic for *const c_char {
    fn fallback() -> Self {
        std::ptr::null()
    }
}

/// Record a caught panic's message as the last error detail and return the fallback.
pub(crate) fn caught<T: OnPanic>(payload: Box<dyn Any + Send>) -> T {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    status::set_detail(format_args!("panic inside hdrl: {msg}"));
    T::fallback()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panicking(fail: bool) -> hdrl_status {
        ffi_boundary! {
            if fail {
                panic!("boom");
            }
            Ok(())
        }
    }

    fn panicking_ptr(fail: bool) -> *const c_char {
        ffi_boundary! {
            if fail {
                panic!("boom");
            }
            c"ok".as_ptr()
        }
    }

    #[test]
    fn panic_becomes_status_and_detail() {
        assert_eq!(panicking(false), hdrl_status::Ok);
        assert_eq!(panicking(true), hdrl_status::Panic);
        assert_eq!(status::detail_string(), "panic inside hdrl: boom");
        assert!(!panicking_ptr(false).is_null());
        assert!(panicking_ptr(true).is_null());
    }
}
