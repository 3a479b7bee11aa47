//! The configuration store: create forms, print/get/set/unset, in-place
//! edits, bad input (SPEC 1, 2, 3, 7). No engine needed.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;

const ONE: &str = r#"{"container#1": {"type": "docker", "image": "nginx"}}"#;

/// Every file under the root with its content, to prove nothing changed.
fn snapshot(env: &Env) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.to_string_lossy().contains("/log/") && !p.ends_with("lock") {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(env.root(), &mut out);
    out.sort();
    out
}

#[test]
fn bad_input_is_one_clear_line_and_changes_nothing() {
    let env = Env::new();
    env.om_stdin(&["s1", "create", "--config=-"], ONE).ok();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["../x", "create"], "", "invalid service path '../x'"),
        (&["a/b/c/d", "create"], "", "invalid service path 'a/b/c/d'"),
        (&["svc_1", "create"], "", "name 'svc_1' has '_'"),
        (
            &["Svc", "create"],
            "",
            "name 'Svc' must start with a lowercase letter",
        ),
        (&["..", "create"], "", "invalid service path '..'"),
        (&["x..y", "create"], "", "name 'x..y' has '.'"),
        (&["ns1/vol/x", "create"], "", "kind 'vol' is not supported"),
        (&["", "create"], "", "name is empty"),
        (&["s2", "create", "--config=-"], "{", "invalid JSON config"),
        (
            &["s2", "create", "--config=-"],
            "[1]",
            "expected an object of sections",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"image": {"a": 1}}}"#,
            "container#1.image must be a string",
        ),
        (
            &["s2", "create", "--config=-"],
            "[container#1]\njunk\n",
            "line 2: expected 'key = value'",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "imgae": "x"}}"#,
            "container#1.imgae: unknown keyword (did you mean image?)",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "podman", "image": "x"}}"#,
            "container#1.type: 'podman' is not one of: docker",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"floppy#1": {"type": "docker"}}"#,
            "unknown section [floppy#1]",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker"}}"#,
            "container#1.image: missing",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "x", "rm": "maybe"}}"#,
            "container#1.rm: 'maybe' is not a boolean",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "x", "stop_timeout": "5x"}}"#,
            "container#1.stop_timeout: '5x' is not a duration",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "x", "image_pull_policy": "never"}}"#,
            "'never' is not one of: once, always",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "{nope}"}}"#,
            "container#1.image: unknown reference {nope}",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "{container#1.user}", "user": "{container#1.image}"}}"#,
            "reference cycle",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "x", "netns": "container#2"}}"#,
            "container#1.netns: no resource container#2",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "x", "netns": "host", "hostname": "h"}}"#,
            "container#1.hostname: needs a private network namespace, but netns is host",
        ),
        (
            &["s2", "create", "--config=-"],
            r#"{"container#1": {"type": "docker", "image": "x", "": "y"}}"#,
            "invalid keyword 'container#1.': it is empty",
        ),
        (
            &[
                "s2",
                "create",
                "--kw",
                "container#1.type=docker",
                "--env",
                "[x=1",
            ],
            "",
            "--env '[x=1': invalid keyword 'env.[x': it starts with '['",
        ),
        (
            &["s1", "set", "--kw", "env.#x=1"],
            "",
            "invalid keyword 'env.#x': it starts with '['",
        ),
        (
            &["s1", "set", "--kw", "id=1234"],
            "",
            "DEFAULT.id is set at create and never changed",
        ),
        (
            &["s1", "unset", "--kw", "id"],
            "",
            "DEFAULT.id is set at create and never changed",
        ),
        (
            &["s2", "create", "--config=/nonexistent/x.json"],
            "",
            "--config /nonexistent/x.json",
        ),
        (
            &[
                "s2",
                "create",
                "--kw",
                "container#1.type=docker",
                "--env",
                "novalue",
            ],
            "",
            "--env 'novalue': expected KEY=VALUE",
        ),
        (
            &["s1", "create", "--config=-"],
            ONE,
            "service s1 already exists (use --force",
        ),
        (
            &["s1", "set", "--kw", "container#1.imgae=x"],
            "",
            "container#1.imgae: unknown keyword (did you mean image?)",
        ),
        (
            &["s1", "set", "--kw", "container#1.rm=maybe"],
            "",
            "is not a boolean",
        ),
        (
            &["s1", "set", "--kw", "container#9.image=x"],
            "",
            "[container#9] has no type",
        ),
        (
            &["s1", "set", "--kw", "novalue"],
            "",
            "--kw 'novalue': expected KEY=VALUE",
        ),
        (
            &["s1", "set", "--kw", "container#1.image="],
            "",
            "container#1.image: missing",
        ),
        (
            &["s1", "unset", "--kw", "container#9.image"],
            "",
            "no section [container#9]",
        ),
        (
            &["s1", "unset", "--kw", "container#1.image"],
            "",
            "container#1.image: missing",
        ),
        (
            &["s1", "get", "--kw", "container#9.image"],
            "",
            "no section [container#9]",
        ),
        (
            &["s1", "get", "--kw", "container#1.user"],
            "",
            "container#1.user is not set and has no default",
        ),
        (
            &["s1", "delete", "--rid", "container#7"],
            "",
            "--rid container#7: no such section",
        ),
        (
            &["s1", "disable", "--rid", "container#7"],
            "",
            "--rid container#7: no such resource",
        ),
        (
            &["s1", "start", "--rid", "container#7"],
            "",
            "--rid container#7: no such resource in s1",
        ),
        (
            &["s1", "set", "--kw", "x=1", "--waitlock", "soon"],
            "",
            "--waitlock: 'soon' is not a duration",
        ),
        (
            &["nosuch", "print", "config"],
            "",
            "service nosuch does not exist",
        ),
    ];
    let before = snapshot(&env);
    for (args, stdin, want) in cases {
        let out = env.om_stdin(args, stdin);
        assert_ne!(out.code, 0, "om {args:?} succeeded");
        assert!(
            !out.stderr.contains("panicked"),
            "om {args:?} panicked: {}",
            out.stderr
        );
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "om {args:?}: not one line:\n{}", out.stderr);
        assert!(lines[0].starts_with("om: "), "om {args:?}: {}", lines[0]);
        assert!(
            lines[0].contains(want),
            "om {args:?}: {:?} lacks {want:?}",
            lines[0]
        );
        assert_eq!(snapshot(&env), before, "om {args:?} changed files");
    }
}

