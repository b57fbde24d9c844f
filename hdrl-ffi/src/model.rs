//! `hdrl_model`: a loaded weight bundle, and the per-model calls.

use std::ffi::{CStr, c_char};
use std::io::Read;

use hdrl_infer::placement::TACTICAL_ACTIONS;
use hdrl_infer::{AnyHierarchy, Observation, Provider, Quant, TacticalContext, math};

use crate::decision::{HDRL_PROVIDER_COUNT, hdrl_policy};
use crate::error::Error;
use crate::handle::{Castable, handle, input, out};
use crate::observation::hdrl_observation;
use crate::panic::ffi_boundary;
use crate::status::hdrl_status;

/// Largest file `hdrl_model_load_file` reads. A bundle of the three models is under 1 MiB in
/// f32; anything this large is not a bundle, and is refused before it is read into memory.
pub const HDRL_MAX_BUNDLE_BYTES: usize = 64 << 20;

/// A loaded weight bundle: the strategic DQN, the tactical PPO actor-critic and the
/// operational LSTM, with the encoder constants they were trained with.
///
/// Ownership: created by `hdrl_model_load` or `hdrl_model_load_file`, which hand it to the
/// caller; released by `hdrl_model_free`, exactly once, after every other call using it
/// has returned. About 0.8 MB (f32) or 0.2 MB (int8) of heap.
///
/// Thread safety: immutable after loading. Any number of threads may use one model at the
/// same time through `const hdrl_model *` (each with its own `hdrl_state`), with no locking.
pub struct hdrl_model {
    _private: [u8; 0],
}

impl Castable for hdrl_model {
    /// A hierarchy in the bundle's precision.
    type Rust = AnyHierarchy;
}

/// How a bundle's weights are stored.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum hdrl_quant {
    /// 32-bit floats.
    F32 = 0,
    /// int8 weights with one f32 scale per output channel; activations are quantised to int8
    /// inside matrix products and stay f32 elsewhere.
    I8 = 1,
}

/// Load a weight bundle from memory.
///
/// `bytes` must hold `len` bytes: a complete bundle file as written by `hdrl export` (or
/// read from disk by the caller). The bytes are copied; the caller keeps ownership of
/// `bytes` and may free it as soon as the call returns. f32 and int8 bundles are both
/// accepted (see `hdrl_model_quant`).
///
/// Outputs: on success `*out` receives a new model, owned by the caller, to be released
/// with `hdrl_model_free`. On failure `*out` is left untouched.
///
/// Errors: `HDRL_STATUS_NULL_POINTER` (`bytes` or `out` NULL, even when `len` is 0);
/// `HDRL_STATUS_INVALID_PARAMETER` (`len` over `PTRDIFF_MAX`); a bundle status, 100–199
/// (`HDRL_STATUS_BAD_MAGIC` for bytes that are not a bundle, `HDRL_STATUS_TRUNCATED`,
/// `HDRL_STATUS_CHECKSUM_MISMATCH`, ...).
///
/// Thread safety: any thread; concurrent loads are independent. The model is built on the
/// heap, so small-stack threads are fine (a load is tested on a 64 KiB thread; deciding needs
/// under 32 KiB).
///
/// # Safety
/// `bytes` must be NULL or valid for reads of `len` bytes; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_load(bytes: *const u8, len: usize, out: *mut *mut hdrl_model) -> hdrl_status {
    ffi_boundary! {
        let out = out!(out);
        if bytes.is_null() {
            return Err(Error::Null("bytes"));
        }
        if len > isize::MAX as usize {
            return Err(Error::Invalid("`len` is larger than PTRDIFF_MAX"));
        }
        // SAFETY: non-NULL, at most isize::MAX bytes, readable for `len` bytes per this
        // function's contract; u8 has no alignment or validity requirement.
        let bytes = unsafe { std::slice::from_raw_parts(bytes, len) };
        out.write(hdrl_model::into_raw(AnyHierarchy::load(bytes)?));
        Ok(())
    }
}

