//! LVM disks (SPEC 17, the OpenSVC "relocation" page): `disk#N type=vg`
//! on loop devices of the test's own, with LVM's real metadata (pvcreate,
//! vgcreate, tags, vgchange); `disk#N type=lv` through LVM's
//! metadata-only mode (this kernel has no device-mapper: nothing can be
//! activated), and its exact `lvcreate`/`lvchange` lines with fake `PATH`
//! tools. Every LVM command, om's (through `OM_TEST_LVM_CONFIG`) and the
//! test's, runs with a device filter that accepts the test's own loop
//! devices only: LVM never scans another device of the machine. A guard
//! removes the volume groups, physical volumes and loop devices the test
//! made, however it ends.

use crate::support::{create, unique, Env, NODE};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the LVM tests attach loop devices, which needs root; run scripts/test as root"
    );
}

/// The loop devices attached to `file` (`losetup -j`).
fn loops_of(file: &Path) -> Vec<String> {
    let out = Command::new("losetup")
        .arg("-j")
        .arg(file)
        .output()
        .expect("losetup");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(d, _)| d.to_string()))
        .collect()
}

/// The test's loop devices and volume groups, and the LVM config that
/// shows LVM those devices only.
struct Lvm {
    files: Vec<PathBuf>,
    devs: Vec<String>,
    vgs: Vec<String>,
    mnts: Vec<PathBuf>,
    filter: String,
}

impl Lvm {
    /// `n` loop files of 64 MiB in `dir`, attached.
    fn new(dir: &Path, n: usize) -> Lvm {
        let mut lvm = Lvm {
            files: Vec::new(),
            devs: Vec::new(),
            vgs: Vec::new(),
            mnts: Vec::new(),
            filter: String::new(),
        };
        for i in 0..n {
            let file = dir.join(format!("pv{i}.img"));
            std::fs::File::create(&file)
                .and_then(|f| f.set_len(64 << 20))
                .expect("loop file");
            lvm.files.push(file.clone());
            let out = Command::new("losetup")
                .args(["--find", "--show"])
                .arg(&file)
                .output()
                .expect("losetup");
            assert!(out.status.success(), "losetup: {out:?}");
            let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
            assert_eq!(loops_of(&file), std::slice::from_ref(&dev));
            lvm.devs.push(dev);
        }
        let accept: Vec<String> = lvm.devs.iter().map(|d| format!("\"a|^{d}$|\"")).collect();
        lvm.filter = format!("devices{{filter=[{},\"r|.*|\"]}}", accept.join(","));
        lvm
    }

    /// An LVM command of the test's, with the filter; its stdout.
    fn run(&self, prog: &str, args: &[&str]) -> (bool, String) {
        let out = Command::new(prog)
            .arg("--config")
            .arg(&self.filter)
            .args(args)
            .env("LVM_SUPPRESS_FD_WARNINGS", "1")
            .output()
            .expect("lvm (scripts/test installs lvm2)");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        (
            out.status.success(),
            format!("{text}{}", String::from_utf8_lossy(&out.stderr)),
        )
    }

    /// The tags on volume group `vg` (`None`: LVM lists no such group).
    fn tags(&self, vg: &str) -> Option<Vec<String>> {
        let (ok, out) = self.run(
            "vgs",
            &["--noheadings", "--separator", "|", "-o", "vg_name,vg_tags"],
        );
        assert!(ok, "{out}");
        out.lines()
            .map(|l| l.trim().split('|').collect::<Vec<_>>())
            .find(|r| r[0] == vg)
            .map(|r| {
                r[1].split(',')
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect()
            })
    }
}

