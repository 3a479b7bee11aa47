//! The terminal while a watch redraws it: the alternate screen, the cursor
//! hidden, stdin read key by key; left exactly as it was found on every way
//! out (return, error, panic, signal). libc's termios and a few escape
//! sequences (xterm's, which every terminal emulator and tmux speak) are
//! all it takes: no terminal crate for two modes and a redraw.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// stdin's modes before the watch changed them, to put back.
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);
/// Whether the alternate screen is on (the cursor hidden with it).
static SCREEN: AtomicBool = AtomicBool::new(false);

/// Enter the alternate screen and hide the cursor.
const ENTER: &str = "\x1b[?1049h\x1b[?25l";
/// Show the cursor and leave the alternate screen.
const LEAVE: &str = "\x1b[?25h\x1b[?1049l";
/// Cursor home, to redraw over what is there.
pub const HOME: &str = "\x1b[H";
/// Clear to the end of the line.
pub const EOL: &str = "\x1b[K";
/// Clear to the end of the screen.
pub const EOS: &str = "\x1b[J";

/// Whether om's process group is the foreground one of the terminal on
/// stdin.
pub fn foreground() -> bool {
    // SAFETY: tcgetpgrp and getpgrp take plain integers.
    unsafe { libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp() }
}

/// The terminal as the watch set it; dropped, it is as it was.
pub struct Term(());

impl Term {
    /// `screen`: stdout is a terminal the tree is redrawn on. `keys`: stdin
    /// is one, read key by key (no echo, no line buffering; ^C still
    /// signals, so that it ends the watch as it ends every command).
    pub fn take(screen: bool, keys: bool) -> Term {
        install_panic_hook();
        if keys {
            // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios they fill.
            unsafe {
                let mut t: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(libc::STDIN_FILENO, &mut t) == 0 {
                    let saved = t;
                    t.c_lflag &= !(libc::ICANON | libc::ECHO);
                    t.c_cc[libc::VMIN] = 1;
                    t.c_cc[libc::VTIME] = 0;
                    if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) == 0 {
                        *SAVED
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(saved);
                    }
                }
            }
        }
        if screen {
            SCREEN.store(true, Ordering::SeqCst);
            let _ = write_now(ENTER);
        }
        Term(())
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back (idempotent: the drop and the panic hook may both
/// come).
pub fn restore() {
    if SCREEN.swap(false, Ordering::SeqCst) {
        let _ = write_now(LEAVE);
    }
    let saved = SAVED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(t) = saved {
        // SAFETY: tcsetattr with the termios tcgetattr gave.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t);
        }
    }
}

/// A panic's message goes on the terminal as it was, not on the alternate
/// screen that vanishes with it.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            crate::text::release();
            previous(info);
        }));
    });
}

/// Writes `text` on stdout at once.
pub fn write_now(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// The terminal's rows, when stdout is one.
pub fn rows() -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes a winsize into the struct it is given.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_row > 0).then_some(usize::from(ws.ws_row))
}

/// One frame: `lines` drawn from the top, each cleared to its end, the
/// rest of the screen cleared; no more lines than `rows` (the last says
/// how many more there are), so the header never scrolls away.
pub fn frame(lines: &[String], rows: Option<usize>) -> String {
    let mut out = String::from(HOME);
    let fits = rows.map_or(lines.len(), |r| r.saturating_sub(1).max(1));
    let shown = if lines.len() > fits {
        fits.saturating_sub(1)
    } else {
        lines.len()
    };
    for line in &lines[..shown] {
        out.push_str(line);
        out.push_str(EOL);
        out.push('\n');
    }
    if shown < lines.len() {
        out.push_str(&format!("… {} more lines", lines.len() - shown));
        out.push_str(EOL);
        out.push('\n');
    }
    out.push_str(EOS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_redraws_from_home_and_never_scrolls() {
        let lines: Vec<String> = (1..=5).map(|i| format!("l{i}")).collect();
        assert_eq!(
            frame(&lines, None),
            "\x1b[Hl1\x1b[K\nl2\x1b[K\nl3\x1b[K\nl4\x1b[K\nl5\x1b[K\n\x1b[J"
        );
        // 4 rows: 3 lines, the last one says what does not fit
        assert_eq!(
            frame(&lines, Some(4)),
            "\x1b[Hl1\x1b[K\nl2\x1b[K\n… 3 more lines\x1b[K\n\x1b[J"
        );
        assert_eq!(
            frame(&lines[..3], Some(4)),
            "\x1b[Hl1\x1b[K\nl2\x1b[K\nl3\x1b[K\n\x1b[J"
        );
    }
}
