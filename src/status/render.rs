//! The `print status` tree (SPEC 5.2), a pure function of the status.

use super::{Avail, ServiceStatus};
use crate::text::escape_controls;
use std::collections::HashMap;

struct Row {
    depth: usize,
    /// Whether each ancestor (depth 1..) and the row itself is its parent's last child.
    last: Vec<bool>,
    name: String,
    flags: Option<String>,
    status: Option<String>,
    avail: Option<Avail>,
    label: String,
    lines: Vec<String>,
}

impl Row {
    /// Labels hold config values (an image name) and status lines hold
    /// docker's and the container's text (a health check's output): shown
    /// with their control characters escaped (SPEC 7).
    fn escaped(self) -> Row {
        let esc = |s: &str| escape_controls(s).into_owned();
        Row {
            name: esc(&self.name),
            label: esc(&self.label),
            lines: self.lines.iter().map(|l| esc(l)).collect(),
            ..self
        }
    }
}

fn rows(st: &ServiceStatus) -> Vec<Row> {
    let mut out = vec![
        Row {
            depth: 0,
            last: vec![],
            name: st.path.clone(),
            flags: None,
            status: Some(st.avail.to_string()),
            avail: Some(st.avail),
            label: String::new(),
            lines: vec![],
        },
        Row {
            depth: 1,
            last: vec![true],
            name: "instances".into(),
            flags: None,
            status: None,
            avail: None,
            label: String::new(),
            lines: vec![],
        },
        Row {
            depth: 2,
            last: vec![true, true],
            name: st.node.clone(),
            flags: None,
            status: Some(st.avail.to_string()),
            avail: Some(st.avail),
            label: st.notice.clone(),
            lines: vec![],
        },
    ];
    let plain: Vec<_> = st.resources.iter().filter(|r| r.subset.is_none()).collect();
    // Each subset's members, grouped once (a scan per subset would be
    // quadratic with thousands of them).
    let mut members_of: HashMap<&str, Vec<&super::ResourceStatus>> = HashMap::new();
    for r in &st.resources {
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
    let resource_row = |r: &super::ResourceStatus, last: Vec<bool>| Row {
        depth: last.len(),
        last,
        name: r.rid.clone(),
        flags: Some(r.flags.clone()),
        status: Some(r.status.to_string()),
        avail: Some(r.status),
        label: r.label.clone(),
        lines: r.log.clone(),
    };
    for (i, r) in plain.iter().enumerate() {
        out.push(resource_row(r, vec![true, true, i + 1 == children]));
    }
    for (j, s) in subsets.iter().enumerate() {
        let last_subset = plain.len() + j + 1 == children;
        out.push(Row {
            depth: 3,
            last: vec![true, true, last_subset],
            name: format!("container:{}", s.name),
            flags: Some(String::new()),
            status: Some(if s.parallel { "//" } else { "" }.into()),
            avail: None,
            label: String::new(),
            lines: vec![],
        });
        let members = &members_of[s.name.as_str()];
        for (k, r) in members.iter().enumerate() {
            out.push(resource_row(
                r,
                vec![true, true, last_subset, k + 1 == members.len()],
            ));
        }
    }
    out
}

/// The markers before a row's name: `|  ` / `   ` for ancestors, then `|- ` / `` `- ``.
fn prefix(last: &[bool]) -> String {
    let mut s = String::new();
    if let Some((own, ancestors)) = last.split_last() {
        for a in ancestors {
            s.push_str(if *a { "   " } else { "|  " });
        }
        s.push_str(if *own { "`- " } else { "|- " });
    }
    s
}

/// The markers on a row's continuation lines.
fn continuation(last: &[bool]) -> String {
    last.iter()
        .map(|l| if *l { "   " } else { "|  " })
        .collect()
}

fn paint(text: &str, avail: Option<Avail>, color: bool) -> String {
    let code = match avail {
        Some(Avail::Up) if color => "32",
        Some(Avail::Down) if color => "31",
        Some(Avail::Warn) if color => "33",
        _ => return text.to_string(),
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub fn render(st: &ServiceStatus, color: bool) -> String {
    let rows: Vec<Row> = rows(st).into_iter().map(Row::escaped).collect();
    let longest = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let depth = rows.iter().map(|r| r.depth).max().unwrap_or(0);
    let width = longest.max(14) + 3 * depth;
    let label_col = width + 1 + 8 + 1 + 10 + 1;
    let mut out = String::new();
    for r in &rows {
        let head = format!("{}{}", prefix(&r.last), r.name);
        let Some(status) = &r.status else {
            out.push_str(&head);
            out.push('\n');
            continue;
        };
        let flags = r.flags.as_deref().unwrap_or("");
        let padded = format!("{status:<10}");
        let line = format!(
            "{head:<width$} {flags:<8} {} {}",
            paint(&padded, r.avail, color),
            r.label
        );
        out.push_str(line.trim_end());
        out.push('\n');
        for l in &r.lines {
            let cont = continuation(&r.last);
            out.push_str(&format!("{cont:<label_col$}{l}\n"));
        }
    }
    out
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
            container: ContainerState {
                name: String::new(),
                id: None,
                image: String::new(),
                state: String::new(),
            },
        }
    }

    fn st(
        resources: Vec<ResourceStatus>,
        subsets: Vec<SubsetStatus>,
        avail: Avail,
        notice: &str,
    ) -> ServiceStatus {
        ServiceStatus {
            path: "svc1".into(),
            node: "deb1.opensvc.com".into(),
            avail,
            overall: avail,
            notice: notice.into(),
            started: true,
            subsets,
            resources,
        }
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
