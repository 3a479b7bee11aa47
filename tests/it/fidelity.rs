//! Word for word with the OpenSVC agent (issue 9): the config commands.

use crate::support::*;
use serde_json::Value;
use std::time::Duration;

#[test]
fn opensvc_json_forms_read_and_written() {
    let env = Env::new();
    let name = unique("pk");
    // the path-keyed form names its service
    let keyed =
        format!(r#"{{"{name}": {{"container#1": {{"type": "docker", "image": "nginx"}}}}}}"#);
    env.om_stdin(&[&name, "create", "--config=-"], &keyed).ok();
    assert!(env
        .read_conf(&name)
        .contains("[container#1]\ntype = docker\nimage = nginx\n"));
    let other = unique("pk");
    let out = env
        .om_stdin(&[&other, "create", "--config=-"], &keyed)
        .code(1);
    assert!(
        out.stderr
            .contains(&format!("the config is for service {name}")),
        "{}",
        out.stderr
    );
    assert!(!env.conf(&other).exists());
    // print config --format json is the metadata form, and reads back
    let json = env
        .om(&[&name, "print", "config", "--format", "json"])
        .ok()
        .stdout;
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["metadata"]["name"], name.as_str());
    assert_eq!(v["metadata"]["namespace"], "root");
    assert_eq!(v["metadata"]["kind"], "svc");
    assert_eq!(v["container#1"]["image"], "nginx");
    let copy = unique("pk");
    env.om_stdin(&[&copy, "create", "--config=-"], &json).ok();
    assert_eq!(
        env.om(&[&copy, "get", "--kw", "container#1.image"])
            .ok()
            .stdout,
        "nginx\n"
    );
    // an empty config is an error, not a service with only an id
    for empty in ["{}", "", "\n"] {
        let n = unique("pk");
        let out = env.om_stdin(&[&n, "create", "--config=-"], empty).code(1);
        assert!(
            out.stderr.contains("empty config"),
            "{empty:?}: {}",
            out.stderr
        );
        assert!(!env.conf(&n).exists());
    }
}

#[test]
fn get_is_raw_without_eval() {
    let env = Env::new();
    let name = unique("gr");
    create(
        &env,
        &name,
        "[env]\ntag = 1.25\n[container#1]\ntype = docker\nimage = nginx:{env.tag}\nimage@deb1 = busybox\n",
    );
    let get = |args: &[&str]| {
        env.om(&[&[name.as_str(), "get"][..], args].concat())
            .ok()
            .stdout
    };
    assert_eq!(get(&["--kw", "container#1.image"]), "nginx:{env.tag}\n");
    assert_eq!(get(&["--kw", "container#1.image@deb1"]), "busybox\n");
    assert_eq!(get(&["--kw", "container#1.image", "--eval"]), "busybox\n");
    // unset with a default: the default; without: exit 1
    assert_eq!(get(&["--kw", "container#1.start_timeout"]), "5s\n");
    env.om(&[&name, "get", "--kw", "container#1.user"]).code(1);
}

#[test]
fn set_appends_and_removes_words_as_written() {
    let env = Env::new();
    let name = unique("sw");
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\nrun_args = -p 80:80\nenvironment = TZ=UTC\n",
    );
    env.om(&[&name, "set", "--kw", "container#1.run_args+=-e A=1"])
        .ok();
    env.om(&[
        &name,
        "set",
        "--kw",
        "container#1.environment+=GREETING=\"hello world\"",
    ])
    .ok();
    let conf = env.read_conf(&name);
    assert!(conf.contains("run_args = -p 80:80 -e A=1\n"), "{conf}");
    assert!(
        conf.contains("environment = TZ=UTC GREETING=\"hello world\"\n"),
        "{conf}"
    );
    env.om(&[&name, "set", "--kw", "container#1.run_args-=-p 80:80"])
        .ok();
    env.om(&[&name, "set", "--kw", "container#1.environment-=TZ=UTC"])
        .ok();
    let conf = env.read_conf(&name);
    assert!(conf.contains("run_args = -e A=1\n"), "{conf}");
    assert!(
        conf.contains("environment = GREETING=\"hello world\"\n"),
        "{conf}"
    );
}

