//! The C ABI's per-request path on arbitrary calls: `hdrl_decide` (and `hdrl_state_observe`,
//! `hdrl_model_forecast`, `hdrl_model_q_values`, `hdrl_model_policy`, `hdrl_state_reset`)
//! with arbitrary `hdrl_observation` bytes and NULL / misaligned pointer patterns, against
//! models loaded once through `hdrl_model_load` from fixture bundles.
//!
//! Every call must return a status the library defines (never `HDRL_STATUS_PANIC` or
//! `HDRL_STATUS_INTERNAL`); on success every output is finite and in its documented range;
//! on failure no output byte and no state step changes, and the thread's last error detail
//! is set.
//!
//! Input: a sequence of records, each `op, flags, param[4], observation bytes`.
//! - `op % 6`: decide, observe, forecast, q_values, policy, reset; `(op / 8) % 3`: the model
//!   (f32 bundle, int8 bundle, a bundle holding only the DQN);
//! - `flags`: bit 0–3 NULL model / state / obs / out; bit 4–5 misaligned obs / out; bit 6
//!   make every float finite (and ≥ 0), so that the success paths see arbitrary valid
//!   values, not only encoder errors;
//! - `param`: the provider of `hdrl_model_policy`, the length of `hdrl_model_q_values`.
#![no_main]

use std::ffi::CStr;
use std::mem::{MaybeUninit, size_of};
use std::ptr;
use std::sync::OnceLock;

use hdrl::{
    HDRL_MESSAGE_MAX, hdrl_decision, hdrl_forecast, hdrl_model, hdrl_observation, hdrl_policy, hdrl_state, hdrl_status,
};
use hdrl_infer::fixtures::f32_models;
use hdrl_infer::{EncoderConfig, MEMORY_TIERS_MB, Model, Provenance, Quant, Window, fixtures};
use libfuzzer_sys::fuzz_target;

const OBS: usize = size_of::<hdrl_observation>();
const RECORD: usize = 6 + OBS;
/// Bytes of every output buffer: larger than any output struct, 8-aligned.
const OUT_WORDS: usize = 64;
const SENTINEL: u64 = 0xA5A5_A5A5_A5A5_A5A5;

// Each entry point seen as C sees it: returning a plain u32, so that a value outside the
// enum would be observed rather than be undefined behaviour in Rust.
type Decide =
    unsafe extern "C" fn(*const hdrl_model, *mut hdrl_state, *const hdrl_observation, *mut hdrl_decision) -> u32;
type Observe = unsafe extern "C" fn(*mut hdrl_state, *const hdrl_model, *const hdrl_observation) -> u32;
type Forecast = unsafe extern "C" fn(*const hdrl_model, *const hdrl_state, *mut hdrl_forecast) -> u32;
type QValues = unsafe extern "C" fn(*const hdrl_model, *const hdrl_observation, *mut f32, usize) -> u32;
type Policy = unsafe extern "C" fn(*const hdrl_model, *const hdrl_observation, u32, *mut hdrl_policy) -> u32;
type Reset = unsafe extern "C" fn(*mut hdrl_state) -> u32;

struct Api {
    decide: Decide,
    observe: Observe,
    forecast: Forecast,
    q_values: QValues,
    policy: Policy,
    reset: Reset,
}

fn api() -> Api {
    // SAFETY: `hdrl_status` is `#[repr(u32)]`; each pair of signatures differs only in that.
    unsafe {
        Api {
            decide: std::mem::transmute::<unsafe extern "C" fn(_, _, _, _) -> hdrl_status, Decide>(hdrl::hdrl_decide),
            observe: std::mem::transmute::<unsafe extern "C" fn(_, _, _) -> hdrl_status, Observe>(
                hdrl::hdrl_state_observe,
            ),
            forecast: std::mem::transmute::<unsafe extern "C" fn(_, _, _) -> hdrl_status, Forecast>(
                hdrl::hdrl_model_forecast,
            ),
            q_values: std::mem::transmute::<unsafe extern "C" fn(_, _, _, _) -> hdrl_status, QValues>(
                hdrl::hdrl_model_q_values,
            ),
            policy: std::mem::transmute::<unsafe extern "C" fn(_, _, _, _) -> hdrl_status, Policy>(
                hdrl::hdrl_model_policy,
            ),
            reset: std::mem::transmute::<unsafe extern "C" fn(_) -> hdrl_status, Reset>(hdrl::hdrl_state_reset),
        }
    }
}

