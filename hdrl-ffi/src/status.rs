//! `hdrl_status`, its messages, and the per-thread detail of the last failure (the calls that
//! copy them to C are in `message.rs`).

use std::cell::RefCell;
use std::ffi::CStr;
use std::fmt;

use hdrl_infer::InferError;

/// Size of a buffer that always holds any message of this library, including the
/// terminating NUL: every `hdrl_status_message` and `hdrl_last_error_message` text fits.
pub const HDRL_MESSAGE_MAX: usize = 256;

/// The result of every fallible call. The numbers are stable: a value keeps its meaning in
/// every later release, new values are only added, never renumbered.
///
/// Ranges: 0 success; 1–99 misuse of the call itself (arguments, buffers, files); 100–199 a
/// weight bundle that cannot be used; 200–299 an observation or a computation outside its
/// domain. Numbers missing from a range are reserved.
///
/// The message of a status: `hdrl_status_message`. The detail of the last failure on the
/// calling thread (which input, which dimension, which OS error): `hdrl_last_error_message`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum hdrl_status {
    /// Success; every output was written.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL.
    NullPointer = 1,
    /// An argument is outside its documented values (an unknown provider number, a length
    /// over `PTRDIFF_MAX`, a misaligned pointer).
    InvalidParameter = 2,
    /// A caller buffer is too small; nothing was written. `HDRL_MESSAGE_MAX` bytes always
    /// suffice for messages; the documentation of each call gives its minimum.
    BufferTooSmall = 3,
    /// Reading a file failed (missing, unreadable, a directory...); the detail names the OS
    /// error.
    Io = 4,
    /// A path is not valid UTF-8.
    InvalidPath = 5,
    /// The library panicked; this is a bug in hdrl. The call had no effect on its outputs;
    /// the handles passed remain valid and may be freed.
    Panic = 6,
    /// An error this version of the library has no number for (a bug in hdrl).
    Internal = 7,
    /// A tracker has no decision yet: call `hdrl_tracker_refresh` first.
    NoDecision = 8,
    /// A table already tracks as many functions as it was made for: this one is not tracked
    /// (answer it with a default decision).
    TableFull = 9,
    /// The bytes are not an hdrl weight bundle (wrong magic bytes).
    BadMagic = 100,
    /// The bundle was written in a format version this library cannot read.
    UnsupportedVersion = 101,
    /// The bundle ends before its declared content does.
    Truncated = 102,
    /// The bundle has bytes after its declared end (or a file is far larger than any bundle).
    TrailingBytes = 103,
    /// The bundle's checksum does not match: it is corrupt.
    ChecksumMismatch = 104,
    /// The bundle's body cannot be decoded.
    Malformed = 105,
    /// The bundle holds a model kind this library does not know.
    UnknownKind = 106,
    /// The bundle mixes f32 and int8 models (a bundle is all one or all the other).
    WrongQuant = 107,
    /// A model's dimensions differ from this library's architecture.
    Shape = 108,
    /// A model's tensor payload has the wrong size for its architecture.
    PayloadSize = 109,
    /// A weight, scale or encoder constant in the bundle is NaN or infinite.
    NonFiniteWeight = 110,
    /// An encoder constant in the bundle is unusable.
    BadEncoder = 111,
    /// The bundle holds the same model kind twice.
    DuplicateModel = 112,
    /// The call needs a model (DQN, PPO or LSTM) the bundle does not hold.
    MissingModel = 113,
    /// A reward bound in the bundle is not a finite positive number.
    BadRewardBounds = 114,
    /// The bundle's price table holds a negative or non-finite price or a billing increment
    /// that is not positive.
    BadPriceTable = 115,
    /// The bundle's carbon profile holds an intensity that is non-finite or outside
    /// 0 … 2 000 gCO2e/kWh.
    BadCarbonProfile = 116,
    /// An observation field is NaN or infinite; the detail gives its index, which is the
    /// field's position in `hdrl_observation` (0 = `strategic_cost_usd_per_m`).
    NonFiniteInput = 200,
    /// An observation field is outside its documented domain (e.g. a negative rate); the
    /// detail gives its index as for `HDRL_STATUS_NON_FINITE_INPUT`.
    OutOfRange = 201,
    /// A forward pass produced NaN or infinity (finite but extreme weights and inputs).
    NonFiniteOutput = 202,
    /// A telemetry event holds an unusable value: a clock that is NaN, infinite, negative or
    /// above 2^40 s, a NaN/infinite/negative latency or cost, or a step length that does not
    /// divide an hour; the detail names which.
    BadEvent = 203,
}

