//! What ships besides the binary: the committed completion scripts, driven
//! in real shells, and the man pages, rendered by man.

use crate::support::*;
use std::path::PathBuf;
use std::process::Command;

fn project(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// PATH with the om under test first, as an installed om would be.
fn path_with_om() -> String {
    let bin = assert_cmd::cargo::cargo_bin("om");
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn fixture() -> Env {
    let env = Env::new();
    create(&env, "web", "[container#1]\ntype = docker\nimage = nginx\ntags = front\n\n[container#db]\ntype = docker\nimage = nginx\nsubset = back\n");
    create(
        &env,
        "ns1/svc/api",
        "[container#1]\ntype = docker\nimage = nginx\n",
    );
    env
}

fn shell(env: &Env, program: &str, args: &[&str]) -> Out {
    let out = Command::new(program)
        .args(args)
        .env("PATH", path_with_om())
        .env("OSVC_ROOT_PATH", env.root())
        // a locale every Debian has: no "can't set the locale" on stderr
        .env("LC_ALL", "C.UTF-8")
        .env("HOME", env.root())
        .current_dir(env.root())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed by this test (scripts/test installs it): {e}")
        });
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs bash's completion function on COMP_WORDS as bash does on TAB.
fn bash_complete(env: &Env, words: &[&str]) -> Vec<String> {
    let script = format!(
        "source {}\nCOMP_WORDS=({})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\nCOMP_TYPE=9\n\
         _clap_complete_om om \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        project("completions/om.bash").display(),
        words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ")
    );
    let out = shell(env, "bash", &["-c", &script]).ok();
    assert_eq!(out.stderr, "");
    out.stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_services_commands_rids_and_keywords() {
    let env = fixture();
    let first = bash_complete(&env, &["om", ""]);
    assert!(
        first.contains(&"web".to_string()) && first.contains(&"ns1/svc/api".to_string()),
        "{first:?}"
    );
    assert!(first.contains(&"ls".to_string()));
    assert!(
        !first.contains(&"start".to_string()),
        "commands offered before a path: {first:?}"
    );
    assert_eq!(bash_complete(&env, &["om", "w"]), ["web"]);
    let cmds = bash_complete(&env, &["om", "web", ""]);
    for c in ["start", "stop", "print", "docker", "set"] {
        assert!(cmds.contains(&c.to_string()), "{c} not in {cmds:?}");
    }
    assert_eq!(
        bash_complete(&env, &["om", "web", "sta"]),
        ["start", "status"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "web", "print", ""]),
        ["status", "config", "--debug", "--help"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "web", "start", "--rid", ""]),
        ["container", "container#1", "container#db"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "ns1/svc/api", "stop", "--rid", "c"]),
        ["container", "container#1"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "web", "start", "--tag", ""]),
        ["front"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "web", "start", "--subset", ""]),
        ["back"]
    );
    let kws = bash_complete(&env, &["om", "web", "set", "--kw", "container#db.im"]);
    assert_eq!(
        kws,
        ["container#db.image=", "container#db.image_pull_policy="]
    );
    assert!(bash_complete(&env, &["om", "web", "get", "--kw", "roll"]) == ["rollback"]);
}

#[test]
fn bash_completes_the_nodes_of_the_service_after_to_and_node() {
    let env = Env::new();
    create(
        &env,
        "mn",
        "[DEFAULT]\nnodes = n2 n1\ndrpnodes = n3\n[container#1]\ntype = docker\nimage = nginx\n",
    );
    assert_eq!(
        bash_complete(&env, &["om", "mn", "switch", "--to", ""]),
        ["n2", "n1", "n3"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "mn", "docker", "--node", "n"]),
        ["n2", "n1", "n3"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "mn", "docker", "--node", "n3"]),
        ["n3"]
    );
    // no such service: nothing to offer
    assert!(bash_complete(&env, &["om", "nosuch", "switch", "--to", ""]).is_empty());
}

