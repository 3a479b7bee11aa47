//! Seeing what runs, and why it is down (issue 23): a stopped container's
//! exit code and time, a started service with a container down, the
//! status tree at 80 columns in a real terminal.

use crate::support::{create, docker, engine, registry_image, unique, Cleanup, Env, LOOP};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// A service of `n` containers of the test image looping until stopped.
fn looping(n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "[container#{i}]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
                registry_image()
            )
        })
        .collect()
}

/// A container killed behind om's back (exit 137) while its service is
/// started: the tree says `down (exited 137, …s ago)` under it and a
/// warning that the service is started; the JSON has the exit code and
/// docker's time; `status` exits 2 (warn), and 1 (down) once every
/// container crashed. Once om stops the service, the
/// container is down as meant: exit 1, no warning, its exit still said.
#[test]
fn a_down_container_says_why_and_a_started_service_warns() {
    engine();
    let mut env = Env::new();
    let calls = counting_docker(&mut env);
    let name = unique("why");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let _cleanup = Cleanup(vec![c1.clone(), c2.clone()]);
    create(&env, &name, &looping(2));
    env.om(&[&name, "start"]).ok();
    let out = docker(&["kill", &c1]);
    assert!(out.status.success(), "{out:?}");
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(tree.contains("warn, idle, started"), "{tree}");
    let why = tree
        .lines()
        .find(|l| l.contains("info: down (exited 137, "))
        .unwrap_or_else(|| panic!("no exit said:\n{tree}"));
    assert!(why.trim_end().ends_with("s ago)"), "{tree}");
    assert!(
        tree.contains(&format!(
            "warn: down while the service is started (om {name} start brings it back)"
        )),
        "{tree}"
    );
    let doc: Value = serde_json::from_str(
        &env.om(&[&name, "print", "status", "--format", "json"])
            .ok()
            .stdout,
    )
    .expect("status JSON");
    let c = &doc["resources"][0]["container"];
    assert_eq!(
        (c["state"].as_str(), c["exit_code"].as_i64()),
        (Some("exited"), Some(137)),
        "{doc}"
    );
    // docker's own time, as inspect says it
    let finished = crate::support::inspect(&c1).unwrap()["State"]["FinishedAt"].clone();
    assert_eq!(c["finished_at"], finished, "{doc}");
    // the running one has neither
    let up = &doc["resources"][1]["container"];
    assert!(
        up["exit_code"].is_null() && up["finished_at"].is_null(),
        "{doc}"
    );
    assert_eq!(doc["overall"], "warn", "{doc}");
    env.om(&[&name, "status"]).code(2);
    // all crashed: still said on each line, but the service is down (exit
    // 1), never softened to warn for a monitor
    let out = docker(&["kill", &c2]);
    assert!(out.status.success(), "{out:?}");
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert_eq!(
        tree.matches("warn: down while the service is started")
            .count(),
        2,
        "{tree}"
    );
    assert!(
        tree.lines().next().unwrap().trim_end().ends_with("down"),
        "{tree}"
    );
    env.om(&[&name, "status"]).code(1);
    // stopped by om: down as meant
    env.om(&[&name, "stop"]).ok();
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(!tree.contains("warn"), "{tree}");
    assert!(tree.contains("info: down (exited 137, "), "{tree}");
    env.om(&[&name, "status"]).code(1);
    // the exits cost the tree one inspect of the stopped containers; the
    // exit code of status, which shows none, one listing
    for (args, want) in [
        (&[&name, "print", "status"][..], &["ps", "container"][..]),
        (&[&name, "status"][..], &["ps"][..]),
    ] {
        std::fs::write(&calls, "").unwrap();
        env.om(args);
        let said = std::fs::read_to_string(&calls).unwrap();
        assert_eq!(said.lines().collect::<Vec<_>>(), want, "{args:?}");
    }
    env.om(&[&name, "purge"]).ok();
}

