//! The library's error type. The binary maps it to exit codes: 1 for
//! invalid input or a failed check, 2 for usage and I/O problems, 130 or 143
//! (the shell's codes for SIGINT and SIGTERM) when a signal stopped a command.
//! Every message starts with `error: ` (as clap's and the problems' do), so a
//! script can tell them from the report on stdout.

use std::io;
use std::path::PathBuf;

use crate::input::problem::Problems;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is invalid (fatal: nothing ran, nothing was written).
    #[error("{0}")]
    Invalid(Problems),
    /// Reading or writing a file failed.
    #[error("error: {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The command line is wrong.
    #[error("error: {0}")]
    Usage(String),
    /// Stopped by a signal (Ctrl-C, SIGTERM) after keeping what was
    /// finished; the message says what was kept.
    #[error("error: {1}")]
    Interrupted(Signal, String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_) => 1,
            Error::Io { .. } | Error::Usage(_) => 2,
            Error::Interrupted(signal, _) => signal.exit_code(),
        }
    }

    /// Whether this is a write to a closed pipe (`scalesim fields | head`):
    /// the reader has all it wanted, so the command ends cleanly, as
    /// ripgrep does.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }
}

impl From<Problems> for Error {
    fn from(p: Problems) -> Error {
        Error::Invalid(p)
    }
}

/// A signal that stops a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: `kill`, a pod's termination, a cancelled Slurm job.
    Terminate,
}

impl Signal {
    /// The exit code a shell reports for it: 128 + its number.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}
