//! A private docker daemon per service (SPEC 11), on real second and third
//! `dockerd` processes, images pulled from the real local registry.

use crate::support::{create, docker, engine, inspect, registry_image, Env, LOOP};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A service on a private daemon whose data dir is under the test's root.
fn tenant_ini(env: &Env, image: &str, extra: &str) -> String {
    format!(
        "[DEFAULT]\ndocker_data_dir = {}/data/{{namespace}}/{{name}}\n{extra}\n\
         [container#1]\ntype = docker\nimage = {image}\ncommand = sh -c \"{LOOP}\"\n",
        env.root().display()
    )
}

fn var_dir(env: &Env, ns: &str, name: &str) -> PathBuf {
    if ns.is_empty() {
        return env.root().join("var/svc").join(name);
    }
    env.root()
        .join("var/namespaces")
        .join(ns)
        .join("svc")
        .join(name)
}

/// The mount points at or under `dir` (mountinfo's field 5): a private
/// dockerd bind-mounts its data root onto itself, and one that died left
/// that mount behind (issue 21, item 18) until om took it back.
fn mounts_under(dir: &std::path::Path) -> Vec<String> {
    let want = dir.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .expect("mountinfo")
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| *p == want || p.starts_with(&format!("{want}/")))
        .map(String::from)
        .collect()
}

/// The config file of NS/svc/NAME.
fn conf_of(env: &Env, ns: &str, name: &str) -> PathBuf {
    env.root()
        .join("etc/namespaces")
        .join(ns)
        .join("svc")
        .join(format!("{name}.conf"))
}

fn socket(env: &Env, ns: &str, name: &str) -> String {
    format!(
        "unix://{}",
        var_dir(env, ns, name).join("docker.sock").display()
    )
}

/// The pid in the daemon's pid file, when that process is a live dockerd.
fn daemon_pid(env: &Env, ns: &str, name: &str) -> Option<i32> {
    let text = std::fs::read_to_string(var_dir(env, ns, name).join("docker.pid")).ok()?;
    let pid: i32 = text.trim().parse().ok()?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "dockerd" && !gone(pid)).then_some(pid)
}

/// Whether the process is gone, or a zombie (as good as gone).
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
    })
}

fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn docker_on(sock: &str, args: &[&str]) -> String {
    let mut all = vec!["-H", sock];
    all.extend_from_slice(args);
    let out = docker(&all);
    assert!(
        out.status.success(),
        "docker -H {sock} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stops whatever daemon the test left running (a failed assertion midway),
/// so that no dockerd outlives its test.
struct Daemons<'a> {
    env: &'a Env,
    services: Vec<(&'static str, &'static str)>,
}

impl Drop for Daemons<'_> {
    fn drop(&mut self) {
        for (ns, name) in &self.services {
            if let Some(pid) = daemon_pid(self.env, ns, name) {
                let sock = socket(self.env, ns, name);
                let ids = docker(&["-H", &sock, "ps", "-aq"]);
                for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
                    let _ = docker(&["-H", &sock, "rm", "-f", id]);
                }
                // SAFETY: kill(2) with plain integers.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
                wait_gone(pid);
            }
            // the exec root a daemon killed here (or a failed start) left
            let conf = if ns.is_empty() {
                self.env.conf(name)
            } else {
                conf_of(self.env, ns, name)
            };
            let id = std::fs::read_to_string(conf).unwrap_or_default();
            let id = id.lines().find_map(|l| l.strip_prefix("id = "));
            if let Some(id8) = id.and_then(|id| id.get(..8)) {
                let exec_root = PathBuf::from("/run/om").join(id8);
                // a daemon killed by the test left its containers running
                // under their shims: they go, their processes first
                kill_shims_of(&exec_root);
                for m in mounts_under(&exec_root) {
                    let _ = std::process::Command::new("umount").arg(&m).status();
                }
                let _ = std::fs::remove_dir_all(&exec_root);
            }
        }
        // what those daemons left mounted under the test's root
        let mut left = mounts_under(self.env.root());
        left.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in left {
            let _ = std::process::Command::new("umount")
                .args(["-l", &m])
                .status();
        }
    }
}

/// Kills the containerd shims serving a daemon's exec root, and their
/// children (the containers' first processes).
fn kill_shims_of(exec_root: &std::path::Path) {
    let root = exec_root.to_string_lossy().into_owned();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for e in procs.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if !comm.starts_with("containerd-shim")
            || !String::from_utf8_lossy(&cmdline).contains(&root)
        {
            continue;
        }
        let children = std::fs::read_dir(e.path().join("task"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|c| {
                c.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok())
                    .collect::<Vec<_>>()
            });
        for child in children.chain([pid]) {
            // SAFETY: kill(2) with plain integers.
            unsafe {
                libc::kill(child, libc::SIGKILL);
            }
        }
    }
}

