//! The order an action visits resources in (SPEC 2.3, 4.3): resources
//! without a subset first, in rid order, then subsets in name order; a
//! container that joins another's namespace (`netns = container#N`) comes
//! after it. Stop runs the same stages in reverse.

use crate::model::resource::Data;
use crate::model::Resource;
use crate::model::Service;
use std::collections::{HashMap, HashSet};

/// Resources that run one after the other, or all at once when `parallel`.
#[derive(Debug, PartialEq)]
pub struct Stage<'a> {
    pub subset: Option<&'a str>,
    pub parallel: bool,
    pub members: Vec<Resource<'a>>,
}

/// The rids a resource starts after, among those an action selected: a
/// container after its namespace holders and the ip resources plumbed
/// into them (SPEC 16); an ip after its holder; any resource after those
/// of its subset its `start_requires` needs running (SPEC 14).
fn after<'a>(
    r: Resource<'a>,
    ips_of: &HashMap<&str, Vec<&'a str>>,
    data: &Data<'a>,
    subset_of: &HashMap<&str, Option<&str>>,
    volumes: &HashMap<&str, &'a str>,
    requires: bool,
) -> Vec<&'a str> {
    // what it needs running (up or warn, not down) to start starts before
    // it, and stops after it, when both are of one subset (a subset's
    // turn is never split)
    let subset = r.head().subset.as_deref();
    let required = r
        .head()
        .start_requires
        .iter()
        .filter(|q| q.states.iter().all(|s| s == "up" || s == "warn"))
        .filter(move |q| subset_of.get(q.rid.as_str()) == Some(&subset))
        .map(|q| q.rid.as_str());
    let mut deps = r.starts_after(ips_of, data);
    // a container after the volumes it mounts (SPEC 17: docker would
    // make an unlabelled one of the name otherwise)
    if let Resource::Container(c) = r {
        deps.extend(c.volume_mounts.iter().filter_map(|m| {
            let source = m.split_once(':').map_or(m.as_str(), |(s, _)| s);
            volumes.get(source).copied()
        }));
    }
    if requires {
        deps.extend(required);
    }
    deps
}

/// Resources that each need the next to start first, the first again at
/// the end: no order starts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle(pub Vec<String>);

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dependency cycle (namespaces, ip holders, start_requires): {}",
            self.0.join(" -> ")
        )
    }
}

/// The start order of the selected resources, as stages. Linear in the
/// number of resources and dependencies (a service may have thousands).
/// Requirements that go round in a circle (`start_requires` both ways)
/// order nothing: each is checked at its resource's turn, where one of
/// them fails (`requirement_cycle` says so at validation).
pub fn start_stages<'a>(
    svc: &'a Service,
    selected: &[Resource<'a>],
) -> Result<Vec<Stage<'a>>, Cycle> {
    stages_with(svc, selected, true).or_else(|_| stages_with(svc, selected, false))
}

/// The cycle `start_requires` words make, if they make one, for a warning
/// (the plan orders without them then).
pub fn requirement_cycle(svc: &Service) -> Option<Cycle> {
    let all = svc.resources();
    match stages_with(svc, &all, true) {
        Err(e) if stages_with(svc, &all, false).is_ok() => Some(e),
        _ => None,
    }
}

/// The requirements on a resource that starts later than the one that
/// needs it running (its subset comes after: subsets keep their order),
/// for warnings: such a start fails unless that resource already runs.
pub fn late_requirements(svc: &Service) -> Vec<String> {
    let turn: HashMap<&str, usize> = svc
        .subsets
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i + 1))
        .collect();
    let all = svc.resources();
    let turn_of = |r: &Resource| {
        r.head()
            .subset
            .as_deref()
            .and_then(|s| turn.get(s))
            .copied()
            .unwrap_or(0)
    };
    let by_rid: HashMap<&str, usize> = all
        .iter()
        .map(|r| (r.head().rid.as_str(), turn_of(r)))
        .collect();
    let mut out = Vec::new();
    for r in &all {
        for q in &r.head().start_requires {
            let running = q.states.iter().all(|s| s == "up" || s == "warn");
            if running && by_rid.get(q.rid.as_str()).is_some_and(|t| *t > turn_of(r)) {
                out.push(format!(
                    "{}.start_requires: {} starts later (its subset comes after): the start fails unless it already runs",
                    r.head().rid, q.rid
                ));
            }
        }
    }
    out
}

