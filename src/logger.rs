//! Action lines (SPEC 5.1): `<node>.<svc>[.<rid>]` padded, a level char, the
//! message. Written whole under one lock, so parallel resources never mix
//! half-lines; mirrored with a timestamp into `log/NAME.log`.
//!
//! The log of an action is the record of what ran: an action whose log can
//! not be written (a full disk) does not start, or fails when a line was
//! lost on the way, saying so on stderr at once. A read-only command's log
//! (status asking the other nodes) is kept when it can be.

use crate::error::{Error, Result};
use crate::fsutil::Owned;
use crate::text::escape_controls;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn char(self) -> char {
        match self {
            Level::Info => ' ',
            Level::Warn => 'W',
            Level::Error => 'E',
        }
    }
}

/// One line, without its newline. `width` is `len(node) + 1 + len(svc) + 10`.
pub fn format_line(name: &str, width: usize, level: Level, msg: &str) -> String {
    format!("{name:<width$} {} {msg}", level.char())
}

/// The logger of one service action.
pub struct Logger {
    node: String,
    svcname: String,
    file: Option<Mutex<File>>,
    /// Echo to stderr (unit tests turn it off).
    echo: bool,
    /// `--quiet`: only warnings and errors on stderr (the log keeps all).
    quiet: bool,
    /// An action's log: a line it could not write is said on stderr, and
    /// fails the action (`kept`).
    strict: bool,
    /// The first write that failed, with why.
    fault: Mutex<Option<String>>,
    /// Warnings and errors are coloured on stderr (a terminal, and no
    /// `NO_COLOR`: the host says).
    color: bool,
}

/// Each line wrapped in an ANSI colour (the newlines stay outside).
fn paint(text: &str, code: &str) -> String {
    text.lines()
        .map(|l| format!("\x1b[{code}m{l}\x1b[0m\n"))
        .collect()
}

impl Logger {
    /// `log_file`: where to append (in om's trees `owned`); an unwritable
    /// log is not a reason to fail a read-only command.
    /// The node this log speaks for (the host's name, as `Host` read it).
    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn new(node: &str, svcname: &str, log_file: Option<&Path>, owned: Owned) -> Logger {
        // 0600: the log holds docker command lines, so config values.
        let file = log_file.and_then(|p| crate::fsutil::open_append(p, owned).ok().map(Mutex::new));
        Logger {
            node: node.to_string(),
            svcname: svcname.to_string(),
            file,
            echo: true,
            quiet: false,
            strict: false,
            fault: Mutex::new(None),
            color: false,
        }
    }

    /// The same logger, its warnings and errors coloured on stderr or not.
    pub fn color(self, color: bool) -> Logger {
        Logger { color, ..self }
    }

    /// The log of the action `what`, which it records: opened, and its
    /// first line (`do WHAT`, in the file only) written, or an error
    /// before the action does anything. A stop (`anyway`) is not held
    /// back by a full disk, when stopping is what an operator needs most:
    /// it says so at once, runs, and fails at its end (`kept`).
    pub fn for_action(
        node: &str,
        svcname: &str,
        log_file: &Path,
        owned: Owned,
        what: &str,
        anyway: bool,
    ) -> Result<Logger> {
        let mut log = Logger {
            strict: true,
            ..Logger::new(node, svcname, None, owned)
        };
        let name = format!("{node}.{svcname}");
        let line = format_line(&name, log.width(), Level::Info, &format!("do {what}"));
        let opened = crate::fsutil::open_append(log_file, owned).and_then(|file| {
            log.file = Some(Mutex::new(file));
            log.append(&(line + "\n"))
        });
        match opened {
            Ok(()) => Ok(log),
            Err(e) if anyway => {
                crate::text::say(&format!(
                    "{svcname}: its log {} can not be written ({e}): {what} anyway, and fail",
                    log_file.display()
                ));
                if let Ok(mut fault) = log.fault.lock() {
                    *fault = Some(e.to_string());
                }
                Ok(log)
            }
            Err(e) => Err(Error::Failed(format!(
                "{svcname}: its log {} can not be written ({e}): nothing done",
                log_file.display()
            ))),
        }
    }

    /// Whether every line reached the log: an action that lost one fails.
    pub fn kept(&self) -> Result<()> {
        match self.fault.lock().ok().and_then(|f| f.clone()) {
            None => Ok(()),
            Some(why) => Err(Error::Failed(format!(
                "{}: its log lost lines ({why}): the action is not fully recorded",
                self.svcname
            ))),
        }
    }

