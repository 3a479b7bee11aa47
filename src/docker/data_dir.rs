//! A private daemon's data dir (SPEC 11). dockerd owns its data root: it
//! renames, deletes and recreates `DATA/tmp`, creates its stores there
//! and chmods it. So om gives it only a directory om owns: named by its
//! real path (no symbolic link on the way), not a system directory, not
//! om's own trees, not another engine's data root (the host engine's, a
//! running dockerd's, another service's data dir), and new, empty, or
//! marked by om as this service's (`MARKER`, which om writes when it
//! creates or first takes the directory).

use super::system_dirs::static_check;
use super::system_dirs::{inode, Guarded, Rule, DEFAULT_ROOT, SYSTEM, TREES};
use crate::config::eval::Evaluator;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::euid;
use crate::model::{DaemonConfig, Service};
use crate::paths::{list_services, SvcPath};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// om's mark in a data dir it initialised: a file of om's user, mode
/// 0600, holding the service id.
pub const MARKER: &str = ".om-owner";

/// Another service of this node, as far as its config says.
pub struct Other {
    pub path: SvcPath,
    pub id: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// What a refusal of a data dir becomes: `DEFAULT.KEY: 'DIR' WHY` when
/// the config is checked, `DIR: WHY` when the daemon's start makes it.
type Refuse<'a> = &'a dyn Fn(String) -> Error;

/// Checks `conf.data_dir` (service `svc`'s) against this host: the
/// warnings, or the config error naming the key.
pub fn check(
    svc: &Service,
    conf: &DaemonConfig,
    host: &crate::host::Host,
    socket: &Path,
) -> Result<Vec<String>> {
    let refuse = |why: String| {
        Error::config(
            format!("DEFAULT.{}", conf.key),
            format!("'{}' {why}", conf.data_dir.escape_debug()),
        )
    };
    let (dir, exists) = own_path(&conf.data_dir, &refuse)?;
    let others = other_services(svc, host)?;
    let (guarded, warnings) = guarded_dirs(conf, host, socket, &others);
    let ino = if exists { inode(&dir) } else { None };
    // what it is before what it holds or is in: '/' is a system directory
    let why = guarded
        .iter()
        .find(|g| g.path == dir)
        .or_else(|| guarded.iter().find(|g| g.refuses(&dir, ino).is_some()));
    if let Some(why) = why.and_then(|g| g.refuses(&dir, ino)) {
        return Err(refuse(why));
    }
    if exists {
        owned(&dir, &svc.id, &others, &refuse)?;
    }
    Ok(warnings)
}

/// The directories a data dir may not be, hold or be inside on this
/// host, the engines' first (so that a refusal names the most precise
/// reason); and the warning when the host engine could not say its root.
fn guarded_dirs(
    conf: &DaemonConfig,
    host: &crate::host::Host,
    socket: &Path,
    others: &[Other],
) -> (Vec<Guarded>, Vec<String>) {
    let roots = &host.roots;
    let mut warnings = Vec::new();
    let mut guarded = Vec::new();
    for o in others {
        if let Some(d) = &o.data_dir {
            guarded.push(Guarded::new(
                d,
                Rule::Tree,
                format!("the data dir of service {}", o.path),
            ));
        }
    }
    match host_root(&host.docker) {
        Ok(root) => guarded.push(Guarded::new(root, Rule::Tree, "the host engine's data root")),
        // Not known from the engine: the data roots every running dockerd
        // names on its command line (read from /proc below), daemon.json's
        // and dockerd's default stand for it, so nothing is concluded from
        // the silence; and a hung host engine does not stop every tenant's
        // daemon, a stop's included (SPEC 7: stop always works).
        Err(HostRoot::Down(why) | HostRoot::Unreadable(why)) => warnings.push(format!(
            "the host's docker engine could not be asked for its data root ({why}): {} is compared with the data roots of the running dockerd processes, {DEFAULT_ROOT} and /etc/docker/daemon.json's data-root",
            conf.key
        )),
    }
    if let Some(root) = configured_root() {
        guarded.push(Guarded::new(
            root,
            Rule::Tree,
            "the data root of /etc/docker/daemon.json",
        ));
    }
    for (pid, root) in running_roots(socket) {
        guarded.push(Guarded::new(
            root,
            Rule::Tree,
            format!("the data root of the dockerd of pid {pid}"),
        ));
    }
    guarded.push(Guarded::new(
        DEFAULT_ROOT,
        Rule::Tree,
        "dockerd's default data root",
    ));
    for (tree, rule) in [
        (&roots.etc, Rule::Tree),
        (&roots.log, Rule::Tree),
        // the services' state (their sockets, locks, and what a purge
        // removes whole) is no place for a store
        (&roots.var, Rule::Tree),
    ] {
        guarded.push(Guarded::new(tree, rule, "a directory of om's own"));
    }
    let system = |dirs: &[&str], rule| {
        dirs.iter()
            .map(move |d| Guarded::new(*d, rule, "a system directory"))
            .collect::<Vec<_>>()
    };
    guarded.extend(system(SYSTEM, Rule::Is));
    guarded.extend(system(TREES, Rule::Tree));
    (guarded, warnings)
}

/// `data_dir` as a path, and whether it exists; refused when a symbolic
/// link, or something other than a directory, is on the way, or when a
/// parent is another user's or open to others (not sticky): they could
/// swap the directory for a link between the check and the daemon.
fn own_path(data_dir: &str, refuse: Refuse) -> Result<(PathBuf, bool)> {
    // The one check does not count on the config reader's: a lenient
    // read (a stop of a config broken elsewhere) hands the raw value on,
    // and dockerd, run from `/`, would take `var/lib/docker` for
    // /var/lib/docker.
    static_check(data_dir).map_err(|e| refuse(e.to_string()))?;
    let path: PathBuf = Path::new(data_dir).components().collect();
    let mut at = PathBuf::new();
    for c in path.components() {
        if let Ok(m) = std::fs::symlink_metadata(&at) {
            // `at` is a parent, checked below as a directory already
            let others_write = m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0;
            if others_write || (m.uid() != 0 && m.uid() != euid()) {
                return Err(refuse(format!(
                    "is under {}, which another user could change (owned by uid {}, mode {:o}): a data dir's parents are root's or om's user's, and open to others only when sticky",
                    at.display(),
                    m.uid(),
                    m.mode() & 0o7777
                )));
            }
        }
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&at).unwrap_or_default();
                return Err(refuse(format!(
                    "goes through a symbolic link ({} -> {}): name the real directory",
                    at.display(),
                    to.display()
                )));
            }
            Ok(m) if !m.is_dir() && at == path => return Err(refuse("is not a directory".into())),
            Ok(m) if !m.is_dir() => {
                return Err(refuse(format!(
                    "is under {}, which is not a directory",
                    at.display()
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((path, false)),
            Err(e) => return Err(refuse(format!("{}: {e}", at.display()))),
        }
    }
    Ok((path, true))
}

/// An existing data dir: om's user's, and empty or marked as this
/// service's.
fn owned(dir: &Path, id: &str, others: &[Other], refuse: Refuse) -> Result<()> {
    let meta =
        std::fs::symlink_metadata(dir).map_err(|e| refuse(format!("can not be read: {e}")))?;
    if meta.uid() != euid() {
        return Err(refuse(format!(
            "belongs to uid {}, not to om's user (uid {})",
            meta.uid(),
            euid()
        )));
    }
    // another user could plant links in it (`containers`, `image`, …)
    // before dockerd chmods it, and dockerd, as root, writes through them
    if meta.mode() & 0o022 != 0 {
        return Err(refuse(format!(
            "is writable by other users (mode {:o}): chmod go-w it, or name a new directory",
            meta.mode() & 0o7777
        )));
    }
    match mark_of(dir, refuse)? {
        Some(mark) if mark == id => Ok(()),
        Some(mark) => Err(refuse(
            match others.iter().find(|o| o.id.as_deref() == Some(&mark)) {
                Some(o) => format!(
                    "is the data dir om initialised for service {} (its {MARKER} holds that id)",
                    o.path
                ),
                None => format!(
                    "was initialised by om for another service (its {MARKER} holds id {})",
                    mark.escape_debug()
                ),
            },
        )),
        None => {
            let empty = crate::fsutil::is_empty_dir(dir)
                .map_err(|e| refuse(format!("can not be listed: {e}")))?;
            if !empty {
                return Err(refuse(format!(
                    "is not empty and om did not initialise it (no {MARKER}): a private daemon gets a new or empty directory, which om marks as the service's"
                )));
            }
            Ok(())
        }
    }
}

/// Whether `dir` holds om's mark of service `id`: a daemon of that
/// service ran on it (om marks a data dir before its first daemon start).
pub fn marked_for(dir: &str, id: &str) -> bool {
    matches!(mark_of(Path::new(dir), &Error::Failed), Ok(Some(m)) if m == id)
}

/// The service id in `dir`'s mark, if it has one; a mark that is not
/// om's (another user's, open to others, not a file) is an error.
fn mark_of(dir: &Path, refuse: Refuse) -> Result<Option<String>> {
    let file = dir.join(MARKER);
    let meta = match std::fs::symlink_metadata(&file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(refuse(format!("{}: {e}", file.display()))),
        Ok(m) => m,
    };
    if !meta.is_file() || meta.uid() != euid() || meta.mode() & 0o077 != 0 {
        return Err(refuse(format!(
            "holds {}, which is not om's mark (a file of om's user, mode 0600)",
            file.display()
        )));
    }
    let text = crate::fsutil::read_regular(&file)
        .map_err(|e| refuse(format!("{}: {e}", file.display())))?;
    Ok(Some(text.trim().to_string()))
}

/// Creates the data dir when it does not exist, and marks it as `id`'s
/// (exclusively: of two starts taking one directory, one fails). Run
/// after `check`, under the daemon's lock.
pub fn mark(dir: &Path, id: &str) -> Result<()> {
    let refuse = |why: String| Error::Failed(format!("{}: {why}", dir.display()));
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).at("", parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(Error::io("", dir, e))
        }
        _ => {}
    }
    // what was made, or found, is still a directory of om's user with
    // no link on the way
    if !own_path(&dir.to_string_lossy(), &refuse)?.1 {
        return Err(refuse("gone meanwhile".into()));
    }
    let uid = std::fs::symlink_metadata(dir).map_or(u32::MAX, |m| m.uid());
    if uid != euid() {
        return Err(refuse(format!("belongs to uid {uid}")));
    }
    let file = dir.join(MARKER);
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&file);
    match created {
        Ok(mut f) => f
            .write_all(format!("{id}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .at("", &file),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match mark_of(dir, &Error::Failed)? {
                Some(m) if m == id => Ok(()),
                _ => Err(refuse("taken meanwhile by another service".into())),
            }
        }
        Err(e) => Err(Error::io("", &file, e)),
    }
}

