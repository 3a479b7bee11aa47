//! Dispatch: one file per command family.

pub(crate) mod action;
mod boot;
mod config_cmds;
mod create;
mod delete;
mod edit;
mod listing;
mod nodes;
mod objects;
mod passthrough;
mod status;
mod switch;
pub(crate) mod sync;
mod write_checks;

use crate::cli::{Cli, Command, EditCommand, LsCli, PrintCommand, ValidateCommand};
use crate::error::{Error, Result};
use crate::paths::SvcPath;
use crate::selector::is_glob;
use crate::units::parse_duration;
use clap::{FromArgMatches, Parser};
use std::ffi::OsString;
use std::time::Duration;

/// What every command needs to know about this host (read once in `run`).
pub use crate::host::Host as Ctx;

/// The action logger of one service: its lines on stderr (only warnings
/// and errors with `--quiet`) and in its log file.
fn service_log(ctx: &Ctx, path: &SvcPath, quiet: bool) -> crate::logger::Logger {
    crate::logger::Logger::new(
        &ctx.node,
        &path.to_string(),
        Some(&path.log_file(&ctx.roots)),
        &ctx.roots.trees(),
    )
    .quiet(quiet)
    .color(ctx.stderr_color)
}

/// The log of an action on one service, which records it (see `logger`):
/// none that can be written, no action, but for a stop (SPEC 7: a stop
/// always works), which runs and fails. A dry run runs nothing: its log
/// is kept when it can be, as a read-only command's.
fn action_log(
    ctx: &Ctx,
    path: &SvcPath,
    quiet: bool,
    what: &str,
    dry_run: bool,
) -> Result<crate::logger::Logger> {
    if dry_run {
        return Ok(service_log(ctx, path, quiet));
    }
    let file = path.log_file(&ctx.roots);
    let anyway = what == action::Kind::Stop.name();
    Ok(crate::logger::Logger::for_action(
        &ctx.node,
        &path.to_string(),
        &file,
        &ctx.roots.trees(),
        what,
        anyway,
    )?
    .quiet(quiet)
    .color(ctx.stderr_color))
}

/// `--expect-id`: the service here must be the one the asking node has.
fn check_id(svc: &crate::model::Service, common: &crate::cli::CommonArgs) -> Result<()> {
    check_id_of(&svc.path, &svc.id, common)
}

/// `check_id` of the service at `path`, whose id here is `id`.
fn check_id_of(path: &SvcPath, id: &str, common: &crate::cli::CommonArgs) -> Result<()> {
    match &common.expect_id {
        Some(expect) if expect != id => Err(Error::Failed(format!(
            "{path}: the service here has id {id}, not {expect}: another service at this path, not acted on"
        ))),
        _ => Ok(()),
    }
}

/// A selector that must name exactly one service (create, deploy).
fn exact_path(selector: &str) -> Result<SvcPath> {
    if is_glob(selector) || selector.contains(',') {
        return Err(Error::Usage(format!(
            "'{selector}': create needs one service path, not a glob or a list"
        )));
    }
    SvcPath::parse(selector)
}

pub fn waitlock(s: &str) -> Result<Duration> {
    parse_duration(s).map_err(|e| Error::Usage(format!("--waitlock: {e}")))
}

