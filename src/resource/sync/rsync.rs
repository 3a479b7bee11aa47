//! The rsync command lines of a sync, as data (STYLE.md 1): the sender's
//! `rsync … SRC… NODE:DST`, whose remote shell is om's transport (`-e`
//! with `OM_RSH`'s words) and whose remote program is the receiving
//! node's om (`--rsync-path`), which checks, locks and runs the rsync
//! server itself (see `receive`).

use super::Mode;
use crate::model::DataSync;
use crate::process::{quote, Cmd};

/// The agent's options (opensvc drivers/resource/sync/rsync): hard links,
/// ACLs, xattrs, permissions, owners, groups, devices, times, recursion,
/// links, one filesystem; statistics; what src lacks removed from dst.
pub const DEFAULTS: &[&str] = &["-HAXpogDtrlvx", "--stats", "--delete", "--force"];

/// The agent's bound of a transfer with no data moving, in seconds.
const TIMEOUT: &str = "--timeout=3600";

/// The directory, in `dst`, where the receiving rsync writes the files it
/// is receiving (`--temp-dir`) before it renames them into place: what an
/// interrupted sync leaves is there, and the next sync removes it before
/// its rsync runs. Excluded from the transfer, so `--delete` keeps it.
pub const TEMP_DIR: &str = ".om-sync-tmp";

/// What the sender knows of one transfer.
pub struct Transfer<'a> {
    /// The sending node's name (the receiver's `--from`).
    pub here: &'a str,
    /// The receiving node, as the config names it (its ssh host).
    pub node: &'a str,
    /// The service's path.
    pub path: &'a str,
    /// The remote shell's words (`OM_RSH`, or `ssh -o BatchMode=yes`).
    pub rsh: &'a [String],
    /// How long the receiver waits for its lock (`--waitlock`).
    pub waitlock: &'a str,
    /// The service's id: the receiver takes no sync for another service
    /// at the path.
    pub id: &'a str,
}

/// The options of a sync of `s`: the defaults (unless `reset_options`),
/// `options`, the timeout, the bandwidth limit, and om's own.
pub fn options(s: &DataSync, mode: Mode) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if !s.reset_options {
        out.extend(DEFAULTS.iter().map(ToString::to_string));
    }
    out.extend(s.options.iter().cloned());
    if !out.iter().any(|o| o.starts_with("--timeout")) {
        out.push(TIMEOUT.into());
    }
    if let Some(b) = &s.bwlimit {
        out.push(format!("--bwlimit={b}"));
    }
    if mode == Mode::Full {
        out.push("--checksum".into());
    }
    out.push(format!("--temp-dir={TEMP_DIR}"));
    out.push(format!("--exclude=/{TEMP_DIR}"));
    out
}

/// The sender's command line for one transfer of `s` to `t.node`.
pub fn send_cmd(s: &DataSync, mode: Mode, t: &Transfer) -> Cmd {
    let receiver = [
        "om",
        t.path,
        "sync",
        mode.as_str(),
        "--receive",
        "--from",
        t.here,
        "--rid",
        s.head.rid.as_str(),
        "--waitlock",
        t.waitlock,
        "--expect-id",
        t.id,
        "--",
    ];
    let mut args = options(s, mode);
    // rsync splits -e itself, honouring quotes: never a shell
    args.push("-e".into());
    let rsh: Vec<String> = t.rsh.iter().map(|w| quote(w)).collect();
    args.push(rsh.join(" "));
    // the remote shell reads this line: each word quoted for it
    let remote: Vec<String> = receiver.iter().map(|w| quote(w)).collect();
    args.push(format!("--rsync-path={}", remote.join(" ")));
    args.extend(s.src.iter().cloned());
    args.push(format!("{}:{}", t.node, s.dst));
    Cmd::new("rsync", args)
}

/// The short options a receiving server may be given, one letter each,
/// none taking an argument (`-T DIR`, `-B N`, `-f RULE`, `-M OPT`, and
/// `-K`, which would follow a link in `dst` out of it, are not among
/// them; nor `-s`, `--secluded-args`, with which the server reads its
/// whole command line, destination included, from the sender's stream:
/// the words checked here would be none of its own); `e` is rsync's info
/// string (`e.iLsfxCIvu`), the bundle's end.
const SERVER_SHORT: &str = "vlHogDtpAXrxczuSWLkOJUNdyIiqmhnEC0";

