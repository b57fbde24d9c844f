//! `hdrl_status`, its messages, and the per-thread detail of the last failure.

use std::cell::RefCell;
use std::ffi::{CStr, c_char};
use std::fmt;

use hdrl_infer::InferError;

use crate::handle::out;
use crate::panic::ffi_boundary;

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
    /// An observation field is NaN or infinite; the detail gives its index, which is the
    /// field's position in `hdrl_observation` (0 = `strategic_cost_usd_per_m`).
    NonFiniteInput = 200,
    /// An observation field is outside its documented domain (e.g. a negative rate); the
    /// detail gives its index as for `HDRL_STATUS_NON_FINITE_INPUT`.
    OutOfRange = 201,
    /// A forward pass produced NaN or infinity (finite but extreme weights and inputs).
    NonFiniteOutput = 202,
}

/// Every status, in numeric order (private: cbindgen would export an associated const).
const ALL_STATUSES: [hdrl_status; 25] = {
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
        NonFiniteInput,
        OutOfRange,
        NonFiniteOutput,
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
            Self::NonFiniteInput => c"an observation field is NaN or infinite",
            Self::OutOfRange => c"an observation field is outside its documented range",
            Self::NonFiniteOutput => c"a forward pass produced a non-finite value",
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
            InferError::DuplicateModel { .. } => Self::DuplicateModel,
            InferError::MissingModel { .. } => Self::MissingModel,
            InferError::NonFiniteInput { .. } => Self::NonFiniteInput,
            InferError::OutOfRange { .. } => Self::OutOfRange,
            InferError::NonFiniteOutput => Self::NonFiniteOutput,
            InferError::BufferTooSmall { .. } => Self::BufferTooSmall,
            // `InferError` is non_exhaustive: a variant added later gets a number here.
            _ => Self::Internal,
        }
    }
}

