//! One error type for the whole binary. Each variant says what kind of
//! failure it is and carries its data; the message is written once, in
//! `Display`, and the exit code follows from the kind alone, in `code()`
//! (as cargo's `CliError` and just's `Error::code` do).

use crate::text::{cut, ERROR_LINE_MAX};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug)]
pub enum Error {
    /// A bad command line or a bad reference in one: exit 2.
    Usage(String),
    /// A config key (`DEFAULT.nodes`, `container#1.image`) and what is
    /// wrong with its value: exit 1.
    Config { key: String, why: String },
    /// A docker call the engine did not answer (it does not run, its
    /// socket is refused): the call as a shell line and docker's error
    /// line. om can not tell what runs: `status` exits 4 with it, other
    /// commands 1.
    Engine { call: String, line: String },
    /// An action or a check that failed, with the reason: exit 1.
    Failed(String),
    /// An I/O error on a named file: what was being done (`write`,
    /// `remove`; `REACH` when only reaching it, `fsutil::found`; empty:
    /// `PATH: ERROR`), the path and the error: exit 1.
    Io {
        op: &'static str,
        path: PathBuf,
        err: std::io::Error,
    },
    /// A service or an object that does not exist: its noun (`service`,
    /// `secret`, `config`) and its path: exit 1.
    NotFound { noun: &'static str, path: String },
    /// An object that has no key `key`: exit 1.
    NoKey {
        noun: &'static str,
        path: String,
        key: String,
    },
    /// A command (a docker query, `ip`, `systemctl`) that failed or whose
    /// answer could not be read: the call as a shell line, and why (its
    /// error line, the bound it missed): exit 1.
    Call { call: String, why: String },
    /// A lock another process held past the wait: whose lock, its
    /// holder's note, how long om waited: exit 1.
    Locked {
        whose: String,
        holder: String,
        waited: Duration,
    },
    /// A private docker daemon that ran and failed (`what`: exited at
    /// start, did not answer): its pid, its log and the log's last lines
    /// (each with its prefix, `last_lines`): exit 1.
    Daemon {
        pid: u32,
        what: String,
        log: PathBuf,
        tail: String,
    },
    /// What failed already said why (each resource's error line, each
    /// service's, a command's own report): exit 1, print nothing more.
    Said,
    /// An error that has been said already (the first of several
    /// services' failures): its code, nothing printed again.
    Reported(Box<Error>),
    /// A child process (docker, a shell, clap's usage) already said why:
    /// exit with its code, print nothing.
    Child(u8),
    /// `status`: the service is not up; the code says how (SPEC 3).
    Status(u8),
    /// `status`: om could not tell (no such service, a config that does
    /// not load, an engine that did not answer): exit 4, never "down".
    StatusUnknown,
    /// The reader of stdout went away (`om ls | head -1`): the command
    /// ends quietly, with success, as ripgrep does.
    StdoutClosed,
    /// SIGINT, SIGTERM or SIGHUP (the number) arrived: exit 128+N, as the
    /// shell would have had om died of it (SPEC 4.3).
    Interrupted(i32),
}

pub type Result<T> = std::result::Result<T, Error>;

/// `status`'s code when it can not tell (SPEC 3).
pub const STATUS_UNKNOWN: u8 = 4;

impl Error {
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Config { .. }
            | Error::Engine { .. }
            | Error::Failed(_)
            | Error::Io { .. }
            | Error::NotFound { .. }
            | Error::NoKey { .. }
            | Error::Call { .. }
            | Error::Locked { .. }
            | Error::Daemon { .. }
            | Error::Said => 1,
            Error::Child(code) | Error::Status(code) => *code,
            Error::StatusUnknown => STATUS_UNKNOWN,
            Error::StdoutClosed => 0,
            Error::Reported(e) => e.code(),
            Error::Interrupted(sig) => u8::try_from(128 + sig).unwrap_or(1),
        }
    }

    /// Whether the error has been said already (or needs no word): the
    /// caller prints nothing, and exits with `code()`.
    pub fn said(&self) -> bool {
        matches!(
            self,
            Error::Said
                | Error::Reported(_)
                | Error::Child(_)
                | Error::Status(_)
                | Error::StatusUnknown
                | Error::StdoutClosed
        )
    }

    /// The docker call `call` the engine did not answer, with its error line.
    pub fn engine(call: impl fmt::Display, line: impl Into<String>) -> Error {
        Error::Engine {
            call: call.to_string(),
            line: line.into(),
        }
    }

    /// `op` on `path` failed with `err` (see `Error::Io`).
    pub fn io(op: &'static str, path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            err,
        }
    }

    /// The call `call` failed, or its answer could not be read: `why`.
    pub fn call(call: impl fmt::Display, why: impl fmt::Display) -> Error {
        Error::Call {
            call: call.to_string(),
            why: why.to_string(),
        }
    }

    /// The `noun` (`service`, `secret`…) `path` does not exist.
    pub fn not_found(noun: &'static str, path: impl fmt::Display) -> Error {
        Error::NotFound {
            noun,
            path: path.to_string(),
        }
    }

    /// The config key `key`'s value is wrong: `why`.
    pub fn config(key: impl Into<String>, why: impl Into<String>) -> Error {
        Error::Config {
            key: key.into(),
            why: why.into(),
        }
    }
}

