//! The OCF agent `ocf:om:svc` (SPEC 18) against real components: the
//! resource-agents' `ocf-tester` on the host engine, then a one-node
//! Pacemaker cluster (tests/it/cluster.rs, shared by this file's tests)
//! that runs a service through the agent and recovers it.

use crate::cluster::{Cluster, NodeSpec};
use crate::support::{create, docker, engine, need_root, unique, Env, LOOP, NODE};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

fn om_bin() -> String {
    assert_cmd::cargo::cargo_bin("om").display().to_string()
}

/// A one-container service of the test image.
fn service(env: &Env, name: &str) {
    create(
        env,
        name,
        &format!(
            "[container#1]\ntype = docker\nimage = om-test/busybox\ncommand = sh -c \"{LOOP}\"\n"
        ),
    );
}

/// Removes the service's container, however the test ends.
struct Containers(Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        for c in &self.0 {
            let _ = docker(&["rm", "-f", c]);
        }
    }
}

/// A directory user nobody can reach (ocf-tester runs meta-data as nobody;
/// the run's TMPDIR is root's alone): under cargo's target/tmp.
fn open_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `om ocf install` into the OCF root `ocf_root`: the agent's path.
fn install_agent(ocf_root: &Path) -> std::path::PathBuf {
    let out = Command::new(om_bin())
        .args(["ocf", "install"])
        .env("OCF_ROOT", ocf_root)
        .output()
        .expect("om ocf install");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ocf_root.join("resource.d/om/svc")
}

