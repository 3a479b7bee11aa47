//! `om SVC docker ARGS…`: substitution, stdio, exit codes (SPEC 6).

use crate::support::*;

#[test]
fn exit_codes_pass_through() {
    engine();
    let env = Env::new();
    let name = unique("pt");
    create(&env, &name, "[container#1]\ntype = docker\nimage = nginx\n");
    env.om(&[
        &name,
        "docker",
        "run",
        "--rm",
        "--net=none",
        "nginx",
        "sh",
        "-c",
        "exit 7",
    ])
    .code(7);
    let out = env
        .om(&[
            &name,
            "docker",
            "run",
            "--rm",
            "--net=none",
            "nginx",
            "sh",
            "-c",
            "echo out; echo err >&2",
        ])
        .ok();
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    // stdin reaches docker too
    let out = env
        .om_stdin(
            &[
                &name,
                "docker",
                "run",
                "--rm",
                "-i",
                "--net=none",
                "nginx",
                "cat",
            ],
            "piped\n",
        )
        .ok();
    assert_eq!(out.stdout, "piped\n");
}

#[test]
fn references_are_substituted() {
    engine();
    let env = Env::new();
    let name = unique("pt");
    let c1 = format!("{name}.container.1");
    let c2 = format!("{name}.container.2");
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n\n[container#2]\ntype = docker\nimage = om-test/busybox\n",
    );
    env.om(&[&name, "start"]).ok();
    let out = env
        .om(&[
            &name,
            "docker",
            "inspect",
            "--format",
            "{{.Name}}",
            "{container#1}",
            "%2%",
        ])
        .ok();
    assert_eq!(out.stdout, format!("/{c1}\n/{c2}\n"));
    let out = env
        .om(&[
            &name,
            "docker",
            "ps",
            "--filter",
            "name={container#2}",
            "--format",
            "{{.Names}}",
        ])
        .ok();
    assert_eq!(out.stdout, format!("{c2}\n"));
    let out = env
        .om(&[
            &name,
            "docker",
            "inspect",
            "--format",
            "{{.Config.Image}}",
            "{instances}",
        ])
        .ok();
    assert_eq!(out.stdout, "nginx\nom-test/busybox\n");
    let out = env
        .om(&[
            &name,
            "docker",
            "image",
            "inspect",
            "--format",
            "{{len .RepoTags}}",
            "{images}",
        ])
        .ok();
    assert_eq!(out.stdout.lines().count(), 2);
}

#[test]
fn bad_references_and_usage() {
    let env = Env::new();
    let name = unique("pt");
    create(&env, &name, "[container#1]\ntype = docker\nimage = nginx\n");
    let out = env
        .om(&[&name, "docker", "inspect", "{container#9}"])
        .code(2);
    assert_eq!(
        out.stderr,
        format!("om: service {name} has no container#9 (its rids: container#1)\n")
    );
    env.om(&[&name, "docker"]).code(2);
    // options are docker's, --help included
    let out = env.om(&[&name, "docker", "--help"]).ok();
    assert!(
        out.stdout.contains("Usage:  docker [OPTIONS] COMMAND"),
        "{}",
        out.stdout
    );
    env.om(&["nosuch", "docker", "ps"]).code(1);
    // a glob that matches nothing runs nothing, and says so
    let out = env.om(&["zz*", "docker", "ps"]).code(1);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "om: no service matches 'zz*'\n");
}

/// A fake `OM_RSH` that logs its words, one a line, and exits
/// `$FAKE_RSH_EXIT`: the exact remote call, with no node to reach.
fn fake_rsh(env: &mut Env) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = env.root().join("fake-rsh");
    let log = env.root().join("rsh.log");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" >\"$FAKE_RSH_LOG\"\necho remote out\nexit \"${FAKE_RSH_EXIT:-0}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.vars
        .push(("OM_RSH".into(), script.display().to_string()));
    env.vars
        .push(("FAKE_RSH_LOG".into(), log.display().to_string()));
    log
}

fn multinode_ini() -> String {
    format!("[DEFAULT]\nnodes = {NODE} n2\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = nginx\n")
}

