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
    create(
        &env,
        "vols",
        "[container#1]\ntype = docker\nimage = nginx\n[volume#1]\nname = v1\n",
    );
    assert_eq!(
        bash_complete(&env, &["om", "vols", "stop", "--rid", "v"]),
        ["volume", "volume#1"]
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
        (
            "man/om-start.1",
            vec![
                "--dry-run",
                "--rid <RID>",
                "wait for up status",
                "rolls back",
                "EXIT STATUS",
                "128+N",
                "EXAMPLES",
                "om web start --rid container#2",
            ],
        ),
        (
            "man/om-status.1",
            vec!["EXIT STATUS", "4      The status is not known", "EXAMPLES"],
        ),
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
        // man justifies lines: compare words, not the spaces between them
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let flat = words(&plain);
        for m in must {
            assert!(flat.contains(&words(m)), "{page} lacks {m:?}:\n{plain}");
        }
    }
}

/// `om mon` completes at the first word, then its options; `print status
/// --wa<TAB>` offers `--watch` (issue 25).
#[test]
fn completion_of_mon_and_watch() {
    let env = fixture();
    assert!(bash_complete(&env, &["om", ""]).contains(&"mon".to_string()));
    assert_eq!(
        bash_complete(&env, &["om", "mon", ""]),
        [
            "--format",
            "--color",
            "--local",
            "--interval",
            "--debug",
            "--help"
        ]
    );
    assert_eq!(
        bash_complete(&env, &["om", "mon", "--format", ""]),
        ["text", "json"]
    );
    assert_eq!(
        bash_complete(&env, &["om", "web", "print", "status", "--wa"]),
        ["--watch"]
    );
}

