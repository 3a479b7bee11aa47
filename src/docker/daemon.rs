//! A service's private docker daemon (SPEC 11, the OpenSVC "hosting" page):
//! its own socket, image store and lifecycle. It starts on demand before
//! the first docker call of an action that needs it, and stops after the
//! action that leaves none of its containers running.

pub use super::socket::{check_socket, socket_of};
use super::Engine;
use crate::error::{Error, IoContext, Result};
use crate::host::{DockerCli, Host};
use crate::logger::{Level, Logger};
use crate::model::{DaemonConfig, Service};
use crate::paths::Roots;
use crate::process::Cmd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What an I/O error on a file of the daemon's starts with.
const DAEMON: &str = "docker daemon:";
/// How long a daemon told to stop (SIGTERM) gets before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(200);
/// A daemon that never answered holds no container: a short grace.
const UNANSWERED_GRACE: Duration = Duration::from_secs(3);

/// Everything about one service's daemon: paths, command line, bounds.
#[derive(Clone, Debug)]
pub struct Daemon {
    pub socket: PathBuf,
    pid_file: PathBuf,
    config_file: PathBuf,
    exec_root: PathBuf,
    pub log_file: PathBuf,
    conf: DaemonConfig,
    /// The service id, which the data dir's mark holds.
    id: String,
    /// `om-<first 8 chars of the service id>`: containerd namespaces of
    /// its own, so daemons sharing a containerd never see each other's.
    namespace: String,
    /// The docker CLI its engine is asked through.
    cli: DockerCli,
    /// om's trees, where its socket, state and log live.
    roots: Roots,
}

/// The one check of a private daemon's config against this host (SPEC 11),
/// what `create`, `set`, `validate` and every daemon start run: its
/// socket, its arguments (no flag om sets itself, listeners of its own),
/// its data dir (see `data_dir`). The warnings, or the config error.
pub fn check_host(svc: &Service, host: &Host) -> Result<Vec<String>> {
    let roots = &host.roots;
    let Some(conf) = &svc.daemon else {
        return Ok(Vec::new());
    };
    check_socket(svc, roots)?;
    super::daemon_args::check_own_flags(&conf.args)?;
    let socket = socket_of(&svc.path, roots);
    let sockets = super::daemon_args::Sockets {
        own: &socket,
        var: &roots.var,
        docker_host: host.docker.docker_host.as_deref(),
    };
    let mut warnings = super::daemon_args::check_hosts(&conf.args, &sockets)?;
    warnings.extend(super::data_dir::check(svc, conf, host, &socket)?);
    Ok(warnings)
}

/// The engine `svc`'s containers run on: its private daemon's, else the
/// host's.
pub fn engine_of(svc: &Service, host: &Host) -> Engine {
    match &svc.daemon {
        Some(_) => Engine::private(&host.docker, &socket_of(&svc.path, &host.roots)),
        None => Engine::host(&host.docker),
    }
}

/// The engine for an action on `svc`, its private daemon started first
/// when `start` says the action needs it (SPEC 11: start, provision, the
/// passthrough, enter, and what must ask docker to remove or find
/// containers).
pub fn engine_for(
    svc: &Service,
    host: &Host,
    log: &Logger,
    dry_run: bool,
    start: bool,
) -> Result<Engine> {
    if let (Some(d), true) = (Daemon::of(svc, host), start) {
        d.ensure(log, dry_run, || check_host(svc, host))?;
    }
    Ok(engine_of(svc, host))
}

