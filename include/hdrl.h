/*
 * hdrl.h: the C API of hdrl, learned multi-cloud serverless placement.
 *
 * Load a weight bundle once (`hdrl_model_load_file`), keep one `hdrl_state` per serverless
 * function, and call `hdrl_decide` with a plain `hdrl_observation` of raw metrics to get an
 * `hdrl_decision`: provider, region, memory tier, a load forecast and a suggested
 * concurrency. Per-model calls (`hdrl_model_q_values`, `hdrl_model_policy`,
 * `hdrl_model_forecast`) expose each layer on its own.
 *
 * Status and outputs. Every fallible call returns an `hdrl_status` (0 = HDRL_STATUS_OK) and
 * writes its results through out-parameters, only on success: after a failure every output
 * holds what it held before. `hdrl_status_message` gives a status's sentence and
 * `hdrl_last_error_message` the detail of the calling thread's last failure (which field,
 * which OS error). Arrays always come with an explicit length.
 *
 * Ownership. Opaque handles (`hdrl_model`, `hdrl_state`) are created by the library
 * (`_load`, `_new`), owned by the caller, and released with the matching `_free`, exactly
 * once; `_free(NULL)` is a no-op. Plain structs (`hdrl_observation`, `hdrl_decision`,
 * `hdrl_policy`, `hdrl_forecast`) live in caller memory; the library never keeps a pointer
 * to caller memory after a call returns. Strings returned by the library (region and
 * provider names, the version) are static: never free them.
 *
 * Threads. A model is immutable once loaded: share one `const hdrl_model *` between any
 * number of threads with no locking. A state belongs to one thread at a time. Status,
 * version and message calls may be made from any thread.
 *
 * Safety. Every pointer argument is checked for NULL (HDRL_STATUS_NULL_POINTER) and
 * alignment; a non-NULL pointer must be valid, as in any C API. NaN or infinity in an
 * observation is a status (HDRL_STATUS_NON_FINITE_INPUT), never a NaN decision. No call
 * unwinds into C: a panic inside the library (a bug) returns HDRL_STATUS_PANIC, and Rust's
 * default panic hook prints one line to stderr. Only `_load` and `_new` allocate (a load
 * builds the model on the heap and needs little stack); `hdrl_decide` does no
 * allocation, locking or I/O and needs under 32 KiB of stack. (A build with
 * panic = "abort" would abort instead of returning HDRL_STATUS_PANIC; the official build
 * does not use it.)
 *
 * Units are raw and stated per field: milliseconds, MB, requests per second, USD per
 * million invocations, gCO2e/kWh, fractions in 0 ... 1.
 *
 * Compatibility promise. The library follows Semantic Versioning for this C ABI:
 *   - Before 1.0, a release that raises the minor version (0.1 -> 0.2) may change the ABI
 *     (struct layouts, signatures, removed functions); a patch release (0.1.0 -> 0.1.1)
 *     never does. From 1.0 on, only a major release may; a minor release only adds.
 *   - `hdrl_status` numbers and enum values are never renumbered or given another meaning;
 *     new statuses take reserved numbers. Treat any non-zero status you do not know as a
 *     failure.
 *   - Message and detail texts are for humans and may change in any release.
 *   - The weight-bundle format has its own version, checked at load
 *     (HDRL_STATUS_UNSUPPORTED_VERSION).
 * Check at start-up that the library you run with matches the header you built with:
 *   if (!HDRL_VERSION_COMPATIBLE(hdrl_version())) { ... refuse to start ... }
 */

#ifndef HDRL_H
#define HDRL_H

/* Generated with cbindgen:0.29.4 */

/* Generated from hdrl-ffi by cbindgen; do not edit. Regenerate: hdrl-ffi/gen-header.sh */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Version of this header (and of the library it was generated from). */
#define HDRL_VERSION_MAJOR 0
#define HDRL_VERSION_MINOR 1
#define HDRL_VERSION_PATCH 0
#define HDRL_VERSION_STRING "0.1.0"
/** `(major << 16) | (minor << 8) | patch`, the encoding `hdrl_version()` returns. */
#define HDRL_VERSION_NUMBER \
  ((HDRL_VERSION_MAJOR << 16) | (HDRL_VERSION_MINOR << 8) | HDRL_VERSION_PATCH)
/**
 * Non-zero when a library whose `hdrl_version()` is `v` can serve a program built with this
 * header: before 1.0 the same major and minor version, from 1.0 the same major version and
 * at least this minor version.
 */
#define HDRL_VERSION_COMPATIBLE(v) \
  (HDRL_VERSION_MAJOR == 0 ? ((uint32_t)(v) >> 8) == (HDRL_VERSION_NUMBER >> 8) \
                           : ((uint32_t)(v) >> 16) == HDRL_VERSION_MAJOR && \
                                 ((uint32_t)(v) & 0xff00u) >= (HDRL_VERSION_NUMBER & 0xff00u))

/**
 * Size of a buffer that always holds any message of this library, including the
 * terminating NUL: every `hdrl_status_message` and `hdrl_last_error_message` text fits.
 */
#define HDRL_MESSAGE_MAX 256

/**
 * Number of providers: the length of every Q-value array.
 */
#define HDRL_PROVIDER_COUNT 3

/**
 * Region slots per provider (0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast).
 */
#define HDRL_REGION_SLOTS 4

/**
 * Memory tiers: 128, 256, 512, 1024, 2048, 3008 MB.
 */
#define HDRL_MEMORY_TIERS 6

/**
 * Tactical actions: `HDRL_REGION_SLOTS × HDRL_MEMORY_TIERS`; action `a` is region rank
 * `a / HDRL_MEMORY_TIERS` (0 = the app's home region, then by distance; see
 * `hdrl_decision.region_rank`) and memory tier `a % HDRL_MEMORY_TIERS`.
 */
#define HDRL_TACTICAL_ACTIONS 24

/**
 * Steps in a state's window: 12 steps of 15 s (3 minutes). Forecasts come from the model
 * once a state has seen this many steps.
 */
#define HDRL_WINDOW_STEPS 12

/**
 * Largest file `hdrl_model_load_file` reads. A bundle of the three models is under 1 MiB in
 * f32; anything this large is not a bundle, and is refused before it is read into memory.
 */
#define HDRL_MAX_BUNDLE_BYTES (64 << 20)

/**
 * `hdrl_model_carries` bit: the bundle carries the providers' price table (requests can be
 * priced with `HDRL_COST_FROM_BUNDLE`).
 */
#define HDRL_BUNDLE_PRICES 1

/**
 * `hdrl_model_carries` bit: the bundle carries the regions' typical-day carbon intensity (a
 * NULL `hdrl_carbon` reads it).
 */
#define HDRL_BUNDLE_CARBON_PROFILE 2

