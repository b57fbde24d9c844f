//! Where does the int8 DQN decide differently from the f32 one? On the test days' strategic
//! inputs (every function-day with traffic, every provider context, as the report's
//! agreement), this compares the f32 DQN with: the int8 DQN; and f32 DQNs in which one layer
//! (or all) carries the int8 model's weights, dequantised (weights rounded, activations
//! exact). It also bins the disagreements by the f32 DQN's margin (best minus second Q-value)
//! and prices them with the planner's day rewards of the chosen providers.
//!
//! `cargo run --release -p hdrl-train --example int8_check -- MODELS_DIR` (a run's
//! `seed-N/models`, trained on the default trace).

// Small dense linear algebra (inverse, Cholesky, GPTQ) reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use hdrl_infer::features::{STRATEGIC_INPUT, STRATEGIC_STATS_INPUT};
use hdrl_infer::layers::{Dense, DenseI8, Linear};
use hdrl_infer::math::relu_slice;
use hdrl_infer::models::Q_BOUND;
use hdrl_infer::quant::{quantize, scale_for};
use hdrl_infer::{AnyHierarchy, F32, Hierarchy, I8, Provider};
use hdrl_train::data::synth::generate;
use hdrl_train::evaluate::suite::context;
use hdrl_train::sim::Scenario;

/// `d` with the weights of `q`, dequantised.
fn dequantised<const I: usize, const O: usize>(d: &mut Dense<I, O>, q: &DenseI8<I, O>) {
    for (i, row) in d.w.iter_mut().enumerate() {
        for (o, w) in row.iter_mut().enumerate() {
            *w = f32::from(q.weight(o, i)) * q.scale[o];
        }
    }
}

/// Largest |weight| of output channel `o`.
fn channel_max<const I: usize, const O: usize>(d: &Dense<I, O>, o: usize) -> f32 {
    d.w.iter().map(|r| r[o].abs()).fold(0.0f32, f32::max)
}

/// `v` rounded to int8 with scale `s` (hdrl-infer's rounding), back in f32.
fn rounded(v: f32, s: f32) -> f32 {
    f32::from(quantize(v, s)) * s
}

/// `d`'s weights rounded to int8 with, per output channel, the scale among
/// `max|w| / 127 · α` (α from 1 down to 0.3) with the least squared rounding and clipping error.
fn mse_rounded<const I: usize, const O: usize>(d: &mut Dense<I, O>) {
    for o in 0..O {
        let m = channel_max(d, o);
        if m == 0.0 {
            continue;
        }
        let err = |s: f32| -> f32 { d.w.iter().map(|r| (r[o] - rounded(r[o], s)).powi(2)).sum() };
        let s = (30..=100)
            .map(|k| scale_for(m) * k as f32 / 100.0)
            .min_by(|x, y| err(*x).total_cmp(&err(*y)))
            .unwrap_or(scale_for(m));
        for r in d.w.iter_mut() {
            r[o] = rounded(r[o], s);
        }
    }
}

/// Every linear layer's input over `xs` (encoded strategic inputs), through the DQN `m`:
/// `[s1, s2, a1, h1, h2, out]`. The steps of [`hdrl_infer::Dqn::forward`], written out to
/// keep the intermediate vectors; checked against it on every input.
fn layer_inputs<P: hdrl_infer::Precision>(m: &hdrl_infer::Dqn<P>, xs: &[[f32; STRATEGIC_INPUT]]) -> [Vec<Vec<f32>>; 6] {
    let k = hdrl_infer::Kernels::detect();
    let mut out: [Vec<Vec<f32>>; 6] = Default::default();
    for x in xs {
        let (s_in, a_in) = x.split_at(STRATEGIC_STATS_INPUT);
        let (s_in, a_in): ([f32; STRATEGIC_STATS_INPUT], [f32; STRATEGIC_INPUT - STRATEGIC_STATS_INPUT]) =
            (s_in.try_into().unwrap(), a_in.try_into().unwrap());
        let mut s1 = [0.0; 128];
        m.s1.forward(&k, &s_in, &mut s1);
        m.s1_norm.forward(&mut s1);
        relu_slice(&mut s1);
        let mut s2 = [0.0; 64];
        m.s2.forward(&k, &s1, &mut s2);
        m.s2_norm.forward(&mut s2);
        relu_slice(&mut s2);
        let mut a1 = [0.0; 32];
        m.a1.forward(&k, &a_in, &mut a1);
        m.a1_norm.forward(&mut a1);
        relu_slice(&mut a1);
        let mut cat = [0.0; 96];
        cat[..64].copy_from_slice(&s2);
        cat[64..].copy_from_slice(&a1);
        let mut h1 = [0.0; 64];
        m.h1.forward(&k, &cat, &mut h1);
        relu_slice(&mut h1);
        let mut h2 = [0.0; 32];
        m.h2.forward(&k, &h1, &mut h2);
        relu_slice(&mut h2);
        let (mut q, mut q_model) = ([0.0; 3], [0.0; 3]);
        m.out.forward(&k, &h2, &mut q);
        m.forward(&k, x, &mut q_model).unwrap();
        assert!(
            q.iter().zip(q_model).all(|(a, b)| a.clamp(-Q_BOUND, Q_BOUND) == b),
            "the written-out pass drifted from Dqn::forward"
        );
        for (v, layer) in [&s_in[..], &s1, &a_in, &cat, &h1, &h2].into_iter().zip(out.iter_mut()) {
            layer.push(v.to_vec());
        }
    }
    out
}