/// Runs the command line `args` on `host` (as `main` read it; its error
/// is said once the command line is known good).
pub fn run(host: Result<Ctx>, args: Vec<OsString>) -> Result<()> {
    // Hidden: scripts/gen-docs writes the man pages and completions with it.
    if args.get(1).is_some_and(|a| a == "__gen-docs") {
        let dir = args
            .get(2)
            .ok_or_else(|| Error::Usage("usage: om __gen-docs DIR".into()))?;
        return crate::docs::write_all(std::path::Path::new(dir));
    }
    if args.get(1).is_some_and(|a| a == "help") {
        return help(&args[2..]);
    }
    if let Some(hint) = order_hint(&args) {
        return Err(Error::Usage(hint));
    }
    if args.get(1).is_some_and(|a| a == "ls") {
        let ls = parse(LsCli::try_parse_from(args.into_iter().skip(1)))?;
        return listing::ls(&host?, ls.format);
    }
    let matches = parse(crate::cli::command().try_get_matches_from(args))?;
    let cli = parse(Cli::from_arg_matches(&matches))?;
    // `--lifeline` (every command's common options): the command another
    // node's om runs here over ssh lives only as long as that om's session
    let lifeline = matches
        .subcommand()
        .and_then(|(_, m)| m.try_get_one::<bool>("lifeline").ok().flatten())
        .is_some_and(|on| *on);
    if lifeline {
        // the line is stdin itself: a command that reads stdin has none
        if matches!(
            cli.command,
            Command::Create(_)
                | Command::Deploy(_)
                | Command::Sync(_)
                | Command::Add(_)
                | Command::Change(_)
                | Command::Docker(_)
                | Command::Enter(_)
                | Command::Edit(_)
        ) {
            return Err(Error::Usage(
                "--lifeline: this command reads stdin, which the lifeline is".into(),
            ));
        }
        crate::interrupt::tie_to_stdin()?;
    }
    let ctx = match host {
        Ok(ctx) => ctx,
        // `status` says 4 whenever it can not tell (SPEC 3).
        Err(e) if matches!(cli.command, Command::Status(_)) => {
            crate::text::say(&e.to_string());
            return Err(Error::StatusUnknown);
        }
        Err(e) => return Err(e),
    };
    let sel = cli.selector.as_str();
    // secrets and configs (NS/sec/NAME, NS/cfg/NAME): their own commands
    if let Some(objs) = crate::objects::select(sel, &ctx.roots) {
        return objects::run_selected(&ctx, sel, &objs?, cli.command);
    }
    // A child that shares the terminal gets its SIGINT itself and om passes
    // its exit code through (SPEC 6); every other command kills its docker
    // call on a signal (a call runs in its own process group, out of the
    // terminal's reach) and exits 128+N.
    // `create` and `deploy` may read stdin first: deploy installs it once
    // its config is read, create runs no docker call.
    let shares_terminal = matches!(
        cli.command,
        Command::Docker(_)
            | Command::Enter(_)
            | Command::Edit(_)
            | Command::Logs(_)
            | Command::Create(_)
            | Command::Deploy(_)
    );
    if !shares_terminal {
        crate::interrupt::install();
    }
    match cli.command {
        Command::Create(a) => create::create(&ctx, &exact_path(sel)?, &a).map(drop),
        Command::Deploy(a) => create::deploy(&ctx, &exact_path(sel)?, &a),
        Command::Provision(a) => action::run(&ctx, sel, action::Kind::Provision, &a),
        Command::Unprovision(a) => action::run(&ctx, sel, action::Kind::Unprovision, &a),
        Command::Purge(a) => action::run(&ctx, sel, action::Kind::Purge, &a),
        Command::Start(a) => action::run(&ctx, sel, action::Kind::Start, &a),
        Command::Stop(a) => action::run(&ctx, sel, action::Kind::Stop, &a),
        Command::Restart(a) => action::run(&ctx, sel, action::Kind::Restart, &a),
        Command::Switch(a) => {
            switch::switch(&ctx, sel, &switch::Target::To(a.to.clone()), &a.action)
        }
        Command::Takeover(a) => switch::switch(&ctx, sel, &switch::Target::Here, &a),
        Command::Giveback(a) => switch::switch(&ctx, sel, &switch::Target::First, &a),
        Command::Pull(a) => action::pull(&ctx, sel, &a),
        Command::Delete(a) => delete::delete(&ctx, sel, &a),
        Command::Status(a) => status::exit_status(&ctx, sel, a.local),
        Command::Sync(a) if a.receive => sync::receive(&ctx, &exact_path(sel)?, &a),
        Command::Sync(a) => sync::sync(&ctx, sel, &a),
        Command::Print(PrintCommand::Status(a)) => status::print(&ctx, sel, &a),
        Command::Print(PrintCommand::Config(a)) => config_cmds::print_config(&ctx, sel, &a),
        Command::Get(a) => config_cmds::get(&ctx, sel, &a),
        Command::Set(a) => config_cmds::set(&ctx, sel, &a),
        Command::Unset(a) => config_cmds::unset(&ctx, sel, &a),
        Command::Validate(ValidateCommand::Config) => config_cmds::validate(&ctx, sel),
        Command::Edit(EditCommand::Config(a)) => edit::edit_config(&ctx, sel, &a),
        Command::Enable(a) => config_cmds::enable(&ctx, sel, &a, true),
        Command::Disable(a) => config_cmds::enable(&ctx, sel, &a, false),
        Command::Docker(a) => passthrough::docker(&ctx, sel, a.node.as_deref(), &a.args),
        Command::Enter(a) => passthrough::enter(&ctx, sel, &a.rid),
        Command::Logs(a) if a.containers => listing::container_logs(&ctx, sel, &a),
        Command::Logs(a) => listing::logs(&ctx, sel, a.follow),
        Command::Boot(b) => boot::boot(&ctx, sel, &b),
        Command::Add(_)
        | Command::Change(_)
        | Command::Keys
        | Command::Decode(_)
        | Command::Remove(_) => Err(Error::Usage(format!(
            "'{sel}' is not a secret or a config: add, change, keys, decode and remove apply to NS/sec/NAME and NS/cfg/NAME"
        ))),
    }
}

