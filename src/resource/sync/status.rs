//! The sync kind's part of the status (SPEC 17): the age of the last
//! sync, per target node, never a content check. On the node where the
//! service is up: `warn: never synced to N` or `warn: last sync to N at
//! T, older than max_delay`; on a target node where it is not up, the
//! same of the last sync it received. Elsewhere n/a.

use super::records::{self, Record};
use crate::host::Host;
use crate::model::{DataSync, Head, Service};
use crate::status::{Avail, ResourceStatus};

/// What status reads of a sync resource (its records), read when the
/// status is collected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    /// This node's name.
    pub here: String,
    /// The record of each target node other than this one, in order.
    pub sent: Vec<(String, Option<Record>)>,
    /// Whether this node is one of the targets, and the record of the
    /// last sync it received.
    pub target_here: bool,
    pub received: Option<Record>,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// The records of each of the service's sync resources, in `svc.syncs`
/// order.
pub fn observe(ctx: &Host, svc: &Service) -> Vec<Seen> {
    let here = ctx.node.as_str();
    let now = records::now();
    svc.syncs
        .iter()
        .map(|s| {
            let targets = s.target_nodes(svc, None);
            let sent = targets
                .iter()
                .filter(|n| !crate::nodename::is_local(n, here))
                .map(|n| (n.to_string(), records::read(&svc.path, &ctx.roots, s, n)))
                .collect();
            Seen {
                here: here.to_string(),
                sent,
                target_here: targets.iter().any(|n| crate::nodename::is_local(n, here)),
                received: records::read(&svc.path, &ctx.roots, s, here),
                now,
            }
        })
        .collect()
}

/// A time as the status says it: `2026-12-07 18:30:00 UTC`.
fn when(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).map_or_else(
        || at.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// A sync resource's line; `up_here`: whether the service is up on this
/// node (its other resources' availability), which makes this node the
/// sender.
pub fn resource(s: &DataSync, seen: &Seen, up_here: bool) -> ResourceStatus {
    let max = s.max_delay.as_secs();
    let old = |r: &Record| seen.now.saturating_sub(r.at) > i64::try_from(max).unwrap_or(i64::MAX);
    let delay = crate::units::humanize(s.max_delay);
    let mut log: Vec<String> = Vec::new();
    let mut na = false;
    if s.head.disable {
        na = true;
    } else if up_here {
        if seen.sent.is_empty() {
            log.push("info: no target node".into());
            na = true;
        }
        for (node, rec) in &seen.sent {
            log.push(match rec {
                None => format!("warn: never synced to {node}"),
                Some(r) if old(r) => format!(
                    "warn: last sync to {node} at {}, older than max_delay ({delay})",
                    when(r.at)
                ),
                Some(r) => format!("info: last sync to {node} at {}", when(r.at)),
            });
        }
    } else if seen.target_here {
        let from = |r: &Record| {
            r.from
                .as_ref()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default()
        };
        log.push(match &seen.received {
            None => format!("warn: never synced to {}", seen.here),
            Some(r) if old(r) => format!(
                "warn: last sync at {}{}, older than max_delay ({delay})",
                when(r.at),
                from(r)
            ),
            Some(r) => format!("info: last sync at {}{}", when(r.at), from(r)),
        });
    } else {
        na = true;
    }
    let status = if na {
        Avail::NotApplicable
    } else if log.iter().any(|l| l.starts_with("warn:")) {
        Avail::Warn
    } else {
        Avail::Up
    };
    // never in the availability: the agent's sync resources are not
    // either (a sync's warn must not make its sender refuse to send)
    let head = Head {
        optional: true,
        ..s.head.clone()
    };
    ResourceStatus::of_head(&head, status, s.label(), log, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sync() -> DataSync {
        DataSync {
            head: crate::model::Head {
                rid: "sync#1".into(),
                optional: true,
                ..Default::default()
            },
            src: vec!["/srv/a/".into()],
            dst: "/srv/a".into(),
            target: vec![crate::model::sync::Target::Drpnodes],
            max_delay: Duration::from_secs(60),
            ..Default::default()
        }
    }

    fn rec(at: i64) -> Option<Record> {
        Some(Record { at, from: None })
    }

    #[test]
    fn status_says_the_age_of_the_last_sync_per_target() {
        let seen = Seen {
            here: "n1".into(),
            sent: vec![
                ("n2".into(), None),
                ("n3".into(), rec(1000)),
                ("n4".into(), rec(1990)),
            ],
            now: 2000,
            ..Default::default()
        };
        let st = resource(&sync(), &seen, true);
        assert_eq!(st.status, Avail::Warn);
        assert_eq!(
            st.log,
            [
                "warn: never synced to n2",
                "warn: last sync to n3 at 1970-01-01 00:16:40 UTC, older than max_delay (60s)",
                "info: last sync to n4 at 1970-01-01 00:33:10 UTC",
            ]
        );
        assert!(st.optional);
        // a target where it is not up says what it received
        let passive = Seen {
            here: "n3".into(),
            target_here: true,
            received: Some(Record {
                at: 1990,
                from: Some("n1".into()),
            }),
            now: 2000,
            ..Default::default()
        };
        let st = resource(&sync(), &passive, false);
        assert_eq!(st.status, Avail::Up);
        assert_eq!(
            st.log,
            ["info: last sync at 1970-01-01 00:33:10 UTC from n1"]
        );
        let never = Seen {
            received: None,
            ..passive.clone()
        };
        assert_eq!(
            resource(&sync(), &never, false).log,
            ["warn: never synced to n3"]
        );
        // neither the sender nor a target: nothing to say
        let other = Seen {
            target_here: false,
            ..passive
        };
        assert_eq!(
            resource(&sync(), &other, false).status,
            Avail::NotApplicable
        );
    }
}
