//! Boilerplate shared by the three learners ("TRY NOT TO MODIFY"): global gradient-norm
//! clipping with a non-finite guard, Polyak target updates, eager parameter initialisation,
//! derived seeds, and atomic checkpoints of a module plus its optimizer.

use std::path::Path;

use anyhow::{Context, Result};
use burn::module::{AutodiffModule, Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::{GradientsParams, Optimizer};
use burn::record::{DefaultRecorder, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A generator derived from the run seed and a counter (update, epoch, round), so a resumed
/// run draws exactly what an uninterrupted one would without saving generator state.
pub fn derived_rng(seed: u64, k: u64) -> StdRng {
    StdRng::seed_from_u64(hdrl_infer::rng::mix(seed ^ hdrl_infer::rng::mix(k.wrapping_add(0xA11CE))))
}

struct GradSqSum<'a, B: AutodiffBackend> {
    grads: &'a GradientsParams,
    acc: f64,
    _b: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for GradSqSum<'_, B> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.get::<B::InnerBackend, D>(p.id) {
            self.acc += g.square().sum().into_scalar().elem::<f64>();
        }
    }
}

struct GradScale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for GradScale<'_> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B::InnerBackend, D>(p.id) {
            self.grads.register::<B::InnerBackend, D>(p.id, g.mul_scalar(self.factor));
        }
    }
}

/// Clip the global L2 norm of all gradients to `max` (PyTorch's `clip_grad_norm_`). Returns
/// the norm before clipping, or `None` when it is not finite (the caller skips the batch).
pub fn clip_global_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    model: &M,
    grads: &mut GradientsParams,
    max: f64,
) -> Option<f64> {
    let mut v = GradSqSum::<B> { grads, acc: 0.0, _b: std::marker::PhantomData };
    model.visit(&mut v);
    let norm = v.acc.sqrt();
    if !norm.is_finite() {
        return None;
    }
    if norm > max {
        model.visit(&mut GradScale { grads, factor: max / (norm + 1e-6) });
    }
    Some(norm)
}

/// Serde: a number, or `null` (how serde_json writes NaN) read back as NaN, so a history that
/// holds "no value yet" survives a checkpoint round trip.
///
/// # Errors
/// Anything but a number or `null`.
pub fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// One optimiser step on a scalar `loss`, gradients clipped to `grad_clip`; the model comes
/// back unchanged with `None` when the loss or the gradients are not finite (the batch is
/// skipped), else stepped with the loss value.
pub fn finite_step<B: AutodiffBackend, M: AutodiffModule<B>, O: Optimizer<M, B>>(
    model: M,
    optim: &mut O,
    loss: Tensor<B, 1>,
    grad_clip: f64,
    lr: f64,
) -> (M, Option<f64>) {
    let lv = loss.clone().into_scalar().elem::<f64>();
    if !lv.is_finite() {
        return (model, None);
    }
    let mut grads = GradientsParams::from_grads(loss.backward(), &model);
    if clip_global_norm::<B, _>(&model, &mut grads, grad_clip).is_none() {
        return (model, None);
    }
    (optim.step(lr, model, grads), Some(lv))
}

struct Collect<B: Backend> {
    out: Vec<Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for Collect<B> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
        let t = p.val();
        let n = t.shape().num_elements();
        self.out.push(t.reshape([n]));
    }
}

struct Polyak<B: Backend> {
    src: std::vec::IntoIter<Tensor<B, 1>>,
    tau: f64,
}

impl<B: Backend> ModuleMapper<B> for Polyak<B> {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let Some(src) = self.src.next() else { return p };
        let tau = self.tau;
        p.map(|t| {
            let s: Tensor<B, D> = src.reshape(t.shape());
            t.mul_scalar(1.0 - tau) + s.mul_scalar(tau)
        })
    }
}

/// `θ_target ← τ θ_online + (1 − τ) θ_target`, parameter by parameter in field order.
pub fn soft_update<B: Backend, M: Module<B>>(target: M, online: &M, tau: f64) -> M {
    let mut c = Collect { out: Vec::new() };
    online.visit(&mut c);
    target.map(&mut Polyak { src: c.out.into_iter(), tau })
}

struct Materialize;

impl<B: Backend> ModuleVisitor<B> for Materialize {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
        let _ = p.val();
    }
}

/// Draw every lazily initialised parameter now, so clones are exact copies and the seed
/// fully determines the initial weights.
pub fn materialize<B: Backend, M: Module<B>>(m: &M) {
    m.visit(&mut Materialize);
}

/// Write a checkpoint directory atomically: `model.mpk`, `optim.mpk`, `state.json` and
/// whatever `extra` writes go to `<dir>.tmp`, which then replaces `<dir>`.
pub fn save_checkpoint<B, M, O>(
    dir: &Path,
    model: &M,
    optim: &O,
    state: &impl serde::Serialize,
    extra: impl FnOnce(&Path) -> Result<()>,
) -> Result<()>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: burn::optim::Optimizer<M, B>,
{
    let tmp = dir.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    model.clone().save_file(tmp.join("model"), &DefaultRecorder::new()).context("saving model checkpoint")?;
    <DefaultRecorder as Recorder<B>>::record(&DefaultRecorder::new(), optim.to_record(), tmp.join("optim"))
        .context("saving optimizer checkpoint")?;
    std::fs::write(tmp.join("state.json"), serde_json::to_vec(state)?)?;
    extra(&tmp)?;
    let old = dir.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(dir, &old)?;
    }
    std::fs::rename(&tmp, dir)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Load a checkpoint written by [`save_checkpoint`] into a freshly built model and optimizer.
pub fn load_checkpoint<B, M, O, S>(dir: &Path, model: M, optim: O, device: &B::Device) -> Result<(M, O, S)>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    O: burn::optim::Optimizer<M, B>,
    S: serde::de::DeserializeOwned,
{
    let model = model
        .load_file(dir.join("model"), &DefaultRecorder::new(), device)
        .with_context(|| format!("loading {}", dir.join("model.mpk").display()))?;
    let rec = <DefaultRecorder as Recorder<B>>::load(&DefaultRecorder::new(), dir.join("optim"), device)
        .with_context(|| format!("loading {}", dir.join("optim.mpk").display()))?;
    let optim = optim.load_record(rec);
    let state = serde_json::from_slice(&std::fs::read(dir.join("state.json"))?)?;
    Ok((model, optim, state))
}

/// Values of a rank-2 float tensor, row-major.
pub fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec::<f32>().unwrap_or_default()
}