/// Every status, in numeric order (private: cbindgen would export an associated const).
const ALL_STATUSES: [hdrl_status; 31] = {
    use hdrl_status::*;
    [
        Ok,
        NullPointer,
        InvalidParameter,
        BufferTooSmall,
        Io,
        InvalidPath,
        Panic,
        Internal,
        NoDecision,
        TableFull,
        BadMagic,
        UnsupportedVersion,
        Truncated,
        TrailingBytes,
        ChecksumMismatch,
        Malformed,
        UnknownKind,
        WrongQuant,
        Shape,
        PayloadSize,
        NonFiniteWeight,
        BadEncoder,
        DuplicateModel,
        MissingModel,
        BadRewardBounds,
        BadPriceTable,
        BadCarbonProfile,
        NonFiniteInput,
        OutOfRange,
        NonFiniteOutput,
        BadEvent,
    ]
};

impl hdrl_status {
    /// The status with this number, if there is one.
    pub fn from_u32(n: u32) -> Option<Self> {
        ALL_STATUSES.into_iter().find(|s| *s as u32 == n)
    }

    /// One sentence, NUL-terminated, at most `HDRL_MESSAGE_MAX` bytes with the NUL.
    pub fn message(self) -> &'static CStr {
        match self {
            Self::Ok => c"success",
            Self::NullPointer => c"a pointer argument that must not be NULL was NULL",
            Self::InvalidParameter => c"an argument is outside its documented values",
            Self::BufferTooSmall => c"the output buffer is too small",
            Self::Io => c"reading the file failed",
            Self::InvalidPath => c"the path is not valid UTF-8",
            Self::Panic => c"hdrl panicked (a bug in hdrl; please report it)",
            Self::Internal => c"hdrl hit an error it has no status for (a bug in hdrl)",
            Self::NoDecision => c"the tracker has no decision yet (refresh it first)",
            Self::TableFull => c"the table tracks as many functions as it holds: this one is untracked",
            Self::BadMagic => c"not an hdrl weight bundle (bad magic bytes)",
            Self::UnsupportedVersion => c"the bundle's format version is not supported",
            Self::Truncated => c"the bundle is truncated",
            Self::TrailingBytes => c"the bundle has trailing bytes after its end",
            Self::ChecksumMismatch => c"the bundle is corrupt (checksum mismatch)",
            Self::Malformed => c"the bundle's body is malformed",
            Self::UnknownKind => c"the bundle holds an unknown model kind",
            Self::WrongQuant => c"the bundle mixes f32 and int8 models",
            Self::Shape => c"a model's dimensions differ from this library's architecture",
            Self::PayloadSize => c"a model's payload has the wrong size",
            Self::NonFiniteWeight => c"the bundle holds a NaN or infinite weight or constant",
            Self::BadEncoder => c"the bundle holds an unusable encoder constant",
            Self::DuplicateModel => c"the bundle holds a model kind twice",
            Self::MissingModel => c"the bundle lacks a model this call needs",
            Self::BadRewardBounds => c"the bundle holds a reward bound that is not a finite positive number",
            Self::BadPriceTable => c"the bundle's price table holds a negative or non-finite price",
            Self::BadCarbonProfile => c"the bundle's carbon profile holds an intensity outside 0 to 2000 gCO2e/kWh",
            Self::NonFiniteInput => c"an observation field is NaN or infinite",
            Self::OutOfRange => c"an observation field is outside its documented range",
            Self::NonFiniteOutput => c"a forward pass produced a non-finite value",
            Self::BadEvent => c"a telemetry event holds an unusable clock, latency, cost or step length",
        }
    }
}

