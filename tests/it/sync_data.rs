//! `sync#N type=rsync` and `om SVC sync update|full` (SPEC 17): real
//! rsync from this node to the rig's n2 over its real ssh, the receiving
//! side run by n2's om. The rig's nodes share this machine's filesystem,
//! so n2's `dst` is read here; each test's `src` and `dst` are in a
//! tempdir of its own.

use crate::multinode::{rig, rig_env, synced_to};
use crate::support::{create, registry_image, unique, wait_for, Cleanup, Env, LOOP, NODE};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `om ARGS` on `node` through the rig's ssh: its exit code, stdout, stderr.
fn on(cfg: &str, node: &str, args: &str) -> (i32, String, String) {
    let out = std::process::Command::new("ssh")
        .args(["-F", cfg, node, &format!("om {args}")])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ssh");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tempdir of the test's own with `src/` (holding a.txt) and the path
/// of `dst` (not made: the receiver makes it).
fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("a.txt"), "one\n").unwrap();
    let dst = dir.path().join("dst");
    (dir, src, dst)
}

/// A service on this node and n2 (`nodes`, `drpnodes` as given) with a
/// container and `[sync#1]` (src/ to dst, `extra` lines after).
fn service(env: &Env, name: &str, nodes: &str, src: &Path, dst: &Path, extra: &str) {
    let ini = format!(
        "[DEFAULT]\n{nodes}\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n\
         [sync#1]\ntype = rsync\nsrc = {}/\ndst = {}\n{extra}\n",
        registry_image(),
        src.display(),
        dst.display()
    );
    create(env, name, &ini);
}

/// The sync#1 resource of `name` in a `print status --local --format json`.
fn sync_status(json: &str) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_str(json).expect("status json");
    doc["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rid"] == "sync#1"))
        .cloned()
        .unwrap_or_else(|| panic!("no sync#1 in {json}"))
}