/// `om ls <TAB>` offers ls's options, `--format <TAB>` its values, and a
/// word the shell escaped (`container\#db.`, as zsh and fish hand it over
/// once `#` is typed) still completes.
#[test]
fn completion_of_ls_formats_and_escaped_words() {
    let env = fixture();
    assert_eq!(
        bash_complete(&env, &["om", "ls", ""]),
        ["--format", "--long", "--debug", "--help"]
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
        Terminal::sized(env, name, shell_line, 200)
    }

    /// A terminal `cols` wide.
    fn sized(env: &Env, name: &str, shell_line: &str, cols: u16) -> Terminal {
        // a server of its own for each terminal
        let socket = env.root().join(format!("tmux-{name}.sock"));
        let t = Terminal { socket };
        t.tmux(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &cols.to_string(),
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

// --- scripts/install --------------------------------------------------------

/// A directory of this test's own that user nobody can reach too (the
/// run's TMPDIR is root's alone): under cargo's target/tmp.
fn open_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// An executable script `name` in `dir` that appends its arguments to
/// `dir/calls` (as `name ARGS`), then runs `body`.
fn fake_program(dir: &std::path::Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\necho \"{name} $*\" >> {}/calls\n{body}\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn calls(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// scripts/install with `vars` (PATH among them), as user nobody when
/// `as_nobody` (through setpriv), the om under test as its binary.
fn install(vars: &[(&str, String)], as_nobody: bool) -> Out {
    let script = project("scripts/install");
    let mut cmd = if as_nobody && euid() == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&script);
        c
    } else {
        Command::new(&script)
    };
    cmd.env_clear()
        .env("LC_ALL", "C.UTF-8")
        .env("OM_BIN", assert_cmd::cargo::cargo_bin("om"))
        .stdin(std::process::Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    // the OCF agent goes under the test's PREFIX, never the system's
    // /usr/lib/ocf
    if let Some((_, prefix)) = vars.iter().find(|(k, _)| *k == "PREFIX") {
        cmd.env("OCF_ROOT", format!("{prefix}/lib/ocf"));
    }
    let out = cmd
        .output()
        .expect("scripts/install runs (setpriv: util-linux)");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// With an engine that answers, scripts/install puts om, its man pages and
/// its completions under PREFIX, and asks the engine nothing but `docker
/// info` (a docker in front of the real one records every call): no
/// apt-get, no dockerd, the engine left as it is.
#[test]
fn install_puts_om_its_pages_and_completions_under_prefix_and_leaves_the_engine_alone() {
    engine();
    let dir = open_tempdir();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let real_docker = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v docker"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    fake_program(
        &bin,
        "docker",
        &format!("exec {} \"$@\"", real_docker.trim()),
    );
    for never in ["apt-get", "dockerd"] {
        fake_program(&bin, never, "exit 1");
    }
    let prefix = dir.path().join("prefix");
    // an OCF directory there, as Pacemaker's package makes it
    std::fs::create_dir_all(prefix.join("lib/ocf")).unwrap();
    let out = install(
        &[
            ("PREFIX", prefix.display().to_string()),
            ("HOME", dir.path().display().to_string()),
            (
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            ),
        ],
        false,
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let version = Command::new(prefix.join("bin/om"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(version.status.success());
    for file in [
        "share/man/man1/om.1",
        "share/man/man1/om-start.1",
        "share/man/man1/om-status.1",
        "share/man/man5/om.conf.5",
        "share/bash-completion/completions/om",
        "share/zsh/site-functions/_om",
        "share/fish/vendor_completions.d/om.fish",
    ] {
        let installed = std::fs::read(prefix.join(file)).unwrap_or_default();
        let shipped = file
            .rsplit('/')
            .next()
            .map(|f| match f {
                "om" => project("completions/om.bash"),
                f if f.ends_with(".1") || f.ends_with(".5") => project(&format!("man/{f}")),
                f => project(&format!("completions/{f}")),
            })
            .unwrap();
        assert!(
            !installed.is_empty() && installed == std::fs::read(&shipped).unwrap(),
            "{file} is not {}",
            shipped.display()
        );
    }
    // ocf:om:svc, installed by the new om, which it runs by default
    let agent =
        std::fs::read_to_string(prefix.join("lib/ocf/resource.d/om/svc")).unwrap_or_default();
    assert!(
        agent.contains(&format!(
            "om=${{OCF_RESKEY_om:-{}}}",
            prefix.join("bin/om").display()
        )),
        "{agent}\n{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("docker engine: answers (docker info); left as it is"),
        "{}",
        out.stdout
    );
    assert_eq!(
        calls(&bin),
        ["docker info"],
        "the engine is asked only whether it answers"
    );
}

/// As root with no engine that answers and no docker client,
/// scripts/install says it installs docker.io and starts dockerd as
/// scripts/test does; OM_INSTALL_DRY_RUN=1 makes it run neither (a fake
/// apt-get records any call, and no docker is in PATH).
#[test]
fn install_as_root_without_an_engine_says_it_installs_and_starts_one() {
    assert_eq!(
        euid(),
        0,
        "this test runs scripts/install as root; run scripts/test as root"
    );
    let dir = open_tempdir();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // the system's programs, but no docker
    for entry in std::fs::read_dir("/usr/bin").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("docker") && name != "apt-get" {
            std::os::unix::fs::symlink(entry.path(), bin.join(&name)).unwrap();
        }
    }
    fake_program(&bin, "apt-get", "exit 1");
    let prefix = dir.path().join("prefix");
    // an OCF directory there, as Pacemaker's package makes it
    std::fs::create_dir_all(prefix.join("lib/ocf")).unwrap();
    let out = install(
        &[
            ("PREFIX", prefix.display().to_string()),
            ("HOME", dir.path().display().to_string()),
            ("PATH", bin.display().to_string()),
            ("OM_INSTALL_DRY_RUN", "1".into()),
        ],
        false,
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(prefix.join("bin/om").exists());
    for said in [
        "docker engine: none answers (docker info: no docker client in PATH): installing and starting one",
        "installing docker.io (Debian's docker engine and client)",
        "would run: apt-get install -y docker.io",
        "dockerd --iptables=false --ip6tables=false --exec-opt native.cgroupdriver=cgroupfs (log: /var/log/om-dockerd.log)",
    ] {
        assert!(out.stdout.contains(said), "{said:?} not said:\n{}", out.stdout);
    }
    assert!(out.stdout.contains("would start: "), "{}", out.stdout);
    assert!(calls(&bin).is_empty(), "ran {:?}", calls(&bin));
}

/// As a user with no engine, scripts/install still installs om, then says
/// exactly what to run (the socket that refuses the user: the group; no
/// engine: this script as root, then the group) and exits 1.
#[test]
fn install_as_a_user_without_an_engine_says_what_to_run() {
    for (error, says) in [
        (
            "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info\": dial unix /var/run/docker.sock: connect: permission denied",
            vec![
                "its socket refuses".to_string(),
                "  sudo usermod -aG docker ".to_string(),
            ],
        ),
        (
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
            vec![
                "As root, this script installs docker.io when it is missing and starts dockerd:"
                    .to_string(),
                // root's PATH has no cargo of the user's: it installs the om
                // the user just installed
                format!("  sudo OM_BIN=PREFIX/bin/om {}\n", project("scripts/install").display()),
                "  sudo usermod -aG docker ".to_string(),
            ],
        ),
    ] {
        let dir = open_tempdir();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        fake_program(&bin, "docker", &format!("echo '{error}' >&2; exit 1"));
        for never in ["apt-get", "dockerd"] {
            fake_program(&bin, never, "exit 1");
        }
        let prefix = dir.path().join("prefix");
        std::fs::create_dir(&prefix).unwrap();
        std::fs::write(bin.join("calls"), "").unwrap();
        if euid() == 0 {
            // nobody's to write into
            for p in [&prefix, &bin.join("calls")] {
                std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
            }
        }
        let out = install(
            &[
                ("PREFIX", prefix.display().to_string()),
                ("HOME", prefix.display().to_string()),
                (
                    "PATH",
                    format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
                ),
            ],
            true,
        );
        assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
        assert!(prefix.join("bin/om").exists(), "om is installed all the same");
        assert!(
            out.stderr
                .contains("scripts/install: no docker engine answers for "),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(error), "{}", out.stderr);
        for said in &says {
            let said = said.replace("PREFIX", &prefix.display().to_string());
            assert!(out.stderr.contains(said.as_str()), "{said:?} not said:\n{}", out.stderr);
        }
        let ran: Vec<String> = calls(&bin)
            .into_iter()
            .filter(|c| !c.starts_with("docker info"))
            .collect();
        assert!(ran.is_empty(), "ran {ran:?}");
    }
}

// --- the README -------------------------------------------------------------

/// The README is a guide whose first screen (25 lines) has the two set-up
/// commands in a shell block, whose sections for the OpenSVC pages each
/// say what differs from the agent, and whose pointers to the reference
/// (`man om`, `man om-start`, `man om.conf`) name pages that exist.
#[test]
fn the_readme_starts_with_the_two_commands_and_points_at_pages_that_exist() {
    let readme = std::fs::read_to_string(project("README.md")).unwrap();
    let screen: Vec<&str> = readme.lines().take(25).collect();
    let block = screen
        .split(|l| l.starts_with("```"))
        .nth(1)
        .unwrap_or_default();
    for command in ["scripts/install", "scripts/test"] {
        assert!(
            block
                .iter()
                .any(|l| l.split_whitespace().next() == Some(command)),
            "the first screen's shell block lacks {command}:\n{}",
            screen.join("\n")
        );
        assert!(project(command).exists(), "{command}");
    }
    let sections: Vec<(&str, &str)> = readme
        .split("\n## ")
        .skip(1)
        .map(|s| s.split_once('\n').unwrap_or((s, "")))
        .collect();
    for page in [
        "Quick start",
        "Hosting",
        "Several nodes",
        "Secrets",
        "Limits",
        "Dependencies",
        "A pod",
        "Triggers",
        "Start at boot",
    ] {
        let (title, body) = sections
            .iter()
            .find(|(t, _)| t.starts_with(page))
            .unwrap_or_else(|| panic!("no section {page}"));
        assert!(
            body.contains("**What differs from the agent.**"),
            "{title} does not say what differs from the agent"
        );
    }
    for page in [
        "Coming from docker compose",
        "Architecture",
        "Tests",
        "Benchmark",
    ] {
        assert!(
            sections.iter().any(|(t, _)| t.starts_with(page)),
            "no section {page}"
        );
    }
    let mut named = 0;
    for (i, _) in readme.match_indices("`man om") {
        let name: String = readme[i + 5..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
            .collect();
        let file = if name == "om.conf" {
            "man/om.conf.5".to_string()
        } else {
            format!("man/{name}.1")
        };
        assert!(project(&file).exists(), "`man {name}`: no {file}");
        named += 1;
    }
    assert!(named >= 5, "the README points at {named} man pages");
}

/// The commands of `om SELECTOR …` as `--help` lists them (its
/// "Commands:" section), each with its own subcommands: every help om has.
fn command_paths(prefix: &[String]) -> Vec<Vec<String>> {
    let mut args: Vec<String> = vec!["x".into()];
    args.extend(prefix.iter().cloned());
    args.push("--help".into());
    let out = Command::new(assert_cmd::cargo::cargo_bin("om"))
        .args(&args)
        .env("COLUMNS", "500")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut paths = vec![prefix.to_vec()];
    let listed = help
        .split("\nCommands:\n")
        .nth(1)
        .map(|rest| rest.split("\n\n").next().unwrap_or(""))
        .unwrap_or("");
    for line in listed.lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        // `docker --help` is docker's own help
        if name == "docker" {
            continue;
        }
        let mut sub = prefix.to_vec();
        sub.push(name.to_string());
        paths.extend(command_paths(&sub));
    }
    paths
}

/// `--help` wraps to the terminal's width: in a tmux terminal 80 columns
/// wide, no line of any command's help (short and long) is wider, and the
/// screen shows none wrapped by the terminal.
#[test]
fn help_wraps_to_an_80_column_terminal() {
    let env = Env::new();
    let paths = command_paths(&[]);
    assert!(paths.len() > 20, "{paths:?}");
    let om = assert_cmd::cargo::cargo_bin("om");
    // each help to a file of its own, stderr left on the terminal: clap
    // reads the width from the terminal it has
    let mut script = String::new();
    for (i, p) in paths.iter().enumerate() {
        for (j, flag) in ["-h", "--help"].iter().enumerate() {
            script.push_str(&format!(
                "{} x {} {flag} > {}/help-{i}-{j}\n",
                om.display(),
                p.join(" "),
                env.root().display()
            ));
        }
    }
    script.push_str(&format!(
        "{} ls --help > {}/help-ls\n",
        om.display(),
        env.root().display()
    ));
    script.push_str(&format!(
        "clear; {} x start --help; echo ALL-DONE; exec cat\n",
        om.display()
    ));
    let file = env.root().join("helps.sh");
    std::fs::write(&file, script).unwrap();
    let t = Terminal::sized(
        &env,
        "help",
        &format!("env -u COLUMNS sh {}", file.display()),
        80,
    );
    t.wait_for("ALL-DONE");
    let mut seen = 0;
    for entry in std::fs::read_dir(env.root()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("help-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("Usage:"), "{name}: {text}");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{name}: a line of {} columns:\n{line}",
                line.chars().count()
            );
        }
        seen += 1;
    }
    assert_eq!(seen, paths.len() * 2 + 1);
    // the screen itself, with the terminal's own wrapping joined back (-J)
    let screen = t.tmux(&["capture-pane", "-p", "-J", "-t", "t"]);
    assert!(screen.contains("--dry-run"), "{screen}");
    for line in screen.lines() {
        assert!(
            line.chars().count() <= 80,
            "wrapped by the terminal:\n{line}"
        );
    }
}

/// The raw protocol (`COMPLETE=bash`), for what must not be offered: the
/// values, one per line, and what om said on stderr.
fn protocol(env: &Env, words: &[&str], vars: &[(&str, &str)]) -> (Vec<String>, String) {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("om"));
    cmd.arg("--")
        .args(words)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .env("OSVC_ROOT_PATH", env.root());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    (
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(String::from)
            .collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What completion offers where a person types: `{container#` in the
/// docker passthrough, `--node` only before docker's words, values after
/// `KEY=`, and a secret's own commands.
#[test]
fn completion_offers_references_values_and_an_objects_commands() {
    let env = fixture();
    env.om(&["ns1/sec/db", "create"]).ok();
    let p = |words: &[&str]| protocol(&env, words, &[]).0;
    assert_eq!(
        p(&["om", "web", "docker", "inspect", "{container#"]),
        ["{container#1}", "{container#db}"]
    );
    // inside a longer word, and the whole-argument references at its start
    assert_eq!(
        p(&["om", "web", "docker", "ps", "--filter", "name={container#d"]),
        ["name={container#db}"]
    );
    assert_eq!(p(&["om", "web", "docker", "stop", "{in"]), ["{instances}"]);
    // --node before docker's words, never after
    assert_eq!(p(&["om", "web", "docker", "--n"]), ["--node"]);
    assert!(p(&["om", "web", "docker", "inspect", "--n"]).is_empty());
    assert!(p(&["om", "web", "docker", "logs", "--node", ""]).is_empty());
    // values after KEY=: booleans, choices, the other containers for a
    // namespace; none where they are not known
    assert_eq!(
        p(&["om", "web", "set", "--kw", "rollback="]),
        ["rollback=false", "rollback=true"]
    );
    assert_eq!(
        p(&["om", "web", "set", "--kw", "container#db.netns="]),
        ["container#db.netns=container#1"]
    );
    assert_eq!(
        p(&[
            "om",
            "web",
            "create",
            "--kw",
            "container#1.image_pull_policy=a"
        ]),
        ["container#1.image_pull_policy=always"]
    );
    assert!(p(&["om", "web", "set", "--kw", "container#1.hostname="]).is_empty());
    // a secret's commands only, and a service's without the secrets'
    let cmds = p(&["om", "ns1/sec/db", ""]);
    for c in ["add", "change", "decode", "keys", "remove", "edit", "print"] {
        assert!(cmds.contains(&c.to_string()), "{c} not in {cmds:?}");
    }
    for c in ["start", "stop", "docker", "set", "status"] {
        assert!(!cmds.contains(&c.to_string()), "{c} in {cmds:?}");
    }
    assert_eq!(
        p(&["om", "ns1/sec/db", "print", ""]),
        ["config", "--debug", "--help"]
    );
    let cmds = p(&["om", "web", ""]);
    assert!(cmds.contains(&"start".to_string()) && !cmds.contains(&"decode".to_string()));
}

/// `image=` offers the engine's local images (asked once); an engine that
/// can not be asked offers nothing, and says nothing.
#[test]
fn completion_offers_the_engines_images_after_image() {
    engine();
    let env = fixture();
    let images = docker_ok(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]);
    let local: Vec<&str> = images.lines().filter(|l| !l.contains("<none>")).collect();
    assert!(!local.is_empty(), "the engine has no image: {images}");
    let (offered, said) = protocol(
        &env,
        &["om", "web", "set", "--kw", "container#1.image="],
        &[],
    );
    assert_eq!(said, "");
    for image in &local {
        assert!(
            offered.contains(&format!("container#1.image={image}")),
            "{image} not in {offered:?}"
        );
    }
    // a service not created yet: the host's engine
    let (offered, _) = protocol(
        &env,
        &["om", "fresh", "create", "--kw", "container#1.image="],
        &[],
    );
    assert!(
        offered.contains(&format!("container#1.image={}", local[0])),
        "{offered:?}"
    );
    // a docker that fails and one that is not there
    let failing = env.root().join("docker");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &failing,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    for docker in [failing.to_str().unwrap(), "/nonexistent/docker"] {
        let (offered, said) = protocol(
            &env,
            &["om", "web", "set", "--kw", "container#1.image="],
            &[("OM_DOCKER", docker)],
        );
        assert!(offered.is_empty(), "{docker}: {offered:?}");
        assert_eq!(said, "", "{docker}");
    }
}

/// The same in an interactive bash with bash-completion loaded (as a
/// Debian user has it), zsh and fish, driven through tmux: bash splits
/// `KEY=` at `=`, zsh completes past `{`.
#[test]
fn completion_of_values_and_references_in_real_shells() {
    let env = fixture();
    let root = env.root().display().to_string();
    let common = format!(
        "env HOME={root} OSVC_ROOT_PATH={root} PATH={} LC_ALL=C.UTF-8 TERM=xterm",
        path_with_om()
    );
    let bash_completion = "/usr/share/bash-completion/bash_completion";
    assert!(
        std::path::Path::new(bash_completion).exists(),
        "bash-completion is needed by this test (scripts/test installs it)"
    );
    std::fs::write(
        env.root().join(".bashrc"),
        format!(
            "source {bash_completion}\nsource {}\nPS1='READY> '\n",
            project("completions/om.bash").display()
        ),
    )
    .unwrap();
    let bash = Terminal::start(&env, "bash", &format!("{common} bash -i"));
    bash.wait_for("READY>");
    bash.complete_until(
        "om web set --kw container#db.netns=",
        "READY> om web set --kw container#db.netns=container#1",
    );
    bash.keys(&["C-u"]);
    let screen = bash.complete_until("om web set --kw rollback=", "false");
    assert!(screen.contains("true"), "{screen}");
    assert!(!screen.contains("rollback=false"), "{screen}");
    bash.keys(&["C-u"]);
    let screen = bash.complete_until("om web docker inspect {container#", "{container#db}");
    assert!(screen.contains("{container#1}"), "{screen}");
    bash.keys(&["C-u"]);
    bash.complete_until(
        "om web docker inspect {container#d",
        "READY> om web docker inspect {container#db}",
    );
    drop(bash);

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
    zsh.complete_until(
        "om web docker inspect {container\\#d",
        "READY> om web docker inspect {container\\#db\\}",
    );
    zsh.keys(&["C-u"]);
    zsh.complete_until(
        "om web set --kw container\\#db.netns=",
        "READY> om web set --kw container\\#db.netns=container\\#1",
    );
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
    fish.complete_until(
        "om web docker inspect {container\\#d",
        "READY> om web docker inspect {container\\#db\\}",
    );
    fish.keys(&["C-u"]);
    let screen = fish.complete_until("om web set --kw rollback=", "rollback=false");
    assert!(screen.contains("rollback=true"), "{screen}");
}
