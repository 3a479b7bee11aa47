//! What om is given by its host rather than by a config: its environment
//! (issue 21, item 5), a log it can not write (item 8), a root it can not
//! read (item 12).

use crate::support::{create, unique, Env, Out};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

const ONE: &str = "[container#1]\ntype = docker\nimage = om-test/busybox\n";

/// Every file and directory under `dir`, for "nothing written".
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            out.push(e.path().display().to_string());
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            }
        }
    }
    out.sort();
    out
}

// A newline in the node name or the root would reach the boot unit as a
// directive of its own (`ExecStartPre=`): refused when the environment is
// read, one line naming the variable, nothing written.
#[test]
fn a_control_character_in_the_environment_is_refused() {
    let env = Env::new();
    let name = unique("envc");
    create(&env, &name, ONE);
    let before = tree(env.root());
    let injected = "n1\nExecStartPre=/bin/touch /tmp/om-injected";
    let bad_root = env.root().join("r\nExecStartPre=/bin/true");
    let bad_root = bad_root.to_str().unwrap();
    for (var, value) in [
        ("OSVC_NODENAME", injected),
        ("OSVC_NODENAME", "n1\x1b[2J"),
        ("OSVC_ROOT_PATH", bad_root),
    ] {
        let mut env = Env::new();
        let root = env.root().to_path_buf();
        env.vars.push((var.into(), value.into()));
        for args in [
            vec![name.as_str(), "boot", "print"],
            vec![name.as_str(), "create", "--config=-"],
            vec![name.as_str(), "set", "--kw", "container#1.rm=true"],
            vec![name.as_str(), "status"],
            vec!["ls"],
        ] {
            let out = env.om_stdin(&args, ONE);
            assert_ne!(out.code, 0, "{var} {args:?}: {}", out.stdout);
            let lines = out.stderr_lines();
            assert_eq!(lines.len(), 1, "{var} {args:?}: {}", out.stderr);
            assert!(
                lines[0].starts_with(&format!("om: {var}: ")),
                "{}",
                lines[0]
            );
            assert!(lines[0].contains("control character"), "{}", lines[0]);
            assert!(!out.stdout.contains("ExecStartPre"), "{}", out.stdout);
            assert!(tree(&root).is_empty(), "{var} {args:?}: written");
        }
    }
    // the good environment's service is as it was
    assert_eq!(tree(env.root()), before);
    let unit = env.om(&[&name, "boot", "print"]).ok().stdout;
    assert!(!unit.contains("ExecStartPre"), "{unit}");
}

/// `OSVC_NODENAME` is a node name as remote nodes take one (the grammar of
/// the `nodes` keyword): anything else is refused when the environment is
/// read, one line naming the variable, nothing written.
#[test]
fn a_node_name_that_is_no_node_name_is_refused() {
    let env = Env::new();
    let name = unique("envn");
    create(&env, &name, ONE);
    let before = tree(env.root());
    for value in ["x;touch /tmp/om-x", "a/b", "..", "-n", "a b", "", "n1@n2"] {
        let mut env = Env::new();
        let root = env.root().to_path_buf();
        env.vars.push(("OSVC_NODENAME".into(), value.into()));
        for args in [
            vec![name.as_str(), "create", "--config=-"],
            vec![name.as_str(), "status"],
            vec!["ls"],
        ] {
            let out = env.om_stdin(&args, ONE);
            assert_ne!(out.code, 0, "{value:?} {args:?}: {}", out.stderr);
            let lines = out.stderr_lines();
            assert_eq!(lines.len(), 1, "{value:?} {args:?}: {}", out.stderr);
            assert!(lines[0].starts_with("om: OSVC_NODENAME: "), "{}", lines[0]);
            assert!(lines[0].contains("not a node name"), "{}", lines[0]);
            assert!(tree(&root).is_empty(), "{value:?} {args:?}: written");
        }
    }
    assert_eq!(tree(env.root()), before);
    env.om(&[&name, "validate", "config"]).ok();
}

