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
        out.stderr.contains("still runs containers"),
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
}

#[test]
fn a_daemon_that_does_not_answer_in_time_is_stopped_and_named() {
    engine();
    let env = Env::new();
    let image = registry_image();
    let _daemons = Daemons {
        env: &env,
        services: vec![("t2", "mute")],
    };
    // a containerd that is not there: dockerd waits on it, never listening
    let extra = format!(
        "docker_daemon_start_timeout = 2s\ndocker_daemon_args = --containerd {}/none.sock",
        env.root().display()
    );
    create(&env, "t2/svc/mute", &tenant_ini(&env, &image, &extra));
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
    let ini =
        "[DEFAULT]\ndocker_data_dir = /srv/d\n[container#1]\ntype = docker\nimage = busybox\n";
    create(&env, "t3/svc/s", ini);
    // a hand edit breaks a daemon keyword: stop still knows the socket
    let conf = conf_of(&env, "t3", "s");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace(
            "docker_data_dir = /srv/d",
            "docker_data_dir = /srv/d\ndocker_daemon_start_timeout = soon",
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
    let ini =
        "[DEFAULT]\ndocker_data_dir = /srv/d\n[container#1]\ntype = docker\nimage = busybox\n";
    let out = env
        .om_stdin(&[&format!("{ns}/svc/{name}"), "create", "--config=-"], ini)
        .code(1);
    assert!(out.stderr.contains("over the 107"), "{}", out.stderr);
}
