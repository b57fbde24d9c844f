//! The calls that take both a model and a state: `hdrl_decide` (the whole hierarchy for one
//! function), `hdrl_state_observe` (feed a step) and `hdrl_model_forecast`.

use hdrl_infer::Observation;

use crate::decision::{hdrl_decision, hdrl_forecast};
use crate::handle::{handle, handle_mut, input, out};
use crate::model::hdrl_model;
use crate::observation::hdrl_observation;
use crate::panic::ffi_boundary;
use crate::state::hdrl_state;
use crate::status::hdrl_status;

/// Decide where and how one function should run next.
///
/// The DQN picks the provider from the `strategic_*` and `app_*` fields; the PPO policy
/// picks the region slot and memory tier from the `tactical_*` fields and that provider
/// (never a tier below `app_memory_need_mb` when one fits); the observation's `step_*`
/// fields are appended to `state` and the LSTM forecasts the next step from it, which sets
/// the suggested concurrency.
///
/// Outputs: on success `*out` (a plain struct in caller memory) and `state` advanced by one
/// step. On failure neither `*out` nor `state` is changed.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_NON_FINITE_INPUT` and
/// `HDRL_STATUS_OUT_OF_RANGE` for a bad observation field (the detail from
/// `hdrl_last_error_message` gives its index); `HDRL_STATUS_MISSING_MODEL` when the bundle
/// lacks one of the three models; `HDRL_STATUS_NON_FINITE_OUTPUT`.
///
/// Thread safety: `model` may be used by any number of threads at once; `state` must not be
/// used by another thread during the call. No allocation, no lock, no I/O: suitable for a
/// gateway's request path.
///
/// # Safety
/// `model` NULL or live; `state` NULL or live and unshared during the call; `obs` NULL or
/// valid; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_decide(
    model: *const hdrl_model,
    state: *mut hdrl_state,
    obs: *const hdrl_observation,
    out: *mut hdrl_decision,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let state = handle_mut!(state);
        let obs = input!(obs);
        let out = out!(out);
        let d = model.decide(state, &Observation::from(obs))?;
        out.write(hdrl_decision::from(&d));
        Ok(())
    }
}

/// Append one 15-second step to the state without deciding: reads only the `step_*` fields
/// of `obs` and encodes them with `model`'s constants. Use it to feed steps between
/// decisions (`hdrl_decide` appends its observation's step itself).
///
/// On error the state is unchanged. Errors: `HDRL_STATUS_NULL_POINTER`,
/// `HDRL_STATUS_NON_FINITE_INPUT`, `HDRL_STATUS_OUT_OF_RANGE` (indices 21–25).
///
/// Thread safety: the model may be shared; the state must not be used by another thread
/// during the call.
///
/// # Safety
/// `state` NULL or live and unshared during the call; `model` NULL or live; `obs` NULL or
/// valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_state_observe(
    state: *mut hdrl_state,
    model: *const hdrl_model,
    obs: *const hdrl_observation,
) -> hdrl_status {
    ffi_boundary! {
        let state = handle_mut!(state);
        let model = handle!(model);
        let obs = input!(obs);
        model.observe(state, &obs.step())?;
        Ok(())
    }
}

