//! Containers that share a namespace with another of the service (SPEC
//! 14): restarted after their holder, and said when it is gone.

use crate::support::{
    create, docker, docker_ok, engine, registry_image, unique, Cleanup, Env, LOOP,
};

/// A container section of the test image, `extra` its own keywords.
fn container(extra: &str) -> String {
    format!(
        "type = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n{extra}",
        registry_image()
    )
}

/// Two such containers, `container#1` and `container#2`.
fn two(extra1: &str, extra2: &str) -> String {
    format!(
        "[container#1]\n{}[container#2]\n{}",
        container(extra1),
        container(extra2)
    )
}

fn netns(container: &str) -> String {
    docker_ok(&["exec", container, "readlink", "/proc/1/ns/net"])
}

#[test]
fn a_restarted_holder_takes_its_joiners_into_its_new_namespace() {
    engine();
    let env = Env::new();
    let name = unique("nh");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(
        &env,
        &name,
        &two("hostname = holder1\n", "netns = container#1\n"),
    );
    env.om(&[&name, "start"]).ok();
    assert_eq!(netns(&c1), netns(&c2));
    let before = netns(&c1);
    let out = env.om(&[&name, "restart", "--rid", "container#1"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "{name}.container#2   its namespace holder was started again: restarting it into the new namespace"
        )),
        "{}",
        out.stderr
    );
    // container#1 has a new namespace, and container#2 is in it
    assert_ne!(netns(&c1), before);
    assert_eq!(netns(&c1), netns(&c2));
    assert_eq!(docker_ok(&["exec", &c2, "hostname"]), "holder1");

    // the holder removed behind om's back: status says so
    docker_ok(&["rm", "-f", &c1]);
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.contains(&format!(
            "warn: its namespace holder container#1 ({c1}) does not exist"
        )),
        "{st}"
    );
    let _ = docker(&["rm", "-f", &c2]);
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn requirements_are_checked_at_the_resource_turn() {
    engine();
    let env = Env::new();
    let name = unique("rq");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(
        &env,
        &name,
        &two(
            "stop_requires = container#2(down)\n",
            "start_requires = container#1\n",
        ),
    );
    let running =
        |n: &str| crate::support::inspect(n).is_some_and(|v| v["State"]["Running"] == true);
    let out = env.om(&[&name, "start", "--rid", "container#2"]).code(1);
    assert!(
        out.stderr
            .contains("container#2 E start requires container#1 up, it is down"),
        "{}",
        out.stderr
    );
    assert!(crate::support::inspect(&c2).is_none(), "nothing started");
    env.om(&[&name, "start"]).ok();
    assert!(running(&c1) && running(&c2));
    let out = env.om(&[&name, "stop", "--rid", "container#1"]).code(1);
    assert!(
        out.stderr
            .contains("container#1 E stop requires container#2 down, it is up"),
        "{}",
        out.stderr
    );
    assert!(running(&c1));
    // the whole stop stops container#2 first: then container#1 may go
    env.om(&[&name, "stop"]).ok();
    assert!(!running(&c1) && !running(&c2));
    env.om(&[&name, "purge"]).ok();

    // a rid the service lacks, a state that does not exist: config errors
    for (word, says) in [
        ("container#9(up)", "no such resource container#9"),
        ("container#1(running)", "'running' is not a state"),
    ] {
        let out = env
            .om_stdin(
                &[&unique("rx"), "create", "--config=-"],
                &two("", &format!("start_requires = {word}\n")),
            )
            .code(1);
        assert!(
            out.stderr.contains("container#2.start_requires: ") && out.stderr.contains(says),
            "{}",
            out.stderr
        );
    }
}
