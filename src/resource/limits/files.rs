//! What the limits write: cgroup v1 and v2 files, systemd properties,
//! in an order the kernel takes.

use crate::model::limits::{Limits, Quota};

impl Limits {
    pub(super) fn quota_us(&self, ncpus: u32) -> Option<u64> {
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
    pub(super) fn v1_only_warnings(&self, section: &str, why: &str) -> Vec<String> {
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
pub(super) fn memsw_first(new_mem: u64, current_memsw: u64) -> bool {
    new_mem > current_memsw
}
