//! What `docker_daemon_args` may say (SPEC 11). The flags om sets itself
//! are refused: a second `--data-root` or `--pidfile` overrides om's, and
//! om then runs its daemon somewhere it did not check, and can no longer
//! find it to stop it. A listener is a `tcp://` address (warned without
//! TLS) or a unix socket that is not one an engine uses.

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// The key every error of these checks names.
const ARGS_KEY: &str = "DEFAULT.docker_daemon_args";

/// A flag as dockerd (pflag) reads it from `words`: `--name[=v]`, or a
/// group of short flags `-Dp[=]v` whose first value-taking flag takes the
/// rest of the word, else the next word, as its value.
struct Flag<'a> {
    /// `--data-root`, `-p`.
    name: String,
    value: Option<&'a str>,
    word: &'a str,
}

/// dockerd's one-letter flags that take a value (the others, `-D`, `-h`,
/// `-v`, are switches and leave the rest of the word to the next letter).
const SHORT_VALUED: &[char] = &['G', 'H', 'b', 'g', 'l', 'p', 's'];

/// Every flag in `words`. A word that is the value of the flag before it
/// is read as a flag too: refusing `--label -p` is safe, missing a flag
/// is not.
fn flags(words: &[String]) -> Vec<Flag<'_>> {
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str);
        if let Some(long) = word.strip_prefix("--").filter(|l| !l.is_empty()) {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, next),
            };
            out.push(Flag {
                name: format!("--{name}"),
                value,
                word,
            });
        } else if let Some(short) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            if let Some((at, c)) = short.char_indices().find(|(_, c)| SHORT_VALUED.contains(c)) {
                let rest = &short[at + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                out.push(Flag {
                    name: format!("-{c}"),
                    value: if rest.is_empty() { next } else { Some(rest) },
                    word,
                });
            }
        }
    }
    out
}

/// The data root a dockerd command line sets, if it sets one.
pub fn data_root(words: &[String]) -> Option<String> {
    flags(words)
        .into_iter()
        .rev()
        .find(|f| matches!(f.name.as_str(), "--data-root" | "--graph" | "-g"))
        .and_then(|f| f.value.map(String::from))
}

/// The addresses a dockerd command line listens on (`-H`/`--host`, in
/// any spelling).
pub fn hosts(words: &[String]) -> Vec<&str> {
    flags(words)
        .into_iter()
        .filter(|f| f.name == "-H" || f.name == "--host")
        .filter_map(|f| f.value)
        .collect()
}

/// Why om sets `name` itself, when it does.
fn om_sets(name: &str) -> Option<&'static str> {
    Some(match name {
        "--data-root" | "--graph" | "-g" => "the data root is docker_data_dir",
        "--pidfile" | "-p" => "om finds and stops its daemon by its pid file",
        "--exec-root" => "om gives each daemon its exec root, /run/om/ID8",
        "--config-file" => "om gives the daemon an empty daemon.json of its own",
        n if n.starts_with("--containerd") => {
            "om keeps each daemon on containerd namespaces of its own"
        }
        _ => return None,
    })
}

/// A config error when `words` carry a flag om sets itself (checked when
/// the config is read, and again before the daemon starts).
pub fn check_own_flags(words: &[String]) -> Result<()> {
    match flags(words)
        .iter()
        .find_map(|f| Some((f, om_sets(&f.name)?)))
    {
        None => Ok(()),
        Some((f, why)) => Err(Error::config(
            ARGS_KEY,
            format!(
                "'{}' sets {}, which om sets itself ({why})",
                f.word.escape_debug(),
                f.name
            ),
        )),
    }
}

/// What a `-H`/`--host` listener may not be, besides om's own socket.
pub struct Sockets<'a> {
    /// This daemon's socket (om's `-H unix://…`).
    pub own: &'a Path,
    /// om's state tree: the other services' sockets are there.
    pub var: &'a Path,
    /// `DOCKER_HOST`, when it names a unix socket.
    pub docker_host: Option<&'a str>,
}

/// The sockets the host engine listens on by default.
const HOST_SOCKETS: &[&str] = &["/var/run/docker.sock", "/run/docker.sock"];

