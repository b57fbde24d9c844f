//! Shared fixtures for the workspace benches and end-to-end tests.

pub mod bench_inputs;
