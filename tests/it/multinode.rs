//! A service on several nodes, seen from this one (SPEC 12): print status
//! asks the other nodes over real ssh (the rig of scripts/test: n2 and n3,
//! each an sshd with its own om root and its own dockerd).

use crate::support::{create, engine, registry_image, unique, Cleanup, Env, LOOP, NODE};
use serde_json::Value;

/// The rig's ssh client config, which `OM_RSH` (set by scripts/test) uses.
pub(crate) fn rig() -> String {
    engine();
    let rsh = std::env::var("OM_RSH").unwrap_or_default();
    let cfg = std::env::var("OM_TEST_SSH_CONFIG").unwrap_or_else(|_| {
        panic!(
            "OM_TEST_SSH_CONFIG is not set: run scripts/test, which brings up the nodes n2 and n3"
        )
    });
    assert!(
        rsh.contains(&cfg),
        "OM_RSH ({rsh}) must use the rig's ssh config: run scripts/test"
    );
    cfg
}

/// A root of its own for this node, which reaches the rig's nodes.
pub(crate) fn rig_env() -> Env {
    let mut env = Env::new();
    env.vars
        .push(("OM_RSH".into(), std::env::var("OM_RSH").unwrap_or_default()));
    env
}

/// `om ARGS` on `node` through the rig's ssh, with `stdin`.
fn on(cfg: &str, node: &str, args: &str, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new("ssh")
        .args(["-F", cfg, node, &format!("om {args}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ssh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Purges the service on the rig's nodes when the test ends, however it
/// ends.
pub(crate) struct Remote<'a> {
    cfg: &'a str,
    name: String,
}

impl Drop for Remote<'_> {
    fn drop(&mut self) {
        for node in ["n1", "n2", "n3"] {
            let _ = on(self.cfg, node, &format!("{} purge --local", self.name), "");
        }
    }
}

/// A call over ssh that must have succeeded, or its stderr.
fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `om ARGS` on `node`, which must succeed: its stdout.
fn on_ok(cfg: &str, node: &str, args: &str) -> String {
    let out = on(cfg, node, args, "");
    assert!(
        out.status.success(),
        "{node}: om {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The create here installed the config on `nodes` too, with the same id
/// (config sync); it is purged there when the test ends.
pub(crate) fn synced_to<'a>(cfg: &'a str, env: &Env, name: &str, nodes: &[&str]) -> Remote<'a> {
    let remote = Remote {
        cfg,
        name: name.to_string(),
    };
    let id = env.om(&[name, "get", "--kw", "id"]).ok().stdout;
    for node in nodes {
        assert_eq!(
            on_ok(cfg, node, &format!("{name} get --kw id")),
            id,
            "{node}"
        );
    }
    remote
}

#[test]
fn print_status_shows_an_instance_per_node() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("mn");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    );
    create(&env, &name, &ini);
    // the create sent the config to n2 and n3, same id
    let _remote = synced_to(&cfg, &env, &name, &["n2", "n3"]);
    // n2 can not reach this node through the rig's ssh: its guard refuses
    // until --force
    let out = on(&cfg, "n2", &format!("{name} start"), "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{NODE} can not tell whether the service runs there"
        )),
        "{err}"
    );
    let out = on(&cfg, "n2", &format!("{name} start --force"), "");
    assert_ok(&out);

    // up on n2 alone: the service is up, each node on its line in order
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    let lines: Vec<&str> = st.lines().collect();
    assert!(lines[0].ends_with(" up"), "{st}");
    let node_lines: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("   |- ") || l.starts_with("   `- "))
        .copied()
        .collect();
    assert_eq!(node_lines.len(), 3, "{st}");
    assert!(
        node_lines[0].contains(NODE) && node_lines[0].contains(" down "),
        "{st}"
    );
    assert!(
        node_lines[1].contains(" n2 ") && node_lines[1].contains(" up "),
        "{st}"
    );
    assert!(
        node_lines[2].contains(" n3 ") && node_lines[2].contains(" down "),
        "{st}"
    );

    // the same in JSON, with the schema
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["schema"], 3);
    assert_eq!(v["avail"], "up");
    let nodes: Vec<&str> = v["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, [NODE, "n2", "n3"]);
    assert_eq!(v["instances"][1]["resources"][0]["status"], "up");

    // --local asks no other node
    let st = env.om(&[&name, "print", "status", "--local"]).ok().stdout;
    assert!(!st.contains("n2"), "{st}");

    // a start across the nodes finds it there
    let out = env.om(&[&name, "start"]).ok();
    assert!(
        out.stderr.contains("already started on n2"),
        "{}",
        out.stderr
    );
    // the guard of a start here: n2 says it runs there, so no start here
    let out = env.om(&[&name, "start", "--local"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("{name}: up on n2: not started here")),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_none());
    let out = env.om(&[&name, "start", "--local", "--force"]).code(1);
    assert!(
        out.stderr.contains("up on n2"),
        "--force does not override a node that says it runs there"
    );

    // stopped there, started here; then n2, unable to ask this node, is
    // forced: up on both, a split brain that status says
    let out = on(&cfg, "n2", &format!("{name} stop --local"), "");
    assert_ok(&out);
    env.om(&[&name, "start"]).ok();
    let out = on(&cfg, "n2", &format!("{name} start --force"), "");
    assert_ok(&out);
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.lines()
            .next()
            .unwrap()
            .contains(&format!("warn       warn: up on {NODE} and n2")),
        "{st}"
    );
    // a stop across the nodes stops it wherever it runs
    let out = env.om(&[&name, "stop"]).ok();
    assert!(
        out.stderr.contains(&format!("n2.{name}.container#1")),
        "n2's lines streamed: {}",
        out.stderr
    );
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(st.lines().next().unwrap().ends_with(" down"), "{st}");
    env.om(&[&name, "purge"]).ok();
    // purged on every node
    let out = on(&cfg, "n2", &format!("{name} print config"), "");
    assert!(!out.status.success(), "purged on n2 too");
}

#[test]
fn a_start_that_can_not_ask_a_node_needs_force() {
    let _cfg = rig();
    let env = rig_env();
    let name = unique("mg");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} nosuchnode\n[container#1]\ntype = docker\nimage = nginx\n"
        ),
    );
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr
            .contains("nosuchnode can not tell whether the service runs there")
            && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_none());
    let out = env.om(&[&name, "start", "--force"]).ok();
    assert!(
        out.stderr.contains("started anyway (--force)"),
        "{}",
        out.stderr
    );
    // a purge across the nodes removes it here, and says the node it
    // could not reach
    let out = env.om(&[&name, "purge"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "{name}: purge on nosuchnode: unreachable: ssh: Could not resolve hostname nosuchnode"
        )),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_none());
    env.om(&[&name, "print", "config"]).code(1);
}

