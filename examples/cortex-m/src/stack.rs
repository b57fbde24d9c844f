//! Peak stack use, from the paint cortex-m-rt's `paint-stack` feature lays down at reset.
//!
//! The reset handler fills every word from `_stack_end` (the end of the statics) up to
//! `_stack_start` (the initial stack pointer) with [`STACK_PAINT_VALUE`] before `main` runs. The
//! stack grows down from `_stack_start`, so the lowest word that no longer holds the paint
//! marks the deepest the stack has been. A function that happened to store the paint value at
//! its deepest word would be under-counted by at most that word's frame; 0xCCCC_CCCC is an
//! unlikely value to store (as an `f32` it is −1.07e8, as an address it is unmapped).

use cortex_m_rt::STACK_PAINT_VALUE;

unsafe extern "C" {
    static _stack_end: u32;
    static _stack_start: u32;
    static __sdata: u32;
}

/// The RAM regions cortex-m-rt's linker script lays out.
#[derive(Clone, Copy, Debug)]
pub struct Regions {
    /// Bytes of `.data` + `.bss` + `.uninit` (from the start of `.data` to `_stack_end`).
    pub static_bytes: usize,
    /// Bytes between `_stack_end` and `_stack_start`: all the stack could grow into.
    pub stack_bytes: usize,
}

fn bounds() -> (usize, usize, usize) {
    // Only the addresses of the linker symbols are taken, never their contents.
    let data = (&raw const __sdata) as usize;
    let end = (&raw const _stack_end) as usize;
    let start = (&raw const _stack_start) as usize;
    (data, end, start)
}

/// The static and stack regions of this image.
pub fn regions() -> Regions {
    let (data, end, start) = bounds();
    Regions { static_bytes: end - data, stack_bytes: start - end }
}

/// Bytes of stack used so far at the deepest point (including this call's own frame).
pub fn peak_bytes() -> usize {
    let (_, end, start) = bounds();
    let mut addr = end;
    while addr < start {
        // SAFETY: `addr` is word-aligned (link.x asserts `_stack_end % 4 == 0`) and lies in
        // [_stack_end, _stack_start), RAM that cortex-m-rt reserves for the stack and no Rust
        // object owns below the current stack pointer. A volatile read of a `u32` there is
        // always defined; above the stack pointer it reads live frames, which is the point.
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != STACK_PAINT_VALUE {
            break;
        }
        addr += 4;
    }
    start - addr
}