impl Daemon {
    /// `svc`'s daemon, when its config gives it one.
    pub fn of(svc: &Service, host: &Host) -> Option<Daemon> {
        let roots = &host.roots;
        let conf = svc.daemon.clone()?;
        let var = svc.path.var_dir(roots);
        // The exec root is removed whole when the daemon is gone: it is
        // named by 8 hex digits of the id, or by a name that exists
        // nowhere when the id has none (a hand edit; `check_socket` then
        // refuses every start) — never by the id's own text, which could
        // make it `/run/om/../../..` (a second review of issue 21).
        let id8: String = match svc.id.get(..8) {
            Some(h) if h.bytes().all(|b| b.is_ascii_hexdigit()) => h.to_ascii_lowercase(),
            _ => "no-valid-id".into(),
        };
        Some(Daemon {
            socket: socket_of(&svc.path, roots),
            pid_file: var.join("docker.pid"),
            config_file: var.join("daemon.json"),
            // dockerd keeps sockets of its own under the exec root: a short
            // path keeps them under the unix socket limit too.
            exec_root: PathBuf::from(format!("/run/om/{id8}")),
            log_file: dockerd_log(svc, roots),
            conf,
            id: svc.id.clone(),
            namespace: format!("om-{id8}"),
            cli: host.docker.clone(),
            roots: roots.clone(),
        })
    }

    /// Whether the daemon's store can hold nothing of the service: no
    /// daemon runs on it, and none ever ran (its data dir does not carry
    /// om's mark of this service, written before a first start). Asking
    /// it what it holds (a delete, a config change of engine) needs no
    /// daemon started, nor a data dir made, for that.
    pub fn holds_nothing(&self) -> bool {
        self.running().is_none()
            && !self.unclean()
            && !super::data_dir::marked_for(&self.conf.data_dir, &self.id)
            // an older om's store has no mark: only an absent or empty
            // directory is known to hold nothing
            && match crate::fsutil::is_empty_dir(Path::new(&self.conf.data_dir)) {
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
                Ok(empty) => empty,
            }
    }

    /// Whether a daemon that does not run left containers running: it
    /// was killed (its exec root is still there) and a containerd shim of
    /// it runs.
    pub fn left_containers_running(&self) -> bool {
        self.running().is_none() && self.unclean() && self.shims_run()
    }

    /// Whether a daemon ran and did not stop through om (killed, say): its
    /// runtime directory is still there, and containers may still run.
    pub fn unclean(&self) -> bool {
        self.exec_root.exists()
    }

    pub fn engine(&self) -> Engine {
        Engine::private(&self.cli, &self.socket)
    }

    /// The dockerd command line (SPEC 11).
    pub fn cmd(&self) -> Cmd {
        let mut args: Vec<String> = vec![
            "-H".into(),
            format!("unix://{}", self.socket.display()),
            "--data-root".into(),
            self.conf.data_dir.clone(),
            "--exec-root".into(),
            self.exec_root.display().to_string(),
            "-p".into(),
            self.pid_file.display().to_string(),
            "--config-file".into(),
            self.config_file.display().to_string(),
            "--containerd-namespace".into(),
            self.namespace.clone(),
            "--containerd-plugins-namespace".into(),
            format!("{}p", self.namespace),
            "--bridge=none".into(),
            "--iptables=false".into(),
        ];
        args.extend(self.conf.args.iter().cloned());
        Cmd::new("dockerd", args)
    }

    /// The pid of this daemon when it runs: the pid file is trusted only
    /// when that pid is a `dockerd` listening on this socket (a pid file
    /// left by a killed daemon may name any process by now).
    pub fn running(&self) -> Option<u32> {
        let text = std::fs::read_to_string(&self.pid_file).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        self.is_ours(pid).then_some(pid)
    }