#[test]
fn a_start_on_a_disaster_recovery_node_needs_force() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("md");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        &format!("[DEFAULT]\nnodes = n2\ndrpnodes = {NODE}\n[container#1]\ntype = docker\nimage = nginx\n"),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    let out = env.om(&[&name, "start", "--local"]).code(1);
    assert!(
        out.stderr.contains("is a disaster recovery node"),
        "{}",
        out.stderr
    );
    // nothing runs on n2: the forced start goes on
    env.om(&[&name, "start", "--local", "--force"]).ok();
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_some());
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_node_ssh_can_not_reach_is_unknown_never_down() {
    let _cfg = rig();
    let env = rig_env();
    let name = unique("mu");
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} nosuchnode\n[container#1]\ntype = docker\nimage = nginx\n"
        ),
    );
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    let line = st
        .lines()
        .find(|l| l.contains("nosuchnode"))
        .unwrap_or_else(|| panic!("{st}"));
    assert!(
        line.contains(" unknown ") && line.contains("unreachable"),
        "{st}"
    );
    assert!(!line.contains(" down "), "{st}");
}

#[test]
fn switch_and_giveback_move_the_service_between_nodes() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("ms");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    );
    create(&env, &name, &ini);
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start"]).ok();
    let running_here = || {
        crate::support::inspect(&format!("{name}.container.1"))
            .is_some_and(|v| v["State"]["Running"] == true)
    };
    let running_on_n2 = || {
        let out = std::process::Command::new("ssh")
            .args(["-F", &cfg, "n2", "docker", "ps", "--format", "{{.Names}}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&format!("{name}.container.1"))
    };
    assert!(running_here());

    // switch: the next node of nodes, n2; its lines come with its prefix
    let out = env.om(&[&name, "switch"]).ok();
    assert!(
        out.stderr.contains(&format!("stop on {NODE}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("start on n2"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("n2.{name}.container#1")),
        "{}",
        out.stderr
    );
    assert!(!running_here(), "stopped here");
    assert!(running_on_n2(), "running on n2");
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(st.lines().next().unwrap().ends_with(" up"), "{st}");

    // giveback: the first node of nodes, this one
    env.om(&[&name, "giveback"]).ok();
    assert!(running_here());
    assert!(!running_on_n2());
    let out = env.om(&[&name, "takeover"]).ok();
    assert!(
        out.stderr.contains(&format!("already started on {NODE}")),
        "{}",
        out.stderr
    );

    // a target that is not a node of the service
    let out = env.om(&[&name, "switch", "--to", "n3"]).code(2);
    assert!(
        out.stderr.contains("n3 is not a node of the service"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_switch_to_a_disaster_recovery_node_needs_force_before_anything_stops() {
    let _cfg = rig();
    let env = rig_env();
    let name = unique("mr");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        &format!("[DEFAULT]\nnodes = {NODE}\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = nginx\ncommand = sh -c \"{LOOP}\"\n"),
    );
    env.om(&[&name, "start"]).ok();
    let out = env.om(&[&name, "switch", "--to", "n3"]).code(1);
    assert!(
        out.stderr.contains("n3 is a disaster recovery node"),
        "{}",
        out.stderr
    );
    assert!(
        crate::support::inspect(&format!("{name}.container.1"))
            .is_some_and(|v| v["State"]["Running"] == true),
        "still running here: nothing stopped before the refusal"
    );
    // drpnodes without nodes: the primary nodes must be said
    let out = env
        .om_stdin(
            &[&unique("mq"), "create", "--config=-"],
            "[DEFAULT]\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = nginx\n",
        )
        .code(1);
    assert!(
        out.stderr
            .contains("DEFAULT.nodes: required when drpnodes is set"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge"]).ok();
}

/// A root of its own for this node, whose ssh reaches no node: the rig's
/// config, every connection sent to a closed port (as a node whose sshd
/// is down).
fn cut_off_env() -> Env {
    let mut env = Env::new();
    let rsh = std::env::var("OM_RSH").unwrap_or_default();
    env.vars.push(("OM_RSH".into(), format!("{rsh} -o Port=1")));
    env
}

#[test]
fn a_node_that_does_not_answer_stops_a_start_and_status_can_not_decide() {
    let _cfg = rig();
    let env = cut_off_env();
    let name = unique("mx");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let out = env
        .om_stdin(
            &[&name, "create", "--config=-"],
            &format!(
                "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
                registry_image()
            ),
        )
        .ok();
    // the config is written here; n2 gets it at the next sync
    assert!(
        out.stderr
            .contains(&format!("the config of {name} not sent to n2, unreachable"))
            && out.stderr.contains("the next sync catches it up"),
        "{}",
        out.stderr
    );
    // down here, n2 silent: status can not decide (4); this node alone says down
    let out = env.om(&[&name, "status"]).code(4);
    // and says why, once: the service, the silent node and its reason
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(&format!(
            "om: {name}: the status is unknown: n2 (unreachable"
        )) && out
            .stderr
            .contains("can not tell whether the service runs there"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "status", "--local"]).code(1);
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(st.lines().next().unwrap().ends_with(" unknown"), "{st}");
    // fail-closed: no start while n2 can not tell, unless --force
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr
            .contains("n2 can not tell whether the service runs there (unreachable")
            && out.stderr.contains("--force to start anyway"),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_none());
    let out = env.om(&[&name, "start", "--local"]).code(1);
    assert!(out.stderr.contains("n2 can not tell"), "{}", out.stderr);
    env.om(&[&name, "start", "--force"]).ok();
    // up here: the service is up, whatever n2 says
    env.om(&[&name, "status"]).ok();
    // a stop here goes on, and says n2 was not reached
    let out = env.om(&[&name, "stop"]).code(1);
    assert!(
        out.stderr.contains("n2 can not tell") && out.stderr.contains("not stopped there"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "status", "--local"]).code(1);
    env.om(&[&name, "purge", "--local"]).ok();
}

#[test]
fn a_config_changed_on_the_other_node_is_never_silently_replaced() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("mc");
    create(
        &env,
        &name,
        "[DEFAULT]\nnodes = n2 deb1.opensvc.com\n[container#1]\ntype = docker\nimage = nginx\n",
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    // a set made on n2 (which can not reach this node: it keeps it)
    let out = on(&cfg, "n2", &format!("{name} set --kw env.WHO=n2"), "");
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("the config of {name} not sent to {NODE}")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a set here: written here, refused there
    let out = env.om(&[&name, "set", "--kw", "env.WHO=here"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "not installed on n2: the config of {name} on n2 changed since its last sync with {NODE}: not replaced (om {name} sync --force on {NODE} installs {NODE}'s)"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{name} get --kw env.WHO")),
        "n2\n"
    );
    // a plain sync refuses too; --force takes this node's
    env.om(&[&name, "sync"]).code(1);
    env.om(&[&name, "sync", "--force"]).ok();
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{name} get --kw env.WHO")),
        "here\n"
    );
    // agreed again: the next write goes through
    env.om(&[&name, "set", "--kw", "env.WHO=again"]).ok();
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{name} get --kw env.WHO")),
        "again\n"
    );
    // a service of the same path but another id on n2 is never replaced
    on_ok(&cfg, "n2", &format!("{name} purge --local"));
    let out = on(
        &cfg,
        "n2",
        &format!("{name} create --local --config=-"),
        "[DEFAULT]\nnodes = n2\n[container#1]\ntype = docker\nimage = nginx\n",
    );
    assert_ok(&out);
    let out = env.om(&[&name, "sync", "--force"]).code(1);
    assert!(
        out.stderr
            .contains("a node never takes another id for a path"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "delete", "--local"]).ok();
}

#[test]
fn from_n2_om_reaches_n1_the_host_through_om_rsh() {
    let cfg = rig();
    let n1_root = std::env::var("OM_TEST_N1_ROOT").unwrap_or_else(|_| {
        panic!("OM_TEST_N1_ROOT is not set: run scripts/test, which brings up n1")
    });
    let host_engine = crate::support::docker_ok(&["info", "--format", "{{.ID}}"]);
    // the transport itself, as om on n2 runs it: n1 is this host's engine
    let script =
        r#"$OM_RSH n1 'echo "$OSVC_NODENAME|$OSVC_ROOT_PATH|$(docker info --format {{.ID}})"'"#;
    let out = std::process::Command::new("ssh")
        .args(["-F", &cfg, "n2", script])
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("n1|{n1_root}|{host_engine}\n")
    );

    // and om itself: from n2, a docker passthrough on n1
    let name = unique("m1");
    let ini = "[DEFAULT]\nnodes = n1 n2\n[container#1]\ntype = docker\nimage = nginx\n";
    let out = on(&cfg, "n1", &format!("{name} create --config=-"), ini);
    assert_ok(&out);
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    let out = on(
        &cfg,
        "n2",
        &format!("{name} docker --node n1 info --format '{{{{.ID}}}}'"),
        "",
    );
    assert_ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{host_engine}\n")
    );
}

#[test]
fn docker_node_runs_the_passthrough_on_that_node() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("mp");
    let c1 = format!("{name}.container.1");
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    );
    create(&env, &name, &ini);
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    // n2 can not reach this node through the rig's ssh: --force
    let out = on(&cfg, "n2", &format!("{name} start --force"), "");
    assert_ok(&out);

    // {container#1} substituted there, on n2's engine
    let out = env
        .om(&[
            &name,
            "docker",
            "--node",
            "n2",
            "inspect",
            "-f",
            "{{.Name}}",
            "{container#1}",
        ])
        .ok();
    assert_eq!(out.stdout, format!("/{c1}\n"));
    assert!(crate::support::inspect(&c1).is_none(), "not on this node");
    // its exit code, and stdin, through ssh
    env.om(&[
        &name,
        "docker",
        "--node",
        "n2",
        "exec",
        "{container#1}",
        "sh",
        "-c",
        "exit 7",
    ])
    .code(7);
    let out = env
        .om_stdin(
            &[
                &name,
                "docker",
                "--node",
                "n2",
                "exec",
                "-i",
                "{container#1}",
                "cat",
            ],
            "piped\n",
        )
        .ok();
    assert_eq!(out.stdout, "piped\n");
}

