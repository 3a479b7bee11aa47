//! `print status --watch` and `om mon` (SPEC 18): the status read again
//! whenever something that makes it changes, and shown anew. Read through
//! `collect` (the one status reader); woken by the engines' `docker
//! events` of the services' containers, by their files (config, state,
//! action log), by the other nodes' answers asked every `interval`. On a
//! terminal, the tree is redrawn in place under a header that says when it
//! was read; otherwise (or with JSON) each service's document is written
//! when it changed, one a line.

mod show;
mod sources;
mod term;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::interrupt;
use crate::nodes::ask::NodeAnswer;
use crate::status::collect::{ask_others, collect_with, Collected, Nodes};
use show::name;
use sources::{Follow, Wake};
use std::collections::{HashMap, VecDeque};
use std::io::IsTerminal;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

/// What a watch shows and how.
pub struct Options {
    /// The header's name of what is watched (`om mon`, `om web print status`).
    pub title: String,
    /// JSON lines, whatever stdout is.
    pub json: bool,
    pub color: bool,
    /// This node only: no other node asked.
    pub local: bool,
    /// How often the other nodes are asked; this node is read again at the
    /// same pace (events missed, or an engine not followed).
    pub interval: Duration,
}

/// After a first event, how long its fellows (a kill brings kill, die,
/// stop) are waited for, so that one read shows them all.
const SETTLE: Duration = Duration::from_millis(30);

/// After an event, the status is read again at these delays: docker
/// sends a container's `die` before its listing says it exited (the
/// engine's view of its containers is written after the event, a few ms
/// later, more on a loaded machine), so the read the event wakes may still
/// see it running: seen on a loaded 2-core machine, in one run of nine
/// kills out of nine, in another one of five.
const LOOKS: [Duration; 2] = [Duration::from_millis(200), Duration::from_secs(1)];

/// Watches the services `selector` matches until `q` (Ok), a signal
/// (`Interrupted`: ^C exits 130), or stdout closed.
pub fn run(ctx: &Host, selector: &str, opts: &Options) -> Result<()> {
    let screen = !opts.json && std::io::stdout().is_terminal();
    // keys only from a terminal om is in the foreground of: a watch run
    // in the background (`om mon --format json > f &`) would be stopped
    // by the terminal (SIGTTOU at tcsetattr, SIGTTIN at the read)
    let keys = std::io::stdin().is_terminal() && term::foreground();
    // what the first read says is shown on the first frame
    if screen {
        crate::text::hold();
    }
    // the first read before the terminal is taken: an error there is the
    // command's, said as any
    let mut answers = None;
    let first = ctx.matching(selector).and_then(|paths| {
        if !opts.local {
            answers = Some(ask_others(ctx, &paths));
        }
        read(ctx, selector, answers.as_ref())
    });
    let first = match first {
        Ok(c) => c,
        Err(e) => {
            crate::text::release();
            return Err(e);
        }
    };
    let (wake, woken) = channel();
    if keys {
        sources::read_keys(wake.clone());
    }
    sources::watch_files(ctx, selector, &wake);
    if !opts.local {
        sources::ask_every(ctx, selector, opts.interval, &wake);
    }
    let term = term::Term::take(screen, keys);
    let mut w = Watch {
        ctx,
        selector,
        opts,
        screen,
        wake,
        follows: Vec::new(),
        serial: 0,
        later: VecDeque::new(),
        told: HashMap::new(),
        shown: HashMap::new(),
        last: None,
        failed: None,
        columns: crate::output::stdout_columns(),
        rows: term::rows(),
    };
    let r = w.follow_and_show(first, &mut answers, &woken);
    // its children killed, the terminal as it was, then what was said
    drop(w);
    drop(term);
    crate::text::release();
    r
}

/// The watch under way.
struct Watch<'a> {
    ctx: &'a Host,
    selector: &'a str,
    opts: &'a Options,
    screen: bool,
    wake: Sender<Wake>,
    /// One per engine of the services, with its serial (a restarted one
    /// has a new one: the end of the old one is not its end).
    follows: Vec<(u64, Follow)>,
    serial: u64,
    /// Wakes taken while a burst of events was gathered, for after it.
    later: VecDeque<Wake>,
    /// Why each engine's events ended, as last said (no screen).
    told: HashMap<String, String>,
    /// JSON lines: each service's document as last written.
    shown: HashMap<String, String>,
    /// The screen: the last read that succeeded, and when.
    last: Option<(Collected, Vec<String>, chrono::DateTime<chrono::Local>)>,
    /// Why the last read failed (the screen), until one succeeds.
    failed: Option<String>,
    /// The terminal's size as last drawn: a new one is drawn again.
    columns: Option<usize>,
    rows: Option<usize>,
}

