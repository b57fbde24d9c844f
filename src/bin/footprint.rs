//! Memory footprint of every forward pass: bytes of weights (the payload in a bundle and the
//! model in memory), bytes of stack a pass uses, and heap allocations per pass (always 0).
//!
//! ```sh
//! cargo run --release --bin footprint
//! ```
//!
//! # How the stack is measured
//! On a fresh thread with an 8 MiB stack, `paint` fills the 1 MiB below the caller's stack
//! pointer with a 64-bit pattern (leaving the first 512 bytes for its own frame); the pass
//! runs from the same frame; `scan` finds the lowest word that no longer holds the pattern.
//! The difference to the stack pointer before the call is the pass's high-water mark,
//! including the call itself, to 8-byte resolution (a pass that never writes a stack slot
//! could hide a few bytes; one that leaves the pattern in place by chance, 8 bytes). Reading
//! and writing below the stack pointer is outside what Rust defines; this is a measuring tool,
//! run on a thread whose whole stack is mapped, never library code.
//!
//! # How allocations are counted
//! A counting global allocator; each pass runs 1 000 times on rotating inputs and the count of
//! `alloc`/`realloc` calls in between is reported (the hierarchy's `load_into` included).

use std::hint::black_box;

use hdrl_fixtures::bench_inputs::{self, ROTATION};
use hdrl_infer::fixtures::CountingAlloc;
use hdrl_infer::{ActorCritic, Dqn, F32, Forecaster, Hierarchy, I8, Kernels, Model, Precision, Quant, Window};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc::new();

const PAINT: usize = 1 << 20;
const SKIP: usize = 512;
const PATTERN: u64 = 0x5AA5_C33C_0FF0_9669;

/// The stack pointer (exact on x86-64, the address of a local elsewhere).
#[inline(always)]
fn stack_pointer() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: reads a register, touches no memory.
        unsafe { core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let local = 0u8;
        black_box(&local) as *const u8 as usize
    }
}

#[inline(never)]
fn paint(base: usize) {
    for a in (base - PAINT..base - SKIP).step_by(8) {
        // SAFETY: `a` lies in the mapped, unused part of this thread's 8 MiB stack, below
        // the current frame (see the module docs).
        unsafe { std::ptr::write_volatile(a as *mut u64, PATTERN) };
    }
}

#[inline(never)]
fn scan(base: usize) -> Option<usize> {
    (base - PAINT..base - SKIP).step_by(8).find(|&a| {
        // SAFETY: as in `paint`.
        unsafe { std::ptr::read_volatile(a as *const u64) != PATTERN }
    })
}

/// Stack high-water mark of `f`, in bytes; `None` if it stayed within the unpainted 512 bytes.
#[inline(never)]
fn stack_bytes(f: &mut dyn FnMut()) -> Option<usize> {
    let base = stack_pointer();
    paint(base);
    black_box(&mut *f)();
    scan(base).map(|low| base - low)
}

/// Heap allocations made by `n` runs of `f`.
fn allocations(n: usize, f: &mut dyn FnMut(usize)) -> usize {
    let before = GLOBAL.count();
    for i in 0..n {
        f(i % ROTATION);
    }
    GLOBAL.count() - before
}

struct Row {
    pass: &'static str,
    precision: &'static str,
    payload: usize,
    in_memory: usize,
    stack_generic: Option<usize>,
    stack_dispatched: Option<usize>,
    allocs: usize,
}

fn fmt_stack(s: Option<usize>) -> String {
    s.map_or_else(|| format!("< {SKIP}"), |b| b.to_string())
}

