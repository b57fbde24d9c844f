//! A counting global allocator proves that a decision allocates nothing once the model is
//! loaded (f32 and int8, every kernel table).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use hdrl_infer::fixtures::seeded_bundle;
use hdrl_infer::{F32, Hierarchy, I8, Kernels, Observation, Precision, Quant, Window};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count_decisions<P: Precision>(h: &mut Hierarchy<P>) -> usize {
    let mut total = 0;
    for k in [Kernels::generic(), Kernels::detect()] {
        h.set_kernels(k);
        let mut w = Window::new();
        let mut o = Observation::default();
        o.app.mean_duration_ms = 100.0;
        let before = ALLOCS.load(Ordering::SeqCst);
        for i in 0..100 {
            o.step.request_rate = i as f32;
            o.step.hour_of_day = (i % 24) as f32;
            let d = h.decide(&mut w, &o).expect("decide");
            std::hint::black_box(d);
        }
        total += ALLOCS.load(Ordering::SeqCst) - before;
    }
    total
}

#[test]
fn decisions_allocate_nothing_after_load() {
    let f = seeded_bundle(31, Quant::F32);
    let q = seeded_bundle(31, Quant::I8);
    let mut hf = Hierarchy::<F32>::load(&f).unwrap();
    let mut hq = Hierarchy::<I8>::load(&q).unwrap();
    // Loading itself also allocates nothing beyond the caller's box.
    let before = ALLOCS.load(Ordering::SeqCst);
    hq.load_into(&q).unwrap();
    assert_eq!(ALLOCS.load(Ordering::SeqCst) - before, 0, "load_into allocated");
    assert_eq!(count_decisions(&mut hf), 0, "f32 decisions allocated");
    assert_eq!(count_decisions(&mut hq), 0, "int8 decisions allocated");
}
