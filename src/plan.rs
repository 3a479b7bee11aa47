//! The order an action visits resources in (SPEC 2.3, 4.3): resources
//! without a subset first, in rid order, then subsets in name order; a
//! container that joins another's namespace (`netns = container#N`) comes
//! after it. Stop runs the same stages in reverse.

use crate::config::service::{Container, Service};
use std::collections::{HashMap, HashSet};

/// Resources that run one after the other, or all at once when `parallel`.
#[derive(Debug, PartialEq)]
pub struct Stage<'a> {
    pub subset: Option<&'a str>,
    pub parallel: bool,
    pub members: Vec<&'a Container>,
}

/// The start order of the selected resources, as stages. Linear in the
/// number of resources and dependencies (a service may have thousands).
pub fn start_stages<'a>(
    svc: &'a Service,
    selected: &[&'a Container],
) -> Result<Vec<Stage<'a>>, String> {
    let subsets: HashMap<&str, (usize, bool)> = svc
        .subsets
        .iter()
        .enumerate()
        .map(|(i, (n, p))| (n.as_str(), (i + 1, *p)))
        .collect();
    let subset_of = |c: &Container| c.subset.as_deref().and_then(|s| subsets.get(s));
    // Containers are already in natural rid order; a stable sort keeps it.
    let mut base: Vec<&Container> = selected.to_vec();
    base.sort_by_key(|c| subset_of(c).map_or(0, |(i, _)| *i));
    let order = providers_first(&base)?;
    let mut stages: Vec<Stage> = Vec::new();
    for c in order {
        let subset = c.subset.as_deref();
        match stages.last_mut() {
            Some(s) if s.subset == subset => s.members.push(c),
            _ => stages.push(Stage {
                subset,
                parallel: subset_of(c).is_some_and(|(_, p)| *p),
                members: vec![c],
            }),
        }
    }
    // Members that depend on each other can not start at once.
    for s in &mut stages {
        let rids: HashSet<&str> = s.members.iter().map(|m| m.rid.as_str()).collect();
        if s.members
            .iter()
            .any(|m| m.depends_on.iter().any(|d| rids.contains(d.as_str())))
        {
            s.parallel = false;
        }
    }
    Ok(stages)
}

/// `base` reordered so that a resource's namespace providers (when selected)
/// come before it; otherwise the order of `base`. Depth-first with an
/// explicit stack: a chain of thousands of `netns = container#N` must not
/// overflow the thread's stack.
fn providers_first<'a>(base: &[&'a Container]) -> Result<Vec<&'a Container>, String> {
    let by_rid: HashMap<&str, &'a Container> = base.iter().map(|c| (c.rid.as_str(), *c)).collect();
    let mut order: Vec<&Container> = Vec::with_capacity(base.len());
    let mut done: HashSet<&str> = HashSet::new();
    // The resources being visited (with the next dependency to look at),
    // and the same as a set for the cycle check.
    let mut path: Vec<(&Container, usize)> = Vec::new();
    let mut on_path: HashSet<&str> = HashSet::new();
    for c in base {
        if done.contains(c.rid.as_str()) {
            continue;
        }
        path.push((c, 0));
        on_path.insert(&c.rid);
        while let Some((c, next)) = path.last_mut() {
            let c: &'a Container = c;
            let Some(dep) = c.depends_on.get(*next) else {
                path.pop();
                on_path.remove(c.rid.as_str());
                done.insert(&c.rid);
                order.push(c);
                continue;
            };
            *next += 1;
            let Some(d) = by_rid.get(dep.as_str()) else {
                continue;
            };
            if done.contains(d.rid.as_str()) {
                continue;
            }
            if on_path.contains(d.rid.as_str()) {
                let from = path.iter().position(|(p, _)| p.rid == d.rid).unwrap_or(0);
                let mut cycle: Vec<&str> =
                    path[from..].iter().map(|(p, _)| p.rid.as_str()).collect();
                cycle.push(&d.rid);
                return Err(format!(
                    "namespace dependency cycle: {}",
                    cycle.join(" -> ")
                ));
            }
            path.push((d, 0));
            on_path.insert(&d.rid);
        }
    }
    Ok(order)
}

