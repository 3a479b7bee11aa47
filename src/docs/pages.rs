//! What each command's man page says beyond its options: what the command
//! does (what it waits for, what it rolls back, what it prints), examples,
//! and the exit codes it uses. One entry per command, by its words after
//! the selector (`start`, `print status`); `docs` renders them into
//! `om-CMD(1)`. The text names no option it does not need: the OPTIONS
//! section, from the clap definitions, lists them all.

/// One command's page.
pub struct Page {
    /// The command's words: `start`, `print status`, `ls`.
    pub words: &'static str,
    /// The DESCRIPTION's paragraphs, after the command's one-line summary.
    pub description: &'static [&'static str],
    /// EXAMPLES: a command line and what it does.
    pub examples: &'static [(&'static str, &'static str)],
    /// EXIT STATUS: a code (or a range of them) and when.
    pub exit: &'static [(&'static str, &'static str)],
}

const OK: (&str, &str) = ("0", "Success.");
const FAILED: (&str, &str) = (
    "1",
    "Failure: the reason is on stderr, one line per problem (a docker call that failed or \
     did not answer in time, a config error, the service's lock held past --waitlock, a \
     selector that matches nothing).",
);
const USAGE: (&str, &str) = (
    "2",
    "Usage error: a bad option or value, a bad service path.",
);
const SIGNAL: (&str, &str) = (
    "128+N",
    "Interrupted by signal N (SIGINT, SIGTERM): the docker call running is killed, what \
     the action started is rolled back, the lock is released.",
);

/// An action that runs docker: it may be interrupted.
const ACTION: &[(&str, &str)] = &[OK, FAILED, USAGE, SIGNAL];
/// A command that reads or writes the config, or a secret.
const CONFIG: &[(&str, &str)] = &[OK, FAILED, USAGE];

const SELECTED: &str = "SELECTOR is a service path (svc1, ns1/svc/web), a glob (svc*) or a \
    comma list of them; a selector that matches nothing is an error. Each service is acted \
    on in turn, under its action lock (a second action waits up to --waitlock, then fails \
    naming the holder).";

const LINES: &str = "Each docker command is printed on stderr as it runs, as a line you \
    can paste, prefixed with the node, the service and the resource, then its output; \
    the same lines, timestamped, go to the service's action log (om SVC logs).";

/// What a watch does (`print status --watch`, `om mon`).
const WATCH: &str = "With --watch (om mon always), the status is read again whenever \
    something that makes it changes: an event of docker on one of the services' \
    containers (docker events, followed on each engine involved for as long as the watch \
    runs), their config or state files, and the other nodes, asked every --interval \
    (default 5s, one ssh call per node). A container killed here shows within a second. \
    On a terminal, the tree is redrawn in place under a header that says when it was read; \
    q quits (0), ^C exits 130, and the terminal is left as it was. An engine whose events \
    can not be followed (its docker events ended) is said, and read every --interval \
    instead. Not on a terminal, or with --format json, each service's JSON document is \
    written when it changed, one a line (JSON lines), the first ones at once; nothing is \
    written while nothing changes.";