#[test]
fn node_runs_the_passthrough_there_with_its_exit_code() {
    let mut env = Env::new();
    let log = fake_rsh(&mut env);
    let name = unique("pn");
    create(&env, &name, &multinode_ini());
    env.vars.push(("FAKE_RSH_EXIT".into(), "7".into()));
    // the words as given, the references left to the om there; no
    // terminal here, so no -t
    let out = env
        .om(&[
            &name,
            "docker",
            "--node",
            "n2",
            "exec",
            "{container#1}",
            "sh",
            "-c",
            "exit 7",
        ])
        .code(7);
    assert_eq!(out.stdout, "remote out\n");
    assert_eq!(out.stderr, "");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("n2\nom\n{name}\ndocker\n--\nexec\n'{{container#1}}'\nsh\n-c\n'exit 7'\n")
    );
    // the replayable line in the action log
    let actions = env.om(&[&name, "logs"]).ok().stdout;
    assert!(
        actions.contains(&format!("fake-rsh n2 om {name} docker -- exec")),
        "{actions}"
    );
    // a drp node too (a docker call starts nothing); ssh's own failure
    // (255) names the node
    env.vars.push(("FAKE_RSH_EXIT".into(), "255".into()));
    let out = env.om(&[&name, "docker", "--node", "n3", "ps"]).code(255);
    assert_eq!(
        out.stderr,
        format!("om: {name}: docker on n3: ssh exited 255: n3 is unreachable, or docker there exited 255\n")
    );
}

#[test]
fn node_not_of_the_service_is_a_usage_error_naming_its_nodes() {
    let mut env = Env::new();
    let log = fake_rsh(&mut env);
    let name = unique("pn");
    create(&env, &name, &multinode_ini());
    // (the create sent the config through it)
    std::fs::remove_file(&log).unwrap();
    let out = env.om(&[&name, "docker", "--node", "n9", "ps"]).code(2);
    assert_eq!(
        out.stderr,
        format!("om: {name}: n9 is not a node of the service (nodes: {NODE} n2; drpnodes: n3)\n")
    );
    assert!(!log.exists(), "nothing ran");
}

#[test]
fn node_naming_this_node_runs_here_and_a_later_node_is_dockers() {
    let mut fake = crate::fake_docker::Fake::new();
    let rsh_log = fake_rsh(&mut fake.env);
    let name = unique("pn");
    create(&fake.env, &name, &multinode_ini());
    // (the create sent the config through it)
    std::fs::remove_file(&rsh_log).unwrap();
    // this node by its first label; the --node after the docker words is
    // docker's
    fake.env
        .om(&[&name, "docker", "--node", "deb1", "ps", "--node", "x"])
        .ok();
    // substituted here (the fake engine has no such container: its exit 1)
    fake.env
        .om(&[&name, "docker", "--node", NODE, "inspect", "{container#1}"])
        .code(1);
    assert_eq!(
        fake.calls(),
        [
            vec!["ps", "--node", "x"],
            vec!["inspect", &format!("{name}.container.1")]
        ]
    );
    assert!(!rsh_log.exists(), "no transport for this node");
}

/// `enter` on a service with one container needs no `--rid`; with several,
/// no `--rid` is a one-line usage error naming the rids, and nothing runs.
#[test]
fn enter_needs_a_rid_only_among_several_containers() {
    engine();
    let env = Env::new();
    let name = unique("ent");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n\
         command = /bin/sh -c \"trap 'exit 0' TERM; while :; do sleep 1; done\"\n",
    );
    env.om(&[&name, "start"]).ok();
    let out = env
        .om_stdin(&[&name, "enter"], "echo hi-from-$(hostname)\nexit 3\n")
        .code(3);
    assert!(out.stdout.starts_with("hi-from-"), "{}", out.stdout);

    let two = unique("ent2");
    create(
        &env,
        &two,
        "[container#1]\ntype = docker\nimage = om-test/busybox\n\
         [container#2]\ntype = docker\nimage = om-test/busybox\n",
    );
    let out = env.om(&[&two, "enter"]).code(2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("--rid") && out.stderr.contains("container#1, container#2"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge"]).ok();
}