/// The issue's scenario, each step run on its node over the rig's ssh:
/// n1 (this host, on the host engine), n2, and n3 for disaster recovery.
#[test]
fn create_start_switch_giveback_and_takeover_across_three_nodes() {
    let cfg = rig();
    let name = unique("m3");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone(), format!("{name}.container.2")]);
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    let ini = format!(
        "[DEFAULT]\nnodes = n1 n2\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = {img}\ncommand = sh -c \"{LOOP}\"\n[container#2]\ntype = docker\nimage = {img}\ncommand = sh -c \"{LOOP}\"\n",
        img = registry_image()
    );
    let out = on(&cfg, "n1", &format!("{name} create --config=-"), &ini);
    assert_ok(&out);
    // the same config, same id, on n2 and n3
    let id = on_ok(&cfg, "n1", &format!("{name} get --kw id"));
    for node in ["n2", "n3"] {
        assert_eq!(
            on_ok(&cfg, node, &format!("{name} get --kw id")),
            id,
            "{node}"
        );
    }
    let runs_on = |node: &str| -> bool {
        let out = on_ok(&cfg, node, "ls");
        assert!(out.contains(&name), "{node}: {out}");
        let ps = std::process::Command::new("ssh")
            .args(["-F", &cfg, node, "docker", "ps", "--format", "{{.Names}}"])
            .output()
            .unwrap();
        assert!(ps.status.success());
        let names = String::from_utf8_lossy(&ps.stdout).into_owned();
        let n = [c1.as_str(), &format!("{name}.container.2")]
            .iter()
            .filter(|c| names.lines().any(|l| l == **c))
            .count();
        assert!(n == 0 || n == 2, "{node}: half of it runs: {names}");
        n == 2
    };

    // start (across the nodes) from n1: the first node of nodes, n1
    on_ok(&cfg, "n1", &format!("{name} start"));
    assert!(runs_on("n1") && !runs_on("n2") && !runs_on("n3"));
    let st = on_ok(&cfg, "n1", &format!("{name} print status"));
    let node_lines: Vec<&str> = st
        .lines()
        .filter(|l| l.starts_with("   |- ") || l.starts_with("   `- "))
        .collect();
    assert_eq!(node_lines.len(), 3, "{st}");
    for (line, (node, state)) in
        node_lines
            .iter()
            .zip([("n1", " up "), ("n2", " down "), ("n3", " down ")])
    {
        assert!(
            line.contains(&format!(" {node} ")) && line.contains(state),
            "{st}"
        );
    }
    // a start from n2 finds it on n1
    let out = on(&cfg, "n2", &format!("{name} start"), "");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already started on n1"));

    // switch from n1: to n2, on n2's engine alone
    let out = on(&cfg, "n1", &format!("{name} switch"), "");
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("n2.{name}.container#1")));
    assert!(!runs_on("n1") && runs_on("n2"));
    // the guard on n1: up on n2
    let out = on(&cfg, "n1", &format!("{name} start --local"), "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("up on n2: not started here"));
    // a restart from n1 goes where it runs
    let out = on(&cfg, "n1", &format!("{name} restart"), "");
    assert_ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("restart on n2") && err.contains(&format!("n2.{name}.container#1")),
        "{err}"
    );
    assert!(!runs_on("n1") && runs_on("n2"));
    // a start on n3, a disaster recovery node, needs --force
    let out = on(&cfg, "n3", &format!("{name} start --local"), "");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("n3 is a disaster recovery node"));

    // giveback from n1: back to n1
    on_ok(&cfg, "n1", &format!("{name} giveback"));
    assert!(runs_on("n1") && !runs_on("n2"));
    // takeover from n2
    on_ok(&cfg, "n2", &format!("{name} takeover"));
    assert!(!runs_on("n1") && runs_on("n2"));
    let st = on_ok(&cfg, "n1", &format!("{name} print status --format json"));
    let v: Value = serde_json::from_str(&st).unwrap();
    assert_eq!(v["avail"], "up");
    assert_eq!(v["instances"][1]["node"], "n2");
    assert_eq!(v["instances"][1]["avail"], "up");

    // stop from n1 stops it on n2; purge from n1 leaves nothing anywhere
    on_ok(&cfg, "n1", &format!("{name} stop"));
    assert!(!runs_on("n2"));
    on_ok(&cfg, "n1", &format!("{name} purge"));
    for node in ["n1", "n2", "n3"] {
        assert!(!on_ok(&cfg, node, "ls").contains(&name), "{node}");
    }
}

