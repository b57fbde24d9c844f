//! Parsing and comparing the firmware's `hdrl-edge` lines (format: `hdrl_edge_scenario`).

use hdrl_edge_scenario::PREFIX;

/// Fields compared as numbers within [`REL_TOL`]; every other field must match exactly.
pub const FLOAT_KEYS: [&str; 6] = ["rate", "memory", "cpu", "q", "prob", "value"];

/// Relative tolerance for float fields. The firmware and the host's generic kernels run the
/// same IEEE-754 single-precision operations in the same order (Rust never fuses or reorders
/// float arithmetic, and the Cortex-M4F FPU runs with denormals on and round-to-nearest), so
/// they agree bit for bit, and the int8 path also matches the SIMD kernels bit for bit
/// (integer dot products, then the same f32 scaling). The f32 SIMD kernels sum in another
/// order, which moves the last bits: measured at most 2.0e-5 relative over this sequence with
/// the AVX2/FMA kernels. 1e-4 leaves a 5× margin over that and still catches any real fault: a
/// wrong weight, scale or encoder constant moves a forecast or Q-value by percents.
pub const REL_TOL: f32 = 1e-4;
/// Absolute slack for values at or near zero, where a relative bound means nothing.
pub const ABS_TOL: f32 = 1e-6;

/// One parsed line: `hdrl-edge <kind> key=value ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// `begin`, `decision`, `error`, `footprint` or `end`.
    pub kind: String,
    /// Fields in line order; an `error=` field holds the rest of the line.
    pub fields: Vec<(String, String)>,
}

impl Record {
    /// The value of a field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A field parsed as a number.
    pub fn number<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        self.get(key)?.parse().ok()
    }
}

/// Parse one line; `None` for a line that is not an `hdrl-edge` record.
pub fn parse(line: &str) -> Option<Record> {
    let rest = line.trim_end().strip_prefix(PREFIX)?.strip_prefix(' ')?;
    let (head, error) = match rest.find(" error=") {
        Some(at) => (&rest[..at], Some(&rest[at + " error=".len()..])),
        None => (rest, None),
    };
    let mut tokens = head.split(' ');
    let kind = tokens.next()?.to_owned();
    let mut fields = Vec::new();
    for t in tokens {
        let (k, v) = t.split_once('=')?;
        fields.push((k.to_owned(), v.to_owned()));
    }
    if let Some(e) = error {
        fields.push(("error".to_owned(), e.to_owned()));
    }
    Some(Record { kind, fields })
}

/// How two step lines compare.
#[derive(Clone, Debug, Default)]
pub struct Agreement {
    /// Float values compared.
    pub floats: usize,
    /// Of those, identical to the bit.
    pub identical: usize,
    /// Largest relative difference seen.
    pub max_rel: f32,
    /// Human-readable differences beyond tolerance (empty when the lines agree).
    pub problems: Vec<String>,
}

fn floats(v: &str) -> Option<Vec<f32>> {
    v.split(',').map(|x| x.parse().ok()).collect()
}

/// Compare a firmware line with the host's line for the same step, adding to `agree`.
pub fn compare(device: &Record, host: &Record, agree: &mut Agreement) {
    let keys = |r: &Record| r.fields.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    if device.kind != host.kind || keys(device) != keys(host) {
        agree
            .problems
            .push(format!("record differs: device {device:?}, host {host:?}"));
        return;
    }
    for ((key, dv), (_, hv)) in device.fields.iter().zip(&host.fields) {
        if !FLOAT_KEYS.contains(&key.as_str()) {
            if dv != hv {
                agree
                    .problems
                    .push(format!("{key}: device {dv}, host {hv}"));
            }
            continue;
        }
        let (Some(d), Some(h)) = (floats(dv), floats(hv)) else {
            agree
                .problems
                .push(format!("{key}: not numbers (device {dv}, host {hv})"));
            continue;
        };
        if d.len() != h.len() {
            agree
                .problems
                .push(format!("{key}: device {dv}, host {hv}"));
            continue;
        }
        for (a, b) in d.into_iter().zip(h) {
            agree.floats += 1;
            if a.to_bits() == b.to_bits() {
                agree.identical += 1;
                continue;
            }
            let diff = (a - b).abs();
            let scale = a.abs().max(b.abs());
            let rel = if scale > 0.0 { diff / scale } else { 0.0 };
            agree.max_rel = agree.max_rel.max(rel);
            // Written so that a NaN on either side counts as a difference.
            let within = diff <= REL_TOL * scale + ABS_TOL;
            if !within {
                agree.problems.push(format!(
                    "{key}: device {a:?}, host {b:?} (relative difference {rel:.2e} > {REL_TOL:e})"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_a_trailing_error() {
        let r = parse("hdrl-edge error step=17 error=NonFiniteInput { index: 14 }").unwrap();
        assert_eq!(r.kind, "error");
        assert_eq!(r.get("step"), Some("17"));
        assert_eq!(r.get("error"), Some("NonFiniteInput { index: 14 }"));
        assert!(parse("QEMU noise").is_none());
    }

    fn against_host(device: &str) -> Agreement {
        let host = parse("hdrl-edge decision step=1 provider=aws rate=100 q=0.5,0").unwrap();
        let mut a = Agreement::default();
        compare(&parse(device).unwrap(), &host, &mut a);
        a
    }

    #[test]
    fn floats_within_tolerance_pass_and_beyond_fail() {
        let a = against_host("hdrl-edge decision step=1 provider=aws rate=100.005 q=0.5,0.0000005");
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert_eq!((a.floats, a.identical), (3, 1));
        let far = against_host("hdrl-edge decision step=1 provider=aws rate=100.02 q=0.5,0");
        assert_eq!(far.problems.len(), 1);
        let nan = against_host("hdrl-edge decision step=1 provider=aws rate=NaN q=0.5,0");
        assert_eq!(nan.problems.len(), 1);
        let other = against_host("hdrl-edge decision step=1 provider=gcp rate=100 q=0.5,0");
        assert_eq!(other.problems.len(), 1);
    }
}
