//! The live view (issue 25, SPEC 18): `print status --watch` and `om mon`
//! redraw the tree in a real terminal (tmux) when a container is killed,
//! and leave the terminal as it was on ^C (130) and on q (0); under a
//! pipe, one JSON document per change, one a line, nothing when nothing
//! changes; an engine whose events can not be followed is read at the
//! interval, said.

use crate::seeing::{om_line, Tmux};
use crate::support::{create, docker, engine, registry_image, unique, Cleanup, Env, LOOP};
use serde_json::Value;
use std::io::BufRead;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A service of one container of the test image looping until stopped.
fn looping() -> String {
    format!(
        "[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
        registry_image()
    )
}

/// How long a change may take to show on a loaded 2-core machine: the
/// assertion is that it shows; the time measured is printed.
const SHOWS_WITHIN: Duration = Duration::from_secs(5);

/// An --interval far above `SHOWS_WITHIN`: a change shown in time was
/// not found by the poll at the interval, but by what woke the watch.
const SLOW: &str = "30s";

impl Tmux {
    /// What the pane shows now (the alternate screen while om draws there).
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// Whether the pane is on its alternate screen, and its cursor shown.
    fn modes(&self) -> (bool, bool) {
        let out = self.tmux(&["display", "-p", "-t", "0", "#{alternate_on} #{cursor_flag}"]);
        let mut w = out.split_whitespace();
        (w.next() == Some("1"), w.next() == Some("1"))
    }

    /// Waits until the screen shows `what`; the time it took.
    #[track_caller]
    fn wait_screen(&self, what: &str, within: Duration, cond: impl Fn(&str) -> bool) -> Duration {
        let t = Instant::now();
        loop {
            let screen = self.screen();
            if cond(&screen) {
                return t.elapsed();
            }
            assert!(
                t.elapsed() < within,
                "waited {within:?} for {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The line of the tree that shows `rid`, on a screen.
fn row<'a>(screen: &'a str, rid: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(&format!("- {rid} ")))
}

/// A shell line that runs om `args` in the terminal, then says its exit
/// code and whether the terminal's modes (stty) are as before. The shell
/// survives the ^C sent to om (a trap: om still gets SIGINT's default).
fn watched(env: &Env, args: &str) -> String {
    format!(
        "trap : INT; B=$(stty -g); {}; echo EXIT=$?; [ \"$(stty -g)\" = \"$B\" ] && echo STTY-SAME",
        om_line(env, args)
    )
}

/// In a terminal: the tree of a started service, redrawn in place when
/// its container is killed behind om's back (the time printed), on the
/// alternate screen with the cursor hidden; ^C exits 130 with the
/// terminal as it was (normal screen, cursor shown, stty modes). Then `om
/// mon` shows every service, and q quits with 0, the terminal restored.
#[test]
fn the_tree_is_redrawn_when_a_container_dies_and_the_terminal_is_restored() {
    engine();
    let env = Env::new();
    let (name, other) = (unique("watch"), unique("watch"));
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone(), format!("{other}.container.1")]);
    create(&env, &name, &looping());
    create(&env, &other, &looping());
    env.om(&[&name, "start"]).ok();
    let term = Tmux::run(
        &env,
        100,
        &watched(
            &env,
            &format!("{name} print status --watch --interval {SLOW}"),
        ),
    );
    term.wait_screen("the tree", SHOWS_WITHIN, |s| {
        row(s, "container#1").is_some_and(|r| r.contains(" up "))
    });
    assert_eq!(
        term.modes(),
        (true, false),
        "alternate screen, cursor hidden"
    );
    let screen = term.screen();
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .starts_with(&format!("om {name} print status --watch · ")),
        "{screen}"
    );
    let killed = Instant::now();
    assert!(docker(&["kill", &c1]).status.success());
    let seen = term.wait_screen("the killed container", SHOWS_WITHIN, |s| {
        row(s, "container#1").is_some_and(|r| r.contains(" down "))
    });
    let since_kill = killed.elapsed();
    eprintln!(
        "watch: docker kill to the redrawn line: {} ms (the kill itself included: {} ms)",
        seen.as_millis(),
        since_kill.as_millis()
    );
    assert!(
        term.screen().contains("info: down (exited 137, "),
        "{}",
        term.screen()
    );
    term.tmux(&["send-keys", "-t", "0", "C-c"]);
    let out = term.output();
    assert!(out.contains("EXIT=130"), "{out}");
    assert!(out.contains("STTY-SAME"), "stty modes changed:\n{out}");
    assert!(
        !out.contains("container#1"),
        "the tree left on the screen:\n{out}"
    );
    assert_eq!(term.modes(), (false, true), "normal screen, cursor shown");
    drop(term);

    // om mon: every service; q quits
    let term = Tmux::run(&env, 100, &watched(&env, "mon"));
    let screen = term.wait_screen("both services", SHOWS_WITHIN, |s| {
        s.lines().any(|l| l.starts_with(&format!("{other} ")))
    });
    let _ = screen;
    let screen = term.screen();
    assert!(screen.starts_with("om mon · "), "{screen}");
    for svc in [&name, &other] {
        assert!(
            screen.lines().any(|l| l.starts_with(&format!("{svc} "))),
            "{svc}:\n{screen}"
        );
    }
    term.tmux(&["send-keys", "-t", "0", "q"]);
    let out = term.output();
    assert!(out.contains("EXIT=0"), "{out}");
    assert!(out.contains("STTY-SAME"), "stty modes changed:\n{out}");
    assert_eq!(term.modes(), (false, true), "normal screen, cursor shown");
    env.om(&[&name, "purge"]).ok();
    env.om(&[&other, "purge"]).ok();
}