/// GPTQ (Frantar et al., 2023) rounding of `d`'s weights to int8 with the max-abs scale per
/// output channel: inputs are rounded one at a time and each rounding error is spread over
/// the inputs not yet rounded, weighted by the inverse of the inputs' second moments `xs`, so
/// the layer's outputs on such inputs move as little as possible.
fn gptq<const I: usize, const O: usize>(d: &mut Dense<I, O>, xs: &[Vec<f32>]) {
    // H = E[x xᵀ] + damping.
    let mut h = vec![vec![0.0f64; I]; I];
    for x in xs {
        for i in 0..I {
            for j in 0..I {
                h[i][j] += f64::from(x[i]) * f64::from(x[j]);
            }
        }
    }
    let mean_diag = (0..I).map(|i| h[i][i]).sum::<f64>() / I as f64 / xs.len() as f64;
    for (i, row) in h.iter_mut().enumerate() {
        for v in row.iter_mut() {
            *v /= xs.len() as f64;
        }
        row[i] += 0.01 * mean_diag.max(1e-12);
    }
    // H⁻¹ by Gauss-Jordan.
    let mut inv = vec![vec![0.0f64; I]; I];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for c in 0..I {
        let p = h[c][c];
        for j in 0..I {
            h[c][j] /= p;
            inv[c][j] /= p;
        }
        for r in 0..I {
            if r != c {
                let f = h[r][c];
                if f != 0.0 {
                    for j in 0..I {
                        h[r][j] -= f * h[c][j];
                        inv[r][j] -= f * inv[c][j];
                    }
                }
            }
        }
    }
    // Upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U), as GPTQ uses it.
    let mut u = vec![vec![0.0f64; I]; I];
    for i in 0..I {
        for j in i..I {
            let mut s = inv[i][j];
            for k in 0..i {
                s -= u[k][i] * u[k][j];
            }
            u[i][j] = if i == j { s.max(1e-18).sqrt() } else { s / u[i][i] };
        }
    }
    for o in 0..O {
        let m = channel_max(d, o);
        if m == 0.0 {
            continue;
        }
        let s = scale_for(m);
        let mut w: Vec<f64> = (0..I).map(|i| f64::from(d.w[i][o])).collect();
        for i in 0..I {
            let q = f64::from(rounded(w[i] as f32, s));
            let err = (w[i] - q) / u[i][i];
            w[i] = q;
            for j in i + 1..I {
                w[j] -= err * u[i][j];
            }
        }
        for i in 0..I {
            d.w[i][o] = w[i] as f32;
        }
    }
}

/// max |w| over the root mean square of w, averaged over the output channels.
fn peak_to_rms<const I: usize, const O: usize>(d: &Dense<I, O>) -> f32 {
    (0..O)
        .map(|o| {
            let m = channel_max(d, o);
            let rms = (d.w.iter().map(|r| r[o] * r[o]).sum::<f32>() / I as f32).sqrt();
            m / rms.max(1e-12)
        })
        .sum::<f32>()
        / O as f32
}

