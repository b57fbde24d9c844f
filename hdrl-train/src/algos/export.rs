//! burn modules → hdrl-infer models and weight files. Writes the format through hdrl-infer's
//! own types; never redefines it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Result, bail};
use burn::module::Param;
use burn::nn::{LayerNorm as BurnLayerNorm, Linear as BurnLinear, Lstm as BurnLstm};
use burn::prelude::*;
use hdrl_infer::layers::GATES;
use hdrl_infer::weights::{Metric, ModelKind, Provenance, Quant};
use hdrl_infer::{
    ActorCritic, Dense, Dqn, EncoderConfig, F32, Forecaster, Hierarchy, I8, Kernels, LayerNorm, LstmLayer, Precision,
};

use crate::algos::common::to_vec;
use crate::algos::dqn::QNet;
use crate::algos::lstm::ForecastNet;
use crate::algos::ppo::ActorCriticNet;
use crate::output::files::{unix_now, write_atomic};

fn values<B: Backend, const D: usize>(p: &Param<Tensor<B, D>>) -> Vec<f32> {
    to_vec(p.val())
}

/// Copy a burn `Linear` (weight `[in, out]`, row-major) into a `Dense<I, O>`.
pub fn dense<B: Backend, const I: usize, const O: usize>(l: &BurnLinear<B>, out: &mut Dense<I, O>) -> Result<()> {
    let [i, o] = l.weight.val().dims();
    if (i, o) != (I, O) {
        bail!("linear layer is {i}×{o}, the architecture needs {I}×{O}");
    }
    let w = values(&l.weight);
    for (row, chunk) in out.w.iter_mut().zip(w.chunks_exact(O)) {
        row.copy_from_slice(chunk);
    }
    match &l.bias {
        Some(b) => out.b.copy_from_slice(&values(b)),
        None => out.b = [0.0; O],
    }
    Ok(())
}

/// Copy a burn `LayerNorm`.
pub fn layer_norm<B: Backend, const N: usize>(l: &BurnLayerNorm<B>, out: &mut LayerNorm<N>) -> Result<()> {
    let g = values(&l.gamma);
    if g.len() != N {
        bail!("layer norm has {} features, the architecture needs {N}", g.len());
    }
    out.gamma.copy_from_slice(&g);
    match &l.beta {
        Some(b) => out.beta.copy_from_slice(&values(b)),
        None => out.beta = [0.0; N],
    }
    Ok(())
}

/// Copy a burn `Lstm` (gates input, forget, output, cell; each an input and a hidden
/// transform with biases).
pub fn lstm<B: Backend, const I: usize, const H: usize>(l: &BurnLstm<B>, out: &mut LstmLayer<F32, I, H>) -> Result<()> {
    let gates = [&l.input_gate, &l.forget_gate, &l.output_gate, &l.cell_gate];
    debug_assert_eq!(GATES, ["input", "forget", "output", "cell"]);
    for ((g, x), h) in gates.iter().zip(out.x.iter_mut()).zip(out.h.iter_mut()) {
        dense(&g.input_transform, x)?;
        dense(&g.hidden_transform, h)?;
    }
    Ok(())
}

/// The DQN as an hdrl-infer f32 model.
pub fn dqn<B: Backend>(m: &QNet<B>) -> Result<Box<Dqn<F32>>> {
    let mut o = Box::new(Dqn::<F32>::ZERO);
    dense(&m.s1, &mut o.s1)?;
    layer_norm(&m.s1_norm, &mut o.s1_norm)?;
    dense(&m.s2, &mut o.s2)?;
    layer_norm(&m.s2_norm, &mut o.s2_norm)?;
    dense(&m.a1, &mut o.a1)?;
    layer_norm(&m.a1_norm, &mut o.a1_norm)?;
    dense(&m.h1, &mut o.h1)?;
    dense(&m.h2, &mut o.h2)?;
    dense(&m.out, &mut o.out)?;
    Ok(o)
}

/// The actor-critic as an hdrl-infer f32 model.
pub fn ppo<B: Backend>(m: &ActorCriticNet<B>) -> Result<Box<ActorCritic<F32>>> {
    let mut o = Box::new(ActorCritic::<F32>::ZERO);
    dense(&m.t1, &mut o.t1)?;
    layer_norm(&m.t1_norm, &mut o.t1_norm)?;
    dense(&m.t2, &mut o.t2)?;
    layer_norm(&m.t2_norm, &mut o.t2_norm)?;
    dense(&m.a1, &mut o.a1)?;
    dense(&m.a2, &mut o.a2)?;
    dense(&m.a3, &mut o.a3)?;
    dense(&m.c1, &mut o.c1)?;
    dense(&m.c2, &mut o.c2)?;
    Ok(o)
}

/// The forecaster as an hdrl-infer f32 model.
pub fn forecaster<B: Backend>(m: &ForecastNet<B>) -> Result<Box<Forecaster<F32>>> {
    let mut o = Box::new(Forecaster::<F32>::ZERO);
    lstm(&m.l1, &mut o.l1)?;
    lstm(&m.l2, &mut o.l2)?;
    dense(&m.d1, &mut o.d1)?;
    dense(&m.d2, &mut o.d2)?;
    Ok(o)
}

/// The three exported models as hierarchies in both precisions: the f32 one copied from burn,
/// the int8 one quantised from it by hdrl-infer (one definition of the quantisation).
pub struct Exported {
    /// f32 models and their encoder constants.
    pub f32: Box<Hierarchy<F32>>,
    /// int8 models quantised from them.
    pub int8: Box<Hierarchy<I8>>,
}

