//! A service on several nodes, seen from this one (SPEC 12): print status
//! asks the other nodes over real ssh (the rig of scripts/test: n2 and n3,
//! each an sshd with its own om root and its own dockerd, and n1, an sshd
//! whose login is this host on the host engine, with an om root of its
//! own; every node reaches the others through OM_RSH).

use crate::support::{create, engine, registry_image, unique, Cleanup, Env, LOOP, NODE};
use serde_json::Value;

/// The rig's ssh client config, which `OM_RSH` (set by scripts/test) uses.
fn rig() -> String {
    engine();
    let rsh = std::env::var("OM_RSH").unwrap_or_default();
    let cfg = std::env::var("OM_TEST_SSH_CONFIG").unwrap_or_else(|_| {
        panic!(
            "OM_TEST_SSH_CONFIG is not set: run scripts/test, which brings up the nodes n1, n2 and n3"
        )
    });
    assert!(
        rsh.contains(&cfg),
        "OM_RSH ({rsh}) must use the rig's ssh config: run scripts/test"
    );
    cfg
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

/// Purges the service on its node when the test ends, however it ends.
struct Remote<'a> {
    cfg: &'a str,
    node: &'static str,
    name: String,
}

impl Drop for Remote<'_> {
    fn drop(&mut self) {
        let _ = on(self.cfg, self.node, &format!("{} purge", self.name), "");
    }
}

/// The same config on `node`, purged there when the test ends.
fn create_on<'a>(cfg: &'a str, node: &'static str, name: &str, ini: &str) -> Remote<'a> {
    let out = on(cfg, node, &format!("{name} create --config=-"), ini);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Remote {
        cfg,
        node,
        name: name.to_string(),
    }
}

fn create_on_n2<'a>(cfg: &'a str, name: &str, ini: &str) -> Remote<'a> {
    create_on(cfg, "n2", name, ini)
}

#[test]
fn print_status_shows_an_instance_per_node() {
    let cfg = rig();
    let env = Env::new();
    let name = unique("mn");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    );
    create(&env, &name, &ini);
    // the same config on n2 (n3 has none: its om says so)
    let _remote = create_on_n2(&cfg, &name, &ini);
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

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
        node_lines[2].contains(" n3 ")
            && node_lines[2].contains(" unknown ")
            && node_lines[2].contains("does not exist"),
        "{st}"
    );

    // the same in JSON, with the schema
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["schema"], 2);
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

    // the guard here: n2 says it runs there, so no start here
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("{name}: up on n2: not started here")),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_none());
    let out = env.om(&[&name, "start", "--force"]).code(1);
    assert!(
        out.stderr.contains("up on n2"),
        "--force does not override a node that says it runs there"
    );

    // stopped there, started here; then n2, unable to ask this node, is
    // forced: up on both, a split brain that status says
    let out = on(&cfg, "n2", &format!("{name} stop"), "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.om(&[&name, "start"]).ok();
    let out = on(&cfg, "n2", &format!("{name} start --force"), "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.lines()
            .next()
            .unwrap()
            .contains(&format!("warn       warn: up on {NODE} and n2")),
        "{st}"
    );
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_start_that_can_not_ask_a_node_needs_force() {
    let _cfg = rig();
    let env = Env::new();
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
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_start_on_a_disaster_recovery_node_needs_force() {
    let _cfg = rig();
    let env = Env::new();
    let name = unique("md");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        &format!("[DEFAULT]\nnodes = n2\ndrpnodes = {NODE}\n[container#1]\ntype = docker\nimage = nginx\n"),
    );
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains("is a disaster recovery node"),
        "{}",
        out.stderr
    );
    // n2 has no such service: nothing runs there, the forced start goes on
    env.om(&[&name, "start", "--force"]).ok();
    assert!(crate::support::inspect(&format!("{name}.container.1")).is_some());
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_node_ssh_can_not_reach_is_unknown_never_down() {
    let _cfg = rig();
    let env = Env::new();
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
    let env = Env::new();
    let name = unique("ms");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    );
    create(&env, &name, &ini);
    let _remote = create_on_n2(&cfg, &name, &ini);
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
    let env = Env::new();
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("n1|{n1_root}|{host_engine}\n")
    );

    // and om itself: from n2, a docker passthrough on n1
    let name = unique("m1");
    let ini = "[DEFAULT]\nnodes = n1 n2\n[container#1]\ntype = docker\nimage = nginx\n";
    let _n1 = create_on(&cfg, "n1", &name, ini);
    let _n2 = create_on_n2(&cfg, &name, ini);
    let out = on(
        &cfg,
        "n2",
        &format!("{name} docker --node n1 info --format '{{{{.ID}}}}'"),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{host_engine}\n")
    );
}

#[test]
fn docker_node_runs_the_passthrough_on_that_node() {
    let cfg = rig();
    let env = Env::new();
    let name = unique("mp");
    let c1 = format!("{name}.container.1");
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    );
    create(&env, &name, &ini);
    let _remote = create_on_n2(&cfg, &name, &ini);
    // n2 can not reach this node through the rig's ssh: --force
    let out = on(&cfg, "n2", &format!("{name} start --force"), "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

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
