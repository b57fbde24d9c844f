//! What a run shows and writes, whatever the stage: progress bars and stage times, atomic
//! files and JSON, and its provenance (git revision, machine).

pub mod files;
pub mod onnx;
pub mod progress;
pub mod protobuf;
pub mod provenance;
