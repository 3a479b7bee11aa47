//! The receiving side of a sync (SPEC 17) against a hostile or broken
//! sender: what arrives on `om PATH sync update --receive … -- WORDS`
//! (the words, the stream) is the sender's, and the receiving om writes
//! nothing outside its own `dst` for it, loads no image the service does
//! not use, and acts on nothing it was not told is the same service. Each
//! test runs the receiving om here, as the sender's ssh would, on paths
//! of its own tempdir (a victim directory is the test's own).

use crate::support::{create, docker, docker_ok, registry_image, unique, Env, LOOP, NODE};
use crate::sync_btrfs::{btrfs_at, sh, Guard};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The receiving om's words for `rid` of `name`, from n2, `id` its
/// `--expect-id` (none: left out), then `words` after `--`.
fn receiver<'a>(name: &'a str, id: Option<&'a str>, words: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        name,
        "sync",
        "update",
        "--receive",
        "--from",
        "n2",
        "--rid",
        "sync#1",
    ];
    if let Some(id) = id {
        args.extend(["--expect-id", id]);
    }
    args.push("--");
    args.extend(words);
    args
}

/// Runs the receiving om with `stdin`: (exit code, stderr).
fn receive(env: &Env, args: &[&str], stdin: Vec<u8>) -> (i32, String) {
    let mut child = env
        .std_cmd(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run om");
    let mut input = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().expect("om ends");
    let _ = writer.join();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An rsync sync of `dir/src/` to `dir/dst` with n2, made here.
fn rsync_service(env: &Env, dir: &Path) -> String {
    let name = unique("hd");
    std::fs::create_dir(dir.join("src")).unwrap();
    std::fs::write(dir.join("src").join("f"), "data\n").unwrap();
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[sync#1]\ntype = rsync\nsrc = {}/src/\ndst = {}/dst\ntarget = nodes\n",
        dir.display(),
        dir.display()
    );
    create(env, &name, &ini);
    name
}

/// `rsync -s` (`--secluded-args`) makes the server read its whole command
/// line, destination included, from the stream: the words om checked
/// would not be the ones it runs. A sender's `-s` is refused, and nothing
/// lands outside dst.
#[test]
fn a_receiving_rsync_never_takes_its_command_line_from_the_stream() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = rsync_service(&env, dir.path());
    let id = env.svc_id(&name);
    let dst = dir.path().join("dst");
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    // the hostile sender's remote shell: it runs the receiving om with
    // words that pass as a server's into dst, with -s
    let rsh = dir.path().join("rsh");
    let om = assert_cmd::cargo::cargo_bin("om");
    let words = receiver(
        &name,
        Some(&id),
        &["--server", "-stre.iLsfxCIvu", ".", &dst.to_string_lossy()],
    )
    .iter()
    .map(|w| format!("'{w}'"))
    .collect::<Vec<_>>()
    .join(" ");
    std::fs::write(
        &rsh,
        format!(
            "#!/bin/sh\nexec env -i PATH=\"$PATH\" OSVC_ROOT_PATH='{}' OSVC_NODENAME='{NODE}' HOME='{}' NO_COLOR=1 '{}' {words}\n",
            env.root().display(),
            env.root().display(),
            om.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rsh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = Command::new("rsync")
        .arg("-s")
        .arg("-rt")
        .arg("-e")
        .arg(&rsh)
        .arg(format!("{}/src/", dir.path().display()))
        .arg(format!("x:{}/elsewhere", victim.display()))
        .output()
        .expect("rsync");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        !victim.join("elsewhere").exists(),
        "the receiving rsync wrote outside dst: {err}"
    );
    assert!(
        err.contains("-stre.iLsfxCIvu is not an option a sync's receiving rsync takes"),
        "{err}"
    );
}

/// The sender's id of the service is what says it syncs the same one: a
/// receiving side asked without it is refused before it writes anything.
#[test]
fn a_receiving_side_asked_without_the_service_s_id_writes_nothing() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = rsync_service(&env, dir.path());
    let dst = dir.path().join("dst");
    let dst_word = dst.to_string_lossy().into_owned();
    let args = receiver(
        &name,
        None,
        &["--server", "-logDtpre.iLsfxCIvu", ".", &dst_word],
    );
    let (code, err) = receive(&env, &args, Vec::new());
    assert_ne!(code, 0, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs --expect-id"), "{err}");
    assert!(!dst.exists(), "the receiver made its dst");
}

fn crc32c(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// A command of a btrfs send stream: its number and attributes.
type StreamCmd = (u16, Vec<(u16, Vec<u8>)>);

/// A btrfs send stream with each command passed through `edit` (None
/// drops it), its checksums made again.
fn rewrite(stream: &[u8], edit: impl Fn(StreamCmd) -> Option<StreamCmd>) -> Vec<u8> {
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut out = stream[..17].to_vec();
    let mut pos = 17;
    while pos < stream.len() {
        let len = u32_at(stream, pos) as usize;
        let cmd = u16_at(stream, pos + 4);
        let body = &stream[pos + 10..pos + 10 + len];
        pos += 10 + len;
        let mut attrs = Vec::new();
        let mut p = 0;
        while p < body.len() {
            let l = u16_at(body, p + 2) as usize;
            attrs.push((u16_at(body, p), body[p + 4..p + 4 + l].to_vec()));
            p += 4 + l;
        }
        let Some((cmd, attrs)) = edit((cmd, attrs)) else {
            continue;
        };
        let mut new_body = Vec::new();
        for (t, v) in attrs {
            new_body.extend(t.to_le_bytes());
            new_body.extend(u16::try_from(v.len()).unwrap().to_le_bytes());
            new_body.extend(v);
        }
        let mut c = Vec::new();
        c.extend(u32::try_from(new_body.len()).unwrap().to_le_bytes());
        c.extend(cmd.to_le_bytes());
        c.extend([0u8; 4]);
        c.extend(&new_body);
        let crc = crc32c(&c);
        c[6..10].copy_from_slice(&crc.to_le_bytes());
        out.extend(c);
    }
    out
}

/// The stream commands and attribute the tests rewrite (btrfs send's
/// protocol, version 1).
const SUBVOL: u16 = 1;
const MKFILE: u16 = 3;
const MKDIR: u16 = 4;
const PATH: u16 = 15;

/// The path attribute of a command.
fn path_of(attrs: &[(u16, Vec<u8>)]) -> &[u8] {
    attrs
        .iter()
        .find(|(t, _)| *t == PATH)
        .map_or(&[][..], |(_, v)| v.as_slice())
}

/// Each PATH attribute through `f`.
fn paths(attrs: Vec<(u16, Vec<u8>)>, f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<(u16, Vec<u8>)> {
    attrs
        .into_iter()
        .map(|(t, v)| if t == PATH { (t, f(&v)) } else { (t, v) })
        .collect()
}

/// A btrfs filesystem of the test's own with a sync#1 (src `data`, dst
/// `copy`) received here from n2, and a real stream of a one-file
/// subvolume (`a`, which btrfs send makes first under an orphan name
/// `o257-…`): (guard, env, service, its id, the mount, the stream).
fn btrfs_receiver(dir: &Path) -> (Guard, Env, String, String, std::path::PathBuf, Vec<u8>) {
    crate::support::need_root("btrfs and loop devices");
    let env = Env::new();
    let mut guard = Guard {
        files: Vec::new(),
        mnts: Vec::new(),
    };
    let b = btrfs_at(&mut guard, dir, "b");
    let name = unique("hd");
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[sync#1]\ntype = btrfs\nsrc = {}/data\ndst = {}/copy\ntarget = nodes\n",
        b.display(),
        b.display()
    );
    create(&env, &name, &ini);
    let id = env.svc_id(&name);
    let work = b.join("work");
    sh("btrfs", &["subvolume", "create", &work.to_string_lossy()]);
    std::fs::write(work.join("a"), "hi\n").unwrap();
    let ro = b.join("work-ro");
    sh(
        "btrfs",
        &[
            "subvolume",
            "snapshot",
            "-r",
            &work.to_string_lossy(),
            &ro.to_string_lossy(),
        ],
    );
    let stream = Command::new("btrfs")
        .args(["send", "-q", &ro.to_string_lossy()])
        .output()
        .expect("btrfs send");
    assert!(stream.status.success());
    (guard, env, name, id, b, stream.stdout)
}

/// A stream's paths are the sender's words: one with `../` in a file's
/// path writes nothing outside the receiving directory (btrfs receive
/// runs chrooted there), and what it left is removed.
#[test]
fn a_hostile_btrfs_stream_writes_nothing_outside_the_receiving_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (guard, env, name, id, b, stream) = btrfs_receiver(dir.path());
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let tosend = format!("data.{id}.sync#1@tosend");
    // the file's orphan name turned into ../../../victim/escaped
    let hostile = rewrite(&stream, |(cmd, attrs)| {
        let attrs = paths(attrs, |v| {
            if cmd == SUBVOL {
                tosend.as_bytes().to_vec()
            } else if v.starts_with(b"o") && v.contains(&b'-') {
                b"../../../victim/escaped".to_vec()
            } else {
                v.to_vec()
            }
        });
        Some((cmd, attrs))
    });
    let (code, err) = receive(&env, &receiver(&name, Some(&id), &["receive"]), hostile);
    assert_ne!(code, 0, "{err}");
    assert!(
        !victim.join("escaped").exists(),
        "btrfs receive wrote outside its directory: {err}"
    );
    assert!(!b.join(".om-sync").join(&tosend).exists(), "{err}");
    env.om(&[&name, "purge", "--local"]).ok();
    drop(guard);
}

/// A receive that ends well says nothing of what the stream made: one
/// that made a plain directory where the snapshot goes (a subvolume of
/// another name, then `mkdir ../NAME@tosend`) replaces neither `@sent`
/// nor the copy in `dst`.
#[test]
fn a_btrfs_stream_that_makes_no_snapshot_leaves_the_copy_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (guard, env, name, id, b, stream) = btrfs_receiver(dir.path());
    let copy = b.join("copy");
    sh("btrfs", &["subvolume", "create", &copy.to_string_lossy()]);
    std::fs::write(copy.join("keep"), "the last sync's copy\n").unwrap();
    let tosend = format!("../data.{id}.sync#1@tosend");
    // the subvolume is "x"; its file becomes a directory beside it, and
    // what the file's data and name were is dropped
    let hostile = rewrite(&stream, |(cmd, attrs)| {
        let path = path_of(&attrs).to_vec();
        match cmd {
            SUBVOL => Some((cmd, paths(attrs, |_| b"x".to_vec()))),
            MKFILE => Some((MKDIR, paths(attrs, |_| tosend.as_bytes().to_vec()))),
            _ if path.is_empty() || cmd == 21 => Some((cmd, attrs)),
            _ => None,
        }
    });
    let (code, err) = receive(&env, &receiver(&name, Some(&id), &["receive"]), hostile);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("the stream made no snapshot"), "{err}");
    assert_eq!(
        std::fs::read_to_string(copy.join("keep")).ok().as_deref(),
        Some("the last sync's copy\n"),
        "{err}"
    );
    env.om(&[&name, "purge", "--local"]).ok();
    drop(guard);
}

/// Untags `tag` (the test's own name for an image) however the test ends.
struct Untag(String);

impl Drop for Untag {
    fn drop(&mut self) {
        let _ = docker(&["rmi", &self.0]);
    }
}

/// `docker load` tags what the archive names: a sender's archive naming an
/// image the service's containers do not use (on a shared engine, another
/// service's) is refused, nothing loaded; the service's own loads.
#[test]
fn a_docker_sync_loads_no_image_the_service_does_not_use() {
    let env = Env::new();
    let img = registry_image();
    docker_ok(&["pull", "-q", &img]);
    let name = unique("hd");
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\n[container#1]\ntype = docker\nimage = {img}\ncommand = sh -c \"{LOOP}\"\n\
         [sync#1]\ntype = docker\ntarget = nodes\n"
    );
    create(&env, &name, &ini);
    let id = env.svc_id(&name);
    let other = format!("om-hostile-{}:latest", unique("t"));
    let _untag = Untag(other.clone());
    docker_ok(&["tag", &img, &other]);
    let save = |r: &str| {
        let out = docker(&["save", r]);
        assert!(out.status.success(), "docker save {r}");
        out.stdout
    };
    let archive = save(&other);
    docker_ok(&["rmi", &other]);
    let args = receiver(&name, Some(&id), &["load"]);
    let (code, err) = receive(&env, &args, archive);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "the images received name {other}, no image of its containers: nothing loaded"
        )),
        "{err}"
    );
    assert!(
        !docker(&["image", "inspect", &other]).status.success(),
        "{other} was loaded: {err}"
    );
    // not a docker save archive: refused, never "no names"
    let (code, err) = receive(&env, &args, b"not a tar".to_vec());
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("the images received: "), "{err}");
    // the service's own image loads
    let (code, err) = receive(&env, &args, save(&img));
    assert_eq!(code, 0, "{err}");
    env.om(&[&name, "purge", "--local"]).ok();
}

