//! `hdrl synth`: write the synthetic trace in the Azure Functions 2021 format.

use std::path::Path;

use anyhow::Result;

use crate::data::trace;

/// `hdrl synth`.
///
/// # Errors
/// I/O.
pub fn synth(out: &Path, seed: u64, scale: f64) -> Result<()> {
    let t = crate::data::synth::generate(seed, scale);
    trace::write_2021(&t, out)?;
    eprintln!(
        "wrote {}: {} invocations, {} functions, {} apps, {} days (seed {seed}, scale {scale})",
        out.display(),
        t.inv.len(),
        t.funcs.len(),
        t.apps.len(),
        t.days()
    );
    Ok(())
}