/// A root of its own for this node whose transport is `script` (a shell
/// script; `$RSH` in it is the rig's real one).
fn scripted_env(script: &str) -> Env {
    use std::os::unix::fs::PermissionsExt;
    let mut env = Env::new();
    let file = env.root().join("rsh");
    std::fs::write(&file, format!("#!/bin/bash\n{script}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.vars
        .push(("RSH".into(), std::env::var("OM_RSH").unwrap_or_default()));
    env.vars.push(("OM_RSH".into(), file.display().to_string()));
    env
}

#[test]
fn each_transport_fault_names_the_node_and_is_never_down() {
    let _cfg = rig();
    let ini =
        "[DEFAULT]\nnodes = deb1.opensvc.com n2\n[container#1]\ntype = docker\nimage = nginx\n";
    // (what each fault does to the create's config sync: a refusal is
    // an error, an unreachable node a warning; the words of n2's status
    // line)
    let cases: [(&str, i32, &[&str]); 4] = [
        // a real ssh authentication failure: the rig's sshd takes keys only
        (
            r#"exec $RSH -o PubkeyAuthentication=no "$@""#,
            0,
            &["unreachable", "Permission denied"],
        ),
        // a node without om (ssh runs the remote shell, which says 127)
        (
            r#"echo "bash: line 1: om: command not found" >&2; exit 127"#,
            1,
            &["om is not installed on n2"],
        ),
        // a node whose om speaks another status schema (and takes the config)
        (
            r#"[ "$4" = sync ] && exit 0; echo '{"schema": 4, "path": "x"}'"#,
            0,
            &["n2 runs om with status schema 4, this one 3"],
        ),
        // a node that hangs: bounded
        (
            r#"exec sleep 30"#,
            0,
            &["unreachable", "no answer within 2s"],
        ),
    ];
    for (script, create_code, says) in cases {
        let mut env = scripted_env(script);
        env.vars.push(("OM_DOCKER_TIMEOUT".into(), "2s".into()));
        let name = unique("mf");
        env.om_stdin(&[&name, "create", "--config=-"], ini)
            .code(create_code);
        let st = env.om(&[&name, "print", "status"]).ok().stdout;
        let line = st
            .lines()
            .find(|l| l.contains(" n2 "))
            .unwrap_or_else(|| panic!("{st}"));
        assert!(line.contains(" unknown "), "{script}: {st}");
        for s in says {
            assert!(line.contains(s), "{script}: {s}: {st}");
        }
        env.om(&[&name, "status"]).code(4);
        let out = env.om(&[&name, "start"]).code(1);
        assert!(
            out.stderr
                .contains("n2 can not tell whether the service runs there"),
            "{script}: {}",
            out.stderr
        );
        env.om(&[&name, "delete", "--local"]).ok();
    }
}

#[test]
fn a_switch_cut_in_the_middle_runs_nowhere_twice_and_a_second_one_finishes() {
    let cfg = rig();
    let name = unique("mw");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    // the real transport, but the connection drops when the start is sent
    let script = r#"case " $* " in *" start "*) echo "Connection to n2 closed by remote host." >&2; exit 255;; esac
exec $RSH "$@""#;
    let env = scripted_env(script);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start"]).ok();
    let out = env.om(&[&name, "switch"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "{name}: start on n2: unreachable: Connection to n2 closed"
        )),
        "{}",
        out.stderr
    );
    let here = || {
        crate::support::inspect(&format!("{name}.container.1"))
            .is_some_and(|v| v["State"]["Running"] == true)
    };
    let on_n2 = || {
        on_ok(
            &cfg,
            "n2",
            &format!("{name} print status --local --format json"),
        )
    };
    // the start on n2 did not happen: stopped there, started again here
    assert!(
        out.stderr
            .contains(&format!("not switched, started again on {NODE}")),
        "{}",
        out.stderr
    );
    assert!(here(), "started again here");
    assert!(on_n2().contains("\"avail\": \"down\""), "{}", on_n2());
    // the second switch, over a transport that holds: on n2
    let env = rig_env_in(env);
    env.om(&[&name, "switch"]).ok();
    assert!(!here());
    assert!(on_n2().contains("\"avail\": \"up\""), "{}", on_n2());
    env.om(&[&name, "purge"]).ok();
}

/// Issue 21: a container renamed behind om's back on n2 still runs the
/// service there: n2's status says up (with the warning), so the guard of
/// a start here refuses, and the service never runs on two nodes.
#[test]
fn a_container_renamed_on_another_node_still_stops_a_start_here() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("mv");
    let (c, moved) = (format!("{name}.container.1"), format!("{name}-moved"));
    let _cleanup = Cleanup(vec![c.clone(), moved.clone()]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    // n2 can not ask this node: its start needs --force
    assert_ok(&on(&cfg, "n2", &format!("{name} start --force"), ""));
    let docker_n2 = |args: &[&str]| {
        std::process::Command::new("ssh")
            .args(["-F", &cfg, "n2", "docker"])
            .args(args)
            .output()
            .unwrap()
    };
    assert_ok(&docker_n2(&["rename", &c, &moved]));
    let running_on_n2 = || {
        let out = docker_n2(&["ps", "--format", "{{.Names}}"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == moved)
    };
    assert!(running_on_n2());
    let here = || crate::support::inspect(&c).is_some();

    // n2's own word: up, with the warning naming the name
    let doc = on_ok(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["avail"], "up", "{doc}");
    assert!(
        doc.contains(&format!("warn: renamed behind om's back: {moved}")),
        "{doc}"
    );
    // the guard of a start here refuses; a start across the nodes finds it
    let out = env.om(&[&name, "start", "--local"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("{name}: up on n2: not started here")),
        "{}",
        out.stderr
    );
    assert!(!here(), "started here while up on n2");
    let out = env.om(&[&name, "start"]).ok();
    assert!(
        out.stderr.contains("already started on n2"),
        "{}",
        out.stderr
    );
    assert!(!here(), "started here while up on n2");
    // and the status across the nodes says up on n2 alone
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["avail"], "up", "{}", out.stdout);
    assert!(v.get("split").is_none(), "{}", out.stdout);
    assert!(running_on_n2());
    // purge there finds it by its label
    assert_ok(&on(&cfg, "n2", &format!("{name} purge --local"), ""));
    assert!(!running_on_n2(), "purge left the renamed container on n2");
}

/// Removes a container of n2's engine when the test ends, however it
/// ends (purge keeps a config while one of a rid it does not name exists,
/// and never removes it).
struct OnN2<'a> {
    cfg: &'a str,
    name: String,
}

