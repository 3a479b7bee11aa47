//! Resource limits (SPEC 14): the `pg_*` keywords of OpenSVC on DEFAULT
//! (the service's slice), a subset section (its slice) and a container
//! section (its own slice). With the cgroupfs driver om makes the slice
//! directories and writes the limits before `docker run` (cgroup v1 files
//! on a v1 host, v2 files on a unified one), each write an action line that
//! replays (`echo VALUE > FILE`); with the systemd driver, `systemctl
//! set-property --runtime`.

use crate::error::{Error, Result};
use crate::logger::{Level, Logger};
use std::path::{Path, PathBuf};

use crate::model::limits::{Limits, Quota, KEYWORDS};

/// `64m`, `1g`, `512k`, `1048576`: bytes.
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("'{s}' is not a size (e.g. 64m, 1g, or bytes)"))
}

fn parse_quota(s: &str) -> std::result::Result<Quota, String> {
    let bad = || format!("'{s}' is not a cpu quota (e.g. 50%@all, 150%@2, 20000)");
    let (amount, cpus) = match s.split_once('@') {
        Some((a, "all")) => (a, None),
        Some((a, n)) => (
            a,
            Some(n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(bad)?),
        ),
        None => (s, Some(1)),
    };
    match amount.strip_suffix('%') {
        Some(p) => {
            let pct: f64 = p.parse().map_err(|_| bad())?;
            if !(pct > 0.0 && pct <= 100.0) {
                return Err(format!(
                    "'{s}': the percent of a cpu is 1 to 100 (more cpus: @N)"
                ));
            }
            Ok(Quota::Percent { pct, cpus })
        }
        None => Ok(Quota::Micros {
            us: amount.parse().ok().filter(|u| *u >= 1000).ok_or_else(bad)?,
            cpus,
        }),
    }
}