impl Exported {
    /// Store what the models were trained with (both precisions): the reward bounds, the
    /// simulator's price table (the cost a gateway's tracker then measures) and the regions'
    /// typical-day carbon (a gateway's default without a carbon API).
    pub fn set_context(&mut self, sim: &crate::sim::Sim) {
        set_context(&mut self.f32, sim);
        set_context(&mut self.int8, sim);
    }

    /// Quantise an f32 hierarchy.
    pub fn new(f: Box<Hierarchy<F32>>) -> Self {
        let mut q = Hierarchy::<I8>::boxed(Kernels::detect());
        q.quantize_from(&f);
        Self { f32: f, int8: q }
    }

    /// All three f32 models with the encoder constants they were trained with, quantised.
    pub fn all(
        dqn: Box<Dqn<F32>>,
        ppo: Box<ActorCritic<F32>>,
        lstm: Box<Forecaster<F32>>,
        encoder: EncoderConfig,
    ) -> Self {
        Self::new(hierarchy(Some(dqn), Some(ppo), Some(lstm), encoder))
    }
}

/// An f32 hierarchy holding the given models and encoder constants.
pub fn hierarchy(
    dqn: Option<Box<Dqn<F32>>>,
    ppo: Option<Box<ActorCritic<F32>>>,
    lstm: Option<Box<Forecaster<F32>>>,
    encoder: EncoderConfig,
) -> Box<Hierarchy<F32>> {
    let mut f = Hierarchy::<F32>::boxed(Kernels::detect());
    f.encoder = encoder;
    if let Some(m) = dqn {
        f.dqn = *m;
        f.mark_loaded(ModelKind::Dqn);
    }
    if let Some(m) = ppo {
        f.ppo = *m;
        f.mark_loaded(ModelKind::Ppo);
    }
    if let Some(m) = lstm {
        f.lstm = *m;
        f.mark_loaded(ModelKind::Lstm);
    }
    f
}

/// Store the reward bounds, price table and carbon profile of `sim` in a hierarchy (see
/// [`Exported::set_context`]).
pub fn set_context<P: Precision>(h: &mut Hierarchy<P>, sim: &crate::sim::Sim) {
    h.reward_bounds = sim.bounds;
    h.prices = Some(sim.data.price_table());
    h.carbon_profile = Some(sim.carbon.profile());
}

/// Provenance strings owned for the duration of a write.
#[derive(Clone, Debug, Default)]
pub struct ProvenanceInfo {
    /// Trace name.
    pub trace: String,
    /// Seed.
    pub seed: u64,
    /// Git revision.
    pub git_rev: String,
    /// Free text.
    pub note: String,
    /// Metrics (at most 16 are stored).
    pub metrics: Vec<(String, f32)>,
}

impl ProvenanceInfo {
    /// The bundle's provenance record, borrowing these strings, stamped now.
    pub fn provenance(&self) -> Provenance<'_> {
        let mut metrics = heapless::Vec::new();
        for (k, v) in self.metrics.iter().take(hdrl_infer::weights::MAX_METRICS) {
            let _ = metrics.push(Metric { name: k.as_str(), value: *v });
        }
        Provenance {
            trace: &self.trace,
            seed: self.seed,
            created_unix_s: unix_now(),
            git_rev: &self.git_rev,
            note: &self.note,
            metrics,
        }
    }
}

/// The weight file of the models among `kinds` a hierarchy holds.
///
/// # Errors
/// A kind the hierarchy does not hold.
pub fn bundle_bytes<P: Precision>(h: &Hierarchy<P>, kinds: &[ModelKind], info: &ProvenanceInfo) -> Result<Vec<u8>> {
    h.bundle_bytes(kinds, info.provenance()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The file name of a set of models in a precision: `dqn.f32.hdrl`, `bundle.int8.hdrl`, ...
pub fn file_name(kinds: &[ModelKind], quant: Quant) -> String {
    let what = if kinds.len() == ModelKind::ALL.len() { "bundle" } else { kinds.first().map_or("empty", |k| k.name()) };
    format!("{what}.{quant}.hdrl")
}

/// Write the models a pair of hierarchies holds: each alone and, when all three are there,
/// the bundle, in both precisions. Returns `models/<file>` → size in bytes.
///
/// # Errors
/// I/O.
pub fn write_models(dir: &Path, ex: &Exported, info: &ProvenanceInfo) -> Result<BTreeMap<String, u64>> {
    let mut sets: Vec<Vec<ModelKind>> = ModelKind::ALL.iter().filter(|k| ex.f32.has(**k)).map(|k| vec![*k]).collect();
    if sets.len() == ModelKind::ALL.len() {
        sets.push(ModelKind::ALL.to_vec());
    }
    let mut sizes = BTreeMap::new();
    for quant in [Quant::F32, Quant::I8] {
        for kinds in &sets {
            let bytes = match quant {
                Quant::F32 => bundle_bytes(&ex.f32, kinds, info)?,
                Quant::I8 => bundle_bytes(&ex.int8, kinds, info)?,
            };
            let name = file_name(kinds, quant);
            write_atomic(&dir.join(&name), &bytes)?;
            sizes.insert(format!("models/{name}"), bytes.len() as u64);
        }
    }
    Ok(sizes)
}
