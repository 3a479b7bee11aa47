//! The data kinds' part of the status (SPEC 17): a disk's or an fs's
//! line, from its state.

use super::State;
use crate::model::{Disk, Head};
use crate::status::{Avail, ResourceStatus};

/// A disk resource (SPEC 17).
pub fn resource(d: &Disk, seen: &State) -> ResourceStatus {
    // asked within a bound; no answer: not said to be missing
    let file = std::path::PathBuf::from(&d.file);
    let provisioned = super::within(super::ANSWER_BOUND, move || file.exists()).unwrap_or(true);
    line(&d.head, d.label(), seen, provisioned)
}

/// A data resource's status line: its head, label and state.
pub fn line(head: &Head, label: String, seen: &State, provisioned: bool) -> ResourceStatus {
    let (status, log) = match seen {
        _ if head.disable => (Avail::NotApplicable, Vec::new()),
        State::Up => (Avail::Up, Vec::new()),
        State::Down(why) => (Avail::Down, vec![format!("info: {why}")]),
        State::Unknown(why) => (Avail::Warn, vec![format!("warn: {why}")]),
    };
    let flag = |on: bool, ch: char| if on { ch } else { '.' };
    ResourceStatus {
        rid: head.rid.to_string(),
        status,
        flags: [
            '.',
            '.',
            flag(head.disable, 'D'),
            flag(head.optional, 'O'),
            '.',
            flag(!provisioned, 'P'),
            '.',
            '.',
        ]
        .iter()
        .collect(),
        label,
        log,
        disabled: head.disable,
        optional: head.optional,
        provisioned,
        subset: head.subset.clone(),
        container: None,
        leftover: false,
        standby: false,
    }
}