/**
 * Bytes of one tracker on the heap (x86-64): 100 000 functions take about 169 MB.
 */
#define HDRL_TRACKER_BYTES 1688

/**
 * Pass as a request's cost to have the model price it: the bundle's price table at the
 * function's current placement, billing the latency (any negative cost means the same).
 */
#define HDRL_COST_FROM_BUNDLE -1.0

/**
 * Which layers an `hdrl_tracker_refresh` ran (bit flags).
 */
#define HDRL_LAYER_STRATEGIC 1

/**
 * The PPO chose region and memory tier (a new hour, or a new provider).
 */
#define HDRL_LAYER_TACTICAL 2

/**
 * The LSTM forecast the next step (a step closed).
 */
#define HDRL_LAYER_OPERATIONAL 4

/**
 * Longest function id a table keeps, bytes.
 */
#define HDRL_TABLE_MAX_ID 128

/**
 * Most functions one table holds.
 */
#define HDRL_TABLE_MAX_FUNCTIONS (1 << 24)

/**
 * Alignment the table's memory needs, bytes.
 */
#define HDRL_TABLE_ALIGN 64

/**
 * The result of every fallible call. The numbers are stable: a value keeps its meaning in
 * every later release, new values are only added, never renumbered.
 *
 * Ranges: 0 success; 1–99 misuse of the call itself (arguments, buffers, files); 100–199 a
 * weight bundle that cannot be used; 200–299 an observation or a computation outside its
 * domain. Numbers missing from a range are reserved.
 *
 * The message of a status: `hdrl_status_message`. The detail of the last failure on the
 * calling thread (which input, which dimension, which OS error): `hdrl_last_error_message`.
 */
enum hdrl_status
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success; every output was written.
   */
  HDRL_STATUS_OK = 0,
  /**
   * A pointer argument that must not be NULL was NULL.
   */
  HDRL_STATUS_NULL_POINTER = 1,
  /**
   * An argument is outside its documented values (an unknown provider number, a length
   * over `PTRDIFF_MAX`, a misaligned pointer).
   */
  HDRL_STATUS_INVALID_PARAMETER = 2,
  /**
   * A caller buffer is too small; nothing was written. `HDRL_MESSAGE_MAX` bytes always
   * suffice for messages; the documentation of each call gives its minimum.
   */
  HDRL_STATUS_BUFFER_TOO_SMALL = 3,
  /**
   * Reading a file failed (missing, unreadable, a directory...); the detail names the OS
   * error.
   */
  HDRL_STATUS_IO = 4,
  /**
   * A path is not valid UTF-8.
   */
  HDRL_STATUS_INVALID_PATH = 5,
  /**
   * The library panicked; this is a bug in hdrl. The call had no effect on its outputs;
   * the handles passed remain valid and may be freed.
   */
  HDRL_STATUS_PANIC = 6,
  /**
   * An error this version of the library has no number for (a bug in hdrl).
   */
  HDRL_STATUS_INTERNAL = 7,
  /**
   * A tracker has no decision yet: call `hdrl_tracker_refresh` first.
   */
  HDRL_STATUS_NO_DECISION = 8,
  /**
   * A table already tracks as many functions as it was made for: this one is not tracked
   * (answer it with a default decision).
   */
  HDRL_STATUS_TABLE_FULL = 9,
  /**
   * The bytes are not an hdrl weight bundle (wrong magic bytes).
   */
  HDRL_STATUS_BAD_MAGIC = 100,
  /**
   * The bundle was written in a format version this library cannot read.
   */
  HDRL_STATUS_UNSUPPORTED_VERSION = 101,
  /**
   * The bundle ends before its declared content does.
   */
  HDRL_STATUS_TRUNCATED = 102,
  /**
   * The bundle has bytes after its declared end (or a file is far larger than any bundle).
   */
  HDRL_STATUS_TRAILING_BYTES = 103,
  /**
   * The bundle's checksum does not match: it is corrupt.
   */
  HDRL_STATUS_CHECKSUM_MISMATCH = 104,
  /**
   * The bundle's body cannot be decoded.
   */
  HDRL_STATUS_MALFORMED = 105,
  /**
   * The bundle holds a model kind this library does not know.
   */
  HDRL_STATUS_UNKNOWN_KIND = 106,
  /**
   * The bundle mixes f32 and int8 models (a bundle is all one or all the other).
   */
  HDRL_STATUS_WRONG_QUANT = 107,
  /**
   * A model's dimensions differ from this library's architecture.
   */
  HDRL_STATUS_SHAPE = 108,
  /**
   * A model's tensor payload has the wrong size for its architecture.
   */
  HDRL_STATUS_PAYLOAD_SIZE = 109,
  /**
   * A weight, scale or encoder constant in the bundle is NaN or infinite.
   */
  HDRL_STATUS_NON_FINITE_WEIGHT = 110,
  /**
   * An encoder constant in the bundle is unusable.
   */
  HDRL_STATUS_BAD_ENCODER = 111,
  /**
   * The bundle holds the same model kind twice.
   */
  HDRL_STATUS_DUPLICATE_MODEL = 112,
  /**
   * The call needs a model (DQN, PPO or LSTM) the bundle does not hold.
   */
  HDRL_STATUS_MISSING_MODEL = 113,
  /**
   * A reward bound in the bundle is not a finite positive number.
   */
  HDRL_STATUS_BAD_REWARD_BOUNDS = 114,
  /**
   * The bundle's price table holds a negative or non-finite price or a billing increment
   * that is not positive.
   */
  HDRL_STATUS_BAD_PRICE_TABLE = 115,
  /**
   * The bundle's carbon profile holds an intensity that is non-finite or outside
   * 0 … 2 000 gCO2e/kWh.
   */
  HDRL_STATUS_BAD_CARBON_PROFILE = 116,
  /**
   * An observation field is NaN or infinite; the detail gives its index, which is the
   * field's position in `hdrl_observation` (0 = `strategic_cost_usd_per_m`).
   */
  HDRL_STATUS_NON_FINITE_INPUT = 200,
  /**
   * An observation field is outside its documented domain (e.g. a negative rate); the
   * detail gives its index as for `HDRL_STATUS_NON_FINITE_INPUT`.
   */
  HDRL_STATUS_OUT_OF_RANGE = 201,
  /**
   * A forward pass produced NaN or infinity (finite but extreme weights and inputs).
   */
  HDRL_STATUS_NON_FINITE_OUTPUT = 202,
  /**
   * A telemetry event holds an unusable value: a clock that is NaN, infinite, negative or
   * above 2^40 s, a NaN/infinite/negative latency or cost, or a step length that does not
   * divide an hour; the detail names which.
   */
  HDRL_STATUS_BAD_EVENT = 203,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum hdrl_status hdrl_status;
