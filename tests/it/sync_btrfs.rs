//! `sync#N type=btrfs` (SPEC 17): real btrfs send and receive between two
//! btrfs filesystems on loop files of the test's own, over the rig's real
//! ssh, the receiving side run by n2's om. The rig's nodes share this
//! machine's mounts, so "this node" and n2 use distinct mount points of
//! the test's tempdir: `a/` (src) and `b/` (dst). A guard unmounts both
//! and detaches the test's loop devices (found by their backing files),
//! however the test ends.

use crate::multinode::{rig, rig_env, synced_to};
use crate::support::{create, registry_image, unique, Cleanup, LOOP, NODE};
use crate::support::{loops_of, mounted};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub(crate) fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The test's mounts and loop devices, taken back however it ends.
pub(crate) struct Guard {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) mnts: Vec<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for m in &self.mnts {
            if mounted(m) {
                let ok = Command::new("umount")
                    .arg(m)
                    .status()
                    .is_ok_and(|s| s.success());
                if !ok {
                    let _ = Command::new("umount").arg("-l").arg(m).status();
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

/// A btrfs filesystem on a loop file of `dir`, mounted on `dir/mnt`.
pub(crate) fn btrfs_at(guard: &mut Guard, dir: &Path, mnt: &str) -> PathBuf {
    let file = dir.join(format!("{mnt}.img"));
    std::fs::File::create(&file)
        .and_then(|f| f.set_len(512 << 20))
        .expect("loop file");
    guard.files.push(file.clone());
    let dev = sh("losetup", &["--find", "--show", &file.to_string_lossy()]);
    let dev = dev.trim().to_string();
    sh("mkfs.btrfs", &["-q", &dev]);
    let m = dir.join(mnt);
    std::fs::create_dir(&m).unwrap();
    guard.mnts.push(m.clone());
    sh("mount", &[&dev, &m.to_string_lossy()]);
    m
}

fn random_file(p: &Path, mib: usize) {
    let mut data = vec![0u8; mib << 20];
    let f = std::fs::File::open("/dev/urandom").expect("urandom");
    std::io::Read::read_exact(&mut &f, &mut data).expect("random bytes");
    std::fs::write(p, &data).unwrap();
}

fn same(a: &Path, b: &Path) -> bool {
    std::fs::read(a).ok().is_some() && std::fs::read(a).ok() == std::fs::read(b).ok()
}

#[test]
fn a_btrfs_sync_sends_full_then_incremental_and_recovers_from_a_cut_stream() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "btrfs and loop devices need root"
    );
    let cfg = rig();
    let env = rig_env();
    let name = unique("sb");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut guard = Guard {
        files: Vec::new(),
        mnts: Vec::new(),
    };
    let a = btrfs_at(&mut guard, dir.path(), "a");
    let b = btrfs_at(&mut guard, dir.path(), "b");
    let src = a.join("data");
    let dst = b.join("data");
    sh("btrfs", &["subvolume", "create", &src.to_string_lossy()]);
    std::fs::write(src.join("first.txt"), "one\n").unwrap();
    // a plain directory is no subvolume: refused, naming sync#2.src
    std::fs::create_dir(a.join("plain")).unwrap();
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n\
         [sync#1]\ntype = btrfs\nsrc = {}\ndst = {}\ntarget = nodes\n\
         [sync#2]\ntype = btrfs\nsrc = {}\ndst = {}\ntarget = nodes\n",
        registry_image(),
        src.display(),
        dst.display(),
        a.join("plain").display(),
        b.join("plain").display(),
    );
    create(&env, &name, &ini);
    let _remote = synced_to(&cfg, &env, &name, &["n2"]);
    // the snapshots' name: src's, the service's id and the rid
    let id = env.om(&[&name, "get", "--kw", "id"]).ok().stdout;
    let snap = format!("data.{}.sync#1", id.trim());
    env.om(&[&name, "start", "--local"]).ok();

    let out = env.om(&[&name, "sync", "update", "--rid", "sync#2"]);
    assert_ne!(out.code, 0);
    let last = out.stderr.lines().last().unwrap_or_default().to_string();
    assert!(
        last.contains("sync#2.src: ") && last.contains("is not a btrfs subvolume"),
        "{}",
        out.stderr
    );
    assert!(!b.join("plain").exists() && !b.join(".om-sync").exists());

    // the first sync is full; dst is a read-write copy
    let out = env.om(&[&name, "sync", "update", "--rid", "sync#1"]).ok();
    assert!(out.stderr.contains("full send to n2"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dst.join("first.txt")).unwrap(),
        "one\n"
    );
    std::fs::write(dst.join("rw.txt"), "dst is read-write\n").expect("dst read-write");

    // a 20 MiB change goes incrementally (-p the last snapshot)
    random_file(&src.join("big1"), 20);
    let t = Instant::now();
    let out = env.om(&[&name, "sync", "update", "--rid", "sync#1"]).ok();
    eprintln!("incremental sync update of 20 MiB: {:?}", t.elapsed());
    assert!(out.stderr.contains("btrfs send -p "), "{}", out.stderr);
    assert!(!out.stderr.contains("full send"), "{}", out.stderr);
    assert!(same(&src.join("big1"), &dst.join("big1")));
    assert!(!dst.join("rw.txt").exists(), "dst is the sender's copy");

    // a stream cut in the middle: this node's btrfs send stops after
    // 4 MiB; the sync fails, and the next one recovers
    random_file(&src.join("big2"), 20);
    let fake = dir.path().join("bin");
    std::fs::create_dir(&fake).unwrap();
    let real = sh("sh", &["-c", "command -v btrfs"]);
    std::fs::write(
        fake.join("btrfs"),
        format!(
            "#!/bin/sh\nif [ \"$1\" = send ]; then {} \"$@\" | head -c 4194304; exit 1; fi\nexec {} \"$@\"\n",
            real.trim(),
            real.trim()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        fake.join("btrfs"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    let cut = env
        .std_cmd(&[&name, "sync", "update", "--rid", "sync#1"])
        .env("PATH", format!("{}:{path}", fake.display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&cut.stderr);
    assert!(!cut.status.success(), "{err}");
    assert!(err.contains("sync#1 to n2: btrfs"), "{err}");
    assert!(!dst.join("big2").exists());
    assert!(
        !b.join(".om-sync").join(format!("{snap}@tosend")).exists(),
        "the partial received subvolume stays"
    );
    let out = env.om(&[&name, "sync", "update", "--rid", "sync#1"]).ok();
    assert!(
        out.stderr.contains("left by an interrupted sync"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("btrfs send -p "), "{}", out.stderr);
    assert!(same(&src.join("big2"), &dst.join("big2")));

    // the receiver's copy turned read-write: the next sync is full
    let sent = b.join(".om-sync").join(format!("{snap}@sent"));
    sh(
        "btrfs",
        &[
            "property",
            "set",
            "-f",
            "-ts",
            &sent.to_string_lossy(),
            "ro",
            "false",
        ],
    );
    std::fs::write(src.join("first.txt"), "two\n").unwrap();
    let out = env.om(&[&name, "sync", "update", "--rid", "sync#1"]).ok();
    assert!(out.stderr.contains("full send to n2"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dst.join("first.txt")).unwrap(),
        "two\n"
    );
    // one snapshot kept on each side: the parent of the next send
    for side in [&a, &b] {
        let left: Vec<String> = std::fs::read_dir(side.join(".om-sync"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [format!("{snap}@sent")], "{}", side.display());
    }
    env.om(&[&name, "purge", "--local"]).ok();
    // the subvolumes go with the tempdir once unmounted (the guard)
    drop(guard);
}
