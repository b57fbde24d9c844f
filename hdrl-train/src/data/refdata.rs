//! The real reference data (prices, energy coefficients, measured cold starts, inter-region
//! RTT), embedded from `hdrl-train/data/` and parsed once; hourly carbon intensity is in
//! [`crate::data::carbon`]. Every number the simulator uses comes from these files or from the
//! documented assumptions in [`crate::sim`]; nothing is retyped here.

use anyhow::{Context, Result, anyhow, bail};
use hdrl_infer::{MEMORY_TIERS_MB, PriceTable, Provider, ProviderPrices, REGION_SLOTS};

const PRICING: &str = include_str!("../../data/pricing/serverless_pricing.csv");
const ENERGY: &str = include_str!("../../data/carbon/energy_coefficients.csv");
const COLDSTARTS: &str = include_str!("../../data/coldstarts/summary_boxplots.csv");
const RTT: &str = include_str!("../../data/network/inter_region_rtt_ms.csv");
/// The real Azure 2019 sample (100 functions), per-minute invocations.
pub const AZURE2019_INVOCATIONS: &str = include_str!("../../data/traces/azure2019-100/invocations.csv");
/// Its duration percentiles.
pub const AZURE2019_DURATIONS: &str = include_str!("../../data/traces/azure2019-100/durations.csv");
/// Its memory percentiles.
pub const AZURE2019_MEMORY: &str = include_str!("../../data/traces/azure2019-100/memory.csv");

/// A measured cold-start latency distribution (seconds), from a box plot: whiskers, quartiles
/// and median. Sampled through the piecewise-linear quantile function they define.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColdStart {
    /// Lower whisker.
    pub lo: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Upper whisker.
    pub hi: f64,
}

impl ColdStart {
    /// Quantile `u` ∈ [0, 1] (seconds).
    pub fn quantile(&self, u: f64) -> f64 {
        let pts = [(0.0, self.lo), (0.25, self.q1), (0.5, self.median), (0.75, self.q3), (1.0, self.hi)];
        let u = u.clamp(0.0, 1.0);
        for w in pts.windows(2) {
            let ((u0, v0), (u1, v1)) = (w[0], w[1]);
            if u <= u1 {
                return v0 + (v1 - v0) * (u - u0) / (u1 - u0);
            }
        }
        self.hi
    }

    /// Mean of the piecewise-linear distribution (seconds).
    pub fn mean(&self) -> f64 {
        0.25 * ((self.lo + self.q1) + (self.q1 + self.median) + (self.median + self.q3) + (self.q3 + self.hi)) / 2.0
    }
}

/// Energy model coefficients of a provider (Cloud Carbon Footprint methodology).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Energy {
    /// Watts per vCPU at idle.
    pub min_w: f64,
    /// Watts per vCPU at full load.
    pub max_w: f64,
    /// Watts per GB of memory.
    pub mem_w_per_gb: f64,
    /// Power usage effectiveness.
    pub pue: f64,
}

/// Everything the simulator knows about one provider.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderData {
    /// Which provider.
    pub provider: Provider,
    /// Its prices and billing rule (GHz per tier for GCP, whose CPU is billed apart), as
    /// hdrl-infer bills them and a bundle carries them.
    pub prices: ProviderPrices,
    /// vCPUs per memory tier.
    pub vcpu: [f64; 6],
    /// Measured cold-start distribution per memory tier.
    pub cold: [ColdStart; 6],
    /// Energy coefficients.
    pub energy: Energy,
}

/// All reference data.
#[derive(Clone, Debug, PartialEq)]
pub struct RefData {
    /// AWS, Azure, GCP in action order.
    pub providers: [ProviderData; 3],
    /// Round-trip time between region slots, ms.
    pub rtt_ms: [[f64; 4]; 4],
}

fn rows(csv: &str) -> impl Iterator<Item = Vec<&str>> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim_start_matches('\u{feff}').split(',').map(str::trim).collect())
}

fn pricing_row(provider: &str, item_prefix: &str) -> Result<Vec<&'static str>> {
    rows(PRICING)
        .find(|r| r.len() >= 6 && r[0] == provider && r[2].starts_with(item_prefix))
        .ok_or_else(|| anyhow!("pricing.csv has no row {provider}/{item_prefix}"))
}

/// A price and the row's notes.
fn price(provider: &str, item_prefix: &str) -> Result<(f64, String)> {
    let r = pricing_row(provider, item_prefix)?;
    let v: f64 = r[3].parse().with_context(|| format!("price {provider}/{item_prefix}: {}", r[3]))?;
    Ok((v, r[5].to_string()))
}

/// Per-request price: the file gives USD per million requests.
fn per_request(provider: &str, item: &str) -> Result<f64> {
    Ok(price(provider, item)?.0 / 1e6)
}

