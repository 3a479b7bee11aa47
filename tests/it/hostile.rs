//! The classes of the hostile campaign (issue 8), one test or more each:
//! with the fake docker for faults a real engine can not produce on demand
//! (silent or killed queries, a container swapped during a stop, bad ids),
//! on the real engine for the rest (signals during a real start, a renamed
//! container, terminal bytes from a real container, cgroup slices).

use crate::fake_docker::{dies_soon, Fake};
use crate::support::*;
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

const ONE: &str = "[container#1]\ntype = docker\nimage = nginx\n";

fn fake_state(fake: &Fake) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&fake.state).unwrap()).unwrap()
}

fn om_in(env: &Env, name: &str, args: &[&str]) -> Out {
    let mut a = vec![name];
    a.extend_from_slice(args);
    env.om(&a)
}

// 1. A failed or empty query is never "no container".
#[test]
fn a_silent_or_killed_query_deletes_nothing() {
    // the list silent and the names silent or killed, or the list killed
    let cases: [&[(&str, &str)]; 3] = [
        &[("FAKE_DOCKER_EMPTY", "ps,inspect")],
        &[
            ("FAKE_DOCKER_EMPTY", "ps"),
            ("FAKE_DOCKER_KILLED", "inspect"),
        ],
        &[("FAKE_DOCKER_KILLED", "ps")],
    ];
    for faults in cases {
        let mut fake = Fake::new();
        let name = unique("q");
        create(&fake.env, &name, ONE);
        fake.with_container(&name, true);
        for (var, verbs) in faults {
            fake.env.vars.push((var.to_string(), verbs.to_string()));
        }
        for args in [&["purge"][..], &["delete"], &["stop"], &["unprovision"]] {
            let out = om_in(&fake.env, &name, args);
            assert_eq!(out.code, 1, "{faults:?} {args:?}: {}", out.stderr);
            assert!(!out.stderr.contains("already stopped"), "{}", out.stderr);
            assert!(
                fake.env.conf(&name).exists(),
                "{faults:?} {args:?}: config deleted"
            );
        }
        let c = format!("{name}.container.1");
        assert_eq!(fake_state(&fake)[&c]["Running"], true, "{faults:?}");
        // status can not tell: 4, with the reason
        let out = om_in(&fake.env, &name, &["status"]).code(4);
        assert!(out.stderr.starts_with("om: "), "{}", out.stderr);
    }
}

// 2. The lock excludes a waiting action through delete and purge, and goes.
#[test]
fn an_action_waiting_on_a_purge_finds_the_service_gone() {
    let mut fake = Fake::new();
    let name = unique("lk");
    create(&fake.env, &name, ONE);
    fake.with_container(&name, true);
    fake.env
        .vars
        .push(("FAKE_DOCKER_DELAY".into(), "stop:2".into()));
    let mut purge = fake.env.std_cmd(&[&name, "purge"]).spawn().unwrap();
    // the purge holds the lock, in its docker stop (2 s)
    wait_for("the purge's docker stop", Duration::from_secs(20), || {
        fake.calls().iter().any(|c| c[0] == "stop")
    });
    let start = om_in(&fake.env, &name, &["start"]);
    let purged = purge.wait().unwrap();
    assert!(purged.success());
    assert_eq!(start.code, 1, "{}", start.stderr);
    assert!(
        start
            .stderr
            .contains(&format!("service {name} does not exist")),
        "{}",
        start.stderr
    );
    assert!(
        !fake
            .calls()
            .iter()
            .any(|c| c[0] == "run" || c[0] == "start"),
        "{:?}",
        fake.calls()
    );
    // the lock excluded the start while the purge ran, then went with
    // the service (the start's own lock too)
    let state = fake.env.root().join(format!("var/svc/{name}"));
    assert!(!state.exists(), "{} left behind", state.display());
}

// 3. `docker rm NAME` re-checks that NAME is still the verified container.
#[test]
fn a_container_that_took_the_name_during_the_stop_is_not_removed() {
    let mut fake = Fake::new();
    let name = unique("sw");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nrm = true\n",
    );
    fake.with_container(&name, true);
    fake.env
        .vars
        .push(("FAKE_DOCKER_SWAP_ON_STOP".into(), "1".into()));
    let out = om_in(&fake.env, &name, &["stop"]).code(1);
    assert!(out.stderr.contains("not removed"), "{}", out.stderr);
    assert!(
        !fake.calls().iter().any(|c| c[0] == "rm"),
        "{:?}",
        fake.calls()
    );
    let c = format!("{name}.container.1");
    assert_eq!(
        fake_state(&fake)[&c]["Labels"]["com.opensvc.id"],
        "someone.else"
    );
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o777
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(e.path());
        if e.file_type().unwrap().is_dir() {
            walk(&e.path(), out);
        }
    }
}