/// The other services of this node and their data dirs (as far as their
/// configs can be read: a config that can not is no service to start). A
/// listing that fails is an error: silence is not "no other service".
pub fn other_services(svc: &Service, host: &crate::host::Host) -> Result<Vec<Other>> {
    let (roots, node) = (&host.roots, host.node.as_str());
    Ok(list_services(roots)
        .map_err(|e| Error::Failed(format!("the other services can not be listed: {e}")))?
        .into_iter()
        .filter(|p| *p != svc.path)
        .filter_map(|path| {
            let doc = crate::config::read_document(&path, roots).ok()?;
            let id = doc.get("DEFAULT", "id").map(String::from);
            let eval = Evaluator::new(&doc, &path, node, &host.env);
            // a daemon keyword broken elsewhere still names the directory
            let data_dir = match crate::config::read::daemon(&eval) {
                Ok(d) => d.map(|d| d.data_dir),
                Err(_) => ["docker_data_dir", "container_data_dir"]
                    .iter()
                    .find_map(|k| eval.get("DEFAULT", k).ok().flatten())
                    .filter(|v| !v.is_empty()),
            }
            .map(PathBuf::from)
            .filter(|d| d.is_absolute());
            Some(Other {
                path: path.clone(),
                id,
                data_dir,
            })
        })
        .collect())
}

