//! The one error type of the inference core.

use core::fmt;

use crate::weights::{ModelKind, Quant};

/// Everything that can go wrong while loading weights or running a model.
///
/// A small `Copy` value with numbers instead of strings, so it costs nothing on an
/// allocation-free target. `Display` gives a human sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InferError {
    /// The file does not start with the hdrl magic bytes: it is not an hdrl weight file.
    BadMagic,
    /// The file was written in a format version this library cannot read.
    UnsupportedVersion {
        /// Version found in the file.
        found: u16,
    },
    /// The file ends before its declared content does.
    Truncated,
    /// The file has bytes after its declared end.
    TrailingBytes,
    /// The body checksum (CRC-32) does not match the stored one: the file is corrupt.
    ChecksumMismatch {
        /// Checksum stored in the file.
        stored: u32,
        /// Checksum computed over the body.
        computed: u32,
    },
    /// The body is not valid postcard for the declared version.
    Malformed,
    /// A model record holds a kind this library does not know.
    UnknownKind {
        /// The kind tag found.
        found: u8,
    },
    /// A model record's quantisation is not the one the caller asked for.
    WrongQuant {
        /// The model kind.
        kind: ModelKind,
        /// What the caller expected.
        expected: Quant,
        /// What the file holds.
        found: Quant,
    },
    /// A dimension in the file differs from the compiled architecture.
    Shape {
        /// The model kind.
        kind: ModelKind,
        /// Index of the dimension in the kind's dimension list.
        index: u8,
        /// Dimension the architecture needs.
        want: u32,
        /// Dimension the file declares.
        got: u32,
    },
    /// The tensor payload of a model has the wrong byte length for its architecture.
    PayloadSize {
        /// The model kind.
        kind: ModelKind,
        /// Bytes the architecture needs.
        want: u32,
        /// Bytes the file holds.
        got: u32,
    },
    /// A weight, scale or encoder constant in the file is NaN or infinite.
    NonFiniteWeight {
        /// The model kind (or `None` for encoder constants).
        kind: Option<ModelKind>,
    },
    /// An encoder constant is unusable (for example a maximum that is not positive).
    BadEncoder {
        /// Index of the offending feature within its family.
        feature: u8,
    },
    /// A reward bound in the bundle is not a finite positive number.
    BadRewardBounds,
    /// The bundle's price table holds a negative or non-finite price or a billing increment
    /// that is not positive.
    BadPriceTable,
    /// The bundle's carbon profile holds an intensity that is non-finite or outside
    /// 0 … 2 000 gCO2e/kWh.
    BadCarbonProfile,
    /// The bundle holds the same model kind twice.
    DuplicateModel {
        /// The repeated kind.
        kind: ModelKind,
    },
    /// The call needs a model the bundle does not hold.
    MissingModel {
        /// The missing kind.
        kind: ModelKind,
    },
    /// An input value is NaN or infinite.
    NonFiniteInput {
        /// Index of the value in the call's input.
        index: u16,
    },
    /// An input value lies outside its documented domain (e.g. a negative count).
    OutOfRange {
        /// Index of the value in the call's input.
        index: u16,
    },
    /// A forward pass produced a NaN or infinity (weights and inputs were finite but extreme).
    NonFiniteOutput,
    /// A caller buffer is too small for the output.
    BufferTooSmall {
        /// Bytes needed.
        need: u32,
    },
    /// A telemetry event holds an unusable value ([`crate::telemetry::Telemetry`]).
    BadEvent {
        /// Which value.
        field: crate::telemetry::EventField,
    },
}

impl fmt::Display for InferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::BadMagic => f.write_str("not an hdrl weight file (bad magic bytes)"),
            Self::UnsupportedVersion { found } => write!(
                f,
                "weight file format version {found} is not supported (this library reads version {}: export the models again with a matching hdrl)",
                crate::weights::FORMAT_VERSION
            ),
            Self::Truncated => f.write_str("weight file is truncated"),
            Self::TrailingBytes => f.write_str("weight file has trailing bytes after its end"),
            Self::ChecksumMismatch { stored, computed } => {
                write!(f, "weight file is corrupt: checksum {computed:#010x} does not match stored {stored:#010x}")
            }
            Self::Malformed => f.write_str("weight file body is malformed"),
            Self::UnknownKind { found } => write!(f, "unknown model kind tag {found}"),
            Self::WrongQuant { kind, expected, found } => {
                write!(f, "{kind} model is stored as {found}, expected {expected}")
            }
            Self::Shape { kind, index, want, got } => {
                write!(f, "{kind} model dimension #{index} is {got}, this library's architecture needs {want}")
            }
            Self::PayloadSize { kind, want, got } => {
                write!(f, "{kind} model payload is {got} bytes, the architecture needs {want}")
            }
            Self::NonFiniteWeight { kind: Some(kind) } => {
                write!(f, "{kind} model holds a NaN or infinite weight")
            }
            Self::NonFiniteWeight { kind: None } => f.write_str("encoder constants hold a NaN or infinite value"),
            Self::BadEncoder { feature } => {
                write!(f, "encoder constant for feature #{feature} is unusable")
            }
            Self::BadRewardBounds => f.write_str("bundle holds a reward bound that is not a finite positive number"),
            Self::BadPriceTable => f.write_str(
                "bundle's price table holds a negative or non-finite price or a non-positive billing increment",
            ),
            Self::BadCarbonProfile => {
                f.write_str("bundle's carbon profile holds an intensity outside 0 … 2000 gCO2e/kWh")
            }
            Self::DuplicateModel { kind } => write!(f, "bundle holds the {kind} model twice"),
            Self::MissingModel { kind } => write!(f, "bundle holds no {kind} model"),
            Self::NonFiniteInput { index } => write!(f, "input #{index} is NaN or infinite"),
            Self::OutOfRange { index } => write!(f, "input #{index} is outside its documented range"),
            Self::NonFiniteOutput => f.write_str("forward pass produced a non-finite value"),
            Self::BufferTooSmall { need } => write!(f, "output buffer too small: {need} bytes needed"),
            Self::BadEvent { field } => write!(f, "telemetry event rejected: bad {field}"),
        }
    }
}

impl core::error::Error for InferError {}
