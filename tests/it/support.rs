//! A small builder over assert_cmd + tempfile: every test gets its own
//! `OSVC_ROOT_PATH`, a fixed node name, and unique service names so tests
//! can share one docker engine.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const NODE: &str = "deb1.opensvc.com";

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn ok(self) -> Out {
        assert_eq!(
            self.code, 0,
            "expected success\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, want: i32) -> Out {
        assert_eq!(
            self.code, want,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

pub struct Env {
    pub root: tempfile::TempDir,
    /// Extra directories put first in PATH (a fake docker).
    pub path_prefix: Option<PathBuf>,
    pub vars: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Env {
        Env {
            root: tempfile::tempdir().expect("tempdir"),
            path_prefix: None,
            vars: Vec::new(),
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd(args))
    }

    /// The same, as a std Command (to spawn and kill).
    pub fn std_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("om"));
        cmd.args(args)
            .env("OSVC_ROOT_PATH", self.root())
            .env("OSVC_NODENAME", NODE)
            .env("NO_COLOR", "1")
            .env("HOME", self.root());
        // what the caller's environment could slip into a test
        // (OM_RSH too: a test reaches the rig's nodes only when it says
        // so, see multinode.rs, or its configs would land on them)
        for var in [
            "OM_DOCKER",
            "OM_DOCKER_TIMEOUT",
            "VISUAL",
            "EDITOR",
            "TAG",
            "OM_RSH",
            "OM_TEST_LVM_CONFIG",
        ] {
            cmd.env_remove(var);
        }
        if let Some(dir) = &self.path_prefix {
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", dir.display()));
            // a docker of the test's own sees every call: with OM_DOCKER
            // set, om asks no socket itself (host::cli_socket)
            if dir.join("docker").exists() {
                cmd.env("OM_DOCKER", "docker");
            }
        }
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn om(&self, args: &[&str]) -> Out {
        self.om_stdin(args, "")
    }

    pub fn om_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let out = self
            .cmd(args)
            .write_stdin(stdin.as_bytes().to_vec())
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("run om");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn conf(&self, name: &str) -> PathBuf {
        self.root().join("etc").join(format!("{name}.conf"))
    }

    pub fn read_conf(&self, name: &str) -> String {
        std::fs::read_to_string(self.conf(name)).expect("config file")
    }

    /// The `DEFAULT.id` of a service.
    pub fn svc_id(&self, name: &str) -> String {
        self.om(&[name, "get", "--kw", "id"])
            .ok()
            .stdout
            .trim()
            .to_string()
    }
}

/// A service name no other test (or earlier run) uses: the process id, a
/// clock tag (a reused pid after a killed run still differs), a counter
/// padded so that names sort in creation order.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    static TAG: OnceLock<u32> = OnceLock::new();
    let tag = TAG.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() % 0x10000)
    });
    let name = format!(
        "{prefix}{:06x}{tag:04x}x{:03}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    // the names this run made, for scripts/test to take back what a test
    // left of them on the host (the services' empty cgroup slices)
    if let Some(file) = std::env::var_os("OM_TEST_NAMES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(file)
        {
            let _ = writeln!(f, "{name}");
        }
    }
    name
}

