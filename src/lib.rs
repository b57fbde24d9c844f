//! Shared fixtures for the workspace benches and end-to-end tests.