#[test]
fn two_tenants_each_on_a_daemon_of_their_own() {
    engine();
    let env = Env::new();
    let image = registry_image();
    let _daemons = Daemons {
        env: &env,
        services: vec![("app1-dev", "svc1"), ("app2-prd", "svc1")],
    };
    create(&env, "app1-dev/svc/svc1", &tenant_ini(&env, &image, ""));
    create(
        &env,
        "app2-prd/svc/svc1",
        &tenant_ini(&env, &image, "docker_daemon_args = --group nogroup"),
    );

    // one glob starts both: a daemon each, the image pulled into each
    let out = env.om(&["app*/*", "start"]).ok();
    let starting = out
        .stderr
        .lines()
        .filter(|l| l.ends_with("starting docker daemon"))
        .count();
    assert_eq!(starting, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("pulling docker image"),
        "{}",
        out.stderr
    );
    let sock1 = socket(&env, "app1-dev", "svc1");
    assert!(
        out.stderr.contains(&format!("docker -H {sock1} run -d")),
        "every docker line carries -H: {}",
        out.stderr
    );
    let pid1 = daemon_pid(&env, "app1-dev", "svc1").expect("app1's dockerd runs");
    // om made the data dir and marked it as the service's: its id, 0600
    let marker = env.root().join("data/app1-dev/svc1/.om-owner");
    let mark = std::fs::read_to_string(&marker).expect("om's mark");
    assert_eq!(mark.trim(), env.svc_id("app1-dev/svc/svc1"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&marker).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let pid2 = daemon_pid(&env, "app2-prd", "svc1").expect("app2's dockerd runs");
    assert_ne!(pid1, pid2);

    // each daemon sees its own container only; the host engine neither
    let sock2 = socket(&env, "app2-prd", "svc1");
    let names = |sock: &str| docker_on(sock, &["ps", "--format", "{{.Names}}"]);
    assert_eq!(names(&sock1).trim(), "app1-dev..svc1.container.1");
    assert_eq!(names(&sock2).trim(), "app2-prd..svc1.container.1");
    assert!(inspect("app1-dev..svc1.container.1").is_none());
    assert!(inspect("app2-prd..svc1.container.1").is_none());

    // the passthrough runs once per service, each on its own daemon
    let out = env
        .om(&["app*/*", "docker", "ps", "--format", "{{.Names}}"])
        .ok();
    let listed: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        listed,
        ["app1-dev..svc1.container.1", "app2-prd..svc1.container.1"]
    );

    // docker_daemon_args reach dockerd: the socket is group nogroup's
    let group_of = |ns: &str| {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(var_dir(&env, ns, "svc1").join("docker.sock")).unwrap();
        meta.gid()
    };
    assert_eq!(group_of("app2-prd"), 65534, "nogroup owns app2's socket");
    assert_ne!(group_of("app1-dev"), 65534);

    let status = env.om(&["app*/*", "print", "status"]).ok();
    assert_eq!(status.stdout.matches(" up").count(), 6, "{}", status.stdout);
    assert!(!status.stdout.contains("down") && !status.stdout.contains("warn"));

    // the stop of the last container shuts each daemon down
    let out = env.om(&["app*/*", "stop"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "no more container handled by docker daemon (pid {pid1}). shut it down"
        )),
        "{}",
        out.stderr
    );
    wait_gone(pid1);
    wait_gone(pid2);
    assert_eq!(daemon_pid(&env, "app1-dev", "svc1"), None);
    assert_eq!(daemon_pid(&env, "app2-prd", "svc1"), None);

    // a dry run on a daemon that does not run starts none, and shows the plan
    let out = env.om(&["app1-dev/svc/svc1", "start", "--dry-run"]).ok();
    assert!(
        out.stderr.contains("starting docker daemon")
            && out
                .stderr
                .contains("the dry run can not see its containers"),
        "{}",
        out.stderr
    );
    assert_eq!(daemon_pid(&env, "app1-dev", "svc1"), None);

    // two oms needing the daemon at once start one daemon
    let pair: Vec<std::process::Child> = (0..2)
        .map(|_| {
            env.std_cmd(&["app1-dev/svc/svc1", "docker", "info", "--format", "{{.ID}}"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in pair {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dockerds = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(&format!("{}\0", sock1))
                && std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|c| c.trim() == "dockerd")
        })
        .count();
    assert_eq!(dockerds, 1, "one daemon for the socket");
    // with a container running, delete --force would leave it out of reach
    env.om(&["app1-dev/svc/svc1", "start"]).ok();
    let out = env.om(&["app1-dev/svc/svc1", "delete", "--force"]).code(1);
    assert!(
        out.stderr
            .contains("containers of the service exist (app1-dev..svc1.container.1)"),
        "{}",
        out.stderr
    );
    assert!(conf_of(&env, "app1-dev", "svc1").exists());
    env.om(&["app1-dev/svc/svc1", "stop"]).ok();
    wait_gone(daemon_pid(&env, "app1-dev", "svc1").unwrap_or(1 << 30));

    // status does not start a daemon, and says why the resources are down
    let status = env.om(&["app1-dev/svc/svc1", "print", "status"]).ok();
    assert!(
        status.stdout.contains("info: docker daemon is not running"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains(" down "), "{}", status.stdout);
    assert_eq!(daemon_pid(&env, "app1-dev", "svc1"), None);

    // a daemon killed behind om's back is started again by the next action
    // (its container stopped first through the daemon itself: a container
    // whose daemon is killed under it leaves its processes behind)
    env.om(&["app1-dev/svc/svc1", "start"]).ok();
    let pid = daemon_pid(&env, "app1-dev", "svc1").expect("started again");
    docker_on(&sock1, &["stop", "-t", "0", "app1-dev..svc1.container.1"]);
    // SAFETY: kill(2) with plain integers.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    wait_gone(pid);
    let status = env.om(&["app1-dev/svc/svc1", "print", "status"]).ok();
    assert!(status.stdout.contains("info: docker daemon is not running"));
    let out = env.om(&["app1-dev/svc/svc1", "start"]).ok();
    assert!(
        out.stderr.contains("starting docker daemon"),
        "{}",
        out.stderr
    );
    let back = daemon_pid(&env, "app1-dev", "svc1").expect("a new daemon");
    assert_ne!(back, pid);
    let status = env.om(&["app1-dev/svc/svc1", "print", "status"]).ok();
    assert!(status.stdout.contains("container#1") && !status.stdout.contains(" down "));

    // purge removes the containers through the daemon, then stops it
    env.om(&["app*/*", "purge"]).ok();
    wait_gone(back);
    assert_eq!(daemon_pid(&env, "app1-dev", "svc1"), None);
    assert!(!conf_of(&env, "app1-dev", "svc1").exists());
    // the killed daemon's mount of its data root was taken back by the
    // start after it, the others' by their daemons' clean stops
    assert_eq!(mounts_under(env.root()), Vec::<String>::new());
}

#[test]
fn a_daemon_that_can_not_start_is_an_error_naming_its_log() {
    engine();
    let env = Env::new();
    let image = registry_image();
    let _daemons = Daemons {
        env: &env,
        services: vec![("t1", "bad")],
    };
    create(
        &env,
        "t1/svc/bad",
        &tenant_ini(&env, &image, "docker_daemon_args = --no-such-flag"),
    );
    let out = env.om(&["t1/svc/bad", "start"]).code(1);
    let log = env.root().join("log/namespaces/t1/svc/bad.dockerd.log");
    assert!(
        out.stderr.contains("exited at start") && out.stderr.contains(&log.display().to_string()),
        "{}",
        out.stderr
    );
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("no-such-flag"));
    // its exec root went with it: none is left under /run/om
    let exec_root = exec_root(&env, "t1/svc/bad");
    assert!(!exec_root.exists(), "{} is left", exec_root.display());
}

/// The exec root of a service's daemon, `/run/om/ID8`.
fn exec_root(env: &Env, path: &str) -> PathBuf {
    let id = env.svc_id(path);
    PathBuf::from("/run/om").join(&id[..8])
}

#[test]
fn a_daemon_that_does_not_answer_in_time_is_stopped_and_named() {
    engine();
    let mut env = Env::new();
    let image = registry_image();
    // a containerd that never answers (a script of the test's own, first
    // in PATH, which dockerd runs as its containerd and which ends with
    // it): dockerd waits on it, never listening
    let bin = env.root().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("containerd");
    std::fs::write(
        &fake,
        "#!/bin/sh\nwhile kill -0 $PPID 2>/dev/null; do sleep 0.1; done\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.path_prefix = Some(bin);
    let _daemons = Daemons {
        env: &env,
        services: vec![("t2", "mute")],
    };
    let extra = "docker_daemon_start_timeout = 2s";
    create(&env, "t2/svc/mute", &tenant_ini(&env, &image, extra));
    let t = Instant::now();
    let out = env.om(&["t2/svc/mute", "start"]).code(1);
    assert!(
        out.stderr.contains("did not answer within 2s, stopped")
            && out.stderr.contains("t2/svc/mute.dockerd.log"),
        "{}",
        out.stderr
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert_eq!(
        daemon_pid(&env, "t2", "mute"),
        None,
        "the daemon was stopped"
    );
    assert!(!exec_root(&env, "t2/svc/mute").exists());
    assert_eq!(mounts_under(env.root()), Vec::<String>::new());
}

#[test]
fn a_data_dir_on_a_read_only_filesystem_is_a_clear_error() {
    engine();
    let env = Env::new();
    let image = registry_image();
    let ro = env.root().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs"])
        .arg(&ro)
        .status()
        .expect("run mount");
    assert!(
        mounted.success(),
        "mount a read-only tmpfs (scripts/test runs as root)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(ro.clone());
    let ini = format!(
        "[DEFAULT]\ndocker_data_dir = {}/docker\n[container#1]\ntype = docker\nimage = {image}\n",
        ro.display()
    );
    create(&env, "rosvc", &ini);
    let out = env.om(&["rosvc", "start"]).code(1);
    assert!(
        out.stderr.contains("Read-only file system")
            && out.stderr.contains(&ro.display().to_string()),
        "{}",
        out.stderr
    );
    assert_eq!(daemon_pid(&env, "", "rosvc"), None);
}

#[test]
fn stop_works_on_a_config_whose_daemon_keywords_are_wrong() {
    let env = Env::new();
    let data = env.root().join("d");
    create(&env, "t3/svc/s", &ini_on(&data, ""));
    // a hand edit breaks a daemon keyword: stop still knows the socket
    let conf = conf_of(&env, "t3", "s");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace(
            "[DEFAULT]\n",
            "[DEFAULT]\ndocker_daemon_start_timeout = soon\n",
        ),
    )
    .unwrap();
    let out = env.om(&["t3/svc/s", "stop"]).ok();
    assert!(
        out.stderr
            .contains("docker daemon is not running: no container to stop"),
        "{}",
        out.stderr
    );
    env.om(&["t3/svc/s", "validate", "config"]).code(1);
}

#[test]
fn a_socket_path_over_the_unix_limit_is_refused_at_create() {
    let env = Env::new();
    let name = "s".repeat(60);
    let ns = "n".repeat(40);
    let ini = ini_on(&env.root().join("d"), "");
    let out = env
        .om_stdin(&[&format!("{ns}/svc/{name}"), "create", "--config=-"], &ini)
        .code(1);
    assert!(out.stderr.contains("over the 107"), "{}", out.stderr);
}

/// A service on `data_dir` with `extra` DEFAULT lines; never started
/// where a test only checks its config.
fn ini_on(data_dir: &std::path::Path, extra: &str) -> String {
    format!(
        "[DEFAULT]\ndocker_data_dir = {}\n{extra}\n[container#1]\ntype = docker\nimage = busybox\n",
        data_dir.display()
    )
}

/// A directory of the test's own with a file in it, and what it holds.
fn victim(env: &Env) -> (PathBuf, Vec<String>) {
    let dir = env.root().join("victim");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("precious"), "keep me").unwrap();
    let listed = listing(&dir);
    (dir, listed)
}

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The id of a config written by hand.
const HAND_ID: &str = "id = 0123abcd-0000-4000-8000-000000000000";

/// Writes a config by hand (as an editor would), past create's checks.
fn hand_write(env: &Env, name: &str, ini: &str) {
    std::fs::create_dir_all(env.root().join("etc")).unwrap();
    std::fs::write(env.conf(name), ini).unwrap();
}

#[test]
fn a_data_dir_om_does_not_own_is_refused_by_create_set_and_validate() {
    engine();
    let env = Env::new();
    let (victim, held) = victim(&env);
    let links = env.root().join("links");
    std::fs::create_dir(&links).unwrap();
    std::os::unix::fs::symlink("/", links.join("to-root")).unwrap();
    std::os::unix::fs::symlink(&victim, links.join("to-victim")).unwrap();
    let host_root = docker(&["info", "--format", "{{.DockerRootDir}}"]);
    let host_root = PathBuf::from(String::from_utf8_lossy(&host_root.stdout).trim());
    assert!(host_root.is_absolute(), "{}", host_root.display());
    let fine = env.root().join("new/docker");
    create(&env, "g0", &ini_on(&fine, ""));
    let g0 = env.read_conf("g0");
    std::fs::create_dir(env.root().join("etc/d")).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        ("/".into(), "is a system directory (/)"),
        ("/tmp".into(), "is a system directory (/tmp)"),
        ("/var".into(), "is a system directory (/var)"),
        ("/var/lib".into(), "is a system directory (/var/lib)"),
        ("/etc".into(), "is a system directory (/etc)"),
        (
            "/etc/om-docker".into(),
            "is inside a system directory (/etc)",
        ),
        ("/root".into(), "is a system directory (/root)"),
        ("/home/someone".into(), "is a user's home directory"),
        (host_root.clone(), "is the host engine's data root"),
        (host_root.join("x"), "is inside the host engine's data root"),
        (links.join("to-root"), "goes through a symbolic link"),
        (links.join("to-root/tmp"), "goes through a symbolic link"),
        (links.join("to-victim"), "goes through a symbolic link"),
        (
            links.join("to-victim/docker"),
            "goes through a symbolic link",
        ),
        (victim.clone(), "is not empty and om did not initialise it"),
        // the root holds om's trees, and g0's data dir (said first by create)
        (env.root().to_path_buf(), "holds "),
        (env.root().join("var"), "is a directory of om's own"),
        (
            env.root().join("etc/d"),
            "is inside a directory of om's own",
        ),
        // what a hostile run found accepted: a store in a service's state
        // directory (its purge removed the store's files), and empty
        // system directories om would have made and handed to dockerd
        (
            env.root().join("var/svc/g0/store"),
            "is inside a directory of om's own",
        ),
        (
            "/var/lib/private/x".into(),
            "is inside a system directory (/var/lib/private)",
        ),
        ("/run/user/0".into(), "is inside a system directory (/run)"),
        ("/root/x".into(), "is inside a system directory (/root)"),
        ("/var/snap".into(), "is a system directory (/var/snap)"),
        ("var/lib/docker".into(), "is not an absolute path"),
    ];
    for (dir, why) in &cases {
        let want = format!("DEFAULT.docker_data_dir: '{}' {why}", dir.display());
        let out = env
            .om_stdin(&["g1", "create", "--config=-"], &ini_on(dir, ""))
            .code(1);
        assert!(out.stderr.contains(&want), "create {dir:?}: {}", out.stderr);
        assert!(!env.conf("g1").exists(), "create {dir:?} wrote a config");
        let kw = format!("docker_data_dir={}", dir.display());
        let out = env.om(&["g0", "set", "--kw", &kw]).code(1);
        assert!(out.stderr.contains(&want), "set {dir:?}: {}", out.stderr);
        assert_eq!(env.read_conf("g0"), g0, "set {dir:?} wrote");
        hand_write(&env, "g2", &ini_on(dir, HAND_ID));
        let out = env.om(&["g2", "validate", "config"]).code(1);
        assert!(
            out.stdout.contains(&format!("g2: error: {want}")),
            "validate {dir:?}: {}{}",
            out.stdout,
            out.stderr
        );
        std::fs::remove_file(env.conf("g2")).unwrap();
    }
    // the alias is checked alike, and named
    let out = env
        .om_stdin(
            &["g1", "create", "--config=-"],
            &ini_on(&links.join("to-root"), "").replace("docker_data_dir", "container_data_dir"),
        )
        .code(1);
    assert!(
        out.stderr.contains("DEFAULT.container_data_dir: '")
            && out.stderr.contains("symbolic link"),
        "{}",
        out.stderr
    );
    // nothing was written anywhere: the victim holds what it held, and
    // the data dir that was fine is not made until a daemon needs it
    assert_eq!(listing(&victim), held);
    assert!(!fine.exists());
    hand_write(&env, "g2", &ini_on(&env.root().join("new/other"), HAND_ID));
    env.om(&["g2", "validate", "config"]).ok();
}

#[test]
fn a_host_engine_that_can_not_be_asked_is_said() {
    let mut env = Env::new();
    hand_write(&env, "h", &ini_on(&env.root().join("data"), HAND_ID));
    // an engine that does not run: dockerd's defaults stand in, said
    let none = format!("unix://{}/none.sock", env.root().display());
    env.vars.push(("DOCKER_HOST".into(), none));
    let out = env.om(&["h", "validate", "config"]).ok();
    assert!(
        out.stderr
            .contains("warning: the host's docker engine could not be asked for its data root"),
        "{}",
        out.stderr
    );
    hand_write(
        &env,
        "h",
        &ini_on(std::path::Path::new("/var/lib/docker/x"), HAND_ID),
    );
    let out = env.om(&["h", "validate", "config"]).code(1);
    assert!(
        // (a running dockerd's, or dockerd's default, said first)
        out.stdout.contains("'/var/lib/docker/x' is inside ")
            && out.stdout.contains(" (/var/lib/docker)"),
        "{}",
        out.stdout
    );
    // an answer om can not read is no answer: said, and the running
    // dockerds' data roots (from /proc) stand in for the engine's, so a
    // hung host engine stops no tenant's daemon (a stop's included)
    let fake = env.root().join("docker");
    std::fs::write(&fake, "#!/bin/sh\necho\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.vars
        .push(("OM_DOCKER".into(), fake.display().to_string()));
    hand_write(&env, "h", &ini_on(&env.root().join("data"), HAND_ID));
    let out = env.om(&["h", "validate", "config"]).ok();
    assert!(
        out.stderr
            .contains("warning: the host's docker engine could not be asked for its data root")
            && out.stderr.contains("answered ''"),
        "{}",
        out.stderr
    );
    hand_write(
        &env,
        "h",
        &ini_on(std::path::Path::new("/var/lib/docker/x"), HAND_ID),
    );
    env.om(&["h", "validate", "config"]).code(1);
}

#[test]
fn a_start_refuses_a_data_dir_om_does_not_own_and_starts_nothing() {
    engine();
    let env = Env::new();
    let (victim, held) = victim(&env);
    let link = env.root().join("link");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let data = env.root().join("data");
    create(&env, "s1", &ini_on(&data, ""));
    let _daemons = Daemons {
        env: &env,
        services: vec![("", "s1")],
    };
    // hand edits past create's checks: each start refuses before dockerd
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("stray"), "x").unwrap();
    for (dir, why) in [
        (&link, "goes through a symbolic link"),
        (&victim, "is not empty and om did not initialise it"),
        (&data, "is not empty and om did not initialise it"),
    ] {
        hand_write(
            &env,
            "s1",
            &ini_on(dir, &format!("id = {}", env.svc_id("s1"))),
        );
        let out = env.om(&["s1", "start"]).code(1);
        assert!(
            out.stderr.contains(&format!(
                "docker daemon not started: DEFAULT.docker_data_dir: '{}' {why}",
                dir.display()
            )),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("starting docker daemon"),
            "{}",
            out.stderr
        );
        assert_eq!(daemon_pid(&env, "", "s1"), None);
        assert!(!exec_root(&env, "s1").exists());
    }
    assert_eq!(listing(&victim), held, "dockerd never ran on the victim");
    assert_eq!(listing(&data), ["stray"]);
}

#[test]
fn two_services_never_share_a_data_dir() {
    engine();
    let env = Env::new();
    let shared = env.root().join("d/shared");
    create(&env, "a", &ini_on(&shared, ""));
    let other = env.root().join("d/other");
    for (dir, why) in [
        (shared.clone(), "is the data dir of service a"),
        (shared.join("sub"), "is inside the data dir of service a"),
        (env.root().join("d"), "holds the data dir of service a"),
    ] {
        let want = format!("DEFAULT.docker_data_dir: '{}' {why}", dir.display());
        let out = env
            .om_stdin(&["b", "create", "--config=-"], &ini_on(&dir, ""))
            .code(1);
        assert!(out.stderr.contains(&want), "{}", out.stderr);
        assert!(!env.conf("b").exists());
    }
    create(&env, "b", &ini_on(&other, ""));
    let b = env.read_conf("b");
    let kw = format!("docker_data_dir={}", shared.display());
    let out = env.om(&["b", "set", "--kw", &kw]).code(1);
    assert!(
        out.stderr.contains("is the data dir of service a"),
        "{}",
        out.stderr
    );
    assert_eq!(env.read_conf("b"), b);
    // a hand edit: validate and the start refuse it, naming the other
    let _daemons = Daemons {
        env: &env,
        services: vec![("", "a"), ("", "b")],
    };
    hand_write(
        &env,
        "b",
        &b.replace(&other.display().to_string(), &shared.display().to_string()),
    );
    let out = env.om(&["b", "validate", "config"]).code(1);
    assert!(
        out.stdout.contains("is the data dir of service a"),
        "{}",
        out.stdout
    );
    let out = env.om(&["b", "start"]).code(1);
    assert!(
        out.stderr.contains("docker daemon not started") && out.stderr.contains("service a"),
        "{}",
        out.stderr
    );
    assert_eq!(daemon_pid(&env, "", "b"), None);
    assert!(!shared.exists(), "nothing made");
    // a directory om marked for a service that is gone is no one else's
    std::fs::create_dir_all(&shared).unwrap();
    let marker = shared.join(".om-owner");
    std::fs::write(&marker, format!("{}\n", env.svc_id("a"))).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&marker, std::fs::Permissions::from_mode(0o600)).unwrap();
    // (its config removed by hand: a delete would start its daemon)
    std::fs::remove_file(env.conf("a")).unwrap();
    let out = env.om(&["b", "validate", "config"]).code(1);
    assert!(
        out.stdout
            .contains("was initialised by om for another service"),
        "{}",
        out.stdout
    );
}