#[test]
fn create_forms_and_print_config_round_trip() {
    let env = Env::new();
    // OpenSVC's metadata form, an id in the input (ignored), lists as words
    let json = r#"{"metadata": {"name": "a", "namespace": "root"},
        "DEFAULT": {"id": "00000000-0000-4000-8000-000000000000", "tags": ["t1", "t 2"]},
        "container#1": {"type": "docker", "image": "nginx", "rm": true, "start_timeout": 10}}"#;
    env.om_stdin(&["a", "create", "--config=-"], json).ok();
    let id = env.svc_id("a");
    assert_ne!(id, "00000000-0000-4000-8000-000000000000");
    // nor can --kw choose it
    env.om(&["z", "create", "--kw", "id=mine", "--kw", "comment=x"])
        .ok();
    assert_ne!(env.svc_id("z"), "mine");
    assert!(env.read_conf("z").starts_with("[DEFAULT]\nid = "));
    env.om(&["z", "delete"]).ok();
    assert_eq!(
        env.read_conf("a"),
        format!("[DEFAULT]\nid = {id}\ntags = t1 't 2'\n\n[container#1]\ntype = docker\nimage = nginx\nrm = true\nstart_timeout = 10\n")
    );
    let mode = std::fs::metadata(env.conf("a"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // print config --format json reads back through create, with a new id
    let json = env
        .om(&["a", "print", "config", "--format", "json"])
        .ok()
        .stdout;
    env.om_stdin(&["b", "create", "--config=-"], &json).ok();
    let id_b = env.svc_id("b");
    assert_ne!(id_b, id);
    assert_eq!(env.read_conf("b"), env.read_conf("a").replace(&id, &id_b));

    // INI from a file, --kw and --env on top
    let ini = env.root().join("c.ini");
    std::fs::write(
        &ini,
        "# a comment\n[container#1]\ntype = docker\nimage = nginx:{env.tag}\n",
    )
    .unwrap();
    env.om(&[
        "ns1/svc/c",
        "create",
        "--config",
        ini.to_str().unwrap(),
        "--kw",
        "container#1.rm=true",
        "--env",
        "tag=1.25",
    ])
    .ok();
    let file = env.root().join("etc/namespaces/ns1/svc/c.conf");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.starts_with("[DEFAULT]\nid = "), "{text}");
    assert!(
        text.contains(
            "# a comment\n[container#1]\ntype = docker\nimage = nginx:{env.tag}\nrm = true\n"
        ),
        "{text}"
    );
    let out = env
        .om(&["ns1/svc/c", "get", "--kw", "container#1.image", "--eval"])
        .ok();
    assert_eq!(out.stdout, "nginx:1.25\n");
    // the environment (upper case) overrides [env]
    let mut env2 = Env {
        root: env.root,
        path_prefix: None,
        vars: vec![("TAG".into(), "1.27".into())],
    };
    let out = env2
        .om(&["ns1/svc/c", "get", "--kw", "container#1.image", "--eval"])
        .ok();
    assert_eq!(out.stdout, "nginx:1.27\n");
    env2.vars.clear();
    let out = env2.om(&["ns1/svc/c", "print", "config", "--eval"]).ok();
    assert!(
        out.stdout.contains("image = nginx:1.25\n"),
        "{}",
        out.stdout
    );
    let out = env2.om(&["ls"]).ok();
    assert_eq!(out.stdout, "a\nb\nns1/svc/c\n");
    let out = env2.om(&["ls", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v, serde_json::json!(["a", "b", "ns1/svc/c"]));
    let out = env2.om(&["ns1/svc/*", "print", "config"]).ok();
    assert!(out.stdout.contains("nginx:{env.tag}"));
}

#[test]
fn set_and_unset_keep_every_other_byte() {
    let env = Env::new();
    let ini = "# header comment\n[DEFAULT]\nid = 1\n\n; about c1\n[container#1]\ntype = docker\nimage = nginx\ncommand = sh -c\n    'sleep 1'\n\n# trailing comment\n";
    env.om_stdin(&["s", "create", "--config=-"], ini).ok();
    let id = env.svc_id("s");
    let stored = env.read_conf("s");
    assert_eq!(stored, ini.replace("id = 1", &format!("id = {id}")));
    env.om(&[
        "s",
        "set",
        "--kw",
        "container#1.image=busybox",
        "--kw",
        "container#1.tags+=a",
        "--kw",
        "container#1.tags+='b c'",
        "--kw",
        "container#1.image@deb1=x",
    ])
    .ok();
    assert_eq!(
        env.read_conf("s"),
        stored.replace(
            "image = nginx\ncommand = sh -c\n    'sleep 1'\n",
            "image = busybox\ncommand = sh -c\n    'sleep 1'\ntags = a 'b c'\nimage@deb1 = x\n"
        )
    );
    // the scope wins on this node: deb1 is the short name of deb1.opensvc.com
    assert_eq!(
        env.om(&["s", "get", "--kw", "container#1.image", "--eval"])
            .ok()
            .stdout,
        "x\n"
    );
    env.om(&[
        "s",
        "set",
        "--kw",
        "container#1.tags-=a",
        "--kw",
        "comment=hi there",
    ])
    .ok();
    env.om(&[
        "s",
        "unset",
        "--kw",
        "container#1.tags",
        "--kw",
        "container#1.image@deb1",
    ])
    .ok();
    assert_eq!(
        env.read_conf("s"),
        stored
            .replace("image = nginx\n", "image = busybox\n")
            .replace(
                &format!("id = {id}\n"),
                &format!("id = {id}\ncomment = hi there\n")
            )
    );
    env.om(&["s", "disable", "--rid", "container#1"]).ok();
    assert!(env.read_conf("s").contains("\ndisable = true\n"));
    env.om(&["s", "enable"]).ok();
    assert!(!env.read_conf("s").contains("disable"));
    // get: the default of an unset keyword, the raw value
    assert_eq!(
        env.om(&["s", "get", "--kw", "container#1.start_timeout"])
            .ok()
            .stdout,
        "5s\n"
    );
    assert_eq!(
        env.om(&["s", "get", "--kw", "rollback"]).ok().stdout,
        "true\n"
    );
}

#[test]
fn publishing_without_a_network_is_warned_with_how_to_give_one() {
    let env = Env::new();
    env.om_stdin(
        &["s", "create", "--config=-"],
        "[DEFAULT]\n[container#1]\ntype = docker\nimage = nginx\nrun_args = --publish 8080:80\n",
    )
    .ok();
    let out = env.om(&["s", "validate", "config"]).ok();
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains(
            "om: s: warning: container#1.run_args: '--publish 8080:80' publishes nothing: the container has no network (netns = none, the default); set netns = bridge, or a docker network name, to give it one"
        ),
        "{}",
        out.stderr
    );
    env.om(&["s", "set", "--kw", "container#1.netns=bridge"])
        .ok();
    let out = env.om(&["s", "validate", "config"]).ok();
    assert!(!out.stderr.contains("publishes nothing"), "{}", out.stderr);
}

