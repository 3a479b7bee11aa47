//! The resources an action touches: the `--rid`, `--tag` and `--subset`
//! filters, and the ip resources the selected containers hold.

use crate::cli::ActionArgs;
use crate::config::keywords::{rid_index, CONTAINER_GROUP};
use crate::error::{Error, Result};
use crate::model::Resource;
use crate::model::Service;

/// The resources an action touches: `--rid` (rid or group), `--tag`,
/// `--subset` filters (each a list, all of them must match); disabled
/// resources are left out.
pub fn select_resources<'a>(svc: &'a Service, args: &ActionArgs) -> Result<Vec<Resource<'a>>> {
    let all = svc.resources();
    for rid in &args.rid {
        let known = rid == CONTAINER_GROUP
            || rid == crate::config::keywords::IP_GROUP && !svc.ips.is_empty()
            || rid == crate::config::keywords::VOLUME_GROUP && !svc.volumes.is_empty()
            || all
                .iter()
                .any(|r| &r.head().rid == rid || r.head().rid.group() == rid);
        if !known {
            return Err(Error::Usage(format!(
                "--rid {rid}: no such resource in {} (its rids: {})",
                svc.path,
                svc.rid_list()
            )));
        }
    }
    // A tag or subset no resource has selects nothing: say so, naming the
    // ones there are (a typo, most of the time).
    let mut tags: Vec<&str> = all
        .iter()
        .flat_map(|r| r.head().tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    let subsets: Vec<&str> = svc.subsets.iter().map(|(n, _)| n.as_str()).collect();
    for (flag, wanted, known, what) in [
        ("--tag", &args.tag, &tags, "no resource has it (tags"),
        (
            "--subset",
            &args.subset,
            &subsets,
            "no such subset (subsets",
        ),
    ] {
        for w in wanted.iter().filter(|w| !known.contains(&w.as_str())) {
            let known = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            crate::text::say(&format!(
                "{}: warning: {flag} {w}: {what}: {known})",
                svc.path
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|c| !c.head().disable)
        .filter(|c| {
            args.rid.is_empty()
                || args
                    .rid
                    .iter()
                    .any(|r| *r == c.head().rid || rid_index(&c.head().rid, r).is_some())
        })
        .filter(|c| args.tag.is_empty() || args.tag.iter().any(|t| c.head().tags.contains(t)))
        .filter(|c| {
            args.subset.is_empty()
                || args
                    .subset
                    .iter()
                    .any(|s| c.head().subset.as_ref() == Some(s))
        })
        .collect())
}

/// The ip resources plumbed into a selected container's namespace, added
/// to the selection (`stop --rid container#1` stops `ip#1` first, as
/// OpenSVC does): their rids, for the log.
pub fn with_ips<'a>(svc: &'a Service, selected: &mut Vec<Resource<'a>>) -> Vec<&'a str> {
    let holders: std::collections::HashSet<&str> = selected
        .iter()
        .filter_map(|r| r.container())
        .map(|c| c.head.rid.as_str())
        .collect();
    let have: std::collections::HashSet<&str> =
        selected.iter().map(|r| r.head().rid.as_str()).collect();
    let mut added = Vec::new();
    for i in &svc.ips {
        if !i.head.disable
            && holders.contains(i.holder.as_str())
            && !have.contains(i.head.rid.as_str())
        {
            selected.push(Resource::Ip(i));
            added.push(i.head.rid.as_str());
        }
    }
    added
}