/// The agent run by hand with `action` and the OCF variables `vars`: its
/// exit code and stderr.
fn agent(file: &Path, action: &str, vars: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(file);
    cmd.arg(action).env("OSVC_NODENAME", NODE);
    for (k, v) in vars {
        cmd.env(format!("OCF_RESKEY_{k}"), v);
    }
    let out = cmd.output().expect("run the agent");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ocf_tester_passes_against_the_agent_on_a_real_service() {
    engine();
    need_root("ocf-tester's permission check runs the agent as nobody");
    let env = Env::new();
    let name = unique("ocft");
    service(&env, &name);
    let _containers = Containers(vec![format!("{name}.container.1")]);
    let ocf = open_tempdir();
    let file = install_agent(ocf.path());
    let root = env.root().display().to_string();
    let out = Command::new("ocf-tester")
        .args(["-n", &name])
        .args(["-o", &format!("path={name}")])
        .args(["-o", &format!("root={root}")])
        .args(["-o", "allow_no_fencing=true"])
        .arg(&file)
        .env("OSVC_NODENAME", NODE)
        .output()
        .expect("ocf-tester (scripts/test installs resource-agents)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("passed all tests"), "{text}");
    // it did run the service: started, then stopped at the end
    let state = crate::support::inspect(&format!("{name}.container.1")).expect("its container");
    assert_eq!(state["State"]["Running"], false, "{state}");
}

#[test]
fn validate_all_says_6_for_a_config_that_does_not_load_and_5_without_om_or_the_service() {
    engine();
    let env = Env::new();
    let ocf = open_tempdir();
    let file = install_agent(ocf.path());
    let root = env.root().display().to_string();
    let allow = ("allow_no_fencing", "true");
    // no such service here: this node's (5, the others keep it), not a
    // config wrong everywhere (6 would ban it from every node)
    let (code, err) = agent(
        &file,
        "validate-all",
        &[("path", "nosuch"), ("root", &root), allow],
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("no such service on this node"), "{err}");
    // no path at all
    let (code, err) = agent(&file, "validate-all", &[("root", &root), allow]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("path is required"), "{err}");
    // om missing: not installed, for every action
    let missing = env.root().join("no-om");
    let missing = missing.display().to_string();
    for action in ["validate-all", "start", "stop", "monitor"] {
        let (code, err) = agent(&file, action, &[("path", "x"), ("om", &missing)]);
        assert_eq!(code, 5, "{action}: {err}");
        assert!(err.contains("command not found"), "{err}");
    }
    // a service whose config does not validate
    let name = unique("ocfv");
    service(&env, &name);
    std::fs::write(
        env.conf(&name),
        "[DEFAULT]\nid = x\n[container#1]\ntype = docker\nnope = 1\n",
    )
    .unwrap();
    let (code, err) = agent(
        &file,
        "validate-all",
        &[("path", &name), ("root", &root), allow],
    );
    assert_eq!(code, 6, "{err}");
    // an action the agent does not have: 3, as OCF says
    let (code, _) = agent(&file, "promote", &[("path", &name), ("root", &root)]);
    assert_eq!(code, 3);
    // and its usage, which is no failure
    let (code, _) = agent(&file, "usage", &[]);
    assert_eq!(code, 0);
}

// --- a one-node cluster ------------------------------------------------------

/// This file's cluster: one node, n1, om's node name the tests' own, the
/// agent installed there by `om ocf install` (into the node's own OCF
/// directory).
fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let c = Cluster::shared(
        &CLUSTER,
        &[NodeSpec {
            name: "n1",
            env: vec![("OSVC_NODENAME", NODE.to_string())],
        }],
    );
    INSTALLED.get_or_init(|| {
        c.on_ok("n1", &[&om_bin(), "ocf", "install"]);
    });
    c
}

/// A primitive of ocf:om:svc for service `name` of `env`, a 2 s monitor,
/// removed from the cluster (stopped first) and its container from the
/// engine however the test ends.
struct Resource {
    c: &'static Cluster,
    id: String,
    container: String,
    /// The service's root, for its action log in a failure.
    root: String,
}

impl Resource {
    fn add(c: &'static Cluster, env: &Env, name: &str, threshold: u32) -> Resource {
        let id = name.to_string();
        let root = env.root().display().to_string();
        let om = om_bin();
        let xml = format!(
            "<primitive id='{id}' class='ocf' provider='om' type='svc'>\
             <instance_attributes id='{id}-ia'>\
             <nvpair id='{id}-path' name='path' value='{name}'/>\
             <nvpair id='{id}-root' name='root' value='{root}'/>\
             <nvpair id='{id}-om' name='om' value='{om}'/>\
             <nvpair id='{id}-anf' name='allow_no_fencing' value='true'/>\
             </instance_attributes>\
             <meta_attributes id='{id}-meta'>\
             <nvpair id='{id}-mt' name='migration-threshold' value='{threshold}'/>\
             </meta_attributes>\
             <operations><op id='{id}-mon' name='monitor' interval='2s' timeout='30s'/></operations>\
             </primitive>"
        );
        let r = Resource {
            c,
            id,
            container: format!("{name}.container.1"),
            root,
        };
        c.on_ok(
            "n1",
            &[
                "cibadmin",
                "--create",
                "-o",
                "resources",
                "--xml-text",
                &xml,
            ],
        );
        r
    }

    fn running(&self) -> bool {
        let out = self
            .c
            .on("n1", &["crm_resource", "--locate", "-r", &self.id]);
        let text = String::from_utf8_lossy(&out.stdout);
        out.status.success() && text.contains("is running on: n1")
    }

    /// Started and watched: Pacemaker says it runs, the container runs,
    /// and the recurring monitor has run since the last start and said so
    /// (its record in the CIB's status, which a stop removes). A kill
    /// before that would fail the start, not the monitor.
    fn up(&self) -> bool {
        let xpath = format!("//lrm_rsc_op[@id='{}_monitor_2000']", self.id);
        let rec = self.c.on("n1", &["cibadmin", "--query", "--xpath", &xpath]);
        let rec = String::from_utf8_lossy(&rec.stdout);
        self.running() && self.container().1 && rec.contains("rc-code=\"0\"")
    }

    fn failcount(&self) -> String {
        self.c
            .on_ok(
                "n1",
                &[
                    "crm_failcount",
                    "--query",
                    "-r",
                    &self.id,
                    "-N",
                    "n1",
                    "--quiet",
                ],
            )
            .trim()
            .to_string()
    }

    /// When docker says the container started last (it changes at each
    /// start), and whether it runs.
    fn container(&self) -> (String, bool) {
        let state = crate::support::inspect(&self.container).map(|v| v["State"].clone());
        state.map_or((String::new(), false), |s| {
            (s["StartedAt"].to_string(), s["Running"] == true)
        })
    }

    /// What Pacemaker says of the cluster, and the last lines the agent
    /// and the controller logged about this resource: for a failure.
    fn mon(&self) -> String {
        let mon = self.c.on("n1", &["crm_mon", "-1", "-f"]);
        let log = self.c.on(
            "n1",
            &[
                "sh",
                "-c",
                &format!(
                    "grep -a -e '{}' -e 'om: ' /var/log/pacemaker/pacemaker.log | grep -v schedulerd | tail -n 40",
                    self.id
                ),
            ],
        );
        let actions = Command::new(om_bin())
            .args([&self.id, "logs"])
            .env("OSVC_ROOT_PATH", &self.root)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let state = crate::support::inspect(&self.container).map(|v| v["State"].clone());
        format!(
            "{}\n--- pacemaker.log\n{}\n--- om logs\n{actions}\n--- container state\n{state:?}",
            String::from_utf8_lossy(&mon.stdout),
            String::from_utf8_lossy(&log.stdout)
        )
    }

    /// Waits up to 60 s for `cond`; fails the test with Pacemaker's view.
    #[track_caller]
    fn wait(&self, what: &str, cond: impl FnMut() -> bool) {
        if !crate::support::poll_until(Duration::from_secs(60), cond) {
            panic!("waited 60s for {what}, in vain\n{}", self.mon());
        }
    }
}

impl Drop for Resource {
    fn drop(&mut self) {
        let c = self.c;
        let _ = c.on(
            "n1",
            &[
                "crm_resource",
                "-r",
                &self.id,
                "--meta",
                "--set-parameter",
                "target-role",
                "--parameter-value",
                "Stopped",
            ],
        );
        crate::support::poll_until(Duration::from_secs(60), || !self.running());
        let xml = format!("<primitive id='{}'/>", self.id);
        let _ = c.on(
            "n1",
            &[
                "cibadmin",
                "--delete",
                "-o",
                "resources",
                "--xml-text",
                &xml,
            ],
        );
        let _ = docker(&["rm", "-f", &self.container]);
    }
}

#[test]
fn a_killed_container_is_seen_by_the_monitor_and_the_service_is_up_again() {
    engine();
    let c = cluster();
    let env = Env::new();
    let name = unique("pcmk");
    service(&env, &name);
    let r = Resource::add(c, &env, &name, 10);
    r.wait("Pacemaker to start the service through the agent", || {
        r.up()
    });
    env.om(&[&name, "status", "--local"]).ok();
    let (started, _) = r.container();
    docker(&["kill", &r.container]);
    // the 2 s monitor sees it down (not running), Pacemaker stops and
    // starts the service again: a new start of the same container
    r.wait("the service up again after docker kill", || {
        r.container().0 != started && r.up()
    });
    assert_eq!(r.failcount(), "1", "{}", r.mon());
    env.om(&[&name, "status", "--local"]).ok();
}

#[test]
fn after_migration_threshold_failures_the_service_stays_stopped_until_a_cleanup() {
    engine();
    let c = cluster();
    let env = Env::new();
    let name = unique("pcmk");
    service(&env, &name);
    let r = Resource::add(c, &env, &name, 2);
    r.wait("Pacemaker to start the service", || r.up());
    let (started, _) = r.container();
    docker(&["kill", &r.container]);
    r.wait("fail-count 1", || r.failcount() == "1");
    r.wait("the restart after the first failure", || {
        r.container().0 != started && r.up()
    });
    docker(&["kill", &r.container]);
    r.wait("fail-count 2", || r.failcount() == "2");
    // the second failure reached the threshold: stopped, and it stays so
    r.wait("Pacemaker to give up on n1", || !r.running());
    for _ in 0..6 {
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            !r.container().1,
            "started again before a cleanup:\n{}",
            r.mon()
        );
    }
    env.om(&[&name, "status", "--local"]).code(1);
    c.on_ok("n1", &["crm_resource", "--cleanup", "-r", &r.id]);
    r.wait("the service up again after the cleanup", || r.up());
    assert_eq!(r.failcount(), "0");
}