// 4. Files that may hold values are 0600 in 0700 directories.
#[test]
fn files_holding_values_are_private() {
    let fake = Fake::new();
    let name = unique("md");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nenvironment = DB_PASSWORD=hunter2\n",
    );
    om_in(&fake.env, &name, &["start"]).ok();
    let log = fake.env.root().join(format!("log/{name}.log"));
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("DB_PASSWORD"));
    let mut all = Vec::new();
    for top in ["etc", "var", "log"] {
        let p = fake.env.root().join(top);
        all.push(p.clone());
        walk(&p, &mut all);
    }
    assert!(all.len() >= 7, "{all:?}");
    for p in &all {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(p), want, "{}", p.display());
    }
    // a log, its directory and the state directory an older om left open
    // are narrowed at the next action
    let state = fake.env.root().join(format!("var/svc/{name}"));
    let open =
        |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    open(&log, 0o644);
    open(log.parent().unwrap(), 0o755);
    open(&state, 0o755);
    om_in(&fake.env, &name, &["stop"]).ok();
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(log.parent().unwrap()), 0o700);
    assert_eq!(mode(&state), 0o700);
}

// 5. Temp files: unpredictable, exclusive, never through a symlink; stale
// ones of dead writers go at the next write.
#[test]
fn planted_symlinks_and_killed_writers_leave_no_trace() {
    let env = Env::new();
    let name = unique("tm");
    create(&env, &name, ONE);
    let etc = env.root().join("etc");
    let victim = env.root().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // the old predictable names, for the pids the next commands may get
    let base = std::process::id();
    for pid in base..base + 300 {
        let _ = std::os::unix::fs::symlink(&victim, etc.join(format!(".{name}.conf.{pid}.tmp")));
    }
    // and the log
    std::fs::create_dir_all(env.root().join("log")).unwrap();
    std::os::unix::fs::symlink(&victim, env.root().join(format!("log/{name}.log"))).unwrap();
    env.om(&[&name, "set", "--kw", "container#1.rm=true"]).ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(env.read_conf(&name).contains("rm = true"));
    // writers killed before their rename: the next write removes their temps
    for i in 0..20u64 {
        let mut child = env
            .std_cmd(&[&name, "set", "--kw", &format!("container#1.tags=t{i}")])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(i % 7));
        let _ = child.kill();
        let _ = child.wait();
    }
    let stale = etc.join(format!(".{name}.conf.2147483647.0123abcd.tmp"));
    std::fs::write(&stale, "x").unwrap();
    env.om(&[&name, "set", "--kw", "container#1.tags=done"])
        .ok();
    let temps: Vec<String> = std::fs::read_dir(&etc)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && !is_symlink(&etc.join(n)))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// Create fails with one `om:` line containing `want`, writing nothing.
#[track_caller]
fn refused(env: &Env, ini: &str, want: &str) {
    let name = unique("bad");
    let out = env.om_stdin(&[&name, "create", "--config=-"], ini).code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains(want), "{want}: {}", out.stderr);
    assert!(!env.conf(&name).exists());
}