/// The long options a receiving server may be given, as the sender's
/// rsync passes them (`--opt` or `--opt=N`, N digits).
const SERVER_LONG: &[&str] = &[
    "--delete",
    "--delete-before",
    "--delete-during",
    "--delete-delay",
    "--delete-after",
    "--delete-excluded",
    "--force",
    "--stats",
    "--numeric-ids",
    "--checksum",
    "--partial",
    "--size-only",
    "--ignore-existing",
    "--existing",
    "--safe-links",
    "--ignore-errors",
    "--inplace",
    "--delay-updates",
];

/// The long options with a number: `--timeout=N`, `--bwlimit=N`, …
const SERVER_NUMBERED: &[&str] = &[
    "--timeout=",
    "--bwlimit=",
    "--max-delete=",
    "--modify-window=",
    "--compress-level=",
    "--max-size=",
    "--min-size=",
];

/// Whether `word` is one short-option bundle a receiving server may be
/// given (`-vlHogDtpAXrxe.iLsfxCIvu`).
fn short_bundle_ok(word: &str) -> bool {
    let Some(rest) = word
        .strip_prefix('-')
        .filter(|r| !r.is_empty() && !r.starts_with('-'))
    else {
        return false;
    };
    for (i, c) in rest.char_indices() {
        if c == 'e' {
            let info = &rest[i + 1..];
            return info.starts_with('.') && info[1..].chars().all(|c| c.is_ascii_alphanumeric());
        }
        if !SERVER_SHORT.contains(c) {
            return false;
        }
    }
    true
}

