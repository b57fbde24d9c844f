//! hdrl's hierarchy on a Cortex-M4F (QEMU `mps2-an386`).
//!
//! Loads a weight bundle embedded in flash into a hierarchy that lives in a `static` (no
//! allocator, nothing large on the stack), runs the fixed observation sequence of
//! `hdrl-edge-scenario` through `decide`, prints one line per step over semihosting, then the
//! RAM footprint measured by stack painting, and exits through semihosting with status 0 (or 1
//! when the bundle does not load). `run-qemu-test.sh` compares every line with the host's.
#![no_std]
#![no_main]

mod stack;

use core::fmt::Write;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use hdrl_edge_scenario as scenario;
use hdrl_infer::{Bundle, Hierarchy, Kernels, Window};
use panic_semihosting as _;

#[cfg(not(feature = "f32"))]
type Precision = hdrl_infer::I8;
#[cfg(not(feature = "f32"))]
const QUANT: &str = "int8";
/// `hdrl_infer::fixtures::seeded_bundle(BUNDLE_SEED, Quant::I8)`, written by `host bundle`.
#[cfg(not(feature = "f32"))]
static BUNDLE: &[u8] = include_bytes!(concat!(env!("HDRL_BUNDLE_DIR"), "/int8.hdrl"));

#[cfg(feature = "f32")]
type Precision = hdrl_infer::F32;
#[cfg(feature = "f32")]
const QUANT: &str = "f32";
/// `hdrl_infer::fixtures::seeded_bundle(BUNDLE_SEED, Quant::F32)`, written by `host bundle`.
#[cfg(feature = "f32")]
static BUNDLE: &[u8] = include_bytes!(concat!(env!("HDRL_BUNDLE_DIR"), "/f32.hdrl"));

/// Longest line the firmware prints (a decision line is about 250 bytes).
type Line = heapless::String<512>;

fn print(line: &Line) {
    hprintln!("{}", line.as_str());
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns an entry-local `static mut` into a `&'static mut`: the hierarchy lives
    // in RAM among the statics, never on the stack, and no `unsafe` is needed to reach it. An
    // uninitialised slot goes to `.bss` (zeroed at reset, no flash); `init_in_place` makes the
    // empty hierarchy there. (A `static` of `Hierarchy::empty(..)` would also store its whole
    // initial value, the hierarchy's size, in flash as `.data`.)
    static mut MODEL: MaybeUninit<Hierarchy<Precision>> = MaybeUninit::uninit();
    let model: &'static mut Hierarchy<Precision> = Hierarchy::init_in_place(MODEL, Kernels::generic());

    let seed = Bundle::parse(BUNDLE).map(|b| b.provenance.seed).unwrap_or(u64::MAX);
    let mut line = Line::new();
    let _ = scenario::write_begin(&mut line, QUANT, seed, BUNDLE.len());
    print(&line);

    if let Err(e) = model.load_into(BUNDLE) {
        hprintln!("{} end status=load-failed error={:?}", scenario::PREFIX, e);
        debug::exit(debug::EXIT_FAILURE);
    }
    let model: &Hierarchy<Precision> = model;

    let mut window = Window::new();
    for step in 0..scenario::STEPS {
        let result = model.decide(&mut window, &scenario::observation(step));
        line.clear();
        if scenario::write_step(&mut line, step, &result).is_err() {
            line.clear();
            let _ = write!(line, "{} error step={step} error=line too long", scenario::PREFIX);
        }
        print(&line);
    }

    let regions = stack::regions();
    hprintln!(
        "{} footprint static_ram={} stack_region={} stack_peak={}",
        scenario::PREFIX,
        regions.static_bytes,
        regions.stack_bytes,
        stack::peak_bytes()
    );
    hprintln!("{} end status=ok", scenario::PREFIX);
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}
