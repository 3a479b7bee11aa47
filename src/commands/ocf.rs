//! `om ocf ACTION`: the OCF agent's entry (src/pacemaker/ocf.rs). Its
//! input is the OCF protocol's: the action on the command line, the
//! parameters in `OCF_RESKEY_*`, read here once.

use crate::cli::OcfCli;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::pacemaker::ocf::{run, Request};

pub fn ocf(host: Result<Host>, cli: OcfCli) -> Result<()> {
    let vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("OCF_RESKEY_"))
        .collect();
    // meta-data and install need no host: om's default bound then
    let docker_bound = host
        .as_ref()
        .map_or(crate::host::DockerCli::default().bound, |h| h.docker.bound);
    let req = Request {
        action: cli.action,
        vars,
        ocf_root: std::env::var_os("OCF_ROOT")
            .filter(|v| !v.is_empty())
            .map(Into::into),
        docker_bound,
        docker: host.as_ref().ok().map(|h| h.docker.clone()),
    };
    match run(&req)? {
        0 => Ok(()),
        code => Err(Error::Child(code)),
    }
}
