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
use crate::procs::{alive, end};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod leftovers;
mod start;

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
    // the data resources' paths, checked like data dirs (SPEC 17)
    crate::resource::disk::paths::check_host(svc, host)?;
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

/// `log/NAME.dockerd.log` (`log/namespaces/NS/svc/NAME.dockerd.log`).
pub fn dockerd_log(svc: &Service, roots: &Roots) -> PathBuf {
    let log = svc.path.log_file(roots);
    log.with_file_name(format!("{}.dockerd.log", svc.path.name))
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
