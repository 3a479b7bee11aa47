//! The exact docker calls of an action, and faults a real engine can not
//! produce on demand, with a fake `docker` first in PATH.

use crate::support::*;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

pub struct Fake {
    pub env: Env,
    pub log: std::path::PathBuf,
    pub state: std::path::PathBuf,
}

impl Fake {
    pub fn new() -> Fake {
        let mut env = Env::new();
        let bin = env.root().join("fakebin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = bin.join("docker");
        std::fs::write(&script, include_str!("fake_docker.py")).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let log = env.root().join("docker.log");
        let state = env.root().join("docker.json");
        env.path_prefix = Some(bin);
        env.vars
            .push(("FAKE_DOCKER_LOG".into(), log.display().to_string()));
        env.vars
            .push(("FAKE_DOCKER_STATE".into(), state.display().to_string()));
        Fake { env, log, state }
    }

    /// A container of `svc`'s container#1 in the fake engine.
    pub fn with_container(&self, svc: &str, running: bool) -> String {
        let id = self.env.svc_id(svc);
        let cid = "3c9bc5d7a09a".to_string() + &"0".repeat(52);
        let state = json!({
            format!("{svc}.container.1"): {
                "Id": cid,
                "Running": running,
                "Image": "nginx",
                "Labels": {"com.opensvc.id": format!("{id}.container#1")}
            }
        });
        std::fs::write(&self.state, state.to_string()).unwrap();
        let _ = std::fs::remove_file(&self.log);
        cid
    }

    pub fn calls(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect()
            })
            .collect()
    }
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The one `docker ps -a` that lists every container of the engine.
fn ps() -> Vec<String> {
    argv(&[
        "ps",
        "-a",
        "--no-trunc",
        "--format",
        "{{.ID}}\t{{.Names}}\t{{json .Image}}\t{{.State}}\t{{json .Status}}\t{{json (.Label \"com.opensvc.id\")}}\t{{json (.Label \"com.opensvc.config\")}}",
    ])
}

#[test]
fn restart_with_rm_removes_and_runs_anew() {
    let fake = Fake::new();
    let name = unique("fk");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nrm = true\n",
    );
    let cid = fake.with_container(&name, true);
    let id = fake.env.svc_id(&name);
    fake.env.om(&[&name, "restart"]).ok();
    let c = format!("{name}.container.1");
    let inspect = argv(&["container", "inspect", &c]);
    let mut run = argv(&["run", "-d", &format!("--name={c}")]);
    run.extend(
        [
            format!("com.opensvc.id={id}.container#1"),
            format!("com.opensvc.path={name}"),
            "com.opensvc.namespace=root".into(),
            format!("com.opensvc.name={name}"),
            "com.opensvc.kind=svc".into(),
            "com.opensvc.rid=container#1".into(),
        ]
        .map(|l| format!("--label={l}")),
    );
    let calls = fake.calls();
    // the config label: a hash of the rest of the run line (unit-tested)
    let config = calls
        .iter()
        .flatten()
        .find_map(|w| w.strip_prefix("--label=com.opensvc.config="))
        .expect("a config label");
    assert!(config.len() == 16 && config.bytes().all(|b| b.is_ascii_hexdigit()));
    run.push(format!("--label=com.opensvc.config={config}"));
    run.extend(argv(&[
        "--net=none",
        "--cgroup-parent",
        &format!("/opensvc.slice/{name}.slice/container.slice/container.1.slice"),
        "nginx",
    ]));
    // wait for up status follows the id `docker run -d` printed
    let new_id = fake_state_id(&fake, &c);
    assert_ne!(new_id, cid);
    assert_eq!(
        calls,
        [
            ps(),
            argv(&["stop", &cid]),
            // the name still is the container om stopped
            inspect.clone(),
            argv(&["rm", &c]),
            // wait for down status: docker stop's own exit, no query
            ps(),
            // not in the list: docker says it is gone
            inspect.clone(),
            argv(&["image", "inspect", "--format", "{{.Id}}", "nginx"]),
            argv(&["info", "--format", "{{.CgroupDriver}}"]),
            run,
            argv(&["container", "inspect", &new_id]),
        ]
    );
}

/// The id the fake engine gave the container named `name`.
fn fake_state_id(fake: &Fake, name: &str) -> String {
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&fake.state).unwrap()).unwrap();
    state[name]["Id"].as_str().unwrap().to_string()
}