/// The number before `unit` after `key` in a pricing note ("memory rounded up to 128 MB; min
/// 100 ms": key "rounded up to ", unit "MB" gives 128).
fn note_number(notes: &str, key: &str, unit: &str) -> Result<f64> {
    let after = notes.split_once(key).ok_or_else(|| anyhow!("pricing note lacks '{key}': {notes}"))?.1;
    let num = after.split_once(unit).ok_or_else(|| anyhow!("pricing note lacks '{key}… {unit}': {notes}"))?.0;
    num.trim().parse().with_context(|| format!("pricing note '{key}… {unit}': {notes}"))
}

/// GCP's CPU clock per memory size, parsed from the pricing notes ("128MB=200MHz ... 4096MB=4.8GHz").
fn gcp_ghz_table(notes: &str) -> Result<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    for tok in notes.split_whitespace() {
        let (mem, clk) = tok.split_once('=').ok_or_else(|| anyhow!("bad GCP CPU note {tok}"))?;
        let mb: f64 = mem.trim_end_matches("MB").parse()?;
        let ghz = if let Some(m) = clk.strip_suffix("MHz") {
            m.parse::<f64>()? / 1000.0
        } else {
            clk.trim_end_matches("GHz").parse::<f64>()?
        };
        out.push((mb, ghz));
    }
    Ok(out)
}

fn coldstart(source: &str, label: &str) -> Result<ColdStart> {
    for r in rows(COLDSTARTS) {
        if r.len() >= 7 && r[0] == source && r[1] == label {
            let v: Vec<f64> = r[2..7].iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
            // Columns: median, interval_0 (low whisker), interval_1 (high whisker), interval_2 (Q1), interval_3 (Q3).
            return Ok(ColdStart { median: v[0], lo: v[1], hi: v[2], q1: v[3], q3: v[4] });
        }
    }
    bail!("coldstart summary has no row {source}/{label}")
}

/// The measured memory size nearest to `mb` (in log space) among `sizes`.
fn nearest(sizes: &[u32], mb: u32) -> u32 {
    *sizes
        .iter()
        .min_by(|a, b| {
            let da = ((**a as f64).ln() - (mb as f64).ln()).abs();
            let db = ((**b as f64).ln() - (mb as f64).ln()).abs();
            da.total_cmp(&db)
        })
        .unwrap_or(&mb)
}

fn energy(provider: Provider) -> Result<Energy> {
    let r = rows(ENERGY)
        .find(|r| r.first() == Some(&provider.name()))
        .ok_or_else(|| anyhow!("no energy coefficients for {provider}"))?;
    let v: Vec<f64> = r[1..5].iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
    Ok(Energy { min_w: v[0], max_w: v[1], mem_w_per_gb: v[2], pue: v[3] })
}

