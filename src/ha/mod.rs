//! Services Pacemaker runs (SPEC 18, `orchestrate = ha`): what they mean
//! to Pacemaker (`cib`), loading it (`apply`), om's actions across nodes
//! asking Pacemaker instead of acting (`route`), and Pacemaker's view in
//! the status (`view`), all through Pacemaker's own tools (`crm`).

pub mod apply;
pub mod cib;
pub mod crm;
pub mod route;
pub mod view;
pub mod xml;

use crate::model::Service;

/// Whether Pacemaker runs the service: its actions across nodes go to
/// Pacemaker, its status shows Pacemaker's view. The one test of it.
pub fn is_pacemakers(svc: &Service) -> bool {
    svc.ha.is_some()
}
