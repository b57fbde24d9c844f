//! Operational layer: the LSTM load forecaster, trained supervised with the MSE of its point
//! forecast, the request rate's error counted in requests/s (the units RMSE and Little's law
//! use). The asymmetric MSE, where under-prediction costs `under_weight` times more, stays
//! available: its 5× default biased the forecast upwards, see docs/decision-quality.md §7–8.
//! Config, network, window sampling and loop in one file.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::module::AutodiffModule;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Lstm, LstmConfig};
use burn::optim::{AdamConfig, Optimizer};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::features::{OPERATIONAL_FEATURES, WINDOW};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::common::{derived_rng, finite_step, load_checkpoint, materialize, save_checkpoint, to_vec};
use crate::data::windows::{WindowSet, WindowSource, sample};
use crate::output::progress::Progress;

/// LSTM hyper-parameters (defaults from the research; all overridable from a config file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct ForecastConfig {
    /// Adam learning rate (initial).
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Reduce-on-plateau factor.
    pub plateau_factor: f64,
    /// Epochs without validation improvement before the learning rate drops.
    pub plateau_patience: usize,
    /// Epochs without validation improvement before training stops.
    pub early_stop_patience: usize,
    /// Maximum epochs.
    pub max_epochs: usize,
    /// Minibatches per epoch (windows are sampled, not enumerated: see DESIGN.md budget).
    pub batches_per_epoch: usize,
    /// Validation windows.
    pub val_windows: usize,
    /// Weight of under-prediction errors relative to over-prediction.
    pub under_weight: f32,
    /// Score the request rate's error in requests/s (the units the forecast is judged in by
    /// RMSE) instead of in the encoder's log1p units; memory and CPU stay in encoder units.
    pub rate_units: bool,
    /// Dropout between the LSTM layers (training only).
    pub dropout: f64,
    /// Global gradient-norm clip.
    pub grad_clip: f64,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            batch: 128,
            plateau_factor: 0.5,
            plateau_patience: 3,
            early_stop_patience: 5,
            max_epochs: 40,
            batches_per_epoch: 24,
            val_windows: 1024,
            under_weight: 1.0,
            rate_units: true,
            dropout: 0.2,
            grad_clip: 1.0,
        }
    }
}

// ALGO LOGIC: network.

/// The forecaster: the architecture of `hdrl_infer::Forecaster` (DESIGN.md), in burn.
#[derive(Module, Debug)]
pub struct ForecastNet<B: Backend> {
    /// First LSTM layer, 5 → 128.
    pub l1: Lstm<B>,
    /// Second LSTM layer, 128 → 64.
    pub l2: Lstm<B>,
    /// Dense head, 64 → 32.
    pub d1: Linear<B>,
    /// Output, 32 → 3.
    pub d2: Linear<B>,
    drop: Dropout,
}

impl<B: Backend> ForecastNet<B> {
    /// Build with fresh weights (drawn now, from the backend seed).
    pub fn new(cfg: &ForecastConfig, device: &B::Device) -> Self {
        let m = Self {
            l1: LstmConfig::new(OPERATIONAL_FEATURES, 128, true).init(device),
            l2: LstmConfig::new(128, 64, true).init(device),
            d1: LinearConfig::new(64, 32).init(device),
            d2: LinearConfig::new(32, 3).init(device),
            drop: DropoutConfig::new(cfg.dropout).init(),
        };
        materialize(&m);
        m
    }

    /// # Shapes
    /// `x`: `[batch, 12, 5]` → `[batch, 3]` normalised forecast, linear: trained so, and clamped
    /// at zero when served (hdrl-infer's `Forecaster`), so that an idle step's forecast can be
    /// exactly 0.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 2> {
        let [b, t, _] = x.dims();
        // The last step's (rate, memory, CPU): the head forecasts the change from it.
        let last = x.clone().slice([0..b, t - 1..t, 0..3]).reshape([b, 3]);
        let (o1, _) = self.l1.forward(x, None); // [b, 12, 128]
        let o1 = self.drop.forward(o1);
        let (_, s2) = self.l2.forward(o1, None);
        let h = s2.hidden; // [b, 64]: the last step's hidden state
        self.d2.forward(relu(self.d1.forward(h))) + last
    }
}

/// Asymmetric MSE: `mean(w · (y − ŷ)²)` with `w = under_weight` where `ŷ < y`.
pub fn asymmetric_mse<B: Backend>(pred: Tensor<B, 2>, target: Tensor<B, 2>, under_weight: f32) -> Tensor<B, 1> {
    let e = target - pred;
    let under = e.clone().greater_elem(0.0).float(); // 1 where under-predicting
    let w = under.mul_scalar(under_weight - 1.0).add_scalar(1.0);
    (w * e.square()).mean()
}

