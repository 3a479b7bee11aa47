//! The sync kind's data (SPEC 17): `[sync#N] type = rsync`, a copy of
//! this node's `src` to the `dst` of the service's other nodes, sent by
//! `om SVC sync update|full`. What acts on it is `resource::sync`.

use super::head::Head;
use std::time::Duration;

/// Which of the service's node lists receive the copy (`target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Nodes,
    Drpnodes,
}

impl Target {
    pub const WORDS: &'static [&'static str] = &["nodes", "drpnodes"];

    pub fn parse(word: &str) -> Option<Target> {
        match word {
            "nodes" => Some(Target::Nodes),
            "drpnodes" => Some(Target::Drpnodes),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Nodes => "nodes",
            Target::Drpnodes => "drpnodes",
        }
    }
}

/// The agent's `sync_max_delay` default (1d3h): past it, status warns.
pub const MAX_DELAY: Duration = Duration::from_secs(27 * 3600);

/// How a sync resource copies (`type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncKind {
    /// Files, by rsync over om's transport.
    #[default]
    Rsync,
    /// A btrfs subvolume, by read-only snapshots sent with `btrfs send
    /// [-p LAST]` into `btrfs receive` on the target.
    Btrfs,
    /// The images of the service's containers that the target's engine
    /// lacks, by `docker save | docker load`.
    Docker,
}

impl SyncKind {
    pub const WORDS: &'static [&'static str] = &["rsync", "btrfs", "docker"];

    pub fn parse(word: &str) -> Option<SyncKind> {
        match word {
            "rsync" => Some(SyncKind::Rsync),
            "btrfs" => Some(SyncKind::Btrfs),
            "docker" => Some(SyncKind::Docker),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Rsync => "rsync",
            SyncKind::Btrfs => "btrfs",
            SyncKind::Docker => "docker",
        }
    }
}

/// A sync resource (rsync, btrfs or docker).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataSync {
    pub head: Head,
    pub kind: SyncKind,
    /// What is sent: absolute paths, passed to rsync as written (a
    /// trailing `/` sends a directory's contents).
    pub src: Vec<String>,
    /// Where it goes on each target node: an absolute path, no system
    /// directory (rsync's `--delete` removes what src lacks there).
    pub dst: String,
    pub target: Vec<Target>,
    pub options: Vec<String>,
    /// `options` alone, without om's defaults.
    pub reset_options: bool,
    /// A mount point that must be mounted on the target, else no sync.
    pub dstfs: Option<String>,
    /// rsync's `--bwlimit` (KiB/s, or with a unit rsync reads).
    pub bwlimit: Option<String>,
    pub max_delay: Duration,
}

impl DataSync {
    /// The label status shows: `rsync /srv/a/ to drpnodes`, `btrfs
    /// /srv/a to nodes`, `docker images to drpnodes`.
    pub fn label(&self) -> String {
        let targets: Vec<&str> = self.target.iter().map(|t| t.as_str()).collect();
        let what = match self.kind {
            SyncKind::Docker => "images".to_string(),
            _ => self.src.join(" "),
        };
        format!("{} {what} to {}", self.kind.as_str(), targets.join(" "))
    }

    /// The nodes of `svc` it sends to, in `nodes` then `drpnodes` order,
    /// each once (this node among them: the caller leaves it out).
    pub fn target_nodes<'a>(&self, svc: &'a super::Service, only: Option<Target>) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        for t in &self.target {
            if only.is_some_and(|o| o != *t) {
                continue;
            }
            let list = match t {
                Target::Nodes => &svc.nodes,
                Target::Drpnodes => &svc.drpnodes,
            };
            for n in list {
                if !out.contains(&n.as_str()) {
                    out.push(n);
                }
            }
        }
        out
    }
}
