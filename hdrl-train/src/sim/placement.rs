//! `Placement`: where a function runs (provider, region slot, memory tier), and how it maps to
//! and from hdrl-infer's action indices.

use hdrl_infer::{MEMORY_TIERS_MB, Provider};

/// Where a function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    /// Provider.
    pub provider: Provider,
    /// Region slot 0–3.
    pub region: u8,
    /// Memory tier index 0–5.
    pub tier: u8,
}

impl Placement {
    /// Build from indices (taken modulo their ranges).
    pub fn new(provider: Provider, region: usize, tier: usize) -> Self {
        Self { provider, region: (region % 4) as u8, tier: (tier % 6) as u8 }
    }

    /// Memory of the tier, MB.
    pub fn memory_mb(&self) -> f64 {
        MEMORY_TIERS_MB[self.tier as usize] as f64
    }

    /// The placement a tactical action means for an app whose users are in `home`.
    pub fn from_action(provider: Provider, action: usize, home: u8) -> Self {
        let (rank, tier) = hdrl_infer::placement::split_tactical(action);
        Self::new(provider, hdrl_infer::placement::region_for_rank(home, rank), tier)
    }

    /// The tactical action of this placement for an app whose users are in `home`.
    pub fn action_for(&self, home: u8) -> usize {
        let rank = hdrl_infer::placement::rank_of_region(home, self.region as usize);
        hdrl_infer::placement::tactical_action(rank, self.tier as usize)
    }

    /// Index among the 72 placements of an app in `home`: provider-major, then action.
    pub fn index_for(&self, home: u8) -> usize {
        self.provider as usize * hdrl_infer::placement::TACTICAL_ACTIONS + self.action_for(home)
    }

    /// The placement of index `k` (see [`Placement::index_for`]).
    pub fn from_index(k: usize, home: u8) -> Self {
        let n = hdrl_infer::placement::TACTICAL_ACTIONS;
        Self::from_action(Provider::ALL[(k / n) % 3], k % n, home)
    }

    /// All 72 placements of an app in `home`, in index order.
    pub fn all_for(home: u8) -> impl Iterator<Item = Placement> {
        (0..3 * hdrl_infer::placement::TACTICAL_ACTIONS).map(move |k| Self::from_index(k, home))
    }
}

impl std::fmt::Display for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}MB", self.provider, self.provider.region_name(self.region as usize), self.memory_mb())
    }
}
