//! ONNX export of the three f32 networks (opset 17, IR version 8), built from hdrl-infer's
//! models so that an ONNX runtime computes what hdrl-infer computes, weight for weight.
//!
//! | file | input | outputs |
//! |---|---|---|
//! | `dqn.onnx` | `observation` `[batch, 23]` | `q_values` `[batch, 3]` (AWS, Azure, GCP; clipped to ±100) |
//! | `ppo.onnx` | `observation` `[batch, 25]` | `logits` `[batch, 24]` (region rank × memory tier, unmasked), `value` `[batch, 1]` |
//! | `lstm.onnx` | `window` `[batch, 12, 5]` (oldest step first) | `forecast` `[batch, 3]` (rate, memory, CPU) |
//!
//! Inputs are *encoded* observations (hdrl-infer's encoders: `hdrl_encode_*` in C,
//! `EncoderConfig` in Rust) and the forecast is in encoder units
//! (`EncoderConfig::decode_forecast`); masking the PPO's invalid memory tiers and picking
//! actions stay with the caller, as in `hdrl decide`. `examples.json` next to the models holds
//! seeded inputs and hdrl-infer's outputs for each model, to check any runtime against.

use std::path::Path;

use anyhow::Result;
use hdrl_infer::layers::LAYER_NORM_EPS;
use hdrl_infer::rng::SplitMix64;
use hdrl_infer::{ActorCritic, Dense, Dqn, F32, Forecaster, Hierarchy, Kernels, LayerNorm, LstmLayer};
use serde::Serialize;

use crate::output::files::{write_atomic, write_json};
use crate::output::protobuf::Message;

/// ONNX IR version written (ONNX 1.10 and later read it).
pub const IR_VERSION: i64 = 8;
/// Opset of the default domain.
pub const OPSET: i64 = 17;

/// TensorProto data types.
const FLOAT: i64 = 1;
const INT64: i64 = 7;

/// One dimension of a graph input or output.
#[derive(Clone, Copy)]
enum Dim {
    /// Any batch size (`dim_param` "batch").
    Batch,
    Fixed(i64),
}

/// A graph under construction.
struct Graph {
    nodes: Vec<Message>,
    inits: Vec<Message>,
    inputs: Vec<Message>,
    outputs: Vec<Message>,
    /// Names defined so far (graph inputs, initializers, node outputs), in order.
    defined: Vec<String>,
    /// Names read before they were defined, and declared outputs never produced.
    undefined: Vec<String>,
}