/// The three models, loaded once through the C ABI (pointers kept as addresses: a loaded
/// model is immutable and may be shared).
fn models() -> &'static [usize; 3] {
    static M: OnceLock<[usize; 3]> = OnceLock::new();
    M.get_or_init(|| {
        let f = f32_models(7);
        let dqn_only = {
            let p = f.dqn.payload();
            let b = hdrl_infer::Bundle {
                provenance: Provenance::default(),
                encoder: EncoderConfig::DEFAULT,
                reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
                prices: None,
                carbon_profile: None,
                models: heapless::Vec::from_slice(&[<hdrl_infer::Dqn<hdrl_infer::F32> as Model>::record(&p)]).unwrap(),
            };
            b.to_bytes().unwrap()
        };
        let bundles = [fixtures::seeded_bundle(7, Quant::F32), fixtures::seeded_bundle(7, Quant::I8), dqn_only];
        bundles.map(|b| {
            let mut m = ptr::null_mut();
            // SAFETY: a live slice and a live out-pointer.
            let st = unsafe { hdrl::hdrl_model_load(b.as_ptr(), b.len(), &mut m) };
            assert_eq!(st, hdrl_status::Ok);
            m as usize
        })
    })
}

/// A status the library defines: its message exists. Never PANIC or INTERNAL.
fn check_status(st: u32) {
    let mut buf = [0u8; HDRL_MESSAGE_MAX];
    let mut n = 0usize;
    // SAFETY: a live buffer of its length and a live out-pointer.
    let ok = unsafe { hdrl::hdrl_status_message(st, buf.as_mut_ptr().cast(), buf.len(), &mut n) };
    assert_eq!(ok, hdrl_status::Ok, "undefined status {st}");
    assert!(st != hdrl_status::Panic as u32 && st != hdrl_status::Internal as u32, "status {st}");
    if st != 0 {
        // SAFETY: as above.
        let ok = unsafe { hdrl::hdrl_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut n) };
        assert_eq!(ok, hdrl_status::Ok);
        assert!(n > 0, "a failure without a detail (status {st})");
    }
}

/// Make every float finite, and ≥ 0 (every field accepts that).
fn sanitize(o: &mut hdrl_observation) {
    let mut fields: Vec<&mut f32> = vec![
        &mut o.strategic_cost_usd_per_m,
        &mut o.strategic_cost_trend,
        &mut o.strategic_latency_p50_ms,
        &mut o.strategic_latency_p95_ms,
        &mut o.strategic_latency_p99_ms,
        &mut o.strategic_daily_invocations,
        &mut o.strategic_daily_invocations_cv,
        &mut o.strategic_peak_to_mean,
        &mut o.strategic_volume_trend,
        &mut o.app_mean_duration_ms,
        &mut o.app_memory_need_mb,
        &mut o.app_sla_ms,
        &mut o.app_cpu_share,
        &mut o.tactical_latency_ms,
        &mut o.tactical_cost_usd_per_m,
        &mut o.tactical_request_rate,
        &mut o.tactical_memory_used_mb,
        &mut o.tactical_cpu_util,
        &mut o.tactical_queue_depth,
        &mut o.tactical_cold_start_prob,
        &mut o.step_request_rate,
        &mut o.step_memory_used_mb,
        &mut o.step_cpu_util,
        &mut o.step_queue_depth,
        &mut o.step_hour_of_day,
    ];
    fields.extend(o.carbon_now_g_per_kwh.iter_mut().flatten());
    fields.extend(o.carbon_past_day_g_per_kwh.iter_mut().flatten());
    for v in fields {
        *v = if v.is_finite() { v.abs() } else { 0.0 };
    }
}

fn finite(xs: &[f32]) -> bool {
    xs.iter().all(|v| v.is_finite())
}

/// An 8-aligned output buffer filled with a sentinel.
fn out_buf() -> [u64; OUT_WORDS] {
    [SENTINEL; OUT_WORDS]
}

/// The window behind a state handle (hdrl-ffi boxes a `hdrl_infer::Window` per state), as
/// comparable values.
fn snapshot(state: *mut hdrl_state) -> (usize, Option<[f32; 5]>, Option<[[f32; 5]; 12]>) {
    // SAFETY: a live state from `hdrl_state_new`, not in use during this read.
    let w = unsafe { &*(state as *const Window) };
    (w.len(), w.last().copied(), w.ordered())
}

fn check_decision(d: &hdrl_decision) {
    assert!(d.provider as u32 <= 2, "provider");
    assert!(d.region < 4 && d.memory_tier < 6, "region {} tier {}", d.region, d.memory_tier);
    assert_eq!(d.memory_mb, MEMORY_TIERS_MB[d.memory_tier as usize] as u32);
    assert!(!d.provider_name.is_null() && !d.region_name.is_null());
    // SAFETY: static NUL-terminated strings per the header.
    let (p, r) = unsafe { (CStr::from_ptr(d.provider_name), CStr::from_ptr(d.region_name)) };
    assert!(!p.is_empty() && !r.is_empty());
    assert!(finite(&d.q_values) && d.value.is_finite(), "{:?} {}", d.q_values, d.value);
    assert!((0.0..=1.0).contains(&d.probability), "probability {}", d.probability);
    check_forecast(&d.forecast);
}

