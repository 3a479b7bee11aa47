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
    ResourceStatus::of_head(&v.head, status, v.label(), log, true)
}
