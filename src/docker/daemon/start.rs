//! A private daemon's start: the check, the directories and config it
//! needs, what a daemon om did not find left, and the wait until it
//! answers (or its end, with its log's last lines).

use super::{last_lines, Daemon, DAEMON, POLL, UNANSWERED_GRACE};
use crate::error::{Error, IoContext, Result};
use crate::logger::{Level, Logger};
use crate::procs::{alive, end};
use std::path::Path;
use std::time::{Duration, Instant};

impl Daemon {
    /// Starts the daemon unless it runs, and waits until it answers.
    /// `check` (see `check_host`) runs before every start: its error
    /// starts nothing, its warnings go to the action log.
    pub fn ensure(
        &self,
        log: &Logger,
        dry_run: bool,
        check: impl FnOnce() -> Result<Vec<String>>,
    ) -> Result<()> {
        // One om at a time starts or stops this daemon: two starts side by
        // side would each take the other's pid file and socket for stale.
        let _held = if dry_run { None } else { Some(self.lock()?) };
        if let Some(pid) = self.running() {
            return self.wait_answering(pid);
        }
        let warnings =
            check().map_err(|e| Error::Failed(format!("docker daemon not started: {e}")))?;
        for w in &warnings {
            log.svc(Level::Warn, w);
        }
        let cmd = self.cmd();
        log.svc(Level::Info, "starting docker daemon");
        log.svc(Level::Info, &cmd.to_string());
        if dry_run {
            return Ok(());
        }
        self.prepare()?;
        self.clear_stale()?;
        self.prepare_exec_root()?;
        let pid = crate::process::spawn_detached(&cmd, &self.log_file, &self.roots.trees())
            .inspect_err(|_| {
                self.forget_run();
            })?;
        self.wait_started(pid)
    }

    /// A daemon that runs (`pid`) is not one that answers (still
    /// starting, or hung): its socket says, within the start bound.
    pub(super) fn wait_answering(&self, pid: u32) -> Result<()> {
        let deadline = Instant::now() + self.conf.start_timeout;
        while !crate::docker::api::answers(&self.socket, Duration::from_secs(2)) {
            if !alive(pid) || Instant::now() >= deadline {
                return Err(self.failed(
                    pid,
                    format!("runs but does not answer on {}", self.socket.display()),
                ));
            }
            crate::interrupt::sleep(POLL)?;
        }
        Ok(())
    }

    /// Before a start: what a daemon om did not find by its pid file left
    /// (a daemon answering on the socket refuses the start; a pid file
    /// and a runtime of a daemon killed behind om's back are cleared).
    pub(super) fn clear_stale(&self) -> Result<()> {
        // Whatever answers on the socket is a daemon om did not find by
        // its pid file: never start a second one over it.
        if crate::docker::api::answers(&self.socket, Duration::from_secs(2)) {
            return Err(Error::Failed(format!(
                "a docker daemon answers on {} but its pid file {} does not name it: stop it, or fix the pid file",
                self.socket.display(),
                self.pid_file.display()
            )));
        }
        // A pid file left by a daemon killed behind om's back (`running`
        // found no dockerd on this socket under it) would stop dockerd.
        match std::fs::remove_file(&self.pid_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("docker daemon: stale", &self.pid_file, e));
            }
            _ => {}
        }
        // a daemon killed behind om's back (no dockerd runs on it now, see
        // `running` above) left its runtime
        if self.unclean() {
            self.take_over_run();
        }
        Ok(())
    }

    /// Waits until the daemon just started (`pid`) answers, within the
    /// start bound; one that exits, or does not answer in time, is gone
    /// with what it left (`forget_run`).
    pub(super) fn wait_started(&self, pid: u32) -> Result<()> {
        let deadline = Instant::now() + self.conf.start_timeout;
        let info = self.engine().cmd(["info", "--format", "{{.ID}}"]);
        loop {
            crate::interrupt::check()?;
            // each probe within what is left of the bound
            let left = deadline
                .saturating_duration_since(Instant::now())
                .clamp(POLL, Duration::from_secs(5));
            if let Ok(out) = crate::process::capture(&info, left) {
                if out.success() {
                    return Ok(());
                }
            }
            if !alive(pid) {
                self.forget_run();
                return Err(self.failed(pid, "exited at start".into()));
            }
            if Instant::now() >= deadline {
                // ours, just started, and not answering: it goes, so that
                // the next start does not take it for a working daemon
                end(pid, UNANSWERED_GRACE, || self.is_ours(pid));
                if !alive(pid) {
                    self.forget_run();
                }
                return Err(self.failed(
                    pid,
                    format!(
                        "did not answer within {}, stopped",
                        crate::units::humanize(self.conf.start_timeout)
                    ),
                ));
            }
            crate::interrupt::sleep(POLL)?;
        }
    }

    /// The daemon of `pid` failed (`what`): see its log.
    pub(super) fn failed(&self, pid: u32, what: String) -> Error {
        Error::Daemon {
            pid,
            what,
            log: self.log_file.clone(),
            tail: last_lines(&self.log_file),
        }
    }

    /// The directories and the config file dockerd needs; a data dir on a
    /// missing or read-only filesystem is said here, not by dockerd.
    pub(super) fn prepare(&self) -> Result<()> {
        let fail = |what: &Path, e| Error::io(DAEMON, what, e);
        if let Some(dir) = self.socket.parent() {
            crate::fsutil::private_dir(dir, &self.roots.trees()).map_err(|e| fail(dir, e))?;
        }
        let data = Path::new(&self.conf.data_dir);
        // created (or first taken) and marked as this service's, after the
        // check, under the daemon's lock
        crate::docker::data_dir::mark(data, &self.id)
            .map_err(|e| Error::Failed(format!("docker daemon: DEFAULT.{}: {e}", self.conf.key)))?;
        // read-only: said here before dockerd fails obscurely (access(2)
        // reports a read-only filesystem even to root; no file is written)
        let c = std::ffi::CString::new(data.as_os_str().as_encoded_bytes()).map_err(|_| {
            Error::Failed(format!(
                "docker daemon: {}: a NUL in the path",
                data.display()
            ))
        })?;
        // SAFETY: a NUL-terminated path; access only reads it.
        if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
            return Err(fail(data, std::io::Error::last_os_error()));
        }
        // An empty config of its own: the host's /etc/docker/daemon.json
        // (its "hosts", its data-root) is not this daemon's.
        crate::fsutil::write_atomic(&self.config_file, b"{}\n", &self.roots.trees())
            .map_err(|e| fail(&self.config_file, e))?;
        Ok(())
    }

    /// The exec root, made last, right before dockerd starts: an exec root
    /// says a daemon ran (see `unclean`).
    pub(super) fn prepare_exec_root(&self) -> Result<()> {
        crate::fsutil::private_dir(&self.exec_root, crate::fsutil::NOT_OURS)
            .at(DAEMON, &self.exec_root)
    }
}