#[test]
fn a_failing_docker_start_fails_the_action() {
    let mut fake = Fake::new();
    let name = unique("fk");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    let cid = fake.with_container(&name, false);
    fake.env
        .vars
        .push(("FAKE_DOCKER_FAIL".into(), "start".into()));
    let out = fake.env.om(&[&name, "start"]).code(1);
    assert_eq!(
        fake.calls(),
        [
            ps(),
            argv(&["start", &cid]),
            // rollback looks whether the failed container was left running
            ps(),
        ]
    );
    let prefix = format!("{NODE}.{name}.container#1");
    let lines = out.stderr_lines();
    assert_eq!(lines[0], format!("{prefix}   docker start {cid}"));
    assert_eq!(
        lines[1],
        format!("{prefix} E Error response from daemon: fake failure of docker start")
    );
    assert!(
        lines[2].starts_with(&format!("{prefix} E docker start failed")),
        "{}",
        lines[2]
    );
    assert_eq!(lines.len(), 3, "{}", out.stderr);
    // the expectation is not "started"
    let status = fake.env.om(&[&name, "print", "status"]).ok();
    assert!(status.stdout.contains(" idle\n"), "{}", status.stdout);
}

/// With no DOCKER_HOST, no context and OM_DOCKER unset, the container
/// list is asked on docker's default socket: status needs no CLI run (a
/// PATH without docker shows it). Needs the real engine there.
#[test]
fn the_list_is_asked_on_the_engine_s_socket_without_a_cli_run() {
    crate::support::engine();
    if std::env::var_os("DOCKER_HOST").is_some() {
        return; // this run names another engine: the CLI's rule applies
    }
    let mut env = Env::new();
    let name = unique("fk");
    create(&env, &name, "[container#1]\ntype = docker\nimage = nginx\n");
    let empty = env.root().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    env.vars.push(("PATH".into(), empty.display().to_string()));
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    assert!(out.stdout.contains("\"avail\""), "{}", out.stdout);
    // a context chosen: the CLI's to say, and there is none
    env.vars.push(("DOCKER_CONTEXT".into(), "elsewhere".into()));
    let out = env.om(&[&name, "print", "status"]).code(1);
    assert!(
        out.stderr.contains("docker: command not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_docker_cli_is_a_clear_error() {
    let mut env = Env::new();
    let name = unique("fk");
    create(&env, &name, "[container#1]\ntype = docker\nimage = nginx\n");
    let empty = env.root().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    env.vars.push(("PATH".into(), empty.display().to_string()));
    // every query through the CLI (the container list too, which om
    // asks on the engine's socket otherwise)
    env.vars.push(("OM_DOCKER".into(), "docker".into()));
    let out = env.om(&[&name, "print", "status"]).code(1);
    assert_eq!(
        out.stderr,
        "om: docker: command not found (is the docker CLI installed and in PATH?)\n"
    );
}

#[test]
fn status_is_one_docker_call_whatever_the_number_of_services() {
    let fake = Fake::new();
    let mut two = String::new();
    for i in 1..=2 {
        two.push_str(&format!(
            "[container#{i}]\ntype = docker\nimage = nginx\n\n"
        ));
    }
    let mut names: Vec<String> = (0..3).map(|_| unique("cnt")).collect();
    // om lists services in path order
    names.sort();
    for n in &names {
        create(&fake.env, n, &two);
    }
    fake.with_container(&names[0], true);
    fake.env.om(&["cnt*", "print", "status"]).ok();
    fake.env
        .om(&["cnt*", "print", "status", "--format", "json"])
        .ok();
    fake.env.om(&["cnt*", "status"]).code(2);
    let calls = fake.calls();
    // one `docker ps -a` each, whatever the number of services: the list
    // has containers, so it is docker's answer for the absent names too
    assert_eq!(calls, [ps(), ps(), ps()]);
}

#[test]
fn a_hung_docker_is_killed_at_its_bound() {
    let mut fake = Fake::new();
    let name = unique("hg");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nstop_timeout = 0\n",
    );
    let cid = fake.with_container(&name, true);
    fake.env
        .vars
        .push(("OM_DOCKER_TIMEOUT".into(), "1s".into()));
    fake.env.vars.push(("FAKE_DOCKER_HANG".into(), "ps".into()));
    let t = std::time::Instant::now();
    let out = fake.env.om(&[&name, "print", "status"]).code(1);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        out.stderr
            .starts_with("om: docker ps -a --no-trunc --format ")
            && out.stderr.ends_with(": no answer within 1s, killed\n"),
        "{}",
        out.stderr
    );
    fake.env.vars.pop();
    fake.env
        .vars
        .push(("FAKE_DOCKER_HANG".into(), "stop".into()));
    let t = std::time::Instant::now();
    let out = fake.env.om(&[&name, "stop"]).code(1);
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        out.stderr.contains(&format!(
            " E docker stop -t 0 {cid}: no answer within 1s, killed\n"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_dry_run_only_asks_and_prints_what_it_would_do() {
    let fake = Fake::new();
    let name = unique("dr");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nrm = true\n",
    );
    let cid = fake.with_container(&name, true);
    let out = fake.env.om(&[&name, "restart", "--dry-run"]).ok();
    let c = format!("{name}.container.1");
    // queries only: nothing stopped, removed or run
    assert_eq!(
        fake.calls(),
        [
            ps(),
            argv(&["image", "inspect", "--format", "{{.Id}}", "nginx"]),
            argv(&["info", "--format", "{{.CgroupDriver}}"]),
        ]
    );
    let msgs: Vec<&str> = out
        .stderr
        .lines()
        .map(|l| l.split_at(l.find("   ").unwrap()).1.trim_start())
        .collect();
    assert_eq!(msgs[0], format!("docker stop {cid}"));
    assert_eq!(msgs[1], format!("docker rm {c}"));
    assert_eq!(msgs[2], "instance stopped, ready for restart.");
    assert!(
        msgs[3].starts_with(&format!("docker run -d --name={c} ")),
        "{}",
        msgs[3]
    );
    assert_eq!(msgs.len(), 4, "{}", out.stderr);
}

#[test]
fn pull_policy_always_pulls_before_each_start() {
    let fake = Fake::new();
    let name = unique("pl");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nimage_pull_policy = always\n",
    );
    let cid = fake.with_container(&name, false);
    let out = fake.env.om(&[&name, "start"]).ok();
    assert_eq!(
        fake.calls(),
        [
            ps(),
            argv(&["pull", "nginx"]),
            argv(&["start", &cid]),
            // wait for up status, by the verified id
            argv(&["container", "inspect", &cid]),
        ]
    );
    assert!(
        out.stderr.contains("   pulling docker image nginx\n"),
        "{}",
        out.stderr
    );
}

/// Issue 21: an action inspects each distinct image once, in one call for
/// all of them, whatever the number of containers; docker's stderr says
/// which are missing, and only those are pulled.
#[test]
fn an_action_inspects_each_distinct_image_once() {
    let mut fake = Fake::new();
    fake.env
        .vars
        .push(("FAKE_DOCKER_NO_IMAGES".into(), "busybox".into()));
    let name = unique("im");
    let ini: String = (1..=20)
        .map(|i| {
            let image = if i % 2 == 0 { "busybox" } else { "nginx" };
            format!("[container#{i}]\ntype = docker\nimage = {image}\n")
        })
        .collect();
    create(&fake.env, &name, &ini);
    let _ = std::fs::remove_file(&fake.log);
    let image_calls = |fake: &Fake| -> Vec<Vec<String>> {
        fake.calls()
            .into_iter()
            .filter(|c| c.first().is_some_and(|v| v == "image"))
            .collect()
    };
    let out = fake.env.om(&[&name, "start", "--dry-run"]).ok();
    assert_eq!(
        image_calls(&fake),
        [argv(&[
            "image", "inspect", "--format", "{{.Id}}", "busybox", "nginx"
        ])]
    );
    // each container of the missing image shows its pull, none of the other
    assert_eq!(
        out.stderr.matches("pulling docker image busybox\n").count(),
        10,
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("pulling docker image nginx"),
        "{}",
        out.stderr
    );
    // a real start: the same one call, and the missing image pulled once
    let _ = std::fs::remove_file(&fake.log);
    fake.env.om(&[&name, "start"]).ok();
    assert_eq!(image_calls(&fake).len(), 1, "{:?}", fake.calls());
    let pulls: Vec<Vec<String>> = fake
        .calls()
        .into_iter()
        .filter(|c| c.first().is_some_and(|v| v == "pull"))
        .collect();
    assert_eq!(pulls, [argv(&["pull", "busybox"])]);
    // a docker whose answer om can not attribute (no id printed, nothing
    // named missing) is asked image by image, and its silence is an error
    let _ = std::fs::remove_file(&fake.state);
    let _ = std::fs::remove_file(&fake.log);
    fake.env
        .vars
        .push(("FAKE_DOCKER_EMPTY".into(), "image".into()));
    let out = fake.env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains("docker's answer can not be trusted"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("docker run"), "{}", out.stderr);
    assert_eq!(image_calls(&fake).len(), 2, "{:?}", fake.calls());
}

/// Whether a process is gone, or a zombie (as good as gone), within 2 s.
pub fn dies_soon(pid: &str) -> bool {
    let stat = format!("/proc/{}/stat", pid.trim());
    poll_until(
        std::time::Duration::from_secs(2),
        || match std::fs::read_to_string(&stat) {
            Err(_) => true,
            Ok(s) => s
                .rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z')),
        },
    )
}

fn pids(file: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.split_whitespace().map(String::from).collect()
}

#[test]
fn the_bound_holds_when_docker_leaves_a_child_holding_its_output() {
    let mut fake = Fake::new();
    let name = unique("gc");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, true);
    let pid_file = fake.env.root().join("pids");
    for (k, v) in [
        ("OM_DOCKER_TIMEOUT", "1s"),
        ("FAKE_DOCKER_FORK", "ps"),
        ("FAKE_DOCKER_PIDS", &pid_file.display().to_string()),
    ] {
        fake.env.vars.push((k.into(), v.into()));
    }
    let t = std::time::Instant::now();
    let out = fake.env.om(&[&name, "print", "status"]).code(1);
    let took = t.elapsed();
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    assert!(
        out.stderr.contains("no answer within 1s, killed"),
        "{}",
        out.stderr
    );
    let pids = pids(&pid_file);
    assert_eq!(
        pids.len(),
        2,
        "the fake docker and its grandchild: {pids:?}"
    );
    for pid in pids {
        assert!(dies_soon(&pid), "{pid} left running");
    }
}