impl Drop for Lvm {
    fn drop(&mut self) {
        for m in &self.mnts {
            let _ = Command::new("umount")
                .arg(m)
                .stderr(std::process::Stdio::null())
                .status();
        }
        for vg in &self.vgs {
            let _ = self.run("vgremove", &["-f", vg]);
        }
        for dev in &self.devs {
            let _ = self.run("pvremove", &["-ff", "-y", dev]);
        }
        for f in &self.files {
            for dev in loops_of(f) {
                let _ = Command::new("losetup").args(["-d", &dev]).status();
            }
        }
    }
}

/// A resource of `print status --format json`.
fn res(env: &Env, name: &str, rid: &str) -> Value {
    let out = env.om(&[name, "print", "status", "--format", "json"]).ok();
    let v: Value = serde_json::from_str(&out.stdout).expect("status JSON");
    v["resources"]
        .as_array()
        .or_else(|| v["instances"][0]["resources"].as_array())
        .expect("resources")
        .iter()
        .find(|r| r["rid"] == rid)
        .cloned()
        .unwrap_or_else(|| panic!("no {rid} in {}", out.stdout))
}

/// What om said, its LVM lines without the test's `--config` (checked
/// once, at the first provision).
fn all(out: &crate::support::Out) -> String {
    let text = format!("{}{}", out.stdout, out.stderr);
    match text.find(" --config '") {
        None => text,
        Some(at) => {
            let end = text[at + 11..]
                .find('\'')
                .map_or(text.len(), |e| at + 12 + e);
            let conf = text[at..end].to_string();
            text.replace(&conf, "")
        }
    }
}

/// A unique LVM name of the test's own.
fn vg_name() -> String {
    unique("omt")
}

