//! Reaching another node (SPEC 12): `ssh -o BatchMode=yes NODE om ARGS…`.
//! The node name is the ssh host (`~/.ssh/config` maps names to addresses,
//! users, keys and connection sharing); `OM_RSH` replaces the
//! `ssh -o BatchMode=yes` part. An existing transport, no cluster protocol:
//! what a node says is what its `om` prints.

use crate::error::{Error, Result};
use crate::process::{capture, quote, Cmd, Output};
use std::time::Duration;

/// How this node reaches the others: the remote shell's words (`OM_RSH`,
/// read once with the host), before the node name.
#[derive(Clone, Debug, PartialEq)]
pub struct Transport {
    rsh: Vec<String>,
    /// A directory of this om's own where ssh shares one connection per
    /// node between its calls (`shared`), for a command that talks to a
    /// node more than once (a switch asks the target, then starts there).
    share: Option<std::path::PathBuf>,
    /// `--debug`: each call to a node said in a D line.
    pub trace: Option<crate::debug::Trace>,
}

impl Default for Transport {
    fn default() -> Transport {
        Transport {
            rsh: ["ssh", "-o", "BatchMode=yes"].map(String::from).to_vec(),
            share: None,
            trace: None,
        }
    }
}

/// Why a node did not give an answer.
#[derive(Debug, PartialEq)]
pub enum Reach {
    /// The transport failed (ssh's own error, a bound passed): what the
    /// service is there is not known.
    Unreachable(String),
    /// The node answered with an error of its own.
    Refused(String),
    /// The node's om refused its command line (a usage error, exit 2, as
    /// an older om says of an option it does not know) before it did
    /// anything: nothing of the action ran there.
    Unrun(String),
}

impl std::fmt::Display for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reach::Unreachable(why) => write!(f, "unreachable: {why}"),
            Reach::Refused(why) | Reach::Unrun(why) => f.write_str(why),
        }
    }
}

impl Transport {
    /// The transport whose remote shell is `words` (`OM_RSH` split as a shell
    /// would); none is a usage error.
    pub fn new(words: Vec<String>) -> Result<Transport> {
        if words.is_empty() {
            return Err(Error::Usage("OM_RSH is empty".into()));
        }
        Ok(Transport {
            rsh: words,
            share: None,
            trace: None,
        })
    }

    /// The same transport, its ssh calls sharing one connection per node
    /// through control sockets in `dir` (ssh's ControlMaster, for as long
    /// as a call runs and 30 s after: `Shared` ends them sooner). Only
    /// for ssh (another remote shell is left as it is); the operator's
    /// own `-o` words in OM_RSH come first, and ssh keeps the first value.
    pub fn shared(&self, dir: &std::path::Path) -> Transport {
        Transport {
            share: self.is_ssh().then(|| dir.to_path_buf()),
            ..self.clone()
        }
    }