#[test]
fn validate_all_refuses_fencing_off_unless_the_resource_allows_it() {
    let c = cluster();
    let env = Env::new();
    let name = unique("pcmkf");
    service(&env, &name);
    let root = env.root().display().to_string();
    let agent = "/usr/lib/ocf/resource.d/om/svc";
    let run = |extra: &[&str]| {
        let mut args = vec![
            "env".to_string(),
            format!("OCF_RESKEY_path={name}"),
            format!("OCF_RESKEY_root={root}"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend([agent.to_string(), "validate-all".to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        c.on("n1", &args)
    };
    // the rig's cluster has no fencing (stonith-enabled=false in its CIB)
    let stonith = c.on_ok(
        "n1",
        &[
            "crm_attribute",
            "--type",
            "crm_config",
            "--name",
            "stonith-enabled",
            "--query",
            "--quiet",
        ],
    );
    assert_eq!(stonith.trim(), "false");
    let refused = run(&[]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(6), "{err}");
    assert!(err.contains("stonith-enabled=false"), "{err}");
    assert!(run(&["OCF_RESKEY_allow_no_fencing=true"]).status.success());
}

#[test]
fn monitor_says_1_for_a_container_down_and_for_an_engine_it_can_not_reach_never_7() {
    engine();
    let env = Env::new();
    let name = unique("ocfm");
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = om-test/busybox\ncommand = sh -c \"{LOOP}\"\n\
             [container#2]\ntype = docker\nimage = om-test/busybox\ncommand = sh -c \"{LOOP}\"\n"
        ),
    );
    let _containers = Containers(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
    ]);
    let ocf = open_tempdir();
    let file = install_agent(ocf.path());
    let root = env.root().display().to_string();
    let vars = [
        ("path", name.as_str()),
        ("root", root.as_str()),
        ("allow_no_fencing", "true"),
        ("CRM_meta_interval", "10000"),
    ];
    let (code, err) = agent(&file, "start", &vars);
    assert_eq!(code, 0, "{err}");
    assert_eq!(agent(&file, "monitor", &vars).0, 0);
    // one container of two down: warn, a failure to recover
    docker(&["kill", &format!("{name}.container.2")]);
    let (code, err) = agent(&file, "monitor", &vars);
    assert_eq!(code, 1, "{err}");
    // an engine om can not reach: unknown, a failure, never "not running"
    let mut cmd = Command::new(&file);
    cmd.arg("monitor").env("OSVC_NODENAME", NODE).env(
        "DOCKER_HOST",
        format!("unix://{}/no.sock", env.root().display()),
    );
    for (k, v) in vars {
        cmd.env(format!("OCF_RESKEY_{k}"), v);
    }
    let out = cmd.output().expect("run the agent");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, err) = agent(&file, "stop", &vars);
    assert_eq!(code, 0, "{err}");
    assert_eq!(agent(&file, "monitor", &vars).0, 7);
    // a probe of a service this node does not hold: not running here
    let probe = [("path", "nosuch"), ("root", root.as_str())];
    assert_eq!(agent(&file, "monitor", &probe).0, 7);
}