/// Health in status, on the real engine: `health: starting` is up with an
/// info line, `unhealthy` is warn with the check's last output.
#[test]
fn an_unhealthy_container_is_warn_with_its_check_output() {
    engine();
    let env = Env::new();
    let name = unique("hl");
    let c = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c.clone()]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\nstart_timeout = 20s\n\
         run_args = --health-cmd 'test ! -e /tmp/sick || (echo sick file present; exit 1)' --health-interval 1s --health-retries 1\n",
    );
    env.om(&[&name, "start"]).ok();
    env.om(&[&name, "status"]).ok();
    assert!(docker(&["exec", &c, "touch", "/tmp/sick"]).status.success());
    wait_for(
        "the container to be unhealthy",
        Duration::from_secs(30),
        || inspect(&c).unwrap()["State"]["Health"]["Status"] == "unhealthy",
    );
    env.om(&[&name, "status"]).code(2);
    let out = env.om(&[&name, "print", "status"]).ok();
    assert!(
        out.stdout.contains("warn: unhealthy: sick file present"),
        "{}",
        out.stdout
    );
    env.om(&[&name, "purge"]).ok();
}

/// A wait longer than 5 s says where it is every 5 s (SPEC 4.3).
#[test]
fn long_waits_show_progress() {
    engine();
    let env = Env::new();
    let name = unique("pg");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        "[container#1]\ntype = docker\nimage = om-test/busybox\nstart_timeout = 6s\n\
         run_args = --health-cmd true --health-interval 60s --health-start-period 60s\n",
    );
    let out = env.om(&[&name, "start"]).code(1);
    let progress: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("wait for container operational: "))
        .collect();
    assert_eq!(progress.len(), 1, "{}", out.stderr);
    assert!(
        progress[0].ends_with("wait for container operational: 5s of 6s, health starting"),
        "{}",
        progress[0]
    );
    assert!(
        out.stderr.contains("not healthy after 6s"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge"]).ok();
}

/// `deploy --force` converges (SPEC 3): only the containers whose config
/// changed are recreated; a second identical deploy touches nothing. Status
/// says when a container was made from another config.
#[test]
fn deploy_force_converges_and_status_tells_drift() {
    engine();
    let env = Env::new();
    let name = unique("cv");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    let conf = |cmd: &str| {
        format!(
            "[container#1]\ntype = docker\nimage = om-test/busybox\n\
             [container#2]\ntype = docker\nimage = om-test/busybox\ncommand = {cmd}\n"
        )
    };
    let loop_cmd = "/bin/sh -c \"trap 'exit 0' TERM; while :; do sleep 1; done\"";
    env.om_stdin(&[&name, "deploy", "--config=-"], &conf(loop_cmd))
        .ok();
    let id = |c: &str| inspect(c).unwrap()["Id"].as_str().unwrap().to_string();
    let (id1, id2) = (id(&c1), id(&c2));
    // the same config again: nothing changes, and om says so
    let out = env
        .om_stdin(&[&name, "deploy", "--force", "--config=-"], &conf(loop_cmd))
        .ok();
    assert!(out.stderr.contains("nothing to change"), "{}", out.stderr);
    assert_eq!((id(&c1), id(&c2)), (id1.clone(), id2.clone()));
    // a changed config: status tells, deploy --force recreates only container#2
    let other = "/bin/sh -c \"trap 'exit 0' TERM; while :; do sleep 2; done\"";
    env.om(&[
        &name,
        "set",
        "--kw",
        &format!("container#2.command={other}"),
    ])
    .ok();
    env.om(&[&name, "status"]).code(2);
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.contains("warn: config changed since the container was created"),
        "{st}"
    );
    let out = env
        .om_stdin(&[&name, "deploy", "--force", "--config=-"], &conf(other))
        .ok();
    assert!(out.stderr.contains("recreating"), "{}", out.stderr);
    assert_eq!(id(&c1), id1);
    assert_ne!(id(&c2), id2);
    env.om(&[&name, "status"]).ok();
    env.om(&[&name, "purge"]).ok();
}

