//! What a watch shows: on a terminal, the tree redrawn in place under its
//! header; otherwise each service's document that changed, one a line.

use super::{term, Watch};
use crate::error::{Error, Result};
use crate::status::collect::Collected;
use crate::status::render::{render, Layout};

impl Watch<'_> {
    /// JSON lines: each service's document that changed, one a line.
    pub(super) fn write_lines(&mut self, c: &Collected) -> Result<()> {
        let mut out = String::new();
        for st in &c.statuses {
            let doc = serde_json::to_string(st).map_err(|e| Error::Failed(format!("json: {e}")))?;
            if self.shown.get(&st.path) != Some(&doc) {
                out.push_str(&doc);
                out.push('\n');
                self.shown.insert(st.path.clone(), doc);
            }
        }
        if out.is_empty() {
            return Ok(());
        }
        crate::output::out(&out)
    }

    /// The screen: the header, what was read last (with what was said
    /// reading it), or why the last read failed above the tree read
    /// before, named as such.
    pub(super) fn draw(&self) -> Result<()> {
        let failed = self.failed.as_deref();
        let mut lines = self.header();
        let width = self.columns;
        for f in self.follows.iter().map(|(_, f)| f) {
            if let Some(why) = &f.ended {
                lines.extend(wrap(
                    &format!(
                        "docker events of {} ended ({why}): read every {}",
                        name(&f.engine()),
                        crate::units::humanize(self.opts.interval)
                    ),
                    width,
                ));
            }
        }
        if let Some(e) = failed {
            lines.extend(wrap(&format!("om: {e}"), width));
        }
        match &self.last {
            Some((c, said, at)) => {
                if failed.is_some() {
                    lines.push(format!(
                        "the last status read, at {}:",
                        at.format("%H:%M:%S")
                    ));
                }
                lines.push(String::new());
                let layout = Layout::stdout(self.opts.color);
                for (i, st) in c.statuses.iter().enumerate() {
                    if i > 0 {
                        lines.push(String::new());
                    }
                    lines.extend(render(st, &layout).lines().map(String::from));
                }
                if c.statuses.is_empty() {
                    lines.push(format!("no service matches '{}'", self.selector));
                }
                if !said.is_empty() {
                    lines.push(String::new());
                    lines.extend(said.iter().flat_map(|l| wrap(l, width)));
                }
            }
            None => lines.push("no status read yet".into()),
        }
        term::write_now(&term::frame(&lines, self.rows))
            .map_err(|e| Error::Failed(format!("writing to the terminal: {e}")))
    }

    /// What is watched, when it was read, how to quit; then what wakes
    /// it. Each cut to the terminal's width: a wrapped line would push
    /// the tree down past the rows counted.
    fn header(&self) -> Vec<String> {
        let at = self.last.as_ref().map_or_else(
            || "-".into(),
            |(_, _, at)| at.format("%Y-%m-%d %H:%M:%S").to_string(),
        );
        let others = self
            .last
            .as_ref()
            .is_some_and(|(c, _, _)| c.statuses.iter().any(|s| s.instances.len() > 1));
        let nodes = if others && !self.opts.local {
            format!(
                "; the other nodes asked every {}",
                crate::units::humanize(self.opts.interval)
            )
        } else {
            String::new()
        };
        [
            format!("{} · {at} · q quits", self.opts.title),
            format!("read on docker events and file changes{nodes}"),
        ]
        .into_iter()
        .map(|l| match self.columns {
            Some(w) if l.chars().count() > w => l.chars().take(w).collect(),
            _ => l,
        })
        .collect()
    }
}

/// A line of text cut into lines of at most `width` characters: a line
/// the terminal wrapped would push the tree past the rows counted.
fn wrap(line: &str, width: Option<usize>) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    match width {
        Some(w) if w > 0 && chars.len() > w => {
            chars.chunks(w).map(|c| c.iter().collect()).collect()
        }
        _ => vec![line.to_string()],
    }
}

/// An engine as the screen names it.
pub(super) fn name(engine: &crate::docker::Engine) -> String {
    match engine.socket() {
        Some(s) => s.display().to_string(),
        None => "the host's engine".into(),
    }
}