/// A watch under a pipe, its stdout's lines as they come, with the time.
struct Piped {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    stderr: std::path::PathBuf,
}

impl Piped {
    fn start(env: &Env, args: &[&str]) -> Piped {
        let stderr = env.root().join(format!("watch-stderr-{}", unique("e")));
        let mut child = env
            .std_cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("om");
        let out = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if send.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Piped {
            child,
            lines,
            stderr,
        }
    }

    /// The next line within `within`, parsed, with when it came.
    #[track_caller]
    fn next(&self, within: Duration) -> (Instant, Value) {
        let (at, line) = self
            .lines
            .recv_timeout(within)
            .unwrap_or_else(|_| panic!("no line within {within:?}; stderr: {}", self.said()));
        let doc = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        (at, doc)
    }

    /// Whether no line comes within `d`.
    fn quiet_for(&self, d: Duration) -> Option<String> {
        self.lines.recv_timeout(d).ok().map(|(_, l)| l)
    }

    fn said(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGINT, as ^C sends it: the exit code.
    fn interrupt(mut self) -> (Option<i32>, String) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on the child this test started.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let status = self.child.wait().unwrap();
        (status.code(), self.said())
    }
}

impl Drop for Piped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of the resource `rid` in a JSON status document.
fn status_of<'a>(doc: &'a Value, rid: &str) -> Option<&'a str> {
    doc["resources"]
        .as_array()?
        .iter()
        .find(|r| r["rid"] == rid)?["status"]
        .as_str()
}

/// Under a pipe: one JSON document a line, the first at once; a read
/// that finds nothing changed (the config touched, its text the same)
/// writes nothing; one line when a container is killed (docker events),
/// one when the config gains a resource (its file), each parseable and
/// each within `SHOWS_WITHIN` though the interval is `SLOW`; ^C exits 130.
#[test]
fn under_a_pipe_one_json_line_per_change_and_none_without() {
    engine();
    let env = Env::new();
    let name = unique("watchj");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, &looping());
    env.om(&[&name, "start"]).ok();
    let w = Piped::start(
        &env,
        &[
            &name,
            "print",
            "status",
            "--watch",
            "--interval",
            SLOW,
            "--debug",
        ],
    );
    let (_, first) = w.next(Duration::from_secs(30));
    assert_eq!(first["path"], name.as_str(), "{first}");
    assert_eq!(status_of(&first, "container#1"), Some("up"), "{first}");
    // the config touched, the same text: read again (its container list
    // said in a D line: the engine's socket asked, or docker ps), nothing
    // written
    let reads = || {
        let said = w.said();
        said.matches(" D docker ps -a ").count() + said.matches("/containers/json?all=1: ").count()
    };
    let before = reads();
    let conf = env.conf(&name);
    let text = std::fs::read(&conf).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&conf, &text).unwrap();
    crate::support::wait_for("a read after the touch", SHOWS_WITHIN, || reads() > before);
    if let Some(line) = w.quiet_for(Duration::from_millis(1500)) {
        panic!("a line while nothing changed: {line}");
    }
    let killed = Instant::now();
    assert!(docker(&["kill", &c1]).status.success());
    let (at, doc) = w.next(SHOWS_WITHIN);
    eprintln!(
        "watch (JSON lines): docker kill to the line: {} ms",
        at.duration_since(killed).as_millis()
    );
    assert_eq!(status_of(&doc, "container#1"), Some("down"), "{doc}");
    // a change of the config alone (no container event): a resource added
    env.om(&[
        &name,
        "set",
        "--kw",
        &format!("container#2.image={}", registry_image()),
        "--kw",
        "container#2.type=docker",
    ])
    .ok();
    let mut doc = w.next(SHOWS_WITHIN).1;
    // the killed container's exit may still settle in a line of its own
    while status_of(&doc, "container#2").is_none() {
        doc = w.next(SHOWS_WITHIN).1;
    }
    assert_eq!(status_of(&doc, "container#1"), Some("down"), "{doc}");
    let (code, said) = w.interrupt();
    assert_eq!(code, Some(130), "{said}");
    env.om(&[&name, "purge"]).ok();
}

