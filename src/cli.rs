//! The command line, as clap definitions. The man pages and completions are
//! generated from these same definitions.

use crate::complete::{Site, Values};
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "om",
    version,
    about = "Manage services made of docker containers, the OpenSVC way, without a daemon",
    long_about = "Manage services made of docker containers, the OpenSVC way, without a daemon.\n\n\
        Usage: om SELECTOR COMMAND [OPTIONS], or om ls [--format json] (the service paths).\n\
        A SELECTOR is a service path (NAME or NAMESPACE/svc/NAME), a glob (svc*, ns1/svc/*) \
        or a comma list of them.",
    after_help = "Also: om ls [--format json] lists the service paths; om mon watches every \
        service's status; om help [COMMAND].\n\
        Exit codes: 0 success, 1 failure, 2 usage error, 128+N killed by signal N; `status` \
        exits with the service status (up 0, down 1, warn 2, n/a 3; 4 when om can not tell); \
        `docker` exits with docker's code."
)]
pub struct Cli {
    /// Service path, glob or comma list of them (e.g. svc1, 'svc*', ns1/svc/web).
    #[arg(value_name = "SELECTOR")]
    pub selector: String,

    #[command(subcommand)]
    pub command: Command,

    /// Say on stderr, in D lines, the lock taken (and how long it was
    /// waited for), each docker and ssh call (its exit, its duration) and
    /// each config read: the OpenSVC agent's --debug.
    #[arg(long, global = true)]
    pub debug: bool,
}

/// `om ls` has no selector; it is parsed on its own.
#[derive(Parser, Debug)]
#[command(
    name = "om ls",
    about = "List the services (their state and where they run, on a terminal), then the secrets and configs",
    after_help = "On a terminal, a table as systemctl list-units shows units: each service's \
        path, its state (up, down, warn, n/a, as om SVC status exits; unknown when om can \
        not tell) and the nodes where it runs; secrets and configs show -. The state is read \
        as print status reads it (one container listing per engine, the other nodes asked).\n\
        Not on a terminal (a pipe, a file, $(om ls)), the paths alone, one per line, as \
        scripts read them; --long gives the table there too. --format json: the paths, as \
        a JSON array."
)]
pub struct LsCli {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The table (state, where it runs) even when stdout is not a terminal.
    #[arg(long, short = 'l')]
    pub long: bool,
    /// Say on stderr, in D lines, the lock taken (and how long it was
    /// waited for), each docker and ssh call (its exit, its duration) and
    /// each config read: the OpenSVC agent's --debug.
    #[arg(long, global = true)]
    pub debug: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a service from --config (JSON or INI, FILE or - for stdin) and --kw.
    Create(CreateCmd),
    /// Create or update the service, then provision it: only what changed is recreated.
    Deploy(CreateArgs),
    /// Create the containers (docker run) and leave them started.
    Provision(ActionArgs),
    /// Stop and remove the containers; keep the config.
    Unprovision(ActionArgs),
    /// Unprovision, then delete the config and state.
    Purge(ActionArgs),
    /// Start the containers.
    Start(ActionArgs),
    /// Stop the containers.
    Stop(ActionArgs),
    /// Stop, then start the containers.
    Restart(ActionArgs),
    /// Move the service to another of its nodes: stop where it runs, then start on the target (the next node of nodes by default).
    Switch(SwitchArgs),
    /// Switch the service to this node.
    Takeover(ActionArgs),
    /// Switch the service to the first node of nodes.
    Giveback(ActionArgs),
    /// Pull the images of the containers (each within its pull_timeout).
    Pull(ActionArgs),
    /// Remove the config and state (refused while the service's containers exist).
    Delete(DeleteArgs),
    /// Print nothing; exit with the overall status (up 0, down 1, warn 2, n/a 3).
    Status(StatusArgs),
    /// Install this node's config of the service on its other nodes.
    ///
    /// A node whose config changed since the last sync keeps it: the sync
    /// refuses, naming it (--force installs this node's there).
    Sync(SyncArgs),
    /// Print the status tree or the config.
    #[command(subcommand)]
    Print(PrintCommand),
    /// Print a keyword's value.
    Get(GetArgs),
    /// Set keywords (KEY=VAL, KEY+=WORD, KEY-=WORD), validating before writing.
    Set(SetArgs),
    /// Remove keywords.
    Unset(UnsetArgs),
    /// Check the config: errors and warnings.
    #[command(subcommand)]
    Validate(ValidateCommand),
    /// Edit the config (edit config), or a secret's or config's key (edit --key K), in $VISUAL or $EDITOR.
    Edit(EditArgs),
    /// Clear `disable` on the --rid resources (all when none given).
    Enable(RidArgs),
    /// Set `disable` on the --rid resources (all when none given).
    Disable(RidArgs),
    /// Run docker with {container#N}, {N}, %N%, {instances}, {images} substituted.
    ///
    /// Every argument goes to docker, --help included.
    #[command(disable_help_flag = true)]
    Docker(DockerArgs),
    /// Open a shell in a container: docker exec -it NAME /bin/bash, else /bin/sh.
    Enter(EnterArgs),
    /// List the service's own containers (docker ps of them): name, rid, state, image, id.
    ///
    /// The containers of the service on this node, each found as status
    /// finds it (its name, or its com.opensvc.id label when renamed behind
    /// om's back), with the ones the config no longer names; a container
    /// not created yet shows as absent. A stopped one says its exit code and
    /// how long ago (exited 137, 2m ago). All of the engine's containers:
    /// om SVC docker ps.
    Ps,
    /// Show the service's action log.
    ///
    /// The log of om's actions on the service, not what its containers
    /// print. Their output: `om SVC logs --containers -f`, or one
    /// container's, as docker says it: `om SVC docker logs -f {container#1}`.
    Logs(LogsArgs),
    /// Add a key to a secret or config (NS/sec/NAME, NS/cfg/NAME).
    Add(KeyValueArgs),
    /// Change a key's value in a secret or config.
    Change(KeyValueArgs),
    /// List the keys of a secret or config.
    Keys,
    /// Print a key's value, raw bytes, on stdout.
    Decode(KeyArgs),
    /// Remove a key from a secret or config.
    Remove(KeyArgs),
    /// Start the service at boot through a systemd unit (enable, disable, print).
    #[command(subcommand)]
    Boot(BootCommand),
    /// What a service with orchestrate = ha means to Pacemaker (config), and loading it (apply).
    #[command(subcommand)]
    Pacemaker(PacemakerCommand),
}

