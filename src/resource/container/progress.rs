//! How a long wait says where it is (SPEC 4.3).

use crate::logger::{Level, Logger};
use crate::units::humanize;
use std::time::{Duration, Instant};

/// How often a long wait says where it is.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// A wait's lines: its name when it starts; past 5 s, a line every 5 s
/// with the time spent, the bound and the state seen; then how long it
/// took. A wait that ends within 5 s says only its name, as in the
/// OpenSVC tutorial.
pub(super) struct Progress<'e> {
    log: &'e Logger,
    rid: &'e str,
    what: &'static str,
    bound: Duration,
    start: Instant,
    next: Instant,
    told: bool,
}

impl<'e> Progress<'e> {
    pub(super) fn new(log: &'e Logger, rid: &'e str, what: &'static str, bound: Duration) -> Self {
        log.res(rid, Level::Info, what);
        let start = Instant::now();
        Progress {
            log,
            rid,
            what,
            bound,
            start,
            next: start + PROGRESS_EVERY,
            told: false,
        }
    }

    pub(super) fn tick(&mut self, state: &str) {
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + PROGRESS_EVERY;
        self.told = true;
        let spent = Duration::from_secs(now.duration_since(self.start).as_secs());
        self.log.res(
            self.rid,
            Level::Info,
            &format!(
                "{}: {} of {}, {state}",
                self.what,
                humanize(spent),
                humanize(self.bound)
            ),
        );
    }

    pub(super) fn done(&self) {
        if self.told {
            let took = self.start.elapsed().as_millis() / 100;
            self.log.res(
                self.rid,
                Level::Info,
                &format!("{}: done in {}.{}s", self.what, took / 10, took % 10),
            );
        }
    }
}
