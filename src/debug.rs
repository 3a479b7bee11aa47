//! `--debug`, the OpenSVC agent's global flag: `D` lines on stderr, in the
//! action log's line format (`NODE.SVC   D msg`), saying what om waits for
//! and what it asks: the lock taken (and how long it waited), each docker
//! and ssh call with its exit and its duration, each config read. A call
//! prints as its argv (`process::Cmd`'s `Display`): never its environment
//! (`docker run -e VAR`'s value) nor its stdin (a config sent to a node).
//! The host carries the flag (`Host::debug`) to the engine and the
//! transport, which mark the commands they build; nothing is global but
//! the lock that keeps stderr's lines whole.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Held while a whole line (or a logger's lines) is written to stderr, so
/// that parallel resources and D lines never mix half-lines.
pub static STDERR: Mutex<()> = Mutex::new(());

/// Where D lines go, and under which name: the node (`n1`), or a
/// service's (`n1.svc1`) where the line is about one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Trace {
    name: String,
}

impl Trace {
    pub fn new(name: &str) -> Trace {
        Trace { name: name.into() }
    }

    /// The same, for the service `svcname`'s lines.
    pub fn of(&self, svcname: &str) -> Trace {
        Trace::new(&format!("{}.{svcname}", self.name))
    }

    /// One D line: the name padded as an action line's (`logger`), its
    /// controls escaped (a path or a docker word may hold some).
    pub fn line(&self, msg: &str) {
        let width = self.name.len() + 10;
        let text = format!(
            "{:<width$} D {}\n",
            self.name,
            crate::text::escape_controls(msg)
        );
        let _guard = STDERR.lock();
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// A duration as D lines say it: milliseconds, to a tenth.
pub fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// `Trace::line` when there is a trace.
pub fn line(trace: Option<&Trace>, msg: impl FnOnce() -> String) {
    if let Some(t) = trace {
        t.line(&msg());
    }
}
