//! The placement vocabulary: providers, regions, memory tiers, and how the tactical action
//! index maps onto them.

use core::fmt;

/// A cloud provider. The discriminant is the strategic action and the DQN output index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Provider {
    /// Amazon Web Services (Lambda).
    Aws = 0,
    /// Microsoft Azure (Functions, Consumption plan).
    Azure = 1,
    /// Google Cloud (Cloud Functions).
    Gcp = 2,
}

impl Provider {
    /// All providers in action order.
    pub const ALL: [Provider; 3] = [Provider::Aws, Provider::Azure, Provider::Gcp];

    /// The provider for an action index, if valid.
    pub const fn from_index(i: usize) -> Option<Self> {
        match i {
            0 => Some(Self::Aws),
            1 => Some(Self::Azure),
            2 => Some(Self::Gcp),
            _ => None,
        }
    }

    /// Lower-case name: `aws`, `azure`, `gcp`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Azure => "azure",
            Self::Gcp => "gcp",
        }
    }

    /// Cloud region name of a region slot (see [`REGION_SLOTS`]).
    pub const fn region_name(self, slot: usize) -> &'static str {
        let names = match self {
            Self::Aws => &["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"],
            Self::Azure => &["eastus", "westus2", "westeurope", "southeastasia"],
            Self::Gcp => &["us-east1", "us-west1", "europe-west1", "asia-southeast1"],
        };
        if slot < 4 { names[slot] } else { "unknown" }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The four region slots every provider offers, in action order. Each provider's concrete
/// region for a slot is [`Provider::region_name`].
pub const REGION_SLOTS: [&str; 4] = ["us-east", "us-west", "eu-west", "ap-southeast"];

/// Memory tiers in MB, in action order.
pub const MEMORY_TIERS_MB: [u16; 6] = [128, 256, 512, 1024, 2048, 3008];

/// Number of tactical actions: region slots × memory tiers.
pub const TACTICAL_ACTIONS: usize = REGION_SLOTS.len() * MEMORY_TIERS_MB.len();

/// Tactical action index for a region slot and memory tier: `region · 6 + tier`.
pub const fn tactical_action(region: usize, tier: usize) -> usize {
    region * MEMORY_TIERS_MB.len() + tier
}

/// Region slot and memory tier of a tactical action index (taken modulo the action count).
pub const fn split_tactical(action: usize) -> (usize, usize) {
    let a = action % TACTICAL_ACTIONS;
    (a / MEMORY_TIERS_MB.len(), a % MEMORY_TIERS_MB.len())
}

/// Smallest tier index whose memory is at least `need_mb` (the largest tier if none is).
pub fn smallest_tier_fitting(need_mb: f32) -> usize {
    MEMORY_TIERS_MB
        .iter()
        .position(|&m| m as f32 >= need_mb)
        .unwrap_or(MEMORY_TIERS_MB.len() - 1)
}