// 6, 7, 15. Operands are checked against docker's grammar.
#[test]
fn operands_docker_would_misread_are_config_errors() {
    let env = Env::new();
    refused(
        &env,
        "[container#1]\ntype = docker\nimage = nginx\nsubset = ../../../../../escape\n",
        "container#1.subset: '../../../../../escape' is not a subset name",
    );
    refused(
        &env,
        "[container#1]\ntype = docker\nimage = --privileged\ncommand = om-test/busybox sleep 600\n",
        "container#1.image: '--privileged' is not a docker image reference",
    );
    refused(
        &env,
        "[container#1]\ntype = docker\nimage = nginx\nname = --help\n",
        "container#1.name: '--help' is not a docker container name",
    );
    refused(
        &env,
        "[container#1]\ntype = docker\nimage = nginx\nnetns = --privileged\n",
        "container#1.netns",
    );
    refused(
        &env,
        "[container#1]\ntype = docker\nimage = nginx\nuser = -u0\n",
        "container#1.user",
    );
    refused(
        &env,
        "[container#1]\ntype = docker\nimage = nginx\nenvironment = a=1 NOEQ\n",
        "container#1.environment: 'NOEQ' is not KEY=VALUE",
    );
    refused(
        &env,
        "[subset#container:../x]\nparallel = true\n[container#1]\ntype = docker\nimage = nginx\n",
        "subset#container:../x",
    );
    let name = unique("bad");
    let out = env
        .om(&[
            &name,
            "create",
            "--kw",
            "container#1.type=docker",
            "--kw",
            "container#1.image=nginx\nx",
        ])
        .code(1);
    assert!(out.stderr.contains("container#1.image"), "{}", out.stderr);
}

// 7. A hand-edited bad name breaks its own service only, named.
#[test]
fn a_bad_name_in_one_config_spares_its_neighbours() {
    let fake = Fake::new();
    let prefix = unique("nb");
    let (a, b) = (format!("{prefix}a"), format!("{prefix}b"));
    create(&fake.env, &a, ONE);
    create(&fake.env, &b, ONE);
    let text = fake.env.read_conf(&b) + "name = --help\n";
    std::fs::write(fake.env.conf(&b), text).unwrap();
    let out = fake
        .env
        .om(&[&format!("{prefix}*"), "print", "status"])
        .code(1);
    assert!(out.stdout.starts_with(&a), "{}", out.stdout);
    assert!(
        out.stderr.contains(&b) && out.stderr.contains("container#1.name"),
        "{}",
        out.stderr
    );
    assert!(
        fake.calls().iter().flatten().all(|w| w != "--help"),
        "{:?}",
        fake.calls()
    );
}

// 8. An id docker would never print is unreadable output, not a panic.
#[test]
fn a_non_ascii_container_id_is_an_error_not_a_panic() {
    let mut fake = Fake::new();
    let name = unique("id");
    create(&fake.env, &name, ONE);
    fake.env.vars.push(("FAKE_DOCKER_BADID".into(), "1".into()));
    for args in [&["print", "status"][..], &["stop"], &["start"]] {
        let out = om_in(&fake.env, &name, args).code(1);
        assert!(
            out.stderr.contains("unreadable docker inspect output"),
            "{args:?}: {}",
            out.stderr
        );
    }
    om_in(&fake.env, &name, &["status"]).code(4);
}

// 12. status: 4 when om can not tell, with the reason.
#[test]
fn status_says_4_when_it_can_not_tell() {
    let mut fake = Fake::new();
    let name = unique("st");
    create(&fake.env, &name, ONE);
    om_in(&fake.env, &name, &["status"]).code(1);
    let out = om_in(&fake.env, "nosuch", &["status"]).code(4);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    fake.env
        .vars
        .push(("FAKE_DOCKER_FAIL".into(), "inspect".into()));
    let out = om_in(&fake.env, &name, &["status"]).code(4);
    assert!(out.stderr.contains("fake failure"), "{}", out.stderr);
    fake.env.vars.pop();
    std::fs::write(fake.env.conf(&name), "[container#1\n").unwrap();
    let out = om_in(&fake.env, &name, &["status"]).code(4);
    assert!(out.stderr.contains("bad section header"), "{}", out.stderr);
    // the environment om can not use
    let mut bad_env = Env::new();
    bad_env.vars.push(("OSVC_ROOT_PATH".into(), String::new()));
    om_in(&bad_env, &name, &["status"]).code(4);
    // the real docker CLI, pointed at no engine
    let mut env = Env::new();
    create(&env, &name, ONE);
    env.vars.push((
        "DOCKER_HOST".into(),
        "unix:///nonexistent/docker.sock".into(),
    ));
    let out = om_in(&env, &name, &["status"]).code(4);
    assert!(
        out.stderr.contains("docker engine unreachable"),
        "{}",
        out.stderr
    );
}