/// Largest encoded rate the rate-units loss decodes (e^{1.2·ln 10 001} ≈ 6·10⁴ req/s), so
/// that a wild early prediction cannot overflow.
const MAX_ENCODED_RATE: f32 = 1.2;

/// The training loss: [`asymmetric_mse`] in encoder units, or (with `rate_units`) the request
/// rate's squared error in requests/s plus the memory and CPU columns' in encoder units.
pub fn forecast_loss<B: Backend>(pred: Tensor<B, 2>, target: Tensor<B, 2>, cfg: &ForecastConfig) -> Tensor<B, 1> {
    if !cfg.rate_units {
        return asymmetric_mse(pred, target, cfg.under_weight);
    }
    let [n, _] = pred.dims();
    // The rate's log1p scale (the trainer's windows use the default encoder).
    let l = hdrl_infer::EncoderConfig::default().operational[0].hi.ln_1p();
    let decode = |t: Tensor<B, 2>| t.clamp_max(MAX_ENCODED_RATE).mul_scalar(l).exp().sub_scalar(1.0);
    let rate = asymmetric_mse(
        decode(pred.clone().slice([0..n, 0..1])),
        decode(target.clone().slice([0..n, 0..1])),
        cfg.under_weight,
    );
    let rest = asymmetric_mse(pred.slice([0..n, 1..3]), target.slice([0..n, 1..3]), cfg.under_weight);
    rate + rest.mul_scalar(2.0 / 3.0)
}

/// One history record (JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LstmRecord {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation loss.
    pub val_loss: f64,
    /// Learning rate used in the epoch.
    pub lr: f64,
    /// Batches skipped for non-finite loss or gradients (cumulative).
    pub nan_skips: usize,
    /// Wall time so far, s.
    pub wall_s: f64,
    /// Training samples per second.
    pub samples_per_s: f64,
}

#[derive(Serialize, Deserialize)]
struct State {
    epoch: usize,
    history: Vec<LstmRecord>,
    lr: f64,
    best_val: f64,
    since_best: usize,
    since_drop: usize,
    nan_skips: usize,
    wall_s: f64,
    stopped: bool,
}

/// Result of training.
pub struct Trained<B: Backend> {
    /// The model with the best validation loss.
    pub model: ForecastNet<B>,
    /// The history.
    pub history: Vec<LstmRecord>,
}

/// Forecast a batch of encoded windows with the inner model.
pub fn predict<B: Backend>(model: &ForecastNet<B>, xs: &[f32], device: &B::Device) -> Vec<f32> {
    let n = xs.len() / (WINDOW * OPERATIONAL_FEATURES);
    if n == 0 {
        return Vec::new();
    }
    let x = Tensor::<B, 3>::from_data(TensorData::new(xs.to_vec(), [n, WINDOW, OPERATIONAL_FEATURES]), device);
    to_vec(model.forward(x))
}

/// Validation loss of a model on the fixed validation windows of a run with this seed.
pub fn val_loss<B: Backend, S: WindowSource + ?Sized>(
    model: &ForecastNet<B>,
    src: &S,
    cfg: &ForecastConfig,
    seed: u64,
    device: &B::Device,
) -> f64 {
    let (vx, vy) = sample(src, WindowSet::Val, cfg.val_windows, &mut derived_rng(seed, u64::MAX));
    let n = vy.len() / 3;
    if n == 0 {
        return f64::NAN;
    }
    let p = predict(model, &vx, device);
    let pred = Tensor::<B, 2>::from_data(TensorData::new(p, [n, 3]), device);
    let y = Tensor::<B, 2>::from_data(TensorData::new(vy, [n, 3]), device);
    forecast_loss(pred, y, cfg).into_scalar().elem::<f64>()
}

// ALGO LOGIC: one epoch of sampled minibatches.
/// Train on `cfg.batches_per_epoch` minibatches; returns the model and the finite losses.
#[allow(clippy::too_many_arguments)]
fn train_epoch<B: AutodiffBackend, S: WindowSource + ?Sized>(
    mut model: ForecastNet<B>,
    optim: &mut impl Optimizer<ForecastNet<B>, B>,
    src: &S,
    cfg: &ForecastConfig,
    lr: f64,
    rng: &mut impl Rng,
    nan_skips: &mut usize,
    device: &B::Device,
) -> (ForecastNet<B>, Vec<f64>) {
    let mut losses = Vec::new();
    for _ in 0..cfg.batches_per_epoch {
        let (xs, ys) = sample(src, WindowSet::Train, cfg.batch, rng);
        let n = ys.len() / 3;
        if n == 0 {
            break;
        }
        let x = Tensor::<B, 3>::from_data(TensorData::new(xs, [n, WINDOW, OPERATIONAL_FEATURES]), device);
        let y = Tensor::<B, 2>::from_data(TensorData::new(ys, [n, 3]), device);
        let loss = forecast_loss(model.forward(x), y, cfg);
        let (m, lv) = finite_step(model, optim, loss, cfg.grad_clip, lr);
        model = m;
        match lv {
            Some(lv) => losses.push(lv),
            None => *nan_skips += 1,
        }
    }
    (model, losses)
}