#[test]
fn validate_tells_errors_from_warnings() {
    let env = Env::new();
    env.om_stdin(
        &["s", "create", "--config=-"],
        "[DEFAULT]\nnodes = n1 n2\n[container#1]\ntype = docker\nimage = nginx\nrestart = 2\n",
    )
    .ok();
    // warnings on stderr, as every command says them (stdout is data)
    let out = env.om(&["s", "validate", "config"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr_lines().len(), 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "om: s: warning: DEFAULT.nodes: deb1.opensvc.com is not a node of the service (n1 n2): om starts nothing of it here"
        ),
        "{}",
        out.stderr
    );
    // one node is what om does: no warning
    env.om(&["s", "set", "--kw", "nodes={nodename}"]).ok();
    let out = env.om(&["s", "validate", "config"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out
        .stderr
        .contains("om: s: warning: container#1.restart: not supported by om"));
    // a file edited into nonsense by hand
    std::fs::write(
        env.conf("s"),
        "[container#1]\ntype = docker\nimgae = nginx\n",
    )
    .unwrap();
    let out = env.om(&["s", "validate", "config"]).code(1);
    assert!(
        out.stdout
            .contains("s: error: container#1.imgae: unknown keyword (did you mean image?)"),
        "{}",
        out.stdout
    );
    // a hand-edited unknown keyword is a warning for actions (SPEC 7); the
    // error that stops this one is the missing id
    let out = env.om(&["s", "start"]).code(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(lines[0].contains("warning: container#1.imgae: unknown keyword"));
    assert!(lines[1].contains("DEFAULT.id: missing"), "{}", out.stderr);
    std::fs::write(env.conf("s"), "[container#1\n").unwrap();
    let out = env.om(&["s", "print", "status"]).code(1);
    assert!(
        out.stderr.contains("line 1: bad section header"),
        "{}",
        out.stderr
    );
}

#[test]
fn edit_config_installs_only_a_valid_result() {
    let mut env = Env::new();
    env.om_stdin(&["s", "create", "--config=-"], ONE).ok();
    let before = env.read_conf("s");
    // an "editor" that breaks the file: refused, nothing installed
    env.vars
        .push(("EDITOR".into(), "sed -i s/image/imgae/".into()));
    let out = env.om(&["s", "edit", "config"]).code(1);
    assert!(
        out.stderr.contains("container#1.imgae: unknown keyword"),
        "{}",
        out.stderr
    );
    assert_eq!(env.read_conf("s"), before);
    // the id is not the operator's to change
    env.vars = vec![("EDITOR".into(), "sed -i s/^id.*/id\\x20=\\x20abc/".into())];
    let out = env.om(&["s", "edit", "config"]).code(1);
    assert!(
        out.stderr
            .contains("DEFAULT.id is set at create and never changed"),
        "{}",
        out.stderr
    );
    assert_eq!(env.read_conf("s"), before);
    // a valid edit is installed
    env.vars = vec![("EDITOR".into(), "sed -i s/nginx/busybox/".into())];
    env.om(&["s", "edit", "config"]).ok();
    assert_eq!(env.read_conf("s"), before.replace("nginx", "busybox"));
}

#[test]
fn concurrent_sets_lose_nothing() {
    let env = Env::new();
    env.om_stdin(&["s", "create", "--config=-"], ONE).ok();
    let children: Vec<_> = (0..20)
        .map(|i| {
            env.std_cmd(&["s", "set", "--kw", &format!("env.k{i}=v{i}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = env.read_conf("s");
    for i in 0..20 {
        assert!(
            text.contains(&format!("\nk{i} = v{i}\n")),
            "k{i} lost:\n{text}"
        );
    }
}

#[test]
fn a_held_lock_makes_actions_wait_then_fail_naming_the_holder() {
    let env = Env::new();
    env.om_stdin(&["s", "create", "--config=-"], ONE).ok();
    // hold the lock with an editor that sleeps
    let mut holder = env.std_cmd(&["s", "edit", "config"]);
    holder.env("EDITOR", "sh -c 'sleep 3'");
    let mut child = holder.spawn().unwrap();
    let lock = env.root().join("var/svc/s/lock");
    wait_for(
        "the editor to hold the lock",
        std::time::Duration::from_secs(5),
        || {
            std::fs::read_to_string(&lock)
                .unwrap_or_default()
                .contains("edit config")
        },
    );
    let t = std::time::Instant::now();
    let out = env
        .om(&["s", "set", "--kw", "comment=x", "--waitlock", "500ms"])
        .code(1);
    assert!(t.elapsed() >= std::time::Duration::from_millis(500));
    assert!(
        out.stderr
            .contains(&format!("locked by pid {} (om s edit config)", child.id())),
        "{}",
        out.stderr
    );
    // print and get never wait
    env.om(&["s", "get", "--kw", "container#1.image"]).ok();
    child.wait().unwrap();
    env.om(&["s", "set", "--kw", "comment=x"]).ok();
}

#[test]
fn killed_writers_leave_a_valid_file() {
    let env = Env::new();
    env.om_stdin(&["s", "create", "--config=-"], ONE).ok();
    for round in 0..15u64 {
        let mut child = env
            .std_cmd(&["s", "set", "--kw", &format!("env.k{round}=v{round}")])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(round % 5));
        // std's kill is SIGKILL on Unix
        let _ = child.kill();
        let _ = child.wait();
        env.om(&["s", "validate", "config"]).ok();
        let text = env.read_conf("s");
        assert!(text.contains("image = nginx\n"), "{text}");
    }
}

#[test]
fn delete_removes_config_and_state() {
    let env = Env::new();
    env.om_stdin(&["s", "create", "--config=-"], "[container#1]\ntype = docker\nimage = nginx\n[container#2]\ntype = docker\nimage = nginx\n").ok();
    env.om(&["s", "delete", "--rid", "container#2"]).ok();
    assert!(!env.read_conf("s").contains("container#2"));
    // no container exists for this service on the fake engine-free path: use --force
    env.om(&["s", "delete", "--force"]).ok();
    assert!(!env.conf("s").exists());
    env.om(&["s", "print", "config"]).code(1);
}

#[test]
fn the_readme_example_config_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```ini\n")
        .expect("an ini example in the README")
        + 7;
    let ini = &readme[start..start + readme[start..].find("```").unwrap()];
    let env = Env::new();
    env.om_stdin(&["ex", "create", "--config=-"], ini).ok();
    let out = env.om(&["ex", "validate", "config"]).ok();
    assert_eq!(out.stdout, "");
    let out = env
        .om(&["ex", "get", "--kw", "container#1.image", "--eval"])
        .ok();
    assert_eq!(out.stdout, "om-test/busybox\n");
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let env = Env::new();
    let etc = env.root().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    // more than a pipe buffer of output
    for i in 0..15000 {
        std::fs::write(etc.join(format!("s{i}.conf")), "[DEFAULT]\nid = x\n").unwrap();
    }
    for args in [&["ls"][..], &["s*", "print", "config"][..]] {
        let mut child = env
            .std_cmd(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 1];
        use std::io::Read;
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // the reader is gone (like `| head -c1`)
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn a_node_that_is_not_a_node_of_the_service_never_starts_it() {
    let env = Env::new();
    env.om_stdin(
        &["s", "create", "--local", "--config=-"],
        "[DEFAULT]\nnodes = n2 n3\n[container#1]\ntype = docker\nimage = nginx\n",
    )
    .ok();
    let out = env.om(&["s", "validate", "config"]).ok();
    assert!(
        out.stderr.contains(
            "s: warning: DEFAULT.nodes: deb1.opensvc.com is not a node of the service (n2 n3): om starts nothing of it here"
        ),
        "{}",
        out.stderr
    );
    for force in [false, true] {
        let mut args = vec!["s", "start", "--local"];
        if force {
            args.push("--force");
        }
        let out = env.om(&args).code(1);
        assert_eq!(
            out.stderr,
            "om: s: deb1.opensvc.com is not a node of the service (nodes: n2 n3): not started here\n"
        );
    }
}

#[test]
fn boot_prints_a_unit_that_systemd_verifies() {
    let mut env = Env::new();
    let units = env.root().join("units");
    std::fs::create_dir_all(&units).unwrap();
    env.vars
        .push(("OM_SYSTEMD_DIR".into(), units.display().to_string()));
    env.om_stdin(
        &["ns1/svc/web", "create", "--config=-"],
        "[container#1]\ntype = docker\nimage = nginx\n",
    )
    .ok();
    let unit = env.om(&["ns1/svc/web", "boot", "print"]).ok().stdout;
    let om = assert_cmd::cargo::cargo_bin("om");
    assert!(
        unit.contains(&format!(
            "ExecStart={} ns1/svc/web start --local\n",
            om.display()
        )),
        "{unit}"
    );
    assert!(unit.contains(&format!(
        "Environment=OSVC_ROOT_PATH={}\n",
        env.root().display()
    )));
    let file = env.root().join("om-ns1-svc-web.service");
    std::fs::write(&file, &unit).unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .output()
        .expect("systemd-analyze (Debian systemd, installed by scripts/test)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // where systemd does not run: said, nothing written; print still works
    if !std::path::Path::new("/run/systemd/system").exists() {
        let out = env.om(&["ns1/svc/web", "boot", "enable"]).code(1);
        assert_eq!(
            out.stderr,
            "om: ns1/svc/web: systemd does not run on this node: nothing enabled (om ns1/svc/web boot print shows the unit)\n"
        );
        assert_eq!(std::fs::read_dir(&units).unwrap().count(), 0);
    }
    let out = env.om(&["ns1/svc/web", "boot", "disable"]).code(1);
    assert!(out.stderr.contains("not enabled at boot"), "{}", out.stderr);
    env.om(&["nosuch", "boot", "print"]).code(1);
}

/// `{env.KEY}` is overridden by the environment variable `KEY` (SPEC 2,
/// OpenSVC's rule): validate says so for every `[env]` key the environment
/// of the command overrides, `path` by `PATH` being the trap.
#[test]
fn validate_warns_of_env_keys_the_environment_overrides() {
    let mut env = Env::new();
    env.om_stdin(
        &["s", "create", "--config=-"],
        "[env]\npath = /srv/data\nom_test_w = a\n[container#1]\ntype = docker\nimage = busybox\ncommand = ls {env.path} {env.om_test_w}\n",
    )
    .ok();
    let out = env.om(&["s", "validate", "config"]).ok();
    assert!(
        out.stderr.contains(
            "s: warning: env.path: the environment variable PATH is set here and overrides it"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("env.om_test_w"), "{}", out.stderr);
    env.vars.push(("OM_TEST_W".into(), "b".into()));
    let out = env.om(&["s", "validate", "config"]).ok();
    assert!(
        out.stderr
            .contains("s: warning: env.om_test_w: the environment variable OM_TEST_W is set here"),
        "{}",
        out.stderr
    );
    let out = env
        .om(&["s", "get", "--kw", "container#1.command", "--eval"])
        .ok();
    assert!(out.stdout.ends_with(" b\n"), "{}", out.stdout);
}

/// `KEY@` names no node: refused at create, set and validate, and a hand
/// edit that has one does not load.
#[test]
fn an_empty_node_scope_is_a_config_error() {
    let env = Env::new();
    let want = "container#1.image@: an empty node scope";
    let out = env
        .om_stdin(
            &["s1", "create", "--config=-"],
            "[container#1]\ntype = docker\nimage = nginx\nimage@ = busybox\n",
        )
        .code(1);
    assert!(out.stderr.contains(want), "{}", out.stderr);
    assert!(!env.conf("s1").exists());
    env.om_stdin(&["s1", "create", "--config=-"], ONE).ok();
    let before = env.read_conf("s1");
    let out = env
        .om(&["s1", "set", "--kw", "container#1.image@=busybox"])
        .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains(want), "{}", out.stderr);
    let out = env.om(&["s1", "set", "--kw", "env.A@=1"]).code(1);
    assert!(
        out.stderr.contains("env.A@: an empty node scope"),
        "{}",
        out.stderr
    );
    assert_eq!(env.read_conf("s1"), before);
    std::fs::write(env.conf("s1"), format!("{before}image@ = busybox\n")).unwrap();
    let out = env.om(&["s1", "validate", "config"]).code(1);
    assert!(out.stdout.contains(want), "{}", out.stdout);
    let out = env.om(&["s1", "start", "--dry-run"]).code(1);
    assert!(out.stderr.contains(want), "{}", out.stderr);
    // a scope that names a node is fine
    std::fs::write(env.conf("s1"), format!("{before}image@{NODE} = busybox\n")).unwrap();
    env.om(&["s1", "validate", "config"]).ok();
}

/// A node scope is `nodes`, `drpnodes` or one node name (the grammar of
/// the `nodes` keyword): anything else is refused by create, set and
/// validate, naming the key. `KEY@NODE` in `--kw` keeps the dots of the
/// node name in the scope (a section name never holds `@`).
#[test]
fn a_node_scope_is_a_node_name() {
    let env = Env::new();
    let base = "[container#1]\ntype = docker\nimage = nginx\n";
    for key in [
        "image@@n2",
        "image@n2@n3",
        "image@ n2",
        "image@*",
        "image@-n",
        "image@../x",
        "image@a/b",
    ] {
        let out = env
            .om_stdin(
                &["s2", "create", "--config=-"],
                &format!("{base}{key} = busybox\n"),
            )
            .code(1);
        assert_eq!(out.stderr_lines().len(), 1, "{key}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("container#1.{key}: "))
                && out.stderr.contains("not a node name"),
            "{key}: {}",
            out.stderr
        );
        assert!(!env.conf("s2").exists(), "{key}: written");
    }
    env.om_stdin(&["s2", "create", "--config=-"], ONE).ok();
    let before = env.read_conf("s2");
    for kw in [
        "container#1.image@@=x",
        "container#1.image@n2@n3=x",
        "env.A@-n=1",
    ] {
        let out = env.om(&["s2", "set", "--kw", kw]).code(1);
        assert_eq!(out.stderr_lines().len(), 1, "{kw}: {}", out.stderr);
        assert!(
            out.stderr.contains("not a node name"),
            "{kw}: {}",
            out.stderr
        );
        assert_eq!(env.read_conf("s2"), before, "{kw}: written");
    }
    std::fs::write(env.conf("s2"), format!("{before}image@* = busybox\n")).unwrap();
    let out = env.om(&["s2", "validate", "config"]).code(1);
    assert!(
        out.stdout.contains("container#1.image@*: "),
        "{}",
        out.stdout
    );
    std::fs::write(env.conf("s2"), &before).unwrap();
    // a full node name's dots stay in the scope
    env.om(&["s2", "set", "--kw", &format!("comment@{NODE}=here")])
        .ok();
    env.om(&[
        "s2",
        "set",
        "--kw",
        &format!("container#1.image@{NODE}=busybox"),
    ])
    .ok();
    let conf = env.read_conf("s2");
    assert!(conf.contains(&format!("comment@{NODE} = here\n")), "{conf}");
    assert!(
        conf.contains(&format!("image@{NODE} = busybox\n")),
        "{conf}"
    );
    let out = env
        .om(&["s2", "get", "--kw", &format!("comment@{NODE}")])
        .ok();
    assert_eq!(out.stdout, "here\n");
    let out = env
        .om(&["s2", "get", "--kw", "container#1.image", "--eval"])
        .ok();
    assert_eq!(out.stdout, "busybox\n");
    for scope in ["nodes", "drpnodes", "n2", "n2.example.com", "N_2-b"] {
        env.om(&[
            "s2",
            "set",
            "--kw",
            &format!("container#1.image@{scope}=busybox"),
        ])
        .ok();
    }
}

/// A value scoped to another node is checked as that node builds the
/// service (reported `on NODE: …`), by create, set and validate: the
/// static rules of a data dir, the daemon's flags, an address. What only
/// that host can tell (the data dir's existence there) is its own check.
#[test]
fn values_scoped_to_another_node_are_checked_as_that_node() {
    let env = Env::new();
    let base = "[DEFAULT]\nnodes = deb1 n2\n[container#1]\ntype = docker\nimage = nginx\n";
    let ip = "[ip#1]\ntype = netns\nnetns = container#1\nipname = 192.0.2.10\nnetmask = 24\nipdev = br0\n";
    for (extra, want) in [
        (
            "docker_data_dir@n2 = /\n",
            "on n2: DEFAULT.docker_data_dir: '/' is a system directory (/)",
        ),
        (
            "docker_data_dir@n2 = /var/lib\n",
            "on n2: DEFAULT.docker_data_dir: '/var/lib' is a system directory (/var/lib)",
        ),
        (
            "docker_data_dir@n2 = /srv/om/n2\ndocker_daemon_args@n2 = -p/x\n",
            "on n2: DEFAULT.docker_daemon_args: ",
        ),
        (
            "docker_data_dir@n2 = data\n",
            "on n2: DEFAULT.docker_data_dir: 'data' is not an absolute path",
        ),
        // a second hostile run: the lists' scopes, and dockerd's default
        // data root, which om can name without asking that node
        (
            "docker_data_dir@nodes = /etc/x\ndocker_data_dir@deb1.opensvc.com = /srv/om/here\n",
            "on n2: DEFAULT.docker_data_dir: '/etc/x' is inside a system directory (/etc)",
        ),
        (
            "docker_data_dir@n2 = /var/lib/docker/x\n",
            "on n2: DEFAULT.docker_data_dir: '/var/lib/docker/x' is, holds or is inside dockerd's default data root",
        ),
    ] {
        let ini = base.replace("[container#1]", &format!("{extra}[container#1]"));
        let out = env.om_stdin(&["s4", "create", "--config=-"], &ini).code(1);
        assert_eq!(out.stderr_lines().len(), 1, "{extra}: {}", out.stderr);
        assert!(out.stderr.contains(want), "{extra}: {}", out.stderr);
        assert!(!env.conf("s4").exists(), "{extra}: written");
    }
    // a node a later list change adds is checked as well
    env.om_stdin(
        &["s5", "create", "--config=-"],
        &base.replace(
            "[container#1]",
            "docker_data_dir@drpnodes = /etc/x\n[container#1]",
        ),
    )
    .ok();
    let out = env.om(&["s5", "set", "--kw", "drpnodes=n9"]).code(1);
    assert!(
        out.stderr
            .contains("on n9: DEFAULT.docker_data_dir: '/etc/x' is inside a system directory"),
        "{}",
        out.stderr
    );
    // the lists' names are no node names
    let out = env
        .om_stdin(
            &["s6", "create", "--config=-"],
            &base.replace("deb1 n2", "deb1 nodes"),
        )
        .code(1);
    assert!(
        out.stderr.contains("'nodes' is not a node name"),
        "{}",
        out.stderr
    );
    let out = env
        .om_stdin(
            &["s4", "create", "--config=-"],
            &format!("{base}{ip}ipname@n2 = 0.0.0.0\n"),
        )
        .code(1);
    assert!(
        out.stderr
            .contains("on n2: ip#1.ipname: 0.0.0.0 is the unspecified address"),
        "{}",
        out.stderr
    );
    env.om_stdin(&["s4", "create", "--config=-"], &format!("{base}{ip}"))
        .ok();
    let before = env.read_conf("s4");
    for (kw, want) in [
        (
            "docker_data_dir@n2=/",
            "on n2: DEFAULT.docker_data_dir: '/' is a system directory",
        ),
        ("ip#1.ipname@n2=0.0.0.0", "on n2: ip#1.ipname: 0.0.0.0"),
        (
            "ip#1.gateway@n2.example.com=192.0.3.1",
            "on n2.example.com: ip#1.gateway: ",
        ),
    ] {
        let out = env.om(&["s4", "set", "--kw", kw]).code(1);
        assert_eq!(out.stderr_lines().len(), 1, "{kw}: {}", out.stderr);
        assert!(out.stderr.contains(want), "{kw}: {}", out.stderr);
        assert_eq!(env.read_conf("s4"), before, "{kw}: written");
    }
    std::fs::write(env.conf("s4"), format!("{before}ipname@n2 = 224.0.0.1\n")).unwrap();
    let out = env.om(&["s4", "validate", "config"]).code(1);
    assert!(
        out.stdout
            .contains("on n2: ip#1.ipname: 224.0.0.1 is a multicast address"),
        "{}",
        out.stdout
    );
    std::fs::write(env.conf("s4"), &before).unwrap();
    // n2's own data dir, which this host does not have: n2's to check
    env.om(&["s4", "set", "--kw", "docker_data_dir@n2=/srv/om-none/n2"])
        .ok();
    env.om(&["s4", "validate", "config"]).ok();
}

/// Every ```ini block of the README runs as pasted. The rule, per block:
/// the block alone is a whole config (a fragment such as a lone
/// `[container#1]` is one: every `DEFAULT` keyword has a default), given to
/// `create --config=-` under a fresh name once the secrets and configs the
/// README's Secrets section names exist (it says to create them first:
/// `sec/db` key `password`, `cfg/app`, `sec/regcreds` key `config.json`);
/// `create` succeeds, and `validate config` exits 0 with nothing on stdout
/// or stderr (no error, no warning).
#[test]
fn every_readme_ini_block_is_accepted_as_pasted() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```ini\n")
        .skip(1)
        .map(|rest| &rest[..rest.find("```").expect("a closed ini block")])
        .collect();
    assert!(
        blocks.len() >= 4,
        "the README's ini blocks: {}",
        blocks.len()
    );
    let mut env = Env::new();
    // the node the README's failover examples name (nodes = n1 …)
    env.vars.push(("OSVC_NODENAME".into(), "n1".into()));
    env.om(&["sec/db", "create"]).ok();
    env.om(&["sec/db", "add", "--key", "password", "--value", "pw"])
        .ok();
    env.om(&["cfg/app", "create"]).ok();
    env.om(&["cfg/app", "add", "--key", "log.level", "--value", "debug"])
        .ok();
    env.om(&["sec/regcreds", "create"]).ok();
    env.om_stdin(
        &["sec/regcreds", "add", "--key", "config.json", "--from", "-"],
        r#"{"auths": {"registry.example.com": {"auth": "dTpw"}}}"#,
    )
    .ok();
    for (i, ini) in blocks.iter().enumerate() {
        let name = format!("readme{i}");
        let out = env.om_stdin(&[&name, "create", "--config=-"], ini);
        assert_eq!(
            out.code, 0,
            "README ini block {i} refused by create:\n{ini}\n{}",
            out.stderr
        );
        let out = env.om(&[&name, "validate", "config"]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, "", ""),
            "README ini block {i} not accepted by validate config:\n{ini}"
        );
    }
}

/// A value that reads like `text   # words` keeps the words (a comment
/// starts only at the start of a line): `create`, `set` and `validate
/// config` warn, naming the key and the words, and still write it.
#[test]
fn a_comment_after_a_value_is_part_of_it_and_warned() {
    let env = Env::new();
    let warned = |out: &str, key: &str, words: &str| {
        assert!(
            out.contains(&format!("s: warning: {key}: '{words}' is part of the value: '#' starts a comment only at the start of a line")),
            "{out}"
        )
    };
    let out = env
        .om_stdin(
            &["s", "create", "--config=-"],
            "[env]\ngreeting = hello   # the first word\n# a comment\nplain = a#b\n[container#1]\ntype = docker\nimage = nginx\n",
        )
        .ok();
    warned(&out.stderr, "env.greeting", "# the first word");
    assert!(!out.stderr.contains("env.plain"), "{}", out.stderr);
    let out = env.om(&["s", "validate", "config"]).ok();
    warned(
        &format!("{}{}", out.stdout, out.stderr),
        "env.greeting",
        "# the first word",
    );
    let out = env.om(&["s", "set", "--kw", "env.other=x\t# y"]).ok();
    warned(&out.stderr, "env.other", "# y");
    assert!(!out.stderr.contains("env.greeting"), "{}", out.stderr);
    let out = env.om(&["s", "get", "--kw", "env.greeting"]).ok();
    assert_eq!(out.stdout, "hello   # the first word\n");
}

/// `create --config` says what it does not take from the source: an `id`
/// (a new service gets its own, a `--force` create keeps the service's) and
/// OpenSVC's `metadata.name` when it is not the service's name. A source
/// without them, or naming this service, creates without a word.
#[test]
fn create_says_the_id_and_metadata_name_it_does_not_take() {
    let env = Env::new();
    let ini = "[DEFAULT]\nid = fab0bc71-0434-42a4-9fcd-daac32efda91\n[container#1]\ntype = docker\nimage = nginx\n";
    let out = env.om_stdin(&["s", "create", "--config=-"], ini).ok();
    let id = env.svc_id("s");
    assert_ne!(id, "fab0bc71-0434-42a4-9fcd-daac32efda91");
    assert_eq!(
        out.stderr,
        format!("om: s: warning: --config -: DEFAULT.id 'fab0bc71-0434-42a4-9fcd-daac32efda91' is replaced by {id}: a new service never shares its id (its containers' label) with another\n")
    );
    let out = env
        .om_stdin(&["s", "create", "--force", "--config=-"], ini)
        .ok();
    assert_eq!(
        out.stderr,
        format!("om: s: warning: --config -: DEFAULT.id 'fab0bc71-0434-42a4-9fcd-daac32efda91' is replaced by {id}: the service keeps its own id\n")
    );
    let same = ini.replace("fab0bc71-0434-42a4-9fcd-daac32efda91", &id);
    let out = env
        .om_stdin(&["s", "create", "--force", "--config=-"], &same)
        .ok();
    assert_eq!(out.stderr, "");
    let json = |name: &str| {
        format!(
            r#"{{"metadata": {{"name": "{name}"}}, "container#1": {{"type": "docker", "image": "nginx"}}}}"#
        )
    };
    let out = env
        .om_stdin(&["web", "create", "--config=-"], &json("db"))
        .ok();
    assert_eq!(
        out.stderr,
        "om: web: warning: --config -: metadata.name 'db' is not used: the service is web\n"
    );
    let out = env
        .om_stdin(&["app", "create", "--config=-"], &json("app"))
        .ok();
    assert_eq!(out.stderr, "");
}
