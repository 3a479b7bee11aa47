//! One error type for the whole binary, carrying its exit code (as cargo's
//! `CliError` and just's `Error::code` do).

use crate::text::{cut, ERROR_LINE_MAX};
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
    /// A child process already said why it failed: exit with its code, print nothing.
    Child(u8),
    /// SIGINT or SIGTERM (the number) arrived: exit 128+N, as the shell
    /// would have had om died of it (SPEC 4.3).
    Interrupted(i32),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Failed(_) | Error::Unknown(_) => 1,
            Error::Child(code) => *code,
            Error::Interrupted(sig) => u8::try_from(128 + sig).unwrap_or(1),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The one place one-line errors are cut (SPEC 7): a message
            // may carry a docker error line megabytes long.
            Error::Usage(msg) | Error::Failed(msg) | Error::Unknown(msg) => {
                f.write_str(&cut(msg, ERROR_LINE_MAX))
            }
            Error::Child(code) => write!(f, "exit code {code}"),
            // a hangup: the terminal gone, or the end of a lifeline
            Error::Interrupted(sig) if *sig == libc::SIGHUP => write!(
                f,
                "interrupted: hangup (signal {sig}): the terminal, or the ssh session of the node that ran this, ended"
            ),
            Error::Interrupted(sig) => write!(f, "interrupted by signal {sig}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_exits_128_plus_n() {
        assert_eq!(Error::Interrupted(15).code(), 143);
        assert_eq!(Error::Interrupted(2).to_string(), "interrupted by signal 2");
    }

    #[test]
    fn a_huge_message_is_cut() {
        let msg = format!("docker start failed: {}", "x".repeat(2_000_000));
        let shown = Error::Failed(msg).to_string();
        assert!(shown.len() < ERROR_LINE_MAX + 30, "{}", shown.len());
        assert!(shown.ends_with("… (1998021 more bytes)"), "{shown:.40}");
    }
}
