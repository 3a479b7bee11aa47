//! The one keyword table: the parser, `validate config`, `set`, the man page
//! and completion all read it. No other place spells a keyword's name.

/// Which kind of section a keyword lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Default,
    Container,
    Subset,
    Ip,
    Disk,
    Fs,
    Sync,
    Volume,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// One line.
    Str,
    /// Free text: may span lines.
    Text,
    Bool,
    Duration,
    /// A shell-word list.
    Words,
    Choice(&'static [&'static str]),
    /// `none`, `host`, `container#N` or (netns only) a docker network.
    Namespace,
    /// An image reference (one line): completion offers the engine's
    /// local images.
    Image,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Yes,
    /// Known to OpenSVC, kept in the file, not acted on: a warning.
    Ignored,
}

#[derive(Debug)]
pub struct Keyword {
    pub name: &'static str,
    pub scope: Scope,
    pub kind: ValueType,
    pub default: Option<&'static str>,
    /// How it maps to `docker run`, for the man page.
    pub docker: &'static str,
    pub help: &'static str,
    pub support: Support,
    /// Whether `KEY@NODE` may give it another value on a node: not for
    /// what must be the same on every node (the id names the containers,
    /// the node lists say where the service runs).
    pub scopable: bool,
}

macro_rules! kw {
    (unscoped $scope:ident $name:literal $kind:expr, $default:expr, $docker:literal, $help:literal) => {
        Keyword {
            scopable: false,
            ..kw!($scope $name $kind, $default, $docker, $help)
        }
    };
    ($scope:ident $name:literal $kind:expr, $default:expr, $docker:literal, $help:literal) => {
        Keyword {
            name: $name,
            scope: Scope::$scope,
            kind: $kind,
            default: $default,
            docker: $docker,
            help: $help,
            support: Support::Yes,
            scopable: true,
        }
    };
    (ignored $scope:ident $name:literal, $help:literal) => {
        Keyword {
            name: $name,
            scope: Scope::$scope,
            kind: ValueType::Str,
            default: None,
            docker: "",
            help: $help,
            support: Support::Ignored,
            scopable: true,
        }
    };
}

use ValueType::*;

