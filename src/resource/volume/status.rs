//! The volume kind's part of the status (SPEC 17).

use super::State;
use crate::status::{Avail, ResourceStatus};

/// A volume resource, from what its engine holds.
pub fn resource(v: &crate::model::Volume, seen: &State) -> ResourceStatus {
    let (status, log) = match seen {
        _ if v.head.disable => (Avail::NotApplicable, Vec::new()),
        State::Up => (Avail::Up, Vec::new()),
        State::Down(why) => (Avail::Down, vec![format!("info: {why}")]),
        State::Unknown(why) => (Avail::Warn, vec![format!("warn: {why}")]),
    };
    let flag = |on: bool, ch: char| if on { ch } else { '.' };
    ResourceStatus {
        rid: v.head.rid.to_string(),
        status,
        flags: [
            '.',
            '.',
            flag(v.head.disable, 'D'),
            flag(v.head.optional, 'O'),
            '.',
            '.',
            '.',
            '.',
        ]
        .iter()
        .collect(),
        label: v.label(),
        log,
        disabled: v.head.disable,
        optional: v.head.optional,
        standby: false,
        provisioned: true,
        subset: v.head.subset.clone(),
        container: None,
        leftover: false,
    }
}
