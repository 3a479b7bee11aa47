//! The config commands: print config, get, set, unset, validate, enable/disable.

use crate::action::waitlock;
use crate::cli::{CommonArgs, Format, GetArgs, PrintConfigArgs, RidArgs, SetArgs, UnsetArgs};
use crate::config::check::check_document;
use crate::config::eval::Evaluator;
use crate::config::ini::Document;
use crate::config::input::{apply, parse_assign, split_key};
use crate::config::keywords::unscoped;
use crate::config::keywords::{rid_index, SectionKind, CONTAINER_GROUP, IP_GROUP};
use crate::config::service::container_rids;
use crate::config::{self};
use crate::error::{fail, Error, Result};
use crate::host::Host;
use crate::nodes::write_checks::ID_IS_FIXED;
use crate::output::{each, out};
use crate::paths::SvcPath;
use crate::state;
use serde_json::{Map, Value};

/// A section's name and its `(key, value)` pairs.
type Section = (String, Vec<(String, String)>);

/// Every section's keys with their values: as stored, or evaluated (scopes
/// resolved, references expanded).
fn sections(doc: &Document, path: &SvcPath, ctx: &Host, eval: bool) -> Result<Vec<Section>> {
    let ev = Evaluator::new(doc, path, &ctx.node, &ctx.env);
    let mut out = Vec::new();
    for section in doc.section_names() {
        let mut keys: Vec<(String, String)> = Vec::new();
        for (key, value) in doc.entries(section) {
            if !eval {
                keys.push((key.to_string(), value.to_string()));
                continue;
            }
            let name = unscoped(key);
            if keys.iter().any(|(k, _)| k == name) {
                continue;
            }
            let v = ev
                .get(section, name)
                .map_err(|e| Error::config(format!("{section}.{name}"), e.to_string()))?
                .unwrap_or_default();
            keys.push((name.to_string(), v));
        }
        out.push((section.to_string(), keys));
    }
    Ok(out)
}

pub fn print_config(ctx: &Host, selector: &str, args: &PrintConfigArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        let doc = config::read_document(path, &ctx.roots)?;
        let text = match (args.format, args.eval) {
            (Format::Text, false) => doc.to_string(),
            (Format::Text, true) => {
                let mut out = Document::default();
                for (section, keys) in sections(&doc, path, ctx, true)? {
                    out.add_section(&section);
                    for (k, v) in keys {
                        out.set(&section, &k, &v);
                    }
                }
                out.to_string()
            }
            (Format::Json, eval) => {
                // OpenSVC's metadata form, which `create --config` reads back.
                let mut root = Map::new();
                root.insert(
                    "metadata".into(),
                    serde_json::json!({
                        "name": path.name,
                        "namespace": path.namespace,
                        "kind": "svc",
                    }),
                );
                for (section, keys) in sections(&doc, path, ctx, eval)? {
                    let body: Map<String, Value> = keys
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect();
                    root.insert(section, Value::Object(body));
                }
                let mut s = serde_json::to_string_pretty(&Value::Object(root))
                    .map_err(|e| Error::Failed(format!("json: {e}")))?;
                s.push('\n');
                s
            }
        };
        // a hand-edited config may hold an ESC; JSON has none raw
        out(&crate::text::escape_lines(&text))
    })
}

pub fn get(ctx: &Host, selector: &str, args: &GetArgs) -> Result<()> {
    let paths = ctx.select(selector)?;
    let (section, key) = split_key(&args.kw)?;
    each(&paths, |path| {
        let doc = config::read_document(path, &ctx.roots)?;
        let optional_section = section == "DEFAULT" || section == "env";
        if !optional_section && !doc.has_section(&section) {
            return fail(format!(
                "--kw {}: no section [{section}] in {path}",
                args.kw
            ));
        }
        let ev = Evaluator::new(&doc, path, &ctx.node, &ctx.env);
        // Without --eval: the value stored under exactly that key (no
        // scoping, no references), else the keyword's default.
        let value = if args.eval {
            ev.get(&section, &key)
                .map_err(|e| Error::config(format!("{section}.{key}"), e.to_string()))?
        } else {
            match doc.get(&section, &key) {
                Some(v) => Some(v.to_string()),
                None => ev.default_of(&section, &key).map(|v| v.into_owned()),
            }
        };
        match value {
            Some(v) => out(&format!("{v}\n")),
            None => fail(format!("{section}.{key} is not set and has no default")),
        }
    })
}

