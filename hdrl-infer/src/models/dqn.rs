//! The strategic DQN: a dual-encoder Q-network over 23 features → 3 provider Q-values.

use super::{check_input, check_output, model};
use crate::InferError;
use crate::features::{APP_INPUT, STRATEGIC_INPUT, STRATEGIC_STATS_INPUT};
use crate::kernels::Kernels;
use crate::layers::{LayerNorm, Linear};
use crate::math::relu_slice;
use crate::weights::ModelKind;

/// Q-values are bounded to ±`Q_BOUND`, as in training.
pub const Q_BOUND: f32 = 100.0;

const _: () = assert!(STRATEGIC_STATS_INPUT == 15 && APP_INPUT == 8, "the DQN's encoders are 15 and 8 wide");

model! {
    /// ```text
    /// strategic (15) ─ Linear 15→128 ─ LayerNorm ─ ReLU ─ Linear 128→64 ─ LayerNorm ─ ReLU ─┐
    /// app (8) ──────── Linear 8→32 ─── LayerNorm ─ ReLU ───────────────────────────────────┤ concat (96)
    ///   ─ Linear 96→64 ─ ReLU ─ Linear 64→32 ─ ReLU ─ Linear 32→3 ─ clamp ±100 → Q(AWS, Azure, GCP)
    /// ```
    /// 18 656 multiply-accumulates per decision.
    pub struct Dqn<P> : ModelKind::Dqn, dims [15, 128, 64, 8, 32, 96, 64, 32, 3] {
        /// Strategic encoder, first layer.
        pub s1: P::Linear<15, 128>,
        /// Its normalisation.
        pub s1_norm: LayerNorm<128>,
        /// Strategic encoder, second layer.
        pub s2: P::Linear<128, 64>,
        /// Its normalisation.
        pub s2_norm: LayerNorm<64>,
        /// App encoder.
        pub a1: P::Linear<8, 32>,
        /// Its normalisation.
        pub a1_norm: LayerNorm<32>,
        /// Head, first layer (on the concatenated codes).
        pub h1: P::Linear<96, 64>,
        /// Head, second layer.
        pub h2: P::Linear<64, 32>,
        /// Q-value output.
        pub out: P::Linear<32, 3>,
    }
}

impl<P: crate::layers::Precision> Dqn<P> {
    /// Q-values of the three providers for an encoded input
    /// ([`EncoderConfig::encode_strategic`](crate::EncoderConfig::encode_strategic)).
    ///
    /// # Errors
    /// [`InferError::NonFiniteInput`] for a NaN/∞ input, [`InferError::NonFiniteOutput`] if
    /// the pass overflowed.
    pub fn forward(&self, k: &Kernels, x: &[f32; STRATEGIC_INPUT], q: &mut [f32; 3]) -> Result<(), InferError> {
        check_input(x)?;
        let (s_in, a_in) = x.split_at(STRATEGIC_STATS_INPUT);
        let s_in: &[f32; STRATEGIC_STATS_INPUT] = s_in.try_into().map_err(|_| InferError::Malformed)?;
        let a_in: &[f32; APP_INPUT] = a_in.try_into().map_err(|_| InferError::Malformed)?;

        let mut s1 = [0.0; 128];
        self.s1.forward(k, s_in, &mut s1);
        self.s1_norm.forward_relu(k, &mut s1);
        let mut cat = [0.0; 96]; // [strategic code 64 | app code 32]
        let mut s2 = [0.0; 64];
        self.s2.forward(k, &s1, &mut s2);
        self.s2_norm.forward_relu(k, &mut s2);
        let mut a1 = [0.0; 32];
        self.a1.forward(k, a_in, &mut a1);
        self.a1_norm.forward_relu(k, &mut a1);
        cat[..64].copy_from_slice(&s2);
        cat[64..].copy_from_slice(&a1);

        let mut h1 = [0.0; 64];
        self.h1.forward(k, &cat, &mut h1);
        relu_slice(&mut h1);
        let mut h2 = [0.0; 32];
        self.h2.forward(k, &h1, &mut h2);
        relu_slice(&mut h2);
        let mut out = [0.0; 3];
        self.out.forward(k, &h2, &mut out);
        check_output(&out)?;
        for (qv, o) in q.iter_mut().zip(out) {
            *qv = o.clamp(-Q_BOUND, Q_BOUND);
        }
        Ok(())
    }
}