/// A name and how to change an f32 hierarchy, given the int8 one.
type Variant = (&'static str, fn(&mut Hierarchy<F32>, &Hierarchy<I8>));

fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: int8_check MODELS_DIR"))?;
    let dir = std::path::Path::new(&dir);
    let f32_bytes = std::fs::read(dir.join("bundle.f32.hdrl"))?;
    let a = Hierarchy::<F32>::load(&f32_bytes).map_err(|e| anyhow::anyhow!("f32 bundle: {e}"))?;
    let int8_bytes = std::fs::read(dir.join("bundle.int8.hdrl"))?;
    let load_int8 = || Hierarchy::<I8>::load(&int8_bytes).map_err(|e| anyhow::anyhow!("int8 bundle: {e}"));
    let b = load_int8()?;
    let sc = Scenario::new(generate(42, 1.0))?;
    let ctx = context(&sc);
    let tab = &sc.tab;
    let planned = sc.estimates().planned_day_rewards(&sc.sim, tab);

    // Calibration inputs: the train days' strategic inputs, every provider context.
    let mut xs = Vec::new();
    for (f, prof) in tab.profiles.iter().enumerate() {
        let app = prof.app_context();
        for d in sc.split.train.0..sc.split.train.1 {
            if tab.day[f][d][0].totals.n == 0 {
                continue;
            }
            let c = tab.carbon_obs(&sc.sim, d * 24);
            for p in Provider::ALL {
                let x = a.encoder.encode_strategic(&tab.strategic_obs(f, d, p), &app, &c);
                xs.push(x.map_err(|e| anyhow::anyhow!("{e}"))?);
            }
        }
    }
    let cal = layer_inputs(&a.dqn, &xs);
    let gptq_all = |m: &mut Hierarchy<F32>| {
        gptq(&mut m.dqn.s1, &cal[0]);
        gptq(&mut m.dqn.s2, &cal[1]);
        gptq(&mut m.dqn.a1, &cal[2]);
        gptq(&mut m.dqn.h1, &cal[3]);
        gptq(&mut m.dqn.h2, &cal[4]);
        gptq(&mut m.dqn.out, &cal[5]);
    };
    let q = &a.dqn;
    println!(
        "peak/rms per channel: s1 {:.1} s2 {:.1} a1 {:.1} h1 {:.1} h2 {:.1} out {:.1}",
        peak_to_rms(&q.s1),
        peak_to_rms(&q.s2),
        peak_to_rms(&q.a1),
        peak_to_rms(&q.h1),
        peak_to_rms(&q.h2),
        peak_to_rms(&q.out)
    );
    let variants: [Variant; 9] = [
        ("s1 (15→128) weights", |a, b| dequantised(&mut a.dqn.s1, &b.dqn.s1)),
        ("s2 (128→64) weights", |a, b| dequantised(&mut a.dqn.s2, &b.dqn.s2)),
        ("a1 (8→32) weights", |a, b| dequantised(&mut a.dqn.a1, &b.dqn.a1)),
        ("h1 (96→64) weights", |a, b| dequantised(&mut a.dqn.h1, &b.dqn.h1)),
        ("h2 (64→32) weights", |a, b| dequantised(&mut a.dqn.h2, &b.dqn.h2)),
        ("out (32→3) weights", |a, b| dequantised(&mut a.dqn.out, &b.dqn.out)),
        ("all weights", |a, b| {
            dequantised(&mut a.dqn.s1, &b.dqn.s1);
            dequantised(&mut a.dqn.s2, &b.dqn.s2);
            dequantised(&mut a.dqn.a1, &b.dqn.a1);
            dequantised(&mut a.dqn.h1, &b.dqn.h1);
            dequantised(&mut a.dqn.h2, &b.dqn.h2);
            dequantised(&mut a.dqn.out, &b.dqn.out);
        }),
        ("h2 (64→32) weights, MSE scales,", |a, _| mse_rounded(&mut a.dqn.h2)),
        ("all weights, MSE scales,", |a, _| {
            mse_rounded(&mut a.dqn.s1);
            mse_rounded(&mut a.dqn.s2);
            mse_rounded(&mut a.dqn.a1);
            mse_rounded(&mut a.dqn.h1);
            mse_rounded(&mut a.dqn.h2);
            mse_rounded(&mut a.dqn.out);
        }),
    ];
    let mut models: Vec<(String, AnyHierarchy)> = Vec::new();
    for (name, apply) in variants {
        let mut m = Hierarchy::<F32>::load(&f32_bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        apply(&mut m, &b);
        models.push((format!("f32, {name} int8"), AnyHierarchy::F32(m)));
    }

    let mut g = Hierarchy::<F32>::load(&f32_bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    gptq_all(&mut g);
    // Those values in an int8 model (re-quantised with max-abs scales: where GPTQ's
    // compensation lowered a channel's largest weight, the scale shrinks with it).
    let mut gi = load_int8()?;
    gi.dqn.quantize_from(&g.dqn);
    models.push(("f32, all weights GPTQ int8".into(), AnyHierarchy::F32(g)));
    models.push(("int8, GPTQ-rounded weights".into(), AnyHierarchy::I8(gi)));
    // Sequential GPTQ: each layer calibrated on the inputs the int8 model (with the layers
    // before it already rounded) gives it.
    let mut gs = load_int8()?;
    {
        use hdrl_infer::Part;
        let mut w = Hierarchy::<F32>::load(&f32_bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        macro_rules! round_layer {
            ($layer:ident, $k:expr) => {
                gptq(&mut w.dqn.$layer, &layer_inputs(&gs.dqn, &xs)[$k]);
                gs.dqn.$layer.quantize_from(&w.dqn.$layer);
            };
        }
        round_layer!(s1, 0);
        round_layer!(s2, 1);
        round_layer!(a1, 2);
        round_layer!(h1, 3);
        round_layer!(h2, 4);
        round_layer!(out, 5);
    }
    models.push(("int8, sequential GPTQ".into(), AnyHierarchy::I8(gs)));
    let (mut spreads, mut margins) = (Vec::new(), Vec::new());
    // Margin bins of the f32 Q-values (best minus second best).
    let edges = [1e-3f32, 3e-3, 1e-2, 3e-2, f32::INFINITY];
    let mut bins = [(0usize, 0usize, 0.0f64); 5]; // (n, int8 differs, planner reward lost)
    let mut same = vec![0usize; models.len()];
    let mut n = 0usize;
    for (f, prof) in tab.profiles.iter().enumerate() {
        let app = prof.app_context();
        for d in ctx.hours.0 / 24..ctx.hours.1.div_ceil(24) {
            if tab.day[f][d][0].totals.n == 0 {
                continue;
            }
            let c = tab.carbon_obs(&sc.sim, d * 24);
            for p in Provider::ALL {
                let s = tab.strategic_obs(f, d, p);
                let (pa, q) = a.choose_provider(&s, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?;
                let (pb, _) = b.choose_provider(&s, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?;
                let mut sorted = q;
                sorted.sort_by(|x, y| y.total_cmp(x));
                let margin = sorted[0] - sorted[1];
                spreads.push(sorted[0] - sorted[2]);
                margins.push(margin);
                let k = edges.iter().position(|&e| margin < e).unwrap_or(edges.len() - 1);
                bins[k].0 += 1;
                if pa != pb {
                    bins[k].1 += 1;
                    bins[k].2 += f64::from(planned[f][d][pa as usize] - planned[f][d][pb as usize]);
                }
                for (i, (_, m)) in models.iter().enumerate() {
                    same[i] +=
                        usize::from(m.choose_provider(&s, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?.0 == pa);
                }
                n += 1;
            }
        }
    }
    let differ: usize = bins.iter().map(|b| b.1).sum();
    println!("{n} decisions; int8 DQN agrees on {:.2} %", 100.0 * (n - differ) as f64 / n as f64);
    for (name, s) in models.iter().map(|m| &m.0).zip(&same) {
        println!("  {name:36} agrees on {:.2} %", 100.0 * *s as f64 / n as f64);
    }
    let median = |v: &mut Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "f32 Q-values: median best-minus-worst {:.4}, median best-minus-second {:.4}",
        median(&mut spreads),
        median(&mut margins)
    );
    println!("f32 margin bin | decisions | int8 differs | planner day reward lost per differing decision");
    let mut lo = 0.0;
    for (e, (k, diff, lost)) in edges.iter().zip(bins) {
        println!("[{lo:.0e}, {e:.0e}) | {k} | {diff} | {:.5}", lost / diff.max(1) as f64);
        lo = *e;
    }
    Ok(())
}
