//! One LSTM layer.

use super::{F32, Linear, Part, Precision};
use crate::kernels::Kernels;
use crate::payload::{Exhausted, Reader, Writer};
use crate::rng::SplitMix64;

/// Gate order in [`LstmLayer`] and in weight payloads (burn's parameter order).
pub const GATES: [&str; 4] = ["input", "forget", "output", "cell"];

/// An LSTM layer with `I` inputs and `H` hidden units. Each gate has an input transform and a
/// hidden transform, both with a bias (the layout of burn's `Lstm`):
///
/// ```text
/// i_t = σ(W_xi x_t + b_xi + W_hi h_{t−1} + b_hi)
/// f_t = σ(W_xf x_t + b_xf + W_hf h_{t−1} + b_hf)
/// o_t = σ(W_xo x_t + b_xo + W_ho h_{t−1} + b_ho)
/// g_t = tanh(W_xg x_t + b_xg + W_hg h_{t−1} + b_hg)
/// c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
/// h_t = o_t ⊙ tanh(c_t)
/// ```
pub struct LstmLayer<P: Precision, const I: usize, const H: usize> {
    /// Input transforms, in [`GATES`] order.
    pub x: [P::Linear<I, H>; 4],
    /// Hidden transforms, in [`GATES`] order.
    pub h: [P::Linear<H, H>; 4],
}

impl<P: Precision, const I: usize, const H: usize> LstmLayer<P, I, H> {
    /// Advance one time step: reads `x`, updates `h` and `c` in place.
    #[inline]
    pub fn step(&self, k: &Kernels, x: &[f32; I], h: &mut [f32; H], c: &mut [f32; H]) {
        let px = <P::Linear<I, H> as Linear<I, H>>::prepare_with(k, x);
        let mut gates = [[0.0f32; H]; 4]; // [gate, hidden]
        for (gate, wx) in gates.iter_mut().zip(&self.x) {
            wx.forward_prepared(k, &px, gate);
        }
        self.recur(k, &mut gates, h, c);
    }

    /// Advance `T` steps over `xs` (oldest first), updating `h` and `c` in place: the same
    /// result as `T` calls of [`LstmLayer::step`], bit for bit, in a different order. Each
    /// gate's input transform runs over all `T` inputs back to back, so its weights are read
    /// from memory once rather than `T` times (they stay in L1 between steps); only the hidden
    /// transform has to wait for the previous step.
    ///
    /// Uses `T · 4 · H` floats of stack for the input transforms (12 KB for the forecaster's
    /// second layer).
    #[inline]
    pub(crate) fn sequence<const T: usize>(&self, k: &Kernels, xs: &[[f32; I]; T], h: &mut [f32; H], c: &mut [f32; H]) {
        let px: [_; T] = core::array::from_fn(|t| <P::Linear<I, H> as Linear<I, H>>::prepare_with(k, &xs[t]));
        let mut gx = [[[0.0f32; H]; 4]; T]; // [step, gate, hidden]
        for (g, wx) in self.x.iter().enumerate() {
            for (gt, p) in gx.iter_mut().zip(&px) {
                wx.forward_prepared(k, p, &mut gt[g]);
            }
        }
        for gates in gx.iter_mut() {
            self.recur(k, gates, h, c);
        }
    }

    /// Add the hidden transforms to the input transforms in `gates`, then the cell update.
    #[inline(always)]
    fn recur(&self, k: &Kernels, gates: &mut [[f32; H]; 4], h: &mut [f32; H], c: &mut [f32; H]) {
        let ph = <P::Linear<H, H> as Linear<H, H>>::prepare_with(k, h);
        for (gate, wh) in gates.iter_mut().zip(&self.h) {
            wh.add_prepared(k, &ph, gate);
        }
        let [i, f, o, g] = gates;
        (k.sigmoid)(i);
        (k.sigmoid)(f);
        (k.sigmoid)(o);
        (k.tanh)(g);
        for (((cj, fj), ij), gj) in c.iter_mut().zip(f.iter()).zip(i.iter()).zip(g.iter()) {
            *cj = fj * *cj + ij * gj;
        }
        let mut tc = *c;
        (k.tanh)(&mut tc);
        for ((hj, oj), tj) in h.iter_mut().zip(o.iter()).zip(&tc) {
            *hj = oj * tj;
        }
    }
}

impl<P: Precision, const I: usize, const H: usize> Part for LstmLayer<P, I, H> {
    const ZERO: Self =
        Self { x: [const { <P::Linear<I, H> as Part>::ZERO }; 4], h: [const { <P::Linear<H, H> as Part>::ZERO }; 4] };
    const PAYLOAD_BYTES: usize =
        4 * (<P::Linear<I, H> as Part>::PAYLOAD_BYTES + <P::Linear<H, H> as Part>::PAYLOAD_BYTES);
    type Twin = LstmLayer<F32, I, H>;

    /// Gate by gate: input transform, then hidden transform.
    fn read(&mut self, r: &mut Reader<'_>) -> Result<(), Exhausted> {
        for (wx, wh) in self.x.iter_mut().zip(self.h.iter_mut()) {
            wx.read(r)?;
            wh.read(r)?;
        }
        Ok(())
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Exhausted> {
        for (wx, wh) in self.x.iter().zip(&self.h) {
            wx.write(w)?;
            wh.write(w)?;
        }
        Ok(())
    }

    fn is_finite(&self) -> bool {
        self.x.iter().all(Part::is_finite) && self.h.iter().all(Part::is_finite)
    }

    fn quantize_from(&mut self, twin: &Self::Twin) {
        for (a, b) in self.x.iter_mut().zip(&twin.x) {
            a.quantize_from(b);
        }
        for (a, b) in self.h.iter_mut().zip(&twin.h) {
            a.quantize_from(b);
        }
    }

    fn randomize(&mut self, rng: &mut SplitMix64) {
        for p in self.x.iter_mut() {
            p.randomize(rng);
        }
        for p in self.h.iter_mut() {
            p.randomize(rng);
        }
    }
}
