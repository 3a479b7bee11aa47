//! Start and stop of one container resource (SPEC 4.3): the docker commands
//! are logged as replayable lines, their stdout after `output:`, their
//! stderr with `E` (failed) or `W`.

use super::argv::{self, CgroupDriver, RunCtx, LABEL_ID};
use super::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::logger::{Level, Logger};
use crate::model::Container;
use crate::model::Service;
use crate::process::{Cmd, Output};
use crate::units::humanize;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Docker's own default grace time of `docker stop`.
const DOCKER_STOP_DEFAULT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);
const LOG_TAIL_LINES: usize = 5;

/// What one action on one service needs to run docker commands.
pub struct Exec<'a> {
    pub svc: &'a Service,
    /// The engine the service's containers run on (its private daemon's,
    /// or the host's).
    pub engine: super::Engine,
    pub log: &'a Logger,
    pub dry_run: bool,
    /// A dry run on a private daemon that does not run: nothing is asked
    /// of it, and it holds nothing.
    pub offline: bool,
    /// `deploy --force`: a container created from another config (its
    /// `com.opensvc.config` label) is recreated rather than started.
    pub converge: bool,
    driver: OnceLock<std::result::Result<CgroupDriver, String>>,
    /// The rids whose container this action ran, started or was finishing
    /// the start of: only those are rolled back when they fail, never a
    /// container the action refused to touch (renamed, say).
    touched: std::sync::Mutex<Vec<String>>,
    /// The rids `deploy --force` recreated: who joined their namespaces
    /// must be recreated after them.
    recreated: std::sync::Mutex<Vec<String>>,
    /// The ip resources whose link this action is making (between its
    /// creation and the end of its start): a signal there leaves it to
    /// the rollback (see `resource::ip::run::start`).
    plumbing: std::sync::Mutex<std::collections::HashSet<String>>,
    /// By rid: the variables a container takes from secrets and configs
    /// (`docker run`'s environment), and the `docker --config` directory
    /// of its registry credentials (its `pull` and `run`). Read by
    /// `prepare` before anything starts.
    env: std::collections::HashMap<String, Vec<(String, crate::secret::Secret)>>,
    creds: std::collections::HashMap<String, std::path::PathBuf>,
    /// Whether each image asked of the engine is present (see
    /// `know_images`): each distinct image is inspected once per action.
    images: std::sync::Mutex<std::collections::HashMap<String, bool>>,
}