impl State {
    /// Reduce-on-plateau and early stopping after an epoch with validation loss `val`;
    /// whether it is the best so far.
    fn after_epoch(&mut self, val: f64, cfg: &ForecastConfig) -> bool {
        if val < self.best_val - 1e-9 {
            self.best_val = val;
            self.since_best = 0;
            self.since_drop = 0;
            return true;
        }
        self.since_best += 1;
        self.since_drop += 1;
        if self.since_drop >= cfg.plateau_patience {
            self.lr *= cfg.plateau_factor;
            self.since_drop = 0;
        }
        if self.since_best >= cfg.early_stop_patience {
            self.stopped = true;
        }
        false
    }
}

/// Train. `ckpt` holds the resumable checkpoint; an existing one is resumed.
pub fn train<B: AutodiffBackend, S: WindowSource + ?Sized>(
    cfg: &ForecastConfig,
    src: &S,
    seed: u64,
    device: &B::Device,
    ckpt: &Path,
    progress: &Progress,
    name: &str,
) -> Result<Trained<B::InnerBackend>> {
    // TRY NOT TO MODIFY: seeding and setup.
    B::seed(device, seed);
    let mut model: ForecastNet<B> = ForecastNet::new(cfg, device);
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init::<B, ForecastNet<B>>();
    let mut st = State {
        epoch: 0,
        history: Vec::new(),
        lr: cfg.lr,
        best_val: f64::INFINITY,
        since_best: 0,
        since_drop: 0,
        nan_skips: 0,
        wall_s: 0.0,
        stopped: false,
    };
    if ckpt.join("state.json").exists() {
        let (m, o, s) = load_checkpoint::<B, _, _, State>(ckpt, model, optim, device)?;
        model = m;
        optim = o;
        st = s;
        progress.println(format!("{name}: resumed from {} at epoch {}", ckpt.display(), st.epoch));
    }
    let mut best = if ckpt.join("best.mpk").exists() {
        model.valid().load_file(ckpt.join("best"), &burn::record::DefaultRecorder::new(), device)?
    } else {
        model.valid()
    };
    // Fixed validation windows (derived from the seed, not from the epoch).
    let (vx, vy) = sample(src, WindowSet::Val, cfg.val_windows, &mut derived_rng(seed, u64::MAX));
    let nv = vy.len() / 3;
    let bar = progress.bar(cfg.max_epochs as u64, name);
    bar.set_position(st.epoch as u64);

    // ALGO LOGIC: epochs of sampled minibatches, reduce-on-plateau, early stopping.
    while st.epoch < cfg.max_epochs && !st.stopped {
        let t0 = Instant::now();
        let mut rng = derived_rng(seed, st.epoch as u64);
        // The backend's generator (dropout masks) restarts from the epoch's stream too, so a
        // run resumed from a checkpoint draws the masks an uninterrupted run draws.
        B::seed(device, rng.random());
        let (m, losses) = train_epoch(model, &mut optim, src, cfg, st.lr, &mut rng, &mut st.nan_skips, device);
        model = m;
        let val = if nv == 0 {
            f64::NAN
        } else {
            let p = predict(&model.valid(), &vx, device);
            let pred = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(p, [nv, 3]), device);
            let y = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(vy.clone(), [nv, 3]), device);
            forecast_loss(pred, y, cfg).into_scalar().elem::<f64>()
        };
        st.epoch += 1;
        let lr_used = st.lr;
        if st.after_epoch(val, cfg) {
            best = model.valid();
        }
        let dt = t0.elapsed().as_secs_f64();
        st.wall_s += dt;
        let tl = if losses.is_empty() { f64::NAN } else { losses.iter().sum::<f64>() / losses.len() as f64 };
        st.history.push(LstmRecord {
            epoch: st.epoch,
            train_loss: tl,
            val_loss: val,
            lr: lr_used,
            nan_skips: st.nan_skips,
            wall_s: st.wall_s,
            samples_per_s: (losses.len() * cfg.batch) as f64 / dt.max(1e-9),
        });
        bar.inc(1);
        bar.set_message(format!("train {tl:.5} val {val:.5} lr {lr_used:.1e}"));
        save_checkpoint::<B, _, _>(ckpt, &model, &optim, &st, |dir| {
            best.clone().save_file(dir.join("best"), &burn::record::DefaultRecorder::new())?;
            Ok(())
        })?;
    }
    bar.finish();
    Ok(Trained { model: best, history: st.history })
}