/// `om help [COMMAND…]`: om's help, or a command's (`om help print status`).
fn help(words: &[OsString]) -> Result<()> {
    let mut argv: Vec<OsString> = vec!["om".into(), "SELECTOR".into()];
    argv.extend(words.iter().cloned());
    if words.is_empty() {
        argv.truncate(1);
    }
    argv.push("--help".into());
    parse(crate::cli::command().try_get_matches_from(argv)).map(drop)
}

/// `om start svc1`: the command where the selector goes. A selector that
/// is itself a command's name (a service named `start`) is taken as one
/// when what follows is a command too.
fn order_hint(args: &[OsString]) -> Option<String> {
    let cmd = crate::cli::command();
    let is_command = |w: &OsString| {
        w.to_str()
            .is_some_and(|w| cmd.get_subcommands().any(|s| s.get_name() == w))
    };
    let (first, second) = (args.get(1)?, args.get(2)?);
    let second_str = second.to_str()?;
    if !is_command(first) || is_command(second) || second_str.starts_with('-') {
        return None;
    }
    let first = first.to_string_lossy();
    let rest: Vec<String> = args[3..]
        .iter()
        .map(|a| crate::process::quote(&a.to_string_lossy()))
        .collect();
    let tail = if rest.is_empty() {
        String::new()
    } else {
        format!(" {}", rest.join(" "))
    };
    Some(format!(
        "the service comes first: om {} {first}{tail}",
        crate::process::quote(second_str)
    ))
}

/// clap's own output for --help, --version and usage errors, with its code.
fn parse<T>(r: std::result::Result<T, clap::Error>) -> Result<T> {
    r.map_err(|e| {
        let _ = e.print();
        Error::Child(u8::try_from(e.exit_code()).unwrap_or(2))
    })
}

/// Writes data to stdout. A reader that went away (`om ls | head -1`) ends
/// the command quietly with success, as ripgrep does, instead of a panic.
pub fn out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::StdoutClosed),
        Err(e) => Err(Error::Failed(format!("writing to stdout: {e}"))),
    }
}

/// Runs `f` on every path; reports each failure on its own line, naming the
/// service, and fails
/// at the end if any did (a failed service does not stop the others).
pub fn each(paths: &[SvcPath], mut f: impl FnMut(&SvcPath) -> Result<()>) -> Result<()> {
    let mut first: Option<Error> = None;
    for p in paths {
        // After a signal, the services not begun yet are left alone.
        if let Some(sig) = crate::interrupt::received() {
            first.get_or_insert(Error::Interrupted(sig));
            break;
        }
        if let Err(e) = f(p) {
            // stdout was closed (see `out`): nobody reads the rest
            if matches!(e, Error::StdoutClosed) {
                break;
            }
            if !e.said() {
                let msg = e.to_string();
                let path = p.to_string();
                if msg.contains(&path) {
                    crate::text::say(&msg);
                } else {
                    crate::text::say(&format!("{path}: {msg}"));
                }
            }
            first.get_or_insert(e);
        }
    }
    match first {
        None => Ok(()),
        Some(e) => Err(Error::Reported(Box::new(e))),
    }
}
