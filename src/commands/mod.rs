//! Dispatch: one file per command family.

mod boot;
mod config_cmds;
mod create;
mod delete;
mod edit;
mod listing;
mod objects;
mod ocf;
mod passthrough;
mod status;

use crate::action::pull::pull;
use crate::action::Action;
use crate::cli::{
    Cli, Command, EditArgs, EditCommand, LsCli, PacemakerCommand, PrintCommand, ValidateCommand,
};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::nodes::across::run as act;
use crate::nodes::switch::{switch, Target};
use crate::nodes::{receive, sync};
use crate::paths::SvcPath;
use crate::selector::is_glob;
use clap::{FromArgMatches, Parser};
use std::ffi::OsString;

/// A selector that must name exactly one service (create, deploy).
fn exact_path(selector: &str) -> Result<SvcPath> {
    if is_glob(selector) || selector.contains(',') {
        return Err(Error::Usage(format!(
            "'{selector}': create needs one service path, not a glob or a list"
        )));
    }
    SvcPath::parse(selector)
}

/// Runs the command line `args` on `host` (as `main` read it; its error
/// is said once the command line is known good).
pub fn run(host: Result<Host>, args: Vec<OsString>) -> Result<()> {
    // Hidden: scripts/gen-docs writes the man pages and completions with it.
    if args.get(1).is_some_and(|a| a == "__gen-docs") {
        return gen_docs(&args);
    }
    if args.get(1).is_some_and(|a| a == "help") {
        return help(&args[2..]);
    }
    if let Some(hint) = order_hint(&args) {
        return Err(Error::Usage(hint));
    }
    if args.get(1).is_some_and(|a| a == "ls") {
        return ls(host, args);
    }
    if is_mon(&args) {
        return mon(host, args);
    }
    if args.get(1).is_some_and(|a| a == "ocf") {
        let cli = parse(crate::cli::OcfCli::try_parse_from(args.into_iter().skip(1)))?;
        return ocf::ocf(host, cli);
    }
    let args = every_service(args);
    let matches = parse(crate::cli::command().try_get_matches_from(args))?;
    let cli = parse(Cli::from_arg_matches(&matches))?;
    if lifeline_asked(&matches) {
        tie_to_lifeline(&cli.command)?;
    }
    let ctx = host_for(host, &cli)?;
    let sel = cli.selector.as_str();
    // secrets and configs (NS/sec/NAME, NS/cfg/NAME): their own commands
    if let Some(objs) = crate::objects::select(sel, &ctx.roots) {
        return objects::run_selected(&ctx, sel, &objs?, cli.command);
    }
    if !shares_terminal(&cli.command) {
        crate::interrupt::install();
    }
    dispatch(&ctx, sel, cli.command)
}

/// `om __gen-docs DIR`.
fn gen_docs(args: &[OsString]) -> Result<()> {
    let dir = args
        .get(2)
        .ok_or_else(|| Error::Usage("usage: om __gen-docs DIR".into()))?;
    crate::docs::write_all(std::path::Path::new(dir))
}

/// `om ls`, parsed on its own (it takes no selector).
fn ls(host: Result<Host>, args: Vec<OsString>) -> Result<()> {
    let ls = parse(LsCli::try_parse_from(args.into_iter().skip(1)))?;
    let mut host = host?;
    if ls.debug {
        host.set_debug();
    }
    listing::ls(&host, &ls)
}

/// `om mon [OPTIONS]`: every service, watched. A service named `mon`
/// keeps its commands (`om mon start`): only options may follow.
fn is_mon(args: &[OsString]) -> bool {
    args.get(1).is_some_and(|a| a == "mon")
        && args
            .get(2)
            .is_none_or(|a| a.to_string_lossy().starts_with('-'))
}

/// `om mon`, parsed on its own (it takes no selector): `om '*' print
/// status --watch`.
fn mon(host: Result<Host>, args: Vec<OsString>) -> Result<()> {
    let mon = parse(crate::cli::MonCli::try_parse_from(args.into_iter().skip(1)))?;
    let mut host = host?;
    if mon.debug {
        host.set_debug();
    }
    crate::interrupt::install();
    let print = crate::cli::PrintStatusArgs {
        format: mon.format,
        color: mon.color,
        local: mon.local,
        refresh: false,
        watch: true,
        every: mon.every,
    };
    status::print(&host, "*", &print)
}