#else
typedef uint32_t hdrl_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * How a bundle's weights are stored.
 */
enum hdrl_quant
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * 32-bit floats.
   */
  HDRL_QUANT_F32 = 0,
  /**
   * int8 weights with one f32 scale per output channel; activations are quantised to int8
   * inside matrix products and stay f32 elsewhere.
   */
  HDRL_QUANT_I8 = 1,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum hdrl_quant hdrl_quant;
#else
typedef uint32_t hdrl_quant;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * A cloud provider; the number is also its index in every Q-value array.
 */
enum hdrl_provider
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Amazon Web Services (Lambda).
   */
  HDRL_PROVIDER_AWS = 0,
  /**
   * Microsoft Azure (Functions, Consumption plan).
   */
  HDRL_PROVIDER_AZURE = 1,
  /**
   * Google Cloud (Cloud Functions).
   */
  HDRL_PROVIDER_GCP = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum hdrl_provider hdrl_provider;
#else
typedef uint32_t hdrl_provider;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * Where a forecast came from.
 */
enum hdrl_forecast_source
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * The LSTM, over a full window of `HDRL_WINDOW_STEPS` steps.
   */
  HDRL_FORECAST_SOURCE_MODEL = 0,
  /**
   * Fewer than `HDRL_WINDOW_STEPS` steps seen so far: the latest step repeated (a
   * reactive forecast); all zeros when the state has seen no step.
   */
  HDRL_FORECAST_SOURCE_WARMING_UP = 1,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum hdrl_forecast_source hdrl_forecast_source;
#else
typedef uint32_t hdrl_forecast_source;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * A loaded weight bundle: the strategic DQN, the tactical PPO actor-critic and the
 * operational LSTM, with the encoder constants they were trained with.
 *
 * Ownership: created by `hdrl_model_load` or `hdrl_model_load_file`, which hand it to the
 * caller; released by `hdrl_model_free`, exactly once, after every other call using it
 * has returned. About 0.8 MB (f32) or 0.2 MB (int8) of heap.
 *
 * Thread safety: immutable after loading. Any number of threads may use one model at the
 * same time through `const hdrl_model *` (each with its own `hdrl_state`), with no locking.
 */
typedef struct hdrl_model hdrl_model;

/**
 * The operational state of one function: the last `HDRL_WINDOW_STEPS` encoded 15-second
 * steps (a fixed-size ring buffer, about 250 bytes) the LSTM forecasts from.
 *
 * Ownership: created by `hdrl_state_new`, owned by the caller, released by
 * `hdrl_state_free` exactly once. A state does not point to any model, so models and states
 * may be freed in any order.
 *
 * Thread safety: not shared. One thread at a time may use a state; moving it between
 * threads is fine when the caller orders the hand-over (a mutex, a queue). Keep one state
 * per function and use it with one model: the steps are encoded with that model's
 * constants (call `hdrl_state_reset` after switching to a bundle trained differently).
 */
typedef struct hdrl_state hdrl_state;

/**
 * One function's telemetry, its LSTM window and its current decision.
 *
 * What it measures: fed with each request's start and end (`hdrl_tracker_start`,
 * `hdrl_tracker_end`) and the clock, it keeps the operational steps (15 s unless created with
 * another length), the last closed hour (request rate, mean in-flight, cold fraction, cost per
 * million, p95 latency within 6.03 %) and the last three closed days (invocations, their
 * trend and variation, cost, latency p50/p95/p99, busiest minute): every input of the three
 * models, computed as the trainer computes them.
 *
 * Cadence: `hdrl_tracker_refresh` runs the strategic DQN when the UTC day changes, the
 * tactical PPO when the hour or the provider changes, the LSTM when a step closed, nothing
 * otherwise. `hdrl_tracker_decision` copies the cached decision: no model call, O(1).
 *
 * Clock: seconds (a double) since the Unix epoch, or any origin at a UTC midnight; finite,
 * 0 … 2^40. Events older than the latest one seen count at the latest time (out of order,
 * duplicated, a clock going backwards never undo anything); a request's latency, cold start
 * and cost count in the period it ends in.
 *
 * Memory: `HDRL_TRACKER_BYTES` of heap per tracker, fixed; no call after `hdrl_tracker_new`
 * allocates.
 *
 * Ownership: created by `hdrl_tracker_new`, released by `hdrl_tracker_free` exactly once.
 * A tracker points to no model; use it with one model (its window is encoded with that
 * model's constants).
 *
 * Thread safety: not shared. One thread at a time may use a tracker (a gateway with several
 * workers keeps one per function behind a lock, or one per worker); the model passed to
 * `hdrl_tracker_refresh` may be shared by any number of threads.
 */
typedef struct hdrl_tracker hdrl_tracker;

/**
 * Everything a gateway knows about one function at one moment, in raw units.
 *
 * A plain C struct owned by the caller (stack, heap, anywhere); the library only reads it
 * during a call and keeps no pointer to it. Zero-initialise it (`hdrl_observation obs =
 * {0};`) and set what you know: all zeros is a valid observation.
 *
 * Field order is the input order: the index in an `HDRL_STATUS_NON_FINITE_INPUT` or
 * `HDRL_STATUS_OUT_OF_RANGE` detail is the field's position here (0 =
 * `strategic_cost_usd_per_m`, 9 = `app_mean_duration_ms`, 14 = `tactical_latency_ms`,
 * 23 = `step_request_rate`, 28 + 4·provider + slot = `carbon_now_g_per_kwh[provider][slot]`,
 * 40 + 4·provider + slot = `carbon_past_day_g_per_kwh[provider][slot]`). Every float must be
 * finite (NaN or ±infinity gives `HDRL_STATUS_NON_FINITE_INPUT`); fields marked "≥ 0" give
 * `HDRL_STATUS_OUT_OF_RANGE` when negative; values above a field's saturation point are
 * accepted and treated as that point (the bundle's encoder constants set it; the defaults
 * are given below).
 *
 * Which calls read which fields: `hdrl_model_q_values` reads `strategic_*`, `app_*` and
 * `carbon_past_day_g_per_kwh`; `hdrl_model_policy` reads `tactical_*`, `app_*`,
 * `strategic_volume_trend` and `carbon_now_g_per_kwh`; `hdrl_state_observe` reads `step_*`;
 * `hdrl_decide` reads all of them.
 */
