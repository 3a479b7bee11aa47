//! The disk kind's data (SPEC 17): `disk#N type=loop`, a loop device over
//! a file; `type=vg`, an LVM volume group taken with this node's tag;
//! `type=lv`, a logical volume of a volume group. What acts on it is
//! `resource::disk`.

use super::head::Head;

/// A disk: its head, and its driver's own part.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Disk {
    pub head: Head,
    pub driver: Driver,
}

/// What a disk is, by its `type`.
#[derive(Clone, Debug, PartialEq)]
pub enum Driver {
    Loop(Loop),
    Vg(Vg),
    Lv(Lv),
}

impl Default for Driver {
    fn default() -> Driver {
        Driver::Loop(Loop::default())
    }
}

/// A loop disk: its backing file and the size provision gives a file it
/// creates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loop {
    /// An absolute path, checked like a data dir (SPEC 11).
    pub file: String,
    /// In bytes; `None`: provision takes an existing file only.
    pub size: Option<u64>,
}

/// A volume group: its name, the physical volumes provision makes it of
/// (block device paths), and `vgcreate`'s extra options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vg {
    pub name: String,
    pub pvs: Vec<String>,
    pub options: Vec<String>,
}

/// A logical volume `vg/name`: the size provision gives it, and
/// `lvcreate`'s extra options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lv {
    pub vg: String,
    pub name: String,
    pub size: Option<LvSize>,
    pub create_options: Vec<String>,
}

/// An `lvcreate` size: extents (`100%FREE`, `50%VG`: `-l`) or bytes
/// (`1g`: `-L`).
#[derive(Clone, Debug, PartialEq)]
pub enum LvSize {
    Extents(String),
    Bytes(u64),
}

impl Lv {
    /// The device the logical volume is: `/dev/VG/LV`.
    pub fn device(&self) -> String {
        format!("/dev/{}/{}", self.vg, self.name)
    }
}

impl Disk {
    /// The label OpenSVC shows: `loop /srv/svc1.img`, `vg data`,
    /// `lv data/pg`.
    pub fn label(&self) -> String {
        match &self.driver {
            Driver::Loop(l) => format!("loop {}", l.file),
            Driver::Vg(v) => format!("vg {}", v.name),
            Driver::Lv(l) => format!("lv {}/{}", l.vg, l.name),
        }
    }

    /// The volume group's name, for a `type=vg` disk.
    pub fn vg_name(&self) -> Option<&str> {
        match &self.driver {
            Driver::Vg(v) => Some(&v.name),
            _ => None,
        }
    }
}

/// An `lvcreate` size: `N%FREE`, `N%VG`, `N%PVS`, `N%ORIGIN` (1 to 100)
/// as extents, else an OpenSVC size (`parse_size`).
pub fn parse_lv_size(s: &str) -> Result<LvSize, String> {
    let t = s.trim();
    if let Some((pct, of)) = t.split_once('%') {
        let ok_pct = pct.parse::<u32>().is_ok_and(|p| (1..=100).contains(&p));
        if ok_pct && ["FREE", "VG", "PVS", "ORIGIN"].contains(&of) {
            return Ok(LvSize::Extents(t.to_string()));
        }
        return Err(format!(
            "'{}' is not a size (100%FREE, 50%VG, 1g, or bytes)",
            s.escape_debug()
        ));
    }
    parse_size(t).map(LvSize::Bytes)
}

/// An LVM name (a volume group's, a logical volume's): LVM's characters
/// (`A-Za-z0-9+_.-`), not starting with `-`, never `.` or `..`. Why not,
/// else.
pub fn check_lvm_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 127
        && !s.starts_with('-')
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not an LVM name (letters, digits, + _ . -)",
            s.escape_debug()
        ))
    }
}

/// OpenSVC's size forms: a number of bytes, or with a unit `k`, `m`, `g`,
/// `t` (powers of 1024; `KiB`, `MB`, `Mi` read the same way), as `100m` or
/// `1g`. Why it is not one, else.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let bad = || format!("'{}' is not a size (100m, 1g, or bytes)", s.escape_debug());
    let n: u64 = num.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i');
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(bad()),
    };
    let size = n.checked_mul(1 << shift).ok_or_else(bad)?;
    if size == 0 {
        return Err(format!("'{}': a size of 0", s.escape_debug()));
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::{check_lvm_name, parse_lv_size, parse_size, LvSize};

    #[test]
    fn lv_sizes_are_extents_or_bytes() {
        for s in ["100%FREE", "50%VG", "10%PVS", "1%FREE"] {
            assert_eq!(parse_lv_size(s), Ok(LvSize::Extents(s.into())), "{s}");
        }
        assert_eq!(parse_lv_size("1g"), Ok(LvSize::Bytes(1 << 30)));
        for bad in [
            "0%FREE", "101%FREE", "%FREE", "100%", "100%free", "x%VG", "1x",
        ] {
            assert!(parse_lv_size(bad).is_err(), "{bad}");
        }
        for bad in ["", "-a", "a b", "a/b", ".", "..", "a;b"] {
            assert!(check_lvm_name(bad).is_err(), "{bad}");
        }
        assert!(check_lvm_name("data_vg-1.x+").is_ok());
    }

    #[test]
    fn sizes_in_opensvc_forms() {
        for (s, n) in [
            ("100m", 100 << 20),
            ("1g", 1 << 30),
            ("1G", 1 << 30),
            ("512k", 512 << 10),
            ("2GiB", 2 << 30),
            ("10MB", 10 << 20),
            ("4096", 4096),
            ("1t", 1 << 40),
        ] {
            assert_eq!(parse_size(s), Ok(n), "{s}");
        }
        for bad in [
            "",
            "m",
            "1x",
            "-1m",
            "1.5g",
            "0",
            "99999999999999t",
            "1 g g",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