/// A tmux server of the test's own (its socket in the test's root), one
/// window of `cols` columns running `line` in sh; killed when dropped.
pub(crate) struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    pub(crate) fn run(env: &Env, cols: u16, line: &str) -> Tmux {
        // a socket of its own: a test may run two, one after the other
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let t = Tmux {
            socket: env.root().join(format!("tmux-{n}.sock")),
        };
        t.tmux(&[
            "new-session",
            "-d",
            "-x",
            &cols.to_string(),
            "-y",
            "60",
            "sh",
            "-c",
            &format!("{line}; echo END-OF-OUTPUT; sleep 60"),
        ]);
        t
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is needed by this test (scripts/test installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The window's text once the command ended, each line as written
    /// (`-J`: a line the terminal wrapped is joined back, so a line wider
    /// than the window shows wider).
    pub(crate) fn output(&self) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let screen = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "0"]);
            if let Some(end) = screen.find("END-OF-OUTPUT") {
                return screen[..end].to_string();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the command never ended:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// The shell line that runs om as `env` would, in the terminal.
pub(crate) fn om_line(env: &Env, args: &str) -> String {
    format!(
        "OSVC_ROOT_PATH={} OSVC_NODENAME={} NO_COLOR=1 HOME={} {} {args}",
        env.root().display(),
        crate::support::NODE,
        env.root().display(),
        assert_cmd::cargo::cargo_bin("om").display()
    )
}

/// At 80 columns in a real terminal (tmux), the status tree of a service
/// with a long name, a registry image, a subset and a killed container:
/// no line wider than 80, the flags, status and label columns the same
/// on every resource row; piped, the same tree keeps SPEC 5.2's columns.
#[test]
fn the_status_tree_fits_80_columns() {
    engine();
    let env = Env::new();
    let name = unique("long-service-name");
    let names: Vec<String> = (1..=3).map(|i| format!("{name}.container.{i}")).collect();
    let _cleanup = Cleanup(names.clone());
    let mut ini = looping(3);
    ini.push_str("subset = web\n[subset#container:web]\nparallel = true\n");
    create(&env, &name, &ini);
    env.om(&[&name, "start"]).ok();
    assert!(docker(&["kill", &names[0]]).status.success());
    let term = Tmux::run(&env, 80, &om_line(&env, &format!("{name} print status")));
    let text = term.output();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 8, "{text}");
    for l in &lines {
        assert!(
            l.chars().count() <= 80,
            "{} wide: {l}\n{text}",
            l.chars().count()
        );
    }
    let rows: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains(" ........ "))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    for what in [" ........ ", "docker container"] {
        let at: Vec<usize> = rows.iter().map(|r| r.find(what).unwrap()).collect();
        assert!(at.iter().all(|a| *a == at[0]), "{what}: {at:?}\n{text}");
    }
    assert!(text.contains("info: down (exited 137, "), "{text}");
    // piped: SPEC's columns, its lines as long as they are
    let piped = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(piped.lines().any(|l| l.chars().count() > 80), "{piped}");
    env.om(&[&name, "purge"]).ok();
}

/// `om print status` without a selector shows every service (it was a
/// usage error); `--format json` too.
#[test]
fn print_status_without_a_selector_shows_every_service() {
    engine();
    let env = Env::new();
    let (a, b) = (unique("every"), unique("every"));
    let ini = format!(
        "[container#1]\ntype = docker\nimage = {}\n",
        registry_image()
    );
    create(&env, &a, &ini);
    create(&env, &b, &ini);
    let tree = env.om(&["print", "status"]).ok().stdout;
    let first: Vec<&str> = tree
        .lines()
        .filter(|l| !l.starts_with([' ', '`', '|']) && !l.is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut want = vec![a.as_str(), b.as_str()];
    want.sort();
    assert_eq!(first, want, "{tree}");
    let json = env.om(&["print", "status", "--format", "json"]).ok().stdout;
    for p in [&a, &b] {
        assert!(json.contains(&format!("\"path\": \"{p}\"")), "{json}");
    }
}

/// A docker first in `env`'s PATH that logs its first word to the
/// returned file, then runs the real one.
fn counting_docker(env: &mut Env) -> PathBuf {
    let bin = env.root().join("counting-bin");
    std::fs::create_dir(&bin).unwrap();
    let real = Command::new("sh")
        .args(["-c", "command -v docker"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    let log = env.root().join("docker-calls");
    let wrapper = bin.join("docker");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$1\" >> {}\nexec {real} \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.path_prefix = Some(bin);
    log
}

/// `om ls` on a terminal (tmux) is a table, as `systemctl list-units`:
/// each service's state (up, down, warn for a started one with a container
/// killed) and the node where it runs, secrets after with `-`; one docker
/// call for all the services. Piped, the paths alone as before (scripts);
/// `--long` gives the piped reader the table, `--format json` the paths.
#[test]
fn ls_shows_the_state_and_where_it_runs() {
    engine();
    let mut env = Env::new();
    let calls = counting_docker(&mut env);
    let (up, down, warn) = (unique("lsu"), unique("lsd"), unique("lsw"));
    let _cleanup = Cleanup(
        [&up, &down, &warn]
            .iter()
            .flat_map(|n| (1..=2).map(move |i| format!("{n}.container.{i}")))
            .collect(),
    );
    for n in [&up, &down, &warn] {
        create(&env, n, &looping(2));
    }
    env.om(&[&up, "start"]).ok();
    env.om(&[&warn, "start"]).ok();
    assert!(docker(&["kill", &format!("{warn}.container.1")])
        .status
        .success());
    let sec = unique("sec/lss");
    env.om(&[&sec, "create"]).ok();
    let mut paths = vec![up.clone(), down.clone(), warn.clone()];
    paths.sort();
    paths.push(sec.clone());
    // piped: the paths, one a line, as scripts read them
    assert_eq!(
        env.om(&["ls"]).ok().stdout,
        paths.iter().map(|p| format!("{p}\n")).collect::<String>()
    );
    let json: Vec<String> =
        serde_json::from_str(&env.om(&["ls", "--format", "json"]).ok().stdout).unwrap();
    assert_eq!(json, paths);
    // on a terminal: the table
    let term = Tmux::run(&env, 100, &om_line(&env, "ls"));
    let text = term.output();
    let row = |p: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(p))
            .unwrap_or_else(|| panic!("no row for {p}:\n{text}"));
        line.split_whitespace().map(String::from).collect()
    };
    assert_eq!(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["PATH", "STATE", "RUNS", "ON"]),
        "{text}"
    );
    let node = crate::support::NODE;
    assert_eq!(row(&up), [up.as_str(), "up", node], "{text}");
    assert_eq!(row(&down), [down.as_str(), "down", "-"], "{text}");
    // the killed one's service runs on with the other container: warn
    assert_eq!(row(&warn), [warn.as_str(), "warn", node], "{text}");
    assert_eq!(row(&sec), [sec.as_str(), "-", "-"], "{text}");
    // the same table piped with --long, from one listing of the engine
    // (the stopped containers' exits are not in it: no inspect)
    std::fs::write(&calls, "").unwrap();
    let long = env.om(&["ls", "--long"]).ok().stdout;
    let table: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(long.lines().collect::<Vec<_>>(), table);
    let said = std::fs::read_to_string(&calls).unwrap();
    assert_eq!(said.lines().collect::<Vec<_>>(), ["ps"], "{said}");
    for n in [&up, &down, &warn] {
        env.om(&[n, "purge"]).ok();
    }
}