pub const PAGES: &[Page] = &[
    Page {
        words: "ocf",
        description: &[
            "om is the OCF resource agent of its services for Pacemaker: ocf:om:svc, a \
             file of three lines in $OCF_ROOT/resource.d/om/svc that runs om ocf ACTION, \
             the resource's parameters in the environment as Pacemaker passes them: path \
             (the service's path, required and unique), root (OSVC_ROOT_PATH), om (the om \
             program; the installing om by default) and allow_no_fencing.",
            "start runs om PATH start --local --force (Pacemaker has fenced the nodes that \
             can not be asked; a node that says it runs the service still refuses), then \
             the monitor, which must say it runs. stop runs om PATH stop --local and \
             succeeds only when om's status then says down. monitor reads om PATH status \
             --local: up is 0 (running), down or n/a 7 (not running), warn 1, and unknown \
             (the engine unreachable, a config that does not load) 1, never 7: its \
             containers may still run. A probe of a service this node does not hold is 7.",
            "validate-all checks that the service's config validates here (6 otherwise), \
             and that fencing is on: with stonith-enabled=false in the CIB (read with \
             crm_attribute) it refuses with 6 unless the resource says \
             allow_no_fencing=true, because a node cut off would then start the service \
             while the other still runs it. start validates first.",
            "meta-data prints the agent's description, its parameters and each \
             operation's default timeout, derived from om's bounds: the lock wait \
             (--waitlock's default), the docker call bound (OM_DOCKER_TIMEOUT) and a \
             private daemon's start. install writes the agent into \
             $OCF_ROOT/resource.d/om/svc (OCF_ROOT: default /usr/lib/ocf, which must \
             exist: the pacemaker and resource-agents packages make it), mode 0755.",
        ],
        examples: &[
            ("om ocf install", "Install ocf:om:svc where Pacemaker looks for it."),
            (
                "crm configure primitive web ocf:om:svc params path=web op monitor interval=10s",
                "A Pacemaker resource for the service web (crmsh).",
            ),
            (
                "ocf-tester -n web -o path=web /usr/lib/ocf/resource.d/om/svc",
                "Check the agent against a service with resource-agents' tester.",
            ),
        ],
        exit: &[
            ("0", "Success; for monitor, the service runs."),
            ("1", "A generic failure: a start or stop that did not get the service up or \
                   down, a status that says warn or can not tell, fencing that can not be \
                   read from the CIB."),
            ("3", "An OCF action this agent does not have (notify, promote, reload…)."),
            ("5", "om is not installed (the agent's om parameter, or om in PATH); a \
                   recurring monitor of a service this node does not hold."),
            ("6", "Not configured: no path parameter, a config that does not validate, \
                   fencing off without allow_no_fencing=true."),
            ("7", "monitor: the service does not run here (down, n/a)."),
        ],
    },
    Page {
        words: "ls",
        description: &[
            "Lists the services this node holds, in path order, then the secrets \
             (NS/sec/NAME) and configs (NS/cfg/NAME).",
        ],
        examples: &[
            ("om ls", "Every service with its state, then the secrets and configs."),
            ("for s in $(om ls); do om $s status; done", "The paths alone, piped."),
            ("om ls --format json | jq -r '.[]'", "The same, from JSON."),
        ],
        exit: &[OK, ("1", "The config tree can not be read."), USAGE],
    },
    Page {
        words: "ps",
        description: &[
            "Lists the service's own containers on this node, as docker ps would list \
             them: NAME, RID, STATE (a stopped one with its exit code and how long ago), \
             IMAGE and ID, and SERVICE when several services are selected. Each is found \
             as om-print-status(1) finds it (its name, or its com.opensvc.id label when \
             renamed behind om's back), with the containers the config no longer names; \
             a resource with no container shows absent. om SVC docker ps lists the whole \
             engine's containers.",
        ],
        examples: &[
            ("om web ps", "web's containers."),
            ("om 'web*' ps", "The containers of every service whose name starts with web."),
        ],
        exit: &[
            OK,
            ("1", "A config that does not load or an engine that did not answer."),
            USAGE,
        ],
    },
    Page {
        words: "create",
        description: &[
            "Writes a new service's config from --config (a file, or - for stdin: INI, \
             the JSON section map, or OpenSVC's metadata JSON, auto-detected) and the \
             keywords given one by one. A new service gets a new id, set in DEFAULT.id: \
             an id in the input is replaced, with a warning, and so is an OpenSVC \
             metadata.name other than the service's name, which is not taken.",
            "The config is checked before it is written, as validate config checks it: \
             nothing is written when it has an error; its warnings are printed on \
             stderr. The file is written atomically, mode 0600. A service with other \
             nodes gets the same file there (see om-sync(1)). No container is created: \
             that is provision, or deploy.",
            "An existing path is refused unless --force, which replaces its whole config \
             with --config's and keeps its id. Neither --config nor a keyword, or \
             --force without --config, is a usage error. On a secret (NS/sec/NAME) or a \
             config (NS/cfg/NAME) path, create makes the empty object.",
            "--provision (the OpenSVC agent's form) then provisions the new service as \
             om-deploy(1) does; an existing service still needs --force, and a secret \
             or config path refuses it.",
        ],
        examples: &[
            (
                "om web create --config web.conf",
                "Create the service web from an INI file.",
            ),
            (
                "echo '{\"container#1\": {\"type\": \"docker\", \"image\": \"nginx\"}}' | om web create --config=-",
                "The same from JSON on stdin.",
            ),
            (
                "om web create --kw container#1.type=docker --kw container#1.image=nginx",
                "The same from keywords.",
            ),
            ("om sec/db create", "An empty secret db in the root namespace."),
        ],
        exit: CONFIG,
    },
    Page {
        words: "deploy",
        description: &[
            "Creates the service as om-create(1) does, then provisions it as \
             om-provision(1) does. It prints 'service NAME target state set to \
             provisioned' first, then the action's lines.",
            "On an existing service, deploy converges, without --force: it installs the \
             config given (the service keeps its id; 'config unchanged' or 'config \
             changed' is said), recreates the containers made from another config \
             (their com.opensvc.config label differs) and leaves the others running; \
             'nothing to change' is said when none differs. So the same deploy again \
             touches nothing, and a deploy that stopped half way is finished by running \
             it again. --force is accepted and changes nothing more. --kw alone on an \
             existing service only re-runs the config it has; any other change needs \
             --config (or om-set(1)). The container of a resource the new config no \
             longer names is left as it is, with a warning naming it.",
            LINES,
        ],
        examples: &[
            (
                "om web deploy --config web.conf",
                "Create web and start its containers.",
            ),
            (
                "om web deploy --config web.conf",
                "Again after an edit of web.conf: install it and recreate only what changed.",
            ),
        ],
        exit: ACTION,
    },
    Page {
        words: "provision",
        description: &[
            "Creates the service's containers (docker run) and leaves them started, \
             pulling their images first when docker says they are missing (or always, \
             with image_pull_policy = always). Each container is waited for as a start \
             waits (see om-start(1)); a failure rolls back what the action started.",
            "Across nodes, the containers are made on the node a start would choose, and \
             the images are pulled on the other nodes that answer, so that a switch \
             there starts at once.",
            LINES,
        ],
        examples: &[("om web provision", "Create and start web's containers.")],
        exit: ACTION,
    },
    Page {
        words: "unprovision",
        description: &[
            "Stops the service's containers (as om-stop(1) does) and removes them, \
             disabled ones too; the config stays. The service's cgroup slices are \
             removed, and a private docker daemon (docker_data_dir) is stopped once none \
             of its containers is left. Across nodes, it runs on every node, this one \
             last.",
            LINES,
        ],
        examples: &[(
            "om web unprovision",
            "Remove web's containers, keep its config.",
        )],
        exit: ACTION,
    },
    Page {
        words: "purge",
        description: &[
            "Unprovisions the service (om-unprovision(1)), then deletes its config and \
             state. The config is kept, with an error naming it, while any container \
             carrying the service's label is left (one the config no longer names, say).",
            LINES,
        ],
        examples: &[
            ("om web purge", "Remove web's containers and its config."),
            ("om 'test*' purge", "The same for every service named test…."),
        ],
        exit: ACTION,
    },
    Page {
        words: "start",
        description: &[
            "Starts the service's containers in order (resources without a subset, then \
             each subset in name order, a parallel subset's members at once; a \
             container after the holder of the namespaces it joins and after what it \
             requires): docker start of an existing container, docker run of a missing \
             one. Each is waited for: 'wait for up status' (running), then 'wait for \
             container operational' (healthy, when it has a health check), within its \
             start_timeout. A container that exits or never gets healthy fails the \
             start, with its exit code and its last log lines.",
            "A failed start rolls back (rollback = true, the default): what this action \
             started is stopped again, in reverse order. An unfiltered start sets the \
             'started' expectation that print status shows.",
            "Before anything starts, the split-brain guard asks the service's other \
             nodes: one that says the service runs there is a refusal ('up on n2: not \
             started here'); one that can not be asked is a refusal unless --force. \
             A node runs the service when it is up there, a container of it is alive \
             there, or a filesystem of it is mounted there (standby resources aside). \
             Across nodes, the service starts on the first node of nodes that answers.",
            "The start order: the ip checks (the address of each ip resource not up yet \
             must not answer: 'ip check: ADDR availability'), then volumes, disks, \
             filesystems, containers, and the ip plumbing in its holder's namespace: a \
             start bound to fail on a taken address fails before it mounts anything.",
            LINES,
            SELECTED,
        ],
        examples: &[
            ("om web start", "Start web and wait until it is operational."),
            (
                "om web start --rid container#2",
                "Start one container (the group container names them all).",
            ),
            (
                "om web start --dry-run",
                "Print the docker commands a start would run; change nothing.",
            ),
            ("om 'app*' start", "Start every service named app…, in turn."),
        ],
        exit: ACTION,
    },
    Page {
        words: "stop",
        description: &[
            "Stops the service's containers in the reverse of the start order (docker \
             stop, bounded by each stop_timeout), and waits for each to be down ('wait \
             for down status'). An unfiltered stop clears the 'started' expectation. A \
             private docker daemon (docker_data_dir) is stopped once none of its \
             containers runs.",
            "Across nodes, the service is stopped here and on every node where it runs; \
             a node that can not tell is an error naming it (it may still run there), \
             the others are stopped.",
            LINES,
            SELECTED,
        ],
        examples: &[
            ("om web stop", "Stop web wherever it runs."),
            ("om web stop --local", "Stop it on this node only."),
            ("om web stop --rid container#2", "Stop one container."),
        ],
        exit: ACTION,
    },
    Page {
        words: "restart",
        description: &[
            "Stops, then starts the selected containers (see om-stop(1) and \
             om-start(1)); a container with rm = true is removed and run again. A \
             restart of the whole service says 'instance stopped, ready for restart.' \
             between the two. Across nodes, it runs where the service runs (else where \
             a start would go).",
            LINES,
        ],
        examples: &[
            ("om web restart", "Restart every container of web."),
            (
                "om web restart --rid container#web",
                "Restart one container (docker compose restart web).",
            ),
        ],
        exit: ACTION,
    },
    Page {
        words: "switch",
        description: &[
            "Moves a service between its nodes: stops it where it runs, checks in \
             docker's words that it is down there, then starts it on the target (by \
             default the next node of nodes after the current one). A disaster \
             recovery node (drpnodes) needs --force, checked before anything stops.",
            "When the start on the target does not happen (it failed, its ssh was cut, \
             or the switch was interrupted), the switch stops the service there, starts \
             it again where it ran, and fails saying so ('not switched, started again on \
             n1'). When the target can not be stopped, nothing starts: it may run there, \
             and the error says so.",
            LINES,
        ],
        examples: &[
            ("om db switch", "Move db to the next node of its nodes."),
            ("om db switch --to n2", "Move db to n2."),
        ],
        exit: ACTION,
    },
    Page {
        words: "takeover",
        description: &[
            "Switches the service to this node (see om-switch(1)): stops it where it \
             runs, then starts it here, rolling back as a switch does.",
            LINES,
        ],
        examples: &[("om db takeover", "Run db here.")],
        exit: ACTION,
    },
    Page {
        words: "giveback",
        description: &[
            "Switches the service to the first node of its nodes (see om-switch(1)).",
            LINES,
        ],
        examples: &[("om db giveback", "Send db back to its preferred node.")],
        exit: ACTION,
    },
    Page {
        words: "pull",
        description: &[
            "Pulls the images of the selected containers (docker pull), each within its \
             pull_timeout, with the service's registry_creds when it has some. A \
             private docker daemon is started to pull into and left running. Running \
             containers are not touched: a restart with rm = true, or deploy, makes \
             them from the new image.",
            LINES,
        ],
        examples: &[("om web pull", "Pull web's images (docker compose pull).")],
        exit: ACTION,
    },
    Page {
        words: "delete",
        description: &[
            "Removes the service's config and state. It is refused while a container \
             carrying the service's com.opensvc.id label exists, named by the config or \
             not, and while its engine can not be asked: use om-purge(1) to remove the \
             containers too. --force goes past a config that does not identify all its \
             containers (those carrying its label are still found, and still refuse \
             the delete). With --rid, it removes that resource's section only.",
            "One exception to the engine rule: a service om created here and never ran \
             a container of (om keeps that record in its state directory and drops it \
             once an action's engine has answered) is deleted when its engine refuses \
             the user or is not running, with a warning naming the engine's error: a \
             user not in group docker can delete what never ran.",
            "On a secret or config path, deletes the object. Across nodes, the config is \
             deleted on every node, this one last.",
        ],
        examples: &[
            ("om web delete", "Delete web's config (no container left)."),
            ("om web delete --rid container#2", "Remove one section."),
            ("om sec/db delete", "Delete the secret db."),
        ],
        exit: CONFIG,
    },
    Page {
        words: "status",
        description: &[
            "Prints nothing on stdout; the exit code is the service's overall status, \
             as the first line of print status shows it, for monitoring checks and \
             scripts. Across nodes (without --local) it is the service's status on all \
             its nodes: up when one node runs it, whatever a silent node.",
            "Code 4 means om can not tell, and the reason is always on stderr: never \
             'down' from a silence. With several services, the code is the first one in \
             path order that is not up.",
        ],
        examples: &[
            ("om web status; echo $?", "0 when web is up."),
            (
                "om web status || echo \"web is not up ($?)\"",
                "A monitoring check.",
            ),
        ],
        exit: &[
            ("0", "up."),
            ("1", "down."),
            ("2", "warn: up with a problem (an optional resource down, a split brain, an unhealthy container, a container down while the service is started and another runs); also a usage error of the command line."),
            ("3", "n/a: nothing that can have a status."),
            ("4", "The status is not known, and the reason is on stderr: no such service, a selector that matches nothing, a config that does not load, an engine or a query that did not answer, or a node that can not tell while no node that answered runs the service."),
        ],
    },
    Page {
        words: "sync",
        description: &[
            "Installs this node's config of the service (and the secrets and configs it \
             uses) on its other nodes, over ssh, as every config write does. Compare \
             before replace: a node whose config changed since its last sync with this \
             one keeps it, and the sync fails naming it (--force installs this node's \
             there). A node never takes a config whose id differs from its own.",
        ],
        examples: &[
            ("om db sync", "Send db's config to its other nodes."),
            ("om db sync --force", "Replace a config changed there."),
            ("om db sync update", "Send db's data (its sync resources) to their target nodes (om-sync-update(1))."),
        ],
        exit: CONFIG,
    },
    Page {
        words: "sync update",
        description: &[
            "Sends the data of the service's sync resources ([sync#N] type = rsync): each \
             resource's src, from this node, to its dst on each of its target nodes (target: \
             nodes, drpnodes; --target narrows it to one list), with rsync over om's own \
             transport (rsync -e with OM_RSH's command, else ssh -o BatchMode=yes). rsync \
             sends the files whose size or time differ, and removes from dst what src lacks \
             (--delete, with the agent's options -HAXpogDtrlvx --stats --force \
             --timeout=3600 unless reset_options; then options, and --bwlimit). On the \
             receiving node its own om runs the rsync server into its own config's dst and \
             no other path.",
            "Refused, with the reason: on a node where the service is not up (its data there \
             is not the one in use), from a disaster recovery node (drpnodes), towards a node \
             that says the service runs there or can not tell (its om reads its own status \
             as the split-brain guard reads a node's answer, under the sync's lock, in the \
             ssh session of the transfer), towards a node whose dstfs is not mounted. A refused or failed target \
             does not stop the others; the command fails naming each.",
            "Each sync resource has a lock on the sending node and one on the receiving node: \
             a second sync waits --waitlock, then says who holds it. The receiving rsync \
             writes into dst/.om-sync-tmp before it renames each file into place; what an \
             interrupted sync (a kill, a cut connection) left there is removed by the next \
             sync before it runs.",
            "After a success the time is recorded on this node (per target) and on the \
             target (its om, as its side ends). print status shows, per target, warn: never synced to N, or warn: last \
             sync to N at T, older than max_delay (default 1d3h); a target node where the \
             service is not up says the same of the last sync it received. It is the age of \
             the last sync, not a comparison of contents. A sync resource is neither started \
             nor stopped by start and stop, and counts in overall, never in avail.",
            "om has no scheduler: run the sync from cron or a systemd timer on each node that \
             may run the service (a node where it is not up refuses, exit 1, and says why). A \
             cron line, every 15 minutes: */15 * * * * root om db sync update --quiet. A \
             systemd timer: om-db-sync.service with Type=oneshot and ExecStart=om db sync \
             update --quiet, and om-db-sync.timer with OnCalendar=*:0/15 and Persistent=true, \
             enabled with systemctl enable --now om-db-sync.timer. print status --format \
             json is what a monitoring system reads (the sync resource's log lines).",
        ],
        examples: &[
            ("om db sync update", "Send db's sync resources to their target nodes."),
            ("om db sync update --rid sync#1 --target drpnodes", "Only sync#1, only to the disaster recovery nodes."),
        ],
        exit: &[OK, ("1", "A refusal or a failed transfer (each target named), the service not up here, a lock held past --waitlock."), USAGE, SIGNAL],
    },
    Page {
        words: "sync full",
        description: &[
            "As om-sync-update(1), every file's content compared (rsync --checksum): a pass \
             that finds a change the sizes and times hide, at the cost of reading every file \
             on both sides. The OpenSVC agent's rsync driver makes no difference between \
             update and full; om's full is this checksum pass.",
        ],
        examples: &[("om db sync full", "Compare and send every file of db's sync resources.")],
        exit: &[OK, ("1", "A refusal or a failed transfer (each target named), the service not up here, a lock held past --waitlock."), USAGE, SIGNAL],
    },
    Page {
        words: "print",
        description: &[
            "print status shows the status tree (om-print-status(1)); print config the \
             config (om-print-config(1)).",
        ],
        examples: &[
            ("om web print status", "The status tree."),
            ("om web print config", "The config file."),
        ],
        exit: CONFIG,
    },
    Page {
        words: "print status",
        description: &[
            "Prints the status tree of each selected service: the service's status, one \
             instance line per node (the service's nodes are asked in parallel, one \
             call per node), and under it one line per resource with its flags, its \
             status and its label, followed by info: and warn: lines. Never starts \
             anything, not even a private docker daemon; it takes no lock.",
            "With --format json, one JSON document per service (schema 3): avail, \
             overall, the resources and their containers, the instances of every node. \
             Without a selector (om print status), every service. A selector that \
             matches nothing prints nothing.",
            WATCH,
        ],
        examples: &[
            ("om web print status", "web's status tree."),
            ("om print status", "Every service's tree."),
            (
                "om '*' print status --format json | jq -r '.path + \" \" + .overall'",
                "Every service's overall status, from JSON.",
            ),
            ("om web print status --watch", "web's tree, redrawn as it changes; q quits."),
            (
                "om web print status --watch | jq -r --unbuffered '.path + \" \" + .overall'",
                "A line each time web's status changes.",
            ),
        ],
        exit: &[
            OK,
            ("1", "A config that does not load or an engine that did not answer: the tree is printed for the rest, the reason on stderr."),
            USAGE,
            ("130", "A watch ended by ^C (SIGINT); 128+N for signal N."),
        ],
    },
    Page {
        words: "mon",
        description: &[
            "Watches every service this node holds, as om '*' print status --watch does \
             (the OpenSVC agent's svcmon -w): the status trees, redrawn in place when \
             something changes. A service added or deleted meanwhile appears or goes.",
            WATCH,
        ],
        examples: &[
            ("om mon", "Every service's tree, redrawn as it changes; q quits."),
            ("om mon --local", "This node's instances only: no other node asked."),
            (
                "om mon --interval 30s",
                "The other nodes asked every 30 seconds instead of 5.",
            ),
            (
                "om mon --format json | jq -c --unbuffered '{path, overall}'",
                "A line each time a service's status changes.",
            ),
        ],
        exit: &[
            ("0", "q typed."),
            ("1", "The first status read failed (the config tree can not be read, the engine does not answer); later failures are shown and the watch goes on."),
            USAGE,
            ("130", "Ended by ^C (SIGINT); 128+N for signal N (SIGTERM, SIGHUP)."),
        ],
    },
    Page {
        words: "print config",
        description: &[
            "Prints the service's config file as stored. With --eval, every value with \
             its node scope applied and its references expanded; with --format json, \
             the section map (the form create --config=- reads back).",
        ],
        examples: &[
            ("om web print config", "The file as stored."),
            (
                "om web print config --format json > web.json",
                "The config as JSON, to create another service from.",
            ),
        ],
        exit: CONFIG,
    },
    Page {
        words: "get",
        description: &[
            "Prints the value stored under exactly the keyword given (DEFAULT's for a \
             bare KEY, RID.KEY for a section), unexpanded; the keyword's default when \
             it is not set. With --eval, the node scope applies (KEY@NODE wins) and the \
             references are expanded.",
        ],
        examples: &[
            ("om web get --kw container#1.image", "The image as written."),
            ("om web get --kw container#1.image --eval", "The image as used here."),
        ],
        exit: &[
            OK,
            ("1", "An unknown keyword, or one that is not set and has no default."),
            USAGE,
        ],
    },
    Page {
        words: "set",
        description: &[
            "Sets keywords in place: KEY=VAL, KEY+=WORD (appends a word), KEY-=WORD \
             (removes one). Comments, blank lines, order and every other line stay byte \
             for byte. The result is checked first: nothing is written when it has an \
             error. DEFAULT.id never changes. Running containers are not changed: a \
             deploy or a restart with rm = true makes them from the new config.",
        ],
        examples: &[
            ("om web set --kw container#1.image=nginx:1.27", "Change an image."),
            (
                "om web set --kw container#1.run_args+=--read-only",
                "Add a word to run_args.",
            ),
        ],
        exit: CONFIG,
    },
    Page {
        words: "unset",
        description: &[
            "Removes keywords from the config, in place, checking the result first as \
             om-set(1) does.",
        ],
        examples: &[("om web unset --kw container#1.hostname", "Drop a keyword.")],
        exit: CONFIG,
    },
    Page {
        words: "validate",
        description: &["validate config checks the config (om-validate-config(1))."],
        examples: &[("om web validate config", "Check web's config.")],
        exit: CONFIG,
    },
    Page {
        words: "validate config",
        description: &[
            "Checks the config as every load does: unknown keywords (with the close \
             matches), bad values, references, node scopes, and what the host can tell \
             (a private daemon's data dir, the secrets the service uses). Errors are \
             printed on stdout, one per line; warnings (an OpenSVC keyword om keeps but \
             does not act on, a value like 'text   # words', -p without a network) on \
             stderr.",
        ],
        examples: &[
            ("om web validate config", "Silent and exit 0 when all is well."),
            ("om '*' validate config", "Every service."),
        ],
        exit: &[OK, ("1", "The config has an error."), USAGE],
    },
    Page {
        words: "edit",
        description: &[
            "edit config opens the config in an editor (om-edit-config(1)).",
            "On a secret or config object, edit --key K (the agent's form) opens the \
             decoded value of key K in $VISUAL, else $EDITOR: a file of mode 0600 in a \
             directory only the user can read, removed however the edit ends. The \
             value is stored, byte for byte, only when it changed, then synced as \
             change does; a final newline the value did not have (vi adds one on \
             save) is dropped. SIGTERM or SIGHUP to om while the editor runs stores \
             nothing (exit 128+N); the terminal's ^C is the editor's own. A missing key is an error before any editor runs; --key on a \
             service, or a bare edit, is a usage error.",
        ],
        examples: &[
            ("om web edit config", "Edit web's config."),
            ("om sec/db edit --key password", "Edit one value of the secret db."),
        ],
        exit: CONFIG,
    },
    Page {
        words: "edit config",
        description: &[
            "Opens a copy of the config in $VISUAL, else $EDITOR, and installs it only \
             when it is valid; otherwise it shows the errors and offers to edit again. \
             The id can not be changed.",
        ],
        examples: &[("EDITOR=vi om web edit config", "Edit web's config in vi.")],
        exit: CONFIG,
    },
    Page {
        words: "enable",
        description: &[
            "Clears disable on the resources given by --rid, or on all of them. A \
             disabled resource is left out of every action.",
        ],
        examples: &[("om web enable --rid container#2", "Act on container#2 again.")],
        exit: CONFIG,
    },
    Page {
        words: "disable",
        description: &[
            "Sets disable on the resources given by --rid, or on all of them: actions \
             leave them out, and print status flags them D.",
        ],
        examples: &[("om web disable --rid container#2", "Leave container#2 alone.")],
        exit: CONFIG,
    },
    Page {
        words: "docker",
        description: &[
            "Runs docker with the arguments given, on the service's engine (its private \
             daemon, started when needed, with docker_data_dir), with the terminal \
             inherited. {container#1}, {1} and %1% become the container's name, \
             {instances} the service's containers, {images} their images. Every \
             argument after the command goes to docker, --help included.",
            "With --node (before the docker words), it runs on that node of the service \
             through ssh. A reference to a resource the service does not have is a \
             usage error naming the service's rids.",
        ],
        examples: &[
            ("om web docker ps", "docker ps: the engine's containers, all of them."),
            ("om web docker logs -f {container#1}", "Follow one container's output."),
            (
                "om web docker exec -it {container#1} sh",
                "A shell in a container (docker compose exec).",
            ),
            ("om web docker --node n2 ps", "docker ps on node n2."),
        ],
        exit: &[
            ("N", "docker's own exit code (for several services, the first non-zero); 128+N when docker was killed by signal N."),
            ("1", "om failed before docker ran (the engine or its private daemon could not be reached)."),
            ("2", "Usage error: no arguments, or a reference to a resource the service does not have."),
            ("255", "With --node: ssh failed, or docker there exited 255."),
        ],
    },
    Page {
        words: "enter",
        description: &[
            "Opens a shell in a container: docker exec -it NAME /bin/bash, else \
             /bin/sh, with the terminal inherited. --rid names the container; it is \
             needed only when the service has several.",
        ],
        examples: &[
            ("om web enter", "A shell in web's only container."),
            ("om web enter --rid container#db", "A shell in container#db."),
        ],
        exit: &[
            ("N", "The shell's exit code, as docker exec gives it; 128+N when killed by signal N."),
            ("1", "om failed before docker ran."),
            ("2", "Usage error: no --rid among several containers (the rids are listed), or a rid the service does not have."),
        ],
    },
    Page {
        words: "logs",
        description: &[
            "Shows the service's action log: every line om printed for its actions, \
             each timestamped, the docker commands as lines you can replay. -f keeps \
             printing lines as they are appended.",
            "The containers' own output is --containers (docker logs of each \
             container, each line prefixed with its rid), or one container's: om SVC \
             docker logs -f {container#1}.",
        ],
        examples: &[
            ("om web logs", "What om did to web."),
            (
                "om web logs --containers -f",
                "Follow every container's output (docker compose logs -f).",
            ),
        ],
        exit: &[OK, ("1", "The log can not be read, or a docker logs call failed."), USAGE],
    },
    Page {
        words: "add",
        description: &[
            "Adds a key to a secret (NS/sec/NAME) or a config (NS/cfg/NAME), its value \
             from --value or, binary safe, from a file or stdin (--from FILE|-). An \
             existing key is refused: use change. Services that use the object get it \
             at their next start.",
        ],
        examples: &[(
            "printf '%s' \"$PW\" | om sec/db add --key password --from -",
            "Store a password from stdin.",
        )],
        exit: CONFIG,
    },
    Page {
        words: "change",
        description: &[
            "Changes the value of a key of a secret or config, as add takes it. A \
             running container keeps the value it was started with.",
        ],
        examples: &[(
            "om sec/db change --key password --from new-password.txt",
            "A new password.",
        )],
        exit: CONFIG,
    },
    Page {
        words: "keys",
        description: &["Lists the keys of a secret or config, one per line."],
        examples: &[("om sec/db keys", "The keys of the secret db.")],
        exit: CONFIG,
    },
    Page {
        words: "decode",
        description: &["Prints a key's value, its raw bytes, on stdout."],
        examples: &[(
            "om sec/db decode --key password",
            "The password, as stored.",
        )],
        exit: CONFIG,
    },
    Page {
        words: "remove",
        description: &["Removes a key from a secret or config."],
        examples: &[("om sec/db remove --key password", "Drop the key password.")],
        exit: CONFIG,
    },
    Page {
        words: "boot",
        description: &[
            "om has no daemon to start services after a reboot: boot hands that to \
             systemd, with a unit per service (om-boot-enable(1), om-boot-disable(1), \
             om-boot-print(1)).",
        ],
        examples: &[("om web boot enable", "Start web at boot.")],
        exit: CONFIG,
    },
    Page {
        words: "boot enable",
        description: &[
            "Writes the unit om-PATH.service (Type=oneshot, RemainAfterExit=yes, after \
             docker.service: ExecStart runs om PATH start --local, ExecStop om PATH \
             stop --local) and enables it. Where systemd does not run, it says so and \
             writes nothing.",
        ],
        examples: &[("om web boot enable", "Start web at boot.")],
        exit: &[OK, ("1", "systemd does not run, or the unit could not be written or enabled."), USAGE],
    },
    Page {
        words: "boot disable",
        description: &["Disables and removes the service's unit."],
        examples: &[("om web boot disable", "web no longer starts at boot.")],
        exit: CONFIG,
    },
    Page {
        words: "boot print",
        description: &["Prints the service's unit, as boot enable would write it, whether systemd runs or not."],
        examples: &[("om web boot print", "The unit of web.")],
        exit: CONFIG,
    },
    Page {
        words: "pacemaker",
        description: &[
            "A service with orchestrate = ha is Pacemaker's to run (om-pacemaker-config(1), \
             om-pacemaker-apply(1)): a resource of the ocf:om:svc agent, placed on its \
             nodes in order, never on a drpnodes node. Its start, stop, restart, switch, \
             takeover and giveback without --local then ask Pacemaker; print status \
             shows Pacemaker's view. Pacemaker's tools run behind the words of \
             OM_PACEMAKER when set (a wrapper that keeps their arguments: nsenter …, sudo; not ssh).",
        ],
        examples: &[("om web pacemaker apply", "Give web to Pacemaker.")],
        exit: CONFIG,
    },
    Page {
        words: "pacemaker config",
        description: &[
            "Prints, as the CIB XML cibadmin loads, the primitive om-NAME (om-NS.NAME \
             outside the root namespace) of class ocf, provider om, type svc, with the \
             params path, root (when not the system's) and om (--om); its meta \
             attributes resource-stickiness (more than the spread of the scores: a \
             service never fails back on its own), migration-threshold and \
             failure-timeout (the keywords migration_threshold and failure_timeout); its \
             monitor, start and stop operations, timed from the service's own bounds. \
             Then the location constraint om-NAME-placement: a rule per node of nodes, \
             100 per place from the last, every drpnodes node at -INFINITY, and any \
             other node at -INFINITY. Pacemaker's node names are om's.",
        ],
        examples: &[(
            "om web pacemaker config > web.xml",
            "What apply loads (cibadmin --modify --allow-create --scope configuration --xml-file web.xml).",
        )],
        exit: CONFIG,
    },
    Page {
        words: "pacemaker apply",
        description: &[
            "Loads what pacemaker config prints with cibadmin: both objects at once when \
             the CIB lacks one, then each of om's parts that differs, replaced whole. \
             What the CIB says already is not written: a second apply changes nothing \
             (the CIB's epoch stays). What crm_resource --meta set (target-role, \
             is-managed) is left alone. Each cibadmin call is printed as it runs.",
            "Give it the same flags each time (--om, --allow-no-fencing): the primitive \
             is what the last apply said, so a flag left out removes its parameter.",
        ],
        examples: &[("om web pacemaker apply --dry-run", "The cibadmin calls, not run.")],
        exit: CONFIG,
    },
];