#[test]
fn a_signal_kills_the_docker_call_and_rolls_back() {
    let mut fake = Fake::new();
    let name = unique("sg");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, false);
    let pid_file = fake.env.root().join("pids");
    for (k, v) in [
        ("FAKE_DOCKER_HANG", "start"),
        ("FAKE_DOCKER_PIDS", &pid_file.display().to_string()),
    ] {
        fake.env.vars.push((k.into(), v.into()));
    }
    let om = fake
        .env
        .std_cmd(&[&name, "start"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // once docker start hangs: every docker call so far noted its pid
    wait_for(
        "a hanging docker start",
        std::time::Duration::from_secs(20),
        || {
            let calls = fake.calls();
            calls.iter().any(|c| c[0] == "start") && pids(&pid_file).len() >= calls.len()
        },
    );
    let om_pid = i32::try_from(om.id()).unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &om_pid.to_string()])
        .status()
        .unwrap()
        .success());
    let t = std::time::Instant::now();
    let out = om.wait_with_output().unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(128 + 15), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{NODE}.{name}.container#1 E interrupted by signal 15\n"
        )),
        "{stderr}"
    );
    for pid in pids(&pid_file) {
        assert!(dies_soon(&pid), "{pid} left running");
    }
    // the rollback ran its docker calls: it looked whether the container
    // was left running
    let calls = fake.calls();
    let c = format!("{name}.container.1");
    assert_eq!(calls.last(), Some(&ps()), "{calls:?} ({c})");
    // the lock was released: the next action runs at once
    fake.env.vars.retain(|(k, _)| k != "FAKE_DOCKER_HANG");
    fake.env.om(&[&name, "start", "--waitlock=1s"]).ok();
}

