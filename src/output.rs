//! What a command says: its data on stdout (`out`), and each selected
//! service's failure on a line of its own (`each`).

use crate::error::{Error, Result};
use crate::paths::SvcPath;

/// Writes data to stdout. A reader that went away (`om ls | head -1`) ends
/// the command quietly with success, as ripgrep does, instead of a panic.
pub fn out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::StdoutClosed),
        Err(e) => Err(Error::Failed(format!("writing to stdout: {e}"))),
    }
}

/// The width of the terminal stdout is, when it is one (`None` when stdout
/// is a pipe or a file: what is written there is not cut to a width).
pub fn stdout_columns() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ writes a winsize into the struct it is given.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        return Some(usize::from(ws.ws_col));
    }
    std::env::var("COLUMNS")
        .ok()?
        .parse()
        .ok()
        .filter(|c| *c > 0)
}

/// Runs `f` on every path; reports each failure on its own line, naming the
/// service, and fails
/// at the end if any did (a failed service does not stop the others).
pub fn each(paths: &[SvcPath], mut f: impl FnMut(&SvcPath) -> Result<()>) -> Result<()> {
    let mut first: Option<Error> = None;
    for p in paths {
        // After a signal, the services not begun yet are left alone.
        if let Some(sig) = crate::interrupt::received() {
            first.get_or_insert(Error::Interrupted(sig));
            break;
        }
        if let Err(e) = f(p) {
            // stdout was closed (see `out`): nobody reads the rest
            if matches!(e, Error::StdoutClosed) {
                break;
            }
            if !e.said() {
                let msg = e.to_string();
                let path = p.to_string();
                if msg.contains(&path) {
                    crate::text::say(&msg);
                } else {
                    crate::text::say(&format!("{path}: {msg}"));
                }
            }
            first.get_or_insert(e);
        }
    }
    match first {
        None => Ok(()),
        Some(e) => Err(Error::Reported(Box::new(e))),
    }
}
