//! The three models, each a struct of parts, generic over [`Precision`].

mod actor_critic;
mod dqn;
mod forecaster;

pub use actor_critic::ActorCritic;
pub use dqn::{Dqn, Q_BOUND};
pub use forecaster::Forecaster;

use crate::InferError;
use crate::layers::Precision;
use crate::payload::{Exhausted, Reader, Writer};
use crate::weights::{ModelKind, ModelRecord, Quant};

/// What every model offers for loading, saving and checking.
pub trait Model: Sized {
    /// Which model this is.
    const KIND: ModelKind;
    /// Its precision.
    const QUANT: Quant;
    /// The architecture's dimensions, stored in and checked against weight files.
    const DIMS: &'static [u32];
    /// Exact payload size in bytes.
    const PAYLOAD_BYTES: usize;

    /// Read every part, in declaration order.
    fn read_payload(&mut self, r: &mut Reader<'_>) -> Result<(), Exhausted>;
    /// Write every part, in declaration order.
    fn write_payload(&self, w: &mut Writer<'_>) -> Result<(), Exhausted>;
    /// Every stored number is finite.
    fn is_finite(&self) -> bool;

    /// Load from a bundle record, in place.
    ///
    /// On error the model holds a mix of old and new weights; callers that need all-or-nothing
    /// (the hierarchy) track what loaded successfully.
    ///
    /// # Errors
    /// [`InferError::WrongQuant`], [`InferError::Shape`], [`InferError::PayloadSize`],
    /// [`InferError::NonFiniteWeight`].
    fn load_record(&mut self, rec: &ModelRecord<'_>) -> Result<(), InferError> {
        let kind = Self::KIND;
        let found = Quant::from_tag(rec.quant).ok_or(InferError::Malformed)?;
        if found != Self::QUANT {
            return Err(InferError::WrongQuant { kind, expected: Self::QUANT, found });
        }
        if rec.dims.len() != Self::DIMS.len() {
            return Err(InferError::Shape {
                kind,
                index: u8::MAX,
                want: Self::DIMS.len() as u32,
                got: rec.dims.len() as u32,
            });
        }
        for (i, (&want, &got)) in Self::DIMS.iter().zip(&rec.dims).enumerate() {
            if want != got {
                return Err(InferError::Shape { kind, index: i as u8, want, got });
            }
        }
        if rec.payload.len() != Self::PAYLOAD_BYTES {
            return Err(InferError::PayloadSize {
                kind,
                want: Self::PAYLOAD_BYTES as u32,
                got: rec.payload.len().min(u32::MAX as usize) as u32,
            });
        }
        let mut r = Reader::new(rec.payload);
        self.read_payload(&mut r).map_err(|_| InferError::Truncated)?;
        if !self.is_finite() {
            return Err(InferError::NonFiniteWeight { kind: Some(kind) });
        }
        Ok(())
    }

    /// The model's payload bytes.
    #[cfg(feature = "std")]
    fn payload(&self) -> std::vec::Vec<u8> {
        let mut buf = std::vec![0u8; Self::PAYLOAD_BYTES];
        let mut w = Writer::new(&mut buf);
        // The buffer has exactly PAYLOAD_BYTES, which is what write_payload writes.
        let _ = self.write_payload(&mut w);
        buf
    }

    /// A record for a bundle, borrowing `payload` (from `Model::payload`, with `std`).
    fn record<'a>(payload: &'a [u8]) -> ModelRecord<'a> {
        let mut dims = heapless::Vec::new();
        for &d in Self::DIMS.iter().take(16) {
            let _ = dims.push(d);
        }
        ModelRecord { kind: Self::KIND as u8, quant: Self::QUANT as u8, dims, payload }
    }
}

/// Check that a normalised model input is finite.
pub(crate) fn check_input(x: &[f32]) -> Result<(), InferError> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(InferError::NonFiniteInput { index: i as u16 }),
        None => Ok(()),
    }
}

/// Check that a model output is finite.
pub(crate) fn check_output(y: &[f32]) -> Result<(), InferError> {
    if y.iter().all(|v| v.is_finite()) { Ok(()) } else { Err(InferError::NonFiniteOutput) }
}

/// Declare a model struct of parts, generic over precision, with its [`Model`] impl,
/// `ZERO`, `quantize_from` and `randomize`, all walking the parts in declaration order.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<P> : $kind:path, dims [$($dim:literal),*] {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name<P: $crate::layers::Precision> {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl<P: $crate::layers::Precision> $name<P> {
            /// All-zero weights (identity LayerNorms): a `const` for `static` placement.
            pub const ZERO: Self = Self { $( $field: <$ty as $crate::layers::Part>::ZERO, )* };

            /// Fill with seeded fixture weights (see [`Part::randomize`](crate::layers::Part::randomize)).
            pub fn randomize(&mut self, rng: &mut $crate::rng::SplitMix64) {
                $( $crate::layers::Part::randomize(&mut self.$field, rng); )*
            }
        }

        impl $name<$crate::layers::I8> {
            /// Become the int8 quantisation of an f32 model, in place.
            pub fn quantize_from(&mut self, f: &$name<$crate::layers::F32>) {
                $( $crate::layers::Part::quantize_from(&mut self.$field, &f.$field); )*
            }
        }

        impl<P: $crate::layers::Precision> $crate::models::Model for $name<P> {
            const KIND: $crate::weights::ModelKind = $kind;
            const QUANT: $crate::weights::Quant = P::QUANT;
            const DIMS: &'static [u32] = &[$($dim),*];
            const PAYLOAD_BYTES: usize = 0 $( + <$ty as $crate::layers::Part>::PAYLOAD_BYTES )*;

            fn read_payload(&mut self, r: &mut $crate::payload::Reader<'_>) -> Result<(), $crate::payload::Exhausted> {
                $( $crate::layers::Part::read(&mut self.$field, r)?; )*
                Ok(())
            }

            fn write_payload(&self, w: &mut $crate::payload::Writer<'_>) -> Result<(), $crate::payload::Exhausted> {
                $( $crate::layers::Part::write(&self.$field, w)?; )*
                Ok(())
            }

            fn is_finite(&self) -> bool {
                true $( && $crate::layers::Part::is_finite(&self.$field) )*
            }
        }
    };
}
pub(crate) use model;

#[allow(unused_imports)]
use Precision as _;