/// The `--cgroup-parent` om gives a resource, in the engine's driver form
/// (scripts/test starts dockerd with cgroupfs; an engine found running may
/// use systemd).
pub fn cgroup_parent(levels: &[&str]) -> String {
    static DRIVER: OnceLock<String> = OnceLock::new();
    let driver = DRIVER.get_or_init(|| {
        let out = docker(&["info", "--format", "{{.CgroupDriver}}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    if driver == "systemd" {
        let escaped: Vec<String> = levels.iter().map(|l| l.replace('-', "\\x2d")).collect();
        format!("{}.slice", escaped.join("-"))
    } else {
        levels.iter().map(|l| format!("/{l}.slice")).collect()
    }
}

/// Polls `cond` every 50 ms until it holds or `timeout` has passed:
/// whether it held. For a test that then asserts the condition itself.
pub fn poll_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until another process got where `cond` sees it (`what`, in the
/// failure), in place of a fixed sleep; fails the test after `timeout`.
#[track_caller]
pub fn wait_for(what: &str, timeout: Duration, cond: impl FnMut() -> bool) {
    assert!(
        poll_until(timeout, cond),
        "waited {timeout:?} for {what}, in vain"
    );
}

/// Engine tests never skip: without an engine they fail, saying why.
pub fn engine() {
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let r = UP.get_or_init(|| {
        let out = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output();
        match out {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
            Err(e) => Err(e.to_string()),
        }
    });
    if let Err(e) = r {
        panic!("this test needs a docker engine and none answers ({e}); run scripts/test, which starts one");
    }
}

pub fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run docker")
}

/// `docker container inspect NAME` as JSON, or None when absent.
pub fn inspect(name: &str) -> Option<Value> {
    let out = docker(&["container", "inspect", name]);
    if !out.status.success() {
        return None;
    }
    let v: Value = serde_json::from_slice(&out.stdout).expect("inspect json");
    v.as_array().and_then(|a| a.first()).cloned()
}

/// Removes the containers of a service when the test ends, however it ends.
pub struct Cleanup(pub Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = docker(&["rm", "-f", name]);
        }
    }
}

/// Creates a service from INI text, asserting success.
pub fn create(env: &Env, name: &str, ini: &str) {
    env.om_stdin(&[name, "create", "--config=-"], ini).ok();
}

/// A container command that exits at once on SIGTERM, so that stops and
/// cleanups do not wait docker's 10 s.
pub const LOOP: &str = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done";

/// The registry's address. Registry tests never skip: unset or silent, they
/// fail, saying why.
pub fn registry() -> String {
    engine();
    static UP: OnceLock<Result<String, String>> = OnceLock::new();
    let r = UP.get_or_init(|| {
        let addr = std::env::var("OM_TEST_REGISTRY")
            .map_err(|_| "OM_TEST_REGISTRY is unset".to_string())?;
        probe(&addr).map(|()| addr)
    });
    match r {
        Ok(addr) => addr.clone(),
        Err(e) => {
            panic!("this test needs an image registry and {e}; run scripts/test, which starts one")
        }
    }
}

/// GET /v2/ by hand (no HTTP client among the dev-dependencies): a registry
/// v2 answers 200 with its API version header.
fn probe(addr: &str) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{addr} does not answer ({e})");
    let sock: SocketAddr = addr
        .parse()
        .map_err(|e| format!("OM_TEST_REGISTRY={addr} is no ip:port ({e})"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(3)).map_err(fail)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(fail)?;
    write!(s, "GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(fail)?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(fail)?;
    let head = answer.to_ascii_lowercase();
    let ok = head.starts_with("http/1.0 200") || head.starts_with("http/1.1 200");
    if ok && head.contains("docker-distribution-api-version: registry/2") {
        return Ok(());
    }
    let first = answer.lines().next().unwrap_or("nothing");
    Err(format!("{addr} is no open registry v2 (GET /v2/: {first})"))
}

/// The trimmed stdout of a local docker command that must succeed.
#[track_caller]
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The test image on the local registry: a pull from it is real.
pub fn registry_image() -> String {
    format!("{}/om-test/busybox", registry())
}

/// The registry behind credentials (scripts/test: htpasswd auth, for
/// registry_creds) as (address, user, password). Its tests never skip:
/// unset, silent, open to anyone or refusing the user, it fails, saying
/// why.
pub fn auth_registry() -> (String, String, String) {
    engine();
    static UP: OnceLock<Result<(String, String, String), String>> = OnceLock::new();
    let r = UP.get_or_init(|| {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is unset"));
        let addr = var("OM_TEST_AUTH_REGISTRY")?;
        let user = var("OM_TEST_AUTH_USER")?;
        let password = var("OM_TEST_AUTH_PASSWORD")?;
        auth_probe(&addr, &user, &password)?;
        Ok((addr, user, password))
    });
    match r {
        Ok(v) => v.clone(),
        Err(e) => panic!(
            "this test needs the image registry behind credentials and {e}; run scripts/test, which starts one"
        ),
    }
}

/// The test image on the registry behind credentials, under the open
/// registry's repository name (scripts/test pushes it there and drops the
/// local tag, so a pull of it reaches the registry).
pub fn auth_registry_image() -> String {
    format!("{}/om-test/busybox", auth_registry().0)
}

/// A docker client config (`config.json`) holding the credentials of
/// `user` on registry `addr`: what `docker --config DIR` reads, and what a
/// `registry_creds` secret holds.
pub fn docker_config_json(addr: &str, user: &str, password: &str) -> String {
    let auth = base64(format!("{user}:{password}").as_bytes());
    serde_json::json!({ "auths": { addr: { "auth": auth } } }).to_string()
}

/// Standard base64, padded (no crate for a dozen lines).
fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(DIGITS[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// GET /v2/ by hand, anonymously and as `user`: the registry behind
/// credentials answers 401 (Basic) to the first and 200 to the second.
fn auth_probe(addr: &str, user: &str, password: &str) -> Result<(), String> {
    let first_line = |answer: &str| answer.lines().next().unwrap_or("nothing").to_string();
    let anonymous = get_v2(addr, None)?;
    let head = anonymous.to_ascii_lowercase();
    if !(head.starts_with("http/1.0 401") || head.starts_with("http/1.1 401"))
        || !head.contains("www-authenticate: basic")
    {
        return Err(format!(
            "{addr} does not ask for credentials (anonymous GET /v2/: {})",
            first_line(&anonymous)
        ));
    }
    let known = get_v2(addr, Some(&base64(format!("{user}:{password}").as_bytes())))?;
    let head = known.to_ascii_lowercase();
    if !(head.starts_with("http/1.0 200") || head.starts_with("http/1.1 200")) {
        return Err(format!(
            "{addr} does not let {user} in (GET /v2/: {})",
            first_line(&known)
        ));
    }
    Ok(())
}

/// The whole answer to GET http://ADDR/v2/, with Basic credentials (base64)
/// when given.
fn get_v2(addr: &str, basic: Option<&str>) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("{addr} does not answer ({e})");
    let sock: SocketAddr = addr
        .parse()
        .map_err(|e| format!("OM_TEST_AUTH_REGISTRY={addr} is no ip:port ({e})"))?;
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(3)).map_err(fail)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(fail)?;
    let auth = basic.map_or(String::new(), |b| format!("Authorization: Basic {b}\r\n"));
    write!(s, "GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n{auth}\r\n").map_err(fail)?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(fail)?;
    Ok(answer)
}

/// Fails the test unless it runs as root: `what` it does needs it.
pub fn need_root(what: &str) {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "{what}, which needs root; run scripts/test as root"
    );
}

/// The loop devices attached to `file` (`losetup -j`).
pub fn loops_of(file: &Path) -> Vec<String> {
    let out = Command::new("losetup")
        .arg("-j")
        .arg(file)
        .output()
        .expect("losetup (scripts/test installs it: mount)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(d, _)| d.to_string()))
        .collect()
}

/// Whether something is mounted on `mnt` (the mount table's word).
pub fn mounted(mnt: &Path) -> bool {
    let table = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let mnt = mnt.to_string_lossy();
    table
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(mnt.as_ref()))
}