impl From<InferError> for hdrl_status {
    fn from(e: InferError) -> Self {
        match e {
            InferError::BadMagic => Self::BadMagic,
            InferError::UnsupportedVersion { .. } => Self::UnsupportedVersion,
            InferError::Truncated => Self::Truncated,
            InferError::TrailingBytes => Self::TrailingBytes,
            InferError::ChecksumMismatch { .. } => Self::ChecksumMismatch,
            InferError::Malformed => Self::Malformed,
            InferError::UnknownKind { .. } => Self::UnknownKind,
            InferError::WrongQuant { .. } => Self::WrongQuant,
            InferError::Shape { .. } => Self::Shape,
            InferError::PayloadSize { .. } => Self::PayloadSize,
            InferError::NonFiniteWeight { .. } => Self::NonFiniteWeight,
            InferError::BadEncoder { .. } => Self::BadEncoder,
            InferError::BadRewardBounds => Self::BadRewardBounds,
            InferError::BadPriceTable => Self::BadPriceTable,
            InferError::BadCarbonProfile => Self::BadCarbonProfile,
            InferError::DuplicateModel { .. } => Self::DuplicateModel,
            InferError::MissingModel { .. } => Self::MissingModel,
            InferError::NonFiniteInput { .. } => Self::NonFiniteInput,
            InferError::OutOfRange { .. } => Self::OutOfRange,
            InferError::NonFiniteOutput => Self::NonFiniteOutput,
            InferError::BufferTooSmall { .. } => Self::BufferTooSmall,
            InferError::BadEvent { .. } => Self::BadEvent,
            // `InferError` is non_exhaustive: a variant added later gets a number here.
            _ => Self::Internal,
        }
    }
}

/// The last failure's detail on this thread, NUL-free, truncated to fit with a NUL.
struct Detail {
    buf: [u8; HDRL_MESSAGE_MAX - 1],
    len: usize,
}

impl fmt::Write for Detail {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            let mut tmp = [0u8; 4];
            let bytes = ch.encode_utf8(&mut tmp).as_bytes();
            if self.len + bytes.len() > self.buf.len() {
                return Err(fmt::Error);
            }
            // A NUL inside would cut the C string short; no message of ours holds one.
            let ch_ok = !bytes.contains(&0);
            if ch_ok {
                self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
                self.len += bytes.len();
            }
        }
        Ok(())
    }
}

thread_local! {
    // Fixed-size and const-initialised: no allocation, nothing to free at thread exit.
    static DETAIL: RefCell<Detail> = const {
        RefCell::new(Detail { buf: [0; HDRL_MESSAGE_MAX - 1], len: 0 })
    };
}

/// Replace this thread's last error detail (truncated to `HDRL_MESSAGE_MAX - 1` bytes).
pub(crate) fn set_detail(args: fmt::Arguments<'_>) {
    DETAIL.with(|d| {
        if let Ok(mut d) = d.try_borrow_mut() {
            d.len = 0;
            // Err only means truncated, which is the documented behaviour.
            let _ = fmt::write(&mut *d, args);
        }
    });
}

/// Run `f` on this thread's last error detail; `None` while it is being written.
pub(crate) fn with_detail<R>(f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    DETAIL.with(|d| d.try_borrow().ok().map(|d| f(&d.buf[..d.len])))
}

/// Copy of this thread's last error detail, for tests.
#[cfg(test)]
pub(crate) fn detail_string() -> String {
    DETAIL.with(|d| String::from_utf8_lossy(&d.borrow().buf[..d.borrow().len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in ALL_STATUSES {
            assert!(seen.insert(s as u32));
            assert_eq!(hdrl_status::from_u32(s as u32), Some(s));
        }
        assert_eq!(hdrl_status::Ok as u32, 0);
        assert_eq!(hdrl_status::Panic as u32, 6);
        assert_eq!(hdrl_status::BadMagic as u32, 100);
        assert_eq!(hdrl_status::NonFiniteInput as u32, 200);
        assert_eq!(hdrl_status::NoDecision as u32, 8);
        assert_eq!(hdrl_status::TableFull as u32, 9);
        assert_eq!(hdrl_status::from_u32(10), None);
        assert_eq!(hdrl_status::from_u32(99), None);
    }

    #[test]
    fn every_message_fits_the_documented_maximum() {
        for s in ALL_STATUSES {
            assert!(s.message().to_bytes().len() < HDRL_MESSAGE_MAX, "{s:?}");
        }
    }

    #[test]
    fn long_details_are_truncated_at_a_char_boundary() {
        set_detail(format_args!("{}", "é".repeat(300)));
        let d = detail_string();
        assert_eq!(d.len(), 254);
        assert!(d.chars().all(|c| c == 'é'));
    }
}
