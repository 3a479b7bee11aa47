//! Text that came from outside om (docker, a container, a log file written
//! by an older om) made safe to show on a terminal (SPEC 7): a container
//! that prints `ESC ]0;…` must not retitle the user's terminal, and one that
//! prints `\r` must not overwrite the line om printed before it.

use std::borrow::Cow;
use std::fmt::Write;

/// One-line errors are cut here (SPEC 7): a docker error line can be
/// megabytes long.
pub const ERROR_LINE_MAX: usize = 2000;

/// Whether a char would be interpreted by a terminal rather than shown:
/// C0 controls (tab aside, it only moves the cursor right), DEL, and the C1
/// controls, which some terminals read as ESC sequences (U+009B is CSI).
fn is_control(c: char) -> bool {
    c != '\t' && c.is_control()
}

/// ESC as `\e`, CR as `\r`, LF as `\n`, other controls as `\xNN` (C1 as
/// `\u{NN}`); text without controls is borrowed as is. The result holds no
/// control, so escaping twice changes nothing (a log line escaped when it
/// was written is shown as written).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if is_control(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like `escape_controls`, but newlines stay: for multi-line output (a log,
/// a config file, a status tree) whose lines are each made safe.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_control(c)) {
        return Cow::Borrowed(s);
    }
    let escaped: Vec<Cow<str>> = s.split('\n').map(escape_controls).collect();
    Cow::Owned(escaped.join("\n"))
}

/// Cuts `s` to at most `max` bytes, at a char boundary, and says how much
/// was left out.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… ({} more bytes)", &s[..end], s.len() - end))
}

/// One `om: …` line on stderr, its control characters escaped: messages
/// may carry docker's text or a config's.
pub fn say(msg: &str) {
    put(&format!("om: {}\n", escape_controls(msg)));
}

/// A line another node's om printed (it carries its own prefix), as is but
/// for its control characters.
pub fn say_raw(line: &str) {
    put(&format!("{}\n", escape_controls(line)));
}

/// One line on stderr. A stderr that went away (the ssh session of a
/// remote om dropped) is no reason to stop mid-action, as `eprintln!`
/// would, by a panic that skips the rollback: the action log keeps the
/// line.
fn put(line: &str) {
    use std::io::Write;
    if let Some(held) = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_mut()
    {
        held.push(line.trim_end_matches('\n').to_string());
        return;
    }
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The lines said while a full-screen view holds stderr (`hold`): written
/// there, they would land in the middle of the screen it redraws.
static HELD: std::sync::Mutex<Option<Vec<String>>> = std::sync::Mutex::new(None);

/// From now on, what is said is kept for `held` instead of written.
pub fn hold() {
    let mut held = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    held.get_or_insert_with(Vec::new);
}

/// The lines said since the last call (while held), taken.
pub fn held() -> Vec<String> {
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_mut()
        .map(std::mem::take)
        .unwrap_or_default()
}

/// Lines are written on stderr again; what was kept and not taken is
/// written first.
pub fn release() {
    let rest = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    for line in rest.unwrap_or_default() {
        put(&format!("{line}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_interpret() {
        assert_eq!(
            escape_controls("\x1b]0;TITLE\x07\x1b[31mred\r"),
            "\\e]0;TITLE\\x07\\e[31mred\\r"
        );
        assert_eq!(escape_controls("a\tb\0c\x7fd\ne"), "a\tb\\x00c\\x7fd\\ne");
        assert_eq!(escape_controls("x\u{9b}2J"), "x\\u{9b}2J");
        assert!(matches!(escape_controls("plain é ü"), Cow::Borrowed(_)));
        // already escaped text is left alone
        let once = escape_controls("\x1b[1m\r").into_owned();
        assert_eq!(escape_controls(&once), once);
    }

    #[test]
    fn escape_lines_keeps_the_newlines() {
        assert_eq!(escape_lines("a\x1b\nb\rc\n"), "a\\e\nb\\rc\n");
        assert!(matches!(escape_lines("a\nb\tc\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn cuts_at_a_char_boundary_and_says_how_much() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abcdef", 4), "abcd… (2 more bytes)");
        // 'é' is two bytes: a cut inside it goes back before it
        assert_eq!(cut("aé", 2), "a… (2 more bytes)");
    }
}
