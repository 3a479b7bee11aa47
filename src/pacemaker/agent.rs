//! The OCF resource agent `ocf:om:svc` as data (SPEC 18): its actions,
//! its parameters, the exit code each outcome of om's commands means to
//! Pacemaker, its meta-data and the file installed into the OCF directory.
//! No I/O here: `pacemaker::ocf` runs om's commands and hands their exits
//! to these functions.

use std::time::Duration;

/// The OCF exit codes (OCF resource agent API, "return codes").
pub const SUCCESS: u8 = 0;
pub const ERR_GENERIC: u8 = 1;
pub const ERR_UNIMPLEMENTED: u8 = 3;
pub const ERR_INSTALLED: u8 = 5;
pub const ERR_CONFIGURED: u8 = 6;
pub const NOT_RUNNING: u8 = 7;

/// `om PATH status` exit codes (SPEC 3).
const STATUS_UP: u8 = 0;
const STATUS_DOWN: u8 = 1;
const STATUS_NA: u8 = 3;

/// The file installed as `$OCF_ROOT/resource.d/om/svc`, `om` (the
/// installing om's path) its default program: it hands the action to om,
/// the parameters staying in the environment where Pacemaker put them. om
/// missing is "not installed" (5), for every action but meta-data, which
/// om alone can say.
pub fn agent_script(om: &str) -> String {
    format!(
        r#"#!/bin/sh
# ocf:om:svc, the OCF resource agent of an om service (installed by
# `om ocf install`): om does the work; `man om-ocf` says how.
om=${{OCF_RESKEY_om:-{om}}}
if ! command -v "$om" >/dev/null 2>&1; then
    echo "ocf:om:svc: $om: command not found (the om parameter, or om in PATH)" >&2
    exit 5
fi
exec "$om" ocf "${{1:-usage}}"
"#,
        om = shell_words::quote(om)
    )
}

/// What Pacemaker asks of the agent.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Monitor,
    ValidateAll,
    MetaData,
    /// Any other OCF action (notify, promote, reload…): exit 3.
    Other(String),
}

impl Action {
    pub fn parse(word: &str) -> Action {
        match word {
            "start" => Action::Start,
            "stop" => Action::Stop,
            // `status` is the LSB-era name some tools still call
            "monitor" | "status" => Action::Monitor,
            "validate-all" => Action::ValidateAll,
            "meta-data" => Action::MetaData,
            other => Action::Other(other.to_string()),
        }
    }
}

/// The resource's parameters, as Pacemaker passes them
/// (`OCF_RESKEY_<name>`), and the operation's own (`CRM_meta_*`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub path: Option<String>,
    pub root: Option<String>,
    pub allow_no_fencing: bool,
    /// `CRM_meta_interval` in ms: 0 (or absent) for a probe.
    pub interval_ms: u64,
    /// `CRM_meta_timeout` in ms: the operation's timeout.
    pub timeout_ms: Option<u64>,
}

impl Params {
    /// From the process's `OCF_RESKEY_*` variables (`vars`: name, value);
    /// a bad value is a one-line error.
    pub fn from_vars(vars: &[(String, String)]) -> Result<Params, String> {
        let get = |k: &str| {
            vars.iter()
                .find(|(n, _)| n.strip_prefix("OCF_RESKEY_") == Some(k))
                .map(|(_, v)| v.clone())
        };
        let ms = |k: &str| -> Result<Option<u64>, String> {
            get(k)
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| format!("OCF_RESKEY_{k}: '{v}' is not a number of ms"))
                })
                .transpose()
        };
        let allow_no_fencing = match get("allow_no_fencing") {
            None => false,
            Some(v) => pacemaker_bool(&v).ok_or_else(|| {
                format!("allow_no_fencing: '{v}' is not a boolean (true or false)")
            })?,
        };
        Ok(Params {
            path: get("path").filter(|v| !v.is_empty()),
            root: get("root").filter(|v| !v.is_empty()),
            allow_no_fencing,
            interval_ms: ms("CRM_meta_interval")?.unwrap_or(0),
            timeout_ms: ms("CRM_meta_timeout")?,
        })
    }

    pub fn is_probe(&self) -> bool {
        self.interval_ms == 0
    }
}

