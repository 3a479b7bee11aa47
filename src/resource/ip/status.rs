//! The ip kind's part of the status (SPEC 16).

use super::State;
use crate::status::{Avail, ResourceStatus};

/// An ip resource (SPEC 16), from what its holder's namespace holds.
pub fn resource(ip: &crate::model::Ip, seen: &State) -> ResourceStatus {
    let (status, log) = match seen {
        _ if ip.head.disable => (Avail::NotApplicable, Vec::new()),
        State::Up => (Avail::Up, Vec::new()),
        State::Down(why) => (Avail::Down, vec![format!("info: {why}")]),
        State::Unknown(why) => (Avail::Warn, vec![format!("warn: {why}")]),
    };
    ResourceStatus::of_head(&ip.head, status, ip.label(), log, true)
}
