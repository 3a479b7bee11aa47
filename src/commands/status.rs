//! `status` and `print status`: one `docker ps -a` for all the containers
//! of all the selected services (and one inspect of the unhealthy ones).

use super::Ctx;
use crate::cli::{Color, Format, PrintStatusArgs};
use crate::config;
use crate::docker;
use crate::docker::inspect::ContainerInfo;
use crate::error::{Error, Result};
use crate::fsutil::Under;
use crate::state;
use crate::status::{self, render::render, ServiceStatus};
use std::collections::HashSet;
use std::io::IsTerminal;

/// The status of every selected service; services whose config does not
/// load are reported and counted as failures.
fn collect(ctx: &Ctx, selector: &str) -> Result<(Vec<ServiceStatus>, bool)> {
    let paths = ctx.select(selector)?;
    // The engine lists its containers while the configs are read: on a
    // thousand services, the two take about as long (scripts/bench (g)).
    let listing = if paths.is_empty() {
        None
    } else {
        Some(docker::Listing::start()?)
    };
    // Each config read, checked and typed, with om's own state of the
    // service, on every CPU; what each says is said in the services' order.
    let (etc, var) = (Under::open(&ctx.roots.etc), Under::open(&ctx.roots.var));
    let loaded = crate::par::map(&paths, |p| {
        let mut notes = Vec::new();
        let svc =
            config::load_noting(p, &etc, &ctx.node, &mut |w| notes.push(w)).map(|(_, svc)| {
                let started = state::is_started(&svc.path, &var);
                let running = state::running_action(&svc.path, &var);
                (svc, started, running)
            });
        (notes, svc)
    });
    let mut services = Vec::new();
    let mut local = Vec::new();
    let mut broken = false;
    for (notes, svc) in loaded {
        for n in notes {
            crate::text::say(&n);
        }
        match svc {
            Ok((svc, started, running)) => {
                services.push(svc);
                local.push((started, running));
            }
            Err(e) => {
                crate::text::say(&e.to_string());
                broken = true;
            }
        }
    }
    let infos = match listing {
        Some(listing) => engine_view(&services, listing)?,
        None => Vec::new(),
    };
    let by_name = status::by_name(&infos);
    let both: Vec<_> = services.iter().zip(&local).collect();
    let statuses = crate::par::map(&both, |(svc, (started, running))| {
        status::service_in(svc, &ctx.node, &by_name, *started, running.as_deref())
    });
    Ok((statuses, broken))
}

/// What the engine has under the services' container names (see
/// `docker::survey`): one `docker ps -a` (every container, so a foreign one
/// squatting a name shows too), and one inspect only when a detail is
/// needed: the check output of unhealthy ones, or docker's word on the
/// names when the list came back empty. At most two docker calls, whatever
/// the number of services (SPEC 4.4).
fn engine_view(
    services: &[crate::config::service::Service],
    listing: docker::Listing,
) -> Result<Vec<ContainerInfo>> {
    let names: Vec<&str> = services
        .iter()
        .flat_map(|s| s.containers.iter().map(|c| c.name.as_str()))
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: HashSet<&str> = names.iter().copied().collect();
    Ok(
        docker::survey_listed(listing.rows()?, &names, true, docker::Absence::Listed)?
            .into_iter()
            .filter(|i| wanted.contains(i.name.as_str()))
            .collect(),
    )
}

/// The exit code says the status; 4 says om could not tell (no such
/// service, a config that does not load, an engine or a query that did not
/// answer), never "down" (SPEC 3).
pub fn exit_status(ctx: &Ctx, selector: &str) -> Result<()> {
    const UNKNOWN: u8 = 4;
    let (statuses, broken) = match collect(ctx, selector) {
        Ok(r) => r,
        Err(Error::Child(_)) => return Err(Error::Child(UNKNOWN)),
        Err(e) => {
            crate::text::say(&e.to_string());
            return Err(Error::Child(UNKNOWN));
        }
    };
    if broken {
        return Err(Error::Child(UNKNOWN));
    }
    // Several services: the first one that is not up, in path order (as the
    // docker passthrough exits with the first non-zero code).
    match statuses.iter().map(|s| s.overall.code()).find(|c| *c != 0) {
        Some(code) => Err(Error::Child(code)),
        None => Ok(()),
    }
}

pub fn print(ctx: &Ctx, selector: &str, args: &PrintStatusArgs) -> Result<()> {
    let (statuses, broken) = collect(ctx, selector)?;
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => !ctx.no_color && std::io::stdout().is_terminal(),
    };
    // Each service's text on every CPU, then written in order.
    let texts = crate::par::map(&statuses, |st| match args.format {
        Format::Text => Ok(render(st, color)),
        Format::Json => serde_json::to_string_pretty(st)
            .map(|doc| doc + "\n")
            .map_err(|e| Error::Failed(format!("json: {e}"))),
    });
    let mut out = String::new();
    for (i, text) in texts.into_iter().enumerate() {
        if i > 0 && args.format == Format::Text {
            out.push('\n');
        }
        out.push_str(&text?);
    }
    super::out(&out)?;
    if broken {
        return Err(Error::Child(1));
    }
    Ok(())
}