/// The raw protocol the scripts speak (its speed is in scripts/bench).
#[test]
fn the_completion_protocol_answers_from_the_config_root() {
    let env = fixture();
    let out = Command::new(assert_cmd::cargo::cargo_bin("om"))
        .args(["--", "om", "web", "start", "--rid", ""])
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "4")
        .env("_CLAP_IFS", "\n")
        .env("OSVC_ROOT_PATH", env.root())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "container\ncontainer#1\ncontainer#db"
    );
}

#[test]
fn fish_completes_and_zsh_loads_the_scripts() {
    let env = fixture();
    let fish = project("completions/om.fish");
    let script = format!(
        "source {}; complete -C 'om '; echo ---; complete -C 'om web start --rid '",
        fish.display()
    );
    let out = shell(&env, "fish", &["-c", &script]).ok();
    assert_eq!(out.stderr, "");
    let (services, rids) = out.stdout.split_once("---\n").unwrap();
    assert!(
        services.lines().any(|l| l == "web") && services.lines().any(|l| l == "ns1/svc/api"),
        "{services}"
    );
    assert_eq!(rids, "container\ncontainer#1\ncontainer#db\n");

    let zsh = project("completions/_om");
    let script = format!("autoload -Uz compinit && compinit -u -d {}/zcompdump; source {}; print -r -- ${{_comps[om]}}", env.root().display(), zsh.display());
    let out = shell(&env, "zsh", &["-f", "-c", &script]).ok();
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout, "_clap_dynamic_completer_om\n");
}

#[test]
fn man_pages_render() {
    let env = Env::new();
    for (page, must) in [
        (
            "man/om.1",
            vec![
                "SYNOPSIS",
                "COMMANDS",
                "EXIT STATUS",
                "FILES",
                "ENVIRONMENT",
                "EXAMPLES",
                "om SELECTOR print status",
            ],
        ),
        ("man/om-start.1", vec!["--dry-run", "--rid <RID>"]),
        (
            "man/om.conf.5",
            vec![
                "image_pull_policy",
                "start_timeout",
                "default 5s",
                "docker run: --volume=SRC:DST[:OPTS] per word",
            ],
        ),
    ] {
        let file = project(page);
        let out = Command::new("man")
            .args(["--warnings", "-l", file.to_str().unwrap()])
            .env("MANWIDTH", "200")
            .env("LC_ALL", "C.UTF-8")
            .env("MAN_KEEP_FORMATTING", "0")
            .env("PAGER", "cat")
            .current_dir(env.root())
            .output()
            .expect("man is needed by this test (scripts/test installs man-db)");
        assert!(
            out.status.success(),
            "{page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{page}");
        // man may embolden with backspaces (X\bX) when not on a terminal
        let plain: String = {
            let mut s = String::new();
            let chars: Vec<char> = String::from_utf8_lossy(&out.stdout).chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if i + 2 < chars.len() && chars[i + 1] == '\u{8}' {
                    i += 2;
                    continue;
                }
                s.push(chars[i]);
                i += 1;
            }
            s
        };
        for m in must {
            assert!(plain.contains(m), "{page} lacks {m:?}:\n{plain}");
        }
    }
}

/// `om ls <TAB>` offers ls's options, `--format <TAB>` its values, and a
/// word the shell escaped (`container\#db.`, as zsh and fish hand it over
/// once `#` is typed) still completes.
#[test]
fn completion_of_ls_formats_and_escaped_words() {
    let env = fixture();
    assert_eq!(
        bash_complete(&env, &["om", "ls", ""]),
        ["--format", "--debug", "--help"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "ls", "--format", ""]),
        ["text", "json"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "web", "print", "status", "--format", ""]),
        ["text", "json"]
    );
    let fish = project("completions/om.fish");
    let script = format!(
        "source {}; complete -C 'om web set --kw container\\#db.ima'",
        fish.display()
    );
    let out = shell(&env, "fish", &["-c", &script]).ok();
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        "container#db.image=\ncontainer#db.image_pull_policy=\n"
    );
}

/// A real terminal: tmux runs an interactive shell with the completion
/// script loaded, keys are typed, the screen is read back (its own server
/// socket, killed at the end).
struct Terminal {
    socket: PathBuf,
}

