//! The multi-node rig itself, over real ssh (SPEC 9): scripts/test brings
//! up nodes n2 and n3 on this machine, each a dockerd of its own and an sshd
//! on 127.0.0.1 whose SetEnv makes a login that node, and n1, an sshd alone
//! whose login is this host on the host engine; it names its ssh config in
//! OM_TEST_SSH_CONFIG and its directory in OM_TEST_RIG. These tests
//! never skip: without the rig, or with a node that does not answer, they
//! fail, saying why.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The nodes with an engine of their own.
const NODES: [&str; 2] = ["n2", "n3"];
/// Every node: n1 is this host, on the host engine.
const ALL_NODES: [&str; 3] = ["n1", "n2", "n3"];

/// What scripts/test exported.
struct Rig {
    /// The ssh config with a `Host` per node.
    ssh_config: PathBuf,
    /// The rig directory: NODE/root is a node's OSVC_ROOT_PATH, NODE/docker.sock
    /// its engine's socket, NODE/docker its data-root.
    dir: PathBuf,
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Result<Rig, String>> = OnceLock::new();
    let r = RIG.get_or_init(|| {
        let var = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .ok_or_else(|| format!("{name} is unset"))
        };
        let rig = Rig {
            ssh_config: var("OM_TEST_SSH_CONFIG")?,
            dir: var("OM_TEST_RIG")?,
        };
        if !rig.ssh_config.is_file() {
            return Err(format!("{} is missing", rig.ssh_config.display()));
        }
        Ok(rig)
    });
    match r {
        Ok(rig) => rig,
        Err(e) => panic!(
            "this test needs the multi-node rig and {e}; run scripts/test (as root), which brings it up"
        ),
    }
}

/// `ssh -F $OM_TEST_SSH_CONFIG NODE SCRIPT` (SCRIPT is one remote shell
/// line), bounded: a node that does not answer fails the test.
fn ssh(node: &str, script: &str) -> Out {
    let out = assert_cmd::Command::new("ssh")
        .arg("-F")
        .arg(&rig().ssh_config)
        .args([node, script])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run ssh");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The trimmed stdout of a remote script that must succeed.
#[track_caller]
fn ssh_ok(node: &str, script: &str) -> String {
    let out = ssh(node, script);
    assert_eq!(
        out.code, 0,
        "ssh {node} {script}: exit {}\n--- stdout\n{}\n--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    out.stdout.trim().to_string()
}

fn node_path(node: &str, rel: &str) -> PathBuf {
    rig().dir.join(node).join(rel)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Removes containers from a node's engine when the test ends, however it ends.
struct NodeCleanup {
    node: &'static str,
    names: Vec<String>,
}

impl Drop for NodeCleanup {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = ssh(self.node, &format!("docker rm -f {name}"));
        }
    }
}

#[test]
fn each_node_logs_in_with_its_own_environment() {
    // the tests' own OM_RSH, so that om on a node reaches the others
    let rsh = format!("ssh -F {} -o BatchMode=yes", display(&rig().ssh_config));
    for node in ALL_NODES {
        let got = ssh_ok(
            node,
            "echo \"$OSVC_NODENAME|$OSVC_ROOT_PATH|$DOCKER_HOST|$OM_RSH\"",
        );
        let engine = if node == "n1" {
            std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
        } else {
            format!("unix://{}", display(&node_path(node, "docker.sock")))
        };
        let want = format!(
            "{node}|{}|{engine}|{rsh}",
            display(&node_path(node, "root"))
        );
        assert_eq!(got, want, "the environment of a login on {node}");
    }
}

#[test]
fn each_node_runs_the_om_under_test() {
    let bin = assert_cmd::cargo::cargo_bin("om");
    let local = assert_cmd::Command::new(&bin)
        .arg("--version")
        .output()
        .expect("run om --version");
    assert!(local.status.success(), "om --version failed locally");
    let local = String::from_utf8_lossy(&local.stdout).trim().to_string();
    let bin = bin.canonicalize().expect("the om binary");
    for node in ALL_NODES {
        assert_eq!(
            ssh_ok(node, "om --version"),
            local,
            "om --version on {node}"
        );
        // The same version could be another build (an om installed on the
        // machine): the node's PATH must find this very binary.
        let found = ssh_ok(node, "readlink -f \"$(command -v om)\"");
        assert_eq!(
            found,
            display(&bin),
            "the om a login on {node} finds is not the om under test"
        );
    }
}

#[test]
fn each_node_has_an_engine_of_its_own() {
    engine();
    let host = docker_ok(&["info", "--format", "{{.ID}}"]);
    let mut ids = vec![("host".to_string(), host)];
    for node in NODES {
        let got = ssh_ok(
            node,
            "docker info --format '{{.ID}}|{{.DockerRootDir}}|{{json .Labels}}'",
        );
        let fields: Vec<&str> = got.splitn(3, '|').collect();
        assert_eq!(fields.len(), 3, "docker info on {node}: {got}");
        assert_eq!(
            fields[1],
            display(&node_path(node, "docker")),
            "the data-root of {node}'s engine"
        );
        assert!(
            fields[2].contains(&format!("\"om.test.node={node}\"")),
            "the labels of {node}'s engine: {}",
            fields[2]
        );
        ids.push((node.to_string(), fields[0].to_string()));
    }
    for (i, (a, id_a)) in ids.iter().enumerate() {
        assert!(!id_a.is_empty(), "no engine ID from {a}");
        for (b, id_b) in &ids[i + 1..] {
            assert_ne!(id_a, id_b, "{a} and {b} answer with the same engine ID");
        }
    }
}

#[test]
fn a_container_on_n2_is_on_n2_alone() {
    rig();
    engine();
    let registry = std::env::var("OM_TEST_REGISTRY").unwrap_or_else(|_| {
        panic!("OM_TEST_REGISTRY is not set: run scripts/test, which starts the local registry")
    });
    let image = format!("{registry}/om-test/busybox:latest");
    let name = unique("rig");
    let _cleanup = NodeCleanup {
        node: "n2",
        names: vec![name.clone()],
    };

    // A real pull, from the registry on the host's loopback.
    ssh_ok("n2", &format!("docker pull -q {image}"));
    let id = ssh_ok("n2", &format!("docker run -d --name {name} {image}"));
    assert_eq!(
        ssh_ok(
            "n2",
            &format!("docker inspect --format '{{{{.State.Running}}}}' {name}")
        ),
        "true"
    );

    // Neither by name nor by id elsewhere.
    assert!(inspect(&name).is_none(), "{name} is on the host engine too");
    let host_ids = docker_ok(&["ps", "-aq", "--no-trunc"]);
    assert!(
        !host_ids.lines().any(|l| l == id),
        "{id} is on the host engine too"
    );
    let on_n3 = ssh("n3", &format!("docker inspect {name}"));
    assert_ne!(on_n3.code, 0, "{name} is on n3 too: {}", on_n3.stdout);
    assert!(
        on_n3.stderr.contains("No such"),
        "docker inspect on n3 did not say it has no {name}: {}",
        on_n3.stderr
    );
    let n3_ids = ssh_ok("n3", "docker ps -aq --no-trunc");
    assert!(!n3_ids.lines().any(|l| l == id), "{id} is on n3 too");
}