/// A cpu or memory-node list (`0-3,6`).
fn parse_list(s: &str) -> std::result::Result<String, String> {
    let ok = !s.is_empty()
        && s.split(',').all(|part| {
            let mut ends = part.splitn(2, '-');
            let a = ends.next().is_some_and(|n| n.parse::<u32>().is_ok());
            a && ends.next().is_none_or(|n| n.parse::<u32>().is_ok())
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a list like 0-3,6"))
    }
}

impl Limits {
    /// A section's limits, read with `get` (a keyword's value, if set).
    pub fn parse(
        section: &str,
        get: impl Fn(&str) -> std::result::Result<Option<String>, String>,
    ) -> std::result::Result<Limits, String> {
        let mut l = Limits::default();
        for kw in KEYWORDS {
            let Some(v) = get(kw)?.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let v = v.trim().to_string();
            let bad = |e: String| format!("{section}.{kw}: {e}");
            let number = |lo: u64, hi: u64| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or_else(|| bad(format!("'{v}': a number from {lo} to {hi}")))
            };
            match kw {
                "pg_cpus" => l.cpus = Some(parse_list(&v).map_err(bad)?),
                "pg_mems" => l.mems = Some(parse_list(&v).map_err(bad)?),
                "pg_cpu_shares" => l.cpu_shares = Some(number(2, 262_144)?),
                "pg_cpu_quota" => l.cpu_quota = Some(parse_quota(&v).map_err(bad)?),
                "pg_mem_limit" => l.mem_limit = Some(parse_size(&v).map_err(bad)?),
                "pg_vmem_limit" => l.vmem_limit = Some(parse_size(&v).map_err(bad)?),
                "pg_mem_swappiness" => l.swappiness = Some(number(0, 100)?),
                "pg_mem_oom_control" => {
                    l.oom_disable =
                        Some(crate::units::parse_bool(&v).map_err(|e| bad(e.to_string()))?)
                }
                _ => l.blkio_weight = Some(number(10, 1000)?),
            }
            l.set.push((kw, v));
        }
        if l.vmem_limit.is_some() && l.mem_limit.is_none() {
            // on cgroup v1, memory plus swap can not be bounded below an
            // unbounded memory; and v2 reads the pair, not one alone
            return Err(format!(
                "{section}.pg_vmem_limit: needs pg_mem_limit (memory plus swap, at least the memory limit)"
            ));
        }
        if let (Some(m), Some(v)) = (l.mem_limit, l.vmem_limit) {
            if v < m {
                return Err(format!(
                    "{section}.pg_vmem_limit: less than pg_mem_limit (memory plus swap)"
                ));
            }
        }
        Ok(l)
    }

    fn quota_us(&self, ncpus: u32) -> Option<u64> {
        const PERIOD: f64 = 100_000.0;
        self.cpu_quota.map(|q| match q {
            Quota::Percent { pct, cpus } => {
                (pct / 100.0 * PERIOD * f64::from(cpus.unwrap_or(ncpus))) as u64
            }
            Quota::Micros { us, cpus } => us.saturating_mul(u64::from(cpus.unwrap_or(ncpus))),
        })
    }

    /// The cgroup v1 writes: `(controller, file, value, keyword)`, in an
    /// order the kernel takes: memory plus swap before memory when
    /// `memsw_first` (see [`memsw_first`]), else memory first.
    pub fn v1_writes(
        &self,
        ncpus: u32,
        memsw_first: bool,
    ) -> Vec<(&'static str, &'static str, String, &'static str)> {
        // memory alone, above the memsw limit an earlier config left: that
        // limit goes first (-1, none: the config sets none now), or the
        // kernel refuses the memory one
        let lift = memsw_first && self.vmem_limit.is_none();
        let mut w = Vec::new();
        if let Some(c) = &self.cpus {
            w.push(("cpuset", "cpuset.cpus", c.clone(), "pg_cpus"));
        }
        if let Some(m) = &self.mems {
            w.push(("cpuset", "cpuset.mems", m.clone(), "pg_mems"));
        }
        if let Some(s) = self.cpu_shares {
            w.push(("cpu", "cpu.shares", s.to_string(), "pg_cpu_shares"));
        }
        if let Some(q) = self.quota_us(ncpus) {
            w.push(("cpu", "cpu.cfs_period_us", "100000".into(), "pg_cpu_quota"));
            w.push(("cpu", "cpu.cfs_quota_us", q.to_string(), "pg_cpu_quota"));
        }
        let mut mem = Vec::new();
        if let Some(m) = self.mem_limit {
            mem.push((
                "memory",
                "memory.limit_in_bytes",
                m.to_string(),
                "pg_mem_limit",
            ));
        }
        if let Some(v) = self.vmem_limit {
            mem.push((
                "memory",
                "memory.memsw.limit_in_bytes",
                v.to_string(),
                "pg_vmem_limit",
            ));
        }
        if lift {
            mem.insert(
                0,
                (
                    "memory",
                    "memory.memsw.limit_in_bytes",
                    "-1".into(),
                    "pg_mem_limit",
                ),
            );
        } else if memsw_first {
            mem.reverse();
        }
        w.extend(mem);
        if let Some(s) = self.swappiness {
            w.push((
                "memory",
                "memory.swappiness",
                s.to_string(),
                "pg_mem_swappiness",
            ));
        }
        if let Some(o) = self.oom_disable {
            w.push((
                "memory",
                "memory.oom_control",
                u8::from(o).to_string(),
                "pg_mem_oom_control",
            ));
        }
        if let Some(b) = self.blkio_weight {
            w.push(("blkio", "blkio.weight", b.to_string(), "pg_blkio_weight"));
        }
        w
    }

    /// The cgroup v2 writes: `(file, value, keyword)`.
    pub fn v2_writes(&self, ncpus: u32) -> Vec<(&'static str, String, &'static str)> {
        let mut w = Vec::new();
        if let Some(c) = &self.cpus {
            w.push(("cpuset.cpus", c.clone(), "pg_cpus"));
        }
        if let Some(m) = &self.mems {
            w.push(("cpuset.mems", m.clone(), "pg_mems"));
        }
        if let Some(s) = self.cpu_shares {
            // cgroup v1 shares (2-262144) to v2 weight (1-10000), as runc does
            w.push((
                "cpu.weight",
                (1 + ((s - 2) * 9999) / 262_142).to_string(),
                "pg_cpu_shares",
            ));
        }
        if let Some(q) = self.quota_us(ncpus) {
            w.push(("cpu.max", format!("{q} 100000"), "pg_cpu_quota"));
        }
        if let Some(m) = self.mem_limit {
            w.push(("memory.max", m.to_string(), "pg_mem_limit"));
        }
        if let Some(v) = self.vmem_limit {
            let swap = v - self.mem_limit.unwrap_or(0).min(v);
            w.push(("memory.swap.max", swap.to_string(), "pg_vmem_limit"));
        }
        // pg_mem_swappiness and pg_mem_oom_control: v1 alone (v1_only_warnings)
        if let Some(b) = self.blkio_weight {
            w.push(("io.weight", format!("default {b}"), "pg_blkio_weight"));
        }
        w
    }

    /// The keywords set here that only cgroup v1 files take: on a unified
    /// hierarchy and through systemd nothing is written for them, and each
    /// says so in a warning (`why`: where it has no equivalent).
    fn v1_only_warnings(&self, section: &str, why: &str) -> Vec<String> {
        let mut w = Vec::new();
        if self.swappiness.is_some() {
            w.push("pg_mem_swappiness");
        }
        // v2 and systemd have no switch to turn the kernel's OOM killer
        // off (false, the kernel's default, is what they do)
        if self.oom_disable == Some(true) {
            w.push("pg_mem_oom_control");
        }
        w.into_iter()
            .map(|kw| format!("{section}.{kw}: {why}, not applied"))
            .collect()
    }

    /// `systemctl set-property --runtime UNIT` properties.
    pub fn systemd_props(&self, ncpus: u32) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(c) = &self.cpus {
            p.push(format!("AllowedCPUs={c}"));
        }
        if let Some(m) = &self.mems {
            p.push(format!("AllowedMemoryNodes={m}"));
        }
        if let Some(s) = self.cpu_shares {
            p.push(format!("CPUShares={s}"));
        }
        if let Some(q) = self.quota_us(ncpus) {
            // systemd takes whole percents: at least 1
            p.push(format!("CPUQuota={}%", (q / 1000).max(1)));
        }
        if let Some(m) = self.mem_limit {
            p.push(format!("MemoryMax={m}"));
        }
        if let Some(v) = self.vmem_limit {
            p.push(format!(
                "MemorySwapMax={}",
                v - self.mem_limit.unwrap_or(0).min(v)
            ));
        }
        if let Some(b) = self.blkio_weight {
            p.push(format!("IOWeight={b}"));
        }
        p
    }
}