    /// Whether the operator's ssh config already shares the connection
    /// to `node` (`ssh -G`: a ControlMaster or a ControlPath of its own):
    /// then theirs is used, warm across commands, and om adds nothing.
    /// Asked once per node and process; a failed question says no.
    fn operator_shares(&self, node: &str) -> bool {
        static SEEN: std::sync::Mutex<Vec<(String, bool)>> = std::sync::Mutex::new(Vec::new());
        let mut seen = SEEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, v)) = seen.iter().find(|(n, _)| n == node) {
            return *v;
        }
        let shares = self.rsh.split_first().is_some_and(|(program, opts)| {
            let mut args: Vec<String> = opts.to_vec();
            args.extend(["-G".into(), node.to_string()]);
            capture(&Cmd::new(program.clone(), args), Duration::from_secs(5))
                .ok()
                .filter(Output::success)
                .is_some_and(|out| {
                    out.stdout.lines().any(|l| {
                        let (k, v) = l.split_once(' ').unwrap_or((l, ""));
                        (k == "controlmaster" && v != "false" && v != "no")
                            || (k == "controlpath" && v != "none")
                    })
                })
        });
        seen.push((node.to_string(), shares));
        shares
    }

    fn is_ssh(&self) -> bool {
        self.rsh
            .first()
            .and_then(|p| std::path::Path::new(p).file_name())
            .is_some_and(|n| n == "ssh")
    }

    /// `-O exit` to the shared connection of each of `nodes` (a master
    /// not there is no error): what `shared` opened ends with the command.
    pub fn end_shared(&self, nodes: &[String]) {
        let Some(dir) = &self.share else {
            return;
        };
        for node in nodes {
            if crate::config::operand::node(node).is_err() || self.operator_shares(node) {
                continue;
            }
            let (program, opts) = match self.rsh.split_first() {
                Some(x) => x,
                None => return,
            };
            let mut args: Vec<String> = opts.to_vec();
            args.extend(share_opts(dir));
            args.extend(["-O".into(), "exit".into(), node.clone()]);
            let _ = capture(&Cmd::new(program.clone(), args), Duration::from_secs(5));
        }
    }

    /// The remote shell's words, before the node name (a sync's rsync
    /// runs its transfer over them: `rsync -e`).
    pub fn rsh(&self) -> &[String] {
        &self.rsh
    }

    /// `om ARGS` on `node`, as one command line: ssh hands the words to the
    /// remote shell joined by spaces, so each is quoted for it.
    pub fn om_cmd(&self, node: &str, args: &[&str]) -> Result<Cmd> {
        self.om_cmd_with(node, &[], args)
    }

    /// The same with a terminal on `node` when `tty` (ssh's `-t`, so that
    /// `docker exec -it` works there: OM_RSH must accept it).
    pub fn om_cmd_tty(&self, node: &str, args: &[&str], tty: bool) -> Result<Cmd> {
        self.om_cmd_with(node, if tty { &["-t"] } else { &[] }, args)
    }

    fn om_cmd_with(&self, node: &str, rsh_opts: &[&str], args: &[&str]) -> Result<Cmd> {
        // never an option to ssh (config validation says so too)
        crate::config::operand::node(node).map_err(|e| Error::Usage(format!("node {e}")))?;
        let (program, opts) = self
            .rsh
            .split_first()
            .ok_or_else(|| Error::Usage("OM_RSH is empty".into()))?;
        let mut all: Vec<String> = opts.to_vec();
        if let Some(dir) = self
            .share
            .as_deref()
            .filter(|_| !self.operator_shares(node))
        {
            all.extend(share_opts(dir));
        }
        all.extend(rsh_opts.iter().map(ToString::to_string));
        all.push(node.to_string());
        all.push("om".into());
        all.extend(args.iter().map(|a| quote(a)));
        Ok(Cmd::new(program.clone(), all).traced(self.trace.as_ref()))
    }

    /// Runs `om ARGS` on `node` within `bound`: its stdout, or why there is
    /// none. ssh's own failures (exit 255) and a bound passed are
    /// "unreachable", never an answer.
    pub fn query(
        &self,
        node: &str,
        args: &[&str],
        bound: Duration,
    ) -> std::result::Result<String, Reach> {
        self.query_input(node, args, None, bound)
    }

    /// `query`, `input` on the remote om's stdin.
    pub fn query_input(
        &self,
        node: &str,
        args: &[&str],
        input: Option<&[u8]>,
        bound: Duration,
    ) -> std::result::Result<String, Reach> {
        let cmd = self
            .om_cmd(node, args)
            .map_err(|e| Reach::Refused(e.to_string()))?;
        let got = match input {
            Some(bytes) => crate::process::capture_input(&cmd, bound, bytes),
            None => capture(&cmd, bound),
        };
        let out = match got {
            Ok(out) => out,
            Err(Error::Interrupted(n)) => {
                return Err(Reach::Unreachable(format!("interrupted (signal {n})")))
            }
            Err(e) => return Err(Reach::Unreachable(e.to_string())),
        };
        classify(node, out)
    }

    /// Runs `om ARGS --lifeline` on `node`, its output lines (stdout and
    /// stderr, which carry the remote node's own prefix) handed to
    /// `on_line` as they come. Ok when the remote om succeeded; else why
    /// not.
    ///
    /// The remote om lives no longer than this call: ssh's stdin is a pipe
    /// this om holds open (`process::stream_tied`), which sshd hands on as
    /// the remote om's stdin, and `--lifeline` makes that om stop and roll
    /// back when it reaches its end. However the session ends (the ssh
    /// client killed, this om killed, the bound reached and the call cut),
    /// the remote om reads that end at once, and finishes with its
    /// rollback and its lock released. sshd itself signals nothing to a
    /// command without a terminal when its session drops, and a terminal
    /// (`ssh -tt`, then a SIGHUP) would turn the output's line ends to CRLF
    /// and stdin into a terminal's.
    pub fn act(
        &self,
        node: &str,
        args: &[&str],
        mut on_line: impl FnMut(&str),
    ) -> std::result::Result<(), Reach> {
        let mut cmd = self
            .om_cmd(node, &tied(args))
            .map_err(|e| Reach::Refused(e.to_string()))?;
        // one stream, in the order the remote printed it (the remote shell
        // reads this word: it is not quoted)
        cmd.args.push("2>&1".into());
        // The remote om's own lines (`om: …`, without a node prefix) are
        // held: the last one of a failure is the error this node reports
        // (naming the node); the others are said after it ends.
        let mut own: Vec<String> = Vec::new();
        let streamed = crate::process::stream_tied(&cmd, ACTION_BOUND, |line| {
            if line.starts_with("om: ") && own.len() < OWN_LINES {
                own.push(line.to_string());
            } else {
                on_line(line);
            }
        });
        let mut out = match streamed {
            Ok(out) => out,
            Err(e) => return Err(Reach::Unreachable(e.to_string())),
        };
        let last = (!out.success()).then(|| own.pop()).flatten();
        for line in &own {
            on_line(line);
        }
        // ssh's own words, if any, are on its stderr; else the remote's
        if out.stderr.trim().is_empty() {
            if let Some(last) = last {
                out.stderr = last;
            }
        }
        // a usage error ran nothing (om refuses its command line before
        // it acts; so does a remote shell that can not parse it)
        let refused_line = out.status.code() == Some(USAGE);
        classify(node, out).map(|_| ()).map_err(|e| match e {
            Reach::Refused(why) if refused_line => Reach::Unrun(why),
            e => e,
        })
    }

    /// The replayable line of a remote `om ARGS` on `node`, for the log
    /// (without the connection sharing: a line that replays anywhere).
    pub fn shown(&self, node: &str, args: &[&str]) -> String {
        let plain = Transport {
            share: None,
            ..self.clone()
        };
        plain
            .om_cmd(node, args)
            .map_or_else(|e| e.to_string(), |c| c.to_string())
    }

    /// The replayable line of `act(node, args)`.
    pub fn shown_act(&self, node: &str, args: &[&str]) -> String {
        self.shown(node, &tied(args))
    }
}

