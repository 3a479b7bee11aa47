//! The `print status` tree (SPEC 5.2), a pure function of the status.

use super::{Avail, InstanceStatus, ResourceStatus, ServiceStatus};
use crate::text::escape_controls;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

/// A row of the tree, borrowing its text from the status.
struct Row<'a> {
    /// Whether each ancestor (depth 1..) and the row itself is its parent's
    /// last child; its length is the row's depth.
    last: Vec<bool>,
    /// Labels hold config values (an image name) and status lines hold
    /// docker's and the container's text (a health check's output): shown
    /// with their control characters escaped (SPEC 7).
    name: Cow<'a, str>,
    flags: Option<&'a str>,
    status: Option<&'a str>,
    avail: Option<Avail>,
    label: Cow<'a, str>,
    lines: &'a [String],
}

impl<'a> Row<'a> {
    fn plain(last: Vec<bool>, name: &'a str) -> Row<'a> {
        Row {
            last,
            name: escape_controls(name),
            flags: None,
            status: None,
            avail: None,
            label: Cow::Borrowed(""),
            lines: &[],
        }
    }

    fn resource(r: &'a ResourceStatus, last: Vec<bool>) -> Row<'a> {
        Row {
            last,
            name: escape_controls(&r.rid),
            flags: Some(&r.flags),
            status: Some(r.status.as_str()),
            avail: Some(r.status),
            label: escape_controls(&r.label),
            lines: &r.log,
        }
    }
}

fn rows(st: &ServiceStatus) -> Vec<Row<'_>> {
    let mut out = vec![Row {
        status: Some(st.avail.as_str()),
        avail: Some(st.avail),
        label: st
            .split
            .as_deref()
            .map_or(Cow::Borrowed(""), escape_controls),
        ..Row::plain(vec![], &st.path)
    }];
    // the service slice's limits, above its instances
    if let Some(pg) = &st.pg {
        out.push(Row {
            status: Some(""),
            label: escape_controls(pg),
            ..Row::plain(vec![false], "pg")
        });
    }
    out.push(Row::plain(vec![true], "instances"));
    // One line per node, each with its resources.
    for (n, inst) in st.instances.iter().enumerate() {
        let last = n + 1 == st.instances.len();
        instance_rows(&mut out, st, inst, last);
    }
    out
}

/// An instance's line and its resources' (`last`: it is the last node).
fn instance_rows<'a>(
    out: &mut Vec<Row<'a>>,
    st: &'a ServiceStatus,
    inst: &'a InstanceStatus,
    last: bool,
) {
    let resources = &inst.resources;
    out.push(Row {
        status: Some(inst.avail.as_str()),
        avail: Some(inst.avail),
        label: escape_controls(&inst.notice),
        ..Row::plain(vec![true, last], &inst.node)
    });
    let plain: Vec<_> = resources.iter().filter(|r| r.subset.is_none()).collect();
    // Each subset's members, grouped once (a scan per subset would be
    // quadratic with thousands of them).
    let mut members_of: HashMap<&str, Vec<&ResourceStatus>> = HashMap::new();
    for r in resources {
        if let Some(s) = &r.subset {
            members_of.entry(s.as_str()).or_default().push(r);
        }
    }
    let subsets: Vec<_> = st
        .subsets
        .iter()
        .filter(|s| members_of.contains_key(s.name.as_str()))
        .collect();
    let children = plain.len() + subsets.len();
    for (i, r) in plain.iter().enumerate() {
        out.push(Row::resource(r, vec![true, last, i + 1 == children]));
    }
    for (j, s) in subsets.iter().enumerate() {
        let last_subset = plain.len() + j + 1 == children;
        out.push(Row {
            name: Cow::Owned(format!("container:{}", escape_controls(&s.name))),
            flags: Some(""),
            status: Some(if s.parallel { "//" } else { "" }),
            ..Row::plain(vec![true, last, last_subset], "")
        });
        let members = &members_of[s.name.as_str()];
        for (k, r) in members.iter().enumerate() {
            out.push(Row::resource(
                r,
                vec![true, last, last_subset, k + 1 == members.len()],
            ));
        }
    }
}

/// The markers before a row's name: `|  ` / `   ` for ancestors, then `|- ` / `` `- ``.
fn push_prefix(out: &mut String, last: &[bool]) {
    if let Some((own, ancestors)) = last.split_last() {
        for a in ancestors {
            out.push_str(if *a { "   " } else { "|  " });
        }
        out.push_str(if *own { "`- " } else { "|- " });
    }
}

/// Pads the line being written from `from` on to `width` characters.
fn pad(out: &mut String, from: usize, width: usize) {
    let written = out[from..].chars().count();
    for _ in written..width {
        out.push(' ');
    }
}

pub fn render(st: &ServiceStatus, color: bool) -> String {
    let mut out = String::new();
    render_into(&mut out, st, color);
    out
}

