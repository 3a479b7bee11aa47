//! Secrets, configs and registry credentials (SPEC 13), on the real engine
//! and the registries of scripts/test: values reach the container and show
//! nowhere else; credentials serve one service.

use crate::support::{
    auth_registry, create, docker_config_json, docker_ok, engine, inspect, registry_image, unique,
    Cleanup, Env, LOOP,
};
use std::os::unix::fs::PermissionsExt;

/// Every file under `dir` whose bytes hold `needle`.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(p.display().to_string());
            }
        }
    }
    found
}

/// Every command line of this machine's processes, now.
fn process_lines() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(b) = std::fs::read(e.path().join("cmdline")) {
            out.push(String::from_utf8_lossy(&b).replace('\0', " "));
        }
    }
    out
}

#[test]
fn objects_keep_keys_and_binary_values_in_private_files() {
    let env = Env::new();
    let name = unique("o");
    let sec = format!("ns1/sec/{name}");
    env.om(&[&sec, "create"]).ok();
    let all: Vec<u8> = (0..=255).collect();
    let blob = env.root().join("blob");
    std::fs::write(&blob, &all).unwrap();
    env.om(&[
        &sec,
        "add",
        "--key",
        "blob",
        "--from",
        blob.to_str().unwrap(),
    ])
    .ok();
    env.om_stdin(&[&sec, "add", "--key", "password", "--from", "-"], "p4ss")
        .ok();
    assert_eq!(env.om(&[&sec, "keys"]).ok().stdout, "blob\npassword\n");
    let out = env
        .cmd(&[&sec, "decode", "--key", "blob"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, all, "decode gives the raw bytes back");
    // add refuses an existing key, change a missing one
    env.om(&[&sec, "add", "--key", "password", "--value", "x"])
        .code(1);
    env.om(&[&sec, "change", "--key", "nope", "--value", "x"])
        .code(1);
    env.om(&[&sec, "change", "--key", "password", "--value", "n3w"])
        .ok();
    assert_eq!(
        env.om(&[&sec, "decode", "--key", "password"]).ok().stdout,
        "n3w"
    );
    env.om(&[&sec, "remove", "--key", "blob"]).ok();
    let file = env
        .root()
        .join(format!("etc/namespaces/ns1/sec/{name}.conf"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("password = base64:bjN3"), "{text}");
    assert!(!text.contains("n3w"));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(env.om(&[&sec, "print", "config"]).ok().stdout, text);
    assert!(env.om(&["ls"]).ok().stdout.contains(&sec));
    // a service command on a secret, an object command on a service
    let out = env.om(&[&sec, "start"]).code(2);
    assert!(
        out.stderr
            .contains("is a secret: start applies to services"),
        "{}",
        out.stderr
    );
    env.om(&[&sec, "delete"]).ok();
    env.om(&[&sec, "keys"]).code(1);
    assert!(!file.exists());
}

#[test]
fn a_secret_reaches_the_container_and_shows_nowhere_else() {
    engine();
    let env = Env::new();
    let name = unique("sx");
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}b.container.1"),
    ]);
    let secret = format!("S3cr3t-{name}");
    let config = format!("c0nf-{name}");
    env.om(&[&format!("sec/{name}"), "create"]).ok();
    env.om_stdin(
        &[
            &format!("sec/{name}"),
            "add",
            "--key",
            "password",
            "--from",
            "-",
        ],
        &secret,
    )
    .ok();
    env.om(&[&format!("cfg/{name}"), "create"]).ok();
    env.om_stdin(
        &[
            &format!("cfg/{name}"),
            "add",
            "--key",
            "log.level",
            "--from",
            "-",
        ],
        &config,
    )
    .ok();
    let refs =
        format!("secrets_environment = DB_PASS={name}/password\nconfigs_environment = {name}/*\n");
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n{refs}",
            registry_image()
        ),
    );
    // the start, watched: no process of this machine shows the value
    let mut child = env
        .std_cmd(&[&name, "start"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = 0;
    while child.try_wait().unwrap().is_none() {
        for line in process_lines() {
            assert!(!line.contains(&secret), "on an argv: {line}");
        }
        seen += 1;
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(seen > 0);
    // the line says the variable, never its value
    assert!(stderr.contains(" -e DB_PASS -e LOG_LEVEL "), "{stderr}");
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    // in the container
    let vars = docker_ok(&["exec", &format!("{name}.container.1"), "env"]);
    assert!(
        vars.lines().any(|l| l == format!("DB_PASS={secret}")),
        "{vars}"
    );
    assert!(
        vars.lines().any(|l| l == format!("LOG_LEVEL={config}")),
        "{vars}"
    );
    // nowhere in om's logs and state, nor in print config --eval
    for tree in ["log", "var"] {
        let found = files_holding(&env.root().join(tree), &secret);
        assert!(found.is_empty(), "{tree}: {found:?}");
    }
    let eval = env.om(&[&name, "print", "config", "--eval"]).ok().stdout;
    assert!(!eval.contains(&secret), "{eval}");
    // an error while the secret is set: a missing image
    create(
        &env,
        &format!("{name}b"),
        &format!(
            "[container#1]\ntype = docker\nimage = {}:nosuchtag\n{refs}",
            registry_image()
        ),
    );
    let out = env.om(&[&format!("{name}b"), "start"]).code(1);
    assert!(!out.stderr.contains(&secret) && !out.stdout.contains(&secret));
    assert!(files_holding(&env.root().join("log"), &secret).is_empty());
    env.om(&[&name, "purge"]).ok();
    env.om(&[&format!("{name}b"), "purge"]).ok();
}

#[test]
fn registry_credentials_serve_their_service_alone() {
    engine();
    let (addr, user, password) = auth_registry();
    let env = Env::new();
    let name = unique("rc");
    let _cleanup = Cleanup(
        ["a", "b", "c"]
            .iter()
            .map(|s| format!("{name}{s}.container.1"))
            .collect(),
    );
    // an image of its own on the registry behind htpasswd, absent here
    let image = format!("{addr}/om-test/busybox:{name}");
    let login = tempfile::tempdir().unwrap();
    let config_json = docker_config_json(&addr, &user, &password);
    std::fs::write(login.path().join("config.json"), &config_json).unwrap();
    docker_ok(&["tag", "om-test/busybox:latest", &image]);
    docker_ok(&["--config", login.path().to_str().unwrap(), "push", &image]);
    docker_ok(&["rmi", &image]);
    let service = |s: &str, extra: &str| {
        create(
            &env,
            &format!("{name}{s}"),
            &format!(
                "[DEFAULT]\n{extra}[container#1]\ntype = docker\nimage = {image}\nimage_pull_policy = always\ncommand = sh -c \"{LOOP}\"\n"
            ),
        );
    };
    // without credentials: docker's refusal
    service("a", "");
    let out = env.om(&[&format!("{name}a"), "start"]).code(1);
    assert!(
        out.stderr.contains("no basic auth credentials") || out.stderr.contains("unauthorized"),
        "{}",
        out.stderr
    );
    // with them, from a secret
    let creds = format!("sec/{name}creds");
    env.om(&[&creds, "create"]).ok();
    env.om_stdin(
        &[&creds, "add", "--key", "config.json", "--from", "-"],
        &config_json,
    )
    .ok();
    service("b", &format!("registry_creds = {name}creds\n"));
    let out = env.om(&[&format!("{name}b"), "start"]).ok();
    assert!(
        out.stderr.contains("docker --config ") && out.stderr.contains(" pull "),
        "{}",
        out.stderr
    );
    assert!(inspect(&format!("{name}b.container.1")).is_some_and(|v| v["State"]["Running"] == true));
    // they served that action alone: nothing of them is left on disk
    // (their modes while they exist: the unit tests of objects::env)
    let dir = env.root().join(format!("var/svc/{name}b/registry"));
    assert!(!dir.exists(), "{} left", dir.display());
    assert!(files_holding(env.root(), &password).is_empty());
    // another service on this node still has none (it pulls: always)
    service("c", "");
    let out = env.om(&[&format!("{name}c"), "start"]).code(1);
    assert!(
        out.stderr.contains("no basic auth credentials") || out.stderr.contains("unauthorized"),
        "{}",
        out.stderr
    );
    // the password and its base64 on no line and in no log
    let auth = config_json
        .split("\"auth\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    for needle in [&password, &auth] {
        let found = files_holding(&env.root().join("log"), needle);
        assert!(found.is_empty(), "{found:?}");
    }
    for s in ["a", "b", "c"] {
        env.om(&[&format!("{name}{s}"), "purge"]).ok();
    }
    let _ = crate::support::docker(&["rmi", &image]);
}

#[test]
fn a_bad_reference_is_one_line_naming_its_keyword_and_nothing_starts() {
    engine();
    let env = Env::new();
    let name = unique("br");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let ini = |extra: &str| {
        format!(
            "[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n{extra}",
            registry_image()
        )
    };
    // a variable that is not a name: refused at create
    let out = env
        .om_stdin(
            &[&name, "create", "--config=-"],
            &ini("secrets_environment = 1X=db/password\n"),
        )
        .code(1);
    assert_eq!(
        out.stderr,
        format!("om: {name}: container#1.secrets_environment: '1X=db/password': '1X' is not a variable name\n")
    );
    // what validate refuses, create and set refuse to write: a secret that
    // does not exist
    let out = env
        .om_stdin(
            &[&name, "create", "--config=-"],
            &ini("secrets_environment = PASS=db/password\n"),
        )
        .code(1);
    assert_eq!(
        out.stderr,
        format!("om: {name}: container#1.secrets_environment: secret sec/db does not exist\n")
    );
    assert!(
        !env.conf(&name).exists(),
        "create wrote what validate refuses"
    );
    env.om(&["sec/db", "create"]).ok();
    env.om(&["sec/db", "add", "--key", "password", "--value", "pw"])
        .ok();
    create(
        &env,
        &name,
        &ini("secrets_environment = PASS=db/password\n"),
    );
    env.om(&[&name, "validate", "config"]).ok();
    // a key it no longer has, then a secret gone: validate says so, and
    // the start fails naming it, before anything runs
    env.om(&["sec/db", "remove", "--key", "password"]).ok();
    let out = env.om(&[&name, "start"]).code(1);
    assert_eq!(
        out.stderr,
        format!(
            "om: {name}: container#1.secrets_environment: secret sec/db has no key 'password'\n"
        )
    );
    env.om(&["sec/db", "delete"]).ok();
    let out = env.om(&[&name, "validate", "config"]).code(1);
    assert!(
        out.stdout.contains(&format!(
            "{name}: error: container#1.secrets_environment: secret sec/db does not exist"
        )),
        "{}",
        out.stdout
    );
    let out = env.om(&[&name, "start"]).code(1);
    assert_eq!(
        out.stderr,
        format!("om: {name}: container#1.secrets_environment: secret sec/db does not exist\n")
    );
    assert!(
        inspect(&format!("{name}.container.1")).is_none(),
        "nothing started"
    );
    // a value with a NUL, registry credentials that are not JSON: refused
    // by set as by validate, and the config is unchanged
    env.om(&[&name, "set", "--kw", "container#1.secrets_environment="])
        .ok();
    env.om(&["sec/db", "create"]).ok();
    let nul = env.root().join("nul");
    std::fs::write(&nul, b"a\0b").unwrap();
    env.om(&[
        "sec/db",
        "add",
        "--key",
        "k",
        "--from",
        nul.to_str().unwrap(),
    ])
    .ok();
    env.om(&[
        "sec/db",
        "add",
        "--key",
        "config.json",
        "--value",
        "{not json",
    ])
    .ok();
    let before = env.read_conf(&name);
    let out = env
        .om(&[
            &name,
            "set",
            "--kw",
            "container#1.secrets_environment=K=db/k",
        ])
        .code(1);
    assert_eq!(
        out.stderr,
        format!("om: {name}: container#1.secrets_environment: key 'k' of secret sec/db holds a NUL byte: it can not be an environment value\n")
    );
    let out = env.om(&[&name, "set", "--kw", "registry_creds=db"]).code(1);
    assert_eq!(
        out.stderr,
        format!("om: {name}: container#1.registry_creds: key config.json of secret sec/db is not JSON (line 1, column 2)\n")
    );
    assert_eq!(env.read_conf(&name), before);
    env.om(&[&name, "validate", "config"]).ok();
    // nor does create take them
    let other = unique("br");
    let out = env
        .om_stdin(
            &[&other, "create", "--config=-"],
            &ini("registry_creds = db\n"),
        )
        .code(1);
    assert!(out.stderr.contains("is not JSON"), "{}", out.stderr);
    assert!(!env.conf(&other).exists());
    // a config.json broken after the set: the start refuses it
    env.om(&["sec/db", "change", "--key", "config.json", "--value", "{}"])
        .ok();
    env.om(&[&name, "set", "--kw", "registry_creds=db"]).ok();
    env.om(&[&name, "validate", "config"]).ok();
    env.om(&[
        "sec/db",
        "change",
        "--key",
        "config.json",
        "--value",
        "{not json",
    ])
    .ok();
    let out = env.om(&[&name, "start"]).code(1);
    assert_eq!(
        out.stderr,
        format!("om: {name}: container#1.registry_creds: key config.json of secret sec/db is not JSON (line 1, column 2)\n")
    );
    assert!(
        inspect(&format!("{name}.container.1")).is_none(),
        "nothing started"
    );
}

#[test]
fn objects_are_selected_by_globs_and_lists() {
    let env = Env::new();
    for p in ["ns2/sec/a", "ns2/sec/b", "ns2/cfg/c"] {
        env.om(&[p, "create"]).ok();
    }
    env.om(&["ns2/sec/a", "add", "--key", "k", "--value", "v"])
        .ok();
    assert_eq!(
        env.om(&["ns2/sec/*", "keys"]).ok().stdout,
        "ns2/sec/a:\nk\n\nns2/sec/b:\n"
    );
    // one object only for the commands of one key
    let out = env.om(&["ns2/sec/*", "decode", "--key", "k"]).code(2);
    assert!(out.stderr.contains("selects 2 objects"), "{}", out.stderr);
    // a glob of services is not one of objects, and the other way round
    assert_eq!(
        env.om(&["ls"]).ok().stdout,
        "ns2/cfg/c\nns2/sec/a\nns2/sec/b\n"
    );
    env.om(&["ns2/sec/*,ns2/cfg/c", "delete"]).ok();
    assert_eq!(env.om(&["ls"]).ok().stdout, "");
}

/// `edit --key K`, the agent's form: the key's value, decoded, in the
/// editor, from a 0600 file in a 0700 directory of its own that is gone
/// after, even when the editor fails or om is signalled; stored when it
/// changed; the value on no argv and in no output.
#[test]
fn edit_key_edits_one_value_in_the_editor() {
    let env = Env::new();
    let sec = format!("ns1/sec/{}", unique("ed"));
    env.om(&[&sec, "create"]).ok();
    let secret = format!("s3cr3t-{}", unique("v"));
    env.om_stdin(&[&sec, "add", "--key", "pw", "--from", "-"], &secret)
        .ok();
    env.om(&[&sec, "add", "--key", "other", "--value", "x"])
        .ok();
    // the editor: what it was given and saw, then its change ($NEW) or
    // its end ($END: a failure, or signals to om first)
    let log = env.root().join("editor.log");
    let editor = env.root().join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nf=\"$1\"\nd=$(dirname \"$f\")\n\
             {{ echo \"argv: $*\"; echo \"path: $f\"; stat -c 'modes: %a' \"$f\"; stat -c 'dir: %a' \"$d\"; echo \"value: $(cat \"$f\")\"; }} >> {log}\n\
             case \"$END\" in signals) kill -INT $PPID; kill -INT $PPID; kill -TERM $PPID; kill -HUP $PPID; sleep 0.2; exit 5;; fail) exit 3;; term) kill -TERM $PPID; sleep 0.2;; int) kill -INT $PPID; sleep 0.2;; esac\n\
             [ -n \"$NEW\" ] && printf %s \"$NEW\" > \"$f\"\nexit 0\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let editor = editor.display().to_string();
    let run = |env: &Env, vars: &[(&str, &str)], key: &str| {
        let _ = std::fs::remove_file(&log);
        let mut cmd = env.cmd(&[&sec, "edit", "--key", key]);
        cmd.env("EDITOR", &editor);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (
            out.status.code(),
            said,
            std::fs::read_to_string(&log).unwrap_or_default(),
        )
    };
    let gone = |seen: &str| {
        let path = seen
            .lines()
            .find_map(|l| l.strip_prefix("path: "))
            .expect("the editor ran");
        let path = std::path::Path::new(path);
        assert!(!path.exists(), "{} left", path.display());
        assert!(!path.parent().unwrap().exists(), "its directory left");
    };
    let decode = |env: &Env| env.om(&[&sec, "decode", "--key", "pw"]).ok().stdout;

    // a change: the editor saw the decoded value in a private file
    let (code, said, seen) = run(&env, &[("NEW", "n3w-value")], "pw");
    assert_eq!(code, Some(0), "{said}");
    assert!(seen.contains(&format!("value: {secret}")), "{seen}");
    assert!(seen.contains("modes: 600\ndir: 700"), "{seen}");
    let argv = seen.lines().find(|l| l.starts_with("argv: ")).unwrap();
    assert!(!argv.contains(&secret), "{argv}");
    assert!(!said.contains(&secret), "{said}");
    gone(&seen);
    assert_eq!(decode(&env), "n3w-value");
    // the old value nowhere but in the editor's own log
    let holding = files_holding(env.root(), &secret);
    assert!(
        holding.iter().all(|f| f.ends_with("editor.log")),
        "{holding:?}"
    );
    // no change: nothing written
    let stored = env.om(&[&sec, "print", "config"]).ok().stdout;
    let (code, said, seen) = run(&env, &[], "pw");
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("no change"), "{said}");
    gone(&seen);
    assert_eq!(env.om(&[&sec, "print", "config"]).ok().stdout, stored);
    // the editor fails: unchanged, the file gone
    let (code, said, seen) = run(&env, &[("NEW", "lost"), ("END", "fail")], "pw");
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("exited with code 3; key 'pw' unchanged"),
        "{said}"
    );
    gone(&seen);
    assert_eq!(decode(&env), "n3w-value");
    // signals to om while the editor runs: om outlives them and cleans up
    // (the last, SIGHUP, is om's exit: 128+1)
    let (code, said, seen) = run(&env, &[("END", "signals")], "pw");
    assert_eq!(code, Some(129), "{said}");
    gone(&seen);
    assert_eq!(decode(&env), "n3w-value");
    // om told to end (TERM) while the editor goes on and saves: nothing
    // stored, 128+15
    let (code, said, seen) = run(&env, &[("END", "term"), ("NEW", "after-term")], "pw");
    assert_eq!(code, Some(143), "{said}");
    assert!(said.contains("key 'pw' unchanged"), "{said}");
    gone(&seen);
    assert_eq!(decode(&env), "n3w-value");
    // the terminal's ^C is the editor's own (om gets it too): a save after
    // it is stored
    let (code, said, seen) = run(&env, &[("END", "int"), ("NEW", "after-int")], "pw");
    assert_eq!(code, Some(0), "{said}");
    gone(&seen);
    assert_eq!(decode(&env), "after-int");
    env.om_stdin(&[&sec, "change", "--key", "pw", "--from", "-"], "n3w-value")
        .ok();
    // a missing key: an error naming it, the editor never runs
    let (code, said, seen) = run(&env, &[("NEW", "x")], "nokey");
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("no key 'nokey'"), "{said}");
    assert_eq!(seen, "");
    // a cfg the same way
    let cfg = format!("ns1/cfg/{}", unique("ed"));
    env.om(&[&cfg, "create"]).ok();
    env.om(&[&cfg, "add", "--key", "app.conf", "--value", "a=1"])
        .ok();
    let mut cmd = env.cmd(&[&cfg, "edit", "--key", "app.conf"]);
    cmd.env("EDITOR", &editor).env("NEW", "a=2");
    cmd.assert().success();
    assert_eq!(
        env.om(&[&cfg, "decode", "--key", "app.conf"]).ok().stdout,
        "a=2"
    );
    // usage: a service has no keys; an object needs --key
    let svc = unique("ed");
    create(&env, &svc, "[container#1]\ntype = docker\nimage = nginx\n");
    let out = env.om(&[&svc, "edit", "--key", "pw"]).code(2);
    assert!(
        out.stderr.contains("edit --key applies to NS/sec/NAME"),
        "{}",
        out.stderr
    );
    let out = env.om(&[&sec, "edit"]).code(2);
    assert!(out.stderr.contains("takes --key KEY"), "{}", out.stderr);
}
