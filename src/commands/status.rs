//! `status` and `print status`: the exit code, or the document, of what
//! `status::collect` found.

use crate::cli::{Color, Format, PrintStatusArgs};
use crate::error::{Error, Result};
use crate::host::Host;

use crate::status::collect::collect;
use crate::status::render::{render, Layout};
use crate::status::{not_configured, Avail, ServiceStatus};
use std::io::IsTerminal;

/// The exit code says the status; 4 says om could not tell (no such
/// service, a config that does not load, an engine or a query that did not
/// answer), never "down" (SPEC 3).
///
/// Across nodes (without `--local`) the code is the service's, as the
/// status tree's first line says it: up when one node runs it, whatever a
/// silent node; 4 only when this node's answer can not decide (down here,
/// and a node that did not answer may run it).
pub fn exit_status(ctx: &Host, selector: &str, local: bool) -> Result<()> {
    let (statuses, broken) = match ctx
        .select(selector)
        .and_then(|paths| collect(ctx, &paths, !local, false))
    {
        Ok(r) => r,
        Err(e) if e.said() => return Err(Error::StatusUnknown),
        Err(e) => {
            crate::text::say(&e.to_string());
            return Err(Error::StatusUnknown);
        }
    };
    if broken {
        return Err(Error::StatusUnknown);
    }
    // Several services: the first one that is not up, in path order (as the
    // docker passthrough exits with the first non-zero code).
    match statuses.iter().find(|s| s.overall.code() != 0) {
        Some(st) if st.overall == Avail::Unknown => {
            // what the tree shows on the silent nodes' lines, said once
            crate::text::say(&why_unknown(st));
            Err(Error::StatusUnknown)
        }
        Some(st) => Err(Error::Status(st.overall.code())),
        None => Ok(()),
    }
}

/// Why a service's status across its nodes is not known: the nodes that
/// could not tell (their reason), where no node that answered runs it.
fn why_unknown(st: &ServiceStatus) -> String {
    let silent: Vec<String> = st
        .instances
        .iter()
        .filter(|i| i.overall == Avail::Unknown && !not_configured(&i.notice, &st.path))
        .map(|i| format!("{} ({})", i.node, i.notice))
        .collect();
    if silent.is_empty() {
        return format!("{}: the status is unknown", st.path);
    }
    format!(
        "{}: the status is unknown: {} can not tell whether the service runs there, and no node that answered runs it",
        st.path,
        silent.join(", ")
    )
}

pub fn print(ctx: &Host, selector: &str, args: &PrintStatusArgs) -> Result<()> {
    if args.watch {
        return watch(ctx, selector, args);
    }
    if args.every.interval.is_some() {
        return Err(Error::Usage(
            "--interval: only with --watch (how often a watch asks the other nodes)".into(),
        ));
    }
    // a document of what matches: none is an empty one
    let (statuses, broken) = collect(ctx, &ctx.matching(selector)?, !args.local, true)?;
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => !ctx.no_color && std::io::stdout().is_terminal(),
    };
    let layout = Layout::stdout(color);
    // Each service's text on every CPU, then written in order.
    let texts = crate::parallel::map(&statuses, |st| match args.format {
        Format::Text => Ok(render(st, &layout)),
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
    crate::output::out(&out)?;
    if broken {
        return Err(Error::Said);
    }
    Ok(())
}

/// How often a watch asks the other nodes by default: an ssh call per
/// node each time, and the tree fresh enough to follow a switch.
const INTERVAL: &str = "5s";

/// `print status --watch` (and `om mon`, which is `'*'`'s).
fn watch(ctx: &Host, selector: &str, args: &PrintStatusArgs) -> Result<()> {
    let interval = crate::units::parse_duration(args.every.interval.as_deref().unwrap_or(INTERVAL))
        .map_err(|e| Error::Usage(format!("--interval: {e}")))?;
    if interval.is_zero() {
        return Err(Error::Usage(
            "--interval: 0 would ask the other nodes without a pause; give 1s or more".into(),
        ));
    }
    let title = if selector == "*" {
        "om mon".to_string()
    } else {
        format!(
            "om {} print status --watch",
            crate::process::quote(selector)
        )
    };
    let opts = crate::status::watch::Options {
        title,
        json: args.format == Format::Json || !std::io::stdout().is_terminal(),
        color: match args.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => !ctx.no_color && std::io::stdout().is_terminal(),
        },
        local: args.local,
        interval,
    };
    crate::status::watch::run(ctx, selector, &opts)
}