/// The stop order: the start stages reversed, members reversed too.
pub fn stop_stages<'a>(
    svc: &'a Service,
    selected: &[&'a Container],
) -> Result<Vec<Stage<'a>>, String> {
    let mut stages = start_stages(svc, selected)?;
    stages.reverse();
    for s in &mut stages {
        s.members.reverse();
    }
    Ok(stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(rid: &str, subset: Option<&str>, deps: &[&str]) -> Container {
        let mut c = Container {
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            ..Container::for_test(rid)
        };
        c.subset = subset.map(String::from);
        c
    }

    fn svc(containers: Vec<Container>, subsets: &[(&str, bool)]) -> Service {
        Service {
            id: "i".into(),
            subsets: subsets.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
            ..Service::for_test("s", containers)
        }
    }

    fn rids(stages: &[Stage]) -> Vec<(Option<String>, bool, Vec<String>)> {
        stages
            .iter()
            .map(|s| {
                (
                    s.subset.map(String::from),
                    s.parallel,
                    s.members.iter().map(|m| m.rid.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn subsets_after_plain_resources_in_name_order() {
        let s = svc(
            vec![
                c("container#1", Some("web"), &[]),
                c("container#2", None, &[]),
                c("container#3", Some("db"), &[]),
                c("container#4", Some("web"), &[]),
            ],
            &[("db", false), ("web", true)],
        );
        let all: Vec<&Container> = s.containers.iter().collect();
        let got = rids(&start_stages(&s, &all).unwrap());
        let st = |sub: Option<&str>, p, r: &[&str]| {
            (
                sub.map(String::from),
                p,
                r.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            got,
            [
                st(None, false, &["container#2"]),
                st(Some("db"), false, &["container#3"]),
                st(Some("web"), true, &["container#1", "container#4"]),
            ]
        );
        let stop = rids(&stop_stages(&s, &all).unwrap());
        assert_eq!(stop[0].2, ["container#4", "container#1"]);
        assert_eq!(stop[2].2, ["container#2"]);
    }

    #[test]
    fn namespace_providers_first_and_cycles_refused() {
        let s = svc(
            vec![
                c("container#1", None, &["container#2"]),
                c("container#2", None, &[]),
            ],
            &[],
        );
        let all: Vec<&Container> = s.containers.iter().collect();
        assert_eq!(
            rids(&start_stages(&s, &all).unwrap())[0].2,
            ["container#2", "container#1"]
        );
        let s = svc(
            vec![
                c("container#1", None, &["container#2"]),
                c("container#2", None, &["container#1"]),
            ],
            &[],
        );
        let all: Vec<&Container> = s.containers.iter().collect();
        let err = start_stages(&s, &all).unwrap_err();
        assert!(
            err.contains("container#1 -> container#2 -> container#1"),
            "{err}"
        );
    }

    #[test]
    fn long_namespace_chains_are_fine() {
        // container#i joins container#(i+1)'s namespace: 100 000 deep
        let n = 100_000;
        let containers = (1..=n)
            .map(|i| {
                let dep = format!("container#{}", i + 1);
                let deps: &[&str] = if i < n { &[&dep] } else { &[] };
                c(&format!("container#{i}"), None, deps)
            })
            .collect();
        let s = svc(containers, &[]);
        let all: Vec<&Container> = s.containers.iter().collect();
        let stages = start_stages(&s, &all).unwrap();
        assert_eq!(stages[0].members.len(), n);
        assert_eq!(stages[0].members[0].rid, format!("container#{n}"));
        assert_eq!(stages[0].members[n - 1].rid, "container#1");
    }
}
