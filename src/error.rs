//! One error type for the whole binary, carrying its exit code (as cargo's
//! `CliError` and just's `Error::code` do).

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// A bad command line or a bad reference in one: exit 2.
    Usage(String),
    /// An action or a check that failed, with the reason: exit 1.
    Failed(String),
    /// om could not tell (the engine unreachable, a query unreadable):
    /// `status` exits 4 with it, other commands 1.
    Unknown(String),
    /// SIGINT or SIGTERM arrived: exit 128+N.
    Interrupted(i32),
    /// A child process already said why it failed: exit with its code, print nothing.
    Child(u8),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Failed(_) | Error::Unknown(_) => 1,
            Error::Interrupted(sig) => u8::try_from(128 + sig).unwrap_or(1),
            Error::Child(code) => *code,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Failed(msg) | Error::Unknown(msg) => f.write_str(msg),
            Error::Interrupted(sig) => write!(f, "interrupted by signal {sig}"),
            Error::Child(code) => write!(f, "exit code {code}"),
        }
    }
}

/// Shorthand for the common "failed with this message" error.
pub fn fail<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Failed(msg.into()))
}

/// Attach what was being done to an I/O error, naming the file.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Failed(format!("{}: {e}", what())))
    }
}
