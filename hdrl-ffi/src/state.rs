//! `hdrl_state`: the per-function operational state.

use hdrl_infer::Window;

use crate::handle::{Castable, handle, handle_mut, out};
use crate::panic::ffi_boundary;
use crate::status::hdrl_status;

/// The operational state of one function: the last `HDRL_WINDOW_STEPS` encoded 15-second
/// steps (a fixed-size ring buffer, about 250 bytes) the LSTM forecasts from.
///
/// Ownership: created by `hdrl_state_new`, owned by the caller, released by
/// `hdrl_state_free` exactly once. A state does not point to any model, so models and states
/// may be freed in any order.
///
/// Thread safety: not shared. One thread at a time may use a state; moving it between
/// threads is fine when the caller orders the hand-over (a mutex, a queue). Keep one state
/// per function and use it with one model: the steps are encoded with that model's
/// constants (call `hdrl_state_reset` after switching to a bundle trained differently).
pub struct hdrl_state {
    _private: [u8; 0],
}

impl Castable for hdrl_state {
    type Rust = Window;
}

/// Create an empty state.
///
/// Outputs: on success `*out` receives a new state owned by the caller, to be released with
/// `hdrl_state_free`. Errors: `HDRL_STATUS_NULL_POINTER`. (Out of memory aborts the
/// process, as in every Rust allocation.)
///
/// Thread safety: any thread.
///
/// # Safety
/// `out` must be NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_state_new(out: *mut *mut hdrl_state) -> hdrl_status {
    ffi_boundary! {
        let out = out!(out);
        out.write(hdrl_state::into_raw(Window::new()));
        Ok(())
    }
}

/// Release a state. NULL is a no-op. Call it exactly once per state; the pointer is
/// invalid afterwards.
///
/// # Safety
/// `state` must be NULL or a state from `hdrl_state_new` not yet freed and not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_state_free(state: *mut hdrl_state) {
    ffi_boundary! {
        // SAFETY: per this function's contract.
        unsafe { hdrl_state::free(state) }
    }
}

/// Forget every step (for example when the function was idle for long, or its bundle was
/// replaced). The next forecasts are warm-up forecasts until `HDRL_WINDOW_STEPS` steps are
/// seen again.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`. Thread safety: see `hdrl_state`.
///
/// # Safety
/// `state` must be NULL or a live state not used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_state_reset(state: *mut hdrl_state) -> hdrl_status {
    ffi_boundary! {
        handle_mut!(state).clear();
        Ok(())
    }
}

/// Number of steps the state holds, 0 … `HDRL_WINDOW_STEPS`.
///
/// Outputs: `*out` on success. Errors: `HDRL_STATUS_NULL_POINTER`.
/// Thread safety: see `hdrl_state`.
///
/// # Safety
/// `state` must be NULL or a live state not written by another thread during the call;
/// `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_state_steps(state: *const hdrl_state, out: *mut usize) -> hdrl_status {
    ffi_boundary! {
        let state = handle!(state);
        let out = out!(out);
        out.write(state.len());
        Ok(())
    }
}
