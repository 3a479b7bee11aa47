//! Where a data resource's paths may be on this host (SPEC 17, checked
//! like data dirs, SPEC 11): a disk's `file` and an fs's `mnt`, their
//! links followed, are never `/`, a system directory, dockerd's default
//! data root, the data root of a running dockerd or of
//! /etc/docker/daemon.json, another service's data dir, nor one of om's
//! own trees (its configs, state and logs); nor what another service of
//! this node names for the same (its loop file, its mount point: one
//! service's stop would take the other's data away). A sync's `dst`
//! (rsync, btrfs) is checked the same way, and is a tree no other
//! service's path may be, hold or be inside (rsync's `--delete` and
//! btrfs's replaced subvolume remove what is there). What `create`,
//! `set`, `validate`, every start and the receiving side of a sync run.

use crate::docker::system_dirs::{check_elsewhere, real};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::model::disk::Driver;
use crate::model::sync::SyncKind;
use crate::model::Service;
use std::path::{Path, PathBuf};

/// What a path of a data resource is: a disk's file, an fs's mount
/// point, or a sync's destination (a tree it replaces).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Mnt,
    Dst,
}

/// Whether two services' paths (`p` of kind `k`, `o` of kind `ok`) would
/// share data: the same path, nested mount points, or a sync destination
/// equal to, inside or holding any other path.
fn shared(p: &Path, k: Kind, o: &Path, ok: Kind) -> bool {
    let nested = o.starts_with(p) || p.starts_with(o);
    match (k, ok) {
        (Kind::Dst, _) | (_, Kind::Dst) => nested,
        (Kind::Mnt, Kind::Mnt) => nested,
        (Kind::File, Kind::File) => o == p,
        _ => false,
    }
}

/// Whether two paths of one service would have a sync destroy the other:
/// a `dst` (what rsync's `--delete` and btrfs's replaced subvolume
/// remove) that is, holds or is inside its own disk file or another
/// sync's `dst`, or holds one of its own mount points (a `dst` on its
/// own filesystem, the disaster recovery copy, is the design).
fn own_clash(p: &Path, k: Kind, o: &Path, ok: Kind) -> bool {
    let nested = o.starts_with(p) || p.starts_with(o);
    match (k, ok) {
        (Kind::Dst, Kind::Dst | Kind::File) | (Kind::File, Kind::Dst) => nested,
        (Kind::Dst, Kind::Mnt) => o != p && o.starts_with(p),
        (Kind::Mnt, Kind::Dst) => o != p && p.starts_with(o),
        _ => false,
    }
}

/// The paths `svc` names on a node: (key, path as written, kind).
fn paths_of(svc: &Service) -> Vec<(String, String, Kind)> {
    let files = svc.disks.iter().filter_map(|d| match &d.driver {
        Driver::Loop(l) => Some((format!("{}.file", d.head.rid), l.file.clone(), Kind::File)),
        Driver::Vg(_) | Driver::Lv(_) => None,
    });
    let mnts = svc
        .fss
        .iter()
        .map(|f| (format!("{}.mnt", f.head.rid), f.mnt.clone(), Kind::Mnt));
    let dsts = svc
        .syncs
        .iter()
        .filter(|s| s.kind != SyncKind::Docker)
        .map(|s| (format!("{}.dst", s.head.rid), s.dst.clone(), Kind::Dst));
    files.chain(mnts).chain(dsts).collect()
}

/// A directory a path of the service may not be, hold or be inside.
struct Guarded {
    path: PathBuf,
    what: String,
}

/// The one check of `svc`'s disk files and mount points against this
/// host: the config error naming the first key at fault.
pub fn check_host(svc: &Service, host: &Host) -> Result<()> {
    let own = paths_of(svc);
    if own.is_empty() {
        return Ok(());
    }
    let (guarded, others) = known(svc, host)?;
    let mut seen: Vec<(&str, PathBuf, Kind)> = Vec::new();
    for (key, raw, kind) in &own {
        let p = super::real_within(key, raw)?;
        let refuse = |why: String| {
            Error::config(
                key.clone(),
                format!(
                    "'{}' resolves to '{}', which {why}",
                    raw.escape_debug(),
                    p.display()
                ),
            )
        };
        check_elsewhere(&p.to_string_lossy()).map_err(|why| refuse(why.to_string()))?;
        for g in &guarded {
            let what = &g.what;
            let gp = g.path.display();
            if p == g.path {
                return Err(refuse(format!("is {what} ({gp})")));
            }
            if g.path.starts_with(&p) {
                return Err(refuse(format!("holds {what} ({gp})")));
            }
            if p.starts_with(&g.path) {
                return Err(refuse(format!("is inside {what} ({gp})")));
            }
        }
        for (other, oraw, o_kind) in &others {
            // another's path that does not answer: compared as written
            let o = super::real_within(other, oraw).unwrap_or_else(|_| PathBuf::from(oraw));
            if shared(&p, *kind, &o, *o_kind) {
                return Err(refuse(format!(
                    "is also {other} ({}): one service's data is not another's",
                    o.display()
                )));
            }
        }
        for (other, o, o_kind) in &seen {
            if own_clash(&p, *kind, o, *o_kind) {
                let how = if p == *o {
                    "is"
                } else if o.starts_with(&p) {
                    "holds"
                } else {
                    "is inside"
                };
                return Err(refuse(format!(
                    "{how} its {other} ({}): a sync's dst there would remove it",
                    o.display()
                )));
            }
        }
        seen.push((key, p.clone(), *kind));
    }
    Ok(())
}

/// This host's engine data roots, om's trees, and what the other
/// services of this node name (`the disk#1.file of service S`, path, whether a
/// mount point). A listing that fails is an error (silence is not "no
/// other service"); a config that can not be read is no service to start.
#[allow(clippy::type_complexity)]
fn known(svc: &Service, host: &Host) -> Result<(Vec<Guarded>, Vec<(String, String, Kind)>)> {
    let roots = &host.roots;
    let mut guarded: Vec<Guarded> = roots
        .trees()
        .iter()
        .map(|t| Guarded {
            path: real(t),
            what: "a directory of om's own".into(),
        })
        .collect();
    if let Some(r) = crate::docker::data_dir::configured_root() {
        guarded.push(Guarded {
            path: real(Path::new(&r)),
            what: "the data root of /etc/docker/daemon.json".into(),
        });
    }
    let socket = crate::docker::socket::socket_of(&svc.path, roots);
    for (pid, r) in crate::docker::data_dir::running_roots(&socket) {
        guarded.push(Guarded {
            path: real(Path::new(&r)),
            what: format!("the data root of the dockerd of pid {pid}"),
        });
    }
    let mut others = Vec::new();
    let paths = crate::paths::list_services(roots)
        .map_err(|e| Error::Failed(format!("the other services can not be listed: {e}")))?;
    for path in paths.into_iter().filter(|p| *p != svc.path) {
        let Ok(o) = crate::config::load_quiet(&path, host) else {
            continue;
        };
        if let Some(d) = &o.daemon {
            guarded.push(Guarded {
                path: real(Path::new(&d.data_dir)),
                what: format!("the data dir of service {path}"),
            });
        }
        others.extend(
            paths_of(&o)
                .into_iter()
                .map(|(key, raw, kind)| (format!("the {key} of service {path}"), raw, kind)),
        );
    }
    Ok((guarded, others))
}
