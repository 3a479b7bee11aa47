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
/// docker's time; `status` exits 2 (warn). Once om stops the service, the
/// container is down as meant: exit 1, no warning, its exit still said.
#[test]
fn a_down_container_says_why_and_a_started_service_warns() {
    engine();
    let env = Env::new();
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
    // stopped by om: down as meant
    env.om(&[&name, "stop"]).ok();
    let tree = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(!tree.contains("warn"), "{tree}");
    assert!(tree.contains("info: down (exited 137, "), "{tree}");
    env.om(&[&name, "status"]).code(1);
    env.om(&[&name, "purge"]).ok();
}

/// A tmux server of the test's own (its socket in the test's root), one
/// window of `cols` columns running `line` in sh; killed when dropped.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn run(env: &Env, cols: u16, line: &str) -> Tmux {
        let t = Tmux {
            socket: env.root().join("tmux.sock"),
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

    fn tmux(&self, args: &[&str]) -> String {
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
    fn output(&self) -> String {
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
fn om_line(env: &Env, args: &str) -> String {
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
