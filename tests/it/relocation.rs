//! Data that moves with the service, across the rig's nodes (SPEC 17, the
//! OpenSVC "relocation" and "disaster recovery" pages), and the start
//! order's first step, the ip checks. Real kernel (loop devices, ext4),
//! real engines (this node's, n2's, n3's), real ssh between the nodes.
//!
//! The rig's nodes are simulated on this machine: they see the same
//! block devices and the same mount table. A filesystem mounted by one
//! node would be seen mounted by all of them, which no two real nodes
//! do; so each node mounts on a mount point of its own (`mnt@n2 = …`),
//! the disk both nodes see being the same loop file. A guard unmounts
//! what the test's mount points hold and detaches its files' loop devices
//! (found by their backing file), however the test ends.

use crate::multinode::rig;
use crate::support::{create, docker_ok, registry_image, unique, Env, LOOP};
use crate::support::{loops_of, mounted};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn root() {
    crate::support::need_root("the data tests attach loop devices and mount");
}

/// `om ARGS` on `node` through the rig's ssh: exit code, stdout, stderr.
fn on(cfg: &str, node: &str, args: &str) -> (i32, String, String) {
    on_in(cfg, node, args, "")
}

/// `om ARGS` on `node` through the rig's ssh, with `stdin`.
fn on_in(cfg: &str, node: &str, args: &str, stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new("ssh")
        .args(["-F", cfg, node, &format!("om {args}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ssh");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait ssh");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `om ARGS` on `node`, which must succeed: its stdout (and its stderr,
/// the action log, on stderr).
fn on_ok(cfg: &str, node: &str, args: &str) -> String {
    let (code, out, err) = on(cfg, node, args);
    assert_eq!(code, 0, "{node}: om {args}: {out}{err}");
    eprint!("{err}");
    out
}

/// `om NAME create --config=-` on n1, which must succeed.
fn create_on_n1(cfg: &str, name: &str, ini: &str) {
    let (code, out, err) = on_in(cfg, "n1", &format!("{name} create --config=-"), ini);
    assert_eq!(code, 0, "{out}{err}");
}

/// `docker ARGS` on `node`'s engine, over the rig's ssh (its shell reads
/// the words: quote what it must not split): its stdout.
fn docker_on(cfg: &str, node: &str, args: &[&str]) -> String {
    let out = Command::new("ssh")
        .args(["-F", cfg, node, "docker"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ssh");
    assert!(
        out.status.success(),
        "{node}: docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What the test made on the host, taken back however it ends: the
/// containers on the nodes' engines, the mounts on its mount points, the
/// loop devices of its files.
struct Guard {
    cfg: Option<String>,
    /// the service, purged on each rig node (a passing test purged it)
    service: Option<String>,
    containers: Vec<(String, String)>,
    files: Vec<PathBuf>,
    mnts: Vec<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let (Some(cfg), Some(name)) = (&self.cfg, &self.service) {
            for node in ["n1", "n2", "n3"] {
                let _ = on(cfg, node, &format!("{name} purge --local"));
            }
        }
        for (node, c) in &self.containers {
            match &self.cfg {
                Some(cfg) if node != "n1" => {
                    let _ = Command::new("ssh")
                        .args(["-F", cfg, node, "docker", "rm", "-f", c])
                        .stdin(std::process::Stdio::null())
                        .output();
                }
                _ => {
                    let _ = crate::support::docker(&["rm", "-f", c]);
                }
            }
        }
        for m in &self.mnts {
            while mounted(m) {
                let ok = Command::new("umount")
                    .arg(m)
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    let _ = Command::new("umount").arg("-l").arg(m).status();
                    break;
                }
            }
        }
        for f in &self.files {
            for dev in loops_of(f) {
                let _ = Command::new("losetup").args(["-d", &dev]).status();
            }
        }
    }
}

/// The instance of `node` in a `print status --format json` on n1.
fn instance(cfg: &str, name: &str, node: &str) -> Value {
    let out = on_ok(cfg, "n1", &format!("{name} print status --format json"));
    let v: Value = serde_json::from_str(&out).expect("status JSON");
    v["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .find(|i| i["node"] == node)
        .cloned()
        .unwrap_or_else(|| panic!("no instance of {node}: {out}"))
}

fn rid_of<'a>(instance: &'a Value, rid: &str) -> &'a Value {
    instance["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rid"] == rid))
        .unwrap_or_else(|| panic!("no {rid} in {instance}"))
}

/// Where `needle` first is in `text`, or a failure showing `text`.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("no '{needle}' in {text}"))
}

/// The relocation page on om: a failover service on this node and n2, an
/// ext4 filesystem on a loop disk both nodes see, bind-mounted by its
/// container. Written here, switched to n2 (this node unmounts and
/// detaches before n2 attaches and mounts), read there, written there,
/// given back and read here. The split-brain guard refuses a start on n2
/// while this node holds the filesystem mounted, its container down.
#[test]
fn a_filesystem_on_a_shared_disk_moves_with_the_switch_and_back() {
    root();
    let cfg = rig();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique("rl");
    let c1 = format!("{name}.container.1");
    let file = dir.path().join("shared.img");
    let (m1, m2) = (dir.path().join("mnt1"), dir.path().join("mnt2"));
    let _guard = Guard {
        cfg: Some(cfg.clone()),
        service: Some(name.clone()),
        containers: vec![("n1".into(), c1.clone()), ("n2".into(), c1.clone())],
        files: vec![file.clone()],
        mnts: vec![m1.clone(), m2.clone()],
    };
    let (f, a, b) = (file.display(), m1.display(), m2.display());
    create_on_n1(
        &cfg,
        &name,
        &format!(
            "[DEFAULT]\nnodes = n1 n2\n\
             [disk#1]\ntype = loop\nfile = {f}\nsize = 16m\n\
             [fs#1]\ntype = ext4\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {a}\nmnt@n2 = {b}\n\
             [container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n\
             volume_mounts = {a}:/data\nvolume_mounts@n2 = {b}:/data\n",
            registry_image()
        ),
    );
    on_ok(&cfg, "n1", &format!("{name} provision --local"));
    assert!(mounted(&m1) && !mounted(&m2));
    assert_eq!(loops_of(&file).len(), 1);
    docker_ok(&["exec", &c1, "sh", "-c", "echo written on n1 > /data/hello"]);

    // switch: stopped on n1 (unmounted, detached) before n2 attaches and mounts
    let (code, out, log) = on(&cfg, "n1", &format!("{name} switch"));
    assert_eq!(code, 0, "{out}{log}");
    let n2_first = at(&log, &format!("n2.{name}."));
    assert!(at(&log, "umount") < n2_first, "{log}");
    assert!(at(&log, "losetup -d") < n2_first, "{log}");
    assert!(
        n2_first < at(&log, "losetup --find --show")
            && at(&log, "losetup --find --show") < at(&log, "mount -t ext4"),
        "{log}"
    );
    assert!(!mounted(&m1) && mounted(&m2), "{log}");
    assert_eq!(loops_of(&file).len(), 1, "{log}");
    assert!(crate::support::inspect(&c1).is_none_or(|v| v["State"]["Running"] != true));
    assert_eq!(
        docker_on(&cfg, "n2", &["exec", &c1, "cat", "/data/hello"]),
        "written on n1"
    );
    docker_on(
        &cfg,
        "n2",
        &[
            "exec",
            &c1,
            "sh",
            "-c",
            "'echo written on n2 >> /data/hello'",
        ],
    );
    let n2 = instance(&cfg, &name, "n2");
    assert_eq!(n2["avail"], "up", "{n2}");
    // n1's filesystem is down (its disk, the loop file both simulated
    // nodes see attached, says up there too: one kernel)
    let n1 = instance(&cfg, &name, "n1");
    assert_eq!(rid_of(&n1, "fs#1")["status"], "down", "{n1}");

    // back: n2 unmounts and detaches, n1 mounts it again
    on_ok(&cfg, "n1", &format!("{name} giveback"));
    assert!(mounted(&m1) && !mounted(&m2));
    assert_eq!(
        docker_ok(&["exec", &c1, "cat", "/data/hello"]),
        "written on n1\nwritten on n2"
    );

    // the guard: the filesystem mounted on n1, its container down, is the
    // service running there; n2 refuses to start it and mounts nothing
    on_ok(
        &cfg,
        "n1",
        &format!("{name} stop --local --rid container#1"),
    );
    assert!(mounted(&m1));
    let (code, _, err) = on(&cfg, "n2", &format!("{name} start --local"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("up on n1: not started here"), "{err}");
    assert!(!mounted(&m2), "{err}");
    assert_eq!(loops_of(&file).len(), 1);
    // purged node by node: n2 would see n1's loop device as its own (one
    // kernel) and try to detach it while n1 has it mounted
    on_ok(&cfg, "n1", &format!("{name} purge --local"));
    assert!(!mounted(&m1) && loops_of(&file).is_empty() && !file.exists());
    on_ok(&cfg, "n2", &format!("{name} purge --local"));
}

/// The disaster recovery page on om: `nodes` n1, `drpnodes` n3 with a
/// copy of its own (its loop file, `file@n3`), the filesystem and its
/// disk `standby@drpnodes` (up on n3 before any takeover, and no sign
/// that the service runs there), `sync#1 type=rsync` from n1's mount
/// point to n3's (`dstfs`: only into n3's mounted copy). After `sync
/// update`, a change on n1 that is not synced; then on n3 `start --local
/// --force` starts with the data of the last sync.
#[test]
fn a_disaster_recovery_node_starts_with_the_data_of_the_last_sync() {
    root();
    let cfg = rig();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = unique("dp");
    let c1 = format!("{name}.container.1");
    let (f1, f3) = (dir.path().join("n1.img"), dir.path().join("n3.img"));
    let (m1, m3) = (dir.path().join("mnt1"), dir.path().join("mnt3"));
    let _guard = Guard {
        cfg: Some(cfg.clone()),
        service: Some(name.clone()),
        containers: vec![("n1".into(), c1.clone()), ("n3".into(), c1.clone())],
        files: vec![f1.clone(), f3.clone()],
        mnts: vec![m1.clone(), m3.clone()],
    };
    let (a, b) = (m1.display(), m3.display());
    create_on_n1(
        &cfg,
        &name,
        &format!(
            "[DEFAULT]\nnodes = n1\ndrpnodes = n3\n\
             [disk#1]\ntype = loop\nfile = {}\nfile@n3 = {}\nsize = 16m\nstandby@drpnodes = true\n\
             [fs#1]\ntype = ext4\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {a}\nmnt@n3 = {b}\nstandby@drpnodes = true\n\
             [container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n\
             volume_mounts = {a}:/data\nvolume_mounts@n3 = {b}:/data\n\
             [sync#1]\ntype = rsync\nsrc = {a}/\ndst = {b}\ndstfs = {b}\ntarget = drpnodes\n",
            f1.display(),
            f3.display(),
            registry_image()
        ),
    );
    on_ok(&cfg, "n1", &format!("{name} provision --local"));
    assert!(mounted(&m1) && !mounted(&m3));
    // n3's copy: its standby disk and filesystem, provisioned there (the
    // guard refuses the service on a drp node; its standby resources
    // start all the same)
    let (code, _, err) = on(
        &cfg,
        "n3",
        &format!("{name} provision --local --rid disk#1 --rid fs#1"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("its standby resources start all the same (disk#1, fs#1)"),
        "{err}"
    );
    assert!(mounted(&m3));
    assert_eq!((loops_of(&f1).len(), loops_of(&f3).len()), (1, 1));
    let n3 = instance(&cfg, &name, "n3");
    let fs = rid_of(&n3, "fs#1");
    assert_eq!(
        (&fs["status"], &fs["standby"]),
        (&"up".into(), &true.into()),
        "{n3}"
    );
    let tree = on_ok(&cfg, "n1", &format!("{name} print status"));
    assert!(tree.contains("stdby up"), "{tree}");
    // n3's standby filesystem mounted is not the service running there:
    // a stop and a start on n1 pass the guard
    on_ok(&cfg, "n1", &format!("{name} stop --local"));
    assert!(!mounted(&m1) && mounted(&m3));
    on_ok(&cfg, "n1", &format!("{name} start --local"));
    assert!(mounted(&m1));

    docker_ok(&["exec", &c1, "sh", "-c", "echo synced > /data/hello"]);
    on_ok(&cfg, "n1", &format!("{name} sync update"));
    assert_eq!(
        std::fs::read_to_string(m3.join("hello")).unwrap(),
        "synced\n"
    );
    // written after the last sync: not on n3
    docker_ok(&["exec", &c1, "sh", "-c", "echo not synced > /data/hello"]);

    // the disaster: n1's instance goes down; n3 takes over with --force
    on_ok(&cfg, "n1", &format!("{name} stop --local"));
    let (code, _, err) = on(&cfg, "n3", &format!("{name} start --local"));
    assert_eq!(code, 1, "a drp node needs --force: {err}");
    on_ok(&cfg, "n3", &format!("{name} start --local --force"));
    assert_eq!(
        docker_on(&cfg, "n3", &["exec", &c1, "cat", "/data/hello"]),
        "synced"
    );
    let n3 = instance(&cfg, &name, "n3");
    assert_eq!(n3["avail"], "up", "{n3}");
    on_ok(&cfg, "n3", &format!("{name} stop --local --force"));
    assert!(!mounted(&m3));
    on_ok(&cfg, "n1", &format!("{name} purge"));
}

/// The start order's first step, the ip checks (SPEC 17): an address
/// that answers on the network (the bridge's own, here) fails the start
/// before any disk is attached or filesystem mounted, and before any
/// container runs.
#[test]
fn a_taken_address_fails_the_start_before_a_disk_is_attached() {
    root();
    let br = crate::ip::Bridge::new(21);
    let env = Env::new();
    let name = unique("ic");
    let (c1, c2) = (format!("{name}.container.1"), format!("{name}.container.2"));
    let file = env.root().join("d.img");
    let mnt = env.root().join("mnt");
    let _guard = Guard {
        cfg: None,
        service: None,
        containers: vec![("n1".into(), c2.clone()), ("n1".into(), c1.clone())],
        files: vec![file.clone()],
        mnts: vec![mnt.clone()],
    };
    let taken = br.addr(1);
    let ini = format!(
        "{}[disk#1]\ntype = loop\nfile = {}\nsize = 16m\n\
         [fs#1]\ntype = ext4\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {}\n",
        crate::ip::pod_config(
            &registry_image(),
            &crate::ip::ip_lines(&taken, &br.name, "bridge")
        ),
        file.display(),
        mnt.display()
    );
    create(&env, &name, &ini);
    let out = env.om(&[&name, "provision"]);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "{text}");
    assert!(
        text.contains(&format!("{taken} is already in use")),
        "{text}"
    );
    let check = format!("ip check: {taken} availability");
    assert!(
        text.lines()
            .any(|l| l.contains(".ip#1 ") && l.trim_end().ends_with(&check)),
        "{text}"
    );
    assert!(!text.contains("losetup --find"), "{text}");
    assert!(!text.contains("mkfs"), "{text}");
    assert!(!text.contains("docker run"), "{text}");
    assert!(loops_of(&file).is_empty() && !mounted(&mnt), "{text}");
    assert!(crate::support::inspect(&c1).is_none(), "{text}");
    env.om(&[&name, "purge"]).ok();
}