impl Terminal {
    fn start(env: &Env, name: &str, shell_line: &str) -> Terminal {
        // a server of its own for each terminal
        let socket = env.root().join(format!("tmux-{name}.sock"));
        let t = Terminal { socket };
        t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "200",
            "-y",
            "40",
            shell_line,
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

    /// Waits until the screen shows `want` (10 s at most), and returns it.
    fn wait_for(&self, want: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let screen = self.tmux(&["capture-pane", "-p", "-t", "t"]);
            if screen.contains(want) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {want:?}:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Types `line` then Tab until the screen shows `want`: a freshly
    /// started zsh may drop the first Tab while it settles.
    fn complete_until(&self, line: &str, want: &str) -> String {
        self.keys(&[line]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            self.keys(&["Tab"]);
            std::thread::sleep(std::time::Duration::from_millis(300));
            let screen = self.tmux(&["capture-pane", "-p", "-t", "t"]);
            if screen.contains(want) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {want:?}:\n{screen}"
            );
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Completion as a person gets it, in an interactive zsh and fish driven
/// through tmux: a rid after an escaped `#` completes, and so do rids.
#[test]
fn completion_in_interactive_zsh_and_fish() {
    let env = fixture();
    let root = env.root().display().to_string();
    let common = format!(
        "env HOME={root} OSVC_ROOT_PATH={root} PATH={} LC_ALL=C.UTF-8 TERM=xterm",
        path_with_om()
    );
    std::fs::write(
        env.root().join(".zshrc"),
        format!(
            "PS1='READY> '\nfpath=({} $fpath)\nautoload -Uz compinit && compinit -u -d {root}/zcompdump\n",
            project("completions").display()
        ),
    )
    .unwrap();
    let zsh = Terminal::start(&env, "zsh", &format!("{common} ZDOTDIR={root} zsh -i"));
    zsh.wait_for("READY>");
    zsh.complete_until("om we", "READY> om web");
    zsh.keys(&["C-u"]);
    zsh.complete_until(
        "om web set --kw container\\#db.ima",
        "READY> om web set --kw container\\#db.image",
    );
    zsh.keys(&["Tab"]);
    zsh.wait_for("image_pull_policy=");
    drop(zsh);

    let fish = Terminal::start(
        &env,
        "fish",
        &format!(
            "{common} fish --no-config -C 'source {}; function fish_prompt; echo -n \"READY> \"; end'",
            project("completions/om.fish").display()
        ),
    );
    fish.wait_for("READY>");
    let screen = fish.complete_until("om web set --kw container\\#db.ima", "image_pull_policy=");
    assert!(
        screen.contains("READY> om web set --kw container\\#db.image"),
        "{screen}"
    );
    fish.keys(&["C-u", "om web start --rid container", "Tab"]);
    let screen = fish.wait_for("container#db");
    assert!(screen.contains("container#1"), "{screen}");
}

/// Secrets and configs complete as paths, and their keys after --key.
#[test]
fn objects_and_their_keys_complete() {
    let env = Env::new();
    env.om(&["ns1/sec/db", "create"]).ok();
    env.om(&["ns1/sec/db", "add", "--key", "password", "--value", "x"])
        .ok();
    env.om(&["ns1/sec/db", "add", "--key", "port", "--value", "5432"])
        .ok();
    let complete = |words: &[&str]| {
        let out = Command::new(assert_cmd::cargo::cargo_bin("om"))
            .arg("--")
            .args(words)
            .env("COMPLETE", "bash")
            .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
            .env("_CLAP_IFS", "\n")
            .env("OSVC_ROOT_PATH", env.root())
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        complete(&["om", "ns1/s"])
            .lines()
            .any(|l| l == "ns1/sec/db"),
        "{}",
        complete(&["om", "ns1/s"])
    );
    assert_eq!(
        complete(&["om", "ns1/sec/db", "decode", "--key", "pa"]),
        "password"
    );
    assert_eq!(
        complete(&["om", "ns1/sec/db", "remove", "--key", ""]),
        "password\nport"
    );
}
