//! `orchestrate = ha` without a cluster (SPEC 18): what `pacemaker config`
//! prints is loaded by Pacemaker's own cibadmin into a CIB file of the
//! test's own (`CIB_file`, through `OM_PACEMAKER`), read back with
//! Pacemaker's crm_resource, and applied twice with one write; a service
//! Pacemaker runs is never started by om across nodes when Pacemaker can
//! not be asked, and its status says so. The cluster's own tests are in
//! failover.rs.

use crate::support::{create, engine, inspect, registry_image, unique, Cleanup, Env, LOOP, NODE};
use std::path::Path;
use std::process::Command;

/// Pacemaker's tool `program` on the CIB file `cib`; its stdout. Missing
/// tools fail the test, saying so (scripts/test installs them).
fn pcmk(cib: &Path, program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .env("CIB_file", cib)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (Pacemaker's tools: pacemaker-cli-utils)"))
}

fn epoch(cib: &Path) -> String {
    let text = std::fs::read_to_string(cib).expect("the CIB file");
    let at = text.find(" epoch=\"").expect("an epoch") + 8;
    text[at..].split('"').next().unwrap_or_default().to_string()
}

/// An empty CIB in the test's own directory, and the env whose om uses it.
fn cib_env(env: &mut Env) -> std::path::PathBuf {
    let cib = env.root().join("cib.xml");
    let empty = Command::new("cibadmin")
        .arg("--empty")
        .output()
        .expect("cibadmin (pacemaker-cli-utils)");
    assert!(empty.status.success());
    std::fs::write(&cib, &empty.stdout).unwrap();
    env.vars.push((
        "OM_PACEMAKER".into(),
        format!("env CIB_file={}", cib.display()),
    ));
    cib
}

fn ini(drp: &str) -> String {
    format!(
        "[DEFAULT]\nnodes = {NODE}\ndrpnodes = {drp}\norchestrate = ha\nmigration_threshold = 2\n\
         [container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    )
}

fn param(cib: &Path, rsc: &str, meta: bool, key: &str) -> String {
    let mut args = vec!["--resource", rsc, "--get-parameter", key];
    if meta {
        args.insert(2, "--meta");
    }
    let out = pcmk(cib, "crm_resource", &args);
    assert!(
        out.status.success(),
        "{key}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn apply_loads_what_config_says_and_a_second_apply_writes_nothing() {
    let mut env = Env::new();
    let cib = cib_env(&mut env);
    let name = unique("ha");
    let rsc = format!("om-{name}");
    create(&env, &name, &ini("drp1"));
    let config = env.om(&[&name, "pacemaker", "config"]).ok().stdout;
    assert!(config.starts_with("<configuration>"), "{config}");
    // what config prints is what Pacemaker loads and reads back
    let loaded = pcmk(
        &cib,
        "cibadmin",
        &[
            "--modify",
            "--allow-create",
            "--scope",
            "configuration",
            "--xml-text",
            &config,
        ],
    );
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert_eq!(param(&cib, &rsc, false, "path"), name);
    assert_eq!(
        param(&cib, &rsc, false, "root"),
        env.root().display().to_string()
    );
    assert_eq!(param(&cib, &rsc, true, "migration-threshold"), "2");
    assert_eq!(param(&cib, &rsc, true, "resource-stickiness"), "100");
    // a fresh CIB: apply writes once, then never again
    let fresh = Command::new("cibadmin").arg("--empty").output().unwrap();
    std::fs::write(&cib, &fresh.stdout).unwrap();
    let first = epoch(&cib);
    let out = env.om(&[&name, "pacemaker", "apply"]).ok();
    assert!(
        out.stderr.contains("cibadmin --modify --allow-create"),
        "{}",
        out.stderr
    );
    let applied = epoch(&cib);
    assert_ne!(applied, first, "apply wrote nothing");
    let again = env.om(&[&name, "pacemaker", "apply"]).ok();
    assert!(again.stderr.contains("unchanged"), "{}", again.stderr);
    assert!(!again.stderr.contains("cibadmin --"), "{}", again.stderr);
    assert_eq!(epoch(&cib), applied, "a second apply changed the CIB");
    // what crm_resource --meta set is not om's: kept, and no write
    let stop = pcmk(
        &cib,
        "crm_resource",
        &[
            "--resource",
            &rsc,
            "--meta",
            "--set-parameter",
            "target-role",
            "--parameter-value",
            "Stopped",
        ],
    );
    assert!(stop.status.success());
    let set = epoch(&cib);
    env.om(&[&name, "pacemaker", "apply"]).ok();
    assert_eq!(epoch(&cib), set);
    assert_eq!(param(&cib, &rsc, true, "target-role"), "Stopped");
    // a changed config is one write, the stale rule gone
    env.om(&[&name, "set", "--kw", "drpnodes=drp2"]).ok();
    let out = env.om(&[&name, "pacemaker", "apply"]).ok();
    assert!(
        out.stderr.contains("--replace --scope constraints"),
        "{}",
        out.stderr
    );
    let constraints = pcmk(&cib, "cibadmin", &["--query", "--scope", "constraints"]);
    let text = String::from_utf8_lossy(&constraints.stdout);
    assert!(
        text.contains("value=\"drp2\"") && !text.contains("value=\"drp1\""),
        "{text}"
    );
    assert_eq!(param(&cib, &rsc, true, "target-role"), "Stopped");
}

#[test]
fn a_service_om_runs_itself_is_refused_and_bad_settings_are_errors() {
    let mut env = Env::new();
    cib_env(&mut env);
    let name = unique("ha");
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = {}\n",
            registry_image()
        ),
    );
    let out = env.om(&[&name, "pacemaker", "config"]).code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("orchestrate is not ha"),
        "{}",
        out.stderr
    );
    for bad in [
        "migration_threshold=0",
        "migration_threshold=often",
        "orchestrate=yes",
        "failure_timeout=soon",
    ] {
        let out = env.om(&[&name, "set", "--kw", bad]).code(1);
        assert!(
            out.stderr.contains(bad.split('=').next().unwrap()),
            "{bad}: {}",
            out.stderr
        );
    }
}

