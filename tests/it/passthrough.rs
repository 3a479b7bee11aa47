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
    // a glob that matches nothing runs nothing and succeeds
    let out = env.om(&["zz*", "docker", "ps"]).ok();
    assert_eq!(out.stdout, "");
}