fn rows<P: Precision>(quant: Quant, precision: &'static str) -> Vec<Row> {
    let (bytes, _) = bench_inputs::bundle(quant);
    let mut h = Hierarchy::<P>::load(&bytes).expect("bench bundle loads");
    let xs = bench_inputs::dqn_inputs(ROTATION);
    let xt = bench_inputs::ppo_inputs(ROTATION);
    let ws = bench_inputs::windows(ROTATION);
    let obs = bench_inputs::observations(ROTATION, 4);
    let mut window = Window::new();
    for o in &obs[..12] {
        h.observe(&mut window, &o.step).expect("finite fixture");
    }
    let total = Dqn::<P>::PAYLOAD_BYTES + ActorCritic::<P>::PAYLOAD_BYTES + Forecaster::<P>::PAYLOAD_BYTES;
    let sizes: [(&'static str, usize, usize); 7] = [
        ("dqn", Dqn::<P>::PAYLOAD_BYTES, size_of::<Dqn<P>>()),
        ("ppo_actor", ActorCritic::<P>::PAYLOAD_BYTES, size_of::<ActorCritic<P>>()),
        ("ppo_critic", ActorCritic::<P>::PAYLOAD_BYTES, size_of::<ActorCritic<P>>()),
        ("ppo_forward", ActorCritic::<P>::PAYLOAD_BYTES, size_of::<ActorCritic<P>>()),
        ("lstm_window", Forecaster::<P>::PAYLOAD_BYTES, size_of::<Forecaster<P>>()),
        ("hierarchy", total, size_of::<Hierarchy<P>>()),
        ("load_into", total, size_of::<Hierarchy<P>>()),
    ];
    let mut out = Vec::new();
    for (pass, payload, in_memory) in sizes {
        let mut stack = [None; 2];
        let mut allocs = 0;
        for (slot, k) in [Kernels::generic(), Kernels::detect()].into_iter().enumerate() {
            h.set_kernels(k);
            let mut run = |i: usize| match pass {
                "dqn" => {
                    let mut q = [0.0; 3];
                    black_box(h.dqn.forward(&k, black_box(&xs[i]), &mut q)).expect("dqn");
                }
                "ppo_actor" => {
                    let mut l = [0.0; 24];
                    black_box(h.ppo.actor(&k, black_box(&xt[i]), &mut l)).expect("actor");
                }
                "ppo_critic" => {
                    black_box(h.ppo.critic(&k, black_box(&xt[i]))).expect("critic");
                }
                "ppo_forward" => {
                    let mut l = [0.0; 24];
                    black_box(h.ppo.forward(&k, black_box(&xt[i]), &mut l)).expect("ppo");
                }
                "lstm_window" => {
                    let mut y = [0.0; 3];
                    black_box(h.lstm.forward(&k, black_box(&ws[i]), &mut y)).expect("lstm");
                }
                "hierarchy" => {
                    black_box(h.decide(&mut window, black_box(&obs[i]))).expect("decide");
                }
                _ => black_box(h.load_into(black_box(&bytes))).expect("load"),
            };
            let mut i = 0;
            stack[slot] = stack_bytes(&mut || {
                run(i);
                i += 1;
            });
            allocs += allocations(1000, &mut run);
        }
        out.push(Row {
            pass,
            precision,
            payload,
            in_memory,
            stack_generic: stack[0],
            stack_dispatched: stack[1],
            allocs,
        });
    }
    out
}

fn main() {
    let t = std::thread::Builder::new().stack_size(8 << 20).spawn(|| {
        let mut all = rows::<F32>(Quant::F32, "f32");
        all.extend(rows::<I8>(Quant::I8, "int8"));
        all
    });
    let all = t.expect("spawn").join().expect("measuring thread");
    println!("kernels: {:?}", Kernels::detect().tier);
    println!(
        "| pass | precision | weight payload (bytes) | model in memory (bytes) | stack, generic (bytes) | stack, dispatched (bytes) | allocations / 2 000 passes |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for r in &all {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.pass,
            r.precision,
            r.payload,
            r.in_memory,
            fmt_stack(r.stack_generic),
            fmt_stack(r.stack_dispatched),
            r.allocs
        );
    }
    if all.iter().any(|r| r.allocs != 0) {
        eprintln!("footprint: a forward pass allocated");
        std::process::exit(1);
    }
}
