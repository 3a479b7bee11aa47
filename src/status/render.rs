//! The `print status` tree (SPEC 5.2), a pure function of the status.

use super::{Avail, ContainerState, InstanceStatus, ResourceStatus, ServiceStatus};
use crate::text::escape_controls;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

mod fit;
use fit::{pieces, Columns};

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
    /// The resource a row is (its container's exit, for `why_down`), and
    /// whether its instance is started.
    resource: Option<(&'a ResourceStatus, bool)>,
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
            resource: None,
        }
    }

    fn resource(r: &'a ResourceStatus, started: bool, last: Vec<bool>) -> Row<'a> {
        Row {
            last,
            name: escape_controls(&r.rid),
            flags: Some(&r.flags),
            status: Some(status_word(r)),
            avail: Some(r.status),
            label: escape_controls(&r.label),
            lines: &r.log,
            resource: Some((r, started)),
        }
    }
}

/// A resource's status word: OpenSVC's `stdby up` and `stdby down` for a
/// standby resource (SPEC 17).
fn status_word(r: &ResourceStatus) -> &'static str {
    match (r.standby, r.status) {
        (true, Avail::Up) => "stdby up",
        (true, Avail::Down) => "stdby down",
        (_, s) => s.as_str(),
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
    // Pacemaker's view (SPEC 18), above the instances too
    if let Some(view) = &st.pacemaker {
        let avail = view.error.is_some().then_some(Avail::Unknown);
        out.push(Row {
            status: Some(avail.map_or("", Avail::as_str)),
            avail,
            label: Cow::Owned(escape_controls(&view.summary()).into_owned()),
            ..Row::plain(vec![false], "pacemaker")
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
        out.push(Row::resource(
            r,
            inst.started,
            vec![true, last, i + 1 == children],
        ));
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
                inst.started,
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

/// How the tree is drawn: colour, the terminal's width (`None`: not a
/// terminal, the columns of SPEC 5.2 whatever the length of a line), and
/// the time now (Unix seconds), which a stopped container's age is from.
pub struct Layout {
    pub color: bool,
    pub width: Option<usize>,
    pub now: i64,
}

impl Layout {
    /// For stdout as it is now: colour per `color`, its terminal's width.
    pub fn stdout(color: bool) -> Layout {
        Layout {
            color,
            width: crate::output::stdout_columns(),
            now: chrono::Utc::now().timestamp(),
        }
    }
}

pub fn render(st: &ServiceStatus, layout: &Layout) -> String {
    let mut out = String::new();
    render_into(&mut out, st, layout);
    out
}

/// Why a stopped container is down, from what docker said of it (its
/// exit code, and how long ago it stopped): `down (exited 137, 2m ago)`;
/// said when it is news: its service is meant to run (`started`), or it
/// did not exit cleanly (a container om stopped that exited 0 is what a
/// stop does, and its instance's notice already says it is not started).
/// The JSON has the code and the time whatever they are.
fn why_down(r: &ResourceStatus, started: bool, now: i64) -> Option<String> {
    if r.status != Avail::Down {
        return None;
    }
    let c = r.container.as_ref()?;
    c.exit_code.filter(|code| started || *code != 0)?;
    Some(format!("info: down ({})", stopped(c, now)?))
}

/// A stopped container as docker said it stopped: `exited 137, 2m ago`
/// (its state, exit code, and the age of `finished_at` at `now`); `None`
/// when docker did not say (running, never run, not inspected).
pub fn stopped(c: &ContainerState, now: i64) -> Option<String> {
    let code = c.exit_code?;
    let age = c
        .finished_at
        .as_deref()
        .and_then(|f| chrono::DateTime::parse_from_rfc3339(f).ok())
        .map(|t| format!(", {} ago", age((now - t.timestamp()).max(0))));
    Some(format!(
        "{} {code}{}",
        escape_controls(&c.state),
        age.unwrap_or_default()
    ))
}

/// A number of seconds as the one unit that says it: `45s`, `2m`, `3h`,
/// `4d`.
fn age(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// `render`, appended to `out`. Not on a terminal, or when its lines fit
/// it, the columns are SPEC 5.2's; on a terminal too narrow for them, the
/// columns shrink to the rows' longest name and status, and a label or a
/// status line longer than the room left goes on under itself, in its
/// column: no line is wider than the terminal (unless a name alone is).
fn render_into(out: &mut String, st: &ServiceStatus, layout: &Layout) {
    let rows = rows(st);
    let extra: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let why = r
                .resource
                .and_then(|(res, started)| why_down(res, started, layout.now));
            why.into_iter()
                .chain(r.lines.iter().map(|l| escape_controls(l).into_owned()))
                .collect()
        })
        .collect();
    let (cols, room) = Columns::fit(&rows, &extra, layout.width);
    for (r, lines) in rows.iter().zip(&extra) {
        let line_start = out.len();
        push_prefix(out, &r.last);
        out.push_str(&r.name);
        let Some(status) = r.status else {
            out.push('\n');
            continue;
        };
        pad(out, line_start, cols.name);
        let flags = r.flags.unwrap_or("");
        out.push(' ');
        // a remote node's flags are its text: escaped like the rest
        out.push_str(&escape_controls(flags));
        pad(out, line_start, cols.name + 1 + 8);
        out.push(' ');
        let code = match r.avail {
            Some(Avail::Up) if layout.color => Some("32"),
            Some(Avail::Down) if layout.color => Some("31"),
            Some(Avail::Warn) if layout.color => Some("33"),
            _ => None,
        };
        let status_w = cols.status;
        if let Some(code) = code {
            let _ = write!(out, "\x1b[{code}m{status:<status_w$}\x1b[0m");
        } else {
            let at = out.len();
            out.push_str(status);
            pad(out, at, status_w);
        }
        out.push(' ');
        let mut label = pieces(&r.label, room).into_iter();
        out.push_str(&label.next().unwrap_or_default());
        let kept = out.trim_end().len();
        out.truncate(kept.max(line_start));
        out.push('\n');
        let under = label.chain(lines.iter().flat_map(|l| pieces(l, room)));
        for l in under {
            let at = out.len();
            for a in &r.last {
                out.push_str(if *a { "   " } else { "|  " });
            }
            pad(out, at, cols.label);
            out.push_str(&l);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ContainerState, ResourceStatus, SubsetStatus};
    use super::*;

    /// Not a terminal: SPEC 5.2's columns.
    fn plain() -> Layout {
        Layout {
            color: false,
            width: None,
            now: 0,
        }
    }

    fn res(rid: &str, status: Avail, subset: Option<&str>, log: &[&str]) -> ResourceStatus {
        ResourceStatus {
            rid: rid.into(),
            status,
            flags: "........".into(),
            label: format!("docker container svc1.{}@nginx", rid.replace('#', ".")),
            log: log.iter().map(|l| l.to_string()).collect(),
            disabled: false,
            optional: false,
            standby: false,
            provisioned: true,
            subset: subset.map(String::from),
            container: Some(ContainerState::unseen("", "", "")),
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
            pacemaker: None,
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
        let text = render(&s, &plain());
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
    fn pacemaker_s_view_is_a_line_above_the_instances() {
        let mut s = st(
            vec![res("container#1", Avail::Up, None, &[])],
            vec![],
            Avail::Up,
            "idle, started",
        );
        s.pacemaker = Some(crate::ha::view::View {
            resource: "om-svc1".into(),
            configured: true,
            managed: true,
            role: "Started".into(),
            running_on: vec!["deb1.opensvc.com".into()],
            ..Default::default()
        });
        let text = render(&s, &plain());
        let lines: Vec<&str> = text.lines().collect();
        let summary = "managed, target Started, started on deb1.opensvc.com (om-svc1)";
        assert!(
            lines[1].starts_with("|- pacemaker ") && lines[1].ends_with(&format!(" {summary}")),
            "{text}"
        );
        // in the label column, as an instance's notice
        assert_eq!(
            lines[1].find(summary),
            lines[3].find("idle, started"),
            "{text}"
        );
        assert_eq!(lines[2], "`- instances");
        // a view Pacemaker could not give is unknown, and says why
        s.pacemaker = Some(crate::ha::view::View::unknown(
            "om-svc1",
            &crate::error::Error::call("crm_mon --one-shot", "Could not connect to the CIB"),
        ));
        let text = render(&s, &plain());
        let line = text.lines().nth(1).unwrap_or_default();
        assert!(
            line.starts_with("|- pacemaker ")
                && line.contains(" unknown ")
                && line.ends_with(
                    "can not be asked: crm_mon --one-shot: Could not connect to the CIB"
                ),
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
            render(&s, &plain()),
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
        assert_eq!(render(&s, &plain()), expected);
    }

    #[test]
    fn colour_only_when_asked() {
        let s = st(vec![], vec![], Avail::Down, "idle");
        assert!(!render(&s, &plain()).contains('\x1b'));
        assert!(render(
            &s,
            &Layout {
                color: true,
                ..plain()
            }
        )
        .contains("\x1b[31mdown"));
    }

    #[test]
    fn docker_text_is_shown_escaped() {
        let mut r = res("container#1", Avail::Warn, None, &[]);
        r.label = "docker container svc1.container.1@ng\x1b[2Jinx".into();
        r.log = vec!["warn: unhealthy \x1b]0;TITLE\x07\r".into()];
        let text = render(&st(vec![r], vec![], Avail::Warn, "warn, idle"), &plain());
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text}");
        assert!(text.contains("@ng\\e[2Jinx"), "{text}");
        assert!(
            text.contains("warn: unhealthy \\e]0;TITLE\\x07\\r"),
            "{text}"
        );
    }

    #[test]
    fn a_stopped_container_says_its_exit_and_how_long_ago() {
        let mut r = res("container#1", Avail::Down, None, &[]);
        if let Some(c) = &mut r.container {
            c.state = "exited".into();
            c.exit_code = Some(137);
            c.finished_at = Some("2026-12-07T17:00:00.123456789Z".into());
        }
        let s = st(vec![r], vec![], Avail::Down, "idle");
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T17:02:30Z")
            .unwrap()
            .timestamp();
        let text = render(&s, &Layout { now: at, ..plain() });
        let lines: Vec<&str> = text.lines().collect();
        let label_at = lines[3].find("docker container").unwrap();
        assert_eq!(
            lines[4],
            format!("{:label_at$}info: down (exited 137, 2m ago)", ""),
            "{text}"
        );
        // a clean exit of a service not started: what a stop does, unsaid
        let mut s = s;
        s.instances[0].started = false;
        if let Some(c) = &mut s.instances[0].resources[0].container {
            c.exit_code = Some(0);
        }
        assert!(!render(&s, &Layout { now: at, ..plain() }).contains("info: down"));
        // started, or not clean: said
        if let Some(c) = &mut s.instances[0].resources[0].container {
            c.exit_code = Some(1);
        }
        assert!(
            render(&s, &Layout { now: at, ..plain() }).contains("info: down (exited 1, 2m ago)")
        );
        assert_eq!(age(59), "59s");
        assert_eq!(age(3 * 3600 + 5), "3h");
        assert_eq!(age(2 * 86400), "2d");
    }

    /// At 80 columns, a tree of long names and labels: no line wider, the
    /// flags, status and label columns the same on every row, and what
    /// does not fit on under itself in its column; the same tree not on
    /// a terminal keeps SPEC 5.2's columns, whatever its width.
    #[test]
    fn at_a_terminal_width_the_columns_shrink_and_nothing_is_wider() {
        let long = "docker container a-long-service-name.container.1@registry.example.com:5000/team/an-image:1.2.3";
        assert_eq!(
            pieces(long, Some(40)),
            [
                "docker container",
                "a-long-service-name.container.1@",
                "registry.example.com:5000/team/",
                "an-image:1.2.3"
            ]
        );
        let mut r1 = res("container#1", Avail::Up, None, &[]);
        r1.label = long.into();
        let mut r2 = res("container#web-frontend", Avail::Down, Some("web"), &[
            "warn: down while the service is started (om a-long-service-name start brings it back)",
        ]);
        r2.label = long.replace(".1@", ".2@");
        let mut s = st(
            vec![r1, r2],
            vec![SubsetStatus {
                name: "web".into(),
                parallel: true,
            }],
            Avail::Warn,
            "warn, idle, started",
        );
        s.path = "a-long-service-name".into();
        let text = render(
            &s,
            &Layout {
                width: Some(80),
                ..plain()
            },
        );
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines {
            assert!(
                l.chars().count() <= 80,
                "{} wide: {l}\n{text}",
                l.chars().count()
            );
        }
        // every row with flags has them, its status and its label at the
        // same columns
        let rows: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.contains("........"))
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        let col = |l: &str, what: &str| l.find(what).unwrap();
        assert_eq!(col(rows[0], "........"), col(rows[1], "........"), "{text}");
        assert_eq!(col(rows[0], "up "), col(rows[1], "down "), "{text}");
        let label_at = col(rows[0], "docker container");
        assert_eq!(label_at, col(rows[1], "docker container"), "{text}");
        // the rest of a label and the status lines go on in the label's
        // column, the whole of them kept
        let under: Vec<&str> = lines
            .iter()
            .filter(|l| l.len() > label_at && l[..label_at].trim_matches(['|', ' ']).is_empty())
            .map(|l| &l[label_at..])
            .collect();
        assert!(under.iter().all(|l| !l.starts_with(' ')), "{text}");
        let joined: String = lines.concat();
        assert!(joined.contains("an-image:1.2.3"), "{text}");
        assert!(
            under.iter().any(|l| l.starts_with("warn: down while")),
            "{text}"
        );
        // not on a terminal: SPEC's columns, the lines as long as they are
        let wide = render(&s, &plain());
        assert!(wide.lines().any(|l| l.chars().count() > 80), "{wide}");
        assert!(wide.contains(long), "{wide}");
        // a terminal wide enough: SPEC's columns too
        assert_eq!(
            render(
                &s,
                &Layout {
                    width: Some(300),
                    ..plain()
                }
            ),
            wide
        );
    }
}
