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

use crate::support::loops_of;
use crate::support::{create, unique, Env, NODE};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() {
    crate::support::need_root("the LVM tests attach loop devices");
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

/// `disk#N type=lv` on real LVM metadata, in LVM's metadata-only mode
/// (`global{activation=0}`: this kernel has no device-mapper): the
/// volume group starts before the logical volume whatever their rids,
/// provision creates it (`lvcreate -l 100%FREE`), status says what `lvs`
/// can tell (not whether it is active, here), an fs on it names its
/// device `/dev/VG/LV`; stop deactivates the lv before the vg; purge removes both.
#[test]
fn a_logical_volume_on_lvm_metadata() {
    root();
    let mut env = Env::new();
    let mut lvm = Lvm::new(env.root(), 1);
    env.vars.push((
        "OM_TEST_LVM_CONFIG".into(),
        format!("{} global{{activation=0}}", lvm.filter),
    ));
    env.vars
        .push(("LVM_SUPPRESS_FD_WARNINGS".into(), "1".into()));
    let dev = lvm.devs[0].clone();
    let vg = vg_name();
    lvm.vgs = vec![vg.clone()];
    let mnt = env.root().join("mnt");
    let name = unique("lv");
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = lv\nvg = {vg}\nname = pg\nsize = 100%FREE\ntags = lvm\n\
             [disk#2]\ntype = vg\nname = {vg}\npvs = {dev}\ntags = lvm\n\
             [fs#1]\ntype = ext4\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {}\n",
            mnt.display()
        ),
    );
    let lvs = |lvm: &Lvm| {
        let (ok, out) = lvm.run("lvs", &["--noheadings", "-o", "lv_name", &vg]);
        (
            ok,
            out.split_whitespace().map(String::from).collect::<Vec<_>>(),
        )
    };
    let out = env.om(&[&name, "provision", "--tag", "lvm"]).ok();
    let text = all(&out);
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no '{s}' in {text}"));
    assert!(at(&format!("vgcreate {vg} {dev}")) < at(&format!("lvcreate -n pg -l 100%FREE {vg}")));
    assert!(at(&format!("lvcreate -n pg -l 100%FREE {vg}")) < at(&format!("lvchange -ay {vg}/pg")));
    assert_eq!(lvs(&lvm), (true, vec!["pg".to_string()]));
    let r = res(&env, &name, "disk#1");
    assert_eq!(r["label"], format!("lv {vg}/pg"), "{r}");
    assert_eq!(r["status"], "warn", "{r}");
    assert!(
        r["log"]
            .to_string()
            .contains(&format!("lvs can not tell whether {vg}/pg is active")),
        "{r}"
    );
    let r = res(&env, &name, "fs#1");
    assert_eq!(r["status"], "down", "{r}");
    assert_eq!(
        r["label"],
        format!("ext4 /dev/{vg}/pg@{}", mnt.display()),
        "{r}"
    );

    let out = env.om(&[&name, "stop", "--tag", "lvm"]).ok();
    let text = all(&out);
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no '{s}' in {text}"));
    assert!(at(&format!("lvchange -an {vg}/pg")) < at(&format!("vgchange -an {vg}")));
    env.om(&[&name, "unprovision", "--tag", "lvm"]).ok();
    assert_eq!(lvs(&lvm), (true, vec!["pg".to_string()]));
    let out = env.om(&[&name, "purge"]).ok();
    let text = all(&out);
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no '{s}' in {text}"));
    assert!(at(&format!("lvremove -f {vg}/pg")) < at(&format!("vgremove -f {vg}")));
    assert_eq!(lvm.tags(&vg), None);
}

/// The exact `lvcreate`/`lvchange` lines om runs, with fake `PATH` tools
/// (they record their arguments and keep the lv's state in a file of the
/// test's own; nothing real is touched): `-L` for a size, `-l` for
/// extents, `create_options` before the group; start, stop and status
/// from `lvs`; a size that does not parse refused naming the keyword.
#[test]
fn lvcreate_and_lvchange_lines() {
    let mut env = Env::new();
    let bin = env.root().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let (log, attr) = (env.root().join("lvm.log"), env.root().join("attr"));
    let (log, attr) = (log.display(), attr.display());
    let tools = [
        ("lvs", format!("[ -f {attr} ] && echo \"  fakevg|data|$(cat {attr})\"; exit 0")),
        ("lvcreate", format!("echo \"lvcreate $*\" >> {log}; echo -wi------- > {attr}")),
        (
            "lvchange",
            format!(
                "echo \"lvchange $*\" >> {log}; case \"$*\" in *-ay*) echo -wi-a----- > {attr};; *-an*) echo -wi------- > {attr};; esac"
            ),
        ),
    ];
    for (tool, body) in tools {
        let path = bin.join(tool);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    env.path_prefix = Some(bin);
    let lines = || std::fs::read_to_string(env.root().join("lvm.log")).unwrap_or_default();
    let name = unique("lv");
    create(
        &env,
        &name,
        "[disk#1]\ntype = lv\nvg = fakevg\nname = data\nsize = 1g\ncreate_options = --wipesignatures n\n",
    );
    env.om(&[&name, "provision"]).ok();
    assert_eq!(
        lines(),
        "lvcreate -n data -L 1g --wipesignatures n fakevg\nlvchange -ay fakevg/data\n"
    );
    assert_eq!(res(&env, &name, "disk#1")["status"], "up");
    env.om(&[&name, "stop"]).ok();
    assert!(
        lines().ends_with("lvchange -ay fakevg/data\nlvchange -an fakevg/data\n"),
        "{}",
        lines()
    );
    assert_eq!(res(&env, &name, "disk#1")["status"], "down");
    env.om(&[&name, "start"]).ok();
    assert!(
        lines().ends_with("lvchange -an fakevg/data\nlvchange -ay fakevg/data\n"),
        "{}",
        lines()
    );
    // up: started again, nothing run; provision again: not created again
    env.om(&[&name, "provision"]).ok();
    assert_eq!(lines().lines().count(), 4, "{}", lines());

    // extents as -l
    std::fs::remove_file(env.root().join("attr")).unwrap();
    env.om(&[
        &name,
        "set",
        "--kw",
        "disk#1.size=50%VG",
        "--kw",
        "disk#1.create_options=",
    ])
    .ok();
    env.om(&[&name, "provision"]).ok();
    assert!(
        lines().contains("lvcreate -n data -l 50%VG fakevg\n"),
        "{}",
        lines()
    );

    // a size that does not parse: one line naming the keyword
    let out = env.om(&[&name, "set", "--kw", "disk#1.size=1x"]);
    let out = if out.code == 0 {
        env.om(&[&name, "start"])
    } else {
        out
    };
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("disk#1.size"), "{}", out.stderr);
}

/// A volume group om's provision found (made by hand: "taken as is") is
/// never removed by a purge, nor its physical volume's label: purge
/// removes only what om created (its record, as a loop file's).
#[test]
fn a_volume_group_taken_as_is_outlives_a_purge() {
    root();
    let mut env = Env::new();
    let mut lvm = Lvm::new(env.root(), 1);
    env.vars
        .push(("OM_TEST_LVM_CONFIG".into(), lvm.filter.clone()));
    env.vars
        .push(("LVM_SUPPRESS_FD_WARNINGS".into(), "1".into()));
    let dev = lvm.devs[0].clone();
    let vg = vg_name();
    lvm.vgs = vec![vg.clone()];
    let (ok, out) = lvm.run("vgcreate", &[&vg, &dev]);
    assert!(ok, "{out}");
    let name = unique("lv");
    create(
        &env,
        &name,
        &format!("[disk#1]\ntype = vg\nname = {vg}\npvs = {dev}\n"),
    );
    let out = env.om(&[&name, "provision"]).ok();
    assert!(all(&out).contains("taken as is"), "{}", all(&out));
    assert_eq!(lvm.tags(&vg), Some(vec![NODE.to_string()]));
    let out = env.om(&[&name, "purge"]).ok();
    let text = all(&out);
    assert!(
        !text.contains("vgremove") && !text.contains("pvremove"),
        "{text}"
    );
    assert!(text.contains("om did not create it"), "{text}");
    assert_eq!(lvm.tags(&vg), Some(Vec::new()));
    let (ok, out) = lvm.run("pvs", &["--noheadings", "-o", "pv_name,vg_name", &dev]);
    assert!(ok && out.contains(&vg), "{out}");

    // a logical volume made by hand (LVM's metadata-only mode) and taken
    // as is by a second service: its purge leaves it
    let meta_only = format!("{} global{{activation=0}}", lvm.filter);
    let made = Command::new("lvcreate")
        .args(["--config", &meta_only, "-n", "pg", "-l", "100%FREE", &vg])
        .env("LVM_SUPPRESS_FD_WARNINGS", "1")
        .output()
        .expect("lvcreate");
    assert!(made.status.success(), "{made:?}");
    let mut env2 = Env::new();
    env2.vars
        .push(("OM_TEST_LVM_CONFIG".into(), meta_only.clone()));
    env2.vars
        .push(("LVM_SUPPRESS_FD_WARNINGS".into(), "1".into()));
    let name2 = unique("lv");
    create(
        &env2,
        &name2,
        &format!("[disk#1]\ntype = lv\nvg = {vg}\nname = pg\nsize = 100%FREE\n"),
    );
    let out = env2.om(&[&name2, "provision"]).ok();
    assert!(all(&out).contains("taken as is"), "{}", all(&out));
    assert!(!all(&out).contains("lvcreate"), "{}", all(&out));
    let out = env2.om(&[&name2, "purge"]).ok();
    let text = all(&out);
    assert!(!text.contains("lvremove"), "{text}");
    assert!(text.contains("om did not create it"), "{text}");
    let (ok, out) = lvm.run("lvs", &["--noheadings", "-o", "lv_name", &vg]);
    assert!(ok && out.split_whitespace().any(|w| w == "pg"), "{out}");
}