fn stages_with<'a>(
    svc: &'a Service,
    selected: &[Resource<'a>],
    requires: bool,
) -> Result<Vec<Stage<'a>>, Cycle> {
    let subsets: HashMap<&str, (usize, bool)> = svc
        .subsets
        .iter()
        .enumerate()
        .map(|(i, (n, p))| (n.as_str(), (i + 1, *p)))
        .collect();
    let subset_of = |r: &Resource| r.head().subset.as_deref().and_then(|s| subsets.get(s));
    // Resources come in natural rid order, kind by kind; a stable sort
    // keeps it.
    let mut base: Vec<Resource<'a>> = selected.to_vec();
    base.sort_by_key(|r| subset_of(r).map_or(0, |(i, _)| *i));
    let mut ips_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &base {
        if let Resource::Ip(i) = r {
            ips_of
                .entry(i.holder.as_str())
                .or_default()
                .push(i.head.rid.as_str());
        }
    }
    let volumes: HashMap<&str, &str> = base
        .iter()
        .filter_map(|r| match r {
            Resource::Volume(v) => Some((v.name.as_str(), v.head.rid.as_str())),
            _ => None,
        })
        .collect();
    let subset_by_rid: HashMap<&str, Option<&str>> = base
        .iter()
        .map(|r| (r.head().rid.as_str(), r.head().subset.as_deref()))
        .collect();
    let data = Data::of(&base);
    let deps: Vec<Vec<&str>> = base
        .iter()
        .map(|r| after(*r, &ips_of, &data, &subset_by_rid, &volumes, requires))
        .collect();
    let order = providers_first(&base, &deps)?;
    let mut stages: Vec<Stage> = Vec::new();
    for i in order {
        let r = base[i];
        let subset = r.head().subset.as_deref();
        match stages.last_mut() {
            Some(s) if s.subset == subset => s.members.push(r),
            _ => stages.push(Stage {
                subset,
                parallel: subset_of(&r).is_some_and(|(_, p)| *p),
                members: vec![r],
            }),
        }
    }
    // Members that depend on each other can not start at once.
    let deps_of: HashMap<&str, &Vec<&str>> = base
        .iter()
        .zip(&deps)
        .map(|(r, d)| (r.head().rid.as_str(), d))
        .collect();
    for s in &mut stages {
        let rids: HashSet<&str> = s.members.iter().map(|m| m.head().rid.as_str()).collect();
        if s.members.iter().any(|m| {
            deps_of
                .get(m.head().rid.as_str())
                .is_some_and(|d| d.iter().any(|d| rids.contains(d)))
        }) {
            s.parallel = false;
        }
    }
    Ok(stages)
}

/// The indices of `base` reordered so that a resource's providers (`deps`,
/// when selected) come before it; otherwise the order of `base`.
/// Depth-first with an explicit stack: a chain of thousands of `netns =
/// container#N` must not overflow the thread's stack.
fn providers_first(base: &[Resource], deps: &[Vec<&str>]) -> Result<Vec<usize>, Cycle> {
    let by_rid: HashMap<&str, usize> = base
        .iter()
        .enumerate()
        .map(|(i, r)| (r.head().rid.as_str(), i))
        .collect();
    let rid = |i: usize| base[i].head().rid.as_str();
    let mut order: Vec<usize> = Vec::with_capacity(base.len());
    let mut done = vec![false; base.len()];
    // The resources being visited (with the next dependency to look at),
    // and the same as a set for the cycle check.
    let mut path: Vec<(usize, usize)> = Vec::new();
    let mut on_path = vec![false; base.len()];
    for start in 0..base.len() {
        if done[start] {
            continue;
        }
        path.push((start, 0));
        on_path[start] = true;
        while let Some((i, next)) = path.last_mut() {
            let i = *i;
            let Some(dep) = deps[i].get(*next) else {
                path.pop();
                on_path[i] = false;
                done[i] = true;
                order.push(i);
                continue;
            };
            *next += 1;
            let Some(&d) = by_rid.get(dep) else {
                continue;
            };
            if done[d] {
                continue;
            }
            if on_path[d] {
                let from = path.iter().position(|(p, _)| *p == d).unwrap_or(0);
                let mut cycle: Vec<&str> = path[from..].iter().map(|(p, _)| rid(*p)).collect();
                cycle.push(rid(d));
                return Err(Cycle(cycle.into_iter().map(String::from).collect()));
            }
            path.push((d, 0));
            on_path[d] = true;
        }
    }
    Ok(order)
}

