//! `standby` (SPEC 17): a standby resource is started by a start on any
//! node (where the split-brain guard refuses the service too), kept up by
//! a stop unless `--force`, shown `stdby up`/`stdby down` (JSON: its
//! `status` and `standby: true`), and never says the service runs on its
//! node. Scoped as any keyword: `standby@drpnodes = true`.

use crate::multinode::{rig, rig_env, synced_to};
use crate::support::{create, engine, inspect, registry_image, unique, Cleanup, Env, LOOP, NODE};
use serde_json::Value;

fn ini(head: &str, standby: &str) -> String {
    let c = |i: usize, extra: &str| {
        format!(
            "[container#{i}]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n{extra}",
            registry_image()
        )
    };
    format!("[DEFAULT]\n{head}{}{}", c(1, ""), c(2, standby))
}

fn running(name: &str) -> bool {
    inspect(name).is_some_and(|v| v["State"]["Running"] == true)
}

fn json(env: &Env, name: &str) -> Value {
    let out = env.om(&[name, "print", "status", "--format", "json"]);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// The tree line of `rid`.
fn line_of(tree: &str, rid: &str) -> String {
    tree.lines()
        .find(|l| l.contains(rid))
        .unwrap_or_else(|| panic!("no {rid} in {tree}"))
        .to_string()
}

#[test]
fn a_standby_container_is_kept_by_stop_until_force_and_shown_stdby() {
    engine();
    let env = Env::new();
    let name = unique("sb");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(&env, &name, &ini("", "standby = true\n"));
    env.om(&[&name, "start"]).ok();
    assert!(running(&c1) && running(&c2));
    let st = json(&env, &name);
    let r2 = &st["resources"][1];
    assert_eq!(
        (r2["rid"].as_str(), r2["status"].as_str()),
        (Some("container#2"), Some("up"))
    );
    assert_eq!(r2["standby"], true, "{r2}");
    assert_eq!(&r2["flags"].as_str().unwrap()[6..7], "S", "{r2}");
    assert!(
        st["resources"][0].get("standby").is_none(),
        "absent when false"
    );
    assert_eq!(st["avail"], "up");
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        line_of(&tree, "container#2").contains(" stdby up "),
        "{tree}"
    );
    assert!(!line_of(&tree, "container#1").contains("stdby"), "{tree}");

    // a stop keeps it up, saying so; the instance is down, not warn
    let out = env.om(&[&name, "stop"]).ok();
    assert!(out.stderr.contains("standby: kept up"), "{}", out.stderr);
    assert!(!running(&c1) && running(&c2));
    let st = json(&env, &name);
    assert_eq!(st["avail"], "down", "{st}");
    assert_eq!(st["resources"][1]["status"], "up");
    // stop --force stops it
    env.om(&[&name, "stop", "--force"]).ok();
    assert!(!running(&c2));
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        line_of(&tree, "container#2").contains(" stdby down "),
        "{tree}"
    );
    // a start of it alone (--rid) starts it again
    env.om(&[&name, "start", "--rid", "container#2"]).ok();
    assert!(running(&c2));
    env.om(&[&name, "purge"]).ok();
    assert!(
        inspect(&c2).is_none(),
        "purge removes a standby resource too"
    );
}

/// `om ARGS` on `node` through the rig's ssh.
fn on(cfg: &str, node: &str, args: &str) -> std::process::Output {
    std::process::Command::new("ssh")
        .args(["-F", cfg, node, &format!("om {args}")])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ssh")
}

#[test]
fn standby_at_drpnodes_starts_there_past_the_guard_and_never_says_the_service_runs_there() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("sd");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(
        &env,
        &name,
        &ini(
            &format!("nodes = {NODE} n2\ndrpnodes = n3\n"),
            "standby@drpnodes = true\n",
        ),
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2", "n3"]);
    env.om(&[&name, "start"]).ok();
    assert!(running(&c1) && running(&c2));
    // on n3 (a drp node, where the service runs here): the guard refuses
    // the service, its standby resource starts all the same
    let out = on(&cfg, "n3", &format!("{name} start --local"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("its standby resources start all the same (container#2)"),
        "{err}"
    );
    let st = json(&env, &name);
    let n3 = &st["instances"][2];
    assert_eq!(n3["node"], "n3");
    assert_eq!(n3["resources"][0]["status"], "down", "{n3}");
    assert_eq!(n3["resources"][1]["status"], "up", "{n3}");
    assert_eq!(n3["resources"][1]["standby"], true, "{n3}");
    // here the same keyword is not scoped: no standby
    assert!(st["resources"][1].get("standby").is_none(), "{st}");
    assert_eq!(
        st["avail"], "up",
        "n3's standby container is no split brain: {st}"
    );
    // stopped here, started here again: n3's standby container does not
    // make the guard think the service runs there
    env.om(&[&name, "stop"]).ok();
    assert!(!running(&c2), "not standby here: stopped");
    env.om(&[&name, "start"]).ok();
    assert!(running(&c1) && running(&c2));
    // on n3, a stop keeps it, stop --force stops it
    let out = on(&cfg, "n3", &format!("{name} stop --local"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = json(&env, &name);
    assert_eq!(st["instances"][2]["resources"][1]["status"], "up");
    let out = on(&cfg, "n3", &format!("{name} stop --local --force"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = json(&env, &name);
    assert_eq!(st["instances"][2]["resources"][1]["status"], "down");
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(tree.contains("stdby down"), "{tree}");
}

#[test]
fn a_failed_start_rolls_back_all_but_its_standby_resources() {
    engine();
    let env = Env::new();
    let name = unique("sr");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    // container#2 can not start (its command does not exist): the start
    // rolls back what it started, the standby container#1 excepted
    let ini = ini("", "standby = true\n")
        .replacen("standby = true\n", "", 1)
        .replacen("[container#1]\n", "[container#1]\nstandby = true\n", 1)
        .replacen(
            &format!(
                "[container#2]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
                registry_image()
            ),
            &format!(
                "[container#2]\ntype = docker\nimage = {}\ncommand = /nonexistent\n",
                registry_image()
            ),
            1,
        );
    assert!(
        ini.contains("/nonexistent") && ini.contains("[container#1]\nstandby = true"),
        "{ini}"
    );
    create(&env, &name, &ini);
    let out = env.om(&[&name, "start"]).code(1);
    assert!(out.stderr.contains("/nonexistent"), "{}", out.stderr);
    assert!(
        running(&c1),
        "the standby container stays up: {}",
        out.stderr
    );
    assert!(!running(&c2));
}