/// The everyday commands (issue 9): pull, --quiet, help, hints.
#[test]
fn everyday_commands() {
    let fake = crate::fake_docker::Fake::new();
    let name = unique("ev");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\ntags = web\n\
         [container#2]\ntype = docker\nimage = nginx\n\
         [container#3]\ntype = docker\nimage = om-test/busybox\n",
    );
    // pull: each distinct image once
    fake.env.om(&[&name, "pull"]).ok();
    let pulls: Vec<Vec<String>> = fake
        .calls()
        .into_iter()
        .filter(|c| c[0] == "pull")
        .collect();
    assert_eq!(pulls, [["pull", "nginx"], ["pull", "om-test/busybox"]]);
    // --quiet: nothing but warnings and errors on stderr, all in the log
    let out = fake.env.om(&[&name, "start", "-q"]).ok();
    assert_eq!(out.stderr, "");
    let log = std::fs::read_to_string(fake.env.root().join(format!("log/{name}.log"))).unwrap();
    assert!(log.contains("docker run -d"), "{log}");
    // a tag no resource has is said
    let out = fake.env.om(&[&name, "stop", "--tag", "wbe"]).ok();
    assert!(
        out.stderr
            .contains("--tag wbe: no resource has it (tags: web)"),
        "{}",
        out.stderr
    );
    // an ignored keyword set warns at once
    let out = fake
        .env
        .om(&[&name, "set", "--kw", "container#1.restart=2"])
        .ok();
    assert!(
        out.stderr
            .contains("container#1.restart: not supported by om"),
        "{}",
        out.stderr
    );
    // help, and the order of the words
    let out = fake.env.om(&["help"]).ok();
    assert!(
        out.stdout.contains("Usage: om SELECTOR COMMAND"),
        "{}",
        out.stdout
    );
    let out = fake.env.om(&["help", "print", "status"]).ok();
    assert!(
        out.stdout.contains("Usage: om SELECTOR print status"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("P  not provisioned"), "{}", out.stdout);
    let out = fake.env.om(&["start", &name]).code(2);
    assert_eq!(
        out.stderr,
        format!("om: the service comes first: om {name} start\n")
    );
}

/// While an action runs, status says which, and flags its resources `R`.
#[test]
fn status_shows_the_running_action() {
    let mut fake = crate::fake_docker::Fake::new();
    let name = unique("ra");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    fake.with_container(&name, true);
    fake.env
        .vars
        .push(("FAKE_DOCKER_DELAY".into(), "stop:3".into()));
    let mut stop = fake.env.std_cmd(&[&name, "stop"]).spawn().unwrap();
    // in its docker stop, which lasts 3 s
    wait_for("the stop's docker stop", Duration::from_secs(20), || {
        fake.calls().iter().any(|c| c[0] == "stop")
    });
    let out = fake.env.om(&[&name, "print", "status"]).ok();
    assert!(stop.wait().unwrap().success());
    assert!(
        out.stdout.contains(" stop\n") || out.stdout.contains(" stop,"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("container#1      R......."),
        "{}",
        out.stdout
    );
    let after = fake.env.om(&[&name, "print", "status"]).ok();
    assert!(after.stdout.contains(" idle"), "{}", after.stdout);
}

/// `logs --containers`: the containers' own output, prefixed with the rid,
/// escaped.
/// `logs` is om's action log; a compose user expecting the containers'
/// output is told, in its help, the commands that give it (issue 23).
#[test]
fn logs_help_says_where_the_containers_output_is() {
    let env = Env::new();
    for argv in [
        &["logs", "--help"][..],
        &["web", "logs", "--help"],
        &["help", "logs"],
    ] {
        let out = env.om(argv).ok();
        let help = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        for cmd in [
            "om SVC docker logs -f {container#1}",
            "om SVC logs --containers -f",
        ] {
            assert!(help.contains(cmd), "{argv:?}: no `{cmd}` in {}", out.stdout);
        }
    }
}

#[test]
fn logs_of_the_containers() {
    engine();
    let env = Env::new();
    let name = unique("lg");
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
    ]);
    let body = |n: u8| {
        format!(
            "[container#{n}]\ntype = docker\nimage = om-test/busybox\n\
             command = /bin/sh -c \"echo first of {n}; printf '\\\\033[31mred {n}\\\\n'; trap 'exit 0' TERM; while :; do sleep 1; done\"\n"
        )
    };
    create(&env, &name, &(body(1) + &body(2)));
    env.om(&[&name, "start"]).ok();
    let out = env.om(&[&name, "logs", "--containers"]).ok().stdout;
    for want in [
        "container#1 | first of 1\n",
        "container#2 | first of 2\n",
        "container#1 | \\e[31mred 1\n",
    ] {
        assert!(out.contains(want), "{want:?} in {out}");
    }
    assert!(!out.contains('\x1b'));
    let out = env
        .om(&[
            &name,
            "logs",
            "--containers",
            "--rid",
            "container#2",
            "--tail",
            "1",
        ])
        .ok()
        .stdout;
    assert_eq!(out, "container#2 | \\e[31mred 2\n");
    env.om(&[&name, "purge"]).ok();
}

/// The README's annotated config provisions as printed (with the test
/// image): the README stays true.
#[test]
fn the_readme_config_provisions_as_printed() {
    engine();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```ini\n[DEFAULT]")
        .expect("the annotated config")
        + 7;
    let ini = &readme[start..start + readme[start..].find("```").unwrap()];
    let env = Env::new();
    let name = unique("rd");
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
    ]);
    env.om_stdin(&[&name, "deploy", "--config=-"], ini).ok();
    env.om(&[&name, "status"]).ok();
    env.om(&[&name, "purge"]).ok();
}