enum HostRoot {
    /// The engine does not run (docker says it can not connect).
    Down(String),
    /// Its answer could not be read (a timeout, an odd answer).
    Unreadable(String),
}

/// The host engine's data root, as it says (`docker info`).
fn host_root(cli: &crate::host::DockerCli) -> std::result::Result<PathBuf, HostRoot> {
    let engine = super::Engine::host(cli);
    let cmd = engine.cmd(["info", "--format", "{{.DockerRootDir}}"]);
    let out = crate::process::capture(&cmd, engine.bound())
        .map_err(|e| HostRoot::Unreadable(e.to_string()))?;
    if !out.success() {
        let line = crate::text::escape_controls(&out.error_line()).into_owned();
        return Err(if super::inspect::engine_unreachable(&out.stderr) {
            HostRoot::Down(line)
        } else {
            HostRoot::Unreadable(format!("{cmd}: {line}"))
        });
    }
    let root = out.stdout.trim();
    if !root.starts_with('/') {
        return Err(HostRoot::Unreadable(format!(
            "{cmd} answered '{}'",
            root.escape_debug()
        )));
    }
    Ok(PathBuf::from(root))
}

/// The data root `/etc/docker/daemon.json` gives the host engine, if any.
pub(crate) fn configured_root() -> Option<String> {
    let text = std::fs::read_to_string("/etc/docker/daemon.json").ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["data-root", "graph"]
        .iter()
        .find_map(|k| json.get(k)?.as_str().map(String::from))
        .filter(|r| r.starts_with('/'))
}

