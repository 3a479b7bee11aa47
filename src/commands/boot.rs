//! `om SVC boot enable|disable|print` (SPEC 14): a service that comes back
//! at boot without a daemon of om's own, through a systemd unit
//! `om-<path, / as ->.service` that runs `om PATH start --local` once the
//! docker unit is up, and `stop --local` at shutdown.

use crate::cli::BootCommand;
use crate::error::{fail, Context, Error, Result};
use crate::host::Host;
use crate::output::{each, out};
use crate::paths::SvcPath;
use crate::process::{capture, Cmd};
use std::path::{Path, PathBuf};

/// The unit's name: the path's `/` as `-`, and a `-` of its own escaped
/// as systemd-escape does (`\x2d`), so that `ns-a/svc/b` and the root
/// service `ns-a-svc-b` never share a unit.
pub fn unit_name(path: &SvcPath) -> String {
    let parts: Vec<String> = path
        .to_string()
        .split('/')
        .map(|p| p.replace('-', "\\x2d"))
        .collect();
    format!("om-{}.service", parts.join("-"))
}

/// A word of an `ExecStart=` or `Environment=` line as systemd reads it:
/// its `\` and `"` escaped, its `%` doubled (a specifier otherwise) and,
/// in a command, its `$` doubled (a variable otherwise); double-quoted
/// when it is not a plain word. A control character is refused, whatever
/// the value's source: a newline would end the line and start another
/// directive (`ExecStartPre=…`), and no escape makes it safe to read.
fn systemd_word(what: &str, w: &str, command: bool) -> Result<String> {
    if let Some(c) = w.chars().find(|c| c.is_control()) {
        return Err(Error::Failed(format!(
            "{what} '{}' holds a control character ({}): no unit written",
            w.escape_debug(),
            c.escape_debug()
        )));
    }
    let mut out = String::with_capacity(w.len() + 2);
    for c in w.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' if command => out.push_str("$$"),
            c => out.push(c),
        }
    }
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:,+@".contains(c));
    Ok(if plain { out } else { format!("\"{out}\"") })
}

/// A path as a unit names it: its text exactly (a path that is not UTF-8
/// would be written as another one).
fn path_text<'a>(what: &str, p: &'a Path) -> Result<&'a str> {
    p.to_str().ok_or_else(|| {
        Error::Failed(format!(
            "{what} '{}' is not UTF-8: no unit written",
            p.display()
        ))
    })
}

/// The unit's text: om by its absolute path, the root it reads (when not
/// the system's) and this node's name when it was given.
pub fn unit_text(
    path: &SvcPath,
    om: &Path,
    root: Option<&Path>,
    node: Option<&str>,
) -> Result<String> {
    let om = systemd_word("the path of om", path_text("the path of om", om)?, true)?;
    let p = systemd_word("the service path", &path.to_string(), true)?;
    let mut env = String::new();
    if let Some(root) = root {
        let root = path_text("OSVC_ROOT_PATH", root)?;
        env.push_str(&format!(
            "Environment={}\n",
            systemd_word("OSVC_ROOT_PATH", &format!("OSVC_ROOT_PATH={root}"), false)?
        ));
    }
    if let Some(node) = node {
        env.push_str(&format!(
            "Environment={}\n",
            systemd_word("OSVC_NODENAME", &format!("OSVC_NODENAME={node}"), false)?
        ));
    }
    Ok(format!(
        "# Written by om {path} boot enable: om starts the service at boot.
[Unit]
Description=om service {path}
Wants=docker.service network-online.target
After=docker.service network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
{env}ExecStart={om} {p} start --local
ExecStop={om} {p} stop --local
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
"
    ))
}

/// Whether systemd runs this machine (as `sd_booted` tells it).
fn systemd_runs() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

fn systemctl(ctx: &Host, args: &[&str]) -> Result<()> {
    let cmd = Cmd::new("systemctl", args.iter().copied());
    let out = capture(&cmd, ctx.docker.bound)?;
    if out.success() {
        Ok(())
    } else {
        fail(format!("{cmd}: {}", out.error_line()))
    }
}

