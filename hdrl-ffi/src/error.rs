//! `Error`: everything an `extern "C"` function can fail with, before the panic boundary turns
//! it into an `hdrl_status` and records its detail.

use std::fmt;

use hdrl_infer::InferError;

use crate::status::{hdrl_status, set_detail};

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
                write!(f, "file is larger than {limit} bytes, far more than any bundle")
            }
            Self::Path => f.write_str("path is not valid UTF-8"),
            Self::Unrecorded(s) => write!(f, "{s:?}"),
        }
    }
}