/// The data root of every running dockerd but the one on `socket` (this
/// service's own): a flag on its command line, else dockerd's default.
pub(crate) fn running_roots(socket: &Path) -> Vec<(u32, String)> {
    let own = format!("unix://{}", socket.display());
    crate::procs::all()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.comm == "dockerd")
        .filter_map(|p| {
            let words = p.argv();
            if super::daemon_args::hosts(&words).contains(&own.as_str()) {
                return None;
            }
            let root = super::daemon_args::data_root(&words)
                .filter(|r| r.starts_with('/'))
                .unwrap_or_else(|| DEFAULT_ROOT.into());
            Some((p.pid, root))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::system_dirs::real;

    /// A refusal as the sentence it says.
    fn own_path(dir: &str) -> std::result::Result<(PathBuf, bool), String> {
        super::own_path(dir, &Error::Failed).map_err(|e| e.to_string())
    }

    fn owned(dir: &Path, id: &str, others: &[Other]) -> std::result::Result<(), String> {
        super::owned(dir, id, others, &Error::Failed).map_err(|e| e.to_string())
    }

    #[test]
    fn a_data_dir_is_compared_with_real_paths() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("link")).unwrap();
        let link = dir.path().join("link/docker");
        let err = own_path(link.to_str().unwrap()).unwrap_err();
        assert!(err.starts_with("goes through a symbolic link"), "{err}");
        let (p, exists) = own_path(&format!("{}//victim/./", dir.path().display())).unwrap();
        assert_eq!((p, exists), (victim.clone(), true));
        assert_eq!(
            real(&dir.path().join("link/new/x")),
            std::fs::canonicalize(&victim).unwrap().join("new/x")
        );
        let g = Guarded::new(&victim, Rule::Tree, "v");
        assert!(g.refuses(dir.path(), None).unwrap().starts_with("holds v"));
        let inside = g.refuses(&victim.join("a"), None).unwrap();
        assert!(inside.starts_with("is inside v"), "{inside}");
        let g = Guarded::new(&victim, Rule::Is, "v");
        assert_eq!(g.refuses(&victim.join("a"), None), None);
        // a parent open to others, not sticky: refused; sticky: fine
        use std::os::unix::fs::PermissionsExt;
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = own_path(&format!("{}/docker", open.display())).unwrap_err();
        assert!(err.contains("which another user could change"), "{err}");
        assert!(mark(&open.join("docker"), "id").is_err());
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(own_path(&format!("{}/docker", open.display())).is_ok());
        // what dockerd, run from '/', would read elsewhere
        assert_eq!(
            own_path("var/lib/docker").unwrap_err(),
            "is not an absolute path"
        );
        let up = format!("{}/x/../../etc/new", victim.display());
        assert!(own_path(&up).unwrap_err().starts_with("holds '..'"));
    }

    #[test]
    fn the_static_rules_read_the_path_alone() {
        for (dir, want) in [
            ("/", "is a system directory (/)"),
            ("//var/./lib/", "is a system directory (/var/lib)"),
            ("/etc/docker", "is inside a system directory (/etc)"),
            ("/usr", "is a system directory (/usr)"),
            ("/home/someone", "is a user's home directory"),
            ("data", "is not an absolute path"),
            ("/srv/a/../b", "holds '..': name the directory itself"),
        ] {
            assert_eq!(static_check(dir).unwrap_err().to_string(), want, "{dir}");
        }
        // a directory that does not exist here is fine: its host's to check
        for dir in [
            "/srv/om/n2",
            "/var/lib/om-none/x",
            "/home/someone/docker",
            "/data/d",
        ] {
            assert_eq!(static_check(dir), Ok(()), "{dir}");
        }
    }

    #[test]
    fn a_data_dir_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = owned(&data, "id", &[]).unwrap_err();
        assert!(
            err.starts_with("is writable by other users (mode 777)"),
            "{err}"
        );
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(owned(&data, "id", &[]), Ok(()));
    }

    #[test]
    fn a_mark_is_om_s_and_names_its_service() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("new/docker");
        mark(&data, "id-1").unwrap();
        assert_eq!(
            mark_of(&data, &Error::Failed).unwrap().as_deref(),
            Some("id-1")
        );
        mark(&data, "id-1").unwrap();
        assert!(mark(&data, "id-2")
            .unwrap_err()
            .to_string()
            .contains("taken meanwhile"));
        assert_eq!(owned(&data, "id-1", &[]), Ok(()));
        let err = owned(&data, "id-2", &[]).unwrap_err();
        assert!(err.contains("for another service"), "{err}");
        let full = dir.path().join("full");
        std::fs::create_dir(&full).unwrap();
        assert_eq!(owned(&full, "id-1", &[]), Ok(()), "empty");
        std::fs::write(full.join("precious"), "x").unwrap();
        let err = owned(&full, "id-1", &[]).unwrap_err();
        assert!(
            err.starts_with("is not empty and om did not initialise it"),
            "{err}"
        );
        std::fs::write(full.join(MARKER), "id-1\n").unwrap();
        let err = owned(&full, "id-1", &[]).unwrap_err();
        assert!(err.contains("not om's mark"), "mode 0644: {err}");
    }
}