pub static KEYWORDS: &[Keyword] = &[
    kw!(unscoped Default "id" Str, None, "", "The service's UUID, set at create and never changed. It is part of every container's com.opensvc.id label."),
    kw!(Default "env" Str, None, "", "A free-form tag for the service's environment (e.g. PRD, DEV)."),
    kw!(Default "app" Str, Some("default"), "", "A free-form tag for who is responsible for the service and billed for it (a short code): the OpenSVC agent reports it to its collector as a filtering key; om keeps it for print config and get."),
    kw!(Default "comment" Text, None, "", "Free text for the operators."),
    kw!(Default "rollback" Bool, Some("true"), "", "When a start fails, stop again the resources this action started, in reverse order."),
    kw!(Default "tags" Words, None, "", "Words to select services or resources by."),
    kw!(unscoped Default "nodes" Words, None, "", "The nodes that may run the service, in order of preference (default: this node alone). print status shows an instance line for each; start runs it on the first that answers, and the config is kept the same on all of them (sync)."),
    kw!(unscoped Default "drpnodes" Words, None, "", "Disaster recovery nodes: never chosen automatically; print status shows them after the nodes."),
    kw!(Default "docker_data_dir" Str, None, "dockerd --data-root=", "An absolute path: the service gets a docker daemon of its own, with its image store there (references allowed, e.g. /srv/{namespace}/{name}/docker). It starts on demand and stops with the service's last container. It must be new or empty (om creates it and marks it with .om-owner), its real path (no symbolic link), and no system directory, om tree or other engine's data root."),
    kw!(Default "container_data_dir" Str, None, "dockerd --data-root=", "Alias of docker_data_dir."),
    kw!(Default "docker_daemon_args" Words, None, "appended to the dockerd command line", "Extra arguments of the private docker daemon, shell-split (e.g. --group team1 to give a team its socket). Not the flags om sets (--data-root, -g, -p/--pidfile, --exec-root, --config-file, --containerd*); -H is tcp:// (warned without --tlsverify) or a unix socket of its own."),
    kw!(Default "registry_creds" Str, None, "docker --config DIR for pull and run", "A secret of the service's namespace whose key config.json is a docker client config (auths): the service's pulls and runs use it, and nothing else sees it. A container's own registry_creds wins."),
    kw!(Default "pg_cpus" Str, None, "cpuset.cpus / AllowedCPUs=", "The cpus the slice's processes may run on (0-3,6). On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_mems" Str, None, "cpuset.mems / AllowedMemoryNodes=", "The memory nodes the slice's processes may use. On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_cpu_shares" Str, None, "cpu.shares (v2 cpu.weight) / CPUShares=", "The slice's relative cpu weight, 2 to 262144. On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_cpu_quota" Str, None, "cpu.cfs_quota_us (v2 cpu.max) / CPUQuota=", "The cpu time of the slice: 50%@all (half of every cpu), 75%@2 (1.5 cpus: a percent is of one cpu, 1 to 100), or microseconds per 100ms period (20000, 20000@2). On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_mem_limit" Str, None, "memory.limit_in_bytes (v2 memory.max) / MemoryMax=", "The memory of the slice's processes (64m, 1g): past it, the kernel reclaims, then kills. On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_vmem_limit" Str, None, "memory.memsw.limit_in_bytes (v2 memory.swap.max) / MemorySwapMax=", "Memory plus swap (at least pg_mem_limit, which it needs). On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_mem_swappiness" Str, None, "memory.swappiness", "0 to 100 (cgroup v1). On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_mem_oom_control" Bool, None, "memory.oom_control", "true turns the kernel's OOM killer off for the slice (cgroup v1). On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "pg_blkio_weight" Str, None, "blkio.weight (v2 io.weight) / IOWeight=", "The slice's relative block io weight, 10 to 1000. On the service's slice (opensvc.slice/[NS.slice/]NAME.slice)."),
    kw!(Default "trigger_timeout" Duration, Some("60s"), "", "How long a trigger may run: killed at this bound, its children too."),
    kw!(Default "pre_start" Str, None, "", "A command run before the service's start; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_pre_start" Str, None, "", "A command run before the service's start; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "post_start" Str, None, "", "A command run after the service's start; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_post_start" Str, None, "", "A command run after the service's start; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "pre_stop" Str, None, "", "A command run before the service's stop; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_pre_stop" Str, None, "", "A command run before the service's stop; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "post_stop" Str, None, "", "A command run after the service's stop; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_post_stop" Str, None, "", "A command run after the service's stop; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "pre_provision" Str, None, "", "A command run before the service's provision; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_pre_provision" Str, None, "", "A command run before the service's provision; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "post_provision" Str, None, "", "A command run after the service's provision; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_post_provision" Str, None, "", "A command run after the service's provision; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "pre_unprovision" Str, None, "", "A command run before the service's unprovision; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_pre_unprovision" Str, None, "", "A command run before the service's unprovision; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "post_unprovision" Str, None, "", "A command run after the service's unprovision; a failure is a warning. Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "blocking_post_unprovision" Str, None, "", "A command run after the service's unprovision; a failure fails the action (a start rolls back). Shell code (|, && or ;) runs under /bin/sh -c, any other command as an argv; no reference is expanded; OPENSVC_SVCPATH, OPENSVC_SVCNAME, OPENSVC_NAMESPACE, OPENSVC_ID, OPENSVC_ACTION and OPENSVC_RID are set."),
    kw!(Default "docker_daemon_start_timeout" Duration, Some("30s"), "", "How long the private docker daemon may take to answer after its start."),
    kw!(ignored Default "monitor", "OpenSVC daemon monitoring; om has no daemon."),
    kw!(unscoped Default "orchestrate" Choice(&["no", "ha"]), Some("no"), "", "ha: Pacemaker runs the service (SPEC 18): om PATH pacemaker apply gives it to Pacemaker as a resource of the ocf:om:svc agent, and om's start, stop, restart, switch, takeover and giveback without --local ask Pacemaker instead of acting; print status shows Pacemaker's view. no: om acts, nothing fails over by itself."),
    kw!(unscoped Default "migration_threshold" Str, Some("3"), "", "With orchestrate = ha: how many failures of the service on a node (a monitor that found it down, a failed start counts as all of them) before Pacemaker moves it to another node (Pacemaker's migration-threshold). A number (1 or more) or INFINITY (never moves on failures). 3, as an OpenSVC daemon restarts a failed service where it is before it gives up on that node."),
    kw!(unscoped Default "failure_timeout" Duration, Some("0"), "", "With orchestrate = ha: how long a node's failures count (Pacemaker's failure-timeout). 0, the default, keeps them until an operator clears them (crm_resource --cleanup --resource om-NAME), as OpenSVC keeps a failed start until om SVC clear."),
    kw!(ignored Default "topology", "OpenSVC failover/flex topology; an om service is failover: it runs on one of its nodes at a time."),
    kw!(ignored Default "placement", "OpenSVC placement policy; om starts a service on the first node of nodes that answers."),
    kw!(ignored Default "priority", "OpenSVC start priority; om has no daemon."),
    kw!(ignored Default "flex_min", "OpenSVC flex topology setting."),
    kw!(ignored Default "flex_max", "OpenSVC flex topology setting."),
    kw!(Container "type" Choice(&["docker"]), None, "", "The container driver; om supports docker."),
    kw!(Container "image" Image, None, "the image", "The image to run. Required."),
    kw!(Container "command" Words, None, "words after the image", "The command and arguments, shell-split. The image's default when unset."),
    kw!(Container "entrypoint" Words, None, "--entrypoint= (first word), the other words before the command", "Overrides the image's entrypoint."),
    kw!(Container "run_args" Words, None, "placed before the image", "Extra docker run arguments, shell-split. Flags om owns (-d, --name, --net/--network, --rm, --cgroup-parent) are dropped with a warning."),
    kw!(Container "name" Str, None, "--name=", "The container name. Default NAME.container.N, or NS..NAME.container.N outside the root namespace."),
    kw!(Container "hostname" Str, None, "--hostname=", "The container host name (with a private network namespace only)."),
    kw!(Container "netns" Namespace, Some("none"), "--net=", "none, host, container#N (share that container's network; it starts first) or a docker network name."),
    kw!(Container "pidns" Namespace, None, "--pid=", "host or container#N."),
    kw!(Container "ipcns" Namespace, None, "--ipc=", "none, private, shareable, host or container#N."),
    kw!(Container "utsns" Choice(&["", "host"]), None, "--uts=host", "host to share the host's UTS namespace."),
    kw!(Container "userns" Choice(&["", "host"]), None, "--userns=host", "host to disable user namespace remapping."),
    kw!(Container "privileged" Bool, Some("false"), "--privileged", "Give extended privileges to the container."),
    kw!(Container "interactive" Bool, Some("false"), "-i", "Keep stdin open."),
    kw!(Container "tty" Bool, Some("false"), "-t", "Allocate a pseudo-tty."),
    kw!(Container "init" Bool, Some("false"), "--init", "Run an init inside the container that forwards signals and reaps processes."),
    kw!(Container "read_only" Bool, Some("false"), "--read-only", "Mount the container's root filesystem read only."),
    kw!(Container "user" Str, None, "--user=", "The user (and group) the command runs as."),
    kw!(Container "cwd" Str, None, "--workdir=", "The working directory of the command."),
    kw!(Container "environment" Words, None, "-e KEY=VAL per word", "Environment variables, as shell words KEY=VAL."),
    kw!(Container "pre_start" Str, None, "", "A command run before this resource's start; a failure is a warning. As DEFAULT.pre_start, OPENSVC_RID set."),
    kw!(Container "blocking_pre_start" Str, None, "", "A command run before this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_start, OPENSVC_RID set."),
    kw!(Container "post_start" Str, None, "", "A command run after this resource's start; a failure is a warning. As DEFAULT.post_start, OPENSVC_RID set."),
    kw!(Container "blocking_post_start" Str, None, "", "A command run after this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_start, OPENSVC_RID set."),
    kw!(Container "pre_stop" Str, None, "", "A command run before this resource's stop; a failure is a warning. As DEFAULT.pre_stop, OPENSVC_RID set."),
    kw!(Container "blocking_pre_stop" Str, None, "", "A command run before this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_stop, OPENSVC_RID set."),
    kw!(Container "post_stop" Str, None, "", "A command run after this resource's stop; a failure is a warning. As DEFAULT.post_stop, OPENSVC_RID set."),
    kw!(Container "blocking_post_stop" Str, None, "", "A command run after this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_stop, OPENSVC_RID set."),
    kw!(Container "pre_provision" Str, None, "", "A command run before this resource's provision; a failure is a warning. As DEFAULT.pre_provision, OPENSVC_RID set."),
    kw!(Container "blocking_pre_provision" Str, None, "", "A command run before this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_provision, OPENSVC_RID set."),
    kw!(Container "post_provision" Str, None, "", "A command run after this resource's provision; a failure is a warning. As DEFAULT.post_provision, OPENSVC_RID set."),
    kw!(Container "blocking_post_provision" Str, None, "", "A command run after this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_provision, OPENSVC_RID set."),
    kw!(Container "pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure is a warning. As DEFAULT.pre_unprovision, OPENSVC_RID set."),
    kw!(Container "blocking_pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_unprovision, OPENSVC_RID set."),
    kw!(Container "post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure is a warning. As DEFAULT.post_unprovision, OPENSVC_RID set."),
    kw!(Container "blocking_post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_unprovision, OPENSVC_RID set."),
    kw!(Container "pg_cpus" Str, None, "cpuset.cpus / AllowedCPUs=", "The cpus the slice's processes may run on (0-3,6). On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_mems" Str, None, "cpuset.mems / AllowedMemoryNodes=", "The memory nodes the slice's processes may use. On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_cpu_shares" Str, None, "cpu.shares (v2 cpu.weight) / CPUShares=", "The slice's relative cpu weight, 2 to 262144. On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_cpu_quota" Str, None, "cpu.cfs_quota_us (v2 cpu.max) / CPUQuota=", "The cpu time of the slice: 50%@all (half of every cpu), 75%@2 (1.5 cpus: a percent is of one cpu, 1 to 100), or microseconds per 100ms period (20000, 20000@2). On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_mem_limit" Str, None, "memory.limit_in_bytes (v2 memory.max) / MemoryMax=", "The memory of the slice's processes (64m, 1g): past it, the kernel reclaims, then kills. On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_vmem_limit" Str, None, "memory.memsw.limit_in_bytes (v2 memory.swap.max) / MemorySwapMax=", "Memory plus swap (at least pg_mem_limit, which it needs). On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_mem_swappiness" Str, None, "memory.swappiness", "0 to 100 (cgroup v1). On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_mem_oom_control" Bool, None, "memory.oom_control", "true turns the kernel's OOM killer off for the slice (cgroup v1). On this container's own slice (its --cgroup-parent)."),
    kw!(Container "pg_blkio_weight" Str, None, "blkio.weight (v2 io.weight) / IOWeight=", "The slice's relative block io weight, 10 to 1000. On this container's own slice (its --cgroup-parent)."),
    kw!(Container "start_requires" Words, None, "", "RID(STATE,...) words: this resource starts only while those resources are in those states (default up); else its start fails naming what is missing. States: up, down, warn, n/a. A resource required up starts first (and stops after), within its subset's turn."),
    kw!(Container "stop_requires" Words, None, "", "RID(STATE,...) words: this resource stops only while those resources are in those states (default up)."),
    kw!(Container "secrets_environment" Words, None, "-e VAR per variable, its value in docker's process environment", "Variables from secrets of the service's namespace: VAR=NAME/KEY, or NAME/GLOB for a variable per matching key (named after the key, upper-cased). The value never shows on an argv or in a log."),
    kw!(Container "configs_environment" Words, None, "-e VAR per variable, its value in docker's process environment", "Variables from configs of the service's namespace, as secrets_environment."),
    kw!(Container "registry_creds" Str, None, "docker --config DIR for pull and run", "The secret with this container's registry credentials (config.json); DEFAULT.registry_creds when unset."),
    kw!(Container "volume_mounts" Words, None, "--volume=SRC:DST[:OPTS] per word", "Volumes; a host source must be an absolute path that exists."),
    kw!(Container "devices" Words, None, "--device=SRC:DST per word", "Host devices to expose in the container."),
    kw!(Container "rm" Bool, Some("false"), "docker rm before start and after stop", "Remove the container on stop and create a new one on start."),
    kw!(Container "detach" Bool, Some("true"), "-d", "false runs the container in the foreground to completion (an init job); implies rm."),
    kw!(Container "image_pull_policy" Choice(&["once", "always"]), Some("once"), "docker pull", "once: pull only when the image is absent; always: pull before each start."),
    kw!(Container "start_timeout" Duration, Some("5s"), "", "How long the container may take to be up (and healthy when it has a health check)."),
    kw!(Container "stop_timeout" Duration, None, "docker stop -t", "Grace time before docker kills the container; docker's default when unset."),
    kw!(Container "pull_timeout" Duration, Some("2m"), "", "How long docker pull may take."),
    kw!(Container "disable" Bool, Some("false"), "", "Ignore this resource in actions and status (n/a)."),
    kw!(Container "standby" Bool, Some("false"), "", "Started by a start on any node, even where the split-brain guard refuses the service (its other resources); kept up by a stop (stop --force stops it); shown stdby up or stdby down. A standby resource never counts as the service running on its node. Scopable: standby@drpnodes = true keeps it up on the disaster recovery nodes."),
    kw!(Container "optional" Bool, Some("false"), "", "A failure of this resource is a warning, and its status does not count in the service's availability (avail), only in overall."),
    kw!(Container "tags" Words, None, "", "Words to select resources by with --tag."),
    kw!(Container "subset" Str, None, "", "The subset this resource belongs to (see [subset#container:NAME])."),
    kw!(Container "comment" Text, None, "", "Free text for the operators."),
    kw!(ignored Container "restart", "OpenSVC daemon restarts; om has no daemon."),
    kw!(ignored Container "monitor", "OpenSVC daemon monitoring; om has no daemon."),
    kw!(ignored Container "provision", "OpenSVC provisioning switch."),
    kw!(ignored Container "unprovision", "OpenSVC unprovisioning switch."),
    kw!(ignored Container "shared", "OpenSVC shared resources."),
    kw!(ignored Container "encap", "OpenSVC encapsulated resources."),
    kw!(Subset "pg_cpus" Str, None, "cpuset.cpus / AllowedCPUs=", "The cpus the slice's processes may run on (0-3,6). On the subset's slice."),
    kw!(Subset "pg_mems" Str, None, "cpuset.mems / AllowedMemoryNodes=", "The memory nodes the slice's processes may use. On the subset's slice."),
    kw!(Subset "pg_cpu_shares" Str, None, "cpu.shares (v2 cpu.weight) / CPUShares=", "The slice's relative cpu weight, 2 to 262144. On the subset's slice."),
    kw!(Subset "pg_cpu_quota" Str, None, "cpu.cfs_quota_us (v2 cpu.max) / CPUQuota=", "The cpu time of the slice: 50%@all (half of every cpu), 75%@2 (1.5 cpus: a percent is of one cpu, 1 to 100), or microseconds per 100ms period (20000, 20000@2). On the subset's slice."),
    kw!(Subset "pg_mem_limit" Str, None, "memory.limit_in_bytes (v2 memory.max) / MemoryMax=", "The memory of the slice's processes (64m, 1g): past it, the kernel reclaims, then kills. On the subset's slice."),
    kw!(Subset "pg_vmem_limit" Str, None, "memory.memsw.limit_in_bytes (v2 memory.swap.max) / MemorySwapMax=", "Memory plus swap (at least pg_mem_limit, which it needs). On the subset's slice."),
    kw!(Subset "pg_mem_swappiness" Str, None, "memory.swappiness", "0 to 100 (cgroup v1). On the subset's slice."),
    kw!(Subset "pg_mem_oom_control" Bool, None, "memory.oom_control", "true turns the kernel's OOM killer off for the slice (cgroup v1). On the subset's slice."),
    kw!(Subset "pg_blkio_weight" Str, None, "blkio.weight (v2 io.weight) / IOWeight=", "The slice's relative block io weight, 10 to 1000. On the subset's slice."),
    kw!(Subset "parallel" Bool, Some("false"), "", "Start and stop the subset's resources concurrently (one by one when some of them require or join one another)."),
    kw!(Ip "type" Choice(&["netns"]), None, "", "The ip driver: netns, an address in the network namespace a container of the service holds."),
    kw!(Ip "netns" Str, None, "", "container#N: the container whose network namespace gets the address (a pause container with netns = none, say). The ip starts after it and before the containers that join its namespace, and stops before it. Required."),
    kw!(Ip "ipname" Str, None, "ip addr add", "The address, or a host name resolved at each start. Required."),
    kw!(Ip "netmask" Str, None, "ip addr add ADDR/LEN", "The prefix length (24) or a dotted mask (255.255.255.0). Required."),
    kw!(Ip "ipdev" Str, None, "ip link add", "The host bridge (mode = bridge: the veth pair's host end joins it), or the parent link (macvlan, ipvlan-l2, ipvlan-l3). Required."),
    kw!(Ip "mode" Choice(crate::model::Mode::WORDS), Some("bridge"), "ip link add … type veth|macvlan|ipvlan", "bridge: a veth pair on the bridge ipdev; macvlan: a macvlan child of ipdev (children reach each other, not their parent); ipvlan-l2, ipvlan-l3: an ipvlan child of ipdev."),
    kw!(Ip "gateway" Str, None, "ip route replace default via", "The default route's gateway in the namespace."),
    kw!(Ip "nsdev" Str, Some("eth0"), "ip link set … name", "The link's name inside the namespace."),
    kw!(Ip "pre_start" Str, None, "", "A command run before this resource's start; a failure is a warning. As DEFAULT.pre_start, OPENSVC_RID set."),
    kw!(Ip "blocking_pre_start" Str, None, "", "A command run before this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_start, OPENSVC_RID set."),
    kw!(Ip "post_start" Str, None, "", "A command run after this resource's start; a failure is a warning. As DEFAULT.post_start, OPENSVC_RID set."),
    kw!(Ip "blocking_post_start" Str, None, "", "A command run after this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_start, OPENSVC_RID set."),
    kw!(Ip "pre_stop" Str, None, "", "A command run before this resource's stop; a failure is a warning. As DEFAULT.pre_stop, OPENSVC_RID set."),
    kw!(Ip "blocking_pre_stop" Str, None, "", "A command run before this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_stop, OPENSVC_RID set."),
    kw!(Ip "post_stop" Str, None, "", "A command run after this resource's stop; a failure is a warning. As DEFAULT.post_stop, OPENSVC_RID set."),
    kw!(Ip "blocking_post_stop" Str, None, "", "A command run after this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_stop, OPENSVC_RID set."),
    kw!(Ip "pre_provision" Str, None, "", "A command run before this resource's provision; a failure is a warning. As DEFAULT.pre_provision, OPENSVC_RID set."),
    kw!(Ip "blocking_pre_provision" Str, None, "", "A command run before this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_provision, OPENSVC_RID set."),
    kw!(Ip "post_provision" Str, None, "", "A command run after this resource's provision; a failure is a warning. As DEFAULT.post_provision, OPENSVC_RID set."),
    kw!(Ip "blocking_post_provision" Str, None, "", "A command run after this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_provision, OPENSVC_RID set."),
    kw!(Ip "pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure is a warning. As DEFAULT.pre_unprovision, OPENSVC_RID set."),
    kw!(Ip "blocking_pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_unprovision, OPENSVC_RID set."),
    kw!(Ip "post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure is a warning. As DEFAULT.post_unprovision, OPENSVC_RID set."),
    kw!(Ip "blocking_post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_unprovision, OPENSVC_RID set."),
    kw!(Ip "start_requires" Words, None, "", "RID(STATE,...) words: this resource starts only while those resources are in those states (default up). A resource required up starts first."),
    kw!(Ip "stop_requires" Words, None, "", "RID(STATE,...) words: this resource stops only while those resources are in those states (default up)."),
    kw!(Ip "disable" Bool, Some("false"), "", "Ignore this resource in actions and status (n/a)."),
    kw!(Ip "standby" Bool, Some("false"), "", "Started by a start on any node, even where the split-brain guard refuses the service (its other resources); kept up by a stop (stop --force stops it); shown stdby up or stdby down. A standby resource never counts as the service running on its node. Scopable: standby@drpnodes = true keeps it up on the disaster recovery nodes."),
    kw!(Ip "optional" Bool, Some("false"), "", "A failure of this resource is a warning, and its status does not count in the service's availability (avail), only in overall."),
    kw!(Ip "tags" Words, None, "", "Words to select resources by with --tag."),
    kw!(Ip "subset" Str, None, "", "The subset this resource starts with (the subsets of the container resources, by name)."),
    kw!(Ip "comment" Text, None, "", "Free text for the operators."),
    kw!(Disk "type" Choice(&["loop", "vg", "lv"]), None, "", "The disk driver: loop, a loop device over a file (losetup); vg, an LVM volume group taken with this node's tag; lv, a logical volume of a volume group. Required."),
    kw!(Disk "file" Str, None, "losetup --find --show FILE", "type=loop: the loop device's backing file: an absolute path, never / or a system directory. Provision creates it (sparse, of size) when it does not exist; a file that exists is taken as is (an empty one is refused). Purge removes it when om created it; stop and unprovision never do. Never /var/lib/docker, om's own trees, an engine's data root, or what another service names. Required."),
    kw!(Disk "size" Str, None, "truncate -s, lvcreate -L|-l", "type=loop: the size of the file provision creates: bytes, or 100m, 1g (powers of 1024); at least 1m. type=lv: the size lvcreate gives the logical volume: 100%FREE, 50%VG (extents, -l), or 1g (-L)."),
    kw!(Disk "name" Str, None, "vgcreate NAME, lvcreate -n NAME", "type=vg: the volume group's name; type=lv: the logical volume's name (its device is /dev/VG/NAME, an fs's dev as {disk#N.exposed_devs[0]}). Required."),
    kw!(Disk "pvs" Words, None, "pvcreate, vgcreate NAME PVS", "type=vg: the block devices provision makes the volume group of (pvcreate, vgcreate). A device that is mounted, holds a filesystem or belongs to another volume group is refused: never reformatted."),
    kw!(Disk "options" Words, None, "vgcreate OPTIONS", "type=vg: options added to vgcreate at provision."),
    kw!(Disk "vg" Str, None, "lvcreate VG", "type=lv: the volume group of the logical volume (a disk#N type=vg of the service starts before it). Required."),
    kw!(Disk "create_options" Words, None, "lvcreate OPTIONS", "type=lv: options added to lvcreate at provision."),
    kw!(Disk "pre_start" Str, None, "", "A command run before this resource's start; a failure is a warning. As DEFAULT.pre_start, OPENSVC_RID set."),
    kw!(Disk "blocking_pre_start" Str, None, "", "A command run before this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_start, OPENSVC_RID set."),
    kw!(Disk "post_start" Str, None, "", "A command run after this resource's start; a failure is a warning. As DEFAULT.post_start, OPENSVC_RID set."),
    kw!(Disk "blocking_post_start" Str, None, "", "A command run after this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_start, OPENSVC_RID set."),
    kw!(Disk "pre_stop" Str, None, "", "A command run before this resource's stop; a failure is a warning. As DEFAULT.pre_stop, OPENSVC_RID set."),
    kw!(Disk "blocking_pre_stop" Str, None, "", "A command run before this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_stop, OPENSVC_RID set."),
    kw!(Disk "post_stop" Str, None, "", "A command run after this resource's stop; a failure is a warning. As DEFAULT.post_stop, OPENSVC_RID set."),
    kw!(Disk "blocking_post_stop" Str, None, "", "A command run after this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_stop, OPENSVC_RID set."),
    kw!(Disk "pre_provision" Str, None, "", "A command run before this resource's provision; a failure is a warning. As DEFAULT.pre_provision, OPENSVC_RID set."),
    kw!(Disk "blocking_pre_provision" Str, None, "", "A command run before this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_provision, OPENSVC_RID set."),
    kw!(Disk "post_provision" Str, None, "", "A command run after this resource's provision; a failure is a warning. As DEFAULT.post_provision, OPENSVC_RID set."),
    kw!(Disk "blocking_post_provision" Str, None, "", "A command run after this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_provision, OPENSVC_RID set."),
    kw!(Disk "pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure is a warning. As DEFAULT.pre_unprovision, OPENSVC_RID set."),
    kw!(Disk "blocking_pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_unprovision, OPENSVC_RID set."),
    kw!(Disk "post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure is a warning. As DEFAULT.post_unprovision, OPENSVC_RID set."),
    kw!(Disk "blocking_post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_unprovision, OPENSVC_RID set."),
    kw!(Disk "start_requires" Words, None, "", "RID(STATE,...) words: this resource starts only while those resources are in those states (default up). A resource required up starts first."),
    kw!(Disk "stop_requires" Words, None, "", "RID(STATE,...) words: this resource stops only while those resources are in those states (default up)."),
    kw!(Disk "disable" Bool, Some("false"), "", "Ignore this resource in actions and status (n/a)."),
    kw!(Disk "standby" Bool, Some("false"), "", "Started by a start on any node, even where the split-brain guard refuses the service (its other resources); kept up by a stop (stop --force stops it); shown stdby up or stdby down. A standby resource never counts as the service running on its node. Scopable: standby@drpnodes = true keeps it up on the disaster recovery nodes."),
    kw!(Disk "optional" Bool, Some("false"), "", "A failure of this resource is a warning, and its status does not count in the service's availability (avail), only in overall."),
    kw!(Disk "tags" Words, None, "", "Words to select resources by with --tag."),
    kw!(Disk "subset" Str, None, "", "The subset this resource starts with (the subsets of the container resources, by name)."),
    kw!(Disk "comment" Text, None, "", "Free text for the operators."),
    kw!(Fs "type" Choice(crate::model::FsType::WORDS), None, "mount -t", "The filesystem type: xfs, ext4 or btrfs. Required."),
    kw!(Fs "dev" Str, None, "mount DEV", "The block device: a path (/dev/vdb), or the device a disk resource of the service exposes, written {disk#1.exposed_devs[0]} as OpenSVC does, or disk#1. The fs starts after that disk. Required."),
    kw!(Fs "mnt" Str, None, "mount DEV MNT", "The mount point: an absolute path, never / or a system directory; created when missing. Required."),
    kw!(Fs "mnt_opt" Str, None, "mount -o", "The mount options."),
    kw!(Fs "mkfs_opt" Words, None, "mkfs.TYPE", "Options added to mkfs.TYPE at provision, which formats only a device that has no filesystem (blkid): each word an option with its value joined (-Lname, -bsize=4096); a word that forces (-f, -F, --force) or names a device (/dev/…, logdev=, rtdev=, device=) is refused."),
    kw!(Fs "user" Str, None, "chown", "The owner of the mount point once mounted (a name or a uid)."),
    kw!(Fs "group" Str, None, "chgrp", "The group of the mount point once mounted (a name or a gid)."),
    kw!(Fs "perm" Str, None, "chmod", "The mode of the mount point once mounted, in octal (0750)."),
    kw!(Fs "pre_start" Str, None, "", "A command run before this resource's start; a failure is a warning. As DEFAULT.pre_start, OPENSVC_RID set."),
    kw!(Fs "blocking_pre_start" Str, None, "", "A command run before this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_start, OPENSVC_RID set."),
    kw!(Fs "post_start" Str, None, "", "A command run after this resource's start; a failure is a warning. As DEFAULT.post_start, OPENSVC_RID set."),
    kw!(Fs "blocking_post_start" Str, None, "", "A command run after this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_start, OPENSVC_RID set."),
    kw!(Fs "pre_stop" Str, None, "", "A command run before this resource's stop; a failure is a warning. As DEFAULT.pre_stop, OPENSVC_RID set."),
    kw!(Fs "blocking_pre_stop" Str, None, "", "A command run before this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_stop, OPENSVC_RID set."),
    kw!(Fs "post_stop" Str, None, "", "A command run after this resource's stop; a failure is a warning. As DEFAULT.post_stop, OPENSVC_RID set."),
    kw!(Fs "blocking_post_stop" Str, None, "", "A command run after this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_stop, OPENSVC_RID set."),
    kw!(Fs "pre_provision" Str, None, "", "A command run before this resource's provision; a failure is a warning. As DEFAULT.pre_provision, OPENSVC_RID set."),
    kw!(Fs "blocking_pre_provision" Str, None, "", "A command run before this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_provision, OPENSVC_RID set."),
    kw!(Fs "post_provision" Str, None, "", "A command run after this resource's provision; a failure is a warning. As DEFAULT.post_provision, OPENSVC_RID set."),
    kw!(Fs "blocking_post_provision" Str, None, "", "A command run after this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_provision, OPENSVC_RID set."),
    kw!(Fs "pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure is a warning. As DEFAULT.pre_unprovision, OPENSVC_RID set."),
    kw!(Fs "blocking_pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_unprovision, OPENSVC_RID set."),
    kw!(Fs "post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure is a warning. As DEFAULT.post_unprovision, OPENSVC_RID set."),
    kw!(Fs "blocking_post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_unprovision, OPENSVC_RID set."),
    kw!(Fs "start_requires" Words, None, "", "RID(STATE,...) words: this resource starts only while those resources are in those states (default up). A resource required up starts first."),
    kw!(Fs "stop_requires" Words, None, "", "RID(STATE,...) words: this resource stops only while those resources are in those states (default up)."),
    kw!(Fs "disable" Bool, Some("false"), "", "Ignore this resource in actions and status (n/a)."),
    kw!(Fs "standby" Bool, Some("false"), "", "Started by a start on any node, even where the split-brain guard refuses the service (its other resources); kept up by a stop (stop --force stops it); shown stdby up or stdby down. A standby resource never counts as the service running on its node. Scopable: standby@drpnodes = true keeps it up on the disaster recovery nodes."),
    kw!(Fs "optional" Bool, Some("false"), "", "A failure of this resource is a warning, and its status does not count in the service's availability (avail), only in overall."),
    kw!(Fs "tags" Words, None, "", "Words to select resources by with --tag."),
    kw!(Fs "subset" Str, None, "", "The subset this resource starts with (the subsets of the container resources, by name)."),
    kw!(Fs "comment" Text, None, "", "Free text for the operators."),
    kw!(Sync "type" Choice(&["rsync", "btrfs", "docker"]), Some("rsync"), "", "The sync driver, sent by om SVC sync update|full, never by start or stop: rsync, a copy of this node's src to the dst of the target nodes over om's transport (rsync -e with OM_RSH's command); btrfs, the src subvolume's read-only snapshots sent by btrfs send [-p LAST] into btrfs receive on the target (full when either side lacks the last one or the target's copy was turned read-write), made available there as a read-write snapshot at dst; docker, the images of the service's containers that the target's engine lacks (by image id), by docker save into om docker load there."),
    kw!(Sync "src" Words, None, "", "What is sent: absolute paths, passed to rsync as written (a trailing / sends a directory's contents, as rsync reads it). Required."),
    kw!(Sync "dst" Str, None, "", "Where it goes on each target node: an absolute path, not a system directory (rsync's --delete removes there what src lacks). The receiving node runs rsync into this path of its own config, and no other. Required."),
    kw!(Sync "target" Words, None, "", "Which nodes receive it: nodes, drpnodes or both (this node left out). Required, as the agent's: a filesystem on a disk both nodes see must not be sent to nodes."),
    kw!(Sync "options" Words, None, "", "rsync options, shell-split, after om's (-HAXpogDtrlvx --stats --delete --force --timeout=3600), e.g. --exclude=cache/."),
    kw!(Sync "reset_options" Bool, Some("false"), "", "options replace om's default rsync options (-HAXpogDtrlvx --stats --delete --force) instead of following them."),
    kw!(Sync "dstfs" Str, None, "", "A mount point that must be mounted on the target node: else the sync to it is refused (a safety net: no copy fills the filesystem under an unmounted one)."),
    kw!(Sync "bwlimit" Str, None, "", "rsync --bwlimit=: the bandwidth limit of each transfer, in KiB/s (1000) or with rsync's units (1m)."),
    kw!(Sync "max_delay" Duration, Some("1d3h"), "", "Past this age of the last sync to a target node, status warns (last sync at T, older than max_delay); a node never synced warns too."),
    kw!(Sync "disable" Bool, Some("false"), "", "Ignore this resource in actions and status (n/a)."),
    kw!(Sync "tags" Words, None, "", "Words to select resources by with --tag."),
    kw!(Sync "subset" Str, None, "", "The subset this resource belongs to."),
    kw!(Sync "comment" Text, None, "", "Free text for the operators."),
    kw!(Volume "name" Str, None, "docker volume create --name", "The docker volume's name (default NAME-vol-N, NS..NAME-vol-N outside the root namespace, as OpenSVC's {name}-vol-{rindex}), on the service's engine (its private daemon's with docker_data_dir); a container mounts it by this name in volume_mounts (NAME:/path). A volume of the name that is not this resource's (its com.opensvc.id label) is refused."),
    kw!(Volume "driver" Str, None, "docker volume create --driver", "The volume driver; docker's (local) when unset."),
    kw!(Volume "options" Words, None, "docker volume create --opt per word", "The driver's options, KEY=VALUE words (type=tmpfs device=tmpfs o=size=64m)."),
    kw!(Volume "pre_start" Str, None, "", "A command run before this resource's start; a failure is a warning. As DEFAULT.pre_start, OPENSVC_RID set."),
    kw!(Volume "blocking_pre_start" Str, None, "", "A command run before this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_start, OPENSVC_RID set."),
    kw!(Volume "post_start" Str, None, "", "A command run after this resource's start; a failure is a warning. As DEFAULT.post_start, OPENSVC_RID set."),
    kw!(Volume "blocking_post_start" Str, None, "", "A command run after this resource's start; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_start, OPENSVC_RID set."),
    kw!(Volume "pre_stop" Str, None, "", "A command run before this resource's stop; a failure is a warning. As DEFAULT.pre_stop, OPENSVC_RID set."),
    kw!(Volume "blocking_pre_stop" Str, None, "", "A command run before this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_stop, OPENSVC_RID set."),
    kw!(Volume "post_stop" Str, None, "", "A command run after this resource's stop; a failure is a warning. As DEFAULT.post_stop, OPENSVC_RID set."),
    kw!(Volume "blocking_post_stop" Str, None, "", "A command run after this resource's stop; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_stop, OPENSVC_RID set."),
    kw!(Volume "pre_provision" Str, None, "", "A command run before this resource's provision; a failure is a warning. As DEFAULT.pre_provision, OPENSVC_RID set."),
    kw!(Volume "blocking_pre_provision" Str, None, "", "A command run before this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_provision, OPENSVC_RID set."),
    kw!(Volume "post_provision" Str, None, "", "A command run after this resource's provision; a failure is a warning. As DEFAULT.post_provision, OPENSVC_RID set."),
    kw!(Volume "blocking_post_provision" Str, None, "", "A command run after this resource's provision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_provision, OPENSVC_RID set."),
    kw!(Volume "pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure is a warning. As DEFAULT.pre_unprovision, OPENSVC_RID set."),
    kw!(Volume "blocking_pre_unprovision" Str, None, "", "A command run before this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_pre_unprovision, OPENSVC_RID set."),
    kw!(Volume "post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure is a warning. As DEFAULT.post_unprovision, OPENSVC_RID set."),
    kw!(Volume "blocking_post_unprovision" Str, None, "", "A command run after this resource's unprovision; a failure fails the action (a start rolls back). As DEFAULT.blocking_post_unprovision, OPENSVC_RID set."),
    kw!(Volume "start_requires" Words, None, "", "RID(STATE,...) words: this resource starts only while those resources are in those states (default up). A resource required up starts first."),
    kw!(Volume "stop_requires" Words, None, "", "RID(STATE,...) words: this resource stops only while those resources are in those states (default up)."),
    kw!(Volume "disable" Bool, Some("false"), "", "Ignore this resource in actions and status (n/a)."),
    kw!(Volume "standby" Bool, Some("false"), "", "Started by a start on any node, even where the split-brain guard refuses the service (its other resources); kept up by a stop (stop --force stops it); shown stdby up or stdby down. A standby resource never counts as the service running on its node. Scopable: standby@drpnodes = true keeps it up on the disaster recovery nodes."),
    kw!(Volume "optional" Bool, Some("false"), "", "A failure of this resource is a warning, and its status does not count in the service's availability (avail), only in overall."),
    kw!(Volume "tags" Words, None, "", "Words to select resources by with --tag."),
    kw!(Volume "comment" Text, None, "", "Free text for the operators."),
    kw!(Volume "subset" Str, None, "", "The subset this resource starts with (the subsets of the container resources, by name)."),
];

/// What a section name says about its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Default,
    Env,
    Container,
    Subset,
    Ip,
    Disk,
    Fs,
    Sync,
    Volume,
}

pub fn section_kind(section: &str) -> Option<SectionKind> {
    match section {
        "DEFAULT" => Some(SectionKind::Default),
        "env" => Some(SectionKind::Env),
        s if rid_index(s, CONTAINER_GROUP).is_some() => Some(SectionKind::Container),
        s if rid_index(s, IP_GROUP).is_some() => Some(SectionKind::Ip),
        s if rid_index(s, DISK_GROUP).is_some() => Some(SectionKind::Disk),
        s if rid_index(s, FS_GROUP).is_some() => Some(SectionKind::Fs),
        s if rid_index(s, SYNC_GROUP).is_some() => Some(SectionKind::Sync),
        s if rid_index(s, VOLUME_GROUP).is_some() => Some(SectionKind::Volume),
        s if subset_name(s).is_some_and(|n| !n.is_empty()) => Some(SectionKind::Subset),
        _ => None,
    }
}

/// The container kind's group: the `container` of `container#1`, and the
/// `--rid` word that selects every container.
pub const CONTAINER_GROUP: &str = "container";

/// The ip kind's group: the `ip` of `ip#1`, and the `--rid` word that
/// selects every ip resource.
pub const IP_GROUP: &str = "ip";

/// The data kinds' groups (SPEC 17): `disk#1`, `fs#1`.
pub const DISK_GROUP: &str = "disk";
pub const FS_GROUP: &str = "fs";
/// The sync kind's group: the `sync` of `sync#1`.
pub const SYNC_GROUP: &str = "sync";
/// The volume kind's group: the `volume` of `volume#1`.
pub const VOLUME_GROUP: &str = "volume";

const SUBSET_PREFIX: &str = "subset#container:";

/// The section of the subset `name`: `subset#container:NAME`.
pub fn subset_section(name: &str) -> String {
    format!("{SUBSET_PREFIX}{name}")
}

/// What follows `subset#container:` in a section name (`web`), or None
/// for a section of another kind.
pub fn subset_name(section: &str) -> Option<&str> {
    section.strip_prefix(SUBSET_PREFIX)
}

/// `container#web` → `web`, for a rid of that group with a valid index.
pub fn rid_index<'a>(rid: &'a str, group: &str) -> Option<&'a str> {
    let index = rid.strip_prefix(group)?.strip_prefix('#')?;
    let ok = !index.is_empty()
        && index
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    ok.then_some(index)
}

