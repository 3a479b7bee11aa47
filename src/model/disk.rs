//! The disk kind's data (SPEC 17): `disk#N type=loop`, a loop device over
//! a file. What acts on it is `resource::disk`.

use super::head::Head;

/// A loop disk: its head, its backing file and the size provision gives a
/// file it creates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Disk {
    pub head: Head,
    /// An absolute path, checked like a data dir (SPEC 11).
    pub file: String,
    /// In bytes; `None`: provision takes an existing file only.
    pub size: Option<u64>,
}

impl Disk {
    /// The label OpenSVC shows: `loop /srv/svc1.img`.
    pub fn label(&self) -> String {
        format!("loop {}", self.file)
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
    use super::parse_size;

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