/// The stop order: the start stages reversed, members reversed too.
pub fn stop_stages<'a>(
    svc: &'a Service,
    selected: &[Resource<'a>],
) -> Result<Vec<Stage<'a>>, Cycle> {
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
    use crate::model::Container;

    fn c(rid: &str, subset: Option<&str>, deps: &[&str]) -> Container {
        let mut c = Container {
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            ..Container::for_test(rid)
        };
        c.head.subset = subset.map(String::from);
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
                    s.members.iter().map(|m| m.head().rid.to_string()).collect(),
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
        let all: Vec<Resource> = s.containers.iter().map(Resource::Container).collect();
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
        let all: Vec<Resource> = s.containers.iter().map(Resource::Container).collect();
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
        let all: Vec<Resource> = s.containers.iter().map(Resource::Container).collect();
        let err = start_stages(&s, &all).unwrap_err();
        assert!(
            err.to_string()
                .contains("container#1 -> container#2 -> container#1"),
            "{err}"
        );
    }

    #[test]
    fn an_ip_starts_after_its_holder_and_before_who_joins_it() {
        let mut s = svc(
            vec![
                c("container#1", None, &[]),
                c("container#2", None, &["container#1"]),
                c("container#3", None, &[]),
            ],
            &[],
        );
        s.ips = vec![crate::model::Ip {
            head: crate::model::Head {
                rid: "ip#1".into(),
                ..Default::default()
            },
            holder: "container#1".into(),
            ..Default::default()
        }];
        let all = s.resources();
        assert_eq!(
            rids(&start_stages(&s, &all).unwrap())[0].2,
            ["container#1", "ip#1", "container#2", "container#3"]
        );
        assert_eq!(
            rids(&stop_stages(&s, &all).unwrap())[0].2,
            ["container#3", "container#2", "ip#1", "container#1"]
        );
        // the ip alone, or without its holder: its own turn
        let some = [
            Resource::Ip(&s.ips[0]),
            Resource::Container(&s.containers[1]),
        ];
        assert_eq!(
            rids(&start_stages(&s, &some).unwrap())[0].2,
            ["ip#1", "container#2"]
        );
    }

    #[test]
    fn a_volume_group_before_its_logical_volume_before_its_fs() {
        use crate::model::disk::{Driver, Lv, Vg};
        use crate::model::{Dev, Disk, Fs, Head};
        let head = |rid: &str| Head {
            rid: rid.into(),
            ..Default::default()
        };
        let mut s = svc(vec![c("container#1", None, &[])], &[]);
        s.disks = vec![
            Disk {
                head: head("disk#1"),
                driver: Driver::Lv(Lv {
                    vg: "data".into(),
                    name: "pg".into(),
                    ..Default::default()
                }),
            },
            Disk {
                head: head("disk#2"),
                driver: Driver::Vg(Vg {
                    name: "data".into(),
                    ..Default::default()
                }),
            },
        ];
        s.fss = vec![Fs {
            head: head("fs#1"),
            dev: Dev::Disk("disk#1".into()),
            ..Default::default()
        }];
        let all = s.resources();
        let order = ["disk#2", "disk#1", "fs#1", "container#1"];
        assert_eq!(rids(&start_stages(&s, &all).unwrap())[0].2, order);
        let mut back = order;
        back.reverse();
        assert_eq!(rids(&stop_stages(&s, &all).unwrap())[0].2, back);
    }

    #[test]
    fn disks_then_filesystems_then_containers_then_their_ips() {
        use crate::model::{Dev, Disk, Fs, Head, Ip};
        let head = |rid: &str| Head {
            rid: rid.into(),
            ..Default::default()
        };
        let mut s = svc(
            vec![
                c("container#1", None, &[]),
                c("container#2", None, &["container#1"]),
            ],
            &[],
        );
        s.ips = vec![Ip {
            head: head("ip#1"),
            holder: "container#1".into(),
            ..Default::default()
        }];
        s.disks = ["disk#1", "disk#2"]
            .iter()
            .map(|r| Disk {
                head: head(r),
                ..Default::default()
            })
            .collect();
        s.fss = vec![
            Fs {
                head: head("fs#1"),
                dev: Dev::Disk("disk#2".into()),
                ..Default::default()
            },
            Fs {
                head: head("fs#2"),
                dev: Dev::Path("/dev/vdb".into()),
                ..Default::default()
            },
        ];
        let all = s.resources();
        let order = [
            "disk#1",
            "disk#2",
            "fs#1",
            "fs#2",
            "container#1",
            "ip#1",
            "container#2",
        ];
        assert_eq!(rids(&start_stages(&s, &all).unwrap())[0].2, order);
        let mut back = order;
        back.reverse();
        assert_eq!(rids(&stop_stages(&s, &all).unwrap())[0].2, back);
        // whatever order a selection comes in: an fs after the disk its
        // dev names, a container after the filesystems
        let some = [
            Resource::Container(&s.containers[0]),
            Resource::Fs(&s.fss[0]),
            Resource::Disk(&s.disks[1]),
        ];
        assert_eq!(
            rids(&start_stages(&s, &some).unwrap())[0].2,
            ["disk#2", "fs#1", "container#1"]
        );
        assert_eq!(
            rids(&stop_stages(&s, &some).unwrap())[0].2,
            ["container#1", "fs#1", "disk#2"]
        );
    }

    #[test]
    fn what_a_start_requires_up_starts_first() {
        let mut s = svc(
            vec![c("container#1", None, &[]), c("container#2", None, &[])],
            &[],
        );
        let req = |rid: &str, state: &str| crate::model::Require {
            rid: rid.into(),
            states: vec![state.into()],
        };
        s.containers[0].head.start_requires = vec![req("container#2", "up")];
        let all = s.resources();
        assert_eq!(
            rids(&start_stages(&s, &all).unwrap())[0].2,
            ["container#2", "container#1"]
        );
        assert_eq!(
            rids(&stop_stages(&s, &all).unwrap())[0].2,
            ["container#1", "container#2"]
        );
        // a requirement another state satisfies too orders nothing, and
        // both ways is no cycle then
        s.containers[0].head.start_requires = vec![crate::model::Require {
            rid: "container#2".into(),
            states: vec!["up".into(), "down".into()],
        }];
        s.containers[1].head.start_requires = vec![req("container#1", "up")];
        let all = s.resources();
        assert_eq!(
            rids(&start_stages(&s, &all).unwrap())[0].2,
            ["container#1", "container#2"]
        );
        s.containers[1].head.start_requires = Vec::new();
        // nor across subsets: a subset's turn is not split (a warning says
        // the start fails unless container#2 runs already)
        s.containers[0].head.start_requires = vec![req("container#2", "up")];
        s.containers[1].head.subset = Some("b".into());
        s.subsets = vec![("b".into(), true)];
        assert_eq!(
            late_requirements(&s),
            ["container#1.start_requires: container#2 starts later (its subset comes after): the start fails unless it already runs"]
        );
        let all = s.resources();
        assert_eq!(
            rids(&start_stages(&s, &all).unwrap())
                .iter()
                .map(|st| st.2.clone())
                .collect::<Vec<_>>(),
            [["container#1"], ["container#2"]]
        );
        s.containers[1].head.subset = None;
        s.subsets = Vec::new();
        // both ways: a cycle, named for a warning; the plan orders without
        // the requirements then (each fails or not at its turn)
        s.containers[0].head.start_requires = vec![req("container#2", "up")];
        s.containers[1].head.start_requires = vec![req("container#1", "up")];
        let all = s.resources();
        assert!(requirement_cycle(&s)
            .unwrap()
            .to_string()
            .contains("container#1 -> container#2 -> container#1"));
        assert_eq!(
            rids(&start_stages(&s, &all).unwrap())[0].2,
            ["container#1", "container#2"]
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
        let all: Vec<Resource> = s.containers.iter().map(Resource::Container).collect();
        let stages = start_stages(&s, &all).unwrap();
        assert_eq!(stages[0].members.len(), n);
        assert_eq!(stages[0].members[0].head().rid, format!("container#{n}"));
        assert_eq!(stages[0].members[n - 1].head().rid, "container#1");
    }
}