/// `om ARGS` as nobody (uid 65534, no groups), in `env`.
fn om_as_nobody(env: &Env, args: &[&str]) -> Out {
    let om = env.std_cmd(args);
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(om.get_program())
        .args(om.get_args())
        .stdin(std::process::Stdio::null());
    for (k, v) in om.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .output()
        .expect("setpriv (util-linux) runs om as nobody");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// A root the user can not read is "permission denied" with its path, for
// every command that reads the services or objects there: never "does
// not exist", never an empty list.
#[test]
fn an_unreadable_root_says_permission_denied() {
    let env = Env::new();
    let name = unique("perm");
    create(&env, &name, ONE);
    env.om(&[&name, "print", "config"]).ok();
    // the test's own root, made 0700 (root's)
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.root(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(std::fs::metadata(env.root()).unwrap().uid(), 0);
    let etc = env.root().join("etc");
    let glob = format!("{name}*");
    for (args, code) in [
        (vec![name.as_str(), "print", "status"], 1),
        (vec![name.as_str(), "print", "config"], 1),
        (vec![name.as_str(), "start"], 1),
        (vec![name.as_str(), "status"], 4),
        (vec![glob.as_str(), "print", "status"], 1),
        (vec!["ls"], 1),
        (vec!["sec/*", "print", "config"], 1),
    ] {
        let out = om_as_nobody(&env, &args);
        assert_eq!(out.code, code, "{args:?}: {}{}", out.stdout, out.stderr);
        let lines = out.stderr_lines();
        assert_eq!(lines.len(), 1, "{args:?}: {}", out.stderr);
        assert!(
            lines[0].contains(&format!("{}", etc.display()))
                && lines[0].ends_with(": permission denied"),
            "{args:?}: {}",
            lines[0]
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    // and root still has it all
    env.om(&[&name, "print", "config"]).ok();
}

/// A small tmpfs of the test's own at `dir` (which the test made),
/// unmounted when the test ends, however it ends. (multinode.rs fills a
/// node's log with it too.)
pub(crate) struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    pub(crate) fn mount(dir: &Path) -> Tmpfs {
        std::fs::create_dir(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "om-test-log"])
            .arg(dir)
            .output()
            .expect("mount (util-linux)");
        assert!(
            out.status.success(),
            "mount a tmpfs at {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir.to_path_buf())
    }

    /// Fills it to its last byte: the next one is refused (ENOSPC).
    pub(crate) fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join("fill")).unwrap();
        let chunk = [0u8; 4096];
        let e = loop {
            if let Err(e) = f.write_all(&chunk) {
                break e;
            }
        };
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
    }

    pub(crate) fn free(&self) {
        std::fs::remove_file(self.0.join("fill")).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let umount = |lazy: bool| {
            let mut cmd = Command::new("umount");
            if lazy {
                cmd.arg("-l");
            }
            cmd.arg(&self.0).status().is_ok_and(|s| s.success())
        };
        if !umount(false) {
            umount(true);
        }
    }
}

// An action whose log can not be written (a full disk: a real ENOSPC, on a
// tmpfs of the test's own as the log tree) does not start; one whose log
// fills on the way says so at once and fails. A read-only command is not
// concerned.
#[test]
fn an_action_whose_log_can_not_be_written_fails() {
    crate::support::engine();
    let env = Env::new();
    let name = unique("full");
    let container = format!("{name}.container.1");
    let _cleanup = crate::support::Cleanup(vec![container.clone()]);
    create(
        &env,
        &name,
        &format!("{ONE}command = sh -c \"{}\"\n", crate::support::LOOP),
    );
    let log = env.root().join(format!("log/{name}.log"));
    let tmpfs = Tmpfs::mount(&env.root().join("log"));
    tmpfs.fill();
    let out = env.om(&[&name, "start"]).code(1);
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert_eq!(
        lines[0],
        format!(
            "om: {name}: its log {} can not be written (No space left on device (os error 28)): nothing done",
            log.display()
        )
    );
    assert!(
        crate::support::inspect(&container).is_none(),
        "nothing done"
    );
    // read-only: as ever
    let out = env.om(&[&name, "print", "status"]).ok();
    assert!(out.stdout.contains(&name), "{}", out.stdout);
    // room for its first line, not for the rest: the start runs, says at
    // once that its log lost a line, and fails
    tmpfs.free();
    std::fs::write(&log, format!("{}\n", "x".repeat(3900))).unwrap();
    tmpfs.fill();
    let out = env.om(&[&name, "start"]).code(1);
    let lost: Vec<&str> = out
        .stderr_lines()
        .into_iter()
        .filter(|l| l.contains("its log lost"))
        .collect();
    assert_eq!(
        lost,
        [
            format!("om: {name}: its log lost a line (No space left on device (os error 28)): this action will fail"),
            format!("om: {name}: its log lost lines (No space left on device (os error 28)): the action is not fully recorded"),
        ],
        "{}",
        out.stderr
    );
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains(" do start\n"));
    // a stop is what a full disk must not hold back: it runs, and fails
    let running = || crate::support::inspect(&container).unwrap()["State"]["Running"] == true;
    assert!(running());
    let out = env.om(&[&name, "stop"]).code(1);
    assert!(
        out.stderr.starts_with(&format!(
            "om: {name}: its log {} can not be written (No space left on device (os error 28)): stop anyway, and fail\n",
            log.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!running());
    drop(tmpfs);
    // with room again, the action is recorded and succeeds
    env.om(&[&name, "start"]).ok();
    env.om(&[&name, "purge"]).ok();
}
