//! `hdrl_tracker`: one function's measured traffic and its decision at each layer's cadence.
//! A gateway records every request's start and end, refreshes on a timer, and reads the
//! cached decision on the request path.

use hdrl_infer::{AnyHierarchy, AppContext, CarbonObs, Outcome, Refreshed, Tracker};

use crate::decision::hdrl_decision;
use crate::error::Error;
use crate::handle::{Castable, handle, handle_mut, input, out};
use crate::model::hdrl_model;
use crate::observation::hdrl_observation;
use crate::panic::ffi_boundary;
use crate::status::hdrl_status;

/// Bytes of one tracker on the heap (x86-64): 100 000 functions take about 169 MB.
pub const HDRL_TRACKER_BYTES: usize = 1688;
const _: () = assert!(Tracker::BYTES <= HDRL_TRACKER_BYTES);

/// The facts of a function that do not change with load (the `app_*` fields of
/// `hdrl_observation`, same units and ranges).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct hdrl_app {
    /// Mean execution time of one invocation on a 1 vCPU instance, ms (≥ 0). Sets the
    /// suggested concurrency.
    pub mean_duration_ms: f32,
    /// Memory the function needs, MB (≥ 0). Memory in use is derived from it and concurrency.
    pub memory_need_mb: f32,
    /// Region slot where most users are: 0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast.
    pub home_region: u8,
    /// Latency SLA, ms (≥ 0).
    pub sla_ms: f32,
    /// CPU-bound fraction of the execution time, 0 … 1. CPU utilisation is derived from it.
    pub cpu_share: f32,
}

/// Grid carbon intensity of every provider's region slots, gCO2e/kWh (the `carbon_*` fields
/// of `hdrl_observation`, same layout: `[provider][region slot]`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct hdrl_carbon {
    /// This hour's intensity.
    pub now_g_per_kwh: [[f32; 4]; 3],
    /// The mean of the past 24 hours.
    pub past_day_g_per_kwh: [[f32; 4]; 3],
}

/// The carbon a call was given, `None` for NULL: the caller has no carbon API.
///
/// # Safety
/// `p` is NULL or points to a live `hdrl_carbon`.
pub(crate) unsafe fn carbon_given(p: *const hdrl_carbon) -> Result<Option<CarbonObs>, Error> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and live per this function's contract.
    let c = unsafe { crate::handle::input_ref(p, "carbon") }?;
    Ok(Some(CarbonObs { now: c.now_g_per_kwh, past_day: c.past_day_g_per_kwh }))
}

/// The carbon at `now_s`: the given one, else the bundle's typical day for the hour (its
/// carbon profile), else unknown (every region 0 gCO2e/kWh: no model, or no profile).
pub(crate) fn carbon_or_default(model: Option<&AnyHierarchy>, given: Option<CarbonObs>, now_s: f64) -> CarbonObs {
    given.unwrap_or_else(|| model.map_or_else(CarbonObs::default, |m| m.default_carbon(now_s)))
}

/// Pass as a request's cost to have the model price it: the bundle's price table at the
/// function's current placement, billing the latency (any negative cost means the same).
pub const HDRL_COST_FROM_BUNDLE: f32 = -1.0;

/// Record in `tr` that a request ended at `now_s`: its cost as given, or priced by `model` when
/// the cost is negative (`HDRL_COST_FROM_BUNDLE`).
///
/// # Safety
/// `model` is NULL or live.
pub(crate) unsafe fn end_request(
    model: *const hdrl_model,
    tr: &mut Tracker,
    now_s: f64,
    latency_ms: f32,
    cold: bool,
    cost_usd: f32,
) -> Result<(), Error> {
    let cost_usd = if cost_usd < 0.0 { handle!(model).request_cost(tr, latency_ms) } else { cost_usd };
    tr.end(now_s, &Outcome { latency_ms, cold, cost_usd })?;
    Ok(())
}

/// Which layers an `hdrl_tracker_refresh` ran (bit flags).
pub const HDRL_LAYER_STRATEGIC: u32 = 1;
/// The PPO chose region and memory tier (a new hour, or a new provider).
pub const HDRL_LAYER_TACTICAL: u32 = 2;
/// The LSTM forecast the next step (a step closed).
pub const HDRL_LAYER_OPERATIONAL: u32 = 4;

/// The `HDRL_LAYER_*` bits of the layers a refresh ran.
pub(crate) fn layer_bits(r: Refreshed) -> u32 {
    let bit = |ran: bool, layer: u32| if ran { layer } else { 0 };
    bit(r.strategic, HDRL_LAYER_STRATEGIC)
        | bit(r.tactical, HDRL_LAYER_TACTICAL)
        | bit(r.operational, HDRL_LAYER_OPERATIONAL)
}