#[test]
fn an_operation_ends_within_its_timeout_and_a_hung_engine_is_a_failure_not_7() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let name = unique("ocfh");
    service(&env, &name);
    let ocf = open_tempdir();
    let file = install_agent(ocf.path());
    // a docker that never answers
    let docker = env.root().join("hung-docker");
    std::fs::write(&docker, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = env.root().display().to_string();
    let t = std::time::Instant::now();
    let out = Command::new(&file)
        .arg("monitor")
        .env("OSVC_NODENAME", NODE)
        .env("OM_DOCKER", &docker)
        .env("OCF_RESKEY_path", &name)
        .env("OCF_RESKEY_root", &root)
        .env("OCF_RESKEY_CRM_meta_interval", "10000")
        .env("OCF_RESKEY_CRM_meta_timeout", "3000")
        .output()
        .expect("run the agent");
    let took = t.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

/// A stop where the service's config is gone (removed by hand, or the
/// resource's root is not where it is) asks the engine, by the path label: containers
/// of it still running are a failed stop (Pacemaker fences the node),
/// never "nothing of it runs here" (it would start the service elsewhere).
#[test]
fn a_stop_without_the_config_while_its_containers_run_fails() {
    engine();
    let env = Env::new();
    let ocf = open_tempdir();
    let file = install_agent(ocf.path());
    let root = env.root().display().to_string();
    let name = unique("ocfd");
    let _containers = Containers(vec![format!("{name}.container.1")]);
    service(&env, &name);
    env.om(&[&name, "start"]).ok();
    // the config gone by hand (or a root that is not the one it is in)
    std::fs::remove_file(env.conf(&name)).unwrap();
    let (code, err) = agent(&file, "stop", &[("path", &name), ("root", &root)]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("running container(s) labelled with its path"),
        "{err}"
    );
    crate::support::docker_ok(&["rm", "-f", &format!("{name}.container.1")]);
    let (code, err) = agent(&file, "stop", &[("path", &name), ("root", &root)]);
    assert_eq!(code, 0, "{err}");
}