/// A docker whose `events` fails (an engine that can not be followed):
/// the watch says so, once, and reads the status at --interval instead,
/// so the killed container still shows; the other commands are docker's.
#[test]
fn a_watch_whose_events_end_says_so_and_polls() {
    engine();
    let mut env = Env::new();
    let bin = env.root().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v docker"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let wrapper = bin.join("docker");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n[ \"$1\" = events ] && {{ echo 'events refused by the test' >&2; exit 1; }}\nexec {} \"$@\"\n",
            real.trim()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.path_prefix = Some(bin);
    let name = unique("watchp");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(&env, &name, &looping());
    env.om(&[&name, "start"]).ok();
    let w = Piped::start(
        &env,
        &[&name, "print", "status", "--watch", "--interval", "1s"],
    );
    let (_, first) = w.next(Duration::from_secs(30));
    assert_eq!(status_of(&first, "container#1"), Some("up"), "{first}");
    assert!(docker(&["kill", &c1]).status.success());
    let (_, doc) = w.next(SHOWS_WITHIN);
    assert_eq!(status_of(&doc, "container#1"), Some("down"), "{doc}");
    let (code, said) = w.interrupt();
    assert_eq!(code, Some(130), "{said}");
    let ended: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("docker events of the host's engine ended"))
        .collect();
    assert_eq!(
        ended,
        ["om: docker events of the host's engine ended (exit 1: events refused by the test): read every 1s"],
        "{said}"
    );
    env.om(&[&name, "purge"]).ok();
}

/// A bad --interval is a usage error, nothing watched; so is one without
/// --watch.
#[test]
fn a_bad_interval_is_refused() {
    let env = Env::new();
    for bad in ["0", "soon"] {
        let out = env.om(&["mon", "--interval", bad]).code(2);
        assert!(out.stderr.starts_with("om: --interval: "), "{}", out.stderr);
    }
    let out = env.om(&["print", "status", "--interval", "2s"]).code(2);
    assert_eq!(
        out.stderr,
        "om: --interval: only with --watch (how often a watch asks the other nodes)\n"
    );
    assert_eq!(out.stdout, "");
}

/// The avail of `node`'s instance in a JSON status document.
fn avail_on<'a>(doc: &'a Value, node: &str) -> Option<&'a str> {
    doc["instances"]
        .as_array()?
        .iter()
        .find(|i| i["node"] == node)?["avail"]
        .as_str()
}

/// A service on this node and n2 (the rig's ssh): the watch asks n2 at
/// --interval, so a start there (no event here) shows in a line of its
/// own, n2's instance up.
#[test]
fn a_watch_asks_the_other_nodes_at_the_interval() {
    let cfg = crate::multinode::rig();
    let env = crate::multinode::rig_env();
    let name = unique("watchn");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let ini = format!(
        "[DEFAULT]\nnodes = {} n2\n{}",
        crate::support::NODE,
        looping()
    );
    create(&env, &name, &ini);
    let _remote = crate::multinode::synced_to(&cfg, &env, &name, &["n2"]);
    let w = Piped::start(
        &env,
        &[&name, "print", "status", "--watch", "--interval", "1s"],
    );
    let (_, first) = w.next(Duration::from_secs(30));
    assert_eq!(avail_on(&first, "n2"), Some("down"), "{first}");
    let out = std::process::Command::new("ssh")
        .args(["-F", &cfg, "n2", &format!("om {name} start --force")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    let mut doc = w.next(Duration::from_secs(30)).1;
    while avail_on(&doc, "n2") != Some("up") {
        doc = w.next(Duration::from_secs(30)).1;
    }
    eprintln!(
        "watch: n2's start seen here {} ms after it returned (interval 1s)",
        started.elapsed().as_millis()
    );
    assert_eq!(doc["avail"], "up", "{doc}");
    let (code, said) = w.interrupt();
    assert_eq!(code, Some(130), "{said}");
}
