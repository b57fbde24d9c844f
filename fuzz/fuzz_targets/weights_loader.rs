//! The weight-file loader on arbitrary bytes: `Bundle::parse`, `Hierarchy::<F32>::load_into`
//! and `Hierarchy::<I8>::load_into` must return a typed error or a model, never panic, and a
//! loaded model must decide without a NaN.
//!
//! The first input byte picks how the rest is used:
//! - even: the rest is the file, as is (exercises the header checks: magic, version,
//!   length, checksum);
//! - odd: the rest gets a valid header written over its first 18 bytes (magic, version,
//!   length and CRC of the body), so mutations of the body reach the postcard decoder, the
//!   encoder checks and the model loaders instead of stopping at the checksum.
#![no_main]

use std::sync::{Mutex, OnceLock};

use hdrl_infer::checksum::crc32;
use hdrl_infer::weights::{FORMAT_VERSION, HEADER_BYTES, MAGIC};
use hdrl_infer::{Bundle, F32, Hierarchy, I8, Kernels, Observation, Precision, Window};
use libfuzzer_sys::fuzz_target;

/// Largest file whose parse is also checked by re-encoding (`Bundle::to_bytes` writes a
/// payload byte by byte, too slow under the sanitizers for whole models).
const ROUND_TRIP_MAX: usize = 16 << 10;

/// Give `rest` a valid header over its first `HEADER_BYTES` bytes.
fn reframe(rest: &[u8]) -> Vec<u8> {
    let body = rest.get(HEADER_BYTES..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(HEADER_BYTES + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn hierarchies() -> &'static Mutex<(Box<Hierarchy<F32>>, Box<Hierarchy<I8>>)> {
    static H: OnceLock<Mutex<(Box<Hierarchy<F32>>, Box<Hierarchy<I8>>)>> = OnceLock::new();
    H.get_or_init(|| Mutex::new((Hierarchy::boxed(Kernels::detect()), Hierarchy::boxed(Kernels::detect()))))
}

/// A few observations: all zeros, a typical one, one at every saturation point.
fn observations() -> [Observation; 3] {
    let mut typical = Observation::default();
    typical.strategic.cost_usd_per_m = 3.0;
    typical.strategic.latency_p95_ms = 250.0;
    typical.strategic.daily_invocations = 5e4;
    typical.app.mean_duration_ms = 180.0;
    typical.app.memory_need_mb = 300.0;
    typical.app.sla_ms = 800.0;
    typical.tactical.request_rate = 4.0;
    typical.step.request_rate = 6.0;
    typical.step.hour_of_day = 13.5;
    let mut big = typical;
    big.strategic.cost_usd_per_m = 1e30;
    big.strategic.cost_trend = -1e30;
    big.app.home_region = 255;
    big.app.memory_need_mb = 1e9;
    big.tactical.queue_depth = 1e30;
    big.step.request_rate = f32::MAX;
    big.step.hour_of_day = -1e30;
    [Observation::default(), typical, big]
}

/// Load, and when the load succeeds, decide: every Ok decision is finite.
fn exercise<P: Precision>(h: &mut Hierarchy<P>, bytes: &[u8], parsed: bool) {
    let loaded = h.load_into(bytes);
    if loaded.is_ok() {
        assert!(parsed, "load_into accepted a file Bundle::parse rejects");
    }
    // After any load attempt, calls give a result or a typed error (MissingModel after a
    // failed load), never a panic or a NaN: a decision on an empty window (warm-up
    // forecast), then on a full one (the LSTM).
    let mut w = Window::new();
    let obs = observations();
    for o in &obs {
        check(h.decide(&mut w, o));
    }
    for _ in 0..11 {
        let _ = h.observe(&mut w, &obs[1].step);
    }
    for o in &obs {
        check(h.decide(&mut w, o));
    }
}

fn check(d: Result<hdrl_infer::Decision, hdrl_infer::InferError>) {
    if let Ok(d) = d {
        assert!(d.q_values.iter().all(|v| v.is_finite()), "{d:?}");
        assert!(d.value.is_finite() && (0.0..=1.0).contains(&d.tactical_prob), "{d:?}");
        let f = d.forecast;
        assert!(f.request_rate.is_finite() && f.memory_used_mb.is_finite() && f.cpu_util.is_finite(), "{d:?}");
        assert!(d.region < 4 && d.memory_tier < 6, "{d:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let owned;
    let bytes = if mode & 1 == 1 {
        owned = reframe(rest);
        &owned[..]
    } else {
        rest
    };
    let parsed = match Bundle::parse(bytes) {
        Ok(b) if bytes.len() <= ROUND_TRIP_MAX => {
            // A parsed bundle re-encodes to a file that parses to the same encoding.
            let again = b.to_bytes().expect("a parsed bundle encodes");
            let b2 = Bundle::parse(&again).expect("a re-encoded bundle parses");
            assert_eq!(b2.to_bytes().ok().as_ref(), Some(&again), "re-encoding is not stable");
            true
        }
        Ok(_) => true,
        Err(_) => false,
    };
    let mut guard = hierarchies().lock().unwrap_or_else(|e| e.into_inner());
    let (f, q) = &mut *guard;
    exercise(f, bytes, parsed);
    exercise(q, bytes, parsed);
});