enum Attr<'a> {
    Int(&'a str, i64),
    Float(&'a str, f32),
    Ints(&'a str, &'a [i64]),
}

fn value_info(name: &str, dims: &[Dim]) -> Message {
    let mut shape = Message::new();
    for d in dims {
        let mut dim = Message::new();
        match d {
            Dim::Batch => dim.string(2, "batch"),
            Dim::Fixed(v) => dim.int(1, *v),
        };
        shape.message(1, &dim);
    }
    let mut tensor = Message::new();
    tensor.int(1, FLOAT).message(2, &shape);
    let mut ty = Message::new();
    ty.message(1, &tensor);
    let mut vi = Message::new();
    vi.string(1, name).message(2, &ty);
    vi
}

impl Graph {
    fn new() -> Self {
        Self {
            nodes: Vec::new(),
            inits: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            defined: Vec::new(),
            undefined: Vec::new(),
        }
    }

    fn define(&mut self, name: &str) {
        if !name.is_empty() {
            self.defined.push(name.to_string());
        }
    }

    fn require(&mut self, name: &str) {
        if !self.defined.iter().any(|d| d == name) {
            self.undefined.push(name.to_string());
        }
    }

    fn input(&mut self, name: &str, dims: &[Dim]) {
        self.define(name);
        self.inputs.push(value_info(name, dims));
    }

    fn output(&mut self, name: &str, dims: &[Dim]) {
        self.require(name);
        self.outputs.push(value_info(name, dims));
    }

    fn tensor(&mut self, name: &str, dims: &[i64], ty: i64, raw: &[u8]) -> String {
        let mut t = Message::new();
        for &d in dims {
            t.int(1, d);
        }
        t.int(2, ty).string(8, name).bytes_field(9, raw);
        self.inits.push(t);
        self.define(name);
        name.to_string()
    }

    fn floats(&mut self, name: &str, dims: &[i64], v: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<i64>() as usize, v.len());
        let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.tensor(name, dims, FLOAT, &raw)
    }

    fn ints(&mut self, name: &str, v: &[i64]) -> String {
        let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.tensor(name, &[v.len() as i64], INT64, &raw)
    }

    /// Add a node; its outputs are named `{name}` (one) or `{name}_{k}` (several, "" skipped).
    fn node(&mut self, op: &str, name: &str, inputs: &[&str], outputs: &[&str], attrs: &[Attr<'_>]) {
        let mut n = Message::new();
        for i in inputs {
            self.require(i);
            n.string(1, i);
        }
        for o in outputs {
            self.define(o);
            n.string(2, o);
        }
        n.string(3, name).string(4, op);
        for a in attrs {
            let mut m = Message::new();
            match a {
                Attr::Int(k, v) => m.string(1, k).int(3, *v).int(20, 2),
                Attr::Float(k, v) => m.string(1, k).float(2, *v).int(20, 1),
                Attr::Ints(k, v) => {
                    m.string(1, k);
                    for x in v.iter() {
                        m.int(8, *x);
                    }
                    m.int(20, 7)
                }
            };
            n.message(5, &m);
        }
        self.nodes.push(n);
    }

    /// `y = x · W + b` (hdrl-infer's `Dense` stores `W` as `[in][out]`, Gemm's `B` layout).
    fn dense<const I: usize, const O: usize>(&mut self, x: &str, name: &str, d: &Dense<I, O>) -> String {
        let w = self.floats(&format!("{name}.weight"), &[I as i64, O as i64], d.w.as_flattened());
        let b = self.floats(&format!("{name}.bias"), &[O as i64], &d.b);
        self.node("Gemm", name, &[x, &w, &b], &[name], &[]);
        name.to_string()
    }

    fn layer_norm<const N: usize>(&mut self, x: &str, name: &str, ln: &LayerNorm<N>) -> String {
        let g = self.floats(&format!("{name}.gamma"), &[N as i64], &ln.gamma);
        let b = self.floats(&format!("{name}.beta"), &[N as i64], &ln.beta);
        self.node(
            "LayerNormalization",
            name,
            &[x, &g, &b],
            &[name],
            &[Attr::Int("axis", -1), Attr::Float("epsilon", LAYER_NORM_EPS)],
        );
        name.to_string()
    }

    fn relu(&mut self, x: &str) -> String {
        let y = format!("{x}.relu");
        self.node("Relu", &y, &[x], &[&y], &[]);
        y
    }

    /// Dense, LayerNorm, ReLU: the DQN's and the PPO trunk's block.
    fn block<const I: usize, const O: usize>(
        &mut self,
        x: &str,
        name: &str,
        d: &Dense<I, O>,
        ln: &LayerNorm<O>,
    ) -> String {
        let y = self.dense(x, name, d);
        let y = self.layer_norm(&y, &format!("{name}_norm"), ln);
        self.relu(&y)
    }

    /// An ONNX LSTM over `x` (`[seq, batch, I]`), hidden size `H`; returns (Y, Y_h) names.
    /// hdrl-infer's gates are (input, forget, output, cell), each with an input and a hidden
    /// transform and a bias on both; ONNX wants W `[1, 4H, I]`, R `[1, 4H, H]` in (i, o, f, c)
    /// order, rows per hidden unit, and B `[1, 8H]` = input biases then hidden biases.
    fn lstm<const I: usize, const H: usize>(
        &mut self,
        x: &str,
        name: &str,
        l: &LstmLayer<F32, I, H>,
    ) -> (String, String) {
        const ONNX_ORDER: [usize; 4] = [0, 2, 1, 3]; // i, o, f, c from (i, f, o, c)
        let rows = |d: &dyn Fn(usize, usize) -> f32, n_in: usize, out: &mut Vec<f32>| {
            for h in 0..H {
                for i in 0..n_in {
                    out.push(d(i, h));
                }
            }
        };
        let (mut w, mut r, mut bw, mut br) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for g in ONNX_ORDER {
            rows(&|i, h| l.x[g].w[i][h], I, &mut w);
            rows(&|i, h| l.h[g].w[i][h], H, &mut r);
            bw.extend_from_slice(&l.x[g].b);
            br.extend_from_slice(&l.h[g].b);
        }
        bw.extend_from_slice(&br);
        let (h4, h8) = (4 * H as i64, 8 * H as i64);
        let w = self.floats(&format!("{name}.W"), &[1, h4, I as i64], &w);
        let r = self.floats(&format!("{name}.R"), &[1, h4, H as i64], &r);
        let b = self.floats(&format!("{name}.B"), &[1, h8], &bw);
        let (y, yh) = (format!("{name}.Y"), format!("{name}.Y_h"));
        self.node("LSTM", name, &[x, &w, &r, &b], &[&y, &yh], &[Attr::Int("hidden_size", H as i64)]);
        (y, yh)
    }

    fn squeeze(&mut self, x: &str, axis: i64) -> String {
        let y = format!("{x}.squeezed");
        let axes = self.ints(&format!("{y}.axes"), &[axis]);
        self.node("Squeeze", &y, &[x, &axes], &[&y], &[]);
        y
    }

    /// The serialised model; an error names any tensor read before it is defined (or an output
    /// never produced), which a runtime would reject.
    fn model(self, graph_name: &str, doc: &str) -> Result<Vec<u8>> {
        if !self.undefined.is_empty() {
            anyhow::bail!("{graph_name}: undefined tensors {:?}", self.undefined);
        }
        let mut g = Message::new();
        for n in &self.nodes {
            g.message(1, n);
        }
        g.string(2, graph_name);
        for t in &self.inits {
            g.message(5, t);
        }
        g.string(10, doc);
        for i in &self.inputs {
            g.message(11, i);
        }
        for o in &self.outputs {
            g.message(12, o);
        }
        let mut opset = Message::new();
        opset.string(1, "").int(2, OPSET);
        let mut m = Message::new();
        m.int(1, IR_VERSION).string(2, "hdrl").string(3, env!("CARGO_PKG_VERSION")).message(7, &g).message(8, &opset);
        Ok(m.bytes().to_vec())
    }
}

/// `[batch, from..to]` of a 2-D input.
fn slice_cols(g: &mut Graph, x: &str, name: &str, from: i64, to: i64) -> String {
    let s = g.ints(&format!("{name}.starts"), &[from]);
    let e = g.ints(&format!("{name}.ends"), &[to]);
    let a = g.ints(&format!("{name}.axes"), &[1]);
    g.node("Slice", name, &[x, &s, &e, &a], &[name], &[]);
    name.to_string()
}

/// The strategic DQN as ONNX.
///
/// # Errors
/// A graph that reads an undefined tensor (a bug here).
pub fn dqn(m: &Dqn<F32>) -> Result<Vec<u8>> {
    let mut g = Graph::new();
    g.input("observation", &[Dim::Batch, Dim::Fixed(23)]);
    let s_in = slice_cols(&mut g, "observation", "stats", 0, 15);
    let a_in = slice_cols(&mut g, "observation", "app", 15, 23);
    let s = g.block(&s_in, "s1", &m.s1, &m.s1_norm);
    let s = g.block(&s, "s2", &m.s2, &m.s2_norm);
    let a = g.block(&a_in, "a1", &m.a1, &m.a1_norm);
    g.node("Concat", "codes", &[&s, &a], &["codes"], &[Attr::Int("axis", 1)]);
    let h = g.dense("codes", "h1", &m.h1);
    let h = g.relu(&h);
    let h = g.dense(&h, "h2", &m.h2);
    let h = g.relu(&h);
    let q = g.dense(&h, "out", &m.out);
    let bound = hdrl_infer::models::Q_BOUND;
    let lo = g.floats("q_min", &[], &[-bound]);
    let hi = g.floats("q_max", &[], &[bound]);
    g.node("Clip", "q_values", &[&q, &lo, &hi], &["q_values"], &[]);
    g.output("q_values", &[Dim::Batch, Dim::Fixed(3)]);
    g.model("hdrl_strategic_dqn", "hdrl strategic DQN: encoded observation (23) -> Q-values of AWS, Azure, GCP")
}

/// The tactical actor-critic as ONNX (one trunk, both heads).
///
/// # Errors
/// A graph that reads an undefined tensor (a bug here).
pub fn ppo(m: &ActorCritic<F32>) -> Result<Vec<u8>> {
    let mut g = Graph::new();
    g.input("observation", &[Dim::Batch, Dim::Fixed(25)]);
    let t = g.block("observation", "t1", &m.t1, &m.t1_norm);
    let t = g.block(&t, "t2", &m.t2, &m.t2_norm);
    let a = g.dense(&t, "a1", &m.a1);
    let a = g.relu(&a);
    let a = g.dense(&a, "a2", &m.a2);
    let a = g.relu(&a);
    let a = g.dense(&a, "a3", &m.a3);
    g.node("Identity", "logits", &[&a], &["logits"], &[]);
    let c = g.dense(&t, "c1", &m.c1);
    let c = g.relu(&c);
    let c = g.dense(&c, "c2", &m.c2);
    g.node("Identity", "value", &[&c], &["value"], &[]);
    g.output("logits", &[Dim::Batch, Dim::Fixed(24)]);
    g.output("value", &[Dim::Batch, Dim::Fixed(1)]);
    g.model("hdrl_tactical_ppo", "hdrl tactical actor-critic: encoded observation (25) -> 24 logits and a value")
}

/// The operational forecaster as ONNX.
///
/// # Errors
/// A graph that reads an undefined tensor (a bug here).
pub fn forecaster(m: &Forecaster<F32>) -> Result<Vec<u8>> {
    let mut g = Graph::new();
    g.input("window", &[Dim::Batch, Dim::Fixed(12), Dim::Fixed(5)]);
    // ONNX's LSTM reads [seq, batch, input] (layout 1, batch first, is not in every runtime).
    g.node("Transpose", "steps", &["window"], &["steps"], &[Attr::Ints("perm", &[1, 0, 2])]);
    let (y1, _) = g.lstm("steps", "l1", &m.l1);
    let y1 = g.squeeze(&y1, 1); // [seq, 1 direction, batch, H] -> [seq, batch, H]
    let (_, h2) = g.lstm(&y1, "l2", &m.l2);
    let h2 = g.squeeze(&h2, 0); // [1 direction, batch, H] -> [batch, H]
    let d = g.dense(&h2, "d1", &m.d1);
    let d = g.relu(&d);
    let d = g.dense(&d, "d2", &m.d2);
    // Residual on the last step's (rate, memory, CPU), clamped at zero.
    let s = g.ints("last.starts", &[11, 0]);
    let e = g.ints("last.ends", &[12, 3]);
    let a = g.ints("last.axes", &[1, 2]);
    g.node("Slice", "last", &["window", &s, &e, &a], &["last"], &[]);
    let last = g.squeeze("last", 1);
    g.node("Add", "change_plus_last", &[&d, &last], &["change_plus_last"], &[]);
    g.node("Relu", "forecast", &["change_plus_last"], &["forecast"], &[]);
    g.output("forecast", &[Dim::Batch, Dim::Fixed(3)]);
    g.model(
        "hdrl_operational_lstm",
        "hdrl operational LSTM: 12 encoded 15-s steps x 5 features -> next step (rate, memory, CPU), encoder units",
    )
}

/// Seeded inputs and hdrl-infer's outputs for one model.
#[derive(Serialize)]
struct Examples {
    inputs: Vec<Vec<f32>>,
    outputs: Vec<Vec<f32>>,
}

/// `examples.json`: per model, its input and output names with seeded inputs and outputs.
#[derive(Serialize)]
struct AllExamples {
    dqn: Examples,
    ppo: Examples,
    lstm: Examples,
}

/// Inputs per model in `examples.json`.
pub const EXAMPLES: usize = 16;

fn examples(h: &Hierarchy<F32>, k: &Kernels) -> Result<AllExamples> {
    let mut rng = SplitMix64::new(0x0ADD_0A11);
    let err = |e: hdrl_infer::InferError| anyhow::anyhow!("{e}");
    let (mut dqn, mut ppo, mut lstm) = (Vec::new(), Vec::new(), Vec::new());
    let mut ex = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.unit()).collect() };
    for _ in 0..EXAMPLES {
        let x = ex(23);
        let mut q = [0.0; 3];
        h.dqn.forward(k, x.as_slice().try_into()?, &mut q).map_err(err)?;
        dqn.push((x, q.to_vec()));
        let x = ex(25);
        let mut l = [0.0; 24];
        let v = h.ppo.forward(k, x.as_slice().try_into()?, &mut l).map_err(err)?;
        let mut o = l.to_vec();
        o.push(v);
        ppo.push((x, o));
        let x = ex(60);
        let mut w = [[0.0f32; 5]; 12];
        for (s, c) in w.iter_mut().zip(x.chunks(5)) {
            s.copy_from_slice(c);
        }
        let mut y = [0.0; 3];
        h.lstm.forward(k, &w, &mut y).map_err(err)?;
        lstm.push((x, y.to_vec()));
    }
    let split = |v: Vec<(Vec<f32>, Vec<f32>)>| {
        let (inputs, outputs) = v.into_iter().unzip();
        Examples { inputs, outputs }
    };
    Ok(AllExamples { dqn: split(dqn), ppo: split(ppo), lstm: split(lstm) })
}