/// Load a weight bundle from a file.
///
/// `path` is a NUL-terminated UTF-8 path, absolute or relative to the process's working
/// directory. The file is read whole (it must be at most `HDRL_MAX_BUNDLE_BYTES`) and
/// closed before the call returns. The caller keeps ownership of `path`.
///
/// Outputs: on success `*out` receives a new model, owned by the caller, to be released
/// with `hdrl_model_free`. On failure `*out` is left untouched.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PATH` (not UTF-8);
/// `HDRL_STATUS_IO` (missing or unreadable file, a directory; the detail from
/// `hdrl_last_error_message` names the OS error); `HDRL_STATUS_TRAILING_BYTES` for a file
/// over `HDRL_MAX_BUNDLE_BYTES`; any bundle status as `hdrl_model_load`.
///
/// Thread safety: as `hdrl_model_load`.
///
/// # Safety
/// `path` must be NULL or a valid NUL-terminated string; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_load_file(path: *const c_char, out: *mut *mut hdrl_model) -> hdrl_status {
    ffi_boundary! {
        let out = out!(out);
        if path.is_null() {
            return Err(Error::Null("path"));
        }
        // SAFETY: non-NULL and NUL-terminated per this function's contract.
        let path = unsafe { CStr::from_ptr(path) }.to_str().map_err(|_| Error::Path)?;
        let bytes = read_bounded(path)?;
        out.write(hdrl_model::into_raw(AnyHierarchy::load(&bytes)?));
        Ok(())
    }
}

/// Read a file of at most [`HDRL_MAX_BUNDLE_BYTES`].
fn read_bounded(path: &str) -> Result<Vec<u8>, Error> {
    let limit = HDRL_MAX_BUNDLE_BYTES as u64;
    let file = std::fs::File::open(path).map_err(Error::Io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(Error::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Error::TooLarge { limit });
    }
    Ok(bytes)
}

/// Release a model. NULL is a no-op.
///
/// Call it exactly once per model, after every call using the model (on any thread) has
/// returned; the pointer is invalid afterwards. States used with the model stay valid (they
/// do not point to it).
///
/// # Safety
/// `model` must be NULL or a model from `hdrl_model_load*` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_free(model: *mut hdrl_model) {
    ffi_boundary! {
        // SAFETY: per this function's contract.
        unsafe { hdrl_model::free(model) }
    }
}

/// Tell how the model's weights are stored (`HDRL_QUANT_F32` or `HDRL_QUANT_I8`).
///
/// Outputs: `*out` on success. Errors: `HDRL_STATUS_NULL_POINTER`.
/// Thread safety: any thread, concurrently with any other call on the same model.
///
/// # Safety
/// `model` must be NULL or a live model; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_quant(model: *const hdrl_model, out: *mut hdrl_quant) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let out = out!(out);
        out.write(match model.quant() {
            Quant::F32 => hdrl_quant::F32,
            Quant::I8 => hdrl_quant::I8,
        });
        Ok(())
    }
}

/// `hdrl_model_carries` bit: the bundle carries the providers' price table (requests can be
/// priced with `HDRL_COST_FROM_BUNDLE`).
pub const HDRL_BUNDLE_PRICES: u32 = 1;
/// `hdrl_model_carries` bit: the bundle carries the regions' typical-day carbon intensity (a
/// NULL `hdrl_carbon` reads it).
pub const HDRL_BUNDLE_CARBON_PROFILE: u32 = 2;

/// Tell which defaults the bundle carries: `*out` receives the `HDRL_BUNDLE_*` bits (bundles
/// of format 5 written by the trainer carry both).
///
/// Errors: `HDRL_STATUS_NULL_POINTER`. Thread safety: any thread, concurrently with any other
/// call on the same model.
///
/// # Safety
/// `model` must be NULL or a live model; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_carries(model: *const hdrl_model, out: *mut u32) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let out = out!(out);
        let bit = |has: bool, b: u32| if has { b } else { 0 };
        out.write(bit(model.prices().is_some(), HDRL_BUNDLE_PRICES) | bit(model.carbon_profile().is_some(), HDRL_BUNDLE_CARBON_PROFILE));
        Ok(())
    }
}

