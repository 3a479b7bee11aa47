//! `volume#N` (SPEC 17): a docker named volume on the service's engine,
//! labelled as the containers are: made at provision (and by a start
//! that misses it), mounted by name from `volume_mounts`, kept by stop
//! and unprovision, removed by purge; one of the name that is not the
//! resource's is never taken over.

use crate::support::{
    create, docker, docker_ok, engine, inspect, registry_image, unique, Cleanup, Env, LOOP,
};
use serde_json::Value;

/// Removes the test's own volumes when it ends, however it ends.
struct Volumes(Vec<String>);

impl Drop for Volumes {
    fn drop(&mut self) {
        for v in &self.0 {
            let _ = docker(&["volume", "rm", "-f", v]);
        }
    }
}

/// The volume's `com.opensvc.id` label, or None when it does not exist
/// (Some("") when it has no such label).
fn volume_label(name: &str) -> Option<String> {
    let out = docker(&["volume", "inspect", "--format", "{{json .Labels}}", name]);
    if !out.status.success() {
        return None;
    }
    let labels: Value = serde_json::from_slice(&out.stdout).expect("labels json");
    Some(labels["com.opensvc.id"].as_str().unwrap_or("").to_string())
}

fn ini(extra: &str) -> String {
    format!(
        "[volume#1]\nname = {{name}}-data\n{extra}\n[container#1]\ntype = docker\nimage = {}\nvolume_mounts = {{name}}-data:/data\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    )
}

fn resource<'a>(st: &'a Value, rid: &str) -> &'a Value {
    st["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rid"] == rid))
        .unwrap_or_else(|| panic!("no {rid} in {st}"))
}

fn status(env: &Env, name: &str) -> Value {
    let out = env.om(&[name, "print", "status", "--format", "json"]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn a_volume_is_made_at_provision_kept_by_stop_and_unprovision_and_removed_by_purge() {
    engine();
    let env = Env::new();
    let name = unique("vo");
    let vol = format!("{name}-data");
    let c1 = format!("{name}.container.1");
    let tmp = format!("{name}-vol-2");
    // dropped last: after the container that uses them
    let _volumes = Volumes(vec![vol.clone(), tmp.clone()]);
    let _cleanup = Cleanup(vec![c1.clone()]);
    // volume#2: its default name, driver and options (a tmpfs, which
    // holds nothing once unmounted: not the one written to)
    create(
        &env,
        &name,
        &format!(
            "{}[volume#2]\ndriver = local\noptions = type=tmpfs device=tmpfs o=size=1m\n",
            ini("")
        ),
    );
    let id = env.svc_id(&name);
    let out = env.om(&[&name, "provision"]).ok();
    // made before the container that mounts it, with its label and options
    let create_at = out
        .stderr
        .find("volume create")
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let run_at = out
        .stderr
        .find(" run ")
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(create_at < run_at, "{}", out.stderr);
    assert_eq!(volume_label(&vol), Some(format!("{id}.volume#1")));
    let opts = docker_ok(&["volume", "inspect", "--format", "{{json .Options}}", &tmp]);
    assert!(opts.contains("size=1m"), "{opts}");
    assert_eq!(volume_label(&tmp), Some(format!("{id}.volume#2")));
    let mounts = &inspect(&c1).expect("container")["Mounts"];
    assert!(
        mounts
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["Name"] == vol.as_str())),
        "{mounts}"
    );
    let st = status(&env, &name);
    let r = resource(&st, "volume#1");
    assert_eq!(r["status"], "up", "{r}");
    assert_eq!(r["label"], format!("docker volume {vol}"));
    assert_eq!(st["avail"], "up", "{st}");
    docker_ok(&["exec", &c1, "sh", "-c", "echo kept > /data/f"]);
    // a stop keeps it: the instance is down, the volume up (not counted)
    env.om(&[&name, "stop"]).ok();
    assert_eq!(volume_label(&vol), Some(format!("{id}.volume#1")));
    let st = status(&env, &name);
    assert_eq!(resource(&st, "volume#1")["status"], "up");
    assert_eq!(st["avail"], "down", "{st}");
    env.om(&[&name, "start"]).ok();
    assert_eq!(docker_ok(&["exec", &c1, "cat", "/data/f"]).trim(), "kept");
    // the tree shows it
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        tree.lines()
            .any(|l| l.contains("volume#1") && l.contains("up") && l.contains(&vol)),
        "{tree}"
    );
    // unprovision keeps the data, saying so; purge removes it
    let out = env.om(&[&name, "unprovision"]).ok();
    assert!(out.stderr.contains("kept"), "{}", out.stderr);
    assert!(inspect(&c1).is_none());
    assert_eq!(volume_label(&vol), Some(format!("{id}.volume#1")));
    // a start makes what is missing, volume included
    docker_ok(&["volume", "rm", &vol]);
    let st = status(&env, &name);
    assert_eq!(resource(&st, "volume#1")["status"], "down");
    env.om(&[&name, "start"]).ok();
    assert_eq!(volume_label(&vol), Some(format!("{id}.volume#1")));
    env.om(&[&name, "purge"]).ok();
    assert_eq!(volume_label(&vol), None, "purge removes the volume");
    assert_eq!(volume_label(&tmp), None, "purge removes the volume");
    assert!(!env.conf(&name).exists());
}

#[test]
fn a_volume_of_the_name_that_is_not_the_resources_is_refused_and_left_alone() {
    engine();
    let env = Env::new();
    let name = unique("vf");
    let vol = format!("{name}-data");
    let c1 = format!("{name}.container.1");
    // dropped last: after the container that may use it
    let _volumes = Volumes(vec![vol.clone()]);
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, &ini(""));
    for label in [None, Some("another-id.volume#1")] {
        let mut args = vec!["volume", "create"];
        let l = label.map(|l| format!("com.opensvc.id={l}"));
        if let Some(l) = &l {
            args.extend(["--label", l.as_str()]);
        }
        args.push(&vol);
        docker_ok(&args);
        let out = env.om(&[&name, "start"]).code(1);
        assert!(
            out.stderr.contains(&format!(
                "docker volume {vol}: name in use by a volume om does not manage"
            )),
            "{}",
            out.stderr
        );
        assert!(inspect(&c1).is_none(), "no container ran on it");
        let st = status(&env, &name);
        let r = resource(&st, "volume#1");
        assert_eq!(r["status"], "warn", "{r}");
        // purge leaves it where it is
        env.om(&[&name, "purge"]).ok();
        assert_eq!(volume_label(&vol), Some(label.unwrap_or("").to_string()));
        docker_ok(&["volume", "rm", &vol]);
        create(&env, &name, &ini(""));
    }
}
