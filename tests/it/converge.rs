//! `deploy` converges on the real engine (issue 23): the same config again
//! touches nothing, a changed one is installed (same id) and recreates only
//! the containers whose definition changed, a deploy that stopped half way
//! is finished by the same deploy again; and `create --provision`, the
//! OpenSVC agent's form, is a create then that provision.

use crate::support::{docker, docker_ok, engine, inspect, registry, registry_image, unique};
use crate::support::{Cleanup, Env, LOOP};

fn container(i: usize, image: &str, cmd: &str) -> String {
    format!("[container#{i}]\ntype = docker\nimage = {image}\ncommand = sh -c \"{cmd}\"\n")
}

/// (id, StartedAt, running) of a container, as the engine says.
fn seen(name: &str) -> (String, String, bool) {
    let v = inspect(name).unwrap_or_else(|| panic!("no container {name}"));
    (
        v["Id"].as_str().unwrap().to_string(),
        v["State"]["StartedAt"].as_str().unwrap().to_string(),
        v["State"]["Running"] == true,
    )
}

/// A local image tag the test made, removed even on failure.
struct Tag(String);

impl Drop for Tag {
    fn drop(&mut self) {
        let _ = docker(&["rmi", &self.0]);
    }
}

#[test]
fn deploy_again_changes_nothing_and_a_new_config_recreates_only_what_changed() {
    engine();
    let env = Env::new();
    let name = unique("dc");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    let image = registry_image();
    let conf = |cmd2: &str| container(1, &image, LOOP) + &container(2, &image, cmd2);
    env.om_stdin(&[&name, "deploy", "--config=-"], &conf(LOOP))
        .ok();
    let id = env.svc_id(&name);
    let (s1, s2) = (seen(&c1), seen(&c2));
    assert!(s1.2 && s2.2, "deploy left them running");
    // the same config again, without --force: nothing is touched
    let out = env
        .om_stdin(&[&name, "deploy", "--config=-"], &conf(LOOP))
        .ok();
    assert!(out.stderr.contains("config unchanged"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing to change"), "{}", out.stderr);
    assert!(!out.stderr.contains("docker "), "{}", out.stderr);
    assert_eq!((seen(&c1), seen(&c2)), (s1.clone(), s2.clone()));
    // a changed container#2: installed with the same id, only it recreated
    let other = LOOP.replace("sleep 1", "sleep 2");
    let out = env
        .om_stdin(&[&name, "deploy", "--config=-"], &conf(&other))
        .ok();
    assert!(out.stderr.contains("config changed"), "{}", out.stderr);
    let recreated: Vec<&str> = out
        .stderr_lines()
        .into_iter()
        .filter(|l| l.ends_with("config changed since the container was created: recreating"))
        .collect();
    assert!(
        recreated.len() == 1 && recreated[0].contains(".container#2 "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("nothing to change"), "{}", out.stderr);
    assert_eq!(env.svc_id(&name), id, "the service kept its id");
    assert!(env.read_conf(&name).contains("sleep 2"));
    assert_eq!(seen(&c1), s1, "container#1 was touched");
    let n2 = seen(&c2);
    assert!(n2.0 != s2.0 && n2.2, "container#2 not recreated: {n2:?}");
    env.om(&[&name, "status"]).ok();
    // --kw alone would replace the whole config: refused, nothing written
    let before = env.read_conf(&name);
    let out = env
        .om(&[&name, "deploy", "--kw", "container#1.image=nginx"])
        .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("--config"), "{}", out.stderr);
    assert_eq!(env.read_conf(&name), before);
    assert_eq!((seen(&c1), seen(&c2).0), (s1, n2.0));
    env.om(&[&name, "purge"]).ok();
}

/// A deploy made from --kw alone, run again as it was, is a re-run.
#[test]
fn a_deploy_from_kw_runs_again() {
    engine();
    let env = Env::new();
    let name = unique("dk");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    let image = format!("container#1.image={}", registry_image());
    let cmd = format!("container#1.command=sh -c \"{LOOP}\"");
    let argv = [
        name.as_str(),
        "deploy",
        "--kw",
        "container#1.type=docker",
        "--kw",
        &image,
        "--kw",
        &cmd,
    ];
    env.om(&argv).ok();
    let s1 = seen(&c1);
    let out = env.om(&argv).ok();
    assert!(out.stderr.contains("nothing to change"), "{}", out.stderr);
    assert_eq!(seen(&c1), s1);
    env.om(&[&name, "purge"]).ok();
}

/// The first deploy fails on container#2's image pull (not in the
/// registry), after container#1 ran: the same deploy again, once the image
/// is there, finishes it, container#1 kept as it was made.
#[test]
fn a_deploy_that_failed_half_way_is_finished_by_running_it_again() {
    engine();
    let env = Env::new();
    let name = unique("dh");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    let missing = format!("{}/om-test/{name}:1", registry());
    let _tag = Tag(missing.clone());
    let conf = container(1, &registry_image(), LOOP) + &container(2, &missing, LOOP);
    let out = env
        .om_stdin(&[&name, "deploy", "--config=-"], &conf)
        .code(1);
    assert!(
        out.stderr.contains("pulling docker image"),
        "{}",
        out.stderr
    );
    assert!(inspect(&c2).is_none());
    let first = seen(&c1).0;
    // the image appears (pulled since, or built here)
    docker_ok(&["tag", &registry_image(), &missing]);
    let out = env.om_stdin(&[&name, "deploy", "--config=-"], &conf).ok();
    assert!(out.stderr.contains("config unchanged"), "{}", out.stderr);
    let (s1, s2) = (seen(&c1), seen(&c2));
    assert!(s1.2 && s2.2, "{s1:?} {s2:?}");
    assert_eq!(s1.0, first, "container#1 was recreated");
    env.om(&[&name, "status"]).ok();
    env.om(&[&name, "purge"]).ok();
}

/// `create --provision` (the OpenSVC agent's deploy): the service created
/// and its containers running; on an existing service it is a create,
/// refused without --force, and with it converges as deploy does.
#[test]
fn create_provision_creates_then_provisions() {
    engine();
    let env = Env::new();
    let name = unique("cp");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    let conf = container(1, &registry_image(), LOOP);
    let out = env
        .om_stdin(&[&name, "create", "--provision", "--config=-"], &conf)
        .ok();
    assert!(
        out.stderr
            .contains(&format!("service {name} target state set to provisioned")),
        "{}",
        out.stderr
    );
    let s1 = seen(&c1);
    assert!(s1.2, "not running after create --provision");
    env.om(&[&name, "status"]).ok();
    let before = env.read_conf(&name);
    let out = env
        .om_stdin(&[&name, "create", "--provision", "--config=-"], &conf)
        .code(1);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(env.read_conf(&name), before);
    let out = env
        .om_stdin(
            &[&name, "create", "--provision", "--force", "--config=-"],
            &conf,
        )
        .ok();
    assert!(out.stderr.contains("nothing to change"), "{}", out.stderr);
    assert_eq!(seen(&c1), s1);
    env.om(&[&name, "purge"]).ok();
}