fn log_of(res: &serde_json::Value) -> Vec<String> {
    res["log"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_changed_file_reaches_the_target_and_status_says_the_last_sync() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("sy");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let (_dir, src, dst) = dirs();
    service(
        &env,
        &name,
        &format!("nodes = {NODE} n2"),
        &src,
        &dst,
        "target = nodes\nmax_delay = 4s",
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start", "--local"]).ok();
    // never synced: both sides say so
    let st = sync_status(
        &env.om(&[&name, "print", "status", "--local", "--format", "json"])
            .stdout,
    );
    assert_eq!(st["status"], "warn", "{st}");
    assert_eq!(log_of(&st), ["warn: never synced to n2"]);
    let (_, out, _) = on(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    assert_eq!(log_of(&sync_status(&out)), ["warn: never synced to n2"]);

    env.om(&[&name, "sync", "update"]).ok();
    assert_eq!(std::fs::read_to_string(dst.join("a.txt")).unwrap(), "one\n");
    assert!(
        !dst.join(".om-sync-tmp").exists(),
        "the temporary directory stays"
    );
    let st = sync_status(
        &env.om(&[&name, "print", "status", "--local", "--format", "json"])
            .stdout,
    );
    let log = log_of(&st);
    assert!(log[0].starts_with("info: last sync to n2 at "), "{log:?}");
    assert_eq!(st["status"], "up", "{st}");
    // the target was sent the time: its status says it, from whom
    let (_, out, _) = on(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    let log = log_of(&sync_status(&out));
    assert!(
        log[0].starts_with("info: last sync at ") && log[0].ends_with(&format!("from {NODE}")),
        "{log:?}"
    );

    // a change, and a file gone, reach n2 with the next update
    std::fs::write(src.join("a.txt"), "two, longer\n").unwrap();
    std::fs::write(src.join("b.txt"), "b\n").unwrap();
    env.om(&[
        &name, "sync", "update", "--rid", "sync#1", "--target", "nodes",
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(dst.join("a.txt")).unwrap(),
        "two, longer\n"
    );
    std::fs::remove_file(src.join("b.txt")).unwrap();
    env.om(&[&name, "sync", "update"]).ok();
    assert!(!dst.join("b.txt").exists(), "--delete: what src lacks goes");

    // the same size and time hide a change from update; full compares contents
    std::fs::write(src.join("a.txt"), "TWO, LONGER\n").unwrap();
    let touch = std::process::Command::new("touch")
        .arg("-r")
        .arg(dst.join("a.txt"))
        .arg(src.join("a.txt"))
        .status()
        .unwrap();
    assert!(touch.success());
    env.om(&[&name, "sync", "update"]).ok();
    assert_eq!(
        std::fs::read_to_string(dst.join("a.txt")).unwrap(),
        "two, longer\n"
    );
    env.om(&[&name, "sync", "full"]).ok();
    assert_eq!(
        std::fs::read_to_string(dst.join("a.txt")).unwrap(),
        "TWO, LONGER\n"
    );

    // past max_delay, both sides warn with the time of the last sync
    std::thread::sleep(Duration::from_secs(5));
    let st = sync_status(
        &env.om(&[&name, "print", "status", "--local", "--format", "json"])
            .stdout,
    );
    let log = log_of(&st);
    assert_eq!(st["status"], "warn", "{st}");
    assert!(
        log[0].starts_with("warn: last sync to n2 at ")
            && log[0].ends_with(", older than max_delay (4s)"),
        "{log:?}"
    );
    let (_, out, _) = on(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    let log = log_of(&sync_status(&out));
    assert!(
        log[0].starts_with("warn: last sync at ") && log[0].contains("older than max_delay"),
        "{log:?}"
    );
    env.om(&[&name, "purge", "--local"]).ok();
}

#[test]
fn a_sync_is_refused_where_it_would_harm_and_says_why() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("sr");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let (_dir, src, dst) = dirs();
    // dstfs: a directory that is no mount point
    std::fs::create_dir(&dst).unwrap();
    let dstfs = format!("dstfs = {}", dst.display());
    service(
        &env,
        &name,
        &format!("nodes = {NODE} n2"),
        &src,
        &dst,
        &format!("target = nodes\n{dstfs}"),
    );
    let remote = synced_to(&cfg, &env, &name, &["n2"]);
    // not up here
    let out = env.om(&[&name, "sync", "update"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("the service is not up on {NODE}")),
        "{}",
        out.stderr
    );
    env.om(&[&name, "start", "--local"]).ok();
    // dstfs not mounted on n2
    let out = env.om(&[&name, "sync", "update"]).code(1);
    assert!(
        out.stderr
            .contains(&format!("dstfs {} is not mounted on n2", dst.display())),
        "{}",
        out.stderr
    );
    assert!(!dst.join("a.txt").exists());
    // n2 says it runs the service: never overwritten
    env.om(&[&name, "unset", "--kw", "sync#1.dstfs"]).ok();
    let (code, _, err) = on(&cfg, "n2", &format!("{name} start --local --force"));
    assert_eq!(code, 0, "{err}");
    let out = env.om(&[&name, "sync", "update"]).code(1);
    assert!(
        out.stderr.contains("n2 says the service runs there"),
        "{}",
        out.stderr
    );
    assert!(!dst.join("a.txt").exists());
    let (code, _, err) = on(&cfg, "n2", &format!("{name} stop --local"));
    assert_eq!(code, 0, "{err}");
    // with nothing in the way, it goes
    env.om(&[&name, "sync", "update"]).ok();
    assert!(dst.join("a.txt").exists());
    // a sync section goes as any other (nothing of it runs)
    env.om(&[&name, "delete", "--rid", "sync#1"]).ok();
    let out = env.om(&[&name, "sync", "update"]).code(1);
    assert!(out.stderr.contains("no sync resource"), "{}", out.stderr);
    env.om(&[&name, "purge", "--local"]).ok();
    drop(remote);

    // from a disaster recovery node: never
    let name = unique("sd");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let (_dir2, src, dst) = dirs();
    service(
        &env,
        &name,
        &format!("nodes = n2\ndrpnodes = {NODE}"),
        &src,
        &dst,
        "target = nodes",
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start", "--local", "--force"]).ok();
    let out = env.om(&[&name, "sync", "update"]).code(1);
    assert!(
        out.stderr.contains("is a disaster recovery node"),
        "{}",
        out.stderr
    );
    assert!(!dst.exists());
    env.om(&[&name, "purge", "--local"]).ok();
}

/// The receiving node checks its own `dst` on its own host before any
/// write: a `dst` that became a link to another service's mount point
/// there (after every config check passed) is refused, and the other
/// service's files stay.
#[test]
fn the_receiver_refuses_a_dst_that_is_another_service_s_mount_point() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("sv");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let (dir, src, dst) = dirs();
    service(
        &env,
        &name,
        &format!("nodes = {NODE} n2"),
        &src,
        &dst,
        "target = nodes",
    );
    let remote = synced_to(&cfg, &env, &name, &["n2"]);
    // on n2 only: service B whose mount point is the test's own victim
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("b.txt"), "B's\n").unwrap();
    let b = unique("svb");
    let b_ini = dir.path().join("b.ini");
    std::fs::write(
        &b_ini,
        format!(
            "[DEFAULT]\nnodes = n2\n[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = {}\n",
            victim.display()
        ),
    )
    .unwrap();
    let (code, _, err) = on(
        &cfg,
        "n2",
        &format!("{b} create --config={}", b_ini.display()),
    );
    assert_eq!(code, 0, "{err}");
    env.om(&[&name, "start", "--local"]).ok();
    // then dst becomes a link to it (n2 shares this filesystem)
    std::os::unix::fs::symlink(&victim, &dst).unwrap();
    let out = env.om(&[&name, "sync", "update"]).code(1);
    assert!(
        out.stderr.contains("sync#1.dst: ")
            && out.stderr.contains(&format!("fs#1.mnt of service {b}")),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(victim.join("b.txt")).unwrap(),
        "B's\n"
    );
    assert!(!victim.join("a.txt").exists());
    let _ = on(&cfg, "n2", &format!("{b} delete"));
    env.om(&[&name, "purge", "--local"]).ok();
    drop(remote);
}

/// The pids of the rsync processes whose command line names `dst` (this
/// test's own directory): the receiving side's.
fn rsyncs_into(dst: &Path) -> Vec<i32> {
    let want = dst.display().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        // each word ends with a NUL
        let words: Vec<String> = cmd
            .strip_suffix(&[0])
            .unwrap_or(&cmd)
            .split(|b| *b == 0)
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        if words.first().is_some_and(|w| w.ends_with("rsync"))
            && words.iter().any(|w| w == "--server")
            && words.last() == Some(&want)
        {
            out.push(pid);
        }
    }
    out
}

#[test]
fn a_second_sync_names_the_holder_and_a_killed_one_leaves_nothing_in_the_way() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("sk");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let (_dir, src, dst) = dirs();
    // 6 MiB at 1 MiB/s: a transfer that lasts
    let big: Vec<u8> = (0..6u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(src.join("big.bin"), &big).unwrap();
    service(
        &env,
        &name,
        &format!("nodes = {NODE} n2"),
        &src,
        &dst,
        "target = nodes\nbwlimit = 1024",
    );
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start", "--local"]).ok();
    let mut first = env
        .std_cmd(&[&name, "sync", "update"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temp = dst.join(".om-sync-tmp");
    let has_temp = || std::fs::read_dir(&temp).is_ok_and(|mut d| d.next().is_some());
    wait_for(
        "the receiver's temporary file",
        Duration::from_secs(30),
        has_temp,
    );
    // a second sync waits for the lock, then names its holder
    let out = env
        .om(&[&name, "sync", "update", "--waitlock", "1s"])
        .code(1);
    assert!(
        out.stderr.contains(&format!("pid {}", first.id()))
            && out
                .stderr
                .contains(&format!("om {name} sync update --rid sync#1")),
        "{}",
        out.stderr
    );
    // the receiving rsync (its generator and receiver) killed in the
    // middle, as a crash does: stopped first, so neither cleans up on the
    // other's death; its temporary file stays
    let pids = rsyncs_into(&dst);
    assert!(!pids.is_empty(), "no receiving rsync found");
    for sig in [libc::SIGSTOP, libc::SIGKILL] {
        for pid in &pids {
            unsafe { libc::kill(*pid, sig) };
        }
    }
    let status = first.wait().unwrap();
    assert!(!status.success(), "the killed sync succeeded");
    assert!(
        has_temp(),
        "the kill left no temporary file: the test proves nothing"
    );
    assert!(!dst.join("big.bin").exists());
    // the next one cleans it and finishes
    let out = env.om(&[&name, "sync", "update"]).ok();
    assert!(
        out.stderr.contains("removed 1 temporary files"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(dst.join("big.bin")).unwrap(), big);
    assert!(!temp.exists(), "the temporary directory stays");

    // the receiving node's lock of the resource: held there, the sync
    // waits for it, then names its holder
    let rig_dir = std::env::var("OM_TEST_RIG").expect("OM_TEST_RIG");
    let lock = Path::new(&rig_dir)
        .join("n2/root/var/svc")
        .join(&name)
        .join("sync#1/lock");
    let mut held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
        .unwrap_or_else(|e| panic!("{}: {e}", lock.display()));
    held.lock().unwrap();
    use std::io::Write;
    write!(held, "pid 1 (the test's holder on n2)").unwrap();
    let out = env
        .om(&[&name, "sync", "update", "--waitlock", "1s"])
        .code(1);
    assert!(
        out.stderr.contains("sync#1 to n2") && out.stderr.contains("the test's holder on n2"),
        "{}",
        out.stderr
    );
    held.set_len(0).unwrap();
    drop(held);
    env.om(&[&name, "sync", "update"]).ok();
    env.om(&[&name, "purge", "--local"]).ok();
}

#[test]
fn a_bad_sync_section_is_refused_naming_its_keyword() {
    let env = Env::new();
    let name = unique("sb");
    let base = "[DEFAULT]\nnodes = n1 n2\n[sync#1]\nsrc = /srv/a/\n";
    for (lines, want) in [
        (
            "dst = /srv/a\ntarget = elsewhere",
            "sync#1.target: 'elsewhere' is not one of nodes, drpnodes",
        ),
        ("dst = /srv/a", "sync#1.target: missing"),
        ("dst = /etc\ntarget = nodes", "sync#1.dst: '/etc'"),
        (
            "dst = srv\ntarget = nodes",
            "sync#1.dst: 'srv' is not an absolute path",
        ),
        ("target = nodes", "sync#1.dst: missing"),
        (
            "dst = /srv/a\ntarget = nodes\nbwlimit = fast",
            "sync#1.bwlimit: 'fast' is not a bandwidth",
        ),
        (
            "dst = /srv/a\ntarget = nodes\nmax_delay = soon",
            "sync#1.max_delay",
        ),
        (
            "dst = /srv/a\ntarget = nodes\ndstfs = mnt",
            "sync#1.dstfs: 'mnt' is not an absolute path",
        ),
    ] {
        let out = env
            .om_stdin(
                &[&name, "create", "--config=-"],
                &format!("{base}{lines}\n"),
            )
            .code(1);
        assert!(out.stderr.contains(want), "{lines}: {}", out.stderr);
        assert!(!env.conf(&name).exists(), "{lines}: written");
    }
    // update and full are a service's: a secret has no sync resource
    env.om(&["sec/x", "sync", "update"]).code(2);
}

/// A sync's `dst` is checked on this host like a disk file or a mount
/// point (SPEC 11, 17): never dockerd's data root, never om's own trees,
/// never another service's mount point (equal, inside or holding it); and
/// a later mount point is refused where another service syncs into.
#[test]
fn a_sync_dst_is_never_another_s_data_nor_om_s_own() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let mnt = dir.path().join("b-data");
    let head = "[DEFAULT]\nnodes = n1 n2\n";
    let b = unique("sb");
    env.om_stdin(
        &[&b, "create", "--config=-"],
        &format!(
            "{head}[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = {}\n",
            mnt.display()
        ),
    )
    .ok();
    let c = unique("sc");
    let root = env.root().display().to_string();
    for dst in [
        "/var/lib/docker".to_string(),
        root.clone(),
        format!("{root}/etc"),
        mnt.display().to_string(),
        mnt.join("sub").display().to_string(),
        dir.path().display().to_string(),
    ] {
        let out = env
            .om_stdin(
                &[&c, "create", "--config=-"],
                &format!("{head}[sync#1]\nsrc = /srv/a/\ndst = {dst}\ntarget = nodes\n"),
            )
            .code(1);
        assert!(out.stderr.contains("sync#1.dst: "), "{dst}: {}", out.stderr);
        assert!(!env.conf(&c).exists(), "{dst}: written");
    }
    // the other way round: a mount point where another service syncs into
    let dst = dir.path().join("c-dst");
    env.om_stdin(
        &[&c, "create", "--config=-"],
        &format!(
            "{head}[sync#1]\nsrc = /srv/a/\ndst = {}\ntarget = nodes\n",
            dst.display()
        ),
    )
    .ok();
    let d = unique("sd");
    for m in [dst.clone(), dst.join("x")] {
        let out = env
            .om_stdin(
                &[&d, "create", "--config=-"],
                &format!(
                    "{head}[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = {}\n",
                    m.display()
                ),
            )
            .code(1);
        assert!(
            out.stderr.contains("fs#1.mnt: ") && out.stderr.contains("sync#1.dst of service"),
            "{}: {}",
            m.display(),
            out.stderr
        );
    }
}

/// A local image of the test's own: the registry's busybox committed with
/// a label of its own (a new image id no engine has), removed from this
/// engine and from n2's when the test ends, however it ends.
struct TestImage {
    tag: String,
    cfg: String,
    name: String,
}

impl TestImage {
    fn new(cfg: &str, name: &str) -> TestImage {
        let tag = format!("om-sync-test/{name}:1");
        let cid = crate::support::docker_ok(&["create", &registry_image(), "true"]);
        let label = format!("LABEL om.test={name}");
        let made = crate::support::docker(&["commit", "--change", &label, cid.trim(), &tag]);
        let _ = crate::support::docker(&["rm", "-f", cid.trim()]);
        assert!(made.status.success(), "{made:?}");
        TestImage {
            tag,
            cfg: cfg.into(),
            name: name.into(),
        }
    }

    fn id(&self) -> String {
        crate::support::docker_ok(&["image", "inspect", "--format", "{{.Id}}", &self.tag])
            .trim()
            .to_string()
    }

    /// Its id on n2's engine, asked through n2's om; None when n2 lacks it.
    fn id_on_n2(&self) -> Option<String> {
        let (code, out, _) = on(
            &self.cfg,
            "n2",
            &format!(
                "{} docker image inspect --format '{{{{.Id}}}}' {}",
                self.name, self.tag
            ),
        );
        (code == 0).then(|| out.trim().to_string())
    }
}

impl Drop for TestImage {
    fn drop(&mut self) {
        let _ = on(
            &self.cfg,
            "n2",
            &format!("{} docker rmi -f {}", self.name, self.tag),
        );
        let _ = crate::support::docker(&["rmi", "-f", &self.tag]);
    }
}

#[test]
fn a_docker_sync_sends_the_images_the_target_lacks_by_id() {
    let cfg = rig();
    let env = rig_env();
    let name = unique("sd");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    // dropped after the image, whose removal on n2 goes through n2's om
    let _remote;
    let image = TestImage::new(&cfg, &name);
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n\
         [sync#1]\ntype = docker\ntarget = nodes\n",
        image.tag
    );
    create(&env, &name, &ini);
    _remote = synced_to(&cfg, &env, &name, &["n2"]);
    env.om(&[&name, "start", "--local"]).ok();
    assert_eq!(image.id_on_n2(), None, "n2 has the test's image already");

    // a load that fails there is an error: this engine's save, garbled
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("docker");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = save ]; then echo not a tar stream; exit 0; fi\nexec docker \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = env
        .std_cmd(&[&name, "sync", "update"])
        .env("OM_DOCKER", &fake)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("sync#1 to n2: docker load there failed"),
        "{err}"
    );
    assert_eq!(image.id_on_n2(), None);
    let st = sync_status(
        &env.om(&[&name, "print", "status", "--local", "--format", "json"])
            .stdout,
    );
    assert_eq!(log_of(&st), ["warn: never synced to n2"]);

    // the image reaches n2's engine, with the same id
    let out = env.om(&[&name, "sync", "update"]).ok();
    assert!(out.stderr.contains("sending to n2: "), "{}", out.stderr);
    assert_eq!(image.id_on_n2(), Some(image.id()));
    let st = sync_status(
        &env.om(&[&name, "print", "status", "--local", "--format", "json"])
            .stdout,
    );
    assert!(log_of(&st)[0].starts_with("info: last sync to n2 at "));
    let (_, out, _) = on(
        &cfg,
        "n2",
        &format!("{name} print status --local --format json"),
    );
    assert!(log_of(&sync_status(&out))[0].starts_with("info: last sync at "));

    // a second update sends nothing, and says so; full sends again
    let out = env.om(&[&name, "sync", "update"]).ok();
    assert!(
        out.stderr.contains("nothing to send: n2 has every image"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("sending to"), "{}", out.stderr);
    let out = env.om(&[&name, "sync", "full"]).ok();
    assert!(out.stderr.contains("sending to n2: "), "{}", out.stderr);
    env.om(&[&name, "purge", "--local"]).ok();
}