/// `disk#N type=vg` on real LVM metadata: provision refuses a `pvs`
/// device that is mounted, holds a filesystem or belongs to another
/// volume group (nothing written on it); provision makes the group of a
/// blank device and takes it with this node's tag; stop deactivates and
/// drops the tag, and again when down; another node's tag refuses the
/// start naming that node, `--force` takes it; purge removes the group.
#[test]
fn a_volume_group_is_taken_with_this_nodes_tag() {
    root();
    let mut env = Env::new();
    let mut lvm = Lvm::new(env.root(), 3);
    env.vars
        .push(("OM_TEST_LVM_CONFIG".into(), lvm.filter.clone()));
    env.vars
        .push(("LVM_SUPPRESS_FD_WARNINGS".into(), "1".into()));
    let (good, foreign, formatted) = (
        lvm.devs[0].clone(),
        lvm.devs[1].clone(),
        lvm.devs[2].clone(),
    );
    let vg = vg_name();
    let other_vg = vg_name();
    lvm.vgs = vec![vg.clone(), other_vg.clone()];
    // another volume group on one device, a filesystem on another
    let (ok, out) = lvm.run("vgcreate", &[&other_vg, &foreign]);
    assert!(ok, "{out}");
    let mkfs = Command::new("mkfs.ext4")
        .args(["-q", &formatted])
        .status()
        .expect("mkfs.ext4");
    assert!(mkfs.success());
    let mnt = env.root().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let name = unique("lv");
    let svc = |pvs: &str| format!("[disk#1]\ntype = vg\nname = {vg}\npvs = {pvs}\n");

    // refused, naming the device and why; nothing written on it
    let mount = Command::new("mount")
        .arg(&formatted)
        .arg(&mnt)
        .status()
        .expect("mount");
    assert!(mount.success());
    lvm.mnts.push(mnt.clone());
    create(&env, &name, &svc(&format!("{good} {formatted}")));
    for (why, pvs) in [
        (
            format!("'{formatted}' is mounted on {}", mnt.display()),
            formatted.clone(),
        ),
        (
            format!("'{foreign}' belongs to volume group {other_vg}"),
            foreign.clone(),
        ),
    ] {
        env.om(&[&name, "set", "--kw", &format!("disk#1.pvs={pvs}")])
            .ok();
        let out = env.om(&[&name, "provision"]);
        let text = all(&out);
        assert_ne!(out.code, 0, "{text}");
        assert!(text.contains("disk#1.pvs"), "{text}");
        assert!(text.contains(&why), "{text}");
        assert!(!text.contains("pvcreate"), "{text}");
    }
    assert!(Command::new("umount").arg(&mnt).status().unwrap().success());
    env.om(&[
        &name,
        "set",
        "--kw",
        &format!("disk#1.pvs={good} {formatted}"),
    ])
    .ok();
    let out = env.om(&[&name, "provision"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(text.contains(&format!("'{formatted}' has")), "{text}");
    assert!(text.contains("never reformatted"), "{text}");
    assert!(!text.contains("pvcreate"), "{text}");
    let blkid = Command::new("blkid")
        .args(["-p", "-o", "value", "-s", "TYPE", &formatted])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&blkid.stdout).trim(), "ext4");
    assert_eq!(lvm.tags(&vg), None);
    assert_eq!(lvm.tags(&other_vg), Some(Vec::new()));

    // provision on a blank device: made and taken with this node's tag
    env.om(&[&name, "set", "--kw", &format!("disk#1.pvs={good}")])
        .ok();
    let out = env.om(&[&name, "provision"]).ok();
    let raw = format!("{}{}", out.stdout, out.stderr);
    // every LVM command of om's sees the test's devices only
    assert!(
        raw.contains(&format!("pvcreate --config '{}' {good}", lvm.filter)),
        "{raw}"
    );
    let text = all(&out);
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no '{s}' in {text}"));
    assert!(
        at(&format!("pvcreate {good}")) < at(&format!("vgcreate {vg} {good}")),
        "{text}"
    );
    assert!(at(&format!("vgchange --addtag {NODE} {vg}")) < at(&format!("vgchange -ay {vg}")));
    assert_eq!(lvm.tags(&vg), Some(vec![NODE.to_string()]));
    let r = res(&env, &name, "disk#1");
    assert_eq!(r["status"], "up", "{r}");
    assert_eq!(r["label"], format!("vg {vg}"), "{r}");

    // stop: deactivated, the tag dropped; again when down
    let out = env.om(&[&name, "stop"]).ok();
    let text = all(&out);
    assert!(
        text.find(&format!("vgchange -an {vg}"))
            < text.find(&format!("vgchange --deltag {NODE} {vg}")),
        "{text}"
    );
    assert!(text.contains("--deltag"), "{text}");
    assert_eq!(lvm.tags(&vg), Some(Vec::new()));
    assert_eq!(res(&env, &name, "disk#1")["status"], "down");
    let out = env.om(&[&name, "stop"]).ok();
    assert!(
        all(&out).contains(&format!("vgchange -an {vg}")),
        "{}",
        all(&out)
    );

    // another node's tag: refused naming it, status says it, --force takes
    let (ok, out) = lvm.run("vgchange", &["--addtag", "n9", &vg]);
    assert!(ok, "{out}");
    let out = env.om(&[&name, "start"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(
        text.contains(&format!("volume group {vg} carries n9's tag")),
        "{text}"
    );
    assert!(text.contains("--force"), "{text}");
    assert_eq!(lvm.tags(&vg), Some(vec!["n9".to_string()]));
    let r = res(&env, &name, "disk#1");
    assert_eq!(r["status"], "down", "{r}");
    assert!(r["log"].to_string().contains("carries n9's tag"), "{r}");
    let out = env.om(&[&name, "start", "--force"]).ok();
    assert!(all(&out).contains("dropped (--force)"), "{}", all(&out));
    assert_eq!(lvm.tags(&vg), Some(vec![NODE.to_string()]));
    assert_eq!(res(&env, &name, "disk#1")["status"], "up");

    // unprovision keeps the group; purge removes it
    env.om(&[&name, "unprovision"]).ok();
    assert_eq!(lvm.tags(&vg), Some(Vec::new()));
    env.om(&[&name, "purge"]).ok();
    assert_eq!(lvm.tags(&vg), None);
}
