//! Calls whose output om reads as it comes: a child's lines handed on
//! one by one (`stream`, a remote om's over its lifeline, `stream_tied`),
//! and a follower's (`Lines`, `docker logs -f`). Bounded, as every call.

use super::{cut_short, exit_code, grouped, kill_group, slice, Cmd, Output};
use crate::error::{Error, Result};
use crate::interrupt;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    on_stdout: impl FnMut(&str),
) -> Result<Output> {
    interrupt::check()?;
    let since = Instant::now();
    let got = stream_unsaid(cmd, bound, stdin, on_stdout);
    cmd.said(since, &got, |o| o.status);
    got
}

fn stream_unsaid(
    cmd: &Cmd,
    bound: Duration,
    stdin: Option<std::io::PipeReader>,
    on_stdout: impl FnMut(&str),
) -> Result<Output> {
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
    let pgid = reader.pids().first().copied();
    let call = Streamed {
        cmd,
        bound,
        deadline,
        reader: Arc::new(reader),
        pgid,
    };
    let _live = interrupt::track(pgid);
    let (stdout, stderr) = call.pump(err_reader, on_stdout)?;
    call.reap(stdout, stderr)
}

/// A streamed call under way: its child, and the bound it keeps.
struct Streamed<'a> {
    cmd: &'a Cmd,
    bound: Duration,
    deadline: Instant,
    reader: Arc<duct::ReaderHandle>,
    pgid: Option<u32>,
}

impl Streamed<'_> {
    /// Why the call ends now (a signal, the bound), its group killed.
    fn cut_short(&self) -> Option<Error> {
        let e = cut_short(self.cmd, self.bound, self.deadline)?;
        kill_group(self.pgid);
        Some(e)
    }

    /// Hands each stdout line to `on_stdout` as it comes, until both
    /// pipes end; the ends of stdout and stderr (`KEPT`).
    fn pump(
        &self,
        err_reader: std::io::PipeReader,
        mut on_stdout: impl FnMut(&str),
    ) -> Result<(String, String)> {
        // Lines are read on their own threads, so that this one keeps the
        // bound and sees signals even while a read blocks (a grandchild
        // holding a pipe); on_stdout stays on the caller's thread. The loop
        // ends when both pipes are at their end (both senders gone). The
        // channel holds a few pieces: a child faster than this thread
        // waits on its pipe.
        let (send, pieces) = mpsc::sync_channel::<(Pipe, std::io::Result<String>)>(IN_FLIGHT);
        {
            let reader = Arc::clone(&self.reader);
            let send = send.clone();
            std::thread::spawn(move || read_lines(&*reader, Pipe::Out, &send));
        }
        std::thread::spawn(move || read_lines(err_reader, Pipe::Err, &send));
        let mut stdout = String::new();
        let mut stderr = String::new();
        loop {
            match pieces.recv_timeout(slice(self.deadline)) {
                Ok((Pipe::Out, Ok(line))) => {
                    on_stdout(&line);
                    // what a caller reads back is the end of it (docker run's id)
                    keep_end(&mut stdout, &line);
                }
                Ok((Pipe::Err, Ok(line))) => keep_end(&mut stderr, &line),
                // A read error leaves nothing to stream: end the child too,
                // rather than wait for it.
                Ok((_, Err(_))) => {
                    kill_group(self.pgid);
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Some(e) = self.cut_short() {
                return Err(e);
            }
        }
        keep_last(&mut stdout);
        keep_last(&mut stderr);
        Ok((stdout, stderr))
    }

    /// The child's exit, with what it printed. At EOF the reader has
    /// waited for the child; after a read error, the killed child is
    /// reaped here.
    fn reap(&self, stdout: String, stderr: String) -> Result<Output> {
        // both pipes ended: the child is exiting, looked at again after
        // 1 ms, then twice as long each time, up to a slice
        let mut nap = Duration::from_millis(1);
        loop {
            match self.reader.try_wait() {
                Ok(Some(out)) => {
                    return Ok(Output {
                        status: out.status,
                        stdout,
                        stderr,
                    })
                }
                Ok(None) => {}
                Err(e) => return Err(self.cmd.spawn_error(&e)),
            }
            if let Some(e) = self.cut_short() {
                return Err(e);
            }
            std::thread::sleep(slice(self.deadline).min(nap));
            nap *= 2;
        }
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
    /// Its process group, when it has one of its own (`spawn_grouped`),
    /// known to the signal handler (a second ^C ends it with om).
    pgid: Option<u32>,
    _live: Option<interrupt::Tracked>,
}

impl Lines {
    pub fn spawn(cmd: &Cmd) -> Result<Lines> {
        let reader = cmd
            .expression()
            .stdin_null()
            .stderr_to_stdout()
            .reader()
            .map_err(|e| cmd.spawn_error(&e))?;
        Ok(Lines {
            reader,
            pgid: None,
            _live: None,
        })
    }

    /// The same in a process group of its own, which `kill` and a drop
    /// end whole: a wrapper that forks its docker (`sudo docker`, a
    /// script) takes it with it (the watch's `docker events`, which no
    /// terminal signal is meant to reach).
    pub fn spawn_grouped(cmd: &Cmd) -> Result<Lines> {
        let reader = super::grouped(cmd)
            .stdin_null()
            .stderr_to_stdout()
            .reader()
            .map_err(|e| cmd.spawn_error(&e))?;
        let pgid = reader.pids().first().copied();
        Ok(Lines {
            reader,
            pgid,
            _live: Some(interrupt::track(pgid)),
        })
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
        if self.pgid.is_some() {
            super::kill_group(self.pgid);
        }
        let _ = self.reader.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::tests::sh;

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
            "process::stream::tests::a_child_printing_without_end_on_stderr_does_not_grow_om",
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
    fn a_tied_call_reads_no_end_of_its_stdin_while_om_holds_it() {
        // `timeout` says 124 when cat still waited; cat alone ends at EOF
        let script = "timeout 0.3 cat; echo $?";
        let tied = stream_tied(&sh(script), Duration::from_secs(5), |_| {}).unwrap();
        // the one byte of the handshake, then no end
        assert_eq!(tied.stdout, "\n124\n");
        let free = stream(&sh(script), Duration::from_secs(5), |_| {}).unwrap();
        assert_eq!(free.stdout.trim(), "0");
    }
}
