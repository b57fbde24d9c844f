//! A straightforward f64 reference implementation of every layer and model, written from
//! the architecture description (DESIGN.md) rather than from the library's code. It reads
//! the library's public weight fields and nothing else.
#![allow(dead_code)]

use hdrl_infer::{ActorCritic, Dense, DenseI8, Dqn, Forecaster, LayerNorm, LstmLayer, Precision};

/// A linear layer in f64: either plain weights or int8 weights with per-output scales.
pub enum RefLinear {
    /// `w[i][o]`, `b[o]`.
    F { w: Vec<Vec<f64>>, b: Vec<f64> },
    /// `q[o][i]`, `s[o]`, `b[o]`; inputs are quantised per vector (max-abs / 127, round half away).
    Q { q: Vec<Vec<i32>>, s: Vec<f64>, b: Vec<f64> },
}

pub trait ToRef {
    fn to_ref(&self) -> RefLinear;
}

impl<const I: usize, const O: usize> ToRef for Dense<I, O> {
    fn to_ref(&self) -> RefLinear {
        RefLinear::F {
            w: self.w.iter().map(|r| r.iter().map(|&v| v as f64).collect()).collect(),
            b: self.b.iter().map(|&v| v as f64).collect(),
        }
    }
}

impl<const I: usize, const O: usize> ToRef for DenseI8<I, O> {
    fn to_ref(&self) -> RefLinear {
        RefLinear::Q {
            q: (0..O).map(|o| (0..I).map(|i| self.weight(o, i) as i32).collect()).collect(),
            s: self.scale.iter().map(|&v| v as f64).collect(),
            b: self.b.iter().map(|&v| v as f64).collect(),
        }
    }
}

pub fn quantise_ref(x: &[f64]) -> (Vec<i32>, f64) {
    let m = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    // Scale computed in f32, as the format defines it.
    let s = if m > 0.0 { (m as f32 / 127.0) as f64 } else { 1.0 };
    let q = x
        .iter()
        .map(|v| {
            let t = v / s;
            let r = if t >= 0.0 { (t + 0.5).trunc() } else { (t - 0.5).trunc() };
            r.clamp(-127.0, 127.0) as i32
        })
        .collect();
    (q, s)
}

impl RefLinear {
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        match self {
            RefLinear::F { w, b } => {
                (0..b.len()).map(|o| b[o] + (0..x.len()).map(|i| x[i] * w[i][o]).sum::<f64>()).collect()
            }
            RefLinear::Q { q, s, b } => {
                let (xq, sx) = quantise_ref(x);
                (0..b.len())
                    .map(|o| {
                        let acc: i64 = (0..x.len()).map(|i| q[o][i] as i64 * xq[i] as i64).sum();
                        acc as f64 * s[o] * sx + b[o]
                    })
                    .collect()
            }
        }
    }
}

pub fn layer_norm<const N: usize>(ln: &LayerNorm<N>, x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    x.iter()
        .enumerate()
        .map(|(i, v)| (v - mean) / (var + 1e-5).sqrt() * ln.gamma[i] as f64 + ln.beta[i] as f64)
        .collect()
}

pub fn relu(x: Vec<f64>) -> Vec<f64> {
    x.into_iter().map(|v| v.max(0.0)).collect()
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// One LSTM step with gates in (input, forget, output, cell) order.
pub fn lstm_step<P: Precision, const I: usize, const H: usize>(
    l: &LstmLayer<P, I, H>,
    x: &[f64],
    h: &mut [f64],
    c: &mut [f64],
) where
    P::Linear<I, H>: ToRef,
    P::Linear<H, H>: ToRef,
{
    let pre: Vec<Vec<f64>> = (0..4)
        .map(|g| {
            let a = l.x[g].to_ref().apply(x);
            let b = l.h[g].to_ref().apply(h);
            a.iter().zip(&b).map(|(p, q)| p + q).collect()
        })
        .collect();
    for j in 0..H {
        let i = sigmoid(pre[0][j]);
        let f = sigmoid(pre[1][j]);
        let o = sigmoid(pre[2][j]);
        let g = pre[3][j].tanh();
        c[j] = f * c[j] + i * g;
        h[j] = o * c[j].tanh();
    }
}

pub fn dqn<P: Precision>(m: &Dqn<P>, x: &[f64]) -> Vec<f64>
where
    P::Linear<15, 128>: ToRef,
    P::Linear<128, 64>: ToRef,
    P::Linear<8, 32>: ToRef,
    P::Linear<96, 64>: ToRef,
    P::Linear<64, 32>: ToRef,
    P::Linear<32, 3>: ToRef,
{
    let s = relu(layer_norm(&m.s1_norm, &m.s1.to_ref().apply(&x[..15])));
    let s = relu(layer_norm(&m.s2_norm, &m.s2.to_ref().apply(&s)));
    let a = relu(layer_norm(&m.a1_norm, &m.a1.to_ref().apply(&x[15..])));
    let cat: Vec<f64> = s.into_iter().chain(a).collect();
    let h = relu(m.h1.to_ref().apply(&cat));
    let h = relu(m.h2.to_ref().apply(&h));
    m.out.to_ref().apply(&h).into_iter().map(|v| v.clamp(-100.0, 100.0)).collect()
}

pub fn ppo<P: Precision>(m: &ActorCritic<P>, x: &[f64]) -> (Vec<f64>, f64)
where
    P::Linear<25, 128>: ToRef,
    P::Linear<128, 128>: ToRef,
    P::Linear<128, 64>: ToRef,
    P::Linear<64, 24>: ToRef,
    P::Linear<64, 1>: ToRef,
{
    let t = relu(layer_norm(&m.t1_norm, &m.t1.to_ref().apply(x)));
    let t = relu(layer_norm(&m.t2_norm, &m.t2.to_ref().apply(&t)));
    let a = relu(m.a1.to_ref().apply(&t));
    let a = relu(m.a2.to_ref().apply(&a));
    let logits = m.a3.to_ref().apply(&a);
    let c = relu(m.c1.to_ref().apply(&t));
    let v = m.c2.to_ref().apply(&c)[0];
    (logits, v)
}

pub fn forecaster<P: Precision>(m: &Forecaster<P>, window: &[[f64; 5]]) -> Vec<f64>
where
    P::Linear<5, 128>: ToRef,
    P::Linear<128, 128>: ToRef,
    P::Linear<128, 64>: ToRef,
    P::Linear<64, 64>: ToRef,
    P::Linear<64, 32>: ToRef,
    P::Linear<32, 3>: ToRef,
{
    let (mut h1, mut c1) = (vec![0.0; 128], vec![0.0; 128]);
    let (mut h2, mut c2) = (vec![0.0; 64], vec![0.0; 64]);
    for x in window {
        lstm_step(&m.l1, x, &mut h1, &mut c1);
        lstm_step(&m.l2, &h1.clone(), &mut h2, &mut c2);
    }
    let d = relu(m.d1.to_ref().apply(&h2));
    // Residual on the last step's first three features, clamped at zero (format v4).
    let last = &window[window.len() - 1];
    m.d2.to_ref().apply(&d).into_iter().zip(last).map(|(v, x)| (v + x).max(0.0)).collect()
}

/// Deterministic inputs in [0, 1].
pub fn inputs(seed: u64, n: usize) -> Vec<f32> {
    let mut r = hdrl_infer::rng::SplitMix64::new(seed);
    (0..n).map(|_| r.unit()).collect()
}

pub fn max_abs_diff(a: &[f32], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (*x as f64 - y).abs()).fold(0.0, f64::max)
}
