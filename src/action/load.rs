//! A service's config as one action on this node reads it: once.
//!
//! The action reads the config before it takes the lock (its nodes say
//! whether it acts here or across the nodes, SPEC 12, and the other nodes
//! are asked without this node's lock held); what it then acts on, under
//! the lock, must be the config in place under the lock. So the file's
//! identity is taken before it is read (`Stamp`: device, inode, size,
//! modification and change times), and again under the lock: the same
//! identity, the same text (every writer of a config takes the lock and
//! replaces the file, a hand edit changes its times), and the read is used;
//! another, and the config is read again, under the lock.

use super::Action;
use crate::config::{self, check::Report, ini::Document};
use crate::error::Result;
use crate::fsutil::Under;
use crate::host::Host;
use crate::model::Service;
use crate::paths::SvcPath;
use std::os::unix::fs::MetadataExt;

/// A config file's identity: what changes when it is written or replaced.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    /// The identity of `path`'s config file now, through a symbolic link
    /// as the read goes (a link retargeted or its target rewritten is
    /// another identity); none when it can not be told (then the config
    /// is read again under the lock). A rewrite that lands on a reused
    /// inode with the same size within one timestamp tick would pass for
    /// the same file: filesystems with nanosecond times (ext4, xfs,
    /// btrfs) make that a matter of nanoseconds.
    fn of(path: &SvcPath, host: &Host) -> Option<Stamp> {
        let m = std::fs::metadata(path.conf_file(&host.roots)).ok()?;
        Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

/// The config of one service, read and checked once for an action; what
/// the check said (unknown keywords) kept to be said when the action acts
/// on it, where the action's own read said it.
pub struct ConfigRead {
    path: SvcPath,
    stamp: Option<Stamp>,
    notes: Vec<String>,
    doc: Document,
    report: Report,
}

impl ConfigRead {
    /// Reads `path`'s config (its identity first), saying nothing.
    pub fn of(path: &SvcPath, host: &Host) -> Result<ConfigRead> {
        let stamp = Stamp::of(path, host);
        let mut notes = Vec::new();
        let (doc, report) =
            config::read_noting(path, host, &Under::paths(&host.roots.etc), &mut |w| {
                notes.push(w)
            })?;
        Ok(ConfigRead {
            path: path.clone(),
            stamp,
            notes,
            doc,
            report,
        })
    }

    /// The service, when the config loads (`config::load`'s rule).
    pub fn service(&self) -> Option<&Service> {
        self.report
            .service
            .as_ref()
            .filter(|_| self.report.errors.is_empty())
    }

    /// The service as `config::load` gives it, its warnings said as it
    /// says them (a command that reads the config before its steps).
    pub fn load(&self) -> Result<Service> {
        for n in &self.notes {
            crate::text::say(n);
        }
        config::typed(&self.path, &self.report)
    }

    /// The raw document, as read.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// Whether the file is still the one read (see the module's doc).
    fn current(&self, host: &Host) -> bool {
        self.stamp.is_some() && Stamp::of(&self.path, host) == self.stamp
    }

    /// What `kind` acts on, as its own read under the lock would type it:
    /// the service, and whether every container of it could be identified
    /// (a stop acts on what a config with errors still names, see
    /// `config::load_for_stop`). None when the file changed since it was
    /// read: the caller reads it again.
    fn typed(&self, host: &Host, kind: Action) -> Option<Result<(Service, bool)>> {
        if !self.current(host) {
            return None;
        }
        crate::debug::line(host.debug.as_ref(), || {
            format!(
                "config {} unchanged since its read before the lock: not read again",
                self.path.conf_file(&host.roots).display()
            )
        });
        for n in &self.notes {
            crate::text::say(n);
        }
        Some(if kind.stops() {
            config::typed_for_stop(&self.path, host, &self.doc, &self.report)
        } else {
            config::typed(&self.path, &self.report).map(|s| (s, true))
        })
    }
}

/// What `kind` acts on, read under the lock: `read` when the file is still
/// the one it read, else the file as it is now.
pub fn under_lock(
    host: &Host,
    path: &SvcPath,
    kind: Action,
    read: Option<&ConfigRead>,
) -> Result<(Service, bool)> {
    if let Some(got) = read
        .filter(|r| r.path == *path)
        .and_then(|r| r.typed(host, kind))
    {
        return got;
    }
    if kind.stops() {
        config::load_for_stop(path, host)
    } else {
        Ok((config::load(path, host)?.1, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Roots;

    fn config(image: &str) -> String {
        format!("[DEFAULT]\nid = 0f1e2d3c-0000-4000-8000-000000000001\n\n[container#1]\ntype = docker\nimage = {image}\n")
    }

    #[test]
    fn a_read_is_acted_on_while_the_file_is_the_one_read_and_read_again_once_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let host = Host::for_test(Roots::under(dir.path()), "n1");
        let path = SvcPath::parse("s1").unwrap();
        let file = path.conf_file(&host.roots);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        config::write_atomic(&file, &config("img1"), &host.roots).unwrap();
        let read = ConfigRead::of(&path, &host).unwrap();
        assert!(read.current(&host));
        let image = |kind| {
            let (svc, complete) = under_lock(&host, &path, kind, Some(&read)).unwrap();
            assert!(complete);
            svc.containers[0].image.clone()
        };
        assert_eq!(image(Action::Start), "img1");
        // a write between the read and the lock (a `set`, an edit): what
        // the action acts on is the file under the lock
        config::write_atomic(&file, &config("img2"), &host.roots).unwrap();
        assert!(!read.current(&host));
        assert_eq!(image(Action::Start), "img2");
        assert_eq!(image(Action::Stop), "img2");
        // gone meanwhile: the error of the read under the lock
        std::fs::remove_file(&file).unwrap();
        let gone = under_lock(&host, &path, Action::Start, Some(&read));
        assert!(gone.is_err_and(|e| e.to_string().contains("does not exist")));
    }
}
