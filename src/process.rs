//! The one module that spawns processes: through duct, argv only, never a
//! shell. A `Cmd` is data that prints as a pasteable shell line (as cargo's
//! `ProcessBuilder` does); the same value serves the action log, `--dry-run`
//! and error messages.

use crate::error::{Error, Result};
use crate::interrupt;
use std::fmt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

mod stream;
pub use stream::{stream, stream_tied, Lines};

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
    /// `--debug`: the call is said in a D line when it ends, with its exit
    /// and its duration (src/debug.rs).
    pub trace: Option<crate::debug::Trace>,
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
            trace: None,
        }
    }

    /// The same command, said in a D line when it ends (`--debug`).
    pub fn traced(self, trace: Option<&crate::debug::Trace>) -> Cmd {
        Cmd {
            trace: trace.cloned(),
            ..self
        }
    }

    /// The D line of the call when it ends: how it ended and how long it
    /// took (the argv only: `Display` shows no environment, no stdin).
    fn said<T>(&self, since: Instant, got: &Result<T>, status: impl Fn(&T) -> ExitStatus) {
        crate::debug::line(self.trace.as_ref(), || {
            let how = match got {
                Ok(out) => format!("exit {}", exit_code(status(out))),
                Err(e) => format!("failed: {e}"),
            };
            format!("{self}: {how}, {}", crate::debug::ms(since.elapsed()))
        });
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
            Error::call(self, e)
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
    Error::call(
        cmd,
        format!("no answer within {}, killed", crate::units::humanize(bound)),
    )
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

/// `capture` for a call that must end well (an om action, which rolls
/// back what it started when it is told to stop): at `bound`, or on a
/// signal, its group gets SIGTERM, then SIGKILL only `grace` later. A
/// SIGKILL first would leave its own calls running in their groups, and
/// what they start after it ended is nobody's (the OCF agent's start).
pub fn capture_terminated(cmd: &Cmd, bound: Duration, grace: Duration) -> Result<Output> {
    start(cmd, bound)?.finish_within(grace)
}

/// SIGKILL to a call's process group, named by its leader's pid.
fn kill_group(pgid: Option<u32>) {
    signal_group(pgid, libc::SIGKILL);
}

/// A signal to a call's process group, named by its leader's pid.
fn signal_group(pgid: Option<u32>, sig: libc::c_int) {
    let Some(pgid) = pgid.and_then(|p| libc::pid_t::try_from(p).ok()) else {
        return;
    };
    // 0 would name om's own group, 1 init's.
    if pgid > 1 {
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            libc::kill(-pgid, sig);
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
    since: Instant,
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
    let since = Instant::now();
    let deadline = since + bound;
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
        since,
        bound,
        deadline,
        handle: Some(handle),
        pgid,
        _live: interrupt::track(pgid),
    })
}

impl Started {
    /// Waits for the call: its output, or why it was cut short.
    pub fn finish(self) -> Result<Output> {
        self.finish_within(Duration::ZERO)
    }

    /// `finish`, a call cut short (its bound, a signal) given `grace`
    /// after a SIGTERM to its group before the SIGKILL (none: at once).
    fn finish_within(mut self, grace: Duration) -> Result<Output> {
        let got = self.wait(grace);
        self.cmd.said(self.since, &got, |o| o.status);
        got
    }

