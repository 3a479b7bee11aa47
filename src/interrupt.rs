//! SIGINT, SIGTERM and SIGHUP during an action (SPEC 4.3). The handler only records
//! the signal; the docker call running (src/process.rs) and the waits
//! (`sleep`) poll it, kill the call's process group and return
//! `Error::Interrupted(n)`, so the action can log it, roll back, release its
//! lock and exit 128+N. A second signal of the same kind ends om at once.
//! SIGHUP (the terminal or the ssh session of the operator gone) is one of
//! them: its default action killed om mid-action, silently, where a switch
//! then left the service down on both nodes (issue 21, a hostile run).
//!
//! Not installed for the commands whose child shares the terminal (the
//! docker passthrough, `enter`, `edit config`): there the child gets the
//! terminal's SIGINT itself and om passes its exit code through.

use crate::error::{Error, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::flag;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

/// How often a wait looks at the flag: a signal is acted on within this.
pub const SLICE: Duration = Duration::from_millis(50);

/// The last signal received, 0 before any.
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// The signal the action already answered (it is rolling back): `pending`
/// no longer reports it, `received` still does, for the exit code.
static ACKNOWLEDGED: AtomicUsize = AtomicUsize::new(0);
static SEEN_INT: AtomicBool = AtomicBool::new(false);
static SEEN_TERM: AtomicBool = AtomicBool::new(false);
static SEEN_HUP: AtomicBool = AtomicBool::new(false);

/// Registers the handlers; later calls do nothing. A registration that
/// fails leaves the signal's default action (om dies at once), which is
/// what it did before: not a reason to refuse the action.
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        for (sig, seen) in [
            (SIGINT, &SEEN_INT),
            (SIGTERM, &SEEN_TERM),
            (SIGHUP, &SEEN_HUP),
        ] {
            // The shutdown goes first, so that it sees `seen` as the
            // previous signal of this kind left it: the first one arms it,
            // the second one kills the docker calls running (their own
            // process groups get no terminal signal) and exits.
            // SAFETY: the handler only loads atomics and calls kill(2) and
            // _exit(2), which are async-signal-safe.
            // A hangup never ends om at once: a dropped session often sends
            // two (the shell forwards one to its jobs, the kernel another
            // to the foreground group), and the second would cut a rollback
            // short (a switch's way back, say). An operator's second ^C or
            // SIGTERM still does.
            if sig != SIGHUP {
                let _ = unsafe {
                    signal_hook::low_level::register(sig, move || {
                        if seen.load(Ordering::SeqCst) {
                            kill_live_groups();
                            signal_hook::low_level::exit(128 + sig);
                        }
                    })
                };
            }
            let _ = flag::register(sig, seen);
            let _ = flag::register_usize(sig, &RECEIVED, usize::try_from(sig).unwrap_or(0));
        }
    });
}

/// Set when a signal came while `outlive_child` held them.
static OUTLIVED: AtomicBool = AtomicBool::new(false);
/// The last SIGTERM or SIGHUP that came while `outlive_child` held them
/// (0: none): sent to om itself, unlike the terminal's ^C, which the
/// editor shares and handles.
static ENDED_BY: AtomicUsize = AtomicUsize::new(0);

/// For a child that shares the terminal (an editor) after which om must
/// still clean up (`edit --key` removes the value's file): SIGINT, SIGQUIT,
/// SIGTERM and SIGHUP only set a flag, as often as they come. A handler,
/// not SIG_IGN: the child gets the default dispositions back at exec, so a
/// ^C is the editor's own, and om acts on how the editor ended.
pub fn outlive_child() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        for sig in [SIGINT, signal_hook::consts::SIGQUIT, SIGTERM, SIGHUP] {
            let _ = flag::register(sig, &OUTLIVED);
        }
        for sig in [SIGTERM, SIGHUP] {
            let _ = flag::register_usize(sig, &ENDED_BY, usize::try_from(sig).unwrap_or(0));
        }
    });
}