    /// Whether `pid` is a live `dockerd` listening on this daemon's socket.
    fn is_ours(&self, pid: u32) -> bool {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim_end() != "dockerd" || !alive(pid) {
            return false;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let host = format!("unix://{}", self.socket.display());
        let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        words
            .windows(2)
            .any(|w| w[0] == b"-H" && w[1] == host.as_bytes())
            || words.iter().any(|w| {
                *w == format!("--host={host}").as_bytes() || *w == format!("-H={host}").as_bytes()
            })
    }

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
    fn wait_answering(&self, pid: u32) -> Result<()> {
        let deadline = Instant::now() + self.conf.start_timeout;
        while !super::api::answers(&self.socket, Duration::from_secs(2)) {
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
    fn clear_stale(&self) -> Result<()> {
        // Whatever answers on the socket is a daemon om did not find by
        // its pid file: never start a second one over it.
        if super::api::answers(&self.socket, Duration::from_secs(2)) {
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
    fn wait_started(&self, pid: u32) -> Result<()> {
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
    fn failed(&self, pid: u32, what: String) -> Error {
        Error::Daemon {
            pid,
            what,
            log: self.log_file.clone(),
            tail: last_lines(&self.log_file),
        }
    }

    /// What a daemon that is gone leaves, cleared: the containerd it may
    /// have started under its exec root, the bind mount of its data root
    /// onto itself, and the exec root. One way for every path that ends
    /// with no daemon: one that exited or was stopped at its start, one
    /// stopped (or killed at the bound) after its last container.
    ///
    /// dockerd bind-mounts its data root onto itself (for mount
    /// propagation) when it is no mount point yet, and says so with an
    /// empty `unmount-on-shutdown` file in its exec root; it takes the
    /// mount back when it stops cleanly, and removes the file. A file
    /// still there means a dockerd that died (SIGKILL) and left the mount:
    /// om takes it back, as that dockerd would have (every killed daemon
    /// left a mount over its data dir, found under the test runs'
    /// temporary directories, issue 21).
    ///
    /// The exec root also holds containerd's record of the containers'
    /// shims: while a shim of it runs (a container a killed daemon left
    /// running), it stays, so that the next daemon finds them again.
    fn forget_run(&self) {
        self.end_orphan_containerd();
        self.note_dockerd_mount();
        if self.mount_note().exists() {
            unmount_data_root(Path::new(&self.conf.data_dir));
            let _ = std::fs::remove_file(self.mount_note());
        }
        if !self.shims_run() {
            let _ = std::fs::remove_dir_all(&self.exec_root);
        }
    }

    /// Before a start over what a killed daemon left (`unclean`): its
    /// containerd ends, its exec root stays (the containers it left
    /// running are found again through it), and the mount it left is
    /// noted: the new dockerd finds its data root mounted already, keeps
    /// it and drops the `unmount-on-shutdown` file, so only om's note says
    /// that the mount is dockerd's to be taken back once no daemon runs.
    fn take_over_run(&self) {
        self.end_orphan_containerd();
        self.note_dockerd_mount();
    }

    /// om's own note (in the state directory) that the data root's mount
    /// onto itself is dockerd's, made from dockerd's file when there is one.
    fn note_dockerd_mount(&self) {
        if self.exec_root.join("unmount-on-shutdown").exists() {
            let _ = crate::fsutil::write_atomic(&self.mount_note(), b"", &self.roots.trees());
        }
    }

    fn mount_note(&self) -> PathBuf {
        self.pid_file.with_file_name("docker.data-root-mount")
    }

    /// Whether a containerd shim of this daemon's containerd runs (its
    /// command line names the exec root, through its containerd address).
    fn shims_run(&self) -> bool {
        let root = self.exec_root.to_string_lossy().into_owned();
        // unknown: the exec root is kept, never a guess
        crate::procs::all().is_none_or(|procs| {
            procs.iter().any(|p| {
                p.comm.starts_with("containerd-shim") && p.argv().iter().any(|w| w.contains(&root))
            })
        })
    }

    /// The daemon's own lock (`daemon.lock` in the state directory), held
    /// while it is started or stopped; waits up to a start and a stop.
    fn lock(&self) -> Result<std::fs::File> {
        let file = self.pid_file.with_file_name("daemon.lock");
        let f = crate::fsutil::open_rw(&file, &self.roots.trees()).at("", &file)?;
        let deadline = Instant::now() + self.conf.start_timeout + STOP_GRACE;
        if crate::state::wait_for_lock(&f, deadline, POLL)? {
            return Ok(f);
        }
        Err(Error::Failed(format!(
            "docker daemon: another om has been starting or stopping it for too long ({})",
            file.display()
        )))
    }

    /// The containerd a killed daemon started (under its exec root) runs
    /// on and holds its store: a new daemon would wait on it until its
    /// start fails. It is ended first, found by its pid file and verified
    /// (a `containerd` whose command line names this exec root).
    fn end_orphan_containerd(&self) {
        let dir = self.exec_root.join("containerd");
        let pid_file = dir.join("containerd.pid");
        let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
        else {
            return;
        };
        // a live containerd whose command line names this exec root
        let verified = || {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            comm.trim_end() == "containerd"
                && String::from_utf8_lossy(&cmdline).contains(&*dir.to_string_lossy())
                && alive(pid)
        };
        if verified() {
            end(pid, Duration::from_secs(10), verified);
        }
        // dockerd trusts any process under that pid (a zombie, a reused
        // pid) and then waits on it until its start times out.
        let _ = std::fs::remove_file(&pid_file);
    }

    /// The directories and the config file dockerd needs; a data dir on a
    /// missing or read-only filesystem is said here, not by dockerd.
    fn prepare(&self) -> Result<()> {
        let fail = |what: &Path, e| Error::io(DAEMON, what, e);
        if let Some(dir) = self.socket.parent() {
            crate::fsutil::private_dir(dir, &self.roots.trees()).map_err(|e| fail(dir, e))?;
        }
        let data = Path::new(&self.conf.data_dir);
        // created (or first taken) and marked as this service's, after the
        // check, under the daemon's lock
        super::data_dir::mark(data, &self.id)
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
    fn prepare_exec_root(&self) -> Result<()> {
        crate::fsutil::private_dir(&self.exec_root, crate::fsutil::NOT_OURS)
            .at(DAEMON, &self.exec_root)
    }

    /// Stops the daemon when none of its containers runs: SIGTERM, up to
    /// 15 s, then SIGKILL. A daemon that does not run is left alone; a
    /// failed query keeps it running (never a guess).
    pub fn stop_if_idle(&self, log: &Logger, dry_run: bool) -> Result<()> {
        let _held = if dry_run { None } else { Some(self.lock()?) };
        let Some(pid) = self.running() else {
            return Ok(());
        };
        // alive: running, paused, restarting (a stopped daemon would stop a
        // paused container too); only exited, created or dead ones are idle
        let running = self
            .engine()
            .ps()?
            .into_iter()
            .filter(|c| c.running || super::inspect::alive_state(&c.state))
            .count();
        if running > 0 {
            return Ok(());
        }
        log.svc(
            Level::Info,
            &format!("no more container handled by docker daemon (pid {pid}). shut it down"),
        );
        if dry_run {
            return Ok(());
        }
        if !end(pid, STOP_GRACE, || self.is_ours(pid)) {
            log.svc(
                Level::Warn,
                &format!(
                    "docker daemon (pid {pid}) still ran after {}: killed",
                    crate::units::humanize(STOP_GRACE)
                ),
            );
        }
        // Its runtime state, not its store: the next start makes it anew
        // (and a killed one's mount goes with it).
        self.forget_run();
        Ok(())
    }
}

/// Takes back the bind mount of `data` onto itself that a dead dockerd
/// left: only when `data` is a mount point whose source is that same
/// directory (its mountinfo root is its own path), never another mount
/// (a file system the operator mounted there stays). Lazily when busy
/// (a container's file system still mounted under it): the directory and
/// its files are the same with or without that mount.
fn unmount_data_root(data: &Path) {
    // as mountinfo names it: no trailing '/', no '//' or '.'
    let data: PathBuf = data.components().collect();
    let data = data.as_path();
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    if !self_bind_mounted(&info, data) {
        return;
    }
    let Ok(c) = std::ffi::CString::new(data.as_os_str().as_encoded_bytes()) else {
        return;
    };
    // SAFETY: a NUL-terminated path; umount2 only reads it.
    if unsafe { libc::umount2(c.as_ptr(), 0) } != 0 {
        // SAFETY: as above.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Whether mountinfo text `info` has `dir` mounted onto itself: its last
/// mount at `dir` is of the same file system (major:minor) as the mount
/// `dir` sits on, and its root within that file system is the path of
/// `dir` there: a bind mount of the directory onto itself, as dockerd
/// makes. (The fields escape space, tab, newline and backslash as octal.)
fn self_bind_mounted(info: &str, dir: &Path) -> bool {
    struct Mount<'a> {
        dev: &'a str,
        root: &'a str,
        point: &'a str,
    }
    let mounts: Vec<Mount> = info
        .lines()
        .filter_map(|line| {
            let mut f = line.split(' ').skip(2);
            Some(Mount {
                dev: f.next()?,
                root: f.next()?,
                point: f.next()?,
            })
        })
        .collect();
    let want = escape_mountinfo(&dir.to_string_lossy());
    // the last mount at `dir` is what a path lookup sees; the one below it
    // (an earlier one at `dir`, or the longest mount point above `dir`)
    // is the file system the directory itself is on
    let Some(top) = mounts.iter().rposition(|m| m.point == want) else {
        return false;
    };
    let under = |m: &Mount| {
        m.point == want
            || m.point == "/"
            || want
                .strip_prefix(m.point)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let Some(below) = mounts[..top]
        .iter()
        .filter(|m| under(m))
        .max_by_key(|m| m.point.len())
    else {
        return false;
    };
    let rel = if below.point == "/" {
        want.as_str()
    } else {
        &want[below.point.len()..]
    };
    let expected = if below.root == "/" {
        rel.to_string()
    } else if rel.is_empty() {
        below.root.to_string()
    } else {
        format!("{}{rel}", below.root)
    };
    let m = &mounts[top];
    m.dev == below.dev && m.root == expected
}

fn escape_mountinfo(path: &str) -> String {
    path.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('\t', "\\011")
        .replace('\n', "\\012")
}

/// `log/NAME.dockerd.log` (`log/namespaces/NS/svc/NAME.dockerd.log`).
pub fn dockerd_log(svc: &Service, roots: &Roots) -> PathBuf {
    let log = svc.path.log_file(roots);
    log.with_file_name(format!("{}.dockerd.log", svc.path.name))
}

/// SIGTERM, up to `grace`, then SIGKILL; whether it ended in time.
/// `still` says the pid is still the process meant (checked again right
/// before each signal: not om's child, its pid may be reused once reaped).
fn end(pid: u32, grace: Duration, still: impl Fn() -> bool) -> bool {
    if still() {
        signal(pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while alive(pid) {
        if Instant::now() >= deadline {
            if still() {
                signal(pid, libc::SIGKILL);
                // gone before om says so (a kill is not instant)
                let gone_by = Instant::now() + Duration::from_secs(2);
                while alive(pid) && Instant::now() < gone_by {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            return false;
        }
        std::thread::sleep(POLL);
    }
    true
}

fn alive(pid: u32) -> bool {
    // a zombie (our own child, not yet reaped) is not alive
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn signal(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        if pid > 1 {
            // SAFETY: kill(2) takes plain integers and touches no memory of ours.
            unsafe {
                libc::kill(pid, sig);
            }
        }
    }
}

/// The last lines of the daemon's log, for an error.
fn last_lines(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    if lines.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = lines
        .iter()
        .rev()
        .map(|l| crate::text::escape_controls(l).into_owned())
        .collect();
    format!(" (last lines: {})", shown.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(path: &str, data_dir: Option<&str>) -> Service {
        Service {
            id: "0123456789abcdef".into(),
            daemon: data_dir.map(|d| DaemonConfig {
                key: "docker_data_dir",
                data_dir: d.into(),
                args: vec!["--group".into(), "team1".into()],
                start_timeout: Duration::from_secs(30),
            }),
            ..Service::for_test(path, Vec::new())
        }
    }

    #[test]
    fn the_exec_root_is_never_named_by_an_id_that_is_no_id() {
        let roots = Roots::under(Path::new("/o"));
        for (id, want) in [
            ("0123456789abcdef", "/run/om/01234567"),
            ("ABCDEF01-x", "/run/om/abcdef01"),
            ("../../../x", "/run/om/no-valid-id"),
            ("", "/run/om/no-valid-id"),
            (".", "/run/om/no-valid-id"),
        ] {
            let s = Service {
                id: id.into(),
                ..svc("web", Some("/srv/web"))
            };
            let d = Daemon::of(&s, &Host::for_test(roots.clone(), "n1")).unwrap();
            assert_eq!(d.exec_root, PathBuf::from(want), "{id:?}");
        }
    }

    #[test]
    fn a_data_root_mounted_onto_itself_is_told_from_other_mounts() {
        let dir = Path::new("/tmp/t 1/data");
        // dockerd's bind of its data root onto itself, on the root fs
        let root_fs = "21 1 254:0 / / rw - ext4 /dev/vda rw\n";
        let own = "90 21 254:0 /tmp/t\\0401/data /tmp/t\\0401/data rw - ext4 /dev/vda rw\n";
        assert!(self_bind_mounted(&format!("{root_fs}{own}"), dir));
        // the same on a tmpfs mounted at /tmp (its root is the path in it)
        let tmp = "30 21 0:40 / /tmp rw - tmpfs tmpfs rw\n";
        let own_tmp = "91 30 0:40 /t\\0401/data /tmp/t\\0401/data rw - tmpfs tmpfs rw\n";
        assert!(self_bind_mounted(&format!("{root_fs}{tmp}{own_tmp}"), dir));
        // another directory bound there, or another file system: not it
        let other = "92 21 254:0 /srv/x /tmp/t\\0401/data rw - ext4 /dev/vda rw\n";
        assert!(!self_bind_mounted(&format!("{root_fs}{other}"), dir));
        let fs = "93 21 7:0 / /tmp/t\\0401/data rw - xfs /dev/loop0 rw\n";
        assert!(!self_bind_mounted(&format!("{root_fs}{fs}"), dir));
        assert!(!self_bind_mounted(root_fs, dir));
        // a prefix of the name is no parent
        let near = "94 21 254:0 /tmp/t\\0401/dat /tmp/t\\0401/dat rw - ext4 /dev/vda rw\n";
        assert!(!self_bind_mounted(&format!("{root_fs}{near}"), dir));
    }

    #[test]
    fn the_dockerd_line_of_the_spec() {
        let roots = Roots::under(Path::new("/o"));
        let d = Daemon::of(
            &svc("app1-dev/svc/svc1", Some("/srv/a/docker")),
            &Host::for_test(roots.clone(), "n1"),
        )
        .unwrap();
        assert_eq!(
            d.cmd().to_string(),
            "dockerd -H unix:///o/var/namespaces/app1-dev/svc/svc1/docker.sock \
             --data-root /srv/a/docker --exec-root /run/om/01234567 \
             -p /o/var/namespaces/app1-dev/svc/svc1/docker.pid \
             --config-file /o/var/namespaces/app1-dev/svc/svc1/daemon.json \
             --containerd-namespace om-01234567 --containerd-plugins-namespace om-01234567p \
             --bridge=none --iptables=false --group team1"
        );
        assert_eq!(
            d.log_file,
            Path::new("/o/log/namespaces/app1-dev/svc/svc1.dockerd.log")
        );
        assert!(Daemon::of(&svc("svc1", None), &Host::for_test(roots.clone(), "n1")).is_none());
    }

    #[test]
    fn a_socket_path_too_long_is_a_config_error() {
        let long = Roots::under(&Path::new("/").join("d".repeat(90)));
        let err = check_socket(&svc("svc1", Some("/srv/d")), &long)
            .unwrap_err()
            .to_string();
        assert!(err.contains("over the 107"), "{err}");
        assert!(check_socket(&svc("svc1", None), &long).is_ok());
        // the id names the runtime directory: no path out of /run/om
        let mut odd = svc("svc1", Some("/srv/d"));
        odd.id = "../../..x".into();
        let err = check_socket(&odd, &Roots::under(Path::new("/o")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("8 hex digits"), "{err}");
        assert!(check_socket(&svc("svc1", Some("/srv/d")), &Roots::under(Path::new("/o"))).is_ok());
    }

    #[test]
    fn a_pid_file_naming_another_process_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let roots = Roots::under(dir.path());
        let s = svc("svc1", Some("/srv/d"));
        let d = Daemon::of(&s, &Host::for_test(roots.clone(), "n1")).unwrap();
        assert_eq!(d.running(), None);
        std::fs::create_dir_all(d.pid_file.parent().unwrap()).unwrap();
        // our own pid: alive, but not a dockerd on this socket
        std::fs::write(&d.pid_file, std::process::id().to_string()).unwrap();
        assert_eq!(d.running(), None);
    }
}
