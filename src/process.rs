//! The one module that spawns processes: through duct, argv only, never a
//! shell. A `Cmd` is data that prints as a pasteable shell line (as cargo's
//! `ProcessBuilder` does); the same value serves the action log, `--dry-run`
//! and error messages.

use crate::error::{Error, Result};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// The docker CLI to run: `OM_DOCKER` overrides `docker` (found in `PATH`).
pub fn docker_program() -> String {
    crate::host::docker_cli().program.clone()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
}

impl Cmd {
    pub fn docker<S: Into<String>>(args: impl IntoIterator<Item = S>) -> Cmd {
        Cmd::new(docker_program(), args)
    }

    pub fn new<S: Into<String>>(
        program: impl Into<String>,
        args: impl IntoIterator<Item = S>,
    ) -> Cmd {
        Cmd {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    fn expression(&self) -> duct::Expression {
        duct::cmd(&self.program, &self.args).unchecked()
    }

    fn spawn_error(&self, e: &std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            let hint = if self.program == docker_program() {
                " (is the docker CLI installed and in PATH?)"
            } else {
                ""
            };
            Error::Failed(format!("{}: command not found{hint}", self.program))
        } else {
            Error::Failed(format!("{self}: {e}"))
        }
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = std::iter::once(&self.program)
            .chain(&self.args)
            .map(|w| quote(w))
            .collect();
        f.write_str(&words.join(" "))
    }
}

/// Quotes a word for a shell only when it needs it, so that the log reads
/// `--name=svc1.container.1` (shell_words quotes every `=`) and still pastes.
pub fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=/.,:@%+#".contains(c);
    if !word.is_empty() && word.chars().all(safe) && !word.starts_with('#') {
        word.to_string()
    } else {
        shell_words::quote(word).into_owned()
    }
}

/// What a finished command left.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The stderr line that says why, for one-line error messages: the last
    /// one mentioning an error (docker follows it with usage hints), else the
    /// last non-empty one.
    pub fn error_line(&self) -> String {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        lines
            .iter()
            .rev()
            .find(|l| l.to_ascii_lowercase().contains("error"))
            .or(lines.last())
            .map_or_else(
                || format!("exit code {}", exit_code(self.status)),
                |l| l.to_string(),
            )
    }
}

/// The shell convention: the exit code, or 128+N when killed by signal N.
pub fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(sig)) => u8::try_from((128 + sig) & 0xff).unwrap_or(1),
        _ => 1,
    }
}

fn timed_out(cmd: &Cmd, bound: Duration) -> Error {
    Error::Failed(format!(
        "{cmd}: no answer within {}, killed",
        humanize(bound)
    ))
}

pub fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Runs and captures stdout and stderr, killed at `bound`.
pub fn capture(cmd: &Cmd, bound: Duration) -> Result<Output> {
    let handle = cmd
        .expression()
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .start()
        .map_err(|e| cmd.spawn_error(&e))?;
    let out = match handle.wait_timeout(bound) {
        Ok(Some(out)) => out,
        Ok(None) => {
            let _ = handle.kill();
            return Err(timed_out(cmd, bound));
        }
        Err(e) => return Err(cmd.spawn_error(&e)),
    };
    Ok(Output {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs, calling `on_stdout` with each stdout line as the child prints it;
/// stderr is captured and returned. Killed at `bound`.
pub fn stream(cmd: &Cmd, bound: Duration, mut on_stdout: impl FnMut(&str)) -> Result<Output> {
    let reader = cmd
        .expression()
        .stdin_null()
        .stderr_capture()
        .reader()
        .map_err(|e| cmd.spawn_error(&e))?;
    let reader = Arc::new(reader);
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = {
        let reader = Arc::clone(&reader);
        std::thread::spawn(move || {
            let expired = matches!(
                finished.recv_timeout(bound),
                Err(mpsc::RecvTimeoutError::Timeout)
            );
            if expired {
                let _ = reader.kill();
            }
            expired
        })
    };
    let mut stdout = String::new();
    let mut lines = BufReader::new(&*reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match lines.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            // A read error leaves nothing to stream: end the child too,
            // rather than wait for it.
            Err(_) => {
                let _ = reader.kill();
                break;
            }
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\n', '\r']);
                on_stdout(line);
                stdout.push_str(line);
                stdout.push('\n');
            }
        }
    }
    let _ = done.send(());
    let expired = watchdog.join().unwrap_or(false);
    if expired {
        return Err(timed_out(cmd, bound));
    }
    let out = match reader.try_wait() {
        Ok(Some(out)) => out,
        Ok(None) => return Err(Error::Failed(format!("{cmd}: did not exit"))),
        Err(e) => return Err(cmd.spawn_error(&e)),
    };
    Ok(Output {
        status: out.status,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs with stdin, stdout and stderr inherited (a tty stays a tty) and
/// returns the exit code, 128+N when killed by signal N.
pub fn inherit(cmd: &Cmd) -> Result<u8> {
    let out = cmd.expression().run().map_err(|e| cmd.spawn_error(&e))?;
    Ok(exit_code(out.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Cmd {
        Cmd {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
        }
    }

    #[test]
    fn prints_as_a_shell_line() {
        let c = Cmd {
            program: "docker".into(),
            args: [
                "run",
                "--name=a.b",
                "--label=x.y#1",
                "-e",
                "A=x y",
                "#c",
                "",
                "{1}",
            ]
            .map(String::from)
            .to_vec(),
        };
        assert_eq!(
            c.to_string(),
            "docker run --name=a.b --label=x.y#1 -e 'A=x y' '#c' '' {1}"
        );
    }

    #[test]
    fn streams_lines_and_captures_stderr() {
        let mut seen = Vec::new();
        let out = stream(
            &sh("echo a; echo err >&2; printf b; exit 3"),
            Duration::from_secs(5),
            |l| seen.push(l.to_string()),
        )
        .unwrap();
        assert_eq!(seen, ["a", "b"]);
        assert_eq!(out.stderr, "err\n");
        assert_eq!(exit_code(out.status), 3);
    }

    #[test]
    fn error_line_skips_usage_hints() {
        let out = capture(
            &sh("echo 'docker: Error response from daemon: boom' >&2; echo \"Run 'docker run --help'\" >&2; exit 125"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(out.error_line(), "docker: Error response from daemon: boom");
        let out = capture(
            &sh("echo a >&2; echo b >&2; exit 1"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(out.error_line(), "b");
        let out = capture(&sh("exit 3"), Duration::from_secs(5)).unwrap();
        assert_eq!(out.error_line(), "exit code 3");
    }

    #[test]
    fn kills_at_the_bound() {
        let err = capture(&sh("exec sleep 5"), Duration::from_millis(200)).unwrap_err();
        assert!(err.to_string().contains("killed"), "{err}");
        let err = stream(&sh("exec sleep 5"), Duration::from_millis(200), |_| {}).unwrap_err();
        assert!(err.to_string().contains("200ms"), "{err}");
    }

    #[test]
    fn signals_become_128_plus_n() {
        assert_eq!(inherit(&sh("kill -TERM $$")).unwrap(), 128 + 15);
        assert_eq!(inherit(&sh("exit 7")).unwrap(), 7);
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let c = Cmd {
            program: "/nonexistent/docker".into(),
            args: vec![],
        };
        let err = capture(&c, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("command not found"), "{err}");
    }
}