typedef struct hdrl_observation {
  /**
   * [0] Mean cost over the last days, USD per million invocations (≥ 0; saturates at
   * 5000).
   */
  float strategic_cost_usd_per_m;
  /**
   * [1] Relative day-over-day change of cost, a fraction (−1 … 1; clamped).
   */
  float strategic_cost_trend;
  /**
   * [2] Median end-to-end latency over the last days, ms (≥ 0; saturates at 60000).
   */
  float strategic_latency_p50_ms;
  /**
   * [3] 95th-percentile latency over the last days, ms (≥ 0; saturates at 60000).
   */
  float strategic_latency_p95_ms;
  /**
   * [4] 99th-percentile latency over the last days, ms (≥ 0; saturates at 60000).
   */
  float strategic_latency_p99_ms;
  /**
   * [5] Mean invocations per day (≥ 0; saturates at 1e8).
   */
  float strategic_daily_invocations;
  /**
   * [6] Coefficient of variation of invocations per day, a ratio (≥ 0; saturates at 10).
   */
  float strategic_daily_invocations_cv;
  /**
   * [7] Peak-to-mean ratio of the per-minute request rate (≥ 0; saturates at 1000).
   */
  float strategic_peak_to_mean;
  /**
   * [8] Relative day-over-day change of invocations, a fraction (−1 … 1; clamped). Also
   * the tactical layer's workload trend.
   */
  float strategic_volume_trend;
  /**
   * [9] Mean execution time of one invocation on a 1 vCPU instance, ms (≥ 0; saturates
   * at 600000). Also sets the suggested concurrency of a decision.
   */
  float app_mean_duration_ms;
  /**
   * [10] Memory the function needs, MB (≥ 0; saturates at 10240). A decision never picks a
   * smaller memory tier when one fits.
   */
  float app_memory_need_mb;
  /**
   * [11] Region slot where most users are: 0 us-east, 1 us-west, 2 eu-west,
   * 3 ap-southeast (larger values are treated as 3).
   */
  uint8_t app_home_region;
  /**
   * [12] Latency SLA, ms (≥ 0; saturates at 60000).
   */
  float app_sla_ms;
  /**
   * [13] Fraction of the execution time that is CPU-bound and speeds up with more vCPU,
   * 0 … 1 (clamped); the rest (I/O) does not change with the memory tier.
   */
  float app_cpu_share;
  /**
   * [14] 95th-percentile latency over the last hour, ms (≥ 0); the policy sees it relative
   * to `app_sla_ms` (saturating at twice the SLA).
   */
  float tactical_latency_ms;
  /**
   * [15] Cost over the last hour, USD per million invocations (≥ 0; saturates at 5000).
   */
  float tactical_cost_usd_per_m;
  /**
   * [16] Request rate over the last hour, requests per second (≥ 0; saturates at 10000).
   */
  float tactical_request_rate;
  /**
   * [17] Memory in use over the last hour, MB (≥ 0; saturates at 10240).
   */
  float tactical_memory_used_mb;
  /**
   * [18] CPU utilisation over the last hour: busy time / (instances × wall time), 0 … 1
   * (clamped).
   */
  float tactical_cpu_util;
  /**
   * [19] Mean number of in-flight requests over the last hour (≥ 0; saturates at 10000).
   */
  float tactical_queue_depth;
  /**
   * [20] Fraction of invocations in the last hour that were cold starts, 0 … 1 (clamped).
   */
  float tactical_cold_start_prob;
  /**
   * [21] Where the function ran over the last hour: the region's distance rank from
   * `app_home_region` (0 = home; 4 … 254 are treated as 3). Moving costs cold starts. 255:
   * it ran on another provider than the one being decided for (or nowhere yet), so any
   * placement is a move.
   */
  uint8_t tactical_region_rank;
  /**
   * [22] The memory tier it ran on (0 = 128 MB … 5 = 3008 MB; larger values are treated
   * as 5).
   */
  uint8_t tactical_memory_tier;
  /**
   * [23] Requests per second over the latest 15-second step (≥ 0; saturates at 10000).
   */
  float step_request_rate;
  /**
   * [24] Memory in use at the latest step, MB (≥ 0; saturates at 10240).
   */
  float step_memory_used_mb;
  /**
   * [25] CPU utilisation over the latest step, 0 … 1 (clamped).
   */
  float step_cpu_util;
  /**
   * [26] In-flight requests at the end of the latest step (≥ 0; saturates at 10000).
   */
  float step_queue_depth;
  /**
   * [27] Hour of day (UTC) of the latest step, 0 … 24; fractional hours are fine, and any
   * finite value is accepted (it is encoded as a 24-hour sine).
   */
  float step_hour_of_day;
  /**
   * [28–39] This hour's grid carbon intensity, gCO2e/kWh, `[provider][region slot]`
   * (provider as `hdrl_provider`, slot as `app_home_region`; 0 … 1000, clamped), from a
   * carbon-intensity API.
   */
  float carbon_now_g_per_kwh[3][4];
  /**
   * [40–51] The mean intensity of the past 24 hours, gCO2e/kWh, same layout: the strategic
   * layer's outlook for the day.
   */
  float carbon_past_day_g_per_kwh[3][4];
} hdrl_observation;

/**
 * The tactical policy's output for one function and provider. A plain C struct written by
 * the library into caller memory.
 */
typedef struct hdrl_policy {
  /**
   * Unnormalised scores of the actions; action `a` is region rank `a /
   * HDRL_MEMORY_TIERS` (0 = the app's home region, then by distance), memory tier
   * `a % HDRL_MEMORY_TIERS`.
   */
  float logits[HDRL_TACTICAL_ACTIONS];
  /**
   * Softmax of `logits`: probabilities in [0, 1] summing to 1.
   */
  float probabilities[HDRL_TACTICAL_ACTIONS];
  /**
   * The critic's value of the state (expected discounted reward, unitless).
   */
  float value;
} hdrl_policy;

/**
 * The next 15-second step's load, in raw units. A plain C struct written by the library
 * into caller memory.
 */
typedef struct hdrl_forecast {
  /**
   * Requests per second (≥ 0).
   */
  float request_rate;
  /**
   * Memory in use, MB (≥ 0).
   */
  float memory_used_mb;
  /**
   * CPU utilisation, 0 … 1.
   */
  float cpu_util;
  /**
   * The LSTM or the warm-up fallback.
   */
  hdrl_forecast_source source;
} hdrl_forecast;

/**
 * A placement decision for one function. A plain C struct written by the library into
 * caller memory; its string pointers point to static, NUL-terminated constants that live as
 * long as the process and must not be freed or written.
 */
