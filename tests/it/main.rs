//! All integration tests, one binary, one file per feature.

mod config;
mod debug;
mod driver;
mod fake_docker;
mod fidelity;
mod golden;
mod holders;
mod host_faults;
mod hostile;
mod hostile_config;
mod hosting;
mod ip;
mod layering;
mod lifecycle;
mod limits;
mod multinode;
mod nodes;
mod passthrough;
mod registry;
mod secrets;
mod shipping;
mod support;
mod triggers;
mod walkthrough;