/// Write `dqn.onnx`, `ppo.onnx`, `lstm.onnx` and `examples.json` (computed with the generic
/// kernels, the oracle the SIMD ones are tested against) into `dir`.
///
/// # Errors
/// I/O, or a model that gives non-finite outputs on the examples.
pub fn write_all(h: &Hierarchy<F32>, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files = [("dqn.onnx", dqn(&h.dqn)?), ("ppo.onnx", ppo(&h.ppo)?), ("lstm.onnx", forecaster(&h.lstm)?)];
    let mut out = Vec::new();
    for (name, bytes) in files {
        let p = dir.join(name);
        write_atomic(&p, &bytes)?;
        out.push(p);
    }
    let p = dir.join("examples.json");
    write_json(&p, &examples(h, &Kernels::generic())?)?;
    out.push(p);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_define_every_tensor_they_read_and_carry_the_weights() {
        let m = hdrl_infer::fixtures::f32_models(3);
        let sizes = [dqn(&m.dqn).unwrap().len(), ppo(&m.ppo).unwrap().len(), forecaster(&m.lstm).unwrap().len()];
        // Every f32 weight is in the file (hdrl-infer's payload holds the same numbers).
        use hdrl_infer::Model;
        for (n, w) in sizes.iter().zip([
            Dqn::<F32>::PAYLOAD_BYTES,
            ActorCritic::<F32>::PAYLOAD_BYTES,
            Forecaster::<F32>::PAYLOAD_BYTES,
        ]) {
            assert!(*n >= w && *n < w + 8 * 1024, "{n} bytes for a {w}-byte payload");
        }
        // A graph reading a tensor nobody defines is an error, not a file.
        let mut g = Graph::new();
        g.input("x", &[Dim::Batch, Dim::Fixed(2)]);
        g.node("Relu", "y", &["nope"], &["y"], &[]);
        g.output("y", &[Dim::Batch, Dim::Fixed(2)]);
        let e = g.model("bad", "").unwrap_err().to_string();
        assert!(e.contains("nope"), "{e}");
        let mut g = Graph::new();
        g.input("x", &[Dim::Batch]);
        g.output("never", &[Dim::Batch]);
        assert!(g.model("bad", "").is_err());
    }
}