fn check_forecast(f: &hdrl_forecast) {
    assert!(finite(&[f.request_rate, f.memory_used_mb, f.cpu_util]), "forecast not finite");
    assert!(
        f.request_rate >= 0.0 && f.memory_used_mb >= 0.0 && (0.0..=1.0).contains(&f.cpu_util),
        "forecast out of range"
    );
    assert!(f.source as u32 <= 1);
}

fuzz_target!(|data: &[u8]| {
    let api = api();
    let models = models();
    let mut state = ptr::null_mut();
    // SAFETY: a live out-pointer.
    assert_eq!(unsafe { hdrl::hdrl_state_new(&mut state) }, hdrl_status::Ok);

    for rec in data.chunks(RECORD) {
        let (op, flags) = (rec[0], rec.get(1).copied().unwrap_or(0));
        let param = u32::from_le_bytes(core::array::from_fn(|i| rec.get(2 + i).copied().unwrap_or(0)));
        let mut obs_buf = MaybeUninit::<[u64; OBS / 8 + 2]>::zeroed();
        // SAFETY: the buffer is larger than OBS + 1 bytes; every byte pattern is a valid
        // hdrl_observation (f32 and u8 fields; padding is never read as a value).
        let obs_bytes = unsafe { std::slice::from_raw_parts_mut(obs_buf.as_mut_ptr().cast::<u8>(), OBS + 8) };
        let src = rec.get(6..).unwrap_or(&[]);
        obs_bytes[..src.len()].copy_from_slice(src);
        if flags & 0x40 != 0 {
            // SAFETY: aligned, initialised (zeroed, then copied into).
            sanitize(unsafe { &mut *obs_buf.as_mut_ptr().cast::<hdrl_observation>() });
        }
        let obs_ptr: *const hdrl_observation = if flags & 0x04 != 0 {
            ptr::null()
        } else if flags & 0x10 != 0 {
            // Misaligned: the library must refuse it without reading.
            obs_buf.as_ptr().cast::<u8>().wrapping_add(1).cast()
        } else {
            obs_buf.as_ptr().cast()
        };
        let model = if flags & 0x01 != 0 { ptr::null() } else { models[(op as usize / 8) % 3] as *const hdrl_model };
        let st_ptr = if flags & 0x02 != 0 { ptr::null_mut() } else { state };
        let mut out = out_buf();
        let out_ptr: *mut u8 = if flags & 0x08 != 0 {
            ptr::null_mut()
        } else if flags & 0x20 != 0 {
            out.as_mut_ptr().cast::<u8>().wrapping_add(1)
        } else {
            out.as_mut_ptr().cast()
        };

        let before = snapshot(state);
        // SAFETY: every non-NULL pointer is live and large enough; misaligned ones point into
        // live buffers (the library checks alignment before any access).
        let st = unsafe {
            match op % 6 {
                0 => (api.decide)(model, st_ptr, obs_ptr, out_ptr.cast()),
                1 => (api.observe)(st_ptr, model, obs_ptr),
                2 => (api.forecast)(model, st_ptr, out_ptr.cast()),
                3 => (api.q_values)(model, obs_ptr, out_ptr.cast(), (param % 8) as usize),
                4 => (api.policy)(model, obs_ptr, param % 5, out_ptr.cast()),
                _ => (api.reset)(st_ptr),
            }
        };
        check_status(st);
        let after = snapshot(state);
        if st != 0 {
            assert!(out.iter().all(|&w| w == SENTINEL), "op {} wrote an output on failure {st}", op % 6);
            assert_eq!(before, after, "op {} changed the state on failure {st}", op % 6);
            continue;
        }
        // SAFETY (reads below): on success the output was written at the aligned pointer.
        match op % 6 {
            0 => {
                check_decision(unsafe { &*out_ptr.cast::<hdrl_decision>() });
                assert_eq!(after.0, (before.0 + 1).min(12));
            }
            1 => assert_eq!(after.0, (before.0 + 1).min(12)),
            2 => {
                check_forecast(unsafe { &*out_ptr.cast::<hdrl_forecast>() });
                assert_eq!(before, after);
            }
            3 => {
                let q = unsafe { std::slice::from_raw_parts(out_ptr.cast::<f32>(), 3) };
                assert!(finite(q), "{q:?}");
                assert!(out[2..].iter().all(|&w| w == SENTINEL), "q_values wrote past 3 floats");
            }
            4 => {
                let p = unsafe { &*out_ptr.cast::<hdrl_policy>() };
                assert!(finite(&p.logits) && finite(&p.probabilities) && p.value.is_finite());
                let s: f32 = p.probabilities.iter().sum();
                assert!((s - 1.0).abs() < 1e-4 && p.probabilities.iter().all(|v| (0.0..=1.0).contains(v)), "sum {s}");
            }
            _ => assert_eq!(after.0, 0),
        }
    }
    // SAFETY: from hdrl_state_new, freed once.
    unsafe { hdrl::hdrl_state_free(state) };
});
