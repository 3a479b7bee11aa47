//! The data kinds' part of the status (SPEC 17): a disk's or an fs's
//! line, from its state.

use super::State;
use crate::model::{Disk, Head};
use crate::status::{Avail, ResourceStatus};

/// A disk resource (SPEC 17).
pub fn resource(d: &Disk, seen: &State) -> ResourceStatus {
    line(&d.head, d.label(), seen, super::provisioned(d))
}

/// A data resource's status line: its head, label and state.
pub fn line(head: &Head, label: String, seen: &State, provisioned: bool) -> ResourceStatus {
    let (status, log) = match seen {
        _ if head.disable => (Avail::NotApplicable, Vec::new()),
        State::Up => (Avail::Up, Vec::new()),
        State::Down(why) => (Avail::Down, vec![format!("info: {why}")]),
        State::Unknown(why) => (Avail::Warn, vec![format!("warn: {why}")]),
    };
    ResourceStatus::of_head(head, status, label, log, provisioned)
}