/// Whether `memory.memsw.limit_in_bytes` must be written before
/// `memory.limit_in_bytes` when both change. The kernel keeps memory at
/// most memory plus swap at every write: it refuses a memory limit above
/// the current memsw one, and a memsw limit below the current memory one.
/// Memory first works when the new memory limit fits under the current
/// memsw limit (then the new memsw, not below the new memory, fits
/// too); otherwise memsw first works, as the new memsw limit, at least the
/// new memory one, is then above the current memsw limit, itself at least
/// the current memory limit. So raising both past the old memsw writes
/// memsw first, lowering both writes memory first.
fn memsw_first(new_mem: u64, current_memsw: u64) -> bool {
    new_mem > current_memsw
}

/// A v1 slice's current `memory.memsw.limit_in_bytes`; `None` when the
/// slice does not exist yet (om makes it below, without a limit). A file
/// that does not read (no swap accounting on this kernel, a value that is
/// not a number) is an error naming it: an order guessed wrong would be
/// refused half-way.
fn current_memsw(slice: &Path) -> std::result::Result<Option<u64>, String> {
    if !slice.is_dir() {
        return Ok(None);
    }
    let file = slice.join("memory.memsw.limit_in_bytes");
    let text = match std::fs::read_to_string(&file) {
        // no swap accounting: no memsw limit to order against (a
        // pg_vmem_limit's own write then fails, naming the file)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        r => r.map_err(|e| format!("reading {}: {e}", file.display()))?,
    };
    text.trim().parse::<u64>().map(Some).map_err(|_| {
        format!(
            "reading {}: '{}' is not a number",
            file.display(),
            text.trim()
        )
    })
}