impl<'a> Exec<'a> {
    pub fn new(
        svc: &'a Service,
        engine: super::Engine,
        log: &'a Logger,
        dry_run: bool,
    ) -> Exec<'a> {
        Exec {
            svc,
            engine,
            log,
            dry_run,
            offline: false,
            converge: false,
            driver: OnceLock::new(),
            touched: std::sync::Mutex::new(Vec::new()),
            recreated: std::sync::Mutex::new(Vec::new()),
            plumbing: Default::default(),
            env: std::collections::HashMap::new(),
            creds: std::collections::HashMap::new(),
            images: Default::default(),
        }
    }

    /// What the containers take from secrets and configs, and where their
    /// registry credentials are (see `objects::env::prepare`).
    pub fn use_prepared(&mut self, p: crate::objects::env::Prepared) {
        self.env = p.env;
        self.creds = p.creds;
    }

    /// What the engine holds for `containers` (see `Current::query`).
    pub fn current(&self, containers: &[&Container]) -> Result<super::current::Current> {
        if self.offline {
            return Ok(super::current::Current::from_infos(Vec::new()));
        }
        super::current::Current::query(&self.engine, containers)
    }

    /// Asks the engine, in one `docker image inspect`, which of the images
    /// of `containers` it has, for the starts to come: those without a
    /// container (`cur`), or whose `rm` container a start recreates, and
    /// that do not pull at each start. Each distinct image once, whatever
    /// the number of containers.
    pub fn know_images(
        &self,
        containers: &[&Container],
        cur: &super::current::Current,
    ) -> Result<()> {
        if self.offline {
            return Ok(());
        }
        let known = self.images.lock().map(|m| m.clone()).unwrap_or_default();
        let wanted: Vec<&str> = containers
            .iter()
            .filter(|c| !c.pull_always && !known.contains_key(&c.image))
            .filter(|c| match cur.find(self.svc, c) {
                Ok(None) => true,
                Ok(Some(i)) => c.rm && !i.running,
                Err(_) => false,
            })
            .map(|c| c.image.as_str())
            .collect();
        let found = self.engine.images_present(&wanted)?;
        if let Ok(mut m) = self.images.lock() {
            m.extend(found);
        }
        Ok(())
    }

    /// Whether `image` is present locally, as `know_images` found it, else
    /// asked now (and kept for the rest of the action).
    fn image_present(&self, image: &str) -> Result<bool> {
        if let Some(&known) = self
            .images
            .lock()
            .ok()
            .and_then(|m| m.get(image).copied())
            .as_ref()
        {
            return Ok(known);
        }
        let found = self.engine.images_present(&[image])?;
        let present = found.get(image).copied().unwrap_or(false);
        if let Ok(mut m) = self.images.lock() {
            m.extend(found);
        }
        Ok(present)
    }

    pub fn touch(&self, c: &Container) {
        self.touch_rid(&c.head.rid);
    }

    /// An ip resource's link being made (`true`), or made or undone.
    pub fn plumbing(&self, rid: &str, on: bool) {
        if let Ok(mut p) = self.plumbing.lock() {
            if on {
                p.insert(rid.to_string());
            } else {
                p.remove(rid);
            }
        }
    }

    /// Whether a signal stopped the making of this ip resource's link.
    pub fn cut_short(&self, rid: &str) -> bool {
        self.plumbing.lock().is_ok_and(|p| p.contains(rid))
    }

    /// Marks a resource of any kind as this action's.
    pub fn touch_rid(&self, rid: &str) {
        if let Ok(mut t) = self.touched.lock() {
            t.push(rid.to_string());
        }
    }

    /// Whether this action ran, started or finished starting any container.
    pub fn touched_any(&self) -> bool {
        self.touched.lock().is_ok_and(|t| !t.is_empty())
    }

    /// Whether this action ran, started or finished starting `c`'s container.
    /// The rids this action ran, started or was finishing the start of.
    pub fn touched_rids(&self) -> std::collections::HashSet<String> {
        self.touched
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn touched(&self, c: &Container) -> bool {
        self.touched
            .lock()
            .is_ok_and(|t| t.iter().any(|r| *r == c.head.rid))
    }

    pub fn driver(&self) -> Result<CgroupDriver> {
        if self.offline {
            // dockerd's own default, which a private daemon runs with
            return Ok(CgroupDriver::Cgroupfs);
        }
        self.driver
            .get_or_init(|| self.engine.cgroup_driver().map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::Failed)
    }

    /// Logs and runs one docker command; a non-zero exit is an error.
    fn run(&self, rid: &str, args: Vec<String>, bound: Duration) -> Result<Output> {
        self.run_shown(rid, args, bound, true)
    }

    /// The engine for `c`'s `docker pull` and `docker run`: with its
    /// registry credentials (`docker --config`), when it has some. No
    /// other command of it, and no other resource, sees them.
    fn creds_engine(&self, c: &Container) -> super::Engine {
        match self.creds.get(c.head.rid.as_str()) {
            Some(dir) => self.engine.with_config(dir),
            None => self.engine.clone(),
        }
    }

    /// `docker run` of `c`: its credentials, and the variables it takes
    /// from secrets and configs in docker's environment.
    fn run_container(&self, c: &Container, args: Vec<String>, bound: Duration) -> Result<Output> {
        let mut cmd = self.creds_engine(c).cmd(args);
        if let Some(env) = self.env.get(c.head.rid.as_str()) {
            cmd.env = env.clone();
        }
        self.run_cmd(&c.head.rid, cmd, "run", bound, true)
    }

    /// `show_stdout`: log docker's stdout after `output:` (not for
    /// `docker rm`, whose stdout only echoes the name).
    fn run_shown(
        &self,
        rid: &str,
        args: Vec<String>,
        bound: Duration,
        show_stdout: bool,
    ) -> Result<Output> {
        let verb = args.first().cloned().unwrap_or_else(|| "docker".into());
        self.run_cmd(rid, self.engine.cmd(args), &verb, bound, show_stdout)
    }

    /// Logs and runs a docker command built by the caller (`verb`: its
    /// docker command, for the error).
    fn run_cmd(
        &self,
        rid: &str,
        cmd: Cmd,
        verb: &str,
        bound: Duration,
        show_stdout: bool,
    ) -> Result<Output> {
        let out = crate::logger::run_logged(self.log, rid, &cmd, bound, self.dry_run, show_stdout)?;
        if !out.success() {
            return Err(Error::Failed(format!(
                "docker {verb} failed: {}",
                out.error_line()
            )));
        }
        Ok(out)
    }

    /// Whether the container is this resource's (its `com.opensvc.id` label).
    pub fn owns(&self, c: &Container, info: &ContainerInfo) -> bool {
        let want = argv::container_id_label(&self.svc.id, &c.head.rid);
        info.label(LABEL_ID) == Some(want.as_str())
    }

    /// Refuses a container that holds the name but is not this resource's.
    fn check_owned(&self, c: &Container, info: &ContainerInfo) -> Result<()> {
        if self.owns(c, info) {
            return Ok(());
        }
        Err(Error::Failed(format!(
                "container {}: name in use by a container om does not manage (its {LABEL_ID} label is {})",
                c.name,
                info.label(LABEL_ID).map_or("missing".into(), |l| format!("'{l}'"))
            ),
        ))
    }

    /// Starts the resource. Returns whether this call started it (for rollback).
    pub fn start(&self, c: &Container, current: Option<ContainerInfo>) -> Result<bool> {
        let mut current = current;
        if let Some(info) = &current {
            self.check_owned(c, info)?;
            // deploy --force: a container made from another config, or
            // whose namespace holder was just recreated (its namespace died
            // with it), is recreated, whatever its name now.
            let holder_recreated = self
                .recreated
                .lock()
                .is_ok_and(|r| c.depends_on.iter().any(|d| r.contains(d)));
            if self.converge && (drifted(self.svc, c, info) || holder_recreated) {
                let why = if holder_recreated {
                    "its namespace holder was recreated: recreating"
                } else {
                    "config changed since the container was created: recreating"
                };
                self.log.res(&c.head.rid, Level::Info, why);
                self.touch(c);
                self.stop(c, Some(info.clone()), true)?;
                if let Ok(mut r) = self.recreated.lock() {
                    r.push(c.head.rid.to_string());
                }
                current = None;
            } else if info.name != c.name {
                // The resource's container, found by its label: started (or
                // found started) by its verified id as it is, never a second
                // one made under the name (status says it up, with the same
                // warning; a restart stops and starts it again).
                self.log.res(
                    &c.head.rid,
                    Level::Warn,
                    &format!(
                        "container {} ({}) was renamed {} behind om's back: started as it is (docker rename {} {} to name it back)",
                        c.name,
                        info.short_id(),
                        info.name,
                        info.name,
                        c.name
                    ),
                );
            }
        }
        if let Some(info) = &current {
            if info.running && operational(info) {
                self.log.res(&c.head.rid, Level::Info, "already started");
                return Ok(false);
            }
            if info.running {
                // A start that was killed before its container became
                // healthy: finish it (or fail and roll back), never call
                // it "already started".
                self.log.res(
                    &c.head.rid,
                    Level::Info,
                    &format!(
                        "container running but not operational yet (health {})",
                        info.health.as_deref().unwrap_or("unknown")
                    ),
                );
                if self.dry_run {
                    return Ok(true);
                }
                self.touch(c);
                let deadline = Instant::now() + c.start_timeout;
                self.wait_operational(c, info.clone(), deadline)?;
                return Ok(true);
            }
            if c.rm {
                self.rm(c, info)?;
                current = None;
            }
        }
        if current.is_none() {
            check_volume_sources(c).map_err(Error::Failed)?;
        }
        // `always` pulls before each start, `once` only when the image is
        // missing (which only matters for a container to create).
        // Offline (a dry run on a daemon that does not run), its store is
        // not known: the pull is shown.
        let must_pull = c.pull_always
            || (current.is_none() && (self.offline || !self.image_present(&c.image)?));
        if must_pull {
            self.pull(c)?;
        }
        self.touch(c);
        let id = match &current {
            Some(info) => {
                self.run(&c.head.rid, argv::start_argv(&info.id), self.engine.bound())?;
                info.id.clone()
            }
            None => self.create(c)?,
        };
        if self.dry_run || !c.detach {
            return Ok(true);
        }
        // One bound for both waits: start_timeout covers up and operational.
        let deadline = Instant::now() + c.start_timeout;
        let info = self.wait_up(c, &id, deadline)?;
        self.wait_operational(c, info, deadline)?;
        Ok(true)
    }

    /// `docker pull` of the resource's image, within its `pull_timeout`.
    pub fn pull(&self, c: &Container) -> Result<()> {
        self.log.res(
            &c.head.rid,
            Level::Info,
            &format!("pulling docker image {}", c.image),
        );
        let cmd = self.creds_engine(c).cmd(argv::pull_argv(&c.image));
        self.run_cmd(&c.head.rid, cmd, "pull", c.pull_timeout, true)?;
        if !self.dry_run {
            if let Ok(mut m) = self.images.lock() {
                m.insert(c.image.clone(), true);
            }
        }
        Ok(())
    }

    /// `docker run` (or a foreground run to completion for an init job);
    /// the new container's id.
    fn create(&self, c: &Container) -> Result<String> {
        let env_names: Vec<String> = self
            .env
            .get(c.head.rid.as_str())
            .map(|e| e.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        let ctx = RunCtx {
            path: &self.svc.path,
            svc_id: &self.svc.id,
            driver: self.driver()?,
            env_names: &env_names,
        };
        for dropped in argv::filter_run_args(c).1 {
            self.log.res(
                &c.head.rid,
                Level::Warn,
                &format!("run_args: '{dropped}' dropped, om sets this itself"),
            );
        }
        if c.detach {
            let out = self.run_container(c, argv::run_argv(c, &ctx), self.engine.bound())?;
            if self.dry_run {
                return Ok(String::new());
            }
            // `docker run -d` prints the new container's id (last, after
            // what a wrapper may say): the waits follow it, not the name.
            let printed = out.stdout.lines().rev().find(|l| !l.trim().is_empty());
            if let Some(id) = printed
                .map(str::trim)
                .filter(|l| super::inspect::is_full_id(l))
            {
                return Ok(id.to_string());
            }
            match self.engine.inspect_one(&c.name)? {
                Some(info) if self.owns(c, &info) => Ok(info.id),
                _ => Err(Error::Failed(format!(
                    "docker run printed no container id for {}, and none of ours has the name",
                    c.name
                ))),
            }
        } else {
            // An init job: to completion, then removed.
            let result = self.run_container(c, argv::run_argv(c, &ctx), c.start_timeout);
            if !self.dry_run {
                self.remove_job(c);
            }
            result.map(|_| String::new())
        }
    }

    /// `docker rm -f NAME` of a finished (or killed) init job, only when
    /// NAME is still this resource's: a `docker run` that failed on a name
    /// conflict must not remove the other container.
    fn remove_job(&self, c: &Container) {
        match self.engine.inspect_one(&c.name) {
            Ok(Some(info)) if self.owns(c, &info) => {
                // -f: a job killed at its bound may still be running
                let _ = self.run(
                    &c.head.rid,
                    argv::rm_force_argv(&c.name),
                    self.engine.bound(),
                );
            }
            Ok(Some(_)) => self.log.res(
                &c.head.rid,
                Level::Warn,
                &format!("{}: not this resource's container, left alone", c.name),
            ),
            Ok(None) => {}
            Err(e) => self.log.res(
                &c.head.rid,
                Level::Warn,
                &format!("init job not removed: {e}"),
            ),
        }
    }

    /// Polls the container by its verified id until it runs.
    fn wait_up(&self, c: &Container, id: &str, deadline: Instant) -> Result<ContainerInfo> {
        let mut progress = Progress::new(self, &c.head.rid, "wait for up status", c.start_timeout);
        loop {
            let info = self.inspect_id(c, id)?;
            if info.running {
                progress.done();
                return Ok(info);
            }
            progress.tick(&format!("state {}", info.state));
            if matches!(info.state.as_str(), "exited" | "dead") {
                return Err(self.exited(c, &info));
            }
            if Instant::now() >= deadline {
                return Err(Error::Failed(format!(
                    "container {} not up after {} (start_timeout), state {}",
                    c.name,
                    humanize(c.start_timeout),
                    info.state
                )));
            }
            crate::interrupt::sleep(POLL)?;
        }
    }

    /// The container with this id; gone is an error of the start.
    fn inspect_id(&self, c: &Container, id: &str) -> Result<ContainerInfo> {
        self.engine
            .inspect(&[id])?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(|| {
                Error::Failed(format!("container {} disappeared while starting", c.name))
            })
    }

    fn exited(&self, c: &Container, info: &ContainerInfo) -> Error {
        let tail = self.engine.logs_tail(&info.id, LOG_TAIL_LINES);
        let mut msg = format!(
            "container {} exited with code {} while starting",
            c.name, info.exit_code
        );
        if !tail.is_empty() {
            msg.push_str(&format!("; last log lines:\n{tail}"));
        }
        Error::Failed(msg)
    }

    /// With a health check (image or run_args), wait until healthy.
    fn wait_operational(
        &self,
        c: &Container,
        info: ContainerInfo,
        deadline: Instant,
    ) -> Result<()> {
        let mut progress = Progress::new(
            self,
            &c.head.rid,
            "wait for container operational",
            c.start_timeout,
        );
        let mut info = info;

        loop {
            progress.tick(&format!(
                "health {}",
                info.health.as_deref().unwrap_or("none")
            ));
            match info.health.as_deref() {
                _ if operational(&info) => {
                    progress.done();
                    return Ok(());
                }
                _ if !info.running => return Err(self.exited(c, &info)),
                Some(health) if Instant::now() >= deadline => {
                    return Err(Error::Failed(format!(
                        "container {} not healthy after {} (start_timeout), health {health}",
                        c.name,
                        humanize(c.start_timeout)
                    )))
                }
                _ => {}
            }
            crate::interrupt::sleep(POLL)?;
            info = self.inspect_id(c, &info.id)?;
        }
    }

    /// Stops the resource; `remove` (unprovision) removes it whatever `rm` says.
    pub fn stop(&self, c: &Container, current: Option<ContainerInfo>, remove: bool) -> Result<()> {
        let Some(info) = current else {
            self.log.res(&c.head.rid, Level::Info, "already stopped");
            return Ok(());
        };
        self.check_owned(c, &info)?;
        let active = info.running || matches!(info.state.as_str(), "paused" | "restarting");
        let bound = c.stop_timeout.unwrap_or(DOCKER_STOP_DEFAULT) + self.engine.bound();
        if active {
            self.run(
                &c.head.rid,
                argv::stop_argv(&info.id, c.stop_timeout),
                bound,
            )?;
        } else {
            self.log.res(&c.head.rid, Level::Info, "already stopped");
        }
        let removed = remove || c.rm;
        if removed {
            self.rm(c, &info)?;
        }
        if active && !self.dry_run {
            self.wait_down(c, &info, bound)?;
        }
        Ok(())
    }

    /// `docker rm NAME` of the container om verified as the resource's,
    /// after checking that NAME still is that container: a long stop gives
    /// time for another to take the name.
    fn rm(&self, c: &Container, verified: &ContainerInfo) -> Result<()> {
        if !self.dry_run {
            match self.engine.inspect_one(&verified.name)? {
                Some(now) if now.id == verified.id => {}
                Some(now) => {
                    return Err(Error::Failed(format!(
                    "container {}: the name now belongs to {}, not {} that om stopped: not removed",
                    verified.name,
                    now.short_id(),
                    verified.short_id()
                )))
                }
                None => {
                    self.log.res(&c.head.rid, Level::Info, "already removed");
                    return Ok(());
                }
            }
        }
        self.run_shown(
            &c.head.rid,
            argv::rm_argv(&verified.name),
            self.engine.bound(),
            false,
        )
        .map(drop)
    }

    fn wait_down(&self, c: &Container, verified: &ContainerInfo, bound: Duration) -> Result<()> {
        let mut progress = Progress::new(self, &c.head.rid, "wait for down status", bound);
        let deadline = Instant::now() + bound;
        loop {
            // By id: the name may have been taken by another since.
            let seen = self.engine.inspect(&[&verified.id])?.into_iter().next();
            if seen.as_ref().is_none_or(|i| !i.running) {
                progress.done();
                return Ok(());
            }
            progress.tick("state running");
            if Instant::now() >= deadline {
                return Err(Error::Failed(format!(
                    "container {} still running after {}",
                    c.name,
                    humanize(bound)
                )));
            }
            crate::interrupt::sleep(POLL)?;
        }
    }
}

/// How often a long wait says where it is (SPEC 4.3).
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// A wait's lines: its name when it starts; past 5 s, a line every 5 s
/// with the time spent, the bound and the state seen; then how long it
/// took. A wait that ends within 5 s says only its name, as in the
/// OpenSVC tutorial.
struct Progress<'e> {
    exec: &'e Exec<'e>,
    rid: &'e str,
    what: &'static str,
    bound: Duration,
    start: Instant,
    next: Instant,
    told: bool,
}