/// A boolean as Pacemaker reads one (crm_is_true).
pub fn pacemaker_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "y" | "1" => Some(true),
        "false" | "off" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// monitor: what `om PATH status --local` exited with, to Pacemaker. Up
/// runs; down and n/a do not; warn (a container down) is a failure to
/// recover; unknown (4: the engine unreachable, a config that does not
/// load) is a failure too, never "not running": its containers may still
/// run. A signal, any other code, or no exit at all (None: the call could
/// not run or was cut at the operation's timeout) is a failure.
pub fn monitor_code(status_exit: Option<u8>) -> u8 {
    match status_exit {
        Some(STATUS_UP) => SUCCESS,
        Some(STATUS_DOWN | STATUS_NA) => NOT_RUNNING,
        _ => ERR_GENERIC,
    }
}

/// stop: success only when `om PATH stop --local` succeeded and the status
/// then says down (or n/a); a stop that leaves anything up, or that can not
/// tell, is a failure, which Pacemaker answers with fencing.
pub fn stop_code(stop_exit: Option<u8>, status_exit: Option<u8>) -> u8 {
    if stop_exit == Some(0) && monitor_code(status_exit) == NOT_RUNNING {
        SUCCESS
    } else {
        ERR_GENERIC
    }
}

/// start: `om PATH start --local --force`, then the monitor, which must
/// say it runs.
pub fn start_code(start_exit: Option<u8>, monitor: u8) -> u8 {
    if start_exit == Some(0) && monitor == SUCCESS {
        SUCCESS
    } else {
        ERR_GENERIC
    }
}

/// The fencing rule of validate-all: fencing off (`stonith-enabled` false)
/// allows a split brain, so the agent refuses it unless the resource says
/// `allow_no_fencing=true`. `stonith_enabled` is the property's value as
/// the CIB holds it (None: unset, Pacemaker's default, true).
pub fn fencing_check(stonith_enabled: Option<&str>, allow_no_fencing: bool) -> Result<(), String> {
    let on = match stonith_enabled {
        None => true,
        Some(v) => {
            pacemaker_bool(v).ok_or_else(|| format!("stonith-enabled: '{v}' is not a boolean"))?
        }
    };
    if on || allow_no_fencing {
        return Ok(());
    }
    Err(
        "fencing is off (stonith-enabled=false): a node cut off would start the service \
         while the other still runs it (a split brain); configure fencing, or set \
         allow_no_fencing=true on the resource to accept that"
            .into(),
    )
}

/// The bounds om keeps to, from which the operations' default timeouts
/// follow.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// A docker call's bound (OM_DOCKER_TIMEOUT).
    pub docker: Duration,
    /// An action's wait for the service's lock (--waitlock's default).
    pub lock: Duration,
    /// A private docker daemon's start (docker_daemon_start_timeout's default).
    pub daemon_start: Duration,
}

/// The default timeout of each operation, as meta-data advertises it.
#[derive(Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub start: Duration,
    pub stop: Duration,
    pub monitor: Duration,
    pub validate: Duration,
}

/// Each operation's timeout covers what om may wait for in it: start waits
/// for the lock, a private daemon's start, a pull and a run (two docker
/// calls), then a status; stop for the lock and a docker stop, then a
/// status; monitor for one status (one listing per engine), validate-all
/// for a config read and a query of the CIB. Ten seconds more for om's
/// own work each time.
pub fn timeouts(b: Bounds) -> Timeouts {
    let slack = Duration::from_secs(10);
    Timeouts {
        start: b.lock + b.daemon_start + 3 * b.docker + slack,
        stop: b.lock + 2 * b.docker + slack,
        monitor: b.docker + slack,
        validate: b.docker + slack,
    }
}

/// The default interval of the recurring monitor.
pub const MONITOR_INTERVAL: Duration = Duration::from_secs(10);

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

/// One `<parameter>` of the meta-data: name, required, unique, content
/// type, default (empty: none), short and long descriptions.
type Param<'a> = (&'a str, bool, bool, &'a str, &'a str, &'a str, &'a str);

