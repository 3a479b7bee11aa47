//! The one module that spawns processes: through duct, argv only, never a
//! shell. A `Cmd` is data that prints as a pasteable shell line (as cargo's
//! `ProcessBuilder` does); the same value serves the action log, `--dry-run`
//! and error messages.

use crate::error::{Error, Result};
use crate::interrupt;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    /// Variables set in the child's environment (a secret for `docker run
    /// -e VAR`): never shown, the printed line carries the argv only.
    pub env: Vec<(String, crate::secret::Secret)>,
    /// Said after "command not found" when the program is missing (the
    /// docker CLI's: is it installed?).
    pub not_found_hint: &'static str,
}

impl Cmd {
    pub fn new<S: Into<String>>(
        program: impl Into<String>,
        args: impl IntoIterator<Item = S>,
    ) -> Cmd {
        Cmd {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            not_found_hint: "",
        }
    }

    /// The same command, `hint` said after "command not found".
    pub fn not_found_hint(self, hint: &'static str) -> Cmd {
        Cmd {
            not_found_hint: hint,
            ..self
        }
    }

    fn expression(&self) -> duct::Expression {
        let mut e = duct::cmd(&self.program, &self.args).unchecked();
        for (k, v) in &self.env {
            e = e.env(k, v.expose());
        }
        e
    }

    fn spawn_error(&self, e: &std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Failed(format!(
                "{}: command not found{}",
                self.program, self.not_found_hint
            ))
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
/// A word with a brace is quoted too: shell_words leaves `x{a,b}` bare,
/// which bash expands to two words (and the remote shell of a transport
/// call is often bash).
pub fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_=/.,:@%+#".contains(c);
    if !word.is_empty() && word.chars().all(safe) && !word.starts_with('#') {
        return word.to_string();
    }
    let quoted = shell_words::quote(word);
    if quoted == word && word.contains(['{', '}']) {
        // bare, so without a quote of its own
        format!("'{word}'")
    } else {
        quoted.into_owned()
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
        crate::units::humanize(bound)
    ))
}

/// A bounded call runs in its own process group, so that at its bound, or
/// on a signal, the whole group is killed: a wrapper (`sudo docker`, a
/// script) and whatever it forked die with it, and the pipes they held
/// close (SPEC 7). The terminal's SIGINT no longer reaches the group: om
/// relays it by killing the group (src/interrupt.rs).
fn grouped(cmd: &Cmd) -> duct::Expression {
    cmd.expression().before_spawn(|c| {
        c.process_group(0);
        Ok(())
    })
}