impl Watch<'_> {
    fn follow_and_show(
        &mut self,
        first: Read,
        answers: &mut Option<Vec<(String, NodeAnswer)>>,
        woken: &Receiver<Wake>,
    ) -> Result<()> {
        let mut got = Ok(first);
        let mut next_tick = Instant::now() + self.opts.interval;
        // the second looks due after an event (see `LOOKS`)
        let mut looks: Vec<Instant> = Vec::new();
        loop {
            self.take(got)?;
            got = loop {
                interrupt::check()?;
                let now = Instant::now();
                if now >= next_tick {
                    // polled: an engine not followed, an event missed
                    self.restart_ended();
                    break self.read_again(answers.as_ref());
                }
                if looks.first().is_some_and(|at| now >= *at) {
                    looks.remove(0);
                    break self.read_again(answers.as_ref());
                }
                let due = looks.first().map_or(next_tick, |at| (*at).min(next_tick));
                let slice = interrupt::SLICE.min(due - now);
                let next = match self.later.pop_front() {
                    Some(w) => Ok(w),
                    None => woken.recv_timeout(slice),
                };
                match next {
                    Ok(Wake::Event | Wake::Files) => {
                        std::thread::sleep(SETTLE);
                        while let Ok(w) = woken.try_recv() {
                            if !matches!(w, Wake::Event | Wake::Files) {
                                self.later.push_back(w);
                            }
                        }
                        let read = Instant::now();
                        looks = LOOKS.iter().map(|d| read + *d).collect();
                        break self.read_again(answers.as_ref());
                    }
                    Ok(Wake::Nodes(a)) => {
                        *answers = Some(a);
                        break self.read_again(answers.as_ref());
                    }
                    Ok(Wake::EventsEnded(engine, serial, why)) => {
                        if let Some(at) = self.follows.iter().position(|(s, _)| *s == serial) {
                            self.tell_ended(&engine, &why);
                            self.follows[at].1.ended = Some(why);
                        }
                        break self.read_again(answers.as_ref());
                    }
                    Ok(Wake::Key(b'q' | b'Q')) => return Ok(()),
                    // ^C as a byte (a terminal that does not signal)
                    Ok(Wake::Key(3)) => return Err(Error::Interrupted(libc::SIGINT)),
                    Ok(Wake::Key(_)) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => {
                        return Err(Error::Failed("the watch lost its sources".into()))
                    }
                }
                let size = (crate::output::stdout_columns(), term::rows());
                if self.screen && size != (self.columns, self.rows) {
                    (self.columns, self.rows) = size;
                    self.draw()?;
                }
            };
            next_tick = Instant::now() + self.opts.interval;
        }
    }

    fn read_again(&self, answers: Option<&Vec<(String, NodeAnswer)>>) -> Result<Read> {
        read(
            self.ctx,
            self.selector,
            answers.filter(|_| !self.opts.local),
        )
    }

    /// Shows what was read (or why it was not), and follows the engines it
    /// names.
    fn take(&mut self, got: Result<Read>) -> Result<()> {
        let said = if self.screen {
            crate::text::held()
        } else {
            Vec::new()
        };
        match got {
            Ok((since, c)) => {
                self.follow(&c, since);
                if self.screen {
                    self.last = Some((c, said, chrono::Local::now()));
                    self.failed = None;
                    self.draw()?;
                } else {
                    self.write_lines(&c)?;
                }
            }
            Err(e @ (Error::Interrupted(_) | Error::StdoutClosed)) => return Err(e),
            Err(e) if self.screen => {
                self.failed = Some(e.to_string());
                self.draw()?;
            }
            Err(e) => crate::text::say(&e.to_string()),
        }
        Ok(())
    }

    /// Follows the engines `c` read (their events): those not followed
    /// yet start, from `since` (when the read began: what changed after it
    /// is replayed, however long the child takes to listen), those no
    /// longer involved stop.
    fn follow(&mut self, c: &Collected, since: SystemTime) {
        self.follows
            .retain(|(_, f)| c.engines.iter().any(|m| m.engine == f.engine()));
        for marks in &c.engines {
            if let Some((_, f)) = self
                .follows
                .iter()
                .find(|(_, f)| f.engine() == marks.engine)
            {
                *f.marks
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = marks.clone();
                continue;
            }
            self.serial += 1;
            match Follow::start(marks.clone(), self.serial, since, &self.wake) {
                Ok(f) => self.follows.push((self.serial, f)),
                Err(e) => crate::text::say(&format!(
                    "docker events of {}: {e}: read every {}",
                    name(&marks.engine),
                    crate::units::humanize(self.opts.interval)
                )),
            }
        }
    }

    /// Without a screen, an end of an engine's events is said on stderr,
    /// once for each reason (it is tried again at each interval).
    fn tell_ended(&mut self, engine: &crate::docker::Engine, why: &str) {
        let told = self.told.entry(name(engine)).or_default();
        if self.screen || told == why {
            return;
        }
        why.clone_into(told);
        crate::text::say(&format!(
            "docker events of {} ended ({why}): read every {}",
            name(engine),
            crate::units::humanize(self.opts.interval)
        ));
    }

    /// The engines whose events ended are followed again (a private daemon
    /// started since, an engine back), from now: the read that follows
    /// sees what came before.
    fn restart_ended(&mut self) {
        let since = SystemTime::now();
        for (serial, f) in &mut self.follows {
            if f.ended.is_some() {
                self.serial += 1;
                let marks = f
                    .marks
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                if let Ok(again) = Follow::start(marks, self.serial, since, &self.wake) {
                    *f = again;
                    *serial = self.serial;
                }
            }
        }
    }
}

/// A read of the status, and when it began.
type Read = (SystemTime, Collected);

/// One read of the status, by the one reader, the other nodes' answers as
/// last asked (none: not asked, `--local`).
fn read(ctx: &Host, selector: &str, answers: Option<&Vec<(String, NodeAnswer)>>) -> Result<Read> {
    let began = SystemTime::now();
    let paths = ctx.matching(selector)?;
    let nodes = match answers {
        Some(a) => Nodes::Known(a),
        None => Nodes::Here,
    };
    collect_with(ctx, &paths, &nodes, true).map(|c| (began, c))
}