typedef struct hdrl_decision {
  /**
   * The provider (strategic layer: the largest Q-value).
   */
  hdrl_provider provider;
  /**
   * Region slot, 0 … 3 (tactical layer): 0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast.
   */
  uint32_t region;
  /**
   * The region's distance rank from `app_home_region`, 0 … 3 (0 = the home region); the
   * tactical action is `region_rank * HDRL_MEMORY_TIERS + memory_tier`. Ranks follow the
   * measured inter-region round-trip times: from us-east: us-east, eu-west, us-west,
   * ap-southeast; from us-west: us-west, us-east, eu-west, ap-southeast; from eu-west:
   * eu-west, us-east, us-west, ap-southeast; from ap-southeast: ap-southeast, us-west,
   * us-east, eu-west.
   */
  uint32_t region_rank;
  /**
   * Memory tier index, 0 … 5 (tactical layer).
   */
  uint32_t memory_tier;
  /**
   * Memory of that tier, MB: 128, 256, 512, 1024, 2048 or 3008.
   */
  uint32_t memory_mb;
  /**
   * The provider's lower-case name: "aws", "azure" or "gcp" (static string).
   */
  const char *provider_name;
  /**
   * The provider's name for the region slot, e.g. "us-east-1", "westeurope",
   * "asia-southeast1" (static string).
   */
  const char *region_name;
  /**
   * Q-values of AWS, Azure, GCP (index = `hdrl_provider`); unitless expected reward.
   */
  float q_values[HDRL_PROVIDER_COUNT];
  /**
   * Policy probability of the chosen region × tier, 0 … 1 (before tiers too small for
   * `app_memory_need_mb` were excluded).
   */
  float probability;
  /**
   * Critic value of the tactical state (unitless expected reward).
   */
  float value;
  /**
   * The next 15-second step's load (operational layer), after this observation's step
   * was appended to the state.
   */
  struct hdrl_forecast forecast;
  /**
   * Warm instances to keep for the next 15 s: 0 when the function saw no request in the
   * last 12 steps or fewer than 0.5 requests are expected in the next 15 s; otherwise
   * ⌈forecast rate × mean duration × 1.2⌉ (Little's law with 20 % head-room), at least 1.
   */
  uint32_t concurrency;
} hdrl_decision;

/**
 * The facts of a function that do not change with load (the `app_*` fields of
 * `hdrl_observation`, same units and ranges).
 */
typedef struct hdrl_app {
  /**
   * Mean execution time of one invocation on a 1 vCPU instance, ms (≥ 0). Sets the
   * suggested concurrency.
   */
  float mean_duration_ms;
  /**
   * Memory the function needs, MB (≥ 0). Memory in use is derived from it and concurrency.
   */
  float memory_need_mb;
  /**
   * Region slot where most users are: 0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast.
   */
  uint8_t home_region;
  /**
   * Latency SLA, ms (≥ 0).
   */
  float sla_ms;
  /**
   * CPU-bound fraction of the execution time, 0 … 1. CPU utilisation is derived from it.
   */
  float cpu_share;
} hdrl_app;

/**
 * Grid carbon intensity of every provider's region slots, gCO2e/kWh (the `carbon_*` fields
 * of `hdrl_observation`, same layout: `[provider][region slot]`).
 */
typedef struct hdrl_carbon {
  /**
   * This hour's intensity.
   */
  float now_g_per_kwh[3][4];
  /**
   * The mean of the past 24 hours.
   */
  float past_day_g_per_kwh[3][4];
} hdrl_carbon;

/**
 * What `hdrl_table_start` answers.
 */
typedef struct hdrl_table_answer {
  /**
   * The function's current decision (cached, or refreshed by this call).
   */
  struct hdrl_decision decision;
  /**
   * The function's entry: pass it to `hdrl_table_end` when the request ends.
   */
  uint32_t entry;
  /**
   * `HDRL_LAYER_*` bits of the layers this call ran (0: the cached decision).
   */
  uint32_t layers;
  /**
   * The function's request rate over the last closed step, as measured, requests/s.
   */
  float observed_rps;
} hdrl_table_answer;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The version of the library linked at run time, encoded as `HDRL_VERSION_NUMBER` is:
 * `(major << 16) | (minor << 8) | patch`. Compare it with the header's
 * `HDRL_VERSION_NUMBER` to detect a header/library mismatch (see the compatibility promise
 * at the top of this header).
 *
 * Thread safety: any thread, any time.
 */
uint32_t hdrl_version(void);

/**
 * The version of the library linked at run time as a static NUL-terminated string, e.g.
 * "0.1.0" (never free it).
 *
 * Thread safety: any thread, any time.
 */
const char *hdrl_version_string(void);

/**
 * Copy the message of `status` into `buf` as a NUL-terminated string.
 *
 * `status` is a `uint32_t` rather than an `hdrl_status` so that any number is safe to pass:
 * a number this library does not define gives `HDRL_STATUS_INVALID_PARAMETER` and writes
 * nothing.
 *
 * Outputs: on success, `buf` holds the message and its NUL and `*written` the message's
 * length without the NUL (as `strlen`). On failure nothing is written.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER` if `buf` or `written` is NULL;
 * `HDRL_STATUS_BUFFER_TOO_SMALL` if `len` is less than the message length plus one (a
 * buffer of `HDRL_MESSAGE_MAX` bytes always suffices); `HDRL_STATUS_INVALID_PARAMETER` for
 * an unknown `status`.
 *
 * Thread safety: any thread, any time. Messages are static English sentences.
 *
 * # Safety
 * `buf` must be NULL or valid for writes of `len` bytes; `written` NULL or valid for a
 * write.
 */
hdrl_status hdrl_status_message(uint32_t status, char *buf, size_t len, size_t *written);

/**
 * Copy the detail of the last failed call made by the calling thread into `buf` as a
 * NUL-terminated string: which observation field was NaN, which OS error a file read
 * met, which argument was NULL. An empty string if no call on this thread has failed.
 *
 * The detail is kept per thread (like `errno`), replaced by every failing call, never
 * cleared by a successful one; a failure of this function itself does not replace it.
 * Details are for logs: their wording may change between releases, the status numbers
 * do not.
 *
 * Outputs, errors and thread safety as `hdrl_status_message` (a buffer of
 * `HDRL_MESSAGE_MAX` bytes always suffices).
 *
 * # Safety
 * `buf` must be NULL or valid for writes of `len` bytes; `written` NULL or valid for a
 * write.
 */
hdrl_status hdrl_last_error_message(char *buf, size_t len, size_t *written);

/**
 * Load a weight bundle from memory.
 *
 * `bytes` must hold `len` bytes: a complete bundle file as written by `hdrl export` (or
 * read from disk by the caller). The bytes are copied; the caller keeps ownership of
 * `bytes` and may free it as soon as the call returns. f32 and int8 bundles are both
 * accepted (see `hdrl_model_quant`).
 *
 * Outputs: on success `*out` receives a new model, owned by the caller, to be released
 * with `hdrl_model_free`. On failure `*out` is left untouched.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER` (`bytes` or `out` NULL, even when `len` is 0);
 * `HDRL_STATUS_INVALID_PARAMETER` (`len` over `PTRDIFF_MAX`); a bundle status, 100–199
 * (`HDRL_STATUS_BAD_MAGIC` for bytes that are not a bundle, `HDRL_STATUS_TRUNCATED`,
 * `HDRL_STATUS_CHECKSUM_MISMATCH`, ...).
 *
 * Thread safety: any thread; concurrent loads are independent. The model is built on the
 * heap, so small-stack threads are fine (a load is tested on a 64 KiB thread; deciding needs
 * under 32 KiB).
 *
 * # Safety
 * `bytes` must be NULL or valid for reads of `len` bytes; `out` NULL or valid for a write.
 */