impl Drop for OnN2<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ssh")
            .args(["-F", self.cfg, "n2", "docker", "rm", "-f", &self.name])
            .output();
    }
}

/// Review of issue 21 item 2: a running container on n2 carrying the
/// service's label for a rid its config does not name (a section deleted
/// with --force, a config replaced by one with fewer sections) runs the
/// service there: n2's status says `warn`, never `down`, and shows it, so
/// the guard of a start here refuses.
#[test]
fn a_leftover_container_on_another_node_stops_a_start_here() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("lf");
    let (c, left) = (format!("{name}.container.1"), format!("{name}-left"));
    let _cleanup = Cleanup(vec![c.clone()]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    let _left = OnN2 {
        cfg: &cfg,
        name: left.clone(),
    };
    let id = env.svc_id(&name);
    // n2 can not ask this node: its start needs --force (it pulls the image)
    assert_ok(&on(&cfg, "n2", &format!("{name} start --force"), ""));
    let label = format!("com.opensvc.id={id}.container#2");
    let docker_n2 = |args: &[&str]| {
        std::process::Command::new("ssh")
            .args(["-F", &cfg, "n2", "docker"])
            .args(args)
            .output()
            .unwrap()
    };
    assert_ok(&docker_n2(&[
        "run",
        "-d",
        "--name",
        &left,
        "--label",
        &label,
        &registry_image(),
        "sleep",
        "600",
    ]));
    assert_ok(&on(&cfg, "n2", &format!("{name} stop --local"), ""));
    let running_on_n2 = || {
        let out = docker_n2(&["ps", "--format", "{{.Names}}"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == left)
    };
    assert!(running_on_n2());
    // n2's own word: warn, the leftover named with its rid and state
    let doc = on_ok(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["avail"], "warn", "{doc}");
    let r = &v["instances"][0]["resources"][1];
    assert_eq!(r["rid"], "container#2", "{doc}");
    assert_eq!(r["container"]["name"], left.as_str(), "{doc}");
    assert_eq!(r["container"]["state"], "running", "{doc}");
    // the guard of a start here refuses; a start across the nodes finds it
    let here = || crate::support::inspect(&c).is_some();
    let out = env.om(&[&name, "start", "--local"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("{name}: up on n2: not started here")),
        "{}",
        out.stderr
    );
    assert!(!here(), "started here while a container of it runs on n2");
    let out = env.om(&[&name, "start"]).ok();
    assert!(
        out.stderr.contains("already started on n2"),
        "{}",
        out.stderr
    );
    assert!(!here(), "started here while a container of it runs on n2");
    assert!(running_on_n2());
}

/// `env`, its transport the rig's own again.
fn rig_env_in(mut env: Env) -> Env {
    env.vars.retain(|(k, _)| k != "OM_RSH");
    env.vars
        .push(("OM_RSH".into(), std::env::var("OM_RSH").unwrap_or_default()));
    env
}

/// The processes of this machine (the rig's nodes are processes of it
/// too) whose argv matches `want`, as (pid, argv).
fn procs(want: impl Fn(&[String]) -> bool) -> Vec<(u32, Vec<String>)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let raw = std::fs::read(e.path().join("cmdline")).ok()?;
            let argv: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            want(&argv).then_some((pid, argv))
        })
        .collect()
}

/// Polls `cond` every 50 ms for up to `secs` seconds: whether it held.
fn within(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cond()
}

/// The names of the containers running on `node` (its own engine).
fn running_on(cfg: &str, node: &str) -> String {
    let out = std::process::Command::new("ssh")
        .args(["-F", cfg, node, "docker", "ps", "--format", "{{.Names}}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker ps on {node}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A switch from this node to n2, caught while its start on n2 is half
/// done: container#1 up there, container#2 in a slow pre_start (on n2
/// alone).
struct HalfSwitch {
    name: String,
    containers: [String; 2],
    /// the argument of the slow pre_start's `sleep`, which marks it
    marker: String,
    /// the om on n2 that runs the start, and the ssh the switch runs it by
    remote_om: u32,
    ssh: u32,
    switch: u32,
    finished: std::sync::mpsc::Receiver<std::io::Result<std::process::Output>>,
}

impl HalfSwitch {
    fn start(cfg: &str, env: &Env, name: &str) -> HalfSwitch {
        let containers = [1, 2].map(|i| format!("{name}.container.{i}"));
        let marker = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            name.hash(&mut h);
            format!("{}", 3_000_000 + h.finish() % 1_000_000)
        };
        // trigger_timeout: an om on n2 that does not end (before the fix)
        // leaves its sleep for 20 s, not for days
        let ini = format!(
            "[DEFAULT]\nnodes = {NODE} n2\ntrigger_timeout = 20s\n[container#1]\ntype = docker\nimage = {img}\ncommand = sh -c \"{LOOP}\"\n[container#2]\ntype = docker\nimage = {img}\ncommand = sh -c \"{LOOP}\"\npre_start@n2 = sleep {marker}\n",
            img = registry_image()
        );
        create(env, name, &ini);
        env.om(&[name, "start"]).ok();
        assert!(containers.iter().all(|c| running_here(c)));
        let mut switch = env.std_cmd(&[name, "switch"]);
        switch
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = switch.spawn().expect("run om switch");
        let pid = child.id();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(child.wait_with_output());
        });
        let mut half = HalfSwitch {
            name: name.to_string(),
            containers,
            marker,
            remote_om: 0,
            ssh: 0,
            switch: pid,
            finished,
        };
        assert!(
            within(60, || !half.sleeping().is_empty()),
            "no pre_start on n2"
        );
        assert!(
            running_on(cfg, "n2").contains(&half.containers[0]),
            "container#1 up on n2"
        );
        let remote_om = procs(|a| {
            a.len() > 3 && a[0] == "om" && a[1] == name && a[2] == "start" && a[3] == "--local"
        });
        assert_eq!(remote_om.len(), 1, "the om on n2: {remote_om:?}");
        half.remote_om = remote_om[0].0;
        let ssh = procs(|a| {
            a.first().is_some_and(|p| p == "ssh")
                && a.iter().any(|w| w == name)
                && a.iter().any(|w| w == "start")
        });
        assert_eq!(ssh.len(), 1, "the switch's ssh: {ssh:?}");
        half.ssh = ssh[0].0;
        half
    }

    /// The slow pre_start on n2, while it runs.
    fn sleeping(&self) -> Vec<(u32, Vec<String>)> {
        procs(|a| a.len() == 2 && a[0] == "sleep" && a[1] == self.marker)
    }

    /// After `signal` to `pid`: the om on n2 is gone within seconds, with
    /// its trigger and its own rollback (item 7); the switch ends with
    /// `code`, having stopped it there and started it again here, saying
    /// so (item 6).
    fn cut(self, cfg: &str, signal: &str, pid: u32, code: i32) {
        let name = &self.name;
        let at = std::time::Instant::now();
        let sent = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let remote = format!("/proc/{}", self.remote_om);
        let gone = within(10, || !std::path::Path::new(&remote).exists());
        let took = at.elapsed();
        assert!(
            gone && took < std::time::Duration::from_secs(5),
            "the om on n2 still ran {took:?} after kill {signal} of the switch's {}",
            if pid == self.ssh { "ssh" } else { "om" }
        );
        eprintln!("the om on n2 ended {took:?} after kill {signal}");
        assert!(self.sleeping().is_empty(), "its pre_start still sleeps");
        let out = self
            .finished
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the switch ends")
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(
            stderr.contains(&format!("{name}: start on n2: unreachable")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("stop there, then start again on {NODE}"))
                && stderr.contains(&format!("not switched, started again on {NODE}")),
            "{stderr}"
        );
        assert!(
            self.containers.iter().all(|c| running_here(c)),
            "up here again: {stderr}"
        );
        let there = running_on(cfg, "n2");
        assert!(
            self.containers.iter().all(|c| !there.contains(c)),
            "{there}"
        );
        // the om on n2 rolled back itself, and said why in its log
        let log = on_ok(cfg, "n2", &format!("{name} logs"));
        assert!(
            log.contains("the ssh session of the node that ran this, ended")
                && log.contains("rollback"),
            "{log}"
        );
    }
}