/// The SIGTERM or SIGHUP om was sent while `outlive_child` held the
/// signals: om was told to end, so what the child did is not acted on.
pub fn outlived_end() -> Option<i32> {
    match ENDED_BY.load(Ordering::SeqCst) {
        0 => None,
        sig => i32::try_from(sig).ok(),
    }
}

/// The process groups of the docker calls running now (0: a free slot).
static LIVE: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// Keeps a running call's process group known until dropped, so that a
/// second signal that ends om at once still takes the call with it.
pub struct Tracked(Option<usize>);

pub fn track(pgid: Option<u32>) -> Tracked {
    let Some(pgid) = pgid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 1) else {
        return Tracked(None);
    };
    let slot = LIVE.iter().position(|s| {
        s.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    });
    Tracked(slot)
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            LIVE[i].store(0, Ordering::SeqCst);
        }
    }
}

fn kill_live_groups() {
    for s in &LIVE {
        let pgid = s.load(Ordering::SeqCst);
        if pgid > 1 {
            // SAFETY: kill(2) with plain integers, async-signal-safe.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

fn signal(raw: usize) -> Option<i32> {
    i32::try_from(raw).ok().filter(|s| *s != 0)
}

/// The signal that should stop what runs now: received and not yet
/// acknowledged.
pub fn pending() -> Option<i32> {
    if FINISHING.load(Ordering::SeqCst) > 0 {
        return None;
    }
    let sig = RECEIVED.load(Ordering::SeqCst);
    if sig == ACKNOWLEDGED.load(Ordering::SeqCst) {
        return None;
    }
    signal(sig)
}

/// The signal received, acknowledged or not: what om exits with (128+N).
pub fn received() -> Option<i32> {
    signal(RECEIVED.load(Ordering::SeqCst))
}

/// Marks the signal received so far as answered, so that the rollback it
/// starts runs its docker calls; a later signal of the other kind is
/// pending again, one of the same kind ends om. Returns that signal.
pub fn acknowledge() -> Option<i32> {
    let sig = RECEIVED.load(Ordering::SeqCst);
    ACKNOWLEDGED.store(sig, Ordering::SeqCst);
    signal(sig)
}

/// How many rollbacks run now (`finishing`).
static FINISHING: AtomicUsize = AtomicUsize::new(0);

/// A rollback that has begun finishes. It acknowledges the signal that
/// stopped the action, if one did; while the guard it returns lives, no
/// signal is pending: one that arrives then (SIGINT, SIGTERM, the end of
/// the lifeline) is recorded, for the exit code (128+N), and is pending
/// once the rollback is over. A second signal of a kind still ends om at
/// once (the handler), its docker calls with it: an operator can always
/// stop a rollback that hangs, a dropped ssh session never does.
pub fn finishing() -> Finishing {
    acknowledge();
    FINISHING.fetch_add(1, Ordering::SeqCst);
    Finishing(())
}

/// A rollback under way (`finishing`), until dropped.
pub struct Finishing(());

impl Drop for Finishing {
    fn drop(&mut self) {
        FINISHING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the end of a lifeline is reported as: a hangup, as a terminal's
/// session gets when its line drops (om exits 129).
pub const HANGUP: i32 = libc::SIGHUP;

/// What an error reading the lifeline starts with.
const LIFELINE: &str = "--lifeline:";

/// Ties this process to its stdin, the lifeline another node's om holds
/// open over ssh while it waits for this one (`--lifeline`,
/// src/nodes/transport.rs). Without a terminal, sshd signals nothing when a
/// session drops (the ssh client killed, its om gone, its bound reached):
/// the command it ran goes on alone. What does reach it is the end of its
/// stdin, at once: then the action stops as on a signal (`HANGUP`),
/// rolls back what it started and releases its lock. Reading stdin
/// rather than asking for a terminal (`ssh -tt`, which makes sshd send
/// SIGHUP) keeps the output and stdin byte for byte.
///
/// The other om writes one byte first (`process::stream_tied`): read here
/// before anything is done, it proves that the remote shell passes stdin.
/// One that does not (`ssh -n`, `StdinNull yes`, another OM_RSH) gives an
/// empty stdin, which would read as a hangup at once: that is a refusal
/// of the command line instead, naming the cause, with nothing done. A
/// watch that can not start is an error: the caller counts on it.
pub fn tie_to_stdin() -> Result<()> {
    use std::os::fd::AsFd;
    let line = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| Error::io(LIFELINE, "stdin", e))?;
    let line = std::fs::File::from(line);
    first_byte(&line)?;
    watch(line)
}

/// The lifeline's first byte, which the other om wrote at once.
fn first_byte(mut line: &std::fs::File) -> Result<()> {
    use std::io::Read;
    let mut first = [0u8; 1];
    loop {
        match line.read(&mut first) {
            Ok(0) => return Err(Error::Usage(
                "--lifeline: stdin ended before its first byte: the remote shell does not pass stdin (ssh -n? StdinNull?); om needs it to tie this action to its session".into(),
            )),
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(LIFELINE, "stdin", e)),
        }
    }
}

/// Reads the line to its end on a thread of its own: the end is a hangup.
fn watch(mut line: std::fs::File) -> Result<()> {
    use std::io::Read;
    std::thread::Builder::new()
        .name("lifeline".into())
        .spawn(move || {
            let mut buf = [0u8; 512];
            loop {
                match line.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // a line that can not be read is no line
                    Err(_) => break,
                }
            }
            RECEIVED.store(usize::try_from(HANGUP).unwrap_or(1), Ordering::SeqCst);
        })
        .map(drop)
        .map_err(|e| Error::Failed(format!("--lifeline: {e}")))
}

/// `Err(Interrupted(n))` when a signal is pending.
pub fn check() -> Result<()> {
    match pending() {
        Some(sig) => Err(Error::Interrupted(sig)),
        None => Ok(()),
    }
}

/// Sleeps `d` in slices of at most `SLICE`, and stops early with
/// `Err(Interrupted(n))` when a signal arrives: for polling loops.
pub fn sleep(d: Duration) -> Result<()> {
    let end = Instant::now() + d;
    loop {
        check()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(SLICE));
    }
}

/// Signals are process-wide, and unit tests run side by side in one
/// process: a test that raises one runs alone in a child process, the test
/// binary started again on that one test with `OM_SIGNAL_TEST` set. Returns
/// true in that child (run the body), false in the parent (done).
#[cfg(test)]
pub fn in_own_process(test: &str) -> bool {
    if std::env::var_os("OM_SIGNAL_TEST").is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env("OM_SIGNAL_TEST", "1")
        .output()
        .expect("run the test binary");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{test} in its own process: {:?}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_is_pending_until_acknowledged() {
        if !in_own_process("interrupt::tests::a_signal_is_pending_until_acknowledged") {
            return;
        }
        install();
        install();
        assert_eq!(pending(), None);
        assert!(sleep(Duration::from_millis(60)).is_ok());
        signal_hook::low_level::raise(SIGTERM).unwrap();
        assert_eq!(pending(), Some(15));
        let t = Instant::now();
        let err = sleep(Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, Error::Interrupted(15)), "{err}");
        assert!(t.elapsed() < Duration::from_millis(100));
        assert_eq!(acknowledge(), Some(15));
        assert_eq!(pending(), None);
        assert_eq!(received(), Some(15));
        assert!(sleep(Duration::from_millis(60)).is_ok());
        // the other kind interrupts the rollback
        signal_hook::low_level::raise(SIGINT).unwrap();
        assert_eq!(pending(), Some(2));
    }

    #[test]
    fn a_hangup_is_an_interrupt_not_a_silent_death() {
        if !in_own_process("interrupt::tests::a_hangup_is_an_interrupt_not_a_silent_death") {
            return;
        }
        install();
        // without the handler, SIGHUP's default action ends the process here
        signal_hook::low_level::raise(SIGHUP).unwrap();
        let err = sleep(Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, Error::Interrupted(1)), "{err}");
        assert_eq!(acknowledge(), Some(1));
        assert_eq!(received(), Some(1));
        // a second one (a dropped session sends two) does not end om: the
        // rollback under way goes on
        let rollback = finishing();
        signal_hook::low_level::raise(SIGHUP).unwrap();
        assert!(sleep(Duration::from_millis(60)).is_ok());
        drop(rollback);
        assert_eq!(received(), Some(1));
    }

    /// A lifeline as the other om holds it: its first byte written, and
    /// the writing end, which ends it when dropped.
    fn lifeline(first: &[u8]) -> (std::fs::File, std::io::PipeWriter) {
        use std::io::Write;
        let (r, mut w) = std::io::pipe().unwrap();
        w.write_all(first).unwrap();
        (std::fs::File::from(std::os::fd::OwnedFd::from(r)), w)
    }

    #[test]
    fn the_end_of_the_lifeline_is_a_hangup() {
        if !in_own_process("interrupt::tests::the_end_of_the_lifeline_is_a_hangup") {
            return;
        }
        install();
        let (line, held) = lifeline(b"\n");
        first_byte(&line).unwrap();
        watch(line).unwrap();
        assert!(sleep(Duration::from_millis(100)).is_ok());
        drop(held);
        let err = sleep(Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, Error::Interrupted(HANGUP)), "{err}");
        assert_eq!(acknowledge(), Some(HANGUP));
        assert!(sleep(Duration::from_millis(60)).is_ok());
    }

    #[test]
    fn a_lifeline_without_its_first_byte_is_a_refusal_not_a_hangup() {
        // the test binary runs again with its stdin /dev/null (`output`),
        // as a remote shell that does not pass stdin leaves it
        if !in_own_process(
            "interrupt::tests::a_lifeline_without_its_first_byte_is_a_refusal_not_a_hangup",
        ) {
            return;
        }
        install();
        let err = tie_to_stdin().unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err}");
        assert!(
            err.to_string()
                .starts_with("--lifeline: stdin ended before its first byte: the remote shell does not pass stdin"),
            "{err}"
        );
        assert_eq!(received(), None);
        let (line, held) = lifeline(b"");
        drop(held);
        assert!(first_byte(&line).is_err());
        assert_eq!(received(), None);
    }

    #[test]
    fn a_rollback_that_has_begun_finishes() {
        if !in_own_process("interrupt::tests::a_rollback_that_has_begun_finishes") {
            return;
        }
        install();
        let (line, held) = lifeline(b"\n");
        first_byte(&line).unwrap();
        watch(line).unwrap();
        // a start that failed on its own: nothing to acknowledge, and the
        // session drops during its rollback
        let rollback = finishing();
        drop(held);
        assert!(sleep(Duration::from_millis(200)).is_ok());
        assert_eq!(received(), Some(HANGUP));
        // a first SIGTERM during it does not stop it either
        signal_hook::low_level::raise(SIGTERM).unwrap();
        assert!(check().is_ok());
        assert!(sleep(Duration::from_millis(100)).is_ok());
        drop(rollback);
        // once it is over, the action ends with the signal
        assert_eq!(pending(), Some(15));
        assert!(matches!(check(), Err(Error::Interrupted(15))));
    }

    #[test]
    fn a_second_signal_of_a_kind_ends_the_process() {
        if std::env::var_os("OM_SIGNAL_TEST").is_none() {
            let exe = std::env::current_exe().expect("test binary");
            let out = std::process::Command::new(exe)
                .args([
                    "interrupt::tests::a_second_signal_of_a_kind_ends_the_process",
                    "--exact",
                    "--test-threads=1",
                ])
                .env("OM_SIGNAL_TEST", "1")
                .output()
                .expect("run the test binary");
            assert_eq!(out.status.code(), Some(128 + SIGINT), "{out:?}");
            return;
        }
        install();
        signal_hook::low_level::raise(SIGINT).unwrap();
        assert_eq!(acknowledge(), Some(2));
        signal_hook::low_level::raise(SIGINT).unwrap();
        unreachable!("the second SIGINT exits");
    }
}
