//! A Pacemaker + Corosync cluster for the tests (scripts/rig/pacemaker.sh):
//! one or two nodes, each in namespaces of its own, started once per test
//! file and shared by its tests (`Cluster::shared`), since electing a
//! controller takes seconds. The rig watches this test binary: when the
//! binary ends, however it ends, the cluster is torn down.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const RIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/rig/pacemaker.sh");
/// How long `up` may take (the rig's own bound is 90 s for the election).
const UP_TIMEOUT: Duration = Duration::from_secs(150);

pub struct Cluster {
    /// The cluster's directory (OM_TEST_PCMK_DIR): `on` is there.
    pub dir: PathBuf,
    pub nodes: Vec<String>,
    up: Mutex<Child>,
    envfile: PathBuf,
}

/// A node of a cluster to start: its name and the variables its pacemakerd
/// (hence the agents) runs with.
pub struct NodeSpec<'a> {
    pub name: &'a str,
    pub env: Vec<(&'a str, String)>,
}

impl Cluster {
    /// Starts a cluster of `nodes` (one or two): fails the test, with the
    /// rig's log, when it does not come up.
    pub fn start(nodes: &[NodeSpec]) -> Cluster {
        crate::support::need_root("a Pacemaker cluster (namespaces, mounts)");
        let stem = std::env::temp_dir().join(crate::support::unique("om-pcmk-"));
        let envfile = stem.with_extension("env");
        let log = stem.with_extension("log");
        let mut cmd = Command::new(RIG);
        cmd.arg("up")
            .arg("--env")
            .arg(&envfile)
            .args(["--watch", &std::process::id().to_string()]);
        for n in nodes {
            cmd.args(["--node", n.name]);
            for (k, v) in &n.env {
                cmd.arg("--node-env").arg(format!("{}:{k}={v}", n.name));
            }
        }
        let logf = std::fs::File::create(&log).expect("rig log file");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(logf.try_clone().expect("log file"))
            .stderr(logf)
            .spawn()
            .expect("start scripts/rig/pacemaker.sh");
        let deadline = Instant::now() + UP_TIMEOUT;
        let vars = loop {
            if let Ok(text) = std::fs::read_to_string(&envfile) {
                break parse_exports(&text);
            }
            let gone = child.try_wait().ok().flatten();
            if gone.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the Pacemaker rig did not come up ({}):\n{}",
                    gone.map_or("timed out".to_string(), |s| s.to_string()),
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = std::fs::remove_file(&log);
        Cluster {
            dir: PathBuf::from(&vars["OM_TEST_PCMK_DIR"]),
            nodes: vars["OM_TEST_PCMK_NODES"]
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            up: Mutex::new(child),
            envfile,
        }
    }

    /// The cluster of this `slot` (one per test file), started by the first
    /// test that asks, shared by the others, torn down when the test binary
    /// ends.
    pub fn shared(slot: &'static OnceLock<Cluster>, nodes: &[NodeSpec]) -> &'static Cluster {
        slot.get_or_init(|| Cluster::start(nodes))
    }

    /// Runs `args` on `node`, inside its namespaces.
    pub fn on(&self, node: &str, args: &[&str]) -> Output {
        Command::new(self.dir.join("on"))
            .arg(node)
            .args(args)
            .output()
            .expect("run the rig's `on`")
    }

    /// The same, failing the test unless it succeeds: its stdout.
    #[track_caller]
    pub fn on_ok(&self, node: &str, args: &[&str]) -> String {
        let out = self.on(node, args);
        assert!(
            out.status.success(),
            "on {node}: {args:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let child = self
            .up
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // SAFETY: kill has no memory preconditions; the pid is our child's,
        // not yet waited for.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = child.wait();
        let _ = std::fs::remove_file(&self.envfile);
    }
}

fn parse_exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// The pids of processes in the network namespace `net` (a readlink of
/// /proc/PID/ns/net).
fn in_netns(net: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .filter(|e| {
                    std::fs::read_link(e.path().join("ns/net"))
                        .is_ok_and(|l| l.to_string_lossy() == net)
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The network namespace of `node`'s holder.
fn holder_net(c: &Cluster, node: &str) -> String {
    let pid = std::fs::read_to_string(c.dir.join(node).join("holder.pid")).expect("holder.pid");
    let pid = pid.split_whitespace().next().expect("a pid").to_string();
    std::fs::read_link(format!("/proc/{pid}/ns/net"))
        .expect("the holder's netns")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_two_node_cluster_elects_one_controller_in_namespaces_of_its_own_and_leaves_nothing() {
    let c = Cluster::start(&[
        NodeSpec {
            name: "pa",
            env: vec![],
        },
        NodeSpec {
            name: "pb",
            env: vec![("OM_TEST_MARK", "b and c".to_string())],
        },
    ]);
    assert_eq!(c.nodes, ["pa", "pb"]);
    for node in ["pa", "pb"] {
        let mon = c.on_ok(node, &["crm_mon", "-1", "--output-as=xml"]);
        assert!(mon.contains("<current_dc present=\"true\""), "{mon}");
        assert_eq!(mon.matches("online=\"true\"").count(), 2, "{mon}");
        // its own host name, and pacemaker's directories on a tmpfs of its own
        assert_eq!(c.on_ok(node, &["hostname"]).trim(), node);
        let mounts = c.on_ok(
            node,
            &["findmnt", "-n", "-o", "FSTYPE", "/var/lib/pacemaker"],
        );
        assert_eq!(mounts.trim(), "tmpfs");
    }
    assert_eq!(
        c.on_ok("pb", &["printenv", "OM_TEST_MARK"]).trim(),
        "b and c"
    );
    let host_mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(!host_mounts.contains("om-pcmk-pa"), "{host_mounts}");
    let nets: Vec<String> = ["pa", "pb"].iter().map(|n| holder_net(&c, n)).collect();
    assert_ne!(nets[0], nets[1]);
    // pacemakerd, hence the agents it runs, has the node's variables
    let pacemakerd = in_netns(&nets[1])
        .into_iter()
        .find(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .is_ok_and(|c| c.trim() == "pacemakerd")
        })
        .expect("pb's pacemakerd");
    let environ = std::fs::read(format!("/proc/{pacemakerd}/environ")).expect("its environ");
    assert!(
        environ
            .split(|b| *b == 0)
            .any(|v| v == b"OM_TEST_MARK=b and c"),
        "{}",
        String::from_utf8_lossy(&environ)
    );
    assert!(
        in_netns(&nets[0]).len() >= 3,
        "holder, corosync, pacemakerd"
    );
    let dir = c.dir.clone();
    drop(c);
    for net in &nets {
        assert_eq!(in_netns(net), Vec::<String>::new(), "left in {net}");
    }
    assert!(!dir.exists(), "{} left", dir.display());
}