hdrl_status hdrl_model_load(const uint8_t *bytes, size_t len, struct hdrl_model **out);

/**
 * Load a weight bundle from a file.
 *
 * `path` is a NUL-terminated UTF-8 path, absolute or relative to the process's working
 * directory. The file is read whole (it must be at most `HDRL_MAX_BUNDLE_BYTES`) and
 * closed before the call returns. The caller keeps ownership of `path`.
 *
 * Outputs: on success `*out` receives a new model, owned by the caller, to be released
 * with `hdrl_model_free`. On failure `*out` is left untouched.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PATH` (not UTF-8);
 * `HDRL_STATUS_IO` (missing or unreadable file, a directory; the detail from
 * `hdrl_last_error_message` names the OS error); `HDRL_STATUS_TRAILING_BYTES` for a file
 * over `HDRL_MAX_BUNDLE_BYTES`; any bundle status as `hdrl_model_load`.
 *
 * Thread safety: as `hdrl_model_load`.
 *
 * # Safety
 * `path` must be NULL or a valid NUL-terminated string; `out` NULL or valid for a write.
 */
hdrl_status hdrl_model_load_file(const char *path, struct hdrl_model **out);

/**
 * Release a model. NULL is a no-op.
 *
 * Call it exactly once per model, after every call using the model (on any thread) has
 * returned; the pointer is invalid afterwards. States used with the model stay valid (they
 * do not point to it).
 *
 * # Safety
 * `model` must be NULL or a model from `hdrl_model_load*` not yet freed.
 */
void hdrl_model_free(struct hdrl_model *model);

/**
 * Tell how the model's weights are stored (`HDRL_QUANT_F32` or `HDRL_QUANT_I8`).
 *
 * Outputs: `*out` on success. Errors: `HDRL_STATUS_NULL_POINTER`.
 * Thread safety: any thread, concurrently with any other call on the same model.
 *
 * # Safety
 * `model` must be NULL or a live model; `out` NULL or valid for a write.
 */
hdrl_status hdrl_model_quant(const struct hdrl_model *model, hdrl_quant *out);

/**
 * Tell which defaults the bundle carries: `*out` receives the `HDRL_BUNDLE_*` bits (bundles
 * of format 5 written by the trainer carry both).
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`. Thread safety: any thread, concurrently with any other
 * call on the same model.
 *
 * # Safety
 * `model` must be NULL or a live model; `out` NULL or valid for a write.
 */
hdrl_status hdrl_model_carries(const struct hdrl_model *model, uint32_t *out);

/**
 * Strategic Q-values from a raw observation: one expected reward per provider, the largest
 * being the provider `hdrl_decide` would pick. Reads only the `strategic_*`, `app_*` and
 * `carbon_past_day_g_per_kwh` fields of `obs`.
 *
 * Outputs: on success `q_values[0..3]` (index = `hdrl_provider`); nothing is written on
 * failure. `len` is the number of floats `q_values` holds and must be at least
 * `HDRL_PROVIDER_COUNT`.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BUFFER_TOO_SMALL` (`len` < 3);
 * `HDRL_STATUS_NON_FINITE_INPUT`, `HDRL_STATUS_OUT_OF_RANGE` (see `hdrl_observation`);
 * `HDRL_STATUS_MISSING_MODEL` (no DQN in the bundle); `HDRL_STATUS_NON_FINITE_OUTPUT`.
 *
 * Thread safety: any thread, concurrently with any other call on the same model.
 *
 * # Safety
 * `model` NULL or live; `obs` NULL or valid; `q_values` NULL or valid for writes of `len`
 * floats.
 */
hdrl_status hdrl_model_q_values(const struct hdrl_model *model,
                                const struct hdrl_observation *obs,
                                float *q_values,
                                size_t len);

/**
 * Tactical policy for a provider: logits and probabilities over the 24 region-rank × memory
 * actions, and the critic's value. Reads only the `tactical_*` and `app_*` fields,
 * `strategic_volume_trend` and `carbon_now_g_per_kwh` of `obs`. Unlike `hdrl_decide`, no
 * memory tier is excluded.
 *
 * `provider` is an `hdrl_provider` number (0 AWS, 1 Azure, 2 GCP), passed as `uint32_t` so
 * that any value is safe: others give `HDRL_STATUS_INVALID_PARAMETER`.
 *
 * Outputs: `*out` on success only. Errors: `HDRL_STATUS_NULL_POINTER`,
 * `HDRL_STATUS_INVALID_PARAMETER`, `HDRL_STATUS_NON_FINITE_INPUT`,
 * `HDRL_STATUS_OUT_OF_RANGE`, `HDRL_STATUS_MISSING_MODEL` (no PPO in the bundle),
 * `HDRL_STATUS_NON_FINITE_OUTPUT`.
 *
 * Thread safety: any thread, concurrently with any other call on the same model.
 *
 * # Safety
 * `model` NULL or live; `obs` NULL or valid; `out` NULL or valid for a write.
 */
hdrl_status hdrl_model_policy(const struct hdrl_model *model,
                              const struct hdrl_observation *obs,
                              uint32_t provider,
                              struct hdrl_policy *out);

/**
 * Create an empty state.
 *
 * Outputs: on success `*out` receives a new state owned by the caller, to be released with
 * `hdrl_state_free`. Errors: `HDRL_STATUS_NULL_POINTER`. (Out of memory aborts the
 * process, as in every Rust allocation.)
 *
 * Thread safety: any thread.
 *
 * # Safety
 * `out` must be NULL or valid for a write.
 */
hdrl_status hdrl_state_new(struct hdrl_state **out);

/**
 * Release a state. NULL is a no-op. Call it exactly once per state; the pointer is
 * invalid afterwards.
 *
 * # Safety
 * `state` must be NULL or a state from `hdrl_state_new` not yet freed and not in use.
 */
void hdrl_state_free(struct hdrl_state *state);

/**
 * Forget every step (for example when the function was idle for long, or its bundle was
 * replaced). The next forecasts are warm-up forecasts until `HDRL_WINDOW_STEPS` steps are
 * seen again.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`. Thread safety: see `hdrl_state`.
 *
 * # Safety
 * `state` must be NULL or a live state not used by another thread during the call.
 */
hdrl_status hdrl_state_reset(struct hdrl_state *state);

