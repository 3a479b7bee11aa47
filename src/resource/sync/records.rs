//! Where a sync resource keeps its own state, in the service's state
//! directory (`var/…/sync#N/`): its lock (one per sync resource, on the
//! sender and on the receiver), and the time of the last success per
//! node: on the sender `last_sync_NODE` per target, on a receiver
//! `last_sync_HERE`, which the sender sends it after each success.

use crate::error::{Context, Result};
use crate::host::Host;
use crate::model::DataSync;
use crate::paths::{Roots, SvcPath};
use std::path::PathBuf;
use std::time::Duration;

/// A node's records go by its first label (`n2.example.com` → `n2`), as
/// config sync's do.
fn record_name(node: &str) -> &str {
    node.split('.').next().unwrap_or(node)
}

/// The resource's own directory in the service's state directory.
pub fn dir(path: &SvcPath, roots: &Roots, s: &DataSync) -> PathBuf {
    crate::state::dir(path, roots).join(s.head.rid.as_str())
}

/// The lock both sides of a sync of `s` take.
pub fn lock(
    ctx: &Host,
    path: &SvcPath,
    s: &DataSync,
    wait: Duration,
    what: &str,
) -> Result<crate::state::Lock> {
    let file = dir(path, &ctx.roots, s).join("lock");
    let whose = format!("{path} {}", s.head.rid.as_str());
    crate::state::lock_at(&ctx.roots, &file, &whose, wait, what, ctx.debug.as_ref())
}

/// A last success: when (seconds since the epoch), and from which node
/// (a receiver's record).
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub at: i64,
    pub from: Option<String>,
}

/// The record of the last sync with `node` (a target on the sender, this
/// node itself on a receiver); None when there is none. A record that
/// does not read is none too, said by the status as never synced.
pub fn read(path: &SvcPath, roots: &Roots, s: &DataSync, node: &str) -> Option<Record> {
    let file = dir(path, roots, s).join(format!("last_sync_{}", record_name(node)));
    let text = crate::fsutil::read_regular_within(&file, 4096).ok()?;
    let mut words = text.split_whitespace();
    let at = words.next()?.parse().ok()?;
    Some(Record {
        at,
        from: words.next().map(String::from),
    })
}

/// Records a success with `node` at `at`, from `from` on a receiver.
pub fn write(
    path: &SvcPath,
    roots: &Roots,
    s: &DataSync,
    node: &str,
    at: i64,
    from: Option<&str>,
) -> Result<()> {
    let file = dir(path, roots, s).join(format!("last_sync_{}", record_name(node)));
    let text = match from {
        Some(f) => format!("{at} {f}\n"),
        None => format!("{at}\n"),
    };
    // lost in a power cut, a record reads as none: "never synced", a
    // warning, never a sync that did not happen said done
    crate::fsutil::write_atomic_unsynced(&file, text.as_bytes(), &roots.trees())
        .context(|| format!("write {}", file.display()))
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
