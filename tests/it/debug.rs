//! `--debug`, the OpenSVC agent's global flag: D lines on stderr say the
//! lock taken and each docker call with its exit and duration, in the
//! action lines' format; never a secret; none without the flag.

use crate::support::{create, engine, registry_image, unique, Cleanup, Env, LOOP, NODE};

/// The D lines of `stderr`: `NAME   D msg`, as (name, msg).
fn d_lines(stderr: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(r"^(\S+) +D (.*)$").unwrap();
    stderr
        .lines()
        .filter_map(|l| re.captures(l).map(|c| (c[1].to_string(), c[2].to_string())))
        .collect()
}

/// The docker commands of the action lines (`NODE.SVC.rid   docker …`).
fn docker_lines(stderr: &str, name: &str) -> Vec<String> {
    let prefix = format!("{NODE}.{name}.container#");
    stderr
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| {
            l.split_once("   docker ")
                .map(|(_, c)| format!("docker {c}"))
        })
        .collect()
}

#[test]
fn debug_says_the_lock_and_each_docker_call_and_nothing_without_it() {
    engine();
    let env = Env::new();
    let name = unique("dbg");
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
    ]);
    let secret = format!("S3cr3t-{name}");
    env.om(&[&format!("sec/{name}"), "create"]).ok();
    env.om_stdin(
        &[&format!("sec/{name}"), "add", "--key", "pw", "--from", "-"],
        &secret,
    )
    .ok();
    let ini: String = (1..=2)
        .map(|i| {
            format!(
                "[container#{i}]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n\
                 secrets_environment = PW={name}/pw\n",
                registry_image()
            )
        })
        .collect();
    create(&env, &name, &ini);

    let out = env.om(&[&name, "start", "--debug"]).ok();
    assert!(!out.stderr.contains(&secret), "{}", out.stderr);
    let d = d_lines(&out.stderr);
    let msgs: Vec<&str> = d.iter().map(|(_, m)| m.as_str()).collect();
    let lock = env.root().join(format!("var/svc/{name}/lock"));
    let svc_name = format!("{NODE}.{name}");
    let asked = format!(
        "acquire action lock {} (timeout 30s, om {name} start)",
        lock.display()
    );
    assert!(
        d.iter().any(|(n, m)| *n == svc_name && *m == asked),
        "{}",
        out.stderr
    );
    assert!(
        d.iter()
            .any(|(n, m)| *n == svc_name && m.starts_with("action lock acquired, waited ")),
        "{}",
        out.stderr
    );
    let conf = env.conf(&name);
    assert!(
        msgs.iter()
            .any(|m| m.starts_with(&format!("read config {}, ", conf.display()))),
        "{}",
        out.stderr
    );
    // each docker call the action logged, and the queries it made (the
    // listing), each with its exit and how long it took
    let call = regex::Regex::new(r"^(docker .*): exit (\d+), \d+\.\dms$").unwrap();
    let calls: Vec<(String, String)> = msgs
        .iter()
        .filter_map(|m| {
            call.captures(m)
                .map(|c| (c[1].to_string(), c[2].to_string()))
        })
        .collect();
    let logged = docker_lines(&out.stderr, &name);
    assert_eq!(logged.len(), 2, "a docker run each: {}", out.stderr);
    for cmd in &logged {
        assert!(
            calls.iter().any(|(c, code)| c == cmd && code == "0"),
            "no D line for {cmd}: {}",
            out.stderr
        );
    }
    // the container list, asked on the socket the docker CLI reaches
    // (no DOCKER_HOST, no context: docker's default), or by the CLI
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(String::from))
        .unwrap_or_else(|| "/var/run/docker.sock".into());
    let listed = format!("GET unix://{socket}/containers/json?all=1: 200, ");
    assert!(
        msgs.iter().any(|m| m.starts_with(&listed))
            || calls.iter().any(|(c, _)| c.starts_with("docker ps -a ")),
        "{}",
        out.stderr
    );
    assert!(
        calls
            .iter()
            .any(|(c, _)| c.starts_with("docker container inspect ")),
        "{}",
        out.stderr
    );

    // the flag before the selector, as the agent's global flag goes
    let out = env.om(&["--debug", &name, "stop"]).ok();
    let logged = docker_lines(&out.stderr, &name);
    assert_eq!(logged.len(), 2, "a docker stop each: {}", out.stderr);
    let d = d_lines(&out.stderr);
    for cmd in &logged {
        assert!(
            d.iter()
                .any(|(_, m)| m.starts_with(&format!("{cmd}: exit 0, "))),
            "no D line for {cmd}: {}",
            out.stderr
        );
    }

    // a lock another holds: the D lines say the wait
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
        .unwrap();
    held.lock().unwrap();
    let waiter = env
        .std_cmd(&[&name, "start", "--debug"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    held.unlock().unwrap();
    let out = waiter.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let waited = regex::Regex::new(r"^action lock acquired, waited (\d+)\.\dms$").unwrap();
    let ms: u64 = d_lines(&stderr)
        .iter()
        .find_map(|(_, m)| waited.captures(m).map(|c| c[1].parse().unwrap()))
        .unwrap_or_else(|| panic!("no lock line: {stderr}"));
    assert!(ms >= 500, "waited {ms} ms: {stderr}");
    env.om(&[&name, "stop"]).ok();

    // without it, not one D line
    for action in ["start", "stop"] {
        let out = env.om(&[&name, action]).ok();
        assert_eq!(docker_lines(&out.stderr, &name).len(), 2, "{}", out.stderr);
        assert!(d_lines(&out.stderr).is_empty(), "{}", out.stderr);
    }
    env.om(&[&name, "purge"]).ok();
}
