//! A service Pacemaker runs (SPEC 18), on real clusters of the rig
//! (scripts/rig/pacemaker.sh, tests/it/cluster.rs): `pacemaker apply` is
//! idempotent on one node; on two, om's start and switch go through
//! Pacemaker, a node whose link is cut loses the service to the other, and
//! a drp node is never chosen.
//!
//! The cluster's nodes are the ssh rig's n2 and n3 (Pacemaker's node names
//! are om's): each node's pacemakerd, hence the agent and the om it runs,
//! has that om node's environment (its root, its dockerd), as its sshd
//! gives a login there. The om of these tests runs on this machine as n2,
//! with Pacemaker's tools entered into n2's namespaces (`OM_PACEMAKER`).

use crate::cluster::{Cluster, NodeSpec};
use crate::support::{create, engine, registry_image, unique, wait_for, Env, LOOP};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ONE: OnceLock<Cluster> = OnceLock::new();
static TWO: OnceLock<Cluster> = OnceLock::new();

/// The om under test, which the agent runs (its `om` parameter).
fn om_bin() -> String {
    assert_cmd::cargo::cargo_bin("om").display().to_string()
}

/// The ssh rig's directory (scripts/test brings it up).
fn rig_dir() -> String {
    engine();
    std::env::var("OM_TEST_RIG")
        .unwrap_or_else(|_| panic!("OM_TEST_RIG is not set: run scripts/test (nodes n2, n3)"))
}

/// What a login on rig node `node` has: its name, root and engine.
fn node_env(node: &str) -> Vec<(&'static str, String)> {
    let rig = rig_dir();
    vec![
        ("OSVC_NODENAME", node.to_string()),
        ("OSVC_ROOT_PATH", format!("{rig}/{node}/root")),
        ("DOCKER_HOST", format!("unix://{rig}/{node}/docker.sock")),
    ]
}

/// om as rig node `node`, Pacemaker's tools entered on cluster node `node`.
fn as_node(c: &Cluster, node: &str) -> Env {
    let mut env = Env::new();
    for (k, v) in node_env(node) {
        env.vars.push((k.into(), v));
    }
    env.vars
        .push(("OM_RSH".into(), std::env::var("OM_RSH").unwrap_or_default()));
    env.vars.push((
        "OM_PACEMAKER".into(),
        format!("{} {node}", c.dir.join("on").display()),
    ));
    env
}

/// `docker ARGS` on rig node `node`'s engine.
fn docker_on(node: &str, args: &[&str]) -> std::process::Output {
    let host = &node_env(node)[2].1;
    std::process::Command::new("docker")
        .args(["-H", host])
        .args(args)
        .output()
        .expect("docker")
}

fn running_on(node: &str, container: &str) -> bool {
    let out = docker_on(node, &["inspect", "-f", "{{.State.Running}}", container]);
    String::from_utf8_lossy(&out.stdout).trim() == "true"
}

/// The cluster of `slot` on `nodes` (the rig's n2, n3), each node running
/// with that om node's environment, the agent installed on each by
/// `om ocf install` (into the node's own OCF directory).
fn cluster(slot: &'static OnceLock<Cluster>, nodes: &[&'static str]) -> &'static Cluster {
    let specs: Vec<NodeSpec> = nodes
        .iter()
        .map(|n| NodeSpec {
            name: n,
            env: node_env(n),
        })
        .collect();
    let fresh = slot.get().is_none();
    let c = Cluster::shared(slot, &specs);
    if fresh {
        for n in nodes {
            c.on_ok(n, &[&om_bin(), "ocf", "install"]);
        }
    }
    c
}