/// The receiving om checks the sync by its own config: a sender that is
/// not one of the service's nodes, or a sync whose targets here do not
/// include this node (a sender with another config), is refused before
/// anything is written.
#[test]
fn a_sync_is_received_only_from_a_node_of_the_service_into_one_of_its_targets() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let dst = dir.path().join("dst");
    let dst_word = dst.to_string_lossy().into_owned();
    let words = ["--server", "-logDtpre.iLsfxCIvu", ".", dst_word.as_str()];
    let name = unique("hd");
    // this node is one of the nodes, the sync sends to the drp node only
    let ini = format!(
        "[DEFAULT]\nnodes = {NODE} n2\ndrpnodes = n3\n[sync#1]\ntype = rsync\nsrc = {}/src/\ndst = {dst_word}\ntarget = drpnodes\n",
        dir.path().display(),
    );
    create(&env, &name, &ini);
    let id = env.svc_id(&name);
    let (code, err) = receive(&env, &receiver(&name, Some(&id), &words), Vec::new());
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "sync#1 does not send to {NODE} by its config here (its targets: n3)"
        )),
        "{err}"
    );
    assert!(!dst.exists(), "the receiver made its dst");
    // from a node that is no node of the service (here, the drp node)
    env.om(&[&name, "set", "--kw", "sync#1.target=nodes drpnodes"])
        .ok();
    let mut args = receiver(&name, Some(&id), &words);
    args[5] = "n3";
    let (code, err) = receive(&env, &args, Vec::new());
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("n3 is not one of its nodes here"), "{err}");
    assert!(!dst.exists(), "the receiver made its dst");
}