#[derive(Subcommand, Debug)]
pub enum PacemakerCommand {
    /// Print the service's primitive (ocf:om:svc) and placement as CIB XML.
    Config(PacemakerArgs),
    /// Load them into the CIB with cibadmin; what the CIB says already is not written.
    Apply(PacemakerArgs),
}

#[derive(Args, Debug)]
pub struct PacemakerArgs {
    /// The om program the agent runs (its om parameter), when not om on its PATH.
    #[arg(long, value_name = "PATH")]
    pub om: Option<String>,
    /// Let the agent run where fencing is off (its allow_no_fencing parameter): a cut link then runs the service on both sides.
    #[arg(long)]
    pub allow_no_fencing: bool,
    /// Print the cibadmin calls; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum BootCommand {
    /// Write and enable the unit om-PATH.service (systemd must run).
    Enable,
    /// Disable and remove the unit.
    Disable,
    /// Print the unit.
    Print,
}

#[derive(Args, Debug)]
pub struct KeyValueArgs {
    /// The key (letters, digits, '.', '_', '-').
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// The value (it shows in the process list while om runs: prefer --from).
    #[arg(
        long,
        value_name = "VALUE",
        conflicts_with = "from",
        required_unless_present = "from"
    )]
    pub value: Option<String>,
    /// The value from a file, or - for stdin; binary safe.
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<String>,
    /// How long to wait for the object's lock (e.g. 30s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub waitlock: String,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// The key.
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// How long to wait for the object's lock (remove).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub waitlock: String,
}

#[derive(Subcommand, Debug)]
pub enum PrintCommand {
    /// The status tree of the service.
    #[command(
        override_usage = "om SELECTOR print status [OPTIONS]",
        after_help = "The 8 flag characters after a resource's name, `.` where one does \
            not apply:\n  \
            1 R  running action   (an om action holds the lock; the notice names it)\n  \
            2 M  monitored        (always .: no monitor)\n  \
            3 D  disabled\n  \
            4 O  optional\n  \
            5 E  encapsulated     (always .)\n  \
            6 P  not provisioned  (no container yet)\n  \
            7 S  standby          (always .)\n  \
            8    restarts         (always .: no monitor restarts containers)\n\
            Status lines under a resource: info: … and warn: … (unhealthy, config changed, \
            name in use by a container om does not manage; a stopped container's exit code and \
            how long ago, `info: down (exited 137, 2m ago)`; a container down while the service \
            is started, which makes the overall status warn while another container runs).\n\
            Without a selector (om print status), every service.\n\
            On a terminal narrower than the tree, its columns shrink to the longest name and \
            status, and a long label or status line goes on under itself: no line is wider \
            than the terminal. Not on a terminal, the columns are fixed, whatever the width."
    )]
    Status(PrintStatusArgs),
    /// The config file as stored.
    Config(PrintConfigArgs),
}