#[test]
fn daemon_args_may_not_set_what_om_sets() {
    engine();
    let env = Env::new();
    let data = env.root().join("data");
    let own_socket = socket(&env, "", "f");
    for (args, flag) in [
        ("--group nogroup --data-root=/", "--data-root"),
        ("-g /", "-g"),
        ("-p/tmp/om.pid", "-p"),
        ("--pidfile /tmp/om.pid", "--pidfile"),
        ("--exec-root /run", "--exec-root"),
        ("--config-file=/etc/docker/daemon.json", "--config-file"),
        (
            "--containerd /run/containerd/containerd.sock",
            "--containerd",
        ),
        ("--containerd-namespace=moby", "--containerd-namespace"),
    ] {
        let ini = ini_on(&data, &format!("docker_daemon_args = {args}"));
        let out = env.om_stdin(&["f", "create", "--config=-"], &ini).code(1);
        assert!(
            out.stderr.contains("DEFAULT.docker_daemon_args: '")
                && out
                    .stderr
                    .contains(&format!("sets {flag}, which om sets itself")),
            "{args}: {}",
            out.stderr
        );
        assert!(!env.conf("f").exists());
    }
    for (args, why) in [
        (format!("-H {own_socket}"), "om's socket of this daemon"),
        (
            "-H unix:///var/run/docker.sock".into(),
            "the host engine's socket",
        ),
        ("-H fd://".into(), "only tcp://HOST:PORT or unix:///PATH"),
    ] {
        let ini = ini_on(&data, &format!("docker_daemon_args = {args}"));
        let out = env.om_stdin(&["f", "create", "--config=-"], &ini).code(1);
        assert!(out.stderr.contains(why), "{args}: {}", out.stderr);
    }
    create(&env, "f", &ini_on(&data, ""));
    let id = env.svc_id("f");
    let f = env.read_conf("f");
    let out = env
        .om(&[
            "f",
            "set",
            "--kw",
            "docker_daemon_args=--pidfile=/tmp/x.pid",
        ])
        .code(1);
    assert!(out.stderr.contains("sets --pidfile"), "{}", out.stderr);
    assert_eq!(env.read_conf("f"), f);
    // a hand edit: validate says it, and the start starts nothing
    let _daemons = Daemons {
        env: &env,
        services: vec![("", "f")],
    };
    let pid = env.root().join("elsewhere.pid");
    let ini = ini_on(
        &data,
        &format!("id = {id}\ndocker_daemon_args = -p{}", pid.display()),
    );
    hand_write(&env, "f", &ini);
    let out = env.om(&["f", "validate", "config"]).code(1);
    assert!(
        out.stdout.contains("sets -p, which om sets itself"),
        "{}",
        out.stdout
    );
    let out = env.om(&["f", "start"]).code(1);
    assert!(out.stderr.contains("sets -p"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("starting docker daemon"),
        "{}",
        out.stderr
    );
    assert!(!pid.exists() && !data.exists());
    assert_eq!(daemon_pid(&env, "", "f"), None);
    // an engine open on tcp without client certificates: a warning, at
    // validate and in the start's log
    let ini = ini_on(
        &data,
        &format!("id = {id}\ndocker_daemon_args = -H tcp://127.0.0.1:2375"),
    );
    hand_write(&env, "f", &ini);
    let out = env.om(&["f", "validate", "config"]).ok();
    assert!(
        out.stderr.contains(
            "warning: DEFAULT.docker_daemon_args: -H tcp://127.0.0.1:2375 without --tlsverify"
        ),
        "{}",
        out.stderr
    );
    let out = env.om(&["f", "start", "--dry-run"]).ok();
    assert!(
        out.stderr.contains("without --tlsverify") && out.stderr.contains("starting docker daemon"),
        "{}",
        out.stderr
    );
    assert_eq!(daemon_pid(&env, "", "f"), None);
}

/// A daemon killed while its container runs leaves the container running
/// (containerd's shim holds it) and, in its exec root, containerd's record
/// of that shim. The next action's daemon finds the container again
/// through that record: `stop` stops it, really (its process ends), and
/// the mount the killed daemon left goes once no daemon runs (review of
/// issue 21: clearing the exec root before the new start lost the shims,
/// and the stop said down while the container ran on).
#[test]
fn a_container_left_running_by_a_killed_daemon_is_stopped_by_the_next_stop() {
    engine();
    let env = Env::new();
    let image = registry_image();
    let _daemons = Daemons {
        env: &env,
        services: vec![("t3", "kept")],
    };
    create(&env, "t3/svc/kept", &tenant_ini(&env, &image, ""));
    env.om(&["t3/svc/kept", "start"]).ok();
    let sock = socket(&env, "t3", "kept");
    let pid: i32 = docker_on(
        &sock,
        &[
            "inspect",
            "--format",
            "{{.State.Pid}}",
            "t3..kept.container.1",
        ],
    )
    .trim()
    .parse()
    .expect("the container's pid");
    assert!(!gone(pid));
    let daemon = daemon_pid(&env, "t3", "kept").expect("its daemon runs");
    // SAFETY: kill(2) with plain integers.
    unsafe {
        libc::kill(daemon, libc::SIGKILL);
    }
    wait_gone(daemon);
    assert!(!gone(pid), "the container outlives its killed daemon");
    // never down while it runs: another node's guard would start a second
    // copy (a hostile run of issue 21)
    let status = env.om(&["t3/svc/kept", "print", "status"]).ok();
    assert!(
        status
            .stdout
            .contains("one was killed and may have left containers running")
            && !status.stdout.contains(" down "),
        "{}",
        status.stdout
    );
    let json = env
        .om(&["t3/svc/kept", "print", "status", "--format", "json"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["avail"], "warn", "{}", json.stdout);
    assert_eq!(
        v["resources"][0]["container"]["state"], "orphaned",
        "{}",
        json.stdout
    );
    let out = env.om(&["t3/svc/kept", "stop"]).ok();
    assert!(
        out.stderr.contains("starting docker daemon"),
        "{}",
        out.stderr
    );
    wait_gone(pid);
    assert!(
        gone(pid),
        "the stop stopped the container (pid {pid}): {}",
        out.stderr
    );
    let status = env.om(&["t3/svc/kept", "print", "status"]).ok();
    assert!(status.stdout.contains(" down "), "{}", status.stdout);
    env.om(&["t3/svc/kept", "purge"]).ok();
    assert_eq!(daemon_pid(&env, "t3", "kept"), None);
    assert_eq!(mounts_under(env.root()), Vec::<String>::new());
}

/// A `volume#N` of a service on a private daemon (SPEC 17) lives on that
/// daemon, in its data dir: never on the host's engine; its data outlives
/// a stop (and the daemon's stop), and a purge removes it there.
#[test]
fn a_volume_of_a_service_on_a_private_daemon_lives_on_that_daemon() {
    engine();
    let env = Env::new();
    let _daemons = Daemons {
        env: &env,
        services: vec![("tv", "svc1")],
    };
    let vol = crate::support::unique("pv");
    let ini = format!(
        "{}volume_mounts = {vol}:/data\n[volume#1]\nname = {vol}\n",
        tenant_ini(&env, &registry_image(), "")
    );
    create(&env, "tv/svc/svc1", &ini);
    env.om(&["tv/svc/svc1", "provision"]).ok();
    let sock = socket(&env, "tv", "svc1");
    let labels = docker_on(
        &sock,
        &["volume", "inspect", "--format", "{{json .Labels}}", &vol],
    );
    let id = env.svc_id("tv/svc/svc1");
    assert!(labels.contains(&format!("{id}.volume#1")), "{labels}");
    assert!(
        !docker(&["volume", "inspect", &vol]).status.success(),
        "not on the host's engine"
    );
    let in_data_dir = env.root().join("data/tv/svc1/volumes").join(&vol);
    assert!(in_data_dir.is_dir(), "{}", in_data_dir.display());
    let c1 = "tv..svc1.container.1";
    docker_on(&sock, &["exec", c1, "sh", "-c", "echo kept > /data/f"]);
    let status = |env: &Env| {
        let out = env
            .om(&["tv/svc/svc1", "print", "status", "--format", "json"])
            .ok();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        v["resources"][1].clone()
    };
    let r = status(&env);
    assert_eq!(
        (r["rid"].as_str(), r["status"].as_str()),
        (Some("volume#1"), Some("up")),
        "{r}"
    );
    // the stop of its last container stops the daemon: the volume is
    // down with it (said), its data kept
    env.om(&["tv/svc/svc1", "stop"]).ok();
    assert_eq!(daemon_pid(&env, "tv", "svc1"), None);
    let r = status(&env);
    assert_eq!(r["status"], "down", "{r}");
    assert!(
        r["log"][0]
            .as_str()
            .unwrap_or("")
            .contains("its docker daemon is not running"),
        "{r}"
    );
    assert!(in_data_dir.is_dir());
    env.om(&["tv/svc/svc1", "start"]).ok();
    let sock = socket(&env, "tv", "svc1");
    assert_eq!(
        docker_on(&sock, &["exec", c1, "cat", "/data/f"]).trim(),
        "kept"
    );
    env.om(&["tv/svc/svc1", "purge"]).ok();
    assert_eq!(daemon_pid(&env, "tv", "svc1"), None);
    assert!(!in_data_dir.exists(), "purge removed it on its daemon");
}