pub fn boot(ctx: &Host, selector: &str, what: &BootCommand) -> Result<()> {
    let paths = ctx.select(selector)?;
    let om = std::env::current_exe().context(|| "the path of om itself".into())?;
    // absolute: systemd runs the unit from /
    let root = (ctx.roots.etc != crate::paths::Roots::system().etc)
        .then(|| ctx.roots.etc.parent().map(std::path::absolute))
        .flatten()
        .transpose()
        .context(|| "the absolute path of OSVC_ROOT_PATH".into())?;
    each(&paths, |path| {
        // the service must exist (and its config read) before a unit names it
        crate::config::load(path, ctx)?;
        let name = unit_name(path);
        let file: PathBuf = ctx.systemd_dir.join(&name);
        let text = unit_text(path, &om, root.as_deref(), ctx.node_given.as_deref())?;
        match what {
            BootCommand::Print => out(&text),
            BootCommand::Enable => {
                if !systemd_runs() {
                    return fail(format!(
                        "{path}: systemd does not run on this node: nothing enabled (om {path} boot print shows the unit)"
                    ));
                }
                crate::fsutil::write_atomic(&file, text.as_bytes(), crate::fsutil::NOT_OURS)
                    .context(|| format!("write {}", file.display()))?;
                // a unit is read by systemd, not only root: 0644
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))
                    .context(|| format!("chmod {}", file.display()))?;
                systemctl(ctx, &["daemon-reload"])?;
                systemctl(ctx, &["enable", &name])?;
                eprintln!("om: {path}: {name} enabled ({})", file.display());
                Ok(())
            }
            BootCommand::Disable => {
                if systemd_runs() && file.exists() {
                    systemctl(ctx, &["disable", &name])?;
                }
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(Error::Failed(format!(
                            "{path}: not enabled at boot ({} does not exist)",
                            file.display()
                        )))
                    }
                    Err(e) => return fail(format!("remove {}: {e}", file.display())),
                }
                if systemd_runs() {
                    systemctl(ctx, &["daemon-reload"])?;
                }
                Ok(())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_per_service() {
        let p = SvcPath::parse("ns1/svc/web").unwrap();
        assert_eq!(unit_name(&p), "om-ns1-svc-web.service");
        let t = unit_text(&p, Path::new("/usr/bin/om"), None, None).unwrap();
        assert!(
            t.contains("ExecStart=/usr/bin/om ns1/svc/web start --local\n"),
            "{t}"
        );
        assert!(
            t.contains("ExecStop=/usr/bin/om ns1/svc/web stop --local\n"),
            "{t}"
        );
        assert!(t.contains("After=docker.service"), "{t}");
        assert!(!t.contains("Environment="), "{t}");
        let t = unit_text(
            &p,
            Path::new("/opt/om dir/om"),
            Some(Path::new("/srv/om")),
            Some("n1"),
        )
        .unwrap();
        assert!(
            t.contains("Environment=OSVC_ROOT_PATH=/srv/om\nEnvironment=OSVC_NODENAME=n1\n"),
            "{t}"
        );
        assert!(
            t.contains("ExecStart=\"/opt/om dir/om\" ns1/svc/web start"),
            "{t}"
        );
        // systemd's specifiers, variables and escapes are the path's text
        let t = unit_text(
            &p,
            Path::new("/opt/a%n$x\\b/om"),
            Some(Path::new("/srv/o%i")),
            None,
        )
        .unwrap();
        assert!(t.contains("ExecStart=\"/opt/a%%n$$x\\\\b/om\" "), "{t}");
        assert!(
            t.contains("Environment=\"OSVC_ROOT_PATH=/srv/o%%i\"\n"),
            "{t}"
        );
        // a - of a name is not the / of a path
        assert_eq!(
            unit_name(&SvcPath::parse("ns-a/svc/b").unwrap()),
            "om-ns\\x2da-svc-b.service"
        );
        assert_ne!(
            unit_name(&SvcPath::parse("ns-a/svc/b").unwrap()),
            unit_name(&SvcPath::parse("ns-a-svc-b").unwrap())
        );
    }

    #[test]
    fn a_unit_never_holds_a_control_character() {
        let p = SvcPath::parse("web").unwrap();
        let om = Path::new("/usr/bin/om");
        let root = Path::new("/srv/om");
        let injected = "n1\nExecStartPre=/bin/touch /tmp/owned";
        for (om, root, node, what) in [
            (om, Some(root), Some(injected), "OSVC_NODENAME"),
            (
                om,
                Some(Path::new("/srv/a\nExecStartPre=/bin/true")),
                None,
                "OSVC_ROOT_PATH",
            ),
            (Path::new("/opt/om\r/om"), None, None, "the path of om"),
            (om, None, Some("n1\tx"), "OSVC_NODENAME"),
            (om, None, Some("n1\u{85}x"), "OSVC_NODENAME"),
        ] {
            let e = unit_text(&p, om, root, node).unwrap_err().to_string();
            assert!(e.starts_with(what), "{e}");
            assert!(e.contains("control character"), "{e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        use std::os::unix::ffi::OsStrExt;
        let latin1 = Path::new(std::ffi::OsStr::from_bytes(b"/srv/\xe9t\xe9"));
        let e = unit_text(&p, om, Some(latin1), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not UTF-8"), "{e}");
    }
}