/// SIGKILL to a call's process group, named by its leader's pid.
fn kill_group(pgid: Option<u32>) {
    let Some(pgid) = pgid.and_then(|p| libc::pid_t::try_from(p).ok()) else {
        return;
    };
    // 0 would name om's own group, 1 init's.
    if pgid > 1 {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Why a running call must end now: a signal arrived, or its bound passed.
fn cut_short(cmd: &Cmd, bound: Duration, deadline: Instant) -> Option<Error> {
    if let Some(sig) = interrupt::pending() {
        return Some(Error::Interrupted(sig));
    }
    (Instant::now() >= deadline).then(|| timed_out(cmd, bound))
}

/// The next wait: up to the deadline, but short enough to see a signal.
fn slice(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .min(interrupt::SLICE)
}

/// Runs and captures stdout and stderr, killed at `bound` or on a signal.
pub fn capture(cmd: &Cmd, bound: Duration) -> Result<Output> {
    start(cmd, bound)?.finish()
}

/// A call started with `start`, its output captured: `finish` waits for
/// it; dropped unfinished, it is killed and reaped.
pub struct Started {
    cmd: Cmd,
    bound: Duration,
    deadline: Instant,
    handle: Option<duct::Handle>,
    pgid: Option<u32>,
    _live: interrupt::Tracked,
}

/// Starts a call whose output is captured, so that om can do other work
/// while it runs (status reads the configs while `docker ps` lists). The
/// bound counts from now.
pub fn start(cmd: &Cmd, bound: Duration) -> Result<Started> {
    start_with(cmd, bound, None)
}

/// `capture`, `input` written to the call's stdin (a config sent to
/// another node: never on an argv).
pub fn capture_input(cmd: &Cmd, bound: Duration, input: &[u8]) -> Result<Output> {
    start_with(cmd, bound, Some(input.to_vec()))?.finish()
}

fn start_with(cmd: &Cmd, bound: Duration, input: Option<Vec<u8>>) -> Result<Started> {
    interrupt::check()?;
    let deadline = Instant::now() + bound;
    let expr = grouped(cmd);
    let expr = match input {
        Some(bytes) => expr.stdin_bytes(bytes),
        None => expr.stdin_null(),
    };
    let handle = expr
        .stdout_capture()
        .stderr_capture()
        .start()
        .map_err(|e| cmd.spawn_error(&e))?;
    let pgid = handle.pids().first().copied();
    Ok(Started {
        cmd: cmd.clone(),
        bound,
        deadline,
        handle: Some(handle),
        pgid,
        _live: interrupt::track(pgid),
    })
}

impl Started {
    /// Waits for the call: its output, or why it was cut short.
    pub fn finish(mut self) -> Result<Output> {
        let Some(handle) = self.handle.take() else {
            return Err(self
                .cmd
                .spawn_error(&std::io::Error::other("already waited for")));
        };
        loop {
            // Done only when the child has exited and its pipes are closed: a
            // grandchild holding them keeps this waiting, up to the bound.
            match handle.wait_timeout(slice(self.deadline)) {
                Ok(Some(out)) => {
                    return Ok(Output {
                        status: out.status,
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    })
                }
                Ok(None) => {}
                Err(e) => {
                    kill_group(self.pgid);
                    return Err(self.cmd.spawn_error(&e));
                }
            }
            if let Some(e) = cut_short(&self.cmd, self.bound, self.deadline) {
                end(&handle, self.pgid);
                return Err(e);
            }
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            end(&handle, self.pgid);
        }
    }
}

/// Kills a call's group and reaps its leader now, rather than leave it to
/// duct's list of leaked children; a process that left the group (setsid)
/// and holds the pipes is not waited for.
fn end(handle: &duct::Handle, pgid: Option<u32>) {
    kill_group(pgid);
    let _ = handle.wait_timeout(REAP);
}

/// How long a killed call is given to be reaped.
const REAP: Duration = Duration::from_millis(200);

/// Runs, calling `on_stdout` with each stdout line as the child prints it;
/// stderr is captured and returned. Killed at `bound` or on a signal. Of
/// each, the caller gets the last `KEPT` bytes, read in pieces of at most
/// `MAX_LINE`: a child that prints without end (a trigger's gigabytes on
/// stderr) can not fill om's memory. Both come back as lines (each ended
/// by `\n`, a trailing `\r` dropped, a line longer than `MAX_LINE` in
/// several): read them with `.lines()`, not byte for byte.
pub fn stream(cmd: &Cmd, bound: Duration, on_stdout: impl FnMut(&str)) -> Result<Output> {
    stream_from(cmd, bound, None, on_stdout)
}

/// `stream`, the child's stdin a pipe that om holds open until the call
/// ends: the child reads its end only once om is gone (killed, even by
/// SIGKILL, which no handler sees) or has cut the call. A remote om reads
/// it as its lifeline (src/nodes/transport.rs). One byte is in it from the
/// start (the pipe holds it): the remote om reads it before it acts, the
/// proof that the remote shell passes stdin (`interrupt::tie_to_stdin`).
pub fn stream_tied(cmd: &Cmd, bound: Duration, on_stdout: impl FnMut(&str)) -> Result<Output> {
    use std::io::Write;
    // both ends close on exec: no other child of om holds the line open
    let (line, mut held) = std::io::pipe().map_err(|e| cmd.spawn_error(&e))?;
    held.write_all(b"\n").map_err(|e| cmd.spawn_error(&e))?;
    let out = stream_from(cmd, bound, Some(line), on_stdout);
    drop(held);
    out
}

fn stream_from(
    cmd: &Cmd,
    bound: Duration,
    stdin: Option<std::io::PipeReader>,
    mut on_stdout: impl FnMut(&str),
) -> Result<Output> {
    interrupt::check()?;
    let deadline = Instant::now() + bound;
    // stderr through a pipe of om's own, read as it comes like stdout
    // (duct's stderr_capture would hold all of it)
    let (err_reader, err_writer) = std::io::pipe().map_err(|e| cmd.spawn_error(&e))?;
    let expr = grouped(cmd);
    let expr = match stdin {
        Some(line) => expr.stdin_file(line),
        None => expr.stdin_null(),
    };
    let reader = expr
        .stderr_file(err_writer)
        .reader()
        .map_err(|e| cmd.spawn_error(&e))?;
    let reader = Arc::new(reader);
    let pgid = reader.pids().first().copied();
    let _live = interrupt::track(pgid);
    // Lines are read on their own threads, so that this one keeps the
    // bound and sees signals even while a read blocks (a grandchild holding
    // a pipe); on_stdout stays on the caller's thread. The loop ends when
    // both pipes are at their end (both senders gone). The channel holds
    // a few pieces: a child faster than this thread waits on its pipe.
    let (send, pieces) = mpsc::sync_channel::<(Pipe, std::io::Result<String>)>(IN_FLIGHT);
    {
        let reader = Arc::clone(&reader);
        let send = send.clone();
        std::thread::spawn(move || read_lines(&*reader, Pipe::Out, &send));
    }
    std::thread::spawn(move || read_lines(err_reader, Pipe::Err, &send));
    let mut stdout = String::new();
    let mut stderr = String::new();
    loop {
        match pieces.recv_timeout(slice(deadline)) {
            Ok((Pipe::Out, Ok(line))) => {
                on_stdout(&line);
                // what a caller reads back is the end of it (docker run's id)
                keep_end(&mut stdout, &line);
            }
            Ok((Pipe::Err, Ok(line))) => keep_end(&mut stderr, &line),
            // A read error leaves nothing to stream: end the child too,
            // rather than wait for it.
            Ok((_, Err(_))) => {
                kill_group(pgid);
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some(e) = cut_short(cmd, bound, deadline) {
            kill_group(pgid);
            return Err(e);
        }
    }
    keep_last(&mut stdout);
    keep_last(&mut stderr);
    // At EOF the reader has waited for the child; after a read error, the
    // killed child is reaped here.
    loop {
        match reader.try_wait() {
            Ok(Some(out)) => {
                return Ok(Output {
                    status: out.status,
                    stdout,
                    stderr,
                })
            }
            Ok(None) => {}
            Err(e) => return Err(cmd.spawn_error(&e)),
        }
        if let Some(e) = cut_short(cmd, bound, deadline) {
            kill_group(pgid);
            return Err(e);
        }
        std::thread::sleep(slice(deadline));
    }
}

/// Which of a streamed child's outputs a piece was read from.
#[derive(Clone, Copy)]
enum Pipe {
    Out,
    Err,
}

/// The end of a streamed command's stdout and stderr kept for its caller.
const KEPT: usize = 1 << 20;

/// The longest line handed on: a longer one is handed on in pieces.
const MAX_LINE: u64 = 64 * 1024;

/// The pieces read and not yet taken, at most.
const IN_FLIGHT: usize = 16;

/// Appends a line to `buf`, which holds at most twice `KEPT` bytes (and
/// a piece): cut back to its last `KEPT` once past that, so that the cut
/// is rare.
fn keep_end(buf: &mut String, line: &str) {
    buf.push_str(line);
    buf.push('\n');
    if buf.len() > 2 * KEPT {
        keep_last(buf);
    }
}

/// Cuts `buf` to its last `KEPT` bytes (at a char boundary).
fn keep_last(buf: &mut String) {
    if buf.len() > KEPT {
        let mut cut = buf.len() - KEPT;
        while !buf.is_char_boundary(cut) {
            cut += 1;
        }
        buf.drain(..cut);
    }
}

/// The last bytes of `buf` when they begin a UTF-8 character that does
/// not end there (at most 3): what a piece's bound cut off.
fn cut_char(buf: &[u8]) -> &[u8] {
    match std::str::from_utf8(buf) {
        Err(e) if e.error_len().is_none() => &buf[e.valid_up_to()..],
        _ => &[],
    }
}

/// Sends each line of `from`, without its line end and in pieces of at
/// most `MAX_LINE`, until EOF or a read error (sent too), or until nobody
/// listens.
fn read_lines(
    from: impl std::io::Read,
    pipe: Pipe,
    send: &mpsc::SyncSender<(Pipe, std::io::Result<String>)>,
) {
    let mut lines = BufReader::new(from);
    let mut buf = Vec::new();
    // the bytes of a character a piece's bound cut in two: the next piece
    // starts with them
    let mut carry: Vec<u8> = Vec::new();
    loop {
        buf.clear();
        buf.append(&mut carry);
        let line = match std::io::Read::take(&mut lines, MAX_LINE).read_until(b'\n', &mut buf) {
            Ok(0) if buf.is_empty() => return,
            Ok(n) => {
                // a piece cut at the bound (not the end of the output)
                if n as u64 == MAX_LINE && !buf.ends_with(b"\n") {
                    carry = cut_char(&buf).to_vec();
                    buf.truncate(buf.len() - carry.len());
                }
                Ok(String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string())
            }
            Err(e) => Err(e),
        };
        let stop = line.is_err();
        if send.send((pipe, line)).is_err() || stop {
            return;
        }
    }
}

/// A running command whose stdout and stderr (merged) are read line by
/// line: for `docker logs -f`, which runs until the operator's Ctrl-C (it
/// is not in a group of its own, so that signal reaches it with om), or
/// until `kill` (another reader's output was closed).
pub struct Lines {
    reader: duct::ReaderHandle,
}

impl Lines {
    pub fn spawn(cmd: &Cmd) -> Result<Lines> {
        let reader = cmd
            .expression()
            .stdin_null()
            .stderr_to_stdout()
            .reader()
            .map_err(|e| cmd.spawn_error(&e))?;
        Ok(Lines { reader })
    }

    /// Calls `on_line` with each whole line (bytes as they are: the caller
    /// escapes) until the child ends or `on_line` says stop; the exit code.
    pub fn each(&self, mut on_line: impl FnMut(&[u8]) -> bool) -> u8 {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(&self.reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match lines.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) if on_line(&buf) => {}
                Ok(_) => {
                    self.kill();
                    return 0;
                }
            }
        }
        match self.reader.try_wait() {
            Ok(Some(out)) => exit_code(out.status),
            _ => 1,
        }
    }

    pub fn kill(&self) {
        let _ = self.reader.kill();
    }
}

/// Runs with stdin, stdout and stderr inherited (a tty stays a tty) and
/// returns the exit code, 128+N when killed by signal N.
/// Starts `cmd` detached: a session of its own (no signal sent to om's
/// group or terminal reaches it), stdin from /dev/null, stdout and stderr
/// appended to `log` (0600). Returns its pid; it outlives om.
pub fn spawn_detached(
    cmd: &Cmd,
    log: &std::path::Path,
    owned: crate::fsutil::Owned,
) -> Result<u32> {
    let out = crate::fsutil::open_append(log, owned)
        .map_err(|e| Error::Failed(format!("{}: {e}", log.display())))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::Failed(format!("{}: {e}", log.display())))?;
    let mut command = std::process::Command::new(&cmd.program);
    command
        .args(&cmd.args)
        // not om's working directory: it would hold that mount busy
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err);
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| cmd.spawn_error(&e))?;
    Ok(child.id())
}