/**
 * Number of steps the state holds, 0 … `HDRL_WINDOW_STEPS`.
 *
 * Outputs: `*out` on success. Errors: `HDRL_STATUS_NULL_POINTER`.
 * Thread safety: see `hdrl_state`.
 *
 * # Safety
 * `state` must be NULL or a live state not written by another thread during the call;
 * `out` NULL or valid for a write.
 */
hdrl_status hdrl_state_steps(const struct hdrl_state *state, size_t *out);

/**
 * Decide where and how one function should run next.
 *
 * The DQN picks the provider from the `strategic_*` and `app_*` fields; the PPO policy
 * picks the region slot and memory tier from the `tactical_*` fields and that provider
 * (never a tier below `app_memory_need_mb` when one fits); the observation's `step_*`
 * fields are appended to `state` and the LSTM forecasts the next step from it, which sets
 * the suggested concurrency.
 *
 * Outputs: on success `*out` (a plain struct in caller memory) and `state` advanced by one
 * step. On failure neither `*out` nor `state` is changed.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_NON_FINITE_INPUT` and
 * `HDRL_STATUS_OUT_OF_RANGE` for a bad observation field (the detail from
 * `hdrl_last_error_message` gives its index); `HDRL_STATUS_MISSING_MODEL` when the bundle
 * lacks one of the three models; `HDRL_STATUS_NON_FINITE_OUTPUT`.
 *
 * Thread safety: `model` may be used by any number of threads at once; `state` must not be
 * used by another thread during the call. No allocation, no lock, no I/O: suitable for a
 * gateway's request path.
 *
 * # Safety
 * `model` NULL or live; `state` NULL or live and unshared during the call; `obs` NULL or
 * valid; `out` NULL or valid for a write.
 */
hdrl_status hdrl_decide(const struct hdrl_model *model,
                        struct hdrl_state *state,
                        const struct hdrl_observation *obs,
                        struct hdrl_decision *out);

/**
 * Append one 15-second step to the state without deciding: reads only the `step_*` fields
 * of `obs` and encodes them with `model`'s constants. Use it to feed steps between
 * decisions (`hdrl_decide` appends its observation's step itself).
 *
 * On error the state is unchanged. Errors: `HDRL_STATUS_NULL_POINTER`,
 * `HDRL_STATUS_NON_FINITE_INPUT`, `HDRL_STATUS_OUT_OF_RANGE` (indices 21–25).
 *
 * Thread safety: the model may be shared; the state must not be used by another thread
 * during the call.
 *
 * # Safety
 * `state` NULL or live and unshared during the call; `model` NULL or live; `obs` NULL or
 * valid.
 */
hdrl_status hdrl_state_observe(struct hdrl_state *state,
                               const struct hdrl_model *model,
                               const struct hdrl_observation *obs);

/**
 * Forecast the next step's load from a state's window, without changing the state.
 *
 * With fewer than `HDRL_WINDOW_STEPS` steps in the state the forecast is the latest step
 * repeated (`source` = `HDRL_FORECAST_SOURCE_WARMING_UP`; zeros for an empty state).
 *
 * Outputs: `*out` on success only. Errors: `HDRL_STATUS_NULL_POINTER`,
 * `HDRL_STATUS_MISSING_MODEL` (no LSTM in the bundle), `HDRL_STATUS_NON_FINITE_OUTPUT`.
 *
 * Thread safety: any thread, concurrently with any other call on the same model; the state
 * must not be written by another thread during the call.
 *
 * # Safety
 * `model` NULL or live; `state` NULL or live; `out` NULL or valid for a write.
 */
hdrl_status hdrl_model_forecast(const struct hdrl_model *model,
                                const struct hdrl_state *state,
                                struct hdrl_forecast *out);

/**
 * Create a tracker for a function with these facts, cut into steps of `step_s` seconds
 * (15 in production: the LSTM was trained on 15-s steps; tests may use 1).
 *
 * Outputs: on success `*out` receives a new tracker owned by the caller. Errors:
 * `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BAD_EVENT` when `step_s` is not in 0.01 … 3600 or
 * does not divide an hour. Thread safety: any thread.
 *
 * # Safety
 * `app` NULL or valid; `out` NULL or valid for a write.
 */
hdrl_status hdrl_tracker_new(const struct hdrl_app *app, float step_s, struct hdrl_tracker **out);

/**
 * Release a tracker. NULL is a no-op. Call it exactly once per tracker.
 *
 * # Safety
 * `tracker` must be NULL or a tracker from `hdrl_tracker_new` not yet freed and not in use.
 */
void hdrl_tracker_free(struct hdrl_tracker *tracker);

/**
 * A request of this function started at `now_s`.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BAD_EVENT` for a clock that is NaN,
 * infinite, negative or above 2^40 (nothing is recorded). Thread safety: see `hdrl_tracker`.
 *
 * # Safety
 * `tracker` NULL or live and unshared during the call.
 */
hdrl_status hdrl_tracker_start(struct hdrl_tracker *tracker, double now_s);

/**
 * A request of this function ended at `now_s`, after `latency_ms` end to end, cold when the
 * platform reported a cold start, costing `cost_usd`: pass `HDRL_COST_FROM_BUNDLE` to have
 * `model` price it (see `hdrl_tracker_cost`), or the cost if the platform reports it (then
 * `model` may be NULL).
 *
 * Errors: `HDRL_STATUS_NULL_POINTER` (also a NULL `model` with `HDRL_COST_FROM_BUNDLE`);
 * `HDRL_STATUS_BAD_EVENT` for a bad clock (nothing is recorded) or a NaN, infinite or negative
 * latency or a NaN or infinite cost (the request still counts as ended; its outcome is not
 * recorded). Thread safety: see `hdrl_tracker`.
 *
 * # Safety
 * `model` NULL or live; `tracker` NULL or live and unshared during the call.
 */
hdrl_status hdrl_tracker_end(const struct hdrl_model *model,
                             struct hdrl_tracker *tracker,
                             double now_s,
                             float latency_ms,
                             bool cold,
                             float cost_usd);

/**
 * What a request of this function that executed `exec_ms` costs at the tracker's current
 * placement, USD, from the bundle's price table (the trainer's billing: the duration rounded
 * up to the provider's increment, the tier's memory, the request fee). 0 before the first
 * decision or when the bundle carries no price table (see `hdrl_model_carries`). A gateway that
 * only sees end-to-end latency passes it: an upper bound, it includes the network.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`. Thread safety: see `hdrl_tracker`. No allocation.
 *
 * # Safety
 * `model` and `tracker` NULL or live; `out` NULL or valid for a write.
 */
hdrl_status hdrl_tracker_cost(const struct hdrl_model *model,
                              const struct hdrl_tracker *tracker,
                              float exec_ms,
                              float *out);