/// Everything an `extern "C"` function can fail with, before it becomes a status.
#[derive(Debug)]
pub(crate) enum Error {
    /// From the inference core.
    Infer(InferError),
    /// A NULL pointer argument, by name.
    Null(&'static str),
    /// A bad argument, with why.
    Invalid(&'static str),
    /// A buffer of `got` bytes where `need` are needed.
    TooSmall { need: usize, got: usize },
    /// Reading a file.
    Io(std::io::Error),
    /// A file larger than any bundle.
    TooLarge { limit: u64 },
    /// A path that is not UTF-8.
    Path,
    /// An error whose status is returned without replacing the thread's detail.
    Unrecorded(hdrl_status),
}

impl From<InferError> for Error {
    fn from(e: InferError) -> Self {
        Self::Infer(e)
    }
}

impl Error {
    /// The status of this error.
    pub(crate) fn status(&self) -> hdrl_status {
        match self {
            Self::Infer(e) => (*e).into(),
            Self::Null(_) => hdrl_status::NullPointer,
            Self::Invalid(_) => hdrl_status::InvalidParameter,
            Self::TooSmall { .. } => hdrl_status::BufferTooSmall,
            Self::Io(_) => hdrl_status::Io,
            Self::TooLarge { .. } => hdrl_status::TrailingBytes,
            Self::Path => hdrl_status::InvalidPath,
            Self::Unrecorded(s) => *s,
        }
    }

    /// Keep this error as the thread's last error detail and return its status.
    pub(crate) fn record(self) -> hdrl_status {
        if !matches!(self, Self::Unrecorded(_)) {
            set_detail(format_args!("{self}"));
        }
        self.status()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Infer(e) => write!(f, "{e}"),
            Self::Null(arg) => write!(f, "argument `{arg}` is NULL"),
            Self::Invalid(why) => f.write_str(why),
            Self::TooSmall { need, got } => {
                write!(f, "buffer of {got} bytes is too small, {need} needed")
            }
            Self::Io(e) => write!(f, "cannot read the bundle file: {e}"),
            Self::TooLarge { limit } => {
                write!(
                    f,
                    "file is larger than {limit} bytes, far more than any bundle"
                )
            }
            Self::Path => f.write_str("path is not valid UTF-8"),
            Self::Unrecorded(s) => write!(f, "{s:?}"),
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

/// Copy of this thread's last error detail, for tests.
#[cfg(test)]
pub(crate) fn detail_string() -> String {
    DETAIL.with(|d| String::from_utf8_lossy(&d.borrow().buf[..d.borrow().len]).into_owned())
}

/// Copy `text` and a NUL into `buf`, or fail without writing when it does not fit.
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes; `written` is NULL or valid for a write.
unsafe fn copy_c_string(
    text: &[u8],
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> Result<(), Error> {
    let written = out!(written);
    if buf.is_null() {
        return Err(Error::Null("buf"));
    }
    if len < text.len() + 1 {
        return Err(Error::TooSmall {
            need: text.len() + 1,
            got: len,
        });
    }
    // SAFETY: the caller guarantees `buf` is valid for `len` bytes, and `len` was checked to
    // hold the text plus its NUL; `text` is a Rust slice, so the two cannot overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    written.write(text.len());
    Ok(())
}

/// Copy the message of `status` into `buf` as a NUL-terminated string.
///
/// `status` is a `uint32_t` rather than an `hdrl_status` so that any number is safe to pass:
/// a number this library does not define gives `HDRL_STATUS_INVALID_PARAMETER` and writes
/// nothing.
///
/// Outputs: on success, `buf` holds the message and its NUL and `*written` the message's
/// length without the NUL (as `strlen`). On failure nothing is written.
///
/// Errors: `HDRL_STATUS_NULL_POINTER` if `buf` or `written` is NULL;
/// `HDRL_STATUS_BUFFER_TOO_SMALL` if `len` is less than the message length plus one (a
/// buffer of `HDRL_MESSAGE_MAX` bytes always suffices); `HDRL_STATUS_INVALID_PARAMETER` for
/// an unknown `status`.
///
/// Thread safety: any thread, any time. Messages are static English sentences.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes; `written` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_status_message(
    status: u32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> hdrl_status {
    ffi_boundary! {
        let status = hdrl_status::from_u32(status)
            .ok_or(Error::Invalid("unknown hdrl_status number"))?;
        // SAFETY: forwarded from this function's contract.
        unsafe { copy_c_string(status.message().to_bytes(), buf, len, written) }
    }
}

/// Copy the detail of the last failed call made by the calling thread into `buf` as a
/// NUL-terminated string: which observation field was NaN, which OS error a file read
/// met, which argument was NULL. An empty string if no call on this thread has failed.
///
/// The detail is kept per thread (like `errno`), replaced by every failing call, never
/// cleared by a successful one; a failure of this function itself does not replace it.
/// Details are for logs: their wording may change between releases, the status numbers
/// do not.
///
/// Outputs, errors and thread safety as `hdrl_status_message` (a buffer of
/// `HDRL_MESSAGE_MAX` bytes always suffices).
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes; `written` NULL or valid for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hdrl_last_error_message(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> hdrl_status {
    ffi_boundary! {
        let copied = DETAIL.with(|d| {
            let d = d.try_borrow().map_err(|_| Error::Invalid("detail is busy"))?;
            // SAFETY: forwarded from this function's contract.
            unsafe { copy_c_string(&d.buf[..d.len], buf, len, written) }
        });
        // Unlike other calls, a failure here leaves the previous detail in place.
        copied.map_err(|e| Error::Unrecorded(e.status()))
    }
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
        assert_eq!(hdrl_status::from_u32(8), None);
        assert_eq!(hdrl_status::from_u32(99), None);
    }

    #[test]
    fn every_message_fits_the_documented_maximum() {
        for s in ALL_STATUSES {
            assert!(s.message().to_bytes().len() < HDRL_MESSAGE_MAX, "{s:?}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn message_is_copied_only_when_it_fits() {
        let mut buf = [b'x' as c_char; 8];
        let mut written = 99usize;
        // SAFETY: buf and written are live locals of the stated sizes.
        let st = unsafe {
            hdrl_status_message(hdrl_status::Ok as u32, buf.as_mut_ptr(), 8, &mut written)
        };
        assert_eq!(st, hdrl_status::Ok);
        assert_eq!(written, 7);
        assert_eq!(buf[7], 0);
        // SAFETY: as above.
        let st = unsafe {
            hdrl_status_message(hdrl_status::Io as u32, buf.as_mut_ptr(), 8, &mut written)
        };
        assert_eq!(st, hdrl_status::BufferTooSmall);
        assert_eq!(written, 7, "nothing written on failure");
        assert_eq!(detail_string(), "buffer of 8 bytes is too small, 24 needed");
        // SAFETY: as above.
        let st = unsafe { hdrl_status_message(1234, buf.as_mut_ptr(), 8, &mut written) };
        assert_eq!(st, hdrl_status::InvalidParameter);
    }

    #[test]
    fn long_details_are_truncated_at_a_char_boundary() {
        set_detail(format_args!("{}", "é".repeat(300)));
        let d = detail_string();
        assert_eq!(d.len(), 254);
        assert!(d.chars().all(|c| c == 'é'));
    }
}
