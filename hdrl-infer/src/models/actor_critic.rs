//! The tactical PPO actor-critic: 25 features → 24 (region × memory tier) logits and a value.

use super::{check_input, check_output, model};
use crate::InferError;
use crate::features::TACTICAL_INPUT;
use crate::kernels::Kernels;
use crate::layers::{LayerNorm, Linear};
use crate::math::relu_slice;
use crate::placement::TACTICAL_ACTIONS;
use crate::weights::ModelKind;

const _: () = assert!(TACTICAL_INPUT == 25, "the actor-critic's first layer is 25 wide");

model! {
    /// ```text
    /// input (25) ─ Linear 25→128 ─ LayerNorm ─ ReLU ─ Linear 128→128 ─ LayerNorm ─ ReLU ─ trunk (128)
    /// actor:  trunk ─ Linear 128→128 ─ ReLU ─ Linear 128→64 ─ ReLU ─ Linear 64→24 → logits
    /// critic: trunk ─ Linear 128→64 ─ ReLU ─ Linear 64→1 → value
    /// ```
    /// 45 696 multiply-accumulates for the actor (trunk included), 8 256 more for the critic.
    pub struct ActorCritic<P> : ModelKind::Ppo, dims [25, 128, 128, 128, 64, 24, 64, 1] {
        /// Shared trunk, first layer.
        pub t1: P::Linear<25, 128>,
        /// Its normalisation.
        pub t1_norm: LayerNorm<128>,
        /// Shared trunk, second layer.
        pub t2: P::Linear<128, 128>,
        /// Its normalisation.
        pub t2_norm: LayerNorm<128>,
        /// Actor, first layer.
        pub a1: P::Linear<128, 128>,
        /// Actor, second layer.
        pub a2: P::Linear<128, 64>,
        /// Actor output (logits).
        pub a3: P::Linear<64, 24>,
        /// Critic, first layer.
        pub c1: P::Linear<128, 64>,
        /// Critic output (value).
        pub c2: P::Linear<64, 1>,
    }
}

impl<P: crate::layers::Precision> ActorCritic<P> {
    fn trunk(&self, k: &Kernels, x: &[f32; TACTICAL_INPUT]) -> Result<[f32; 128], InferError> {
        check_input(x)?;
        let mut t1 = [0.0; 128];
        self.t1.forward(k, x, &mut t1);
        self.t1_norm.forward_relu(k, &mut t1);
        let mut t2 = [0.0; 128];
        self.t2.forward(k, &t1, &mut t2);
        self.t2_norm.forward_relu(k, &mut t2);
        Ok(t2)
    }

    fn actor_head(&self, k: &Kernels, t: &[f32; 128], logits: &mut [f32; TACTICAL_ACTIONS]) -> Result<(), InferError> {
        let mut a1 = [0.0; 128];
        self.a1.forward(k, t, &mut a1);
        relu_slice(&mut a1);
        let mut a2 = [0.0; 64];
        self.a2.forward(k, &a1, &mut a2);
        relu_slice(&mut a2);
        let mut out = [0.0; TACTICAL_ACTIONS];
        self.a3.forward(k, &a2, &mut out);
        check_output(&out)?;
        *logits = out;
        Ok(())
    }

    fn critic_head(&self, k: &Kernels, t: &[f32; 128]) -> Result<f32, InferError> {
        let mut c1 = [0.0; 64];
        self.c1.forward(k, t, &mut c1);
        relu_slice(&mut c1);
        let mut v = [0.0; 1];
        self.c2.forward(k, &c1, &mut v);
        check_output(&v)?;
        Ok(v[0])
    }

    /// Policy logits for an encoded input
    /// ([`EncoderConfig::encode_tactical`](crate::EncoderConfig::encode_tactical)).
    ///
    /// # Errors
    /// [`InferError::NonFiniteInput`], [`InferError::NonFiniteOutput`]; `logits` is written only
    /// on success.
    pub fn actor(
        &self,
        k: &Kernels,
        x: &[f32; TACTICAL_INPUT],
        logits: &mut [f32; TACTICAL_ACTIONS],
    ) -> Result<(), InferError> {
        let t = self.trunk(k, x)?;
        self.actor_head(k, &t, logits)
    }

    /// State value of an encoded input.
    ///
    /// # Errors
    /// As [`ActorCritic::actor`].
    pub fn critic(&self, k: &Kernels, x: &[f32; TACTICAL_INPUT]) -> Result<f32, InferError> {
        let t = self.trunk(k, x)?;
        self.critic_head(k, &t)
    }

    /// Logits and value, sharing the trunk.
    ///
    /// # Errors
    /// As [`ActorCritic::actor`]; nothing is written on error.
    pub fn forward(
        &self,
        k: &Kernels,
        x: &[f32; TACTICAL_INPUT],
        logits: &mut [f32; TACTICAL_ACTIONS],
    ) -> Result<f32, InferError> {
        let t = self.trunk(k, x)?;
        let v = self.critic_head(k, &t)?;
        self.actor_head(k, &t, logits)?;
        Ok(v)
    }
}