// 14. A hand-added unknown keyword blocks nothing but create/set/validate.
#[test]
fn an_unknown_keyword_warns_and_lets_actions_run() {
    let fake = Fake::new();
    let name = unique("uk");
    create(&fake.env, &name, ONE);
    fake.with_container(&name, true);
    let text = fake.env.read_conf(&name) + "nosuch = 1\n";
    std::fs::write(fake.env.conf(&name), &text).unwrap();
    let warning = "warning: container#1.nosuch: unknown keyword";
    let out = om_in(&fake.env, &name, &["print", "status"]).ok();
    assert!(out.stderr.contains(warning), "{}", out.stderr);
    let out = om_in(&fake.env, &name, &["stop"]).ok();
    assert!(out.stderr.contains(warning), "{}", out.stderr);
    om_in(&fake.env, &name, &["status"]).code(1);
    om_in(&fake.env, &name, &["docker", "ps"]).ok();
    om_in(&fake.env, &name, &["validate", "config"]).code(1);
    let out = om_in(&fake.env, &name, &["set", "--kw", "container#1.rm=true"]).code(1);
    assert!(out.stderr.contains("unknown keyword"), "{}", out.stderr);
    assert_eq!(fake.env.read_conf(&name), text);
    // unset is how the operator removes it
    om_in(&fake.env, &name, &["unset", "--kw", "container#1.nosuch"]).ok();
    om_in(&fake.env, &name, &["validate", "config"]).ok();
}

// 14. stop works on a config that no longer validates.
#[test]
fn stop_works_on_a_config_that_does_not_validate() {
    let fake = Fake::new();
    let name = unique("nv");
    create(&fake.env, &name, ONE);
    fake.with_container(&name, true);
    let text = fake
        .env
        .read_conf(&name)
        .replace("image = nginx", "image = {nope}");
    std::fs::write(fake.env.conf(&name), text).unwrap();
    om_in(&fake.env, &name, &["start"]).code(1);
    let out = om_in(&fake.env, &name, &["stop"]).ok();
    assert!(out.stderr.contains("{nope}"), "{}", out.stderr);
    let c = format!("{name}.container.1");
    assert_eq!(fake_state(&fake)[&c]["Running"], false);
}

