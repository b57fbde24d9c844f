//! Real hourly grid carbon intensity: Electricity Maps' lifecycle intensity of 2022 for the 8
//! grid zones behind hdrl's 12 region slots (`data/carbon/hourly_2022/`, ODbL: "Carbon intensity
//! data: Electricity Maps (electricitymaps.com), ODbL 1.0, via umassos/decarbonization-potential").
//!
//! Trace time 0 maps to a calendar instant of 2022 (by default 2022-01-30T00:00Z, the same
//! weekday as the Azure 2021 trace's first day); trace hour `h` then reads the zone's value at
//! that instant plus `h` hours (wrapping around the end of 2022). Every invocation is charged the
//! intensity of its region in its hour. [`CarbonMode::Static`] keeps each zone's 2022 annual mean
//! instead, for comparison.

use anyhow::{Context, Result, anyhow, bail};
use hdrl_infer::Provider;
use hdrl_infer::carbon_profile::{CarbonProfile, HOURS_PER_DAY};

const SERIES: &str = include_str!("../../data/carbon/hourly_2022/electricitymaps_lca_2022_hourly.csv");
const ZONES: &str = include_str!("../../data/carbon/hourly_2022/zones.csv");

/// Hours of 2022.
pub const HOURS_2022: usize = 8760;

/// The default calendar instant of trace time 0.
pub const DEFAULT_ORIGIN: &str = "2022-01-30T00:00Z";

/// Whether intensity follows the hour or stays at the annual mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CarbonMode {
    /// Each hour's measured intensity.
    #[default]
    Hourly,
    /// Each zone's 2022 annual mean, every hour.
    Static,
}

impl std::fmt::Display for CarbonMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Hourly => "hourly",
            Self::Static => "static",
        })
    }
}

impl std::str::FromStr for CarbonMode {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "hourly" => Ok(Self::Hourly),
            "static" => Ok(Self::Static),
            _ => bail!("--carbon {s}: use hourly or static"),
        }
    }
}

/// Grid carbon intensity by region slot and trace hour, gCO2e/kWh.
#[derive(Clone, Debug, PartialEq)]
pub struct Carbon {
    /// Zone names, in file order.
    pub zones: Vec<String>,
    /// `[zone][hour of 2022]`.
    hourly: Vec<Vec<f32>>,
    /// 2022 mean per zone.
    annual: Vec<f64>,
    /// Zone of each provider's region slot.
    zone_of: [[usize; 4]; 3],
    /// Hour of 2022 at trace time 0.
    origin_hour: usize,
    /// Hourly or static.
    pub mode: CarbonMode,
}

/// Hour of 2022 of an instant written `2022-MM-DDTHH:MMZ` (minutes must be 00).
///
/// # Errors
/// Another year, a malformed instant, or minutes other than 00.
pub fn hour_of_2022(s: &str) -> Result<usize> {
    let bad = || anyhow!("{s}: expected an instant of 2022 written 2022-MM-DDTHH:00Z");
    let (date, time) = s.trim().split_once('T').ok_or_else(bad)?;
    let d: Vec<&str> = date.split('-').collect();
    let t = time.strip_suffix('Z').ok_or_else(bad)?;
    let (hh, mm) = t.split_once(':').ok_or_else(bad)?;
    if d.len() != 3 || d[0] != "2022" || mm != "00" {
        return Err(bad());
    }
    let (month, day, hour): (usize, usize, usize) =
        (d[1].parse().map_err(|_| bad())?, d[2].parse().map_err(|_| bad())?, hh.parse().map_err(|_| bad())?);
    const DAYS: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day == 0 || day > DAYS[month - 1] || hour > 23 {
        return Err(bad());
    }
    Ok((DAYS[..month - 1].iter().sum::<usize>() + day - 1) * 24 + hour)
}