#[test]
fn without_pacemaker_om_starts_nothing_and_the_status_says_it_can_not_ask() {
    engine();
    let mut env = Env::new();
    let name = unique("ha");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, &ini("drp1"));
    // a CIB file that is not there: Pacemaker can not be asked
    let gone = env.root().join("no-such-dir").join("cib.xml");
    env.vars.push((
        "OM_PACEMAKER".into(),
        format!("env CIB_file={}", gone.display()),
    ));
    let out = env.om(&[&name, "start"]).code(1);
    assert!(out.stderr.contains("crm_mon"), "{}", out.stderr);
    assert!(inspect(&c1).is_none(), "om started the container itself");
    for verb in ["switch", "takeover", "giveback", "stop"] {
        let out = env.om(&[&name, verb]).code(1);
        assert!(out.stderr.contains("crm_mon"), "{verb}: {}", out.stderr);
    }
    let out = env.om(&[&name, "stop", "--rid", "container#1"]).code(2);
    assert!(out.stderr.contains("the whole service"), "{}", out.stderr);
    let out = env.om(&[&name, "purge"]).code(1);
    assert!(
        out.stderr.contains("no purge while it may"),
        "{}",
        out.stderr
    );
    assert!(
        env.conf(&name).exists(),
        "purged though Pacemaker may run it"
    );
    let out = env.om(&[&name, "provision"]).code(1);
    assert!(
        out.stderr.contains("Pacemaker starts this service"),
        "{}",
        out.stderr
    );
    assert!(
        inspect(&c1).is_none(),
        "provision started the container itself"
    );
    // the tree and the document say Pacemaker could not be asked; status
    // keeps its meaning (down here: 1; 4 across nodes, drp1 can not tell)
    let tree = env.om(&[&name, "print", "status"]).stdout;
    assert!(
        tree.contains("pacemaker") && tree.contains("can not be asked"),
        "{tree}"
    );
    let doc: serde_json::Value = serde_json::from_str(
        &env.om(&[&name, "print", "status", "--format", "json"])
            .stdout,
    )
    .unwrap();
    assert!(
        doc["pacemaker"]["error"]
            .as_str()
            .unwrap()
            .contains("Could not connect"),
        "{doc}"
    );
    assert_eq!(doc["pacemaker"]["resource"], format!("om-{name}"));
    env.om(&[&name, "status", "--local"]).code(1);
    env.om(&[&name, "status"]).code(4);
    let local = env
        .om(&[&name, "print", "status", "--local", "--format", "json"])
        .stdout;
    assert!(!local.contains("\"pacemaker\""), "{local}");
    // --local acts here, and warns (--force: drp1 can not be asked)
    let out = env.om(&[&name, "start", "--local", "--force"]).ok();
    assert!(
        out.stderr
            .contains("Pacemaker runs this service and may undo"),
        "{}",
        out.stderr
    );
    assert!(inspect(&c1).is_some_and(|v| v["State"]["Running"] == true));
    env.om(&[&name, "stop", "--local"]).ok();
}