/**
 * Bring the tracker's decision up to `now_s`, running only the layers whose cadence came
 * (see `hdrl_tracker`). Call it on a timer, once per step, or before reading a decision.
 *
 * `carbon` NULL means no carbon API: the bundle's typical day for the hour of `now_s` (its
 * carbon profile), or every region 0 gCO2e/kWh (carbon does not sway the choice) if the bundle
 * carries none. Outputs: `*layers_out` (may be NULL) receives the `HDRL_LAYER_*` bits of
 * the layers that ran, 0 when the cached decision was already current.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`, `HDRL_STATUS_BAD_EVENT` (bad clock),
 * `HDRL_STATUS_MISSING_MODEL`, `HDRL_STATUS_NON_FINITE_INPUT`/`OUT_OF_RANGE` (a bad `app` or
 * `carbon` value), `HDRL_STATUS_NON_FINITE_OUTPUT`; the cached decision is then unchanged.
 * Thread safety: `model` shared freely; `tracker` unshared during the call. No allocation.
 *
 * # Safety
 * `model` NULL or live; `tracker` NULL or live and unshared; `carbon` NULL or valid;
 * `layers_out` NULL or valid for a write.
 */
hdrl_status hdrl_tracker_refresh(const struct hdrl_model *model,
                                 struct hdrl_tracker *tracker,
                                 double now_s,
                                 const struct hdrl_carbon *carbon,
                                 uint32_t *layers_out);

/**
 * Copy the tracker's current decision: O(1), no model call, for the request path.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_NO_DECISION` before the first successful
 * `hdrl_tracker_refresh` (`*out` is not written). Thread safety: see `hdrl_tracker`.
 *
 * # Safety
 * `tracker` NULL or live and not written by another thread during the call; `out` NULL or
 * valid for a write.
 */
hdrl_status hdrl_tracker_decision(const struct hdrl_tracker *tracker, struct hdrl_decision *out);

/**
 * What the tracker measured, as the observation the models read at `now_s` (the last closed
 * days, hour and step; `carbon` NULL reads as in `hdrl_tracker_refresh` with `model`, which
 * may be NULL: then zeros): for logs, dashboards and tests. Moves the tracker's clock to
 * `now_s` like any event.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_BAD_EVENT` for a bad clock (`*out` not
 * written). Thread safety: see `hdrl_tracker`.
 *
 * # Safety
 * `model` NULL or live; `tracker` NULL or live and unshared during the call; `carbon` NULL or
 * valid; `out` NULL or valid for a write.
 */
hdrl_status hdrl_tracker_observation(const struct hdrl_model *model,
                                     struct hdrl_tracker *tracker,
                                     double now_s,
                                     const struct hdrl_carbon *carbon,
                                     struct hdrl_observation *out);

/**
 * Bytes a table for `functions` functions needs (0 for 0 or more than
 * `HDRL_TABLE_MAX_FUNCTIONS`): a header, 2 × functions index slots of 144 bytes (rounded up
 * to a power of two) and one entry per function (a tracker, `HDRL_TRACKER_BYTES`, and 8).
 */
size_t hdrl_table_bytes(size_t functions);

/**
 * Lay out a table for up to `functions` functions in `mem` (`len` ≥ `hdrl_table_bytes`,
 * aligned to `HDRL_TABLE_ALIGN`); every function tracked in it starts with the facts `app` and
 * steps of `step_s` seconds (see `hdrl_tracker_new`).
 *
 * The memory may be a heap block or a shared mapping (`mmap(MAP_SHARED | MAP_ANONYMOUS)`
 * before `fork`): the table holds no pointer, and all its locks live inside it, so the
 * processes sharing the mapping share the functions. Call it once, before any other call on
 * the table; there is nothing to free beyond the memory itself.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PARAMETER` for 0 or too many
 * functions, a short or misaligned block; `HDRL_STATUS_BAD_EVENT` for a bad `step_s`.
 *
 * # Safety
 * `mem` NULL or valid for writes of `len` bytes, not used by anyone else during the call;
 * `app` NULL or valid.
 */
hdrl_status hdrl_table_init(void *mem,
                            size_t len,
                            size_t functions,
                            const struct hdrl_app *app,
                            float step_s);

/**
 * A request of function `id` (`id_len` bytes, 1 … `HDRL_TABLE_MAX_ID`) starts at `now_s`:
 * find (or, on its first request, make) the function's tracker, refresh its decision at the
 * layers' cadence (see `hdrl_tracker_refresh`; `carbon` NULL = the bundle's typical day),
 * answer it, and record
 * the start. Holds the function's lock only during the call; other functions never wait.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PARAMETER` (not a table, bad id
 * length); `HDRL_STATUS_TABLE_FULL` when the table already tracks its capacity of functions
 * (nothing is recorded: the function is untracked, give it a default decision);
 * `HDRL_STATUS_BAD_EVENT` for a bad clock; model errors as `hdrl_tracker_refresh` (the start
 * is still recorded). `*out` is written only on success.
 *
 * Thread and process safety: any number of threads and processes sharing the table.
 *
 * # Safety
 * `model` NULL or live; `table` NULL or a live table of `table_len` bytes; `id` NULL or valid
 * for `id_len` bytes; `carbon` NULL or valid; `out` NULL or valid for a write.
 */
hdrl_status hdrl_table_start(const struct hdrl_model *model,
                             void *table,
                             size_t table_len,
                             const uint8_t *id,
                             size_t id_len,
                             double now_s,
                             const struct hdrl_carbon *carbon,
                             struct hdrl_table_answer *out);

/**
 * The request that `hdrl_table_start` answered with `entry` ended at `now_s` (see
 * `hdrl_tracker_end` for the other arguments: `HDRL_COST_FROM_BUNDLE` has `model` price it).
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`; `HDRL_STATUS_INVALID_PARAMETER` (not a table, an entry no
 * function holds); `HDRL_STATUS_BAD_EVENT` as `hdrl_tracker_end`.
 *
 * # Safety
 * `model` NULL or live; `table` NULL or a live table of `table_len` bytes.
 */
hdrl_status hdrl_table_end(const struct hdrl_model *model,
                           void *table,
                           size_t table_len,
                           uint32_t entry,
                           double now_s,
                           float latency_ms,
                           bool cold,
                           float cost_usd);

/**
 * Functions the table tracks (each made on its first request), 0 … its capacity.
 *
 * Errors: `HDRL_STATUS_NULL_POINTER`, `HDRL_STATUS_INVALID_PARAMETER` (not a table).
 *
 * # Safety
 * `table` NULL or a live table of `table_len` bytes; `out` NULL or valid for a write.
 */
hdrl_status hdrl_table_functions(void *table, size_t table_len, size_t *out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* HDRL_H */
