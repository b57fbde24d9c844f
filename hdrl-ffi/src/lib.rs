//! # hdrl-ffi
//!
//! The C ABI of hdrl: load a weight bundle, keep one state per serverless function, and get
//! placement decisions through plain C structs. The header `include/hdrl.h` is generated from
//! this crate by cbindgen (`hdrl-ffi/gen-header.sh`) and documents every type and function
//! for C callers: ownership, thread safety, units, errors.
//!
//! Conventions (after rustls-ffi): every `extern "C"` body runs inside [`ffi_boundary!`]
//! (panics become `HDRL_STATUS_PANIC`, never unwind into C); every pointer is checked; outputs
//! go through out-parameters and are written only on success; opaque handles are boxed Rust
//! values ([`handle::Castable`]) created by `_new`/`_load` and released by `_free`.
//!
//! As a Rust library it is the same API, `unsafe` because it takes raw pointers; Rust code
//! should use hdrl-infer directly.
#![allow(non_camel_case_types)]

// Plumbing.
mod error;
mod handle;
mod panic;

// The C API, in the order cbindgen writes it into the header.
mod version;

mod status;

mod message;

mod observation;

mod decision;

mod model;

mod state;

mod decide;

mod tracker;

mod table;

pub use decide::{hdrl_decide, hdrl_model_forecast, hdrl_state_observe};
pub use decision::{
    HDRL_MEMORY_TIERS, HDRL_PROVIDER_COUNT, HDRL_REGION_SLOTS, HDRL_TACTICAL_ACTIONS, HDRL_WINDOW_STEPS, hdrl_decision,
    hdrl_forecast, hdrl_forecast_source, hdrl_policy, hdrl_provider,
};
pub use message::{hdrl_last_error_message, hdrl_status_message};
pub use model::{
    HDRL_BUNDLE_CARBON_PROFILE, HDRL_BUNDLE_PRICES, HDRL_MAX_BUNDLE_BYTES, hdrl_model, hdrl_model_carries,
    hdrl_model_free, hdrl_model_load, hdrl_model_load_file, hdrl_model_policy, hdrl_model_q_values, hdrl_model_quant,
    hdrl_quant,
};
pub use observation::hdrl_observation;
pub use state::{hdrl_state, hdrl_state_free, hdrl_state_new, hdrl_state_reset, hdrl_state_steps};
pub use status::{HDRL_MESSAGE_MAX, hdrl_status};
pub use table::{
    HDRL_TABLE_ALIGN, HDRL_TABLE_MAX_FUNCTIONS, HDRL_TABLE_MAX_ID, hdrl_table_answer, hdrl_table_bytes, hdrl_table_end,
    hdrl_table_functions, hdrl_table_init, hdrl_table_start,
};
pub use tracker::{
    HDRL_COST_FROM_BUNDLE, HDRL_LAYER_OPERATIONAL, HDRL_LAYER_STRATEGIC, HDRL_LAYER_TACTICAL, HDRL_TRACKER_BYTES,
    hdrl_app, hdrl_carbon, hdrl_tracker, hdrl_tracker_cost, hdrl_tracker_decision, hdrl_tracker_end, hdrl_tracker_free,
    hdrl_tracker_new, hdrl_tracker_observation, hdrl_tracker_refresh, hdrl_tracker_start,
};
pub use version::{hdrl_version, hdrl_version_string};