/// Strategic Q-values from a raw observation: one expected reward per provider, the largest
/// being the provider `hdrl_decide` would pick. Reads only the `strategic_*`, `app_*` and
/// `carbon_past_day_g_per_kwh` fields of `obs`.
///
/// Outputs: on success `q_values[0..3]` (index = `hdrl_provider`); nothing is written on
/// failure. `len` is the number of floats `q_values` holds and must be at least
/// `HDRL_PROVIDER_COUNT`.
///
/// Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BUFFER_TOO_SMALL` (`len` < 3);
/// `HDRL_STATUS_NON_FINITE_INPUT`, `HDRL_STATUS_OUT_OF_RANGE` (see `hdrl_observation`);
/// `HDRL_STATUS_MISSING_MODEL` (no DQN in the bundle); `HDRL_STATUS_NON_FINITE_OUTPUT`.
///
/// Thread safety: any thread, concurrently with any other call on the same model.
///
/// # Safety
/// `model` NULL or live; `obs` NULL or valid; `q_values` NULL or valid for writes of `len`
/// floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_q_values(
    model: *const hdrl_model,
    obs: *const hdrl_observation,
    q_values: *mut f32,
    len: usize,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let obs = input!(obs);
        let q_out = out!(q_values);
        if len < HDRL_PROVIDER_COUNT {
            return Err(Error::TooSmall { need: HDRL_PROVIDER_COUNT, got: len });
        }
        let o = Observation::from(obs);
        let q = model.q_values(&o.strategic, &o.app, &o.carbon)?;
        // SAFETY: `q_values` is non-NULL and aligned (checked by `out!`) and valid for
        // `len` >= 3 floats per this function's contract.
        unsafe { std::ptr::copy_nonoverlapping(q.as_ptr(), q_out.as_ptr(), q.len()) };
        Ok(())
    }
}

/// Tactical policy for a provider: logits and probabilities over the 24 region-rank × memory
/// actions, and the critic's value. Reads only the `tactical_*` and `app_*` fields,
/// `strategic_volume_trend` and `carbon_now_g_per_kwh` of `obs`. Unlike `hdrl_decide`, no
/// memory tier is excluded.
///
/// `provider` is an `hdrl_provider` number (0 AWS, 1 Azure, 2 GCP), passed as `uint32_t` so
/// that any value is safe: others give `HDRL_STATUS_INVALID_PARAMETER`.
///
/// Outputs: `*out` on success only. Errors: `HDRL_STATUS_NULL_POINTER`,
/// `HDRL_STATUS_INVALID_PARAMETER`, `HDRL_STATUS_NON_FINITE_INPUT`,
/// `HDRL_STATUS_OUT_OF_RANGE`, `HDRL_STATUS_MISSING_MODEL` (no PPO in the bundle),
/// `HDRL_STATUS_NON_FINITE_OUTPUT`.
///
/// Thread safety: any thread, concurrently with any other call on the same model.
///
/// # Safety
/// `model` NULL or live; `obs` NULL or valid; `out` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_model_policy(
    model: *const hdrl_model,
    obs: *const hdrl_observation,
    provider: u32,
    out: *mut hdrl_policy,
) -> hdrl_status {
    ffi_boundary! {
        let model = handle!(model);
        let obs = input!(obs);
        let out = out!(out);
        let provider = usize::try_from(provider)
            .ok()
            .and_then(Provider::from_index)
            .ok_or(Error::Invalid("`provider` is not an hdrl_provider value"))?;
        let ctx = TacticalContext { provider, volume_trend: obs.strategic_volume_trend };
        let o = Observation::from(obs);
        let (logits, value) = model.policy(&o.tactical, &ctx, &o.app, &o.carbon)?;
        let mut probabilities = [0.0; TACTICAL_ACTIONS];
        math::softmax(&logits, &mut probabilities);
        out.write(hdrl_policy { logits, probabilities, value });
        Ok(())
    }
}