/// The words of a remote action: `--lifeline` last (an option of the
/// command, after its name).
/// ssh's words for a connection shared through `dir`.
fn share_opts(dir: &std::path::Path) -> [String; 6] {
    [
        "-o".into(),
        "ControlMaster=auto".into(),
        "-o".into(),
        format!("ControlPath={}/%C", dir.display()),
        "-o".into(),
        "ControlPersist=30".into(),
    ]
}

fn tied<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut words = args.to_vec();
    words.push("--lifeline");
    words
}

/// The exit code of a refused command line (om's, clap's, a shell's).
const USAGE: i32 = 2;

/// How many of a remote om's own lines an action holds (beyond, they are
/// streamed as they come).
const OWN_LINES: usize = 100;

/// How long a remote action may take (its own bounds apply there: a
/// start waits on each container's start_timeout).
pub const ACTION_BOUND: Duration = Duration::from_secs(30 * 60);

/// What a finished remote call says.
fn classify(node: &str, out: Output) -> std::result::Result<String, Reach> {
    if out.success() {
        return Ok(out.stdout);
    }
    let line = crate::text::cut(&out.error_line(), 300).into_owned();
    match out.status.code() {
        Some(255) => Err(Reach::Unreachable(line)),
        Some(127) => Err(Reach::Refused(format!(
            "om is not installed on {node} ({line})"
        ))),
        None => Err(Reach::Unreachable(line)),
        Some(_) => Err(Reach::Refused(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_transport_runs_ssh_on_one_connection_and_logs_the_plain_line() {
        let dir = std::path::Path::new("/tmp/om-ssh.x");
        let t = Transport::new(vec!["ssh".into(), "-F".into(), "c".into()]).unwrap();
        let s = t.shared(dir);
        let cmd = s.om_cmd("n2", &["web", "start"]).unwrap();
        assert_eq!(
            cmd.args[..8],
            [
                "-F",
                "c",
                "-o",
                "ControlMaster=auto",
                "-o",
                "ControlPath=/tmp/om-ssh.x/%C",
                "-o",
                "ControlPersist=30"
            ]
        );
        assert_eq!(s.shown("n2", &["web", "start"]), "ssh -F c n2 om web start");
        // another remote shell is left as it is
        let other = Transport::new(vec!["rsh".into()]).unwrap();
        assert_eq!(other.shared(dir), other);
    }

    #[test]
    fn the_remote_words_are_quoted_for_the_remote_shell() {
        let cmd = Transport::default()
            .om_cmd("n2", &["svc 1,x", "print", "status", "--local"])
            .unwrap();
        assert_eq!(cmd.program, "ssh");
        assert_eq!(
            cmd.args,
            [
                "-o",
                "BatchMode=yes",
                "n2",
                "om",
                "'svc 1,x'",
                "print",
                "status",
                "--local"
            ]
        );
    }

    #[test]
    fn a_terminal_is_asked_before_the_node() {
        let cmd = Transport::default()
            .om_cmd_tty("n2", &["svc1", "docker"], true)
            .unwrap();
        assert_eq!(
            cmd.args,
            ["-o", "BatchMode=yes", "-t", "n2", "om", "svc1", "docker"]
        );
        let cmd = Transport::default()
            .om_cmd_tty("n2", &["svc1", "docker"], false)
            .unwrap();
        assert_eq!(
            cmd.args,
            ["-o", "BatchMode=yes", "n2", "om", "svc1", "docker"]
        );
    }

    #[test]
    fn a_node_name_is_never_an_option() {
        assert!(Transport::default()
            .om_cmd("-oProxyCommand=x", &["ls"])
            .is_err());
        assert!(Transport::default().om_cmd("", &["ls"]).is_err());
    }

    fn out(code: i32, stderr: &str) -> Output {
        use std::os::unix::process::ExitStatusExt;
        Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: "ok".into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn ssh_failures_are_unreachable_never_an_answer() {
        assert_eq!(classify("n2", out(0, "")), Ok("ok".into()));
        assert!(matches!(
            classify("n2", out(255, "ssh: Could not resolve hostname n2")),
            Err(Reach::Unreachable(_))
        ));
        assert!(matches!(
            classify("n2", out(127, "bash: om: command not found")),
            Err(Reach::Refused(e)) if e.contains("om is not installed on n2")
        ));
        assert!(matches!(
            classify("n2", out(1, "om: service x does not exist")),
            Err(Reach::Refused(_))
        ));
    }
}