    fn wait(&mut self, grace: Duration) -> Result<Output> {
        let Some(handle) = self.handle.take() else {
            return Err(self
                .cmd
                .spawn_error(&std::io::Error::other("already waited for")));
        };
        // cut short: why, and when its group is killed
        let mut cut: Option<(Error, Instant)> = None;
        loop {
            let until = cut.as_ref().map_or(self.deadline, |(_, at)| *at);
            // Done only when the child has exited and its pipes are closed: a
            // grandchild holding them keeps this waiting, up to the bound.
            match handle.wait_timeout(slice(until)) {
                Ok(Some(out)) => {
                    if let Some((e, _)) = cut {
                        return Err(e);
                    }
                    return Ok(Output {
                        status: out.status,
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    });
                }
                Ok(None) => {}
                Err(e) => {
                    kill_group(self.pgid);
                    return Err(self.cmd.spawn_error(&e));
                }
            }
            match cut.take() {
                None => {
                    if let Some(e) = cut_short(&self.cmd, self.bound, self.deadline) {
                        if grace.is_zero() {
                            end(&handle, self.pgid);
                            return Err(e);
                        }
                        signal_group(self.pgid, libc::SIGTERM);
                        cut = Some((e, Instant::now() + grace));
                    }
                }
                Some((e, at)) if Instant::now() >= at => {
                    end(&handle, self.pgid);
                    return Err(e);
                }
                Some(c) => cut = Some(c),
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
    let out = crate::fsutil::open_append(log, owned).map_err(|e| Error::io("", log, e))?;
    let err = out.try_clone().map_err(|e| Error::io("", log, e))?;
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

/// `left | right`, built here (argv only, never a shell): left's stdout
/// is right's stdin, each in a process group of its own, each stderr
/// captured; both killed at `bound` or on a signal, the left when the
/// right fails (a load that failed ends the save that feeds it). Each side's
/// output, in that order: the caller says which side failed.
pub fn pipe(left: &Cmd, right: &Cmd, bound: Duration) -> Result<(Output, Output)> {
    interrupt::check()?;
    let since = Instant::now();
    let (mut l, mut r) = spawn_pair(left, right)?;
    let _l_live = interrupt::track(Some(l.id()));
    let _r_live = interrupt::track(Some(r.id()));
    let l_err = drain(boxed(l.stderr.take()));
    let r_err = drain(boxed(r.stderr.take()));
    let r_out = drain(boxed(r.stdout.take()));
    let (ls, rs) = wait_pair(left, right, &mut l, &mut r, since + bound, bound)?;
    let killed = ExitStatus::from_raw(libc::SIGKILL);
    let out = |status: Option<ExitStatus>, stdout: String, stderr: String| Output {
        status: status.unwrap_or(killed),
        stdout,
        stderr,
    };
    let text = |h: std::thread::JoinHandle<String>| h.join().unwrap_or_default();
    let lo = out(ls, String::new(), text(l_err));
    let ro = out(rs, text(r_out), text(r_err));
    crate::debug::line(left.trace.as_ref().or(right.trace.as_ref()), || {
        format!(
            "{left} | {right}: exit {} and {}, {}",
            exit_code(lo.status),
            exit_code(ro.status),
            crate::debug::ms(since.elapsed())
        )
    });
    Ok((lo, ro))
}

/// `left`'s stdout into `right`'s stdin, each in a process group of its
/// own, their stderr (and the right's stdout) piped; a right that does not
/// start takes the left down with it.
fn spawn_pair(left: &Cmd, right: &Cmd) -> Result<(std::process::Child, std::process::Child)> {
    use std::process::{Command, Stdio};
    let command = |c: &Cmd| {
        let mut command = Command::new(&c.program);
        command
            .args(&c.args)
            .process_group(0)
            .stderr(Stdio::piped());
        for (k, v) in &c.env {
            command.env(k, v.expose());
        }
        command
    };
    let mut l = command(left)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| left.spawn_error(&e))?;
    let Some(feed) = l.stdout.take() else {
        kill_group(Some(l.id()));
        let _ = l.wait();
        return Err(left.spawn_error(&std::io::Error::other("no stdout")));
    };
    match command(right)
        .stdin(Stdio::from(feed))
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(r) => Ok((l, r)),
        Err(e) => {
            kill_group(Some(l.id()));
            let _ = l.wait();
            Err(right.spawn_error(&e))
        }
    }
}

/// A reader as one boxed type, for `drain`.
fn boxed<R: std::io::Read + Send + 'static>(s: Option<R>) -> Option<Box<dyn std::io::Read + Send>> {
    s.map(|s| Box::new(s) as Box<dyn std::io::Read + Send>)
}

/// All of `s`, read in a thread of its own (a pipe left full would stall
/// its writer).
fn drain(s: Option<Box<dyn std::io::Read + Send>>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = s {
            let _ = std::io::Read::read_to_end(&mut s, &mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for both ends of a pipe, within `deadline`: their exits (`None`:
/// killed). A right side that failed reads no more, so the left is ended;
/// a left that failed closes the right's stdin, which ends it in its own
/// order (a receiver cleans up what it half received).
fn wait_pair(
    left: &Cmd,
    right: &Cmd,
    l: &mut std::process::Child,
    r: &mut std::process::Child,
    deadline: Instant,
    bound: Duration,
) -> Result<(Option<ExitStatus>, Option<ExitStatus>)> {
    let (mut ls, mut rs) = (None, None);
    // polled from 1 ms, doubling up to 20: a short pipe ends without
    // waiting a whole slice (`scripts/bench p`)
    let mut nap = Duration::from_millis(1);
    while ls.is_none() || rs.is_none() {
        if ls.is_none() {
            ls = l.try_wait().map_err(|e| left.spawn_error(&e))?;
        }
        if rs.is_none() {
            rs = r.try_wait().map_err(|e| right.spawn_error(&e))?;
        }
        if rs.is_some_and(|s| !s.success()) && ls.is_none() {
            kill_group(Some(l.id()));
            ls = l.wait().ok();
            break;
        }
        if let Some(e) = cut_short(right, bound, deadline) {
            for c in [&mut *l, &mut *r] {
                kill_group(Some(c.id()));
                let _ = c.wait();
            }
            return Err(e);
        }
        if ls.is_none() || rs.is_none() {
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(20));
        }
    }
    Ok((ls, rs))
}

pub fn inherit(cmd: &Cmd) -> Result<u8> {
    let since = Instant::now();
    let out = cmd.expression().run().map_err(|e| cmd.spawn_error(&e));
    cmd.said(since, &out, |o| o.status);
    Ok(exit_code(out?.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn sh(script: &str) -> Cmd {
        Cmd::new("sh", ["-c", script])
    }

    #[test]
    fn a_terminated_call_is_told_first_and_killed_after_its_grace() {
        let dir = tempfile::tempdir().unwrap();
        let said = dir.path().join("said");
        // ends well on TERM: its handler runs, the call is still an error
        let script = format!(
            "trap 'echo term > {}; exit 0' TERM; sleep 5 & wait",
            said.display()
        );
        let t = Instant::now();
        let err = capture_terminated(
            &sh(&script),
            Duration::from_millis(300),
            Duration::from_secs(3),
        )
        .unwrap_err();
        assert!(err.to_string().contains("killed"), "{err}");
        assert_eq!(std::fs::read_to_string(&said).unwrap(), "term\n");
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        // deaf to TERM: killed once the grace is over
        let t = Instant::now();
        let deaf = "trap '' TERM; sleep 5";
        capture_terminated(
            &sh(deaf),
            Duration::from_millis(200),
            Duration::from_millis(500),
        )
        .unwrap_err();
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(650) && took < Duration::from_secs(4),
            "{took:?}"
        );
        // a call that ends in time is its output
        let out = capture_terminated(&sh("echo ok"), Duration::from_secs(5), GRACE_TEST).unwrap();
        assert_eq!(out.stdout, "ok\n");
    }

    const GRACE_TEST: Duration = Duration::from_secs(1);

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
            trace: None,
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
    fn signals_become_128_plus_n() {
        assert_eq!(inherit(&sh("kill -TERM $$")).unwrap(), 128 + 15);
        assert_eq!(inherit(&sh("exit 7")).unwrap(), 7);
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let c = Cmd::new("/nonexistent/docker", Vec::<String>::new());
        let err = capture(&c, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("command not found"), "{err}");
    }
}