impl Carbon {
    /// Load the embedded series with trace time 0 at `origin` (`2022-MM-DDTHH:00Z`).
    ///
    /// # Errors
    /// A bad origin; a data file that does not parse or misses a zone (only possible if it
    /// was edited badly).
    pub fn load(origin: &str, mode: CarbonMode) -> Result<Self> {
        let origin_hour = hour_of_2022(origin)?;
        let mut zones: Vec<String> = Vec::new();
        let mut hourly: Vec<Vec<f32>> = Vec::new();
        for (n, line) in SERIES.lines().enumerate().skip(1) {
            let mut it = line.split(',');
            let (Some(zone), Some(when), Some(v)) = (it.next(), it.next(), it.next()) else {
                bail!("carbon series line {}: expected zone,hour_utc,value", n + 1);
            };
            let z = match zones.iter().position(|x| x == zone) {
                Some(z) => z,
                None => {
                    zones.push(zone.to_string());
                    hourly.push(vec![f32::NAN; HOURS_2022]);
                    zones.len() - 1
                }
            };
            let h = hour_of_2022(when).with_context(|| format!("carbon series line {}", n + 1))?;
            hourly[z][h] = v.trim().parse().with_context(|| format!("carbon series line {}: {v}", n + 1))?;
        }
        // The last hour of 2022 is missing upstream (and any other gap): carry the previous hour.
        for series in &mut hourly {
            let mut last = series.iter().copied().find(|v| v.is_finite()).ok_or_else(|| anyhow!("empty zone"))?;
            for v in series.iter_mut() {
                if v.is_finite() {
                    last = *v;
                } else {
                    *v = last;
                }
            }
        }
        let annual = hourly.iter().map(|s| s.iter().map(|&v| v as f64).sum::<f64>() / s.len() as f64).collect();
        let mut zone_of = [[usize::MAX; 4]; 3];
        for line in ZONES.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let [zone, provider, region] = f[..] else { bail!("zones.csv: {line}") };
            let p =
                Provider::ALL.into_iter().find(|p| p.name() == provider).ok_or_else(|| anyhow!("zones.csv: {line}"))?;
            let slot = (0..4).find(|&s| p.region_name(s) == region).ok_or_else(|| anyhow!("zones.csv: {line}"))?;
            zone_of[p as usize][slot] =
                zones.iter().position(|z| z == zone).ok_or_else(|| anyhow!("zones.csv: no series for {zone}"))?;
        }
        if zone_of.iter().flatten().any(|&z| z == usize::MAX) {
            bail!("zones.csv does not map every region slot");
        }
        Ok(Self { zones, hourly, annual, zone_of, origin_hour, mode })
    }

    /// The zone behind a provider's region slot.
    pub fn zone(&self, provider: Provider, slot: usize) -> &str {
        &self.zones[self.zone_of[provider as usize][slot % 4]]
    }

    /// Intensity of a provider's region slot in trace hour `h` (wrapping around 2022).
    pub fn at_hour(&self, provider: Provider, slot: usize, h: usize) -> f64 {
        let z = self.zone_of[provider as usize][slot % 4];
        match self.mode {
            CarbonMode::Hourly => self.hourly[z][(self.origin_hour + h % HOURS_2022) % HOURS_2022] as f64,
            CarbonMode::Static => self.annual[z],
        }
    }

    /// Intensity at trace time `t_s` seconds (times before 0 read hour 0).
    pub fn at(&self, provider: Provider, slot: usize, t_s: f64) -> f64 {
        self.at_hour(provider, slot, (t_s.max(0.0) / 3600.0) as usize)
    }

    /// Each region slot's typical day: its mean intensity at each UTC hour over all of 2022
    /// (whatever the mode and origin), the default a bundle carries for gateways without a
    /// carbon API.
    pub fn profile(&self) -> CarbonProfile {
        let mut by_hour = [[[0.0f32; HOURS_PER_DAY]; 4]; 3];
        for (p, slots) in by_hour.iter_mut().enumerate() {
            for (slot, day) in slots.iter_mut().enumerate() {
                let series = &self.hourly[self.zone_of[p][slot]];
                for (hour, v) in day.iter_mut().enumerate() {
                    // Hour 0 of 2022 is midnight UTC: hour i of the year is UTC hour i % 24.
                    let at: Vec<f64> = series.iter().skip(hour).step_by(HOURS_PER_DAY).map(|&x| f64::from(x)).collect();
                    *v = (at.iter().sum::<f64>() / at.len() as f64) as f32;
                }
            }
        }
        CarbonProfile { by_hour }
    }

    /// What a decision at the start of trace hour `h` knows: the mean intensity of the 24
    /// hours before it (a persistence forecast; no peeking at the future). Hour 0 has no
    /// history and reads its own hour.
    pub fn past_day_mean(&self, provider: Provider, slot: usize, h: usize) -> f64 {
        if h == 0 {
            return self.at_hour(provider, slot, 0);
        }
        let lo = h.saturating_sub(24);
        (lo..h).map(|x| self.at_hour(provider, slot, x)).sum::<f64>() / (h - lo) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_map_to_hours_of_2022() {
        assert_eq!(hour_of_2022("2022-01-01T00:00Z").unwrap(), 0);
        assert_eq!(hour_of_2022("2022-01-30T00:00Z").unwrap(), 29 * 24);
        assert_eq!(hour_of_2022("2022-03-01T05:00Z").unwrap(), (31 + 28) * 24 + 5);
        assert_eq!(hour_of_2022("2022-12-31T23:00Z").unwrap(), HOURS_2022 - 1);
        for bad in ["2021-01-01T00:00Z", "2022-02-30T00:00Z", "2022-01-01T00:30Z", "2022-01-01", "yesterday"] {
            assert!(hour_of_2022(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_profile_is_each_slots_mean_by_utc_hour_over_the_year() {
        let c = Carbon::load(DEFAULT_ORIGIN, CarbonMode::Hourly).unwrap();
        let p = c.profile();
        assert!(p.is_valid());
        let z = c.zone_of[2][1];
        let noon: f64 = (0..365).map(|d| c.hourly[z][d * 24 + 12] as f64).sum::<f64>() / 365.0;
        assert!((p.by_hour[2][1][12] as f64 - noon).abs() < 1e-3, "{} vs {noon}", p.by_hour[2][1][12]);
        // The day's mean of the profile is the annual mean.
        let day_mean = p.by_hour[2][1].iter().map(|&v| v as f64).sum::<f64>() / 24.0;
        assert!((day_mean - c.annual[z]).abs() < 1e-2 * c.annual[z], "{day_mean} vs {}", c.annual[z]);
        // Solar-heavy grids are cleaner at midday than at night somewhere among the slots.
        assert!(p.by_hour.iter().flatten().any(|d| d[12] < 0.9 * d[0] || d[20] < 0.9 * d[8]));
    }

    #[test]
    fn the_series_loads_with_the_published_values() {
        let c = Carbon::load(DEFAULT_ORIGIN, CarbonMode::Hourly).unwrap();
        assert_eq!(c.zones.len(), 8);
        assert_eq!(c.zone(Provider::Aws, 0), "US-MIDA-PJM");
        assert_eq!(c.zone(Provider::Azure, 1), "US-NW-GCPD");
        assert_eq!(c.zone(Provider::Gcp, 2), "BE");
        // The file's first row: US-MIDA-PJM, 2022-01-01T00:00Z, 398.49.
        let first = Carbon::load("2022-01-01T00:00Z", CarbonMode::Hourly).unwrap();
        assert!((first.at_hour(Provider::Aws, 0, 0) - 398.49).abs() < 1e-3);
        // The README's test-window ranges: Ireland 117–581, Singapore 472–499 over the 14 days.
        let ie: Vec<f64> = (0..14 * 24).map(|h| c.at_hour(Provider::Aws, 2, h)).collect();
        let (lo, hi) = ie.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        assert!((lo - 117.0).abs() < 1.0 && (hi - 581.0).abs() < 1.0, "IE {lo}..{hi}");
        let sg: Vec<f64> = (0..14 * 24).map(|h| c.at_hour(Provider::Gcp, 3, h)).collect();
        assert!(sg.iter().all(|&v| (471.0..=500.0).contains(&v)));
        // Static: one value per zone, its annual mean.
        let s = Carbon::load(DEFAULT_ORIGIN, CarbonMode::Static).unwrap();
        assert_eq!(s.at_hour(Provider::Aws, 2, 0), s.at_hour(Provider::Aws, 2, 100));
        let mean = (0..HOURS_2022).map(|h| first.at_hour(Provider::Aws, 2, h)).sum::<f64>() / HOURS_2022 as f64;
        assert!((s.at_hour(Provider::Aws, 2, 7) - mean).abs() < 1e-6);
        // The forecast reads only the past.
        assert_eq!(c.past_day_mean(Provider::Aws, 2, 24), ie[..24].iter().sum::<f64>() / 24.0);
    }
}
