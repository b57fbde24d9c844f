//! What a request costs: each provider's published price of a placement and its billing rule,
//! as a bundle carries it (weight format 5 on). The trainer's simulator bills every simulated
//! invocation with [`PriceTable::cost_usd`], and a gateway's [`crate::Tracker`] prices the
//! requests it measures with the same function, so the cost features a policy was trained on
//! and the ones it reads in production have one definition.
//!
//! Prices do not vary by region here (the trainer's price file lists one region's list price per
//! provider); they vary by provider and memory tier.

use serde::{Deserialize, Serialize};

use crate::placement::{MEMORY_TIERS_MB, Provider};

/// One provider's price list and billing rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderPrices {
    /// USD per GB-second of billed memory.
    pub usd_per_gb_s: f64,
    /// USD per request.
    pub usd_per_request: f64,
    /// USD per GHz-second of CPU (providers that bill CPU apart; 0 elsewhere).
    pub usd_per_ghz_s: f64,
    /// CPU clock billed per memory tier, GHz (0 where CPU is not billed apart).
    pub ghz: [f64; MEMORY_TIERS_MB.len()],
    /// The billed duration is the execution time rounded up to a multiple of this, ms (> 0).
    pub billing_increment_ms: f64,
    /// Shortest billed duration, ms.
    pub min_billed_ms: f64,
    /// Billed memory is the tier's memory rounded up to a multiple of this, MB (0: as configured).
    pub memory_increment_mb: f64,
}

impl ProviderPrices {
    /// Every price zero (a bundle without a price table prices nothing).
    pub const FREE: Self = Self {
        usd_per_gb_s: 0.0,
        usd_per_request: 0.0,
        usd_per_ghz_s: 0.0,
        ghz: [0.0; MEMORY_TIERS_MB.len()],
        billing_increment_ms: 1.0,
        min_billed_ms: 0.0,
        memory_increment_mb: 0.0,
    };

    /// Billed memory of a tier (taken modulo the tier count), GB.
    pub fn billed_gb(&self, tier: usize) -> f64 {
        let mb = MEMORY_TIERS_MB[tier % MEMORY_TIERS_MB.len()] as f64;
        let mb = if self.memory_increment_mb > 0.0 {
            libm::ceil(mb / self.memory_increment_mb) * self.memory_increment_mb
        } else {
            mb
        };
        mb / 1024.0
    }

    /// Billed duration of an execution of `exec_s` seconds (NaN and negative count as 0), s.
    pub fn billed_s(&self, exec_s: f64) -> f64 {
        let per_s = 1000.0 / self.billing_increment_ms;
        let t = exec_s.max(0.0);
        (libm::ceil(t * per_s) / per_s).max(self.min_billed_ms / 1000.0)
    }

    /// Cost of one request that executed `exec_s` seconds at memory tier `tier`, USD: the billed
    /// duration times the billed memory (and CPU clock where billed apart), plus the request fee.
    pub fn cost_usd(&self, tier: usize, exec_s: f64) -> f64 {
        let billed = self.billed_s(exec_s);
        let ghz = self.ghz[tier % MEMORY_TIERS_MB.len()];
        billed * self.billed_gb(tier) * self.usd_per_gb_s + billed * ghz * self.usd_per_ghz_s + self.usd_per_request
    }

    /// Price of keeping one instance of a tier alive (pre-warmed and idle), USD per second.
    pub fn idle_usd_per_s(&self, tier: usize) -> f64 {
        MEMORY_TIERS_MB[tier % MEMORY_TIERS_MB.len()] as f64 / 1024.0 * self.usd_per_gb_s
    }

    fn is_valid(&self) -> bool {
        let prices = [self.usd_per_gb_s, self.usd_per_request, self.usd_per_ghz_s, self.min_billed_ms];
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        prices.into_iter().chain(self.ghz).all(ok)
            && ok(self.memory_increment_mb)
            && self.billing_increment_ms.is_finite()
            && self.billing_increment_ms > 0.0
    }
}

/// The price list of every provider, in [`Provider`] order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// `[provider]`.
    pub providers: [ProviderPrices; 3],
}

impl PriceTable {
    /// Every price zero.
    pub const FREE: Self = Self { providers: [ProviderPrices::FREE; 3] };

    /// One provider's prices.
    pub fn provider(&self, p: Provider) -> &ProviderPrices {
        &self.providers[p as usize]
    }

    /// Cost of one request on `provider` at memory tier `tier` that executed `exec_s` seconds,
    /// USD ([`ProviderPrices::cost_usd`]).
    pub fn cost_usd(&self, provider: Provider, tier: usize, exec_s: f64) -> f64 {
        self.provider(provider).cost_usd(tier, exec_s)
    }

    /// Every price finite and ≥ 0, every billing increment > 0 (what
    /// [`crate::weights::Bundle::parse`] checks).
    pub fn is_valid(&self) -> bool {
        self.providers.iter().all(ProviderPrices::is_valid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure_like() -> ProviderPrices {
        ProviderPrices {
            usd_per_gb_s: 0.000016,
            usd_per_request: 0.2e-6,
            min_billed_ms: 100.0,
            memory_increment_mb: 128.0,
            ..ProviderPrices::FREE
        }
    }

    #[test]
    fn billing_rounds_duration_and_memory_up() {
        let p = azure_like();
        assert_eq!(p.billed_s(0.0), 0.1, "minimum billed duration");
        assert_eq!(p.billed_s(0.1234), 0.124, "1-ms increments");
        assert_eq!(p.billed_gb(5), 3072.0 / 1024.0, "3008 MB bills as 3072 MB");
        assert_eq!(p.billed_gb(0), 0.125);
        let gcp = ProviderPrices { billing_increment_ms: 100.0, ghz: [0.2; 6], usd_per_ghz_s: 1e-5, ..p };
        assert_eq!(gcp.billed_s(0.101), 0.2, "100-ms increments");
        let c = gcp.cost_usd(0, 0.101);
        let want = 0.2 * 0.125 * 0.000016 + 0.2 * 0.2 * 1e-5 + 0.2e-6;
        assert!((c - want).abs() < 1e-18, "{c} vs {want}");
        assert_eq!(p.billed_s(f64::NAN), 0.1, "NaN counts as no execution");
    }

    #[test]
    fn validity_rejects_negative_and_non_finite_prices() {
        let ok = PriceTable { providers: [azure_like(); 3] };
        assert!(ok.is_valid());
        assert!(PriceTable::FREE.is_valid());
        for bad in [
            ProviderPrices { usd_per_gb_s: -1.0, ..azure_like() },
            ProviderPrices { usd_per_request: f64::NAN, ..azure_like() },
            ProviderPrices { billing_increment_ms: 0.0, ..azure_like() },
            ProviderPrices { ghz: [f64::INFINITY; 6], ..azure_like() },
        ] {
            let mut t = ok;
            t.providers[1] = bad;
            assert!(!t.is_valid(), "{bad:?}");
        }
    }
}