// 17. The smaller ones.
#[test]
fn smaller_ones() {
    let env = Env::new();
    let name = unique("sm");
    create(&env, &name, ONE);
    // exit codes follow the error's kind: a bad --kw or --rid is usage
    env.om(&[&unique("x"), "create", "--kw", "novalue"]).code(2);
    env.om(&[&name, "set", "--kw", "novalue"]).code(2);
    env.om(&[&name, "start", "--rid", "container#9"]).code(2);
    env.om(&[&name, "enter", "--rid", "container#9"]).code(2);
    // an editor that is not there is not a docker problem
    let mut ed = Env::new();
    create(&ed, &name, ONE);
    ed.vars.push(("EDITOR".into(), "/nonexistent/ed".into()));
    let out = ed.om(&[&name, "edit", "config"]).code(1);
    assert!(out.stderr.contains("/nonexistent/ed: command not found"));
    assert!(!out.stderr.contains("docker"), "{}", out.stderr);
    // a directory or a FIFO where the config should be
    let dir_svc = unique("dir");
    std::fs::create_dir_all(env.conf(&dir_svc)).unwrap();
    let source = env.root().join("source.conf");
    std::fs::write(&source, "[container#1]\ntype = docker\nimage = nginx\n").unwrap();
    let from = format!("--config={}", source.display());
    for args in [
        &["print", "config"][..],
        &["create", "--force", &from],
        &["status"],
    ] {
        let out = om_in(&env, &dir_svc, args);
        assert_ne!(out.code, 0);
        assert!(
            out.stderr.contains("is a directory"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let fifo_svc = unique("fifo");
    let fifo = env.conf(&fifo_svc);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let t = Instant::now();
    let out = om_in(&env, &fifo_svc, &["create", "--force", &from]).code(1);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    om_in(&env, &fifo_svc, &["print", "config"]).code(1);
    assert!(t.elapsed() < Duration::from_secs(10));
    // an empty OSVC_ROOT_PATH is not /etc/opensvc
    let mut empty = Env::new();
    empty.vars.push(("OSVC_ROOT_PATH".into(), String::new()));
    let out = empty.om(&["ls"]).code(2);
    assert!(out.stderr.contains("OSVC_ROOT_PATH"), "{}", out.stderr);
}

// 17. A stop that failed leaves the service "started".
#[test]
fn a_failed_stop_keeps_the_started_expectation() {
    let mut fake = Fake::new();
    let name = unique("fs");
    create(&fake.env, &name, ONE);
    fake.with_container(&name, false);
    om_in(&fake.env, &name, &["start"]).ok();
    fake.env
        .vars
        .push(("OM_DOCKER_TIMEOUT".into(), "1s".into()));
    fake.env
        .vars
        .push(("FAKE_DOCKER_HANG".into(), "stop".into()));
    let text = fake.env.read_conf(&name) + "stop_timeout = 0\n";
    std::fs::write(fake.env.conf(&name), text).unwrap();
    om_in(&fake.env, &name, &["stop"]).code(1);
    let out = om_in(&fake.env, &name, &["print", "status"]).ok();
    assert!(out.stdout.contains("idle, started"), "{}", out.stdout);
}

// --- on the real engine ---

const SECS_30: Duration = Duration::from_secs(30);

/// A container whose health stays `starting` for a minute: a start waits
/// for it to be operational until its start_timeout.
fn slow_health(start_timeout: &str) -> String {
    format!(
        "[container#1]\ntype = docker\nimage = om-test/busybox\nstart_timeout = {start_timeout}\n\
         run_args = --health-cmd true --health-interval 60s --health-start-period 60s\n"
    )
}

fn running(name: &str) -> bool {
    inspect(name).is_some_and(|v| v["State"]["Running"] == true)
}

// 11. SIGINT and SIGTERM during "wait for container operational".
#[test]
fn a_signal_during_a_real_start_rolls_it_back() {
    engine();
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let env = Env::new();
        let name = unique("sig");
        let c = format!("{name}.container.1");
        let _cleanup = Cleanup(vec![c.clone()]);
        create(&env, &name, &slow_health("60s"));
        let log = env.root().join(format!("log/{name}.log"));
        let child = env
            .std_cmd(&[&name, "start"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_for("wait for container operational", SECS_30, || {
            std::fs::read_to_string(&log)
                .is_ok_and(|l| l.contains("wait for container operational"))
        });
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains(&format!("E interrupted by signal {sig}")),
            "{text}"
        );
        assert!(text.contains("rollback"), "{text}");
        assert!(!running(&c), "the interrupted start left {c} running");
        // the lock is free
        env.om(&[&name, "stop", "--waitlock", "0"]).ok();
        env.om(&[&name, "purge"]).ok();
    }
}

// 11. After a SIGKILL (not catchable) the next start sees the truth.
#[test]
fn after_a_sigkill_the_next_start_finishes_or_rolls_back() {
    engine();
    let env = Env::new();
    let name = unique("kil");
    let c = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c.clone()]);
    create(&env, &name, &slow_health("60s"));
    let log = env.root().join(format!("log/{name}.log"));
    let mut child = env.std_cmd(&[&name, "start"]).spawn().unwrap();
    wait_for("wait for container operational", SECS_30, || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("wait for container operational"))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(running(&c));
    env.om(&[&name, "set", "--kw", "container#1.start_timeout=2s"])
        .ok();
    let out = env.om(&[&name, "start"]).code(1);
    assert!(!out.stderr.contains("already started"), "{}", out.stderr);
    assert!(
        out.stderr.contains("running but not operational yet"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("not healthy after 2s"),
        "{}",
        out.stderr
    );
    assert!(!running(&c), "the unfinished start was not rolled back");
    let st = env.om(&[&name, "print", "status"]).ok();
    assert!(!st.stdout.contains("started"), "{}", st.stdout);
    env.om(&[&name, "purge"]).ok();
}

// 13. Terminal bytes from a real container are escaped everywhere.
#[test]
fn terminal_bytes_from_a_real_container_are_escaped() {
    engine();
    let env = Env::new();
    let name = unique("esc");
    let c = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c.clone()]);
    create(
        &env,
        &name,
        // a health check that never runs before the exit: om waits for
        // healthy, so it sees the exit whatever the machine's load (without
        // one, an inspect before the shell ran reads "running")
        "[container#1]\ntype = docker\nimage = om-test/busybox\n\
         command = /bin/sh -c \"printf '\\\\033]0;TITLE\\\\007\\\\033[31mred\\\\r\\\\n'; exit 3\"\n\
         run_args = --health-cmd true --health-interval 60s --health-start-period 60s\n",
    );
    let out = env.om(&[&name, "start"]).code(1);
    let log = std::fs::read_to_string(env.root().join(format!("log/{name}.log"))).unwrap();
    let logs = env.om(&[&name, "logs"]).ok().stdout;
    for (what, text) in [("stderr", &out.stderr), ("log", &log), ("om logs", &logs)] {
        assert!(text.contains("exited with code 3"), "{what}: {text}");
        assert!(
            !text.contains('\x1b') && !text.contains('\r') && !text.contains('\x07'),
            "{what}: raw control bytes"
        );
        assert!(text.contains("\\e]0;TITLE"), "{what}: {text}");
    }
    env.om(&[&name, "purge"]).ok();
}

