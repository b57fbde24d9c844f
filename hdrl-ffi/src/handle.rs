//! Pointers from C: opaque handles and their Rust values, argument and output checks.
//!
//! An opaque C type (`hdrl_model`, `hdrl_state`) is a zero-sized Rust struct that C only
//! ever sees behind a pointer. [`Castable`] links it to the Rust value the pointer really
//! points to, which lives in a `Box` created by `_new`/`_load` and dropped by `_free`.
//!
//! The macros check a pointer and turn it into a reference or an [`Out`], leaving the
//! enclosing body with [`Error::Null`] (named after the argument) or [`Error::Invalid`] when
//! it is NULL or misaligned. They are used only in `extern "C"` bodies whose callers promise
//! (in each function's `# Safety` section) that a non-NULL pointer is valid.

use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::error::Error;

/// Links an opaque C type to the boxed Rust value behind its pointers.
pub(crate) trait Castable: Sized {
    /// The Rust value a `*mut Self` points to.
    type Rust;

    /// Move `v` to the heap and hand the pointer (and ownership) to C.
    fn into_raw(v: Self::Rust) -> *mut Self {
        Box::into_raw(Box::new(v)).cast()
    }

    /// Borrow the value behind a handle; `None` for NULL.
    ///
    /// # Safety
    /// `p` is NULL or was returned by [`Castable::into_raw`], not yet freed, and not
    /// mutably borrowed for `'a`.
    unsafe fn try_ref<'a>(p: *const Self) -> Option<&'a Self::Rust> {
        // SAFETY: per this function's contract `p` points to a live `Self::Rust`.
        unsafe { p.cast::<Self::Rust>().as_ref() }
    }

    /// Mutably borrow the value behind a handle; `None` for NULL.
    ///
    /// # Safety
    /// As [`Castable::try_ref`], and no other reference to the value exists for `'a`.
    unsafe fn try_mut<'a>(p: *mut Self) -> Option<&'a mut Self::Rust> {
        // SAFETY: per this function's contract `p` points to a live, unaliased `Self::Rust`.
        unsafe { p.cast::<Self::Rust>().as_mut() }
    }

    /// Drop the value behind a handle; NULL is a no-op.
    ///
    /// # Safety
    /// `p` is NULL or was returned by [`Castable::into_raw`] and is not used again.
    unsafe fn free(p: *mut Self) {
        if !p.is_null() {
            // SAFETY: per this function's contract the box is live and freed exactly once.
            drop(unsafe { Box::from_raw(p.cast::<Self::Rust>()) });
        }
    }
}

/// A checked, non-NULL, aligned output pointer. Writing does not read or drop what the
/// caller's memory held before (it may be uninitialised).
pub(crate) struct Out<'a, T> {
    ptr: NonNull<T>,
    _life: PhantomData<&'a mut T>,
}

impl<T> Out<'_, T> {
    /// Check an output pointer.
    ///
    /// # Safety
    /// `p` is NULL or valid for a write of `T` for as long as the `Out` lives.
    pub(crate) unsafe fn new(p: *mut T, name: &'static str) -> Result<Self, Error> {
        let ptr = NonNull::new(p).ok_or(Error::Null(name))?;
        if !ptr.is_aligned() {
            return Err(Error::Invalid("an output pointer is misaligned for its type"));
        }
        Ok(Self { ptr, _life: PhantomData })
    }

    /// The checked pointer, for outputs written element by element.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Write the output.
    pub(crate) fn write(self, v: T) {
        // SAFETY: non-NULL and aligned (checked in `new`), valid for a write (its contract).
        unsafe { self.ptr.as_ptr().write(v) }
    }
}

/// Borrow a plain C input struct.
///
/// # Safety
/// `p` is NULL or points to a live, initialised `T` that is not written during `'a`.
pub(crate) unsafe fn input_ref<'a, T>(p: *const T, name: &'static str) -> Result<&'a T, Error> {
    if p.is_null() {
        return Err(Error::Null(name));
    }
    if !p.is_aligned() {
        return Err(Error::Invalid("an input pointer is misaligned for its type"));
    }
    // SAFETY: non-NULL and aligned, live and initialised per this function's contract.
    Ok(unsafe { &*p })
}

/// `handle!(p)`: the Rust value behind an opaque `*const` handle, or leave with
/// `HDRL_STATUS_NULL_POINTER`.
macro_rules! handle {
    ($p:ident) => {
        // SAFETY: the extern fn's contract: a non-NULL handle is live and not being mutated.
        unsafe { $crate::handle::Castable::try_ref($p) }.ok_or($crate::error::Error::Null(stringify!($p)))?
    };
}

/// `handle_mut!(p)`: as [`handle!`] for a `*mut` handle the call may change.
macro_rules! handle_mut {
    ($p:ident) => {
        // SAFETY: the extern fn's contract: a non-NULL handle is live and used by this
        // thread only during the call.
        unsafe { $crate::handle::Castable::try_mut($p) }.ok_or($crate::error::Error::Null(stringify!($p)))?
    };
}

/// `input!(p)`: a reference to a plain C input struct, or leave with an error.
macro_rules! input {
    ($p:ident) => {
        // SAFETY: the extern fn's contract: a non-NULL input points to a live value.
        unsafe { $crate::handle::input_ref($p, stringify!($p)) }?
    };
}

/// `out!(p)`: a checked output pointer, or leave with an error.
macro_rules! out {
    ($p:ident) => {
        // SAFETY: the extern fn's contract: a non-NULL output is valid for a write.
        unsafe { $crate::handle::Out::new($p, stringify!($p)) }?
    };
}

pub(crate) use {handle, handle_mut, input, out};
