//! The report stage: what a run measured (`report.json`), its tables (`report.md`) and its
//! figures (PNG).

pub mod figures;
pub mod markdown;
pub mod plots;
pub mod summary;