/// Checks each `-H`/`--host` of `words`: a `tcp://` address (a warning
/// when it has no client authentication), or a unix socket of the
/// daemon's own. dockerd unlinks whatever is at a unix socket's path
/// before it listens, so a path an engine or a file holds is refused.
pub fn check_hosts(words: &[String], sockets: &Sockets) -> Result<Vec<String>> {
    let all = flags(words);
    let mut warnings = Vec::new();
    for f in all.iter().filter(|f| f.name == "-H" || f.name == "--host") {
        let why = match f.value {
            None => Some(format!("{} needs an address", f.name)),
            Some(value) if value.to_ascii_lowercase().starts_with("tcp://") => {
                if !authenticated(&all) {
                    warnings.push(format!(
                        "{ARGS_KEY}: {} {value} without --tlsverify, --tlscacert, --tlscert and --tlskey: an engine (root on this host) open to whoever reaches that address",
                        f.name
                    ));
                }
                None
            }
            Some(value) => match value
                .to_ascii_lowercase()
                .starts_with("unix://")
                .then(|| &value["unix://".len()..])
            {
                None => Some(format!("only tcp://HOST:PORT or unix:///PATH may be added with {} (om's own socket is set by om)", f.name)),
                Some(path) => unix_refusal(Path::new(path), sockets),
            },
        };
        if let Some(why) = why {
            return Err(Error::config(
                ARGS_KEY,
                format!("'{}': {why}", f.word.escape_debug()),
            ));
        }
    }
    Ok(warnings)
}

/// Why dockerd may not listen on the unix socket `path`, if it may not:
/// a relative path, om's own sockets, the host engine's, or what is
/// there already (`occupied`).
fn unix_refusal(path: &Path, sockets: &Sockets) -> Option<String> {
    if !path.is_absolute() || path.components().any(|c| c == Component::ParentDir) {
        return Some("a unix socket is an absolute path without '..'".into());
    }
    let path: PathBuf = path.components().collect();
    if path == sockets.own {
        return Some("this is om's socket of this daemon, which om sets".into());
    }
    if path.starts_with(sockets.var)
        || std::fs::canonicalize(sockets.var).is_ok_and(|var| real_socket(&path).starts_with(var))
    {
        return Some(format!(
            "{} is in om's state directory {}, where the services' own sockets are",
            path.display(),
            sockets.var.display()
        ));
    }
    let docker_host = sockets.docker_host.and_then(|h| h.strip_prefix("unix://"));
    // compared as real paths too: a link to the host's socket is it
    let real = real_socket(&path);
    if HOST_SOCKETS
        .iter()
        .copied()
        .chain(docker_host)
        .any(|h| Path::new(h) == path || real_socket(Path::new(h)) == real)
    {
        return Some(format!(
            "{} is the host engine's socket: dockerd would take it over",
            path.display()
        ));
    }
    occupied(&path, sockets.own)
}

/// Why what is at `path` may not be taken by dockerd: a file that is no
/// socket, or the live socket of another program (unless this daemon's
/// own dockerd, `own`, listens there).
fn occupied(path: &Path, own: &Path) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_socket() {
        return Some(format!(
            "{} exists and is not a socket: dockerd would delete it",
            path.display()
        ));
    }
    // a live socket is another program's (containerd's, another
    // engine's), unless this daemon's own dockerd listens there
    if std::os::unix::net::UnixStream::connect(path).is_ok() && !listened_by_own_daemon(own, path) {
        return Some(format!(
            "{} is the live socket of another program: dockerd would take it over",
            path.display()
        ));
    }
    None
}

