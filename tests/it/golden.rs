//! Whole-output guards (issue 22): what om prints or asks docker, compared
//! whole against a file in tests/it/golden/, so that moving code can not
//! change an interface unnoticed. Only what truly varies per run is
//! normalized, by [`normalize`]: each per-run value (a service name, an id,
//! a container id, a hash made of them, the registry's address) is replaced
//! by a named placeholder; nothing is dropped.
//!
//! `OM_GOLDEN_WRITE=1` writes the actual output over the file (review it
//! with `git diff`); the test still fails then, so a run that writes never
//! passes.

use crate::fake_docker::Fake;
use crate::ip::{ip_lines, pod_config, Bridge};
use crate::multinode::{rig, rig_env, synced_to};
use crate::support::{inspect, registry, registry_image, unique, Cleanup, NODE};
use serde_json::Value;

/// Replaces each per-run value by its placeholder, in the order given (a
/// value that contains another comes first). A value must be non-empty: an
/// empty one would match everywhere.
fn normalize(text: &str, subs: &[(String, &str)]) -> String {
    let mut out = text.to_string();
    for (value, placeholder) in subs {
        assert!(!value.is_empty(), "no value for {placeholder}");
        out = out.replace(value.as_str(), placeholder);
    }
    out
}

/// Each output is the whole of its file in tests/it/golden/, byte for
/// byte: `(file, actual)`.
#[track_caller]
fn assert_golden(outputs: &[(&str, &str)]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/golden");
    if std::env::var_os("OM_GOLDEN_WRITE").is_some() {
        for (file, actual) in outputs {
            std::fs::write(dir.join(file), actual).expect("write the golden file");
        }
        panic!("golden files written (OM_GOLDEN_WRITE): review them with git diff, then run without it");
    }
    for (file, actual) in outputs {
        let path = dir.join(file);
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (OM_GOLDEN_WRITE=1 writes it)", path.display()));
        if expected == *actual {
            continue;
        }
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{file}: the output differs from the golden file, first at line {}\n\
             --- expected\n{}\n--- actual\n{}\n--- the whole actual output (normalized)\n{actual}",
            first + 1,
            expected.lines().nth(first).unwrap_or("(end of file)"),
            actual.lines().nth(first).unwrap_or("(end of output)"),
        );
    }
}

/// The first 12 digits of a container's id, as status shows it.
fn short_id(container: &str) -> String {
    let v = inspect(container).unwrap_or_else(|| panic!("{container} is not there"));
    v["Id"].as_str().expect("an id")[..12].to_string()
}

/// The whole `print status --format json` of a pod (two containers and an
/// `ip` resource on a real bridge) up on this node and down on n2, asked
/// over the rig's ssh: both instances, every key.
#[test]
fn status_json_of_a_pod_with_an_address_on_two_nodes() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("gs");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c2.clone(), c1.clone()]);
    // 10.200.20.0/24: the ip tests use K 1 to 15
    let br = Bridge::new(20);
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n{}",
        pod_config(
            &registry_image(),
            &ip_lines(&br.addr(5), &br.name, "bridge")
        )
    );
    crate::support::create(&env, &name, &ini);
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start", "--local"]).ok();
    let out = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let doc: Value = serde_json::from_str(&out.stdout).expect("status JSON");
    assert_eq!(doc["instances"][1]["node"], "n2", "{}", out.stdout);
    let subs = [
        (registry(), "<registry>"),
        (env.svc_id(&name), "<id>"),
        (short_id(&c1), "<container#1 id>"),
        (short_id(&c2), "<container#2 id>"),
        (name.clone(), "<name>"),
    ];
    let actual = normalize(&out.stdout, &subs);
    env.om(&[&name, "purge"]).ok();
    assert_golden(&[("status_pod_two_nodes.json", &actual)]);
}

/// The README's annotated service (from the README itself).
fn readme_service() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```ini\n[DEFAULT]")
        .expect("the annotated config")
        + 7;
    readme[start..start + readme[start..].find("```").unwrap()].to_string()
}

/// The whole argv log of `deploy`, `stop` and `purge` of the README's
/// annotated service, one action at a time, with a fake docker.
#[test]
fn docker_calls_of_the_readme_service_deploy_stop_purge() {
    let fake = Fake::new();
    let name = unique("gd");
    let log = || std::fs::read_to_string(&fake.log).unwrap_or_default();
    let clear = || {
        let _ = std::fs::remove_file(&fake.log);
    };
    fake.env
        .om_stdin(&[&name, "deploy", "--config=-"], &readme_service())
        .ok();
    let deploy = log();
    clear();
    let id = fake.env.svc_id(&name);
    // the containers the fake made: their ids (random) and their config
    // labels (a hash of the run line, which holds the name and the id)
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&fake.state).unwrap()).unwrap();
    let mut subs = Vec::new();
    for n in 1..=2 {
        let c = &state[format!("{name}.container.{n}")];
        let cid = c["Id"].as_str().expect("a container id").to_string();
        let config = c["Labels"]["com.opensvc.config"]
            .as_str()
            .expect("a config label")
            .to_string();
        assert!(config.len() == 16 && config.bytes().all(|b| b.is_ascii_hexdigit()));
        subs.push((cid, format!("<container#{n} id>")));
        subs.push((config, format!("<container#{n} config label>")));
    }
    let subs: Vec<(String, &str)> = subs
        .iter()
        .map(|(v, p)| (v.clone(), p.as_str()))
        .chain([(id, "<id>"), (name.clone(), "<name>")])
        .collect();
    clear();
    fake.env.om(&[&name, "stop"]).ok();
    let stop = log();
    clear();
    fake.env.om(&[&name, "purge"]).ok();
    let purge = log();
    assert_golden(&[
        ("readme_service.deploy.jsonl", &normalize(&deploy, &subs)),
        ("readme_service.stop.jsonl", &normalize(&stop, &subs)),
        ("readme_service.purge.jsonl", &normalize(&purge, &subs)),
    ]);
}