/// One function's telemetry, its LSTM window and its current decision.
///
/// What it measures: fed with each request's start and end (`hdrl_tracker_start`,
/// `hdrl_tracker_end`) and the clock, it keeps the operational steps (15 s unless created with
/// another length), the last closed hour (request rate, mean in-flight, cold fraction, cost per
/// million, p95 latency within 6.03 %) and the last three closed days (invocations, their
/// trend and variation, cost, latency p50/p95/p99, busiest minute): every input of the three
/// models, computed as the trainer computes them.
///
/// Cadence: `hdrl_tracker_refresh` runs the strategic DQN when the UTC day changes, the
/// tactical PPO when the hour or the provider changes, the LSTM when a step closed, nothing
/// otherwise. `hdrl_tracker_decision` copies the cached decision: no model call, O(1).
///
/// Clock: seconds (a double) since the Unix epoch, or any origin at a UTC midnight; finite,
/// 0 … 2^40. Events older than the latest one seen count at the latest time (out of order,
/// duplicated, a clock going backwards never undo anything); a request's latency, cold start
/// and cost count in the period it ends in.
///
/// Memory: `HDRL_TRACKER_BYTES` of heap per tracker, fixed; no call after `hdrl_tracker_new`
/// allocates.
///
/// Ownership: created by `hdrl_tracker_new`, released by `hdrl_tracker_free` exactly once.
/// A tracker points to no model; use it with one model (its window is encoded with that
/// model's constants).
///
/// Thread safety: not shared. One thread at a time may use a tracker (a gateway with several
/// workers keeps one per function behind a lock, or one per worker); the model passed to
/// `hdrl_tracker_refresh` may be shared by any number of threads.
pub struct hdrl_tracker {
    _private: [u8; 0],
}

impl Castable for hdrl_tracker {
    type Rust = Tracker;
}

impl From<&hdrl_app> for AppContext {
    fn from(a: &hdrl_app) -> Self {
        AppContext {
            mean_duration_ms: a.mean_duration_ms,
            memory_need_mb: a.memory_need_mb,
            home_region: a.home_region,
            sla_ms: a.sla_ms,
            cpu_share: a.cpu_share,
        }
    }
}

/// Create a tracker for a function with these facts, cut into steps of `step_s` seconds
/// (15 in production: the LSTM was trained on 15-s steps; tests may use 1).
///
/// Outputs: on success `*out` receives a new tracker owned by the caller. Errors:
/// `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BAD_EVENT` when `step_s` is not in 0.01 … 3600 or
/// does not divide an hour. Thread safety: any thread.
///
/// # Safety
/// `app` NULL or valid; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_new(
    app: *const hdrl_app,
    step_s: f32,
    out: *mut *mut hdrl_tracker,
) -> hdrl_status {
    ffi_boundary! {
        let app = input!(app);
        let out = out!(out);
        let t = Tracker::new(AppContext::from(app), step_s)?;
        out.write(hdrl_tracker::into_raw(t));
        Ok(())
    }
}

/// Release a tracker. NULL is a no-op. Call it exactly once per tracker.
///
/// # Safety
/// `tracker` must be NULL or a tracker from `hdrl_tracker_new` not yet freed and not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_free(tracker: *mut hdrl_tracker) {
    ffi_boundary! {
        // SAFETY: per this function's contract.
        unsafe { hdrl_tracker::free(tracker) }
    }
}

/// A request of this function started at `now_s`.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BAD_EVENT` for a clock that is NaN,
/// infinite, negative or above 2^40 (nothing is recorded). Thread safety: see `hdrl_tracker`.
///
/// # Safety
/// `tracker` NULL or live and unshared during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_start(tracker: *mut hdrl_tracker, now_s: f64) -> hdrl_status {
    ffi_boundary! {
        handle_mut!(tracker).start(now_s)?;
        Ok(())
    }
}

/// A request of this function ended at `now_s`, after `latency_ms` end to end, cold when the
/// platform reported a cold start, costing `cost_usd`: pass `HDRL_COST_FROM_BUNDLE` to have
/// `model` price it (see `hdrl_tracker_cost`), or the cost if the platform reports it (then
/// `model` may be NULL).
///
/// Errors: `HDRL_STATUS_NULL_POINTER` (also a NULL `model` with `HDRL_COST_FROM_BUNDLE`);
/// `HDRL_STATUS_BAD_EVENT` for a bad clock (nothing is recorded) or a NaN, infinite or negative
/// latency or a NaN or infinite cost (the request still counts as ended; its outcome is not
/// recorded). Thread safety: see `hdrl_tracker`.
///
/// # Safety
/// `model` NULL or live; `tracker` NULL or live and unshared during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_end(
    model: *const hdrl_model,
    tracker: *mut hdrl_tracker,
    now_s: f64,
    latency_ms: f32,
    cold: bool,
    cost_usd: f32,
) -> hdrl_status {
    ffi_boundary! {
        let tracker = handle_mut!(tracker);
        // SAFETY: the contract of this function.
        unsafe { end_request(model, tracker, now_s, latency_ms, cold, cost_usd) }
    }
}