/// `--lifeline` (every command's common options): the command another
/// node's om runs here over ssh lives only as long as that om's session.
fn lifeline_asked(matches: &clap::ArgMatches) -> bool {
    matches
        .subcommand()
        .and_then(|(_, m)| m.try_get_one::<bool>("lifeline").ok().flatten())
        .is_some_and(|on| *on)
}

/// Ties the process to its stdin, the lifeline; refused for a command that
/// reads stdin, which then has none.
fn tie_to_lifeline(command: &Command) -> Result<()> {
    if matches!(
        command,
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
    crate::interrupt::tie_to_stdin()
}

/// The host the command runs on, with `--debug`; its error is said now.
fn host_for(host: Result<Host>, cli: &Cli) -> Result<Host> {
    let mut ctx = match host {
        Ok(ctx) => ctx,
        // `status` says 4 whenever it can not tell (SPEC 3).
        Err(e) if matches!(cli.command, Command::Status(_)) => {
            crate::text::say(&e.to_string());
            return Err(Error::StatusUnknown);
        }
        Err(e) => return Err(e),
    };
    if cli.debug {
        ctx.set_debug();
    }
    Ok(ctx)
}

/// A child that shares the terminal gets its SIGINT itself and om passes
/// its exit code through (SPEC 6); every other command kills its docker
/// call on a signal (a call runs in its own process group, out of the
/// terminal's reach) and exits 128+N.
/// `create` and `deploy` may read stdin first: deploy installs it once
/// its config is read, create runs no docker call.
fn shares_terminal(command: &Command) -> bool {
    matches!(
        command,
        Command::Docker(_)
            | Command::Enter(_)
            | Command::Edit(_)
            | Command::Logs(_)
            | Command::Create(_)
            | Command::Deploy(_)
    )
}

/// The command on the services `sel` picks.
fn dispatch(ctx: &Host, sel: &str, command: Command) -> Result<()> {
    match command {
        Command::Create(a) if a.provision => {
            create::create_provisioned(ctx, &exact_path(sel)?, &a.args)
        }
        Command::Create(a) => create::create(ctx, &exact_path(sel)?, &a.args),
        Command::Deploy(a) => create::deploy(ctx, &exact_path(sel)?, &a),
        Command::Provision(a) => act(ctx, sel, Action::Provision, &a),
        Command::Unprovision(a) => act(ctx, sel, Action::Unprovision, &a),
        Command::Purge(a) => act(ctx, sel, Action::Purge, &a),
        Command::Start(a) => act(ctx, sel, Action::Start, &a),
        Command::Stop(a) => act(ctx, sel, Action::Stop, &a),
        Command::Restart(a) => act(ctx, sel, Action::Restart, &a),
        Command::Switch(a) => switch(ctx, sel, &Target::To(a.to.clone()), &a.action),
        Command::Takeover(a) => switch(ctx, sel, &Target::Here, &a),
        Command::Giveback(a) => switch(ctx, sel, &Target::First, &a),
        Command::Pull(a) => pull(ctx, sel, &a),
        Command::Delete(a) => delete::delete(ctx, sel, &a),
        Command::Status(a) => status::exit_status(ctx, sel, a.local),
        Command::Sync(a) if a.data.is_some() => {
            crate::resource::sync::send::command(ctx, sel, a.data.as_ref())
        }
        Command::Sync(a) if a.receive => receive::receive(ctx, &exact_path(sel)?, &a),
        Command::Sync(a) => sync::sync(ctx, sel, &a),
        Command::Print(PrintCommand::Status(a)) => status::print(ctx, sel, &a),
        Command::Print(PrintCommand::Config(a)) => config_cmds::print_config(ctx, sel, &a),
        Command::Get(a) => config_cmds::get(ctx, sel, &a),
        Command::Set(a) => config_cmds::set(ctx, sel, &a),
        Command::Unset(a) => config_cmds::unset(ctx, sel, &a),
        Command::Validate(ValidateCommand::Config) => config_cmds::validate(ctx, sel),
        Command::Edit(EditArgs {
            what: Some(EditCommand::Config(a)),
            ..
        }) => edit::edit_config(ctx, sel, &a),
        Command::Edit(EditArgs { key: Some(_), .. }) => Err(Error::Usage(format!(
            "'{sel}' is not a secret or a config: edit --key applies to NS/sec/NAME and NS/cfg/NAME (a service's: edit config)"
        ))),
        Command::Edit(_) => Err(Error::Usage(
            "edit what? edit config (a service's config) or edit --key KEY (a secret's or config's key)".into(),
        )),
        Command::Enable(a) => config_cmds::enable(ctx, sel, &a, true),
        Command::Disable(a) => config_cmds::enable(ctx, sel, &a, false),
        Command::Docker(a) => passthrough::docker(ctx, sel, a.node.as_deref(), &a.args),
        Command::Enter(a) => passthrough::enter(ctx, sel, a.rid.as_deref()),
        Command::Ps => listing::ps(ctx, sel),
        Command::Logs(a) if a.containers => listing::container_logs(ctx, sel, &a),
        Command::Logs(a) => listing::logs(ctx, sel, a.follow),
        Command::Boot(b) => boot::boot(ctx, sel, &b),
        Command::Pacemaker(PacemakerCommand::Config(a)) => {
            crate::ha::apply::config(ctx, sel, &crate::ha::apply::site(ctx, &a))
        }
        Command::Pacemaker(PacemakerCommand::Apply(a)) => {
            crate::ha::apply::apply(ctx, sel, &crate::ha::apply::site(ctx, &a), a.dry_run)
        }
        Command::Add(_)
        | Command::Change(_)
        | Command::Keys
        | Command::Decode(_)
        | Command::Remove(_) => Err(Error::Usage(format!(
            "'{sel}' is not a secret or a config: add, change, keys, decode and remove apply to NS/sec/NAME and NS/cfg/NAME"
        ))),
    }
}

/// `om print status [OPTIONS]`, without a selector: every service, as
/// `om '*' print status` (as `systemctl status` without a unit shows them
/// all). It was a usage error: clap takes `print` for the command, never
/// for a service's name, so no service's command line changes meaning.
fn every_service(mut args: Vec<OsString>) -> Vec<OsString> {
    let bare = args.get(1).is_some_and(|a| a == "print")
        && args.get(2).is_some_and(|a| a == "status")
        && args
            .get(3)
            .is_none_or(|a| a.to_string_lossy().starts_with('-'));
    if bare {
        args.insert(1, "*".into());
    }
    args
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
    let words = |from: usize| -> String {
        args.get(from..)
            .unwrap_or_default()
            .iter()
            .map(|a| format!(" {}", crate::process::quote(&a.to_string_lossy())))
            .collect()
    };
    let lead = first.to_string_lossy();
    if !is_command(first)
        && !lead.starts_with('-')
        && lead != "ls"
        && lead != "mon"
        && !is_command(second)
    {
        // `om SVC exec …`: docker compose's word for what om says
        // otherwise (a real command of this name wins)
        let svc = crate::process::quote(&first.to_string_lossy());
        return match second_str {
            "exec" => Some(format!(
                "om has no exec: om {svc} docker exec {{container#1}}{} runs in a container (om {svc} enter: a shell)",
                words(3)
            )),
            _ => None,
        };
    }
    if !is_command(first) || second_str.starts_with('-') {
        return None;
    }
    let sub = cmd.find_subcommand(first.to_str()?)?;
    let is_sub = |w: &str| sub.get_subcommands().any(|s| s.get_name() == w);
    if is_sub(second_str) {
        // `om print status SVC`: the service comes first here too
        let third = args.get(3)?.to_str()?;
        if is_sub(third) || third.starts_with('-') || is_command(args.get(3)?) {
            return None;
        }
        return Some(format!(
            "the service comes first: om {} {} {second_str}{}",
            crate::process::quote(third),
            first.to_string_lossy(),
            words(4)
        ));
    }
    if is_command(second) {
        return None;
    }
    Some(format!(
        "the service comes first: om {} {}{}",
        crate::process::quote(second_str),
        first.to_string_lossy(),
        words(3)
    ))
}

/// clap's own output for --help, --version and usage errors, with its code.
fn parse<T>(r: std::result::Result<T, clap::Error>) -> Result<T> {
    r.map_err(|e| {
        let _ = e.print();
        Error::Child(u8::try_from(e.exit_code()).unwrap_or(2))
    })
}
