//! The commands of secrets and configs (SPEC 13): `create`, `add`,
//! `change`, `edit --key`, `keys`, `decode`, `remove`, `print config`, `delete`. Each
//! writer holds the object's lock; files are written atomically, 0600.

use crate::action::waitlock;
use crate::cli::{Command, CreateCmd, DeleteArgs, KeyValueArgs, PrintCommand};
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::objects::{ObjPath, Object};
use crate::output::out;
use std::io::Write;

/// The largest value `add` and `change` take.
const MAX_VALUE: u64 = 16 << 20;

/// A command on the objects a selector names: `keys`, `print config`,
/// `delete` and `sync` take several (each said in turn, a failure naming
/// its object), the others exactly one.
pub fn run_selected(ctx: &Host, sel: &str, paths: &[ObjPath], command: Command) -> Result<()> {
    let several = matches!(
        command,
        Command::Keys | Command::Print(PrintCommand::Config(_)) | Command::Delete(_)
    ) || matches!(&command, Command::Sync(a) if !a.receive);
    match paths {
        [one] => run(ctx, one, command),
        _ if !several => Err(Error::Usage(format!(
            "'{sel}' selects {} objects: this command takes exactly one",
            paths.len()
        ))),
        _ => {
            let mut failed = 0;
            for (i, p) in paths.iter().enumerate() {
                if crate::interrupt::received().is_some() {
                    break;
                }
                if matches!(command, Command::Keys) {
                    out(&format!("{}{p}:\n", if i > 0 { "\n" } else { "" }))?;
                }
                if let Err(e) = run(ctx, p, clone_command(&command)) {
                    crate::text::say(&e.to_string());
                    failed += 1;
                }
            }
            match failed {
                0 => Ok(()),
                _ => Err(Error::Said),
            }
        }
    }
}

/// The commands `run_selected` repeats, again.
fn clone_command(c: &Command) -> Command {
    match c {
        Command::Print(PrintCommand::Config(a)) => Command::Print(PrintCommand::Config(a.clone())),
        Command::Delete(a) => Command::Delete(a.clone()),
        Command::Sync(a) => Command::Sync(a.clone()),
        _ => Command::Keys,
    }
}

pub fn run(ctx: &Host, path: &ObjPath, command: Command) -> Result<()> {
    let noun = path.kind.noun();
    match command {
        Command::Create(c) => create(ctx, path, &c),
        Command::Add(a) => add(ctx, path, &a),
        Command::Change(a) => change(ctx, path, &a),
        Command::Remove(a) => write(ctx, path, &a.waitlock, "remove", |o| {
            let mut o = existing(path, o)?;
            o.remove(&a.key)?;
            Ok(o)
        }),
        Command::Sync(a) if a.data.is_some() => Err(Error::Usage(format!(
            "{path}: sync update and sync full send a service's sync resources; a secret or config has none (om {path} sync sends it)"
        ))),
        // the receiving side of a sync from another node (SPEC 12, 13)
        Command::Sync(a) if a.receive => crate::nodes::receive::receive_object(ctx, path, &a),
        // to the other nodes of the services that use it
        Command::Sync(a) => {
            let base = crate::nodes::sync::object_base(ctx, path);
            crate::nodes::sync::after_object_write(ctx, path, base, a.force)
        }
        Command::Keys => {
            let o = Object::load(path, &ctx.roots)?;
            out(&o.keys().iter().map(|k| format!("{k}\n")).collect::<String>())
        }
        Command::Decode(a) => decode(ctx, path, &a.key),
        Command::Edit(a) => match (a.key, a.what) {
            (Some(key), None) => edit_key(ctx, path, &key, &a.waitlock),
            _ => Err(Error::Usage(format!(
                "edit of a {noun} takes --key KEY: the key whose value to edit"
            ))),
        },
        Command::Print(PrintCommand::Config(_)) => out(&Object::load(path, &ctx.roots)?.text()),
        Command::Delete(a) => delete(ctx, path, &a),
        other => Err(Error::Usage(format!(
            "{path} is a {noun}: {} applies to services (a {noun} takes create, add, change, edit --key, keys, decode, remove, print config, delete)",
            command_name(&other)
        ))),
    }
}

/// `create`: an empty object (`--force` keeps the one that exists).
fn create(ctx: &Host, path: &ObjPath, c: &CreateCmd) -> Result<()> {
    let noun = path.kind.noun();
    let a = &c.args;
    if a.config.is_some() || !a.kw.is_empty() || !a.env.is_empty() || c.provision {
        return Err(Error::Usage(format!(
            "create of a {noun} takes no --config, --kw, --env or --provision: add its keys with add --key"
        )));
    }
    write(ctx, path, &a.common.waitlock, "create", |o| match o {
        Some(_) if !a.force => fail(format!("{noun} {path} already exists")),
        Some(o) => Ok(o),
        None => Ok(Object::empty(path)),
    })
}

/// `add --key K`: a key the object does not have yet.
fn add(ctx: &Host, path: &ObjPath, a: &KeyValueArgs) -> Result<()> {
    let noun = path.kind.noun();
    let value = read_value(a)?;
    write(ctx, path, &a.waitlock, "add", |o| {
        let mut o = existing(path, o)?;
        if o.has(&a.key) {
            return fail(format!(
                "{noun} {path}: key '{}' exists (change sets a new value)",
                a.key
            ));
        }
        o.set(&a.key, &value)?;
        Ok(o)
    })
}

