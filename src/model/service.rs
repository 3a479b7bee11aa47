//! A service as its config says it, typed and validated (`config::read`
//! reads it): its resources, subsets, nodes, daemon, triggers and limits.

use super::container::Container;
use super::disk::Disk;
use super::fs::Fs;
use super::ip::Ip;
use super::limits::Limits;
use super::resource::Resource;
use super::sync::DataSync;
use super::trigger::{self, Triggers};
use super::volume::Volume;
use crate::nodename::is_local;
use crate::paths::SvcPath;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Service {
    pub path: SvcPath,
    pub id: String,
    pub rollback: bool,
    /// In natural rid order.
    pub containers: Vec<Container>,
    /// The ip resources (SPEC 16), in natural rid order.
    pub ips: Vec<Ip>,
    /// The disk and fs resources (SPEC 17), in natural rid order.
    pub disks: Vec<Disk>,
    pub fss: Vec<Fs>,
    /// The sync resources (SPEC 17), in natural rid order.
    pub syncs: Vec<DataSync>,
    /// The volume resources (SPEC 17), in natural rid order.
    pub volumes: Vec<Volume>,
    /// `(subset name, parallel)`, in name order.
    pub subsets: Vec<(String, bool)>,
    /// The service's private docker daemon (`docker_data_dir`), if any.
    pub daemon: Option<DaemonConfig>,
    /// `nodes` (this node alone by default), then `drpnodes`.
    pub nodes: Vec<String>,
    pub drpnodes: Vec<String>,
    /// `orchestrate = ha` (SPEC 18): Pacemaker runs the service, with these
    /// settings; None: om acts itself.
    pub ha: Option<Ha>,
    /// DEFAULT's triggers (around the service's actions), and the bound of
    /// every trigger.
    pub triggers: Triggers,
    pub trigger_timeout: Duration,
    /// The `pg_*` limits of the service's slice, and of each subset's.
    pub limits: Limits,
    pub subset_limits: Vec<(String, Limits)>,
    /// The resources by rid, built at the first lookup (`container`, `ip`):
    /// a service's resources are not added to once it is built.
    pub index: std::sync::OnceLock<std::collections::HashMap<String, (bool, usize)>>,
}

impl Service {
    /// Whether `node` is one of `drpnodes` and not of `nodes`: a start
    /// there is an operator's decision (`--force`).
    pub fn drp_only(&self, node: &str) -> bool {
        let listed = |list: &[String]| list.iter().any(|n| n == node || is_local(n, node));
        listed(&self.drpnodes) && !listed(&self.nodes)
    }

    /// Every node of the service, `nodes` then `drpnodes`, each once.
    pub fn all_nodes(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for n in self.nodes.iter().chain(&self.drpnodes) {
            if !all.contains(&n.as_str()) {
                all.push(n);
            }
        }
        all
    }

    /// `name` (a `--to` or `--node` operand) as a node of the service: as
    /// the config lists it (its ssh host), or `local` itself when it names
    /// this node (its full name or its first label); None when it is not
    /// one of `nodes` or `drpnodes`.
    pub fn node_named(&self, name: &str, local: &str) -> Option<String> {
        use is_local;
        let here = is_local(name, local);
        let found = self
            .all_nodes()
            .into_iter()
            .find(|n| *n == name || is_local(n, name) || (here && is_local(n, local)))?;
        Some(if here { local } else { found }.to_string())
    }

    /// The usage error of a `--to` or `--node` that is not a node of the
    /// service, naming its nodes.
    pub fn not_a_node(&self, name: &str) -> String {
        let drpnodes = if self.drpnodes.is_empty() {
            "none".to_string()
        } else {
            self.drpnodes.join(" ")
        };
        format!(
            "{}: {name} is not a node of the service (nodes: {}; drpnodes: {drpnodes})",
            self.path,
            self.nodes.join(" ")
        )
    }
}

/// What `orchestrate = ha` hands Pacemaker (SPEC 18).
#[derive(Clone, Debug, PartialEq)]
pub struct Ha {
    /// `migration_threshold`: failures on a node before Pacemaker moves the
    /// service away; None is INFINITY (never).
    pub migration_threshold: Option<u32>,
    /// `failure_timeout`: how long a failure counts; zero: until cleared.
    pub failure_timeout: Duration,
}

