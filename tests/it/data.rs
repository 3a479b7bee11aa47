//! Data resources (SPEC 17, the OpenSVC "relocation" page): `disk#N
//! type=loop` over a file of the test's own tempdir, `fs#N
//! type=xfs|ext4|btrfs` on its device, mounted on a directory of the
//! test's own, bind-mounted by a container. Real kernel (loop devices,
//! the three filesystems), real engine. Root only, as om is for these
//! resources; like every engine test, they fail, never skip, without what
//! they need. A guard unmounts what is mounted on the test's mount points
//! and detaches the loop devices of the test's files (found by their
//! backing file, never by a guessed /dev/loopN), however the test ends.

use crate::support::{create, docker_ok, registry_image, unique, Cleanup, Env, LOOP};
use crate::support::{loops_of, mounted};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn root() {
    crate::support::need_root("the data tests attach loop devices and mount");
}

/// What the test made on the host, taken back however it ends: its mount
/// points unmounted, its files' loop devices detached, its processes
/// killed (they are the test's own), its containers removed.
struct Guard {
    files: Vec<PathBuf>,
    mnts: Vec<PathBuf>,
    children: Vec<std::process::Child>,
    _containers: Cleanup,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // the containers first: they hold the bind mounts
        self._containers.0.iter().for_each(|n| {
            let _ = crate::support::docker(&["rm", "-f", n]);
        });
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

fn all(out: &crate::support::Out) -> String {
    format!("{}{}", out.stdout, out.stderr)
}

/// The whole life of an fs of `fstype` on a loop disk: provision formats
/// and mounts, status says up with OpenSVC's labels, the container sees
/// the data through the mount point, stop and a second provision keep
/// the data (no reformat), a busy mount fails the stop naming its holder
/// within the bound and nothing is killed, released it stops, purge
/// removes the file.
fn life(fstype: &str, size: &str) {
    root();
    let env = Env::new();
    let name = unique("dt");
    let dir = env.root().join("data");
    let file = dir.join("disk.img");
    let mnt = env.root().join("mnt");
    let c1 = format!("{name}.container.1");
    let mut guard = Guard {
        files: vec![file.clone()],
        mnts: vec![mnt.clone()],
        children: Vec::new(),
        _containers: Cleanup(vec![c1.clone()]),
    };
    let (f, m) = (file.display(), mnt.display());
    let image = registry_image();
    create(
        &env,
        &name,
        &format!(
            "[container#1]\ntype = docker\nimage = {image}\ncommand = sh -c \"{LOOP}\"\nvolume_mounts = {m}:/data\n\
             [fs#1]\ntype = {fstype}\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {m}\nperm = 0750\n\
             [disk#1]\ntype = loop\nfile = {f}\nsize = {size}\n"
        ),
    );
    let out = env.om(&[&name, "provision"]).ok();
    let text = all(&out);
    // the start order: disk, fs, container
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no '{s}' in {text}"));
    assert!(
        at("losetup --find --show") < at(&format!("mkfs.{fstype}")),
        "{text}"
    );
    assert!(at(&format!("mount -t {fstype}")) < at("docker"), "{text}");
    let dev = loops_of(&file);
    assert_eq!(dev.len(), 1, "{dev:?}");
    assert!(mounted(&mnt));
    assert_eq!(res(&env, &name, "disk#1")["status"], "up");
    assert_eq!(res(&env, &name, "fs#1")["status"], "up");
    let status = env.om(&[&name, "print", "status"]).ok().stdout;
    assert!(status.contains(&format!("loop {f}")), "{status}");
    assert!(
        status.contains(&format!("{fstype} {}@{m}", dev[0])),
        "{status}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&mnt).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o750);
    }
    // the container sees what is written on the filesystem
    std::fs::write(mnt.join("hello"), "data that moves\n").unwrap();
    assert_eq!(
        docker_ok(&["exec", &c1, "cat", "/data/hello"]),
        "data that moves"
    );

    env.om(&[&name, "stop"]).ok();
    assert!(!mounted(&mnt));
    assert!(loops_of(&file).is_empty());
    assert_eq!(res(&env, &name, "fs#1")["status"], "down");
    assert_eq!(res(&env, &name, "disk#1")["status"], "down");
    // a stop of what is down already is fine
    env.om(&[&name, "stop"]).ok();

    // provision again: the device has a filesystem, it is not formatted
    let out = env.om(&[&name, "provision"]).ok();
    let text = all(&out);
    assert!(text.contains("not formatted"), "{text}");
    assert!(!text.contains(&format!("mkfs.{fstype}")), "{text}");
    assert_eq!(
        std::fs::read_to_string(mnt.join("hello")).unwrap(),
        "data that moves\n"
    );

    // busy: a process of the test's own holds the mount point
    let holder = Command::new("sleep")
        .arg("300")
        .current_dir(&mnt)
        .spawn()
        .expect("sleep");
    let pid = holder.id();
    guard.children.push(holder);
    let t0 = Instant::now();
    let out = env.om(&[&name, "stop"]);
    let took = t0.elapsed();
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(text.contains(&format!("{pid} (sleep)")), "{text}");
    assert!(text.contains("is busy"), "{text}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(mounted(&mnt));
    // nothing was killed
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    for c in &mut guard.children {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    guard.children.clear();
    env.om(&[&name, "stop"]).ok();
    assert!(!mounted(&mnt));
    assert!(loops_of(&file).is_empty());
    assert_eq!(res(&env, &name, "fs#1")["status"], "down");

    // unprovision keeps the data; purge removes the file
    env.om(&[&name, "unprovision"]).ok();
    assert!(file.exists());
    env.om(&[&name, "purge"]).ok();
    assert!(!file.exists());
    eprintln!("{fstype}: busy stop failed in {took:?}");
}

#[test]
fn xfs_on_a_loop_disk() {
    // mkfs.xfs takes nothing under 300 MiB; the file is sparse
    life("xfs", "300m");
}

#[test]
fn ext4_on_a_loop_disk() {
    life("ext4", "16m");
}

#[test]
fn btrfs_on_a_loop_disk() {
    life("btrfs", "128m");
}

/// Bad input is refused with one line naming the keyword, nothing made:
/// a mount point or a file that is `/`, relative or a system directory, a
/// size that does not parse, a `dev` that is not a block device (at
/// start); a file that exists is taken as is, never overwritten, and
/// kept by unprovision and by purge.
#[test]
fn bad_data_input_is_refused_and_files_are_taken_as_they_are() {
    root();
    let env = Env::new();
    let base = env.root().display().to_string();
    for (section, key) in [
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = /\n",
            "fs#1.mnt",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = data\n",
            "fs#1.mnt",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = /etc\n",
            "fs#1.mnt",
        ),
        (
            "[fs#1]\ntype = zfs\ndev = /dev/null\nmnt = /srv/x\n",
            "fs#1.type",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = disk#9\nmnt = /srv/x\n",
            "fs#1.dev",
        ),
        (
            "[fs#1]\ntype = xfs\ndev = /dev/null\nmnt = /srv/x\nmkfs_opt = -f /dev/loop2\n",
            "fs#1.mkfs_opt",
        ),
        (
            "[fs#1]\ntype = xfs\ndev = /dev/null\nmnt = /srv/x\nmkfs_opt = -llogdev=/dev/loop2\n",
            "fs#1.mkfs_opt",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = /srv/x\nmkfs_opt = -F\n",
            "fs#1.mkfs_opt",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = /var/lib/docker\n",
            "fs#1.mnt",
        ),
        (
            "[disk#1]\ntype = loop\nfile = /var/lib/docker/x.img\nsize = 1m\n",
            "disk#1.file",
        ),
        (
            &format!("[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = {base}/var/m\n"),
            "fs#1.mnt",
        ),
        (
            &format!("[disk#1]\ntype = loop\nfile = {base}/etc/x.img\nsize = 1m\n"),
            "disk#1.file",
        ),
        (
            &format!("[disk#1]\ntype = loop\nfile = {base}/x.img\nsize = 1023k\n"),
            "disk#1.size",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = /srv/x\nuser = root.nobody\n",
            "fs#1.user",
        ),
        (
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = /srv/x\nperm = +777\n",
            "fs#1.perm",
        ),
        (
            "[disk#1]\ntype = loop\nfile = /\nsize = 1m\n",
            "disk#1.file",
        ),
        (
            "[disk#1]\ntype = loop\nfile = /usr/x.img\nsize = 1m\n",
            "disk#1.file",
        ),
        (
            "[disk#1]\ntype = loop\nfile = x.img\nsize = 1m\n",
            "disk#1.file",
        ),
        (
            &format!("[disk#1]\ntype = loop\nfile = {base}/x.img\nsize = 12q\n"),
            "disk#1.size",
        ),
    ] {
        let name = unique("db");
        let out = env.om_stdin(&[&name, "create", "--config=-"], section);
        let text = all(&out);
        assert_ne!(out.code, 0, "{section}: {text}");
        assert!(text.contains(key), "{section}: {text}");
        assert_eq!(text.trim().lines().count(), 1, "{section}: {text}");
        assert!(!env.conf(&name).exists());
    }

    // a dev that is not a block device: refused at start
    let notdev = env.root().join("notdev");
    std::fs::write(&notdev, "x").unwrap();
    let mnt = env.root().join("m");
    let name = unique("db");
    create(
        &env,
        &name,
        &format!(
            "[fs#1]\ntype = ext4\ndev = {}\nmnt = {}\n",
            notdev.display(),
            mnt.display()
        ),
    );
    let out = env.om(&[&name, "start"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(
        text.contains("fs#1.dev") && text.contains("is not a block device"),
        "{text}"
    );
    assert!(!mounted(&mnt));

    // a link on the way to a system directory: refused, nothing made there
    let link = env.root().join("etc-link");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    let ulink = env.root().join("usr-link");
    std::os::unix::fs::symlink("/usr", &ulink).unwrap();
    let name = unique("db");
    let victim = "om-data-test-never-made";
    // refused at create (the host's check of the data paths)
    let out = env.om_stdin(
        &[&name, "create", "--config=-"],
        &format!(
            "[fs#1]\ntype = ext4\ndev = /dev/null\nmnt = {}/{victim}\n",
            link.display()
        ),
    );
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(
        text.contains("fs#1.mnt") && text.contains("resolves to '/etc/"),
        "{text}"
    );
    assert!(!Path::new("/etc").join(victim).exists());
    let name = unique("db");
    let out = env.om_stdin(
        &[&name, "create", "--config=-"],
        &format!(
            "[disk#1]\ntype = loop\nfile = {}/{victim}.img\nsize = 1m\n",
            ulink.display()
        ),
    );
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(
        text.contains("disk#1.file") && text.contains("resolves to '/usr/"),
        "{text}"
    );
    assert!(!Path::new("/usr").join(format!("{victim}.img")).exists());

    // a file that exists is taken as is
    let file = env.root().join("mine.img");
    std::fs::write(&file, vec![7u8; 1 << 20]).unwrap();
    let _guard = Guard {
        files: vec![file.clone()],
        mnts: Vec::new(),
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    let name = unique("db");
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 64m\n",
            file.display()
        ),
    );
    let out = env.om(&[&name, "provision"]).ok();
    assert!(all(&out).contains("exists: taken as is"), "{}", all(&out));
    assert!(all(&out).contains("less than size"), "{}", all(&out));
    assert_eq!(loops_of(&file).len(), 1);
    // started again: up already, nothing done
    let out = env.om(&[&name, "start"]).ok();
    assert!(!all(&out).contains("losetup --find"), "{}", all(&out));
    assert_eq!(loops_of(&file).len(), 1);
    env.om(&[&name, "unprovision"]).ok();
    assert!(loops_of(&file).is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), vec![7u8; 1 << 20]);
    // nor removed by purge: om did not create it
    let out = env.om(&[&name, "purge"]).ok();
    assert!(all(&out).contains("om did not create it"), "{}", all(&out));
    assert_eq!(std::fs::read(&file).unwrap(), vec![7u8; 1 << 20]);
    assert!(!env.conf(&name).exists());
}

/// The data kinds are selected as containers are: `--rid` by rid or by
/// group, `--tag`; `start_requires` reads their state; an fs whose disk
/// is down does not start; `delete --rid` refuses a section whose data
/// is in use.
#[test]
fn data_resources_by_rid_tag_and_requires() {
    root();
    let env = Env::new();
    let name = unique("dr");
    let file = env.root().join("d.img");
    let mnt = env.root().join("m");
    let _guard = Guard {
        files: vec![file.clone()],
        mnts: vec![mnt.clone()],
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 16m\ntags = store\n\
             [fs#1]\ntype = ext4\ndev = disk#1\nmnt = {}\ntags = store\nstart_requires = disk#1(up)\n",
            file.display(),
            mnt.display()
        ),
    );
    env.om(&[&name, "provision"]).ok();
    env.om(&[&name, "stop", "--rid", "fs#1"]).ok();
    assert!(!mounted(&mnt));
    assert_eq!(loops_of(&file).len(), 1);
    env.om(&[&name, "stop", "--rid", "disk"]).ok();
    assert!(loops_of(&file).is_empty());
    // fs#1 alone: its disk is down, its requirement says so
    let out = env.om(&[&name, "start", "--rid", "fs#1"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(text.contains("requires disk#1 up, it is down"), "{text}");
    assert!(!mounted(&mnt));
    env.om(&[&name, "start", "--tag", "store"]).ok();
    assert!(mounted(&mnt));
    assert_eq!(res(&env, &name, "fs#1")["status"], "up");
    // a section whose data is in use is not deleted
    for (rid, why) in [("fs#1", "is mounted on"), ("disk#1", "is attached to")] {
        let out = env.om(&[&name, "delete", "--rid", rid]);
        let text = all(&out);
        assert_ne!(out.code, 0, "{text}");
        assert!(
            text.contains(&format!("{rid}: ")) && text.contains(why),
            "{text}"
        );
        assert!(env.read_conf(&name).contains(&format!("[{rid}]")));
    }
    env.om(&[&name, "stop"]).ok();
    env.om(&[&name, "delete", "--rid", "fs#1"]).ok();
    assert!(!env.read_conf(&name).contains("[fs#1]"));
    env.om(&[&name, "purge"]).ok();
    assert!(!file.exists());
}

/// A `losetup` that fails (here: one first on PATH that exits 1) leaves
/// om unable to tell the fs's device: status says so as a warning, never
/// "down", and stop fails leaving the mount as it is, never "not its
/// mount" with a success.
#[test]
fn a_failed_device_query_is_never_read_as_down() {
    root();
    let mut env = Env::new();
    let name = unique("dq");
    let file = env.root().join("d.img");
    let mnt = env.root().join("m");
    let _guard = Guard {
        files: vec![file.clone()],
        mnts: vec![mnt.clone()],
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 16m\n\
             [fs#1]\ntype = ext4\ndev = disk#1\nmnt = {}\n",
            file.display(),
            mnt.display()
        ),
    );
    env.om(&[&name, "provision"]).ok();
    assert!(mounted(&mnt));
    let bin = env.root().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("losetup");
    std::fs::write(&fake, "#!/bin/sh\necho 'losetup: broken' >&2\nexit 1\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    env.path_prefix = Some(bin);
    let fs1 = res(&env, &name, "fs#1");
    assert_eq!(fs1["status"], "warn", "{fs1}");
    assert!(fs1.to_string().contains("losetup: broken"), "{fs1}");
    for args in [vec!["stop", "--rid", "fs#1"], vec!["stop"]] {
        let mut argv = vec![name.as_str()];
        argv.extend(args.iter().copied());
        let out = env.om(&argv);
        let text = all(&out);
        assert_ne!(out.code, 0, "{args:?}: {text}");
        assert!(text.contains("left mounted"), "{text}");
        assert!(mounted(&mnt), "{args:?}: {text}");
    }
    env.path_prefix = None;
    assert_eq!(res(&env, &name, "fs#1")["status"], "up");
    env.om(&[&name, "stop"]).ok();
    assert!(!mounted(&mnt));
    assert!(loops_of(&file).is_empty());
    env.om(&[&name, "purge"]).ok();
}

/// A mount point under a linked directory (`lnk/m`, `lnk -> real`) is
/// found where the kernel mounts it (`real/m`): status says up, stop
/// unmounts it.
#[test]
fn a_mount_point_under_a_link_is_found_at_its_resolved_path() {
    root();
    let env = Env::new();
    let name = unique("dl");
    let file = env.root().join("d.img");
    let real = env.root().join("real");
    std::fs::create_dir(&real).unwrap();
    let lnk = env.root().join("lnk");
    std::os::unix::fs::symlink(&real, &lnk).unwrap();
    let mnt = lnk.join("m");
    let _guard = Guard {
        files: vec![file.clone()],
        mnts: vec![real.join("m")],
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 16m\n\
             [fs#1]\ntype = ext4\ndev = disk#1\nmnt = {}\nperm = 0711\n",
            file.display(),
            mnt.display()
        ),
    );
    env.om(&[&name, "provision"]).ok();
    assert!(mounted(&real.join("m")));
    assert_eq!(res(&env, &name, "fs#1")["status"], "up");
    // started again: up, not mounted twice
    env.om(&[&name, "start"]).ok();
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let at = real.join("m").display().to_string();
    let n = table
        .lines()
        .filter(|l| l.split(' ').nth(4) == Some(at.as_str()))
        .count();
    assert_eq!(n, 1, "{table}");
    env.om(&[&name, "stop"]).ok();
    assert!(!mounted(&real.join("m")));
    assert!(loops_of(&file).is_empty());
    assert_eq!(res(&env, &name, "fs#1")["status"], "down");
    env.om(&[&name, "purge"]).ok();
}

/// A device mounted elsewhere (here: the test's own loop device, formatted
/// and mounted by the test on a directory of its own) is refused at start,
/// dry run included, naming where: not mounted again, its root neither
/// chowned nor chmodded.
#[test]
fn a_device_mounted_elsewhere_is_refused() {
    root();
    let env = Env::new();
    let file = env.root().join("other.img");
    let other = env.root().join("other");
    let mnt = env.root().join("m");
    std::fs::create_dir(&other).unwrap();
    let _guard = Guard {
        files: vec![file.clone()],
        mnts: vec![other.clone(), mnt.clone()],
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    std::fs::File::create(&file)
        .unwrap()
        .set_len(16 << 20)
        .unwrap();
    let out = Command::new("losetup")
        .arg("--find")
        .arg("--show")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let dev = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(loops_of(&file), std::slice::from_ref(&dev));
    let ok = |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?}");
    ok(Command::new("mkfs.ext4").arg("-q").arg(&dev));
    ok(Command::new("mount").arg(&dev).arg(&other));
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    };
    let before = mode(&other);
    let name = unique("de");
    create(
        &env,
        &name,
        &format!(
            "[fs#1]\ntype = ext4\ndev = {dev}\nmnt = {}\nperm = 0701\n",
            mnt.display()
        ),
    );
    for args in [vec!["start", "--dry-run"], vec!["start"], vec!["provision"]] {
        let mut argv = vec![name.as_str()];
        argv.extend(args.iter().copied());
        let out = env.om(&argv);
        let text = all(&out);
        assert_ne!(out.code, 0, "{args:?}: {text}");
        assert!(
            text.contains("fs#1.dev") && text.contains(&format!("mounted on {}", other.display())),
            "{args:?}: {text}"
        );
        assert!(!text.contains("chmod"), "{args:?}: {text}");
        assert!(!mounted(&mnt), "{args:?}: {text}");
    }
    assert_eq!(mode(&other), before);
}

/// Two services never share a loop file or a mount point (one's stop
/// would detach or unmount the other's data): refused at create, and at
/// start for a config written by hand, naming the other service.
#[test]
fn two_services_never_share_a_loop_file_or_a_mount_point() {
    root();
    let env = Env::new();
    let file = env.root().join("a.img");
    let mnt = env.root().join("a");
    let (f, m) = (file.display(), mnt.display());
    let a = unique("sa");
    create(
        &env,
        &a,
        &format!(
            "[disk#1]\ntype = loop\nfile = {f}\nsize = 16m\n\
             [fs#1]\ntype = ext4\ndev = disk#1\nmnt = {m}\n"
        ),
    );
    for (section, key) in [
        (
            format!("[disk#2]\ntype = loop\nfile = {f}\nsize = 16m\n"),
            "disk#2.file",
        ),
        (
            format!("[fs#3]\ntype = ext4\ndev = /dev/null\nmnt = {m}/sub\n"),
            "fs#3.mnt",
        ),
    ] {
        let b = unique("sb");
        let out = env.om_stdin(&[&b, "create", "--config=-"], &section);
        let text = all(&out);
        assert_ne!(out.code, 0, "{section}: {text}");
        assert!(text.contains(key) && text.contains(&a), "{section}: {text}");
        assert_eq!(text.trim().lines().count(), 1, "{section}: {text}");
        assert!(!env.conf(&b).exists());
    }
    // written by hand past create: its start refuses it, nothing made
    let b = unique("sb");
    let other = env.root().join("b.img");
    create(
        &env,
        &b,
        &format!(
            "[disk#2]\ntype = loop\nfile = {}\nsize = 16m\n",
            other.display()
        ),
    );
    let conf = env
        .read_conf(&b)
        .replace(&other.display().to_string(), &f.to_string());
    std::fs::write(env.conf(&b), conf).unwrap();
    let out = env.om(&[&b, "provision"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(text.contains("disk#2.file") && text.contains(&a), "{text}");
    assert!(!file.exists());
    assert!(loops_of(&file).is_empty());
}

/// A provision whose file can not get its size (here: larger than any
/// file can be) leaves no file behind, and the next provision does not
/// take an empty one as a disk.
#[test]
fn a_failed_provision_leaves_no_empty_disk_file() {
    root();
    let env = Env::new();
    let file = env.root().join("big.img");
    let _guard = Guard {
        files: vec![file.clone()],
        mnts: Vec::new(),
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    let name = unique("dz");
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 16777215t\n",
            file.display()
        ),
    );
    for _ in 0..2 {
        let out = env.om(&[&name, "provision"]);
        let text = all(&out);
        assert_ne!(out.code, 0, "{text}");
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(!file.exists(), "{text}");
        assert!(loops_of(&file).is_empty());
    }
    // an empty file found there is no disk either
    std::fs::write(&file, "").unwrap();
    let out = env.om(&[&name, "provision"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(text.contains("is empty: not a disk"), "{text}");
    assert!(loops_of(&file).is_empty());
}

/// A FUSE mount of the test's own that never answers: the test opens
/// /dev/fuse, mounts it on a directory of its own and reads nothing from
/// it. Dropped, the device closes, the connection aborts, and the mount
/// answers again (with an error) for the guard to unmount it.
struct HungFuse(#[allow(dead_code)] std::os::fd::OwnedFd);

fn hung_fuse(dir: &Path) -> HungFuse {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    let dev = CString::new("/dev/fuse").unwrap();
    // SAFETY: a plain open of a NUL-terminated path.
    let raw = unsafe { libc::open(dev.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    assert!(raw >= 0, "/dev/fuse: {}", std::io::Error::last_os_error());
    // SAFETY: `raw` was just opened and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let target = CString::new(dir.as_os_str().as_bytes()).unwrap();
    let opts = CString::new(format!(
        "fd={},rootmode=40000,user_id=0,group_id=0",
        fd.as_raw_fd()
    ))
    .unwrap();
    let (src, fstype) = (
        CString::new("om-test-hung").unwrap(),
        CString::new("fuse").unwrap(),
    );
    // SAFETY: NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            opts.as_ptr().cast(),
        )
    };
    assert_eq!(rc, 0, "mount fuse: {}", std::io::Error::last_os_error());
    HungFuse(fd)
}

/// A disk whose file sits on a hung mount: status answers within its
/// bound with a warning naming the file, and start fails within it,
/// neither hangs.
#[test]
fn a_disk_file_on_a_hung_mount_does_not_hang_status_or_start() {
    root();
    let env = Env::new();
    let dir = env.root().join("fz");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("x.img");
    let _guard = Guard {
        files: Vec::new(),
        mnts: vec![dir.clone()],
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    let name = unique("dh");
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 16m\n",
            file.display()
        ),
    );
    let _fuse = hung_fuse(&dir);
    assert!(mounted(&dir));
    let t0 = Instant::now();
    let disk = res(&env, &name, "disk#1");
    let took = t0.elapsed();
    assert_eq!(disk["status"], "warn", "{disk}");
    assert!(disk.to_string().contains("does not answer"), "{disk}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    let t0 = Instant::now();
    let out = env.om(&[&name, "start"]);
    let took = t0.elapsed();
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(text.contains("does not answer"), "{text}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    eprintln!("hung mount: status and start answered, start in {took:?}");
}

/// A mount namespace made while the service's filesystem was mounted (a
/// cluster node's, a test rig's) keeps a private copy of the mount, which
/// no umount here reaches: the loop device stays busy. The stop says
/// which process holds it, instead of "something", and a stop once it is
/// gone detaches.
#[test]
fn a_loop_disk_held_by_another_mount_namespace_is_named() {
    root();
    let env = Env::new();
    let file = env.root().join("held.img");
    let mnt = env.root().join("held");
    let mut guard = Guard {
        files: vec![file.clone()],
        mnts: vec![mnt.clone()],
        children: Vec::new(),
        _containers: Cleanup(Vec::new()),
    };
    let name = unique("dh");
    create(
        &env,
        &name,
        &format!(
            "[disk#1]\ntype = loop\nfile = {}\nsize = 32m\n[fs#1]\ntype = ext4\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {}\n",
            file.display(),
            mnt.display()
        ),
    );
    env.om(&[&name, "provision"]).ok();
    assert!(mounted(&mnt));
    // a namespace of its own, private: a copy of every mount there is
    let holder = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sleep", "120"])
        .spawn()
        .unwrap();
    let pid = holder.id();
    guard.children.push(holder);
    let ns = format!("/proc/{pid}/mountinfo");
    crate::support::wait_for("the namespace", Duration::from_secs(10), || {
        std::fs::read_to_string(&ns).is_ok_and(|t| t.contains(&*mnt.to_string_lossy()))
            && std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|e| e.to_string_lossy().ends_with("sleep"))
    });
    let started = Instant::now();
    let out = env.om(&[&name, "stop"]);
    let text = all(&out);
    assert_ne!(out.code, 0, "{text}");
    assert!(
        text.contains(&format!("{pid} (sleep at {})", mnt.display())),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{text}");
    assert!(!mounted(&mnt), "{text}");
    for c in &mut guard.children {
        let _ = c.kill();
        let _ = c.wait();
    }
    guard.children.clear();
    env.om(&[&name, "stop"]).ok();
    assert!(loops_of(&file).is_empty());
    env.om(&[&name, "purge"]).ok();
}
