//! The fs kind's data (SPEC 17): `fs#N type=xfs|ext4|btrfs`, a filesystem
//! on a block device mounted on a directory. What acts on it is
//! `resource::fs`.

use super::head::Head;

/// The filesystem types om formats and mounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FsType {
    #[default]
    Xfs,
    Ext4,
    Btrfs,
}

impl FsType {
    pub const WORDS: &'static [&'static str] = &["xfs", "ext4", "btrfs"];

    pub fn parse(word: &str) -> Option<FsType> {
        match word {
            "xfs" => Some(FsType::Xfs),
            "ext4" => Some(FsType::Ext4),
            "btrfs" => Some(FsType::Btrfs),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FsType::Xfs => "xfs",
            FsType::Ext4 => "ext4",
            FsType::Btrfs => "btrfs",
        }
    }
}

/// Where the filesystem's device comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Dev {
    /// A block device path (`/dev/vdb`).
    Path(String),
    /// The device a disk resource of the service exposes (`disk#1`, or
    /// OpenSVC's `{disk#1.exposed_devs[0]}`), found at each action.
    Disk(String),
}

impl Default for Dev {
    fn default() -> Dev {
        Dev::Path(String::new())
    }
}

impl std::fmt::Display for Dev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dev::Path(p) => f.write_str(p),
            Dev::Disk(rid) => f.write_str(rid),
        }
    }
}

/// An fs resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fs {
    pub head: Head,
    pub fstype: FsType,
    pub dev: Dev,
    /// The mount point: an absolute path, checked like a data dir.
    pub mnt: String,
    /// `mount -o`.
    pub mnt_opt: Option<String>,
    /// Extra `mkfs.TYPE` words, before the device.
    pub mkfs_opt: Vec<String>,
    /// The mount point's owner, group and mode once mounted.
    pub user: Option<String>,
    pub group: Option<String>,
    pub perm: Option<u32>,
}

impl Fs {
    /// The label OpenSVC shows: `xfs /dev/loop3@/srv/x` (`dev`: the device
    /// as found now, else as written).
    pub fn label(&self, dev: &str) -> String {
        format!("{} {dev}@{}", self.fstype.as_str(), self.mnt)
    }
}