/// om.conf(5)'s LIMITS: each pg_* keyword and what it writes under cgroup
/// v1, cgroup v2 and through systemd's driver.
pub const LIMITS: &[(&str, &str, &str, &str)] = &[
    (
        "pg_cpus, pg_mems",
        "cpuset.cpus, cpuset.mems",
        "the same",
        "AllowedCPUs=, AllowedMemoryNodes=",
    ),
    (
        "pg_cpu_shares (2-262144)",
        "cpu.shares",
        "cpu.weight (converted as runc does)",
        "CPUShares=",
    ),
    (
        "pg_cpu_quota (50%@all, 75%@2, or microseconds per 100 ms)",
        "cpu.cfs_quota_us",
        "cpu.max",
        "CPUQuota=",
    ),
    (
        "pg_mem_limit (64m, 1g)",
        "memory.limit_in_bytes",
        "memory.max",
        "MemoryMax=",
    ),
    (
        "pg_vmem_limit (memory + swap)",
        "memory.memsw.limit_in_bytes",
        "memory.swap.max (the swap part)",
        "MemorySwapMax=",
    ),
    ("pg_mem_swappiness", "memory.swappiness", "none", "none"),
    (
        "pg_mem_oom_control",
        "memory.oom_control",
        "memory.oom.group",
        "none",
    ),
    (
        "pg_blkio_weight (10-1000)",
        "blkio.weight",
        "io.weight",
        "IOWeight=",
    ),
];

/// The page of the command `words`, if it has one.
pub fn page(words: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.words == words)
}