#[derive(Subcommand, Debug)]
pub enum ValidateCommand {
    /// Check the config: errors and warnings.
    Config,
}

/// `edit config` (a service), or `edit --key K` (a secret or config, the
/// OpenSVC agent's form).
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EditArgs {
    /// A key of the secret or config (NS/sec/NAME, NS/cfg/NAME): its value,
    /// decoded to a private file, is edited; stored when it changed.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// How long to wait for the object's lock (with --key).
    #[arg(long, value_name = "DURATION", default_value = "30s", requires = "key")]
    pub waitlock: String,
    #[command(subcommand)]
    pub what: Option<EditCommand>,
}

#[derive(Subcommand, Debug)]
pub enum EditCommand {
    /// Edit the config in $VISUAL or $EDITOR; installed only when valid.
    Config(CommonArgs),
}

#[derive(Args, Debug, Clone)]
pub struct CreateArgs {
    /// The config: a file, or - for stdin (JSON section map, OpenSVC JSON, or INI).
    /// --template, the OpenSVC agent's name, is the same.
    #[arg(long, visible_alias = "template", value_name = "FILE|-")]
    pub config: Option<String>,
    /// A keyword to set, RID.KEY=VALUE or KEY=VALUE for DEFAULT (repeatable).
    #[arg(long = "kw", value_name = "KEY=VAL")]
    pub kw: Vec<String>,
    /// An [env] value, KEY=VAL (repeatable).
    #[arg(long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Replace an existing service's whole config with --config's (its id is kept);
    /// deploy does without it.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `create`: `CreateArgs`, and the OpenSVC agent's `--provision`.
#[derive(Args, Debug, Clone)]
pub struct CreateCmd {
    #[command(flatten)]
    pub args: CreateArgs,
    /// Provision the service once created, as deploy does (the OpenSVC agent's
    /// form); an existing service still needs --force.
    #[arg(long)]
    pub provision: bool,
}

/// Options every action accepts.
#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// This node only: the service's other nodes are neither asked nor acted on
    /// (the split-brain guard before a start still asks them).
    #[arg(long)]
    pub local: bool,
    /// How long to wait for the service's action lock (e.g. 30s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub waitlock: String,
    /// Only warnings and errors on stderr (the action log keeps every line).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Act only when the service's id is this one (another node's om sends
    /// it: a service at the same path there with another id is not this one).
    #[arg(long = "expect-id", value_name = "ID", hide = true)]
    pub expect_id: Option<String>,
    /// Stop, rolling back, when stdin reaches its end (another node's om
    /// runs this one over ssh and holds stdin open while it waits: its end
    /// says that om or its session is gone; src/interrupt.rs).
    #[arg(long, hide = true)]
    pub lifeline: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ActionArgs {
    /// Only these resources: a rid (container#1) or a group (container); repeatable.
    #[arg(long = "rid", value_name = "RID")]
    pub rid: Vec<String>,
    /// Only the resources with this tag; repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tag: Vec<String>,
    /// Only the resources of this subset; repeatable.
    #[arg(long = "subset", value_name = "SUBSET")]
    pub subset: Vec<String>,
    /// Start even when another node of the service can not be asked, or on
    /// a disaster recovery node (the split-brain guard; a node that says
    /// the service runs there is always a refusal); stop the standby
    /// resources too.
    #[arg(long)]
    pub force: bool,
    /// Print the docker commands that would run, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug, Clone)]
pub struct DeleteArgs {
    /// Remove only this resource's section.
    #[arg(long = "rid", value_name = "RID")]
    pub rid: Vec<String>,
    /// Delete a config that does not identify all its containers (never while a container carrying its label exists, nor while its engine can not be asked); with --rid, leave the section's container running.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct SwitchArgs {
    /// The node to move the service to (one of its nodes or drpnodes).
    #[arg(long, value_name = "NODE")]
    pub to: Option<String>,
    #[command(flatten)]
    pub action: ActionArgs,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// This node's instance only (other nodes are not asked).
    #[arg(long)]
    pub local: bool,
}

#[derive(Args, Debug, Clone)]
pub struct SyncArgs {
    /// Install this node's config even where it was changed since the last sync.
    #[arg(long)]
    pub force: bool,
    /// The receiving side, run by the sending node over the transport: the
    /// config on stdin.
    #[arg(long, hide = true)]
    pub receive: bool,
    /// The sending node (with --receive).
    #[arg(long, hide = true, value_name = "NODE")]
    pub from: Option<String>,
    /// What the sender believes this node has (with --receive).
    #[arg(long, hide = true, value_name = "DIGEST")]
    pub expect: Option<String>,
    /// What the sender's config was before the change it sends (with --receive).
    #[arg(long, hide = true, value_name = "DIGEST")]
    pub base: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// update or full: the sync resources' data, not the config.
    #[command(subcommand)]
    pub data: Option<DataSyncCommand>,
}

/// `om SVC sync update|full`: the data of the service's sync resources
/// sent to their target nodes (SPEC 17).
#[derive(Subcommand, Debug, Clone)]
pub enum DataSyncCommand {
    /// Send the sync resources' data to their target nodes (rsync: the files whose size or time differ; btrfs: from the last snapshot both sides have; docker: the images the target's engine lacks).
    Update(DataSyncArgs),
    /// The same, in full (rsync --checksum, btrfs a full send, docker every image).
    Full(DataSyncArgs),
}

/// Which of a sync's target lists a sync sends to (`--target`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SyncTarget {
    Nodes,
    Drpnodes,
}

#[derive(Args, Debug, Clone)]
pub struct DataSyncArgs {
    /// Only these sync resources: a rid (sync#1) or the group (sync); repeatable.
    #[arg(long = "rid", value_name = "RID")]
    pub rid: Vec<String>,
    /// Only the target nodes of this list (default: the resource's target).
    #[arg(long, value_enum, value_name = "LIST")]
    pub target: Option<SyncTarget>,
    /// How long to wait for a sync resource's lock, here and on the receiving node (e.g. 30s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub waitlock: String,
    /// Only warnings and errors on stderr (the action log keeps every line).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// The receiving side, run by the sending node's rsync over the
    /// transport: the rsync server's words after --.
    #[arg(long, hide = true)]
    pub receive: bool,
    /// The sending node (with --receive).
    #[arg(long, hide = true, value_name = "NODE")]
    pub from: Option<String>,
    /// The sender's id of the service (with --receive): another is not this service.
    #[arg(long = "expect-id", hide = true, value_name = "ID")]
    pub expect_id: Option<String>,
    /// The rsync server's words (with --receive).
    #[arg(last = true, hide = true)]
    pub server: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PrintStatusArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// This node's instance only (other nodes are not asked).
    #[arg(long)]
    pub local: bool,
    /// Accepted for the OpenSVC agent's scripts: om's status is always fresh.
    #[arg(long)]
    pub refresh: bool,
    /// Redraw the tree in place when something changes (docker events, the
    /// config, the state), until q or Ctrl-C; not on a terminal, or with
    /// --format json, one JSON document per change, one a line.
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub every: IntervalArgs,
}

/// How often a watch asks the other nodes.
#[derive(Args, Debug, Clone)]
pub struct IntervalArgs {
    /// With --watch: how often the other nodes are asked, and this node's
    /// status read again whatever its events (default 5s).
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
}

/// `om mon` has no selector; it is parsed on its own.
#[derive(Parser, Debug)]
#[command(
    name = "om mon",
    about = "Watch every service's status tree, redrawn in place when something changes (svcmon -w)",
    after_help = "om '*' print status --watch: see om-print-status(1). q quits, Ctrl-C exits 130. \
        Not on a terminal, or with --format json, one JSON status document per change, one a line."
)]
pub struct MonCli {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// This node's instances only (other nodes are not asked).
    #[arg(long)]
    pub local: bool,
    #[command(flatten)]
    pub every: IntervalArgs,
    /// Say on stderr, in D lines, each docker and ssh call and each config
    /// read: the OpenSVC agent's --debug.
    #[arg(long, global = true)]
    pub debug: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PrintConfigArgs {
    /// Expand references and node scopes.
    #[arg(long)]
    pub eval: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// The keyword, RID.KEY or KEY (DEFAULT).
    #[arg(long = "kw", value_name = "KEY", required = true)]
    pub kw: String,
    /// Expand references and node scopes.
    #[arg(long)]
    pub eval: bool,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    /// RID.KEY=VAL, KEY+=WORD (append), KEY-=WORD (remove); repeatable.
    #[arg(long = "kw", value_name = "KEY=VAL", required = true)]
    pub kw: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct UnsetArgs {
    /// RID.KEY or KEY (DEFAULT); repeatable.
    #[arg(long = "kw", value_name = "KEY", required = true)]
    pub kw: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct RidArgs {
    /// The resources (rid or group); all when none given.
    #[arg(long = "rid", value_name = "RID")]
    pub rid: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct DockerArgs {
    /// Run `om SELECTOR docker ARGS…` on this node of the service (one of
    /// its nodes or drpnodes) through OM_RSH, with a terminal (ssh -t) when
    /// om has one; before the docker arguments. References are substituted
    /// there; ssh's own failure exits 255.
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// The docker arguments.
    #[arg(
        value_name = "ARGS",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct EnterArgs {
    /// The container resource to enter (e.g. container#1); needed only when
    /// the service has more than one container.
    #[arg(long = "rid", value_name = "RID")]
    pub rid: Option<String>,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Keep printing lines as they are appended.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// The containers' own output (docker logs), each line prefixed with its
    /// rid, instead of the action log.
    #[arg(long)]
    pub containers: bool,
    /// With --containers: only these resources (rid or group); repeatable.
    #[arg(long = "rid", value_name = "RID", requires = "containers")]
    pub rid: Vec<String>,
    /// With --containers: only the last N lines of each container.
    #[arg(long, value_name = "N", requires = "containers")]
    pub tail: Option<u32>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// The command tree, as the parser, the completion engine and the man pages
/// all use it: no `help` subcommand anywhere (`--help` is there).
pub fn command() -> clap::Command {
    fn strip(cmd: clap::Command) -> clap::Command {
        map_subcommands(cmd, strip).disable_help_subcommand(true)
    }
    strip(<Cli as clap::CommandFactory>::command())
}

/// The completion factory: the command tree the completion engine walks
/// (`CompleteEnv::with_factory` in main), each argument with the values it
/// completes to (`completes_to`). At the first word only a service path
/// (or `ls`) can come, so the subcommands are hidden there.
pub fn completion_command(site: &Arc<Site>) -> clap::Command {
    let cmd = with_completers(command(), site);
    let args = &site.line;
    // `om -- om WORD…`: the word being completed is the last one.
    let dashes = args.iter().position(|a| a == "--");
    let first_word = dashes.is_some_and(|d| args.len() - d == 3);
    // `om ls …`: ls has no selector and its own options.
    let ls_line = dashes.is_some_and(|d| args.len() - d > 3 && args[d + 2] == "ls");
    if ls_line {
        let ls = <LsCli as clap::CommandFactory>::command().name("ls");
        return clap::Command::new("om").subcommand(ls);
    }
    // `om mon …`: mon has no selector either
    if dashes.is_some_and(|d| args.len() - d > 3 && args[d + 2] == "mon") {
        let mon = <MonCli as clap::CommandFactory>::command().name("mon");
        return clap::Command::new("om").subcommand(mon);
    }
    if first_word {
        return map_subcommands(cmd, |s| s.hide(true));
    }
    // the words after the selector, the one being completed last
    let words = dashes.and_then(|d| args.get(d + 3..)).unwrap_or_default();
    let selector = dashes.and_then(|d| args.get(d + 2));
    let cmd = if selector.is_some_and(|s| crate::objects::is_object_selector(s)) {
        keep_commands(cmd, |name| OBJECT_COMMANDS.contains(&name))
            .mut_subcommand("print", |p| keep_commands(p, |n| n == "config"))
            .mut_subcommand("edit", |e| keep_commands(e, |_| false))
    } else {
        keep_commands(cmd, |name| !OBJECT_ONLY_COMMANDS.contains(&name))
    };
    if docker_words_began(words) {
        // the rest of the line is docker's: no om option (--node, nor the
        // global --debug the docker command would inherit) any more
        let site = Arc::clone(site);
        let cmd = cmd.mut_arg("debug", |a| a.global(false));
        return cmd.mut_subcommand("docker", move |d| {
            let args = d
                .get_arguments()
                .find(|a| a.get_id() == "args")
                .cloned()
                .map(|a| {
                    a.add(ArgValueCompleter::new(move |current: &std::ffi::OsStr| {
                        site.values(Values::DockerArgs, current)
                    }))
                });
            let bare = clap::Command::new("docker").disable_help_flag(true);
            match args {
                Some(a) => bare.arg(a),
                None => bare,
            }
        });
    }
    cmd
}

/// The commands of a secret or config (NS/sec/NAME, NS/cfg/NAME): the
/// others are a service's. Of `print` and `edit`, an object has `print
/// config` and `edit --key`.
const OBJECT_COMMANDS: &[&str] = &[
    "create", "add", "change", "edit", "keys", "decode", "remove", "print", "delete", "sync",
];

/// The commands a service does not have.
const OBJECT_ONLY_COMMANDS: &[&str] = &["add", "change", "keys", "decode", "remove"];

/// `cmd`, its subcommands not named by `keep` hidden from completion.
fn keep_commands(cmd: clap::Command, keep: impl Fn(&str) -> bool) -> clap::Command {
    let hide: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| !keep(n))
        .collect();
    hide.iter()
        .fold(cmd, |cmd, name| cmd.mut_subcommand(name, |s| s.hide(true)))
}

/// Whether the docker passthrough's own words began before the word being
/// completed (`words`: from the command on, the last one being completed):
/// `docker --node N <TAB>` has not, `docker inspect <TAB>` has.
fn docker_words_began(words: &[String]) -> bool {
    let Some((_, before)) = words.split_last() else {
        return false;
    };
    if before.first().map(String::as_str) != Some("docker") {
        return false;
    }
    let mut rest = before[1..].iter();
    while let Some(w) = rest.next() {
        match w.as_str() {
            "--node" => {
                rest.next();
            }
            w if w.starts_with("--node=") => {}
            _ => return true,
        }
    }
    false
}

/// The values an argument completes to, by its name: the one table of
/// them.
fn completes_to(arg: &clap::Arg) -> Option<Values> {
    let value_name = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map(clap::builder::Str::as_str);
    Some(match (arg.get_long(), value_name) {
        (None, Some("SELECTOR")) => Values::Services,
        (None, Some("ARGS")) => Values::DockerArgs,
        (Some("key"), _) => Values::ObjectKeys,
        (Some("kw"), Some("KEY=VAL")) => Values::KeywordAssignments,
        (Some("kw"), _) => Values::KeywordNames,
        (Some("rid"), _) => Values::Rids,
        (Some("tag"), _) => Values::Tags,
        (Some("subset"), _) => Values::Subsets,
        (Some("to" | "node"), _) => Values::Nodes,
        _ => return None,
    })
}

/// `cmd` and its subcommands, each argument with its completer.
fn with_completers(cmd: clap::Command, site: &Arc<Site>) -> clap::Command {
    cmd.mut_args(|arg| match completes_to(&arg) {
        Some(which) => {
            let site = Arc::clone(site);
            arg.add(ArgValueCompleter::new(move |current: &std::ffi::OsStr| {
                site.values(which, current)
            }))
        }
        None => arg,
    })
    .mut_subcommands(|sub| with_completers(sub, site))
}

/// Applies `f` to each direct subcommand of `cmd`.
pub fn map_subcommands(
    cmd: clap::Command,
    f: impl Fn(clap::Command) -> clap::Command + Copy,
) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names
        .iter()
        .fold(cmd, |cmd, name| cmd.mut_subcommand(name, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_words_begin_after_the_node_option() {
        let w = |words: &[&str]| {
            docker_words_began(&words.iter().map(ToString::to_string).collect::<Vec<_>>())
        };
        assert!(!w(&["docker", ""]));
        assert!(!w(&["docker", "--node", "n2", ""]));
        assert!(!w(&["docker", "--node=n2", "--n"]));
        assert!(w(&["docker", "inspect", ""]));
        assert!(w(&["docker", "--node", "n2", "logs", "--node"]));
        assert!(!w(&["start", "--rid", ""]));
        assert!(!w(&[]));
    }
}

/// `om ocf` has no selector; it is parsed on its own.
#[derive(Parser, Debug)]
#[command(
    name = "om ocf",
    bin_name = "om ocf",
    about = "The OCF resource agent ocf:om:svc (Pacemaker runs it), and its install",
    after_help = "ACTION: start, stop, monitor, validate-all, meta-data (as Pacemaker calls \
        them, the resource's parameters in OCF_RESKEY_path, _root, _om, _allow_no_fencing), \
        or install: write the agent into $OCF_ROOT/resource.d/om/svc (OCF_ROOT: default \
        /usr/lib/ocf). Another OCF action exits 3 (not implemented)."
)]
pub struct OcfCli {
    /// start, stop, monitor, validate-all, meta-data, or install.
    #[arg(value_name = "ACTION")]
    pub action: String,
}