/// `deploy --force` after a namespace holder changed recreates who joined
/// it, and a renamed resource is recreated under its new name.
#[test]
fn deploy_force_follows_holders_and_names() {
    engine();
    let env = Env::new();
    let name = unique("nh");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let renamed = format!("{name}-two");
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone(), renamed.clone()]);
    let loop_cmd =
        |n: u8| format!("/bin/sh -c \"trap 'exit 0' TERM; while :; do sleep {n} & wait $!; done\"");
    let conf = |n: u8, second_name: &str| {
        format!(
            "[container#1]\ntype = docker\nimage = om-test/busybox\ncommand = {}\n\
             [container#2]\ntype = docker\nimage = om-test/busybox\nnetns = container#1\ncommand = {}\n{second_name}",
            loop_cmd(n),
            loop_cmd(1)
        )
    };
    env.om_stdin(&[&name, "deploy", "--config=-"], &conf(1, ""))
        .ok();
    let id = |c: &str| inspect(c).unwrap()["Id"].as_str().unwrap().to_string();
    let (id1, id2) = (id(&c1), id(&c2));
    let out = env
        .om_stdin(&[&name, "deploy", "--force", "--config=-"], &conf(2, ""))
        .ok();
    assert!(
        out.stderr.contains("its namespace holder was recreated"),
        "{}",
        out.stderr
    );
    assert_ne!(id(&c1), id1);
    assert_ne!(id(&c2), id2);
    // a new name: the old container goes, the new one runs
    let out = env
        .om_stdin(
            &[&name, "deploy", "--force", "--config=-"],
            &conf(2, &format!("name = {renamed}\n")),
        )
        .ok();
    assert!(out.stderr.contains("recreating"), "{}", out.stderr);
    assert!(inspect(&c2).is_none(), "the old container is left");
    assert_eq!(inspect(&renamed).unwrap()["State"]["Running"], true);
    env.om(&[&name, "purge"]).ok();
}