/// An unreachable engine's line: the call and docker's line, or, when the
/// socket refuses the user (docker's line, or the socket's own error, says
/// permission denied), the socket and what to do, without the call (its
/// `--format` template says nothing to that user) nor docker's long text.
fn engine_line(call: &str, line: &str) -> String {
    if !line.to_ascii_lowercase().contains("permission denied") {
        return format!(
            "docker engine unreachable ({}): {line}",
            without_template(call)
        );
    }
    // the socket docker names (`unix:///var/run/docker.sock`), or the one
    // of om's own request (`GET unix:///…/docker.sock/containers/json`)
    let socket = [line, call]
        .iter()
        .find_map(|s| s.split_once("unix://").map(|(_, rest)| rest))
        .map(|rest| {
            let end = rest
                .find(|c: char| c == ':' || c.is_whitespace())
                .unwrap_or(rest.len());
            let path = &rest[..end];
            path.find(".sock/")
                .map_or(path, |i| &path[..i + ".sock".len()])
                .to_string()
        })
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "the docker socket".into());
    format!(
        "docker engine unreachable: permission denied on {socket} (add the user to group docker, or use sudo)"
    )
}

/// The call as its reader needs it: without its `--format` template (om's
/// own parsing contract, a line of `{{…}}` that says nothing to the user).
fn without_template(call: &str) -> String {
    let Ok(words) = shell_words::split(call) else {
        return call.to_string();
    };
    let mut kept = Vec::with_capacity(words.len());
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        if w == "--format" {
            words.next();
        } else if !w.starts_with("--format=") {
            kept.push(w);
        }
    }
    shell_words::join(kept)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The one place one-line errors are cut (SPEC 7): a message may
        // carry a docker error line megabytes long.
        let line = match self {
            Error::Usage(msg) | Error::Failed(msg) => msg.clone(),
            Error::Config { key, why } => format!("{key}: {why}"),
            Error::Io { op, path, err } => io_line(op, path, err),
            Error::NotFound { noun, path } => format!("{noun} {path} does not exist"),
            Error::NoKey { noun, path, key } => format!("{noun} {path}: no key '{key}'"),
            Error::Call { call, why } => format!("{call}: {why}"),
            Error::Locked {
                whose,
                holder,
                waited,
            } => format!(
                "{whose} is locked by {holder}; gave up after {} (--waitlock)",
                crate::units::humanize(*waited)
            ),
            Error::Daemon {
                pid,
                what,
                log,
                tail,
            } => format!("docker daemon (pid {pid}) {what}: see {}{tail}", log.display()),
            Error::Engine { call, line } => engine_line(call, line),
            // never printed alone (`said`); inside another message (a
            // switch's "the start on N did not happen (…)") it reads as
            // the exit code it ends with, as the child's code did
            Error::Said => "exit code 1".into(),
            Error::Reported(e) => format!("exit code {}", e.code()),
            Error::Child(code) | Error::Status(code) => format!("exit code {code}"),
            Error::StatusUnknown => format!("exit code {STATUS_UNKNOWN}: the status is unknown"),
            Error::StdoutClosed => "stdout closed".into(),
            // a hangup: the terminal gone, or the end of a lifeline
            Error::Interrupted(sig) if *sig == libc::SIGHUP => format!(
                "interrupted: hangup (signal {sig}): the terminal, or the ssh session of the node that ran this, ended"
            ),
            Error::Interrupted(sig) => format!("interrupted by signal {sig}"),
        };
        f.write_str(&cut(&line, ERROR_LINE_MAX))
    }
}

/// `OP PATH: ERROR`; a path only reached (no `op`) that the user may not
/// reach says `PATH: permission denied`, the rule of "is it there"
/// (`fsutil::found`).
pub fn io_line(op: &str, path: &Path, err: &std::io::Error) -> String {
    match (op, err.kind()) {
        (REACH, std::io::ErrorKind::PermissionDenied) => {
            format!("{}: permission denied", path.display())
        }
        ("" | REACH, _) => format!("{}: {err}", path.display()),
        (op, _) => format!("{op} {}: {err}", path.display()),
    }
}