#[test]
fn docker_text_is_escaped_on_stderr_in_the_log_and_in_om_logs() {
    let mut fake = Fake::new();
    let name = unique("esc");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, false);
    for (k, v) in [
        ("FAKE_DOCKER_FAIL", "start"),
        (
            "FAKE_DOCKER_FAIL_MSG",
            "Error: \x1b]0;TITLE\x07\x1b[31mred\rover",
        ),
    ] {
        fake.env.vars.push((k.into(), v.into()));
    }
    let out = fake.env.om(&[&name, "start"]).code(1);
    let log = std::fs::read_to_string(fake.env.root().join(format!("log/{name}.log"))).unwrap();
    let shown = fake.env.om(&[&name, "logs"]).ok().stdout;
    for (what, text) in [
        ("stderr", &out.stderr),
        ("log file", &log),
        ("om logs", &shown),
    ] {
        assert!(!text.contains('\x1b'), "{what}: raw ESC in {text:?}");
        assert!(!text.contains('\r'), "{what}: raw CR in {text:?}");
        assert!(!text.contains('\x07'), "{what}: raw BEL in {text:?}");
        assert!(
            text.contains("E Error: \\e]0;TITLE\\x07\\e[31mred\\rover\n"),
            "{what}: {text}"
        );
        assert!(
            text.contains("E docker start failed: Error: \\e]0;TITLE\\x07\\e[31mred\\rover\n"),
            "{what}: {text}"
        );
    }
    // a log written raw by an older om is shown escaped
    let log_file = fake.env.root().join(format!("log/{name}.log"));
    std::fs::write(&log_file, "old \x1b[2J\r line\n").unwrap();
    let shown = fake.env.om(&[&name, "logs"]).ok().stdout;
    assert_eq!(shown, "old \\e[2J\\r line\n");
}

