//! The weight-file format.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  "HDRLWTS\0"
//! 8       2     format version, u16 little-endian (this library: 6)
//! 10      4     body length in bytes, u32 little-endian
//! 14      4     CRC-32 (IEEE) of the body, u32 little-endian
//! 18      n     body: postcard encoding of [`Bundle`]
//! ```
//!
//! The fixed header is checked first, so a file from another format version is reported as
//! such whatever its body looks like. The body holds provenance, the encoder constants, the
//! reward bounds (version 2 on), the optional price table and carbon profile (version 5 on) and
//! one [`ModelRecord`] per model (any subset of DQN, PPO, LSTM). A record names its kind,
//! quantisation and dimensions, and carries the tensors as one little-endian payload in the
//! order the model's parts are declared. Parsing borrows from the input (`&str`, `&[u8]`)
//! and needs no allocator; every failure is a distinct [`InferError`].

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::InferError;
use crate::carbon_profile::CarbonProfile;
use crate::features::EncoderConfig;
use crate::prices::PriceTable;
use crate::reward::RewardBounds;

/// First eight bytes of every weight file.
pub const MAGIC: [u8; 8] = *b"HDRLWTS\0";
/// The format version this library reads and writes. Version 2 added the reward bounds;
/// version 3 the carbon, CPU-share and current-placement inputs (wider DQN and PPO inputs, the
/// carbon encoder constant); version 4 the forecaster's residual output clamped at zero
/// instead of a softplus (the same weights mean another forecast); version 5 the providers'
/// price table and the regions' typical-day carbon intensity, so a gateway prices requests and
/// knows carbon without outside data; version 6 the tactical rank 255 (`ELSEWHERE`: the function
/// ran on another provider), encoded as −1 (the same weights read another input).
pub const FORMAT_VERSION: u16 = 6;
/// Size of the fixed header before the body.
pub const HEADER_BYTES: usize = 18;
/// Most metrics a provenance record holds.
pub const MAX_METRICS: usize = 16;

/// Which of the three models a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ModelKind {
    /// Strategic provider selection (DQN).
    Dqn = 0,
    /// Tactical region and memory selection (PPO actor-critic).
    Ppo = 1,
    /// Operational load forecaster (LSTM).
    Lstm = 2,
}

impl ModelKind {
    /// All kinds, in bundle order.
    pub const ALL: [ModelKind; 3] = [ModelKind::Dqn, ModelKind::Ppo, ModelKind::Lstm];

    /// The kind for a stored tag.
    pub const fn from_tag(t: u8) -> Option<Self> {
        match t {
            0 => Some(Self::Dqn),
            1 => Some(Self::Ppo),
            2 => Some(Self::Lstm),
            _ => None,
        }
    }

    /// Lower-case name: `dqn`, `ppo`, `lstm`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dqn => "dqn",
            Self::Ppo => "ppo",
            Self::Lstm => "lstm",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a model's weights are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Quant {
    /// 32-bit floats.
    F32 = 0,
    /// Symmetric int8 with one f32 scale per output channel (see [`crate::quant`]).
    I8 = 1,
}

impl Quant {
    /// The quantisation for a stored tag.
    pub const fn from_tag(t: u8) -> Option<Self> {
        match t {
            0 => Some(Self::F32),
            1 => Some(Self::I8),
            _ => None,
        }
    }
}

impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::I8 => "int8",
        })
    }
}

/// A named number from training or evaluation (e.g. `val_mean_reward`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric<'a> {
    /// Metric name.
    pub name: &'a str,
    /// Value.
    pub value: f32,
}

/// Where a bundle came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance<'a> {
    /// The trace trained on (file name or `synthetic:<seed>`).
    pub trace: &'a str,
    /// Training seed.
    pub seed: u64,
    /// Creation time, seconds since the Unix epoch.
    pub created_unix_s: u64,
    /// Git revision of the trainer.
    pub git_rev: &'a str,
    /// Free text (tool and version, command line).
    pub note: &'a str,
    /// Training and validation metrics.
    #[serde(borrow)]
    pub metrics: heapless::Vec<Metric<'a>, MAX_METRICS>,
}

/// One model inside a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord<'a> {
    /// [`ModelKind`] tag.
    pub kind: u8,
    /// [`Quant`] tag.
    pub quant: u8,
    /// The architecture's dimensions (`Model::DIMS` of the kind).
    pub dims: heapless::Vec<u32, 16>,
    /// Tensors, little-endian, in part order.
    pub payload: &'a [u8],
}

