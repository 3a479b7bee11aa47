//! What the LVM disks run on the host: LVM's commands, each change a
//! logged line that replays, and the queries (`vgs`, `pvs`, `lvs`) that
//! list what LVM holds. A failed query is an error, never "none".
//!
//! `OM_TEST_LVM_CONFIG` (a test-only setting): when set, its value goes
//! to every LVM command om runs as `--config VALUE`, which overrides
//! lvm.conf for that command alone. The tests set it to a device filter
//! of their own loop devices only (LVM scans every block device of the
//! machine otherwise) and, for logical volumes on a kernel without
//! device-mapper, `global{activation=0}` (metadata only: nothing is
//! activated). It is safe to honour: it is read from om's own
//! environment, which only its caller sets, and whoever sets it could run
//! LVM with any config directly; unset (every real use), om's commands are
//! LVM's plain ones.

use crate::error::{Error, Result};
use crate::process::{capture, Cmd};
use crate::resource::Context;
use std::time::Duration;

/// The bound of one LVM command.
const BOUND: Duration = Duration::from_secs(60);

/// The test-only setting (see the module's doc).
pub const TEST_CONFIG: &str = "OM_TEST_LVM_CONFIG";

/// `PROG [--config TEST] ARGS`.
pub fn cmd<S: AsRef<str>>(prog: &str, args: &[S]) -> Cmd {
    let mut all: Vec<String> = Vec::new();
    if let Some(conf) = std::env::var(TEST_CONFIG).ok().filter(|c| !c.is_empty()) {
        all.push("--config".into());
        all.push(conf);
    }
    all.extend(args.iter().map(|a| a.as_ref().to_string()));
    Cmd::new(prog, all)
}

/// Runs a change, logged; its failure is the error.
pub fn run(ctx: &Context, rid: &str, cmd: &Cmd) -> Result<()> {
    let out = crate::logger::run_logged(ctx.log, rid, cmd, BOUND, ctx.dry_run, true)?;
    if !out.success() {
        return Err(Error::Failed(format!("{cmd}: {}", out.error_line())));
    }
    Ok(())
}

/// A query's rows: `--noheadings --separator '|' -o FIELDS`, each row's
/// fields trimmed.
fn rows(prog: &str, fields: &str) -> Result<Vec<Vec<String>>> {
    let cmd = cmd(prog, &["--noheadings", "--separator", "|", "-o", fields]);
    let out = capture(&cmd, BOUND)?;
    if !out.success() {
        return Err(Error::call(&cmd, out.error_line()));
    }
    Ok(parse_rows(&out.stdout))
}

fn parse_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('|').map(|f| f.trim().to_string()).collect())
        .collect()
}

/// A volume group as `vgs` says it: its tags.
#[derive(Clone, Debug, PartialEq)]
pub struct VgSeen {
    pub tags: Vec<String>,
}

/// The volume group `name`, or none when LVM lists none of that name.
pub fn vg(name: &str) -> Result<Option<VgSeen>> {
    Ok(rows("vgs", "vg_name,vg_tags")?
        .into_iter()
        .find(|r| r.first().map(String::as_str) == Some(name))
        .map(|r| VgSeen {
            tags: r
                .get(1)
                .map(|t| {
                    t.split(',')
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
        }))
}

/// The volume group physical volume `dev` belongs to: `Some("")` for a
/// physical volume of none, `None` when `dev` is not one.
pub fn pv_vg(dev: &str) -> Result<Option<String>> {
    let canon = |p: &str| std::fs::canonicalize(p).ok();
    let want = canon(dev);
    Ok(rows("pvs", "pv_name,vg_name")?
        .into_iter()
        .find(|r| {
            r.first()
                .is_some_and(|p| p == dev || (want.is_some() && canon(p) == want))
        })
        .map(|r| r.get(1).cloned().unwrap_or_default()))
}

/// A logical volume as `lvs` says it: its `lv_attr` (the 5th letter: `a`
/// active, `-` not, `X` unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct LvSeen {
    pub attr: String,
}

impl LvSeen {
    /// `Some(active)`, or none when LVM can not tell (no device-mapper,
    /// or activation off).
    pub fn active(&self) -> Option<bool> {
        match self.attr.chars().nth(4) {
            Some('a') => Some(true),
            Some('-') => Some(false),
            _ => None,
        }
    }
}

/// The logical volumes of volume group `vg`: name and state.
pub fn lvs_of(vg: &str) -> Result<Vec<(String, LvSeen)>> {
    Ok(rows("lvs", "vg_name,lv_name,lv_attr")?
        .into_iter()
        .filter(|r| r.first().map(String::as_str) == Some(vg))
        .map(|r| {
            let field = |i: usize| r.get(i).cloned().unwrap_or_default();
            (field(1), LvSeen { attr: field(2) })
        })
        .collect())
}

/// The logical volume `vg/name`, or none.
pub fn lv(vg: &str, name: &str) -> Result<Option<LvSeen>> {
    Ok(lvs_of(vg)?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, seen)| seen))
}

#[cfg(test)]
mod tests {
    #[test]
    fn lvm_rows_and_lv_states() {
        let rows = super::parse_rows("  data|n1,n2\n\n  other|\n");
        assert_eq!(rows, [vec!["data", "n1,n2"], vec!["other", ""]]);
        let seen = |a: &str| super::LvSeen { attr: a.into() }.active();
        assert_eq!(seen("-wi-a-----"), Some(true));
        assert_eq!(seen("-wi-------"), Some(false));
        assert_eq!(seen("-wi-XX----"), None);
    }
}
