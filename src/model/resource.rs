//! The resource kinds as one enum: a resource of any kind, as the plan and
//! the actions see it. An action dispatches on the kind in one place,
//! `resource` (its functions match on it; each kind acts in `resource::<kind>`).

use super::container::Container;
use super::disk::Disk;
use super::fs::{Dev, Fs};
use super::head::Head;
use super::ip::Ip;
use super::sync::DataSync;
use super::volume::Volume;

/// A resource of any kind, as the plan and the actions see it: its head,
/// and its kind's own part to dispatch on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resource<'a> {
    Container(&'a Container),
    Ip(&'a Ip),
    Disk(&'a Disk),
    Fs(&'a Fs),
    Sync(&'a DataSync),
    Volume(&'a Volume),
}

impl<'a> Resource<'a> {
    pub fn head(self) -> &'a Head {
        match self {
            Resource::Container(c) => &c.head,
            Resource::Ip(i) => &i.head,
            Resource::Disk(d) => &d.head,
            Resource::Fs(f) => &f.head,
            Resource::Sync(s) => &s.head,
            Resource::Volume(v) => &v.head,
        }
    }

    pub fn container(self) -> Option<&'a Container> {
        match self {
            Resource::Container(c) => Some(c),
            Resource::Ip(_)
            | Resource::Disk(_)
            | Resource::Fs(_)
            | Resource::Sync(_)
            | Resource::Volume(_) => None,
        }
    }

    /// The rids its kind makes it start after (the plan adds what its
    /// `start_requires` needs): a container after the holders of the
    /// namespaces it joins and the ip resources plumbed into them
    /// (`ips_of`: an ip's rids by holder), an ip after its holder.
    /// The data (SPEC 17, `data`: the selected data resources' rids by
    /// kind): an fs after the disk its `dev` names (after every disk when
    /// it names a device path), a logical volume after its volume group's
    /// disk, a container after every disk and fs.
    pub fn starts_after(
        self,
        ips_of: &std::collections::HashMap<&str, Vec<&'a str>>,
        data: &Data<'a>,
    ) -> Vec<&'a str> {
        match self {
            Resource::Container(c) => {
                // (volumes go here too, before the disks)
                let mut deps: Vec<&str> = data.disks.iter().chain(&data.fss).copied().collect();
                deps.extend(c.depends_on.iter().map(String::as_str));
                for holder in &c.depends_on {
                    if let Some(ips) = ips_of.get(holder.as_str()) {
                        deps.extend(ips);
                    }
                }
                deps
            }
            Resource::Ip(i) => vec![i.holder.as_str()],
            // a logical volume after the disk of its volume group
            Resource::Disk(d) => match &d.driver {
                super::disk::Driver::Lv(l) => data
                    .vgs
                    .iter()
                    .filter(|(name, _)| *name == l.vg)
                    .map(|(_, rid)| *rid)
                    .collect(),
                _ => Vec::new(),
            },
            Resource::Fs(f) => match &f.dev {
                Dev::Disk(rid) => vec![rid.as_str()],
                Dev::Path(_) => data.disks.clone(),
            },
            // started by nothing: `om SVC sync update|full` sends it
            Resource::Sync(_) => Vec::new(),
            Resource::Volume(_) => Vec::new(),
        }
    }
}

/// The data resources an action selected, by kind (what containers and
/// filesystems start after).
#[derive(Debug, Default)]
pub struct Data<'a> {
    pub disks: Vec<&'a str>,
    pub fss: Vec<&'a str>,
    /// The volume groups' names and rids (what a logical volume starts
    /// after).
    pub vgs: Vec<(&'a str, &'a str)>,
}

impl<'a> Data<'a> {
    pub fn of(res: &[Resource<'a>]) -> Data<'a> {
        let mut data = Data::default();
        for r in res {
            match r {
                Resource::Disk(d) => {
                    data.disks.push(d.head.rid.as_str());
                    if let Some(name) = d.vg_name() {
                        data.vgs.push((name, d.head.rid.as_str()));
                    }
                }
                Resource::Fs(f) => data.fss.push(f.head.rid.as_str()),
                Resource::Container(_)
                | Resource::Ip(_)
                | Resource::Sync(_)
                | Resource::Volume(_) => {}
            }
        }
        data
    }
}

/// The containers among `res`.
pub fn containers<'a>(res: &[Resource<'a>]) -> Vec<&'a Container> {
    res.iter().filter_map(|r| r.container()).collect()
}