fn scope_of(kind: &SectionKind) -> Option<Scope> {
    match kind {
        SectionKind::Default => Some(Scope::Default),
        SectionKind::Container => Some(Scope::Container),
        SectionKind::Subset => Some(Scope::Subset),
        SectionKind::Ip => Some(Scope::Ip),
        SectionKind::Disk => Some(Scope::Disk),
        SectionKind::Fs => Some(Scope::Fs),
        SectionKind::Sync => Some(Scope::Sync),
        SectionKind::Volume => Some(Scope::Volume),
        SectionKind::Env => None,
    }
}

/// The keyword `name` in a section of this kind (`None` for `[env]`, where any key goes).
/// Whether `section.key` may take a node scope (an unknown keyword, or an
/// `[env]` key, may).
pub fn scopable(section: &str, key: &str) -> bool {
    section_kind(section)
        .and_then(|kind| lookup(&kind, key))
        .is_none_or(|kw| kw.scopable)
}

/// The key without its node scope: `image@deb1` → `image`.
pub fn unscoped(key: &str) -> &str {
    key.split_once('@').map_or(key, |(k, _)| k)
}

pub fn lookup(kind: &SectionKind, name: &str) -> Option<&'static Keyword> {
    // Indexed once: a config check looks up every keyword of every
    // resource, tens of thousands of times for a thousand services.
    // Its keys are the table's own, never a config's: a plain FNV hash (no
    // random seed to resist crafted collisions) is safe here, and several
    // times cheaper than the default one on these short names.
    static INDEX: std::sync::OnceLock<
        std::collections::HashMap<(Scope, &'static str), &'static Keyword, crate::hash::FnvBuild>,
    > = std::sync::OnceLock::new();
    let scope = scope_of(kind)?;
    INDEX
        .get_or_init(|| KEYWORDS.iter().map(|k| ((k.scope, k.name), k)).collect())
        .get(&(scope, name))
        .copied()
}