const ROOT: &str = "/sys/fs/cgroup";

fn unified() -> bool {
    Path::new(ROOT).join("cgroup.controllers").exists()
}

fn ncpus() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
}

/// Makes `rel` under `base` (each level it creates; for a v1 cpuset,
/// given its parent's cpus and memory nodes first, as the kernel wants
/// them before anything joins; on a v2 hierarchy, each parent delegates
/// its controllers to its children, or their files would not exist).
fn make_dirs(base: &Path, rel: &Path, cpuset: bool) -> std::io::Result<PathBuf> {
    let mut dir = base.to_path_buf();
    let v2 = unified();
    for part in rel.components() {
        let parent = dir.clone();
        dir.push(part);
        if v2 {
            // each on its own: a controller this kernel lacks is not a
            // reason to skip the others
            for ctl in ["+cpu", "+memory", "+cpuset", "+io"] {
                let _ = std::fs::write(parent.join("cgroup.subtree_control"), ctl);
            }
        }
        if dir.is_dir() {
            continue;
        }
        std::fs::create_dir(&dir)?;
        if cpuset {
            for f in ["cpuset.cpus", "cpuset.mems"] {
                let v = std::fs::read_to_string(parent.join(f))?;
                std::fs::write(dir.join(f), v.trim())?;
            }
        }
    }
    Ok(dir)
}