/// `render`, appended to `out`.
fn render_into(out: &mut String, st: &ServiceStatus, color: bool) {
    let rows = rows(st);
    let longest = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let depth = rows.iter().map(|r| r.last.len()).max().unwrap_or(0);
    let width = longest.max(14) + 3 * depth;
    let label_col = width + 1 + 8 + 1 + 10 + 1;
    for r in &rows {
        let line_start = out.len();
        push_prefix(out, &r.last);
        out.push_str(&r.name);
        let Some(status) = r.status else {
            out.push('\n');
            continue;
        };
        pad(out, line_start, width);
        let flags = r.flags.unwrap_or("");
        out.push(' ');
        // a remote node's flags are its text: escaped like the rest
        out.push_str(&escape_controls(flags));
        pad(out, line_start, width + 1 + 8);
        out.push(' ');
        let code = match r.avail {
            Some(Avail::Up) if color => Some("32"),
            Some(Avail::Down) if color => Some("31"),
            Some(Avail::Warn) if color => Some("33"),
            _ => None,
        };
        if let Some(code) = code {
            let _ = write!(out, "\x1b[{code}m{status:<10}\x1b[0m");
        } else {
            let at = out.len();
            out.push_str(status);
            pad(out, at, 10);
        }
        out.push(' ');
        out.push_str(&r.label);
        let kept = out.trim_end().len();
        out.truncate(kept.max(line_start));
        out.push('\n');
        for l in r.lines {
            let at = out.len();
            for a in &r.last {
                out.push_str(if *a { "   " } else { "|  " });
            }
            pad(out, at, label_col);
            out.push_str(&escape_controls(l));
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ContainerState, ResourceStatus, SubsetStatus};
    use super::*;

    fn res(rid: &str, status: Avail, subset: Option<&str>, log: &[&str]) -> ResourceStatus {
        ResourceStatus {
            rid: rid.into(),
            status,
            flags: "........".into(),
            label: format!("docker container svc1.{}@nginx", rid.replace('#', ".")),
            log: log.iter().map(|l| l.to_string()).collect(),
            disabled: false,
            optional: false,
            provisioned: true,
            subset: subset.map(String::from),
            container: Some(ContainerState {
                name: String::new(),
                id: None,
                image: String::new(),
                state: String::new(),
            }),
            leftover: false,
        }
    }

    fn st(
        resources: Vec<ResourceStatus>,
        subsets: Vec<SubsetStatus>,
        avail: Avail,
        notice: &str,
    ) -> ServiceStatus {
        ServiceStatus {
            schema: super::super::SCHEMA,
            path: "svc1".into(),
            id: "id1".into(),
            node: "deb1.opensvc.com".into(),
            avail,
            overall: avail,
            notice: notice.into(),
            started: true,
            subsets,
            resources: resources.clone(),
            split: None,
            pg: None,
            instances: vec![InstanceStatus {
                node: "deb1.opensvc.com".into(),
                avail,
                overall: avail,
                notice: notice.into(),
                started: true,
                resources,
            }],
        }
    }

    #[test]
    fn one_line_per_node_each_with_its_resources() {
        let mut s = st(
            vec![res("container#1", Avail::Up, None, &[])],
            vec![],
            Avail::Up,
            "idle, started",
        );
        let mut other = s.instances[0].clone();
        other.node = "n2".into();
        other.avail = Avail::Down;
        other.notice = "idle".into();
        other.resources[0].status = Avail::Down;
        s.instances.push(other);
        let text = render(&s, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(
            lines[2].starts_with("   |- deb1.opensvc.com ")
                && lines[2].ends_with("up         idle, started"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("   |  `- container#1 ") && lines[3].contains(" up "),
            "{text}"
        );
        assert!(
            lines[4].starts_with("   `- n2 ") && lines[4].ends_with("down       idle"),
            "{text}"
        );
        assert!(
            lines[5].starts_with("      `- container#1 ") && lines[5].contains(" down "),
            "{text}"
        );
    }

    #[test]
    fn the_spec_example() {
        let s = st(
            vec![res("container#1", Avail::Up, None, &[])],
            vec![],
            Avail::Up,
            "idle, started",
        );
        assert_eq!(
            render(&s, false),
            "svc1                               up\n\
             `- instances\n   \
             `- deb1.opensvc.com             up         idle, started\n      \
             `- container#1      ........ up         docker container svc1.container.1@nginx\n"
        );
    }

    #[test]
    fn status_lines_and_subsets() {
        let s = st(
            vec![
                res(
                    "container#1",
                    Avail::Down,
                    None,
                    &["info: can not find container id"],
                ),
                res("container#2", Avail::Up, Some("web"), &[]),
                res("container#3", Avail::Up, Some("web"), &[]),
            ],
            vec![SubsetStatus {
                name: "web".into(),
                parallel: true,
            }],
            Avail::Warn,
            "warn, idle",
        );
        let expected = "\
svc1                                  warn
`- instances
   `- deb1.opensvc.com                warn       warn, idle
      |- container#1         ........ down       docker container svc1.container.1@nginx
      |                                          info: can not find container id
      `- container:web                //
         |- container#2      ........ up         docker container svc1.container.2@nginx
         `- container#3      ........ up         docker container svc1.container.3@nginx
";
        assert_eq!(render(&s, false), expected);
    }

    #[test]
    fn colour_only_when_asked() {
        let s = st(vec![], vec![], Avail::Down, "idle");
        assert!(!render(&s, false).contains('\x1b'));
        assert!(render(&s, true).contains("\x1b[31mdown"));
    }

    #[test]
    fn docker_text_is_shown_escaped() {
        let mut r = res("container#1", Avail::Warn, None, &[]);
        r.label = "docker container svc1.container.1@ng\x1b[2Jinx".into();
        r.log = vec!["warn: unhealthy \x1b]0;TITLE\x07\r".into()];
        let text = render(&st(vec![r], vec![], Avail::Warn, "warn, idle"), false);
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text}");
        assert!(text.contains("@ng\\e[2Jinx"), "{text}");
        assert!(
            text.contains("warn: unhealthy \\e]0;TITLE\\x07\\r"),
            "{text}"
        );
    }
}
