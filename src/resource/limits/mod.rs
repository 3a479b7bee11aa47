//! Resource limits (SPEC 14): the `pg_*` keywords of OpenSVC on DEFAULT
//! (the service's slice), a subset section (its slice) and a container
//! section (its own slice). With the cgroupfs driver om makes the slice
//! directories and writes the limits before `docker run` (cgroup v1 files
//! on a v1 host, v2 files on a unified one), each write an action line that
//! replays (`echo VALUE > FILE`); with the systemd driver, `systemctl
//! set-property --runtime`.

use crate::error::{Context, Error, Result};
use crate::logger::{Level, Logger};
use std::path::{Path, PathBuf};

use crate::model::limits::Limits;

mod files;
mod parse;

use files::memsw_first;

/// A v1 slice's current `memory.memsw.limit_in_bytes`; `None` when the
/// slice does not exist yet (om makes it below, without a limit). A file
/// that does not read (no swap accounting on this kernel, a value that is
/// not a number) is an error naming it: an order guessed wrong would be
/// refused half-way.
fn current_memsw(slice: &Path) -> Result<Option<u64>> {
    if !slice.is_dir() {
        return Ok(None);
    }
    let file = slice.join("memory.memsw.limit_in_bytes");
    let text = match std::fs::read_to_string(&file) {
        // no swap accounting: no memsw limit to order against (a
        // pg_vmem_limit's own write then fails, naming the file)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        r => r.context(|| format!("reading {}", file.display()))?,
    };
    text.trim().parse::<u64>().map(Some).map_err(|_| {
        Error::Failed(format!(
            "reading {}: '{}' is not a number",
            file.display(),
            text.trim()
        ))
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
    let v2 = unified();
    let not_applied = match (unit, v2) {
        (Some(_), _) => limits.v1_only_warnings(section, "no systemd property"),
        (None, true) => limits.v1_only_warnings(section, "no cgroup v2 equivalent"),
        (None, false) => Vec::new(),
    };
    for w in not_applied {
        log.svc(Level::Warn, &w);
    }
    match unit {
        Some(unit) => apply_systemd(log, section, limits, unit, dry_run, bound),
        None => apply_cgroupfs(log, section, limits, rel, v2, dry_run),
    }
}

/// `systemctl set-property --runtime UNIT` of the limits' properties.
fn apply_systemd(
    log: &Logger,
    section: &str,
    limits: &Limits,
    unit: &str,
    dry_run: bool,
    bound: std::time::Duration,
) -> Result<()> {
    let props = limits.systemd_props(ncpus());
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
    Ok(())
}

/// The limits written in the slice's files, each an `echo VALUE > FILE`
/// line (cgroup v2 files on a unified hierarchy, v1 files otherwise).
fn apply_cgroupfs(
    log: &Logger,
    section: &str,
    limits: &Limits,
    rel: &Path,
    v2: bool,
    dry_run: bool,
) -> Result<()> {
    let fail = |kw: &str, what: String| Error::config(format!("{section}.{kw}"), what);
    let n = ncpus();
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
                .map_err(|e| fail("pg_mem_limit", e.to_string()))?
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

    /// A refusal as the line it says.
    fn limits(pairs: &[(&str, &str)]) -> std::result::Result<Limits, String> {
        Limits::parse("DEFAULT", |k| {
            Ok(pairs
                .iter()
                .find(|(kk, _)| *kk == k)
                .map(|(_, v)| v.to_string()))
        })
        .map_err(|e| e.to_string())
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
        assert_eq!(current_memsw(&dir.path().join("new.slice")).unwrap(), None);
        let file = dir.path().join("memory.memsw.limit_in_bytes");
        // no swap accounting: the file is absent, no memsw limit
        assert_eq!(current_memsw(dir.path()).unwrap(), None);
        // one that does not read: an error naming it
        std::fs::create_dir(&file).unwrap();
        let e = current_memsw(dir.path()).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("reading {}: ", file.display())),
            "{e}"
        );
        std::fs::remove_dir(&file).unwrap();
        std::fs::write(&file, "50331648\n").unwrap();
        assert_eq!(current_memsw(dir.path()).unwrap(), Some(48 << 20));
        std::fs::write(&file, "max\n").unwrap();
        assert_eq!(
            current_memsw(dir.path()).unwrap_err().to_string(),
            format!("reading {}: 'max' is not a number", file.display())
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