/// Applies `limits` to the slice `rel` (cgroupfs, relative to a
/// hierarchy's root), or to the systemd `unit`. Each write is logged as a
/// line that replays; a refusal (a value the kernel does not take, cpus
/// this machine does not have) is an error naming its keyword.
pub fn apply(
    log: &Logger,
    section: &str,
    limits: &Limits,
    rel: &Path,
    unit: Option<&str>,
    dry_run: bool,
    bound: std::time::Duration,
) -> Result<()> {
    if limits.is_empty() {
        return Ok(());
    }
    let n = ncpus();
    let fail = |kw: &str, what: String| Error::config(format!("{section}.{kw}"), what);
    let v2 = unified();
    let not_applied = match (unit, v2) {
        (Some(_), _) => limits.v1_only_warnings(section, "no systemd property"),
        (None, true) => limits.v1_only_warnings(section, "no cgroup v2 equivalent"),
        (None, false) => Vec::new(),
    };
    for w in not_applied {
        log.svc(Level::Warn, &w);
    }
    if let Some(unit) = unit {
        let props = limits.systemd_props(n);
        // systemctl refuses a set-property without a property
        if props.is_empty() {
            return Ok(());
        }
        let mut args = vec!["set-property".to_string(), "--runtime".into(), unit.into()];
        args.extend(props);
        let cmd = crate::process::Cmd::new("systemctl", args);
        log.svc(Level::Info, &cmd.to_string());
        if dry_run {
            return Ok(());
        }
        let out = crate::process::capture(&cmd, bound)?;
        if !out.success() {
            return Err(Error::Failed(format!(
                "{section}: {cmd}: {}",
                out.error_line()
            )));
        }
        return Ok(());
    }
    let writes: Vec<(PathBuf, bool, &str, String, &str)> = if v2 {
        limits
            .v2_writes(n)
            .into_iter()
            .map(|(f, v, kw)| (PathBuf::from(ROOT), false, f, v, kw))
            .collect()
    } else {
        // read once, before any write: the order the kernel takes
        // (a dry run writes nothing: it shows memory first)
        let swap_first = match limits.mem_limit {
            Some(mem) if !dry_run => current_memsw(&Path::new(ROOT).join("memory").join(rel))
                .map_err(|e| fail("pg_mem_limit", e))?
                .is_some_and(|cur| memsw_first(mem, cur)),
            _ => false,
        };
        limits
            .v1_writes(n, swap_first)
            .into_iter()
            .map(|(ctl, f, v, kw)| (Path::new(ROOT).join(ctl), ctl == "cpuset", f, v, kw))
            .collect()
    };
    for (base, cpuset, file, value, kw) in writes {
        let target = base.join(rel).join(file);
        log.svc(
            Level::Info,
            &format!(
                "echo {value} > {}",
                crate::process::quote(&target.display().to_string())
            ),
        );
        if dry_run {
            continue;
        }
        let dir = make_dirs(&base, rel, cpuset)
            .map_err(|e| fail(kw, format!("making {}: {e}", base.join(rel).display())))?;
        std::fs::write(dir.join(file), &value).map_err(|e| {
            fail(
                kw,
                format!("the kernel refused {value} in {}: {e}", target.display()),
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, &str)]) -> std::result::Result<Limits, String> {
        Limits::parse("DEFAULT", |k| {
            Ok(pairs
                .iter()
                .find(|(kk, _)| *kk == k)
                .map(|(_, v)| v.to_string()))
        })
    }

    #[test]
    fn the_keywords_read_and_write_as_the_kernel_wants() {
        let l = limits(&[
            ("pg_mem_limit", "64m"),
            ("pg_cpu_quota", "50%@all"),
            ("pg_cpus", "0-1"),
        ])
        .unwrap();
        assert_eq!(l.mem_limit, Some(64 << 20));
        let w = l.v1_writes(2, false);
        assert!(w.contains(&(
            "memory",
            "memory.limit_in_bytes",
            "67108864".into(),
            "pg_mem_limit"
        )));
        assert!(w.contains(&("cpu", "cpu.cfs_quota_us", "100000".into(), "pg_cpu_quota")));
        assert!(w.contains(&("cpuset", "cpuset.cpus", "0-1".into(), "pg_cpus")));
        let w2 = l.v2_writes(2);
        assert!(w2.contains(&("cpu.max", "100000 100000".into(), "pg_cpu_quota")));
        assert!(w2.contains(&("memory.max", "67108864".into(), "pg_mem_limit")));
        assert!(l.systemd_props(2).contains(&"CPUQuota=100%".to_string()));
        assert_eq!(
            limits(&[("pg_cpu_quota", "20000@2")]).unwrap().quota_us(8),
            Some(40000)
        );
        for (kw, v, says) in [
            (
                "pg_mem_limit",
                "lots",
                "DEFAULT.pg_mem_limit: 'lots' is not a size",
            ),
            (
                "pg_cpu_quota",
                "250%",
                "DEFAULT.pg_cpu_quota: '250%': the percent of a cpu is 1 to 100",
            ),
            ("pg_cpus", "0-x", "DEFAULT.pg_cpus: '0-x' is not a list"),
            (
                "pg_cpu_shares",
                "1",
                "DEFAULT.pg_cpu_shares: '1': a number from 2 to 262144",
            ),
        ] {
            let e = limits(&[(kw, v)]).unwrap_err();
            assert!(e.starts_with(says), "{e}");
        }
        assert!(limits(&[("pg_mem_limit", "64m"), ("pg_vmem_limit", "32m")]).is_err());
    }

    #[test]
    fn both_memory_limits_are_written_in_the_order_the_kernel_takes() {
        const UNLIMITED: u64 = 9_223_372_036_854_771_712;
        // lowering both (64m/128m to 32m/48m): memory first
        assert!(!memsw_first(32 << 20, 128 << 20));
        // raising both past the current memsw (32m/48m to 128m/256m): memsw first
        assert!(memsw_first(128 << 20, 48 << 20));
        // raising both, the new memory still under the current memsw: either
        // order is taken, memory first
        assert!(!memsw_first(64 << 20, 128 << 20));
        assert!(!memsw_first(64 << 20, 64 << 20));
        // a slice without a limit yet
        assert!(!memsw_first(128 << 20, UNLIMITED));
        let l = limits(&[("pg_mem_limit", "128m"), ("pg_vmem_limit", "256m")]).unwrap();
        let files = |first| -> Vec<&str> { l.v1_writes(1, first).iter().map(|w| w.1).collect() };
        assert_eq!(
            files(true),
            ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
        );
        assert_eq!(
            files(false),
            ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
        );
        // memory alone above an old memsw limit: that limit is lifted first
        let l = limits(&[("pg_mem_limit", "256m")]).unwrap();
        let w = l.v1_writes(1, true);
        let writes: Vec<(&str, &str)> = w.iter().map(|w| (w.1, w.2.as_str())).collect();
        assert_eq!(
            writes,
            [
                ("memory.memsw.limit_in_bytes", "-1"),
                ("memory.limit_in_bytes", "268435456")
            ]
        );
        assert_eq!(l.v1_writes(1, false).len(), 1);
        // memsw alone means nothing on v1 (nor the same on v2): refused
        assert_eq!(
            limits(&[("pg_vmem_limit", "256m")]).unwrap_err(),
            "DEFAULT.pg_vmem_limit: needs pg_mem_limit (memory plus swap, at least the memory limit)"
        );
    }

    #[test]
    fn the_current_memsw_limit_reads_or_is_an_error_naming_its_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(current_memsw(&dir.path().join("new.slice")), Ok(None));
        let file = dir.path().join("memory.memsw.limit_in_bytes");
        // no swap accounting: the file is absent, no memsw limit
        assert_eq!(current_memsw(dir.path()), Ok(None));
        // one that does not read: an error naming it
        std::fs::create_dir(&file).unwrap();
        let e = current_memsw(dir.path()).unwrap_err();
        assert!(
            e.starts_with(&format!("reading {}: ", file.display())),
            "{e}"
        );
        std::fs::remove_dir(&file).unwrap();
        std::fs::write(&file, "50331648\n").unwrap();
        assert_eq!(current_memsw(dir.path()), Ok(Some(48 << 20)));
        std::fs::write(&file, "max\n").unwrap();
        assert_eq!(
            current_memsw(dir.path()),
            Err(format!("reading {}: 'max' is not a number", file.display()))
        );
    }

    #[test]
    fn what_only_cgroup_v1_takes_is_a_warning_elsewhere() {
        let l = limits(&[
            ("pg_mem_limit", "64m"),
            ("pg_mem_swappiness", "10"),
            ("pg_mem_oom_control", "true"),
        ])
        .unwrap();
        assert_eq!(
            l.v1_only_warnings("container#1", "no cgroup v2 equivalent"),
            [
                "container#1.pg_mem_swappiness: no cgroup v2 equivalent, not applied",
                "container#1.pg_mem_oom_control: no cgroup v2 equivalent, not applied",
            ]
        );
        assert_eq!(
            l.v1_only_warnings("DEFAULT", "no systemd property"),
            [
                "DEFAULT.pg_mem_swappiness: no systemd property, not applied",
                "DEFAULT.pg_mem_oom_control: no systemd property, not applied",
            ]
        );
        // nothing written for them there, both written on v1
        assert!(l
            .v2_writes(1)
            .iter()
            .all(|(_, _, kw)| *kw == "pg_mem_limit"));
        assert_eq!(l.systemd_props(1), ["MemoryMax=67108864"]);
        let v1: Vec<&str> = l.v1_writes(1, false).iter().map(|w| w.1).collect();
        assert_eq!(
            v1,
            [
                "memory.limit_in_bytes",
                "memory.swappiness",
                "memory.oom_control"
            ]
        );
        // the other keywords warn of nothing
        assert!(limits(&[("pg_mem_limit", "64m")])
            .unwrap()
            .v1_only_warnings("DEFAULT", "no cgroup v2 equivalent")
            .is_empty());
    }
}