fn param_xml((name, required, unique, kind, default, short, long): Param<'_>) -> String {
    let default = if default.is_empty() {
        String::new()
    } else {
        format!(" default=\"{default}\"")
    };
    format!(
        "<parameter name=\"{name}\" required=\"{}\" unique=\"{}\">\n\
         <longdesc lang=\"en\">{long}</longdesc>\n\
         <shortdesc lang=\"en\">{short}</shortdesc>\n\
         <content type=\"{kind}\"{default}/>\n\
         </parameter>\n",
        u8::from(required),
        u8::from(unique)
    )
}

/// The meta-data document (ra-api-1.dtd).
pub fn meta_data(t: &Timeouts, om: &str) -> String {
    let om = xml_escape(om);
    let table: [Param<'_>; 4] = [
        (
            "path",
            true,
            true,
            "string",
            "",
            "The service's path",
            "The path of the om service this resource is (NAME or NAMESPACE/svc/NAME).",
        ),
        (
            "root",
            false,
            false,
            "string",
            "",
            "om's root",
            "The root of om's files on the node (OSVC_ROOT_PATH); om's default when empty.",
        ),
        (
            "om",
            false,
            false,
            "string",
            &om,
            "The om program",
            "The om program to run (a path, or a name found in PATH).",
        ),
        (
            "allow_no_fencing",
            false,
            false,
            "boolean",
            "false",
            "Accept a cluster without fencing",
            "The agent refuses to run the service when fencing is off (stonith-enabled=false): \
             a node cut off would start it while the other still runs it. true accepts that \
             split brain (a test cluster, a service whose data can take it).",
        ),
    ];
    let params: String = table.into_iter().map(param_xml).collect();
    format!(
        "<?xml version=\"1.0\"?>\n\
         <!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n\
         <resource-agent name=\"svc\" version=\"{version}\">\n\
         <version>1.0</version>\n\
         <longdesc lang=\"en\">An om service (containers, addresses, data) on this node: \
         start and stop are om's, with --local (Pacemaker decides where it runs), \
         monitor reads om's status.</longdesc>\n\
         <shortdesc lang=\"en\">An om service</shortdesc>\n\
         <parameters>\n{params}</parameters>\n\
         <actions>\n\
         <action name=\"start\" timeout=\"{start}\"/>\n\
         <action name=\"stop\" timeout=\"{stop}\"/>\n\
         <action name=\"monitor\" timeout=\"{monitor}\" interval=\"{interval}\"/>\n\
         <action name=\"validate-all\" timeout=\"{validate}\"/>\n\
         <action name=\"meta-data\" timeout=\"5s\"/>\n\
         </actions>\n\
         </resource-agent>\n",
        version = env!("CARGO_PKG_VERSION"),
        start = secs(t.start),
        stop = secs(t.stop),
        monitor = secs(t.monitor),
        interval = secs(MONITOR_INTERVAL),
        validate = secs(t.validate),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_maps_om_status_codes_and_never_says_not_running_when_unsure() {
        assert_eq!(monitor_code(Some(0)), SUCCESS); // up
        assert_eq!(monitor_code(Some(1)), NOT_RUNNING); // down
        assert_eq!(monitor_code(Some(3)), NOT_RUNNING); // n/a
        assert_eq!(monitor_code(Some(2)), ERR_GENERIC); // warn
        assert_eq!(monitor_code(Some(4)), ERR_GENERIC); // unknown
        assert_eq!(monitor_code(Some(137)), ERR_GENERIC); // killed
        assert_eq!(monitor_code(None), ERR_GENERIC); // cut at the timeout
    }

    #[test]
    fn stop_succeeds_only_when_the_status_then_says_down() {
        assert_eq!(stop_code(Some(0), Some(1)), SUCCESS);
        assert_eq!(stop_code(Some(0), Some(3)), SUCCESS);
        assert_eq!(stop_code(Some(0), Some(0)), ERR_GENERIC);
        assert_eq!(stop_code(Some(0), Some(2)), ERR_GENERIC);
        assert_eq!(stop_code(Some(0), Some(4)), ERR_GENERIC);
        assert_eq!(stop_code(Some(0), None), ERR_GENERIC);
        assert_eq!(stop_code(Some(1), Some(1)), ERR_GENERIC);
        assert_eq!(stop_code(None, Some(1)), ERR_GENERIC);
    }

    #[test]
    fn start_succeeds_only_when_the_monitor_then_says_up() {
        assert_eq!(start_code(Some(0), SUCCESS), SUCCESS);
        assert_eq!(start_code(Some(0), NOT_RUNNING), ERR_GENERIC);
        assert_eq!(start_code(Some(0), ERR_GENERIC), ERR_GENERIC);
        assert_eq!(start_code(Some(1), SUCCESS), ERR_GENERIC);
        assert_eq!(start_code(None, SUCCESS), ERR_GENERIC);
    }

    #[test]
    fn fencing_off_is_refused_unless_allowed() {
        assert!(fencing_check(None, false).is_ok());
        assert!(fencing_check(Some("true"), false).is_ok());
        let e = fencing_check(Some("false"), false).unwrap_err();
        assert!(e.contains("allow_no_fencing=true"), "{e}");
        assert!(fencing_check(Some("FALSE"), true).is_ok());
        assert!(fencing_check(Some("off"), false).is_err());
        assert!(fencing_check(Some("maybe"), true).is_err());
    }

    #[test]
    fn params_read_from_the_ocf_variables() {
        let v = |k: &str, x: &str| (k.to_string(), x.to_string());
        let p = Params::from_vars(&[
            v("OCF_RESKEY_path", "ns1/svc/web"),
            v("OCF_RESKEY_root", "/srv/om"),
            v("OCF_RESKEY_allow_no_fencing", "yes"),
            v("OCF_RESKEY_CRM_meta_interval", "5000"),
            v("OCF_RESKEY_CRM_meta_timeout", "20000"),
            v("OCF_ROOT", "/usr/lib/ocf"),
        ])
        .unwrap();
        assert_eq!(
            p,
            Params {
                path: Some("ns1/svc/web".into()),
                root: Some("/srv/om".into()),
                allow_no_fencing: true,
                interval_ms: 5000,
                timeout_ms: Some(20000),
            }
        );
        assert!(!p.is_probe());
        let none = Params::from_vars(&[v("OCF_RESKEY_path", "")]).unwrap();
        assert_eq!(none, Params::default());
        assert!(none.is_probe());
        let bad = Params::from_vars(&[v("OCF_RESKEY_allow_no_fencing", "perhaps")]);
        assert!(bad.unwrap_err().contains("allow_no_fencing"));
        let bad = Params::from_vars(&[v("OCF_RESKEY_CRM_meta_interval", "5s")]);
        assert!(bad.unwrap_err().contains("CRM_meta_interval"));
    }

    #[test]
    fn timeouts_follow_om_s_bounds() {
        let t = timeouts(Bounds {
            docker: Duration::from_secs(60),
            lock: Duration::from_secs(30),
            daemon_start: Duration::from_secs(30),
        });
        assert_eq!(
            t,
            Timeouts {
                start: Duration::from_secs(250),
                stop: Duration::from_secs(160),
                monitor: Duration::from_secs(70),
                validate: Duration::from_secs(70),
            }
        );
        let md = meta_data(&t, "/usr/local/bin/om");
        assert!(
            md.contains("<content type=\"string\" default=\"/usr/local/bin/om\"/>"),
            "{md}"
        );
        assert!(
            md.contains("<action name=\"start\" timeout=\"250s\"/>"),
            "{md}"
        );
        assert!(
            md.contains("<action name=\"monitor\" timeout=\"70s\" interval=\"10s\"/>"),
            "{md}"
        );
        assert!(
            md.contains("<parameter name=\"path\" required=\"1\" unique=\"1\">"),
            "{md}"
        );
    }

    #[test]
    fn the_installed_agent_execs_om_with_the_action_and_says_5_without_it() {
        let script = agent_script("/opt/my om/om");
        assert!(
            script.contains("om=${OCF_RESKEY_om:-'/opt/my om/om'}"),
            "{script}"
        );
        assert!(
            script.contains("exec \"$om\" ocf \"${1:-usage}\""),
            "{script}"
        );
        assert!(script.contains("exit 5"), "{script}");
    }

    #[test]
    fn actions_parse_and_the_rest_is_other() {
        assert_eq!(Action::parse("validate-all"), Action::ValidateAll);
        assert_eq!(Action::parse("status"), Action::Monitor);
        assert_eq!(Action::parse("notify"), Action::Other("notify".into()));
    }
}