// 16. No cgroup slice is left behind.
#[test]
fn purge_removes_the_service_cgroup_slices() {
    engine();
    let env = Env::new();
    let name = unique("cg");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n",
    );
    env.om(&[&name, "start"]).ok();
    let driver = docker(&["info", "--format", "{{.CgroupDriver}}"]);
    let systemd = String::from_utf8_lossy(&driver.stdout).trim() == "systemd";
    let slices = || -> Vec<String> {
        // systemd: the resource's own unit (the levels above may be shared)
        let rel = if systemd {
            format!("opensvc.slice/opensvc-{name}.slice/opensvc-{name}-container.slice/opensvc-{name}-container-container.1.slice")
        } else {
            format!("opensvc.slice/{name}.slice")
        };
        let mut bases = vec![Path::new("/sys/fs/cgroup").to_path_buf()];
        if let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") {
            bases.extend(entries.flatten().map(|e| e.path()));
        }
        bases
            .iter()
            .map(|b| b.join(&rel))
            .filter(|p| p.is_dir())
            .map(|p| p.display().to_string())
            .collect()
    };
    assert!(
        !slices().is_empty(),
        "docker made no slice under opensvc.slice"
    );
    env.om(&[&name, "purge"]).ok();
    assert_eq!(slices(), Vec::<String>::new());
}

// 17. A container renamed behind om's back is still found by its label.
#[test]
fn a_renamed_container_is_never_lost() {
    engine();
    let env = Env::new();
    let name = unique("rn");
    let c = format!("{name}.container.1");
    let moved = format!("{name}-moved");
    let _cleanup = Cleanup(vec![c.clone(), moved.clone()]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n",
    );
    env.om(&[&name, "start"]).ok();
    assert!(docker(&["rename", &c, &moved]).status.success());
    // found by its label: started as it is (by its id), never a second one
    // under the name (a hostile run of issue 21: restart stopped it, then
    // refused to start it, and the service was down)
    let out = env.om(&[&name, "start"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "was renamed {moved} behind om's back: started as it is"
        )),
        "{}",
        out.stderr
    );
    assert!(inspect(&c).is_none(), "a second container was created");
    assert!(running(&moved), "the start stopped the renamed container");
    let out = env.om(&[&name, "restart"]).ok();
    assert!(inspect(&c).is_none(), "{}", out.stderr);
    assert!(running(&moved), "restart left it stopped: {}", out.stderr);
    let out = env.om(&[&name, "delete"]).code(1);
    assert!(out.stderr.contains(&moved), "{}", out.stderr);
    env.om(&[&name, "purge"]).ok();
    assert!(
        inspect(&moved).is_none(),
        "purge left the renamed container"
    );
    assert!(!env.conf(&name).exists());
}