/// A private docker daemon as the config sets it (SPEC 11).
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonConfig {
    /// The keyword that set it: `docker_data_dir` or its alias.
    pub key: &'static str,
    /// `--data-root`: an absolute path.
    pub data_dir: String,
    /// `docker_daemon_args`, appended to the dockerd command line.
    pub args: Vec<String>,
    pub start_timeout: Duration,
}

impl Service {
    /// A service of `path` and `id` on `node` alone, with no resource,
    /// subset, daemon, trigger or limit: what the reader's stop mode and the unit
    /// tests start from (struct update sets the rest).
    pub fn bare(path: SvcPath, id: String, node: &str) -> Service {
        Service {
            path,
            id,
            rollback: true,
            containers: Vec::new(),
            ips: Vec::new(),
            disks: Vec::new(),
            fss: Vec::new(),
            syncs: Vec::new(),
            volumes: Vec::new(),
            subsets: Vec::new(),
            daemon: None,
            nodes: vec![node.to_string()],
            drpnodes: Vec::new(),
            ha: None,
            triggers: Default::default(),
            trigger_timeout: trigger::TIMEOUT,
            limits: Default::default(),
            subset_limits: Vec::new(),
            index: Default::default(),
        }
    }
}

#[cfg(test)]
impl Service {
    /// A service for unit tests: `path`, id `id1`, `containers`, on node
    /// n1 alone (see `bare`).
    pub fn for_test(path: &str, containers: Vec<Container>) -> Service {
        Service {
            containers,
            ..Service::bare(SvcPath::parse(path).unwrap(), "id1".into(), "n1")
        }
    }
}

impl Service {
    /// Every resource, kind by kind (volumes, disks, filesystems,
    /// containers, then ips: SPEC 17's start order where nothing else
    /// orders them), each in natural rid order.
    pub fn resources(&self) -> Vec<Resource<'_>> {
        let data = self.volumes.iter().map(Resource::Volume);
        let data = data.chain(self.disks.iter().map(Resource::Disk));
        let data = data.chain(self.fss.iter().map(Resource::Fs));
        let containers = self.containers.iter().map(Resource::Container);
        data.chain(containers)
            .chain(self.ips.iter().map(Resource::Ip))
            .chain(self.syncs.iter().map(Resource::Sync))
            .collect()
    }

    /// The disk resource `rid`.
    pub fn disk(&self, rid: &str) -> Option<&Disk> {
        self.disks.iter().find(|d| d.head.rid == rid)
    }

    /// The fs resource `rid`.
    pub fn fs(&self, rid: &str) -> Option<&Fs> {
        self.fss.iter().find(|f| f.head.rid == rid)
    }

    /// The volume resource `rid` (a service has a few: looked for).
    pub fn volume(&self, rid: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.head.rid == rid)
    }

    /// The container resource `rid`.
    pub fn container(&self, rid: &str) -> Option<&Container> {
        match self.lookup(rid) {
            Some((false, i)) => match self.containers.get(i) {
                Some(c) if c.head.rid == rid => Some(c),
                // moved since the index was built: looked for
                _ => self.containers.iter().find(|c| c.head.rid == rid),
            },
            _ => None,
        }
    }

    /// The ip resource `rid`.
    pub fn ip(&self, rid: &str) -> Option<&Ip> {
        match self.lookup(rid) {
            Some((true, i)) => match self.ips.get(i) {
                Some(x) if x.head.rid == rid => Some(x),
                _ => self.ips.iter().find(|x| x.head.rid == rid),
            },
            _ => None,
        }
    }

    /// The sync resource `rid` (a few per service: looked for).
    pub fn sync(&self, rid: &str) -> Option<&DataSync> {
        self.syncs.iter().find(|s| s.head.rid == rid)
    }

    /// `(is an ip, its index)`: a lookup in constant time, however many
    /// resources the service has.
    fn lookup(&self, rid: &str) -> Option<(bool, usize)> {
        let index = self.index.get_or_init(|| {
            let containers = self.containers.iter().enumerate();
            let c = containers.map(|(i, c)| (c.head.rid.to_string(), (false, i)));
            let ips = self.ips.iter().enumerate();
            c.chain(ips.map(|(i, x)| (x.head.rid.to_string(), (true, i))))
                .collect()
        });
        index.get(rid).copied()
    }

    /// The rids, for "no such resource" messages: `container#1, container#2`.
    pub fn rid_list(&self) -> String {
        let rids: Vec<&str> = self
            .resources()
            .iter()
            .map(|r| r.head().rid.as_str())
            .collect();
        if rids.is_empty() {
            "none".into()
        } else {
            rids.join(", ")
        }
    }
}
