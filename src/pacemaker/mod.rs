//! om under Pacemaker (SPEC 18): the OCF agent `ocf:om:svc`.

pub mod agent;
pub mod ocf;
