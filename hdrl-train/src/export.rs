//! burn modules → hdrl-infer models and weight files. Writes the format through hdrl-infer's
//! own types; never redefines it.

use anyhow::{Result, bail};
use burn::module::Param;
use burn::nn::{LayerNorm as BurnLayerNorm, Linear as BurnLinear, Lstm as BurnLstm};
use burn::prelude::*;
use hdrl_infer::layers::GATES;
use hdrl_infer::models::Model;
use hdrl_infer::weights::{Metric, Provenance};
use hdrl_infer::{ActorCritic, Bundle, Dense, Dqn, EncoderConfig, F32, Forecaster, I8, LayerNorm, LstmLayer};

use crate::algos::common::to_vec;
use crate::algos::dqn::QNet;
use crate::algos::lstm::ForecastNet;
use crate::algos::ppo::ActorCriticNet;

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

/// The three exported models in both precisions.
pub struct Exported {
    /// f32 DQN.
    pub dqn: Box<Dqn<F32>>,
    /// f32 actor-critic.
    pub ppo: Box<ActorCritic<F32>>,
    /// f32 forecaster.
    pub lstm: Box<Forecaster<F32>>,
    /// int8 DQN.
    pub dqn8: Box<Dqn<I8>>,
    /// int8 actor-critic.
    pub ppo8: Box<ActorCritic<I8>>,
    /// int8 forecaster.
    pub lstm8: Box<Forecaster<I8>>,
}

impl Exported {
    /// Quantise f32 models (hdrl-infer's quantisation, one definition).
    pub fn new(dqn: Box<Dqn<F32>>, ppo: Box<ActorCritic<F32>>, lstm: Box<Forecaster<F32>>) -> Self {
        let mut dqn8 = Box::new(Dqn::<I8>::ZERO);
        dqn8.quantize_from(&dqn);
        let mut ppo8 = Box::new(ActorCritic::<I8>::ZERO);
        ppo8.quantize_from(&ppo);
        let mut lstm8 = Box::new(Forecaster::<I8>::ZERO);
        lstm8.quantize_from(&lstm);
        Self { dqn, ppo, lstm, dqn8, ppo8, lstm8 }
    }
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

/// Serialise one or more models into a weight file.
pub fn bundle_bytes(enc: &EncoderConfig, info: &ProvenanceInfo, records: &[hdrl_infer::ModelRecord<'_>]) -> Result<Vec<u8>> {
    let mut metrics = heapless::Vec::new();
    for (k, v) in info.metrics.iter().take(hdrl_infer::weights::MAX_METRICS) {
        let _ = metrics.push(Metric { name: k.as_str(), value: *v });
    }
    let provenance = Provenance {
        trace: &info.trace,
        seed: info.seed,
        created_unix_s: crate::run::unix_now(),
        git_rev: &info.git_rev,
        note: &info.note,
        metrics,
    };
    let mut models = heapless::Vec::new();
    for r in records.iter().take(3) {
        let _ = models.push(r.clone());
    }
    Bundle { provenance, encoder: *enc, models }.to_bytes().map_err(|e| anyhow::anyhow!("{e}"))
}

/// The record of one model (payload owned by the caller).
pub fn record<M: Model>(payload: &[u8]) -> hdrl_infer::ModelRecord<'_> {
    M::record(payload)
}