/// A sync's `dst` is what its `--delete` (rsync) or its replaced
/// subvolume (btrfs) removes on the target: never the service's own disk
/// file or another sync's `dst`, nor a tree that holds one of its mount
/// points; a `dst` on its own filesystem (the disaster recovery copy) is
/// the design. Refused with one line naming the key, nothing written.
#[test]
fn a_sync_dst_never_holds_the_service_s_own_data() {
    let env = Env::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().display();
    let sync = |dst: &str| {
        format!("[sync#1]\ntype = rsync\nsrc = {d}/src/\ndst = {dst}\ntarget = nodes\n")
    };
    let head = format!("[DEFAULT]\nnodes = {NODE} n2\n");
    let disk = format!("[disk#1]\ntype = loop\nfile = {d}/data/disk.img\nsize = 10m\n");
    let fs = format!("[fs#1]\ntype = ext4\ndev = {{disk#1.exposed_devs[0]}}\nmnt = {d}/srv/data\n");
    for (ini, key, how, other) in [
        (
            format!("{head}{disk}{}", sync(&format!("{d}/data"))),
            "sync#1.dst",
            "holds",
            "disk#1.file",
        ),
        (
            format!("{head}{disk}{fs}{}", sync(&format!("{d}/srv"))),
            "sync#1.dst",
            "holds",
            "fs#1.mnt",
        ),
        (
            format!(
                "{head}{}[sync#2]\ntype = rsync\nsrc = {d}/b/\ndst = {d}/x/y\ntarget = nodes\n",
                sync(&format!("{d}/x"))
            ),
            "sync#2.dst",
            "is inside",
            "sync#1.dst",
        ),
    ] {
        let name = unique("hd");
        let out = env.om_stdin(&[&name, "create", "--config=-"], &ini);
        assert_eq!(out.code, 1, "{ini}: {}", out.stderr);
        assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(": {key}: "))
                && out.stderr.contains(&format!("{how} its {other} (")),
            "{}",
            out.stderr
        );
        assert!(!env.conf(&name).exists());
    }
    // the copy on the service's own filesystem: taken
    let name = unique("hd");
    let ini = format!("{head}{disk}{fs}{}", sync(&format!("{d}/srv/data")));
    env.om_stdin(&[&name, "create", "--config=-"], &ini).ok();
}