/// What a request of this function that executed `exec_ms` costs at the tracker's current
/// placement, USD, from the bundle's price table (the trainer's billing: the duration rounded
/// up to the provider's increment, the tier's memory, the request fee). 0 before the first
/// decision or when the bundle carries no price table (see `hdrl_model_carries`). A gateway that
/// only sees end-to-end latency passes it: an upper bound, it includes the network.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`. Thread safety: see `hdrl_tracker`. No allocation.
///
/// # Safety
/// `model` and `tracker` NULL or live; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_cost(
    model: *const hdrl_model,
    tracker: *const hdrl_tracker,
    exec_ms: f32,
    out: *mut f32,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let tracker = handle!(tracker);
        out!(out).write(model.request_cost(tracker, exec_ms));
        Ok(())
    }
}

/// Bring the tracker's decision up to `now_s`, running only the layers whose cadence came
/// (see `hdrl_tracker`). Call it on a timer, once per step, or before reading a decision.
///
/// `carbon` NULL means no carbon API: the bundle's typical day for the hour of `now_s` (its
/// carbon profile), or every region 0 gCO2e/kWh (carbon does not sway the choice) if the bundle
/// carries none. Outputs: `*layers_out` (may be NULL) receives the `HDRL_LAYER_*` bits of
/// the layers that ran, 0 when the cached decision was already current.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`, `HDRL_STATUS_BAD_EVENT` (bad clock),
/// `HDRL_STATUS_MISSING_MODEL`, `HDRL_STATUS_NON_FINITE_INPUT`/`OUT_OF_RANGE` (a bad `app` or
/// `carbon` value), `HDRL_STATUS_NON_FINITE_OUTPUT`; the cached decision is then unchanged.
/// Thread safety: `model` shared freely; `tracker` unshared during the call. No allocation.
///
/// # Safety
/// `model` NULL or live; `tracker` NULL or live and unshared; `carbon` NULL or valid;
/// `layers_out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_refresh(
    model: *const hdrl_model,
    tracker: *mut hdrl_tracker,
    now_s: f64,
    carbon: *const hdrl_carbon,
    layers_out: *mut u32,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let tracker = handle_mut!(tracker);
        // SAFETY: the contract of this function.
        let given = unsafe { carbon_given(carbon) }?;
        let r = model.refresh_with(tracker, now_s, |t| carbon_or_default(Some(model), given, t))?;
        if !layers_out.is_null() {
            out!(layers_out).write(layer_bits(r));
        }
        Ok(())
    }
}

/// Copy the tracker's current decision: O(1), no model call, for the request path.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_NO_DECISION` before the first successful
/// `hdrl_tracker_refresh` (`*out` is not written). Thread safety: see `hdrl_tracker`.
///
/// # Safety
/// `tracker` NULL or live and not written by another thread during the call; `out` NULL or
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_decision(tracker: *const hdrl_tracker, out: *mut hdrl_decision) -> hdrl_status {
    ffi_boundary! {
        let tracker = handle!(tracker);
        let out = out!(out);
        let d = tracker.decision().ok_or(Error::Unrecorded(hdrl_status::NoDecision))?;
        out.write(hdrl_decision::from(d));
        Ok(())
    }
}

/// What the tracker measured, as the observation the models read at `now_s` (the last closed
/// days, hour and step; `carbon` NULL reads as in `hdrl_tracker_refresh` with `model`, which
/// may be NULL: then zeros): for logs, dashboards and tests. Moves the tracker's clock to
/// `now_s` like any event.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BAD_EVENT` for a bad clock (`*out` not
/// written). Thread safety: see `hdrl_tracker`.
///
/// # Safety
/// `model` NULL or live; `tracker` NULL or live and unshared during the call; `carbon` NULL or
/// valid; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_tracker_observation(
    model: *const hdrl_model,
    tracker: *mut hdrl_tracker,
    now_s: f64,
    carbon: *const hdrl_carbon,
    out: *mut hdrl_observation,
) -> hdrl_status {
    ffi_boundary! {
        let model = if model.is_null() { None } else { Some(handle!(model)) };
        let tracker = handle_mut!(tracker);
        // SAFETY: the contract of this function.
        let c = carbon_or_default(model, unsafe { carbon_given(carbon) }?, now_s);
        let out = out!(out);
        let obs = tracker.observation(now_s, &c)?;
        out.write(hdrl_observation::from(&obs));
        Ok(())
    }
}