/// Forecast the next step's load from a state's window, without changing the state.
///
/// With fewer than `HDRL_WINDOW_STEPS` steps in the state the forecast is the latest step
/// repeated (`source` = `HDRL_FORECAST_SOURCE_WARMING_UP`; zeros for an empty state).
///
/// Outputs: `*out` on success only. Errors: `HDRL_STATUS_NULL_POINTER`,
/// `HDRL_STATUS_MISSING_MODEL` (no LSTM in the bundle), `HDRL_STATUS_NON_FINITE_OUTPUT`.
///
/// Thread safety: any thread, concurrently with any other call on the same model; the state
/// must not be written by another thread during the call.
///
/// # Safety
/// `model` NULL or live; `state` NULL or live; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_forecast(
    model: *const hdrl_model,
    state: *const hdrl_state,
    out: *mut hdrl_forecast,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let state = handle!(state);
        let out = out!(out);
        let (f, src) = model.forecast(state)?;
        out.write(hdrl_forecast::new(f, src));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::ptr;

    use hdrl_infer::{Decision, F32, Hierarchy, I8, Quant, Window, fixtures};

    use super::*;
    use crate::model::{hdrl_model_free, hdrl_model_load};
    use crate::state::{hdrl_state_free, hdrl_state_new};

    /// hdrl-infer's own decision function for a bundle.
    type Reference = Box<dyn Fn(&mut Window, &Observation) -> Decision>;

    fn load(bytes: &[u8]) -> *mut hdrl_model {
        let mut m = ptr::null_mut();
        // SAFETY: a live slice and a live out-pointer.
        let st = unsafe { hdrl_model_load(bytes.as_ptr(), bytes.len(), &mut m) };
        assert_eq!(st, hdrl_status::Ok);
        m
    }

    fn obs(i: u32) -> hdrl_observation {
        hdrl_observation {
            strategic_cost_usd_per_m: 2.0 + (i % 5) as f32,
            strategic_latency_p95_ms: 150.0 + 10.0 * (i % 13) as f32,
            strategic_daily_invocations: 5e4,
            app_mean_duration_ms: 180.0,
            app_memory_need_mb: 300.0,
            app_sla_ms: 800.0,
            tactical_request_rate: (i % 9) as f32,
            step_request_rate: (i % 7) as f32 * 3.0,
            step_memory_used_mb: 200.0,
            step_hour_of_day: (i % 24) as f32,
            ..Default::default()
        }
    }

    /// The C path gives exactly what hdrl-infer gives, in both precisions, step by step.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn c_decisions_equal_infer_decisions() {
        for quant in [Quant::F32, Quant::I8] {
            let bytes = fixtures::seeded_bundle(11, quant);
            let model = load(&bytes);
            let mut state = ptr::null_mut();
            // SAFETY: live out-pointer.
            assert_eq!(unsafe { hdrl_state_new(&mut state) }, hdrl_status::Ok);
            let reference: Reference = match quant {
                Quant::F32 => {
                    let h = Hierarchy::<F32>::load(&bytes).unwrap();
                    Box::new(move |w, o| h.decide(w, o).unwrap())
                }
                Quant::I8 => {
                    let h = Hierarchy::<I8>::load(&bytes).unwrap();
                    Box::new(move |w, o| h.decide(w, o).unwrap())
                }
            };
            let mut window = Window::new();
            for i in 0..30 {
                let o = obs(i);
                let want = reference(&mut window, &Observation::from(&o));
                let mut got = std::mem::MaybeUninit::<hdrl_decision>::uninit();
                // SAFETY: live handles, a live input and an out-pointer to writable memory.
                let st = unsafe { hdrl_decide(model, state, &o, got.as_mut_ptr()) };
                assert_eq!(st, hdrl_status::Ok);
                // SAFETY: written on success.
                assert_eq!(unsafe { got.assume_init() }, hdrl_decision::from(&want));
            }
            // SAFETY: each freed once.
            unsafe {
                hdrl_state_free(state);
                hdrl_model_free(model);
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn failures_leave_output_and_state_untouched() {
        let model = load(&fixtures::seeded_bundle(3, Quant::I8));
        let mut state = ptr::null_mut();
        // SAFETY: live out-pointer.
        assert_eq!(unsafe { hdrl_state_new(&mut state) }, hdrl_status::Ok);
        let mut bad = obs(1);
        bad.step_cpu_util = f32::NAN;
        let mut out = std::mem::MaybeUninit::<hdrl_decision>::zeroed();
        // SAFETY: live handles and pointers; NULL arguments are what is being tested.
        unsafe {
            assert_eq!(hdrl_decide(model, state, &bad, out.as_mut_ptr()), hdrl_status::NonFiniteInput);
            assert_eq!(crate::status::detail_string(), "input #25 is NaN or infinite");
            assert_eq!(hdrl_decide(ptr::null(), state, &bad, out.as_mut_ptr()), hdrl_status::NullPointer);
            assert_eq!(crate::status::detail_string(), "argument `model` is NULL");
            assert_eq!(hdrl_decide(model, ptr::null_mut(), &bad, out.as_mut_ptr()), hdrl_status::NullPointer);
            assert_eq!(hdrl_decide(model, state, ptr::null(), out.as_mut_ptr()), hdrl_status::NullPointer);
            assert_eq!(hdrl_decide(model, state, &bad, ptr::null_mut()), hdrl_status::NullPointer);
            let mut steps = 99;
            assert_eq!(crate::state::hdrl_state_steps(state, &mut steps), hdrl_status::Ok);
            assert_eq!(steps, 0, "a failed decision leaves the state alone");
            assert_eq!(out.assume_init().memory_mb, 0, "nor the output");
            hdrl_state_free(state);
            hdrl_model_free(model);
        }
    }
}
