//! The order an action visits resources in (SPEC 2.3, 4.3): resources
//! without a subset first, in rid order, then subsets in name order; a
//! container that joins another's namespace (`netns = container#N`) comes
//! after it. Stop runs the same stages in reverse.

use crate::config::service::{Container, Service};

/// Resources that run one after the other, or all at once when `parallel`.
#[derive(Debug, PartialEq)]
pub struct Stage<'a> {
    pub subset: Option<&'a str>,
    pub parallel: bool,
    pub members: Vec<&'a Container>,
}

/// The start order of the selected resources, as stages.
pub fn start_stages<'a>(
    svc: &'a Service,
    selected: &[&'a Container],
) -> Result<Vec<Stage<'a>>, String> {
    let group_of = |c: &Container| -> usize {
        c.subset
            .as_ref()
            .and_then(|s| svc.subsets.iter().position(|(n, _)| n == s))
            .map_or(0, |i| i + 1)
    };
    // Containers are already in natural rid order; a stable sort keeps it.
    let mut base: Vec<&Container> = selected.to_vec();
    base.sort_by_key(|c| group_of(c));
    let mut order: Vec<&Container> = Vec::new();
    let mut visiting: Vec<&str> = Vec::new();
    for c in &base {
        visit(c, selected, &mut order, &mut visiting)?;
    }
    let mut stages: Vec<Stage> = Vec::new();
    for c in order {
        let subset = c.subset.as_deref();
        match stages.last_mut() {
            Some(s) if s.subset == subset => s.members.push(c),
            _ => stages.push(Stage {
                subset,
                parallel: svc
                    .subsets
                    .iter()
                    .any(|(n, p)| *p && Some(n.as_str()) == subset),
                members: vec![c],
            }),
        }
    }
    // Members that depend on each other can not start at once.
    for s in &mut stages {
        let inner_dep = s.members.iter().any(|m| {
            m.depends_on
                .iter()
                .any(|d| s.members.iter().any(|o| &o.rid == d))
        });
        if inner_dep {
            s.parallel = false;
        }
    }
    Ok(stages)
}

/// Depth-first: a resource's namespace providers before it (when selected).
fn visit<'a>(
    c: &'a Container,
    selected: &[&'a Container],
    order: &mut Vec<&'a Container>,
    visiting: &mut Vec<&'a str>,
) -> Result<(), String> {
    if order.iter().any(|o| o.rid == c.rid) {
        return Ok(());
    }
    if let Some(i) = visiting.iter().position(|r| *r == c.rid) {
        let mut cycle: Vec<&str> = visiting[i..].to_vec();
        cycle.push(&c.rid);
        return Err(format!(
            "namespace dependency cycle: {}",
            cycle.join(" -> ")
        ));
    }
    visiting.push(&c.rid);
    for dep in &c.depends_on {
        if let Some(d) = selected.iter().find(|s| &s.rid == dep) {
            visit(d, selected, order, visiting)?;
        }
    }
    visiting.pop();
    order.push(c);
    Ok(())
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
    use crate::paths::SvcPath;

    fn c(rid: &str, subset: Option<&str>, deps: &[&str]) -> Container {
        Container {
            rid: rid.into(),
            subset: subset.map(String::from),
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            ..Container::default()
        }
    }

    fn svc(containers: Vec<Container>, subsets: &[(&str, bool)]) -> Service {
        Service {
            path: SvcPath::parse("s").unwrap(),
            id: "i".into(),
            rollback: true,
            containers,
            subsets: subsets.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
        }
    }

    fn rids(stages: &[Stage]) -> Vec<(Option<String>, bool, Vec<String>)> {
        stages
            .iter()
            .map(|s| {
                (
                    s.subset.map(String::from),
                    s.parallel,
                    s.members.iter().map(|m| m.rid.clone()).collect(),
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
}