/// `change --key K`: a new value for a key the object has.
fn change(ctx: &Host, path: &ObjPath, a: &KeyValueArgs) -> Result<()> {
    let noun = path.kind.noun();
    let value = read_value(a)?;
    write(ctx, path, &a.waitlock, "change", |o| {
        let mut o = existing(path, o)?;
        if !o.has(&a.key) {
            return fail(format!(
                "{noun} {path}: no key '{}' (add creates it)",
                a.key
            ));
        }
        o.set(&a.key, &value)?;
        Ok(o)
    })
}

/// `decode --key K`: the key's value, as it is, on stdout.
fn decode(ctx: &Host, path: &ObjPath, key: &str) -> Result<()> {
    let o = Object::load(path, &ctx.roots)?;
    let value = o.value(key)?;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&value).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(format!("writing to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// `delete`: the object's file, under its lock.
fn delete(ctx: &Host, path: &ObjPath, a: &DeleteArgs) -> Result<()> {
    let noun = path.kind.noun();
    if !a.rid.is_empty() {
        return Err(Error::Usage(format!("delete of a {noun} takes no --rid")));
    }
    let _lock = lock(ctx, path, &a.common.waitlock, "delete")?;
    let file = path.conf_file(&ctx.roots);
    crate::fsutil::found(&file, std::fs::remove_file(&file))?
        .ok_or_else(|| Error::Failed(format!("{noun} {path} does not exist")))
}

/// `edit --key K`: the key's value in the editor, under the object's
/// lock; stored (and synced) only when it changed.
fn edit_key(ctx: &Host, path: &ObjPath, key: &str, wait: &str) -> Result<()> {
    let editor = ctx.editor_argv()?;
    let noun = path.kind.noun();
    if !Object::exists(path, &ctx.roots)? {
        return fail(format!("{noun} {path} does not exist (create it first)"));
    }
    let base = {
        let lock_file = path.lock_file(&ctx.roots);
        let _lock = lock(ctx, path, wait, "edit")?;
        let base = crate::nodes::sync::object_base(ctx, path);
        let mut o = Object::load(path, &ctx.roots)?;
        let old = o.value(key)?;
        // beside the lock: om's own tree, 0700
        let dir = lock_file.with_file_name(format!("{}.edit-{}", path.name, std::process::id()));
        let new = crate::objects::edit::edit_value(&editor, &dir, key, &old, MAX_VALUE)?;
        if new == old {
            eprintln!("om: {path}: key '{key}': no change");
            return Ok(());
        }
        o.set(key, &new)?;
        o.save(&ctx.roots)?;
        base
    };
    crate::nodes::sync::after_object_write(ctx, path, base, false)
}

/// The subcommand's name, for a message.
fn command_name(c: &Command) -> String {
    let dbg = format!("{c:?}");
    dbg.split(|ch: char| !ch.is_alphanumeric())
        .next()
        .unwrap_or("this command")
        .to_lowercase()
}

fn existing(path: &ObjPath, o: Option<Object>) -> Result<Object> {
    o.ok_or_else(|| {
        Error::Failed(format!(
            "{} {path} does not exist (create it first)",
            path.kind.noun()
        ))
    })
}

/// `--value V`, or the bytes of `--from FILE|-`.
fn read_value(a: &KeyValueArgs) -> Result<Vec<u8>> {
    if let Some(v) = &a.value {
        return Ok(v.as_bytes().to_vec());
    }
    let src = a.from.as_deref().unwrap_or("-");
    crate::fsutil::read_source("--from", src, MAX_VALUE)
}

fn lock(ctx: &Host, path: &ObjPath, wait: &str, what: &str) -> Result<crate::state::Lock> {
    crate::state::lock_at(
        &ctx.roots,
        &path.lock_file(&ctx.roots),
        &format!("{} {path}", path.kind.noun()),
        waitlock(wait)?,
        &format!("om {path} {what}"),
        ctx.debug.as_ref(),
    )
}

/// Under the object's lock: `f` of what is there (None: nothing), written.
fn write(
    ctx: &Host,
    path: &ObjPath,
    wait: &str,
    what: &str,
    f: impl FnOnce(Option<Object>) -> Result<Object>,
) -> Result<()> {
    // nothing written (not even a lock file) for an object that is not there
    if what != "create" && !Object::exists(path, &ctx.roots)? {
        return fail(format!(
            "{} {path} does not exist (create it first)",
            path.kind.noun()
        ));
    }
    let base = {
        let _lock = lock(ctx, path, wait, what)?;
        let base = crate::nodes::sync::object_base(ctx, path);
        let now = if Object::exists(path, &ctx.roots)? {
            Some(Object::load(path, &ctx.roots)?)
        } else {
            None
        };
        f(now)?.save(&ctx.roots)?;
        base
    };
    // the other nodes of the services that use it get it too
    crate::nodes::sync::after_object_write(ctx, path, base, false)
}