/// Known names close to `name` in this section kind, for "did you mean".
pub fn close_matches(kind: &SectionKind, name: &str) -> Vec<&'static str> {
    let Some(scope) = scope_of(kind) else {
        return Vec::new();
    };
    let mut scored: Vec<(usize, &'static str)> = KEYWORDS
        .iter()
        .filter(|k| k.scope == scope)
        .map(|k| (strsim::levenshtein(name, k.name), k.name))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3) || k.contains(name) && name.len() >= 3)
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_is_unique_in_its_scope() {
        for (i, a) in KEYWORDS.iter().enumerate() {
            for b in &KEYWORDS[i + 1..] {
                assert!(!(a.scope == b.scope && a.name == b.name), "{}", a.name);
            }
        }
    }

    #[test]
    fn sections() {
        assert_eq!(section_kind("container#1"), Some(SectionKind::Container));
        assert_eq!(section_kind("container#web"), Some(SectionKind::Container));
        assert_eq!(
            section_kind("subset#container:web"),
            Some(SectionKind::Subset)
        );
        assert_eq!(section_kind("container#"), None);
        assert_eq!(section_kind("ip#1"), Some(SectionKind::Ip));
        assert_eq!(section_kind("disk#1"), Some(SectionKind::Disk));
        assert_eq!(section_kind("fs#db"), Some(SectionKind::Fs));
        assert_eq!(section_kind("disk#"), None);
        assert_eq!(section_kind("floppy#1"), None);
    }

    #[test]
    fn close_matches_suggest() {
        assert_eq!(close_matches(&SectionKind::Container, "imgae")[0], "image");
        assert!(close_matches(&SectionKind::Container, "zzzzzzzz").is_empty());
        // whole lists, as the hand-written Levenshtein gave them before
        // strsim's (distance in chars: `é` is one edit from `rm`'s 2)
        let cases: [(SectionKind, &str, &[&str]); 10] = [
            (SectionKind::Container, "nam", &["name", "rm", "hostname"]),
            (
                SectionKind::Container,
                "environment",
                &["environment", "configs_environment", "secrets_environment"],
            ),
            (
                SectionKind::Container,
                "ima",
                &["image", "rm", "image_pull_policy"],
            ),
            (SectionKind::Default, "node", &["nodes", "drpnodes"]),
            (SectionKind::Default, "nodess", &["nodes"]),
            (SectionKind::Ip, "ipnam", &["ipname"]),
            (
                SectionKind::Container,
                "stop_timout",
                &["stop_timeout", "start_timeout"],
            ),
            (SectionKind::Container, "é", &["rm"]),
            (SectionKind::Container, "rm", &["rm"]),
            (SectionKind::Container, "netn", &["netns"]),
        ];
        for (kind, name, want) in cases {
            assert_eq!(close_matches(&kind, name), want, "{name}");
        }
    }
}