impl<'e> Progress<'e> {
    fn new(exec: &'e Exec<'e>, rid: &'e str, what: &'static str, bound: Duration) -> Self {
        exec.log.res(rid, Level::Info, what);
        let start = Instant::now();
        Progress {
            exec,
            rid,
            what,
            bound,
            start,
            next: start + PROGRESS_EVERY,
            told: false,
        }
    }

    fn tick(&mut self, state: &str) {
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + PROGRESS_EVERY;
        self.told = true;
        let spent = Duration::from_secs(now.duration_since(self.start).as_secs());
        self.exec.log.res(
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

    fn done(&self) {
        if self.told {
            let took = self.start.elapsed().as_millis() / 100;
            self.exec.log.res(
                self.rid,
                Level::Info,
                &format!("{}: done in {}.{}s", self.what, took / 10, took % 10),
            );
        }
    }
}

/// The container carries a config label (om made it) that is not the
/// current config's: it was created from another config. Containers made
/// without the label (by the OpenSVC agent, say) never drift.
pub fn drifted(svc: &Service, c: &Container, i: &ContainerInfo) -> bool {
    i.label(argv::LABEL_CONFIG)
        .is_some_and(|l| l != argv::config_hash(c, &svc.path, &svc.id))
}

/// Running and healthy, or running without a health check.
fn operational(info: &ContainerInfo) -> bool {
    matches!(info.health.as_deref(), None | Some("healthy"))
}

/// A host source of `volume_mounts` must be absolute and exist; a bare name
/// is a docker named volume and is left to docker.
fn check_volume_sources(c: &Container) -> std::result::Result<(), String> {
    for m in &c.volume_mounts {
        let src = m.split(':').next().unwrap_or_default();
        let looks_like_path = src.starts_with('.') || src.contains('/');
        if !looks_like_path {
            continue;
        }
        if !src.starts_with('/') {
            return Err(format!(
                "{}.volume_mounts: host source '{src}' must be an absolute path",
                c.head.rid
            ));
        }
        let path = std::path::Path::new(src);
        match crate::fsutil::found(path, std::fs::metadata(path)) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(format!(
                    "{}.volume_mounts: host source '{src}' does not exist",
                    c.head.rid
                ))
            }
            Err(e) => return Err(format!("{}.volume_mounts: host source {e}", c.head.rid)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_sources() {
        let mut c = Container {
            head: crate::model::Head {
                rid: "container#1".into(),
                ..Default::default()
            },
            ..Container::default()
        };
        c.volume_mounts = vec!["/tmp:/data".into(), "named:/x".into()];
        assert!(check_volume_sources(&c).is_ok());
        c.volume_mounts = vec!["./rel:/data".into()];
        assert!(check_volume_sources(&c).unwrap_err().contains("absolute"));
        c.volume_mounts = vec!["/nonexistent/om:/data".into()];
        assert!(check_volume_sources(&c)
            .unwrap_err()
            .contains("does not exist"));
    }
}