/// `om SVC ps` lists the service's own containers (it was a hint to use
/// print status): each with its name, rid, state, image and id, a
/// container renamed behind om's back under its new name (found by its
/// label), a killed one with its exit; another service's containers are
/// not in it, where `om SVC docker ps` lists the whole engine's.
#[test]
fn ps_lists_the_service_s_own_containers() {
    engine();
    let env = Env::new();
    let (name, other) = (unique("ps"), unique("pso"));
    let renamed = format!("{name}-moved");
    let _cleanup = Cleanup(vec![
        format!("{name}.container.1"),
        format!("{name}.container.2"),
        renamed.clone(),
        format!("{other}.container.1"),
        format!("{other}.container.2"),
    ]);
    create(
        &env,
        &name,
        &format!(
            "{}[container#3]\ntype = docker\nimage = {}\n",
            looping(2),
            registry_image()
        ),
    );
    create(&env, &other, &looping(2));
    env.om(&[
        &name,
        "start",
        "--rid",
        "container#1",
        "--rid",
        "container#2",
    ])
    .ok();
    env.om(&[&other, "start"]).ok();
    let c1 = format!("{name}.container.1");
    assert!(docker(&["kill", &c1]).status.success());
    assert!(
        docker(&["rename", &format!("{name}.container.2"), &renamed])
            .status
            .success()
    );
    let out = env.om(&[&name, "ps"]).ok().stdout;
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "RID", "STATE", "IMAGE", "ID"], "{out}");
    let id =
        |c: &str| crate::support::inspect(c).unwrap()["Id"].as_str().unwrap()[..12].to_string();
    let image = registry_image();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(
        lines[1],
        [
            c1.as_str(),
            "container#1",
            "exited",
            "137,",
            lines[1][4],
            "ago",
            image.as_str(),
            &id(&c1)
        ],
        "{out}"
    );
    assert!(lines[1][4].ends_with('s'), "{out}");
    assert_eq!(
        lines[2],
        [
            renamed.as_str(),
            "container#2",
            "running",
            image.as_str(),
            &id(&renamed)
        ],
        "{out}"
    );
    assert_eq!(
        lines[3],
        [
            format!("{name}.container.3").as_str(),
            "container#3",
            "absent",
            image.as_str(),
            "-"
        ],
        "{out}"
    );
    assert!(!out.contains(&other), "{out}");
    // the engine's, for comparison: the other service's are there
    let all = env.om(&[&name, "docker", "ps"]).ok().stdout;
    assert!(all.contains(&format!("{other}.container.1")), "{all}");
    for n in [&name, &other] {
        env.om(&[n, "purge"]).ok();
    }
}