/// `logs --containers -f | head -1` ends: the closed pipe ends every reader.
#[test]
fn following_container_logs_ends_with_its_reader() {
    engine();
    let env = Env::new();
    let name = unique("lf");
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
    ]);
    // container#1 says something every second, container#2 once: its
    // reader would wait forever if only the reader that met the closed pipe
    // ended
    let body = |n: u8, tick: &str| {
        format!(
            "[container#{n}]\ntype = docker\nimage = om-test/busybox\n\
             command = /bin/sh -c \"echo hello {n}; trap 'exit 0' TERM; while :; do {tick} sleep 1 & wait $!; done\"\n"
        )
    };
    create(&env, &name, &(body(1, "echo tick;") + &body(2, "")));
    env.om(&[&name, "start"]).ok();
    let mut child = env
        .std_cmd(&[&name, "logs", "--containers", "-f"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    // the next lines come within a second or two; then every reader ends
    wait_for("om logs -f to end", Duration::from_secs(15), || {
        child.try_wait().unwrap().is_some()
    });
    env.om(&[&name, "purge"]).ok();
}

/// An image named without a tag and the same image with `:latest` are one
/// image: a container made under one name, configured under the other, is
/// up with no "running image differs" and no "config changed".
#[test]
fn an_image_and_its_latest_tag_are_the_same_image() {
    let env = Env::new();
    let name = unique("lt");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    let conf = "[container#1]\ntype = docker\nimage = om-test/busybox\n\
                command = /bin/sh -c \"trap 'exit 0' TERM; while :; do sleep 1; done\"\n";
    env.om_stdin(&[&name, "deploy", "--config=-"], conf).ok();
    env.om(&[&name, "status"]).ok();
    for image in ["om-test/busybox:latest", "om-test/busybox"] {
        env.om(&[&name, "set", "--kw", &format!("container#1.image={image}")])
            .ok();
        let st = env.om(&[&name, "print", "status"]).ok().stdout;
        assert!(!st.contains("differs"), "{image}: {st}");
        assert!(!st.contains("config changed"), "{image}: {st}");
        env.om(&[&name, "status"]).ok();
    }
    // another tag is another image
    env.om(&[&name, "set", "--kw", "container#1.image=om-test/busybox:1"])
        .ok();
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(
        st.contains(
            "warn: running image om-test/busybox differs from the configured om-test/busybox:1"
        ),
        "{st}"
    );
    env.om(&[&name, "status"]).code(2);
    env.om(&[&name, "purge"]).ok();
}

/// docker compose's `exec` and `ps`, and `print status SVC`, get a one-line
/// hint naming om's form, as `om start SVC` does; nothing else runs.
#[test]
fn compose_words_and_a_late_service_get_a_hint() {
    let fake = crate::fake_docker::Fake::new();
    let name = unique("hn");
    create(
        &fake.env,
        &name,
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    for (args, want) in [
        (
            vec![name.as_str(), "exec", "ls", "-l"],
            format!("om has no exec: om {name} docker exec {{container#1}} ls -l runs in a container (om {name} enter: a shell)"),
        ),
        (
            vec!["print", "status", name.as_str()],
            format!("the service comes first: om {name} print status"),
        ),
        (
            vec!["print", "config", name.as_str(), "--format", "json"],
            format!("the service comes first: om {name} print config --format json"),
        ),
    ] {
        let out = fake.env.om(&args).code(2);
        assert_eq!(out.stderr, format!("om: {want}\n"), "{args:?}");
    }
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    // the right order still runs
    fake.env.om(&[&name, "print", "config"]).ok();
}

#[test]
fn print_status_refresh_is_accepted_and_changes_nothing() {
    let env = Env::new();
    let name = unique("rf");
    create(&env, &name, "[container#1]\ntype = docker\nimage = nginx\n");
    // the agent's `--refresh`: om's status is always fresh
    let plain = env.om(&[&name, "print", "status", "--format", "json"]).ok();
    let refreshed = env
        .om(&[&name, "print", "status", "--refresh", "--format", "json"])
        .ok();
    assert_eq!(refreshed.stdout, plain.stdout);
    assert_eq!(refreshed.stderr, plain.stderr);
}

#[test]
fn create_template_is_create_config() {
    let env = Env::new();
    let ini = "[container#1]\ntype = docker\nimage = nginx\n";
    // a file of the test's own tempdir (the env's root)
    let file = env.root().join("tpl.conf");
    std::fs::write(&file, ini).unwrap();
    let (a, b) = (unique("tp"), unique("tp"));
    let file = file.to_str().unwrap();
    env.om(&[&a, "create", "--template", file]).ok();
    env.om(&[&b, "create", &format!("--config={file}")]).ok();
    let body = |name: &str| {
        let conf = env.read_conf(name);
        conf.lines()
            .filter(|l| !l.starts_with("id ="))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(body(&a).contains("[container#1]\ntype = docker\nimage = nginx"));
    assert_eq!(body(&a), body(&b));
}

/// `app`, the agent's DEFAULT keyword the hosting page tags services with
/// (beside `env`): accepted without a word, printed, set, its default
/// `default` as the agent's, and in om.conf(5).
#[test]
fn app_is_a_default_keyword() {
    let env = Env::new();
    let name = unique("ap");
    let out = env
        .om_stdin(
            &[&name, "create", "--config=-"],
            "[DEFAULT]\nenv = PRD\napp = shop\n[container#1]\ntype = docker\nimage = nginx\n",
        )
        .ok();
    assert_eq!(out.stderr, "");
    assert_eq!(env.om(&[&name, "validate", "config"]).ok().stderr, "");
    let config = env.om(&[&name, "print", "config"]).ok().stdout;
    assert!(config.contains("env = PRD\napp = shop\n"), "{config}");
    env.om(&[&name, "set", "--kw", "app=billing"]).ok();
    assert_eq!(
        env.om(&[&name, "get", "--kw", "app"]).ok().stdout,
        "billing\n"
    );
    env.om(&[&name, "unset", "--kw", "app"]).ok();
    assert_eq!(
        env.om(&[&name, "get", "--kw", "app", "--eval"]).ok().stdout,
        "default\n"
    );
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/om.conf.5"),
    )
    .unwrap();
    assert!(page.contains("who is responsible for the service"));
}