/// A parsed weight file: provenance, encoder constants, models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle<'a> {
    /// Where it came from.
    #[serde(borrow)]
    pub provenance: Provenance<'a>,
    /// The feature encoder's constants.
    pub encoder: EncoderConfig,
    /// The reward bounds the models were trained and evaluated with.
    pub reward_bounds: RewardBounds,
    /// The providers' prices the models were trained with (what a [`crate::Tracker`] prices
    /// measured requests with), if the trainer stored them.
    pub prices: Option<PriceTable>,
    /// The regions' typical-day carbon intensity (a gateway's default when it has no carbon
    /// API), if the trainer stored it.
    pub carbon_profile: Option<CarbonProfile>,
    /// The models, at most one per kind.
    #[serde(borrow)]
    pub models: heapless::Vec<ModelRecord<'a>, 3>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl<'a> Bundle<'a> {
    /// Parse and validate a weight file without allocating.
    ///
    /// # Errors
    /// [`InferError::BadMagic`], [`InferError::UnsupportedVersion`], [`InferError::Truncated`],
    /// [`InferError::TrailingBytes`], [`InferError::ChecksumMismatch`],
    /// [`InferError::Malformed`], [`InferError::UnknownKind`], [`InferError::DuplicateModel`],
    /// the encoder checks of [`EncoderConfig::validate`], [`InferError::BadRewardBounds`],
    /// [`InferError::BadPriceTable`] and [`InferError::BadCarbonProfile`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, InferError> {
        let m = bytes.len().min(MAGIC.len());
        if bytes[..m] != MAGIC[..m] {
            return Err(InferError::BadMagic);
        }
        if bytes.len() < HEADER_BYTES {
            return Err(InferError::Truncated);
        }
        let version = u16_at(bytes, 8);
        if version != FORMAT_VERSION {
            return Err(InferError::UnsupportedVersion { found: version });
        }
        let len = u32_at(bytes, 10) as usize;
        let stored = u32_at(bytes, 14);
        let rest = &bytes[HEADER_BYTES..];
        if rest.len() < len {
            return Err(InferError::Truncated);
        }
        if rest.len() > len {
            return Err(InferError::TrailingBytes);
        }
        let computed = crate::checksum::crc32(rest);
        if computed != stored {
            return Err(InferError::ChecksumMismatch { stored, computed });
        }
        let (bundle, tail): (Bundle<'a>, _) = postcard::take_from_bytes(rest).map_err(|_| InferError::Malformed)?;
        if !tail.is_empty() {
            return Err(InferError::Malformed);
        }
        let mut seen = [false; 3];
        for r in &bundle.models {
            let kind = ModelKind::from_tag(r.kind).ok_or(InferError::UnknownKind { found: r.kind })?;
            if Quant::from_tag(r.quant).is_none() {
                return Err(InferError::Malformed);
            }
            if core::mem::replace(&mut seen[kind as usize], true) {
                return Err(InferError::DuplicateModel { kind });
            }
        }
        bundle.encoder.validate()?;
        if !bundle.reward_bounds.is_valid() {
            return Err(InferError::BadRewardBounds);
        }
        if bundle.prices.is_some_and(|p| !p.is_valid()) {
            return Err(InferError::BadPriceTable);
        }
        if bundle.carbon_profile.is_some_and(|c| !c.is_valid()) {
            return Err(InferError::BadCarbonProfile);
        }
        Ok(bundle)
    }

    /// The record of one model kind.
    ///
    /// # Errors
    /// [`InferError::MissingModel`] when the bundle does not hold it.
    pub fn record(&self, kind: ModelKind) -> Result<&ModelRecord<'a>, InferError> {
        self.models.iter().find(|r| r.kind == kind as u8).ok_or(InferError::MissingModel { kind })
    }

    /// Serialise into a complete weight file (header + body).
    ///
    /// # Errors
    /// [`InferError::Malformed`] if postcard cannot encode the bundle (it always can for
    /// values built through this API) and [`InferError::BufferTooSmall`] when the body is over
    /// 4 GiB.
    #[cfg(feature = "std")]
    pub fn to_bytes(&self) -> Result<std::vec::Vec<u8>, InferError> {
        let body = postcard::to_allocvec(self).map_err(|_| InferError::Malformed)?;
        let len = u32::try_from(body.len()).map_err(|_| InferError::BufferTooSmall { need: u32::MAX })?;
        let mut out = std::vec::Vec::with_capacity(HEADER_BYTES + body.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&crate::checksum::crc32(&body).to_le_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }
}
