//! This node and the others: the transport (ssh) that runs `om … --local`
//! on another node, asking the other nodes what they say of a service, an
//! action across the nodes, a switch, and config sync with the checks
//! every config write makes before it (here and on a receiving node).

pub mod across;
pub mod ask;
pub mod receive;
pub mod switch;
pub mod sync;
pub mod transport;
pub mod write_checks;