/// `path` with its directory's links resolved (the socket itself may be
/// absent).
fn real_socket(path: &Path) -> PathBuf {
    match (path.parent().map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Whether a running dockerd started with `-H unix://OWN` also listens on
/// `path` (the extra socket this config gives it, as it ran before).
fn listened_by_own_daemon(own: &Path, path: &Path) -> bool {
    let own = format!("unix://{}", own.display());
    let other = format!("unix://{}", path.display());
    crate::procs::all().unwrap_or_default().iter().any(|p| {
        p.comm == "dockerd" && {
            let words = p.argv();
            let hosts = hosts(&words);
            hosts.contains(&own.as_str()) && hosts.contains(&other.as_str())
        }
    })
}

/// `--tlsverify` (not `=false`) with the three files it needs.
fn authenticated(all: &[Flag]) -> bool {
    let has = |name: &str| all.iter().any(|f| f.name == name);
    let verify = all.iter().any(|f| {
        (f.name == "--tlsverify" && !f.word.contains('=')) || f.word == "--tlsverify=true"
    });
    verify && has("--tlscacert") && has("--tlscert") && has("--tlskey")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        shell_words::split(s).unwrap()
    }

    #[test]
    fn every_spelling_of_a_flag_om_sets_is_refused() {
        let refused = [
            ("--data-root /x", "--data-root"),
            ("--data-root=/x", "--data-root"),
            ("-g /x", "-g"),
            ("-g/x", "-g"),
            ("--graph=/x", "--graph"),
            ("-p /tmp/p", "-p"),
            ("-p/tmp/p", "-p"),
            ("-p=/tmp/p", "-p"),
            ("-Dp /tmp/p", "-p"),
            ("--pidfile=/x", "--pidfile"),
            ("--exec-root /x", "--exec-root"),
            ("--config-file=/etc/docker/daemon.json", "--config-file"),
            ("--containerd /run/c.sock", "--containerd"),
            ("--containerd-namespace=x", "--containerd-namespace"),
            (
                "--containerd-plugins-namespace x",
                "--containerd-plugins-namespace",
            ),
            ("--group team1 --label -p", "-p"),
        ];
        for (args, flag) in refused {
            let err = check_own_flags(&words(args)).unwrap_err().to_string();
            assert!(
                err.starts_with("DEFAULT.docker_daemon_args: '")
                    && err.contains(&format!("sets {flag}, which om sets itself")),
                "{args}: {err}"
            );
        }
        for ok in [
            "--group team1",
            "-D --ip 10.0.0.5",
            "-G team1 -l debug",
            // a value that is a path: -G takes the rest of its word
            "-Gpeople",
            "--insecure-registry 10.0.0.1:5000 --data-rootless",
        ] {
            // --data-rootless is not --data-root (no prefix matching in dockerd)
            assert!(check_own_flags(&words(ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_listener_is_tcp_or_a_unix_socket_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("victim");
        std::fs::write(&file, "x").unwrap();
        let sockets = Sockets {
            own: Path::new("/o/var/svc/a/docker.sock"),
            var: Path::new("/o/var"),
            docker_host: Some("unix:///srv/host.sock"),
        };
        let check = |s: &str| check_hosts(&words(s), &sockets).map_err(|e| e.to_string());
        for (args, want) in [
            ("-H unix:///o/var/svc/a/docker.sock", "om's socket"),
            ("--host=unix:///o/var/svc/a//docker.sock", "om's socket"),
            ("-Hunix:///o/var/svc/b/docker.sock", "om's state directory"),
            ("-H unix:///var/run/docker.sock", "host engine's socket"),
            ("-H=unix:///run/docker.sock", "host engine's socket"),
            ("-H unix:///srv/host.sock", "host engine's socket"),
            ("-H fd://", "only tcp://"),
            ("-H 0.0.0.0:2375", "only tcp://"),
            ("-H ''", "only tcp://"),
            ("-H", "needs an address"),
            ("-H unix://run/x.sock", "absolute path"),
        ] {
            let err = check(args).unwrap_err();
            assert!(err.contains(want), "{args}: {err}");
        }
        let err = check(&format!("-H unix://{}", file.display())).unwrap_err();
        assert!(
            err.contains("is not a socket: dockerd would delete it"),
            "{err}"
        );
        assert_eq!(check("-H unix:///run/team1/docker.sock"), Ok(vec![]));
        // a live socket of another program, even through a link; a stale
        // one (nobody listens) is dockerd's to replace
        let live = dir.path().join("live.sock");
        let listener = std::os::unix::net::UnixListener::bind(&live).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("link")).unwrap();
        for shown in [live.clone(), dir.path().join("link/live.sock")] {
            let err = check(&format!("-H unix://{}", shown.display())).unwrap_err();
            assert!(err.contains("live socket of another program"), "{err}");
        }
        drop(listener);
        assert_eq!(check(&format!("-H unix://{}", live.display())), Ok(vec![]));
        let open = check("-H tcp://0.0.0.0:2375").unwrap();
        assert!(open[0].contains("without --tlsverify"), "{open:?}");
        let half = check("-H tcp://0.0.0.0:2376 --tlsverify --tlscert c --tlskey k").unwrap();
        assert_eq!(half.len(), 1, "no CA: no client authentication");
        let off = check("-H tcp://h:2376 --tlsverify=false --tlscacert a --tlscert c --tlskey k");
        assert_eq!(off.unwrap().len(), 1);
        let tls = "-H tcp://0.0.0.0:2376 --tlsverify --tlscacert=ca --tlscert c --tlskey k";
        assert_eq!(check(tls), Ok(vec![]));
    }
}