impl RefData {
    /// Parse the embedded files.
    ///
    /// # Errors
    /// A missing row or an unparsable number (only possible if a data file was edited badly).
    pub fn load() -> Result<Self> {
        // AWS Lambda: GB-s price, request price, vCPU = memory / 1769 MB (from the notes row).
        let (aws_gb_s, _) = price("aws", "duration tier 1")?;
        let aws_mem_note = pricing_row("aws", "memory range")?[5];
        let mb_per_vcpu: f64 =
            aws_mem_note.split_whitespace().next().ok_or_else(|| anyhow!("AWS memory note"))?.parse()?;
        let aws_sizes = [128, 256, 512, 1024, 2048, 4096, 8192];
        // Billing increments the price file does not state: AWS Lambda bills in 1-ms steps,
        // Google Cloud Functions (1st gen) in 100-ms steps (their pricing pages); Azure's are in
        // its price row's notes.
        let aws = ProviderData {
            provider: Provider::Aws,
            prices: ProviderPrices {
                usd_per_gb_s: aws_gb_s,
                usd_per_request: per_request("aws", "requests")?,
                billing_increment_ms: 1.0,
                ..ProviderPrices::FREE
            },
            vcpu: MEMORY_TIERS_MB.map(|m| m as f64 / mb_per_vcpu),
            cold: tiers(|mb| coldstart("coldstart_aws_bymemory.json", &format!("{} MB", nearest(&aws_sizes, mb))))?,
            energy: energy(Provider::Aws)?,
        };
        // Azure Functions Consumption: one vCPU at every tier (assumption), JS cold starts.
        let (az_gb_s, az_note) = price("azure", "execution time")?;
        let az_cold = coldstart("coldstart_all_bylanguage.json", "Azure JavaScript")?;
        let azure = ProviderData {
            provider: Provider::Azure,
            prices: ProviderPrices {
                usd_per_gb_s: az_gb_s,
                usd_per_request: per_request("azure", "executions")?,
                billing_increment_ms: 1.0,
                min_billed_ms: note_number(&az_note, "min ", "ms")?,
                memory_increment_mb: note_number(&az_note, "rounded up to ", "MB")?,
                ..ProviderPrices::FREE
            },
            vcpu: [1.0; 6],
            cold: [az_cold; 6],
            energy: energy(Provider::Azure)?,
        };
        // Google Cloud Functions (1st gen): memory GB-s + CPU GHz-s, clock per tier from the notes.
        let (gcp_gb_s, _) = price("gcp", "memory")?;
        let (gcp_ghz_s, cpu_note) = price("gcp", "CPU")?;
        let table = gcp_ghz_table(&cpu_note)?;
        let ghz = MEMORY_TIERS_MB.map(|m| {
            // 3008 MB is not a GCP size: use the next size up (4096 MB).
            table.iter().find(|(mb, _)| *mb >= m as f64).map(|t| t.1).unwrap_or(0.0)
        });
        let gcp_sizes = [128, 256, 512, 1024, 2048];
        let gcp = ProviderData {
            provider: Provider::Gcp,
            prices: ProviderPrices {
                usd_per_gb_s: gcp_gb_s,
                usd_per_request: per_request("gcp", "invocations")?,
                usd_per_ghz_s: gcp_ghz_s,
                ghz,
                billing_increment_ms: 100.0,
                ..ProviderPrices::FREE
            },
            vcpu: ghz.map(|g| g / 2.4),
            cold: tiers(|mb| coldstart("coldstart_gcp_bymemory.json", &format!("{} MB", nearest(&gcp_sizes, mb))))?,
            energy: energy(Provider::Gcp)?,
        };
        if ghz.iter().any(|&g| g <= 0.0) {
            bail!("GCP CPU table does not cover every memory tier");
        }
        let mut rtt_ms = [[f64::NAN; 4]; 4];
        for r in rows(RTT) {
            let a = slot(r[0])?;
            let b = slot(r[1])?;
            let v: f64 = r[2].parse()?;
            rtt_ms[a][b] = v;
            rtt_ms[b][a] = v;
        }
        if rtt_ms.iter().flatten().any(|v| v.is_nan()) {
            bail!("RTT table is incomplete");
        }
        Ok(Self { providers: [aws, azure, gcp], rtt_ms })
    }

    /// Data of one provider.
    pub fn provider(&self, p: Provider) -> &ProviderData {
        &self.providers[p as usize]
    }

    /// Every provider's prices, as the simulator bills and a bundle carries them.
    pub fn price_table(&self) -> PriceTable {
        PriceTable { providers: self.providers.each_ref().map(|d| d.prices) }
    }
}

fn slot(name: &str) -> Result<usize> {
    REGION_SLOTS.iter().position(|s| *s == name).ok_or_else(|| anyhow!("unknown region slot {name}"))
}

fn tiers(mut f: impl FnMut(u32) -> Result<ColdStart>) -> Result<[ColdStart; 6]> {
    let mut out = [ColdStart { lo: 0.0, q1: 0.0, median: 0.0, q3: 0.0, hi: 0.0 }; 6];
    for (o, &m) in out.iter_mut().zip(&MEMORY_TIERS_MB) {
        *o = f(m as u32)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_loads_with_the_published_values() {
        let d = RefData::load().unwrap();
        let aws = d.provider(Provider::Aws);
        assert_eq!(aws.prices.usd_per_gb_s, 0.0000166667);
        assert!((aws.prices.usd_per_request - 0.2e-6).abs() < 1e-18);
        assert!((aws.vcpu[5] - 3008.0 / 1769.0).abs() < 1e-12);
        assert_eq!(aws.cold[0].median, 0.2543);
        let gcp = d.provider(Provider::Gcp);
        assert_eq!(gcp.prices.ghz[0], 0.2);
        assert_eq!(gcp.prices.ghz[5], 4.8);
        let az = d.provider(Provider::Azure);
        assert_eq!(az.prices.usd_per_gb_s, 0.000016);
        assert_eq!((az.prices.min_billed_ms, az.prices.memory_increment_mb), (100.0, 128.0));
        assert!(d.price_table().is_valid());
        assert_eq!(az.cold[3].median, 1.5751);
        assert_eq!(d.rtt_ms[0][3], 216.7);
        assert_eq!(d.rtt_ms[3][0], 216.7);
        // hdrl-infer's region ranking follows this RTT table, nearest first.
        for home in 0..4 {
            let order = hdrl_infer::placement::REGIONS_BY_DISTANCE[home];
            for w in order.windows(2) {
                assert!(d.rtt_ms[home][w[0] as usize] <= d.rtt_ms[home][w[1] as usize], "home {home}: {order:?}");
            }
        }
        let c = aws.cold[0];
        assert_eq!(c.quantile(0.5), c.median);
        assert!(c.mean() > c.lo && c.mean() < c.hi);
    }
}