pub fn inherit(cmd: &Cmd) -> Result<u8> {
    let out = cmd.expression().run().map_err(|e| cmd.spawn_error(&e))?;
    Ok(exit_code(out.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_cut_by_a_piece_bound_is_kept_whole() {
        assert_eq!(cut_char("aé".as_bytes()), b"");
        assert_eq!(cut_char(&"aé".as_bytes()[..2]), &[0xc3]);
        assert_eq!(cut_char(b"a\xff"), b"", "invalid, not cut: lossy as before");
        let mut text = "a".repeat(MAX_LINE as usize - 1);
        text.push_str("éz\n");
        let (send, recv) = mpsc::sync_channel(16);
        read_lines(text.as_bytes(), Pipe::Err, &send);
        drop(send);
        let got: String = recv.iter().map(|(_, l)| l.unwrap()).collect();
        assert!(got.ends_with("éz"), "{}", &got[got.len() - 8..]);
        assert!(!got.contains('\u{fffd}'));
        // an output that ends inside a character is one line, as before
        let (send, recv) = mpsc::sync_channel(16);
        read_lines(&b"error: foo\xe2\x80"[..], Pipe::Err, &send);
        drop(send);
        let got: Vec<String> = recv.iter().map(|(_, l)| l.unwrap()).collect();
        assert_eq!(got, ["error: foo\u{fffd}"]);
    }

    fn sh(script: &str) -> Cmd {
        Cmd::new("sh", ["-c", script])
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
            env: vec![("PASS".into(), crate::secret::Secret::new("hunter2".into()))],
            not_found_hint: "",
        };
        assert_eq!(
            c.to_string(),
            "docker run --name=a.b --label=x.y#1 -e 'A=x y' '#c' '' '{1}'"
        );
        // the environment shows nowhere, not even in {:?}
        assert!(!format!("{c:?}").contains("hunter2"));
        // bash would expand a bare x{a,b} into two words
        assert_eq!(quote("x{a,b}"), "'x{a,b}'");
        assert_eq!(quote("{{.Names}}"), "'{{.Names}}'");
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

    /// Whether a process is gone (or a zombie, as good as gone), waiting
    /// a little for SIGKILL to land.
    fn dies_soon(pid: &str) -> bool {
        let stat = format!("/proc/{}/stat", pid.trim());
        for _ in 0..40 {
            match std::fs::read_to_string(&stat) {
                Err(_) => return true,
                Ok(s)
                    if s.rsplit(')')
                        .next()
                        .is_some_and(|r| r.trim_start().starts_with('Z')) =>
                {
                    return true
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        false
    }

    fn read_pids(file: &std::path::Path) -> Vec<String> {
        let text = std::fs::read_to_string(file).unwrap();
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_bound_holds_when_a_grandchild_keeps_the_pipes_open() {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let p = pids.display();
        let scripts = [
            // the child goes on too
            format!("sleep 30 & echo $! > {p}; sleep 30"),
            // the child exits at once, its grandchild holds stdout and stderr
            format!("sleep 30 & echo $! > {p}; echo started"),
        ];
        for script in &scripts {
            for streamed in [false, true] {
                let _ = std::fs::remove_file(&pids);
                let t = Instant::now();
                let bound = Duration::from_secs(1);
                let err = if streamed {
                    stream(&sh(script), bound, |_| {}).unwrap_err()
                } else {
                    capture(&sh(script), bound).unwrap_err()
                };
                let took = t.elapsed();
                assert!(err.to_string().contains("no answer within 1s"), "{err}");
                assert!(took < Duration::from_millis(1800), "{script}: {took:?}");
                for pid in read_pids(&pids) {
                    assert!(dies_soon(&pid), "{script}: {pid} left running");
                }
            }
        }
    }

    #[test]
    fn a_signal_kills_the_call_and_interrupts() {
        if !interrupt::in_own_process("process::tests::a_signal_kills_the_call_and_interrupts") {
            return;
        }
        interrupt::install();
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let script = format!(
            "echo $$ > {0}; sleep 5 & echo $! >> {0}; wait",
            pids.display()
        );
        // a second signal of a kind would end the test process: one each
        for (streamed, sig) in [(false, libc::SIGTERM), (true, libc::SIGINT)] {
            let _ = std::fs::remove_file(&pids);
            let raiser = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                signal_hook::low_level::raise(sig).unwrap();
            });
            let t = Instant::now();
            let r = if streamed {
                stream(&sh(&script), Duration::from_secs(10), |_| {})
            } else {
                capture(&sh(&script), Duration::from_secs(10))
            };
            raiser.join().unwrap();
            let took = t.elapsed();
            assert!(matches!(r, Err(Error::Interrupted(n)) if n == sig), "{r:?}");
            assert!(took < Duration::from_millis(800), "{took:?}");
            for pid in read_pids(&pids) {
                assert!(dies_soon(&pid), "{pid} left running");
            }
            // no new call starts while the signal is pending...
            assert!(matches!(
                capture(&sh("exit 0"), Duration::from_secs(1)),
                Err(Error::Interrupted(n)) if n == sig
            ));
            // ...and once acknowledged (a rollback), calls run again
            assert_eq!(interrupt::acknowledge(), Some(sig));
            assert!(capture(&sh("exit 0"), Duration::from_secs(1)).is_ok());
        }
    }

    #[test]
    fn a_tied_call_reads_no_end_of_its_stdin_while_om_holds_it() {
        // `timeout` says 124 when cat still waited; cat alone ends at EOF
        let script = "timeout 0.3 cat; echo $?";
        let tied = stream_tied(&sh(script), Duration::from_secs(5), |_| {}).unwrap();
        // the one byte of the handshake, then no end
        assert_eq!(tied.stdout, "\n124\n");
        let free = stream(&sh(script), Duration::from_secs(5), |_| {}).unwrap();
        assert_eq!(free.stdout.trim(), "0");
    }

    #[test]
    fn signals_become_128_plus_n() {
        assert_eq!(inherit(&sh("kill -TERM $$")).unwrap(), 128 + 15);
        assert_eq!(inherit(&sh("exit 7")).unwrap(), 7);
    }

    #[test]
    fn a_stream_without_end_is_handed_on_in_bounded_pieces() {
        let mut longest = 0;
        let mut total = 0;
        let out = stream(
            &sh("head -c 3000000 /dev/zero | tr '\\0' a"),
            Duration::from_secs(20),
            |l| {
                longest = longest.max(l.len());
                total += l.len();
            },
        )
        .unwrap();
        assert_eq!(total, 3_000_000);
        assert!(longest <= MAX_LINE as usize, "{longest}");
        assert_eq!(out.stdout.len(), KEPT);
        assert!(out.stdout.ends_with("aaa\n"));
    }

    /// The most memory this process has held, in bytes.
    fn peak_rss() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap();
        kb * 1024
    }

    #[test]
    fn a_child_printing_megabytes_on_stderr_leaves_its_last_mib() {
        // 5 MB on stderr, of lines without end and of short ones, then the
        // exit code: kept, the end of it, bounded
        let out = stream(
            &sh("head -c 5000000 /dev/zero | tr '\\0' e >&2; seq 1 200000 >&2; echo done; exit 3"),
            Duration::from_secs(20),
            |_| {},
        )
        .unwrap();
        assert_eq!(out.stderr.len(), KEPT);
        assert!(
            out.stderr.ends_with("199999\n200000\n"),
            "{}",
            &out.stderr[out.stderr.len() - 20..]
        );
        assert!(out.stderr.lines().all(|l| l.len() <= MAX_LINE as usize));
        assert_eq!(out.stdout, "done\n");
        assert_eq!(exit_code(out.status), 3);
    }

    #[test]
    fn a_child_printing_without_end_on_stderr_does_not_grow_om() {
        // alone in its process, so that its peak memory is its own
        if !interrupt::in_own_process(
            "process::tests::a_child_printing_without_end_on_stderr_does_not_grow_om",
        ) {
            return;
        }
        let before = peak_rss();
        let out = stream(
            &sh("head -c 300000000 /dev/zero | tr '\\0' e >&2; exit 1"),
            Duration::from_secs(60),
            |_| {},
        )
        .unwrap();
        assert_eq!(exit_code(out.status), 1);
        assert_eq!(out.stderr.len(), KEPT);
        let grown = peak_rss().saturating_sub(before);
        assert!(
            grown < 32 << 20,
            "{} MiB more for 300 MB of stderr",
            grown >> 20
        );
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let c = Cmd::new("/nonexistent/docker", Vec::<String>::new());
        let err = capture(&c, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("command not found"), "{err}");
    }
}