    /// Appends `text` (whole lines) to the log file, each stamped.
    fn append(&self, text: &str) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
        let stamped: String = text.lines().map(|l| format!("{stamp} {l}\n")).collect();
        let mut f = file
            .lock()
            .map_err(|_| std::io::Error::other("a writer panicked"))?;
        f.write_all(stamped.as_bytes())
    }

    /// `--quiet`: info lines go to the log only.
    pub fn quiet(mut self, quiet: bool) -> Logger {
        self.quiet = quiet;
        self
    }

    fn width(&self) -> usize {
        self.node.len() + 1 + self.svcname.len() + 10
    }

    fn emit(&self, name: &str, level: Level, msg: &str) {
        let width = self.width();
        // A multi-line message becomes several lines with the same prefix;
        // each is escaped (SPEC 7): much of what is logged is docker's or a
        // container's text, and a raw ESC or CR in it would reach the
        // terminal here and whoever reads the log later.
        let text: String = msg
            .split('\n')
            .map(|m| format_line(name, width, level, &escape_controls(m)) + "\n")
            .collect();
        if self.echo && !(self.quiet && level == Level::Info) {
            let shown = match (level, self.color) {
                (Level::Warn, true) => paint(&text, "33"),
                (Level::Error, true) => paint(&text, "31"),
                _ => text.clone(),
            };
            let _guard = crate::debug::STDERR.lock();
            let _ = std::io::stderr().lock().write_all(shown.as_bytes());
        }
        if let Err(e) = self.append(&text) {
            self.lost(&e);
        }
    }

    /// A line the log did not take: the first one said on stderr at once
    /// (an action's log), and remembered for `kept`.
    fn lost(&self, e: &std::io::Error) {
        let Ok(mut fault) = self.fault.lock() else {
            return;
        };
        if fault.is_none() {
            *fault = Some(e.to_string());
            if self.strict && self.echo {
                let _guard = crate::debug::STDERR.lock();
                crate::text::say(&format!(
                    "{}: its log lost a line ({e}): this action will fail",
                    self.svcname
                ));
            }
        }
    }

    /// A service-level line.
    pub fn svc(&self, level: Level, msg: &str) {
        self.emit(&format!("{}.{}", self.node, self.svcname), level, msg);
    }

    /// A resource-level line.
    pub fn res(&self, rid: &str, level: Level, msg: &str) {
        self.emit(&format!("{}.{}.{rid}", self.node, self.svcname), level, msg);
    }
}

/// Logs `cmd` as a resource's action line and runs it (not in a dry
/// run): its stdout streamed after `output:` when `show_stdout`, its
/// stderr after, as warnings when it succeeded and errors when not. The
/// caller judges the exit status.
pub fn run_logged(
    log: &Logger,
    rid: &str,
    cmd: &crate::process::Cmd,
    bound: std::time::Duration,
    dry_run: bool,
    show_stdout: bool,
) -> crate::error::Result<crate::process::Output> {
    log.res(rid, Level::Info, &cmd.to_string());
    if dry_run {
        return Ok(crate::process::Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(0),
            stdout: String::new(),
            stderr: String::new(),
        });
    }
    let mut first = true;
    let out = crate::process::stream(cmd, bound, |line| {
        if !show_stdout {
            return;
        }
        if first {
            log.res(rid, Level::Info, "output:");
            first = false;
        }
        log.res(rid, Level::Info, line);
    })?;
    let level = if out.success() {
        Level::Warn
    } else {
        Level::Error
    };
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        log.res(rid, level, line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::NOT_OURS;

    #[test]
    fn pads_like_opensvc() {
        let node = "deb1.opensvc.com";
        let width = node.len() + 1 + "svc1".len() + 10;
        assert_eq!(
            format_line(
                "deb1.opensvc.com.svc1",
                width,
                Level::Info,
                "service svc1 target state set to provisioned"
            ),
            "deb1.opensvc.com.svc1             service svc1 target state set to provisioned"
        );
        assert_eq!(
            format_line(
                "deb1.opensvc.com.svc1.container#1",
                width,
                Level::Info,
                "wait for down status"
            ),
            "deb1.opensvc.com.svc1.container#1   wait for down status"
        );
        assert_eq!(format_line("n.s", 5, Level::Error, "boom"), "n.s   E boom");
    }

    #[test]
    fn appends_stamped_lines_to_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log/svc1.log");
        let mut log = Logger::new("n1", "svc1", Some(&path), NOT_OURS);
        log.echo = false;
        log.res("container#1", Level::Warn, "a\nb");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let re =
            regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} n1\.svc1\.container#1 W a$")
                .unwrap();
        assert!(re.is_match(lines[0]), "{}", lines[0]);
    }

    #[test]
    fn an_action_log_that_loses_a_line_fails_the_action() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log/svc1.log");
        let mut log = Logger::for_action("n1", "svc1", &path, NOT_OURS, "start", false).unwrap();
        log.echo = false;
        log.svc(Level::Info, "kept");
        assert!(log.kept().is_ok());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(" n1.svc1             do start"),
            "{text}"
        );
        // a handle that takes no write, as a full disk does not
        log.file = Some(Mutex::new(File::open(&path).unwrap()));
        log.svc(Level::Info, "lost");
        log.svc(Level::Info, "lost too");
        let e = log.kept().unwrap_err().to_string();
        assert!(e.starts_with("svc1: its log lost lines ("), "{e}");
        // a read-only command's log is kept when it can be, never a failure
        let lenient = Logger {
            echo: false,
            ..Logger::new("n1", "svc1", None, NOT_OURS)
        };
        lenient.svc(Level::Info, "nowhere");
        assert!(lenient.kept().is_ok());
        // a log that can not be opened: the action does not start
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let e = Logger::for_action(
            "n1",
            "svc1",
            &file.join("svc1.log"),
            NOT_OURS,
            "start",
            false,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            e.starts_with(&format!("svc1: its log {}", file.display())),
            "{e}"
        );
        assert!(e.ends_with(": nothing done"), "{e}");
        // but a stop runs, and fails
        let log = Logger::for_action("n1", "svc1", &file.join("svc1.log"), NOT_OURS, "stop", true)
            .unwrap();
        assert!(log.kept().is_err());
    }

    #[test]
    fn escapes_control_characters_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log/svc1.log");
        let mut log = Logger::new("n1", "svc1", Some(&path), NOT_OURS);
        log.echo = false;
        log.res(
            "container#1",
            Level::Error,
            "last log lines:\n\x1b]0;T\x07\x1b[31mred\r",
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].ends_with(" E last log lines:"), "{}", lines[0]);
        assert!(
            lines[1].ends_with(" E \\e]0;T\\x07\\e[31mred\\r"),
            "{}",
            lines[1]
        );
    }
}
