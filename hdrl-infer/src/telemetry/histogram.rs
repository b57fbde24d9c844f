//! A fixed-size latency histogram with log-spaced buckets: percentiles of the requests a gateway
//! timed, without keeping the requests.

/// Buckets of [`LatencyHistogram`].
pub const BUCKETS: usize = 96;
/// Upper edge of the first bucket, ms: every latency at or below it lands in bucket 0.
pub const LOWEST_MS: f64 = 1.0;
/// Ratio between a bucket's upper and lower edge: `(60 000 ms)^(1/94)`, so buckets 1 … 94
/// cover 1 ms … 60 s (the longest SLA the encoders know) and bucket 95 holds everything slower.
pub const GROWTH: f64 = 1.124_168_46;
/// The largest relative error of a percentile inside the covered range (1 ms … 60 s): the
/// estimate is the bucket's geometric centre, at most `√GROWTH − 1` away from any latency in
/// the bucket.
pub const MAX_RELATIVE_ERROR: f64 = 0.060_269;

/// Counts of latencies per log-spaced bucket (384 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u32; BUCKETS],
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub const fn new() -> Self {
        Self { counts: [0; BUCKETS] }
    }

    /// The bucket of a latency (finite, ≥ 0; anything else is the caller's error, it lands in
    /// bucket 0 here rather than panic).
    pub fn bucket(latency_ms: f64) -> usize {
        if latency_ms.is_nan() || latency_ms <= LOWEST_MS {
            return 0;
        }
        let b = libm::ceil(libm::log(latency_ms / LOWEST_MS) / libm::log(GROWTH));
        if b >= (BUCKETS - 1) as f64 { BUCKETS - 1 } else { b as usize }
    }

    /// The value a bucket stands for: the geometric centre of its edges (bucket 0: half of
    /// [`LOWEST_MS`]; the last bucket: its lower edge).
    pub fn representative(bucket: usize) -> f64 {
        match bucket {
            0 => LOWEST_MS * 0.5,
            b if b >= BUCKETS - 1 => LOWEST_MS * libm::pow(GROWTH, (BUCKETS - 2) as f64),
            b => LOWEST_MS * libm::pow(GROWTH, b as f64 - 0.5),
        }
    }

    /// Count one latency.
    pub fn record(&mut self, latency_ms: f64) {
        let c = &mut self.counts[Self::bucket(latency_ms)];
        *c = c.saturating_add(1);
    }

    /// Latencies counted.
    pub fn len(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }

    /// No latency counted.
    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// Forget every latency.
    pub fn clear(&mut self) {
        self.counts = [0; BUCKETS];
    }

    /// The `q`-quantile (0 … 1) with the trainer's rank rule: the value of rank
    /// `round((n − 1) · q)` in sorted order, estimated by its bucket's representative; 0 when
    /// empty. Within [`MAX_RELATIVE_ERROR`] of the exact value for latencies of 1 ms … 60 s.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.len();
        if n == 0 {
            return 0.0;
        }
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        let rank = libm::round((n - 1) as f64 * q) as u64;
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c as u64;
            if seen > rank {
                return Self::representative(b);
            }
        }
        Self::representative(BUCKETS - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_agree_with_each_other() {
        let top = LOWEST_MS * libm::pow(GROWTH, (BUCKETS - 2) as f64);
        assert!((top - 60_000.0).abs() < 1.0, "{top}");
        assert!((libm::sqrt(GROWTH) - 1.0 - MAX_RELATIVE_ERROR).abs() < 1e-5);
    }

    #[test]
    fn every_covered_latency_is_within_the_stated_error_of_its_bucket() {
        let mut x = 1.0001;
        while x < 60_000.0 {
            let r = LatencyHistogram::representative(LatencyHistogram::bucket(x));
            assert!((r / x - 1.0).abs() <= MAX_RELATIVE_ERROR + 1e-9, "{x} -> {r}");
            x *= 1.01;
        }
        assert_eq!(LatencyHistogram::bucket(0.2), 0);
        assert_eq!(LatencyHistogram::bucket(1e9), BUCKETS - 1);
        assert_eq!(LatencyHistogram::bucket(f64::NAN), 0);
    }

    #[test]
    fn quantiles_follow_the_rank_rule() {
        let mut h = LatencyHistogram::new();
        assert_eq!(h.quantile(0.95), 0.0);
        // 1 … 100 ms: rank round(99 · 0.95) = 94 → 95 ms.
        for ms in 1..=100 {
            h.record(ms as f64);
        }
        assert_eq!(h.len(), 100);
        for (q, exact) in [(0.5, 51.0), (0.95, 95.0), (0.99, 99.0)] {
            let e = h.quantile(q);
            assert!((e / exact - 1.0).abs() <= MAX_RELATIVE_ERROR, "q {q}: {e} vs {exact}");
        }
        h.clear();
        assert!(h.is_empty());
    }
}
