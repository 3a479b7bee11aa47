//! The `pg_*` keywords' values, read (SPEC 14).

use crate::error::{Error, Result};
use crate::model::limits::{Limits, Quota, KEYWORDS};
use crate::units::UnitError;
use std::fmt;

/// Why a `pg_*` value does not read (the caller names the key).
#[derive(Debug, PartialEq)]
enum LimitError {
    /// Not a size (`pg_mem_limit`, `pg_vmem_limit`).
    NotSize(String),
    /// Not a cpu quota (`pg_cpu_quota`).
    NotQuota(String),
    /// A quota's percent of a cpu outside 1 to 100.
    PercentOfOneCpu(String),
    /// Not a cpu or memory-node list (`pg_cpus`, `pg_mems`).
    NotList(String),
    /// Not a number between the keyword's bounds.
    OutOfRange { value: String, lo: u64, hi: u64 },
    /// Not a boolean (`pg_mem_oom_control`).
    Unit(UnitError),
    /// `pg_vmem_limit` without `pg_mem_limit`.
    VmemAlone,
    /// `pg_vmem_limit` below `pg_mem_limit`.
    VmemBelowMem,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::NotSize(s) => write!(f, "'{s}' is not a size (e.g. 64m, 1g, or bytes)"),
            LimitError::NotQuota(s) => {
                write!(f, "'{s}' is not a cpu quota (e.g. 50%@all, 75%@2, 20000)")
            }
            LimitError::PercentOfOneCpu(s) => {
                write!(f, "'{s}': the percent of a cpu is 1 to 100 (more cpus: @N)")
            }
            LimitError::NotList(s) => write!(f, "'{s}' is not a list like 0-3,6"),
            LimitError::OutOfRange { value, lo, hi } => {
                write!(f, "'{value}': a number from {lo} to {hi}")
            }
            LimitError::Unit(e) => e.fmt(f),
            // on cgroup v1, memory plus swap can not be bounded below an
            // unbounded memory; and v2 reads the pair, not one alone
            LimitError::VmemAlone => {
                f.write_str("needs pg_mem_limit (memory plus swap, at least the memory limit)")
            }
            LimitError::VmemBelowMem => f.write_str("less than pg_mem_limit (memory plus swap)"),
        }
    }
}

/// `64m`, `1g`, `512k`, `1048576`: bytes.
fn parse_size(s: &str) -> std::result::Result<u64, LimitError> {
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
        .ok_or_else(|| LimitError::NotSize(s.to_string()))
}

fn parse_quota(s: &str) -> std::result::Result<Quota, LimitError> {
    let bad = || LimitError::NotQuota(s.to_string());
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
                return Err(LimitError::PercentOfOneCpu(s.to_string()));
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
fn parse_list(s: &str) -> std::result::Result<String, LimitError> {
    let ok = !s.is_empty()
        && s.split(',').all(|part| {
            let mut ends = part.splitn(2, '-');
            let a = ends.next().is_some_and(|n| n.parse::<u32>().is_ok());
            a && ends.next().is_none_or(|n| n.parse::<u32>().is_ok())
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(LimitError::NotList(s.to_string()))
    }
}

impl Limits {
    /// A section's limits, read with `get` (a keyword's value, if set);
    /// a value that does not read is a `Config` error naming its key.
    pub fn parse(section: &str, get: impl Fn(&str) -> Result<Option<String>>) -> Result<Limits> {
        let mut l = Limits::default();
        for kw in KEYWORDS {
            let Some(v) = get(kw)?.filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let v = v.trim().to_string();
            let bad = |e: LimitError| Error::config(format!("{section}.{kw}"), e.to_string());
            let number = |lo: u64, hi: u64| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (lo..=hi).contains(n))
                    .ok_or_else(|| {
                        bad(LimitError::OutOfRange {
                            value: v.clone(),
                            lo,
                            hi,
                        })
                    })
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
                    let on = crate::units::parse_bool(&v).map_err(|e| bad(LimitError::Unit(e)))?;
                    l.oom_disable = Some(on);
                }
                _ => l.blkio_weight = Some(number(10, 1000)?),
            }
            l.set.push((kw, v));
        }
        let vmem = |e: LimitError| Error::config(format!("{section}.pg_vmem_limit"), e.to_string());
        if l.vmem_limit.is_some() && l.mem_limit.is_none() {
            return Err(vmem(LimitError::VmemAlone));
        }
        if let (Some(m), Some(v)) = (l.mem_limit, l.vmem_limit) {
            if v < m {
                return Err(vmem(LimitError::VmemBelowMem));
            }
        }
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line each refusal says, whole.
    #[test]
    fn each_refusal_says_its_key_and_why() {
        let parse = |pairs: &[(&str, &str)]| {
            Limits::parse("container#1", |k| {
                Ok(pairs
                    .iter()
                    .find(|(kk, _)| *kk == k)
                    .map(|(_, v)| v.to_string()))
            })
            .map(drop)
            .map_err(|e| e.to_string())
        };
        for (kw, v, line) in [
            ("pg_mem_limit", "lots", "container#1.pg_mem_limit: 'lots' is not a size (e.g. 64m, 1g, or bytes)"),
            ("pg_cpu_quota", "x%", "container#1.pg_cpu_quota: 'x%' is not a cpu quota (e.g. 50%@all, 75%@2, 20000)"),
            ("pg_cpu_quota", "150%", "container#1.pg_cpu_quota: '150%': the percent of a cpu is 1 to 100 (more cpus: @N)"),
            ("pg_mems", "0-", "container#1.pg_mems: '0-' is not a list like 0-3,6"),
            ("pg_blkio_weight", "5", "container#1.pg_blkio_weight: '5': a number from 10 to 1000"),
            ("pg_mem_oom_control", "maybe", "container#1.pg_mem_oom_control: 'maybe' is not a boolean (true/false, yes/no, 1/0)"),
        ] {
            assert_eq!(parse(&[(kw, v)]), Err(line.to_string()), "{kw} = {v}");
        }
        assert_eq!(
            parse(&[("pg_mem_limit", "64m"), ("pg_vmem_limit", "32m")]),
            Err("container#1.pg_vmem_limit: less than pg_mem_limit (memory plus swap)".into())
        );
        assert_eq!(
            parse(&[("pg_vmem_limit", "64m")]),
            Err("container#1.pg_vmem_limit: needs pg_mem_limit (memory plus swap, at least the memory limit)".into())
        );
        assert_eq!(
            parse(&[("pg_mem_limit", "64m"), ("pg_vmem_limit", "64m")]),
            Ok(())
        );
        let e = Limits::parse("DEFAULT", |_| Ok(Some("1".into()))).unwrap_err();
        assert!(
            matches!(e, Error::Config { ref key, .. } if key == "DEFAULT.pg_cpu_shares"),
            "{e:?}"
        );
    }
}
