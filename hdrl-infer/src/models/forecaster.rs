//! The operational LSTM forecaster: 12 steps × 5 features → next step's (rate, memory, CPU).

use super::{check_input, check_output, model};
use crate::InferError;
use crate::features::{OPERATIONAL_FEATURES, WINDOW};
use crate::kernels::Kernels;
use crate::layers::{Linear, LstmLayer};
use crate::math::relu_slice;
use crate::weights::ModelKind;

/// Steps per block of [`Forecaster::forward`].
const LSTM_BLOCK: usize = 4;

model! {
    /// ```text
    /// 12 × 5 ─ LSTM 5→128 ─ LSTM 128→64 ─ last h (64) ─ Linear 64→32 ─ ReLU ─ Linear 32→3 ─┐
    /// last step's (rate, memory, CPU) ───────────────────────────────────────────────────── + ─ max(0, ·)
    /// ```
    /// The head forecasts the change from the last step (a residual: repeating the last value
    /// costs the network nothing) and the sum is clamped at zero (the head is trained linear, so
    /// an idle function's forecast is exactly 0; format v3's softplus output could not go below
    /// its floor). Outputs are in the encoder's normalised units; decode them with
    /// [`EncoderConfig::decode_forecast`](crate::EncoderConfig::decode_forecast).
    /// 1 409 120 multiply-accumulates per window.
    pub struct Forecaster<P> : ModelKind::Lstm, dims [12, 5, 128, 64, 32, 3] {
        /// First LSTM layer.
        pub l1: LstmLayer<P, 5, 128>,
        /// Second LSTM layer.
        pub l2: LstmLayer<P, 128, 64>,
        /// Dense head, first layer.
        pub d1: P::Linear<64, 32>,
        /// Dense head, output.
        pub d2: P::Linear<32, 3>,
    }
}

impl<P: crate::layers::Precision> Forecaster<P> {
    /// Forecast the next step from an encoded window (oldest step first).
    ///
    /// # Errors
    /// [`InferError::NonFiniteInput`] (index = step · 5 + feature), [`InferError::NonFiniteOutput`].
    pub fn forward(
        &self,
        k: &Kernels,
        window: &[[f32; OPERATIONAL_FEATURES]; WINDOW],
        out: &mut [f32; 3],
    ) -> Result<(), InferError> {
        check_input(window.as_flattened())?;
        // Blocks of steps, layer by layer within a block: the second layer's input transform
        // then reads its weights once per block instead of once per step (see
        // `LstmLayer::sequence`), with the same result. Measured on Zen 4 (f32, weights in L2):
        // 66 µs step by step, 60 µs in one block of 12, 61 µs in blocks of 4; blocks of 4 keep
        // the extra stack at 8 KB instead of 24 KB.
        let (mut h1, mut c1) = ([0.0f32; 128], [0.0f32; 128]);
        let (mut h2, mut c2) = ([0.0f32; 64], [0.0f32; 64]);
        let (blocks, rest) = window.as_chunks::<LSTM_BLOCK>();
        for block in blocks {
            let mut h1s = [[0.0f32; 128]; LSTM_BLOCK]; // [step, hidden]
            for (x, hs) in block.iter().zip(&mut h1s) {
                self.l1.step(k, x, &mut h1, &mut c1);
                *hs = h1;
            }
            self.l2.sequence(k, &h1s, &mut h2, &mut c2);
        }
        for x in rest {
            self.l1.step(k, x, &mut h1, &mut c1);
            self.l2.step(k, &h1, &mut h2, &mut c2);
        }
        let mut d1 = [0.0; 32];
        self.d1.forward(k, &h2, &mut d1);
        relu_slice(&mut d1);
        let mut y = [0.0; 3];
        self.d2.forward(k, &d1, &mut y);
        check_output(&y)?;
        // Residual: the head forecasts the change from the last step's (rate, memory, CPU).
        let last = &window[WINDOW - 1];
        for ((o, v), x) in out.iter_mut().zip(y).zip(last) {
            *o = (v + x).max(0.0);
        }
        Ok(())
    }
}