/// Stops the test's resources on each node of the cluster (each side of a
/// cut link: a partition has its CIB), removes its containers from the rig
/// nodes' engines, then its services from their roots, whatever happens.
struct Gone {
    cluster: &'static Cluster,
    containers: Vec<(&'static str, String)>,
    services: Vec<String>,
}

impl Drop for Gone {
    fn drop(&mut self) {
        for node in &self.cluster.nodes {
            for svc in &self.services {
                let rsc = format!("om-{svc}");
                let stop = [
                    "--meta",
                    "--set-parameter",
                    "target-role",
                    "--parameter-value",
                    "Stopped",
                ];
                let mut args = vec!["crm_resource", "--resource", &rsc];
                args.extend(stop);
                let _ = self.cluster.on(node, &args);
            }
            let _ = self
                .cluster
                .on(node, &["crm_resource", "--wait", "--timeout", "60s"]);
        }
        for (node, c) in &self.containers {
            let _ = docker_on(node, &["rm", "-f", c]);
        }
        for svc in &self.services {
            let mut om = std::process::Command::new(om_bin());
            om.args([svc.as_str(), "delete"]);
            for (k, v) in node_env("n2") {
                om.env(k, v);
            }
            let _ = om
                .env("OM_RSH", std::env::var("OM_RSH").unwrap_or_default())
                .output();
        }
    }
}

/// Where Pacemaker runs `rsc`, as crm_mon on cluster node `node` says.
fn pacemaker_runs(c: &Cluster, node: &str, rsc: &str) -> Vec<String> {
    let out = c.on(
        node,
        &["crm_resource", "--locate", "--resource", rsc, "--quiet"],
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn epoch(c: &Cluster, node: &str) -> String {
    let cib = c.on_ok(node, &["cibadmin", "--query"]);
    let at = cib.find(" epoch=\"").expect("an epoch") + 8;
    cib[at..].split('"').next().unwrap_or_default().to_string()
}

fn ini(nodes: &str, drpnodes: &str) -> String {
    let drp = if drpnodes.is_empty() {
        String::new()
    } else {
        format!("drpnodes = {drpnodes}\n")
    };
    format!(
        "[DEFAULT]\nnodes = {nodes}\n{drp}orchestrate = ha\n\
         [container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\nstop_timeout = 2s\n",
        registry_image()
    )
}

#[test]
fn on_one_node_apply_writes_once_start_stop_restart_ask_pacemaker_and_its_fail_counts_show() {
    let c = cluster(&ONE, &["n2"]);
    let env = as_node(c, "n2");
    let name = unique("pm");
    let rsc = format!("om-{name}");
    let _gone = Gone {
        cluster: c,
        containers: vec![("n2", format!("{name}.container.1"))],
        services: vec![name.clone()],
    };
    create(&env, &name, &ini("n2", ""));
    let args = [
        "pacemaker",
        "apply",
        "--om",
        &om_bin(),
        "--allow-no-fencing",
    ];
    let before = epoch(c, "n2");
    env.om(&[&[name.as_str()][..], &args].concat()).ok();
    let applied = epoch(c, "n2");
    assert_ne!(before, applied, "apply wrote nothing");
    let config = c.on_ok("n2", &["cibadmin", "--query", "--scope", "configuration"]);
    assert!(
        config.contains(&format!(
            "<primitive id=\"{rsc}\" class=\"ocf\" provider=\"om\" type=\"svc\""
        )),
        "{config}"
    );
    let again = env.om(&[&[name.as_str()][..], &args].concat()).ok();
    assert!(again.stderr.contains("unchanged"), "{}", again.stderr);
    assert_eq!(epoch(c, "n2"), applied, "a second apply changed the CIB");
    assert_eq!(
        c.on_ok("n2", &["cibadmin", "--query", "--scope", "configuration"]),
        config
    );
    // start and stop ask Pacemaker, which runs the agent, which runs om
    env.om(&[&name, "start"]).ok();
    assert_eq!(pacemaker_runs(c, "n2", &rsc), ["n2"]);
    assert!(running_on("n2", &format!("{name}.container.1")));
    let doc: serde_json::Value = serde_json::from_str(
        &env.om(&[&name, "print", "status", "--format", "json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(
        doc["pacemaker"]["running_on"],
        serde_json::json!(["n2"]),
        "{doc}"
    );
    assert_eq!(doc["pacemaker"]["managed"], true);
    // --dry-run says what it would ask, and asks nothing
    let dry = env.om(&[&name, "stop", "--dry-run"]).ok();
    assert!(
        dry.stderr.contains("--parameter-value Stopped"),
        "{}",
        dry.stderr
    );
    assert_eq!(pacemaker_runs(c, "n2", &rsc), ["n2"]);
    // a container killed behind om's back: Pacemaker's monitor sees it,
    // starts it again, and the status shows the fail count
    assert!(docker_on("n2", &["kill", &format!("{name}.container.1")])
        .status
        .success());
    wait_for("a fail count on n2", Duration::from_secs(40), || {
        let doc: serde_json::Value = serde_json::from_str(
            &env.om(&[&name, "print", "status", "--format", "json"])
                .stdout,
        )
        .unwrap_or_default();
        doc["pacemaker"]["fail_counts"] == serde_json::json!([{"node": "n2", "count": "1"}])
    });
    wait_for("started again", Duration::from_secs(40), || {
        running_on("n2", &format!("{name}.container.1"))
    });
    env.om(&[&name, "stop"]).ok();
    assert!(pacemaker_runs(c, "n2", &rsc).is_empty());
    assert!(!running_on("n2", &format!("{name}.container.1")));
    env.om(&[&name, "status", "--local"]).code(1);
    // a restart of a service Pacemaker runs nowhere starts it
    env.om(&[&name, "restart"]).ok();
    assert_eq!(pacemaker_runs(c, "n2", &rsc), ["n2"]);
    env.om(&[&name, "stop"]).ok();
}

#[test]
fn switch_moves_through_pacemaker_a_cut_link_fails_over_and_a_drp_node_is_never_chosen() {
    let c = cluster(&TWO, &["n2", "n3"]);
    let env = as_node(c, "n2");
    let (web, drp) = (unique("pw"), unique("pd"));
    let (web_c, drp_c) = (format!("{web}.container.1"), format!("{drp}.container.1"));
    let _gone = Gone {
        cluster: c,
        containers: vec![
            ("n2", web_c.clone()),
            ("n3", web_c.clone()),
            ("n2", drp_c.clone()),
            ("n3", drp_c.clone()),
        ],
        services: vec![web.clone(), drp.clone()],
    };
    // web may run on n2 or n3; drp on n2 only, n3 its disaster recovery node
    create(&env, &web, &ini("n2 n3", ""));
    create(&env, &drp, &ini("n2", "n3"));
    for svc in [&web, &drp] {
        env.om(&[
            svc,
            "pacemaker",
            "apply",
            "--om",
            &om_bin(),
            "--allow-no-fencing",
        ])
        .ok();
        env.om(&[svc, "start"]).ok();
    }
    let (web_r, drp_r) = (format!("om-{web}"), format!("om-{drp}"));
    assert_eq!(pacemaker_runs(c, "n2", &web_r), ["n2"]);
    assert!(running_on("n2", &web_c));
    // switch: the next node, through Pacemaker; the move is said, and how to clear it
    let t0 = Instant::now();
    let out = env.om(&[&web, "switch"]).ok();
    let switched = t0.elapsed();
    assert!(
        out.stderr.contains("crm_resource --move --resource"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("crm_resource --clear --resource {web_r}")),
        "{}",
        out.stderr
    );
    assert_eq!(pacemaker_runs(c, "n2", &web_r), ["n3"]);
    assert!(running_on("n3", &web_c) && !running_on("n2", &web_c));
    let doc: serde_json::Value = serde_json::from_str(
        &env.om(&[&web, "print", "status", "--format", "json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(doc["pacemaker"]["moved_to"], "n3", "{doc}");
    eprintln!("switch n2 -> n3 through Pacemaker: {switched:?}");
    // cleared, it stays on n3 (stickiness): no fail back
    c.on_ok("n2", &["crm_resource", "--clear", "--resource", &web_r]);
    c.on_ok("n2", &["crm_resource", "--wait", "--timeout", "60s"]);
    assert_eq!(pacemaker_runs(c, "n2", &web_r), ["n3"]);
    // the drp node: refused by om before Pacemaker is asked anything
    let out = env.om(&[&drp, "switch", "--to", "n3"]).code(1);
    assert!(
        out.stderr.contains("disaster recovery node"),
        "{}",
        out.stderr
    );
    assert_eq!(pacemaker_runs(c, "n2", &drp_r), ["n2"]);
    // n3 loses its link: n2's side starts web there. No fencing here: n3,
    // cut off, keeps it running too: the split brain fencing prevents.
    let t0 = Instant::now();
    c.on_ok("n3", &["ip", "link", "set", "omlink", "down"]);
    wait_for(
        "web started on n2 by Pacemaker",
        Duration::from_secs(90),
        || running_on("n2", &web_c),
    );
    eprintln!("failover after the link cut: {:?}", t0.elapsed());
    assert_eq!(pacemaker_runs(c, "n2", &web_r), ["n2"]);
    assert!(
        running_on("n3", &web_c),
        "without fencing, n3 keeps running web: both nodes run it"
    );
    // drp never goes to n3, not even on n3's side of the cut
    std::thread::sleep(Duration::from_secs(5));
    assert!(!running_on("n3", &drp_c));
    assert!(!pacemaker_runs(c, "n3", &drp_r).contains(&"n3".to_string()));
}