fn running_here(container: &str) -> bool {
    crate::support::inspect(container).is_some_and(|v| v["State"]["Running"] == true)
}

/// Issue 21, items 6 and 7, on the rig's real sshd: the ssh client of a
/// switch's remote start is killed while the start is half done on n2.
/// sshd signals nothing to the om there: it reads the end of its stdin,
/// the lifeline, and stops with its rollback; the switch stops it there
/// and starts it again here, saying so: never down on both, never up on
/// both.
#[test]
fn a_switch_whose_ssh_is_killed_mid_start_ends_the_om_there_and_starts_again_here() {
    cut_switch("mk", "-KILL", |h| h.ssh, 1);
}

/// A switch half done on n2 (`HalfSwitch`) cut by `signal` sent to the
/// process `who` picks: the switch exits `code`, and the service is back
/// here (see `HalfSwitch::cut`).
fn cut_switch(prefix: &str, signal: &str, who: impl Fn(&HalfSwitch) -> u32, code: i32) {
    let cfg = rig();
    let env = rig_env();
    let name = unique(prefix);
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
    ]);
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    let half = HalfSwitch::start(&cfg, &env, &name);
    let pid = who(&half);
    half.cut(&cfg, signal, pid, code);
    env.om(&[&name, "purge"]).ok();
}

/// The same when the switch itself is stopped (SIGTERM) mid-start on n2:
/// it kills its ssh (as at the bound of a remote action), the om on n2
/// ends, and the switch's rollback puts the service back here before it
/// exits 143.
#[test]
fn a_switch_stopped_mid_start_ends_the_om_there_and_starts_again_here() {
    cut_switch("mt", "-TERM", |h| h.switch, 143);
}

#[test]
fn another_service_at_the_same_path_on_another_node_is_never_acted_on() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("mi");
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    // n2's own service at this path
    let out = on(
        &cfg,
        "n2",
        &format!("{name} create --local --config=-"),
        "[DEFAULT]\nnodes = n2\n[container#1]\ntype = docker\nimage = nginx\n",
    );
    assert_ok(&out);
    let id2 = on_ok(&cfg, "n2", &format!("{name} get --kw id"));
    let id2 = id2.trim();
    // here, one with nodes = this node and n2: n2 keeps its own
    let out = env
        .om_stdin(
            &[&name, "create", "--config=-"],
            &format!("[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = nginx\n"),
        )
        .code(1);
    assert!(
        out.stderr
            .contains("a node never takes another id for a path"),
        "{}",
        out.stderr
    );
    // status: n2's answer is no word on this service
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    let line = st.lines().find(|l| l.contains(" n2 ")).unwrap();
    assert!(
        line.contains(" unknown ")
            && line.contains(&format!("n2 has another service at {name} (id {id2})")),
        "{st}"
    );
    env.om(&[&name, "status"]).code(4);
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "n2 can not tell whether the service runs there (n2 has another service at {name}"
        )),
        "{}",
        out.stderr
    );
    // a purge here leaves n2's alone
    let out = env.om(&[&name, "purge"]).code(1);
    assert!(
        out.stderr
            .contains("another service at this path, not acted on"),
        "{}",
        out.stderr
    );
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{name} get --kw id")).trim(),
        id2
    );
}

#[test]
fn a_node_without_the_config_is_not_started_on_and_has_nothing_to_remove() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("ma");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    // written here alone: n2, first of nodes, has no config of it
    env.om_stdin(
        &[&name, "create", "--local", "--config=-"],
        &format!(
            "[DEFAULT]\nnodes = n2 {NODE}\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    )
    .ok();
    // provision goes to the first node that can start it: this one
    let out = env.om(&[&name, "provision"]).ok();
    assert!(
        out.stderr
            .contains("images not pulled on n2: has no config of the service"),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&format!("{name}.container.1"))
        .is_some_and(|v| v["State"]["Running"] == true));
    env.om(&[&name, "status"]).ok();
    // unprovision and purge: n2 has nothing to do
    env.om(&[&name, "unprovision"]).ok();
    env.om(&[&name, "purge"]).ok();
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_none());
}

#[test]
fn a_change_made_on_any_node_reaches_the_two_others() {
    let cfg = rig();
    let name = unique("m3s");
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    let out = on(
        &cfg,
        "n1",
        &format!("{name} create --config=-"),
        "[DEFAULT]\nnodes = n1 n2 n3\n[container#1]\ntype = docker\nimage = nginx\n",
    );
    assert_ok(&out);
    // n2 had it from n1 alone: its change goes to n1 and to n3
    let out = on(&cfg, "n2", &format!("{name} set --kw env.WHO=n2"), "");
    assert_ok(&out);
    for node in ["n1", "n3"] {
        assert_eq!(
            on_ok(&cfg, node, &format!("{name} get --kw env.WHO")),
            "n2\n",
            "{node}"
        );
    }
    // and n1's next one, made on n2's, to both
    let out = on(&cfg, "n1", &format!("{name} set --kw env.WHO=n1"), "");
    assert_ok(&out);
    for node in ["n2", "n3"] {
        assert_eq!(
            on_ok(&cfg, node, &format!("{name} get --kw env.WHO")),
            "n1\n",
            "{node}"
        );
    }
    // a change made on n3 alone (--local) is not replaced by n1's next one
    on_ok(&cfg, "n3", &format!("{name} set --local --kw env.WHO=n3"));
    let out = on(&cfg, "n1", &format!("{name} set --kw env.WHO=again"), "");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not installed on n3: the config of"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        on_ok(&cfg, "n3", &format!("{name} get --kw env.WHO")),
        "n3\n"
    );
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{name} get --kw env.WHO")),
        "again\n"
    );
    on_ok(&cfg, "n1", &format!("{name} purge"));
}

