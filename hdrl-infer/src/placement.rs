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

/// Number of tactical actions: region ranks × memory tiers.
pub const TACTICAL_ACTIONS: usize = REGION_SLOTS.len() * MEMORY_TIERS_MB.len();

/// Region slots ordered by distance from each home slot, nearest (the home itself) first,
/// following the measured inter-region round-trip times (hdrl-train's
/// `data/network/inter_region_rtt_ms.csv`; a test there checks this table against the file).
pub const REGIONS_BY_DISTANCE: [[u8; 4]; 4] = [[0, 2, 1, 3], [1, 0, 2, 3], [2, 0, 1, 3], [3, 1, 0, 2]];

/// The region slot at distance rank `rank` (0 = home) from `home` (both taken modulo 4).
pub const fn region_for_rank(home: u8, rank: usize) -> usize {
    REGIONS_BY_DISTANCE[home as usize % 4][rank % 4] as usize
}

/// The distance rank of region slot `region` from `home`.
pub const fn rank_of_region(home: u8, region: usize) -> usize {
    let row = REGIONS_BY_DISTANCE[home as usize % 4];
    let mut r = 0;
    while r < 4 {
        if row[r] as usize == region % 4 {
            return r;
        }
        r += 1;
    }
    0
}

/// Tactical action index for a region rank and memory tier: `rank · 6 + tier`. The PPO acts
/// in ranks (0 = the app's home region, then by distance) so one policy serves apps whose
/// users are anywhere.
pub const fn tactical_action(rank: usize, tier: usize) -> usize {
    rank * MEMORY_TIERS_MB.len() + tier
}

/// Region rank and memory tier of a tactical action index (taken modulo the action count).
pub const fn split_tactical(action: usize) -> (usize, usize) {
    let a = action % TACTICAL_ACTIONS;
    (a / MEMORY_TIERS_MB.len(), a % MEMORY_TIERS_MB.len())
}

/// The tactical actions allowed for a function that needs `need_mb` of memory: every region
/// rank at every tier that fits; when no tier fits, every action (a decision must still be
/// made, and the largest tier comes closest). The trainer, the evaluation and the hierarchy
/// all mask with this one rule.
pub fn allowed_actions(need_mb: f32) -> [bool; TACTICAL_ACTIONS] {
    let min_tier = smallest_tier_fitting(need_mb);
    let fits = (MEMORY_TIERS_MB[min_tier] as f32) >= need_mb;
    let mut ok = [true; TACTICAL_ACTIONS];
    if fits {
        for (a, o) in ok.iter_mut().enumerate() {
            *o = split_tactical(a).1 >= min_tier;
        }
    }
    ok
}

/// Set the logits of actions that [`allowed_actions`] forbids to −∞.
pub fn mask_small_tiers(logits: &mut [f32; TACTICAL_ACTIONS], need_mb: f32) {
    for (l, ok) in logits.iter_mut().zip(allowed_actions(need_mb)) {
        if !ok {
            *l = f32::NEG_INFINITY;
        }
    }
}

/// Smallest tier index whose memory is at least `need_mb` (the largest tier if none is).
pub fn smallest_tier_fitting(need_mb: f32) -> usize {
    MEMORY_TIERS_MB.iter().position(|&m| m as f32 >= need_mb).unwrap_or(MEMORY_TIERS_MB.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_regions_are_inverse_and_home_comes_first() {
        for home in 0..4u8 {
            assert_eq!(region_for_rank(home, 0), home as usize);
            let mut seen = [false; 4];
            for rank in 0..4 {
                let r = region_for_rank(home, rank);
                assert_eq!(rank_of_region(home, r), rank);
                seen[r] = true;
            }
            assert_eq!(seen, [true; 4]);
        }
        assert_eq!(split_tactical(tactical_action(3, 5)), (3, 5));
    }

    #[test]
    fn allowed_actions_mask_tiers_below_the_need_unless_none_fits() {
        let ok = allowed_actions(300.0); // 512 MB is the smallest tier that fits
        for (a, ok) in ok.iter().enumerate() {
            assert_eq!(*ok, split_tactical(a).1 >= 2, "action {a}");
        }
        assert_eq!(allowed_actions(0.0), [true; TACTICAL_ACTIONS]);
        assert_eq!(allowed_actions(5_000.0), [true; TACTICAL_ACTIONS], "nothing fits: nothing masked");
        let mut l = [0.0f32; TACTICAL_ACTIONS];
        mask_small_tiers(&mut l, 300.0);
        assert!(l.iter().zip(ok).all(|(v, ok)| v.is_finite() == ok));
    }
}