/// A user the docker socket refuses (not in group `docker`) is told so in
/// one line with what to do, never the call's `--format` template nor
/// docker's long text; `status` can not tell and exits 4 saying it.
#[test]
fn a_socket_that_refuses_the_user_is_one_hinted_line() {
    let mut fake = Fake::new();
    let name = unique("pd");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, false);
    // docker 20-26's exact stderr for it
    let msg = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json?all=1\": dial unix /var/run/docker.sock: connect: permission denied";
    fake.env.vars.push(("FAKE_DOCKER_FAIL".into(), "*".into()));
    fake.env
        .vars
        .push(("FAKE_DOCKER_FAIL_MSG".into(), msg.into()));
    let hint = "om: docker engine unreachable: permission denied on /var/run/docker.sock (add the user to group docker, or use sudo)\n";
    let status = fake.env.om(&[&name, "status"]).code(4);
    assert_eq!(status.stderr, hint);
    let print = fake.env.om(&[&name, "print", "status"]).code(1);
    assert_eq!(print.stderr, hint);
    let start = fake.env.om(&[&name, "start"]).code(1);
    // an action names its service first
    let said = format!("om: {name}: {}", &hint["om: ".len()..]);
    assert!(start.stderr.ends_with(&said), "{}", start.stderr);
    assert!(!start.stderr.contains("{{"), "{}", start.stderr);
}

#[test]
fn a_huge_docker_error_is_one_cut_escaped_line() {
    let mut fake = Fake::new();
    let name = unique("big");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, true);
    let msg = format!("Error: \x1b[31m{}", "x".repeat(100_000));
    fake.env.vars.push(("FAKE_DOCKER_FAIL".into(), "ps".into()));
    fake.env.vars.push(("FAKE_DOCKER_FAIL_MSG".into(), msg));
    let out = fake.env.om(&[&name, "print", "status"]).code(1);
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{:.300}", out.stderr);
    assert!(lines[0].starts_with("om: "), "{:.300}", lines[0]);
    assert!(lines[0].contains("Error: \\e[31mxxx"), "{:.300}", lines[0]);
    assert!(lines[0].len() < 2100, "{}", lines[0].len());
    assert!(lines[0].ends_with(" more bytes)"), "{}", &lines[0][1900..]);
}

/// An action reads its service's config once (issue 22): `strace` counts
/// the opens of the config file by `om SVC start` and `stop` (a
/// service of this node alone; `action::load` says how the read made
/// before the lock is the one acted on under it).
#[test]
fn an_action_opens_its_config_file_once() {
    let fake = Fake::new();
    let name = unique("fk");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, false);
    let conf = fake.env.conf(&name);
    for verb in ["start", "stop"] {
        let trace = fake.env.root().join(format!("trace.{verb}"));
        let om = fake.env.std_cmd(&[&name, verb]);
        let mut cmd = std::process::Command::new("strace");
        cmd.args(["-f", "-e", "trace=open,openat,openat2", "-o"])
            .arg(&trace)
            .arg(om.get_program())
            .args(om.get_args());
        for (k, v) in om.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let out = cmd
            .output()
            .expect("strace runs (the test needs it: apt-get install strace)");
        assert!(
            out.status.success(),
            "om {name} {verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let opens = std::fs::read_to_string(&trace)
            .unwrap()
            .lines()
            .filter(|l| l.contains(&format!("/{name}.conf\"")))
            .count();
        assert_eq!(
            opens,
            1,
            "om {name} {verb} opened {} that often",
            conf.display()
        );
    }
}