#[test]
fn the_secrets_a_service_uses_travel_with_it() {
    let cfg = rig();
    let name = unique("mk");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let _remote = Remote {
        cfg: &cfg,
        name: name.clone(),
    };
    let sec = format!("sec/{name}");
    let _secrets = SecretsGone {
        cfg: &cfg,
        path: sec.clone(),
    };
    on_ok(&cfg, "n1", &format!("{sec} create"));
    assert_ok(&on(
        &cfg,
        "n1",
        &format!("{sec} add --key pw --from -"),
        "v1-secret",
    ));
    let out = on(
        &cfg,
        "n1",
        &format!("{name} create --config=-"),
        &format!(
            "[DEFAULT]\nnodes = n1 n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\nsecrets_environment = PW={name}/pw\n",
            registry_image()
        ),
    );
    assert_ok(&out);
    // the secret went before the config that names it
    let err = String::from_utf8_lossy(&out.stderr);
    let (s, c) = (
        err.find(&format!("n2 om {sec} sync --receive")),
        err.find(&format!("n2 om {name} sync --receive")),
    );
    assert!(s.is_some() && c.is_some() && s < c, "{err}");
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{sec} decode --key pw")),
        "v1-secret"
    );
    // a change of the secret reaches the nodes of the services that use it
    assert_ok(&on(
        &cfg,
        "n1",
        &format!("{sec} change --key pw --from -"),
        "v2-secret",
    ));
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{sec} decode --key pw")),
        "v2-secret"
    );
    // and the container on n2 has it
    on_ok(&cfg, "n1", &format!("{name} switch --to n2"));
    let env = std::process::Command::new("ssh")
        .args([
            "-F",
            &cfg,
            "n2",
            "docker",
            "exec",
            &format!("{name}.container.1"),
            "env",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&env.stdout)
            .lines()
            .any(|l| l == "PW=v2-secret"),
        "{}",
        String::from_utf8_lossy(&env.stderr)
    );
    on_ok(&cfg, "n1", &format!("{name} purge"));
}

/// Deletes a secret on the rig's nodes when the test ends.
struct SecretsGone<'a> {
    cfg: &'a str,
    path: String,
}

impl Drop for SecretsGone<'_> {
    fn drop(&mut self) {
        for node in ["n1", "n2", "n3"] {
            let _ = on(self.cfg, node, &format!("{} delete", self.path), "");
        }
    }
}

/// `--lifeline` (what a remote action runs with) is stdin itself: a
/// command that reads stdin refuses it, a usage error naming it.
#[test]
fn the_lifeline_is_refused_by_a_command_that_reads_stdin() {
    let env = Env::new();
    for args in [
        &["x", "create", "--config=-", "--lifeline"][..],
        &["x", "sync", "--receive", "--lifeline"],
    ] {
        let out = env.om_stdin(args, "[DEFAULT]\n").code(2);
        assert!(
            out.stderr.contains("--lifeline: this command reads stdin"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!env.conf("x").exists(), "{args:?}: nothing written");
    }
}

/// One container looping on the registry's image, on `nodes`.
fn looping(nodes: &str) -> String {
    format!(
        "[DEFAULT]\nnodes = {nodes}\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    )
}

/// Issue 21 review (A): a remote shell that does not pass stdin (`ssh -n`,
/// `StdinNull yes`) gives the remote om an empty lifeline. The first byte
/// the switch's om writes into it never comes: the om there refuses before
/// it acts, naming the cause, never a hangup (129) in the middle of a
/// start.
#[test]
fn a_remote_shell_that_does_not_pass_stdin_is_named_and_nothing_runs_there() {
    let cfg = rig();
    let name = unique("mn");
    let container = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![container.clone()]);
    let mut env = rig_env();
    create(&env, &name, &looping(&format!("n2 {NODE}")));
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    let rsh = std::env::var("OM_RSH").unwrap_or_default();
    env.vars.retain(|(k, _)| k != "OM_RSH");
    env.vars.push(("OM_RSH".into(), format!("{rsh} -n")));
    // the start goes to n2, the first node of nodes
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "{name}: start on n2: --lifeline: stdin ended before its first byte: the remote shell does not pass stdin (ssh -n? StdinNull?); om needs it to tie this action to its session"
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hangup"), "{}", out.stderr);
    assert!(!running_on(&cfg, "n2").contains(&container));
    // nothing done there: no action in its log
    let log =
        String::from_utf8_lossy(&on(&cfg, "n2", &format!("{name} logs"), "").stdout).into_owned();
    assert!(!log.contains("start"), "{log}");
    let env = rig_env_in(env);
    env.om(&[&name, "purge"]).ok();
}

/// Issue 21 review (C): a node whose om is older (it knows no
/// `--lifeline`) refuses the switch's start there with a usage error (exit
/// 2) before it does anything: nothing ran there, so the switch needs no
/// stop there (which that om would refuse the same way) and starts the
/// service again here; never down on both.
#[test]
fn a_switch_to_a_node_whose_om_refuses_its_command_line_starts_again_here() {
    let cfg = rig();
    let name = unique("mo");
    let container = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![container.clone()]);
    // the real transport to the real n2, whose om answers as one without
    // --lifeline does (clap's usage error)
    let script = r#"case " $* " in *" --lifeline "*) printf "error: unexpected argument '--lifeline' found\n\nUsage: om <SELECTOR> start [OPTIONS]\n" >&2; exit 2;; esac
exec $RSH "$@""#;
    let env = scripted_env(script);
    create(&env, &name, &looping(&format!("{NODE} n2")));
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start"]).ok();
    assert!(running_here(&container));
    let out = env.om(&[&name, "switch"]).code(1);
    assert!(
        out.stderr.contains("the start on n2 ran nothing there")
            && out
                .stderr
                .contains(&format!("not switched, started again on {NODE}")),
        "{}",
        out.stderr
    );
    assert!(running_here(&container), "up here again: {}", out.stderr);
    assert!(!running_on(&cfg, "n2").contains(&container));
    let env = rig_env_in(env);
    env.om(&[&name, "purge"]).ok();
}