/// Whether the words after the receiver's `--` are an rsync server's
/// that receives into `dst`, as om's sender's rsync passes them:
/// `--server`, then only option words of an allowlist (never `--sender`,
/// never an option that takes a path but `--temp-dir` with om's own),
/// then exactly `.` and this node's `dst` (rsync's receiver works in the
/// first path it is given).
pub fn server_words_ok(words: &[String], dst: &str) -> Result<(), String> {
    let Some((first, rest)) = words.split_first() else {
        return Err("no destination".into());
    };
    if first != "--server" {
        return Err("not an rsync server's command line".into());
    }
    let mut i = 0;
    while let Some(w) = rest.get(i) {
        if !w.starts_with('-') {
            break;
        }
        let ok = if w == "--sender" {
            return Err("a sync only receives here (--sender)".into());
        } else if w == "--temp-dir" {
            i += 1;
            rest.get(i).is_some_and(|d| d == TEMP_DIR)
        } else if w.starts_with("--") {
            *w == format!("--temp-dir={TEMP_DIR}")
                || SERVER_LONG.contains(&w.as_str())
                || SERVER_NUMBERED.iter().any(|p| {
                    w.strip_prefix(p)
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
        } else {
            short_bundle_ok(w)
        };
        if !ok {
            return Err(format!(
                "{} is not an option a sync's receiving rsync takes",
                quote(w)
            ));
        }
        i += 1;
    }
    match &rest[i.min(rest.len())..] {
        [dot, last] if dot == "." && last == dst => Ok(()),
        [dot, last] if dot == "." => Err(format!(
            "the destination {} is not this node's dst ({dst})",
            quote(last)
        )),
        [] => Err("no destination".into()),
        other => Err(format!(
            "the paths {} are not '.' and this node's dst ({dst})",
            quote(&other.join(" "))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sync::Target;

    fn sync() -> DataSync {
        DataSync {
            head: crate::model::Head {
                rid: "sync#1".into(),
                ..Default::default()
            },
            src: vec!["/srv/db/".into()],
            dst: "/srv/db".into(),
            target: vec![Target::Drpnodes],
            options: vec!["--exclude=cache/".into()],
            bwlimit: Some("1m".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_sender_runs_rsync_over_om_s_transport_into_the_receiver_s_om() {
        let rsh: Vec<String> = ["ssh", "-F", "/etc/my ssh", "-o", "BatchMode=yes"]
            .map(String::from)
            .to_vec();
        let t = Transfer {
            here: "n1",
            node: "n3",
            path: "ns1/svc/db",
            rsh: &rsh,
            waitlock: "30s",
            id: "a1b2",
        };
        let cmd = send_cmd(&sync(), Mode::Update, &t);
        assert_eq!(cmd.program, "rsync");
        assert_eq!(
            cmd.args,
            [
                "-HAXpogDtrlvx",
                "--stats",
                "--delete",
                "--force",
                "--exclude=cache/",
                "--timeout=3600",
                "--bwlimit=1m",
                "--temp-dir=.om-sync-tmp",
                "--exclude=/.om-sync-tmp",
                "-e",
                "ssh -F '/etc/my ssh' -o BatchMode=yes",
                "--rsync-path=om ns1/svc/db sync update --receive --from n1 --rid sync#1 --waitlock 30s --expect-id a1b2 --",
                "/srv/db/",
                "n3:/srv/db",
            ]
        );
        let full = send_cmd(
            &DataSync {
                reset_options: true,
                options: vec!["-a".into(), "--timeout=60".into()],
                bwlimit: None,
                ..sync()
            },
            Mode::Full,
            &t,
        );
        assert_eq!(
            full.args[..5],
            [
                "-a",
                "--timeout=60",
                "--checksum",
                "--temp-dir=.om-sync-tmp",
                "--exclude=/.om-sync-tmp"
            ]
        );
        assert!(
            full.args[7].contains(" sync full --receive "),
            "{:?}",
            full.args
        );
    }

    #[test]
    fn the_receiver_runs_only_a_receiving_server_into_its_own_dst() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(server_words_ok(
            &w("--server -logDtpre.iLsfxCIvu --delete . /srv/db"),
            "/srv/db"
        )
        .is_ok());
        assert!(server_words_ok(&w("--server --sender -logDtpr . /srv/db"), "/srv/db").is_err());
        assert!(server_words_ok(&w("--server -logDtpr . /etc"), "/srv/db").is_err());
        assert!(server_words_ok(&w("-c reboot"), "/srv/db").is_err());
        assert!(server_words_ok(&[], "/srv/db").is_err());
    }

    #[test]
    fn the_receiver_takes_what_om_s_sender_passes_and_nothing_else() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let dst = "/srv/db";
        // what rsync 3 passes for om's update and full (seen through -e)
        for ok in [
            "--server -vlHogDtpAXrxe.iLsfxCIvu --timeout=3600 --bwlimit=1024 --delete --force --stats --temp-dir .om-sync-tmp . /srv/db",
            "--server -vlHogDtpAXrcxe.iLsfxCIvu --timeout=3600 --delete --force --stats --temp-dir .om-sync-tmp . /srv/db",
            "--server -logDtprze.iLsfxCIvu --delete-after --partial --numeric-ids --temp-dir .om-sync-tmp . /srv/db",
            "--server -lyOogDtprSe.iLsfxCIvu --size-only --max-delete=5 --max-size=1048576 --inplace . /srv/db",
        ] {
            assert_eq!(server_words_ok(&w(ok), dst), Ok(()), "{ok}");
        }
        let base = "--server -vlHogDtpAXrxe.iLsfxCIvu --delete";
        for bad in [
            // the receiver works in the first path: another directory
            format!("{base} . /victim /srv/db"),
            format!("{base} /victim /srv/db"),
            format!("{base} . /srv/db /victim"),
            format!("{base} /srv/db"),
            format!("{base} --log-file=/victim/log . /srv/db"),
            format!("{base} --backup-dir=/victim . /srv/db"),
            format!("{base} --partial-dir=/victim . /srv/db"),
            format!("{base} --partial-dir /victim . /srv/db"),
            format!("{base} --temp-dir /victim . /srv/db"),
            format!("{base} --temp-dir=/victim . /srv/db"),
            format!("{base} --link-dest=/victim . /srv/db"),
            format!("{base} --compare-dest=/victim . /srv/db"),
            format!("{base} --copy-dest=/victim . /srv/db"),
            format!("{base} --files-from=/victim/list . /srv/db"),
            format!("{base} --write-devices . /srv/db"),
            format!("{base} --remove-source-files . /srv/db"),
            format!("{base} --timeout=1x . /srv/db"),
            // arguments hidden in a short bundle
            "--server -vT/victim . /srv/db".into(),
            "--server -vK . /srv/db".into(),
            // the real command line read from the stream
            "--server -stre.iLsfxCIvu . /srv/db".into(),
            "--server -ve.i/x . /srv/db".into(),
            "--server -- . /srv/db".into(),
        ] {
            assert!(server_words_ok(&w(&bad), dst).is_err(), "{bad}");
        }
    }
}
