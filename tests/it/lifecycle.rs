//! A service's life and end on the real engine: a config is never emptied
//! by a `--force` without a source, never removed while a container
//! carrying the service's label exists, and a purge leaves no lock
//! directory nor an empty namespace slice behind.

use crate::support::{create, docker, engine, inspect, registry_image, unique, Cleanup, Env, LOOP};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn ini(containers: &[usize]) -> String {
    containers
        .iter()
        .map(|i| {
            format!(
                "[container#{i}]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
                registry_image()
            )
        })
        .collect()
}

fn running(name: &str) -> bool {
    inspect(name).is_some_and(|v| v["State"]["Running"] == true)
}

#[test]
fn force_without_a_config_is_a_usage_error_and_the_config_stays() {
    engine();
    let env = Env::new();
    let name = unique("fz");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    env.om_stdin(&[&name, "deploy", "--config=-"], &ini(&[1]))
        .ok();
    assert!(running(&c1));
    let before = env.read_conf(&name);
    for args in [
        &["deploy", "--force"][..],
        &["create", "--force"],
        &["create", "--force", "--kw", "container#1.image=nginx"],
        &["deploy", "--force", "--env", "A=1"],
    ] {
        let mut argv = vec![name.as_str()];
        argv.extend_from_slice(args);
        let out = env.om(&argv).code(2);
        assert_eq!(out.stderr_lines().len(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("--config"), "{args:?}: {}", out.stderr);
        assert_eq!(env.read_conf(&name), before, "{args:?} changed the config");
    }
    assert!(running(&c1), "the service runs on, as om knows it");
    // a new service from nothing (or an [env] alone) is no service
    let other = unique("fz");
    for args in [&["create"][..], &["deploy"], &["create", "--env", "A=1"]] {
        let mut argv = vec![other.as_str()];
        argv.extend_from_slice(args);
        let out = env.om(&argv).code(2);
        assert_eq!(out.stderr_lines().len(), 1, "{args:?}: {}", out.stderr);
        assert!(!env.conf(&other).exists(), "{args:?} wrote a config");
    }
    // --kw alone still makes one
    let image = format!("container#1.image={}", registry_image());
    env.om(&[
        &other,
        "create",
        "--kw",
        "container#1.type=docker",
        "--kw",
        &image,
    ])
    .ok();
    assert!(env.conf(&other).exists());
}

/// A container the config no longer names (its section deleted with
/// --force, a config replaced) still carries the service's label: purge
/// removes what the config knows, then keeps the config, naming it;
/// delete refuses too. Once it is gone, purge completes.
#[test]
fn no_config_goes_while_a_container_carries_the_service_label() {
    engine();
    let env = Env::new();
    let name = unique("lb");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(&env, &name, &ini(&[1, 2]));
    env.om(&[&name, "start"]).ok();
    assert!(running(&c1) && running(&c2));
    env.om(&[&name, "delete", "--rid", "container#2", "--force"])
        .ok();
    assert!(running(&c2), "delete --rid --force leaves its container");
    let out = env.om(&[&name, "delete"]).code(1);
    assert!(out.stderr.contains(&c2), "{}", out.stderr);
    // --force goes past what can not be known, never past a container
    let out = env.om(&[&name, "delete", "--force"]).code(1);
    assert!(
        out.stderr.contains(&c2) && out.stderr.contains("use purge"),
        "{}",
        out.stderr
    );
    assert!(
        env.conf(&name).exists(),
        "delete --force removed the config"
    );
    let out = env.om(&[&name, "purge"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("{c2} (labelled com.opensvc.id=")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("config kept"), "{}", out.stderr);
    assert!(env.conf(&name).exists(), "the config went");
    assert!(
        inspect(&c1).is_none(),
        "purge removed what its config knows"
    );
    assert!(running(&c2));
    docker(&["rm", "-f", &c2]);
    env.om(&[&name, "purge"]).ok();
    assert!(!env.conf(&name).exists());
}

/// The lock file goes with the service; an action that waited on it
/// finds the service gone, says so, and leaves nothing either.
#[test]
fn purge_leaves_no_lock_directory_and_a_waiter_finds_the_service_gone() {
    engine();
    let env = Env::new();
    let name = unique("lk");
    create(
        &env,
        &name,
        &format!("[DEFAULT]\npre_unprovision = sleep 3\n{}", ini(&[1])),
    );
    let state = env.root().join("var/svc").join(&name);
    let lock = state.join("lock");
    let mut purge = env
        .std_cmd(&[&name, "purge"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains("purge")) {
        assert!(t.elapsed() < Duration::from_secs(20), "purge took no lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    let out = env.om(&[&name, "start", "--waitlock", "60s"]).code(1);
    assert!(
        t.elapsed() > Duration::from_secs(1),
        "the start did not wait for the purge"
    );
    assert!(purge.wait().unwrap().success());
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(!env.conf(&name).exists());
    assert!(!state.exists(), "{} left behind", state.display());
    // nor a delete
    let other = unique("lk");
    create(&env, &other, &ini(&[1]));
    env.om(&[&other, "start"]).ok();
    docker(&["rm", "-f", &format!("{other}.container.1")]);
    env.om(&[&other, "delete"]).ok();
    assert!(!env.root().join("var/svc").join(&other).exists());
}

fn cgroup_dirs(rel: &Path) -> Vec<PathBuf> {
    let mut bases = vec![Path::new("/sys/fs/cgroup").to_path_buf()];
    if let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") {
        bases.extend(entries.flatten().map(|e| e.path()));
    }
    bases
        .iter()
        .map(|b| b.join(rel))
        .filter(|p| p.is_dir())
        .collect()
}

/// The namespace's slice goes with its last service, not before.
#[test]
fn purge_of_a_namespace_s_last_service_removes_its_slice() {
    engine();
    let driver = docker(&["info", "--format", "{{.CgroupDriver}}"]);
    assert_eq!(
        String::from_utf8_lossy(&driver.stdout).trim(),
        "cgroupfs",
        "this test reads cgroupfs slices (scripts/test's engine)"
    );
    let env = Env::new();
    let ns = unique("ns");
    let (a, b) = (format!("{ns}/svc/a"), format!("{ns}/svc/b"));
    let _cleanup = Cleanup(vec![
        format!("{ns}..a.container.1"),
        format!("{ns}..b.container.1"),
    ]);
    for p in [&a, &b] {
        create(&env, p, &ini(&[1]));
        env.om(&[p, "start"]).ok();
    }
    let slice = PathBuf::from(format!("opensvc.slice/{ns}.slice"));
    assert!(!cgroup_dirs(&slice).is_empty(), "docker made no slice");
    env.om(&[&a, "purge"]).ok();
    assert!(
        !cgroup_dirs(&slice).is_empty(),
        "the slice went before the namespace's last service"
    );
    assert!(cgroup_dirs(&slice.join("a.slice")).is_empty());
    env.om(&[&b, "purge"]).ok();
    assert_eq!(cgroup_dirs(&slice), Vec::<PathBuf>::new());
    assert!(!env
        .root()
        .join("var/namespaces")
        .join(&ns)
        .join("svc/b")
        .exists());
}

/// Issue 21 (review of item 2): `deploy --force --config` with fewer
/// sections leaves the dropped resource's container as it is (as OpenSVC
/// leaves a resource removed from the config), and says so, naming it;
/// status shows it (`warn`, its rid and docker state), so the service is
/// never `down` while it runs, and the guard of another node counts it.
#[test]
fn a_container_the_config_no_longer_names_is_said_and_never_down() {
    engine();
    let env = Env::new();
    let name = unique("lo");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    env.om_stdin(&[&name, "deploy", "--config=-"], &ini(&[1, 2]))
        .ok();
    assert!(running(&c1) && running(&c2));
    let out = env
        .om_stdin(&[&name, "deploy", "--force", "--config=-"], &ini(&[1]))
        .ok();
    assert!(
        running(&c2),
        "deploy stopped the dropped resource's container"
    );
    assert!(
        out.stderr.contains(&format!(
            "container#2: not in the config, its container {c2} is left running"
        )),
        "{}",
        out.stderr
    );
    let status = |code: i32| {
        let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
        env.om(&[&name, "status"]).code(code);
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()
    };
    let v = status(2);
    let left = &v["resources"][1];
    assert_eq!(left["rid"], "container#2", "{v}");
    assert_eq!(left["leftover"], true, "{v}");
    assert_eq!(left["status"], "warn", "{v}");
    assert_eq!(left["container"]["name"], c2.as_str(), "{v}");
    assert_eq!(left["container"]["state"], "running", "{v}");
    let id = env.svc_id(&name);
    assert!(
        left["log"][0]
            .as_str()
            .unwrap()
            .contains(&format!("{c2} carries com.opensvc.id={id}.container#2")),
        "{v}"
    );
    // the service stopped, the leftover runs on: warn, never down
    env.om(&[&name, "stop"]).ok();
    assert!(!running(&c1) && running(&c2));
    let v = status(2);
    assert_eq!(v["avail"], "warn", "{v}");
    assert_eq!(v["instances"][0]["avail"], "warn", "{v}");
    // stopped too: it runs nothing, still named
    docker(&["stop", "-t", "1", &c2]);
    let v = status(1);
    assert_eq!(v["avail"], "down", "{v}");
    assert_eq!(v["resources"][1]["status"], "n/a", "{v}");
    assert_eq!(v["resources"][1]["container"]["state"], "exited", "{v}");
    let text = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(text.contains(&c2), "{text}");
    docker(&["rm", "-f", &c2]);
    env.om(&[&name, "purge"]).ok();
}

/// A config write that moves a service to another engine while its
/// containers exist on the one it has (issue 21, a hostile run: `set
/// docker_data_dir` on a running service left its container running on
/// the host engine, status `down`, and a purge deleted the config) is
/// refused, by set, unset, deploy --force and edit config alike; once
/// the service is unprovisioned, the change is written.
#[test]
fn the_engine_of_a_service_with_containers_never_changes_under_them() {
    engine();
    let env = Env::new();
    let name = unique("en");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, &ini(&[1]));
    env.om(&[&name, "start"]).ok();
    let before = env.read_conf(&name);
    let data = env.root().join("data").join(&name);
    let to_private = format!("docker_data_dir={}", data.display());
    let moved = format!(
        "[DEFAULT]\n{}\n{}",
        to_private.replace('=', " = "),
        ini(&[1])
    );
    let moves: Vec<(Vec<&str>, &str)> = vec![
        (vec!["set", "--kw", &to_private], ""),
        (vec!["deploy", "--force", "--config=-"], &moved),
    ];
    for (args, stdin) in &moves {
        let mut all = vec![name.as_str()];
        all.extend(args.iter().copied());
        let out = env.om_stdin(&all, stdin).code(1);
        assert!(
            out.stderr
                .contains("moves the service to another docker engine (docker_data_dir) while containers of the service exist")
                && out.stderr.contains(&c1),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(env.read_conf(&name), before, "{args:?} wrote the config");
        assert!(running(&c1));
    }
    assert!(!data.exists(), "no data dir made for a refused move");
    env.om(&[&name, "unprovision"]).ok();
    env.om(&[&name, "set", "--kw", &to_private]).ok();
    assert!(env.read_conf(&name).contains("docker_data_dir"));
    // its private daemon never ran: nothing of it to ask (no daemon
    // started, no data dir made for that), moved back, and deleted so
    env.om(&[&name, "unset", "--kw", "docker_data_dir"]).ok();
    assert!(!data.exists(), "a daemon was started to ask an empty store");
    env.om(&[&name, "set", "--kw", &to_private]).ok();
    env.om(&[&name, "delete"]).ok();
    assert!(!data.exists(), "a daemon was started to ask an empty store");
    assert!(!env.conf(&name).exists());
}

/// The id names a service's containers (their `com.opensvc.id` label):
/// `id@NODE` would make a service take another's containers for its own
/// there. `id`, `nodes` and `drpnodes` take no node scope: `create`, `set`
/// and `validate` refuse one, naming the key, and a hand edit that slips
/// one in is never read (a purge of the broken config acts on the
/// service's own id, and the other service's container runs on).
#[test]
fn the_id_and_the_node_lists_take_no_node_scope() {
    engine();
    let env = Env::new();
    let (vx, sc) = (unique("vx"), unique("sc"));
    let victim = format!("{vx}.container.1");
    let _cleanup = Cleanup(vec![victim.clone(), format!("{sc}.container.1")]);
    env.om_stdin(&[&vx, "deploy", "--config=-"], &ini(&[1]))
        .ok();
    assert!(running(&victim));
    create(&env, &sc, &ini(&[1]));
    let vx_id = env.svc_id(&vx);
    let before = env.read_conf(&sc);
    let node = crate::support::NODE;
    for (kw, key) in [
        (
            format!("DEFAULT.id@{node}={vx_id}"),
            format!("DEFAULT.id@{node}"),
        ),
        (format!("id@nodes={vx_id}"), "DEFAULT.id@nodes".into()),
        ("nodes@n2=n2 n3".into(), "DEFAULT.nodes@n2".into()),
        (
            "drpnodes@drpnodes=n3".into(),
            "DEFAULT.drpnodes@drpnodes".into(),
        ),
    ] {
        let out = env.om(&[&sc, "set", "--kw", &kw]).code(1);
        assert_eq!(out.stderr_lines().len(), 1, "{kw}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("{key}: ")) && out.stderr.contains("no node scope"),
            "{kw}: {}",
            out.stderr
        );
        assert_eq!(env.read_conf(&sc), before, "{kw} was written");
    }
    let other = unique("sc");
    let out = env
        .om_stdin(
            &[&other, "create", "--config=-"],
            &format!("[DEFAULT]\nid@{node} = {vx_id}\n{}", ini(&[1])),
        )
        .code(1);
    assert!(out.stderr.contains("no node scope"), "{}", out.stderr);
    assert!(!env.conf(&other).exists());
    // a hand edit
    let edited = before.replacen("\n", &format!("\nid@{node} = {vx_id}\n"), 1);
    assert!(edited.contains(&format!("id@{node} = ")), "{edited}");
    std::fs::write(env.conf(&sc), &edited).unwrap();
    let out = env.om(&[&sc, "validate", "config"]).code(1);
    assert!(out.stdout.contains("no node scope"), "{}", out.stdout);
    let _ = env.om(&[&sc, "purge"]);
    assert!(running(&victim), "a purge of {sc} took {vx}'s container");
    assert_eq!(env.svc_id(&vx), vx_id);
}

/// `delete --force` never removes a config while the engine can not say
/// whether a container of the service exists (a second hostile run: an
/// unreachable engine let it go while the labelled container ran on).
#[test]
fn delete_force_never_removes_a_config_its_engine_can_not_vouch_for() {
    engine();
    let mut env = Env::new();
    let name = unique("df");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, &ini(&[1]));
    // its container runs (a service om never ran is deleted without its
    // engine: unreachable::)
    env.om(&[&name, "start"]).ok();
    let none = format!("unix://{}/none.sock", env.root().display());
    env.vars.push(("DOCKER_HOST".into(), none));
    let out = env.om(&[&name, "delete", "--force"]).code(1);
    assert!(
        out.stderr
            .contains("its engine can not say whether a container of the service exists"),
        "{}",
        out.stderr
    );
    assert!(env.conf(&name).exists(), "the config went");
    env.vars.clear();
    assert!(running(&c1));
    env.om(&[&name, "purge"]).ok();
}

/// A restart of some resources (`--rid`) stops and starts only those and
/// never says "instance stopped"; a whole restart says it, as OpenSVC does.
#[test]
fn a_partial_restart_never_says_the_instance_stopped() {
    engine();
    let env = Env::new();
    let name = unique("pr");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    env.om_stdin(&[&name, "deploy", "--config=-"], &ini(&[1, 2]))
        .ok();
    let started = |c: &str| inspect(c).unwrap()["State"]["StartedAt"].clone();
    let before = (started(&c1), started(&c2));
    let out = env.om(&[&name, "restart", "--rid", "container#2"]).ok();
    assert!(!out.stderr.contains("instance stopped"), "{}", out.stderr);
    assert!(running(&c1) && running(&c2));
    assert_eq!(started(&c1), before.0);
    assert_ne!(started(&c2), before.1);
    let out = env.om(&[&name, "restart"]).ok();
    assert!(
        out.stderr.contains("instance stopped, ready for restart."),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_selector_that_matches_nothing_is_said_and_never_reads_up() {
    engine();
    let env = Env::new();
    let name = unique("sel");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    env.om_stdin(&[&name, "deploy", "--config=-"], &ini(&[1]))
        .ok();
    // the glob that names it: up, exit 0
    env.om(&[&format!("{name}*"), "status"]).ok();
    let typo = format!("x{name}*");
    let said = format!("om: no service matches '{typo}'\n");
    // a monitoring check with a typo: not known (4), and why
    let out = env.om(&[&typo, "status"]).code(4);
    assert_eq!(out.stderr, said);
    assert_eq!(out.stdout, "");
    let out = env.om(&[&typo, "status", "--local"]).code(4);
    assert_eq!(out.stderr, said);
    // an action does nothing in silence no more: it says so, exit 1
    for action in ["stop", "start", "restart", "provision"] {
        let out = env.om(&[&typo, action]).code(1);
        assert_eq!(out.stderr, said, "{action}");
        assert_eq!(out.stdout, "", "{action}");
    }
    assert!(running(&c1), "nothing was stopped");
    // a list of globs: the selection is what all of them match
    env.om(&[&format!("{typo},{name}*"), "status"]).ok();
    let out = env.om(&[&format!("{typo},y{name}*"), "status"]).code(4);
    assert_eq!(
        out.stderr,
        format!("om: no service matches '{typo},y{name}*'\n")
    );
    // `print status` is the document of what matches: none is an empty one
    let out = env
        .om(&[&typo, "print", "status", "--local", "--format", "json"])
        .ok();
    assert_eq!(out.stdout, "");
}
