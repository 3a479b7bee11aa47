//! The `pg_*` keywords' values, read (SPEC 14).

use crate::model::limits::{Limits, Quota, KEYWORDS};

/// `64m`, `1g`, `512k`, `1048576`: bytes.
fn parse_size(s: &str) -> std::result::Result<u64, String> {
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
}