/// The `op` of an `Error::Io` that only reached for a file or directory
/// (`fsutil::found`): a user who may not reach it is told so in words,
/// `PATH: permission denied`.
pub const REACH: &str = "reach";

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

/// Names the file an I/O error was about: `write PATH: ERROR`.
pub trait IoContext<T> {
    fn at(self, op: &'static str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, op: &'static str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(op, path, e))
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
    fn the_code_follows_from_the_kind() {
        assert_eq!(Error::Usage("x".into()).code(), 2);
        assert_eq!(Error::config("DEFAULT.nodes", "x").code(), 1);
        assert_eq!(Error::engine("docker ps", "refused").code(), 1);
        assert_eq!(Error::Said.code(), 1);
        assert_eq!(Error::Child(3).code(), 3);
        assert_eq!(Error::Status(2).code(), 2);
        assert_eq!(Error::StatusUnknown.code(), 4);
        assert_eq!(Error::StdoutClosed.code(), 0);
        assert_eq!(
            Error::engine("docker ps", "refused").to_string(),
            "docker engine unreachable (docker ps): refused"
        );
        // never om's --format template
        assert_eq!(
            Error::engine(
                "docker ps -a --no-trunc --format '{{.ID}}\t{{.Names}}'",
                "Cannot connect to the Docker daemon at unix:///x. Is the docker daemon running?"
            )
            .to_string(),
            "docker engine unreachable (docker ps -a --no-trunc): Cannot connect to the Docker daemon at unix:///x. Is the docker daemon running?"
        );
        // the socket refusing the user: the socket and the hint, one line
        let denied = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json?all=1\": dial unix /var/run/docker.sock: connect: permission denied";
        assert_eq!(
            Error::engine("docker ps -a --format '{{.ID}}'", denied).to_string(),
            "docker engine unreachable: permission denied on /var/run/docker.sock (add the user to group docker, or use sudo)"
        );
        assert_eq!(
            Error::engine(
                "GET unix:///run/om/x.sock/containers/json?all=1",
                "Permission denied (os error 13)"
            )
            .to_string(),
            "docker engine unreachable: permission denied on /run/om/x.sock (add the user to group docker, or use sudo)"
        );
        assert_eq!(
            Error::config("container#1.image", "is empty").to_string(),
            "container#1.image: is empty"
        );
        assert!(Error::StdoutClosed.said() && !Error::Failed("x".into()).said());
    }

    #[test]
    fn each_kind_says_its_message_once() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let said = [
            (
                Error::io("write", "/r/etc/svc1.conf", full),
                "write /r/etc/svc1.conf: No space left on device (os error 28)",
            ),
            // only reached: "is it there" says permission denied plainly
            (
                Error::io(REACH, "/r/etc", denied()),
                "/r/etc: permission denied",
            ),
            // reached while doing something else: the OS's words
            (
                Error::io("", "/r/etc", std::io::Error::from_raw_os_error(libc::EACCES)),
                "/r/etc: Permission denied (os error 13)",
            ),
            (
                Error::not_found("service", "app/svc/web"),
                "service app/svc/web does not exist",
            ),
            (
                Error::NoKey {
                    noun: "secret",
                    path: "sec/db".into(),
                    key: "pw".into(),
                },
                "secret sec/db: no key 'pw'",
            ),
            (
                Error::call("docker ps -a", "no answer within 5s, killed"),
                "docker ps -a: no answer within 5s, killed",
            ),
            (
                Error::Locked {
                    whose: "svc1".into(),
                    holder: "pid 7 (om svc1 start)".into(),
                    waited: std::time::Duration::from_millis(1500),
                },
                "svc1 is locked by pid 7 (om svc1 start); gave up after 1500ms (--waitlock)",
            ),
            (
                Error::Daemon {
                    pid: 7,
                    what: "exited at start".into(),
                    log: "/r/log/svc1.dockerd.log".into(),
                    tail: " (last lines: x)".into(),
                },
                "docker daemon (pid 7) exited at start: see /r/log/svc1.dockerd.log (last lines: x)",
            ),
        ];
        for (e, text) in said {
            assert_eq!(e.to_string(), text);
            assert_eq!((e.code(), e.said()), (1, false), "{text}");
        }
    }

    #[test]
    fn a_huge_message_is_cut() {
        let msg = format!("docker start failed: {}", "x".repeat(2_000_000));
        let shown = Error::Failed(msg).to_string();
        assert!(shown.len() < ERROR_LINE_MAX + 30, "{}", shown.len());
        assert!(shown.ends_with("… (1998021 more bytes)"), "{shown:.40}");
    }
}