/// Reads, edits, validates, then writes atomically, under the service lock.
fn edit(
    ctx: &Host,
    path: &SvcPath,
    common: &CommonArgs,
    what: &str,
    f: impl FnOnce(&mut Document) -> Result<()>,
) -> Result<()> {
    let _lock = state::lock(
        path,
        &ctx.roots,
        waitlock(&common.waitlock)?,
        &format!("om {path} {what}"),
        ctx.debug.as_ref(),
    )?;
    let mut doc = config::read_document(path, &ctx.roots)?;
    let before = doc.to_string();
    let id = doc.get("DEFAULT", "id").map(String::from);
    // `set` says the warnings it brings (below): those already there are
    // read from the document as it was, before the edit.
    let earlier = if what == "set" {
        check_document(&doc, path, &ctx.node, ctx).warnings
    } else {
        Vec::new()
    };
    f(&mut doc)?;
    if doc.get("DEFAULT", "id") != id.as_deref() {
        return fail(ID_IS_FIXED);
    }
    // Only `set` refuses an unknown keyword (SPEC 7); unset, enable and
    // disable must still work on a hand-edited file (to remove it, say).
    let report = check_document(&doc, path, &ctx.node, ctx);
    let errors = if what == "set" {
        // A keyword om keeps but ignores (`restart`, `monitor`, …): the
        // warnings this set brings are said at once, not only by a later
        // validate.
        for w in report.warnings.iter().filter(|w| !earlier.contains(w)) {
            crate::text::say(&format!("{path}: warning: {w}"));
        }
        report.validate_errors(&ctx.roots)
    } else {
        for u in &report.unknown {
            crate::text::say(&format!("{path}: warning: {u}, ignored"));
        }
        report.errors
    };
    if let Some(first) = errors.first() {
        return fail(first.clone());
    }
    // what a write stores, a daemon start accepts (SPEC 11), on the
    // engine the service's containers are on
    if let Some(svc) = &report.service {
        crate::nodes::write_checks::daemon_checked(ctx, path, svc)?;
        let synced = |n: &str| crate::nodes::sync::ever_synced(ctx, path, n);
        crate::nodes::write_checks::unmoved(ctx, path, svc, Some(&synced))?;
    }
    if doc.to_string() == before {
        return Ok(());
    }
    let base = crate::nodes::sync::base(ctx, path);
    config::save(path, &ctx.roots, &doc)?;
    crate::nodes::sync::after_write(ctx, path, common, base)
}

pub fn set(ctx: &Host, selector: &str, args: &SetArgs) -> Result<()> {
    let assigns = args
        .kw
        .iter()
        .map(|k| parse_assign(k))
        .collect::<Result<Vec<_>>>()?;
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        edit(ctx, path, &args.common, "set", |doc| {
            for a in &assigns {
                apply(doc, a)?;
            }
            Ok(())
        })
    })
}

pub fn unset(ctx: &Host, selector: &str, args: &UnsetArgs) -> Result<()> {
    let keys = args
        .kw
        .iter()
        .map(|k| split_key(k))
        .collect::<Result<Vec<_>>>()?;
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        edit(ctx, path, &args.common, "unset", |doc| {
            for (section, key) in &keys {
                if !doc.has_section(section) {
                    return fail(format!("--kw {section}.{key}: no section [{section}]"));
                }
                doc.unset(section, key);
            }
            Ok(())
        })
    })
}

pub fn enable(ctx: &Host, selector: &str, args: &RidArgs, enable: bool) -> Result<()> {
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        let what = if enable { "enable" } else { "disable" };
        edit(ctx, path, &args.common, what, |doc| {
            // every kind's resources: containers, then ip resources
            let ips = crate::config::service::rids_of(doc, SectionKind::Ip);
            let rids: Vec<String> = container_rids(doc)
                .into_iter()
                .chain(ips)
                .map(String::from)
                .collect();
            let group = |r: &str, a: &str| {
                (a == CONTAINER_GROUP || a == IP_GROUP) && rid_index(r, a).is_some()
            };
            let chosen: Vec<&String> = if args.rid.is_empty() {
                rids.iter().collect()
            } else {
                for r in &args.rid {
                    let known = rids.contains(r) || rids.iter().any(|x| group(x, r));
                    if !known && r != CONTAINER_GROUP {
                        return Err(Error::Usage(format!(
                            "--rid {r}: no such resource (its rids: {})",
                            rids.join(", ")
                        )));
                    }
                }
                rids.iter()
                    .filter(|r| args.rid.iter().any(|a| a == *r || group(r, a)))
                    .collect()
            };
            for rid in chosen {
                if enable {
                    doc.unset(rid, "disable");
                } else {
                    doc.set(rid, "disable", "true");
                }
            }
            Ok(())
        })
    })
}

pub fn validate(ctx: &Host, selector: &str) -> Result<()> {
    let paths = ctx.select(selector)?;
    each(&paths, |path| {
        let doc = config::read_document(path, &ctx.roots)?;
        let report = check_document(&doc, path, &ctx.node, ctx);
        let mut text = String::new();
        // the secrets, configs and registry credentials it refers to, and
        // its private daemon on this host
        let mut errors = report.validate_errors(&ctx.roots);
        let mut warnings = report.warnings.clone();
        if let Some(svc) = &report.service {
            match crate::docker::daemon::check_host(svc, ctx) {
                Ok(w) => warnings.extend(w),
                Err(e) => errors.push(e.to_string()),
            }
        }
        // warnings on stderr, as every command says them; the errors are
        // the report
        for w in &warnings {
            crate::text::say(&format!("{path}: warning: {w}"));
        }
        for e in &errors {
            text.push_str(&format!("{path}: error: {e}\n"));
        }
        out(&text)?;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Said)
        }
    })
}