// 17b (issue 21). Status finds a container the way actions do: a running
// container renamed behind om's back is up, with a warning naming its
// name, in text and JSON; stop finds it too.
#[test]
fn a_renamed_running_container_is_up_with_a_warning_in_status() {
    engine();
    let env = Env::new();
    let name = unique("rs");
    let c = format!("{name}.container.1");
    let moved = format!("{name}-moved");
    let _cleanup = Cleanup(vec![c.clone(), moved.clone()]);
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = om-test/busybox\ncommand = sh -c \"{LOOP}\"\n"
        ),
    );
    env.om(&[&name, "start"]).ok();
    assert!(docker(&["rename", &c, &moved]).status.success());
    let warning = format!("warn: renamed behind om's back: {moved}");
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(st.lines().next().unwrap().ends_with(" up"), "{st}");
    let line = st
        .lines()
        .find(|l| l.contains("container#1"))
        .unwrap_or_else(|| panic!("{st}"));
    assert!(line.contains(" up ") && !line.contains(".P."), "{st}");
    assert!(st.contains(&warning), "{st}");
    // the exit code of status says up
    env.om(&[&name, "status"]).ok();
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["avail"], "up", "{}", out.stdout);
    let r = &v["instances"][0]["resources"][0];
    assert_eq!(r["status"], "up", "{}", out.stdout);
    assert_eq!(r["provisioned"], true, "{}", out.stdout);
    assert_eq!(r["container"]["name"], moved.as_str(), "{}", out.stdout);
    assert_eq!(r["container"]["state"], "running", "{}", out.stdout);
    assert!(
        r["log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str() == Some(warning.as_str())),
        "{}",
        out.stdout
    );
    // stop finds it by its label, and status then says down, still provisioned
    env.om(&[&name, "stop"]).ok();
    assert!(!running(&moved), "stop left the renamed container running");
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["avail"], "down", "{}", out.stdout);
    assert_eq!(v["resources"][0]["provisioned"], true, "{}", out.stdout);
    env.om(&[&name, "purge"]).ok();
    assert!(
        inspect(&moved).is_none(),
        "purge left the renamed container"
    );
}

// 11. A second signal ends om at once, and the docker call with it.
#[test]
fn a_second_signal_ends_om_and_its_docker_call() {
    let mut fake = Fake::new();
    let name = unique("s2");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n[container#2]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, false);
    let pids = fake.env.root().join("pids");
    for (k, v) in [
        ("FAKE_DOCKER_HANG", "run".to_string()),
        ("FAKE_DOCKER_DELAY", "stop:60".to_string()),
        ("FAKE_DOCKER_PIDS", pids.display().to_string()),
    ] {
        fake.env.vars.push((k.into(), v));
    }
    let log = fake.env.root().join(format!("log/{name}.log"));
    let child = fake
        .env
        .std_cmd(&[&name, "start"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    // container#1 started, container#2's docker run hangs: interrupt it
    wait_for("docker run", SECS_30, || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("docker run -d"))
    });
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    // the rollback's docker stop runs for a minute: a second SIGTERM
    wait_for("the rollback's docker stop", SECS_30, || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("docker stop"))
    });
    // and it runs: every docker process started so far noted its pid
    wait_for("the docker stop process", SECS_30, || {
        let started = std::fs::read_to_string(&pids).unwrap_or_default();
        let calls = fake.calls();
        calls.iter().any(|c| c[0] == "stop") && started.lines().count() >= calls.len()
    });
    let t = Instant::now();
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert!(t.elapsed() < Duration::from_secs(5));
    // every docker process it started is gone with it
    let started = std::fs::read_to_string(&pids).unwrap();
    assert!(started.lines().count() >= 3, "{started}");
    for p in started.lines() {
        assert!(dies_soon(p), "docker process {p} outlived om");
    }
}

// 1, 17. A foreign container whose label holds a newline hides nothing.
#[test]
fn a_foreign_label_with_control_characters_breaks_nothing() {
    engine();
    let env = Env::new();
    let name = unique("fl");
    let foreign = format!("{name}-foreign");
    let _cleanup = Cleanup(vec![format!("{name}.container.1"), foreign.clone()]);
    let made = docker(&[
        "run",
        "-d",
        "--name",
        &foreign,
        "--label",
        "com.opensvc.id=a\nb\tc",
        "--net=none",
        "om-test/busybox",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n",
    );
    env.om(&[&name, "start"]).ok();
    env.om(&[&name, "stop"]).ok();
    env.om(&[&name, "purge"]).ok();
    assert!(running(&foreign));
}

// 17. delete --rid never hands docker a name it would read as an option.
#[test]
fn delete_rid_checks_the_raw_name() {
    let fake = Fake::new();
    let name = unique("dr");
    create(&fake.env, &name, ONE);
    let text = fake.env.read_conf(&name) + "name = --help\n";
    std::fs::write(fake.env.conf(&name), &text).unwrap();
    let out = om_in(&fake.env, &name, &["delete", "--rid", "container#1"]).code(1);
    assert!(out.stderr.contains("container#1.name"), "{}", out.stderr);
    assert_eq!(fake.env.read_conf(&name), text);
    assert!(fake.calls().iter().flatten().all(|w| w != "--help"));
}