/// Issue 21 review (B, D): a stop that stopped but could not keep its
/// whole log (a full disk: a real ENOSPC, on a tmpfs of the test's own as
/// this node's log tree) fails (item 8), yet docker says the service is
/// down there: a switch goes on to its target rather than leave it down
/// everywhere; and back, whose stop on the target fails the same way,
/// starts it again where it ran, through that node's guard.
#[test]
fn a_full_log_never_turns_a_switch_into_an_outage() {
    let cfg = rig();
    let name = unique("mf");
    let container = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![container.clone()]);
    let env = rig_env();
    let tmpfs = crate::host_faults::Tmpfs::mount(&env.root().join("log"));
    create(&env, &name, &looping(&format!("{NODE} n2")));
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start"]).ok();
    assert!(running_here(&container));
    // full: not a byte more (the log file's last page, which still had
    // room, gone with it)
    std::fs::remove_file(env.root().join(format!("log/{name}.log"))).unwrap();
    tmpfs.fill();
    // the stop here stops and fails on its log; docker says it is down
    // here: on to n2
    let out = env.om(&[&name, "switch"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "{name}: switched to n2; the stop on {NODE} failed ("
        )) && out.stderr.contains("its log lost lines")
            && out
                .stderr
                .contains("though docker says the service is down there"),
        "{}",
        out.stderr
    );
    assert!(!running_here(&container), "{}", out.stderr);
    assert!(
        running_on(&cfg, "n2").contains(&container),
        "{}",
        out.stderr
    );
    // back: the start here can not begin (its log), back's stop here
    // fails the same way, docker says it is down here: started again on
    // n2. (--force: n2's guard asks this node, which the rig's n2 can not
    // reach: the test's own root is no node of the rig; an unknown node is
    // the operator's decision.)
    let out = env.om(&[&name, "switch", "--to", NODE, "--force"]).code(1);
    assert!(
        out.stderr.contains("its log") && out.stderr.contains("not switched, started again on n2"),
        "{}",
        out.stderr
    );
    assert!(!running_here(&container), "{}", out.stderr);
    assert!(
        running_on(&cfg, "n2").contains(&container),
        "{}",
        out.stderr
    );
    // without --force, back's start on n2 goes through n2's guard (no
    // --force of its own): it can not ask this node, and refuses
    let out = env.om(&[&name, "switch", "--to", NODE]).code(1);
    assert!(
        out.stderr.contains("the start again on n2 failed too")
            && out
                .stderr
                .contains("can not tell whether the service runs there"),
        "{}",
        out.stderr
    );
    assert!(!running_here(&container), "{}", out.stderr);
    drop(tmpfs);
    env.om(&[&name, "purge"]).ok();
}

/// Issue 21 review (E): a start that fails on its own rolls back; the
/// session that ran it dropping then (its lifeline's end, a hangup, here
/// the om a remote action runs, with its stdin held by the test) does not
/// cut that rollback short: the rollback finishes, nothing is left up,
/// and om exits 129 for the hangup.
#[test]
fn a_rollback_under_way_finishes_when_the_session_drops() {
    use std::io::{BufRead, Write};
    crate::support::engine();
    let env = Env::new();
    let name = unique("mr");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone(), format!("{name}.container.2")]);
    // container#1's sleep (its pid 1) ignores SIGTERM: its stop in the
    // rollback takes stop_timeout; container#2 exits at once: the start
    // fails on its own (its health check, which never runs before the
    // exit, makes om wait for healthy and see the exit, whatever the load:
    // without one an inspect before `false` ran reads "running")
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = {img}\ncommand = sleep 1000\nstop_timeout = 3s\n[container#2]\ntype = docker\nimage = {img}\ncommand = false\nrun_args = --health-cmd true --health-interval 60s --health-start-period 60s\n",
            img = registry_image()
        ),
    );
    let mut start = env.std_cmd(&[&name, "start", "--local", "--lifeline"]);
    start
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = start.spawn().expect("run om start");
    let mut line = child.stdin.take().unwrap();
    line.write_all(b"\n").unwrap();
    let mut said = String::new();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut rolling_back = false;
    loop {
        let mut l = String::new();
        if stderr.read_line(&mut l).unwrap() == 0 {
            break;
        }
        said.push_str(&l);
        rolling_back |= l.contains(" rollback");
        // the rollback's docker stop of container#1 under way: the
        // session drops
        if rolling_back && l.contains("container#1") && l.contains("docker stop") {
            std::thread::sleep(std::time::Duration::from_millis(300));
            break;
        }
    }
    assert!(rolling_back, "{said}");
    drop(line);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    said.push_str(&rest);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(129), "{said}");
    assert!(!said.contains("rollback: "), "the rollback was cut: {said}");
    assert!(!running_here(&c1), "left up: {said}");
    env.om(&[&name, "purge"]).ok();
}

/// A config change made on a node that holds nothing of the service (it
/// runs on n2) moves nothing where it runs: n2 refuses to install a config
/// that would move the service to another engine while its containers
/// exist there (a second review of issue 21: the synced config made n2's
/// status read an empty private daemon, `down`, and a start here passed
/// the guard), and its status still says up.
#[test]
fn a_synced_engine_change_never_moves_a_service_where_it_runs() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("se");
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    assert_ok(&on(&cfg, "n2", &format!("{name} start --force"), ""));
    let before = on_ok(&cfg, "n2", &format!("{name} print config"));
    let data = env.root().join("data").join(&name);
    let out = env.om(&[
        &name,
        "set",
        "--kw",
        &format!("docker_data_dir={}", data.display()),
    ]);
    assert!(
        out.stderr
            .contains("moves the service to another docker engine (docker_data_dir) while containers of the service exist"),
        "{}",
        out.stderr
    );
    assert_eq!(
        on_ok(&cfg, "n2", &format!("{name} print config")),
        before,
        "n2 installed the move"
    );
    let doc = on_ok(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["avail"], "up", "{doc}");
    assert_ok(&on(&cfg, "n2", &format!("{name} purge --local"), ""));
}

/// A node is never dropped from `nodes` while the service runs there (a
/// hostile run of issue 21: `set nodes=` this node alone while it ran on
/// n2 stopped the config sync and the guard's question to n2, and a start
/// here made a second copy). Once it stops there, the node is dropped.
#[test]
fn a_node_where_the_service_runs_is_never_dropped_from_its_nodes() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("nd");
    let c = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c.clone()]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    assert_ok(&on(&cfg, "n2", &format!("{name} start --force"), ""));
    let before = env.read_conf(&name);
    let out = env
        .om(&[&name, "set", "--kw", &format!("nodes={NODE}")])
        .code(1);
    assert!(
        out.stderr
            .contains("the change drops n2 from the service's nodes while it runs there"),
        "{}",
        out.stderr
    );
    assert_eq!(env.read_conf(&name), before, "the config was written");
    let out = env.om(&[&name, "start"]).ok();
    assert!(
        out.stderr.contains("already started on n2"),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&c).is_none(), "a second copy here");
    assert_ok(&on(&cfg, "n2", &format!("{name} stop --local"), ""));
    env.om(&[&name, "set", "--kw", &format!("nodes={NODE}")])
        .ok();
    assert_ok(&on(&cfg, "n2", &format!("{name} purge --local"), ""));
    env.om(&[&name, "purge"]).ok();
}
