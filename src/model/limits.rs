//! Resource limits' data (SPEC 14): the `pg_*` keywords of a section as
//! typed values. Reading them from a section and writing them to cgroups
//! (or systemd) is `resource::limits`.

pub const KEYWORDS: [&str; 9] = [
    "pg_cpus",
    "pg_mems",
    "pg_cpu_shares",
    "pg_cpu_quota",
    "pg_mem_limit",
    "pg_vmem_limit",
    "pg_mem_swappiness",
    "pg_mem_oom_control",
    "pg_blkio_weight",
];

/// `pg_cpu_quota`: a percent of some cpus, or microseconds per period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quota {
    /// `50%@all`, `50%@2` (percent of one cpu, times the cpus).
    Percent { pct: f64, cpus: Option<u32> },
    /// `20000`, `20000@2`: microseconds per 100ms period (times the cpus).
    Micros { us: u64, cpus: Option<u32> },
}

/// One section's limits, as its keywords say them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    /// `(keyword, value)` in keyword order, each parsed.
    pub set: Vec<(&'static str, String)>,
    pub cpus: Option<String>,
    pub mems: Option<String>,
    pub cpu_shares: Option<u64>,
    pub cpu_quota: Option<Quota>,
    pub mem_limit: Option<u64>,
    pub vmem_limit: Option<u64>,
    pub swappiness: Option<u64>,
    pub oom_disable: Option<bool>,
    pub blkio_weight: Option<u64>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}
